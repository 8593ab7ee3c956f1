//! Which tools a configuration exposes: granted scopes, read-only mode and toolsets, and the
//! error a caller of a hidden tool gets.

mod support;

use serde_json::json;
use std::collections::BTreeSet;
use support::{Mcp, TestOrg};

fn names(mcp: &mut Mcp) -> BTreeSet<String> {
    mcp.list_tools()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn spawn(org: &TestOrg, overrides: &[(&str, &str)]) -> Mcp {
    let mut env = org.service_env();
    for (k, v) in overrides {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.to_string()));
    }
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp
}

#[test]
fn tools_follow_the_granted_scopes_and_manage_implies_read() {
    let org = TestOrg::start();
    let mut mcp = spawn(&org, &[("OKTA_SCOPES", "okta.users.manage okta.logs.read")]);
    // The first call fetches the token; its granted scopes then drive tools/list.
    mcp.call_ok("list_users", json!({"limit": 1}));
    let visible = names(&mut mcp);
    assert!(
        visible.contains("list_users"),
        "okta.users.manage implies okta.users.read"
    );
    assert!(visible.contains("get_logs") && visible.contains("summarize_logs"));
    assert!(visible.contains("get_scope_status"));
    assert!(
        !visible.contains("list_groups"),
        "no groups scope was granted: {visible:?}"
    );

    let hidden = mcp.call("list_groups", json!({}));
    assert_eq!(hidden["isError"], true);
    assert_eq!(hidden["structuredContent"]["error"], "tool_unavailable");
    assert!(
        hidden["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("okta.groups.read")
    );

    let status = mcp.call_ok("get_scope_status", json!({}));
    let missing: Vec<String> = status["missing_scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["scope"].as_str().unwrap().to_owned())
        .collect();
    assert!(missing.contains(&"okta.groups.read".to_owned()));
    assert!(!missing.contains(&"okta.users.read".to_owned()));
    let unlocked: Vec<&str> = status["missing_scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["scope"] == "okta.groups.read")
        .unwrap()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(unlocked.contains(&"list_groups"));
}

#[test]
fn a_scope_the_app_lacks_is_not_granted_and_the_error_says_so() {
    let org = TestOrg::start();
    let client = org.sandbox.service_client().client_id;
    assert!(
        org.sandbox
            .oauth()
            .set_client_scopes(&client, &["okta.users.read"])
    );
    let mut mcp = spawn(&org, &[("OKTA_SCOPES", "okta.users.read okta.groups.read")]);
    let r = mcp.call("list_users", json!({"limit": 1}));
    assert_eq!(r["isError"], true, "{r}");
    let text = r["structuredContent"].to_string();
    assert!(
        text.contains("okta.groups.read") || text.contains("scope"),
        "the error names the scope problem: {text}"
    );
}

#[test]
fn read_only_keeps_only_tools_that_do_not_write() {
    let org = TestOrg::start();
    let mut all = spawn(&org, &[]);
    let everything = names(&mut all);
    let mut mcp = spawn(&org, &[("OKTA_MCP_READ_ONLY", "1")]);
    let defs = mcp.list_tools();
    assert!(!defs.is_empty());
    for t in &defs {
        assert_eq!(
            t["annotations"]["readOnlyHint"], true,
            "{} writes but is exposed read-only",
            t["name"]
        );
    }
    let visible: BTreeSet<String> = defs
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(visible.contains("list_users"));
    if everything.contains("deactivate_user") {
        assert!(!visible.contains("deactivate_user"));
        let r = mcp.call(
            "deactivate_user",
            json!({"user_id": "00u1", "confirm": true}),
        );
        assert_eq!(r["structuredContent"]["error"], "tool_unavailable");
        assert!(
            r["structuredContent"]["message"]
                .as_str()
                .unwrap()
                .contains("read-only")
        );
    }
}

#[test]
fn toolsets_select_whole_areas() {
    let org = TestOrg::start();
    let mut mcp = spawn(&org, &[("OKTA_MCP_TOOLSETS", "logs")]);
    let visible = names(&mut mcp);
    assert!(visible.contains("get_logs") && visible.contains("get_scope_status"));
    assert!(!visible.contains("list_users"));
    let r = mcp.call("list_users", json!({}));
    assert!(
        r["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("toolset"),
        "{r}"
    );
}
