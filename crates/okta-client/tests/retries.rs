//! Retries end to end: idempotent calls ride out 5xx and broken connections; a create POST
//! is sent exactly once; bad bodies become clear errors.

mod common;

use common::{start, start_with};
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use okta_sandbox::faults::{Fault, FaultConfig, FaultRule};
use serde_json::json;
use std::time::Duration;

fn list_users() -> ApiRequest {
    ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", 3)
}

fn rule(fault: Fault) -> FaultRule {
    FaultRule::new(paths::USERS, fault).method("GET")
}

#[tokio::test]
async fn get_is_retried_through_5xx_and_succeeds() {
    let faults =
        FaultConfig::default().with_rule(rule(Fault::ServerError { status: 503 }).times(2));
    let org = start(faults).await;
    let response = org
        .client
        .send(list_users())
        .await
        .expect("third try works");
    assert_eq!(response.body.as_array().map(Vec::len), Some(3));
    let statuses: Vec<Option<u16>> = org
        .requests("GET", paths::USERS)
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
}

#[tokio::test]
async fn get_gives_up_after_the_retry_budget_with_the_okta_error() {
    let faults = FaultConfig::default().with_rule(rule(Fault::ServerError { status: 500 }));
    let org = start_with(faults, |c| c.max_retries = 2).await;
    let err = org.client.send(list_users()).await.expect_err("always 500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.error_code(), Some("E0000009"));
    assert!(err.hint().contains("server-side"), "{}", err.hint());
    assert_eq!(
        org.requests("GET", paths::USERS).len(),
        3,
        "1 try + 2 retries"
    );
}

#[tokio::test]
async fn create_post_hit_by_5xx_is_sent_exactly_once() {
    let faults = FaultConfig::default().with_rule(
        FaultRule::new(paths::GROUPS, Fault::ServerError { status: 502 }).method("POST"),
    );
    let org = start(faults).await;
    let create = ApiRequest::post(ApiPath::new(paths::GROUPS)).json(json!({
        "profile": {"name": "Retry Canaries", "description": "must exist at most once"}
    }));
    let err = org.client.send(create).await.expect_err("502 surfaces");
    assert_eq!(err.status(), Some(502));
    assert!(
        err.hint().contains("never retried automatically"),
        "{}",
        err.hint()
    );
    let posts = org.requests("POST", paths::GROUPS);
    assert_eq!(posts.len(), 1, "exactly one create attempt reached the org");
    // The gateway failed after the org acted: the group exists, once.
    let found = org
        .client
        .send(ApiRequest::get(ApiPath::new(paths::GROUPS)).query("q", "Retry Canaries"))
        .await
        .unwrap();
    assert_eq!(
        found.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        found.body
    );
}

#[tokio::test]
async fn lifecycle_post_marked_retryable_is_retried() {
    let path = ApiPath::new(paths::USERS)
        .id("00uNOSUCHUSER")
        .lit("lifecycle/activate");
    let faults = FaultConfig::default().with_rule(
        FaultRule::new(paths::USERS, Fault::ServerError { status: 503 })
            .method("POST")
            .times(1),
    );
    let org = start(faults).await;
    let result = org.client.send(ApiRequest::post(path).retryable()).await;
    // Whatever the org says on the second try, it was asked twice.
    assert_ne!(result.as_ref().err().and_then(ApiError::status), Some(503));
    assert_eq!(org.requests("POST", paths::USERS).len(), 2);
}

#[tokio::test]
async fn connection_reset_mid_body_is_retried_for_get() {
    let faults = FaultConfig::default().with_rule(rule(Fault::ResetMidBody).times(1));
    let org = start(faults).await;
    let response = org.client.send(list_users()).await.expect("retry succeeds");
    assert_eq!(response.body.as_array().map(Vec::len), Some(3));
    assert_eq!(org.requests("GET", paths::USERS).len(), 2);
}

#[tokio::test]
async fn persistent_connection_reset_is_a_clear_network_error() {
    let faults = FaultConfig::default().with_rule(rule(Fault::ResetMidBody));
    let org = start_with(faults, |c| c.max_retries = 1).await;
    let err = org
        .client
        .send(list_users())
        .await
        .expect_err("always reset");
    let ApiError::Network(message) = &err else {
        panic!("expected a network error, got {err}")
    };
    assert!(message.contains("GET /api/v1/users"), "{message}");
    assert!(message.contains("after 1 retry"), "{message}");
    assert!(err.hint().contains("HTTPS_PROXY"), "{}", err.hint());
    assert_eq!(org.requests("GET", paths::USERS).len(), 2);
}

#[tokio::test]
async fn connection_reset_on_create_is_not_retried() {
    let faults = FaultConfig::default()
        .with_rule(FaultRule::new(paths::GROUPS, Fault::ResetMidBody).method("POST"));
    let org = start(faults).await;
    let create = ApiRequest::post(ApiPath::new(paths::GROUPS))
        .json(json!({"profile": {"name": "Reset Canaries"}}));
    let err = org.client.send(create).await.expect_err("reset surfaces");
    assert!(
        err.to_string().contains("not retried automatically"),
        "{err}"
    );
    assert_eq!(org.requests("POST", paths::GROUPS).len(), 1);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let faults = FaultConfig::default().with_rule(rule(Fault::MalformedJson));
    let org = start(faults).await;
    let err = org.client.send(list_users()).await.expect_err("not JSON");
    let ApiError::Decode(message) = &err else {
        panic!("expected a decode error, got {err}")
    };
    assert!(message.contains("not valid JSON"), "{message}");
    assert_eq!(org.requests("GET", paths::USERS).len(), 1, "not retried");
}

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    let faults = FaultConfig::default().with_rule(rule(Fault::TruncatedJson));
    let org = start(faults).await;
    let err = org.client.send(list_users()).await.expect_err("cut short");
    assert!(
        matches!(&err, ApiError::Decode(m) if m.contains("truncated")),
        "{err}"
    );
}

#[tokio::test]
async fn slow_responses_time_out_and_are_retried_within_budget() {
    let faults =
        FaultConfig::default().with_rule(rule(Fault::Latency(Duration::from_secs(3))).times(1));
    let org = start_with(faults, |c| c.read_timeout = Duration::from_millis(800)).await;
    let response = org
        .client
        .send(list_users())
        .await
        .expect("second try is fast");
    assert_eq!(response.status, 200);
    assert_eq!(org.requests("GET", paths::USERS).len(), 2);
}
