//! The embedded durable state store: one SQLite file (0600, WAL), one table. Every operation
//! is a single statement, so take-once and compare-and-swap are atomic across processes too
//! (`sessions revoke` writes while the server runs).
//!
//! The table is an ordinary rowid table with a unique index on (kind, key), the value its
//! last column. Looking a key up walks only the small index entries, then reads the one row
//! it found. The first layout (`state`, WITHOUT ROWID) kept every value in the key's own
//! B-tree: a sealed Okta token (some 3 KB) does not fit in a 4 KB index page, so SQLite read
//! the overflowing values of the records it passed on the way to the one it wanted, some six
//! file reads per MCP request. [`migrate_first_layout`] moves an old file's records over.

use super::{BoxFuture, Kind, Linked, Links, Records, StateStore, StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Connections for `get` on the calling task, one per runtime worker, so that two
    /// requests reading at once both stay on their tasks: see [`SqliteStore::get`].
    readers: Arc<[Mutex<Connection>]>,
}

/// Readers at most, whatever the worker count: each holds its own page cache.
const MAX_READERS: usize = 4;

impl SqliteStore {
    /// Opens (creating it 0600, its directory 0700) the store at `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            StoreError(format!("{what} {}: {e}", path.display()))
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            create_private_dir(dir).map_err(|e| fail("cannot create the directory of", &e))?;
        }
        create_private_file(path).map_err(|e| fail("cannot create", &e))?;
        let mut conn = Connection::open(path).map_err(|e| fail("cannot open", &e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| fail("cannot configure", &e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS records (
                 id INTEGER PRIMARY KEY,
                 kind TEXT NOT NULL,
                 key TEXT NOT NULL,
                 expires_at INTEGER,
                 value BLOB NOT NULL,
                 UNIQUE (kind, key)
             );
             CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at)
                 WHERE expires_at IS NOT NULL;",
        )
        .map_err(|e| fail("cannot initialise", &e))?;
        migrate_first_layout(&mut conn).map_err(|e| fail("cannot move the records of", &e))?;
        // As many as the runtime that will call `get` has workers.
        let workers =
            tokio::runtime::Handle::try_current().map_or(1, |h| h.metrics().num_workers());
        let readers = (0..workers.clamp(1, MAX_READERS))
            .map(|_| {
                let reader = Connection::open(path).map_err(|e| fail("cannot open", &e))?;
                // Never waits for a lock: a busy reader hands the read to the writer's
                // thread, which may wait (see `get`). query_only: it cannot change anything.
                reader
                    .execute_batch("PRAGMA busy_timeout = 0; PRAGMA query_only = ON;")
                    .map_err(|e| fail("cannot configure", &e))?;
                Ok(Mutex::new(reader))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            readers: readers.into(),
        })
    }

    /// Every MCP request reads three records. On a blocking thread, each read cost two
    /// thread wake-ups and context switches, more CPU than the read itself (some 10 µs from
    /// a file in the page cache; a WAL reader never waits for a writer). So a read runs on
    /// the calling task, on a reader connection that no other task is using, and goes to a
    /// blocking thread only when every reader is in use or SQLite answers busy (recovery
    /// after a crash, a writer in exclusive mode), where waiting must not hold up a runtime
    /// thread.
    fn read_here<T: Send + 'static>(
        &self,
        op: impl Fn(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<StoreResult<T>> {
        let (readers, store) = (self.readers.clone(), self.conn.clone());
        Box::pin(async move {
            if let Some(reader) = readers.iter().find_map(|r| r.try_lock().ok()) {
                match op(&reader, now()) {
                    Err(e) if is_busy(&e) => {}
                    done => return done.map_err(|e| StoreError(e.to_string())),
                }
            }
            on_blocking_thread(store, op).await
        })
    }

    fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<StoreResult<T>> {
        Box::pin(on_blocking_thread(self.conn.clone(), op))
    }
}

/// Runs `op` on `conn` on a blocking thread, where waiting for SQLite's locks holds up no
/// runtime thread.
async fn on_blocking_thread<T: Send + 'static>(
    conn: Arc<Mutex<Connection>>,
    op: impl FnOnce(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(move || {
        let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
        op(&conn, now())
    })
    .await
    .map_err(|e| StoreError(format!("the store task failed: {e}")))?
    .map_err(|e| StoreError(e.to_string()))
}

/// Moves the records of the first layout (`state`, WITHOUT ROWID) into `records` and drops
/// it, in one transaction: another process opening the file at the same time waits for it
/// (busy timeout) and then finds nothing left to move.
fn migrate_first_layout(conn: &mut Connection) -> rusqlite::Result<()> {
    let first_layout = |conn: &Connection| {
        conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'state'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map(|n| n > 0)
    };
    if !first_layout(conn)? {
        return Ok(());
    }
    // Rolled back if anything fails before the commit.
    let moving = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if first_layout(&moving)? {
        moving.execute_batch(
            "INSERT OR REPLACE INTO records (kind, key, expires_at, value)
                 SELECT kind, key, expires_at, value FROM state;
             DROP TABLE state;",
        )?;
    }
    moving.commit()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn expiry(now: i64, ttl: Option<Duration>) -> Option<i64> {
    ttl.map(|t| now + t.as_secs() as i64)
}

/// The condition a live record meets; `?3` is now. A macro, so that each statement using it
/// is a constant: `read` looks its statement up in the connection's cache by this text, and
/// building the text per read was three `format!`s per MCP request.
macro_rules! live {
    () => {
        "(expires_at IS NULL OR expires_at > ?3)"
    };
}

const READ_LIVE: &str = concat!(
    "SELECT value FROM records WHERE kind = ?1 AND key = ?2 AND ",
    live!()
);

/// One live record's value.
fn read(conn: &Connection, kind: Kind, key: &str, now: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    // Cached: compiling the statement each time was a tenth of a get_user's instructions
    // over HTTP.
    conn.prepare_cached(READ_LIVE)?
        .query_row(params![kind.as_str(), key, now], |row| row.get(0))
        .optional()
}

/// A live record and the live records its value names, read in one transaction.
fn read_linked(
    conn: &Connection,
    kind: Kind,
    key: &str,
    links: &Links,
    now: i64,
) -> rusqlite::Result<Linked> {
    // Its BEGIN and end are cached statements like the reads: rusqlite's Transaction parses
    // its BEGIN anew each time, which cost about what a read it saves does.
    conn.prepare_cached("BEGIN")?.execute([])?;
    let values = read(conn, kind, key, now).and_then(|first| {
        let named = first
            .as_deref()
            .map(|value| links(value))
            .unwrap_or_default();
        let linked = named
            .iter()
            .map(|(kind, key)| read(conn, *kind, key, now))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((first, linked))
    });
    // Ended whatever the reads did; nothing was written, so this only lets go of the
    // snapshot. A connection left inside the transaction would answer every later read from
    // this snapshot, a revoked grant included: if the cached statement could not end it, the
    // plain one must.
    let _ = conn
        .prepare_cached("ROLLBACK")
        .and_then(|mut rollback| rollback.execute([]));
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")?;
    }
    values
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl StateStore for SqliteStore {
    fn put(
        &self,
        kind: Kind,
        key: String,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> BoxFuture<StoreResult<()>> {
        self.run(move |conn, now| {
            // Expired records are swept as new ones arrive; nothing else needs a timer.
            conn.execute(
                "DELETE FROM records WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                params![now],
            )?;
            conn.execute(
                "INSERT INTO records (kind, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                params![kind.as_str(), key, value, expiry(now, ttl)],
            )?;
            Ok(())
        })
    }

    fn get(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<Option<Vec<u8>>>> {
        self.read_here(move |conn, now| read(conn, kind, &key, now))
    }

    fn get_linked(&self, kind: Kind, key: String, links: Links) -> BoxFuture<StoreResult<Linked>> {
        self.read_here(move |conn, now| read_linked(conn, kind, &key, &links, now))
    }

    fn take(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<Option<Vec<u8>>>> {
        self.run(move |conn, now| {
            conn.query_row(
                concat!(
                    "DELETE FROM records WHERE kind = ?1 AND key = ?2 AND ",
                    live!(),
                    " RETURNING value"
                ),
                params![kind.as_str(), key, now],
                |row| row.get(0),
            )
            .optional()
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
        self.run(move |conn, now| {
            let changed = conn.execute(
                concat!(
                    "UPDATE records SET value = ?4, expires_at = ?5
                     WHERE kind = ?1 AND key = ?2 AND ",
                    live!(),
                    " AND value = ?6"
                ),
                params![kind.as_str(), key, now, new, expiry(now, ttl), expected],
            )?;
            Ok(changed == 1)
        })
    }

    fn delete(&self, kind: Kind, key: String) -> BoxFuture<StoreResult<bool>> {
        self.run(move |conn, _| {
            let changed = conn.execute(
                "DELETE FROM records WHERE kind = ?1 AND key = ?2",
                params![kind.as_str(), key],
            )?;
            Ok(changed == 1)
        })
    }

    fn list(&self, kind: Kind) -> BoxFuture<StoreResult<Records>> {
        self.run(move |conn, now| {
            let mut statement = conn.prepare(
                "SELECT key, value FROM records WHERE kind = ?1 AND (expires_at IS NULL OR expires_at > ?2) ORDER BY key",
            )?;
            let rows = statement
                .query_map(params![kind.as_str(), now], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn lock(&self, name: String, owner: String, ttl: Duration) -> BoxFuture<StoreResult<bool>> {
        // Whole seconds, at least one: a lock shorter than the clock's grain would not hold.
        let ttl = Duration::from_secs(ttl.as_secs_f64().ceil().max(1.0) as u64);
        self.run(move |conn, now| {
            // Inserted when free; taken over only when the holder's time ran out.
            let changed = conn.execute(
                "INSERT INTO records (kind, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                 WHERE records.expires_at IS NOT NULL AND records.expires_at <= ?5",
                params![
                    Kind::Lock.as_str(),
                    name,
                    owner.into_bytes(),
                    expiry(now, Some(ttl)),
                    now
                ],
            )?;
            Ok(changed == 1)
        })
    }

    fn unlock(&self, name: String, owner: String) -> BoxFuture<StoreResult<bool>> {
        self.run(move |conn, _| {
            let changed = conn.execute(
                "DELETE FROM records WHERE kind = ?1 AND key = ?2 AND value = ?3",
                params![Kind::Lock.as_str(), name, owner.into_bytes()],
            )?;
            Ok(changed == 1)
        })
    }

    fn ping(&self) -> BoxFuture<StoreResult<()>> {
        self.run(|conn, _| conn.query_row("SELECT 1", [], |_| Ok(())))
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates the file 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
/// same mode), and tightens an existing one.
#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn take_is_once_swap_is_compare_and_set_and_ttl_expires() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("state.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store
            .put(Kind::Code, "c".into(), b"one".to_vec(), None)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            store.take(Kind::Code, "c".into()),
            store.take(Kind::Code, "c".into())
        );
        let taken = [a.unwrap(), b.unwrap()];
        assert_eq!(taken.iter().filter(|t| t.is_some()).count(), 1);

        store
            .put(Kind::Grant, "g".into(), b"v1".to_vec(), None)
            .await
            .unwrap();
        assert!(
            store
                .swap(
                    Kind::Grant,
                    "g".into(),
                    b"v1".to_vec(),
                    b"v2".to_vec(),
                    None
                )
                .await
                .unwrap()
        );
        assert!(
            !store
                .swap(
                    Kind::Grant,
                    "g".into(),
                    b"v1".to_vec(),
                    b"v3".to_vec(),
                    None
                )
                .await
                .unwrap()
        );
        assert_eq!(
            store.get(Kind::Grant, "g".into()).await.unwrap().unwrap(),
            b"v2"
        );

        store
            .put(
                Kind::Pending,
                "p".into(),
                b"x".to_vec(),
                Some(Duration::from_secs(0)),
            )
            .await
            .unwrap();
        assert!(
            store
                .get(Kind::Pending, "p".into())
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.list(Kind::Grant).await.unwrap().len(), 1);
        // Durable: a second handle (another process, a restart) sees the same records.
        drop(store);
        let again = SqliteStore::open(&path).unwrap();
        assert!(again.get(Kind::Grant, "g".into()).await.unwrap().is_some());
        assert!(again.delete(Kind::Grant, "g".into()).await.unwrap());
    }

    /// A read while other tasks use every reader connection goes to the writer's connection
    /// on a blocking thread, and still answers.
    #[tokio::test]
    // Holding the readers across the read is the point: the read must be answered elsewhere.
    #[allow(clippy::await_holding_lock)]
    async fn a_read_while_the_reader_is_in_use_is_still_answered() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("state.sqlite3")).unwrap();
        store
            .put(Kind::Grant, "g".into(), b"v1".to_vec(), None)
            .await
            .unwrap();
        let in_use: Vec<_> = store.readers.iter().map(|r| r.lock().unwrap()).collect();
        let value = store.get(Kind::Grant, "g".into()).await.unwrap();
        assert_eq!(value.as_deref(), Some(&b"v1"[..]));
        drop(in_use);
        assert!(store.get(Kind::Grant, "h".into()).await.unwrap().is_none());
    }

    /// Links naming `grant/<value>` and `access/a`, whatever the value.
    fn grant_and_access() -> Links {
        Arc::new(|value: &[u8]| {
            vec![
                (Kind::Grant, String::from_utf8_lossy(value).into_owned()),
                (Kind::Access, "a".to_owned()),
            ]
        })
    }

    /// get_linked's transaction ends on every connection it ran on: a reader left in it
    /// would answer later reads from an old snapshot, a revoked grant still there. A record
    /// written afterwards is read, on a reader and (all readers in use) on the writer's
    /// connection.
    #[tokio::test]
    #[allow(clippy::await_holding_lock)]
    async fn a_linked_read_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("state.sqlite3")).unwrap();
        let in_autocommit = |store: &SqliteStore| {
            store
                .readers
                .iter()
                .all(|r| r.lock().unwrap().is_autocommit())
                && store.conn.lock().unwrap().is_autocommit()
        };
        let linked = || store.get_linked(Kind::Access, "t".into(), grant_and_access());
        assert_eq!(linked().await.unwrap(), (None, vec![]));
        assert!(in_autocommit(&store));
        store
            .put(Kind::Access, "t".into(), b"g".to_vec(), None)
            .await
            .unwrap();
        store
            .put(Kind::Grant, "g".into(), b"v1".to_vec(), None)
            .await
            .unwrap();
        let expected = (Some(b"g".to_vec()), vec![Some(b"v1".to_vec()), None]);
        assert_eq!(linked().await.unwrap(), expected);
        let in_use: Vec<_> = store.readers.iter().map(|r| r.lock().unwrap()).collect();
        assert_eq!(linked().await.unwrap(), expected);
        drop(in_use);
        assert!(in_autocommit(&store));
        store
            .put(Kind::Access, "a".into(), b"x".to_vec(), None)
            .await
            .unwrap();
        assert_eq!(
            linked().await.unwrap(),
            (
                Some(b"g".to_vec()),
                vec![Some(b"v1".to_vec()), Some(b"x".to_vec())]
            )
        );
        assert!(in_autocommit(&store));
    }

    /// Reads that fail end their transaction too: here they fail for want of a `records`
    /// table, once the transaction has begun.
    #[test]
    fn a_failed_linked_read_ends_its_transaction() {
        let conn = Connection::open_in_memory().unwrap();
        let links = grant_and_access();
        let failed = read_linked(&conn, Kind::Access, "t", &links, 0);
        assert!(failed.is_err(), "{failed:?}");
        assert!(conn.is_autocommit());
        conn.execute_batch(
            "CREATE TABLE records (kind TEXT, key TEXT, expires_at INTEGER, value BLOB);
             INSERT INTO records VALUES ('access', 't', NULL, x'67'), ('grant', 'g', NULL, x'01');",
        )
        .unwrap();
        assert_eq!(
            read_linked(&conn, Kind::Access, "t", &links, 0).unwrap(),
            (Some(b"g".to_vec()), vec![Some(vec![1u8]), None])
        );
        assert!(conn.is_autocommit());
    }

    /// What SQLite answers a reader locked out by another process counts as busy (so the
    /// read is retried off the task, where waiting is allowed).
    #[test]
    fn a_reader_locked_out_by_another_connection_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollback.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer.execute_batch("CREATE TABLE t (x);").unwrap();
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("PRAGMA busy_timeout = 0;").unwrap();
        let missing = reader.query_row("SELECT * FROM no_such_table", [], |_| Ok(()));
        assert!(missing.as_ref().is_err_and(|e| !is_busy(e)), "{missing:?}");
        writer
            .execute_batch("BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
            .unwrap();
        let locked = reader.query_row("SELECT count(*) FROM t", [], |_| Ok(()));
        assert!(locked.as_ref().is_err_and(is_busy), "{locked:?}");
    }

    /// A file written by the first layout (`state`, WITHOUT ROWID) opens with its records,
    /// live ones readable and expired ones still expired, and the old table gone.
    #[tokio::test]
    async fn a_file_of_the_first_layout_keeps_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite3");
        let sealed = vec![7u8; 3300];
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE state (
                     kind TEXT NOT NULL,
                     key TEXT NOT NULL,
                     value BLOB NOT NULL,
                     expires_at INTEGER,
                     PRIMARY KEY (kind, key)
                 ) WITHOUT ROWID;",
            )
            .unwrap();
            let insert = "INSERT INTO state (kind, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)";
            old.execute(insert, params!["upstream", "person", sealed, None::<i64>])
                .unwrap();
            old.execute(
                insert,
                params!["grant", "g", b"kept".to_vec(), now() + 3600],
            )
            .unwrap();
            old.execute(insert, params!["grant", "old", b"gone".to_vec(), 1])
                .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let get = |kind, key: &str| store.get(kind, key.to_owned());
        assert_eq!(get(Kind::Upstream, "person").await.unwrap(), Some(sealed));
        assert_eq!(
            get(Kind::Grant, "g").await.unwrap().as_deref(),
            Some(&b"kept"[..])
        );
        assert_eq!(get(Kind::Grant, "old").await.unwrap(), None);
        let tables: Vec<String> = store.readers[0]
            .lock()
            .unwrap()
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(tables, ["records"]);
        drop(store);
        // Opening it again finds nothing left to move.
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(
            again.get(Kind::Grant, "g".into()).await.unwrap().as_deref(),
            Some(&b"kept"[..])
        );
    }

    /// A read finds its row through the (kind, key) index, whose entries hold no values: a
    /// lookup must not walk past other records' values (see the module's note).
    #[test]
    fn a_read_searches_the_key_index_not_the_values() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("state.sqlite3")).unwrap();
        let reader = store.readers[0].lock().unwrap();
        let plan: Vec<String> = reader
            .prepare(&format!("EXPLAIN QUERY PLAN {READ_LIVE}"))
            .unwrap()
            .query_map(params!["grant", "g", 0], |row| row.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with(
                "SEARCH records USING INDEX sqlite_autoindex_records_1 (kind=? AND key=?)"
            ),
            "{plan:?}"
        );
    }
}
