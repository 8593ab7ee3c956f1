//! The default user schema (`/api/v1/meta/schemas/user/default`), listing the base
//! profile properties the seeded users carry, in Okta's JSON Schema shape.

use serde_json::{Map, Value, json};

/// (name, title, type, required)
const BASE: &[(&str, &str, &str, bool)] = &[
    ("login", "Username", "string", true),
    ("firstName", "First name", "string", true),
    ("lastName", "Last name", "string", true),
    ("middleName", "Middle name", "string", false),
    ("honorificPrefix", "Honorific prefix", "string", false),
    ("honorificSuffix", "Honorific suffix", "string", false),
    ("email", "Primary email", "string", true),
    ("title", "Title", "string", false),
    ("displayName", "Display name", "string", false),
    ("nickName", "Nickname", "string", false),
    ("profileUrl", "Profile Url", "string", false),
    ("secondEmail", "Secondary email", "string", false),
    ("mobilePhone", "Mobile phone", "string", false),
    ("primaryPhone", "Primary phone", "string", false),
    ("streetAddress", "Street address", "string", false),
    ("city", "City", "string", false),
    ("state", "State", "string", false),
    ("zipCode", "Zip code", "string", false),
    ("countryCode", "Country code", "string", false),
    ("postalAddress", "Postal Address", "string", false),
    ("preferredLanguage", "Preferred language", "string", false),
    ("locale", "Locale", "string", false),
    ("timezone", "Time zone", "string", false),
    ("userType", "User type", "string", false),
    ("employeeNumber", "Employee number", "string", false),
    ("costCenter", "Cost center", "string", false),
    ("organization", "Organization", "string", false),
    ("division", "Division", "string", false),
    ("department", "Department", "string", false),
    ("managerId", "ManagerId", "string", false),
    ("manager", "Manager", "string", false),
];

/// Whether `name` is a property of the user profile schema (group rule expressions may read
/// only those).
pub fn is_profile_attribute(name: &str) -> bool {
    BASE.iter().any(|(base, ..)| *base == name)
}

pub fn user_schema(base_url: &str) -> Value {
    let mut properties = Map::new();
    for (name, title, kind, required) in BASE {
        let mut property = json!({
            "title": title,
            "type": kind,
            "mutability": "READ_WRITE",
            "scope": "NONE",
            "permissions": [{"principal": "SELF", "action": "READ_WRITE"}],
        });
        if *required {
            property["required"] = json!(true);
        }
        match *name {
            "login" => {
                property["unique"] = json!("UNIQUE_VALIDATED");
                property["minLength"] = json!(5);
                property["maxLength"] = json!(100);
                property["pattern"] = json!(".+");
            }
            "email" => {
                property["format"] = json!("email");
            }
            "firstName" | "lastName" => {
                property["minLength"] = json!(1);
                property["maxLength"] = json!(50);
            }
            "profileUrl" => property["format"] = json!("uri"),
            "countryCode" => property["format"] = json!("country-code"),
            "locale" => property["format"] = json!("locale"),
            "preferredLanguage" => property["format"] = json!("language-code"),
            _ => {}
        }
        properties.insert((*name).to_owned(), property);
    }
    let required: Vec<&str> = BASE.iter().filter(|p| p.3).map(|p| p.0).collect();
    json!({
        "id": format!("{base_url}/meta/schemas/user/default"),
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "user",
        "title": "User",
        "description": "Okta user profile template with default permission settings",
        "lastUpdated": "2024-01-15T18:52:44.000Z",
        "created": "2023-06-01T12:00:00.000Z",
        "definitions": {
            "custom": {"id": "#custom", "type": "object", "properties": {}, "required": []},
            "base": {"id": "#base", "type": "object", "properties": properties, "required": required},
        },
        "type": "object",
        "properties": {"profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}},
        "_links": {
            "self": {"href": format!("{base_url}/api/v1/meta/schemas/user/default"), "method": "GET", "rel": "self"},
            "type": {"href": format!("{base_url}/api/v1/meta/types/user/default"), "method": "GET", "rel": "type"},
        },
    })
}
