//! DPoP-bound tokens: on request, on demand of the org, nonce challenges, and reuse of a
//! cached DPoP-bound token after a restart.

mod common;

use common::*;
use okta_auth::RequestAuthorizer;

const SCOPES: &[&str] = &["okta.users.read"];

fn probe_url(org: &TestOrg) -> url::Url {
    url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap()
}

#[tokio::test]
async fn dpop_off_sends_a_plain_bearer_token() {
    let org = start_org().await;
    let auth = authenticator(service_settings(&org, SCOPES), memory_store());
    let headers = auth.authorize("GET", &probe_url(&org)).await.unwrap();
    assert!(headers.authorization.expose().starts_with("Bearer "));
    assert!(headers.dpop_proof.is_none());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
}

#[tokio::test]
async fn dpop_on_binds_the_token_and_proves_every_call() {
    let org = start_org().await;
    let mut settings = service_settings(&org, SCOPES);
    settings.dpop = true;
    let store = memory_store();
    let auth = authenticator(settings.clone(), store.clone());
    let headers = auth.authorize("GET", &probe_url(&org)).await.unwrap();
    assert!(headers.authorization.expose().starts_with("DPoP "));
    assert!(headers.dpop_proof.is_some());
    // First proof without a nonce → use_dpop_nonce → retried with the nonce.
    assert_eq!(org.oauth.token_calls("client_credentials"), 2);
    for _ in 0..3 {
        assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    }

    // A bare bearer use of the bound token is refused.
    let token = headers
        .authorization
        .expose()
        .trim_start_matches("DPoP ")
        .to_string();
    let status = http()
        .get(probe_url(&org))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);

    // After a restart the cached DPoP key still matches the cached token.
    let restarted = authenticator(settings.clone(), store.clone());
    assert_eq!(call_probe(&org, restarted.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 2);

    // A new grant in the same process reuses the nonce it learnt: one request, not two.
    auth.rejected(&headers, None).await;
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 3);

    // A cached Bearer token does not satisfy OKTA_MCP_DPOP=1.
    let mut plain = service_settings(&org, SCOPES);
    plain.dpop = false;
    let bearer_store = memory_store();
    let bearer = authenticator(plain, bearer_store.clone());
    assert_eq!(call_probe(&org, bearer.as_ref()).await.unwrap(), 200);
    let upgraded = authenticator(settings, bearer_store);
    let headers = upgraded.authorize("GET", &probe_url(&org)).await.unwrap();
    assert!(headers.authorization.expose().starts_with("DPoP "));
}

#[tokio::test]
async fn an_org_that_requires_dpop_gets_it_without_configuration() {
    let org = start_org().await;
    let service = org.oauth.service_client().client_id;
    org.oauth.set_require_dpop(&service, true);
    let auth = authenticator(service_settings(&org, SCOPES), memory_store());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    let headers = auth.authorize("GET", &probe_url(&org)).await.unwrap();
    assert!(headers.authorization.expose().starts_with("DPoP "));
    // No proof → invalid_dpop_proof; proof without nonce → use_dpop_nonce; then the token.
    assert_eq!(org.oauth.token_calls("client_credentials"), 3);
    assert_eq!(auth.status().await.token_type.as_deref(), Some("DPoP"));
}

#[tokio::test]
async fn every_grant_learns_the_current_nonce_even_after_rotation() {
    let org = start_org().await;
    let mut settings = service_settings(&org, SCOPES);
    settings.dpop = true;
    let auth = authenticator(settings.clone(), memory_store());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    org.oauth.rotate_dpop_nonce();
    org.oauth.rotate_dpop_nonce();
    let fresh = authenticator(settings, memory_store());
    assert_eq!(call_probe(&org, fresh.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 4);
}

#[tokio::test]
async fn device_flow_tokens_can_be_dpop_bound_and_refreshed() {
    let org = start_org().await;
    let device_id = org.oauth.device_client().client_id;
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(std::time::Duration::from_secs(30)));
    let mut settings = device_settings(&org, SCOPES);
    settings.dpop = true;
    let auth = authenticator(settings, memory_store());
    device_login(&org, &auth).await;
    // The 30 s token needs a refresh, which must be proven with the same key.
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    assert!(org.oauth.token_calls("refresh_token") >= 1);
    assert_eq!(org.oauth.counters().refresh_token_reuse, 0);
}

fn proof_nonce(headers: &okta_auth::RequestAuth) -> Option<String> {
    use base64::Engine;
    let proof = headers.dpop_proof.as_ref()?.expose().to_string();
    let payload = proof.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("nonce")?.as_str().map(str::to_string)
}

#[tokio::test]
async fn an_api_nonce_challenge_keeps_the_token_and_a_repeated_one_drops_it() {
    let org = start_org().await;
    let mut settings = service_settings(&org, SCOPES);
    settings.dpop = true;
    let auth = authenticator(settings, memory_store());
    let url = probe_url(&org);
    let first = auth.authorize("GET", &url).await.unwrap();
    assert_eq!(proof_nonce(&first), None);
    // A 401 carrying a new DPoP-Nonce is a challenge: same token, the next proof has the nonce.
    auth.rejected(&first, Some("api-nonce-1")).await;
    let second = auth.authorize("GET", &url).await.unwrap();
    assert_eq!(first.authorization.expose(), second.authorization.expose());
    assert_eq!(proof_nonce(&second).as_deref(), Some("api-nonce-1"));
    let calls = org.oauth.token_calls("client_credentials");
    // The same nonce again means the token itself was refused.
    auth.rejected(&second, Some("api-nonce-1")).await;
    let third = auth.authorize("GET", &url).await.unwrap();
    assert_ne!(second.authorization.expose(), third.authorization.expose());
    assert_eq!(org.oauth.token_calls("client_credentials"), calls + 1);
}
