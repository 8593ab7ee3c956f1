//! get_logs with fetch_all over the whole System Log against the raw page sweep.

use super::{Plan, tool_payload};
use crate::floor::Floor;
use crate::process::ServerProcess;
use crate::stats::Summary;
use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

/// A window wide enough to hold every seeded System Log event.
const LOG_SINCE: &str = "2000-01-01T00:00:00Z";
const LOG_UNTIL: &str = "2100-01-01T00:00:00Z";
/// Result budget for the fetch_all run, so the whole log fits in one answer.
const LOG_RESULT_BYTES: &str = "1000000000";

#[derive(Debug, Serialize)]
pub struct LogsRow {
    pub latency_ms: u64,
    pub events: u64,
    pub pages: u64,
    pub stopped_early: bool,
    pub server_ms: Summary,
    /// The same events walked page after page: without `until` the window is open-ended,
    /// so the server cannot slice it. The difference to `server_ms` is what slicing buys.
    pub sequential_ms: Summary,
    pub peak_rss_kib: u64,
    /// The whole JSON-RPC response line.
    pub result_bytes: usize,
    /// Of which: the text content blocks, and the compact structuredContent.
    pub text_bytes: usize,
    pub structured_bytes: usize,
    pub floor_ms: Summary,
    pub floor_pages: usize,
    pub floor_events: usize,
    pub floor_bytes: usize,
}

/// What one get_logs fetch_all answer held.
struct LogsShape {
    events: u64,
    pages: u64,
    stopped_early: bool,
    result_bytes: usize,
    text_bytes: usize,
    structured_bytes: usize,
}

/// Bytes of all text content blocks of a tool result.
fn text_bytes(result: &Value) -> usize {
    result["content"].as_array().map_or(0, |blocks| {
        blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .map(str::len)
            .sum()
    })
}

/// get_logs with fetch_all over the whole log in a fresh server (so VmHWM is this workload's
/// peak), interleaved with the raw page sweep over the same pages.
pub fn measure(
    bin: &Path,
    env: &[(String, String)],
    log_dir: &Path,
    floor: &Floor,
    plan: &Plan,
    latency: u64,
) -> anyhow::Result<LogsRow> {
    let mut env = env.to_vec();
    env.push((
        "OKTA_MCP_MAX_RESULT_BYTES".to_owned(),
        LOG_RESULT_BYTES.to_owned(),
    ));
    let log = log_dir.join(format!("server-logs-{latency}ms.log"));
    let mut server = ServerProcess::spawn(bin, &env, &log)?;
    server.initialize()?;
    server.list_tools()?;
    // Obtains the token and opens the connection, as the call rows' warm-up does.
    server.call_tool(
        "get_logs",
        &json!({"since": LOG_SINCE, "until": LOG_UNTIL, "limit": 1}),
    )?;
    let args = json!({"since": LOG_SINCE, "until": LOG_UNTIL, "fetch_all": true});
    let sweep_path = format!("/api/v1/logs?since={LOG_SINCE}&until={LOG_UNTIL}&limit=1000");
    let sequential_args = json!({"since": LOG_SINCE, "fetch_all": true});
    let mut server_wall = Vec::new();
    let mut sequential_wall = Vec::new();
    let mut floor_wall = Vec::new();
    let mut shape = None;
    let mut floor_shape = (0, 0, 0);
    for _ in 0..plan.log_runs {
        let sent = Instant::now();
        let answered = server.call_tool("get_logs", &args)?;
        server_wall.push(answered.at - sent);
        if shape.is_none() {
            let result = answered.result()?;
            let payload = tool_payload(&result).context("get_logs returned no result")?;
            let info = &payload["pagination_info"];
            shape = Some(LogsShape {
                events: payload["total_fetched"].as_u64().unwrap_or(0),
                pages: info["pages_fetched"].as_u64().unwrap_or(0),
                stopped_early: info["stopped_early"].as_bool().unwrap_or(false)
                    || payload["truncated"].as_bool().unwrap_or(false),
                result_bytes: answered.line.len(),
                text_bytes: text_bytes(&result),
                structured_bytes: result
                    .get("structuredContent")
                    .map_or(0, |v| v.to_string().len()),
            });
        }
        let sent = Instant::now();
        let walked = server.call_tool("get_logs", &sequential_args)?;
        sequential_wall.push(walked.at - sent);
        let sweep = floor.sweep(&sweep_path)?;
        floor_wall.push(sweep.http_time);
        floor_shape = (sweep.pages, sweep.events, sweep.bytes);
    }
    let peak = server.memory()?.peak_kib;
    let shape = shape.context("no get_logs run")?;
    let (floor_pages, floor_events, floor_bytes) = floor_shape;
    Ok(LogsRow {
        latency_ms: latency,
        events: shape.events,
        pages: shape.pages,
        stopped_early: shape.stopped_early,
        server_ms: Summary::of_durations(&server_wall).context("no samples")?,
        sequential_ms: Summary::of_durations(&sequential_wall).context("no samples")?,
        peak_rss_kib: peak,
        result_bytes: shape.result_bytes,
        text_bytes: shape.text_bytes,
        structured_bytes: shape.structured_bytes,
        floor_ms: Summary::of_durations(&floor_wall).context("no samples")?,
        floor_pages,
        floor_events,
        floor_bytes,
    })
}
