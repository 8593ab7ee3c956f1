//! `call TOOL 'JSON'`: runs one tool exactly as an MCP client would, and prints the result.

use crate::cli_output;
use crate::server::{OktaMcp, ToolAnswer, confirm::Gate};
use crate::settings::Settings;
use anyhow::Context;
use rmcp::model::CallToolResponse;
use std::process::ExitCode;

pub async fn run(settings: Settings, tool: &str, arguments: &str) -> anyhow::Result<ExitCode> {
    let args: serde_json::Value = serde_json::from_str(arguments).with_context(|| {
        format!("arguments must be a JSON object, e.g. '{{\"limit\": 3}}'; got {arguments:?}")
    })?;
    let serde_json::Value::Object(args) = args else {
        anyhow::bail!("arguments must be a JSON object, e.g. '{{\"limit\": 3}}'");
    };
    let mut org = crate::org::connect(settings).await?;
    org.open_audit()?;
    let server = OktaMcp::new(&org, None);
    let response = server
        .run_tool(
            tool,
            args,
            Gate::Cli,
            None,
            tokio_util::sync::CancellationToken::new(),
        )
        .await
        .and_then(ToolAnswer::into_response)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let CallToolResponse::Complete(result) = response else {
        anyhow::bail!("the tool asked for input this command cannot give");
    };
    let failed = result.is_error == Some(true);
    let body = result.structured_content.unwrap_or(serde_json::Value::Null);
    cli_output::print_json(&body);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
