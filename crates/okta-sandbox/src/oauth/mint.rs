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
        if grant.user
            && let Some(sign_in) = &grant.sign_in
        {
            state
                .sign_in_owners
                .insert(sign_in.clone(), user_id_of(grant));
        }
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
            claims["uid"] = serde_json::Value::String(user_id_of(grant));
        }
        if let Some(jkt) = &grant.jkt {
            claims["cnf"] = serde_json::json!({ "jkt": jkt });
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.inner.signer.kid.clone());
        // Signing our own well-formed claims with our own key cannot fail short of a bug.
        let token =
            jsonwebtoken::encode(&header, &claims, &self.inner.signer.encoding).unwrap_or_default();
        if let (Some(sign_in), Some(jti)) = (&grant.sign_in, claims["jti"].as_str()) {
            self.state()
                .access_sign_ins
                .insert(jti.to_string(), sign_in.clone());
        }
        (token, ttl_secs)
    }

    /// An OpenID Connect ID token for a person's grant, shaped as the org AS mints it:
    /// `sub` is the user id, `aud` the client, profile and email claims per granted scope.
    pub(super) fn mint_id_token(
        &self,
        grant: &Grant,
        nonce: Option<&str>,
        access_token: &str,
    ) -> String {
        let now = now_secs();
        let person = self.find_user(grant.user_id.as_deref().unwrap_or(&grant.subject));
        let mut claims = serde_json::json!({
            "ver": 1,
            "jti": format!("ID.{}", uuid::Uuid::new_v4().simple()),
            "iss": self.inner.issuer,
            "aud": grant.client_id,
            "sub": user_id_of(grant),
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
            "auth_time": grant.auth_time.unwrap_or(now),
            "amr": ["pwd"],
            "idp": ORG_IDP_ID,
            "at_hash": at_hash(access_token),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = serde_json::Value::String(nonce.to_string());
        }
        if let Some(person) = &person {
            let has = |scope: &str| grant.scopes.iter().any(|s| s == scope);
            if has("profile") {
                claims["name"] = person.name().into();
                claims["preferred_username"] = person.login.clone().into();
            }
            if has("email") {
                claims["email"] = person.email.clone().into();
                claims["email_verified"] = true.into();
            }
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.inner.signer.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.inner.signer.encoding).unwrap_or_default()
    }
}

/// Okta's ID tokens live one hour.
const ID_TOKEN_TTL: i64 = 3600;
/// The `idp` claim: the org itself is the identity provider for its own users.
const ORG_IDP_ID: &str = "00osandboxorgidp0001";

/// The person's user id, or for a person the org does not know a stable stand-in derived
/// from the subject (so `uid` is always present on a person's token).
pub(super) fn user_id_of(grant: &Grant) -> String {
    if let Some(id) = &grant.user_id {
        return id.clone();
    }
    let digest = keys::sha256_b64(&grant.subject);
    let id: String = digest
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(17)
        .collect();
    format!("00u{id}")
}

/// OIDC `at_hash`: base64url of the left half of SHA-256 of the access token.
fn at_hash(access_token: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}
