//! Compact results: an LLM pays for every byte. Okta's field names and values are kept as
//! they are; only links, nulls and empty objects are dropped, and `fields` projects paths.

use serde_json::{Map, Value};

/// Drops `_links`, null values and objects left empty, recursively.
pub fn compact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // Order kept (`remove` would move the last key into the gap), as when the links
            // are left out while reading (`okta_client::Links::Drop`).
            map.shift_remove("_links");
            map.retain(|_, v| {
                compact(v);
                !(v.is_null() || matches!(v, Value::Object(m) if m.is_empty()))
            });
        }
        Value::Array(items) => items.iter_mut().for_each(compact),
        _ => {}
    }
}

/// A parsed `fields` projection such as `id,status,profile.login`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(Vec<Vec<String>>);

impl Fields {
    /// `None` or an empty string means "all fields".
    pub fn parse(spec: Option<&str>) -> Result<Option<Fields>, String> {
        let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let mut paths = Vec::new();
        for raw in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let parts: Vec<String> = raw.split('.').map(str::to_owned).collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(format!(
                    "fields: {raw:?} is not a dotted path like profile.login"
                ));
            }
            paths.push(parts);
        }
        Ok(Some(Fields(paths)))
    }

    /// Keeps only the listed paths of `value` (missing paths are simply absent).
    pub fn project(&self, value: &Value) -> Value {
        let mut out = Map::new();
        for path in &self.0 {
            if let Some(found) = lookup(value, path) {
                insert(&mut out, path, found.clone());
            }
        }
        Value::Object(out)
    }
}

fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key.as_str()))
}

fn insert(out: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            out.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = out
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// Compacts one Okta object and applies the projection, if any.
pub fn shape(mut value: Value, fields: Option<&Fields>) -> Value {
    compact(&mut value);
    match fields {
        Some(f) => f.project(&value),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_keeps_the_order_of_the_keys_around_the_links() {
        let mut v =
            json!({"id": "00u1", "_links": {}, "status": "ACTIVE", "profile": {}, "type": 1});
        compact(&mut v);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "status", "type"]);
    }

    #[test]
    fn compact_drops_links_nulls_and_empty_objects_only() {
        let mut v = json!({
            "id": "00u1", "status": "ACTIVE", "lastLogin": null,
            "profile": {"login": "a@b.c", "mobilePhone": null, "zero": 0, "no": false, "empty": ""},
            "credentials": {"provider": {}}, "_links": {"self": {"href": "x"}},
            "list": [], "nested": [{"_links": {}, "k": null, "v": 1}]
        });
        compact(&mut v);
        assert_eq!(
            v,
            json!({
                "id": "00u1", "status": "ACTIVE",
                "profile": {"login": "a@b.c", "zero": 0, "no": false, "empty": ""},
                "list": [], "nested": [{"v": 1}]
            })
        );
    }

    #[test]
    fn projection_keeps_dotted_paths() {
        let f = Fields::parse(Some("id, profile.login,profile.missing,status"))
            .unwrap()
            .unwrap();
        let v = json!({"id": "1", "status": "ACTIVE", "profile": {"login": "x", "email": "y"}});
        assert_eq!(
            f.project(&v),
            json!({"id": "1", "status": "ACTIVE", "profile": {"login": "x"}})
        );
        assert!(Fields::parse(Some("profile..login")).is_err());
        assert_eq!(Fields::parse(Some("  ")).unwrap(), None);
    }
}
