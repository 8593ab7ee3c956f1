//! Test org: the sandbox's OAuth router alone on a loopback listener, plus one Management
//! API route that checks bearer tokens the way the full sandbox does.

#![allow(dead_code)]

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use okta_auth::{
    AuthMethod, AuthSettings, Authenticator, MemoryStore, RequestAuthorizer, Secret, StoreKind,
    TokenStore,
};
use okta_sandbox::oauth::OAuthServer;
use std::sync::Arc;
use std::time::Duration;

pub const PROBE_PATH: &str = "/api/v1/probe";
pub const PROBE_SCOPE: &str = "okta.users.read";

pub struct TestOrg {
    pub url: String,
    pub oauth: OAuthServer,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestOrg {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct ProbeState {
    oauth: OAuthServer,
    origin: String,
}

async fn probe(
    State(state): State<ProbeState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let url = format!("{}{}", state.origin, uri);
    match state
        .oauth
        .authenticate(&method, &url, &headers, PROBE_SCOPE)
    {
        Ok(info) => {
            axum::Json(serde_json::json!({"client_id": info.client_id, "sub": info.subject}))
                .into_response()
        }
        Err(rejection) => {
            let mut response = (
                rejection.status,
                axum::Json(serde_json::json!({"errorCode": rejection.error_code, "errorSummary": rejection.error_summary})),
            )
                .into_response();
            if let Some(value) = rejection.www_authenticate.and_then(|v| v.parse().ok()) {
                response.headers_mut().insert("WWW-Authenticate", value);
            }
            response
        }
    }
}

pub async fn start_org() -> TestOrg {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    let oauth =
        OAuthServer::new(url.clone(), Duration::from_secs(3600), None).expect("oauth server");
    let probe_router = axum::Router::new()
        .route(PROBE_PATH, axum::routing::get(probe))
        .with_state(ProbeState {
            oauth: oauth.clone(),
            origin: url.clone(),
        });
    let app = oauth.router().merge(probe_router);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestOrg { url, oauth, task }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

pub fn settings(
    org: &TestOrg,
    client_id: &str,
    method: AuthMethod,
    scopes: &[&str],
) -> AuthSettings {
    AuthSettings {
        org_url: url::Url::parse(&org.url).expect("org url"),
        client_id: client_id.to_string(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        method,
        store: StoreKind::Memory,
        dpop: false,
    }
}

/// Settings for the sandbox's default private_key_jwt service client.
pub fn service_settings(org: &TestOrg, scopes: &[&str]) -> AuthSettings {
    let client = org.oauth.service_client();
    settings(
        org,
        &client.client_id,
        AuthMethod::PrivateKeyJwt {
            key: Secret::new(client.private_key_pem.expect("pem")),
            key_id: client.key_id.expect("kid"),
        },
        scopes,
    )
}

pub fn authenticator(settings: AuthSettings, store: Arc<dyn TokenStore>) -> Arc<Authenticator> {
    Authenticator::with_store(settings, http(), store).expect("authenticator")
}

pub fn memory_store() -> Arc<dyn TokenStore> {
    Arc::new(MemoryStore::new())
}

/// Calls the probe API with whatever the authorizer gives; returns the status.
pub async fn call_probe(
    org: &TestOrg,
    auth: &dyn RequestAuthorizer,
) -> Result<StatusCode, okta_auth::AuthError> {
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).expect("url");
    let headers = auth.authorize("GET", &url).await?;
    let mut request = http()
        .get(url.clone())
        .header("Authorization", headers.authorization.expose());
    if let Some(proof) = &headers.dpop_proof {
        request = request.header("DPoP", proof.expose());
    }
    let response = request.send().await.expect("probe request");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
    if status == StatusCode::UNAUTHORIZED {
        let nonce = response
            .headers()
            .get("DPoP-Nonce")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        auth.rejected(&headers, nonce.as_deref()).await;
    }
    Ok(status)
}

/// Settings for the sandbox's default public device-flow client.
pub fn device_settings(org: &TestOrg, scopes: &[&str]) -> AuthSettings {
    let client = org.oauth.device_client();
    settings(org, &client.client_id, AuthMethod::DeviceFlow, scopes)
}

/// Waits for a pending user code and approves (or denies) it, like a person would.
pub async fn decide_next(org: &TestOrg, approve: bool) -> String {
    for _ in 0..200 {
        if let Some(code) = org.oauth.pending_user_codes().into_iter().next() {
            assert!(org.oauth.approve_device(&code, approve, None));
            return code;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no device authorization was started");
}

/// Runs `login()` while a "person" approves the code.
pub async fn device_login(org: &TestOrg, auth: &Authenticator) -> okta_auth::AuthStatus {
    org.oauth.set_device_timing(1, 120);
    let (status, _) = tokio::join!(auth.login(), decide_next(org, true));
    status.expect("device login")
}
