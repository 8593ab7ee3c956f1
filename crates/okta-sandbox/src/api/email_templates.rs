//! `/api/v1/brands/{brandId}/templates/email`: Okta's standard email templates, their
//! settings, default content, per-language customizations, rendered previews and test
//! sends. Subjects and bodies are stored byte for byte.

use super::branding::{self, BrandingState, Template, link, render, seed};
use super::paging::{LimitRule, paginate, parse_limit};
use super::respond::{self, JsonBody};
use super::{AppState, Query};
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

const LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 200,
};

pub fn routes() -> Router<AppState> {
    let t = "/api/v1/brands/{brandId}/templates/email/{templateName}";
    Router::new()
        .route("/api/v1/brands/{brandId}/templates/email", get(list))
        .route(t, get(get_one))
        .route(
            &format!("{t}/customizations"),
            get(list_customizations)
                .post(create_customization)
                .delete(delete_all),
        )
        .route(
            &format!("{t}/customizations/{{customizationId}}"),
            get(get_customization)
                .put(replace_customization)
                .delete(delete_customization),
        )
        .route(
            &format!("{t}/customizations/{{customizationId}}/preview"),
            get(customization_preview),
        )
        .route(&format!("{t}/default-content"), get(default_content))
        .route(
            &format!("{t}/default-content/preview"),
            get(default_preview),
        )
        .route(
            &format!("{t}/settings"),
            get(settings).put(replace_settings),
        )
        .route(&format!("{t}/test"), post(send_test))
}

fn template_url(base: &str, brand: &str, name: &str) -> String {
    format!("{base}/api/v1/brands/{brand}/templates/email/{name}")
}

fn template<'a>(
    state: &'a BrandingState,
    brand: &str,
    name: &str,
) -> Result<&'a Template, ApiError> {
    state
        .brand(brand)?
        .templates
        .get(name)
        .ok_or_else(|| ApiError::not_found(name, "EmailTemplate"))
}

fn template_mut<'a>(
    state: &'a mut BrandingState,
    brand: &str,
    name: &str,
) -> Result<&'a mut Template, ApiError> {
    state
        .brand_mut(brand)?
        .templates
        .get_mut(name)
        .ok_or_else(|| ApiError::not_found(name, "EmailTemplate"))
}

fn render_settings(base: &str, brand: &str, name: &str, recipients: &str) -> Value {
    let at = template_url(base, brand, name);
    json!({
        "recipients": recipients,
        "_links": {
            "self": link(format!("{at}/settings"), &["GET", "PUT"]),
            "template": link(at, &["GET"]),
        }
    })
}

fn render_template(base: &str, brand: &str, name: &str, t: &Template, expand: &[&str]) -> Value {
    let at = template_url(base, brand, name);
    let mut out = json!({
        "name": name,
        "_links": {
            "self": link(at.clone(), &["GET"]),
            "settings": link(format!("{at}/settings"), &["GET", "PUT"]),
            "defaultContent": link(format!("{at}/default-content"), &["GET"]),
            "customizations": link(format!("{at}/customizations"), &["GET", "POST", "DELETE"]),
            "test": link(format!("{at}/test"), &["POST"]),
        }
    });
    let mut embedded = Map::new();
    if expand.contains(&"settings") {
        embedded.insert(
            "settings".into(),
            render_settings(base, brand, name, &t.recipients),
        );
    }
    if expand.contains(&"customizationCount") {
        embedded.insert("customizationCount".into(), json!(t.customizations.len()));
    }
    if !embedded.is_empty() {
        out["_embedded"] = Value::Object(embedded);
    }
    out
}

fn render_customization(base: &str, brand: &str, name: &str, c: &Value) -> Value {
    let at = template_url(base, brand, name);
    let id = c["id"].as_str().unwrap_or_default();
    branding::with_links(
        c.clone(),
        json!({
            "self": link(format!("{at}/customizations/{id}"), &["GET", "PUT", "DELETE"]),
            "template": link(at.clone(), &["GET"]),
            "preview": link(format!("{at}/customizations/{id}/preview"), &["GET"]),
            "test": link(format!("{at}/test"), &["POST"]),
        }),
    )
}

fn expansions(query: &Query) -> Result<Vec<String>, ApiError> {
    let wanted: Vec<String> = query
        .non_empty("expand")
        .map(|e| e.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    for w in &wanted {
        branding::one_of("expand", w, &["settings", "customizationCount"])?;
    }
    Ok(wanted)
}

async fn list(
    State(app): State<AppState>,
    Path(brand): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let wanted = expansions(&query)?;
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let items = branding::with(&app, |state| {
        let b = state.brand(&brand)?;
        Ok::<_, ApiError>(
            b.templates
                .iter()
                .map(|(name, t)| {
                    let v = render_template(&state.base_url, &brand, name, t, &wanted);
                    let key = super::paging::Cursor {
                        sort: String::new(),
                        id: name.clone(),
                    };
                    (key, v)
                })
                .collect::<Vec<_>>(),
        )
    })?;
    let page = paginate(items, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(
        &app,
        &format!("/api/v1/brands/{brand}/templates/email"),
        &query,
        page,
    ))
}

async fn get_one(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    let wanted = expansions(&query)?;
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    branding::with(&app, |state| {
        let t = template(state, &brand, &name)?;
        Ok(Json(render_template(
            &state.base_url,
            &brand,
            &name,
            t,
            &wanted,
        )))
    })
}

async fn list_customizations(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
    query: Query,
) -> Result<Response, ApiError> {
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let items = branding::with(&app, |state| {
        let t = template(state, &brand, &name)?;
        Ok::<_, ApiError>(
            t.customizations
                .values()
                .map(|c| respond::by_id(render_customization(&state.base_url, &brand, &name, c)))
                .collect::<Vec<_>>(),
        )
    })?;
    let page = paginate(items, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(
        &app,
        &format!("/api/v1/brands/{brand}/templates/email/{name}/customizations"),
        &query,
        page,
    ))
}

/// The validated language, subject, body and isDefault of a customization body.
struct Content {
    language: String,
    subject: String,
    body: String,
    is_default: Option<bool>,
}

fn content(body: &Map<String, Value>) -> Result<Content, ApiError> {
    let language = branding::required_str(body, "language")?.to_owned();
    if !branding::is_language_tag(&language) {
        return Err(branding::invalid(
            "language",
            format!("language: '{language}' is not a BCP 47 language tag"),
        ));
    }
    let subject = branding::required_str(body, "subject")?.to_owned();
    let html = branding::required_str(body, "body")?.to_owned();
    Ok(Content {
        language,
        subject,
        body: html,
        is_default: branding::optional_bool(body, "isDefault")?,
    })
}

fn language_taken(t: &Template, language: &str, except: Option<&str>) -> bool {
    t.customizations.iter().any(|(id, c)| {
        Some(id.as_str()) != except
            && c["language"]
                .as_str()
                .is_some_and(|l| l.eq_ignore_ascii_case(language))
    })
}

fn clear_default(t: &mut Template) {
    for c in t.customizations.values_mut() {
        c["isDefault"] = json!(false);
    }
}

async fn create_customization(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let content = content(&body)?;
    branding::with(&app, |state| {
        template(state, &brand, &name)?;
        let id = state.new_id(seed::CUSTOMIZATION_PREFIX);
        let now = crate::ids::timestamp(chrono::Utc::now());
        let base = state.base_url.clone();
        let t = template_mut(state, &brand, &name)?;
        if language_taken(t, &content.language, None) {
            return Err(branding::conflict(
                "E0000183",
                "An email template customization for that language already exists.",
            ));
        }
        let first = t.customizations.is_empty();
        // The first customization is the default; another can only become it by replace.
        if content.is_default == Some(true) && !first {
            return Err(branding::conflict(
                "E0000182",
                "A default email template customization already exists.",
            ));
        }
        let value = json!({
            "id": id,
            "language": content.language,
            "isDefault": first,
            "subject": content.subject,
            "body": content.body,
            "created": now,
            "lastUpdated": now,
        });
        t.customizations.insert(id, value.clone());
        Ok((
            StatusCode::CREATED,
            Json(render_customization(&base, &brand, &name, &value)),
        )
            .into_response())
    })
}

async fn delete_all(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    branding::with(&app, |state| {
        template_mut(state, &brand, &name)?.customizations.clear();
        Ok(StatusCode::NO_CONTENT)
    })
}

fn customization_not_found(id: &str) -> ApiError {
    ApiError::not_found(id, "EmailCustomization")
}

async fn get_customization(
    State(app): State<AppState>,
    Path((brand, name, id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let c = template(state, &brand, &name)?
            .customizations
            .get(&id)
            .ok_or_else(|| customization_not_found(&id))?;
        Ok(Json(render_customization(
            &state.base_url,
            &brand,
            &name,
            c,
        )))
    })
}

async fn replace_customization(
    State(app): State<AppState>,
    Path((brand, name, id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let content = content(&body)?;
    branding::with(&app, |state| {
        let base = state.base_url.clone();
        let t = template_mut(state, &brand, &name)?;
        let current = t
            .customizations
            .get(&id)
            .ok_or_else(|| customization_not_found(&id))?
            .clone();
        if language_taken(t, &content.language, Some(&id)) {
            return Err(branding::conflict(
                "E0000183",
                "An email template customization for that language already exists.",
            ));
        }
        let was_default = current["isDefault"] == json!(true);
        let is_default = match content.is_default {
            Some(false) if was_default => {
                return Err(branding::conflict(
                    "E0000185",
                    "The isDefault parameter of the default email template customization can't be set to false.",
                ));
            }
            Some(true) => {
                clear_default(t);
                true
            }
            _ => was_default,
        };
        let mut value = current;
        value["language"] = json!(content.language);
        value["subject"] = json!(content.subject);
        value["body"] = json!(content.body);
        value["isDefault"] = json!(is_default);
        value["lastUpdated"] = json!(crate::ids::timestamp(chrono::Utc::now()));
        t.customizations.insert(id.clone(), value.clone());
        Ok(Json(render_customization(&base, &brand, &name, &value)))
    })
}

async fn delete_customization(
    State(app): State<AppState>,
    Path((brand, name, id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    branding::with(&app, |state| {
        let t = template_mut(state, &brand, &name)?;
        let c = t
            .customizations
            .get(&id)
            .ok_or_else(|| customization_not_found(&id))?;
        if c["isDefault"] == json!(true) && t.customizations.len() > 1 {
            return Err(branding::conflict(
                "E0000184",
                "A default email template customization can't be deleted.",
            ));
        }
        t.customizations.remove(&id);
        Ok(StatusCode::NO_CONTENT)
    })
}

fn preview(
    state: &BrandingState,
    brand: &str,
    subject: &str,
    body: &str,
    self_href: String,
    name: &str,
) -> Value {
    let brand_name = state
        .brands
        .get(brand)
        .and_then(|b| b.data["name"].as_str())
        .unwrap_or_default();
    let at = template_url(&state.base_url, brand, name);
    json!({
        "subject": render::render(subject, &state.base_url, brand_name),
        "body": render::render(body, &state.base_url, brand_name),
        "_links": {
            "self": link(self_href, &["GET"]),
            "template": link(at.clone(), &["GET"]),
            "test": link(format!("{at}/test"), &["POST"]),
        }
    })
}

async fn customization_preview(
    State(app): State<AppState>,
    Path((brand, name, id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let c = template(state, &brand, &name)?
            .customizations
            .get(&id)
            .ok_or_else(|| customization_not_found(&id))?;
        let href = format!(
            "{}/customizations/{id}/preview",
            template_url(&state.base_url, &brand, &name)
        );
        Ok(Json(preview(
            state,
            &brand,
            c["subject"].as_str().unwrap_or_default(),
            c["body"].as_str().unwrap_or_default(),
            href,
            &name,
        )))
    })
}

fn check_language(query: &Query) -> Result<(), ApiError> {
    match query.non_empty("language") {
        Some(l) if !branding::is_language_tag(l) => Err(branding::invalid(
            "language",
            format!("language: '{l}' is not a BCP 47 language tag"),
        )),
        _ => Ok(()),
    }
}

async fn default_content(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    check_language(&query)?;
    branding::with(&app, |state| {
        template(state, &brand, &name)?;
        let (subject, body) = seed::default_content(&name)
            .ok_or_else(|| ApiError::not_found(&name, "EmailTemplate"))?;
        let at = template_url(&state.base_url, &brand, &name);
        Ok(Json(json!({
            "subject": subject,
            "body": body,
            "_links": {
                "self": link(format!("{at}/default-content"), &["GET"]),
                "template": link(at.clone(), &["GET"]),
                "preview": link(format!("{at}/default-content/preview"), &["GET"]),
            }
        })))
    })
}

async fn default_preview(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    check_language(&query)?;
    branding::with(&app, |state| {
        template(state, &brand, &name)?;
        let (subject, body) = seed::default_content(&name)
            .ok_or_else(|| ApiError::not_found(&name, "EmailTemplate"))?;
        let href = format!(
            "{}/default-content/preview",
            template_url(&state.base_url, &brand, &name)
        );
        Ok(Json(preview(state, &brand, subject, body, href, &name)))
    })
}

async fn settings(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let t = template(state, &brand, &name)?;
        Ok(Json(render_settings(
            &state.base_url,
            &brand,
            &name,
            &t.recipients,
        )))
    })
}

async fn replace_settings(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let recipients = branding::required_str(&body, "recipients")?.to_owned();
    branding::one_of(
        "recipients",
        &recipients,
        &["ALL_USERS", "ADMINS_ONLY", "NO_USERS"],
    )?;
    branding::with(&app, |state| {
        let base = state.base_url.clone();
        let t = template_mut(state, &brand, &name)?;
        t.recipients = recipients.clone();
        Ok(Json(render_settings(&base, &brand, &name, &recipients)))
    })
}

/// Logs the email the admin would receive: the customization for the language (or the
/// default customization, or Okta's default content), rendered.
async fn send_test(
    State(app): State<AppState>,
    Path((brand, name)): Path<(String, String)>,
    query: Query,
) -> Result<StatusCode, ApiError> {
    check_language(&query)?;
    let language = query.non_empty("language").unwrap_or("en").to_owned();
    branding::with(&app, |state| {
        let t = template(state, &brand, &name)?;
        let chosen = t
            .customizations
            .values()
            .find(|c| {
                c["language"]
                    .as_str()
                    .is_some_and(|l| l.eq_ignore_ascii_case(&language))
            })
            .or_else(|| {
                t.customizations
                    .values()
                    .find(|c| c["isDefault"] == json!(true))
            });
        let subject = match chosen {
            Some(c) => c["subject"].as_str().unwrap_or_default().to_owned(),
            None => seed::default_content(&name)
                .map(|(s, _)| s.to_owned())
                .unwrap_or_default(),
        };
        let brand_name = state.brand(&brand)?.data["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let subject = render::render(&subject, &state.base_url, &brand_name);
        // No mail leaves the sandbox; the log shows what would have been sent.
        tracing::info!(brand = %brand, template = %name, %language, %subject, "test email");
        Ok(StatusCode::NO_CONTENT)
    })
}
