//! `serve`: MCP over stdio (or Streamable HTTP). Never waits for a person before answering.

use crate::cli::{HttpAuth, ServeArgs, Transport};
use crate::server::OktaMcp;
use crate::server::stdio::rendered_replies::RenderedReplies;
use crate::settings::Settings;
use anyhow::Context;
use rmcp::ServiceExt;
use std::process::ExitCode;

/// How long the last answers may take to reach stdout once the session has ended.
const STDOUT_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// The same, when a signal ended the session.
const STDOUT_DRAIN_ON_SIGNAL: std::time::Duration = std::time::Duration::from_millis(300);

pub async fn run(mut settings: Settings, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // Listening starts now, so a signal during start-up is not lost to the default action.
    let stop = crate::shutdown::signal();
    let team = args.transport == Transport::Http && args.auth == HttpAuth::Oauth;
    if team {
        // The server's own token is never used in team mode: don't touch the keyring.
        settings.token_store = okta_auth::StoreKind::Memory;
    }
    let mut org = crate::org::connect(settings).await?;
    org.open_audit()?;
    if team {
        serve_team(&org, &args.bind, stop).await?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::device_prompt::install(&org.auth);
    // Never waits: a cached token is used as is; otherwise acquisition starts in the background.
    org.auth.start_background();
    match args.transport {
        Transport::Stdio => {
            let replies = RenderedReplies::new();
            let server = OktaMcp::new(&org, Some(replies.clone()));
            let (transport, stdout_done) =
                crate::server::stdio::transport(replies).context("starting the stdout writer")?;
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
        // Without sign-in (`--auth none`) only loopback binds start.
        Transport::Http => {
            let server = OktaMcp::new(&org, None);
            crate::server::http::serve(server, &org.settings, &args.bind, None, stop).await?
        }
    }
    drop(org);
    Ok(ExitCode::SUCCESS)
}

/// `serve --transport http --auth oauth`: the MCP endpoint behind MCP authorization, each
/// person signed in with Okta and acting as themselves.
async fn serve_team(
    org: &crate::org::Org,
    bind: &str,
    stop: impl Future<Output = crate::shutdown::Signal> + Send + 'static,
) -> anyhow::Result<()> {
    let public = match &org.settings.public_url {
        Some(url) => url.clone(),
        // On loopback the bound address is the public one (trying it out, tests).
        None => match bind.parse::<std::net::SocketAddr>() {
            Ok(addr) if addr.ip().is_loopback() && addr.port() != 0 => {
                url::Url::parse(&format!("http://{addr}")).context("the bound address as a URL")?
            }
            _ => anyhow::bail!(
                "OKTA_MCP_PUBLIC_URL: not set; team mode needs the URL clients reach this server at (the https:// URL of the TLS proxy in front of it)"
            ),
        },
    };
    // Replicas on one Redis pace together on the org's rate limits.
    let client = match &org.settings.state_url {
        Some(url) => org
            .client
            .clone()
            .with_shared_rate_view(std::sync::Arc::new(
                crate::team::rate_view::RedisRateView::open(url)?,
            )),
        None => org.client.clone(),
    };
    let team = std::sync::Arc::new(crate::team::Team::new(
        &org.settings,
        &public,
        client,
        org.http.clone(),
        org.audit.clone(),
    )?);
    let server = OktaMcp::for_team(org, team.people.clone());
    crate::server::http::serve(server, &org.settings, bind, Some(team), stop).await
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
