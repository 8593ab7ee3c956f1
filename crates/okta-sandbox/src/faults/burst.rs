//! Okta-style request counting: a fixed window per endpoint family, with the numbers the
//! `X-Rate-Limit-*` headers report.

use super::config::RateLimits;
use std::collections::HashMap;

/// The endpoint family a path counts against: `/api/v1/<resource>`.
pub fn family(path: &str) -> String {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("api"), Some(version), Some(resource)) if !resource.is_empty() => {
            format!("/api/{version}/{resource}")
        }
        _ => "/api/v1".to_owned(),
    }
}

/// What one request sees of its family's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub limit: u64,
    pub remaining: u64,
    /// Unix second the window ends.
    pub reset: u64,
    /// This request is over the limit.
    pub exceeded: bool,
}

#[derive(Debug)]
struct Window {
    end: u64,
    used: u64,
}

/// Windows per family; a window opens at the whole second of its first request.
#[derive(Debug, Default)]
pub struct Counter {
    windows: HashMap<String, Window>,
}

impl Counter {
    /// Counts one request at Unix time `now` (fractional seconds).
    pub fn count(&mut self, limits: &RateLimits, family: &str, now: f64) -> Count {
        let limit = limits.limit_for(family);
        let window = self
            .windows
            .entry(family.to_owned())
            .or_insert(Window { end: 0, used: 0 });
        if now >= window.end as f64 {
            window.end = now.floor() as u64 + limits.window_secs();
            window.used = 0;
        }
        window.used += 1;
        Count {
            limit,
            remaining: limit.saturating_sub(window.used),
            reset: window.end,
            exceeded: window.used > limit,
        }
    }

    pub fn clear(&mut self) {
        self.windows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn families_are_the_resource_collection() {
        assert_eq!(family("/api/v1/users/00u1/groups"), "/api/v1/users");
        assert_eq!(family("/api/v1/logs"), "/api/v1/logs");
        assert_eq!(family("/api/v1/"), "/api/v1");
    }

    #[test]
    fn counts_per_family_and_resets_with_the_window() {
        let limits = RateLimits::uniform(3, Duration::from_secs(2));
        let mut counter = Counter::default();
        let t0 = 1_000.25;
        let counts: Vec<Count> = (0..4)
            .map(|_| counter.count(&limits, "/api/v1/users", t0))
            .collect();
        assert_eq!(
            counts.iter().map(|c| c.remaining).collect::<Vec<_>>(),
            [2, 1, 0, 0]
        );
        assert_eq!(
            counts.iter().map(|c| c.exceeded).collect::<Vec<_>>(),
            [false, false, false, true]
        );
        assert!(counts.iter().all(|c| c.reset == 1_002 && c.limit == 3));
        // Another family has its own counter.
        assert_eq!(counter.count(&limits, "/api/v1/groups", t0).remaining, 2);
        // Before the end the window holds; at the end a new one opens.
        assert!(counter.count(&limits, "/api/v1/users", 1_001.99).exceeded);
        let fresh = counter.count(&limits, "/api/v1/users", 1_002.0);
        assert_eq!(
            (fresh.remaining, fresh.reset, fresh.exceeded),
            (2, 1_004, false)
        );
    }
}
