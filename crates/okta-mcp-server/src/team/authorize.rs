//! `/authorize` (the MCP client's side: code + PKCE S256, `resource` checked) and
//! `/oauth/callback` (Okta's side: its code redeemed, the person's tokens sealed away, our
//! own code handed to the client).

use super::clients::{Client, resolve};
use super::state::{CodeRecord, PendingSignIn, UpstreamTokens, random_token};
use super::*;
use axum::extract::{Query, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use okta_auth::Secret;
use okta_auth::web::{IdClaims, pkce_verifier};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    resource: Option<String>,
}

/// A page for the person: used when we cannot (or must not) redirect back to the client.
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>{t}</title><h1>{t}</h1><p>{m}</p>",
            t = escape(title),
            m = escape(message)
        )),
    )
        .into_response()
}

fn redirect(to: &url::Url) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, to.as_str().to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// Sends an OAuth error back to a verified redirect URI (RFC 6749 §4.1.2.1).
fn redirect_error(
    team: &Team,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return page(StatusCode::BAD_REQUEST, "Sign-in failed", description);
    };
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("error", error);
        query.append_pair("error_description", description);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &team.issuer);
    }
    redirect(&url)
}

/// Whether `resource` (RFC 8707) names our MCP endpoint (a trailing slash tolerated).
pub fn is_our_resource(team: &Team, resource: &str) -> bool {
    resource.trim_end_matches('/') == team.resource
}

/// The scopes a request may have: those asked for that we offer (all of them when none
/// are asked for); OIDC scopes a client adds are ours to ask for, so they are dropped.
fn requested_scopes(team: &Team, scope: Option<&str>) -> Result<Vec<String>, String> {
    let asked: Vec<&str> = scope.unwrap_or("").split_whitespace().collect();
    if asked.is_empty() {
        return Ok(team.scopes.clone());
    }
    let mut scopes = Vec::new();
    for s in asked {
        if team.scopes.iter().any(|t| t == s) {
            if !scopes.iter().any(|have: &String| have == s) {
                scopes.push(s.to_owned());
            }
        } else if !OIDC_SCOPES.contains(&s) {
            return Err(format!(
                "scope {s:?} is not offered by this server; it offers: {}",
                team.scopes.join(" ")
            ));
        }
    }
    Ok(scopes)
}

pub async fn authorize(
    Shared(team): Shared<Arc<Team>>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    let Some(client_id) = params.client_id.as_deref().filter(|s| !s.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The request has no client_id. Start the sign-in again from your MCP client.",
        );
    };
    let client: Client = match resolve(&team, client_id).await {
        Ok(client) => client,
        Err(message) => return page(StatusCode::BAD_REQUEST, "Sign-in failed", &message),
    };
    let redirect_uri = match params.redirect_uri.as_deref() {
        Some(uri) if client.allows_redirect(uri) => uri.to_owned(),
        Some(_) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The redirect_uri is not one this client registered.",
            );
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The request has no redirect_uri.",
            );
        }
    };
    // From here on the redirect URI is verified: errors go back to the client.
    let state = params.state.as_deref();
    let fail = |error: &str, description: &str| {
        redirect_error(&team, &redirect_uri, error, description, state)
    };
    if params.response_type.as_deref() != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => c.to_owned(),
        (Some(_), Some("S256")) => {
            return fail(
                "invalid_request",
                "code_challenge must be 43 to 128 characters",
            );
        }
        (Some(_), _) => {
            return fail(
                "invalid_request",
                "code_challenge_method must be S256 (plain is not accepted)",
            );
        }
        (None, _) => {
            return fail(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            );
        }
    };
    if let Some(resource) = params.resource.as_deref()
        && !is_our_resource(&team, resource)
    {
        return fail(
            "invalid_target",
            &format!(
                "resource must be this server's MCP endpoint, {}",
                team.resource
            ),
        );
    }
    let scopes = match requested_scopes(&team, params.scope.as_deref()) {
        Ok(scopes) => scopes,
        Err(message) => return fail("invalid_scope", &message),
    };
    let upstream_state = random_token();
    let verifier = pkce_verifier();
    let nonce = random_token();
    let pending = PendingSignIn {
        client_id: client.client_id.clone(),
        client_name: client.client_name.clone(),
        redirect_uri: redirect_uri.clone(),
        client_state: params.state.clone(),
        code_challenge: challenge,
        scopes: scopes.clone(),
        upstream_verifier: verifier.expose().to_owned(),
        nonce: nonce.clone(),
    };
    if let Err(e) = team.state.begin_sign_in(&upstream_state, &pending).await {
        tracing::error!(error = %e, "could not store a pending sign-in");
        return fail(
            "temporarily_unavailable",
            "the server's state store is unavailable",
        );
    }
    let to = team.web.authorize_url(
        &team.callback_url(),
        &team.upstream_scopes(&scopes),
        &upstream_state,
        &verifier,
        &nonce,
    );
    tracing::debug!(client_id = %client.client_id, "sending a person to Okta to sign in");
    redirect(&to)
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(
    Shared(team): Shared<Arc<Team>>,
    Query(params): Query<CallbackParams>,
) -> Response {
    let expired = || {
        page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in link expired or was already used. Start the sign-in again from your MCP client.",
        )
    };
    let Some(state) = params.state.as_deref() else {
        return expired();
    };
    let pending = match team.state.finish_sign_in(state).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return expired(),
        Err(e) => {
            tracing::error!(error = %e, "could not read a pending sign-in");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in failed",
                "The server's state store is unavailable; try again shortly.",
            );
        }
    };
    let client_state = pending.client_state.as_deref();
    let back = |error: &str, description: &str| {
        redirect_error(
            &team,
            &pending.redirect_uri,
            error,
            description,
            client_state,
        )
    };
    if let Some(error) = params.error.as_deref() {
        let description = params
            .error_description
            .as_deref()
            .unwrap_or("Okta did not sign you in");
        tracing::info!(error, "Okta declined a sign-in");
        return back(
            if error == "access_denied" {
                "access_denied"
            } else {
                "server_error"
            },
            &format!("Okta: {description}"),
        );
    }
    let Some(code) = params.code else {
        return back("server_error", "Okta answered without a code");
    };
    let tokens = match team
        .web
        .exchange_code(
            &Secret::new(code),
            &team.callback_url(),
            &Secret::new(pending.upstream_verifier.clone()),
        )
        .await
    {
        Ok(tokens) => tokens,
        Err(e) => {
            tracing::warn!(error = %e, "Okta refused to redeem a sign-in code");
            return back("access_denied", &format!("Okta refused the sign-in: {e}"));
        }
    };
    let claims = tokens.id_token.as_ref().and_then(IdClaims::read);
    let Some(claims) = claims.filter(|c| {
        c.nonce.as_deref() == Some(pending.nonce.as_str())
            && c.audience_is(team.web.client_id())
            && c.iss
                .as_deref()
                .is_none_or(|iss| iss.trim_end_matches('/') == team.web.issuer())
    }) else {
        tracing::warn!(
            "Okta's ID token was missing or did not match this sign-in (nonce, audience or issuer)"
        );
        return back(
            "access_denied",
            "Okta's answer did not identify you for this sign-in; try again",
        );
    };
    let login = claims
        .preferred_username
        .clone()
        .or(claims.email.clone())
        .unwrap_or_else(|| claims.sub.clone());
    // The client gets what it asked for and Okta granted (manage covering read).
    let scopes: Vec<String> = pending
        .scopes
        .iter()
        .filter(|s| okta_auth::scopes_cover(&tokens.scopes, std::slice::from_ref(s)))
        .cloned()
        .collect();
    let upstream = UpstreamTokens {
        access_token: tokens.access_token.expose().to_owned(),
        refresh_token: tokens.refresh_token.as_ref().map(|s| s.expose().to_owned()),
        expires_at: tokens.expires_at,
        scopes: tokens.scopes.clone(),
        login: login.clone(),
        bearer: Default::default(),
    };
    if let Err(e) = team.state.put_upstream(&claims.sub, &upstream).await {
        tracing::error!(error = %e, "could not store a person's Okta tokens");
        return back(
            "temporarily_unavailable",
            "the server's state store is unavailable",
        );
    }
    let record = CodeRecord {
        client_id: pending.client_id.clone(),
        client_name: pending.client_name.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        code_challenge: pending.code_challenge.clone(),
        scopes: scopes.clone(),
        user_id: claims.sub.clone(),
        login: login.clone(),
    };
    let code = match team.state.issue_code(&record).await {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = %e, "could not store an authorization code");
            return back(
                "temporarily_unavailable",
                "the server's state store is unavailable",
            );
        }
    };
    on_signed_in(
        team.journal.as_ref(),
        &Caller::from(Identity {
            user_id: claims.sub,
            login,
            client_id: pending.client_id,
            client_name: pending.client_name,
            scopes: scopes.into(),
        }),
    )
    .await;
    let Ok(mut to) = url::Url::parse(&pending.redirect_uri) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The client's redirect URI is not a URL.",
        );
    };
    {
        let mut query = to.query_pairs_mut();
        query.append_pair("code", code.expose());
        if let Some(state) = client_state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &team.issuer);
    }
    redirect(&to)
}
