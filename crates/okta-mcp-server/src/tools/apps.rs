//! Applications: list, read, create/replace, lifecycle, delete, and the OIN catalogue.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListDocs, ListQuery, ListRules, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::support::arguments::require_delete_word;
use crate::tools::support::ids::AppId;
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

mod assignments;
mod bulk;
mod catalog;
mod saml_metadata;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListAppsParams {
    /// e.g. `user/00u…`.
    #[serde(default)]
    pub expand: Option<String>,
    /// Okta's includeNonDeleted.
    #[serde(default)]
    pub include_non_deleted: Option<bool>,
    #[serde(flatten)]
    pub query: ListQuery<AppList>,
}

/// list_applications' query parameters.
#[derive(Clone, Debug)]
pub struct AppList;

impl ListDocs for AppList {
    const FILTER: Option<&'static str> =
        Some("e.g. `status eq \"ACTIVE\"`, `user.id eq \"00u…\"`, `group.id eq \"00g…\"`.");
    const Q: Option<&'static str> = Some("Name or label prefix.");
    const FIELDS: &'static str = "Fields to return, e.g. `id,label,status`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct GetAppParams {
    /// Application ID (0oa…).
    pub app_id: AppId,
    /// e.g. `user/00u…`.
    #[serde(default)]
    pub expand: Option<String>,
    /// Fields to return, e.g. `id,label,settings`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct AppIdParams {
    /// Application ID (0oa…).
    pub app_id: AppId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateAppParams {
    /// Okta app JSON, e.g. `{"name":"bookmark","label":"Wiki","signOnMode":"BOOKMARK","settings":{"app":{"url":"https://…"}}}`.
    pub app_config: Map<String, Value>,
    /// Activate the app on creation.
    #[serde(default = "yes")]
    pub activate: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UpdateAppParams {
    /// Application ID (0oa…).
    pub app_id: AppId,
    /// The whole app, e.g. a get_application result with changes.
    pub app_config: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ConfirmDeleteAppParams {
    /// Application ID (0oa…).
    pub app_id: AppId,
    /// Must be exactly `DELETE`.
    pub confirmation: String,
}

fn yes() -> bool {
    true
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_applications(),
        get_application(),
        create_application(),
        update_application(),
        delete_application(),
        confirm_delete_application(),
        activate_application(),
        deactivate_application(),
        catalog::list_catalog_apps(),
        catalog::get_catalog_app(),
        catalog::install_oin_app(),
        assignments::list_application_users(),
        assignments::list_application_groups(),
        assignments::assign_user_to_application(),
        assignments::update_application_user(),
        assignments::unassign_user_from_application(),
        assignments::assign_group_to_application(),
        assignments::unassign_group_from_application(),
        saml_metadata::get_application_saml_metadata(),
        bulk::assign_users_to_application(),
    ]
}

pub fn list_applications() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_applications",
            title: "List applications",
            description: "List apps, optionally filtered by status, name, group or user.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListAppsParams| async move {
            let fields = p.query.fields()?;
            let req = p
                .query
                .apply(ApiRequest::get(ApiPath::new(paths::APPS)))
                .query_opt("expand", p.expand.filter(|s| !s.trim().is_empty()))
                .query_opt("includeNonDeleted", p.include_non_deleted);
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
    .returns(schemas::list_of(schemas::application()))
}

pub fn get_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_application",
            title: "Get application",
            description: "Get one app by ID.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: GetAppParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(ApiPath::new(paths::APPS).id(&p.app_id))
                .query_opt("expand", p.expand.filter(|s| !s.trim().is_empty()));
            common::object(&ctx, req, fields.as_ref()).await
        },
    )
    .returns(schemas::application())
}

pub fn create_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "create_application",
            title: "Create application",
            description: "Create an app from Okta app JSON (passed through). For catalogue apps use install_oin_app.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CreateAppParams| async move {
            if !p.app_config.contains_key("signOnMode") {
                return Err(ToolError::InvalidArguments(
                    "app_config.signOnMode is required, e.g. BOOKMARK, SAML_2_0, OPENID_CONNECT"
                        .into(),
                ));
            }
            let req = ApiRequest::post(ApiPath::new(paths::APPS))
                .query("activate", p.activate)
                .json(Value::Object(p.app_config));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::application())
}

pub fn update_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "update_application",
            title: "Replace application",
            description: "Replace an app (full PUT). Returns the app.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UpdateAppParams| async move {
            let req = ApiRequest::put(ApiPath::new(paths::APPS).id(&p.app_id))
                .json(Value::Object(p.app_config));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::application())
}

pub fn delete_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "delete_application",
            title: "Delete application",
            description: "Delete an INACTIVE app and its assignments (deactivate it first).",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: AppIdParams| async move { delete_app(&ctx, &p.app_id).await },
    )
    .confirm_with(
        |ctx: ToolCtx, p: AppIdParams| async move { delete_question(&ctx, &p.app_id).await },
    )
    .returns(schemas::ack(&[("app_id", "string")]))
}

pub fn confirm_delete_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "confirm_delete_application",
            title: "Delete application (deprecated two-step form)",
            description: "Deprecated: use delete_application. Needs confirmation=DELETE.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ConfirmDeleteAppParams| async move {
            require_delete_word(&p.confirmation, "application")?;
            delete_app(&ctx, &p.app_id).await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: ConfirmDeleteAppParams| async move {
        require_delete_word(&p.confirmation, "application")?;
        delete_question(&ctx, &p.app_id).await
    })
    .returns(schemas::ack(&[("app_id", "string")]))
}

pub fn activate_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "activate_application",
            title: "Activate application",
            description: "Activate an app.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: AppIdParams| async move {
            lifecycle(&ctx, &p.app_id, "lifecycle/activate", "activated").await
        },
    )
    .returns(schemas::ack(&[("app_id", "string")]))
}

pub fn deactivate_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "deactivate_application",
            title: "Deactivate application",
            description: "Deactivate an app; assigned users lose access.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: AppIdParams| async move {
            lifecycle(&ctx, &p.app_id, "lifecycle/deactivate", "deactivated").await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: AppIdParams| async move {
        let app = app_label(&ctx, &p.app_id).await;
        Ok(format!(
            "Deactivate app {app}? Assigned users lose access to it until it is activated again."
        ))
    })
    .returns(schemas::ack(&[("app_id", "string")]))
}

async fn lifecycle(
    ctx: &ToolCtx,
    app_id: &str,
    operation: &'static str,
    done: &str,
) -> Result<Value, ToolError> {
    let path = ApiPath::new(paths::APPS).id(app_id).lit(operation);
    ctx.client.send(ApiRequest::post(path).retryable()).await?;
    Ok(json!({
        "success": true,
        "app_id": app_id,
        "message": format!("Application {app_id} {done}."),
    }))
}

async fn delete_app(ctx: &ToolCtx, app_id: &str) -> Result<Value, ToolError> {
    let app = ctx
        .client
        .send(ApiRequest::get(ApiPath::new(paths::APPS).id(app_id)))
        .await?
        .body;
    ensure_inactive(&app, app_id)?;
    ctx.client
        .send(ApiRequest::delete(ApiPath::new(paths::APPS).id(app_id)))
        .await?;
    Ok(json!({
        "success": true,
        "app_id": app_id,
        "message": format!("Application {} deleted.", describe(&app, app_id)),
    }))
}

async fn delete_question(ctx: &ToolCtx, app_id: &str) -> Result<String, ToolError> {
    let req = ApiRequest::get(ApiPath::new(paths::APPS).id(app_id));
    let name = match ctx.client.send(req).await {
        Ok(found) => {
            // No point asking for a delete Okta would refuse.
            ensure_inactive(&found.body, app_id)?;
            describe(&found.body, app_id)
        }
        Err(_) => app_id.to_owned(),
    };
    Ok(format!(
        "Permanently delete app {name} and all its user and group assignments? This cannot be undone."
    ))
}

/// Okta refuses to delete an ACTIVE app; saying so up front beats a bare 403.
fn ensure_inactive(app: &Value, app_id: &str) -> Result<(), ToolError> {
    if app["status"] == "ACTIVE" {
        return Err(ToolError::Refused(format!(
            "App {} is ACTIVE; Okta deletes only inactive apps. Run deactivate_application first, then delete it.",
            describe(app, app_id)
        )));
    }
    Ok(())
}

fn describe(app: &Value, app_id: &str) -> String {
    match app["label"].as_str() {
        Some(label) => format!("{label} ({app_id})"),
        None => app_id.to_owned(),
    }
}

/// Names an app for a confirmation prompt; falls back to the id if the lookup fails.
async fn app_label(ctx: &ToolCtx, app_id: &str) -> String {
    if app_id.trim().is_empty() {
        return app_id.to_owned();
    }
    let req = ApiRequest::get(ApiPath::new(paths::APPS).id(app_id));
    match ctx.client.send(req).await {
        Ok(found) => describe(&found.body, app_id),
        Err(_) => app_id.to_owned(),
    }
}
