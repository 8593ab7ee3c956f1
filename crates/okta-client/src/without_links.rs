//! Reads a JSON answer into a [`Value`] without its HAL `_links` objects, at any depth.
//!
//! A caller that drops the links anyway (results shaped for an LLM) would otherwise build
//! them first: a user's seven links are a third of its nodes, and every node of a `Value`
//! is an allocation and, in an object, a hashed insert. The value read is exactly
//! `serde_json::from_slice`'s with every `_links` entry removed from its object (order kept).

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// `serde_json::from_slice::<Value>`, leaving out every object's `_links` entry.
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value = WithoutLinks.deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// The HAL links member Okta puts in its objects.
pub(crate) const LINKS: &str = "_links";

#[derive(Clone, Copy)]
struct WithoutLinks;

impl<'de> DeserializeSeed<'de> for WithoutLinks {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for WithoutLinks {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json's own visitor: JSON has no NaN or infinity, so this is never Null.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == LINKS {
                map.next_value::<IgnoredAny>()?;
            } else {
                object.insert(key, map.next_value_seed(self)?);
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// serde_json's reading of `text`, with `_links` removed afterwards in place.
    fn read_then_drop(text: &str) -> Value {
        fn drop_links(value: &mut Value) {
            match value {
                Value::Object(map) => {
                    map.shift_remove(LINKS);
                    map.values_mut().for_each(drop_links);
                }
                Value::Array(items) => items.iter_mut().for_each(drop_links),
                _ => {}
            }
        }
        let mut value: Value = serde_json::from_str(text).unwrap();
        drop_links(&mut value);
        value
    }

    #[test]
    fn reads_what_serde_json_reads_less_the_links_in_order() {
        let text = r#"{
            "id": "00u1", "_links": {"self": {"href": "https://x/api/v1/users/00u1"}},
            "status": "ACTIVE", "lastLogin": null, "n": -3, "big": 18446744073709551615,
            "f": 1.5e3, "t": true, "esc": "a\"b\\c\u00e9\n", "empty": {}, "list": [],
            "profile": {"login": "a@b.c", "_links": [1, {"_links": 2}], "z": 0},
            "nested": [{"_links": {}, "k": [{"_links": null, "v": 1}]}, "s", 2, null],
            "after": "links were not last"
        }"#;
        let read = from_slice(text.as_bytes()).unwrap();
        assert_eq!(read, read_then_drop(text));
        let keys: Vec<&str> = read
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys[..3], ["id", "status", "lastLogin"]);
        assert_eq!(keys.last(), Some(&"after"));
        assert_eq!(read["nested"][0], json!({"k": [{"v": 1}]}));
        assert_eq!(read["esc"], "a\"b\\cé\n");
        assert_eq!(read["big"], json!(u64::MAX));
    }

    #[test]
    fn scalars_arrays_and_duplicate_keys_come_through_as_serde_json_has_them() {
        for text in [
            "null",
            "3",
            "\"s\"",
            "[]",
            "[{\"_links\":1}]",
            r#"{"a":1,"a":2}"#,
            r#"{"_links":1,"a":1,"_links":2}"#,
        ] {
            assert_eq!(
                from_slice(text.as_bytes()).unwrap(),
                read_then_drop(text),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_json_is_refused_as_serde_json_refuses_it() {
        for text in [r#"{"a":1"#, r#"{"a":1} x"#, "<html>", r#"{"_links":}"#] {
            let ours = from_slice(text.as_bytes()).unwrap_err();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err();
            assert_eq!(ours.classify(), theirs.classify(), "{text}");
            assert_eq!(ours.is_eof(), theirs.is_eof(), "{text}");
        }
    }
}
