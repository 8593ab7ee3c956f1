//! MCP sessions held in memory, with a ceiling: rmcp's `LocalSessionManager` keeps every
//! session until it idles out, so a flood of `initialize` calls would grow memory without
//! bound. The admission layer refuses new sessions at the ceiling with a clear 503; the
//! check here is the backstop for requests racing past it.
//!
//! In team mode each session belongs to the person who opened it. With a shared state store
//! (several replicas behind a load balancer) the owner and the client's `initialize`
//! parameters are also written to the store, so a request that lands on another replica
//! continues the session there: rmcp replays the handshake from the stored parameters
//! ([`SessionStore`], `restore_session`), after the owner check has passed. A session's
//! transport tags this replica's requests to the client ([`Tagged`]), so that an answer that
//! lands on another replica is passed back to this one ([`Answers`]).
//!
//! With the record in the store, a session need not stay in memory while nobody uses it:
//! rmcp gives each session a worker with its own channels and caches (about 60 KB), so one
//! unused for a while (no request and no event stream open) is let go, and its next request
//! restores it from the store exactly as another replica would ([`CappedSessions::let_go_of_idle`]).
//!
//! A read-only tool call is answered without rmcp's session relay ([`DirectCalls`]): the
//! session's handler takes a seat at `initialize`, and `create_stream` runs such a call itself.

use super::answers::Answers;
use super::direct::DirectCalls;
use crate::team::store::{Kind, StateStore, StoreError};
use futures::StreamExt;
use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, LocalSessionWorker, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{
    RestoreOutcome, ServerSseMessage, SessionId, SessionManager, SessionState, SessionStore,
    SessionStoreError,
};
use rmcp::transport::{Transport, WorkerTransport};
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
    /// Routes answers to this server's requests to the replica that asked.
    answers: Arc<Answers>,
    /// With a shared store: how long a session sits unused in memory before it is let go.
    resident_idle: Option<Duration>,
    /// Requests (and event streams) open on each session in memory, and its last use.
    usage: Mutex<HashMap<String, Usage>>,
    /// Read while a request marks its session in use, written while sessions are let go, so a
    /// request never reaches a session that is half closed.
    letting_go: tokio::sync::RwLock<()>,
    /// Sessions let go whose old worker has not reported its end yet: rmcp then closes the
    /// session by id, which must not close the same id restored meanwhile.
    stale_closes: Mutex<HashMap<String, usize>>,
    /// Read-only tool calls answered without rmcp's session relay (see `direct`).
    direct: Arc<DirectCalls>,
}

/// How one session in memory is being used.
struct Usage {
    open: usize,
    last: Instant,
}

/// A request (or event stream) open on a session; the session stays in memory meanwhile.
pub struct InUse {
    sessions: std::sync::Weak<CappedSessions>,
    id: String,
}

impl Drop for InUse {
    fn drop(&mut self) {
        if let Some(sessions) = self.sessions.upgrade()
            && let Some(usage) = lock(&sessions.usage).get_mut(&self.id)
        {
            usage.open = usage.open.saturating_sub(1);
            usage.last = Instant::now();
        }
    }
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
    #[error("the answer could not be passed to the replica that asked: {0}")]
    Forward(StoreError),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl CappedSessions {
    /// At most `max` sessions in memory; one unused for `idle` is closed (and stops counting).
    /// `shared`: the store other replicas read, so a session continues on any of them; with
    /// it, a session unused for `resident_idle` leaves memory (its record stays).
    /// `answers`: how answers to this server's requests find the replica that asked.
    pub fn new(
        max: usize,
        idle: Duration,
        resident_idle: Duration,
        shared: Option<Arc<dyn StateStore>>,
        answers: Arc<Answers>,
    ) -> Self {
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
            resident_idle: shared.as_ref().map(|_| resident_idle.min(idle)),
            shared,
            idle,
            answers,
            usage: Mutex::new(HashMap::new()),
            letting_go: tokio::sync::RwLock::new(()),
            stale_closes: Mutex::new(HashMap::new()),
            direct: Arc::default(),
        }
    }

    /// How often sessions are looked over for one to let go (None: they never are).
    pub fn let_go_every(&self) -> Option<Duration> {
        self.resident_idle
            .map(|d| (d / 3).max(Duration::from_millis(10)))
    }

    /// Marks session `id` in use until the returned guard drops (with the response's body).
    pub async fn enter(self: &Arc<Self>, id: &str) -> InUse {
        let _not_while_letting_go = self.letting_go.read().await;
        lock(&self.usage)
            .entry(id.to_owned())
            .or_insert_with(|| Usage {
                open: 0,
                last: Instant::now(),
            })
            .open += 1;
        InUse {
            sessions: Arc::downgrade(self),
            id: id.to_owned(),
        }
    }

    /// Lets go of the sessions in memory unused for the resident time: their workers end,
    /// their records stay in the store, and their next request restores them. Returns how
    /// many went.
    pub async fn let_go_of_idle(&self) -> usize {
        let Some(resident_idle) = self.resident_idle else {
            return 0;
        };
        let _no_request_enters = self.letting_go.write().await;
        let idle: Vec<String> = {
            let mut usage = lock(&self.usage);
            let idle: Vec<String> = usage
                .iter()
                .filter(|(_, u)| u.open == 0 && u.last.elapsed() >= resident_idle)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &idle {
                usage.remove(id);
            }
            idle
        };
        for id in &idle {
            self.direct.forget(id);
            *lock(&self.stale_closes).entry(id.clone()).or_default() += 1;
            if let Err(e) = self
                .inner
                .close_session(&SessionId::from(id.as_str()))
                .await
            {
                tracing::debug!(error = %e, "could not let an idle MCP session go");
            }
        }
        if !idle.is_empty() {
            tracing::debug!(
                sessions = idle.len(),
                "let idle MCP sessions go from memory (their records stay in the state store)"
            );
        }
        idle.len()
    }

    /// Takes, in session `id`, an answer another replica passed on.
    pub async fn deliver(&self, id: String, message: ClientJsonRpcMessage) {
        if let Err(e) = self.inner.accept_message(&id.into(), message).await {
            tracing::warn!(error = %e, "an answer passed on by another replica found no session here");
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
        if self.resident_idle.is_some() {
            lock(&self.usage).insert(
                id.to_owned(),
                Usage {
                    open: 0,
                    last: Instant::now(),
                },
            );
        }
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
            tracing::warn!(
                "an MCP session record in the state store could not be read; the client is asked to start a new session"
            );
            return Ok(None);
        };
        let owner = record.owner.clone();
        self.remember(id, &record.owner, Some(record.handshake))
            .await;
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
        lock(&self.usage).remove(session_id);
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
    type Transport = Tagged;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let _one_at_a_time = self.creating.lock().await;
        if self.count().await >= self.max {
            return Err(CappedSessionsError::Full(self.max));
        }
        let (id, transport) = self.inner.create_session().await?;
        Ok((id, self.tagged(transport)))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        mut message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        message.insert_extension(self.direct.seat(id));
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    /// Ends this replica's copy of the session. The shared record stays: the session may be
    /// in use on another replica (a client's DELETE removes it through [`SessionStore`]).
    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        {
            let mut stale = lock(&self.stale_closes);
            if let Some(pending) = stale.get_mut(&**id) {
                // The end of a worker let go of: already closed, and the id may be in use
                // again by a restored session.
                *pending -= 1;
                if *pending == 0 {
                    stale.remove(&**id);
                }
                return Ok(());
            }
        }
        if self.shared.is_none() {
            lock(&self.known).remove(&id.to_string());
        }
        lock(&self.handshakes).remove(&id.to_string());
        lock(&self.usage).remove(&id.to_string());
        self.direct.forget(id);
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl futures::Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error>
    {
        match self.direct.call(id, message) {
            Ok(direct) => Ok(direct.left_stream()),
            Err(message) => Ok(self.inner.create_stream(id, message).await?.right_stream()),
        }
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.direct.cancel(id, &message);
        if let Some(replica) = self.answers.elsewhere(&message) {
            return self
                .answers
                .forward(&replica, id, message)
                .await
                .map_err(CappedSessionsError::Forward);
        }
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
        Ok(match self.inner.restore_session(id).await? {
            RestoreOutcome::Restored(transport) => RestoreOutcome::Restored(self.tagged(transport)),
            RestoreOutcome::AlreadyPresent => RestoreOutcome::AlreadyPresent,
            _ => RestoreOutcome::NotSupported,
        })
    }
}

impl CappedSessions {
    fn tagged(&self, inner: WorkerTransport<LocalSessionWorker>) -> Tagged {
        Tagged {
            inner,
            answers: self.answers.clone(),
        }
    }
}

/// A session's transport whose requests to the client carry this replica's name in their
/// ids, and whose answers come back with the ids as the server sent them ([`Answers`]).
pub struct Tagged {
    inner: WorkerTransport<LocalSessionWorker>,
    answers: Arc<Answers>,
}

impl Transport<RoleServer> for Tagged {
    type Error = <WorkerTransport<LocalSessionWorker> as Transport<RoleServer>>::Error;

    fn send(
        &mut self,
        mut item: ServerJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        if let ServerJsonRpcMessage::Request(request) = &mut item {
            request.id = self.answers.tag(request.id.clone());
        }
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        let mut message = self.inner.receive().await?;
        match &mut message {
            ClientJsonRpcMessage::Response(response) => {
                response.id = self.answers.untag(response.id.clone());
            }
            ClientJsonRpcMessage::Error(error) => {
                error.id = error.id.take().map(|id| self.answers.untag(id));
            }
            _ => {}
        }
        Some(message)
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::store::sqlite::SqliteStore;

    /// With the store behind them, a session nobody uses leaves memory while one in use
    /// stays; the one let go is still known (its owner, for the check before a restore), is
    /// restored on demand, and the late end of its old worker does not close the restored one.
    #[tokio::test]
    async fn an_unused_session_leaves_memory_and_comes_back_on_demand() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn StateStore> =
            Arc::new(SqliteStore::open(&dir.path().join("state.sqlite3")).unwrap());
        let sessions = Arc::new(CappedSessions::new(
            10,
            Duration::from_secs(300),
            Duration::from_millis(50),
            Some(store),
            Arc::new(Answers::local()),
        ));
        let (idle, _idle_transport) = sessions.create_session().await.unwrap();
        let (busy, _busy_transport) = sessions.create_session().await.unwrap();
        sessions.bind_owner(&idle, "00u1").await;
        sessions.bind_owner(&busy, "00u2").await;
        let in_use = sessions.enter(&busy).await;
        assert_eq!(
            sessions.let_go_of_idle().await,
            0,
            "nothing idle long enough yet"
        );
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(sessions.let_go_of_idle().await, 1);
        assert!(!sessions.has_session(&idle).await.unwrap());
        assert!(sessions.has_session(&busy).await.unwrap(), "in use: kept");
        assert_eq!(sessions.count().await, 1);
        assert_eq!(
            sessions.owner_of(&idle).await.unwrap().as_deref(),
            Some("00u1")
        );
        // A request for it restores it; then its old worker's end is reported.
        let RestoreOutcome::Restored(_restored) =
            sessions.restore_session(idle.clone()).await.unwrap()
        else {
            panic!("the session let go was not restored");
        };
        sessions.close_session(&idle).await.unwrap();
        assert!(
            sessions.has_session(&idle).await.unwrap(),
            "the old worker's end closed the restored session"
        );
        // A session's own close still closes it.
        sessions.close_session(&idle).await.unwrap();
        assert!(!sessions.has_session(&idle).await.unwrap());
        drop(in_use);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(
            sessions.let_go_of_idle().await,
            1,
            "unused once its request ended"
        );
    }

    /// Without a shared store a session is the only copy: nothing is ever let go.
    #[tokio::test]
    async fn without_a_store_sessions_stay() {
        let sessions = Arc::new(CappedSessions::new(
            10,
            Duration::from_secs(300),
            Duration::from_millis(1),
            None,
            Arc::new(Answers::local()),
        ));
        let (id, _transport) = sessions.create_session().await.unwrap();
        sessions.bind_owner(&id, "00u1").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(sessions.let_go_every(), None);
        assert_eq!(sessions.let_go_of_idle().await, 0);
        assert!(sessions.has_session(&id).await.unwrap());
    }
}
