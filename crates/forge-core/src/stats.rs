//! Small, exact statistics the analyses share. statrs provides the distributions; the tests
//! are written here because statrs lacks them or gets them wrong (its exact Mann–Whitney
//! p-value is wrong when the first sample is the shorter one).

use statrs::distribution::{
    Binomial, ContinuousCDF, DiscreteCDF, Hypergeometric, Normal, StudentsT,
};

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

/// One-sided Fisher exact test that the "new" arm's rate is greater: P(X >= k_new) where X is
/// hypergeometric with the table's margins, table [[k_new, n_new-k_new],[k_old, n_old-k_old]].
/// Returns 1.0 when either n is 0. Counts above their n are clamped to n.
pub fn fisher_exact_greater(k_new: u64, n_new: u64, k_old: u64, n_old: u64) -> f64 {
    let (k_new, k_old) = (k_new.min(n_new), k_old.min(n_old));
    if n_new == 0 || n_old == 0 || k_new == 0 {
        return 1.0;
    }
    let Some(population) = n_new.checked_add(n_old) else {
        return 1.0;
    };
    // statrs sums the upper tail term by term, so tiny p-values keep their precision.
    match Hypergeometric::new(population, k_new + k_old, n_new) {
        Ok(h) => h.sf(k_new - 1).clamp(0.0, 1.0),
        Err(_) => 1.0,
    }
}

/// The result of [`mann_whitney`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MannWhitney {
    /// U statistic of the first sample x: #pairs x_i > y_j plus half the ties.
    pub u: f64,
    /// p-value of the alternative "x tends to be greater than y".
    pub p_greater: f64,
    pub p_less: f64,
    pub p_two_sided: f64,
    /// True when the p-values come from the exact null distribution (small samples, no ties).
    pub exact: bool,
}

/// Largest `n_x * n_y` for which [`mann_whitney`] uses the exact null distribution. Its cost
/// grows as `(n_x·n_y)²`: under a millisecond here (50 × 50), 8 ms at 100 × 100; and at 50 × 50
/// the normal approximation's p-values are already within 1e-3 (absolute) of the exact ones.
pub const MANN_WHITNEY_EXACT_MAX_PAIRS: usize = 2_500;

/// Mann–Whitney U test. Exact null distribution (counting DP) when there are no ties and
/// `n_x * n_y <= MANN_WHITNEY_EXACT_MAX_PAIRS`, else the normal approximation with tie
/// correction and continuity correction (as `scipy.stats.mannwhitneyu(method="asymptotic",
/// use_continuity=True)`). The two-sided p is `min(1, 2 · the smaller one-sided p)`, as scipy's.
/// None if either sample is empty or contains a non-finite value.
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    if x.is_empty() || y.is_empty() || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Midranks: a group of tied values at sorted positions i..j shares rank (i + 1 + j) / 2.
    let (mut rank_sum_x, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < pooled.len() {
        let j = i + pooled[i..]
            .iter()
            .take_while(|p| p.0 == pooled[i].0)
            .count();
        let in_x = pooled[i..j].iter().filter(|p| p.1).count() as f64;
        rank_sum_x += in_x * (i + 1 + j) as f64 / 2.0;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    let (m, n) = (x.len() as f64, y.len() as f64);
    let mn = m * n;
    let u = rank_sum_x - m * (m + 1.0) / 2.0;
    let exact = tie_term == 0.0 && x.len() * y.len() <= MANN_WHITNEY_EXACT_MAX_PAIRS;
    let (p_greater, p_less, p_two_sided) = if exact {
        // Tails are taken on the side of the smaller of u and mn - u (the null is symmetric),
        // so swapping x and y swaps p_greater and p_less exactly.
        let t = u.min(mn - u);
        let (lower, at_t) = mann_whitney_null_lower(x.len(), y.len(), t as usize);
        let upper = (1.0 - lower + at_t).min(1.0);
        let (p_greater, p_less) = if u <= mn - u {
            (upper, lower)
        } else {
            (lower, upper)
        };
        (p_greater, p_less, (2.0 * lower).min(1.0))
    } else {
        let n_all = m + n;
        let sd = (mn / 12.0 * (n_all + 1.0 - tie_term / (n_all * (n_all - 1.0)))).sqrt();
        if sd > 0.0 {
            let p = |u: f64| normal_sf((u - mn / 2.0 - 0.5) / sd);
            (p(u), p(mn - u), (2.0 * p(u.max(mn - u))).min(1.0))
        } else {
            // Every value tied: no evidence either way.
            (1.0, 1.0, 1.0)
        }
    };
    Some(MannWhitney {
        u,
        p_greater,
        p_less,
        p_two_sided,
        exact,
    })
}

/// `(P(U <= t), P(U = t))` under the null for samples of sizes m and n without ties, by the
/// frequency recursion p_{i,j}(u) = i/(i+j)·p_{i-1,j}(u-j) + j/(i+j)·p_{i,j-1}(u): the largest
/// pooled value comes from the i-sample with probability i/(i+j) and then beats all j others.
/// Working in probabilities, every step adds non-negative terms, so no precision is lost
/// (the generating-function product with its subtractions is unstable in floating point).
fn mann_whitney_null_lower(m: usize, n: usize, t: usize) -> (f64, f64) {
    let (small, large) = (m.min(n), m.max(n));
    let width = t + 1;
    // Row i holds p_{i,j}(0..=t) for the current j; j = 0 means U = 0 for sure.
    let mut rows = vec![0.0; (small + 1) * width];
    for i in 0..=small {
        rows[i * width] = 1.0;
    }
    for j in 1..=large {
        for i in 1..=small {
            let (w_x, w_y) = (i as f64 / (i + j) as f64, j as f64 / (i + j) as f64);
            let (before, from_i) = rows.split_at_mut(i * width);
            let prev = &before[(i - 1) * width..];
            let cur = &mut from_i[..width];
            // u < j cannot come from the x branch (it adds j); u >= j reads prev[u - j].
            let top = (i * j).min(t);
            let (below_j, from_j) = cur[..=top].split_at_mut(j.min(top + 1));
            below_j.iter_mut().for_each(|c| *c *= w_y);
            for (c, p) in from_j.iter_mut().zip(prev) {
                *c = w_x * p + w_y * *c;
            }
        }
    }
    let last = &rows[small * width..];
    (last.iter().sum::<f64>().min(1.0), last[t])
}

/// The result of [`hodges_lehmann`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HodgesLehmann {
    pub shift: f64,
    pub low: f64,
    pub high: f64,
    /// The interval's confidence: the one asked for, or less when the samples are too small to
    /// reach it (the interval is then the full range of differences, and this its coverage).
    pub confidence: f64,
}

/// Hodges–Lehmann estimate of the shift of x relative to y: median of all pairwise x_i - y_j,
/// with the distribution-free (Moses) confidence interval from the order statistics of those
/// differences: the (c+1)-th smallest and largest, where c is the largest count with
/// P(U <= c) <= (1 - confidence)/2 by the normal approximation of U with continuity
/// correction (exact tables differ by at most one order statistic; ties are ignored).
/// None if either is empty, a value is not finite, or confidence is not in (0, 1).
/// Allocates exactly n_x·n_y f64s (callers cap sample sizes).
pub fn hodges_lehmann(x: &[f64], y: &[f64], confidence: f64) -> Option<HodgesLehmann> {
    if x.is_empty()
        || y.is_empty()
        || x.iter().chain(y).any(|v| !v.is_finite())
        || !(confidence > 0.0 && confidence < 1.0)
    {
        return None;
    }
    let mut diffs: Vec<f64> = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| a - b))
        .collect();
    let len = diffs.len();
    // Selection instead of a sort: linear time and no extra buffer.
    let mut nth = |k: usize| *diffs.select_nth_unstable_by(k, f64::total_cmp).1;
    let shift = if len % 2 == 1 {
        nth(len / 2)
    } else {
        (nth(len / 2 - 1) + nth(len / 2)) / 2.0
    };
    let mn = len as f64;
    let sd = (mn * (x.len() + y.len() + 1) as f64 / 12.0).sqrt();
    let z = Normal::standard().inverse_cdf(0.5 + confidence / 2.0);
    let c = (mn / 2.0 - 0.5 - z * sd).floor();
    let (c, confidence) = if c >= 0.0 {
        (c as usize, confidence)
    } else {
        (0, 1.0 - 2.0 * normal_sf((mn / 2.0 - 0.5) / sd))
    };
    Some(HodgesLehmann {
        shift,
        low: nth(c),
        high: nth(len - 1 - c),
        confidence,
    })
}

/// The result of [`welch_t`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Welch {
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    pub p_two_sided: f64,
    /// p-value of the alternative "the mean of x is greater".
    pub p_greater: f64,
    pub mean_x: f64,
    pub mean_y: f64,
}

/// Welch's two-sample t-test (unequal variances). None if a side has fewer than 2 values or a
/// non-finite one, or both variances are 0.
pub fn welch_t(x: &[f64], y: &[f64]) -> Option<Welch> {
    let moments = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    if x.len() < 2 || y.len() < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let ((nx, mean_x, var_x), (ny, mean_y, var_y)) = (moments(x), moments(y));
    let (a, b) = (var_x / nx, var_y / ny);
    if (a + b).is_nan() || a + b <= 0.0 {
        return None;
    }
    let t = (mean_x - mean_y) / (a + b).sqrt();
    let df = (a + b).powi(2) / (a * a / (nx - 1.0) + b * b / (ny - 1.0));
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some(Welch {
        t,
        df,
        p_two_sided: (2.0 * dist.sf(t.abs())).min(1.0),
        p_greater: dist.sf(t),
        mean_x,
        mean_y,
    })
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

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn fisher_greater_matches_hypergeometric_sums() {
        // [[3,1],[1,3]]: N 8, K 4, 4 draws: (C(4,3)C(4,1) + C(4,4)) / C(8,4) = 17/70.
        assert!(close(fisher_exact_greater(3, 4, 1, 4), 17.0 / 70.0, 1e-12));
        // [[8,2],[1,5]]: (C(9,8)C(7,2) + C(9,9)C(7,1)) / C(16,10) = 196/8008 = 0.0244755
        // (0.0349650 is this table's two-sided p, not the one-sided one).
        assert!(close(
            fisher_exact_greater(8, 10, 1, 6),
            196.0 / 8008.0,
            1e-12
        ));
        // 30/200 vs 10/200: scipy 1.17.1 fisher_exact(alternative="greater"), computed once.
        assert!(close(
            fisher_exact_greater(30, 200, 10, 200),
            0.000642466379722599,
            1e-9
        ));
        // The orientation: the old arm being worse is no evidence.
        assert!(fisher_exact_greater(10, 200, 30, 200) > 0.99);
        assert_eq!(fisher_exact_greater(0, 10, 5, 10), 1.0);
        assert_eq!(fisher_exact_greater(3, 0, 1, 4), 1.0);
        assert_eq!(fisher_exact_greater(3, 4, 1, 0), 1.0);
        assert_eq!(
            fisher_exact_greater(9, 4, 1, 4),
            fisher_exact_greater(4, 4, 1, 4)
        );
    }

    #[test]
    fn mann_whitney_exact_matches_scipy() {
        // scipy 1.17.1 mannwhitneyu(method="exact"), computed once.
        let high = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let low = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let r = mann_whitney(&high, &low).unwrap();
        assert!(r.exact && r.u == 36.0 && r.p_less == 1.0, "{r:?}");
        assert!(close(r.p_two_sided, 0.0021645021645021645, 1e-12), "{r:?}");
        assert!(close(r.p_greater, 0.0010822510822510823, 1e-12), "{r:?}");
        // The scipy documentation example, both ways round.
        let males = [19.0, 22.0, 16.0, 29.0, 24.0];
        let females = [20.0, 11.0, 17.0, 12.0];
        let r = mann_whitney(&males, &females).unwrap();
        assert!(
            r.u == 17.0 && close(r.p_two_sided, 0.1111111111111111, 1e-12),
            "{r:?}"
        );
        assert!(close(r.p_greater, 0.05555555555555555, 1e-12), "{r:?}");
        assert!(close(r.p_less, 0.9682539682539683, 1e-12), "{r:?}");
        let r = mann_whitney(&females, &males).unwrap();
        assert!(
            r.u == 3.0 && close(r.p_two_sided, 0.1111111111111111, 1e-12),
            "{r:?}"
        );
        // 30 × 40 (numpy default_rng(7) normals rounded to 6 decimals), and shifted by +1.
        let (x, y) = sample_30_40();
        let r = mann_whitney(&x, &y).unwrap();
        assert!(r.exact && r.u == 595.0, "{r:?}");
        assert!(close(r.p_two_sided, 0.9576919386438528, 1e-9), "{r:?}");
        assert!(close(r.p_greater, 0.525849020247979, 1e-9), "{r:?}");
        assert!(close(r.p_less, 0.4788459693219264, 1e-9), "{r:?}");
        let shifted: Vec<f64> = x.iter().map(|v| v + 1.0).collect();
        let r = mann_whitney(&shifted, &y).unwrap();
        assert!(
            r.u == 939.0 && close(r.p_greater, 1.638718688750758e-05, 1e-9),
            "{r:?}"
        );
        assert!(close(r.p_two_sided, 3.277437377501516e-05, 1e-9), "{r:?}");
        assert!(close(r.p_less, 0.9999845467489225, 1e-12), "{r:?}");
    }

    #[test]
    fn mann_whitney_exact_null_matches_enumeration() {
        // Every way to place 4 x's among 9 ranks: the count with U = #(x > y) <= t.
        let (m, n) = (4usize, 5usize);
        let mut counts = vec![0u32; m * n + 1];
        for mask in 0u32..1 << (m + n) {
            if mask.count_ones() as usize == m {
                // Each x beats the y's ranked below it.
                let u: usize = (0..m + n)
                    .filter(|&r| mask >> r & 1 == 1)
                    .map(|r| (0..r).filter(|&s| mask >> s & 1 == 0).count())
                    .sum();
                counts[u] += 1;
            }
        }
        let total: u32 = counts.iter().sum();
        for t in 0..=m * n {
            let lower = counts[..=t].iter().sum::<u32>() as f64 / total as f64;
            let (ours, at_t) = mann_whitney_null_lower(m, n, t);
            assert!((ours - lower).abs() < 1e-12, "t {t}: {ours} vs {lower}");
            assert!((at_t - counts[t] as f64 / total as f64).abs() < 1e-12);
            assert_eq!(mann_whitney_null_lower(n, m, t).0, ours);
        }
    }

    #[test]
    fn mann_whitney_asymptotic_matches_scipy() {
        // Ties force the normal approximation; scipy 1.17.1 mannwhitneyu(method="asymptotic",
        // use_continuity=True), computed once.
        let a = [
            1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0, 8.0,
        ];
        let b = [
            2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 6.0, 7.0, 8.0, 8.0, 9.0, 9.0, 10.0,
        ];
        let r = mann_whitney(&a, &b).unwrap();
        assert!(!r.exact && r.u == 51.0, "{r:?}");
        assert!(close(r.p_two_sided, 0.0537443257067322, 1e-9), "{r:?}");
        assert!(close(r.p_greater, 0.9760200889782977, 1e-9), "{r:?}");
        assert!(close(r.p_less, 0.0268721628533661, 1e-9), "{r:?}");
        // 60 × 50 without ties: past the exact bound.
        let x: Vec<f64> = (0..60).map(|i| ((i * 37) % 101) as f64 + 0.25).collect();
        let y: Vec<f64> = (0..50).map(|j| ((j * 53) % 97) as f64 * 1.01).collect();
        let r = mann_whitney(&x, &y).unwrap();
        assert!(!r.exact && r.u == 1625.0, "{r:?}");
        assert!(close(r.p_two_sided, 0.4548379677495855, 1e-9), "{r:?}");
        assert!(close(r.p_greater, 0.22741898387479276, 1e-9), "{r:?}");
        assert!(close(r.p_less, 0.7743882347619184, 1e-9), "{r:?}");
        // All values tied: nothing to test.
        let r = mann_whitney(&[1.0; 3], &[1.0; 4]).unwrap();
        assert_eq!((r.u, r.p_two_sided, r.p_greater), (6.0, 1.0, 1.0));
    }

    #[test]
    fn mann_whitney_swapping_samples_swaps_the_one_sided_p_values() {
        let (x, y) = sample_30_40();
        let ties = [1.0, 2.0, 2.0, 3.0, 5.0];
        let cases: [(&[f64], &[f64]); 4] = [
            (&x, &y),
            (&x[..7], &y[..5]),
            (&ties, &[2.0, 3.0, 3.0, 4.0]),
            (&[1.0], &[2.0]),
        ];
        for (a, b) in cases {
            let (ab, ba) = (mann_whitney(a, b).unwrap(), mann_whitney(b, a).unwrap());
            assert_eq!(ab.p_greater, ba.p_less, "{ab:?} {ba:?}");
            assert_eq!(ab.p_less, ba.p_greater, "{ab:?} {ba:?}");
            assert_eq!(ab.p_two_sided, ba.p_two_sided);
            assert_eq!(ab.u + ba.u, (a.len() * b.len()) as f64);
        }
        assert!(mann_whitney(&[], &[1.0]).is_none());
        assert!(mann_whitney(&[1.0, f64::NAN], &[1.0]).is_none());
        assert!(mann_whitney(&[1.0], &[f64::INFINITY]).is_none());
    }

    #[test]
    fn hodges_lehmann_matches_hand_computation() {
        // Differences x - y: -0.5, 0.5, 1, 2, 2.5, 4 -> median 1.5. mn = 6, sd(U) = √3.
        let (x, y) = ([1.0, 2.0, 4.0], [0.0, 1.5]);
        // 50 %: z = 0.6745, c = floor(3 - 0.5 - 0.6745·√3) = 1 -> 2nd smallest and largest.
        let hl = hodges_lehmann(&x, &y, 0.5).unwrap();
        assert_eq!(
            (hl.shift, hl.low, hl.high, hl.confidence),
            (1.5, 0.5, 2.5, 0.5)
        );
        // 95 % is out of reach with 3 + 2 values: the full range, with the coverage it has,
        // 1 - 2Φ(-2.5/√3) = 0.8511.
        let hl = hodges_lehmann(&x, &y, 0.95).unwrap();
        assert_eq!((hl.shift, hl.low, hl.high), (1.5, -0.5, 4.0));
        assert!((hl.confidence - 0.8511).abs() < 1e-4, "{hl:?}");
        // Odd count, and the 10 × 10 interval at 95 %: the 24th smallest and largest
        // differences, the exact critical value (R's qwilcox(0.025, 10, 10) = 24).
        assert_eq!(
            hodges_lehmann(&[3.0], &[1.0, 2.0, 7.0], 0.9).unwrap().shift,
            1.0
        );
        let x: Vec<f64> = (0..10).map(|i| 1.1 * (i * i) as f64).collect();
        let y: Vec<f64> = (0..10).map(|j| std::f64::consts::PI * j as f64).collect();
        let mut diffs: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        diffs.sort_by(f64::total_cmp);
        assert!(
            diffs.windows(2).all(|w| w[0] < w[1]),
            "ties would hide an off-by-one"
        );
        let hl = hodges_lehmann(&x, &y, 0.95).unwrap();
        assert_eq!(
            (hl.low, hl.high, hl.confidence),
            (diffs[23], diffs[76], 0.95)
        );
        assert_eq!(hl.shift, (diffs[49] + diffs[50]) / 2.0);
        assert!(hodges_lehmann(&[], &[1.0], 0.95).is_none());
        assert!(hodges_lehmann(&[1.0], &[1.0], 1.0).is_none());
        assert!(hodges_lehmann(&[f64::NAN], &[1.0], 0.95).is_none());
    }

    #[test]
    fn welch_matches_scipy() {
        // Wikipedia's Welch example; scipy 1.17.1 ttest_ind(equal_var=False), computed once.
        let a1 = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ];
        let a2 = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ];
        let w = welch_t(&a1, &a2).unwrap();
        assert!(close(w.t, -2.455356398286006, 1e-9), "{w:?}");
        assert!(close(w.df, 24.988529290231416, 1e-9), "{w:?}");
        assert!(close(w.p_two_sided, 0.021378001462866992, 1e-6), "{w:?}");
        assert!(
            close(1.0 - w.p_greater, 0.010689000731433496, 1e-6),
            "{w:?}"
        );
        let back = welch_t(&a2, &a1).unwrap();
        assert!(
            close(back.p_greater, 0.010689000731433496, 1e-6),
            "{back:?}"
        );
        // One constant side is fine; two, or a side of one, is not.
        assert!(welch_t(&[1.0, 1.0], &[1.0, 2.0, 3.0]).is_some());
        assert!(welch_t(&[1.0, 1.0], &[2.0, 2.0]).is_none());
        assert!(welch_t(&[1.0], &[2.0, 3.0]).is_none());
        assert!(welch_t(&[1.0, f64::NAN], &[2.0, 3.0]).is_none());
    }

    /// numpy `default_rng(7)`: 30 draws of N(0.3, 1) then 40 of N(0, 1), rounded to 6 decimals.
    fn sample_30_40() -> (Vec<f64>, Vec<f64>) {
        let x = vec![
            0.30123, 0.598746, 0.025862, -0.590592, -0.154671, -0.691647, 0.360144, 1.640215,
            -0.192207, -0.320475, 0.789842, 0.656887, 0.405414, -0.630468, 0.270748, 0.995303,
            -1.044215, -0.157616, -1.601223, -0.989538, -1.541735, 0.064909, -0.967446, 0.571264,
            0.456751, 0.113069, -2.21676, -0.238693, 0.251499, 0.413309,
        ];
        let y = vec![
            -1.530136, -0.477753, -0.978519, -0.808837, 1.060899, -0.807535, -0.032522, 0.88439,
            -0.5836, -0.111702, 0.110464, 0.063782, -1.225056, 0.07614, 1.358823, -1.547145,
            0.859383, 0.119354, -0.64147, 2.000417, 0.76226, -1.199289, 0.074516, 0.57669,
            -0.188782, 0.68291, -0.066517, 0.667248, 1.438523, -0.675662, 0.203139, -0.463308,
            0.127268, -1.187195, -0.579302, -0.196196, 0.898764, 1.145222, -1.323528, -0.794642,
        ];
        (x, y)
    }
}
