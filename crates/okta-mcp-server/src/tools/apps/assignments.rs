//! Who is assigned to an app: app users (direct, scope USER, or through a group, scope
//! GROUP) and group assignments; assigning, updating and removing them.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use super::app_label;
use crate::tools::common::{ListDocs, ListQuery, ListRules, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::support::ids::{AppId, GroupId, UserId};
use crate::tools::support::labels::{describe_user, group_label};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// `/apps/{id}/users` pages up to 500 (Okta's maximum); 20 unless asked, as other lists.
const APP_USERS: ListRules = ListRules {
    default_limit: Some(20),
    max_limit: 500,
    fetch_all_limit: 500,
    max_pages: 100,
};

/// list_application_users' query parameters.
#[derive(Clone, Debug)]
pub struct AppUserList;

impl ListDocs for AppUserList {
    const Q: Option<&'static str> = Some("Prefix of app username, name or email.");
    const FIELDS: &'static str = "e.g. `id,scope,credentials.userName`.";
}

/// list_application_groups' query parameters.
#[derive(Clone, Debug)]
pub struct AppGroupList;

impl ListDocs for AppGroupList {
    const Q: Option<&'static str> = Some("Group name prefix.");
    const FIELDS: &'static str = "e.g. `id,priority`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListAppUsersParams {
    /// App ID (0oa…).
    pub app_id: AppId,
    /// Embed each user (status, profile) as `_embedded.user`.
    #[serde(default)]
    pub include_user: bool,
    #[serde(flatten)]
    pub query: ListQuery<AppUserList>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListAppGroupsParams {
    /// App ID (0oa…).
    pub app_id: AppId,
    #[serde(flatten)]
    pub query: ListQuery<AppGroupList>,
}

/// A password for the app (SWA and other password apps), sent once to Okta and never
/// printed: Debug shows `****`, the audit digest drops it, and Okta never returns it.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct AppPassword(String);

impl std::fmt::Debug for AppPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

// The app user's own sign-in to the app, where the app's scheme lets each user have one (a
// line comment: a doc comment would become the schema's description, sent in every tools/list).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppCredentials {
    /// Username in the app.
    #[serde(default, rename = "userName")]
    pub user_name: Option<String>,
    /// Password in the app (password apps only).
    #[serde(default)]
    pub password: Option<AppPassword>,
}

impl AppCredentials {
    fn is_empty(&self) -> bool {
        self.user_name.is_none() && self.password.is_none()
    }

    /// Okta's `credentials` object.
    fn to_okta(&self) -> Value {
        let mut out = Map::new();
        if let Some(name) = &self.user_name {
            out.insert("userName".into(), json!(name));
        }
        if let Some(AppPassword(password)) = &self.password {
            out.insert("password".into(), json!({ "value": password }));
        }
        Value::Object(out)
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct AssignUserParams {
    /// App ID (0oa…).
    pub app_id: AppId,
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// App profile attributes, e.g. `{"role":"Editor"}`.
    #[serde(default)]
    pub profile: Option<Map<String, Value>>,
    #[serde(default)]
    pub credentials: Option<AppCredentials>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UpdateAppUserParams {
    /// App ID (0oa…).
    pub app_id: AppId,
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// App profile attributes to change.
    #[serde(default)]
    pub profile: Option<Map<String, Value>>,
    #[serde(default)]
    pub credentials: Option<AppCredentials>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct AppUserParams {
    /// App ID (0oa…).
    pub app_id: AppId,
    /// User ID (00u…) or login.
    pub user_id: UserId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct AssignGroupParams {
    /// App ID (0oa…).
    pub app_id: AppId,
    /// Group ID (00g…).
    pub group_id: GroupId,
    /// 0 wins when a user is in several assigned groups.
    #[serde(default)]
    pub priority: Option<u32>,
    /// App profile for the members.
    #[serde(default)]
    pub profile: Option<Map<String, Value>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct AppGroupParams {
    /// App ID (0oa…).
    pub app_id: AppId,
    /// Group ID (00g…).
    pub group_id: GroupId,
}

/// The list envelope with items of `item`.
fn list_of(item: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item},
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]}
        },
        "required": ["items"]
    })
}

/// An app user as the tools return it (compacted: no links, no nulls).
fn app_user_schema() -> Value {
    json!({"type": "object", "properties": {"id": {"type": "string"}, "scope": {"type": "string"}}, "required": ["id"]})
}

/// An application group assignment as the tools return it.
fn app_group_schema() -> Value {
    json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]})
}

fn acknowledgement_schema() -> Value {
    json!({"type": "object", "properties": {"success": {"type": "boolean"}, "message": {"type": "string"}}, "required": ["success", "message"]})
}

pub fn list_application_users() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_application_users",
            title: "List application users",
            description: "List an app's users: assigned directly (scope USER) or through a group (GROUP).",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListAppUsersParams| async move {
            let fields = p.query.fields()?;
            let path = ApiPath::new(paths::APPS).id(&p.app_id).lit("users");
            let req = p
                .query
                .apply(ApiRequest::get(path))
                .query_opt("expand", p.include_user.then_some("user"));
            listing::list(&ctx, req, &p.query.paging, APP_USERS, fields.as_ref()).await
        },
    )
    .returns(list_of(app_user_schema()))
}

pub fn list_application_groups() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_application_groups",
            title: "List application groups",
            description: "List the groups assigned to an app.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListAppGroupsParams| async move {
            let fields = p.query.fields()?;
            let path = ApiPath::new(paths::APPS).id(&p.app_id).lit("groups");
            let req = p.query.apply(ApiRequest::get(path));
            listing::list(
                &ctx,
                req,
                &p.query.paging,
                ListRules::USUAL,
                fields.as_ref(),
            )
            .await
        },
    )
    .returns(list_of(app_group_schema()))
}

pub fn assign_user_to_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "assign_user_to_application",
            title: "Assign user to application",
            description: "Assign a user to an app, optionally with app profile and credentials. Returns the app user.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: AssignUserParams| async move {
            // Okta's body names the user by id; a login is looked up first.
            let user = find_user(&ctx, &p.user_id).await?;
            let mut body = json!({ "id": user.id, "scope": "USER" });
            if let Some(profile) = p.profile {
                body["profile"] = Value::Object(profile);
            }
            if let Some(credentials) = p.credentials.filter(|c| !c.is_empty()) {
                body["credentials"] = credentials.to_okta();
            }
            let path = ApiPath::new(paths::APPS).id(&p.app_id).lit("users");
            let response = ctx.client.send(ApiRequest::post(path).json(body)).await?;
            Ok(crate::tools::field_selection::shape(response.body, None))
        },
    )
    .returns(app_user_schema())
}

pub fn update_application_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "update_application_user",
            title: "Update application user",
            description: "Change an app user's profile attributes (others kept) or credentials.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UpdateAppUserParams| async move {
            let credentials = p.credentials.filter(|c| !c.is_empty());
            let profile = p.profile.filter(|m| !m.is_empty());
            if credentials.is_none() && profile.is_none() {
                return Err(ToolError::InvalidArguments(
                    "give profile attributes or credentials to change".into(),
                ));
            }
            let user = find_user(&ctx, &p.user_id).await?;
            let mut body = json!({});
            if let Some(profile) = profile {
                body["profile"] = Value::Object(profile);
            }
            if let Some(credentials) = credentials {
                body["credentials"] = credentials.to_okta();
            }
            // POST is Okta's partial update of an app user; repeating it changes nothing more.
            let path = ApiPath::new(paths::APPS)
                .id(&p.app_id)
                .lit("users")
                .id(&user.id);
            let response = ctx
                .client
                .send(ApiRequest::post(path).json(body).retryable())
                .await?;
            Ok(crate::tools::field_selection::shape(response.body, None))
        },
    )
    .returns(app_user_schema())
}

pub fn unassign_user_from_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "unassign_user_from_application",
            title: "Unassign user from application",
            description: "Remove a user's direct assignment to an app (not one through a group).",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: AppUserParams| async move {
            let (user, app) = direct_assignment(&ctx, &p).await?;
            let path = ApiPath::new(paths::APPS)
                .id(&p.app_id)
                .lit("users")
                .id(&user.id);
            ctx.client.send(ApiRequest::delete(path)).await?;
            Ok(json!({
                "success": true,
                "app_id": p.app_id,
                "user_id": user.id,
                "message": format!("User {} unassigned from app {app}.", user.label),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: AppUserParams| async move {
        let (user, app) = direct_assignment(&ctx, &p).await?;
        Ok(format!(
            "Unassign user {} from app {app}? They lose access to it (and their app profile there) unless a group assignment still gives it.",
            user.label
        ))
    })
    .returns(acknowledgement_schema())
}

pub fn assign_group_to_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "assign_group_to_application",
            title: "Assign group to application",
            description: "Assign a group to an app (or change its priority/profile); members get the app.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: AssignGroupParams| async move {
            let mut body = json!({});
            if let Some(priority) = p.priority {
                body["priority"] = json!(priority);
            }
            if let Some(profile) = p.profile {
                body["profile"] = Value::Object(profile);
            }
            let path = ApiPath::new(paths::APPS)
                .id(&p.app_id)
                .lit("groups")
                .id(&p.group_id);
            let response = ctx.client.send(ApiRequest::put(path).json(body)).await?;
            Ok(crate::tools::field_selection::shape(response.body, None))
        },
    )
    .returns(app_group_schema())
}

pub fn unassign_group_from_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "unassign_group_from_application",
            title: "Unassign group from application",
            description: "Remove a group's assignment to an app; its members lose the app.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: AppGroupParams| async move {
            // Okta answers 204 even for a group that was never assigned; saying so is clearer.
            let path = ApiPath::new(paths::APPS)
                .id(&p.app_id)
                .lit("groups")
                .id(&p.group_id);
            ctx.client
                .send(ApiRequest::get(path.clone()))
                .await
                .map_err(|e| not_assigned(e, &p))?;
            ctx.client.send(ApiRequest::delete(path)).await?;
            Ok(json!({
                "success": true,
                "app_id": p.app_id,
                "group_id": p.group_id,
                "message": format!("Group {} unassigned from app {}.", p.group_id, p.app_id),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: AppGroupParams| async move {
        let group = group_label(&ctx, &p.group_id).await;
        let app = app_label(&ctx, &p.app_id).await;
        Ok(format!(
            "Unassign group {group} from app {app}? Members who have the app only through this group lose access to it."
        ))
    })
    .returns(acknowledgement_schema())
}

/// A user looked up for an assignment: the id Okta's paths and bodies need, and a label.
struct FoundUser {
    id: String,
    label: String,
}

async fn find_user(ctx: &ToolCtx, user_id: &str) -> Result<FoundUser, ToolError> {
    let found = ctx
        .client
        .send(ApiRequest::get(ApiPath::new(paths::USERS).id(user_id)))
        .await?
        .body;
    let id = found["id"].as_str().unwrap_or(user_id).to_owned();
    Ok(FoundUser {
        label: describe_user(&found, &id),
        id,
    })
}

/// The user and the app's label, once it is known the user is assigned to the app directly:
/// a GROUP-scoped app user cannot be unassigned on its own, so that is refused up front.
async fn direct_assignment(
    ctx: &ToolCtx,
    p: &AppUserParams,
) -> Result<(FoundUser, String), ToolError> {
    let user = find_user(ctx, &p.user_id).await?;
    let app = app_label(ctx, &p.app_id).await;
    let path = ApiPath::new(paths::APPS)
        .id(&p.app_id)
        .lit("users")
        .id(&user.id);
    let assigned = ctx.client.send(ApiRequest::get(path)).await?.body;
    if assigned["scope"] == "GROUP" {
        return Err(ToolError::Refused(format!(
            "User {} has app {app} through a group assignment, not directly; nothing was changed. Use list_application_groups to see the app's groups, then unassign_group_from_application or remove the user from the group.",
            user.label
        )));
    }
    Ok((user, app))
}

/// A 404 on the group assignment names both sides instead of Okta's bare not-found.
fn not_assigned(error: okta_client::ApiError, p: &AppGroupParams) -> ToolError {
    match &error {
        okta_client::ApiError::Okta { status: 404, .. } => ToolError::Refused(format!(
            "Group {} is not assigned to app {} (or one of them does not exist); nothing was changed. list_application_groups shows the app's groups.",
            p.group_id, p.app_id
        )),
        _ => ToolError::Api(error),
    }
}
