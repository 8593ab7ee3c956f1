//! LLM-sized results: shaping, projection, the byte budget with an exact continuation
//! cursor, and summarize_logs agreeing with a full fetch.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::{Mcp, TestOrg, server};

const ALL_TIME: (&str, &str) = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");

#[test]
fn shaping_keeps_okta_fields_and_drops_only_links_nulls_and_empty_objects() {
    let org = TestOrg::start();
    let raw = org
        .users()
        .into_iter()
        .find(|u| u["status"] == "ACTIVE")
        .unwrap();
    let mut mcp = server(&org, &[]);
    let got = mcp.call_ok("get_user", json!({"user_id": raw["id"]}));
    fn check(raw: &Value, got: &Value, path: &str) {
        match raw {
            Value::Object(map) => {
                for (k, v) in map {
                    let p = format!("{path}.{k}");
                    let dropped = k == "_links"
                        || v.is_null()
                        || matches!(v, Value::Object(m) if m.is_empty());
                    if dropped {
                        assert!(got.get(k).is_none(), "{p} should be dropped");
                    } else {
                        check(v, &got[k], &p);
                    }
                }
            }
            other => assert_eq!(other, got, "{path} changed"),
        }
    }
    check(&raw, &got, "user");
}

#[test]
fn budget_cuts_at_an_item_and_the_cursor_continues_exactly() {
    let org = TestOrg::start();
    // A window of about 1,200 events keeps the run short while spanning several pages.
    let mut published: Vec<String> = org
        .sandbox
        .org()
        .log_events()
        .iter()
        .map(|e| e["published"].as_str().unwrap().to_owned())
        .collect();
    published.sort();
    let (since, until) = (published[1000].clone(), published[2200].clone());
    let window = json!({"since": since, "until": until});
    let mut full_server = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "100000000")]);
    let mut args = window.clone();
    args["fetch_all"] = json!(true);
    args["fields"] = json!("uuid");
    let full = full_server.call_ok("get_logs", args);
    let expected: Vec<Value> = full["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uuid"].clone())
        .collect();
    assert!(expected.len() >= 1100, "{}", expected.len());

    let mut small = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "60000")]);
    let mut got: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    let mut truncated_results = 0;
    for _ in 0..200 {
        let mut args = window.clone();
        args["limit"] = json!(400);
        if let Some(a) = &after {
            args["after"] = json!(a);
        }
        let page = small.call_ok("get_logs", args);
        let text_len = serde_json::to_vec(&page).unwrap().len();
        assert!(
            text_len < 62_000,
            "result of {text_len} bytes exceeds the budget by more than the envelope"
        );
        if page["truncated"] == true {
            truncated_results += 1;
            assert!(page["truncation_note"].as_str().unwrap().contains("fields"));
        }
        got.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["uuid"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(
        truncated_results > 0,
        "a 400-event page must exceed a 60 KB budget"
    );
    assert_eq!(
        got, expected,
        "continuing from the cursors yields exactly the rest, in order"
    );
}

#[test]
fn fields_projection_returns_only_the_requested_paths() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let out = mcp.call_ok(
        "list_users",
        json!({"limit": 5, "fields": "id,profile.login,profile.nope"}),
    );
    for u in out["items"].as_array().unwrap() {
        let keys: Vec<&String> = u.as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["id", "profile"]);
        assert_eq!(
            u["profile"].as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["login"]
        );
    }
}

#[test]
fn summarize_logs_totals_equal_a_full_fetch() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "100000000")]);
    let full = mcp.call_ok(
        "get_logs",
        json!({"since": ALL_TIME.0, "until": ALL_TIME.1, "fetch_all": true, "fields": "uuid,outcome.result,eventType,client.ipAddress,client.geographicalContext.country"}),
    );
    let events = full["items"].as_array().unwrap();
    let mut by_outcome: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    for e in events {
        *by_outcome
            .entry(e["outcome"]["result"].as_str().unwrap().to_owned())
            .or_default() += 1;
        *by_type
            .entry(e["eventType"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let summary = mcp.call_ok(
        "summarize_logs",
        json!({"since": ALL_TIME.0, "until": ALL_TIME.1, "top": 100}),
    );
    assert_eq!(summary["total"], json!(events.len()));
    let got_outcomes: BTreeMap<String, u64> = summary["by_outcome"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(got_outcomes, by_outcome);
    let got_types: BTreeMap<String, u64> = summary["top_event_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["value"].as_str().unwrap().to_owned(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got_types, by_type);
    assert_eq!(summary["stopped_early"], false);
    let bytes = serde_json::to_vec(&summary).unwrap().len();
    assert!(bytes < 40_000, "a summary stays small: {bytes} bytes");

    // With a filter, the summary counts only matching events.
    let denied = mcp.call_ok(
        "summarize_logs",
        json!({"since": ALL_TIME.0, "until": ALL_TIME.1, "filter": "outcome.result eq \"DENY\""}),
    );
    assert_eq!(denied["total"], json!(by_outcome["DENY"]));
    assert_eq!(denied["by_outcome"], json!({"DENY": by_outcome["DENY"]}));
}

#[test]
fn sliced_concurrent_fetch_equals_a_sequential_walk_in_order() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "100000000")]);
    let window = json!({"since": ALL_TIME.0, "until": ALL_TIME.1, "fields": "uuid,published"});
    let mut args = window.clone();
    args["fetch_all"] = json!(true);
    let sliced = mcp.call_ok("get_logs", args);
    assert!(
        sliced["pagination_info"]["concurrent_slices"]
            .as_u64()
            .unwrap_or(0)
            > 1,
        "the bounded window was sliced: {}",
        sliced["pagination_info"]
    );

    let sequential = walk_pages(&mut mcp, &window, 1000);
    assert_eq!(sequential.len(), 5000);
    assert_eq!(
        sliced["items"].as_array().unwrap(),
        &sequential,
        "same events, same order"
    );
}

/// Walks `args` page by page (no fetch_all) with `limit`, returning every item in order.
fn walk_pages(mcp: &mut Mcp, args: &Value, limit: u32) -> Vec<Value> {
    let mut items: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = args.clone();
        args["limit"] = json!(limit);
        if let Some(a) = &after {
            args["after"] = json!(a);
        }
        let page = mcp.call_ok("get_logs", args);
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => return items,
        }
    }
}

#[test]
fn slices_neither_repeat_nor_drop_events_of_the_millisecond_a_page_ends_in() {
    let org = TestOrg::start();
    // 300 events in one millisecond, before the seeded week: a 200-event first page ends
    // inside the burst, so the next slice starts at that very instant.
    let burst_at = (chrono::Utc::now() - chrono::Duration::days(10))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    org.sandbox.org().add_log_events((0..300).map(|i| {
        json!({
            "uuid": format!("burst-{i:03}"),
            "published": burst_at,
            "eventType": "user.session.start",
            "severity": "INFO",
            "displayMessage": "User login to Okta",
            "outcome": {"result": "SUCCESS"},
            "actor": {"id": "00uburst", "type": "User", "alternateId": "burst@example.com"},
        })
    }));
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "100000000")]);
    let window = json!({"since": burst_at, "until": ALL_TIME.1, "fields": "uuid,published"});
    let mut args = window.clone();
    args["fetch_all"] = json!(true);
    args["limit"] = json!(200);
    let sliced = mcp.call_ok("get_logs", args);
    let info = &sliced["pagination_info"];
    assert!(
        info["concurrent_slices"].as_u64().unwrap_or(0) > 1,
        "sliced: {info}"
    );
    assert_eq!(info["stopped_early"], false, "{info}");

    let sequential = walk_pages(&mut mcp, &window, 200);
    assert_eq!(sequential.len(), 5300);
    let got = sliced["items"].as_array().unwrap();
    let burst: Vec<&Value> = got
        .iter()
        .filter(|e| e["uuid"].as_str().unwrap().starts_with("burst-"))
        .collect();
    assert_eq!(burst.len(), 300, "every burst event exactly once");
    assert_eq!(got, &sequential, "same events, same order");
}

/// Strings shaped like the markers the old stdout splice used (and JSON around them): org
/// data is data, whatever it looks like.
const MARKER_LIKE: [(&str, &str); 4] = [
    (
        "title",
        "omc-attachment-0123456789abcdef0123456789abcdef-1-t",
    ),
    (
        "nickName",
        r#"{"omc-attachment-0123456789abcdef0123456789abcdef-2-j":null}"#,
    ),
    ("displayName", "\"omc-attachment-\\\"-3-j\" \\u0000 omc1."),
    ("department", "x\"}],\"structuredContent\":{\"a\":1}"),
];

/// A list result from any transport: structuredContent and the text block must both hold
/// the user exactly as created.
fn assert_listed_faithfully(result: &Value, login: &str, how: &str) {
    assert_text_block_is_the_structured_content(result, how);
    assert_listed_value(&result["structuredContent"], login, how);
}

fn assert_text_block_is_the_structured_content(result: &Value, how: &str) {
    let structured = &result["structuredContent"];
    let text: Value = serde_json::from_str(
        result["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{how}: no text block: {result}")),
    )
    .unwrap_or_else(|e| panic!("{how}: the text block is not JSON ({e}): {result}"));
    assert_eq!(&text, structured, "{how}: text block and structuredContent");
}

fn assert_listed_value(listed: &Value, login: &str, how: &str) {
    let items = listed["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{how}: {listed}"));
    assert_eq!(items.len(), 1, "{how}: {listed}");
    let profile = &items[0]["profile"];
    assert_eq!(profile["login"], login, "{how}");
    for (field, value) in MARKER_LIKE {
        assert_eq!(
            profile[field], value,
            "{how}: profile.{field} came back changed"
        );
    }
}

#[test]
fn marker_like_org_data_comes_back_unchanged_over_stdio_http_and_call() {
    let org = TestOrg::start();
    let login = "marker.like@acme.example.com";
    let mut profile =
        json!({"login": login, "email": login, "firstName": "Marker", "lastName": "Like"});
    for (field, value) in MARKER_LIKE {
        profile[field] = json!(value);
    }
    let mut mcp = server(&org, &[]);
    mcp.call_ok(
        "create_user",
        json!({"profile": profile, "activate": false}),
    );
    let args = json!({"search": format!("profile.login eq \"{login}\"")});

    let over_stdio = mcp.call("list_users", args.clone());
    assert_listed_faithfully(&over_stdio, login, "stdio");

    let http = support::http::HttpServer::start(&org.service_env());
    let mut client = support::http::HttpClient::new(&http);
    client.initialize();
    let over_http = client.call("list_users", args.clone());
    assert_listed_faithfully(&over_http, login, "Streamable HTTP");
    assert_eq!(
        over_http["structuredContent"],
        over_stdio["structuredContent"]
    );

    let out = support::run(
        &org.service_env(),
        &["call", "list_users", &args.to_string()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("call prints JSON");
    assert_listed_value(&printed, login, "call");
    assert_eq!(printed, over_stdio["structuredContent"]);

    // One user read by id (an object answer, written from its compact text): the same
    // user, the same fields, whichever way it is asked for.
    let user_id = printed["items"][0]["id"]
        .as_str()
        .expect("the user's id")
        .to_owned();
    let args = json!({"user_id": user_id});
    let got_over_stdio = mcp.call("get_user", args.clone());
    let got_over_http = client.call("get_user", args.clone());
    for (got, how) in [
        (&got_over_stdio, "stdio"),
        (&got_over_http, "Streamable HTTP"),
    ] {
        assert_text_block_is_the_structured_content(got, how);
        let user = &got["structuredContent"];
        assert_listed_value(&json!({"items": [user]}), login, how);
        assert!(user.get("_links").is_none(), "{how}: {got}");
    }
    assert_eq!(
        got_over_http["structuredContent"],
        got_over_stdio["structuredContent"]
    );
    let out = support::run(&org.service_env(), &["call", "get_user", &args.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("call prints JSON");
    assert_eq!(printed, got_over_stdio["structuredContent"]);
}
