//! End to end: the MCP prompts (`prompts/list`, `prompts/get`) through the real binary over
//! stdio: what is listed, what each renders for its arguments, the errors for missing or bad
//! arguments, and the note naming tools this server does not offer (read-only mode).

mod support;

use serde_json::{Value, json};
use support::{TestOrg, server};

fn prompt_text(response: &Value) -> String {
    let messages = response["result"]["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("prompts/get failed: {response}"));
    assert_eq!(messages.len(), 1, "{response}");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["content"]["type"], "text");
    messages[0]["content"]["text"].as_str().unwrap().to_owned()
}

/// The tools a note says this server does not offer (empty when there is no note).
fn not_offered(text: &str) -> String {
    text.split("Not available on this server")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn prompts_are_listed_with_their_arguments() {
    let org = TestOrg::start();
    let mut mcp = support::Mcp::spawn(&org.service_env(), &[]);
    let init = mcp.initialize();
    assert!(init["capabilities"]["prompts"].is_object(), "{init}");

    let listed = mcp.request("prompts/list", json!({}));
    let prompts = listed["result"]["prompts"]
        .as_array()
        .unwrap_or_else(|| panic!("prompts/list failed: {listed}"));
    let names: Vec<&str> = prompts
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "offboard_user",
            "investigate_failed_sign_ins",
            "access_review"
        ]
    );
    let arguments = |name: &str| -> Vec<(String, bool)> {
        prompts.iter().find(|p| p["name"] == name).unwrap()["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert!(a["description"].is_string(), "{a}");
                (
                    a["name"].as_str().unwrap().to_owned(),
                    a["required"] == true,
                )
            })
            .collect()
    };
    assert_eq!(arguments("offboard_user"), [("user".to_owned(), true)]);
    assert_eq!(
        arguments("investigate_failed_sign_ins"),
        [
            ("user".to_owned(), false),
            ("ip".to_owned(), false),
            ("since".to_owned(), false)
        ]
    );
    assert_eq!(arguments("access_review"), [("target".to_owned(), true)]);
    for prompt in prompts {
        assert!(
            prompt["title"].is_string() && prompt["description"].is_string(),
            "{prompt}"
        );
    }
}

#[test]
fn prompts_render_their_steps_for_the_arguments_given() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let login = org.users()[0]["profile"]["login"]
        .as_str()
        .unwrap()
        .to_owned();

    let offboard = mcp.request(
        "prompts/get",
        json!({"name": "offboard_user", "arguments": {"user": login}}),
    );
    let text = prompt_text(&offboard);
    assert!(text.contains(&format!("\"{login}\"")), "{text}");
    // The steps in order, with the dry run before each change.
    let order = [
        "`get_user`",
        "`clear_user_sessions`",
        "`list_user_factors`",
        "`reset_all_user_factors`",
        "`list_user_applications`",
        "`unassign_user_from_application`",
        "`remove_user_from_group`",
        "`deactivate_user`",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|t| text.find(t).unwrap_or_else(|| panic!("{t} in {text}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(
        text.contains("`dry_run: true`") && text.contains("confirm"),
        "{text}"
    );
    // Tools on main today are offered, so the note never names them.
    let note = not_offered(&text);
    for offered in [
        "`get_user`",
        "`deactivate_user`",
        "`list_application_users`",
    ] {
        assert!(!note.contains(offered), "{offered} is offered: {note}");
    }

    let by_ip = prompt_text(&mcp.request(
        "prompts/get",
        json!({"name": "investigate_failed_sign_ins", "arguments": {"ip": "203.0.113.7"}}),
    ));
    assert!(
        by_ip.contains("client.ipAddress eq")
            && by_ip.contains("203.0.113.7")
            && by_ip.contains("`summarize_logs`")
            && by_ip.contains("`get_login_failures`"),
        "{by_ip}"
    );
    let by_user = prompt_text(&mcp.request(
        "prompts/get",
        json!({"name": "investigate_failed_sign_ins",
               "arguments": {"user": login, "since": "2026-12-01T00:00:00Z"}}),
    ));
    assert!(
        by_user.contains("actor.alternateId eq")
            && by_user.contains("2026-12-01T00:00:00Z")
            && by_user.contains("`list_user_factors`"),
        "{by_user}"
    );

    let app = org.sandbox.org().apps()[0].clone();
    let review = prompt_text(&mcp.request(
        "prompts/get",
        json!({"name": "access_review", "arguments": {"target": app["id"]}}),
    ));
    assert!(
        review.contains("`get_application`")
            && review.contains("`list_application_users`")
            && review.contains("`list_application_groups`"),
        "{review}"
    );
    let admins = prompt_text(&mcp.request(
        "prompts/get",
        json!({"name": "access_review", "arguments": {"target": "admin roles"}}),
    ));
    assert!(
        admins.contains("`list_admins`") && admins.contains("`list_user_admin_roles`"),
        "{admins}"
    );
}

#[test]
fn missing_or_bad_arguments_are_clear_errors() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let error = |mcp: &mut support::Mcp, params: Value| -> String {
        let response = mcp.request("prompts/get", params);
        assert_eq!(response["error"]["code"], -32602, "{response}");
        response["error"]["message"].as_str().unwrap().to_owned()
    };
    let m = error(&mut mcp, json!({"name": "offboard_user"}));
    assert!(m.contains("user is required"), "{m}");
    let m = error(
        &mut mcp,
        json!({"name": "offboard_user", "arguments": {"user": "  "}}),
    );
    assert!(m.contains("user is required"), "{m}");
    let m = error(
        &mut mcp,
        json!({"name": "investigate_failed_sign_ins", "arguments": {}}),
    );
    assert!(m.contains("user") && m.contains("ip"), "{m}");
    let m = error(
        &mut mcp,
        json!({"name": "investigate_failed_sign_ins", "arguments": {"ip": "not-an-ip"}}),
    );
    assert!(m.contains("not an IP address"), "{m}");
    let m = error(
        &mut mcp,
        json!({"name": "access_review", "arguments": {"app": "x"}}),
    );
    assert!(
        m.contains("unknown argument") && m.contains("target"),
        "{m}"
    );
    let m = error(&mut mcp, json!({"name": "make_coffee"}));
    assert!(
        m.contains("unknown prompt") && m.contains("offboard_user"),
        "{m}"
    );
    // The server carries on.
    assert!(mcp.request("prompts/list", json!({}))["result"].is_object());
}

#[test]
fn read_only_mode_names_the_steps_it_cannot_do() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[("OKTA_MCP_READ_ONLY", "true")]);
    let text = prompt_text(&mcp.request(
        "prompts/get",
        json!({"name": "offboard_user", "arguments": {"user": "jane.doe@acme.com"}}),
    ));
    let note = not_offered(&text);
    assert!(
        note.contains("`deactivate_user`") && note.contains("`unassign_user_from_application`"),
        "{text}"
    );
    assert!(
        !note.contains("`get_user`") && !note.contains("`list_user_groups`"),
        "{note}"
    );
}
