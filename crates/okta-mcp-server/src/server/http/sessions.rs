//! MCP sessions held in memory, with a ceiling: rmcp's `LocalSessionManager` keeps every
//! session until it idles out, so a flood of `initialize` calls would grow memory without
//! bound. The admission layer refuses new sessions at the ceiling with a clear 503; the
//! check here is the backstop for requests racing past it.

use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{
    RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};
use std::collections::HashMap;
use std::time::Duration;

pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    /// Makes "count, then create" one step, so the ceiling holds under concurrent inits.
    creating: tokio::sync::Mutex<()>,
    /// In team mode, the Okta user id of the person who opened each session.
    owners: std::sync::Mutex<HashMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CappedSessionsError {
    #[error("the server holds its maximum of {0} MCP sessions")]
    Full(usize),
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

impl CappedSessions {
    /// At most `max` sessions; one unused for `idle` is closed (and stops counting).
    pub fn new(max: usize, idle: Duration) -> Self {
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
            owners: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Records who opened session `id`. Sessions that idled out are forgotten here too once
    /// the record outgrows the ceiling, so it stays bounded like the sessions themselves.
    pub async fn bind_owner(&self, id: &str, person: &str) {
        let live: Option<std::collections::HashSet<String>> = {
            let full = self.owners.lock().unwrap_or_else(|p| p.into_inner()).len() >= self.max;
            match full {
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
            }
        };
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(live) = live {
            owners.retain(|id, _| live.contains(id));
        }
        owners.insert(id.to_owned(), person.to_owned());
    }

    /// The person who opened session `id`, if this server recorded one.
    pub fn owner_of(&self, id: &str) -> Option<String> {
        self.owners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    pub async fn count(&self) -> usize {
        self.inner.sessions.read().await.len()
    }

    pub fn max(&self) -> usize {
        self.max
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

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.owners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id.to_string());
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

    async fn restore_session(
        &self,
        _id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        // Sessions live in this process only; an unknown session id is answered with 404.
        Ok(RestoreOutcome::NotSupported)
    }
}
