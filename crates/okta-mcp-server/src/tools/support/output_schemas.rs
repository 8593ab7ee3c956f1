//! The outputSchemas tools declare (`ToolDef::returns`), built from a few shared parts: Okta's
//! objects (top-level properties and types from Okta's OpenAPI spec), the list envelope, and
//! acknowledgements. Every byte lands in tools/list, so a schema holds property names and
//! types only, never descriptions. Okta objects require nothing: a `fields` projection may
//! leave any property out. Acknowledgements require only `message`, which the server's own
//! not-done answers of a destructive tool (the confirmation request, the declined call) carry
//! too, so those answers validate against the tool's schema as MCP asks.

use serde_json::{Map, Value, json};

/// Properties as (name, JSON type): `"string|null"` for several types, `"any"` for none.
pub type Props<'a> = &'a [(&'a str, &'a str)];

/// The schema of one property type written as in [`Props`].
fn property(kind: &str) -> Value {
    match kind {
        "any" => json!({}),
        one if !one.contains('|') => json!({"type": one}),
        several => json!({"type": several.split('|').collect::<Vec<_>>()}),
    }
}

/// An object with these properties, none required.
pub fn object(props: Props) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(name, kind)| ((*name).to_owned(), property(kind)))
        .collect();
    json!({"type": "object", "properties": properties})
}

/// `schema` with more properties (each a schema of its own, e.g. a nested Okta object).
pub fn with(mut schema: Value, more: Vec<(&str, Value)>) -> Value {
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for (name, property) in more {
            properties.insert(name.to_owned(), property);
        }
    }
    schema
}

/// `schema` with these properties required: those every answer of the tool carries.
pub fn requiring(mut schema: Value, required: &[&str]) -> Value {
    schema["required"] = json!(required);
    schema
}

/// An array of `item`.
pub fn array_of(item: Value) -> Value {
    json!({"type": "array", "items": item})
}

/// The list envelope every paged list tool answers with (see `listing`), items typed.
pub fn list_of(item: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "items": array_of(item),
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]}
        },
        "required": ["items"]
    })
}

/// A list Okta returns in one piece, under `key`, with its count (`replies::whole_list`).
pub fn whole_list(key: &str, item: Value) -> Value {
    let mut properties = Map::new();
    properties.insert("total_fetched".into(), json!({"type": "integer"}));
    properties.insert(key.into(), array_of(item));
    json!({"type": "object", "properties": properties, "required": ["total_fetched", key]})
}

/// `{"success": true, "message": …}` (`replies::ack`), plus what the tool adds.
pub fn ack(more: Props) -> Value {
    let mut props = vec![("success", "boolean"), ("message", "string")];
    props.extend_from_slice(more);
    requiring(object(&props), &["message"])
}

/// Okta's User.
pub fn user() -> Value {
    object(&[
        ("id", "string"),
        ("status", "string"),
        ("created", "string"),
        ("activated", "string"),
        ("statusChanged", "string"),
        ("lastLogin", "string"),
        ("lastUpdated", "string"),
        ("passwordChanged", "string"),
        ("transitioningToStatus", "string"),
        ("realmId", "string"),
        ("type", "object"),
        ("profile", "object"),
        ("credentials", "object"),
    ])
}

/// Okta's Group.
pub fn group() -> Value {
    object(&[
        ("id", "string"),
        ("type", "string"),
        ("created", "string"),
        ("lastUpdated", "string"),
        ("lastMembershipUpdated", "string"),
        ("objectClass", "array"),
        ("profile", "object"),
    ])
}

/// Okta's Application (with the `name`, `credentials` and `settings` of its sign-on modes).
pub fn application() -> Value {
    object(&[
        ("id", "string"),
        ("name", "string"),
        ("label", "string"),
        ("status", "string"),
        ("signOnMode", "string"),
        ("created", "string"),
        ("lastUpdated", "string"),
        ("features", "array"),
        ("accessibility", "object"),
        ("visibility", "object"),
        ("credentials", "object"),
        ("settings", "object"),
        ("profile", "object"),
        ("licensing", "object"),
        ("universalLogout", "object"),
        ("orn", "string"),
        ("_embedded", "object"),
    ])
}

/// An app of the Okta Integration Network catalogue; `_embedded.schema` holds its settings.
pub fn catalog_app() -> Value {
    object(&[
        ("name", "string"),
        ("displayName", "string"),
        ("description", "string"),
        ("category", "string"),
        ("status", "string"),
        ("signOnModes", "array"),
        ("features", "array"),
        ("verificationStatus", "string"),
        ("_embedded", "object"),
    ])
}

/// Okta's Policy (with the `conditions` and `settings` of its types).
pub fn policy() -> Value {
    object(&[
        ("id", "string"),
        ("type", "string"),
        ("name", "string"),
        ("description", "string"),
        ("status", "string"),
        ("priority", "integer"),
        ("system", "boolean"),
        ("created", "string"),
        ("lastUpdated", "string"),
        ("conditions", "object"),
        ("settings", "object"),
    ])
}

/// Okta's PolicyRule (with the `conditions` and `actions` of its types).
pub fn policy_rule() -> Value {
    object(&[
        ("id", "string"),
        ("type", "string"),
        ("name", "string"),
        ("status", "string"),
        ("priority", "integer"),
        ("system", "boolean"),
        ("created", "string"),
        ("lastUpdated", "string"),
        ("conditions", "object"),
        ("actions", "object"),
    ])
}

/// Okta's DeviceAssurance, as the device assurance tools return it (with
/// `securityAttributeStatus`, and `below_version_threshold` when a threshold was given).
pub fn device_assurance() -> Value {
    object(&[
        ("id", "string"),
        ("name", "string"),
        ("platform", "string"),
        ("osVersion", "object"),
        ("createdBy", "string"),
        ("createdDate", "string"),
        ("lastUpdate", "string"),
        ("lastUpdatedBy", "string"),
        ("securityAttributeStatus", "object"),
        ("below_version_threshold", "boolean|null"),
    ])
}

/// Okta's LogEvent.
pub fn log_event() -> Value {
    object(&[
        ("uuid", "string"),
        ("published", "string"),
        ("eventType", "string"),
        ("displayMessage", "string"),
        ("severity", "string"),
        ("version", "string"),
        ("legacyEventType", "string"),
        ("actor", "object"),
        ("client", "object"),
        ("outcome", "object"),
        ("target", "array"),
        ("request", "object"),
        ("securityContext", "object"),
        ("authenticationContext", "object"),
        ("debugContext", "object"),
        ("transaction", "object"),
    ])
}

/// Okta's Brand.
pub fn brand() -> Value {
    object(&[
        ("id", "string"),
        ("name", "string"),
        ("isDefault", "boolean"),
        ("locale", "string"),
        ("agreeToCustomPrivacyPolicy", "boolean"),
        ("customPrivacyPolicyUrl", "string"),
        ("removePoweredByOkta", "boolean"),
        ("emailDomainId", "string"),
        ("defaultApp", "object"),
    ])
}

/// Okta's ThemeResponse.
pub fn theme() -> Value {
    object(&[
        ("id", "string"),
        ("logo", "string"),
        ("favicon", "string"),
        ("backgroundImage", "string"),
        ("primaryColorHex", "string"),
        ("primaryColorContrastHex", "string"),
        ("secondaryColorHex", "string"),
        ("secondaryColorContrastHex", "string"),
        ("signInPageTouchPointVariant", "string"),
        ("endUserDashboardTouchPointVariant", "string"),
        ("errorPageTouchPointVariant", "string"),
        ("emailTemplateTouchPointVariant", "string"),
        ("loadingPageTouchPointVariant", "string"),
    ])
}

/// Okta's ImageUploadResponse.
pub fn image_upload() -> Value {
    object(&[("url", "string")])
}

/// Okta's DomainResponse (a custom domain).
pub fn custom_domain() -> Value {
    object(&[
        ("id", "string"),
        ("domain", "string"),
        ("brandId", "string"),
        ("certificateSourceType", "string"),
        ("validationStatus", "string"),
        ("dnsRecords", "array"),
        ("publicCertificate", "object"),
    ])
}

/// Okta's EmailDomainResponse.
pub fn email_domain() -> Value {
    object(&[
        ("id", "string"),
        ("domain", "string"),
        ("displayName", "string"),
        ("userName", "string"),
        ("validationStatus", "string"),
        ("validationSubdomain", "string"),
        ("dnsValidationRecords", "array"),
    ])
}

/// Okta's EmailTemplateResponse.
pub fn email_template() -> Value {
    object(&[("name", "string"), ("_embedded", "object")])
}

/// Okta's EmailCustomization.
pub fn email_customization() -> Value {
    object(&[
        ("id", "string"),
        ("language", "string"),
        ("isDefault", "boolean"),
        ("subject", "string"),
        ("body", "string"),
        ("created", "string"),
        ("lastUpdated", "string"),
    ])
}

/// Okta's EmailDefaultContent and EmailPreview: a subject and an HTML body.
pub fn email_content() -> Value {
    object(&[("subject", "string"), ("body", "string")])
}

/// Okta's EmailSettings.
pub fn email_settings() -> Value {
    object(&[("recipients", "string")])
}

/// Okta's SignInPage.
pub fn sign_in_page() -> Value {
    object(&[
        ("pageContent", "string"),
        ("widgetVersion", "string"),
        ("widgetCustomizations", "object"),
        ("contentSecurityPolicySetting", "object"),
    ])
}

/// Okta's ErrorPage.
pub fn error_page() -> Value {
    object(&[
        ("pageContent", "string"),
        ("contentSecurityPolicySetting", "object"),
    ])
}

/// Okta's HostedPage (the sign-out page setting).
pub fn hosted_page() -> Value {
    object(&[("type", "string"), ("url", "string")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_types_read_as_written() {
        assert_eq!(
            object(&[("id", "string"), ("x", "string|null"), ("y", "any")]),
            json!({"type": "object", "properties": {
                "id": {"type": "string"}, "x": {"type": ["string", "null"]}, "y": {}
            }})
        );
    }

    #[test]
    fn an_ack_requires_only_its_message() {
        let schema = ack(&[("user_id", "string")]);
        assert_eq!(schema["required"], json!(["message"]));
        assert_eq!(schema["properties"]["user_id"], json!({"type": "string"}));
    }
}
