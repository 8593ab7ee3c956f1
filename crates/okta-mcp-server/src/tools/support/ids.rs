//! IDs as tool arguments. Each is checked when the arguments are read (not blank, not `.` or
//! `..`, not longer than any Okta ID or login), so a handler never sees one that cannot
//! name a single object; the client percent-encodes it as exactly one path segment, so no
//! character in it can change the route. Their schema is a plain string, as before.

use okta_client::MAX_ID_CHARS;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;

/// Why `raw` cannot name one object; the caller's field name is added by the argument parser.
fn id_problem(raw: &str, example: &str) -> Option<String> {
    let chars = raw.chars().count();
    if raw.trim().is_empty() {
        Some(format!("must not be empty; give an ID such as {example}"))
    } else if raw == "." || raw == ".." {
        Some(format!(
            "{raw:?} is not an ID; give an ID such as {example}"
        ))
    } else if chars > MAX_ID_CHARS {
        Some(format!(
            "an ID of {chars} characters is too long (at most {MAX_ID_CHARS}; Okta IDs are 20 characters, logins at most 100)"
        ))
    } else {
        None
    }
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident, $example:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                match id_problem(&raw, $example) {
                    Some(problem) => Err(problem),
                    None => Ok(Self(raw)),
                }
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                "String".into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                String::json_schema(generator)
            }
        }
    )+};
}

ids! {
    /// A user's ID (00u…) or login.
    UserId, "00u1abcd2EFGH3ijk4l5";
    /// A group's ID (00g…).
    GroupId, "00g1abcd2EFGH3ijk4l5";
    /// An application's ID (0oa…).
    AppId, "0oa1abcd2EFGH3ijk4l5";
    /// A policy's ID (00p…).
    PolicyId, "00p1abcd2EFGH3ijk4l5";
    /// A policy rule's ID (0pr…).
    RuleId, "0pr1abcd2EFGH3ijk4l5";
    /// An enrolled MFA factor's ID (e.g. mbl…, emf…, opf…, ost…).
    FactorId, "mbl1abcd2EFGH3ijk4l5";
    /// A device assurance policy's ID (dae…).
    DeviceAssuranceId, "dae1abcd2EFGH3ijk4l5";
    /// A group rule's ID (0pr…).
    GroupRuleId, "0pr1abcd2EFGH3ijk4l5";
    /// A network zone's ID (nzo…).
    ZoneId, "nzo1abcd2EFGH3ijk4l5";
    /// A brand's ID (bnd…).
    BrandId, "bnd1abcd2EFGH3ijk4l5";
    /// A theme's ID (thd…).
    ThemeId, "thd1abcd2EFGH3ijk4l5";
    /// A custom domain's ID (OcD…).
    DomainId, "OcD1abcd2EFGH3ijk4l5";
    /// An email domain's ID (OeD…).
    EmailDomainId, "OeD1abcd2EFGH3ijk4l5";
    /// An email customization's ID (oel…).
    CustomizationId, "oel1abcd2EFGH3ijk4l5";
    /// An email template's name (e.g. UserActivation), which names it in paths like an ID.
    TemplateName, "UserActivation";
    /// An OIN catalogue app's name (e.g. salesforce), which names it in paths like an ID.
    CatalogAppName, "salesforce";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_refuse_what_cannot_name_one_object_and_keep_the_rest_verbatim() {
        for bad in ["", "   ", ".", ".."] {
            let err = serde_json::from_value::<UserId>(json!(bad)).unwrap_err();
            assert!(err.to_string().contains("00u"), "{bad:?}: {err}");
        }
        let long = "x".repeat(MAX_ID_CHARS + 1);
        assert!(serde_json::from_value::<GroupId>(json!(long)).is_err());
        assert!(serde_json::from_value::<GroupId>(json!(7)).is_err());
        // A slash is fine: the client encodes it inside the one segment.
        let id: UserId = serde_json::from_value(json!("../groups")).unwrap();
        assert_eq!(&*id, "../groups");
        assert_eq!(serde_json::to_value(&id).unwrap(), json!("../groups"));
    }

    #[test]
    fn the_schema_is_a_plain_string() {
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<BrandId>();
        assert_eq!(schema.get("type"), Some(&json!("string")));
    }
}
