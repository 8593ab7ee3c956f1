//! The user profile schema as a flat attribute list: what an LLM needs to write a search or
//! a create_user profile, without the schema document's permissions and `$ref` plumbing.

use serde_json::{Map, Value, json};

/// Attributes of `definitions.base` then `definitions.custom`, each with its type, whether
/// it is required, and whether it is custom.
pub fn attributes(schema: &Value) -> Value {
    let mut attributes = Vec::new();
    let mut base_count = 0;
    let mut custom_count = 0;
    for (section, custom) in [("base", false), ("custom", true)] {
        let definition = &schema["definitions"][section];
        let required: Vec<&str> = definition["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = definition["properties"].as_object() else {
            continue;
        };
        for (name, property) in properties {
            let is_required =
                required.contains(&name.as_str()) || property["required"] == json!(true);
            attributes.push(attribute(name, property, is_required, custom));
            if custom {
                custom_count += 1;
            } else {
                base_count += 1;
            }
        }
    }
    let required: Vec<Value> = attributes
        .iter()
        .filter(|a| a["required"] == json!(true))
        .map(|a| a["name"].clone())
        .collect();
    json!({
        "schema_id": schema["id"].as_str().unwrap_or("default"),
        "total": attributes.len(),
        "base_count": base_count,
        "custom_count": custom_count,
        "required": required,
        "attributes": attributes,
    })
}

fn attribute(name: &str, property: &Value, required: bool, custom: bool) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    if let Some(title) = property["title"].as_str() {
        out.insert("title".into(), json!(title));
    }
    out.insert(
        "type".into(),
        property.get("type").cloned().unwrap_or(json!("string")),
    );
    out.insert("required".into(), json!(required));
    out.insert("custom".into(), json!(custom));
    if let Some(items) = property["items"]["type"].as_str() {
        out.insert("items_type".into(), json!(items));
    }
    for key in [
        "format",
        "enum",
        "unique",
        "mutability",
        "minLength",
        "maxLength",
        "description",
    ] {
        if let Some(v) = property.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    // Okta spells a labelled enum as `oneOf: [{const, title}]`; the values are what matter.
    if !out.contains_key("enum")
        && let Some(options) = property["oneOf"].as_array()
    {
        let values: Vec<Value> = options
            .iter()
            .filter_map(|o| o.get("const").cloned())
            .collect();
        if !values.is_empty() {
            out.insert("enum".into(), Value::Array(values));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_base_and_custom_attributes_with_flags() {
        let schema = json!({
            "id": "https://acme.okta.com/meta/schemas/user/default",
            "definitions": {
                "base": {
                    "required": ["login", "lastName"],
                    "properties": {
                        "login": {"title": "Username", "type": "string", "required": true, "minLength": 5, "permissions": [{"principal": "SELF"}]},
                        "lastName": {"title": "Last name", "type": "string"},
                        "mobilePhone": {"title": "Mobile phone", "type": "string", "maxLength": 100}
                    }
                },
                "custom": {
                    "required": [],
                    "properties": {
                        "costCode": {"title": "Cost code", "type": "integer", "unique": "UNIQUE_VALIDATED"},
                        "tags": {"title": "Tags", "type": "array", "items": {"type": "string"}},
                        "tier": {"title": "Tier", "type": "string", "oneOf": [{"const": "gold", "title": "Gold"}, {"const": "silver", "title": "Silver"}]}
                    }
                }
            }
        });
        let out = attributes(&schema);
        assert_eq!(out["total"], 6);
        assert_eq!(out["base_count"], 3);
        assert_eq!(out["custom_count"], 3);
        assert_eq!(out["required"], json!(["login", "lastName"]));
        let by_name = |n: &str| {
            out["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == n)
                .cloned()
                .unwrap()
        };
        assert_eq!(
            by_name("login"),
            json!({"name": "login", "title": "Username", "type": "string", "required": true, "custom": false, "minLength": 5})
        );
        assert_eq!(by_name("mobilePhone")["required"], false);
        assert_eq!(by_name("costCode")["custom"], true);
        assert_eq!(by_name("costCode")["type"], "integer");
        assert_eq!(by_name("tags")["items_type"], "string");
        assert_eq!(by_name("tier")["enum"], json!(["gold", "silver"]));
    }

    #[test]
    fn an_unexpected_document_gives_an_empty_list_not_a_panic() {
        let out = attributes(&json!({"definitions": "nope"}));
        assert_eq!(out["total"], 0);
        assert_eq!(out["attributes"], json!([]));
    }
}
