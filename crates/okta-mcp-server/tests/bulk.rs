//! Bulk tools through the binary against the sandbox: a mix of good, already-done and
//! failing items reported one by one, continuing past failures; one confirmation naming the
//! count and the first targets (declined: nothing done); progress per item; cancellation
//! mid-bulk stops between items; a dry run lists each item's plan and sends no write.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use support::{Mcp, TestOrg, server, unconfirmed, writes_seen};

fn users_with(org: &TestOrg, status: &str, n: usize) -> Vec<Value> {
    let found: Vec<Value> = org
        .users()
        .into_iter()
        .filter(|u| u["status"] == status)
        .take(n)
        .collect();
    assert_eq!(found.len(), n, "the seed has {n} {status} users");
    found
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn login(v: &Value) -> String {
    v["profile"]["login"].as_str().unwrap().to_owned()
}

fn status_of(org: &TestOrg, user_id: &str) -> String {
    org.sandbox.org().user(user_id).unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn results(out: &Value) -> Vec<(String, String)> {
    out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["target"].as_str().unwrap().to_owned(),
                i["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn deactivate_users_reports_each_item_and_continues_past_failures() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let active = users_with(&org, "ACTIVE", 2);
    let gone = users_with(&org, "DEPROVISIONED", 1);
    // By ID, by login, an unknown user in the middle, one already deactivated.
    let targets = [
        id(&active[0]),
        "nobody-here@example.com".to_owned(),
        login(&active[1]),
        id(&gone[0]),
    ];
    let out = mcp.call_ok("deactivate_users", json!({"users": targets}));
    assert_eq!(
        results(&out),
        [
            (targets[0].clone(), "ok".to_owned()),
            (targets[1].clone(), "failed".to_owned()),
            (targets[2].clone(), "ok".to_owned()),
            (targets[3].clone(), "already".to_owned()),
        ],
        "{out}"
    );
    assert_eq!(
        (
            out["ok"].as_u64(),
            out["already"].as_u64(),
            out["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(out["not_done"], 0);
    let failure = out["items"][1]["detail"].as_str().unwrap();
    assert!(
        failure.starts_with("E0000007"),
        "Okta's error summary: {failure}"
    );
    assert_eq!(
        out["items"][2]["user_id"],
        json!(id(&active[1])),
        "a login is resolved to its id"
    );
    assert_eq!(out["items"][3]["detail"], "already deactivated");
    for user in &active {
        assert_eq!(status_of(&org, &id(user)), "DEPROVISIONED");
    }
}

#[test]
fn group_membership_in_bulk_both_ways() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let group = mcp.call_ok("create_group", json!({"profile": {"name": "Bulk Crew"}}));
    let group_id = id(&group);
    let users = users_with(&org, "ACTIVE", 3);
    mcp.call_ok(
        "add_user_to_group",
        json!({"group_id": group_id, "user_id": id(&users[0])}),
    );

    let out = mcp.call_ok(
        "add_users_to_group",
        json!({"group_id": group_id, "users": [id(&users[0]), login(&users[1]), "00uNoSuchUser", id(&users[2])]}),
    );
    let got: Vec<String> = results(&out).into_iter().map(|(_, r)| r).collect();
    assert_eq!(got, ["already", "ok", "failed", "ok"], "{out}");
    let members: Vec<Value> = org
        .sandbox
        .org()
        .group_members(&group_id)
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(members.len(), 3, "{members:?}");

    let out = mcp.call_ok(
        "remove_users_from_group",
        json!({"group_id": group_id, "users": [id(&users[0]), id(&users[1])]}),
    );
    assert_eq!(out["ok"], 2, "{out}");
    let out = mcp.call_ok(
        "remove_users_from_group",
        json!({"group_id": group_id, "users": [id(&users[0]), id(&users[2])]}),
    );
    let got: Vec<String> = results(&out).into_iter().map(|(_, r)| r).collect();
    assert_eq!(got, ["already", "ok"], "{out}");
    assert!(org.sandbox.org().group_members(&group_id).is_empty());

    // An unknown group fails the call before any item, naming it.
    org.sandbox.faults().clear_journal();
    let bad = mcp.call(
        "add_users_to_group",
        json!({"group_id": "00gNoSuchGroup", "users": [id(&users[0])]}),
    );
    assert_eq!(bad["isError"], true, "{bad}");
    assert!(
        bad["structuredContent"]["errorSummary"]
            .as_str()
            .unwrap()
            .contains("00gNoSuchGroup"),
        "{bad}"
    );
    assert!(writes_seen(&org).is_empty());
}

#[test]
fn unlock_and_assign_in_bulk() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let locked = users_with(&org, "LOCKED_OUT", 1);
    let active = users_with(&org, "ACTIVE", 2);
    let out = mcp.call_ok(
        "unlock_users",
        json!({"users": [id(&locked[0]), id(&active[0])]}),
    );
    let got: Vec<String> = results(&out).into_iter().map(|(_, r)| r).collect();
    assert_eq!(got, ["ok", "already"], "{out}");
    assert_eq!(out["items"][1]["detail"], "not locked out (status ACTIVE)");
    assert_eq!(status_of(&org, &id(&locked[0])), "ACTIVE");

    let app = org
        .sandbox
        .org()
        .apps()
        .into_iter()
        .find(|a| a["status"] == "ACTIVE")
        .expect("an active app");
    let app_id = id(&app);
    let assigned: Vec<Value> = org.sandbox.org().app_users(&app_id);
    let before = assigned.len();
    let out = mcp.call_ok(
        "assign_users_to_application",
        json!({"app_id": app_id, "users": [id(&active[0]), id(&active[0]), login(&active[1])]}),
    );
    assert_eq!(out["total"], 2, "a repeated target counts once: {out}");
    assert_eq!(
        out["ok"].as_u64().unwrap() + out["already"].as_u64().unwrap(),
        2,
        "{out}"
    );
    let again = mcp.call_ok(
        "assign_users_to_application",
        json!({"app_id": app_id, "users": [id(&active[0])]}),
    );
    assert_eq!(results(&again)[0].1, "already", "{again}");
    assert!(
        again["items"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("already assigned")
    );
    assert!(
        org.sandbox.org().app_users(&app_id).len() >= before + out["ok"].as_u64().unwrap() as usize
    );
}

#[test]
fn one_confirmation_names_the_count_and_the_first_targets_and_a_decline_does_nothing() {
    let org = TestOrg::start();
    let users = users_with(&org, "ACTIVE", 7);
    let targets: Vec<String> = users.iter().map(id).collect();

    // A client without elicitation: the result asks, and nothing is done.
    let mut mcp = server(&org, &[]);
    org.sandbox.faults().clear_journal();
    let asked = mcp.call_ok("deactivate_users", json!({"users": targets}));
    assert_eq!(asked["confirmation_required"], true, "{asked}");
    let question = asked["message"].as_str().unwrap();
    assert!(question.contains("Deactivate 7 users"), "{question}");
    assert!(
        question.contains(&targets[0]) && question.contains(&targets[4]),
        "{question}"
    );
    assert!(
        !question.contains(&targets[5]) && question.contains("and 2 more"),
        "{question}"
    );
    assert!(writes_seen(&org).is_empty());

    // A client with elicitation: one question for the whole list; declined, nothing is done.
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize_with("2025-06-18", json!({"elicitation": {}}));
    mcp.send(&json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call", "params": {"name": "deactivate_users", "arguments": {"users": targets}}}));
    let ask = loop {
        let message = mcp.next_message();
        if message["method"] == "elicitation/create" {
            break message;
        }
        mcp.notifications.push(message);
    };
    assert!(
        ask["params"]["message"]
            .as_str()
            .unwrap()
            .contains("Deactivate 7 users"),
        "{ask}"
    );
    mcp.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "decline"}}));
    let response = mcp.wait_response(900);
    assert_eq!(
        response["result"]["structuredContent"]["cancelled"], true,
        "{response}"
    );
    assert!(writes_seen(&org).is_empty(), "{:?}", writes_seen(&org));
    for user in &users {
        assert_eq!(status_of(&org, &id(user)), "ACTIVE");
    }
    // Adding to a group is not destructive, but a bulk grant asks too.
    let tools = mcp.list_tools();
    let add = tools
        .iter()
        .find(|t| t["name"] == "add_users_to_group")
        .unwrap();
    assert_eq!(add["annotations"]["destructiveHint"], false);
    assert_eq!(
        add["inputSchema"]["properties"]["confirm"]["type"],
        "boolean"
    );
}

#[test]
fn a_dry_run_lists_each_item_and_sends_no_write() {
    let org = TestOrg::start();
    let mut mcp = server(&org, &[]);
    let active = users_with(&org, "ACTIVE", 2);
    let gone = users_with(&org, "DEPROVISIONED", 1);
    org.sandbox.faults().clear_journal();
    let out = mcp.call_ok(
        "deactivate_users",
        json!({"users": [id(&active[0]), id(&gone[0]), "nobody@example.com", login(&active[1])], "dry_run": true}),
    );
    assert_eq!(out["dry_run"], true, "no confirmation for a dry run: {out}");
    let got: Vec<String> = results(&out).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        got,
        ["would_change", "already", "failed", "would_change"],
        "{out}"
    );
    assert_eq!(
        out["items"][0]["request"],
        json!({"method": "POST", "path": format!("/api/v1/users/{}/lifecycle/deactivate", id(&active[0]))})
    );
    assert_eq!(out["would_change"], 2);
    assert!(writes_seen(&org).is_empty(), "{:?}", writes_seen(&org));
    assert_eq!(status_of(&org, &id(&active[0])), "ACTIVE");

    let app = org
        .sandbox
        .org()
        .apps()
        .into_iter()
        .find(|a| a["status"] == "ACTIVE")
        .unwrap();
    let out = mcp.call_ok(
        "assign_users_to_application",
        json!({"app_id": id(&app), "users": [id(&active[0])], "dry_run": true}),
    );
    let item = &out["items"][0];
    if item["result"] == "would_change" {
        assert_eq!(
            item["request"]["body"],
            json!({"id": id(&active[0]), "scope": "USER"}),
            "{out}"
        );
    }
    assert!(writes_seen(&org).is_empty(), "{:?}", writes_seen(&org));
}

#[test]
fn progress_per_item_and_the_bound_on_targets() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let users: Vec<String> = users_with(&org, "ACTIVE", 5).iter().map(id).collect();
    let group = mcp.call_ok("create_group", json!({"profile": {"name": "Progressive"}}));
    let resp = mcp.request(
        "tools/call",
        json!({"name": "add_users_to_group", "arguments": {"group_id": id(&group), "users": users},
               "_meta": {"progressToken": "bulk-1"}}),
    );
    assert_eq!(resp["result"]["structuredContent"]["ok"], 5, "{resp}");
    let progress: Vec<&Value> = mcp
        .notifications
        .iter()
        .filter(|n| {
            n["method"] == "notifications/progress" && n["params"]["progressToken"] == "bulk-1"
        })
        .map(|n| &n["params"])
        .collect();
    let values: Vec<f64> = progress
        .iter()
        .map(|p| p["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0], "{progress:?}");
    assert!(progress.iter().all(|p| p["total"] == 5.0), "{progress:?}");
    assert!(
        progress[0]["message"].as_str().unwrap().contains(&users[0]),
        "{progress:?}"
    );

    let many: Vec<String> = (0..501).map(|i| format!("user{i}@example.com")).collect();
    let refused = mcp.call("deactivate_users", json!({"users": many}));
    assert_eq!(
        refused["structuredContent"]["error"], "invalid_arguments",
        "{refused}"
    );
    assert!(
        refused["structuredContent"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 500")
    );

    let read_only = server(&org, &[("OKTA_MCP_READ_ONLY", "true")]).list_tools();
    let names: Vec<&str> = read_only
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for bulk in [
        "add_users_to_group",
        "remove_users_from_group",
        "deactivate_users",
        "unlock_users",
        "assign_users_to_application",
    ] {
        assert!(!names.contains(&bulk), "read-only mode shows {bulk}");
    }
}

#[test]
fn cancelling_mid_bulk_stops_between_items_and_says_what_was_done() {
    let mut config = okta_sandbox::SandboxConfig::default();
    config.faults.latency = Duration::from_millis(120);
    config.faults.rate_limits = okta_sandbox::faults::RateLimits::unenforced();
    let org = TestOrg::with_config(config);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("audit.jsonl");
    let mut mcp = server(
        &org,
        &[
            ("OKTA_MCP_CONFIRM", "never"),
            ("OKTA_MCP_AUDIT_LOG", journal.to_str().unwrap()),
        ],
    );
    let users: Vec<String> = users_with(&org, "ACTIVE", 40).iter().map(id).collect();
    mcp.call_ok("get_user", json!({"user_id": users[0]})); // token in hand before measuring
    let deactivations = |org: &TestOrg| {
        writes_seen(org)
            .iter()
            .filter(|w| w.ends_with("/lifecycle/deactivate"))
            .count()
    };
    mcp.send(&json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call",
        "params": {"name": "deactivate_users", "arguments": {"users": users}, "_meta": {"progressToken": "stop-me"}}}));
    let started = std::time::Instant::now();
    while deactivations(&org) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the bulk call is not under way"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    mcp.notify(
        "notifications/cancelled",
        json!({"requestId": 900, "reason": "operator stop"}),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let settled = deactivations(&org);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        deactivations(&org),
        settled,
        "no write after the cancel took effect"
    );
    assert!(
        settled < users.len() / 2,
        "stopped early: {settled} of {}",
        users.len()
    );
    let done = users
        .iter()
        .filter(|u| status_of(&org, u) == "DEPROVISIONED")
        .count();
    assert_eq!(done, settled, "every write sent was one user deactivated");

    // The result of a cancelled call is not sent (MCP); the last progress message says what
    // was done and what was not.
    mcp.call_ok("get_scope_status", json!({}));
    let last = mcp
        .notifications
        .iter()
        .rfind(|n| {
            n["method"] == "notifications/progress" && n["params"]["progressToken"] == "stop-me"
        })
        .expect("progress for the bulk call")["params"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        last.contains(&format!("{settled} changed")) && last.contains("Cancelled"),
        "{last}"
    );
    assert!(
        last.contains(&format!("{} not done", users.len() - settled)),
        "{last}"
    );
    // The audit journal names the writes that were made, one Okta request id each.
    let text = std::fs::read_to_string(&journal).unwrap();
    let record: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["tool"] == "deactivate_users")
        .expect("the bulk call is journaled");
    assert_eq!(
        record["okta_request_ids"].as_array().unwrap().len(),
        settled,
        "{record}"
    );
}

#[test]
fn a_search_chooses_the_targets_and_bad_target_arguments_are_refused_before_any_write() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let locked: BTreeSet<String> = org
        .users()
        .iter()
        .filter(|u| u["status"] == "LOCKED_OUT")
        .map(id)
        .collect();
    assert!(locked.len() >= 2, "the seed has locked-out users");

    let out = mcp.call_ok(
        "unlock_users",
        json!({"search": "status eq \"LOCKED_OUT\""}),
    );
    let unlocked: BTreeSet<String> = results(&out)
        .into_iter()
        .map(|(target, result)| {
            assert_eq!(result, "ok", "{out}");
            target
        })
        .collect();
    assert_eq!(unlocked, locked, "every match, and only the matches: {out}");
    for user in &locked {
        assert_eq!(status_of(&org, user), "ACTIVE");
    }

    let writes_before = writes_seen(&org).len();
    let refusals = [
        (
            json!({"users": [id(&users_with(&org, "ACTIVE", 1)[0])], "search": "status eq \"ACTIVE\""}),
            "not both",
        ),
        (json!({}), "at least one"),
        (json!({"search": "  "}), "search: empty"),
        (
            json!({"search": "status eq \"LOCKED_OUT\""}),
            "no user matches",
        ),
    ];
    for (args, expected) in refusals {
        let failed = mcp.call("unlock_users", args.clone());
        assert_eq!(failed["isError"], true, "{args}: {failed}");
        let text = failed["content"][0]["text"].as_str().unwrap_or_default();
        assert!(text.contains(expected), "{args}: {text}");
    }
    assert_eq!(
        writes_seen(&org).len(),
        writes_before,
        "a refusal writes nothing"
    );
}

#[test]
fn the_confirmation_of_a_search_names_what_it_matches() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize_with("2025-06-18", json!({"elicitation": {}}));
    let locked = users_with(&org, "LOCKED_OUT", 1);
    let (question, response) = support::call_answering_confirmation(
        &mut mcp,
        41,
        "unlock_users",
        json!({"search": "status eq \"LOCKED_OUT\""}),
        "decline",
    );
    let matched = org
        .users()
        .iter()
        .filter(|u| u["status"] == "LOCKED_OUT")
        .count();
    assert!(
        question.starts_with(&format!("Unlock {matched} user")),
        "{question}"
    );
    let named_a_match = org
        .users()
        .iter()
        .filter(|u| u["status"] == "LOCKED_OUT")
        .any(|u| question.contains(&id(u)));
    assert!(named_a_match, "{question}");
    assert_ne!(response["result"]["isError"], true, "{response}");
    assert_eq!(status_of(&org, &id(&locked[0])), "LOCKED_OUT");
}
