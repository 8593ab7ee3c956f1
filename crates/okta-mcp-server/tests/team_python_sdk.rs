//! Team mode with the official MCP Python SDK's OAuth client (`OAuthClientProvider`): it
//! discovers the metadata from the 401, registers, signs a person in through the sandbox
//! org and calls tools as that person. CI installs the SDK and sets OKTA_MCP_TEST_PYTHON.

mod support;

use serde_json::{Value, json};
use std::process::Command;
use support::TestOrg;
use support::team::*;

fn python() -> Option<String> {
    support::external_tool(
        "OKTA_MCP_TEST_PYTHON",
        "a Python with the `mcp` SDK installed",
    )
}

fn drive(
    python: &str,
    org: &TestOrg,
    server: &TeamServer,
    login: &str,
    scope: &str,
    tool: &str,
    args: Value,
) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/python_oauth_client.py"
    );
    let out = Command::new(python)
        .arg(script)
        .arg(server.mcp_url())
        .arg(org.sandbox.url())
        .arg(okta_sandbox::oauth::SIGN_IN_APPROVE_PATH)
        .arg(login)
        .arg(okta_sandbox::oauth::SANDBOX_PASSWORD)
        .arg(scope)
        .arg(tool)
        .arg(args.to_string())
        .output()
        .expect("run the python client");
    assert!(
        out.status.success(),
        "python client failed:\nstdout: {}\nstderr: {}\nserver: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.stderr()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().expect("a line")).expect("JSON from the client")
}

#[test]
fn official_python_sdk_signs_in_and_each_person_acts_as_themselves() {
    let Some(python) = python() else { return };
    let org = TestOrg::start();
    let state = tempfile::tempdir().unwrap();
    let server = TeamServer::start(&org, &team_env(&org, state.path()), free_port(), "python");

    // The super admin, with whatever the server offers: sees every toolset, writes as themselves.
    let admin = drive(
        &python,
        &org,
        &server,
        okta_sandbox::oauth::SUPER_ADMIN_LOGIN,
        "",
        "create_group",
        json!({"profile": {"name": "python-sdk-group"}}),
    );
    let tools: Vec<&str> = admin["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tools.contains(&"list_applications") && tools.contains(&"create_group"),
        "{admin}"
    );
    assert_eq!(admin["result"]["isError"], false, "{admin}");
    let group_id = admin["result"]["structured"]["id"]
        .as_str()
        .expect("group id");
    let event = org
        .sandbox
        .org()
        .log_events()
        .into_iter()
        .find(|e| {
            e["eventType"] == "group.lifecycle.create"
                && e["target"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t["id"] == group_id))
        })
        .expect("a System Log event for the group");
    assert_eq!(
        event["actor"]["alternateId"],
        okta_sandbox::oauth::SUPER_ADMIN_LOGIN
    );

    // The help-desk admin: same tools offered, but Okta's role rules refuse the write, the
    // result says why in one line, and nothing changes.
    let groups_before = org.sandbox.org().groups().len();
    let desk = drive(
        &python,
        &org,
        &server,
        okta_sandbox::oauth::HELP_DESK_ADMIN_LOGIN,
        "",
        "create_group",
        json!({"profile": {"name": "python-sdk-desk-group"}}),
    );
    assert_eq!(desk["sign_ins"].as_array().unwrap().len(), 1, "{desk}");
    assert_eq!(desk["result"]["isError"], true, "{desk}");
    assert_eq!(desk["result"]["structured"]["status"], 403, "{desk}");
    let hint = desk["result"]["structured"]["hint"]
        .as_str()
        .unwrap_or_default();
    assert!(hint.contains("admin role"), "{desk}");
    assert_eq!(
        org.sandbox.org().groups().len(),
        groups_before,
        "nothing changed"
    );
    assert_ne!(
        admin["client_id"], desk["client_id"],
        "each client registered itself"
    );

    let log = server.stderr();
    let mut secrets: Vec<(&str, String)> = vec![("state key", STATE_KEY.to_owned())];
    for run in [&admin, &desk] {
        for s in run["secrets"].as_array().unwrap() {
            secrets.push(("token or code", s.as_str().unwrap().to_owned()));
        }
    }
    assert_no_secrets(&log, &secrets);
}
