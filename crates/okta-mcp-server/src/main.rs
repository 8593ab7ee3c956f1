//! okta-mcp-server: an MCP server for administering an Okta org.
#![deny(clippy::print_stdout, clippy::dbg_macro)]
// ToolError carries Okta's error body inline; errors are the cold path after a network
// round trip, so boxing them would buy nothing measurable.
#![allow(clippy::result_large_err)]

mod allocator;
mod audit;
mod caller;
mod cli;
mod cli_output;
mod commands;
mod demo;
mod device_prompt;
#[cfg(test)]
mod docs;
mod logging;
mod org;
mod rendered_json;
mod server;
mod settings;
mod shutdown;
mod team;
mod tools;

use clap::Parser;
use cli::{Cli, Command, ServeArgs};
use std::process::ExitCode;

/// Runtime threads of everything but the team server: one person's calls over stdio, or a
/// command, never keep more than two threads busy, and each thread costs memory (its stack,
/// its malloc arena) that counts against the personal server's idle footprint.
const PERSONAL_WORKER_THREADS: usize = 2;

/// The team server (`serve --transport http`) serves everyone at once: one runtime thread
/// per core the process may use (its cgroup's CPU quota counts), or `--worker-threads`, so a
/// replica on a larger host uses it rather than two cores. Always set here, never left to
/// tokio, which would read `TOKIO_WORKER_THREADS` and panic on a bad value.
fn worker_threads(command: &Command) -> usize {
    match command {
        Command::Serve(args) if args.transport == cli::Transport::Http => match args.worker_threads
        {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
        _ => PERSONAL_WORKER_THREADS,
    }
}

fn main() -> ExitCode {
    allocator::tune();
    forget_empty_settings();
    let mut cli = Cli::parse();
    // A bare `okta-mcp-server` serves, as `serve` with its options from the environment.
    let command = match cli.command.take() {
        Some(command) => command,
        None => match ServeArgs::from_env() {
            Ok(args) => Command::Serve(args),
            Err(e) => e.exit(),
        },
    };
    // Completions and the man page describe the CLI itself: no setting applies to them.
    match &command {
        Command::Completions { shell } => return commands::completions::print_script(*shell),
        Command::Man => return commands::completions::print_man_page(),
        _ => {}
    }
    if demo::requested_but_built_without(&command, cli.global.demo) {
        return demo::refuse();
    }
    // The sandbox serves an org; it needs none of the settings that point at one.
    let global = match &command {
        Command::Sandbox(_) => cli::GlobalArgs {
            demo: Some(true),
            log_level: cli.global.log_level.clone(),
            ..Default::default()
        },
        // The journal reader needs no org either: only where the journal is (the file, or
        // the shared stream in the Redis of OKTA_MCP_STATE_URL).
        Command::Audit(_) => cli::GlobalArgs {
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
        .worker_threads(worker_threads(&command))
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
        match &command {
            // Serving and the sandbox stop on a signal themselves, finishing what is in flight.
            Command::Serve(args) => commands::serve::run(settings, args).await,
            #[cfg(feature = "demo")]
            Command::Sandbox(args) => commands::sandbox::run(args).await,
            // Refused above, before the settings were read.
            #[cfg(not(feature = "demo"))]
            Command::Sandbox(_) => Ok(demo::refuse()),
            Command::Tools { json } => until_signal(commands::tools::run(settings, *json)).await,
            Command::Call { tool, arguments } => {
                until_signal(commands::call::run(settings, tool, arguments)).await
            }
            Command::Auth(command) => until_signal(commands::auth::run(settings, command)).await,
            Command::Sessions(command) => {
                until_signal(commands::sessions::run(settings, command)).await
            }
            Command::Audit(args) => until_signal(commands::audit::run(settings, args)).await,
            // Answered above, before the settings were read.
            Command::Completions { .. } | Command::Man => Ok(ExitCode::SUCCESS),
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
