//! A long fetch_all reports progress to a client that asked for it, and stops fetching
//! within a page when the client cancels the call.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{Mcp, TestOrg};

fn slow_org(latency_ms: u64) -> TestOrg {
    let mut config = okta_sandbox::SandboxConfig::default();
    config.faults.latency = Duration::from_millis(latency_ms);
    config.faults.rate_limits = okta_sandbox::faults::RateLimits::unenforced();
    TestOrg::with_config(config)
}

#[test]
fn fetch_all_sends_progress_notifications_for_the_progress_token() {
    let org = slow_org(0);
    let mut env = org.service_env();
    env.push(("OKTA_MCP_MAX_RESULT_BYTES".into(), "10000000".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    let resp = mcp.request(
        "tools/call",
        json!({"name": "get_logs", "arguments": {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z", "fetch_all": true, "limit": 500, "fields": "uuid"},
               "_meta": {"progressToken": "p-1"}}),
    );
    assert_eq!(resp["result"]["structuredContent"]["total_fetched"], 5000);
    let progress: Vec<f64> = mcp
        .notifications
        .iter()
        .filter(|n| {
            n["method"] == "notifications/progress" && n["params"]["progressToken"] == "p-1"
        })
        .map(|n| n["params"]["progress"].as_f64().unwrap())
        .collect();
    assert!(
        progress.len() >= 5,
        "one notification per page: {progress:?}"
    );
    assert!(
        progress.windows(2).all(|w| w[0] < w[1]),
        "progress only increases: {progress:?}"
    );
}

#[test]
fn cancelling_a_fetch_all_stops_fetching_within_one_page() {
    let org = slow_org(150);
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    mcp.call_ok("list_users", json!({"limit": 1})); // token in hand before measuring
    let logs = |org: &TestOrg| org.sandbox.faults().count("GET", "/api/v1/logs");
    // 5,000 events at 20 a page would take 250 pages (~40 s at this latency).
    mcp.send(&json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call",
        "params": {"name": "get_logs", "arguments": {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z", "fetch_all": true, "limit": 20}}}));
    std::thread::sleep(Duration::from_millis(1500));
    let before_cancel = logs(&org);
    assert!(
        before_cancel >= 2,
        "the fetch is under way: {before_cancel} pages"
    );
    mcp.notify(
        "notifications/cancelled",
        json!({"requestId": 900, "reason": "user pressed stop"}),
    );
    std::thread::sleep(Duration::from_millis(400));
    let settled = logs(&org);
    std::thread::sleep(Duration::from_millis(1500));
    let later = logs(&org);
    assert_eq!(
        later, settled,
        "no page is fetched after the cancel took effect"
    );
    assert!(
        settled <= before_cancel + 2,
        "stopped within a page: {before_cancel} -> {settled}"
    );
    // The server keeps serving.
    let ok = mcp.call_ok("list_users", json!({"limit": 1}));
    assert_eq!(ok["items"].as_array().unwrap().len(), 1);
}

/// List calls cancelled at every point (before their page arrives, while it is rendered,
/// after it was answered) get no response or an honest one: the whole result, or an error
/// result saying the call was cancelled; never a success standing in for a lost result.
/// The server then answers as before.
#[test]
fn cancelled_list_calls_get_no_stand_in_for_a_result() {
    let org = slow_org(60);
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    mcp.call_ok("list_users", json!({"limit": 1}));
    let ids: Vec<u64> = (9000..9024).collect();
    for (n, id) in ids.iter().enumerate() {
        mcp.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "list_users", "arguments": {"limit": 3}}}));
        std::thread::sleep(Duration::from_millis(5 * n as u64));
        mcp.notify("notifications/cancelled", json!({"requestId": id}));
    }
    let ok = mcp.call_ok("list_users", json!({"limit": 2}));
    assert_eq!(ok["items"].as_array().unwrap().len(), 2, "{ok}");
    let mut seen = std::mem::take(&mut mcp.notifications);
    while let Some(message) = mcp.try_next_message(Duration::from_millis(500)) {
        seen.push(message);
    }
    for message in seen
        .iter()
        .filter(|m| m.get("id").is_some() && m.get("method").is_none())
    {
        let result = &message["result"];
        let structured = &result["structuredContent"];
        if result["isError"] == true {
            assert_eq!(structured["error"], "cancelled", "{message}");
        } else {
            assert_eq!(
                structured["items"].as_array().map(Vec::len),
                Some(3),
                "{message}"
            );
            let text: serde_json::Value =
                serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
            assert_eq!(&text, structured, "{message}");
        }
    }
}
