//! list_users and get_user: sequential latency against the direct-HTTP floor, and throughput
//! with several requests in flight.

use super::{Plan, tool_payload};
use crate::floor::Floor;
use crate::process::ServerProcess;
use crate::stats::Summary;
use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

const LIST_LIMIT: u64 = 20;

#[derive(Debug, Serialize)]
pub struct CallRow {
    pub latency_ms: u64,
    pub tool: String,
    pub http: String,
    pub server_ms: Summary,
    pub floor_ms: Summary,
    pub overhead_p50_ms: f64,
    pub server_calls_per_s: f64,
    pub floor_calls_per_s: f64,
    /// The JSON-RPC response line of one call, and the HTTP body the floor received.
    pub response_bytes: usize,
    pub floor_body_bytes: usize,
}

/// list_users (limit 20) and get_user: sequential latency interleaved with the same request
/// made directly, then throughput with `in_flight` calls outstanding.
pub fn measure(
    server: &mut ServerProcess,
    floor: &Floor,
    plan: &Plan,
    latency: u64,
) -> anyhow::Result<Vec<CallRow>> {
    let list_args = json!({"limit": LIST_LIMIT});
    let first = server.call_tool("list_users", &list_args)?.result()?;
    let payload = tool_payload(&first).context("list_users returned no structured result")?;
    let items = payload["items"]
        .as_array()
        .context("list_users: no items")?;
    if items.len() as u64 != LIST_LIMIT {
        bail!(
            "list_users returned {} users, expected {LIST_LIMIT}",
            items.len()
        );
    }
    let user_id = items[0]["id"]
        .as_str()
        .context("list_users: first user has no id")?
        .to_owned();
    let cases = [
        (
            "list_users",
            list_args,
            format!("GET /api/v1/users?limit={LIST_LIMIT}"),
            format!("/api/v1/users?limit={LIST_LIMIT}"),
        ),
        (
            "get_user",
            json!({"user_id": user_id}),
            "GET /api/v1/users/{id}".to_owned(),
            format!("/api/v1/users/{user_id}"),
        ),
    ];
    let mut rows = Vec::new();
    for (tool, args, http, path) in cases {
        for _ in 0..plan.warmup_calls {
            server.call_tool(tool, &args)?;
            floor.get(&path)?;
        }
        let mut server_lat = Vec::with_capacity(plan.sequential_calls);
        let mut floor_lat = Vec::with_capacity(plan.sequential_calls);
        let (mut response_bytes, mut floor_body_bytes) = (0, 0);
        for _ in 0..plan.sequential_calls {
            let sent = Instant::now();
            let answered = server.call_tool(tool, &args)?;
            server_lat.push(answered.at - sent);
            response_bytes = answered.line.len();
            let sent = Instant::now();
            let (at, body, _) = floor.get(&path)?;
            floor_lat.push(at - sent);
            floor_body_bytes = body.len();
        }
        let wall = server.pipelined(tool, &args, plan.pipelined_calls, plan.in_flight)?;
        let floor_wall = floor_concurrent(floor, &path, plan.pipelined_calls, plan.in_flight)?;
        let server_ms = Summary::of_durations(&server_lat).context("no samples")?;
        let floor_ms = Summary::of_durations(&floor_lat).context("no samples")?;
        rows.push(CallRow {
            latency_ms: latency,
            tool: tool.to_owned(),
            http,
            overhead_p50_ms: server_ms.median - floor_ms.median,
            server_ms,
            floor_ms,
            server_calls_per_s: plan.pipelined_calls as f64 / wall.as_secs_f64(),
            floor_calls_per_s: plan.pipelined_calls as f64 / floor_wall.as_secs_f64(),
            response_bytes,
            floor_body_bytes,
        });
    }
    Ok(rows)
}

/// `total` direct requests from `threads` threads sharing one connection pool.
fn floor_concurrent(
    floor: &Floor,
    path: &str,
    total: usize,
    threads: usize,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = total / threads + usize::from(t < total % threads);
                scope.spawn(move || {
                    for _ in 0..share {
                        floor.get(path)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("floor thread panicked")))
            })
            .collect()
    });
    let wall = start.elapsed();
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(wall)
}
