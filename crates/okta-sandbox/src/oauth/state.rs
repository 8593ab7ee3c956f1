//! The authorization server's mutable state: clients, grants, codes and replay caches.

use super::clients::ClientRegistration;
use super::directory::UserDirectory;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a token was issued for: the same for an access token and its refresh token.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
    /// Thumbprint of the DPoP key the tokens are bound to.
    pub jkt: Option<String>,
    /// True for tokens issued to a person (device flow, authorization code), false for
    /// service tokens.
    pub user: bool,
    /// The person's user id (`00u…`) when the org knows them.
    pub user_id: Option<String>,
    /// The sign-in this grant descends from (one authorization code or device approval):
    /// reuse detection and code replay revoke every token of one sign-in.
    pub sign_in: Option<String>,
    /// When the person authenticated (seconds), for the ID token's `auth_time`.
    pub auth_time: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefreshState {
    Active,
    /// Exchanged at `at` (seconds): usable again only within the client's leeway.
    Rotated {
        at: i64,
    },
    Revoked,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshRecord {
    pub grant: Grant,
    pub state: RefreshState,
    pub expires_at: i64,
    /// Hash of the refresh token this one was exchanged for (rotation only).
    pub successor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    /// `at`: when the person approved (the sign-in time).
    Approved {
        subject: String,
        at: i64,
    },
    Denied,
    Consumed,
}

#[derive(Clone, Debug)]
pub(crate) struct DeviceAuth {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub user_code: String,
    pub expires_at: i64,
    /// Current polling interval in seconds (grows by 5 on each slow_down).
    pub interval: u64,
    pub last_poll: Option<Instant>,
    pub status: DeviceStatus,
}

/// A sign-in request waiting for the person at the sign-in page (keyed by its request id).
#[derive(Clone, Debug)]
pub(crate) struct PendingAuthorization {
    pub request: super::authorize::AuthorizeRequest,
    pub expires_at: i64,
}

/// An issued authorization code, keyed by the hash of its value.
#[derive(Clone, Debug)]
pub(crate) struct AuthorizationCode {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub expires_at: i64,
    /// Redeemed once: presenting it again revokes what it issued.
    pub redeemed: bool,
}

/// A browser session at the org (the `sid` cookie), keyed by the hash of the cookie value.
#[derive(Clone, Debug)]
pub(crate) struct BrowserSession {
    pub user_id: String,
    pub login: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// An opaque (non-JWT) access token, looked up by the hash of its value.
#[derive(Clone, Debug)]
pub(crate) struct OpaqueToken {
    pub grant: Grant,
    pub expires_at: i64,
}

/// A JWT access token whose signature, issuer and audience were checked once, remembered by
/// the hash of its value: RS256 verification was most of the sandbox's CPU when the same few
/// tokens came back on every call, and the sandbox shares the machine with what it serves.
/// Expiry and revocation are still checked on every use.
#[derive(Clone, Debug)]
pub(crate) struct VerifiedJwt {
    pub grant: Grant,
    pub jti: String,
    pub expires_at: i64,
}

/// Verified JWTs remembered at most; past it the memo starts over (a re-verification only).
pub(crate) const VERIFIED_JWTS_MAX: usize = 20_000;

pub(crate) struct State {
    /// The org's people (set by the sandbox at start; nobody can sign in without it).
    pub directory: Option<Arc<dyn UserDirectory>>,
    pub clients: HashMap<String, ClientRegistration>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub opaque_tokens: bool,
    pub device_interval: u64,
    pub device_expires_in: u64,
    pub used_assertion_jtis: HashMap<String, i64>,
    pub used_dpop_jtis: HashMap<String, i64>,
    pub revoked_access_jtis: HashSet<String>,
    pub opaque: HashMap<String, OpaqueToken>,
    pub verified_jwts: HashMap<String, VerifiedJwt>,
    pub refresh: HashMap<String, RefreshRecord>,
    /// Keyed by the hash of the device code.
    pub devices: HashMap<String, DeviceAuth>,
    /// user code → hash of its device code.
    pub user_codes: HashMap<String, String>,
    /// Current and previous DPoP nonce; both are accepted.
    pub dpop_nonces: (String, String),
    /// Pending device polls still to be answered `slow_down` regardless of timing.
    pub forced_slow_downs: u32,
    /// Refresh token grants still to be answered 503 before they are looked at.
    pub failing_refreshes: u32,
    /// Sign-in page requests by request id.
    pub pending_authorizations: HashMap<String, PendingAuthorization>,
    pub codes: HashMap<String, AuthorizationCode>,
    pub authorization_code_ttl: Duration,
    pub sessions: HashMap<String, BrowserSession>,
    /// Access token `jti` → the sign-in it descends from.
    pub access_sign_ins: HashMap<String, String>,
    /// Sign-in → the person's user id, so all of one person's tokens can be revoked.
    pub sign_in_owners: HashMap<String, String>,
    /// Sign-ins whose tokens were all revoked (code replay, refresh reuse, revocation).
    pub revoked_sign_ins: HashSet<String>,
    /// Successful refresh grants per person (keyed by login and by user id).
    pub refresh_grants: HashMap<String, u64>,
}

impl State {
    /// Forgets replay-cache entries that expired long enough ago to be refused anyway.
    pub fn purge(&mut self, now: i64) {
        self.used_assertion_jtis.retain(|_, exp| *exp + 120 > now);
        self.used_dpop_jtis.retain(|_, seen| *seen + 600 > now);
        self.opaque.retain(|_, t| t.expires_at + 600 > now);
        self.verified_jwts.retain(|_, t| t.expires_at >= now);
        self.pending_authorizations
            .retain(|_, p| p.expires_at > now);
        // Redeemed codes are kept a while after expiry so a late replay is still detected.
        self.codes.retain(|_, c| c.expires_at + 600 > now);
        self.sessions.retain(|_, s| s.expires_at > now);
    }

    /// Whether an access token with this `jti` (JWTs), descending from this sign-in, was
    /// revoked, on its own or with its sign-in.
    pub fn is_revoked(&self, jti: Option<&str>, sign_in: Option<&str>) -> bool {
        jti.is_some_and(|jti| self.revoked_access_jtis.contains(jti))
            || sign_in.is_some_and(|s| self.revoked_sign_ins.contains(s))
    }

    /// Revokes every access and refresh token of one sign-in.
    pub fn revoke_sign_in(&mut self, sign_in: &str) {
        self.revoked_sign_ins.insert(sign_in.to_string());
        for record in self.refresh.values_mut() {
            if record.grant.sign_in.as_deref() == Some(sign_in) {
                record.state = RefreshState::Revoked;
            }
        }
        self.opaque
            .retain(|_, t| t.grant.sign_in.as_deref() != Some(sign_in));
    }
}

/// How many requests each OAuth endpoint saw, for tests that count round trips.
#[derive(Default)]
pub(crate) struct Counters {
    pub client_credentials: AtomicU64,
    pub device_code: AtomicU64,
    pub refresh_token: AtomicU64,
    pub other_grant: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub device_authorizations: AtomicU64,
    pub refresh_token_reuse: AtomicU64,
    pub revocations: AtomicU64,
    pub authorization_code: AtomicU64,
    pub authorization_codes_issued: AtomicU64,
    pub authorization_codes_redeemed: AtomicU64,
    pub sign_in_failures: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::SeqCst);
    }

    pub fn snapshot(&self) -> OAuthCounters {
        let get = |c: &AtomicU64| c.load(Ordering::SeqCst);
        OAuthCounters {
            client_credentials: get(&self.client_credentials),
            device_code: get(&self.device_code),
            refresh_token: get(&self.refresh_token),
            other_grant: get(&self.other_grant),
            tokens_issued: get(&self.tokens_issued),
            device_authorizations: get(&self.device_authorizations),
            refresh_token_reuse: get(&self.refresh_token_reuse),
            revocations: get(&self.revocations),
            authorization_code: get(&self.authorization_code),
            authorization_codes_issued: get(&self.authorization_codes_issued),
            authorization_codes_redeemed: get(&self.authorization_codes_redeemed),
            sign_in_failures: get(&self.sign_in_failures),
        }
    }
}

/// Snapshot of the OAuth counters. Token-endpoint counts include refused requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OAuthCounters {
    /// POST /oauth2/v1/token with grant_type=client_credentials.
    pub client_credentials: u64,
    /// POST /oauth2/v1/token with the device_code grant (every poll counts).
    pub device_code: u64,
    /// POST /oauth2/v1/token with grant_type=refresh_token.
    pub refresh_token: u64,
    /// Token requests with any other or no grant type.
    pub other_grant: u64,
    /// Access tokens actually issued by the token endpoint.
    pub tokens_issued: u64,
    /// POST /oauth2/v1/device/authorize.
    pub device_authorizations: u64,
    /// Refresh tokens presented again after they were rotated.
    pub refresh_token_reuse: u64,
    /// POST /oauth2/v1/revoke.
    pub revocations: u64,
    /// POST /oauth2/v1/token with grant_type=authorization_code.
    pub authorization_code: u64,
    /// Authorization codes handed to a redirect URI (sign-in page, approve endpoint, session).
    pub authorization_codes_issued: u64,
    /// Authorization codes exchanged for tokens (the first, successful time only).
    pub authorization_codes_redeemed: u64,
    /// Sign-in attempts refused (unknown user, wrong password, inactive user).
    pub sign_in_failures: u64,
}

impl OAuthCounters {
    /// All token-endpoint requests.
    pub fn token_calls(&self) -> u64 {
        self.client_credentials
            + self.device_code
            + self.refresh_token
            + self.authorization_code
            + self.other_grant
    }
}
