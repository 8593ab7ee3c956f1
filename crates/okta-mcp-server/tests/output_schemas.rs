//! Typed outputs: every tool declares an outputSchema in tools/list, and the check every test
//! client runs on each tool result (support/output_schemas.rs) catches a result that does not
//! fit it. The suites themselves validate every result they see through that check.

mod support;

use serde_json::{Value, json};
use support::http::{HttpClient, HttpServer};
use support::output_schemas::{PendingCalls, check, violations};
use support::{TestOrg, server, unconfirmed};

#[test]
fn every_listed_tool_declares_a_typed_output_schema() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let tools = mcp.list_tools();
    assert!(tools.len() >= 114, "{} tools", tools.len());
    for tool in &tools {
        let name = tool["name"].as_str().unwrap();
        let schema = &tool["outputSchema"];
        assert_eq!(schema["type"], "object", "{name}: {tool}");
        assert!(
            schema["properties"]
                .as_object()
                .is_some_and(|p| !p.is_empty()),
            "{name} declares no result properties: {schema}"
        );
    }
    let bytes = serde_json::to_vec(&json!({"tools": tools})).unwrap().len();
    eprintln!("tools/list: {} tools, {bytes} bytes", tools.len());
}

#[test]
fn a_result_that_does_not_fit_its_schema_is_caught() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let user_id = org.users()[0]["id"].as_str().unwrap().to_owned();
    // A real result fits (the client checked it on arrival too) …
    let result = mcp.call("get_user", json!({"user_id": user_id}));
    assert_eq!(violations("get_user", &result), Vec::<String>::new());
    // … and the same result with a property of the wrong type does not.
    let mut wrong = result.clone();
    wrong["structuredContent"]["profile"] = json!("not an object");
    let problems = violations("get_user", &wrong);
    assert!(
        problems.iter().any(|p| p.contains("/profile")),
        "{problems:?}"
    );

    let listed = mcp.call("list_users", json!({"limit": 2}));
    assert_eq!(violations("list_users", &listed), Vec::<String>::new());
    let mut wrong = listed.clone();
    wrong["structuredContent"]["items"][1]["status"] = json!(3);
    let problems = violations("list_users", &wrong);
    assert!(
        problems.iter().any(|p| p.contains("/items/1/status")),
        "{problems:?}"
    );
    let mut wrong = listed;
    wrong["structuredContent"]
        .as_object_mut()
        .unwrap()
        .remove("items");
    assert!(!violations("list_users", &wrong).is_empty());

    // A success without structuredContent is wrong; an error result need not conform.
    assert!(!violations("get_user", &json!({"content": []})).is_empty());
    let failed = mcp.call("get_user", json!({"user_id": "00unknown"}));
    assert_eq!(failed["isError"], true, "{failed}");
    assert_eq!(violations("get_user", &failed), Vec::<String>::new());
    // The stateless protocol's request for a confirmation is not the tool's result yet.
    let asking = json!({"resultType": "input_required", "inputRequests": {}, "requestState": "s"});
    assert_eq!(violations("delete_group", &asking), Vec::<String>::new());
    let finished = json!({"resultType": "complete", "content": []});
    assert!(!violations("delete_group", &finished).is_empty());
}

#[test]
#[should_panic(expected = "does not match its outputSchema")]
fn the_client_check_fails_the_test_on_a_wrong_result() {
    let calls = PendingCalls::default();
    calls.sent(&json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "deactivate_user", "arguments": {"user_id": "00u1"}}}));
    calls.received(&json!({"jsonrpc": "2.0", "id": 9, "result": {
        "content": [], "structuredContent": {"success": true, "user_id": "00u1"}
    }}));
}

#[test]
fn confirmation_answers_fit_the_destructive_tools_schema() {
    let org = TestOrg::start();
    // No elicitation: the tool answers with a confirmation request, a success result.
    let mut mcp = server(&org, &[]);
    let user_id = org.users()[0]["id"].as_str().unwrap().to_owned();
    let asked = mcp.call("deactivate_user", json!({"user_id": user_id}));
    assert_eq!(
        asked["structuredContent"]["confirmation_required"], true,
        "{asked}"
    );
    check("deactivate_user", &asked);
    // Run without asking, the acknowledgement fits as well.
    let mut mcp = unconfirmed(&org);
    let done = mcp.call("deactivate_user", json!({"user_id": user_id}));
    assert_ne!(done["isError"], true, "{done}");
    check("deactivate_user", &done);
    let Value::Object(body) = &done["structuredContent"] else {
        panic!("{done}")
    };
    assert_eq!(body["user_id"], json!(user_id));
}

/// The check is wired into both test clients: each tool result they receive is counted as
/// checked (an error result too, which passes as exempt).
#[test]
fn the_stdio_and_http_clients_check_every_tool_result() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    assert_eq!(mcp.results_checked(), 0);
    mcp.call_ok("list_groups", json!({"limit": 3}));
    mcp.call("get_group", json!({"group_id": "00gnothere"}));
    assert_eq!(mcp.results_checked(), 2);

    let http = HttpServer::start(&org.service_env());
    let mut client = HttpClient::new(&http);
    client.initialize();
    client.call("list_groups", json!({"limit": 3}));
    client.call("get_scope_status", json!({}));
    assert_eq!(client.results_checked(), 2);
}
