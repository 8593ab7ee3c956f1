//! End to end: the real binary over stdio against the sandbox org over real HTTP.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{Mcp, TestOrg, server};

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn initialize_reports_server_identity_and_tools() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    let init = mcp.initialize_with("2025-11-25", json!({}));
    assert_eq!(init["serverInfo"]["name"], "okta-mcp-server");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(init["instructions"].as_str().unwrap().contains("Okta"));
    assert_eq!(init["protocolVersion"], "2025-11-25");
    let names: BTreeSet<String> = mcp
        .list_tools()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    for name in [
        "list_users",
        "get_user",
        "list_groups",
        "get_group",
        "list_group_users",
        "get_logs",
        "get_scope_status",
    ] {
        assert!(
            names.contains(name),
            "{name} missing from tools/list: {names:?}"
        );
    }
}

#[test]
fn search_returns_exactly_the_seeded_matches() {
    let org = TestOrg::start();
    let users = org.users();
    let department = users[0]["profile"]["department"]
        .as_str()
        .unwrap()
        .to_owned();
    let expected: BTreeSet<String> = users
        .iter()
        .filter(|u| u["profile"]["department"] == json!(department))
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() > 1 && expected.len() < users.len());
    let mut mcp = server(&org, &[]);
    let out = mcp.call_ok(
        "list_users",
        json!({"search": format!("profile.department eq \"{department}\""), "fetch_all": true}),
    );
    let got: BTreeSet<String> = ids(&out["items"]).into_iter().collect();
    assert_eq!(got, expected);
    assert_eq!(out["has_more"], false);
    assert_eq!(out["total_fetched"], json!(expected.len()));
    // Compact shaping: no _links, and Okta's own field names.
    assert!(out["items"][0].get("_links").is_none());
    assert!(out["items"][0]["profile"]["login"].is_string());
}

#[test]
fn pages_are_disjoint_and_their_union_is_the_full_set() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let everything = mcp.call_ok("list_users", json!({"fetch_all": true, "fields": "id"}));
    let all: BTreeSet<String> = ids(&everything["items"]).into_iter().collect();
    assert!(
        all.len() >= 150,
        "expected most of the 200 seeded users, got {}",
        all.len()
    );

    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = json!({"limit": 37, "fields": "id,status"});
        if let Some(c) = &cursor {
            args["after"] = json!(c);
        }
        let page = mcp.call_ok("list_users", args);
        for id in ids(&page["items"]) {
            assert!(seen.insert(id.clone()), "{id} appeared on two pages");
        }
        pages += 1;
        if page["has_more"] == false {
            assert!(page["next_cursor"].is_null());
            break;
        }
        cursor = Some(page["next_cursor"].as_str().expect("cursor").to_owned());
        assert!(pages < 50, "paging does not end");
    }
    assert_eq!(seen, all);
    assert_eq!(pages, all.len().div_ceil(37));
}

#[test]
fn logs_filter_and_window_return_exactly_the_matching_events() {
    let org = TestOrg::start();
    let events = org.sandbox.org().log_events();
    let mut published: Vec<String> = events
        .iter()
        .map(|e| e["published"].as_str().unwrap().to_owned())
        .collect();
    published.sort();
    let since = published[published.len() / 4].clone();
    let until = published[published.len() * 3 / 4].clone();
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let (lo, hi) = (parse(&since), parse(&until));
    let expected: BTreeSet<String> = events
        .iter()
        .filter(|e| e["outcome"]["result"] == "DENY")
        .filter(|e| {
            let t = parse(e["published"].as_str().unwrap());
            t >= lo && t < hi
        })
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!expected.is_empty());

    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "50000000")]);
    let out = mcp.call_ok(
        "get_logs",
        json!({"filter": "outcome.result eq \"DENY\"", "since": since, "until": until, "fetch_all": true, "limit": 100}),
    );
    let items = out["items"].as_array().unwrap();
    for e in items {
        assert_eq!(e["outcome"]["result"], "DENY");
        let t = parse(e["published"].as_str().unwrap());
        assert!(t >= lo && t < hi, "event at {t} outside [{lo}, {hi})");
    }
    let got: BTreeSet<String> = items
        .iter()
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got.len(), items.len(), "no duplicates");
    assert_eq!(got, expected);
}

#[test]
fn fetch_all_returns_every_one_of_5000_events() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "100000000")]);
    let out = mcp.call_ok("get_logs", json!({"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z", "fetch_all": true, "fields": "uuid"}));
    assert_eq!(out["total_fetched"], 5000);
    let uuids: BTreeSet<&str> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids.len(), 5000);
    assert_eq!(out["pagination_info"]["stopped_early"], false);
}

#[test]
fn group_tools_read_the_seeded_groups_and_members() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let groups = mcp.call_ok("list_groups", json!({"fetch_all": true}));
    let seeded = org.sandbox.org().groups();
    assert_eq!(groups["total_fetched"], json!(seeded.len()));
    let with_members = seeded
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .find(|id| !org.sandbox.org().group_members(id).is_empty())
        .expect("a group with members");
    let got = mcp.call_ok("get_group", json!({"group_id": with_members}));
    assert_eq!(got["id"], json!(with_members));
    let members = mcp.call_ok(
        "list_group_users",
        json!({"group_id": with_members, "fetch_all": true}),
    );
    let expected: BTreeSet<String> = org
        .sandbox
        .org()
        .group_members(&with_members)
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let got: BTreeSet<String> = ids(&members["items"]).into_iter().collect();
    assert_eq!(got, expected);
}

#[test]
fn get_user_by_id_and_login() {
    let org = TestOrg::start();
    let user = org.users()[3].clone();
    let mut mcp = server(&org, &[]);
    let by_id = mcp.call_ok("get_user", json!({"user_id": user["id"]}));
    assert_eq!(by_id["profile"]["login"], user["profile"]["login"]);
    let by_login = mcp.call_ok(
        "get_user",
        json!({"user_id": user["profile"]["login"], "fields": "id,status"}),
    );
    assert_eq!(
        by_login,
        json!({"id": user["id"], "status": user["status"]})
    );
}
