//! Brand themes: colours and touch-point variants, and their logo, favicon and background
//! image (removal here; uploads check the local file first, see `images`).
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::brands::{ack, brand_label, whole_list};
use crate::tools::common::{self, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::users::non_empty;
use crate::tools::{Effect, Output, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BrandIdParams {
    /// Brand ID (bnd…).
    pub brand_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ThemeParams {
    /// Brand ID (bnd…).
    pub brand_id: String,
    /// Theme ID (thd…), from list_brand_themes.
    pub theme_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReplaceThemeParams {
    /// Brand ID (bnd…).
    pub brand_id: String,
    /// Theme ID (thd…).
    pub theme_id: String,
    /// Primary colour, `#RRGGBB`.
    pub primary_color_hex: String,
    /// Secondary colour, `#RRGGBB`.
    pub secondary_color_hex: String,
    /// BACKGROUND_IMAGE, BACKGROUND_SECONDARY_COLOR or OKTA_DEFAULT.
    pub sign_in_page_touch_point_variant: String,
    /// FULL_THEME, LOGO_ON_FULL_WHITE_BACKGROUND, OKTA_DEFAULT or WHITE_LOGO_BACKGROUND.
    pub end_user_dashboard_touch_point_variant: String,
    /// BACKGROUND_IMAGE, BACKGROUND_SECONDARY_COLOR or OKTA_DEFAULT.
    pub error_page_touch_point_variant: String,
    /// FULL_THEME or OKTA_DEFAULT.
    pub email_template_touch_point_variant: String,
    /// Text colour on the primary colour, `#RRGGBB` (Okta picks one if omitted).
    #[serde(default)]
    pub primary_color_contrast_hex: Option<String>,
    /// Text colour on the secondary colour, `#RRGGBB`.
    #[serde(default)]
    pub secondary_color_contrast_hex: Option<String>,
    /// NONE or OKTA_DEFAULT.
    #[serde(default)]
    pub loading_page_touch_point_variant: Option<String>,
}

fn theme_path(brand_id: &str, theme_id: &str) -> ApiPath {
    ApiPath::new(paths::BRANDS)
        .id(brand_id)
        .lit("themes")
        .id(theme_id)
}

fn check_ids(brand_id: &str, theme_id: &str) -> Result<(), ToolError> {
    non_empty("brand_id", brand_id)?;
    non_empty("theme_id", theme_id)
}

fn hex(name: &str, value: &str) -> Result<String, ToolError> {
    let v = value.trim();
    let ok = v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(v.to_owned())
    } else {
        Err(ToolError::InvalidArguments(format!(
            "{name}: {value:?} is not a colour like #1662dd"
        )))
    }
}

/// Upper-cases a variant and checks it against Okta's enum for that touch point.
fn variant(name: &str, value: &str, allowed: &[&str]) -> Result<String, ToolError> {
    let v = value.trim().to_ascii_uppercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(ToolError::InvalidArguments(format!(
            "{name}: {value:?} is not one of {}",
            allowed.join(", ")
        )))
    }
}

const PAGE_VARIANTS: &[&str] = &[
    "BACKGROUND_IMAGE",
    "BACKGROUND_SECONDARY_COLOR",
    "OKTA_DEFAULT",
];
const DASHBOARD_VARIANTS: &[&str] = &[
    "FULL_THEME",
    "LOGO_ON_FULL_WHITE_BACKGROUND",
    "OKTA_DEFAULT",
    "WHITE_LOGO_BACKGROUND",
];
const EMAIL_VARIANTS: &[&str] = &["FULL_THEME", "OKTA_DEFAULT"];
const LOADING_VARIANTS: &[&str] = &["NONE", "OKTA_DEFAULT"];

fn theme_body(p: &ReplaceThemeParams) -> Result<Value, ToolError> {
    let mut body = Map::new();
    body.insert(
        "primaryColorHex".into(),
        json!(hex("primary_color_hex", &p.primary_color_hex)?),
    );
    body.insert(
        "secondaryColorHex".into(),
        json!(hex("secondary_color_hex", &p.secondary_color_hex)?),
    );
    if let Some(v) = &p.primary_color_contrast_hex {
        body.insert(
            "primaryColorContrastHex".into(),
            json!(hex("primary_color_contrast_hex", v)?),
        );
    }
    if let Some(v) = &p.secondary_color_contrast_hex {
        body.insert(
            "secondaryColorContrastHex".into(),
            json!(hex("secondary_color_contrast_hex", v)?),
        );
    }
    body.insert(
        "signInPageTouchPointVariant".into(),
        json!(variant(
            "sign_in_page_touch_point_variant",
            &p.sign_in_page_touch_point_variant,
            PAGE_VARIANTS
        )?),
    );
    body.insert(
        "endUserDashboardTouchPointVariant".into(),
        json!(variant(
            "end_user_dashboard_touch_point_variant",
            &p.end_user_dashboard_touch_point_variant,
            DASHBOARD_VARIANTS
        )?),
    );
    body.insert(
        "errorPageTouchPointVariant".into(),
        json!(variant(
            "error_page_touch_point_variant",
            &p.error_page_touch_point_variant,
            PAGE_VARIANTS
        )?),
    );
    body.insert(
        "emailTemplateTouchPointVariant".into(),
        json!(variant(
            "email_template_touch_point_variant",
            &p.email_template_touch_point_variant,
            EMAIL_VARIANTS
        )?),
    );
    if let Some(v) = &p.loading_page_touch_point_variant {
        body.insert(
            "loadingPageTouchPointVariant".into(),
            json!(variant(
                "loading_page_touch_point_variant",
                v,
                LOADING_VARIANTS
            )?),
        );
    }
    Ok(Value::Object(body))
}

/// One of the three theme images, as its endpoint and its name in messages.
#[derive(Clone, Copy)]
struct Image {
    tool: &'static str,
    title: &'static str,
    segment: &'static str,
    noun: &'static str,
    replacement: &'static str,
}

const IMAGES: [Image; 3] = [
    Image {
        tool: "delete_brand_theme_logo",
        title: "Delete theme logo",
        segment: "logo",
        noun: "logo",
        replacement: "Okta's default logo",
    },
    Image {
        tool: "delete_brand_theme_favicon",
        title: "Delete theme favicon",
        segment: "favicon",
        noun: "favicon",
        replacement: "Okta's default favicon",
    },
    Image {
        tool: "delete_brand_theme_background_image",
        title: "Delete theme background image",
        segment: "background-image",
        noun: "background image",
        replacement: "no background image",
    },
];

fn delete_image_tool(image: Image) -> ToolDef {
    let description: &'static str = match image.segment {
        "logo" => "Remove a theme's logo; the brand falls back to Okta's default logo.",
        "favicon" => "Remove a theme's favicon; the brand falls back to Okta's default favicon.",
        _ => "Remove a theme's background image.",
    };
    ToolDef::new(
        ToolSpec {
            name: image.tool,
            title: image.title,
            description,
            toolset: Toolset::Themes,
            scope: Some("okta.brands.manage"),
            effect: Effect::Destructive { idempotent: true },
            output: Output::Object,
        },
        move |ctx: ToolCtx, p: ThemeParams| async move {
            check_ids(&p.brand_id, &p.theme_id)?;
            let req = ApiRequest::delete(theme_path(&p.brand_id, &p.theme_id).lit(image.segment));
            ctx.client.send(req).await?;
            Ok(ack(format!(
                "The {} of theme {} (brand {}) was removed; it now shows {}.",
                image.noun, p.theme_id, p.brand_id, image.replacement
            )))
        },
    )
    .confirm_with(move |ctx: ToolCtx, p: ThemeParams| async move {
        check_ids(&p.brand_id, &p.theme_id)?;
        let brand = brand_label(&ctx, &p.brand_id).await;
        Ok(format!(
            "Remove the {} of theme {} of brand {brand}? It will show {} instead.",
            image.noun, p.theme_id, image.replacement
        ))
    })
}

pub fn tools() -> Vec<ToolDef> {
    let mut tools = vec![
        ToolDef::new(
            ToolSpec {
                name: "list_brand_themes",
                title: "List brand themes",
                description: "List a brand's themes (Okta gives each brand one): colours, touch-point variants, logo, favicon and background image URLs.",
                toolset: Toolset::Themes,
                scope: Some("okta.brands.read"),
                effect: Effect::Read,
                output: Output::Object,
            },
            |ctx: ToolCtx, p: BrandIdParams| async move {
                non_empty("brand_id", &p.brand_id)?;
                let req =
                    ApiRequest::get(ApiPath::new(paths::BRANDS).id(&p.brand_id).lit("themes"));
                let body = ctx.client.send(req).await?.body;
                Ok(whole_list("themes", body))
            },
        ),
        ToolDef::new(
            ToolSpec {
                name: "get_brand_theme",
                title: "Get brand theme",
                description: "Get one theme of a brand.",
                toolset: Toolset::Themes,
                scope: Some("okta.brands.read"),
                effect: Effect::Read,
                output: Output::Object,
            },
            |ctx: ToolCtx, p: ThemeParams| async move {
                check_ids(&p.brand_id, &p.theme_id)?;
                common::object(
                    &ctx,
                    ApiRequest::get(theme_path(&p.brand_id, &p.theme_id)),
                    None,
                )
                .await
            },
        ),
        ToolDef::new(
            ToolSpec {
                name: "replace_brand_theme",
                title: "Replace brand theme",
                description: "Set a theme's colours (#RRGGBB) and touch-point variants. Images are changed with the upload/delete tools.",
                toolset: Toolset::Themes,
                scope: Some("okta.brands.manage"),
                effect: Effect::Write { idempotent: true },
                output: Output::Object,
            },
            |ctx: ToolCtx, p: ReplaceThemeParams| async move {
                check_ids(&p.brand_id, &p.theme_id)?;
                let body = theme_body(&p)?;
                let req = ApiRequest::put(theme_path(&p.brand_id, &p.theme_id)).json(body);
                common::object(&ctx, req, None).await
            },
        ),
    ];
    tools.extend(IMAGES.into_iter().map(delete_image_tool));
    tools
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> ReplaceThemeParams {
        serde_json::from_value(json!({
            "brand_id": "bnd1", "theme_id": "thd1",
            "primary_color_hex": "#1662DD", "secondary_color_hex": "#ebebed",
            "sign_in_page_touch_point_variant": "background_secondary_color",
            "end_user_dashboard_touch_point_variant": "OKTA_DEFAULT",
            "error_page_touch_point_variant": "okta_default",
            "email_template_touch_point_variant": "FULL_THEME",
        }))
        .unwrap()
    }

    #[test]
    fn theme_body_normalises_variants_and_checks_colours() {
        let body = theme_body(&params()).unwrap();
        assert_eq!(
            body["signInPageTouchPointVariant"],
            "BACKGROUND_SECONDARY_COLOR"
        );
        assert_eq!(body["errorPageTouchPointVariant"], "OKTA_DEFAULT");
        assert!(body.get("loadingPageTouchPointVariant").is_none());
        let mut bad = params();
        bad.primary_color_hex = "blue".into();
        assert!(theme_body(&bad).is_err());
        let mut bad = params();
        bad.email_template_touch_point_variant = "BACKGROUND_IMAGE".into();
        assert!(theme_body(&bad).is_err());
    }
}
