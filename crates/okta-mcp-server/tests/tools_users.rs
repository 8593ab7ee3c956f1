//! End to end: user tools change the sandbox org as Okta would, through the real binary.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{ALL_SCOPES, Mcp, TestOrg, server, unconfirmed};

fn new_profile(login: &str) -> Value {
    json!({"login": login, "email": login, "firstName": "Test", "lastName": "Person", "department": "QA"})
}

#[test]
fn create_then_get_and_update_see_the_change() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let created = mcp.call_ok(
        "create_user",
        json!({"profile": new_profile("new.person@acme.example.com"), "activate": false}),
    );
    let id = created["id"].as_str().expect("new user id").to_owned();
    assert_eq!(created["status"], "STAGED");

    let got = mcp.call_ok("get_user", json!({"user_id": id}));
    assert_eq!(got["profile"]["login"], "new.person@acme.example.com");
    let by_login = mcp.call_ok(
        "get_user",
        json!({"user_id": "new.person@acme.example.com"}),
    );
    assert_eq!(by_login["id"], json!(id));

    let updated = mcp.call_ok(
        "update_user",
        json!({"user_id": id, "profile": {"department": "Sales"}}),
    );
    assert_eq!(updated["profile"]["department"], "Sales");
    let got = mcp.call_ok("get_user", json!({"user_id": id}));
    assert_eq!(got["profile"]["department"], "Sales");
    // A partial update keeps the other attributes.
    assert_eq!(got["profile"]["firstName"], "Test");

    // Activation by default.
    let active = mcp.call_ok(
        "create_user",
        json!({"profile": new_profile("active.person@acme.example.com"), "credentials": {"password": {"value": "Abcd1234!xyzQ"}}}),
    );
    assert_eq!(active["status"], "ACTIVE");

    // A duplicate login is Okta's error, surfaced as an error result.
    let dup = mcp.call(
        "create_user",
        json!({"profile": new_profile("new.person@acme.example.com")}),
    );
    assert_eq!(dup["isError"], true, "{dup}");
    assert_eq!(dup["structuredContent"]["status"], 400);
}

#[test]
fn delete_refuses_an_active_user_then_works_after_deactivation() {
    let org = TestOrg::start();
    let user = org
        .users()
        .into_iter()
        .find(|u| u["status"] == "ACTIVE")
        .expect("an active user");
    let id = user["id"].as_str().unwrap().to_owned();
    let mut mcp = unconfirmed(&org);

    let refused = mcp.call("delete_deactivated_user", json!({"user_id": id}));
    assert_eq!(refused["isError"], true, "{refused}");
    assert_eq!(refused["structuredContent"]["error"], "refused");
    assert!(
        refused["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("deactivate_user"),
        "{refused}"
    );
    assert_eq!(
        mcp.call_ok("get_user", json!({"user_id": id}))["status"],
        "ACTIVE",
        "a refused delete changes nothing"
    );

    let out = mcp.call_ok("deactivate_user", json!({"user_id": id}));
    assert_eq!(out["success"], true);
    assert_eq!(
        mcp.call_ok("get_user", json!({"user_id": id}))["status"],
        "DEPROVISIONED"
    );

    let out = mcp.call_ok("delete_deactivated_user", json!({"user_id": id}));
    assert_eq!(out["success"], true);
    let gone = mcp.call("get_user", json!({"user_id": id}));
    assert_eq!(gone["isError"], true);
    assert_eq!(gone["structuredContent"]["status"], 404);
    assert!(!org.users().iter().any(|u| u["id"] == json!(id)));
}

#[test]
fn deactivation_asks_first_and_names_the_user() {
    let org = TestOrg::start();
    let user = org
        .users()
        .into_iter()
        .find(|u| u["status"] == "ACTIVE")
        .expect("an active user");
    let id = user["id"].as_str().unwrap().to_owned();
    let login = user["profile"]["login"].as_str().unwrap().to_owned();
    let mut mcp = server(&org, &[]);

    let asked = mcp.call_ok("deactivate_user", json!({"user_id": id}));
    assert_eq!(asked["confirmation_required"], true, "{asked}");
    assert!(
        asked["message"].as_str().unwrap().contains(&login),
        "{asked}"
    );
    assert_eq!(
        mcp.call_ok("get_user", json!({"user_id": id}))["status"],
        "ACTIVE",
        "nothing happens before confirmation"
    );
    mcp.call_ok("deactivate_user", json!({"user_id": id, "confirm": true}));
    assert_eq!(
        mcp.call_ok("get_user", json!({"user_id": id}))["status"],
        "DEPROVISIONED"
    );
}

#[test]
fn list_user_groups_matches_memberships() {
    let org = TestOrg::start();
    let handle = org.sandbox.org();
    let groups = handle.groups();
    let (user_id, expected) = org
        .users()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .find_map(|uid| {
            let mine: BTreeSet<String> = groups
                .iter()
                .filter(|g| {
                    handle
                        .group_members(g["id"].as_str().unwrap())
                        .iter()
                        .any(|m| m["id"] == json!(uid))
                })
                .map(|g| g["id"].as_str().unwrap().to_owned())
                .collect();
            (mine.len() >= 2).then_some((uid, mine))
        })
        .expect("a user in two groups");
    let mut mcp = unconfirmed(&org);
    let out = mcp.call_ok("list_user_groups", json!({"user_id": user_id}));
    let got: BTreeSet<String> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(out["has_more"], false);
    assert_eq!(out["total_fetched"], json!(expected.len()));
}

/// Splits RFC 4180 CSV text into records.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && record.is_empty(), "CSV ends mid-record");
    records
}

#[test]
fn export_writes_exactly_the_users_inside_the_allowed_dir_only() {
    // Enough users for several pages of 200.
    let org = TestOrg::with_config(okta_sandbox::SandboxConfig {
        users: 450,
        ..Default::default()
    });
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let dirs = allowed.path().display().to_string();
    let mut mcp = server(
        &org,
        &[
            ("OKTA_MCP_ALLOWED_KEY_DIRS", dirs.as_str()),
            ("OKTA_MCP_CONFIRM", "never"),
        ],
    );
    // A user whose name would run as a spreadsheet formula, and one with a comma and quotes.
    mcp.call_ok(
        "create_user",
        json!({"profile": {"login": "formula@acme.example.com", "email": "formula@acme.example.com",
               "firstName": "=HYPERLINK(\"http://evil\")", "lastName": "Doe, \"Jr\""}}),
    );

    let path = allowed.path().join("users.csv");
    let out = mcp.call_ok(
        "export_users_csv",
        json!({"output_path": path.display().to_string()}),
    );
    let expected: BTreeSet<String> = org
        .users()
        .iter()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(out["total_users"], json!(expected.len()));
    assert_eq!(out["stopped_early"], false);
    assert!(expected.len() > 400);
    assert_eq!(out["pages_fetched"], json!(expected.len().div_ceil(200)));

    let records = parse_csv(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(records[0].len(), 17);
    assert_eq!(&records[0][..4], ["id", "status", "login", "email"]);
    assert!(records.iter().all(|r| r.len() == 17));
    let ids: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    let unique: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
    assert_eq!(unique.len(), ids.len(), "no user twice");
    assert_eq!(unique, expected);
    let evil = records
        .iter()
        .find(|r| r[2] == "formula@acme.example.com")
        .expect("the created user");
    assert_eq!(evil[4], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(evil[5], "Doe, \"Jr\"");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(allowed.path()).unwrap().count(), 1);

    // The file exists now: refused without overwrite, and left untouched.
    let before = std::fs::read(&path).unwrap();
    let again = mcp.call(
        "export_users_csv",
        json!({"output_path": path.display().to_string(), "search": "status eq \"SUSPENDED\""}),
    );
    assert_eq!(again["isError"], true, "{again}");
    assert_eq!(again["structuredContent"]["error"], "refused");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // With overwrite, a narrower export replaces it.
    let suspended: BTreeSet<String> = org
        .users()
        .iter()
        .filter(|u| u["status"] == "SUSPENDED")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!suspended.is_empty());
    let out = mcp.call_ok(
        "export_users_csv",
        json!({"output_path": path.display().to_string(), "search": "status eq \"SUSPENDED\"", "overwrite": true}),
    );
    assert_eq!(out["total_users"], json!(suspended.len()));
    let records = parse_csv(&std::fs::read_to_string(&path).unwrap());
    let got: BTreeSet<String> = records[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(got, suspended);

    // Outside the allowed directories: refused, nothing written.
    let escape = outside.path().join("users.csv");
    let r = mcp.call(
        "export_users_csv",
        json!({"output_path": escape.display().to_string()}),
    );
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(r["structuredContent"]["error"], "refused");
    assert!(!escape.exists());
    let sneaky = format!(
        "{}/../{}/users.csv",
        allowed.path().display(),
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    let r = mcp.call("export_users_csv", json!({"output_path": sneaky}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(!escape.exists());
}

#[test]
fn profile_attributes_come_from_the_schema() {
    let org = TestOrg::start();
    let granted = okta_sandbox::oauth::MANAGEMENT_SCOPES.contains(&"okta.schemas.read");
    if !granted {
        // Until the org grants okta.schemas.read the tool is hidden and says why.
        let mut mcp = unconfirmed(&org);
        let r = mcp.call("get_user_profile_attributes", json!({}));
        assert_eq!(r["isError"], true, "{r}");
        assert_eq!(r["structuredContent"]["error"], "tool_unavailable");
        assert!(
            r["structuredContent"]["message"]
                .as_str()
                .unwrap()
                .contains("okta.schemas.read")
        );
        return;
    }
    let mut env = org.service_env();
    let mut scopes: Vec<&str> = ALL_SCOPES.to_vec();
    scopes.push("okta.schemas.read");
    env.retain(|(k, _)| k != "OKTA_SCOPES");
    env.push(("OKTA_SCOPES".into(), scopes.join(" ")));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    let out = mcp.call_ok("get_user_profile_attributes", json!({}));
    let attrs = out["attributes"].as_array().unwrap();
    let login = attrs.iter().find(|a| a["name"] == "login").expect("login");
    assert_eq!(login["required"], true);
    assert_eq!(login["custom"], false);
    assert_eq!(login["type"], "string");
    let phone = attrs
        .iter()
        .find(|a| a["name"] == "mobilePhone")
        .expect("mobilePhone");
    assert_eq!(phone["required"], false);
    assert_eq!(out["total"], json!(attrs.len()));
    // Attribute names, not one user's values.
    assert!(attrs.iter().all(|a| a.get("value").is_none()));
}
