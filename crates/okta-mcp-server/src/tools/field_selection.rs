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

    /// What the compact text of `text` must be: the value read, compacted, written.
    fn compacted_value_text(text: &str) -> String {
        let mut value: Value = serde_json::from_str(text).unwrap();
        compact(&mut value);
        serde_json::to_string(&value).unwrap()
    }

    fn compact_text(text: &str) -> Option<String> {
        okta_client::compact_text::to_vec(text.as_bytes())
            .unwrap()
            .map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn the_compact_text_of_an_answer_is_its_compacted_value_written() {
        for text in [
            r#"{"id":"00u1","_links":{"self":{"href":"x"}},"status":"ACTIVE","lastLogin":null,"profile":{"login":"a@b.c","mobilePhone":null,"zero":0,"no":false,"empty":""},"credentials":{"provider":{}},"list":[],"nested":[{"_links":{},"k":null,"v":1}]}"#,
            r#"{"a":{"b":{"c":null,"_links":{"x":1}}},"d":[{},null,{"e":null},[null]],"f":{}}"#,
            r#" { "esc\"aped key" : "a\"b\\c\u00e9\n\u0007" , "n" : -0 , "big" : 18446744073709551615 , "f" : 1.5e300 , "g" : -2.5E-7 , "h" : 123456789012345678901234567890 } "#,
            r#"{"_links":{}}"#,
            r#"{}"#,
            r#"[{"_links":1,"a":null},null,3,"s",true]"#,
            r#"null"#,
            r#""text""#,
            r#"{"only":null}"#,
        ] {
            assert_eq!(
                compact_text(text).as_deref(),
                Some(compacted_value_text(text).as_str()),
                "{text}"
            );
        }
    }

    #[test]
    fn an_answer_with_a_key_twice_is_not_compacted_as_text() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"_links":1,"_links":2}"#,
            r#"{"x":[{"a":1,"b":{"c":1,"c":null}}],"y":2}"#,
            r#"[1,{"k":1,"k":1},3]"#,
        ] {
            assert_eq!(compact_text(text), None, "{text}");
        }
        assert!(okta_client::compact_text::to_vec(b"{\"a\":").is_err());
        assert!(okta_client::compact_text::to_vec(b"{} x").is_err());
        // Not UTF-8: refused as serde_json refuses it.
        assert!(okta_client::compact_text::to_vec(b"{\"a\":\"\xff\"}").is_err());
        assert!(serde_json::from_slice::<Value>(b"{\"a\":\"\xff\"}").is_err());
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-z\"\\\u{0}-\u{1f}é]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec(
                    (
                        prop_oneof![Just("_links".to_owned()), "[a-c\"]{1,2}"],
                        inner
                    ),
                    0..6
                )
                .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn compact_text_matches_the_compacted_value_on_any_document(value in json_value(), pretty in proptest::bool::ANY) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            proptest::prop_assert_eq!(compact_text(&text), Some(compacted_value_text(&text)));
        }
    }
}
