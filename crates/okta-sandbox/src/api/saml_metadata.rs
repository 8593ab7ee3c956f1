//! `GET /api/v1/apps/{appId}/sso/saml/metadata?kid=`: a SAML 2.0 app's IdP metadata XML, as
//! a service provider is given it. The signing certificate is self-signed over an RSA key
//! made the first time an app's metadata is asked for (RSA key generation takes a while, and
//! most sandboxes never serve metadata); the key is dropped once the certificate is signed,
//! so no private key is kept, logged or committed. The certificate then stays the same for
//! the life of the sandbox, valid from the app's creation for ten years, as Okta's are.

use super::{AppState, Query};
use crate::error::ApiError;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// How long an app's signing certificate is valid (Okta: ten years).
const CERT_DAYS: i64 = 3652;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/apps/{appId}/sso/saml/metadata", get(metadata))
}

/// The entity id Okta gives a SAML app's IdP side (`exk…`), stable for the app.
pub fn external_key(app_id: &str) -> String {
    format!("exk{}", app_id.get(3..).unwrap_or(app_id))
}

async fn metadata(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let (app, kid, known) = {
        let org = state.org.read();
        let app = org
            .apps
            .get(&app_id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&app_id, "AppInstance"))?;
        let kid = query
            .non_empty("kid")
            .map(str::to_owned)
            .ok_or_else(|| ApiError::validation("kid", "kid: The field cannot be left blank"))?;
        let known = org.saml_certificates.get(&kid).cloned();
        (app, kid, known)
    };
    if app["signOnMode"] != "SAML_2_0" {
        return Err(ApiError::not_found(&app_id, "SAML 2.0 metadata"));
    }
    if app["credentials"]["signing"]["kid"].as_str() != Some(kid.as_str()) {
        return Err(ApiError::not_found(&kid, "AppInstanceKeyCredential"));
    }
    let certificate = match known {
        Some(der) => der,
        None => {
            let created = app["created"]
                .as_str()
                .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
                .map_or_else(Utc::now, |c| c.with_timezone(&Utc));
            let label = app["label"].as_str().unwrap_or("app").to_owned();
            let made = tokio::task::spawn_blocking(move || self_signed(&label, created))
                .await
                .map_err(|e| internal(&e.to_string()))?
                .map_err(|e| internal(&e))?;
            // Two first requests at once: the first certificate stored is the app's.
            let mut org = state.org.write();
            org.saml_certificates
                .entry(kid.clone())
                .or_insert(made)
                .clone()
        }
    };
    let xml = document(&state.base_url, &app_id, &app, &certificate);
    Ok(([(CONTENT_TYPE, "text/xml;charset=UTF-8")], xml).into_response())
}

/// A self-signed RSA-SHA256 certificate (DER) naming the app, valid from `from` for
/// [`CERT_DAYS`]; the key exists only inside this function.
fn self_signed(label: &str, from: DateTime<Utc>) -> Result<Vec<u8>, String> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = crate::oauth::keys::generate_rsa().map_err(|e| e.to_string())?;
    let pkcs8 = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    let pair = rcgen::KeyPair::try_from(pkcs8.as_bytes()).map_err(|e| e.to_string())?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CountryName, "US");
    name.push(rcgen::DnType::OrganizationName, "Okta sandbox");
    name.push(rcgen::DnType::OrganizationalUnitName, "SSOProvider");
    name.push(rcgen::DnType::CommonName, label);
    params.distinguished_name = name;
    let start =
        time::OffsetDateTime::from_unix_timestamp(from.timestamp()).map_err(|e| e.to_string())?;
    params.not_before = start;
    params.not_after = start + time::Duration::days(CERT_DAYS);
    let cert = params.self_signed(&pair).map_err(|e| e.to_string())?;
    Ok(cert.der().to_vec())
}

/// Okta's 500; the reason goes to the sandbox's log, not to the client.
fn internal(reason: &str) -> ApiError {
    tracing::error!(reason, "making a SAML signing certificate failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "E0000009",
        "Internal Server Error",
    )
}

/// The metadata document in Okta's layout: entity id, the signing certificate, name id
/// formats and the POST and Redirect SSO endpoints.
fn document(base: &str, app_id: &str, app: &Value, certificate: &[u8]) -> String {
    let key = external_key(app_id);
    let name = app["name"].as_str().unwrap_or("app");
    let sso = format!("{base}/app/{name}/{key}/sso/saml");
    let body = base64::engine::general_purpose::STANDARD.encode(certificate);
    // Okta wraps the certificate at 76 characters.
    let wrapped: Vec<&str> = body
        .as_bytes()
        .chunks(76)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor entityID="http://www.okta.com/{key}" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{sso}"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
        cert = wrapped.join("\n"),
    )
}
