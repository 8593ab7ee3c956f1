//! Bulk app assignment: many users assigned to one application with one confirmation.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::support::bulk::{self, BulkTargets, Step};
use crate::tools::support::ids::AppId;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct BulkAssignParams {
    /// Application ID (0oa…).
    pub app_id: AppId,
    #[serde(flatten)]
    pub targets: BulkTargets,
}

/// The app, read before any item so an unknown app fails the call, not every item.
async fn application(ctx: &ToolCtx, app_id: &AppId) -> Result<Value, ToolError> {
    let req = ApiRequest::get(ApiPath::new(paths::APPS).id(app_id));
    Ok(ctx.client.send(req).await?.body)
}

/// `label (id)` of an app for the question; the id alone when it cannot be read.
async fn app_label(ctx: &ToolCtx, app_id: &AppId) -> String {
    match application(ctx, app_id).await {
        Ok(app) => match app["label"].as_str() {
            Some(label) => format!("{label} ({app_id})"),
            None => app_id.to_string(),
        },
        Err(_) => app_id.to_string(),
    }
}

pub fn assign_users_to_application() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "assign_users_to_application",
            title: "Assign users to application",
            description: "Assign up to 500 users (IDs, logins or a search) to an application, with one confirmation. Reports each user.",
            toolset: Toolset::Apps,
            scope: Some("okta.apps.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BulkAssignParams| async move {
            let users = p.targets.resolve(&ctx).await?;
            let app = application(&ctx, &p.app_id).await?;
            let app_id = app["id"].as_str().unwrap_or(&p.app_id).to_owned();
            bulk::run(&ctx, "assign_users_to_application", &users, |user| {
                let (ctx, app_id) = (ctx.clone(), app_id.clone());
                async move {
                    let id = user["id"].as_str().unwrap_or_default().to_owned();
                    let assigned = ApiPath::new(paths::APPS)
                        .id(&app_id)
                        .lit("users")
                        .id(&id);
                    match ctx.client.send(ApiRequest::get(assigned)).await {
                        Ok(found) => {
                            let scope = found.body["scope"].as_str().unwrap_or("USER");
                            return Ok(Step::Already(format!("already assigned (scope {scope})")));
                        }
                        Err(ApiError::Okta { status: 404, .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                    let assign = ApiRequest::post(ApiPath::new(paths::APPS).id(&app_id).lit("users"))
                        .json(json!({"id": id, "scope": "USER"}));
                    Ok(Step::change(assign, "assigned"))
                }
            })
            .await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: BulkAssignParams| async move {
        let users = p.targets.resolve(&ctx).await?;
        let app = app_label(&ctx, &p.app_id).await;
        bulk::question(
            &format!("Assign to application {app}"),
            &users,
            "They can sign in to it, and it may provision accounts for them.",
        )
    })
    .plans_itself()
    .returns(bulk::output_schema())
}
