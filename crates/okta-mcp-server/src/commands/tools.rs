//! `tools`: what this configuration exposes, without connecting to the org.

use crate::cli_output;
use crate::server::exposure;
use crate::settings::Settings;
use std::collections::BTreeSet;
use std::process::ExitCode;

pub async fn run(settings: Settings, json: bool) -> anyhow::Result<ExitCode> {
    let granted: BTreeSet<String> = if settings.demo {
        crate::tools::all_scopes().into_iter().collect()
    } else {
        settings.scopes.iter().cloned().collect()
    };
    let tools: Vec<_> = crate::tools::all_tools()
        .into_iter()
        .filter(|t| exposure::check(t, &settings, &granted).is_ok())
        .collect();
    if json {
        let defs: Vec<_> = tools.iter().map(|t| t.mcp_tool()).collect();
        cli_output::print_json(&serde_json::to_value(defs)?);
    } else {
        for t in &tools {
            let access = if t.is_read_only() {
                "read "
            } else if t.needs_confirmation() {
                "DESTR"
            } else {
                "write"
            };
            cli_output::print_line(&format!(
                "{:<40} {access}  {}",
                t.spec.name,
                t.spec.scope.unwrap_or("-")
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
