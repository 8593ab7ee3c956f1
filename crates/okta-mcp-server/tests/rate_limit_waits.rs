//! End to end: a call held up by Okta's rate limits says so while it waits (MCP progress to a
//! client that gave a progress token, an info log line), and a wait longer than the call may
//! wait (OKTA_MCP_MAX_RATE_LIMIT_WAIT) ends at once in an error that says which limit and
//! when to retry.

mod support;

use okta_client::paths;
use okta_sandbox::faults::{Fault, FaultConfig, FaultRule, RateLimits};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{Mcp, TestOrg};

fn org(faults: FaultConfig) -> TestOrg {
    TestOrg::with_config(okta_sandbox::SandboxConfig {
        faults,
        ..Default::default()
    })
}

/// One 429 on the users family whose window resets `secs` from now.
fn one_429(secs: u64) -> FaultConfig {
    FaultConfig {
        rate_limits: RateLimits::unenforced(),
        ..FaultConfig::default()
    }
    .with_rule(
        FaultRule::new(
            paths::USERS,
            Fault::TooManyRequests {
                reset_after: Duration::from_secs(secs),
            },
        )
        .times(1),
    )
}

fn server(org: &TestOrg, extra: &[(&str, &str)]) -> Mcp {
    let mut env = org.service_env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp
}

fn call_with_token(mcp: &mut Mcp, tool: &str, args: Value, token: &str) -> Value {
    mcp.request(
        "tools/call",
        json!({"name": tool, "arguments": args, "_meta": {"progressToken": token}}),
    )
}

fn progress_messages(mcp: &Mcp, token: &str) -> Vec<(f64, String)> {
    mcp.notifications
        .iter()
        .filter(|n| {
            n["method"] == "notifications/progress" && n["params"]["progressToken"] == token
        })
        .map(|n| {
            (
                n["params"]["progress"].as_f64().unwrap(),
                n["params"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_client_with_a_progress_token_hears_about_a_rate_limit_wait() {
    let org = org(one_429(3));
    let mut mcp = server(&org, &[]);
    let started = Instant::now();
    let resp = call_with_token(&mut mcp, "list_users", json!({"limit": 5}), "rl-1");
    let waited = started.elapsed();
    let result = &resp["result"];
    assert_ne!(
        result["isError"], true,
        "the call rides out the wait: {resp}"
    );
    assert_eq!(
        result["structuredContent"]["items"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(waited >= Duration::from_secs(2), "it did wait: {waited:?}");

    let progress = progress_messages(&mcp, "rl-1");
    let waits: Vec<&(f64, String)> = progress
        .iter()
        .filter(|(_, m)| m.contains("for Okta's rate limit on /api/v1/users to reset"))
        .collect();
    assert!(
        !waits.is_empty(),
        "a progress notification during the wait: {progress:?}"
    );
    assert!(waits[0].1.starts_with("waiting "), "{}", waits[0].1);
    assert!(
        progress.windows(2).all(|w| w[0].0 < w[1].0),
        "progress only rises: {progress:?}"
    );
    let log = mcp.stderr();
    assert!(
        log.contains("waiting for Okta's rate limit to reset") && log.contains("INFO"),
        "the wait is logged at info: {log}"
    );

    // Without a progress token the wait is still ridden out, silently to the client.
    org.sandbox.faults().set(one_429(2));
    let quiet = mcp.call_ok("list_users", json!({"limit": 5}));
    assert_eq!(quiet["items"].as_array().unwrap().len(), 5);
}

#[test]
fn a_wait_past_the_calls_limit_fails_at_once_and_says_when_to_retry() {
    let org = org(one_429(20));
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RATE_LIMIT_WAIT", "3")]);
    let started = Instant::now();
    let result = mcp.call("list_users", json!({"limit": 5}));
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "answered without waiting: {took:?}"
    );
    assert_eq!(result["isError"], true, "{result}");
    let error = &result["structuredContent"];
    assert_eq!(error["error"], "rate_limited", "{error}");
    assert_eq!(error["endpoint_family"], "/api/v1/users");
    let retry = error["retry_after_seconds"].as_u64().expect("seconds");
    assert!((15..=22).contains(&retry), "{retry}");
    assert!(
        error["retry_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{error}"
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("/api/v1/users") && message.contains("resets in"),
        "{message}"
    );
    let hint = error["hint"].as_str().unwrap();
    assert!(
        hint.contains("OKTA_MCP_MAX_RATE_LIMIT_WAIT") && hint.contains("3 s"),
        "{hint}"
    );
}

/// A used-up one-minute window with the default limit (30 s): the reset is further away than
/// a call may wait, so the call ends at once instead of hanging for most of a minute (the
/// client's pacing lets the request go, and Okta's 429 is answered without a wait).
#[test]
fn a_used_up_window_with_the_default_limit_answers_at_once() {
    let org = org(FaultConfig {
        rate_limits: RateLimits::uniform(3, Duration::from_secs(60)),
        ..FaultConfig::default()
    });
    let mut mcp = server(&org, &[]);
    for _ in 0..3 {
        mcp.call_ok("list_users", json!({"limit": 1}));
    }
    let started = Instant::now();
    let resp = call_with_token(&mut mcp, "list_users", json!({"limit": 1}), "rl-2");
    let took = started.elapsed();
    let result = &resp["result"];
    // The sandbox opens the window at the first call, so its reset is most of a minute away.
    assert_eq!(result["isError"], true, "{resp}");
    assert!(
        took < Duration::from_secs(5),
        "answered without waiting: {took:?}"
    );
    let error = &result["structuredContent"];
    assert_eq!(error["error"], "rate_limited", "{error}");
    assert_eq!(error["endpoint_family"], "/api/v1/users");
    assert!(error["retry_after_seconds"].as_u64().unwrap() > 0);
}
