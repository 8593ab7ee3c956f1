//! MCP sessions held in memory, with a ceiling: rmcp's `LocalSessionManager` keeps every
//! session until it idles out, so a flood of `initialize` calls would grow memory without
//! bound. The admission layer refuses new sessions at the ceiling with a clear 503; the
//! check here is the backstop for requests racing past it.
//!
//! In team mode each session belongs to the person who opened it. With a shared state store
//! (several replicas behind a load balancer) the owner and the client's `initialize`
//! parameters are also written to the store, so a request that lands on another replica
//! continues the session there: rmcp replays the handshake from the stored parameters
//! ([`SessionStore`], `restore_session`), after the owner check has passed.

use crate::team::store::{Kind, StateStore, StoreError};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{
    RestoreOutcome, ServerSseMessage, SessionId, SessionManager, SessionState, SessionStore,
    SessionStoreError,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    /// Makes "count, then create" one step, so the ceiling holds under concurrent inits.
    creating: tokio::sync::Mutex<()>,
    /// In team mode, the owner (and handshake) of each session this replica has seen.
    known: Mutex<HashMap<String, Known>>,
    /// Handshakes of sessions opened here whose owner is not recorded yet (rmcp hands the
    /// handshake over before the response that names the session reaches the owner check).
    handshakes: Mutex<HashMap<String, SessionState>>,
    /// The state store shared by every replica, when there is one.
    shared: Option<Arc<dyn StateStore>>,
    idle: Duration,
}

/// What this replica knows of one session.
struct Known {
    owner: String,
    handshake: Option<SessionState>,
    /// When the shared record's time to live was last renewed from here.
    renewed: Instant,
}

/// The shared record of one session: who opened it and how it was initialized.
#[derive(serde::Serialize, serde::Deserialize)]
struct SessionRecord {
    owner: String,
    handshake: SessionState,
}

#[derive(Debug, thiserror::Error)]
pub enum CappedSessionsError {
    #[error("the server holds its maximum of {0} MCP sessions")]
    Full(usize),
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl CappedSessions {
    /// At most `max` sessions; one unused for `idle` is closed (and stops counting).
    /// `shared`: the store other replicas read, so a session continues on any of them.
    pub fn new(max: usize, idle: Duration, shared: Option<Arc<dyn StateStore>>) -> Self {
        let mut inner = LocalSessionManager::default();
        inner.session_config = {
            let mut config = SessionConfig::default();
            config.keep_alive = Some(idle);
            config
        };
        Self {
            inner,
            max,
            creating: tokio::sync::Mutex::new(()),
            known: Mutex::new(HashMap::new()),
            handshakes: Mutex::new(HashMap::new()),
            shared,
            idle,
        }
    }

    /// Whether sessions are written to a shared store (and rmcp should restore from it).
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Records who opened session `id`, and with a shared store writes the session's record
    /// for the other replicas. Entries of sessions that idled out are forgotten once the
    /// record outgrows the ceiling, so it stays bounded like the sessions themselves.
    pub async fn bind_owner(&self, id: &str, person: &str) {
        let handshake = lock(&self.handshakes).remove(id);
        self.remember(id, person, handshake.clone()).await;
        if let (Some(store), Some(handshake)) = (&self.shared, handshake) {
            let record = SessionRecord {
                owner: person.to_owned(),
                handshake,
            };
            if let Err(e) = self.write(store, id, &record).await {
                tracing::warn!(error = %e, "the MCP session could not be written to the state store; it continues on this replica only");
            }
        }
    }

    async fn remember(&self, id: &str, person: &str, handshake: Option<SessionState>) {
        let full = lock(&self.known).len() >= self.max;
        let live: Option<std::collections::HashSet<String>> = match full {
            true => Some(
                self.inner
                    .sessions
                    .read()
                    .await
                    .keys()
                    .map(|k| k.to_string())
                    .collect(),
            ),
            false => None,
        };
        let mut known = lock(&self.known);
        if let Some(live) = live {
            let idle = self.idle;
            known.retain(|id, k| live.contains(id) || k.renewed.elapsed() < idle);
        }
        known.insert(
            id.to_owned(),
            Known {
                owner: person.to_owned(),
                handshake,
                renewed: Instant::now(),
            },
        );
    }

    async fn write(
        &self,
        store: &Arc<dyn StateStore>,
        id: &str,
        record: &SessionRecord,
    ) -> Result<(), StoreError> {
        let value = serde_json::to_vec(record).map_err(|e| StoreError(e.to_string()))?;
        store
            .put(Kind::McpSession, id.to_owned(), value, Some(self.idle))
            .await
    }

    /// The person who opened session `id`: known here, or (shared store) recorded by the
    /// replica that opened it. `Ok(None)` when nobody knows the session.
    pub async fn owner_of(&self, id: &str) -> Result<Option<String>, StoreError> {
        if let Some(known) = lock(&self.known).get(id) {
            return Ok(Some(known.owner.clone()));
        }
        let Some(store) = &self.shared else {
            return Ok(None);
        };
        let Some(bytes) = store.get(Kind::McpSession, id.to_owned()).await? else {
            return Ok(None);
        };
        let Ok(record) = serde_json::from_slice::<SessionRecord>(&bytes) else {
            tracing::warn!("an MCP session record in the state store could not be read; the client is asked to start a new session");
            return Ok(None);
        };
        let owner = record.owner.clone();
        self.remember(id, &record.owner, Some(record.handshake)).await;
        Ok(Some(owner))
    }

    /// Keeps the shared record of a session in use alive: its time to live is the idle
    /// timeout, renewed (at most every quarter of it, per replica) while requests come.
    pub async fn renew(&self, id: &str) {
        let Some(store) = &self.shared else {
            return;
        };
        let record = {
            let mut known = lock(&self.known);
            match known.get_mut(id) {
                Some(k) if k.renewed.elapsed() >= self.idle / 4 => match &k.handshake {
                    Some(handshake) => {
                        k.renewed = Instant::now();
                        SessionRecord {
                            owner: k.owner.clone(),
                            handshake: handshake.clone(),
                        }
                    }
                    None => return,
                },
                _ => return,
            }
        };
        if let Err(e) = self.write(store, id, &record).await {
            tracing::warn!(error = %e, "could not renew the MCP session in the state store");
        }
    }

    pub async fn count(&self) -> usize {
        self.inner.sessions.read().await.len()
    }

    pub fn max(&self) -> usize {
        self.max
    }
}

/// rmcp's hook into the shared store: it hands over each new session's handshake, and asks
/// for it when a request names a session this replica does not hold.
#[async_trait::async_trait]
impl SessionStore for CappedSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        if let Some(handshake) = lock(&self.known)
            .get(session_id)
            .and_then(|k| k.handshake.clone())
        {
            return Ok(Some(handshake));
        }
        // The owner check runs first and caches the record; reaching here without it means
        // the request carried no signed-in person, which team mode never lets through.
        Ok(None)
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let mut handshakes = lock(&self.handshakes);
        if handshakes.len() >= self.max {
            handshakes.clear();
        }
        handshakes.insert(session_id.to_owned(), state.clone());
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        lock(&self.known).remove(session_id);
        if let Some(store) = &self.shared {
            store
                .delete(Kind::McpSession, session_id.to_owned())
                .await
                .map_err(|e| Box::new(e) as SessionStoreError)?;
        }
        Ok(())
    }
}

impl SessionManager for CappedSessions {
    type Error = CappedSessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let _one_at_a_time = self.creating.lock().await;
        if self.count().await >= self.max {
            return Err(CappedSessionsError::Full(self.max));
        }
        Ok(self.inner.create_session().await?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    /// Ends this replica's copy of the session. The shared record stays: the session may be
    /// in use on another replica (a client's DELETE removes it through [`SessionStore`]).
    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        if self.shared.is_none() {
            lock(&self.known).remove(&id.to_string());
        }
        lock(&self.handshakes).remove(&id.to_string());
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error>
    {
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error>
    {
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error>
    {
        Ok(self.inner.resume(id, last_event_id).await?)
    }

    /// Continues on this replica a session another one opened (rmcp then replays its
    /// handshake). Only with a shared store; the ceiling counts restored sessions too.
    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        if self.shared.is_none() {
            return Ok(RestoreOutcome::NotSupported);
        }
        let _one_at_a_time = self.creating.lock().await;
        if self.count().await >= self.max {
            return Err(CappedSessionsError::Full(self.max));
        }
        tracing::info!(session = %id, "continuing an MCP session opened on another replica");
        Ok(self.inner.restore_session(id).await?)
    }
}
