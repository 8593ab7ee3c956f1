//! Store access from async code: every call on a blocking thread, bounded in time, plus the
//! cross-process lock and the choice of store.

use super::Authenticator;
use crate::lock::ProcessLock;
use crate::record::TokenRecord;
use crate::store::{CacheKey, TokenStore, file::FileStore, memory::MemoryStore};
use crate::{AuthError, StoreKind};
use std::sync::Arc;
use std::time::Duration;

/// Longest wait for one store operation (a keyring can hang when its daemon is stuck).
const STORE_TIMEOUT: Duration = Duration::from_secs(5);

impl Authenticator {
    /// Saves a record; a failing store is logged, not fatal (the token still works here).
    pub(super) async fn save(&self, record: &TokenRecord) {
        let record = record.clone();
        if let Err(error) = self
            .store_call(move |store, key| store.save(key, &record))
            .await
        {
            tracing::warn!(error = %error, store = self.store.kind().name(), "could not cache the token");
        }
    }

    pub(super) async fn store_load(&self) -> Result<Option<TokenRecord>, AuthError> {
        self.store_call(|store, key| store.load(key)).await
    }

    /// Runs a store operation on a blocking thread, with a timeout.
    pub(super) async fn store_call<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn TokenStore, &CacheKey) -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let store = Arc::clone(&self.store);
        let key = self.key.clone();
        let task = tokio::task::spawn_blocking(move || op(store.as_ref(), &key));
        match tokio::time::timeout(STORE_TIMEOUT, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(AuthError::Store("the token store task failed".into())),
            Err(_) => Err(AuthError::Store(format!(
                "the {} token store did not answer within {}s",
                self.store.kind().name(),
                STORE_TIMEOUT.as_secs()
            ))),
        }
    }

    pub(super) async fn process_lock(&self) -> Result<Option<ProcessLock>, AuthError> {
        match self.store.lock_dir() {
            Some(dir) => Ok(Some(
                ProcessLock::acquire(dir.join(format!("{}.lock", self.key.file_stem()))).await?,
            )),
            None => Ok(None),
        }
    }
}

pub(super) fn open_store(kind: StoreKind) -> Result<Arc<dyn TokenStore>, AuthError> {
    match kind {
        StoreKind::Memory => Ok(Arc::new(MemoryStore::new())),
        StoreKind::File => Ok(Arc::new(FileStore::open_default()?)),
        StoreKind::Keyring => match crate::store::keyring::KeyringStore::open() {
            Ok(store) => Ok(Arc::new(store)),
            Err(reason) => {
                let file = FileStore::open_default()?;
                tracing::warn!(
                    reason = %reason,
                    dir = %file.dir().display(),
                    "no OS keyring answered; caching tokens in files instead"
                );
                Ok(Arc::new(file))
            }
        },
    }
}

/// Reads the cached record at construction, off the caller's thread and bounded in time.
pub(super) fn load_blocking(store: &Arc<dyn TokenStore>, key: &CacheKey) -> Option<TokenRecord> {
    let (tx, rx) = std::sync::mpsc::channel();
    let store = Arc::clone(store);
    let key = key.clone();
    std::thread::spawn(move || {
        let _ = tx.send(store.load(&key));
    });
    match rx.recv_timeout(STORE_TIMEOUT) {
        Ok(Ok(record)) => record,
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "could not read the token cache");
            None
        }
        Err(_) => {
            tracing::warn!("the token store did not answer in time");
            None
        }
    }
}
