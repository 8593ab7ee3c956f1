//! The bearer check in front of `/mcp`: only an access token this server issued, unexpired,
//! for this resource and of a live grant, gets through, as a [`Caller`] in the request's
//! extensions. Anything else is a 401 whose `WWW-Authenticate` names the resource metadata
//! (RFC 9728 §5.1). A `tools/call` of a tool whose scope the token lacks is a 403
//! `insufficient_scope` naming it, so the client can ask for it (step-up); that check reads
//! the body, so it runs inside the front's admission, which bounds it.

use super::*;
use crate::server::exposure::scope_granted;
use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn challenge(
    team: &Team,
    status: StatusCode,
    error: Option<(&str, &str)>,
    scope: &str,
) -> Response {
    let mut value = format!(
        "Bearer resource_metadata=\"{}\", scope=\"{scope}\"",
        team.resource_metadata_url()
    );
    if let Some((error, description)) = error {
        value.push_str(&format!(
            ", error=\"{error}\", error_description=\"{}\"",
            description.replace('"', "'")
        ));
    }
    let body = json!({
        "error": error.map(|(e, _)| e).unwrap_or("unauthorized"),
        "error_description": error.map(|(_, d)| d).unwrap_or("sign in: this server needs an access token it issued"),
    });
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn bearer_token(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

pub async fn require(Shared(team): Shared<Arc<Team>>, request: Request, next: Next) -> Response {
    let all_scopes = team.scopes.join(" ");
    let Some(token) = bearer_token(&request) else {
        return challenge(&team, StatusCode::UNAUTHORIZED, None, &all_scopes);
    };
    let access = match team.state.access(token).await {
        Ok(Some(access)) if access.audience == team.resource => access,
        Ok(_) => {
            return challenge(
                &team,
                StatusCode::UNAUTHORIZED,
                Some((
                    "invalid_token",
                    "the access token is not one this server issued for this resource, or it expired or was revoked",
                )),
                &all_scopes,
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "the state store failed while checking a bearer token");
            return state_store_unreachable();
        }
    };
    if let Err(e) = team.state.touch(&access.grant_id).await {
        tracing::debug!(error = %e, "could not record a grant's last use");
    }
    let mut request = request;
    request.extensions_mut().insert(Caller::from(&*access));
    next.run(request).await
}

/// 503 while the state store cannot be reached (Redis down or slow): nothing was done, and
/// the same request will work once it is back.
pub fn state_store_unreachable() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({
            "error": "temporarily_unavailable",
            "error_description": "the server's state store is unreachable; nothing was done: retry in a moment",
        })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The scope check of `tools/call`, run after the HTTP front read the body within its limit.
pub async fn require_scopes(
    Shared(team): Shared<Arc<Team>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return next.run(request).await;
    };
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // Already read and bounded (OKTA_MCP_MAX_BODY_BYTES) by the front's admission.
    let Ok(bytes) = axum::body::to_bytes(body, team.max_body_bytes).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        )
            .into_response();
    };
    if let Some((tool, scope)) = missing_scope(&team, &caller, &bytes) {
        let mut wanted: Vec<String> = caller.scopes.to_vec();
        wanted.push(scope.to_owned());
        return challenge(
            &team,
            StatusCode::FORBIDDEN,
            Some((
                "insufficient_scope",
                &format!("{tool} needs the scope {scope}, which this token was not granted"),
            )),
            &wanted.join(" "),
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The first `tools/call` in the message (or batch) whose tool needs a scope the caller lacks.
fn missing_scope(team: &Team, caller: &Caller, body: &[u8]) -> Option<(String, &'static str)> {
    let message: Value = serde_json::from_slice(body).ok()?;
    let calls: Vec<&Value> = match &message {
        Value::Array(batch) => batch.iter().collect(),
        single => vec![single],
    };
    calls.into_iter().find_map(|call| {
        if call.get("method")?.as_str()? != "tools/call" {
            return None;
        }
        let name = call.get("params")?.get("name")?.as_str()?;
        let scope = *team.tool_scopes.get(name)?;
        (!scope_granted(&caller.scopes[..], scope)).then(|| (name.to_owned(), scope))
    })
}
