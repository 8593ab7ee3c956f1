//! Groups: list, read, members, and (with okta.groups.manage) changes.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListDocs, ListQuery, ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::support::arguments::require_delete_word;
use crate::tools::support::ids::{GroupId, UserId};
use crate::tools::support::labels::{group_label, user_label};
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

mod bulk;
mod rules;

/// list_groups' query parameters.
#[derive(Clone, Debug)]
pub struct GroupList;

impl ListDocs for GroupList {
    const SEARCH: Option<&'static str> =
        Some("Okta search expression, e.g. `type eq \"OKTA_GROUP\"` or `profile.name sw \"Eng\"`.");
    const FILTER: Option<&'static str> =
        Some("Okta filter expression, e.g. `type eq \"APP_GROUP\"`.");
    const Q: Option<&'static str> = Some("Prefix match on the group name.");
    const FIELDS: &'static str = "Fields to return, e.g. `id,profile.name`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GroupIdParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
    /// Fields to return, e.g. `id,profile.name`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GroupOnlyParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListGroupUsersParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
    #[serde(flatten)]
    pub paging: Paging,
    /// Fields to return, e.g. `id,profile.login`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateGroupParams {
    /// e.g. `{"name":"Eng","description":"Engineers"}`.
    pub profile: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UpdateGroupParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
    /// The whole new profile, e.g. `{"name":"Eng","description":"…"}`.
    pub profile: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ConfirmDeleteGroupParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
    /// Must be exactly `DELETE`.
    pub confirmation: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct MembershipParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
    /// User ID (00u…).
    pub user_id: UserId,
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_groups(),
        get_group(),
        list_group_users(),
        list_group_apps(),
        create_group(),
        update_group(),
        delete_group(),
        confirm_delete_group(),
        add_user_to_group(),
        remove_user_from_group(),
        rules::list_group_rules(),
        rules::get_group_rule(),
        rules::create_group_rule(),
        rules::activate_group_rule(),
        rules::deactivate_group_rule(),
        rules::delete_group_rule(),
        bulk::add_users_to_group(),
        bulk::remove_users_from_group(),
    ]
}

pub fn list_groups() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_groups",
            title: "List groups",
            description: "List or search groups (OKTA_GROUP, APP_GROUP, BUILT_IN).",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListQuery<GroupList>| async move {
            let fields = p.fields()?;
            let req = p.apply(ApiRequest::get(ApiPath::new(paths::GROUPS)));
            listing::list(&ctx, req, &p.paging, ListRules::USUAL, fields.as_ref()).await
        },
    )
    .returns(schemas::list_of(schemas::group()))
}

pub fn get_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_group",
            title: "Get group",
            description: "Get one group by ID.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GroupIdParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(paths::GROUPS).id(&p.group_id));
            common::object(&ctx, req, fields.as_ref()).await
        },
    )
    .returns(schemas::group())
}

pub fn list_group_users() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_group_users",
            title: "List group members",
            description: "List a group's members.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListGroupUsersParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(paths::GROUPS).id(&p.group_id).lit("users"));
            listing::list(&ctx, req, &p.paging, ListRules::USUAL, fields.as_ref()).await
        },
    )
    .returns(schemas::list_of(schemas::user()))
}

pub fn list_group_apps() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_group_apps",
            title: "List a group's apps",
            description: "List the apps assigned to a group.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListGroupUsersParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(paths::GROUPS).id(&p.group_id).lit("apps"));
            listing::list(&ctx, req, &p.paging, ListRules::USUAL, fields.as_ref()).await
        },
    )
    .returns(schemas::list_of(schemas::application()))
}

pub fn create_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "create_group",
            title: "Create group",
            description: "Create a group (profile: name, description). Returns the group.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CreateGroupParams| async move {
            require_name(&p.profile)?;
            let req =
                ApiRequest::post(ApiPath::new(paths::GROUPS)).json(json!({ "profile": p.profile }));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::group())
}

pub fn update_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "update_group",
            title: "Update group",
            description: "Replace a group's profile; attributes left out are cleared. Returns the group.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UpdateGroupParams| async move {
            require_name(&p.profile)?;
            let req = ApiRequest::put(ApiPath::new(paths::GROUPS).id(&p.group_id))
                .json(json!({ "profile": p.profile }));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::group())
}

pub fn delete_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "delete_group",
            title: "Delete group",
            description: "Delete a group; members lose the apps assigned through it.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GroupOnlyParams| async move { delete_group_by_id(&ctx, &p.group_id).await },
    )
    .confirm_with(|ctx: ToolCtx, p: GroupOnlyParams| async move {
        Ok(delete_question(&group_label(&ctx, &p.group_id).await))
    })
    .returns(schemas::ack(&[("group_id", "string")]))
}

pub fn confirm_delete_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "confirm_delete_group",
            title: "Delete group (deprecated two-step form)",
            description: "Deprecated: use delete_group. Needs confirmation=DELETE.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ConfirmDeleteGroupParams| async move {
            require_delete_word(&p.confirmation, "group")?;
            delete_group_by_id(&ctx, &p.group_id).await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: ConfirmDeleteGroupParams| async move {
        require_delete_word(&p.confirmation, "group")?;
        Ok(delete_question(&group_label(&ctx, &p.group_id).await))
    })
    .returns(schemas::ack(&[("group_id", "string")]))
}

pub fn add_user_to_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "add_user_to_group",
            title: "Add user to group",
            description: "Add a user to a group (safe to repeat; says if already a member).",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: MembershipParams| async move {
            let already = is_member(&ctx, &p.group_id, &p.user_id).await;
            if already == Some(true) {
                return Ok(json!({
                    "success": true,
                    "already_member": true,
                    "message": format!("User {} is already a member of group {}; nothing changed.", p.user_id, p.group_id),
                }));
            }
            let path = ApiPath::new(paths::GROUPS)
                .id(&p.group_id)
                .lit("users")
                .id(&p.user_id);
            ctx.client.send(ApiRequest::put(path)).await?;
            Ok(json!({
                "success": true,
                "already_member": already,
                "message": format!("User {} added to group {}.", p.user_id, p.group_id),
            }))
        },
    )
    .returns(schemas::ack(&[("already_member", "boolean|null")]))
}

pub fn remove_user_from_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "remove_user_from_group",
            title: "Remove user from group",
            description: "Remove a user from a group.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: MembershipParams| async move {
            let path = ApiPath::new(paths::GROUPS)
                .id(&p.group_id)
                .lit("users")
                .id(&p.user_id);
            ctx.client.send(ApiRequest::delete(path)).await?;
            Ok(json!({
                "success": true,
                "message": format!("User {} removed from group {}.", p.user_id, p.group_id),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: MembershipParams| async move {
        let (user, group) = futures::join!(
            user_label(&ctx, &p.user_id),
            group_label(&ctx, &p.group_id)
        );
        Ok(format!(
            "Remove user {user} from group {group}? They lose the access granted through this group."
        ))
    })
    .returns(schemas::ack(&[]))
}

async fn delete_group_by_id(ctx: &ToolCtx, group_id: &str) -> Result<Value, ToolError> {
    ctx.client
        .send(ApiRequest::delete(ApiPath::new(paths::GROUPS).id(group_id)))
        .await?;
    Ok(json!({
        "success": true,
        "group_id": group_id,
        "message": format!("Group {group_id} deleted."),
    }))
}

fn delete_question(group: &str) -> String {
    format!(
        "Delete group {group}? Its members lose the apps assigned through it. This cannot be undone."
    )
}

fn require_name(profile: &Map<String, Value>) -> Result<(), ToolError> {
    match profile.get("name").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => Ok(()),
        _ => Err(ToolError::InvalidArguments(
            "profile.name is required, e.g. {\"name\":\"Engineering\",\"description\":\"…\"}"
                .into(),
        )),
    }
}

/// Whether the user is already in the group, from the user's group list (one call, usually
/// short). None when it cannot be told cheaply (the list has more pages, or the read failed).
async fn is_member(ctx: &ToolCtx, group_id: &str, user_id: &str) -> Option<bool> {
    let req = ApiRequest::get(ApiPath::new(paths::USERS).id(user_id).lit("groups"));
    let response = ctx.client.send(req).await.ok()?;
    let groups = response.body.as_array()?;
    if groups.iter().any(|g| g["id"] == json!(group_id)) {
        return Some(true);
    }
    match (response.next_cursor, response.unfollowed_next) {
        (None, None) => Some(false),
        _ => None,
    }
}
