//! The org authorization server's endpoints as seen by the client: token requests (with the
//! DPoP nonce and DPoP upgrade retries), device authorization and revocation.

use crate::dpop::DpopKey;
use crate::jwt::now_secs;
use crate::record::TokenRecord;
use crate::{AuthError, Secret};
use serde::Deserialize;

pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Endpoint URLs of the org authorization server.
#[derive(Clone, Debug)]
pub(crate) struct Endpoints {
    pub token: String,
    pub device: String,
    pub revoke: String,
}

impl Endpoints {
    pub fn new(org: &url::Url) -> Self {
        // The org authorization server lives at the origin; a path in OKTA_ORG_URL is ignored,
        // as it is for the cache key.
        let origin = org.origin().ascii_serialization();
        Self {
            token: format!("{origin}/oauth2/v1/token"),
            device: format!("{origin}/oauth2/v1/device/authorize"),
            revoke: format!("{origin}/oauth2/v1/revoke"),
        }
    }
}

/// A failed call: the org's OAuth error, or no usable answer at all.
#[derive(Debug)]
pub(crate) enum CallError {
    OAuth {
        status: u16,
        error: String,
        description: String,
    },
    Network(String),
    Protocol(String),
    Local(AuthError),
}

impl CallError {
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            CallError::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<AuthError> for CallError {
    fn from(e: AuthError) -> Self {
        CallError::Local(e)
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(rename = "errorSummary")]
    error_summary: Option<String>,
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    token_type: Option<String>,
    expires_in: Option<i64>,
    refresh_token: Option<String>,
    scope: Option<String>,
    id_token: Option<String>,
}

/// The DPoP side of a run of token requests: the key (once one is used) and the latest nonce.
#[derive(Default)]
pub(crate) struct DpopSession {
    pub key: Option<DpopKey>,
    pub nonce: Option<String>,
    /// Generate a key and retry when the org answers that DPoP is required.
    pub upgrade_allowed: bool,
}

/// Builds a fresh form per attempt (client assertions must not be reused).
pub(crate) type FormFn<'a> =
    &'a (dyn Fn() -> Result<Vec<(&'static str, String)>, AuthError> + Sync);

/// POSTs a token request; returns the new record (DPoP key attached when one was used).
pub(crate) async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    form: FormFn<'_>,
    dpop: &mut DpopSession,
    requested_scopes: &[String],
) -> Result<TokenRecord, CallError> {
    token_request_with_id_token(http, endpoint, form, dpop, requested_scopes)
        .await
        .map(|(record, _)| record)
}

/// Like [`token_request`], also returning the OIDC ID token when the org sent one.
pub(crate) async fn token_request_with_id_token(
    http: &reqwest::Client,
    endpoint: &str,
    form: FormFn<'_>,
    dpop: &mut DpopSession,
    requested_scopes: &[String],
) -> Result<(TokenRecord, Option<Secret>), CallError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut request = http
            .post(endpoint)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form()?);
        if let Some(key) = &dpop.key {
            let proof = key.proof("POST", endpoint, None, dpop.nonce.as_deref())?;
            request = request.header("DPoP", proof.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|e| CallError::Network(describe(&e)))?;
        if let Some(nonce) = response
            .headers()
            .get("DPoP-Nonce")
            .and_then(|v| v.to_str().ok())
        {
            dpop.nonce = Some(nonce.to_string());
        }
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CallError::Network(describe(&e)))?;
        if status.is_success() {
            let raw: RawTokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
                CallError::Protocol(format!(
                    "the token endpoint answered {status} without a token"
                ))
            })?;
            let id_token = raw.id_token.clone().map(Secret::new);
            return Ok((
                into_record(raw, requested_scopes, dpop.key.as_ref()),
                id_token,
            ));
        }
        let failure = oauth_failure(status.as_u16(), &bytes);
        let retry = attempts < 3
            && match failure.oauth_error() {
                Some("use_dpop_nonce") => dpop.key.is_some() && dpop.nonce.is_some(),
                Some("invalid_dpop_proof") if dpop.key.is_none() && dpop.upgrade_allowed => {
                    tracing::info!("the token endpoint requires DPoP; retrying with a DPoP proof");
                    dpop.key = Some(DpopKey::generate()?);
                    true
                }
                _ => false,
            };
        if !retry {
            return Err(failure);
        }
    }
}

fn into_record(raw: RawTokenResponse, requested: &[String], dpop: Option<&DpopKey>) -> TokenRecord {
    let now = now_secs();
    let scopes = match raw.scope {
        Some(scope) => scope.split_whitespace().map(str::to_string).collect(),
        None => requested.to_vec(),
    };
    let token_type = raw.token_type.unwrap_or_else(|| "Bearer".into());
    let bound = token_type.eq_ignore_ascii_case("DPoP");
    TokenRecord {
        access_token: Some(Secret::new(raw.access_token)),
        token_type,
        expires_at: raw.expires_in.map(|s| now + s),
        refresh_token: raw.refresh_token.map(Secret::new),
        scopes,
        dpop_key: if bound {
            dpop.map(DpopKey::to_stored)
        } else {
            None
        },
        obtained_at: now,
    }
}

fn oauth_failure(status: u16, bytes: &[u8]) -> CallError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) if body.error.is_some() || body.error_summary.is_some() => CallError::OAuth {
            status,
            error: body.error.unwrap_or_else(|| "error".into()),
            description: body
                .error_description
                .or(body.error_summary)
                .unwrap_or_default(),
        },
        _ => CallError::Protocol(format!(
            "the org answered HTTP {status} without an OAuth error body; check that OKTA_ORG_URL is the org's base URL (e.g. https://acme.okta.com)"
        )),
    }
}

/// A reqwest error with its causes; it names the URL, never a request body.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The org's answer to a device authorization request.
#[derive(Deserialize)]
pub(crate) struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    pub interval: Option<u64>,
}

pub(crate) async fn device_authorize(
    http: &reqwest::Client,
    endpoint: &str,
    client_id: &str,
    scopes: &[String],
) -> Result<DeviceAuthorization, CallError> {
    let form = [
        ("client_id", client_id.to_string()),
        ("scope", scopes.join(" ")),
    ];
    let response = http
        .post(endpoint)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| CallError::Network(describe(&e)))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| CallError::Network(describe(&e)))?;
    if !status.is_success() {
        return Err(oauth_failure(status.as_u16(), &bytes));
    }
    serde_json::from_slice(&bytes).map_err(|_| {
        CallError::Protocol(
            "the device authorization endpoint answered without a device code".into(),
        )
    })
}

/// RFC 7009 revocation of one token.
pub(crate) async fn revoke(
    http: &reqwest::Client,
    endpoint: &str,
    mut form: Vec<(&'static str, String)>,
    token: &Secret,
    hint: &str,
) -> Result<(), CallError> {
    form.push(("token", token.expose().to_string()));
    form.push(("token_type_hint", hint.to_string()));
    let response = http
        .post(endpoint)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| CallError::Network(describe(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let bytes = response.bytes().await.unwrap_or_default();
    Err(oauth_failure(status.as_u16(), &bytes))
}
