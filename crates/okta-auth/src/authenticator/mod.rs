//! The cache ladder: valid cached token → refresh token grant → full (re-)authentication,
//! single-flight within the process and serialised across processes by a file lock.

mod device;
mod store_io;
mod types;

pub use types::{AuthState, AuthStatus, DevicePrompt, LogoutOutcome, TokenIdentity, TokenSource};

use crate::dpop::DpopKey;
use crate::hints::{Step, to_auth_error};
use crate::jwt::now_secs;
use crate::key::SigningKey;
use crate::oauth::{self, ASSERTION_TYPE, CallError, DpopSession, Endpoints};
use crate::record::{EXPIRY_MARGIN_SECS, TokenRecord};
use crate::store::{CacheKey, TokenStore};
use crate::{
    AuthError, AuthMethod, AuthSettings, BoxFuture, RequestAuth, RequestAuthorizer, Secret,
    StoreKind,
};
use device::DeviceFlowState;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use store_io::{load_blocking, open_store};
use tokio::sync::watch;

type PromptHook = Arc<dyn Fn(&DevicePrompt) + Send + Sync>;

/// How far the ladder may go when it needs a person.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Person {
    /// Start a device flow in the background and return AuthorizationPending.
    Start,
    /// Start (or join) a device flow and wait for it to finish.
    Wait,
    /// Do not start one: report that sign-in is needed.
    Never,
}

/// The cache ladder behind [`RequestAuthorizer`].
/// An access token's expiry as last computed, keyed by the token and the record's stored
/// expiry (the answer depends on both).
struct ExpiryMemo {
    token: Secret,
    expires_at: Option<i64>,
    expiry: Option<i64>,
}

pub struct Authenticator {
    settings: AuthSettings,
    http: reqwest::Client,
    endpoints: Endpoints,
    key: CacheKey,
    store: Arc<dyn TokenStore>,
    signing_key: Option<SigningKey>,
    this: Weak<Authenticator>,
    current: Mutex<Option<TokenRecord>>,
    /// The expiry of the current access token, with that token: reading a JWT's `exp`
    /// (base64 and JSON) was a tenth of a tool call's work when done on every call.
    expiry_memo: Mutex<Option<ExpiryMemo>>,
    source: Mutex<Option<TokenSource>>,
    /// Single flight: one refresh or grant at a time in this process.
    flight: tokio::sync::Mutex<()>,
    /// Latest `DPoP-Nonce` from the resource server.
    api_nonce: Mutex<Option<String>>,
    /// Latest `DPoP-Nonce` from the token endpoint, so the next grant needs no extra round trip.
    token_nonce: Mutex<Option<String>>,
    device: Mutex<DeviceFlowState>,
    state: watch::Sender<AuthState>,
    prompt_hook: Mutex<Option<PromptHook>>,
}

impl Authenticator {
    /// Checks the configuration and opens the store; no network, no person.
    pub fn new(settings: AuthSettings, http: reqwest::Client) -> Result<Arc<Self>, AuthError> {
        let store = open_store(settings.store)?;
        Self::with_store(settings, http, store)
    }

    /// Like [`Authenticator::new`] with a given store (tests share one between instances).
    pub fn with_store(
        settings: AuthSettings,
        http: reqwest::Client,
        store: Arc<dyn TokenStore>,
    ) -> Result<Arc<Self>, AuthError> {
        validate_org_url(&settings.org_url)?;
        if settings.client_id.trim().is_empty() {
            return Err(AuthError::Config("OKTA_CLIENT_ID is empty".into()));
        }
        let (method_name, signing_key) = match &settings.method {
            AuthMethod::DeviceFlow => ("device", None),
            AuthMethod::PrivateKeyJwt { key, key_id } => {
                let parsed = SigningKey::parse(key)?;
                if key_id.is_empty() && parsed.embedded_kid.is_none() {
                    tracing::warn!(
                        "OKTA_KEY_ID is not set: the client assertion carries no 'kid', which Okta accepts only when the app has a single key"
                    );
                }
                ("private_key_jwt", Some(parsed))
            }
        };
        let key = CacheKey::new(&settings.org_url, &settings.client_id, method_name);
        let initial = load_blocking(&store, &key);
        let state = AuthState {
            has_token: initial.as_ref().is_some_and(|r| r.access_token.is_some()),
            granted_scopes: initial.as_ref().map(|r| r.scopes.clone()),
            ..AuthState::default()
        };
        let source = initial.as_ref().map(|_| TokenSource::Cache);
        let (state_tx, _) = watch::channel(state);
        let authenticator = Arc::new_cyclic(|this| Self {
            endpoints: Endpoints::new(&settings.org_url),
            settings,
            http,
            key,
            store,
            signing_key,
            this: this.clone(),
            current: Mutex::new(initial),
            expiry_memo: Mutex::new(None),
            source: Mutex::new(source),
            flight: tokio::sync::Mutex::new(()),
            api_nonce: Mutex::new(None),
            token_nonce: Mutex::new(None),
            device: Mutex::new(DeviceFlowState::default()),
            state: state_tx,
            prompt_hook: Mutex::new(None),
        });
        if authenticator.usable_current().is_some() {
            tracing::info!(
                store = authenticator.store.kind().name(),
                "reused cached token"
            );
        }
        Ok(authenticator)
    }

    /// Scopes granted by the current token (or None before any token exists).
    pub fn granted_scopes(&self) -> Option<Vec<String>> {
        lock(&self.current).as_ref().map(|r| r.scopes.clone())
    }

    /// Who the held token acts as, from its claims: the signed-in person (`uid`, and `sub`,
    /// their login) after a device flow, or only the client (`cid`) for a service token.
    /// For naming the actor in the audit journal; the org, not this, verifies the token.
    pub fn token_identity(&self) -> Option<TokenIdentity> {
        let record = lock(&self.current).clone()?;
        let claims = crate::jwt::jwt_claims(record.access_token.as_ref()?.expose())?;
        let text = |name: &str| claims.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let user_id = text("uid");
        Some(TokenIdentity {
            login: user_id.as_ref().and(text("sub")),
            user_id,
            client_id: text("cid").or_else(|| Some(self.settings.client_id.clone())),
        })
    }

    /// Called with the verification URL and user code whenever a device flow starts.
    pub fn on_device_prompt(&self, hook: impl Fn(&DevicePrompt) + Send + Sync + 'static) {
        *lock(&self.prompt_hook) = Some(Arc::new(hook));
    }

    /// State changes: granted scopes, pending device authorization, errors.
    pub fn subscribe(&self) -> watch::Receiver<AuthState> {
        self.state.subscribe()
    }

    /// `(verification_uri_complete, user_code)` while a device flow waits for a person.
    pub fn pending_device_authorization(&self) -> Option<(String, String)> {
        self.state
            .borrow()
            .pending
            .as_ref()
            .map(|p| (p.verification_uri_complete.clone(), p.user_code.clone()))
    }

    /// The store in use (after any fallback from the keyring).
    pub fn store_kind(&self) -> StoreKind {
        self.store.kind()
    }

    /// If no usable token is cached, starts getting one in the background (device flow:
    /// begins the authorization and polls; private_key_jwt: fetches). Never blocks.
    pub fn start_background(self: &Arc<Self>) {
        if self.usable_current().is_some() {
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            match this.ladder(Person::Start).await {
                Ok(_) | Err(AuthError::AuthorizationPending { .. }) => {}
                Err(error) => {
                    tracing::warn!(error = %error, "background authentication failed");
                    this.publish(|s| s.last_error = Some(error.to_string()));
                }
            }
        });
    }

    /// Runs the ladder to the end, waiting for a person if a device flow is needed.
    pub async fn login(&self) -> Result<AuthStatus, AuthError> {
        self.ladder(Person::Wait).await?;
        Ok(self.status().await)
    }

    /// A valid access token (for `auth token`); never starts a device flow.
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        let record = self.ladder(Person::Never).await?;
        record
            .access_token
            .ok_or_else(|| AuthError::Store("the cached record has no access token".into()))
    }

    /// Revokes the cached tokens at the org and deletes the record. Only this clears the cache.
    pub async fn logout(&self) -> Result<LogoutOutcome, AuthError> {
        let _flight = self.flight.lock().await;
        let _process = self.process_lock().await?;
        let stored = self.store_load().await?;
        let record = stored.clone().or_else(|| lock(&self.current).clone());
        let mut revoke_error = None;
        let mut revoked = true;
        if let Some(record) = &record {
            let tokens = [
                (record.refresh_token.as_ref(), "refresh_token"),
                (record.access_token.as_ref(), "access_token"),
            ];
            for (token, hint) in tokens {
                let Some(token) = token else { continue };
                let form = self.client_auth_form_fn(&self.endpoints.revoke)()?;
                if let Err(e) =
                    oauth::revoke(&self.http, &self.endpoints.revoke, form, token, hint).await
                {
                    revoked = false;
                    revoke_error = Some(describe_call_error(&e));
                }
            }
        } else {
            revoked = false;
        }
        self.store_call(|store, key| store.delete(key)).await?;
        *lock(&self.current) = None;
        *lock(&self.source) = None;
        self.publish(|s| {
            s.has_token = false;
            s.granted_scopes = None;
        });
        tracing::info!(
            store = self.store.kind().name(),
            revoked,
            "logged out: cached token deleted"
        );
        Ok(LogoutOutcome {
            removed: stored.is_some(),
            revoked,
            revoke_error,
        })
    }

    /// Everything about the cache except the tokens.
    pub async fn status(&self) -> AuthStatus {
        let held = lock(&self.current).clone();
        let record = match held {
            Some(record) => Some(record),
            None => self.store_load().await.ok().flatten(),
        };
        let now = now_secs();
        let expires_at = record.as_ref().and_then(TokenRecord::access_expiry);
        AuthStatus {
            org: self.key.org.clone(),
            client_id: self.settings.client_id.clone(),
            method: match self.settings.method {
                AuthMethod::DeviceFlow => "device_flow",
                AuthMethod::PrivateKeyJwt { .. } => "private_key_jwt",
            },
            store: self.store.kind().name(),
            store_location: self.store.location(),
            authenticated: record.as_ref().is_some_and(|r| self.usable(r)),
            expires_at,
            expires_in_secs: expires_at.map(|e| e - now),
            granted_scopes: record.as_ref().map(|r| r.scopes.clone()),
            configured_scopes: self.settings.scopes.clone(),
            has_refresh_token: record.as_ref().is_some_and(|r| r.refresh_token.is_some()),
            token_type: record.as_ref().map(|r| r.token_type.clone()),
            source: *lock(&self.source),
            pending_device_authorization: self.state.borrow().pending.clone(),
        }
    }

    fn usable_current(&self) -> Option<TokenRecord> {
        let current = lock(&self.current);
        let record = current.as_ref()?;
        let expiry = self.current_expiry(record)?;
        (expiry - EXPIRY_MARGIN_SECS > now_secs() && self.fits(record)).then(|| record.clone())
    }

    /// `record.access_expiry()`, remembered for as long as the access token stays the same.
    fn current_expiry(&self, record: &TokenRecord) -> Option<i64> {
        let token = record.access_token.as_ref()?;
        let mut memo = lock(&self.expiry_memo);
        if let Some(seen) = memo.as_ref()
            && seen.token == *token
            && seen.expires_at == record.expires_at
        {
            return seen.expiry;
        }
        let expiry = record.access_expiry();
        *memo = Some(ExpiryMemo {
            token: token.clone(),
            expires_at: record.expires_at,
            expiry,
        });
        expiry
    }

    fn usable(&self, record: &TokenRecord) -> bool {
        record.access_valid_at(now_secs()) && self.fits(record)
    }

    /// The record's grant matches the configuration: scopes covered, DPoP-bound if asked.
    fn fits(&self, record: &TokenRecord) -> bool {
        record.covers(&self.settings.scopes) && (!self.settings.dpop || record.is_dpop())
    }

    /// valid cached → refresh → full grant. Returns the record to use for the call.
    async fn ladder(&self, person: Person) -> Result<TokenRecord, AuthError> {
        if let Some(record) = self.usable_current() {
            return Ok(record);
        }
        if (person == Person::Start || person == Person::Wait)
            && let Some(result) = self.join_running_device_flow(person).await
        {
            return result;
        }
        let flight = self.flight.lock().await;
        if let Some(record) = self.usable_current() {
            return Ok(record);
        }
        let process = self.process_lock().await?;
        let stored = self.store_load().await?;
        if let Some(record) = stored.as_ref().filter(|r| self.usable(r)) {
            tracing::info!(store = self.store.kind().name(), "reused cached token");
            self.adopt(record.clone(), TokenSource::Cache);
            return Ok(record.clone());
        }
        let candidate = stored.or_else(|| lock(&self.current).clone());
        if let Some(record) = candidate.filter(|r| r.refresh_token.is_some()) {
            if self.fits(&record) {
                match self.refresh(&record).await {
                    Ok(fresh) => return Ok(fresh),
                    Err(RefreshFailure::Refused(reason)) => {
                        // A process outside the lock may have rotated it and stored the result.
                        let latest = self.store_load().await.ok().flatten();
                        if let Some(latest) = latest.as_ref().filter(|r| self.usable(r)) {
                            tracing::info!(store = self.store.kind().name(), "reused cached token");
                            self.adopt(latest.clone(), TokenSource::Cache);
                            return Ok(latest.clone());
                        }
                        tracing::info!(reason = %reason, "the refresh token was refused; a new grant is needed");
                        let mut without = record.clone();
                        without.refresh_token = None;
                        without.access_token = None;
                        // Never overwrite a record that holds a different (newer) refresh token.
                        if latest.is_none_or(|l| l.refresh_token == record.refresh_token) {
                            self.save(&without).await;
                        }
                        *lock(&self.current) = Some(without);
                    }
                    Err(RefreshFailure::Other(error)) => return Err(error),
                }
            } else {
                tracing::info!(
                    "the configured scopes or DPoP setting go beyond the cached grant; a new grant is needed"
                );
            }
        }
        match &self.settings.method {
            AuthMethod::PrivateKeyJwt { .. } => {
                let record = self.client_credentials().await?;
                drop(process);
                drop(flight);
                Ok(record)
            }
            AuthMethod::DeviceFlow => {
                drop(process);
                drop(flight);
                match person {
                    Person::Never => Err(AuthError::Rejected {
                        message: format!(
                            "No usable cached Okta token for {} and client {}",
                            self.key.org, self.settings.client_id
                        ),
                        hint: "Run `okta-mcp-server auth login` to sign in.".into(),
                    }),
                    Person::Start | Person::Wait => {
                        self.start_device_flow();
                        self.join_running_device_flow(person)
                            .await
                            .unwrap_or_else(|| {
                                Err(AuthError::Network(
                                    "the device flow ended without a result".into(),
                                ))
                            })
                    }
                }
            }
        }
    }

    async fn refresh(&self, record: &TokenRecord) -> Result<TokenRecord, RefreshFailure> {
        let Some(refresh_token) = record.refresh_token.clone() else {
            return Err(RefreshFailure::Refused("no refresh token".into()));
        };
        let mut dpop = DpopSession {
            key: match &record.dpop_key {
                Some(stored) => Some(DpopKey::from_stored(stored).map_err(RefreshFailure::Other)?),
                None => None,
            },
            nonce: lock(&self.token_nonce).clone(),
            upgrade_allowed: true,
        };
        let client_form = self.client_auth_form_fn(&self.endpoints.token);
        let form = || {
            let mut form = client_form()?;
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", refresh_token.expose().to_string()));
            Ok(form)
        };
        let result = self
            .token_call(&form, &mut dpop, &record.scopes, oauth::Resend::Never)
            .await;
        match result {
            Ok(mut fresh) => {
                if fresh.refresh_token.is_none() {
                    fresh.refresh_token = Some(refresh_token);
                }
                // The rotated refresh token is stored before the new access token is used.
                self.save(&fresh).await;
                tracing::info!(store = self.store.kind().name(), "refreshed");
                self.adopt(fresh.clone(), TokenSource::Refresh);
                Ok(fresh)
            }
            Err(e)
                if matches!(
                    e.oauth_error(),
                    Some("invalid_grant" | "invalid_scope" | "invalid_token")
                ) =>
            {
                Err(RefreshFailure::Refused(describe_call_error(&e)))
            }
            Err(e) => Err(RefreshFailure::Other(to_auth_error(e, Step::Refresh))),
        }
    }

    async fn client_credentials(&self) -> Result<TokenRecord, AuthError> {
        tracing::info!(store = self.store.kind().name(), "client credentials grant");
        let mut dpop = self.new_dpop_session()?;
        let client_form = self.client_auth_form_fn(&self.endpoints.token);
        let scopes = self.settings.scopes.join(" ");
        let form = || {
            let mut form = client_form()?;
            form.push(("grant_type", "client_credentials".into()));
            form.push(("scope", scopes.clone()));
            Ok(form)
        };
        let record = self
            .token_call(
                &form,
                &mut dpop,
                &self.settings.scopes,
                oauth::Resend::Allowed,
            )
            .await
            .map_err(|e| to_auth_error(e, Step::ClientCredentials))?;
        self.save(&record).await;
        self.adopt(record.clone(), TokenSource::ClientCredentials);
        Ok(record)
    }

    fn new_dpop_session(&self) -> Result<DpopSession, AuthError> {
        Ok(DpopSession {
            key: if self.settings.dpop {
                Some(DpopKey::generate()?)
            } else {
                None
            },
            nonce: lock(&self.token_nonce).clone(),
            upgrade_allowed: true,
        })
    }

    /// One token request (with its DPoP retries); remembers the nonce the org handed out.
    async fn token_call(
        &self,
        form: oauth::FormFn<'_>,
        dpop: &mut DpopSession,
        scopes: &[String],
        resend: oauth::Resend,
    ) -> Result<TokenRecord, CallError> {
        let result = oauth::token_request(
            &self.http,
            &self.endpoints.token,
            form,
            dpop,
            scopes,
            resend,
        )
        .await;
        if let Some(nonce) = &dpop.nonce {
            *lock(&self.token_nonce) = Some(nonce.clone());
        }
        result
    }

    /// Client authentication parameters for a request to `endpoint` (the assertion's `aud`):
    /// a fresh assertion each call (private_key_jwt), the client id always.
    fn client_auth_form_fn<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> impl Fn() -> Result<Vec<(&'static str, String)>, AuthError> + Sync + 'a {
        move || {
            let mut form = vec![("client_id", self.settings.client_id.clone())];
            if let (AuthMethod::PrivateKeyJwt { key_id, .. }, Some(key)) =
                (&self.settings.method, &self.signing_key)
            {
                let assertion = crate::assertion::client_assertion(
                    key,
                    key_id,
                    &self.settings.client_id,
                    endpoint,
                )?;
                form.push(("client_assertion_type", ASSERTION_TYPE.into()));
                form.push(("client_assertion", assertion.expose().to_string()));
            }
            Ok(form)
        }
    }

    /// Makes `record` the one handed to API calls and tells subscribers.
    fn adopt(&self, record: TokenRecord, source: TokenSource) {
        let scopes = record.scopes.clone();
        *lock(&self.current) = Some(record);
        *lock(&self.source) = Some(source);
        self.publish(|s| {
            s.has_token = true;
            s.granted_scopes = Some(scopes);
            s.pending = None;
            s.last_error = None;
        });
    }

    fn publish(&self, change: impl FnOnce(&mut AuthState)) {
        self.state.send_if_modified(|state| {
            let before = state.clone();
            change(state);
            *state != before
        });
    }

    /// Drops the access token the org refused, unless a newer one replaced it already.
    async fn invalidate(&self, used_token: &str) {
        let invalidated = {
            let mut current = lock(&self.current);
            match current.as_mut() {
                Some(record)
                    if record
                        .access_token
                        .as_ref()
                        .is_some_and(|t| t.expose() == used_token) =>
                {
                    record.access_token = None;
                    true
                }
                _ => false,
            }
        };
        if !invalidated {
            return;
        }
        tracing::info!(
            "the org rejected the access token; it is dropped and the next call runs the ladder"
        );
        let _flight = self.flight.lock().await;
        let Ok(_process) = self.process_lock().await else {
            return;
        };
        if let Ok(Some(mut stored)) = self.store_load().await
            && stored
                .access_token
                .as_ref()
                .is_some_and(|t| t.expose() == used_token)
        {
            stored.access_token = None;
            self.save(&stored).await;
        }
    }

    fn request_auth(
        &self,
        record: &TokenRecord,
        method: &str,
        url: &url::Url,
    ) -> Result<RequestAuth, AuthError> {
        let token = record
            .access_token
            .as_ref()
            .ok_or_else(|| AuthError::Store("no access token in the record".into()))?;
        if record.is_dpop() {
            let stored = record.dpop_key.as_ref().ok_or_else(|| {
                AuthError::Store("a DPoP-bound token was cached without its key".into())
            })?;
            let key = DpopKey::from_stored(stored)?;
            let nonce = lock(&self.api_nonce).clone();
            let proof = key.proof(method, url.as_str(), Some(token), nonce.as_deref())?;
            return Ok(RequestAuth {
                authorization: Secret::new(format!("DPoP {}", token.expose())),
                authorization_header: None,
                dpop_proof: Some(proof),
            });
        }
        Ok(RequestAuth {
            authorization: Secret::new(format!("Bearer {}", token.expose())),
            authorization_header: None,
            dpop_proof: None,
        })
    }
}

enum RefreshFailure {
    /// The org refused the refresh token: fall through to a full grant.
    Refused(String),
    Other(AuthError),
}

impl RequestAuthorizer for Authenticator {
    fn authorize<'a>(
        &'a self,
        method: &'a str,
        url: &'a url::Url,
    ) -> BoxFuture<'a, Result<RequestAuth, AuthError>> {
        Box::pin(async move {
            let record = self.ladder(Person::Start).await?;
            self.request_auth(&record, method, url)
        })
    }

    fn rejected<'a>(
        &'a self,
        used: &'a RequestAuth,
        dpop_nonce: Option<&'a str>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(nonce) = dpop_nonce {
                let mut current = lock(&self.api_nonce);
                if current.as_deref() != Some(nonce) {
                    // A nonce challenge: the token is fine, the next proof carries the nonce.
                    *current = Some(nonce.to_string());
                    return;
                }
            }
            let header = used.authorization.expose();
            let token = header.split_once(' ').map(|(_, t)| t).unwrap_or(header);
            self.invalidate(token).await;
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn describe_call_error(error: &CallError) -> String {
    match error {
        CallError::OAuth {
            status,
            error,
            description,
        } => format!("{error} (HTTP {status}): {description}"),
        CallError::Network(e) | CallError::Protocol(e) => e.clone(),
        CallError::Unavailable { attempts, last } => {
            format!("the token endpoint failed {attempts} times (last: {last})")
        }
        CallError::NotResent { last } => {
            format!("the token endpoint failed ({last}) and the grant is not sent twice")
        }
        CallError::Local(e) => e.to_string(),
    }
}

/// `https://` required; `http://` only for loopback hosts (sandbox, tests).
fn validate_org_url(url: &url::Url) -> Result<(), AuthError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(AuthError::Config(format!(
                    "OKTA_ORG_URL must use https:// (http:// is accepted only for loopback hosts): {url}"
                )))
            }
        }
        other => Err(AuthError::Config(format!(
            "OKTA_ORG_URL has unsupported scheme '{other}'"
        ))),
    }
}
