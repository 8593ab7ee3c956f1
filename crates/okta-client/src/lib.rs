//! Okta Management API HTTP client. Knows nothing of tools or MCP.
//!
//! The public surface the server relies on (keep these names; extend freely):
//! - [`OktaClient::new`], [`OktaClient::send`], [`OktaClient::pages`]
//! - [`ApiPath`]: paths whose IDs are always exactly one percent-encoded segment
//! - [`ApiRequest`] / [`ApiResponse`] / [`Page`]
//! - [`ApiError`] with [`ApiError::hint`], and [`OktaErrorBody`]
//! - [`paths`]: endpoint path constants shared with tests

pub mod paths;

use futures::stream::BoxStream;
use okta_auth::RequestAuthorizer;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Tunables; `ClientConfig::new(org)` gives production defaults.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub org_url: url::Url,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest single wait for a rate-limit reset before giving up with the 429.
    pub max_rate_limit_wait: Duration,
    /// Retries of idempotent calls on 5xx / timeouts / resets.
    pub max_retries: u32,
}

impl ClientConfig {
    pub fn new(org_url: url::Url) -> Self {
        Self {
            org_url,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_body_bytes: 32 * 1024 * 1024,
            max_rate_limit_wait: Duration::from_secs(60),
            max_retries: 3,
        }
    }
}

/// An API path built from literal parts and ID segments; IDs can never change the route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiPath(String);

impl ApiPath {
    /// A literal path such as `/api/v1/users` (taken verbatim).
    pub fn new(literal: &'static str) -> Self {
        Self(literal.to_owned())
    }
    /// Appends one ID, percent-encoded as exactly one segment.
    pub fn id(self, id: &str) -> Self {
        let _ = id;
        unimplemented!()
    }
    /// Appends literal segments such as `lifecycle/activate`.
    pub fn lit(mut self, literal: &'static str) -> Self {
        self.0.push('/');
        self.0.push_str(literal.trim_start_matches('/'));
        self
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// One request. `idempotent` decides whether it may be retried (GET/PUT/DELETE are).
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub method: Method,
    pub path: ApiPath,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub idempotent: bool,
}

impl ApiRequest {
    pub fn get(path: ApiPath) -> Self {
        Self {
            method: Method::Get,
            path,
            query: Vec::new(),
            body: None,
            idempotent: true,
        }
    }
    pub fn post(path: ApiPath) -> Self {
        Self {
            method: Method::Post,
            path,
            query: Vec::new(),
            body: None,
            idempotent: false,
        }
    }
    pub fn put(path: ApiPath) -> Self {
        Self {
            method: Method::Put,
            path,
            query: Vec::new(),
            body: None,
            idempotent: true,
        }
    }
    pub fn delete(path: ApiPath) -> Self {
        Self {
            method: Method::Delete,
            path,
            query: Vec::new(),
            body: None,
            idempotent: true,
        }
    }
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }
    pub fn query_opt(self, key: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    /// Marks a POST that Okta documents as idempotent (lifecycle operations) as retryable.
    pub fn retryable(mut self) -> Self {
        self.idempotent = true;
        self
    }
}

/// Rate-limit headers of a response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Unix seconds when the window resets.
    pub reset: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub status: u16,
    /// Parsed JSON body; `Value::Null` for an empty body (204).
    pub body: Value,
    /// The `after` cursor of the `Link: rel="next"` header, when there is one.
    pub next_cursor: Option<String>,
    pub rate_limit: RateLimit,
}

/// One page of a list endpoint.
#[derive(Clone, Debug)]
pub struct Page {
    pub items: Vec<Value>,
    /// Cursor for the page after this one (None on the last page).
    pub next_cursor: Option<String>,
}

/// Okta's error body, as the API returns it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OktaErrorBody {
    #[serde(default)]
    pub error_code: String,
    #[serde(default)]
    pub error_summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_causes: Vec<ErrorCause>,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    #[serde(default)]
    pub error_summary: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The org answered with an error status.
    #[error("Okta returned {status} {}: {}", body.error_code, body.error_summary)]
    Okta {
        status: u16,
        body: OktaErrorBody,
        rate_limit: RateLimit,
    },
    #[error(transparent)]
    Auth(#[from] okta_auth::AuthError),
    /// Connection refused/reset, timeout, TLS failure.
    #[error("network error talking to Okta: {0}")]
    Network(String),
    /// A body that is not the JSON expected, or is too large.
    #[error("unexpected response from Okta: {0}")]
    Decode(String),
    /// A `Link: rel="next"` pointing outside the org; it was not followed.
    #[error(
        "stopped paging: the next-page link points at {0}, outside the org; it was not followed"
    )]
    ForeignNextLink(String),
}

impl ApiError {
    /// One line that tells a person what to do about this error.
    pub fn hint(&self) -> String {
        unimplemented!()
    }
}

/// The Management API client. Cheap to clone.
#[derive(Clone)]
pub struct OktaClient {
    _inner: Arc<()>,
}

impl OktaClient {
    pub fn new(config: ClientConfig, auth: Arc<dyn RequestAuthorizer>) -> Result<Self, ApiError> {
        let _ = (config, auth);
        unimplemented!("client")
    }

    pub fn org_url(&self) -> &url::Url {
        unimplemented!()
    }

    /// Sends one request (with rate-limit waits and retries as its method allows).
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ApiError> {
        let _ = request;
        unimplemented!()
    }

    /// Pages of a list endpoint, following `next` links on the org's own origin only.
    /// Dropping the stream stops further fetches.
    pub fn pages(&self, first: ApiRequest) -> BoxStream<'static, Result<Page, ApiError>> {
        let _ = first;
        unimplemented!()
    }
}
