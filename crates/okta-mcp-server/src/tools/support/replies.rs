//! Small result shapes several areas answer with.

use crate::tools::field_selection;
use serde_json::{Map, Value, json};

/// `{"success": true, "message": …}` for calls Okta answers with 204.
pub fn ack(message: String) -> Value {
    json!({"success": true, "message": message})
}

/// A list Okta returns in one piece, under the anchor's key, with its count.
pub fn whole_list(key: &str, items: Value) -> Value {
    let items: Vec<Value> = match items {
        Value::Array(items) => items
            .into_iter()
            .map(|v| field_selection::shape(v, None))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![field_selection::shape(other, None)],
    };
    let mut out = Map::new();
    out.insert("total_fetched".into(), json!(items.len()));
    out.insert(key.into(), Value::Array(items));
    Value::Object(out)
}
