//! End to end: application and catalogue tools against the sandbox org, through the real binary.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{TestOrg, server, unconfirmed};

fn ids(items: &Value, key: &str) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_owned())
        .collect()
}

fn bookmark(label: &str) -> Value {
    json!({"name": "bookmark", "label": label, "signOnMode": "BOOKMARK",
           "settings": {"app": {"url": "https://wiki.acme.example.com", "requestIntegration": false}}})
}

#[test]
fn lifecycle_from_create_to_delete() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let app = mcp.call_ok(
        "create_application",
        json!({"app_config": bookmark("Team Wiki"), "activate": false}),
    );
    let id = app["id"].as_str().expect("app id").to_owned();
    assert_eq!(app["status"], "INACTIVE");
    let got = mcp.call_ok("get_application", json!({"app_id": id}));
    assert_eq!(got["label"], "Team Wiki");
    assert_eq!(
        got["settings"]["app"]["url"],
        "https://wiki.acme.example.com"
    );

    mcp.call_ok("activate_application", json!({"app_id": id}));
    assert_eq!(
        mcp.call_ok("get_application", json!({"app_id": id}))["status"],
        "ACTIVE"
    );

    // Okta deletes only inactive apps; the tool says so and deletes nothing.
    let refused = mcp.call("delete_application", json!({"app_id": id}));
    assert_eq!(refused["isError"], true, "{refused}");
    assert!(
        refused["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("deactivate_application"),
        "{refused}"
    );
    mcp.call_ok("get_application", json!({"app_id": id}));

    mcp.call_ok("deactivate_application", json!({"app_id": id}));
    assert_eq!(
        mcp.call_ok("get_application", json!({"app_id": id}))["status"],
        "INACTIVE"
    );
    let out = mcp.call_ok("delete_application", json!({"app_id": id}));
    assert_eq!(out["success"], true);
    let gone = mcp.call("get_application", json!({"app_id": id}));
    assert_eq!(gone["structuredContent"]["status"], 404, "{gone}");
}

#[test]
fn update_replaces_and_bodies_pass_through() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let app = mcp.call_ok(
        "create_application",
        json!({"app_config": bookmark("Old Label")}),
    );
    assert_eq!(app["status"], "ACTIVE", "activate defaults to true");
    let id = app["id"].as_str().unwrap().to_owned();
    let mut changed = app.clone();
    changed["label"] = json!("New Label");
    changed["settings"]["app"]["url"] = json!("https://docs.acme.example.com");
    let updated = mcp.call_ok(
        "update_application",
        json!({"app_id": id, "app_config": changed}),
    );
    assert_eq!(updated["label"], "New Label");
    let got = mcp.call_ok("get_application", json!({"app_id": id}));
    assert_eq!(got["label"], "New Label");
    assert_eq!(
        got["settings"]["app"]["url"],
        "https://docs.acme.example.com"
    );

    // Okta's validation errors come back with their causes.
    let bad = mcp.call(
        "create_application",
        json!({"app_config": {"name": "bookmark", "label": "No URL", "signOnMode": "BOOKMARK"}}),
    );
    assert_eq!(bad["isError"], true, "{bad}");
    assert_eq!(bad["structuredContent"]["status"], 400);
    assert!(bad["structuredContent"]["errorCauses"].is_array(), "{bad}");
}

#[test]
fn listing_and_filters_match_the_org() {
    let org = TestOrg::start();
    let apps = org.sandbox.org().apps();
    let mut mcp = unconfirmed(&org);
    let all = mcp.call_ok(
        "list_applications",
        json!({"fetch_all": true, "fields": "id,status"}),
    );
    let expected: BTreeSet<String> = apps
        .iter()
        .filter(|a| a["status"] != "DELETED")
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids(&all["items"], "id"), expected);
    let active = mcp.call_ok(
        "list_applications",
        json!({"filter": "status eq \"ACTIVE\"", "fetch_all": true}),
    );
    let expected_active: BTreeSet<String> = apps
        .iter()
        .filter(|a| a["status"] == "ACTIVE")
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!expected_active.is_empty() && expected_active.len() < expected.len());
    assert_eq!(ids(&active["items"], "id"), expected_active);
}

#[test]
fn deletion_needs_confirmation_and_the_deprecated_word() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let app = mcp.call_ok(
        "create_application",
        json!({"app_config": bookmark("Doomed"), "activate": false}),
    );
    let id = app["id"].as_str().unwrap().to_owned();
    let asked = mcp.call_ok("delete_application", json!({"app_id": id}));
    assert_eq!(asked["confirmation_required"], true);
    assert!(asked["message"].as_str().unwrap().contains("Doomed"));
    let wrong = mcp.call(
        "confirm_delete_application",
        json!({"app_id": id, "confirmation": "yes", "confirm": true}),
    );
    assert_eq!(wrong["structuredContent"]["error"], "invalid_arguments");
    mcp.call_ok("get_application", json!({"app_id": id}));
    mcp.call_ok(
        "confirm_delete_application",
        json!({"app_id": id, "confirmation": "DELETE", "confirm": true}),
    );
    let gone = mcp.call("get_application", json!({"app_id": id}));
    assert_eq!(gone["structuredContent"]["status"], 404);
}

#[test]
fn catalogue_pages_exactly_and_installs() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let everything = mcp.call_ok("list_catalog_apps", json!({"fetch_all": true}));
    let all = ids(&everything["items"], "name");
    assert_eq!(
        everything["total_fetched"],
        json!(all.len()),
        "no duplicates"
    );
    assert!(all.len() > 10);
    assert_eq!(everything["has_more"], false);

    // Walking by cursor gives the same set, disjoint pages, and no phantom last page.
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = json!({"limit": 4});
        if let Some(c) = &cursor {
            args["after"] = json!(c);
        }
        let page = mcp.call_ok("list_catalog_apps", args);
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "an empty page after has_more=true");
        for name in ids(&page["items"], "name") {
            assert!(seen.insert(name));
        }
        pages += 1;
        if page["has_more"] == false {
            break;
        }
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        assert!(pages < 100);
    }
    assert_eq!(seen, all);
    assert_eq!(pages, all.len().div_ceil(4));

    let found = mcp.call_ok("list_catalog_apps", json!({"q": "bookmark"}));
    assert!(ids(&found["items"], "name").contains("bookmark"));
    let entry = mcp.call_ok("get_catalog_app", json!({"app_name": "bookmark"}));
    assert_eq!(entry["name"], "bookmark");
    assert!(
        entry["_embedded"]["schema"]["properties"]
            .get("url")
            .is_some(),
        "{entry}"
    );
    let missing = mcp.call("get_catalog_app", json!({"app_name": "no_such_app"}));
    assert_eq!(missing["structuredContent"]["status"], 404, "{missing}");

    let installed = mcp.call_ok(
        "install_oin_app",
        json!({"name": "bookmark", "label": "Intranet", "sign_on_mode": "BOOKMARK",
               "settings": {"app": {"url": "https://intranet.acme.example.com"}}}),
    );
    let id = installed["id"].as_str().unwrap();
    assert_eq!(installed["status"], "ACTIVE");
    let got = mcp.call_ok("get_application", json!({"app_id": id}));
    assert_eq!(got["label"], "Intranet");
    assert_eq!(got["name"], "bookmark");
}
