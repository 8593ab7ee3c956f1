//! RFC 7523 client assertion for private_key_jwt client authentication.

use crate::jwt::now_secs;
use crate::key::SigningKey;
use crate::{AuthError, Secret};

/// Assertion lifetime: Okta accepts up to one hour; five minutes limits replay exposure.
const LIFETIME_SECS: i64 = 300;

/// Signs an assertion with iss = sub = client id, aud = token endpoint, a fresh jti and `kid`.
pub(crate) fn client_assertion(
    key: &SigningKey,
    key_id: &str,
    client_id: &str,
    token_endpoint: &str,
) -> Result<Secret, AuthError> {
    let now = now_secs();
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "iat": now,
        "exp": now + LIFETIME_SECS,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let mut header = jsonwebtoken::Header::new(key.alg);
    let kid = if key_id.is_empty() {
        key.embedded_kid.clone()
    } else {
        Some(key_id.to_string())
    };
    header.kid = kid;
    jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map(Secret::new)
        .map_err(|_| AuthError::Config("the private key could not sign a client assertion".into()))
}
