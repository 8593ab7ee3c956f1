//! `/api/v1/groups`: listing (search, filter, q, expand), lookup, members.

use super::audit::{self, Audit};
use super::keep;
use super::paging::{LimitRule, paginate, parse_limit};
use super::respond;
use super::respond::JsonBody;
use super::{AppState, Query};
use crate::error::ApiError;
use crate::filter::{self, Dialect};
use crate::ids::{okta_id, prefix, timestamp};
use crate::links;
use crate::org::Org;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Map, Value, json};

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
        .route(PATH, get(list).post(create))
        .route(
            "/api/v1/groups/{groupId}",
            get(get_one).put(replace).delete(delete),
        )
        .route("/api/v1/groups/{groupId}/users", get(members))
        .route(
            "/api/v1/groups/{groupId}/users/{userId}",
            put(add_member).delete(remove_member),
        )
        .route("/api/v1/groups/{groupId}/apps", get(assigned_apps))
}

/// Apps assigned to a group: Okta's default page is 20.
const APPS_LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 200,
};

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

/// Validates a group profile: `name` is required and unique among groups.
fn validate_profile(
    org: &Org,
    body: &Map<String, Value>,
    own_id: Option<&str>,
) -> Result<Map<String, Value>, ApiError> {
    let profile = match body.get("profile") {
        Some(Value::Object(p)) => p.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::malformed_body()),
    };
    let name = profile
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::validation(
            "name",
            "name: The field cannot be left blank",
        ));
    }
    let taken = org.groups.iter().any(|(id, g)| {
        Some(id.as_str()) != own_id
            && g["profile"]["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    if taken {
        return Err(ApiError::validation(
            "name",
            "name: An object with this field already exists in the current organization",
        ));
    }
    Ok(profile)
}

/// Only OKTA_GROUPs are managed through the API; imported and built-in groups are refused.
fn editable<'a>(org: &'a Org, id: &str) -> Result<&'a Value, ApiError> {
    let group = org
        .groups
        .get(id)
        .ok_or_else(|| ApiError::not_found(id, "UserGroup"))?;
    if group["type"] == "OKTA_GROUP" {
        Ok(group)
    } else {
        Err(ApiError::forbidden())
    }
}

/// POST /api/v1/groups
async fn create(
    State(state): State<AppState>,
    audit: Audit,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let profile = validate_profile(&org, &body, None)?;
    let id = okta_id(&mut org.rng, prefix::GROUP);
    let now = timestamp(Utc::now());
    let group = json!({
        "id": id,
        "created": now,
        "lastUpdated": now,
        "lastMembershipUpdated": now,
        "objectClass": ["okta:user_group"],
        "type": "OKTA_GROUP",
        "profile": profile,
        "_links": links::group(&org.base_url, &id, None),
    });
    org.memberships.insert(id.clone(), Default::default());
    let event = ("group.lifecycle.create", "Create Okta group");
    Ok(keep::GROUP.record_store_and_answer(&mut org, &audit, event, id, group))
}

/// PUT /api/v1/groups/{groupId}: replaces the profile of an OKTA_GROUP.
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let mut group = editable(&org, &id)?.clone();
    group["profile"] = Value::Object(validate_profile(&org, &body, Some(&id))?);
    group["lastUpdated"] = json!(timestamp(Utc::now()));
    let event = ("group.profile.update", "Update Okta group profile");
    Ok(keep::GROUP.record_store_and_answer(&mut org, &audit, event, id, group))
}

/// DELETE /api/v1/groups/{groupId}
async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    editable(&org, &id)?;
    let event = ("group.lifecycle.delete", "Delete Okta group");
    keep::GROUP.record_and_remove(&mut org, &audit, event, &id);
    org.memberships.remove(&id);
    for assigned in org.app_groups.values_mut() {
        assigned.remove(&id);
    }
    // As at Okta, a rule that assigns to a deleted group turns INVALID (it can only be deleted).
    for rule in org.group_rules.values_mut() {
        let targets = &rule["actions"]["assignUserToGroups"]["groupIds"];
        if targets
            .as_array()
            .is_some_and(|ids| ids.iter().any(|g| g == id.as_str()))
        {
            rule["status"] = json!("INVALID");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// PUT /api/v1/groups/{groupId}/users/{userId}: idempotent.
async fn add_member(
    State(state): State<AppState>,
    audit: Audit,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_membership(&state, &audit, &group_id, &user_id, true)
}

/// DELETE /api/v1/groups/{groupId}/users/{userId}: idempotent.
async fn remove_member(
    State(state): State<AppState>,
    audit: Audit,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    change_membership(&state, &audit, &group_id, &user_id, false)
}

fn change_membership(
    state: &AppState,
    audit: &Audit,
    group_id: &str,
    user_id: &str,
    add: bool,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    if !org.groups.contains_key(group_id) {
        return Err(ApiError::not_found(group_id, "UserGroup"));
    }
    if !org.users.contains_key(user_id) {
        return Err(ApiError::not_found(user_id, "User"));
    }
    editable(&org, group_id)?;
    let members = org.memberships.entry(group_id.to_owned()).or_default();
    let changed = if add {
        members.insert(user_id.to_owned())
    } else {
        members.remove(user_id)
    };
    if changed && let Some(group) = org.groups.get_mut(group_id) {
        group["lastMembershipUpdated"] = json!(timestamp(Utc::now()));
        let targets = vec![
            audit::user(&org.users[user_id]),
            audit::group(&org.groups[group_id]),
        ];
        let (event, display) = if add {
            ("group.user_membership.add", "Add user to group membership")
        } else {
            (
                "group.user_membership.remove",
                "Remove user from group membership",
            )
        };
        audit.record(&mut org, event, display, targets);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// GET /api/v1/groups/{groupId}/apps
async fn assigned_apps(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let org = state.org.read();
    if !org.groups.contains_key(&id) {
        return Err(ApiError::not_found(&id, "UserGroup"));
    }
    let limit = parse_limit(query.get("limit"), APPS_LIMIT)?;
    let apps = org
        .app_groups
        .iter()
        .filter(|(_, groups)| groups.contains_key(&id))
        .filter_map(|(app_id, _)| org.apps.get(app_id).cloned())
        .map(respond::by_id)
        .collect();
    let page = paginate(apps, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(
        &state,
        &format!("{PATH}/{id}/apps"),
        &query,
        page,
    ))
}
