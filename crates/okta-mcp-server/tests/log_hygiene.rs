//! What reaches the log: never the org data a result carries (the SDK dumps whole messages
//! at debug and trace), and never a raw control character from a value (a CR/LF in an ID or
//! in Okta's error text would forge a log line).

mod support;

use serde_json::json;
use support::{Mcp, TestOrg};

/// The server's stderr once `ready` holds for it, or as it is after 10 s. stderr is read by
/// a thread of the harness and written by one of the server's: under load (CI runs the test
/// binaries in parallel) the lines of the last calls may not be there yet when they answer.
fn log_when(mcp: &Mcp, ready: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut log = mcp.stderr();
    while !ready(&log) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        log = mcp.stderr();
    }
    log
}

#[test]
fn results_never_reach_the_log_at_trace() {
    let org = TestOrg::start();
    let mut env = org.service_env();
    env.push(("OKTA_LOG_LEVEL".into(), "trace".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    let users = mcp.call_ok("list_users", json!({"limit": 2}));
    let logins: Vec<String> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["profile"]["login"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(logins.len(), 2);
    mcp.call_ok("list_groups", json!({"limit": 2}));
    // A result the SDK serialises itself (a list over stdio never passes through it).
    let one = mcp.call_ok("get_user", json!({"user_id": users["items"][0]["id"]}));
    assert_eq!(one["profile"]["login"], logins[0].as_str());
    let log = log_when(&mcp, |log| log.contains("TRACE") || log.contains("DEBUG"));
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "the log is at trace: {log}"
    );
    for login in &logins {
        assert!(
            !log.contains(login.as_str()),
            "a listed user's login reached the log:\n{}",
            log.lines()
                .filter(|l| l.contains(login.as_str()))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn control_characters_from_ids_and_okta_errors_cannot_forge_log_lines() {
    let org = TestOrg::start();
    let mut env = org.service_env();
    env.push(("OKTA_LOG_LEVEL".into(), "debug".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    let forged = "2026-12-06T00:00:00.000000Z ERROR forged: admin password reset";
    let id = format!("nobody\r\n{forged}");
    let r = mcp.call("get_user", json!({"user_id": id}));
    assert_eq!(r["isError"], true, "{r}");
    let r = mcp.call(
        "get_group",
        json!({"group_id": format!("g\n{forged}\u{1b}[2K")}),
    );
    assert_eq!(r["isError"], true, "{r}");
    mcp.call_ok("list_users", json!({"limit": 1}));
    let log = log_when(&mcp, |log| log.contains("forged"));
    assert!(
        log.contains("forged"),
        "the failing calls are logged with their error: {log}"
    );
    for line in log.lines() {
        assert!(
            !line.trim_start().starts_with(forged),
            "a value forged a log line: {line:?}"
        );
        assert!(!line.contains('\u{1b}'), "raw escape in {line:?}");
        assert!(!line.contains('\r'), "raw CR in {line:?}");
    }
}
