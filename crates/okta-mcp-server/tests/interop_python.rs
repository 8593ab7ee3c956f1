//! Interop with the official MCP Python SDK, in both protocol eras: `legacy` (initialize,
//! elicitation as a server request) and `auto` (server/discover on 2026-07-28, elicitation
//! as an InputRequiredResult round trip). CI installs the SDK and sets OKTA_MCP_TEST_PYTHON.

mod support;

use serde_json::{Value, json};
use std::process::Command;
use support::{BIN, TestOrg};

fn python() -> Option<String> {
    support::external_tool(
        "OKTA_MCP_TEST_PYTHON",
        "a Python with the `mcp` SDK installed",
    )
}

fn drive(
    python: &str,
    org: &TestOrg,
    extra_env: &[(&str, &str)],
    mode: &str,
    answer: &str,
    tool: &str,
    args: Value,
) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/python_client.py"
    );
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .arg(mode)
        .arg(answer)
        .arg(tool)
        .arg(args.to_string());
    for (k, _) in std::env::vars() {
        if k.starts_with("OKTA_") && k != "OKTA_MCP_TEST_PYTHON" {
            cmd.env_remove(k);
        }
    }
    for (k, v) in org.service_env() {
        cmd.env(k, v);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.env("OKTA_MCP_TEST_SERVER", BIN);
    let out = cmd.output().expect("run python client");
    assert!(
        out.status.success(),
        "python client failed ({mode}, {answer}):\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().expect("output line");
    serde_json::from_str(last).expect("JSON from the python client")
}

#[test]
fn official_python_sdk_lists_and_calls_tools_in_both_eras() {
    let Some(python) = python() else { return };
    let org = TestOrg::start();
    for mode in ["legacy", "auto"] {
        let out = drive(
            &python,
            &org,
            &[],
            mode,
            "none",
            "get_scope_status",
            json!({}),
        );
        let tools: Vec<&str> = out["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(
            tools.contains(&"list_users") && tools.contains(&"get_logs"),
            "{mode}: {tools:?}"
        );
        assert_eq!(out["list_users"]["isError"], false, "{mode}: {out}");
        assert_eq!(
            out["list_users"]["structured"]["items"]
                .as_array()
                .unwrap()
                .len(),
            2,
            "{mode}: {out}"
        );
        assert_eq!(out["result"]["isError"], false, "{mode}: {out}");
        assert!(
            out["result"]["structured"]["configured_scopes"].is_array(),
            "{mode}: {out}"
        );
    }
}

fn active_user(org: &TestOrg, skip: usize) -> Value {
    org.users()
        .into_iter()
        .filter(|u| u["status"] == "ACTIVE")
        .nth(skip)
        .expect("an ACTIVE user")
}

fn status_of(org: &TestOrg, id: &str) -> String {
    org.users()
        .into_iter()
        .find(|u| u["id"] == id)
        .expect("user")["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn destructive_tools_ask_by_elicitation_in_both_eras() {
    let Some(python) = python() else { return };
    let org = TestOrg::start();
    let mut n = 0;
    for mode in ["legacy", "auto"] {
        for (answer, changes) in [
            ("decline", false),
            ("cancel", false),
            ("accept-unticked", false),
            ("accept", true),
        ] {
            let user = active_user(&org, n);
            n += 1;
            let id = user["id"].as_str().unwrap();
            let out = drive(
                &python,
                &org,
                &[],
                mode,
                answer,
                "deactivate_user",
                json!({"user_id": id}),
            );
            let prompts = out["prompts"].as_array().unwrap();
            assert_eq!(prompts.len(), 1, "{mode}/{answer}: asked once: {out}");
            let login = user["profile"]["login"].as_str().unwrap();
            assert!(
                prompts[0].as_str().unwrap().contains(login),
                "{mode}/{answer}: the prompt names the user: {out}"
            );
            let status = status_of(&org, id);
            if changes {
                assert_eq!(status, "DEPROVISIONED", "{mode}/{answer}: {out}");
                assert_eq!(out["result"]["isError"], false);
            } else {
                assert_eq!(
                    status, "ACTIVE",
                    "{mode}/{answer}: nothing may change: {out}"
                );
                assert_eq!(
                    out["result"]["structured"]["cancelled"], true,
                    "{mode}/{answer}: {out}"
                );
            }
        }
    }
}

#[test]
fn a_client_without_elicitation_is_asked_to_confirm_never_acted_for() {
    let Some(python) = python() else { return };
    let org = TestOrg::start();
    for (i, mode) in ["legacy", "auto"].into_iter().enumerate() {
        let user = active_user(&org, 10 + i);
        let id = user["id"].as_str().unwrap();
        let out = drive(
            &python,
            &org,
            &[],
            mode,
            "none",
            "deactivate_user",
            json!({"user_id": id}),
        );
        assert_eq!(out["result"]["isError"], false, "{out}");
        assert_eq!(
            out["result"]["structured"]["confirmation_required"], true,
            "{out}"
        );
        assert_eq!(status_of(&org, id), "ACTIVE");
        let out = drive(
            &python,
            &org,
            &[],
            mode,
            "none",
            "deactivate_user",
            json!({"user_id": id, "confirm": true}),
        );
        assert_eq!(out["result"]["isError"], false, "{out}");
        assert_eq!(status_of(&org, id), "DEPROVISIONED", "{out}");
    }
}

#[test]
fn streamable_http_transport_serves_the_official_sdk() {
    let Some(python) = python() else { return };
    let org = TestOrg::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut server = support::Mcp::spawn(
        &org.service_env(),
        &["serve", "--transport", "http", "--bind", &bind],
    );
    let url = format!("http://{bind}/mcp");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(&bind).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "HTTP server did not start: {}",
            server.stderr()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for mode in ["legacy", "auto"] {
        let out = drive(
            &python,
            &org,
            &[("OKTA_MCP_TEST_URL", &url)],
            mode,
            "none",
            "get_scope_status",
            json!({}),
        );
        assert_eq!(
            out["list_users"]["structured"]["items"]
                .as_array()
                .unwrap()
                .len(),
            2,
            "{mode}: {out}"
        );
        assert_eq!(out["result"]["isError"], false, "{mode}: {out}");
    }
    server.kill();
}
