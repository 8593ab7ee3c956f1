//! End to end: get_login_failures against the seeded System Log, through the real binary.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::{TestOrg, server};

const LOGIN_TYPES: [&str; 8] = [
    "user.session.start",
    "user.authentication.auth_via_mfa",
    "user.authentication.sso",
    "user.authentication.auth_via_IDP",
    "user.authentication.auth_via_social",
    "user.authentication.auth_via_radius",
    "policy.evaluate_sign_on",
    "app.generic.unauth_app_access_attempt",
];

fn time(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

/// uuids of the seeded events with this outcome in [since, until), optionally one actor's.
fn expected(
    org: &TestOrg,
    outcome: &str,
    since: &str,
    until: &str,
    actor: Option<&str>,
) -> BTreeSet<String> {
    let (lo, hi) = (time(since), time(until));
    org.sandbox
        .org()
        .log_events()
        .iter()
        .filter(|e| e["outcome"]["result"] == outcome)
        .filter(|e| actor.is_none_or(|a| e["actor"]["id"] == a))
        .filter(|e| {
            let t = time(e["published"].as_str().unwrap());
            t >= lo && t < hi
        })
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect()
}

fn listed(outcome: &Value) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for key in ["login_events", "other_events"] {
        for e in outcome[key].as_array().unwrap() {
            let t = e["eventType"].as_str().unwrap();
            assert_eq!(
                LOGIN_TYPES.contains(&t),
                key == "login_events",
                "{t} in {key}"
            );
            assert!(all.insert(e["uuid"].as_str().unwrap().to_owned()));
        }
    }
    all
}

const WIDE: (&str, &str) = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");

#[test]
fn failures_and_denials_are_exactly_the_seeded_ones() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "50000000")]);
    let out = mcp.call_ok(
        "get_login_failures",
        json!({"since": WIDE.0, "until": WIDE.1}),
    );
    let failures = expected(&org, "FAILURE", WIDE.0, WIDE.1, None);
    let denials = expected(&org, "DENY", WIDE.0, WIDE.1, None);
    assert!(!failures.is_empty() && !denials.is_empty());
    assert_eq!(listed(&out["failures"]), failures);
    assert_eq!(listed(&out["denials"]), denials);
    assert_eq!(out["failures"]["total"], json!(failures.len()));
    assert_eq!(out["summary"]["total_denials"], json!(denials.len()));
    assert_eq!(out["failures"]["pagination"]["stopped_early"], false);
    assert!(out.get("warnings").is_none(), "{out}");
    // Newest first.
    let published: Vec<&str> = out["failures"]["login_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["published"].as_str().unwrap())
        .collect();
    assert!(published.windows(2).all(|w| time(w[0]) >= time(w[1])));
    let top = &out["summary"]["top_users"][0];
    assert!(top["count"].as_u64().unwrap() >= 1, "{out}");
}

#[test]
fn default_window_is_the_last_day() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "50000000")]);
    let out = mcp.call_ok("get_login_failures", json!({}));
    let since = out["time_window"]["since"].as_str().unwrap().to_owned();
    let until = out["time_window"]["until"].as_str().unwrap().to_owned();
    let span = time(&until) - time(&since);
    assert_eq!(span.num_hours(), 24);
    assert!(
        (chrono::Utc::now() - time(&until).to_utc())
            .num_seconds()
            .abs()
            < 60
    );
    assert_eq!(
        listed(&out["failures"]),
        expected(&org, "FAILURE", &since, &until, None)
    );
    assert_eq!(
        listed(&out["denials"]),
        expected(&org, "DENY", &since, &until, None)
    );
}

#[test]
fn one_user_and_a_quote_that_cannot_break_out() {
    let org = TestOrg::start();
    let events = org.sandbox.org().log_events();
    let actor = events
        .iter()
        .find(|e| e["outcome"]["result"] == "FAILURE" && e["actor"]["type"] == "User")
        .map(|e| e["actor"]["id"].as_str().unwrap().to_owned())
        .expect("a user with a failure");
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "50000000")]);
    let out = mcp.call_ok(
        "get_login_failures",
        json!({"since": WIDE.0, "until": WIDE.1, "user_id": actor}),
    );
    let mine = expected(&org, "FAILURE", WIDE.0, WIDE.1, Some(&actor));
    assert!(!mine.is_empty());
    assert_eq!(listed(&out["failures"]), mine);
    assert_eq!(
        listed(&out["denials"]),
        expected(&org, "DENY", WIDE.0, WIDE.1, Some(&actor))
    );
    assert_eq!(out["scoped_to_user"], json!(actor));

    // Were the quote not escaped, this would match every failure.
    let sneaky = format!("{actor}\" or actor.id pr or actor.id eq \"x");
    let out = mcp.call_ok(
        "get_login_failures",
        json!({"since": WIDE.0, "until": WIDE.1, "user_id": sneaky}),
    );
    assert_eq!(out["failures"]["total"], 0, "{out}");
    assert_eq!(out["denials"]["total"], 0, "{out}");
}

#[test]
fn a_small_result_budget_lists_fewer_but_counts_all() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "20000")]);
    let out = mcp.call_ok(
        "get_login_failures",
        json!({"since": WIDE.0, "until": WIDE.1}),
    );
    let failures = expected(&org, "FAILURE", WIDE.0, WIDE.1, None);
    assert_eq!(out["failures"]["total"], json!(failures.len()));
    let shown = listed(&out["failures"]);
    assert!(shown.len() < failures.len());
    assert!(shown.is_subset(&failures));
    assert_eq!(out["failures"]["listed"], json!(shown.len()));
    assert!(!out["warnings"].as_array().unwrap().is_empty(), "{out}");
    assert!(serde_json::to_vec(&out).unwrap().len() < 40_000);
}

#[test]
fn bad_windows_are_refused_before_any_call() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let r = mcp.call(
        "get_login_failures",
        json!({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}),
    );
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");
    let r = mcp.call("get_login_failures", json!({"since": "yesterday"}));
    assert_eq!(r["isError"], true);
    assert!(
        r["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("ISO 8601")
    );
}

#[test]
fn an_error_in_one_outcome_is_reported_inside_it() {
    use okta_sandbox::faults::{Fault, FaultConfig, FaultRule};
    let config = okta_sandbox::SandboxConfig {
        faults: FaultConfig::default()
            .with_rule(FaultRule::new("/api/v1/logs", Fault::MalformedJson).times(1)),
        ..Default::default()
    };
    let org = TestOrg::with_config(config);
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "50000000")]);
    let out = mcp.call_ok(
        "get_login_failures",
        json!({"since": WIDE.0, "until": WIDE.1}),
    );
    let failed: Vec<&str> = ["failures", "denials"]
        .into_iter()
        .filter(|k| out[*k]["pagination"].get("error").is_some())
        .collect();
    assert_eq!(failed.len(), 1, "exactly one outcome hit the fault: {out}");
    let (bad, good, outcome) = if failed[0] == "failures" {
        ("failures", "denials", "DENY")
    } else {
        ("denials", "failures", "FAILURE")
    };
    assert_eq!(out[bad]["pagination"]["stopped_early"], true);
    assert_eq!(out[bad]["total"], 0);
    assert_eq!(
        listed(&out[good]),
        expected(&org, outcome, WIDE.0, WIDE.1, None)
    );
    assert!(
        out["warnings"].as_array().unwrap()[0]
            .as_str()
            .unwrap()
            .contains(bad)
    );
}

#[test]
fn a_login_selects_the_actor_by_alternate_id() {
    let org = TestOrg::start();
    let events = org.sandbox.org().log_events();
    let login = events
        .iter()
        .filter(|e| e["outcome"]["result"] == "FAILURE")
        .find_map(|e| {
            e["actor"]["alternateId"]
                .as_str()
                .filter(|a| a.contains('@'))
        })
        .expect("a failure by a user with a login")
        .to_owned();
    let mine: BTreeSet<String> = events
        .iter()
        .filter(|e| e["outcome"]["result"] == "FAILURE" && e["actor"]["alternateId"] == login)
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect();
    let mut mcp = server(&org, &[("OKTA_MCP_MAX_RESULT_BYTES", "50000000")]);
    let out = mcp.call_ok(
        "get_login_failures",
        json!({"since": WIDE.0, "until": WIDE.1, "user_id": login}),
    );
    assert_eq!(listed(&out["failures"]), mine);
}
