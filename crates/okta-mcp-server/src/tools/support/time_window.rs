//! Time windows of the System Log tools: checked ISO 8601 arguments, the form Okta is sent,
//! and windows cut into slices fetched concurrently.
// ToolError inlines Okta's error body (a cold path); boxing it is error.rs's call.
#![allow(clippy::result_large_err)]

use crate::tools::error::ToolError;
use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Utc};

/// An instant as the log tools read and write it.
pub type Instant = DateTime<FixedOffset>;

/// Checks an ISO 8601 timestamp early, so a typo gets a clear message instead of Okta's.
pub fn iso8601(name: &str, value: &str) -> Result<String, ToolError> {
    let v = value.trim();
    chrono::DateTime::parse_from_rfc3339(v).map(|_| v.to_owned()).map_err(|_| {
        ToolError::InvalidArguments(format!(
            "{name}: {value:?} is not an ISO 8601 timestamp; use e.g. 2026-11-28T00:00:00Z or 2026-11-28T00:00:00.000-05:00"
        ))
    })
}

/// The instant as Okta's `since`/`until` take it: UTC, milliseconds.
pub fn stamp(t: Instant) -> String {
    t.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Splits [since, until) into `n` adjacent, non-overlapping slices (one when under a minute).
pub fn split_window(since: Instant, until: Instant, n: usize) -> Vec<(Instant, Instant)> {
    let total_ms = (until - since).num_milliseconds();
    if total_ms <= 0 {
        return vec![(since, until)];
    }
    let n = if total_ms < 60_000 { 1 } else { n.max(1) };
    (0..n)
        .map(|i| {
            let at = |k: usize| since + Duration::milliseconds(total_ms * k as i64 / n as i64);
            (at(i), if i + 1 == n { until } else { at(i + 1) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn split_is_adjacent_and_covers_the_window() {
        let (a, b) = (t("2026-11-01T00:00:00Z"), t("2026-11-08T00:00:00Z"));
        let s = split_window(a, b, 4);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].0, a);
        assert_eq!(s[3].1, b);
        for pair in s.windows(2) {
            assert_eq!(pair[0].1, pair[1].0);
        }
        assert_eq!(split_window(a, a + Duration::seconds(5), 4).len(), 1);
        assert_eq!(split_window(b, a, 4), vec![(b, a)]);
    }
}
