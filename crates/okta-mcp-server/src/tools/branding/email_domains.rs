//! Email domains: the domains Okta sends a brand's email from — list, read, create,
//! rename the sender, delete and verify.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::field_selection;
use crate::tools::support::arguments::non_empty;
use crate::tools::support::domain_names::normalise_fqdn;
use crate::tools::support::ids::{BrandId, EmailDomainId};
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::replies::{ack, whole_list};
use crate::tools::{Effect, Reply, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListParams {
    /// Embed the brands that use each domain.
    #[serde(default)]
    pub expand_brands: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GetParams {
    /// Email domain ID (OeD…).
    pub email_domain_id: EmailDomainId,
    /// Embed the brands that use this domain.
    #[serde(default)]
    pub expand_brands: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct IdParams {
    /// Email domain ID (OeD…).
    pub email_domain_id: EmailDomainId,
}

fn default_subdomain() -> String {
    "mail".into()
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateParams {
    /// Brand ID (bnd…) whose emails will come from this domain.
    pub brand_id: BrandId,
    /// Domain to send from, e.g. `example.com`.
    pub domain: String,
    /// Sender name shown to recipients, e.g. `Acme IT`.
    pub display_name: String,
    /// Mailbox before the @, e.g. `noreply`.
    pub user_name: String,
    /// Subdomain for the mail provider's DNS records.
    #[serde(default = "default_subdomain")]
    pub validation_subdomain: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceParams {
    /// Email domain ID (OeD…).
    pub email_domain_id: EmailDomainId,
    /// Sender name shown to recipients.
    pub display_name: String,
    /// Mailbox before the @, e.g. `noreply`.
    pub user_name: String,
}

fn domain_path(id: &str) -> ApiPath {
    ApiPath::new(paths::EMAIL_DOMAINS).id(id)
}

async fn all_email_domains(ctx: &ToolCtx) -> Result<Vec<Value>, ToolError> {
    let body = ctx
        .client
        .send(ApiRequest::get(ApiPath::new(paths::EMAIL_DOMAINS)))
        .await?
        .body;
    Ok(body.as_array().cloned().unwrap_or_default())
}

fn find(domains: Vec<Value>, name: &str) -> Option<Value> {
    domains.into_iter().find(|d| {
        d["domain"]
            .as_str()
            .is_some_and(|n| n.trim_end_matches('.').eq_ignore_ascii_case(name))
    })
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_email_domains(),
        get_email_domain(),
        create_email_domain(),
        replace_email_domain(),
        delete_email_domain(),
        verify_email_domain(),
    ]
}

pub fn list_email_domains() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_email_domains",
            title: "List email domains",
            description: "List the domains the org sends email from, with sender name and validation status.",
            toolset: Toolset::EmailDomains,
            scope: Some("okta.emailDomains.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ListParams| async move {
            let req = ApiRequest::get(ApiPath::new(paths::EMAIL_DOMAINS))
                .query_opt("expand", p.expand_brands.then_some("brands"));
            let body = ctx.client.send(req).await?.body;
            Ok(whole_list("email_domains", body))
        },
    )
    .returns(schemas::whole_list("email_domains", schemas::email_domain()))
}

pub fn get_email_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_email_domain",
            title: "Get email domain",
            description: "Get one email domain, including the DNS records it needs.",
            toolset: Toolset::EmailDomains,
            scope: Some("okta.emailDomains.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GetParams| async move {
            let req = ApiRequest::get(domain_path(&p.email_domain_id))
                .query_opt("expand", p.expand_brands.then_some("brands"));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_domain())
}

pub fn create_email_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "create_email_domain",
            title: "Create email domain",
            description: "Add a domain to send a brand's email from. Returns the DNS records to create; then call verify_email_domain.",
            toolset: Toolset::EmailDomains,
            scope: Some("okta.emailDomains.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CreateParams| async move {
            non_empty("display_name", &p.display_name)?;
            non_empty("user_name", &p.user_name)?;
            let name = normalise_fqdn(&p.domain, "example.com")?;
            if let Some(existing) = find(all_email_domains(&ctx).await?, &name) {
                return Err(ToolError::InvalidArguments(format!(
                    "{name} is already an email domain ({})",
                    existing["id"].as_str().unwrap_or("?")
                )));
            }
            let req = ApiRequest::post(ApiPath::new(paths::EMAIL_DOMAINS)).json(json!({
                "brandId": p.brand_id.trim(),
                "domain": name,
                "displayName": p.display_name,
                "userName": p.user_name.trim(),
                "validationSubdomain": p.validation_subdomain.trim(),
            }));
            let created = ctx.client.send(req).await?.body;
            if created.is_object() {
                return Ok(field_selection::shape(created, None));
            }
            find(all_email_domains(&ctx).await?, &name)
                .map(|d| field_selection::shape(d, None))
                .ok_or_else(|| {
                    ToolError::Refused(format!(
                        "Okta accepted {name} but it is not listed yet; check list_email_domains"
                    ))
                })
        },
    )
    .returns(schemas::email_domain())
}

pub fn replace_email_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "replace_email_domain",
            title: "Replace email domain sender",
            description: "Change the sender name and mailbox of an email domain.",
            toolset: Toolset::EmailDomains,
            scope: Some("okta.emailDomains.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ReplaceParams| async move {
            non_empty("display_name", &p.display_name)?;
            non_empty("user_name", &p.user_name)?;
            let req = ApiRequest::put(domain_path(&p.email_domain_id)).json(json!({
                "displayName": p.display_name,
                "userName": p.user_name.trim(),
            }));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::email_domain())
}

pub fn delete_email_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "delete_email_domain",
            title: "Delete email domain",
            description: "Delete an email domain; brands using it send from Okta's default address again.",
            toolset: Toolset::EmailDomains,
            scope: Some("okta.emailDomains.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: IdParams| async move {
            ctx.client
                .send(ApiRequest::delete(domain_path(&p.email_domain_id)))
                .await?;
            Ok(ack(format!("Email domain {} deleted", p.email_domain_id)))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: IdParams| async move {
        let name = match ctx
            .client
            .send(ApiRequest::get(domain_path(&p.email_domain_id)))
            .await
        {
            Ok(found) => format!(
                "{} ({})",
                found.body["domain"].as_str().unwrap_or("?"),
                p.email_domain_id
            ),
            Err(_) => p.email_domain_id.to_string(),
        };
        Ok(format!(
            "Delete email domain {name}? Brands using it will send from Okta's default address."
        ))
    })
    .returns(schemas::ack(&[]))
}

pub fn verify_email_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "verify_email_domain",
            title: "Verify email domain",
            description: "Ask Okta to check an email domain's DNS records. An already verified domain is returned as it is; a failed check is reported, not hidden.",
            toolset: Toolset::EmailDomains,
            scope: Some("okta.emailDomains.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: IdParams| async move {
            let current = ctx
                .client
                .send(ApiRequest::get(domain_path(&p.email_domain_id)))
                .await?
                .body;
            if current["validationStatus"] == "VERIFIED" {
                return Ok(Reply::from(json!({
                    "validationStatus": "VERIFIED",
                    "message": format!("{} is already verified", current["domain"].as_str().unwrap_or(&p.email_domain_id)),
                    "email_domain": field_selection::shape(current, None),
                })));
            }
            let req = ApiRequest::post(domain_path(&p.email_domain_id).lit("verify")).retryable();
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::with(schemas::email_domain(), vec![("message", json!({"type": "string"})), ("email_domain", json!({"type": "object"}))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_lookup_ignores_case_and_trailing_dot() {
        let name = normalise_fqdn("Example.COM.", "example.com").unwrap();
        let found = find(vec![json!({"id": "OeD1", "domain": "example.com"})], &name);
        assert_eq!(found.unwrap()["id"], "OeD1");
        assert!(normalise_fqdn("nodots", "example.com").is_err());
    }
}
