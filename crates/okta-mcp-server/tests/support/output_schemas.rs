//! Every tool result a test sees is checked against the outputSchema its tool declares: the
//! test clients (stdio `Mcp`, `http::HttpClient`, `team::McpHttp`) call [`check_response`]
//! on each JSON-RPC response to a `tools/call`, so every suite validates for free. MCP asks
//! a tool that declares an outputSchema for structuredContent that conforms; an `isError`
//! result is exempt (as MCP clients such as the official SDKs validate only successes).

use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Each tool's outputSchema validator, by tool name, as the server binary declares them
/// (`tools --json` in demo mode lists every tool), read once per test binary.
fn validators() -> &'static HashMap<String, jsonschema::Validator> {
    static VALIDATORS: OnceLock<HashMap<String, jsonschema::Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let out = super::run(&[], &["tools", "--json", "--demo", "--audit-log", "off"]);
        assert!(
            out.status.success(),
            "`tools --json --demo` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tools: Vec<Value> = serde_json::from_slice(&out.stdout).expect("tools --json is JSON");
        tools
            .iter()
            .map(|tool| {
                let name = tool["name"].as_str().expect("a tool name").to_owned();
                let schema = &tool["outputSchema"];
                assert!(schema.is_object(), "{name} declares no outputSchema");
                let validator = jsonschema::validator_for(schema)
                    .unwrap_or_else(|e| panic!("{name}: invalid outputSchema: {e}"));
                (name, validator)
            })
            .collect()
    })
}

/// What is wrong with `result`, the result of a `tools/call` of `tool`, against the tool's
/// outputSchema (empty when it conforms, is an error result, or the tool is unknown). An
/// InputRequiredResult of the stateless protocol (`resultType: input_required`, the server
/// asking for a confirmation before it runs the tool) is no tool result yet: nothing to check.
pub fn violations(tool: &str, result: &Value) -> Vec<String> {
    if result.get("isError") == Some(&Value::Bool(true))
        || result.get("resultType").and_then(Value::as_str) == Some("input_required")
    {
        return Vec::new();
    }
    let Some(validator) = validators().get(tool) else {
        return Vec::new();
    };
    let Some(structured) = result.get("structuredContent") else {
        return vec!["no structuredContent, though the tool declares an outputSchema".into()];
    };
    validator
        .iter_errors(structured)
        .map(|e| format!("at {:?}: {e}", e.instance_path().as_str()))
        .collect()
}

/// Panics, naming the tool and every problem, unless `result` fits `tool`'s outputSchema.
pub fn check(tool: &str, result: &Value) {
    let problems = violations(tool, result);
    assert!(
        problems.is_empty(),
        "the result of {tool} does not match its outputSchema:\n  {}\nresult: {result}",
        problems.join("\n  ")
    );
}

/// The `tools/call` requests in `message` (one request or a batch), as (JSON-RPC id, tool).
pub fn calls_in(message: &Value) -> Vec<(String, String)> {
    let one = |m: &Value| {
        (m.get("method")? == "tools/call").then_some(())?;
        let id = m.get("id")?.to_string();
        let tool = m.get("params")?.get("name")?.as_str()?.to_owned();
        Some((id, tool))
    };
    match message {
        Value::Array(batch) => batch.iter().filter_map(one).collect(),
        single => one(single).into_iter().collect(),
    }
}

/// The `tools/call` requests a client sent and has not seen answered yet, by JSON-RPC id.
#[derive(Default)]
pub struct PendingCalls {
    pending: Mutex<HashMap<String, String>>,
    checked: AtomicUsize,
}

impl PendingCalls {
    /// Notes the `tools/call` requests of a message about to be sent.
    pub fn sent(&self, message: &Value) {
        let mut pending = self.pending.lock().unwrap();
        pending.extend(calls_in(message));
    }

    /// Notes the raw bytes of a message about to be sent (ignored unless JSON).
    pub fn sent_bytes(&self, bytes: &[u8]) {
        if let Ok(message) = serde_json::from_slice::<Value>(bytes) {
            self.sent(&message);
        }
    }

    /// Checks a received message that answers a pending `tools/call` (see [`check`]).
    pub fn received(&self, message: &Value) {
        let (Some(id), Some(result)) = (message.get("id"), message.get("result")) else {
            return;
        };
        if message.get("method").is_some() {
            return;
        }
        let tool = self.pending.lock().unwrap().remove(&id.to_string());
        if let Some(tool) = tool {
            check(&tool, result);
            self.checked.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// How many tool results were checked (for the test that the check is wired in).
    pub fn checked(&self) -> usize {
        self.checked.load(Ordering::SeqCst)
    }
}
