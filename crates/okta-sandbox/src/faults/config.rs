//! The fault knobs: plain public data, so the CLI's `sandbox` command and tests can set them.

use std::time::Duration;

/// What the sandbox does to requests besides answering them. `Default` adds no faults but
/// counts requests per endpoint family like Okta does (see [`RateLimits::okta_defaults`]).
#[derive(Clone, Debug)]
pub struct FaultConfig {
    /// Added before every `/api/v1` response (the benchmark uses 50 ms).
    pub latency: Duration,
    /// Seed for fractional faults and error ids, so a run can be repeated exactly.
    pub seed: u64,
    /// Per-family request counting with `X-Rate-Limit-*` headers on every `/api/v1` response.
    pub rate_limits: RateLimits,
    /// Targeted faults; every rule that matches a request applies, in order.
    pub rules: Vec<FaultRule>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            seed: 0,
            rate_limits: RateLimits::okta_defaults(),
            rules: Vec::new(),
        }
    }
}

impl FaultConfig {
    /// Adds a rule (builder style, for tests).
    pub fn with_rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }
}

/// Okta-style rate limits: a fixed window per endpoint family, counted per request.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimits {
    /// Whether a request over the limit gets 429 E0000047 (headers are sent either way).
    pub enforce: bool,
    /// Window length, rounded up to whole seconds (Okta: one minute).
    pub window: Duration,
    /// Limits per family, e.g. `("/api/v1/users", 600)`; a family is `/api/v1/<resource>`.
    pub per_family: Vec<(String, u64)>,
    /// Limit for families not listed.
    pub default_limit: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::okta_defaults()
    }
}

impl RateLimits {
    /// Per-minute limits modelled on Okta's documented defaults for a Workforce org's
    /// Management API: users 600, groups 500, logs 120, apps 100; other families 600.
    pub fn okta_defaults() -> Self {
        Self {
            enforce: true,
            window: Duration::from_secs(60),
            per_family: vec![
                ("/api/v1/users".into(), 600),
                ("/api/v1/groups".into(), 500),
                ("/api/v1/logs".into(), 120),
                ("/api/v1/apps".into(), 100),
                ("/api/v1/policies".into(), 600),
                ("/api/v1/device-assurances".into(), 600),
                ("/api/v1/brands".into(), 600),
                ("/api/v1/domains".into(), 600),
                ("/api/v1/email-domains".into(), 600),
            ],
            default_limit: 600,
        }
    }

    /// The same `limit` for every family and a window of `window` (tests use short ones).
    pub fn uniform(limit: u64, window: Duration) -> Self {
        Self {
            enforce: true,
            window,
            per_family: Vec::new(),
            default_limit: limit,
        }
    }

    /// Headers only, never a 429 (for benchmarks that must not be throttled).
    pub fn unenforced() -> Self {
        Self {
            enforce: false,
            ..Self::okta_defaults()
        }
    }

    pub fn limit_for(&self, family: &str) -> u64 {
        self.per_family
            .iter()
            .find(|(name, _)| name == family)
            .map(|(_, limit)| *limit)
            .unwrap_or(self.default_limit)
    }

    /// The window in whole seconds (at least one), so `X-Rate-Limit-Reset` is exact.
    pub fn window_secs(&self) -> u64 {
        let secs = self.window.as_secs() + u64::from(self.window.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// One targeted fault: which requests it hits and what it does to them.
#[derive(Clone, Debug)]
pub struct FaultRule {
    /// Matched against the raw request path as received, e.g. `/api/v1/users`.
    pub path_prefix: String,
    /// Only this method (`GET`, `POST`, ...), or any when None.
    pub method: Option<String>,
    pub fault: Fault,
    /// Matching requests let through before the rule starts firing.
    pub skip: u32,
    /// Fires for at most this many requests (every one when None).
    pub times: Option<u32>,
    /// Fraction of eligible requests hit, drawn from the seeded RNG (1.0: all).
    pub probability: f64,
}

impl FaultRule {
    pub fn new(path_prefix: impl Into<String>, fault: Fault) -> Self {
        Self {
            path_prefix: path_prefix.into(),
            method: None,
            fault,
            skip: 0,
            times: None,
            probability: 1.0,
        }
    }
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p.clamp(0.0, 1.0);
        self
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        path.starts_with(&self.path_prefix)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// What a rule does.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// 429 E0000047 with `X-Rate-Limit-Remaining: 0` and a Reset this far ahead (rounded
    /// up to a whole second). The org never sees the request.
    TooManyRequests { reset_after: Duration },
    /// The org's answer is replaced by this 5xx after the handler ran, as when a gateway
    /// fails: a create may have happened even though the caller sees an error.
    ServerError { status: u16 },
    /// Extra delay before the request reaches the org.
    Latency(Duration),
    /// The status and part of the body are sent, then the connection is cut.
    ResetMidBody,
    /// The body is cut in half, with a Content-Length to match: valid HTTP, broken JSON.
    TruncatedJson,
    /// The body is replaced by text that is not JSON.
    MalformedJson,
    /// `Link: rel="next"` is rewritten (or added) to point at this origin, e.g.
    /// `http://127.0.0.1:9`.
    ForeignNextLink { origin: String },
    /// `Link: rel="next"` is rewritten (or added) to point at the page just served, as an
    /// org whose cursor does not advance would: a client that follows it loops forever.
    RepeatNextLink,
}

impl Fault {
    /// Short name for the journal.
    pub fn label(&self) -> &'static str {
        match self {
            Fault::TooManyRequests { .. } => "too_many_requests",
            Fault::ServerError { .. } => "server_error",
            Fault::Latency(_) => "latency",
            Fault::ResetMidBody => "reset_mid_body",
            Fault::TruncatedJson => "truncated_json",
            Fault::MalformedJson => "malformed_json",
            Fault::ForeignNextLink { .. } => "foreign_next_link",
            Fault::RepeatNextLink => "repeat_next_link",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_family_with_default() {
        let limits = RateLimits::okta_defaults();
        assert_eq!(limits.limit_for("/api/v1/users"), 600);
        assert_eq!(limits.limit_for("/api/v1/logs"), 120);
        assert_eq!(limits.limit_for("/api/v1/features"), 600);
        assert_eq!(limits.window_secs(), 60);
        assert_eq!(
            RateLimits::uniform(5, Duration::from_millis(1500)).window_secs(),
            2
        );
        assert_eq!(RateLimits::uniform(5, Duration::ZERO).window_secs(), 1);
    }

    #[test]
    fn rules_match_prefix_and_method() {
        let rule = FaultRule::new("/api/v1/users", Fault::MalformedJson).method("post");
        assert!(rule.matches("POST", "/api/v1/users"));
        assert!(rule.matches("POST", "/api/v1/users/00u1/lifecycle/activate"));
        assert!(!rule.matches("GET", "/api/v1/users"));
        assert!(!rule.matches("POST", "/api/v1/groups"));
    }
}
