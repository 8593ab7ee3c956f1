//! The fault middleware over real HTTP, mounted in a running sandbox: rate-limit headers and
//! 429s, what the journal records, and what the body faults put on the wire.

use super::{Fault, FaultConfig, FaultRule, RateLimits};
use crate::{Sandbox, SandboxConfig};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

async fn sandbox(faults: FaultConfig) -> (Sandbox, reqwest::Client, String) {
    let sandbox = Sandbox::start(SandboxConfig {
        users: 20,
        groups: 5,
        apps: 3,
        log_events: 50,
        faults,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let client_id = sandbox.service_client().client_id;
    let token = sandbox
        .oauth()
        .mint_access_token(&client_id, &["okta.users.read", "okta.groups.read"]);
    (sandbox, reqwest::Client::new(), format!("Bearer {token}"))
}

fn header(response: &reqwest::Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn every_api_response_counts_and_the_limit_is_enforced() {
    let faults = FaultConfig {
        rate_limits: RateLimits::uniform(3, Duration::from_secs(60)),
        ..FaultConfig::default()
    };
    let (sandbox, http, bearer) = sandbox(faults).await;
    let url = format!("{}/api/v1/users?limit=1", sandbox.url());
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = http
            .get(&url)
            .header("Authorization", &bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-rate-limit-limit"), Some(3));
        assert!(header(&response, "x-rate-limit-reset").is_some_and(|r| r > unix_now()));
        remaining.push(header(&response, "x-rate-limit-remaining"));
    }
    assert_eq!(remaining, [Some(2), Some(1), Some(0)]);

    let over = http
        .get(&url)
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 429);
    assert_eq!(header(&over, "x-rate-limit-remaining"), Some(0));
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000047");
    assert_eq!(body["errorLink"], "E0000047");
    assert!(
        body["errorId"]
            .as_str()
            .is_some_and(|id| id.starts_with("oae"))
    );
    assert_eq!(body["errorCauses"], serde_json::json!([]));

    // Errors count and carry the headers too; another family has its own window.
    let unauthenticated = http
        .get(format!("{}/api/v1/groups", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(header(&unauthenticated, "x-rate-limit-remaining"), Some(2));

    // OAuth endpoints are journaled but not counted.
    let metadata = http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            sandbox.url()
        ))
        .send()
        .await
        .unwrap();
    assert!(metadata.headers().get("x-rate-limit-limit").is_none());
    let journal = sandbox.faults().journal();
    let statuses: Vec<Option<u16>> = journal.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            Some(200),
            Some(200),
            Some(200),
            Some(429),
            Some(401),
            Some(200)
        ]
    );
    assert_eq!(journal[3].fault, Some("rate_limit"));
    assert_eq!(journal[0].path, "/api/v1/users?limit=1");
}

#[tokio::test]
async fn injected_429_resets_a_few_seconds_ahead_then_clears() {
    let faults = FaultConfig::default().with_rule(
        FaultRule::new(
            "/api/v1/users",
            Fault::TooManyRequests {
                reset_after: Duration::from_secs(3),
            },
        )
        .times(1),
    );
    let (sandbox, http, bearer) = sandbox(faults).await;
    let url = format!("{}/api/v1/users", sandbox.url());
    let before = unix_now();
    let first = http
        .get(&url)
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 429);
    let reset = header(&first, "x-rate-limit-reset").unwrap();
    assert!(
        (before + 3..=before + 5).contains(&reset),
        "{reset} vs {before}"
    );
    let second = http
        .get(&url)
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200, "the rule fired once");
}

#[tokio::test]
async fn reset_fault_sends_headers_then_cuts_the_body() {
    let faults =
        FaultConfig::default().with_rule(FaultRule::new("/api/v1/users", Fault::ResetMidBody));
    let (sandbox, http, bearer) = sandbox(faults).await;
    let response = http
        .get(format!("{}/api/v1/users", sandbox.url()))
        .header("Authorization", &bearer)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(response.status(), 200);
    let promised = response.content_length().expect("content-length");
    assert!(promised > 100);
    assert!(response.bytes().await.is_err(), "the body breaks off");
    assert_eq!(sandbox.faults().journal()[0].fault, Some("reset_mid_body"));
}

#[tokio::test]
async fn faults_change_at_run_time() {
    let (sandbox, http, bearer) = sandbox(FaultConfig::default()).await;
    let get = || {
        http.get(format!("{}/api/v1/groups", sandbox.url()))
            .header("Authorization", &bearer)
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    sandbox.faults().update(|c| {
        c.rules
            .push("GET /api/v1/groups malformed".parse().unwrap())
    });
    let broken = get().await.unwrap();
    assert_eq!(broken.status(), 200);
    assert!(broken.json::<Value>().await.is_err());
    sandbox.faults().set(FaultConfig::default());
    assert!(get().await.unwrap().json::<Value>().await.is_ok());
    assert_eq!(sandbox.faults().count("GET", "/api/v1/groups"), 3);
}
