//! The client with the real authenticator: private_key_jwt tokens, plain and DPoP-bound,
//! obtained from the sandbox's token endpoint and used across pages and encoded paths.

mod common;

use common::start;
use futures::StreamExt;
use okta_auth::{AuthMethod, AuthSettings, Authenticator, MemoryStore, Secret, StoreKind};
use okta_client::{ApiPath, ApiRequest, ClientConfig, OktaClient, paths};
use okta_sandbox::faults::FaultConfig;
use std::sync::Arc;

fn authenticated_client(org: &common::Org, dpop: bool) -> OktaClient {
    let url = url::Url::parse(&org.sandbox.url()).unwrap();
    let service = org.sandbox.service_client();
    let settings = AuthSettings {
        org_url: url.clone(),
        client_id: service.client_id.clone(),
        scopes: vec!["okta.users.read".into()],
        method: AuthMethod::PrivateKeyJwt {
            key: Secret::new(service.private_key_pem.clone().expect("pem")),
            key_id: service.key_id.clone().expect("kid"),
        },
        store: StoreKind::Memory,
        dpop,
    };
    let auth = Authenticator::with_store(
        settings,
        reqwest::Client::new(),
        Arc::new(MemoryStore::new()),
    )
    .expect("authenticator");
    let mut config = ClientConfig::new(url);
    common::test_tuning(&mut config);
    OktaClient::new(config, auth).expect("client")
}

async fn exercise(org: &common::Org, client: &OktaClient) {
    let pages: Vec<_> = client
        .pages(ApiRequest::get(ApiPath::new(paths::USERS)).query("limit", 70))
        .collect()
        .await;
    assert!(pages.len() >= 2, "several pages");
    for page in &pages {
        assert!(page.is_ok(), "{:?}", page.as_ref().err());
    }
    let err = client
        .send(ApiRequest::get(ApiPath::new(paths::USERS).id("a b/../c?d")))
        .await
        .expect_err("no such user");
    assert_eq!(err.status(), Some(404), "authorized, then not found: {err}");
    let rejected = org
        .faults()
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/api/v1/") && e.status == Some(401))
        .count();
    assert_eq!(
        rejected, 0,
        "every Management API call was accepted first time"
    );
}

#[tokio::test]
async fn bearer_tokens_from_private_key_jwt_work_across_pages() {
    let org = start(FaultConfig::default()).await;
    let client = authenticated_client(&org, false);
    exercise(&org, &client).await;
    assert_eq!(org.sandbox.oauth().token_calls("client_credentials"), 1);
}

#[tokio::test]
async fn dpop_proofs_match_every_page_url_and_encoded_path() {
    let org = start(FaultConfig::default()).await;
    let client = authenticated_client(&org, true);
    exercise(&org, &client).await;
}
