//! The authorization code flow's front channel, as the org authorization server runs it:
//! `/oauth2/v1/authorize` (query or form), the sign-in page and its form post, the `sid`
//! browser session, and a loopback JSON endpoint that signs someone in for a test.
//!
//! Okta's split is kept: a request whose `client_id` or `redirect_uri` cannot be trusted
//! gets an error page (redirecting would hand the error to an unregistered URL); every
//! other problem is redirected to the client with `error`, `error_description`, `state`.

use super::directory::{AuthEvent, DirectoryUser, SignInRefusal, check_credentials};
use super::jwt::now_secs;
use super::state::{AuthorizationCode, BrowserSession, Counters, Grant, PendingAuthorization};
use super::token::{Form, parse_form, requested_scopes};
use super::{AUTHORIZE_PATH, OAuthServer, SIGN_IN_PATH, keys};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::net::SocketAddr;

/// How long an issued authorization code can be redeemed. Okta's OpenAPI spec for
/// `/oauth2/v1/token`: "The code has a lifetime of 300 seconds."
pub const AUTHORIZATION_CODE_TTL: std::time::Duration = std::time::Duration::from_secs(300);
/// How long the sign-in page stays usable for one request.
const SIGN_IN_REQUEST_TTL: i64 = 600;
/// Okta's default session lifetime (two hours).
const SESSION_TTL: i64 = 2 * 3600;
/// Name of the browser session cookie.
const SESSION_COOKIE: &str = "sid";
/// Response header carrying the sign-in request handle, so scripts need no HTML parser.
pub const REQUEST_ID_HEADER: &str = "x-sandbox-request-id";

/// A validated authorization request.
#[derive(Clone)]
pub(crate) struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub login_hint: Option<String>,
    /// `prompt=login`: authenticate again even with a session.
    pub force_login: bool,
    /// `prompt=none`: never show a page.
    pub no_prompt: bool,
}

// Hand-written: state, nonce and the challenge are the client's and stay out of logs.
impl std::fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Why an authorization request failed, and where the answer goes.
pub(crate) enum AuthorizeFailure {
    /// Shown on an error page: the client or its redirect URI is not trusted.
    Page {
        error: &'static str,
        description: String,
    },
    /// Sent back to the (registered) redirect URI.
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

impl AuthorizeFailure {
    fn into_response(self) -> Response {
        match self {
            AuthorizeFailure::Page { error, description } => error_page(error, &description),
            AuthorizeFailure::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => {
                let mut params = vec![
                    ("error", error.to_string()),
                    ("error_description", description),
                ];
                if let Some(state) = state {
                    params.push(("state", state));
                }
                redirect(&with_query(&redirect_uri, &params))
            }
        }
    }
}

/// `GET /oauth2/v1/authorize` (query) and `POST /oauth2/v1/authorize` (form).
pub(crate) async fn authorize_endpoint(
    State(server): State<OAuthServer>,
    method: Method,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let params: Form = if method == Method::POST {
        if request.uri().query().is_some_and(|q| !q.is_empty()) {
            return error_page(
                "invalid_request",
                "A POST to /oauth2/v1/authorize carries every parameter in the form body; query parameters are not allowed.",
            );
        }
        match axum::body::to_bytes(request.into_body(), 64 * 1024).await {
            Ok(body) => parse_form(&body),
            Err(_) => return error_page("invalid_request", "The request body is unreadable."),
        }
    } else {
        parse_form(request.uri().query().unwrap_or("").as_bytes())
    };
    let authorization = match server.validate_authorization(&params) {
        Ok(authorization) => authorization,
        Err(failure) => return failure.into_response(),
    };
    // A live session of a still-ACTIVE person signs in silently, as Okta's session does.
    if !authorization.force_login
        && let Some(session) = server.session_from(&headers)
        && let Some(user) = server.user_for_session(&session)
    {
        return redirect(&server.issue_code(&authorization, &user, session.auth_time));
    }
    if authorization.no_prompt {
        return AuthorizeFailure::Redirect {
            redirect_uri: authorization.redirect_uri,
            error: "login_required",
            description: "The client specified not to prompt, but the user is not logged in."
                .into(),
            state: Some(authorization.state),
        }
        .into_response();
    }
    server.show_sign_in(authorization)
}

/// `POST /oauth2/v1/authorize/login`: the sign-in form (`request_id`, `username`, `password`).
pub(crate) async fn sign_in_submit(State(server): State<OAuthServer>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let request_id = form.get("request_id").map(String::as_str).unwrap_or("");
    let pending = {
        let mut state = server.state();
        state.purge(now_secs());
        state.pending_authorizations.get(request_id).cloned()
    };
    let Some(pending) = pending else {
        return error_page(
            "invalid_request",
            "This sign-in request is unknown or has expired. Start again from the application.",
        );
    };
    let username = form.get("username").map(String::as_str).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    match server.sign_in(&pending.request.client_id, username, password) {
        Ok(user) => {
            server.state().pending_authorizations.remove(request_id);
            let now = now_secs();
            let location = server.issue_code(&pending.request, &user, now);
            let cookie = server.start_session(&user, now);
            let mut response = redirect(&location);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(refusal) => {
            let mut request = pending.request;
            request.login_hint = Some(username.to_string()).filter(|u| !u.is_empty());
            // The same request stays usable: the page again, saying why, as Okta's does.
            sign_in_page(
                request_id,
                &request,
                Some(&refusal),
                StatusCode::UNAUTHORIZED,
            )
        }
    }
}

#[derive(serde::Deserialize)]
struct ApproveRequest {
    authorize_url: String,
    username: String,
    password: String,
}

/// Loopback only: signs `username` in for the authorization request in `authorize_url`
/// and answers where the browser would be sent: `{"redirect_to": "…?code=…&state=…"}`.
pub(crate) async fn approve_endpoint(
    State(server): State<OAuthServer>,
    request: Request,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && !peer.ip().is_loopback()
    {
        return json_error(StatusCode::FORBIDDEN, "access_denied", "loopback only");
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unreadable body",
        );
    };
    let Ok(approve) = serde_json::from_slice::<ApproveRequest>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected {\"authorize_url\": string, \"username\": string, \"password\": string}",
        );
    };
    match server.approve_sign_in(&approve.authorize_url, &approve.username, &approve.password) {
        Ok(redirect_to) => redirect_json(&redirect_to),
        Err(refused) => json_error(refused.status, refused.error, &refused.description),
    }
}

/// Why [`OAuthServer::approve_sign_in`] produced no redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInRefused {
    /// 400 for a request that is not a usable authorize URL, 401 for refused credentials.
    pub status: StatusCode,
    /// `invalid_request`, `invalid_client` or `access_denied`.
    pub error: &'static str,
    pub description: String,
}

impl OAuthServer {
    /// What the sign-in page does, without a browser: validates `authorize_url` (a full
    /// `/oauth2/v1/authorize` URL with its query), checks the credentials, and returns where
    /// the browser would be sent: `{redirect_uri}?code=…&state=…`, or for an error Okta
    /// redirects, `{redirect_uri}?error=…&error_description=…&state=…`.
    pub fn approve_sign_in(
        &self,
        authorize_url: &str,
        username: &str,
        password: &str,
    ) -> Result<String, SignInRefused> {
        let refused = |status, error, description: String| SignInRefused {
            status,
            error,
            description,
        };
        let query = url::Url::parse(authorize_url)
            .ok()
            .filter(|u| u.path() == AUTHORIZE_PATH)
            .map(|u| u.query().unwrap_or("").to_string())
            .ok_or_else(|| {
                refused(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "'authorize_url' must be a full URL of this org's /oauth2/v1/authorize with its query".into(),
                )
            })?;
        let authorization = match self.validate_authorization(&parse_form(query.as_bytes())) {
            Ok(authorization) => authorization,
            Err(AuthorizeFailure::Page { error, description }) => {
                return Err(refused(StatusCode::BAD_REQUEST, error, description));
            }
            Err(AuthorizeFailure::Redirect {
                redirect_uri,
                error,
                description,
                state,
            }) => {
                let mut params = vec![
                    ("error", error.to_string()),
                    ("error_description", description),
                ];
                if let Some(state) = state {
                    params.push(("state", state));
                }
                return Ok(with_query(&redirect_uri, &params));
            }
        };
        match self.sign_in(&authorization.client_id, username, password) {
            Ok(user) => Ok(self.issue_code(&authorization, &user, now_secs())),
            Err(refusal) => Err(refused(
                StatusCode::UNAUTHORIZED,
                "access_denied",
                refusal.message(),
            )),
        }
    }

    /// Checks an authorization request in Okta's order: client, redirect URI, then the rest.
    pub(crate) fn validate_authorization(
        &self,
        params: &Form,
    ) -> Result<AuthorizeRequest, AuthorizeFailure> {
        let page = |error: &'static str, description: &str| AuthorizeFailure::Page {
            error,
            description: description.to_string(),
        };
        let client_id = params
            .get("client_id")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| page("invalid_client", "The 'client_id' parameter is required."))?;
        let client = self
            .state()
            .clients
            .get(client_id)
            .cloned()
            .ok_or_else(|| page("invalid_client", "Invalid value for 'client_id' parameter."))?;
        let redirect_uri = params
            .get("redirect_uri")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                page(
                    "invalid_request",
                    "The 'redirect_uri' parameter is required.",
                )
            })?;
        // Exact string comparison, as Okta does: no normalisation of case, slash or port.
        if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Err(page(
                "invalid_request",
                "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.",
            ));
        }
        if url::Url::parse(redirect_uri).is_err() {
            return Err(page(
                "invalid_request",
                "The 'redirect_uri' parameter is not an absolute URI.",
            ));
        }
        let state = params.get("state").filter(|s| !s.is_empty()).cloned();
        let fail = |error: &'static str, description: String| AuthorizeFailure::Redirect {
            redirect_uri: redirect_uri.clone(),
            error,
            description,
            state: state.clone(),
        };
        let response_type = params
            .get("response_type")
            .map(String::as_str)
            .unwrap_or("");
        if response_type != "code" {
            return Err(fail(
                "unsupported_response_type",
                format!(
                    "The response type '{response_type}' is not supported by the authorization server. Configured response types: [code]."
                ),
            ));
        }
        if !client.allows_grant("authorization_code") {
            return Err(fail(
                "unauthorized_client",
                format!(
                    "The client is not authorized to use the provided grant type. Configured grant types: [{}].",
                    client.grant_types.join(", ")
                ),
            ));
        }
        match params.get("response_mode").map(String::as_str) {
            None | Some("query") => {}
            Some(other) => {
                return Err(fail(
                    "unsupported_response_mode",
                    format!(
                        "The response mode '{other}' is not supported by the sandbox org. Valid response modes: [query]."
                    ),
                ));
            }
        }
        let Some(state_value) = state.clone() else {
            return Err(fail(
                "invalid_request",
                "The 'state' parameter is required.".into(),
            ));
        };
        let scopes = requested_scopes(params);
        if scopes.is_empty() {
            return Err(fail(
                "invalid_scope",
                "The authorization server resource does not have any configured default scopes, 'scope' must be provided.".into(),
            ));
        }
        let missing = client.ungranted(&scopes);
        if !missing.is_empty() {
            return Err(fail(
                "invalid_scope",
                format!(
                    "One or more scopes are not configured for the authorization server resource: {}.",
                    missing.join(" ")
                ),
            ));
        }
        let challenge = params.get("code_challenge").filter(|c| !c.is_empty());
        let method = params
            .get("code_challenge_method")
            .filter(|m| !m.is_empty());
        let code_challenge = match (challenge, method) {
            (None, None) if client.pkce_required => {
                return Err(fail(
                    "invalid_request",
                    "PKCE code challenge is required by the application.".into(),
                ));
            }
            (None, None) => None,
            (None, Some(_)) => {
                return Err(fail(
                    "invalid_request",
                    "The 'code_challenge' parameter is required when 'code_challenge_method' is sent.".into(),
                ));
            }
            (Some(_), method) if method.map(String::as_str) != Some("S256") => {
                return Err(fail(
                    "invalid_request",
                    "The 'code_challenge_method' parameter must be 'S256' (the only PKCE method this authorization server supports).".into(),
                ));
            }
            (Some(challenge), _) if !is_pkce_value(challenge) => {
                return Err(fail(
                    "invalid_request",
                    "The 'code_challenge' parameter must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~] (the base64url SHA-256 of the verifier).".into(),
                ));
            }
            (Some(challenge), _) => Some(challenge.clone()),
        };
        let prompts: Vec<&str> = params
            .get("prompt")
            .map(|p| p.split_whitespace().collect())
            .unwrap_or_default();
        if let Some(unknown) = prompts
            .iter()
            .find(|p| !matches!(**p, "none" | "login" | "consent"))
        {
            return Err(fail(
                "invalid_request",
                format!("The 'prompt' value '{unknown}' is not supported."),
            ));
        }
        if prompts.contains(&"none") && prompts.len() > 1 {
            return Err(fail(
                "invalid_request",
                "The 'prompt' value 'none' cannot be combined with other values.".into(),
            ));
        }
        Ok(AuthorizeRequest {
            client_id: client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            scopes,
            state: state_value,
            nonce: params.get("nonce").filter(|n| !n.is_empty()).cloned(),
            code_challenge,
            login_hint: params.get("login_hint").filter(|h| !h.is_empty()).cloned(),
            force_login: prompts.contains(&"login"),
            no_prompt: prompts.contains(&"none"),
        })
    }

    /// Checks credentials for a sign-in to `client_id`, counting refusals and recording the
    /// attempt in the System Log (`user.session.start`, as Okta does).
    pub(crate) fn sign_in(
        &self,
        client_id: &str,
        username: &str,
        password: &str,
    ) -> Result<DirectoryUser, SignInRefusal> {
        let directory = self.state().directory.clone();
        let outcome = check_credentials(directory.as_ref(), username, password);
        if outcome.is_err() {
            Counters::bump(&self.inner.counters.sign_in_failures);
        }
        let user_id = match &outcome {
            Ok(user) => Some(user.id.clone()),
            Err(_) => directory
                .as_ref()
                .and_then(|d| d.find_user(username.trim()))
                .map(|u| u.id),
        };
        self.record_event(AuthEvent {
            event_type: "user.session.start",
            display: "User login to Okta",
            success: outcome.is_ok(),
            reason: outcome.as_ref().err().map(|r| r.reason().to_string()),
            user_id,
            username: username.trim().to_string(),
            client_id: client_id.to_string(),
            request_path: SIGN_IN_PATH,
        });
        outcome
    }

    /// Stores a new single-use code for `user` and returns the redirect URI carrying it.
    pub(crate) fn issue_code(
        &self,
        request: &AuthorizeRequest,
        user: &DirectoryUser,
        auth_time: i64,
    ) -> String {
        let code = keys::random_token(32);
        let grant = Grant {
            client_id: request.client_id.clone(),
            subject: user.login.clone(),
            scopes: request.scopes.clone(),
            jkt: None,
            user: true,
            user_id: Some(user.id.clone()),
            sign_in: Some(uuid::Uuid::new_v4().simple().to_string()),
            auth_time: Some(auth_time),
        };
        {
            let mut state = self.state();
            let expires_at = now_secs() + state.authorization_code_ttl.as_secs() as i64;
            state.codes.insert(
                keys::sha256_b64(&code),
                AuthorizationCode {
                    grant,
                    redirect_uri: request.redirect_uri.clone(),
                    code_challenge: request.code_challenge.clone(),
                    nonce: request.nonce.clone(),
                    expires_at,
                    redeemed: false,
                },
            );
        }
        Counters::bump(&self.inner.counters.authorization_codes_issued);
        with_query(
            &request.redirect_uri,
            &[("code", code), ("state", request.state.clone())],
        )
    }

    /// Starts a browser session for `user`; returns the `Set-Cookie` value.
    fn start_session(&self, user: &DirectoryUser, now: i64) -> String {
        let sid = keys::random_token(24);
        self.state().sessions.insert(
            keys::sha256_b64(&sid),
            BrowserSession {
                user_id: user.id.clone(),
                login: user.login.clone(),
                auth_time: now,
                expires_at: now + SESSION_TTL,
            },
        );
        format!("{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_TTL}")
    }

    /// The live session named by the request's `sid` cookie.
    fn session_from(&self, headers: &HeaderMap) -> Option<BrowserSession> {
        let sid = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_string())?;
        let now = now_secs();
        let state = self.state();
        state
            .sessions
            .get(&keys::sha256_b64(&sid))
            .filter(|s| s.expires_at > now)
            .cloned()
    }

    /// The session's user, if they still exist and are ACTIVE.
    fn user_for_session(&self, session: &BrowserSession) -> Option<DirectoryUser> {
        let directory = self.state().directory.clone()?;
        directory
            .find_user(&session.user_id)
            .filter(|u| u.status == "ACTIVE" && u.login.eq_ignore_ascii_case(&session.login))
    }

    /// Renders the sign-in page for a new pending request.
    fn show_sign_in(&self, request: AuthorizeRequest) -> Response {
        let request_id = keys::random_token(16);
        self.state().pending_authorizations.insert(
            request_id.clone(),
            PendingAuthorization {
                request: request.clone(),
                expires_at: now_secs() + SIGN_IN_REQUEST_TTL,
            },
        );
        sign_in_page(&request_id, &request, None, StatusCode::OK)
    }
}

/// RFC 7636 §4.1: 43–128 characters of the unreserved set.
pub(crate) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `uri` with `params` appended to its query (keeping any query it already has).
fn with_query(uri: &str, params: &[(&str, String)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut pairs = url.query_pairs_mut();
                for (name, value) in params {
                    pairs.append_pair(name, value);
                }
            }
            url.to_string()
        }
        // Only registered (already parsed) URIs reach here; keep a usable answer anyway.
        Err(_) => uri.to_string(),
    }
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

fn redirect_json(location: &str) -> Response {
    let mut response = (
        StatusCode::OK,
        Json(serde_json::json!({ "redirect_to": location })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn sign_in_page(
    request_id: &str,
    request: &AuthorizeRequest,
    refusal: Option<&SignInRefusal>,
    status: StatusCode,
) -> Response {
    let scopes: String = request
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", html_escape(s)))
        .collect();
    let alert = refusal
        .map(|r| {
            format!(
                "<p role=\"alert\" class=\"error\">{}</p>",
                html_escape(&r.message())
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Sign in</h1>
{alert}
<p>Application <code>{client}</code> asks for:</p><ul>{scopes}</ul>
<form method="post" action="{SIGN_IN_PATH}">
  <input type="hidden" name="request_id" value="{request_id}">
  <label for="username">Username</label>
  <input id="username" name="username" value="{hint}" autocomplete="username" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button type="submit">Sign in</button>
</form>"#,
        client = html_escape(&request.client_id),
        hint = html_escape(request.login_hint.as_deref().unwrap_or("")),
        request_id = html_escape(request_id),
    );
    let mut response = (status, Html(page("Sign in", &body))).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn error_page(error: &str, description: &str) -> Response {
    let body = format!(
        "<h1>400 Bad Request</h1><p id=\"error\">{}</p><p id=\"error_description\">{}</p>",
        html_escape(error),
        html_escape(description)
    );
    let mut response = (StatusCode::BAD_REQUEST, Html(page("Error", &body))).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sandbox org: {title}</title></head><body>{body}</body></html>"
    )
}

fn html_escape(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
