//! A team deployment in miniature: a real redis-server, two replicas of the real binary
//! (`serve --transport http --auth oauth`) sharing it with the same state key and the same
//! public URL, and a real HAProxy balancing round-robin over the two, all on free loopback
//! ports. Clients talk to the load balancer only, as they would in production.
//!
//! HAProxy (.ci/run sets OKTA_MCP_TEST_HAPROXY) is configured as the README's deployment
//! example: health checks on /healthz take a dead replica out within a second, and a request
//! whose connection a dead replica refused is sent to the other (`retry-on conn-failure`,
//! `option redispatch`); a request already delivered is never replayed.

use super::TestOrg;
use super::redis::RedisServer;
use super::team::{Endpoint, TeamServer, free_port, team_env, with_env};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Cluster {
    pub redis: RedisServer,
    pub replicas: Vec<TeamServer>,
    pub balancer: Balancer,
    /// Each replica's state directory (its SQLite file is unused: the state is in Redis).
    pub dirs: Vec<tempfile::TempDir>,
}

/// The team server environment of one replica behind `public` (the balancer's URL).
pub fn replica_env(
    org: &TestOrg,
    dir: &std::path::Path,
    redis_url: &str,
    public: &str,
) -> Vec<(String, String)> {
    let env = team_env(org, dir);
    let env = with_env(&env, "OKTA_MCP_STATE_URL", redis_url);
    with_env(&env, "OKTA_MCP_PUBLIC_URL", public)
}

impl Cluster {
    /// Redis, two replicas and the balancer; None (skipped, with a note) when redis-server or
    /// haproxy is not available locally. `extra` is added to both replicas' environment.
    pub fn start(org: &TestOrg, extra: &[(&str, &str)]) -> Option<Self> {
        let haproxy = super::external_tool(
            "OKTA_MCP_TEST_HAPROXY",
            "path to haproxy, the load balancer of the replica tests",
        )?;
        let redis = RedisServer::start()?;
        let lb_port = free_port();
        let public = format!("http://127.0.0.1:{lb_port}");
        let web = org.sandbox.web_client().client_id.clone();
        org.sandbox
            .oauth()
            .add_redirect_uri(&web, &format!("{public}/oauth/callback"));
        let mut replicas = Vec::new();
        let mut dirs = Vec::new();
        for name in ["a", "b"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut env = replica_env(org, dir.path(), &redis.url(), &public);
            if let Some(first) = dirs.first() {
                let first: &tempfile::TempDir = first;
                // Same path on both, so the cluster needs no Redis to share SQLite state on
                // one machine; with OKTA_MCP_STATE_URL set the file is not used at all.
                let path = first.path().join("state.sqlite3").display().to_string();
                env = with_env(&env, "OKTA_MCP_STATE_PATH", &path);
            }
            for (k, v) in extra {
                env = with_env(&env, k, v);
            }
            replicas.push(TeamServer::start(
                org,
                &env,
                free_port(),
                &format!("replica-{name}"),
            ));
            dirs.push(dir);
        }
        let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
        let balancer = Balancer::start(&haproxy, lb_port, &ports);
        Some(Self {
            redis,
            replicas,
            balancer,
            dirs,
        })
    }

    /// Kills replica `i` with SIGKILL (no drain, no goodbye) and waits until the balancer's
    /// health check has taken it out.
    pub fn kill_replica(&mut self, i: usize) {
        self.replicas[i].stop();
        std::thread::sleep(HEALTH_INTERVAL * 3);
    }

    /// How many lines of replica `i`'s log contain `needle`.
    pub fn log_count(&self, i: usize, needle: &str) -> usize {
        self.replicas[i]
            .stderr()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Endpoint for Cluster {
    fn base(&self) -> String {
        self.balancer.base()
    }
    fn stderr(&self) -> String {
        self.replicas
            .iter()
            .enumerate()
            .map(|(i, r)| format!("--- replica {i} ---\n{}", r.stderr()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How often HAProxy checks each replica's /healthz.
const HEALTH_INTERVAL: Duration = Duration::from_millis(300);

/// HAProxy in the foreground with its configuration in a temporary directory.
pub struct Balancer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Balancer {
    fn start(binary: &str, port: u16, replicas: &[u16]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("haproxy.cfg");
        std::fs::write(&config, haproxy_config(port, replicas, HEALTH_INTERVAL))
            .expect("write haproxy.cfg");
        let log = std::fs::File::create(dir.path().join("haproxy.log")).expect("log file");
        let child = Command::new(binary)
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let mut balancer = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = balancer.child.try_wait() {
                panic!("haproxy exited with {status}: {}", balancer.log());
            }
            assert!(Instant::now() < deadline, "haproxy did not listen: {}", balancer.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        // Both replicas up in the balancer's eyes before the first request.
        std::thread::sleep(HEALTH_INTERVAL * 2);
        balancer
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("haproxy.log")
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The HAProxy configuration of the tests; the README's deployment example is the same with
/// TLS on the frontend.
pub fn haproxy_config(port: u16, replicas: &[u16], health: Duration) -> String {
    let inter = health.as_millis();
    let servers: String = replicas
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!("    server replica{i} 127.0.0.1:{p} check inter {inter}ms fall 1 rise 1\n")
        })
        .collect();
    format!(
        "global
    maxconn 512

defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    # SSE answers stream; keep-alive to the client, a fresh connection per request to a
    # replica, so a dead replica shows as a refused connection, never a half-used one.
    option http-server-close
    # A request a dead replica refused goes to the other; one it received is never replayed.
    retries 3
    retry-on conn-failure
    option redispatch 1

frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /healthz
{servers}"
    )
}
