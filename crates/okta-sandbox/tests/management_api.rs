//! End-to-end checks of the Management API through a real `Sandbox`: tokens come from
//! the org's own token endpoint (client_credentials with a private_key_jwt assertion), so
//! these tests exercise the same path a real client takes.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use okta_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

const ALL_READ: &str =
    "okta.users.read okta.groups.read okta.apps.read okta.logs.read okta.policies.read";

/// Gets an access token for the service client by signing a client assertion.
async fn token(sandbox: &Sandbox, scope: &str) -> String {
    let client = sandbox.service_client();
    let token_url = format!("{}/oauth2/v1/token", sandbox.url());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = json!({
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": token_url,
        "iat": now,
        "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = client.key_id.clone();
    let key = EncodingKey::from_rsa_pem(client.private_key_pem.as_deref().expect("pem").as_bytes())
        .expect("service client key");
    let assertion = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
    let response = reqwest::Client::new()
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(
        response.status(),
        200,
        "token endpoint refused the assertion"
    );
    let body: Value = response.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn start(config: SandboxConfig) -> Api {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let token = token(&sandbox, ALL_READ).await;
        Api {
            sandbox,
            http: reqwest::Client::new(),
            token,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.sandbox.url()))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    /// Follows `rel="next"` links (absolute, on the org) and gathers every item.
    async fn all_pages(&self, first: &str) -> Vec<Value> {
        let mut url = format!("{}{first}", self.sandbox.url());
        let mut items = Vec::new();
        for _ in 0..10_000 {
            let response = self
                .http
                .get(&url)
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("page");
            assert_eq!(response.status(), 200, "{url}");
            let next = response
                .headers()
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.ends_with("rel=\"next\""))
                .and_then(|v| v.split(['<', '>']).nth(1))
                .map(str::to_owned);
            let page: Vec<Value> = response.json().await.expect("json array");
            items.extend(page);
            match next {
                Some(next) => {
                    assert!(
                        next.starts_with(&self.sandbox.url()),
                        "next link leaves the org: {next}"
                    );
                    url = next;
                }
                None => return items,
            }
        }
        panic!("pagination did not end");
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn ids(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .filter_map(|v| v[field].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn search_returns_exactly_the_seeded_matches() {
    let api = Api::start(SandboxConfig::default()).await;
    let expected: Vec<String> = api
        .sandbox
        .org()
        .users()
        .into_iter()
        .filter(|u| u["profile"]["department"] == "Sales" || u["status"] == "LOCKED_OUT")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    let query = enc(r#"profile.department eq "Sales" or status eq "LOCKED_OUT""#);
    let found = api
        .all_pages(&format!("/api/v1/users?search={query}&limit=7"))
        .await;
    assert_eq!(ids(&found, "id"), expected);
}

#[tokio::test]
async fn paging_with_after_yields_disjoint_pages_covering_everything() {
    let api = Api::start(SandboxConfig::default()).await;
    let everyone: HashSet<String> = api
        .sandbox
        .org()
        .users()
        .into_iter()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    let found = ids(&api.all_pages("/api/v1/users?limit=20").await, "id");
    assert_eq!(found.len(), everyone.len(), "duplicates across pages");
    assert_eq!(found.into_iter().collect::<HashSet<_>>(), everyone);

    let groups = api.all_pages("/api/v1/groups?limit=4").await;
    assert_eq!(groups, api.sandbox.org().groups());
}

#[tokio::test]
async fn logs_filter_and_window_return_exactly_the_matching_events() {
    let api = Api::start(SandboxConfig::default()).await;
    let events = api.sandbox.org().log_events();
    let since = events[500]["published"]
        .as_str()
        .expect("published")
        .to_owned();
    let until = events[4500]["published"]
        .as_str()
        .expect("published")
        .to_owned();
    let expected: Vec<String> = events
        .iter()
        .filter(|e| {
            let at = e["published"].as_str().unwrap_or_default();
            at >= since.as_str() && at < until.as_str() && e["outcome"]["result"] == "DENY"
        })
        .filter_map(|e| e["uuid"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !expected.is_empty(),
        "the seeded log has DENY events in the window"
    );
    let path = format!(
        "/api/v1/logs?since={}&until={}&filter={}&limit=10",
        enc(&since),
        enc(&until),
        enc(r#"outcome.result eq "DENY""#)
    );
    assert_eq!(ids(&api.all_pages(&path).await, "uuid"), expected);
}

#[tokio::test]
async fn errors_have_okta_bodies() {
    let api = Api::start(SandboxConfig {
        log_events: 100,
        ..SandboxConfig::default()
    })
    .await;
    let bad = api
        .get(&format!("/api/v1/users?search={}", enc("status eq")))
        .await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(body["errorCode"], "E0000031");
    for field in ["errorSummary", "errorLink", "errorId"] {
        assert!(body[field].is_string(), "{field} missing: {body}");
    }
    assert!(body["errorCauses"].is_array());

    let missing = api.get("/api/v1/users/00u000000000000nope").await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["errorCode"], "E0000007");
    assert_eq!(
        body["errorSummary"],
        "Not found: Resource not found: 00u000000000000nope (User)"
    );

    let anonymous = api
        .http
        .get(format!("{}/api/v1/users", api.sandbox.url()))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let body: Value = anonymous.json().await.expect("json");
    assert_eq!(body["errorCode"], "E0000011");

    let groups_only = token(&api.sandbox, "okta.groups.read").await;
    let forbidden = api
        .http
        .get(format!("{}/api/v1/users", api.sandbox.url()))
        .bearer_auth(&groups_only)
        .send()
        .await
        .expect("request");
    assert_eq!(forbidden.status(), 403);
    let body: Value = forbidden.json().await.expect("json");
    assert_eq!(body["errorCode"], "E0000006");

    let writer = token(&api.sandbox, "okta.users.manage").await;
    let read_with_manage = api
        .http
        .get(format!("{}/api/v1/users?limit=1", api.sandbox.url()))
        .bearer_auth(&writer)
        .send()
        .await
        .expect("request");
    assert_eq!(read_with_manage.status(), 200, "manage implies read");
}

#[tokio::test]
async fn writes_are_visible_through_the_org_handle() {
    let api = Api::start(SandboxConfig {
        users: 20,
        log_events: 10,
        ..SandboxConfig::default()
    })
    .await;
    let writer = token(&api.sandbox, "okta.users.manage").await;
    let created: Value = api
        .http
        .post(format!("{}/api/v1/users?activate=false", api.sandbox.url()))
        .bearer_auth(&writer)
        .json(&json!({"profile": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "login": "ada@example.com"}}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    assert_eq!(created["status"], "STAGED");
    let id = created["id"].as_str().expect("id");
    assert_eq!(api.sandbox.org().user(id).expect("stored"), created);
}

#[tokio::test]
async fn dropping_the_sandbox_stops_the_server() {
    let sandbox = Sandbox::start(SandboxConfig {
        users: 5,
        log_events: 5,
        ..SandboxConfig::default()
    })
    .await
    .expect("start");
    let addr = sandbox.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    drop(sandbox);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening after drop"
    );

    let sandbox = Sandbox::start(SandboxConfig {
        users: 5,
        log_events: 5,
        ..SandboxConfig::default()
    })
    .await
    .expect("start");
    let addr = sandbox.addr();
    sandbox.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening after shutdown"
    );
}

#[tokio::test]
async fn a_fixed_epoch_makes_the_whole_org_repeatable() {
    let epoch = std::time::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    let config = || SandboxConfig {
        users: 30,
        log_events: 200,
        epoch: Some(epoch),
        ..SandboxConfig::default()
    };
    let a = Sandbox::start(config()).await.expect("start");
    let b = Sandbox::start(config()).await.expect("start");
    assert_eq!(a.org().log_events(), b.org().log_events());
    let without_links = |sandbox: &Sandbox| {
        sandbox
            .org()
            .users()
            .into_iter()
            .map(|mut u| {
                u["_links"] = Value::Null;
                u
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_links(&a), without_links(&b));
    let last = a.org().log_events().last().expect("events")["published"]
        .as_str()
        .expect("published")
        .to_owned();
    assert!(last.as_str() < "2025-06-15T15:06:40.000Z", "{last}");
    assert!(last.as_str() > "2025-06-14T15:06:40.000Z", "{last}");
}
