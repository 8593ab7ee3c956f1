//! `/api/v1/users`: listing (search, filter, q), lookup by id or login, and the write side
//! with Okta's lifecycle state rules.

use super::paging::{LimitRule, paginate, parse_limit};
use super::respond;
use super::{AppState, Query};
use crate::error::ApiError;
use crate::filter::{self, Dialect};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

const PATH: &str = "/api/v1/users";
/// Okta: default 200, maximum 200.
const LIMIT: LimitRule = LimitRule {
    default: 200,
    max: 200,
};
/// Okta: `q` defaults to 10 results and is never paged.
const Q_LIMIT: LimitRule = LimitRule {
    default: 10,
    max: 200,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list))
        .route("/api/v1/users/{id}", get(get_one))
}

async fn list(State(state): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let org = state.org.read();
    if let Some(search) = query.non_empty("search") {
        let expr = filter::compile(search, &Dialect::USERS_SEARCH)
            .map_err(|_| ApiError::invalid_search())?;
        let limit = parse_limit(query.get("limit"), LIMIT)?;
        let sort_by = query.non_empty("sortBy");
        let matched = org
            .users
            .values()
            .filter(|u| filter::matches(&expr, u, true))
            .cloned()
            .map(|u| match sort_by {
                Some(field) => respond::by_field(u, field),
                None => respond::by_id(u),
            })
            .collect();
        let page = paginate(
            matched,
            respond::descending(&query)?,
            respond::after(&query)?.as_ref(),
            limit,
        );
        return Ok(respond::page(&state, PATH, &query, page));
    }
    if let Some(expr) = query.non_empty("filter") {
        let expr = filter::compile(expr, &Dialect::USERS_FILTER)
            .map_err(|_| ApiError::invalid_search())?;
        let limit = parse_limit(query.get("limit"), LIMIT)?;
        let matched = org
            .users
            .values()
            .filter(|u| filter::matches(&expr, u, false))
            .cloned()
            .map(respond::by_id)
            .collect();
        let page = paginate(matched, false, respond::after(&query)?.as_ref(), limit);
        return Ok(respond::page(&state, PATH, &query, page));
    }
    if let Some(q) = query.non_empty("q") {
        let limit = parse_limit(query.get("limit"), Q_LIMIT)?;
        let items = org
            .users
            .values()
            .filter(|u| u["status"] != "DEPROVISIONED" && q_matches(u, q))
            .take(limit)
            .cloned()
            .collect();
        return Ok(respond::unpaged(&state, PATH, &query, items));
    }
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let listed = org
        .users
        .values()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .cloned()
        .map(respond::by_id)
        .collect();
    let page = paginate(listed, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(&state, PATH, &query, page))
}

/// Okta's `q`: firstName, lastName or email starts with the query, case-insensitively.
fn q_matches(user: &Value, q: &str) -> bool {
    let q = q.to_lowercase();
    ["firstName", "lastName", "email"].iter().any(|field| {
        user["profile"][field]
            .as_str()
            .is_some_and(|v| v.to_lowercase().starts_with(&q))
    })
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    org.find_user_id(&id)
        .and_then(|found| org.users.get(&found).cloned())
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&id, "User"))
}
