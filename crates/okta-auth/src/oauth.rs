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
    /// The token endpoint kept answering 5xx through every retry.
    Unavailable {
        attempts: u32,
        last: String,
    },
    /// A grant that is never sent twice ([`Resend::Never`]) may have reached the org, but
    /// its answer was a 5xx or was lost.
    NotResent {
        last: String,
    },
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

/// Retries of a token request that failed with a 5xx or in transport, for the grants that
/// may be repeated ([`Resend::Allowed`]).
const TOKEN_RETRIES: u32 = 3;

/// Whether a token request that may have reached the org (a 5xx, a connection lost after
/// sending) is sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resend {
    /// Retried with backoff: a client assertion is made afresh per attempt, a device code is
    /// polled anyway.
    Allowed,
    /// Never: a refresh token grant. The org may have redeemed (and rotated) the token before
    /// the failure, so sending it again could be refresh-token reuse, which ends the sign-in.
    /// The call fails instead; the next one starts again from the token store, which holds
    /// whatever the last complete refresh left. Only a connection never made is tried again
    /// (nothing was sent), and DPoP nonce challenges are answered (the org redeemed nothing).
    Never,
}

/// The wait before retry `n` (1-based): 250 ms, 500 ms, 1 s, each plus up to half again,
/// so servers started together do not retry in step. About 2.6 s at most in all.
fn token_retry_delay(n: u32) -> std::time::Duration {
    use rand::Rng;
    let base = 250u64 << (n.saturating_sub(1).min(4));
    std::time::Duration::from_millis(base + rand::thread_rng().gen_range(0..=base / 2))
}

/// POSTs a token request; returns the new record (DPoP key attached when one was used).
/// 5xx answers and transport failures are retried with backoff (`TOKEN_RETRIES`).
pub(crate) async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    form: FormFn<'_>,
    dpop: &mut DpopSession,
    requested_scopes: &[String],
    resend: Resend,
) -> Result<TokenRecord, CallError> {
    token_request_with_id_token(http, endpoint, form, dpop, requested_scopes, resend)
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
    resend: Resend,
) -> Result<(TokenRecord, Option<Secret>), CallError> {
    let mut attempts = 0;
    let mut transient = 0;
    loop {
        attempts += 1;
        match token_attempt(http, endpoint, form, dpop, requested_scopes).await {
            Attempt::Done(record) => return Ok(record),
            Attempt::Failed(failure) => {
                let retry = attempts < 3
                    && match failure.oauth_error() {
                        Some("use_dpop_nonce") => dpop.key.is_some() && dpop.nonce.is_some(),
                        Some("invalid_dpop_proof")
                            if dpop.key.is_none() && dpop.upgrade_allowed =>
                        {
                            tracing::info!(
                                "the token endpoint requires DPoP; retrying with a DPoP proof"
                            );
                            dpop.key = Some(DpopKey::generate()?);
                            true
                        }
                        _ => false,
                    };
                if !retry {
                    return Err(failure);
                }
            }
            Attempt::Transient(why) => {
                if resend == Resend::Never && !why.never_sent() {
                    tracing::info!(error = %why, "the token endpoint failed; a refresh token is not sent twice");
                    return Err(CallError::NotResent {
                        last: why.to_string(),
                    });
                }
                transient += 1;
                if transient > TOKEN_RETRIES {
                    // Unreachable stays a network error (check the URL, the proxy); an org
                    // that answers but keeps failing is Okta's trouble, not the settings'.
                    return Err(match why {
                        Transient::Unconnected(e) | Transient::Transport(e) => {
                            CallError::Network(format!("{e} (tried {transient} times)"))
                        }
                        Transient::Status(status) => CallError::Unavailable {
                            attempts: transient,
                            last: format!("HTTP {status}"),
                        },
                    });
                }
                let delay = token_retry_delay(transient);
                tracing::info!(
                    error = %why,
                    retry_in_ms = delay.as_millis() as u64,
                    "the token endpoint failed; retrying"
                );
                tokio::time::sleep(delay).await;
                // Transient failures do not count against the DPoP retries.
                attempts -= 1;
            }
        }
    }
}

/// The outcome of one token request.
enum Attempt {
    /// The token, and the OIDC ID token when the org sent one.
    Done((TokenRecord, Option<Secret>)),
    Failed(CallError),
    /// Worth another try.
    Transient(Transient),
}

enum Transient {
    /// No connection could be made: nothing reached the org.
    Unconnected(String),
    /// The request or its answer was lost (connection reset, timeout).
    Transport(String),
    /// The org answered with this 5xx.
    Status(reqwest::StatusCode),
}

impl Transient {
    fn lost(error: &reqwest::Error) -> Self {
        if error.is_connect() {
            Transient::Unconnected(describe(error))
        } else {
            Transient::Transport(describe(error))
        }
    }

    /// Whether the request certainly never reached the org.
    fn never_sent(&self) -> bool {
        matches!(self, Transient::Unconnected(_))
    }
}

impl std::fmt::Display for Transient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transient::Unconnected(e) | Transient::Transport(e) => f.write_str(e),
            Transient::Status(status) => write!(f, "HTTP {status}"),
        }
    }
}

async fn token_attempt(
    http: &reqwest::Client,
    endpoint: &str,
    form: FormFn<'_>,
    dpop: &mut DpopSession,
    requested_scopes: &[String],
) -> Attempt {
    let form = match form() {
        Ok(form) => form,
        Err(e) => return Attempt::Failed(e.into()),
    };
    {
        let mut request = http
            .post(endpoint)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        if let Some(key) = &dpop.key {
            let proof = match key.proof("POST", endpoint, None, dpop.nonce.as_deref()) {
                Ok(proof) => proof,
                Err(e) => return Attempt::Failed(e.into()),
            };
            request = request.header("DPoP", proof.expose());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Attempt::Transient(Transient::lost(&e)),
        };
        if let Some(nonce) = response
            .headers()
            .get("DPoP-Nonce")
            .and_then(|v| v.to_str().ok())
        {
            dpop.nonce = Some(nonce.to_string());
        }
        let status = response.status();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return Attempt::Transient(Transient::Transport(describe(&e))),
        };
        if status.is_success() {
            return match serde_json::from_slice::<RawTokenResponse>(&bytes) {
                Ok(raw) => {
                    let id_token = raw.id_token.clone().map(Secret::new);
                    Attempt::Done((
                        into_record(raw, requested_scopes, dpop.key.as_ref()),
                        id_token,
                    ))
                }
                Err(_) => Attempt::Failed(CallError::Protocol(format!(
                    "the token endpoint answered {status} without a token"
                ))),
            };
        }
        if status.is_server_error() {
            return Attempt::Transient(Transient::Status(status));
        }
        Attempt::Failed(oauth_failure(status.as_u16(), &bytes))
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
