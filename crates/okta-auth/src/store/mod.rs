//! Token stores: where a [`TokenRecord`] lives between runs, one record per [`CacheKey`].

pub mod file;
pub mod keyring;
pub mod memory;

use crate::AuthError;
use crate::record::TokenRecord;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// What a cached token belongs to. Two orgs, two clients or two methods never share one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// Org origin, e.g. `https://acme.okta.com` (scheme, host and port only).
    pub org: String,
    pub client_id: String,
    /// `device` or `private_key_jwt`.
    pub method: String,
}

impl CacheKey {
    pub fn new(org: &url::Url, client_id: &str, method: &str) -> Self {
        Self {
            org: org.origin().ascii_serialization(),
            client_id: client_id.to_string(),
            method: method.to_string(),
        }
    }

    /// One printable line identifying the key (the keyring account name).
    pub fn id(&self) -> String {
        format!("{} {} {}", self.org, self.client_id, self.method)
    }

    /// A file-system-safe name derived from the key.
    pub fn file_stem(&self) -> String {
        let digest = Sha256::digest(self.id().as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// A place to keep token records. Calls may block (keyring, disk): the authenticator runs
/// them on a blocking thread with a timeout.
pub trait TokenStore: Send + Sync + 'static {
    /// `keyring`, `file` or `memory`.
    fn kind(&self) -> crate::StoreKind;
    /// Where records live, for `auth status` (a directory, a keyring service name).
    fn location(&self) -> String;
    fn load(&self, key: &CacheKey) -> Result<Option<TokenRecord>, AuthError>;
    /// Replaces the whole record in one step.
    fn save(&self, key: &CacheKey, record: &TokenRecord) -> Result<(), AuthError>;
    fn delete(&self, key: &CacheKey) -> Result<(), AuthError>;
    /// Directory for the cross-process lock file; None when the store is process-local.
    fn lock_dir(&self) -> Option<PathBuf>;
}

impl crate::StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            crate::StoreKind::Keyring => "keyring",
            crate::StoreKind::File => "file",
            crate::StoreKind::Memory => "memory",
        }
    }
}

/// Parses a stored record; a corrupt record is treated as absent (and will be replaced).
pub(crate) fn decode_record(bytes: &[u8]) -> Option<TokenRecord> {
    match serde_json::from_slice(bytes) {
        Ok(record) => Some(record),
        Err(_) => {
            tracing::warn!("ignoring an unreadable cached token record");
            None
        }
    }
}

pub(crate) fn encode_record(record: &TokenRecord) -> Result<Vec<u8>, AuthError> {
    serde_json::to_vec(record).map_err(|e| AuthError::Store(format!("cannot encode record: {e}")))
}
