//! Local files a tool reads or writes (CSV exports, logo uploads, certificate keys) stay inside
//! the allowed directories (OKTA_MCP_ALLOWED_KEY_DIRS): paths are canonicalised, so neither
//! `..` nor a symlink can escape, while a harmless name like `logo..png` is fine.

use crate::tools::error::ToolError;
use std::path::{Component, Path, PathBuf};

/// Resolves an existing file for reading; refuses anything outside the allowed directories.
pub fn readable(path: &str, allowed: &[PathBuf]) -> Result<PathBuf, ToolError> {
    let requested = absolute(path)?;
    let real = std::fs::canonicalize(&requested)
        .map_err(|e| ToolError::Refused(format!("cannot open {path:?}: {e}")))?;
    ensure_inside(&real, path, allowed)?;
    if !real.is_file() {
        return Err(ToolError::Refused(format!(
            "{path:?} is not a regular file"
        )));
    }
    Ok(real)
}

/// Resolves a path to create: its parent must exist inside the allowed directories, and an
/// existing file (or symlink) there is refused unless `overwrite`.
pub fn writable(path: &str, allowed: &[PathBuf], overwrite: bool) -> Result<PathBuf, ToolError> {
    let requested = absolute(path)?;
    let name = requested
        .file_name()
        .ok_or_else(|| ToolError::InvalidArguments(format!("{path:?} does not name a file")))?
        .to_owned();
    let parent = requested.parent().unwrap_or(Path::new("/"));
    let real_parent = std::fs::canonicalize(parent)
        .map_err(|e| ToolError::Refused(format!("the directory of {path:?} is not usable: {e}")))?;
    let target = real_parent.join(&name);
    ensure_inside(&target, path, allowed)?;
    match std::fs::symlink_metadata(&target) {
        Ok(meta) if meta.file_type().is_symlink() => Err(ToolError::Refused(format!(
            "{path:?} is a symbolic link; refusing to write through it"
        ))),
        Ok(_) if !overwrite => Err(ToolError::Refused(format!(
            "{path:?} already exists; choose another name or pass overwrite: true"
        ))),
        _ => Ok(target),
    }
}

fn absolute(path: &str) -> Result<PathBuf, ToolError> {
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err(ToolError::InvalidArguments(
            "file path must not be empty".into(),
        ));
    }
    let p = PathBuf::from(trimmed);
    let abs = if p.is_absolute() {
        p
    } else {
        std::env::current_dir()
            .map_err(|e| ToolError::Refused(format!("no current directory: {e}")))?
            .join(p)
    };
    // `..` components are resolved by canonicalize; a literal `..` inside a name is harmless.
    if abs.components().any(|c| matches!(c, Component::Prefix(_))) && cfg!(not(windows)) {
        return Err(ToolError::InvalidArguments(format!(
            "{path:?} is not a valid path"
        )));
    }
    Ok(abs)
}

fn ensure_inside(real: &Path, shown: &str, allowed: &[PathBuf]) -> Result<(), ToolError> {
    let inside = allowed
        .iter()
        .filter_map(|dir| std::fs::canonicalize(dir).ok())
        .any(|dir| real.starts_with(&dir));
    if inside {
        return Ok(());
    }
    let dirs: Vec<String> = allowed.iter().map(|d| d.display().to_string()).collect();
    Err(ToolError::Refused(format!(
        "{shown:?} resolves outside the allowed directories ({}); move the file there or add its directory to OKTA_MCP_ALLOWED_KEY_DIRS",
        dirs.join(":")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_inside_allowed_dirs_and_not_through_symlinks() {
        let allowed = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let good = allowed.path().join("logo..png");
        std::fs::write(&good, b"x").unwrap();
        assert!(readable(good.to_str().unwrap(), &dirs).is_ok());
        let secret = outside.path().join("secret.pem");
        std::fs::write(&secret, b"k").unwrap();
        assert!(matches!(
            readable(secret.to_str().unwrap(), &dirs),
            Err(ToolError::Refused(_))
        ));
        let sneaky = format!(
            "{}/../{}/secret.pem",
            allowed.path().display(),
            outside.path().file_name().unwrap().to_str().unwrap()
        );
        assert!(readable(&sneaky, &dirs).is_err());
        #[cfg(unix)]
        {
            let link = allowed.path().join("link.pem");
            std::os::unix::fs::symlink(&secret, &link).unwrap();
            assert!(matches!(
                readable(link.to_str().unwrap(), &dirs),
                Err(ToolError::Refused(_))
            ));
        }
    }

    #[test]
    fn writes_never_clobber_unless_asked() {
        let allowed = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let out = allowed.path().join("users.csv");
        assert_eq!(
            writable(out.to_str().unwrap(), &dirs, false).unwrap(),
            std::fs::canonicalize(allowed.path())
                .unwrap()
                .join("users.csv")
        );
        std::fs::write(&out, b"old").unwrap();
        assert!(writable(out.to_str().unwrap(), &dirs, false).is_err());
        assert!(writable(out.to_str().unwrap(), &dirs, true).is_ok());
        assert!(writable("/etc/passwd-export.csv", &dirs, true).is_err());
    }
}
