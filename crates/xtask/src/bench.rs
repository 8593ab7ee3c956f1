//! The benchmark: cold start, idle memory, per-call latency and throughput against the direct
//! HTTP floor, a full System Log sweep, and the size of tools/list, at 0 and 50 ms API latency
//! (over stdio); then the team server over HTTP with many signed-in people (see [`http`]).

mod calls;
mod cold;
mod http;
mod load;
mod logs;

pub use calls::CallRow;
pub use cold::{ColdStart, ToolsListSize};
pub use http::{Deployment, HttpBench, HttpRow, SESSIONS_IDLE};
#[cfg(test)]
pub use http::{HttpPlan, IdleMemory};
pub use logs::LogsRow;

use crate::floor::Floor;
use crate::machine::Machine;
use crate::process::{SandboxProcess, ServerProcess};
use crate::report::{self, Results};
use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

const IN_FLIGHT: usize = 10;

pub struct Options {
    pub quick: bool,
    pub json: PathBuf,
    /// A server binary to use instead of building one.
    pub server: Option<PathBuf>,
    pub part: Part,
    /// Profile the one-replica team server's get_user row with callgrind into this directory.
    pub callgrind: Option<PathBuf>,
}

/// Which rows to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Everything.
    All,
    /// The personal server over stdio: cold start, calls, System Log sweep, tools/list.
    Stdio,
    /// The team server over HTTP: signed-in clients, replicas, Redis, idle memory.
    Http,
    /// Only the team server's memory row (1,000 signed-in idle people): a minute, not ten,
    /// for working on memory.
    HttpMemory,
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
    let mut call_rows = Vec::new();
    let mut log_rows = Vec::new();
    let stdio_latencies: &[u64] =
        if matches!(options.part, Part::Http | Part::HttpMemory) || options.callgrind.is_some() {
            &[]
        } else {
            &plan.latencies_ms
        };
    for &latency in stdio_latencies {
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
            let (c, t) = cold::measure(&bin, &env, &home, &log_dir, &plan)?;
            cold = Some(c);
            tools_list = Some(t);
        }
        eprintln!("bench: list_users and get_user at {latency} ms latency");
        let log = log_dir.join(format!("server-calls-{latency}ms.log"));
        let mut server = ServerProcess::spawn(&bin, &env, &log)?;
        server.initialize()?;
        call_rows.extend(calls::measure(&mut server, &floor, &plan, latency)?);
        drop(server);
        eprintln!("bench: get_logs fetch_all at {latency} ms latency");
        log_rows.push(logs::measure(&bin, &env, &log_dir, &floor, &plan, latency)?);
    }
    let http = if options.part == Part::Stdio {
        None
    } else {
        Some(http::measure(
            &bin,
            management_scopes,
            work.path(),
            &log_dir,
            options.quick,
            options.callgrind.as_deref(),
            options.part == Part::HttpMemory,
        )?)
    };
    machine.finish();
    let results = Results {
        machine,
        server_binary: bin.display().to_string(),
        server_built: built_at(&bin),
        startup_order: crate::startup_order::coverage(&bin, &crate::startup_order::default_path()),
        sandbox: format!(
            "okta-mcp-server sandbox --rate-limits {} (seeded org; limits far above what a run sends)",
            crate::process::RATE_LIMITS
        ),
        quick: options.quick,
        plan,
        cold_start: cold,
        tools_list,
        calls: call_rows,
        logs: log_rows,
        http,
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
pub fn build_server() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    eprintln!("bench: cargo build --release -p okta-mcp-server");
    let mut command = std::process::Command::new(cargo);
    // `cargo run` hands xtask its own package's variables; build scripts that watch them
    // (ring's does) would see a change and rebuild, so the child gets the caller's view.
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        let from_cargo_run = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|p| key_text.starts_with(p))
            || key_text == "CARGO_PRIMARY_PACKAGE"
            || key_text == "OUT_DIR";
        if from_cargo_run {
            command.env_remove(&key);
        }
    }
    let output = command
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
pub fn management_scopes(org_url: &str) -> anyhow::Result<String> {
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
pub fn server_env(
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

/// The structured result of a tool call (structuredContent, else the JSON text block).
pub fn tool_payload(result: &Value) -> Option<Value> {
    if let Some(v) = result.get("structuredContent") {
        return Some(v.clone());
    }
    let text = result["content"]
        .as_array()?
        .iter()
        .find_map(|c| c["text"].as_str())?;
    serde_json::from_str(text).ok()
}
