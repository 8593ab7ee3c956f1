//! Who holds admin roles, read the ways an access review reads it: a group's role
//! assignments (`/api/v1/groups/{id}/roles`), the targets a role is limited to (for people
//! and for groups), and every person with a role assignment (`/api/v1/iam/assignees/users`,
//! paged by a `_links.next` in the body, as the spec describes it).
//!
//! A person's roles (`/api/v1/users/{id}/roles`, in `roles`) include those their groups
//! hold, with `assignmentType: GROUP` and the group as `assignee`, as Okta lists them.

use super::paging::{Cursor, LimitRule, paginate, parse_limit};
use super::{AppState, Query, respond};
use crate::error::ApiError;
use crate::org::Org;
use crate::seed::access::{APP_TARGETED, GROUP_TARGETED, ORG_ID};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

const ASSIGNEES_PATH: &str = "/api/v1/iam/assignees/users";
/// The assignee listing: 100 by default (the spec's default); the sandbox caps it at 200.
const ASSIGNEES_LIMIT: LimitRule = LimitRule {
    default: 100,
    max: 200,
};
/// Role targets: Okta's usual page of 20, up to 100.
const TARGETS_LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 100,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{groupId}/roles", get(group_roles))
        .route(
            "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/groups",
            get(group_role_group_targets),
        )
        .route(
            "/api/v1/groups/{groupId}/roles/{roleAssignmentId}/targets/catalog/apps",
            get(group_role_app_targets),
        )
        .route(
            "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/groups",
            get(user_role_group_targets),
        )
        .route(
            "/api/v1/users/{userId}/roles/{roleAssignmentId}/targets/catalog/apps",
            get(user_role_app_targets),
        )
        .route(ASSIGNEES_PATH, get(assignees))
}

/// A person's role assignments: their own, then those of each group they are in.
pub fn roles_of_user(org: &Org, user_id: &str) -> Vec<Value> {
    role_assignments(org, user_id).cloned().collect()
}

/// The same assignments, borrowed: every API call made with a person's token checks them
/// (`roles::permits`), and copying them each time was most of the sandbox's work per call.
pub fn role_assignments<'a>(org: &'a Org, user_id: &'a str) -> impl Iterator<Item = &'a Value> {
    let own = org.admin_roles.get(user_id).into_iter().flatten();
    let through_groups = org
        .group_roles
        .iter()
        .filter(move |(group_id, _)| {
            org.memberships
                .get(*group_id)
                .is_some_and(|m| m.contains(user_id))
        })
        .flat_map(|(_, assignments)| assignments);
    own.chain(through_groups)
}

fn group_id(org: &Org, id: &str) -> Result<String, ApiError> {
    if org.groups.contains_key(id) {
        Ok(id.to_owned())
    } else {
        Err(ApiError::not_found(id, "UserGroup"))
    }
}

fn user_id(org: &Org, id: &str) -> Result<String, ApiError> {
    org.find_user_id(id)
        .ok_or_else(|| ApiError::not_found(id, "User"))
}

/// GET /api/v1/groups/{groupId}/roles
async fn group_roles(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    let id = group_id(&org, &id)?;
    Ok(Json(Value::Array(
        org.group_roles.get(&id).cloned().unwrap_or_default(),
    )))
}

/// The assignment `assignment_id` among `roles`, or Okta's 404 for it.
fn assignment<'a>(roles: &'a [Value], assignment_id: &str) -> Result<&'a Value, ApiError> {
    roles
        .iter()
        .find(|r| r["id"] == assignment_id)
        .ok_or_else(|| ApiError::not_found(assignment_id, "Role"))
}

/// Which target kind is read, and the role types that have it.
#[derive(Clone, Copy)]
enum TargetKind {
    Groups,
    Apps,
}

/// One page of a role assignment's targets of `kind`.
fn targets(
    state: &AppState,
    org: &Org,
    role: &Value,
    kind: TargetKind,
    path: &str,
    query: &Query,
) -> Result<Response, ApiError> {
    let role_type = role["type"].as_str().unwrap_or_default();
    let (allowed, what) = match kind {
        TargetKind::Groups => (GROUP_TARGETED, "group"),
        TargetKind::Apps => (APP_TARGETED, "app"),
    };
    if !allowed.contains(&role_type) {
        return Err(ApiError::validation(
            "targets",
            format!(
                "The role type {role_type} does not support {what} targets; only {} do.",
                allowed.join(", ")
            ),
        ));
    }
    let limit = parse_limit(query.get("limit"), TARGETS_LIMIT)?;
    let id = role["id"].as_str().unwrap_or_default();
    let set = org.role_targets.get(id).cloned().unwrap_or_default();
    let items: Vec<(Cursor, Value)> = match kind {
        TargetKind::Groups => set
            .groups
            .iter()
            .filter_map(|g| org.groups.get(g))
            .cloned()
            .map(respond::by_id)
            .collect(),
        TargetKind::Apps => set
            .apps
            .into_iter()
            .map(|app| {
                let key = app["id"]
                    .as_str()
                    .or(app["name"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                (
                    Cursor {
                        sort: String::new(),
                        id: key,
                    },
                    app,
                )
            })
            .collect(),
    };
    let page = paginate(items, false, respond::after(query)?.as_ref(), limit);
    Ok(respond::page(state, path, query, page))
}

async fn group_role_group_targets(
    State(state): State<AppState>,
    Path((group, assignment_id)): Path<(String, String)>,
    query: Query,
) -> Result<Response, ApiError> {
    group_role_targets(&state, &group, &assignment_id, TargetKind::Groups, &query)
}

async fn group_role_app_targets(
    State(state): State<AppState>,
    Path((group, assignment_id)): Path<(String, String)>,
    query: Query,
) -> Result<Response, ApiError> {
    group_role_targets(&state, &group, &assignment_id, TargetKind::Apps, &query)
}

fn group_role_targets(
    state: &AppState,
    group: &str,
    assignment_id: &str,
    kind: TargetKind,
    query: &Query,
) -> Result<Response, ApiError> {
    let org = state.org.read();
    let group = group_id(&org, group)?;
    let roles = org.group_roles.get(&group).cloned().unwrap_or_default();
    let role = assignment(&roles, assignment_id)?;
    let path = format!(
        "/api/v1/groups/{group}/roles/{assignment_id}/targets/{}",
        target_segment(kind)
    );
    targets(state, &org, role, kind, &path, query)
}

async fn user_role_group_targets(
    State(state): State<AppState>,
    Path((user, assignment_id)): Path<(String, String)>,
    query: Query,
) -> Result<Response, ApiError> {
    user_role_targets(&state, &user, &assignment_id, TargetKind::Groups, &query)
}

async fn user_role_app_targets(
    State(state): State<AppState>,
    Path((user, assignment_id)): Path<(String, String)>,
    query: Query,
) -> Result<Response, ApiError> {
    user_role_targets(&state, &user, &assignment_id, TargetKind::Apps, &query)
}

fn user_role_targets(
    state: &AppState,
    user: &str,
    assignment_id: &str,
    kind: TargetKind,
    query: &Query,
) -> Result<Response, ApiError> {
    let org = state.org.read();
    let user = user_id(&org, user)?;
    let roles = roles_of_user(&org, &user);
    let role = assignment(&roles, assignment_id)?;
    let path = format!(
        "/api/v1/users/{user}/roles/{assignment_id}/targets/{}",
        target_segment(kind)
    );
    targets(state, &org, role, kind, &path, query)
}

fn target_segment(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Groups => "groups",
        TargetKind::Apps => "catalog/apps",
    }
}

/// GET /api/v1/iam/assignees/users: every person holding a role assignment of their own,
/// in id order, as `{value, _links.next}`.
async fn assignees(State(state): State<AppState>, query: Query) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    let limit = parse_limit(query.get("limit"), ASSIGNEES_LIMIT)?;
    let after = query.non_empty("after");
    let base = &state.base_url;
    let mut ids = org
        .admin_roles
        .iter()
        .filter(|(id, roles)| !roles.is_empty() && org.users.contains_key(*id))
        .map(|(id, _)| id.as_str())
        .skip_while(|id| after.is_some_and(|a| *id <= a))
        .peekable();
    let mut value = Vec::new();
    let mut last = None;
    while value.len() < limit {
        let Some(id) = ids.next() else { break };
        last = Some(id);
        value.push(json!({
            "id": id,
            "orn": format!("orn:okta:{ORG_ID}:users:{id}"),
            "_links": {
                "self": {"href": format!("{base}/api/v1/users/{id}")},
                "roles": {"href": format!("{base}/api/v1/users/{id}/roles")},
            },
        }));
    }
    let mut body = json!({ "value": value, "_links": {} });
    if ids.peek().is_some()
        && let Some(last) = last
    {
        let next = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("after", last)
            .append_pair("limit", &limit.to_string())
            .finish();
        body["_links"]["next"] = json!({"href": format!("{base}{ASSIGNEES_PATH}?{next}")});
    }
    Ok(Json(body))
}
