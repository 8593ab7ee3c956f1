//! End to end: policy and rule tools against the sandbox org, through the real binary.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{Mcp, TestOrg, server, unconfirmed};

fn ids(items: &Value) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn status(mcp: &mut Mcp, policy_id: &str) -> Value {
    mcp.call_ok("get_policy", json!({"policy_id": policy_id}))["status"].clone()
}

#[test]
fn listing_by_type_and_status_matches_the_org() {
    let org = TestOrg::start();
    let policies = org.sandbox.org().policies();
    let mut mcp = unconfirmed(&org);
    for kind in ["OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "ACCESS_POLICY"] {
        let out = mcp.call_ok("list_policies", json!({"type": kind, "fetch_all": true}));
        let expected: BTreeSet<String> = policies
            .iter()
            .filter(|p| p["type"] == kind)
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(!expected.is_empty(), "seeded {kind} policies");
        assert_eq!(ids(&out["items"]), expected, "{kind}");
    }
    let inactive = mcp.call_ok(
        "list_policies",
        json!({"type": "OKTA_SIGN_ON", "status": "INACTIVE"}),
    );
    assert!(
        inactive["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "INACTIVE")
    );

    // An unknown type is refused by the schema, before any call.
    let r = mcp.call("list_policies", json!({"type": "SIGN_ON_PLEASE"}));
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");
    let r = mcp.call("list_policies", json!({}));
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");
}

#[test]
fn policy_lifecycle_is_visible_through_get_policy() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let created = mcp.call_ok(
        "create_policy",
        json!({"policy_data": {"type": "PASSWORD", "name": "Contractors password policy",
               "description": "test", "conditions": {"people": {"groups": {"include": []}}}}}),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["type"], "PASSWORD");
    assert_eq!(status(&mut mcp, &id), "ACTIVE");

    mcp.call_ok("deactivate_policy", json!({"policy_id": id}));
    assert_eq!(status(&mut mcp, &id), "INACTIVE");
    mcp.call_ok("activate_policy", json!({"policy_id": id}));
    assert_eq!(status(&mut mcp, &id), "ACTIVE");

    let mut replaced = mcp.call_ok("get_policy", json!({"policy_id": id}));
    replaced["name"] = json!("Contractors (renamed)");
    replaced["description"] = json!("renamed by a test");
    let updated = mcp.call_ok(
        "update_policy",
        json!({"policy_id": id, "policy_data": replaced}),
    );
    assert_eq!(updated["name"], "Contractors (renamed)");
    assert_eq!(
        mcp.call_ok("get_policy", json!({"policy_id": id}))["description"],
        "renamed by a test"
    );

    // Missing type/name: a clear message, no call.
    let r = mcp.call("create_policy", json!({"policy_data": {"name": "x"}}));
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");

    mcp.call_ok("delete_policy", json!({"policy_id": id}));
    let gone = mcp.call("get_policy", json!({"policy_id": id}));
    assert_eq!(gone["structuredContent"]["status"], 404, "{gone}");

    // The default policy cannot be deleted: Okta's error, surfaced.
    let system = org
        .sandbox
        .org()
        .policies()
        .into_iter()
        .find(|p| p["system"] == true)
        .expect("a default policy");
    let r = mcp.call("delete_policy", json!({"policy_id": system["id"]}));
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(r["structuredContent"]["status"], 400);
}

#[test]
fn rules_keep_their_conditions_and_actions() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let policy = mcp.call_ok(
        "create_policy",
        json!({"policy_data": {"type": "PASSWORD", "name": "Rule test policy"}}),
    );
    let pid = policy["id"].as_str().unwrap().to_owned();
    let conditions =
        json!({"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}});
    let actions = json!({"passwordChange": {"access": "ALLOW"},
                         "selfServicePasswordReset": {"access": "DENY"},
                         "selfServiceUnlock": {"access": "DENY"}});
    let rule = mcp.call_ok(
        "create_policy_rule",
        json!({"policy_id": pid, "rule_data": {"type": "PASSWORD", "name": "No self-service reset",
               "priority": 1, "conditions": conditions, "actions": actions}}),
    );
    let rid = rule["id"].as_str().unwrap().to_owned();
    let got = mcp.call_ok("get_policy_rule", json!({"policy_id": pid, "rule_id": rid}));
    assert_eq!(got["actions"], actions, "actions reach Okta intact");
    assert_eq!(got["conditions"]["network"]["connection"], "ANYWHERE");
    assert_eq!(got["status"], "ACTIVE");

    let listed = mcp.call_ok("list_policy_rules", json!({"policy_id": pid}));
    let expected: BTreeSet<String> = org
        .sandbox
        .org()
        .policy_rules(&pid)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.contains(&rid));
    assert_eq!(ids(&listed["items"]), expected);
    assert_eq!(listed["items"][0]["id"], json!(rid), "priority order");

    let mut changed = got.clone();
    changed["actions"]["selfServicePasswordReset"]["access"] = json!("ALLOW");
    mcp.call_ok(
        "update_policy_rule",
        json!({"policy_id": pid, "rule_id": rid, "rule_data": changed}),
    );
    let got = mcp.call_ok("get_policy_rule", json!({"policy_id": pid, "rule_id": rid}));
    assert_eq!(
        got["actions"]["selfServicePasswordReset"]["access"],
        "ALLOW"
    );

    mcp.call_ok(
        "deactivate_policy_rule",
        json!({"policy_id": pid, "rule_id": rid}),
    );
    let got = mcp.call_ok("get_policy_rule", json!({"policy_id": pid, "rule_id": rid}));
    assert_eq!(got["status"], "INACTIVE");
    mcp.call_ok(
        "activate_policy_rule",
        json!({"policy_id": pid, "rule_id": rid}),
    );
    let got = mcp.call_ok("get_policy_rule", json!({"policy_id": pid, "rule_id": rid}));
    assert_eq!(got["status"], "ACTIVE");

    mcp.call_ok(
        "delete_policy_rule",
        json!({"policy_id": pid, "rule_id": rid}),
    );
    let gone = mcp.call("get_policy_rule", json!({"policy_id": pid, "rule_id": rid}));
    assert_eq!(gone["structuredContent"]["status"], 404, "{gone}");
}

#[test]
fn destructive_policy_tools_ask_first_naming_the_policy() {
    let org = TestOrg::start();
    let policy = org
        .sandbox
        .org()
        .policies()
        .into_iter()
        .find(|p| p["status"] == "ACTIVE" && p["system"] != true)
        .expect("an active custom policy");
    let pid = policy["id"].as_str().unwrap();
    let mut mcp = server(&org, &[]);
    let asked = mcp.call_ok("deactivate_policy", json!({"policy_id": pid}));
    assert_eq!(asked["confirmation_required"], true);
    assert!(
        asked["message"]
            .as_str()
            .unwrap()
            .contains(policy["name"].as_str().unwrap()),
        "{asked}"
    );
    assert_eq!(status(&mut mcp, pid), "ACTIVE");
    mcp.call_ok(
        "deactivate_policy",
        json!({"policy_id": pid, "confirm": true}),
    );
    assert_eq!(status(&mut mcp, pid), "INACTIVE");
}
