//! What the authenticator reports: its state, `auth status`, logout results, device prompts.

use serde::Serialize;

/// Where the token in use came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// Read from the token store (this or an earlier run, or another process).
    Cache,
    /// Obtained with the refresh token grant.
    Refresh,
    DeviceFlow,
    ClientCredentials,
}

/// What a person must do to finish a device authorization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DevicePrompt {
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub user_code: String,
    /// Seconds the code stays valid, as the org announced.
    pub expires_in: u64,
}

/// Observable authentication state, published on every change (see [`Authenticator::subscribe`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuthState {
    /// A token is held (it may still need a refresh before the next call).
    pub has_token: bool,
    pub granted_scopes: Option<Vec<String>>,
    /// Set while a device authorization waits for a person.
    pub pending: Option<DevicePrompt>,
    /// Last failure of a background or device flow, as a message without secrets.
    pub last_error: Option<String>,
}

/// `auth status`: everything about the cache except the tokens themselves.
#[derive(Clone, Debug, Serialize)]
pub struct AuthStatus {
    pub org: String,
    pub client_id: String,
    /// `device_flow` or `private_key_jwt`.
    pub method: &'static str,
    /// `keyring`, `file` or `memory`.
    pub store: &'static str,
    pub store_location: String,
    /// A token usable right now (unexpired, covering the configured scopes).
    pub authenticated: bool,
    /// Unix time the access token expires, when one is held.
    pub expires_at: Option<i64>,
    pub expires_in_secs: Option<i64>,
    pub granted_scopes: Option<Vec<String>>,
    pub configured_scopes: Vec<String>,
    pub has_refresh_token: bool,
    /// `Bearer` or `DPoP`.
    pub token_type: Option<String>,
    pub source: Option<TokenSource>,
    pub pending_device_authorization: Option<DevicePrompt>,
}

/// What `auth logout` did.
#[derive(Clone, Debug, Serialize)]
pub struct LogoutOutcome {
    /// A cached record existed and was deleted.
    pub removed: bool,
    /// Every cached token was revoked at the org.
    pub revoked: bool,
    /// Why revocation failed, if it did (the local record is deleted regardless).
    pub revoke_error: Option<String>,
}

/// The identity a token acts as (identifiers only, never the token).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenIdentity {
    /// The Okta user id (`uid`), for a token a person signed in for.
    pub user_id: Option<String>,
    /// That person's login (`sub` of a user token).
    pub login: Option<String>,
    /// The OAuth client the token was issued to (`cid`).
    pub client_id: Option<String>,
}
