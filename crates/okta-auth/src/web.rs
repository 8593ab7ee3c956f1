//! The client side of an Okta OIDC web app: authorization code + PKCE (RFC 7636) against the
//! org authorization server, refresh, revocation. The team server uses it to sign people in
//! and to keep each person's own Okta token fresh. Client authentication is a client secret
//! (`client_secret_post`) or private_key_jwt (RFC 7523).

use crate::hints::{Step, to_auth_error};
use crate::key::SigningKey;
use crate::oauth::{ASSERTION_TYPE, CallError, DpopSession, Resend};
use crate::{AuthError, Secret};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How the web app proves itself at the token and revocation endpoints.
#[derive(Clone, Debug)]
pub enum WebClientAuth {
    ClientSecret(Secret),
    PrivateKeyJwt { key: Secret, key_id: String },
}

/// Tokens Okta issued to one person.
#[derive(Clone, Debug)]
pub struct WebTokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Unix time the access token stops being valid.
    pub expires_at: i64,
    /// Scopes Okta granted (the response's `scope`).
    pub scopes: Vec<String>,
    pub id_token: Option<Secret>,
}

/// The person an ID token names. Read from a token that came straight from the org's token
/// endpoint over TLS, authenticated by our client credentials (OIDC Core 3.1.3.7 allows
/// relying on TLS there instead of the signature); `nonce` is checked by the caller.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
}

impl IdClaims {
    /// Decodes the payload of `id_token`; None when it is not a JWT with a `sub`.
    pub fn read(id_token: &Secret) -> Option<Self> {
        let payload = id_token.expose().split('.').nth(1)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether `aud` names `client_id` (a string or an array of strings).
    pub fn audience_is(&self, client_id: &str) -> bool {
        match &self.aud {
            Some(serde_json::Value::String(s)) => s == client_id,
            Some(serde_json::Value::Array(list)) => list.iter().any(|v| v == client_id),
            _ => false,
        }
    }
}

/// The org's OIDC web app as a client.
pub struct WebClient {
    http: reqwest::Client,
    origin: String,
    client_id: String,
    auth: WebClientAuth,
    signing_key: Option<SigningKey>,
}

impl std::fmt::Debug for WebClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebClient")
            .field("origin", &self.origin)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl WebClient {
    pub fn new(
        org_url: &url::Url,
        client_id: &str,
        auth: WebClientAuth,
        http: reqwest::Client,
    ) -> Result<Self, AuthError> {
        let signing_key = match &auth {
            WebClientAuth::PrivateKeyJwt { key, .. } => Some(SigningKey::parse(key)?),
            WebClientAuth::ClientSecret(_) => None,
        };
        Ok(Self {
            http,
            origin: org_url.origin().ascii_serialization(),
            client_id: client_id.to_owned(),
            auth,
            signing_key,
        })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The org's issuer (its origin), which ID tokens of the org authorization server carry.
    pub fn issuer(&self) -> &str {
        &self.origin
    }

    fn token_endpoint(&self) -> String {
        format!("{}/oauth2/v1/token", self.origin)
    }

    /// Where to send the person's browser: the org's `/oauth2/v1/authorize` with code + PKCE S256.
    pub fn authorize_url(
        &self,
        redirect_uri: &str,
        scopes: &[String],
        state: &str,
        verifier: &Secret,
        nonce: &str,
    ) -> url::Url {
        let mut url = url::Url::parse(&format!("{}/oauth2/v1/authorize", self.origin))
            .expect("an origin plus a path is a URL");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &pkce_challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        url
    }

    /// Redeems the code the org sent to our callback.
    pub async fn exchange_code(
        &self,
        code: &Secret,
        redirect_uri: &str,
        verifier: &Secret,
    ) -> Result<WebTokens, AuthError> {
        let endpoint = self.token_endpoint();
        let form = || {
            let mut form = self.client_auth(&endpoint)?;
            form.push(("grant_type", "authorization_code".into()));
            form.push(("code", code.expose().to_owned()));
            form.push(("redirect_uri", redirect_uri.to_owned()));
            form.push(("code_verifier", verifier.expose().to_owned()));
            Ok(form)
        };
        self.token(&endpoint, &form, Step::AuthorizationCode).await
    }

    /// Refresh token grant; the answer may carry a rotated refresh token.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<WebTokens, AuthError> {
        let endpoint = self.token_endpoint();
        let form = || {
            let mut form = self.client_auth(&endpoint)?;
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", refresh_token.expose().to_owned()));
            Ok(form)
        };
        let mut tokens = self.token(&endpoint, &form, Step::Refresh).await?;
        if tokens.refresh_token.is_none() {
            // Okta keeps the old refresh token valid when rotation is off.
            tokens.refresh_token = Some(refresh_token.clone());
        }
        Ok(tokens)
    }

    /// RFC 7009 revocation at the org (`hint`: `access_token` or `refresh_token`).
    pub async fn revoke(&self, token: &Secret, hint: &str) -> Result<(), AuthError> {
        let endpoint = format!("{}/oauth2/v1/revoke", self.origin);
        let form = self.client_auth(&endpoint)?;
        crate::oauth::revoke(&self.http, &endpoint, form, token, hint)
            .await
            .map_err(|e| to_auth_error(e, Step::Refresh))
    }

    async fn token(
        &self,
        endpoint: &str,
        form: crate::oauth::FormFn<'_>,
        step: Step,
    ) -> Result<WebTokens, AuthError> {
        let mut dpop = DpopSession::default();
        let resend = match step {
            Step::Refresh => Resend::Never,
            _ => Resend::Allowed,
        };
        let (record, id_token) = crate::oauth::token_request_with_id_token(
            &self.http,
            endpoint,
            form,
            &mut dpop,
            &[],
            resend,
        )
        .await
        .map_err(|e: CallError| to_auth_error(e, step))?;
        let access_token = record.access_token.clone().ok_or_else(|| {
            AuthError::Network("the token endpoint answered without a token".into())
        })?;
        let expires_at = record
            .access_expiry()
            .unwrap_or_else(|| crate::jwt::now_secs() + 3600);
        Ok(WebTokens {
            access_token,
            refresh_token: record.refresh_token,
            expires_at,
            scopes: record.scopes,
            id_token,
        })
    }

    fn client_auth(&self, endpoint: &str) -> Result<Vec<(&'static str, String)>, AuthError> {
        let mut form = vec![("client_id", self.client_id.clone())];
        match (&self.auth, &self.signing_key) {
            (WebClientAuth::ClientSecret(secret), _) => {
                form.push(("client_secret", secret.expose().to_owned()));
            }
            (WebClientAuth::PrivateKeyJwt { key_id, .. }, Some(key)) => {
                let assertion =
                    crate::assertion::client_assertion(key, key_id, &self.client_id, endpoint)?;
                form.push(("client_assertion_type", ASSERTION_TYPE.into()));
                form.push(("client_assertion", assertion.expose().to_owned()));
            }
            (WebClientAuth::PrivateKeyJwt { .. }, None) => {
                return Err(AuthError::Config("the private key was not loaded".into()));
            }
        }
        Ok(form)
    }
}

/// A fresh PKCE code verifier (RFC 7636: 43 characters of base64url from 32 random bytes).
pub fn pkce_verifier() -> Secret {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::new(URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of `verifier`: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &Secret) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.expose().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_the_rfc_7636_example() {
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pkce_challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(pkce_verifier().expose().len(), 43);
    }
}
