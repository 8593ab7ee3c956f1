//! Custom URL domains: list, read, create, move to another brand, delete, verify, and
//! install a certificate whose private key is read from an allowed file and never shown.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::field_selection;
use crate::tools::support::domain_names::normalise_fqdn;
use crate::tools::support::files::{self, FileRules};
use crate::tools::support::ids::{BrandId, DomainId};
use crate::tools::support::output_schemas as schemas;
use crate::tools::support::replies::{ack, whole_list};
use crate::tools::{Effect, Reply, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Read;

/// A PEM private key is a few KB; anything far larger is not one.
const MAX_KEY_BYTES: u64 = 64 * 1024;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct DomainIdParams {
    /// Custom domain ID (OcD…).
    pub domain_id: DomainId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateDomainParams {
    /// Fully qualified domain name, e.g. `login.example.com`.
    pub domain: String,
    /// OKTA_MANAGED (Okta gets and renews the certificate) or MANUAL (you upload one).
    pub certificate_source_type: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceDomainParams {
    /// Custom domain ID (OcD…).
    pub domain_id: DomainId,
    /// Brand ID (bnd…) the domain should serve.
    pub brand_id: BrandId,
}

#[derive(Deserialize, JsonSchema)]
pub struct CertificateParams {
    /// Custom domain ID (OcD…).
    pub domain_id: DomainId,
    /// PEM certificate for the domain (-----BEGIN CERTIFICATE-----…).
    pub certificate: String,
    /// PEM chain of intermediate certificates.
    pub certificate_chain: String,
    /// Path of the PEM private key file, inside OKTA_MCP_ALLOWED_KEY_DIRS. The key is never accepted inline.
    pub private_key_file_path: String,
}

fn domain_path(id: &str) -> ApiPath {
    ApiPath::new(paths::DOMAINS).id(id)
}

async fn all_domains(ctx: &ToolCtx) -> Result<Vec<Value>, ToolError> {
    let body = ctx
        .client
        .send(ApiRequest::get(ApiPath::new(paths::DOMAINS)))
        .await?
        .body;
    Ok(body["domains"].as_array().cloned().unwrap_or_default())
}

fn find_domain(domains: Vec<Value>, name: &str) -> Option<Value> {
    domains.into_iter().find(|d| {
        d["domain"]
            .as_str()
            .is_some_and(|n| n.trim_end_matches('.').eq_ignore_ascii_case(name))
    })
}

/// The org's own Okta domain is listed as `default` by some orgs; it can never be deleted.
fn refuse_default(id: &str) -> Result<(), ToolError> {
    if id.trim().eq_ignore_ascii_case("default") {
        return Err(ToolError::InvalidArguments(
            "the default (Okta) domain cannot be deleted; pass the id of a custom domain (OcD…)"
                .into(),
        ));
    }
    Ok(())
}

/// Reads the private key from an allowed file; errors never include its content.
fn read_private_key(ctx: &ToolCtx, path: &str) -> Result<String, ToolError> {
    let file = files::open_readable(path, FileRules::of(&ctx.settings))?;
    let size = file
        .metadata()
        .map_err(|e| ToolError::Refused(format!("cannot read {path:?}: {}", e.kind())))?
        .len();
    if size > MAX_KEY_BYTES {
        return Err(ToolError::Refused(format!(
            "{path:?} is {size} bytes, too large for a PEM private key"
        )));
    }
    let mut key = String::new();
    file.take(MAX_KEY_BYTES)
        .read_to_string(&mut key)
        .map_err(|e| ToolError::Refused(format!("cannot read {path:?} as text: {}", e.kind())))?;
    let trimmed = key.trim();
    let pem = trimmed.starts_with("-----BEGIN ")
        && trimmed.contains("PRIVATE KEY-----")
        && trimmed.ends_with("-----");
    if !pem {
        return Err(ToolError::Refused(format!(
            "{path:?} does not hold a PEM private key (-----BEGIN PRIVATE KEY-----)"
        )));
    }
    Ok(key)
}

fn pem_certificate(name: &str, value: &str) -> Result<String, ToolError> {
    let v = value.trim();
    if v.starts_with("-----BEGIN CERTIFICATE-----") && v.ends_with("-----END CERTIFICATE-----") {
        Ok(v.to_owned())
    } else {
        Err(ToolError::InvalidArguments(format!(
            "{name}: expected PEM text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----"
        )))
    }
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_custom_domains(),
        get_custom_domain(),
        create_custom_domain(),
        replace_custom_domain(),
        delete_custom_domain(),
        upsert_custom_domain_certificate(),
        verify_custom_domain(),
    ]
}

pub fn list_custom_domains() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_custom_domains",
            title: "List custom domains",
            description: "List the org's custom URL domains with validation status, certificate source and brand.",
            toolset: Toolset::CustomDomains,
            scope: Some("okta.domains.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, _p: NoParams| async move {
            Ok(whole_list(
                "domains",
                Value::Array(all_domains(&ctx).await?),
            ))
        },
    )
    .returns(schemas::whole_list("domains", schemas::custom_domain()))
}

pub fn get_custom_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_custom_domain",
            title: "Get custom domain",
            description: "Get one custom domain, including the DNS records to create before verifying it.",
            toolset: Toolset::CustomDomains,
            scope: Some("okta.domains.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: DomainIdParams| async move {
            common::object(&ctx, ApiRequest::get(domain_path(&p.domain_id)), None).await
        },
    )
    .returns(schemas::custom_domain())
}

pub fn create_custom_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "create_custom_domain",
            title: "Create custom domain",
            description: "Add a custom URL domain (e.g. login.example.com). Returns the DNS records to create; then call verify_custom_domain.",
            toolset: Toolset::CustomDomains,
            scope: Some("okta.domains.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CreateDomainParams| async move {
            let name = normalise_fqdn(&p.domain, "login.example.com")?;
            let source = p.certificate_source_type.trim().to_ascii_uppercase();
            if source != "MANUAL" && source != "OKTA_MANAGED" {
                return Err(ToolError::InvalidArguments(format!(
                    "certificate_source_type: {:?} is not one of MANUAL, OKTA_MANAGED",
                    p.certificate_source_type
                )));
            }
            if let Some(existing) = find_domain(all_domains(&ctx).await?, &name) {
                return Err(ToolError::InvalidArguments(format!(
                    "{name} is already a custom domain ({})",
                    existing["id"].as_str().unwrap_or("?")
                )));
            }
            let req = ApiRequest::post(ApiPath::new(paths::DOMAINS))
                .json(json!({"domain": name, "certificateSourceType": source}));
            let created = ctx.client.send(req).await?.body;
            if created.is_object() {
                return Ok(field_selection::shape(created, None));
            }
            find_domain(all_domains(&ctx).await?, &name)
                .map(|d| field_selection::shape(d, None))
                .ok_or_else(|| {
                    ToolError::Refused(format!(
                        "Okta accepted {name} but it is not listed yet; check list_custom_domains"
                    ))
                })
        },
    )
    .returns(schemas::custom_domain())
}

pub fn replace_custom_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "replace_custom_domain",
            title: "Replace custom domain brand",
            description: "Move a custom domain to another brand (the only thing Okta lets you change).",
            toolset: Toolset::CustomDomains,
            scope: Some("okta.domains.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ReplaceDomainParams| async move {
            let req = ApiRequest::put(domain_path(&p.domain_id))
                .json(json!({"brandId": p.brand_id.trim()}));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::custom_domain())
}

pub fn delete_custom_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "delete_custom_domain",
            title: "Delete custom domain",
            description: "Delete a custom domain; sign-in at that address stops working. The default Okta domain cannot be deleted.",
            toolset: Toolset::CustomDomains,
            scope: Some("okta.domains.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: DomainIdParams| async move {
            refuse_default(&p.domain_id)?;
            ctx.client
                .send(ApiRequest::delete(domain_path(&p.domain_id)))
                .await?;
            Ok(ack(format!("Custom domain {} deleted", p.domain_id)))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: DomainIdParams| async move {
        refuse_default(&p.domain_id)?;
        let name = match ctx.client.send(ApiRequest::get(domain_path(&p.domain_id))).await {
            Ok(found) => format!(
                "{} ({})",
                found.body["domain"].as_str().unwrap_or("?"),
                p.domain_id
            ),
            Err(_) => p.domain_id.to_string(),
        };
        Ok(format!(
            "Delete custom domain {name}? Users can no longer sign in at that address."
        ))
    })
    .returns(schemas::ack(&[]))
}

pub fn upsert_custom_domain_certificate() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "upsert_custom_domain_certificate",
            title: "Upload custom domain certificate",
            description: "Install your own TLS certificate on a custom domain (it becomes MANUAL). The private key is read from a file in an allowed directory, never passed inline, and never shown.",
            toolset: Toolset::CustomDomains,
            scope: Some("okta.domains.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CertificateParams| async move {
            let certificate = pem_certificate("certificate", &p.certificate)?;
            let chain = pem_certificate("certificate_chain", &p.certificate_chain)?;
            let key = read_private_key(&ctx, &p.private_key_file_path)?;
            let req = ApiRequest::put(domain_path(&p.domain_id).lit("certificate")).json(json!({
                "certificate": certificate,
                "certificateChain": chain,
                "privateKey": key,
                "type": "PEM",
            }));
            drop(key);
            ctx.client.send(req).await?;
            let domain = ctx
                .client
                .send(ApiRequest::get(domain_path(&p.domain_id)))
                .await?
                .body;
            Ok(json!({
                "success": true,
                "message": format!("Certificate installed on custom domain {}", p.domain_id),
                "domain": field_selection::shape(domain, None),
            }))
        },
    )
    .returns(schemas::ack(&[("domain", "object")]))
}

pub fn verify_custom_domain() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "verify_custom_domain",
            title: "Verify custom domain",
            description: "Ask Okta to check a custom domain's DNS records (and, for OKTA_MANAGED, get its certificate). Already verified domains are returned as they are.",
            toolset: Toolset::CustomDomains,
            scope: Some("okta.domains.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: DomainIdParams| async move {
            let current = ctx
                .client
                .send(ApiRequest::get(domain_path(&p.domain_id)))
                .await?
                .body;
            let status = current["validationStatus"].as_str().unwrap_or_default();
            if status == "VERIFIED" || status == "COMPLETED" {
                return Ok(Reply::from(json!({
                    "validationStatus": status,
                    "message": format!("{} is already verified", current["domain"].as_str().unwrap_or(&p.domain_id)),
                    "domain": field_selection::shape(current, None),
                })));
            }
            let req = ApiRequest::post(domain_path(&p.domain_id).lit("verify")).retryable();
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::with(schemas::custom_domain(), vec![("domain", json!({"type": ["string", "object"]})), ("message", json!({"type": "string"}))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_normalised_and_checked() {
        assert_eq!(
            normalise_fqdn(" Login.Example.COM. ", "x.y").unwrap(),
            "login.example.com"
        );
        assert!(normalise_fqdn("localhost", "x.y").is_err());
        assert!(normalise_fqdn("a_b.example.com", "x.y").is_err());
        assert!(refuse_default("Default").is_err());
        assert!(refuse_default("OcD123").is_ok());
    }
}
