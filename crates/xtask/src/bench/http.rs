//! The team server over HTTP (issue 12): get_user and list_users with 1, 10 and 100
//! concurrent signed-in clients, each a different person with their own grant, connection
//! and MCP session, against the same requests sent directly to the sandbox (the floor):
//! one replica on the embedded store; one replica on Redis; two replicas on Redis behind
//! HAProxy. Then the memory of a replica holding 1,000 signed-in idle people.

use super::load::{self, Call, Load, closed_loop};
use crate::cluster::{Listener, external_tool};
use crate::floor::Floor;
use crate::process::SandboxProcess;
use crate::stats::Summary;
use crate::team::{self, McpClient, TeamServer};
use anyhow::Context;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// Concurrent signed-in clients of each row.
pub const CLIENTS: [usize; 3] = [1, 10, 100];
/// Signed-in idle people in the memory row.
pub const IDLE_PEOPLE: usize = 1000;
/// The sandbox's password for every person (okta_sandbox::oauth::SANDBOX_PASSWORD).
const SANDBOX_PASSWORD: &str = "Sandbox-Passw0rd!";
/// Sign-ins in flight at once while people are being signed in (not measured).
const SIGN_IN_CONCURRENCY: usize = 8;
/// Pause between signing the idle people in and reading the replica's memory.
const IDLE_SETTLE: Duration = Duration::from_secs(2);
/// How long the idle sessions are left alone before the judged reading: a replica lets a
/// session unused for 30 s leave memory, looking every 10 s
/// (okta_mcp_server::server::http::SESSION_RESIDENT_IDLE), so idle people cost what they
/// cost once they are idle.
pub const SESSIONS_IDLE: Duration = Duration::from_secs(45);
const LIST_LIMIT: u64 = 20;

/// How many calls each row makes.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct HttpPlan {
    /// Measured calls per row (split over its clients); the warm-up is extra.
    pub calls: [usize; 3],
    pub warmup_per_client: usize,
    pub idle_people: usize,
}

impl HttpPlan {
    pub fn new(quick: bool) -> HttpPlan {
        HttpPlan {
            calls: if quick {
                [100, 400, 1000]
            } else {
                [500, 3000, 5000]
            },
            warmup_per_client: if quick { 2 } else { 5 },
            idle_people: IDLE_PEOPLE,
        }
    }
}

/// One deployment's rows, or why it has none.
#[derive(Debug, Serialize)]
pub struct Deployment {
    pub name: String,
    pub replicas: usize,
    pub store: String,
    pub rows: Vec<HttpRow>,
    /// Set when the deployment was not measured (a program is not installed) ...
    pub skipped: Option<String>,
    /// ... or when it failed part way (rows measured before the failure are kept).
    pub failed: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HttpRow {
    pub tool: String,
    pub clients: usize,
    pub server_ms: Summary,
    pub floor_ms: Summary,
    pub overhead_p50_ms: f64,
    pub server_calls_per_s: f64,
    pub floor_calls_per_s: f64,
    /// CPU time per call of the replicas together, of redis-server and of haproxy, in µs
    /// (from /proc: steadier than wall time on a busy machine).
    pub replicas_cpu_us_per_call: f64,
    pub redis_cpu_us_per_call: Option<f64>,
    pub haproxy_cpu_us_per_call: Option<f64>,
    /// CPU per call of the two processes that stand in for what is not on a replica's
    /// machine in a deployment (the clients, Okta) but share these 2 cores with it: the
    /// sandbox and this harness, during the served run and during the floor's. With ten
    /// closed-loop clients the cores are saturated, so their CPU sets the p50 as much as the
    /// replica's does.
    pub sandbox_cpu_us_per_call: f64,
    pub harness_cpu_us_per_call: f64,
    pub floor_sandbox_cpu_us_per_call: f64,
    pub floor_harness_cpu_us_per_call: f64,
}

#[derive(Debug, Serialize)]
pub struct IdleMemory {
    pub people: usize,
    /// Fresh replica, nobody signed in yet.
    pub before_rss_kib: u64,
    /// Everyone signed in (grants, sealed Okta tokens), their connections closed, no session.
    pub signed_in_rss_kib: u64,
    /// Everyone also holds an MCP session and keeps its own idle keep-alive connection open
    /// (as clients reaching a replica directly do).
    pub connected_rss_kib: u64,
    /// The same just after the clients closed their connections (as behind a load balancer,
    /// which holds the clients' connections itself).
    pub closed_rss_kib: u64,
    /// The same once the sessions have been idle for [`SESSIONS_IDLE`]: the judged figure.
    pub rss_kib: u64,
    pub anon_kib: u64,
    pub peak_kib: u64,
    pub sessions: usize,
}

#[derive(Debug, Serialize)]
pub struct HttpBench {
    pub plan: HttpPlan,
    /// False when only the memory row was asked for (`--part http-memory`): the call rows'
    /// targets are then not judged, rather than failed for want of figures.
    pub calls_measured: bool,
    pub deployments: Vec<Deployment>,
    pub idle_memory: Option<IdleMemory>,
    pub idle_memory_failed: Option<String>,
}

/// The processes of one deployment and where clients reach it.
struct Running {
    replicas: Vec<TeamServer>,
    redis: Option<Listener>,
    haproxy: Option<Listener>,
    base: String,
}

impl Running {
    fn pids(&self) -> (Vec<u32>, Option<u32>, Option<u32>) {
        (
            self.replicas.iter().map(|r| r.pid).collect(),
            self.redis.as_ref().map(|r| r.pid),
            self.haproxy.as_ref().map(|h| h.pid),
        )
    }
}

/// Ports fixed before the sandbox starts (it must know the callback URLs).
struct Ports {
    single: u16,
    idle: u16,
    single_redis: u16,
    pair: [u16; 2],
    balancer: u16,
}

/// Runs every deployment; with `callgrind` set, only get_user with 10 clients on one replica
/// run by callgrind, instrumented during that row only, its profile written to that directory;
/// with `memory_only`, only the memory row.
pub fn measure(
    bin: &Path,
    scopes_of: impl Fn(&str) -> anyhow::Result<String>,
    work: &Path,
    log_dir: &Path,
    quick: bool,
    callgrind: Option<&Path>,
    memory_only: bool,
) -> anyhow::Result<HttpBench> {
    let plan = HttpPlan::new(quick || callgrind.is_some());
    let ports = Ports {
        single: team::free_port()?,
        idle: team::free_port()?,
        single_redis: team::free_port()?,
        pair: [team::free_port()?, team::free_port()?],
        balancer: team::free_port()?,
    };
    // The call rows' org holds CLIENTS[2] extra people; the memory row starts its own with
    // `idle_people` (the sandbox's user list clones every user, so a bigger org would slow
    // the list_users floor).
    let sandbox = start_sandbox(
        bin,
        work,
        log_dir,
        "calls",
        CLIENTS[2],
        &[ports.single, ports.single_redis, ports.balancer],
    )?;
    let scopes = scopes_of(&sandbox.org_url)?;
    let pem = std::fs::read(&sandbox.private_key_file).context("reading the sandbox key")?;
    let floor = Floor::connect(
        &sandbox.org_url,
        &sandbox.client_id,
        &sandbox.key_id,
        &pem,
        &scopes,
    )?;
    let user_id = first_user_id(&floor)?;
    let context = Harness {
        bin,
        sandbox: &sandbox,
        scopes: &scopes,
        floor: &floor,
        user_id: &user_id,
        work,
        log_dir,
        plan,
        callgrind,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the harness's runtime")?;
    let mut deployments = Vec::new();

    if !memory_only {
        eprintln!("bench: HTTP, one replica, embedded store");
        deployments.push(context.deployment(
            &runtime,
            "one replica",
            1,
            "embedded (SQLite)",
            || context.start_single(ports.single, None, "single"),
        ));
    }
    if callgrind.is_some() {
        return Ok(HttpBench {
            plan,
            calls_measured: true,
            deployments,
            idle_memory: None,
            idle_memory_failed: Some("not measured in a callgrind run".into()),
        });
    }

    eprintln!(
        "bench: HTTP, memory with {} signed-in idle people",
        plan.idle_people
    );
    let idle_memory = start_sandbox(bin, work, log_dir, "idle", plan.idle_people, &[ports.idle])
        .and_then(|idle_org| {
            Harness {
                sandbox: &idle_org,
                ..context.clone()
            }
            .idle_memory(&runtime, ports.idle)
        });
    let (idle_memory, idle_memory_failed) = match idle_memory {
        Ok(m) => (Some(m), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    if memory_only {
        return Ok(HttpBench {
            plan,
            calls_measured: false,
            deployments,
            idle_memory,
            idle_memory_failed,
        });
    }

    let redis = external_tool(
        "OKTA_MCP_TEST_REDIS_SERVER",
        "/usr/bin/redis-server",
        "redis-server",
    );
    let haproxy = external_tool("OKTA_MCP_TEST_HAPROXY", "/usr/sbin/haproxy", "haproxy");
    match &redis {
        None => deployments.push(Deployment::skipped(
            "one replica, Redis",
            1,
            "redis-server is not installed (set OKTA_MCP_TEST_REDIS_SERVER)",
        )),
        Some(redis) => {
            eprintln!("bench: HTTP, one replica, Redis store");
            deployments.push(context.deployment(
                &runtime,
                "one replica, Redis",
                1,
                "Redis",
                || {
                    let server = Listener::redis(
                        redis,
                        team::free_port()?,
                        &log_dir.join("redis-single.log"),
                    )?;
                    let mut running = context.start_single(
                        ports.single_redis,
                        Some(server.port),
                        "single-redis",
                    )?;
                    running.redis = Some(server);
                    Ok(running)
                },
            ));
        }
    }
    match (&redis, &haproxy) {
        (Some(redis), Some(haproxy)) => {
            eprintln!("bench: HTTP, two replicas behind HAProxy, Redis store");
            deployments.push(context.deployment(
                &runtime,
                "two replicas behind HAProxy",
                2,
                "Redis",
                || context.start_pair(redis, haproxy, &ports),
            ));
        }
        _ => deployments.push(Deployment::skipped(
            "two replicas behind HAProxy",
            2,
            "redis-server or haproxy is not installed (set OKTA_MCP_TEST_REDIS_SERVER and OKTA_MCP_TEST_HAPROXY)",
        )),
    }
    Ok(HttpBench {
        plan,
        calls_measured: true,
        deployments,
        idle_memory,
        idle_memory_failed,
    })
}

impl Deployment {
    fn skipped(name: &str, replicas: usize, why: &str) -> Deployment {
        Deployment {
            name: name.to_owned(),
            replicas,
            store: "Redis".to_owned(),
            rows: Vec::new(),
            skipped: Some(why.to_owned()),
            failed: None,
        }
    }
}

/// The id of the first user list_users returns: the user every get_user row fetches.
fn first_user_id(floor: &Floor) -> anyhow::Result<String> {
    let (_, body, _) = floor.get(&format!("/api/v1/users?limit={LIST_LIMIT}"))?;
    let users: Value = serde_json::from_slice(&body).context("the user list is not JSON")?;
    users[0]["id"]
        .as_str()
        .map(str::to_owned)
        .context("the sandbox has no users")
}

/// A sandbox org with `people` extra admins that accepts sign-ins returning to `ports`.
fn start_sandbox(
    bin: &Path,
    work: &Path,
    log_dir: &Path,
    name: &str,
    people: usize,
    ports: &[u16],
) -> anyhow::Result<SandboxProcess> {
    let keys = work.join(format!("keys-{name}"));
    std::fs::create_dir_all(&keys).context("creating the key directory")?;
    let mut args = vec!["--extra-admins".to_owned(), people.to_string()];
    for port in ports {
        args.push("--redirect-uri".into());
        args.push(format!("http://127.0.0.1:{port}/oauth/callback"));
    }
    SandboxProcess::start_with(
        bin,
        0,
        &keys,
        &log_dir.join(format!("sandbox-http-{name}.log")),
        &args,
    )
}

/// What every deployment shares.
#[derive(Clone)]
struct Harness<'a> {
    bin: &'a Path,
    sandbox: &'a SandboxProcess,
    scopes: &'a str,
    floor: &'a Floor,
    user_id: &'a str,
    work: &'a Path,
    log_dir: &'a Path,
    plan: HttpPlan,
    /// Where callgrind writes its profile, when this is a profiling run.
    callgrind: Option<&'a Path>,
}

impl Harness<'_> {
    /// A replica's environment: the sandbox's web app, all management scopes, a private
    /// HOME, the given state store, and room for every session the memory row opens.
    fn replica_env(
        &self,
        name: &str,
        state_key: &str,
        redis_url: Option<&str>,
        public_url: Option<&str>,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let home = self.work.join(format!("replica-{name}"));
        let mut env = vec![
            ("OKTA_ORG_URL".to_owned(), self.sandbox.org_url.clone()),
            (
                "OKTA_CLIENT_ID".to_owned(),
                self.sandbox.web_client_id.clone(),
            ),
            (
                "OKTA_CLIENT_SECRET".to_owned(),
                self.sandbox.web_client_secret.clone(),
            ),
            ("OKTA_SCOPES".to_owned(), self.scopes.to_owned()),
            ("OKTA_MCP_STATE_KEY".to_owned(), state_key.to_owned()),
            (
                "OKTA_MCP_STATE_PATH".to_owned(),
                home.join("state.sqlite3").display().to_string(),
            ),
            (
                "OKTA_MCP_AUDIT_LOG".to_owned(),
                home.join("audit.jsonl").display().to_string(),
            ),
            (
                "OKTA_MCP_MAX_SESSIONS".to_owned(),
                (self.plan.idle_people + 2 * CLIENTS[2]).to_string(),
            ),
        ];
        if let Some(url) = redis_url {
            env.push(("OKTA_MCP_STATE_URL".to_owned(), url.to_owned()));
        }
        if let Some(url) = public_url {
            env.push(("OKTA_MCP_PUBLIC_URL".to_owned(), url.to_owned()));
        }
        for (var, dir) in [
            ("HOME", "home"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_DATA_HOME", "data"),
        ] {
            let path = home.join(dir);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            env.push((var.to_owned(), path.display().to_string()));
        }
        Ok(env)
    }

    fn start_single(
        &self,
        port: u16,
        redis_port: Option<u16>,
        name: &str,
    ) -> anyhow::Result<Running> {
        let redis_url = redis_port.map(|p| format!("redis://127.0.0.1:{p}/0"));
        let env = self.replica_env(name, &team::random_state_key(), redis_url.as_deref(), None)?;
        let wrapper: Vec<String> = match self.callgrind {
            Some(dir) => vec![
                "valgrind".into(),
                "--tool=callgrind".into(),
                "--instr-atstart=no".into(),
                format!("--callgrind-out-file={}/callgrind.out.%p", dir.display()),
            ],
            None => Vec::new(),
        };
        let replica = TeamServer::start_under(
            &wrapper,
            self.bin,
            &env,
            port,
            &self.log_dir.join(format!("replica-{name}.log")),
        )?;
        Ok(Running {
            replicas: vec![replica],
            redis: None,
            haproxy: None,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    fn start_pair(&self, redis: &Path, haproxy: &Path, ports: &Ports) -> anyhow::Result<Running> {
        let store = Listener::redis(
            redis,
            team::free_port()?,
            &self.log_dir.join("redis-pair.log"),
        )?;
        let redis_url = format!("redis://127.0.0.1:{}/0", store.port);
        let public = format!("http://127.0.0.1:{}", ports.balancer);
        let state_key = team::random_state_key();
        let mut replicas = Vec::new();
        for (n, port) in ports.pair.iter().enumerate() {
            let name = format!("pair-{n}");
            let env = self.replica_env(&name, &state_key, Some(&redis_url), Some(&public))?;
            replicas.push(TeamServer::start(
                self.bin,
                &env,
                *port,
                &self.log_dir.join(format!("replica-{name}.log")),
            )?);
        }
        let config_dir = self.work.join("haproxy");
        std::fs::create_dir_all(&config_dir).context("creating the HAProxy directory")?;
        let balancer = Listener::haproxy(
            haproxy,
            ports.balancer,
            &ports.pair,
            &config_dir,
            &self.log_dir.join("haproxy.log"),
        )?;
        Ok(Running {
            replicas,
            redis: Some(store),
            haproxy: Some(balancer),
            base: public,
        })
    }

    /// Starts a deployment, signs CLIENTS[2] people in, and measures every row; a failure
    /// keeps the rows measured before it.
    fn deployment(
        &self,
        runtime: &tokio::runtime::Runtime,
        name: &str,
        replicas: usize,
        store: &str,
        start: impl FnOnce() -> anyhow::Result<Running>,
    ) -> Deployment {
        let mut deployment = Deployment {
            name: name.to_owned(),
            replicas,
            store: store.to_owned(),
            rows: Vec::new(),
            skipped: None,
            failed: None,
        };
        let result =
            start().and_then(|running| runtime.block_on(self.rows(&running, &mut deployment.rows)));
        if let Err(e) = result {
            eprintln!("bench: {name}: {e:#}");
            deployment.failed = Some(format!("{e:#}"));
        }
        deployment
    }

    async fn rows(&self, running: &Running, rows: &mut Vec<HttpRow>) -> anyhow::Result<()> {
        let people = sign_in_people(self.sandbox, &running.base, 0..CLIENTS[2]).await?;
        let mut clients = Vec::with_capacity(people.len());
        for (http, token) in people {
            let mut client = McpClient::new(http, &running.base, &token)?;
            client.initialize().await.context("initialize")?;
            clients.push(client);
        }
        let (base, authorization) = self.floor.base_and_authorization();
        let cases = [
            (
                "list_users",
                json!({"limit": LIST_LIMIT}),
                format!("{base}/api/v1/users?limit={LIST_LIMIT}"),
            ),
            (
                "get_user",
                json!({"user_id": self.user_id}),
                format!("{base}/api/v1/users/{}", self.user_id),
            ),
        ];
        let (replica_pids, redis_pid, haproxy_pid) = running.pids();
        let fixtures = Fixtures {
            sandbox: self.sandbox.pid(),
            harness: std::process::id(),
        };
        let profiled = self.callgrind.is_some();
        for (tool, arguments, url) in cases {
            if profiled && tool != "get_user" {
                continue;
            }
            for (&concurrency, &calls) in CLIENTS.iter().zip(&self.plan.calls) {
                if profiled && concurrency != 10 {
                    continue;
                }
                let per_client = calls.div_ceil(concurrency);
                let mut callers: Vec<ToolCaller> = clients
                    .drain(..concurrency)
                    .map(|client| ToolCaller {
                        client,
                        tool,
                        arguments: arguments.to_string(),
                    })
                    .collect();
                let cpu_before = cpu_times(&replica_pids, redis_pid, haproxy_pid)?;
                let fixtures_before = fixtures.cpu()?;
                if profiled {
                    callgrind_control(&["-i", "on"], &replica_pids)?;
                }
                let served = closed_loop(&mut callers, self.plan.warmup_per_client, per_client)
                    .await
                    .with_context(|| format!("{tool} with {concurrency} clients"));
                if profiled {
                    callgrind_control(&["-i", "off"], &replica_pids)?;
                    callgrind_control(&["-d"], &replica_pids)?;
                }
                let cpu_after = cpu_times(&replica_pids, redis_pid, haproxy_pid)?;
                let fixtures_served = fixtures.cpu()?;
                // The clients go back for the next row, in their order, even after a failure.
                let mut returned: Vec<McpClient> = callers.into_iter().map(|c| c.client).collect();
                returned.append(&mut clients);
                clients = returned;
                let served = served?;
                let mut floor_callers = Vec::with_capacity(concurrency);
                for _ in 0..concurrency {
                    floor_callers.push(FloorCaller {
                        http: team::http_client()?,
                        url: url.clone(),
                        authorization: authorization.to_owned(),
                    });
                }
                let floor =
                    closed_loop(&mut floor_callers, self.plan.warmup_per_client, per_client)
                        .await
                        .with_context(|| {
                            format!("the floor of {tool} with {concurrency} clients")
                        })?;
                let fixtures_floor = fixtures.cpu()?;
                let warmup_calls = self.plan.warmup_per_client * concurrency;
                rows.push(row(
                    tool,
                    concurrency,
                    &served,
                    &floor,
                    warmup_calls,
                    (cpu_before, cpu_after),
                    [fixtures_before, fixtures_served, fixtures_floor],
                )?);
                let last = rows.last().expect("just pushed");
                eprintln!(
                    "bench:   {tool} x{concurrency}: {:.0} calls/s (floor {:.0}), p50 {:.2} ms (floor {:.2}), p99 {:.2} ms, CPU/call: replicas {:.0} µs, sandbox {:.0} (floor {:.0}), harness {:.0} (floor {:.0})",
                    last.server_calls_per_s,
                    last.floor_calls_per_s,
                    last.server_ms.median,
                    last.floor_ms.median,
                    last.server_ms.p99,
                    last.replicas_cpu_us_per_call,
                    last.sandbox_cpu_us_per_call,
                    last.floor_sandbox_cpu_us_per_call,
                    last.harness_cpu_us_per_call,
                    last.floor_harness_cpu_us_per_call,
                );
            }
        }
        Ok(())
    }

    /// A fresh replica: RSS before anyone signs in, and after `idle_people` people each
    /// signed in (grant, sealed upstream tokens) and opened an MCP session, then went idle.
    fn idle_memory(
        &self,
        runtime: &tokio::runtime::Runtime,
        port: u16,
    ) -> anyhow::Result<IdleMemory> {
        let running = self.start_single(port, None, "idle")?;
        let replica = &running.replicas[0];
        std::thread::sleep(Duration::from_millis(200));
        let before = replica.memory()?;
        let signed_in = runtime.block_on(async {
            let people =
                sign_in_people(self.sandbox, &running.base, 0..self.plan.idle_people).await?;
            // Each person's sign-in connections close with their HTTP client; the tokens stay.
            anyhow::Ok(
                people
                    .into_iter()
                    .map(|(_, token)| token)
                    .collect::<Vec<_>>(),
            )
        })?;
        settle(runtime, IDLE_SETTLE);
        let after_sign_in = replica.memory()?;
        let clients = runtime.block_on(async {
            let sessions = futures::stream::iter(signed_in)
                .map(|token| {
                    let base = running.base.clone();
                    async move {
                        let mut client = McpClient::new(team::http_client()?, &base, &token)?;
                        client.initialize().await.context("initialize")?;
                        anyhow::Ok(client)
                    }
                })
                .buffer_unordered(SIGN_IN_CONCURRENCY)
                .collect::<Vec<_>>()
                .await;
            sessions.into_iter().collect::<anyhow::Result<Vec<_>>>()
        })?;
        settle(runtime, IDLE_SETTLE);
        let connected = replica.memory()?;
        let sessions = clients.len();
        drop(clients);
        settle(runtime, IDLE_SETTLE);
        let closed = replica.memory()?;
        eprintln!(
            "bench:   {} idle people: RSS {:.1} MiB with sessions just after the connections closed; waiting {} s for the sessions to be idle",
            self.plan.idle_people,
            closed.rss_kib as f64 / 1024.0,
            SESSIONS_IDLE.as_secs()
        );
        settle(runtime, SESSIONS_IDLE);
        let idle = replica.memory()?;
        let memory = IdleMemory {
            people: self.plan.idle_people,
            before_rss_kib: before.rss_kib,
            signed_in_rss_kib: after_sign_in.rss_kib,
            connected_rss_kib: connected.rss_kib,
            closed_rss_kib: closed.rss_kib,
            rss_kib: idle.rss_kib,
            anon_kib: idle.anon_kib,
            peak_kib: idle.peak_kib,
            sessions,
        };
        eprintln!(
            "bench:   {} idle people: RSS {:.1} MiB before, {:.1} signed in, {:.1} with sessions and connections, {:.1} (anon {:.1}) with the sessions idle",
            memory.people,
            memory.before_rss_kib as f64 / 1024.0,
            memory.signed_in_rss_kib as f64 / 1024.0,
            memory.connected_rss_kib as f64 / 1024.0,
            memory.rss_kib as f64 / 1024.0,
            memory.anon_kib as f64 / 1024.0,
        );
        Ok(memory)
    }
}

/// Waits while driving the harness's runtime. A dropped HTTP client's connections close
/// only when their tasks on this runtime next run: a plain thread sleep would leave every
/// "closed" connection open at the replica, and measure the connections, not the people.
fn settle(runtime: &tokio::runtime::Runtime, wait: Duration) {
    runtime.block_on(async { tokio::time::sleep(wait).await });
}

/// Signs in the extra admins numbered `range`, each through their own HTTP client (so each
/// client later calls over its own connections); returns the client and its access token.
async fn sign_in_people(
    sandbox: &SandboxProcess,
    base: &str,
    range: std::ops::Range<usize>,
) -> anyhow::Result<Vec<(reqwest::Client, String)>> {
    let results = futures::stream::iter(range)
        .map(|n| async move {
            let http = team::http_client()?;
            let login = format!("bench.admin.{n:04}@example.com");
            let token = team::sign_in(&http, base, &sandbox.org_url, &login, SANDBOX_PASSWORD)
                .await
                .with_context(|| format!("signing {login} in"))?;
            anyhow::Ok((http, token))
        })
        .buffered(SIGN_IN_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    results.into_iter().collect()
}

struct ToolCaller {
    client: McpClient,
    tool: &'static str,
    /// The arguments, serialised once.
    arguments: String,
}

impl Call for ToolCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.client.call_for_load(self.tool, &self.arguments).await
    }
}

/// The floor: the same GET straight to the sandbox with a bearer token, body read whole.
struct FloorCaller {
    http: reqwest::Client,
    url: String,
    authorization: String,
}

impl Call for FloorCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        let response = self
            .http
            .get(&self.url)
            .header("accept", "application/json")
            .header("authorization", &self.authorization)
            .send()
            .await
            .context("GET (floor)")?;
        let status = response.status();
        response.bytes().await.context("reading the floor's body")?;
        anyhow::ensure!(status.is_success(), "the floor's GET answered {status}");
        Ok(())
    }
}

/// `callgrind_control ARGS PID` for each replica (instrumentation on/off, dump).
fn callgrind_control(args: &[&str], pids: &[u32]) -> anyhow::Result<()> {
    for pid in pids {
        let status = std::process::Command::new("callgrind_control")
            .args(args)
            .arg(pid.to_string())
            .stdout(std::process::Stdio::null())
            .status()
            .context("running callgrind_control")?;
        anyhow::ensure!(status.success(), "callgrind_control {args:?} {pid} failed");
    }
    Ok(())
}

/// The sandbox and this harness, whose CPU each row reports beside the replicas'.
struct Fixtures {
    sandbox: u32,
    harness: u32,
}

impl Fixtures {
    /// CPU used so far by the sandbox and by this harness.
    fn cpu(&self) -> anyhow::Result<[Duration; 2]> {
        Ok([load::cpu_time(self.sandbox)?, load::cpu_time(self.harness)?])
    }
}

/// CPU used so far by the replicas (summed), redis-server and haproxy.
type CpuTimes = (Duration, Option<Duration>, Option<Duration>);

fn cpu_times(
    replicas: &[u32],
    redis: Option<u32>,
    haproxy: Option<u32>,
) -> anyhow::Result<CpuTimes> {
    let mut total = Duration::ZERO;
    for pid in replicas {
        total += load::cpu_time(*pid)?;
    }
    Ok((
        total,
        redis.map(load::cpu_time).transpose()?,
        haproxy.map(load::cpu_time).transpose()?,
    ))
}

fn row(
    tool: &str,
    clients: usize,
    served: &Load,
    floor: &Load,
    warmup_calls: usize,
    (before, after): (CpuTimes, CpuTimes),
    [fixtures_before, fixtures_served, fixtures_floor]: [[Duration; 2]; 3],
) -> anyhow::Result<HttpRow> {
    // The CPU snapshots bracket the warm-up too, so its calls are counted in (the floor's
    // run has as many).
    let calls = (served.latencies.len() + warmup_calls) as f64;
    let per_call = |a: Duration, b: Duration| (b.saturating_sub(a)).as_secs_f64() * 1e6 / calls;
    let floor_calls = (floor.latencies.len() + warmup_calls) as f64;
    let per_floor_call =
        |a: Duration, b: Duration| (b.saturating_sub(a)).as_secs_f64() * 1e6 / floor_calls;
    let server_ms = Summary::of_durations(&served.latencies).context("no samples")?;
    let floor_ms = Summary::of_durations(&floor.latencies).context("no floor samples")?;
    Ok(HttpRow {
        tool: tool.to_owned(),
        clients,
        overhead_p50_ms: server_ms.median - floor_ms.median,
        server_ms,
        floor_ms,
        server_calls_per_s: served.calls_per_s(),
        floor_calls_per_s: floor.calls_per_s(),
        replicas_cpu_us_per_call: per_call(before.0, after.0),
        redis_cpu_us_per_call: before.1.zip(after.1).map(|(a, b)| per_call(a, b)),
        haproxy_cpu_us_per_call: before.2.zip(after.2).map(|(a, b)| per_call(a, b)),
        sandbox_cpu_us_per_call: per_call(fixtures_before[0], fixtures_served[0]),
        harness_cpu_us_per_call: per_call(fixtures_before[1], fixtures_served[1]),
        floor_sandbox_cpu_us_per_call: per_floor_call(fixtures_served[0], fixtures_floor[0]),
        floor_harness_cpu_us_per_call: per_floor_call(fixtures_served[1], fixtures_floor[1]),
    })
}
