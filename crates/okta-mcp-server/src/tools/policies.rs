//! Policies and their rules. Bodies pass through as JSON, so `conditions`, `actions` and
//! `settings` of every policy type reach Okta intact.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::users::non_empty;
use crate::tools::{Effect, Output, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

const POLICY_LIST: ListRules = ListRules {
    default_limit: Some(20),
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 100,
};
/// Okta returns every rule of a policy at once; `after` is kept for a paged answer.
const RULE_LIST: ListRules = ListRules {
    default_limit: None,
    max_limit: 200,
    fetch_all_limit: 200,
    max_pages: 50,
};

/// Okta's policy types (OpenAPI `PolicyType`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyType {
    OktaSignOn,
    Password,
    MfaEnroll,
    IdpDiscovery,
    AccessPolicy,
    ProfileEnrollment,
    PostAuthSession,
    EntityRisk,
    DeviceSignalCollection,
    SessionViolationDetection,
    ClientUpdate,
    IdentityClaimSourcing,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum PolicyStatus {
    Active,
    Inactive,
}

/// The wire name of a serde enum value.
fn wire<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListPoliciesParams {
    /// Policy type: OKTA_SIGN_ON (global session), PASSWORD, MFA_ENROLL (authenticator enrollment), ACCESS_POLICY (app sign-in), PROFILE_ENROLLMENT, IDP_DISCOVERY, …
    #[serde(rename = "type")]
    pub policy_type: PolicyType,
    /// Only ACTIVE or INACTIVE policies.
    #[serde(default)]
    pub status: Option<PolicyStatus>,
    /// Policy name prefix.
    #[serde(default)]
    pub q: Option<String>,
    #[serde(flatten)]
    pub paging: Paging,
    /// Comma-separated dotted paths to return, e.g. `id,name,status,priority`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PolicyIdParams {
    /// Policy ID (00p…, rst…).
    pub policy_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreatePolicyParams {
    /// The policy as Okta takes it, e.g. `{"type":"PASSWORD","name":"Contractors","conditions":{"people":{"groups":{"include":["00g…"]}}},"settings":{…}}`.
    pub policy_data: Map<String, Value>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdatePolicyParams {
    /// Policy ID.
    pub policy_id: String,
    /// The complete policy (full replace), e.g. a get_policy result with changes.
    pub policy_data: Map<String, Value>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListRulesParams {
    /// Policy ID.
    pub policy_id: String,
    /// Cursor from a previous result's `next_cursor`.
    #[serde(default)]
    pub after: Option<String>,
    /// Follow every page.
    #[serde(default)]
    pub fetch_all: bool,
    /// Comma-separated dotted paths to return, e.g. `id,name,status,priority,actions`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RuleIdParams {
    /// Policy ID.
    pub policy_id: String,
    /// Rule ID (0pr…).
    pub rule_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateRuleParams {
    /// Policy ID.
    pub policy_id: String,
    /// The rule as Okta takes it (type, name, priority, conditions, actions), e.g. `{"type":"PASSWORD","name":"Allow reset","actions":{"passwordChange":{"access":"ALLOW"}}}`.
    pub rule_data: Map<String, Value>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateRuleParams {
    /// Policy ID.
    pub policy_id: String,
    /// Rule ID.
    pub rule_id: String,
    /// The complete rule (full replace), e.g. a get_policy_rule result with changes.
    pub rule_data: Map<String, Value>,
}

fn spec(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    effect: Effect,
    output: Output,
) -> ToolSpec {
    let scope = if effect == Effect::Read {
        "okta.policies.read"
    } else {
        "okta.policies.manage"
    };
    ToolSpec {
        name,
        title,
        description,
        toolset: Toolset::Policies,
        scope: Some(scope),
        effect,
        output,
    }
}

fn policy_path(policy_id: &str) -> ApiPath {
    ApiPath::new(paths::POLICIES).id(policy_id)
}

fn rule_path(policy_id: &str, rule_id: &str) -> ApiPath {
    policy_path(policy_id).lit("rules").id(rule_id)
}

pub fn tools() -> Vec<ToolDef> {
    let mut tools = policy_tools();
    tools.extend(rule_tools());
    tools
}

fn policy_tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            spec(
                "list_policies",
                "List policies",
                "List the org's policies of one type (type is required), in priority order.",
                Effect::Read,
                Output::List,
            ),
            |ctx: ToolCtx, p: ListPoliciesParams| async move {
                let fields = common::parse_fields(p.fields.as_deref())?;
                let req = ApiRequest::get(ApiPath::new(paths::POLICIES))
                    .query("type", wire(p.policy_type))
                    .query_opt("status", p.status.map(wire))
                    .query_opt("q", p.q.filter(|s| !s.trim().is_empty()));
                common::list(&ctx, req, &p.paging, POLICY_LIST, fields.as_ref()).await
            },
        ),
        ToolDef::new(
            spec(
                "get_policy",
                "Get policy",
                "Get one policy with its conditions and settings.",
                Effect::Read,
                Output::Object,
            ),
            |ctx: ToolCtx, p: PolicyIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                common::object(&ctx, ApiRequest::get(policy_path(&p.policy_id)), None).await
            },
        ),
        ToolDef::new(
            spec(
                "create_policy",
                "Create policy",
                "Create a policy from Okta's policy JSON (type and name required; conditions and settings passed through). Returns the new policy.",
                Effect::Write { idempotent: false },
                Output::Object,
            ),
            |ctx: ToolCtx, p: CreatePolicyParams| async move {
                require_keys(&p.policy_data, "policy_data", &["type", "name"])?;
                let req = ApiRequest::post(ApiPath::new(paths::POLICIES))
                    .json(Value::Object(p.policy_data));
                common::object(&ctx, req, None).await
            },
        ),
        ToolDef::new(
            spec(
                "update_policy",
                "Replace policy",
                "Replace a policy (full PUT): send the whole policy, e.g. a get_policy result with your changes.",
                Effect::Write { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: UpdatePolicyParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                let req = ApiRequest::put(policy_path(&p.policy_id))
                    .json(Value::Object(p.policy_data));
                common::object(&ctx, req, None).await
            },
        ),
        ToolDef::new(
            spec(
                "delete_policy",
                "Delete policy",
                "Delete a policy and its rules. Default policies cannot be deleted.",
                Effect::Destructive { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: PolicyIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                ctx.client
                    .send(ApiRequest::delete(policy_path(&p.policy_id)))
                    .await?;
                Ok(done(format!("Policy {} deleted.", p.policy_id)))
            },
        )
        .confirm_with(|ctx: ToolCtx, p: PolicyIdParams| async move {
            let policy = policy_label(&ctx, &p.policy_id).await;
            Ok(format!(
                "Delete policy {policy} and all its rules? This cannot be undone."
            ))
        }),
        ToolDef::new(
            spec(
                "activate_policy",
                "Activate policy",
                "Activate a policy so Okta evaluates it.",
                Effect::Write { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: PolicyIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                let path = policy_path(&p.policy_id).lit("lifecycle/activate");
                lifecycle(&ctx, path, format!("Policy {} activated.", p.policy_id)).await
            },
        ),
        ToolDef::new(
            spec(
                "deactivate_policy",
                "Deactivate policy",
                "Deactivate a policy: Okta stops evaluating it, so users may fall through to another policy.",
                Effect::Destructive { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: PolicyIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                let path = policy_path(&p.policy_id).lit("lifecycle/deactivate");
                lifecycle(&ctx, path, format!("Policy {} deactivated.", p.policy_id)).await
            },
        )
        .confirm_with(|ctx: ToolCtx, p: PolicyIdParams| async move {
            let policy = policy_label(&ctx, &p.policy_id).await;
            Ok(format!(
                "Deactivate policy {policy}? Okta stops evaluating it; users it covered fall through to the next policy."
            ))
        }),
    ]
}

fn rule_tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            spec(
                "list_policy_rules",
                "List policy rules",
                "List the rules of a policy in priority order, with conditions and actions.",
                Effect::Read,
                Output::List,
            ),
            |ctx: ToolCtx, p: ListRulesParams| async move {
                let fields = common::parse_fields(p.fields.as_deref())?;
                non_empty("policy_id", &p.policy_id)?;
                let req = ApiRequest::get(policy_path(&p.policy_id).lit("rules"));
                let paging = Paging {
                    fetch_all: p.fetch_all,
                    after: p.after,
                    limit: None,
                };
                common::list(&ctx, req, &paging, RULE_LIST, fields.as_ref()).await
            },
        ),
        ToolDef::new(
            spec(
                "get_policy_rule",
                "Get policy rule",
                "Get one rule of a policy, with its conditions and actions.",
                Effect::Read,
                Output::Object,
            ),
            |ctx: ToolCtx, p: RuleIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                non_empty("rule_id", &p.rule_id)?;
                let req = ApiRequest::get(rule_path(&p.policy_id, &p.rule_id));
                common::object(&ctx, req, None).await
            },
        ),
        ToolDef::new(
            spec(
                "create_policy_rule",
                "Create policy rule",
                "Add a rule to a policy from Okta's rule JSON (name, conditions, actions passed through unchanged). Returns the new rule.",
                Effect::Write { idempotent: false },
                Output::Object,
            ),
            |ctx: ToolCtx, p: CreateRuleParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                require_keys(&p.rule_data, "rule_data", &["name"])?;
                let req = ApiRequest::post(policy_path(&p.policy_id).lit("rules"))
                    .json(Value::Object(p.rule_data));
                common::object(&ctx, req, None).await
            },
        ),
        ToolDef::new(
            spec(
                "update_policy_rule",
                "Replace policy rule",
                "Replace a rule (full PUT): send the whole rule, e.g. a get_policy_rule result with your changes.",
                Effect::Write { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: UpdateRuleParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                non_empty("rule_id", &p.rule_id)?;
                let req = ApiRequest::put(rule_path(&p.policy_id, &p.rule_id))
                    .json(Value::Object(p.rule_data));
                common::object(&ctx, req, None).await
            },
        ),
        ToolDef::new(
            spec(
                "delete_policy_rule",
                "Delete policy rule",
                "Delete a rule from a policy. Default rules cannot be deleted.",
                Effect::Destructive { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: RuleIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                non_empty("rule_id", &p.rule_id)?;
                ctx.client
                    .send(ApiRequest::delete(rule_path(&p.policy_id, &p.rule_id)))
                    .await?;
                Ok(done(format!(
                    "Rule {} of policy {} deleted.",
                    p.rule_id, p.policy_id
                )))
            },
        )
        .confirm_with(|ctx: ToolCtx, p: RuleIdParams| async move {
            let rule = rule_label(&ctx, &p.policy_id, &p.rule_id).await;
            Ok(format!(
                "Delete rule {rule}? The policy's later rules decide instead. This cannot be undone."
            ))
        }),
        ToolDef::new(
            spec(
                "activate_policy_rule",
                "Activate policy rule",
                "Activate a rule so its policy applies it.",
                Effect::Write { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: RuleIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                non_empty("rule_id", &p.rule_id)?;
                let path = rule_path(&p.policy_id, &p.rule_id).lit("lifecycle/activate");
                lifecycle(&ctx, path, format!("Rule {} activated.", p.rule_id)).await
            },
        ),
        ToolDef::new(
            spec(
                "deactivate_policy_rule",
                "Deactivate policy rule",
                "Deactivate a rule: the policy skips it and later rules decide.",
                Effect::Destructive { idempotent: true },
                Output::Object,
            ),
            |ctx: ToolCtx, p: RuleIdParams| async move {
                non_empty("policy_id", &p.policy_id)?;
                non_empty("rule_id", &p.rule_id)?;
                let path = rule_path(&p.policy_id, &p.rule_id).lit("lifecycle/deactivate");
                lifecycle(&ctx, path, format!("Rule {} deactivated.", p.rule_id)).await
            },
        )
        .confirm_with(|ctx: ToolCtx, p: RuleIdParams| async move {
            let rule = rule_label(&ctx, &p.policy_id, &p.rule_id).await;
            Ok(format!(
                "Deactivate rule {rule}? The policy skips it and its later rules decide."
            ))
        }),
    ]
}

fn done(message: String) -> Value {
    json!({"success": true, "message": message})
}

/// Okta's lifecycle POSTs are idempotent, so they may be retried.
async fn lifecycle(ctx: &ToolCtx, path: ApiPath, message: String) -> Result<Value, ToolError> {
    ctx.client.send(ApiRequest::post(path).retryable()).await?;
    Ok(done(message))
}

fn require_keys(body: &Map<String, Value>, name: &str, keys: &[&str]) -> Result<(), ToolError> {
    let missing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| body.get(*k).is_none_or(Value::is_null))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ToolError::InvalidArguments(format!(
        "{name} needs {}",
        missing.join(" and ")
    )))
}

/// `name (TYPE, id)` for a confirmation prompt; the id alone if the lookup fails.
async fn policy_label(ctx: &ToolCtx, policy_id: &str) -> String {
    if policy_id.trim().is_empty() {
        return policy_id.to_owned();
    }
    match ctx
        .client
        .send(ApiRequest::get(policy_path(policy_id)))
        .await
    {
        Ok(found) => match (found.body["name"].as_str(), found.body["type"].as_str()) {
            (Some(name), Some(kind)) => format!("\"{name}\" ({kind}, {policy_id})"),
            (Some(name), None) => format!("\"{name}\" ({policy_id})"),
            _ => policy_id.to_owned(),
        },
        Err(_) => policy_id.to_owned(),
    }
}

async fn rule_label(ctx: &ToolCtx, policy_id: &str, rule_id: &str) -> String {
    if policy_id.trim().is_empty() || rule_id.trim().is_empty() {
        return rule_id.to_owned();
    }
    let (rule, policy) = futures::join!(
        ctx.client
            .send(ApiRequest::get(rule_path(policy_id, rule_id))),
        policy_label(ctx, policy_id)
    );
    match rule
        .ok()
        .and_then(|r| r.body["name"].as_str().map(str::to_owned))
    {
        Some(name) => format!("\"{name}\" ({rule_id}) of policy {policy}"),
        None => format!("{rule_id} of policy {policy}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_types_use_okta_names() {
        assert_eq!(wire(PolicyType::OktaSignOn), "OKTA_SIGN_ON");
        assert_eq!(wire(PolicyType::MfaEnroll), "MFA_ENROLL");
        assert_eq!(wire(PolicyType::IdpDiscovery), "IDP_DISCOVERY");
        assert_eq!(
            wire(PolicyType::DeviceSignalCollection),
            "DEVICE_SIGNAL_COLLECTION"
        );
        assert_eq!(wire(PolicyStatus::Inactive), "INACTIVE");
        let parsed: PolicyType = serde_json::from_value(json!("POST_AUTH_SESSION")).unwrap();
        assert_eq!(parsed, PolicyType::PostAuthSession);
    }
}
