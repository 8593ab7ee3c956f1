//! Token cache rules: the file store's format and permissions, isolation of orgs and
//! clients, opaque tokens, and the cross-process lock (eight processes, one refresh).

mod common;

use common::*;
use okta_auth::{CacheKey, FileStore, TokenRecord, TokenStore};
use std::sync::Arc;
use std::time::Duration;

const SCOPES: &[&str] = &["okta.users.read"];

fn record(token: &str) -> TokenRecord {
    TokenRecord {
        access_token: Some(okta_auth::Secret::new(token)),
        token_type: "Bearer".into(),
        expires_at: Some(4_000_000_000),
        refresh_token: Some(okta_auth::Secret::new("refresh")),
        scopes: vec!["okta.users.read".into()],
        dpop_key: None,
        obtained_at: 1,
    }
}

#[test]
fn file_store_writes_one_private_json_file_per_key_atomically() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("tokens");
    let store = FileStore::new(&dir).unwrap();
    let key = CacheKey::new(
        &url::Url::parse("https://acme.okta.com").unwrap(),
        "0oa1",
        "device",
    );
    assert!(store.load(&key).unwrap().is_none());
    store.save(&key, &record("first")).unwrap();
    store.save(&key, &record("second")).unwrap();
    assert_eq!(
        store
            .load(&key)
            .unwrap()
            .unwrap()
            .access_token
            .unwrap()
            .expose(),
        "second"
    );

    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        entries,
        vec![store.path_for(&key)],
        "no temp file is left behind"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path_for(&key)).unwrap()).unwrap();
    for field in [
        "access_token",
        "token_type",
        "expires_at",
        "refresh_token",
        "scopes",
        "dpop_key",
    ] {
        assert!(json.get(field).is_some(), "record has {field}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&store.path_for(&key)), 0o600);
    }
    store.delete(&key).unwrap();
    assert!(store.load(&key).unwrap().is_none());
    store.delete(&key).unwrap();
}

#[test]
fn a_corrupt_record_reads_as_absent() {
    let temp = tempfile::tempdir().unwrap();
    let store = FileStore::new(temp.path()).unwrap();
    let key = CacheKey::new(
        &url::Url::parse("https://acme.okta.com").unwrap(),
        "0oa1",
        "device",
    );
    std::fs::write(store.path_for(&key), b"{not json").unwrap();
    assert!(store.load(&key).unwrap().is_none());
}

#[test]
fn cache_keys_separate_orgs_clients_and_methods_but_not_paths() {
    let acme = url::Url::parse("https://acme.okta.com").unwrap();
    let acme_path = url::Url::parse("https://acme.okta.com/some/path").unwrap();
    let other = url::Url::parse("https://other.okta.com").unwrap();
    let key = CacheKey::new(&acme, "0oa1", "device");
    assert_eq!(key, CacheKey::new(&acme_path, "0oa1", "device"));
    assert_ne!(
        key.file_stem(),
        CacheKey::new(&other, "0oa1", "device").file_stem()
    );
    assert_ne!(
        key.file_stem(),
        CacheKey::new(&acme, "0oa2", "device").file_stem()
    );
    assert_ne!(
        key.file_stem(),
        CacheKey::new(&acme, "0oa1", "private_key_jwt").file_stem()
    );
}

#[tokio::test]
async fn two_orgs_and_two_clients_never_share_a_token() {
    let temp = tempfile::tempdir().unwrap();
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(temp.path()).unwrap());
    let org_a = start_org().await;
    let org_b = start_org().await;
    let a = authenticator(service_settings(&org_a, SCOPES), store.clone());
    let b = authenticator(service_settings(&org_b, SCOPES), store.clone());
    assert_eq!(call_probe(&org_a, a.as_ref()).await.unwrap(), 200);
    assert_eq!(call_probe(&org_b, b.as_ref()).await.unwrap(), 200);
    assert_eq!(org_a.oauth.token_calls("client_credentials"), 1);
    assert_eq!(org_b.oauth.token_calls("client_credentials"), 1);
    assert_ne!(
        a.access_token().await.unwrap(),
        b.access_token().await.unwrap()
    );

    let second = org_a
        .oauth
        .register_generated_client("0oasecond", okta_sandbox::oauth::KeyAlg::Es256, SCOPES)
        .unwrap();
    let c = authenticator(
        settings(
            &org_a,
            "0oasecond",
            okta_auth::AuthMethod::PrivateKeyJwt {
                key: okta_auth::Secret::new(second.private_key_pem.unwrap()),
                key_id: second.key_id.unwrap(),
            },
            SCOPES,
        ),
        store.clone(),
    );
    assert_eq!(call_probe(&org_a, c.as_ref()).await.unwrap(), 200);
    assert_eq!(org_a.oauth.token_calls("client_credentials"), 2);
    assert_ne!(
        a.access_token().await.unwrap(),
        c.access_token().await.unwrap()
    );
    assert_eq!(
        std::fs::read_dir(temp.path())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json"))
            .count(),
        3
    );
}

#[tokio::test]
async fn opaque_tokens_are_reused_until_their_stored_expiry() {
    let org = start_org().await;
    org.oauth.set_opaque_tokens(true);
    let store = memory_store();
    let auth = authenticator(service_settings(&org, SCOPES), store.clone());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    let token = auth.access_token().await.unwrap();
    assert!(
        okta_auth::jwt_exp(token.expose()).is_none(),
        "the sandbox minted an opaque token"
    );
    let restarted = authenticator(service_settings(&org, SCOPES), store.clone());
    assert_eq!(call_probe(&org, restarted.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 1);

    // A 30 s opaque token is inside the margin: the next call gets a new one.
    org.oauth.set_access_token_ttl(Duration::from_secs(30));
    let fresh = authenticator(
        service_settings(&org, &["okta.users.read", "okta.groups.read"]),
        store,
    );
    assert_eq!(call_probe(&org, fresh.as_ref()).await.unwrap(), 200);
    assert_eq!(call_probe(&org, fresh.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 3);
}

#[tokio::test]
async fn an_added_scope_forces_a_new_client_credentials_grant() {
    let org = start_org().await;
    let store = memory_store();
    let auth = authenticator(service_settings(&org, SCOPES), store.clone());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    let wider = authenticator(
        service_settings(&org, &["okta.users.read", "okta.apps.read"]),
        store,
    );
    assert_eq!(call_probe(&org, wider.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 2);
    assert!(
        wider
            .granted_scopes()
            .unwrap()
            .contains(&"okta.apps.read".to_string())
    );
}

const CHILD_ENV: &str = "OKTA_AUTH_TEST_CHILD_DIR";

/// Child side of the cross-process test: one "server start" that needs a token.
#[tokio::test]
async fn child_process_gets_a_token() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let org_url = std::env::var("OKTA_AUTH_TEST_ORG").unwrap();
    let client_id = std::env::var("OKTA_AUTH_TEST_CLIENT").unwrap();
    let settings = okta_auth::AuthSettings {
        org_url: url::Url::parse(&org_url).unwrap(),
        client_id,
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        method: okta_auth::AuthMethod::DeviceFlow,
        store: okta_auth::StoreKind::File,
        dpop: false,
    };
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(dir).unwrap());
    let auth = okta_auth::Authenticator::with_store(settings, http(), store).unwrap();
    let token = auth.access_token().await.expect("child got a token");
    assert!(!token.expose().is_empty());
}

#[tokio::test]
async fn eight_processes_started_together_at_expiry_refresh_once() {
    let org = start_org().await;
    let device_id = org.oauth.device_client().client_id;
    let temp = tempfile::tempdir().unwrap();
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(temp.path()).unwrap());
    // Sign in with a token already inside the expiry margin, then let later tokens live long.
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(Duration::from_secs(30)));
    let auth = authenticator(device_settings(&org, SCOPES), store);
    device_login(&org, &auth).await;
    org.oauth.set_client_access_token_ttl(&device_id, None);

    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "child_process_gets_a_token",
                    "--test-threads=1",
                    "--nocapture",
                ])
                .env(CHILD_ENV, temp.path())
                .env("OKTA_AUTH_TEST_ORG", &org.url)
                .env("OKTA_AUTH_TEST_CLIENT", &device_id)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("1 passed"),
            "the child test really ran: {stdout}"
        );
    }
    assert_eq!(org.oauth.token_calls("refresh_token"), 1);
    assert_eq!(org.oauth.counters().refresh_token_reuse, 0);
    assert_eq!(org.oauth.counters().device_authorizations, 1);
}
