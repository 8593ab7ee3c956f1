//! The audit journal: one JSON line per call of a write or destructive tool, and per
//! sign-in, sign-out and revocation, so an org's admins can see who changed what through
//! this server, with which client, and find Okta's own record of it by request id.
//!
//! Lines are appended to one file (0600) with `O_APPEND`, each in a single `write(2)` and
//! synced before the tool's result goes back: concurrent writers (calls, processes) never
//! interleave, and a crash leaves at most one unfinished last line, which readers skip.
//! Records carry identifiers and a digest of the arguments, never a secret or a value.
//!
//! With OKTA_MCP_STATE_URL (replicas sharing Redis) each record also goes to one Redis
//! stream, [`AUDIT_STREAM_KEY`], in addition to the replica's own file: the file is the
//! synced local copy, the stream is the whole deployment's journal in one place, and is what
//! `okta-mcp-server audit` reads then. The stream is capped near [`AUDIT_STREAM_MAXLEN`]
//! entries (oldest dropped first); the files keep everything.

use crate::caller::Caller;
use crate::team::store::StoreError;
use crate::team::store::redis::{RedisConnection, StateUrl};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `<user state dir>/okta-mcp-server/audit.jsonl`: XDG_STATE_HOME or ~/.local/state on
/// Linux; macOS and Windows have no state dir, so ~/Library/Application Support and
/// %LOCALAPPDATA% there.
pub fn default_path() -> Option<PathBuf> {
    let base = dirs::state_dir().or_else(dirs::data_local_dir)?;
    Some(base.join("okta-mcp-server").join("audit.jsonl"))
}

/// What a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ToolCall,
    SignIn,
    SignOut,
    Revocation,
}

/// How a journaled call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The tool did what it was asked (or, for a session event, the event happened).
    Ok,
    /// The tool failed; `error_code` says how (Okta's errorCode, or this server's code).
    Error,
    /// The person declined or cancelled the confirmation: nothing was done.
    Declined,
    /// The call stopped to ask the person first (nothing done yet); the confirmed call
    /// that may follow is a record of its own.
    ConfirmationRequested,
    /// A dry run (`dry_run: true`): the plan was shown, nothing was sent to Okta. Journaled
    /// so admins see who prepared which change, and never mistaken for the change itself.
    DryRun,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub event: EventKind,
    /// The Okta user who acted (None when a service app's own token acted).
    pub user_id: Option<String>,
    pub user_login: Option<String>,
    /// The Okta OAuth client whose token made the calls.
    pub okta_client_id: Option<String>,
    /// The MCP client: the OAuth client this server registered for it (team mode).
    pub mcp_client_id: Option<String>,
    /// The MCP client's name, from its sign-in registration or its `initialize`.
    pub mcp_client_name: Option<String>,
    pub tool: Option<String>,
    /// The id-like arguments (`user_id`, `group_id`, ...) and, for a create, `result_id`.
    #[serde(default)]
    pub targets: BTreeMap<String, Value>,
    /// SHA-256 (hex) of the arguments as canonical JSON, secret-bearing fields removed.
    pub args_sha256: Option<String>,
    pub outcome: Outcome,
    /// Okta's errorCode (e.g. E0000007), or this server's code (e.g. invalid_arguments).
    pub error_code: Option<String>,
    /// `X-Okta-Request-Id` of each write the call sent, in order.
    #[serde(default)]
    pub okta_request_ids: Vec<String>,
}

/// Who acted, as the journal names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<String>,
    pub user_login: Option<String>,
    pub okta_client_id: Option<String>,
    pub mcp_client_id: Option<String>,
    pub mcp_client_name: Option<String>,
}

impl Actor {
    /// The person a team-mode request acts for.
    pub fn from_caller(caller: &Caller) -> Self {
        Self {
            user_id: Some(caller.user_id.clone()),
            user_login: Some(caller.login.clone()),
            okta_client_id: None,
            mcp_client_id: Some(caller.client_id.clone()),
            mcp_client_name: caller.client_name.clone(),
        }
    }

    /// The server's own token (stdio, or HTTP without sign-in): the device-flow user, or
    /// the service app; the MCP client as it named itself in `initialize`.
    pub fn from_token(
        identity: Option<okta_auth::TokenIdentity>,
        client_name: Option<String>,
    ) -> Self {
        let identity = identity.unwrap_or_default();
        Self {
            user_id: identity.user_id,
            user_login: identity.login,
            okta_client_id: identity.client_id,
            mcp_client_id: None,
            mcp_client_name: client_name,
        }
    }
}

impl AuditRecord {
    /// A session event (`kind` SignIn, SignOut or Revocation) of a signed-in person.
    // Called by team mode's OAuth endpoints, which arrive separately.
    #[allow(dead_code)]
    pub fn session_event(kind: EventKind, caller: &Caller) -> Self {
        Self::new(kind, &Actor::from_caller(caller), Outcome::Ok)
    }

    fn new(event: EventKind, actor: &Actor, outcome: Outcome) -> Self {
        Self {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            event,
            user_id: actor.user_id.clone(),
            user_login: actor.user_login.clone(),
            okta_client_id: actor.okta_client_id.clone(),
            mcp_client_id: actor.mcp_client_id.clone(),
            mcp_client_name: actor.mcp_client_name.clone(),
            tool: None,
            targets: BTreeMap::new(),
            args_sha256: None,
            outcome,
            error_code: None,
            okta_request_ids: Vec::new(),
        }
    }

    /// A tool call, before its outcome is known.
    pub fn tool_call(actor: &Actor, tool: &str, arguments: &Map<String, Value>) -> Self {
        let mut record = Self::new(EventKind::ToolCall, actor, Outcome::Ok);
        record.tool = Some(tool.to_owned());
        record.targets = target_ids(arguments);
        record.args_sha256 = Some(arguments_digest(arguments));
        record
    }

    /// Whether the record names `who` (user id, login or the Okta client id).
    pub fn is_by(&self, who: &str) -> bool {
        [&self.user_id, &self.okta_client_id, &self.mcp_client_id]
            .into_iter()
            .flatten()
            .any(|v| v == who)
            || self
                .user_login
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(who))
    }
}

/// How a call ended, as the tool path knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    Done,
    /// With the error's code: Okta's errorCode where Okta refused, else this server's.
    Failed(String),
    Declined,
    Asked,
    /// A dry run answered with its plan.
    DryRun,
}

impl CallOutcome {
    pub fn failed(code: &str) -> Self {
        Self::Failed(code.to_owned())
    }

    /// From a tool error's JSON: Okta's `errorCode` when it has one, else its `error`.
    pub fn failed_with(error: &Value) -> Self {
        let code = ["errorCode", "error"]
            .iter()
            .filter_map(|k| error.get(*k).and_then(Value::as_str))
            .find(|c| !c.is_empty())
            .unwrap_or("error");
        Self::failed(code)
    }

    /// What the confirmation gate's answer means: declined or cancelled by the person, a
    /// question put to them (nothing done yet), or an error.
    pub fn of_confirmation(response: &rmcp::model::CallToolResponse) -> Self {
        let rmcp::model::CallToolResponse::Complete(result) = response else {
            return Self::Asked;
        };
        let structured = result.structured_content.as_ref();
        if result.is_error == Some(true) {
            return Self::failed_with(structured.unwrap_or(&Value::Null));
        }
        if structured.and_then(|s| s.get("cancelled")) == Some(&Value::Bool(true)) {
            Self::Declined
        } else {
            Self::Asked
        }
    }
}

/// Fills in a tool-call record once the call has run: who, how it ended, what it created,
/// and Okta's request ids of its writes.
pub fn complete(
    record: &mut AuditRecord,
    actor: &Actor,
    outcome: CallOutcome,
    response: &rmcp::model::CallToolResponse,
    request_ids: Vec<String>,
) {
    record.user_id = actor.user_id.clone();
    record.user_login = actor.user_login.clone();
    record.okta_client_id = actor.okta_client_id.clone();
    record.mcp_client_id = actor.mcp_client_id.clone();
    record.mcp_client_name = actor.mcp_client_name.clone();
    record.okta_request_ids = request_ids;
    (record.outcome, record.error_code) = match outcome {
        CallOutcome::Done => (Outcome::Ok, None),
        CallOutcome::Failed(code) => (Outcome::Error, Some(code)),
        CallOutcome::Declined => (Outcome::Declined, None),
        CallOutcome::Asked => (Outcome::ConfirmationRequested, None),
        CallOutcome::DryRun => (Outcome::DryRun, None),
    };
    if record.outcome == Outcome::Ok
        && let rmcp::model::CallToolResponse::Complete(result) = response
        && let Some(id) = result
            .structured_content
            .as_ref()
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .filter(|id| looks_like_id(id))
        && !record.targets.values().any(|v| v == id)
    {
        record
            .targets
            .insert("result_id".to_owned(), Value::String(id.to_owned()));
    }
}

/// The Redis stream every replica appends to.
pub const AUDIT_STREAM_KEY: &str = "okta-mcp:audit";
/// Entries the stream keeps, about (XADD MAXLEN ~ trims whole nodes, so a little more).
pub const AUDIT_STREAM_MAXLEN: u64 = 100_000;
/// The field of a stream entry that holds the record's JSON.
const AUDIT_STREAM_FIELD: &str = "record";
/// Entries read per XRANGE.
const AUDIT_STREAM_PAGE: usize = 1000;

/// The audit journal as a Redis stream, shared by replicas.
#[derive(Clone)]
pub struct AuditStream {
    redis: RedisConnection,
}

impl AuditStream {
    pub fn open(url: &StateUrl) -> Result<Self, StoreError> {
        Ok(Self {
            redis: RedisConnection::open(url)?,
        })
    }

    /// Appends one record's JSON line as one entry, trimming the oldest beyond the cap.
    pub async fn append(&self, line: Vec<u8>) -> Result<(), StoreError> {
        self.redis
            .run(move |mut conn| async move {
                let _: String = redis::cmd("XADD")
                    .arg(AUDIT_STREAM_KEY)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(AUDIT_STREAM_MAXLEN)
                    .arg("*")
                    .arg(AUDIT_STREAM_FIELD)
                    .arg(line)
                    .query_async(&mut conn)
                    .await?;
                Ok(())
            })
            .await
    }

    /// Every record in the stream, oldest first, with the number of entries that could not
    /// be read.
    pub async fn read_all(&self) -> Result<(Vec<AuditRecord>, usize), StoreError> {
        let mut records = Vec::new();
        let mut skipped = 0;
        let mut start = "-".to_owned();
        loop {
            let from = start.clone();
            let page: Vec<(String, Vec<Vec<u8>>)> = self
                .redis
                .run(move |mut conn| async move {
                    redis::cmd("XRANGE")
                        .arg(AUDIT_STREAM_KEY)
                        .arg(from)
                        .arg("+")
                        .arg("COUNT")
                        .arg(AUDIT_STREAM_PAGE)
                        .query_async(&mut conn)
                        .await
                })
                .await?;
            let Some((last, _)) = page.last() else {
                break;
            };
            start = format!("({last}");
            let full = page.len() == AUDIT_STREAM_PAGE;
            for (_, fields) in page {
                let record = fields
                    .chunks(2)
                    .find(|pair| pair[0] == AUDIT_STREAM_FIELD.as_bytes())
                    .and_then(|pair| pair.get(1))
                    .and_then(|json| serde_json::from_slice::<AuditRecord>(json).ok());
                match record {
                    Some(record) => records.push(record),
                    None => skipped += 1,
                }
            }
            if !full {
                break;
            }
        }
        Ok((records, skipped))
    }
}

/// The journal file, shared by every call of one process, and the shared stream when the
/// state is in Redis.
#[derive(Clone)]
pub struct AuditJournal {
    path: PathBuf,
    file: Arc<Mutex<File>>,
    stream: Option<AuditStream>,
}

impl std::fmt::Debug for AuditJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditJournal")
            .field("path", &self.path)
            .finish()
    }
}

impl AuditJournal {
    /// Opens (creating it and its directory, owner-only) the journal at `path` for appending.
    /// A last line left unfinished by a crash is closed off, so the next record starts clean.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true).read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // An existing file keeps its mode on open: make it private too.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        if ends_unfinished(&mut file)? {
            file.write_all(b"\n")?;
        }
        Ok(Self {
            path: path.to_owned(),
            file: Arc::new(Mutex::new(file)),
            stream: None,
        })
    }

    /// Also appends every record to the shared stream.
    pub fn with_stream(mut self, stream: AuditStream) -> Self {
        self.stream = Some(stream);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` as one line in one write, and syncs it to disk; then to the shared
    /// stream, if any (a stream that cannot be reached is logged: the file has the record).
    pub async fn record(&self, record: &AuditRecord) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        let entry = line.clone();
        line.push(b'\n');
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || append_line(&file, &line))
            .await
            .map_err(std::io::Error::other)??;
        if let Some(stream) = &self.stream
            && let Err(e) = stream.append(entry).await
        {
            tracing::error!(stream = AUDIT_STREAM_KEY, file = %self.path.display(), error = %e, "could not append to the shared audit stream; the record is in this replica's file");
        }
        Ok(())
    }
}

/// One `write(2)` for the whole line (`O_APPEND` makes it land whole at the end); a short
/// write (disk full) is closed with a newline so only that line is lost.
fn append_line(file: &Mutex<File>, line: &[u8]) -> std::io::Result<()> {
    let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
    let written = file.write(line)?;
    if written < line.len() {
        let _ = file.write(b"\n");
        return Err(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            format!(
                "only {written} of {} bytes of the record were written",
                line.len()
            ),
        ));
    }
    file.sync_data()
}

fn ends_unfinished(file: &mut File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Reads every complete record of the journal; returns them with the number of lines that
/// could not be read (a torn last line after a crash, or foreign text).
pub fn read_all(path: &Path) -> std::io::Result<(Vec<AuditRecord>, usize)> {
    let file = File::open(path)?;
    let mut records = Vec::new();
    let mut skipped = 0;
    for line in std::io::BufReader::new(file).split(b'\n') {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<AuditRecord>(&line) {
            Ok(record) => records.push(record),
            Err(_) => skipped += 1,
        }
    }
    Ok((records, skipped))
}

/// Keys (compared lower-case without `_`/`-`) whose values are left out of the digest: they
/// carry or may carry a secret, and a digest of a low-entropy secret (a password) could be
/// guessed offline. `credentials` covers user passwords and recovery answers and app
/// client secrets and signing keys.
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "secret",
    "credential",
    "privatekey",
    "token",
    "assertion",
    "answer",
    "passphrase",
    "apikey",
];

pub(crate) fn is_secret_key(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEY_PARTS.iter().any(|part| folded.contains(part))
}

/// A value that is (or contains) key material, whatever field it came in.
pub(crate) fn is_key_material(text: &str) -> bool {
    text.contains("PRIVATE KEY-----") || text.contains("\"d\":") && text.contains("\"kty\"")
}

/// The arguments as canonical JSON (keys sorted, no whitespace), without secret-bearing
/// fields (by name, at any depth) and without any value holding key material.
pub fn canonical_arguments(arguments: &Map<String, Value>) -> String {
    fn strip(value: &Value) -> Option<Value> {
        match value {
            Value::Object(map) => {
                let jwk = map.contains_key("kty");
                let sorted: BTreeMap<&String, Value> = map
                    .iter()
                    .filter(|(k, _)| !(is_secret_key(k) || jwk && is_jwk_private(k)))
                    .filter_map(|(k, v)| strip(v).map(|v| (k, v)))
                    .collect();
                Some(Value::Object(
                    sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect(),
                ))
            }
            Value::Array(items) => Some(Value::Array(items.iter().filter_map(strip).collect())),
            Value::String(text) if is_key_material(text) => None,
            other => Some(other.clone()),
        }
    }
    // A JWK's private members have short names; drop them inside a JWK (an object with `kty`).
    fn is_jwk_private(key: &str) -> bool {
        matches!(key, "d" | "p" | "q" | "dp" | "dq" | "qi" | "k")
    }
    strip(&Value::Object(arguments.clone()))
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// SHA-256 (lower-case hex) of [`canonical_arguments`].
pub fn arguments_digest(arguments: &Map<String, Value>) -> String {
    let digest = Sha256::digest(canonical_arguments(arguments).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Longest value kept as a target id; ids and logins are far shorter.
const MAX_ID_LEN: usize = 256;

/// The id-like arguments: `id`, `*_id` (strings) and `*_ids` (arrays of strings). A value
/// that cannot be an id (spaces, control characters, key material, very long) is not copied.
pub fn target_ids(arguments: &Map<String, Value>) -> BTreeMap<String, Value> {
    let id_like = |v: &Value| match v {
        Value::String(s) if looks_like_id(s) => Some(Value::String(s.clone())),
        Value::String(_) => Some(Value::String("<not an id: left out>".into())),
        _ => None,
    };
    arguments
        .iter()
        .filter(|(k, _)| !is_secret_key(k))
        .filter_map(|(key, value)| {
            if key == "id" || key.ends_with("_id") {
                id_like(value).map(|v| (key.clone(), v))
            } else if key.ends_with("_ids") {
                let items: Vec<Value> = value.as_array()?.iter().filter_map(id_like).collect();
                Some((key.clone(), Value::Array(items)))
            } else {
                None
            }
        })
        .collect()
}

fn looks_like_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_ID_LEN && text.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn digest_ignores_key_order_and_secrets() {
        let a = args(
            json!({"profile": {"login": "a@b.c", "email": "a@b.c"}, "credentials": {"password": {"value": "Pw-1"}}}),
        );
        let b = args(
            json!({"credentials": {"password": {"value": "Other-2"}}, "profile": {"email": "a@b.c", "login": "a@b.c"}}),
        );
        assert_eq!(arguments_digest(&a), arguments_digest(&b));
        let c = args(json!({"profile": {"login": "x@b.c", "email": "a@b.c"}}));
        assert_ne!(arguments_digest(&a), arguments_digest(&c));
        let canonical = canonical_arguments(&a);
        assert!(
            !canonical.contains("Pw-1") && !canonical.contains("credentials"),
            "{canonical}"
        );
        assert_eq!(
            canonical,
            r#"{"profile":{"email":"a@b.c","login":"a@b.c"}}"#
        );
    }

    #[test]
    fn key_material_is_dropped_whatever_the_field() {
        let pem = okta_sandbox::oauth::throwaway_private_key_pem();
        let key_line = pem.lines().nth(1).expect("a PEM body line").to_owned();
        let a = args(
            json!({"domain_id": "OcD1", "certificate": pem, "settings": {"jwk": {"kty": "RSA", "n": "abc", "d": "SECRETD"}}}),
        );
        let canonical = canonical_arguments(&a);
        assert!(
            !canonical.contains(&key_line) && !canonical.contains("SECRETD"),
            "{canonical}"
        );
        assert!(canonical.contains("\"n\":\"abc\""), "{canonical}");
        let targets = target_ids(&args(
            json!({"user_id": pem, "group_id": "00g1", "user_ids": ["00u1", "00u2"], "name": "x"}),
        ));
        assert_eq!(targets["group_id"], json!("00g1"));
        assert_eq!(targets["user_ids"], json!(["00u1", "00u2"]));
        assert!(!targets["user_id"].as_str().unwrap().contains("PRIVATE"));
        assert!(!targets.contains_key("name"));
    }

    #[test]
    fn session_events_name_the_person_and_their_client() {
        let caller = Caller::from(crate::caller::Identity {
            user_id: "00u1".into(),
            login: "ada@example.com".into(),
            client_id: "mcp-client-1".into(),
            client_name: Some("Claude".into()),
            scopes: ["okta.users.read".to_owned()].into(),
        });
        let record = AuditRecord::session_event(EventKind::SignIn, &caller);
        let line = serde_json::to_value(&record).unwrap();
        assert_eq!(line["event"], "sign_in");
        assert_eq!(line["user_login"], "ada@example.com");
        assert_eq!(line["mcp_client_id"], "mcp-client-1");
        assert_eq!(line["outcome"], "ok");
        assert!(record.is_by("ADA@example.com") && record.is_by("00u1") && !record.is_by("00u2"));
    }

    #[tokio::test]
    async fn lines_are_whole_private_and_a_torn_tail_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("audit.jsonl");
        let journal = AuditJournal::open(&path).unwrap();
        let actor = Actor::default();
        let record = AuditRecord::tool_call(
            &actor,
            "create_group",
            &args(json!({"profile": {"name": "g"}})),
        );
        journal.record(&record).await.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // A crash mid-line (simulated): the reader skips it, and reopening closes it off.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"time\":\"20")
            .unwrap();
        let (records, skipped) = read_all(&path).unwrap();
        assert_eq!((records.len(), skipped), (1, 1));
        let journal = AuditJournal::open(&path).unwrap();
        journal.record(&record).await.unwrap();
        let (records, skipped) = read_all(&path).unwrap();
        assert_eq!((records.len(), skipped), (2, 1));
        assert_eq!(records[1], record);
    }
}
