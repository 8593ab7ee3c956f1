//! End to end: group tools change the sandbox org as Okta would, through the real binary.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{Mcp, TestOrg, server, unconfirmed};

fn member_ids(org: &TestOrg, group_id: &str) -> Vec<String> {
    org.sandbox
        .org()
        .group_members(group_id)
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn create(mcp: &mut Mcp, name: &str) -> String {
    let group = mcp.call_ok(
        "create_group",
        json!({"profile": {"name": name, "description": "made by a test"}}),
    );
    assert_eq!(group["type"], "OKTA_GROUP");
    group["id"].as_str().expect("group id").to_owned()
}

#[test]
fn create_update_delete_round_trip() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let id = create(&mut mcp, "Platform Team");
    let got = mcp.call_ok("get_group", json!({"group_id": id}));
    assert_eq!(got["profile"]["name"], "Platform Team");
    assert_eq!(got["profile"]["description"], "made by a test");

    // PUT replaces the whole profile: the description left out is gone.
    let updated = mcp.call_ok(
        "update_group",
        json!({"group_id": id, "profile": {"name": "Platform Engineering"}}),
    );
    assert_eq!(updated["profile"]["name"], "Platform Engineering");
    let got = mcp.call_ok("get_group", json!({"group_id": id}));
    assert_eq!(got["profile"]["name"], "Platform Engineering");
    assert!(got["profile"].get("description").is_none(), "{got}");

    // A profile without a name is refused before any call.
    let r = mcp.call("create_group", json!({"profile": {"description": "x"}}));
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");

    let out = mcp.call_ok("delete_group", json!({"group_id": id}));
    assert_eq!(out["success"], true);
    let gone = mcp.call("get_group", json!({"group_id": id}));
    assert_eq!(gone["structuredContent"]["status"], 404, "{gone}");
}

#[test]
fn deleting_asks_first_and_the_deprecated_form_needs_the_word_and_the_gate() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let id = create(&mut mcp, "Short Lived");

    let asked = mcp.call_ok("delete_group", json!({"group_id": id}));
    assert_eq!(asked["confirmation_required"], true, "{asked}");
    assert!(
        asked["message"].as_str().unwrap().contains("Short Lived"),
        "{asked}"
    );

    let wrong = mcp.call(
        "confirm_delete_group",
        json!({"group_id": id, "confirmation": "delete", "confirm": true}),
    );
    assert_eq!(wrong["isError"], true, "{wrong}");
    assert_eq!(wrong["structuredContent"]["error"], "invalid_arguments");

    // The right word alone does not skip the confirmation gate.
    let asked = mcp.call_ok(
        "confirm_delete_group",
        json!({"group_id": id, "confirmation": "DELETE"}),
    );
    assert_eq!(asked["confirmation_required"], true, "{asked}");
    mcp.call_ok("get_group", json!({"group_id": id}));

    let out = mcp.call_ok(
        "confirm_delete_group",
        json!({"group_id": id, "confirmation": "DELETE", "confirm": true}),
    );
    assert_eq!(out["success"], true);
    assert!(
        !org.sandbox
            .org()
            .groups()
            .iter()
            .any(|g| g["id"] == json!(id))
    );
}

#[test]
fn adding_twice_is_one_membership_and_removal_takes_it_away() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let group = create(&mut mcp, "Membership Test");
    let user = org
        .users()
        .into_iter()
        .find(|u| u["status"] == "ACTIVE")
        .expect("an active user");
    let uid = user["id"].as_str().unwrap().to_owned();

    let first = mcp.call_ok(
        "add_user_to_group",
        json!({"group_id": group, "user_id": uid}),
    );
    assert_eq!(first["success"], true);
    assert_eq!(first["already_member"], false, "{first}");
    let second = mcp.call_ok(
        "add_user_to_group",
        json!({"group_id": group, "user_id": uid}),
    );
    assert_eq!(second["already_member"], true, "{second}");
    assert_eq!(member_ids(&org, &group), vec![uid.clone()]);

    let members = mcp.call_ok("list_group_users", json!({"group_id": group}));
    assert_eq!(members["total_fetched"], 1);
    let groups_of_user = mcp.call_ok("list_user_groups", json!({"user_id": uid}));
    assert!(
        groups_of_user["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == json!(group))
    );

    let out = mcp.call_ok(
        "remove_user_from_group",
        json!({"group_id": group, "user_id": uid}),
    );
    assert_eq!(out["success"], true);
    assert!(member_ids(&org, &group).is_empty());

    // An unknown user is Okta's 404, not a silent success.
    let r = mcp.call(
        "add_user_to_group",
        json!({"group_id": group, "user_id": "00unosuchuser"}),
    );
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(r["structuredContent"]["status"], 404);
}

#[test]
fn removal_confirmation_names_user_and_group() {
    let org = TestOrg::start();
    let handle = org.sandbox.org();
    let (group, member) = handle
        .groups()
        .iter()
        .find_map(|g| {
            let gid = g["id"].as_str().unwrap().to_owned();
            let first = handle.group_members(&gid).first().cloned()?;
            Some((g.clone(), first))
        })
        .expect("a group with a member");
    let gid = group["id"].as_str().unwrap();
    let uid = member["id"].as_str().unwrap();
    let mut mcp = server(&org, &[]);
    let asked = mcp.call_ok(
        "remove_user_from_group",
        json!({"group_id": gid, "user_id": uid}),
    );
    let message = asked["message"].as_str().unwrap();
    assert!(
        message.contains(group["profile"]["name"].as_str().unwrap()),
        "{message}"
    );
    assert!(
        message.contains(member["profile"]["login"].as_str().unwrap()),
        "{message}"
    );
    assert!(member_ids(&org, gid).contains(&uid.to_owned()));
}

#[test]
fn list_group_apps_returns_the_assigned_apps() {
    let org = TestOrg::start();
    let handle = org.sandbox.org();
    let mut expected_by_group: std::collections::BTreeMap<String, BTreeSet<String>> =
        Default::default();
    for app in handle.apps() {
        let app_id = app["id"].as_str().unwrap().to_owned();
        for assignment in handle.app_groups(&app_id) {
            let gid = assignment["id"].as_str().unwrap().to_owned();
            expected_by_group
                .entry(gid)
                .or_default()
                .insert(app_id.clone());
        }
    }
    let (gid, expected) = expected_by_group
        .into_iter()
        .max_by_key(|(_, apps)| apps.len())
        .expect("a group with apps");
    let mut mcp = unconfirmed(&org);
    let out = mcp.call_ok(
        "list_group_apps",
        json!({"group_id": gid, "fetch_all": true, "fields": "id,label,status"}),
    );
    let got: BTreeSet<String> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a: &Value| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected);
}
