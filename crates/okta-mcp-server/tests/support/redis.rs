//! A real redis-server (Debian's package; .ci/run sets OKTA_MCP_TEST_REDIS_SERVER) on a free
//! loopback port, with nothing persisted, killed when dropped. Outage tests stop it and start
//! it again on the same port, as an operator restarting Redis would.
//!
//! Self-contained but for `super::external_tool`, so the store's unit tests include it too.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting redis-server may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

pub struct RedisServer {
    binary: String,
    child: Option<Child>,
    pub port: u16,
    /// Its working directory and log file (kept after a failure for a look).
    dir: tempfile::TempDir,
    /// Whether writes are kept across a restart (an append-only file, synced each write).
    persistent: bool,
}

impl RedisServer {
    /// Starts a redis-server, or returns None (with a note on stderr) when
    /// OKTA_MCP_TEST_REDIS_SERVER is unset locally; in CI an unset variable fails the test.
    pub fn start() -> Option<Self> {
        Self::launch_new(false)
    }

    /// Like [`Self::start`], but every acknowledged write survives [`Self::restart`] (AOF
    /// with fsync always), as in a production Redis: an outage test then shows recovery of
    /// the same sign-ins.
    pub fn start_persistent() -> Option<Self> {
        Self::launch_new(true)
    }

    fn launch_new(persistent: bool) -> Option<Self> {
        let binary = super::external_tool(
            "OKTA_MCP_TEST_REDIS_SERVER",
            "path to redis-server, for the Redis state store tests",
        )?;
        let mut server = Self {
            binary,
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("tempdir"),
            persistent,
        };
        server.launch();
        Some(server)
    }

    /// `redis://127.0.0.1:PORT`, or with a database number: `redis://127.0.0.1:PORT/3`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn url_db(&self, db: u8) -> String {
        format!("{}/{db}", self.url())
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Kills the server (SIGKILL: an outage, not a tidy shutdown) and waits until its port no
    /// longer answers.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + READY_WITHIN;
        while self.ping() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing is answered, as with
    /// a Redis that is overloaded or cut off mid-connection. [`Self::resume`] undoes it.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let child = self.child.as_ref().expect("a running redis-server");
        let status = Command::new("kill")
            .args([which, &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {which} failed");
    }

    /// Starts it again on the same port (empty unless started persistent).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    fn launch(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(if self.persistent {
                ["--appendonly", "yes", "--appendfsync", "always"].as_slice()
            } else {
                ["--appendonly", "no"].as_slice()
            })
            .args(["--daemonize", "no"])
            .args(["--protected-mode", "yes"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary));
        self.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        while !self.ping() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "redis-server exited with {status} on port {}: {}",
                    self.port,
                    std::fs::read_to_string(self.log_path()).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer PING within {READY_WITHIN:?}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many times each command has run (`INFO commandstats`): `("get", 12)`, ...
    pub fn command_calls(&self) -> std::collections::HashMap<String, u64> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(b"INFO commandstats\r\n").unwrap();
        // A bulk string: `$<length>\r\n<text>\r\n`.
        let mut reply = Vec::new();
        let mut chunk = [0u8; 4096];
        let text = loop {
            let n = stream.read(&mut chunk).expect("read INFO");
            assert!(n > 0, "redis closed the connection mid-reply");
            reply.extend_from_slice(&chunk[..n]);
            let Some(head_end) = reply.windows(2).position(|w| w == b"\r\n") else {
                continue;
            };
            let length: usize = std::str::from_utf8(&reply[1..head_end])
                .unwrap()
                .parse()
                .unwrap();
            if reply.len() >= head_end + 2 + length {
                break String::from_utf8(reply[head_end + 2..head_end + 2 + length].to_vec())
                    .unwrap();
            }
        };
        // `cmdstat_get:calls=12,usec=...`
        text.lines()
            .filter_map(|line| line.strip_prefix("cmdstat_"))
            .filter_map(|line| {
                let (name, stats) = line.split_once(':')?;
                let calls = stats.split(',').find_map(|s| s.strip_prefix("calls="))?;
                Some((name.to_owned(), calls.parse().ok()?))
            })
            .collect()
    }

    /// True when something on the port answers PING with PONG.
    pub fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
    }
}

/// A free loopback port (bound and released; redis-server binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
