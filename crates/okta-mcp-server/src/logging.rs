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
    let file = settings.log_file.as_ref().and_then(|path| {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!(
                    "OKTA_LOG_FILE: cannot open {}: {e}; logging to stderr only",
                    path.display()
                );
                None
            }
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
