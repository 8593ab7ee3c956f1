//! Capabilities clients probe for beyond tools: `logging/setLevel` (log notifications at the
//! chosen level, rate-bounded, never secrets) and `completion/complete` (known argument values).

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{Mcp, TestOrg};

fn log_notifications(mcp: &Mcp) -> Vec<Value> {
    mcp.notifications
        .iter()
        .filter(|n| n["method"] == "notifications/message")
        .cloned()
        .collect()
}

#[test]
fn set_level_sends_log_notifications_at_or_above_the_level() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    let init = mcp.initialize();
    assert!(init["capabilities"]["logging"].is_object(), "{init}");

    let resp = mcp.request("logging/setLevel", json!({"level": "info"}));
    assert_eq!(resp["result"], json!({}), "{resp}");
    // A failing call logs at info ("tool call failed").
    let r = mcp.call("get_user", json!({"user_id": "no-such-user"}));
    assert_eq!(r["isError"], true);
    let deadline = Instant::now() + Duration::from_secs(10);
    let failed_logged = |mcp: &Mcp| {
        log_notifications(mcp)
            .iter()
            .any(|n| n["params"]["data"]["message"] == "tool call failed")
    };
    while !failed_logged(&mcp) && Instant::now() < deadline {
        mcp.request("ping", json!({}));
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs = log_notifications(&mcp);
    assert!(!logs.is_empty(), "no log notification arrived");
    let failed = logs
        .iter()
        .find(|n| n["params"]["data"]["message"] == "tool call failed")
        .unwrap_or_else(|| panic!("the failed call is logged: {logs:?}"));
    assert_eq!(failed["params"]["level"], "info");
    assert_eq!(failed["params"]["data"]["tool"], "get_user");
    for n in &logs {
        let text = n.to_string();
        assert!(!text.contains("eyJ"), "a token or assertion in {text}");
        assert!(!text.contains("omc-attachment-"), "a marker in {text}");
        assert!(
            ["debug", "info", "notice", "warning", "error"]
                .contains(&n["params"]["level"].as_str().unwrap()),
            "{n}"
        );
    }

    // At error, info events are no longer sent.
    let resp = mcp.request("logging/setLevel", json!({"level": "error"}));
    assert!(resp.get("result").is_some(), "{resp}");
    mcp.notifications.clear();
    mcp.call("get_user", json!({"user_id": "still-nobody"}));
    std::thread::sleep(Duration::from_millis(300));
    mcp.request("ping", json!({}));
    assert!(
        log_notifications(&mcp).is_empty(),
        "info sent at error level: {:?}",
        log_notifications(&mcp)
    );
}

#[test]
fn log_notifications_are_rate_bounded() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    mcp.request("logging/setLevel", json!({"level": "debug"}));
    let started = Instant::now();
    for i in 0..60 {
        mcp.call("get_user", json!({"user_id": format!("nobody-{i}")}));
    }
    std::thread::sleep(Duration::from_millis(500));
    mcp.request("ping", json!({}));
    let elapsed = started.elapsed().as_secs_f64();
    let logs = log_notifications(&mcp);
    let sent = logs.len() as f64;
    assert!(
        logs.iter().any(|n| n["params"]["data"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("were not sent"))),
        "the bound was reached and the drop reported: {sent} sent"
    );
    // A burst of 20, then 20 a second, plus the notice saying how many were dropped.
    assert!(
        sent <= 20.0 + 20.0 * elapsed + 2.0,
        "{sent} notifications in {elapsed:.1}s"
    );
}

fn complete(mcp: &mut Mcp, reference: Value, argument: &str, value: &str) -> Vec<String> {
    let resp = mcp.request(
        "completion/complete",
        json!({"ref": reference, "argument": {"name": argument, "value": value}}),
    );
    let values = resp["result"]["completion"]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("completion/complete failed: {resp}"));
    values
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn completions_offer_enum_values_toolsets_and_logins_by_prefix() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    let init = mcp.initialize();
    assert!(init["capabilities"]["completions"].is_object(), "{init}");
    let tool = |name: &str| json!({"type": "ref/prompt", "name": name});

    let types = complete(&mut mcp, tool("list_policies"), "type", "pa");
    assert_eq!(types, ["PASSWORD"]);
    let all = complete(&mut mcp, tool("list_policies"), "type", "");
    assert!(
        all.len() >= 10 && all.contains(&"OKTA_SIGN_ON".to_owned()),
        "{all:?}"
    );

    let toolsets = complete(&mut mcp, tool("anything"), "toolsets", "de");
    assert_eq!(toolsets, ["device_assurance"]);

    let users = org.users();
    let login = users[0]["profile"]["login"].as_str().unwrap().to_owned();
    let prefix = &login[..3];
    let logins = complete(&mut mcp, tool("get_user"), "user_id", prefix);
    assert!(logins.contains(&login), "{login} in {logins:?}");
    assert!(logins.len() <= 20);
    assert!(
        logins
            .iter()
            .all(|l| l.to_lowercase().starts_with(&prefix.to_lowercase())),
        "{logins:?}"
    );
    // A quote in the prefix is escaped in the search, not an error.
    assert!(complete(&mut mcp, tool("get_user"), "login", "a\"b").is_empty());
    // An argument without known values gets an empty list.
    assert!(complete(&mut mcp, tool("list_users"), "search", "x").is_empty());
}

#[test]
fn completions_offer_event_types_inside_a_log_filter() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    let tool = |name: &str| json!({"type": "ref/prompt", "name": name});

    // The whole filter comes back, the open literal completed and closed.
    let typed = "outcome.result eq \"FAILURE\" and eventType eq \"user.sess";
    let values = complete(&mut mcp, tool("get_logs"), "filter", typed);
    assert!(
        values.contains(
            &"outcome.result eq \"FAILURE\" and eventType eq \"user.session.start\"".to_owned()
        ),
        "{values:?}"
    );
    assert!(
        values.iter().all(|v| v
            .starts_with("outcome.result eq \"FAILURE\" and eventType eq \"user.session.")
            && v.ends_with('"')),
        "{values:?}"
    );
    // Operator case and spacing are tolerated; summarize_logs takes the same filter.
    let values = complete(
        &mut mcp,
        tool("summarize_logs"),
        "filter",
        "eventType  SW \"USER.ACCOUNT.L",
    );
    assert_eq!(values, ["eventType  SW \"user.account.lock\""]);

    // An empty literal offers the whole catalogue, all of it sent: total and hasMore agree.
    let resp = mcp.request(
        "completion/complete",
        json!({"ref": tool("get_logs"), "argument": {"name": "filter", "value": "eventType eq \""}}),
    );
    let completion = &resp["result"]["completion"];
    let sent = completion["values"].as_array().expect("values").len();
    assert!(sent >= 40, "{completion}");
    assert_eq!(completion["total"], json!(sent), "{completion}");
    assert_eq!(completion["hasMore"], json!(false), "{completion}");

    // The event type the completion offers is one the org's log really has.
    let events = mcp.call_ok(
        "get_logs",
        json!({"filter": "eventType eq \"user.session.start\"", "limit": 1}),
    );
    assert!(
        events.to_string().contains("user.session.start"),
        "{events}"
    );

    // Filters that do not end inside an event-type literal get no event types.
    for unrelated in [
        "outcome.result eq \"FAIL",
        "eventType eq \"user.session.start\"",
        "user.sess",
    ] {
        let values = complete(&mut mcp, tool("get_logs"), "filter", unrelated);
        assert!(values.is_empty(), "{unrelated}: {values:?}");
    }
    // Another toolset's `filter` is not an event-type filter.
    assert!(
        complete(
            &mut mcp,
            tool("list_users"),
            "filter",
            "eventType eq \"user."
        )
        .is_empty()
    );
}
