//! A process-local store, for tests and `OKTA_MCP_TOKEN_STORE=memory`.

use super::{CacheKey, TokenStore};
use crate::AuthError;
use crate::record::TokenRecord;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemoryStore {
    records: Mutex<HashMap<CacheKey, TokenRecord>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, TokenRecord>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TokenStore for MemoryStore {
    fn kind(&self) -> crate::StoreKind {
        crate::StoreKind::Memory
    }
    fn location(&self) -> String {
        "process memory".into()
    }
    fn load(&self, key: &CacheKey) -> Result<Option<TokenRecord>, AuthError> {
        Ok(self.records().get(key).cloned())
    }
    fn save(&self, key: &CacheKey, record: &TokenRecord) -> Result<(), AuthError> {
        self.records().insert(key.clone(), record.clone());
        Ok(())
    }
    fn delete(&self, key: &CacheKey) -> Result<(), AuthError> {
        self.records().remove(key);
        Ok(())
    }
    fn lock_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}
