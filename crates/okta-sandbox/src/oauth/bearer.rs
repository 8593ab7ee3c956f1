//! Access-token resolution and the rejections a Management API call gets (E0000011 / 401).

use super::jwt::{self, num_claim, str_claim};
use super::state::{Grant, VERIFIED_JWTS_MAX, VerifiedJwt};
use super::{BearerRejection, OAuthServer, keys};
use axum::http::StatusCode;

impl OAuthServer {
    /// Finds the grant behind an access token; `check_exp` false is for revocation.
    pub(super) fn resolve_access_token(
        &self,
        token: &str,
        now: i64,
        check_exp: bool,
    ) -> Result<Grant, &'static str> {
        let hash = keys::sha256_b64(token);
        {
            let state = self.state();
            if let Some(opaque) = state.opaque.get(&hash) {
                if check_exp && opaque.expires_at <= now {
                    return Err("The access token has expired.");
                }
                if state.is_revoked(None, opaque.grant.sign_in.as_deref()) {
                    return Err("The access token has been revoked.");
                }
                return Ok(opaque.grant.clone());
            }
            if let Some(known) = state.verified_jwts.get(&hash) {
                // The same checks as below, bar the signature, which was good last time.
                if check_exp && known.expires_at < now {
                    return Err("The access token has expired.");
                }
                if state.is_revoked(Some(&known.jti), known.grant.sign_in.as_deref()) {
                    return Err("The access token has been revoked.");
                }
                return Ok(known.grant.clone());
            }
        }
        if jwt::segment(token, 1).is_none() {
            return Err("The access token is invalid.");
        }
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_exp = check_exp;
        validation.set_issuer(&[&self.inner.issuer]);
        validation.set_audience(&[&self.inner.issuer]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            token,
            &self.inner.signer.decoding,
            &validation,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => "The access token has expired.",
            _ => "The access token is invalid.",
        })?
        .claims;
        let jti = str_claim(&claims, "jti").unwrap_or_default();
        let sign_in = {
            let state = self.state();
            let sign_in = state.access_sign_ins.get(jti).cloned();
            if state.is_revoked(Some(jti), sign_in.as_deref()) {
                return Err("The access token has been revoked.");
            }
            sign_in
        };
        let scopes = claims
            .get("scp")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let grant = Grant {
            client_id: str_claim(&claims, "cid").unwrap_or_default().to_string(),
            subject: str_claim(&claims, "sub").unwrap_or_default().to_string(),
            scopes,
            jkt: claims
                .get("cnf")
                .and_then(|c| str_claim(c, "jkt"))
                .map(str::to_string),
            user: claims.get("uid").is_some(),
            user_id: str_claim(&claims, "uid").map(str::to_string),
            sign_in,
            auth_time: None,
        };
        // Remembered only once valid now: an expired token read for revocation is not.
        if let Some(expires_at) = num_claim(&claims, "exp").filter(|exp| *exp >= now) {
            let mut state = self.state();
            if state.verified_jwts.len() >= VERIFIED_JWTS_MAX {
                state.verified_jwts.clear();
            }
            state.verified_jwts.insert(
                hash,
                VerifiedJwt {
                    grant: grant.clone(),
                    jti: jti.to_owned(),
                    expires_at,
                },
            );
        }
        Ok(grant)
    }

    pub(super) fn unauthorized(&self, scheme: &str, why: &str) -> BearerRejection {
        self.unauthorized_owned(scheme, why.to_string())
    }

    pub(super) fn unauthorized_owned(&self, scheme: &str, why: String) -> BearerRejection {
        let algs = if scheme == "DPoP" {
            " algs=\"ES256 RS256\","
        } else {
            ""
        };
        BearerRejection {
            status: StatusCode::UNAUTHORIZED,
            error_code: "E0000011",
            error_summary: "Invalid token provided".into(),
            www_authenticate: Some(format!(
                "{scheme}{algs} realm=\"{}\", error=\"invalid_token\", error_description=\"{}\"",
                self.inner.issuer,
                why.replace('"', "'")
            )),
        }
    }
}
