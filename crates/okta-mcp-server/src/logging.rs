//! Logs go to stderr (stdout is the JSON-RPC channel) and, optionally, to a file.

use crate::settings::Settings;
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

/// Installs the global subscriber. A log file that cannot be opened is reported, not fatal.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::builder()
        .with_default_directive(settings.log_level.into())
        .parse_lossy(
            format!(
                "{},hyper=warn,reqwest=warn,rustls=warn,h2=warn",
                settings.log_level
            )
            .to_lowercase(),
        );
    let file = settings
        .log_file
        .as_ref()
        .and_then(|path| match open_log_file(path) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!(
                    "OKTA_LOG_FILE: cannot open {}: {e}; logging to stderr only",
                    path.display()
                );
                None
            }
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match file {
        Some(f) => builder
            .with_writer(std::io::stderr.and(Mutex::new(f)))
            .with_ansi(false)
            .try_init(),
        None => builder
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
    let _ = result;
}

/// Opens OKTA_LOG_FILE for appending; a new file is owner-only (0600), since debug logs
/// name users and admins.
pub fn open_log_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}
