//! Brands: list, read, create, replace and delete.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListDocs, ListQuery, ListRules, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::support::arguments::non_empty;
use crate::tools::support::ids::{BrandId, EmailDomainId};
use crate::tools::support::labels::brand_label;
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::query::expand_csv;
use crate::tools::support::replies::{ack, whole_list};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum BrandExpand {
    Themes,
    Domains,
    EmailDomain,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListBrandsParams {
    /// Extra data to embed: themes, domains, emailDomain.
    #[serde(default)]
    pub expand: Option<Vec<BrandExpand>>,
    #[serde(flatten)]
    pub query: ListQuery<BrandList>,
}

/// list_brands' query parameters.
#[derive(Clone, Debug)]
pub struct BrandList;

impl ListDocs for BrandList {
    const Q: Option<&'static str> = Some("Match on the brand name, e.g. `Acme`.");
    const FIELDS: &'static str =
        "Comma-separated dotted paths to return, e.g. `id,name,isDefault`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GetBrandParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Extra data to embed: themes, domains, emailDomain.
    #[serde(default)]
    pub expand: Option<Vec<BrandExpand>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct BrandIdParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateBrandParams {
    /// Name of the new brand (unique in the org).
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceBrandParams {
    /// Brand ID (bnd…).
    pub brand_id: BrandId,
    /// Brand name.
    pub name: String,
    /// Must be true to set custom_privacy_policy_url.
    #[serde(default)]
    pub agree_to_custom_privacy_policy: Option<bool>,
    /// Custom privacy policy URL (https://…).
    #[serde(default)]
    pub custom_privacy_policy_url: Option<String>,
    /// Remove "Powered by Okta" from the sign-in page and dashboard.
    #[serde(default)]
    pub remove_powered_by_okta: Option<bool>,
    /// Default language, BCP 47 (e.g. `en`, `fr-CA`).
    #[serde(default)]
    pub locale: Option<String>,
    /// Email domain ID (OeD…) to send this brand's emails from.
    #[serde(default)]
    pub email_domain_id: Option<EmailDomainId>,
    /// Default app: appInstanceId, appLinkName, classicApplicationUri.
    #[serde(default)]
    pub default_app: Option<Map<String, Value>>,
}

/// Keys Okta's `defaultApp` takes; the anchor's snake_case spellings are accepted too.
fn default_app(raw: Map<String, Value>) -> Result<Value, ToolError> {
    let mut out = Map::new();
    for (key, value) in raw {
        let okta_key = match key.as_str() {
            "appInstanceId" | "app_instance_id" => "appInstanceId",
            "appLinkName" | "app_link_name" => "appLinkName",
            "classicApplicationUri" | "classic_application_uri" => "classicApplicationUri",
            other => {
                return Err(ToolError::InvalidArguments(format!(
                    "default_app: unknown key {other:?}; use appInstanceId, appLinkName, classicApplicationUri"
                )));
            }
        };
        out.insert(okta_key.into(), value);
    }
    Ok(Value::Object(out))
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_brands(),
        get_brand(),
        list_brand_domains(),
        create_brand(),
        replace_brand(),
        delete_brand(),
    ]
}

pub fn list_brands() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_brands",
            title: "List brands",
            description: "List the org's brands (name, isDefault, locale, emailDomainId). `expand` embeds themes, domains or the email domain.",
            toolset: Toolset::Brands,
            scope: Some("okta.brands.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListBrandsParams| async move {
            let fields = p.query.fields()?;
            let req = ApiRequest::get(ApiPath::new(paths::BRANDS))
                .query_opt("expand", expand_csv(p.expand.as_deref()));
            let req = p.query.apply(req);
            listing::list(
                &ctx,
                req,
                &p.query.paging,
                ListRules::OKTA_SIZED,
                fields.as_ref(),
            )
            .await
        },
    )
    .returns(schemas::list_of(schemas::brand()))
}

pub fn get_brand() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_brand",
            title: "Get brand",
            description: "Get one brand by ID.",
            toolset: Toolset::Brands,
            scope: Some("okta.brands.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GetBrandParams| async move {
            let req = ApiRequest::get(ApiPath::new(paths::BRANDS).id(&p.brand_id))
                .query_opt("expand", expand_csv(p.expand.as_deref()));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::brand())
}

pub fn list_brand_domains() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_brand_domains",
            title: "List brand domains",
            description: "List the custom domains that serve a brand.",
            toolset: Toolset::Brands,
            scope: Some("okta.brands.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BrandIdParams| async move {
            let req = ApiRequest::get(ApiPath::new(paths::BRANDS).id(&p.brand_id).lit("domains"));
            let body = ctx.client.send(req).await?.body;
            Ok(whole_list("domains", body["domains"].clone()))
        },
    )
    .returns(schemas::whole_list("domains", schemas::custom_domain()))
}

pub fn create_brand() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "create_brand",
            title: "Create brand",
            description: "Create a brand (with Okta's default theme, pages and email templates). Fails if a brand of that name exists.",
            toolset: Toolset::Brands,
            scope: Some("okta.brands.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CreateBrandParams| async move {
            let name = p.name.trim();
            non_empty("name", name)?;
            let existing = ctx
                .client
                .send(
                    ApiRequest::get(ApiPath::new(paths::BRANDS))
                        .query("q", name)
                        .query("limit", 200),
                )
                .await?
                .body;
            let taken = existing.as_array().into_iter().flatten().find(|b| {
                b["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
            if let Some(brand) = taken {
                return Err(ToolError::InvalidArguments(format!(
                    "a brand named {:?} already exists ({}); choose another name or use replace_brand",
                    brand["name"].as_str().unwrap_or(name),
                    brand["id"].as_str().unwrap_or("?")
                )));
            }
            let req = ApiRequest::post(ApiPath::new(paths::BRANDS)).json(json!({"name": name}));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::brand())
}

pub fn replace_brand() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "replace_brand",
            title: "Replace brand",
            description: "Update a brand's settings. Fields you leave out keep their current values.",
            toolset: Toolset::Brands,
            scope: Some("okta.brands.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ReplaceBrandParams| async move {
            non_empty("name", &p.name)?;
            let current = ctx
                .client
                .send(ApiRequest::get(ApiPath::new(paths::BRANDS).id(&p.brand_id)))
                .await?
                .body;
            // PUT replaces the whole brand, so start from what is there now.
            let mut body = Map::new();
            for key in [
                "agreeToCustomPrivacyPolicy",
                "customPrivacyPolicyUrl",
                "removePoweredByOkta",
                "locale",
                "emailDomainId",
                "defaultApp",
            ] {
                if let Some(v) = current.get(key).filter(|v| !v.is_null()) {
                    body.insert(key.into(), v.clone());
                }
            }
            body.insert("name".into(), json!(p.name.trim()));
            if let Some(v) = p.agree_to_custom_privacy_policy {
                body.insert("agreeToCustomPrivacyPolicy".into(), json!(v));
            }
            if let Some(url) = p.custom_privacy_policy_url {
                if url.trim().is_empty() {
                    body.remove("customPrivacyPolicyUrl");
                } else {
                    body.insert("customPrivacyPolicyUrl".into(), json!(url.trim()));
                }
            }
            if let Some(v) = p.remove_powered_by_okta {
                body.insert("removePoweredByOkta".into(), json!(v));
            }
            if let Some(locale) = p.locale {
                body.insert("locale".into(), json!(locale.trim()));
            }
            if let Some(id) = p.email_domain_id {
                body.insert("emailDomainId".into(), json!(id));
            }
            if let Some(app) = p.default_app {
                body.insert("defaultApp".into(), default_app(app)?);
            }
            let req = ApiRequest::put(ApiPath::new(paths::BRANDS).id(&p.brand_id))
                .json(Value::Object(body));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::brand())
}

pub fn delete_brand() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "delete_brand",
            title: "Delete brand",
            description: "Delete a brand with its theme, pages and email customizations. Okta refuses the default brand and brands that still have a domain.",
            toolset: Toolset::Brands,
            scope: Some("okta.brands.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BrandIdParams| async move {
            let label = brand_label(&ctx, &p.brand_id).await;
            ctx.client
                .send(ApiRequest::delete(
                    ApiPath::new(paths::BRANDS).id(&p.brand_id),
                ))
                .await?;
            Ok(ack(format!("Brand {label} deleted")))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: BrandIdParams| async move {
        let label = brand_label(&ctx, &p.brand_id).await;
        Ok(format!(
            "Delete brand {label} with its theme, custom pages and email customizations? This cannot be undone."
        ))
    })
    .returns(schemas::ack(&[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_values_use_okta_spelling() {
        assert_eq!(
            expand_csv(Some(&[BrandExpand::Themes, BrandExpand::EmailDomain])).as_deref(),
            Some("themes,emailDomain")
        );
        assert_eq!(expand_csv::<BrandExpand>(Some(&[])), None);
        assert_eq!(expand_csv::<BrandExpand>(None), None);
    }

    #[test]
    fn default_app_keys_are_okta_keys() {
        let raw: Map<String, Value> =
            serde_json::from_value(json!({"app_instance_id": "0oa1", "appLinkName": "x"})).unwrap();
        assert_eq!(
            default_app(raw).unwrap(),
            json!({"appInstanceId": "0oa1", "appLinkName": "x"})
        );
        let bad: Map<String, Value> = serde_json::from_value(json!({"foo": 1})).unwrap();
        assert!(default_app(bad).is_err());
    }
}
