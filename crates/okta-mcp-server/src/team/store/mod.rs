//! The team server's state behind one small trait: a namespaced key-value store with the
//! atomic operations the OAuth flows need (take-once for codes and pending sign-ins,
//! compare-and-swap for refresh token rotation, put with a time to live) and a lock with
//! expiry (one refresh of a person's Okta token at a time, across replicas). The embedded
//! default is SQLite ([`sqlite::SqliteStore`], one instance); with OKTA_MCP_STATE_URL it is
//! Redis ([`redis::RedisStore`]: GETDEL, a Lua swap, SET PX, SET NX PX), shared by replicas.
//!
//! Values are opaque bytes; [`super::state`] gives them types and seals what is secret.

#[cfg(test)]
mod contract_tests;
pub mod redis;
pub mod sqlite;

use std::path::PathBuf;
use std::time::Duration;

pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// A namespace of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Dynamically registered MCP clients, by client id.
    Client,
    /// Sign-ins waiting for Okta's callback, by hash of the upstream `state`.
    Pending,
    /// Authorization codes this server issued, by hash (single use, 10 minutes).
    Code,
    /// Codes already redeemed, by hash, naming the grant they started: a second redemption
    /// ends that grant (RFC 6749 §4.1.2).
    SpentCode,
    /// Access tokens this server issued, by hash.
    Access,
    /// Grants (one per signed-in client of a person), by grant id: holds the hash of the
    /// current refresh token.
    Grant,
    /// A person's Okta tokens, sealed, by Okta user id.
    Upstream,
    /// When a grant was last used, by grant id (kept apart so a use never races a rotation).
    LastUsed,
    /// Confirmations of destructive calls waiting for the person's answer, by hash of the
    /// handle (single use; answered on whichever replica the answer reaches).
    Confirmation,
    /// Locks with expiry ([`StateStore::lock`]), by name.
    Lock,
    /// An MCP session's owner and `initialize` handshake, by session id, so another
    /// replica can continue the session (`server::http::sessions`).
    McpSession,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Pending => "pending",
            Kind::Code => "code",
            Kind::SpentCode => "spent_code",
            Kind::Access => "access",
            Kind::Grant => "grant",
            Kind::Upstream => "upstream",
            Kind::LastUsed => "last_used",
            Kind::Confirmation => "confirmation",
            Kind::Lock => "lock",
            Kind::McpSession => "mcp_session",
        }
    }
}

/// What went wrong in the store. Never carries a value.
#[derive(Debug, thiserror::Error)]
#[error("state store: {0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// Records of one kind: (key, value) pairs.
pub type Records = Vec<(String, Vec<u8>)>;

/// The keys a record's value names, for [`StateStore::get_linked`]. Runs while the store
/// reads (inside SQLite's transaction), so it only decodes; it may run twice (SQLite retries
/// a busy read on the writer's connection).
pub type Links = std::sync::Arc<dyn Fn(&[u8]) -> Vec<(Kind, String)> + Send + Sync>;

/// A record's value, and the values of the records it names (`None` where absent).
pub type Linked = (Option<Vec<u8>>, Vec<Option<Vec<u8>>>);

/// The operations every state store provides. Expired records are never returned.
pub trait StateStore: Send + Sync + 'static {
    /// Inserts or replaces; `ttl` None keeps the record until deleted.
    fn put(
        &self,
        kind: Kind,
        key: String,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<StoreResult<()>>;
    fn get(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<Option<Vec<u8>>>>;
    /// A record and the records its value names (`links` of the value, in that order; a
    /// missing record names none), read in one transaction where the store has them
    /// (SQLite: one snapshot, its locks taken once) and in two round trips where it does not
    /// (Redis: GET, then MGET).
    fn get_linked(&self, kind: Kind, key: String, links: Links) -> BoxFuture<StoreResult<Linked>>;
    /// Reads and deletes in one step: of two concurrent takes, one gets the value.
    fn take(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<Option<Vec<u8>>>>;
    /// Replaces the value only if it is still `expected`; false when another writer won.
    fn swap(
        &self,
        kind: Kind,
        key: String,
        expected: Vec<u8>,
        new: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<StoreResult<bool>>;
    /// True when a record was deleted.
    fn delete(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<bool>>;
    /// Every live record of a kind (for `sessions list` and revocation by person).
    fn list(&self, kind: Kind) -> BoxFuture<StoreResult<Records>>;
    /// Takes the lock `name` for `owner` (a fresh random value) unless another owner holds
    /// it; the lock lapses after `ttl` whatever becomes of its holder, so a holder that died
    /// never blocks for longer. True when taken.
    fn lock(&self, name: String, owner: String, ttl: Duration) -> BoxFuture<StoreResult<bool>>;
    /// Releases the lock if `owner` still holds it (after expiry it may be another's).
    fn unlock(&self, name: String, owner: String) -> BoxFuture<StoreResult<bool>>;
    /// Succeeds when the store answers (readiness).
    fn ping(&self) -> BoxFuture<StoreResult<()>>;
}

/// `<user data dir>/okta-mcp-server/state.sqlite3`: XDG_DATA_HOME or ~/.local/share on
/// Unix, ~/Library/Application Support on macOS, %LOCALAPPDATA% on Windows.
pub fn default_path() -> PathBuf {
    dirs::data_local_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("okta-mcp-server")
        .join("state.sqlite3")
}
