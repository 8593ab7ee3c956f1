//! TLS trust end to end: an org behind a certificate from a private CA (as with corporate
//! TLS inspection) is refused with the system store and accepted once SSL_CERT_FILE names
//! that CA. A single test, because it changes the process environment.

use okta_auth::{Secret, StaticToken};
use okta_client::{ApiError, ApiPath, ApiRequest, ClientConfig, OktaClient, paths};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer, pki_types::PrivatePkcs8KeyDer};

/// A CA, and a `localhost` certificate it signed: (CA PEM, leaf DER, leaf key DER).
fn private_pki() -> (String, Vec<u8>, Vec<u8>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Example Corp TLS Inspection CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .unwrap();
    (ca_cert.pem(), leaf.der().to_vec(), leaf_key.serialize_der())
}

/// Serves `[]` over TLS on 127.0.0.1 to every request; returns the port.
async fn tls_org(cert: Vec<u8>, key: Vec<u8>) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.into()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn client(port: u16) -> OktaClient {
    let url = url::Url::parse(&format!("https://localhost:{port}")).unwrap();
    let mut config = ClientConfig::new(url);
    config.max_retries = 0;
    OktaClient::new(config, Arc::new(StaticToken(Secret::new("t")))).unwrap()
}

#[tokio::test]
async fn ssl_cert_file_makes_a_corporate_ca_trusted() {
    let (ca_pem, leaf, key) = private_pki();
    let port = tls_org(leaf, key).await;
    let request = || ApiRequest::get(ApiPath::new(paths::USERS));

    let err = client(port)
        .send(request())
        .await
        .expect_err("the private CA is not trusted by default");
    assert!(matches!(err, ApiError::Network(_)), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "says why: {err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("corp-ca.pem");
    std::fs::write(&bundle, ca_pem).unwrap();
    // SAFETY: this binary runs only this test, on a current-thread runtime.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", &bundle);
        std::env::remove_var("SSL_CERT_DIR");
    }
    let response = client(port)
        .send(request())
        .await
        .expect("trusted through SSL_CERT_FILE");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, serde_json::json!([]));
}
