//! `/api/v1/groups`: listing (search, filter, q, expand), lookup, members.

use super::paging::{LimitRule, paginate, parse_limit};
use super::respond;
use super::{AppState, Query};
use crate::error::ApiError;
use crate::filter::{self, Dialect};
use crate::org::Org;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

const PATH: &str = "/api/v1/groups";
/// Okta documents a maximum of 10000 (and that as the default); it recommends 200.
const LIMIT: LimitRule = LimitRule {
    default: 10_000,
    max: 10_000,
};
/// Okta: a `q` lookup returns at most 300 groups and is never paged.
const Q_LIMIT: LimitRule = LimitRule {
    default: 300,
    max: 10_000,
};
/// Group members: default 1000 (Okta's historical default), capped at 1000.
const MEMBERS_LIMIT: LimitRule = LimitRule {
    default: 1000,
    max: 1000,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list))
        .route("/api/v1/groups/{groupId}", get(get_one))
        .route("/api/v1/groups/{groupId}/users", get(members))
}

/// The group as `search` sees it: `source.id` is searchable for APP_GROUPs.
fn searchable(group: &Value) -> Value {
    let mut view = group.clone();
    if let Some(href) = group["_links"]["source"]["href"].as_str()
        && let Some(app_id) = href.rsplit('/').next()
    {
        view["source"] = json!({ "id": app_id });
    }
    view
}

/// Adds `_embedded` for `expand=stats` / `expand=app`.
fn expand(org: &Org, group: &Value, expand: Option<&str>) -> Value {
    let Some(expand) = expand else {
        return group.clone();
    };
    let mut out = group.clone();
    let id = group["id"].as_str().unwrap_or_default();
    let mut embedded = serde_json::Map::new();
    if expand.split(',').any(|e| e.trim() == "stats") {
        let users = org.memberships.get(id).map_or(0, |m| m.len());
        let apps = org
            .app_groups
            .values()
            .filter(|g| g.contains_key(id))
            .count();
        embedded.insert(
            "stats".into(),
            json!({"usersCount": users, "appsCount": apps, "groupPushMappingsCount": 0, "hasAdminPrivilege": false}),
        );
    }
    if expand.split(',').any(|e| e.trim() == "app")
        && let Some(app) = searchable(group)["source"]["id"]
            .as_str()
            .and_then(|a| org.apps.get(a))
    {
        embedded.insert("app".into(), app.clone());
    }
    if !embedded.is_empty() {
        out["_embedded"] = Value::Object(embedded);
    }
    out
}

async fn list(State(state): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let org = state.org.read();
    let expansion = query.non_empty("expand");
    if let Some(q) = query.non_empty("q") {
        let limit = parse_limit(query.get("limit"), Q_LIMIT)?;
        let q = q.to_lowercase();
        let items = org
            .groups
            .values()
            .filter(|g| {
                g["profile"]["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().starts_with(&q))
            })
            .take(limit)
            .map(|g| expand(&org, g, expansion))
            .collect();
        return Ok(respond::unpaged(&state, PATH, &query, items));
    }
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let (expr, case_insensitive) = match (query.non_empty("search"), query.non_empty("filter")) {
        (Some(search), _) => (
            Some(
                filter::compile(search, &Dialect::GROUPS_SEARCH)
                    .map_err(|_| ApiError::invalid_search())?,
            ),
            true,
        ),
        (None, Some(f)) => (
            Some(
                filter::compile(f, &Dialect::GROUPS_FILTER)
                    .map_err(|_| ApiError::invalid_search())?,
            ),
            false,
        ),
        (None, None) => (None, false),
    };
    let sort_by = query.non_empty("search").and(query.non_empty("sortBy"));
    let matched = org
        .groups
        .values()
        .filter(|g| {
            expr.as_ref()
                .is_none_or(|e| filter::matches(e, &searchable(g), case_insensitive))
        })
        .map(|g| expand(&org, g, expansion))
        .map(|g| match sort_by {
            Some(field) => respond::by_field(g, field),
            None => respond::by_id(g),
        })
        .collect();
    let descending = sort_by.is_some() && respond::descending(&query)?;
    let page = paginate(matched, descending, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(&state, PATH, &query, page))
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    org.groups
        .get(&id)
        .map(|g| Json(expand(&org, g, query.non_empty("expand"))))
        .ok_or_else(|| ApiError::not_found(&id, "UserGroup"))
}

async fn members(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let org = state.org.read();
    if !org.groups.contains_key(&id) {
        return Err(ApiError::not_found(&id, "UserGroup"));
    }
    let limit = parse_limit(query.get("limit"), MEMBERS_LIMIT)?;
    let items = org
        .group_members(&id)
        .into_iter()
        .map(respond::by_id)
        .collect();
    let page = paginate(items, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(
        &state,
        &format!("{PATH}/{id}/users"),
        &query,
        page,
    ))
}
