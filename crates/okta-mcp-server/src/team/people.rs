//! Each signed-in person's own Okta client: API calls carry that person's Okta access token
//! (so Okta's admin roles apply and the System Log names them), refreshed single-flight per
//! person, the rotated refresh token stored before the new access token is used.
//!
//! Refresh is serialised twice: by a per-person mutex inside the process (waiters queue
//! without touching the store), then by a lock with expiry in the state store, so N replicas
//! sharing Redis refresh once. After taking the store lock the record is read again (another
//! replica may have refreshed while we waited), so a refresh token is sent to Okta once.

use super::state::{State, UpstreamTokens, now};
use crate::caller::Caller;
use okta_auth::web::WebClient;
use okta_auth::{AuthError, BoxFuture, EXPIRY_MARGIN_SECS, RequestAuth, RequestAuthorizer, Secret};
use okta_client::OktaClient;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a replica holds a person's refresh lock at most: a holder that died blocks the
/// others this long, no longer.
const REFRESH_LOCK_TTL: Duration = Duration::from_secs(30);
/// The refresh request is abandoned well before the lock lapses, so no other replica can
/// take the lock while it may still be in flight with the same refresh token.
const REFRESH_DEADLINE: Duration = Duration::from_secs(20);
/// How often a replica waiting on another's refresh looks for its result.
const LOCK_POLL: Duration = Duration::from_millis(50);

/// Hands out per-person Okta clients. One per server process.
pub struct People {
    shared: Arc<Shared>,
    /// The server's client: its org, connections and rate-limit view are shared.
    base: OktaClient,
}

struct Shared {
    state: State,
    web: Arc<WebClient>,
    /// One lock per person, so one refresh runs per person however many calls wait.
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl People {
    pub fn new(state: State, web: Arc<WebClient>, base: OktaClient) -> Self {
        Self {
            shared: Arc::new(Shared {
                state,
                web,
                flights: Mutex::default(),
            }),
            base,
        }
    }

    /// The state store the people's tokens live in.
    pub fn state(&self) -> &State {
        &self.shared.state
    }

    /// The Okta client that acts as `caller`. `read_with_grant`: their tokens as the bearer
    /// check read them, for its first request.
    pub fn client_for(
        &self,
        caller: &Caller,
        read_with_grant: Option<ReadWithGrant>,
    ) -> OktaClient {
        self.base.acting_as(Arc::new(PersonAuthorizer {
            user_id: caller.user_id.clone(),
            shared: self.shared.clone(),
            read_with_grant: Mutex::new(read_with_grant.map(|r| r.0)),
        }))
    }
}

/// A person's sealed Okta tokens as the bearer check read them, in the same transaction or
/// round trip as their grant ([`State::access_with_tokens`]), put in the request for the
/// call's first Okta request, which opens them; every later request of the call reads the
/// store again. No Debug: sealed or not, they are the person's tokens.
#[derive(Clone)]
pub struct ReadWithGrant(pub axum::body::Bytes);

impl ReadWithGrant {
    /// The tokens the bearer check put in this call's request, if any.
    pub fn of(context: &rmcp::service::RequestContext<rmcp::RoleServer>) -> Option<ReadWithGrant> {
        crate::caller::put_by_http_layers(context).cloned()
    }
}

struct PersonAuthorizer {
    user_id: String,
    shared: Arc<Shared>,
    /// Taken by the first request: a record read moments before, not a cache.
    read_with_grant: Mutex<Option<axum::body::Bytes>>,
}

/// The person's tokens as read from the store, or why the call cannot act as them.
fn held(
    read: Result<Option<Arc<UpstreamTokens>>, super::state::StateError>,
) -> Result<Arc<UpstreamTokens>, AuthError> {
    read.map_err(state_error)?
        .ok_or_else(|| sign_in_again("Your Okta sign-in is no longer held by this server"))
}

fn sign_in_again(message: &str) -> AuthError {
    AuthError::Rejected {
        message: message.to_owned(),
        hint:
            "Sign in again: reconnect the server in your MCP client, which opens the Okta sign-in."
                .into(),
    }
}

impl Shared {
    fn flight(&self, user_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.entry(user_id.to_owned()).or_default().clone()
    }

    async fn stored(&self, user_id: &str) -> Result<Arc<UpstreamTokens>, AuthError> {
        held(self.state.upstream(user_id).await)
    }

    /// How to authorize a request as the person: their valid Okta access token, refreshed
    /// (once, under their lock) when due. `read_with_grant`: the record as just read, if any.
    async fn request_auth(
        &self,
        user_id: &str,
        read_with_grant: Option<axum::body::Bytes>,
    ) -> Result<RequestAuth, AuthError> {
        let tokens = match read_with_grant {
            Some(sealed) => held(self.state.open_upstream(user_id, Some(&sealed)).await)?,
            None => self.stored(user_id).await?,
        };
        if is_fresh(&tokens) {
            // The usual case: the header made once for this stored token.
            return Ok(bearer(&tokens.access_token, tokens.bearer_header()));
        }
        let token = self.refresh_due(user_id).await?;
        Ok(bearer(token.expose(), None))
    }

    /// The person's access token once the stored one was found due: refreshed by this
    /// request, or by another one here or on another replica meanwhile.
    async fn refresh_due(&self, user_id: &str) -> Result<Secret, AuthError> {
        let flight = self.flight(user_id);
        let _held = flight.lock().await;
        // Someone in this process may have refreshed while we waited: read again.
        let tokens = self.stored(user_id).await?;
        if is_fresh(&tokens) {
            return Ok(Secret::new(tokens.access_token.clone()));
        }
        // Then across replicas: one holds the store's lock and refreshes; the others watch
        // the record until it is fresh, or take the lock when it is released or lapses.
        let name = format!("refresh/{user_id}");
        let waiting_since = Instant::now();
        let owner = loop {
            if let Some(owner) = self
                .state
                .lock(&name, REFRESH_LOCK_TTL)
                .await
                .map_err(state_error)?
            {
                break owner;
            }
            if waiting_since.elapsed() > REFRESH_LOCK_TTL * 2 {
                return Err(AuthError::Unavailable(
                    "another replica has been refreshing your Okta token for too long; call again in a moment".into(),
                ));
            }
            tokio::time::sleep(LOCK_POLL).await;
            let tokens = self.stored(user_id).await?;
            if is_fresh(&tokens) {
                return Ok(Secret::new(tokens.access_token.clone()));
            }
        };
        let refreshed = self.refresh_locked(user_id).await;
        if let Err(e) = self.state.unlock(&name, owner).await {
            // It lapses on its own after REFRESH_LOCK_TTL.
            tracing::warn!(user_id, error = %e, "could not release a refresh lock");
        }
        refreshed
    }

    /// The refresh itself, under the store lock.
    async fn refresh_locked(&self, user_id: &str) -> Result<Secret, AuthError> {
        // Another replica may have refreshed before we took the lock: read again, so its
        // (now spent) refresh token is never sent a second time.
        let tokens = self.stored(user_id).await?;
        if is_fresh(&tokens) {
            return Ok(Secret::new(tokens.access_token.clone()));
        }
        let Some(refresh) = tokens.refresh_token.clone() else {
            return Err(sign_in_again("Your Okta session expired"));
        };
        let answer =
            tokio::time::timeout(REFRESH_DEADLINE, self.web.refresh(&Secret::new(refresh))).await;
        let fresh = match answer {
            Ok(Ok(fresh)) => fresh,
            Ok(Err(e @ AuthError::Rejected { .. })) => {
                // Okta no longer honours the refresh token (revoked, expired, user
                // deactivated): forget it so the person is asked to sign in again.
                tracing::info!(user_id, error = %e, "a person's Okta refresh token was refused; they must sign in again");
                let _ = self.state.delete_upstream(user_id).await;
                return Err(sign_in_again("Okta no longer accepts your sign-in"));
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(AuthError::Network(format!(
                    "Okta's token endpoint did not answer a refresh within {} s",
                    REFRESH_DEADLINE.as_secs()
                )));
            }
        };
        let record = UpstreamTokens {
            access_token: fresh.access_token.expose().to_owned(),
            refresh_token: fresh.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            expires_at: fresh.expires_at,
            scopes: if fresh.scopes.is_empty() {
                tokens.scopes.clone()
            } else {
                fresh.scopes
            },
            login: tokens.login.clone(),
            bearer: Default::default(),
        };
        // Stored before use: a crash now loses nothing Okta has already rotated away.
        self.state
            .put_upstream(user_id, &record)
            .await
            .map_err(state_error)?;
        tracing::debug!(user_id, "refreshed a person's Okta token");
        Ok(fresh.access_token)
    }

    /// Okta refused the token we sent: mark it expired so the next call refreshes.
    async fn forget_access(&self, user_id: &str, used: &str) {
        let flight = self.flight(user_id);
        let _held = flight.lock().await;
        if let Err(e) = self.state.expire_upstream_access(user_id, used).await {
            tracing::debug!(user_id, error = %e, "could not mark a refused Okta token expired");
        }
    }
}

/// `Authorization: Bearer <token>`, with its header value when one was made already.
fn bearer(token: &str, prepared: Option<reqwest::header::HeaderValue>) -> RequestAuth {
    RequestAuth {
        authorization: Secret::new(format!("Bearer {token}")),
        authorization_header: prepared,
        dpop_proof: None,
    }
}

fn is_fresh(tokens: &UpstreamTokens) -> bool {
    tokens.expires_at - EXPIRY_MARGIN_SECS > now()
}

/// The state store failed. Unreachable (Redis down or slow): the call fails with its own
/// error code (`state_store_unavailable`), saying so and to retry; the person stays signed
/// in. A record that no longer opens (its state key was retired): they must sign in again.
fn state_error(e: super::state::StateError) -> AuthError {
    match e {
        super::state::StateError::Store(e) => AuthError::StateStoreUnavailable(format!(
            "the server's state store, which holds your Okta sign-in, could not be read ({e}); nothing was sent to Okta"
        )),
        unreadable => sign_in_again(&format!(
            "Your Okta sign-in held by this server could not be opened: {unreadable}"
        )),
    }
}

impl RequestAuthorizer for PersonAuthorizer {
    fn authorize<'a>(
        &'a self,
        _method: &'a str,
        _url: &'a url::Url,
    ) -> BoxFuture<'a, Result<RequestAuth, AuthError>> {
        let read_with_grant = self
            .read_with_grant
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        Box::pin(self.shared.request_auth(&self.user_id, read_with_grant))
    }

    fn rejected<'a>(&'a self, used: &'a RequestAuth, _: Option<&'a str>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let header = used.authorization.expose();
            let token = header.split_once(' ').map(|(_, t)| t).unwrap_or(header);
            self.shared.forget_access(&self.user_id, token).await;
        })
    }
}
