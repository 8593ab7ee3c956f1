//! Okta's error bodies as typed errors, and the one-line hint a person sees with them.

use crate::RateLimit;

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

impl OktaErrorBody {
    /// Decodes an error response body; a body that is not Okta's JSON (a proxy's HTML page,
    /// an empty 502) still yields a summary that says what came back.
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        if let Ok(parsed) = serde_json::from_slice::<OktaErrorBody>(body)
            && (!parsed.error_code.is_empty() || !parsed.error_summary.is_empty())
        {
            return parsed;
        }
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error");
        let snippet = printable_snippet(body, 160);
        let error_summary = if snippet.is_empty() {
            format!("HTTP {status} {reason} with an empty body")
        } else {
            format!("HTTP {status} {reason}; the body was not an Okta error: {snippet}")
        };
        Self {
            error_summary,
            ..Self::default()
        }
    }
}

/// The first `max` characters of a body, with control characters replaced, for messages.
fn printable_snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out.trim().to_owned()
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The org answered with an error status.
    #[error("Okta returned {status} {}: {}", body.error_code, body.error_summary)]
    Okta {
        status: u16,
        body: OktaErrorBody,
        rate_limit: RateLimit,
        /// `X-Okta-Request-Id` of the failed request, for the audit journal and Okta support.
        request_id: Option<String>,
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
    /// The request could not be built safely (an ID that cannot be one path segment, a bad
    /// org URL); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A dry run's write: captured as the plan, never sent (see [`crate::WritePlan`]).
    #[error("dry run: {method} {path} was not sent to Okta")]
    NotSent { method: &'static str, path: String },
    /// Okta's rate limit for an endpoint family is used up, and its reset is further away
    /// than the call may still wait (or the call already waited out several 429s).
    #[error("{}", rate_limited_message(family, *retry_in, *max_wait))]
    RateLimited {
        /// The endpoint family whose window is used up, e.g. `/api/v1/users`.
        family: String,
        /// How long until a retry may succeed (Okta's reset, or its Retry-After).
        retry_in: std::time::Duration,
        /// Unix seconds when Okta said the window resets.
        reset: Option<u64>,
        /// How long the call was allowed to wait for rate limits in all.
        max_wait: std::time::Duration,
    },
}

fn rate_limited_message(
    family: &str,
    retry_in: std::time::Duration,
    max_wait: std::time::Duration,
) -> String {
    format!(
        "Okta's rate limit for {family} is used up and resets in {} s; this call may not wait \
         that long (it may wait {} s in all for rate limits)",
        whole_seconds(retry_in),
        max_wait.as_secs()
    )
}

/// Seconds rounded up, so "0 s" never means "a moment from now".
fn whole_seconds(d: std::time::Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl ApiError {
    /// One line that tells a person what to do about this error.
    pub fn hint(&self) -> String {
        match self {
            ApiError::Okta {
                status,
                body,
                rate_limit,
                ..
            } => okta_hint(*status, body, rate_limit),
            ApiError::Auth(err) => auth_hint(err),
            ApiError::Network(_) => {
                "Check that OKTA_ORG_URL is reachable from here; behind a proxy set \
                 HTTPS_PROXY/NO_PROXY, and with TLS inspection point SSL_CERT_FILE at the \
                 corporate CA bundle."
                    .to_owned()
            }
            ApiError::Decode(_) => {
                "Okta's response was cut off or not the JSON expected; retry, and if \
                 it persists look for a proxy that rewrites or truncates responses."
                    .to_owned()
            }
            ApiError::ForeignNextLink(_) => {
                "The results up to this page are complete; the org's next-page \
                 link pointed at another host and was not followed so the token stays with the \
                 org. Check OKTA_ORG_URL matches the org's canonical URL."
                    .to_owned()
            }
            ApiError::InvalidRequest(_) => {
                "Fix the argument named in the message and call again; nothing was sent to Okta."
                    .to_owned()
            }
            ApiError::NotSent { .. } => {
                "This was a dry run: the request was shown, not sent; call again without \
                 dry_run to make the change."
                    .to_owned()
            }
            ApiError::RateLimited {
                family, retry_in, ..
            } => format!(
                "Okta allows each org only so many calls a minute to {family}; retry in {} s \
                 (after the reset), or make fewer calls: larger pages, filters, a summary tool.",
                whole_seconds(*retry_in)
            ),
        }
    }

    /// Okta's `errorCode`, when the org sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            ApiError::Okta { body, .. } if !body.error_code.is_empty() => Some(&body.error_code),
            ApiError::RateLimited { .. } => Some("E0000047"),
            _ => None,
        }
    }

    /// Okta's `X-Okta-Request-Id` of a request the org answered with an error.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Okta { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// HTTP status of an org error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Okta { status, .. } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}

fn okta_hint(status: u16, body: &OktaErrorBody, rate_limit: &RateLimit) -> String {
    match (body.error_code.as_str(), status) {
        ("E0000006", _) | ("", 403) => {
            "The token lacks the permission or OAuth scope this call needs: \
             grant the scope (e.g. okta.users.manage) to the app in Okta, add it to OKTA_SCOPES, \
             and sign in again (`okta-mcp-server auth login`)."
                .to_owned()
        }
        ("E0000007", _) | ("", 404) => {
            "Nothing with that ID exists in this org: check the ID, or list/search to find it."
                .to_owned()
        }
        ("E0000011", _) | ("", 401) => {
            "Okta rejected the access token (invalid, expired or revoked): \
             sign in again with `okta-mcp-server auth login`."
                .to_owned()
        }
        ("E0000047", _) | ("", 429) => rate_limit_hint(rate_limit),
        ("E0000001", _) => {
            let causes: Vec<&str> = body
                .error_causes
                .iter()
                .map(|c| c.error_summary.as_str())
                .filter(|s| !s.is_empty())
                .collect();
            if causes.is_empty() {
                "Okta rejected the input as invalid: correct the fields and retry.".to_owned()
            } else {
                format!(
                    "Okta rejected the input: {}. Correct those fields and retry.",
                    causes.join("; ")
                )
            }
        }
        (_, 500..=599) => {
            let id = body
                .error_id
                .as_deref()
                .map(|id| format!(" (errorId {id})"))
                .unwrap_or_default();
            format!(
                "Okta had a server-side error{id}; retry later. Creates are never retried \
                 automatically, so check whether the object exists before creating it again."
            )
        }
        _ => format!(
            "Okta refused the request ({status}): {}",
            if body.error_summary.is_empty() {
                "see the status"
            } else {
                &body.error_summary
            }
        ),
    }
}

fn rate_limit_hint(rate_limit: &RateLimit) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match rate_limit.reset {
        Some(reset) if reset > now => format!(
            "Okta's rate limit for this endpoint is used up; it resets in {} s. Retry after that, \
             or ask for fewer/larger pages.",
            reset - now
        ),
        _ => "Okta's rate limit for this endpoint is used up; wait a minute and retry, or ask for \
              fewer/larger pages."
            .to_owned(),
    }
}

fn auth_hint(err: &okta_auth::AuthError) -> String {
    use okta_auth::AuthError;
    match err {
        AuthError::AuthorizationPending {
            verification_uri_complete,
            user_code,
        } => {
            format!("Open {verification_uri_complete}, confirm code {user_code}, then call again.")
        }
        AuthError::Rejected { hint, .. } => hint.clone(),
        AuthError::Store(_) => "The token store failed; set OKTA_MCP_TOKEN_STORE=file (or memory) \
             if the OS keyring is unavailable."
            .to_owned(),
        AuthError::Network(_) => {
            "Check that the org's OAuth endpoints are reachable (OKTA_ORG_URL, \
             HTTPS_PROXY/NO_PROXY, SSL_CERT_FILE)."
                .to_owned()
        }
        AuthError::Unavailable(_) => "Okta's authorization server is failing; nothing \
             in the configuration is wrong. Wait a minute and call again; \
             https://status.okta.com lists incidents."
            .to_owned(),
        AuthError::StateStoreUnavailable(_) => {
            "The server's state store (which holds your sign-in) did not answer; nothing was \
             sent to Okta. Call again in a moment; if it persists, tell the server's operator."
                .to_owned()
        }
        AuthError::Config(_) => {
            "Fix the auth settings (OKTA_ORG_URL, OKTA_CLIENT_ID, OKTA_SCOPES, \
             OKTA_PRIVATE_KEY/OKTA_KEY_ID) and restart."
                .to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn okta(status: u16, json: &str) -> ApiError {
        ApiError::Okta {
            status,
            body: OktaErrorBody::from_response(status, json.as_bytes()),
            rate_limit: RateLimit::default(),
            request_id: None,
        }
    }

    #[test]
    fn decodes_okta_error_body() {
        let err = okta(
            400,
            r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: login",
               "errorLink":"E0000001","errorId":"oaeX1",
               "errorCauses":[{"errorSummary":"login: An object with this field already exists"}]}"#,
        );
        let ApiError::Okta { body, .. } = &err else {
            panic!("not an Okta error")
        };
        assert_eq!(body.error_id.as_deref(), Some("oaeX1"));
        assert_eq!(err.error_code(), Some("E0000001"));
        assert!(
            err.hint()
                .contains("login: An object with this field already exists")
        );
        assert_eq!(
            err.to_string(),
            "Okta returned 400 E0000001: Api validation failed: login"
        );
    }

    #[test]
    fn hints_for_common_codes() {
        let cases = [
            (403, "E0000006", "scope"),
            (404, "E0000007", "ID"),
            (401, "E0000011", "sign in again"),
            (429, "E0000047", "rate limit"),
            (500, "E0000009", "server-side"),
        ];
        for (status, code, needle) in cases {
            let err = okta(
                status,
                &format!(r#"{{"errorCode":"{code}","errorSummary":"x","errorId":"id1"}}"#),
            );
            assert!(err.hint().contains(needle), "{code}: {}", err.hint());
        }
    }

    #[test]
    fn rate_limit_hint_says_when() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let err = ApiError::Okta {
            status: 429,
            body: OktaErrorBody::from_response(
                429,
                br#"{"errorCode":"E0000047","errorSummary":"x"}"#,
            ),
            rate_limit: RateLimit {
                limit: Some(600),
                remaining: Some(0),
                reset: Some(now + 30),
            },
            request_id: None,
        };
        assert!(err.hint().contains("resets in"), "{}", err.hint());
    }

    #[test]
    fn non_okta_bodies_still_explain_themselves() {
        let body = OktaErrorBody::from_response(502, b"<html>\n<h1>Bad gateway</h1></html>");
        assert!(body.error_summary.contains("502 Bad Gateway"));
        assert!(body.error_summary.contains("<h1>Bad gateway</h1>"));
        let empty = OktaErrorBody::from_response(503, b"");
        assert!(empty.error_summary.contains("empty body"));
    }
}
