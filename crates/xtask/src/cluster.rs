//! The pieces of a team deployment besides the replicas: a redis-server and an HAProxy
//! round-robin in front of the replicas, both on loopback and killed when dropped.

use anyhow::{Context, bail};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long redis-server or haproxy may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// An external program: from its env var (as .ci/run sets it for the tests), else the
/// Debian package's path, else PATH. None when it is not installed.
pub fn external_tool(var: &str, debian_path: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    if Path::new(debian_path).is_file() {
        return Some(PathBuf::from(debian_path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A child process on a loopback port.
pub struct Listener {
    child: Child,
    pub pid: u32,
    pub port: u16,
}

impl Listener {
    fn spawn(mut command: Command, port: u16, log: &Path, what: &str) -> anyhow::Result<Self> {
        command
            .stdin(Stdio::null())
            .stdout(File::create(log).with_context(|| format!("creating the {what} log"))?)
            .stderr(Stdio::from(
                File::options()
                    .append(true)
                    .open(log)
                    .with_context(|| format!("opening the {what} log"))?,
            ));
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                bail!("{what} exited at start ({status}); see {}", log.display());
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "{what} did not listen on 127.0.0.1:{port}; see {}",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Listener {
            pid: child.id(),
            child,
            port,
        })
    }

    /// `redis-server` on `port`, nothing persisted.
    pub fn redis(program: &Path, port: u16, log: &Path) -> anyhow::Result<Self> {
        let mut command = Command::new(program);
        command.arg("--port").arg(port.to_string()).args([
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        Self::spawn(command, port, log, "redis-server")
    }

    /// `haproxy` in the foreground, round-robin over `backends` (loopback ports).
    pub fn haproxy(
        program: &Path,
        port: u16,
        backends: &[u16],
        config_dir: &Path,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let config = config_dir.join("haproxy.cfg");
        std::fs::write(&config, haproxy_config(port, backends))
            .with_context(|| format!("writing {}", config.display()))?;
        let mut command = Command::new(program);
        command.arg("-db").arg("-f").arg(&config);
        Self::spawn(command, port, log, "haproxy")
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HTTP mode, so each request (not each connection) is balanced; keep-alive both sides.
fn haproxy_config(port: u16, backends: &[u16]) -> String {
    let mut config = format!(
        "global\n    maxconn 4096\n\ndefaults\n    mode http\n    option http-keep-alive\n    timeout connect 5s\n    timeout client 300s\n    timeout server 300s\n\nfrontend mcp\n    bind 127.0.0.1:{port}\n    default_backend replicas\n\nbackend replicas\n    balance roundrobin\n"
    );
    for (n, backend) in backends.iter().enumerate() {
        config += &format!("    server replica{n} 127.0.0.1:{backend}\n");
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haproxy_balances_every_backend_round_robin_in_http_mode() {
        let config = haproxy_config(8080, &[9001, 9002]);
        assert!(config.contains("mode http"));
        assert!(config.contains("bind 127.0.0.1:8080"));
        assert!(config.contains("balance roundrobin"));
        assert!(config.contains("server replica0 127.0.0.1:9001"));
        assert!(config.contains("server replica1 127.0.0.1:9002"));
    }
}
