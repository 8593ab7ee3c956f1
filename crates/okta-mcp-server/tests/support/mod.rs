//! Test support: a sandbox org on loopback and the real server binary driven over stdio with
//! newline-delimited JSON-RPC, exactly as an MCP client does.
#![allow(dead_code)]

pub mod http;
pub mod output_schemas;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_okta-mcp-server");
const TIMEOUT: Duration = Duration::from_secs(60);

/// A sandbox org served from its own runtime, alive as long as this value.
pub struct TestOrg {
    pub sandbox: okta_sandbox::Sandbox,
    runtime: tokio::runtime::Runtime,
}

/// The external tool an interop test drives, named by `var` (set by .ci/run). Locally a
/// missing tool skips the test with a note on stderr; in CI it fails, so the test always runs
/// there.
pub fn external_tool(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var_os("CI").is_some() => panic!("CI must set {var} ({what})"),
        _ => {
            eprintln!("skipping: {var} is not set ({what})");
            None
        }
    }
}

impl TestOrg {
    /// The default seeded org, with rate-limit headers but no 429s: these tests are about
    /// tools, and the client's pacing is tested against enforced limits in okta-client.
    pub fn start() -> Self {
        let mut config = okta_sandbox::SandboxConfig::default();
        config.faults.rate_limits = okta_sandbox::faults::RateLimits::unenforced();
        Self::with_config(config)
    }

    pub fn with_config(config: okta_sandbox::SandboxConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sandbox = runtime
            .block_on(okta_sandbox::Sandbox::start(config))
            .expect("sandbox starts");
        Self { sandbox, runtime }
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Environment for a server using the sandbox's private_key_jwt service client.
    pub fn service_env(&self) -> Vec<(String, String)> {
        let service = self.sandbox.service_client();
        vec![
            ("OKTA_ORG_URL".into(), self.sandbox.url()),
            ("OKTA_CLIENT_ID".into(), service.client_id.clone()),
            ("OKTA_KEY_ID".into(), service.key_id.clone().expect("kid")),
            (
                "OKTA_PRIVATE_KEY_FILE".into(),
                service
                    .private_key_file
                    .clone()
                    .expect("key file")
                    .display()
                    .to_string(),
            ),
            ("OKTA_SCOPES".into(), ALL_SCOPES.join(" ")),
            ("OKTA_MCP_TOKEN_STORE".into(), "memory".into()),
        ]
    }

    /// A real private key in PEM, generated when this sandbox started (the service client's
    /// throwaway key, in a temp dir): for tests that need key material, so none is committed.
    pub fn throwaway_private_key_pem(&self) -> String {
        let file = self
            .sandbox
            .service_client()
            .private_key_file
            .clone()
            .expect("key file");
        std::fs::read_to_string(file).expect("the sandbox's generated key")
    }

    pub fn users(&self) -> Vec<Value> {
        self.sandbox.org().users()
    }
}

pub const ALL_SCOPES: &[&str] = &[
    "okta.users.read",
    "okta.users.manage",
    "okta.groups.read",
    "okta.groups.manage",
    "okta.apps.read",
    "okta.apps.manage",
    "okta.policies.read",
    "okta.policies.manage",
    "okta.deviceAssurance.read",
    "okta.deviceAssurance.manage",
    "okta.logs.read",
    "okta.brands.read",
    "okta.brands.manage",
    "okta.templates.read",
    "okta.templates.manage",
    "okta.domains.read",
    "okta.domains.manage",
    "okta.emailDomains.read",
    "okta.emailDomains.manage",
    "okta.schemas.read",
    "okta.roles.read",
    "okta.networkZones.read",
    "okta.authenticators.read",
];

/// The server binary speaking JSON-RPC over its stdio.
pub struct Mcp {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    /// Notifications and server requests seen while waiting for responses.
    pub notifications: Vec<Value>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    /// tools/call requests awaiting their result, whose structuredContent is checked against
    /// the tool's outputSchema when it arrives.
    calls: output_schemas::PendingCalls,
}

impl Mcp {
    pub fn spawn(env: &[(String, String)], args: &[&str]) -> Self {
        Self::spawn_binary(BIN, env, args)
    }

    /// Another build of the server (tests/without_demo.rs runs one made without `demo`).
    pub fn spawn_binary(bin: &str, env: &[(String, String)], args: &[&str]) -> Self {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("OKTA_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(l).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Self {
            child,
            stdin: Some(stdin),
            lines: rx,
            next_id: 1,
            notifications: Vec::new(),
            stderr: log,
            calls: Default::default(),
        }
    }

    /// How many tool results this client checked against their tool's outputSchema.
    pub fn results_checked(&self) -> usize {
        self.calls.checked()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn send_raw(&mut self, line: &str) {
        self.calls.sent_bytes(line.as_bytes());
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(line.as_bytes()).expect("write");
        stdin.write_all(b"\n").expect("write");
        stdin.flush().expect("flush");
    }

    /// Writes raw bytes to the server's stdin (no newline added): for lines that are not
    /// UTF-8, or too large to build in memory at once.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        bytes
            .split(|b| *b == b'\n')
            .for_each(|line| self.calls.sent_bytes(line));
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    /// Closes the server's stdin (end of input, as a client that is done).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line, or None if nothing arrives within `wait`.
    pub fn try_next_message(&mut self, wait: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(wait).ok()?;
        let message = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("non-JSON line on stdout {line:?}: {e}"));
        self.calls.received(&message);
        Some(message)
    }

    /// Waits for the server to exit on its own and returns its status.
    pub fn wait_exit(&mut self, wait: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + wait;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn send(&mut self, msg: &Value) {
        self.send_raw(&msg.to_string());
    }

    pub fn next_message(&mut self) -> Value {
        match self.lines.recv_timeout(TIMEOUT) {
            Ok(line) => {
                let message = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("non-JSON line on stdout {line:?}: {e}"));
                self.calls.received(&message);
                message
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "no message from the server within {TIMEOUT:?}; stderr:\n{}",
                self.stderr()
            ),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("server closed stdout; stderr:\n{}", self.stderr())
            }
        }
    }

    /// Sends a request and waits for its response (collecting anything else that arrives).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_response(id)
    }

    pub fn wait_response(&mut self, id: u64) -> Value {
        loop {
            let msg = self.next_message();
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg;
            }
            self.notifications.push(msg);
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// initialize + notifications/initialized with the given protocol version and capabilities.
    pub fn initialize_with(&mut self, protocol: &str, capabilities: Value) -> Value {
        let resp = self.request(
            "initialize",
            json!({
                "protocolVersion": protocol,
                "capabilities": capabilities,
                "clientInfo": {"name": "e2e-test", "version": "1.0"}
            }),
        );
        assert!(resp.get("result").is_some(), "initialize failed: {resp}");
        self.notify("notifications/initialized", json!({}));
        resp["result"].clone()
    }

    pub fn initialize(&mut self) -> Value {
        self.initialize_with("2025-06-18", json!({}))
    }

    pub fn list_tools(&mut self) -> Vec<Value> {
        let resp = self.request("tools/list", json!({}));
        resp["result"]["tools"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("tools/list failed: {resp}"))
    }

    /// tools/call; returns the `result` object (panics on a JSON-RPC error).
    pub fn call(&mut self, tool: &str, args: Value) -> Value {
        let resp = self.request("tools/call", json!({"name": tool, "arguments": args}));
        resp.get("result")
            .cloned()
            .unwrap_or_else(|| panic!("tools/call {tool} failed: {resp}"))
    }

    /// tools/call that must succeed; returns structuredContent.
    pub fn call_ok(&mut self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args.clone());
        assert_ne!(
            result["isError"],
            json!(true),
            "{tool}({args}) failed: {result}"
        );
        let structured = result["structuredContent"].clone();
        let text = result["content"][0]["text"].as_str().expect("text block");
        assert_eq!(
            serde_json::from_str::<Value>(text).expect("text is JSON"),
            structured,
            "text block mirrors structuredContent"
        );
        structured
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mcp {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Resident memory of a process in KiB (VmRSS from /proc; Linux only).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs the binary to completion (for `call`, `tools`, bad-config runs).
pub fn run(env: &[(String, String)], args: &[&str]) -> std::process::Output {
    run_binary(BIN, env, args)
}

/// [`run`] with another build of the server.
pub fn run_binary(bin: &str, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(bin);
    cmd.args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("OKTA_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run binary")
}

/// The server against `org` with its service client, plus `extra` settings, initialized.
pub fn server(org: &TestOrg, extra: &[(&str, &str)]) -> Mcp {
    let mut env = org.service_env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp
}

/// A server that runs destructive tools without asking (OKTA_MCP_CONFIRM=never).
pub fn unconfirmed(org: &TestOrg) -> Mcp {
    server(org, &[("OKTA_MCP_CONFIRM", "never")])
}

/// Calls `tool` as request `id` from a client that shows prompts (elicitation), answers the
/// question with `action` ("accept" confirms; "decline" or "cancel"), and returns the question
/// and the call's response. Fails if the tool answers without asking.
pub fn call_answering_confirmation(
    mcp: &mut Mcp,
    id: u64,
    tool: &str,
    args: Value,
    action: &str,
) -> (String, Value) {
    mcp.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                     "params": {"name": tool, "arguments": args}}));
    let ask = loop {
        let message = mcp.next_message();
        if message["method"] == "elicitation/create" {
            break message;
        }
        assert!(
            message.get("id") != Some(&json!(id)),
            "{tool} answered without asking: {message}"
        );
        mcp.notifications.push(message);
    };
    let result = if action == "accept" {
        json!({"action": "accept", "content": {"confirm": true}})
    } else {
        json!({"action": action})
    };
    mcp.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": result}));
    let question = ask["params"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (question, mcp.wait_response(id))
}

/// The Management API writes (method and path) the sandbox received, oldest first.
pub fn writes_seen(org: &TestOrg) -> Vec<String> {
    org.sandbox
        .faults()
        .writes()
        .into_iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}
pub mod cluster;
pub mod redis;
pub mod team;
