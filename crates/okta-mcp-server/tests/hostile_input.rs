//! Hostile input over stdio: lines too large to hold, lines that are JSON but no message,
//! params of the wrong shape, and generated framing and tool arguments. The server must stay
//! alive, answer every id with an error that names the problem, and give memory back.

mod support;

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use support::{Mcp, TestOrg, rss_kib};

/// How far above its resting size the server may grow while refusing hostile input.
const RSS_HEADROOM_KIB: u64 = 64 * 1024;

fn error_of(resp: &Value) -> (i64, String) {
    let error = resp
        .get("error")
        .unwrap_or_else(|| panic!("expected an error: {resp}"));
    (
        error["code"].as_i64().unwrap(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

/// The next response (not a notification), or None if none arrives within `wait`.
fn next_reply(mcp: &mut Mcp, wait: Duration) -> Option<Value> {
    loop {
        let msg = mcp.try_next_message(wait)?;
        if msg.get("method").is_none() {
            return Some(msg);
        }
        mcp.notifications.push(msg);
    }
}

/// The response to `id`, skipping notifications.
fn response_to(mcp: &mut Mcp, id: &Value) -> Value {
    loop {
        let msg = mcp.next_message();
        if msg.get("method").is_none() && (&msg["id"] == id || msg["id"].is_null()) {
            return msg;
        }
        mcp.notifications.push(msg);
    }
}

#[test]
fn a_line_of_hundreds_of_megabytes_is_refused_without_being_held() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    assert!(!mcp.list_tools().is_empty());
    let pid = mcp.pid();
    std::thread::sleep(Duration::from_millis(300));
    let baseline = rss_kib(pid).expect("VmRSS");

    // Sample RSS while the line streams in.
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = rss_kib(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    const TOTAL: usize = 320 * 1024 * 1024;
    mcp.send_bytes(br#"{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id":""#);
    let chunk = vec![b'A'; 1024 * 1024];
    for _ in 0..TOTAL / chunk.len() {
        mcp.send_bytes(&chunk);
    }
    mcp.send_bytes(b"\"}}}\n");

    let resp = response_to(&mut mcp, &json!(41));
    // The session goes on.
    assert!(!mcp.list_tools().is_empty());
    std::thread::sleep(Duration::from_millis(200));
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let after = rss_kib(pid).expect("VmRSS");
    let peak = peak.load(Ordering::Relaxed);
    eprintln!("RSS: baseline {baseline} KiB, peak {peak} KiB, after {after} KiB");
    assert!(
        peak < baseline + RSS_HEADROOM_KIB,
        "RSS rose from {baseline} to {peak} KiB while a {TOTAL}-byte line streamed in"
    );
    assert!(
        after < baseline + RSS_HEADROOM_KIB,
        "RSS stayed at {after} KiB (baseline {baseline} KiB) after the line"
    );
    let (code, message) = error_of(&resp);
    assert_eq!(code, -32700, "{resp}");
    assert!(message.contains("too large"), "{message}");
    assert_eq!(
        resp["id"], 41,
        "the id is read from the line's start: {resp}"
    );
}

/// Lines that are valid JSON syntax but that the SDK cannot decode, each with an id and the
/// words its error must contain.
fn undecodable_lines() -> Vec<(Vec<u8>, i64, &'static str)> {
    let nested_params = format!(
        r#"{{"jsonrpc":"2.0","id":104,"method":"tools/call","params":{{"name":"list_users","arguments":{{"a":{}1{}}}}}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let deep_array = format!(
        r#"{{"jsonrpc":"2.0","id":105,"method":"tools/call","params":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    vec![
        (
            br#"{"jsonrpc":"2.0","id":101,"method":"tools/call","params":{"name":"list_users","arguments":{"limit":1e999999}}}"#.to_vec(),
            -32700,
            "number out of range",
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":102,\"method\":\"tools/call\",\"params\":{\"name\":\"get_user\",\"arguments\":{\"user_id\":\"ab\xff\xfecd\"}}}".to_vec(),
            -32700,
            "UTF-8",
        ),
        (
            br#"{"jsonrpc":"2.0","id":103,"method":"tools/call","params":{"name":"get_user","arguments":{"user_id":"\ud83d"}}}"#.to_vec(),
            -32700,
            "surrogate",
        ),
        (nested_params.into_bytes(), -32700, "recursion limit"),
        (deep_array.into_bytes(), -32700, "recursion limit"),
        (
            br#"{"jsonrpc":"2.0","id":106,"method":"tools/call"}"#.to_vec(),
            -32602,
            "params",
        ),
        (
            br#"{"jsonrpc":"2.0","id":107,"method":"tools/call","params":{"name":"list_users","arguments":"limit=1"}}"#.to_vec(),
            -32602,
            "arguments",
        ),
        (
            br#"{"jsonrpc":"2.0","id":108,"method":"tools/call","params":{"arguments":{}}}"#.to_vec(),
            -32602,
            "name",
        ),
        (
            br#"{"jsonrpc":"2.0","id":109,"method":"tools/call","params":{"name":42}}"#.to_vec(),
            -32602,
            "name",
        ),
        (
            br#"{"jsonrpc":"1.0","id":110,"method":"tools/list"}"#.to_vec(),
            -32600,
            "jsonrpc",
        ),
        (
            br#"{"jsonrpc":"2.0","id":111,"method":["tools/list"]}"#.to_vec(),
            -32600,
            "method",
        ),
        (
            br#"{"jsonrpc":"2.0","id":112,"method":"logging/setLevel","params":{"level":"loud"}}"#.to_vec(),
            -32602,
            "level",
        ),
    ]
}

#[test]
fn every_line_with_a_readable_id_is_answered_naming_the_problem() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    for (line, code, words) in undecodable_lines() {
        let id = json!(
            support_id(&line).unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&line)))
        );
        mcp.send_bytes(&line);
        mcp.send_bytes(b"\n");
        let resp = next_reply(&mut mcp, Duration::from_secs(20)).unwrap_or_else(|| {
            panic!(
                "no answer to {}; stderr:\n{}",
                &String::from_utf8_lossy(&line)[..120.min(line.len())],
                mcp.stderr()
            )
        });
        assert_eq!(resp["id"], id, "answered with its id: {resp}");
        let (got, message) = error_of(&resp);
        assert_eq!(got, code, "{resp}");
        assert!(message.contains(words), "{message:?} should name {words:?}");
    }
    // Still serving.
    let ok = mcp.call_ok("list_users", json!({"limit": 1}));
    assert_eq!(ok["items"].as_array().unwrap().len(), 1);
}

/// The id a test line was written with (from its start, as the server reads it).
fn support_id(line: &[u8]) -> Option<i64> {
    let text = String::from_utf8_lossy(line);
    let at = text.find("\"id\":")? + 5;
    text[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn a_line_without_a_readable_id_is_logged_and_a_notification_is_not_answered() {
    let org = TestOrg::start();
    let mut env = org.service_env();
    env.push(("OKTA_LOG_LEVEL".into(), "warn".into()));
    let mut mcp = Mcp::spawn(&env, &[]);
    mcp.initialize();
    // A notification that cannot be read: nothing to answer, but a warning.
    mcp.send_raw(r#"{"jsonrpc":"1.0","method":"notifications/initialized"}"#);
    // An unreadable line whose id cannot be read: a null-id parse error, and a warning.
    mcp.send_bytes(b"{\"method\":\"tools/list\",\"params\":{\"x\":\"\xff\"},\"id\":{\"n\":7}}\n");
    let resp = next_reply(&mut mcp, Duration::from_secs(20)).expect("an answer");
    assert_eq!(resp["id"], Value::Null, "{resp}");
    assert_eq!(error_of(&resp).0, -32700);
    // The next answer is to the next request: the notification got none.
    assert!(!mcp.list_tools().is_empty());
    for needle in [
        "a notification from the client could not be read",
        "without a readable id",
    ] {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !mcp.stderr().contains(needle) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            mcp.stderr().contains(needle),
            "{needle:?} in\n{}",
            mcp.stderr()
        );
    }
}

#[test]
fn a_batch_and_a_bare_value_are_invalid_requests_and_blank_lines_are_ignored() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    for line in [
        r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#,
        "42",
        r#""tools/list""#,
    ] {
        mcp.send_raw("");
        mcp.send_raw("   \r");
        mcp.send_raw(line);
        let resp = next_reply(&mut mcp, Duration::from_secs(20)).expect("an answer");
        assert_eq!(error_of(&resp).0, -32600, "{line}: {resp}");
    }
    assert!(
        next_reply(&mut mcp, Duration::from_millis(300)).is_none(),
        "blank lines get no answer"
    );
    assert!(!mcp.list_tools().is_empty());
}

#[test]
fn the_server_stays_alive_after_each_hostile_line_and_ends_on_eof() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    for (line, _, _) in undecodable_lines() {
        mcp.send_bytes(&line);
        mcp.send_bytes(b"\n");
    }
    // A last line without a newline is still read at end of input.
    let mut all = Vec::new();
    for _ in undecodable_lines() {
        all.push(next_reply(&mut mcp, Duration::from_secs(20)).expect("an answer"));
    }
    assert!(all.iter().all(|m| m.get("error").is_some()));
    mcp.send_bytes(br#"{"jsonrpc":"2.0","id":"last","method":"tools/list"}"#);
    mcp.close_stdin();
    let resp = next_reply(&mut mcp, Duration::from_secs(20)).expect("an answer");
    assert_eq!(resp["id"], "last", "{resp}");
    let status = mcp
        .wait_exit(Duration::from_secs(10))
        .expect("exits on EOF");
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_overlong_id_or_query_is_refused_as_invalid_not_as_a_network_error() {
    let org = TestOrg::start();
    let mut mcp = Mcp::spawn(&org.service_env(), &[]);
    mcp.initialize();
    let huge = "a".repeat(100 * 1024);
    for (tool, args) in [
        ("get_user", json!({"user_id": huge})),
        ("get_group", json!({"group_id": huge})),
        (
            "list_users",
            json!({"search": format!("profile.login eq \"{huge}\"")}),
        ),
    ] {
        let r = mcp.call(tool, args);
        assert_eq!(r["isError"], true, "{r}");
        let body = &r["structuredContent"];
        let text = body.to_string();
        assert_ne!(body["error"], "network_error", "{tool}: {text}");
        assert!(!text.contains("OKTA_ORG_URL"), "{tool}: {text}");
        assert!(
            body["message"].as_str().unwrap().contains("too long"),
            "{tool}: {text}"
        );
        assert!(
            text.len() < 4096,
            "the error does not echo the value: {}",
            text.len()
        );
    }
    // Nothing was sent for them.
    assert!(mcp.call_ok("list_users", json!({"limit": 1}))["items"].is_array());
}

// ---------------------------------------------------------------------------------------
// Generated cases: one server, many inputs, each followed by a ping that must be answered.

mod generated {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use std::cell::RefCell;
    use std::time::Instant;

    /// Cases per run and the time they may take together (past it, the rest are skipped).
    const CASES: u32 = 128;
    const BUDGET: Duration = Duration::from_secs(90);

    /// Any JSON value, a few levels deep, with strings that include control characters,
    /// quotes, escapes and non-ASCII.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            prop_oneof![
                Just("../users"),
                Just("\r\n\u{1b}[2J"),
                Just("%00"),
                Just("\"}]},"),
                Just("omc-attachment-"),
                Just(""),
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[derive(Debug, Clone)]
    enum Case {
        /// tools/call of a listed tool with these arguments (its own property names, with
        /// any values, and any other keys).
        Tool {
            tool: usize,
            known: Vec<(usize, Value)>,
            extra: Value,
        },
        /// A JSON-RPC request with any method and params.
        Request { method: String, params: Value },
        /// A request line with bytes cut out or flipped.
        Mangled {
            method: String,
            params: Value,
            cuts: Vec<(usize, u8)>,
        },
        /// A notification with any method and params.
        Notification { method: String, params: Value },
    }

    fn method() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("tools/call".to_owned()),
            Just("tools/list".to_owned()),
            Just("ping".to_owned()),
            Just("initialize".to_owned()),
            Just("logging/setLevel".to_owned()),
            Just("completion/complete".to_owned()),
            Just("resources/list".to_owned()),
            Just("notifications/cancelled".to_owned()),
            any::<String>(),
        ]
    }

    fn case() -> impl Strategy<Value = Case> {
        prop_oneof![
            4 => (
                any::<usize>(),
                prop::collection::vec((any::<usize>(), json_value()), 0..4),
                json_value()
            )
                .prop_map(|(tool, known, extra)| Case::Tool { tool, known, extra }),
            2 => (method(), json_value()).prop_map(|(method, params)| Case::Request { method, params }),
            2 => (
                method(),
                json_value(),
                prop::collection::vec((any::<usize>(), any::<u8>()), 1..4)
            )
                .prop_map(|(method, params, cuts)| Case::Mangled { method, params, cuts }),
            1 => (method(), json_value())
                .prop_map(|(method, params)| Case::Notification { method, params }),
        ]
    }

    struct Tool {
        name: String,
        properties: Vec<String>,
    }

    /// Sends `line` with `id` (if any), then a ping; waits for the ping's answer and, when
    /// an id was sent, for that id's answer too, which it returns.
    fn exchange(
        mcp: &mut Mcp,
        line: &[u8],
        id: Option<&Value>,
        ping: u64,
    ) -> Result<Option<Value>, String> {
        mcp.send_bytes(line);
        mcp.send_bytes(b"\n");
        mcp.send(&json!({"jsonrpc": "2.0", "id": ping, "method": "ping"}));
        let (mut got_case, mut got_ping) = (id.is_none(), false);
        let mut answer = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !(got_case && got_ping) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(msg) = mcp.try_next_message(left) else {
                return Err(format!(
                    "no answer (case answered: {got_case}, ping answered: {got_ping})"
                ));
            };
            if msg.get("method").is_some() {
                continue; // a notification or a server request
            }
            if msg["id"] == json!(ping) {
                got_ping = true;
            } else if id.is_some_and(|id| &msg["id"] == id) {
                got_case = true;
                answer = Some(msg);
            }
        }
        Ok(answer)
    }

    #[test]
    fn generated_framing_and_tool_arguments_are_all_answered() {
        let org = TestOrg::start();
        let files = tempfile::tempdir().unwrap();
        let mut env = org.service_env();
        env.push((
            "OKTA_MCP_ALLOWED_KEY_DIRS".into(),
            files.path().display().to_string(),
        ));
        let mut mcp = Mcp::spawn(&env, &[]);
        mcp.initialize();
        let tools: Vec<Tool> = mcp
            .list_tools()
            .iter()
            .map(|t| Tool {
                name: t["name"].as_str().unwrap().to_owned(),
                properties: t["inputSchema"]["properties"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default(),
            })
            .collect();
        let pid = mcp.pid();
        let baseline = rss_kib(pid).unwrap();
        let mcp = RefCell::new(mcp);
        let next_id = RefCell::new(10_000u64);
        let exchanged = RefCell::new(0u32);
        let outcomes = RefCell::new(std::collections::BTreeMap::new());
        let started = Instant::now();
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&case(), |case| {
            if started.elapsed() > BUDGET {
                return Ok(());
            }
            let mut mcp = mcp.borrow_mut();
            let mut ids = next_id.borrow_mut();
            *ids += 2;
            let (id, ping) = (json!(*ids), *ids + 1);
            let (line, expect): (Vec<u8>, Option<&Value>) = match &case {
                Case::Tool { tool, known, extra } => {
                    let tool = &tools[tool % tools.len()];
                    let mut args = match extra {
                        Value::Object(m) => m.clone(),
                        _ => Default::default(),
                    };
                    for (i, v) in known {
                        if !tool.properties.is_empty() {
                            let name = &tool.properties[i % tool.properties.len()];
                            args.insert(name.clone(), v.clone());
                        }
                    }
                    let msg = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                        "params": {"name": tool.name, "arguments": args}});
                    (msg.to_string().into_bytes(), Some(&id))
                }
                Case::Request { method, params } => {
                    let msg =
                        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
                    (msg.to_string().into_bytes(), Some(&id))
                }
                Case::Mangled {
                    method,
                    params,
                    cuts,
                } => {
                    let msg =
                        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
                    let mut bytes = msg.to_string().into_bytes();
                    for (at, byte) in cuts {
                        let at = at % bytes.len();
                        if byte % 2 == 0 {
                            bytes.remove(at);
                        } else {
                            bytes[at] = *byte;
                        }
                    }
                    bytes.retain(|b| *b != b'\n');
                    // The id may be gone or changed: only the ping is owed an answer.
                    (bytes, None)
                }
                Case::Notification { method, params } => {
                    let msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
                    (msg.to_string().into_bytes(), None)
                }
            };
            let answer = exchange(&mut mcp, &line, expect, ping).map_err(|why| {
                TestCaseError::fail(format!(
                    "{why}; line: {}; stderr:\n{}",
                    String::from_utf8_lossy(&line[..line.len().min(300)]),
                    tail(&mcp.stderr())
                ))
            })?;
            *exchanged.borrow_mut() += 1;
            if let Some(answer) = answer {
                let kind = if answer["result"]["isError"] == true {
                    "tool error"
                } else if answer.get("result").is_some() {
                    "result"
                } else {
                    "protocol error"
                };
                *outcomes.borrow_mut().entry(kind).or_insert(0u32) += 1;
            }
            let rss = rss_kib(pid).ok_or_else(|| TestCaseError::fail("the server is gone"))?;
            prop_assert!(
                rss < baseline + RSS_HEADROOM_KIB,
                "RSS {rss} KiB, baseline {baseline} KiB"
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        let mut mcp = mcp.into_inner();
        assert!(!mcp.list_tools().is_empty(), "still serving");
        let exchanged = exchanged.into_inner();
        assert!(exchanged >= CASES.min(16), "only {exchanged} cases ran");
        eprintln!(
            "generated cases: {exchanged} in {:.1}s, answers {:?}, RSS {baseline} -> {} KiB",
            started.elapsed().as_secs_f64(),
            outcomes.borrow(),
            rss_kib(pid).unwrap_or(0)
        );
    }

    fn tail(log: &str) -> String {
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// The parts of a Streamable HTTP answer: a JSON body, or the `data:` of its SSE events.
fn http_messages(body: &str) -> Vec<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return vec![v];
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

#[tokio::test]
async fn over_http_ill_typed_params_are_invalid_params_naming_the_parameter() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(support::BIN)
        .args([
            "serve",
            "--transport",
            "http",
            "--bind",
            "127.0.0.1:0",
            "--demo",
        ])
        .env_remove("OKTA_ORG_URL")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let address = loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "no address logged");
        if line.contains("Streamable HTTP")
            && let Some(at) = line.find("127.0.0.1:")
        {
            break line[at..]
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                .next()
                .unwrap()
                .to_owned();
        }
    };
    std::thread::spawn(move || for _ in err.lines() {});
    let url = format!("http://{address}/mcp");
    let http = reqwest::Client::new();
    let post = |body: Value, session: Option<String>| {
        let mut request = http
            .post(&url)
            .header("Accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(session) = session {
            request = request.header("mcp-session-id", session);
        }
        request.send()
    };
    let init = post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}}),
        None,
    )
    .await
    .unwrap();
    let session = init
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(init.status().is_success(), "{}", init.status());
    post(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        session.clone(),
    )
    .await
    .unwrap();
    for (params, words) in [
        (None, "params"),
        (
            Some(json!({"name": "list_users", "arguments": "limit=1"})),
            "arguments",
        ),
    ] {
        let mut msg = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call"});
        if let Some(params) = params {
            msg["params"] = params;
        }
        let body = post(msg, session.clone())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let answer = http_messages(&body)
            .into_iter()
            .find(|m| m["id"] == 2)
            .unwrap_or_else(|| panic!("no answer in {body}"));
        let (code, message) = error_of(&answer);
        assert_eq!(code, -32602, "{answer}");
        assert!(message.contains(words), "{message}");
    }
    let _ = child.kill();
    let _ = child.wait();
}
