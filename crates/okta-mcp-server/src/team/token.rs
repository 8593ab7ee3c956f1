//! `/token` (authorization_code with PKCE; refresh_token with rotation and reuse detection)
//! and `/revoke` (RFC 7009). Every client is public: PKCE and the code's binding to its
//! client and redirect URI stand in for a client secret.

use super::authorize::is_our_resource;
use super::state::{Grant, Refreshed};
use super::*;
use axum::Json;
use axum::extract::{Form, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use okta_auth::Secret;
use serde_json::json;
use std::collections::HashMap;

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn bad(error: &str, description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, error, description)
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "the state store failed during a token request");
    token_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the server's state store is unreachable; nothing was done: retry in a moment",
    )
}

/// The form fields, read as a map so a missing field gets a named error (and no field's
/// value ever reaches a rejection message).
type Fields = HashMap<String, String>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

pub async fn token(
    Shared(team): Shared<Arc<Team>>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(fields)) = form else {
        return bad(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    if let Some(resource) = field(&fields, "resource")
        && !is_our_resource(&team, resource)
    {
        return bad(
            "invalid_target",
            &format!(
                "resource must be this server's MCP endpoint, {}",
                team.resource
            ),
        );
    }
    match field(&fields, "grant_type") {
        Some("authorization_code") => authorization_code(&team, &fields).await,
        Some("refresh_token") => refresh_token(&team, &fields).await,
        Some(_) => bad(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
        None => bad("invalid_request", "grant_type is missing"),
    }
}

async fn authorization_code(team: &Team, fields: &Fields) -> Response {
    let (Some(code), Some(client_id), Some(verifier)) = (
        field(fields, "code"),
        field(fields, "client_id"),
        field(fields, "code_verifier"),
    ) else {
        return bad(
            "invalid_request",
            "authorization_code needs code, client_id and code_verifier",
        );
    };
    // Taken once: a second redemption of the same code finds nothing.
    let record = match team.state.redeem_code(code).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            // A code redeemed twice may have been stolen: end what it started.
            match team.state.spent_code(code).await {
                Ok(Some(grant)) => {
                    if let Err(e) = team.state.revoke_grant(&grant.grant_id).await {
                        return unavailable(e);
                    }
                    tracing::warn!(user_id = %grant.user_id, client_id = %grant.client_id, "an authorization code was redeemed twice; the grant it started is revoked");
                    on_revoked(team.journal.as_ref(), &grant, Revocation::CodeReuse).await;
                }
                Ok(None) => {}
                Err(e) => return unavailable(e),
            }
            return bad(
                "invalid_grant",
                "the code is unknown, expired or already used",
            );
        }
        Err(e) => return unavailable(e),
    };
    if record.client_id != client_id {
        return bad("invalid_grant", "the code was issued to another client");
    }
    if field(fields, "redirect_uri").is_some_and(|uri| uri != record.redirect_uri) {
        return bad(
            "invalid_grant",
            "redirect_uri differs from the one in the authorization request",
        );
    }
    if okta_auth::web::pkce_challenge(&Secret::new(verifier)) != record.code_challenge {
        return bad(
            "invalid_grant",
            "the code_verifier does not match the code_challenge",
        );
    }
    let (grant, refresh) = match team.state.create_grant(&record).await {
        Ok(created) => created,
        Err(e) => return unavailable(e),
    };
    if let Err(e) = team.state.mark_code_spent(code, &grant.grant_id).await {
        return unavailable(e);
    }
    issue(team, &grant, refresh).await
}

async fn refresh_token(team: &Team, fields: &Fields) -> Response {
    let Some(presented) = field(fields, "refresh_token") else {
        return bad("invalid_request", "refresh_token is missing");
    };
    let client_id = field(fields, "client_id");
    // A refresh token presented by another client than its own is refused before it can
    // count as a use.
    match team.state.grant_of_refresh(presented).await {
        Ok(Some(grant)) if client_id.is_some_and(|c| c != grant.client_id) => {
            return bad(
                "invalid_grant",
                "the refresh token was issued to another client",
            );
        }
        Ok(_) => {}
        Err(e) => return unavailable(e),
    }
    match team.state.refresh(presented).await {
        Ok(Refreshed::Rotated {
            grant,
            refresh_token,
        }) => issue(team, &grant, refresh_token).await,
        Ok(Refreshed::Reused(grant)) => {
            tracing::warn!(user_id = %grant.user_id, client_id = %grant.client_id, "a refresh token was used twice; the grant is revoked");
            on_revoked(team.journal.as_ref(), &grant, Revocation::RefreshReuse).await;
            bad(
                "invalid_grant",
                "the refresh token was already used; for safety this sign-in is revoked: sign in again",
            )
        }
        Ok(Refreshed::Unknown) => bad(
            "invalid_grant",
            "the refresh token is unknown, expired or revoked: sign in again",
        ),
        Err(e) => unavailable(e),
    }
}

async fn issue(team: &Team, grant: &Grant, refresh: Secret) -> Response {
    let (access, ttl) = match team.state.issue_access(grant, &team.resource).await {
        Ok(issued) => issued,
        Err(e) => return unavailable(e),
    };
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(json!({
            "access_token": access.expose(),
            "token_type": "Bearer",
            "expires_in": ttl.as_secs(),
            "refresh_token": refresh.expose(),
            "scope": grant.scopes.join(" "),
        })),
    )
        .into_response()
}

/// RFC 7009: a refresh token ends its grant; an access token ends itself. The answer is 200
/// whether or not the token was known (§2.2).
pub async fn revoke(
    Shared(team): Shared<Arc<Team>>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(fields)) = form else {
        return bad(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let Some(token) = field(&fields, "token") else {
        return bad("invalid_request", "token is missing");
    };
    let client_id = field(&fields, "client_id");
    match team.state.grant_of_refresh(token).await {
        Ok(Some(grant)) => {
            if client_id.is_some_and(|c| c != grant.client_id) {
                return token_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "the token was issued to another client",
                );
            }
            match team.state.revoke_grant(&grant.grant_id).await {
                Ok(true) => on_revoked(team.journal.as_ref(), &grant, Revocation::ByClient).await,
                Ok(false) => {}
                Err(e) => return unavailable(e),
            }
        }
        Ok(None) => match team.state.access(token).await {
            Ok(Some(access)) if client_id.is_some_and(|c| c != access.client_id) => {
                return token_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "the token was issued to another client",
                );
            }
            Ok(_) => {
                if let Err(e) = team.state.revoke_access(token).await {
                    return unavailable(e);
                }
            }
            Err(e) => return unavailable(e),
        },
        Err(e) => return unavailable(e),
    }
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
}
