//! The two processes under test: the sandbox org (its own process, on loopback) and the MCP
//! server driven over stdio. Both are killed when dropped, so a failed run leaves nothing behind.

use crate::rpc::{Received, RpcClient};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest the harness waits for any one answer before it kills the server and reports it.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
/// MCP protocol revision the harness speaks.
const PROTOCOL_VERSION: &str = "2025-06-18";

/// Rate limits the sandbox advertises: far beyond what a run sends, so neither the server
/// (which paces itself on `X-Rate-Limit-*`) nor the floor is slowed or throttled.
pub const RATE_LIMITS: &str = "1000000000/60s";

/// The sandbox org in its own process, with its service client's credentials.
pub struct SandboxProcess {
    child: Child,
    pub org_url: String,
    pub client_id: String,
    pub key_id: String,
    pub private_key_file: PathBuf,
    /// The web app a team server signs people in through (client_secret auth).
    pub web_client_id: String,
    /// Its client secret; never printed.
    pub web_client_secret: String,
}

impl SandboxProcess {
    /// Starts `okta-mcp-server sandbox` and reads the credentials it prints.
    pub fn start(bin: &Path, latency_ms: u64, key_dir: &Path, log: &Path) -> anyhow::Result<Self> {
        Self::start_with(bin, latency_ms, key_dir, log, &[])
    }

    /// Like [`SandboxProcess::start`], with more `sandbox` arguments (`--extra-admins N`,
    /// `--redirect-uri URI`).
    pub fn start_with(
        bin: &Path,
        latency_ms: u64,
        key_dir: &Path,
        log: &Path,
        extra_args: &[String],
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(bin);
        command
            .args(["sandbox", "--port", "0", "--rate-limits", RATE_LIMITS])
            .args(extra_args)
            .arg("--latency-ms")
            .arg(latency_ms.to_string())
            .arg("--key-dir")
            .arg(key_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(log).context("creating the sandbox log")?);
        clear_okta_env(&mut command);
        let mut child = command.spawn().context("starting the sandbox")?;
        let stdout = child.stdout.take().context("sandbox stdout")?;
        // The sandbox prints one JSON document, then serves until killed.
        let info = serde_json::Deserializer::from_reader(stdout)
            .into_iter::<Value>()
            .next();
        let info = match info {
            Some(Ok(v)) => v,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the sandbox did not print its credentials ({other:?}); see {}",
                    log.display()
                );
            }
        };
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let service = &info["service_client"];
        let parsed = (|| {
            Some(SandboxProcess {
                org_url: text(&info["org_url"])?,
                client_id: text(&service["OKTA_CLIENT_ID"])?,
                key_id: text(&service["OKTA_KEY_ID"])?,
                private_key_file: PathBuf::from(text(&service["OKTA_PRIVATE_KEY_FILE"])?),
                web_client_id: text(&info["web_client"]["OKTA_CLIENT_ID"])?,
                web_client_secret: text(&info["web_client"]["OKTA_CLIENT_SECRET"])?,
                child,
            })
        })();
        parsed.context(
            "the sandbox's credentials JSON lacks org_url, the service client or the web client",
        )
    }
}

impl SandboxProcess {
    /// The sandbox's process id (for its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes inherited OKTA_* settings so only what the harness sets is in effect.
pub fn clear_okta_env(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OKTA_") {
            command.env_remove(key);
        }
    }
}

/// Resident memory of a process, from /proc/PID/status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// VmRSS: resident now, in KiB.
    pub rss_kib: u64,
    /// VmHWM: the most ever resident, in KiB.
    pub peak_kib: u64,
    /// RssAnon: the resident part that is the process's own (heap, stacks), in KiB; the rest
    /// is mostly pages of the executable, shared and reclaimable.
    pub anon_kib: u64,
}

impl Memory {
    pub fn of(pid: u32) -> anyhow::Result<Memory> {
        let path = format!("/proc/{pid}/status");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        Memory::parse(&text).with_context(|| format!("no VmRSS/VmHWM in {path}"))
    }

    fn parse(status: &str) -> Option<Memory> {
        let field = |name: &str| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(name)?.strip_prefix(':')?;
                rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
            })
        };
        Some(Memory {
            rss_kib: field("VmRSS")?,
            peak_kib: field("VmHWM")?,
            anon_kib: field("RssAnon").unwrap_or(0),
        })
    }
}

/// Kills the server if an answer takes longer than allowed, so a hang becomes an error.
struct Watchdog {
    base: Instant,
    /// Milliseconds since `base` after which the server is killed; 0 when disarmed.
    deadline_ms: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    fired: Arc<AtomicBool>,
}

impl Watchdog {
    fn start(child: Arc<Mutex<Child>>) -> Watchdog {
        let base = Instant::now();
        let deadline_ms = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let fired = Arc::new(AtomicBool::new(false));
        let (deadline, stopped, kill) = (deadline_ms.clone(), stop.clone(), fired.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let due = deadline.load(Ordering::Relaxed);
                if due != 0 && base.elapsed().as_millis() as u64 > due {
                    kill.store(true, Ordering::Relaxed);
                    if let Ok(mut child) = child.lock() {
                        let _ = child.kill();
                    }
                    return;
                }
            }
        });
        Watchdog {
            base,
            deadline_ms,
            stop,
            fired,
        }
    }

    fn arm(&self) {
        let due = (self.base.elapsed() + ANSWER_TIMEOUT).as_millis() as u64;
        self.deadline_ms.store(due.max(1), Ordering::Relaxed);
    }

    fn disarm(&self) {
        self.deadline_ms.store(0, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

type StdioClient = RpcClient<ChildStdin, BufReader<ChildStdout>>;

/// The MCP server, spawned fresh and spoken to over its stdio.
pub struct ServerProcess {
    child: Arc<Mutex<Child>>,
    pub pid: u32,
    /// Taken just before spawning: the zero of cold-start times.
    pub spawned_at: Instant,
    rpc: Option<StdioClient>,
    watchdog: Watchdog,
    log: PathBuf,
}

impl ServerProcess {
    pub fn spawn(bin: &Path, env: &[(String, String)], log: &Path) -> anyhow::Result<Self> {
        Self::spawn_under(&[], bin, env, log)
    }

    /// Spawns the server under `wrapper` (e.g. a profiler: `valgrind --tool=callgrind`).
    pub fn spawn_under(
        wrapper: &[String],
        bin: &Path,
        env: &[(String, String)],
        log: &Path,
    ) -> anyhow::Result<Self> {
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(log).context("creating the server log")?);
        clear_okta_env(&mut command);
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let spawned_at = Instant::now();
        let mut child = command.spawn().context("starting the server")?;
        let stdin = child.stdin.take().context("server stdin")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let pid = child.id();
        let child = Arc::new(Mutex::new(child));
        Ok(ServerProcess {
            watchdog: Watchdog::start(child.clone()),
            child,
            pid,
            spawned_at,
            rpc: Some(RpcClient::new(
                stdin,
                BufReader::with_capacity(1 << 16, stdout),
            )),
            log: log.to_owned(),
        })
    }

    fn rpc(&mut self) -> anyhow::Result<&mut StdioClient> {
        self.rpc.as_mut().context("the server's stdio is closed")
    }

    /// Runs `f` under the watchdog and names the log file if the server failed.
    fn guarded<T>(
        &mut self,
        f: impl FnOnce(&mut StdioClient) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.watchdog.arm();
        let result = self.rpc().and_then(f);
        self.watchdog.disarm();
        result.map_err(|e| {
            let why = if self.watchdog.fired.load(Ordering::Relaxed) {
                format!(
                    "killed after {} s without an answer",
                    ANSWER_TIMEOUT.as_secs()
                )
            } else {
                "failed".to_owned()
            };
            e.context(format!(
                "server (pid {}) {why}; its log is {}",
                self.pid,
                self.log.display()
            ))
        })
    }

    /// The `initialize` request; the `initialized` notification follows at once.
    pub fn initialize(&mut self) -> anyhow::Result<Received> {
        self.guarded(|rpc| {
            let params = json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "okta-mcp-bench", "version": env!("CARGO_PKG_VERSION")},
            });
            let response = rpc.call("initialize", &params)?;
            rpc.notify("notifications/initialized", &json!({}))?;
            Ok(response)
        })
    }

    pub fn list_tools(&mut self) -> anyhow::Result<Received> {
        self.guarded(|rpc| rpc.call("tools/list", &json!({})))
    }

    pub fn call_tool(&mut self, name: &str, arguments: &Value) -> anyhow::Result<Received> {
        self.guarded(|rpc| rpc.call("tools/call", &json!({"name": name, "arguments": arguments})))
    }

    /// Runs `total` identical tool calls keeping `in_flight` requests outstanding on the one
    /// connection; returns the wall time from the first send to the last answer.
    pub fn pipelined(
        &mut self,
        name: &str,
        arguments: &Value,
        total: usize,
        in_flight: usize,
    ) -> anyhow::Result<Duration> {
        let params = json!({"name": name, "arguments": arguments});
        self.guarded(|rpc| {
            let start = Instant::now();
            let mut sent = 0;
            let mut last = start;
            while sent < total.min(in_flight) {
                rpc.send("tools/call", &params)?;
                sent += 1;
            }
            for _ in 0..total {
                let received = rpc.recv()?;
                last = received.at;
                received.ok()?;
                if sent < total {
                    rpc.send("tools/call", &params)?;
                    sent += 1;
                }
            }
            Ok(last - start)
        })
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.pid)
    }
}

impl Drop for ServerProcess {
    /// Closes stdin (the server's cue to exit), waits briefly, then kills what is left.
    fn drop(&mut self) {
        drop(self.rpc.take());
        let Ok(mut child) = self.child.lock() else {
            return;
        };
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reads_rss_and_peak_from_proc_status() {
        let status = "Name:\tokta-mcp-server\nVmPeak:\t  100000 kB\nVmHWM:\t    9000 kB\nVmRSS:\t    8123 kB\nRssAnon:\t    1900 kB\n";
        assert_eq!(
            Memory::parse(status),
            Some(Memory {
                rss_kib: 8123,
                peak_kib: 9000,
                anon_kib: 1900,
            })
        );
        assert_eq!(Memory::parse("VmRSS:\t1 kB\n"), None);
    }

    #[test]
    fn memory_of_this_process_is_plausible() {
        let m = Memory::of(std::process::id()).unwrap();
        assert!(m.rss_kib > 0 && m.peak_kib >= m.rss_kib, "{m:?}");
    }
}
