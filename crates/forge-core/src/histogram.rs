//! A log-bucketed histogram: quantiles within ±1 % and rank tests in memory that does not grow
//! with the number of values, so a million runs cost what a thousand do.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Values below this land in bucket 0 (treated as zero). 1e-6 covers sub-cent costs.
const MIN: f64 = 1e-6;
/// Ratio between bucket edges: ±1 % relative error at the geometric midpoint.
const RATIO: f64 = 1.02;
const MAX_BUCKET: u16 = 2_000;

/// A sparse histogram of non-negative values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogHistogram {
    buckets: BTreeMap<u16, u64>,
    count: u64,
    sum: f64,
}

fn bucket_of(value: f64) -> u16 {
    if value.is_nan() || value < MIN {
        // Zero, negative or NaN: all count as "nothing".
        return 0;
    }
    let idx = 1.0 + ((value / MIN).ln() / RATIO.ln()).floor();
    (idx as u64).min(MAX_BUCKET as u64) as u16
}

fn value_of(bucket: u16) -> f64 {
    if bucket == 0 {
        0.0
    } else {
        MIN * RATIO.powf(bucket as f64 - 0.5)
    }
}

impl LogHistogram {
    pub fn add(&mut self, value: f64) {
        *self.buckets.entry(bucket_of(value)).or_insert(0) += 1;
        self.count += 1;
        if value.is_finite() && value > 0.0 {
            self.sum += value;
        }
    }

    pub fn merge(&mut self, other: &LogHistogram) {
        for (b, c) in &other.buckets {
            *self.buckets.entry(*b).or_insert(0) += c;
        }
        self.count += other.count;
        self.sum += other.sum;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// The q-quantile (0..=1) by the nearest-rank method, or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                return Some(value_of(*b));
            }
        }
        self.buckets.keys().next_back().map(|b| value_of(*b))
    }

    /// One-sided Mann–Whitney test that values of `self` tend to be larger than those of
    /// `other`, with ties at bucket resolution and the tie-corrected normal approximation.
    /// Returns `(U of self, p-value)`, or `None` when either side is empty.
    pub fn mann_whitney_greater(&self, other: &LogHistogram) -> Option<(f64, f64)> {
        let (n1, n2) = (self.count as f64, other.count as f64);
        if n1 == 0.0 || n2 == 0.0 {
            return None;
        }
        let keys: std::collections::BTreeSet<u16> = self
            .buckets
            .keys()
            .chain(other.buckets.keys())
            .copied()
            .collect();
        let mut rank_sum_1 = 0.0;
        let mut next_rank = 1.0;
        let mut tie_term = 0.0;
        for k in keys {
            let a = *self.buckets.get(&k).unwrap_or(&0) as f64;
            let b = *other.buckets.get(&k).unwrap_or(&0) as f64;
            let t = a + b;
            let mid_rank = next_rank + (t - 1.0) / 2.0;
            rank_sum_1 += a * mid_rank;
            next_rank += t;
            tie_term += t * t * t - t;
        }
        let n = n1 + n2;
        let u1 = rank_sum_1 - n1 * (n1 + 1.0) / 2.0;
        let mean = n1 * n2 / 2.0;
        let var = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)).max(1.0));
        if var <= 0.0 {
            return Some((u1, 1.0));
        }
        // Continuity correction toward the null.
        let z = (u1 - mean - 0.5) / var.sqrt();
        Some((u1, crate::stats::normal_sf(z)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_one_percent() {
        let mut h = LogHistogram::default();
        for i in 1..=1000 {
            h.add(i as f64);
        }
        let p50 = h.quantile(0.5).unwrap();
        let p95 = h.quantile(0.95).unwrap();
        assert!((p50 / 500.0 - 1.0).abs() < 0.011, "p50 {p50}");
        assert!((p95 / 950.0 - 1.0).abs() < 0.011, "p95 {p95}");
        assert_eq!(h.count(), 1000);
        assert!((h.sum() - 500_500.0).abs() < 1e-6);
    }

    #[test]
    fn zero_and_nan_are_counted_as_nothing() {
        let mut h = LogHistogram::default();
        h.add(0.0);
        h.add(f64::NAN);
        assert_eq!(h.quantile(1.0), Some(0.0));
        assert_eq!(h.sum(), 0.0);
    }

    #[test]
    fn mann_whitney_separates_shifted_samples_and_not_equal_ones() {
        let mut low = LogHistogram::default();
        let mut high = LogHistogram::default();
        for i in 0..30 {
            low.add(1.0 + i as f64 * 0.01);
            high.add(3.0 + i as f64 * 0.01);
        }
        let (_, p) = high.mann_whitney_greater(&low).unwrap();
        assert!(p < 1e-6, "p {p}");
        let (_, p_rev) = low.mann_whitney_greater(&high).unwrap();
        assert!(p_rev > 0.99, "p_rev {p_rev}");
        let (_, p_same) = low.mann_whitney_greater(&low.clone()).unwrap();
        assert!(p_same > 0.4, "p_same {p_same}");
    }
}
