//! okta-mcp-server: an MCP server for administering an Okta org.
#![deny(clippy::print_stdout, clippy::dbg_macro)]
// ToolError carries Okta's error body inline; errors are the cold path after a network
// round trip, so boxing them would buy nothing measurable.
#![allow(clippy::result_large_err)]

mod allocator;
mod audit;
mod caller;
mod cli;
mod commands;
mod device_prompt;
#[cfg(test)]
mod docs;
mod logging;
mod org;
mod output;
mod rendered;
mod server;
mod settings;
mod shutdown;
mod team;
mod tools;

use clap::Parser;
use cli::{Cli, Command, ServeArgs};
use std::process::ExitCode;

fn main() -> ExitCode {
    allocator::tune();
    forget_empty_settings();
    let mut cli = Cli::parse();
    // Completions and the man page describe the CLI itself: no setting applies to them.
    match &cli.command {
        Some(Command::Completions { shell }) => return commands::completions::print_script(*shell),
        Some(Command::Man) => return commands::completions::print_man_page(),
        _ => {}
    }
    // The sandbox serves an org; it needs none of the settings that point at one.
    let global = match &cli.command {
        Some(Command::Sandbox(_)) => cli::GlobalArgs {
            demo: Some(true),
            log_level: cli.global.log_level.clone(),
            ..Default::default()
        },
        // The journal reader needs no org either: only where the journal is (the file, or
        // the shared stream in the Redis of OKTA_MCP_STATE_URL).
        Some(Command::Audit(_)) => cli::GlobalArgs {
            demo: Some(true),
            log_level: cli.global.log_level.clone(),
            audit_log: cli.global.audit_log.clone(),
            state_url: cli.global.state_url.clone(),
            ..Default::default()
        },
        _ => std::mem::take(&mut cli.global),
    };
    let settings = match settings::Settings::from_args(&global) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("okta-mcp-server: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("okta-mcp-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            // Serving and the sandbox stop on a signal themselves, finishing what is in flight.
            None => commands::serve::run(settings, &ServeArgs::default()).await,
            Some(Command::Serve(args)) => commands::serve::run(settings, args).await,
            Some(Command::Sandbox(args)) => commands::sandbox::run(args).await,
            Some(Command::Tools { json }) => {
                until_signal(commands::tools::run(settings, *json)).await
            }
            Some(Command::Call { tool, arguments }) => {
                until_signal(commands::call::run(settings, tool, arguments)).await
            }
            Some(Command::Auth(command)) => {
                until_signal(commands::auth::run(settings, command)).await
            }
            Some(Command::Sessions(command)) => {
                until_signal(commands::sessions::run(settings, command)).await
            }
            Some(Command::Audit(args)) => until_signal(commands::audit::run(settings, args)).await,
            // Answered above, before the settings were read.
            Some(Command::Completions { .. } | Command::Man) => Ok(ExitCode::SUCCESS),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("okta-mcp-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a one-shot command until it ends or a signal asks to stop; stopping drops it where
/// it is, which cleans up what it holds (the demo org and its key directory).
async fn until_signal(
    command: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    let stop = shutdown::signal();
    tokio::select! {
        result = command => result,
        signal = stop => {
            eprintln!("okta-mcp-server: interrupted");
            Ok(signal.exit_code())
        }
    }
}

/// An empty OKTA_* variable means unset. MCP clients fill an optional setting the user left
/// blank with an empty string (a Claude Desktop bundle passes `OKTA_PRIVATE_KEY_FILE=""` when
/// no key file was picked), and clap would refuse an empty path instead of ignoring it.
fn forget_empty_settings() {
    let empty: Vec<std::ffi::OsString> = std::env::vars_os()
        .filter(|(key, value)| value.is_empty() && key.to_string_lossy().starts_with("OKTA_"))
        .map(|(key, _)| key)
        .collect();
    for key in empty {
        // SAFETY: called first thing in main, before any thread exists that could read the
        // environment at the same time.
        unsafe { std::env::remove_var(key) };
    }
}
