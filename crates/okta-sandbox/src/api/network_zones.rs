//! `/api/v1/zones`: the org's network zones (IP, dynamic and enhanced dynamic), listed with
//! Okta's `filter` on `id`, `usage` and `system`, or read one by id.

use super::paging::{LimitRule, paginate, parse_limit};
use super::{AppState, Query, respond};
use crate::error::ApiError;
use crate::filter::{self, Dialect};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

const PATH: &str = "/api/v1/zones";
/// The spec's default is -1 (every zone); the sandbox caps a page at 200.
const LIMIT: LimitRule = LimitRule {
    default: 200,
    max: 200,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list))
        .route("/api/v1/zones/{zoneId}", get(get_one))
}

async fn list(State(state): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let org = state.org.read();
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let expr = query
        .non_empty("filter")
        .map(|f| filter::compile(f, &Dialect::ZONES_FILTER))
        .transpose()
        .map_err(|_| ApiError::invalid_search())?;
    let items = org
        .network_zones
        .values()
        .filter(|z| expr.as_ref().is_none_or(|e| filter::matches(e, z, false)))
        .cloned()
        .map(respond::by_id)
        .collect();
    let page = paginate(items, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(&state, PATH, &query, page))
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    org.network_zones
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&id, "NetworkZone"))
}
