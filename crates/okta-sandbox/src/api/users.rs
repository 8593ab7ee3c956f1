//! `/api/v1/users`: listing (search, filter, q), lookup by id or login, and the write side
//! with Okta's lifecycle state rules.

use super::audit::{self, Audit};
use super::keep;
use super::paging::{LimitRule, paginate, paginate_view, parse_limit};
use super::respond::{self, JsonBody};
use super::{AppState, Query};
use crate::error::ApiError;
use crate::filter::{self, Dialect};
use crate::ids::{base62, okta_id, prefix, timestamp};
use crate::links;
use crate::org::Org;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Map, Value, json};

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

/// The audit event of a profile update, partial (POST) or whole (PUT).
const PROFILE_UPDATED: keep::Event = (
    "user.account.update_profile",
    "Update user profile for Okta",
);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(create))
        .route(
            "/api/v1/users/{id}",
            get(get_one).post(update).put(replace).delete(delete),
        )
        .route("/api/v1/users/{id}/groups", get(user_groups))
        .route("/api/v1/users/{id}/lifecycle/{operation}", post(lifecycle))
        .route(
            "/api/v1/users/{id}/sessions",
            axum::routing::delete(clear_sessions),
        )
        .route("/api/v1/meta/schemas/user/{schemaId}", get(schema))
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
            .map(links::collection_view)
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
            .filter(|u| filter::matches(&expr, u, false));
        return id_ordered_page(&state, &query, limit, matched);
    }
    if let Some(q) = query.non_empty("q") {
        let limit = parse_limit(query.get("limit"), Q_LIMIT)?;
        let items = org
            .users
            .values()
            .filter(|u| u["status"] != "DEPROVISIONED" && q_matches(u, q))
            .take(limit)
            .map(links::collection_view)
            .collect();
        return Ok(respond::unpaged(&state, PATH, &query, items));
    }
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let listed = org
        .users
        .values()
        .filter(|u| u["status"] != "DEPROVISIONED");
    id_ordered_page(&state, &query, limit, listed)
}

/// One page of `users` in id order, each in its collection view: only the users on the
/// page are copied.
fn id_ordered_page<'a>(
    state: &AppState,
    query: &Query,
    limit: usize,
    users: impl Iterator<Item = &'a Value>,
) -> Result<Response, ApiError> {
    let page = paginate_view(
        users.map(respond::by_id_ref).collect(),
        false,
        respond::after(query)?.as_ref(),
        limit,
        links::collection_view,
    );
    Ok(respond::page(state, PATH, query, page))
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

fn find(org: &Org, id_or_login: &str) -> Result<String, ApiError> {
    org.find_user_id(id_or_login)
        .ok_or_else(|| ApiError::not_found(id_or_login, "User"))
}

/// Fields Okta's default user schema requires.
const REQUIRED: [&str; 4] = ["login", "email", "firstName", "lastName"];

/// Checks a full profile the way Okta's default schema does.
fn validate_profile(
    org: &Org,
    profile: &Map<String, Value>,
    own_id: Option<&str>,
) -> Result<(), ApiError> {
    let blank = |field: &str| {
        profile
            .get(field)
            .and_then(Value::as_str)
            .is_none_or(|v| v.trim().is_empty())
    };
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|f| blank(f)).collect();
    if let Some(first) = missing.first() {
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            format!("Api validation failed: {first}"),
        );
        for field in &missing {
            error = error.with_cause(format!("{field}: The field cannot be left blank"));
        }
        return Err(error);
    }
    let login = profile
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !looks_like_email(login) {
        return Err(ApiError::validation(
            "login",
            "login: Username must be in the form of an email address",
        ));
    }
    if !looks_like_email(
        profile
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    ) {
        return Err(ApiError::validation(
            "email",
            "email: Does not match required pattern",
        ));
    }
    let taken = org.users.iter().any(|(id, u)| {
        Some(id.as_str()) != own_id
            && u["profile"]["login"]
                .as_str()
                .is_some_and(|l| l.eq_ignore_ascii_case(login))
    });
    if taken {
        return Err(ApiError::validation(
            "login",
            "login: An object with this field already exists in the current organization",
        ));
    }
    Ok(())
}

fn looks_like_email(value: &str) -> bool {
    let mut parts = value.splitn(2, '@');
    matches!((parts.next(), parts.next()), (Some(local), Some(domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
}

fn object_field<'a>(
    body: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ApiError::malformed_body()),
    }
}

fn truthy(query: &Query, name: &str, default: bool) -> Result<bool, ApiError> {
    match query.non_empty(name) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ApiError::validation(
            name,
            format!("{name}: '{v}' is not a boolean"),
        )),
    }
}

/// Moves a user to `status`, keeping timestamps and lifecycle links consistent.
fn set_status(org: &Org, user: &mut Value, status: &str) {
    let now = timestamp(Utc::now());
    user["status"] = json!(status);
    user["statusChanged"] = json!(now);
    user["lastUpdated"] = json!(now);
    if status == "ACTIVE" && user["activated"].is_null() {
        user["activated"] = json!(now);
    }
    user["transitioningToStatus"] = Value::Null;
    relink(org, user);
}

fn relink(org: &Org, user: &mut Value) {
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    let status = user["status"].as_str().unwrap_or_default().to_owned();
    let type_id = user["type"]["id"]
        .as_str()
        .unwrap_or(&org.user_type_id)
        .to_owned();
    user["_links"] = links::user(&org.base_url, &id, &status, &type_id);
}

fn has_password(user: &Value) -> bool {
    user["credentials"].get("password").is_some()
}

/// POST /api/v1/users?activate=&nextLogin=
async fn create(
    State(state): State<AppState>,
    audit: Audit,
    query: Query,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let activate = truthy(&query, "activate", true)?;
    let expire = query
        .non_empty("nextLogin")
        .is_some_and(|v| v.eq_ignore_ascii_case("changePassword"));
    let profile = object_field(&body, "profile")?.cloned().unwrap_or_default();
    let credentials = object_field(&body, "credentials")?
        .cloned()
        .unwrap_or_default();
    let password = credentials
        .get("password")
        .and_then(|p| p.get("value").or(p.get("hash")))
        .is_some_and(|v| !v.is_null());
    let group_ids: Vec<String> = match body.get("groupIds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(_) => return Err(ApiError::malformed_body()),
    };

    let mut org = state.org.write();
    validate_profile(&org, &profile, None)?;
    if expire && !activate {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            "Could not create user. To create a user and expire their password immediately, `activate` must be true.",
        ));
    }
    if expire && !password {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            "Could not create user. To create a user and expire their password immediately, a password must be specified.",
        ));
    }
    if group_ids.len() > 20 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000093",
            "Target count limit exceeded",
        )
        .with_cause("The number of group targets is too large"));
    }
    if let Some(unknown) = group_ids.iter().find(|g| !org.groups.contains_key(*g)) {
        return Err(ApiError::not_found(unknown, "UserGroup"));
    }
    // Only OKTA_GROUP memberships can be managed through the API.
    if group_ids
        .iter()
        .any(|g| org.groups[g]["type"] != "OKTA_GROUP")
    {
        return Err(ApiError::forbidden());
    }

    let status = match (activate, password, expire) {
        (false, _, _) => "STAGED",
        (true, true, true) => "PASSWORD_EXPIRED",
        (true, true, false) => "ACTIVE",
        (true, false, _) => "PROVISIONED",
    };
    let id = okta_id(&mut org.rng, prefix::USER);
    let now = timestamp(Utc::now());
    let mut stored_credentials = json!({"provider": {"type": "OKTA", "name": "OKTA"}});
    if password {
        stored_credentials["password"] = json!({});
    }
    if let Some(question) = credentials
        .get("recovery_question")
        .and_then(|q| q.get("question"))
    {
        stored_credentials["recovery_question"] = json!({ "question": question });
    }
    let type_id = body
        .get("type")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str)
        .unwrap_or(&org.user_type_id)
        .to_owned();
    let activated = (status != "STAGED").then(|| now.clone());
    let mut user = json!({
        "id": id,
        "status": status,
        "created": now,
        "activated": activated,
        "statusChanged": activated,
        "lastLogin": null,
        "lastUpdated": now,
        "passwordChanged": if password { json!(now) } else { Value::Null },
        "type": {"id": type_id},
        "profile": profile,
        "credentials": stored_credentials,
    });
    relink(&org, &mut user);
    for group in &group_ids {
        org.memberships
            .entry(group.clone())
            .or_default()
            .insert(id.clone());
    }
    let everyone: Vec<String> = org
        .groups
        .iter()
        .filter(|(_, g)| g["type"] == "BUILT_IN")
        .map(|(gid, _)| gid.clone())
        .collect();
    for group in everyone {
        org.memberships.entry(group).or_default().insert(id.clone());
    }
    audit.record(
        &mut org,
        "user.lifecycle.create",
        "Create Okta user",
        vec![audit::user(&user)],
    );
    if status != "STAGED" {
        audit.record(
            &mut org,
            "user.lifecycle.activate",
            "Activate Okta user",
            vec![audit::user(&user)],
        );
    }
    for group in &group_ids {
        let target = org.groups.get(group).map(audit::group);
        let targets = std::iter::once(audit::user(&user)).chain(target).collect();
        audit.record(
            &mut org,
            "group.user_membership.add",
            "Add user to group membership",
            targets,
        );
    }
    org.users.insert(id, user.clone());
    Ok(Json(user).into_response())
}

/// POST /api/v1/users/{id}: partial update; profile fields given replace, others stay.
async fn update(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let id = find(&org, &id)?;
    let mut user = org.users[&id].clone();
    if let Some(changes) = object_field(&body, "profile")? {
        let mut profile = user["profile"].as_object().cloned().unwrap_or_default();
        for (key, value) in changes {
            profile.insert(key.clone(), value.clone());
        }
        validate_profile(&org, &profile, Some(&id))?;
        user["profile"] = Value::Object(profile);
    }
    apply_credentials(&mut user, object_field(&body, "credentials")?);
    user["lastUpdated"] = json!(timestamp(Utc::now()));
    Ok(keep::USER.record_store_and_answer(&mut org, &audit, PROFILE_UPDATED, id, user))
}

/// PUT /api/v1/users/{id}: the profile given replaces the whole profile.
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let id = find(&org, &id)?;
    let profile = object_field(&body, "profile")?.cloned().unwrap_or_default();
    validate_profile(&org, &profile, Some(&id))?;
    let mut user = org.users[&id].clone();
    user["profile"] = Value::Object(profile);
    apply_credentials(&mut user, object_field(&body, "credentials")?);
    user["lastUpdated"] = json!(timestamp(Utc::now()));
    Ok(keep::USER.record_store_and_answer(&mut org, &audit, PROFILE_UPDATED, id, user))
}

/// A new password or recovery question is recorded as present; values are never stored.
fn apply_credentials(user: &mut Value, credentials: Option<&Map<String, Value>>) {
    let Some(credentials) = credentials else {
        return;
    };
    let now = json!(timestamp(Utc::now()));
    if credentials
        .get("password")
        .and_then(|p| p.get("value"))
        .is_some_and(|v| !v.is_null())
    {
        user["credentials"]["password"] = json!({});
        user["passwordChanged"] = now;
    }
    if let Some(question) = credentials
        .get("recovery_question")
        .and_then(|q| q.get("question"))
    {
        user["credentials"]["recovery_question"] = json!({ "question": question });
    }
}

/// DELETE /api/v1/users/{id}: a DEPROVISIONED user is deleted; any other is deactivated
/// first (a second DELETE then deletes it), as Okta does.
async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    let id = find(&org, &id)?;
    let mut user = org.users[&id].clone();
    if user["status"] == "DEPROVISIONED" {
        let event = ("user.lifecycle.delete.initiated", "Delete Okta user");
        keep::USER.record_and_remove(&mut org, &audit, event, &id);
        for members in org.memberships.values_mut() {
            members.remove(&id);
        }
        for assigned in org.app_users.values_mut() {
            assigned.remove(&id);
        }
    } else {
        set_status(&org, &mut user, "DEPROVISIONED");
        audit.record(
            &mut org,
            "user.lifecycle.deactivate",
            "Deactivate Okta user",
            vec![audit::user(&user)],
        );
        org.users.insert(id, user);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// GET /api/v1/users/{id}/groups
async fn user_groups(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let org = state.org.read();
    let id = find(&org, &id)?;
    let groups = org
        .memberships
        .iter()
        .filter(|(_, members)| members.contains(&id))
        .filter_map(|(gid, _)| org.groups.get(gid).cloned())
        .collect();
    Ok(respond::unpaged(
        &state,
        &format!("{PATH}/{id}/groups"),
        &query,
        groups,
    ))
}

/// POST /api/v1/users/{id}/lifecycle/{operation} with Okta's state rules.
async fn lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, operation)): Path<(String, String)>,
    query: Query,
) -> Result<Response, ApiError> {
    let mut org = state.org.write();
    let id = find(&org, &id)?;
    let mut user = org.users[&id].clone();
    let status = user["status"].as_str().unwrap_or_default().to_owned();
    // Okta sends the activation email by default, but not the reactivation one.
    let send_email = truthy(&query, "sendEmail", operation != "reactivate")?;
    let revoke_sessions = truthy(&query, "revokeSessions", false)?;
    // Sessions are ended once the org's lock is released (see `clear_sessions`).
    let mut end_sessions = false;
    let base = org.base_url.clone();
    let body = match operation.as_str() {
        "activate" => {
            if !matches!(status.as_str(), "STAGED" | "DEPROVISIONED") {
                return Err(already_active());
            }
            let next = if has_password(&user) {
                "ACTIVE"
            } else {
                "PROVISIONED"
            };
            set_status(&org, &mut user, next);
            activation_token(&mut org, &base, send_email)
        }
        // Restarts an activation that was never completed; the status stays until it is.
        "reactivate" => match status.as_str() {
            "PROVISIONED" | "RECOVERY" => {
                user["lastUpdated"] = json!(timestamp(Utc::now()));
                activation_token(&mut org, &base, send_email)
            }
            "ACTIVE" => return Err(already_active()),
            _ => return Err(wrong_status()),
        },
        "deactivate" => {
            if status != "DEPROVISIONED" {
                set_status(&org, &mut user, "DEPROVISIONED");
            }
            json!({})
        }
        "suspend" => {
            if status != "ACTIVE" {
                return Err(ApiError::validation(
                    "suspend",
                    "Cannot suspend a user that is not active",
                ));
            }
            set_status(&org, &mut user, "SUSPENDED");
            json!({})
        }
        "unsuspend" => {
            if status != "SUSPENDED" {
                return Err(ApiError::validation(
                    "unsuspend",
                    "Cannot unsuspend a user that is not suspended",
                ));
            }
            set_status(&org, &mut user, "ACTIVE");
            json!({})
        }
        "unlock" => {
            if status != "LOCKED_OUT" {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "E0000032",
                    "Unlock is not allowed for this user.",
                ));
            }
            set_status(&org, &mut user, "ACTIVE");
            json!({})
        }
        "reset_password" => {
            if !matches!(
                status.as_str(),
                "ACTIVE" | "PASSWORD_EXPIRED" | "LOCKED_OUT" | "RECOVERY"
            ) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "E0000017",
                    "Reset password is not allowed in the user's current status",
                ));
            }
            set_status(&org, &mut user, "RECOVERY");
            end_sessions = revoke_sessions;
            if send_email {
                json!({})
            } else {
                let token = base62(&mut org.rng, 20);
                json!({"resetPasswordUrl": format!("{base}/reset_password/{token}")})
            }
        }
        "expire_password" | "expire_password_with_temp_password" => {
            if !matches!(
                status.as_str(),
                "ACTIVE" | "RECOVERY" | "LOCKED_OUT" | "PASSWORD_EXPIRED"
            ) {
                return Err(ApiError::validation(
                    "expirePassword",
                    "Cannot expire the password of a user that is not active",
                ));
            }
            set_status(&org, &mut user, "PASSWORD_EXPIRED");
            // `expire_password?tempPassword=true` is the older spelling of the second form.
            let temporary = operation == "expire_password_with_temp_password"
                || truthy(&query, "tempPassword", false)?;
            if temporary {
                // The new password is handed out once and never stored, as with set passwords.
                user["credentials"]["password"] = json!({});
                user["passwordChanged"] = json!(timestamp(Utc::now()));
                end_sessions = revoke_sessions;
                json!({"tempPassword": base62(&mut org.rng, 10)})
            } else {
                user.clone()
            }
        }
        "reset_factors" => {
            if status != "ACTIVE" {
                return Err(ApiError::validation(
                    "resetFactors",
                    "Cannot reset the factors of a user that is not active",
                ));
            }
            org.factors.remove(&id);
            json!({})
        }
        _ => {
            return Err(ApiError::no_such_endpoint(&format!(
                "{PATH}/{id}/lifecycle/{operation}"
            )));
        }
    };
    let event = match operation.as_str() {
        "activate" => ("user.lifecycle.activate", "Activate Okta user"),
        "reactivate" => ("user.lifecycle.reactivate", "Reactivate Okta user"),
        "deactivate" => ("user.lifecycle.deactivate", "Deactivate Okta user"),
        "suspend" => ("user.lifecycle.suspend", "Suspend Okta user"),
        "unsuspend" => ("user.lifecycle.unsuspend", "Unsuspend Okta user"),
        "unlock" => ("user.account.unlock", "Unlock Okta user"),
        "reset_password" => (
            "user.account.reset_password",
            "Fired when the user's Okta password is reset",
        ),
        "reset_factors" => ("user.mfa.factor.reset_all", "Reset all factors for user"),
        _ => ("user.account.expire_password", "Expire user password"),
    };
    keep::USER.record_and_store(&mut org, &audit, event, id.clone(), user);
    drop(org);
    if end_sessions {
        state.auth.end_sessions(&id, false);
    }
    Ok(Json(body).into_response())
}

/// 403 E0000016: activating a user who is already active.
fn already_active() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "E0000016",
        "Activation failed because the user is already active",
    )
}

/// 403 E0000038: a lifecycle operation the user's status does not allow.
fn wrong_status() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "E0000038",
        "This operation is not allowed in the user's current status.",
    )
}

/// `UserActivationToken`: empty when Okta emails the link, else the one-time link and token.
fn activation_token(org: &mut Org, base: &str, send_email: bool) -> Value {
    if send_email {
        return json!({});
    }
    let token = base62(&mut org.rng, 20);
    json!({"activationUrl": format!("{base}/welcome/{token}"), "activationToken": token})
}

/// DELETE /api/v1/users/{id}/sessions?oauthTokens=true|false: ends the person's sessions
/// at the org and, with `oauthTokens=true`, revokes every OAuth token issued to them.
async fn clear_sessions(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let oauth_tokens = truthy(&query, "oauthTokens", false)?;
    let id = find(&state.org.read(), &id)?;
    // The authorization server's lock is never taken while the org's is held.
    state.auth.end_sessions(&id, oauth_tokens);
    let mut org = state.org.write();
    let target = audit::user(&org.users[&id]);
    audit.record(
        &mut org,
        "user.session.clear",
        "Clear user session",
        vec![target],
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// GET /api/v1/meta/schemas/user/default
async fn schema(
    State(state): State<AppState>,
    Path(schema_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if schema_id != "default" {
        return Err(ApiError::not_found(&schema_id, "UserSchema"));
    }
    Ok(Json(super::schema::user_schema(&state.base_url)))
}
