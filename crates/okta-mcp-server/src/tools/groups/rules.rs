//! Group rules: the expressions that put people into groups automatically. Reads need
//! okta.groups.read; creating, activating, deactivating and deleting need okta.groups.manage.
//! Okta creates a rule INACTIVE, and refuses to change or delete an ACTIVE one.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListDocs, ListQuery, ListRules, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::support::ids::{GroupId, GroupRuleId, UserId};
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

const GROUP_RULES: &str = "/api/v1/groups/rules";
/// Okta's expression language version group rules use.
const EXPRESSION_TYPE: &str = "urn:okta:expression:1.0";
/// Okta: 50 rules a page unless asked, 200 at most.
const RULE_PAGES: ListRules = ListRules {
    default_limit: Some(50),
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 50,
};
/// Okta's bound on a rule name.
const MAX_NAME_CHARS: usize = 50;
/// Groups one rule may assign to (Okta's limit).
const MAX_TARGET_GROUPS: usize = 100;

/// list_group_rules' query parameters.
#[derive(Clone, Debug)]
pub struct GroupRuleList;

impl ListDocs for GroupRuleList {
    const SEARCH: Option<&'static str> = Some("Keyword in the rule name, e.g. `Engineering`.");
    const FIELDS: &'static str = "Fields to return, e.g. `id,name,status`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct RuleIdParams {
    /// Group rule ID (0pr…).
    pub rule_id: GroupRuleId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateGroupRuleParams {
    /// Rule name, 1–50 characters, e.g. `Engineering by department`.
    pub name: String,
    /// Okta expression, e.g. `user.department=="Engineering"`.
    pub expression: String,
    /// Groups (OKTA_GROUP) the matching users are added to.
    pub group_ids: Vec<GroupId>,
    /// Users the rule never adds.
    #[serde(default)]
    pub exclude_user_ids: Vec<UserId>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct DeleteGroupRuleParams {
    /// Group rule ID (0pr…).
    pub rule_id: GroupRuleId,
    /// Also remove the users the rule added (default false).
    #[serde(default)]
    pub remove_users: bool,
}

pub fn list_group_rules() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "list_group_rules",
            title: "List group rules",
            description: "List group rules: expression, target groups (named), status.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.read"),
            effect: Effect::Read,
            result_kind: ResultKind::List,
        },
        |ctx: ToolCtx, p: ListQuery<GroupRuleList>| async move {
            let fields = p.fields()?;
            let req = ApiRequest::get(ApiPath::new(GROUP_RULES))
                .query_opt("search", p.search.clone().filter(|s| !s.trim().is_empty()))
                .query("expand", "groupIdToGroupNameMap");
            listing::list(&ctx, req, &p.paging, RULE_PAGES, fields.as_ref()).await
        },
    )
    .returns(json!({
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": rule_item_schema()},
            "has_more": {"type": "boolean"},
            "next_cursor": {"type": ["string", "null"]},
            "total_fetched": {"type": "integer"}
        },
        "required": ["items", "has_more", "next_cursor", "total_fetched"]
    }))
}

pub fn get_group_rule() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "get_group_rule",
            title: "Get group rule",
            description: "Get one group rule, its target groups named.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.read"),
            effect: Effect::Read,
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: RuleIdParams| async move {
            let req = ApiRequest::get(ApiPath::new(GROUP_RULES).id(&p.rule_id))
                .query("expand", "groupIdToGroupNameMap");
            common::object(&ctx, req, None).await
        },
    )
    .returns(rule_schema())
}

pub fn create_group_rule() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "create_group_rule",
            title: "Create group rule",
            description: "Create a rule adding users matching an Okta expression to groups; created INACTIVE (activate_group_rule starts it).",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Write { idempotent: false },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: CreateGroupRuleParams| async move {
            let body = rule_body(&p)?;
            let req = ApiRequest::post(ApiPath::new(GROUP_RULES)).json(body);
            common::object(&ctx, req, None).await
        },
    )
    .returns(rule_schema())
}

pub fn activate_group_rule() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "activate_group_rule",
            title: "Activate group rule",
            description: "Activate a group rule: matching users are added to its groups.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Write { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: RuleIdParams| async move {
            let path = ApiPath::new(GROUP_RULES)
                .id(&p.rule_id)
                .lit("lifecycle/activate");
            ctx.client.send(ApiRequest::post(path).retryable()).await?;
            Ok(lifecycle_ack(
                &p.rule_id,
                "ACTIVE",
                format!(
                    "Group rule {} activated: matching users are being added to its groups.",
                    &*p.rule_id
                ),
            ))
        },
    )
    .returns(ack_schema())
}

pub fn deactivate_group_rule() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "deactivate_group_rule",
            title: "Deactivate group rule",
            description: "Deactivate a group rule (users it added stay); needed before deleting it.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: RuleIdParams| async move {
            let path = ApiPath::new(GROUP_RULES)
                .id(&p.rule_id)
                .lit("lifecycle/deactivate");
            ctx.client
                .send(ApiRequest::post(path).retryable())
                .await?;
            Ok(lifecycle_ack(
                &p.rule_id,
                "INACTIVE",
                format!(
                    "Group rule {} deactivated: it adds no more users; those it added stay in its groups.",
                    &*p.rule_id
                ),
            ))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: RuleIdParams| async move {
        let rule = rule_label(&ctx, &p.rule_id).await;
        Ok(format!(
            "Deactivate group rule {rule}? It stops adding users to its groups; users it already added stay."
        ))
    })
    .returns(ack_schema())
}

pub fn delete_group_rule() -> ToolDef {
    ToolDef::new(
        ToolSpec {
            name: "delete_group_rule",
            title: "Delete group rule",
            description: "Delete an INACTIVE group rule; remove_users=true also removes the users it added.",
            toolset: Toolset::Groups,
            scope: Some("okta.groups.manage"),
            effect: Effect::Destructive { idempotent: true },
            result_kind: ResultKind::Object,
        },
        |ctx: ToolCtx, p: DeleteGroupRuleParams| async move {
            let rule = read_rule(&ctx, &p.rule_id).await?;
            ensure_not_active(&rule, &p.rule_id)?;
            let req = ApiRequest::delete(ApiPath::new(GROUP_RULES).id(&p.rule_id))
                .query("removeUsers", p.remove_users);
            ctx.client.send(req).await?;
            let removed = if p.remove_users {
                " The users it added were removed from its groups."
            } else {
                " The users it added stay in its groups."
            };
            Ok(json!({
                "success": true,
                "rule_id": p.rule_id,
                "removed_users": p.remove_users,
                "message": format!("Group rule {} deleted.{removed}", describe_rule(&rule, &p.rule_id)),
            }))
        },
    )
    .confirm_with(|ctx: ToolCtx, p: DeleteGroupRuleParams| async move {
        let rule = read_rule(&ctx, &p.rule_id).await?;
        // Asking is pointless when Okta would refuse anyway.
        ensure_not_active(&rule, &p.rule_id)?;
        let members = if p.remove_users {
            "The users it added are removed from its groups."
        } else {
            "The users it added stay in its groups (remove_users=false)."
        };
        Ok(format!(
            "Permanently delete group rule {}? {members} This cannot be undone.",
            describe_rule(&rule, &p.rule_id)
        ))
    })
    .returns(json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "rule_id": {"type": "string"},
            "removed_users": {"type": "boolean"},
            "message": {"type": "string"}
        },
        "required": ["success", "rule_id", "removed_users", "message"]
    }))
}

/// A rule in a list: the properties of `rule_schema`, none required (`fields` may drop any).
fn rule_item_schema() -> Value {
    let mut item = rule_schema();
    if let Some(map) = item.as_object_mut() {
        map.remove("required");
    }
    item
}

fn rule_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "status": {"type": "string"},
            "type": {"type": "string"},
            "conditions": {"type": "object"},
            "actions": {"type": "object"}
        },
        "required": ["id", "name", "status"]
    })
}

fn ack_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "rule_id": {"type": "string"},
            "status": {"type": "string"},
            "message": {"type": "string"}
        },
        "required": ["success", "rule_id", "status", "message"]
    })
}

fn lifecycle_ack(rule_id: &str, status: &str, message: String) -> Value {
    json!({"success": true, "rule_id": rule_id, "status": status, "message": message})
}

/// Okta's create body, from arguments checked here so a malformed rule is explained before
/// anything is sent.
fn rule_body(p: &CreateGroupRuleParams) -> Result<Value, ToolError> {
    let name = p.name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ToolError::InvalidArguments(format!(
            "name: must be 1 to {MAX_NAME_CHARS} characters (got {chars})"
        )));
    }
    check_expression(&p.expression)?;
    if p.group_ids.is_empty() {
        return Err(ToolError::InvalidArguments(
            "group_ids: name at least one group (00g…) the matching users are added to".into(),
        ));
    }
    if p.group_ids.len() > MAX_TARGET_GROUPS {
        return Err(ToolError::InvalidArguments(format!(
            "group_ids: a rule assigns to at most {MAX_TARGET_GROUPS} groups (got {})",
            p.group_ids.len()
        )));
    }
    let mut groups: Vec<&str> = Vec::new();
    for id in &p.group_ids {
        if groups.contains(&&**id) {
            return Err(ToolError::InvalidArguments(format!(
                "group_ids: {id} is listed twice"
            )));
        }
        groups.push(id);
    }
    let excluded: Vec<&str> = p.exclude_user_ids.iter().map(|u| &**u).collect();
    Ok(json!({
        "type": "group_rule",
        "name": name,
        "conditions": {
            "people": {"users": {"exclude": excluded}, "groups": {"exclude": []}},
            "expression": {"value": p.expression.trim(), "type": EXPRESSION_TYPE},
        },
        "actions": {"assignUserToGroups": {"groupIds": groups}},
    }))
}

/// The shape checks Okta's parser would fail on, said in words: not empty, quotes closed,
/// parentheses balanced. What the expression means is Okta's to judge.
fn check_expression(expression: &str) -> Result<(), ToolError> {
    let bad = |why: &str| {
        Err(ToolError::InvalidArguments(format!(
            "expression: {why}; write it in Okta's expression language, e.g. user.department==\"Engineering\" AND user.title!=\"Contractor\""
        )))
    };
    let text = expression.trim();
    if text.is_empty() {
        return bad("must not be empty");
    }
    let mut depth: i32 = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return bad("a ')' has no matching '('");
                    }
                }
                _ => {}
            },
        }
    }
    if quote.is_some() {
        return bad("a string literal is not closed");
    }
    if depth != 0 {
        return bad("a '(' is not closed");
    }
    if !text.contains("user.") && !text.contains("isMemberOf") {
        return bad("it reads no user attribute (user.…) or group membership (isMemberOf…)");
    }
    Ok(())
}

async fn read_rule(ctx: &ToolCtx, rule_id: &str) -> Result<Value, ToolError> {
    let req = ApiRequest::get(ApiPath::new(GROUP_RULES).id(rule_id));
    Ok(ctx.client.send(req).await?.body)
}

/// `"name" (id)` of a rule.
fn describe_rule(rule: &Value, rule_id: &str) -> String {
    match rule["name"].as_str() {
        Some(name) => format!("\"{name}\" ({rule_id})"),
        None => rule_id.to_owned(),
    }
}

/// Names a rule for a question; the id alone when it cannot be read.
async fn rule_label(ctx: &ToolCtx, rule_id: &str) -> String {
    match read_rule(ctx, rule_id).await {
        Ok(rule) => describe_rule(&rule, rule_id),
        Err(_) => rule_id.to_owned(),
    }
}

/// Okta refuses to delete an ACTIVE rule; say so, and what to do, before sending anything.
fn ensure_not_active(rule: &Value, rule_id: &str) -> Result<(), ToolError> {
    if rule["status"] == "ACTIVE" {
        return Err(ToolError::Refused(format!(
            "Group rule {} is ACTIVE; nothing was deleted. Run deactivate_group_rule first, then delete_group_rule.",
            describe_rule(rule, rule_id)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_with_broken_shape_are_explained() {
        for (text, why) in [
            ("", "empty"),
            ("user.department==\"Eng", "not closed"),
            ("(user.department==\"Eng\"", "'(' is not closed"),
            ("user.department==\"Eng\")", "no matching"),
            ("true", "reads no user attribute"),
        ] {
            let err = check_expression(text).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
        check_expression("user.title==\"a (b\" AND (user.x!='y')").unwrap();
        check_expression("isMemberOfAnyGroup(\"00g1\")").unwrap();
    }
}
