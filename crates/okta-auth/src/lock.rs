//! Cross-process lock around refresh and re-authentication, so N servers started together
//! at expiry make one token request between them.

use crate::AuthError;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long to wait for another process to finish its token request.
const WAIT_LIMIT: Duration = Duration::from_secs(60);
const RETRY_EVERY: Duration = Duration::from_millis(20);

/// Held while the lock is ours; dropping the file releases it.
pub(crate) struct ProcessLock {
    _file: File,
}

impl ProcessLock {
    /// Waits (without blocking the runtime) for the exclusive lock on `path`.
    pub(crate) async fn acquire(path: PathBuf) -> Result<Self, AuthError> {
        let file = open_lock_file(&path).map_err(|e| {
            AuthError::Store(format!("cannot open lock file {}: {e}", path.display()))
        })?;
        let started = Instant::now();
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(Self { _file: file }),
                Err(fs4::TryLockError::WouldBlock) if started.elapsed() < WAIT_LIMIT => {
                    tokio::time::sleep(RETRY_EVERY).await;
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(AuthError::Store(format!(
                        "another okta-mcp-server process has held the token lock {} for over {}s",
                        path.display(),
                        WAIT_LIMIT.as_secs()
                    )));
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(AuthError::Store(format!(
                        "cannot lock {}: {e}",
                        path.display()
                    )));
                }
            }
        }
    }
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
