//! `completion/complete`: suggestions for arguments whose values are known. A `ref/prompt`
//! naming a tool completes that tool's arguments; any other reference (the prompts in
//! `prompts.rs` included: their `user` argument takes logins) completes by argument name.
//!
//! Known values: the fixed values in a tool's input schema (enums such as policy types),
//! toolset names, user logins by prefix (one bounded search against the org), and System Log
//! event types: inside a log tool's `filter` after `eventType eq "` (or `sw "`), the whole
//! filter completed with each matching type, since a completion replaces the argument value.

use super::OktaMcp;
use super::exposure;
use crate::caller::Caller;
use crate::tools::Toolset;
use crate::tools::logs::event_types as log_event_types;
use okta_client::{ApiPath, ApiRequest, paths};
use rmcp::model::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Logins returned per completion (one page of the org's search).
const LOGIN_SUGGESTIONS: usize = 20;

/// A login search that takes longer than this is given up (the user is typing).
const LOGIN_SEARCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Prefixes longer than this are not searched for (no login is that long).
const MAX_PREFIX: usize = 256;

/// Argument names whose values are user logins.
const LOGIN_ARGUMENTS: &[&str] = &["login", "user_id", "user", "username", "user_login"];

/// Argument names whose values are toolset names.
const TOOLSET_ARGUMENTS: &[&str] = &["toolset", "toolsets"];

/// Argument names whose values are bare System Log event types.
const EVENT_TYPE_ARGUMENTS: &[&str] = &["event_type", "eventType"];

/// The log tools' argument holding an Okta filter expression.
const LOG_FILTER_ARGUMENT: &str = "filter";

/// Suggestions for `caller` (team mode: from the tools and with the Okta access that person
/// has, never anyone else's).
pub async fn complete(
    server: &OktaMcp,
    caller: Option<&Caller>,
    request: &CompleteRequestParams,
) -> CompleteResult {
    let argument = request.argument.name.as_str();
    let prefix = request.argument.value.as_str();
    let tool = match &request.r#ref {
        Reference::Prompt(prompt) => server.tool(&prompt.name),
        _ => None,
    };
    let mut values: Vec<String> = Vec::new();
    if TOOLSET_ARGUMENTS.contains(&argument) {
        values.extend(Toolset::ALL.iter().map(|t| t.name().to_owned()));
    }
    let schemas: Vec<&serde_json::Map<String, Value>> = match tool {
        Some(tool) => vec![&*tool.input_schema],
        None => server
            .visible_tools_for(caller)
            .into_iter()
            .map(|t| &*t.input_schema)
            .collect(),
    };
    let fixed: BTreeSet<String> = schemas
        .iter()
        .flat_map(|schema| enum_values(schema, argument))
        .collect();
    values.extend(fixed);
    if EVENT_TYPE_ARGUMENTS.contains(&argument) {
        values.extend(log_event_types::matching(prefix).map(str::to_owned));
    }
    let is_log_tool = |t: &crate::tools::ToolDef| t.spec.toolset == Toolset::Logs;
    let logs_filter = argument == LOG_FILTER_ARGUMENT
        && match tool {
            Some(tool) => is_log_tool(tool),
            None => server
                .visible_tools_for(caller)
                .into_iter()
                .any(is_log_tool),
        };
    if logs_filter {
        values.extend(log_event_types::complete_filter(prefix));
    }
    let mut values: Vec<String> = values
        .into_iter()
        .filter(|v| starts_with_ignoring_case(v, prefix))
        .collect();
    if values.is_empty() && LOGIN_ARGUMENTS.contains(&argument) {
        values = logins(server, caller, prefix).await;
    }
    let total = values.len();
    values.truncate(CompletionInfo::MAX_VALUES);
    let has_more = total > values.len();
    let total = u32::try_from(total).ok();
    CompleteResult::new(
        CompletionInfo::with_pagination(values, total, has_more).unwrap_or_default(),
    )
}

fn starts_with_ignoring_case(value: &str, prefix: &str) -> bool {
    value
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The fixed values a property of `schema` may take: its `enum` (or its items' `enum`),
/// following one local `$ref`.
fn enum_values(schema: &serde_json::Map<String, Value>, property: &str) -> Vec<String> {
    let Some(prop) = schema
        .get("properties")
        .and_then(|p| p.get(property))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let resolve = |node: &Value| -> Option<Value> {
        let reference = node.get("$ref").and_then(Value::as_str)?;
        let path = reference.strip_prefix("#/")?;
        let mut target = &Value::Object(schema.clone());
        for part in path.split('/') {
            target = target.get(part)?;
        }
        Some(target.clone())
    };
    let mut candidates = vec![Value::Object(prop.clone())];
    if let Some(items) = prop.get("items") {
        candidates.push(items.clone());
    }
    for any in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = prop.get(any) {
            candidates.extend(options.iter().cloned());
        }
    }
    let resolved: Vec<Value> = candidates.iter().filter_map(resolve).collect();
    candidates.extend(resolved);
    candidates
        .iter()
        .flat_map(|node| {
            let listed = node.get("enum").and_then(Value::as_array).cloned();
            let constant = node.get("const").cloned().map(|c| vec![c]);
            listed.or(constant).unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Up to `LOGIN_SUGGESTIONS` logins starting with `prefix`, from the org; nothing when the
/// users scope is not granted or the search fails (a completion is a hint, not a call).
async fn logins(server: &OktaMcp, caller: Option<&Caller>, prefix: &str) -> Vec<String> {
    if prefix.len() > MAX_PREFIX
        || !exposure::scope_granted(&server.granted_for(caller), "okta.users.read")
    {
        return Vec::new();
    }
    let Some(client) = server.client_for(caller, None) else {
        return Vec::new();
    };
    let escaped = prefix.replace('\\', "\\\\").replace('"', "\\\"");
    let request = ApiRequest::get(ApiPath::new(paths::USERS))
        .query("search", format!("profile.login sw \"{escaped}\""))
        .query("limit", LOGIN_SUGGESTIONS);
    let response = tokio::time::timeout(LOGIN_SEARCH_TIMEOUT, client.send(request)).await;
    let body = match response {
        Ok(Ok(response)) => response.body,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "login completion: the user search failed");
            return Vec::new();
        }
        Err(_) => {
            tracing::info!("login completion: the user search timed out");
            return Vec::new();
        }
    };
    body.as_array()
        .into_iter()
        .flatten()
        .filter_map(|user| user["profile"]["login"].as_str().map(str::to_owned))
        .take(LOGIN_SUGGESTIONS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enum_values_are_found_directly_in_items_and_through_refs() {
        let schema = json!({
            "properties": {
                "type": {"$ref": "#/$defs/PolicyType"},
                "expand": {"type": "array", "items": {"enum": ["settings", "customizationCount"]}},
                "status": {"enum": ["ACTIVE", "INACTIVE"]},
                "name": {"type": "string"}
            },
            "$defs": {"PolicyType": {"type": "string", "enum": ["OKTA_SIGN_ON", "PASSWORD"]}}
        });
        let schema = schema.as_object().unwrap();
        assert_eq!(enum_values(schema, "type"), ["OKTA_SIGN_ON", "PASSWORD"]);
        assert_eq!(
            enum_values(schema, "expand"),
            ["settings", "customizationCount"]
        );
        assert_eq!(enum_values(schema, "status"), ["ACTIVE", "INACTIVE"]);
        assert!(enum_values(schema, "name").is_empty());
        assert!(enum_values(schema, "missing").is_empty());
    }

    #[test]
    fn prefixes_match_without_regard_to_case() {
        assert!(starts_with_ignoring_case("PASSWORD", "pass"));
        assert!(starts_with_ignoring_case("PASSWORD", ""));
        assert!(!starts_with_ignoring_case("PASSWORD", "passwordx"));
        assert!(!starts_with_ignoring_case("é", "\u{301}"));
    }
}
