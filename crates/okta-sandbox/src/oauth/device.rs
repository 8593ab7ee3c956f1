//! Device authorization (RFC 8628): /oauth2/v1/device/authorize, the /activate page a
//! person opens, and the loopback JSON endpoint tests use to approve or deny.

use super::errors::OAuthError;
use super::jwt::now_secs;
use super::state::{Counters, DeviceAuth, DeviceStatus};
use super::token::{check_granted, parse_form, requested_scopes};
use super::{ACTIVATE_PATH, DEFAULT_DEVICE_SUBJECT, OAuthServer, keys};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use rand::Rng;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Letters that cannot spell words or be confused with digits (as RFC 8628 §6.1 suggests).
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

pub(crate) async fn authorize_endpoint(State(server): State<OAuthServer>, body: Bytes) -> Response {
    Counters::bump(&server.inner.counters.device_authorizations);
    match server.start_device_authorization(&parse_form(&body)) {
        Ok(body) => (StatusCode::OK, Json(body)).into_response(),
        Err(error) => error.into_response(),
    }
}

impl OAuthServer {
    fn start_device_authorization(
        &self,
        form: &HashMap<String, String>,
    ) -> Result<serde_json::Value, OAuthError> {
        let client_id = form
            .get("client_id")
            .ok_or_else(|| OAuthError::invalid_client("The 'client_id' parameter is required."))?;
        let client = self.state().clients.get(client_id).cloned().ok_or_else(|| {
            OAuthError::invalid_client(format!(
                "Client authentication failed: no client with id '{client_id}' is registered in this org."
            ))
        })?;
        if !client.is_public() {
            return Err(OAuthError::unauthorized_client(format!(
                "Client '{client_id}' is not allowed the device authorization grant; use a native app with the Device Authorization grant type."
            )));
        }
        let scopes = requested_scopes(form);
        if scopes.is_empty() {
            return Err(OAuthError::invalid_scope(
                "The 'scope' parameter is required.",
            ));
        }
        check_granted(&client, &scopes)?;
        let device_code = keys::random_token(32);
        let user_code = new_user_code();
        let issuer = self.issuer().to_string();
        let mut state = self.state();
        let (interval, expires_in) = (state.device_interval, state.device_expires_in);
        let hash = keys::sha256_b64(&device_code);
        state.user_codes.insert(user_code.clone(), hash.clone());
        state.devices.insert(
            hash,
            DeviceAuth {
                client_id: client_id.clone(),
                scopes,
                user_code: user_code.clone(),
                expires_at: now_secs() + expires_in as i64,
                interval,
                last_poll: None,
                status: DeviceStatus::Pending,
            },
        );
        Ok(serde_json::json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": format!("{issuer}{ACTIVATE_PATH}"),
            "verification_uri_complete": format!("{issuer}{ACTIVATE_PATH}?user_code={user_code}"),
            "expires_in": expires_in,
            "interval": interval,
        }))
    }
}

fn new_user_code() -> String {
    let mut rng = rand::thread_rng();
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char);
    }
    code
}

/// Accepts `abcd efgh`, `ABCDEFGH` or `ABCD-EFGH`.
fn normalize_user_code(raw: &str) -> String {
    let letters: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() == 8 {
        format!("{}-{}", &letters[..4], &letters[4..])
    } else {
        letters
    }
}

/// Records a person's decision on a pending, unexpired user code.
pub(crate) fn decide(
    server: &OAuthServer,
    user_code: &str,
    approve: bool,
    subject: Option<&str>,
) -> bool {
    let code = normalize_user_code(user_code);
    let mut state = server.state();
    let Some(hash) = state.user_codes.get(&code).cloned() else {
        return false;
    };
    match state.devices.get_mut(&hash) {
        Some(device)
            if device.status == DeviceStatus::Pending && device.expires_at > now_secs() =>
        {
            device.status = if approve {
                DeviceStatus::Approved {
                    subject: subject.unwrap_or(DEFAULT_DEVICE_SUBJECT).to_string(),
                    at: now_secs(),
                }
            } else {
                DeviceStatus::Denied
            };
            true
        }
        _ => false,
    }
}

pub(crate) async fn activate_page(
    State(server): State<OAuthServer>,
    Query(query): Query<HashMap<String, String>>,
) -> Html<String> {
    let code = query
        .get("user_code")
        .map(|c| normalize_user_code(c))
        .unwrap_or_default();
    let request = pending_request(&server, &code)
        .map(|(client, scopes)| {
            let items: String = scopes
                .iter()
                .map(|s| format!("<li><code>{}</code></li>", html_escape(s)))
                .collect();
            format!(
                "<p>Application <code>{}</code> asks for:</p><ul>{items}</ul>",
                html_escape(&client)
            )
        })
        .unwrap_or_default();
    Html(page(&format!(
        r#"<h1>Activate your device</h1>
<p>Check that this code matches the one shown by the application, then approve or deny.</p>
{request}
<form method="post" action="{ACTIVATE_PATH}">
  <label for="user_code">Code</label>
  <input id="user_code" name="user_code" value="{}" autocomplete="off" autofocus>
  <button name="action" value="approve" type="submit">Approve</button>
  <button name="action" value="deny" type="submit">Deny</button>
</form>"#,
        html_escape(&code)
    )))
}

/// The client and scopes behind a pending, unexpired user code.
fn pending_request(server: &OAuthServer, user_code: &str) -> Option<(String, Vec<String>)> {
    let state = server.state();
    let hash = state.user_codes.get(user_code)?;
    state
        .devices
        .get(hash)
        .filter(|d| d.status == DeviceStatus::Pending && d.expires_at > now_secs())
        .map(|d| (d.client_id.clone(), d.scopes.clone()))
}

pub(crate) async fn activate_submit(State(server): State<OAuthServer>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let code = form.get("user_code").map(String::as_str).unwrap_or("");
    let approve = form.get("action").map(String::as_str) == Some("approve");
    if decide(&server, code, approve, None) {
        let message = if approve {
            "Device activated. You can close this window and return to the application."
        } else {
            "Sign-in denied. The application will not get access."
        };
        Html(page(&format!("<h1>Done</h1><p>{message}</p>"))).into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            Html(page(&format!(
                r#"<h1>Code not recognised</h1><p>The code is wrong, expired or already used.</p><p><a href="{ACTIVATE_PATH}">Try again</a></p>"#
            ))),
        )
            .into_response()
    }
}

#[derive(serde::Deserialize)]
struct ApproveRequest {
    user_code: String,
    approve: bool,
    subject: Option<String>,
}

/// Loopback only: refuses callers whose address is known and is not loopback.
pub(crate) async fn approve_endpoint(
    State(server): State<OAuthServer>,
    request: Request,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && !peer.ip().is_loopback()
    {
        return (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({"error": "loopback only"})),
        )
            .into_response();
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "unreadable body"})),
        )
            .into_response();
    };
    let Ok(decision) = serde_json::from_slice::<ApproveRequest>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                serde_json::json!({"error": "expected {\"user_code\": string, \"approve\": bool}"}),
            ),
        )
            .into_response();
    };
    if decide(
        &server,
        &decision.user_code,
        decision.approve,
        decision.subject.as_deref(),
    ) {
        let status = if decision.approve {
            "approved"
        } else {
            "denied"
        };
        (
            StatusCode::OK,
            Json(serde_json::json!({ "status": status })),
        )
            .into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(
                serde_json::json!({"error": "no pending device authorization with that user code"}),
            ),
        )
            .into_response()
    }
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sandbox org: device activation</title></head><body>{body}</body></html>"
    )
}

fn html_escape(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
