//! Okta OAuth token acquisition and caching. Knows nothing of MCP or of tools.
//!
//! Flows: device authorization (RFC 8628), private_key_jwt client credentials (RFC 7523,
//! RS256/ES256), refresh with rotation, revocation (RFC 7009), DPoP (RFC 9449). Tokens are
//! cached per (org, client id, method) in the OS keyring, a 0600 file, or memory, and reused
//! across restarts; see [`Authenticator`] for the ladder and its locking.
//!
//! The public surface the rest of the workspace relies on (keep these names; extend freely):
//! - [`RequestAuthorizer`]: what the HTTP client needs for one request.
//! - [`Authenticator`]: the cache ladder behind it, configured by [`AuthSettings`].
//! - [`StaticToken`]: a fixed bearer token, for tests of code that only needs a token.
//! - secret newtypes that print `****`.

mod assertion;
mod authenticator;
mod dpop;
mod hints;
mod jwt;
mod key;
mod lock;
mod oauth;
mod record;
pub mod store;
pub mod web;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A string that must never reach a log, an error message or a Debug print.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The only way to read the value: call sites are easy to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

/// `secret` as a header value the HTTP stack never prints (hyper and reqwest honour the
/// flag); None when it holds characters a header may not. Checking every character of a
/// 1.4 KB token on every request was 3% of a team server's CPU per call, so authorizers that
/// hold a token for many requests make its header once.
pub fn sensitive_header(secret: &Secret) -> Option<reqwest::header::HeaderValue> {
    let mut value = reqwest::header::HeaderValue::from_str(secret.expose()).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Headers that authorize one Management API request.
#[derive(Clone, Debug)]
pub struct RequestAuth {
    /// Full `Authorization` header value: `Bearer <token>` or `DPoP <token>`.
    pub authorization: Secret,
    /// `authorization` as a header value already checked and marked sensitive, when the
    /// authorizer keeps one per token (see [`sensitive_header`]); None: the client makes it.
    pub authorization_header: Option<reqwest::header::HeaderValue>,
    /// `DPoP` proof header for this exact method and URL, when the token is DPoP-bound.
    pub dpop_proof: Option<Secret>,
}

/// Why no usable credentials could be produced. Messages say what to do; none holds a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// A person must approve a device authorization before calls can succeed.
    #[error(
        "Okta sign-in needed: open {verification_uri_complete} and confirm code {user_code}, then retry"
    )]
    AuthorizationPending {
        verification_uri_complete: String,
        user_code: String,
    },
    /// The org or configuration refused us; `hint` says what to change.
    #[error("{message}. {hint}")]
    Rejected { message: String, hint: String },
    #[error("token store: {0}")]
    Store(String),
    #[error("could not reach the Okta org: {0}")]
    Network(String),
    /// The org's token endpoint answered 5xx or dropped the connection through every retry:
    /// Okta is having trouble, nothing in the configuration is wrong.
    #[error("{0}")]
    Unavailable(String),
    /// The shared store that keeps the caller's tokens (the team server's state store) did
    /// not answer: nothing was sent to the org, and the same call works once it is back.
    #[error("{0}")]
    StateStoreUnavailable(String),
    #[error("invalid auth configuration: {0}")]
    Config(String),
}

/// What the HTTP client needs from authentication: headers for one request, and a way to say
/// the org rejected them (so the cached token is dropped and the next call runs the ladder).
pub trait RequestAuthorizer: Send + Sync + 'static {
    fn authorize<'a>(
        &'a self,
        method: &'a str,
        url: &'a url::Url,
    ) -> BoxFuture<'a, Result<RequestAuth, AuthError>>;

    /// Called on a 401. `dpop_nonce` is the `DPoP-Nonce` response header, if any.
    fn rejected<'a>(
        &'a self,
        used: &'a RequestAuth,
        dpop_nonce: Option<&'a str>,
    ) -> BoxFuture<'a, ()>;
}

/// A fixed bearer token.
pub struct StaticToken(pub Secret);

impl RequestAuthorizer for StaticToken {
    fn authorize<'a>(
        &'a self,
        _method: &'a str,
        _url: &'a url::Url,
    ) -> BoxFuture<'a, Result<RequestAuth, AuthError>> {
        let auth = RequestAuth {
            authorization: Secret::new(format!("Bearer {}", self.0.expose())),
            authorization_header: None,
            dpop_proof: None,
        };
        Box::pin(async move { Ok(auth) })
    }

    fn rejected<'a>(&'a self, _: &'a RequestAuth, _: Option<&'a str>) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

impl<T: RequestAuthorizer + ?Sized> RequestAuthorizer for Arc<T> {
    fn authorize<'a>(
        &'a self,
        method: &'a str,
        url: &'a url::Url,
    ) -> BoxFuture<'a, Result<RequestAuth, AuthError>> {
        (**self).authorize(method, url)
    }
    fn rejected<'a>(&'a self, used: &'a RequestAuth, nonce: Option<&'a str>) -> BoxFuture<'a, ()> {
        (**self).rejected(used, nonce)
    }
}

/// How the server authenticates to the org.
#[derive(Clone, Debug)]
pub enum AuthMethod {
    /// RFC 8628 device authorization grant (a person approves in a browser).
    DeviceFlow,
    /// RFC 7523 client_credentials with a signed client assertion.
    PrivateKeyJwt { key: Secret, key_id: String },
}

/// Where tokens are cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Keyring,
    File,
    Memory,
}

#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Org origin, e.g. `https://acme.okta.com` (no trailing slash).
    pub org_url: url::Url,
    pub client_id: String,
    /// Management scopes asked for (OKTA_SCOPES), e.g. `okta.users.read`.
    pub scopes: Vec<String>,
    pub method: AuthMethod,
    pub store: StoreKind,
    /// OKTA_MCP_DPOP=1: always use DPoP (otherwise only when the org demands it).
    pub dpop: bool,
}

pub use authenticator::{
    AuthState, AuthStatus, Authenticator, DevicePrompt, LogoutOutcome, TokenIdentity, TokenSource,
};
pub use dpop::DpopKey;
pub use jwt::jwt_exp;
pub use key::SigningKey;
pub use record::{EXPIRY_MARGIN_SECS, TokenRecord, scopes_cover};
pub use store::file::FileStore;
pub use store::keyring::KeyringStore;
pub use store::memory::MemoryStore;
pub use store::{CacheKey, TokenStore};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_stars_in_debug_and_display() {
        let secret = Secret::new("eyJhbGciOi.secret.value");
        assert_eq!(format!("{secret:?}"), "****");
        assert_eq!(format!("{secret}"), "****");
        let authorization = Secret::new("Bearer eyJhbGciOi.secret.value");
        let auth = RequestAuth {
            authorization_header: sensitive_header(&authorization),
            authorization,
            dpop_proof: Some(Secret::new("proof.value.sig")),
        };
        let debug = format!("{auth:?}");
        assert!(
            !debug.contains("secret.value") && !debug.contains("proof.value"),
            "{debug}"
        );
        use rsa::pkcs8::EncodePrivateKey;
        let pem = p256::SecretKey::random(&mut rand::thread_rng())
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string();
        let method = AuthMethod::PrivateKeyJwt {
            key: Secret::new(pem.clone()),
            key_id: "kid1".into(),
        };
        let debug = format!("{method:?}");
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
        assert!(pem.lines().all(|line| !debug.contains(line)), "{debug}");
    }
}
