//! `/api/v1/brands`: list (expand, q, paging), create, read, replace, delete, and the
//! domains of a brand.

use super::branding::{self, Brand, BrandingState, link, with_links};
use super::paging::{LimitRule, paginate, parse_limit};
use super::respond::{self, JsonBody};
use super::{AppState, Query};
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

const PATH: &str = "/api/v1/brands";
const LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 200,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(create))
        .route(
            "/api/v1/brands/{brandId}",
            get(get_one).put(replace).delete(remove),
        )
        .route("/api/v1/brands/{brandId}/domains", get(domains))
}

/// The brand as the API returns it, with `_embedded` for the requested expansions.
fn render(state: &BrandingState, brand: &Brand, expand: Option<&str>) -> Value {
    let base = &state.base_url;
    let id = brand.data["id"].as_str().unwrap_or_default();
    let mut links = json!({
        "self": link(format!("{base}/api/v1/brands/{id}"), &["GET", "PUT", "DELETE"]),
        "themes": link(format!("{base}/api/v1/brands/{id}/themes"), &["GET"]),
    });
    if let Some(email) = brand.data["emailDomainId"].as_str() {
        links["emailDomain"] = link(
            format!("{base}/api/v1/email-domains/{email}"),
            &["GET", "PUT"],
        );
    }
    let mut out = with_links(brand.data.clone(), links);
    let wanted: Vec<&str> = expand
        .map(|e| e.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut embedded = Map::new();
    if wanted.contains(&"themes") {
        embedded.insert(
            "themes".into(),
            brand
                .themes
                .values()
                .map(|t| super::themes::render(base, id, t))
                .collect(),
        );
    }
    if wanted.contains(&"domains") {
        embedded.insert("domains".into(), Value::Array(brand_domains(state, id)));
    }
    if wanted.contains(&"emailDomain")
        && let Some(email) = brand.data["emailDomainId"]
            .as_str()
            .and_then(|e| state.email_domains.get(e))
    {
        embedded.insert(
            "emailDomain".into(),
            super::email_domains::render(base, email),
        );
    }
    if !embedded.is_empty() {
        out["_embedded"] = Value::Object(embedded);
    }
    out
}

fn brand_domains(state: &BrandingState, brand_id: &str) -> Vec<Value> {
    state
        .domains
        .values()
        .filter(|d| d["brandId"].as_str() == Some(brand_id))
        .map(|d| super::domains::render(&state.base_url, d))
        .collect()
}

fn check_expand(expand: Option<&str>) -> Result<(), ApiError> {
    for value in expand.into_iter().flat_map(|e| e.split(',')).map(str::trim) {
        branding::one_of("expand", value, &["themes", "domains", "emailDomain"])?;
    }
    Ok(())
}

async fn list(State(app): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let expand = query.non_empty("expand");
    check_expand(expand)?;
    let q = query.non_empty("q").map(str::to_lowercase);
    let items = branding::with(&app, |state| {
        state
            .brands
            .values()
            .filter(|b| {
                q.as_deref().is_none_or(|q| {
                    b.data["name"]
                        .as_str()
                        .is_some_and(|n| n.to_lowercase().contains(q))
                })
            })
            .map(|b| respond::by_id(render(state, b, expand)))
            .collect()
    });
    let page = paginate(items, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(&app, PATH, &query, page))
}

fn name_taken(state: &BrandingState, name: &str, except: Option<&str>) -> bool {
    state.brands.iter().any(|(id, b)| {
        Some(id.as_str()) != except
            && b.data["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name == "DRAPP_DOMAIN_BRAND" {
        return Err(branding::invalid(
            "name",
            "name: DRAPP_DOMAIN_BRAND is a reserved brand name",
        ));
    }
    Ok(())
}

async fn create(
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = branding::required_str(&body, "name")?.to_owned();
    check_name(&name)?;
    branding::with(&app, |state| {
        if name_taken(state, &name, None) {
            return Err(branding::conflict("E0000202", "Brand name already exists."));
        }
        let brand = super::branding::seed_brand(state, &name);
        let id = brand.data["id"].as_str().unwrap_or_default().to_owned();
        let out = render(state, &brand, None);
        state.brands.insert(id, brand);
        Ok((StatusCode::CREATED, Json(out)).into_response())
    })
}

async fn get_one(
    State(app): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    let expand = query.non_empty("expand");
    check_expand(expand)?;
    branding::with(&app, |state| {
        let brand = state.brand(&id)?;
        Ok(Json(render(state, brand, expand)))
    })
}

async fn replace(
    State(app): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        state.brand(&id)?;
        let name = branding::required_str(&body, "name")?.to_owned();
        check_name(&name)?;
        if name_taken(state, &name, Some(&id)) {
            return Err(branding::conflict("E0000202", "Brand name already exists."));
        }
        let agree = branding::optional_bool(&body, "agreeToCustomPrivacyPolicy")?;
        let privacy_url = branding::optional_str(&body, "customPrivacyPolicyUrl")?;
        if privacy_url.is_some() && agree != Some(true) {
            return Err(branding::invalid(
                "agreeToCustomPrivacyPolicy",
                "agreeToCustomPrivacyPolicy: must be true to set a custom privacy policy URL",
            ));
        }
        if let Some(url) = privacy_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(branding::invalid(
                "customPrivacyPolicyUrl",
                "customPrivacyPolicyUrl: must be an absolute http(s) URL",
            ));
        }
        let locale = branding::optional_str(&body, "locale")?.unwrap_or("en");
        if !branding::is_language_tag(locale) {
            return Err(branding::invalid(
                "locale",
                format!("locale: '{locale}' is not a BCP 47 language tag"),
            ));
        }
        let email_domain = branding::optional_str(&body, "emailDomainId")?;
        if let Some(e) = email_domain
            && !state.email_domains.contains_key(e)
        {
            return Err(branding::invalid(
                "emailDomainId",
                format!("emailDomainId: no email domain {e}"),
            ));
        }
        let default_app = match body.get("defaultApp") {
            None | Some(Value::Null) => None,
            Some(Value::Object(app)) => {
                let mut clean = Map::new();
                for key in ["appInstanceId", "appLinkName", "classicApplicationUri"] {
                    match app.get(key) {
                        None | Some(Value::Null) => {}
                        Some(Value::String(s)) => {
                            clean.insert(key.into(), json!(s));
                        }
                        Some(_) => {
                            return Err(branding::invalid(
                                "defaultApp",
                                format!("defaultApp.{key}: must be a string"),
                            ));
                        }
                    }
                }
                Some(Value::Object(clean))
            }
            Some(_) => {
                return Err(branding::invalid(
                    "defaultApp",
                    "defaultApp: must be an object",
                ));
            }
        };
        let remove_powered =
            branding::optional_bool(&body, "removePoweredByOkta")?.unwrap_or(false);
        let brand = state.brand_mut(&id)?;
        let is_default = brand.data["isDefault"].clone();
        let mut data = json!({
            "id": id,
            "name": name,
            "isDefault": is_default,
            "agreeToCustomPrivacyPolicy": agree.unwrap_or(false),
            "removePoweredByOkta": remove_powered,
            "customPrivacyPolicyUrl": privacy_url,
            "locale": locale,
        });
        if let Some(e) = email_domain {
            data["emailDomainId"] = json!(e);
        }
        if let Some(app) = default_app {
            data["defaultApp"] = app;
        }
        brand.data = data;
        let brand = state.brand(&id)?;
        Ok(Json(render(state, brand, None)))
    })
}

async fn remove(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    branding::with(&app, |state| {
        let brand = state.brand(&id)?;
        if brand.data["isDefault"] == Value::Bool(true) {
            return Err(branding::conflict(
                "E0000200",
                "A default brand cannot be deleted",
            ));
        }
        if !brand_domains(state, &id).is_empty() {
            return Err(branding::conflict(
                "E0000201",
                "A brand associated with a domain cannot be deleted",
            ));
        }
        state.brands.remove(&id);
        Ok(StatusCode::NO_CONTENT)
    })
}

async fn domains(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        state.brand(&id)?;
        Ok(Json(json!({ "domains": brand_domains(state, &id) })))
    })
}
