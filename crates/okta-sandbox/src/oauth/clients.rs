//! The client registry: who may ask for tokens, how they authenticate, what they are granted.

use super::keys::ClientPublicKey;
use super::token::DEVICE_GRANT;
use std::time::Duration;

/// Every Okta management scope the sandbox knows (read and manage for each area).
pub const MANAGEMENT_SCOPES: &[&str] = &[
    "okta.users.read",
    "okta.users.manage",
    "okta.groups.read",
    "okta.groups.manage",
    "okta.apps.read",
    "okta.apps.manage",
    "okta.policies.read",
    "okta.policies.manage",
    "okta.deviceAssurance.read",
    "okta.deviceAssurance.manage",
    "okta.logs.read",
    "okta.brands.read",
    "okta.brands.manage",
    "okta.templates.read",
    "okta.templates.manage",
    "okta.domains.read",
    "okta.domains.manage",
    "okta.emailDomains.read",
    "okta.emailDomains.manage",
    "okta.schemas.read",
    "okta.schemas.manage",
    "okta.roles.read",
    "okta.roles.manage",
    "okta.networkZones.read",
    "okta.networkZones.manage",
    "okta.authenticators.read",
    "okta.authenticators.manage",
];

/// OpenID Connect scopes a device-flow client may also ask for.
pub const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub const DEFAULT_DEVICE_CLIENT_ID: &str = "0oasandboxdevice";
pub const DEFAULT_SERVICE_CLIENT_ID: &str = "0oasandboxservice";
/// The OIDC web app that signs people in with a client secret (authorization code + PKCE).
pub const DEFAULT_WEB_CLIENT_ID: &str = "0oasandboxweb";
/// The same kind of web app, authenticating with private_key_jwt instead of a secret.
pub const DEFAULT_WEB_JWT_CLIENT_ID: &str = "0oasandboxwebjwt";
/// How long a rotated refresh token stays usable (Okta's default `leeway`, in seconds).
pub const REFRESH_TOKEN_LEEWAY: Duration = Duration::from_secs(30);

/// How a client proves who it is at the token endpoint.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// A public client (device flow): `client_id` alone.
    Public,
    /// private_key_jwt: a client assertion signed by one of these keys.
    PrivateKeyJwt(Vec<ClientPublicKey>),
    /// client_secret_basic or client_secret_post; only the SHA-256 of the secret is kept.
    ClientSecret { secret_sha256: String },
}

impl ClientAuth {
    /// A client-secret method for `secret` (the secret itself is not stored).
    pub fn client_secret(secret: &str) -> Self {
        ClientAuth::ClientSecret {
            secret_sha256: super::keys::sha256_b64(secret),
        }
    }
}

/// Okta's refresh token behaviour for an app (`settings.oauthClient.refresh_token`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshRotation {
    /// `STATIC`: the refresh token stays the same; a refresh answers without a new one.
    Static,
    /// `ROTATE`: every refresh answers with a new refresh token. The one presented stays
    /// usable for `leeway`; presented after that it is reuse, and every token of that
    /// sign-in is revoked.
    Rotate { leeway: Duration },
}

/// A client as registered in the sandbox org.
#[derive(Clone, Debug)]
pub struct ClientRegistration {
    pub client_id: String,
    pub auth: ClientAuth,
    /// Scopes the client may be granted (management and OIDC scopes).
    pub scopes: Vec<String>,
    /// Token requests without a DPoP proof are refused (Okta's "Require DPoP" app setting).
    pub require_dpop: bool,
    /// Lifetime of this client's access tokens; None uses the server-wide TTL.
    pub access_token_ttl: Option<Duration>,
    /// Sign-in redirect URIs; `/authorize` compares `redirect_uri` to them exactly.
    pub redirect_uris: Vec<String>,
    /// Okta's "Require PKCE as additional verification": `/authorize` without an S256
    /// `code_challenge` is refused.
    pub pkce_required: bool,
    /// Grant types the app is allowed (Okta's `grant_types`).
    pub grant_types: Vec<String>,
    pub refresh_rotation: RefreshRotation,
}

impl ClientRegistration {
    /// A public device-flow client granted every management scope plus the OIDC scopes.
    pub fn device(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            auth: ClientAuth::Public,
            scopes: OIDC_SCOPES
                .iter()
                .chain(MANAGEMENT_SCOPES)
                .map(|s| s.to_string())
                .collect(),
            require_dpop: false,
            access_token_ttl: None,
            redirect_uris: Vec::new(),
            pkce_required: true,
            grant_types: strings(&[DEVICE_GRANT, "refresh_token"]),
            refresh_rotation: RefreshRotation::Rotate {
                leeway: Duration::ZERO,
            },
        }
    }

    /// A private_key_jwt service client granted every management scope.
    pub fn service(client_id: impl Into<String>, keys: Vec<ClientPublicKey>) -> Self {
        Self {
            client_id: client_id.into(),
            auth: ClientAuth::PrivateKeyJwt(keys),
            scopes: MANAGEMENT_SCOPES.iter().map(|s| s.to_string()).collect(),
            require_dpop: false,
            access_token_ttl: None,
            redirect_uris: Vec::new(),
            pkce_required: false,
            grant_types: strings(&["client_credentials"]),
            refresh_rotation: RefreshRotation::Rotate {
                leeway: Duration::ZERO,
            },
        }
    }

    /// An OIDC web app (authorization code + refresh token, PKCE required, rotating refresh
    /// tokens with Okta's default leeway) granted the OIDC scopes and every management scope.
    pub fn web(client_id: impl Into<String>, auth: ClientAuth, redirect_uris: Vec<String>) -> Self {
        Self {
            client_id: client_id.into(),
            auth,
            scopes: OIDC_SCOPES
                .iter()
                .chain(MANAGEMENT_SCOPES)
                .map(|s| s.to_string())
                .collect(),
            require_dpop: false,
            access_token_ttl: None,
            redirect_uris,
            pkce_required: true,
            grant_types: strings(&["authorization_code", "refresh_token"]),
            refresh_rotation: RefreshRotation::Rotate {
                leeway: REFRESH_TOKEN_LEEWAY,
            },
        }
    }

    /// Whether the app may use `grant_type` (Okta's `unauthorized_client` otherwise).
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    pub fn is_public(&self) -> bool {
        matches!(self.auth, ClientAuth::Public)
    }

    /// Requested scopes this client may not have, in request order.
    pub(crate) fn ungranted<'a>(&self, requested: &'a [String]) -> Vec<&'a str> {
        requested
            .iter()
            .filter(|s| !self.scopes.iter().any(|g| g == *s))
            .map(String::as_str)
            .collect()
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

/// Whether `granted` satisfies `required`; `okta.X.manage` also satisfies `okta.X.read`.
pub fn scope_satisfies(granted: &[String], required: &str) -> bool {
    if granted.iter().any(|g| g == required) {
        return true;
    }
    match required.strip_suffix(".read") {
        Some(area) if required.starts_with("okta.") => {
            let manage = format!("{area}.manage");
            granted.contains(&manage)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manage_satisfies_read_but_not_the_reverse() {
        let granted = vec!["okta.users.manage".to_string()];
        assert!(scope_satisfies(&granted, "okta.users.read"));
        assert!(scope_satisfies(&granted, "okta.users.manage"));
        assert!(!scope_satisfies(&granted, "okta.groups.read"));
        let read_only = vec!["okta.users.read".to_string()];
        assert!(!scope_satisfies(&read_only, "okta.users.manage"));
    }
}
