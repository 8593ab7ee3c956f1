//! Email templates of a brand: settings, Okta's default content, per-language
//! customizations (subject and HTML body sent exactly as written), rendered previews and
//! test sends.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::arguments::non_empty;
use crate::tools::support::ids::{BrandId, CustomizationId, TemplateName};
use crate::tools::support::labels::brand_label;
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::query::expand_csv;
use crate::tools::support::replies::ack;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Upper bound of customizations read when looking for a language (Okta has one per language).
const MAX_CUSTOMIZATION_PAGES: usize = 20;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TemplateExpand {
    Settings,
    CustomizationCount,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListTemplatesParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Extra data to embed: settings, customizationCount.
    #[serde(default)]
    pub expand: Option<Vec<TemplateExpand>>,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct TemplateParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation, ForgotPassword, PasswordChanged.
    pub template_name: TemplateName,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GetTemplateParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    /// Extra data to embed: settings, customizationCount.
    #[serde(default)]
    pub expand: Option<Vec<TemplateExpand>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListCustomizationsParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    #[serde(flatten)]
    pub paging: Paging,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CustomizationParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    /// Customization ID (oel…).
    pub customization_id: CustomizationId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct DeleteCustomizationParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    /// Customization ID (oel…).
    pub customization_id: CustomizationId,
    /// Language shown in the prompt if Okta cannot be asked (it normally reads it from Okta).
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct LanguageParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    /// BCP 47 language, e.g. `en`, `fr-CA` (default: the admin's language).
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateCustomizationParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    /// BCP 47 language, e.g. `fr`; one customization per language.
    pub language: String,
    /// Subject line; may use variables like ${org.name}.
    pub subject: String,
    /// HTML body, sent exactly as given; variables like ${user.profile.firstName}.
    pub body: String,
    /// Make this the default (fallback) customization.
    #[serde(default)]
    pub is_default: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceCustomizationParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    /// Customization ID (oel…).
    pub customization_id: CustomizationId,
    /// BCP 47 language, e.g. `fr`.
    pub language: String,
    /// Subject line.
    pub subject: String,
    /// HTML body, sent exactly as given.
    pub body: String,
    /// Make this the default customization (the current default cannot be unset).
    #[serde(default)]
    pub is_default: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct SettingsParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Template name, e.g. UserActivation.
    pub template_name: TemplateName,
    /// Who receives this email: ALL_USERS, ADMINS_ONLY or NO_USERS.
    pub recipients: String,
}

/// An email-template tool's spec: reads need `okta.templates.read`, everything else `.manage`.
fn spec(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    effect: Effect,
) -> ToolSpec {
    let scope = match effect {
        Effect::Read => "okta.templates.read",
        _ => "okta.templates.manage",
    };
    ToolSpec {
        name,
        title,
        description,
        toolset: Toolset::EmailTemplates,
        scope: Some(scope),
        effect,
        result_kind: ResultKind::Object,
    }
}

fn template_path(brand_id: &str, template: &str) -> ApiPath {
    ApiPath::new(paths::BRANDS)
        .id(brand_id)
        .lit("templates/email")
        .id(template)
}

fn customizations_path(brand_id: &str, template: &str) -> ApiPath {
    template_path(brand_id, template).lit("customizations")
}

/// One customization's path, once its three ids are known to be given.
fn customization_at(brand_id: &str, template: &str, id: &str) -> Result<ApiPath, ToolError> {
    Ok(customizations_path(brand_id, template).id(id))
}

/// BCP 47 shape: a 2-3 letter language, then 1-8 character subtags (`en`, `zh-Hant-TW`).
pub(crate) fn language_tag(value: &str) -> Result<String, ToolError> {
    let tag = value.trim();
    let mut parts = tag.split('-');
    let primary = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary && rest {
        Ok(tag.to_owned())
    } else {
        Err(ToolError::InvalidArguments(format!(
            "language: {value:?} is not a BCP 47 language tag like en or fr-CA"
        )))
    }
}

fn optional_language(value: Option<String>) -> Result<Option<String>, ToolError> {
    value
        .filter(|l| !l.trim().is_empty())
        .map(|l| language_tag(&l))
        .transpose()
}

/// Every customization of a template (bounded), for duplicate checks and read-backs.
async fn all_customizations(
    ctx: &ToolCtx,
    brand_id: &str,
    template: &str,
) -> Result<Vec<Value>, ToolError> {
    let request = ApiRequest::get(customizations_path(brand_id, template)).query("limit", 200);
    let observer = Observer::of(ctx);
    let mut pages = PageWalk::new(
        &observer,
        ctx.client.pages(request),
        MAX_CUSTOMIZATION_PAGES,
    );
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.extend(page.items);
        pages.took(0);
    }
    match pages.finish().end {
        WalkEnd::Failed(error) => Err(error.into()),
        WalkEnd::Cancelled => Err(ToolError::Refused("cancelled by the client".into())),
        // Bounded on purpose: a template has one customization per language.
        _ => Ok(out),
    }
}

fn same_language(customization: &Value, language: &str) -> bool {
    customization["language"]
        .as_str()
        .is_some_and(|l| l.eq_ignore_ascii_case(language))
}

fn customization_body(
    language: &str,
    subject: &str,
    body: &str,
    is_default: Option<bool>,
) -> Value {
    let mut out = Map::new();
    out.insert("language".into(), json!(language));
    out.insert("subject".into(), json!(subject));
    out.insert("body".into(), json!(body));
    if let Some(d) = is_default {
        out.insert("isDefault".into(), json!(d));
    }
    Value::Object(out)
}

/// "fr customization \"Bienvenue\" (oel…)" for prompts; the id alone if it cannot be read.
async fn customization_label(ctx: &ToolCtx, p: &DeleteCustomizationParams) -> String {
    let req =
        ApiRequest::get(customizations_path(&p.brand_id, &p.template_name).id(&p.customization_id));
    match ctx.client.send(req).await {
        Ok(found) => format!(
            "the {} customization \"{}\" ({})",
            found.body["language"].as_str().unwrap_or("?"),
            found.body["subject"].as_str().unwrap_or(""),
            p.customization_id
        ),
        Err(_) => match p.language.as_deref().filter(|l| !l.trim().is_empty()) {
            Some(language) => format!("the {language} customization {}", p.customization_id),
            None => format!("customization {}", p.customization_id),
        },
    }
}

/// Okta renders default-content previews and sends test emails for the signed-in admin; a
/// service app's token has no admin user, and Okta answers 404 (or 403). When the template
/// itself exists, say so instead of a bare "not found".
async fn explain_user_only(
    ctx: &ToolCtx,
    brand_id: &str,
    template: &str,
    error: okta_client::ApiError,
) -> ToolError {
    let user_only = matches!(
        error,
        okta_client::ApiError::Okta {
            status: 403 | 404,
            ..
        }
    ) && ctx
        .client
        .send(ApiRequest::get(template_path(brand_id, template)))
        .await
        .is_ok();
    if user_only {
        ToolError::Refused(format!(
            "Okta could not do this for {template}: it needs a signed-in admin (device-flow login), not a service app token. Okta said: {error}"
        ))
    } else {
        error.into()
    }
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_email_templates(),
        get_email_template(),
        list_email_customizations(),
        get_email_customization(),
        get_email_customization_preview(),
        get_email_default_content(),
        get_email_default_content_preview(),
        get_email_settings(),
        create_email_customization(),
        replace_email_customization(),
        delete_email_customization(),
        delete_all_email_customizations(),
        replace_email_settings(),
        send_test_email(),
    ]
}

pub fn list_email_templates() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            result_kind: ResultKind::List,
            ..spec(
                "list_email_templates",
                "List email templates",
                "List a brand's email templates (UserActivation, ForgotPassword, …). `expand` adds settings and customization counts.",
                Effect::Read,
            )
        },
        |ctx: ToolCtx, p: ListTemplatesParams| async move {
            let req = ApiRequest::get(
                ApiPath::new(paths::BRANDS)
                    .id(&p.brand_id)
                    .lit("templates/email"),
            )
            .query_opt("expand", expand_csv(p.expand.as_deref()));
            listing::list(&ctx, req, &p.paging, ListRules::OKTA_SIZED, None).await
        },
    )
    .returns(schemas::list_of(schemas::email_template()))
}

pub fn get_email_template() -> ToolDef {
    ToolDef::new(
        spec(
            "get_email_template",
            "Get email template",
            "Get one email template of a brand by name.",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: GetTemplateParams| async move {
            let req = ApiRequest::get(template_path(&p.brand_id, &p.template_name))
                .query_opt("expand", expand_csv(p.expand.as_deref()));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_template())
}

pub fn list_email_customizations() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            result_kind: ResultKind::List,
            ..spec(
                "list_email_customizations",
                "List email customizations",
                "List the per-language customizations (subject, HTML body, isDefault) of a brand's email template.",
                Effect::Read,
            )
        },
        |ctx: ToolCtx, p: ListCustomizationsParams| async move {
            let req = ApiRequest::get(customizations_path(&p.brand_id, &p.template_name));
            listing::list(&ctx, req, &p.paging, ListRules::OKTA_SIZED, None).await
        },
    )
    .returns(schemas::list_of(schemas::email_customization()))
}

pub fn get_email_customization() -> ToolDef {
    ToolDef::new(
        spec(
            "get_email_customization",
            "Get email customization",
            "Get one customization of an email template.",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: CustomizationParams| async move {
            let path = customization_at(&p.brand_id, &p.template_name, &p.customization_id)?;
            let req = ApiRequest::get(path);
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_customization())
}

pub fn get_email_customization_preview() -> ToolDef {
    ToolDef::new(
        spec(
            "get_email_customization_preview",
            "Preview email customization",
            "Render a customization with sample values for its variables (subject and HTML body as the recipient would see them).",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: CustomizationParams| async move {
            let path = customization_at(&p.brand_id, &p.template_name, &p.customization_id)?;
            let req = ApiRequest::get(path.lit("preview"));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_content())
}

pub fn get_email_default_content() -> ToolDef {
    ToolDef::new(
        spec(
            "get_email_default_content",
            "Get email default content",
            "Get Okta's default subject and HTML body of an email template, optionally for a language.",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: LanguageParams| async move {
            let req = ApiRequest::get(
                template_path(&p.brand_id, &p.template_name).lit("default-content"),
            )
            .query_opt("language", optional_language(p.language)?);
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_content())
}

pub fn get_email_default_content_preview() -> ToolDef {
    ToolDef::new(
        spec(
            "get_email_default_content_preview",
            "Preview email default content",
            "Render Okta's default content of an email template with sample values.",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: LanguageParams| async move {
            let req = ApiRequest::get(
                template_path(&p.brand_id, &p.template_name).lit("default-content/preview"),
            )
            .query_opt("language", optional_language(p.language)?);
            match ctx.client.send(req).await {
                Ok(found) => Ok(crate::tools::field_selection::shape(found.body, None)),
                Err(e) => Err(explain_user_only(&ctx, &p.brand_id, &p.template_name, e).await),
            }
        },
    )
    .returns(schemas::email_content())
}

pub fn get_email_settings() -> ToolDef {
    ToolDef::new(
        spec(
            "get_email_settings",
            "Get email settings",
            "Get who receives an email template (ALL_USERS, ADMINS_ONLY, NO_USERS).",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: TemplateParams| async move {
            let req = ApiRequest::get(template_path(&p.brand_id, &p.template_name).lit("settings"));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_settings())
}

pub fn create_email_customization() -> ToolDef {
    ToolDef::new(
        spec(
            "create_email_customization",
            "Create email customization",
            "Add a language version of an email template. Fails if that language (case-insensitive) already has one; the first one becomes the default.",
            Effect::Write { idempotent: false },
        ),
        |ctx: ToolCtx, p: CreateCustomizationParams| async move {
            let language = language_tag(&p.language)?;
            non_empty("subject", &p.subject)?;
            non_empty("body", &p.body)?;
            let existing = all_customizations(&ctx, &p.brand_id, &p.template_name).await?;
            if let Some(found) = existing.iter().find(|c| same_language(c, &language)) {
                return Err(ToolError::InvalidArguments(format!(
                    "{} already has a {} customization ({}); change it with replace_email_customization",
                    p.template_name,
                    found["language"].as_str().unwrap_or(&language),
                    found["id"].as_str().unwrap_or("?")
                )));
            }
            let req = ApiRequest::post(customizations_path(&p.brand_id, &p.template_name)).json(
                customization_body(&language, &p.subject, &p.body, p.is_default),
            );
            let created = ctx.client.send(req).await?.body;
            if created.is_object() {
                return Ok(crate::tools::field_selection::shape(created, None));
            }
            // Nothing came back: read the new customization instead.
            let now = all_customizations(&ctx, &p.brand_id, &p.template_name).await?;
            now.into_iter()
                .find(|c| same_language(c, &language))
                .map(|c| crate::tools::field_selection::shape(c, None))
                .ok_or_else(|| {
                    ToolError::Refused(format!(
                        "Okta accepted the {language} customization but it cannot be read back; check list_email_customizations"
                    ))
                })
        },
    )
    .returns(schemas::email_customization())
}

pub fn replace_email_customization() -> ToolDef {
    ToolDef::new(
        spec(
            "replace_email_customization",
            "Replace email customization",
            "Replace the language, subject and HTML body of an email customization.",
            Effect::Write { idempotent: true },
        ),
        |ctx: ToolCtx, p: ReplaceCustomizationParams| async move {
            let path = customization_at(&p.brand_id, &p.template_name, &p.customization_id)?;
            let language = language_tag(&p.language)?;
            non_empty("subject", &p.subject)?;
            non_empty("body", &p.body)?;
            let req = ApiRequest::put(path).json(customization_body(
                &language,
                &p.subject,
                &p.body,
                p.is_default,
            ));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_customization())
}

pub fn delete_email_customization() -> ToolDef {
    ToolDef::new(
        spec("delete_email_customization", "Delete email customization", "Delete one language version of an email template. Okta refuses the default one while others exist.", Effect::Destructive { idempotent: true }),
        |ctx: ToolCtx, p: DeleteCustomizationParams| async move {
            let path = customization_at(&p.brand_id, &p.template_name, &p.customization_id)?;
            let req = ApiRequest::delete(path);
            ctx.client.send(req).await?;
            Ok(ack(format!(
                "Customization {} of {} (brand {}) deleted",
                p.customization_id, p.template_name, p.brand_id
            )))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: DeleteCustomizationParams| async move {
        customization_at(&p.brand_id, &p.template_name, &p.customization_id)?;
        let what = customization_label(&ctx, &p).await;
        Ok(format!(
            "Delete {what} of the {} email of brand {}?",
            p.template_name, p.brand_id
        ))
    })
    .returns(schemas::ack(&[]))
}

pub fn delete_all_email_customizations() -> ToolDef {
    ToolDef::new(
        spec("delete_all_email_customizations", "Delete all email customizations", "Delete every language version of an email template; Okta's default content is sent again.", Effect::Destructive { idempotent: true }),
        |ctx: ToolCtx, p: TemplateParams| async move {
            ctx.client
                .send(ApiRequest::delete(customizations_path(
                    &p.brand_id,
                    &p.template_name,
                )))
                .await?;
            Ok(ack(format!(
                "All customizations of {} (brand {}) deleted; Okta's default content is used again",
                p.template_name, p.brand_id
            )))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: TemplateParams| async move {
        let brand = brand_label(&ctx, &p.brand_id).await;
        let count = match all_customizations(&ctx, &p.brand_id, &p.template_name).await {
            Ok(all) => {
                let languages: Vec<&str> =
                    all.iter().filter_map(|c| c["language"].as_str()).collect();
                format!("{} ({})", all.len(), languages.join(", "))
            }
            Err(_) => "all".to_owned(),
        };
        Ok(format!(
            "Delete {count} customizations of the {} email of brand {brand}? Okta's default content will be sent instead.",
            p.template_name
        ))
    })
    .returns(schemas::ack(&[]))
}

pub fn replace_email_settings() -> ToolDef {
    ToolDef::new(
        spec(
            "replace_email_settings",
            "Replace email settings",
            "Set who receives an email template: ALL_USERS, ADMINS_ONLY or NO_USERS.",
            Effect::Write { idempotent: true },
        ),
        |ctx: ToolCtx, p: SettingsParams| async move {
            let recipients = p.recipients.trim().to_ascii_uppercase();
            if !["ALL_USERS", "ADMINS_ONLY", "NO_USERS"].contains(&recipients.as_str()) {
                return Err(ToolError::InvalidArguments(format!(
                    "recipients: {:?} is not one of ALL_USERS, ADMINS_ONLY, NO_USERS",
                    p.recipients
                )));
            }
            let req = ApiRequest::put(template_path(&p.brand_id, &p.template_name).lit("settings"))
                .json(json!({"recipients": recipients}));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_settings())
}

pub fn send_test_email() -> ToolDef {
    ToolDef::new(
        spec(
            "send_test_email",
            "Send test email",
            "Send an email template to the signed-in admin (the customization for `language`, else the default one). Needs a user token, not a service app.",
            Effect::Write { idempotent: false },
        ),
        |ctx: ToolCtx, p: LanguageParams| async move {
            let language = optional_language(p.language)?;
            let req = ApiRequest::post(template_path(&p.brand_id, &p.template_name).lit("test"))
                .query_opt("language", language.clone());
            if let Err(e) = ctx.client.send(req).await {
                return Err(explain_user_only(&ctx, &p.brand_id, &p.template_name, e).await);
            }
            Ok(ack(format!(
                "Test email {}{} sent to the signed-in admin",
                p.template_name,
                language.map(|l| format!(" ({l})")).unwrap_or_default()
            )))
        },
    )
    .returns(schemas::ack(&[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_and_compared_case_insensitively() {
        assert_eq!(language_tag(" fr-CA ").unwrap(), "fr-CA");
        assert!(language_tag("english").is_err());
        assert!(language_tag("fr_CA").is_err());
        assert!(same_language(&json!({"language": "fr-ca"}), "FR-CA"));
        assert!(!same_language(&json!({"language": "fr"}), "fr-CA"));
    }

    #[test]
    fn bodies_are_kept_byte_for_byte() {
        let html = "<p>Hi ${user.profile.firstName} &amp; <b>\"ünï\"</b>\n</p>";
        let body = customization_body("fr", "S", html, None);
        assert_eq!(body["body"], html);
        assert!(body.get("isDefault").is_none());
    }
}
