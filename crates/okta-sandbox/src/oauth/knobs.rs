//! Test knobs: extra clients, scope and DPoP switches, TTLs, opaque tokens, device
//! approval, counters. Everything a test or `--demo` needs to steer the org's OAuth side.

use super::jwt::now_secs;
use super::state::{DeviceStatus, Grant};
use super::{
    ClientRegistration, KeyAlg, OAuthCounters, OAuthServer, RefreshRotation, device, keys, token,
    write_private_file,
};
use std::time::Duration;

impl OAuthServer {
    /// Test helper: an access token for `client_id` with `scopes`, without any grant.
    pub fn mint_access_token(&self, client_id: &str, scopes: &[&str]) -> String {
        let grant = Grant {
            client_id: client_id.to_string(),
            subject: client_id.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            jkt: None,
            user: false,
            user_id: None,
            sign_in: None,
            auth_time: None,
        };
        let ttl = self.ttl_for(client_id);
        self.mint(&grant, ttl).0
    }

    /// Registers (or replaces) a client.
    pub fn register_client(&self, registration: ClientRegistration) {
        self.state()
            .clients
            .insert(registration.client_id.clone(), registration);
    }

    /// Registers a private_key_jwt client with a freshly generated key; returns its
    /// credentials (the PEM is also written, 0600, next to the default service key).
    pub fn register_generated_client(
        &self,
        client_id: &str,
        alg: KeyAlg,
        scopes: &[&str],
    ) -> std::io::Result<crate::RegisteredClient> {
        let kid = format!(
            "{client_id}-key-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let generated = keys::generate_client_key(alg, &kid)?;
        let file = self.inner.key_dir.join(format!("{client_id}.pem"));
        write_private_file(&file, generated.private_pem.as_bytes())?;
        let mut registration = ClientRegistration::service(client_id, vec![generated.public]);
        registration.scopes = scopes.iter().map(|s| s.to_string()).collect();
        self.register_client(registration);
        Ok(crate::RegisteredClient {
            client_id: client_id.to_string(),
            key_id: Some(kid),
            private_key_pem: Some(generated.private_pem),
            private_key_file: Some(file),
            client_secret: None,
        })
    }

    /// Replaces the scopes a client may be granted. False if the client is unknown.
    pub fn set_client_scopes(&self, client_id: &str, scopes: &[&str]) -> bool {
        self.update_client(client_id, |c| {
            c.scopes = scopes.iter().map(|s| s.to_string()).collect()
        })
    }

    /// Okta's per-app "Require DPoP" switch. False if the client is unknown.
    pub fn set_require_dpop(&self, client_id: &str, require: bool) -> bool {
        self.update_client(client_id, |c| c.require_dpop = require)
    }

    /// Access-token lifetime for one client (None: back to the server-wide TTL).
    pub fn set_client_access_token_ttl(&self, client_id: &str, ttl: Option<Duration>) -> bool {
        self.update_client(client_id, |c| c.access_token_ttl = ttl)
    }

    /// Adds a sign-in redirect URI to a client (compared exactly at `/authorize`).
    /// False if the client is unknown.
    pub fn add_redirect_uri(&self, client_id: &str, uri: &str) -> bool {
        self.update_client(client_id, |c| {
            if !c.redirect_uris.iter().any(|r| r == uri) {
                c.redirect_uris.push(uri.to_string());
            }
        })
    }

    /// Okta's "Require PKCE as additional verification" switch. False if the client is unknown.
    pub fn set_pkce_required(&self, client_id: &str, required: bool) -> bool {
        self.update_client(client_id, |c| c.pkce_required = required)
    }

    /// Refresh token behaviour of a client (rotation and leeway). False if the client is unknown.
    pub fn set_refresh_rotation(&self, client_id: &str, rotation: RefreshRotation) -> bool {
        self.update_client(client_id, |c| c.refresh_rotation = rotation)
    }

    /// Lifetime of authorization codes issued from now on (Okta: 60 s).
    pub fn set_authorization_code_ttl(&self, ttl: Duration) {
        self.state().authorization_code_ttl = ttl;
    }

    /// Successful refresh grants for one person, by login or user id (every client).
    pub fn refresh_grants_for(&self, login_or_user_id: &str) -> u64 {
        let state = self.state();
        state
            .refresh_grants
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(login_or_user_id))
            .map_or(0, |(_, count)| *count)
    }

    /// Server-wide access-token lifetime.
    pub fn set_access_token_ttl(&self, ttl: Duration) {
        self.state().access_token_ttl = ttl;
    }

    /// Mint opaque (non-JWT) access tokens from now on.
    pub fn set_opaque_tokens(&self, opaque: bool) {
        self.state().opaque_tokens = opaque;
    }

    /// Device flow timing: polling interval and lifetime of new device codes, in seconds.
    pub fn set_device_timing(&self, interval_secs: u64, expires_in_secs: u64) {
        let mut state = self.state();
        state.device_interval = interval_secs;
        state.device_expires_in = expires_in_secs;
    }

    /// Answers the next `count` refresh token grants with a 503 (counted, never redeemed), as
    /// an org whose token endpoint fails for a moment.
    pub fn fail_next_refreshes(&self, count: u32) {
        self.state().failing_refreshes = count;
    }

    /// Answers the next `count` polls of pending device codes with `slow_down`.
    pub fn force_device_slow_down(&self, count: u32) {
        self.state().forced_slow_downs = count;
    }

    /// Approves (or denies) a pending user code as `subject`. False if no such pending code.
    pub fn approve_device(&self, user_code: &str, approve: bool, subject: Option<&str>) -> bool {
        device::decide(self, user_code, approve, subject)
    }

    /// User codes waiting for a decision, oldest first is not guaranteed.
    pub fn pending_user_codes(&self) -> Vec<String> {
        self.state()
            .devices
            .values()
            .filter(|d| d.status == DeviceStatus::Pending && d.expires_at > now_secs())
            .map(|d| d.user_code.clone())
            .collect()
    }

    /// Round-trip counters of the OAuth endpoints.
    pub fn counters(&self) -> OAuthCounters {
        self.inner.counters.snapshot()
    }

    /// Token-endpoint requests seen for one `grant_type` (full URN for the device grant).
    pub fn token_calls(&self, grant_type: &str) -> u64 {
        let c = self.counters();
        match grant_type {
            "client_credentials" => c.client_credentials,
            "refresh_token" => c.refresh_token,
            "authorization_code" => c.authorization_code,
            token::DEVICE_GRANT | "device_code" => c.device_code,
            _ => c.other_grant,
        }
    }

    /// Device authorizations started (POST /oauth2/v1/device/authorize).
    pub fn device_authorization_count(&self) -> u64 {
        self.counters().device_authorizations
    }

    /// The DPoP nonce the token endpoint currently accepts.
    pub fn dpop_nonce(&self) -> String {
        self.state().dpop_nonces.0.clone()
    }

    /// Issues a new DPoP nonce; the previous one stays valid once more, like a rotation.
    pub fn rotate_dpop_nonce(&self) {
        let mut state = self.state();
        let fresh = keys::random_token(16);
        let old = std::mem::replace(&mut state.dpop_nonces.0, fresh);
        state.dpop_nonces.1 = old;
    }

    fn update_client(&self, client_id: &str, f: impl FnOnce(&mut ClientRegistration)) -> bool {
        match self.state().clients.get_mut(client_id) {
            Some(client) => {
                f(client);
                true
            }
            None => false,
        }
    }
}
