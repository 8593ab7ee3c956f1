//! The HTTP (team server) part of the report: its targets and its table rows.

use crate::bench::{Deployment, HttpBench, HttpRow};
use crate::report::{Check, MIB, Table, number};

/// The deployment the targets are set for.
const TARGET_DEPLOYMENT: &str = "one replica";
/// The row count the throughput and overhead targets are judged at.
const TARGET_CLIENTS: usize = 10;

fn throughput_name() -> String {
    format!("get_user HTTP throughput, {TARGET_DEPLOYMENT}, {TARGET_CLIENTS} clients")
}

fn overhead_name() -> String {
    format!("get_user HTTP overhead over floor p50, {TARGET_DEPLOYMENT}, {TARGET_CLIENTS} clients")
}

fn memory_name(people: usize) -> String {
    format!("RSS of a replica with {people} signed-in idle people")
}

/// Targets of issue 12: ≥ 2,000 get_user calls/s and ≤ 1 ms p50 overhead at 10 clients on
/// one replica; ≤ 64 MiB per replica with 1,000 signed-in idle people.
pub fn checks(http: &HttpBench) -> Vec<Check> {
    let mut checks = Vec::new();
    let target_row = http
        .deployments
        .iter()
        .find(|d| d.name == TARGET_DEPLOYMENT)
        .and_then(|d| {
            d.rows
                .iter()
                .find(|r| r.tool == "get_user" && r.clients == TARGET_CLIENTS)
        });
    match target_row {
        // Only the memory row was asked for: the call targets are not judged.
        _ if !http.calls_measured => {}
        Some(row) => {
            checks.push(Check::at_least(
                throughput_name(),
                row.server_calls_per_s,
                2000.0,
                "calls/s",
            ));
            checks.push(Check::at_most(
                overhead_name(),
                row.overhead_p50_ms,
                1.0,
                "ms",
            ));
        }
        // Not measured is not met.
        None => {
            checks.push(Check::at_least(throughput_name(), 0.0, 2000.0, "calls/s"));
            checks.push(Check::at_most(overhead_name(), f64::INFINITY, 1.0, "ms"));
        }
    }
    let people = http.plan.idle_people;
    checks.push(Check::at_most(
        memory_name(people),
        http.idle_memory
            .as_ref()
            .map_or(f64::INFINITY, |m| m.rss_kib as f64 / MIB),
        64.0,
        "MiB",
    ));
    checks
}

pub fn render(table: &mut Table, http: &HttpBench, checks: &[Check]) {
    let find = |name: &str| checks.iter().find(|k| k.name == name);
    for deployment in &http.deployments {
        table.section(&format!(
            "HTTP team server: {} ({} store); each client a different signed-in person with its own grant, connection and MCP session",
            deployment.name, deployment.store
        ));
        if let Some(why) = &deployment.skipped {
            table.row(["skipped", why, "", "", ""]);
            continue;
        }
        for row in &deployment.rows {
            let judged = deployment.name == TARGET_DEPLOYMENT
                && row.tool == "get_user"
                && row.clients == TARGET_CLIENTS;
            let label = format!("{} x{} clients", row.tool, row.clients);
            table.checked(
                &format!("{label}: throughput"),
                &format!("{:.0} calls/s", row.server_calls_per_s),
                &format!("{:.0} calls/s", row.floor_calls_per_s),
                find(&throughput_name()).filter(|_| judged),
            );
            table.row([
                &format!("{label}: p50 / p99"),
                &format!(
                    "{} / {} ms",
                    number(row.server_ms.median),
                    number(row.server_ms.p99)
                ),
                &format!(
                    "{} / {} ms",
                    number(row.floor_ms.median),
                    number(row.floor_ms.p99)
                ),
                "",
                "",
            ]);
            table.checked(
                &format!("{label}: overhead at p50"),
                &format!("{} ms", number(row.overhead_p50_ms)),
                "",
                find(&overhead_name()).filter(|_| judged),
            );
            table.row([
                &format!("{label}: CPU per call"),
                &cpu_per_call(row),
                "",
                "",
                "",
            ]);
        }
        if let Some(error) = &deployment.failed {
            table.row([
                "FAILED",
                &crate::rpc::clip(error, 400).replace('\n', " "),
                "",
                "",
                "",
            ]);
        }
    }
    store_cost(table, &http.deployments);
    table.section(&format!(
        "HTTP team server: memory of one replica with {} signed-in idle people (grants, sealed Okta tokens, MCP sessions)",
        http.plan.idle_people
    ));
    match (&http.idle_memory, &http.idle_memory_failed) {
        (Some(m), _) => {
            for (label, kib) in [
                ("RSS before anyone signed in", m.before_rss_kib),
                (
                    "RSS with everyone signed in (no session, no connection)",
                    m.signed_in_rss_kib,
                ),
                (
                    "RSS with sessions and each client's idle connection open",
                    m.connected_rss_kib,
                ),
                (
                    "RSS with sessions just after the connections closed",
                    m.closed_rss_kib,
                ),
            ] {
                table.row([label, &format!("{:.1} MiB", kib as f64 / MIB), "", "", ""]);
            }
            table.checked(
                &format!(
                    "RSS with {} sessions idle {} s, connections closed (as behind a load balancer)",
                    m.sessions,
                    crate::bench::SESSIONS_IDLE.as_secs()
                ),
                &format!(
                    "{:.1} MiB (anon {:.1}, peak {:.1})",
                    m.rss_kib as f64 / MIB,
                    m.anon_kib as f64 / MIB,
                    m.peak_kib as f64 / MIB
                ),
                "",
                find(&memory_name(http.plan.idle_people)),
            );
        }
        (None, error) => table.checked(
            "FAILED",
            &crate::rpc::clip(error.as_deref().unwrap_or("not measured"), 400).replace('\n', " "),
            "",
            find(&memory_name(http.plan.idle_people)),
        ),
    }
}

/// `replicas N µs (+ redis M, haproxy K); sandbox S, harness H (floor: S', H')`.
fn cpu_per_call(row: &HttpRow) -> String {
    let mut text = format!("replicas {:.0} µs", row.replicas_cpu_us_per_call);
    if let Some(redis) = row.redis_cpu_us_per_call {
        text += &format!(", redis-server {redis:.0} µs");
    }
    if let Some(haproxy) = row.haproxy_cpu_us_per_call {
        text += &format!(", haproxy {haproxy:.0} µs");
    }
    text += &format!(
        "; sandbox {:.0}, harness {:.0} (floor: {:.0}, {:.0})",
        row.sandbox_cpu_us_per_call,
        row.harness_cpu_us_per_call,
        row.floor_sandbox_cpu_us_per_call,
        row.floor_harness_cpu_us_per_call
    );
    text
}

/// What the shared store costs per call: each Redis deployment's p50 and CPU per call less
/// those of one replica on the embedded store, row by row.
fn store_cost(table: &mut Table, deployments: &[Deployment]) {
    let Some(embedded) = deployments.iter().find(|d| d.name == TARGET_DEPLOYMENT) else {
        return;
    };
    for shared in deployments
        .iter()
        .filter(|d| d.store == "Redis" && !d.rows.is_empty())
    {
        table.section(&format!(
            "Cost per call of the shared store: {} (Redis) less one replica (embedded store)",
            shared.name
        ));
        for row in &shared.rows {
            let Some(base) = embedded
                .rows
                .iter()
                .find(|b| b.tool == row.tool && b.clients == row.clients)
            else {
                continue;
            };
            let all_cpu = |r: &HttpRow| {
                r.replicas_cpu_us_per_call
                    + r.redis_cpu_us_per_call.unwrap_or(0.0)
                    + r.haproxy_cpu_us_per_call.unwrap_or(0.0)
            };
            table.row([
                &format!("{} x{} clients", row.tool, row.clients),
                &format!(
                    "p50 {:+.2} ms, CPU {:+.0} µs/call",
                    row.server_ms.median - base.server_ms.median,
                    all_cpu(row) - all_cpu(base)
                ),
                "",
                "",
                "",
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{HttpPlan, IdleMemory};
    use crate::stats::Summary;

    fn summary(median: f64) -> Summary {
        Summary::of(&[median]).unwrap()
    }

    fn row(tool: &str, clients: usize, calls_per_s: f64, p50: f64, floor_p50: f64) -> HttpRow {
        HttpRow {
            tool: tool.into(),
            clients,
            server_ms: summary(p50),
            floor_ms: summary(floor_p50),
            overhead_p50_ms: p50 - floor_p50,
            server_calls_per_s: calls_per_s,
            floor_calls_per_s: 10_000.0,
            replicas_cpu_us_per_call: 300.0,
            redis_cpu_us_per_call: None,
            haproxy_cpu_us_per_call: None,
            sandbox_cpu_us_per_call: 60.0,
            harness_cpu_us_per_call: 80.0,
            floor_sandbox_cpu_us_per_call: 30.0,
            floor_harness_cpu_us_per_call: 40.0,
        }
    }

    fn bench(rows: Vec<HttpRow>, rss_kib: Option<u64>) -> HttpBench {
        HttpBench {
            calls_measured: true,
            plan: HttpPlan::new(true),
            deployments: vec![Deployment {
                name: TARGET_DEPLOYMENT.into(),
                replicas: 1,
                store: "embedded (SQLite)".into(),
                rows,
                skipped: None,
                failed: None,
            }],
            idle_memory: rss_kib.map(|rss_kib| IdleMemory {
                people: 1000,
                before_rss_kib: 9000,
                signed_in_rss_kib: rss_kib,
                connected_rss_kib: rss_kib,
                closed_rss_kib: rss_kib,
                rss_kib,
                anon_kib: rss_kib / 2,
                peak_kib: rss_kib,
                sessions: 1000,
            }),
            idle_memory_failed: None,
        }
    }

    #[test]
    fn targets_are_judged_on_get_user_with_ten_clients_on_one_replica() {
        let rows = vec![
            row("get_user", 1, 100.0, 5.0, 0.1),
            row("get_user", 10, 2500.0, 1.5, 0.8),
            row("list_users", 10, 10.0, 50.0, 1.0),
        ];
        let checks = checks(&bench(rows, Some(40 * 1024)));
        let verdicts: Vec<(&str, bool)> =
            checks.iter().map(|c| (c.name.as_str(), c.pass)).collect();
        assert_eq!(
            verdicts,
            vec![
                (throughput_name().as_str(), true),
                (overhead_name().as_str(), true),
                (memory_name(1000).as_str(), true),
            ]
        );
        let slow = checks_of(vec![row("get_user", 10, 1999.0, 2.0, 0.5)], Some(65 * 1024));
        assert!(slow.iter().all(|c| !c.pass), "{slow:?}");
    }

    fn checks_of(rows: Vec<HttpRow>, rss_kib: Option<u64>) -> Vec<Check> {
        checks(&bench(rows, rss_kib))
    }

    #[test]
    fn a_target_not_measured_is_not_met() {
        let checks = checks_of(Vec::new(), None);
        assert_eq!(checks.len(), 3);
        assert!(checks.iter().all(|c| !c.pass), "{checks:?}");
    }

    /// `--part http-memory`: the call rows were not asked for, so only memory is judged
    /// (not three targets with two failed for want of figures).
    #[test]
    fn a_memory_only_run_judges_only_memory() {
        let mut memory_only = bench(Vec::new(), Some(40 * 1024));
        memory_only.calls_measured = false;
        let checks = checks(&memory_only);
        let verdicts: Vec<(&str, bool)> =
            checks.iter().map(|c| (c.name.as_str(), c.pass)).collect();
        assert_eq!(verdicts, vec![(memory_name(1000).as_str(), true)]);
    }
}
