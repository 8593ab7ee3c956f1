//! `/api/v1/email-domains`: the domains Okta sends email from — list (expand=brands),
//! create, read, replace sender names, delete and verify.

use super::branding::{self, BrandingState, link, seed, with_links};
use super::respond::JsonBody;
use super::{AppState, Query};
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/email-domains", get(list).post(create))
        .route(
            "/api/v1/email-domains/{emailDomainId}",
            get(get_one).put(replace).delete(remove),
        )
        .route("/api/v1/email-domains/{emailDomainId}/verify", post(verify))
}

/// An email domain as the API returns it.
pub fn render(base: &str, domain: &Value) -> Value {
    let id = domain["id"].as_str().unwrap_or_default();
    let at = format!("{base}/api/v1/email-domains/{id}");
    with_links(
        domain.clone(),
        json!({
            "self": link(at.clone(), &["GET", "PUT", "DELETE"]),
            "verify": link(format!("{at}/verify"), &["POST"]),
        }),
    )
}

fn render_expanded(state: &BrandingState, domain: &Value, brands: bool) -> Value {
    let mut out = render(&state.base_url, domain);
    if brands {
        let id = domain["id"].as_str().unwrap_or_default();
        let using: Vec<Value> = state
            .brands
            .values()
            .filter(|b| b.data["emailDomainId"].as_str() == Some(id))
            .map(|b| b.data.clone())
            .collect();
        out["_embedded"] = json!({ "brands": using });
    }
    out
}

fn expand_brands(query: &Query) -> Result<bool, ApiError> {
    match query.non_empty("expand") {
        None => Ok(false),
        Some(e) => {
            for value in e.split(',').map(str::trim) {
                branding::one_of("expand", value, &["brands"])?;
            }
            Ok(true)
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(id, "EmailDomain")
}

async fn list(State(app): State<AppState>, query: Query) -> Result<Json<Value>, ApiError> {
    let brands = expand_brands(&query)?;
    Ok(branding::with(&app, |state| {
        Json(Value::Array(
            state
                .email_domains
                .values()
                .map(|d| render_expanded(state, d, brands))
                .collect(),
        ))
    }))
}

async fn get_one(
    State(app): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    let brands = expand_brands(&query)?;
    branding::with(&app, |state| {
        let domain = state.email_domains.get(&id).ok_or_else(|| not_found(&id))?;
        Ok(Json(render_expanded(state, domain, brands)))
    })
}

/// Okta's sender user name: the part before `@`.
fn check_user_name(name: &str) -> Result<(), ApiError> {
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(branding::invalid(
            "userName",
            format!("userName: '{name}' is not a valid mailbox name"),
        ))
    }
}

async fn create(
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let domain = branding::required_str(&body, "domain")?.trim().to_owned();
    if !branding::is_fqdn(&domain) {
        return Err(branding::invalid(
            "domain",
            format!("domain: '{domain}' is not a fully qualified domain name"),
        ));
    }
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let brand_id = branding::required_str(&body, "brandId")?.to_owned();
    let display_name = branding::required_str(&body, "displayName")?.to_owned();
    let user_name = branding::required_str(&body, "userName")?.to_owned();
    check_user_name(&user_name)?;
    let subdomain = branding::optional_str(&body, "validationSubdomain")?
        .unwrap_or("mail")
        .to_owned();
    let label_ok = !subdomain.is_empty()
        && subdomain.len() <= 63
        && subdomain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !label_ok {
        return Err(branding::invalid(
            "validationSubdomain",
            format!("validationSubdomain: '{subdomain}' is not a DNS label"),
        ));
    }
    branding::with(&app, |state| {
        state.brand(&brand_id)?;
        let taken = state.email_domains.values().any(|d| {
            d["domain"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&domain))
        });
        if taken {
            return Err(branding::conflict(
                "E0000197",
                "Email domain already exists.",
            ));
        }
        let id = state.new_id(seed::EMAIL_DOMAIN_PREFIX);
        let token = crate::ids::base62(&mut state.rng, 32).to_lowercase();
        let value = json!({
            "id": id,
            "domain": domain,
            "displayName": display_name,
            "userName": user_name,
            "validationSubdomain": subdomain,
            "validationStatus": "NOT_STARTED",
            "dnsValidationRecords": seed::email_dns_records(&domain, &subdomain, &token),
        });
        state.email_domains.insert(id.clone(), value.clone());
        state.brand_mut(&brand_id)?.data["emailDomainId"] = json!(id);
        Ok(Json(render(&state.base_url, &value)))
    })
}

async fn replace(
    State(app): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let display_name = branding::required_str(&body, "displayName")?.to_owned();
    let user_name = branding::required_str(&body, "userName")?.to_owned();
    check_user_name(&user_name)?;
    branding::with(&app, |state| {
        let base = state.base_url.clone();
        let domain = state
            .email_domains
            .get_mut(&id)
            .ok_or_else(|| not_found(&id))?;
        domain["displayName"] = json!(display_name);
        domain["userName"] = json!(user_name);
        Ok(Json(render(&base, domain)))
    })
}

async fn remove(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    branding::with(&app, |state| {
        state
            .email_domains
            .remove(&id)
            .ok_or_else(|| not_found(&id))?;
        for brand in state.brands.values_mut() {
            if brand.data["emailDomainId"].as_str() == Some(id.as_str())
                && let Value::Object(data) = &mut brand.data
            {
                data.remove("emailDomainId");
            }
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

/// The sandbox's DNS always has the records, so a domain that can be verified is.
async fn verify(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let base = state.base_url.clone();
        let domain = state
            .email_domains
            .get_mut(&id)
            .ok_or_else(|| not_found(&id))?;
        if domain["validationStatus"] == "DELETED" {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "E0000217",
                "Invalid status. Can't validate email domain with current status.",
            ));
        }
        domain["validationStatus"] = json!("VERIFIED");
        Ok(Json(render(&base, domain)))
    })
}
