//! The authorization server's mutable state: clients, grants, codes and replay caches.

use super::clients::ClientRegistration;
use std::collections::{HashMap, HashSet};
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
    /// True for tokens issued to a person (device flow), false for service tokens.
    pub user: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefreshState {
    Active,
    /// Exchanged once already: a second use is a replay.
    Rotated,
    Revoked,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshRecord {
    pub grant: Grant,
    pub state: RefreshState,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved { subject: String },
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

/// An opaque (non-JWT) access token, looked up by the hash of its value.
#[derive(Clone, Debug)]
pub(crate) struct OpaqueToken {
    pub grant: Grant,
    pub expires_at: i64,
}

pub(crate) struct State {
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
    pub refresh: HashMap<String, RefreshRecord>,
    /// Keyed by the hash of the device code.
    pub devices: HashMap<String, DeviceAuth>,
    /// user code → hash of its device code.
    pub user_codes: HashMap<String, String>,
    /// Current and previous DPoP nonce; both are accepted.
    pub dpop_nonces: (String, String),
    /// Pending device polls still to be answered `slow_down` regardless of timing.
    pub forced_slow_downs: u32,
}

impl State {
    /// Forgets replay-cache entries that expired long enough ago to be refused anyway.
    pub fn purge(&mut self, now: i64) {
        self.used_assertion_jtis.retain(|_, exp| *exp + 120 > now);
        self.used_dpop_jtis.retain(|_, seen| *seen + 600 > now);
        self.opaque.retain(|_, t| t.expires_at + 600 > now);
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
}

impl OAuthCounters {
    /// All token-endpoint requests.
    pub fn token_calls(&self) -> u64 {
        self.client_credentials + self.device_code + self.refresh_token + self.other_grant
    }
}
