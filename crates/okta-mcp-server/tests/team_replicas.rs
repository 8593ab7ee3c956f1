//! Two replicas of the team server behind a real HAProxy, sharing a real redis-server
//! (tests/support/cluster.rs): a signed-in client talks to the load balancer only, and every
//! call must succeed whichever replica it lands on.

mod support;

use serde_json::{Value, json};
use support::TestOrg;
use support::cluster::Cluster;
use support::team::{Endpoint, McpHttp, register, sign_in, stateless_call};

const SUPER: &str = okta_sandbox::oauth::SUPER_ADMIN_LOGIN;
const HELP_DESK: &str = okta_sandbox::oauth::HELP_DESK_ADMIN_LOGIN;
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// The line each replica logs when it admits an MCP request (src/server/http.rs).
const ADMITTED: &str = "admitted an MCP request";
/// The line a replica logs when it continues a session another one opened.
const RESTORED: &str = "continuing an MCP session opened on another replica";

fn ok(answer: &support::team::Exchange, what: &str) -> Value {
    assert_eq!(answer.status, 200, "{what}: {answer:?}");
    let result = &answer.body["result"];
    assert_ne!(result["isError"], true, "{what}: {answer:?}");
    assert!(result.is_object(), "{what}: {answer:?}");
    result.clone()
}

/// One MCP session, opened through the balancer, continues on both replicas: consecutive calls
/// alternate between them (each replica's log shows its share) and all succeed; another
/// person's token naming the session is refused on either replica.
#[test]
fn consecutive_calls_land_on_both_replicas_and_all_succeed() {
    let org = TestOrg::start();
    let Some(cluster) = Cluster::start(&org, &[]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let admin = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&cluster, Some(&admin.access_token));
        mcp.initialize().await;
        let before = [
            cluster.log_count(0, ADMITTED),
            cluster.log_count(1, ADMITTED),
        ];
        const CALLS: usize = 12;
        for i in 0..CALLS {
            let answer = mcp.call("list_users", json!({"limit": 1})).await;
            let result = ok(&answer, &format!("call {i}"));
            assert!(
                result["structuredContent"].is_object() || result["content"].is_array(),
                "{result}"
            );
        }
        let served = [
            cluster.log_count(0, ADMITTED) - before[0],
            cluster.log_count(1, ADMITTED) - before[1],
        ];
        assert_eq!(
            served[0] + served[1],
            CALLS,
            "every call was admitted by exactly one replica"
        );
        // Round-robin: each replica served half, give or take the handshake's placement.
        for (i, n) in served.iter().enumerate() {
            assert!(
                *n >= CALLS / 2 - 1,
                "replica {i} served {n} of {CALLS} calls\n{}",
                cluster.stderr()
            );
        }
        // The session started on one replica and was restored on the other.
        let restored = cluster.log_count(0, RESTORED) + cluster.log_count(1, RESTORED);
        assert!(restored >= 1, "{}", cluster.stderr());

        // A session belongs to its owner on every replica.
        let desk_client = register(&cluster, "desk assistant", REDIRECT).await;
        let desk = sign_in(&org, &cluster, &desk_client, REDIRECT, HELP_DESK, None).await;
        let session = mcp.session().expect("a session id").to_owned();
        let mut hijack = McpHttp::new(&cluster, Some(&desk.access_token));
        hijack.join_session(&session);
        for _ in 0..2 {
            let refused = hijack.request("tools/list", json!({})).await;
            assert_eq!(refused.status, 404, "{refused:?}");
        }
        ok(&mcp.request("tools/list", json!({})).await, "owner goes on");
    });
}

/// The number of log lines admitting a request, per replica.
fn admitted(cluster: &Cluster) -> [usize; 2] {
    [
        cluster.log_count(0, ADMITTED),
        cluster.log_count(1, ADMITTED),
    ]
}

/// `okta-mcp-server audit --json` with the replicas' environment: the shared audit stream.
fn audit_stream(cluster: &Cluster) -> Vec<Value> {
    let out = support::run(cluster.env(), &["audit", "--json"]);
    assert!(
        out.status.success(),
        "audit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record a line"))
        .collect()
}

/// Replica A is killed with SIGKILL in the middle of a run of writes: every later call
/// succeeds on B (HAProxy sends a refused connection to the other replica, and B continues the
/// session), no audit record is lost (both replicas wrote to the one Redis stream), and the
/// person is still signed in (the token and the refresh token work through the balancer).
#[test]
fn a_replica_killed_mid_run_leaves_every_later_call_to_the_other() {
    let org = TestOrg::start();
    let Some(mut cluster) = Cluster::start(&org, &[]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let person = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&cluster, Some(&person.access_token));
        mcp.initialize().await;
        const BEFORE: usize = 6;
        const AFTER: usize = 6;
        for i in 0..BEFORE + AFTER {
            if i == BEFORE {
                // Whichever replica would take the next call is the one that dies.
                let [a, b] = admitted(&cluster);
                let next = usize::from(a > b);
                cluster.kill_replica(next);
            }
            let name = format!("killed-mid-run-{i}");
            let answer = mcp
                .call("create_group", json!({"profile": {"name": name}}))
                .await;
            ok(&answer, &format!("call {i}"));
        }
        let groups: Vec<String> = org
            .sandbox
            .org()
            .groups()
            .iter()
            .filter_map(|g| g["profile"]["name"].as_str().map(str::to_owned))
            .filter(|n| n.starts_with("killed-mid-run-"))
            .collect();
        assert_eq!(groups.len(), BEFORE + AFTER, "{groups:?}");

        let records = audit_stream(&cluster);
        let written = records
            .iter()
            .filter(|r| r["tool"] == "create_group" && r["outcome"] == "ok")
            .count();
        assert_eq!(
            written,
            BEFORE + AFTER,
            "one audit record a write: {records:?}"
        );

        // Still signed in: the access token and the refresh token work on the survivor.
        ok(
            &mcp.request("tools/list", json!({})).await,
            "tools/list after the kill",
        );
        let (status, rotated) =
            support::team::refresh(&cluster, &client, &person.refresh_token).await;
        assert_eq!(status, 200, "{rotated}");
    });
}

/// A deletion's confirmation asked by one replica is answered through the balancer on the
/// other (each replica's log shows its part), and the group is deleted exactly once (one
/// DELETE at the sandbox); the same answer again is refused on both.
#[test]
fn a_confirmation_asked_by_one_replica_is_answered_on_the_other_and_deletes_once() {
    let org = TestOrg::start();
    let Some(cluster) = Cluster::start(&org, &[("OKTA_MCP_CONFIRM", "prompt")]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let person = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let (status, created) = stateless_call(
            &cluster,
            &person.access_token,
            json!({"name": "create_group", "arguments": {"profile": {"name": "Two Replicas"}}}),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let group_id = created["result"]["structuredContent"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("created: {created}"))
            .to_owned();
        let delete_path = format!("/api/v1/groups/{group_id}");
        let args = json!({"group_id": group_id});

        let before_ask = admitted(&cluster);
        let (status, asked) = stateless_call(
            &cluster,
            &person.access_token,
            json!({"name": "delete_group", "arguments": args}),
        )
        .await;
        assert_eq!(status, 200, "{asked}");
        assert_eq!(asked["result"]["resultType"], "input_required", "{asked}");
        let handle = asked["result"]["requestState"]
            .as_str()
            .unwrap_or_else(|| panic!("a request state: {asked}"))
            .to_owned();
        let after_ask = admitted(&cluster);
        let asker = usize::from(after_ask[1] > before_ask[1]);
        assert_eq!(org.sandbox.faults().count("DELETE", &delete_path), 0);

        let answer = json!({
            "name": "delete_group",
            "arguments": args,
            "requestState": handle,
            "inputResponses": {"confirm": {"action": "accept", "content": {"confirm": true}}},
        });
        let (status, done) = stateless_call(&cluster, &person.access_token, answer.clone()).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["result"]["isError"], false, "{done}");
        let after_answer = admitted(&cluster);
        let answerer = usize::from(after_answer[1] > after_ask[1]);
        assert_ne!(asker, answerer, "asked and answered on different replicas");
        assert_eq!(
            org.sandbox.faults().count("DELETE", &delete_path),
            1,
            "deleted exactly once"
        );
        // The same answer again (it lands on each replica in turn): refused, nothing sent.
        for _ in 0..2 {
            let (_, again) = stateless_call(&cluster, &person.access_token, answer.clone()).await;
            assert_eq!(
                again["result"]["structuredContent"]["cancelled"], true,
                "{again}"
            );
        }
        assert_eq!(org.sandbox.faults().count("DELETE", &delete_path), 1);
    });
}

/// Eight concurrent calls through the balancer (four on each replica) when the person's Okta
/// token has expired: one refresh at the sandbox's token endpoint, and every call succeeds.
#[test]
fn eight_calls_on_two_replicas_with_an_expired_okta_token_refresh_it_once() {
    let org = TestOrg::start();
    let web = org.sandbox.web_client().client_id.clone();
    // Okta tokens that live 64 s: 5 s after sign-in they are inside the 60 s margin.
    org.sandbox
        .oauth()
        .set_client_access_token_ttl(&web, Some(std::time::Duration::from_secs(64)));
    let Some(cluster) = Cluster::start(&org, &[]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let person = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let mut sessions = Vec::new();
        for _ in 0..8 {
            let mut session = McpHttp::new(&cluster, Some(&person.access_token));
            session.initialize().await;
            sessions.push(session);
        }
        for session in &mut sessions[..2] {
            ok(
                &session.call("list_users", json!({"limit": 1})).await,
                "warm-up",
            );
        }
        assert_eq!(org.sandbox.oauth().refresh_grants_for(SUPER), 0);
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        // Each refresh takes a while at Okta, so the eight overlap.
        org.sandbox.faults().update(|config| {
            config.rules.push(
                okta_sandbox::faults::FaultRule::new(
                    "/oauth2/v1/token",
                    okta_sandbox::faults::Fault::Latency(std::time::Duration::from_millis(300)),
                )
                .method("POST"),
            )
        });
        let before = admitted(&cluster);
        let calls = sessions
            .iter_mut()
            .map(|session| session.call("list_users", json!({"limit": 1})));
        for (i, answer) in futures::future::join_all(calls).await.iter().enumerate() {
            ok(answer, &format!("call {i}"));
        }
        let after = admitted(&cluster);
        assert!(
            after[0] > before[0] && after[1] > before[1],
            "both replicas served some of the eight: {before:?} -> {after:?}"
        );
        assert_eq!(
            org.sandbox.oauth().refresh_grants_for(SUPER),
            1,
            "one refresh for eight calls on two replicas"
        );
    });
}

/// Redis stopped and restarted while a client works through the balancer: during the outage
/// every call gets a clear answer (HTTP 503 saying the state store is unreachable and to
/// retry), on either replica; after Redis returns the same session works again without
/// restarting anything, and no replica panicked.
#[test]
fn redis_stopped_and_restarted_mid_run_gives_clear_errors_then_success() {
    let org = TestOrg::start();
    let Some(mut cluster) = Cluster::start(&org, &[]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let person = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&cluster, Some(&person.access_token));
        mcp.initialize().await;
        for i in 0..4 {
            ok(
                &mcp.call("list_users", json!({"limit": 1})).await,
                &format!("before {i}"),
            );
        }
        cluster.redis.stop();
        for i in 0..4 {
            let started = std::time::Instant::now();
            let during = mcp.call("list_users", json!({"limit": 1})).await;
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "an outage answer took {:?}",
                started.elapsed()
            );
            assert_eq!(during.status, 503, "during {i}: {during:?}");
            let said = during.body.to_string();
            assert!(
                said.contains("state store")
                    && said.contains("unreachable")
                    && said.contains("retry"),
                "during {i}: {said}"
            );
        }
        cluster.redis.restart();
        let back = std::time::Instant::now();
        let mut worked = 0;
        while worked < 4 {
            let answer = mcp.call("list_users", json!({"limit": 1})).await;
            if answer.status == 200 && answer.body["result"]["isError"] != true {
                worked += 1;
            } else {
                assert_eq!(worked, 0, "a failure after success: {answer:?}");
                assert!(
                    back.elapsed() < std::time::Duration::from_secs(15),
                    "still failing after Redis returned: {answer:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        for i in 0..2 {
            let log = cluster.replicas[i].stderr();
            assert!(!log.contains("panicked"), "replica {i}: {log}");
        }
    });
}

/// Requests per window in the rate-limit test, and the window (Okta: per minute; short here).
const RATE_LIMIT: u64 = 12;
const RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(3);
/// fetch_all calls run at once on each replica.
const FETCHES_PER_REPLICA: usize = 6;
/// Users a page in those fetch_all calls.
const PAGE: usize = 40;

/// With the sandbox enforcing Okta-like limits (12 requests per 3 s window on the users
/// family), two replicas each driving six fetch_all calls at once stay inside the limit
/// together: at most 2 of their requests get a 429 per window the run spans.
///
/// Why that bound: every request claims a slot in the shared view before it goes, so the
/// replicas together never send more than the window's remaining count as Okta last reported
/// it. What the shared view cannot see is the one request per replica that learns a new
/// window (sent before any replica has heard of it), so each window can be overrun by at
/// most one request per replica: 2.
///
/// Why six calls a replica: with fewer in flight, each replica pacing on its own (no shared
/// view) also stays under the bound, as every answer tells it the org-wide remaining count,
/// and the test would not show the shared view does anything. Measured at six: without the
/// shared view 25 and 26 requests got a 429 in 5 windows; with it 0 and 4. (At six it also
/// found a fault, now fixed: the requests waiting on a probe claimed before the probe's
/// answer had reached Redis, went uncounted, and 12 got a 429.)
#[test]
fn two_replicas_driving_fetch_all_stay_inside_the_rate_limit() {
    let mut config = okta_sandbox::SandboxConfig::default();
    config.faults.rate_limits = okta_sandbox::faults::RateLimits::uniform(RATE_LIMIT, RATE_WINDOW);
    let org = TestOrg::with_config(config);
    // Okta's list leaves deprovisioned users out unless asked for them.
    let pages = org
        .users()
        .iter()
        .filter(|u| u["status"] != "DEPROVISIONED")
        .count()
        .div_ceil(PAGE);
    let Some(cluster) = Cluster::start(&org, &[]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let person = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let mut sessions = Vec::new();
        for _ in 0..2 * FETCHES_PER_REPLICA {
            let mut session = McpHttp::new(&cluster, Some(&person.access_token));
            session.initialize().await;
            sessions.push(session);
        }
        // A fresh window for the run, and a journal of the run only.
        tokio::time::sleep(RATE_WINDOW).await;
        org.sandbox.faults().reset_rate_limits();
        org.sandbox.faults().clear_journal();
        let before = admitted(&cluster);
        let started = std::time::Instant::now();
        let calls = sessions.iter_mut().map(|session| {
            session.call("list_users", json!({"fetch_all": true, "limit": PAGE}))
        });
        let answers = futures::future::join_all(calls).await;
        let elapsed = started.elapsed();
        for (i, answer) in answers.iter().enumerate() {
            ok(answer, &format!("fetch_all {i}"));
        }
        let after = admitted(&cluster);
        assert_eq!(
            [after[0] - before[0], after[1] - before[1]],
            [FETCHES_PER_REPLICA; 2],
            "each replica ran its share of the fetch_all calls"
        );
        let journal = org.sandbox.faults().journal();
        let users: Vec<_> = journal
            .iter()
            .filter(|e| e.path.starts_with("/api/v1/users"))
            .collect();
        let limited = users.iter().filter(|e| e.status == Some(429)).count();
        let windows = (elapsed.as_secs_f64() / RATE_WINDOW.as_secs_f64()).ceil() as usize + 1;
        eprintln!(
            "statuses in order: {}",
            users
                .iter()
                .map(|e| if e.status == Some(429) { 'x' } else { '.' })
                .collect::<String>()
        );
        eprintln!(
            "{} requests to the users family in {elapsed:?} ({windows} windows of {RATE_LIMIT}), {limited} answered 429",
            users.len()
        );
        assert_eq!(
            users.len() - limited,
            2 * FETCHES_PER_REPLICA * pages,
            "every page was fetched once ({pages} pages a fetch)"
        );
        assert!(
            limited <= 2 * windows,
            "{limited} requests got a 429 in {windows} windows (at most 2 a window)"
        );
    });
}

/// The JSON-RPC messages of an SSE stream, read as they come.
struct EventStream {
    bytes: futures::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buffer: String,
}

impl EventStream {
    fn new(response: reqwest::Response) -> Self {
        use futures::StreamExt;
        Self {
            bytes: response
                .bytes_stream()
                .map(|chunk| chunk.map(|b| b.to_vec()))
                .boxed(),
            buffer: String::new(),
        }
    }

    /// The next message for which `want` holds (others are skipped).
    async fn until(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        use futures::StreamExt;
        loop {
            while let Some(end) = self.buffer.find('\n') {
                let line: String = self.buffer.drain(..=end).collect();
                if let Some(data) = line.trim().strip_prefix("data:")
                    && let Ok(message) = serde_json::from_str::<Value>(data.trim())
                    && want(&message)
                {
                    return message;
                }
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), self.bytes.next())
                .await
                .expect("the stream went quiet")
                .expect("the stream ended")
                .expect("the stream broke");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// A 2025-era client (MCP sessions, `elicitation/create`): a deletion asked by one replica
/// (its prompt arrives on the call's event stream) is answered by a POST the balancer hands to
/// the other replica, which passes the answer to the one that asked (Redis pub/sub); the group
/// is deleted exactly once.
#[test]
fn an_elicitation_asked_by_one_replica_is_answered_through_the_other() {
    let org = TestOrg::start();
    let Some(cluster) = Cluster::start(&org, &[("OKTA_MCP_CONFIRM", "prompt")]) else {
        return;
    };
    org.block_on(async {
        let client = register(&cluster, "assistant", REDIRECT).await;
        let person = sign_in(&org, &cluster, &client, REDIRECT, SUPER, None).await;
        let mut mcp = McpHttp::new(&cluster, Some(&person.access_token));
        let init = mcp
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {"elicitation": {"form": {}}}, "clientInfo": {"name": "replicas-test", "version": "1"}}),
            )
            .await;
        assert_eq!(init.status, 200, "{init:?}");
        mcp.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        let created = mcp
            .call("create_group", json!({"profile": {"name": "Asked Here"}}))
            .await;
        let group_id = ok(&created, "create")["structuredContent"]["id"]
            .as_str()
            .expect("group id")
            .to_owned();
        let delete_path = format!("/api/v1/groups/{group_id}");

        let call = support::team::http()
            .post(cluster.mcp_url())
            .bearer_auth(&person.access_token)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2025-11-25")
            .header("mcp-session-id", mcp.session().expect("session"))
            .body(
                json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call",
                       "params": {"name": "delete_group", "arguments": {"group_id": group_id}}})
                .to_string(),
            )
            .send()
            .await
            .expect("tools/call");
        assert_eq!(call.status(), 200);
        let mut events = EventStream::new(call);
        let prompt = events
            .until(|m| m["method"] == "elicitation/create")
            .await;
        assert_eq!(org.sandbox.faults().count("DELETE", &delete_path), 0);
        // The answer: the balancer sends it to the other replica.
        let answered = mcp
            .post(&json!({"jsonrpc": "2.0", "id": prompt["id"],
                          "result": {"action": "accept", "content": {"confirm": true}}}))
            .await;
        assert_eq!(answered.status, 202, "{answered:?}");
        let done = events.until(|m| m["id"] == 900).await;
        assert_eq!(done["result"]["isError"], false, "{done}");
        assert_eq!(
            org.sandbox.faults().count("DELETE", &delete_path),
            1,
            "deleted exactly once"
        );
        let forwarded = [
            cluster.log_count(0, "forwarded an answer to the replica that asked"),
            cluster.log_count(1, "forwarded an answer to the replica that asked"),
        ];
        let taken = [
            cluster.log_count(0, "took an answer another replica forwarded"),
            cluster.log_count(1, "took an answer another replica forwarded"),
        ];
        assert!(
            forwarded == [1, 0] && taken == [0, 1] || forwarded == [0, 1] && taken == [1, 0],
            "answered on one replica, taken by the other: forwarded {forwarded:?}, taken {taken:?}\n{}",
            cluster.stderr()
        );
    });
}
