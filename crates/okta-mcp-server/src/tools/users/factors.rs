//! A user's MFA factors (`/users/{id}/factors`): list them, reset (unenroll) one, or reset
//! them all (`/users/{id}/lifecycle/reset_factors`), so a person with a lost phone can
//! enroll again.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::field_selection;
use crate::tools::support::ids::{FactorId, UserId};
use crate::tools::support::labels::{UserNow, read_user_now, user_label};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UserFactorsParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct FactorParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// Factor ID (from list_user_factors).
    pub factor_id: FactorId,
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_user_factors(),
        reset_user_factor(),
        reset_all_user_factors(),
    ]
}

/// A factor as a result shows it: without links, and without `_embedded`, which for a
/// factor awaiting activation holds its secret (a TOTP seed, a QR code).
fn shown(mut factor: Value) -> Value {
    if let Value::Object(map) = &mut factor {
        map.remove("_embedded");
    }
    field_selection::shape(factor, None)
}

/// `sms factor (+15551234567)`: the type and what the person would recognise it by.
fn describe_factor(factor: &Value) -> String {
    let kind = factor["factorType"].as_str().unwrap_or("unknown");
    let profile = &factor["profile"];
    let detail = ["phoneNumber", "email", "name", "credentialId"]
        .iter()
        .find_map(|k| profile[*k].as_str());
    match detail {
        Some(detail) => format!("{kind} factor ({detail})"),
        None => format!("{kind} factor"),
    }
}

/// The user's enrolled factors, as Okta lists them (one unpaged list).
async fn enrolled(ctx: &ToolCtx, user_id: &str) -> Result<Vec<Value>, ToolError> {
    let path = ApiPath::new(paths::USERS).id(user_id).lit("factors");
    let body = ctx.client.send(ApiRequest::get(path)).await?.body;
    Ok(match body {
        Value::Array(items) => items,
        _ => Vec::new(),
    })
}

pub fn list_user_factors() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_user_factors",
            title: "List a user's MFA factors",
            description: "List a user's enrolled MFA factors (type, provider, status, phone/email/device).",
            toolset: Toolset::Users,
            scope: Some("okta.users.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: UserFactorsParams| async move {
            // Factor paths take the user's id; a login is looked up first.
            let user_id = if p.user_id.contains('@') {
                read_user_now(&ctx, &p.user_id).await?.id
            } else {
                p.user_id.to_string()
            };
            let items: Vec<Value> = enrolled(&ctx, &user_id)
                .await?
                .into_iter()
                .map(shown)
                .collect();
            Ok(json!({
                "total_fetched": items.len(),
                "has_more": false,
                "next_cursor": null,
                "items": items,
            }))
        },
    )
    .returns(json!({
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "factorType": {"type": "string"},
                        "status": {"type": "string"}
                    },
                    "required": ["id", "factorType", "status"]
                }
            },
            "total_fetched": {"type": "integer"},
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]}
        },
        "required": ["items", "total_fetched", "has_more"]
    }))
}

/// Okta's refusal to touch the factors of a user in this status, in plain words; `allowed`
/// says which statuses the operation needs.
fn explain_refusal(error: ApiError, owner: &UserNow, allowed: &str) -> ToolError {
    match &error {
        ApiError::Okta { status, body, .. }
            if matches!(status, 400 | 403)
                && ["E0000001", "E0000038"].contains(&body.error_code.as_str()) =>
        {
            ToolError::Refused(format!(
                "Cannot reset factors of {}: the user is {}, and {allowed}. Nothing was changed. (Okta {}: {})",
                owner.label, owner.status, body.error_code, body.error_summary
            ))
        }
        _ => ToolError::Api(error),
    }
}

pub fn reset_user_factor() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "reset_user_factor",
            title: "Reset one MFA factor",
            description: "Unenroll one MFA factor so the user can enroll it again, as after a lost phone.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: FactorParams| async move {
            let owner = read_user_now(&ctx, &p.user_id).await?;
            let path = ApiPath::new(paths::USERS)
                .id(&owner.id)
                .lit("factors")
                .id(&p.factor_id);
            let factor = ctx.client.send(ApiRequest::get(path.clone())).await?.body;
            let what = describe_factor(&factor);
            ctx.client
                .send(ApiRequest::delete(path))
                .await
                .map_err(|e| explain_refusal(e, &owner, "a deactivated user's factors cannot be reset"))?;
            Ok(json!({
                "success": true,
                "user_id": owner.id,
                "factor_id": p.factor_id,
                "factor_type": factor["factorType"],
                "message": format!("The {what} of {} is reset; they can enroll it again at their next sign-in.", owner.label),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: FactorParams| async move {
        // The factor is looked up under the user's id: factor paths take no login.
        let (who, what) = match read_user_now(&ctx, &p.user_id).await {
            Ok(owner) => {
                let path = ApiPath::new(paths::USERS)
                    .id(&owner.id)
                    .lit("factors")
                    .id(&p.factor_id);
                let what = match ctx.client.send(ApiRequest::get(path)).await {
                    Ok(found) => describe_factor(&found.body),
                    Err(_) => format!("factor {}", p.factor_id),
                };
                (owner.label, what)
            }
            Err(_) => (p.user_id.to_string(), format!("factor {}", p.factor_id)),
        };
        Ok(format!(
            "Reset the {what} of {who}? They must enroll it again before using it."
        ))
    })
    .returns(json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "user_id": {"type": "string"},
            "factor_id": {"type": "string"},
            "factor_type": {"type": "string"},
            "message": {"type": "string"}
        },
        "required": ["success", "user_id", "factor_id", "factor_type", "message"]
    }))
}

pub fn reset_all_user_factors() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "reset_all_user_factors",
            title: "Reset all MFA factors",
            description: "Unenroll all MFA factors of an ACTIVE user.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UserFactorsParams| async move {
            let owner = read_user_now(&ctx, &p.user_id).await?;
            let before = enrolled(&ctx, &owner.id).await?;
            let path = ApiPath::new(paths::USERS)
                .id(&owner.id)
                .lit("lifecycle/reset_factors");
            ctx.client
                .send(ApiRequest::post(path).retryable())
                .await
                .map_err(|e| explain_refusal(e, &owner, "Okta resets all factors only for an ACTIVE user"))?;
            let (user_id, label) = (owner.id, owner.label);
            let reset: Vec<Value> = before.iter().map(|f| f["factorType"].clone()).collect();
            let message = if reset.is_empty() {
                format!("{label} had no enrolled factors listed; the reset was sent anyway, so none is left.")
            } else {
                format!(
                    "All {} factors of {label} are reset; they enroll again at their next sign-in.",
                    reset.len()
                )
            };
            Ok(json!({
                "success": true,
                "user_id": user_id,
                "factors_reset": reset,
                "message": message,
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: UserFactorsParams| async move {
        let who = user_label(&ctx, &p.user_id).await;
        Ok(format!(
            "Reset every MFA factor of {who}? They must enroll again before they can sign in with MFA."
        ))
    })
    .returns(json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "user_id": {"type": "string"},
            "factors_reset": {"type": "array", "items": {"type": "string"}},
            "message": {"type": "string"}
        },
        "required": ["success", "user_id", "factors_reset", "message"]
    }))
}
