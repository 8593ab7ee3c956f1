//! `/api/v1/policies`: policies by type with priorities, lifecycle, and their rules. The
//! default (`system`) policy and rule of each type stay last and cannot be removed.

use super::audit::{self, Audit};
use super::keep;
use super::paging::{Cursor, LimitRule, paginate, parse_limit};
use super::respond::{self, JsonBody};
use super::{AppState, Query};
use crate::error::ApiError;
use crate::ids::{okta_id, prefix, timestamp};
use crate::links;
use crate::org::Org;
use crate::seed::policies::{default_actions, default_conditions, default_settings};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Map, Value, json};

const PATH: &str = "/api/v1/policies";
/// Okta pages policies by 20 by default.
const LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 200,
};
/// Every `PolicyType` of Okta's spec and the `type` of its rules.
const TYPES: &[(&str, &str)] = &[
    ("OKTA_SIGN_ON", "SIGN_ON"),
    ("PASSWORD", "PASSWORD"),
    ("MFA_ENROLL", "MFA_ENROLL"),
    ("ACCESS_POLICY", "ACCESS_POLICY"),
    ("PROFILE_ENROLLMENT", "PROFILE_ENROLLMENT"),
    ("IDP_DISCOVERY", "IDP_DISCOVERY"),
    ("ENTITY_RISK", "ENTITY_RISK"),
    ("POST_AUTH_SESSION", "POST_AUTH_SESSION"),
    ("DEVICE_SIGNAL_COLLECTION", "DEVICE_SIGNAL_COLLECTION"),
    ("SESSION_VIOLATION_DETECTION", "SESSION_VIOLATION_DETECTION"),
    ("CLIENT_UPDATE", "CLIENT_UPDATE"),
    ("IDENTITY_CLAIM_SOURCING", "IDENTITY_CLAIM_SOURCING"),
];
/// Types Okta lets admins create; the spec marks the others read-only (one per org).
const CREATABLE: &[&str] = &[
    "OKTA_SIGN_ON",
    "PASSWORD",
    "MFA_ENROLL",
    "ACCESS_POLICY",
    "PROFILE_ENROLLMENT",
    "DEVICE_SIGNAL_COLLECTION",
];
/// Types whose conditions live on their rules: the spec has no policy-level conditions.
const RULE_CONDITIONS_ONLY: &[&str] = &[
    "ENTITY_RISK",
    "POST_AUTH_SESSION",
    "DEVICE_SIGNAL_COLLECTION",
    "SESSION_VIOLATION_DETECTION",
    "CLIENT_UPDATE",
    "IDENTITY_CLAIM_SOURCING",
];

/// The rule `type` for rules of a policy of `policy_type`.
fn rule_type(policy_type: &str) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|(p, _)| *p == policy_type)
        .map(|(_, r)| *r)
}

/// Policy-level `conditions` from a create or replace body, refused where the type has none.
fn policy_conditions(policy_type: &str, body: &Map<String, Value>) -> Result<Value, ApiError> {
    let conditions = body.get("conditions").cloned().unwrap_or(Value::Null);
    if RULE_CONDITIONS_ONLY.contains(&policy_type) && !conditions.is_null() {
        return Err(ApiError::validation(
            "conditions",
            format!(
                "conditions: Policy conditions aren't supported for {policy_type} policies; set them on a rule"
            ),
        ));
    }
    Ok(conditions)
}

/// Default rule `actions` for a rule of this type, where the seed has none.
fn rule_actions(rule_type: &str) -> Value {
    match rule_type {
        "DEVICE_SIGNAL_COLLECTION" => {
            json!({"deviceSignalCollection": {"deviceContextProviders": []}})
        }
        other => default_actions(other),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(create))
        .route(
            "/api/v1/policies/{policyId}",
            get(get_one).put(replace).delete(delete),
        )
        .route(
            "/api/v1/policies/{policyId}/lifecycle/{operation}",
            post(lifecycle),
        )
        .route(
            "/api/v1/policies/{policyId}/rules",
            get(list_rules).post(create_rule),
        )
        .route(
            "/api/v1/policies/{policyId}/rules/{ruleId}",
            get(get_rule).put(replace_rule).delete(delete_rule),
        )
        .route(
            "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/{operation}",
            post(rule_lifecycle),
        )
}

fn policy<'a>(org: &'a Org, id: &str) -> Result<&'a Value, ApiError> {
    org.policies
        .get(id)
        .ok_or_else(|| ApiError::not_found(id, "Policy"))
}

fn rules_sorted(org: &Org, policy_id: &str) -> Vec<Value> {
    let mut rules = org.policy_rules.get(policy_id).cloned().unwrap_or_default();
    rules.sort_by_key(|r| r["priority"].as_i64().unwrap_or(i64::MAX));
    rules
}

fn with_rules(org: &Org, policy: &Value, expand: Option<&str>) -> Value {
    let mut out = policy.clone();
    if expand.is_some_and(|e| e.split(',').any(|x| x.trim() == "rules")) {
        let id = policy["id"].as_str().unwrap_or_default();
        out["_embedded"] = json!({ "rules": rules_sorted(org, id) });
    }
    out
}

fn check_type(raw: Option<&str>) -> Result<&'static str, ApiError> {
    let raw =
        raw.ok_or_else(|| ApiError::validation("type", "type: The field cannot be left blank"))?;
    TYPES
        .iter()
        .map(|(t, _)| *t)
        .find(|t| *t == raw)
        .ok_or_else(|| {
            ApiError::validation("type", format!("type: '{raw}' is not a valid policy type"))
        })
}

fn check_status(raw: Option<&str>) -> Result<Option<&'static str>, ApiError> {
    match raw {
        None => Ok(None),
        Some("ACTIVE") => Ok(Some("ACTIVE")),
        Some("INACTIVE") => Ok(Some("INACTIVE")),
        Some(other) => Err(ApiError::validation(
            "status",
            format!("status: '{other}' is not one of ACTIVE, INACTIVE"),
        )),
    }
}

/// GET /api/v1/policies?type= (required), status, q (name prefix), sortBy=name, expand=rules
async fn list(State(state): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let policy_type = check_type(query.non_empty("type"))?;
    let status = check_status(query.non_empty("status"))?;
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let q = query.non_empty("q").map(str::to_lowercase);
    let by_name = query.non_empty("sortBy").is_some_and(|s| s == "name");
    let org = state.org.read();
    let matched = org
        .policies
        .values()
        .filter(|p| p["type"] == policy_type)
        .filter(|p| status.is_none_or(|s| p["status"] == s))
        .filter(|p| {
            q.as_ref().is_none_or(|q| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().starts_with(q))
            })
        })
        .map(|p| {
            let sort = if by_name {
                p["name"].as_str().unwrap_or_default().to_lowercase()
            } else {
                format!("{:010}", p["priority"].as_i64().unwrap_or(0).max(0))
            };
            let id = p["id"].as_str().unwrap_or_default().to_owned();
            (
                Cursor { sort, id },
                with_rules(&org, p, query.non_empty("expand")),
            )
        })
        .collect();
    let page = paginate(matched, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(&state, PATH, &query, page))
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    Ok(Json(with_rules(
        &org,
        policy(&org, &id)?,
        query.non_empty("expand"),
    )))
}

fn text(body: &Map<String, Value>, field: &str) -> Option<String> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn priority_of(body: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    match body.get("priority") {
        None | Some(Value::Null) => Ok(None),
        Some(p) => p.as_i64().filter(|p| *p >= 0).map(Some).ok_or_else(|| {
            ApiError::validation("priority", "priority: must be a non-negative integer")
        }),
    }
}

/// Renumbers `items` 1..n by priority, placing `moved` (if any) at `wanted` and keeping
/// `system` items last, as Okta does when priorities collide.
fn renumber(items: &mut [Value], moved: Option<(&str, i64)>) {
    let key = |v: &Value| v["priority"].as_i64().unwrap_or(i64::MAX);
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|i| {
        let v = &items[*i];
        let system = v["system"].as_bool().unwrap_or(false);
        let p = match moved {
            Some((id, wanted)) if v["id"] == id => wanted * 2 - 1,
            _ => key(v).saturating_mul(2),
        };
        (system, p)
    });
    for (rank, index) in order.into_iter().enumerate() {
        items[index]["priority"] = json!(rank as i64 + 1);
    }
}

fn renumber_policies(org: &mut Org, policy_type: &str, moved: Option<(&str, i64)>) {
    let mut same: Vec<Value> = org
        .policies
        .values()
        .filter(|p| p["type"] == policy_type)
        .cloned()
        .collect();
    renumber(&mut same, moved);
    for p in same {
        if let Some(id) = p["id"].as_str().map(str::to_owned) {
            org.policies.insert(id, p);
        }
    }
}

fn name_taken(org: &Org, policy_type: &str, name: &str, own_id: Option<&str>) -> bool {
    org.policies.values().any(|p| {
        p["type"] == policy_type
            && p["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && p["id"].as_str() != own_id
    })
}

fn truthy(query: &Query, name: &str, default: bool) -> Result<bool, ApiError> {
    match query.non_empty(name) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ApiError::validation(
            name,
            format!("{name}: '{v}' is not a boolean"),
        )),
    }
}

/// POST /api/v1/policies?activate=
async fn create(
    State(state): State<AppState>,
    audit: Audit,
    query: Query,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let activate = truthy(&query, "activate", true)?;
    let policy_type = check_type(body.get("type").and_then(Value::as_str))?;
    if !CREATABLE.contains(&policy_type) {
        return Err(ApiError::validation(
            "type",
            format!("type: Policies of type {policy_type} cannot be created"),
        ));
    }
    let name = text(&body, "name")
        .ok_or_else(|| ApiError::validation("name", "name: The field cannot be left blank"))?;
    let priority = priority_of(&body)?;
    let conditions = policy_conditions(policy_type, &body)?;
    let mut org = state.org.write();
    if name_taken(&org, policy_type, &name, None) {
        return Err(ApiError::validation(
            "name",
            "name: A policy with this name already exists",
        ));
    }
    let id = okta_id(&mut org.rng, prefix::POLICY);
    let now = timestamp(Utc::now());
    let status = if activate { "ACTIVE" } else { "INACTIVE" };
    let mut created = json!({
        "id": id,
        "type": policy_type,
        "status": status,
        "name": name,
        "description": body.get("description").cloned().unwrap_or(Value::Null),
        "priority": priority.unwrap_or(i64::MAX / 4),
        "system": false,
        "conditions": conditions,
        "created": now,
        "lastUpdated": now,
        "_links": links::policy(&org.base_url, &id, status),
    });
    let settings = body
        .get("settings")
        .cloned()
        .unwrap_or_else(|| default_settings(policy_type));
    if !settings.is_null() {
        created["settings"] = settings;
    }
    org.policies.insert(id.clone(), created);
    renumber_policies(&mut org, policy_type, priority.map(|p| (id.as_str(), p)));
    // Every new policy starts with a catch-all default rule, as in Okta.
    if let Some(rule_kind) = rule_type(policy_type) {
        let rule_id = okta_id(&mut org.rng, prefix::RULE);
        let mut rule = crate::seed::policies::rule_object(
            &org.base_url,
            &id,
            &rule_id,
            rule_kind,
            "Default Rule",
            1,
            true,
            "ACTIVE",
            Utc::now(),
        );
        rule["actions"] = rule_actions(rule_kind);
        org.policy_rules.insert(id.clone(), vec![rule]);
    }
    let created = org.policies[&id].clone();
    audit.record(
        &mut org,
        "policy.lifecycle.create",
        "Create policy",
        vec![audit::policy(&created)],
    );
    Ok(Json(created))
}

/// PUT /api/v1/policies/{policyId}
async fn replace(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let mut updated = policy(&org, &id)?.clone();
    let policy_type = updated["type"].as_str().unwrap_or_default().to_owned();
    if body.get("type").is_some_and(|t| *t != updated["type"]) {
        return Err(ApiError::validation(
            "type",
            "type: The type of a policy cannot be changed",
        ));
    }
    let name = text(&body, "name")
        .ok_or_else(|| ApiError::validation("name", "name: The field cannot be left blank"))?;
    let priority = priority_of(&body)?;
    let conditions = policy_conditions(&policy_type, &body)?;
    let system = updated["system"].as_bool().unwrap_or(false);
    if system
        && (name != updated["name"].as_str().unwrap_or_default()
            || priority.is_some_and(|p| json!(p) != updated["priority"]))
    {
        return Err(ApiError::validation(
            "policy",
            "The name and priority of a default policy cannot be changed",
        ));
    }
    if name_taken(&org, &policy_type, &name, Some(&id)) {
        return Err(ApiError::validation(
            "name",
            "name: A policy with this name already exists",
        ));
    }
    updated["name"] = json!(name);
    updated["description"] = body.get("description").cloned().unwrap_or(Value::Null);
    updated["conditions"] = conditions;
    if let Some(settings) = body.get("settings") {
        updated["settings"] = settings.clone();
    }
    updated["lastUpdated"] = json!(timestamp(Utc::now()));
    org.policies.insert(id.clone(), updated);
    if !system {
        renumber_policies(&mut org, &policy_type, priority.map(|p| (id.as_str(), p)));
    }
    let updated = org.policies[&id].clone();
    audit.record(
        &mut org,
        "policy.lifecycle.update",
        "Update policy",
        vec![audit::policy(&updated)],
    );
    Ok(Json(updated))
}

async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    let existing = policy(&org, &id)?;
    if existing["system"] == true {
        return Err(ApiError::validation(
            "policy",
            "The default policy cannot be deleted",
        ));
    }
    let policy_type = existing["type"].as_str().unwrap_or_default().to_owned();
    let event = ("policy.lifecycle.delete", "Delete policy");
    keep::POLICY.record_and_remove(&mut org, &audit, event, &id);
    org.policy_rules.remove(&id);
    renumber_policies(&mut org, &policy_type, None);
    Ok(StatusCode::NO_CONTENT)
}

fn target_status(operation: &str, path: &str) -> Result<&'static str, ApiError> {
    match operation {
        "activate" => Ok("ACTIVE"),
        "deactivate" => Ok("INACTIVE"),
        _ => Err(ApiError::no_such_endpoint(path)),
    }
}

/// POST /api/v1/policies/{policyId}/lifecycle/{activate|deactivate}: 204, idempotent.
async fn lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, operation)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let status = target_status(&operation, &format!("{PATH}/{id}/lifecycle/{operation}"))?;
    let mut org = state.org.write();
    let mut updated = policy(&org, &id)?.clone();
    if updated["system"] == true && status == "INACTIVE" {
        return Err(ApiError::validation(
            "policy",
            "The default policy cannot be deactivated",
        ));
    }
    updated["status"] = json!(status);
    updated["lastUpdated"] = json!(timestamp(Utc::now()));
    updated["_links"] = links::policy(&org.base_url, &id, status);
    let event = if status == "ACTIVE" {
        ("policy.lifecycle.activate", "Activate policy")
    } else {
        ("policy.lifecycle.deactivate", "Deactivate policy")
    };
    keep::POLICY.record_and_store(&mut org, &audit, event, id, updated);
    Ok(StatusCode::NO_CONTENT)
}

fn rule<'a>(org: &'a Org, policy_id: &str, rule_id: &str) -> Result<&'a Value, ApiError> {
    policy(org, policy_id)?;
    org.policy_rules
        .get(policy_id)
        .and_then(|rules| rules.iter().find(|r| r["id"] == rule_id))
        .ok_or_else(|| ApiError::not_found(rule_id, "PolicyRule"))
}

async fn list_rules(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    policy(&org, &id)?;
    Ok(Json(Value::Array(rules_sorted(&org, &id))))
}

async fn get_rule(
    State(state): State<AppState>,
    Path((id, rule_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    rule(&org, &id, &rule_id).cloned().map(Json)
}

fn store_rules(org: &mut Org, policy_id: &str, mut rules: Vec<Value>, moved: Option<(&str, i64)>) {
    renumber(&mut rules, moved);
    rules.sort_by_key(|r| r["priority"].as_i64().unwrap_or(i64::MAX));
    org.policy_rules.insert(policy_id.to_owned(), rules);
}

fn rule_fields(
    body: &Map<String, Value>,
    expected_type: &str,
    rules: &[Value],
    own_id: Option<&str>,
) -> Result<String, ApiError> {
    if let Some(given) = body.get("type").and_then(Value::as_str)
        && given != expected_type
    {
        return Err(ApiError::validation(
            "type",
            format!("type: Rules of this policy must have type {expected_type}"),
        ));
    }
    let name = text(body, "name")
        .ok_or_else(|| ApiError::validation("name", "name: The field cannot be left blank"))?;
    let taken = rules.iter().any(|r| {
        r["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(&name))
            && r["id"].as_str() != own_id
    });
    if taken {
        return Err(ApiError::validation(
            "name",
            "name: A rule with this name already exists in the policy",
        ));
    }
    Ok(name)
}

/// POST /api/v1/policies/{policyId}/rules?activate=
async fn create_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    query: Query,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let activate = truthy(&query, "activate", true)?;
    let mut org = state.org.write();
    let policy_type = policy(&org, &id)?["type"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let kind = rule_type(&policy_type).unwrap_or("SIGN_ON");
    let rules = rules_sorted(&org, &id);
    let name = rule_fields(&body, kind, &rules, None)?;
    let priority = priority_of(&body)?;
    let rule_id = okta_id(&mut org.rng, prefix::RULE);
    let status = if activate { "ACTIVE" } else { "INACTIVE" };
    let mut created = crate::seed::policies::rule_object(
        &org.base_url,
        &id,
        &rule_id,
        kind,
        &name,
        priority.unwrap_or(i64::MAX / 4),
        false,
        status,
        Utc::now(),
    );
    created["conditions"] = body
        .get("conditions")
        .cloned()
        .unwrap_or_else(|| default_conditions(kind));
    created["actions"] = body
        .get("actions")
        .cloned()
        .unwrap_or_else(|| rule_actions(kind));
    let mut all = rules;
    all.push(created);
    store_rules(&mut org, &id, all, priority.map(|p| (rule_id.as_str(), p)));
    let created = rule(&org, &id, &rule_id)?.clone();
    let targets = vec![audit::policy(&org.policies[&id]), audit::rule(&created)];
    audit.record(&mut org, "policy.rule.add", "Add policy rule", targets);
    Ok(Json(created))
}

/// PUT /api/v1/policies/{policyId}/rules/{ruleId}
async fn replace_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, rule_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let mut updated = rule(&org, &id, &rule_id)?.clone();
    let kind = updated["type"].as_str().unwrap_or_default().to_owned();
    let rules = rules_sorted(&org, &id);
    let name = rule_fields(&body, &kind, &rules, Some(&rule_id))?;
    let priority = priority_of(&body)?;
    let system = updated["system"] == true;
    if system
        && (name != updated["name"].as_str().unwrap_or_default()
            || priority.is_some_and(|p| json!(p) != updated["priority"]))
    {
        return Err(ApiError::validation(
            "rule",
            "The name and priority of a default rule cannot be changed",
        ));
    }
    updated["name"] = json!(name);
    if let Some(conditions) = body.get("conditions") {
        updated["conditions"] = conditions.clone();
    }
    if let Some(actions) = body.get("actions") {
        updated["actions"] = actions.clone();
    }
    updated["lastUpdated"] = json!(timestamp(Utc::now()));
    let all = rules
        .into_iter()
        .map(|r| {
            if r["id"] == rule_id.as_str() {
                updated.clone()
            } else {
                r
            }
        })
        .collect();
    store_rules(
        &mut org,
        &id,
        all,
        if system {
            None
        } else {
            priority.map(|p| (rule_id.as_str(), p))
        },
    );
    let updated = rule(&org, &id, &rule_id)?.clone();
    let targets = vec![audit::policy(&org.policies[&id]), audit::rule(&updated)];
    audit.record(
        &mut org,
        "policy.rule.update",
        "Update policy rule",
        targets,
    );
    Ok(Json(updated))
}

async fn delete_rule(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, rule_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    let existing = rule(&org, &id, &rule_id)?;
    if existing["system"] == true {
        return Err(ApiError::validation(
            "rule",
            "The default rule cannot be deleted",
        ));
    }
    let targets = vec![audit::policy(&org.policies[&id]), audit::rule(existing)];
    audit.record(
        &mut org,
        "policy.rule.delete",
        "Delete policy rule",
        targets,
    );
    let remaining = rules_sorted(&org, &id)
        .into_iter()
        .filter(|r| r["id"] != rule_id.as_str())
        .collect();
    store_rules(&mut org, &id, remaining, None);
    Ok(StatusCode::NO_CONTENT)
}

async fn rule_lifecycle(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, rule_id, operation)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let status = target_status(
        &operation,
        &format!("{PATH}/{id}/rules/{rule_id}/lifecycle/{operation}"),
    )?;
    let mut org = state.org.write();
    let existing = rule(&org, &id, &rule_id)?;
    if existing["system"] == true && status == "INACTIVE" {
        return Err(ApiError::validation(
            "rule",
            "The default rule cannot be deactivated",
        ));
    }
    let base = org.base_url.clone();
    if let Some(rules) = org.policy_rules.get_mut(&id)
        && let Some(r) = rules.iter_mut().find(|r| r["id"] == rule_id.as_str())
    {
        r["status"] = json!(status);
        r["lastUpdated"] = json!(timestamp(Utc::now()));
        r["_links"] = links::rule(&base, &id, &rule_id, status);
    }
    let (event, display) = if status == "ACTIVE" {
        ("policy.rule.activate", "Activate policy rule")
    } else {
        ("policy.rule.deactivate", "Deactivate policy rule")
    };
    let targets = vec![
        audit::policy(&org.policies[&id]),
        audit::rule(rule(&org, &id, &rule_id)?),
    ];
    audit.record(&mut org, event, display, targets);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestOrg;
    use crate::SandboxConfig;
    use reqwest::Method;
    use serde_json::{Value, json};

    /// The `PolicyType` enum of Okta's management spec, in its order.
    const SPEC_TYPES: [&str; 12] = [
        "ACCESS_POLICY",
        "ENTITY_RISK",
        "IDP_DISCOVERY",
        "MFA_ENROLL",
        "OKTA_SIGN_ON",
        "PASSWORD",
        "POST_AUTH_SESSION",
        "PROFILE_ENROLLMENT",
        "DEVICE_SIGNAL_COLLECTION",
        "SESSION_VIOLATION_DETECTION",
        "CLIENT_UPDATE",
        "IDENTITY_CLAIM_SOURCING",
    ];

    async fn call(org: &TestOrg, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = org.send(method, path, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    #[test]
    fn every_spec_type_is_known_with_its_rule_type() {
        for t in SPEC_TYPES {
            let rule = super::rule_type(t).unwrap_or_else(|| panic!("{t} unknown"));
            let expected = if t == "OKTA_SIGN_ON" { "SIGN_ON" } else { t };
            assert_eq!(rule, expected);
        }
        assert_eq!(super::TYPES.len(), SPEC_TYPES.len());
        assert_eq!(super::rule_type("SIGN_ON"), None);
    }

    #[tokio::test]
    async fn every_spec_type_lists_and_device_signal_collection_can_be_created() {
        let org = TestOrg::start(SandboxConfig::default()).await;
        for t in SPEC_TYPES {
            let (s, list) = call(
                &org,
                Method::GET,
                &format!("/api/v1/policies?type={t}"),
                None,
            )
            .await;
            assert_eq!(s, 200, "{t}: {list}");
            let list = list.as_array().unwrap_or_else(|| panic!("{t}: {list}"));
            assert!(list.iter().all(|p| p["type"] == t), "{t}: {list:?}");
        }
        let (s, err) = call(&org, Method::GET, "/api/v1/policies?type=SIGN_ON", None).await;
        assert_eq!(s, 400, "{err}");

        let (s, created) = call(
            &org,
            Method::POST,
            "/api/v1/policies?activate=false",
            Some(json!({"type": "DEVICE_SIGNAL_COLLECTION", "name": "Collect device signals", "description": "Managed laptops"})),
        )
        .await;
        assert_eq!(s, 200, "{created}");
        assert_eq!(created["status"], "INACTIVE");
        assert_eq!(created["conditions"], Value::Null);
        let pid = created["id"].as_str().unwrap_or_default().to_owned();
        let (_, list) = call(
            &org,
            Method::GET,
            "/api/v1/policies?type=DEVICE_SIGNAL_COLLECTION",
            None,
        )
        .await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["id"], pid.as_str());

        let rules_at = format!("/api/v1/policies/{pid}/rules");
        let (_, rules) = call(&org, Method::GET, &rules_at, None).await;
        assert_eq!(rules[0]["type"], "DEVICE_SIGNAL_COLLECTION", "{rules}");
        assert!(rules[0]["actions"]["deviceSignalCollection"]["deviceContextProviders"].is_array());
        let (s, rule) = call(
            &org,
            Method::POST,
            &rules_at,
            Some(json!({"name": "Windows", "type": "DEVICE_SIGNAL_COLLECTION",
                "conditions": {"platform": {"include": [{"os": {"type": "WINDOWS"}, "type": "DESKTOP"}]}}})),
        )
        .await;
        assert_eq!(s, 200, "{rule}");
        assert_eq!(rule["type"], "DEVICE_SIGNAL_COLLECTION");
        let (s, _) = call(
            &org,
            Method::POST,
            &rules_at,
            Some(json!({"name": "Wrong", "type": "SIGN_ON"})),
        )
        .await;
        assert_eq!(s, 400);

        let (s, err) = call(
            &org,
            Method::POST,
            "/api/v1/policies",
            Some(
                json!({"type": "DEVICE_SIGNAL_COLLECTION", "name": "With conditions",
                "conditions": {"people": {"groups": {"include": []}}}}),
            ),
        )
        .await;
        assert_eq!(s, 400, "{err}");
        for read_only in [
            "ENTITY_RISK",
            "POST_AUTH_SESSION",
            "IDENTITY_CLAIM_SOURCING",
        ] {
            let (s, err) = call(
                &org,
                Method::POST,
                "/api/v1/policies",
                Some(json!({"type": read_only, "name": "Another"})),
            )
            .await;
            assert_eq!(s, 400, "{read_only}: {err}");
            assert!(err.to_string().contains("cannot be created"), "{err}");
        }
    }
}
