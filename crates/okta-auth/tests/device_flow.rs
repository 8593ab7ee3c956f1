//! Device authorization grant, refresh with rotation, and the cache ladder around them,
//! against the sandbox org over real HTTP.

mod common;

use common::*;
use okta_auth::{AuthError, RequestAuthorizer, TokenSource};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SCOPES: &[&str] = &["okta.users.read"];

#[tokio::test]
async fn login_runs_the_device_flow_once_and_a_restart_reuses_the_cache() {
    let org = start_org().await;
    let store = memory_store();
    let auth = authenticator(device_settings(&org, SCOPES), store.clone());
    let status = device_login(&org, &auth).await;
    assert!(status.authenticated && status.has_refresh_token);
    assert_eq!(status.source, Some(TokenSource::DeviceFlow));
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    let calls = org.oauth.counters();
    assert_eq!(calls.device_authorizations, 1);

    let restarted = authenticator(device_settings(&org, SCOPES), store);
    assert_eq!(call_probe(&org, restarted.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.counters().token_calls(), calls.token_calls());
    assert_eq!(org.oauth.counters().device_authorizations, 1);
    assert_eq!(restarted.status().await.source, Some(TokenSource::Cache));
}

#[tokio::test]
async fn a_call_before_approval_returns_the_url_and_code_and_never_blocks() {
    let org = start_org().await;
    org.oauth.set_device_timing(1, 120);
    let auth = authenticator(device_settings(&org, SCOPES), memory_store());
    let prompts = Arc::new(AtomicUsize::new(0));
    let seen = prompts.clone();
    auth.on_device_prompt(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let mut states = auth.subscribe();
    auth.start_background();
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    let started = Instant::now();
    let (uri, code) = match auth.authorize("GET", &url).await {
        Err(AuthError::AuthorizationPending {
            verification_uri_complete,
            user_code,
        }) => (verification_uri_complete, user_code),
        other => panic!("expected a pending authorization, got {other:?}"),
    };
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        uri.starts_with(&format!("{}/activate?user_code=", org.url)) && uri.ends_with(&code),
        "{uri}"
    );
    assert_eq!(
        auth.pending_device_authorization(),
        Some((uri.clone(), code.clone()))
    );
    // A second call joins the same flow instead of starting another.
    assert!(matches!(
        auth.authorize("GET", &url).await,
        Err(AuthError::AuthorizationPending { .. })
    ));
    assert_eq!(org.oauth.counters().device_authorizations, 1);
    assert_eq!(prompts.load(Ordering::SeqCst), 1);

    assert!(org.oauth.approve_device(&code, true, None));
    tokio::time::timeout(Duration::from_secs(10), states.wait_for(|s| s.has_token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(auth.pending_device_authorization(), None);
    assert_eq!(
        auth.granted_scopes()
            .unwrap()
            .iter()
            .filter(|s| *s == "okta.users.read")
            .count(),
        1
    );
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
}

#[tokio::test]
async fn denial_is_reported_with_what_to_do() {
    let org = start_org().await;
    org.oauth.set_device_timing(1, 120);
    let auth = authenticator(device_settings(&org, SCOPES), memory_store());
    let (result, _) = tokio::join!(auth.login(), decide_next(&org, false));
    match result {
        Err(AuthError::Rejected { message, hint }) => {
            assert!(message.contains("access_denied"), "{message}");
            assert!(hint.contains("auth login"), "{hint}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn an_expired_device_code_is_reported() {
    let org = start_org().await;
    org.oauth.set_device_timing(1, 2);
    let auth = authenticator(device_settings(&org, SCOPES), memory_store());
    match tokio::time::timeout(Duration::from_secs(20), auth.login())
        .await
        .unwrap()
    {
        Err(AuthError::Rejected { message, .. }) => {
            assert!(message.contains("expired"), "{message}")
        }
        other => panic!("expected expiry, got {other:?}"),
    }
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_the_interval() {
    let org = start_org().await;
    org.oauth.set_device_timing(1, 120);
    org.oauth.force_device_slow_down(1);
    let auth = authenticator(device_settings(&org, SCOPES), memory_store());
    let started = Instant::now();
    let approve_later = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        decide_next(&org, true).await
    };
    let (result, _) = tokio::join!(auth.login(), approve_later);
    result.unwrap();
    // 1 s before the first poll (slow_down), then 1 + 5 s before the second.
    assert!(
        started.elapsed() >= Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(org.oauth.token_calls("device_code"), 2);
}

#[tokio::test]
async fn refresh_rotates_and_never_reuses_an_old_refresh_token() {
    let org = start_org().await;
    let device_id = org.oauth.device_client().client_id;
    // 30 s tokens are inside the 60 s margin: every call needs a refresh.
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(Duration::from_secs(30)));
    let store = memory_store();
    let auth = authenticator(device_settings(&org, SCOPES), store.clone());
    device_login(&org, &auth).await;
    let key = okta_auth::CacheKey::new(&url::Url::parse(&org.url).unwrap(), &device_id, "device");
    let first_refresh = store.load(&key).unwrap().unwrap().refresh_token.unwrap();
    for round in 1..=3 {
        assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
        assert_eq!(org.oauth.token_calls("refresh_token"), round);
        assert_eq!(auth.status().await.source, Some(TokenSource::Refresh));
    }
    // The token handed to the call is the one the ladder just stored, never a stale copy.
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    let headers = auth.authorize("GET", &url).await.unwrap();
    let stored = store.load(&key).unwrap().unwrap();
    assert_eq!(
        headers.authorization.expose(),
        format!("Bearer {}", stored.access_token.unwrap().expose())
    );
    let latest = stored.refresh_token.unwrap();
    assert_ne!(first_refresh, latest);
    assert_eq!(org.oauth.counters().refresh_token_reuse, 0);
    assert_eq!(org.oauth.counters().device_authorizations, 1);
}

/// A refresh the org answers with a 503 is not sent again (the org may have used the token
/// before failing): the call fails saying so, the cached record is kept, and the next call
/// refreshes with it.
#[tokio::test]
async fn a_refresh_answered_with_a_5xx_is_not_sent_twice() {
    let org = start_org().await;
    let device_id = org.oauth.device_client().client_id;
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(Duration::from_secs(30)));
    let auth = authenticator(device_settings(&org, SCOPES), memory_store());
    device_login(&org, &auth).await;
    org.oauth.fail_next_refreshes(1);
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    match auth.authorize("GET", &url).await {
        Err(AuthError::Unavailable(message)) => {
            assert!(
                message.contains("503") && message.contains("not sent twice"),
                "{message}"
            );
        }
        other => panic!("expected the refresh to fail, got {other:?}"),
    }
    assert_eq!(org.oauth.token_calls("refresh_token"), 1, "sent once");
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("refresh_token"), 2);
    assert_eq!(auth.status().await.source, Some(TokenSource::Refresh));
    assert_eq!(org.oauth.counters().refresh_token_reuse, 0);
    assert_eq!(org.oauth.counters().device_authorizations, 1);
}

#[tokio::test]
async fn ten_concurrent_calls_at_expiry_cause_one_refresh() {
    let org = start_org().await;
    let device_id = org.oauth.device_client().client_id;
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(Duration::from_secs(30)));
    let auth = authenticator(device_settings(&org, SCOPES), memory_store());
    device_login(&org, &auth).await;
    org.oauth.set_client_access_token_ttl(&device_id, None);
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let auth = auth.clone();
            let url = url.clone();
            tokio::spawn(async move { auth.authorize("GET", &url).await.map(|a| a.authorization) })
        })
        .collect();
    let mut tokens = Vec::new();
    for call in calls {
        tokens.push(call.await.unwrap().unwrap());
    }
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "every call uses the token the ladder produced"
    );
    assert_eq!(org.oauth.token_calls("refresh_token"), 1);
    assert_eq!(org.oauth.counters().refresh_token_reuse, 0);
}

#[tokio::test]
async fn an_added_scope_forces_a_new_grant_instead_of_a_refresh() {
    let org = start_org().await;
    let store = memory_store();
    let auth = authenticator(device_settings(&org, SCOPES), store.clone());
    device_login(&org, &auth).await;

    let wider = authenticator(
        device_settings(&org, &["okta.users.read", "okta.groups.read"]),
        store,
    );
    let status = device_login(&org, &wider).await;
    assert!(
        status
            .granted_scopes
            .unwrap()
            .contains(&"okta.groups.read".to_string())
    );
    assert_eq!(org.oauth.counters().device_authorizations, 2);
    assert_eq!(org.oauth.token_calls("refresh_token"), 0);
}

#[tokio::test]
async fn a_refused_refresh_token_falls_through_to_a_new_sign_in() {
    let org = start_org().await;
    let device_id = org.oauth.device_client().client_id;
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(Duration::from_secs(30)));
    let store = memory_store();
    let auth = authenticator(device_settings(&org, SCOPES), store.clone());
    device_login(&org, &auth).await;
    // Another installation revokes the grant (as `auth logout` elsewhere would).
    let other = authenticator(device_settings(&org, SCOPES), store.clone());
    other.logout().await.unwrap();
    let key = okta_auth::CacheKey::new(&url::Url::parse(&org.url).unwrap(), &device_id, "device");
    assert!(store.load(&key).unwrap().is_none());
    // The first instance still holds the revoked refresh token in memory.
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    org.oauth.set_device_timing(1, 120);
    let (result, _) = tokio::join!(auth.authorize("GET", &url), decide_next(&org, true));
    assert!(
        matches!(result, Err(AuthError::AuthorizationPending { .. })),
        "{result:?}"
    );
    assert_eq!(org.oauth.token_calls("refresh_token"), 1);
    assert_eq!(org.oauth.counters().device_authorizations, 2);
}

#[tokio::test]
async fn logout_revokes_at_the_org_and_clears_the_cache() {
    let org = start_org().await;
    let store = memory_store();
    let auth = authenticator(device_settings(&org, SCOPES), store.clone());
    device_login(&org, &auth).await;
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    let headers = auth.authorize("GET", &url).await.unwrap();
    let outcome = auth.logout().await.unwrap();
    assert!(outcome.removed && outcome.revoked, "{outcome:?}");
    assert_eq!(org.oauth.counters().revocations, 2);
    assert!(auth.granted_scopes().is_none());
    let status = http()
        .get(url)
        .header("Authorization", headers.authorization.expose())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401, "a revoked access token is refused");
    assert!(!auth.status().await.authenticated);
}

#[tokio::test]
async fn access_token_never_starts_a_device_flow() {
    let org = start_org().await;
    let auth = authenticator(device_settings(&org, SCOPES), memory_store());
    match auth.access_token().await {
        Err(AuthError::Rejected { hint, .. }) => assert!(hint.contains("auth login"), "{hint}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(org.oauth.counters().device_authorizations, 0);
}

/// A store whose first reads return an old record, as a process would see one written
/// before another process (not using the lock) rotated the refresh token.
struct StaleReads {
    inner: okta_auth::MemoryStore,
    stale: std::sync::Mutex<(usize, Option<okta_auth::TokenRecord>)>,
}

impl okta_auth::TokenStore for StaleReads {
    fn kind(&self) -> okta_auth::StoreKind {
        okta_auth::StoreKind::Memory
    }
    fn location(&self) -> String {
        "test".into()
    }
    fn load(&self, key: &okta_auth::CacheKey) -> Result<Option<okta_auth::TokenRecord>, AuthError> {
        let mut stale = self.stale.lock().unwrap();
        if stale.0 > 0 {
            stale.0 -= 1;
            return Ok(stale.1.clone());
        }
        self.inner.load(key)
    }
    fn save(
        &self,
        key: &okta_auth::CacheKey,
        record: &okta_auth::TokenRecord,
    ) -> Result<(), AuthError> {
        self.inner.save(key, record)
    }
    fn delete(&self, key: &okta_auth::CacheKey) -> Result<(), AuthError> {
        self.inner.delete(key)
    }
    fn lock_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}

#[tokio::test]
async fn a_refresh_token_rotated_elsewhere_is_replaced_by_the_stored_result() {
    let org = start_org().await;
    let device_id = org.oauth.device_client().client_id;
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(Duration::from_secs(30)));
    let store = Arc::new(StaleReads {
        inner: okta_auth::MemoryStore::new(),
        stale: std::sync::Mutex::new((0, None)),
    });
    let first = authenticator(device_settings(&org, SCOPES), store.clone());
    device_login(&org, &first).await;
    let key = okta_auth::CacheKey::new(&url::Url::parse(&org.url).unwrap(), &device_id, "device");
    let old = okta_auth::TokenStore::load(store.as_ref(), &key).unwrap();
    org.oauth.set_client_access_token_ttl(&device_id, None);
    // The first instance refreshes and stores the rotated result.
    let fresh = first.access_token().await.unwrap();
    // The second instance starts from the old record and tries the old refresh token once.
    *store.stale.lock().unwrap() = (2, old);
    let second = authenticator(device_settings(&org, SCOPES), store.clone());
    assert_eq!(second.access_token().await.unwrap(), fresh);
    assert_eq!(org.oauth.counters().refresh_token_reuse, 1);
    assert_eq!(org.oauth.counters().device_authorizations, 1);
}
