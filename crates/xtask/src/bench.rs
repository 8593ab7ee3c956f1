//! The benchmark: cold start, idle memory, per-call latency and throughput against the direct
//! HTTP floor, a full System Log sweep, and the size of tools/list, at 0 and 50 ms API latency.

use crate::floor::Floor;
use crate::machine::Machine;
use crate::process::{SandboxProcess, ServerProcess};
use crate::report::{self, Results};
use crate::stats::Summary;
use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A window wide enough to hold every seeded System Log event.
const LOG_SINCE: &str = "2000-01-01T00:00:00Z";
const LOG_UNTIL: &str = "2100-01-01T00:00:00Z";
/// Result budget for the fetch_all run, so the whole log fits in one answer.
const LOG_RESULT_BYTES: &str = "1000000000";
/// Time after tools/list before idle memory is read, so start-up work has settled.
const IDLE_SETTLE: Duration = Duration::from_millis(100);
const IN_FLIGHT: usize = 10;
const LIST_LIMIT: u64 = 20;

pub struct Options {
    pub quick: bool,
    pub json: PathBuf,
    /// A server binary to use instead of building one.
    pub server: Option<PathBuf>,
}

/// How much of everything to run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Plan {
    pub cold_runs: usize,
    pub sequential_calls: usize,
    pub warmup_calls: usize,
    pub pipelined_calls: usize,
    pub in_flight: usize,
    pub log_runs: usize,
    pub latencies_ms: [u64; 2],
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                cold_runs: 5,
                sequential_calls: 30,
                warmup_calls: 5,
                pipelined_calls: 100,
                in_flight: IN_FLIGHT,
                log_runs: 2,
                latencies_ms: [0, 50],
            }
        } else {
            Plan {
                cold_runs: 20,
                sequential_calls: 200,
                warmup_calls: 20,
                pipelined_calls: 1000,
                in_flight: IN_FLIGHT,
                log_runs: 5,
                latencies_ms: [0, 50],
            }
        }
    }
}

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
pub struct CallRow {
    pub latency_ms: u64,
    pub tool: String,
    pub http: String,
    pub server_ms: Summary,
    pub floor_ms: Summary,
    pub overhead_p50_ms: f64,
    pub server_calls_per_s: f64,
    pub floor_calls_per_s: f64,
    /// The JSON-RPC response line of one call, and the HTTP body the floor received.
    pub response_bytes: usize,
    pub floor_body_bytes: usize,
}

#[derive(Debug, Serialize)]
pub struct LogsRow {
    pub latency_ms: u64,
    pub events: u64,
    pub pages: u64,
    pub stopped_early: bool,
    pub server_ms: Summary,
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

#[derive(Debug, Serialize)]
pub struct ToolsListSize {
    pub tools: usize,
    /// The whole JSON-RPC response line as the client receives it.
    pub response_bytes: usize,
    /// Compact JSON of each tool definition, largest first (top five).
    pub largest: Vec<(String, usize)>,
}

pub fn run(options: &Options) -> anyhow::Result<()> {
    let plan = Plan::new(options.quick);
    let mut machine = Machine::read();
    let bin = match &options.server {
        Some(path) => path.clone(),
        None => build_server()?,
    };
    let out_dir = options
        .json
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let log_dir = out_dir.join("logs");
    std::fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    let work = tempfile::tempdir().context("creating a temporary directory")?;
    eprintln!(
        "bench: {} ({} runs), server {}, logs in {}",
        if options.quick { "quick" } else { "full" },
        plan.cold_runs,
        bin.display(),
        log_dir.display()
    );

    let mut cold = None;
    let mut tools_list = None;
    let mut calls = Vec::new();
    let mut logs = Vec::new();
    for latency in plan.latencies_ms {
        let home = work.path().join(format!("latency-{latency}"));
        let keys = home.join("keys");
        std::fs::create_dir_all(&keys).context("creating the key directory")?;
        let sandbox = SandboxProcess::start(
            &bin,
            latency,
            &keys,
            &log_dir.join(format!("sandbox-{latency}ms.log")),
        )?;
        let scopes = management_scopes(&sandbox.org_url)?;
        let env = server_env(&sandbox, &scopes, &home)?;
        let pem = std::fs::read(&sandbox.private_key_file).context("reading the sandbox key")?;
        let floor = Floor::connect(
            &sandbox.org_url,
            &sandbox.client_id,
            &sandbox.key_id,
            &pem,
            &scopes,
        )?;
        if latency == 0 {
            eprintln!("bench: cold start");
            let (c, t) = cold_start(&bin, &env, &home, &log_dir, &plan)?;
            cold = Some(c);
            tools_list = Some(t);
        }
        eprintln!("bench: list_users and get_user at {latency} ms latency");
        let log = log_dir.join(format!("server-calls-{latency}ms.log"));
        let mut server = ServerProcess::spawn(&bin, &env, &log)?;
        server.initialize()?;
        calls.extend(call_rows(&mut server, &floor, &plan, latency)?);
        drop(server);
        eprintln!("bench: get_logs fetch_all at {latency} ms latency");
        logs.push(logs_row(&bin, &env, &log_dir, &floor, &plan, latency)?);
    }
    machine.finish();
    let results = Results {
        machine,
        server_binary: bin.display().to_string(),
        server_built: built_at(&bin),
        sandbox: format!(
            "okta-mcp-server sandbox --rate-limits {} (seeded org; limits far above what a run sends)",
            crate::process::RATE_LIMITS
        ),
        quick: options.quick,
        plan,
        cold_start: cold.context("no cold start measured")?,
        tools_list: tools_list.context("no tools/list measured")?,
        calls,
        logs,
    };
    report::print(&results);
    report::write_json(&results, &options.json)?;
    eprintln!("bench: wrote {}", options.json.display());
    Ok(())
}

/// The binary's modification time, UTC, to the second.
fn built_at(bin: &Path) -> String {
    std::fs::metadata(bin)
        .and_then(|m| m.modified())
        .map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// `cargo build --release -p okta-mcp-server`, returning the executable cargo reports.
fn build_server() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    eprintln!("bench: cargo build --release -p okta-mcp-server");
    let output = std::process::Command::new(cargo)
        .args(["build", "--release", "-p", "okta-mcp-server"])
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--message-format", "json-render-diagnostics"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running cargo build")?;
    if !output.status.success() {
        bail!("cargo build --release -p okta-mcp-server failed");
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "okta-mcp-server")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo did not report the okta-mcp-server executable")
}

/// Every okta.* scope the sandbox advertises, so every tool is exposed.
fn management_scopes(org_url: &str) -> anyhow::Result<String> {
    let url = format!("{org_url}/.well-known/openid-configuration");
    let metadata: Value = reqwest::blocking::get(&url)
        .and_then(|r| r.json())
        .with_context(|| format!("GET {url}"))?;
    let scopes: Vec<&str> = metadata["scopes_supported"]
        .as_array()
        .context("no scopes_supported in the sandbox metadata")?
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| s.starts_with("okta."))
        .collect();
    Ok(scopes.join(" "))
}

/// The server's environment: the sandbox's service client, a file token store under a
/// private HOME/XDG tree, and nothing inherited from the caller's OKTA_* settings.
fn server_env(
    sandbox: &SandboxProcess,
    scopes: &str,
    home: &Path,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = vec![
        ("OKTA_ORG_URL".to_owned(), sandbox.org_url.clone()),
        ("OKTA_CLIENT_ID".to_owned(), sandbox.client_id.clone()),
        ("OKTA_KEY_ID".to_owned(), sandbox.key_id.clone()),
        (
            "OKTA_PRIVATE_KEY_FILE".to_owned(),
            sandbox.private_key_file.display().to_string(),
        ),
        ("OKTA_SCOPES".to_owned(), scopes.to_owned()),
        ("OKTA_MCP_TOKEN_STORE".to_owned(), "file".to_owned()),
    ];
    for (name, dir) in [
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
    ] {
        let path = home.join(dir);
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        env.push((name.to_owned(), path.display().to_string()));
    }
    Ok(env)
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
fn cold_start(
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

/// The structured result of a tool call (structuredContent, else the JSON text block).
fn tool_payload(result: &Value) -> Option<Value> {
    if let Some(v) = result.get("structuredContent") {
        return Some(v.clone());
    }
    let text = result["content"]
        .as_array()?
        .iter()
        .find_map(|c| c["text"].as_str())?;
    serde_json::from_str(text).ok()
}

/// list_users (limit 20) and get_user: sequential latency interleaved with the same request
/// made directly, then throughput with `in_flight` calls outstanding.
fn call_rows(
    server: &mut ServerProcess,
    floor: &Floor,
    plan: &Plan,
    latency: u64,
) -> anyhow::Result<Vec<CallRow>> {
    let list_args = json!({"limit": LIST_LIMIT});
    let first = server.call_tool("list_users", &list_args)?.result()?;
    let payload = tool_payload(&first).context("list_users returned no structured result")?;
    let items = payload["items"]
        .as_array()
        .context("list_users: no items")?;
    if items.len() as u64 != LIST_LIMIT {
        bail!(
            "list_users returned {} users, expected {LIST_LIMIT}",
            items.len()
        );
    }
    let user_id = items[0]["id"]
        .as_str()
        .context("list_users: first user has no id")?
        .to_owned();
    let cases = [
        (
            "list_users",
            list_args,
            format!("GET /api/v1/users?limit={LIST_LIMIT}"),
            format!("/api/v1/users?limit={LIST_LIMIT}"),
        ),
        (
            "get_user",
            json!({"user_id": user_id}),
            "GET /api/v1/users/{id}".to_owned(),
            format!("/api/v1/users/{user_id}"),
        ),
    ];
    let mut rows = Vec::new();
    for (tool, args, http, path) in cases {
        for _ in 0..plan.warmup_calls {
            server.call_tool(tool, &args)?;
            floor.get(&path)?;
        }
        let mut server_lat = Vec::with_capacity(plan.sequential_calls);
        let mut floor_lat = Vec::with_capacity(plan.sequential_calls);
        let (mut response_bytes, mut floor_body_bytes) = (0, 0);
        for _ in 0..plan.sequential_calls {
            let sent = Instant::now();
            let answered = server.call_tool(tool, &args)?;
            server_lat.push(answered.at - sent);
            response_bytes = answered.line.len();
            let sent = Instant::now();
            let (at, body, _) = floor.get(&path)?;
            floor_lat.push(at - sent);
            floor_body_bytes = body.len();
        }
        let wall = server.pipelined(tool, &args, plan.pipelined_calls, plan.in_flight)?;
        let floor_wall = floor_concurrent(floor, &path, plan.pipelined_calls, plan.in_flight)?;
        let server_ms = Summary::of_durations(&server_lat).context("no samples")?;
        let floor_ms = Summary::of_durations(&floor_lat).context("no samples")?;
        rows.push(CallRow {
            latency_ms: latency,
            tool: tool.to_owned(),
            http,
            overhead_p50_ms: server_ms.median - floor_ms.median,
            server_ms,
            floor_ms,
            server_calls_per_s: plan.pipelined_calls as f64 / wall.as_secs_f64(),
            floor_calls_per_s: plan.pipelined_calls as f64 / floor_wall.as_secs_f64(),
            response_bytes,
            floor_body_bytes,
        });
    }
    Ok(rows)
}

/// `total` direct requests from `threads` threads sharing one connection pool.
fn floor_concurrent(
    floor: &Floor,
    path: &str,
    total: usize,
    threads: usize,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = total / threads + usize::from(t < total % threads);
                scope.spawn(move || {
                    for _ in 0..share {
                        floor.get(path)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("floor thread panicked")))
            })
            .collect()
    });
    let wall = start.elapsed();
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(wall)
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
fn logs_row(
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
    let mut server_wall = Vec::new();
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
