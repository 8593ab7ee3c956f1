//! `/api/v1/brands/{brandId}/pages`: the error and sign-in pages (default, customized,
//! preview, and their root with `expand`), the widget versions and the sign-out page.
//! Page content is stored and returned byte for byte.

use super::branding::{self, BrandingState, PageSet, link, seed, with_links};
use super::respond::JsonBody;
use super::{AppState, Query};
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/brands/{brandId}/pages/error", get(error_root))
        .route(
            "/api/v1/brands/{brandId}/pages/error/customized",
            get(error_customized)
                .put(replace_error_customized)
                .delete(delete_error_customized),
        )
        .route(
            "/api/v1/brands/{brandId}/pages/error/default",
            get(error_default),
        )
        .route(
            "/api/v1/brands/{brandId}/pages/error/preview",
            get(error_preview)
                .put(replace_error_preview)
                .delete(delete_error_preview),
        )
        .route("/api/v1/brands/{brandId}/pages/sign-in", get(sign_in_root))
        .route(
            "/api/v1/brands/{brandId}/pages/sign-in/customized",
            get(sign_in_customized)
                .put(replace_sign_in_customized)
                .delete(delete_sign_in_customized),
        )
        .route(
            "/api/v1/brands/{brandId}/pages/sign-in/default",
            get(sign_in_default),
        )
        .route(
            "/api/v1/brands/{brandId}/pages/sign-in/preview",
            get(sign_in_preview)
                .put(replace_sign_in_preview)
                .delete(delete_sign_in_preview),
        )
        .route(
            "/api/v1/brands/{brandId}/pages/sign-in/widget-versions",
            get(widget_versions),
        )
        .route(
            "/api/v1/brands/{brandId}/pages/sign-out/customized",
            get(sign_out).put(replace_sign_out),
        )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Error,
    SignIn,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Default,
    Customized,
    Preview,
}

impl Page {
    fn segment(self) -> &'static str {
        match self {
            Page::Error => "error",
            Page::SignIn => "sign-in",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Page::Error => "ErrorPage",
            Page::SignIn => "SignInPage",
        }
    }

    /// Where the live and preview versions of the page are served.
    fn urls(self, base: &str) -> (String, String) {
        match self {
            Page::Error => (format!("{base}/error"), format!("{base}/error/preview")),
            Page::SignIn => (
                format!("{base}/login/login.htm"),
                format!("{base}/login/preview"),
            ),
        }
    }
}

impl Variant {
    fn segment(self) -> &'static str {
        match self {
            Variant::Default => "default",
            Variant::Customized => "customized",
            Variant::Preview => "preview",
        }
    }
}

fn pages<'a>(
    state: &'a mut BrandingState,
    brand_id: &str,
    page: Page,
) -> Result<&'a mut PageSet, ApiError> {
    let brand = state.brand_mut(brand_id)?;
    Ok(match page {
        Page::Error => &mut brand.error_page,
        Page::SignIn => &mut brand.sign_in_page,
    })
}

fn render(base: &str, brand_id: &str, page: Page, variant: Variant, content: &Value) -> Value {
    let allow: &[&str] = if variant == Variant::Default {
        &["GET"]
    } else {
        &["GET", "PUT", "DELETE"]
    };
    with_links(
        content.clone(),
        json!({"self": link(
            format!("{base}/api/v1/brands/{brand_id}/pages/{}/{}", page.segment(), variant.segment()),
            allow,
        )}),
    )
}

fn read(
    app: &AppState,
    brand_id: &str,
    page: Page,
    variant: Variant,
) -> Result<Json<Value>, ApiError> {
    branding::with(app, |state| {
        let base = state.base_url.clone();
        let set = pages(state, brand_id, page)?;
        let content = match variant {
            Variant::Default => Some(&set.default),
            Variant::Customized => set.customized.as_ref(),
            Variant::Preview => set.preview.as_ref(),
        }
        .ok_or_else(|| {
            ApiError::not_found(
                &format!("{}/{}", page.segment(), variant.segment()),
                page.kind(),
            )
        })?;
        Ok(Json(render(&base, brand_id, page, variant, content)))
    })
}

fn check_csp(body: &Map<String, Value>) -> Result<Value, ApiError> {
    let field = "contentSecurityPolicySetting";
    let csp = match body.get(field) {
        None | Some(Value::Null) => {
            return Ok(json!({"mode": "report_only", "reportUri": null, "srcList": []}));
        }
        Some(Value::Object(csp)) => csp,
        Some(_) => {
            return Err(branding::invalid(
                field,
                format!("{field}: must be an object"),
            ));
        }
    };
    let mode = branding::optional_str(csp, "mode")?.unwrap_or("report_only");
    branding::one_of(
        "contentSecurityPolicySetting.mode",
        mode,
        &["enforced", "report_only"],
    )?;
    let report_uri = branding::optional_str(csp, "reportUri")?;
    let src_list = match csp.get("srcList") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items.clone(),
        Some(_) => {
            return Err(branding::invalid(
                field,
                "contentSecurityPolicySetting.srcList: must be an array of strings",
            ));
        }
    };
    Ok(json!({"mode": mode, "reportUri": report_uri, "srcList": src_list}))
}

/// Validates a page body and returns what is stored (content untouched).
fn page_body(page: Page, body: &Map<String, Value>) -> Result<Value, ApiError> {
    let content = branding::required_str(body, "pageContent")?;
    let mut out = json!({
        "pageContent": content,
        "contentSecurityPolicySetting": check_csp(body)?,
    });
    if page == Page::SignIn {
        let version = branding::optional_str(body, "widgetVersion")?.unwrap_or("^7");
        let shape_ok = {
            let v = version.strip_prefix('^').unwrap_or(version);
            !v.is_empty()
                && v.split('.').count() <= 2
                && v.split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        };
        if !shape_ok {
            return Err(branding::invalid(
                "widgetVersion",
                format!("widgetVersion: '{version}' is not a version like 7.20 or ^7"),
            ));
        }
        out["widgetVersion"] = json!(version);
        out["widgetCustomizations"] = match body.get("widgetCustomizations") {
            None | Some(Value::Null) => json!({"widgetGeneration": "G3"}),
            Some(Value::Object(c)) => Value::Object(c.clone()),
            Some(_) => {
                return Err(branding::invalid(
                    "widgetCustomizations",
                    "widgetCustomizations: must be an object",
                ));
            }
        };
    }
    Ok(out)
}

fn write(
    app: &AppState,
    brand_id: &str,
    page: Page,
    variant: Variant,
    body: &Map<String, Value>,
) -> Result<Json<Value>, ApiError> {
    branding::with(app, |state| {
        state.brand(brand_id)?;
        let content = page_body(page, body)?;
        let base = state.base_url.clone();
        let set = pages(state, brand_id, page)?;
        match variant {
            Variant::Customized => set.customized = Some(content.clone()),
            Variant::Preview => set.preview = Some(content.clone()),
            Variant::Default => {}
        }
        Ok(Json(render(&base, brand_id, page, variant, &content)))
    })
}

fn remove(
    app: &AppState,
    brand_id: &str,
    page: Page,
    variant: Variant,
) -> Result<StatusCode, ApiError> {
    branding::with(app, |state| {
        let set = pages(state, brand_id, page)?;
        match variant {
            Variant::Customized => set.customized = None,
            Variant::Preview => set.preview = None,
            Variant::Default => {}
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

fn root(
    app: &AppState,
    brand_id: &str,
    page: Page,
    query: &Query,
) -> Result<Json<Value>, ApiError> {
    let wanted: Vec<String> = query
        .non_empty("expand")
        .map(|e| e.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    for w in &wanted {
        branding::one_of(
            "expand",
            w,
            &[
                "default",
                "customized",
                "customizedUrl",
                "preview",
                "previewUrl",
            ],
        )?;
    }
    branding::with(app, |state| {
        let base = state.base_url.clone();
        let set = pages(state, brand_id, page)?.clone();
        let (live_url, preview_url) = page.urls(&base);
        let mut embedded = Map::new();
        for w in &wanted {
            let value = match w.as_str() {
                "default" => Some(json!({"pageContent": set.default["pageContent"]})),
                "customized" => set
                    .customized
                    .as_ref()
                    .map(|c| json!({"pageContent": c["pageContent"]})),
                "preview" => set
                    .preview
                    .as_ref()
                    .map(|c| json!({"pageContent": c["pageContent"]})),
                "customizedUrl" => Some(json!(live_url)),
                "previewUrl" => Some(json!(preview_url)),
                _ => None,
            };
            if let Some(value) = value {
                embedded.insert(w.clone(), value);
            }
        }
        let at = format!("{base}/api/v1/brands/{brand_id}/pages/{}", page.segment());
        let mut out = json!({
            "_links": {
                "self": link(at.clone(), &["GET"]),
                "default": link(format!("{at}/default"), &["GET"]),
                "customized": link(format!("{at}/customized"), &["GET", "PUT", "DELETE"]),
                "preview": link(format!("{at}/preview"), &["GET", "PUT", "DELETE"]),
            }
        });
        if !embedded.is_empty() {
            out["_embedded"] = Value::Object(embedded);
        }
        Ok(Json(out))
    })
}

async fn error_root(
    State(app): State<AppState>,
    Path(b): Path<String>,
    q: Query,
) -> Result<Json<Value>, ApiError> {
    root(&app, &b, Page::Error, &q)
}
async fn sign_in_root(
    State(app): State<AppState>,
    Path(b): Path<String>,
    q: Query,
) -> Result<Json<Value>, ApiError> {
    root(&app, &b, Page::SignIn, &q)
}
async fn error_default(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read(&app, &b, Page::Error, Variant::Default)
}
async fn error_customized(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read(&app, &b, Page::Error, Variant::Customized)
}
async fn error_preview(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read(&app, &b, Page::Error, Variant::Preview)
}
async fn sign_in_default(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read(&app, &b, Page::SignIn, Variant::Default)
}
async fn sign_in_customized(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read(&app, &b, Page::SignIn, Variant::Customized)
}
async fn sign_in_preview(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read(&app, &b, Page::SignIn, Variant::Preview)
}
async fn replace_error_customized(
    State(app): State<AppState>,
    Path(b): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    write(&app, &b, Page::Error, Variant::Customized, &body)
}
async fn replace_error_preview(
    State(app): State<AppState>,
    Path(b): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    write(&app, &b, Page::Error, Variant::Preview, &body)
}
async fn replace_sign_in_customized(
    State(app): State<AppState>,
    Path(b): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    write(&app, &b, Page::SignIn, Variant::Customized, &body)
}
async fn replace_sign_in_preview(
    State(app): State<AppState>,
    Path(b): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    write(&app, &b, Page::SignIn, Variant::Preview, &body)
}
async fn delete_error_customized(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&app, &b, Page::Error, Variant::Customized)
}
async fn delete_error_preview(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&app, &b, Page::Error, Variant::Preview)
}
async fn delete_sign_in_customized(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&app, &b, Page::SignIn, Variant::Customized)
}
async fn delete_sign_in_preview(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&app, &b, Page::SignIn, Variant::Preview)
}

async fn widget_versions(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        state.brand(&b)?;
        Ok(Json(json!(seed::WIDGET_VERSIONS)))
    })
}

fn render_sign_out(base: &str, brand_id: &str, hosted: &Value) -> Value {
    with_links(
        hosted.clone(),
        json!({"self": link(format!("{base}/api/v1/brands/{brand_id}/pages/sign-out/customized"), &["GET", "PUT"])}),
    )
}

async fn sign_out(
    State(app): State<AppState>,
    Path(b): Path<String>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let hosted = state.brand(&b)?.sign_out.clone();
        Ok(Json(render_sign_out(&state.base_url, &b, &hosted)))
    })
}

async fn replace_sign_out(
    State(app): State<AppState>,
    Path(b): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let kind = branding::required_str(&body, "type")?;
    branding::one_of("type", kind, &["EXTERNALLY_HOSTED", "OKTA_DEFAULT"])?;
    let url = branding::optional_str(&body, "url")?;
    let hosted = match (kind, url) {
        ("EXTERNALLY_HOSTED", Some(u)) if u.starts_with("https://") || u.starts_with("http://") => {
            json!({"type": kind, "url": u})
        }
        ("EXTERNALLY_HOSTED", _) => {
            return Err(branding::invalid(
                "url",
                "url: an absolute http(s) URL is required when type is EXTERNALLY_HOSTED",
            ));
        }
        _ => json!({"type": kind}),
    };
    branding::with(&app, |state| {
        state.brand_mut(&b)?.sign_out = hosted.clone();
        Ok(Json(render_sign_out(&state.base_url, &b, &hosted)))
    })
}
