//! End to end: who is assigned to an app (users directly or through groups, groups), the
//! tools that change it, a SAML app's metadata and the apps a user reaches, through the real
//! binary against the sandbox org.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{Mcp, TestOrg, call_answering_confirmation, server, unconfirmed};

fn ids(items: &Value) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("a list: {items}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn app_by_label(org: &TestOrg, label: &str) -> Value {
    org.sandbox
        .org()
        .apps()
        .into_iter()
        .find(|a| a["label"] == label)
        .unwrap_or_else(|| panic!("a seeded app labelled {label}"))
}

/// An ACTIVE user assigned to none of `app_id`'s users (directly or by group).
fn unassigned_user(org: &TestOrg, app_id: &str, skip: usize) -> Value {
    let assigned = ids(&Value::Array(org.sandbox.org().app_users(app_id)));
    org.users()
        .into_iter()
        .filter(|u| u["status"] == "ACTIVE")
        .filter(|u| !assigned.contains(u["id"].as_str().unwrap()))
        .nth(skip)
        .expect("an unassigned active user")
}

fn prompting_server(org: &TestOrg, extra: &[(&str, &str)]) -> Mcp {
    let mut env = org.service_env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize_with("2025-06-18", json!({"elicitation": {}}));
    mcp
}

#[test]
fn app_users_and_groups_list_with_their_scope() {
    let org = TestOrg::start();
    let handle = org.sandbox.org();
    // A seeded app with a group assignment whose group has members.
    let app = handle
        .apps()
        .into_iter()
        .find(|a| {
            let id = a["id"].as_str().unwrap();
            handle
                .app_groups(id)
                .iter()
                .any(|g| !handle.group_members(g["id"].as_str().unwrap()).is_empty())
        })
        .expect("a seeded app assigned to a group with members");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let mut mcp = server(&org, &[]);

    let users = mcp.call_ok(
        "list_application_users",
        json!({"app_id": app_id, "fetch_all": true}),
    );
    let expected = handle.app_users(&app_id);
    assert_eq!(ids(&users["items"]), ids(&Value::Array(expected.clone())));
    let scopes: BTreeSet<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["scope"].as_str().unwrap())
        .collect();
    assert!(
        scopes.contains("GROUP"),
        "group members are app users: {scopes:?}"
    );
    let links = users.to_string();
    assert!(!links.contains("_links"), "results are compacted");

    // fields, q and paging.
    let slim = mcp.call_ok(
        "list_application_users",
        json!({"app_id": app_id, "fields": "id,scope", "limit": 1}),
    );
    let first = &slim["items"][0];
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "scope"]
    );
    if expected.len() > 1 {
        assert_eq!(slim["has_more"], true, "{slim}");
        let next = mcp.call_ok(
            "list_application_users",
            json!({"app_id": app_id, "fields": "id", "limit": 1, "after": slim["next_cursor"]}),
        );
        assert_ne!(next["items"][0]["id"], first["id"]);
    }
    let user_name = expected[0]["credentials"]["userName"].as_str().unwrap();
    let found = mcp.call_ok(
        "list_application_users",
        json!({"app_id": app_id, "q": &user_name[..4], "include_user": true}),
    );
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["credentials"]["userName"] == user_name
                && u["_embedded"]["user"]["profile"]["login"].is_string()),
        "{found}"
    );

    let groups = mcp.call_ok("list_application_groups", json!({"app_id": app_id}));
    assert_eq!(
        ids(&groups["items"]),
        ids(&Value::Array(handle.app_groups(&app_id)))
    );
    assert!(groups["items"][0]["priority"].is_number(), "{groups}");

    // Okta's error names the app that is not there.
    let missing = mcp.call("list_application_users", json!({"app_id": "0oaNoSuchApp"}));
    assert_eq!(missing["isError"], true, "{missing}");
    assert_eq!(missing["structuredContent"]["status"], 404, "{missing}");
    assert!(missing.to_string().contains("0oaNoSuchApp"), "{missing}");
}

#[test]
fn a_user_is_assigned_with_app_credentials_updated_and_unassigned_on_confirmation() {
    let org = TestOrg::start();
    // A password app: each user has their own username and password there.
    let app = app_by_label(&org, "Legacy Payroll");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let user = unassigned_user(&org, &app_id, 0);
    let user_id = user["id"].as_str().unwrap().to_owned();
    let login = user["profile"]["login"].as_str().unwrap().to_owned();
    let password = "Payroll-Secret-9f3k!";
    let mut mcp = prompting_server(&org, &[("OKTA_LOG_LEVEL", "debug")]);

    // By login: the tool looks the id up for Okta's body.
    let assigned = mcp.call_ok(
        "assign_user_to_application",
        json!({"app_id": app_id, "user_id": login,
               "profile": {"department": "Finance", "costCenter": "F-1"},
               "credentials": {"userName": "jdoe-payroll", "password": password}}),
    );
    assert_eq!(assigned["id"], json!(user_id));
    assert_eq!(assigned["scope"], "USER");
    assert_eq!(assigned["credentials"]["userName"], "jdoe-payroll");
    assert_eq!(assigned["profile"]["department"], "Finance");
    assert!(!assigned.to_string().contains(password), "{assigned}");
    let stored = org
        .sandbox
        .org()
        .app_users(&app_id)
        .into_iter()
        .find(|u| u["id"] == json!(user_id))
        .expect("assigned at the org");
    assert_eq!(stored["scope"], "USER");

    // A partial update keeps what it does not name.
    let updated = mcp.call_ok(
        "update_application_user",
        json!({"app_id": app_id, "user_id": user_id, "profile": {"department": "Payroll"}}),
    );
    assert_eq!(updated["profile"]["department"], "Payroll");
    assert_eq!(updated["profile"]["costCenter"], "F-1");
    let nothing = mcp.call(
        "update_application_user",
        json!({"app_id": app_id, "user_id": user_id}),
    );
    assert_eq!(nothing["isError"], true);
    assert!(
        nothing
            .to_string()
            .contains("profile attributes or credentials"),
        "{nothing}"
    );

    // Declined: still assigned. The question names the login and the app's label.
    let (question, declined) = call_answering_confirmation(
        &mut mcp,
        900,
        "unassign_user_from_application",
        json!({"app_id": app_id, "user_id": user_id}),
        "decline",
    );
    assert!(
        question.contains(&login) && question.contains("Legacy Payroll"),
        "{question}"
    );
    assert_eq!(
        declined["result"]["structuredContent"]["cancelled"], true,
        "{declined}"
    );
    assert!(ids(&Value::Array(org.sandbox.org().app_users(&app_id))).contains(&user_id));

    let (_, accepted) = call_answering_confirmation(
        &mut mcp,
        901,
        "unassign_user_from_application",
        json!({"app_id": app_id, "user_id": login}),
        "accept",
    );
    assert_eq!(
        accepted["result"]["structuredContent"]["success"], true,
        "{accepted}"
    );
    assert!(!ids(&Value::Array(org.sandbox.org().app_users(&app_id))).contains(&user_id));

    // Gone: Okta's 404 comes back naming the user.
    let again = mcp.call(
        "update_application_user",
        json!({"app_id": app_id, "user_id": user_id, "profile": {"x": "y"}}),
    );
    assert_eq!(again["isError"], true, "{again}");
    assert!(again.to_string().contains(&user_id), "{again}");

    // The password never reached a log line, even at debug.
    mcp.request("ping", json!({}));
    let stderr = mcp.stderr();
    assert!(
        stderr.contains("okta response"),
        "debug logs each request: {stderr}"
    );
    assert!(
        !stderr.contains(password),
        "the app password in the log: {stderr}"
    );
}

#[test]
fn okta_refusals_name_what_was_wrong() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let saml = app_by_label(&org, "Salesforce.com");
    let saml_id = saml["id"].as_str().unwrap();
    let user = unassigned_user(&org, saml_id, 1);

    // A SAML app has no per-user password: Okta's E0000041, nothing assigned.
    let refused = mcp.call(
        "assign_user_to_application",
        json!({"app_id": saml_id, "user_id": user["id"],
               "credentials": {"password": "Not-Here-1!"}}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    assert_eq!(
        refused["structuredContent"]["errorCode"], "E0000041",
        "{refused}"
    );
    assert!(!refused.to_string().contains("Not-Here-1!"), "{refused}");
    assert!(
        !ids(&Value::Array(org.sandbox.org().app_users(saml_id)))
            .contains(user["id"].as_str().unwrap())
    );

    let nobody = mcp.call(
        "assign_user_to_application",
        json!({"app_id": saml_id, "user_id": "nobody@acme.example.com"}),
    );
    assert_eq!(nobody["isError"], true, "{nobody}");
    assert!(
        nobody.to_string().contains("nobody@acme.example.com"),
        "{nobody}"
    );

    let bad = mcp.call(
        "assign_user_to_application",
        json!({"app_id": saml_id, "user_id": user["id"], "credentials": {"pin": "1"}}),
    );
    assert_eq!(bad["isError"], true, "{bad}");
    assert!(bad.to_string().contains("pin"), "{bad}");
}

#[test]
fn a_group_assignment_gives_its_members_the_app_until_it_is_removed() {
    let org = TestOrg::start();
    let handle = org.sandbox.org();
    let app = app_by_label(&org, "Company Handbook");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let assigned_groups = ids(&Value::Array(handle.app_groups(&app_id)));
    let (group_id, member) = handle
        .groups()
        .into_iter()
        .filter(|g| g["type"] == "OKTA_GROUP")
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .filter(|g| !assigned_groups.contains(g))
        .find_map(|g| {
            let direct = ids(&Value::Array(handle.app_users(&app_id)));
            let member = handle
                .group_members(&g)
                .into_iter()
                .find(|m| m["status"] == "ACTIVE" && !direct.contains(m["id"].as_str().unwrap()))?;
            Some((g, member))
        })
        .expect("a group not assigned to the app with an unassigned active member");
    let member_id = member["id"].as_str().unwrap().to_owned();
    let mut mcp = prompting_server(&org, &[]);

    let assignment = mcp.call_ok(
        "assign_group_to_application",
        json!({"app_id": app_id, "group_id": group_id, "priority": 0,
               "profile": {"role": "Reader"}}),
    );
    assert_eq!(assignment["id"], json!(group_id));
    assert_eq!(assignment["priority"], 0);
    assert_eq!(assignment["profile"]["role"], "Reader");

    let users = mcp.call_ok(
        "list_application_users",
        json!({"app_id": app_id, "fetch_all": true, "fields": "id,scope"}),
    );
    let through_group = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == json!(member_id))
        .unwrap_or_else(|| panic!("{member_id} has the app through the group: {users}"));
    assert_eq!(through_group["scope"], "GROUP");

    // The member reaches the app; list_user_applications says so.
    let reached = mcp.call_ok(
        "list_user_applications",
        json!({"user_id": member["profile"]["login"]}),
    );
    assert!(
        reached["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["appInstanceId"] == json!(app_id) && l["label"] == "Company Handbook"),
        "{reached}"
    );

    // A group's member cannot be unassigned alone: refused before asking, nothing changed.
    let refused = mcp.call(
        "unassign_user_from_application",
        json!({"app_id": app_id, "user_id": member_id}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(
        refused.to_string().contains("through a group")
            && refused
                .to_string()
                .contains("unassign_group_from_application"),
        "{refused}"
    );
    assert!(ids(&Value::Array(handle.app_users(&app_id))).contains(&member_id));

    // Declined, then accepted; the question names the group and the app.
    let (question, declined) = call_answering_confirmation(
        &mut mcp,
        910,
        "unassign_group_from_application",
        json!({"app_id": app_id, "group_id": group_id}),
        "decline",
    );
    assert!(
        question.contains("Company Handbook") && question.contains(&group_id),
        "{question}"
    );
    assert_eq!(declined["result"]["structuredContent"]["cancelled"], true);
    assert!(ids(&Value::Array(handle.app_groups(&app_id))).contains(&group_id));
    let (_, accepted) = call_answering_confirmation(
        &mut mcp,
        911,
        "unassign_group_from_application",
        json!({"app_id": app_id, "group_id": group_id}),
        "accept",
    );
    assert_eq!(
        accepted["result"]["structuredContent"]["success"], true,
        "{accepted}"
    );
    assert!(!ids(&Value::Array(handle.app_users(&app_id))).contains(&member_id));
    let reached = mcp.call_ok("list_user_applications", json!({"user_id": member_id}));
    assert!(
        !reached["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["appInstanceId"] == json!(app_id)),
        "{reached}"
    );

    // Again: Okta would answer 204; the tool says the group is not assigned.
    let (_, again) = call_answering_confirmation(
        &mut mcp,
        912,
        "unassign_group_from_application",
        json!({"app_id": app_id, "group_id": group_id}),
        "accept",
    );
    let again = &again["result"];
    assert_eq!(again["isError"], true, "{again}");
    assert!(again.to_string().contains("not assigned"), "{again}");

    let unknown = mcp.call(
        "list_user_applications",
        json!({"user_id": "00uNoSuchUser"}),
    );
    assert_eq!(unknown["isError"], true);
    assert!(unknown.to_string().contains("00uNoSuchUser"), "{unknown}");
}

#[test]
fn saml_metadata_is_returned_with_its_facts_and_refused_for_other_apps() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let app = app_by_label(&org, "Slack");
    let app_id = app["id"].as_str().unwrap();
    let out = mcp.call_ok("get_application_saml_metadata", json!({"app_id": app_id}));
    let xml = out["metadata_xml"].as_str().unwrap();
    assert!(
        xml.contains("md:EntityDescriptor") && xml.contains("X509Certificate"),
        "{xml}"
    );
    let entity = out["entity_id"].as_str().unwrap();
    assert!(entity.starts_with("http://www.okta.com/exk"), "{out}");
    assert!(xml.contains(&format!("entityID=\"{entity}\"")));
    let sso = out["sso_urls"].as_array().unwrap();
    assert_eq!(sso.len(), 2, "{out}");
    assert!(sso.iter().all(|s| {
        s["location"]
            .as_str()
            .unwrap()
            .starts_with(&org.sandbox.url())
    }));
    assert!(
        sso.iter()
            .any(|s| s["binding"].as_str().unwrap().ends_with("HTTP-POST"))
    );
    assert_eq!(out["kid"], app["credentials"]["signing"]["kid"]);
    // The certificate runs ten years from the app's creation.
    let cert = &out["certificate"];
    let created = chrono::DateTime::parse_from_rfc3339(app["created"].as_str().unwrap()).unwrap();
    let not_before =
        chrono::DateTime::parse_from_rfc3339(cert["not_before"].as_str().unwrap()).unwrap();
    let not_after =
        chrono::DateTime::parse_from_rfc3339(cert["not_after"].as_str().unwrap()).unwrap();
    assert_eq!(not_before.timestamp(), created.timestamp(), "{cert}");
    assert_eq!((not_after - not_before).num_days(), 3652, "{cert}");
    assert_eq!(cert["expired"], false);
    assert!(
        cert["subject"].as_str().unwrap().contains("Slack"),
        "{cert}"
    );
    assert!(!xml.contains("PRIVATE KEY"));

    // The same certificate on a second read.
    let again = mcp.call_ok("get_application_saml_metadata", json!({"app_id": app_id}));
    assert_eq!(again["metadata_xml"], out["metadata_xml"]);

    let oidc = app_by_label(&org, "Internal Portal");
    let refused = mcp.call(
        "get_application_saml_metadata",
        json!({"app_id": oidc["id"]}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(
        refused.to_string().contains("OPENID_CONNECT")
            && refused.to_string().contains("not SAML 2.0"),
        "{refused}"
    );
    let wrong_key = mcp.call(
        "get_application_saml_metadata",
        json!({"app_id": app_id, "kid": "no-such-kid"}),
    );
    assert_eq!(wrong_key["structuredContent"]["status"], 404, "{wrong_key}");
    let missing = mcp.call(
        "get_application_saml_metadata",
        json!({"app_id": "0oaNoSuchApp"}),
    );
    assert!(missing.to_string().contains("0oaNoSuchApp"), "{missing}");
}

#[test]
fn read_only_mode_keeps_the_reads_and_hides_the_writes() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_READ_ONLY", "true")]);
    let names: BTreeSet<String> = mcp
        .list_tools()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    for read in [
        "list_application_users",
        "list_application_groups",
        "get_application_saml_metadata",
        "list_user_applications",
    ] {
        assert!(names.contains(read), "{read} is offered read-only");
    }
    for write in [
        "assign_user_to_application",
        "update_application_user",
        "unassign_user_from_application",
        "assign_group_to_application",
        "unassign_group_from_application",
    ] {
        assert!(!names.contains(write), "{write} is hidden read-only");
        let refused = mcp.call(
            write,
            json!({"app_id": "0oa1", "user_id": "00u1", "group_id": "00g1"}),
        );
        assert_eq!(
            refused["structuredContent"]["error"], "tool_unavailable",
            "{write}: {refused}"
        );
    }
}
