//! Who can sign in: the org's people as the sign-in page, the ID token and `/userinfo`
//! see them, and the seeded admins' logins and password.
//!
//! The authorization server does not own the org's data; the sandbox hands it a
//! [`UserDirectory`] (the org itself) when it starts. Without one nobody can sign in.

use std::sync::Arc;

/// The password every user of the sandbox org signs in with.
pub const SANDBOX_PASSWORD: &str = "Sandbox-Passw0rd!";
/// A seeded ACTIVE user holding the `SUPER_ADMIN` role (also the device flow's default person).
pub const SUPER_ADMIN_LOGIN: &str = "sandbox.admin@example.com";
/// A seeded ACTIVE user holding the `HELP_DESK_ADMIN` role.
pub const HELP_DESK_ADMIN_LOGIN: &str = "sandbox.helpdesk@example.com";
/// A seeded ACTIVE user holding the `READ_ONLY_ADMIN` role.
pub const READ_ONLY_ADMIN_LOGIN: &str = "sandbox.readonly@example.com";

/// A person as the authorization server needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    /// `00u…`
    pub id: String,
    pub login: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Okta's user status (`ACTIVE`, `DEPROVISIONED`, `SUSPENDED`, …).
    pub status: String,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    /// `lastUpdated`, in seconds since the epoch.
    pub updated_at: Option<i64>,
}

impl DirectoryUser {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

/// Looks people up by id or login (logins match case-insensitively, as Okta's do), and
/// keeps the System Log of what the authorization server did.
pub trait UserDirectory: Send + Sync + 'static {
    fn find_user(&self, id_or_login: &str) -> Option<DirectoryUser>;
    /// Appends a sign-in or token event to the org's System Log (nothing by default).
    fn record(&self, _event: AuthEvent) {}
}

/// A System Log event of the authorization server (`user.session.start`,
/// `app.oauth2.token.detect_reuse`).
#[derive(Clone, Debug)]
pub struct AuthEvent {
    pub event_type: &'static str,
    pub display: &'static str,
    pub success: bool,
    /// `outcome.reason`, e.g. `INVALID_CREDENTIALS`.
    pub reason: Option<String>,
    /// The person, when known.
    pub user_id: Option<String>,
    /// What was typed as the username (the actor's `alternateId` for an unknown user).
    pub username: String,
    pub client_id: String,
    /// The endpoint that acted, for `debugContext`.
    pub request_path: &'static str,
}

/// Why a sign-in was refused; the sign-in page and the approve endpoint say it in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SignInRefusal {
    UnknownUser,
    WrongPassword,
    NotActive(String),
}

impl SignInRefusal {
    /// The System Log's `outcome.reason` for this refusal.
    pub fn reason(&self) -> &'static str {
        match self {
            SignInRefusal::UnknownUser => "VERIFICATION_ERROR",
            SignInRefusal::WrongPassword => "INVALID_CREDENTIALS",
            SignInRefusal::NotActive(_) => "USER_NOT_ACTIVE",
        }
    }

    pub fn message(&self) -> String {
        match self {
            SignInRefusal::UnknownUser => {
                "Unable to sign in: there is no user with that username in this org.".into()
            }
            SignInRefusal::WrongPassword => "Unable to sign in: the password is wrong.".into(),
            SignInRefusal::NotActive(status) => format!(
                "Unable to sign in: this user's status is {status}; only ACTIVE users can sign in."
            ),
        }
    }
}

/// Checks a username and password against the directory.
pub(crate) fn check_credentials(
    directory: Option<&Arc<dyn UserDirectory>>,
    username: &str,
    password: &str,
) -> Result<DirectoryUser, SignInRefusal> {
    let user = directory
        .and_then(|d| d.find_user(username.trim()))
        .ok_or(SignInRefusal::UnknownUser)?;
    // Every user shares the sandbox password; compare digests so timing says nothing.
    if super::keys::sha256_b64(password) != super::keys::sha256_b64(SANDBOX_PASSWORD) {
        return Err(SignInRefusal::WrongPassword);
    }
    if user.status != "ACTIVE" {
        return Err(SignInRefusal::NotActive(user.status));
    }
    Ok(user)
}
