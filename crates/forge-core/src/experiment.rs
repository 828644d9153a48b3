//! A/B tests of two actor variants: the statistics behind the ab-tester.
//!
//! Arm A is the control (the current build), arm B the variant. Every effect is "B relative to
//! A": a positive `diff` or `lift` means B is higher. Whether higher is better depends on the
//! metric (see [`verdict`]).
//!
//! GrowthBook's stats engine (`growthbook/growthbook`, `packages/stats/gbstats`) is the anchor
//! for formulas and defaults; methods-anchors §4 lists them. What is here:
//!
//! - Success rate: [`two_proportion`] (Fisher exact for small counts, else the pooled
//!   two-proportion z-test, with a Newcombe interval for the difference) and
//!   [`prob_b_beats_a`] (Beta posteriors, P(B better) and GrowthBook's risk).
//! - Per-run metrics: [`relative_lift`] (GrowthBook's delta-method Welch test on the relative
//!   lift) and [`log_ratio`] (Welch on log values: the ratio of geometric means, the primary test
//!   for duration and cost).
//! - Guardrail: [`srm`] (sample-ratio mismatch, χ² goodness of fit).
//! - Power: [`runs_per_arm_proportion`], [`runs_per_arm_log`], [`mde_proportion`],
//!   [`mde_log`], [`power_proportion`], [`power_log`].
//! - Peeking: [`sequential_interval`] (GrowthBook's always-valid confidence sequence).
//! - The decision: [`verdict`].
//!
//! Everything is a deterministic function of its arguments.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use statrs::function::factorial::ln_binomial;
use statrs::function::gamma::ln_gamma;

use crate::stats::{normal_sf, student_t_quantile, wilson_interval};

/// Confidence level of every fixed-horizon interval here (GrowthBook's
/// `DEFAULT_CONFIDENCE_LEVEL`).
pub const CONFIDENCE: f64 = 0.95;
/// z_{0.975}: the normal quantile of a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_984_540_054;
/// [`two_proportion`] uses Fisher's exact test when any cell of the 2×2 table is below this...
pub const FISHER_MIN_CELL: u64 = 10;
/// ...or when either arm has fewer runs than this (methods-anchors §4.3).
pub const FISHER_MIN_RUNS: u64 = 30;
/// GrowthBook `DEFAULT_WIN_RISK_THRESHOLD`: choosing B is safe when its risk is below this.
pub const WIN_RISK_THRESHOLD: f64 = 0.0025;
/// GrowthBook `DEFAULT_LOSE_RISK_THRESHOLD`.
pub const LOSE_RISK_THRESHOLD: f64 = 0.0125;
/// GrowthBook `DEFAULT_SRM_THRESHOLD`: a sample-ratio mismatch needs p below this.
pub const SRM_P_THRESHOLD: f64 = 0.001;
/// GrowthBook `DEFAULT_SRM_MINIMINUM_COUNT_PER_VARIATION`.
pub const SRM_MIN_COUNT: u64 = 8;
/// GrowthBook `DEFAULT_SEQUENTIAL_TESTING_TUNING_PARAMETER`: the total sample size N* at which
/// the confidence sequence is tightest.
pub const DEFAULT_SEQUENTIAL_TUNING: f64 = 5000.0;
/// The power below which [`verdict`] refuses to conclude "no detectable difference".
pub const MIN_POWER: f64 = 0.8;
/// Grid points per posterior in [`prob_b_beats_a`].
const BAYES_GRID: usize = 2000;
/// Half-width of each posterior's integration region, in posterior standard deviations.
const BAYES_SPAN_SD: f64 = 15.0;

/// The standard normal quantile.
fn z_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

// ---------------------------------------------------------------------------------------------
// Success rate: frequentist

/// [`ProportionTest::test`] of Fisher's exact test.
pub const FISHER_EXACT: &str = "fisher-exact";
/// [`ProportionTest::test`] of the pooled two-proportion z-test.
pub const TWO_PROPORTION_Z: &str = "two-proportion-z";

/// The result of [`two_proportion`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProportionTest {
    pub rate_a: f64,
    pub rate_b: f64,
    /// rate_b − rate_a.
    pub diff: f64,
    /// Newcombe hybrid score 95 % interval for `diff`.
    pub diff_low: f64,
    pub diff_high: f64,
    pub p_two_sided: f64,
    /// Which test gave the p-value: [`FISHER_EXACT`] or [`TWO_PROPORTION_Z`].
    pub test: &'static str,
}

/// Compares the success rates k_a/n_a (control) and k_b/n_b (variant).
///
/// - p-value (methods-anchors §4.3): Fisher's exact test, two-sided
///   ([`fisher_exact_two_sided`]), when any cell of the table [[k_a, n_a − k_a], [k_b, n_b − k_b]]
///   is below [`FISHER_MIN_CELL`] or either arm has fewer than [`FISHER_MIN_RUNS`] runs; else the
///   pooled two-proportion z-test z = (p̂_B − p̂_A)/√(p̄(1 − p̄)(1/n_A + 1/n_B)),
///   p̄ = (k_A + k_B)/(n_A + n_B), p = 2·(1 − Φ(|z|)) (as statsmodels' `proportions_ztest`).
/// - Interval: Newcombe's hybrid score interval for p_B − p_A (Newcombe 1998, method 10; as
///   statsmodels' `confint_proportions_2indep(method="newcomb")`): with Wilson 95 % intervals
///   (l_A, u_A) and (l_B, u_B), low = d − √((p̂_B − l_B)² + (u_A − p̂_A)²) and
///   high = d + √((u_B − p̂_B)² + (p̂_A − l_A)²).
///
/// Counts above their n are clamped to n. An arm with no runs knows nothing: its rate is 0,
/// its Wilson interval (0, 1), so the difference's interval is at least 1 wide, and p = 1
/// (Fisher). Callers should check for empty arms first.
pub fn two_proportion(k_a: u64, n_a: u64, k_b: u64, n_b: u64) -> ProportionTest {
    let (k_a, k_b) = (k_a.min(n_a), k_b.min(n_b));
    let rate = |k: u64, n: u64| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let (rate_a, rate_b) = (rate(k_a, n_a), rate(k_b, n_b));
    let diff = rate_b - rate_a;
    let small = [k_a, n_a - k_a, k_b, n_b - k_b]
        .iter()
        .any(|&c| c < FISHER_MIN_CELL)
        || n_a.min(n_b) < FISHER_MIN_RUNS;
    let (p_two_sided, test) = if small {
        (fisher_exact_two_sided(k_a, n_a, k_b, n_b), FISHER_EXACT)
    } else {
        // Every cell is >= 10 here, so the pooled rate is strictly inside (0, 1).
        let (na, nb) = (n_a as f64, n_b as f64);
        let pooled = (k_a + k_b) as f64 / (na + nb);
        let se = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
        (
            (2.0 * normal_sf((diff / se).abs())).min(1.0),
            TWO_PROPORTION_Z,
        )
    };
    let (lo_a, hi_a) = wilson_interval(k_a, n_a, Z_95);
    let (lo_b, hi_b) = wilson_interval(k_b, n_b, Z_95);
    let diff_low = diff - ((rate_b - lo_b).powi(2) + (hi_a - rate_a).powi(2)).sqrt();
    let diff_high = diff + ((hi_b - rate_b).powi(2) + (rate_a - lo_a).powi(2)).sqrt();
    ProportionTest {
        rate_a,
        rate_b,
        diff,
        diff_low,
        diff_high,
        p_two_sided,
        test,
    }
}

/// Two-sided Fisher exact test on [[k_a, n_a − k_a], [k_b, n_b − k_b]], as
/// `scipy.stats.fisher_exact(table, alternative="two-sided")`: the sum of the hypergeometric
/// probabilities of every table with the same margins that is no more likely than the observed
/// one (with scipy's relative tolerance of 1e-7 for ties). Linear in the size of the support.
///
/// Counts above their n are clamped to n. Returns 1.0 when a margin is empty (either n is 0, or
/// there are no successes or no failures at all).
pub fn fisher_exact_two_sided(k_a: u64, n_a: u64, k_b: u64, n_b: u64) -> f64 {
    let (k_a, k_b) = (k_a.min(n_a), k_b.min(n_b));
    let Some(n) = n_a.checked_add(n_b) else {
        return 1.0;
    };
    let k = k_a + k_b;
    if n_a == 0 || n_b == 0 || k == 0 || k == n {
        return 1.0;
    }
    // X = successes in arm A ~ Hypergeometric(population n, k successes, n_a draws).
    let ln_total = ln_binomial(n, n_a);
    let ln_pmf = |x: u64| ln_binomial(k, x) + ln_binomial(n - k, n_a - x) - ln_total;
    let cutoff = ln_pmf(k_a) + 1e-7_f64.ln_1p();
    let (lo, hi) = (n_a.saturating_sub(n - k), k.min(n_a));
    let p: f64 = (lo..=hi)
        .map(ln_pmf)
        .filter(|&l| l <= cutoff)
        .map(f64::exp)
        .sum();
    p.clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Success rate: Bayesian

/// The result of [`prob_b_beats_a`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BayesProportion {
    /// P(p_B > p_A) under the posteriors.
    pub prob_b_better: f64,
    /// E[max(0, p_B − p_A)]: the expected loss (in success rate) of choosing A.
    pub risk_a: f64,
    /// E[max(0, p_A − p_B)]: the expected loss of choosing B. Ship B when this is below
    /// [`WIN_RISK_THRESHOLD`].
    pub risk_b: f64,
}

/// A Beta(1 + k, 1 + n − k) posterior (uniform prior), with its log normalizing constant.
struct BetaPosterior {
    a: f64,
    b: f64,
    ln_norm: f64,
}

impl BetaPosterior {
    fn new(k: u64, n: u64) -> Self {
        let k = k.min(n);
        let (a, b) = (1.0 + k as f64, 1.0 + (n - k) as f64);
        let ln_norm = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b);
        BetaPosterior { a, b, ln_norm }
    }

    fn mean(&self) -> f64 {
        self.a / (self.a + self.b)
    }

    fn sd(&self) -> f64 {
        let s = self.a + self.b;
        (self.a * self.b / (s * s * (s + 1.0))).sqrt()
    }

    fn pdf(&self, x: f64) -> f64 {
        // (c − 1)·ln t with the convention 0·ln 0 = 0 (a and b are at least 1).
        let term = |c: f64, t: f64| if c == 1.0 { 0.0 } else { (c - 1.0) * t.ln() };
        (self.ln_norm + term(self.a, x) + term(self.b, 1.0 - x)).exp()
    }

    /// The integration region: mean ± [`BAYES_SPAN_SD`] sd, clipped to [0, 1]. The mass left
    /// outside is below 1e-6 even for the most skewed posterior, Beta(1, n + 1), whose right
    /// tail beyond mean + 15 sd is about e^-16.
    fn region(&self) -> (f64, f64) {
        let (m, s) = (self.mean(), self.sd());
        (
            (m - BAYES_SPAN_SD * s).max(0.0),
            (m + BAYES_SPAN_SD * s).min(1.0),
        )
    }

    /// Per cell between consecutive nodes: (mass, ∫ x·f(x) dx), by Simpson's rule on the cell,
    /// normalized so the masses sum to 1.
    fn cells(&self, nodes: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let mut mass = Vec::with_capacity(nodes.len());
        let mut moment = Vec::with_capacity(nodes.len());
        let mut f_left = self.pdf(nodes[0]);
        for w in nodes.windows(2) {
            let (l, r) = (w[0], w[1]);
            let mid = 0.5 * (l + r);
            let (f_mid, f_right) = (self.pdf(mid), self.pdf(r));
            let h6 = (r - l) / 6.0;
            mass.push(h6 * (f_left + 4.0 * f_mid + f_right));
            moment.push(h6 * (l * f_left + 4.0 * mid * f_mid + r * f_right));
            f_left = f_right;
        }
        let total: f64 = mass.iter().sum();
        if total > 0.0 {
            mass.iter_mut().for_each(|m| *m /= total);
            moment.iter_mut().for_each(|m| *m /= total);
        }
        (mass, moment)
    }
}

/// Mass and first moment per cell, as [`BetaPosterior::cells`] returns them.
type Cells = (Vec<f64>, Vec<f64>);

/// The offset of a cell's centroid of Y from its centroid of X, relative to the cell width
/// (0 when either has no mass there).
fn centroid_shift(x: &Cells, y: &Cells, j: usize, width: f64) -> f64 {
    if x.0[j] > 0.0 && y.0[j] > 0.0 && width > 0.0 {
        (y.1[j] / y.0[j] - x.1[j] / x.0[j]) / width
    } else {
        0.0
    }
}

/// P(Y > X) and E[max(0, Y − X)] for independent X and Y discretized on the same cells. For
/// cells i < j the contributions m_X(i)·m_Y(j) and m_X(i)·∫_j y f_Y − m_Y(j)·∫_i x f_X are
/// exact. Within one cell of width h both are taken as uniform, shifted by the difference δ of
/// their centroids: P(Y > X) ≈ 1/2 + δ/h and E[max(0, Y − X)] ≈ h/6 + δ/2 (first order in δ).
fn compare_cells(x: &Cells, y: &Cells, widths: &[f64]) -> (f64, f64) {
    let (mut x_mass_before, mut x_moment_before) = (0.0, 0.0);
    let (mut prob, mut excess) = (0.0, 0.0);
    for (j, &h) in widths.iter().enumerate() {
        let both = x.0[j] * y.0[j];
        let shift = centroid_shift(x, y, j, h);
        prob += y.0[j] * x_mass_before + both * (0.5 + shift).clamp(0.0, 1.0);
        excess += y.1[j] * x_mass_before - y.0[j] * x_moment_before
            + both * (h / 6.0 + shift * h / 2.0).max(0.0);
        x_mass_before += x.0[j];
        x_moment_before += x.1[j];
    }
    (prob.clamp(0.0, 1.0), excess.max(0.0))
}

/// Bayesian comparison of two success rates with independent Beta(1 + k, 1 + n − k) posteriors
/// (a uniform prior; GrowthBook's proportion model, methods-anchors §4.3).
///
/// - `prob_b_better` = P(p_B > p_A) = ∫ f_B(x)·F_A(x) dx.
/// - `risk_a` = E[max(0, p_B − p_A)] (the loss of keeping A), `risk_b` = E[max(0, p_A − p_B)]
///   (the loss of shipping B), GrowthBook's "risk", to compare with [`WIN_RISK_THRESHOLD`] and
///   [`LOSE_RISK_THRESHOLD`].
///
/// Computed by deterministic numerical integration, which agrees with adaptive quadrature to
/// 1e-8 (P) and 1e-9 (risks) in the tests, for n from 0 to 10^5: each posterior gets a uniform grid of 2000 points over mean ± 15 sd (so a
/// narrow posterior is resolved however wide the other one is), the two grids are merged, each
/// posterior's mass and first moment in every cell come from Simpson's rule on its log-density
/// (no incomplete-beta evaluations, whose continued fraction does not converge for parameters
/// near 10^5), and the double integrals reduce to running sums over the cells (a pair of draws
/// in the same cell is handled to first order, see `compare_cells`).
/// Counts above their n are clamped; an arm with n = 0 has the uniform posterior.
pub fn prob_b_beats_a(k_a: u64, n_a: u64, k_b: u64, n_b: u64) -> BayesProportion {
    let (a, b) = (BetaPosterior::new(k_a, n_a), BetaPosterior::new(k_b, n_b));
    let mut nodes = Vec::with_capacity(2 * BAYES_GRID);
    for post in [&a, &b] {
        let (lo, hi) = post.region();
        let step = (hi - lo) / (BAYES_GRID - 1) as f64;
        nodes.extend((0..BAYES_GRID).map(|i| lo + step * i as f64));
    }
    nodes.sort_by(f64::total_cmp);
    nodes.dedup();
    let widths: Vec<f64> = nodes.windows(2).map(|w| w[1] - w[0]).collect();
    let (cells_a, cells_b) = (a.cells(&nodes), b.cells(&nodes));
    let (prob_b_better, risk_a) = compare_cells(&cells_a, &cells_b, &widths);
    let (_, risk_b) = compare_cells(&cells_b, &cells_a, &widths);
    BayesProportion {
        prob_b_better,
        risk_a,
        risk_b,
    }
}

// ---------------------------------------------------------------------------------------------
// Per-run metrics

/// What [`Lift::lift`] measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LiftScale {
    /// (mean_B − mean_A)/mean_A of arithmetic means ([`relative_lift`]).
    Relative,
    /// geomean_B/geomean_A − 1, tested on log values ([`log_ratio`]).
    LogRatio,
}

/// The result of [`relative_lift`] and [`log_ratio`]: a relative change of B against A.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lift {
    pub scale: LiftScale,
    /// Arithmetic means ([`LiftScale::Relative`]) or geometric means ([`LiftScale::LogRatio`]).
    pub mean_a: f64,
    pub mean_b: f64,
    /// The relative change of B against A (0.1 = B is 10 % higher).
    pub lift: f64,
    /// 95 % confidence interval of `lift`.
    pub low: f64,
    pub high: f64,
    /// Standard error of `lift` (relative) or of the difference of mean logs (log ratio).
    pub se: f64,
    pub p_two_sided: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Values used.
    pub n_a: u64,
    pub n_b: u64,
    /// Values left out because they are not positive (log ratio only; 0 for relative lift).
    pub excluded_a: u64,
    pub excluded_b: u64,
}

/// (n, mean, sample variance with n − 1).
fn moments(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (n, mean, var)
}

/// Welch–Satterthwaite df from per-arm sample variances and sizes.
fn welch_df(var_a: f64, n_a: f64, var_b: f64, n_b: f64) -> f64 {
    let (ua, ub) = (var_a / n_a, var_b / n_b);
    (ua + ub).powi(2) / (ua * ua / (n_a - 1.0) + ub * ub / (n_b - 1.0))
}

/// Two-sided p-value of Student's t at `t` with `df` degrees of freedom.
fn t_two_sided(t: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => (2.0 * dist.sf(t.abs())).min(1.0),
        Err(_) => (2.0 * normal_sf(t.abs())).min(1.0),
    }
}

/// GrowthBook's frequentist test of the relative lift (`gbstats/frequentist/tests.py`,
/// `TwoSidedTTest` with `difference_type="relative"`):
///
/// - Δ̂ = (μ̂_B − μ̂_A)/μ̂_A;
/// - Var(Δ̂) = σ²_B/(μ²_A·n_B) + σ²_A·μ²_B/(μ⁴_A·n_A) (delta method; σ² are sample variances
///   with n − 1);
/// - df = (σ²_B/n_B + σ²_A/n_A)² / [σ⁴_B/(n²_B(n_B − 1)) + σ⁴_A/(n²_A(n_A − 1))]
///   (Welch–Satterthwaite);
/// - p = 2(1 − F_t(|Δ̂|/√Var, df)); CI = Δ̂ ± t_{0.975, df}·√Var.
///
/// None when an arm has fewer than 2 values or a non-finite one, when μ̂_A ≤ 0 (a relative
/// change from a non-positive baseline means nothing for counts, durations and costs), or when
/// both arms are constant.
pub fn relative_lift(a: &[f64], b: &[f64]) -> Option<Lift> {
    if a.len() < 2 || b.len() < 2 || a.iter().chain(b).any(|v| !v.is_finite()) {
        return None;
    }
    let ((na, mean_a, var_a), (nb, mean_b, var_b)) = (moments(a), moments(b));
    if mean_a <= 0.0 || var_a + var_b <= 0.0 {
        return None;
    }
    let lift = (mean_b - mean_a) / mean_a;
    let variance = var_b / (mean_a.powi(2) * nb) + var_a * mean_b.powi(2) / (mean_a.powi(4) * na);
    let se = variance.sqrt();
    let df = welch_df(var_a, na, var_b, nb);
    let half = student_t_quantile(0.5 + CONFIDENCE / 2.0, df) * se;
    Some(Lift {
        scale: LiftScale::Relative,
        mean_a,
        mean_b,
        lift,
        low: lift - half,
        high: lift + half,
        se,
        p_two_sided: t_two_sided(lift / se, df),
        df,
        n_a: a.len() as u64,
        n_b: b.len() as u64,
        excluded_a: 0,
        excluded_b: 0,
    })
}

/// Welch's t-test on log values, the primary test for duration and cost (methods-anchors §4.3):
/// Δ_log = mean(ln b) − mean(ln a), SE = √(s²_{ln a}/n_A + s²_{ln b}/n_B), Welch–Satterthwaite
/// df, p = 2(1 − F_t(|Δ_log|/SE, df)) (as `scipy.stats.ttest_ind(ln b, ln a, equal_var=False)`).
/// The effect is exp(Δ_log) − 1, the ratio of geometric means minus one, and the interval is
/// the t interval of Δ_log mapped through exp(·) − 1 (so it is asymmetric around the effect).
///
/// Zeros and negative values have no logarithm: they are left out and counted in
/// `excluded_a`/`excluded_b`. A zero duration or cost means a run that did no work; compare
/// the share of such runs separately with [`two_proportion`] rather than folding it in here.
/// None when a value is not finite, an arm has fewer than 2 positive values, or both arms'
/// logs are constant.
pub fn log_ratio(a: &[f64], b: &[f64]) -> Option<Lift> {
    if a.iter().chain(b).any(|v| !v.is_finite()) {
        return None;
    }
    let logs = |v: &[f64]| -> Vec<f64> { v.iter().filter(|&&x| x > 0.0).map(|x| x.ln()).collect() };
    let (la, lb) = (logs(a), logs(b));
    if la.len() < 2 || lb.len() < 2 {
        return None;
    }
    let ((na, mean_la, var_a), (nb, mean_lb, var_b)) = (moments(&la), moments(&lb));
    let se = (var_a / na + var_b / nb).sqrt();
    if se.is_nan() || se <= 0.0 {
        return None;
    }
    let delta = mean_lb - mean_la;
    let df = welch_df(var_a, na, var_b, nb);
    let half = student_t_quantile(0.5 + CONFIDENCE / 2.0, df) * se;
    Some(Lift {
        scale: LiftScale::LogRatio,
        mean_a: mean_la.exp(),
        mean_b: mean_lb.exp(),
        lift: delta.exp_m1(),
        low: (delta - half).exp_m1(),
        high: (delta + half).exp_m1(),
        se,
        p_two_sided: t_two_sided(delta / se, df),
        df,
        n_a: la.len() as u64,
        n_b: lb.len() as u64,
        excluded_a: (a.len() - la.len()) as u64,
        excluded_b: (b.len() - lb.len()) as u64,
    })
}

// ---------------------------------------------------------------------------------------------
// Sample-ratio mismatch

/// The result of [`srm`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Srm {
    pub expected_a: f64,
    pub expected_b: f64,
    pub chi2: f64,
    pub p_value: f64,
    /// p < [`SRM_P_THRESHOLD`] and both arms have at least [`SRM_MIN_COUNT`] runs.
    pub mismatch: bool,
}

/// Sample-ratio mismatch check (GrowthBook's SRM health check; methods-anchors §4.3): the χ²
/// goodness-of-fit test of the run counts against the intended split, 1 degree of freedom,
/// as `scipy.stats.chisquare([n_a, n_b], [N·w_a, N·(1 − w_a)])`.
///
/// `weight_a` is the intended share of arm A, clamped to [0, 1]. A cell expecting no runs adds 0
/// to χ² when it got none and makes χ² infinite (p = 0) when it got some. With no runs at all,
/// χ² = 0 and p = 1. A NaN weight gives NaN χ² and p, and no mismatch.
pub fn srm(n_a: u64, n_b: u64, weight_a: f64) -> Srm {
    let weight_a = weight_a.clamp(0.0, 1.0);
    let total = (n_a + n_b) as f64;
    let (expected_a, expected_b) = (total * weight_a, total * (1.0 - weight_a));
    let cell = |observed: u64, expected: f64| {
        let observed = observed as f64;
        if expected == 0.0 {
            if observed == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            (observed - expected).powi(2) / expected
        }
    };
    let chi2 = cell(n_a, expected_a) + cell(n_b, expected_b);
    let p_value = if chi2.is_nan() {
        f64::NAN
    } else {
        ChiSquared::new(1.0).map_or(f64::NAN, |d| d.sf(chi2))
    };
    Srm {
        expected_a,
        expected_b,
        chi2,
        p_value,
        mismatch: p_value < SRM_P_THRESHOLD && n_a.min(n_b) >= SRM_MIN_COUNT,
    }
}

// ---------------------------------------------------------------------------------------------
// Power

/// In (0, 1): a valid alpha or power (false for NaN).
fn valid_level(x: f64) -> bool {
    x > 0.0 && x < 1.0
}

/// In [0, 1]: a valid rate (false for NaN).
fn valid_rate(x: f64) -> bool {
    (0.0..=1.0).contains(&x)
}

/// Finite and not negative: a valid standard deviation (false for NaN).
fn valid_scale(x: f64) -> bool {
    x >= 0.0 && x.is_finite()
}

/// Not negative, possibly infinite: a valid run count (false for NaN).
fn non_negative(x: f64) -> bool {
    x >= 0.0
}

/// A valid relative change: above −1 (false for NaN).
fn valid_effect(x: f64) -> bool {
    x > -1.0
}

/// Runs per arm for a two-sided test at level `alpha` to detect a change of success rate from
/// p1 to p2 with the given power (methods-anchors §4.3; Fleiss, Statistical Methods for Rates
/// and Proportions, the normal approximation without continuity correction):
/// n = [z_{1−α/2}·√(2p̄(1 − p̄)) + z_{1−β}·√(p1(1 − p1) + p2(1 − p2))]² / (p1 − p2)²,
/// p̄ = (p1 + p2)/2.
///
/// Not rounded: round up for a run count (90 % → 95 %, α 0.05, power 0.8: 434.4, so 435 runs
/// per arm). Infinite when p1 = p2; NaN when a rate is outside [0, 1] or alpha or power is not
/// in (0, 1).
pub fn runs_per_arm_proportion(p1: f64, p2: f64, alpha: f64, power: f64) -> f64 {
    if !(valid_rate(p1) && valid_rate(p2) && valid_level(alpha) && valid_level(power)) {
        return f64::NAN;
    }
    if p1 == p2 {
        return f64::INFINITY;
    }
    let pbar = (p1 + p2) / 2.0;
    let root = z_quantile(1.0 - alpha / 2.0) * (2.0 * pbar * (1.0 - pbar)).sqrt()
        + z_quantile(power) * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    root * root / (p1 - p2).powi(2)
}

/// The power of the two-sided two-proportion test with `n_per_arm` runs per arm against a
/// change from p1 to p2: the formula of [`runs_per_arm_proportion`] solved for the power,
/// Φ((|p1 − p2|·√n − z_{1−α/2}·√(2p̄(1 − p̄))) / √(p1(1 − p1) + p2(1 − p2))) (the far tail is
/// ignored). NaN for invalid inputs.
pub fn power_proportion(p1: f64, p2: f64, n_per_arm: f64, alpha: f64) -> f64 {
    if !(valid_rate(p1) && valid_rate(p2) && valid_level(alpha) && non_negative(n_per_arm)) {
        return f64::NAN;
    }
    if p1 == p2 {
        return alpha / 2.0;
    }
    let pbar = (p1 + p2) / 2.0;
    let spread = (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    let signal = (p1 - p2).abs() * n_per_arm.sqrt()
        - z_quantile(1.0 - alpha / 2.0) * (2.0 * pbar * (1.0 - pbar)).sqrt();
    if spread == 0.0 {
        // Both rates are 0 or 1 and differ: every run tells them apart.
        return if signal > 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - normal_sf(signal / spread)
}

/// Runs per arm for a two-sided Welch test on log values at level `alpha` to detect a relative
/// change `relative_effect` (0.1 = +10 %) with the given power, when the log metric has
/// standard deviation `sigma_log` in each arm (methods-anchors §4.3):
/// n = 2(z_{1−α/2} + z_{1−β})²σ²/δ², δ = ln(1 + effect).
///
/// Not rounded (σ 0.5, +10 %, α 0.05, power 0.8: 432.02). Infinite when the effect is 0; NaN
/// when the effect is ≤ −1, σ is negative or not finite, or alpha or power is not in (0, 1).
pub fn runs_per_arm_log(sigma_log: f64, relative_effect: f64, alpha: f64, power: f64) -> f64 {
    if !(valid_scale(sigma_log)
        && valid_effect(relative_effect)
        && valid_level(alpha)
        && valid_level(power))
    {
        return f64::NAN;
    }
    let delta = relative_effect.ln_1p();
    if delta == 0.0 {
        return f64::INFINITY;
    }
    let z = z_quantile(1.0 - alpha / 2.0) + z_quantile(power);
    2.0 * z * z * sigma_log * sigma_log / (delta * delta)
}

/// The power of the two-sided Welch test on log values with `n_per_arm` runs per arm against a
/// relative change `relative_effect`: Φ(|δ|·√(n/2)/σ − z_{1−α/2}), δ = ln(1 + effect), the
/// formula of [`runs_per_arm_log`] solved for the power. NaN for invalid inputs.
pub fn power_log(sigma_log: f64, relative_effect: f64, n_per_arm: f64, alpha: f64) -> f64 {
    if !(valid_scale(sigma_log)
        && valid_effect(relative_effect)
        && valid_level(alpha)
        && non_negative(n_per_arm))
    {
        return f64::NAN;
    }
    let delta = relative_effect.ln_1p().abs();
    if sigma_log == 0.0 {
        return if delta > 0.0 { 1.0 } else { alpha / 2.0 };
    }
    1.0 - normal_sf(delta * (n_per_arm / 2.0).sqrt() / sigma_log - z_quantile(1.0 - alpha / 2.0))
}

/// The minimum detectable effect on a success rate p with `n_per_arm` runs per arm: the
/// smallest absolute difference d such that both p − d and p + d (each when it lies in [0, 1])
/// need at most `n_per_arm` runs per arm by [`runs_per_arm_proportion`]. Found by bisection
/// (the runs needed fall as d grows). Near 0 or 1 the change toward the middle is the harder
/// one to detect, so that is the one that binds.
///
/// Infinite when no difference within [0, 1] is detectable at this n; NaN for invalid inputs.
pub fn mde_proportion(p: f64, n_per_arm: f64, alpha: f64, power: f64) -> f64 {
    if !(valid_rate(p) && valid_level(alpha) && valid_level(power)) || n_per_arm.is_nan() {
        return f64::NAN;
    }
    let needed = |d: f64| -> f64 {
        [p - d, p + d]
            .into_iter()
            .filter(|&q| valid_rate(q))
            .map(|q| runs_per_arm_proportion(p, q, alpha, power))
            .fold(0.0, f64::max)
    };
    let d_max = p.max(1.0 - p);
    if n_per_arm <= 0.0 || needed(d_max) > n_per_arm {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (0.0, d_max);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if needed(mid) > n_per_arm {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 {
            break;
        }
    }
    hi
}

/// The minimum detectable relative change of a log-normal-ish metric (σ of its logs
/// `sigma_log`) with `n_per_arm` runs per arm: [`runs_per_arm_log`] solved for the effect,
/// exp((z_{1−α/2} + z_{1−β})·σ·√(2/n)) − 1, as an increase (the matching decrease is
/// 1 − 1/(1 + mde)). Infinite for n ≤ 0; NaN for invalid inputs.
pub fn mde_log(sigma_log: f64, n_per_arm: f64, alpha: f64, power: f64) -> f64 {
    if !(valid_scale(sigma_log) && valid_level(alpha) && valid_level(power)) || n_per_arm.is_nan() {
        return f64::NAN;
    }
    if n_per_arm <= 0.0 {
        return f64::INFINITY;
    }
    let z = z_quantile(1.0 - alpha / 2.0) + z_quantile(power);
    (z * sigma_log * (2.0 / n_per_arm).sqrt()).exp_m1()
}

// ---------------------------------------------------------------------------------------------
// Sequential testing

/// The result of [`sequential_interval`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SequentialInterval {
    /// The always-valid (1 − α) confidence interval of the lift, on the lift's own scale.
    pub low: f64,
    pub high: f64,
    /// The always-valid p-value: below α exactly when the interval excludes 0.
    pub p_always_valid: f64,
}

/// ρ of the normal-mixture confidence sequence tuned to be tightest at total sample size
/// `n_star` (Waudby-Smith et al. 2023, arXiv:2103.06476v7, eq. 161; GrowthBook's
/// `sequentialRho`): ρ = √((−2 ln α + ln(−2 ln α + 1))/N*). α 0.05, N* 5000: 0.03984.
pub fn sequential_rho(alpha: f64, n_star: f64) -> f64 {
    let l = -2.0 * alpha.ln();
    ((l + (l + 1.0).ln()) / n_star).sqrt()
}

/// GrowthBook's always-valid interval and p-value for a lift (`SequentialTwoSidedTTest`,
/// after Waudby-Smith et al. 2023, arXiv:2103.06476v7), valid however often the experiment is
/// looked at. With n = `n_total` (both arms), s² = n·SE², ρ = [`sequential_rho`]:
///
/// - half-width = s·√(2(nρ² + 1)·ln(√(nρ² + 1)/α) / (nρ)²) (eq. 9);
/// - p = min(1, 1/e), e = exp(ρ²·S²/(2(nρ² + 1)))/√(nρ² + 1), S² = n·Δ̂²/SE² (eq. 155 in
///   GrowthBook's parameterization, `st2 = pe²·N/variance`; methods-anchors §4.1 writes the
///   denominator as s², which would make the p-value disagree with the interval).
///
/// For a [`LiftScale::Relative`] lift Δ̂ is the lift itself; for [`LiftScale::LogRatio`] it is
/// the difference of mean logs and the bounds are mapped back through exp(·) − 1. The cost of
/// validity at α 0.05, N* 5000: the half-width is 3.86, 3.36, 3.04, 3.13 standard errors at
/// n = 500, 1000, 5000, 20000 (1.96 for a fixed-horizon test).
///
/// `n_total`: the runs behind the lift, both arms (normally `lift.n_a + lift.n_b`).
/// `tuning_n_star`: the total runs the experiment expects ([`DEFAULT_SEQUENTIAL_TUNING`] when
/// unknown). When n_total or N* is not positive, alpha is not in (0, 1), or the lift's SE is
/// not positive, nothing is known: the interval is (−∞, ∞) and p = 1.
pub fn sequential_interval(
    lift: &Lift,
    n_total: f64,
    tuning_n_star: f64,
    alpha: f64,
) -> SequentialInterval {
    let positive = |x: f64| x > 0.0;
    if !(positive(n_total) && positive(tuning_n_star) && valid_level(alpha) && positive(lift.se)) {
        return SequentialInterval {
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
            p_always_valid: 1.0,
        };
    }
    let n = n_total;
    let rho = sequential_rho(alpha, tuning_n_star);
    let centre = match lift.scale {
        LiftScale::Relative => lift.lift,
        LiftScale::LogRatio => lift.lift.ln_1p(),
    };
    let s2 = lift.se * lift.se * n;
    let tr2p1 = n * rho * rho + 1.0;
    let half = (s2 * 2.0 * tr2p1 * (tr2p1.sqrt() / alpha).ln() / (n * rho).powi(2)).sqrt();
    let st2 = centre * centre * n / (lift.se * lift.se);
    let ln_e = rho * rho * st2 / (2.0 * tr2p1) - 0.5 * tr2p1.ln();
    let p_always_valid = (-ln_e).exp().min(1.0);
    let (low, high) = match lift.scale {
        LiftScale::Relative => (centre - half, centre + half),
        LiftScale::LogRatio => ((centre - half).exp_m1(), (centre + half).exp_m1()),
    };
    SequentialInterval {
        low,
        high,
        p_always_valid,
    }
}

// ---------------------------------------------------------------------------------------------
// The decision

/// The ab-tester's conclusion for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict")]
pub enum Verdict {
    #[serde(rename = "B better")]
    BBetter,
    #[serde(rename = "A better")]
    ABetter,
    /// The test had at least [`MIN_POWER`] power for the smallest effect that matters and
    /// found none.
    #[serde(rename = "no detectable difference")]
    NoDetectableDifference,
    /// Not significant and under-powered: about this many more runs per arm are needed.
    #[serde(rename = "not enough data")]
    NotEnoughData {
        #[serde(rename = "runsNeededPerArm")]
        runs_needed_per_arm: u64,
    },
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::BBetter => f.write_str("B better"),
            Verdict::ABetter => f.write_str("A better"),
            Verdict::NoDetectableDifference => f.write_str("no detectable difference"),
            Verdict::NotEnoughData {
                runs_needed_per_arm,
            } => write!(
                f,
                "not enough data (need ~{runs_needed_per_arm} more runs per arm)"
            ),
        }
    }
}

/// What [`verdict`] decides from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerdictInput {
    /// The primary test's p-value, or its BH q-value when several metrics are tested.
    pub p: f64,
    /// The level (0.05 by default).
    pub alpha: f64,
    /// The estimated effect of B against A (a diff or a lift); only its sign is used.
    pub effect: f64,
    /// True for success rate and items (more is better), false for duration and cost.
    pub higher_is_better: bool,
    /// Runs in the smaller arm.
    pub n_per_arm: u64,
    /// Runs per arm needed for [`MIN_POWER`] against the smallest effect the user cares about
    /// (`min_effect`): [`runs_per_arm_proportion`] or [`runs_per_arm_log`] with
    /// `power = MIN_POWER` and the same alpha.
    pub runs_for_min_effect: f64,
}

/// The decision rule (methods-anchors §4.3, "refuse a 'no difference' conclusion below 80 %
/// power"):
///
/// 1. p < α (GrowthBook's `p_value < alpha`) and the effect is non-zero: the arm the effect
///    favours wins, "B better" when the effect's sign matches `higher_is_better`, else
///    "A better".
/// 2. Otherwise, if the smaller arm already has `runs_for_min_effect` runs (the test had at
///    least 80 % power against `min_effect`): "no detectable difference".
/// 3. Otherwise "not enough data", with ⌈runs_for_min_effect⌉ − n_per_arm more runs per arm
///    (`u64::MAX` when `runs_for_min_effect` is infinite or NaN: no amount of runs will do).
pub fn verdict(input: &VerdictInput) -> Verdict {
    if input.p < input.alpha && input.effect != 0.0 && !input.effect.is_nan() {
        return if (input.effect > 0.0) == input.higher_is_better {
            Verdict::BBetter
        } else {
            Verdict::ABetter
        };
    }
    let needed = input.runs_for_min_effect;
    if needed <= input.n_per_arm as f64 {
        return Verdict::NoDetectableDifference;
    }
    let more = if needed.is_finite() {
        (needed.ceil() as u64)
            .saturating_sub(input.n_per_arm)
            .max(1)
    } else {
        u64::MAX
    };
    Verdict::NotEnoughData {
        runs_needed_per_arm: more,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use statrs::function::beta::ln_beta;

    fn close(actual: f64, expected: f64, tol: f64) -> bool {
        (actual - expected).abs() <= tol
    }

    fn rel_close(actual: f64, expected: f64, rel: f64) -> bool {
        (actual - expected).abs() <= rel * expected.abs()
    }

    #[test]
    fn two_proportion_matches_scipy_and_statsmodels() {
        // Reference (scipy 1.17.1 / statsmodels 0.15.0, computed once):
        // p: scipy.stats.fisher_exact([[k_a, n_a-k_a], [k_b, n_b-k_b]]).pvalue for Fisher,
        //    statsmodels proportions_ztest([k_b, k_a], [n_b, n_a]) for z;
        // interval: confint_proportions_2indep(k_b, n_b, k_a, n_a, method="newcomb").
        let cases = [
            (
                (3, 20, 9, 21),
                FISHER_EXACT,
                0.08549343993875859,
                -0.0008653534714760935,
                0.5065026255845922,
            ),
            (
                (0, 15, 5, 15),
                FISHER_EXACT,
                0.04214559386973179,
                0.06032033430660377,
                0.5828645226148023,
            ),
            (
                (45, 50, 30, 50),
                FISHER_EXACT,
                0.0009668432030628979,
                -0.4492992144065392,
                -0.1318908499247253,
            ),
            (
                (5, 1000, 20, 1000),
                FISHER_EXACT,
                0.0038590206248560925,
                0.005332326402074171,
                0.026066612610402665,
            ),
            (
                (180, 200, 160, 200),
                TWO_PROPORTION_Z,
                0.005101399646004992,
                -0.16987039306092558,
                -0.030029022527831156,
            ),
            (
                (900, 1000, 940, 1000),
                TWO_PROPORTION_Z,
                0.0009775747711928636,
                0.016264300661660597,
                0.0640375549704888,
            ),
        ];
        for ((k_a, n_a, k_b, n_b), kind, p, lo, hi) in cases {
            let t = two_proportion(k_a, n_a, k_b, n_b);
            assert_eq!(t.test, kind, "{k_a}/{n_a} vs {k_b}/{n_b}");
            assert!(rel_close(t.p_two_sided, p, 1e-8), "{t:?} vs p {p}");
            assert!(
                close(t.diff_low, lo, 1e-9) && close(t.diff_high, hi, 1e-9),
                "{t:?} vs ({lo}, {hi})"
            );
            assert!(close(
                t.diff,
                k_b as f64 / n_b as f64 - k_a as f64 / n_a as f64,
                1e-15
            ));
        }
        // An empty arm knows nothing.
        let empty = two_proportion(1, 0, 3, 10);
        assert_eq!((empty.rate_a, empty.p_two_sided), (0.0, 1.0));
        assert!(empty.diff_high - empty.diff_low >= 1.0, "{empty:?}");
    }

    #[test]
    fn fisher_two_sided_edge_cases() {
        // A table that is its own mirror: every table is at most as likely -> p = 1.
        assert!(close(fisher_exact_two_sided(5, 10, 5, 10), 1.0, 1e-12));
        // Swapping the arms does not change a two-sided p.
        assert!(close(
            fisher_exact_two_sided(3, 20, 9, 21),
            fisher_exact_two_sided(9, 21, 3, 20),
            1e-15
        ));
        // Empty margins.
        assert_eq!(fisher_exact_two_sided(0, 10, 0, 12), 1.0);
        assert_eq!(fisher_exact_two_sided(10, 10, 12, 12), 1.0);
        assert_eq!(fisher_exact_two_sided(0, 0, 3, 12), 1.0);
    }

    /// Evan Miller's closed form for P(p_B > p_A) with integer Beta parameters
    /// ("Formulas for Bayesian A/B Testing"):
    /// Σ_{i=0}^{α_B−1} B(α_A + i, β_A + β_B) / ((β_B + i)·B(1 + i, β_B)·B(α_A, β_A)).
    fn evan_miller(k_a: u64, n_a: u64, k_b: u64, n_b: u64) -> f64 {
        let (aa, ba) = (1.0 + k_a as f64, 1.0 + (n_a - k_a) as f64);
        let bb = 1.0 + (n_b - k_b) as f64;
        (0..(1 + k_b))
            .map(|i| {
                let i = i as f64;
                (ln_beta(aa + i, ba + bb) - (bb + i).ln() - ln_beta(1.0 + i, bb) - ln_beta(aa, ba))
                    .exp()
            })
            .sum()
    }

    #[test]
    fn bayes_matches_quadrature_and_closed_form() {
        // Reference (scipy 1.17.1, computed once): scipy.integrate.quad over the union of both
        // posteriors' quantile grids of f_B·F_A for P, of f_B(y)·(y·F_A(y) − μ_A·F_{A+}(y)) for
        // risk_a and the mirror for risk_b (F_{A+} = cdf of Beta(a + 1, b)).
        type Case = ((u64, u64, u64, u64), f64, f64, f64);
        let cases: [Case; 9] = [
            (
                (3, 10, 7, 12),
                0.8978808914869302,
                0.24748636296617277,
                0.009391124871001034,
            ),
            (
                (30, 100, 40, 110),
                0.8336853623888386,
                0.06786279771330155,
                0.005712937769364333,
            ),
            (
                (0, 20, 2, 20),
                0.8841463414633152,
                0.09580776568857022,
                0.004898674779559623,
            ),
            (
                (120, 1000, 150, 1000),
                0.975067836812044,
                0.030084297615578227,
                0.00014417785511182713,
            ),
            (
                (50, 100000, 65, 100000),
                0.9183494807199767,
                0.0001540176222268378,
                4.020622166934065e-06,
            ),
            (
                (90000, 100000, 90200, 100000),
                0.9328504739420476,
                0.002039340951609544,
                3.9380950809441745e-05,
            ),
            (
                (5, 10, 95000, 100000),
                0.9999941775128407,
                0.4499910430088258,
                4.282882382861383e-08,
            ),
            (
                (0, 100000, 1, 100000),
                0.75000124999365,
                1.249971250627882e-05,
                2.4999125023115174e-06,
            ),
            (
                (7, 10, 0, 0),
                0.3333333333332333,
                0.06410256410253075,
                0.23076923076923062,
            ),
        ];
        for ((k_a, n_a, k_b, n_b), p, risk_a, risk_b) in cases {
            let r = prob_b_beats_a(k_a, n_a, k_b, n_b);
            let ctx = format!("{k_a}/{n_a} vs {k_b}/{n_b}: {r:?}");
            assert!(close(r.prob_b_better, p, 1e-8), "{ctx} p {p}");
            assert!(close(r.risk_a, risk_a, 1e-9), "{ctx} risk_a {risk_a}");
            assert!(close(r.risk_b, risk_b, 1e-9), "{ctx} risk_b {risk_b}");
            // E[max(0, B − A)] − E[max(0, A − B)] = E[B] − E[A].
            let mean = |k: u64, n: u64| (1.0 + k as f64) / (2.0 + n as f64);
            assert!(
                close(r.risk_a - r.risk_b, mean(k_b, n_b) - mean(k_a, n_a), 1e-9),
                "{ctx}"
            );
            if k_b < 1000 {
                let exact = evan_miller(k_a, n_a, k_b, n_b);
                assert!(
                    close(r.prob_b_better, exact, 1e-8),
                    "{ctx} closed form {exact}"
                );
            }
        }
        // Identical arms at n = 10^6: a coin flip, equal risks.
        let r = prob_b_beats_a(500_000, 1_000_000, 500_000, 1_000_000);
        assert!(
            close(r.prob_b_better, 0.5, 1e-9) && close(r.risk_a, r.risk_b, 1e-12),
            "{r:?}"
        );
        // Swapping the arms mirrors everything.
        let (r, s) = (
            prob_b_beats_a(30, 100, 40, 110),
            prob_b_beats_a(40, 110, 30, 100),
        );
        assert!(close(r.prob_b_better, 1.0 - s.prob_b_better, 1e-9));
        assert!(close(r.risk_a, s.risk_b, 1e-12) && close(r.risk_b, s.risk_a, 1e-12));
    }

    fn std_normal(rng: &mut StdRng) -> f64 {
        let (u, v): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma(shape ≥ 1, 1) by Marsaglia & Tsang (2000).
    fn gamma(rng: &mut StdRng, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = std_normal(rng);
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u: f64 = 1.0 - rng.random::<f64>();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    fn beta(rng: &mut StdRng, a: f64, b: f64) -> f64 {
        let x = gamma(rng, a);
        x / (x + gamma(rng, b))
    }

    #[test]
    fn bayes_matches_seeded_monte_carlo() {
        let mut rng = StdRng::seed_from_u64(20240611);
        let draws = 100_000;
        for (k_a, n_a, k_b, n_b) in [(30u64, 100u64, 40u64, 110u64), (0, 20, 2, 20)] {
            let (aa, ba) = (1.0 + k_a as f64, 1.0 + (n_a - k_a) as f64);
            let (ab, bb) = (1.0 + k_b as f64, 1.0 + (n_b - k_b) as f64);
            let (mut wins, mut loss_a, mut loss_b) = (0usize, 0.0, 0.0);
            for _ in 0..draws {
                let (pa, pb) = (beta(&mut rng, aa, ba), beta(&mut rng, ab, bb));
                wins += usize::from(pb > pa);
                loss_a += (pb - pa).max(0.0);
                loss_b += (pa - pb).max(0.0);
            }
            let d = draws as f64;
            let r = prob_b_beats_a(k_a, n_a, k_b, n_b);
            let mc = (wins as f64 / d, loss_a / d, loss_b / d);
            println!("Monte Carlo {k_a}/{n_a} vs {k_b}/{n_b}: {mc:?}, integration {r:?}");
            // Monte Carlo standard errors: ≤ 0.0016 for P, ≤ 0.0005 for the risks.
            assert!(close(r.prob_b_better, mc.0, 0.006), "{r:?} {mc:?}");
            assert!(
                close(r.risk_a, mc.1, 0.002) && close(r.risk_b, mc.2, 0.002),
                "{r:?} {mc:?}"
            );
        }
    }

    const A: [f64; 12] = [
        12.1, 9.8, 11.4, 10.2, 13.7, 8.9, 10.5, 12.8, 11.1, 9.4, 10.9, 12.3,
    ];
    const B: [f64; 14] = [
        13.2, 11.7, 12.9, 10.8, 14.6, 11.9, 12.2, 13.8, 10.1, 12.7, 13.3, 11.5, 12.0, 14.1,
    ];

    #[test]
    fn relative_lift_matches_gbstats() {
        // Reference (gbstats 0.8.0 with scipy 1.17.1, computed once): TwoSidedTTest on
        // SampleMeanStatistic(n, sum, sum_squares) of A and B, difference_type="relative".
        let l = relative_lift(&A, &B).unwrap();
        assert_eq!(l.scale, LiftScale::Relative);
        assert!(close(l.lift, 0.1256842331222493, 1e-12), "{l:?}");
        assert!(close(l.se, 0.05212187653247003, 1e-12), "{l:?}");
        assert!(close(l.df, 22.207957562340045, 1e-9), "{l:?}");
        assert!(close(l.low, 0.01764873392201724, 1e-9), "{l:?}");
        assert!(close(l.high, 0.23371973232248136, 1e-9), "{l:?}");
        assert!(close(l.p_two_sided, 0.024597703395818682, 1e-9), "{l:?}");
        assert_eq!((l.n_a, l.n_b, l.excluded_a, l.excluded_b), (12, 14, 0, 0));
        assert_eq!(relative_lift(&[1.0], &B), None);
        assert_eq!(relative_lift(&[0.0, 0.0, 0.0], &B), None);
        assert_eq!(relative_lift(&[2.0, 2.0], &[3.0, 3.0]), None);
        assert_eq!(relative_lift(&[2.0, f64::NAN], &B), None);
    }

    #[test]
    fn log_ratio_matches_scipy() {
        // Reference (scipy 1.17.1, computed once): ttest_ind(ln b, ln a, equal_var=False) with
        // the zero left out of b; effect and CI = expm1 of the mean-log difference and of
        // res.confidence_interval(0.95).
        let a = [
            31.0, 45.5, 28.2, 60.1, 38.7, 52.3, 33.9, 41.0, 29.5, 75.2, 36.4, 48.8,
        ];
        let b = [
            27.3, 35.1, 24.8, 49.9, 30.2, 41.7, 26.5, 33.3, 22.9, 58.0, 31.1, 39.4, 0.0,
        ];
        let l = log_ratio(&a, &b).unwrap();
        assert_eq!(l.scale, LiftScale::LogRatio);
        assert!(close(l.lift, -0.18902007586567596, 1e-12), "{l:?}");
        assert!(close(l.low, -0.3667354264230218, 1e-9), "{l:?}");
        assert!(close(l.high, 0.0385681827012338, 1e-9), "{l:?}");
        assert!(close(l.p_two_sided, 0.09288695426623493, 1e-9), "{l:?}");
        assert!(close(l.df, 21.926932721261597, 1e-9), "{l:?}");
        assert!(close(l.mean_a, 41.55320199514742, 1e-9), "{l:?}");
        assert!(close(l.mean_b, 33.69881260156289, 1e-9), "{l:?}");
        assert_eq!((l.n_a, l.n_b, l.excluded_a, l.excluded_b), (12, 12, 0, 1));
        assert_eq!(log_ratio(&[0.0, 1.0], &b), None);
        assert_eq!(log_ratio(&[1.0, f64::INFINITY], &b), None);
    }

    #[test]
    fn srm_matches_scipy_chisquare() {
        // Reference (scipy 1.17.1, computed once): chisquare([n_a, n_b], [N·w, N·(1 − w)]).
        let cases = [
            (
                (5000, 5200, 0.5),
                3.9215686274509802,
                0.0476703806561615,
                false,
            ),
            ((480, 520, 0.5), 1.6, 0.20590321073206466, false),
            (
                (300, 700, 0.4),
                41.66666666666667,
                1.0823873909349013e-10,
                true,
            ),
            (
                (100, 160, 0.5),
                13.846153846153847,
                0.0001984024045859719,
                true,
            ),
            // Significant, but arm A has fewer than 8 runs.
            (
                (7, 30, 0.5),
                14.297297297297296,
                0.0001560888275095426,
                false,
            ),
        ];
        for ((n_a, n_b, w), chi2, p, mismatch) in cases {
            let s = srm(n_a, n_b, w);
            assert!(
                rel_close(s.chi2, chi2, 1e-12) && rel_close(s.p_value, p, 1e-8),
                "{s:?}"
            );
            assert_eq!(s.mismatch, mismatch, "{s:?}");
            assert!(close(s.expected_a + s.expected_b, (n_a + n_b) as f64, 1e-9));
        }
        let empty = srm(0, 0, 0.5);
        assert_eq!(
            (empty.chi2, empty.p_value, empty.mismatch),
            (0.0, 1.0, false)
        );
        // Runs in an arm that should have none.
        let stray = srm(10, 10, 1.0);
        assert_eq!(
            (stray.chi2, stray.p_value, stray.mismatch),
            (f64::INFINITY, 0.0, true)
        );
        assert_eq!(srm(10, 0, 1.0).chi2, 0.0);
        let nan = srm(10, 10, f64::NAN);
        assert!(nan.p_value.is_nan() && !nan.mismatch);
    }

    #[test]
    fn power_formulas_match_reference() {
        // Reference (scipy 1.17.1 norm.ppf, computed once), the formulas of methods-anchors §4.3.
        let n = runs_per_arm_proportion(0.9, 0.95, 0.05, 0.8);
        assert!(close(n, 434.4320224394695, 1e-8), "{n}");
        assert_eq!(
            n.ceil(),
            435.0,
            "the methods-anchors example: 435 runs per arm"
        );
        assert!(close(
            runs_per_arm_proportion(0.5, 0.55, 0.05, 0.9),
            2094.1530282026156,
            1e-7
        ));
        assert!(close(
            runs_per_arm_proportion(0.2, 0.1, 0.01, 0.8),
            296.3702228074384,
            1e-8
        ));
        let n = runs_per_arm_log(0.5, 0.1, 0.05, 0.8);
        // methods-anchors says 432; unrounded it is 432.015, so 433 runs strictly reach 80 %.
        assert!(close(n, 432.0152735577806, 1e-8), "{n}");
        assert!(close(
            runs_per_arm_log(1.0, -0.2, 0.05, 0.9),
            422.0438082629394,
            1e-8
        ));
        // MDE: scipy brentq on the same formula (max over both directions for proportions).
        assert!(close(
            mde_log(0.8, 100.0, 0.05, 0.8),
            0.37295202566728314,
            1e-12
        ));
        assert!(close(
            mde_log(0.5, 432.0, 0.05, 0.8),
            0.10000185333945337,
            1e-12
        ));
        assert!(close(
            mde_proportion(0.9, 435.0, 0.05, 0.8),
            0.064239035762425,
            1e-10
        ));
        assert!(close(
            mde_proportion(0.5, 100.0, 0.05, 0.8),
            0.19322515092981013,
            1e-10
        ));
        assert!(close(
            mde_proportion(0.05, 2000.0, 0.05, 0.8),
            0.02112579209201602,
            1e-10
        ));
        // Round trips: the power at the computed n is the power asked for.
        let n = runs_per_arm_proportion(0.9, 0.95, 0.05, 0.8);
        let pw = power_proportion(0.9, 0.95, n, 0.05);
        assert!(close(pw, 0.8, 1e-9), "{pw}");
        let n = runs_per_arm_log(0.5, 0.1, 0.05, 0.8);
        assert!(close(power_log(0.5, 0.1, n, 0.05), 0.8, 1e-9));
        // Edge cases.
        assert_eq!(runs_per_arm_proportion(0.5, 0.5, 0.05, 0.8), f64::INFINITY);
        assert!(runs_per_arm_proportion(0.5, 1.2, 0.05, 0.8).is_nan());
        assert_eq!(runs_per_arm_log(0.5, 0.0, 0.05, 0.8), f64::INFINITY);
        assert!(runs_per_arm_log(0.5, -1.0, 0.05, 0.8).is_nan());
        assert_eq!(mde_proportion(0.5, 2.0, 0.05, 0.8), f64::INFINITY);
        assert_eq!(mde_log(0.5, 0.0, 0.05, 0.8), f64::INFINITY);
    }

    #[test]
    fn sequential_matches_gbstats_and_methods_notes() {
        let rho = sequential_rho(0.05, DEFAULT_SEQUENTIAL_TUNING);
        assert!(close(rho, 0.03984, 5e-6), "{rho}");
        // Half-width / SE at α 0.05, N* 5000 (methods-anchors §4.1).
        for (n, ratio) in [(500, 3.86), (1000, 3.36), (5000, 3.04), (20000, 3.13)] {
            let unit = Lift {
                scale: LiftScale::Relative,
                mean_a: 1.0,
                mean_b: 1.0,
                lift: 0.0,
                low: 0.0,
                high: 0.0,
                se: 1.0,
                p_two_sided: 1.0,
                df: f64::INFINITY,
                n_a: n / 2,
                n_b: n / 2,
                excluded_a: 0,
                excluded_b: 0,
            };
            let s = sequential_interval(&unit, n as f64, DEFAULT_SEQUENTIAL_TUNING, 0.05);
            assert!(close(s.high, ratio, 0.02), "n {n}: {s:?}");
            assert!(close(s.low, -s.high, 1e-12) && s.p_always_valid == 1.0);
        }
        // Reference (gbstats 0.8.0, computed once): SequentialTwoSidedTTest on A and B with
        // sequential_tuning_parameter 5000 and 20.
        let l = relative_lift(&A, &B).unwrap();
        for (n_star, lo, hi, p) in [
            (
                5000.0,
                -0.5173317600419837,
                0.7687002262864823,
                0.9093690539459733,
            ),
            (
                20.0,
                -0.03269838892061763,
                0.2840668551651162,
                0.2375777240006184,
            ),
        ] {
            let s = sequential_interval(&l, (l.n_a + l.n_b) as f64, n_star, 0.05);
            assert!(close(s.low, lo, 1e-9) && close(s.high, hi, 1e-9), "{s:?}");
            assert!(close(s.p_always_valid, p, 1e-9), "{s:?}");
        }
        // gbstats: n 1000 per arm, mean 10 (sd 3) vs 10.6 (sd 3.2).
        let var: f64 = 3.2 * 3.2 / (100.0 * 1000.0) + 9.0 * 10.6 * 10.6 / (1e4 * 1000.0);
        let summary = Lift {
            se: var.sqrt(),
            lift: 0.06,
            n_a: 1000,
            n_b: 1000,
            ..l
        };
        let s = sequential_interval(&summary, 2000.0, DEFAULT_SEQUENTIAL_TUNING, 0.05);
        assert!(close(s.low, 0.015435593351151695, 1e-9), "{s:?}");
        assert!(close(s.high, 0.10456440664884822, 1e-9), "{s:?}");
        assert!(
            close(s.p_always_valid, 0.0024515448179539875, 1e-9),
            "{s:?}"
        );
        // The p-value and the interval agree: p < α exactly when 0 is outside the interval.
        for lift in [0.0, 0.02, 0.04, 0.0435, 0.044, 0.05, 0.08] {
            let x = Lift { lift, ..summary };
            let s = sequential_interval(&x, 2000.0, DEFAULT_SEQUENTIAL_TUNING, 0.05);
            assert_eq!(s.p_always_valid < 0.05, s.low > 0.0, "{lift}: {s:?}");
        }
        // A log-ratio lift is interval-mapped through exp(·) − 1.
        let log = Lift {
            scale: LiftScale::LogRatio,
            lift: 0.1,
            ..summary
        };
        let s = sequential_interval(&log, 2000.0, DEFAULT_SEQUENTIAL_TUNING, 0.05);
        let half = s.high.ln_1p() - 0.1_f64.ln_1p();
        assert!(close(0.1_f64.ln_1p() - s.low.ln_1p(), half, 1e-12) && half > 0.0);
        let unknown = SequentialInterval {
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
            p_always_valid: 1.0,
        };
        assert_eq!(sequential_interval(&l, 0.0, 5000.0, 0.05), unknown);
        assert_eq!(sequential_interval(&l, 26.0, 0.0, 0.05), unknown);
    }

    #[test]
    fn verdict_follows_the_documented_rule() {
        let base = VerdictInput {
            p: 0.01,
            alpha: 0.05,
            effect: 0.05,
            higher_is_better: true,
            n_per_arm: 500,
            runs_for_min_effect: runs_per_arm_proportion(0.9, 0.95, 0.05, MIN_POWER),
        };
        assert_eq!(verdict(&base), Verdict::BBetter);
        let lower_better = VerdictInput {
            higher_is_better: false,
            ..base
        };
        assert_eq!(verdict(&lower_better), Verdict::ABetter);
        let slower = VerdictInput {
            effect: -0.05,
            ..lower_better
        };
        assert_eq!(verdict(&slower), Verdict::BBetter);
        let powered_null = VerdictInput { p: 0.4, ..base };
        assert_eq!(verdict(&powered_null), Verdict::NoDetectableDifference);
        let underpowered = VerdictInput {
            p: 0.4,
            n_per_arm: 200,
            ..base
        };
        let v = verdict(&underpowered);
        assert_eq!(
            v,
            Verdict::NotEnoughData {
                runs_needed_per_arm: 235
            }
        );
        assert_eq!(
            v.to_string(),
            "not enough data (need ~235 more runs per arm)"
        );
        let hopeless = VerdictInput {
            runs_for_min_effect: f64::INFINITY,
            ..underpowered
        };
        assert_eq!(
            verdict(&hopeless),
            Verdict::NotEnoughData {
                runs_needed_per_arm: u64::MAX
            }
        );
        // Serialized names.
        let json = |v: &Verdict| serde_json::to_string(v).unwrap();
        assert_eq!(json(&Verdict::BBetter), r#"{"verdict":"B better"}"#);
        assert_eq!(json(&Verdict::ABetter), r#"{"verdict":"A better"}"#);
        assert_eq!(
            json(&Verdict::NoDetectableDifference),
            r#"{"verdict":"no detectable difference"}"#
        );
        assert_eq!(
            json(&v),
            r#"{"verdict":"not enough data","runsNeededPerArm":235}"#
        );
        let t = serde_json::to_value(two_proportion(3, 20, 9, 21)).unwrap();
        assert_eq!(t["test"], "fisher-exact");
        assert!(t["pTwoSided"].is_number() && t["diffLow"].is_number());
        let l = serde_json::to_value(log_ratio(&A, &B).unwrap()).unwrap();
        assert_eq!(l["scale"], "logRatio");
    }

    /// Bernoulli successes among n draws at rate p.
    fn successes(rng: &mut StdRng, n: u64, p: f64) -> u64 {
        (0..n).filter(|_| rng.random::<f64>() < p).count() as u64
    }

    /// n log-normal values: exp(mu + sigma·Z).
    fn log_normal(rng: &mut StdRng, n: usize, mu: f64, sigma: f64) -> Vec<f64> {
        (0..n)
            .map(|_| (mu + sigma * std_normal(rng)).exp())
            .collect()
    }

    #[test]
    fn aa_false_positive_rate_is_near_alpha() {
        let mut rng = StdRng::seed_from_u64(42);
        let (experiments, n) = (2000, 200);
        let (mut fp_prop, mut fp_log) = (0, 0);
        for _ in 0..experiments {
            let (k_a, k_b) = (successes(&mut rng, n, 0.9), successes(&mut rng, n, 0.9));
            fp_prop += usize::from(two_proportion(k_a, n, k_b, n).p_two_sided < 0.05);
            let a = log_normal(&mut rng, n as usize, 3.5, 0.6);
            let b = log_normal(&mut rng, n as usize, 3.5, 0.6);
            fp_log += usize::from(log_ratio(&a, &b).unwrap().p_two_sided < 0.05);
        }
        let (rate_prop, rate_log) = (
            fp_prop as f64 / experiments as f64,
            fp_log as f64 / experiments as f64,
        );
        println!(
            "A/A, {experiments} experiments, n = {n} per arm, α = 0.05: false-positive rate \
             two_proportion (rate 0.9) {rate_prop:.4}, log_ratio (log-normal σ 0.6) {rate_log:.4}"
        );
        assert!((0.03..=0.07).contains(&rate_prop), "{rate_prop}");
        assert!((0.03..=0.07).contains(&rate_log), "{rate_log}");
    }

    #[test]
    fn power_formula_delivers_its_power_in_simulation() {
        let mut rng = StdRng::seed_from_u64(7);
        let experiments = 2000;
        // Success rate 90 % -> 95 %: the formula's runs per arm, rounded up (435).
        let n = runs_per_arm_proportion(0.9, 0.95, 0.05, 0.8).ceil() as u64;
        let mut hits = 0;
        for _ in 0..experiments {
            let (k_a, k_b) = (successes(&mut rng, n, 0.9), successes(&mut rng, n, 0.95));
            let t = two_proportion(k_a, n, k_b, n);
            hits += usize::from(t.p_two_sided < 0.05 && t.diff > 0.0);
        }
        let power_prop = hits as f64 / experiments as f64;
        // Duration +10 % with σ_log 0.5: 433 runs per arm (432.02 rounded up).
        let m = runs_per_arm_log(0.5, 0.1, 0.05, 0.8).ceil() as usize;
        let mut hits = 0;
        for _ in 0..experiments {
            let a = log_normal(&mut rng, m, 4.0, 0.5);
            let b = log_normal(&mut rng, m, 4.0 + 0.1_f64.ln_1p(), 0.5);
            let l = log_ratio(&a, &b).unwrap();
            hits += usize::from(l.p_two_sided < 0.05 && l.lift > 0.0);
        }
        let power_log = hits as f64 / experiments as f64;
        println!(
            "power check, {experiments} experiments, α = 0.05, target 0.8: two_proportion \
             0.90 -> 0.95 at {n} per arm detected {power_prop:.4}; log_ratio +10 % (σ_log 0.5) \
             at {m} per arm detected {power_log:.4}"
        );
        assert!((0.75..=0.85).contains(&power_prop), "{power_prop}");
        assert!((0.75..=0.85).contains(&power_log), "{power_log}");
    }
}
