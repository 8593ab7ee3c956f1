//! private_key_jwt client assertion verification (RFC 7523), with errors that name the cause.

use super::clients::{ClientAuth, ClientRegistration};
use super::jwt::{num_claim, segment, str_claim};
use jsonwebtoken::Validation;
use jsonwebtoken::errors::ErrorKind;
use serde_json::Value;

/// Longest assertion lifetime accepted (Okta: one hour).
const MAX_LIFETIME: i64 = 3600;
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY: u64 = 30;

/// The parts of a good assertion the caller must still check against its replay cache.
pub(crate) struct VerifiedAssertion {
    pub jti: String,
    pub exp: i64,
}

/// Who the assertion claims to be (`iss`), read before any verification to find the keys.
pub(crate) fn claimed_client(assertion: &str) -> Option<String> {
    segment(assertion, 1).and_then(|c| str_claim(&c, "iss").map(str::to_string))
}

/// Verifies signature, `kid`, `iss`/`sub`, `aud` and lifetime of a client assertion.
pub(crate) fn verify(
    assertion: &str,
    client: &ClientRegistration,
    audiences: &[String],
    now: i64,
) -> Result<VerifiedAssertion, String> {
    let ClientAuth::PrivateKeyJwt(keys) = &client.auth else {
        return Err(format!(
            "Client '{}' is a public client and does not use client assertions.",
            client.client_id
        ));
    };
    let header = segment(assertion, 0).ok_or("The client_assertion is not a well-formed JWT.")?;
    let kid = str_claim(&header, "kid");
    let key = match kid {
        Some(kid) => keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
            format!(
                "The client_assertion 'kid' '{kid}' is not registered for client '{}'.",
                client.client_id
            )
        })?,
        None if keys.len() == 1 => &keys[0],
        None => return Err("The client_assertion has no 'kid' header.".into()),
    };
    let alg = key.alg.jwt_alg();
    let header_alg = str_claim(&header, "alg").unwrap_or("");
    if format!("{alg:?}") != header_alg {
        return Err(format!(
            "The client_assertion 'alg' '{header_alg}' does not match the registered key '{}' ({alg:?}).",
            key.kid
        ));
    }
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY;
    validation.set_audience(audiences);
    let expected = audiences.first().map(String::as_str).unwrap_or_default();
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(assertion, &key.decoding, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => format!(
                "The client_assertion signature is invalid for key '{}'.",
                key.kid
            ),
            ErrorKind::ExpiredSignature => "The client_assertion has expired.".to_string(),
            ErrorKind::InvalidAudience => {
                format!("The client_assertion 'aud' must be '{expected}'.")
            }
            ErrorKind::MissingRequiredClaim(claim) => {
                format!("The client_assertion is missing the '{claim}' claim.")
            }
            _ => "The client_assertion could not be verified.".to_string(),
        })?
        .claims;
    let iss = str_claim(&claims, "iss");
    let sub = str_claim(&claims, "sub");
    if iss != Some(client.client_id.as_str()) || sub != Some(client.client_id.as_str()) {
        return Err(format!(
            "The client_assertion 'iss' and 'sub' must both be the client id '{}'.",
            client.client_id
        ));
    }
    let exp = num_claim(&claims, "exp").ok_or("The client_assertion 'exp' is invalid.")?;
    if exp - now > MAX_LIFETIME + LEEWAY as i64 {
        return Err("The client_assertion 'exp' is more than one hour in the future.".into());
    }
    if let Some(iat) = num_claim(&claims, "iat")
        && iat - now > LEEWAY as i64
    {
        return Err("The client_assertion 'iat' is in the future.".into());
    }
    let jti = str_claim(&claims, "jti")
        .filter(|j| !j.is_empty())
        .ok_or("The client_assertion 'jti' claim is missing.")?;
    Ok(VerifiedAssertion {
        jti: jti.to_string(),
        exp,
    })
}
