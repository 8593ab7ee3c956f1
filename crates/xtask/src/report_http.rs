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
            table.checked(
                &format!(
                    "RSS with {} people signed in ({} sessions)",
                    m.people, m.sessions
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
            table.row([
                "RSS of the same replica before anyone signed in",
                &format!("{:.1} MiB", m.before_rss_kib as f64 / MIB),
                "",
                "",
                "",
            ]);
        }
        (None, error) => table.checked(
            "FAILED",
            &crate::rpc::clip(error.as_deref().unwrap_or("not measured"), 400).replace('\n', " "),
            "",
            find(&memory_name(http.plan.idle_people)),
        ),
    }
}

/// `replicas N µs (+ redis M, haproxy K)`.
fn cpu_per_call(row: &HttpRow) -> String {
    let mut text = format!("replicas {:.0} µs", row.replicas_cpu_us_per_call);
    if let Some(redis) = row.redis_cpu_us_per_call {
        text += &format!(", redis-server {redis:.0} µs");
    }
    if let Some(haproxy) = row.haproxy_cpu_us_per_call {
        text += &format!(", haproxy {haproxy:.0} µs");
    }
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
