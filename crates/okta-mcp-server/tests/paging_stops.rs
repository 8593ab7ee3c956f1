//! End to end: when the org's next link cannot be followed (it points off the org's origin,
//! or back to a page already read), a list result says it stopped early and why, instead
//! of looking complete.

mod support;

use okta_client::paths;
use okta_sandbox::faults::{Fault, FaultRule, RateLimits};
use serde_json::{Value, json};
use support::{Mcp, TestOrg};

const FOREIGN: &str = "http://127.0.0.1:9";

/// An org whose answers to `path` break their next link from the second request on.
fn org_with(path: &str, fault: Fault) -> TestOrg {
    let mut config = okta_sandbox::SandboxConfig::default();
    config.faults.rate_limits = RateLimits::unenforced();
    config.faults = config.faults.with_rule(FaultRule::new(path, fault).skip(1));
    TestOrg::with_config(config)
}

fn mcp(org: &TestOrg) -> Mcp {
    let mut env = org.service_env();
    env.push(("OKTA_MCP_MAX_RESULT_BYTES".into(), "50000000".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp
}

fn foreign() -> Fault {
    Fault::ForeignNextLink {
        origin: FOREIGN.into(),
    }
}

fn stopped(result: &Value) -> (bool, String) {
    let info = &result["pagination_info"];
    (
        info["stopped_early"] == json!(true),
        info["stop_reason"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn fetch_all_says_a_foreign_next_link_cut_it_short() {
    let org = org_with(paths::USERS, foreign());
    let mut mcp = mcp(&org);
    let result = mcp.call_ok("list_users", json!({"fetch_all": true, "limit": 10}));
    assert_eq!(
        result["total_fetched"], 20,
        "two pages, then the foreign link"
    );
    assert_eq!(result["has_more"], false, "no cursor can continue it");
    let (early, reason) = stopped(&result);
    assert!(early, "{result}");
    assert!(
        reason.contains(FOREIGN)
            && reason.contains("not followed")
            && reason.contains("incomplete"),
        "{reason}"
    );
    assert!(
        org.users().len() > 20,
        "the org has more users than were listed"
    );
}

#[test]
fn one_page_says_its_next_link_was_not_followed() {
    let org = org_with(paths::USERS, foreign());
    let mut mcp = mcp(&org);
    let first = mcp.call_ok("list_users", json!({"limit": 10}));
    assert_eq!(first["has_more"], true, "the first answer is honest");
    let after = first["next_cursor"].as_str().expect("cursor").to_owned();
    let second = mcp.call_ok("list_users", json!({"limit": 10, "after": after}));
    assert_eq!(second["has_more"], false);
    assert_eq!(second["stopped_early"], true, "{second}");
    let reason = second["stop_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(FOREIGN) && reason.contains("incomplete"),
        "{reason}"
    );
}

#[test]
fn fetch_all_says_a_repeated_page_cut_it_short() {
    let org = org_with(paths::GROUPS, Fault::RepeatNextLink);
    let mut mcp = mcp(&org);
    let result = mcp.call_ok("list_groups", json!({"fetch_all": true, "limit": 3}));
    assert_eq!(
        result["total_fetched"], 6,
        "two pages, the second linking to itself"
    );
    let (early, reason) = stopped(&result);
    assert!(early, "{result}");
    assert!(
        reason.contains("already read") && reason.contains("incomplete"),
        "{reason}"
    );
    let requests = org.sandbox.faults().count("GET", paths::GROUPS);
    assert_eq!(requests, 2, "the repeated page is not fetched again");
}

#[test]
fn log_walks_and_summaries_say_a_foreign_link_cut_them_short() {
    let org = org_with(paths::LOGS, foreign());
    let mut mcp = mcp(&org);
    let window = json!({"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"});
    let mut args = window.clone();
    args["fetch_all"] = json!(true);
    args["limit"] = json!(500);
    args["fields"] = json!("uuid");
    let logs = mcp.call_ok("get_logs", args);
    assert!(
        logs["total_fetched"].as_u64().unwrap() < 5000,
        "{}",
        logs["total_fetched"]
    );
    let (early, reason) = stopped(&logs);
    assert!(
        early && reason.contains(FOREIGN),
        "{}",
        logs["pagination_info"]
    );

    let summary = mcp.call_ok("summarize_logs", window);
    assert_eq!(summary["stopped_early"], true, "{summary}");
    let reason = summary["stop_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(FOREIGN) && reason.contains("incomplete"),
        "{reason}"
    );
}
