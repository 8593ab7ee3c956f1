//! Bad input gets a clear error and the server keeps serving.

mod support;

use serde_json::json;
use support::{Mcp, TestOrg, run};

#[test]
fn tool_errors_are_results_and_the_server_keeps_serving() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();

    // Unknown tool: a JSON-RPC error.
    let resp = mcp.request(
        "tools/call",
        json!({"name": "no_such_tool", "arguments": {}}),
    );
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no_such_tool"),
        "{resp}"
    );

    // Missing required argument and wrong type: isError results that say what is wrong.
    let r = mcp.call("get_user", json!({}));
    assert_eq!(r["isError"], true);
    assert!(
        r["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("user_id"),
        "{r}"
    );
    let r = mcp.call("list_users", json!({"limit": "ten"}));
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["error"], "invalid_arguments");
    let r = mcp.call("list_users", json!({"userId": "x"}));
    assert_eq!(r["isError"], true);
    assert!(
        r["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("userId"),
        "{r}"
    );

    // An ID with ../ stays one path segment: a 404 for that ID, never another resource.
    let r = mcp.call("get_user", json!({"user_id": "../groups"}));
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(r["structuredContent"]["errorCode"], "E0000007");
    assert_eq!(r["structuredContent"]["status"], 404);

    // A filter Okta cannot parse: Okta's 400, surfaced with a hint.
    let r = mcp.call("list_users", json!({"search": "profile.department eq"}));
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(r["structuredContent"]["status"], 400);
    assert!(r["structuredContent"]["hint"].as_str().is_some());

    // A malformed JSON-RPC line gets a parse error; the next request is still served.
    mcp.send_raw("{this is not json");
    let msg = mcp.next_message();
    assert_eq!(msg["error"]["code"], -32700, "{msg}");
    let ok = mcp.call_ok("list_users", json!({"limit": 1}));
    assert_eq!(ok["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_request_before_initialize_is_refused_and_the_session_still_starts() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    let resp = mcp.request("tools/list", json!({}));
    assert!(
        resp.get("error").is_some(),
        "tools/list before initialize must fail: {resp}"
    );
    mcp.initialize();
    assert!(!mcp.list_tools().is_empty());
}

#[test]
fn missing_or_invalid_configuration_exits_2_naming_the_variable() {
    let out = run(&[], &["tools"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OKTA_ORG_URL"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    let env = vec![
        ("OKTA_ORG_URL".to_owned(), "http://acme.okta.com".to_owned()),
        ("OKTA_CLIENT_ID".to_owned(), "x".to_owned()),
    ];
    let out = run(&env, &["tools"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("OKTA_ORG_URL: http:// is only allowed for loopback")
    );

    let env = vec![
        (
            "OKTA_ORG_URL".to_owned(),
            "https://acme.okta.com".to_owned(),
        ),
        ("OKTA_CLIENT_ID".to_owned(), "x".to_owned()),
        ("OKTA_MCP_TOOLSETS".to_owned(), "users,nope".to_owned()),
    ];
    let out = run(&env, &["tools"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OKTA_MCP_TOOLSETS"));
    assert!(out.stdout.is_empty());
}

#[test]
fn call_command_runs_one_tool_against_the_org() {
    let org = TestOrg::start();
    let out = run(
        &org.service_env(),
        &[
            "call",
            "list_users",
            r#"{"limit": 3, "fields": "id,profile.login"}"#,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    assert!(v["items"][0]["profile"]["login"].is_string());
}
