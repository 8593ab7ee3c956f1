//! Okta Management API HTTP client. Knows nothing of tools or MCP.
//!
//! The public surface the server relies on (keep these names; extend freely):
//! - [`OktaClient::new`], [`OktaClient::send`], [`OktaClient::pages`]
//! - [`ApiPath`]: paths whose IDs are always exactly one percent-encoded segment
//! - [`ApiRequest`] / [`ApiResponse`] / [`Page`]
//! - [`ApiError`] with [`ApiError::hint`], and [`OktaErrorBody`]
//! - [`paths`]: endpoint path constants shared with tests
//!
//! What it guarantees, whatever the caller does:
//! - every ID is one percent-encoded path segment; an ID that cannot be one is refused;
//! - `Link: rel="next"` is followed only on the org's own origin, so the token stays there;
//! - one rate-limit window per endpoint family is shared by all clones: calls pace
//!   themselves when few requests are left and wait out a 429 until `X-Rate-Limit-Reset`;
//!   a caller can bound a call's total waiting and hear of each wait
//!   ([`with_rate_limit_waits`]), and a wait past the bound fails at once, saying when to retry;
//! - idempotent calls retry 5xx, timeouts and broken transfers with jittered backoff; a
//!   create POST that may have reached Okta is never sent twice;
//! - redirects are not followed, bodies are size-bounded, credentials never appear in
//!   errors or Debug output.

// `ApiError::Okta` carries Okta's error body inline by contract; errors are rare and cold.
#![allow(clippy::result_large_err)]

pub mod paths;

mod backoff;
mod client;
pub mod compact_text;
mod error;
mod link;
mod paging;
mod path;
mod plan;
mod ratelimit;
mod transport;
mod upload;
mod without_links;

pub use client::REQUEST_ID_HEADER;
pub use error::{ApiError, ErrorCause, OktaErrorBody};
pub use path::{ApiPath, MAX_ID_CHARS};
pub use plan::{PlannedRequest, WritePlan};
pub use ratelimit::{
    Claim, RateLimitWait, SharedRateView, SharedWindow, WaitObserver, with_rate_limit_waits,
};
pub use transport::USER_AGENT;
pub use upload::Upload;
pub use without_links::from_slice as json_without_links;

use futures::stream::BoxStream;
use okta_auth::RequestAuthorizer;
use serde_json::Value;
use serde_json::value::RawValue;
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
    /// Longest single wait for a rate-limit reset before giving up with
    /// [`ApiError::RateLimited`]; a call run under [`with_rate_limit_waits`] may also be
    /// held to a smaller total.
    pub max_rate_limit_wait: Duration,
    /// Retries of idempotent calls on 5xx / timeouts / resets.
    pub max_retries: u32,
    /// Total time one call may spend retrying transient failures.
    pub max_retry_elapsed: Duration,
    /// First backoff delay; each retry doubles it (with jitter).
    pub retry_base_delay: Duration,
    /// How many 429s one call waits out before returning the rate-limit error.
    pub max_rate_limit_retries: u32,
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
            max_retry_elapsed: Duration::from_secs(30),
            retry_base_delay: Duration::from_millis(250),
            max_rate_limit_retries: 3,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
        }
    }
}

/// One request. `idempotent` decides whether it may be retried (GET/PUT/DELETE are).
/// Debug output leaves the body out: it may hold a password or a secret.
#[derive(Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub path: ApiPath,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub idempotent: bool,
    /// A file sent as `multipart/form-data` instead of a JSON body.
    pub upload: Option<Upload>,
    /// Whether the answer is read with its `_links` objects.
    pub links: Links,
}

/// What becomes of the HAL `_links` objects in a JSON answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Links {
    #[default]
    Keep,
    /// Left out at any depth while the answer is read: for a caller that throws them away
    /// anyway, which then never builds them (a third of the nodes of a user).
    Drop,
}

impl ApiRequest {
    fn new(method: Method, path: ApiPath, idempotent: bool) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            idempotent,
            upload: None,
            links: Links::Keep,
        }
    }
    pub fn get(path: ApiPath) -> Self {
        Self::new(Method::Get, path, true)
    }
    pub fn post(path: ApiPath) -> Self {
        Self::new(Method::Post, path, false)
    }
    pub fn put(path: ApiPath) -> Self {
        Self::new(Method::Put, path, true)
    }
    pub fn delete(path: ApiPath) -> Self {
        Self::new(Method::Delete, path, true)
    }
    /// A partial update; not retried, since Okta does not document PATCH as idempotent.
    pub fn patch(path: ApiPath) -> Self {
        Self::new(Method::Patch, path, false)
    }
    pub fn head(path: ApiPath) -> Self {
        Self::new(Method::Head, path, true)
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
    /// The answer is read without its `_links` objects ([`Links::Drop`]).
    pub fn without_links(mut self) -> Self {
        self.links = Links::Drop;
        self
    }
    /// Sends `upload` as a multipart form (replaces any JSON body).
    pub fn upload(mut self, upload: Upload) -> Self {
        self.body = None;
        self.upload = Some(upload);
        self
    }

    /// What the request carries, for one attempt.
    pub(crate) fn payload(&self) -> upload::Payload<'_> {
        match (&self.upload, &self.body) {
            (Some(file), _) => upload::Payload::File(file),
            (None, Some(json)) => upload::Payload::Json(json),
            (None, None) => upload::Payload::Empty,
        }
    }

    /// Marks a POST that Okta documents as idempotent (lifecycle operations) as retryable.
    pub fn retryable(mut self) -> Self {
        self.idempotent = true;
        self
    }
}

/// An answer read by [`OktaClient::send_compact`]. Debug output leaves the body out, as
/// [`ApiResponse`]'s does.
pub enum CompactBody {
    /// The compact JSON text.
    Text(Vec<u8>),
    /// The answer as a value, not yet compacted.
    Value(Value),
}

impl std::fmt::Debug for CompactBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompactBody::Text(text) => write!(f, "CompactBody::Text({} bytes)", text.len()),
            CompactBody::Value(_) => f.write_str("CompactBody::Value(..)"),
        }
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

/// Debug output leaves the body out: it may hold a temporary password or a client secret.
#[derive(Clone)]
pub struct ApiResponse {
    pub status: u16,
    /// Parsed JSON body; `Value::Null` for an empty body (204).
    pub body: Value,
    /// The `after` cursor of the `Link: rel="next"` header, when there is one.
    pub next_cursor: Option<String>,
    /// Why a `rel="next"` link was dropped (it points off the org's origin): there is more,
    /// but no cursor to it.
    pub unfollowed_next: Option<String>,
    pub rate_limit: RateLimit,
    /// Okta's `X-Okta-Request-Id` for this request (None where the org sent none).
    pub request_id: Option<String>,
}

/// A document answer (see [`OktaClient::get_text`]).
#[derive(Clone, Debug)]
pub struct TextResponse {
    pub status: u16,
    pub text: String,
    pub request_id: Option<String>,
}

/// One page of a list endpoint. Debug output counts the items instead of printing them.
/// Items are JSON values by default; [`OktaClient::raw_pages`] keeps each item's text
/// instead, for callers that re-render items without needing a tree of the whole page.
#[derive(Clone)]
pub struct Page<T = Value> {
    pub items: Vec<T>,
    /// Cursor for the page after this one (None on the last page).
    pub next_cursor: Option<String>,
    /// Why the org's next link after this page is not followed (it points off the org's
    /// origin, or back to a page already read): the listing is incomplete though no cursor
    /// is left. None when this page is the last, or the next one is fetched.
    pub unfollowed_next: Option<String>,
}

impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path.as_str())
            .field("query", &self.query)
            .field("body", &self.body.as_ref().map(|_| "<json>"))
            .field("idempotent", &self.idempotent)
            .field("upload", &self.upload)
            .field("links", &self.links)
            .finish()
    }
}

impl std::fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("body", &"<json>")
            .field("next_cursor", &self.next_cursor)
            .field("rate_limit", &self.rate_limit)
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl<T> std::fmt::Debug for Page<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("items", &self.items.len())
            .field("next_cursor", &self.next_cursor)
            .field("unfollowed_next", &self.unfollowed_next)
            .finish()
    }
}

/// The HTTP client [`OktaClient::new`] builds for `config`: system trust store, env proxies,
/// `config`'s timeouts, no redirects. Reading the trust store is the costly part of start-up.
pub fn http_client(config: &ClientConfig) -> Result<reqwest::Client, ApiError> {
    transport::build(config)
}

/// The longest request URL sent (common server limits are 8 KiB for the request line).
const MAX_URL_BYTES: usize = 8 * 1024;

/// The Management API client. Cheap to clone; clones share connections and the
/// rate-limit view.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<client::Inner>,
    /// Where this clone notes the request ids of its writes (see [`WriteRecorder`]).
    writes: Option<WriteRecorder>,
    /// Set on a dry run's clone: writes are captured here instead of sent (see [`WritePlan`]).
    plan: Option<WritePlan>,
}

/// Collects Okta's `X-Okta-Request-Id` of every write (any method but GET and HEAD) sent
/// through a client made by [`OktaClient::recording_writes`], answered or refused, in
/// order: the audit journal names Okta's own record of each change a tool call made.
#[derive(Clone, Debug, Default)]
pub struct WriteRecorder(Arc<std::sync::Mutex<Vec<String>>>);

impl WriteRecorder {
    /// The request ids noted so far, oldest first.
    pub fn request_ids(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn note(&self, request_id: Option<&str>) {
        if let Some(id) = request_id {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id.to_owned());
        }
    }
}

impl std::fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaClient")
            .field("org_url", &self.inner.config.org_url.as_str())
            .finish_non_exhaustive()
    }
}

impl OktaClient {
    pub fn new(config: ClientConfig, auth: Arc<dyn RequestAuthorizer>) -> Result<Self, ApiError> {
        let http = http_client(&config)?;
        Self::with_http(config, auth, http)
    }

    /// Like [`OktaClient::new`] over an HTTP client from [`http_client`] that the caller
    /// also hands to the authenticator, so the process sets up TLS and loads the trust
    /// store once.
    pub fn with_http(
        config: ClientConfig,
        auth: Arc<dyn RequestAuthorizer>,
        http: reqwest::Client,
    ) -> Result<Self, ApiError> {
        transport::check_org_url(&config.org_url)?;
        Ok(Self {
            inner: Arc::new(client::Inner {
                config: Arc::new(config),
                auth,
                http,
                limiter: Arc::default(),
            }),
            writes: None,
            plan: None,
        })
    }

    /// The same client pacing with `view` beside its own rate-limit view: several processes
    /// acting on one org share what Okta's headers last said. Call it before cloning (the
    /// clones made earlier keep the view they had).
    pub fn with_shared_rate_view(self, view: Arc<dyn SharedRateView>) -> Self {
        Self {
            inner: Arc::new(client::Inner {
                config: self.inner.config.clone(),
                auth: self.inner.auth.clone(),
                http: self.inner.http.clone(),
                limiter: Arc::new(ratelimit::Limiter::with_shared(view)),
            }),
            writes: self.writes,
            plan: self.plan,
        }
    }

    /// The same client (org, connections, rate-limit view) authorizing its requests with
    /// `auth` instead: the team server's per-person client, acting with that person's token.
    pub fn acting_as(&self, auth: Arc<dyn RequestAuthorizer>) -> Self {
        Self {
            inner: Arc::new(client::Inner {
                config: self.inner.config.clone(),
                auth,
                http: self.inner.http.clone(),
                limiter: self.inner.limiter.clone(),
            }),
            writes: None,
            plan: None,
        }
    }

    /// A clone (sharing connections and rate limits) that notes the request id of every
    /// write it sends in `recorder`.
    pub fn recording_writes(&self, recorder: &WriteRecorder) -> OktaClient {
        OktaClient {
            inner: self.inner.clone(),
            writes: Some(recorder.clone()),
            plan: self.plan.clone(),
        }
    }

    /// A clone (sharing connections and rate limits) for a dry run: reads are sent, every
    /// write is captured in `plan` and answered with [`ApiError::NotSent`] instead.
    pub fn planning(&self, plan: &WritePlan) -> OktaClient {
        OktaClient {
            inner: self.inner.clone(),
            writes: self.writes.clone(),
            plan: Some(plan.clone()),
        }
    }

    /// Whether this client captures its writes instead of sending them (a dry run).
    pub fn is_planning(&self) -> bool {
        self.plan.is_some()
    }

    /// On a dry run, captures a write and says it was not sent.
    fn intercept(&self, request: &ApiRequest) -> Result<(), ApiError> {
        match &self.plan {
            Some(plan) if !matches!(request.method, Method::Get | Method::Head) => {
                let planned = plan.capture(request);
                Err(ApiError::NotSent {
                    method: planned.method.as_str(),
                    path: planned.path,
                })
            }
            _ => Ok(()),
        }
    }

    pub fn org_url(&self) -> &url::Url {
        &self.inner.config.org_url
    }

    /// Sends one request (with rate-limit waits and retries as its method allows).
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ApiError> {
        let fetched = self.fetch(&request).await?;
        let (next_cursor, unfollowed_next) = match &fetched.next {
            None => (None, None),
            Some(next) if link::same_origin(self.org_url(), next) => {
                (link::after_cursor(next), None)
            }
            Some(next) => (
                None,
                Some(paging::foreign_next_reason(&link::origin_text(next))),
            ),
        };
        Ok(ApiResponse {
            status: fetched.status,
            body: fetched.json_with(request.links)?,
            next_cursor,
            unfollowed_next,
            rate_limit: fetched.rate_limit,
            request_id: fetched.request_id,
        })
    }

    /// Sends one request and reads its answer straight into compact JSON text
    /// ([`compact_text`]: no `_links`, no null members, no members left empty objects), for a
    /// caller that only passes the answer on. An answer with a key twice in an object, or an
    /// empty body, comes back as a value instead, read as [`OktaClient::send`] reads it.
    pub async fn send_compact(&self, request: ApiRequest) -> Result<CompactBody, ApiError> {
        let fetched = self.fetch(&request).await?;
        match compact_text::to_vec(&fetched.body) {
            Ok(Some(text)) => Ok(CompactBody::Text(text)),
            // Read as a value, an empty body is null and a document that is not JSON is
            // reported as `send` reports it.
            Ok(None) | Err(_) => fetched.json_with(request.links).map(CompactBody::Value),
        }
    }

    /// Sends one request (with rate-limit waits and retries as its method allows), noting a
    /// write's request id for the audit record.
    async fn fetch(&self, request: &ApiRequest) -> Result<client::Fetched, ApiError> {
        let url = self.url_for(request)?;
        self.intercept(request)?;
        let result = self
            .inner
            .execute(request.method, &url, request.payload(), request.idempotent)
            .await;
        if let Some(recorder) = &self.writes
            && !matches!(request.method, Method::Get | Method::Head)
        {
            recorder.note(match &result {
                Ok(fetched) => fetched.request_id.as_deref(),
                Err(error) => error.request_id(),
            });
        }
        result
    }

    /// Sends a GET that answers a document rather than JSON (e.g. SAML metadata with
    /// `accept` = `application/xml`): the body comes back as text, Okta's errors as usual.
    pub async fn get_text(
        &self,
        request: ApiRequest,
        accept: &'static str,
    ) -> Result<TextResponse, ApiError> {
        if request.method != Method::Get {
            return Err(ApiError::InvalidRequest(
                "get_text sends GET requests only".into(),
            ));
        }
        let url = self.url_for(&request)?;
        let fetched = self
            .inner
            .execute_accepting(request.method, &url, request.payload(), true, accept)
            .await?;
        let text = String::from_utf8(fetched.body).map_err(|_| {
            ApiError::Decode(format!(
                "{}: the response body is not UTF-8 text",
                fetched.what
            ))
        })?;
        Ok(TextResponse {
            status: fetched.status,
            text,
            request_id: fetched.request_id,
        })
    }

    /// Pages of a list endpoint, following `next` links on the org's own origin only.
    /// Dropping the stream stops further fetches.
    pub fn pages(&self, first: ApiRequest) -> BoxStream<'static, Result<Page, ApiError>> {
        let start = self
            .url_for(&first)
            .and_then(|url| self.intercept(&first).map(|()| url))
            .map(|url| (first, url));
        paging::pages(self.inner.clone(), start)
    }

    /// Like [`OktaClient::pages`], with each item kept as its JSON text: a 1,000-event page
    /// costs its bytes, not a tree of values several times their size.
    pub fn raw_pages(
        &self,
        first: ApiRequest,
    ) -> BoxStream<'static, Result<Page<Box<RawValue>>, ApiError>> {
        let start = self
            .url_for(&first)
            .and_then(|url| self.intercept(&first).map(|()| url))
            .map(|url| (first, url));
        paging::pages(self.inner.clone(), start)
    }

    /// The absolute URL of a request on the org's origin, refusing poisoned paths.
    /// Refuses, before sending, a request whose URL is longer than servers accept, so it fails
    /// as a bad argument and not as a dropped connection.
    fn url_for(&self, request: &ApiRequest) -> Result<url::Url, ApiError> {
        if let Some(reason) = request.path.invalid_reason() {
            return Err(ApiError::InvalidRequest(reason.to_owned()));
        }
        let mut url = self.inner.config.org_url.clone();
        url.set_path(request.path.as_str());
        url.set_query(path::encode_query(&request.query).as_deref());
        url.set_fragment(None);
        if url.as_str().len() > MAX_URL_BYTES {
            return Err(ApiError::InvalidRequest(format!(
                "the request URL would be {} bytes, too long for Okta (at most {MAX_URL_BYTES}): shorten the search, filter or other text arguments",
                url.as_str().len()
            )));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Tool handlers run these futures on a multi-threaded runtime.
    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let auth = Arc::new(okta_auth::StaticToken(okta_auth::Secret::new("t")));
        let org = url::Url::parse("https://acme.okta.com").unwrap();
        let client = OktaClient::new(ClientConfig::new(org), auth).unwrap();
        let request = || ApiRequest::get(ApiPath::new(paths::USERS));
        assert_send(&client.send(request()));
        assert_send(&client.pages(request()));
    }

    #[test]
    fn debug_output_leaves_bodies_out() {
        let request = ApiRequest::post(ApiPath::new(paths::USERS)).json(json!({
            "credentials": {"password": {"value": "hunter2-Secret"}}
        }));
        let response = ApiResponse {
            status: 200,
            body: json!({"tempPassword": "Tmp-Secret-1"}),
            next_cursor: None,
            unfollowed_next: None,
            rate_limit: RateLimit::default(),
            request_id: None,
        };
        let page = Page {
            items: vec![json!({"client_secret": "cs-Secret"})],
            next_cursor: None,
            unfollowed_next: None,
        };
        let printed = format!("{request:?} {response:?} {page:?}");
        for secret in ["hunter2-Secret", "Tmp-Secret-1", "cs-Secret"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("/api/v1/users"));
    }
}
