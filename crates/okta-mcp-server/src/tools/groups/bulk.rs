//! Bulk membership changes: many users into or out of one group with one confirmation.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::support::bulk::{self, BulkTargets, Step};
use crate::tools::support::ids::GroupId;
use crate::tools::support::labels::group_label;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct BulkMembershipParams {
    /// Group ID (00g…).
    pub group_id: GroupId,
    #[serde(flatten)]
    pub targets: BulkTargets,
}

/// The group, read before any item so an unknown group fails the call, not every item.
async fn group(ctx: &ToolCtx, group_id: &GroupId) -> Result<Value, ToolError> {
    let req = ApiRequest::get(ApiPath::new(paths::GROUPS).id(group_id));
    Ok(ctx.client.send(req).await?.body)
}

fn membership(group_id: &str, user_id: &str) -> ApiPath {
    ApiPath::new(paths::GROUPS)
        .id(group_id)
        .lit("users")
        .id(user_id)
}

fn user_id(user: &Value) -> String {
    user["id"].as_str().unwrap_or_default().to_owned()
}

pub fn add_users_to_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "add_users_to_group",
            title: "Add users to group",
            description: "Add up to 500 users (IDs, logins or a search) to a group, with one confirmation; reports each user.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BulkMembershipParams| async move {
            let users = p.targets.resolve(&ctx).await?;
            let group = group(&ctx, &p.group_id).await?;
            let group_id = group["id"].as_str().unwrap_or(&p.group_id).to_owned();
            bulk::run(&ctx, "add_users_to_group", &users, |user| {
                let (ctx, group_id) = (ctx.clone(), group_id.clone());
                async move {
                    let id = user_id(&user);
                    if super::is_member(&ctx, &group_id, &id).await == Some(true) {
                        return Ok(Step::Already("already a member".into()));
                    }
                    Ok(Step::change(
                        ApiRequest::put(membership(&group_id, &id)),
                        "added",
                    ))
                }
            })
            .await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: BulkMembershipParams| async move {
        let users = p.targets.resolve(&ctx).await?;
        let group = group_label(&ctx, &p.group_id).await;
        bulk::question(
            &format!("Add to group {group}"),
            &users,
            "They gain the apps and policies assigned through this group.",
        )
    })
    .plans_itself()
    .returns(bulk::output_schema())
}

pub fn remove_users_from_group() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "remove_users_from_group",
            title: "Remove users from group",
            description: "Remove up to 500 users (IDs, logins or a search) from a group, with one confirmation; reports each user.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: BulkMembershipParams| async move {
            let users = p.targets.resolve(&ctx).await?;
            let group = group(&ctx, &p.group_id).await?;
            let group_id = group["id"].as_str().unwrap_or(&p.group_id).to_owned();
            bulk::run(&ctx, "remove_users_from_group", &users, |user| {
                let (ctx, group_id) = (ctx.clone(), group_id.clone());
                async move {
                    let id = user_id(&user);
                    if super::is_member(&ctx, &group_id, &id).await == Some(false) {
                        return Ok(Step::Already("not a member".into()));
                    }
                    Ok(Step::change(
                        ApiRequest::delete(membership(&group_id, &id)),
                        "removed",
                    ))
                }
            })
            .await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: BulkMembershipParams| async move {
        let users = p.targets.resolve(&ctx).await?;
        let group = group_label(&ctx, &p.group_id).await;
        bulk::question(
            &format!("Remove from group {group}"),
            &users,
            "They lose the access granted through this group.",
        )
    })
    .plans_itself()
    .returns(bulk::output_schema())
}
