//! Brand themes: colours and touch-point variants, and their logo, favicon and background
//! image (uploads check the local file as Okta would before sending it, see `images`).
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::support::arguments::non_empty;
use crate::tools::support::ids::{BrandId, ThemeId};
use crate::tools::support::labels::brand_label;
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::replies::{ack, whole_list};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, Upload, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct BrandIdParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ThemeParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Theme ID (thd…).
    pub theme_id: ThemeId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceThemeParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Theme ID (thd…).
    pub theme_id: ThemeId,
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
            result_kind: ResultKind::Object,
        },
        move |ctx: ToolCtx, p: ThemeParams| async move {
            let req = ApiRequest::delete(theme_path(&p.brand_id, &p.theme_id).lit(image.segment));
            ctx.client.send(req).await?;
            Ok(ack(format!(
                "The {} of theme {} (brand {}) was removed; it now shows {}.",
                image.noun, p.theme_id, p.brand_id, image.replacement
            )))
        },
    )
    .confirm_with(move |ctx: ToolCtx, p: ThemeParams| async move {
        let brand = brand_label(&ctx, &p.brand_id).await;
        Ok(format!(
            "Remove the {} of theme {} of brand {brand}? It will show {} instead.",
            image.noun, p.theme_id, image.replacement
        ))
    })
    .returns(schemas::ack(&[]))
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UploadParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Theme ID (thd…).
    pub theme_id: ThemeId,
    /// Absolute path of the image, inside the server's allowed directories.
    pub file_path: String,
}

/// One upload tool: its name, endpoint segment and the checks its file gets.
struct UploadTool {
    tool: &'static str,
    title: &'static str,
    description: &'static str,
    segment: &'static str,
    kind: images::Kind,
}

const UPLOADS: [UploadTool; 3] = [
    UploadTool {
        tool: "upload_brand_theme_logo",
        title: "Upload theme logo",
        description: "Set a theme's logo from a local PNG, JPG or GIF under 100 KB in an allowed directory; returns its URL.",
        segment: "logo",
        kind: images::Kind::Logo,
    },
    UploadTool {
        tool: "upload_brand_theme_favicon",
        title: "Upload theme favicon",
        description: "Set a theme's favicon from a local square PNG or ICO (max 512x512) in an allowed directory; returns its URL.",
        segment: "favicon",
        kind: images::Kind::Favicon,
    },
    UploadTool {
        tool: "upload_brand_theme_background_image",
        title: "Upload theme background image",
        description: "Set a theme's sign-in background from a local PNG, JPG or GIF under 2 MB in an allowed directory; returns its URL.",
        segment: "background-image",
        kind: images::Kind::BackgroundImage,
    },
];

fn upload_tool(upload: UploadTool) -> ToolDef {
    let UploadTool { segment, kind, .. } = upload;
    ToolDef::new(
        ToolSpec {
            name: upload.tool,
            title: upload.title,
            description: upload.description,
            toolset: Toolset::Themes,
            scope: Some("okta.brands.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        move |ctx: ToolCtx, p: UploadParams| async move {
            non_empty("file_path", &p.file_path)?;
            let image = images::read(
                &p.file_path,
                crate::tools::support::files::FileRules::of(&ctx.settings),
                kind,
            )?;
            let file = Upload::file(image.file_name, image.format.mime(), image.bytes);
            // Sending the same image again leaves the theme as it was, so a retry is safe.
            let req = ApiRequest::post(theme_path(&p.brand_id, &p.theme_id).lit(segment))
                .upload(file)
                .retryable();
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::image_upload())
}

/// The three theme images and Okta's documented rules for each: the type is judged by the
/// file's first bytes, never its name.
pub(crate) mod images {
    use crate::tools::error::ToolError;
    use crate::tools::support::files::{self, FileRules};
    use std::io::Read;
    use std::path::Path;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Format {
        Png,
        Jpeg,
        Gif,
        Ico,
        Svg,
    }

    impl Format {
        pub fn mime(self) -> &'static str {
            match self {
                Format::Png => "image/png",
                Format::Jpeg => "image/jpeg",
                Format::Gif => "image/gif",
                Format::Ico => "image/x-icon",
                Format::Svg => "image/svg+xml",
            }
        }

        fn name(self) -> &'static str {
            match self {
                Format::Png => "PNG",
                Format::Jpeg => "JPG",
                Format::Gif => "GIF",
                Format::Ico => "ICO",
                Format::Svg => "SVG",
            }
        }
    }

    pub fn sniff(data: &[u8]) -> Option<Format> {
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Format::Png);
        }
        if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Format::Jpeg);
        }
        if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
            return Some(Format::Gif);
        }
        if data.len() >= 6 && data.starts_with(&[0, 0, 1, 0]) && data[4..6] != [0, 0] {
            return Some(Format::Ico);
        }
        let head = String::from_utf8_lossy(&data[..data.len().min(512)]).to_ascii_lowercase();
        let head = head.trim_start_matches('\u{feff}').trim_start();
        if (head.starts_with("<?xml") || head.starts_with("<svg") || head.starts_with("<!--"))
            && head.contains("<svg")
        {
            return Some(Format::Svg);
        }
        None
    }

    /// Width and height of a PNG, or of every image in an ICO directory.
    fn dimensions(format: Format, data: &[u8]) -> Vec<(u32, u32)> {
        match format {
            Format::Png if data.len() >= 24 => vec![(
                u32::from_be_bytes([data[16], data[17], data[18], data[19]]),
                u32::from_be_bytes([data[20], data[21], data[22], data[23]]),
            )],
            Format::Ico => {
                let count = usize::from(u16::from_le_bytes([data[4], data[5]]));
                let side = |b: u8| if b == 0 { 256 } else { u32::from(b) };
                (0..count)
                    .filter_map(|i| data.get(6 + i * 16..6 + i * 16 + 2))
                    .map(|e| (side(e[0]), side(e[1])))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        Logo,
        Favicon,
        BackgroundImage,
    }

    impl Kind {
        fn noun(self) -> &'static str {
            match self {
                Kind::Logo => "logo",
                Kind::Favicon => "favicon",
                Kind::BackgroundImage => "background image",
            }
        }

        fn formats(self) -> &'static [Format] {
            match self {
                Kind::Logo | Kind::BackgroundImage => &[Format::Png, Format::Jpeg, Format::Gif],
                Kind::Favicon => &[Format::Png, Format::Ico],
            }
        }

        /// Okta: logos "less than 100kB", background images "less than 2 MB"; favicons have
        /// no documented byte limit (only 512 x 512), so they get the background's.
        pub fn max_bytes(self) -> u64 {
            match self {
                Kind::Logo => 100 * 1024,
                Kind::Favicon | Kind::BackgroundImage => 2 * 1024 * 1024,
            }
        }
    }

    /// A checked image, ready to upload as the multipart field `file`.
    #[derive(Debug)]
    pub struct Image {
        pub file_name: String,
        pub format: Format,
        pub bytes: Vec<u8>,
    }

    /// Reads an image from the allowed directories and checks it as Okta would.
    pub fn read(path: &str, rules: FileRules<'_>, kind: Kind) -> Result<Image, ToolError> {
        let file = files::open_readable(path, rules)?;
        let limit = kind.max_bytes();
        let too_big = |size: u64| {
            ToolError::Refused(format!(
                "{path:?} is {size} bytes; Okta takes a {} under {} bytes",
                kind.noun(),
                limit
            ))
        };
        let size = file
            .metadata()
            .map_err(|e| ToolError::Refused(format!("cannot read {path:?}: {}", e.kind())))?
            .len();
        if size >= limit {
            return Err(too_big(size));
        }
        let mut bytes = Vec::new();
        file.take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| ToolError::Refused(format!("cannot read {path:?}: {}", e.kind())))?;
        if bytes.len() as u64 >= limit {
            return Err(too_big(bytes.len() as u64));
        }
        let allowed_names: Vec<&str> = kind.formats().iter().map(|f| f.name()).collect();
        let format = match sniff(&bytes) {
            Some(f) if kind.formats().contains(&f) => f,
            found => {
                let what = found.map_or("not an image Okta recognises", |f| f.name());
                return Err(ToolError::Refused(format!(
                    "{path:?} is {what}; a {} must be {}",
                    kind.noun(),
                    allowed_names.join(" or ")
                )));
            }
        };
        if kind == Kind::Favicon {
            let dims = dimensions(format, &bytes);
            if dims.is_empty() || dims.iter().any(|(w, h)| w != h || *w == 0 || *w > 512) {
                return Err(ToolError::Refused(format!(
                    "{path:?} is not square or is larger than 512 x 512; Okta requires both for a favicon"
                )));
            }
        }
        let file_name = Path::new(path.trim())
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("image")
            .to_owned();
        Ok(Image {
            file_name,
            format,
            bytes,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn png(w: u32, h: u32) -> Vec<u8> {
            let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            out.extend_from_slice(&w.to_be_bytes());
            out.extend_from_slice(&h.to_be_bytes());
            out.extend_from_slice(&[8, 6, 0, 0, 0]);
            out
        }

        #[test]
        fn reads_only_allowed_files_of_the_right_type_and_size() {
            let allowed = tempfile::tempdir().unwrap();
            let outside = tempfile::tempdir().unwrap();
            let dirs = vec![allowed.path().to_path_buf()];
            let dirs = FileRules {
                allowed: &dirs,
                secret_files: &[],
            };
            let at = |name: &str| allowed.path().join(name).display().to_string();

            std::fs::write(allowed.path().join("logo..png"), png(300, 50)).unwrap();
            let image = read(&at("logo..png"), dirs, Kind::Logo).unwrap();
            assert_eq!(image.format, Format::Png);
            assert_eq!(image.file_name, "logo..png");

            std::fs::write(outside.path().join("logo.png"), png(300, 50)).unwrap();
            let outside_path = outside.path().join("logo.png").display().to_string();
            assert!(matches!(
                read(&outside_path, dirs, Kind::Logo),
                Err(ToolError::Refused(_))
            ));
            #[cfg(unix)]
            {
                std::os::unix::fs::symlink(
                    outside.path().join("logo.png"),
                    allowed.path().join("link.png"),
                )
                .unwrap();
                assert!(matches!(
                    read(&at("link.png"), dirs, Kind::Logo),
                    Err(ToolError::Refused(_))
                ));
            }

            let mut big = png(300, 50);
            big.resize(100 * 1024, 0);
            std::fs::write(allowed.path().join("big.png"), &big).unwrap();
            let err = read(&at("big.png"), dirs, Kind::Logo)
                .unwrap_err()
                .to_string();
            assert!(err.contains("under 102400 bytes"), "{err}");
            assert!(read(&at("big.png"), dirs, Kind::BackgroundImage).is_ok());

            std::fs::write(allowed.path().join("fake.png"), b"%PDF-1.7 not an image").unwrap();
            let err = read(&at("fake.png"), dirs, Kind::Logo)
                .unwrap_err()
                .to_string();
            assert!(err.contains("PNG or JPG or GIF"), "{err}");
            std::fs::write(
                allowed.path().join("logo.svg"),
                b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            )
            .unwrap();
            let err = read(&at("logo.svg"), dirs, Kind::Logo)
                .unwrap_err()
                .to_string();
            assert!(err.contains("is SVG"), "{err}");

            std::fs::write(allowed.path().join("fav.png"), png(32, 32)).unwrap();
            assert!(read(&at("fav.png"), dirs, Kind::Favicon).is_ok());
            std::fs::write(allowed.path().join("wide.png"), png(64, 32)).unwrap();
            assert!(read(&at("wide.png"), dirs, Kind::Favicon).is_err());
            std::fs::write(
                allowed.path().join("fav.ico"),
                b"\0\0\x01\0\x01\0\x20\x20\0\0",
            )
            .unwrap();
            assert_eq!(
                read(&at("fav.ico"), dirs, Kind::Favicon).unwrap().format,
                Format::Ico
            );
            std::fs::write(allowed.path().join("anim.gif"), b"GIF89a....").unwrap();
            assert!(read(&at("anim.gif"), dirs, Kind::Favicon).is_err());
        }
    }
}

pub fn tools() -> Vec<ToolDef> {
    let mut tools = vec![
        list_brand_themes(),
        get_brand_theme(),
        replace_brand_theme(),
    ];
    tools.extend(UPLOADS.into_iter().map(upload_tool));
    tools.extend(IMAGES.into_iter().map(delete_image_tool));
    tools
}

pub fn list_brand_themes() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_brand_themes",
            title: "List brand themes",
            description: "List a brand's themes (Okta gives each brand one): colours, touch-point variants, logo, favicon and background image URLs.",
            toolset: Toolset::Themes,
            scope: Some("okta.brands.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BrandIdParams| async move {
            let req = ApiRequest::get(ApiPath::new(paths::BRANDS).id(&p.brand_id).lit("themes"));
            let body = ctx.client.send(req).await?.body;
            Ok(whole_list("themes", body))
        },
    )
    .returns(schemas::whole_list("themes", schemas::theme()))
}

pub fn get_brand_theme() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_brand_theme",
            title: "Get brand theme",
            description: "Get one theme of a brand.",
            toolset: Toolset::Themes,
            scope: Some("okta.brands.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ThemeParams| async move {
            common::object(
                &ctx,
                ApiRequest::get(theme_path(&p.brand_id, &p.theme_id)),
                None,
            )
            .await
        },
    )
    .returns(schemas::theme())
}

pub fn replace_brand_theme() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "replace_brand_theme",
            title: "Replace brand theme",
            description: "Set a theme's colours (#RRGGBB) and touch-point variants. Images are changed with the upload/delete tools.",
            toolset: Toolset::Themes,
            scope: Some("okta.brands.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ReplaceThemeParams| async move {
            let body = theme_body(&p)?;
            let req = ApiRequest::put(theme_path(&p.brand_id, &p.theme_id)).json(body);
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::theme())
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
