//! The bearer check in front of `/mcp`: only an access token this server issued, unexpired,
//! for this resource and of a live grant, gets through, as a [`Caller`] in the request's
//! extensions. Anything else is a 401 whose `WWW-Authenticate` names the resource metadata
//! (RFC 9728 §5.1). A `tools/call` of a tool whose scope the token lacks is a 403
//! `insufficient_scope` naming it, so the client can ask for it (step-up); that check reads
//! the body, so it runs inside the front's admission, which bounds it.

use super::people::ReadWithGrant;
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
    let Some(token) = bearer_token(&request) else {
        return challenge(
            &team,
            StatusCode::UNAUTHORIZED,
            None,
            &team.scopes.join(" "),
        );
    };
    let (access, tokens) = match team.state.access_with_tokens(token).await {
        Ok(Some((access, tokens))) if access.audience == team.resource => (access, tokens),
        Ok(_) => {
            return challenge(
                &team,
                StatusCode::UNAUTHORIZED,
                Some((
                    "invalid_token",
                    "the access token is not one this server issued for this resource, or it expired or was revoked",
                )),
                &team.scopes.join(" "),
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
    if let Some(tokens) = tokens {
        request.extensions_mut().insert(ReadWithGrant(tokens));
    }
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
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Some(caller) = parts.extensions.get::<Caller>() else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    // Already read and bounded (OKTA_MCP_MAX_BODY_BYTES) by the front's admission.
    let Ok(bytes) = axum::body::to_bytes(body, team.max_body_bytes).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        )
            .into_response();
    };
    if let Some((tool, scope)) = missing_scope(&team, caller, &bytes) {
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
    let lacking = |name: &str| {
        let scope = *team.tool_scopes.get(name)?;
        (!scope_granted(&caller.scopes[..], scope)).then(|| (name.to_owned(), scope))
    };
    match called_tools(body) {
        Some(names) => names.iter().find_map(|name| lacking(name)),
        None => called_tools_in_value(body)?
            .iter()
            .find_map(|name| lacking(name)),
    }
}

/// The tools a message (or batch) calls, read without building the message: a get_user
/// over HTTP spent 14k instructions building it as a [`Value`] for the one name it needed.
/// None when the message is shaped otherwise (a member of another type, a duplicate key):
/// then [`called_tools_in_value`] reads it as it always was, so no odd message slips by.
fn called_tools(body: &[u8]) -> Option<Vec<std::borrow::Cow<'_, str>>> {
    use serde_json::value::RawValue;
    use std::borrow::Cow;
    #[derive(serde::Deserialize)]
    struct Message<'a> {
        #[serde(borrow)]
        method: Option<Cow<'a, str>>,
        #[serde(borrow)]
        params: Option<&'a RawValue>,
    }
    #[derive(serde::Deserialize)]
    struct CallParams<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
    }
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let messages: Vec<Message> = if batch {
        serde_json::from_slice(body).ok()?
    } else {
        vec![serde_json::from_slice(body).ok()?]
    };
    let mut names = Vec::new();
    for message in messages {
        if message.method.as_deref() != Some("tools/call") {
            continue;
        }
        let params: CallParams = serde_json::from_str(message.params?.get()).ok()?;
        names.push(params.name);
    }
    Some(names)
}

/// [`called_tools`] for any JSON: every `tools/call` whose `params.name` is a string.
fn called_tools_in_value(body: &[u8]) -> Option<Vec<String>> {
    let message: Value = serde_json::from_slice(body).ok()?;
    let calls: Vec<&Value> = match &message {
        Value::Array(batch) => batch.iter().collect(),
        single => vec![single],
    };
    Some(
        calls
            .into_iter()
            .filter(|call| call.get("method").and_then(Value::as_str) == Some("tools/call"))
            .filter_map(|call| call.get("params")?.get("name")?.as_str().map(str::to_owned))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_reading_finds_what_the_whole_reading_finds() {
        let bodies = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id":"00u1"}}}"#,
            r#"{"params":{"arguments":{"name":"not this"},"name":"delete_user"},"method":"tools\/call","id":"a"}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"x"}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#,
            r#" [{"method":"tools/call","params":{"name":"list_users"}},{"method":"ping"},{"method":"tools/call","params":{"name":"deactivate_user"}}]"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_\u0075ser"}}"#,
        ];
        let expected: [&[&str]; 6] = [
            &["get_user"],
            &["delete_user"],
            &[],
            &[],
            &["list_users", "deactivate_user"],
            &["get_user"],
        ];
        for (body, expected) in bodies.iter().zip(expected) {
            let quick = called_tools(body.as_bytes()).expect(body);
            assert_eq!(quick, expected, "{body}");
            assert_eq!(
                called_tools_in_value(body.as_bytes()).unwrap(),
                expected,
                "{body}"
            );
        }
    }

    #[test]
    fn an_oddly_shaped_message_is_read_whole_so_no_call_slips_by() {
        // Each is left to the whole reading (None), which still finds the call.
        let odd = [
            // A duplicate key: the last one counts, as serde_json's Value has it.
            (
                r#"{"method":"ping","method":"tools/call","params":{"name":"delete_user"}}"#,
                vec!["delete_user"],
            ),
            (
                r#"{"method":"tools/call","params":{"name":"get_user","name":"delete_user"}}"#,
                vec!["delete_user"],
            ),
            // A member of another type next to a real call in a batch.
            (
                r#"[{"method":7},{"method":"tools/call","params":{"name":"delete_user"}}]"#,
                vec!["delete_user"],
            ),
            (
                r#"[3,{"method":"tools/call","params":{"name":"delete_user"}}]"#,
                vec!["delete_user"],
            ),
            (r#"{"method":"tools/call","params":{"name":5}}"#, vec![]),
            (r#"{"method":"tools/call"}"#, vec![]),
        ];
        for (body, expected) in odd {
            assert_eq!(called_tools(body.as_bytes()), None, "{body}");
            assert_eq!(
                called_tools_in_value(body.as_bytes()).unwrap(),
                expected,
                "{body}"
            );
        }
        assert_eq!(called_tools(b"not json"), None);
        assert_eq!(called_tools_in_value(b"not json"), None);
    }
}
