//! The team server under load: `serve --transport http --auth oauth` processes, and clients
//! that sign a person in through the server's OAuth endpoints and the sandbox's sign-in (as a
//! browser following the redirects would), then speak MCP over Streamable HTTP.

use crate::process::clear_okta_env;
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};
use sha2::Digest;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The MCP protocol revision the clients speak (sessions with `Mcp-Session-Id`).
const PROTOCOL_VERSION: &str = "2025-11-25";
/// Where a registered client says it wants its code; never contacted (the harness reads the
/// redirect's Location instead of following it).
const CLIENT_REDIRECT: &str = "http://127.0.0.1:9/callback";
/// The sandbox's sign-in approval endpoint (okta_sandbox::oauth::SIGN_IN_APPROVE_PATH).
const SIGN_IN_APPROVE_PATH: &str = "/sandbox/authorize/approve";
/// How long a replica may take to answer /healthz after it is spawned (under valgrind too).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A team server replica: killed when dropped.
pub struct TeamServer {
    child: Child,
    pub pid: u32,
    pub port: u16,
    pub log: PathBuf,
}

/// A free loopback port (bound and released; the process that needs it binds it next).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")
        .context("binding a loopback port")?
        .local_addr()
        .context("reading the bound port")?
        .port())
}

/// A random state key: 32 bytes, base64, as `openssl rand -base64 32` makes one.
pub fn random_state_key() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

impl TeamServer {
    /// Spawns a replica on `port` with `env` (OKTA_* of the caller removed) and waits until
    /// it answers /healthz.
    pub fn start(
        bin: &Path,
        env: &[(String, String)],
        port: u16,
        log: &Path,
    ) -> anyhow::Result<TeamServer> {
        Self::start_under(&[], bin, env, port, log)
    }

    /// Like [`TeamServer::start`], run by `wrapper` (a profiler: `valgrind --tool=callgrind`).
    pub fn start_under(
        wrapper: &[String],
        bin: &Path,
        env: &[(String, String)],
        port: u16,
        log: &Path,
    ) -> anyhow::Result<TeamServer> {
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        command
            .args(["serve", "--transport", "http", "--auth", "oauth", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log).context("creating the replica's log")?);
        clear_okta_env(&mut command);
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let child = command.spawn().context("starting a team server replica")?;
        let mut server = TeamServer {
            pid: child.id(),
            child,
            port,
            log: log.to_owned(),
        };
        server.wait_healthy()?;
        Ok(server)
    }

    fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{}/healthz", self.port);
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!(
                    "the team server exited at start ({status}); see {}",
                    self.log.display()
                );
            }
            if http.get(&url).send().is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "the team server did not answer {url} within {} s; see {}",
            START_TIMEOUT.as_secs(),
            self.log.display()
        )
    }

    pub fn memory(&self) -> anyhow::Result<crate::process::Memory> {
        crate::process::Memory::of(self.pid)
    }
}

impl Drop for TeamServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client's HTTP connection(s): redirects are read by hand, never followed.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .context("building an HTTP client")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn location(response: &reqwest::Response) -> anyhow::Result<String> {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .with_context(|| format!("a {} without a Location header", response.status()))
}

/// Registers a client (RFC 7591), signs `login` in with authorization code + PKCE, and
/// returns the server's access token for it (kept in memory only, never printed).
pub async fn sign_in(
    http: &reqwest::Client,
    server_base: &str,
    org_url: &str,
    login: &str,
    password: &str,
) -> anyhow::Result<String> {
    let registered: Value = http
        .post(format!("{server_base}/register"))
        .json(&json!({"client_name": format!("bench client of {login}"), "redirect_uris": [CLIENT_REDIRECT]}))
        .send()
        .await
        .context("POST /register")?
        .error_for_status()
        .context("POST /register")?
        .json()
        .await
        .context("registration JSON")?;
    let client_id = registered["client_id"]
        .as_str()
        .context("no client_id in the registration")?
        .to_owned();
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let resource = format!("{server_base}/mcp");
    let mut authorize = url::Url::parse(&format!("{server_base}/authorize"))?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", CLIENT_REDIRECT)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "bench")
        .append_pair("resource", &resource);
    let response = http.get(authorize).send().await.context("GET /authorize")?;
    if response.status() != 302 {
        bail!(
            "GET /authorize answered {}, not a redirect",
            response.status()
        );
    }
    let to_okta = location(&response)?;
    let approved: Value = http
        .post(format!("{org_url}{SIGN_IN_APPROVE_PATH}"))
        .json(&json!({"authorize_url": to_okta, "username": login, "password": password}))
        .send()
        .await
        .context("the sandbox's sign-in")?
        .json()
        .await
        .context("the sandbox's sign-in answer")?;
    let callback = approved["redirect_to"]
        .as_str()
        .with_context(|| format!("the sandbox refused the sign-in of {login}: {approved}"))?;
    let response = http
        .get(callback)
        .send()
        .await
        .context("GET /oauth/callback")?;
    if response.status() != 302 {
        bail!(
            "the callback answered {}, not a redirect to the client",
            response.status()
        );
    }
    let back = location(&response)?;
    let code = query_param(&back, "code").context("no code in the redirect to the client")?;
    let tokens: Value = http
        .post(format!("{server_base}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CLIENT_REDIRECT),
            ("client_id", client_id.as_str()),
            ("code_verifier", verifier.as_str()),
            ("resource", resource.as_str()),
        ])
        .send()
        .await
        .context("POST /token")?
        .json()
        .await
        .context("token JSON")?;
    match tokens["access_token"].as_str() {
        Some(token) => Ok(token.to_owned()),
        // An error body carries no secret: error and error_description only.
        None => bail!(
            "POST /token gave no access token: {} {}",
            tokens["error"],
            tokens["error_description"]
        ),
    }
}

/// One signed-in MCP client over Streamable HTTP: its own connection, token and session.
pub struct McpClient {
    http: reqwest::Client,
    url: String,
    /// `Bearer <token>`, made a header value once (and marked sensitive); never printed.
    authorization: HeaderValue,
    session: Option<HeaderValue>,
    next_id: u64,
}

/// What [`McpClient::call_for_load`] reads of an answer: enough to tell it is the answer to
/// the call and a success, nothing built from the rest.
#[derive(serde::Deserialize)]
struct AnswerHead {
    id: Option<u64>,
    error: Option<Value>,
    result: Option<ResultHead>,
}

#[derive(serde::Deserialize)]
struct ResultHead {
    #[serde(rename = "isError", default)]
    is_error: bool,
    #[serde(default)]
    content: Vec<serde::de::IgnoredAny>,
}

/// The answer in an event stream: the first `data:` line that reads as `T` and is `answer`.
fn answer_in_events<T: serde::de::DeserializeOwned>(
    text: &str,
    id: impl std::fmt::Display,
    answer: impl Fn(&T) -> bool,
) -> anyhow::Result<T> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<T>(d.trim()).ok())
        .find(answer)
        .with_context(|| {
            format!(
                "no answer to request {id} in: {}",
                crate::rpc::clip(text, 300)
            )
        })
}

impl McpClient {
    pub fn new(
        http: reqwest::Client,
        server_base: &str,
        access_token: &str,
    ) -> anyhow::Result<McpClient> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {access_token}"))
            .map_err(|_| anyhow::anyhow!("the access token is not a valid header value"))?;
        authorization.set_sensitive(true);
        Ok(McpClient {
            http,
            url: format!("{server_base}/mcp"),
            authorization,
            session: None,
            next_id: 1,
        })
    }

    /// One tools/call made as cheaply as a client can, for load: `arguments_json` is already
    /// serialised, and the answer is checked (the call's id, no JSON-RPC error, not isError,
    /// some content) without building it as a JSON value. The harness shares the 2 cores
    /// with the replica it measures, so every microsecond it spends per call is taken from
    /// the replica's share and shows up in the replica's latency.
    pub async fn call_for_load(&mut self, tool: &str, arguments_json: &str) -> anyhow::Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments_json}}}}}"#
        );
        let (status, is_json, body) = self.send(body).await?;
        if !status.is_success() {
            bail!(
                "POST /mcp answered {status}: {}",
                crate::rpc::clip(&String::from_utf8_lossy(&body), 300)
            );
        }
        // A quick answer comes as one JSON body; one that streamed as events carries it in
        // the `data:` line that is not a notification.
        let head: AnswerHead = if is_json {
            serde_json::from_slice(&body).context("the answer is not JSON-RPC")?
        } else {
            let text = std::str::from_utf8(&body).context("the event stream is not UTF-8")?;
            answer_in_events(text, id, |a: &AnswerHead| a.id == Some(id))?
        };
        anyhow::ensure!(
            head.id == Some(id),
            "the answer is to request {:?}, not {id}",
            head.id
        );
        if let Some(error) = head.error {
            bail!("{tool}: JSON-RPC error {error}");
        }
        match head.result {
            Some(result) if result.is_error => bail!(
                "{tool} returned isError: {}",
                crate::rpc::clip(&String::from_utf8_lossy(&body), 600)
            ),
            Some(result) if !result.content.is_empty() => Ok(()),
            _ => bail!(
                "{tool} answered without content: {}",
                crate::rpc::clip(&String::from_utf8_lossy(&body), 300)
            ),
        }
    }

    /// POSTs a JSON-RPC body; returns the status, whether the answer is JSON (rather than an
    /// event stream), and the body. Keeps the session id the server gives.
    async fn send(&mut self, body: String) -> anyhow::Result<(StatusCode, bool, Vec<u8>)> {
        let mut request = self
            .http
            .post(&self.url)
            .header(
                ACCEPT,
                HeaderValue::from_static("application/json, text/event-stream"),
            )
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                "mcp-protocol-version",
                HeaderValue::from_static(PROTOCOL_VERSION),
            )
            .header(AUTHORIZATION, self.authorization.clone())
            .body(body);
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session.clone());
        }
        let response = request.send().await.context("POST /mcp")?;
        let status = response.status();
        if let Some(session) = response.headers().get("mcp-session-id") {
            self.session = Some(session.clone());
        }
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let body = response.bytes().await.context("reading the MCP answer")?;
        Ok((status, is_json, body.into()))
    }

    /// POSTs one message; returns the JSON-RPC answer to it (from JSON or an SSE stream), or
    /// Null for a notification.
    async fn post(&mut self, message: &Value) -> anyhow::Result<Value> {
        let (status, _, body) = self.send(message.to_string()).await?;
        let text = String::from_utf8_lossy(&body);
        if !status.is_success() {
            bail!(
                "POST /mcp answered {status}: {}",
                crate::rpc::clip(&text, 300)
            );
        }
        let Some(id) = message.get("id") else {
            return Ok(Value::Null);
        };
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            return Ok(v);
        }
        answer_in_events(&text, id, |v: &Value| v.get("id") == Some(id))
    }

    async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let answer = self
            .post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        if let Some(error) = answer.get("error") {
            bail!("{method}: JSON-RPC error {error}");
        }
        Ok(answer["result"].clone())
    }

    /// initialize + notifications/initialized.
    pub async fn initialize(&mut self) -> anyhow::Result<()> {
        self.request(
            "initialize",
            json!({"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                   "clientInfo": {"name": "okta-mcp-bench", "version": env!("CARGO_PKG_VERSION")}}),
        )
        .await?;
        self.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(())
    }
}
