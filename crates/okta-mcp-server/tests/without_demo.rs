//! A build without the default `demo` feature (`cargo build -p okta-mcp-server
//! --no-default-features`, what a team deployment ships): it serves a real org as usual and
//! answers every request for the embedded sandbox with one line saying how to get it.
//! .ci/run makes that build and names it in OKTA_MCP_TEST_WITHOUT_DEMO_BIN.

mod support;

use serde_json::json;
use support::{Mcp, TestOrg};

fn without_demo_binary() -> Option<String> {
    support::external_tool(
        "OKTA_MCP_TEST_WITHOUT_DEMO_BIN",
        "the server built with --no-default-features",
    )
}

#[test]
fn demo_use_is_refused_with_one_line_and_exit_code_2() {
    let Some(bin) = without_demo_binary() else {
        return;
    };
    // (OKTA_MCP_DEMO=true in the environment, arguments)
    let cases: [(bool, &[&str]); 5] = [
        (false, &["--demo"]),
        (false, &["serve", "--demo", "--transport", "http"]),
        (false, &["call", "list_users", "{}", "--demo"]),
        (true, &["tools"]),
        (false, &["sandbox", "--port", "0"]),
    ];
    for (demo_env, args) in cases {
        let env: Vec<(String, String)> = demo_env
            .then(|| ("OKTA_MCP_DEMO".to_owned(), "true".to_owned()))
            .into_iter()
            .collect();
        let out = support::run_binary(&bin, &env, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", out.stdout);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(
            stderr.contains("without the `demo` feature") && stderr.contains("default features"),
            "{args:?}: says why and how to get it: {stderr}"
        );
    }
}

#[test]
fn the_build_without_demo_serves_a_real_org_over_stdio() {
    let Some(bin) = without_demo_binary() else {
        return;
    };
    // The sandbox here is the test's own, reached over loopback HTTP like any org.
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn_binary(&bin, &org.service_env(), &[]);
    mcp.initialize();
    let tools = mcp.list_tools();
    assert!(tools.iter().any(|t| t["name"] == "list_users"), "{tools:?}");
    let listed = mcp.call_ok("list_users", json!({"limit": 2}));
    assert!(
        listed.to_string().contains("@"),
        "users with logins: {listed}"
    );
    // The audit journal reader needs no org and no sandbox.
    let journal = tempfile::tempdir().unwrap();
    let path = journal.path().join("audit.jsonl");
    std::fs::write(&path, "").unwrap();
    let out = support::run_binary(
        &bin,
        &[("OKTA_MCP_AUDIT_LOG".to_owned(), path.display().to_string())],
        &["audit"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
