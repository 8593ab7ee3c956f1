//! `dry_run: true` through the binary against the sandbox, for writes of every kind (create,
//! replace, partial update, lifecycle operation, delete, assignment): the sandbox's request
//! journal sees no write, the plan names the request and masks secrets, an update's plan
//! lists the change field by field, a destructive dry run asks nothing, and the audit
//! journal records a dry run as one.

mod support;

use serde_json::{Value, json};
use support::{Mcp, TestOrg, server, writes_seen};

/// Calls `tool` with `dry_run: true` and returns the plan, checking that no write went out.
fn plan(org: &TestOrg, mcp: &mut Mcp, tool: &str, mut args: Value) -> Value {
    org.sandbox.faults().clear_journal();
    args["dry_run"] = json!(true);
    let plan = mcp.call_ok(tool, args);
    assert_eq!(plan["dry_run"], true, "{plan}");
    assert_eq!(
        writes_seen(org),
        Vec::<String>::new(),
        "{tool} dry run sent a write"
    );
    plan
}

fn active_user(org: &TestOrg) -> Value {
    org.users()
        .into_iter()
        .find(|u| u["status"] == "ACTIVE")
        .expect("an active user")
}

#[test]
fn every_write_tool_offers_dry_run_and_reads_do_not() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let tools = mcp.list_tools();
    let mut writes = 0;
    for tool in &tools {
        let read_only = tool["annotations"]["readOnlyHint"] == true;
        let offered = tool["inputSchema"]["properties"]["dry_run"]["type"] == "boolean";
        assert_eq!(offered, !read_only, "{}", tool["name"]);
        writes += usize::from(!read_only);
    }
    assert!(writes >= 20, "only {writes} write tools");
    let refused = mcp.call("list_users", json!({"limit": 1, "dry_run": true}));
    assert_eq!(
        refused["isError"], true,
        "a read takes no dry_run: {refused}"
    );
    let refused = mcp.call(
        "update_user",
        json!({"user_id": "x", "profile": {"a": 1}, "dry_run": "yes"}),
    );
    assert_eq!(
        refused["structuredContent"]["error"], "invalid_arguments",
        "{refused}"
    );
}

#[test]
fn a_create_shows_its_request_with_secrets_masked_and_creates_nothing() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let before = org.users().len();
    let password = "Plan-Only-Secret-42";
    let out = plan(
        &org,
        &mut mcp,
        "create_user",
        json!({
            "profile": {"login": "planned@example.com", "email": "planned@example.com", "firstName": "Plan", "lastName": "Ned"},
            "credentials": {"password": {"value": password}},
            "activate": false
        }),
    );
    let request = &out["request"];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/api/v1/users");
    assert_eq!(request["query"], json!({"activate": "false"}));
    assert_eq!(request["body"]["profile"]["login"], "planned@example.com");
    assert_eq!(request["body"]["credentials"]["password"]["value"], "****");
    assert!(out.get("diff").is_none(), "a create has no diff: {out}");
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .contains("nothing was sent"),
        "{out}"
    );
    assert_eq!(org.users().len(), before, "no user was created");
    assert!(!out.to_string().contains(password));
    assert!(
        !mcp.stderr().contains(password),
        "the password reached a log line"
    );
}

#[test]
fn a_partial_update_lists_the_fields_it_changes() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let user = active_user(&org);
    let id = user["id"].as_str().unwrap();
    let title_now = user["profile"]["title"].clone();
    let city_now = user["profile"]["city"].clone();
    let out = plan(
        &org,
        &mut mcp,
        "update_user",
        json!({"user_id": id, "profile": {"title": "Chief Planner", "nickName": "Plan"}}),
    );
    assert_eq!(out["request"]["method"], "POST");
    assert_eq!(out["request"]["path"], format!("/api/v1/users/{id}"));
    assert_eq!(
        out["diff"]["profile.title"],
        json!({"from": title_now, "to": "Chief Planner"}),
        "{out}"
    );
    assert_eq!(out["diff"]["profile.nickName"]["to"], "Plan", "{out}");
    assert!(
        out["diff"].get("profile.city").is_none(),
        "a partial update keeps what it does not send: {out}"
    );
    let after = org.sandbox.org().user(id).unwrap();
    assert_eq!(after["profile"]["title"], title_now, "nothing changed");
    assert_eq!(after["profile"]["city"], city_now);

    // The same value again: the plan says no field changes.
    let current = after["profile"]["lastName"].clone();
    let same = plan(
        &org,
        &mut mcp,
        "update_user",
        json!({"user_id": id, "profile": {"lastName": current}}),
    );
    assert_eq!(same["diff"], json!({}), "{same}");
    assert_eq!(same["unchanged_fields"], 1);
}

#[test]
fn a_replace_lists_what_it_sets_and_what_it_drops() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_CONFIRM", "never")]);
    let group = mcp.call_ok(
        "create_group",
        json!({"profile": {"name": "Planners", "description": "people who plan"}}),
    );
    let id = group["id"].as_str().unwrap();
    let out = plan(
        &org,
        &mut mcp,
        "update_group",
        json!({"group_id": id, "profile": {"name": "Planners Guild"}}),
    );
    assert_eq!(out["request"]["method"], "PUT");
    assert_eq!(out["request"]["path"], format!("/api/v1/groups/{id}"));
    assert_eq!(
        out["diff"],
        json!({
            "profile.name": {"from": "Planners", "to": "Planners Guild"},
            "profile.description": {"from": "people who plan", "to": null}
        }),
        "{out}"
    );
    let now = mcp.call_ok("get_group", json!({"group_id": id}));
    assert_eq!(now["profile"]["name"], "Planners");
}

#[test]
fn destructive_dry_runs_ask_nothing_and_change_nothing() {
    let org = TestOrg::start();
    // Confirmation on (the default): a real call would ask first.
    let mut mcp = server(&org, &[]);
    let user = active_user(&org);
    let id = user["id"].as_str().unwrap().to_owned();
    let asked = mcp.call_ok("deactivate_user", json!({"user_id": id}));
    assert_eq!(asked["confirmation_required"], true, "{asked}");

    let out = plan(&org, &mut mcp, "deactivate_user", json!({"user_id": id}));
    assert!(out.get("confirmation_required").is_none(), "{out}");
    assert_eq!(out["request"]["method"], "POST");
    assert_eq!(
        out["request"]["path"],
        format!("/api/v1/users/{id}/lifecycle/deactivate")
    );
    assert_eq!(org.sandbox.org().user(&id).unwrap()["status"], "ACTIVE");

    let group = org.sandbox.org().groups()[0].clone();
    let group_id = group["id"].as_str().unwrap().to_owned();
    let out = plan(
        &org,
        &mut mcp,
        "delete_group",
        json!({"group_id": group_id}),
    );
    assert_eq!(
        out["request"],
        json!({"method": "DELETE", "path": format!("/api/v1/groups/{group_id}")})
    );
    assert!(
        org.sandbox
            .org()
            .groups()
            .iter()
            .any(|g| g["id"] == json!(group_id))
    );

    // No elicitation request reached the client either.
    assert!(
        !mcp.notifications
            .iter()
            .any(|n| n["method"] == "elicitation/create"),
        "{:?}",
        mcp.notifications
    );
}

#[test]
fn an_assignment_shows_its_request_and_a_failed_lookup_is_the_answer() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let user = active_user(&org);
    let user_id = user["id"].as_str().unwrap().to_owned();
    let group = org
        .sandbox
        .org()
        .groups()
        .into_iter()
        .find(|g| {
            !org.sandbox
                .org()
                .group_members(g["id"].as_str().unwrap())
                .iter()
                .any(|m| m["id"] == json!(user_id))
        })
        .expect("a group the user is not in");
    let group_id = group["id"].as_str().unwrap().to_owned();
    let out = plan(
        &org,
        &mut mcp,
        "add_user_to_group",
        json!({"group_id": group_id, "user_id": user_id}),
    );
    assert_eq!(
        out["request"],
        json!({"method": "PUT", "path": format!("/api/v1/groups/{group_id}/users/{user_id}")})
    );
    assert!(
        !org.sandbox
            .org()
            .group_members(&group_id)
            .iter()
            .any(|m| m["id"] == json!(user_id)),
        "not added"
    );

    // A dry run still reads: a tool that looks its object up first fails as the real call would.
    org.sandbox.faults().clear_journal();
    let missing = mcp.call(
        "delete_deactivated_user",
        json!({"user_id": "00uNoSuchUser", "dry_run": true}),
    );
    assert_eq!(missing["isError"], true, "{missing}");
    assert_eq!(missing["structuredContent"]["status"], 404, "{missing}");
    assert!(writes_seen(&org).is_empty());
}

#[test]
fn a_dry_run_is_journaled_as_one_with_no_okta_request() {
    let org = TestOrg::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut mcp = server(&org, &[("OKTA_MCP_AUDIT_LOG", path.to_str().unwrap())]);
    let id = active_user(&org)["id"].as_str().unwrap().to_owned();
    plan(&org, &mut mcp, "deactivate_user", json!({"user_id": id}));
    let text = std::fs::read_to_string(&path).expect("journal written");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["tool"], "deactivate_user");
    assert_eq!(lines[0]["outcome"], "dry_run");
    assert_eq!(lines[0]["okta_request_ids"], json!([]));
    assert_eq!(lines[0]["targets"]["user_id"], json!(id));
}
