//! `auth login | logout | status | token`: the token cache from a terminal. Only `token`
//! prints a token, and only to stdout for a script to capture.

use crate::cli::AuthCommand;
use crate::cli_output;
use crate::settings::Settings;
use std::process::ExitCode;

pub async fn run(settings: Settings, command: &AuthCommand) -> anyhow::Result<ExitCode> {
    let org = crate::org::connect(settings).await?;
    let auth = &org.auth;
    crate::device_prompt::install(auth);
    match command {
        AuthCommand::Login => {
            let status = auth.login().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "Signed in to {} as client {} ({}); token cached in the {} store ({}).",
                status.org, status.client_id, status.method, status.store, status.store_location
            );
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::Logout => {
            let outcome = auth.logout().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            match (outcome.removed, outcome.revoked, &outcome.revoke_error) {
                (false, _, _) => eprintln!("No cached token to remove."),
                (true, true, _) => {
                    eprintln!("Token revoked at the org and removed from the cache.")
                }
                (true, false, Some(why)) => {
                    eprintln!("Token removed from the cache; revoking it at the org failed: {why}")
                }
                (true, false, None) => eprintln!("Token removed from the cache."),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::Status { json } => {
            let status = auth.status().await;
            if *json {
                cli_output::print_json(&serde_json::to_value(&status)?);
            } else {
                let scopes = status
                    .granted_scopes
                    .as_ref()
                    .map(|s| s.join(" "))
                    .unwrap_or_else(|| "-".into());
                let expiry = match status.expires_in_secs {
                    Some(s) if s > 0 => format!("in {}m{:02}s", s / 60, s % 60),
                    Some(_) => "expired".into(),
                    None => "-".into(),
                };
                for (k, v) in [
                    ("org", status.org.clone()),
                    ("client id", status.client_id.clone()),
                    ("method", status.method.to_owned()),
                    (
                        "store",
                        format!("{} ({})", status.store, status.store_location),
                    ),
                    ("authenticated", status.authenticated.to_string()),
                    ("expires", expiry),
                    ("granted scopes", scopes),
                    (
                        "refresh token",
                        if status.has_refresh_token {
                            "yes"
                        } else {
                            "no"
                        }
                        .to_owned(),
                    ),
                ] {
                    cli_output::print_line(&format!("{k:>15}: {v}"));
                }
            }
            Ok(if status.authenticated {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuthCommand::Token => {
            let token = auth
                .access_token()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            cli_output::print_line(token.expose());
            Ok(ExitCode::SUCCESS)
        }
    }
}
