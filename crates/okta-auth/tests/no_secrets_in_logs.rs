//! Captures every tracing event at TRACE across the auth flows (the HTTP stack included) and
//! checks that no token, refresh token, assertion, DPoP proof, device code or key appears.

mod common;

use common::*;
use okta_auth::{AuthMethod, CacheKey, RequestAuthorizer, Secret, TokenStore};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn remember(secrets: &mut Vec<String>, store: &Arc<dyn TokenStore>, key: &CacheKey) {
    if let Ok(Some(record)) = store.load(key) {
        for secret in [
            &record.access_token,
            &record.refresh_token,
            &record.dpop_key,
        ]
        .into_iter()
        .flatten()
        {
            secrets.push(secret.expose().to_string());
        }
    }
}

/// The longest run of base64url characters: device codes, refresh tokens and JWT segments
/// are all long runs; nothing legitimate in these logs is.
fn longest_base64url_run(text: &str) -> usize {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn trace_logs_hold_no_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let org = start_org().await;
    let org_url = url::Url::parse(&org.url).unwrap();
    let mut secrets: Vec<String> = Vec::new();
    let service = org.oauth.service_client();
    let pem = service.private_key_pem.clone().unwrap();

    // private_key_jwt with DPoP, then a 401 and a new grant.
    let store = memory_store();
    let mut service_settings = service_settings(&org, &["okta.users.read"]);
    service_settings.dpop = true;
    let auth = authenticator(service_settings, store.clone());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    let service_key = CacheKey::new(&org_url, &service.client_id, "private_key_jwt");
    remember(&mut secrets, &store, &service_key);
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    let used = auth.authorize("GET", &url).await.unwrap();
    auth.rejected(&used, None).await;
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    remember(&mut secrets, &store, &service_key);

    // A failing assertion (wrong kid) is reported without the assertion.
    let wrong = authenticator(
        settings(
            &org,
            &service.client_id,
            AuthMethod::PrivateKeyJwt {
                key: Secret::new(pem.clone()),
                key_id: "wrong".into(),
            },
            &["okta.users.read"],
        ),
        memory_store(),
    );
    let error = call_probe(&org, wrong.as_ref()).await.unwrap_err();
    let shown = format!("{error} {error:?}");

    // Device flow with refresh and rotation, then logout.
    let device_id = org.oauth.device_client().client_id;
    org.oauth
        .set_client_access_token_ttl(&device_id, Some(Duration::from_secs(30)));
    let device_store = memory_store();
    let device = authenticator(
        device_settings(&org, &["okta.users.read"]),
        device_store.clone(),
    );
    device_login(&org, &device).await;
    let device_key = CacheKey::new(&org_url, &device_id, "device");
    remember(&mut secrets, &device_store, &device_key);
    assert_eq!(call_probe(&org, device.as_ref()).await.unwrap(), 200);
    remember(&mut secrets, &device_store, &device_key);
    let status = serde_json::to_string(&device.status().await).unwrap();
    device.logout().await.unwrap();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("client credentials grant"),
        "the flows were logged"
    );
    assert!(
        logs.contains("TRACE") && logs.contains("hyper"),
        "the HTTP stack logged at TRACE too"
    );
    assert!(logs.contains("device authorization required") && logs.contains("refreshed"));
    assert!(secrets.len() >= 6);
    for haystack in [&logs, &shown, &status] {
        for secret in &secrets {
            assert!(!haystack.contains(secret.as_str()), "a token or key leaked");
        }
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!haystack.contains(line), "the private key leaked");
        }
        assert!(
            !haystack.contains("eyJ"),
            "a JWT (token, assertion or DPoP proof) leaked"
        );
        assert!(
            longest_base64url_run(haystack) < 40,
            "a long opaque value (device code?) leaked"
        );
    }
}
