//! One-line text forms of fault rules and rate limits, so a command line can set any knob:
//!
//! - rule: `[METHOD] PATH_PREFIX FAULT [times=N] [skip=N] [p=FRACTION]`, where FAULT is
//!   `429:2s`, a 5xx status such as `503`, `latency:200ms`, `reset`, `truncate`,
//!   `malformed`, `foreign:http://127.0.0.1:9` or `repeat` (the next link points back at
//!   the page just served).
//!   Example: `GET /api/v1/users 503 p=0.1`.
//! - rate limits: `okta` (Okta's per-minute defaults), `off` (headers, never a 429), or
//!   `LIMIT/WINDOW` for one limit on every family, e.g. `20/1s`.

use super::config::{Fault, FaultRule, RateLimits};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault spec {spec:?}: {reason}")]
pub struct SpecError {
    spec: String,
    reason: String,
}

fn error(spec: &str, reason: impl Into<String>) -> SpecError {
    SpecError {
        spec: spec.to_owned(),
        reason: reason.into(),
    }
}

/// `250ms`, `2s`, `1.5s`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.parse::<u64>().ok().map(Duration::from_millis);
    }
    let secs: f64 = text.strip_suffix('s')?.parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

fn parse_fault(spec: &str, token: &str) -> Result<Fault, SpecError> {
    let (kind, arg) = token.split_once(':').unwrap_or((token, ""));
    let duration = |what: &str| {
        parse_duration(arg).ok_or_else(|| error(spec, format!("{what} needs a duration like 2s")))
    };
    match kind {
        "429" => Ok(Fault::TooManyRequests {
            reset_after: if arg.is_empty() {
                Duration::from_secs(2)
            } else {
                duration("429")?
            },
        }),
        "latency" => Ok(Fault::Latency(duration("latency")?)),
        "reset" => Ok(Fault::ResetMidBody),
        "truncate" => Ok(Fault::TruncatedJson),
        "malformed" => Ok(Fault::MalformedJson),
        "repeat" => Ok(Fault::RepeatNextLink),
        "foreign" if arg.starts_with("http://") || arg.starts_with("https://") => {
            Ok(Fault::ForeignNextLink {
                origin: arg.to_owned(),
            })
        }
        "foreign" => Err(error(
            spec,
            "foreign needs an origin like http://127.0.0.1:9",
        )),
        "5xx" => Ok(Fault::ServerError { status: 500 }),
        status => match status.parse::<u16>() {
            Ok(status @ 500..=599) => Ok(Fault::ServerError { status }),
            _ => Err(error(spec, format!("unknown fault {token:?}"))),
        },
    }
}

impl FromStr for FaultRule {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut tokens = spec.split_whitespace().peekable();
        let method = tokens
            .next_if(|t| !t.starts_with('/'))
            .map(str::to_ascii_uppercase);
        let prefix = tokens
            .next()
            .filter(|t| t.starts_with('/'))
            .ok_or_else(|| error(spec, "expected a path prefix starting with /"))?;
        let fault = parse_fault(spec, tokens.next().ok_or_else(|| error(spec, "no fault"))?)?;
        let mut rule = FaultRule::new(prefix, fault);
        rule.method = method;
        for option in tokens {
            let (key, value) = option
                .split_once('=')
                .ok_or_else(|| error(spec, format!("expected key=value, got {option:?}")))?;
            let count = || {
                value
                    .parse::<u32>()
                    .map_err(|_| error(spec, format!("{key} needs a whole number")))
            };
            match key {
                "times" => rule.times = Some(count()?),
                "skip" => rule.skip = count()?,
                "p" => match value.parse::<f64>() {
                    Ok(p) if (0.0..=1.0).contains(&p) => rule.probability = p,
                    _ => return Err(error(spec, "p needs a fraction between 0 and 1")),
                },
                _ => return Err(error(spec, format!("unknown option {key:?}"))),
            }
        }
        Ok(rule)
    }
}

impl FromStr for RateLimits {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        match spec.trim() {
            "okta" => Ok(RateLimits::okta_defaults()),
            "off" => Ok(RateLimits::unenforced()),
            other => {
                let (limit, window) = other
                    .split_once('/')
                    .ok_or_else(|| error(spec, "expected okta, off or LIMIT/WINDOW like 20/1s"))?;
                let limit = limit
                    .parse::<u64>()
                    .ok()
                    .filter(|l| *l > 0)
                    .ok_or_else(|| error(spec, "the limit must be a positive whole number"))?;
                let window = parse_duration(window)
                    .ok_or_else(|| error(spec, "the window needs a duration like 60s"))?;
                Ok(RateLimits::uniform(limit, window))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        let rule: FaultRule = "GET /api/v1/users 503 p=0.25 times=3 skip=1"
            .parse()
            .unwrap();
        assert_eq!(rule.method.as_deref(), Some("GET"));
        assert_eq!(rule.path_prefix, "/api/v1/users");
        assert_eq!(rule.fault, Fault::ServerError { status: 503 });
        assert_eq!(
            (rule.probability, rule.times, rule.skip),
            (0.25, Some(3), 1)
        );

        let cases = [
            (
                "/api/v1 429:3s",
                Fault::TooManyRequests {
                    reset_after: Duration::from_secs(3),
                },
            ),
            (
                "/api/v1 429",
                Fault::TooManyRequests {
                    reset_after: Duration::from_secs(2),
                },
            ),
            (
                "/api/v1/logs latency:250ms",
                Fault::Latency(Duration::from_millis(250)),
            ),
            ("post /api/v1/groups reset", Fault::ResetMidBody),
            ("/api/v1 truncate", Fault::TruncatedJson),
            ("/api/v1 malformed", Fault::MalformedJson),
            ("GET /api/v1/users repeat skip=1", Fault::RepeatNextLink),
            ("/api/v1 5xx", Fault::ServerError { status: 500 }),
            (
                "/api/v1/users foreign:http://127.0.0.1:9",
                Fault::ForeignNextLink {
                    origin: "http://127.0.0.1:9".into(),
                },
            ),
        ];
        for (spec, fault) in cases {
            assert_eq!(spec.parse::<FaultRule>().unwrap().fault, fault, "{spec}");
        }
    }

    #[test]
    fn rejects_bad_rules_with_a_reason() {
        for spec in [
            "",
            "GET",
            "/api/v1",
            "/api/v1 404",
            "/api/v1 explode",
            "/api/v1 latency",
            "/api/v1 foreign:evil",
            "/api/v1 503 p=2",
            "/api/v1 503 times=x",
            "/api/v1 503 colour=red",
        ] {
            let err = spec.parse::<FaultRule>().expect_err(spec);
            assert!(err.to_string().contains("invalid fault spec"), "{err}");
        }
    }

    #[test]
    fn parses_rate_limits() {
        assert_eq!(
            "okta".parse::<RateLimits>().unwrap(),
            RateLimits::okta_defaults()
        );
        assert!(!"off".parse::<RateLimits>().unwrap().enforce);
        let uniform: RateLimits = "20/1s".parse().unwrap();
        assert_eq!(
            (uniform.limit_for("/api/v1/users"), uniform.window_secs()),
            (20, 1)
        );
        for bad in ["", "20", "0/1s", "x/1s", "20/soon"] {
            assert!(bad.parse::<RateLimits>().is_err(), "{bad}");
        }
    }
}
