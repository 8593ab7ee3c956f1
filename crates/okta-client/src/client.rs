//! One request's life: rate-limit pacing, auth headers, the 401 re-auth, 429 waits,
//! retries of transient failures, body limits and decoding.

use crate::backoff::Backoff;
use crate::link;
use crate::ratelimit::{self, Limiter};
use crate::transport::{self, BodyError};
use crate::upload::Payload;
use crate::{ApiError, ClientConfig, Links, Method, OktaErrorBody, RateLimit};
use okta_auth::RequestAuthorizer;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, LINK, RETRY_AFTER};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Shared by every clone of an `OktaClient`.
pub(crate) struct Inner {
    /// Shared with [`crate::OktaClient::acting_as`] clients too: the team server makes one
    /// such client per tool call, and a copy was the org URL allocated again each time.
    pub config: Arc<ClientConfig>,
    pub auth: Arc<dyn RequestAuthorizer>,
    pub http: reqwest::Client,
    /// Shared with [`crate::OktaClient::acting_as`] clients: the org's rate limits are the
    /// org's, whoever calls.
    pub limiter: Arc<Limiter>,
}

/// A successful response, before it is shaped into an `ApiResponse` or a `Page`. The body
/// stays bytes until then: a page is decoded straight into its items, never into a tree first.
pub(crate) struct Fetched {
    /// `METHOD /path`, for error messages.
    pub what: String,
    pub status: u16,
    pub body: Vec<u8>,
    /// The `rel="next"` target, resolved, whatever its origin.
    pub next: Option<Url>,
    pub rate_limit: RateLimit,
    /// Okta's `X-Okta-Request-Id`: names this request in the System Log and to Okta support.
    pub request_id: Option<String>,
}

/// What every request asks for unless it says otherwise.
const JSON: &str = "application/json";

/// The header in which Okta names each request (also the System Log's `transaction.id`).
pub const REQUEST_ID_HEADER: &str = "x-okta-request-id";

/// After a reset, requests wait this much more, spread at random so a crowd of callers
/// does not arrive in the same millisecond.
const RESET_JITTER_MS: u64 = 150;

impl Inner {
    fn backoff(&self) -> Backoff {
        Backoff {
            base: self.config.retry_base_delay,
            cap: Duration::from_secs(8),
            max_retries: self.config.max_retries,
            max_elapsed: self.config.max_retry_elapsed,
        }
    }

    /// Sends `method url` until it succeeds, fails for good, or its retry budget is spent.
    /// The whole retry policy reads top to bottom here: pacing, 401 re-auth once, 429 waits
    /// for any method (Okta rejected it unprocessed), 5xx and broken transfers retried only
    /// when the request is idempotent, a failed connect retried always (nothing was sent).
    pub async fn execute(
        &self,
        method: Method,
        url: &Url,
        body: Payload<'_>,
        idempotent: bool,
    ) -> Result<Fetched, ApiError> {
        self.execute_accepting(method, url, body, idempotent, JSON)
            .await
    }

    /// [`Inner::execute`] asking for `accept` instead of JSON (e.g. SAML metadata XML);
    /// error bodies are still Okta's JSON.
    pub async fn execute_accepting(
        &self,
        method: Method,
        url: &Url,
        body: Payload<'_>,
        idempotent: bool,
        accept: &'static str,
    ) -> Result<Fetched, ApiError> {
        let what = format!("{} {}", method.as_str(), url.path());
        let family = ratelimit::family(url.path());
        let backoff = self.backoff();
        let started = Instant::now();
        let mut retries = 0u32;
        let mut rate_limit_waits = 0u32;
        let mut reauthorized = false;

        loop {
            let permit = self
                .limiter
                .acquire(&family, self.config.max_rate_limit_wait)
                .await;
            let auth = self.auth.authorize(method.as_str(), url).await?;
            let builder = self.request(method, url, body, &auth, accept)?;
            let mut response = match builder.send().await {
                Ok(response) => response,
                Err(err) => {
                    drop(permit);
                    // A failed connect never reached Okta, so even a create may go again.
                    let may_retry =
                        transport::is_transient(&err) && (idempotent || err.is_connect());
                    if may_retry && let Some(delay) = self.next_retry(&backoff, retries, started) {
                        retries += 1;
                        tracing::warn!(request = %what, error = %transport::describe(&err), ?delay, "retrying after a network error");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(network_error(&what, &err, idempotent, retries));
                }
            };

            let status = response.status().as_u16();
            // Taken, not copied: reading the body needs none of them (its length comes from
            // the body's own size hint).
            let headers = std::mem::take(response.headers_mut());
            let rate_limit = ratelimit::parse(&headers);
            let skew = ratelimit::server_skew(&headers);
            self.limiter
                .report(&family, &rate_limit, permit.is_probe())
                .await;
            permit.observe(&rate_limit, skew);
            tracing::debug!(request = %what, status, remaining = ?rate_limit.remaining, "okta response");

            if status == 401 && !reauthorized {
                reauthorized = true;
                let nonce = header_str(&headers, "dpop-nonce");
                self.auth.rejected(&auth, nonce).await;
                tracing::info!(request = %what, "401 from Okta; retrying once with fresh credentials");
                continue;
            }

            if status == 429 {
                // A Reset already in the past (clock skew, a proxy's 429) gives way to
                // Retry-After or a backoff delay, so the retries do not fire back to back.
                let wait = match rate_limit.reset.map(|r| ratelimit::until_reset(r, skew)) {
                    Some(until) if !until.is_zero() => until + jitter(),
                    _ => retry_after(&headers).unwrap_or_else(|| {
                        backoff.delay(rate_limit_waits, &mut rand::thread_rng())
                    }),
                };
                let allowed = ratelimit::allowance(self.config.max_rate_limit_wait);
                if rate_limit_waits < self.config.max_rate_limit_retries && wait <= allowed {
                    rate_limit_waits += 1;
                    tracing::warn!(request = %what, wait_secs = wait.as_secs(), "rate limited (429); waiting for the reset");
                    ratelimit::wait_out(&family, wait, rate_limit.reset).await;
                    continue;
                }
                // The wait is longer than this call may still wait: say so now, not after it.
                return Err(ApiError::RateLimited {
                    family,
                    retry_in: wait,
                    reset: rate_limit.reset,
                    max_wait: ratelimit::budget(self.config.max_rate_limit_wait),
                });
            }

            if idempotent && is_retryable_status(status) {
                let hint = retry_after(&headers);
                if let Some(delay) = self.next_retry_with(&backoff, retries, started, hint) {
                    retries += 1;
                    tracing::warn!(request = %what, status, ?delay, "retrying after a server error");
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }

            let bytes = match transport::read_body(response, self.config.max_body_bytes).await {
                Ok(bytes) => bytes,
                Err(BodyError::TooLarge(max)) => {
                    return Err(ApiError::Decode(format!(
                        "{what}: the response body is larger than the {max}-byte limit"
                    )));
                }
                Err(BodyError::Transport(err)) => {
                    if idempotent && let Some(delay) = self.next_retry(&backoff, retries, started) {
                        retries += 1;
                        tracing::warn!(request = %what, error = %transport::describe(&err), ?delay, "retrying after a broken response body");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(network_error(&what, &err, idempotent, retries));
                }
            };

            let request_id = header_str(&headers, REQUEST_ID_HEADER).map(str::to_owned);
            if !(200..300).contains(&status) {
                return Err(ApiError::Okta {
                    status,
                    body: OktaErrorBody::from_response(status, &bytes),
                    rate_limit,
                    request_id,
                });
            }
            let next = link::next_link(
                headers.get_all(LINK).iter().filter_map(|v| v.to_str().ok()),
                url,
            );
            return Ok(Fetched {
                what,
                status,
                body: bytes,
                next,
                rate_limit,
                request_id,
            });
        }
    }

    /// One attempt's request: the method and URL, JSON in, `accept` out, and the credentials.
    fn request(
        &self,
        method: Method,
        url: &Url,
        body: Payload<'_>,
        auth: &okta_auth::RequestAuth,
        accept: &'static str,
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        let mut builder = self
            .http
            .request(method.to_reqwest(), url.clone())
            .header(
                AUTHORIZATION,
                match &auth.authorization_header {
                    Some(prepared) => prepared.clone(),
                    None => sensitive(&auth.authorization)?,
                },
            )
            .header(ACCEPT, accept);
        if let Some(proof) = &auth.dpop_proof {
            builder = builder.header("DPoP", sensitive(proof)?);
        }
        Ok(match body {
            Payload::Empty => builder,
            Payload::Json(json) => builder.json(json),
            Payload::File(file) => builder.multipart(file.form()?),
        })
    }

    fn next_retry(&self, backoff: &Backoff, retries: u32, started: Instant) -> Option<Duration> {
        self.next_retry_with(backoff, retries, started, None)
    }

    fn next_retry_with(
        &self,
        backoff: &Backoff,
        retries: u32,
        started: Instant,
        hint: Option<Duration>,
    ) -> Option<Duration> {
        backoff.next(retries, started.elapsed(), hint, &mut rand::thread_rng())
    }
}

/// A header value the HTTP stack must never print (hyper and reqwest honour the flag).
fn sensitive(secret: &okta_auth::Secret) -> Result<HeaderValue, ApiError> {
    okta_auth::sensitive_header(secret).ok_or_else(|| {
        ApiError::InvalidRequest(
            "the credentials contain characters not allowed in an HTTP header".into(),
        )
    })
}

fn jitter() -> Duration {
    use rand::Rng;
    Duration::from_millis(50 + rand::thread_rng().gen_range(0..=RESET_JITTER_MS))
}

/// 5xx that a retry can cure; 501/505 say the request itself will never work.
fn is_retryable_status(status: u16) -> bool {
    (500..=599).contains(&status) && status != 501 && status != 505
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Okta).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_str(headers, RETRY_AFTER.as_str())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Fetched {
    /// The body as JSON; `Value::Null` when it is empty (204).
    pub fn json(&self) -> Result<Value, ApiError> {
        self.json_with(Links::Keep)
    }

    /// [`Fetched::json`], with or without the `_links` objects.
    pub fn json_with(&self, links: Links) -> Result<Value, ApiError> {
        decode_json(&self.what, self.status, &self.body, links)
    }

    /// The body as a list of `T`: empty for an empty or `null` body, an error naming what
    /// came instead of a JSON array.
    pub fn list<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>, ApiError> {
        let first = self.body.iter().find(|b| !b.is_ascii_whitespace());
        match first {
            None => return Ok(Vec::new()),
            Some(b'[') => {}
            Some(b'n') if self.json()? == Value::Null => return Ok(Vec::new()),
            Some(_) => {
                let kind = json_kind(&self.json()?);
                return Err(ApiError::Decode(format!(
                    "{} returned a JSON {kind} where a list was expected",
                    self.what
                )));
            }
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| decode_error(&self.what, self.status, self.body.len(), &e))
    }
}

fn decode_json(what: &str, status: u16, bytes: &[u8], links: Links) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    match links {
        Links::Keep => serde_json::from_slice(bytes),
        Links::Drop => crate::without_links::from_slice(bytes),
    }
    .map_err(|e| decode_error(what, status, bytes.len(), &e))
}

fn decode_error(what: &str, status: u16, len: usize, e: &serde_json::Error) -> ApiError {
    let shape = if e.is_eof() {
        "ends before the JSON does (truncated)"
    } else {
        "is not valid JSON"
    };
    ApiError::Decode(format!(
        "{what}: the {status} response body ({len} bytes) {shape}: {e}"
    ))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn network_error(what: &str, err: &reqwest::Error, idempotent: bool, retries: u32) -> ApiError {
    let detail = transport::describe(err);
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "connection broke while reading the response"
    } else {
        "request failed"
    };
    let after = match retries {
        0 => String::new(),
        1 => " after 1 retry".to_owned(),
        n => format!(" after {n} retries"),
    };
    let note = if idempotent || err.is_connect() {
        String::new()
    } else {
        "; not retried automatically because it may have reached Okta: check whether it took \
         effect before sending it again"
            .to_owned()
    };
    ApiError::Network(format!("{what} {kind}{after} ({detail}){note}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_decoding_says_what_is_wrong() {
        assert_eq!(
            decode_json("GET /x", 204, b"", Links::Keep).unwrap(),
            Value::Null
        );
        assert_eq!(
            decode_json("GET /x", 200, b"[1]", Links::Keep).unwrap(),
            serde_json::json!([1])
        );
        let truncated = decode_json("GET /x", 200, br#"[{"id":"00u1","#, Links::Keep).unwrap_err();
        assert!(truncated.to_string().contains("truncated"), "{truncated}");
        let garbage = decode_json("GET /x", 200, b"<html>", Links::Keep).unwrap_err();
        assert!(garbage.to_string().contains("not valid JSON"), "{garbage}");
    }

    #[test]
    fn retryable_statuses() {
        assert!(is_retryable_status(500));
        assert!(is_retryable_status(503));
        assert!(!is_retryable_status(501));
        assert!(!is_retryable_status(404));
        assert!(!is_retryable_status(429));
    }
}
