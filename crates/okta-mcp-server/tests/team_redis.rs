//! Team mode on the Redis state store (OKTA_MCP_STATE_URL), end to end: the real binary over
//! HTTP against the sandbox org, with a real redis-server (tests/support/redis.rs) that tests
//! stop and restart. Two servers sharing one Redis stand for two replicas (here addressed
//! directly; the load-balanced set-up is tests/team_replicas*.rs).

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::TestOrg;
use support::redis::RedisServer;
use support::team::*;

const SUPER: &str = okta_sandbox::oauth::SUPER_ADMIN_LOGIN;
const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// The harness itself: a redis-server on a free port answers, goes away when stopped, and
/// comes back on the same port.
#[test]
fn redis_server_stops_and_restarts_on_the_same_port() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let port = redis.port;
    assert!(redis.ping());
    redis.stop();
    assert!(!redis.ping(), "a stopped redis-server still answers");
    redis.restart();
    assert_eq!(redis.port, port);
    assert!(redis.ping());
    assert_eq!(redis.url(), format!("redis://127.0.0.1:{port}"));
}

/// A team server's environment on `redis`: no state file, the journal file in `dir`.
fn redis_env(org: &TestOrg, redis: &RedisServer, dir: &std::path::Path) -> Vec<(String, String)> {
    let env = team_env(org, dir);
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k != "OKTA_MCP_STATE_PATH")
        .collect();
    with_env(&env, "OKTA_MCP_STATE_URL", &redis.url())
}

/// Replicas share one public URL (the load balancer's): tokens are bound to it, so a token
/// one replica issued is for the others too. Here it is replica A's own address.
fn replica_env(env: Vec<(String, String)>, public_port: u16) -> Vec<(String, String)> {
    with_env(
        &env,
        "OKTA_MCP_PUBLIC_URL",
        &format!("http://127.0.0.1:{public_port}"),
    )
}

async fn get(url: &str) -> (u16, Value) {
    let response = http().get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `okta-mcp-server audit --json` with the servers' environment: the shared stream's records.
fn audit_stream(env: &[(String, String)]) -> Vec<Value> {
    let out = support::run(env, &["audit", "--json"]);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "audit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record a line"))
        .collect()
}

/// One person signed in through replica A; replica B honours the same token (state in
/// Redis); a deletion's confirmation asked by A is answered through B and the group is
/// deleted once; a second answer is refused. Both replicas' audit records are in the one
/// stream `audit` reads, and hold no secret.
#[test]
fn two_servers_on_one_redis_share_sign_ins_confirmations_and_the_audit_stream() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let org = TestOrg::start();
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let prompt = |env: Vec<(String, String)>| -> Vec<(String, String)> {
        env.into_iter()
            .filter(|(k, _)| k != "OKTA_MCP_CONFIRM")
            .collect()
    };
    let port_a = free_port();
    let env_a = replica_env(prompt(redis_env(&org, &redis, dir_a.path())), port_a);
    let env_b = replica_env(prompt(redis_env(&org, &redis, dir_b.path())), port_a);
    let a = TeamServer::start(&org, &env_a, port_a, "redis-a");
    let b = TeamServer::start(&org, &env_b, free_port(), "redis-b");
    org.block_on(async {
        let client = register(&a, "assistant", REDIRECT).await;
        let person = sign_in(&org, &a, &client, REDIRECT, SUPER, None).await;

        // The token A issued works on B (and A's registration and grant are B's too).
        let mut on_b = McpHttp::new(&b, Some(&person.access_token));
        on_b.initialize().await;
        let users = on_b.call("list_users", json!({"limit": 2})).await;
        assert_eq!(users.body["result"]["isError"], false, "{users:?}");
        let (status, rotated) = refresh(&b, &client, &person.refresh_token).await;
        assert_eq!(status, 200, "B rotates a refresh token A issued: {rotated}");

        let created = on_b
            .call(
                "create_group",
                json!({"profile": {"name": "Cross Replica", "description": "made by a test"}}),
            )
            .await;
        let group_id = created.body["result"]["structuredContent"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("created: {created:?}"))
            .to_owned();

        // Asked by A ...
        let args = json!({"group_id": group_id});
        let (status, asked) = stateless_call(
            &a,
            &person.access_token,
            json!({"name": "delete_group", "arguments": args}),
        )
        .await;
        assert_eq!(status, 200, "{asked}");
        let result = &asked["result"];
        assert_eq!(result["resultType"], "input_required", "{asked}");
        let handle = result["requestState"]
            .as_str()
            .unwrap_or_else(|| panic!("a request state: {asked}"))
            .to_owned();
        assert!(result["inputRequests"]["confirm"].is_object(), "{asked}");
        assert!(
            org.sandbox
                .org()
                .groups()
                .iter()
                .any(|g| g["id"] == json!(group_id)),
            "nothing is deleted before the answer"
        );

        // ... answered through B: the group is deleted.
        let answer = json!({
            "name": "delete_group",
            "arguments": args,
            "requestState": handle,
            "inputResponses": {"confirm": {"action": "accept", "content": {"confirm": true}}},
        });
        let (status, done) = stateless_call(&b, &person.access_token, answer.clone()).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["result"]["isError"], false, "{done}");
        assert_eq!(
            done["result"]["structuredContent"]["success"], true,
            "{done}"
        );
        assert!(
            !org.sandbox
                .org()
                .groups()
                .iter()
                .any(|g| g["id"] == json!(group_id)),
            "the group is deleted"
        );

        // The same answer again, on either replica: single use, nothing is sent.
        for server in [&a, &b] {
            let (_, again) = stateless_call(server, &person.access_token, answer.clone()).await;
            assert_eq!(
                again["result"]["structuredContent"]["cancelled"], true,
                "{again}"
            );
        }

        // One journal for both replicas: the sign-in on A, the question on A, the deletion
        // on B, once.
        let records = audit_stream(&env_a);
        let events: Vec<(String, String, String)> = records
            .iter()
            .map(|r| {
                (
                    r["event"].as_str().unwrap_or_default().to_owned(),
                    r["tool"].as_str().unwrap_or_default().to_owned(),
                    r["outcome"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let count = |event: &str, tool: &str, outcome: &str| {
            events
                .iter()
                .filter(|(e, t, o)| e == event && t == tool && o == outcome)
                .count()
        };
        assert_eq!(count("sign_in", "", "ok"), 1, "{events:?}");
        assert_eq!(count("tool_call", "create_group", "ok"), 1, "{events:?}");
        assert_eq!(
            count("tool_call", "delete_group", "confirmation_requested"),
            1,
            "{events:?}"
        );
        assert_eq!(count("tool_call", "delete_group", "ok"), 1, "{events:?}");
        assert_eq!(
            count("tool_call", "delete_group", "declined"),
            2,
            "{events:?}"
        );
        // Each replica's own file has its own records only.
        let deletions_in = |dir: &std::path::Path| -> Vec<String> {
            journal(dir)
                .iter()
                .filter(|r| r["tool"] == "delete_group")
                .map(|r| r["outcome"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(
            deletions_in(dir_a.path()),
            ["confirmation_requested", "declined"]
        );
        assert_eq!(deletions_in(dir_b.path()), ["ok", "declined"]);

        // Who is signed in, and ending a person's access, from any host with the URL: the
        // token stops working on every replica at once.
        let listed = support::run(&env_b, &["sessions", "list", "--json"]);
        assert!(listed.status.success(), "{listed:?}");
        let listed: Value = serde_json::from_slice(&listed.stdout).expect("sessions JSON");
        assert!(
            listed["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["login"] == SUPER),
            "{listed}"
        );
        let revoked = support::run(&env_b, &["sessions", "revoke", SUPER]);
        assert!(revoked.status.success(), "{revoked:?}");
        for server in [&a, &b] {
            let mut after = McpHttp::new(server, Some(&person.access_token));
            assert_eq!(after.request("tools/list", json!({})).await.status, 401);
        }

        let mut secrets = secrets_of(&a, &[&person]);
        secrets.push((
            "rotated refresh token",
            rotated["refresh_token"].as_str().unwrap().to_owned(),
        ));
        secrets.push(("confirmation handle", handle));
        let stream_text = serde_json::to_string(&records).unwrap();
        assert_no_secrets(&stream_text, &secrets);
        assert_no_secrets(&a.stderr(), &secrets);
        assert_no_secrets(&b.stderr(), &secrets);
    });
}

/// Eight calls on two servers, when the person's Okta token has aged into its refresh margin
/// and the org's token endpoint is slow: one refresh at the org, not one per server.
#[test]
fn two_servers_on_one_redis_refresh_a_persons_okta_token_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let org = TestOrg::start();
    let web = org.sandbox.web_client().client_id.clone();
    // Okta tokens that live 64 s: 4 s after sign-in they are inside the 60 s margin.
    org.sandbox
        .oauth()
        .set_client_access_token_ttl(&web, Some(Duration::from_secs(64)));
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let port_a = free_port();
    let env_a = replica_env(redis_env(&org, &redis, dir_a.path()), port_a);
    let env_b = replica_env(redis_env(&org, &redis, dir_b.path()), port_a);
    let a = TeamServer::start(&org, &env_a, port_a, "refresh-a");
    let b = TeamServer::start(&org, &env_b, free_port(), "refresh-b");
    org.block_on(async {
        let client = register(&a, "assistant", REDIRECT).await;
        let person = sign_in(&org, &a, &client, REDIRECT, SUPER, None).await;
        let mut sessions = Vec::new();
        for server in [&a, &b, &a, &b, &a, &b, &a, &b] {
            let mut session = McpHttp::new(server, Some(&person.access_token));
            session.initialize().await;
            sessions.push(session);
        }
        // A first call on each: both rate-limit views learn the window, so the eight below
        // go out together.
        for session in &mut sessions[..2] {
            let first = session.call("list_users", json!({"limit": 1})).await;
            assert_eq!(first.body["result"]["isError"], false, "{first:?}");
        }
        assert_eq!(org.sandbox.oauth().refresh_grants_for(SUPER), 0);
        tokio::time::sleep(Duration::from_secs(5)).await;
        org.sandbox.faults().update(|config| {
            config.rules.push(
                okta_sandbox::faults::FaultRule::new(
                    "/oauth2/v1/token",
                    okta_sandbox::faults::Fault::Latency(Duration::from_millis(300)),
                )
                .method("POST"),
            )
        });
        let calls = sessions
            .iter_mut()
            .map(|session| session.call("list_users", json!({"limit": 1})));
        for answer in futures::future::join_all(calls).await {
            assert_eq!(answer.body["result"]["isError"], false, "{answer:?}");
        }
        assert_eq!(
            org.sandbox.oauth().refresh_grants_for(SUPER),
            1,
            "one refresh for eight calls on two servers"
        );
        let secrets = secrets_of(&a, &[&person]);
        assert_no_secrets(&a.stderr(), &secrets);
        assert_no_secrets(&b.stderr(), &secrets);
    });
}

#[test]
fn a_tool_call_reads_the_person_from_redis_in_two_round_trips() {
    // The access token's record, then its grant and the person's Okta tokens together
    // (MGET): the third read, the tokens once the tool ran, went with the grant.
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let org = TestOrg::start();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = replica_env(redis_env(&org, &redis, dir.path()), port);
    let server = TeamServer::start(&org, &env, port, "redis-reads");
    org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let mut session = McpHttp::new(&server, Some(&person.access_token));
        session.initialize().await;
        let user_id = org.users()[0]["id"].as_str().unwrap().to_owned();
        // The first call also records the grant's use and learns the rate-limit window.
        let first = session.call("get_user", json!({"user_id": user_id})).await;
        assert_eq!(first.body["result"]["isError"], false, "{first:?}");
        let reads = |calls: &std::collections::HashMap<String, u64>| {
            ["get", "mget"].map(|c| calls.get(c).copied().unwrap_or(0))
        };
        let before = reads(&redis.command_calls());
        const CALLS: u64 = 5;
        for _ in 0..CALLS {
            let answer = session.call("get_user", json!({"user_id": user_id})).await;
            assert_eq!(answer.body["result"]["isError"], false, "{answer:?}");
        }
        let after = reads(&redis.command_calls());
        assert_eq!(
            [after[0] - before[0], after[1] - before[1]],
            [CALLS, CALLS],
            "GETs and MGETs over {CALLS} calls"
        );
    });
}

/// Redis stopped mid-run: calls get an HTTP 503 that says the state store is unreachable and
/// to retry, /readyz says 503 with the reason, /healthz stays 200, nothing panics. Redis
/// started again on the same port: the same signed-in client's calls succeed again without
/// restarting the server, and a refresh token used during the outage is still single use.
#[test]
fn a_redis_outage_fails_calls_clearly_and_the_server_recovers_when_redis_returns() {
    let Some(mut redis) = RedisServer::start_persistent() else {
        return;
    };
    let org = TestOrg::start();
    let dir = tempfile::tempdir().unwrap();
    let mut server = TeamServer::start(
        &org,
        &redis_env(&org, &redis, dir.path()),
        free_port(),
        "outage",
    );
    org.block_on(async {
        let ready = format!("{}/readyz", server.base);
        let health = format!("{}/healthz", server.base);
        assert_eq!(get(&ready).await.0, 200);
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&server, Some(&person.access_token));
        mcp.initialize().await;
        let users = mcp.call("list_users", json!({"limit": 1})).await;
        assert_eq!(users.body["result"]["isError"], false, "{users:?}");
        // A second sign-in got as far as the server's code when Redis went away.
        let issued = authorization_code(&org, &server, &client, REDIRECT, SUPER, None).await;

        redis.stop();
        let started = Instant::now();
        let during = mcp.call("list_users", json!({"limit": 1})).await;
        eprintln!("first answer with Redis down: {:?}", started.elapsed());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "an outage answer took {:?}",
            started.elapsed()
        );
        assert_eq!(during.status, 503, "{during:?}");
        let said = during.body.to_string();
        assert!(
            said.contains("state store") && said.contains("unreachable") && said.contains("retry"),
            "{said}"
        );
        let (status, stateless) = stateless_call(
            &server,
            &person.access_token,
            json!({"name": "list_users", "arguments": {"limit": 1}}),
        )
        .await;
        assert_eq!(status, 503, "{stateless}");
        let (status, why) = get(&ready).await;
        assert_eq!(status, 503, "{why}");
        assert!(
            why["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("unreachable"),
            "{why}"
        );
        assert_eq!(get(&health).await.0, 200, "liveness is not readiness");
        // A refresh during the outage fails without spending the refresh token.
        let (status, refused) = refresh(&server, &client, &person.refresh_token).await;
        assert_eq!(status, 503, "{refused}");
        assert_eq!(refused["error"], "temporarily_unavailable", "{refused}");
        // So does redeeming the code, without spending it.
        let (status, refused) = redeem_with_status(&server, &client, REDIRECT, &issued).await;
        assert_eq!(status, 503, "{refused}");
        assert_eq!(refused["error"], "temporarily_unavailable", "{refused}");

        redis.restart();
        let back = Instant::now();
        while get(&ready).await.0 != 200 {
            assert!(
                back.elapsed() < Duration::from_secs(15),
                "not ready again after Redis returned"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("ready again {:?} after Redis restarted", back.elapsed());
        let after = mcp.call("list_users", json!({"limit": 1})).await;
        assert_eq!(after.status, 200, "{after:?}");
        assert_eq!(after.body["result"]["isError"], false, "{after:?}");
        // The refresh token the outage refused works once, then it is spent.
        let (status, rotated) = refresh(&server, &client, &person.refresh_token).await;
        assert_eq!(status, 200, "{rotated}");
        let (status, reused) = refresh(&server, &client, &person.refresh_token).await;
        assert_eq!(status, 400, "{reused}");
        assert_eq!(reused["error"], "invalid_grant", "{reused}");
        // The code the outage refused is redeemed once, and only once.
        let (status, second) = redeem_with_status(&server, &client, REDIRECT, &issued).await;
        assert_eq!(status, 200, "{second}");
        assert!(second["access_token"].is_string(), "{second}");
        let (status, again) = redeem_with_status(&server, &client, REDIRECT, &issued).await;
        assert_eq!(status, 400, "{again}");
        assert_eq!(again["error"], "invalid_grant", "{again}");

        let log = server.stderr();
        assert!(!log.contains("panicked"), "{log}");
        let mut secrets = secrets_of(&server, &[&person]);
        secrets.push((
            "rotated refresh token",
            rotated["refresh_token"].as_str().unwrap().to_owned(),
        ));
        for (kind, key) in [
            ("second access token", "access_token"),
            ("second refresh token", "refresh_token"),
        ] {
            secrets.push((kind, second[key].as_str().unwrap().to_owned()));
        }
        secrets.push(("code", issued.code.clone()));
        secrets.push(("verifier", issued.verifier.clone()));
        assert_no_secrets(&log, &secrets);
    });
    server.stop();
}

/// Redis goes away in the middle of a tool call, after the bearer check: the call's next
/// Okta request cannot read the person's Okta token, and the result says so with its own
/// errorCode (`state_store_unavailable`), not as a failed sign-in.
#[test]
fn a_redis_outage_in_the_middle_of_a_call_is_reported_as_the_state_store() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let org = TestOrg::start();
    let dir = tempfile::tempdir().unwrap();
    let server = TeamServer::start(
        &org,
        &redis_env(&org, &redis, dir.path()),
        free_port(),
        "mid-call",
    );
    org.block_on(async {
        let client = register(&server, "assistant", REDIRECT).await;
        let person = sign_in(&org, &server, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&server, Some(&person.access_token));
        mcp.initialize().await;
        // The call's first Okta request is slow and then fails (503), so the client sends it
        // again, authorizing afresh: by then Redis is gone.
        let users = "/api/v1/users";
        org.sandbox.faults().update(|config| {
            use okta_sandbox::faults::{Fault, FaultRule};
            config.rules.push(
                FaultRule::new(users, Fault::Latency(Duration::from_millis(1500)))
                    .method("GET")
                    .times(1),
            );
            config.rules.push(
                FaultRule::new(users, Fault::ServerError { status: 503 })
                    .method("GET")
                    .times(1),
            );
        });
        let before = org.sandbox.faults().count("GET", users);
        let outage = async {
            let asked = Instant::now();
            while org.sandbox.faults().count("GET", users) == before {
                assert!(
                    asked.elapsed() < Duration::from_secs(20),
                    "the call never reached the org"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            redis.stop();
        };
        let (answer, ()) = tokio::join!(mcp.call("list_users", json!({"limit": 1})), outage);
        let result = &answer.body["result"];
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(result["isError"], true, "{answer:?}");
        let error = &result["structuredContent"];
        assert_eq!(error["error"], "state_store_unavailable", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("state store"), "{message}");
        assert!(
            error["hint"]
                .as_str()
                .unwrap_or_default()
                .contains("Call again"),
            "{error}"
        );
        let log = server.stderr();
        assert!(!log.contains("panicked"), "{log}");
        assert_no_secrets(&log, &secrets_of(&server, &[&person]));
    });
}

/// A bad OKTA_MCP_STATE_URL stops start-up with one line naming the variable, and never
/// echoes the password in it.
#[test]
fn a_bad_state_url_refuses_start_up_without_echoing_its_password() {
    for bad in [
        "http://admin:hunter2-password@127.0.0.1:6379",
        "redis://admin:hunter2-password@127.0.0.1:6379/zero",
    ] {
        let env = [
            ("OKTA_ORG_URL", "https://acme.okta.com"),
            ("OKTA_CLIENT_ID", "0oa-web-app"),
            ("OKTA_CLIENT_SECRET", "web-app-secret"),
            ("OKTA_SCOPES", "okta.users.read"),
            ("OKTA_MCP_STATE_KEY", STATE_KEY),
            ("OKTA_MCP_STATE_URL", bad),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let out = support::run(&env, &["serve", "--transport", "http", "--auth", "oauth"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains("OKTA_MCP_STATE_URL"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
}

/// Without OKTA_MCP_STATE_URL the embedded store is the default: /readyz checks it (a trivial
/// SQLite query) and says ready; no Redis is needed for one instance.
#[test]
fn readiness_checks_the_embedded_store_when_no_redis_is_configured() {
    let org = TestOrg::start();
    let dir = tempfile::tempdir().unwrap();
    let server = TeamServer::start(
        &org,
        &team_env(&org, dir.path()),
        free_port(),
        "ready-sqlite",
    );
    org.block_on(async {
        let (status, body) = get(&format!("{}/readyz", server.base)).await;
        assert_eq!((status, &body["status"]), (200, &json!("ready")), "{body}");
        assert_eq!(get(&format!("{}/healthz", server.base)).await.0, 200);
    });
    assert!(dir.path().join("state.sqlite3").exists());
}
