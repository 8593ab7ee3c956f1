//! A SAML 2.0 app's IdP metadata: the XML a service provider is given, plus what an
//! assistant needs to talk about it (entity id, SSO URLs, the signing certificate's dates).
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::support::ids::AppId;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use base64::Engine;
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// The namespaces of SAML metadata and XML signatures.
const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct SamlMetadataParams {
    /// App ID (0oa…) of a SAML 2.0 app.
    pub app_id: AppId,
    /// Signing key id (default: the app's).
    #[serde(default)]
    pub kid: Option<String>,
}

pub fn get_application_saml_metadata() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_application_saml_metadata",
            title: "Get application SAML metadata",
            description: "Get a SAML app's IdP metadata XML for the service provider, with entity ID, SSO URLs and certificate expiry.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: SamlMetadataParams| async move {
            let app = ctx
                .client
                .send(ApiRequest::get(ApiPath::new(paths::APPS).id(&p.app_id)))
                .await?
                .body;
            let label = app["label"].as_str().unwrap_or(&p.app_id).to_owned();
            let mode = app["signOnMode"].as_str().unwrap_or("an unknown sign-on mode");
            if mode != "SAML_2_0" {
                return Err(ToolError::Refused(format!(
                    "App {label} ({}) signs on with {mode}, not SAML 2.0, so it has no SAML metadata. For OIDC apps the settings are in get_application's credentials.oauthClient and settings.oauthClient.",
                    p.app_id
                )));
            }
            let kid = match p.kid.filter(|k| !k.trim().is_empty()) {
                Some(kid) => kid,
                None => app["credentials"]["signing"]["kid"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ToolError::Refused(format!(
                            "App {label} ({}) has no signing key (credentials.signing.kid); pass kid.",
                            p.app_id
                        ))
                    })?,
            };
            let path = ApiPath::new(paths::APPS)
                .id(&p.app_id)
                .lit("sso/saml/metadata");
            let xml = ctx
                .client
                .get_text(ApiRequest::get(path).query("kid", &kid), "application/xml")
                .await?
                .text;
            let parsed = parse(&xml).map_err(|problem| {
                ToolError::Refused(format!(
                    "Okta's SAML metadata for app {label} ({}) could not be read: {problem}",
                    p.app_id
                ))
            })?;
            let mut out = json!({
                "app_id": p.app_id,
                "label": label,
                "kid": kid,
            });
            if let (Value::Object(out), Value::Object(parsed)) = (&mut out, parsed) {
                out.extend(parsed);
            }
            out["metadata_xml"] = json!(xml);
            Ok(out)
        },
    )
    .returns(json!({"type": "object", "properties": {"entity_id": {"type": "string"}, "sso_urls": {"type": "array"}, "certificate": {"type": "object"}, "metadata_xml": {"type": "string"}}, "required": ["entity_id", "sso_urls", "certificate", "metadata_xml"]}))
}

/// The facts of an IdP metadata document: entity id, SSO endpoints, name id formats and the
/// signing certificate's subject and validity.
fn parse(xml: &str) -> Result<Value, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not XML: {e}"))?;
    let root = doc.root_element();
    if !root.has_tag_name((MD, "EntityDescriptor")) {
        return Err(format!(
            "the document is a {}, not an md:EntityDescriptor",
            root.tag_name().name()
        ));
    }
    let entity_id = root
        .attribute("entityID")
        .ok_or("the EntityDescriptor has no entityID")?;
    let idp = root
        .descendants()
        .find(|n| n.has_tag_name((MD, "IDPSSODescriptor")))
        .ok_or("there is no IDPSSODescriptor")?;
    let sso_urls: Vec<Value> = idp
        .children()
        .filter(|n| n.has_tag_name((MD, "SingleSignOnService")))
        .map(|n| {
            json!({
                "binding": n.attribute("Binding").unwrap_or_default(),
                "location": n.attribute("Location").unwrap_or_default(),
            })
        })
        .collect();
    let name_id_formats: Vec<&str> = idp
        .children()
        .filter(|n| n.has_tag_name((MD, "NameIDFormat")))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    let signing = idp
        .children()
        .filter(|n| n.has_tag_name((MD, "KeyDescriptor")))
        .find(|n| n.attribute("use").is_none_or(|u| u == "signing"))
        .and_then(|n| {
            n.descendants()
                .find(|c| c.has_tag_name((DS, "X509Certificate")))
        })
        .and_then(|n| n.text())
        .ok_or("there is no signing certificate")?;
    Ok(json!({
        "entity_id": entity_id,
        "sso_urls": sso_urls,
        "name_id_formats": name_id_formats,
        "certificate": certificate(signing)?,
    }))
}

/// Subject and validity of a base64 DER certificate, with days left (negative: expired).
fn certificate(base64_der: &str) -> Result<Value, String> {
    use x509_cert::der::Decode;
    let compact: String = base64_der.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| format!("the certificate is not base64: {e}"))?;
    let cert = x509_cert::Certificate::from_der(&der)
        .map_err(|e| format!("the certificate is not X.509: {e}"))?;
    let validity = &cert.tbs_certificate.validity;
    let at = |t: &x509_cert::time::Time| {
        chrono::DateTime::<chrono::Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0)
    };
    let not_before = at(&validity.not_before).ok_or("the certificate's start is out of range")?;
    let not_after = at(&validity.not_after).ok_or("the certificate's expiry is out of range")?;
    let days_left = (not_after - chrono::Utc::now()).num_days();
    Ok(json!({
        "subject": cert.tbs_certificate.subject.to_string(),
        "not_before": not_before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "not_after": not_after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "days_until_expiry": days_left,
        "expired": days_left < 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_that_are_not_idp_metadata_are_named_as_such() {
        assert!(parse("not xml").unwrap_err().contains("not XML"));
        let sp = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>"#;
        assert!(parse(sp).unwrap_err().contains("IDPSSODescriptor"));
        let other = r#"<html/>"#;
        assert!(parse(other).unwrap_err().contains("html"));
        let no_cert = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor/></md:EntityDescriptor>"#;
        assert!(parse(no_cert).unwrap_err().contains("certificate"));
        assert!(certificate("@@@").unwrap_err().contains("base64"));
        assert!(certificate("AAAA").unwrap_err().contains("X.509"));
    }
}
