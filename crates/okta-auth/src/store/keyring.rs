//! The OS keyring (Secret Service, Keychain, Credential Manager) through `keyring-core`.
//! Every call blocks, so the authenticator runs them on a blocking thread with a timeout.

use super::{CacheKey, TokenStore, decode_record, encode_record};
use crate::AuthError;
use crate::record::TokenRecord;
use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use std::sync::Arc;
use std::time::Duration;

/// Keyring service name under which every record is filed (the account is the cache key).
pub const SERVICE: &str = "okta-mcp-server";
/// A keyring that does not answer a probe within this long is treated as absent.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);

pub struct KeyringStore {
    store: Arc<CredentialStore>,
    service: String,
}

impl KeyringStore {
    /// Connects to the platform keyring and checks that it answers, in well under a second.
    pub fn open() -> Result<Self, String> {
        Self::open_service(SERVICE)
    }

    /// Like [`KeyringStore::open`] with another service name (tests use a unique one).
    pub fn open_service(service: &str) -> Result<Self, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let service = service.to_string();
        std::thread::spawn(move || {
            let opened = platform_store().and_then(|store| {
                let probe = Entry::new_in_store(&store, &service, "probe")?;
                match probe.get_secret() {
                    Ok(_) | Err(KeyringError::NoEntry) => Ok(Self { store, service }),
                    Err(e) => Err(e),
                }
            });
            let _ = tx.send(opened.map_err(|e| describe(&e)));
        });
        match rx.recv_timeout(PROBE_TIMEOUT) {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the OS keyring did not answer within {} ms",
                PROBE_TIMEOUT.as_millis()
            )),
        }
    }

    fn entry(&self, key: &CacheKey) -> Result<Entry, AuthError> {
        Entry::new_in_store(&self.store, &self.service, &key.id())
            .map_err(|e| AuthError::Store(format!("keyring: {}", describe(&e))))
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(windows)]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(unix, windows)))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(KeyringError::NotSupportedByStore(
        "no OS keyring on this platform".into(),
    ))
}

/// Keyring errors name the platform failure; none of them carries the secret.
fn describe(error: &KeyringError) -> String {
    match error {
        KeyringError::NoStorageAccess(e) => format!("no access to the keyring: {e}"),
        KeyringError::PlatformFailure(e) => format!("keyring failure: {e}"),
        KeyringError::NoEntry => "no entry".into(),
        other => format!("{other}"),
    }
}

impl TokenStore for KeyringStore {
    fn kind(&self) -> crate::StoreKind {
        crate::StoreKind::Keyring
    }

    fn location(&self) -> String {
        format!("OS keyring, service '{}'", self.service)
    }

    fn load(&self, key: &CacheKey) -> Result<Option<TokenRecord>, AuthError> {
        match self.entry(key)?.get_secret() {
            Ok(bytes) => Ok(decode_record(&bytes)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(AuthError::Store(format!("keyring: {}", describe(&e)))),
        }
    }

    fn save(&self, key: &CacheKey, record: &TokenRecord) -> Result<(), AuthError> {
        let bytes = encode_record(record)?;
        self.entry(key)?
            .set_secret(&bytes)
            .map_err(|e| AuthError::Store(format!("keyring: {}", describe(&e))))
    }

    fn delete(&self, key: &CacheKey) -> Result<(), AuthError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(AuthError::Store(format!("keyring: {}", describe(&e)))),
        }
    }

    /// The cross-process lock lives in the file store's directory.
    fn lock_dir(&self) -> Option<std::path::PathBuf> {
        let dir = super::file::default_dir()?;
        super::file::FileStore::new(&dir).ok()?;
        Some(dir)
    }
}
