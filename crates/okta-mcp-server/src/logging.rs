//! Logs go to stderr (stdout is the JSON-RPC channel) and, optionally, to a file; and, once a
//! client asks with `logging/setLevel`, to that client as MCP log notifications.
//!
//! Two rules hold for every line, in one place each:
//! - Control characters in logged values (IDs, Okta error text, messages) are escaped, so a
//!   value with CR/LF cannot forge a log line (`escaped_fields`).
//! - The SDK's own debug and trace events dump whole messages, org data and megabytes of
//!   results included: the SDK is logged at info at most, whatever OKTA_LOG_LEVEL says.

// MCP logging is deprecated upstream (SEP-2577) but clients still probe for it.
#![allow(deprecated)]

use crate::settings::Settings;
use rmcp::RoleServer;
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::writer::{BoxMakeWriter, MakeWriterExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Targets logged at info at most: rmcp's debug and trace events print whole messages.
const QUIET_TARGETS: &str = "rmcp=info,hyper=warn,reqwest=warn,rustls=warn,h2=warn";

/// Installs the global subscriber. A log file that cannot be opened is reported, not fatal.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::builder()
        .with_default_directive(settings.log_level.into())
        .parse_lossy(format!("{},{QUIET_TARGETS}", settings.log_level).to_lowercase());
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
    let (writer, ansi) = match file {
        Some(f) => (
            BoxMakeWriter::new(std::io::stderr.and(Mutex::new(f))),
            false,
        ),
        None => (
            BoxMakeWriter::new(std::io::stderr),
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ),
    };
    let local = tracing_subscriber::fmt::layer()
        .with_target(false)
        .fmt_fields(escaped_fields())
        .with_writer(writer)
        .with_ansi(ansi)
        .with_filter(filter);
    let _ = tracing_subscriber::registry()
        .with(local)
        .with(ClientLogLayer.with_filter(client_log_filter()))
        .try_init();
}

/// Formats fields as the default formatter does (`message` bare, others `name=value`), with
/// control characters escaped.
fn escaped_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> + 'static {
    use tracing_subscriber::field::MakeExt;
    tracing_subscriber::fmt::format::debug_fn(
        |writer: &mut Writer<'_>, field: &Field, value: &dyn std::fmt::Debug| {
            let raw = format!("{value:?}");
            let text = escape_controls(&raw);
            if field.name() == "message" {
                writer.write_str(&text)
            } else {
                write!(writer, "{}={text}", field.name())
            }
        },
    )
    .delimited(" ")
}

/// `text` with every control character (and the Unicode line and paragraph separators)
/// written as an escape, so it stays on one line and cannot move the cursor.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let needs = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !text.chars().any(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

// ---------------------------------------------------------------------------------------
// Log notifications to the client (MCP `logging/setLevel`, `notifications/message`).

/// Log notifications sent per second at most (a burst of this many, refilled over a second);
/// past it they are counted and the count is reported once the rate allows.
const CLIENT_LOG_PER_SECOND: u32 = 20;

/// Events waiting for the forwarding task; past this many, new ones are dropped and counted.
const CLIENT_LOG_QUEUE: usize = 256;

/// Clients remembered at once (HTTP sessions); the oldest goes past this.
const MAX_CLIENT_LOG_SUBSCRIBERS: usize = 64;

/// Severity as an ordered number: tracing's levels and MCP's on one scale (0 = nothing).
fn severity(level: &tracing::Level) -> u8 {
    match *level {
        tracing::Level::TRACE => 0,
        tracing::Level::DEBUG => 1,
        tracing::Level::INFO => 2,
        tracing::Level::WARN => 4,
        tracing::Level::ERROR => 5,
    }
}

fn mcp_severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 1,
        LoggingLevel::Info => 2,
        LoggingLevel::Notice => 3,
        LoggingLevel::Warning => 4,
        LoggingLevel::Error => 5,
        LoggingLevel::Critical => 6,
        LoggingLevel::Alert => 7,
        LoggingLevel::Emergency => 8,
    }
}

fn mcp_level(level: &tracing::Level) -> LoggingLevel {
    match *level {
        tracing::Level::TRACE | tracing::Level::DEBUG => LoggingLevel::Debug,
        tracing::Level::INFO => LoggingLevel::Info,
        tracing::Level::WARN => LoggingLevel::Warning,
        tracing::Level::ERROR => LoggingLevel::Error,
    }
}

struct ClientLog {
    /// The least severity any client asked for (u8::MAX while none did): the cheap check
    /// every event makes.
    threshold: AtomicU8,
    subscribers: Mutex<Vec<Subscriber>>,
    queue: Mutex<Option<tokio::sync::mpsc::Sender<(u8, LoggingMessageNotificationParam)>>>,
    dropped: AtomicU64,
}

struct Subscriber {
    peer: rmcp::Peer<RoleServer>,
    /// Who the peer is (its initialize info, shared by every clone of the peer), to replace
    /// rather than add when a client sets its level again.
    identity: Option<Arc<rmcp::model::InitializeRequestParams>>,
    min_severity: u8,
}

static CLIENT_LOG: LazyLock<ClientLog> = LazyLock::new(|| ClientLog {
    threshold: AtomicU8::new(u8::MAX),
    subscribers: Mutex::new(Vec::new()),
    queue: Mutex::new(None),
    dropped: AtomicU64::new(0),
});

/// From now on, sends this client the server's log events at `level` and above (debug at
/// most: trace events are never sent). Must be called inside the runtime.
pub fn forward_to_client(peer: rmcp::Peer<RoleServer>, level: LoggingLevel) {
    let log = &*CLIENT_LOG;
    let identity = peer.peer_info();
    {
        let mut subscribers = log.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subscribers.retain(|s| {
            !s.peer.is_transport_closed()
                && !matches!((&s.identity, &identity), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
        });
        if subscribers.len() >= MAX_CLIENT_LOG_SUBSCRIBERS {
            subscribers.remove(0);
        }
        subscribers.push(Subscriber {
            peer,
            identity,
            min_severity: mcp_severity(level),
        });
        let least = subscribers.iter().map(|s| s.min_severity).min();
        log.threshold
            .store(least.unwrap_or(u8::MAX), Ordering::Relaxed);
    }
    let mut queue = log.queue.lock().unwrap_or_else(|p| p.into_inner());
    if queue.as_ref().is_none_or(|q| q.is_closed()) {
        let (tx, rx) = tokio::sync::mpsc::channel(CLIENT_LOG_QUEUE);
        tokio::spawn(forward_events(rx));
        *queue = Some(tx);
    }
}

/// Sends queued events to the clients whose level they meet, at a bounded rate; events
/// past the rate are counted, and the count goes out as soon as the rate allows.
async fn forward_events(
    mut events: tokio::sync::mpsc::Receiver<(u8, LoggingMessageNotificationParam)>,
) {
    let log = &*CLIENT_LOG;
    let rate = CLIENT_LOG_PER_SECOND as f64;
    let mut allowance = rate;
    let mut last = Instant::now();
    loop {
        let event = if log.dropped.load(Ordering::Relaxed) > 0 {
            // Wake up to report the drops even if nothing else is logged.
            match tokio::time::timeout(Duration::from_secs_f64(1.0 / rate), events.recv()).await {
                Ok(event) => event.map(Some),
                Err(_) => Some(None),
            }
        } else {
            events.recv().await.map(Some)
        };
        let Some(event) = event else { break };
        let now = Instant::now();
        allowance = (allowance + now.duration_since(last).as_secs_f64() * rate).min(rate);
        last = now;
        let mut batch = Vec::with_capacity(2);
        if allowance >= 1.0 {
            let dropped = log.dropped.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                allowance -= 1.0;
                batch.push((4, dropped_notice(dropped)));
            }
        }
        if let Some(event) = event {
            if allowance >= 1.0 {
                allowance -= 1.0;
                batch.push(event);
            } else {
                log.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        if batch.is_empty() {
            continue;
        }
        let peers: Vec<(rmcp::Peer<RoleServer>, u8)> = {
            let mut subscribers = log.subscribers.lock().unwrap_or_else(|p| p.into_inner());
            subscribers.retain(|s| !s.peer.is_transport_closed());
            subscribers
                .iter()
                .map(|s| (s.peer.clone(), s.min_severity))
                .collect()
        };
        for (severity, param) in batch {
            for (peer, min) in &peers {
                if severity >= *min {
                    let _ = peer.notify_logging_message(param.clone()).await;
                }
            }
        }
    }
}

fn dropped_notice(count: u64) -> LoggingMessageNotificationParam {
    let mut param = LoggingMessageNotificationParam::new(
        LoggingLevel::Warning,
        serde_json::json!({"message": format!(
            "{count} log messages were not sent: at most {CLIENT_LOG_PER_SECOND} a second are forwarded"
        )}),
    );
    param.logger = Some("okta-mcp-server".into());
    param
}

/// Which events may reach clients: this project's own crates (the sandbox's and the SDK's
/// are noise, and the SDK's dump messages), debug and above. Other crates' callsites are
/// ruled out once, when registered, so they cost nothing per event.
fn client_log_filter<S>() -> impl tracing_subscriber::layer::Filter<S> {
    fn ours(target: &str) -> bool {
        target.starts_with("okta_") && !target.starts_with("okta_sandbox")
    }
    tracing_subscriber::filter::dynamic_filter_fn(|meta, _| {
        ours(meta.target())
            && severity(meta.level()) >= 1
            && severity(meta.level()) >= CLIENT_LOG.threshold.load(Ordering::Relaxed)
    })
    .with_callsite_filter(|meta| {
        if ours(meta.target()) && severity(meta.level()) >= 1 {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    })
    .with_max_level_hint(tracing::level_filters::LevelFilter::DEBUG)
}

/// Turns events into log notifications for `forward_events`.
struct ClientLogLayer;

impl<S: tracing::Subscriber> Layer<S> for ClientLogLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let log = &*CLIENT_LOG;
        let queue = log.queue.lock().unwrap_or_else(|p| p.into_inner());
        let Some(queue) = queue.as_ref() else {
            return;
        };
        let meta = event.metadata();
        let mut fields = FieldsToJson(Map::new());
        event.record(&mut fields);
        let mut param =
            LoggingMessageNotificationParam::new(mcp_level(meta.level()), Value::Object(fields.0));
        param.logger = Some(
            meta.target()
                .split("::")
                .next()
                .unwrap_or("")
                .replace('_', "-"),
        );
        if queue.try_send((severity(meta.level()), param)).is_err() {
            log.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct FieldsToJson(Map<String, Value>);

impl Visit for FieldsToJson {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_owned(), Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_plain_text_is_kept() {
        assert_eq!(escape_controls("00u1abc"), "00u1abc");
        assert_eq!(
            escape_controls("x\r\n2026-01-01T00:00:00Z  INFO forged\u{1b}[2J\u{2028}"),
            "x\\r\\n2026-01-01T00:00:00Z  INFO forged\\u{1b}[2J\\u{2028}"
        );
    }

    #[test]
    fn a_logged_value_with_cr_lf_stays_on_one_line() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(escaped_fields())
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let id = "00u1\r\n2026-12-06T00:00:00Z ERROR forged line";
            tracing::info!(user_id = %id, error = %"bad\nthing", "lookup of {id} failed");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("user_id=00u1\\r\\n2026"), "{out}");
        assert!(out.contains("error=bad\\nthing"), "{out}");
        assert!(out.contains("lookup of 00u1\\r\\n2026"), "{out}");
    }
}
