//! Access-token minting: RS256 JWTs signed by the issuer key, or opaque tokens on request.

use super::jwt::now_secs;
use super::state::{Grant, OpaqueToken};
use super::{OAuthServer, keys};
use std::time::Duration;

impl OAuthServer {
    pub(super) fn ttl_for(&self, client_id: &str) -> Duration {
        let state = self.state();
        state
            .clients
            .get(client_id)
            .and_then(|c| c.access_token_ttl)
            .unwrap_or(state.access_token_ttl)
    }

    /// Signs (or, in opaque mode, records) an access token; returns it with its lifetime.
    pub(super) fn mint(&self, grant: &Grant, ttl: Duration) -> (String, u64) {
        let now = now_secs();
        let ttl_secs = ttl.as_secs().max(1);
        let exp = now + ttl_secs as i64;
        let mut state = self.state();
        if state.opaque_tokens {
            let token = keys::random_token(32);
            state.opaque.insert(
                keys::sha256_b64(&token),
                OpaqueToken {
                    grant: grant.clone(),
                    expires_at: exp,
                },
            );
            return (token, ttl_secs);
        }
        drop(state);
        let mut claims = serde_json::json!({
            "ver": 1,
            "jti": format!("AT.{}", uuid::Uuid::new_v4().simple()),
            "iss": self.inner.issuer,
            "aud": self.inner.issuer,
            "iat": now,
            "exp": exp,
            "cid": grant.client_id,
            "scp": grant.scopes,
            "sub": grant.subject,
        });
        if grant.user {
            let digest = keys::sha256_b64(&grant.subject);
            let id: String = digest
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(17)
                .collect();
            claims["uid"] = serde_json::Value::String(format!("00u{id}"));
        }
        if let Some(jkt) = &grant.jkt {
            claims["cnf"] = serde_json::json!({ "jkt": jkt });
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.inner.signer.kid.clone());
        // Signing our own well-formed claims with our own key cannot fail short of a bug.
        let token =
            jsonwebtoken::encode(&header, &claims, &self.inner.signer.encoding).unwrap_or_default();
        (token, ttl_secs)
    }
}
