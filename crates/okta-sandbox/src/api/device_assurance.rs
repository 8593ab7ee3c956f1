//! `/api/v1/device-assurances`: device assurance policies, validated per platform (which
//! checks each platform supports, OS version formats, allowed enum values).

use super::AppState;
use super::audit::Audit;
use super::keep;
use super::respond::JsonBody;
use crate::error::ApiError;
use crate::ids::{okta_id, prefix, timestamp};
use crate::links;
use crate::org::Org;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Map, Value, json};

const PATH: &str = "/api/v1/device-assurances";

/// (platform, supported checks, allowed disk encryption values)
const PLATFORMS: &[(&str, &[&str], &[&str])] = &[
    (
        "MACOS",
        &[
            "osVersion",
            "diskEncryptionType",
            "screenLockType",
            "secureHardwarePresent",
            "thirdPartySignalProviders",
            "gracePeriod",
            "displayRemediationMode",
            "devicePostureChecks",
        ],
        &["ALL_INTERNAL_VOLUMES"],
    ),
    (
        "WINDOWS",
        &[
            "osVersion",
            "osVersionConstraints",
            "diskEncryptionType",
            "screenLockType",
            "secureHardwarePresent",
            "thirdPartySignalProviders",
            "gracePeriod",
            "displayRemediationMode",
            "devicePostureChecks",
        ],
        &["ALL_INTERNAL_VOLUMES"],
    ),
    (
        "IOS",
        &[
            "osVersion",
            "screenLockType",
            "jailbreak",
            "thirdPartySignalProviders",
            "gracePeriod",
            "displayRemediationMode",
        ],
        &[],
    ),
    (
        "ANDROID",
        &[
            "osVersion",
            "diskEncryptionType",
            "screenLockType",
            "secureHardwarePresent",
            "jailbreak",
            "thirdPartySignalProviders",
            "gracePeriod",
            "displayRemediationMode",
        ],
        &["FULL", "USER"],
    ),
    (
        "CHROMEOS",
        &[
            "thirdPartySignalProviders",
            "gracePeriod",
            "displayRemediationMode",
        ],
        &[],
    ),
];

/// Properties every device assurance has (server-set ones are ignored on input).
const COMMON: &[&str] = &[
    "name",
    "platform",
    "id",
    "createdBy",
    "createdDate",
    "lastUpdate",
    "lastUpdatedBy",
    "_links",
];

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(list).post(create)).route(
        "/api/v1/device-assurances/{deviceAssuranceId}",
        get(get_one).put(replace).delete(delete),
    )
}

fn find<'a>(org: &'a Org, id: &str) -> Result<&'a Value, ApiError> {
    org.device_assurances
        .get(id)
        .ok_or_else(|| ApiError::not_found(id, "DeviceAssurance"))
}

async fn list(State(state): State<AppState>) -> Json<Value> {
    let org = state.org.read();
    Json(Value::Array(
        org.device_assurances.values().cloned().collect(),
    ))
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    find(&org, &id).cloned().map(Json)
}

/// Checks `body` against its platform; returns the platform on success.
pub fn validate(body: &Map<String, Value>) -> Result<&'static str, ApiError> {
    let mut causes = Vec::new();
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        causes.push("name: The field cannot be left blank".to_owned());
    }
    let platform_name = body
        .get("platform")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some((platform, supported, disk_values)) =
        PLATFORMS.iter().find(|(p, ..)| *p == platform_name)
    else {
        causes.push(format!(
            "platform: '{platform_name}' is not one of ANDROID, CHROMEOS, IOS, MACOS, WINDOWS"
        ));
        return Err(invalid(causes));
    };
    for key in body.keys() {
        if !COMMON.contains(&key.as_str()) && !supported.contains(&key.as_str()) {
            causes.push(format!(
                "{key}: This property is not supported on the {platform} platform"
            ));
        }
    }
    if let Some(os) = body.get("osVersion").filter(|v| !v.is_null()) {
        causes.extend(check_os_version(platform, os));
    }
    if let Some(disk) = body.get("diskEncryptionType").filter(|v| !v.is_null()) {
        causes.extend(check_include("diskEncryptionType", disk, disk_values));
    }
    if let Some(lock) = body.get("screenLockType").filter(|v| !v.is_null()) {
        causes.extend(check_include(
            "screenLockType",
            lock,
            &["PASSCODE", "BIOMETRIC"],
        ));
    }
    for flag in ["secureHardwarePresent", "jailbreak"] {
        if body
            .get(flag)
            .is_some_and(|v| !v.is_null() && !v.is_boolean())
        {
            causes.push(format!("{flag}: must be a boolean"));
        }
    }
    if let Some(mode) = body.get("displayRemediationMode").and_then(Value::as_str)
        && mode != "SHOW"
        && mode != "HIDE"
    {
        causes.push(format!(
            "displayRemediationMode: '{mode}' is not one of SHOW, HIDE"
        ));
    }
    if causes.is_empty() {
        Ok(platform)
    } else {
        Err(invalid(causes))
    }
}

fn invalid(causes: Vec<String>) -> ApiError {
    causes.into_iter().fold(
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            "Api validation failed: deviceAssurance",
        ),
        |e, c| e.with_cause(c),
    )
}

fn check_include(field: &str, value: &Value, allowed: &[&str]) -> Vec<String> {
    let Some(items) = value.get("include").and_then(Value::as_array) else {
        return vec![format!(
            "{field}: must be an object with an 'include' array"
        )];
    };
    if allowed.is_empty() {
        return vec![format!(
            "{field}: This property is not supported on this platform"
        )];
    }
    items
        .iter()
        .filter(|v| v.as_str().is_none_or(|s| !allowed.contains(&s)))
        .map(|v| {
            format!(
                "{field}: '{}' is not one of {}",
                v.as_str().unwrap_or("?"),
                allowed.join(", ")
            )
        })
        .collect()
}

/// Static minimums must be dotted numbers in the platform's shape (Windows: 10.0.build).
fn check_os_version(platform: &str, os: &Value) -> Vec<String> {
    let minimum = os.get("minimum");
    let dynamic = os.get("dynamicVersionRequirement");
    if minimum.is_some() && dynamic.is_some() {
        return vec![
            "osVersion: 'minimum' and 'dynamicVersionRequirement' cannot both be set".to_owned(),
        ];
    }
    let Some(minimum) = minimum else {
        return if dynamic.is_some() {
            Vec::new()
        } else {
            vec!["osVersion.minimum: The field cannot be left blank".to_owned()]
        };
    };
    let Some(version) = minimum.as_str() else {
        return vec!["osVersion.minimum: must be a string".to_owned()];
    };
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let shape_ok = match platform {
        "WINDOWS" => parts.len() >= 3 && parts.len() <= 4 && parts[0] == "10" && parts[1] == "0",
        _ => (1..=3).contains(&parts.len()),
    };
    if numeric && shape_ok {
        Vec::new()
    } else {
        let example = if platform == "WINDOWS" {
            "10.0.19041"
        } else {
            "14.2.1"
        };
        vec![format!(
            "osVersion.minimum: '{version}' is not a valid {platform} version (for example {example})"
        )]
    }
}

fn name_taken(org: &Org, name: &str, own_id: Option<&str>) -> bool {
    org.device_assurances.values().any(|d| {
        d["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && d["id"].as_str() != own_id
    })
}

/// Keeps the caller's checks and adds the server-set fields.
fn stored(
    org: &Org,
    id: &str,
    body: &Map<String, Value>,
    created: Option<&Value>,
    actor: &str,
) -> Value {
    let now = json!(timestamp(Utc::now()));
    let mut value: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| !COMMON.contains(&k.as_str()) || *k == "name" || *k == "platform")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    value.insert("id".into(), json!(id));
    value.insert(
        "createdDate".into(),
        created.map_or_else(|| now.clone(), |c| c["createdDate"].clone()),
    );
    value.insert(
        "createdBy".into(),
        created.map_or_else(|| json!(actor), |c| c["createdBy"].clone()),
    );
    value.insert("lastUpdate".into(), now);
    value.insert("lastUpdatedBy".into(), json!(actor));
    value.insert("_links".into(), links::device_assurance(&org.base_url, id));
    Value::Object(value)
}

/// The admin the org attributes API changes to (the first active user).
fn actor(org: &Org) -> String {
    org.users
        .values()
        .find(|u| u["status"] == "ACTIVE")
        .and_then(|u| u["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    validate(&body)?;
    let mut org = state.org.write();
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if name_taken(&org, name, None) {
        return Err(invalid(vec![
            "name: A device assurance policy with this name already exists".to_owned(),
        ]));
    }
    let id = okta_id(&mut org.rng, prefix::DEVICE_ASSURANCE);
    let value = stored(&org, &id, &body, None, &actor(&org));
    let event = ("device.assurance.policy.add", "Add device assurance policy");
    Ok(keep::DEVICE_ASSURANCE.record_store_and_answer(&mut org, &audit, event, id, value))
}

async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let platform = validate(&body)?;
    let mut org = state.org.write();
    let existing = find(&org, &id)?.clone();
    if existing["platform"] != platform {
        return Err(invalid(vec![
            "platform: The platform of a device assurance policy cannot be changed".to_owned(),
        ]));
    }
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if name_taken(&org, name, Some(&id)) {
        return Err(invalid(vec![
            "name: A device assurance policy with this name already exists".to_owned(),
        ]));
    }
    let value = stored(&org, &id, &body, Some(&existing), &actor(&org));
    let event = (
        "device.assurance.policy.update",
        "Update device assurance policy",
    );
    Ok(keep::DEVICE_ASSURANCE.record_store_and_answer(&mut org, &audit, event, id, value))
}

/// DELETE: refused while a policy rule still references the device assurance.
async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    find(&org, &id)?;
    let in_use = org.policy_rules.values().flatten().any(|rule| {
        rule["conditions"]
            .to_string()
            .contains(&format!("\"{id}\""))
    });
    if in_use {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "E0000001",
            "Api validation failed: deviceAssurance",
        )
        .with_cause(
            "The device assurance policy is in use by a policy rule and cannot be deleted",
        ));
    }
    let event = (
        "device.assurance.policy.delete",
        "Delete device assurance policy",
    );
    keep::DEVICE_ASSURANCE.record_and_remove(&mut org, &audit, event, &id);
    Ok(StatusCode::NO_CONTENT)
}
