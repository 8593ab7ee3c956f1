//! The client's private key for private_key_jwt: PEM (PKCS#1, PKCS#8, SEC1) or JWK JSON.

use crate::{AuthError, Secret};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};

/// A parsed signing key. Holds key material, so Debug shows only the algorithm.
#[derive(Clone)]
pub struct SigningKey {
    pub(crate) alg: Algorithm,
    pub(crate) encoding: EncodingKey,
    /// `kid` found inside a JWK, used when no key id is configured.
    pub(crate) embedded_kid: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?}, ****)", self.alg)
    }
}

impl SigningKey {
    /// Parses OKTA_PRIVATE_KEY: PEM with real or literal `\n` line breaks, or a private JWK.
    pub fn parse(key: &Secret) -> Result<Self, AuthError> {
        let text = normalize(key.expose());
        if text.starts_with('{') {
            return parse_jwk(&text);
        }
        if text.contains("ENCRYPTED PRIVATE KEY") {
            return Err(config(
                "the private key is encrypted; export it unencrypted (PKCS#8 PEM or JWK)",
            ));
        }
        if text.contains("BEGIN RSA PRIVATE KEY") {
            let key = rsa::RsaPrivateKey::from_pkcs1_pem_str(&text)?;
            return rsa_key(key, None);
        }
        if text.contains("BEGIN EC PRIVATE KEY") {
            let key = p256::SecretKey::from_sec1_pem(&text)
                .map_err(|_| config("the EC private key is not a valid P-256 (SEC1) key"))?;
            return ec_key(key, None);
        }
        if text.contains("BEGIN PRIVATE KEY") {
            if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_pem(&text) {
                return rsa_key(key, None);
            }
            if let Ok(key) = p256::SecretKey::from_pkcs8_pem(&text) {
                return ec_key(key, None);
            }
            return Err(config(
                "the PKCS#8 private key is neither RSA nor EC P-256 (only RS256 and ES256 are supported)",
            ));
        }
        Err(config(
            "OKTA_PRIVATE_KEY is neither a PEM private key (-----BEGIN PRIVATE KEY-----) nor a JWK JSON object",
        ))
    }

    /// Reads a key file (OKTA_PRIVATE_KEY_FILE) and parses it.
    pub fn from_file(path: &std::path::Path) -> Result<Self, AuthError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AuthError::Config(format!(
                "cannot read private key file {}: {e}",
                path.display()
            ))
        })?;
        Self::parse(&Secret::new(text))
    }

    /// "RS256" or "ES256".
    pub fn algorithm(&self) -> &'static str {
        match self.alg {
            Algorithm::ES256 => "ES256",
            _ => "RS256",
        }
    }
}

fn config(message: &str) -> AuthError {
    AuthError::Config(message.to_string())
}

/// Undoes the usual ways a PEM gets mangled in an env var: quotes, `\n` escapes, CRLF.
fn normalize(raw: &str) -> String {
    let trimmed = raw.trim().trim_matches('"').trim_matches('\'').trim();
    trimmed
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\r\n", "\n")
}

trait Pkcs1Str: Sized {
    fn from_pkcs1_pem_str(text: &str) -> Result<Self, AuthError>;
}

impl Pkcs1Str for rsa::RsaPrivateKey {
    fn from_pkcs1_pem_str(text: &str) -> Result<Self, AuthError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        rsa::RsaPrivateKey::from_pkcs1_pem(text)
            .map_err(|_| config("the RSA private key (PKCS#1 PEM) could not be parsed"))
    }
}

fn rsa_key(key: rsa::RsaPrivateKey, kid: Option<String>) -> Result<SigningKey, AuthError> {
    use rsa::traits::PublicKeyParts;
    if key.size() < 256 {
        return Err(config(
            "the RSA key is shorter than 2048 bits; Okta requires at least 2048",
        ));
    }
    let der = key
        .to_pkcs1_der()
        .map_err(|_| config("the RSA private key could not be encoded"))?;
    Ok(SigningKey {
        alg: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        embedded_kid: kid,
    })
}

fn ec_key(key: p256::SecretKey, kid: Option<String>) -> Result<SigningKey, AuthError> {
    let der = key
        .to_pkcs8_der()
        .map_err(|_| config("the EC private key could not be encoded"))?;
    Ok(SigningKey {
        alg: Algorithm::ES256,
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        embedded_kid: kid,
    })
}

fn parse_jwk(text: &str) -> Result<SigningKey, AuthError> {
    let jwk: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| config("OKTA_PRIVATE_KEY looks like JSON but is not a valid JWK object"))?;
    let member = |name: &str| jwk.get(name).and_then(serde_json::Value::as_str);
    let kid = member("kid").map(str::to_string);
    match member("kty") {
        Some("RSA") => {
            let big = |name: &str| -> Result<rsa::BigUint, AuthError> {
                let value = member(name).ok_or_else(|| {
                    AuthError::Config(format!(
                        "the RSA JWK lacks '{name}'; a private JWK needs n, e, d, p and q"
                    ))
                })?;
                let bytes = URL_SAFE_NO_PAD
                    .decode(value.trim_end_matches('='))
                    .map_err(|_| {
                        AuthError::Config(format!("the RSA JWK member '{name}' is not base64url"))
                    })?;
                Ok(rsa::BigUint::from_bytes_be(&bytes))
            };
            let key = rsa::RsaPrivateKey::from_components(
                big("n")?,
                big("e")?,
                big("d")?,
                vec![big("p")?, big("q")?],
            )
            .map_err(|_| config("the RSA JWK components do not form a valid private key"))?;
            rsa_key(key, kid)
        }
        Some("EC") => {
            if member("crv") != Some("P-256") {
                return Err(config("only EC keys on curve P-256 (ES256) are supported"));
            }
            if member("d").is_none() {
                return Err(config(
                    "the EC JWK is a public key; OKTA_PRIVATE_KEY needs the private key (with 'd')",
                ));
            }
            // Only the EC members: the parser refuses `kid`, `use` and other extras.
            let core = serde_json::json!({
                "kty": "EC",
                "crv": "P-256",
                "x": member("x").unwrap_or_default(),
                "y": member("y").unwrap_or_default(),
                "d": member("d").unwrap_or_default(),
            });
            let key = p256::SecretKey::from_jwk_str(&core.to_string())
                .map_err(|_| config("the EC JWK is not a valid P-256 private key"))?;
            ec_key(key, kid)
        }
        _ => Err(config("the JWK 'kty' must be RSA or EC")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};

    fn b64(n: &rsa::BigUint) -> String {
        URL_SAFE_NO_PAD.encode(n.to_bytes_be())
    }

    fn config_message(result: Result<SigningKey, AuthError>) -> String {
        match result {
            Err(AuthError::Config(message)) => message,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn rsa_keys_parse_from_pkcs8_pkcs1_escaped_pem_and_jwk() {
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let pkcs8 = key
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string();
        let pkcs1 = key
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string();
        for text in [
            pkcs8.clone(),
            pkcs1,
            format!("\"{}\"", pkcs8.replace('\n', "\\n")),
        ] {
            assert_eq!(
                SigningKey::parse(&Secret::new(text)).unwrap().algorithm(),
                "RS256"
            );
        }
        let primes = key.primes();
        let jwk = serde_json::json!({
            "kty": "RSA", "kid": "k1", "n": b64(key.n()), "e": b64(key.e()), "d": b64(key.d()),
            "p": b64(&primes[0]), "q": b64(&primes[1]),
        });
        let parsed = SigningKey::parse(&Secret::new(jwk.to_string())).unwrap();
        assert_eq!(parsed.algorithm(), "RS256");
        assert_eq!(parsed.embedded_kid.as_deref(), Some("k1"));
    }

    #[test]
    fn ec_keys_parse_from_pkcs8_sec1_and_jwk() {
        let key = p256::SecretKey::random(&mut rand::thread_rng());
        let pkcs8 = key
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string();
        let sec1 = key
            .to_sec1_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string();
        for text in [pkcs8, sec1, key.to_jwk_string().to_string()] {
            assert_eq!(
                SigningKey::parse(&Secret::new(text)).unwrap().algorithm(),
                "ES256"
            );
        }
    }

    #[test]
    fn unusable_keys_are_refused_with_the_reason_and_no_key_material() {
        let key = p256::SecretKey::random(&mut rand::thread_rng());
        let public = key.public_key().to_jwk_string();
        assert!(config_message(SigningKey::parse(&Secret::new(public))).contains("public key"));
        // The key just made, relabelled: the parser goes by the PEM label.
        let generated = key
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string();
        let encrypted = generated.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
        assert!(config_message(SigningKey::parse(&Secret::new(encrypted))).contains("encrypted"));
        let garbage = "not a key at all";
        let message = config_message(SigningKey::parse(&Secret::new(garbage)));
        assert!(message.contains("OKTA_PRIVATE_KEY") && !message.contains(garbage));
        // The generated key's frame around a body cut short: framed like a key, unreadable.
        let body = generated
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\n");
        let cut = &body[..body.len() / 2];
        let broken = generated.replace(&body, cut);
        let message = config_message(SigningKey::parse(&Secret::new(broken)));
        assert!(!message.contains(cut), "{message}");
        let small = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
        let pem = small
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string();
        assert!(config_message(SigningKey::parse(&Secret::new(pem))).contains("2048"));
        let debug = format!(
            "{:?}",
            SigningKey::parse(&Secret::new(key.to_jwk_string().to_string())).unwrap()
        );
        assert_eq!(debug, "SigningKey(ES256, ****)");
    }
}
