//! The org authorization server: OAuth endpoints, token minting, bearer checks.
//!
//! Interface used by the rest of the sandbox (keep these signatures; extend freely):
//! - `OAuthServer::new(issuer, ttl, key_dir)` registers the default clients.
//! - `set_directory(..)` hands it the org's people (who can sign in, and their claims).
//! - `router()` serves /oauth2/v1/*, /.well-known/oauth-authorization-server, the
//!   sign-in page and the device verification pages.
//! - `authenticate(..)` checks the Authorization (and DPoP) headers of a Management API call.
//!
//! Test knobs (extra clients, scope changes, TTLs, opaque tokens, counters, device approval)
//! are methods on [`OAuthServer`].

mod assertion;
mod authorize;
mod bearer;
mod clients;
mod device;
mod directory;
mod dpop;
mod errors;
mod jwt;
pub(crate) mod keys;
mod knobs;
mod mint;
mod state;
mod token;
mod userinfo;

pub use authorize::{AUTHORIZATION_CODE_TTL, REQUEST_ID_HEADER, SignInRefused};
pub use clients::{
    ClientAuth, ClientRegistration, DEFAULT_DEVICE_CLIENT_ID, DEFAULT_SERVICE_CLIENT_ID,
    DEFAULT_WEB_CLIENT_ID, DEFAULT_WEB_JWT_CLIENT_ID, MANAGEMENT_SCOPES, OIDC_SCOPES,
    REFRESH_TOKEN_LEEWAY, RefreshRotation, scope_satisfies,
};
pub use directory::{
    AuthEvent, DirectoryUser, HELP_DESK_ADMIN_LOGIN, READ_ONLY_ADMIN_LOGIN, SANDBOX_PASSWORD,
    SUPER_ADMIN_LOGIN, UserDirectory,
};
pub use errors::OAuthError;
pub use keys::{ClientPublicKey, KeyAlg};

/// A P-256 private key made now, as PKCS#8 PEM: for tests that need real key material in
/// an argument or a body (to check it is masked or dropped) without a key in the source.
pub fn throwaway_private_key_pem() -> String {
    keys::generate_client_key(KeyAlg::Es256, "throwaway")
        .expect("a P-256 key is generated from the OS's randomness")
        .private_pem
}
pub use state::OAuthCounters;

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::routing::{get, post};
use jwt::now_secs;
use state::{Counters, State};
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
pub const OIDC_METADATA_PATH: &str = "/.well-known/openid-configuration";
/// Authorization endpoint: `GET` (query) or `POST` (form), answers the sign-in page.
pub const AUTHORIZE_PATH: &str = "/oauth2/v1/authorize";
/// Where the sign-in page's form posts `request_id`, `username`, `password`.
pub const SIGN_IN_PATH: &str = "/oauth2/v1/authorize/login";
/// Loopback JSON endpoint tests use to sign someone in for an authorize URL:
/// `{authorize_url, username, password}` → `{redirect_to}`.
pub const SIGN_IN_APPROVE_PATH: &str = "/sandbox/authorize/approve";
pub const USERINFO_PATH: &str = "/oauth2/v1/userinfo";
pub const ACTIVATE_PATH: &str = "/activate";
/// Loopback JSON endpoint tests use to approve or deny a user code: `{user_code, approve}`.
pub const DEVICE_APPROVE_PATH: &str = "/sandbox/device/approve";

/// Who the device flow signs in when a user code is approved without naming anyone
/// (the seeded super admin).
pub const DEFAULT_DEVICE_SUBJECT: &str = SUPER_ADMIN_LOGIN;

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
    /// The person's login for a person's token; the client id for a service token.
    pub subject: String,
    pub scopes: Vec<String>,
    /// The person's user id (`uid`) when a person signed in; None for service tokens.
    pub user_id: Option<String>,
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
    web_client: crate::RegisteredClient,
    web_jwt_client: crate::RegisteredClient,
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
    /// Removes the key directory now if this server created it. The sandbox calls this when
    /// it stops: connection tasks may hold the server a little longer, past process exit.
    pub(crate) fn remove_own_key_dir(&self) {
        if self.inner.owns_key_dir {
            let _ = std::fs::remove_dir_all(&self.inner.key_dir);
        }
    }

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

        let web_secret = keys::random_token(32);
        let web_kid = format!(
            "sandbox-web-key-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        // ES256: as good for private_key_jwt, and far cheaper to generate than another RSA key.
        let web_key = keys::generate_client_key(KeyAlg::Es256, &web_kid)?;
        let web_key_file = key_dir.join(format!("{DEFAULT_WEB_JWT_CLIENT_ID}.pem"));
        write_private_file(&web_key_file, web_key.private_pem.as_bytes())?;

        let mut clients = HashMap::new();
        for registration in [
            ClientRegistration::device(DEFAULT_DEVICE_CLIENT_ID),
            ClientRegistration::service(DEFAULT_SERVICE_CLIENT_ID, vec![generated.public]),
            ClientRegistration::web(
                DEFAULT_WEB_CLIENT_ID,
                ClientAuth::client_secret(&web_secret),
                Vec::new(),
            ),
            ClientRegistration::web(
                DEFAULT_WEB_JWT_CLIENT_ID,
                ClientAuth::PrivateKeyJwt(vec![web_key.public]),
                Vec::new(),
            ),
        ] {
            clients.insert(registration.client_id.clone(), registration);
        }

        let state = State {
            directory: None,
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
            verified_jwts: HashMap::new(),
            refresh: HashMap::new(),
            devices: HashMap::new(),
            user_codes: HashMap::new(),
            dpop_nonces: (keys::random_token(16), keys::random_token(16)),
            forced_slow_downs: 0,
            failing_refreshes: 0,
            pending_authorizations: HashMap::new(),
            codes: HashMap::new(),
            authorization_code_ttl: AUTHORIZATION_CODE_TTL,
            sessions: HashMap::new(),
            access_sign_ins: HashMap::new(),
            sign_in_owners: HashMap::new(),
            revoked_sign_ins: HashSet::new(),
            refresh_grants: HashMap::new(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                signer: keys::IssuerKey::generate()?,
                issuer,
                state: Mutex::new(state),
                counters: Counters::default(),
                device_client: crate::RegisteredClient {
                    client_id: DEFAULT_DEVICE_CLIENT_ID.into(),
                    ..Default::default()
                },
                service_client: crate::RegisteredClient {
                    client_id: DEFAULT_SERVICE_CLIENT_ID.into(),
                    key_id: Some(service_kid),
                    private_key_pem: Some(generated.private_pem),
                    private_key_file: Some(key_file),
                    client_secret: None,
                },
                web_client: crate::RegisteredClient {
                    client_id: DEFAULT_WEB_CLIENT_ID.into(),
                    client_secret: Some(web_secret),
                    ..Default::default()
                },
                web_jwt_client: crate::RegisteredClient {
                    client_id: DEFAULT_WEB_JWT_CLIENT_ID.into(),
                    key_id: Some(web_kid),
                    private_key_pem: Some(web_key.private_pem),
                    private_key_file: Some(web_key_file),
                    client_secret: None,
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
            .route(OIDC_METADATA_PATH, get(metadata_endpoint))
            .route(
                AUTHORIZE_PATH,
                get(authorize::authorize_endpoint).post(authorize::authorize_endpoint),
            )
            .route(SIGN_IN_PATH, post(authorize::sign_in_submit))
            .route(SIGN_IN_APPROVE_PATH, post(authorize::approve_endpoint))
            .route(USERINFO_PATH, get(userinfo::userinfo_endpoint))
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
                let verified = dpop::verify_proof(
                    proof,
                    method.as_str(),
                    &[url.to_string()],
                    Some(token),
                    now,
                )
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
            user_id: grant.user.then(|| mint::user_id_of(&grant)),
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

    /// The OIDC web app authenticating with a client secret (`client_secret` is set).
    pub fn web_client(&self) -> crate::RegisteredClient {
        self.inner.web_client.clone()
    }

    /// The OIDC web app authenticating with private_key_jwt (`key_id`, `private_key_pem`).
    pub fn web_jwt_client(&self) -> crate::RegisteredClient {
        self.inner.web_jwt_client.clone()
    }

    /// Hands the server the org's people: who can sign in, and the claims of their tokens.
    pub fn set_directory(&self, directory: Arc<dyn UserDirectory>) {
        self.state().directory = Some(directory);
    }

    /// Ends `user_id`'s browser sessions (the next `/authorize` shows the sign-in page) and,
    /// with `oauth_tokens`, revokes every access and refresh token issued to them and any
    /// code not yet redeemed. Returns how many sign-ins were revoked.
    pub fn end_user_sessions(&self, user_id: &str, oauth_tokens: bool) -> usize {
        let mut state = self.state();
        state.sessions.retain(|_, s| s.user_id != user_id);
        if !oauth_tokens {
            return 0;
        }
        state
            .codes
            .retain(|_, c| c.grant.user_id.as_deref() != Some(user_id));
        let owned: Vec<String> = state
            .sign_in_owners
            .iter()
            .filter(|(_, owner)| owner.as_str() == user_id)
            .map(|(sign_in, _)| sign_in.clone())
            .filter(|sign_in| !state.revoked_sign_ins.contains(sign_in))
            .collect();
        for sign_in in &owned {
            state.revoke_sign_in(sign_in);
        }
        owned.len()
    }

    /// Appends an event to the org's System Log, if the server has a directory.
    pub(crate) fn record_event(&self, event: AuthEvent) {
        let directory = self.state().directory.clone();
        if let Some(directory) = directory {
            directory.record(event);
        }
    }

    /// A person by id or login, if the server has a directory and they exist.
    pub(crate) fn find_user(&self, id_or_login: &str) -> Option<DirectoryUser> {
        let directory = self.state().directory.clone()?;
        directory.find_user(id_or_login)
    }

    /// The issuer (org origin), without trailing slash.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Full URL of the token endpoint (the `aud` of client assertions).
    pub fn token_endpoint(&self) -> String {
        format!("{}{TOKEN_PATH}", self.inner.issuer)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn keys_endpoint(
    axum::extract::State(server): axum::extract::State<OAuthServer>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "keys": [server.inner.signer.public_jwk] }))
}

/// Serves both `/.well-known/oauth-authorization-server` and
/// `/.well-known/openid-configuration`, as the org authorization server does.
async fn metadata_endpoint(
    axum::extract::State(server): axum::extract::State<OAuthServer>,
) -> axum::Json<serde_json::Value> {
    let issuer = &server.inner.issuer;
    let scopes: Vec<&str> = OIDC_SCOPES
        .iter()
        .chain(MANAGEMENT_SCOPES)
        .copied()
        .collect();
    let client_auth = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ];
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "device_authorization_endpoint": format!("{issuer}{DEVICE_AUTHORIZE_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "revocation_endpoint_auth_methods_supported": client_auth,
        "jwks_uri": format!("{issuer}{KEYS_PATH}"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "client_credentials",
            "refresh_token",
            token::DEVICE_GRANT,
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": client_auth,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "dpop_signing_alg_values_supported": ["ES256", "RS256"],
        "scopes_supported": scopes,
        "claims_supported": [
            "iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp",
            "nonce", "name", "given_name", "family_name", "preferred_username", "email",
            "email_verified", "locale", "zoneinfo", "updated_at", "at_hash",
        ],
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
