//! The OS keyring store. The real Secret Service test is `#[ignore]`d: CI runs it under
//! `with-secret-service cargo test -p okta-auth -- --ignored`.

mod common;

use okta_auth::{CacheKey, KeyringStore, Secret, TokenRecord, TokenStore};
use std::time::{Duration, Instant};

const CHILD_SERVICE: &str = "OKTA_AUTH_KEYRING_CHILD_SERVICE";

fn key() -> CacheKey {
    CacheKey::new(
        &url::Url::parse("https://keyring-test.okta.com").unwrap(),
        "0oakeyring",
        "device",
    )
}

/// Child side: reads the record a parent stored, proving it persists outside the process.
#[test]
#[ignore = "needs a Secret Service (run under with-secret-service)"]
fn keyring_child_reads_the_record() {
    let Ok(service) = std::env::var(CHILD_SERVICE) else {
        return;
    };
    let store = KeyringStore::open_service(&service).expect("keyring");
    let record = store
        .load(&key())
        .expect("load")
        .expect("a record stored by the parent");
    assert_eq!(record.access_token.unwrap().expose(), "access-from-parent");
    assert_eq!(
        record.refresh_token.unwrap().expose(),
        "refresh-from-parent"
    );
    println!("child read the record");
}

#[test]
#[ignore = "needs a Secret Service (run under with-secret-service)"]
fn secret_service_stores_reads_back_from_another_process_and_deletes() {
    let service = format!("okta-mcp-server-test-{}", uuid::Uuid::new_v4().simple());
    let store = KeyringStore::open_service(&service).expect("a Secret Service answers");
    let record = TokenRecord {
        access_token: Some(Secret::new("access-from-parent")),
        token_type: "Bearer".into(),
        expires_at: Some(4_000_000_000),
        refresh_token: Some(Secret::new("refresh-from-parent")),
        scopes: vec!["okta.users.read".into()],
        dpop_key: None,
        obtained_at: 1,
    };
    store.save(&key(), &record).unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "keyring_child_reads_the_record",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_SERVICE, &service)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("child read the record"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    store.delete(&key()).unwrap();
    assert!(store.load(&key()).unwrap().is_none());
    store.delete(&key()).unwrap();
}

const PROBE_CHILD: &str = "OKTA_AUTH_KEYRING_PROBE_CHILD";

/// Child side: runs with D-Bus pointed at a socket that does not exist.
#[test]
fn keyring_probe_child() {
    if std::env::var(PROBE_CHILD).is_err() {
        return;
    }
    let started = Instant::now();
    let result = KeyringStore::open_service("okta-mcp-server-test-missing");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(result.is_err());
    // The authenticator falls back to the file store, just as fast.
    let started = Instant::now();
    let settings = okta_auth::AuthSettings {
        org_url: url::Url::parse("https://acme.okta.com").unwrap(),
        client_id: "0oa1".into(),
        scopes: vec!["okta.users.read".into()],
        method: okta_auth::AuthMethod::DeviceFlow,
        store: okta_auth::StoreKind::Keyring,
        dpop: false,
    };
    let auth = okta_auth::Authenticator::new(settings, reqwest::Client::new()).unwrap();
    assert_eq!(auth.store_kind(), okta_auth::StoreKind::File);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    println!("probe child done");
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn a_missing_secret_service_fails_fast_and_falls_back_to_files() {
    let temp = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "keyring_probe_child", "--nocapture"])
        .env(PROBE_CHILD, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus", temp.path().display()),
        )
        .env("XDG_CACHE_HOME", temp.path())
        .env("HOME", temp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("probe child done"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(temp.path().join("okta-mcp-server").join("tokens").is_dir());
}

#[tokio::test]
#[ignore = "needs a Secret Service (run under with-secret-service)"]
async fn a_token_cached_in_the_secret_service_survives_a_restart() {
    let org = common::start_org().await;
    let service = format!("okta-mcp-server-test-{}", uuid::Uuid::new_v4().simple());
    let open = || -> std::sync::Arc<dyn TokenStore> {
        std::sync::Arc::new(KeyringStore::open_service(&service).expect("keyring"))
    };
    let first = common::authenticator(common::service_settings(&org, &["okta.users.read"]), open());
    assert_eq!(first.store_kind(), okta_auth::StoreKind::Keyring);
    assert_eq!(common::call_probe(&org, first.as_ref()).await.unwrap(), 200);
    drop(first);
    let second =
        common::authenticator(common::service_settings(&org, &["okta.users.read"]), open());
    assert_eq!(
        common::call_probe(&org, second.as_ref()).await.unwrap(),
        200
    );
    assert_eq!(org.oauth.token_calls("client_credentials"), 1);
    assert_eq!(
        second.status().await.source,
        Some(okta_auth::TokenSource::Cache)
    );
    assert!(second.logout().await.unwrap().removed);
}
