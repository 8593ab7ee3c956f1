//! The authorization server's own rules, checked over real HTTP on loopback.

use super::*;
use axum::http::HeaderValue;
use serde_json::{Value, json};

struct Org {
    url: String,
    server: OAuthServer,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Org {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start() -> Org {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = OAuthServer::new(url.clone(), Duration::from_secs(3600), None).unwrap();
    let app = server.router();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Org { url, server, task }
}

fn assertion(org: &Org, claims: Value) -> String {
    let client = org.server.service_client();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = client.key_id.clone();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(client.private_key_pem.unwrap().as_bytes())
        .unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

fn good_claims(org: &Org) -> Value {
    let now = jwt::now_secs();
    json!({
        "iss": DEFAULT_SERVICE_CLIENT_ID, "sub": DEFAULT_SERVICE_CLIENT_ID,
        "aud": org.server.token_endpoint(), "iat": now, "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

async fn post(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn client_credentials(org: &Org, assertion: &str, scope: &str) -> (u16, Value) {
    post(
        &org.server.token_endpoint(),
        &[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
    )
    .await
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

#[tokio::test]
async fn client_credentials_checks_every_assertion_rule() {
    let org = start().await;
    let claims = good_claims(&org);
    let signed = assertion(&org, claims.clone());
    let (status, body) = client_credentials(&org, &signed, "okta.users.read").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "okta.users.read");
    assert!(body.get("refresh_token").is_none());

    let (status, body) = client_credentials(&org, &signed, "okta.users.read").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "jti replay: {body}"
    );

    let mut far = good_claims(&org);
    far["exp"] = json!(jwt::now_secs() + 7200);
    let (status, body) = client_credentials(&org, &assertion(&org, far), "okta.users.read").await;
    assert_eq!(status, 401);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("one hour"),
        "{body}"
    );

    let mut expired = good_claims(&org);
    expired["exp"] = json!(jwt::now_secs() - 600);
    let (status, _) = client_credentials(&org, &assertion(&org, expired), "okta.users.read").await;
    assert_eq!(status, 401);

    let mut aud = good_claims(&org);
    aud["aud"] = json!("https://elsewhere.example.com/oauth2/v1/token");
    let (_, body) = client_credentials(&org, &assertion(&org, aud), "okta.users.read").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("'aud'"),
        "{body}"
    );

    let mut sub = good_claims(&org);
    sub["sub"] = json!("someone-else");
    let (_, body) = client_credentials(&org, &assertion(&org, sub), "okta.users.read").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("'sub'"),
        "{body}"
    );

    let (status, body) =
        client_credentials(&org, &assertion(&org, good_claims(&org)), "okta.nope.read").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn bearer_checks_map_to_okta_error_codes() {
    let org = start().await;
    let get = Method::GET;
    let url = format!("{}/api/v1/users", org.url);
    let missing = org
        .server
        .authenticate(&get, &url, &HeaderMap::new(), "okta.users.read")
        .unwrap_err();
    assert_eq!(
        (missing.status, missing.error_code),
        (StatusCode::UNAUTHORIZED, "E0000011")
    );
    let garbage = org
        .server
        .authenticate(&get, &url, &bearer("not-a-token"), "okta.users.read")
        .unwrap_err();
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);

    let manage = org.server.mint_access_token("0oax", &["okta.users.manage"]);
    let info = org
        .server
        .authenticate(&get, &url, &bearer(&manage), "okta.users.read")
        .unwrap();
    assert_eq!(info.client_id, "0oax");
    let denied = org
        .server
        .authenticate(&get, &url, &bearer(&manage), "okta.groups.read")
        .unwrap_err();
    assert_eq!(
        (denied.status, denied.error_code),
        (StatusCode::FORBIDDEN, "E0000006")
    );
    assert!(
        denied
            .www_authenticate
            .unwrap()
            .contains("insufficient_scope")
    );

    org.server.set_access_token_ttl(Duration::from_secs(1));
    let short = org.server.mint_access_token("0oax", &["okta.users.read"]);
    // Good now (and remembered as verified), refused once it has expired.
    assert!(
        org.server
            .authenticate(&get, &url, &bearer(&short), "okta.users.read")
            .is_ok()
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = org
        .server
        .authenticate(&get, &url, &bearer(&short), "okta.users.read")
        .unwrap_err();
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);

    org.server.set_opaque_tokens(true);
    org.server.set_access_token_ttl(Duration::from_secs(60));
    let opaque = org.server.mint_access_token("0oax", &["okta.users.read"]);
    assert_eq!(opaque.split('.').count(), 1);
    assert!(
        org.server
            .authenticate(&get, &url, &bearer(&opaque), "okta.users.read")
            .is_ok()
    );
}

#[tokio::test]
async fn device_flow_polling_rules_and_refresh_rotation() {
    let org = start().await;
    org.server.set_device_timing(1, 60);
    let (status, start) = post(
        &format!("{}{DEVICE_AUTHORIZE_PATH}", org.url),
        &[
            ("client_id", DEFAULT_DEVICE_CLIENT_ID),
            ("scope", "openid offline_access okta.users.read"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{start}");
    let code = start["device_code"].as_str().unwrap().to_string();
    let user_code = start["user_code"].as_str().unwrap().to_string();
    assert_eq!(start["verification_uri"], format!("{}/activate", org.url));
    let token_url = format!("{}{TOKEN_PATH}", org.url);
    let poll = || {
        let (url, code) = (token_url.clone(), code.clone());
        async move {
            post(
                &url,
                &[
                    ("grant_type", token::DEVICE_GRANT),
                    ("client_id", DEFAULT_DEVICE_CLIENT_ID),
                    ("device_code", &code),
                ],
            )
            .await
        }
    };

    let (_, body) = poll().await;
    assert_eq!(body["error"], "authorization_pending");
    let (_, body) = poll().await;
    assert_eq!(
        body["error"], "slow_down",
        "a poll inside the interval is told to slow down"
    );

    // The activation page shows the code, and the form approves it.
    let page = reqwest::get(format!(
        "{}/activate?user_code={}",
        org.url,
        user_code.to_lowercase()
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(page.contains(&user_code) && page.contains("Approve"));
    assert!(page.contains(DEFAULT_DEVICE_CLIENT_ID) && page.contains("okta.users.read"));
    let (status, _) = post(
        &format!("{}/activate", org.url),
        &[("user_code", &user_code), ("action", "approve")],
    )
    .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (status, tokens) = poll().await;
    assert_eq!(status, 200, "{tokens}");
    let (_, again) = poll().await;
    assert_eq!(
        again["error"], "invalid_grant",
        "a device code is used once"
    );

    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let refresh_with = |token: String| {
        let url = format!("{}{TOKEN_PATH}", org.url);
        async move {
            post(
                &url,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", DEFAULT_DEVICE_CLIENT_ID),
                    ("refresh_token", &token),
                ],
            )
            .await
        }
    };
    let (status, rotated) = refresh_with(refresh.clone()).await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);
    let (status, reused) = refresh_with(refresh).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(org.server.counters().refresh_token_reuse, 1);
    assert_eq!(org.server.counters().device_authorizations, 1);
}

#[tokio::test]
async fn denied_and_expired_device_codes() {
    let org = start().await;
    org.server.set_device_timing(1, 1);
    let authorize_url = format!("{}{DEVICE_AUTHORIZE_PATH}", org.url);
    let authorize = || {
        let url = authorize_url.clone();
        async move {
            post(
                &url,
                &[
                    ("client_id", DEFAULT_DEVICE_CLIENT_ID),
                    ("scope", "okta.users.read"),
                ],
            )
            .await
        }
    };
    let (_, expiring) = authorize().await;
    org.server.set_device_timing(1, 60);
    let (_, denied) = authorize().await;
    let response = reqwest::Client::new()
        .post(format!("{}{DEVICE_APPROVE_PATH}", org.url))
        .json(&json!({"user_code": denied["user_code"], "approve": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let poll = |code: &Value| {
        let code = code["device_code"].as_str().unwrap().to_string();
        let url = format!("{}{TOKEN_PATH}", org.url);
        async move {
            post(
                &url,
                &[
                    ("grant_type", token::DEVICE_GRANT),
                    ("client_id", DEFAULT_DEVICE_CLIENT_ID),
                    ("device_code", &code),
                ],
            )
            .await
        }
    };
    assert_eq!(poll(&denied).await.1["error"], "access_denied");
    assert_eq!(poll(&expiring).await.1["error"], "expired_token");
    assert!(
        !org.server
            .approve_device(expiring["user_code"].as_str().unwrap(), true, None)
    );
}

#[tokio::test]
async fn a_client_that_requires_dpop_says_so() {
    let org = start().await;
    org.server.set_require_dpop(DEFAULT_SERVICE_CLIENT_ID, true);
    let (status, body) =
        client_credentials(&org, &assertion(&org, good_claims(&org)), "okta.users.read").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("DPoP proof JWT header is missing")
    );
}

#[tokio::test]
async fn discovery_keys_and_key_file() {
    let org = start().await;
    let metadata: Value = reqwest::get(format!("{}{METADATA_PATH}", org.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], org.url);
    assert_eq!(metadata["token_endpoint"], org.server.token_endpoint());
    assert_eq!(
        metadata["device_authorization_endpoint"],
        format!("{}{DEVICE_AUTHORIZE_PATH}", org.url)
    );
    let keys: Value = reqwest::get(format!("{}{KEYS_PATH}", org.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"][0]["kty"], "RSA");
    assert!(keys["keys"][0].get("d").is_none());

    let file = org.server.service_client().private_key_file.unwrap();
    let pem = std::fs::read_to_string(&file).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let debug = format!("{:?}", org.server.service_client());
    assert!(!debug.contains("BEGIN PRIVATE KEY"));
}
