//! The state store contract, one test body run against both stores: SQLite in a temporary
//! directory, and Redis on a real redis-server (tests/support/redis.rs; skipped locally when
//! OKTA_MCP_TEST_REDIS_SERVER is unset, required in CI).

use super::redis::{RedisStore, StateUrl};
use super::sqlite::SqliteStore;
use super::{Kind, StateStore};
use futures::future::join_all;
use std::time::{Duration, Instant};

#[path = "../../../tests/support/redis.rs"]
#[allow(dead_code)]
mod redis_server;

/// What tests/support/mod.rs provides the integration tests (redis_server.rs needs it).
fn external_tool(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var_os("CI").is_some() => panic!("CI must set {var} ({what})"),
        _ => {
            eprintln!("skipping: {var} is not set ({what})");
            None
        }
    }
}

/// How many callers race in the concurrency checks.
const RACERS: usize = 16;

/// Links naming these grants ("@": the grant the record's value names) and codes
/// ("c"), whatever the value.
fn names(keys: &'static [&'static str]) -> super::Links {
    std::sync::Arc::new(move |value: &[u8]| {
        keys.iter()
            .map(|&key| match key {
                "@" => (Kind::Grant, String::from_utf8_lossy(value).into_owned()),
                "c" => (Kind::Code, "c".to_owned()),
                other => (Kind::Grant, other.to_owned()),
            })
            .collect()
    })
}

/// Links naming these pending sign-ins, whatever the value.
fn pending(keys: &'static [&'static str]) -> super::Links {
    std::sync::Arc::new(move |_: &[u8]| {
        keys.iter()
            .map(|&key| (Kind::Pending, key.to_owned()))
            .collect()
    })
}

async fn keeps_the_contract(store: &dyn StateStore) {
    store.ping().await.expect("ping");

    // take: of many concurrent takes of one code, exactly one gets it.
    store
        .put(Kind::Code, "c".into(), b"one".to_vec(), None)
        .await
        .unwrap();
    let taken = join_all((0..RACERS).map(|_| store.take(Kind::Code, "c".into()))).await;
    let winners: Vec<_> = taken.into_iter().filter_map(Result::unwrap).collect();
    assert_eq!(winners, vec![b"one".to_vec()], "exactly one take wins");
    assert!(store.get(Kind::Code, "c".into()).await.unwrap().is_none());

    // swap: of many concurrent swaps from one value, exactly one wins, and its value stays.
    store
        .put(Kind::Grant, "g".into(), b"v0".to_vec(), None)
        .await
        .unwrap();
    let swaps = join_all((0..RACERS).map(|i| {
        store.swap(
            Kind::Grant,
            "g".into(),
            b"v0".to_vec(),
            format!("v{}", i + 1).into_bytes(),
            None,
        )
    }))
    .await;
    let won: Vec<usize> = swaps
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| r.unwrap().then_some(i))
        .collect();
    assert_eq!(won.len(), 1, "exactly one swap wins: {won:?}");
    assert_eq!(
        store.get(Kind::Grant, "g".into()).await.unwrap().unwrap(),
        format!("v{}", won[0] + 1).into_bytes()
    );
    assert!(
        !store
            .swap(
                Kind::Grant,
                "absent".into(),
                b"v0".to_vec(),
                b"v1".to_vec(),
                None
            )
            .await
            .unwrap(),
        "no swap onto a missing record"
    );
    assert!(
        store
            .get(Kind::Grant, "absent".into())
            .await
            .unwrap()
            .is_none()
    );

    // get_linked: the record, then what get answers for each key its value names, in that
    // order; a missing record names nothing, and neither does a value naming no key.
    let swapped = format!("v{}", won[0] + 1).into_bytes();
    store
        .put(Kind::Access, "t".into(), b"g".to_vec(), None)
        .await
        .unwrap();
    let (first, linked) = store
        .get_linked(Kind::Access, "t".into(), names(&["absent", "@", "c", "@"]))
        .await
        .unwrap();
    assert_eq!(first.as_deref(), Some(&b"g"[..]));
    assert_eq!(linked, [None, Some(swapped.clone()), None, Some(swapped)]);
    assert_eq!(
        store
            .get_linked(Kind::Access, "absent".into(), names(&["@"]))
            .await
            .unwrap(),
        (None, vec![])
    );
    assert_eq!(
        store
            .get_linked(Kind::Access, "t".into(), names(&[]))
            .await
            .unwrap(),
        (Some(b"g".to_vec()), vec![])
    );
    assert!(store.delete(Kind::Access, "t".into()).await.unwrap());

    // Kinds are namespaces; binary values survive.
    let binary = vec![0u8, 255, 10, 13, 0];
    store
        .put(Kind::Access, "g".into(), binary.clone(), None)
        .await
        .unwrap();
    assert_eq!(
        store.get(Kind::Access, "g".into()).await.unwrap().unwrap(),
        binary
    );

    // Time to live: live before, gone after; a zero TTL is gone at once.
    store
        .put(
            Kind::Pending,
            "short".into(),
            b"x".to_vec(),
            Some(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    store
        .put(
            Kind::Pending,
            "zero".into(),
            b"x".to_vec(),
            Some(Duration::ZERO),
        )
        .await
        .unwrap();
    store
        .put(
            Kind::Pending,
            "long".into(),
            b"y".to_vec(),
            Some(Duration::from_secs(600)),
        )
        .await
        .unwrap();
    store
        .put(Kind::Pending, "kept".into(), b"z".to_vec(), None)
        .await
        .unwrap();
    assert!(
        store
            .get(Kind::Pending, "short".into())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .get(Kind::Pending, "zero".into())
            .await
            .unwrap()
            .is_none()
    );
    let keys = |records: Vec<(String, Vec<u8>)>| -> Vec<String> {
        records.into_iter().map(|(k, _)| k).collect()
    };
    assert_eq!(
        keys(store.list(Kind::Pending).await.unwrap()),
        ["kept", "long", "short"]
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        store
            .get(Kind::Pending, "short".into())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .get_linked(Kind::Pending, "kept".into(), pending(&["short", "long"]))
            .await
            .unwrap(),
        (Some(b"z".to_vec()), vec![None, Some(b"y".to_vec())]),
        "an expired record is not read with others either"
    );
    assert!(
        store
            .take(Kind::Pending, "short".into())
            .await
            .unwrap()
            .is_none()
    );
    // list: per kind, live records only, by key.
    let listed = store.list(Kind::Pending).await.unwrap();
    assert_eq!(
        listed,
        vec![
            ("kept".to_owned(), b"z".to_vec()),
            ("long".to_owned(), b"y".to_vec())
        ]
    );
    assert_eq!(keys(store.list(Kind::Grant).await.unwrap()), ["g"]);
    assert!(store.list(Kind::Client).await.unwrap().is_empty());

    // delete: true once.
    assert!(store.delete(Kind::Pending, "kept".into()).await.unwrap());
    assert!(!store.delete(Kind::Pending, "kept".into()).await.unwrap());

    // lock: one owner of many; others refused; only the owner releases it.
    let ttl = Duration::from_secs(30);
    let attempts =
        join_all((0..RACERS).map(|i| store.lock("refresh/00u1".into(), format!("owner-{i}"), ttl)))
            .await;
    let owners: Vec<usize> = attempts
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| r.unwrap().then_some(i))
        .collect();
    assert_eq!(owners.len(), 1, "exactly one lock holder: {owners:?}");
    let holder = format!("owner-{}", owners[0]);
    assert!(
        !store
            .unlock("refresh/00u1".into(), "someone-else".into())
            .await
            .unwrap()
    );
    assert!(
        !store
            .lock("refresh/00u1".into(), "late".into(), ttl)
            .await
            .unwrap()
    );
    assert!(
        store
            .lock("refresh/00u2".into(), "late".into(), ttl)
            .await
            .unwrap(),
        "locks are per name"
    );
    assert!(store.unlock("refresh/00u1".into(), holder).await.unwrap());
    assert!(
        store
            .lock("refresh/00u1".into(), "next".into(), ttl)
            .await
            .unwrap()
    );

    // A holder that never releases (it died) blocks only until the lock's expiry.
    assert!(
        store
            .lock("dead".into(), "dead-holder".into(), Duration::from_secs(1))
            .await
            .unwrap()
    );
    let started = Instant::now();
    while !store
        .lock("dead".into(), "survivor".into(), ttl)
        .await
        .unwrap()
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "an expired lock was never released"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !store
            .unlock("dead".into(), "dead-holder".into())
            .await
            .unwrap(),
        "the dead holder cannot release the survivor's lock"
    );
    // Locks are not records of any other kind.
    assert!(store.list(Kind::Code).await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("state.sqlite3")).unwrap();
    keeps_the_contract(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_keeps_the_contract() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(&StateUrl::parse(&server.url_db(3)).unwrap()).unwrap();
    keeps_the_contract(&store).await;
    // Everything sits under the one prefix, in the database the URL names.
    let mut conn = ::redis::Client::open(server.url_db(3))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty(), "no keys in database 3");
    assert!(
        keys.iter().all(|k| k.starts_with(super::redis::KEY_PREFIX)),
        "{keys:?}"
    );
}

/// Redis stopped: operations fail soon with an error that says the store is unreachable
/// (no panic, no hang); started again on the same port: the same store works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_reports_an_outage_and_recovers() {
    let Some(mut server) = redis_server::RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(&StateUrl::parse(&server.url()).unwrap()).unwrap();
    store
        .put(Kind::Code, "before".into(), b"1".to_vec(), None)
        .await
        .unwrap();
    server.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let err = store.get(Kind::Code, "before".into()).await.unwrap_err();
        assert!(
            started.elapsed() <= super::redis::OP_TIMEOUT + Duration::from_millis(500),
            "took {:?}",
            started.elapsed()
        );
        let message = err.to_string();
        assert!(
            message.contains("unreachable") && message.contains("retry"),
            "{message}"
        );
        assert!(store.ping().await.is_err());
    }
    server.restart();
    let started = Instant::now();
    loop {
        match store
            .put(Kind::Code, "after".into(), b"2".to_vec(), None)
            .await
        {
            Ok(()) => break,
            Err(e) => assert!(
                started.elapsed() < Duration::from_secs(10),
                "no recovery after restart: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.ping().await.unwrap();
    assert_eq!(
        store.take(Kind::Code, "after".into()).await.unwrap(),
        Some(b"2".to_vec())
    );
    assert_eq!(store.take(Kind::Code, "after".into()).await.unwrap(), None);
}

/// Redis frozen (answers nothing): each operation gives up within its time limit with an
/// error saying the store is unreachable; thawed, the same store answers correctly again
/// (no late answer is taken for another request's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_stops_answering_times_out_and_recovers() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(&StateUrl::parse(&server.url()).unwrap()).unwrap();
    store
        .put(Kind::Code, "a".into(), b"1".to_vec(), None)
        .await
        .unwrap();
    store
        .put(Kind::Code, "b".into(), b"2".to_vec(), None)
        .await
        .unwrap();
    server.pause();
    let started = Instant::now();
    let err = store.get(Kind::Code, "a".into()).await.unwrap_err();
    let waited = started.elapsed();
    server.resume();
    assert!(
        waited >= super::redis::OP_TIMEOUT - Duration::from_millis(100)
            && waited <= super::redis::OP_TIMEOUT + Duration::from_secs(1),
        "gave up after {waited:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("unreachable") && message.contains("retry"),
        "{message}"
    );
    let started = Instant::now();
    loop {
        match store.get(Kind::Code, "b".into()).await {
            Ok(value) => {
                assert_eq!(value, Some(b"2".to_vec()), "the answer to this request");
                break;
            }
            Err(e) => assert!(
                started.elapsed() < Duration::from_secs(10),
                "no recovery: {e}"
            ),
        }
    }
    assert_eq!(
        store.take(Kind::Code, "a".into()).await.unwrap(),
        Some(b"1".to_vec())
    );
}

/// A wrong password in OKTA_MCP_STATE_URL: the error says to check the credentials and never
/// shows the password; the right one works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_redis_password_is_named_without_echoing_it() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let mut admin = ::redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = ::redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("right-pass-4817")
        .query_async(&mut admin)
        .await
        .unwrap();
    let url = |password: &str| format!("redis://:{password}@127.0.0.1:{}", server.port);
    let wrong = RedisStore::open(&StateUrl::parse(&url("wrong-pass-2950")).unwrap()).unwrap();
    let message = wrong.ping().await.unwrap_err().to_string();
    assert!(message.contains("OKTA_MCP_STATE_URL"), "{message}");
    assert!(
        !message.contains("wrong-pass") && !message.contains("right-pass"),
        "{message}"
    );
    let right = RedisStore::open(&StateUrl::parse(&url("right-pass-4817")).unwrap()).unwrap();
    right.ping().await.unwrap();
}
