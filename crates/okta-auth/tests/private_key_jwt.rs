//! private_key_jwt client_credentials against the sandbox org over real HTTP.

mod common;

use common::*;
use okta_auth::{AuthError, AuthMethod, RequestAuthorizer, Secret};
use okta_sandbox::oauth::KeyAlg;

#[tokio::test]
async fn service_token_is_fetched_once_and_reused() {
    let org = start_org().await;
    let store = memory_store();
    let auth = authenticator(service_settings(&org, &["okta.users.read"]), store.clone());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 1);
    assert_eq!(
        auth.granted_scopes(),
        Some(vec!["okta.users.read".to_string()])
    );

    // A second instance on the same store (a restart) makes no token call at all.
    let again = authenticator(service_settings(&org, &["okta.users.read"]), store);
    assert_eq!(call_probe(&org, again.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 1);
}

#[tokio::test]
async fn es256_pem_and_jwk_keys_work() {
    let org = start_org().await;
    let client = org
        .oauth
        .register_generated_client("0oaes256", KeyAlg::Es256, &["okta.users.read"])
        .unwrap();
    let pem = client.private_key_pem.clone().unwrap();
    let kid = client.key_id.clone().unwrap();
    let pem_settings = settings(
        &org,
        "0oaes256",
        AuthMethod::PrivateKeyJwt {
            key: Secret::new(pem.clone()),
            key_id: kid.clone(),
        },
        &["okta.users.read"],
    );
    let auth = authenticator(pem_settings, memory_store());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);

    // The same key as a private JWK, with the kid inside the JWK and OKTA_KEY_ID unset.
    let secret = p256::SecretKey::from_pkcs8_pem(&pem).unwrap();
    let mut jwk: serde_json::Value = serde_json::from_str(&secret.to_jwk_string()).unwrap();
    jwk["kid"] = kid.clone().into();
    let jwk_settings = settings(
        &org,
        "0oaes256",
        AuthMethod::PrivateKeyJwt {
            key: Secret::new(jwk.to_string()),
            key_id: String::new(),
        },
        &["okta.users.read"],
    );
    let auth = authenticator(jwk_settings, memory_store());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    assert_eq!(org.oauth.token_calls("client_credentials"), 2);
}

use p256::pkcs8::DecodePrivateKey;

#[tokio::test]
async fn rs256_pem_with_literal_newline_escapes_and_pkcs1_work() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let org = start_org().await;
    let client = org.oauth.service_client();
    let pem = client.private_key_pem.clone().unwrap();
    let escaped = pem.replace('\n', "\\n");
    let auth = authenticator(
        settings(
            &org,
            &client.client_id,
            AuthMethod::PrivateKeyJwt {
                key: Secret::new(escaped),
                key_id: client.key_id.clone().unwrap(),
            },
            &["okta.users.read"],
        ),
        memory_store(),
    );
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);

    let rsa_key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let pkcs1 = rsa_key
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap()
        .to_string();
    assert!(pkcs1.contains("BEGIN RSA PRIVATE KEY"));
    let auth = authenticator(
        settings(
            &org,
            &client.client_id,
            AuthMethod::PrivateKeyJwt {
                key: Secret::new(pkcs1),
                key_id: client.key_id.clone().unwrap(),
            },
            &["okta.users.read"],
        ),
        memory_store(),
    );
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
}

fn rejected(result: Result<reqwest::StatusCode, AuthError>) -> (String, String) {
    match result {
        Err(AuthError::Rejected { message, hint }) => (message, hint),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_kid_names_the_kid_and_okta_key_id() {
    let org = start_org().await;
    let client = org.oauth.service_client();
    let auth = authenticator(
        settings(
            &org,
            &client.client_id,
            AuthMethod::PrivateKeyJwt {
                key: Secret::new(client.private_key_pem.unwrap()),
                key_id: "not-the-kid".into(),
            },
            &["okta.users.read"],
        ),
        memory_store(),
    );
    let (message, hint) = rejected(call_probe(&org, auth.as_ref()).await);
    assert!(
        message.contains("invalid_client") && message.contains("not-the-kid"),
        "{message}"
    );
    assert!(hint.contains("OKTA_KEY_ID"), "{hint}");
}

#[tokio::test]
async fn wrong_key_names_the_signature() {
    let org = start_org().await;
    let service = org.oauth.service_client();
    let other = org
        .oauth
        .register_generated_client("0oaother", KeyAlg::Rs256, &["okta.users.read"])
        .unwrap();
    let auth = authenticator(
        settings(
            &org,
            &service.client_id,
            AuthMethod::PrivateKeyJwt {
                key: Secret::new(other.private_key_pem.unwrap()),
                key_id: service.key_id.unwrap(),
            },
            &["okta.users.read"],
        ),
        memory_store(),
    );
    let (message, hint) = rejected(call_probe(&org, auth.as_ref()).await);
    assert!(
        message.contains("invalid_client") && message.contains("signature"),
        "{message}"
    );
    assert!(hint.contains("OKTA_PRIVATE_KEY"), "{hint}");
}

#[tokio::test]
async fn scope_not_granted_names_the_scope() {
    let org = start_org().await;
    org.oauth
        .set_client_scopes(&org.oauth.service_client().client_id, &["okta.users.read"]);
    let auth = authenticator(
        service_settings(&org, &["okta.users.read", "okta.groups.manage"]),
        memory_store(),
    );
    let (message, hint) = rejected(call_probe(&org, auth.as_ref()).await);
    assert!(
        message.contains("invalid_scope") && message.contains("okta.groups.manage"),
        "{message}"
    );
    assert!(
        hint.contains("OKTA_SCOPES") && hint.contains("Okta API Scopes"),
        "{hint}"
    );
}

#[tokio::test]
async fn unknown_client_id_is_named() {
    let org = start_org().await;
    let service = org.oauth.service_client();
    let auth = authenticator(
        settings(
            &org,
            "0oanosuchapp",
            AuthMethod::PrivateKeyJwt {
                key: Secret::new(service.private_key_pem.unwrap()),
                key_id: service.key_id.unwrap(),
            },
            &["okta.users.read"],
        ),
        memory_store(),
    );
    let (message, hint) = rejected(call_probe(&org, auth.as_ref()).await);
    assert!(message.contains("0oanosuchapp"), "{message}");
    assert!(hint.contains("OKTA_CLIENT_ID"), "{hint}");
}

#[tokio::test]
async fn a_401_drops_the_token_and_the_next_call_gets_a_new_one() {
    let org = start_org().await;
    let auth = authenticator(service_settings(&org, &["okta.users.read"]), memory_store());
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    let first = auth.authorize("GET", &url).await.unwrap();
    auth.rejected(&first, None).await;
    let second = auth.authorize("GET", &url).await.unwrap();
    assert_ne!(first.authorization.expose(), second.authorization.expose());
    assert_eq!(org.oauth.token_calls("client_credentials"), 2);
    // A stale rejection of the old token does not drop the new one.
    auth.rejected(&first, None).await;
    let third = auth.authorize("GET", &url).await.unwrap();
    assert_eq!(second.authorization.expose(), third.authorization.expose());
}

#[tokio::test]
async fn rs256_jwk_key_works() {
    use base64::Engine;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    let org = start_org().await;
    let client = org.oauth.service_client();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&client.private_key_pem.unwrap()).unwrap();
    let b64 =
        |n: &rsa::BigUint| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    let jwk = serde_json::json!({
        "kty": "RSA", "kid": client.key_id.unwrap(), "n": b64(key.n()), "e": b64(key.e()),
        "d": b64(key.d()), "p": b64(&key.primes()[0]), "q": b64(&key.primes()[1]),
    });
    let auth = authenticator(
        settings(
            &org,
            &client.client_id,
            AuthMethod::PrivateKeyJwt {
                key: Secret::new(jwk.to_string()),
                key_id: String::new(),
            },
            &["okta.users.read"],
        ),
        memory_store(),
    );
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
}

#[tokio::test]
async fn logout_revokes_with_an_assertion_for_the_revocation_endpoint() {
    let org = start_org().await;
    let auth = authenticator(service_settings(&org, &["okta.users.read"]), memory_store());
    assert_eq!(call_probe(&org, auth.as_ref()).await.unwrap(), 200);
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    let used = auth.authorize("GET", &url).await.unwrap();
    let outcome = auth.logout().await.unwrap();
    assert!(outcome.removed && outcome.revoked, "{outcome:?}");
    let status = http()
        .get(url)
        .header("Authorization", used.authorization.expose())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_org_addressed_as_localhost_accepts_assertions_and_proofs() {
    let org = start_org().await;
    let mut settings = service_settings(&org, &["okta.users.read"]);
    settings.org_url = url::Url::parse(&org.url.replace("127.0.0.1", "localhost")).unwrap();
    settings.dpop = true;
    let auth = authenticator(settings, memory_store());
    let url = url::Url::parse(&format!("{}{PROBE_PATH}", org.url)).unwrap();
    assert!(
        auth.authorize("GET", &url)
            .await
            .unwrap()
            .authorization
            .expose()
            .starts_with("DPoP ")
    );
}

#[tokio::test]
async fn an_unreachable_org_is_a_network_error_not_a_fallback() {
    let org = start_org().await;
    let mut settings = service_settings(&org, &["okta.users.read"]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    settings.org_url = url::Url::parse(&format!("http://{closed}")).unwrap();
    let auth = authenticator(settings, memory_store());
    let url = url::Url::parse(&format!("http://{closed}{PROBE_PATH}")).unwrap();
    match auth.authorize("GET", &url).await {
        Err(AuthError::Network(message)) => {
            assert!(message.contains(&closed.to_string()), "{message}")
        }
        other => panic!("expected a network error, got {other:?}"),
    }
    assert_eq!(org.oauth.counters().device_authorizations, 0);
}
