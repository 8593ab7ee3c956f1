//! `serve`: MCP over stdio (or Streamable HTTP). Never waits for a person before answering.

use crate::cli::{ServeArgs, Transport};
use crate::server::OktaMcp;
use crate::settings::Settings;
use anyhow::Context;
use rmcp::ServiceExt;
use std::process::ExitCode;

pub async fn run(settings: Settings, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let org = crate::org::connect(settings).await?;
    let server = OktaMcp::new(&org);
    match args.transport {
        Transport::Stdio => {
            let running = server
                .serve(rmcp::transport::stdio())
                .await
                .context("starting the MCP session")?;
            running.waiting().await.context("MCP session")?;
        }
        Transport::Http => serve_http(server, &args.bind).await?,
    }
    drop(org);
    Ok(ExitCode::SUCCESS)
}

async fn serve_http(server: OktaMcp, bind: &str) -> anyhow::Result<()> {
    use rmcp::transport::streamable_http_server::{
        StreamableHttpService, session::local::LocalSessionManager,
    };
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        Default::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    tracing::info!(address = %listener.local_addr()?, "serving MCP over Streamable HTTP at /mcp");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("HTTP server")
}
