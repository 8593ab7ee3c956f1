//! Cold start: spawn to `initialize` and to `tools/list` with a warm token cache, idle memory,
//! and the size of what tools/list exposes.

use super::Plan;
use crate::process::ServerProcess;
use crate::stats::Summary;
use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Time after tools/list before idle memory is read, so start-up work has settled.
const IDLE_SETTLE: Duration = Duration::from_millis(100);

#[derive(Debug, Serialize)]
pub struct ColdStart {
    /// "warm" when the measured runs reused the token cached by the unmeasured first run.
    pub token_cache: String,
    pub token_cache_note: String,
    pub to_initialize_ms: Summary,
    pub to_tools_list_ms: Summary,
    /// Latency of the first tool call after start (list_users, limit 1), from its request.
    pub first_call_ms: Summary,
    pub idle_rss_kib: Summary,
    /// Of which anonymous (heap, stacks); the rest is mostly the executable's pages.
    pub idle_anon_kib: Summary,
}

#[derive(Debug, Serialize)]
pub struct ToolsListSize {
    pub tools: usize,
    /// The whole JSON-RPC response line as the client receives it.
    pub response_bytes: usize,
    /// Compact JSON of each tool definition, largest first (top five).
    pub largest: Vec<(String, usize)>,
}

/// The token files under the private cache dir, with size and modification time.
fn token_files(home: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let dir = home.join("cache").join("okta-mcp-server").join("tokens");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

/// Spawn → initialize and → tools/list over fresh processes; the first, unmeasured run makes
/// a tool call so the file store holds a token the measured runs can reuse.
pub fn measure(
    bin: &Path,
    env: &[(String, String)],
    home: &Path,
    log_dir: &Path,
    plan: &Plan,
) -> anyhow::Result<(ColdStart, ToolsListSize)> {
    let log = log_dir.join("server-cold-start.log");
    let first_call_args = json!({"limit": 1});
    {
        let mut server = ServerProcess::spawn(bin, env, &log)?;
        server.initialize()?;
        server.list_tools()?;
        server.call_tool("list_users", &first_call_args)?;
    }
    let cached = token_files(home);
    let mut init = Vec::new();
    let mut list = Vec::new();
    let mut first_call = Vec::new();
    let mut rss = Vec::new();
    let mut anon = Vec::new();
    // Measured on a warm run: what tools/list exposes may depend on the granted scopes.
    let mut tools = None;
    for _ in 0..plan.cold_runs {
        let mut server = ServerProcess::spawn(bin, env, &log)?;
        let initialized = server.initialize()?;
        let listed = server.list_tools()?;
        init.push(initialized.at - server.spawned_at);
        list.push(listed.at - server.spawned_at);
        std::thread::sleep(IDLE_SETTLE);
        let memory = server.memory()?;
        rss.push(memory.rss_kib as f64);
        anon.push(memory.anon_kib as f64);
        let sent = Instant::now();
        let answered = server.call_tool("list_users", &first_call_args)?;
        first_call.push(answered.at - sent);
        if tools.is_none() {
            tools = Some(tools_list_size(&listed.result()?, listed.line.len())?);
        }
    }
    let tools = tools.context("no cold-start runs")?;
    let after = token_files(home);
    let (token_cache, note) = if cached.is_empty() {
        (
            "cold",
            "no token file after the first run: every run had to obtain a new token".to_owned(),
        )
    } else if cached == after {
        (
            "warm",
            format!(
                "file store; {} token file(s) written by the unmeasured first run, unchanged by the measured runs",
                cached.len()
            ),
        )
    } else {
        (
            "cold",
            "the token file changed during the measured runs: the server obtained new tokens"
                .to_owned(),
        )
    };
    let summary = |v: &[Duration]| Summary::of_durations(v).context("no cold-start samples");
    Ok((
        ColdStart {
            token_cache: token_cache.to_owned(),
            token_cache_note: note,
            to_initialize_ms: summary(&init)?,
            to_tools_list_ms: summary(&list)?,
            first_call_ms: summary(&first_call)?,
            idle_rss_kib: Summary::of(&rss).context("no RSS samples")?,
            idle_anon_kib: Summary::of(&anon).context("no RSS samples")?,
        },
        tools,
    ))
}

fn tools_list_size(result: &Value, response_bytes: usize) -> anyhow::Result<ToolsListSize> {
    let tools = result["tools"]
        .as_array()
        .context("tools/list result has no tools array")?;
    let mut sizes: Vec<(String, usize)> = tools
        .iter()
        .map(|t| {
            let name = t["name"].as_str().unwrap_or("?").to_owned();
            (name, t.to_string().len())
        })
        .collect();
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sizes.truncate(5);
    Ok(ToolsListSize {
        tools: tools.len(),
        response_bytes,
        largest: sizes,
    })
}
