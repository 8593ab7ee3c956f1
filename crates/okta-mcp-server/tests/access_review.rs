//! End to end: the access-review tools (admin roles, group rules, network zones,
//! authenticators) through the real binary against the sandbox org.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{Mcp, TestOrg, server, unconfirmed};

fn group_id(org: &TestOrg, name: &str) -> String {
    org.sandbox
        .org()
        .groups()
        .iter()
        .find(|g| g["profile"]["name"] == name)
        .and_then(|g| g["id"].as_str())
        .unwrap_or_else(|| panic!("seeded group {name}"))
        .to_owned()
}

/// The person (not a group) holding a seeded role of `kind`.
fn holder_of(org: &TestOrg, kind: &str) -> (String, Value) {
    org.sandbox
        .org()
        .role_assignments()
        .into_iter()
        .find(|(_, r)| r["type"] == kind && r["assignmentType"] == "USER")
        .unwrap_or_else(|| panic!("a seeded {kind}"))
}

fn member_ids(org: &TestOrg, group: &str) -> BTreeSet<String> {
    org.sandbox
        .org()
        .group_members(group)
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn error_of(result: &Value) -> &Value {
    assert_eq!(result["isError"], true, "an error result: {result}");
    &result["structuredContent"]
}

#[test]
fn a_persons_and_a_groups_roles_come_with_their_targets() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);

    let own = mcp.call_ok(
        "list_user_admin_roles",
        json!({"user_id": "sandbox.admin@example.com"}),
    );
    assert_eq!(own["is_admin"], true, "{own}");
    assert_eq!(own["roles"][0]["type"], "SUPER_ADMIN");
    assert_eq!(own["roles"][0]["targets"], json!({"unrestricted": true}));

    // An app admin limited to two apps: an OIN app by name and one app instance.
    let (app_admin, role) = holder_of(&org, "APP_ADMIN");
    let out = mcp.call_ok("list_user_admin_roles", json!({"user_id": app_admin}));
    let app_role = out["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == role["id"])
        .expect("the APP_ADMIN assignment");
    assert_eq!(app_role["targets"]["unrestricted"], false, "{app_role}");
    let apps = app_role["targets"]["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2, "{apps:?}");
    let catalog = apps.iter().find(|a| a["id"].is_null()).expect("an OIN app");
    assert_eq!(catalog["name"], "salesforce");
    let first_app = &org.sandbox.org().apps()[0];
    assert!(apps.iter().any(|a| a["id"] == first_app["id"]), "{apps:?}");

    // A group admin limited to Engineering.
    let (group_admin, role) = holder_of(&org, "USER_ADMIN");
    let out = mcp.call_ok("list_user_admin_roles", json!({"user_id": group_admin}));
    let limited = out["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == role["id"])
        .unwrap();
    assert_eq!(
        limited["targets"]["groups"],
        json!([{"id": group_id(&org, "Engineering"), "name": "Engineering"}])
    );

    // A Finance member holds Finance's READ_ONLY_ADMIN through the group.
    let finance = group_id(&org, "Finance");
    let member = member_ids(&org, &finance)
        .into_iter()
        .find(|id| org.sandbox.org().user_roles(id).len() == 1)
        .expect("a Finance member with no role of their own");
    let out = mcp.call_ok("list_user_admin_roles", json!({"user_id": member}));
    assert_eq!(out["roles"][0]["type"], "READ_ONLY_ADMIN", "{out}");
    assert_eq!(out["roles"][0]["assignment_type"], "GROUP");
    assert_eq!(out["roles"][0]["via_group_id"], json!(finance));

    // The People group is the help desk for Sales only.
    let people = group_id(&org, "People");
    let out = mcp.call_ok("list_group_admin_roles", json!({"group_id": people}));
    assert_eq!(out["total"], 1, "{out}");
    assert_eq!(out["roles"][0]["type"], "HELP_DESK_ADMIN");
    assert_eq!(
        out["roles"][0]["targets"]["groups"][0]["id"],
        json!(group_id(&org, "Sales"))
    );
    // A group without roles, and a person without any.
    let none = mcp.call_ok(
        "list_group_admin_roles",
        json!({"group_id": group_id(&org, "Marketing")}),
    );
    assert_eq!(none["total"], 0);

    // Okta's 404 names the id that was not found.
    for (tool, args, id) in [
        (
            "list_user_admin_roles",
            json!({"user_id": "00uNoSuchPerson00001"}),
            "00uNoSuchPerson00001",
        ),
        (
            "list_group_admin_roles",
            json!({"group_id": "00gNoSuchGroup000001"}),
            "00gNoSuchGroup000001",
        ),
    ] {
        let r = mcp.call(tool, args);
        let err = error_of(&r);
        assert_eq!(err["status"], 404, "{err}");
        assert!(err["errorSummary"].as_str().unwrap().contains(id), "{err}");
    }
}

/// Every assignee the sandbox holds: people with roles of their own, groups with roles.
fn expected_admins(org: &TestOrg) -> BTreeSet<(String, String)> {
    org.sandbox
        .org()
        .role_assignments()
        .into_iter()
        .map(|(id, r)| (r["assignmentType"].as_str().unwrap().to_owned(), id))
        .collect()
}

fn admins_of(result: &Value) -> BTreeSet<(String, String)> {
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["assignee_type"].as_str().unwrap().to_owned(),
                a["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn list_admins_finds_every_person_and_group_across_pages_with_progress() {
    // 150 extra super admins: the assignee listing takes two of its 100-person pages.
    let mut config = okta_sandbox::SandboxConfig {
        extra_admins: 150,
        ..Default::default()
    };
    config.faults.rate_limits = okta_sandbox::faults::RateLimits::unenforced();
    let org = TestOrg::with_config(config);
    let mut env = org.service_env();
    env.push(("OKTA_MCP_MAX_RESULT_BYTES".into(), "10000000".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    let expected = expected_admins(&org);
    assert!(expected.len() > 150, "{}", expected.len());

    let resp = mcp.request(
        "tools/call",
        json!({"name": "list_admins", "arguments": {"fetch_all": true},
               "_meta": {"progressToken": "admins"}}),
    );
    let all = resp["result"]["structuredContent"].clone();
    assert_ne!(resp["result"]["isError"], true, "{resp}");
    assert_eq!(admins_of(&all), expected);
    assert_eq!(all["has_more"], false, "{all}");
    assert_eq!(
        all["groups_checked"],
        json!(org.sandbox.org().groups().len())
    );
    let pages = org
        .sandbox
        .faults()
        .count("GET", "/api/v1/iam/assignees/users");
    assert_eq!(pages, 2, "the body's next link was followed once");
    let progress: Vec<f64> = mcp
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .map(|n| n["params"]["progress"].as_f64().unwrap())
        .collect();
    // One per page read; the last may arrive after the response, so two are certain.
    assert!(progress.len() >= 2, "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");

    // Each person carries their login and roles; each group its name and roles.
    let super_admin = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["login"] == "sandbox.admin@example.com")
        .expect("the seeded super admin");
    assert_eq!(super_admin["roles"][0]["type"], "SUPER_ADMIN");
    let finance = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["assignee_type"] == "GROUP" && a["name"] == "Finance")
        .expect("Finance holds a role");
    assert_eq!(finance["roles"][0]["type"], "READ_ONLY_ADMIN");

    // Page by page, the cursor carries on through people, then groups, to the same set.
    let mut seen = BTreeSet::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let mut args = json!({});
        if let Some(cursor) = &after {
            args["after"] = json!(cursor);
        }
        let page = mcp.call_ok("list_admins", args);
        seen.extend(admins_of(&page));
        match page["next_cursor"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, expected);

    let groups_only = mcp.call_ok(
        "list_admins",
        json!({"include": "groups", "fetch_all": true}),
    );
    assert!(
        admins_of(&groups_only)
            .iter()
            .all(|(kind, _)| kind == "GROUP")
    );
    assert_eq!(groups_only["users_checked"], 0);

    let r = mcp.call("list_admins", json!({"after": "not-ours"}));
    assert_eq!(error_of(&r)["error"], "invalid_arguments");
}

fn rule_named(org: &TestOrg, name: &str) -> Option<Value> {
    org.sandbox
        .org()
        .group_rules()
        .into_iter()
        .find(|r| r["name"] == name)
}

#[test]
fn group_rules_are_checked_created_inactive_applied_and_removed() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let seeded = mcp.call_ok("list_group_rules", json!({}));
    let engineering = group_id(&org, "Engineering");
    let first = &seeded["items"][0];
    assert_eq!(first["name"], "Engineering by department", "{seeded}");
    assert_eq!(first["status"], "ACTIVE");
    assert_eq!(
        first["_embedded"]["groupIdToGroupNameMap"][&engineering],
        "Engineering"
    );
    let got = mcp.call_ok("get_group_rule", json!({"rule_id": first["id"]}));
    assert_eq!(got["id"], first["id"]);
    let r = mcp.call("get_group_rule", json!({"rule_id": "0prNoSuchRule0000001"}));
    let err = error_of(&r);
    assert_eq!(err["status"], 404);
    assert!(
        err["errorSummary"]
            .as_str()
            .unwrap()
            .contains("0prNoSuchRule0000001")
    );

    let target = mcp.call_ok(
        "create_group",
        json!({"profile": {"name": "Sales (by rule)"}}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = org.sandbox.org().group_rules().len();
    // A malformed expression is explained before anything is sent.
    let r = mcp.call(
        "create_group_rule",
        json!({"name": "Broken", "expression": "user.department==\"Sales", "group_ids": [target]}),
    );
    let err = error_of(&r);
    assert_eq!(err["error"], "invalid_arguments");
    assert!(
        err["message"].as_str().unwrap().contains("not closed"),
        "{err}"
    );
    // Okta's own checks: an attribute the profile does not have, an app group as target.
    let r = mcp.call(
        "create_group_rule",
        json!({"name": "Colour", "expression": "user.favouriteColour==\"blue\"", "group_ids": [target]}),
    );
    let err = error_of(&r);
    assert_eq!(err["status"], 400, "{err}");
    assert!(err.to_string().contains("favouriteColour"), "{err}");
    let app_group = org
        .sandbox
        .org()
        .groups()
        .into_iter()
        .find(|g| g["type"] == "APP_GROUP")
        .unwrap();
    let r = mcp.call(
        "create_group_rule",
        json!({"name": "To an app group", "expression": "user.department==\"Sales\"", "group_ids": [app_group["id"]]}),
    );
    assert!(error_of(&r).to_string().contains("OKTA_GROUP"), "{r}");
    assert_eq!(
        org.sandbox.org().group_rules().len(),
        before,
        "nothing was created"
    );

    let rule = mcp.call_ok(
        "create_group_rule",
        json!({"name": "Sales by department", "expression": "user.department==\"Sales\"", "group_ids": [target]}),
    );
    assert_eq!(rule["status"], "INACTIVE", "Okta creates rules inactive");
    let rule_id = rule["id"].as_str().unwrap().to_owned();
    assert!(member_ids(&org, &target).is_empty());

    let done = mcp.call_ok("activate_group_rule", json!({"rule_id": rule_id}));
    assert_eq!(done["status"], "ACTIVE");
    let sales: BTreeSet<String> = org
        .users()
        .iter()
        .filter(|u| u["profile"]["department"] == "Sales" && u["status"] != "DEPROVISIONED")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!sales.is_empty());
    assert_eq!(member_ids(&org, &target), sales);

    // An active rule is not deleted; the refusal says what to do and nothing is sent.
    let deletes = || {
        org.sandbox
            .faults()
            .count("DELETE", &format!("/api/v1/groups/rules/{rule_id}"))
    };
    let r = mcp.call("delete_group_rule", json!({"rule_id": rule_id}));
    let err = error_of(&r);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("deactivate_group_rule"),
        "{err}"
    );
    assert_eq!(deletes(), 0);

    let done = mcp.call_ok("deactivate_group_rule", json!({"rule_id": rule_id}));
    assert_eq!(done["status"], "INACTIVE");
    assert_eq!(
        member_ids(&org, &target),
        sales,
        "deactivating keeps members"
    );

    let done = mcp.call_ok(
        "delete_group_rule",
        json!({"rule_id": rule_id, "remove_users": true}),
    );
    assert_eq!(done["removed_users"], true);
    assert!(rule_named(&org, "Sales by department").is_none());
    assert!(
        member_ids(&org, &target).is_empty(),
        "the rule's members were removed"
    );
}

/// Calls a destructive tool from a client with elicitation and accepts or declines.
fn answer_confirmation(mcp: &mut Mcp, tool: &str, args: Value, accept: bool) -> (String, Value) {
    let action = if accept { "accept" } else { "decline" };
    support::call_answering_confirmation(mcp, 700, tool, args, action)
}

#[test]
fn rule_deactivation_and_deletion_ask_naming_the_rule() {
    let org = TestOrg::start();
    let mut env = org.service_env();
    env.push(("OKTA_LOG_LEVEL".into(), "debug".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize_with("2025-06-18", json!({"elicitation": {}}));
    let seeded = rule_named(&org, "Engineering by department").unwrap();
    let id = seeded["id"].as_str().unwrap().to_owned();

    let (question, response) = answer_confirmation(
        &mut mcp,
        "deactivate_group_rule",
        json!({"rule_id": id}),
        false,
    );
    assert!(
        question.contains("Engineering by department") && question.contains(&id),
        "{question}"
    );
    assert_eq!(
        response["result"]["structuredContent"]["cancelled"], true,
        "{response}"
    );
    assert_eq!(
        rule_named(&org, "Engineering by department").unwrap()["status"],
        "ACTIVE"
    );

    let (_, response) = answer_confirmation(
        &mut mcp,
        "deactivate_group_rule",
        json!({"rule_id": id}),
        true,
    );
    assert_eq!(
        response["result"]["structuredContent"]["status"], "INACTIVE",
        "{response}"
    );
    assert_eq!(
        rule_named(&org, "Engineering by department").unwrap()["status"],
        "INACTIVE"
    );

    let members = member_ids(&org, &group_id(&org, "Engineering"));
    let (question, response) =
        answer_confirmation(&mut mcp, "delete_group_rule", json!({"rule_id": id}), false);
    assert!(
        question.contains("Engineering by department") && question.contains("stay"),
        "{question}"
    );
    assert_eq!(response["result"]["structuredContent"]["cancelled"], true);
    assert!(rule_named(&org, "Engineering by department").is_some());

    let (_, response) =
        answer_confirmation(&mut mcp, "delete_group_rule", json!({"rule_id": id}), true);
    assert_eq!(
        response["result"]["structuredContent"]["success"], true,
        "{response}"
    );
    assert!(rule_named(&org, "Engineering by department").is_none());
    assert_eq!(
        members,
        member_ids(&org, &group_id(&org, "Engineering")),
        "members stay"
    );

    // No bearer token or private key material reaches the log, even at debug level.
    let stderr = mcp.stderr();
    assert!(
        !stderr.contains("Bearer ey") && !stderr.contains("PRIVATE KEY"),
        "{stderr}"
    );
}

#[test]
fn zones_and_authenticators_read_as_the_org_holds_them_and_read_only_hides_rule_writes() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let zones = mcp.call_ok("list_network_zones", json!({}));
    let held = org.sandbox.org().network_zones();
    assert_eq!(zones["total_fetched"], json!(held.len()), "{zones}");
    let blocklists = mcp.call_ok(
        "list_network_zones",
        json!({"filter": "usage eq \"BLOCKLIST\"", "fields": "id,name,usage"}),
    );
    let expected = held.iter().filter(|z| z["usage"] == "BLOCKLIST").count();
    assert_eq!(blocklists["total_fetched"], json!(expected));
    assert!(
        blocklists["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|z| z["usage"] == "BLOCKLIST")
    );
    let office = held
        .iter()
        .find(|z| z["name"] == "Office Networks")
        .unwrap();
    let got = mcp.call_ok("get_network_zone", json!({"zone_id": office["id"]}));
    assert_eq!(got["gateways"][0]["value"], "203.0.113.0/24");
    let r = mcp.call(
        "get_network_zone",
        json!({"zone_id": "nzoNoSuchZone0000001"}),
    );
    let err = error_of(&r);
    assert_eq!(err["status"], 404);
    assert!(
        err["errorSummary"]
            .as_str()
            .unwrap()
            .contains("nzoNoSuchZone0000001")
    );
    let r = mcp.call("list_network_zones", json!({"filter": "name eq \"x\""}));
    assert_eq!(
        error_of(&r)["status"],
        400,
        "a filter Okta does not support"
    );

    let authenticators = mcp.call_ok("list_authenticators", json!({"fields": "key,status"}));
    let keys: BTreeSet<(String, String)> = authenticators["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(keys.len(), org.sandbox.org().authenticators().len());
    assert!(
        keys.contains(&("okta_password".into(), "ACTIVE".into())),
        "{keys:?}"
    );
    assert!(
        keys.contains(&("phone_number".into(), "INACTIVE".into())),
        "{keys:?}"
    );

    let mut read_only = server(&org, &[("OKTA_MCP_READ_ONLY", "1")]);
    let visible: BTreeSet<String> = read_only
        .list_tools()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    for read in [
        "list_group_rules",
        "get_group_rule",
        "list_admins",
        "list_user_admin_roles",
        "list_group_admin_roles",
        "list_network_zones",
        "get_network_zone",
        "list_authenticators",
    ] {
        assert!(visible.contains(read), "{read} is a read");
    }
    for write in [
        "create_group_rule",
        "activate_group_rule",
        "deactivate_group_rule",
        "delete_group_rule",
    ] {
        assert!(!visible.contains(write), "{write} writes");
    }
}

#[test]
fn list_admins_with_only_the_roles_scope_says_what_it_could_not_read() {
    let org = TestOrg::start();
    let mut env = org.service_env();
    env.retain(|(k, _)| k != "OKTA_SCOPES");
    env.push(("OKTA_SCOPES".into(), "okta.roles.read".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    let out = mcp.call_ok("list_admins", json!({"fetch_all": true}));
    let people: BTreeSet<String> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["assignee_type"], "USER", "{a}");
            assert!(a["login"].is_null(), "no users scope, no names: {a}");
            a["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected: BTreeSet<String> = expected_admins(&org)
        .into_iter()
        .filter(|(kind, _)| kind == "USER")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(people, expected);
    let warnings = out["warnings"].to_string();
    assert!(warnings.contains("okta.groups.read"), "{warnings}");
    assert!(warnings.contains("names were not read"), "{warnings}");
    assert_eq!(out["has_more"], false);
}
