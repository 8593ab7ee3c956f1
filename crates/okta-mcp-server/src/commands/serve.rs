//! `serve`: MCP over stdio (or Streamable HTTP). Never waits for a person before answering.

use crate::cli::{ServeArgs, Transport};
use crate::server::OktaMcp;
use crate::server::attachments::Attachments;
use crate::settings::Settings;
use anyhow::Context;
use rmcp::ServiceExt;
use std::process::ExitCode;

/// How long the last answers may take to reach stdout once the session has ended.
const STDOUT_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// The same, when a signal ended the session.
const STDOUT_DRAIN_ON_SIGNAL: std::time::Duration = std::time::Duration::from_millis(300);

pub async fn run(settings: Settings, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let stop = crate::shutdown::signal();
    let org = crate::org::connect(settings).await?;
    crate::device_prompt::install(&org.auth);
    // Never waits: a cached token is used as is; otherwise acquisition starts in the background.
    org.auth.start_background();
    match args.transport {
        Transport::Stdio => {
            let attachments = Attachments::new();
            let server = OktaMcp::new(&org, Some(attachments.clone()));
            let (transport, stdout_done) = crate::server::stdio::transport(attachments)
                .context("starting the stdout writer")?;
            tokio::pin!(stop);
            let started = tokio::select! {
                started = server.serve(transport) => started,
                _ = &mut stop => {
                    stdout_done.wait(STDOUT_DRAIN_ON_SIGNAL).await;
                    return Ok(ExitCode::SUCCESS);
                }
            };
            let running = match started {
                Ok(running) => running,
                // A 2026-07-28 client may talk without an initialize handshake and simply
                // close stdin when done: that is a normal end of the session.
                Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
                    tracing::info!("client closed the session");
                    stdout_done.wait(STDOUT_DRAIN).await;
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) => return Err(anyhow::Error::new(e).context("starting the MCP session")),
            };
            let watcher = tokio::spawn(announce_tool_changes(
                org.auth.clone(),
                running.peer().clone(),
            ));
            let session = running.cancellation_token();
            let ended = tokio::select! {
                ended = running.waiting() => Some(ended),
                _ = &mut stop => {
                    session.cancel();
                    None
                }
            };
            watcher.abort();
            match ended {
                Some(ended) => {
                    stdout_done.wait(STDOUT_DRAIN).await;
                    ended.context("MCP session")?;
                }
                // stdin is still open, so the writer cannot finish: give it a moment only.
                None => stdout_done.wait(STDOUT_DRAIN_ON_SIGNAL).await,
            }
        }
        Transport::Http => serve_http(OktaMcp::new(&org, None), &args.bind, stop).await?,
    }
    drop(org);
    Ok(ExitCode::SUCCESS)
}

async fn serve_http(
    server: OktaMcp,
    bind: &str,
    stop: impl Future<Output = crate::shutdown::Signal> + Send + 'static,
) -> anyhow::Result<()> {
    use rmcp::transport::streamable_http_server::{
        StreamableHttpService, session::local::LocalSessionManager,
    };
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        Default::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    if let Ok(addr) = bind.parse::<std::net::SocketAddr>()
        && !addr.ip().is_loopback()
    {
        tracing::warn!(
            address = %addr,
            "the MCP endpoint has no authentication of its own: anyone who can reach this address can act on the Okta org with this server's token; keep it on loopback or behind an authenticating proxy"
        );
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    tracing::info!(address = %listener.local_addr()?, "serving MCP over Streamable HTTP at /mcp");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            stop.await;
        })
        .await
        .context("HTTP server")
}

/// When the granted scopes change (a device flow finished, a token was re-granted), the set
/// of exposed tools changes with them: tell the client to list tools again.
async fn announce_tool_changes(
    auth: std::sync::Arc<okta_auth::Authenticator>,
    peer: rmcp::Peer<rmcp::RoleServer>,
) {
    let mut states = auth.subscribe();
    let mut last = states.borrow().granted_scopes.clone();
    while states.changed().await.is_ok() {
        let now = states.borrow_and_update().granted_scopes.clone();
        if now != last {
            last = now;
            tracing::info!("granted scopes changed; sending notifications/tools/list_changed");
            if peer.notify_tool_list_changed().await.is_err() {
                break;
            }
        }
    }
}
