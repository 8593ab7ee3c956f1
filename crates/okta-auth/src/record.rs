//! The cached token record and the rules that decide whether it can be used.

use crate::Secret;
use crate::jwt::jwt_exp;
use serde::{Deserialize, Serialize};

/// A token is treated as expired this many seconds before it really expires (clock skew,
/// request latency).
pub const EXPIRY_MARGIN_SECS: i64 = 60;

/// Everything cached for one key, stored as one JSON value and replaced in one write.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenRecord {
    /// Absent after the org rejected it (a 401): the refresh token may still be good.
    #[serde(default, with = "secret_opt")]
    pub access_token: Option<Secret>,
    /// `Bearer` or `DPoP`.
    pub token_type: String,
    /// Unix time from `expires_in`, used when the token carries no readable `exp`.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default, with = "secret_opt")]
    pub refresh_token: Option<Secret>,
    /// Scopes the org granted (the `scope` of the token response).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Private JWK of the DPoP key the tokens are bound to.
    #[serde(default, with = "secret_opt")]
    pub dpop_key: Option<Secret>,
    /// When the record was written, Unix time.
    #[serde(default)]
    pub obtained_at: i64,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token)
            .field("scopes", &self.scopes)
            .field("dpop_key", &self.dpop_key)
            .finish()
    }
}

impl TokenRecord {
    /// When the access token stops being usable: its JWT `exp`, else the stored expiry.
    pub fn access_expiry(&self) -> Option<i64> {
        let token = self.access_token.as_ref()?;
        jwt_exp(token.expose()).or(self.expires_at)
    }

    /// Usable at `now`: present, and more than the margin away from expiry.
    pub fn access_valid_at(&self, now: i64) -> bool {
        self.access_expiry()
            .is_some_and(|exp| exp - EXPIRY_MARGIN_SECS > now)
    }

    /// Whether the granted scopes cover every scope in `wanted`.
    pub fn covers(&self, wanted: &[String]) -> bool {
        scopes_cover(&self.scopes, wanted)
    }

    pub fn is_dpop(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("DPoP")
    }
}

/// `granted` covers `wanted` when each wanted scope is granted, `okta.X.manage` counting
/// for `okta.X.read`.
pub fn scopes_cover(granted: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| {
        granted.iter().any(|g| g == w)
            || w.strip_suffix(".read").is_some_and(|area| {
                w.starts_with("okta.") && granted.iter().any(|g| *g == format!("{area}.manage"))
            })
    })
}

/// Serde for optional secrets, used only by the stored record.
mod secret_opt {
    use crate::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(secret) => s.serialize_some(secret.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::new))
    }
}
