//! The audit journal through the binary against the sandbox: one line per write (with
//! Okta's request id), none per read, declined confirmations, no secrets, 0600, the `audit`
//! reader's filters, and whole lines under concurrent calls.

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use support::TestOrg;
use support::http::{HttpClient, HttpServer};

fn journal_env(org: &TestOrg, journal: &Path, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = org.service_env();
    env.push(("OKTA_MCP_AUDIT_LOG".into(), journal.display().to_string()));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

fn journal_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "unfinished last line: {text:?}"
    );
    text.lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON record: {l:?}: {e}"))
        })
        .collect()
}

fn temp_journal() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state").join("audit.jsonl");
    (dir, path)
}

#[test]
fn a_write_appends_one_record_with_okta_request_id_and_a_read_none() {
    let org = TestOrg::start();
    let (_dir, path) = temp_journal();
    let mut mcp = support::Mcp::spawn(&journal_env(&org, &path, &[]), &[]);
    mcp.initialize();

    mcp.call_ok("list_groups", json!({"limit": 2}));
    mcp.call_ok("get_scope_status", json!({}));
    assert!(journal_lines(&path).is_empty(), "reads are not journaled");

    let group = mcp.call_ok(
        "create_group",
        json!({"profile": {"name": "audited", "description": "d"}}),
    );
    let lines = journal_lines(&path);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let record = &lines[0];
    let group_id = group["id"].as_str().unwrap();
    assert_eq!(record["event"], "tool_call");
    assert_eq!(record["tool"], "create_group");
    assert_eq!(record["outcome"], "ok");
    assert_eq!(record["error_code"], Value::Null);
    assert_eq!(record["targets"]["result_id"], json!(group_id));
    assert_eq!(record["mcp_client_name"], "e2e-test");
    let service = org.sandbox.service_client().client_id;
    assert_eq!(
        record["okta_client_id"],
        json!(service),
        "a service token acts as its app"
    );
    assert_eq!(record["user_id"], Value::Null);
    assert_eq!(record["args_sha256"].as_str().unwrap().len(), 64);
    let time = record["time"].as_str().unwrap();
    assert!(
        time.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(time).is_ok(),
        "{time}"
    );
    // Okta's request id of the write is the one its System Log recorded the change under.
    let request_ids = record["okta_request_ids"].as_array().unwrap();
    assert_eq!(request_ids.len(), 1, "{record}");
    let logged = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .find(|e| {
            e["eventType"] == "group.lifecycle.create" && e["target"][0]["id"] == json!(group_id)
        })
        .expect("System Log event for the create");
    assert_eq!(logged["transaction"]["id"], request_ids[0], "{logged}");

    // A failed write names Okta's errorCode and the failed request's id.
    let failed = mcp.call(
        "update_group",
        json!({"group_id": "00gNoSuchGroup", "profile": {"name": "x"}}),
    );
    assert_eq!(failed["isError"], json!(true));
    let lines = journal_lines(&path);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["outcome"], "error");
    assert_eq!(lines[1]["error_code"], "E0000007");
    assert_eq!(lines[1]["targets"]["group_id"], "00gNoSuchGroup");
    assert_eq!(
        lines[1]["okta_request_ids"].as_array().unwrap().len(),
        1,
        "{}",
        lines[1]
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "journal mode {mode:o}");
    }
}

#[test]
fn declined_and_unconfirmed_destructive_calls_are_recorded_as_such() {
    let org = TestOrg::start();
    let (_dir, path) = temp_journal();
    let mut mcp = support::Mcp::spawn(&journal_env(&org, &path, &[]), &[]);
    mcp.initialize_with("2025-06-18", json!({"elicitation": {}}));
    let group = mcp.call_ok("create_group", json!({"profile": {"name": "keep-me"}}));
    let id = group["id"].as_str().unwrap().to_owned();

    mcp.send(&json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call", "params": {"name": "delete_group", "arguments": {"group_id": id}}}));
    let ask = loop {
        let message = mcp.next_message();
        if message["method"] == "elicitation/create" {
            break message;
        }
        mcp.notifications.push(message);
    };
    mcp.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "decline"}}));
    let response = mcp.wait_response(900);
    assert_eq!(
        response["result"]["structuredContent"]["cancelled"], true,
        "{response}"
    );
    assert!(
        org.sandbox
            .org()
            .groups()
            .iter()
            .any(|g| g["id"] == json!(id))
    );

    let lines = journal_lines(&path);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["tool"], "delete_group");
    assert_eq!(lines[1]["outcome"], "declined");
    assert_eq!(lines[1]["targets"]["group_id"], json!(id));
    assert!(
        lines[1]["okta_request_ids"].as_array().unwrap().is_empty(),
        "nothing was sent"
    );

    // A client that cannot show a prompt is asked to confirm: recorded as asked, not done.
    let mut plain = support::Mcp::spawn(&journal_env(&org, &path, &[]), &[]);
    plain.initialize();
    let asked = plain.call_ok("delete_group", json!({"group_id": id}));
    assert_eq!(asked["confirmation_required"], true, "{asked}");
    let lines = journal_lines(&path);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[2]["outcome"], "confirmation_requested");
}

#[test]
fn secrets_and_key_material_never_reach_the_journal() {
    let org = TestOrg::start();
    let (_dir, path) = temp_journal();
    let mut mcp = support::Mcp::spawn(&journal_env(&org, &path, &[]), &[]);
    mcp.initialize();
    let password = "Journal-Secret-Pw-1!";
    mcp.call_ok(
        "create_user",
        json!({"profile": {"login": "secret.keeper@example.com", "email": "secret.keeper@example.com", "firstName": "S", "lastName": "K"},
               "credentials": {"password": {"value": password}}}),
    );
    // A real key, generated when the sandbox started: nothing of it is committed.
    let pem = org.throwaway_private_key_pem();
    let key_body = pem
        .lines()
        .find(|line| !line.starts_with("-----"))
        .expect("a base64 line")
        .to_owned();
    // A private key pasted where the certificate goes (and even where an id goes).
    let domain = mcp.call(
        "upsert_custom_domain_certificate",
        json!({"domain_id": pem, "certificate": pem, "certificate_chain": pem, "private_key_file_path": "/nonexistent/key.pem"}),
    );
    assert_eq!(domain["isError"], json!(true), "{domain}");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines = journal_lines(&path);
    assert_eq!(lines.len(), 2, "{text}");
    for needle in [password, key_body.as_str(), "PRIVATE KEY"] {
        assert!(
            !text.contains(needle),
            "{needle:?} is in the journal: {text}"
        );
    }
    assert_eq!(lines[1]["tool"], "upsert_custom_domain_certificate");
    assert_eq!(lines[1]["outcome"], "error");
}

#[test]
fn the_audit_command_filters_by_time_person_and_tool() {
    let org = TestOrg::start();
    let (_dir, path) = temp_journal();
    let env = journal_env(&org, &path, &[("OKTA_MCP_CONFIRM", "never")]);
    let mut mcp = support::Mcp::spawn(&env, &[]);
    mcp.initialize();
    let group = mcp.call_ok("create_group", json!({"profile": {"name": "filtered"}}));
    mcp.call_ok(
        "update_group",
        json!({"group_id": group["id"], "profile": {"name": "filtered-2"}}),
    );
    mcp.call_ok("delete_group", json!({"group_id": group["id"]}));
    mcp.kill();
    // A crash mid-line (simulated) leaves a torn tail the reader skips.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{\"time\":\"2026-"))
        .unwrap();
    let audit = |args: &[&str]| {
        let mut all = vec!["audit"];
        all.extend_from_slice(args);
        let out = support::run(
            &[("OKTA_MCP_AUDIT_LOG".into(), path.display().to_string())],
            &all,
        );
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let records = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        audit(&all)
            .0
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (everything, stderr) = audit(&["--json"]);
    assert_eq!(everything.lines().count(), 3, "{everything}");
    assert!(stderr.contains("skipped 1 unreadable line"), "{stderr}");
    assert_eq!(records(&["--tool", "update_group"]).len(), 1);
    assert_eq!(records(&["--tool", "list_groups"]).len(), 0);
    let service = org.sandbox.service_client().client_id;
    assert_eq!(records(&["--user", &service]).len(), 3);
    assert_eq!(records(&["--user", "someone.else@example.com"]).len(), 0);
    assert_eq!(records(&["--since", "1h"]).len(), 3);
    assert_eq!(records(&["--since", "2000-01-01T00:00:00Z"]).len(), 3);
    assert_eq!(records(&["--since", "2999-01-01T00:00:00Z"]).len(), 0);
    let deleted = records(&["--tool", "delete_group"]);
    assert_eq!(deleted[0]["outcome"], "ok");

    let (table, _) = audit(&["--tool", "delete_group"]);
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[0].starts_with("TIME") && rows[0].contains("OKTA REQUEST"),
        "{table}"
    );
    assert_eq!(rows.len(), 2, "{table}");
    assert!(
        rows[1].contains("delete_group") && rows[1].contains("ok"),
        "{table}"
    );

    let out = support::run(
        &[("OKTA_MCP_AUDIT_LOG".into(), path.display().to_string())],
        &["audit", "--since", "yesterday"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--since"),
        "{out:?}"
    );
}

#[test]
fn concurrent_calls_write_whole_lines() {
    let org = TestOrg::start();
    let (_dir, path) = temp_journal();
    let server = HttpServer::start(&journal_env(
        &org,
        &path,
        &[("OKTA_MCP_MAX_CONCURRENT_CALLS", "64")],
    ));
    let clients: Vec<HttpClient> = (0..12)
        .map(|_| {
            let mut client = HttpClient::new(&server);
            client.initialize();
            client
        })
        .collect();
    let threads: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut client)| {
            std::thread::spawn(move || {
                for j in 0..3 {
                    let name = format!("concurrent-{i}-{j}-{}", "d".repeat(500));
                    let result = client.call(
                        "create_group",
                        json!({"profile": {"name": name[..40].to_owned(), "description": name}}),
                    );
                    assert_ne!(result["isError"], json!(true), "{result}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let lines = journal_lines(&path);
    assert_eq!(lines.len(), 36);
    assert!(
        lines
            .iter()
            .all(|l| l["tool"] == "create_group" && l["outcome"] == "ok")
    );
    assert!(
        lines.iter().all(|l| l["mcp_client_name"] == "http-e2e"),
        "{:?}",
        lines[0]
    );
    let mut ids: Vec<&str> = lines
        .iter()
        .map(|l| l["targets"]["result_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 36, "one record per call");
}

#[test]
fn a_device_flow_sign_in_names_the_person_and_the_default_journal_is_in_the_state_dir() {
    let org = TestOrg::start();
    org.sandbox.oauth().set_device_timing(1, 600);
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    let env: Vec<(String, String)> = vec![
        ("OKTA_ORG_URL".into(), org.sandbox.url()),
        (
            "OKTA_CLIENT_ID".into(),
            org.sandbox.device_client().client_id,
        ),
        ("OKTA_SCOPES".into(), "okta.groups.manage".into()),
        ("OKTA_MCP_TOKEN_STORE".into(), "memory".into()),
        ("HOME".into(), home.path().display().to_string()),
        ("XDG_STATE_HOME".into(), state.display().to_string()),
    ];
    let mut mcp = support::Mcp::spawn(&env, &[]);
    mcp.initialize();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let code = loop {
        let r = mcp.call("create_group", json!({"profile": {"name": "by-a-person"}}));
        if let Some(code) = r["structuredContent"]["user_code"].as_str() {
            break code.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no sign-in prompt: {r}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(org.sandbox.oauth().approve_device(&code, true, None));
    let group = loop {
        let r = mcp.call("create_group", json!({"profile": {"name": "by-a-person"}}));
        if r["isError"] != json!(true) {
            break r["structuredContent"].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sign-in never completed: {r}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    let path = state.join("okta-mcp-server").join("audit.jsonl");
    let lines = journal_lines(&path);
    let pending = &lines[0];
    assert_eq!(pending["outcome"], "error");
    assert_eq!(pending["error_code"], "authorization_pending");
    let done = lines.last().unwrap();
    assert_eq!(done["outcome"], "ok", "{done}");
    assert_eq!(done["targets"]["result_id"], group["id"]);
    // The person the sandbox signs in by default: their id (`uid`) and login (`sub`).
    let user_id = done["user_id"].as_str().expect("the signed-in person's id");
    assert!(user_id.starts_with("00u"), "{done}");
    assert_eq!(
        done["user_login"],
        okta_sandbox::oauth::DEFAULT_DEVICE_SUBJECT,
        "{done}"
    );
    assert_eq!(
        done["okta_client_id"],
        json!(org.sandbox.device_client().client_id)
    );
    assert_eq!(
        done["okta_request_ids"].as_array().unwrap().len(),
        1,
        "{done}"
    );
}
