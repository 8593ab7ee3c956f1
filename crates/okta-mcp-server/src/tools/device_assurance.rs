//! Device assurance policies, with each platform's own rules checked before Okta sees them.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::ToolCtx;
use crate::tools::error::ToolError;
use crate::tools::page_walk::{Observer, PageWalk, WalkEnd};
use crate::tools::support::ids::DeviceAssuranceId;
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

mod rules;

/// Policies listed at most (Okta returns them in one response).
const MAX_PAGES: usize = 20;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Platform {
    Android,
    Chromeos,
    Ios,
    Macos,
    Windows,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListParams {
    /// Flag policies whose osVersion.minimum is below this, e.g. `17.0.0`.
    #[serde(default)]
    pub version_threshold: Option<String>,
    /// Platform filter.
    #[serde(default)]
    pub platform: Option<Platform>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct IdParams {
    /// Device assurance policy ID (dae…).
    pub device_assurance_id: DeviceAssuranceId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateParams {
    /// e.g. `{"name":"Macs","platform":"MACOS","osVersion":{"minimum":"14.2.1"},"diskEncryptionType":{"include":["ALL_INTERNAL_VOLUMES"]},"secureHardwarePresent":true}`.
    pub policy_data: Map<String, Value>,
    /// Sets osVersion.minimum, e.g. `17.4.1` (Android: `14` is fine).
    #[serde(default)]
    pub user_stated_os_version: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ReplaceParams {
    /// Device assurance policy ID (dae…).
    pub device_assurance_id: DeviceAssuranceId,
    /// The whole new policy; name and platform default to the current ones.
    pub policy_data: Map<String, Value>,
    /// Sets osVersion.minimum.
    #[serde(default)]
    pub user_stated_os_version: Option<String>,
}

fn spec(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    effect: Effect,
) -> ToolSpec {
    let scope = if effect == Effect::Read {
        "okta.deviceAssurance.read"
    } else {
        "okta.deviceAssurance.manage"
    };
    ToolSpec {
        name,
        title,
        description,
        toolset: Toolset::DeviceAssurance,
        scope: Some(scope),
        effect,
        result_kind: ResultKind::Object,
    }
}

fn path(id: &str) -> ApiPath {
    ApiPath::new(paths::DEVICE_ASSURANCES).id(id)
}

pub fn tools() -> Vec<ToolDef> {
    vec![
        list_device_assurance_policies(),
        get_device_assurance_policy(),
        create_device_assurance_policy(),
        replace_device_assurance_policy(),
        delete_device_assurance_policy(),
    ]
}

pub fn list_device_assurance_policies() -> ToolDef {
    ToolDef::new(
        spec(
            "list_device_assurance_policies",
            "List device assurance policies",
            "List device assurance policies; version_threshold flags those whose minimum OS is below it.",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: ListParams| async move { list(&ctx, p).await },
    )
    .returns(schemas::requiring(schemas::with(schemas::object(&[("total", "integer"), ("retrieved_at", "string"), ("stopped_early", "boolean"), ("stop_reason", "string"), ("note", "string"), ("version_threshold", "string"), ("below_threshold", "array")]), vec![("policies", schemas::array_of(schemas::device_assurance()))]), &["total", "retrieved_at", "policies"]))
}

pub fn get_device_assurance_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "get_device_assurance_policy",
            "Get device assurance policy",
            "Get one device assurance policy.",
            Effect::Read,
        ),
        |ctx: ToolCtx, p: IdParams| async move {
            let found = ctx
                .client
                .send(ApiRequest::get(path(&p.device_assurance_id)))
                .await?;
            Ok(shaped(found.body))
        },
    )
    .returns(schemas::device_assurance())
}

pub fn create_device_assurance_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "create_device_assurance_policy",
            "Create device assurance policy",
            "Create a device assurance policy; each platform's allowed checks and version format are enforced.",
            Effect::Write { idempotent: false },
        ),
        |ctx: ToolCtx, p: CreateParams| async move {
            let body = prepare(p.policy_data, p.user_stated_os_version.as_deref(), None)?;
            let req =
                ApiRequest::post(ApiPath::new(paths::DEVICE_ASSURANCES)).json(Value::Object(body));
            let created = ctx.client.send(req).await?;
            Ok(shaped(created.body))
        },
    )
    .returns(schemas::device_assurance())
}

pub fn replace_device_assurance_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "replace_device_assurance_policy",
            "Replace device assurance policy",
            "Replace a device assurance policy; returns before, after and the changes (show them to the user).",
            Effect::Write { idempotent: true },
        ),
        |ctx: ToolCtx, p: ReplaceParams| async move {
            let before = ctx
                .client
                .send(ApiRequest::get(path(&p.device_assurance_id)))
                .await?
                .body;
            let body = prepare(
                p.policy_data,
                p.user_stated_os_version.as_deref(),
                Some(&before),
            )?;
            let req = ApiRequest::put(path(&p.device_assurance_id)).json(Value::Object(body));
            let after = ctx.client.send(req).await?.body;
            let before = crate::tools::field_selection::shape(before, None);
            let after = crate::tools::field_selection::shape(after, None);
            Ok(json!({
                "changes": rules::changes(&before, &after),
                "before": rules::enrich(before),
                "after": rules::enrich(after),
                "_display_required": true,
            }))
        },
    )
    .returns(schemas::requiring(schemas::object(&[("changes", "array"), ("before", "object"), ("after", "object"), ("_display_required", "boolean")]), &["changes", "before", "after"]))
}

pub fn delete_device_assurance_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "delete_device_assurance_policy",
            "Delete device assurance policy",
            "Delete a device assurance policy (not while a rule uses it).",
            Effect::Destructive { idempotent: true },
        ),
        |ctx: ToolCtx, p: IdParams| async move {
            ctx.client
                .send(ApiRequest::delete(path(&p.device_assurance_id)))
                .await?;
            Ok(json!({
                "success": true,
                "message": format!("Device assurance policy {} deleted.", p.device_assurance_id),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: IdParams| async move {
        let id = p.device_assurance_id;
        let name = match ctx.client.send(ApiRequest::get(path(&id))).await {
            Ok(found) => match (found.body["name"].as_str(), found.body["platform"].as_str()) {
                (Some(n), Some(pl)) => format!("\"{n}\" ({pl}, {id})"),
                _ => id.to_string(),
            },
            Err(_) => id.to_string(),
        };
        Ok(format!(
            "Delete device assurance policy {name}? Sign-in rules that relied on it stop checking these devices. This cannot be undone."
        ))
    })
    .returns(schemas::ack(&[]))
}

fn shaped(policy: Value) -> Value {
    rules::enrich(crate::tools::field_selection::shape(policy, None))
}

/// The body to send: read-only fields dropped, name/platform kept from `current` when not
/// given (a platform cannot change), user_stated_os_version folded in, then validated.
fn prepare(
    mut body: Map<String, Value>,
    stated: Option<&str>,
    current: Option<&Value>,
) -> Result<Map<String, Value>, ToolError> {
    for key in rules::READ_ONLY {
        body.remove(key);
    }
    // What this server adds to its own results, in case a result is sent back.
    body.remove("securityAttributeStatus");
    body.remove("below_version_threshold");
    if let Some(platform) = body.get_mut("platform")
        && let Some(p) = platform.as_str()
    {
        *platform = json!(p.trim().to_ascii_uppercase());
    }
    if let Some(current) = current {
        for key in ["name", "platform"] {
            if body.get(key).is_none_or(Value::is_null)
                && let Some(v) = current.get(key)
            {
                body.insert(key.into(), v.clone());
            }
        }
        if current.get("platform") != body.get("platform") {
            return Err(ToolError::InvalidArguments(format!(
                "the platform of a device assurance policy cannot change (it is {}); create a new policy instead",
                current["platform"]
            )));
        }
    }
    if let Some(version) = stated.map(str::trim).filter(|v| !v.is_empty()) {
        let given = body
            .get("osVersion")
            .and_then(|o| o.get("minimum"))
            .and_then(Value::as_str);
        if let Some(given) = given
            && given != version
        {
            return Err(ToolError::InvalidArguments(format!(
                "user_stated_os_version {version:?} and policy_data.osVersion.minimum {given:?} disagree; give one"
            )));
        }
        body.insert("osVersion".into(), json!({ "minimum": version }));
    }
    rules::validate(&body).map_err(ToolError::InvalidArguments)?;
    Ok(body)
}

async fn list(ctx: &ToolCtx, p: ListParams) -> Result<Value, ToolError> {
    let threshold = p
        .version_threshold
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    if let Some(t) = &threshold
        && rules::compare(t, t).is_none()
    {
        return Err(ToolError::InvalidArguments(format!(
            "version_threshold {t:?} must be dot-separated numbers, e.g. 17.0.0"
        )));
    }
    let platform = p.platform.map(|pl| {
        serde_json::to_value(pl)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    });

    let mut policies = Vec::new();
    let request = ApiRequest::get(ApiPath::new(paths::DEVICE_ASSURANCES));
    let observer = Observer::of(ctx);
    let mut pages = PageWalk::new(&observer, ctx.client.pages(request), MAX_PAGES);
    while let Some(page) = pages.next().await {
        let before = policies.len();
        policies.extend(
            page.items
                .into_iter()
                .filter(|d| platform.as_deref().is_none_or(|pl| d["platform"] == pl))
                .map(shaped),
        );
        pages.took((policies.len() - before) as u64);
    }
    let stop_reason = match pages.finish().end {
        WalkEnd::Failed(error) => return Err(error.into()),
        WalkEnd::Cancelled => Some("cancelled by the client".to_owned()),
        WalkEnd::Unfollowed(reason) => Some(reason),
        WalkEnd::Complete | WalkEnd::Stopped | WalkEnd::PageCap { .. } => None,
    };

    let mut out = json!({
        "total": policies.len(),
        "retrieved_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if let Some(reason) = stop_reason {
        out["stopped_early"] = json!(true);
        out["stop_reason"] = json!(reason);
    }
    if let Some(threshold) = threshold {
        let mut below = Vec::new();
        let mut uncompared = 0;
        for policy in &mut policies {
            let minimum = policy["osVersion"]["minimum"].as_str().map(str::to_owned);
            let flag = minimum
                .as_deref()
                .and_then(|m| rules::compare(m, &threshold))
                .map(|o| o == std::cmp::Ordering::Less);
            match flag {
                Some(true) => below.push(json!({
                    "id": policy["id"], "name": policy["name"],
                    "platform": policy["platform"], "minimum": minimum,
                })),
                Some(false) => {}
                None => uncompared += 1,
            }
            policy["below_version_threshold"] = flag.map(Value::Bool).unwrap_or(Value::Null);
        }
        out["note"] = json!(format!(
            "{} of {} policies require a minimum OS version below {threshold}; {uncompared} have no static minimum (dynamic, or no OS check) and were not compared. Versions are compared across platforms as numbers, so pass `platform` for a like-for-like check.",
            below.len(),
            policies.len()
        ));
        out["version_threshold"] = json!(threshold);
        out["below_threshold"] = Value::Array(below);
    }
    out["policies"] = Value::Array(policies);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_folds_in_the_stated_version_and_keeps_the_platform() {
        let body =
            json!({"name": "Phones", "platform": "android", "jailbreak": false, "id": "dae1"});
        let out = prepare(body.as_object().unwrap().clone(), Some("14"), None).unwrap();
        assert_eq!(out["osVersion"], json!({"minimum": "14"}));
        assert_eq!(out["platform"], "ANDROID");
        assert!(out.get("id").is_none());

        let current = json!({"id": "dae1", "name": "Macs", "platform": "MACOS"});
        let out = prepare(
            json!({"osVersion": {"minimum": "14.2.1"}})
                .as_object()
                .unwrap()
                .clone(),
            None,
            Some(&current),
        )
        .unwrap();
        assert_eq!(out["name"], "Macs");
        assert_eq!(out["platform"], "MACOS");

        let moved = prepare(
            json!({"platform": "IOS"}).as_object().unwrap().clone(),
            None,
            Some(&current),
        );
        assert!(
            matches!(moved, Err(ToolError::InvalidArguments(m)) if m.contains("cannot change"))
        );
        let clash = prepare(
            json!({"name": "x", "platform": "IOS", "osVersion": {"minimum": "17.0.0"}})
                .as_object()
                .unwrap()
                .clone(),
            Some("17.4.1"),
            None,
        );
        assert!(clash.is_err());
        let short = prepare(
            json!({"name": "x", "platform": "IOS"})
                .as_object()
                .unwrap()
                .clone(),
            Some("17.4"),
            None,
        );
        assert!(matches!(short, Err(ToolError::InvalidArguments(m)) if m.contains("exact patch")));
    }
}
