//! Confirmation of destructive actions. Asked by MCP elicitation: an `elicitation/create`
//! request for clients before 2026-07-28, an `InputRequiredResult` round trip after. A client
//! without elicitation gets a result asking the user to confirm; nothing is ever done silently.

use crate::team::state::{ConfirmationRecord, State};
use crate::tools::{ParsedArgs, ToolCtx, ToolDef};
use rmcp::RoleServer;
use rmcp::model::*;
use rmcp::service::RequestContext;
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a person has to answer a confirmation prompt.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(600);
/// The key of our one question inside an `InputRequiredResult`.
const INPUT_KEY: &str = "confirm";

/// Where the call came from, and what it carried for a confirmation round trip.
pub enum Gate<'a> {
    Mcp {
        context: &'a RequestContext<RoleServer>,
        request_state: Option<&'a str>,
        input_responses: Option<&'a InputResponses>,
    },
    /// The `call` command: only `confirm: true` in the arguments confirms.
    Cli,
}

pub enum Decision {
    Proceed,
    Respond(Box<CallToolResponse>),
}

/// Confirmations asked through `InputRequiredResult`, kept server-side: the `requestState`
/// a client echoes is only a random handle, bound to the exact tool and arguments (by
/// digest: no argument value is kept). In team mode they live in the state store, so the
/// answer may reach another replica than the one that asked.
pub enum PendingConfirmations {
    InProcess(Mutex<HashMap<String, (ConfirmationRecord, Instant)>>),
    Shared(State),
}

impl Default for PendingConfirmations {
    fn default() -> Self {
        Self::InProcess(Mutex::default())
    }
}

impl PendingConfirmations {
    /// Kept in the team server's state store.
    pub fn in_store(state: State) -> Self {
        Self::Shared(state)
    }

    async fn insert(
        &self,
        owner: Option<&str>,
        tool: &'static str,
        args: &Value,
    ) -> Result<String, String> {
        let handle = uuid::Uuid::new_v4().to_string();
        let record = ConfirmationRecord {
            owner: owner.map(str::to_owned),
            tool: tool.to_owned(),
            args_sha256: arguments_sha256(args),
        };
        match self {
            Self::InProcess(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                map.retain(|_, (_, asked)| asked.elapsed() < ANSWER_TIMEOUT);
                map.insert(handle.clone(), (record, Instant::now()));
            }
            Self::Shared(state) => state
                .ask_confirmation(&handle, &record, ANSWER_TIMEOUT)
                .await
                .map_err(|e| e.to_string())?,
        }
        Ok(handle)
    }

    /// Takes the pending confirmation if it matches this exact call (single use; another
    /// person's answer neither confirms nor spends it).
    async fn take(
        &self,
        owner: Option<&str>,
        handle: &str,
        tool: &str,
        args: &Value,
    ) -> Result<bool, String> {
        let taken = match self {
            Self::InProcess(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                match map.get(handle) {
                    Some((p, _)) if p.owner.as_deref() != owner => None,
                    Some(_) => map
                        .remove(handle)
                        .filter(|(_, asked)| asked.elapsed() < ANSWER_TIMEOUT)
                        .map(|(p, _)| p),
                    None => None,
                }
            }
            Self::Shared(state) => {
                let asked = state
                    .confirmation(handle)
                    .await
                    .map_err(|e| e.to_string())?;
                if asked.is_none_or(|p| p.owner.as_deref() != owner) {
                    None
                } else {
                    state
                        .take_confirmation(handle)
                        .await
                        .map_err(|e| e.to_string())?
                }
            }
        };
        Ok(taken.is_some_and(|p| p.tool == tool && p.args_sha256 == arguments_sha256(args)))
    }
}

/// SHA-256 (hex) of the arguments as JSON with keys sorted at every depth, so an echo with
/// its keys in another order is the same call.
fn arguments_sha256(args: &Value) -> String {
    fn canonical(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let sorted: std::collections::BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, canonical(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }
    let digest = sha2::Sha256::digest(canonical(args).to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The confirmation could not be kept or read: the state store is down. Nothing was done.
fn store_failed(tool: &str, error: &str) -> Decision {
    respond(crate::server::error_result(json!({
        "error": "state_store_unavailable",
        "tool": tool,
        "message": format!("Not done: {error}"),
        "hint": "The server's state store is unreachable; nothing was changed. Call the tool again in a moment.",
    })))
}

/// Who a confirmation belongs to: the signed-in person in team mode.
fn owner(ctx: &ToolCtx) -> Option<&str> {
    ctx.caller.as_ref().map(|c| c.user_id.as_str())
}

pub async fn confirm(
    pending: &PendingConfirmations,
    tool: &ToolDef,
    ctx: &ToolCtx,
    args: &Value,
    parsed: &ParsedArgs,
    confirmed_by_argument: bool,
    gate: Gate<'_>,
) -> Decision {
    let name = tool.spec.name;
    let Gate::Mcp {
        context,
        request_state,
        input_responses,
    } = gate
    else {
        return if confirmed_by_argument {
            Decision::Proceed
        } else {
            needs_confirmation(ctx, tool, parsed, false).await
        };
    };
    let elicitation = context
        .client_capabilities()
        .and_then(|c| c.elicitation)
        .is_some();
    let mrtr = context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);

    if let Some(handle) = request_state {
        match pending.take(owner(ctx), handle, name, args).await {
            Ok(true) => {}
            Err(e) => return store_failed(name, &e),
            Ok(false) => {
                return respond(cancelled(
                    name,
                    "the confirmation expired or did not match this call; nothing was changed. Call the tool again to be asked anew.",
                ));
            }
        }
        let answer = input_responses.and_then(|r| r.get(INPUT_KEY));
        return decide(
            name,
            answer.and_then(|a| a.get("action")).and_then(Value::as_str),
            answer.and_then(|a| a.get("content")),
        );
    }
    if !elicitation {
        return if confirmed_by_argument {
            Decision::Proceed
        } else {
            needs_confirmation(ctx, tool, parsed, true).await
        };
    }
    let message = match tool.confirmation_message(ctx.clone(), parsed).await {
        Ok(m) => m,
        Err(e) => return respond(crate::server::error_result(e.to_value(name))),
    };
    if mrtr {
        let handle = match pending.insert(owner(ctx), name, args).await {
            Ok(handle) => handle,
            Err(e) => return store_failed(name, &e),
        };
        let mut requests = InputRequests::new();
        requests.insert(
            INPUT_KEY.to_owned(),
            InputRequest::Elicitation(ElicitRequest::new(form(message))),
        );
        return Decision::Respond(Box::new(
            InputRequiredResult::new(Some(requests), Some(handle)).into(),
        ));
    }
    match context
        .peer
        .create_elicitation_with_timeout(form(message), Some(ANSWER_TIMEOUT))
        .await
    {
        Ok(result) => {
            let action = serde_json::to_value(&result.action).ok();
            decide(
                name,
                action.as_ref().and_then(Value::as_str),
                result.content.as_ref(),
            )
        }
        Err(e) => {
            tracing::warn!(tool = name, error = %e, "elicitation failed; asking for confirmation in the result instead");
            if confirmed_by_argument {
                Decision::Proceed
            } else {
                needs_confirmation(ctx, tool, parsed, true).await
            }
        }
    }
}

fn decide(tool: &str, action: Option<&str>, content: Option<&Value>) -> Decision {
    let confirmed = content
        .and_then(|c| c.get("confirm"))
        .and_then(Value::as_bool)
        == Some(true);
    match action {
        Some("accept") if confirmed => Decision::Proceed,
        Some("accept") => respond(cancelled(
            tool,
            "the user did not tick the confirmation; nothing was changed.",
        )),
        Some("decline") => respond(cancelled(tool, "the user declined; nothing was changed.")),
        _ => respond(cancelled(
            tool,
            "the confirmation was cancelled; nothing was changed.",
        )),
    }
}

fn form(message: String) -> ElicitRequestParams {
    let schema = ElicitationSchema::builder()
        .required_bool_with("confirm", |b| {
            b.title("Confirm").description("Tick to go ahead")
        })
        .build_unchecked();
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema,
    }
}

fn respond(result: CallToolResult) -> Decision {
    Decision::Respond(Box::new(result.into()))
}

fn cancelled(tool: &str, why: &str) -> CallToolResult {
    super::success_result(cancelled_answer(tool, why))
}

/// The structured answer of a call the user did not confirm: a success result of the tool,
/// so it validates against the tool's outputSchema (guards.rs checks it for every tool).
pub(crate) fn cancelled_answer(tool: &str, why: &str) -> Value {
    json!({"success": false, "cancelled": true, "tool": tool, "message": format!("Not done: {why}")})
}

/// The structured answer that asks the client to confirm (see `cancelled_answer`).
pub(crate) fn confirmation_answer(tool: &str, question: String, how: String) -> Value {
    json!({
        "confirmation_required": true,
        "tool": tool,
        "message": question,
        "next_step": how,
    })
}

/// The answer for a client that cannot show a prompt: ask the user, then re-call with confirm.
async fn needs_confirmation(
    ctx: &ToolCtx,
    tool: &ToolDef,
    parsed: &ParsedArgs,
    mcp: bool,
) -> Decision {
    let name = tool.spec.name;
    let question = match tool.confirmation_message(ctx.clone(), parsed).await {
        Ok(m) => m,
        Err(e) => return respond(crate::server::error_result(e.to_value(name))),
    };
    let how = if mcp {
        format!(
            "Ask the user this question. Only if they clearly agree, call {name} again with the same arguments plus \"confirm\": true."
        )
    } else {
        "Run the command again with \"confirm\": true in the arguments to go ahead.".to_string()
    };
    respond(super::success_result(confirmation_answer(
        name, question, how,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_binds_the_exact_arguments_whatever_their_key_order() {
        let asked = json!({"group_id": "00g1", "options": {"a": 1, "b": [1, {"y": 2, "x": 1}]}});
        let echoed = json!({"options": {"b": [1, {"x": 1, "y": 2}], "a": 1}, "group_id": "00g1"});
        assert_eq!(arguments_sha256(&asked), arguments_sha256(&echoed));
        let other = json!({"group_id": "00g2", "options": {"a": 1, "b": [1, {"y": 2, "x": 1}]}});
        assert_ne!(arguments_sha256(&asked), arguments_sha256(&other));
        let reordered_list =
            json!({"group_id": "00g1", "options": {"a": 1, "b": [{"y": 2, "x": 1}, 1]}});
        assert_ne!(arguments_sha256(&asked), arguments_sha256(&reordered_list));
    }

    #[tokio::test]
    async fn an_in_process_confirmation_is_single_use_and_only_its_owner_answers_it() {
        let pending = PendingConfirmations::default();
        let args = json!({"group_id": "00g1"});
        let handle = pending
            .insert(Some("00u1"), "delete_group", &args)
            .await
            .unwrap();
        // Someone else's answer neither confirms nor spends it.
        assert!(
            !pending
                .take(Some("00u2"), &handle, "delete_group", &args)
                .await
                .unwrap()
        );
        assert!(
            pending
                .take(Some("00u1"), &handle, "delete_group", &args)
                .await
                .unwrap()
        );
        assert!(
            !pending
                .take(Some("00u1"), &handle, "delete_group", &args)
                .await
                .unwrap()
        );
        // Another call than the one asked about is refused (and spends the handle).
        let handle = pending.insert(None, "delete_group", &args).await.unwrap();
        let other = json!({"group_id": "00g2"});
        assert!(
            !pending
                .take(None, &handle, "delete_group", &other)
                .await
                .unwrap()
        );
        assert!(
            !pending
                .take(None, &handle, "delete_group", &args)
                .await
                .unwrap()
        );
    }
}
