//! Team mode (`serve --transport http --auth oauth`): MCP authorization as the 2025-11-25
//! specification defines it, with this server as the authorization server its clients see
//! (the "OAuth proxy" pattern) and the Okta org behind it.
//!
//! A client finds the protected resource metadata from a 401, registers (RFC 7591) or names
//! itself by a client metadata document URL, and sends the person to `/authorize`; we send
//! them on to the org's `/oauth2/v1/authorize` (code + PKCE), redeem Okta's code at
//! `/oauth/callback`, keep their Okta tokens sealed in the state store, and give the client
//! our own code, then our own short-lived opaque tokens bound to our MCP URL. An Okta token
//! is never accepted as a bearer (no passthrough), and each tool call acts with the
//! caller's own Okta token ([`people`]).

mod authorize;
mod bearer;
mod clients;
mod metadata;
mod opened;
pub mod people;
pub mod rate_view;
pub mod seal;
pub mod state;
pub mod store;
mod token;

/// The checks in front of `/mcp` (layered by the HTTP front): the bearer check, outside the
/// front's admission (which then counts calls per caller), and the tool scope check, inside
/// it (admission bounds the body that check reads).
pub use bearer::{require as require_bearer, require_scopes};

use crate::audit::{AuditJournal, AuditRecord, EventKind};
use crate::caller::{Caller, Identity};
use crate::settings::{Credentials, Settings};
use anyhow::Context;
use okta_auth::web::{WebClient, WebClientAuth};
use okta_client::OktaClient;
use state::State;
use std::collections::HashMap;
use std::sync::Arc;

/// Path of the MCP endpoint under the public URL.
pub const MCP_PATH: &str = "/mcp";
/// Where Okta sends the person back: register `<public url>/oauth/callback` in the Okta app.
pub const CALLBACK_PATH: &str = "/oauth/callback";
pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/token";
pub const REGISTER_PATH: &str = "/register";
pub const REVOKE_PATH: &str = "/revoke";
pub const RESOURCE_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";
pub const AUTH_SERVER_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// OIDC scopes asked of Okta besides the management scopes: who the person is, and a
/// refresh token so they stay signed in.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Everything the team endpoints share. One per server process.
pub struct Team {
    pub state: State,
    pub web: Arc<WebClient>,
    /// Public origin, without a trailing slash (the issuer).
    pub issuer: String,
    /// Our MCP endpoint URL: the resource our tokens are bound to.
    pub resource: String,
    /// OKTA_SCOPES: what clients may ask for.
    pub scopes: Vec<String>,
    /// Tool name → the scope it needs (for 403 insufficient_scope).
    pub tool_scopes: HashMap<&'static str, &'static str>,
    /// Fetches client metadata documents: bounded, timed, no redirects.
    pub fetcher: reqwest::Client,
    /// Whether http:// client metadata URLs on loopback are accepted (a loopback http
    /// deployment: tests and local trials; never when the public URL is https).
    pub loopback_http_clients: bool,
    pub people: Arc<people::People>,
    /// Where sign-ins and revocations are journaled.
    pub journal: Option<AuditJournal>,
    /// Largest MCP request body the scope check reads (OKTA_MCP_MAX_BODY_BYTES).
    pub max_body_bytes: usize,
}

/// The web app credential: OKTA_CLIENT_SECRET, else the private key.
pub fn web_client_auth(settings: &Settings) -> anyhow::Result<WebClientAuth> {
    let org = settings.org.as_ref().context("no org configured")?;
    match (&settings.client_secret, &org.credentials) {
        (Some(secret), _) => Ok(WebClientAuth::ClientSecret(secret.clone())),
        (None, Credentials::PrivateKeyJwt { key, key_id }) => Ok(WebClientAuth::PrivateKeyJwt {
            key: key.clone(),
            key_id: key_id.clone(),
        }),
        (None, Credentials::DeviceFlow) => anyhow::bail!(
            "OKTA_CLIENT_SECRET: not set; team mode signs people in through an Okta web app: set its client secret, or OKTA_PRIVATE_KEY and OKTA_KEY_ID for private_key_jwt"
        ),
    }
}

/// Opens the state store the settings name (team mode requires OKTA_MCP_STATE_KEY).
pub fn open_state(settings: &Settings) -> anyhow::Result<State> {
    let keys = settings.state_keys.clone().context(
        "OKTA_MCP_STATE_KEY: not set; team mode encrypts people's Okta tokens at rest: generate a key with `openssl rand -base64 32`",
    )?;
    let store: Arc<dyn store::StateStore> = match &settings.state_url {
        Some(url) => {
            tracing::debug!(redis = %url, "state store: Redis");
            Arc::new(store::redis::RedisStore::open(url).map_err(anyhow::Error::msg)?)
        }
        None => Arc::new(
            store::sqlite::SqliteStore::open(&settings.state_path)
                .map_err(|e| anyhow::anyhow!("{e} (OKTA_MCP_STATE_PATH)"))?,
        ),
    };
    Ok(State::new(store, keys))
}

impl Team {
    /// `public` is OKTA_MCP_PUBLIC_URL, or the bound loopback address when that is unset.
    pub fn new(
        settings: &Settings,
        public: &url::Url,
        base_client: OktaClient,
        http: reqwest::Client,
        journal: Option<AuditJournal>,
    ) -> anyhow::Result<Self> {
        let org = settings.org.as_ref().context("no org configured")?;
        if public.path() != "/" {
            anyhow::bail!(
                "OKTA_MCP_PUBLIC_URL: team mode needs an origin without a path (e.g. https://okta-mcp.example.com); the MCP endpoint is {MCP_PATH} under it"
            );
        }
        if settings.scopes.is_empty() {
            anyhow::bail!(
                "OKTA_SCOPES: not set; team mode offers these Okta scopes to people's clients, e.g. \"okta.users.read okta.groups.read okta.logs.read\""
            );
        }
        // Configuration first, so a bad one leaves no state file behind.
        let web = Arc::new(
            WebClient::new(
                &org.org_url,
                &org.client_id,
                web_client_auth(settings)?,
                http,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        let state = open_state(settings)?;
        let issuer = public.as_str().trim_end_matches('/').to_owned();
        let loopback_http_clients = public.scheme() == "http";
        let fetcher = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(3))
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .context("building the client metadata fetcher")?;
        let tool_scopes = crate::tools::all_tools()
            .iter()
            .filter_map(|t| t.spec.scope.map(|s| (t.spec.name, s)))
            .collect();
        Ok(Self {
            people: Arc::new(people::People::new(state.clone(), web.clone(), base_client)),
            state,
            web,
            resource: format!("{issuer}{MCP_PATH}"),
            issuer,
            scopes: settings.scopes.clone(),
            tool_scopes,
            fetcher,
            loopback_http_clients,
            journal,
            max_body_bytes: settings.http.max_body_bytes,
        })
    }

    /// The scopes asked of Okta for a sign-in that wants `scopes`.
    fn upstream_scopes(&self, scopes: &[String]) -> Vec<String> {
        OIDC_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .chain(scopes.iter().cloned())
            .collect()
    }

    fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.issuer)
    }

    fn resource_metadata_url(&self) -> String {
        format!("{}{RESOURCE_METADATA_PATH}{MCP_PATH}", self.issuer)
    }

    /// The OAuth endpoints: discovery, registration, sign-in, tokens, revocation.
    pub fn routes(self: Arc<Self>) -> axum::Router {
        use axum::routing::{get, post};
        axum::Router::new()
            .route(RESOURCE_METADATA_PATH, get(metadata::protected_resource))
            .route(
                &format!("{RESOURCE_METADATA_PATH}{MCP_PATH}"),
                get(metadata::protected_resource),
            )
            .route(
                AUTH_SERVER_METADATA_PATH,
                get(metadata::authorization_server),
            )
            .route(AUTHORIZE_PATH, get(authorize::authorize))
            .route(CALLBACK_PATH, get(authorize::callback))
            .route(TOKEN_PATH, post(token::token))
            .route(REVOKE_PATH, post(token::revoke))
            .route(REGISTER_PATH, post(clients::register))
            .with_state(self)
    }
}

/// A person finished signing in through a client: logged and journaled.
pub async fn on_signed_in(journal: Option<&AuditJournal>, caller: &Caller) {
    tracing::info!(
        user_id = %caller.user_id,
        login = %caller.login,
        client_id = %caller.client_id,
        client_name = caller.client_name.as_deref().unwrap_or(""),
        "signed in"
    );
    journal_event(
        journal,
        AuditRecord::session_event(EventKind::SignIn, caller),
    )
    .await;
}

/// Why a person's access (or one client's) ended.
#[derive(Clone, Copy, Debug)]
pub enum Revocation {
    /// The client revoked its token (RFC 7009): a sign-out.
    ByClient,
    /// An already-used refresh token came back: the whole grant was ended.
    RefreshReuse,
    /// An already-redeemed authorization code came back: the grant it started was ended.
    CodeReuse,
    /// `okta-mcp-server sessions revoke` on the host.
    ByOperator,
}

/// A grant ended: logged and journaled (a sign-out, or a revocation with its reason).
pub async fn on_revoked(journal: Option<&AuditJournal>, grant: &state::Grant, why: Revocation) {
    tracing::info!(
        user_id = %grant.user_id,
        login = %grant.login,
        client_id = %grant.client_id,
        reason = ?why,
        "access revoked"
    );
    let caller = Caller::from(Identity {
        user_id: grant.user_id.clone(),
        login: grant.login.clone(),
        client_id: grant.client_id.clone(),
        client_name: grant.client_name.clone(),
        scopes: grant.scopes.clone().into(),
    });
    let mut record = match why {
        Revocation::ByClient => AuditRecord::session_event(EventKind::SignOut, &caller),
        Revocation::RefreshReuse | Revocation::CodeReuse | Revocation::ByOperator => {
            AuditRecord::session_event(EventKind::Revocation, &caller)
        }
    };
    record.error_code = match why {
        Revocation::ByClient => None,
        Revocation::RefreshReuse => Some("refresh_token_reuse".into()),
        Revocation::CodeReuse => Some("authorization_code_reuse".into()),
        Revocation::ByOperator => Some("revoked_by_operator".into()),
    };
    journal_event(journal, record).await;
}

async fn journal_event(journal: Option<&AuditJournal>, record: AuditRecord) {
    if let Some(journal) = journal
        && let Err(e) = journal.record(&record).await
    {
        tracing::error!(journal = %journal.path().display(), error = %e, "could not write a session event to the audit journal");
    }
}

impl From<&state::AccessRecord> for Caller {
    fn from(access: &state::AccessRecord) -> Self {
        Caller::from(Identity {
            user_id: access.user_id.clone(),
            login: access.login.clone(),
            client_id: access.client_id.clone(),
            client_name: access.client_name.clone(),
            scopes: access.scopes.clone(),
        })
    }
}
