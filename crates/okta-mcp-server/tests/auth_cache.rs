//! The seed's verification table, end to end: the real binary, the sandbox's OAuth endpoints
//! over real HTTP, and the file token store in a private cache directory.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Mcp, TestOrg, run};

const SCOPES: &str = "okta.users.read okta.groups.read";

fn device_env(org: &TestOrg, cache: &Path) -> Vec<(String, String)> {
    vec![
        ("OKTA_ORG_URL".into(), org.sandbox.url()),
        (
            "OKTA_CLIENT_ID".into(),
            org.sandbox.device_client().client_id,
        ),
        ("OKTA_SCOPES".into(), SCOPES.into()),
        ("OKTA_MCP_TOKEN_STORE".into(), "file".into()),
        ("XDG_CACHE_HOME".into(), cache.display().to_string()),
        ("HOME".into(), cache.display().to_string()),
        ("OKTA_LOG_LEVEL".into(), "debug".into()),
    ]
}

fn token_files(cache: &Path) -> Vec<std::path::PathBuf> {
    let dir = cache.join("okta-mcp-server").join("tokens");
    std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the first launch: the tool call reports the pending sign-in, the test approves the
/// code at the sandbox like a person would, and the next call succeeds without a restart.
fn first_launch_with_approval(org: &TestOrg, env: &[(String, String)]) -> Mcp {
    let mut mcp = Mcp::spawn(env, &[]);
    let started = Instant::now();
    mcp.initialize();
    let tools = mcp.list_tools();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the handshake never waits for a person"
    );
    assert!(tools.iter().any(|t| t["name"] == "list_users"));

    let pending = wait_for(|| {
        let r = mcp.call("list_users", json!({"limit": 1}));
        (r["structuredContent"]["error"] == "authorization_pending").then_some(r)
    });
    let code = pending["structuredContent"]["user_code"]
        .as_str()
        .expect("user code")
        .to_owned();
    assert!(
        pending["structuredContent"]["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with(&org.sandbox.url())
    );
    assert_eq!(pending["isError"], true);
    assert!(
        org.sandbox.oauth().approve_device(&code, true, None),
        "the code is pending at the org"
    );
    wait_for(|| {
        let r = mcp.call("list_users", json!({"limit": 1}));
        (r["isError"] != true).then_some(())
    });
    mcp
}

fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not reached in 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn device_flow_once_then_cache_hits_across_restarts() {
    let org = TestOrg::start();
    org.sandbox.oauth().set_device_timing(1, 600);
    let cache = tempfile::tempdir().unwrap();
    let env = device_env(&org, cache.path());

    // First launch, empty store: the flow runs once and a record is stored.
    let mut mcp = first_launch_with_approval(&org, &env);
    assert_eq!(org.sandbox.oauth().device_authorization_count(), 1);
    assert!(
        mcp.notifications
            .iter()
            .any(|n| n["method"] == "notifications/tools/list_changed"),
        "granted scopes arrived with the token: the client is told to list tools again"
    );
    assert_eq!(
        token_files(cache.path()).len(),
        1,
        "one record for (org, client, method)"
    );
    mcp.kill(); // shutdown never clears the cache
    assert_eq!(token_files(cache.path()).len(), 1);

    // Second launch: zero token-endpoint calls, no device authorization.
    let before = org.sandbox.oauth().counters();
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    let out = mcp.call_ok("list_users", json!({"limit": 2}));
    assert_eq!(out["items"].as_array().unwrap().len(), 2);
    let after = org.sandbox.oauth().counters();
    assert_eq!(
        after.token_calls(),
        before.token_calls(),
        "a cached token is reused: {before:?} -> {after:?}"
    );
    assert_eq!(org.sandbox.oauth().device_authorization_count(), 1);
    assert!(
        mcp.stderr().contains("reused cached token"),
        "the log says which path ran:\n{}",
        mcp.stderr()
    );
}

#[test]
fn expired_access_token_is_refreshed_once_at_launch_and_mid_session() {
    let org = TestOrg::start();
    org.sandbox.oauth().set_device_timing(1, 600);
    // 61 s of life: valid for one second past the 60 s margin, then due for refresh.
    org.sandbox
        .oauth()
        .set_access_token_ttl(Duration::from_secs(61));
    let cache = tempfile::tempdir().unwrap();
    let env = device_env(&org, cache.path());

    // A long-running server whose token expires mid-session serves the next call refreshed.
    let mut mcp = first_launch_with_approval(&org, &env);
    std::thread::sleep(Duration::from_secs(2));
    let refreshes = org.sandbox.oauth().token_calls("refresh_token");
    mcp.call_ok("list_users", json!({"limit": 1}));
    assert_eq!(
        org.sandbox.oauth().token_calls("refresh_token"),
        refreshes + 1,
        "one refresh mid-session"
    );
    mcp.kill();
    // Tokens minted from now on live an hour, so only the cached one is due (a busy machine
    // must not let a fresh 61 s token expire between two calls).
    org.sandbox
        .oauth()
        .set_access_token_ttl(Duration::from_secs(3600));

    // Launch after expiry: exactly one refresh_token grant and no device authorization.
    std::thread::sleep(Duration::from_secs(2));
    let refreshes = org.sandbox.oauth().token_calls("refresh_token");
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp.call_ok("list_users", json!({"limit": 1}));
    mcp.call_ok("list_groups", json!({"limit": 1}));
    assert_eq!(
        org.sandbox.oauth().token_calls("refresh_token"),
        refreshes + 1
    );
    assert_eq!(
        org.sandbox.oauth().device_authorization_count(),
        1,
        "no second device flow"
    );
}

#[test]
fn eight_processes_at_expiry_refresh_once_and_all_succeed() {
    let org = TestOrg::start();
    org.sandbox.oauth().set_device_timing(1, 600);
    org.sandbox
        .oauth()
        .set_access_token_ttl(Duration::from_secs(61));
    let cache = tempfile::tempdir().unwrap();
    let env = device_env(&org, cache.path());
    let mut mcp = first_launch_with_approval(&org, &env);
    mcp.kill();
    // The cached token expires; the one the refresh mints lives an hour, so no process sees
    // a just-refreshed token expire under load.
    org.sandbox
        .oauth()
        .set_access_token_ttl(Duration::from_secs(3600));
    std::thread::sleep(Duration::from_secs(2));

    let refreshes = org.sandbox.oauth().token_calls("refresh_token");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let env = env.clone();
            std::thread::spawn(move || {
                run(
                    &env,
                    &["call", "list_users", r#"{"limit":1,"fields":"id"}"#],
                )
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(
            out.status.success(),
            "every process succeeds: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        org.sandbox.oauth().token_calls("refresh_token"),
        refreshes + 1,
        "exactly one refresh across processes"
    );
    assert_eq!(
        org.sandbox.oauth().device_authorization_count(),
        1,
        "none starts a device flow"
    );
}

#[test]
fn private_key_jwt_token_is_cached_and_never_logged() {
    let org = TestOrg::start();
    let cache = tempfile::tempdir().unwrap();
    let mut env = org.service_env();
    env.retain(|(k, _)| k != "OKTA_MCP_TOKEN_STORE");
    env.extend([
        ("OKTA_MCP_TOKEN_STORE".to_owned(), "file".to_owned()),
        (
            "XDG_CACHE_HOME".to_owned(),
            cache.path().display().to_string(),
        ),
        ("HOME".to_owned(), cache.path().display().to_string()),
        ("OKTA_LOG_LEVEL".to_owned(), "trace".to_owned()),
    ]);
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp.call_ok("list_users", json!({"limit": 1}));
    let calls = org.sandbox.oauth().token_calls("client_credentials");
    assert_eq!(calls, 1);
    mcp.kill();
    let first_log = mcp.stderr();

    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp.call_ok("list_users", json!({"limit": 1}));
    assert_eq!(
        org.sandbox.oauth().token_calls("client_credentials"),
        calls,
        "second launch reuses the cached token"
    );
    mcp.kill();

    // `auth status` shows the record without the token; `auth token` prints it for scripts.
    let status = run(&env, &["auth", "status", "--json"]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["method"], "private_key_jwt");
    assert_eq!(status["store"], "file");
    assert_eq!(status["authenticated"], true);
    let token = run(&env, &["auth", "token"]);
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert!(token.len() > 20);
    assert!(!serde_json::to_string(&status).unwrap().contains(&token));

    let logs = format!("{first_log}\n{}", mcp.stderr());
    assert!(
        logs.contains("client credentials"),
        "the log says which path ran:\n{logs}"
    );
    assert!(
        !logs.contains(&token),
        "the access token leaked into the logs"
    );
    let key =
        std::fs::read_to_string(org.sandbox.service_client().private_key_file.unwrap()).unwrap();
    let key_body: String = key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("");
    assert!(
        !logs.contains(&key_body[..40]),
        "the private key leaked into the logs"
    );
    for part in token.split('.') {
        if part.len() > 16 {
            assert!(
                !logs.contains(part),
                "a part of the token leaked into the logs"
            );
        }
    }

    // Only logout clears the cache, and it revokes at the org.
    let out = run(&env, &["auth", "logout"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(token_files(cache.path()).is_empty());
    let status = run(&env, &["auth", "status", "--json"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["authenticated"], false);
}

#[test]
fn two_orgs_and_two_clients_never_share_a_token() {
    let org_a = TestOrg::start();
    let org_b = TestOrg::start();
    let cache = tempfile::tempdir().unwrap();
    let env_for = |org: &TestOrg| {
        let mut env = org.service_env();
        env.retain(|(k, _)| k != "OKTA_MCP_TOKEN_STORE");
        env.push(("OKTA_MCP_TOKEN_STORE".into(), "file".into()));
        env.push(("XDG_CACHE_HOME".into(), cache.path().display().to_string()));
        env.push(("HOME".into(), cache.path().display().to_string()));
        env
    };
    for org in [&org_a, &org_b] {
        let out = run(&env_for(org), &["call", "list_users", r#"{"limit":1}"#]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            org.sandbox.oauth().token_calls("client_credentials"),
            1,
            "each org grants its own token"
        );
    }
    assert_eq!(token_files(cache.path()).len(), 2, "one record per org");
    // A token minted by org A is never sent to org B: B verified every call with its own keys.
    let out = run(&env_for(&org_b), &["call", "list_users", r#"{"limit":1}"#]);
    assert!(out.status.success());
    assert_eq!(org_b.sandbox.oauth().token_calls("client_credentials"), 1);
}

#[test]
fn auth_login_waits_for_the_person_then_the_server_starts_signed_in() {
    let org = TestOrg::start();
    org.sandbox.oauth().set_device_timing(1, 600);
    let cache = tempfile::tempdir().unwrap();
    let env = device_env(&org, cache.path());
    let login = {
        let env = env.clone();
        std::thread::spawn(move || run(&env, &["auth", "login"]))
    };
    let code = wait_for(|| org.sandbox.oauth().pending_user_codes().into_iter().next());
    assert!(org.sandbox.oauth().approve_device(&code, true, None));
    let out = login.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&code),
        "the code is shown to the person: {stderr}"
    );
    assert!(out.stdout.is_empty(), "login prints nothing on stdout");
    assert_eq!(token_files(cache.path()).len(), 1);

    let before = org.sandbox.oauth().counters().token_calls();
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    mcp.call_ok("list_users", json!({"limit": 1}));
    assert_eq!(
        org.sandbox.oauth().counters().token_calls(),
        before,
        "the server reuses the login's token"
    );
}

#[test]
fn a_client_with_url_elicitation_is_offered_the_sign_in_link_once() {
    let org = TestOrg::start();
    org.sandbox.oauth().set_device_timing(1, 600);
    let cache = tempfile::tempdir().unwrap();
    let env = device_env(&org, cache.path());
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize_with(
        "2025-11-25",
        json!({"elicitation": {"form": {}, "url": {}}}),
    );
    let first = wait_for(|| {
        let r = mcp.call("list_users", json!({"limit": 1}));
        (r["structuredContent"]["error"] == "authorization_pending").then_some(r)
    });
    let url = first["structuredContent"]["verification_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    // The offer is a server-to-client request; answer it like a client that opened the page.
    let request = wait_for(|| {
        if let Some(r) = mcp
            .notifications
            .iter()
            .find(|m| m["method"] == "elicitation/create")
        {
            return Some(r.clone());
        }
        let _ = mcp.call("get_scope_status", json!({}));
        None
    });
    assert_eq!(request["params"]["mode"], "url", "{request}");
    assert_eq!(request["params"]["url"], json!(url));
    mcp.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": {"action": "accept"}}));
    // A second pending call does not offer the same code again.
    mcp.call("list_users", json!({"limit": 1}));
    mcp.call("get_scope_status", json!({}));
    let offers = mcp
        .notifications
        .iter()
        .filter(|m| m["method"] == "elicitation/create")
        .count();
    assert_eq!(offers, 1, "offered once per code");
}
