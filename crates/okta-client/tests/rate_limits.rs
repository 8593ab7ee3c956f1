//! Rate limits end to end: 429 waits, pacing under a burst, the error when waiting is not
//! allowed, and the headers surfaced on every response.

mod common;

use common::{start, start_with};
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use okta_sandbox::faults::{Fault, FaultConfig, FaultRule, RateLimits};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn list_users() -> ApiRequest {
    ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", 2)
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn waits_for_the_reset_after_a_429_then_succeeds() {
    let faults = FaultConfig::default().with_rule(
        FaultRule::new(
            paths::USERS,
            Fault::TooManyRequests {
                reset_after: Duration::from_secs(2),
            },
        )
        .times(1),
    );
    let org = start(faults).await;
    let before = unix_now();
    let started = Instant::now();
    let response = org
        .client
        .send(list_users())
        .await
        .expect("succeeds after waiting");
    let waited = started.elapsed().as_secs_f64();

    // The injected Reset is the whole second at least 2 s ahead.
    let reset_in = (before + 2.0).ceil() - before;
    assert!(
        waited >= reset_in - 0.05 && waited <= reset_in + 1.5,
        "waited {waited:.2}s for a reset {reset_in:.2}s away"
    );
    assert_eq!(response.status, 200);
    let statuses: Vec<Option<u16>> = org
        .requests("GET", paths::USERS)
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, [Some(429), Some(200)], "no extra requests");
}

#[tokio::test]
async fn returns_the_429_when_the_reset_is_beyond_the_allowed_wait() {
    let faults = FaultConfig::default().with_rule(FaultRule::new(
        paths::USERS,
        Fault::TooManyRequests {
            reset_after: Duration::from_secs(30),
        },
    ));
    let org = start_with(faults, |c| c.max_rate_limit_wait = Duration::from_secs(1)).await;
    let started = Instant::now();
    let err = org
        .client
        .send(list_users())
        .await
        .expect_err("429 surfaces");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "did not wait for the reset"
    );
    let ApiError::Okta {
        status,
        body,
        rate_limit,
        ..
    } = &err
    else {
        panic!("expected an Okta error, got {err}")
    };
    assert_eq!(*status, 429);
    assert_eq!(body.error_code, "E0000047");
    assert_eq!(rate_limit.remaining, Some(0));
    assert!(
        rate_limit
            .reset
            .is_some_and(|r| r as f64 > unix_now() + 20.0)
    );
    assert!(err.hint().contains("resets in"), "{}", err.hint());
    assert_eq!(org.requests("GET", paths::USERS).len(), 1);
}

#[tokio::test]
async fn burst_of_concurrent_calls_is_paced_under_the_limit() {
    let faults = FaultConfig {
        rate_limits: RateLimits::uniform(20, Duration::from_secs(1)),
        ..FaultConfig::default()
    };
    let org = start(faults).await;
    let calls = (0..50).map(|_| {
        let client = org.client.clone();
        async move { client.send(list_users()).await }
    });
    let started = Instant::now();
    let results = futures::future::join_all(calls).await;
    for result in &results {
        assert!(result.is_ok(), "a call failed: {:?}", result.as_ref().err());
    }
    let journal = org.requests("GET", paths::USERS);
    let throttled = journal.iter().filter(|e| e.status == Some(429)).count();
    assert_eq!(
        throttled, 0,
        "pacing should keep every request under the limit"
    );
    assert_eq!(journal.len(), 50);
    // 50 requests at 20 per one-second window need at least two window changes.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn burst_without_pacing_state_still_never_shows_a_429() {
    // Two clients share nothing: the second one's calls meet windows the first used up,
    // so here the 429 path (not only pacing) has to carry the calls through.
    let faults = FaultConfig {
        rate_limits: RateLimits::uniform(10, Duration::from_secs(1)),
        ..FaultConfig::default()
    };
    let org = start_with(faults, |c| c.max_rate_limit_retries = 10).await;
    let other = org.client_with(|c| c.max_rate_limit_retries = 10);
    let calls = (0..30).map(|i| {
        let client = if i % 2 == 0 {
            org.client.clone()
        } else {
            other.clone()
        };
        async move { client.send(list_users()).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
}

#[tokio::test]
async fn every_response_reports_the_family_window() {
    let faults = FaultConfig {
        rate_limits: RateLimits::uniform(7, Duration::from_secs(60)),
        ..FaultConfig::default()
    };
    let org = start(faults).await;
    let first = org.client.send(list_users()).await.unwrap();
    let second = org.client.send(list_users()).await.unwrap();
    let groups = org
        .client
        .send(ApiRequest::get(ApiPath::new(paths::GROUPS)).query("limit", 1))
        .await
        .unwrap();
    assert_eq!(first.rate_limit.limit, Some(7));
    assert_eq!(first.rate_limit.remaining, Some(6));
    assert_eq!(second.rate_limit.remaining, Some(5));
    assert_eq!(
        groups.rate_limit.remaining,
        Some(6),
        "groups count separately"
    );
    assert!(
        first
            .rate_limit
            .reset
            .is_some_and(|r| r as f64 > unix_now())
    );
}
