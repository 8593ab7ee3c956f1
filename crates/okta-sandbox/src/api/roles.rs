//! Admin roles: what a signed-in person may do through the Management API, and
//! `/api/v1/users/{id}/roles` (list, assign, unassign standard roles).
//!
//! Okta checks two things on a person's token: the token's scopes (`bearer`), and that the
//! person's admin roles allow the action. The second check lives here, in one table
//! ([`PERMISSIONS`]), applied once by the API's `authorize` layer before any handler runs,
//! so a refused call never changes the org. Service-app tokens carry no person and are not
//! role-checked (Okta checks the roles granted to the service app, which the sandbox treats
//! as super admin).

use super::AppState;
use super::audit::{self, Audit};
use crate::error::ApiError;
use crate::org::Org;
use crate::seed::admins::role_assignment;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::Value;

pub const SUPER_ADMIN: &str = "SUPER_ADMIN";
pub const READ_ONLY_ADMIN: &str = "READ_ONLY_ADMIN";
pub const HELP_DESK_ADMIN: &str = "HELP_DESK_ADMIN";

/// Standard role types `POST /api/v1/users/{id}/roles` accepts.
const ASSIGNABLE: &[&str] = &[
    SUPER_ADMIN,
    "ORG_ADMIN",
    "APP_ADMIN",
    "USER_ADMIN",
    HELP_DESK_ADMIN,
    READ_ONLY_ADMIN,
    "MOBILE_ADMIN",
    "API_ACCESS_MANAGEMENT_ADMIN",
    "REPORT_ADMIN",
    "GROUP_MEMBERSHIP_ADMIN",
];

/// Which requests a row covers.
#[derive(Clone, Copy)]
enum Methods {
    /// GET and HEAD.
    Reads,
    /// Everything else.
    Writes,
}

/// One row: requests of `methods` on paths matching `path` are allowed to `roles`.
/// In `path`, `*` is one segment and a trailing `/**` any number (including none).
struct Permission {
    methods: Methods,
    path: &'static str,
    roles: &'static [&'static str],
}

const fn row(methods: Methods, path: &'static str, roles: &'static [&'static str]) -> Permission {
    Permission {
        methods,
        path,
        roles,
    }
}

const SUPER: &[&str] = &[SUPER_ADMIN];
const HELP_DESK: &[&str] = &[SUPER_ADMIN, HELP_DESK_ADMIN];
const EVERY_ADMIN: &[&str] = &[SUPER_ADMIN, READ_ONLY_ADMIN, HELP_DESK_ADMIN];
const READERS: &[&str] = &[SUPER_ADMIN, READ_ONLY_ADMIN];

/// Okta's standard roles, for the actions the sandbox serves. The first matching row
/// decides; a person whose roles are not in it gets 403 E0000006. (Okta's own table:
/// help.okta.com "Standard administrator roles and permissions".)
const PERMISSIONS: &[Permission] = &[
    // Viewing and changing who is an administrator is the super admin's alone.
    row(Methods::Reads, "/api/v1/users/*/roles/**", SUPER),
    row(Methods::Writes, "/api/v1/users/*/roles/**", SUPER),
    row(Methods::Reads, "/api/v1/groups/*/roles/**", SUPER),
    row(Methods::Writes, "/api/v1/groups/*/roles/**", SUPER),
    row(Methods::Reads, "/api/v1/iam/**", SUPER),
    row(Methods::Writes, "/api/v1/iam/**", SUPER),
    // The help desk's fixed permissions: reset passwords and factors, unlock, clear sessions.
    row(
        Methods::Writes,
        "/api/v1/users/*/lifecycle/reset_password",
        HELP_DESK,
    ),
    row(
        Methods::Writes,
        "/api/v1/users/*/lifecycle/expire_password",
        HELP_DESK,
    ),
    row(
        Methods::Writes,
        "/api/v1/users/*/lifecycle/expire_password_with_temp_password",
        HELP_DESK,
    ),
    row(
        Methods::Writes,
        "/api/v1/users/*/lifecycle/unlock",
        HELP_DESK,
    ),
    row(
        Methods::Writes,
        "/api/v1/users/*/lifecycle/reset_factors",
        HELP_DESK,
    ),
    row(Methods::Writes, "/api/v1/users/*/factors/**", HELP_DESK),
    row(Methods::Writes, "/api/v1/users/*/sessions", HELP_DESK),
    // The help desk views users, their groups, and the System Log.
    row(Methods::Reads, "/api/v1/users/**", EVERY_ADMIN),
    row(Methods::Reads, "/api/v1/groups/**", EVERY_ADMIN),
    row(Methods::Reads, "/api/v1/logs/**", EVERY_ADMIN),
    // Everything else: the read-only admin reads, only the super admin writes.
    row(Methods::Reads, "/api/v1/**", READERS),
    row(Methods::Writes, "/api/v1/**", SUPER),
];

/// Whether the person `user_id` may make this request, by their admin roles.
pub fn permits(org: &Org, user_id: &str, method: &Method, path: &str) -> bool {
    let roles: Vec<&str> = super::admin_access::role_assignments(org, user_id)
        .filter(|a| a["status"] == "ACTIVE")
        .filter_map(|a| a["type"].as_str())
        .collect();
    if roles.is_empty() {
        return false;
    }
    let reads = matches!(*method, Method::GET | Method::HEAD);
    PERMISSIONS
        .iter()
        .find(|p| matches!(p.methods, Methods::Reads) == reads && path_matches(p.path, path))
        .is_some_and(|p| p.roles.iter().any(|r| roles.contains(r)))
}

/// `*` matches one segment; a trailing `**` matches the rest, including nothing.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut segments = path.trim_end_matches('/').split('/');
    for part in pattern.split('/') {
        if part == "**" {
            return true;
        }
        match segments.next() {
            Some(s) if part == "*" || part == s => {}
            _ => return false,
        }
    }
    segments.next().is_none()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/{id}/roles", get(list).post(assign))
        .route(
            "/api/v1/users/{id}/roles/{roleAssignmentId}",
            delete(unassign),
        )
}

fn user_id(org: &Org, id_or_login: &str) -> Result<String, ApiError> {
    org.find_user_id(id_or_login)
        .ok_or_else(|| ApiError::not_found(id_or_login, "User"))
}

/// GET /api/v1/users/{id}/roles
async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    let id = user_id(&org, &id)?;
    Ok(Json(Value::Array(super::admin_access::roles_of_user(
        &org, &id,
    ))))
}

/// POST /api/v1/users/{id}/roles `{"type": "HELP_DESK_ADMIN"}`
async fn assign(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: Value = serde_json::from_slice(&body).map_err(|_| ApiError::malformed_body())?;
    let role = body["type"].as_str().unwrap_or_default().to_owned();
    if !ASSIGNABLE.contains(&role.as_str()) {
        return Err(ApiError::validation(
            "type",
            format!(
                "'type' must be one of the standard roles: {}.",
                ASSIGNABLE.join(", ")
            ),
        ));
    }
    let mut org = state.org.write();
    let id = user_id(&org, &id)?;
    if org
        .admin_roles
        .get(&id)
        .is_some_and(|a| a.iter().any(|r| r["type"] == role.as_str()))
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "E0000090",
            "Duplicate role assignment exception",
        ));
    }
    let assignment_id = crate::ids::okta_id(&mut org.rng, "ra1");
    let assignment = role_assignment(&org.base_url, &assignment_id, &id, &role, Utc::now());
    org.admin_roles
        .entry(id.clone())
        .or_default()
        .push(assignment.clone());
    let target = audit::user(&org.users[&id]);
    audit.record(
        &mut org,
        "user.account.privilege.grant",
        "Grant user privilege",
        vec![target],
    );
    Ok((StatusCode::CREATED, Json(assignment)).into_response())
}

/// DELETE /api/v1/users/{id}/roles/{roleAssignmentId}
async fn unassign(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, assignment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut org = state.org.write();
    let id = user_id(&org, &id)?;
    let assignments = org.admin_roles.entry(id.clone()).or_default();
    let before = assignments.len();
    assignments.retain(|a| a["id"] != assignment_id.as_str());
    if assignments.len() == before {
        return Err(ApiError::not_found(&assignment_id, "Role"));
    }
    let target = audit::user(&org.users[&id]);
    audit.record(
        &mut org,
        "user.account.privilege.revoke",
        "Revoke user privilege",
        vec![target],
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_match_segments() {
        assert!(path_matches("/api/v1/**", "/api/v1/users"));
        assert!(path_matches("/api/v1/users/**", "/api/v1/users"));
        assert!(path_matches(
            "/api/v1/users/**",
            "/api/v1/users/00u1/groups"
        ));
        assert!(path_matches(
            "/api/v1/users/*/lifecycle/unlock",
            "/api/v1/users/00u1/lifecycle/unlock"
        ));
        assert!(!path_matches(
            "/api/v1/users/*/lifecycle/unlock",
            "/api/v1/users/00u1/lifecycle/unlocked"
        ));
        assert!(!path_matches(
            "/api/v1/users/*/lifecycle/unlock",
            "/api/v1/users/00u1/lifecycle"
        ));
        assert!(!path_matches("/api/v1/users/**", "/api/v1/usersx"));
        assert!(path_matches(
            "/api/v1/users/*/roles/**",
            "/api/v1/users/00u1/roles"
        ));
    }

    fn org_with(role: &str) -> Org {
        let config = crate::SandboxConfig {
            users: 3,
            groups: 2,
            apps: 1,
            log_events: 1,
            ..Default::default()
        };
        let mut org = crate::seed::build(&config, "http://127.0.0.1:1", Utc::now());
        org.admin_roles.insert(
            "00uperson".into(),
            vec![json!({"type": role, "status": "ACTIVE"})],
        );
        org
    }

    #[test]
    fn the_table_follows_okta_standard_roles() {
        let cases: &[(&str, Method, &str, bool)] = &[
            (SUPER_ADMIN, Method::DELETE, "/api/v1/apps/0oa1", true),
            (SUPER_ADMIN, Method::GET, "/api/v1/users/00u1/roles", true),
            (READ_ONLY_ADMIN, Method::GET, "/api/v1/policies", true),
            (READ_ONLY_ADMIN, Method::POST, "/api/v1/users", false),
            (
                READ_ONLY_ADMIN,
                Method::POST,
                "/api/v1/users/00u1/lifecycle/unlock",
                false,
            ),
            (
                READ_ONLY_ADMIN,
                Method::GET,
                "/api/v1/users/00u1/roles",
                false,
            ),
            (HELP_DESK_ADMIN, Method::GET, "/api/v1/users", true),
            (
                HELP_DESK_ADMIN,
                Method::GET,
                "/api/v1/groups/00g1/users",
                true,
            ),
            (HELP_DESK_ADMIN, Method::GET, "/api/v1/logs", true),
            (HELP_DESK_ADMIN, Method::GET, "/api/v1/apps", false),
            (
                HELP_DESK_ADMIN,
                Method::POST,
                "/api/v1/users/00u1/lifecycle/reset_password",
                true,
            ),
            (
                HELP_DESK_ADMIN,
                Method::POST,
                "/api/v1/users/00u1/lifecycle/unlock",
                true,
            ),
            (
                HELP_DESK_ADMIN,
                Method::DELETE,
                "/api/v1/users/00u1/sessions",
                true,
            ),
            (
                HELP_DESK_ADMIN,
                Method::POST,
                "/api/v1/users/00u1/lifecycle/expire_password_with_temp_password",
                true,
            ),
            (
                HELP_DESK_ADMIN,
                Method::DELETE,
                "/api/v1/users/00u1/factors/mbl1",
                true,
            ),
            (
                HELP_DESK_ADMIN,
                Method::POST,
                "/api/v1/users/00u1/lifecycle/suspend",
                false,
            ),
            (
                HELP_DESK_ADMIN,
                Method::POST,
                "/api/v1/users/00u1/lifecycle/deactivate",
                false,
            ),
            (HELP_DESK_ADMIN, Method::POST, "/api/v1/users", false),
            (
                HELP_DESK_ADMIN,
                Method::DELETE,
                "/api/v1/groups/00g1",
                false,
            ),
            (HELP_DESK_ADMIN, Method::DELETE, "/api/v1/apps/0oa1", false),
            (HELP_DESK_ADMIN, Method::PUT, "/api/v1/policies/00p1", false),
            (
                HELP_DESK_ADMIN,
                Method::PUT,
                "/api/v1/brands/b1/themes/t1",
                false,
            ),
            (HELP_DESK_ADMIN, Method::POST, "/api/v1/domains", false),
        ];
        for (role, method, path, allowed) in cases {
            let org = org_with(role);
            assert_eq!(
                permits(&org, "00uperson", method, path),
                *allowed,
                "{role} {method} {path}"
            );
        }
        let org = org_with(SUPER_ADMIN);
        assert!(
            !permits(&org, "00unobody", &Method::GET, "/api/v1/users"),
            "a person without an admin role can do nothing"
        );
    }
}
