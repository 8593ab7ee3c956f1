//! DPoP proof verification (RFC 9449) for the token endpoint and for API calls.

use super::jwt::{normalize_url, num_claim, segment, str_claim};
use super::keys::{public_key_from_jwk, sha256_b64, thumbprint};
use jsonwebtoken::Validation;
use serde_json::Value;

/// How far a proof's `iat` may be from now, in seconds.
const IAT_WINDOW: i64 = 300;

/// A proof whose signature and claims checked out; replay and nonce are the caller's part.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedProof {
    /// Thumbprint of the proof key, the value a bound token carries in `cnf.jkt`.
    pub jkt: String,
    pub jti: String,
    pub nonce: Option<String>,
}

/// Checks a DPoP proof for `method` on `htu`; `access_token` adds the `ath` check.
pub(crate) fn verify_proof(
    proof: &str,
    method: &str,
    htus: &[String],
    access_token: Option<&str>,
    now: i64,
) -> Result<VerifiedProof, String> {
    let header = segment(proof, 0).ok_or("The DPoP proof is not a well-formed JWT.")?;
    if str_claim(&header, "typ") != Some("dpop+jwt") {
        return Err("The DPoP proof 'typ' header must be 'dpop+jwt'.".into());
    }
    let jwk = header
        .get("jwk")
        .ok_or("The DPoP proof 'jwk' header is missing.")?;
    if jwk.get("d").is_some() {
        return Err("The DPoP proof 'jwk' header must not contain a private key.".into());
    }
    let (key, alg, public) = public_key_from_jwk(jwk)
        .map_err(|e| format!("The DPoP proof 'jwk' header is invalid: {e}."))?;
    if str_claim(&header, "alg") != Some(alg_name(alg.jwt_alg())) {
        return Err("The DPoP proof 'alg' does not match its key.".into());
    }
    let mut validation = Validation::new(alg.jwt_alg());
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .map_err(|_| "The DPoP proof signature is invalid.".to_string())?
        .claims;
    if !str_claim(&claims, "htm").is_some_and(|m| m.eq_ignore_ascii_case(method)) {
        return Err(format!("The DPoP proof 'htm' must be '{method}'."));
    }
    let claimed = str_claim(&claims, "htu").and_then(normalize_url);
    if claimed.is_none() || !htus.iter().any(|h| normalize_url(h) == claimed) {
        let expected = htus.first().map(String::as_str).unwrap_or_default();
        return Err(format!("The DPoP proof 'htu' must be '{expected}'."));
    }
    let iat = num_claim(&claims, "iat").ok_or("The DPoP proof 'iat' claim is missing.")?;
    if (iat - now).abs() > IAT_WINDOW {
        return Err("The DPoP proof 'iat' is outside the accepted window.".into());
    }
    let jti = str_claim(&claims, "jti")
        .filter(|j| !j.is_empty())
        .ok_or("The DPoP proof 'jti' claim is missing.")?;
    if let Some(token) = access_token
        && str_claim(&claims, "ath") != Some(sha256_b64(token).as_str())
    {
        return Err("The DPoP proof 'ath' does not match the access token.".into());
    }
    Ok(VerifiedProof {
        jkt: thumbprint(&public),
        jti: jti.to_string(),
        nonce: str_claim(&claims, "nonce").map(str::to_string),
    })
}

fn alg_name(alg: jsonwebtoken::Algorithm) -> &'static str {
    match alg {
        jsonwebtoken::Algorithm::ES256 => "ES256",
        _ => "RS256",
    }
}
