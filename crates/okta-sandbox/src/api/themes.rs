//! `/api/v1/brands/{brandId}/themes`: list, read, replace, and the logo, favicon and
//! background image (multipart uploads checked as Okta checks them, and deletes).

use super::AppState;
use super::branding::images::{self, Kind};
use super::branding::{self, link, multipart, seed, with_links};
use super::respond::JsonBody;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// Room for a 2 MB image plus the multipart framing; larger bodies are refused by size.
const UPLOAD_BODY_LIMIT: usize = 3 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/brands/{brandId}/themes", get(list))
        .route(
            "/api/v1/brands/{brandId}/themes/{themeId}",
            get(get_one).put(replace),
        )
        .route(
            "/api/v1/brands/{brandId}/themes/{themeId}/logo",
            post(upload_logo).delete(delete_logo),
        )
        .route(
            "/api/v1/brands/{brandId}/themes/{themeId}/favicon",
            post(upload_favicon).delete(delete_favicon),
        )
        .route(
            "/api/v1/brands/{brandId}/themes/{themeId}/background-image",
            post(upload_background).delete(delete_background),
        )
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

/// A theme as the API returns it.
pub fn render(base: &str, brand_id: &str, theme: &Value) -> Value {
    let id = theme["id"].as_str().unwrap_or_default();
    let at = format!("{base}/api/v1/brands/{brand_id}/themes/{id}");
    with_links(
        theme.clone(),
        json!({
            "self": link(at.clone(), &["GET", "PUT"]),
            "logo": link(format!("{at}/logo"), &["POST", "DELETE"]),
            "favicon": link(format!("{at}/favicon"), &["POST", "DELETE"]),
            "backgroundImage": link(format!("{at}/background-image"), &["POST", "DELETE"]),
        }),
    )
}

fn theme_not_found(id: &str) -> ApiError {
    ApiError::not_found(id, "Theme")
}

async fn list(
    State(app): State<AppState>,
    Path(brand_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let brand = state.brand(&brand_id)?;
        Ok(Json(Value::Array(
            brand
                .themes
                .values()
                .map(|t| render(&state.base_url, &brand_id, t))
                .collect(),
        )))
    })
}

async fn get_one(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    branding::with(&app, |state| {
        let theme = state
            .brand(&brand_id)?
            .themes
            .get(&theme_id)
            .ok_or_else(|| theme_not_found(&theme_id))?;
        Ok(Json(render(&state.base_url, &brand_id, theme)))
    })
}

fn hex_color(field: &str, value: &str) -> Result<(), ApiError> {
    let ok = value.len() == 7
        && value.starts_with('#')
        && value[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(branding::invalid(
            field,
            format!("{field}: '{value}' is not a hex color like #1662dd"),
        ))
    }
}

/// Black or white, whichever reads better on `hex` (what Okta picks when none is given).
fn contrast(hex: &str) -> &'static str {
    let channel = |i: usize| u32::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    let luma = 299 * channel(1) + 587 * channel(3) + 114 * channel(5);
    if luma > 128_000 { "#000000" } else { "#ffffff" }
}

async fn replace(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let primary = branding::required_str(&body, "primaryColorHex")?;
    hex_color("primaryColorHex", primary)?;
    let secondary = branding::required_str(&body, "secondaryColorHex")?;
    hex_color("secondaryColorHex", secondary)?;
    let mut contrasts = Vec::new();
    for (field, of) in [
        ("primaryColorContrastHex", primary),
        ("secondaryColorContrastHex", secondary),
    ] {
        let value = match branding::optional_str(&body, field)? {
            Some(v) => {
                hex_color(field, v)?;
                v.to_owned()
            }
            None => contrast(of).to_owned(),
        };
        contrasts.push(value);
    }
    let variants: [(&str, &[&str], bool); 5] = [
        (
            "signInPageTouchPointVariant",
            &[
                "BACKGROUND_IMAGE",
                "BACKGROUND_SECONDARY_COLOR",
                "OKTA_DEFAULT",
            ],
            true,
        ),
        (
            "endUserDashboardTouchPointVariant",
            &[
                "FULL_THEME",
                "LOGO_ON_FULL_WHITE_BACKGROUND",
                "OKTA_DEFAULT",
                "WHITE_LOGO_BACKGROUND",
            ],
            true,
        ),
        (
            "errorPageTouchPointVariant",
            &[
                "BACKGROUND_IMAGE",
                "BACKGROUND_SECONDARY_COLOR",
                "OKTA_DEFAULT",
            ],
            true,
        ),
        (
            "emailTemplateTouchPointVariant",
            &["FULL_THEME", "OKTA_DEFAULT"],
            true,
        ),
        (
            "loadingPageTouchPointVariant",
            &["NONE", "OKTA_DEFAULT"],
            false,
        ),
    ];
    let mut chosen = Vec::new();
    for (field, allowed, required) in variants {
        let value = if required {
            branding::required_str(&body, field)?
        } else {
            branding::optional_str(&body, field)?.unwrap_or("OKTA_DEFAULT")
        };
        branding::one_of(field, value, allowed)?;
        chosen.push((field, value.to_owned()));
    }
    branding::with(&app, |state| {
        let base = state.base_url.clone();
        let theme = state
            .brand_mut(&brand_id)?
            .themes
            .get_mut(&theme_id)
            .ok_or_else(|| theme_not_found(&theme_id))?;
        theme["primaryColorHex"] = json!(primary);
        theme["secondaryColorHex"] = json!(secondary);
        theme["primaryColorContrastHex"] = json!(contrasts[0]);
        theme["secondaryColorContrastHex"] = json!(contrasts[1]);
        for (field, value) in chosen {
            theme[field] = json!(value);
        }
        Ok(Json(render(&base, &brand_id, theme)))
    })
}

/// Theme field and default value of each image kind.
fn field(kind: Kind) -> &'static str {
    match kind {
        Kind::Logo => "logo",
        Kind::Favicon => "favicon",
        Kind::BackgroundImage => "backgroundImage",
    }
}

fn default_image(base: &str, kind: Kind) -> Value {
    match kind {
        Kind::Logo => json!(seed::default_logo(base)),
        Kind::Favicon => json!(seed::default_favicon(base)),
        Kind::BackgroundImage => Value::Null,
    }
}

fn upload(
    app: &AppState,
    brand_id: &str,
    theme_id: &str,
    headers: &HeaderMap,
    body: &[u8],
    kind: Kind,
) -> Result<Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let part = multipart::file_field(content_type, body, "file")?;
    let format =
        images::check(kind, &part.data).map_err(|cause| branding::invalid("file", cause))?;
    branding::with(app, |state| {
        state
            .brand(brand_id)?
            .themes
            .get(theme_id)
            .ok_or_else(|| theme_not_found(theme_id))?;
        let record = crate::ids::base62(&mut state.rng, 20);
        let url = format!(
            "{}/bc/image/fileStoreRecord?id={record}&ext={}",
            state.base_url,
            format.extension()
        );
        if let Some(theme) = state.brand_mut(brand_id)?.themes.get_mut(theme_id) {
            theme[field(kind)] = json!(url);
        }
        Ok(json!({ "url": url }))
    })
}

fn delete_image(
    app: &AppState,
    brand_id: &str,
    theme_id: &str,
    kind: Kind,
) -> Result<StatusCode, ApiError> {
    branding::with(app, |state| {
        let default = default_image(&state.base_url, kind);
        let theme = state
            .brand_mut(brand_id)?
            .themes
            .get_mut(theme_id)
            .ok_or_else(|| theme_not_found(theme_id))?;
        theme[field(kind)] = default;
        Ok(StatusCode::NO_CONTENT)
    })
}

async fn upload_logo(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let out = upload(&app, &brand_id, &theme_id, &headers, &body, Kind::Logo)?;
    Ok((StatusCode::OK, Json(out)).into_response())
}

async fn upload_favicon(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let out = upload(&app, &brand_id, &theme_id, &headers, &body, Kind::Favicon)?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

async fn upload_background(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let out = upload(
        &app,
        &brand_id,
        &theme_id,
        &headers,
        &body,
        Kind::BackgroundImage,
    )?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

async fn delete_logo(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    delete_image(&app, &brand_id, &theme_id, Kind::Logo)
}

async fn delete_favicon(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    delete_image(&app, &brand_id, &theme_id, Kind::Favicon)
}

async fn delete_background(
    State(app): State<AppState>,
    Path((brand_id, theme_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    delete_image(&app, &brand_id, &theme_id, Kind::BackgroundImage)
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestOrg;
    use crate::SandboxConfig;
    use reqwest::multipart::{Form, Part};
    use serde_json::Value;

    async fn org() -> TestOrg {
        TestOrg::start(SandboxConfig {
            users: 5,
            log_events: 5,
            ..SandboxConfig::default()
        })
        .await
    }

    fn png(w: u32, h: u32, size: usize) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&h.to_be_bytes());
        out.resize(size.max(out.len()), 0);
        out
    }

    /// (brand id, theme id) of the default brand.
    async fn theme(org: &TestOrg) -> (String, String) {
        let brands: Value = org.get("/api/v1/brands").await.json().await.unwrap();
        let brand = brands
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["isDefault"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let themes: Value = org
            .get(&format!("/api/v1/brands/{brand}/themes"))
            .await
            .json()
            .await
            .unwrap();
        (brand, themes[0]["id"].as_str().unwrap().to_owned())
    }

    async fn upload(org: &TestOrg, path: &str, data: Vec<u8>) -> (u16, Value) {
        let form = Form::new().part("file", Part::bytes(data).file_name("img.bin"));
        let response = org
            .http
            .post(format!("{}{path}", org.url))
            .bearer_auth("all")
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn uploads_are_checked_like_okta_and_change_the_theme() {
        let org = org().await;
        let (brand, theme) = theme(&org).await;
        let at = format!("/api/v1/brands/{brand}/themes/{theme}");

        let (status, body) = upload(&org, &format!("{at}/logo"), png(300, 50, 2048)).await;
        assert_eq!(status, 200, "{body}");
        let url = body["url"].as_str().unwrap().to_owned();
        let got: Value = org.get(&at).await.json().await.unwrap();
        assert_eq!(got["logo"], url.as_str());

        let (status, body) = upload(&org, &format!("{at}/logo"), png(300, 50, 100 * 1024)).await;
        assert_eq!(status, 400);
        assert_eq!(body["errorCode"], "E0000001");
        let (status, _) = upload(
            &org,
            &format!("{at}/background-image"),
            png(1920, 1080, 100 * 1024),
        )
        .await;
        assert_eq!(status, 201);
        let (status, _) = upload(&org, &format!("{at}/favicon"), b"GIF89a......".to_vec()).await;
        assert_eq!(status, 400);
        let (status, _) = upload(&org, &format!("{at}/favicon"), png(48, 48, 512)).await;
        assert_eq!(status, 201);

        let not_multipart = org
            .send(
                reqwest::Method::POST,
                &format!("{at}/logo"),
                Some(serde_json::json!({"file": "x"})),
            )
            .await;
        assert_eq!(not_multipart.status().as_u16(), 400);

        let deleted = org
            .send(reqwest::Method::DELETE, &format!("{at}/logo"), None)
            .await;
        assert_eq!(deleted.status().as_u16(), 204);
        let got: Value = org.get(&at).await.json().await.unwrap();
        assert!(got["logo"].as_str().unwrap().contains("okta-logo"));
        assert!(got["backgroundImage"].as_str().is_some());

        let (status, _) = upload(
            &org,
            "/api/v1/brands/bndNope/themes/thdNope/logo",
            png(1, 1, 64),
        )
        .await;
        assert_eq!(status, 404);
    }

    #[tokio::test]
    async fn each_sandbox_has_its_own_branding() {
        let first = org().await;
        let second = org().await;
        let created = first
            .send(
                reqwest::Method::POST,
                "/api/v1/brands",
                Some(serde_json::json!({"name": "Only In First"})),
            )
            .await;
        assert_eq!(created.status().as_u16(), 201);
        let in_second: Value = second.get("/api/v1/brands").await.json().await.unwrap();
        assert_eq!(in_second.as_array().map(Vec::len), Some(2));
        let in_first: Value = first.get("/api/v1/brands").await.json().await.unwrap();
        assert_eq!(in_first.as_array().map(Vec::len), Some(3));
    }
}
