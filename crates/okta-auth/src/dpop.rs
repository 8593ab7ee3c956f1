//! DPoP (RFC 9449) on the client side: an ES256 key pair bound to the tokens, and proofs
//! for token requests and API calls.

use crate::jwt::now_secs;
use crate::{AuthError, Secret};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use p256::pkcs8::EncodePrivateKey;
use sha2::{Digest, Sha256};

/// A DPoP key pair. Debug shows the public thumbprint only.
#[derive(Clone)]
pub struct DpopKey {
    secret: p256::SecretKey,
    encoding: EncodingKey,
    public_jwk: serde_json::Value,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DpopKey(jkt={})", self.thumbprint())
    }
}

impl DpopKey {
    pub fn generate() -> Result<Self, AuthError> {
        Self::from_secret(p256::SecretKey::random(&mut rand::thread_rng()))
    }

    /// Restores a key stored with a token record (its private JWK).
    pub fn from_stored(stored: &Secret) -> Result<Self, AuthError> {
        let secret = p256::SecretKey::from_jwk_str(stored.expose())
            .map_err(|_| AuthError::Store("the cached DPoP key is unreadable".into()))?;
        Self::from_secret(secret)
    }

    /// The private JWK, for storing with the token record.
    pub fn to_stored(&self) -> Secret {
        Secret::new(self.secret.to_jwk_string().to_string())
    }

    fn from_secret(secret: p256::SecretKey) -> Result<Self, AuthError> {
        let der = secret
            .to_pkcs8_der()
            .map_err(|_| AuthError::Config("cannot encode the DPoP key".into()))?;
        let public_jwk: serde_json::Value =
            serde_json::from_str(&secret.public_key().to_jwk_string())
                .map_err(|_| AuthError::Config("cannot encode the DPoP public key".into()))?;
        Ok(Self {
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            secret,
            public_jwk,
        })
    }

    /// RFC 7638 thumbprint, the `cnf.jkt` of tokens bound to this key.
    pub fn thumbprint(&self) -> String {
        let get = |name: &str| {
            self.public_jwk
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or("")
        };
        let canonical = format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            get("crv"),
            get("x"),
            get("y")
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A proof for one request; `access_token` adds `ath` (API calls), `nonce` the
    /// server-provided nonce.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&Secret>,
        nonce: Option<&str>,
    ) -> Result<Secret, AuthError> {
        let mut htu = url::Url::parse(url)
            .map_err(|_| AuthError::Config(format!("invalid URL for a DPoP proof: {url}")))?;
        htu.set_query(None);
        htu.set_fragment(None);
        let mut claims = serde_json::json!({
            "jti": uuid::Uuid::new_v4().to_string(),
            "htm": method.to_ascii_uppercase(),
            "htu": htu.as_str(),
            "iat": now_secs(),
        });
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD
                .encode(Sha256::digest(token.expose().as_bytes()))
                .into();
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = serde_json::from_value(self.public_jwk.clone()).ok();
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map(Secret::new)
            .map_err(|_| AuthError::Config("cannot sign a DPoP proof".into()))
    }
}
