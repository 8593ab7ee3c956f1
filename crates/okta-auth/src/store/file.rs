//! One JSON file per cache key in the user's cache directory: 0600 files in a 0700
//! directory, written to a temp file and renamed so a crash never leaves half a record.

use super::{CacheKey, TokenStore, decode_record, encode_record};
use crate::AuthError;
use crate::record::TokenRecord;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// A store in `dir`, created (0700) if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, AuthError> {
        let dir = dir.into();
        create_private_dir(&dir)
            .map_err(|e| AuthError::Store(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Self { dir })
    }

    /// The store in the default location (see [`default_dir`]).
    pub fn open_default() -> Result<Self, AuthError> {
        let dir = default_dir().ok_or_else(|| {
            AuthError::Store("no home or cache directory to keep the token file in".into())
        })?;
        Self::new(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the record for `key`.
    pub fn path_for(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.file_stem()))
    }
}

/// `<user cache dir>/okta-mcp-server/tokens`: XDG_CACHE_HOME or ~/.cache on Unix,
/// ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows.
pub fn default_dir() -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join("okta-mcp-server").join("tokens"))
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        builder.create(dir)
    }
}

/// Opens a new file readable and writable by the owner only.
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl TokenStore for FileStore {
    fn kind(&self) -> crate::StoreKind {
        crate::StoreKind::File
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }

    fn load(&self, key: &CacheKey) -> Result<Option<TokenRecord>, AuthError> {
        match std::fs::read(self.path_for(key)) {
            Ok(bytes) => Ok(decode_record(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AuthError::Store(format!("cannot read token file: {e}"))),
        }
    }

    fn save(&self, key: &CacheKey, record: &TokenRecord) -> Result<(), AuthError> {
        let bytes = encode_record(record)?;
        let target = self.path_for(key);
        let temp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            key.file_stem(),
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = create_private_file(&temp).and_then(|mut file| {
            file.write_all(&bytes)?;
            file.sync_all()
        });
        let result = written.and_then(|()| std::fs::rename(&temp, &target));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&temp);
            return Err(AuthError::Store(format!(
                "cannot write token file in {}: {e}",
                self.dir.display()
            )));
        }
        Ok(())
    }

    fn delete(&self, key: &CacheKey) -> Result<(), AuthError> {
        match std::fs::remove_file(self.path_for(key)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AuthError::Store(format!("cannot delete token file: {e}"))),
        }
    }

    fn lock_dir(&self) -> Option<PathBuf> {
        Some(self.dir.clone())
    }
}
