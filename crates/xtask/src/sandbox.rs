//! The sandbox org the benchmark measures against, served from its own process (this binary,
//! `xtask bench-sandbox`): the seeded org with the requested latency, and rate limits so high
//! that neither the server (which paces itself on `X-Rate-Limit-*`) nor the floor is throttled.
#![allow(clippy::print_stdout)]

use anyhow::Context;
use okta_sandbox::faults::RateLimits;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Requests per window the sandbox advertises: far beyond what any benchmark run sends.
pub const UNTHROTTLED_LIMIT: u64 = 1_000_000_000;

/// Serves until killed, after printing the same credentials JSON as `okta-mcp-server sandbox`.
pub fn serve(latency_ms: u64, key_dir: PathBuf) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let mut config = okta_sandbox::SandboxConfig {
            key_dir: Some(key_dir),
            ..Default::default()
        };
        config.faults.latency = Duration::from_millis(latency_ms);
        config.faults.rate_limits = RateLimits {
            enforce: false,
            window: Duration::from_secs(60),
            per_family: Vec::new(),
            default_limit: UNTHROTTLED_LIMIT,
        };
        let sandbox = okta_sandbox::Sandbox::start(config)
            .await
            .context("starting the sandbox org")?;
        let service = sandbox.service_client();
        let info = json!({
            "org_url": sandbox.url(),
            "service_client": {
                "OKTA_CLIENT_ID": service.client_id,
                "OKTA_KEY_ID": service.key_id,
                "OKTA_PRIVATE_KEY_FILE": service.private_key_file,
            },
        });
        let mut out = std::io::stdout().lock();
        writeln!(out, "{info}").and_then(|()| out.flush())?;
        drop(out);
        std::future::pending::<()>().await;
        Ok(())
    })
}
