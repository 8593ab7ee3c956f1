//! Custom pages of a brand: the error and sign-in pages (default, live customization and
//! unpublished preview), sign-in widget versions and the sign-out page. Page HTML is sent
//! and returned exactly as written.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::support::ids::BrandId;
use crate::tools::support::labels::brand_label;
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::query::expand_csv;
use crate::tools::support::replies::{ack, whole_list};
use crate::tools::{Effect, Reply, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct BrandIdParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PageExpand {
    Default,
    Customized,
    CustomizedUrl,
    Preview,
    PreviewUrl,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct PageResourcesParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Versions to embed: default, customized, customizedUrl, preview, previewUrl.
    #[serde(default)]
    pub expand: Option<Vec<PageExpand>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceErrorPageParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Full page HTML, sent as is.
    #[serde(default)]
    pub page_content: Option<String>,
    /// CSP mode: enforced or report_only.
    #[serde(default)]
    pub csp_mode: Option<String>,
    /// CSP violation report URL.
    #[serde(default)]
    pub csp_report_uri: Option<String>,
    /// CSP allowed sources (URLs).
    #[serde(default)]
    pub csp_src_list: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceSignInPageParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Full page HTML, sent as is.
    #[serde(default)]
    pub page_content: Option<String>,
    /// Widget version, e.g. `7.20` or `^7`.
    #[serde(default)]
    pub widget_version: Option<String>,
    /// Widget labels and links, e.g. {"signInLabel": "Sign in"}.
    #[serde(default)]
    pub widget_customizations: Option<Map<String, Value>>,
    /// CSP mode: enforced or report_only.
    #[serde(default)]
    pub csp_mode: Option<String>,
    /// CSP violation report URL.
    #[serde(default)]
    pub csp_report_uri: Option<String>,
    /// CSP allowed sources (URLs).
    #[serde(default)]
    pub csp_src_list: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct SignOutParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// OKTA_DEFAULT or EXTERNALLY_HOSTED.
    #[serde(rename = "type")]
    pub kind: String,
    /// Page users land on after signing out; required for EXTERNALLY_HOSTED.
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Error,
    SignIn,
}

impl Page {
    fn noun(self) -> &'static str {
        match self {
            Page::Error => "error page",
            Page::SignIn => "sign-in page",
        }
    }

    /// The page as the get and replace tools return it.
    fn output_schema(self) -> Value {
        match self {
            Page::Error => schemas::error_page(),
            Page::SignIn => schemas::sign_in_page(),
        }
    }
}

/// A custom-page tool's spec: reads need `okta.brands.read`, everything else `.manage`.
fn spec(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    effect: Effect,
) -> ToolSpec {
    let scope = match effect {
        Effect::Read => "okta.brands.read",
        _ => "okta.brands.manage",
    };
    ToolSpec {
        name,
        title,
        description,
        toolset: Toolset::CustomPages,
        scope: Some(scope),
        effect,
        result_kind: ResultKind::Object,
    }
}

fn page_path(brand_id: &str, page: Page) -> ApiPath {
    let base = ApiPath::new(paths::BRANDS).id(brand_id).lit("pages");
    match page {
        Page::Error => base.lit("error"),
        Page::SignIn => base.lit("sign-in"),
    }
}

fn sign_out_path(brand_id: &str) -> ApiPath {
    ApiPath::new(paths::BRANDS)
        .id(brand_id)
        .lit("pages/sign-out/customized")
}

/// `sign_in_label` → `signInLabel`; camelCase keys pass through unchanged.
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields the caller gave, in Okta's names; None when nothing was given.
struct PageEdit {
    content: Option<String>,
    csp_mode: Option<String>,
    csp_report_uri: Option<String>,
    csp_src_list: Option<Vec<String>>,
    widget_version: Option<String>,
    widget_customizations: Option<Map<String, Value>>,
}

impl PageEdit {
    fn is_empty(&self) -> bool {
        self.content.is_none()
            && self.csp_mode.is_none()
            && self.csp_report_uri.is_none()
            && self.csp_src_list.is_none()
            && self.widget_version.is_none()
            && self.widget_customizations.is_none()
    }

    /// Lays the edit over the page as it is now (PUT replaces the whole page).
    fn apply(self, current: &Value, page: Page) -> Result<Value, ToolError> {
        let mut body = Map::new();
        let content = self
            .content
            .or_else(|| current["pageContent"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                ToolError::InvalidArguments(
                    "page_content is required: there is no current page to keep".into(),
                )
            })?;
        body.insert("pageContent".into(), json!(content));
        let mut csp = current["contentSecurityPolicySetting"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        csp.retain(|_, v| !v.is_null());
        if let Some(mode) = self.csp_mode {
            let mode = mode.trim().to_ascii_lowercase();
            if mode != "enforced" && mode != "report_only" {
                return Err(ToolError::InvalidArguments(format!(
                    "csp_mode: {mode:?} is not one of enforced, report_only"
                )));
            }
            csp.insert("mode".into(), json!(mode));
        }
        if let Some(uri) = self.csp_report_uri {
            csp.insert("reportUri".into(), json!(uri));
        }
        if let Some(list) = self.csp_src_list {
            csp.insert("srcList".into(), json!(list));
        }
        if !csp.is_empty() {
            body.insert("contentSecurityPolicySetting".into(), Value::Object(csp));
        }
        if page == Page::SignIn {
            let version = self
                .widget_version
                .or_else(|| current["widgetVersion"].as_str().map(str::to_owned));
            if let Some(v) = version {
                body.insert("widgetVersion".into(), json!(v.trim()));
            }
            let customizations = match self.widget_customizations {
                Some(c) => Some(
                    c.into_iter()
                        .map(|(k, v)| (camel(&k), v))
                        .collect::<Map<String, Value>>(),
                ),
                None => current["widgetCustomizations"].as_object().cloned(),
            };
            if let Some(c) = customizations.filter(|c| !c.is_empty()) {
                body.insert("widgetCustomizations".into(), Value::Object(c));
            }
        }
        Ok(Value::Object(body))
    }
}

/// The page a replace starts from: the variant itself, else what Okta would show instead.
async fn current_page(
    ctx: &ToolCtx,
    brand_id: &str,
    page: Page,
    variant: &'static str,
) -> Result<Value, ToolError> {
    let order: &[&'static str] = match variant {
        "preview" => &["preview", "customized", "default"],
        _ => &["customized", "default"],
    };
    for &v in order {
        match ctx
            .client
            .send(ApiRequest::get(page_path(brand_id, page).lit(v)))
            .await
        {
            Ok(found) => return Ok(found.body),
            Err(ApiError::Okta { status: 404, .. }) if v != "default" => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Value::Null)
}

async fn replace_page(
    ctx: ToolCtx,
    brand_id: BrandId,
    page: Page,
    variant: &'static str,
    edit: PageEdit,
) -> Result<Reply, ToolError> {
    if edit.is_empty() {
        return Err(ToolError::InvalidArguments(
            "nothing to change: give page_content and/or csp_* (and widget_* for the sign-in page)"
                .into(),
        ));
    }
    let current = current_page(&ctx, &brand_id, page, variant).await?;
    let body = edit.apply(&current, page)?;
    let req = ApiRequest::put(page_path(&brand_id, page).lit(variant)).json(body);
    common::object(&ctx, req, None).await
}

fn get_tool(page: Page, variant: &'static str) -> ToolDef {
    let (name, title, description): (&'static str, &'static str, &'static str) = match (
        page, variant,
    ) {
        (Page::Error, "customized") => (
            "get_customized_error_page",
            "Get customized error page",
            "Get the live customized error page (HTML and CSP) of a brand; 404 if none.",
        ),
        (Page::Error, "default") => (
            "get_default_error_page",
            "Get default error page",
            "Get Okta's default error page of a brand.",
        ),
        (Page::Error, _) => (
            "get_preview_error_page",
            "Get preview error page",
            "Get the unpublished preview of a brand's error page; 404 if none.",
        ),
        (Page::SignIn, "customized") => (
            "get_customized_sign_in_page",
            "Get customized sign-in page",
            "Get the live customized sign-in page (HTML, widget version and customizations, CSP) of a brand; 404 if none.",
        ),
        (Page::SignIn, "default") => (
            "get_default_sign_in_page",
            "Get default sign-in page",
            "Get Okta's default sign-in page of a brand.",
        ),
        (Page::SignIn, _) => (
            "get_preview_sign_in_page",
            "Get preview sign-in page",
            "Get the unpublished preview of a brand's sign-in page; 404 if none.",
        ),
    };
    ToolDef::new(
        spec(name, title, description, Effect::Read),
        move |ctx: ToolCtx, p: BrandIdParams| async move {
            let req = ApiRequest::get(page_path(&p.brand_id, page).lit(variant));
            common::object(&ctx, req, None).await
        },
    )
    .returns(page.output_schema())
}

fn delete_tool(page: Page, variant: &'static str) -> ToolDef {
    let (name, title, description, effect): (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) = match (page, variant) {
        (Page::Error, "customized") => (
            "delete_customized_error_page",
            "Delete customized error page",
            "Delete a brand's live customized error page; Okta's default is shown again.",
            "Okta's default error page goes live again",
        ),
        (Page::Error, _) => (
            "delete_preview_error_page",
            "Delete preview error page",
            "Discard the unpublished preview of a brand's error page.",
            "the unpublished changes are lost",
        ),
        (Page::SignIn, "customized") => (
            "delete_customized_sign_in_page",
            "Delete customized sign-in page",
            "Delete a brand's live customized sign-in page; Okta's default is shown again.",
            "Okta's default sign-in page goes live again",
        ),
        (Page::SignIn, _) => (
            "delete_preview_sign_in_page",
            "Delete preview sign-in page",
            "Discard the unpublished preview of a brand's sign-in page.",
            "the unpublished changes are lost",
        ),
    };
    ToolDef::new(
        spec(
            name,
            title,
            description,
            Effect::Destructive { idempotent: true },
        ),
        move |ctx: ToolCtx, p: BrandIdParams| async move {
            let req = ApiRequest::delete(page_path(&p.brand_id, page).lit(variant));
            ctx.client.send(req).await?;
            Ok(ack(format!(
                "The {variant} {} of brand {} was deleted; {effect}.",
                page.noun(),
                p.brand_id
            )))
        },
    )
    .confirm_with(move |ctx: ToolCtx, p: BrandIdParams| async move {
        let brand = brand_label(&ctx, &p.brand_id).await;
        Ok(format!(
            "Delete the {variant} {} of brand {brand}? {}.",
            page.noun(),
            capitalise(effect)
        ))
    })
    .returns(schemas::ack(&[]))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The replace tools' parameters, as the brand they target and the edit they ask for.
trait IntoEdit {
    fn into_edit(self) -> (BrandId, PageEdit);
}

impl IntoEdit for ReplaceErrorPageParams {
    fn into_edit(self) -> (BrandId, PageEdit) {
        let edit = PageEdit {
            content: self.page_content,
            csp_mode: self.csp_mode,
            csp_report_uri: self.csp_report_uri,
            csp_src_list: self.csp_src_list,
            widget_version: None,
            widget_customizations: None,
        };
        (self.brand_id, edit)
    }
}

impl IntoEdit for ReplaceSignInPageParams {
    fn into_edit(self) -> (BrandId, PageEdit) {
        let edit = PageEdit {
            content: self.page_content,
            csp_mode: self.csp_mode,
            csp_report_uri: self.csp_report_uri,
            csp_src_list: self.csp_src_list,
            widget_version: self.widget_version,
            widget_customizations: self.widget_customizations,
        };
        (self.brand_id, edit)
    }
}

fn replace_tool(page: Page, variant: &'static str) -> ToolDef {
    let (name, title, description): (&'static str, &'static str, &'static str) = match (
        page, variant,
    ) {
        (Page::Error, "customized") => (
            "replace_customized_error_page",
            "Replace customized error page",
            "Publish a brand's customized error page (live at once). Fields left out keep their current values.",
        ),
        (Page::Error, _) => (
            "replace_preview_error_page",
            "Replace preview error page",
            "Save an unpublished preview of a brand's error page. Fields left out keep their current values.",
        ),
        (Page::SignIn, "customized") => (
            "replace_customized_sign_in_page",
            "Replace customized sign-in page",
            "Publish a brand's customized sign-in page (live at once): HTML, widget version and customizations, CSP. Fields left out keep their current values.",
        ),
        (Page::SignIn, _) => (
            "replace_preview_sign_in_page",
            "Replace preview sign-in page",
            "Save an unpublished preview of a brand's sign-in page. Fields left out keep their current values.",
        ),
    };
    let spec = spec(name, title, description, Effect::Write { idempotent: true });
    match page {
        Page::Error => replace_def::<ReplaceErrorPageParams>(spec, page, variant),
        Page::SignIn => replace_def::<ReplaceSignInPageParams>(spec, page, variant),
    }
}

/// The parameter type decides the schema (the error page has no widget fields).
fn replace_def<P>(spec: ToolSpec, page: Page, variant: &'static str) -> ToolDef
where
    P: IntoEdit + JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    ToolDef::new(spec, move |ctx: ToolCtx, p: P| async move {
        let (brand_id, edit) = p.into_edit();
        replace_page(ctx, brand_id, page, variant, edit).await
    })
    .returns(page.output_schema())
}

fn resources_tool(page: Page) -> ToolDef {
    let (name, title, description): (&'static str, &'static str, &'static str) = match page {
        Page::Error => (
            "get_error_page_resources",
            "Get error page resources",
            "Links to a brand's error page versions; `expand` embeds their content or URLs.",
        ),
        Page::SignIn => (
            "get_sign_in_page_resources",
            "Get sign-in page resources",
            "Links to a brand's sign-in page versions; `expand` embeds their content or URLs.",
        ),
    };
    ToolDef::new(
        spec(name, title, description, Effect::Read),
        move |ctx: ToolCtx, p: PageResourcesParams| async move {
            let req = ApiRequest::get(page_path(&p.brand_id, page))
                .query_opt("expand", expand_csv(p.expand.as_deref()));
            let response = ctx.client.send(req).await?;
            // The root is mostly links; keep them, as they are the answer here.
            let mut body = response.body;
            if let Some(links) = body.get("_links").cloned() {
                let mut shaped = crate::tools::field_selection::shape(body, None);
                shaped["links"] = links;
                body = shaped;
            }
            Ok(body)
        },
    )
    .returns(schemas::object(&[
        ("_embedded", "object"),
        ("links", "object"),
    ]))
}

pub fn list_sign_in_widget_versions() -> ToolDef {
    ToolDef::new(
        spec(
            "list_sign_in_widget_versions",
            "List sign-in widget versions",
            "List the sign-in widget versions a brand's sign-in page can use.",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: BrandIdParams| async move {
            let req = ApiRequest::get(page_path(&p.brand_id, Page::SignIn).lit("widget-versions"));
            let body = ctx.client.send(req).await?.body;
            Ok(whole_list("versions", body))
        },
    )
    .returns(schemas::whole_list("versions", json!({"type": "string"})))
}

pub fn get_sign_out_page_settings() -> ToolDef {
    ToolDef::new(
        spec(
            "get_sign_out_page_settings",
            "Get sign-out page settings",
            "Get where users land after signing out of a brand (Okta's page or an external URL).",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: BrandIdParams| async move {
            let req = ApiRequest::get(sign_out_path(&p.brand_id));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::hosted_page())
}

pub fn replace_sign_out_page_settings() -> ToolDef {
    ToolDef::new(
        spec(
            "replace_sign_out_page_settings",
            "Replace sign-out page settings",
            "Send users to Okta's sign-out page (OKTA_DEFAULT) or to your own URL (EXTERNALLY_HOSTED, with url).",
            Effect::Write { idempotent: true },
        ),
        |ctx: ToolCtx, p: SignOutParams| async move {
            let kind = p.kind.trim().to_ascii_uppercase();
            let body = match (kind.as_str(), p.url.as_deref().map(str::trim)) {
                ("EXTERNALLY_HOSTED", Some(url))
                    if url.starts_with("https://") || url.starts_with("http://") =>
                {
                    json!({"type": kind, "url": url})
                }
                ("EXTERNALLY_HOSTED", _) => {
                    return Err(ToolError::InvalidArguments(
                        "url: an http(s) URL is required when type is EXTERNALLY_HOSTED".into(),
                    ));
                }
                ("OKTA_DEFAULT", _) => json!({"type": kind}),
                _ => {
                    return Err(ToolError::InvalidArguments(format!(
                        "type: {:?} is not one of OKTA_DEFAULT, EXTERNALLY_HOSTED",
                        p.kind
                    )));
                }
            };
            let req = ApiRequest::put(sign_out_path(&p.brand_id)).json(body);
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::hosted_page())
}

pub fn tools() -> Vec<ToolDef> {
    let mut tools = Vec::new();
    for page in [Page::Error, Page::SignIn] {
        tools.extend([
            resources_tool(page),
            get_tool(page, "customized"),
            replace_tool(page, "customized"),
            delete_tool(page, "customized"),
            get_tool(page, "default"),
            get_tool(page, "preview"),
            replace_tool(page, "preview"),
            delete_tool(page, "preview"),
        ]);
    }
    tools.extend([
        list_sign_in_widget_versions(),
        get_sign_out_page_settings(),
        replace_sign_out_page_settings(),
    ]);
    tools
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_widget_keys_become_okta_keys() {
        assert_eq!(camel("sign_in_label"), "signInLabel");
        assert_eq!(camel("custom_link1_label"), "customLink1Label");
        assert_eq!(camel("custom_link_1_label"), "customLink1Label");
        assert_eq!(camel("helpUrl"), "helpUrl");
    }

    #[test]
    fn an_edit_keeps_what_it_does_not_change() {
        let current = json!({
            "pageContent": "<html>old</html>",
            "widgetVersion": "7.20",
            "widgetCustomizations": {"signInLabel": "Hi"},
            "contentSecurityPolicySetting": {"mode": "enforced", "reportUri": null, "srcList": ["https://a"]},
        });
        let edit = PageEdit {
            content: None,
            csp_mode: Some("REPORT_ONLY".into()),
            csp_report_uri: None,
            csp_src_list: None,
            widget_version: None,
            widget_customizations: None,
        };
        let body = edit.apply(&current, Page::SignIn).unwrap();
        assert_eq!(
            body,
            json!({
                "pageContent": "<html>old</html>",
                "widgetVersion": "7.20",
                "widgetCustomizations": {"signInLabel": "Hi"},
                "contentSecurityPolicySetting": {"mode": "report_only", "srcList": ["https://a"]},
            })
        );
        let bad = PageEdit {
            content: Some("x".into()),
            csp_mode: Some("disabled!".into()),
            csp_report_uri: None,
            csp_src_list: None,
            widget_version: None,
            widget_customizations: None,
        };
        assert!(bad.apply(&current, Page::Error).is_err());
    }
}
