//! The org authorization server: OAuth endpoints, token minting, bearer checks.
//!
//! Interface used by the rest of the sandbox (keep these signatures; extend freely):
//! - `OAuthServer::new(issuer, ttl, key_dir)` registers the default clients.
//! - `router()` serves /oauth2/v1/*, /.well-known/oauth-authorization-server and the
//!   device verification pages.
//! - `authenticate(..)` checks the Authorization (and DPoP) headers of a Management API call.

use axum::http::{HeaderMap, Method, StatusCode};
use std::time::Duration;

/// Why a Management API call was refused; the caller renders it as an Okta error body.
#[derive(Debug, Clone)]
pub struct BearerRejection {
    /// 401 (missing, invalid or expired token) or 403 (scope not granted).
    pub status: StatusCode,
    /// Okta error code: E0000011 for 401, E0000006 for 403.
    pub error_code: &'static str,
    pub error_summary: String,
    /// Value for the `WWW-Authenticate` response header.
    pub www_authenticate: Option<String>,
}

/// Who a valid token was issued to.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
}

#[derive(Clone)]
pub struct OAuthServer {}

impl OAuthServer {
    pub fn new(
        issuer: String,
        access_token_ttl: Duration,
        key_dir: Option<std::path::PathBuf>,
    ) -> std::io::Result<Self> {
        let _ = (issuer, access_token_ttl, key_dir);
        unimplemented!("oauth server")
    }

    pub fn router(&self) -> axum::Router {
        unimplemented!()
    }

    /// `url` is the full request URL as the client sent it (needed for DPoP `htu`).
    pub fn authenticate(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
        required_scope: &str,
    ) -> Result<TokenInfo, BearerRejection> {
        let _ = (method, url, headers, required_scope);
        unimplemented!()
    }

    pub fn device_client(&self) -> crate::RegisteredClient {
        unimplemented!()
    }

    pub fn service_client(&self) -> crate::RegisteredClient {
        unimplemented!()
    }
}
