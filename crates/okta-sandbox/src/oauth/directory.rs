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

/// Looks people up by id or login (logins match case-insensitively, as Okta's do).
pub trait UserDirectory: Send + Sync + 'static {
    fn find_user(&self, id_or_login: &str) -> Option<DirectoryUser>;
}

/// Why a sign-in was refused; the sign-in page and the approve endpoint say it in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SignInRefusal {
    UnknownUser,
    WrongPassword,
    NotActive(String),
}

impl SignInRefusal {
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
