//! Repository tasks. `cargo run --release -p xtask -- bench` runs the benchmark;
//! `startup-order` remakes the release link order of start-up functions; `package` builds and
//! tests every install package (wheel, npm, MCP Bundle, crates, release archive).

mod bench;
mod cluster;
mod floor;
mod machine;
mod package;
mod process;
mod report;
mod report_http;
mod rpc;
mod startup_order;
mod stats;
mod team;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "xtask", about = "Repository tasks")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand, Debug)]
enum Task {
    /// Build the release server and measure it against the sandbox org on loopback.
    Bench {
        /// Fewer iterations: a smoke test of the harness, not figures to quote.
        #[arg(long)]
        quick: bool,
        /// Where to write the results as JSON (default: <target dir>/bench/results.json).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Measure this server binary instead of building one.
        #[arg(long)]
        server: Option<PathBuf>,
        /// Which rows: all, stdio (the personal server) or http (the team server).
        #[arg(long, value_enum, default_value = "all")]
        part: bench::Part,
        /// Run only get_user with 10 clients on one team server replica run by callgrind
        /// (instrumented during that row only), writing the profile into this directory.
        #[arg(long, value_name = "DIR")]
        callgrind: Option<PathBuf>,
    },
    /// Profile the release server's start-up (valgrind) and write the functions it runs to
    /// crates/okta-mcp-server/startup-order.txt, which the release link places first.
    StartupOrder {
        /// Only report how many listed functions the release binary still has.
        #[arg(long)]
        check: bool,
        /// Where to write the list (default: crates/okta-mcp-server/startup-order.txt).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build every install package from one release build into target/dist, install each the
    /// way a user would and start it against --demo (tools: packaging/install-tools.sh).
    Package {
        /// A Python with the MCP SDK, maturin, uv and jsonschema
        /// (default: $OKTA_MCP_TEST_PYTHON, else target/venv-mcp/bin/python).
        #[arg(long)]
        python: Option<PathBuf>,
        /// The npm prefix holding @anthropic-ai/mcpb (default: target/npm-tools).
        #[arg(long)]
        npm_tools: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Task::Bench {
            quick,
            json,
            server,
            part,
            callgrind,
        } => {
            let options = bench::Options {
                quick,
                json: json.unwrap_or_else(default_json_path),
                server,
                part,
                callgrind,
            };
            report(bench::run(&options))
        }
        Task::Package { python, npm_tools } => {
            report(package::run(package::Options { python, npm_tools }))
        }
        Task::StartupOrder { check, out } => report(startup_order::run(
            &out.unwrap_or_else(startup_order::default_path),
            check,
        )),
    }
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `target/bench/results.json`, in CARGO_TARGET_DIR when that is set.
fn default_json_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench").join("results.json")
}
