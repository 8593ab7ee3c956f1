//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode)
//! against the Streamable HTTP server in demo mode. CI installs the suite and sets
//! OKTA_MCP_TEST_CONFORMANCE to its entry script; the scenarios that do not apply to this
//! server are listed, with why, in tests/conformance/baseline.yml.

mod support;

use support::http::HttpServer;

fn suite() -> Option<String> {
    support::external_tool(
        "OKTA_MCP_TEST_CONFORMANCE",
        "path to @modelcontextprotocol/conformance's dist/index.js; see .ci/run",
    )
}

#[test]
fn official_conformance_suite_passes_its_applicable_server_scenarios() {
    let Some(suite) = suite() else { return };
    let server = HttpServer::start(&[
        ("OKTA_MCP_DEMO".into(), "true".into()),
        ("OKTA_MCP_AUDIT_LOG".into(), "off".into()),
    ]);
    let baseline = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/baseline.yml"
    );
    // The suite writes its results/ under the working directory.
    let work = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("node")
        .arg(&suite)
        .args(["server", "--suite", "all", "--url"])
        .arg(format!("{}/mcp", server.base()))
        .arg("--expected-failures")
        .arg(baseline)
        .current_dir(work.path())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.split("=== SUMMARY ===").nth(1).unwrap_or(&stdout);
    eprintln!("{summary}");
    assert!(
        out.status.success(),
        "the conformance suite failed beyond its baseline:\n{stdout}\n{}\nserver stderr:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.process.stderr()
    );
    for scenario in [
        "server-initialize",
        "ping",
        "tools-list",
        "server-sse-polling",
        "server-sse-multiple-streams",
        "dns-rebinding-protection",
    ] {
        assert!(
            summary
                .lines()
                .any(|l| l.contains(&format!("✓ {scenario}:"))),
            "{scenario} did not pass:\n{summary}"
        );
    }
}
