//! Who the MCP client is: registered here (RFC 7591 Dynamic Client Registration), or named
//! by the URL of its client metadata document (the 2025-11-25 spec's preferred way), which
//! is fetched with a bounded, timed request. Redirect URIs are matched exactly, except the
//! port of a loopback redirect (RFC 8252 §7.3).

use super::state::{ClientRecord, now};
use super::*;
use axum::Json;
use axum::extract::State as Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// Largest client metadata document we read.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
const MAX_REDIRECT_URIS: usize = 10;
const MAX_NAME_CHARS: usize = 200;

/// What a client is known by, resolved for one authorization request.
pub struct Client {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
}

impl Client {
    pub fn allows_redirect(&self, redirect_uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| redirect_matches(registered, redirect_uri))
    }
}

/// Exact match; for `http` loopback redirects (127.0.0.1, [::1], localhost) any port.
pub fn redirect_matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(a), Ok(b)) = (url::Url::parse(registered), url::Url::parse(presented)) else {
        return false;
    };
    if a.scheme() != "http" || b.scheme() != "http" || !is_loopback(&a) {
        return false;
    }
    a.host() == b.host()
        && a.path() == b.path()
        && a.query() == b.query()
        && a.fragment().is_none()
        && b.fragment().is_none()
        && a.username() == b.username()
        && a.password().is_none()
        && b.password().is_none()
}

pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A redirect URI a client may register: https, http on loopback, or a private-use scheme
/// of a native app (`cursor://…`); never a fragment, nor a scheme that runs code.
fn check_redirect_uri(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|_| format!("{raw:?} is not an absolute URL"))?;
    if url.fragment().is_some() {
        return Err(format!("{raw:?} has a fragment"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(format!(
            "{raw:?}: http redirect URIs are allowed only on loopback (127.0.0.1, [::1], localhost)"
        )),
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" | "ftp" | "ws" | "wss" => {
            Err(format!("{raw:?}: scheme not allowed for a redirect URI"))
        }
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
pub struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    response_types: Option<Vec<String>>,
}

fn registration_error(error: &str, description: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `POST /register`: every client is public (PKCE, no secret).
pub async fn register(
    Shared(team): Shared<Arc<Team>>,
    body: Result<Json<RegistrationRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(request)) = body else {
        return registration_error(
            "invalid_client_metadata",
            "the body must be a JSON object of client metadata (RFC 7591)".into(),
        );
    };
    if request.redirect_uris.is_empty() || request.redirect_uris.len() > MAX_REDIRECT_URIS {
        return registration_error(
            "invalid_redirect_uri",
            format!("give between 1 and {MAX_REDIRECT_URIS} redirect_uris"),
        );
    }
    for uri in &request.redirect_uris {
        if let Err(message) = check_redirect_uri(uri) {
            return registration_error("invalid_redirect_uri", message);
        }
    }
    if let Some(grants) = &request.grant_types
        && grants
            .iter()
            .any(|g| g != "authorization_code" && g != "refresh_token")
    {
        return registration_error(
            "invalid_client_metadata",
            "only the authorization_code and refresh_token grant types are supported".into(),
        );
    }
    if let Some(types) = &request.response_types
        && types.iter().any(|t| t != "code")
    {
        return registration_error(
            "invalid_client_metadata",
            "only the code response type is supported".into(),
        );
    }
    let client_name = request
        .client_name
        .map(|n| n.chars().take(MAX_NAME_CHARS).collect::<String>());
    let record = ClientRecord {
        client_id: uuid::Uuid::new_v4().to_string(),
        client_name,
        redirect_uris: request.redirect_uris,
        created_at: now(),
    };
    if let Err(e) = team.state.register_client(&record).await {
        tracing::error!(error = %e, "could not store a client registration");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "temporarily_unavailable", "error_description": "the state store is unavailable"})),
        )
            .into_response();
    }
    tracing::info!(client_id = %record.client_id, client_name = record.client_name.as_deref().unwrap_or(""), "registered an MCP client");
    (
        StatusCode::CREATED,
        Json(json!({
            "client_id": record.client_id,
            "client_id_issued_at": record.created_at,
            "client_name": record.client_name,
            "redirect_uris": record.redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })),
    )
        .into_response()
}

/// Resolves `client_id`: a registration, or a client metadata document at that URL.
pub async fn resolve(team: &Team, client_id: &str) -> Result<Client, String> {
    if client_id.starts_with("https://") || client_id.starts_with("http://") {
        return fetch_document(team, client_id).await;
    }
    match team.state.client(client_id).await {
        Ok(Some(record)) => {
            // In use: its time to live starts again.
            if let Err(e) = team.state.register_client(&record).await {
                tracing::debug!(error = %e, "could not extend a client registration");
            }
            Ok(Client {
                client_id: record.client_id,
                client_name: record.client_name,
                redirect_uris: record.redirect_uris,
            })
        }
        Ok(None) => Err(format!(
            "unknown client_id {client_id:?}: register the client first (POST {REGISTER_PATH})"
        )),
        Err(e) => Err(format!("the state store is unavailable: {e}")),
    }
}

#[derive(Deserialize)]
struct MetadataDocument {
    client_id: String,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

async fn fetch_document(team: &Team, client_id: &str) -> Result<Client, String> {
    let url = url::Url::parse(client_id).map_err(|_| "client_id is not a valid URL".to_owned())?;
    let allowed = match url.scheme() {
        "https" => !is_private_address(&url),
        // A loopback http deployment (tests, trying things out) may use a loopback document.
        "http" => team.loopback_http_clients && is_loopback(&url),
        _ => false,
    };
    if !allowed || url.path() == "/" || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "client_id {client_id:?} is not an acceptable client metadata document URL (https, with a path, on a public host)"
        ));
    }
    let mut response = team
        .fetcher
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| {
            format!(
                "could not fetch the client metadata document: {}",
                e.without_url()
            )
        })?;
    if !response.status().is_success() {
        return Err(format!(
            "the client metadata document answered HTTP {}",
            response.status().as_u16()
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        format!(
            "could not read the client metadata document: {}",
            e.without_url()
        )
    })? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the client metadata document is larger than {MAX_DOCUMENT_BYTES} bytes"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let document: MetadataDocument = serde_json::from_slice(&body)
        .map_err(|e| format!("the client metadata document is not valid JSON metadata: {e}"))?;
    if document.client_id != client_id {
        return Err("the client metadata document's client_id is not its own URL".into());
    }
    if document.redirect_uris.is_empty() {
        return Err("the client metadata document lists no redirect_uris".into());
    }
    for uri in &document.redirect_uris {
        check_redirect_uri(uri)?;
    }
    Ok(Client {
        client_id: document.client_id,
        client_name: document
            .client_name
            .map(|n| n.chars().take(MAX_NAME_CHARS).collect()),
        redirect_uris: document.redirect_uris,
    })
}

/// IP literals in loopback, private, link-local (cloud metadata) or unspecified ranges.
/// (Names resolving to such addresses are not checked here; put egress rules in front of
/// the server if that matters in your network.)
fn is_private_address(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
        }
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_match_exactly_except_loopback_ports() {
        assert!(redirect_matches(
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.ai/api/mcp/auth_callback"
        ));
        assert!(!redirect_matches(
            "https://claude.ai/api/mcp/auth_callback",
            "https://claude.ai/api/mcp/auth_callback/"
        ));
        assert!(!redirect_matches(
            "https://app.example/cb",
            "https://app.example:8443/cb"
        ));
        assert!(redirect_matches(
            "http://127.0.0.1:3000/callback",
            "http://127.0.0.1:51234/callback"
        ));
        assert!(redirect_matches(
            "http://localhost/callback",
            "http://localhost:8080/callback"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1:3000/callback",
            "http://127.0.0.1:3000/other"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1:3000/callback",
            "http://localhost:3000/callback"
        ));
        assert!(check_redirect_uri("cursor://anysphere.cursor-retrieval/oauth/callback").is_ok());
        assert!(check_redirect_uri("http://evil.example/cb").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
    }
}
