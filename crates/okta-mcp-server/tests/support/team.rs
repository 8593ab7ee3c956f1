//! Team mode test support: the real binary serving `--transport http --auth oauth` against a
//! sandbox org, and an OAuth client that signs a seeded person in through the sandbox's
//! sign-in approval endpoint, exactly as a browser would follow the redirects.

use super::{BIN, TestOrg};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::Digest;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A fixed state key for tests (32 bytes, base64); the secret scan looks for it.
pub const STATE_KEY: &str = "dGVzdC1zdGF0ZS1rZXktMzItYnl0ZXMtbG9uZy4uLi4=";
/// The key a rotation moves to.
pub const NEXT_STATE_KEY: &str = "bmV4dC1zdGF0ZS1rZXktMzItYnl0ZXMtbG9uZy4uLi4=";

/// `env` with `name` set to `value` (replaced or added).
pub fn with_env(env: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = env.iter().filter(|(k, _)| k != name).cloned().collect();
    env.push((name.to_owned(), value.to_owned()));
    env
}

/// The environment of a team server whose web app authenticates with private_key_jwt.
pub fn team_env_private_key(org: &TestOrg, state_dir: &std::path::Path) -> Vec<(String, String)> {
    let web = org.sandbox.web_jwt_client();
    let mut env: Vec<(String, String)> = team_env(org, state_dir)
        .into_iter()
        .filter(|(k, _)| k != "OKTA_CLIENT_SECRET" && k != "OKTA_CLIENT_ID")
        .collect();
    env.push(("OKTA_CLIENT_ID".into(), web.client_id.clone()));
    env.push(("OKTA_KEY_ID".into(), web.key_id.clone().expect("kid")));
    env.push((
        "OKTA_PRIVATE_KEY_FILE".into(),
        web.private_key_file
            .clone()
            .expect("key file")
            .display()
            .to_string(),
    ));
    env
}

/// The team server binary, its stderr captured at TRACE in a file.
pub struct TeamServer {
    child: Child,
    pub port: u16,
    pub base: String,
    pub stderr_path: PathBuf,
    pub env: Vec<(String, String)>,
}

/// A free loopback port (bound and released; the server binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The environment of a team server against `org` using the sandbox's web app.
pub fn team_env(org: &TestOrg, state_dir: &std::path::Path) -> Vec<(String, String)> {
    let web = org.sandbox.web_client();
    vec![
        ("OKTA_ORG_URL".into(), org.sandbox.url()),
        ("OKTA_CLIENT_ID".into(), web.client_id.clone()),
        (
            "OKTA_CLIENT_SECRET".into(),
            web.client_secret
                .clone()
                .expect("the web client has a secret"),
        ),
        ("OKTA_SCOPES".into(), super::ALL_SCOPES.join(" ")),
        ("OKTA_MCP_STATE_KEY".into(), STATE_KEY.into()),
        (
            "OKTA_MCP_STATE_PATH".into(),
            state_dir.join("state.sqlite3").display().to_string(),
        ),
        ("OKTA_MCP_CONFIRM".into(), "never".into()),
        (
            "OKTA_MCP_AUDIT_LOG".into(),
            state_dir.join("audit.jsonl").display().to_string(),
        ),
        ("OKTA_LOG_LEVEL".into(), "trace".into()),
    ]
}

impl TeamServer {
    /// Starts the server on `port` and registers its callback at the sandbox's web app.
    pub fn start(org: &TestOrg, env: &[(String, String)], port: u16, log_name: &str) -> Self {
        let base = format!("http://127.0.0.1:{port}");
        let client_id = env
            .iter()
            .find(|(k, _)| k == "OKTA_CLIENT_ID")
            .map(|(_, v)| v.clone())
            .expect("OKTA_CLIENT_ID");
        org.sandbox
            .oauth()
            .add_redirect_uri(&client_id, &format!("{base}/oauth/callback"));
        let stderr_path = std::env::temp_dir().join(format!(
            "okta-team-{log_name}-{}-{port}.log",
            std::process::id()
        ));
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let mut cmd = Command::new(BIN);
        cmd.args([
            "serve",
            "--transport",
            "http",
            "--auth",
            "oauth",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
        for (k, _) in std::env::vars() {
            if k.starts_with("OKTA_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn the team server");
        let server = Self {
            child,
            port,
            base,
            stderr_path,
            env: env.to_vec(),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the team server did not start:\n{}", self.stderr());
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TeamServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where a test client reaches a team server: one replica, or the load balancer in front of
/// several ([`super::cluster`]).
pub trait Endpoint {
    /// `http://127.0.0.1:PORT`, the issuer clients see.
    fn base(&self) -> String;
    fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base())
    }
    /// The server's log (every replica's, for a cluster), for failure messages.
    fn stderr(&self) -> String;
}

impl Endpoint for TeamServer {
    fn base(&self) -> String {
        self.base.clone()
    }
    fn stderr(&self) -> String {
        TeamServer::stderr(self)
    }
}

/// The audit journal's records (one JSON object a line).
pub fn journal(state_dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(state_dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole JSON line"))
        .collect()
}

/// An HTTP client that never follows redirects (the test follows them by hand).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// What one sign-in produced, and the secrets the log scan must not find.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub client_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub scope: String,
    /// Every secret seen on the way: our code, Okta's code, PKCE verifier, upstream state.
    pub secrets: Vec<String>,
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Registers a client (RFC 7591) and returns its client_id.
pub async fn register(server: &impl Endpoint, name: &str, redirect_uri: &str) -> String {
    let response = http()
        .post(format!("{}/register", server.base()))
        .json(&json!({"client_name": name, "redirect_uris": [redirect_uri]}))
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), 201, "registration");
    let body: Value = response.json().await.expect("registration JSON");
    body["client_id"].as_str().expect("client_id").to_owned()
}

/// Authorization code + PKCE through the server and the sandbox's sign-in, then /token.
pub async fn sign_in(
    org: &TestOrg,
    server: &impl Endpoint,
    client_id: &str,
    redirect_uri: &str,
    login: &str,
    scope: Option<&str>,
) -> SignedIn {
    let issued = authorization_code(org, server, client_id, redirect_uri, login, scope).await;
    let tokens = redeem(server, client_id, redirect_uri, &issued).await;
    let Issued {
        code,
        verifier,
        upstream: [okta_code, upstream_state],
    } = issued;
    SignedIn {
        client_id: client_id.to_owned(),
        access_token: tokens["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("an access token: {tokens}"))
            .to_owned(),
        refresh_token: tokens["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
        scope: tokens["scope"].as_str().unwrap_or_default().to_owned(),
        secrets: vec![code, okta_code, verifier, upstream_state],
    }
}

/// The server's authorization code for a client, not yet redeemed, with its PKCE verifier.
pub struct Issued {
    pub code: String,
    pub verifier: String,
    /// Okta's code and the upstream state (secrets the log scan looks for).
    pub upstream: [String; 2],
}

/// The sign-in up to the code the server gives the client (the person approved at Okta).
pub async fn authorization_code(
    org: &TestOrg,
    server: &impl Endpoint,
    client_id: &str,
    redirect_uri: &str,
    login: &str,
    scope: Option<&str>,
) -> Issued {
    let http = http();
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let mut authorize = url::Url::parse(&format!("{}/authorize", server.base())).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "client-state-1")
        .append_pair("resource", &server.mcp_url());
    if let Some(scope) = scope {
        authorize.query_pairs_mut().append_pair("scope", scope);
    }
    let response = http.get(authorize).send().await.expect("authorize");
    assert_eq!(response.status(), 302, "authorize redirects to Okta");
    let to_okta = location(&response);
    assert!(
        to_okta.starts_with(&org.sandbox.url()),
        "authorize sends the person to the org: {to_okta}"
    );
    let upstream_state = query_param(&to_okta, "state").expect("upstream state");
    let approved: Value = http
        .post(format!(
            "{}{}",
            org.sandbox.url(),
            okta_sandbox::oauth::SIGN_IN_APPROVE_PATH
        ))
        .json(&json!({
            "authorize_url": to_okta,
            "username": login,
            "password": okta_sandbox::oauth::SANDBOX_PASSWORD,
        }))
        .send()
        .await
        .expect("approve")
        .json()
        .await
        .expect("approve JSON");
    let callback = approved["redirect_to"]
        .as_str()
        .unwrap_or_else(|| panic!("the sandbox approved the sign-in: {approved}"))
        .to_owned();
    let okta_code = query_param(&callback, "code").expect("Okta's code");
    let response = http.get(&callback).send().await.expect("callback");
    assert_eq!(
        response.status(),
        302,
        "the callback redirects to the client"
    );
    let back = location(&response);
    assert!(back.starts_with(redirect_uri), "back to the client: {back}");
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some("client-state-1")
    );
    let code = query_param(&back, "code")
        .unwrap_or_else(|| panic!("a code for the client: {back}\n{}", server.stderr()));
    Issued {
        code,
        verifier,
        upstream: [okta_code, upstream_state],
    }
}

/// Redeems `issued` at the server's /token: the answer's JSON.
pub async fn redeem(
    server: &impl Endpoint,
    client_id: &str,
    redirect_uri: &str,
    issued: &Issued,
) -> Value {
    redeem_with_status(server, client_id, redirect_uri, issued)
        .await
        .1
}

/// Redeems `issued` at the server's /token: the status and the answer's JSON.
pub async fn redeem_with_status(
    server: &impl Endpoint,
    client_id: &str,
    redirect_uri: &str,
    issued: &Issued,
) -> (u16, Value) {
    let response = http()
        .post(format!("{}/token", server.base()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", issued.code.as_str()),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
            ("code_verifier", issued.verifier.as_str()),
            ("resource", server.mcp_url().as_str()),
        ])
        .send()
        .await
        .expect("token");
    let status = response.status().as_u16();
    (status, response.json().await.expect("token JSON"))
}

/// A refresh token grant at the server's /token; the answer's status and body.
pub async fn refresh(server: &impl Endpoint, client_id: &str, refresh_token: &str) -> (u16, Value) {
    let response = http()
        .post(format!("{}/token", server.base()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ])
        .send()
        .await
        .expect("refresh");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A Streamable HTTP MCP session with a bearer token.
pub struct McpHttp {
    url: String,
    token: Option<String>,
    session: Option<String>,
    next_id: u64,
}

/// One HTTP exchange: status, WWW-Authenticate, and the JSON-RPC answer when there is one.
#[derive(Debug)]
pub struct Exchange {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub body: Value,
}

impl McpHttp {
    pub fn new(server: &impl Endpoint, token: Option<&str>) -> Self {
        Self {
            url: server.mcp_url(),
            token: token.map(str::to_owned),
            session: None,
            next_id: 1,
        }
    }

    /// The MCP session id the server gave this client, once initialized.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Sends the next requests with `session` as their MCP session id.
    pub fn join_session(&mut self, session: &str) {
        self.session = Some(session.to_owned());
    }

    pub async fn post(&mut self, message: &Value) -> Exchange {
        let mut request = http()
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2025-11-25")
            .body(message.to_string());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        let response = request.send().await.expect("MCP POST");
        let status = response.status().as_u16();
        let www_authenticate = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(session) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            self.session = Some(session.to_owned());
        }
        let text = response.text().await.unwrap_or_default();
        let id = message.get("id").cloned();
        let body = serde_json::from_str::<Value>(&text).unwrap_or_else(|_| {
            // An SSE stream: the data line that answers this request.
            text.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
                .find(|v| id.is_some() && v.get("id") == id.as_ref())
                .unwrap_or(Value::Null)
        });
        // A tool result is checked against the tool's outputSchema.
        if let (Some((_, tool)), Some(result)) = (
            super::output_schemas::calls_in(message).first(),
            body.get("result"),
        ) {
            super::output_schemas::check(tool, result);
        }
        Exchange {
            status,
            www_authenticate,
            body,
        }
    }

    pub async fn request(&mut self, method: &str, params: Value) -> Exchange {
        let id = self.next_id;
        self.next_id += 1;
        self.post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await
    }

    /// initialize + notifications/initialized; panics unless both succeed.
    pub async fn initialize(&mut self) {
        let answer = self
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "team-test", "version": "1"}}),
            )
            .await;
        assert_eq!(answer.status, 200, "initialize: {answer:?}");
        self.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }

    pub async fn tool_names(&mut self) -> Vec<String> {
        let answer = self.request("tools/list", json!({})).await;
        assert_eq!(answer.status, 200, "tools/list: {answer:?}");
        answer.body["result"]["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("tools/list result: {answer:?}"))
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn call(&mut self, tool: &str, args: Value) -> Exchange {
        self.request("tools/call", json!({"name": tool, "arguments": args}))
            .await
    }
}

/// Every secret a team-server test knows of (both state keys, the client secret, each person's
/// tokens, codes, verifiers and states), named by kind, for [`assert_no_secrets`].
pub fn secrets_of(server: &TeamServer, people: &[&SignedIn]) -> Vec<(&'static str, String)> {
    let mut secrets = vec![
        ("state key", STATE_KEY.to_owned()),
        ("state key", NEXT_STATE_KEY.to_owned()),
    ];
    for (k, v) in &server.env {
        if k == "OKTA_CLIENT_SECRET" {
            secrets.push(("client secret", v.clone()));
        }
    }
    for person in people {
        secrets.push(("access token", person.access_token.clone()));
        secrets.push(("refresh token", person.refresh_token.clone()));
        for s in &person.secrets {
            secrets.push(("code, verifier or state", s.clone()));
        }
    }
    secrets
}

/// Panics if any of `secrets` occurs in `text` (a log); names which kind leaked, not the value.
pub fn assert_no_secrets(text: &str, secrets: &[(&str, String)]) {
    for (kind, secret) in secrets {
        assert!(secret.len() >= 8, "secret {kind} is too short to scan for");
        assert!(
            !text.contains(secret.as_str()),
            "a {kind} appears in the server's log"
        );
    }
}

/// The protocol revision whose confirmations are an `InputRequiredResult` round trip.
pub const STATELESS_PROTOCOL: &str = "2026-07-28";

/// A `tools/call` of the stateless protocol revision (no MCP session; the client's
/// capabilities travel with the request), as a client of 2026-07-28 sends it, to one server
/// or through a load balancer. Returns the HTTP status and the JSON-RPC response (id 7).
pub async fn stateless_call(endpoint: &impl Endpoint, token: &str, params: Value) -> (u16, Value) {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": STATELESS_PROTOCOL,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}},
        "io.modelcontextprotocol/clientInfo": {"name": "team-test", "version": "1"},
    });
    let response = http()
        .post(endpoint.mcp_url())
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", STATELESS_PROTOCOL)
        .header("mcp-method", "tools/call")
        .header("mcp-name", params["name"].as_str().unwrap_or_default())
        .body(
            json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params})
                .to_string(),
        )
        .send()
        .await
        .expect("tools/call");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str::<Value>(&text).unwrap_or_else(|_| {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|v| v.get("id") == Some(&json!(7)))
            .unwrap_or(Value::Null)
    });
    if let (Some(tool), Some(result)) = (params["name"].as_str(), body.get("result")) {
        super::output_schemas::check(tool, result);
    }
    (status, body)
}
