//! Query-string values built from typed arguments.

use serde::Serialize;

/// Joins `expand` values the way Okta reads them (`expand=a,b`).
pub fn expand_csv<T: Serialize>(values: Option<&[T]>) -> Option<String> {
    let values = values.filter(|v| !v.is_empty())?;
    let names: Vec<String> = values
        .iter()
        .filter_map(|v| serde_json::to_value(v).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Some(names.join(","))
}
