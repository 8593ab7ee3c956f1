//! Retry delays: exponential backoff with jitter, bounded in count and total time.

use rand::Rng;
use std::time::Duration;

/// How retries of transient failures are spaced and bounded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub max_retries: u32,
    pub max_elapsed: Duration,
}

impl Backoff {
    /// The ceiling for retry number `attempt` (0-based): `base * 2^attempt`, at most `cap`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// "Equal jitter": half the ceiling plus a random part of the other half, so concurrent
    /// callers spread out but never retry immediately.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread = ceiling.saturating_sub(half).as_millis() as u64;
        half + Duration::from_millis(rng.gen_range(0..=spread))
    }

    /// The delay before retry `attempt`, or None when the count or time budget is spent.
    /// `hint` is a server-provided wait (Retry-After) that replaces the computed delay.
    pub fn next(
        &self,
        attempt: u32,
        elapsed: Duration,
        hint: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        let delay = hint.unwrap_or_else(|| self.delay(attempt, rng));
        (elapsed + delay <= self.max_elapsed).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn policy() -> Backoff {
        Backoff {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(5),
            max_retries: 4,
            max_elapsed: Duration::from_secs(10),
        }
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let b = policy();
        let ms: Vec<u128> = (0..8).map(|n| b.ceiling(n).as_millis()).collect();
        assert_eq!(ms, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn jitter_stays_within_half_and_full_ceiling() {
        let b = policy();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for attempt in 0..6 {
            for _ in 0..200 {
                let d = b.delay(attempt, &mut rng);
                assert!(d >= b.ceiling(attempt) / 2 && d <= b.ceiling(attempt));
                seen.insert(d);
            }
        }
        assert!(seen.len() > 50, "jitter should vary the delay");
    }

    #[test]
    fn bounded_by_count_and_time() {
        let b = policy();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert!(b.next(3, Duration::ZERO, None, &mut rng).is_some());
        assert!(b.next(4, Duration::ZERO, None, &mut rng).is_none());
        assert!(
            b.next(0, Duration::from_millis(9_950), None, &mut rng)
                .is_none()
        );
        assert_eq!(
            b.next(0, Duration::ZERO, Some(Duration::from_secs(2)), &mut rng),
            Some(Duration::from_secs(2))
        );
        assert!(
            b.next(
                0,
                Duration::from_secs(9),
                Some(Duration::from_secs(2)),
                &mut rng
            )
            .is_none()
        );
    }
}
