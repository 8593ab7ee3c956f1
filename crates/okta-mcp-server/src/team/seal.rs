//! Encryption at rest of what the state store keeps about people (their Okta tokens, the
//! PKCE verifier of a sign-in in progress): XChaCha20-Poly1305 with a random nonce, the
//! record's own key as associated data (a sealed value moved to another record won't open).
//!
//! Rotation: OKTA_MCP_STATE_KEY seals; it and every key in OKTA_MCP_STATE_KEY_PREVIOUS open.
//! Each sealed value names its key by id, and a value opened with an old key is reported as
//! stale so the caller re-seals it with the current one on use.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::Digest;

/// Format marker of a sealed value: `v1.<key id>.<base64url(nonce ‖ ciphertext)>`.
const VERSION: &str = "v1";

#[derive(Clone)]
struct Key {
    /// First 8 bytes of SHA-256 over the key, hex: names the key without revealing it.
    id: String,
    cipher: XChaCha20Poly1305,
}

/// The current state key and the earlier ones still accepted for reading.
#[derive(Clone)]
pub struct StateKeys {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for StateKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateKeys")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why a sealed value did not open. Never carries key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "the value was sealed with state key {0}, which is neither OKTA_MCP_STATE_KEY nor in OKTA_MCP_STATE_KEY_PREVIOUS"
    )]
    UnknownKey(String),
    #[error("the sealed value is damaged or belongs to another record")]
    Damaged,
}

/// A value opened from the store, and whether it should be re-sealed with the current key.
pub struct Opened {
    pub plaintext: Vec<u8>,
    pub stale: bool,
}

impl StateKeys {
    /// Parses the current key and a comma-separated list of earlier ones. The error names
    /// the variable at fault and never echoes the value.
    pub fn parse(current: &str, previous: Option<&str>) -> Result<Self, (&'static str, String)> {
        let current = key(current).map_err(|m| ("OKTA_MCP_STATE_KEY", m))?;
        let previous = previous
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(key)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| ("OKTA_MCP_STATE_KEY_PREVIOUS", m))?;
        Ok(Self { current, previous })
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    pub fn seal(&self, record_key: &str, plaintext: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: record_key.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any length the store holds");
        let mut body = nonce.to_vec();
        body.extend_from_slice(&ciphertext);
        format!(
            "{VERSION}.{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(body)
        )
    }

    pub fn open(&self, record_key: &str, sealed: &str) -> Result<Opened, SealError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Damaged);
        };
        let (key, stale) = if id == self.current.id {
            (&self.current, false)
        } else {
            let old = self
                .previous
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
            (old, true)
        };
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Damaged)?;
        if body.len() < 24 {
            return Err(SealError::Damaged);
        }
        let (nonce, ciphertext) = body.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| SealError::Damaged)?;
        let plaintext = key
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: record_key.as_bytes(),
                },
            )
            .map_err(|_| SealError::Damaged)?;
        Ok(Opened { plaintext, stale })
    }
}

fn key(text: &str) -> Result<Key, String> {
    let text = text.trim();
    let bytes = STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
        .map_err(|_| "not base64; generate a key with `openssl rand -base64 32`".to_owned())?;
    if bytes.len() != 32 {
        return Err(format!(
            "expected 32 bytes of base64, got {} bytes; generate a key with `openssl rand -base64 32`",
            bytes.len()
        ));
    }
    let digest = sha2::Sha256::digest(&bytes);
    let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(Key {
        id,
        cipher: XChaCha20Poly1305::new_from_slice(&bytes).expect("32 bytes is the key length"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";

    #[test]
    fn seals_opens_and_rotates() {
        let old = StateKeys::parse(K1, None).unwrap();
        let sealed = old.seal("upstream/00u1", b"refresh-token-value");
        assert!(!sealed.contains("refresh-token-value"));
        let opened = old.open("upstream/00u1", &sealed).unwrap();
        assert_eq!(opened.plaintext, b"refresh-token-value");
        assert!(!opened.stale);
        // Moved to another record: refused.
        assert!(matches!(
            old.open("upstream/00u2", &sealed),
            Err(SealError::Damaged)
        ));
        // Rotated: the old key still opens (stale), the new one seals.
        let rotated = StateKeys::parse(K2, Some(K1)).unwrap();
        let opened = rotated.open("upstream/00u1", &sealed).unwrap();
        assert!(opened.stale);
        let resealed = rotated.seal("upstream/00u1", &opened.plaintext);
        assert!(!rotated.open("upstream/00u1", &resealed).unwrap().stale);
        // Without the old key: a clear error naming the key id only.
        let only_new = StateKeys::parse(K2, None).unwrap();
        let Err(err) = only_new.open("upstream/00u1", &sealed) else {
            panic!("a value sealed with an unknown key opened");
        };
        assert!(err.to_string().contains(old.current_id()));
    }

    #[test]
    fn bad_keys_are_named_and_not_echoed() {
        let (var, message) = StateKeys::parse("c2hvcnQ=", None).unwrap_err();
        assert_eq!(var, "OKTA_MCP_STATE_KEY");
        assert!(message.contains("32 bytes") && !message.contains("c2hvcnQ"));
        let (var, _) = StateKeys::parse(K1, Some("not base64 !")).unwrap_err();
        assert_eq!(var, "OKTA_MCP_STATE_KEY_PREVIOUS");
        assert!(!format!("{:?}", StateKeys::parse(K1, None).unwrap()).contains(K1));
    }
}
