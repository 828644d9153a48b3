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

/// Median of the finite values, or `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut xs: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    })
}

/// The q-quantile (0..=1) of the finite values by Hyndman–Fan type 8 (R-8, what statrs
/// uses: median-unbiased whatever the distribution), or `None` when there are none.
pub fn quantile_r8(values: &[f64], q: f64) -> Option<f64> {
    let mut xs: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if xs.is_empty() || q.is_nan() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let q = q.clamp(0.0, 1.0);
    let h = (n as f64 + 1.0 / 3.0) * q + 1.0 / 3.0;
    let hf = h.floor();
    if hf < 1.0 {
        return Some(xs[0]);
    }
    if hf >= n as f64 {
        return Some(xs[n - 1]);
    }
    let lo = xs[hf as usize - 1];
    let hi = xs[hf as usize];
    Some(lo + (h - hf) * (hi - lo))
}

/// How [`modified_z`] measured the baseline's spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleMethod {
    /// MAD / 0.6745: the Iglewicz–Hoaglin modified z-score.
    Mad,
    /// MAD is zero (more than half the baseline is one value): the mean absolute deviation
    /// around the median × 1.2533, its consistent estimator of σ for normal data.
    MeanAbsoluteDeviation,
    /// Both are (nearly) zero: the caller's floor, so a constant baseline never divides by zero.
    Floor,
}

impl ScaleMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ScaleMethod::Mad => "mad",
            ScaleMethod::MeanAbsoluteDeviation => "meanAbsoluteDeviation",
            ScaleMethod::Floor => "floor",
        }
    }
}

/// A robust z-score of one value against a baseline sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustZ {
    pub z: f64,
    pub median: f64,
    /// The robust estimate of σ that divides `x − median`.
    pub scale: f64,
    pub method: ScaleMethod,
}

/// The modified z-score (Iglewicz & Hoaglin; NIST e-Handbook 1.3.5.17):
/// `0.6745 · (x − median) / MAD`, i.e. `(x − median) / σ̂` with `σ̂ = MAD / 0.6745`.
///
/// When the MAD is zero, σ̂ falls back to 1.2533 × the mean absolute deviation around the
/// median; σ̂ is never below `scale_floor` (pass 0 for none: a fully constant baseline then
/// gives z = 0 for x at the median and ±∞ elsewhere). Non-finite baseline values are
/// ignored; `None` when no finite baseline value remains or `x` is not finite.
pub fn modified_z(x: f64, baseline: &[f64], scale_floor: f64) -> Option<RobustZ> {
    if !x.is_finite() {
        return None;
    }
    let med = median(baseline)?;
    let deviations: Vec<f64> = baseline
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| (v - med).abs())
        .collect();
    let mad = median(&deviations).unwrap_or(0.0);
    let mean_ad = deviations.iter().sum::<f64>() / deviations.len().max(1) as f64;
    let floor = if scale_floor.is_finite() {
        scale_floor.max(0.0)
    } else {
        0.0
    };
    let (mut scale, mut method) = if mad > 0.0 {
        (mad / 0.6745, ScaleMethod::Mad)
    } else {
        (1.253_314 * mean_ad, ScaleMethod::MeanAbsoluteDeviation)
    };
    if scale <= floor {
        scale = floor;
        method = ScaleMethod::Floor;
    }
    let diff = x - med;
    let z = if scale > 0.0 {
        diff / scale
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    };
    Some(RobustZ {
        z,
        median: med,
        scale,
        method,
    })
}

/// The p-quantile of Student's t with `df` degrees of freedom; the normal quantile when `df`
/// is not a positive finite number (the limit of t as df grows).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    use statrs::distribution::StudentsT;
    let p = if p.is_nan() {
        0.5
    } else {
        p.clamp(1e-12, 1.0 - 1e-12)
    };
    if df.is_finite() && df > 0.0 {
        if let Ok(t) = StudentsT::new(0.0, 1.0, df) {
            return t.inverse_cdf(p);
        }
    }
    Normal::standard().inverse_cdf(p)
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

    #[test]
    fn median_and_quantile_ignore_non_finite_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0, f64::NAN]), Some(2.5));
        assert_eq!(median(&[f64::NAN]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(quantile_r8(&[], 0.5), None);
        assert_eq!(quantile_r8(&[7.0], 0.95), Some(7.0));
    }

    #[test]
    fn quantile_r8_matches_statrs() {
        use statrs::statistics::{Data, OrderStatistics};
        let xs: Vec<f64> = (0..23)
            .map(|i| ((i * 37) % 23) as f64 * 1.5 + 0.25)
            .collect();
        for q in [0.0, 0.05, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0] {
            let ours = quantile_r8(&xs, q).unwrap();
            let theirs = Data::new(xs.clone()).quantile(q);
            assert!((ours - theirs).abs() < 1e-12, "q {q}: {ours} vs {theirs}");
        }
    }

    #[test]
    fn modified_z_matches_hand_computation() {
        // Median 3, |deviations| 2,1,0,1,2 -> MAD 1, σ̂ = 1/0.6745.
        let r = modified_z(6.0, &[1.0, 2.0, 3.0, 4.0, 5.0], 0.0).unwrap();
        assert_eq!(r.method, ScaleMethod::Mad);
        assert!((r.z - 0.6745 * 3.0).abs() < 1e-12, "{r:?}");
        assert_eq!(r.median, 3.0);
    }

    #[test]
    fn modified_z_falls_back_when_mad_is_zero_and_never_divides_by_zero() {
        // Four of five equal: MAD 0, mean absolute deviation 2/5.
        let r = modified_z(4.0, &[2.0, 2.0, 2.0, 2.0, 4.0], 0.0).unwrap();
        assert_eq!(r.method, ScaleMethod::MeanAbsoluteDeviation);
        assert!((r.scale - 1.253_314 * 0.4).abs() < 1e-12);
        // A constant baseline: the floor, or zero / infinity without one; never NaN.
        let f = modified_z(2.5, &[2.0; 10], 0.05).unwrap();
        assert_eq!(f.method, ScaleMethod::Floor);
        assert!((f.z - 10.0).abs() < 1e-9);
        assert_eq!(modified_z(2.0, &[2.0; 10], 0.0).unwrap().z, 0.0);
        assert_eq!(modified_z(3.0, &[2.0; 10], 0.0).unwrap().z, f64::INFINITY);
        assert!(modified_z(1.0, &[], 0.05).is_none());
        assert!(modified_z(f64::NAN, &[1.0], 0.05).is_none());
    }

    #[test]
    fn student_t_quantiles_match_tables() {
        // t(0.95; 13) = 1.7709, t(0.975; 1) = 12.706; large df tends to the normal 1.6449.
        assert!((student_t_quantile(0.95, 13.0) - 1.7709).abs() < 1e-3);
        assert!((student_t_quantile(0.975, 1.0) - 12.706).abs() < 1e-2);
        assert!((student_t_quantile(0.95, f64::INFINITY) - 1.6449).abs() < 1e-3);
        assert!((student_t_quantile(0.95, 0.0) - 1.6449).abs() < 1e-3);
    }
}
