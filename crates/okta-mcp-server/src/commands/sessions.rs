//! `sessions list | revoke USER`: who is signed in to the team server, and ending a person's
//! access on the spot (their server grants deleted, their Okta tokens revoked at the org and
//! deleted). Works on the state file while the server runs.

use crate::cli::SessionsCommand;
use crate::settings::Settings;
use crate::team::{self, Revocation};
use anyhow::Context;
use okta_auth::Secret;
use serde_json::json;
use std::process::ExitCode;

pub async fn run(settings: Settings, command: &SessionsCommand) -> anyhow::Result<ExitCode> {
    let state = team::open_state(&settings)?;
    match command {
        SessionsCommand::List { json } => list(&state, *json).await,
        SessionsCommand::Revoke { user } => revoke(&settings, &state, user).await,
    }
}

fn time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

async fn list(state: &team::state::State, as_json: bool) -> anyhow::Result<ExitCode> {
    let grants = state.grants().await?;
    let mut rows = Vec::new();
    for grant in &grants {
        let last_used = state.last_used(&grant.grant_id).await?;
        rows.push(json!({
            "login": grant.login,
            "user_id": grant.user_id,
            "client_id": grant.client_id,
            "client_name": grant.client_name,
            "scopes": grant.scopes,
            "since": time(grant.created_at),
            "last_used": last_used.map(time),
        }));
    }
    if as_json {
        crate::cli_output::print_json(&json!({ "sessions": rows }));
    } else if rows.is_empty() {
        crate::cli_output::print_line("nobody is signed in");
    } else {
        crate::cli_output::print_line("LOGIN\tUSER ID\tCLIENT\tSINCE\tLAST USED");
        for row in &rows {
            let client = row["client_name"]
                .as_str()
                .unwrap_or(row["client_id"].as_str().unwrap_or(""));
            crate::cli_output::print_line(&format!(
                "{}\t{}\t{}\t{}\t{}",
                row["login"].as_str().unwrap_or(""),
                row["user_id"].as_str().unwrap_or(""),
                client,
                row["since"].as_str().unwrap_or(""),
                row["last_used"].as_str().unwrap_or("-"),
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn revoke(
    settings: &Settings,
    state: &team::state::State,
    user: &str,
) -> anyhow::Result<ExitCode> {
    let user = user.trim();
    let grants: Vec<_> = state
        .grants()
        .await?
        .into_iter()
        .filter(|g| g.user_id == user || g.login.eq_ignore_ascii_case(user))
        .collect();
    let user_ids: std::collections::BTreeSet<String> = if grants.is_empty() {
        // Signed out of every client already, perhaps still holding Okta tokens.
        std::iter::once(user.to_owned()).collect()
    } else {
        grants.iter().map(|g| g.user_id.clone()).collect()
    };
    // Ending access is urgent: a journal that cannot be opened is reported, not fatal.
    let journal = match settings.audit_log.path() {
        Ok(Some(path)) => match crate::audit::AuditJournal::open(path) {
            Ok(journal) => Some(journal),
            Err(e) => {
                tracing::warn!(journal = %path.display(), error = %e, "cannot open the audit journal; the revocation is not journaled");
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "the revocation is not journaled");
            None
        }
    };
    for grant in &grants {
        if state.revoke_grant(&grant.grant_id).await? {
            team::on_revoked(journal.as_ref(), grant, Revocation::ByOperator).await;
        }
    }
    let mut revoked_upstream = 0;
    for user_id in &user_ids {
        let Some(tokens) = state.upstream(user_id).await? else {
            continue;
        };
        // Deleted first: from now on the server cannot act for them whatever Okta answers.
        state.delete_upstream(user_id).await?;
        revoke_at_okta(settings, &tokens).await;
        revoked_upstream += 1;
    }
    if grants.is_empty() && revoked_upstream == 0 {
        crate::cli_output::print_line(&format!(
            "{user} has no session here (see `okta-mcp-server sessions list`)"
        ));
        return Ok(ExitCode::from(1));
    }
    crate::cli_output::print_line(&format!(
        "revoked {} session(s) of {user}; their Okta tokens were revoked at the org",
        grants.len()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Revokes a person's Okta tokens at the org; a failure is reported, not fatal (the server
/// already forgot them).
async fn revoke_at_okta(settings: &Settings, tokens: &team::state::UpstreamTokens) {
    let result: anyhow::Result<()> = async {
        let org = settings.org.as_ref().context("no org configured")?;
        let config = okta_client::ClientConfig::new(org.org_url.clone());
        let http = okta_client::http_client(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
        let web = okta_auth::web::WebClient::new(
            &org.org_url,
            &org.client_id,
            team::web_client_auth(settings)?,
            http,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(refresh) = &tokens.refresh_token {
            web.revoke(&Secret::new(refresh.clone()), "refresh_token")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        web.revoke(&Secret::new(tokens.access_token.clone()), "access_token")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(login = %tokens.login, error = %e, "could not revoke a person's Okta tokens at the org; the server no longer holds them");
    }
}
