//! Turns the org's OAuth errors into messages that name the cause and what to change.

use crate::AuthError;
use crate::oauth::CallError;

/// Which request failed, for wording.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    ClientCredentials,
    DeviceAuthorization,
    DevicePoll,
    Refresh,
    /// A person's authorization code redeemed by the team server's web app.
    AuthorizationCode,
}

impl Step {
    fn what(self) -> &'static str {
        match self {
            Step::ClientCredentials => "the client_credentials grant (private_key_jwt)",
            Step::DeviceAuthorization => "the device authorization request",
            Step::DevicePoll => "the device flow",
            Step::Refresh => "the refresh token grant",
            Step::AuthorizationCode => "the authorization code grant",
        }
    }
}

pub(crate) fn to_auth_error(error: CallError, step: Step) -> AuthError {
    match error {
        CallError::Local(e) => e,
        CallError::Network(e) => AuthError::Network(e),
        CallError::Unavailable { attempts, last } => AuthError::Unavailable(format!(
            "the org's token endpoint failed {attempts} times in a row during {} (last: {last})",
            step.what()
        )),
        CallError::NotResent { last } => AuthError::Unavailable(format!(
            "the org's token endpoint failed during {} ({last}); it is not sent twice, since Okta may already have used the refresh token; call again",
            step.what()
        )),
        CallError::Protocol(e) => AuthError::Network(e),
        CallError::OAuth {
            status,
            error,
            description,
        } => {
            let message = format!(
                "Okta refused {} ({error}, HTTP {status}): {description}",
                step.what()
            );
            AuthError::Rejected {
                hint: hint(&error, &description, step),
                message,
            }
        }
    }
}

fn hint(error: &str, description: &str, step: Step) -> String {
    let lower = description.to_ascii_lowercase();
    match error {
        "invalid_client" if lower.contains("kid") => {
            "Set OKTA_KEY_ID to the Key ID (kid) of the public key registered for this app in the Okta Admin Console (app > General > Public keys).".into()
        }
        "invalid_client" if lower.contains("signature") => {
            "OKTA_PRIVATE_KEY does not match the public key registered under OKTA_KEY_ID: register this key's public half for the app, or configure the matching private key.".into()
        }
        "invalid_client" if lower.contains("no client") || lower.contains("not registered") => {
            "Check OKTA_CLIENT_ID: it must be the Client ID of an app in this org (OKTA_ORG_URL).".into()
        }
        "invalid_client" if lower.contains("private_key_jwt") || lower.contains("client_assertion") => {
            "Configure the app for 'Public key / Private key' client authentication and set OKTA_PRIVATE_KEY (or OKTA_PRIVATE_KEY_FILE) and OKTA_KEY_ID.".into()
        }
        "invalid_client" => {
            "Check OKTA_CLIENT_ID, OKTA_KEY_ID and OKTA_PRIVATE_KEY against the app's settings in the Okta Admin Console.".into()
        }
        "invalid_scope" => {
            "Grant the missing scopes to the app (Okta Admin Console > app > Okta API Scopes), or remove them from OKTA_SCOPES.".into()
        }
        "unauthorized_client" => match step {
            Step::ClientCredentials => "Enable the Client Credentials grant for this app, or use a native app with the device flow (unset OKTA_PRIVATE_KEY).".into(),
            Step::AuthorizationCode => "Enable the Authorization Code and Refresh Token grant types for this web app in the Okta Admin Console.".into(),
            _ => "Enable the Device Authorization and Refresh Token grant types for this app in the Okta Admin Console.".into(),
        },
        "invalid_dpop_proof" | "use_dpop_nonce" => {
            "The app requires DPoP and the proof was refused: check the system clock, or turn off 'Require Demonstrating Proof of Possession (DPoP)' for the app.".into()
        }
        "access_denied" => "The sign-in was denied. Run `okta-mcp-server auth login` again and approve the request.".into(),
        "expired_token" => "The code expired before it was approved. Run `okta-mcp-server auth login` again and approve within the time shown.".into(),
        "invalid_grant" => "Sign in again with `okta-mcp-server auth login`.".into(),
        _ => "Check the app's configuration in the Okta Admin Console and OKTA_ORG_URL.".into(),
    }
}
