//! Transport and auth behaviour end to end: User-Agent, body size bound, the 401 re-auth
//! retry, and org URL checks.

mod common;

use common::{start, start_with};
use okta_auth::{AuthError, BoxFuture, RequestAuth, RequestAuthorizer, Secret};
use okta_client::{ApiError, ApiPath, ApiRequest, ClientConfig, OktaClient, USER_AGENT, paths};
use okta_sandbox::faults::FaultConfig;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn list_users() -> ApiRequest {
    ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", 2)
}

#[tokio::test]
async fn requests_carry_the_product_user_agent() {
    let org = start(FaultConfig::default()).await;
    org.client.send(list_users()).await.unwrap();
    let journal = org.requests("GET", paths::USERS);
    assert_eq!(journal[0].user_agent.as_deref(), Some(USER_AGENT));
    assert_eq!(
        USER_AGENT,
        format!("okta-mcp-server/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let org = start_with(FaultConfig::default(), |c| c.max_body_bytes = 2_000).await;
    let err = org
        .client
        .send(ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", 50))
        .await
        .expect_err("too big");
    assert!(
        matches!(&err, ApiError::Decode(m) if m.contains("2000-byte limit")),
        "{err}"
    );
}

/// Hands out a stale token first, then the good one; counts `rejected` calls.
struct Rotating {
    stale: Secret,
    good: Secret,
    rejected: AtomicUsize,
}

impl RequestAuthorizer for Rotating {
    fn authorize<'a>(
        &'a self,
        _method: &'a str,
        _url: &'a url::Url,
    ) -> BoxFuture<'a, Result<RequestAuth, AuthError>> {
        let token = if self.rejected.load(Ordering::SeqCst) == 0 {
            &self.stale
        } else {
            &self.good
        };
        // Prepared, as an authorizer holding a token for many requests makes it: the request
        // carries this header (the sandbox refuses the stale one, then takes the good one).
        let authorization = Secret::new(format!("Bearer {}", token.expose()));
        let auth = RequestAuth {
            authorization_header: okta_auth::sensitive_header(&authorization),
            authorization,
            dpop_proof: None,
        };
        Box::pin(async move { Ok(auth) })
    }

    fn rejected<'a>(&'a self, used: &'a RequestAuth, _nonce: Option<&'a str>) -> BoxFuture<'a, ()> {
        assert!(used.authorization.expose().ends_with(self.stale.expose()));
        self.rejected.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

fn client_with_auth(org: &common::Org, auth: Arc<dyn RequestAuthorizer>) -> OktaClient {
    let mut config = ClientConfig::new(url::Url::parse(&org.sandbox.url()).unwrap());
    common::test_tuning(&mut config);
    OktaClient::new(config, auth).unwrap()
}

#[tokio::test]
async fn a_401_reauthorizes_once_and_retries() {
    let org = start(FaultConfig::default()).await;
    let good = common::token(&org.sandbox).0.clone();
    let auth = Arc::new(Rotating {
        stale: Secret::new("not-a-valid-token"),
        good,
        rejected: AtomicUsize::new(0),
    });
    let client = client_with_auth(&org, auth.clone());
    let response = client.send(list_users()).await.expect("second try works");
    assert_eq!(response.status, 200);
    assert_eq!(auth.rejected.load(Ordering::SeqCst), 1);
    let statuses: Vec<Option<u16>> = org
        .requests("GET", paths::USERS)
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, [Some(401), Some(200)]);
}

#[tokio::test]
async fn a_second_401_is_returned_with_its_hint() {
    let org = start(FaultConfig::default()).await;
    let auth = Arc::new(Rotating {
        stale: Secret::new("stale"),
        good: Secret::new("also-invalid"),
        rejected: AtomicUsize::new(0),
    });
    let client = client_with_auth(&org, auth.clone());
    let err = client.send(list_users()).await.expect_err("still 401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.error_code(), Some("E0000011"));
    assert!(err.hint().contains("auth login"), "{}", err.hint());
    assert!(
        !err.to_string().contains("also-invalid"),
        "no token in errors"
    );
    assert_eq!(
        org.requests("GET", paths::USERS).len(),
        2,
        "retried once only"
    );
}

#[tokio::test]
async fn org_url_must_be_https_or_loopback() {
    let auth: Arc<dyn RequestAuthorizer> = Arc::new(okta_auth::StaticToken(Secret::new("t")));
    let plain = ClientConfig::new(url::Url::parse("http://acme.okta.com").unwrap());
    assert!(matches!(
        OktaClient::new(plain, auth.clone()),
        Err(ApiError::InvalidRequest(_))
    ));
    let tls = ClientConfig::new(url::Url::parse("https://acme.okta.com").unwrap());
    assert!(OktaClient::new(tls, auth).is_ok());
}

#[tokio::test]
async fn head_requests_return_no_body_but_the_rate_limit() {
    let org = start(FaultConfig::default()).await;
    let response = org
        .client
        .send(ApiRequest::head(ApiPath::new(paths::USERS)))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, serde_json::Value::Null);
    assert!(response.rate_limit.remaining.is_some());
    assert_eq!(org.requests("HEAD", paths::USERS).len(), 1);
}
