//! Key material: the issuer's signing key, client public keys, and JWK helpers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The key the sandbox signs access tokens with (RS256, published at /oauth2/v1/keys).
pub(crate) struct IssuerKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub public_jwk: Value,
}

impl IssuerKey {
    pub fn generate() -> std::io::Result<Self> {
        let private = generate_rsa()?;
        let der = private.to_pkcs1_der().map_err(std::io::Error::other)?;
        let public = private.to_public_key();
        let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(std::io::Error::other)?;
        let kid = format!(
            "sandbox-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let public_jwk =
            json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": n, "e": e});
        Ok(Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding,
            public_jwk,
        })
    }
}

pub(crate) fn generate_rsa() -> std::io::Result<rsa::RsaPrivateKey> {
    rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(std::io::Error::other)
}

/// Signature algorithm of a client key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlg {
    Rs256,
    Es256,
}

/// A freshly generated client key pair: PKCS#8 PEM of the private half, JWK of the public half.
pub(crate) struct GeneratedKey {
    pub private_pem: String,
    pub public: ClientPublicKey,
}

pub(crate) fn generate_client_key(alg: KeyAlg, kid: &str) -> std::io::Result<GeneratedKey> {
    match alg {
        KeyAlg::Rs256 => {
            let private = generate_rsa()?;
            let pem = private
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(std::io::Error::other)?;
            let public = private.to_public_key();
            let jwk = json!({
                "kty": "RSA",
                "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            });
            Ok(GeneratedKey {
                private_pem: pem.to_string(),
                public: ClientPublicKey::from_jwk(kid, &jwk).map_err(std::io::Error::other)?,
            })
        }
        KeyAlg::Es256 => {
            let secret = p256::SecretKey::random(&mut rand::thread_rng());
            let pem = secret
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(std::io::Error::other)?;
            let jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string())
                .map_err(std::io::Error::other)?;
            Ok(GeneratedKey {
                private_pem: pem.to_string(),
                public: ClientPublicKey::from_jwk(kid, &jwk).map_err(std::io::Error::other)?,
            })
        }
    }
}

/// A public key registered for a private_key_jwt client, identified by `kid`.
#[derive(Clone)]
pub struct ClientPublicKey {
    pub kid: String,
    pub alg: KeyAlg,
    pub(crate) decoding: DecodingKey,
    /// The public JWK (kty, n/e or crv/x/y), without private members.
    pub jwk: Value,
}

impl std::fmt::Debug for ClientPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientPublicKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl ClientPublicKey {
    /// From a public JWK (RSA or EC P-256); private members, if any, are dropped.
    pub fn from_jwk(kid: &str, jwk: &Value) -> Result<Self, String> {
        let (decoding, alg, public) = public_key_from_jwk(jwk)?;
        let mut public = public;
        if let Some(map) = public.as_object_mut() {
            map.insert("kid".into(), Value::String(kid.to_string()));
        }
        Ok(Self {
            kid: kid.to_string(),
            alg,
            decoding,
            jwk: public,
        })
    }

    /// From a PEM public key (`PUBLIC KEY`, `RSA PUBLIC KEY`) or a private key PEM
    /// (PKCS#8, PKCS#1, SEC1), whose public half is taken.
    pub fn from_pem(kid: &str, pem: &str) -> Result<Self, String> {
        use p256::pkcs8::DecodePublicKey;
        use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
        use rsa::pkcs8::DecodePrivateKey;
        let rsa_public = rsa::RsaPublicKey::from_public_key_pem(pem)
            .ok()
            .or_else(|| rsa::RsaPublicKey::from_pkcs1_pem(pem).ok())
            .or_else(|| {
                rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                    .ok()
                    .or_else(|| rsa::RsaPrivateKey::from_pkcs1_pem(pem).ok())
                    .map(|k| k.to_public_key())
            });
        if let Some(public) = rsa_public {
            let jwk = json!({
                "kty": "RSA",
                "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            });
            return Self::from_jwk(kid, &jwk);
        }
        let ec_public = p256::PublicKey::from_public_key_pem(pem).ok().or_else(|| {
            p256::SecretKey::from_pkcs8_pem(pem)
                .ok()
                .or_else(|| p256::SecretKey::from_sec1_pem(pem).ok())
                .map(|k| k.public_key())
        });
        match ec_public {
            Some(public) => {
                let jwk: Value =
                    serde_json::from_str(&public.to_jwk_string()).map_err(|e| e.to_string())?;
                Self::from_jwk(kid, &jwk)
            }
            None => Err("not an RSA or P-256 key in PEM form".into()),
        }
    }
}

fn str_member<'a>(jwk: &'a Value, name: &str) -> Result<&'a str, String> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("JWK member '{name}' missing"))
}

/// Builds a verification key from a public JWK; returns the key, its algorithm and the
/// public members only (so a stray private `d` is never kept or published).
pub(crate) fn public_key_from_jwk(jwk: &Value) -> Result<(DecodingKey, KeyAlg, Value), String> {
    match str_member(jwk, "kty")? {
        "RSA" => {
            let n = str_member(jwk, "n")?;
            let e = str_member(jwk, "e")?;
            let key = DecodingKey::from_rsa_components(n, e).map_err(|e| e.to_string())?;
            Ok((key, KeyAlg::Rs256, json!({"kty": "RSA", "n": n, "e": e})))
        }
        "EC" => {
            let crv = str_member(jwk, "crv")?;
            if crv != "P-256" {
                return Err(format!("unsupported EC curve '{crv}'"));
            }
            let x = str_member(jwk, "x")?;
            let y = str_member(jwk, "y")?;
            let point_ok = URL_SAFE_NO_PAD
                .decode(x)
                .map(|b| b.len() == 32)
                .unwrap_or(false)
                && URL_SAFE_NO_PAD
                    .decode(y)
                    .map(|b| b.len() == 32)
                    .unwrap_or(false);
            if !point_ok {
                return Err("EC JWK coordinates are not 32-byte base64url values".into());
            }
            let key = DecodingKey::from_ec_components(x, y).map_err(|e| e.to_string())?;
            Ok((
                key,
                KeyAlg::Es256,
                json!({"kty": "EC", "crv": crv, "x": x, "y": y}),
            ))
        }
        other => Err(format!("unsupported key type '{other}'")),
    }
}

impl KeyAlg {
    pub(crate) fn jwt_alg(self) -> Algorithm {
        match self {
            KeyAlg::Rs256 => Algorithm::RS256,
            KeyAlg::Es256 => Algorithm::ES256,
        }
    }
}

/// RFC 7638 thumbprint (SHA-256, base64url) of a public JWK already checked by
/// [`public_key_from_jwk`].
pub(crate) fn thumbprint(public_jwk: &Value) -> String {
    let get = |name: &str| public_jwk.get(name).and_then(Value::as_str).unwrap_or("");
    let canonical = match get("kty") {
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, get("e"), get("n")),
        _ => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            get("crv"),
            get("x"),
            get("y")
        ),
    };
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// base64url(SHA-256(value)), as used for `ath` and for storing refresh tokens by hash.
pub(crate) fn sha256_b64(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

/// A random URL-safe string with `bytes` bytes of entropy.
pub(crate) fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}
