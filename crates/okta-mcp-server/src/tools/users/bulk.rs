//! Bulk lifecycle changes: deactivate or unlock many users with one confirmation.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::support::bulk::{self, BulkTargets, Step};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct BulkUsersParams {
    #[serde(flatten)]
    pub targets: BulkTargets,
}

/// `POST /users/{id}/lifecycle/{operation}`: Okta documents lifecycle operations as safe to
/// repeat, so they are retried like any idempotent call.
fn lifecycle(user: &Value, operation: &'static str) -> ApiRequest {
    let id = user["id"].as_str().unwrap_or_default();
    ApiRequest::post(
        ApiPath::new(paths::USERS)
            .id(id)
            .lit("lifecycle")
            .lit(operation),
    )
    .retryable()
}

fn status(user: &Value) -> &str {
    user["status"].as_str().unwrap_or("UNKNOWN")
}

pub fn deactivate_users() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "deactivate_users",
            title: "Deactivate users",
            description: "Deactivate up to 500 users (IDs, logins or a search), with one confirmation: ends sessions and app access. Reports each user.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BulkUsersParams| async move {
            let users = p.targets.resolve(&ctx).await?;
            bulk::run(&ctx, "deactivate_users", &users, |user| async move {
                Ok(match status(&user) {
                    "DEPROVISIONED" => Step::Already("already deactivated".into()),
                    _ => Step::change(lifecycle(&user, "deactivate"), "deactivated"),
                })
            })
            .await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: BulkUsersParams| async move {
        let users = p.targets.resolve(&ctx).await?;
        bulk::question(
            "Deactivate",
            &users,
            "This ends their sessions and removes their app access.",
        )
    })
    .plans_itself()
    .returns(bulk::output_schema())
}

pub fn unlock_users() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "unlock_users",
            title: "Unlock users",
            description: "Unlock up to 500 locked-out users (IDs, logins or a search), with one confirmation. Reports each user.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BulkUsersParams| async move {
            let users = p.targets.resolve(&ctx).await?;
            bulk::run(&ctx, "unlock_users", &users, |user| async move {
                Ok(match status(&user) {
                    "LOCKED_OUT" => Step::change(lifecycle(&user, "unlock"), "unlocked"),
                    other => Step::Already(format!("not locked out (status {other})")),
                })
            })
            .await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: BulkUsersParams| async move {
        let users = p.targets.resolve(&ctx).await?;
        bulk::question(
            "Unlock",
            &users,
            "They can sign in again with their current password.",
        )
    })
    .plans_itself()
    .returns(bulk::output_schema())
}
