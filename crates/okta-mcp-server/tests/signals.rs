//! SIGTERM stops every mode the way Ctrl-C does: cleanly, so the demo org's temporary key
//! directory is removed (before, SIGTERM killed the process and left the key on disk).
//! Among the modes: a bare `okta-mcp-server` that the environment alone makes a team server.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{BIN, Mcp};

fn sigterm(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "still running {limit:?} after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The sandbox key directories under `tmp`.
fn key_dirs(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("okta-sandbox-"))
        .collect()
}

fn command(tmp: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("TMPDIR", tmp);
    for (k, _) in std::env::vars() {
        if k.starts_with("OKTA_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn sigterm_stops_the_sandbox_command_and_removes_its_key_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = command(tmp.path(), &["sandbox", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let info: serde_json::Value = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "sandbox printed: {text}"
        );
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let key_file = info["service_client"]["OKTA_PRIVATE_KEY_FILE"]
        .as_str()
        .expect("key file")
        .to_owned();
    assert!(Path::new(&key_file).exists());
    assert_eq!(key_dirs(tmp.path()).len(), 1);
    sigterm(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    assert!(!Path::new(&key_file).exists(), "{key_file} left behind");
    assert!(
        key_dirs(tmp.path()).is_empty(),
        "{:?}",
        key_dirs(tmp.path())
    );
}

#[test]
fn sigterm_stops_a_demo_stdio_server_and_removes_its_key_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let env = vec![("TMPDIR".to_owned(), tmp.path().display().to_string())];
    let mut mcp = Mcp::spawn(&env, &["--demo"]);
    mcp.initialize();
    assert!(!mcp.list_tools().is_empty());
    assert_eq!(key_dirs(tmp.path()).len(), 1);
    sigterm(mcp.pid());
    let status = mcp
        .wait_exit(Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}; stderr:\n{}", mcp.stderr());
    assert!(
        key_dirs(tmp.path()).is_empty(),
        "{:?}",
        key_dirs(tmp.path())
    );
}

#[test]
fn sigterm_stops_a_demo_http_server_and_removes_its_key_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "serve",
        "--transport",
        "http",
        "--bind",
        "127.0.0.1:0",
        "--demo",
    ];
    let (mut child, mut err, log) = spawn_until(&mut command(tmp.path(), &args), SERVING);
    assert_eq!(key_dirs(tmp.path()).len(), 1);
    sigterm(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    let mut rest = String::new();
    let _ = err.read_to_string(&mut rest);
    assert!(status.success(), "{status:?}: {log}{rest}");
    assert!(
        key_dirs(tmp.path()).is_empty(),
        "{:?}",
        key_dirs(tmp.path())
    );
}

/// Spawns `cmd` with no stdin or stdout and reads its stderr until a line holds `needle`:
/// the child, the rest of its stderr, and what was read.
fn spawn_until(
    cmd: &mut Command,
    needle: &str,
) -> (Child, BufReader<std::process::ChildStderr>, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    while !log.contains(needle) {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "stderr: {log}");
        log.push_str(&line);
    }
    (child, err, log)
}

const SERVING: &str = "serving MCP over Streamable HTTP";

#[test]
fn a_bare_command_serves_http_when_the_environment_says_so_on_a_thread_per_core() {
    // OKTA_MCP_TRANSPORT is the environment twin of `serve --transport`: a bare command (what
    // a service unit or container runs) honours it too, and the other serve options with it.
    // The team server runs one runtime thread per core unless OKTA_MCP_WORKER_THREADS says
    // otherwise: 3 here, on a machine of any size, where the personal server's two would show.
    let tmp = tempfile::tempdir().unwrap();
    let mut bare = command(tmp.path(), &[]);
    bare.env("OKTA_MCP_TRANSPORT", "http")
        .env("OKTA_MCP_BIND", "127.0.0.1:0")
        .env("OKTA_MCP_DEMO", "true")
        .env("OKTA_MCP_WORKER_THREADS", "3");
    let (mut child, _err, log) = spawn_until(&mut bare, SERVING);
    assert!(log.contains("runtime_threads=3"), "{log}");
    sigterm(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}: {log}");
}

#[test]
fn a_bare_command_refuses_serve_settings_it_cannot_use() {
    // Refused as after `serve`: a usage error (2) naming the value and what would do.
    for (name, value, expected) in [
        (
            "OKTA_MCP_TRANSPORT",
            "htp",
            "[possible values: stdio, http]",
        ),
        ("OKTA_MCP_WORKER_THREADS", "0", "not in 1..=65535"),
        ("OKTA_MCP_WORKER_THREADS", "many", "invalid digit"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = command(tmp.path(), &[])
            .env("OKTA_MCP_TRANSPORT", "http")
            .env(name, value)
            .env("OKTA_MCP_DEMO", "true")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}={value}: {stderr}");
        assert!(
            stderr.contains(&format!("'{value}'")) && stderr.contains(expected),
            "{name}={value}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn sigterm_stops_a_one_shot_command_that_is_waiting() {
    // `auth login` with the device flow waits for a person: a one-shot command mid-way.
    let org = support::TestOrg::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut login = command(tmp.path(), &["auth", "login"]);
    login
        .env("OKTA_ORG_URL", org.sandbox.url())
        .env("OKTA_CLIENT_ID", &org.sandbox.device_client().client_id)
        .env("OKTA_SCOPES", "okta.users.read")
        .env("OKTA_MCP_TOKEN_STORE", "memory");
    let (mut child, mut err, log) = spawn_until(&mut login, "confirm the code");
    sigterm(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    let mut rest = String::new();
    let _ = err.read_to_string(&mut rest);
    assert_eq!(status.code(), Some(143), "{status:?}: {log}{rest}");
    assert!(rest.contains("interrupted"), "{rest}");
}
