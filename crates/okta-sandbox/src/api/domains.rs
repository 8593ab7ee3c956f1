//! `/api/v1/domains`: custom URL domains — list, create, read, move to another brand,
//! delete, upload a certificate and verify. Private keys are checked, never stored or echoed.

use super::AppState;
use super::branding::{self, link, seed, with_links};
use super::respond::JsonBody;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/domains", get(list).post(create))
        .route(
            "/api/v1/domains/{domainId}",
            get(get_one).put(replace).delete(remove),
        )
        .route("/api/v1/domains/{domainId}/certificate", put(certificate))
        .route("/api/v1/domains/{domainId}/verify", post(verify))
}

/// A domain as the API returns it.
pub fn render(base: &str, domain: &Value) -> Value {
    let id = domain["id"].as_str().unwrap_or_default();
    let brand = domain["brandId"].as_str().unwrap_or_default();
    let at = format!("{base}/api/v1/domains/{id}");
    with_links(
        domain.clone(),
        json!({
            "self": link(at.clone(), &["GET", "PUT", "DELETE"]),
            "brand": link(format!("{base}/api/v1/brands/{brand}"), &["GET"]),
            "certificate": link(format!("{at}/certificate"), &["PUT"]),
            "verify": link(format!("{at}/verify"), &["POST"]),
        }),
    )
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(id, "Domain")
}

async fn list(State(app): State<AppState>) -> Json<Value> {
    branding::with(&app, |state| {
        let domains: Vec<Value> = state
            .domains
            .values()
            .map(|d| render(&state.base_url, d))
            .collect();
        Json(json!({ "domains": domains }))
    })
}

async fn get_one(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let domain = state.domains.get(&id).ok_or_else(|| not_found(&id))?;
        Ok(Json(render(&state.base_url, domain)))
    })
}

async fn create(
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let name = branding::required_str(&body, "domain")?.trim().to_owned();
    if !branding::is_fqdn(&name) {
        return Err(branding::invalid(
            "domain",
            format!("domain: '{name}' is not a fully qualified domain name"),
        ));
    }
    let source = branding::required_str(&body, "certificateSourceType")?;
    branding::one_of("certificateSourceType", source, &["MANUAL", "OKTA_MANAGED"])?;
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    branding::with(&app, |state| {
        let taken = state.domains.values().any(|d| {
            d["domain"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        });
        if taken {
            return Err(branding::invalid(
                "domain",
                format!("domain: {name} is already in use"),
            ));
        }
        let brand_id = state.default_brand_id().unwrap_or_default();
        let id = state.new_id(seed::DOMAIN_PREFIX);
        let token = crate::ids::base62(&mut state.rng, 32);
        let expires = crate::ids::timestamp(chrono::Utc::now() + chrono::Duration::days(7));
        let domain = json!({
            "id": id,
            "domain": name,
            "certificateSourceType": source,
            "validationStatus": "NOT_STARTED",
            "brandId": brand_id,
            "dnsRecords": seed::domain_dns_records(&name, &token, &expires),
        });
        state.domains.insert(id, domain.clone());
        Ok(Json(render(&state.base_url, &domain)))
    })
}

async fn replace(
    State(app): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let brand_id = branding::required_str(&body, "brandId")?.to_owned();
    branding::with(&app, |state| {
        if !state.domains.contains_key(&id) {
            return Err(not_found(&id));
        }
        if !state.brands.contains_key(&brand_id) {
            return Err(branding::invalid(
                "brandId",
                format!("brandId: no brand {brand_id}"),
            ));
        }
        let base = state.base_url.clone();
        let domain = state.domains.get_mut(&id).ok_or_else(|| not_found(&id))?;
        domain["brandId"] = json!(brand_id);
        Ok(Json(render(&base, domain)))
    })
}

async fn remove(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    branding::with(&app, |state| {
        state.domains.remove(&id).ok_or_else(|| not_found(&id))?;
        Ok(StatusCode::NO_CONTENT)
    })
}

/// The base64 payload of the first PEM block labelled `label` (any of them), if well-formed.
fn pem_block<'a>(text: &'a str, labels: &[&str]) -> Option<&'a str> {
    let text = text.trim();
    labels.iter().find_map(|label| {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let start = text.find(&begin)? + begin.len();
        let stop = text[start..].find(&end)? + start;
        let payload = text[start..stop].trim();
        let ok = !payload.is_empty()
            && payload
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=\r\n".contains(c));
        ok.then_some(payload)
    })
}

async fn certificate(
    State(app): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let kind = branding::required_str(&body, "type")?;
    branding::one_of("type", kind, &["PEM"])?;
    let cert = branding::required_str(&body, "certificate")?;
    let payload = pem_block(cert, &["CERTIFICATE"]).ok_or_else(|| {
        branding::invalid("certificate", "certificate: not a PEM-encoded certificate")
    })?;
    let chain = branding::required_str(&body, "certificateChain")?;
    pem_block(chain, &["CERTIFICATE"]).ok_or_else(|| {
        branding::invalid(
            "certificateChain",
            "certificateChain: not a PEM-encoded certificate chain",
        )
    })?;
    // Only whether the key is well-formed is ever said about it, never its content.
    let key = branding::required_str(&body, "privateKey")?;
    pem_block(key, &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]).ok_or_else(|| {
        branding::invalid("privateKey", "privateKey: not a PEM-encoded private key")
    })?;
    let digest = Sha256::digest(payload.as_bytes());
    let fingerprint = digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let expiration = crate::ids::timestamp(chrono::Utc::now() + chrono::Duration::days(365));
    branding::with(&app, |state| {
        let domain = state.domains.get_mut(&id).ok_or_else(|| not_found(&id))?;
        let name = domain["domain"].as_str().unwrap_or_default().to_owned();
        domain["certificateSourceType"] = json!("MANUAL");
        domain["publicCertificate"] = json!({
            "subject": format!("CN={name}"),
            "fingerprint": fingerprint,
            "expiration": expiration,
        });
        if domain["validationStatus"] == "VERIFIED" {
            domain["validationStatus"] = json!("COMPLETED");
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

/// The sandbox's DNS always has the records: verifying succeeds, and completes at once when
/// a certificate is (or, for OKTA_MANAGED, can be) installed.
async fn verify(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let base = state.base_url.clone();
        let domain = state.domains.get_mut(&id).ok_or_else(|| not_found(&id))?;
        let name = domain["domain"].as_str().unwrap_or_default().to_owned();
        let managed = domain["certificateSourceType"] == "OKTA_MANAGED";
        if managed && domain.get("publicCertificate").is_none() {
            domain["publicCertificate"] = json!({
                "subject": format!("CN={name}"),
                "fingerprint": "5E:2A:71:0C:9B:3D:44:18:F7:60:AB:21:C9:0E:3F:82:17:D5:66:4B:90:E1:2C:73:A8:5F:0D:B6:39:C4:11:7E",
                "expiration": crate::ids::timestamp(chrono::Utc::now() + chrono::Duration::days(90)),
            });
        }
        let status = if domain.get("publicCertificate").is_some() {
            "COMPLETED"
        } else {
            "VERIFIED"
        };
        domain["validationStatus"] = json!(status);
        Ok(Json(render(&base, domain)))
    })
}
