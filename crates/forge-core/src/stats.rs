//! Small, exact statistics the analyses share. statrs provides the distributions; the tests
//! are written here because statrs lacks them or gets them wrong (its exact Mann–Whitney
//! p-value is wrong when the first sample is the shorter one).

use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal};

/// P(Z > z) for a standard normal Z.
pub fn normal_sf(z: f64) -> f64 {
    if z.is_nan() {
        return 1.0;
    }
    Normal::standard().sf(z)
}

/// Wilson score interval for `successes` out of `n` at the given z (1.96 for 95 %).
/// Returns `(0, 1)` for `n == 0`: with no runs, nothing is known.
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = successes.min(n) as f64 / n_f;
    let z2 = z * z;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = z * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Exact one-sided binomial test: P(X >= k) for X ~ Binomial(n, p).
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let p = p.clamp(0.0, 1.0);
    match Binomial::new(p, n) {
        Ok(b) => b.sf(k - 1).clamp(0.0, 1.0),
        Err(_) => 1.0,
    }
}

/// Benjamini–Hochberg step-up: the q-values of `p_values`, in the same order.
/// An item is a discovery at level q when its q-value is `<= q`.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut q = vec![1.0; m];
    let mut running_min: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        let adjusted = p_values[i] * m as f64 / (rank + 1) as f64;
        running_min = running_min.min(adjusted);
        q[i] = running_min.min(1.0);
    }
    q
}

/// Shrinks a rate toward a prior mean: `(k + strength * prior) / (n + strength)`.
/// Small samples land near the prior instead of at 0 % or 100 %.
pub fn shrunk_rate(k: u64, n: u64, prior: f64, strength: f64) -> f64 {
    (k as f64 + strength * prior) / (n as f64 + strength)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_reference_values() {
        // Reference: 8 of 10 gives (0.4902, 0.9433) at 95 %.
        let (lo, hi) = wilson_interval(8, 10, 1.959964);
        assert!(
            (lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson_interval(0, 0, 1.96), (0.0, 1.0));
    }

    #[test]
    fn binomial_tail_matches_reference() {
        // P(X >= 15 | n = 20, p = 0.5) = 0.02069 (by symmetry with P(X <= 5)).
        assert!((binomial_upper_tail(15, 20, 0.5) - 0.020695).abs() < 1e-5);
        assert_eq!(binomial_upper_tail(0, 5, 0.1), 1.0);
        assert_eq!(binomial_upper_tail(6, 5, 0.1), 0.0);
    }

    #[test]
    fn benjamini_hochberg_matches_hand_computation() {
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        // Sorted p: 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.0533, 0.0533, 0.5.
        let expected = [0.04, 0.053333, 0.053333, 0.5];
        for (a, b) in q.iter().zip(expected) {
            assert!((a - b).abs() < 1e-5, "{q:?}");
        }
    }

    #[test]
    fn shrinkage_pulls_small_samples_to_the_prior() {
        assert!((shrunk_rate(0, 1, 0.9, 10.0) - 9.0 / 11.0).abs() < 1e-12);
        assert!((shrunk_rate(900, 1000, 0.5, 10.0) - 0.896).abs() < 1e-3);
    }
}
