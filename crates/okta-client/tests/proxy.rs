//! The transport honours HTTPS_PROXY and NO_PROXY from the environment. This file holds a
//! single test because it changes the process environment.

use okta_auth::{Secret, StaticToken};
use okta_client::{ApiError, ApiPath, ApiRequest, ClientConfig, OktaClient, paths};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Accepts connections, keeps the first line each one sends, and closes it.
async fn proxy() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 1024];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let text = String::from_utf8_lossy(&buf[..n]);
            let first = text.lines().next().unwrap_or_default().to_owned();
            lines.lock().unwrap().push(first);
        }
    });
    (url, seen)
}

fn client() -> OktaClient {
    let mut config = ClientConfig::new(url::Url::parse("https://acme.example.invalid").unwrap());
    config.max_retries = 0;
    config.connect_timeout = Duration::from_secs(2);
    let auth = Arc::new(StaticToken(Secret::new("secret-token-value")));
    OktaClient::new(config, auth).unwrap()
}

#[tokio::test]
async fn https_proxy_is_used_unless_no_proxy_names_the_host() {
    let (proxy_url, seen) = proxy().await;
    // SAFETY: this binary runs only this test, on a current-thread runtime.
    unsafe {
        for name in [
            "https_proxy",
            "http_proxy",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
        ] {
            std::env::remove_var(name);
        }
        std::env::set_var("HTTPS_PROXY", &proxy_url);
    }
    let request = || ApiRequest::get(ApiPath::new(paths::USERS));

    let err = client()
        .send(request())
        .await
        .expect_err("the proxy closes");
    assert!(matches!(err, ApiError::Network(_)), "{err}");
    assert!(!err.to_string().contains("secret-token-value"));
    assert_eq!(
        seen.lock().unwrap().clone(),
        ["CONNECT acme.example.invalid:443 HTTP/1.1"],
        "the request tunnelled through HTTPS_PROXY"
    );

    // SAFETY: as above.
    unsafe { std::env::set_var("NO_PROXY", ".example.invalid") };
    let err = client().send(request()).await.expect_err("no such host");
    assert!(matches!(err, ApiError::Network(_)), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1, "NO_PROXY host went direct");
}
