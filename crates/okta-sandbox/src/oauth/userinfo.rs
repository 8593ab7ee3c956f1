//! `GET /oauth2/v1/userinfo`: the signed-in person's claims, per granted scope.

use super::OAuthServer;
use super::jwt::now_secs;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) async fn userinfo_endpoint(
    State(server): State<OAuthServer>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return challenge(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The access token is missing.",
        );
    };
    let grant = match server.resolve_access_token(token, now_secs(), true) {
        Ok(grant) => grant,
        Err(why) => return challenge(StatusCode::UNAUTHORIZED, "invalid_token", why),
    };
    let has = |scope: &str| grant.scopes.iter().any(|s| s == scope);
    let any_claims = ["profile", "email", "address", "phone"]
        .iter()
        .any(|s| has(s));
    if !grant.user || !has("openid") || !any_claims {
        return challenge(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The access token must provide access to at least one of these scopes - profile, email, address or phone",
        );
    }
    let Some(person) = server.find_user(grant.user_id.as_deref().unwrap_or(&grant.subject)) else {
        return challenge(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The user this access token was issued to no longer exists.",
        );
    };
    let mut claims = serde_json::json!({ "sub": person.id });
    if has("profile") {
        claims["name"] = person.name().into();
        claims["preferred_username"] = person.login.clone().into();
        claims["given_name"] = person.first_name.clone().into();
        claims["family_name"] = person.last_name.clone().into();
        if let Some(locale) = &person.locale {
            claims["locale"] = locale.clone().into();
        }
        if let Some(zone) = &person.time_zone {
            claims["zoneinfo"] = zone.clone().into();
        }
        if let Some(updated) = person.updated_at {
            claims["updated_at"] = updated.into();
        }
    }
    if has("email") {
        claims["email"] = person.email.clone().into();
        claims["email_verified"] = true.into();
    }
    (StatusCode::OK, Json(claims)).into_response()
}

fn challenge(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = status.into_response();
    let value = format!(
        "Bearer error=\"{error}\", error_description=\"{}\"",
        description.replace('"', "'")
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
