//! Order statistics over measured samples: what every timing row of the report is made of.

use serde::Serialize;
use std::time::Duration;

/// Median, p95, p99, min and max of one series, in milliseconds (or the series' own unit).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub p95: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// None for an empty series, so a row can never show numbers that were not measured.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        Some(Summary {
            n: sorted.len(),
            median: median_sorted(&sorted),
            p95: percentile_sorted(&sorted, 95.0),
            p99: percentile_sorted(&sorted, 99.0),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }

    pub fn of_durations(samples: &[Duration]) -> Option<Summary> {
        Summary::of(&samples.iter().map(|d| millis(*d)).collect::<Vec<_>>())
    }
}

pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// The middle value, or the mean of the two middle values for an even count.
fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile: the smallest sample with at least `p`% of samples at or below it.
/// It is always a value that was actually observed, never an interpolation.
fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let odd = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!(odd.median, 3.0);
        assert_eq!((odd.min, odd.max, odd.n), (1.0, 5.0, 3));
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(even.median, 2.5);
    }

    #[test]
    fn p95_is_nearest_rank() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(Summary::of(&hundred).unwrap().p95, 95.0);
        assert_eq!(Summary::of(&hundred).unwrap().p99, 99.0);
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(Summary::of(&twenty).unwrap().p95, 19.0);
        // With fewer than 20 samples p95 is the maximum.
        assert_eq!(Summary::of(&[1.0, 2.0, 10.0]).unwrap().p95, 10.0);
        assert_eq!(Summary::of(&[7.0]).unwrap().p95, 7.0);
    }

    #[test]
    fn empty_and_non_finite_samples_give_no_summary() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[f64::NAN]), None);
        assert_eq!(Summary::of(&[f64::NAN, 2.0]).unwrap().median, 2.0);
    }

    #[test]
    fn durations_are_reported_in_milliseconds() {
        let s = Summary::of_durations(&[Duration::from_micros(1500), Duration::from_millis(3)])
            .unwrap();
        assert_eq!(s.median, 2.25);
    }
}
