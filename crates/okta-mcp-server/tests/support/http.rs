//! The server binary over Streamable HTTP on a free loopback port, and a small MCP client
//! that speaks it with full control of the HTTP headers (Host, Origin) that the front checks.

use super::Mcp;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// `serve --transport http` on 127.0.0.1 at a free port, started and answering /healthz.
pub struct HttpServer {
    pub process: Mcp,
    pub port: u16,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl HttpServer {
    pub fn start(env: &[(String, String)]) -> Self {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let process = Mcp::spawn(env, &["serve", "--transport", "http", "--bind", &bind]);
        let server = Self { process, port };
        let client = HttpClient::new(&server);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.try_get("/healthz", &[])
                && r.status == 200
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "HTTP server did not start: {}",
                server.process.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The JSON-RPC messages of the body: a JSON body, or the `data:` lines of an SSE stream.
    pub fn messages(&self) -> Vec<Value> {
        if let Ok(v) = serde_json::from_str::<Value>(&self.body) {
            return vec![v];
        }
        self.body
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str(d.trim()).ok())
            .collect()
    }
}

/// One MCP session over HTTP (legacy session mode: `initialize`, then `Mcp-Session-Id`).
pub struct HttpClient {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    pub session: Option<String>,
    next_id: u64,
    /// How many tool results were checked against their tool's outputSchema.
    checked: std::cell::Cell<usize>,
}

impl HttpClient {
    pub fn new(server: &HttpServer) -> Self {
        Self::at(&server.base())
    }

    pub fn at(base: &str) -> Self {
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            base: base.to_owned(),
            session: None,
            next_id: 1,
            checked: Default::default(),
        }
    }

    /// Sends `request` with `headers` added and reads the whole answer.
    fn send(
        &self,
        mut request: reqwest::RequestBuilder,
        headers: &[(&str, &str)],
    ) -> reqwest::Result<RawResponse> {
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.runtime.block_on(async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.text().await?;
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        })
    }

    pub fn try_get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Result<RawResponse> {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request, headers)
    }

    /// POSTs `body` to /mcp with the MCP headers, this session's id, and `headers`.
    pub fn post(&self, body: impl Into<reqwest::Body>, headers: &[(&str, &str)]) -> RawResponse {
        self.try_post(body, headers).expect("POST /mcp")
    }

    pub fn try_post(
        &self,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> reqwest::Result<RawResponse> {
        let body: reqwest::Body = body.into();
        let calls = body
            .as_bytes()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .map(|m| super::output_schemas::calls_in(&m))
            .unwrap_or_default();
        let mut request = self
            .http
            .post(format!("{}/mcp", self.base))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body);
        if let Some(session) = &self.session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-06-18");
        }
        let response = self.send(request, headers)?;
        // Each tool result is checked against the tool's outputSchema.
        for message in response.messages() {
            let id = message.get("id").map(Value::to_string);
            if let (Some((_, tool)), Some(result)) = (
                calls.iter().find(|(call, _)| Some(call) == id.as_ref()),
                message.get("result"),
            ) {
                super::output_schemas::check(tool, result);
                self.checked.set(self.checked.get() + 1);
            }
        }
        Ok(response)
    }

    /// POSTs `body` in this session from another thread, on its own connection; the raw
    /// response when it ends.
    pub fn post_in_background(&self, body: String) -> std::thread::JoinHandle<RawResponse> {
        let base = self.base.clone();
        let session = self.session.clone();
        std::thread::spawn(move || {
            let mut caller = HttpClient::at(&base);
            caller.session = session;
            caller.post(body, &[])
        })
    }

    /// Ends this client's session (DELETE /mcp); the HTTP status.
    pub fn close_session(&self) -> u16 {
        let session = self.session.as_deref().expect("a session to close");
        let request = self
            .http
            .delete(format!("{}/mcp", self.base))
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-06-18");
        self.send(request, &[]).expect("DELETE /mcp").status
    }

    /// How many tool results this client checked against their tool's outputSchema.
    pub fn results_checked(&self) -> usize {
        self.checked.get()
    }

    pub fn initialize_request() -> Value {
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "http-e2e", "version": "1.0"}}})
    }

    /// initialize + notifications/initialized with `headers`; returns the raw initialize response.
    pub fn initialize_with(&mut self, headers: &[(&str, &str)]) -> RawResponse {
        let response = self.post(Self::initialize_request().to_string(), headers);
        if response.status == 200 {
            self.session = response.header("mcp-session-id").map(str::to_owned);
            let done = self.post(
                json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
                headers,
            );
            assert_eq!(done.status, 202, "initialized: {done:?}");
        }
        response
    }

    pub fn initialize(&mut self) {
        let response = self.initialize_with(&[]);
        assert_eq!(response.status, 200, "initialize: {response:?}");
        assert!(self.session.is_some(), "no session id: {response:?}");
    }

    /// tools/call with `headers`; the raw HTTP response.
    pub fn call_raw(&mut self, tool: &str, args: Value, headers: &[(&str, &str)]) -> RawResponse {
        let id = self.next_id;
        self.next_id += 1;
        self.post(
            json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
                .to_string(),
            headers,
        )
    }

    /// tools/call that must get a JSON-RPC result; returns it.
    pub fn call(&mut self, tool: &str, args: Value) -> Value {
        let response = self.call_raw(tool, args, &[]);
        assert_eq!(response.status, 200, "tools/call {tool}: {response:?}");
        response
            .messages()
            .into_iter()
            .find(|m| m.get("result").is_some() || m.get("error").is_some())
            .and_then(|m| m.get("result").cloned())
            .unwrap_or_else(|| panic!("no result for {tool}: {response:?}"))
    }
}

/// Resident memory of a process in KiB (Linux), for bounded-growth checks.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
