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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const NOW: i64 = 1_800_000_000;

    fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.c2ln",
            enc(&serde_json::json!({"alg": "RS256"})),
            enc(&claims)
        )
    }

    fn record(token: &str, expires_at: Option<i64>) -> TokenRecord {
        TokenRecord {
            access_token: Some(Secret::new(token)),
            token_type: "Bearer".into(),
            expires_at,
            refresh_token: None,
            scopes: vec!["okta.users.read".into()],
            dpop_key: None,
            obtained_at: NOW,
        }
    }

    #[test]
    fn jwt_exp_decides_over_the_stored_expiry() {
        let token = jwt(serde_json::json!({"exp": NOW + 3600}));
        assert!(record(&token, Some(NOW - 10)).access_valid_at(NOW));
        let expired = jwt(serde_json::json!({"exp": NOW - 1}));
        assert!(!record(&expired, Some(NOW + 3600)).access_valid_at(NOW));
    }

    #[test]
    fn the_60_second_margin_sits_between_30_and_90_seconds_left() {
        let thirty = jwt(serde_json::json!({"exp": NOW + 30}));
        let ninety = jwt(serde_json::json!({"exp": NOW + 90}));
        assert!(!record(&thirty, None).access_valid_at(NOW));
        assert!(record(&ninety, None).access_valid_at(NOW));
        assert!(!record("opaque", Some(NOW + 30)).access_valid_at(NOW));
        assert!(record("opaque", Some(NOW + 90)).access_valid_at(NOW));
    }

    #[test]
    fn opaque_tokens_use_the_stored_expiry() {
        assert!(record("AbCdEf0123456789", Some(NOW + 3600)).access_valid_at(NOW));
        assert!(!record("AbCdEf0123456789", Some(NOW - 1)).access_valid_at(NOW));
        assert!(!record("AbCdEf0123456789", None).access_valid_at(NOW));
    }

    #[test]
    fn jwt_without_exp_falls_back_to_the_stored_expiry() {
        let token = jwt(serde_json::json!({"sub": "x"}));
        assert!(record(&token, Some(NOW + 3600)).access_valid_at(NOW));
        assert!(!record(&token, None).access_valid_at(NOW));
    }

    #[test]
    fn malformed_jwt_falls_back_to_the_stored_expiry() {
        for token in [
            "a.b.c",
            "e30.!!!.x",
            "a.b",
            "a.b.c.d",
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.x",
        ] {
            assert!(
                record(token, Some(NOW + 3600)).access_valid_at(NOW),
                "{token}"
            );
            assert!(
                !record(token, Some(NOW + 10)).access_valid_at(NOW),
                "{token}"
            );
        }
    }

    #[test]
    fn a_dropped_access_token_is_never_valid() {
        let mut r = record("opaque", Some(NOW + 3600));
        r.access_token = None;
        assert!(!r.access_valid_at(NOW));
    }

    #[test]
    fn scopes_must_cover_the_configuration() {
        let r = record("x", Some(NOW + 3600));
        assert!(r.covers(&["okta.users.read".into()]));
        assert!(!r.covers(&["okta.users.read".into(), "okta.groups.read".into()]));
        let manage = vec!["okta.users.manage".to_string()];
        assert!(scopes_cover(&manage, &["okta.users.read".into()]));
        assert!(!scopes_cover(
            &["okta.users.read".to_string()],
            &["okta.users.manage".into()]
        ));
    }

    #[test]
    fn the_record_round_trips_as_one_json_value_and_debug_hides_secrets() {
        let mut r = record("the-access-token", Some(NOW + 3600));
        r.refresh_token = Some(Secret::new("the-refresh-token"));
        r.dpop_key = Some(Secret::new("the-dpop-key"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["access_token"], "the-access-token");
        assert_eq!(json["refresh_token"], "the-refresh-token");
        assert_eq!(json["expires_at"], NOW + 3600);
        assert_eq!(json["scopes"][0], "okta.users.read");
        let back: TokenRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        let debug = format!("{r:?}");
        assert!(
            !debug.contains("the-access-token")
                && !debug.contains("the-refresh-token")
                && !debug.contains("the-dpop-key")
        );
    }
}
