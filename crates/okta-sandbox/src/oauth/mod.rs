//! The org authorization server: OAuth endpoints, token minting, bearer checks.
//!
//! Interface used by the rest of the sandbox (keep these signatures; extend freely):
//! - `OAuthServer::new(issuer, ttl, key_dir)` registers the default clients.
//! - `router()` serves /oauth2/v1/*, /.well-known/oauth-authorization-server and the
//!   device verification pages.
//! - `authenticate(..)` checks the Authorization (and DPoP) headers of a Management API call.
//!
//! Test knobs (extra clients, scope changes, TTLs, opaque tokens, counters, device approval)
//! are methods on [`OAuthServer`].

mod assertion;
mod clients;
mod device;
mod dpop;
mod errors;
mod jwt;
mod keys;
mod state;
mod token;

pub use clients::{
    ClientAuth, ClientRegistration, DEFAULT_DEVICE_CLIENT_ID, DEFAULT_SERVICE_CLIENT_ID,
    MANAGEMENT_SCOPES, OIDC_SCOPES, scope_satisfies,
};
pub use errors::OAuthError;
pub use keys::{ClientPublicKey, KeyAlg};
pub use state::OAuthCounters;

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::routing::{get, post};
use jwt::{now_secs, str_claim};
use state::{Counters, Grant, OpaqueToken, State};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Path of the token endpoint, relative to the issuer.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";
pub const DEVICE_AUTHORIZE_PATH: &str = "/oauth2/v1/device/authorize";
pub const REVOKE_PATH: &str = "/oauth2/v1/revoke";
pub const KEYS_PATH: &str = "/oauth2/v1/keys";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const ACTIVATE_PATH: &str = "/activate";
/// Loopback JSON endpoint tests use to approve or deny a user code: `{user_code, approve}`.
pub const DEVICE_APPROVE_PATH: &str = "/sandbox/device/approve";

/// Who the device flow signs in when a user code is approved without naming anyone.
pub const DEFAULT_DEVICE_SUBJECT: &str = "sandbox.admin@example.com";

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
pub struct OAuthServer {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    signer: keys::IssuerKey,
    state: Mutex<State>,
    counters: Counters,
    device_client: crate::RegisteredClient,
    service_client: crate::RegisteredClient,
    key_dir: PathBuf,
    /// Set when `key_dir` is a temp dir this server created (removed on drop).
    owns_key_dir: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.owns_key_dir {
            let _ = std::fs::remove_dir_all(&self.key_dir);
        }
    }
}

impl OAuthServer {
    pub fn new(
        issuer: String,
        access_token_ttl: Duration,
        key_dir: Option<std::path::PathBuf>,
    ) -> std::io::Result<Self> {
        let issuer = issuer.trim_end_matches('/').to_string();
        let (key_dir, owns_key_dir) = match key_dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                (dir, false)
            }
            None => (create_private_temp_dir()?, true),
        };
        let service_kid = format!(
            "sandbox-key-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let generated = keys::generate_client_key(KeyAlg::Rs256, &service_kid)?;
        let key_file = key_dir.join(format!("{DEFAULT_SERVICE_CLIENT_ID}.pem"));
        write_private_file(&key_file, generated.private_pem.as_bytes())?;

        let mut clients = HashMap::new();
        let device = ClientRegistration::device(DEFAULT_DEVICE_CLIENT_ID);
        let service =
            ClientRegistration::service(DEFAULT_SERVICE_CLIENT_ID, vec![generated.public]);
        clients.insert(device.client_id.clone(), device);
        clients.insert(service.client_id.clone(), service);

        let state = State {
            clients,
            access_token_ttl,
            refresh_token_ttl: Duration::from_secs(90 * 24 * 3600),
            opaque_tokens: false,
            device_interval: 5,
            device_expires_in: 600,
            used_assertion_jtis: HashMap::new(),
            used_dpop_jtis: HashMap::new(),
            revoked_access_jtis: HashSet::new(),
            opaque: HashMap::new(),
            refresh: HashMap::new(),
            devices: HashMap::new(),
            user_codes: HashMap::new(),
            dpop_nonces: (keys::random_token(16), keys::random_token(16)),
            forced_slow_downs: 0,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                signer: keys::IssuerKey::generate()?,
                issuer,
                state: Mutex::new(state),
                counters: Counters::default(),
                device_client: crate::RegisteredClient {
                    client_id: DEFAULT_DEVICE_CLIENT_ID.into(),
                    key_id: None,
                    private_key_pem: None,
                    private_key_file: None,
                },
                service_client: crate::RegisteredClient {
                    client_id: DEFAULT_SERVICE_CLIENT_ID.into(),
                    key_id: Some(service_kid),
                    private_key_pem: Some(generated.private_pem),
                    private_key_file: Some(key_file),
                },
                key_dir,
                owns_key_dir,
            }),
        })
    }

    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .route(TOKEN_PATH, post(token::token_endpoint))
            .route(DEVICE_AUTHORIZE_PATH, post(device::authorize_endpoint))
            .route(REVOKE_PATH, post(token::revoke_endpoint))
            .route(KEYS_PATH, get(keys_endpoint))
            .route(METADATA_PATH, get(metadata_endpoint))
            .route("/.well-known/openid-configuration", get(metadata_endpoint))
            .route(
                ACTIVATE_PATH,
                get(device::activate_page).post(device::activate_submit),
            )
            .route(DEVICE_APPROVE_PATH, post(device::approve_endpoint))
            .with_state(self.clone())
    }

    /// `url` is the full request URL as the client sent it (needed for DPoP `htu`).
    pub fn authenticate(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
        required_scope: &str,
    ) -> Result<TokenInfo, BearerRejection> {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(self.unauthorized("Bearer", "The access token is missing."));
        };
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        let token = token.trim();
        let dpop_scheme = scheme.eq_ignore_ascii_case("DPoP");
        if !(dpop_scheme || scheme.eq_ignore_ascii_case("Bearer")) || token.is_empty() {
            return Err(self.unauthorized("Bearer", "The access token is missing."));
        }
        let scheme_name = if dpop_scheme { "DPoP" } else { "Bearer" };
        let now = now_secs();
        let grant = self
            .resolve_access_token(token, now, true)
            .map_err(|why| self.unauthorized(scheme_name, why))?;
        match (&grant.jkt, dpop_scheme) {
            (Some(jkt), true) => {
                let proof = headers
                    .get("DPoP")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| self.unauthorized("DPoP", "The DPoP proof is missing."))?;
                let verified = dpop::verify_proof(proof, method.as_str(), url, Some(token), now)
                    .map_err(|why| self.unauthorized_owned("DPoP", why))?;
                if &verified.jkt != jkt {
                    return Err(self.unauthorized(
                        "DPoP",
                        "The DPoP proof key does not match the key the token is bound to.",
                    ));
                }
                let mut state = self.state();
                if state.used_dpop_jtis.insert(verified.jti, now).is_some() {
                    return Err(self.unauthorized("DPoP", "The DPoP proof 'jti' was already used."));
                }
            }
            (Some(_), false) => {
                return Err(self.unauthorized(
                    "DPoP",
                    "The access token is DPoP-bound: send it as 'Authorization: DPoP' with a DPoP proof.",
                ));
            }
            (None, true) => {
                return Err(self.unauthorized("Bearer", "The access token is not DPoP-bound."));
            }
            (None, false) => {}
        }
        if !scope_satisfies(&grant.scopes, required_scope) {
            return Err(BearerRejection {
                status: StatusCode::FORBIDDEN,
                error_code: "E0000006",
                error_summary: "You do not have permission to perform the requested action".into(),
                www_authenticate: Some(format!(
                    "{scheme_name} realm=\"{}\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", scope=\"{required_scope}\"",
                    self.inner.issuer
                )),
            });
        }
        Ok(TokenInfo {
            client_id: grant.client_id,
            subject: grant.subject,
            scopes: grant.scopes,
        })
    }

    pub fn device_client(&self) -> crate::RegisteredClient {
        self.inner.device_client.clone()
    }

    pub fn service_client(&self) -> crate::RegisteredClient {
        self.inner.service_client.clone()
    }

    /// The issuer (org origin), without trailing slash.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Full URL of the token endpoint (the `aud` of client assertions).
    pub fn token_endpoint(&self) -> String {
        format!("{}{TOKEN_PATH}", self.inner.issuer)
    }

    /// Test helper: an access token for `client_id` with `scopes`, without any grant.
    pub fn mint_access_token(&self, client_id: &str, scopes: &[&str]) -> String {
        let grant = Grant {
            client_id: client_id.to_string(),
            subject: client_id.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            jkt: None,
            user: false,
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
            .filter(|d| d.status == state::DeviceStatus::Pending && d.expires_at > now_secs())
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

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn ttl_for(&self, client_id: &str) -> Duration {
        let state = self.state();
        state
            .clients
            .get(client_id)
            .and_then(|c| c.access_token_ttl)
            .unwrap_or(state.access_token_ttl)
    }

    /// Signs (or, in opaque mode, records) an access token; returns it with its lifetime.
    fn mint(&self, grant: &Grant, ttl: Duration) -> (String, u64) {
        let now = now_secs();
        let ttl_secs = ttl.as_secs().max(1);
        let exp = now + ttl_secs as i64;
        let mut state = self.state();
        if state.opaque_tokens {
            let token = keys::random_token(32);
            state.opaque.insert(
                keys::sha256_b64(&token),
                OpaqueToken {
                    grant: grant.clone(),
                    expires_at: exp,
                },
            );
            return (token, ttl_secs);
        }
        drop(state);
        let mut claims = serde_json::json!({
            "ver": 1,
            "jti": format!("AT.{}", uuid::Uuid::new_v4().simple()),
            "iss": self.inner.issuer,
            "aud": self.inner.issuer,
            "iat": now,
            "exp": exp,
            "cid": grant.client_id,
            "scp": grant.scopes,
            "sub": grant.subject,
        });
        if grant.user {
            let digest = keys::sha256_b64(&grant.subject);
            let id: String = digest
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(17)
                .collect();
            claims["uid"] = serde_json::Value::String(format!("00u{id}"));
        }
        if let Some(jkt) = &grant.jkt {
            claims["cnf"] = serde_json::json!({ "jkt": jkt });
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.inner.signer.kid.clone());
        // Signing our own well-formed claims with our own key cannot fail short of a bug.
        let token =
            jsonwebtoken::encode(&header, &claims, &self.inner.signer.encoding).unwrap_or_default();
        (token, ttl_secs)
    }

    /// Finds the grant behind an access token; `check_exp` false is for revocation.
    fn resolve_access_token(
        &self,
        token: &str,
        now: i64,
        check_exp: bool,
    ) -> Result<Grant, &'static str> {
        let hash = keys::sha256_b64(token);
        {
            let state = self.state();
            if let Some(opaque) = state.opaque.get(&hash) {
                if check_exp && opaque.expires_at <= now {
                    return Err("The access token has expired.");
                }
                return Ok(opaque.grant.clone());
            }
        }
        if jwt::segment(token, 1).is_none() {
            return Err("The access token is invalid.");
        }
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_exp = check_exp;
        validation.set_issuer(&[&self.inner.issuer]);
        validation.set_audience(&[&self.inner.issuer]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            token,
            &self.inner.signer.decoding,
            &validation,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => "The access token has expired.",
            _ => "The access token is invalid.",
        })?
        .claims;
        let jti = str_claim(&claims, "jti").unwrap_or_default();
        if self.state().revoked_access_jtis.contains(jti) {
            return Err("The access token has been revoked.");
        }
        let scopes = claims
            .get("scp")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Grant {
            client_id: str_claim(&claims, "cid").unwrap_or_default().to_string(),
            subject: str_claim(&claims, "sub").unwrap_or_default().to_string(),
            scopes,
            jkt: claims
                .get("cnf")
                .and_then(|c| str_claim(c, "jkt"))
                .map(str::to_string),
            user: claims.get("uid").is_some(),
        })
    }

    fn unauthorized(&self, scheme: &str, why: &str) -> BearerRejection {
        self.unauthorized_owned(scheme, why.to_string())
    }

    fn unauthorized_owned(&self, scheme: &str, why: String) -> BearerRejection {
        let algs = if scheme == "DPoP" {
            " algs=\"ES256 RS256\","
        } else {
            ""
        };
        BearerRejection {
            status: StatusCode::UNAUTHORIZED,
            error_code: "E0000011",
            error_summary: "Invalid token provided".into(),
            www_authenticate: Some(format!(
                "{scheme}{algs} realm=\"{}\", error=\"invalid_token\", error_description=\"{}\"",
                self.inner.issuer,
                why.replace('"', "'")
            )),
        }
    }
}

async fn keys_endpoint(
    axum::extract::State(server): axum::extract::State<OAuthServer>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "keys": [server.inner.signer.public_jwk] }))
}

async fn metadata_endpoint(
    axum::extract::State(server): axum::extract::State<OAuthServer>,
) -> axum::Json<serde_json::Value> {
    let issuer = &server.inner.issuer;
    let scopes: Vec<&str> = OIDC_SCOPES
        .iter()
        .chain(MANAGEMENT_SCOPES)
        .copied()
        .collect();
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/v1/authorize"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "device_authorization_endpoint": format!("{issuer}{DEVICE_AUTHORIZE_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "revocation_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "jwks_uri": format!("{issuer}{KEYS_PATH}"),
        "response_types_supported": ["code"],
        "grant_types_supported": [
            "client_credentials",
            "refresh_token",
            token::DEVICE_GRANT,
        ],
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "dpop_signing_alg_values_supported": ["ES256", "RS256"],
        "scopes_supported": scopes,
    }))
}

/// A 0700 directory under the system temp dir for the generated private keys.
fn create_private_temp_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("okta-sandbox-{}", uuid::Uuid::new_v4().simple()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(&dir)?;
    Ok(dir)
}

/// Writes a private key readable by the owner only (0600 on Unix), replacing any old file.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests;
