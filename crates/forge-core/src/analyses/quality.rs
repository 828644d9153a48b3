//! quality-monitor: real week-over-week degradation of an actor's runs, localised to a build
//! when it can be, with the false discovery rate controlled across the fleet. A function from
//! evidence to findings; see [`analyze`]. Methods: `../shared/research/methods-anchors.md` §2–3.
//!
//! Per actor and metric there is exactly one test, so each weekly family has one p-value per
//! actor that had enough runs:
//! - **failure rate** (FAILED + TIMED-OUT among decided runs; ABORTED is a person's choice):
//!   one-sided Fisher exact, build N against build N−1 when the newest build took over this
//!   week, else this week against the baseline weeks. Localised by the build or by PELT with a
//!   binomial cost on daily counts. A Bernoulli CUSUM (ARL₀ ≈ 1,000 runs at the actor's own
//!   shrunk baseline) runs over the runs since the previous SNAPSHOT and says when it alarmed.
//! - **duration** and **cost per run** of SUCCEEDED runs, on the log scale: one-sided
//!   Mann–Whitney, Hodges–Lehmann shift with its interval as the effect; localised by the build
//!   or by the windowed E-divisive/t-test change point (Hunter, Apache Otava).
//! - **empty runs**: SUCCEEDED runs whose `usage.DATASET_WRITES` is 0 or absent, from a
//!   bounded sample of run details (never the datasets), one-sided Fisher exact.
//!
//! Only actors with enough runs on both sides enter a family (independent filtering: the count
//! does not depend on the outcome), then Benjamini–Hochberg per family. A finding alerts when
//! its q-value, its practical effect and (for failures) its impact all pass. Findings of one
//! actor with the same cause form one digest item. A repeat of an alert is reported but does
//! not alert again unless the effect grew by half or 28 days passed.

use crate::aggregate::StatusCounts;
use crate::analyses::probe::{self, ProbePoint, ProbeResult, ProbeRun, ProbeSpec};
use crate::changepoint::{default_binomial_penalty, e_divisive_t, pelt_binomial, BernoulliCusum};
use crate::model::{ActorInfo, JobStatus, RunDetail, RunRecord};
use crate::signal::{decide, rank, signal_id, DecisionHead, Impact, Severity, Signal, Subject};
use crate::stats::{
    benjamini_hochberg, fisher_exact_greater, hodges_lehmann, mann_whitney, median, quantile_r8,
    shrunk_rate, wilson_interval,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const TOOL: &str = "quality-monitor";

/// The rule catalog: stable IDs, severity range, meaning. Generated into the docs together
/// with [`probe::PROBE_RULES`].
pub const RULES: &[(&str, &str, &str)] = &[
    ("QM-FAILURE-RATE", "medium..high", "The failure rate (FAILED and TIMED-OUT among runs that did not abort) rose: one-sided Fisher exact test of build N against build N−1 when the newest build took over this week, else of this week (and of its last 3 days, Bonferroni over the two looks) against the baseline weeks; q ≤ 0.05 after Benjamini–Hochberg across the fleet's tested actors, at least +5 points or a doubling, and at least 3 extra failed runs a week. High from +15 points or 10 extra failed runs a week."),
    ("QM-DURATION", "low..medium", "Successful runs got slower: one-sided Mann–Whitney on log duration (build N against N−1, else this week against the baseline), q ≤ 0.05 after Benjamini–Hochberg, Hodges–Lehmann shift of at least +10 %. Medium from +50 %."),
    ("QM-COST-PER-RUN", "low..high", "Successful runs cost more each: one-sided Mann–Whitney on log cost per run, q ≤ 0.05 after Benjamini–Hochberg, Hodges–Lehmann shift of at least +10 %. Severity by the extra money per month ($5 medium, $50 high)."),
    ("QM-EMPTY-RUNS", "high", "More successful runs wrote nothing (run details' usage.DATASET_WRITES 0 or absent) than the actor's usual share: one-sided Fisher exact on sampled run details of this week against the baseline, q ≤ 0.05 after Benjamini–Hochberg, at least +5 points or a doubling. Only for actors that usually write (at most half of the baseline sample empty)."),
];

/// Runs of one actor kept for per-run tests, newest first; older runs still count in the
/// daily totals. 16 bytes each: 1,000 actors at the cap stay under 100 MB.
pub const MAX_POINTS: usize = 5_000;
/// Newest runs per build in a build-against-build comparison (methods §2.3 B).
const BUILD_ARM_CAP: usize = 200;
/// Newest runs per side in a week-against-baseline comparison of durations and costs: keeps
/// the pairwise Hodges–Lehmann estimate at 90,000 differences per metric.
const WEEK_ARM_CAP: usize = 300;
/// Newest successful runs in the change-point search of a continuous metric.
const CHANGEPOINT_POINTS: usize = 400;
/// Samples of run details for empty runs: a first look, then the full sample only when the
/// first look saw an empty run (skipping can only lower the false-alarm rate).
pub const EMPTY_FIRST_LOOK: usize = 20;
/// CUSUM prior strength (a + b of methods §2.3 A) and the calibration target.
/// The short look of a week-against-baseline failure test.
const SHORT_LOOK_DAYS: usize = 3;
/// CUSUM prior strength (a + b of methods §2.3 A).
const CUSUM_PRIOR_STRENGTH: f64 = 10.0;
const DAYS_PER_MONTH: f64 = 30.44;
const WEEK_DAYS: i64 = 7;
/// Weekly summaries kept in the SNAPSHOT per actor: half a year of trend.
const MAX_WEEKS: usize = 26;

// ---------------------------------------------------------------- config and windows

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QualityConfig {
    /// Weeks before the current one that form the baseline, in days.
    pub baseline_days: u32,
    /// False discovery rate per weekly family.
    pub fdr_q: f64,
    /// Runs needed on each side of a comparison; below it: "not enough runs".
    pub min_runs: u64,
    /// Practical gate of rates: at least this many points more, or a doubling.
    pub min_rate_increase: f64,
    /// Practical gate of durations and costs: at least this relative change.
    pub min_relative_change: f64,
    /// Impact gate of failure-rate alerts.
    pub min_extra_failed_runs_per_week: f64,
    /// Average runs between false CUSUM alarms at the baseline failure rate.
    pub cusum_arl0: f64,
    /// An alert repeats only after this many days, unless its effect grew by `realert_growth`.
    pub realert_days: i64,
    pub realert_growth: f64,
    pub acknowledged_signals: Vec<String>,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            baseline_days: 28,
            fdr_q: 0.05,
            min_runs: 10,
            min_rate_increase: 0.05,
            min_relative_change: 0.10,
            min_extra_failed_runs_per_week: 3.0,
            cusum_arl0: 1000.0,
            realert_days: 28,
            realert_growth: 0.5,
            acknowledged_signals: Vec::new(),
        }
    }
}

impl QualityConfig {
    /// Odd values (NaN, negative) fall back to the defaults: an odd input never yields NaN.
    fn sanitized(&self) -> QualityConfig {
        let d = QualityConfig::default();
        let pick = super::sane;
        QualityConfig {
            baseline_days: self.baseline_days.clamp(7, 365),
            fdr_q: pick(self.fdr_q, d.fdr_q, self.fdr_q > 0.0 && self.fdr_q <= 1.0),
            min_runs: self.min_runs.max(2),
            min_rate_increase: pick(
                self.min_rate_increase,
                d.min_rate_increase,
                self.min_rate_increase >= 0.0,
            ),
            min_relative_change: pick(
                self.min_relative_change,
                d.min_relative_change,
                self.min_relative_change >= 0.0,
            ),
            min_extra_failed_runs_per_week: pick(
                self.min_extra_failed_runs_per_week,
                d.min_extra_failed_runs_per_week,
                self.min_extra_failed_runs_per_week >= 0.0,
            ),
            cusum_arl0: pick(self.cusum_arl0, d.cusum_arl0, self.cusum_arl0 >= 10.0),
            realert_days: self.realert_days.clamp(0, 3_650),
            realert_growth: pick(
                self.realert_growth,
                d.realert_growth,
                self.realert_growth >= 0.0,
            ),
            acknowledged_signals: self.acknowledged_signals.clone(),
        }
    }
}

/// The current week `[as_of − 7 d, as_of)` and the baseline weeks before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityWindows {
    pub as_of: DateTime<Utc>,
    pub baseline_days: u32,
}

impl QualityWindows {
    pub fn new(as_of: DateTime<Utc>, baseline_days: u32) -> QualityWindows {
        QualityWindows {
            as_of,
            baseline_days: baseline_days.clamp(7, 365),
        }
    }
    pub fn current_start(&self) -> DateTime<Utc> {
        self.as_of - Duration::days(WEEK_DAYS)
    }
    pub fn range_start(&self) -> DateTime<Utc> {
        self.current_start() - Duration::days(self.baseline_days as i64)
    }
    fn days(&self) -> usize {
        self.baseline_days as usize + WEEK_DAYS as usize
    }
}

// ---------------------------------------------------------------- the run series

/// One run, compactly: what the per-run tests need.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunPoint {
    /// Seconds since the range start.
    pub t: u32,
    pub status: JobStatus,
    /// Index into [`RunSeries::builds`]; `u16::MAX` when the run names no build.
    pub build: u16,
    /// Seconds; NaN when unknown.
    pub duration: f32,
    pub cost: f32,
}

/// One actor's runs in the range, folded as the run list pages arrive (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSeries {
    pub windows: QualityWindows,
    /// Newest first, at most [`MAX_POINTS`].
    pub points: Vec<RunPoint>,
    pub builds: Vec<String>,
    /// Status counts per day of the range, every run included.
    pub daily: Vec<StatusCounts>,
    /// Runs counted in `daily` but beyond [`MAX_POINTS`].
    pub beyond_cap: u64,
    pub outside_range: u64,
    /// Newest SUCCEEDED run ids of the current week and of the baseline, for detail samples.
    pub sample_current: Vec<String>,
    pub sample_baseline: Vec<String>,
    /// How many ids each sample keeps.
    pub sample_cap: usize,
}

impl RunSeries {
    pub fn new(windows: QualityWindows, sample_cap: usize) -> RunSeries {
        RunSeries {
            windows,
            sample_cap,
            points: Vec::new(),
            builds: Vec::new(),
            daily: vec![StatusCounts::default(); windows.days()],
            beyond_cap: 0,
            outside_range: 0,
            sample_current: Vec::new(),
            sample_baseline: Vec::new(),
        }
    }

    pub fn add(&mut self, run: &RunRecord) {
        let w = self.windows;
        if run.started_at < w.range_start() || run.started_at >= w.as_of {
            self.outside_range += 1;
            return;
        }
        let secs = (run.started_at - w.range_start()).num_seconds();
        let day = (secs / 86_400) as usize;
        if let Some(d) = self.daily.get_mut(day) {
            d.add(run.status);
        }
        if run.status == JobStatus::Succeeded {
            let ids = if run.started_at >= w.current_start() {
                &mut self.sample_current
            } else {
                &mut self.sample_baseline
            };
            if ids.len() < self.sample_cap {
                ids.push(run.id.clone());
            }
        }
        if self.points.len() >= MAX_POINTS {
            self.beyond_cap += 1;
            return;
        }
        let build = match &run.build_number {
            Some(b) => match self.builds.iter().position(|x| x == b) {
                Some(i) => i as u16,
                None if self.builds.len() < u16::MAX as usize => {
                    self.builds.push(b.clone());
                    (self.builds.len() - 1) as u16
                }
                None => u16::MAX,
            },
            None => u16::MAX,
        };
        let cost = if run.usage_total_usd.is_finite() && run.usage_total_usd >= 0.0 {
            run.usage_total_usd as f32
        } else {
            f32::NAN
        };
        self.points.push(RunPoint {
            t: secs.clamp(0, u32::MAX as i64) as u32,
            status: run.status,
            build,
            duration: run.duration_secs().map_or(f32::NAN, |d| d as f32),
            cost,
        });
    }

    fn time(&self, p: &RunPoint) -> DateTime<Utc> {
        self.windows.range_start() + Duration::seconds(p.t as i64)
    }
}

/// Whether the first look at empty runs calls for the full sample.
pub fn needs_full_empty_sample(first_look: &[RunDetail]) -> bool {
    first_look.iter().any(wrote_nothing)
}

fn wrote_nothing(d: &RunDetail) -> bool {
    d.dataset_writes.is_none_or(|w| w <= 0.0)
}

// ---------------------------------------------------------------- evidence and findings

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityActorEvidence {
    pub actor: ActorInfo,
    pub series: RunSeries,
    /// Details of sampled SUCCEEDED runs of the current week and of the baseline.
    pub details_current: Vec<RunDetail>,
    pub details_baseline: Vec<RunDetail>,
}

pub struct ProbeEvidence {
    pub spec: ProbeSpec,
    pub actor: Option<ActorInfo>,
    pub run: ProbeRun,
}

pub struct QualityEvidence {
    pub windows: QualityWindows,
    pub actors: Vec<QualityActorEvidence>,
    pub probes: Vec<ProbeEvidence>,
}

/// Where a change came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Cause {
    /// Runs on this build differ from runs on the build before it.
    #[serde(rename_all = "camelCase")]
    Build {
        build_number: String,
        since: DateTime<Utc>,
    },
    /// A change at this time without a new build (the website, proxies, the input mix).
    #[serde(rename_all = "camelCase")]
    Since {
        since: DateTime<Utc>,
        method: &'static str,
    },
    /// This week differs from the baseline; no single change point stood out.
    ThisWeek,
}

impl Cause {
    /// One root cause: the same build, or two changes without a build within a day of each
    /// other (or not localised at all).
    fn same_as(&self, other: &Cause) -> bool {
        match (self, other) {
            (
                Cause::Build {
                    build_number: a, ..
                },
                Cause::Build {
                    build_number: b, ..
                },
            ) => a == b,
            (Cause::Build { .. }, _) | (_, Cause::Build { .. }) => false,
            (a, b) => match (a.since(), b.since()) {
                (Some(x), Some(y)) => (x - y).num_seconds().abs() <= 86_400,
                _ => true,
            },
        }
    }

    fn key(&self) -> String {
        match self {
            Cause::Build { build_number, .. } => format!("build {build_number}"),
            Cause::Since { since, .. } => format!("since {}", since.date_naive()),
            Cause::ThisWeek => "this week".into(),
        }
    }
    fn since(&self) -> Option<DateTime<Utc>> {
        match self {
            Cause::Build { since, .. } | Cause::Since { since, .. } => Some(*since),
            Cause::ThisWeek => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MetricStatus {
    Tested,
    NotEnoughRuns,
    /// Not applicable: e.g. empty runs of an actor that usually writes nothing.
    NotApplicable,
}

/// One metric of one actor: the comparison, its statistics and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricReport {
    pub metric: &'static str,
    pub status: MetricStatus,
    /// "build" (build N against N−1) or "week" (this week against the baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<&'static str>,
    pub current_label: String,
    pub baseline_label: String,
    pub n_current: u64,
    pub n_baseline: u64,
    /// A rate, or a median in the metric's unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_p95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_p95: Option<f64>,
    /// Rates: the difference in points (as a fraction); durations and costs: the relative
    /// change (Hodges–Lehmann on the log scale, back-transformed). With a 95 % interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect_high: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_value: Option<f64>,
    /// The test that produced `p_value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<&'static str>,
    pub practical: bool,
    pub impact_ok: bool,
    pub flagged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// The metric's impact: extra failed runs a week, extra USD a month, extra run hours a week.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_per_week: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_usd_per_month: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl MetricReport {
    fn new(metric: &'static str) -> MetricReport {
        MetricReport {
            metric,
            status: MetricStatus::NotEnoughRuns,
            comparison: None,
            current_label: String::new(),
            baseline_label: String::new(),
            n_current: 0,
            n_baseline: 0,
            baseline: None,
            current: None,
            baseline_p95: None,
            current_p95: None,
            effect: None,
            effect_low: None,
            effect_high: None,
            p_value: None,
            q_value: None,
            test: None,
            practical: false,
            impact_ok: false,
            flagged: false,
            cause: None,
            extra_per_week: None,
            extra_usd_per_month: None,
            note: None,
        }
    }
}

/// The Bernoulli CUSUM of an actor's failures, carried week to week through the SNAPSHOT.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CusumReport {
    pub p0: f64,
    pub p1: f64,
    pub h: f64,
    pub statistic: f64,
    pub runs: u64,
    /// Continued from the previous SNAPSHOT's statistic.
    pub carried: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_at: Option<DateTime<Utc>>,
    /// Runs from the estimated change to the alarm: the detection delay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs_to_alarm: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorQuality {
    pub actor_id: String,
    pub actor_name: String,
    pub runs: StatusCounts,
    pub runs_current_week: StatusCounts,
    /// Runs counted but not kept for per-run tests (beyond the cap of newest runs).
    pub runs_beyond_cap: u64,
    pub failure_rate: MetricReport,
    pub duration: MetricReport,
    pub cost_per_run: MetricReport,
    pub empty_runs: MetricReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cusum: Option<CusumReport>,
    pub signals: Vec<String>,
    #[serde(skip)]
    last_decided_at: Option<DateTime<Utc>>,
}

impl ActorQuality {
    fn metrics(&self) -> [&MetricReport; 4] {
        [
            &self.failure_rate,
            &self.duration,
            &self.cost_per_run,
            &self.empty_runs,
        ]
    }
    fn metrics_mut(&mut self) -> [&mut MetricReport; 4] {
        [
            &mut self.failure_rate,
            &mut self.duration,
            &mut self.cost_per_run,
            &mut self.empty_runs,
        ]
    }
}

/// One family's size and discoveries: what the false discovery rate was controlled over.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyReport {
    pub metric: &'static str,
    pub tested: usize,
    pub not_enough_runs: usize,
    pub significant: usize,
    pub flagged: usize,
    pub fdr_q: f64,
}

/// One digest item: an actor and one root cause, with every metric it moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestItem {
    pub actor_id: String,
    pub actor_name: String,
    pub cause: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    pub severity: Severity,
    pub metrics: Vec<&'static str>,
    pub signals: Vec<String>,
    /// False when every signal of the item repeats an earlier alert without getting worse.
    pub alerting: bool,
    #[serde(skip)]
    root: Cause,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityWindowOut {
    pub as_of: DateTime<Utc>,
    pub current_start: DateTime<Utc>,
    pub baseline_start: DateTime<Utc>,
    pub baseline_days: u32,
}

/// One week of the whole fleet's runs: the trend a person reads beside the per-actor tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetWeek {
    pub week_start: DateTime<Utc>,
    pub runs: u64,
    /// Succeeded, failed or timed out: what a failure rate counts.
    pub decided: u64,
    /// Failed or timed out.
    pub failed: u64,
    /// `failed / decided`; `None` for a week without a decided run.
    pub failure_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityOutput {
    #[serde(flatten)]
    pub head: DecisionHead,
    pub window: QualityWindowOut,
    pub config: QualityConfig,
    pub families: Vec<FamilyReport>,
    /// The fleet's failure rate per whole week of the range, oldest first, this week last.
    pub fleet_weeks: Vec<FleetWeek>,
    pub digest: Vec<DigestItem>,
    pub actors: Vec<ActorQuality>,
    pub probes: Vec<ProbeResult>,
    pub signals: Vec<Signal>,
    pub acknowledged: Vec<Signal>,
}

pub struct QualityFindings {
    pub output: QualityOutput,
    pub rows: Vec<Value>,
    pub snapshot: QualitySnapshot,
}

// ---------------------------------------------------------------- snapshot

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QualitySnapshot {
    pub schema_version: u32,
    pub tool: String,
    pub as_of: Option<DateTime<Utc>>,
    pub actors: BTreeMap<String, ActorState>,
    /// By signal id: when it was first seen and last alerted, and with what effect.
    pub alerts: BTreeMap<String, AlertState>,
    /// Probe history by the actor's id (or the name asked for, when it did not resolve).
    pub probes: BTreeMap<String, Vec<ProbePoint>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActorState {
    pub cusum: Option<CusumState>,
    pub weeks: Vec<WeekSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CusumState {
    pub statistic: f64,
    /// Start time of the last run the statistic includes.
    pub last_run_started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekSummary {
    pub week_start: DateTime<Utc>,
    pub runs: u64,
    pub failure_rate: Option<f64>,
    pub duration_p50_secs: Option<f64>,
    pub duration_p95_secs: Option<f64>,
    pub cost_per_run_p50_usd: Option<f64>,
    pub empty_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertState {
    pub first_seen_at: DateTime<Utc>,
    pub last_alerted_at: DateTime<Utc>,
    pub effect: f64,
}

// ---------------------------------------------------------------- analysis

/// The build comparison applies when the newest build took over in the current week and
/// both it and the build before it have enough runs.
struct BuildSwitch {
    new: u16,
    old: u16,
    since: DateTime<Utc>,
}

fn build_switch(series: &RunSeries, points: &[RunPoint]) -> Option<BuildSwitch> {
    // First use of each build, in time order (points are oldest first).
    let mut first: Vec<(u16, u32)> = Vec::new();
    for p in points.iter().filter(|p| p.build != u16::MAX) {
        if !first.iter().any(|(b, _)| *b == p.build) {
            first.push((p.build, p.t));
        }
    }
    let [.., (old, _), (new, t)] = first[..] else {
        return None;
    };
    let since = series.windows.range_start() + Duration::seconds(t as i64);
    (since >= series.windows.current_start()).then_some(BuildSwitch { new, old, since })
}

fn decided(s: JobStatus) -> bool {
    matches!(
        s,
        JobStatus::Succeeded | JobStatus::Failed | JobStatus::TimedOut
    )
}

fn failed(s: JobStatus) -> bool {
    matches!(s, JobStatus::Failed | JobStatus::TimedOut)
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Newcombe's hybrid score interval for the difference of two rates, from Wilson intervals.
fn rate_difference_interval(k1: u64, n1: u64, k0: u64, n0: u64) -> (f64, f64) {
    let (p1, p0) = (k1 as f64 / n1 as f64, k0 as f64 / n0 as f64);
    let (l1, u1) = wilson_interval(k1, n1, 1.96);
    let (l0, u0) = wilson_interval(k0, n0, 1.96);
    let d = p1 - p0;
    (
        d - ((p1 - l1).powi(2) + (u0 - p0).powi(2)).sqrt(),
        d + ((u1 - p1).powi(2) + (p0 - l0).powi(2)).sqrt(),
    )
}

/// Fills a rate comparison (failures, empty runs): counts, rates, interval, exact p-value,
/// and the practical gate (at least `min_increase` points more, or a doubling).
fn rate_test(
    m: &mut MetricReport,
    (k1, n1): (u64, u64),
    (k0, n0): (u64, u64),
    cfg: &QualityConfig,
) {
    m.n_current = n1;
    m.n_baseline = n0;
    if n1 > 0 {
        m.current = Some(round4(k1 as f64 / n1 as f64));
    }
    if n0 > 0 {
        m.baseline = Some(round4(k0 as f64 / n0 as f64));
    }
    if n1 < cfg.min_runs || n0 < cfg.min_runs {
        m.status = MetricStatus::NotEnoughRuns;
        m.note = Some(format!(
            "not enough runs: {n1} and {n0}, {} needed on each side",
            cfg.min_runs
        ));
        return;
    }
    m.status = MetricStatus::Tested;
    let (p1, p0) = (k1 as f64 / n1 as f64, k0 as f64 / n0 as f64);
    let (lo, hi) = rate_difference_interval(k1, n1, k0, n0);
    m.effect = Some(round4(p1 - p0));
    m.effect_low = Some(round4(lo));
    m.effect_high = Some(round4(hi));
    m.p_value = Some(fisher_exact_greater(k1, n1, k0, n0));
    m.test = Some("fisher-exact-one-sided");
    m.practical = p1 - p0 >= cfg.min_rate_increase.max(p0);
}

/// Fills a continuous comparison on the log scale: medians, p95, one-sided Mann–Whitney, and
/// the Hodges–Lehmann shift as a relative change with its 95 % interval.
fn shift_test(m: &mut MetricReport, current: &[f64], baseline: &[f64], cfg: &QualityConfig) {
    m.n_current = current.len() as u64;
    m.n_baseline = baseline.len() as u64;
    m.current = median(current).map(round4);
    m.baseline = median(baseline).map(round4);
    m.current_p95 = quantile_r8(current, 0.95).map(round4);
    m.baseline_p95 = quantile_r8(baseline, 0.95).map(round4);
    if m.n_current < cfg.min_runs || m.n_baseline < cfg.min_runs {
        m.status = MetricStatus::NotEnoughRuns;
        m.note = Some(format!(
            "not enough successful runs: {} and {}, {} needed on each side",
            m.n_current, m.n_baseline, cfg.min_runs
        ));
        return;
    }
    let log = |v: &[f64]| v.iter().map(|x| x.ln()).collect::<Vec<f64>>();
    let (x, y) = (log(current), log(baseline));
    let (Some(mw), Some(hl)) = (mann_whitney(&x, &y), hodges_lehmann(&x, &y, 0.95)) else {
        m.status = MetricStatus::NotApplicable;
        return;
    };
    m.status = MetricStatus::Tested;
    m.p_value = Some(mw.p_greater);
    m.test = Some(if mw.exact {
        "mann-whitney-exact-one-sided"
    } else {
        "mann-whitney-asymptotic-one-sided"
    });
    let rel = |v: f64| round4(v.exp() - 1.0);
    m.effect = Some(rel(hl.shift));
    m.effect_low = Some(rel(hl.low));
    m.effect_high = Some(rel(hl.high));
    m.practical = hl.shift.exp() - 1.0 >= cfg.min_relative_change;
}

struct Prior {
    failure_rate: f64,
}

fn analyze_actor(
    cfg: &QualityConfig,
    a: &QualityActorEvidence,
    prior: &Prior,
    previous: Option<&ActorState>,
) -> ActorQuality {
    let series = &a.series;
    let w = series.windows;
    let mut points = series.points.clone();
    points.reverse(); // oldest first
    let at = |p: &RunPoint| series.time(p);
    let current_start = w.current_start();
    let switch = build_switch(series, &points);
    let build_name = |b: u16| series.builds.get(b as usize).cloned().unwrap_or_default();

    let mut runs = StatusCounts::default();
    let mut week = StatusCounts::default();
    let base_days = w.baseline_days as usize;
    for (i, d) in series.daily.iter().enumerate() {
        runs.merge(d);
        if i >= base_days {
            week.merge(d);
        }
    }
    let baseline_counts = {
        let mut b = StatusCounts::default();
        for d in &series.daily[..base_days.min(series.daily.len())] {
            b.merge(d);
        }
        b
    };
    let labels = |m: &mut MetricReport, comparison: &'static str| {
        m.comparison = Some(comparison);
        match (comparison, &switch) {
            ("build", Some(s)) => {
                m.current_label = format!("build {}", build_name(s.new));
                m.baseline_label = format!("build {}", build_name(s.old));
            }
            _ => {
                m.current_label = "this week".into();
                m.baseline_label = format!("the {} days before", w.baseline_days);
            }
        }
    };
    let build_cause = |s: &BuildSwitch| Cause::Build {
        build_number: build_name(s.new),
        since: s.since,
    };
    // The newest `cap` values of `f` over points that pass `keep`.
    let newest = |keep: &dyn Fn(&RunPoint) -> bool, f: &dyn Fn(&RunPoint) -> Option<f64>, cap| {
        let mut v: Vec<f64> = points
            .iter()
            .rev()
            .filter(|p| keep(p))
            .filter_map(f)
            .take(cap)
            .collect();
        v.reverse();
        v
    };

    // --- failure rate
    let mut failure = MetricReport::new("failureRate");
    let count_rate = |keep: &dyn Fn(&RunPoint) -> bool| {
        let arm: Vec<&RunPoint> = points
            .iter()
            .rev()
            .filter(|p| decided(p.status) && keep(p))
            .take(BUILD_ARM_CAP)
            .collect();
        (
            arm.iter().filter(|p| failed(p.status)).count() as u64,
            arm.len() as u64,
        )
    };
    let build_arms = switch.as_ref().map(|s| {
        (
            count_rate(&|p: &RunPoint| p.build == s.new),
            count_rate(&|p: &RunPoint| p.build == s.old),
        )
    });
    match (&switch, build_arms) {
        (Some(s), Some((new, old))) if new.1 >= cfg.min_runs && old.1 >= cfg.min_runs => {
            labels(&mut failure, "build");
            rate_test(&mut failure, new, old, cfg);
            failure.cause = Some(build_cause(s));
        }
        _ => {
            labels(&mut failure, "week");
            let base = (baseline_counts.failures(), baseline_counts.decided());
            rate_test(&mut failure, (week.failures(), week.decided()), base, cfg);
            // Two looks, Bonferroni-corrected: the week, and its last days, where a change
            // of a few days ago is not diluted by the days before it. Whether the short look
            // applies depends on run counts only, not on the outcome.
            let days = series.daily.len();
            let mut last = StatusCounts::default();
            for d in &series.daily[days.saturating_sub(SHORT_LOOK_DAYS)..] {
                last.merge(d);
            }
            let mut short = failure.clone();
            rate_test(&mut short, (last.failures(), last.decided()), base, cfg);
            if let (Some(p_week), Some(p_short)) = (failure.p_value, short.p_value) {
                if p_short < p_week {
                    short.current_label = format!("the last {SHORT_LOOK_DAYS} days");
                    failure = short;
                }
                failure.p_value = Some((2.0 * p_week.min(p_short)).min(1.0));
                failure.test = Some("fisher-exact-one-sided-bonferroni-2-looks");
            }
            let daily: Vec<(u64, u64)> = series
                .daily
                .iter()
                .map(|d| (d.failures(), d.decided()))
                .collect();
            let changes = pelt_binomial(&daily, default_binomial_penalty(daily.len()), 3);
            failure.cause = Some(match changes.last() {
                Some(&day) => {
                    let since = w.range_start() + Duration::days(day as i64);
                    localised(series, &points, since, "pelt-binomial")
                }
                None => Cause::ThisWeek,
            });
        }
    }
    if let (Some(d), Some(_)) = (failure.effect, failure.p_value) {
        let extra = d * week.decided() as f64;
        failure.extra_per_week = Some(round4(extra.max(0.0)));
        failure.impact_ok = extra >= cfg.min_extra_failed_runs_per_week;
    }

    // --- duration and cost per run, of successful runs
    let succeeded = |p: &RunPoint| p.status == JobStatus::Succeeded;
    let duration_of = |p: &RunPoint| {
        let d = p.duration as f64;
        (d.is_finite() && d > 0.0).then_some(d)
    };
    let cost_of = |p: &RunPoint| {
        let c = p.cost as f64;
        (c.is_finite() && c > 0.0).then_some(c)
    };
    let mut duration = MetricReport::new("duration");
    let mut cost = MetricReport::new("costPerRun");
    for (m, value) in [
        (
            &mut duration,
            &duration_of as &dyn Fn(&RunPoint) -> Option<f64>,
        ),
        (&mut cost, &cost_of),
    ] {
        let by_build = switch.as_ref().map(|s| {
            (
                newest(&|p| succeeded(p) && p.build == s.new, value, BUILD_ARM_CAP),
                newest(&|p| succeeded(p) && p.build == s.old, value, BUILD_ARM_CAP),
            )
        });
        match (&switch, by_build) {
            (Some(s), Some((new, old)))
                if new.len() as u64 >= cfg.min_runs && old.len() as u64 >= cfg.min_runs =>
            {
                labels(m, "build");
                shift_test(m, &new, &old, cfg);
                m.cause = Some(build_cause(s));
            }
            _ => {
                labels(m, "week");
                let cur = newest(
                    &|p| succeeded(p) && at(p) >= current_start,
                    value,
                    WEEK_ARM_CAP,
                );
                let base = newest(
                    &|p| succeeded(p) && at(p) < current_start,
                    value,
                    WEEK_ARM_CAP,
                );
                shift_test(m, &cur, &base, cfg);
                let recent: Vec<(DateTime<Utc>, f64)> = points
                    .iter()
                    .rev()
                    .filter(|p| succeeded(p))
                    .filter_map(|p| Some((at(p), value(p)?.ln())))
                    .take(CHANGEPOINT_POINTS)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let logs: Vec<f64> = recent.iter().map(|(_, v)| *v).collect();
                let min_shift = (1.0 + cfg.min_relative_change).ln();
                let change = e_divisive_t(&logs, 50, 0.001, min_shift)
                    .into_iter()
                    .rfind(|c| c.mean_after > c.mean_before);
                m.cause = Some(match change.and_then(|c| recent.get(c.index)) {
                    Some(&(since, _)) => localised(series, &points, since, "e-divisive-t"),
                    None => Cause::ThisWeek,
                });
            }
        }
    }
    let weekly_runs = week.succeeded as f64;
    if let (Some(e), Some(b)) = (duration.effect, duration.baseline) {
        // Extra run hours a week at this week's volume.
        duration.extra_per_week = Some(round4((e * b * weekly_runs / 3600.0).max(0.0)));
        duration.impact_ok = true;
    }
    if let (Some(e), Some(b)) = (cost.effect, cost.baseline) {
        let monthly = e * b * weekly_runs * DAYS_PER_MONTH / WEEK_DAYS as f64;
        cost.extra_usd_per_month = Some(round4(monthly.max(0.0)));
        cost.impact_ok = true;
    }

    // --- empty runs, from sampled details
    let mut empty = MetricReport::new("emptyRuns");
    labels(&mut empty, "week");
    let count_empty = |ds: &[RunDetail]| {
        let ok: Vec<&RunDetail> = ds
            .iter()
            .filter(|d| d.status == JobStatus::Succeeded)
            .collect();
        (
            ok.iter().filter(|d| wrote_nothing(d)).count() as u64,
            ok.len() as u64,
        )
    };
    let (k1, n1) = count_empty(&a.details_current);
    let (k0, n0) = count_empty(&a.details_baseline);
    if n1 >= cfg.min_runs && k1 == 0 {
        // The first look saw every run write: nothing more was sampled, nothing to test.
        empty.status = MetricStatus::Tested;
        empty.n_current = n1;
        empty.current = Some(0.0);
        empty.p_value = Some(1.0);
        empty.test = Some("fisher-exact-one-sided");
        empty.note = Some(format!(
            "every one of the {n1} newest successful runs sampled wrote to its dataset"
        ));
    } else if n0 >= cfg.min_runs && k0 * 2 > n0 {
        empty.status = MetricStatus::NotApplicable;
        empty.n_current = n1;
        empty.n_baseline = n0;
        empty.note = Some(format!(
            "the actor usually writes nothing: {k0} of {n0} sampled baseline runs"
        ));
    } else {
        rate_test(&mut empty, (k1, n1), (k0, n0), cfg);
        empty.impact_ok = true;
        // The build when every sampled empty run ran after the newest build took over.
        let first_empty = a
            .details_current
            .iter()
            .filter(|d| d.status == JobStatus::Succeeded && wrote_nothing(d))
            .filter_map(|d| d.started_at)
            .min();
        empty.cause = Some(match (&switch, first_empty) {
            (Some(s), Some(t)) if t >= s.since => build_cause(s),
            (_, Some(t)) => localised(series, &points, t, "first-empty-run"),
            _ => Cause::ThisWeek,
        });
    }

    // --- CUSUM over the runs since the previous snapshot (or this week)
    let p0 = shrunk_rate(
        baseline_counts.failures(),
        baseline_counts.decided(),
        prior.failure_rate,
        CUSUM_PRIOR_STRENGTH,
    );
    let chart = BernoulliCusum::calibrated(p0, cfg.cusum_arl0);
    let carried = previous
        .and_then(|s| s.cusum.as_ref())
        .filter(|c| c.last_run_started_at >= w.range_start() && c.statistic.is_finite());
    let from = carried.map_or(current_start, |c| {
        c.last_run_started_at + Duration::milliseconds(1)
    });
    let stream: Vec<&RunPoint> = points
        .iter()
        .filter(|p| decided(p.status) && at(p) >= from)
        .collect();
    let outcome = chart.run(
        carried.map_or(0.0, |c| c.statistic.max(0.0)),
        stream.iter().map(|p| failed(p.status)),
    );
    let time_of = |i: Option<usize>| i.and_then(|i| stream.get(i)).map(|p| at(p));
    let cusum = CusumReport {
        p0: round4(chart.p0),
        p1: round4(chart.p1),
        h: round4(chart.h),
        statistic: round4(outcome.statistic),
        runs: stream.len() as u64,
        carried: carried.is_some(),
        alarm_at: time_of(outcome.alarm_at),
        change_at: time_of(outcome.change_at),
        runs_to_alarm: match (outcome.alarm_at, outcome.change_at) {
            (Some(a), Some(c)) => Some(a.saturating_sub(c) as u64 + 1),
            _ => None,
        },
    };

    ActorQuality {
        actor_id: a.actor.id.clone(),
        actor_name: a.actor.full_name(),
        runs,
        runs_current_week: week,
        runs_beyond_cap: series.beyond_cap,
        failure_rate: failure,
        duration,
        cost_per_run: cost,
        empty_runs: empty,
        cusum: Some(cusum),
        signals: Vec::new(),
        last_decided_at: points.iter().rev().find(|p| decided(p.status)).map(at),
    }
}

/// A change at `since`: attributed to a build when a build took over within a day of it.
fn localised(
    series: &RunSeries,
    points: &[RunPoint],
    since: DateTime<Utc>,
    method: &'static str,
) -> Cause {
    let mut seen: BTreeSet<u16> = BTreeSet::new();
    for p in points.iter().filter(|p| p.build != u16::MAX) {
        if seen.insert(p.build) && seen.len() > 1 {
            let first = series.time(p);
            if (first - since).num_seconds().abs() <= 86_400 {
                return Cause::Build {
                    build_number: series.builds[p.build as usize].clone(),
                    since: first,
                };
            }
        }
    }
    Cause::Since { since, method }
}

struct Candidate {
    actor: usize,
    rule: &'static str,
    metric: &'static str,
}

/// Runs the analysis. `previous` is the tool's own previous SNAPSHOT, if any.
pub fn analyze(
    config: &QualityConfig,
    evidence: &QualityEvidence,
    previous: Option<&QualitySnapshot>,
) -> QualityFindings {
    let cfg = config.sanitized();
    let w = evidence.windows;
    let as_of = w.as_of;

    // The prior of the shrunk CUSUM baselines: the fleet's median baseline failure rate.
    let rates: Vec<f64> = evidence
        .actors
        .iter()
        .filter_map(|a| {
            let mut b = StatusCounts::default();
            for d in a.series.daily.iter().take(w.baseline_days as usize) {
                b.merge(d);
            }
            (b.decided() >= cfg.min_runs).then(|| b.failures() as f64 / b.decided() as f64)
        })
        .collect();
    let prior = Prior {
        failure_rate: median(&rates).unwrap_or(0.05).clamp(0.005, 0.3),
    };
    let mut reports: Vec<ActorQuality> = evidence
        .actors
        .iter()
        .map(|a| {
            let prev = previous.and_then(|s| s.actors.get(&a.actor.id));
            analyze_actor(&cfg, a, &prior, prev)
        })
        .collect();

    // Benjamini–Hochberg per family, over every actor tested in it.
    let mut families = Vec::new();
    for (idx, metric) in ["failureRate", "duration", "costPerRun", "emptyRuns"]
        .into_iter()
        .enumerate()
    {
        let tested: Vec<usize> = (0..reports.len())
            .filter(|&i| reports[i].metrics()[idx].p_value.is_some())
            .collect();
        let p: Vec<f64> = tested
            .iter()
            .map(|&i| reports[i].metrics()[idx].p_value.unwrap_or(1.0))
            .collect();
        let mut significant = 0;
        for (&i, q) in tested.iter().zip(benjamini_hochberg(&p)) {
            let Some(m) = reports[i].metrics_mut().into_iter().nth(idx) else {
                continue;
            };
            m.q_value = Some(q);
            significant += (q <= cfg.fdr_q) as usize;
            m.flagged = q <= cfg.fdr_q && m.practical && m.impact_ok;
        }
        families.push(FamilyReport {
            metric,
            tested: tested.len(),
            not_enough_runs: reports
                .iter()
                .filter(|r| r.metrics()[idx].status == MetricStatus::NotEnoughRuns)
                .count(),
            significant,
            flagged: reports.iter().filter(|r| r.metrics()[idx].flagged).count(),
            fdr_q: cfg.fdr_q,
        });
    }

    let mut candidates = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        for (m, rule) in r.metrics().into_iter().zip([
            "QM-FAILURE-RATE",
            "QM-DURATION",
            "QM-COST-PER-RUN",
            "QM-EMPTY-RUNS",
        ]) {
            // A slower run costs more on the same memory: the cost is the duration's symptom
            // and rides on its signal (the Alertmanager inhibit pattern), not a second alert.
            let symptom = m.metric == "costPerRun"
                && r.duration.flagged
                && matches!((&r.duration.cause, &m.cause), (Some(a), Some(b)) if a.same_as(b));
            if m.flagged && !symptom {
                candidates.push(Candidate {
                    actor: i,
                    rule,
                    metric: m.metric,
                });
            }
        }
    }

    let acknowledged: BTreeSet<&str> = cfg
        .acknowledged_signals
        .iter()
        .map(String::as_str)
        .collect();
    let prev_alerts = previous.map(|p| &p.alerts);
    let mut alerts: BTreeMap<String, AlertState> = BTreeMap::new();
    let mut signals: Vec<Signal> = Vec::new();
    for c in &candidates {
        let a = &evidence.actors[c.actor].actor;
        let r = &reports[c.actor];
        let m = r
            .metrics()
            .into_iter()
            .find(|m| m.metric == c.metric)
            .expect("candidate metric exists");
        let build_number = match &m.cause {
            Some(Cause::Build { build_number, .. }) => Some(build_number.clone()),
            _ => None,
        };
        let subject = Subject {
            actor_id: a.id.clone(),
            actor_name: a.full_name(),
            build_number,
        };
        let id = signal_id(TOOL, c.rule, &subject);
        let effect = m.effect.unwrap_or(0.0);
        let prev = prev_alerts.and_then(|p| p.get(&id));
        // A repeat within the re-alert period that did not grow by half is reported, not alerted.
        let repeat = prev.is_some_and(|p| {
            (as_of - p.last_alerted_at).num_days() < cfg.realert_days
                && effect < p.effect * (1.0 + cfg.realert_growth)
        });
        let first_seen_at = prev.map_or(as_of, |p| p.first_seen_at);
        alerts.insert(
            id.clone(),
            AlertState {
                first_seen_at,
                last_alerted_at: match (repeat, prev) {
                    (true, Some(p)) => p.last_alerted_at,
                    _ => as_of,
                },
                effect: match (repeat, prev) {
                    (true, Some(p)) => p.effect,
                    _ => effect,
                },
            },
        );
        let (mut severity, title, recommendation, mut impact) = describe(c.rule, m, &subject);
        let mut evidence = serde_json::to_value(m).unwrap_or(Value::Null);
        let cost = &r.cost_per_run;
        if c.rule == "QM-DURATION" && cost.flagged {
            let (cost_severity, _, _, cost_impact) = describe("QM-COST-PER-RUN", cost, &subject);
            severity = severity.max(cost_severity);
            impact.usd_per_month = cost_impact.usd_per_month;
            evidence["costPerRun"] = serde_json::to_value(cost).unwrap_or(Value::Null);
        }
        evidence["alert"] = json!(if repeat { "repeat" } else { "new" });
        // What it would alert with: the Action Plan keeps the problem at this level.
        evidence["alertSeverity"] = json!(severity);
        if let Some(prev) = prev.filter(|_| repeat) {
            evidence["lastAlertedAt"] = json!(prev.last_alerted_at);
        }
        signals.push(Signal {
            acknowledged: acknowledged.contains(id.as_str()),
            id,
            tool: TOOL.into(),
            rule: c.rule.into(),
            severity: if repeat { Severity::Info } else { severity },
            subject,
            title: if repeat {
                format!("Still: {title}")
            } else {
                title
            },
            evidence,
            impact,
            recommendation,
            console_url: format!("{}/runs", a.console_url()),
            first_seen_at,
        });
    }

    // Probes: deterministic checks, no correction needed.
    let mut probe_results = Vec::new();
    let mut probe_history: BTreeMap<String, Vec<ProbePoint>> =
        previous.map(|p| p.probes.clone()).unwrap_or_default();
    for pe in &evidence.probes {
        let key = pe
            .actor
            .as_ref()
            .map_or_else(|| pe.spec.actor.clone(), |a| a.id.clone());
        let history = probe_history.get(&key).cloned().unwrap_or_default();
        let result = probe::evaluate_probe(&pe.spec, pe.actor.as_ref(), &pe.run, &history, as_of);
        for mut s in probe::probe_signals(TOOL, &result, as_of) {
            s.acknowledged = acknowledged.contains(s.id.as_str());
            if let Some(p) = prev_alerts.and_then(|p| p.get(&s.id)) {
                s.first_seen_at = p.first_seen_at;
            }
            alerts.insert(
                s.id.clone(),
                AlertState {
                    first_seen_at: s.first_seen_at,
                    last_alerted_at: as_of,
                    effect: 1.0,
                },
            );
            signals.push(s);
        }
        probe_history.insert(key, result.history.clone());
        probe_results.push(result);
    }
    rank(&mut signals);
    for r in reports.iter_mut() {
        r.signals = signals
            .iter()
            .filter(|s| s.subject.actor_id == r.actor_id)
            .map(|s| s.id.clone())
            .collect();
    }
    let digest = digest(&reports, &signals);
    let rows = reports.iter().map(|r| actor_row(r, &digest)).collect();
    let snapshot = next_snapshot(&cfg, evidence, &reports, previous, alerts, probe_history);

    let (open, acked): (Vec<Signal>, Vec<Signal>) =
        signals.into_iter().partition(|s| !s.acknowledged);
    let (decision, reason_codes) = decide(&open);
    let summary = summary(&reports, &digest, &families);
    let output = QualityOutput {
        head: DecisionHead::new(TOOL, decision, reason_codes, summary),
        window: QualityWindowOut {
            as_of,
            current_start: w.current_start(),
            baseline_start: w.range_start(),
            baseline_days: w.baseline_days,
        },
        config: cfg,
        families,
        fleet_weeks: fleet_weeks(evidence),
        digest,
        actors: reports,
        probes: probe_results,
        signals: open,
        acknowledged: acked,
    };
    QualityFindings {
        output,
        rows,
        snapshot,
    }
}

fn pct(x: f64) -> String {
    format!("{:+.0} %", x * 100.0)
}

fn describe(rule: &str, m: &MetricReport, subject: &Subject) -> (Severity, String, String, Impact) {
    let name = &subject.actor_name;
    let effect = m.effect.unwrap_or(0.0);
    let at = match &m.cause {
        Some(c @ Cause::Build { .. }) => format!(" on {}", c.key()),
        Some(c @ Cause::Since { .. }) => format!(" {}", c.key()),
        _ => " this week".into(),
    };
    let fix_build = |what: &str| {
        match &m.cause {
        Some(Cause::Build { build_number, .. }) => format!(
            "Compare build {build_number} with the build before it ({what}); roll the `latest` tag back to the previous build while you fix it."
        ),
        _ => format!("No new build explains it: check the target website, proxies and the input mix of recent runs ({what})."),
    }
    };
    match rule {
        "QM-FAILURE-RATE" => {
            let extra = m.extra_per_week.unwrap_or(0.0);
            let severity = if effect >= 0.15 || extra >= 10.0 {
                Severity::High
            } else {
                Severity::Medium
            };
            (
                severity,
                format!(
                    "{name}: failure rate {:.0} % → {:.0} %{at}",
                    m.baseline.unwrap_or(0.0) * 100.0,
                    m.current.unwrap_or(0.0) * 100.0
                ),
                fix_build("open the newest failed runs' logs"),
                Impact {
                    failed_runs_per_week: Some(extra),
                    ..Default::default()
                },
            )
        }
        "QM-DURATION" => (
            if effect >= 0.5 {
                Severity::Medium
            } else {
                Severity::Low
            },
            format!("{name}: successful runs {} slower{at}", pct(effect)),
            fix_build("run times per request and retries"),
            Impact::default(),
        ),
        "QM-COST-PER-RUN" => {
            let usd = m.extra_usd_per_month.unwrap_or(0.0);
            (
                if usd >= 50.0 {
                    Severity::High
                } else if usd >= 5.0 {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                format!("{name}: cost per successful run {}{at}", pct(effect)),
                fix_build("memory, run time and pay-per-event charges"),
                Impact {
                    usd_per_month: Some(round4(usd)),
                    ..Default::default()
                },
            )
        }
        _ => (
            Severity::High,
            format!(
                "{name}: {:.0} % of successful runs wrote nothing{at} (usually {:.0} %)",
                m.current.unwrap_or(0.0) * 100.0,
                m.baseline.unwrap_or(0.0) * 100.0
            ),
            fix_build("a run that succeeds with an empty dataset usually means the page layout or a selector changed"),
            Impact::default(),
        ),
    }
}

/// One item per actor and root cause: causes within a day of each other are one cause.
fn digest(reports: &[ActorQuality], signals: &[Signal]) -> Vec<DigestItem> {
    let mut items: Vec<DigestItem> = Vec::new();
    for r in reports {
        for m in r.metrics().into_iter().filter(|m| m.flagged) {
            let cause = m.cause.clone().unwrap_or(Cause::ThisWeek);
            let sigs: Vec<&Signal> = signals
                .iter()
                .filter(|s| {
                    s.subject.actor_id == r.actor_id
                        && s.evidence["metric"].as_str() == Some(m.metric)
                })
                .collect();
            let same = items
                .iter_mut()
                .find(|it| it.actor_id == r.actor_id && it.root.same_as(&cause));
            let item = match same {
                Some(it) => it,
                None => {
                    items.push(DigestItem {
                        root: cause.clone(),
                        actor_id: r.actor_id.clone(),
                        actor_name: r.actor_name.clone(),
                        cause: cause.key(),
                        since: cause.since(),
                        severity: Severity::Info,
                        metrics: Vec::new(),
                        signals: Vec::new(),
                        alerting: false,
                    });
                    items.last_mut().expect("just pushed")
                }
            };
            item.metrics.push(m.metric);
            for s in sigs {
                item.severity = item.severity.max(s.severity);
                item.alerting |= s.evidence["alert"] == "new" && !s.acknowledged;
                item.signals.push(s.id.clone());
            }
        }
    }
    items.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.actor_name.cmp(&b.actor_name))
            .then(a.cause.cmp(&b.cause))
    });
    items
}

fn verdict(r: &ActorQuality) -> &'static str {
    if r.metrics().iter().any(|m| m.flagged) {
        "regressed"
    } else if r.metrics().iter().any(|m| m.status == MetricStatus::Tested) {
        "ok"
    } else {
        "not enough runs"
    }
}

/// One dataset row per actor: flat, for Console's table view.
fn actor_row(r: &ActorQuality, digest: &[DigestItem]) -> Value {
    let causes: Vec<&str> = digest
        .iter()
        .filter(|d| d.actor_id == r.actor_id)
        .map(|d| d.cause.as_str())
        .collect();
    json!({
        "actorId": r.actor_id,
        "actorName": r.actor_name,
        "verdict": verdict(r),
        "cause": causes.join("; "),
        "runsThisWeek": r.runs_current_week.total(),
        "failureRateBaseline": r.failure_rate.baseline,
        "failureRateCurrent": r.failure_rate.current,
        "failureRateQ": r.failure_rate.q_value,
        "durationP50Baseline": r.duration.baseline,
        "durationP50Current": r.duration.current,
        "durationChange": r.duration.effect,
        "costPerRunChange": r.cost_per_run.effect,
        "emptyShareCurrent": r.empty_runs.current,
        "signals": r.signals.len(),
    })
}

fn summary(reports: &[ActorQuality], digest: &[DigestItem], families: &[FamilyReport]) -> String {
    let tested = families.iter().map(|f| f.tested).max().unwrap_or(0);
    let alerting = digest.iter().filter(|d| d.alerting).count();
    let regressed: BTreeSet<&str> = digest.iter().map(|d| d.actor_id.as_str()).collect();
    let mut s = format!(
        "{} actors, {tested} with enough runs to test: {} regressed ({} alerting",
        reports.len(),
        regressed.len(),
        alerting
    );
    s.push_str(&format!(
        "), false discovery rate {} per metric",
        families.first().map_or(0.05, |f| f.fdr_q)
    ));
    if let Some(top) = digest.first() {
        s.push_str(&format!(
            "; first: {} ({}, {})",
            top.actor_name,
            top.metrics.join(", "),
            top.cause
        ));
    }
    s
}

/// Every actor's daily counts summed into whole weeks ending at `as_of`; a partial week at the
/// start of the range (a baseline that is not a whole number of weeks) is left out, so every
/// bar covers seven days.
fn fleet_weeks(evidence: &QualityEvidence) -> Vec<FleetWeek> {
    let w = evidence.windows;
    let days = w.days();
    let weeks = days / WEEK_DAYS as usize;
    let skip = days - weeks * WEEK_DAYS as usize;
    (0..weeks)
        .map(|k| {
            let mut c = StatusCounts::default();
            let from = skip + k * WEEK_DAYS as usize;
            for a in &evidence.actors {
                for d in a.series.daily.iter().skip(from).take(WEEK_DAYS as usize) {
                    c.merge(d);
                }
            }
            FleetWeek {
                week_start: w.range_start() + Duration::days(from as i64),
                runs: c.total(),
                decided: c.decided(),
                failed: c.failures(),
                failure_rate: (c.decided() > 0)
                    .then(|| round4(c.failures() as f64 / c.decided() as f64)),
            }
        })
        .collect()
}

fn next_snapshot(
    cfg: &QualityConfig,
    evidence: &QualityEvidence,
    reports: &[ActorQuality],
    previous: Option<&QualitySnapshot>,
    mut alerts: BTreeMap<String, AlertState>,
    probes: BTreeMap<String, Vec<ProbePoint>>,
) -> QualitySnapshot {
    let w = evidence.windows;
    // Alerts not seen this time are kept until their re-alert period ends.
    if let Some(p) = previous {
        for (id, a) in &p.alerts {
            if !alerts.contains_key(id)
                && (w.as_of - a.last_alerted_at).num_days() < cfg.realert_days
            {
                alerts.insert(id.clone(), a.clone());
            }
        }
    }
    let mut actors = BTreeMap::new();
    for (a, r) in evidence.actors.iter().zip(reports) {
        let prev = previous.and_then(|p| p.actors.get(&a.actor.id));
        let mut weeks: Vec<WeekSummary> = prev
            .map(|s| s.weeks.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.week_start <= w.current_start() - Duration::days(WEEK_DAYS))
            .collect();
        let week = r.runs_current_week;
        let current = |m: &MetricReport| {
            (m.comparison == Some("week"))
                .then_some(m.current)
                .flatten()
        };
        weeks.push(WeekSummary {
            week_start: w.current_start(),
            runs: week.total(),
            failure_rate: (week.decided() > 0)
                .then(|| round4(week.failures() as f64 / week.decided() as f64)),
            duration_p50_secs: current(&r.duration),
            duration_p95_secs: (r.duration.comparison == Some("week"))
                .then_some(r.duration.current_p95)
                .flatten(),
            cost_per_run_p50_usd: current(&r.cost_per_run),
            empty_share: r.empty_runs.current,
        });
        let skip = weeks.len().saturating_sub(MAX_WEEKS);
        weeks.drain(..skip);
        let cusum = match (&r.cusum, r.last_decided_at) {
            (Some(c), Some(t)) => Some(CusumState {
                statistic: c.statistic,
                last_run_started_at: t,
            }),
            _ => prev.and_then(|s| s.cusum.clone()),
        };
        actors.insert(a.actor.id.clone(), ActorState { cusum, weeks });
    }
    QualitySnapshot {
        schema_version: crate::signal::SCHEMA_VERSION,
        tool: TOOL.into(),
        as_of: Some(w.as_of),
        actors,
        alerts,
        probes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    fn as_of() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    fn windows() -> QualityWindows {
        QualityWindows::new(as_of(), 28)
    }

    /// A change planted in a simulated actor.
    #[derive(Clone, Copy)]
    enum Plant {
        None,
        /// Failure rate + delta from `days_ago`, on a new build when `build`.
        Failures {
            delta: f64,
            days_ago: f64,
            build: bool,
        },
        /// Successful runs' duration × factor.
        Duration {
            factor: f64,
            days_ago: f64,
            build: bool,
        },
        /// This share of successful runs writes nothing.
        Empty {
            share: f64,
            days_ago: f64,
        },
    }

    struct Sim {
        runs_per_day: f64,
        fail: f64,
        sigma: f64,
        plant: Plant,
    }

    fn normal(rng: &mut StdRng) -> f64 {
        // Box–Muller: enough for test data.
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// One actor's evidence, generated as the runtime would collect it: run list items
    /// newest first, then the detail samples (a first look of 20, the rest on an empty run).
    fn simulate(rng: &mut StdRng, id: &str, sim: &Sim) -> QualityActorEvidence {
        let w = windows();
        let (change_ago, by_build) = match sim.plant {
            Plant::Failures {
                days_ago, build, ..
            }
            | Plant::Duration {
                days_ago, build, ..
            } => (Some(days_ago), build),
            Plant::Empty { days_ago, .. } => (Some(days_ago), false),
            Plant::None => (None, false),
        };
        let since = change_ago.map(|d| as_of() - Duration::seconds((d * 86_400.0) as i64));
        let mut runs: Vec<(RunRecord, bool)> = Vec::new();
        let span = w.days() as f64 * 86_400.0;
        let n = (sim.runs_per_day * w.days() as f64) as usize;
        for i in 0..n {
            let start = w.range_start() + Duration::seconds((rng.random::<f64>() * span) as i64);
            let after = since.is_some_and(|s| start >= s);
            let fail = match sim.plant {
                Plant::Failures { delta, .. } if after => sim.fail + delta,
                _ => sim.fail,
            };
            let status = if rng.random::<f64>() < fail {
                JobStatus::Failed
            } else {
                JobStatus::Succeeded
            };
            let factor = match sim.plant {
                Plant::Duration { factor, .. } if after => factor,
                _ => 1.0,
            };
            let secs = 120.0 * factor * (sim.sigma * normal(rng)).exp();
            let empty = matches!(sim.plant, Plant::Empty { share, .. } if after && rng.random::<f64>() < share);
            runs.push((
                RunRecord {
                    id: format!("{id}-r{i}"),
                    status,
                    started_at: start,
                    finished_at: Some(start + Duration::milliseconds((secs * 1000.0) as i64)),
                    build_number: Some(if after && by_build { "0.1.2" } else { "0.1.1" }.into()),
                    origin: Some("API".into()),
                    usage_total_usd: secs / 3600.0 * 0.4,
                },
                empty,
            ));
        }
        runs.sort_by_key(|r| std::cmp::Reverse(r.0.started_at));
        let mut series = RunSeries::new(w, 60);
        for (r, _) in &runs {
            series.add(r);
        }
        let detail = |id: &String| {
            let (r, empty) = runs.iter().find(|(r, _)| &r.id == id).unwrap();
            RunDetail {
                id: id.clone(),
                status: r.status,
                memory_mbytes: Some(1024),
                timeout_secs: Some(3600),
                mem_max_bytes: None,
                run_time_secs: None,
                compute_units: None,
                dataset_writes: Some(if *empty { 0.0 } else { 120.0 }),
                started_at: Some(r.started_at),
                finished_at: r.finished_at,
                exit_code: Some(0),
                status_message: None,
                usage_total_usd: Some(r.usage_total_usd),
                charged_event_counts: Default::default(),
            }
        };
        let first = EMPTY_FIRST_LOOK.min(series.sample_current.len());
        let mut details_current: Vec<RunDetail> =
            series.sample_current[..first].iter().map(detail).collect();
        let mut details_baseline = Vec::new();
        if needs_full_empty_sample(&details_current) {
            details_current.extend(series.sample_current[first..].iter().map(detail));
            details_baseline = series.sample_baseline.iter().map(detail).collect();
        }
        QualityActorEvidence {
            actor: ActorInfo {
                id: id.into(),
                name: id.into(),
                username: Some("dev".into()),
                title: None,
                created_at: None,
                default_memory_mbytes: Some(1024),
                default_timeout_secs: Some(3600),
                latest_build_id: None,
                users_30_days: None,
            },
            series,
            details_current,
            details_baseline,
        }
    }

    fn evidence(actors: Vec<QualityActorEvidence>) -> QualityEvidence {
        QualityEvidence {
            windows: windows(),
            actors,
            probes: Vec::new(),
        }
    }

    fn healthy(rng: &mut StdRng, runs_per_day: f64) -> Sim {
        Sim {
            runs_per_day,
            fail: rng.random::<f64>() * 0.06,
            sigma: 0.25,
            plant: Plant::None,
        }
    }

    #[test]
    fn a_build_that_raises_failures_is_named_and_tested_against_the_build_before() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut actors: Vec<QualityActorEvidence> = (0..20)
            .map(|i| {
                let sim = healthy(&mut rng, 8.0);
                simulate(&mut rng, &format!("a{i}"), &sim)
            })
            .collect();
        let sim = Sim {
            runs_per_day: 8.0,
            fail: 0.03,
            sigma: 0.25,
            plant: Plant::Failures {
                delta: 0.3,
                days_ago: 4.0,
                build: true,
            },
        };
        actors.push(simulate(&mut rng, "broken", &sim));
        let f = analyze(&QualityConfig::default(), &evidence(actors), None);
        let broken = f
            .output
            .actors
            .iter()
            .find(|a| a.actor_id == "broken")
            .unwrap();
        let m = &broken.failure_rate;
        assert_eq!(m.comparison, Some("build"));
        assert!(m.flagged, "{m:?}");
        assert_eq!(m.current_label, "build 0.1.2");
        let signal = &f.output.signals[0];
        assert_eq!(signal.rule, "QM-FAILURE-RATE");
        assert_eq!(signal.subject.build_number.as_deref(), Some("0.1.2"));
        assert_eq!(signal.severity, Severity::High);
        assert!(broken.cusum.as_ref().unwrap().alarm_at.is_some());
        // The evidence carries the statistics a reader needs.
        for key in [
            "pValue",
            "qValue",
            "effect",
            "effectLow",
            "effectHigh",
            "nCurrent",
            "nBaseline",
        ] {
            assert!(signal.evidence.get(key).is_some(), "{key}");
        }
        assert_eq!(f.output.signals.len(), 1, "{:#?}", f.output.signals);
    }

    #[test]
    fn fleet_weeks_sum_every_run_into_whole_weeks_ending_now() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut actors: Vec<QualityActorEvidence> = (0..5)
            .map(|i| {
                let sim = healthy(&mut rng, 6.0);
                simulate(&mut rng, &format!("a{i}"), &sim)
            })
            .collect();
        let sim = Sim {
            runs_per_day: 20.0,
            fail: 0.02,
            sigma: 0.25,
            plant: Plant::Failures {
                delta: 0.5,
                days_ago: 7.0,
                build: false,
            },
        };
        actors.push(simulate(&mut rng, "broken", &sim));
        let in_range: u64 = actors
            .iter()
            .flat_map(|a| &a.series.daily)
            .map(StatusCounts::total)
            .sum();
        let f = analyze(&QualityConfig::default(), &evidence(actors.clone()), None);
        let weeks = &f.output.fleet_weeks;
        assert_eq!(weeks.len(), 5, "28 baseline days and this week");
        assert_eq!(weeks[0].week_start, windows().range_start());
        assert_eq!(weeks[4].week_start, windows().current_start());
        assert_eq!(weeks.iter().map(|w| w.runs).sum::<u64>(), in_range);
        let rate = |w: &FleetWeek| w.failure_rate.unwrap();
        assert!(rate(&weeks[4]) > 2.0 * rate(&weeks[3]), "{weeks:?}");

        // A baseline of 10 days: 17 days hold two whole weeks; the 3 oldest days are left out.
        let mut e = evidence(actors);
        e.windows = QualityWindows::new(as_of(), 10);
        let cfg = QualityConfig {
            baseline_days: 10,
            ..QualityConfig::default()
        };
        let weeks = analyze(&cfg, &e, None).output.fleet_weeks;
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[1].week_start, e.windows.current_start());
        assert_eq!(
            weeks[0].week_start,
            e.windows.range_start() + Duration::days(3)
        );

        // No actors: the weeks are there, without a rate.
        let empty = analyze(&QualityConfig::default(), &evidence(Vec::new()), None);
        assert!(empty
            .output
            .fleet_weeks
            .iter()
            .all(|w| w.runs == 0 && w.failure_rate.is_none()));
    }

    #[test]
    fn too_few_runs_say_so_and_stay_out_of_the_family() {
        let mut rng = StdRng::seed_from_u64(2);
        let sim = Sim {
            runs_per_day: 0.2,
            fail: 0.5,
            sigma: 0.25,
            plant: Plant::None,
        };
        let f = analyze(
            &QualityConfig::default(),
            &evidence(vec![simulate(&mut rng, "quiet", &sim)]),
            None,
        );
        let a = &f.output.actors[0];
        assert_eq!(a.failure_rate.status, MetricStatus::NotEnoughRuns);
        assert!(a
            .failure_rate
            .note
            .as_deref()
            .unwrap()
            .contains("not enough runs"));
        assert!(a.failure_rate.p_value.is_none());
        assert_eq!(f.output.families[0].tested, 0);
        assert_eq!(f.output.families[0].not_enough_runs, 1);
        assert_eq!(f.rows[0]["verdict"], "not enough runs");
    }

    #[test]
    fn runs_that_succeed_but_write_nothing_are_found_from_run_details() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut actors: Vec<QualityActorEvidence> = (0..10)
            .map(|i| {
                let sim = healthy(&mut rng, 8.0);
                simulate(&mut rng, &format!("a{i}"), &sim)
            })
            .collect();
        let sim = Sim {
            runs_per_day: 8.0,
            fail: 0.02,
            sigma: 0.25,
            plant: Plant::Empty {
                share: 0.5,
                days_ago: 5.0,
            },
        };
        actors.push(simulate(&mut rng, "hollow", &sim));
        let f = analyze(&QualityConfig::default(), &evidence(actors), None);
        let rules: Vec<(&str, &str)> = f
            .output
            .signals
            .iter()
            .map(|s| (s.subject.actor_id.as_str(), s.rule.as_str()))
            .collect();
        assert_eq!(rules, vec![("hollow", "QM-EMPTY-RUNS")]);
        // Healthy actors cost a first look of twenty details, not the full sample.
        let a0 = &f.output.actors[0].empty_runs;
        assert_eq!(a0.n_current, EMPTY_FIRST_LOOK as u64);
    }

    #[test]
    fn a_repeat_does_not_alert_again_unless_it_worsens_by_half() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut actors: Vec<QualityActorEvidence> = (0..10)
            .map(|i| {
                let sim = healthy(&mut rng, 8.0);
                simulate(&mut rng, &format!("a{i}"), &sim)
            })
            .collect();
        let sim = Sim {
            runs_per_day: 10.0,
            fail: 0.02,
            sigma: 0.25,
            plant: Plant::Duration {
                factor: 1.6,
                days_ago: 5.0,
                build: false,
            },
        };
        actors.push(simulate(&mut rng, "slow", &sim));
        let ev = evidence(actors);
        let cfg = QualityConfig::default();
        let first = analyze(&cfg, &ev, None);
        let s = first
            .output
            .signals
            .iter()
            .find(|s| s.rule == "QM-DURATION")
            .expect("the slowdown alerts");
        assert_eq!(s.evidence["alert"], "new");
        let second = analyze(&cfg, &ev, Some(&first.snapshot));
        let again = second
            .output
            .signals
            .iter()
            .find(|s2| s2.id == s.id)
            .unwrap();
        assert_eq!(again.severity, Severity::Info);
        assert_eq!(again.evidence["alert"], "repeat");
        assert_eq!(second.output.head.decision, crate::signal::Decision::Ignore);
        // Worse by more than half: alerts again.
        let mut worse = first.snapshot.clone();
        for a in worse.alerts.values_mut() {
            a.effect /= 2.0;
        }
        let third = analyze(&cfg, &ev, Some(&worse));
        assert_eq!(
            third
                .output
                .signals
                .iter()
                .find(|s3| s3.id == s.id)
                .unwrap()
                .evidence["alert"],
            "new"
        );
        // After the re-alert period: alerts again.
        let later = QualityConfig {
            realert_days: 0,
            ..QualityConfig::default()
        };
        let fourth = analyze(&later, &ev, Some(&first.snapshot));
        assert_ne!(
            fourth
                .output
                .signals
                .iter()
                .find(|s4| s4.id == s.id)
                .unwrap()
                .severity,
            Severity::Info
        );
        // Acknowledged: listed apart, out of the decision.
        let acked = QualityConfig {
            acknowledged_signals: vec![s.id.clone()],
            ..QualityConfig::default()
        };
        let fifth = analyze(&acked, &ev, None);
        assert!(fifth.output.acknowledged.iter().any(|a| a.id == s.id));
        assert!(fifth.output.signals.iter().all(|o| o.id != s.id));
    }

    /// Seeded no-change fleets: how often does anything alert? BH at q = 0.05 bounds the
    /// chance of any false discovery per family and fleet by 5 % under the global null.
    #[test]
    fn calibration_no_change_fleets_rarely_alert() {
        let (fleets, actors) = (20, 60);
        let mut false_signals = 0;
        let mut fleets_with_any = 0;
        for seed in 0..fleets {
            let mut rng = StdRng::seed_from_u64(1000 + seed);
            let ev = evidence(
                (0..actors)
                    .map(|i| {
                        let rate = 2.0 + rng.random::<f64>() * 8.0;
                        let mut sim = healthy(&mut rng, rate);
                        // Some noisy ones: high failure rates, wide durations.
                        if i % 5 == 0 {
                            sim.fail = 0.1 + rng.random::<f64>() * 0.1;
                            sim.sigma = 0.6;
                        }
                        simulate(&mut rng, &format!("a{i}"), &sim)
                    })
                    .collect(),
            );
            let f = analyze(&QualityConfig::default(), &ev, None);
            false_signals += f.output.signals.len();
            fleets_with_any += (!f.output.signals.is_empty()) as usize;
        }
        let tests = fleets as usize * actors * 4;
        println!(
            "calibration: {false_signals} false signals in {fleets} no-change fleets of {actors} actors \
             ({tests} actor-metric tests, {:.4} per test); fleets with any: {fleets_with_any}",
            false_signals as f64 / tests as f64
        );
        // Four families × 5 % per fleet under the global null, and the practical gates on top.
        assert!(
            fleets_with_any <= 4,
            "{fleets_with_any} of {fleets} fleets alerted"
        );
    }

    /// Planted step changes of several sizes among noise: recall per size, false signals, and
    /// the CUSUM's detection delay in runs.
    #[test]
    fn power_and_delay_on_planted_changes() {
        let failures = |delta, build| Plant::Failures {
            delta,
            days_ago: 5.0,
            build,
        };
        let duration = |factor, build| Plant::Duration {
            factor,
            days_ago: 5.0,
            build,
        };
        let plants = [
            ("failures +5 pp", failures(0.05, false), 0),
            ("failures +15 pp", failures(0.15, false), 2),
            ("failures +15 pp, build", failures(0.15, true), 2),
            ("failures +30 pp", failures(0.30, false), 5),
            ("failures +30 pp, build", failures(0.30, true), 5),
            ("duration ×1.2", duration(1.2, false), 3),
            ("duration ×1.5", duration(1.5, false), 5),
            ("duration ×1.5, build", duration(1.5, true), 5),
            (
                "empty 30 %",
                Plant::Empty {
                    share: 0.3,
                    days_ago: 5.0,
                },
                2,
            ),
            (
                "empty 60 %",
                Plant::Empty {
                    share: 0.6,
                    days_ago: 5.0,
                },
                5,
            ),
        ];
        let per_size = 5;
        let mut rng = StdRng::seed_from_u64(77);
        let mut sims: Vec<(String, Option<usize>, Sim)> = Vec::new();
        for (k, (_, plant, _)) in plants.iter().enumerate() {
            for j in 0..per_size {
                let mut sim = healthy(&mut rng, 10.0);
                sim.fail = 0.03;
                sim.plant = *plant;
                sims.push((format!("p{k}-{j}"), Some(k), sim));
            }
        }
        for i in 0..100 {
            let rate = 2.0 + rng.random::<f64>() * 8.0;
            let sim = healthy(&mut rng, rate);
            sims.push((format!("n{i}"), None, sim));
        }
        let ev = evidence(
            sims.iter()
                .map(|(id, _, sim)| simulate(&mut rng, id, sim))
                .collect(),
        );
        let f = analyze(&QualityConfig::default(), &ev, None);
        let rule_of = |plant: Plant| match plant {
            Plant::Failures { .. } => "QM-FAILURE-RATE",
            Plant::Duration { .. } => "QM-DURATION",
            Plant::Empty { .. } => "QM-EMPTY-RUNS",
            Plant::None => "",
        };
        let mut found = vec![0; plants.len()];
        let mut false_signals = Vec::new();
        for s in &f.output.signals {
            let k = sims
                .iter()
                .find(|(id, _, _)| *id == s.subject.actor_id)
                .and_then(|(_, k, _)| *k);
            match k {
                Some(k) if rule_of(plants[k].1) == s.rule => found[k] += 1,
                _ => false_signals.push((s.subject.actor_id.clone(), s.rule.clone())),
            }
        }
        let mut delays: Vec<u64> = f
            .output
            .actors
            .iter()
            .zip(&sims)
            .filter(|(_, (_, k, _))| k.is_some_and(|k| rule_of(plants[k].1) == "QM-FAILURE-RATE"))
            .filter_map(|(a, _)| a.cusum.as_ref().and_then(|c| c.runs_to_alarm))
            .collect();
        delays.sort_unstable();
        for ((name, _, _), n) in plants.iter().zip(&found) {
            println!("power: {name}: {n} of {per_size}");
        }
        println!(
            "false signals among 100 noise actors: {false_signals:?}; CUSUM delays (runs) {delays:?}, median {:?}",
            delays.get(delays.len() / 2)
        );
        assert!(false_signals.len() <= 1);
        for ((name, _, at_least), n) in plants.iter().zip(&found) {
            assert!(n >= at_least, "{name}: {n} of {per_size}");
        }
    }

    #[test]
    fn odd_evidence_never_panics_and_the_snapshot_round_trips() {
        let w = windows();
        let mut series = RunSeries::new(w, 60);
        let t = w.current_start() + Duration::hours(1);
        for (i, (status, cost, finished)) in [
            (JobStatus::Succeeded, f64::NAN, None),
            (JobStatus::Failed, -1.0, Some(t - Duration::hours(2))),
            (JobStatus::Running, 1.0, None),
            (
                JobStatus::Succeeded,
                f64::INFINITY,
                Some(t + Duration::days(400)),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            series.add(&RunRecord {
                id: format!("r{i}"),
                status,
                started_at: t,
                finished_at: finished,
                build_number: None,
                origin: None,
                usage_total_usd: cost,
            });
        }
        series.add(&RunRecord {
            id: "old".into(),
            status: JobStatus::Succeeded,
            started_at: w.range_start() - Duration::days(1),
            finished_at: None,
            build_number: None,
            origin: None,
            usage_total_usd: 0.0,
        });
        assert_eq!(series.outside_range, 1);
        let mut rng = StdRng::seed_from_u64(9);
        let sim = healthy(&mut rng, 1.0);
        let ev = QualityActorEvidence {
            series,
            ..simulate(&mut rng, "odd", &sim)
        };
        let cfg = QualityConfig {
            fdr_q: f64::NAN,
            min_runs: 0,
            ..QualityConfig::default()
        };
        let f = analyze(&cfg, &evidence(vec![ev]), None);
        let json = serde_json::to_value(&f.snapshot).unwrap();
        let back: QualitySnapshot = serde_json::from_value(json).unwrap();
        assert_eq!(back, f.snapshot);
        assert!(serde_json::to_string(&f.output).is_ok());
    }
}
