//! The org's token endpoint failing: a 5xx or a dropped connection is retried with backoff
//! like any idempotent call, and when it keeps failing the result says the org's token
//! endpoint failed, not that the app's configuration is wrong.

mod support;

use okta_sandbox::faults::{Fault, FaultConfig, FaultRule, RateLimits};
use serde_json::json;
use support::{Mcp, TestOrg};

const TOKEN_PATH: &str = "/oauth2/v1/token";

fn org_with(rule: FaultRule) -> TestOrg {
    let mut config = okta_sandbox::SandboxConfig {
        faults: FaultConfig::default().with_rule(rule),
        ..Default::default()
    };
    config.faults.rate_limits = RateLimits::unenforced();
    TestOrg::with_config(config)
}

#[test]
fn a_token_endpoint_5xx_or_reset_is_retried() {
    for fault in [Fault::ServerError { status: 503 }, Fault::ResetMidBody] {
        let org = org_with(
            FaultRule::new(TOKEN_PATH, fault.clone())
                .method("POST")
                .times(2),
        );
        let mut mcp = Mcp::spawn(&org.service_env(), &[]);
        mcp.initialize();
        let ok = mcp.call_ok("list_users", json!({"limit": 1}));
        assert_eq!(ok["items"].as_array().unwrap().len(), 1, "{fault:?}");
        assert_eq!(
            org.sandbox.faults().count("POST", TOKEN_PATH),
            3,
            "two failures, then the token: {fault:?}"
        );
    }
}

#[test]
fn a_token_endpoint_that_keeps_failing_is_reported_as_the_org_failing() {
    let org =
        org_with(FaultRule::new(TOKEN_PATH, Fault::ServerError { status: 502 }).method("POST"));
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    let started = std::time::Instant::now();
    let r = mcp.call("list_users", json!({"limit": 1}));
    assert_eq!(r["isError"], true, "{r}");
    let body = &r["structuredContent"];
    let message = body["message"].as_str().unwrap();
    let hint = body["hint"].as_str().unwrap();
    assert!(message.contains("token endpoint failed"), "{message}");
    assert!(message.contains("502"), "{message}");
    assert!(
        !hint
            .to_lowercase()
            .contains("configuration in the okta admin"),
        "{hint}"
    );
    assert!(hint.contains("Wait"), "{hint}");
    // Retried, but bounded.
    let attempts = org.sandbox.faults().count("POST", TOKEN_PATH);
    assert!((2..=8).contains(&attempts), "{attempts} token requests");
    assert!(started.elapsed().as_secs() < 30);
}
