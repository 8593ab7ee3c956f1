//! `/api/v1/apps`: applications, validated per sign-on mode, with lifecycle and user and
//! group assignments.

use super::audit::{self, Audit};
use super::keep;
use super::paging::{LimitRule, paginate, parse_limit};
use super::respond::{self, JsonBody};
use super::{AppState, Query};
use crate::catalog;
use crate::error::ApiError;
use crate::filter::{self, Dialect};
use crate::ids::{okta_id, prefix, timestamp};
use crate::links;
use crate::org::Org;
use crate::seed::apps::{app_group, app_object, app_user};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

const PATH: &str = "/api/v1/apps";
/// Okta: default -1 (everything, in pages of the maximum), maximum 200.
const LIMIT: LimitRule = LimitRule {
    default: 200,
    max: 200,
};
/// App users and app groups: Okta pages these by 50 and 20 by default.
const USERS_LIMIT: LimitRule = LimitRule {
    default: 50,
    max: 500,
};
const GROUPS_LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 200,
};

/// (signOnMode, the app `name` Okta gives a custom app of that mode)
const MODES: &[(&str, &str)] = &[
    ("BOOKMARK", "bookmark"),
    ("SAML_2_0", ""),
    ("SAML_1_1", ""),
    ("OPENID_CONNECT", "oidc_client"),
    ("AUTO_LOGIN", ""),
    ("BROWSER_PLUGIN", "template_swa"),
    ("SECURE_PASSWORD_STORE", "template_sps"),
    ("BASIC_AUTH", "template_basic_auth"),
    ("WS_FEDERATION", "template_wsfed"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(create))
        .route(
            "/api/v1/apps/{appId}",
            get(get_one).put(replace).delete(delete),
        )
        .route(
            "/api/v1/apps/{appId}/lifecycle/{operation}",
            post(lifecycle),
        )
        .route(
            "/api/v1/apps/{appId}/users",
            get(list_users).post(assign_user),
        )
        .route(
            "/api/v1/apps/{appId}/users/{userId}",
            get(get_user).post(assign_user_at).delete(unassign_user),
        )
        .route("/api/v1/apps/{appId}/groups", get(list_groups))
        .route(
            "/api/v1/apps/{appId}/groups/{groupId}",
            get(get_group).put(assign_group).delete(unassign_group),
        )
}

fn app<'a>(org: &'a Org, id: &str) -> Result<&'a Value, ApiError> {
    org.apps
        .get(id)
        .ok_or_else(|| ApiError::not_found(id, "AppInstance"))
}

/// The app as `filter` sees it: `user.id`/`group.id` match its assignments.
fn filterable(org: &Org, app: &Value) -> Value {
    let mut view = app.clone();
    let id = app["id"].as_str().unwrap_or_default();
    let users: Vec<Value> = org
        .effective_app_users(id)
        .keys()
        .map(|k| json!({"id": k}))
        .collect();
    let groups: Vec<Value> = org
        .app_groups
        .get(id)
        .map(|m| m.keys().map(|k| json!({"id": k})).collect())
        .unwrap_or_default();
    view["user"] = Value::Array(users);
    view["group"] = Value::Array(groups);
    view
}

async fn list(State(state): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let org = state.org.read();
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    // Deleted apps are gone from the store, so `includeNonDeleted` only needs validating.
    if let Some(v) = query.non_empty("includeNonDeleted")
        && !v.eq_ignore_ascii_case("true")
        && !v.eq_ignore_ascii_case("false")
    {
        return Err(ApiError::validation(
            "includeNonDeleted",
            format!("includeNonDeleted: '{v}' is not a boolean"),
        ));
    }
    let expr = query
        .non_empty("filter")
        .map(|f| filter::compile(f, &Dialect::APPS_FILTER))
        .transpose()
        .map_err(|_| ApiError::invalid_search())?;
    let q = query.non_empty("q").map(str::to_lowercase);
    let expand_user = match query.non_empty("expand") {
        None => None,
        Some(e) => match e.strip_prefix("user/") {
            Some(user) => Some(user.to_owned()),
            None => {
                return Err(ApiError::validation(
                    "expand",
                    format!("expand: '{e}' is not supported"),
                ));
            }
        },
    };
    let matched = org
        .apps
        .values()
        .filter(|a| {
            expr.as_ref()
                .is_none_or(|e| filter::matches(e, &filterable(&org, a), false))
        })
        .filter(|a| {
            q.as_ref().is_none_or(|q| {
                ["name", "label"].iter().any(|f| {
                    a[f].as_str()
                        .is_some_and(|v| v.to_lowercase().starts_with(q))
                })
            })
        })
        .map(|a| {
            let mut a = a.clone();
            if let Some(user) = &expand_user
                && let Some(assigned) = a["id"]
                    .as_str()
                    .and_then(|id| org.effective_app_users(id).remove(user))
            {
                a["_embedded"] = json!({ "user": assigned });
            }
            respond::by_id(a)
        })
        .collect();
    let page = paginate(matched, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(&state, PATH, &query, page))
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    app(&org, &id).cloned().map(Json)
}

fn field<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |v, segment| &v[segment])
}

fn is_url(value: &Value) -> bool {
    value
        .as_str()
        .and_then(|s| url::Url::parse(s).ok())
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// Okta's app validation failure: summary names the app, causes name the fields.
fn invalid(causes: Vec<String>) -> ApiError {
    causes.into_iter().fold(
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            "Api validation failed: app",
        ),
        |e, c| e.with_cause(c),
    )
}

/// Checks the fields each sign-on mode requires.
fn validate(mode: &str, body: &Value) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    let label = body["label"].as_str().map(str::trim).unwrap_or_default();
    if label.is_empty() {
        causes.push("label: The field cannot be left blank".to_owned());
    }
    // An OIN integration brings its own sign-on configuration; it needs only the app
    // settings its catalog entry lists.
    if let Some(integration) = body["name"]
        .as_str()
        .and_then(catalog::find)
        .filter(|c| catalog::is_integration(c))
    {
        if !integration.sign_on_modes.contains(&mode) {
            causes.push(format!(
                "signOnMode: {} supports {}",
                integration.name,
                integration.sign_on_modes.join(", ")
            ));
        }
        for field in integration.required_settings {
            if body["settings"]["app"][field]
                .as_str()
                .is_none_or(|s| s.trim().is_empty())
            {
                causes.push(format!("{field}: The field cannot be left blank"));
            }
        }
        return if causes.is_empty() {
            Ok(())
        } else {
            Err(invalid(causes))
        };
    }
    if mode == "SAML_1_1" {
        causes.push("signOnMode: SAML_1_1 is only available for catalog integrations".to_owned());
    }
    let urls: &[&str] = match mode {
        "BOOKMARK" => &["settings.app.url"],
        "SAML_2_0" => &["settings.signOn.ssoAcsUrl", "settings.signOn.audience"],
        "AUTO_LOGIN" => &["settings.signOn.loginUrl"],
        "BROWSER_PLUGIN" | "SECURE_PASSWORD_STORE" => &["settings.app.url"],
        "BASIC_AUTH" => &["settings.app.url", "settings.app.authURL"],
        "WS_FEDERATION" => &["settings.app.wReplyURL"],
        _ => &[],
    };
    for path in urls {
        let value = field(body, path);
        let name = path.rsplit('.').next().unwrap_or(path);
        if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
            causes.push(format!("{name}: The field cannot be left blank"));
        } else if *path != "settings.signOn.audience" && !is_url(value) {
            causes.push(format!("{name}: The URL is not valid"));
        }
    }
    let required: &[&str] = match mode {
        "BROWSER_PLUGIN" => &[
            "settings.app.usernameField",
            "settings.app.passwordField",
            "settings.app.buttonField",
        ],
        "SECURE_PASSWORD_STORE" => &["settings.app.usernameField", "settings.app.passwordField"],
        "WS_FEDERATION" => &["settings.app.realm"],
        _ => &[],
    };
    for path in required {
        if field(body, path)
            .as_str()
            .is_none_or(|s| s.trim().is_empty())
        {
            let name = path.rsplit('.').next().unwrap_or(path);
            causes.push(format!("{name}: The field cannot be left blank"));
        }
    }
    if mode == "OPENID_CONNECT" {
        causes.extend(validate_oidc(body));
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(invalid(causes))
    }
}

fn validate_oidc(body: &Value) -> Vec<String> {
    let mut causes = Vec::new();
    let client = &body["settings"]["oauthClient"];
    if !client.is_object() {
        return vec!["settings.oauthClient: The field cannot be left blank".to_owned()];
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let app_type = client["application_type"].as_str().unwrap_or("web");
    if !matches!(app_type, "web" | "native" | "browser" | "service") {
        causes.push(format!(
            "application_type: '{app_type}' is not one of web, native, browser, service"
        ));
    }
    let grants = strings(&client["grant_types"]);
    if grants.is_empty() {
        causes.push("grant_types: The field cannot be left blank".to_owned());
    }
    for grant in &grants {
        let known = matches!(
            grant.as_str(),
            "authorization_code"
                | "implicit"
                | "refresh_token"
                | "client_credentials"
                | "password"
                | "urn:ietf:params:oauth:grant-type:device_code"
                | "urn:ietf:params:oauth:grant-type:token-exchange"
                | "urn:ietf:params:oauth:grant-type:saml2-bearer"
                | "urn:ietf:params:oauth:grant-type:jwt-bearer"
                | "interaction_code"
        );
        if !known {
            causes.push(format!(
                "grant_types: '{grant}' is not a supported grant type"
            ));
        }
    }
    let redirects = strings(&client["redirect_uris"]);
    let needs_redirect = grants
        .iter()
        .any(|g| g == "authorization_code" || g == "implicit");
    if needs_redirect && redirects.is_empty() {
        causes.push("redirect_uris: Must have at least one redirect URI for the authorization_code or implicit grant".to_owned());
    }
    if redirects.iter().any(|r| url::Url::parse(r).is_err()) {
        causes.push("redirect_uris: Invalid URI".to_owned());
    }
    if app_type == "service" && grants.iter().any(|g| g != "client_credentials") {
        causes.push(
            "grant_types: Service applications only support the client_credentials grant"
                .to_owned(),
        );
    }
    if app_type != "service"
        && grants.iter().any(|g| g == "client_credentials")
        && app_type != "web"
    {
        causes.push(format!(
            "grant_types: client_credentials is not allowed for '{app_type}' applications"
        ));
    }
    causes
}

fn slug(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Merges the request's settings over the mode's defaults, so responses are complete.
fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

fn build(
    org: &mut Org,
    id: &str,
    body: &Map<String, Value>,
    status: &str,
    created: DateTime<Utc>,
    name: Option<&str>,
) -> Result<Value, ApiError> {
    let body = Value::Object(body.clone());
    let mode = body["signOnMode"].as_str().unwrap_or_default().to_owned();
    let Some((_, default_name)) = MODES.iter().find(|(m, _)| *m == mode) else {
        return Err(invalid(vec![format!(
            "signOnMode: '{mode}' is not one of {}",
            MODES.iter().map(|(m, _)| *m).collect::<Vec<_>>().join(", ")
        )]));
    };
    let label = body["label"].as_str().unwrap_or_default().trim().to_owned();
    let name = match (name, body["name"].as_str()) {
        (Some(existing), _) => existing.to_owned(),
        (None, Some(given)) if catalog::find(given).is_some() => given.to_owned(),
        (None, Some(given)) if !given.is_empty() && given != *default_name => {
            return Err(invalid(vec![format!(
                "name: '{given}' is not an app in the Okta Integration Network catalog"
            )]));
        }
        (None, _) if !default_name.is_empty() => (*default_name).to_owned(),
        (None, _) => format!("sandbox_{}_1", slug(&label)),
    };
    let mut named = body.clone();
    named["name"] = json!(name);
    validate(&mode, &named)?;
    let mut settings = crate::seed::apps::settings(&mut org.rng, &mode, &label);
    // Settings the caller gave win over the defaults.
    if let Some(app_settings) = settings.get_mut("app") {
        *app_settings = json!({});
    }
    merge(&mut settings, &body["settings"]);
    let mut app = app_object(
        &org.base_url,
        id,
        &name,
        &label,
        &mode,
        status,
        created,
        Utc::now(),
        settings,
        &mut org.rng,
    );
    for key in [
        "accessibility",
        "visibility",
        "features",
        "profile",
        "notes",
    ] {
        if !body[key].is_null() {
            merge(&mut app[key], &body[key]);
        }
    }
    if !body["credentials"].is_null() {
        merge(&mut app["credentials"], &body["credentials"]);
    }
    if mode == "OPENID_CONNECT" {
        app["credentials"]["oauthClient"]["client_id"] = json!(id);
    }
    Ok(app)
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

/// POST /api/v1/apps?activate=
async fn create(
    State(state): State<AppState>,
    audit: Audit,
    query: Query,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let activate = truthy(&query, "activate", true)?;
    let mut org = state.org.write();
    let id = okta_id(&mut org.rng, prefix::APP);
    let status = if activate { "ACTIVE" } else { "INACTIVE" };
    let app = build(&mut org, &id, &body, status, Utc::now(), None)?;
    org.app_users.insert(id.clone(), Default::default());
    org.app_groups.insert(id.clone(), Default::default());
    let event = ("application.lifecycle.create", "Add application");
    Ok(keep::APP.record_store_and_answer(&mut org, &audit, event, id, app))
}

/// PUT /api/v1/apps/{appId}: full replace; `name` and `signOnMode` cannot change.
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let existing = app(&org, &id)?.clone();
    if body
        .get("signOnMode")
        .is_some_and(|m| *m != existing["signOnMode"])
    {
        return Err(invalid(vec![
            "signOnMode: The sign-on mode of an app cannot be changed".to_owned(),
        ]));
    }
    let mut body = body;
    body.insert("signOnMode".into(), existing["signOnMode"].clone());
    let created = existing["created"]
        .as_str()
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
        .map_or_else(Utc::now, |c| c.with_timezone(&Utc));
    let status = existing["status"].as_str().unwrap_or("ACTIVE").to_owned();
    let name = existing["name"].as_str().unwrap_or_default().to_owned();
    let mut updated = build(&mut org, &id, &body, &status, created, Some(&name))?;
    updated["credentials"]["signing"] = existing["credentials"]["signing"].clone();
    let event = ("application.lifecycle.update", "Update application");
    Ok(keep::APP.record_store_and_answer(&mut org, &audit, event, id, updated))
}

/// DELETE /api/v1/apps/{appId}: only an INACTIVE app can be deleted.
async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    if app(&org, &id)?["status"] != "INACTIVE" {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000056",
            "Delete application forbidden.",
        )
        .with_cause("The app must be deactivated before it can be deleted."));
    }
    let event = ("application.lifecycle.delete", "Delete application");
    keep::APP.record_and_remove(&mut org, &audit, event, &id);
    org.app_users.remove(&id);
    org.app_groups.remove(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// POST /api/v1/apps/{appId}/lifecycle/{activate|deactivate}: idempotent.
async fn lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, operation)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let status = match operation.as_str() {
        "activate" => "ACTIVE",
        "deactivate" => "INACTIVE",
        _ => {
            return Err(ApiError::no_such_endpoint(&format!(
                "{PATH}/{id}/lifecycle/{operation}"
            )));
        }
    };
    let mut updated = app(&org, &id)?.clone();
    if updated["status"] != status {
        updated["status"] = json!(status);
        updated["lastUpdated"] = json!(timestamp(Utc::now()));
        let name = updated["name"].as_str().unwrap_or_default().to_owned();
        updated["_links"] = links::app(&org.base_url, &id, &name, status);
        let event = if status == "ACTIVE" {
            ("application.lifecycle.activate", "Activate application")
        } else {
            ("application.lifecycle.deactivate", "Deactivate application")
        };
        keep::APP.record_and_store(&mut org, &audit, event, id, updated);
    }
    Ok(Json(json!({})))
}

async fn list_users(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let org = state.org.read();
    app(&org, &id)?;
    let limit = parse_limit(query.get("limit"), USERS_LIMIT)?;
    let q = query.non_empty("q").map(str::to_lowercase);
    let embed_user = match query.non_empty("expand") {
        None => false,
        Some("user") => true,
        Some(e) => {
            return Err(ApiError::validation(
                "expand",
                format!("expand: '{e}' is not supported"),
            ));
        }
    };
    let users = org
        .effective_app_users(&id)
        .into_values()
        .filter(|au| {
            q.as_ref().is_none_or(|q| {
                let user = au["id"].as_str().and_then(|u| org.users.get(u));
                let fields = [
                    au["credentials"]["userName"].as_str(),
                    user.and_then(|u| u["profile"]["firstName"].as_str()),
                    user.and_then(|u| u["profile"]["lastName"].as_str()),
                    user.and_then(|u| u["profile"]["email"].as_str()),
                ];
                fields
                    .iter()
                    .flatten()
                    .any(|f| f.to_lowercase().starts_with(q))
            })
        })
        .map(|mut au| {
            if embed_user && let Some(user) = au["id"].as_str().and_then(|u| org.users.get(u)) {
                au["_embedded"] = json!({ "user": links::collection_view(user) });
            }
            respond::by_id(au)
        })
        .collect();
    let page = paginate(users, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(
        &state,
        &format!("{PATH}/{id}/users"),
        &query,
        page,
    ))
}

async fn get_user(
    State(state): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    app(&org, &id)?;
    org.effective_app_users(&id)
        .remove(&user_id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&user_id, "AppUser"))
}

/// One assignment of app `app_id`, or Okta's 404 naming `member` as a missing `kind`.
fn assignment(
    assignments: &BTreeMap<String, BTreeMap<String, Value>>,
    app_id: &str,
    member: &str,
    kind: &str,
) -> Result<Json<Value>, ApiError> {
    assignments
        .get(app_id)
        .and_then(|m| m.get(member))
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(member, kind))
}

/// POST /api/v1/apps/{appId}/users with `{"id": userId, ...}`.
async fn assign_user(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let user_id = body
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::validation("appUser", "id: The field cannot be left blank"))?;
    assign(&state, &audit, &id, &user_id, &body, Assignment::Direct)
}

/// POST /api/v1/apps/{appId}/users/{userId}: update an assignment's credentials/profile.
async fn assign_user_at(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, user_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    {
        let org = state.org.read();
        app(&org, &id)?;
        if !org.effective_app_users(&id).contains_key(&user_id) {
            return Err(ApiError::not_found(&user_id, "AppUser"));
        }
    }
    assign(&state, &audit, &id, &user_id, &body, Assignment::Keep)
}

/// What a write does to the app user's scope: a direct assignment makes it `USER` (a group
/// member assigned directly keeps the app when the group goes); an update keeps it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Assignment {
    Direct,
    Keep,
}

/// Sign-on schemes under which each user has their own password for the app.
const PASSWORD_SCHEMES: &[&str] = &[
    "EDIT_USERNAME_AND_PASSWORD",
    "ADMIN_SETS_CREDENTIALS",
    "EDIT_PASSWORD_ONLY",
];

fn assign(
    state: &AppState,
    audit: &Audit,
    app_id: &str,
    user_id: &str,
    body: &Map<String, Value>,
    scope: Assignment,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let the_app = app(&org, app_id)?;
    let password = body.get("credentials").and_then(|c| c.get("password"));
    if let Some(password) = password.filter(|p| !p.is_null()) {
        let scheme = the_app["credentials"]["scheme"]
            .as_str()
            .unwrap_or_default();
        if !PASSWORD_SCHEMES.contains(&scheme) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "E0000041",
                "Credentials should not be set on this resource based on the scheme.",
            )
            .with_cause("User level credentials should not be provided for this scheme."));
        }
        if password["value"].as_str().is_none_or(|v| v.is_empty()) {
            return Err(ApiError::validation(
                "appUser",
                "credentials.password.value: The field cannot be left blank",
            ));
        }
    }
    let current = org.effective_app_users(app_id).remove(user_id);
    let user = org
        .users
        .get(user_id)
        .ok_or_else(|| ApiError::not_found(user_id, "User"))?;
    let login = user["profile"]["login"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let base = org.base_url.clone();
    let assigned = org.app_users.entry(app_id.to_owned()).or_default();
    let mut app_user =
        current.unwrap_or_else(|| app_user(&base, app_id, user_id, &login, "USER", Utc::now()));
    if scope == Assignment::Direct && app_user["scope"] != "USER" {
        app_user["scope"] = json!("USER");
        if let Some(links) = app_user["_links"].as_object_mut() {
            links.remove("group");
        }
    }
    // Okta keeps the password and answers that one is set, never with its value.
    if password.is_some_and(|p| !p.is_null()) {
        app_user["credentials"]["password"] = json!({});
    }
    if let Some(name) = body
        .get("credentials")
        .and_then(|c| c.get("userName"))
        .and_then(Value::as_str)
    {
        app_user["credentials"]["userName"] = json!(name);
    }
    if let Some(profile @ Value::Object(_)) = body.get("profile") {
        merge(&mut app_user["profile"], profile);
    }
    app_user["lastUpdated"] = json!(timestamp(Utc::now()));
    let is_new = assigned
        .insert(user_id.to_owned(), app_user.clone())
        .is_none_or(|before| before["scope"] != "USER")
        && scope == Assignment::Direct;
    if is_new {
        let targets = vec![
            audit::user(&org.users[user_id]),
            audit::app(&org.apps[app_id]),
        ];
        audit.record(
            &mut org,
            "app.user_membership.add",
            "Add user to application membership",
            targets,
        );
    }
    Ok(Json(app_user))
}

async fn unassign_user(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    app(&org, &id)?;
    match org.effective_app_users(&id).get(&user_id) {
        None => return Err(ApiError::not_found(&user_id, "AppUser")),
        // The app comes with a group: only removing the group (or the membership) ends it.
        Some(member) if member["scope"] == "GROUP" => {
            return Err(ApiError::validation(
                "appUser",
                format!(
                    "User {user_id} is assigned to this app through a group; remove the group's assignment or the user's membership instead."
                ),
            ));
        }
        Some(_) => {}
    }
    if let Some(m) = org.app_users.get_mut(&id) {
        m.remove(&user_id);
    }
    let mut targets = vec![audit::app(&org.apps[&id])];
    targets.extend(org.users.get(&user_id).map(audit::user));
    audit.record(
        &mut org,
        "app.user_membership.remove",
        "Remove user from application membership",
        targets,
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn list_groups(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Response, ApiError> {
    let org = state.org.read();
    app(&org, &id)?;
    let limit = parse_limit(query.get("limit"), GROUPS_LIMIT)?;
    // `q` matches the start of the group's name (Okta: startsWith only).
    let q = query.non_empty("q").map(str::to_lowercase);
    let groups = org
        .app_groups
        .get(&id)
        .map(|m| {
            m.iter()
                .filter(|(group_id, _)| {
                    q.as_ref().is_none_or(|q| {
                        org.groups
                            .get(*group_id)
                            .and_then(|g| g["profile"]["name"].as_str())
                            .is_some_and(|n| n.to_lowercase().starts_with(q))
                    })
                })
                .map(|(_, g)| respond::by_id(g.clone()))
                .collect()
        })
        .unwrap_or_default();
    let page = paginate(groups, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(
        &state,
        &format!("{PATH}/{id}/groups"),
        &query,
        page,
    ))
}

async fn get_group(
    State(state): State<AppState>,
    Path((id, group_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    app(&org, &id)?;
    assignment(
        &org.app_groups,
        &id,
        &group_id,
        "ApplicationGroupAssignment",
    )
}

/// PUT /api/v1/apps/{appId}/groups/{groupId}: assign (or update) with optional priority.
async fn assign_group(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, group_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    app(&org, &id)?;
    if !org.groups.contains_key(&group_id) {
        return Err(ApiError::not_found(&group_id, "UserGroup"));
    }
    let base = org.base_url.clone();
    let assigned = org.app_groups.entry(id.clone()).or_default();
    let priority = match body.get("priority") {
        None | Some(Value::Null) => assigned
            .get(&group_id)
            .and_then(|g| g["priority"].as_u64())
            .unwrap_or(assigned.len() as u64),
        Some(p) => p.as_u64().ok_or_else(|| {
            ApiError::validation("priority", "priority: must be a non-negative integer")
        })?,
    };
    let mut assignment = app_group(&base, &id, &group_id, priority as usize, Utc::now());
    if let Some(profile @ Value::Object(_)) = body.get("profile") {
        assignment["profile"] = profile.clone();
    }
    assigned.insert(group_id.clone(), assignment.clone());
    let targets = vec![
        audit::app(&org.apps[&id]),
        audit::group(&org.groups[&group_id]),
    ];
    audit.record(
        &mut org,
        "group.application_assignment.add",
        "Assign application to group",
        targets,
    );
    Ok(Json(assignment))
}

async fn unassign_group(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, group_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    app(&org, &id)?;
    // Okta answers 204 whether or not the group was assigned.
    let removed = org
        .app_groups
        .get_mut(&id)
        .and_then(|m| m.remove(&group_id))
        .is_some();
    if removed {
        let mut targets = vec![audit::app(&org.apps[&id])];
        targets.extend(org.groups.get(&group_id).map(audit::group));
        audit.record(
            &mut org,
            "group.application_assignment.remove",
            "Remove application assignment from group",
            targets,
        );
    }
    Ok(StatusCode::NO_CONTENT)
}
