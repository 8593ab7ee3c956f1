//! Confirmation of destructive actions. Asked by MCP elicitation: an `elicitation/create`
//! request for clients before 2026-07-28, an `InputRequiredResult` round trip after. A client
//! without elicitation gets a result asking the user to confirm; nothing is ever done silently.

use crate::tools::{ParsedArgs, ToolCtx, ToolDef};
use rmcp::RoleServer;
use rmcp::model::*;
use rmcp::service::RequestContext;
use serde_json::{Value, json};
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
/// a client echoes is only a random handle, bound to the exact tool and arguments.
#[derive(Default)]
pub struct PendingConfirmations(Mutex<HashMap<String, Pending>>);

struct Pending {
    /// The person who was asked (team mode): nobody else's answer confirms their call.
    owner: Option<String>,
    tool: &'static str,
    args: Value,
    asked: Instant,
}

impl PendingConfirmations {
    fn insert(&self, owner: Option<&str>, tool: &'static str, args: &Value) -> String {
        let handle = uuid::Uuid::new_v4().to_string();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, p| p.asked.elapsed() < ANSWER_TIMEOUT);
        map.insert(
            handle.clone(),
            Pending {
                owner: owner.map(str::to_owned),
                tool,
                args: args.clone(),
                asked: Instant::now(),
            },
        );
        handle
    }

    /// Takes the pending confirmation if it matches this exact call (single use).
    fn take(&self, owner: Option<&str>, handle: &str, tool: &str, args: &Value) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(handle) {
            Some(p) if p.owner.as_deref() != owner => false,
            Some(_) => {
                let p = map.remove(handle).expect("present");
                p.tool == tool && &p.args == args && p.asked.elapsed() < ANSWER_TIMEOUT
            }
            None => false,
        }
    }
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
        if !pending.take(owner(ctx), handle, name, args) {
            return respond(cancelled(
                name,
                "the confirmation expired or did not match this call; nothing was changed. Call the tool again to be asked anew.",
            ));
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
        let handle = pending.insert(owner(ctx), name, args);
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
    CallToolResult::structured(
        json!({"success": false, "cancelled": true, "tool": tool, "message": format!("Not done: {why}")}),
    )
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
    respond(CallToolResult::structured(json!({
        "confirmation_required": true,
        "tool": name,
        "message": question,
        "next_step": how,
    })))
}
