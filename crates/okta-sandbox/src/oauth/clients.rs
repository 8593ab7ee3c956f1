//! The client registry: who may ask for tokens, how they authenticate, what they are granted.

use super::keys::ClientPublicKey;
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
];

/// OpenID Connect scopes a device-flow client may also ask for.
pub const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub const DEFAULT_DEVICE_CLIENT_ID: &str = "0oasandboxdevice";
pub const DEFAULT_SERVICE_CLIENT_ID: &str = "0oasandboxservice";

/// How a client proves who it is at the token endpoint.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// A public client (device flow): `client_id` alone.
    Public,
    /// private_key_jwt: a client assertion signed by one of these keys.
    PrivateKeyJwt(Vec<ClientPublicKey>),
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
        }
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
