//! Policies and their rules. Bodies pass through as JSON, so `conditions`, `actions` and
//! `settings` of every policy type reach Okta intact.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::common::{self, ListDocs, ListQuery, ListRules, Paging, ToolCtx};
use crate::tools::error::ToolError;
use crate::tools::listing;
use crate::tools::support::ids::{PolicyId, RuleId};
use crate::tools::support::output_schemas as schemas;
use crate::tools::{Effect, ResultKind, ToolDef, ToolSpec, Toolset};
use okta_client::{ApiPath, ApiRequest, paths};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

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

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListPoliciesParams {
    /// OKTA_SIGN_ON = global session, MFA_ENROLL = authenticator enrollment, ACCESS_POLICY = app sign-in.
    #[serde(rename = "type")]
    pub policy_type: PolicyType,
    /// Status filter.
    #[serde(default)]
    pub status: Option<PolicyStatus>,
    #[serde(flatten)]
    pub query: ListQuery<PolicyList>,
}

/// list_policies' query parameters.
#[derive(Clone, Debug)]
pub struct PolicyList;

impl ListDocs for PolicyList {
    const Q: Option<&'static str> = Some("Policy name prefix.");
    const FIELDS: &'static str = "Fields to return, e.g. `id,name,status`.";
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct PolicyIdParams {
    /// Policy ID (00p…, rst…).
    pub policy_id: PolicyId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreatePolicyParams {
    /// Okta policy JSON, e.g. `{"type":"PASSWORD","name":"Contractors","conditions":{…},"settings":{…}}`.
    pub policy_data: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UpdatePolicyParams {
    /// Policy ID.
    pub policy_id: PolicyId,
    /// The whole policy, e.g. a get_policy result with changes.
    pub policy_data: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct ListRulesParams {
    /// Policy ID.
    pub policy_id: PolicyId,
    /// `next_cursor` of a previous result.
    #[serde(default)]
    pub after: Option<String>,
    /// Follow every page.
    #[serde(default)]
    pub fetch_all: bool,
    /// Fields to return, e.g. `id,name,actions`.
    #[serde(default)]
    pub fields: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct RuleIdParams {
    /// Policy ID.
    pub policy_id: PolicyId,
    /// Rule ID (0pr…).
    pub rule_id: RuleId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct CreateRuleParams {
    /// Policy ID.
    pub policy_id: PolicyId,
    /// Okta rule JSON (name, priority, conditions, actions).
    pub rule_data: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct UpdateRuleParams {
    /// Policy ID.
    pub policy_id: PolicyId,
    /// Rule ID.
    pub rule_id: RuleId,
    /// The whole rule, e.g. a get_policy_rule result with changes.
    pub rule_data: Map<String, Value>,
}

fn spec(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    effect: Effect,
    result_kind: ResultKind,
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
        result_kind,
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
        list_policies(),
        get_policy(),
        create_policy(),
        update_policy(),
        delete_policy(),
        activate_policy(),
        deactivate_policy(),
    ]
}

pub fn list_policies() -> ToolDef {
    ToolDef::new(
        spec(
            "list_policies",
            "List policies",
            "List policies of one type, in priority order.",
            Effect::Read,
            ResultKind::List,
        ),
        |ctx: ToolCtx, p: ListPoliciesParams| async move {
            let fields = p.query.fields()?;
            let req = ApiRequest::get(ApiPath::new(paths::POLICIES))
                .query("type", wire(p.policy_type))
                .query_opt("status", p.status.map(wire));
            let req = p.query.apply(req);
            listing::list(
                &ctx,
                req,
                &p.query.paging,
                ListRules::USUAL,
                fields.as_ref(),
            )
            .await
        },
    )
    .returns(schemas::list_of(schemas::policy()))
}

pub fn get_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "get_policy",
            "Get policy",
            "Get one policy.",
            Effect::Read,
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: PolicyIdParams| async move {
            common::object(&ctx, ApiRequest::get(policy_path(&p.policy_id)), None).await
        },
    )
    .returns(schemas::policy())
}

pub fn create_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "create_policy",
            "Create policy",
            "Create a policy from Okta policy JSON (type, name, …). Returns the policy.",
            Effect::Write { idempotent: false },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: CreatePolicyParams| async move {
            require_keys(&p.policy_data, "policy_data", &["type", "name"])?;
            let req =
                ApiRequest::post(ApiPath::new(paths::POLICIES)).json(Value::Object(p.policy_data));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::policy())
}

pub fn update_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "update_policy",
            "Replace policy",
            "Replace a policy (full PUT).",
            Effect::Write { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: UpdatePolicyParams| async move {
            let req = ApiRequest::put(policy_path(&p.policy_id)).json(Value::Object(p.policy_data));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::policy())
}

pub fn delete_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "delete_policy",
            "Delete policy",
            "Delete a policy and its rules.",
            Effect::Destructive { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: PolicyIdParams| async move {
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
    })
    .returns(schemas::ack(&[]))
}

pub fn activate_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "activate_policy",
            "Activate policy",
            "Activate a policy.",
            Effect::Write { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: PolicyIdParams| async move {
            let path = policy_path(&p.policy_id).lit("lifecycle/activate");
            lifecycle(&ctx, path, format!("Policy {} activated.", p.policy_id)).await
        },
    )
    .returns(schemas::ack(&[]))
}

pub fn deactivate_policy() -> ToolDef {
    ToolDef::new(
        spec(
            "deactivate_policy",
            "Deactivate policy",
            "Deactivate a policy; Okta stops evaluating it.",
            Effect::Destructive { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: PolicyIdParams| async move {
            let path = policy_path(&p.policy_id).lit("lifecycle/deactivate");
            lifecycle(&ctx, path, format!("Policy {} deactivated.", p.policy_id)).await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: PolicyIdParams| async move {
        let policy = policy_label(&ctx, &p.policy_id).await;
        Ok(format!(
            "Deactivate policy {policy}? Okta stops evaluating it; users it covered fall through to the next policy."
        ))
    })
    .returns(schemas::ack(&[]))
}

fn rule_tools() -> Vec<ToolDef> {
    vec![
        list_policy_rules(),
        get_policy_rule(),
        create_policy_rule(),
        update_policy_rule(),
        delete_policy_rule(),
        activate_policy_rule(),
        deactivate_policy_rule(),
    ]
}

pub fn list_policy_rules() -> ToolDef {
    ToolDef::new(
        spec(
            "list_policy_rules",
            "List policy rules",
            "List a policy's rules in priority order.",
            Effect::Read,
            ResultKind::List,
        ),
        |ctx: ToolCtx, p: ListRulesParams| async move {
            let fields = common::parse_fields(p.fields.as_deref())?;
            let req = ApiRequest::get(policy_path(&p.policy_id).lit("rules"));
            let paging = Paging {
                fetch_all: p.fetch_all,
                after: p.after,
                limit: None,
            };
            listing::list(&ctx, req, &paging, ListRules::OKTA_SIZED, fields.as_ref()).await
        },
    )
    .returns(schemas::list_of(schemas::policy_rule()))
}

pub fn get_policy_rule() -> ToolDef {
    ToolDef::new(
        spec(
            "get_policy_rule",
            "Get policy rule",
            "Get one policy rule.",
            Effect::Read,
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: RuleIdParams| async move {
            let req = ApiRequest::get(rule_path(&p.policy_id, &p.rule_id));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::policy_rule())
}

pub fn create_policy_rule() -> ToolDef {
    ToolDef::new(
        spec(
            "create_policy_rule",
            "Create policy rule",
            "Add a rule to a policy from Okta rule JSON. Returns the rule.",
            Effect::Write { idempotent: false },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: CreateRuleParams| async move {
            require_keys(&p.rule_data, "rule_data", &["name"])?;
            let req = ApiRequest::post(policy_path(&p.policy_id).lit("rules"))
                .json(Value::Object(p.rule_data));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::policy_rule())
}

pub fn update_policy_rule() -> ToolDef {
    ToolDef::new(
        spec(
            "update_policy_rule",
            "Replace policy rule",
            "Replace a policy rule (full PUT).",
            Effect::Write { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: UpdateRuleParams| async move {
            let req = ApiRequest::put(rule_path(&p.policy_id, &p.rule_id))
                .json(Value::Object(p.rule_data));
            common::object(&ctx, req, None).await
        },
    )
    .returns(schemas::policy_rule())
}

pub fn delete_policy_rule() -> ToolDef {
    ToolDef::new(
        spec(
            "delete_policy_rule",
            "Delete policy rule",
            "Delete a policy rule.",
            Effect::Destructive { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: RuleIdParams| async move {
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
    })
    .returns(schemas::ack(&[]))
}

pub fn activate_policy_rule() -> ToolDef {
    ToolDef::new(
        spec(
            "activate_policy_rule",
            "Activate policy rule",
            "Activate a policy rule.",
            Effect::Write { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: RuleIdParams| async move {
            let path = rule_path(&p.policy_id, &p.rule_id).lit("lifecycle/activate");
            lifecycle(&ctx, path, format!("Rule {} activated.", p.rule_id)).await
        },
    )
    .returns(schemas::ack(&[]))
}

pub fn deactivate_policy_rule() -> ToolDef {
    ToolDef::new(
        spec(
            "deactivate_policy_rule",
            "Deactivate policy rule",
            "Deactivate a policy rule; later rules decide.",
            Effect::Destructive { idempotent: true },
            ResultKind::Object,
        ),
        |ctx: ToolCtx, p: RuleIdParams| async move {
            let path = rule_path(&p.policy_id, &p.rule_id).lit("lifecycle/deactivate");
            lifecycle(&ctx, path, format!("Rule {} deactivated.", p.rule_id)).await
        },
    )
    .confirm_with(|ctx: ToolCtx, p: RuleIdParams| async move {
        let rule = rule_label(&ctx, &p.policy_id, &p.rule_id).await;
        Ok(format!(
            "Deactivate rule {rule}? The policy skips it and its later rules decide."
        ))
    })
    .returns(schemas::ack(&[]))
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
