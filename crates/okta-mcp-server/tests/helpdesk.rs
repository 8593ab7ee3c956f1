//! End to end: the help-desk tools (unlock, suspend, activate, password resets, sessions,
//! MFA factors) through the real binary against the sandbox org: status changes seen by
//! get_user afterwards, refusals in plain words, confirmations that name the user (a decline
//! sends nothing), read-only mode hiding the writes, and one-time secrets that reach the
//! result once and never stderr or the audit journal.

mod support;

use okta_client::paths;
use serde_json::{Value, json};
use support::{Mcp, TestOrg, server, unconfirmed};

/// The seeded admins sign the team server in; these tests leave them alone.
fn is_seeded_admin(user: &Value) -> bool {
    user["id"].as_str().unwrap().starts_with("00uzzz")
}

/// A seeded user (not an admin) in `status`: (id, login).
fn user_in(org: &TestOrg, status: &str) -> (String, String) {
    org.users()
        .into_iter()
        .find(|u| u["status"] == status && !is_seeded_admin(u))
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["profile"]["login"].as_str().unwrap().to_owned(),
            )
        })
        .unwrap_or_else(|| panic!("a seeded {status} user"))
}

/// Requests the sandbox received that change something about `user_id`.
fn writes_for(org: &TestOrg, user_id: &str) -> Vec<String> {
    let prefix = format!("{}/{user_id}", paths::USERS);
    org.sandbox
        .faults()
        .journal()
        .into_iter()
        .filter(|e| e.method != "GET" && e.path.starts_with(&prefix))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

fn status_of(mcp: &mut Mcp, user_id: &str) -> Value {
    mcp.call_ok("get_user", json!({"user_id": user_id}))["status"].clone()
}

/// A server whose client shows confirmation prompts (MCP elicitation).
fn prompting(org: &TestOrg, extra: &[(&str, &str)]) -> Mcp {
    let mut env = org.service_env();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize_with("2025-06-18", json!({"elicitation": {}}));
    mcp
}

/// Answers a destructive call's prompt with `action`; the question and the tool's result.
fn answer_prompt(mcp: &mut Mcp, id: u64, tool: &str, args: Value, action: &str) -> (String, Value) {
    let (question, response) = support::call_answering_confirmation(mcp, id, tool, args, action);
    (question, response["result"].clone())
}

/// stderr once the server has exited, so nothing it wrote is missed.
fn final_stderr(mut mcp: Mcp) -> String {
    mcp.close_stdin();
    mcp.wait_exit(std::time::Duration::from_secs(20));
    mcp.stderr()
}

/// Fails naming the secret if `text` (stderr, a journal) contains it.
fn assert_absent(text: &str, secret: &str, what: &str) {
    assert!(
        secret.len() >= 8,
        "{what}: too short to search for: {secret:?}"
    );
    assert!(
        !text.contains(secret),
        "{what} reached the log:\n{}",
        text.lines()
            .filter(|l| l.contains(secret))
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn unlock_shows_in_get_user_and_a_user_who_is_not_locked_is_told_so_plainly() {
    let org = TestOrg::start();
    let (id, login) = user_in(&org, "LOCKED_OUT");
    let mut mcp = unconfirmed(&org);

    let out = mcp.call_ok("unlock_user", json!({"user_id": login}));
    assert_eq!(out["user_id"], json!(id));
    assert!(out["message"].as_str().unwrap().contains(&login), "{out}");
    assert_eq!(out["previous_status"], "LOCKED_OUT");
    assert_eq!(out["status"], "ACTIVE");
    assert_eq!(status_of(&mut mcp, &id), "ACTIVE");

    let again = mcp.call("unlock_user", json!({"user_id": id}));
    assert_eq!(again["isError"], true, "{again}");
    let error = &again["structuredContent"];
    assert_eq!(error["error"], "refused", "{error}");
    let message = error["message"].as_str().unwrap();
    for needle in [
        login.as_str(),
        "is ACTIVE",
        "only a LOCKED_OUT user",
        "E0000032",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }

    let unknown = mcp.call("unlock_user", json!({"user_id": "00unosuchuser0000001"}));
    assert_eq!(unknown["isError"], true, "{unknown}");
    assert_eq!(unknown["structuredContent"]["status"], 404);
    assert!(
        unknown["structuredContent"]["errorSummary"]
            .as_str()
            .unwrap()
            .contains("00unosuchuser0000001"),
        "{unknown}"
    );
}

#[test]
fn suspend_asks_by_login_a_decline_sends_nothing_and_unsuspend_restores() {
    let org = TestOrg::start();
    let (id, login) = user_in(&org, "ACTIVE");
    let mut mcp = prompting(&org, &[]);

    let (asked, declined) = answer_prompt(
        &mut mcp,
        900,
        "suspend_user",
        json!({"user_id": id}),
        "decline",
    );
    assert!(asked.contains(&login), "{asked}");
    assert_eq!(
        declined["structuredContent"]["cancelled"], true,
        "{declined}"
    );
    assert_eq!(status_of(&mut mcp, &id), "ACTIVE");
    assert!(
        writes_for(&org, &id).is_empty(),
        "{:?}",
        writes_for(&org, &id)
    );

    let (_, done) = answer_prompt(
        &mut mcp,
        901,
        "suspend_user",
        json!({"user_id": id}),
        "accept",
    );
    assert_eq!(done["structuredContent"]["status"], "SUSPENDED", "{done}");
    assert_eq!(status_of(&mut mcp, &id), "SUSPENDED");
    assert_eq!(
        writes_for(&org, &id),
        [format!("POST {}/{id}/lifecycle/suspend", paths::USERS)]
    );

    // Suspending again is refused by Okta, and said so plainly (after the prompt).
    let (_, again) = answer_prompt(
        &mut mcp,
        902,
        "suspend_user",
        json!({"user_id": id}),
        "accept",
    );
    assert_eq!(again["isError"], true, "{again}");
    let message = again["structuredContent"]["message"].as_str().unwrap();
    assert!(
        message.contains("is SUSPENDED") && message.contains("only an ACTIVE user"),
        "{message}"
    );

    let back = mcp.call_ok("unsuspend_user", json!({"user_id": id}));
    assert_eq!(
        (back["previous_status"].as_str(), back["status"].as_str()),
        (Some("SUSPENDED"), Some("ACTIVE"))
    );
    assert_eq!(status_of(&mut mcp, &id), "ACTIVE");

    // A client that cannot show a prompt is asked to confirm in the result; nothing is sent.
    let mut plain = server(&org, &[]);
    let before = writes_for(&org, &id).len();
    let asked = plain.call_ok("suspend_user", json!({"user_id": id}));
    assert_eq!(asked["confirmation_required"], true, "{asked}");
    assert!(
        asked["message"].as_str().unwrap().contains(&login),
        "{asked}"
    );
    assert_eq!(writes_for(&org, &id).len(), before);
    assert_eq!(status_of(&mut plain, &id), "ACTIVE");
}

#[test]
fn activation_links_are_shown_once_in_the_result_and_never_logged() {
    let org = TestOrg::start();
    let mut env = org.service_env();
    env.push(("OKTA_LOG_LEVEL".into(), "trace".into()));
    env.push(("OKTA_MCP_CONFIRM".into(), "never".into()));
    let journal = tempfile::tempdir().unwrap();
    let journal_path = journal.path().join("audit.jsonl");
    env.push((
        "OKTA_MCP_AUDIT_LOG".into(),
        journal_path.display().to_string(),
    ));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();

    // A new user without a password: activation leaves them PROVISIONED until they finish.
    let created = mcp.call_ok(
        "create_user",
        json!({"profile": {"login": "new.hire@acme.example.com", "email": "new.hire@acme.example.com",
               "firstName": "New", "lastName": "Hire"}, "activate": false}),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let activated = mcp.call_ok("activate_user", json!({"user_id": id, "send_email": false}));
    assert_eq!(activated["previous_status"], "STAGED");
    assert_eq!(activated["status"], "PROVISIONED");
    assert_eq!(status_of(&mut mcp, &id), "PROVISIONED");
    let url = activated["activation_url"].as_str().unwrap().to_owned();
    let token = activated["activation_token"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&org.sandbox.url()) && url.contains(&token),
        "{url}"
    );

    // Reactivation hands out a new link; the email variant returns none.
    let again = mcp.call_ok(
        "reactivate_user",
        json!({"user_id": id, "send_email": false}),
    );
    let second = again["activation_token"].as_str().unwrap().to_owned();
    assert_ne!(second, token);
    assert_eq!(again["status"], "PROVISIONED");
    let emailed = mcp.call_ok("reactivate_user", json!({"user_id": id}));
    assert!(emailed.get("activation_url").is_none(), "{emailed}");
    assert_eq!(
        writes_for(&org, &id),
        [
            format!(
                "POST {}/{id}/lifecycle/activate?sendEmail=false",
                paths::USERS
            ),
            format!(
                "POST {}/{id}/lifecycle/reactivate?sendEmail=false",
                paths::USERS
            ),
            format!(
                "POST {}/{id}/lifecycle/reactivate?sendEmail=true",
                paths::USERS
            ),
        ]
    );

    // Activating someone already active is refused in plain words.
    let (active, login) = user_in(&org, "ACTIVE");
    let refused = mcp.call("activate_user", json!({"user_id": active}));
    let message = refused["structuredContent"]["message"].as_str().unwrap();
    assert!(
        message.contains(&login)
            && message.contains("is ACTIVE")
            && message.contains("reactivate_user"),
        "{message}"
    );

    let log = final_stderr(mcp);
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "the log is at trace"
    );
    let audit = std::fs::read_to_string(&journal_path).unwrap();
    assert!(audit.contains("activate_user"), "{audit}");
    for secret in [&token, &second] {
        assert_absent(&log, secret, "an activation token");
        assert_absent(&audit, secret, "an activation token (audit journal)");
    }
}

#[test]
fn password_reset_links_and_temporary_passwords_are_returned_once_and_never_logged() {
    let org = TestOrg::start();
    let mut env = org.service_env();
    env.push(("OKTA_LOG_LEVEL".into(), "trace".into()));
    let journal = tempfile::tempdir().unwrap();
    let journal_path = journal.path().join("audit.jsonl");
    env.push((
        "OKTA_MCP_AUDIT_LOG".into(),
        journal_path.display().to_string(),
    ));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize_with("2025-06-18", json!({"elicitation": {}}));
    let active: Vec<(String, String)> = org
        .users()
        .into_iter()
        .filter(|u| u["status"] == "ACTIVE" && !is_seeded_admin(u))
        .take(2)
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["profile"]["login"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let (first, first_login) = &active[0];
    let (second, _) = &active[1];

    let (asked, reset) = answer_prompt(
        &mut mcp,
        900,
        "reset_user_password",
        json!({"user_id": first, "send_email": false}),
        "accept",
    );
    assert!(asked.contains(first_login.as_str()), "{asked}");
    let reset = &reset["structuredContent"];
    assert_eq!(reset["status"], "RECOVERY", "{reset}");
    let url = reset["reset_password_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&org.sandbox.url()), "{url}");
    assert_eq!(status_of(&mut mcp, first), "RECOVERY");

    // A bad combination is refused before anyone is asked and before anything is sent.
    let bad = mcp.call(
        "expire_user_password",
        json!({"user_id": second, "revoke_sessions": true}),
    );
    assert_eq!(bad["isError"], true, "{bad}");
    assert_eq!(bad["structuredContent"]["error"], "invalid_arguments");
    assert!(writes_for(&org, second).is_empty());

    let (_, expired) = answer_prompt(
        &mut mcp,
        901,
        "expire_user_password",
        json!({"user_id": second, "temp_password": true, "revoke_sessions": true}),
        "accept",
    );
    let expired = &expired["structuredContent"];
    assert_eq!(expired["status"], "PASSWORD_EXPIRED", "{expired}");
    let temp = expired["temp_password"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&mut mcp, second), "PASSWORD_EXPIRED");
    assert_eq!(
        writes_for(&org, second),
        [format!(
            "POST {}/{second}/lifecycle/expire_password_with_temp_password?revokeSessions=true",
            paths::USERS
        )]
    );
    // Without a temporary password the user object is Okta's answer; nothing secret in it.
    let plain = answer_prompt(
        &mut mcp,
        902,
        "expire_user_password",
        json!({"user_id": second}),
        "accept",
    )
    .1;
    assert_eq!(
        plain["structuredContent"]["status"], "PASSWORD_EXPIRED",
        "{plain}"
    );
    assert!(plain["structuredContent"].get("temp_password").is_none());

    let token = url.rsplit('/').next().unwrap().to_owned();
    let log = final_stderr(mcp);
    let audit = std::fs::read_to_string(&journal_path).unwrap();
    assert!(audit.contains("reset_user_password"), "{audit}");
    for (secret, what) in [(&token, "a reset token"), (&temp, "a temporary password")] {
        assert_absent(&log, secret, what);
        assert_absent(&audit, secret, what);
    }
}

#[test]
fn clearing_sessions_can_revoke_oauth_tokens_and_asks_first() {
    let org = TestOrg::start();
    let (id, login) = user_in(&org, "ACTIVE");
    let mut mcp = prompting(&org, &[]);

    let (asked, declined) = answer_prompt(
        &mut mcp,
        900,
        "clear_user_sessions",
        json!({"user_id": login, "oauth_tokens": true}),
        "decline",
    );
    assert!(asked.contains(&login) && asked.contains("OAuth"), "{asked}");
    assert_eq!(declined["structuredContent"]["cancelled"], true);
    assert!(writes_for(&org, &id).is_empty());

    let (_, done) = answer_prompt(
        &mut mcp,
        901,
        "clear_user_sessions",
        json!({"user_id": login, "oauth_tokens": true}),
        "accept",
    );
    assert_eq!(
        done["structuredContent"]["oauth_tokens_revoked"], true,
        "{done}"
    );
    assert_eq!(
        writes_for(&org, &id),
        [format!(
            "DELETE {}/{id}/sessions?oauthTokens=true",
            paths::USERS
        )]
    );
    let events = org.sandbox.org().log_events();
    assert!(
        events
            .iter()
            .any(|e| e["eventType"] == "user.session.clear" && e["target"][0]["id"] == json!(id))
    );
}

/// A seeded user with at least three factors whose status passes `status`.
fn enrolled(org: &TestOrg, status: &str) -> (String, String, Vec<Value>) {
    let handle = org.sandbox.org();
    org.users()
        .into_iter()
        .filter(|u| u["status"] == status)
        .find_map(|u| {
            let id = u["id"].as_str().unwrap().to_owned();
            let factors = handle.factors(&id);
            let login = u["profile"]["login"].as_str().unwrap().to_owned();
            (factors.len() >= 3).then_some((id, login, factors))
        })
        .unwrap_or_else(|| panic!("a seeded {status} user with three factors"))
}

#[test]
fn factors_are_listed_without_secrets_and_reset_one_by_one_or_all_at_once() {
    let org = TestOrg::start();
    let (id, login, factors) = enrolled(&org, "ACTIVE");
    let mut mcp = prompting(&org, &[]);

    let listed = mcp.call_ok("list_user_factors", json!({"user_id": login}));
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    let expected: Vec<&Value> = factors.iter().map(|f| &f["id"]).collect();
    assert_eq!(ids, expected);
    assert_eq!(listed["total_fetched"], json!(factors.len()));
    assert_eq!(listed["has_more"], false);
    assert!(listed["items"][0].get("_links").is_none());

    // A TOTP awaiting activation carries its seed at Okta; the tool never passes it on.
    let pending_user = org
        .users()
        .into_iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .find(|uid| {
            org.sandbox
                .org()
                .factors(uid)
                .iter()
                .any(|f| f["status"] == "PENDING_ACTIVATION")
        })
        .expect("a seeded pending TOTP");
    let seed = org
        .sandbox
        .org()
        .factors(&pending_user)
        .iter()
        .find_map(|f| {
            f["_embedded"]["activation"]["sharedSecret"]
                .as_str()
                .map(str::to_owned)
        })
        .unwrap();
    let pending = mcp.call("list_user_factors", json!({"user_id": pending_user}));
    assert!(!pending.to_string().contains(&seed), "{pending}");
    assert!(pending.to_string().contains("PENDING_ACTIVATION"));

    // One factor: the prompt names the factor and the user; a decline sends nothing.
    let email = factors.iter().find(|f| f["factorType"] == "email").unwrap();
    let email_id = email["id"].as_str().unwrap();
    let args = json!({"user_id": id, "factor_id": email_id});
    let (asked, declined) =
        answer_prompt(&mut mcp, 900, "reset_user_factor", args.clone(), "decline");
    assert!(
        asked.contains("email factor") && asked.contains(&login),
        "{asked}"
    );
    assert_eq!(declined["structuredContent"]["cancelled"], true);
    assert!(writes_for(&org, &id).is_empty());
    let (_, reset) = answer_prompt(&mut mcp, 901, "reset_user_factor", args.clone(), "accept");
    assert_eq!(
        reset["structuredContent"]["factor_type"], "email",
        "{reset}"
    );
    assert!(
        !org.sandbox
            .org()
            .factors(&id)
            .iter()
            .any(|f| f["id"] == email["id"]),
        "the email factor is gone"
    );
    let (_, gone) = answer_prompt(&mut mcp, 902, "reset_user_factor", args, "accept");
    assert_eq!(gone["isError"], true, "{gone}");
    assert_eq!(gone["structuredContent"]["status"], 404);
    assert!(
        gone["structuredContent"]["errorSummary"]
            .as_str()
            .unwrap()
            .contains(email_id),
        "{gone}"
    );

    // All of them.
    let (asked, all) = answer_prompt(
        &mut mcp,
        903,
        "reset_all_user_factors",
        json!({"user_id": id}),
        "accept",
    );
    assert!(asked.contains(&login), "{asked}");
    assert_eq!(
        all["structuredContent"]["factors_reset"]
            .as_array()
            .unwrap()
            .len(),
        factors.len() - 1,
        "{all}"
    );
    assert!(org.sandbox.org().factors(&id).is_empty());
    let after = mcp.call_ok("list_user_factors", json!({"user_id": id}));
    assert_eq!(after["items"], json!([]));

    // A user Okta will not reset factors for (not ACTIVE) is told why in plain words.
    let (locked, locked_login, locked_factors) = enrolled(&org, "LOCKED_OUT");
    let (_, refused) = answer_prompt(
        &mut mcp,
        904,
        "reset_all_user_factors",
        json!({"user_id": locked}),
        "accept",
    );
    assert_eq!(refused["isError"], true, "{refused}");
    let message = refused["structuredContent"]["message"].as_str().unwrap();
    assert!(
        message.contains(&locked_login) && message.contains("ACTIVE"),
        "{message}"
    );
    assert_eq!(org.sandbox.org().factors(&locked), locked_factors);
}

const WRITES: [&str; 10] = [
    "unlock_user",
    "suspend_user",
    "unsuspend_user",
    "activate_user",
    "reactivate_user",
    "reset_user_password",
    "expire_user_password",
    "clear_user_sessions",
    "reset_user_factor",
    "reset_all_user_factors",
];

#[test]
fn read_only_mode_keeps_list_user_factors_and_hides_every_help_desk_write() {
    let org = TestOrg::start();
    let mut full = server(&org, &[]);
    let all: Vec<String> = full
        .list_tools()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    for name in WRITES.iter().chain(&["list_user_factors"]) {
        assert!(all.iter().any(|t| t == name), "{name} is listed normally");
    }
    let mut read_only = server(&org, &[("OKTA_MCP_READ_ONLY", "1")]);
    let names: Vec<String> = read_only
        .list_tools()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.iter().any(|t| t == "list_user_factors"));
    for name in WRITES {
        assert!(!names.iter().any(|t| t == name), "{name} in read-only mode");
    }
    let (id, _) = user_in(&org, "LOCKED_OUT");
    let refused = read_only.call("unlock_user", json!({"user_id": id}));
    assert_eq!(
        refused["structuredContent"]["error"], "tool_unavailable",
        "{refused}"
    );
    assert!(writes_for(&org, &id).is_empty());
}

#[test]
fn every_help_desk_tool_names_an_unknown_user_and_sends_no_write() {
    let org = TestOrg::start();
    let mut mcp = unconfirmed(&org);
    let nobody = "00unosuchuser0000002";
    for tool in WRITES.iter().chain(&["list_user_factors"]) {
        let mut args = json!({"user_id": nobody});
        if *tool == "reset_user_factor" {
            args["factor_id"] = json!("mbl1nosuchfactor0001");
        }
        let out = mcp.call(tool, args);
        assert_eq!(out["isError"], true, "{tool}: {out}");
        let error = &out["structuredContent"];
        assert_eq!(error["status"], 404, "{tool}: {error}");
        assert_eq!(error["errorCode"], "E0000007", "{tool}: {error}");
        assert!(
            error["errorSummary"].as_str().unwrap().contains(nobody),
            "{tool}: {error}"
        );
    }
    assert!(
        writes_for(&org, nobody).is_empty(),
        "{:?}",
        writes_for(&org, nobody)
    );
}

#[test]
fn every_destructive_help_desk_tool_sends_nothing_when_declined() {
    let org = TestOrg::start();
    let (id, login, factors) = enrolled(&org, "ACTIVE");
    let mut mcp = prompting(&org, &[]);
    let calls = [
        ("suspend_user", json!({"user_id": id})),
        (
            "reset_user_password",
            json!({"user_id": id, "send_email": false}),
        ),
        (
            "expire_user_password",
            json!({"user_id": id, "temp_password": true}),
        ),
        ("clear_user_sessions", json!({"user_id": id})),
        (
            "reset_user_factor",
            json!({"user_id": id, "factor_id": factors[0]["id"]}),
        ),
        ("reset_all_user_factors", json!({"user_id": id})),
    ];
    for (n, (tool, args)) in calls.into_iter().enumerate() {
        let (asked, declined) = answer_prompt(&mut mcp, 900 + n as u64, tool, args, "decline");
        assert!(asked.contains(&login), "{tool}: {asked}");
        assert_eq!(
            declined["structuredContent"]["cancelled"], true,
            "{tool}: {declined}"
        );
    }
    assert!(
        writes_for(&org, &id).is_empty(),
        "{:?}",
        writes_for(&org, &id)
    );
    assert_eq!(status_of(&mut mcp, &id), "ACTIVE");
    assert_eq!(org.sandbox.org().factors(&id), factors);
}

#[test]
fn refusals_for_the_users_status_say_which_status_and_what_is_needed() {
    let org = TestOrg::start();
    let (id, login) = user_in(&org, "DEPROVISIONED");
    let mut mcp = unconfirmed(&org);
    let cases = [
        ("unlock_user", json!({}), "only a LOCKED_OUT user"),
        ("suspend_user", json!({}), "only an ACTIVE user"),
        ("unsuspend_user", json!({}), "only a SUSPENDED user"),
        (
            "reactivate_user",
            json!({}),
            "only a PROVISIONED or RECOVERY user",
        ),
        (
            "reset_user_password",
            json!({}),
            "a password can be reset only",
        ),
        (
            "expire_user_password",
            json!({"temp_password": true}),
            "only the password of",
        ),
        (
            "reset_all_user_factors",
            json!({}),
            "only for an ACTIVE user",
        ),
    ];
    for (tool, extra, needs) in cases {
        let mut args = json!({"user_id": id});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let out = mcp.call(tool, args);
        assert_eq!(out["isError"], true, "{tool}: {out}");
        assert_eq!(
            out["structuredContent"]["error"], "refused",
            "{tool}: {out}"
        );
        let message = out["structuredContent"]["message"].as_str().unwrap();
        for needle in [
            login.as_str(),
            "is DEPROVISIONED",
            needs,
            "Nothing was changed",
        ] {
            assert!(
                message.contains(needle),
                "{tool}: {needle:?} not in {message}"
            );
        }
    }
    assert_eq!(status_of(&mut mcp, &id), "DEPROVISIONED");
}

/// Team mode: the help-desk admin acts as themselves, so Okta's Help Desk role decides. They
/// unlock, reset factors and hand out a temporary password; suspending is not theirs, and
/// that comes back as Okta's permission error, not as a status refusal. The temporary
/// password never reaches the server's trace log or the journal.
#[test]
fn the_help_desk_admin_acts_within_their_okta_role_in_team_mode() {
    use support::team::*;
    const REDIRECT: &str = "http://127.0.0.1:9/callback";
    let org = TestOrg::start();
    let (locked, _) = user_in(&org, "LOCKED_OUT");
    let (enrolled_id, _, factors) = enrolled(&org, "ACTIVE");
    let state = tempfile::tempdir().unwrap();
    let server = TeamServer::start(&org, &team_env(&org, state.path()), free_port(), "helpdesk");
    org.block_on(async {
        let client = register(&server, "help desk's assistant", REDIRECT).await;
        let desk = sign_in(
            &org,
            &server,
            &client,
            REDIRECT,
            okta_sandbox::oauth::HELP_DESK_ADMIN_LOGIN,
            Some("okta.users.read okta.users.manage"),
        )
        .await;
        let mut mcp = support::team::McpHttp::new(&server, Some(&desk.access_token));
        mcp.initialize().await;
        let tools = mcp.tool_names().await;
        for tool in WRITES.iter().chain(&["list_user_factors"]) {
            assert!(tools.iter().any(|t| t == tool), "{tool} not in {tools:?}");
        }
        let result = |e: &Exchange| e.body["result"].clone();

        let unlocked = mcp.call("unlock_user", json!({"user_id": locked})).await;
        assert_eq!(
            result(&unlocked)["structuredContent"]["status"],
            "ACTIVE",
            "{unlocked:?}"
        );
        let factor = factors[0]["id"].clone();
        let reset = mcp
            .call(
                "reset_user_factor",
                json!({"user_id": enrolled_id, "factor_id": factor, "confirm": true}),
            )
            .await;
        assert_eq!(result(&reset)["isError"], false, "{reset:?}");
        let temp = mcp
            .call(
                "expire_user_password",
                json!({"user_id": locked, "temp_password": true, "confirm": true}),
            )
            .await;
        let temp_password = result(&temp)["structuredContent"]["temp_password"]
            .as_str()
            .unwrap_or_else(|| panic!("a temporary password: {temp:?}"))
            .to_owned();

        let suspend = mcp
            .call(
                "suspend_user",
                json!({"user_id": enrolled_id, "confirm": true}),
            )
            .await;
        let refused = result(&suspend)["structuredContent"].clone();
        assert_eq!(refused["error"], "okta_api_error", "{suspend:?}");
        assert_eq!(refused["errorCode"], "E0000006", "{refused}");

        // The System Log names the person, not the server.
        let unlock_event = org
            .sandbox
            .org()
            .log_events()
            .into_iter()
            .rfind(|e| e["eventType"] == "user.account.unlock")
            .expect("the unlock in the System Log");
        assert_eq!(
            unlock_event["actor"]["alternateId"],
            okta_sandbox::oauth::HELP_DESK_ADMIN_LOGIN
        );

        let journal_text = std::fs::read_to_string(state.path().join("audit.jsonl")).unwrap();
        assert_absent(
            &journal_text,
            &temp_password,
            "a temporary password (journal)",
        );
        assert_absent(&server.stderr(), &temp_password, "a temporary password");
        let secrets = secrets_of(&server, &[&desk]);
        assert_no_secrets(&server.stderr(), &secrets);
    });
    // The refused suspension changed nothing; the unlocked user's password is now expired.
    assert_eq!(status_of_in(&org, &enrolled_id), "ACTIVE");
    assert_eq!(status_of_in(&org, &locked), "PASSWORD_EXPIRED");
}

fn status_of_in(org: &TestOrg, id: &str) -> String {
    org.sandbox.org().user(id).unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}
