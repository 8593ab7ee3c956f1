//! `/api/v1/groups/rules`: group rules, validated as Okta validates them and applied when
//! activated.
//!
//! - A rule is created INACTIVE; its name (1–50 characters) is unique; its expression must
//!   be `urn:okta:expression:1.0` text that parses (see `crate::expression`), reading only
//!   attributes of the user profile schema and groups that exist; it assigns to existing
//!   OKTA_GROUPs only; excluded users must exist.
//! - An ACTIVE rule cannot be replaced or deleted (deactivate it first); its actions can
//!   never be replaced.
//! - Activating adds every matching user (not DEPROVISIONED, not excluded) to the rule's
//!   groups; deactivating keeps them there; deleting with `removeUsers=true` removes the
//!   memberships the rule added.

use super::paging::{LimitRule, paginate, parse_limit};
use super::respond::JsonBody;
use super::{AppState, Query, respond};
use crate::error::ApiError;
use crate::expression;
use crate::ids::{okta_id, timestamp};
use crate::org::Org;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Map, Value, json};

const PATH: &str = "/api/v1/groups/rules";
/// The spec: 50 by default, 200 at most.
const LIMIT: LimitRule = LimitRule {
    default: 50,
    max: 200,
};
const EXPRESSION_TYPE: &str = "urn:okta:expression:1.0";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(create))
        .route(
            "/api/v1/groups/rules/{groupRuleId}",
            get(get_one).put(replace).delete(delete),
        )
        .route(
            "/api/v1/groups/rules/{groupRuleId}/lifecycle/activate",
            post(activate),
        )
        .route(
            "/api/v1/groups/rules/{groupRuleId}/lifecycle/deactivate",
            post(deactivate),
        )
}

/// Adds `_embedded.groupIdToGroupNameMap` when `expand=groupIdToGroupNameMap`.
fn expanded(org: &Org, rule: &Value, query: &Query) -> Value {
    let mut out = rule.clone();
    if query.non_empty("expand") == Some("groupIdToGroupNameMap") {
        let names: Map<String, Value> = target_groups(rule)
            .into_iter()
            .filter_map(|id| {
                let name = org.groups.get(&id)?["profile"]["name"].clone();
                Some((id, name))
            })
            .collect();
        out["_embedded"] = json!({ "groupIdToGroupNameMap": names });
    }
    out
}

fn target_groups(rule: &Value) -> Vec<String> {
    rule["actions"]["assignUserToGroups"]["groupIds"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn find<'a>(org: &'a Org, id: &str) -> Result<&'a Value, ApiError> {
    org.group_rules
        .get(id)
        .ok_or_else(|| ApiError::not_found(id, "GroupRule"))
}

async fn list(State(state): State<AppState>, query: Query) -> Result<Response, ApiError> {
    let org = state.org.read();
    let limit = parse_limit(query.get("limit"), LIMIT)?;
    let search = query.non_empty("search").map(str::to_lowercase);
    let items = org
        .group_rules
        .values()
        .filter(|r| {
            search.as_ref().is_none_or(|s| {
                r["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains(s.as_str()))
            })
        })
        .map(|r| expanded(&org, r, &query))
        .map(respond::by_id)
        .collect();
    let page = paginate(items, false, respond::after(&query)?.as_ref(), limit);
    Ok(respond::page(&state, PATH, &query, page))
}

async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, ApiError> {
    let org = state.org.read();
    let rule = find(&org, &id)?;
    Ok(Json(expanded(&org, rule, &query)))
}

/// The checked parts of a rule body.
struct Checked {
    name: String,
    expression: String,
    group_ids: Vec<String>,
    excluded: Vec<String>,
}

fn check(org: &Org, body: &Map<String, Value>, own_id: Option<&str>) -> Result<Checked, ApiError> {
    if let Some(kind) = body.get("type")
        && kind != "group_rule"
    {
        return Err(ApiError::validation(
            "type",
            "type: Only 'group_rule' is allowed.",
        ));
    }
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let length = name.chars().count();
    if !(1..=50).contains(&length) {
        return Err(ApiError::validation(
            "name",
            "name: The field cannot be left blank and must be at most 50 characters.",
        ));
    }
    let taken = org
        .group_rules
        .iter()
        .any(|(id, r)| Some(id.as_str()) != own_id && r["name"].as_str() == Some(name));
    if taken {
        return Err(ApiError::validation(
            "name",
            format!("name: A group rule named '{name}' already exists."),
        ));
    }
    let expression = &body.get("conditions").cloned().unwrap_or(Value::Null)["expression"];
    let kind = expression["type"].as_str().unwrap_or_default();
    if kind != EXPRESSION_TYPE {
        return Err(ApiError::validation(
            "conditions.expression.type",
            format!("conditions.expression.type: must be '{EXPRESSION_TYPE}'."),
        ));
    }
    let text = expression["value"].as_str().unwrap_or_default();
    let parsed = expression::parse(text).map_err(|reason| {
        ApiError::validation(
            "conditions.expression.value",
            format!("Invalid property expression: {reason}."),
        )
    })?;
    for attribute in parsed.attributes() {
        if !super::schema::is_profile_attribute(attribute) {
            return Err(ApiError::validation(
                "conditions.expression.value",
                format!("Invalid property {attribute} in expression {text}."),
            ));
        }
    }
    for group in parsed.group_ids() {
        if !org.groups.contains_key(group) {
            return Err(ApiError::validation(
                "conditions.expression.value",
                format!("Invalid group id {group} in expression {text}."),
            ));
        }
    }
    let actions = body.get("actions").cloned().unwrap_or(Value::Null);
    let group_ids: Vec<String> = match actions["assignUserToGroups"]["groupIds"].as_array() {
        Some(ids) if !ids.is_empty() => ids
            .iter()
            .map(|g| g.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ApiError::validation(
                    "actions.assignUserToGroups.groupIds",
                    "actions.assignUserToGroups.groupIds: every entry must be a group id.",
                )
            })?,
        _ => {
            return Err(ApiError::validation(
                "actions.assignUserToGroups.groupIds",
                "actions.assignUserToGroups.groupIds: at least one group is required.",
            ));
        }
    };
    for id in &group_ids {
        match org.groups.get(id) {
            None => return Err(ApiError::not_found(id, "UserGroup")),
            Some(g) if g["type"] != "OKTA_GROUP" => {
                return Err(ApiError::validation(
                    "actions.assignUserToGroups.groupIds",
                    format!(
                        "Group {id} is of type {}; group rules can only assign users to OKTA_GROUP groups.",
                        g["type"].as_str().unwrap_or("unknown")
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let people = &body.get("conditions").cloned().unwrap_or(Value::Null)["people"];
    let excluded: Vec<String> = people["users"]["exclude"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    for id in &excluded {
        if !org.users.contains_key(id) {
            return Err(ApiError::validation(
                "conditions.people.users.exclude",
                format!("conditions.people.users.exclude: {id} is not a user of this org."),
            ));
        }
    }
    Ok(Checked {
        name: name.to_owned(),
        expression: text.to_owned(),
        group_ids,
        excluded,
    })
}

fn rule_value(id: &str, status: &str, checked: &Checked, created: &str, now: &str) -> Value {
    json!({
        "type": "group_rule",
        "id": id,
        "status": status,
        "name": checked.name,
        "created": created,
        "lastUpdated": now,
        "conditions": {
            "people": {"users": {"exclude": checked.excluded}, "groups": {"exclude": []}},
            "expression": {"value": checked.expression, "type": EXPRESSION_TYPE},
        },
        "actions": {"assignUserToGroups": {"groupIds": checked.group_ids}},
    })
}

/// POST /api/v1/groups/rules: always created INACTIVE.
async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let checked = check(&org, &body, None)?;
    let id = okta_id(&mut org.rng, "0pr");
    let now = timestamp(Utc::now());
    let rule = rule_value(&id, "INACTIVE", &checked, &now, &now);
    org.group_rules.insert(id, rule.clone());
    Ok(Json(rule))
}

fn must_be_inactive(rule: &Value, action: &str) -> Result<(), ApiError> {
    if rule["status"] == "ACTIVE" {
        let id = rule["id"].as_str().unwrap_or_default();
        return Err(ApiError::validation(
            "status",
            format!("Cannot {action} the ACTIVE group rule {id}; deactivate it first."),
        ));
    }
    Ok(())
}

/// PUT /api/v1/groups/rules/{id}: INACTIVE rules only, and never their actions.
async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut org = state.org.write();
    let current = find(&org, &id)?.clone();
    must_be_inactive(&current, "update")?;
    let checked = check(&org, &body, Some(&id))?;
    if checked.group_ids != target_groups(&current) {
        return Err(ApiError::validation(
            "actions",
            "actions: The actions of a group rule cannot be updated.",
        ));
    }
    let created = current["created"].as_str().unwrap_or_default().to_owned();
    let status = current["status"].as_str().unwrap_or("INACTIVE").to_owned();
    let rule = rule_value(&id, &status, &checked, &created, &timestamp(Utc::now()));
    org.group_rules.insert(id, rule.clone());
    Ok(Json(rule))
}

/// DELETE /api/v1/groups/rules/{id}?removeUsers=: INACTIVE (or INVALID) rules only.
async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Query,
) -> Result<StatusCode, ApiError> {
    let remove_users = match query.non_empty("removeUsers") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::validation(
                "removeUsers",
                format!("removeUsers: '{other}' is not a boolean."),
            ));
        }
    };
    let mut org = state.org.write();
    must_be_inactive(find(&org, &id)?, "delete")?;
    org.group_rules.remove(&id);
    let grants = org.group_rule_grants.remove(&id).unwrap_or_default();
    if remove_users {
        for (group, user) in grants {
            if let Some(members) = org.memberships.get_mut(&group) {
                members.remove(&user);
            }
        }
    }
    Ok(StatusCode::ACCEPTED)
}

/// POST …/lifecycle/activate: adds every matching user to the rule's groups.
async fn activate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    let rule = find(&org, &id)?.clone();
    if rule["status"] == "INVALID" {
        return Err(ApiError::validation(
            "status",
            format!(
                "The group rule {id} is INVALID (a group it uses was deleted); it can only be deleted."
            ),
        ));
    }
    if rule["status"] == "ACTIVE" {
        return Ok(StatusCode::NO_CONTENT);
    }
    let text = rule["conditions"]["expression"]["value"]
        .as_str()
        .unwrap_or_default();
    let expr = expression::parse(text).map_err(|reason| {
        ApiError::validation(
            "conditions.expression.value",
            format!("Invalid property expression: {reason}."),
        )
    })?;
    let excluded: Vec<&str> = rule["conditions"]["people"]["users"]["exclude"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let matching: Vec<String> = org
        .users
        .iter()
        .filter(|(uid, u)| u["status"] != "DEPROVISIONED" && !excluded.contains(&uid.as_str()))
        .filter(|(uid, u)| {
            let member_of = |group: Option<&str>, name: Option<&str>| {
                org.memberships.iter().any(|(gid, members)| {
                    members.contains(*uid)
                        && group.is_none_or(|g| g == gid)
                        && name.is_none_or(|n| {
                            org.groups
                                .get(gid)
                                .is_some_and(|g| g["profile"]["name"] == n)
                        })
                })
            };
            expr.matches(u, &member_of)
        })
        .map(|(uid, _)| uid.clone())
        .collect();
    let mut added = Vec::new();
    for group in target_groups(&rule) {
        let members = org.memberships.entry(group.clone()).or_default();
        for user in &matching {
            if members.insert(user.clone()) {
                added.push((group.clone(), user.clone()));
            }
        }
    }
    org.group_rule_grants
        .entry(id.clone())
        .or_default()
        .extend(added);
    if let Some(rule) = org.group_rules.get_mut(&id) {
        rule["status"] = json!("ACTIVE");
        rule["lastUpdated"] = json!(timestamp(Utc::now()));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// POST …/lifecycle/deactivate: the rule stops; the users it added stay in the groups.
async fn deactivate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut org = state.org.write();
    find(&org, &id)?;
    if let Some(rule) = org.group_rules.get_mut(&id)
        && rule["status"] == "ACTIVE"
    {
        rule["status"] = json!("INACTIVE");
        rule["lastUpdated"] = json!(timestamp(Utc::now()));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::super::testing::TestOrg;
    use crate::SandboxConfig;
    use reqwest::Method;
    use serde_json::{Value, json};

    async fn call(org: &TestOrg, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = org.send(method, path, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn rule(name: &str, expression: &str, group: &str) -> Value {
        json!({
            "type": "group_rule",
            "name": name,
            "conditions": {"expression": {"value": expression, "type": "urn:okta:expression:1.0"}},
            "actions": {"assignUserToGroups": {"groupIds": [group]}},
        })
    }

    #[tokio::test]
    async fn only_inactive_rules_change_and_their_actions_never_do() {
        let org = TestOrg::start(SandboxConfig {
            users: 30,
            log_events: 10,
            ..SandboxConfig::default()
        })
        .await;
        let (_, groups) = call(
            &org,
            Method::GET,
            "/api/v1/groups?filter=type%20eq%20%22OKTA_GROUP%22",
            None,
        )
        .await;
        let a = groups[1]["id"].as_str().unwrap().to_owned();
        let b = groups[2]["id"].as_str().unwrap().to_owned();
        let (s, created) = call(
            &org,
            Method::POST,
            "/api/v1/groups/rules",
            Some(rule("R", "user.title==\"SRE\"", &a)),
        )
        .await;
        assert_eq!((s, created["status"].as_str()), (200, Some("INACTIVE")));
        let id = created["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/groups/rules/{id}");

        // The same name twice, a bad expression type, an unknown group in the expression.
        let (s, dup) = call(
            &org,
            Method::POST,
            "/api/v1/groups/rules",
            Some(rule("R", "user.title==\"x\"", &a)),
        )
        .await;
        assert_eq!(
            (s, dup["errorCode"].as_str()),
            (400, Some("E0000001")),
            "{dup}"
        );
        let mut wrong = rule("T", "user.title==\"x\"", &a);
        wrong["conditions"]["expression"]["type"] = json!("urn:okta:expression:2.0");
        assert_eq!(
            call(&org, Method::POST, "/api/v1/groups/rules", Some(wrong))
                .await
                .0,
            400
        );
        let (s, body) = call(
            &org,
            Method::POST,
            "/api/v1/groups/rules",
            Some(rule("G", "isMemberOfGroup(\"00gNope\")", &a)),
        )
        .await;
        assert_eq!(s, 400, "{body}");

        let (s, renamed) = call(
            &org,
            Method::PUT,
            &path,
            Some(rule("R2", "user.title==\"SRE\"", &a)),
        )
        .await;
        assert_eq!((s, renamed["name"].as_str()), (200, Some("R2")));
        let (s, body) = call(
            &org,
            Method::PUT,
            &path,
            Some(rule("R2", "user.title==\"SRE\"", &b)),
        )
        .await;
        assert_eq!(s, 400, "actions cannot change: {body}");

        assert_eq!(
            call(
                &org,
                Method::POST,
                &format!("{path}/lifecycle/activate"),
                None
            )
            .await
            .0,
            204
        );
        let (s, body) = call(
            &org,
            Method::PUT,
            &path,
            Some(rule("R3", "user.title==\"SRE\"", &a)),
        )
        .await;
        assert_eq!(s, 400, "{body}");
        assert!(body.to_string().contains("deactivate it first"), "{body}");
        assert_eq!(call(&org, Method::DELETE, &path, None).await.0, 400);
        assert_eq!(
            call(
                &org,
                Method::POST,
                &format!("{path}/lifecycle/deactivate"),
                None
            )
            .await
            .0,
            204
        );
        assert_eq!(
            call(
                &org,
                Method::DELETE,
                &format!("{path}?removeUsers=maybe"),
                None
            )
            .await
            .0,
            400
        );
        assert_eq!(call(&org, Method::DELETE, &path, None).await.0, 202);
        assert_eq!(call(&org, Method::GET, &path, None).await.0, 404);

        // A rule whose group is deleted turns INVALID: it can no longer be activated.
        let (_, doomed) = call(
            &org,
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Doomed"}})),
        )
        .await;
        let doomed = doomed["id"].as_str().unwrap().to_owned();
        let (_, orphan) = call(
            &org,
            Method::POST,
            "/api/v1/groups/rules",
            Some(rule("O", "user.title==\"SRE\"", &doomed)),
        )
        .await;
        let orphan = format!("/api/v1/groups/rules/{}", orphan["id"].as_str().unwrap());
        assert_eq!(
            call(
                &org,
                Method::DELETE,
                &format!("/api/v1/groups/{doomed}"),
                None
            )
            .await
            .0,
            204
        );
        assert_eq!(
            call(&org, Method::GET, &orphan, None).await.1["status"],
            "INVALID"
        );
        assert_eq!(
            call(
                &org,
                Method::POST,
                &format!("{orphan}/lifecycle/activate"),
                None
            )
            .await
            .0,
            400
        );
        assert_eq!(call(&org, Method::DELETE, &orphan, None).await.0, 202);
    }

    #[tokio::test]
    async fn assignees_page_by_the_body_link_and_targets_follow_the_role_type() {
        let org = TestOrg::start(SandboxConfig {
            users: 30,
            log_events: 10,
            ..SandboxConfig::default()
        })
        .await;
        let mut ids = Vec::new();
        let mut path = "/api/v1/iam/assignees/users?limit=2".to_owned();
        loop {
            let (s, page) = call(&org, Method::GET, &path, None).await;
            assert_eq!(s, 200, "{page}");
            ids.extend(
                page["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["id"].as_str().unwrap().to_owned()),
            );
            match page["_links"]["next"]["href"].as_str() {
                Some(next) => {
                    path = next
                        .split_once("/api/")
                        .map(|(_, p)| format!("/api/{p}"))
                        .unwrap()
                }
                None => break,
            }
        }
        assert_eq!(ids.len(), 5, "3 seeded admins and 2 seeded people: {ids:?}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]));

        let super_role = "ra1sandboxsuperadm01";
        let (s, body) = call(
            &org,
            Method::GET,
            &format!("/api/v1/users/00uzzzsandboxsuper01/roles/{super_role}/targets/groups"),
            None,
        )
        .await;
        assert_eq!(s, 400, "SUPER_ADMIN has no group targets: {body}");
        let (s, _) = call(
            &org,
            Method::GET,
            "/api/v1/users/00uzzzsandboxsuper01/roles/ra1Nope/targets/groups",
            None,
        )
        .await;
        assert_eq!(s, 404);
    }
}
