//! Users: list, read, profile schema, lifecycle, help-desk actions, MFA factors and CSV export.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListDocs, ListQuery, ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::support::ids::UserId;
use crate::tools::support::labels::{describe_user, user_label};
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

mod applications;
mod bulk;
mod export;
mod factors;
mod lifecycle;
mod profile_schema;

/// `/users/{id}/groups` takes no page size; Okta decides, and `after` continues.
const USER_GROUPS: ListRules = ListRules {
    default_limit: None,
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 1,
};

/// The user profile schema (`default` is the schema of the default user type).
const USER_SCHEMA: &str = "/api/v1/meta/schemas/user/default";

/// list_users' query parameters.
#[derive(Clone, Debug)]
pub struct UserList;

impl ListDocs for UserList {
    const SEARCH: Option<&'static str> = Some(
        "Okta search expression (indexed, preferred), e.g. `profile.department eq \"Engineering\" and status eq \"ACTIVE\"`. Operators: eq, sw, co, pr, gt, lt, and, or; strings in double quotes.",
    );
    const FILTER: Option<&'static str> = Some(
        "Okta filter expression on status, lastUpdated, id, type.id, e.g. `status eq \"LOCKED_OUT\"`.",
    );
    const Q: Option<&'static str> = Some("Prefix of firstName, lastName or email, e.g. `jane`.");
    const FIELDS: &'static str = "Fields to return, e.g. `id,status,profile.login`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GetUserParams {
    /// User ID (00u…) or login (e.g. jane.doe@acme.com).
    pub user_id: UserId,
    /// Fields to return, e.g. `id,status,profile`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateUserParams {
    /// Needs login, email, firstName, lastName, e.g. `{"login":"jo@acme.com","email":"jo@acme.com","firstName":"Jo","lastName":"Li"}`.
    pub profile: Map<String, Value>,
    /// false creates a STAGED user.
    #[serde(default = "yes")]
    pub activate: bool,
    /// e.g. `{"password":{"value":"…"}}`.
    #[serde(default)]
    pub credentials: Option<Map<String, Value>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UpdateUserParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// Attributes to change, e.g. `{"department":"Sales"}`.
    pub profile: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UserIdParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListUserGroupsParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// `next_cursor` of a previous result.
    #[serde(default)]
    pub after: Option<String>,
    /// Fields to return, e.g. `id,profile.name`.
    #[serde(default)]
    pub fields: Option<String>,
}

fn yes() -> bool {
    true
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_users(),
        get_user_profile_attributes(),
        get_user(),
        create_user(),
        update_user(),
        deactivate_user(),
        delete_deactivated_user(),
        export::export_users_csv(),
        list_user_groups(),
        applications::list_user_applications(),
        bulk::deactivate_users(),
        bulk::unlock_users(),
    ]
    .into_iter()
    .chain(lifecycle::tools())
    .chain(factors::tools())
    .collect()
}

pub fn list_users() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_users",
            title: "List users",
            description: "List or search users. Use `search` for most questions (department, status, login, custom attributes), `q` for a name/email prefix. Use `fields` to keep results small.",
            toolset: Toolset::Users,
            scope: Some("okta.users.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListQuery<UserList>| async move {
            let fields = p.fields()?;
            let req = p.apply(ApiRequest::get(ApiPath::new(paths::USERS)));
            listing::list(&ctx, req, &p.paging, ListRules::USUAL, fields.as_ref()).await
        },
    )
    .returns(schemas::list_of(schemas::user()))
}

pub fn get_user_profile_attributes() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_user_profile_attributes",
            title: "Get user profile attributes",
            description: "List the user profile schema's attributes (base and custom) with type and required/custom flags, e.g. before searching or creating users.",
            toolset: Toolset::Users,
            scope: Some("okta.schemas.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, _p: NoParams| async move {
            let response = ctx
                .client
                .send(ApiRequest::get(ApiPath::new(USER_SCHEMA)))
                .await?;
            Ok(profile_schema::attributes(&response.body))
        },
    )
    .returns(schemas::requiring(schemas::object(&[("schema_id", "string"), ("total", "integer"), ("base_count", "integer"), ("custom_count", "integer"), ("required", "array"), ("attributes", "array")]), &["total", "attributes"]))
}

pub fn get_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_user",
            title: "Get user",
            description: "Get one user by ID or login.",
            toolset: Toolset::Users,
            scope: Some("okta.users.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GetUserParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(paths::USERS).id(&p.user_id));
            common::object(&ctx, req, fields.as_ref()).await
        },
    )
    .returns(schemas::user())
}

pub fn create_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "create_user",
            title: "Create user",
            description: "Create a user from a profile; activated unless activate=false. Returns the user.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CreateUserParams| async move {
            if p.profile.is_empty() {
                return Err(ToolError::InvalidArguments(
                    "profile must hold at least login, email, firstName and lastName".into(),
                ));
            }
            let mut body = json!({ "profile": p.profile });
            if let Some(credentials) = p.credentials {
                body["credentials"] = Value::Object(credentials);
            }
            let req = ApiRequest::post(ApiPath::new(paths::USERS))
                .query("activate", p.activate)
                .json(body);
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::user())
}

pub fn update_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "update_user",
            title: "Update user profile",
            description: "Change some profile attributes of a user (others are kept). Returns the user.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UpdateUserParams| async move {
            if p.profile.is_empty() {
                return Err(ToolError::InvalidArguments(
                    "profile must name at least one attribute to change".into(),
                ));
            }
            // POST (not PUT) is Okta's partial update; repeating it changes nothing more.
            let req = ApiRequest::post(ApiPath::new(paths::USERS).id(&p.user_id))
                .json(json!({ "profile": p.profile }))
                .retryable();
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::user())
}

pub fn deactivate_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "deactivate_user",
            title: "Deactivate user",
            description: "Deactivate a user (DEPROVISIONED): ends sessions and app access. Required before deletion.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UserIdParams| async move {
            let path = ApiPath::new(paths::USERS)
                .id(&p.user_id)
                .lit("lifecycle/deactivate");
            ctx.client
                .send(ApiRequest::post(path).retryable())
                .await?;
            Ok(json!({
                "success": true,
                "user_id": p.user_id,
                "message": format!("User {} deactivated (DEPROVISIONED). It can now be deleted with delete_deactivated_user.", p.user_id),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: UserIdParams| async move {
        let who = user_label(&ctx, &p.user_id).await;
        Ok(format!(
            "Deactivate user {who}? This ends their sessions and removes their app access."
        ))
    })
    .returns(schemas::ack(&[("user_id", "string")]))
}

pub fn delete_deactivated_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "delete_deactivated_user",
            title: "Delete deactivated user",
            description: "Permanently delete a deactivated (DEPROVISIONED) user; refuses other statuses.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UserIdParams| async move {
            let user = ctx
                .client
                .send(ApiRequest::get(ApiPath::new(paths::USERS).id(&p.user_id)))
                .await?
                .body;
            ensure_deprovisioned(&user, &p.user_id)?;
            // Delete by the real id, even when a login was given.
            let id = user["id"].as_str().unwrap_or(&p.user_id).to_owned();
            ctx.client
                .send(ApiRequest::delete(ApiPath::new(paths::USERS).id(&id)))
                .await?;
            Ok(json!({
                "success": true,
                "user_id": id,
                "message": format!("User {} permanently deleted.", describe_user(&user, &id)),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: UserIdParams| async move {
        let req = ApiRequest::get(ApiPath::new(paths::USERS).id(&p.user_id));
        match ctx.client.send(req).await {
            Ok(found) => {
                // Asking is pointless when the call would be refused anyway.
                ensure_deprovisioned(&found.body, &p.user_id)?;
                Ok(format!(
                    "Permanently delete user {}? This cannot be undone.",
                    describe_user(&found.body, &p.user_id)
                ))
            }
            Err(_) => Ok(format!(
                "Permanently delete user {}? This cannot be undone.",
                p.user_id
            )),
        }
    })
    .returns(schemas::ack(&[("user_id", "string")]))
}

pub fn list_user_groups() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_user_groups",
            title: "List a user's groups",
            description: "List the groups a user is a member of.",
            toolset: Toolset::Users,
            scope: Some("okta.users.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListUserGroupsParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(paths::USERS).id(&p.user_id).lit("groups"));
            let paging = Paging {
                fetch_all: false,
                after: p.after,
                limit: None,
            };
            listing::list(&ctx, req, &paging, USER_GROUPS, fields.as_ref()).await
        },
    )
    .returns(schemas::list_of(schemas::group()))
}

/// Okta's DELETE on a user who is not DEPROVISIONED only deactivates them; refusing here
/// keeps "deleted" from ever being reported for a user who still exists.
fn ensure_deprovisioned(user: &Value, asked: &str) -> Result<(), ToolError> {
    let status = user["status"].as_str().unwrap_or("UNKNOWN");
    if status == "DEPROVISIONED" {
        return Ok(());
    }
    let id = user["id"].as_str().unwrap_or(asked);
    Err(ToolError::Refused(format!(
        "User {} is {status}, not deactivated; nothing was deleted. Run deactivate_user first, then delete_deactivated_user.",
        describe_user(user, id)
    )))
}
