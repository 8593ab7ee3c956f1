//! Response helpers shared by the areas: paged lists with Link headers, and JSON bodies
//! whose parse failures come back as Okta's E0000003.

use super::paging::{Cursor, Page};
use super::{AppState, Query};
use crate::error::ApiError;
use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A list page: JSON array plus `Link` headers built from the request's own query.
pub fn page(state: &AppState, path: &str, query: &Query, page: Page) -> Response {
    let headers =
        super::paging::link_headers(&state.base_url, path, query.pairs(), page.next.as_ref());
    (headers, Json(Value::Array(page.items))).into_response()
}

/// A list that Okta never pages (e.g. `q` lookups): only a `self` link.
pub fn unpaged(state: &AppState, path: &str, query: &Query, items: Vec<Value>) -> Response {
    page(state, path, query, Page { items, next: None })
}

/// Cursor key for id-ordered listings.
pub fn by_id(value: Value) -> (Cursor, Value) {
    (id_cursor(&value), value)
}

/// [`by_id`] for an item that is not copied until it is on the page.
pub fn by_id_ref(value: &Value) -> (Cursor, &Value) {
    (id_cursor(value), value)
}

fn id_cursor(value: &Value) -> Cursor {
    Cursor {
        sort: String::new(),
        id: value["id"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Cursor key ordered by the string form of `path` (for `sortBy`), then id.
pub fn by_field(value: Value, path: &str) -> (Cursor, Value) {
    let mut current = &value;
    for segment in path.split('.') {
        current = &current[segment];
    }
    let sort = match current {
        Value::String(s) => s.to_lowercase(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let id = value["id"].as_str().unwrap_or_default().to_owned();
    (Cursor { sort, id }, value)
}

/// Reads `sortOrder` (ASCENDING by default); anything else is Okta's 400.
pub fn descending(query: &Query) -> Result<bool, ApiError> {
    match query.non_empty("sortOrder") {
        None => Ok(false),
        Some(o) if o.eq_ignore_ascii_case("ASCENDING") || o.eq_ignore_ascii_case("asc") => {
            Ok(false)
        }
        Some(o) if o.eq_ignore_ascii_case("DESCENDING") || o.eq_ignore_ascii_case("desc") => {
            Ok(true)
        }
        Some(o) => Err(ApiError::validation(
            "sortOrder",
            format!("sortOrder: '{o}' is not one of ASCENDING, DESCENDING"),
        )),
    }
}

/// The `after` cursor, if any.
pub fn after(query: &Query) -> Result<Option<Cursor>, ApiError> {
    query.non_empty("after").map(Cursor::decode).transpose()
}

/// A JSON object body; anything else is 400 E0000003 like Okta's.
pub struct JsonBody(pub serde_json::Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::malformed_body())?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(serde_json::Map::new()));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonBody(map)),
            _ => Err(ApiError::malformed_body()),
        }
    }
}
