//! The Streamable HTTP front against the real binary on a loopback port and the sandbox org:
//! Origin and Host allow-lists, body limit, session ceiling, per-caller concurrency,
//! /healthz, graceful shutdown, and the refusal to bind beyond loopback without sign-in.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::TestOrg;
use support::http::{HttpClient, HttpServer, free_port, rss_kib};

fn env(org: &TestOrg, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = org.service_env();
    env.push(("OKTA_MCP_AUDIT_LOG".into(), "off".into()));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// An org whose every answer takes `latency`, without rate limits: calls that stay in
/// flight long enough to be overlapped, signalled or timed out.
fn slow_org(latency: Duration) -> TestOrg {
    let mut config = okta_sandbox::SandboxConfig::default();
    config.faults.rate_limits = okta_sandbox::faults::RateLimits::unenforced();
    config.faults.latency = latency;
    TestOrg::with_config(config)
}

/// A tools/call answered 200 with a result that is not an error.
fn assert_succeeded(response: &support::http::RawResponse, what: &str) {
    assert_eq!(response.status, 200, "{what}: {response:?}");
    let result = response
        .messages()
        .into_iter()
        .find_map(|m| m.get("result").cloned())
        .unwrap_or_else(|| panic!("{what} got no result: {response:?}"));
    assert_ne!(result["isError"], json!(true), "{what}: {result}");
}

fn group_named(org: &TestOrg, name: &str) -> Option<Value> {
    org.sandbox
        .org()
        .groups()
        .into_iter()
        .find(|g| g["profile"]["name"] == name)
}

fn create_group_args(name: &str) -> Value {
    json!({"profile": {"name": name, "description": "made over HTTP"}})
}

fn error_message(response: &support::http::RawResponse) -> String {
    let body: Value = serde_json::from_str(&response.body)
        .unwrap_or_else(|_| panic!("refusal is JSON: {response:?}"));
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn foreign_and_null_origins_are_refused_before_anything_happens() {
    let org = TestOrg::start();
    let server = HttpServer::start(&env(
        &org,
        &[("OKTA_MCP_ALLOWED_ORIGINS", "https://app.example.com")],
    ));
    let mut client = HttpClient::new(&server);

    // A browser page elsewhere cannot even start a session.
    let refused = client.initialize_with(&[("origin", "http://evil.example")]);
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(
        error_message(&refused).contains("OKTA_MCP_ALLOWED_ORIGINS"),
        "{refused:?}"
    );
    assert!(client.session.is_none());

    // Nor ride an existing session to create something.
    client.initialize();
    for origin in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:1",
        "https://app.example.com.evil.example",
    ] {
        let name = format!("via-origin-{}", origin.len());
        let response = client.call_raw(
            "create_group",
            create_group_args(&name),
            &[("origin", origin)],
        );
        assert_eq!(response.status, 403, "{origin}: {response:?}");
        assert!(
            group_named(&org, &name).is_none(),
            "{origin}: a group was created"
        );
    }

    // The allowed origin, the server's own origin, and no Origin (non-browser clients) work.
    let own = server.base();
    for (i, origin) in [Some("https://app.example.com"), Some(own.as_str()), None]
        .into_iter()
        .enumerate()
    {
        let name = format!("allowed-origin-{i}");
        let headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
        let response = client.call_raw("create_group", create_group_args(&name), &headers);
        assert_eq!(response.status, 200, "{origin:?}: {response:?}");
        assert!(
            group_named(&org, &name).is_some(),
            "{origin:?}: {response:?}"
        );
    }
}

#[test]
fn foreign_hosts_are_misdirected_and_the_public_host_is_served() {
    let org = TestOrg::start();
    let server = HttpServer::start(&env(
        &org,
        &[("OKTA_MCP_PUBLIC_URL", "https://mcp.example.com")],
    ));
    let port = server.port.to_string();

    let mut rebinding = HttpClient::new(&server);
    let refused = rebinding.initialize_with(&[("host", &format!("evil.example:{port}"))]);
    assert_eq!(refused.status, 421, "{refused:?}");
    assert!(
        error_message(&refused).contains("OKTA_MCP_PUBLIC_URL"),
        "{refused:?}"
    );
    // A loopback name on another port is not this server either.
    let refused = rebinding.initialize_with(&[("host", "127.0.0.1:1")]);
    assert_eq!(refused.status, 421, "{refused:?}");

    // Behind a TLS proxy that keeps the public Host, a client reaches the tools.
    let mut proxied = HttpClient::new(&server);
    let headers = [
        ("host", "mcp.example.com"),
        ("origin", "https://mcp.example.com"),
    ];
    let response = proxied.initialize_with(&headers);
    assert_eq!(response.status, 200, "{response:?}");
    let result = proxied.call_raw("list_groups", json!({"limit": 1}), &headers);
    assert_eq!(result.status, 200, "{result:?}");

    // Liveness answers whatever the Host (orchestrators probe by IP).
    let health = proxied
        .try_get("/healthz", &[("host", "10.1.2.3:8765")])
        .unwrap();
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&health.body).unwrap()["status"],
        "ok"
    );
}

#[test]
fn a_20_mb_body_gets_413_declared_or_streamed() {
    let org = TestOrg::start();
    let server = HttpServer::start(&env(&org, &[]));
    let mut client = HttpClient::new(&server);
    client.initialize();
    let padding = "x".repeat(20 * 1024 * 1024);
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{{"name":"create_group","arguments":{{"profile":{{"name":"huge","description":"{padding}"}}}}}}}}"#
    );
    // Declared in Content-Length: refused before the body is read.
    let response = client.post(huge.clone(), &[]);
    assert_eq!(response.status, 413, "{}", response.status);
    assert!(
        error_message(&response).contains("OKTA_MCP_MAX_BODY_BYTES"),
        "{response:?}"
    );
    // Chunked, without a Content-Length: cut off while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = huge
        .into_bytes()
        .chunks(1 << 20)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let response = client.post(
        reqwest::Body::wrap_stream(futures::stream::iter(chunks)),
        &[],
    );
    assert_eq!(response.status, 413, "{response:?}");
    assert!(group_named(&org, "huge").is_none());
    // And the server still serves.
    assert_eq!(
        client
            .call_raw("list_groups", json!({"limit": 1}), &[])
            .status,
        200
    );
}

#[test]
fn sessions_are_capped_and_idle_ones_expire_so_memory_stays_bounded() {
    let org = TestOrg::start();
    let server = HttpServer::start(&env(
        &org,
        &[
            ("OKTA_MCP_MAX_SESSIONS", "100"),
            ("OKTA_MCP_SESSION_IDLE_TIMEOUT", "3s"),
        ],
    ));
    let client = HttpClient::new(&server);
    let init = HttpClient::initialize_request().to_string();
    // Warm up (first session, allocator arenas), then measure.
    assert_eq!(client.post(init.clone(), &[]).status, 200);
    let before = rss_kib(server.pid());
    let (mut created, mut refused) = (0, 0);
    let started = Instant::now();
    for _ in 0..2_000 {
        let response = client.post(init.clone(), &[]);
        match response.status {
            200 => created += 1,
            503 => {
                refused += 1;
                if refused == 1 {
                    assert!(
                        error_message(&response).contains("OKTA_MCP_MAX_SESSIONS"),
                        "{response:?}"
                    );
                    assert!(response.header("retry-after").is_some(), "{response:?}");
                }
            }
            other => panic!("unexpected {other}: {response:?}"),
        }
    }
    let after = rss_kib(server.pid());
    eprintln!(
        "2000 initialize calls in {:?}: {created} sessions, {refused} refused; RSS {before:?} -> {after:?} KiB",
        started.elapsed()
    );
    assert_eq!(
        created, 99,
        "the warm-up session counts toward the ceiling of 100"
    );
    assert_eq!(refused, 2_000 - 99);
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after < before + 30 * 1024,
            "RSS grew from {before} to {after} KiB"
        );
    }
    // Idle sessions close, and new ones are accepted again.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        client.post(init, &[]).status,
        200,
        "{}",
        server.process.stderr()
    );
}

#[test]
fn concurrent_requests_past_the_limit_get_429_with_retry_after() {
    let org = slow_org(Duration::from_millis(1500));
    let server = HttpServer::start(&env(&org, &[("OKTA_MCP_MAX_CONCURRENT_CALLS", "2")]));
    // Sessions first, one after another; then the slow calls all at once.
    let clients: Vec<HttpClient> = (0..5)
        .map(|_| {
            let mut client = HttpClient::new(&server);
            client.initialize();
            client
        })
        .collect();
    let threads: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            std::thread::spawn(move || client.call_raw("list_groups", json!({"limit": 1}), &[]))
        })
        .collect();
    let responses: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let ok = responses.iter().filter(|r| r.status == 200).count();
    let limited: Vec<_> = responses.iter().filter(|r| r.status == 429).collect();
    assert!(ok >= 2, "{responses:?}");
    assert!(!limited.is_empty(), "{responses:?}");
    assert_eq!(ok + limited.len(), 5, "{responses:?}");
    assert_eq!(limited[0].header("retry-after"), Some("1"));
    assert!(error_message(limited[0]).contains("OKTA_MCP_MAX_CONCURRENT_CALLS"));
}

#[test]
fn sigterm_lets_the_call_in_flight_finish_then_exits() {
    stop_while_a_call_is_in_flight("-TERM", InFlight::Write);
}

/// The same with a call that only reads, which runs on its request's task rather than
/// through rmcp's session relay (server::http::direct).
#[test]
fn ctrl_c_lets_the_call_in_flight_finish_then_exits() {
    stop_while_a_call_is_in_flight("-INT", InFlight::Read);
}

/// The call in flight when the server is asked to stop.
enum InFlight {
    Write,
    Read,
}

fn stop_while_a_call_is_in_flight(signal: &str, call: InFlight) {
    let org = slow_org(Duration::from_millis(2500));
    let mut server = HttpServer::start(&env(&org, &[]));
    let mut client = HttpClient::new(&server);
    client.initialize();
    let (name, arguments) = match call {
        InFlight::Write => ("create_group", create_group_args("made-during-shutdown")),
        InFlight::Read => (
            "get_user",
            json!({"user_id": org.sandbox.org().users()[0]["id"]}),
        ),
    };
    let in_flight = client.post_in_background(
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": name, "arguments": arguments}})
        .to_string(),
    );
    std::thread::sleep(Duration::from_millis(800));
    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args([signal, &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // New work is refused while the call finishes.
    std::thread::sleep(Duration::from_millis(300));
    let late = HttpClient::new(&server).try_post(HttpClient::initialize_request().to_string(), &[]);
    assert!(
        late.is_err() || late.as_ref().unwrap().status == 503,
        "{late:?}"
    );

    let response = in_flight.join().unwrap();
    assert_succeeded(&response, "the in-flight call");
    if let InFlight::Write = call {
        assert!(group_named(&org, "made-during-shutdown").is_some());
    }
    let exit = server
        .process
        .wait_exit(Duration::from_secs(15))
        .unwrap_or_else(|| {
            panic!(
                "server did not exit after SIGTERM: {}",
                server.process.stderr()
            )
        });
    assert!(exit.success(), "{exit:?}: {}", server.process.stderr());
    eprintln!("exited {:?} after kill {signal}", signalled.elapsed());
}

#[test]
fn binding_beyond_loopback_without_sign_in_refuses_to_start() {
    let org = TestOrg::start();
    let port = free_port();
    for bind in [format!("0.0.0.0:{port}"), format!("mcp.example.com:{port}")] {
        let out = support::run(
            &env(&org, &[]),
            &["serve", "--transport", "http", "--bind", &bind],
        );
        assert!(!out.status.success(), "{bind} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let refusal: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("--auth oauth"))
            .collect();
        assert_eq!(refusal.len(), 1, "{bind}: {stderr}");
        assert!(refusal[0].contains(&bind), "{stderr}");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}

#[test]
fn a_tool_call_past_the_request_timeout_is_stopped_and_says_so() {
    let org = slow_org(Duration::from_millis(2500));
    let journal = tempfile::tempdir().unwrap();
    let journal_path = journal.path().join("audit.jsonl");
    let mut env = env(&org, &[("OKTA_MCP_REQUEST_TIMEOUT", "1s")]);
    env.retain(|(k, _)| k != "OKTA_MCP_AUDIT_LOG");
    env.push((
        "OKTA_MCP_AUDIT_LOG".into(),
        journal_path.display().to_string(),
    ));
    let server = HttpServer::start(&env);
    let mut client = HttpClient::new(&server);
    client.initialize();
    let started = Instant::now();
    let result = client.call("create_group", create_group_args("too-slow"));
    let took = started.elapsed();
    assert_eq!(result["isError"], json!(true), "{result}");
    assert_eq!(result["structuredContent"]["error"], "timeout", "{result}");
    let message = result["structuredContent"]["message"].as_str().unwrap();
    assert!(
        message.contains("OKTA_MCP_REQUEST_TIMEOUT") && message.contains("check"),
        "{message}"
    );
    assert!(
        took < Duration::from_millis(2400),
        "answered after {took:?}"
    );
    let record: Value = serde_json::from_str(
        std::fs::read_to_string(&journal_path)
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record["outcome"], "error");
    assert_eq!(record["error_code"], "timeout");
}

/// How long a raw socket waits to see the server close it, in the idle-connection test.
const CLOSE_SEEN_WITHIN: Duration = Duration::from_secs(5);

/// Reads until the server closes the socket (Ok(bytes read before)), or gives up after
/// CLOSE_SEEN_WITHIN (Err).
fn read_until_closed(socket: &mut std::net::TcpStream) -> Result<Vec<u8>, String> {
    use std::io::Read;
    socket.set_read_timeout(Some(CLOSE_SEEN_WITHIN)).unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match socket.read(&mut buffer) {
            Ok(0) => return Ok(seen),
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(seen),
            Err(e) => {
                return Err(format!(
                    "still open after {CLOSE_SEEN_WITHIN:?} ({e}); read so far: {:?}",
                    String::from_utf8_lossy(&seen)
                ));
            }
        }
    }
}

/// A connection that sends nothing, one that stops half-way through its headers, and a
/// keep-alive connection left idle after its answer are all closed by the server after
/// OKTA_MCP_CONNECTION_IDLE_TIMEOUT, so they cannot pile up and hold memory. A tool call
/// that runs longer than that timeout is not cut: the clock runs only while the server waits
/// for a request.
#[test]
fn silent_half_sent_and_idle_connections_are_closed_but_a_long_call_is_not() {
    use std::io::Write;
    let org = slow_org(Duration::from_millis(2000));
    let server = HttpServer::start(&env(&org, &[("OKTA_MCP_CONNECTION_IDLE_TIMEOUT", "1s")]));
    let address = format!("127.0.0.1:{}", server.port);
    let connect = || std::net::TcpStream::connect(&address).unwrap();

    let started = Instant::now();
    let mut silent: Vec<_> = (0..20).map(|_| connect()).collect();
    let mut half_sent = connect();
    half_sent
        .write_all(format!("POST /mcp HTTP/1.1\r\nHost: {address}\r\nContent-Ty").as_bytes())
        .unwrap();
    let mut kept_alive = connect();
    kept_alive
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
        .unwrap();
    // The long call runs meanwhile on its own connection.
    let base = server.base();
    let long_call = std::thread::spawn(move || {
        let mut client = HttpClient::at(&base);
        client.initialize();
        let started = Instant::now();
        let answer = client.call_raw("list_groups", json!({"limit": 1}), &[]);
        (answer, started.elapsed())
    });

    for (i, socket) in silent.iter_mut().enumerate() {
        let seen = read_until_closed(socket).unwrap_or_else(|e| panic!("silent {i}: {e}"));
        assert!(seen.is_empty(), "silent {i} got {seen:?}");
    }
    read_until_closed(&mut half_sent).unwrap_or_else(|e| panic!("half-sent headers: {e}"));
    let answered = read_until_closed(&mut kept_alive)
        .unwrap_or_else(|e| panic!("idle keep-alive connection: {e}"));
    let answered = String::from_utf8_lossy(&answered);
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    let closed_after = started.elapsed();
    assert!(
        closed_after >= Duration::from_millis(900),
        "closed after {closed_after:?}, before the 1 s idle timeout"
    );

    let (answer, took) = long_call.join().unwrap();
    assert!(took > Duration::from_millis(1500), "the call took {took:?}");
    assert_succeeded(&answer, "the long call");
    // The server still serves new connections.
    assert_eq!(
        HttpClient::new(&server)
            .try_get("/healthz", &[])
            .unwrap()
            .status,
        200
    );
}

/// A call whose answer is ready at once comes back as one JSON body; a call that sends
/// progress first keeps its event stream, progress then answer.
#[test]
fn a_quick_answer_is_one_json_body_and_a_call_with_progress_streams() {
    let org = TestOrg::start();
    let server = HttpServer::start(&env(&org, &[]));
    let mut client = HttpClient::new(&server);
    client.initialize();
    let user_id = org.sandbox.org().users()[0]["id"]
        .as_str()
        .expect("a user id")
        .to_owned();

    let quick = client.call_raw("get_user", json!({"user_id": user_id}), &[]);
    assert_eq!(quick.status, 200, "{quick:?}");
    assert_eq!(
        quick.header("content-type"),
        Some("application/json"),
        "{quick:?}"
    );
    let answer: Value = serde_json::from_str(&quick.body).expect("the body is one JSON value");
    assert_eq!(
        answer["result"]["structuredContent"]["id"],
        user_id.as_str()
    );
    assert_eq!(
        quick.header("content-length"),
        Some(quick.body.len().to_string().as_str()),
        "{quick:?}"
    );

    let streamed = client.post(
        json!({"jsonrpc": "2.0", "id": 77, "method": "tools/call", "params": {
            "name": "get_logs",
            "arguments": {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z",
                          "fetch_all": true, "limit": 500, "fields": "uuid"},
            "_meta": {"progressToken": "p-http"}}})
        .to_string(),
        &[],
    );
    assert_eq!(streamed.status, 200, "{streamed:?}");
    assert!(
        streamed
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream")),
        "{:?}",
        streamed.headers
    );
    let messages = streamed.messages();
    let progress = messages
        .iter()
        .take_while(|m| m["method"] == "notifications/progress")
        .count();
    assert!(progress >= 2, "progress first: {messages:?}");
    assert_eq!(messages.len(), progress + 1, "then only the answer");
    assert_eq!(messages[progress]["id"], 77);
    assert!(
        messages[progress]["result"]["structuredContent"]["total_fetched"]
            .as_u64()
            .is_some_and(|n| n > 500),
        "{}",
        messages[progress]
    );
}

/// A session whose fetch_all of the System Log (about 40 s against a 150 ms org) is under way,
/// sent from another thread: the org, the server, the session's client, the call (its raw
/// response when it ends) and how many pages it had fetched.
struct ReadUnderWay {
    org: TestOrg,
    server: HttpServer,
    client: HttpClient,
    in_flight: std::thread::JoinHandle<support::http::RawResponse>,
    before: usize,
}

fn read_under_way(id: u64) -> ReadUnderWay {
    let org = slow_org(Duration::from_millis(150));
    let server = HttpServer::start(&env(&org, &[]));
    let mut client = HttpClient::new(&server);
    client.initialize();
    let in_flight = client.post_in_background(
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
            "name": "get_logs",
            "arguments": {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z",
                          "fetch_all": true, "limit": 20}}})
        .to_string(),
    );
    wait_for_log_pages(&org, 2);
    let before = log_pages(&org);
    ReadUnderWay {
        org,
        server,
        client,
        in_flight,
        before,
    }
}

/// How many System Log pages the org has served.
fn log_pages(org: &TestOrg) -> usize {
    org.sandbox.faults().count("GET", "/api/v1/logs")
}

/// Waits until `org` has served at least `pages` log pages (the call is under way).
fn wait_for_log_pages(org: &TestOrg, pages: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while log_pages(org) < pages {
        assert!(Instant::now() < deadline, "the fetch never got going");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts that `org` serves no more log pages from now on (after one in flight).
fn assert_fetching_stopped(org: &TestOrg, before: usize) {
    std::thread::sleep(Duration::from_millis(500));
    let settled = log_pages(org);
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        log_pages(org),
        settled,
        "no page after the stop took effect"
    );
    assert!(
        settled <= before + 2,
        "stopped within a page: {before} -> {settled}"
    );
}

/// A read-only call is answered on the request's own task rather than through rmcp's session
/// relay (server::http::direct); what rmcp does for a call it runs still holds: the client's
/// notifications/cancelled stops it, and its answer is not sent.
#[test]
fn a_client_cancels_a_read_only_call_and_its_session_goes_on() {
    let mut read = read_under_way(901);
    let cancelled = read.client.post(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
               "params": {"requestId": 901, "reason": "user pressed stop"}})
        .to_string(),
        &[],
    );
    assert_eq!(cancelled.status, 202, "{cancelled:?}");
    assert_fetching_stopped(&read.org, read.before);
    let response = read.in_flight.join().unwrap();
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response.messages().iter().all(|m| m.get("id").is_none()),
        "a cancelled call gets no answer: {response:?}"
    );
    let user_id = read.org.sandbox.org().users()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = read.client.call("get_user", json!({"user_id": user_id}));
    assert_eq!(user["structuredContent"]["id"], user_id.as_str(), "{user}");
}

/// Ending a session (DELETE) stops the read-only calls it has running, as rmcp stops the
/// calls of a session it ends; a new session is served.
#[test]
fn ending_a_session_stops_its_read_only_calls() {
    let mut read = read_under_way(902);
    assert_eq!(read.client.close_session(), 202);
    assert_fetching_stopped(&read.org, read.before);
    let response = read.in_flight.join().unwrap();
    assert!(
        response
            .messages()
            .iter()
            .all(|m| m.get("result").is_none()),
        "{response:?}"
    );
    let gone = read.client.call_raw("list_users", json!({"limit": 1}), &[]);
    assert_eq!(gone.status, 404, "the session is gone: {gone:?}");
    let mut fresh = HttpClient::new(&read.server);
    fresh.initialize();
    let users = fresh.call("list_users", json!({"limit": 1}));
    assert_eq!(
        users["structuredContent"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// A read-only call past OKTA_MCP_REQUEST_TIMEOUT is answered with the timeout (the call
/// cancels its own work, which must not be taken for the client's cancel).
#[test]
fn a_read_only_call_past_the_request_timeout_says_so() {
    let org = slow_org(Duration::from_millis(2500));
    let server = HttpServer::start(&env(&org, &[("OKTA_MCP_REQUEST_TIMEOUT", "1s")]));
    let mut client = HttpClient::new(&server);
    client.initialize();
    let started = Instant::now();
    let result = client.call("list_users", json!({"limit": 1}));
    assert!(
        started.elapsed() < Duration::from_millis(2400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(result["isError"], json!(true), "{result}");
    assert_eq!(result["structuredContent"]["error"], "timeout", "{result}");
}

/// A read-only call still running when the quick-answer wait ends gets its event stream then,
/// and its answer on it when it is done: the call runs as its stream is read, so the
/// response starts (and, past 15 s, its keep-alives flow) however long the call takes.
#[test]
fn a_long_read_only_call_starts_its_event_stream_before_it_ends() {
    use std::io::{Read, Write};
    // Every Management API answer takes 12 s: past the 10 s wait for a quick answer.
    let org = slow_org(Duration::from_secs(12));
    let server = HttpServer::start(&env(&org, &[]));
    let mut client = HttpClient::new(&server);
    client.initialize();
    let user_id = org.sandbox.org().users()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"jsonrpc": "2.0", "id": 903, "method": "tools/call", "params": {
        "name": "get_user", "arguments": {"user_id": user_id}}})
    .to_string();
    let address = format!("127.0.0.1:{}", server.port);
    let mut socket = std::net::TcpStream::connect(&address).unwrap();
    socket
        .write_all(
            format!(
                "POST /mcp HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: {}\r\nMcp-Protocol-Version: 2025-06-18\r\nContent-Length: {}\r\n\r\n{body}",
                client.session.as_deref().unwrap(),
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    let sent = Instant::now();
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 65536];
    let mut headers_after = None;
    while !String::from_utf8_lossy(&seen).contains(&user_id) {
        let n = socket.read(&mut buffer).expect("the answer comes");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buffer[..n]);
        if headers_after.is_none() && seen.windows(4).any(|w| w == b"\r\n\r\n") {
            headers_after = Some(sent.elapsed());
        }
    }
    let answered_after = sent.elapsed();
    let text = String::from_utf8_lossy(&seen);
    let head = text.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    let headers_after = headers_after.unwrap();
    assert!(
        headers_after < answered_after - Duration::from_millis(500),
        "the stream started at {headers_after:?}, with the answer at {answered_after:?}"
    );
    assert!(text.contains("\"id\":903"), "{text}");
}
