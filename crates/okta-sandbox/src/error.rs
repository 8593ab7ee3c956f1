//! Okta's error body and the statuses that go with each error code, so every failure the
//! sandbox returns looks like the one a real org would send.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::json;

/// One Okta API error: the status plus the fields of `components.schemas.Error`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub summary: String,
    pub causes: Vec<String>,
    /// Extra response header (e.g. `WWW-Authenticate` on 401/403).
    pub www_authenticate: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        Self {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
            www_authenticate: None,
        }
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    /// 400 E0000001, Okta's generic validation failure ("Api validation failed: {what}").
    pub fn validation(what: &str, cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            format!("Api validation failed: {what}"),
        )
        .with_cause(cause)
    }

    /// 400 E0000031, what Okta answers to a search or filter expression it rejects.
    pub fn invalid_search() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000031",
            "Invalid search criteria.",
        )
    }

    /// 400 E0000003, a body that is not the JSON the endpoint expects.
    pub fn malformed_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        )
    }

    /// 404 E0000007 with Okta's wording, e.g. "Not found: Resource not found: 00u1 (User)".
    pub fn not_found(id: &str, kind: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {id} ({kind})"),
        )
    }

    /// 404 E0000007 for a path no endpoint serves.
    pub fn no_such_endpoint(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {path} (Endpoint)"),
        )
    }

    /// 405 E0000022 for a known path called with a method it does not serve.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// 403 E0000006, an operation the org refuses regardless of the token.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
    }

    /// The JSON body exactly as Okta shapes it.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": new_error_id(),
            "errorCauses": self
                .causes
                .iter()
                .map(|c| json!({ "errorSummary": c }))
                .collect::<Vec<_>>(),
        })
    }
}

/// Okta error ids look like `oaeXXXXXXXXXXXXXXXXXXX`: a fresh one per response, for support lookups.
fn new_error_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    let tail: String = (0..19)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("oae{tail}")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(value) = self
            .www_authenticate
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_every_okta_field() {
        let err = ApiError::not_found("00uabc", "User");
        let body = err.body();
        assert_eq!(body["errorCode"], "E0000007");
        assert_eq!(body["errorLink"], "E0000007");
        assert_eq!(
            body["errorSummary"],
            "Not found: Resource not found: 00uabc (User)"
        );
        assert_eq!(body["errorCauses"], json!([]));
        let id = body["errorId"].as_str().unwrap_or_default();
        assert!(id.starts_with("oae") && id.len() == 22, "{id}");
    }

    #[test]
    fn validation_error_carries_its_cause() {
        let err = ApiError::validation("user", "login: An object with this field already exists");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        let body = err.body();
        assert_eq!(body["errorSummary"], "Api validation failed: user");
        assert_eq!(
            body["errorCauses"][0]["errorSummary"],
            "login: An object with this field already exists"
        );
    }

    #[test]
    fn response_sets_status_and_www_authenticate() {
        let mut err = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        );
        err.www_authenticate = Some("Bearer error=\"invalid_token\"".into());
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\""
        );
    }
}
