//! Help-desk lifecycle tools: unlock, suspend and unsuspend, activate and reactivate, reset
//! and expire passwords, clear sessions (Okta's `/users/{id}/lifecycle/*` and
//! `/users/{id}/sessions`).
//!
//! Each reads the user first (for the login the result names and the status before), then
//! makes its one write, so a plan stops at that write. A refusal because of the user's status
//! is said in plain words ("… is ACTIVE; only a LOCKED_OUT user can be unlocked"). One-time
//! secrets Okta hands back (activation links, reset links, temporary passwords) go into the
//! result once and nowhere else: not into a log line, an error or the audit journal.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::support::ids::UserId;
use crate::tools::support::labels::{UserNow, read_user_now, user_label};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiError, ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UserParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ActivateParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// false: return the one-time link instead of emailing it.
    #[serde(default = "yes")]
    pub send_email: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ResetPasswordParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// false: return the one-time link instead of emailing it.
    #[serde(default = "yes")]
    pub send_email: bool,
    /// Also end their sessions.
    #[serde(default)]
    pub revoke_sessions: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ExpirePasswordParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// Also set a temporary password, returned once.
    #[serde(default)]
    pub temp_password: bool,
    /// With temp_password: also end their sessions.
    #[serde(default)]
    pub revoke_sessions: bool,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ClearSessionsParams {
    /// User ID (00u…) or login.
    pub user_id: UserId,
    /// Also revoke their OAuth/OIDC tokens.
    #[serde(default)]
    pub oauth_tokens: bool,
}

fn yes() -> bool {
    true
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        unlock_user(),
        suspend_user(),
        unsuspend_user(),
        activate_user(),
        reactivate_user(),
        reset_user_password(),
        expire_user_password(),
        clear_user_sessions(),
    ]
}

/// One lifecycle operation: its path segment, how messages name it, and the statuses Okta
/// allows it from, in words.
struct Operation {
    path: &'static str,
    /// "unlock", for "Cannot unlock …".
    verb: &'static str,
    /// "only a LOCKED_OUT user can be unlocked".
    allowed: &'static str,
}

const UNLOCK: Operation = Operation {
    path: "lifecycle/unlock",
    verb: "unlock",
    allowed: "only a LOCKED_OUT user can be unlocked",
};
const SUSPEND: Operation = Operation {
    path: "lifecycle/suspend",
    verb: "suspend",
    allowed: "only an ACTIVE user can be suspended",
};
const UNSUSPEND: Operation = Operation {
    path: "lifecycle/unsuspend",
    verb: "unsuspend",
    allowed: "only a SUSPENDED user can be unsuspended",
};
const ACTIVATE: Operation = Operation {
    path: "lifecycle/activate",
    verb: "activate",
    allowed: "only a STAGED or DEPROVISIONED user can be activated; for a PROVISIONED user who never finished activating, use reactivate_user",
};
const REACTIVATE: Operation = Operation {
    path: "lifecycle/reactivate",
    verb: "reactivate",
    allowed: "only a PROVISIONED or RECOVERY user (activation not finished) can be reactivated; a STAGED or DEPROVISIONED user is activated with activate_user",
};
const RESET_PASSWORD: Operation = Operation {
    path: "lifecycle/reset_password",
    verb: "reset the password of",
    allowed: "a password can be reset only for an ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT or RECOVERY user",
};
const EXPIRE_PASSWORD: Operation = Operation {
    path: "lifecycle/expire_password",
    verb: "expire the password of",
    allowed: "only the password of an ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT or RECOVERY user can be expired",
};
const EXPIRE_WITH_TEMP_PASSWORD: Operation = Operation {
    path: "lifecycle/expire_password_with_temp_password",
    ..EXPIRE_PASSWORD
};

/// Okta error codes that mean "not in this status" (validation, already active, reset not
/// allowed, unlock not allowed, operation not allowed in the current status).
const WRONG_STATUS_CODES: [&str; 5] = ["E0000001", "E0000016", "E0000017", "E0000032", "E0000038"];

/// Turns Okta's refusal of `op` for the user's status into plain words naming the user, the
/// status and what the operation needs; any other error is passed on as it is.
fn explain_refusal(error: ApiError, op: &Operation, target: &UserNow) -> ToolError {
    match &error {
        ApiError::Okta { status, body, .. }
            if matches!(status, 400 | 403)
                && WRONG_STATUS_CODES.contains(&body.error_code.as_str()) =>
        {
            ToolError::Refused(format!(
                "Cannot {} {}: the user is {}, and {}. Nothing was changed. (Okta {}: {})",
                op.verb,
                target.label,
                target.status,
                op.allowed,
                body.error_code,
                body.error_summary
            ))
        }
        _ => ToolError::Api(error),
    }
}

/// Sends the operation's one write for `target`, with its query parameters.
async fn send(
    ctx: &ToolCtx,
    op: &Operation,
    target: &UserNow,
    query: &[(&str, bool)],
    retryable: bool,
) -> Result<Value, ToolError> {
    let mut request = ApiRequest::post(ApiPath::new(paths::USERS).id(&target.id).lit(op.path));
    for (name, value) in query {
        request = request.query(name, value);
    }
    if retryable {
        request = request.retryable();
    }
    match ctx.client.send(request).await {
        Ok(response) => Ok(response.body),
        Err(e) => Err(explain_refusal(e, op, target)),
    }
}

/// The result every status change answers with; `extra` adds the one-time values.
fn changed(target: &UserNow, status: &str, message: String, extra: Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert("success".into(), json!(true));
    out.insert("user_id".into(), json!(target.id));
    out.insert("previous_status".into(), json!(target.status));
    out.insert("status".into(), json!(status));
    out.insert("message".into(), json!(message));
    out.extend(extra);
    Value::Object(out)
}

/// The outputSchema of [`changed`], with the optional one-time fields named in `extra`.
fn changed_schema(extra: &[&str]) -> Value {
    let mut properties = json!({
        "success": {"type": "boolean"},
        "user_id": {"type": "string"},
        "previous_status": {"type": "string"},
        "status": {"type": "string"},
        "message": {"type": "string"}
    });
    for field in extra {
        properties[*field] = json!({"type": "string"});
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": ["success", "user_id", "previous_status", "status", "message"]
    })
}

/// What to tell the person about a one-time secret in the result.
const SHOWN_ONCE: &str = "It is shown only here, once: pass it to the user over a trusted channel; this server does not log or keep it.";

/// A status change with no secret in its answer: read, write, report.
async fn plain_change(
    ctx: &ToolCtx,
    user_id: &str,
    op: &Operation,
    status_after: &str,
    done: &str,
) -> Result<Value, ToolError> {
    let target = read_user_now(ctx, user_id).await?;
    send(ctx, op, &target, &[], true).await?;
    let message = format!(
        "User {} {done} ({} → {status_after}).",
        target.label, target.status
    );
    Ok(changed(&target, status_after, message, Map::new()))
}

pub fn unlock_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "unlock_user",
            title: "Unlock user",
            description: "Unlock a LOCKED_OUT user; they sign in with their current password.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UserParams| async move {
            plain_change(&ctx, &p.user_id, &UNLOCK, "ACTIVE", "unlocked").await
        },
    )
    .returns(changed_schema(&[]))
}

pub fn suspend_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "suspend_user",
            title: "Suspend user",
            description: "Suspend an ACTIVE user: no sign-in until unsuspended; groups and apps are kept.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UserParams| async move {
            plain_change(&ctx, &p.user_id, &SUSPEND, "SUSPENDED", "suspended").await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: UserParams| async move {
        let who = user_label(&ctx, &p.user_id).await;
        Ok(format!(
            "Suspend user {who}? They cannot sign in until unsuspended."
        ))
    })
    .returns(changed_schema(&[]))
}

pub fn unsuspend_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "unsuspend_user",
            title: "Unsuspend user",
            description: "Return a SUSPENDED user to ACTIVE.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: UserParams| async move {
            plain_change(&ctx, &p.user_id, &UNSUSPEND, "ACTIVE", "unsuspended").await
        },
    )
    .returns(changed_schema(&[]))
}

/// The one-time activation link and token of an activation Okta did not email.
fn activation_secrets(body: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for (from, to) in [
        ("activationUrl", "activation_url"),
        ("activationToken", "activation_token"),
    ] {
        if let Some(value) = body[from].as_str() {
            out.insert(to.into(), json!(value));
        }
    }
    out
}

/// Activate and reactivate: the write, then the status Okta settled on (ACTIVE, or
/// PROVISIONED until the user finishes), and the link when it was not emailed.
async fn activation(
    ctx: &ToolCtx,
    p: ActivateParams,
    op: &Operation,
    done: &str,
) -> Result<Value, ToolError> {
    let target = read_user_now(ctx, &p.user_id).await?;
    let body = send(ctx, op, &target, &[("sendEmail", p.send_email)], false).await?;
    let after = ctx
        .client
        .send(ApiRequest::get(ApiPath::new(paths::USERS).id(&target.id)))
        .await?
        .body;
    let status = after["status"].as_str().unwrap_or("UNKNOWN").to_owned();
    let secrets = activation_secrets(&body);
    let how = if p.send_email {
        "Okta emailed the activation link to the user.".to_owned()
    } else if secrets.is_empty() {
        "No email was sent, and Okta returned no activation link (the user has a password and signs in with it).".to_owned()
    } else {
        format!(
            "No email was sent; activation_url is the user's one-time activation link. {SHOWN_ONCE}"
        )
    };
    let message = format!(
        "User {} {done} ({} → {status}). {how}",
        target.label, target.status
    );
    Ok(changed(&target, &status, message, secrets))
}

pub fn activate_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "activate_user",
            title: "Activate user",
            description: "Activate a STAGED or DEPROVISIONED user; send_email=false returns the one-time activation link.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ActivateParams| async move {
            activation(&ctx, p, &ACTIVATE, "activated").await
        },
    )
    .returns(changed_schema(&["activation_url", "activation_token"]))
}

pub fn reactivate_user() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "reactivate_user",
            title: "Reactivate user",
            description: "New activation link for a PROVISIONED user who never finished; send_email=false returns it.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ActivateParams| async move {
            activation(&ctx, p, &REACTIVATE, "reactivated").await
        },
    )
    .returns(changed_schema(&["activation_url", "activation_token"]))
}

pub fn reset_user_password() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "reset_user_password",
            title: "Reset user password",
            description: "Start a password reset (user goes to RECOVERY); send_email=false returns the one-time reset URL.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ResetPasswordParams| async move {
            let target = read_user_now(&ctx, &p.user_id).await?;
            let query = [
                ("sendEmail", p.send_email),
                ("revokeSessions", p.revoke_sessions),
            ];
            let body = send(&ctx, &RESET_PASSWORD, &target, &query, false).await?;
            let mut secrets = Map::new();
            if let Some(url) = body["resetPasswordUrl"].as_str() {
                secrets.insert("reset_password_url".into(), json!(url));
            }
            let how = if p.send_email {
                "Okta emailed the reset link to the user.".to_owned()
            } else {
                format!("No email was sent; reset_password_url is the user's one-time reset link. {SHOWN_ONCE}")
            };
            let sessions = if p.revoke_sessions {
                " Their sessions were ended."
            } else {
                ""
            };
            let message = format!(
                "Password reset started for {} ({} → RECOVERY).{sessions} {how}",
                target.label, target.status
            );
            Ok(changed(&target, "RECOVERY", message, secrets))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: ResetPasswordParams| async move {
        let who = user_label(&ctx, &p.user_id).await;
        let how = if p.send_email {
            "Okta emails them a reset link"
        } else {
            "you get a one-time reset link to hand over"
        };
        Ok(format!(
            "Reset the password of {who}? They cannot sign in until they set a new one; {how}."
        ))
    })
    .returns(changed_schema(&["reset_password_url"]))
}

/// Okta revokes sessions only along with a temporary password.
fn check_expire_args(p: &ExpirePasswordParams) -> Result<(), ToolError> {
    if p.revoke_sessions && !p.temp_password {
        return Err(ToolError::InvalidArguments(
            "revoke_sessions applies only with temp_password: true; to end the sessions of a user whose password you expire, call clear_user_sessions".into(),
        ));
    }
    Ok(())
}

pub fn expire_user_password() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "expire_user_password",
            title: "Expire user password",
            description: "Expire a password (changed at next sign-in); temp_password=true sets a temporary one, returned once.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ExpirePasswordParams| async move {
            check_expire_args(&p)?;
            let target = read_user_now(&ctx, &p.user_id).await?;
            if !p.temp_password {
                let user = send(&ctx, &EXPIRE_PASSWORD, &target, &[], true).await?;
                let status = user["status"].as_str().unwrap_or("PASSWORD_EXPIRED");
                let message = format!(
                    "The password of {} is expired ({} → {status}); they must choose a new one at their next sign-in.",
                    target.label, target.status
                );
                return Ok(changed(&target, status, message, Map::new()));
            }
            let query = [("revokeSessions", p.revoke_sessions)];
            let body = send(&ctx, &EXPIRE_WITH_TEMP_PASSWORD, &target, &query, false).await?;
            let mut secrets = Map::new();
            if let Some(password) = body["tempPassword"].as_str() {
                secrets.insert("temp_password".into(), json!(password));
            }
            let sessions = if p.revoke_sessions {
                " Their sessions were ended."
            } else {
                ""
            };
            let message = format!(
                "The password of {} is replaced by temp_password and expired ({} → PASSWORD_EXPIRED): they sign in with it once and must then choose their own.{sessions} {SHOWN_ONCE}",
                target.label, target.status
            );
            Ok(changed(&target, "PASSWORD_EXPIRED", message, secrets))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: ExpirePasswordParams| async move {
        // Checked before anyone is asked: a prompt for a call that cannot run is noise.
        check_expire_args(&p)?;
        let who = user_label(&ctx, &p.user_id).await;
        Ok(if p.temp_password {
            format!(
                "Replace the password of {who} with a temporary one and expire it? Their current password stops working."
            )
        } else {
            format!("Expire the password of {who}? They must choose a new one at their next sign-in.")
        })
    })
    .returns(changed_schema(&["temp_password"]))
}

pub fn clear_user_sessions() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "clear_user_sessions",
            title: "Clear user sessions",
            description: "End all of a user's Okta sessions; oauth_tokens=true also revokes their OAuth tokens.",
            toolset: Toolset::Users,
            scope: Some("okta.users.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: ClearSessionsParams| async move {
            let target = read_user_now(&ctx, &p.user_id).await?;
            let path = ApiPath::new(paths::USERS).id(&target.id).lit("sessions");
            ctx.client
                .send(ApiRequest::delete(path).query("oauthTokens", p.oauth_tokens))
                .await?;
            let tokens = if p.oauth_tokens {
                " and their OIDC/OAuth tokens revoked"
            } else {
                ""
            };
            Ok(json!({
                "success": true,
                "user_id": target.id,
                "oauth_tokens_revoked": p.oauth_tokens,
                "message": format!("Sessions of {} ended{tokens}; they must sign in again.", target.label),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: ClearSessionsParams| async move {
        let who = user_label(&ctx, &p.user_id).await;
        let tokens = if p.oauth_tokens {
            " and revoke their OIDC/OAuth tokens"
        } else {
            ""
        };
        Ok(format!(
            "End every session of {who}{tokens}? They must sign in again everywhere."
        ))
    })
    .returns(json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "user_id": {"type": "string"},
            "oauth_tokens_revoked": {"type": "boolean"},
            "message": {"type": "string"}
        },
        "required": ["success", "user_id", "oauth_tokens_revoked", "message"]
    }))
}
