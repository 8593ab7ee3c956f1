//! A closed loop of N concurrent clients on one thread: each sends its next call as soon as
//! its previous one is answered. What it yields: calls/s over the wall time, and every
//! call's latency.

use anyhow::Context;
use std::future::Future;
use std::time::{Duration, Instant};

/// One client of the loop: makes one call and waits for its answer.
pub trait Call {
    fn call(&mut self) -> impl Future<Output = anyhow::Result<()>>;
}

/// What a run of the loop measured.
pub struct Load {
    pub wall: Duration,
    pub latencies: Vec<Duration>,
}

impl Load {
    pub fn calls_per_s(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
}

/// Every client makes `warmup` unmeasured calls, then `per_client` measured ones, all
/// clients concurrently. The first error ends the run.
pub async fn closed_loop<C: Call>(
    clients: &mut [C],
    warmup: usize,
    per_client: usize,
) -> anyhow::Result<Load> {
    futures::future::try_join_all(clients.iter_mut().map(|c| async move {
        for _ in 0..warmup {
            c.call().await?;
        }
        anyhow::Ok(())
    }))
    .await
    .context("warm-up")?;
    let start = Instant::now();
    let per_client_latencies =
        futures::future::try_join_all(clients.iter_mut().map(|c| async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let sent = Instant::now();
                c.call().await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }))
        .await?;
    Ok(Load {
        wall: start.elapsed(),
        latencies: per_client_latencies.into_iter().flatten().collect(),
    })
}

/// CPU time a process has used (user + system), from /proc/PID/stat.
pub fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_cpu_ticks(&text)
        .map(|ticks| Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second()))
        .with_context(|| format!("no utime/stime in {path}"))
}

/// utime + stime (fields 14 and 15) of a /proc/PID/stat line; the command name (field 2)
/// may hold spaces and parentheses, so fields are counted after its last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// USER_HZ: 100 on every Linux the project targets (getconf CLK_TCK says otherwise if not).
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|hz| *hz > 0.0)
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_the_command_name() {
        let stat =
            "4242 (okta (mcp) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 123 45 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(168));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(cpu_time(std::process::id()).is_ok());
    }

    struct Counter(usize);

    impl Call for Counter {
        async fn call(&mut self) -> anyhow::Result<()> {
            self.0 += 1;
            tokio::task::yield_now().await;
            Ok(())
        }
    }

    #[test]
    fn every_client_makes_its_calls_and_each_is_timed() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut clients = vec![Counter(0), Counter(0), Counter(0)];
        let load = runtime.block_on(closed_loop(&mut clients, 2, 5)).unwrap();
        assert_eq!(load.latencies.len(), 15);
        assert!(clients.iter().all(|c| c.0 == 7));
        assert!(load.calls_per_s() > 0.0);
    }
}
