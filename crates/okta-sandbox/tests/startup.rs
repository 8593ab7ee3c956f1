//! Start-up cost of the default org (200 users and 3 admins, 5,000 log events). Kept in its own test
//! binary so no other test in the process competes for the CPU while it is timed.

use okta_sandbox::{Sandbox, SandboxConfig};
use std::time::{Duration, Instant};

/// CPU time used by this process so far (all threads), from /proc on Linux.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux platform Rust supports.
    Some(Duration::from_millis(ticks * 10))
}

/// Whether other work is starving this machine (1-minute load above twice the cores).
fn machine_is_overloaded() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .is_some_and(|load| load > 2.0 * cores)
}

/// Start-up includes the OAuth server's RSA key generation, whose cost varies run to run
/// (random primes); the best of three starts is what the bound applies to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_org_starts_well_under_a_second() {
    let mut best_wall = Duration::MAX;
    let mut best_cpu = Duration::MAX;
    for _ in 0..3 {
        let cpu_before = process_cpu();
        let started = Instant::now();
        let sandbox = Sandbox::start(SandboxConfig::default())
            .await
            .expect("start");
        best_wall = best_wall.min(started.elapsed());
        if let (Some(before), Some(after)) = (cpu_before, process_cpu()) {
            best_cpu = best_cpu.min(after - before);
        }
        // 200 seeded users and the three seeded admins.
        assert_eq!(sandbox.org().users().len(), 203);
        assert_eq!(sandbox.org().groups().len(), 30);
        assert_eq!(sandbox.org().apps().len(), 20);
        assert_eq!(sandbox.org().log_events().len(), 5000);
        assert!(sandbox.url().starts_with("http://127.0.0.1:"));
        assert!(sandbox.addr().ip().is_loopback());
        sandbox.shutdown().await;
        if best_wall < Duration::from_millis(500) {
            break;
        }
    }
    if best_cpu != Duration::MAX {
        assert!(
            best_cpu < Duration::from_secs(1),
            "Sandbox::start used {best_cpu:?} of CPU"
        );
    }
    // Wall time is only meaningful when the machine is not saturated by other work.
    if machine_is_overloaded() {
        eprintln!(
            "machine overloaded: Sandbox::start took {best_wall:?} (wall-time bound not checked)"
        );
    } else {
        assert!(
            best_wall < Duration::from_secs(1),
            "Sandbox::start took {best_wall:?}"
        );
    }
}
