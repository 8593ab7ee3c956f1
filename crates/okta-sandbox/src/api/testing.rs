//! Test harness: serves the Management API on loopback with a fake bearer check, so the
//! API can be tested over real HTTP independently of the OAuth module.

use super::{AppState, Authorizer};
use crate::oauth::{BearerRejection, TokenInfo};
use crate::org::{OrgHandle, SharedOrg};
use crate::{SandboxConfig, seed};
use axum::http::{HeaderMap, Method, StatusCode};
use std::sync::Arc;

/// Accepts `Bearer all` (every scope) and `Bearer scopes:a,b` (those scopes only).
pub struct FakeAuth;

impl Authorizer for FakeAuth {
    fn authenticate(
        &self,
        _method: &Method,
        _url: &str,
        headers: &HeaderMap,
        required_scope: &str,
    ) -> Result<TokenInfo, BearerRejection> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let scopes: Vec<String> = match token {
            Some("all") => vec![required_scope.to_owned()],
            Some(t) if t.starts_with("scopes:") => {
                t["scopes:".len()..].split(',').map(str::to_owned).collect()
            }
            _ => {
                return Err(BearerRejection {
                    status: StatusCode::UNAUTHORIZED,
                    error_code: "E0000011",
                    error_summary: "Invalid token provided".into(),
                    www_authenticate: Some(
                        "Bearer authorization_uri=\"x\", error=\"invalid_token\"".into(),
                    ),
                });
            }
        };
        if scopes.iter().any(|s| s == required_scope) {
            Ok(TokenInfo {
                client_id: "test".into(),
                subject: "test".into(),
                scopes,
                user_id: None,
            })
        } else {
            Err(BearerRejection {
                status: StatusCode::FORBIDDEN,
                error_code: "E0000006",
                error_summary: "You do not have permission to perform the requested action".into(),
                www_authenticate: Some(format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{required_scope}\""
                )),
            })
        }
    }
}

pub struct TestOrg {
    pub url: String,
    pub org: OrgHandle,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestOrg {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestOrg {
    pub async fn start(config: SandboxConfig) -> TestOrg {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = SharedOrg::new(seed::build(&config, &url, chrono::Utc::now()));
        let state = AppState {
            org: shared.clone(),
            auth: Arc::new(FakeAuth),
            base_url: url.clone(),
        };
        let app = super::router(state).fallback(super::not_found);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestOrg {
            url,
            org: OrgHandle::new(shared),
            http: reqwest::Client::new(),
            task,
        }
    }

    /// GET with full access; `path_and_query` is appended to the org URL.
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path_and_query}", self.url))
            .bearer_auth("all")
            .send()
            .await
            .expect("request")
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth("all");
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// Follows `rel="next"` links from `first` and returns every item seen.
    pub async fn collect_pages(&self, first: &str) -> (Vec<serde_json::Value>, usize) {
        let mut url = format!("{}{first}", self.url);
        let mut all = Vec::new();
        let mut pages = 0;
        loop {
            let response = self
                .http
                .get(&url)
                .bearer_auth("all")
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200, "{url}");
            let next = next_link(response.headers());
            let items: Vec<serde_json::Value> = response.json().await.expect("json");
            all.extend(items);
            pages += 1;
            match next {
                Some(next) => url = next,
                None => return (all, pages),
            }
        }
    }
}

/// The `rel="next"` URL among the response's Link headers.
pub fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.ends_with("rel=\"next\""))
        .and_then(|v| v.split(['<', '>']).nth(1))
        .map(str::to_owned)
}
