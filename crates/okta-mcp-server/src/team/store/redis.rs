//! The shared state store (OKTA_MCP_STATE_URL=redis://…): any number of replicas read and
//! write one Redis, so any replica serves any request. Same semantics as the SQLite store:
//! SET PX for time to live, GETDEL for take-once, a Lua compare-and-swap, SET NX PX locks
//! released by a Lua compare-and-delete. Every key lives under [`KEY_PREFIX`], so an org's
//! Redis can be shared with other applications.
//!
//! One multiplexed connection per process, reconnected in the background after an outage.
//! Each operation is bounded by [`OP_TIMEOUT`]: with Redis down or slow a call fails soon
//! with an error that says so, and the next call after Redis returns succeeds.

use super::{BoxFuture, Kind, Linked, Links, Records, StateStore, StoreError, StoreResult};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::collections::BTreeMap;
use std::time::Duration;

/// Every key this server writes starts with this.
pub const KEY_PREFIX: &str = "okta-mcp:";
/// Longest any one store operation may take, reconnecting included.
pub const OP_TIMEOUT: Duration = Duration::from_secs(3);
/// Records read per MGET when listing a kind.
const LIST_BATCH: usize = 500;

/// OKTA_MCP_STATE_URL, validated. Display and Debug never show a password.
#[derive(Clone, PartialEq, Eq)]
pub struct StateUrl {
    url: url::Url,
}

impl StateUrl {
    /// Accepts `redis://[user:password@]host[:port][/db]` and `rediss://` (TLS). The error
    /// message never repeats the URL (it may carry a password).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim()).map_err(|e| {
            format!(
                "not a valid URL ({e}); expected redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]"
            )
        })?;
        if !matches!(url.scheme(), "redis" | "rediss") {
            return Err(format!(
                "the scheme must be redis:// or rediss:// (TLS), not {}://",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("no host: expected redis://HOST:PORT[/DB]".into());
        }
        let db = url.path().trim_start_matches('/');
        if !db.is_empty() && db.parse::<u32>().is_err() {
            return Err("the path must be a database number (e.g. /0), or nothing".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("no query or fragment is accepted: redis://HOST:PORT[/DB]".into());
        }
        redis::Client::open(url.as_str()).map_err(|_| {
            "the Redis client does not accept it; expected redis://[USER:PASSWORD@]HOST:PORT[/DB]"
                .to_owned()
        })?;
        Ok(Self { url })
    }

    /// A client for connections of their own (pub/sub); the error never repeats the URL.
    pub fn client(&self) -> Result<redis::Client, String> {
        redis::Client::open(self.url.as_str())
            .map_err(|_| "the Redis client does not accept OKTA_MCP_STATE_URL".to_owned())
    }

    /// `host:port`: how errors and logs name the store.
    pub fn address(&self) -> String {
        format!(
            "{}:{}",
            self.url.host_str().unwrap_or_default(),
            self.url.port().unwrap_or(6379)
        )
    }
}

impl std::fmt::Display for StateUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("****"));
        }
        f.write_str(shown.as_str())
    }
}

impl std::fmt::Debug for StateUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateUrl({self})")
    }
}

/// A live connection to the store's Redis, shared by the state store and the audit stream.
#[derive(Clone)]
pub struct RedisConnection {
    conn: ConnectionManager,
    address: String,
}

impl RedisConnection {
    /// Prepares the connection without waiting for it: a server starts while Redis is down
    /// and says so through /readyz and its calls' errors, then works once Redis answers.
    pub fn open(url: &StateUrl) -> StoreResult<Self> {
        let client = redis::Client::open(url.url.as_str()).map_err(|_| {
            StoreError(format!(
                "OKTA_MCP_STATE_URL: the Redis client does not accept {url}"
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError(format!("cannot set up the Redis client: {e}")))?;
        Ok(Self {
            conn,
            address: url.address(),
        })
    }

    /// Runs one Redis operation within [`OP_TIMEOUT`], its error worded for the person who
    /// sees it (a value never appears in it).
    pub fn run<T, F>(
        &self,
        op: impl FnOnce(ConnectionManager) -> F + Send + 'static,
    ) -> BoxFuture<StoreResult<T>>
    where
        T: Send + 'static,
        F: std::future::Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let conn = self.conn.clone();
        let address = self.address.clone();
        Box::pin(async move {
            match tokio::time::timeout(OP_TIMEOUT, op(conn)).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) => Err(describe(&address, &e)),
                Err(_) => Err(unreachable_error(
                    &address,
                    &format!("no answer within {} s", OP_TIMEOUT.as_secs()),
                )),
            }
        })
    }

    pub fn ping(&self) -> BoxFuture<StoreResult<()>> {
        self.run(|mut conn| async move {
            let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            Ok(())
        })
    }
}

fn unreachable_error(address: &str, why: &str) -> StoreError {
    StoreError(format!(
        "Redis at {address} is unreachable ({why}); retry in a moment"
    ))
}

fn describe(address: &str, e: &redis::RedisError) -> StoreError {
    // First: a refused password also drops the connection, but reconnecting will not help.
    if e.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
    {
        StoreError(format!(
            "Redis at {address} refused the credentials: check the user and password in OKTA_MCP_STATE_URL"
        ))
    } else if e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.is_unrecoverable_error()
    {
        let why = if e.is_connection_refusal() {
            "connection refused"
        } else if e.is_timeout() {
            "timed out"
        } else {
            "connection lost"
        };
        unreachable_error(address, why)
    } else {
        StoreError(format!(
            "Redis at {address} refused a command ({})",
            e.code().unwrap_or(e.category())
        ))
    }
}

/// The state store on Redis.
pub struct RedisStore {
    redis: RedisConnection,
}

/// Replaces the value only if it is still the expected one; `ARGV[3]` is the time to live
/// in milliseconds, empty for none (SET without PX clears a previous expiry, as the SQLite
/// store's swap does).
const SWAP: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[3] == '' then
    redis.call('SET', KEYS[1], ARGV[2])
  else
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  end
  return 1
end
return 0
";

/// Deletes the lock only if `ARGV[1]` still owns it: an expired lock may be someone else's.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

impl RedisStore {
    pub fn open(url: &StateUrl) -> StoreResult<Self> {
        Ok(Self {
            redis: RedisConnection::open(url)?,
        })
    }
}

fn redis_key(kind: Kind, key: &str) -> String {
    format!("{KEY_PREFIX}{}:{key}", kind.as_str())
}

/// Milliseconds for PX: at least 1 (Redis refuses 0); None for no expiry.
fn ttl_millis(ttl: Option<Duration>) -> Option<u64> {
    ttl.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1))
}

impl StateStore for RedisStore {
    fn put(
        &self,
        kind: Kind,
        key: String,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<StoreResult<()>> {
        let key = redis_key(kind, &key);
        self.redis.run(move |mut conn| async move {
            if ttl.is_some_and(|t| t.is_zero()) {
                // Already expired: nothing to keep (and Redis refuses PX 0).
                let _: i64 = redis::cmd("DEL").arg(&key).query_async(&mut conn).await?;
                return Ok(());
            }
            let mut set = redis::cmd("SET");
            set.arg(&key).arg(value);
            if let Some(ms) = ttl_millis(ttl) {
                set.arg("PX").arg(ms);
            }
            let _: () = set.query_async(&mut conn).await?;
            Ok(())
        })
    }

    fn get(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<Option<Vec<u8>>>> {
        let key = redis_key(kind, &key);
        self.redis.run(move |mut conn| async move {
            redis::cmd("GET").arg(key).query_async(&mut conn).await
        })
    }

    fn get_linked(&self, kind: Kind, key: String, links: Links) -> BoxFuture<StoreResult<Linked>> {
        let first = self.get(kind, key);
        let redis = self.redis.clone();
        Box::pin(async move {
            let Some(value) = first.await? else {
                return Ok((None, Vec::new()));
            };
            let named: Vec<String> = links(&value)
                .iter()
                .map(|(kind, key)| redis_key(*kind, key))
                .collect();
            if named.is_empty() {
                // MGET needs a key.
                return Ok((Some(value), Vec::new()));
            }
            let linked = redis
                .run(move |mut conn| async move {
                    redis::cmd("MGET").arg(named).query_async(&mut conn).await
                })
                .await?;
            Ok((Some(value), linked))
        })
    }

    fn take(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<Option<Vec<u8>>>> {
        let key = redis_key(kind, &key);
        self.redis.run(move |mut conn| async move {
            redis::cmd("GETDEL").arg(key).query_async(&mut conn).await
        })
    }

    fn swap(
        &self,
        kind: Kind,
        key: String,
        expected: Vec<u8>,
        new: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<StoreResult<bool>> {
        let key = redis_key(kind, &key);
        self.redis.run(move |mut conn| async move {
            let ttl = ttl_millis(ttl).map(|ms| ms.to_string()).unwrap_or_default();
            let swapped: i64 = redis::Script::new(SWAP)
                .key(key)
                .arg(expected)
                .arg(new)
                .arg(ttl)
                .invoke_async(&mut conn)
                .await?;
            Ok(swapped == 1)
        })
    }

    fn delete(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<bool>> {
        let key = redis_key(kind, &key);
        self.redis.run(move |mut conn| async move {
            let deleted: i64 = redis::cmd("DEL").arg(key).query_async(&mut conn).await?;
            Ok(deleted == 1)
        })
    }

    fn list(&self, kind: Kind) -> BoxFuture<StoreResult<Records>> {
        let pattern = format!("{KEY_PREFIX}{}:*", kind.as_str());
        let strip = pattern.len() - 1;
        self.redis.run(move |mut conn| async move {
            // SCAN may return a key twice; a record that expires between SCAN and MGET comes
            // back nil and is left out, so an expired record is never listed.
            let mut keys = std::collections::BTreeSet::new();
            let mut cursor: u64 = 0;
            loop {
                let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await?;
                keys.extend(batch);
                if next == 0 {
                    break;
                }
                cursor = next;
            }
            let keys: Vec<String> = keys.into_iter().collect();
            let mut records = BTreeMap::new();
            for chunk in keys.chunks(LIST_BATCH) {
                let values: Vec<Option<Vec<u8>>> =
                    redis::cmd("MGET").arg(chunk).query_async(&mut conn).await?;
                for (key, value) in chunk.iter().zip(values) {
                    if let Some(value) = value {
                        records.insert(key[strip..].to_owned(), value);
                    }
                }
            }
            Ok(records.into_iter().collect())
        })
    }

    fn lock(&self, name: String, owner: String, ttl: Duration) -> BoxFuture<StoreResult<bool>> {
        let key = redis_key(Kind::Lock, &name);
        self.redis.run(move |mut conn| async move {
            let taken: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(owner)
                .arg("NX")
                .arg("PX")
                .arg(ttl_millis(Some(ttl)).unwrap_or(1))
                .query_async(&mut conn)
                .await?;
            Ok(taken.is_some())
        })
    }

    fn unlock(&self, name: String, owner: String) -> BoxFuture<StoreResult<bool>> {
        let key = redis_key(Kind::Lock, &name);
        self.redis.run(move |mut conn| async move {
            let deleted: i64 = redis::Script::new(UNLOCK)
                .key(key)
                .arg(owner)
                .invoke_async(&mut conn)
                .await?;
            Ok(deleted == 1)
        })
    }

    fn ping(&self) -> BoxFuture<StoreResult<()>> {
        self.redis.ping()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_never_echo_a_password() {
        let url = StateUrl::parse("redis://:hunter2-secret@127.0.0.1:6380/2").unwrap();
        assert_eq!(url.to_string(), "redis://:****@127.0.0.1:6380/2");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(url.address(), "127.0.0.1:6380");
        assert!(StateUrl::parse("rediss://cache.example.com").is_ok());
        for bad in [
            "http://user:hunter2-secret@127.0.0.1:6379",
            "redis://user:hunter2-secret@127.0.0.1:6379/db0",
            "redis://user:hunter2-secret@:6379",
            "redis://user:hunter2-secret@127.0.0.1:6379/?x=1",
            "not a url hunter2-secret",
        ] {
            let err = StateUrl::parse(bad).unwrap_err();
            assert!(!err.contains("hunter2"), "{bad}: {err}");
        }
    }
}
