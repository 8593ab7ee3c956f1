//! `sandbox`: the sandbox org standalone, for tests, benchmarks and exploring.

use crate::cli::SandboxArgs;
use crate::cli_output;
use anyhow::Context;
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(args: &SandboxArgs) -> anyhow::Result<ExitCode> {
    let stop = crate::shutdown::signal();
    let mut config = okta_sandbox::SandboxConfig {
        seed: args.seed,
        port: args.port,
        access_token_ttl: Duration::from_secs(args.token_ttl.max(1)),
        key_dir: args.key_dir.clone(),
        redirect_uris: args.redirect_uris.clone(),
        extra_admins: args.extra_admins,
        ..Default::default()
    };
    config.faults.latency = Duration::from_millis(args.latency_ms);
    config.faults.rate_limits = args
        .rate_limits
        .parse::<okta_sandbox::faults::RateLimits>()
        .map_err(|e| anyhow::anyhow!("--rate-limits: {e}"))?;
    let sandbox = okta_sandbox::Sandbox::start(config)
        .await
        .context("starting the sandbox org")?;
    let service = sandbox.service_client();
    let device = sandbox.device_client();
    let web = sandbox.web_client();
    let web_jwt = sandbox.web_jwt_client();
    // A throwaway local org: printing its credentials is the point of this command.
    cli_output::print_json(&json!({
        "org_url": sandbox.url(),
        "service_client": {
            "OKTA_CLIENT_ID": service.client_id,
            "OKTA_KEY_ID": service.key_id,
            "OKTA_PRIVATE_KEY_FILE": service.private_key_file,
        },
        "device_client": {"OKTA_CLIENT_ID": device.client_id},
        "web_client": {
            "OKTA_CLIENT_ID": web.client_id,
            "OKTA_CLIENT_SECRET": web.client_secret,
            "redirect_uris": args.redirect_uris,
        },
        "web_jwt_client": {
            "OKTA_CLIENT_ID": web_jwt.client_id,
            "OKTA_KEY_ID": web_jwt.key_id,
            "OKTA_PRIVATE_KEY_FILE": web_jwt.private_key_file,
            "redirect_uris": args.redirect_uris,
        },
        "admins": {
            "password": okta_sandbox::oauth::SANDBOX_PASSWORD,
            "SUPER_ADMIN": okta_sandbox::oauth::SUPER_ADMIN_LOGIN,
            "HELP_DESK_ADMIN": okta_sandbox::oauth::HELP_DESK_ADMIN_LOGIN,
            "READ_ONLY_ADMIN": okta_sandbox::oauth::READ_ONLY_ADMIN_LOGIN,
            "extra_super_admins": (0..args.extra_admins).map(okta_sandbox::extra_admin_login).collect::<Vec<_>>(),
        },
    }));
    stop.await;
    drop(sandbox);
    Ok(ExitCode::SUCCESS)
}
