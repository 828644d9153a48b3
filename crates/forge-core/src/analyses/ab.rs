//! ab-tester: which of two variants of an actor is really better, and how sure we are. A
//! function from the runs of each arm to a verdict per metric; see [`analyze`]. Methods:
//! `../shared/research/methods-anchors.md` §4 (GrowthBook's formulas and defaults).
//!
//! - **success rate**: Fisher exact when a cell is small, else the pooled two-proportion z;
//!   Newcombe's interval of the difference; the Beta-Binomial probability that B beats A and
//!   the expected loss of each choice.
//! - **duration, cost per run**: Welch t on the logs (the ratio of geometric means), with
//!   Mann–Whitney as a check that does not assume log-normality.
//! - **items per run**: the relative lift of the means (delta method), with Mann–Whitney.
//! - **experiment health**: sample-ratio mismatch (χ², p < 0.001).
//! - **power**: runs per arm needed for the smallest effect the user cares about, and the
//!   smallest effect detectable at the current n; "no detectable difference" only when the
//!   test had the power to see one.
//!
//! Benjamini–Hochberg across the secondary metrics; the primary metric is not corrected.

pub use crate::experiment::Verdict;
use crate::experiment::{
    log_ratio, mde_log, mde_proportion, prob_b_beats_a, relative_lift, runs_per_arm_log,
    runs_per_arm_proportion, sequential_interval, srm, two_proportion, verdict, BayesProportion,
    Lift, ProportionTest, SequentialInterval, Srm, VerdictInput,
};
use crate::model::JobStatus;
use crate::signal::{decide, rank, signal_id, DecisionHead, Impact, Severity, Signal, Subject};
use crate::stats::{benjamini_hochberg, mann_whitney, median, MannWhitney};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const TOOL: &str = "ab-tester";

pub const RULES: &[(&str, &str, &str)] = &[
    ("AB-B-WORSE", "medium..high", "Variant B is worse than A on a metric, beyond doubt (q ≤ α after Benjamini–Hochberg across the secondary metrics; the primary metric uncorrected) and beyond the smallest effect you care about: do not roll it out as is. High when the metric is the success rate."),
    ("AB-B-BETTER", "info", "Variant B is better than A on a metric, beyond doubt and beyond the smallest effect you care about."),
    ("AB-SAMPLE-RATIO-MISMATCH", "high", "The arms got a different number of runs than planned (χ² p < 0.001, at least 8 runs each): runs went missing on one side, so the comparison is biased and its verdicts are withheld."),
];

pub const METRICS: [&str; 4] = ["successRate", "duration", "costPerRun", "itemsPerRun"];

// ---------------------------------------------------------------- config and evidence

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AbConfig {
    /// Significance level of every test.
    pub alpha: f64,
    /// Power the verdict "no detectable difference" requires.
    pub power: f64,
    /// The smallest relative change of duration, cost and items that matters (0.10 = 10 %).
    pub min_effect: f64,
    /// The smallest change of the success rate that matters, in points (0.05 = 5 points).
    pub min_rate_effect: f64,
    /// The metric the decision rests on; not corrected for multiplicity.
    pub primary_metric: String,
    /// Always-valid intervals (for experiments that are watched and stopped early).
    pub sequential: bool,
    /// The tuning of the always-valid intervals: the expected total number of runs.
    pub sequential_tuning_runs: f64,
    pub acknowledged_signals: Vec<String>,
}

impl Default for AbConfig {
    fn default() -> Self {
        AbConfig {
            alpha: 0.05,
            power: 0.8,
            min_effect: 0.10,
            min_rate_effect: 0.05,
            primary_metric: "successRate".into(),
            sequential: false,
            sequential_tuning_runs: 5000.0,
            acknowledged_signals: Vec::new(),
        }
    }
}

impl AbConfig {
    fn sanitized(&self) -> AbConfig {
        let d = AbConfig::default();
        let pick = super::sane;
        AbConfig {
            alpha: pick(self.alpha, d.alpha, self.alpha > 0.0 && self.alpha < 0.5),
            power: pick(self.power, d.power, self.power > 0.5 && self.power < 1.0),
            min_effect: pick(self.min_effect, d.min_effect, self.min_effect > 0.0),
            min_rate_effect: pick(
                self.min_rate_effect,
                d.min_rate_effect,
                self.min_rate_effect > 0.0 && self.min_rate_effect < 1.0,
            ),
            primary_metric: if METRICS.contains(&self.primary_metric.as_str()) {
                self.primary_metric.clone()
            } else {
                d.primary_metric
            },
            sequential: self.sequential,
            sequential_tuning_runs: pick(
                self.sequential_tuning_runs,
                d.sequential_tuning_runs,
                self.sequential_tuning_runs >= 10.0,
            ),
            acknowledged_signals: self.acknowledged_signals.clone(),
        }
    }
}

/// One run of an arm: what the metrics are computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmRun {
    pub status: JobStatus,
    pub duration_secs: Option<f64>,
    pub cost_usd: Option<f64>,
    /// Items written (experiment: counted in its dataset; history: `usage.DATASET_WRITES` of
    /// sampled details).
    pub items: Option<f64>,
}

/// One arm: which variant, and its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arm {
    pub label: String,
    /// The variant in words: actor, build, memory, input.
    pub description: String,
    pub actor_id: String,
    pub actor_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_number: Option<String>,
    pub runs: Vec<ArmRun>,
}

/// How an experiment spent its budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub max_runs: u64,
    pub max_usd: f64,
    pub runs_started: u64,
    pub usd_spent: f64,
    /// The most a run could cost (memory × timeout × price, plus its charge limit): a pair
    /// starts only when two of these fit in what is left, so the budget cannot be exceeded.
    pub worst_case_usd_per_run: f64,
    pub stopped_because: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbEvidence {
    /// "history" or "experiment".
    pub mode: String,
    pub as_of: DateTime<Utc>,
    pub a: Arm,
    pub b: Arm,
    /// Experiment mode: the budget and how it went.
    pub budget: Option<Budget>,
}

// ---------------------------------------------------------------- findings

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmSummary {
    pub label: String,
    pub description: String,
    pub runs: u64,
    pub decided: u64,
    pub succeeded: u64,
    pub aborted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_duration_secs: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_items: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricResult {
    pub metric: &'static str,
    pub primary: bool,
    pub higher_is_better: bool,
    pub n_a: u64,
    pub n_b: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_a: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_b: Option<f64>,
    /// Success rate: B − A in points (as a fraction); others: B / A − 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect_high: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg across the secondary metrics; the primary's equals its p.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proportion: Option<ProportionTest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bayes: Option<BayesProportion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lift: Option<Lift>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mann_whitney: Option<MannWhitney>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialInterval>,
    /// Runs per arm needed to detect the smallest effect that matters with the set power.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_for_min_effect: Option<u64>,
    /// The smallest effect detectable with the runs at hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mde: Option<f64>,
    /// `verdict` ("B better", "A better", "no detectable difference", "not enough data") and,
    /// for the last, `runsNeededPerArm`: how many more runs each arm needs.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// For people: the verdict with the numbers behind it.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbOutput {
    #[serde(flatten)]
    pub head: DecisionHead,
    pub mode: String,
    pub as_of: DateTime<Utc>,
    pub config: AbConfig,
    pub a: ArmSummary,
    pub b: ArmSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_ratio: Option<Srm>,
    /// The primary metric's verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    pub metrics: Vec<MetricResult>,
    pub signals: Vec<Signal>,
    pub acknowledged: Vec<Signal>,
}

pub struct AbFindings {
    pub output: AbOutput,
    /// One row per metric.
    pub rows: Vec<Value>,
}

// ---------------------------------------------------------------- analysis

fn decided(s: JobStatus) -> bool {
    matches!(
        s,
        JobStatus::Succeeded | JobStatus::Failed | JobStatus::TimedOut
    )
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn summary_of(arm: &Arm) -> ArmSummary {
    let decided_runs: Vec<&ArmRun> = arm.runs.iter().filter(|r| decided(r.status)).collect();
    let ok: Vec<&ArmRun> = arm
        .runs
        .iter()
        .filter(|r| r.status == JobStatus::Succeeded)
        .collect();
    let values = |f: &dyn Fn(&ArmRun) -> Option<f64>| -> Vec<f64> {
        ok.iter()
            .filter_map(|r| f(r))
            .filter(|v| v.is_finite())
            .collect()
    };
    let items = values(&|r| r.items);
    ArmSummary {
        label: arm.label.clone(),
        description: arm.description.clone(),
        runs: arm.runs.len() as u64,
        decided: decided_runs.len() as u64,
        succeeded: ok.len() as u64,
        aborted: arm
            .runs
            .iter()
            .filter(|r| r.status == JobStatus::Aborted)
            .count() as u64,
        success_rate: (!decided_runs.is_empty())
            .then(|| round4(ok.len() as f64 / decided_runs.len() as f64)),
        median_duration_secs: median(&values(&|r| r.duration_secs)).map(round4),
        median_cost_usd: median(&values(&|r| r.cost_usd)).map(round4),
        mean_items: (!items.is_empty())
            .then(|| round4(items.iter().sum::<f64>() / items.len() as f64)),
    }
}

/// Positive finite values of successful runs: durations and costs are compared on the log
/// scale, so a zero (a free run) cannot enter; the count left out is in `n`.
fn positive(arm: &Arm, f: impl Fn(&ArmRun) -> Option<f64>) -> Vec<f64> {
    arm.runs
        .iter()
        .filter(|r| r.status == JobStatus::Succeeded)
        .filter_map(f)
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect()
}

fn std_log(a: &[f64], b: &[f64]) -> Option<f64> {
    let logs: Vec<f64> = a.iter().chain(b).map(|v| v.ln()).collect();
    let n = logs.len();
    if n < 3 {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let var = logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (var > 0.0).then(|| var.sqrt())
}

fn success_rate(cfg: &AbConfig, ev: &AbEvidence) -> MetricResult {
    let counts = |arm: &Arm| {
        let d: Vec<&ArmRun> = arm.runs.iter().filter(|r| decided(r.status)).collect();
        (
            d.iter()
                .filter(|r| r.status == JobStatus::Succeeded)
                .count() as u64,
            d.len() as u64,
        )
    };
    let ((ka, na), (kb, nb)) = (counts(&ev.a), counts(&ev.b));
    let mut m = empty_metric("successRate", true, na, nb);
    if na == 0 || nb == 0 {
        return m;
    }
    let test = two_proportion(ka, na, kb, nb);
    let bayes = prob_b_beats_a(ka, na, kb, nb);
    m.value_a = Some(round4(test.rate_a));
    m.value_b = Some(round4(test.rate_b));
    m.effect = Some(round4(test.diff));
    m.effect_low = Some(round4(test.diff_low));
    m.effect_high = Some(round4(test.diff_high));
    m.p_value = Some(test.p_two_sided);
    m.test = Some(test.test);
    let pooled = (ka + kb) as f64 / (na + nb) as f64;
    let target = (pooled + cfg.min_rate_effect).min(0.999);
    m.runs_for_min_effect = Some(
        runs_per_arm_proportion(pooled.min(0.999), target, cfg.alpha, cfg.power).ceil() as u64,
    );
    m.mde = Some(round4(mde_proportion(
        pooled,
        na.min(nb) as f64,
        cfg.alpha,
        cfg.power,
    )));
    m.proportion = Some(test);
    m.bayes = Some(bayes);
    m
}

fn continuous(
    cfg: &AbConfig,
    ev: &AbEvidence,
    metric: &'static str,
    f: fn(&ArmRun) -> Option<f64>,
) -> MetricResult {
    let higher_is_better = metric == "itemsPerRun";
    let (a, b) = if metric == "itemsPerRun" {
        let all = |arm: &Arm| -> Vec<f64> {
            arm.runs
                .iter()
                .filter(|r| r.status == JobStatus::Succeeded)
                .filter_map(f)
                .filter(|v| v.is_finite() && *v >= 0.0)
                .collect()
        };
        (all(&ev.a), all(&ev.b))
    } else {
        (positive(&ev.a, f), positive(&ev.b, f))
    };
    let mut m = empty_metric(metric, higher_is_better, a.len() as u64, b.len() as u64);
    if a.len() < 2 || b.len() < 2 {
        return m;
    }
    // Items can be 0, so their lift is of means (delta method); durations and costs are
    // compared as ratios of geometric means (Welch t on the logs).
    let lift = if higher_is_better {
        relative_lift(&a, &b)
    } else {
        log_ratio(&a, &b)
    };
    m.value_a = median(&a).map(round4);
    m.value_b = median(&b).map(round4);
    m.mann_whitney = mann_whitney(&b, &a);
    if let Some(l) = lift {
        m.effect = Some(round4(l.lift));
        m.effect_low = Some(round4(l.low));
        m.effect_high = Some(round4(l.high));
        m.p_value = Some(l.p_two_sided);
        m.test = Some(if higher_is_better {
            "welch-t-relative-lift"
        } else {
            "welch-t-on-logs"
        });
        if cfg.sequential {
            m.sequential = Some(sequential_interval(
                &l,
                (a.len() + b.len()) as f64,
                cfg.sequential_tuning_runs,
                cfg.alpha,
            ));
        }
        m.lift = Some(l);
    }
    if let Some(sigma) = if higher_is_better {
        // The coefficient of variation plays σ_log's part for a lift of means.
        let all: Vec<f64> = a.iter().chain(&b).copied().collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (all.len() - 1) as f64;
        (mean > 0.0 && var > 0.0).then(|| var.sqrt() / mean)
    } else {
        std_log(&a, &b)
    } {
        m.runs_for_min_effect =
            Some(runs_per_arm_log(sigma, cfg.min_effect, cfg.alpha, cfg.power).ceil() as u64);
        m.mde = Some(round4(mde_log(
            sigma,
            a.len().min(b.len()) as f64,
            cfg.alpha,
            cfg.power,
        )));
    }
    m
}

fn empty_metric(metric: &'static str, higher_is_better: bool, n_a: u64, n_b: u64) -> MetricResult {
    MetricResult {
        metric,
        primary: false,
        higher_is_better,
        n_a,
        n_b,
        value_a: None,
        value_b: None,
        effect: None,
        effect_low: None,
        effect_high: None,
        p_value: None,
        q_value: None,
        test: None,
        proportion: None,
        bayes: None,
        lift: None,
        mann_whitney: None,
        sequential: None,
        runs_for_min_effect: None,
        mde: None,
        verdict: Verdict::NotEnoughData {
            runs_needed_per_arm: 0,
        },
        explanation: String::new(),
    }
}

/// The verdict ([`verdict`]): significant → a winner (the explanation says how big); not
/// significant with the power to have seen the smallest effect that matters → no detectable
/// difference; else not enough data, with the runs still needed. In sequential mode the
/// always-valid p-value and interval decide.
fn judge(cfg: &AbConfig, m: &mut MetricResult) {
    let min = if m.metric == "successRate" {
        cfg.min_rate_effect
    } else {
        cfg.min_effect
    };
    let rate = m.metric == "successRate";
    let fmt = |x: f64| {
        if rate {
            format!("{:+.1} points", x * 100.0)
        } else {
            format!("{:+.1} %", x * 100.0)
        }
    };
    let n = m.n_a.min(m.n_b);
    let (Some(effect), Some(q)) = (m.effect, m.q_value) else {
        m.verdict = Verdict::NotEnoughData {
            runs_needed_per_arm: m.runs_for_min_effect.unwrap_or(2).saturating_sub(n).max(1),
        };
        m.explanation = format!("not enough runs to compare ({} and {})", m.n_a, m.n_b);
        return;
    };
    let (p, low, high) = match &m.sequential {
        Some(s) => (s.p_always_valid, s.low, s.high),
        None => (
            q,
            m.effect_low.unwrap_or(effect),
            m.effect_high.unwrap_or(effect),
        ),
    };
    m.verdict = verdict(&VerdictInput {
        p,
        alpha: cfg.alpha,
        effect,
        higher_is_better: m.higher_is_better,
        n_per_arm: n,
        runs_for_min_effect: m.runs_for_min_effect.map_or(f64::INFINITY, |r| r as f64),
    });
    let interval = format!("95 % interval {} to {}", fmt(low), fmt(high));
    m.explanation = match m.verdict {
        Verdict::BBetter | Verdict::ABetter => {
            format!("{}: B − A {} ({interval}), q = {q:.4}", m.verdict, fmt(effect))
        }
        Verdict::NoDetectableDifference => format!(
            "no detectable difference: {} ({interval}); with {n} runs per arm a change of {} would have been seen {:.0} % of the time",
            fmt(effect),
            fmt(min),
            cfg.power * 100.0
        ),
        Verdict::NotEnoughData { .. } => format!(
            "{}: {} ({interval}), smallest detectable now {}",
            m.verdict,
            fmt(effect),
            m.mde.map_or("unknown".into(), fmt)
        ),
    };
}

pub fn analyze(config: &AbConfig, ev: &AbEvidence) -> AbFindings {
    let cfg = config.sanitized();
    let mut metrics = vec![
        success_rate(&cfg, ev),
        continuous(&cfg, ev, "duration", |r| r.duration_secs),
        continuous(&cfg, ev, "costPerRun", |r| r.cost_usd),
        continuous(&cfg, ev, "itemsPerRun", |r| r.items),
    ];
    for m in metrics.iter_mut() {
        m.primary = m.metric == cfg.primary_metric;
    }
    // BH across the secondary metrics; the primary keeps its p.
    let secondary: Vec<usize> = (0..metrics.len())
        .filter(|&i| !metrics[i].primary && metrics[i].p_value.is_some())
        .collect();
    let p: Vec<f64> = secondary
        .iter()
        .map(|&i| metrics[i].p_value.unwrap_or(1.0))
        .collect();
    for (&i, q) in secondary.iter().zip(benjamini_hochberg(&p)) {
        metrics[i].q_value = Some(q);
    }
    for m in metrics.iter_mut().filter(|m| m.primary) {
        m.q_value = m.p_value;
    }
    let (a, b) = (summary_of(&ev.a), summary_of(&ev.b));
    let sample_ratio = (ev.mode == "experiment").then(|| srm(a.runs, b.runs, 0.5));
    let mismatch = sample_ratio.as_ref().is_some_and(|s| s.mismatch);
    for m in metrics.iter_mut() {
        judge(&cfg, m);
        if mismatch {
            m.verdict = Verdict::NotEnoughData {
                runs_needed_per_arm: 0,
            };
            m.explanation = format!(
                "withheld: the arms' run counts do not match the plan ({} vs {})",
                a.runs, b.runs
            );
        }
    }
    let verdict = metrics.iter().find(|m| m.primary).map_or(
        Verdict::NotEnoughData {
            runs_needed_per_arm: 0,
        },
        |m| m.verdict,
    );

    let subject = Subject {
        actor_id: ev.b.actor_id.clone(),
        actor_name: ev.b.actor_name.clone(),
        build_number: ev.b.build_number.clone(),
    };
    let acknowledged: BTreeSet<&str> = cfg
        .acknowledged_signals
        .iter()
        .map(String::as_str)
        .collect();
    let mut signals = Vec::new();
    let mut push =
        |rule: &str, key: &str, severity, title: String, evidence: Value, fix: String| {
            let id = signal_id(TOOL, &format!("{rule}/{key}"), &subject);
            signals.push(Signal {
                acknowledged: acknowledged.contains(id.as_str()),
                id,
                tool: TOOL.into(),
                rule: rule.into(),
                severity,
                subject: subject.clone(),
                title,
                evidence,
                impact: Impact::default(),
                recommendation: fix,
                console_url: format!("https://console.apify.com/actors/{}", ev.b.actor_id),
                first_seen_at: ev.as_of,
            });
        };
    if mismatch {
        push(
            "AB-SAMPLE-RATIO-MISMATCH",
            "srm",
            Severity::High,
            format!("{} vs {}: run counts {} and {} do not match a 50/50 plan", a.label, b.label, a.runs, b.runs),
            json!(sample_ratio),
            "Check why runs of one arm are missing (failed starts, aborted runs) before trusting any result.".into(),
        );
    }
    for m in &metrics {
        let evidence = serde_json::to_value(m).unwrap_or(Value::Null);
        match m.verdict {
            Verdict::ABetter => push(
                "AB-B-WORSE",
                m.metric,
                if m.metric == "successRate" {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "{} is worse than {} on {}: {}",
                    b.label, a.label, m.metric, m.explanation
                ),
                evidence,
                format!(
                    "Keep {} ({}); fix {} before rolling it out.",
                    a.label, a.description, b.label
                ),
            ),
            Verdict::BBetter => push(
                "AB-B-BETTER",
                m.metric,
                Severity::Info,
                format!(
                    "{} is better than {} on {}: {}",
                    b.label, a.label, m.metric, m.explanation
                ),
                evidence,
                format!(
                    "{} ({}) can replace {} on this metric.",
                    b.label, b.description, a.label
                ),
            ),
            _ => {}
        }
    }
    rank(&mut signals);
    let rows = metrics
        .iter()
        .map(|m| {
            json!({
                "metric": m.metric,
                "primary": m.primary,
                "verdict": m.verdict.to_string(),
                "valueA": m.value_a,
                "valueB": m.value_b,
                "effect": m.effect,
                "effectLow": m.effect_low,
                "effectHigh": m.effect_high,
                "pValue": m.p_value,
                "qValue": m.q_value,
                "runsA": m.n_a,
                "runsB": m.n_b,
                "runsForMinEffect": m.runs_for_min_effect,
                "explanation": m.explanation,
            })
        })
        .collect();
    let (open, acked): (Vec<Signal>, Vec<Signal>) =
        signals.into_iter().partition(|s| !s.acknowledged);
    let (decision, reason_codes) = decide(&open);
    let primary = metrics.iter().find(|m| m.primary);
    let summary = format!(
        "{} ({}) vs {} ({}), {} mode, {} and {} runs: {} on {}{}",
        a.label,
        a.description,
        b.label,
        b.description,
        ev.mode,
        a.runs,
        b.runs,
        verdict,
        cfg.primary_metric,
        primary.map_or(String::new(), |m| format!(" ({})", m.explanation))
    );
    AbFindings {
        output: AbOutput {
            head: DecisionHead::new(TOOL, decision, reason_codes, summary),
            mode: ev.mode.clone(),
            as_of: ev.as_of,
            config: cfg,
            a,
            b,
            budget: ev.budget.clone(),
            sample_ratio,
            verdict,
            metrics,
            signals: open,
            acknowledged: acked,
        },
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// `ok` successes out of `n`, with durations `secs` (cycled) and items per success.
    fn arm(label: &str, n: usize, ok: usize, secs: &[f64], items: f64) -> Arm {
        Arm {
            label: label.into(),
            description: format!("variant {label}"),
            actor_id: "act".into(),
            actor_name: "dev/actor".into(),
            build_number: Some(format!("0.1.{}", label.len())),
            runs: (0..n)
                .map(|i| {
                    let succeeded = i < ok;
                    let d = secs[i % secs.len()];
                    ArmRun {
                        status: if succeeded {
                            JobStatus::Succeeded
                        } else {
                            JobStatus::Failed
                        },
                        duration_secs: Some(d),
                        cost_usd: Some(d / 3600.0 * 0.4),
                        items: succeeded.then_some(items + (i % 7) as f64),
                    }
                })
                .collect(),
        }
    }

    fn evidence(mode: &str, a: Arm, b: Arm) -> AbEvidence {
        AbEvidence {
            mode: mode.into(),
            as_of: Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap(),
            a,
            b,
            budget: None,
        }
    }

    fn metric<'a>(f: &'a AbFindings, name: &str) -> &'a MetricResult {
        f.output.metrics.iter().find(|m| m.metric == name).unwrap()
    }

    const SECS: [f64; 8] = [90.0, 110.0, 100.0, 95.0, 120.0, 85.0, 105.0, 99.0];

    #[test]
    fn a_worse_success_rate_makes_a_better_and_signals_it() {
        let a = arm("A", 300, 290, &SECS, 20.0);
        let b = arm("B", 300, 240, &SECS.map(|s| s * 1.3), 20.0);
        let f = analyze(&AbConfig::default(), &evidence("history", a, b));
        assert_eq!(f.output.verdict, Verdict::ABetter);
        let sr = metric(&f, "successRate");
        assert!(sr.primary && sr.effect.unwrap() < -0.1, "{sr:?}");
        assert!(sr.bayes.as_ref().unwrap().prob_b_better < 0.01);
        assert_eq!(metric(&f, "duration").verdict, Verdict::ABetter);
        assert!((metric(&f, "duration").effect.unwrap() - 0.3).abs() < 0.01);
        let rules: Vec<&str> = f.output.signals.iter().map(|s| s.rule.as_str()).collect();
        assert!(rules.contains(&"AB-B-WORSE"));
        assert_eq!(f.output.head.decision, crate::signal::Decision::ActNow);
        assert_eq!(f.rows.len(), 4);
    }

    #[test]
    fn the_same_variant_twice_is_no_detectable_difference_only_with_power() {
        let big = analyze(
            &AbConfig::default(),
            &evidence(
                "history",
                arm("A", 2000, 1900, &SECS, 20.0),
                arm("B", 2000, 1900, &SECS, 20.0),
            ),
        );
        assert_eq!(
            big.output.verdict,
            Verdict::NoDetectableDifference,
            "{:?}",
            metric(&big, "successRate")
        );
        let small = analyze(
            &AbConfig::default(),
            &evidence(
                "history",
                arm("A", 12, 11, &SECS, 20.0),
                arm("B", 12, 11, &SECS, 20.0),
            ),
        );
        let m = metric(&small, "successRate");
        assert!(matches!(m.verdict, Verdict::NotEnoughData { .. }));
        assert!(
            m.explanation.contains("more runs per arm"),
            "{}",
            m.explanation
        );
        assert!(m.runs_for_min_effect.unwrap() > 100);
        assert!(small.output.signals.is_empty());
    }

    #[test]
    fn a_sample_ratio_mismatch_withholds_every_verdict() {
        let f = analyze(
            &AbConfig::default(),
            &evidence(
                "experiment",
                arm("A", 100, 95, &SECS, 20.0),
                arm("B", 40, 20, &SECS, 20.0),
            ),
        );
        assert!(f.output.sample_ratio.as_ref().unwrap().mismatch);
        assert!(f
            .output
            .metrics
            .iter()
            .all(|m| matches!(m.verdict, Verdict::NotEnoughData { .. })));
        assert_eq!(f.output.signals[0].rule, "AB-SAMPLE-RATIO-MISMATCH");
    }

    #[test]
    fn sequential_mode_decides_on_the_always_valid_interval() {
        let a = arm("A", 120, 118, &SECS, 20.0);
        let b = arm("B", 120, 118, &SECS.map(|s| s * 1.08), 20.0);
        let ev = evidence("experiment", a, b);
        let fixed = analyze(
            &AbConfig {
                primary_metric: "duration".into(),
                ..AbConfig::default()
            },
            &ev,
        );
        let seq = analyze(
            &AbConfig {
                primary_metric: "duration".into(),
                sequential: true,
                ..AbConfig::default()
            },
            &ev,
        );
        let (f, s) = (metric(&fixed, "duration"), metric(&seq, "duration"));
        let interval = s.sequential.as_ref().expect("an always-valid interval");
        // Always-valid intervals are wider: the price of looking at any time.
        assert!(interval.high - interval.low > f.effect_high.unwrap() - f.effect_low.unwrap());
        assert_eq!(f.verdict, Verdict::ABetter, "{}", f.explanation);
        assert!(
            matches!(s.verdict, Verdict::ABetter) == (interval.low > 0.0),
            "{} {interval:?}",
            s.explanation
        );
    }

    #[test]
    fn empty_arms_and_odd_config_do_not_panic() {
        let cfg = AbConfig {
            alpha: f64::NAN,
            primary_metric: "nonsense".into(),
            ..AbConfig::default()
        };
        let f = analyze(
            &cfg,
            &evidence(
                "experiment",
                arm("A", 0, 0, &SECS, 0.0),
                arm("B", 0, 0, &SECS, 0.0),
            ),
        );
        assert!(matches!(f.output.verdict, Verdict::NotEnoughData { .. }));
        assert_eq!(f.output.config.primary_metric, "successRate");
        assert!(serde_json::to_string(&f.output).is_ok());
    }
}
