//! What a user can fix becomes an `isError` tool result that says what went wrong and what to
//! do next; only server bugs become protocol errors.

use okta_client::ApiError;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// Arguments that do not match the tool's schema or its rules.
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The org (or the way to it) refused or failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request is understood but not allowed here (e.g. a path outside the allowed dirs).
    #[error("{0}")]
    Refused(String),
}

impl From<okta_auth::AuthError> for ToolError {
    fn from(e: okta_auth::AuthError) -> Self {
        ToolError::Api(ApiError::Auth(e))
    }
}

impl ToolError {
    /// The structured body of the error result.
    pub fn to_value(&self, tool: &str) -> Value {
        match self {
            ToolError::InvalidArguments(msg) => json!({
                "error": "invalid_arguments",
                "tool": tool,
                "message": msg,
                "hint": "Fix the arguments to match the tool's input schema and call again.",
            }),
            ToolError::Refused(msg) => json!({
                "error": "refused",
                "tool": tool,
                "message": msg,
            }),
            ToolError::Api(
                e @ ApiError::Okta {
                    status,
                    body,
                    rate_limit,
                    ..
                },
            ) => {
                let mut v = json!({
                    "error": "okta_api_error",
                    "tool": tool,
                    "status": status,
                    "errorCode": body.error_code,
                    "errorSummary": body.error_summary,
                    "hint": e.hint(),
                });
                if !body.error_causes.is_empty() {
                    v["errorCauses"] = body
                        .error_causes
                        .iter()
                        .map(|c| Value::String(c.error_summary.clone()))
                        .collect();
                }
                if let Some(id) = &body.error_id {
                    v["errorId"] = json!(id);
                }
                if let Some(id) = e.request_id() {
                    v["requestId"] = json!(id);
                }
                if *status == 429
                    && let Some(reset) = rate_limit.reset
                {
                    v["rateLimitReset"] = json!(reset);
                }
                v
            }
            ToolError::Api(ApiError::Auth(okta_auth::AuthError::AuthorizationPending {
                verification_uri_complete,
                user_code,
            })) => json!({
                "error": "authorization_pending",
                "tool": tool,
                "message": "Okta sign-in is needed before this server can call the org.",
                "verification_uri": verification_uri_complete,
                "user_code": user_code,
                "hint": format!("Ask the user to open {verification_uri_complete}, confirm code {user_code}, then call this tool again."),
            }),
            ToolError::Api(ApiError::Auth(okta_auth::AuthError::Rejected { message, hint })) => {
                json!({
                    "error": "authentication_failed",
                    "tool": tool,
                    "message": message,
                    "hint": hint,
                })
            }
            ToolError::Api(
                e @ ApiError::RateLimited {
                    family,
                    retry_in,
                    reset,
                    max_wait,
                },
            ) => {
                let retry_after_seconds =
                    retry_in.as_secs() + u64::from(retry_in.subsec_nanos() > 0);
                let retry_at = reset
                    .and_then(|r| chrono::DateTime::from_timestamp(r as i64, 0))
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                json!({
                    "error": "rate_limited",
                    "tool": tool,
                    "message": e.to_string(),
                    "endpoint_family": family,
                    "retry_after_seconds": retry_after_seconds,
                    "retry_at": retry_at,
                    "rateLimitReset": reset,
                    "hint": format!(
                        "{} This server lets one call wait {} s in all for rate limits \
                         (OKTA_MCP_MAX_RATE_LIMIT_WAIT); raise it to wait longer instead.",
                        e.hint(),
                        max_wait.as_secs()
                    ),
                })
            }
            ToolError::Api(e) => json!({
                "error": error_kind(e),
                "tool": tool,
                "message": e.to_string(),
                "hint": e.hint(),
            }),
        }
    }
}

fn error_kind(e: &ApiError) -> &'static str {
    match e {
        ApiError::Okta { .. } => "okta_api_error",
        ApiError::Auth(okta_auth::AuthError::StateStoreUnavailable(_)) => "state_store_unavailable",
        ApiError::Auth(_) => "authentication_failed",
        ApiError::Network(_) => "network_error",
        ApiError::Decode(_) => "bad_response",
        ApiError::ForeignNextLink(_) => "foreign_next_link",
        ApiError::RateLimited { .. } => "rate_limited",
        #[allow(unreachable_patterns)]
        _ => "api_error",
    }
}
