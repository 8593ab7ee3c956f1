//! Local files a tool reads or writes (CSV exports, logo uploads, certificate keys) stay inside
//! the allowed directories (OKTA_MCP_ALLOWED_KEY_DIRS).
//!
//! The order matters: the requested path is first checked against the allowed directories
//! lexically (so a refusal never says whether something exists outside them), then opened
//! through a handle on the allowed directory with cap-std, which resolves every component
//! itself and refuses `..` or a symbolic link that leads out. What is checked is what is
//! opened: no path is looked up twice, so swapping a parent directory for a link between a
//! check and an open cannot escape. The server's own private key file is never handed out.

use crate::tools::error::ToolError;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Where tools may touch local files, and which files they must never read.
#[derive(Clone, Copy, Debug)]
pub struct FileRules<'a> {
    pub allowed: &'a [PathBuf],
    /// Files no tool may read even inside an allowed directory (the server's own private
    /// key), recognised by identity (device and inode), whatever name they are reached by.
    pub secret_files: &'a [PathBuf],
}

impl<'a> FileRules<'a> {
    pub fn of(settings: &'a crate::settings::Settings) -> Self {
        Self {
            allowed: &settings.allowed_dirs,
            secret_files: settings.private_key_file.as_slice(),
        }
    }
}

/// Opens an existing regular file for reading; refuses anything outside the allowed
/// directories, anything reached through a link that leads out, and the secret files.
pub fn open_readable(path: &str, rules: FileRules<'_>) -> Result<std::fs::File, ToolError> {
    let (dir, relative) = locate(path, rules.allowed)?;
    let file = dir
        .open(&relative)
        .map_err(|e| open_error(path, e))?
        .into_std();
    let meta = file
        .metadata()
        .map_err(|e| ToolError::Refused(format!("cannot read {path:?}: {}", e.kind())))?;
    if !meta.is_file() {
        return Err(ToolError::Refused(format!(
            "{path:?} is not a regular file"
        )));
    }
    if is_secret(&meta, &dir_path(path), rules.secret_files) {
        return Err(ToolError::Refused(format!(
            "{path:?} is this server's own private key (OKTA_PRIVATE_KEY_FILE); it is never \
             read by a tool or sent to the org. Pass a different file."
        )));
    }
    Ok(file)
}

/// Where a new file goes: a handle on its (already checked) directory and the file's name.
#[derive(Debug)]
pub struct WriteTarget {
    pub dir: Dir,
    pub name: OsString,
    /// The absolute path, for messages and results.
    pub shown: PathBuf,
}

/// Resolves a path to create: its directory must exist inside the allowed directories
/// (reached without a link leading out), and an existing file or symlink of that name is
/// refused unless `overwrite` (a symlink always).
pub fn writable(
    path: &str,
    rules: FileRules<'_>,
    overwrite: bool,
) -> Result<WriteTarget, ToolError> {
    let (root, relative) = locate(path, rules.allowed)?;
    let shown = lexical(path)?;
    let name = relative
        .file_name()
        .ok_or_else(|| ToolError::InvalidArguments(format!("{path:?} does not name a file")))?
        .to_owned();
    let parent = relative.parent().unwrap_or(Path::new(""));
    let dir = if parent.as_os_str().is_empty() {
        root
    } else {
        root.open_dir(parent).map_err(|e| {
            let reason = describe(&e);
            ToolError::Refused(format!("the directory of {path:?} is not usable: {reason}"))
        })?
    };
    match dir.symlink_metadata(&name) {
        Ok(meta) if meta.file_type().is_symlink() => Err(ToolError::Refused(format!(
            "{path:?} is a symbolic link; refusing to write through it"
        ))),
        Ok(_) if !overwrite => Err(ToolError::Refused(format!(
            "{path:?} already exists; choose another name or pass overwrite: true"
        ))),
        _ => Ok(WriteTarget { dir, name, shown }),
    }
}

/// The allowed directory that lexically holds `path`, opened, and the rest of the path.
/// Nothing outside the allowed directories is looked at, so the refusal is the same whether
/// or not the file exists.
fn locate(path: &str, allowed: &[PathBuf]) -> Result<(Dir, PathBuf), ToolError> {
    let wanted = lexical(path)?;
    for dir in allowed {
        let Ok(lexical_dir) = lexical_path(dir) else {
            continue;
        };
        // A configured directory may itself be reached through a link (/tmp on macOS):
        // both its spelling and its real location count.
        let real_dir = std::fs::canonicalize(dir).ok();
        for root in std::iter::once(lexical_dir).chain(real_dir) {
            let Ok(relative) = wanted.strip_prefix(&root) else {
                continue;
            };
            if relative.as_os_str().is_empty() {
                return Err(ToolError::InvalidArguments(format!(
                    "{path:?} is a directory; name a file inside it"
                )));
            }
            let handle = Dir::open_ambient_dir(&root, ambient_authority()).map_err(|e| {
                ToolError::Refused(format!(
                    "the allowed directory {} cannot be opened: {}",
                    root.display(),
                    e.kind()
                ))
            })?;
            return Ok((handle, relative.to_path_buf()));
        }
    }
    let dirs: Vec<String> = allowed.iter().map(|d| d.display().to_string()).collect();
    Err(ToolError::Refused(format!(
        "{path:?} is outside the allowed directories ({}); move the file there or add its directory to OKTA_MCP_ALLOWED_KEY_DIRS",
        dirs.join(":")
    )))
}

/// `path` made absolute and with `.` and `..` resolved by name (no file system access).
fn lexical(path: &str) -> Result<PathBuf, ToolError> {
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err(ToolError::InvalidArguments(
            "file path must not be empty".into(),
        ));
    }
    lexical_path(Path::new(trimmed))
        .map_err(|_| ToolError::InvalidArguments(format!("{path:?} is not a valid path")))
}

fn lexical_path(path: &Path) -> Result<PathBuf, ()> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(|_| ())?.join(path)
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(prefix) if cfg!(windows) => out.push(prefix.as_os_str()),
            Component::Prefix(_) => return Err(()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
        }
    }
    Ok(out)
}

fn open_error(path: &str, e: std::io::Error) -> ToolError {
    ToolError::Refused(format!("cannot open {path:?}: {}", describe(&e)))
}

/// cap-std reports an escape as PermissionDenied with its own wording; say what happened.
fn describe(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::PermissionDenied && e.to_string().contains("outside") {
        "it leads outside the allowed directories (through a symbolic link or ..); refused"
            .to_owned()
    } else if e.kind() == std::io::ErrorKind::NotFound {
        "no such file or directory".to_owned()
    } else {
        e.to_string()
    }
}

/// The requested path as given, for the identity check where there are no inodes.
fn dir_path(path: &str) -> PathBuf {
    lexical(path).unwrap_or_default()
}

#[cfg(unix)]
fn is_secret(meta: &std::fs::Metadata, _path: &Path, secret_files: &[PathBuf]) -> bool {
    use std::os::unix::fs::MetadataExt;
    secret_files.iter().any(|secret| {
        std::fs::metadata(secret).is_ok_and(|s| s.dev() == meta.dev() && s.ino() == meta.ino())
    })
}

/// Without inodes, the real locations are compared.
#[cfg(not(unix))]
fn is_secret(_meta: &std::fs::Metadata, path: &Path, secret_files: &[PathBuf]) -> bool {
    let real = std::fs::canonicalize(path).ok();
    secret_files
        .iter()
        .any(|secret| real.is_some() && std::fs::canonicalize(secret).ok() == real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn rules(dirs: &[PathBuf]) -> FileRules<'_> {
        FileRules {
            allowed: dirs,
            secret_files: &[],
        }
    }

    fn read(path: &Path, dirs: &[PathBuf]) -> Result<String, ToolError> {
        let mut text = String::new();
        open_readable(path.to_str().unwrap(), rules(dirs))?
            .read_to_string(&mut text)
            .unwrap();
        Ok(text)
    }

    fn refusal(result: Result<impl std::fmt::Debug, ToolError>) -> String {
        match result {
            Err(ToolError::Refused(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn reads_only_inside_allowed_dirs_and_not_through_symlinks() {
        let allowed = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let good = allowed.path().join("logo..png");
        std::fs::write(&good, b"x").unwrap();
        assert_eq!(read(&good, &dirs).unwrap(), "x");
        let secret = outside.path().join("secret.pem");
        std::fs::write(&secret, b"k").unwrap();
        refusal(read(&secret, &dirs));
        let sneaky = format!(
            "{}/../{}/secret.pem",
            allowed.path().display(),
            outside.path().file_name().unwrap().to_str().unwrap()
        );
        refusal(open_readable(&sneaky, rules(&dirs)));
        #[cfg(unix)]
        {
            let link = allowed.path().join("link.pem");
            std::os::unix::fs::symlink(&secret, &link).unwrap();
            assert!(refusal(read(&link, &dirs)).contains("outside the allowed directories"));
        }
    }

    #[test]
    fn the_refusal_outside_is_the_same_whether_or_not_the_file_exists() {
        let allowed = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let present = outside.path().join("a.pem");
        std::fs::write(&present, b"k").unwrap();
        let absent = outside.path().join("b.pem");
        let shown = |p: &Path, m: String| m.replace(p.to_str().unwrap(), "<path>");
        assert_eq!(
            shown(&present, refusal(read(&present, &dirs))),
            shown(&absent, refusal(read(&absent, &dirs)))
        );
        assert_eq!(
            shown(
                &present,
                refusal(writable(present.to_str().unwrap(), rules(&dirs), true))
            ),
            shown(
                &absent,
                refusal(writable(absent.to_str().unwrap(), rules(&dirs), true))
            )
        );
    }

    /// The file handed back is the one that was checked: swapping its parent for a link
    /// afterwards changes nothing, and a parent that is already a link leading out is refused.
    #[cfg(unix)]
    #[test]
    fn a_parent_swapped_for_a_link_out_cannot_escape() {
        let allowed = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let sub = allowed.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("key.pem"), b"inside").unwrap();
        std::fs::write(outside.path().join("key.pem"), b"outside").unwrap();
        let target = sub.join("key.pem");
        let mut opened = open_readable(target.to_str().unwrap(), rules(&dirs)).unwrap();
        std::fs::rename(&sub, allowed.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), &sub).unwrap();
        let mut text = String::new();
        opened.read_to_string(&mut text).unwrap();
        assert_eq!(text, "inside");
        assert!(refusal(read(&target, &dirs)).contains("outside the allowed directories"));
        let out = sub.join("export.csv");
        refusal(writable(out.to_str().unwrap(), rules(&dirs), true));
    }

    #[cfg(unix)]
    #[test]
    fn the_servers_private_key_is_refused_under_any_name() {
        let allowed = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let key = allowed.path().join("service.pem");
        // Test-only: stands for the server's key file; its content is never read.
        std::fs::write(&key, b"test-only stand-in for a key file").unwrap();
        let alias = allowed.path().join("alias.pem");
        std::fs::hard_link(&key, &alias).unwrap();
        let secrets = vec![key.clone()];
        let rules = FileRules {
            allowed: &dirs,
            secret_files: &secrets,
        };
        for path in [&key, &alias] {
            let message = refusal(open_readable(path.to_str().unwrap(), rules));
            assert!(message.contains("private key"), "{message}");
        }
        std::fs::write(allowed.path().join("other.pem"), b"x").unwrap();
        assert!(open_readable(allowed.path().join("other.pem").to_str().unwrap(), rules).is_ok());
    }

    #[test]
    fn writes_never_clobber_unless_asked() {
        let allowed = tempfile::tempdir().unwrap();
        let dirs = vec![allowed.path().to_path_buf()];
        let out = allowed.path().join("users.csv");
        let target = writable(out.to_str().unwrap(), rules(&dirs), false).unwrap();
        assert_eq!(target.shown, out);
        assert_eq!(target.name, "users.csv");
        std::fs::write(&out, b"old").unwrap();
        refusal(writable(out.to_str().unwrap(), rules(&dirs), false));
        assert!(writable(out.to_str().unwrap(), rules(&dirs), true).is_ok());
        refusal(writable("/etc/passwd-export.csv", rules(&dirs), true));
    }
}
