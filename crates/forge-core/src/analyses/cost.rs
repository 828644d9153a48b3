//! cost-watchdog: where the fleet's money goes, whether the month stays within budget, and
//! what to fix first. A function from evidence to findings; see [`analyze`].
//!
//! The estimators, each documented where it is computed:
//! - **spend** (`month_spend`): daily cost series, month to date, the month-end projection
//!   with a 90 % prediction interval, and the day a monthly budget is crossed;
//! - **wasted spend** (`wasted_spend`): what FAILED, TIMED-OUT and ABORTED runs cost;
//! - **anomalies** (`anomaly`): modified z of log daily cost (last 7 days against the 28
//!   before), an impact gate, drivers, and Benjamini–Hochberg across the fleet;
//! - **memory right-sizing** (`memory_report`): from sampled SUCCEEDED runs, with the
//!   out-of-memory and CPU guards;
//! - **timeouts** (`timeout_report`, `stuck_runs`): frequent TIMED-OUT runs, timeouts far
//!   above the p99 duration, and runs RUNNING now far beyond it;
//! - **pay-per-event** (`pay_per_event`): charged events per run.
//!
//! Left out on purpose: runs started by other runs that outlived their parent. The evidence
//! does not say which run started a run (the run list carries `meta.origin` = ACTOR at best,
//! never the parent's id), so nothing sound can be said about orphans.

use crate::aggregate::{DayTotals, RunAggregate, StatusCounts, WindowOut, Windows, RECENT_DAYS};
use crate::model::{ActorInfo, JobStatus, RunDetail, RunRecord};
use crate::signal::{decide, rank, signal_id, DecisionHead, Impact, Severity, Signal, Subject};
use crate::stats::{
    benjamini_hochberg, median, modified_z, normal_sf, quantile_r8, student_t_quantile,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const TOOL: &str = "cost-watchdog";

/// The rule catalog: stable IDs, severity range, meaning. Generated into the docs.
pub const RULES: &[(&str, &str, &str)] = &[
    ("CW-COST-ANOMALY", "low..high", "The actor's mean daily cost over the last 1, 3 or 7 days (the most extreme of the three, Bonferroni-corrected) is far above its usual level: modified z of log daily cost ≥ 3.5 against the 28 days before the last week, at least max($5/day, 20 %) more than the baseline median, and significant after Benjamini–Hochberg across the fleet (q = 0.10). Decomposed into more runs, longer runs, more memory and other usage. Severity by the extra money per month."),
    ("CW-BUDGET-AT-RISK", "medium..critical", "The fleet's month-end projection crosses the monthly budget: critical when already over, high when the projection is over, medium when only the upper end of its 90 % interval is."),
    ("CW-MEM-OVERPROVISIONED", "low..medium", "Successful runs peak far below their memory (≥ 20 sampled runs): a smaller power of two saves compute units (≥ 20 % of them; ≥ $5/month if runs are not CPU-bound and ≥ $2/month and ≥ 10 % of the actor's compute spend with half the run time CPU-bound), and keeps the CPU-bound p95 duration under 80 % of the timeout."),
    ("CW-MEM-UNDERPROVISIONED", "medium..high", "At least 3 runs (or 5 % of runs) in the window failed out of memory (exit code 137, or a status message about memory): give them the next power of two. High when out-of-memory failures are ≥ 10 % of runs or ≥ 5 a week."),
    ("CW-WASTED-SPEND", "low..high", "Failed, timed-out and aborted runs cost ≥ 20 % of the actor's spend and ≥ $5/month, beyond what CW-TIMEOUT-WASTE and CW-MEM-UNDERPROVISIONED already report. Severity by the money."),
    ("CW-TIMEOUT-WASTE", "low..high", "At least 3 runs and 5 % of runs in the window TIMED-OUT: each paid for its whole timeout and delivered nothing. Severity by their cost; at least medium when ≥ 20 % of runs time out."),
    ("CW-TIMEOUT-TOO-LONG", "info", "Hygiene, not an alert: the run timeout is ≥ 10× the p99 duration, so a stuck run burns ≥ $5 before it is stopped; or there is no timeout at all and a stuck run burns ≥ $1 a day until someone notices."),
    ("CW-STUCK-RUN", "medium..high", "A run is RUNNING now for ≥ 3× the actor's p99 duration (and ≥ 15 minutes beyond it): probably stuck and burning compute units. High when it would burn ≥ $5 more before its timeout (or in a day without one)."),
];

const DAYS_PER_MONTH: f64 = 30.44;
const MIB: f64 = 1_048_576.0;
const SECS_PER_DAY: f64 = 86_400.0;
/// Apify's memory limits: a power of two in between.
const MIN_MEMORY_MBYTES: u32 = 128;
const MAX_MEMORY_MBYTES: u32 = 32_768;
/// One CPU core per 4,096 MB of memory, proportionally below.
const MBYTES_PER_CORE: f64 = 4_096.0;

/// Anomaly baseline: the 28 days before the recent 7, at least 10 of them after the actor
/// was created (AWS Cost Anomaly Detection also wants ≥ 10 days of history).
const BASELINE_DAYS: usize = 28;
const MIN_BASELINE_DAYS: usize = 10;
/// Runs in baseline + recent below which an actor is not tested (independent filtering:
/// the count does not depend on whether cost rose, so dropping these keeps BH valid).
const MIN_RUNS_FOR_ANOMALY: u64 = 10;
/// Floor of σ̂ in log units (a 5 % day-to-day wobble): a constant baseline does not turn a
/// cent of change into an infinite z; the impact gate decides then.
const LOG_SCALE_FLOOR: f64 = 0.05;

/// The month-end projection uses the mean and spread of the last 14 days.
const PROJECTION_DAYS: usize = 14;
const PROJECTION_LEVEL: f64 = 0.90;

/// Money gate of the savings and waste signals (§3.2 of the methods notes: ≥ $5/month).
const SIGNAL_MIN_USD_PER_MONTH: f64 = 5.0;
/// The recent spans (days, ending now) an anomaly is looked for in; the longest is the week.
const RECENT_SPANS: [usize; 3] = [1, 3, RECENT_DAYS as usize];
/// Out-of-memory failures that make an alert: at least this many in the window...
const OOM_MIN_FAILURES: usize = 3;
/// ...or at least this share of the decided runs.
const OOM_MIN_SHARE: f64 = 0.05;
/// A memory saving alerts when its expected (mid) value reaches this, and the saving without
/// any CPU slow-down reaches [`SIGNAL_MIN_USD_PER_MONTH`].
const MEMORY_MIN_MID_USD_PER_MONTH: f64 = 2.0;
/// A scraper fails now and then; waste is a problem when it is structural.
const WASTE_MIN_SHARE: f64 = 0.20;

const PEAK_P95_MARGIN: f64 = 1.20;
const PEAK_MAX_MARGIN: f64 = 1.05;
/// A sampled run that peaked at ≥ 95 % of its memory forbids downsizing.
const NEAR_LIMIT: f64 = 0.95;
/// Share of the run time assumed CPU-bound for the central saving (the sample carries no
/// CPU usage): 0 gives the high saving, 1 the low one.
const CPU_BOUND_MID: f64 = 0.5;
/// A downsize must save at least this share of the compute units (at the central estimate).
const MIN_CU_SAVING: f64 = 0.20;
const MEMORY_MIN_SAVING_SHARE: f64 = 0.10;
/// The CPU-bound p95 duration at the new size must stay under this share of the timeout.
const TIMEOUT_HEADROOM: f64 = 0.8;
const OOM_EXIT_CODE: i64 = 137;
/// VPA's OOM bump: 1.2× and at least 100 MiB more.
const OOM_BUMP_RATIO: f64 = 1.2;
const OOM_BUMP_MBYTES: f64 = 100.0;

const TIMEOUT_MIN_RUNS: u64 = 3;
const TIMEOUT_MIN_SHARE: f64 = 0.05;
const TIMEOUT_MEDIUM_SHARE: f64 = 0.20;
const MIN_RUNS_FOR_P99: u64 = 20;
const TIMEOUT_TOO_LONG_FACTOR: f64 = 10.0;
const RUNAWAY_MIN_USD: f64 = 5.0;
const STUCK_FACTOR: f64 = 3.0;
const STUCK_MIN_EXCESS_SECS: f64 = 900.0;
/// How far ahead a stuck run's burn is projected when no timeout will stop it.
const STUCK_HORIZON_SECS: f64 = SECS_PER_DAY;

/// Longest window analysed (ten years): beyond it date arithmetic could overflow.
const MAX_WINDOW_DAYS: u32 = 3_660;
const FLEET_SUBJECT_ID: &str = "fleet";
const BILLING_URL: &str = "https://console.apify.com/billing";

// ---------------------------------------------------------------- config and evidence

/// The analysis settings, from the tool's input. The window length the analysis uses is the
/// evidence's ([`CostEvidence::windows`]); `window_days` is what the collector was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CostConfig {
    pub window_days: u32,
    pub monthly_budget_usd: Option<f64>,
    /// Price of one compute unit (1 GB of memory for 1 hour). Default $0.40, the
    /// pay-as-you-go price; discount tiers pay $0.30/$0.25/$0.20.
    pub price_per_compute_unit_usd: f64,
    pub anomaly_z: f64,
    pub anomaly_min_usd_per_day: f64,
    pub anomaly_min_ratio: f64,
    /// False discovery rate of the cost-anomaly family across the fleet.
    pub fdr_q: f64,
    pub min_samples_for_memory: usize,
    pub acknowledged_signals: Vec<String>,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            window_days: 30,
            monthly_budget_usd: None,
            price_per_compute_unit_usd: 0.40,
            anomaly_z: 3.5,
            anomaly_min_usd_per_day: 5.0,
            anomaly_min_ratio: 0.20,
            fdr_q: 0.10,
            min_samples_for_memory: 20,
            acknowledged_signals: Vec::new(),
        }
    }
}

impl CostConfig {
    /// Odd values (NaN, negative) fall back to the defaults, so an odd input never yields
    /// NaN findings.
    fn sanitized(&self) -> CostConfig {
        let d = CostConfig::default();
        let pick = super::sane;
        CostConfig {
            window_days: self.window_days,
            monthly_budget_usd: self
                .monthly_budget_usd
                .filter(|b| b.is_finite() && *b >= 0.0),
            price_per_compute_unit_usd: pick(
                self.price_per_compute_unit_usd,
                d.price_per_compute_unit_usd,
                self.price_per_compute_unit_usd > 0.0,
            ),
            anomaly_z: pick(self.anomaly_z, d.anomaly_z, self.anomaly_z >= 0.0),
            anomaly_min_usd_per_day: pick(
                self.anomaly_min_usd_per_day,
                d.anomaly_min_usd_per_day,
                self.anomaly_min_usd_per_day >= 0.0,
            ),
            anomaly_min_ratio: pick(
                self.anomaly_min_ratio,
                d.anomaly_min_ratio,
                self.anomaly_min_ratio >= 0.0,
            ),
            fdr_q: pick(self.fdr_q, d.fdr_q, self.fdr_q > 0.0 && self.fdr_q <= 1.0),
            min_samples_for_memory: self.min_samples_for_memory.max(1),
            acknowledged_signals: self.acknowledged_signals.clone(),
        }
    }
}

/// What the runtime collected about one actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostActorEvidence {
    pub actor: ActorInfo,
    /// Daily totals over 2× the window, ending at `windows.as_of`.
    pub runs: RunAggregate,
    /// Newest SUCCEEDED run details, newest first (a bounded sample).
    pub succeeded: Vec<RunDetail>,
    /// Newest FAILED and TIMED-OUT run details (a bounded sample).
    pub failed: Vec<RunDetail>,
    /// Runs READY or RUNNING now, from the run list.
    pub unfinished: Vec<RunRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostEvidence {
    pub windows: Windows,
    pub actors: Vec<CostActorEvidence>,
}

// ---------------------------------------------------------------- output

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostOutput {
    #[serde(flatten)]
    pub head: DecisionHead,
    pub window: WindowOut,
    /// The settings the analysis ran with, after odd values fell back to the defaults.
    pub config: CostConfig,
    pub fleet: FleetSpend,
    pub actors: Vec<ActorCost>,
    pub signals: Vec<Signal>,
    pub acknowledged: Vec<Signal>,
}

/// The fleet's spend: the sum of its actors'.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSpend {
    pub actors: usize,
    pub actors_with_runs: usize,
    pub runs: StatusCounts,
    /// Cost of the runs started in the window (running ones: so far).
    pub cost_usd: f64,
    pub previous_cost_usd: f64,
    pub cost_per_run_usd: Option<f64>,
    pub cost_per_successful_run_usd: Option<f64>,
    pub wasted: Wasted,
    /// Day `i` covers `[seriesStart + i days, + 1 day)`; the last day ends at `asOf`.
    pub series_start: DateTime<Utc>,
    pub daily_cost_usd: Vec<f64>,
    pub month: MonthSpend,
    pub budget: Option<Budget>,
    pub anomaly_family: AnomalyFamily,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyFamily {
    /// Actors with enough history and runs to be tested: the Benjamini–Hochberg family.
    pub tested: usize,
    pub flagged: usize,
    pub fdr_q: f64,
}

/// The calendar month (UTC) of `asOf`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthSpend {
    /// `YYYY-MM`.
    pub month: String,
    pub days_in_month: u32,
    pub elapsed_days: f64,
    /// Days of the month the evidence covers: fewer than `elapsedDays` when the collected
    /// range starts after the 1st (the projection then estimates the missing days too).
    pub observed_days: f64,
    /// Cost of the observed days of the month.
    pub month_to_date_usd: f64,
    pub projection: Projection,
}

/// Month-end spend: what is spent, plus the recent daily mean for every day not observed,
/// with a prediction interval from the recent days' spread.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    pub month_end_usd: f64,
    /// `None` when fewer than 2 days are available to measure the spread.
    pub low_usd: Option<f64>,
    pub high_usd: Option<f64>,
    /// Two-sided level of the interval.
    pub level: f64,
    pub daily_rate_usd: f64,
    pub daily_sd_usd: Option<f64>,
    pub days_used: usize,
    pub remaining_days: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BudgetStatus {
    Ok,
    /// Only the upper end of the projection's interval crosses the budget.
    AtRisk,
    ProjectedOver,
    Over,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub monthly_budget_usd: f64,
    pub status: BudgetStatus,
    /// Month to date (with the unobserved days estimated) / budget; `None` for a zero budget.
    pub used_share: Option<f64>,
    pub projected_share: Option<f64>,
    /// The day the observed spend went over the budget.
    pub crossed_on: Option<NaiveDate>,
    /// The day the projection crosses it at the recent daily rate, if within the month.
    pub projected_crossing_on: Option<NaiveDate>,
    /// The same at the rate implied by the interval's upper end.
    pub earliest_crossing_on: Option<NaiveDate>,
}

/// What runs that delivered nothing cost in the window (estimated; see `wasted_spend`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Wasted {
    pub failed_usd: f64,
    pub timed_out_usd: f64,
    pub aborted_usd: f64,
    pub total_usd: f64,
    /// Of the finished runs' cost.
    pub share: Option<f64>,
    pub usd_per_month: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorCost {
    pub actor_id: String,
    pub actor_name: String,
    pub title: Option<String>,
    pub console_url: String,
    pub runs: StatusCounts,
    pub cost_usd: f64,
    pub previous_cost_usd: f64,
    /// Cost of the window's finished runs: `costUsd` without the running ones' cost so far.
    pub finished_cost_usd: f64,
    /// Finished runs' cost / finished runs.
    pub cost_per_run_usd: Option<f64>,
    /// Finished runs' cost (failures included) / successful runs: what one useful run costs.
    pub cost_per_successful_run_usd: Option<f64>,
    /// The window's days, from `fleet.seriesStart`'s `windowDays` days later.
    pub daily_cost_usd: Vec<f64>,
    pub month: MonthSpend,
    pub wasted: Wasted,
    pub anomaly: Anomaly,
    pub memory: MemoryReport,
    pub timeouts: TimeoutReport,
    pub stuck_runs: Vec<StuckRun>,
    pub pay_per_event: Option<PayPerEvent>,
    pub signals: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AnomalyStatus {
    Tested,
    /// Fewer than 10 baseline days (after the actor's creation).
    InsufficientHistory,
    /// Fewer than 10 runs in baseline and recent days together.
    TooFewRuns,
}

/// The last 7 days' mean daily cost against the 28 days before (see `anomaly`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Anomaly {
    pub status: AnomalyStatus,
    pub recent_days: usize,
    pub baseline_days: usize,
    pub recent_daily_usd: f64,
    pub baseline_median_daily_usd: Option<f64>,
    pub extra_usd_per_day: Option<f64>,
    /// Modified z of ln(1 + recent mean daily cost) against ln(1 + baseline daily costs).
    pub z: Option<f64>,
    pub scale_method: Option<&'static str>,
    /// One-sided normal tail of z.
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub passes_impact_gate: bool,
    pub flagged: bool,
    pub drivers: Option<Drivers>,
}

/// Recent against baseline, as cost/day = runs/day × duration/run × memory/run × cost per
/// GB-hour: the log-ratios add up to the cost's (means over the periods, so exactly).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drivers {
    pub cost_ratio: Option<f64>,
    pub runs_ratio: Option<f64>,
    pub duration_ratio: Option<f64>,
    /// From sampled run details in both periods; `None` when too few (it then counts in
    /// `otherUsage`).
    pub memory_ratio: Option<f64>,
    /// Everything else per GB-hour: proxies, storage, transfer, pay-per-event charges, price.
    pub other_ratio: Option<f64>,
    /// Natural-log contributions: moreRuns, longerRuns, moreMemory, otherUsage.
    pub log_contributions: BTreeMap<&'static str, f64>,
    /// The largest positive contribution; `newActivity` when the baseline had no cost.
    pub primary: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MemoryStatus {
    /// No sampled successful run reports its memory peak.
    NoData,
    /// Fewer sampled successful runs than `minSamplesForMemory`.
    InsufficientData,
    /// Neither the actor's default memory nor the runs' memory is known.
    UnknownAllocation,
    RightSized,
    /// Peaks leave less headroom than the 20 % margin, without failures: worth watching.
    Tight,
    /// A sampled run peaked at ≥ 95 % of its memory, or failed out of memory before the
    /// window: never downsized.
    NearLimit,
    Downsize,
    /// Runs in the window failed out of memory.
    Upsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Band {
    /// All run time CPU-bound.
    pub low: f64,
    /// Half of it.
    pub mid: f64,
    /// None of it.
    pub high: f64,
}

/// Memory right-sizing (see `memory_report`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryReport {
    pub status: MemoryStatus,
    pub current_mbytes: Option<u32>,
    pub recommended_mbytes: Option<u32>,
    pub samples: usize,
    pub samples_needed: usize,
    pub peak_p95_mbytes: Option<f64>,
    pub peak_max_mbytes: Option<f64>,
    /// p95 peak / current memory.
    pub utilisation_p95: Option<f64>,
    /// Out-of-memory failures in the failed-run sample, and those started in the window.
    pub oom_failures: usize,
    pub oom_failures_in_window: usize,
    /// The largest memory a run failed out of memory with, in the window.
    pub oom_at_mbytes: Option<u32>,
    pub p95_duration_secs: Option<f64>,
    /// The p95 duration at the recommended memory if the runs are entirely CPU-bound.
    pub projected_p95_duration_secs_cpu_bound: Option<f64>,
    pub savings_usd_per_month: Option<Band>,
    /// Upper bound of the extra cost of an upsize (duration unchanged).
    pub upsize_cost_usd_per_month: Option<f64>,
    /// Compute-unit spend of successful runs per month, from the sample.
    pub compute_spend_usd_per_month: Option<f64>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutReport {
    /// 0 means no timeout.
    pub timeout_secs: Option<u64>,
    pub p99_duration_secs: Option<f64>,
    pub duration_n: u64,
    pub timed_out: u64,
    pub timed_out_share: Option<f64>,
    pub timed_out_usd: f64,
    /// What one stuck run burns before the timeout stops it (per day when there is none).
    pub runaway_exposure_usd: Option<f64>,
}

/// A run RUNNING now far beyond the actor's p99 duration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StuckRun {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub running_secs: f64,
    pub p99_duration_secs: f64,
    pub cost_so_far_usd: f64,
    /// At its burn rate so far, until its timeout (or for a day without one).
    pub projected_further_usd: f64,
    pub console_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayPerEvent {
    pub runs_sampled: usize,
    /// Mean count per sampled run (a run without the event counts 0).
    pub events_per_run: BTreeMap<String, f64>,
    pub cost_per_run_usd: Option<f64>,
}

/// One flat dataset row per actor, for the Console table view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActorRow {
    actor_name: String,
    actor_id: String,
    cost_usd: f64,
    previous_cost_usd: f64,
    month_to_date_usd: f64,
    projected_month_usd: f64,
    projected_month_low_usd: Option<f64>,
    projected_month_high_usd: Option<f64>,
    runs: u64,
    succeeded: u64,
    failed: u64,
    timed_out: u64,
    aborted: u64,
    running: u64,
    cost_per_run_usd: Option<f64>,
    cost_per_successful_run_usd: Option<f64>,
    wasted_usd: f64,
    wasted_share: Option<f64>,
    anomaly_z: Option<f64>,
    anomaly_q_value: Option<f64>,
    anomaly_driver: Option<&'static str>,
    memory_status: MemoryStatus,
    current_memory_mbytes: Option<u32>,
    recommended_memory_mbytes: Option<u32>,
    memory_savings_usd_per_month: Option<f64>,
    timeout_secs: Option<u64>,
    p99_duration_secs: Option<f64>,
    timed_out_usd: f64,
    stuck_runs: usize,
    signals: usize,
    top_issue: Option<String>,
    console_url: String,
}

/// Everything one run of cost-watchdog produces.
#[derive(Debug, Clone, PartialEq)]
pub struct CostFindings {
    pub output: CostOutput,
    /// One flat row per actor.
    pub rows: Vec<Value>,
}

// ---------------------------------------------------------------- analysis

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
fn nonneg(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Severity of a money-only problem: ≥ $100/month high, ≥ $20 medium, else low.
fn money_severity(usd_per_month: f64) -> Severity {
    match usd_per_month {
        x if x >= 100.0 => Severity::High,
        x if x >= 20.0 => Severity::Medium,
        _ => Severity::Low,
    }
}

/// A candidate signal; the anomalies among them already passed Benjamini–Hochberg.
struct Candidate {
    /// `None`: about the fleet.
    actor: Option<usize>,
    rule: &'static str,
    /// Extra key of the stable id, for signals about one run among an actor's several.
    id_key: Option<String>,
    severity: Severity,
    title: String,
    evidence: Value,
    impact: Impact,
    recommendation: String,
    console_url: Option<String>,
}

/// Analyses the fleet's spend. Pure: the same arguments give the same findings, byte for byte.
pub fn analyze(config: &CostConfig, evidence: &CostEvidence) -> CostFindings {
    let cfg = config.sanitized();
    // An absurd window (deserialized evidence) must not overflow date arithmetic.
    let windows = Windows {
        as_of: evidence.windows.as_of,
        days: evidence.windows.days.min(MAX_WINDOW_DAYS),
    };
    let as_of = windows.as_of;
    // The fleet series is as long as the longest actor series: sized by data, not by input.
    let total_days = evidence
        .actors
        .iter()
        .map(|a| a.runs.daily.len())
        .max()
        .unwrap_or(0);

    let mut reports: Vec<ActorCost> = evidence
        .actors
        .iter()
        .map(|a| actor_cost(&cfg, windows, a))
        .collect();

    // Benjamini–Hochberg over every tested actor, not only the alarming ones: the family is
    // what was tested, so a fleet of hundreds does not page on noise.
    let tested: Vec<usize> = (0..reports.len())
        .filter(|&i| reports[i].anomaly.p_value.is_some())
        .collect();
    let p_values: Vec<f64> = tested
        .iter()
        .map(|&i| reports[i].anomaly.p_value.unwrap_or(1.0))
        .collect();
    for (&i, q) in tested.iter().zip(benjamini_hochberg(&p_values)) {
        let an = &mut reports[i].anomaly;
        an.q_value = Some(round4(q));
        an.flagged =
            an.passes_impact_gate && an.z.is_some_and(|z| z >= cfg.anomaly_z) && q <= cfg.fdr_q;
    }

    let mut candidates: Vec<Candidate> = Vec::new();
    for (i, (a, r)) in evidence.actors.iter().zip(&reports).enumerate() {
        candidates.extend(actor_candidates(&cfg, i, a, r, windows));
    }

    // The fleet: the actors' daily series summed, aligned on their last day.
    let mut fleet_daily = vec![0.0; total_days];
    let mut runs = StatusCounts::default();
    let (mut cost, mut prev_cost, mut finished_cost) = (0.0, 0.0, 0.0);
    let mut wasted = Wasted::default();
    for (a, r) in evidence.actors.iter().zip(&reports) {
        let days = clean_days(&a.runs.daily);
        for (slot, d) in fleet_daily.iter_mut().rev().zip(days.iter().rev()) {
            *slot += d.cost_usd;
        }
        runs.merge(&r.runs);
        cost += r.cost_usd;
        prev_cost += r.previous_cost_usd;
        finished_cost += r.finished_cost_usd;
        wasted.failed_usd += r.wasted.failed_usd;
        wasted.timed_out_usd += r.wasted.timed_out_usd;
        wasted.aborted_usd += r.wasted.aborted_usd;
        wasted.total_usd += r.wasted.total_usd;
        wasted.usd_per_month += r.wasted.usd_per_month;
    }
    wasted.share = (finished_cost > 0.0).then(|| round4(wasted.total_usd / finished_cost));
    wasted.failed_usd = round4(wasted.failed_usd);
    wasted.timed_out_usd = round4(wasted.timed_out_usd);
    wasted.aborted_usd = round4(wasted.aborted_usd);
    wasted.total_usd = round4(wasted.total_usd);
    wasted.usd_per_month = round2(wasted.usd_per_month);
    let (month, budget) = month_spend(&fleet_daily, as_of, 0, cfg.monthly_budget_usd);
    if let Some(b) = &budget {
        candidates.extend(budget_candidate(b, &month));
    }
    let window_len = (windows.days as usize).min(fleet_daily.len());
    let fleet = FleetSpend {
        actors: reports.len(),
        actors_with_runs: reports.iter().filter(|r| r.runs.total() > 0).count(),
        runs,
        cost_usd: round4(cost),
        previous_cost_usd: round4(prev_cost),
        cost_per_run_usd: (runs.finished() > 0)
            .then(|| round4(finished_cost / runs.finished() as f64)),
        cost_per_successful_run_usd: (runs.succeeded > 0)
            .then(|| round4(finished_cost / runs.succeeded as f64)),
        wasted,
        series_start: day_start(as_of, window_len, 0).unwrap_or(as_of),
        daily_cost_usd: fleet_daily[fleet_daily.len() - window_len..]
            .iter()
            .map(|c| round4(*c))
            .collect(),
        month,
        budget,
        anomaly_family: AnomalyFamily {
            tested: tested.len(),
            flagged: reports.iter().filter(|r| r.anomaly.flagged).count(),
            fdr_q: cfg.fdr_q,
        },
    };

    let acknowledged: BTreeSet<&str> = cfg
        .acknowledged_signals
        .iter()
        .map(String::as_str)
        .collect();
    let mut signals: Vec<Signal> = candidates
        .into_iter()
        .map(|c| {
            let (subject, console_url) = match c.actor {
                Some(i) => {
                    let a = &evidence.actors[i].actor;
                    (
                        Subject {
                            actor_id: a.id.clone(),
                            actor_name: a.full_name(),
                            build_number: None,
                        },
                        a.console_url(),
                    )
                }
                None => (
                    Subject {
                        actor_id: FLEET_SUBJECT_ID.into(),
                        actor_name: "fleet (all actors)".into(),
                        build_number: None,
                    },
                    BILLING_URL.into(),
                ),
            };
            // One signal per run for stuck runs: the run id joins the hashed rule, so each
            // run is acknowledged on its own while `rule` stays the catalog's id.
            let id = match &c.id_key {
                Some(k) => signal_id(TOOL, &format!("{}/{k}", c.rule), &subject),
                None => signal_id(TOOL, c.rule, &subject),
            };
            Signal {
                acknowledged: acknowledged.contains(id.as_str()),
                id,
                tool: TOOL.into(),
                rule: c.rule.into(),
                severity: c.severity,
                subject,
                title: c.title,
                evidence: c.evidence,
                impact: c.impact,
                recommendation: c.recommendation,
                console_url: c.console_url.unwrap_or(console_url),
                first_seen_at: as_of,
            }
        })
        .collect();
    rank(&mut signals);
    for r in reports.iter_mut() {
        r.signals = signals
            .iter()
            .filter(|s| s.subject.actor_id == r.actor_id)
            .map(|s| s.id.clone())
            .collect();
    }
    let rows = reports
        .iter()
        .map(|r| serde_json::to_value(actor_row(r, &signals)).unwrap_or(Value::Null))
        .collect();

    let (open, acked): (Vec<Signal>, Vec<Signal>) =
        signals.into_iter().partition(|s| !s.acknowledged);
    let (decision, reason_codes) = decide(&open);
    let summary = summary(&fleet, &open, windows.days);
    let output = CostOutput {
        head: DecisionHead::new(TOOL, decision, reason_codes, summary),
        window: WindowOut::from(windows),
        config: cfg,
        fleet,
        actors: reports,
        signals: open,
        acknowledged: acked,
    };
    CostFindings { output, rows }
}

fn summary(fleet: &FleetSpend, open: &[Signal], days: u32) -> String {
    let p = &fleet.month.projection;
    let interval = match (p.low_usd, p.high_usd) {
        (Some(lo), Some(hi)) => format!(" (90 % interval ${lo:.2}–${hi:.2})"),
        _ => String::new(),
    };
    let budget = match &fleet.budget {
        Some(b) => match (b.status, b.projected_crossing_on, b.crossed_on) {
            (BudgetStatus::Over, _, Some(d)) => {
                format!(", over the ${:.2} budget since {d}", b.monthly_budget_usd)
            }
            (BudgetStatus::Over, _, None) => {
                format!(", over the ${:.2} budget", b.monthly_budget_usd)
            }
            (BudgetStatus::ProjectedOver, Some(d), _) => {
                format!(", crossing the ${:.2} budget on {d}", b.monthly_budget_usd)
            }
            (BudgetStatus::AtRisk, _, _) => {
                format!(
                    ", at risk of crossing the ${:.2} budget",
                    b.monthly_budget_usd
                )
            }
            _ => format!(" against a ${:.2} budget", b.monthly_budget_usd),
        },
        None => String::new(),
    };
    let urgent = open.iter().filter(|s| s.severity >= Severity::High).count();
    let top = open
        .first()
        .map(|s| format!(" Top: {}.", s.title))
        .unwrap_or_default();
    format!(
        "${:.2} spent in {} so far; ${:.2} projected by month end{interval}{budget}. ${:.2} over the last {days} days across {} actors, ${:.2} of it on runs that failed, timed out or were aborted. {} open signals ({} need action now).{top}",
        fleet.month.month_to_date_usd,
        fleet.month.month,
        p.month_end_usd,
        fleet.cost_usd,
        fleet.actors,
        fleet.wasted.total_usd,
        open.len(),
        urgent,
    )
}

/// Non-finite or negative money and time count as zero.
fn clean_days(days: &[DayTotals]) -> Vec<DayTotals> {
    days.iter()
        .map(|d| DayTotals {
            status: d.status,
            cost_usd: nonneg(d.cost_usd),
            duration_secs: nonneg(d.duration_secs),
        })
        .collect()
}

fn sum_days(days: &[DayTotals]) -> DayTotals {
    let mut out = DayTotals::default();
    for d in days {
        out.status.merge(&d.status);
        out.cost_usd += d.cost_usd;
        out.duration_secs += d.duration_secs;
    }
    out
}

/// Start of day `i` of a series of `n` days that ends at `as_of`.
fn day_start(as_of: DateTime<Utc>, n: usize, i: usize) -> Option<DateTime<Utc>> {
    let back = i64::try_from(n.saturating_sub(i)).ok()?;
    as_of.checked_sub_signed(Duration::try_days(back)?)
}

/// Index of the first day of the series that ends after `created_at`: days before the actor
/// existed are not "zero-cost days" of its history.
fn first_active_day(as_of: DateTime<Utc>, n: usize, created_at: Option<DateTime<Utc>>) -> usize {
    let Some(created) = created_at else { return 0 };
    (0..n)
        .find(|&i| day_start(as_of, n, i + 1).is_none_or(|end| end > created))
        .unwrap_or(n)
}

fn mode<T: Ord + Copy>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_insert(0) += 1;
    }
    // Highest count; among equals, the largest value (the cautious one for memory and time).
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(v, _)| v)
}

fn actor_cost(cfg: &CostConfig, windows: Windows, a: &CostActorEvidence) -> ActorCost {
    let as_of = windows.as_of;
    let days = clean_days(&a.runs.daily);
    let n = days.len();
    let w = (windows.days as usize).min(n);
    let current = sum_days(&days[n - w..]);
    let previous = sum_days(&days[n.saturating_sub(2 * w)..n - w]);
    let first_active = first_active_day(as_of, n, a.actor.created_at);
    let costs: Vec<f64> = days.iter().map(|d| d.cost_usd).collect();
    let (month, _) = month_spend(&costs, as_of, first_active, None);

    // Runs still going are in the day totals with their cost so far: take them out of the
    // per-run figures, which are about finished runs.
    let current_start = windows.current_start();
    let unfinished_cost: f64 = a
        .unfinished
        .iter()
        .filter(|r| r.started_at >= current_start && r.started_at < as_of)
        .map(|r| nonneg(r.usage_total_usd))
        .sum();
    let finished_cost = (current.cost_usd - unfinished_cost).max(0.0);
    let status = current.status;
    let wasted = wasted_spend(status, finished_cost, a, w);
    let succeeded_per_month = status.succeeded as f64 / w.max(1) as f64 * DAYS_PER_MONTH;
    let timeouts = timeout_report(cfg, a, status, &wasted);
    let memory = memory_report(
        cfg,
        a,
        current_start,
        timeouts.timeout_secs,
        succeeded_per_month,
    );
    ActorCost {
        actor_id: a.actor.id.clone(),
        actor_name: a.actor.full_name(),
        title: a.actor.title.clone(),
        console_url: a.actor.console_url(),
        runs: status,
        cost_usd: round4(current.cost_usd),
        previous_cost_usd: round4(previous.cost_usd),
        finished_cost_usd: round4(finished_cost),
        cost_per_run_usd: (status.finished() > 0)
            .then(|| round4(finished_cost / status.finished() as f64)),
        cost_per_successful_run_usd: (status.succeeded > 0)
            .then(|| round4(finished_cost / status.succeeded as f64)),
        daily_cost_usd: costs[n - w..].iter().map(|c| round4(*c)).collect(),
        month,
        wasted,
        anomaly: anomaly(cfg, a, &days, windows, first_active),
        memory,
        stuck_runs: stuck_runs(cfg, a, as_of),
        timeouts,
        pay_per_event: pay_per_event(a),
        signals: Vec::new(),
    }
}

/// Month to date and the month-end projection of one daily cost series ending at `as_of`,
/// and the budget check when a budget is given.
///
/// - A day of the series counts toward the month by the share of it that lies in
///   `[1st of as_of's month 00:00 UTC, as_of)` (all or nothing when `as_of` is midnight).
/// - The projection adds the recent daily mean μ for every day of the month not observed
///   (the rest of the month, and any days before the collected range). μ and the sample
///   standard deviation s come from the last 14 days (from the actor's creation if later).
/// - The interval is a prediction interval for a sum of R future iid days with an estimated
///   mean: `μR ± t(0.95, L−1) · s · √(R + R²/L)` (L days used). It assumes days are
///   independent; a trend or weekly pattern makes it too narrow, so read it as a floor on
///   the uncertainty. The low end never goes below what is already spent.
fn month_spend(
    costs: &[f64],
    as_of: DateTime<Utc>,
    first_active: usize,
    budget: Option<f64>,
) -> (MonthSpend, Option<Budget>) {
    let n = costs.len();
    let date = as_of.date_naive();
    let first = NaiveDate::from_ymd_opt(date.year(), date.month(), 1).unwrap_or(date);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first + Duration::days(31));
    let month_start = first.and_time(chrono::NaiveTime::MIN).and_utc();
    let month_end = next.and_time(chrono::NaiveTime::MIN).and_utc();
    let days_in_month = (next - first).num_days().max(1) as f64;
    let elapsed = ((as_of - month_start).num_seconds() as f64 / SECS_PER_DAY).max(0.0);

    // (date, cost) of the month's observed days, in order.
    let mut month_days: Vec<(NaiveDate, f64)> = Vec::new();
    let mut observed = 0.0;
    for (i, c) in costs.iter().enumerate() {
        let Some(start) = day_start(as_of, n, i) else {
            continue;
        };
        let end = start + Duration::days(1);
        let from = start.max(month_start);
        let to = end.min(as_of);
        if to <= from {
            continue;
        }
        let share = ((to - from).num_seconds() as f64 / SECS_PER_DAY).clamp(0.0, 1.0);
        observed += share;
        month_days.push((from.date_naive(), c * share));
    }
    let mtd: f64 = month_days.iter().map(|d| d.1).sum();

    let from = n.saturating_sub(PROJECTION_DAYS).max(first_active.min(n));
    let recent = &costs[from..];
    let l = recent.len();
    let mu = if l > 0 {
        recent.iter().sum::<f64>() / l as f64
    } else {
        0.0
    };
    let sd = (l >= 2).then(|| {
        let var = recent.iter().map(|c| (c - mu).powi(2)).sum::<f64>() / (l - 1) as f64;
        var.sqrt()
    });
    let remaining = (days_in_month - observed).max(0.0);
    let point = mtd + mu * remaining;
    let (low, high) = match sd {
        Some(s) => {
            let t = student_t_quantile(0.5 + PROJECTION_LEVEL / 2.0, (l - 1) as f64);
            let half = t * s * (remaining + remaining * remaining / l as f64).sqrt();
            (
                Some(mtd + (mu * remaining - half).max(0.0)),
                Some(mtd + mu * remaining + half),
            )
        }
        None => (None, None),
    };
    let projection = Projection {
        month_end_usd: round2(point),
        low_usd: low.map(round2),
        high_usd: high.map(round2),
        level: PROJECTION_LEVEL,
        daily_rate_usd: round4(mu),
        daily_sd_usd: sd.map(round4),
        days_used: l,
        remaining_days: round4(remaining),
    };
    let month = MonthSpend {
        month: format!("{:04}-{:02}", first.year(), first.month()),
        days_in_month: days_in_month as u32,
        elapsed_days: round4(elapsed),
        observed_days: round4(observed),
        month_to_date_usd: round4(mtd),
        projection,
    };

    let budget = budget.map(|b| {
        // Days of the month before the collected range are estimated at the recent rate.
        let mtd_est = mtd + mu * (elapsed - observed).max(0.0);
        let crossed_on = if mtd > b {
            let mut cum = 0.0;
            month_days.iter().find_map(|(d, c)| {
                cum += c;
                (cum > b).then_some(*d)
            })
        } else {
            None
        };
        let crossing = |rate: f64| -> Option<NaiveDate> {
            if mtd_est >= b || rate <= 0.0 {
                return None;
            }
            let secs = (b - mtd_est) / rate * SECS_PER_DAY;
            let at = as_of.checked_add_signed(Duration::try_seconds(secs.ceil() as i64)?)?;
            (at < month_end).then(|| at.date_naive())
        };
        let upper_rate = match high {
            Some(h) if remaining > 0.0 => (h - mtd) / remaining,
            _ => mu,
        };
        let status = if mtd_est > b {
            BudgetStatus::Over
        } else if point > b {
            BudgetStatus::ProjectedOver
        } else if high.is_some_and(|h| h > b) {
            BudgetStatus::AtRisk
        } else {
            BudgetStatus::Ok
        };
        Budget {
            monthly_budget_usd: b,
            status,
            used_share: (b > 0.0).then(|| round4(mtd_est / b)),
            projected_share: (b > 0.0).then(|| round4(point / b)),
            crossed_on,
            projected_crossing_on: crossing(mu),
            earliest_crossing_on: crossing(upper_rate),
        }
    });
    (month, budget)
}

fn is_finite_nonneg(x: &f64) -> bool {
    x.is_finite() && *x >= 0.0
}

/// Cost of the window's failed, timed-out and aborted runs.
///
/// The day totals count runs by status but sum their cost over all statuses, so the split is
/// estimated: each status's mean cost per run ĉₛ comes from the sampled run details of that
/// status (`usageTotalUsd`), and `Σ nₛ·ĉₛ` is scaled to the finished runs' actual cost. Only
/// the ratios between the ĉₛ matter, so a status without a sample (ABORTED runs are never
/// sampled) is taken to cost what the typical sampled run does, the pooled sample mean: with
/// no sample at all, every run costs the window's plain mean. The sample gives the shape,
/// the day totals the level: the parts always add up to the spend, and all failures means
/// all of it is wasted.
fn wasted_spend(
    status: StatusCounts,
    finished_cost: f64,
    a: &CostActorEvidence,
    window_days: usize,
) -> Wasted {
    let finished = status.finished();
    if finished == 0 || finished_cost <= 0.0 {
        return Wasted {
            share: (finished > 0).then_some(0.0),
            ..Wasted::default()
        };
    }
    let plain = finished_cost / finished as f64;
    let sampled = |details: &[RunDetail], s: JobStatus| -> Vec<f64> {
        details
            .iter()
            .filter(|d| d.status == s)
            .filter_map(|d| d.usage_total_usd.filter(is_finite_nonneg))
            .collect()
    };
    let by_status = [
        sampled(&a.succeeded, JobStatus::Succeeded),
        sampled(&a.failed, JobStatus::Failed),
        sampled(&a.failed, JobStatus::TimedOut),
    ];
    let pooled: Vec<f64> = by_status.iter().flatten().copied().collect();
    let typical = if pooled.is_empty() {
        plain
    } else {
        pooled.iter().sum::<f64>() / pooled.len() as f64
    };
    let mean_or_typical = |xs: &Vec<f64>| {
        if xs.is_empty() {
            typical
        } else {
            xs.iter().sum::<f64>() / xs.len() as f64
        }
    };
    let c_succ = mean_or_typical(&by_status[0]);
    let c_fail = mean_or_typical(&by_status[1]);
    let c_to = mean_or_typical(&by_status[2]);
    let c_ab = typical;
    let weighted = [
        status.succeeded as f64 * c_succ,
        status.failed as f64 * c_fail,
        status.timed_out as f64 * c_to,
        status.aborted as f64 * c_ab,
    ];
    let total: f64 = weighted.iter().sum();
    let k = if total > 0.0 {
        finished_cost / total
    } else {
        0.0
    };
    let (failed, timed_out, aborted) = if total > 0.0 {
        (k * weighted[1], k * weighted[2], k * weighted[3])
    } else {
        // Every sampled status costs nothing while the runs cost something: share by count.
        (
            plain * status.failed as f64,
            plain * status.timed_out as f64,
            plain * status.aborted as f64,
        )
    };
    let wasted = failed + timed_out + aborted;
    Wasted {
        failed_usd: round4(failed),
        timed_out_usd: round4(timed_out),
        aborted_usd: round4(aborted),
        total_usd: round4(wasted),
        share: Some(round4(wasted / finished_cost)),
        usd_per_month: round2(wasted / window_days.max(1) as f64 * DAYS_PER_MONTH),
    }
}

/// Cost anomaly of one actor: is the **last 7 days'** mean daily cost far above the actor's
/// usual daily cost, the **28 days before** them?
///
/// Seven days rather than the last day: the tool runs daily or weekly, and a weekly run must
/// not miss a spike on a day it did not look at; a sustained rise shows in the mean, and a
/// one-day runaway still moves it. The statistic is the modified z (Iglewicz–Hoaglin)
/// `0.6745·(x − median)/MAD` of `x = ln(1 + mean recent daily cost)` against the baseline
/// days' `ln(1 + cost)` (logs: costs are multiplicative; `1 +`: zero-cost days). A MAD of
/// zero falls back to the mean absolute deviation and then to a floor (see
/// [`modified_z`]). A 7-day mean varies less than one day, so comparing it with single
/// days' spread is conservative.
///
/// The p-value is the one-sided normal tail of z, P(Z > z): modified z is scaled to be
/// standard normal for normal (here log-normal) costs; heavy tails make it optimistic,
/// which the z ≥ 3.5 and impact gates offset. BH across the fleet happens in [`analyze`].
///
/// The impact gate compares the recent mean daily cost with the baseline **median** daily
/// cost: extra ≥ max(anomalyMinUsdPerDay, anomalyMinRatio × median).
fn anomaly(
    cfg: &CostConfig,
    a: &CostActorEvidence,
    days: &[DayTotals],
    windows: Windows,
    first_active: usize,
) -> Anomaly {
    let n = days.len();
    let r = RECENT_DAYS as usize;
    let mut recent = &days[n.saturating_sub(r)..];
    let mean_cost = |ds: &[DayTotals]| {
        if ds.is_empty() {
            0.0
        } else {
            ds.iter().map(|d| d.cost_usd).sum::<f64>() / ds.len() as f64
        }
    };
    let mut recent_daily = mean_cost(recent);
    // The baseline ends where the last week starts, whichever recent span is tested.
    let recent_end = n.saturating_sub(r);
    let base_from = recent_end
        .saturating_sub(BASELINE_DAYS)
        .max(first_active.min(recent_end));
    let baseline = &days[base_from..recent_end];
    let mut out = Anomaly {
        status: AnomalyStatus::InsufficientHistory,
        recent_days: recent.len(),
        baseline_days: baseline.len(),
        recent_daily_usd: round4(recent_daily),
        baseline_median_daily_usd: None,
        extra_usd_per_day: None,
        z: None,
        scale_method: None,
        p_value: None,
        q_value: None,
        passes_impact_gate: false,
        flagged: false,
        drivers: None,
    };
    if recent.len() < r || baseline.len() < MIN_BASELINE_DAYS {
        return out;
    }
    let runs: u64 = baseline
        .iter()
        .chain(recent)
        .map(|d| d.status.total())
        .sum();
    if runs < MIN_RUNS_FOR_ANOMALY {
        out.status = AnomalyStatus::TooFewRuns;
        return out;
    }
    out.status = AnomalyStatus::Tested;
    let base_costs: Vec<f64> = baseline.iter().map(|d| d.cost_usd).collect();
    let base_median = median(&base_costs).unwrap_or(0.0);
    let logs: Vec<f64> = base_costs.iter().map(|c| c.ln_1p()).collect();
    // A spike of a day or three drowns in a week's mean: test the last 1, 3 and 7 days and
    // keep the most extreme, paying for the three looks with a Bonferroni factor of 3.
    let mut best: Option<(usize, crate::stats::RobustZ)> = None;
    for span in RECENT_SPANS {
        let slice = &days[n - span..];
        if let Some(rz) = modified_z(mean_cost(slice).ln_1p(), &logs, LOG_SCALE_FLOOR) {
            if best.as_ref().is_none_or(|(_, b)| rz.z > b.z) {
                best = Some((span, rz));
            }
        }
    }
    if let Some((span, _)) = &best {
        recent = &days[n - span..];
        recent_daily = mean_cost(recent);
        out.recent_days = *span;
        out.recent_daily_usd = round4(recent_daily);
    }
    let extra = recent_daily - base_median;
    out.baseline_median_daily_usd = Some(round4(base_median));
    out.extra_usd_per_day = Some(round4(extra));
    out.passes_impact_gate = extra > 0.0
        && extra
            >= cfg
                .anomaly_min_usd_per_day
                .max(cfg.anomaly_min_ratio * base_median);
    if let Some((_, rz)) = best {
        out.z = Some(if rz.z.is_finite() { round4(rz.z) } else { rz.z });
        out.scale_method = Some(rz.method.as_str());
        out.p_value = Some((RECENT_SPANS.len() as f64 * normal_sf(rz.z)).min(1.0));
    }
    // Memory per run from the sampled details started in each period.
    let recent_start = windows.recent_start();
    let baseline_start = day_start(windows.as_of, n, base_from);
    let mem_mean = |from: Option<DateTime<Utc>>, to: DateTime<Utc>| -> Option<f64> {
        let from = from?;
        let xs: Vec<f64> = a
            .succeeded
            .iter()
            .chain(&a.failed)
            .filter(|d| d.started_at.is_some_and(|t| t >= from && t < to))
            .filter_map(|d| d.memory_mbytes.filter(|m| *m > 0).map(f64::from))
            .collect();
        (xs.len() >= 3).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    };
    let mem_ratio = match (
        mem_mean(Some(recent_start), windows.as_of),
        mem_mean(baseline_start, recent_start),
    ) {
        (Some(r), Some(b)) if b > 0.0 => Some(r / b),
        _ => None,
    };
    out.drivers = Some(drivers(recent, baseline, mem_ratio));
    out
}

/// Splits the cost change into drivers:
/// `ln(C_r/C_b) = ln(N_r/N_b) + ln(D_r/D_b) + ln(M_r/M_b) + ln(other)`, with C cost/day,
/// N runs/day, D mean duration of finished runs, M mean memory of sampled runs, and "other"
/// the cost per GB-hour (the residual, so the parts add up).
fn drivers(recent: &[DayTotals], baseline: &[DayTotals], memory_ratio: Option<f64>) -> Drivers {
    let (r, b) = (sum_days(recent), sum_days(baseline));
    let (lr, lb) = (recent.len().max(1) as f64, baseline.len().max(1) as f64);
    let (c_r, c_b) = (r.cost_usd / lr, b.cost_usd / lb);
    let (n_r, n_b) = (r.status.total() as f64 / lr, b.status.total() as f64 / lb);
    let mean_dur = |d: &DayTotals| {
        (d.status.finished() > 0 && d.duration_secs > 0.0)
            .then(|| d.duration_secs / d.status.finished() as f64)
    };
    let ratio = |x: f64, y: f64| (x > 0.0 && y > 0.0).then(|| x / y);
    let cost_ratio = ratio(c_r, c_b);
    let runs_ratio = ratio(n_r, n_b);
    let duration_ratio = match (mean_dur(&r), mean_dur(&b)) {
        (Some(x), Some(y)) => ratio(x, y),
        _ => None,
    };
    let memory_ratio = memory_ratio.filter(|m| m.is_finite() && *m > 0.0);
    let mut log_contributions = BTreeMap::new();
    let (Some(cr), Some(rr)) = (cost_ratio, runs_ratio) else {
        return Drivers {
            cost_ratio: cost_ratio.map(round4),
            runs_ratio: runs_ratio.map(round4),
            duration_ratio: duration_ratio.map(round4),
            memory_ratio: memory_ratio.map(round4),
            other_ratio: None,
            log_contributions,
            primary: if c_b <= 0.0 && c_r > 0.0 {
                "newActivity"
            } else {
                "unknown"
            },
        };
    };
    let (l_c, l_n) = (cr.ln(), rr.ln());
    let l_d = duration_ratio.map_or(0.0, f64::ln);
    let l_m = memory_ratio.map_or(0.0, f64::ln);
    let l_o = l_c - l_n - l_d - l_m;
    log_contributions.insert("moreRuns", round4(l_n));
    log_contributions.insert("longerRuns", round4(l_d));
    log_contributions.insert("moreMemory", round4(l_m));
    log_contributions.insert("otherUsage", round4(l_o));
    let primary = [
        ("moreRuns", l_n),
        ("longerRuns", l_d),
        ("moreMemory", l_m),
        ("otherUsage", l_o),
    ]
    .into_iter()
    .fold(
        ("unknown", 0.0),
        |best, (k, v)| if v > best.1 { (k, v) } else { best },
    )
    .0;
    Drivers {
        cost_ratio: Some(round4(cr)),
        runs_ratio: Some(round4(rr)),
        duration_ratio: duration_ratio.map(round4),
        memory_ratio: memory_ratio.map(round4),
        other_ratio: Some(round4(l_o.exp())),
        log_contributions,
        primary,
    }
}

/// An out-of-memory failure: exit code 137 (SIGKILL, what the container's memory limit
/// does), or a status message mentioning "out of memory", "memory limit" or the word "OOM".
pub(crate) fn is_oom(d: &RunDetail) -> bool {
    if !matches!(d.status, JobStatus::Failed | JobStatus::TimedOut) {
        return false;
    }
    if d.exit_code == Some(OOM_EXIT_CODE) {
        return true;
    }
    let Some(msg) = &d.status_message else {
        return false;
    };
    let m = msg.to_lowercase();
    m.contains("out of memory")
        || m.contains("memory limit")
        || m.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == "oom" || w == "oomkilled")
}

/// The smallest allowed memory (a power of two, 128..=32768 MB) at or above `mbytes`.
fn pow2_memory(mbytes: f64) -> u32 {
    let mut m = MIN_MEMORY_MBYTES;
    while (m as f64) < mbytes && m < MAX_MEMORY_MBYTES {
        m *= 2;
    }
    m
}

/// The memory to give runs that failed out of memory with `mbytes`: VPA's bump (1.2× and
/// at least 100 MB more), rounded up to Apify's next power of two.
fn oom_bump(mbytes: u32) -> u32 {
    let m = f64::from(mbytes);
    pow2_memory((m * OOM_BUMP_RATIO).max(m + OOM_BUMP_MBYTES))
}

/// Cores a run gets and can use: one per 4,096 MB, and we assume at most one busy core
/// (Node.js and Python actors), so above 4 GB more memory buys no speed.
fn usable_cores(mbytes: f64) -> f64 {
    (mbytes / MBYTES_PER_CORE).min(1.0)
}

/// Share of compute units saved moving from `cur` to `rec` MB when a share `u` of the run
/// time is CPU-bound: CU ∝ memory × duration and the CPU-bound part stretches by the
/// ratio of usable cores. 1 − (rec/cur)·((1 − u) + u·f), f = cores(cur)/cores(rec).
fn cu_saving_share(cur: f64, rec: f64, u: f64) -> f64 {
    let f = usable_cores(cur) / usable_cores(rec).max(f64::MIN_POSITIVE);
    1.0 - (rec / cur) * ((1.0 - u) + u * f)
}

fn run_secs(d: &RunDetail) -> Option<f64> {
    d.run_time_secs.filter(is_finite_nonneg).or_else(|| {
        let ms = (d.finished_at? - d.started_at?).num_milliseconds();
        (ms >= 0).then(|| ms as f64 / 1000.0)
    })
}

/// Compute units of a run: the platform's figure, else memory × time.
fn run_cu(d: &RunDetail) -> Option<f64> {
    d.compute_units
        .filter(|c| c.is_finite() && *c > 0.0)
        .or_else(|| Some(f64::from(d.memory_mbytes?) / 1024.0 * run_secs(d)? / 3600.0))
}

/// The actor's memory: its default, else the most common memory of its sampled runs.
fn current_memory(a: &CostActorEvidence) -> Option<u32> {
    a.actor
        .default_memory_mbytes
        .filter(|m| *m > 0)
        .or_else(|| {
            mode(
                a.succeeded
                    .iter()
                    .chain(&a.failed)
                    .filter_map(|d| d.memory_mbytes.filter(|m| *m > 0)),
            )
        })
}

/// Memory right-sizing from the sampled SUCCEEDED runs (methods notes §5.2).
///
/// - need = max(p95(peak) × 1.2, max(peak) × 1.05, 128 MB) with p95 by R-8; the
///   recommendation is the smallest power of two ≥ need within 128..=32768 MB.
/// - Fewer than `minSamplesForMemory` runs: no recommendation ("insufficient data").
/// - Out-of-memory failures started in the window: upsize to the next power of two above
///   the largest memory that failed (1.2× and ≥ 100 MB more, VPA's bump). Any OOM in the
///   sample, or a run that peaked at ≥ 95 % of its memory: never downsize.
/// - A downsize must save ≥ 20 % of the compute units at the central estimate (half the
///   run time CPU-bound; the sample has no CPU usage) and keep the CPU-bound p95 duration
///   under 80 % of the timeout; otherwise the next power of two up is tried.
/// - Savings per month = share saved × CU of sampled runs at the actor's default memory
///   (runs where a caller chose the memory do not change) per sampled run × successful runs
///   per month × price per CU. Failed runs are left out (no saving counted).
fn memory_report(
    cfg: &CostConfig,
    a: &CostActorEvidence,
    current_start: DateTime<Utc>,
    timeout_secs: Option<u64>,
    succeeded_per_month: f64,
) -> MemoryReport {
    let price = cfg.price_per_compute_unit_usd;
    let samples: Vec<(&RunDetail, f64)> = a
        .succeeded
        .iter()
        .filter(|d| d.status == JobStatus::Succeeded)
        .filter_map(|d| {
            d.mem_max_bytes
                .filter(is_finite_nonneg)
                .map(|b| (d, b / MIB))
        })
        .collect();
    let n = samples.len();
    let current = current_memory(a);
    let peaks: Vec<f64> = samples.iter().map(|s| s.1).collect();
    let p95 = quantile_r8(&peaks, 0.95);
    let max = peaks.iter().copied().reduce(f64::max);
    let oom: Vec<&RunDetail> = a.failed.iter().filter(|d| is_oom(d)).collect();
    let oom_in_window: Vec<&RunDetail> = oom
        .iter()
        .copied()
        .filter(|d| d.started_at.is_none_or(|t| t >= current_start))
        .collect();
    let near_limit = samples.iter().any(|(d, peak)| {
        d.memory_mbytes
            .is_some_and(|m| m > 0 && *peak >= NEAR_LIMIT * f64::from(m))
    });
    let durations: Vec<f64> = samples.iter().filter_map(|(d, _)| run_secs(d)).collect();
    let p95_duration = quantile_r8(&durations, 0.95);
    let cus: Vec<(Option<u32>, f64)> = samples
        .iter()
        .filter_map(|(d, _)| run_cu(d).map(|c| (d.memory_mbytes, c)))
        .collect();
    let compute_spend = (!cus.is_empty()).then(|| {
        cus.iter().map(|c| c.1).sum::<f64>() / cus.len() as f64 * succeeded_per_month * price
    });
    let mut report = MemoryReport {
        status: MemoryStatus::NoData,
        current_mbytes: current,
        recommended_mbytes: None,
        samples: n,
        samples_needed: cfg.min_samples_for_memory,
        peak_p95_mbytes: p95.map(round2),
        peak_max_mbytes: max.map(round2),
        utilisation_p95: match (p95, current) {
            (Some(p), Some(c)) => Some(round4(p / f64::from(c))),
            _ => None,
        },
        oom_failures: oom.len(),
        oom_failures_in_window: oom_in_window.len(),
        oom_at_mbytes: None,
        p95_duration_secs: p95_duration.map(round2),
        projected_p95_duration_secs_cpu_bound: None,
        savings_usd_per_month: None,
        upsize_cost_usd_per_month: None,
        compute_spend_usd_per_month: compute_spend.map(round2),
        warnings: Vec::new(),
    };

    if !oom_in_window.is_empty() {
        let failed_at = oom_in_window
            .iter()
            .filter_map(|d| d.memory_mbytes.filter(|m| *m > 0))
            .max()
            .or(current);
        report.status = MemoryStatus::Upsize;
        report.oom_at_mbytes = failed_at;
        if let Some(m) = failed_at {
            let bumped = oom_bump(m);
            // Runs that failed below the default were given less by their caller: the
            // default stays (never less after an OOM), the callers need `bumped`.
            let rec = current.map_or(bumped, |c| bumped.max(c));
            report.recommended_mbytes = Some(rec);
            if let (Some(cur), Some(spend)) = (current, compute_spend) {
                if rec > cur {
                    report.upsize_cost_usd_per_month =
                        Some(round2(spend * (f64::from(rec) / f64::from(cur) - 1.0)));
                }
            }
            if bumped <= m {
                report.warnings.push(format!(
                    "Runs already at the {MAX_MEMORY_MBYTES} MB maximum ran out of memory: the actor has to use less (smaller batches, fewer concurrent pages)."
                ));
            }
        }
        return report;
    }
    let (Some(p95), Some(max)) = (p95, max) else {
        return report;
    };
    if n < cfg.min_samples_for_memory {
        report.status = MemoryStatus::InsufficientData;
        return report;
    }
    let need = (p95 * PEAK_P95_MARGIN)
        .max(max * PEAK_MAX_MARGIN)
        .max(f64::from(MIN_MEMORY_MBYTES));
    let rec = pow2_memory(need);
    let Some(cur) = current else {
        report.status = MemoryStatus::UnknownAllocation;
        report.recommended_mbytes = Some(rec);
        return report;
    };
    if near_limit || !oom.is_empty() {
        report.status = MemoryStatus::NearLimit;
        report.recommended_mbytes = Some(rec.max(cur));
        return report;
    }
    if rec >= cur {
        report.status = if rec > cur {
            MemoryStatus::Tight
        } else {
            MemoryStatus::RightSized
        };
        report.recommended_mbytes = Some(rec);
        return report;
    }
    // Downsizing: try rec, then each power of two up to the current memory.
    report.status = MemoryStatus::RightSized;
    report.recommended_mbytes = Some(cur);
    let cur_f = f64::from(cur);
    let default_cu: f64 = cus
        .iter()
        .filter(|(m, _)| *m == Some(cur))
        .map(|c| c.1)
        .sum::<f64>()
        / cus.len().max(1) as f64;
    let mut m = rec;
    while m < cur {
        let m_f = f64::from(m);
        let slowdown = usable_cores(cur_f) / usable_cores(m_f);
        let mid = cu_saving_share(cur_f, m_f, CPU_BOUND_MID);
        if mid < MIN_CU_SAVING {
            report.warnings.push(format!(
                "Peaks fit in {rec} MB, but with half the run time CPU-bound less memory saves under {:.0} % of the compute units: kept at {cur} MB.",
                100.0 * MIN_CU_SAVING
            ));
            break;
        }
        let projected = p95_duration.map(|d| d * slowdown);
        let within_timeout = match (projected, timeout_secs) {
            (Some(d), Some(t)) if t > 0 => d < TIMEOUT_HEADROOM * t as f64,
            _ => true,
        };
        if !within_timeout {
            report.warnings.push(format!(
                "{m} MB would put a CPU-bound p95 duration near the timeout; trying {} MB.",
                m * 2
            ));
            m *= 2;
            continue;
        }
        let usd = |u: f64| {
            round2(cu_saving_share(cur_f, m_f, u) * default_cu * succeeded_per_month * price)
        };
        report.status = MemoryStatus::Downsize;
        report.recommended_mbytes = Some(m);
        report.projected_p95_duration_secs_cpu_bound = projected.map(round2);
        report.savings_usd_per_month = Some(Band {
            low: usd(1.0),
            mid: usd(CPU_BOUND_MID),
            high: usd(0.0),
        });
        if slowdown > 1.0 {
            report.warnings.push(format!(
                "Less memory is also less CPU (one core per 4,096 MB): {cur} MB gets {:.2} of a core, {m} MB gets {:.2}. A CPU-bound run may take up to {slowdown:.1}× longer{}; the saving's low end assumes it does.",
                usable_cores(cur_f),
                usable_cores(m_f),
                match (p95_duration, projected) {
                    (Some(d), Some(p)) => format!(" (p95 duration {d:.0} s → up to {p:.0} s)"),
                    _ => String::new(),
                }
            ));
        }
        break;
    }
    report
}

/// The actor's run timeout: its default, else the most common one of its sampled runs.
fn current_timeout(a: &CostActorEvidence) -> Option<u64> {
    a.actor.default_timeout_secs.or_else(|| {
        mode(
            a.succeeded
                .iter()
                .chain(&a.failed)
                .filter_map(|d| d.timeout_secs),
        )
    })
}

/// p99 of finished runs' durations: the window's, or both windows' when the window has
/// fewer than 20 runs; `None` below 20.
fn p99_duration(runs: &RunAggregate) -> Option<(f64, u64)> {
    let cur = &runs.duration_current;
    if cur.count() >= MIN_RUNS_FOR_P99 {
        return cur.quantile(0.99).map(|q| (q, cur.count()));
    }
    let mut all = cur.clone();
    all.merge(&runs.duration_previous);
    (all.count() >= MIN_RUNS_FOR_P99)
        .then(|| all.quantile(0.99).map(|q| (q, all.count())))
        .flatten()
}

/// Timeouts: how often runs time out and what that costs; how long a stuck run could run.
fn timeout_report(
    cfg: &CostConfig,
    a: &CostActorEvidence,
    status: StatusCounts,
    wasted: &Wasted,
) -> TimeoutReport {
    let timeout = current_timeout(a);
    let p99 = p99_duration(&a.runs);
    let gb = current_memory(a).map(|m| f64::from(m) / 1024.0);
    let exposure = match (timeout, p99, gb) {
        (Some(0), _, Some(gb)) => Some(gb * 24.0 * cfg.price_per_compute_unit_usd),
        (Some(t), Some((p, _)), Some(gb)) => {
            Some(gb * (t as f64 - p).max(0.0) / 3600.0 * cfg.price_per_compute_unit_usd)
        }
        _ => None,
    };
    TimeoutReport {
        timeout_secs: timeout,
        p99_duration_secs: p99.map(|p| round2(p.0)),
        duration_n: p99.map_or(0, |p| p.1),
        timed_out: status.timed_out,
        timed_out_share: (status.decided() > 0)
            .then(|| round4(status.timed_out as f64 / status.decided() as f64)),
        timed_out_usd: wasted.timed_out_usd,
        runaway_exposure_usd: exposure.map(round2),
    }
}

/// Runs RUNNING now for ≥ 3× the p99 duration and ≥ 15 minutes beyond it. READY runs wait
/// for capacity and burn nothing; TIMING-OUT and ABORTING ones are already ending.
fn stuck_runs(cfg: &CostConfig, a: &CostActorEvidence, as_of: DateTime<Utc>) -> Vec<StuckRun> {
    let Some((p99, _)) = p99_duration(&a.runs) else {
        return Vec::new();
    };
    let timeout = current_timeout(a).filter(|t| *t > 0);
    let gb = current_memory(a).map(|m| f64::from(m) / 1024.0);
    let mut out: Vec<StuckRun> = a
        .unfinished
        .iter()
        .filter(|r| r.status == JobStatus::Running)
        .filter_map(|r| {
            let secs = (as_of - r.started_at).num_milliseconds() as f64 / 1000.0;
            if secs < (STUCK_FACTOR * p99).max(p99 + STUCK_MIN_EXCESS_SECS) {
                return None;
            }
            let so_far = nonneg(r.usage_total_usd);
            let rate = if so_far > 0.0 {
                so_far / secs
            } else {
                gb.map_or(0.0, |gb| gb * cfg.price_per_compute_unit_usd / 3600.0)
            };
            let left = match timeout {
                Some(t) if (t as f64) > secs => t as f64 - secs,
                // No timeout, or this run's own timeout differs from the default.
                _ => STUCK_HORIZON_SECS,
            };
            Some(StuckRun {
                run_id: r.id.clone(),
                started_at: r.started_at,
                running_secs: round2(secs),
                p99_duration_secs: round2(p99),
                cost_so_far_usd: round4(so_far),
                projected_further_usd: round2(rate * left),
                console_url: format!(
                    "https://console.apify.com/actors/{}/runs/{}",
                    a.actor.id, r.id
                ),
            })
        })
        .collect();
    out.sort_by(|x, y| {
        x.started_at
            .cmp(&y.started_at)
            .then(x.run_id.cmp(&y.run_id))
    });
    out
}

/// Charged events per run of pay-per-event actors, from the sampled runs' `chargedEventCounts`.
fn pay_per_event(a: &CostActorEvidence) -> Option<PayPerEvent> {
    let runs: Vec<&RunDetail> = a
        .succeeded
        .iter()
        .chain(&a.failed)
        .filter(|d| !d.charged_event_counts.is_empty())
        .collect();
    if runs.is_empty() {
        return None;
    }
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for d in &runs {
        for (event, count) in &d.charged_event_counts {
            *totals.entry(event.clone()).or_insert(0.0) += *count as f64;
        }
    }
    let costs: Vec<f64> = runs
        .iter()
        .filter_map(|d| d.usage_total_usd.filter(is_finite_nonneg))
        .collect();
    Some(PayPerEvent {
        runs_sampled: runs.len(),
        events_per_run: totals
            .into_iter()
            .map(|(k, v)| (k, round4(v / runs.len() as f64)))
            .collect(),
        cost_per_run_usd: (!costs.is_empty())
            .then(|| round4(costs.iter().sum::<f64>() / costs.len() as f64)),
    })
}

fn actor_candidates(
    cfg: &CostConfig,
    i: usize,
    a: &CostActorEvidence,
    r: &ActorCost,
    windows: Windows,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let name = a.actor.full_name();
    let weeks = (r.daily_cost_usd.len().max(1) as f64) / 7.0;
    let per_month =
        |usd_in_window: f64| usd_in_window / r.daily_cost_usd.len().max(1) as f64 * DAYS_PER_MONTH;
    let candidate = |rule, severity, title, evidence, impact, recommendation| Candidate {
        actor: Some(i),
        rule,
        id_key: None,
        severity,
        title,
        evidence,
        impact,
        recommendation,
        console_url: None,
    };

    // Cost anomaly.
    let an = &r.anomaly;
    if an.flagged {
        let extra = an.extra_usd_per_day.unwrap_or(0.0);
        let usd = round2(extra * DAYS_PER_MONTH);
        let drivers = an.drivers.as_ref();
        let primary = drivers.map_or("unknown", |d| d.primary);
        let (phrase, advice) = driver_text(primary, drivers);
        out.push(candidate(
            "CW-COST-ANOMALY",
            money_severity(usd),
            format!(
                "{name}: ${:.2}/day over the last {} days against a usual ${:.2}/day, {phrase}",
                an.recent_daily_usd,
                an.recent_days,
                an.baseline_median_daily_usd.unwrap_or(0.0)
            ),
            json!({
                "metric": "dailyCostUsd", "baseline": an.baseline_median_daily_usd,
                "current": an.recent_daily_usd, "n": an.baseline_days,
                "recentDays": an.recent_days, "extraUsdPerDay": an.extra_usd_per_day,
                "z": an.z, "scaleMethod": an.scale_method,
                "test": "modified z of ln(1 + daily cost), one-sided normal tail",
                "pValue": an.p_value, "qValue": an.q_value, "drivers": drivers,
            }),
            Impact {
                usd_per_month: Some(usd),
                ..Impact::default()
            },
            advice,
        ));
    }

    // Out of memory: the failures come first; an upsize costs more per run.
    let mem = &r.memory;
    let mut claimed = 0.0;
    // One out-of-memory failure in a month of runs is reported in OUTPUT, not alerted: a
    // fleet without a real problem must stay quiet.
    let oom_alert = mem.oom_failures_in_window >= OOM_MIN_FAILURES
        || mem.oom_failures_in_window as f64 >= OOM_MIN_SHARE * r.runs.decided().max(1) as f64;
    if mem.status == MemoryStatus::Upsize && oom_alert {
        let in_window: Vec<&RunDetail> = a
            .failed
            .iter()
            .filter(|d| {
                matches!(d.status, JobStatus::Failed | JobStatus::TimedOut)
                    && d.started_at.is_none_or(|t| t >= windows.current_start())
            })
            .collect();
        let share = mem.oom_failures_in_window as f64 / in_window.len().max(1) as f64;
        let failures = r.runs.failures() as f64;
        // Sampled shares scale to the window's failures; at least the sampled ones happened.
        let oom_runs = (share * failures).max(mem.oom_failures_in_window as f64);
        let per_week = oom_runs / weeks;
        let usd = round2(per_month(
            share * (r.wasted.failed_usd + r.wasted.timed_out_usd),
        ));
        claimed += usd;
        let decided = r.runs.decided().max(1) as f64;
        let severity = if oom_runs / decided >= 0.10 || per_week >= 5.0 {
            Severity::High
        } else {
            Severity::Medium
        };
        let rec = mem.recommended_mbytes;
        out.push(candidate(
            "CW-MEM-UNDERPROVISIONED",
            severity,
            format!(
                "{name}: {} sampled runs in the last {} days ran out of memory{}",
                mem.oom_failures_in_window,
                r.daily_cost_usd.len(),
                rec.map(|m| format!("; give them {m} MB")).unwrap_or_default()
            ),
            json!({
                "metric": "outOfMemoryFailures", "current": mem.oom_failures_in_window,
                "n": in_window.len(), "estimatedInWindow": round2(oom_runs),
                "currentMbytes": mem.current_mbytes, "recommendedMbytes": rec,
                "upsizeCostUsdPerMonth": mem.upsize_cost_usd_per_month,
            }),
            Impact {
                usd_per_month: Some(usd),
                failed_runs_per_week: Some(round2(per_week)),
                callers_affected: None,
            },
            match (rec, mem.current_mbytes, mem.oom_at_mbytes) {
                (_, Some(cur), Some(at)) if at < cur => format!(
                    "The runs that ran out of memory were started with {at} MB, less than the default {cur} MB: callers override it too low. Ask them for at least {} MB, or set minMemoryMbytes in actor.json.",
                    oom_bump(at)
                ),
                (Some(m), _, _) => format!(
                    "Raise the default memory to {m} MB (Console → Settings → Memory), or make the actor use less; each larger size also doubles the CPU. The extra compute is at most ${:.2}/month.",
                    mem.upsize_cost_usd_per_month.unwrap_or(0.0)
                ),
                _ => "Raise the memory of the failing runs, or make the actor use less.".into(),
            },
        ));
    }

    // Memory over-provisioned.
    if let (MemoryStatus::Downsize, Some(band), Some(rec), Some(cur)) = (
        mem.status,
        mem.savings_usd_per_month,
        mem.recommended_mbytes,
        mem.current_mbytes,
    ) {
        let spend = mem.compute_spend_usd_per_month.unwrap_or(0.0);
        if band.high >= SIGNAL_MIN_USD_PER_MONTH
            && band.mid >= MEMORY_MIN_MID_USD_PER_MONTH
            && band.mid >= MEMORY_MIN_SAVING_SHARE * spend
        {
            out.push(candidate(
                "CW-MEM-OVERPROVISIONED",
                money_severity(band.mid).min(Severity::Medium),
                format!(
                    "{name}: {cur} MB allocated, successful runs peak at {:.0} MB (p95 of {}); {rec} MB would save about ${:.2}/month",
                    mem.peak_p95_mbytes.unwrap_or(0.0),
                    mem.samples,
                    band.mid
                ),
                json!({
                    "metric": "memoryPeakMbytes", "baseline": cur, "current": mem.peak_p95_mbytes,
                    "max": mem.peak_max_mbytes, "n": mem.samples, "recommendedMbytes": rec,
                    "savingsUsdPerMonth": band, "computeSpendUsdPerMonth": mem.compute_spend_usd_per_month,
                    "p95DurationSecs": mem.p95_duration_secs,
                    "projectedP95DurationSecsCpuBound": mem.projected_p95_duration_secs_cpu_bound,
                    "pricePerComputeUnitUsd": cfg.price_per_compute_unit_usd,
                }),
                Impact {
                    usd_per_month: Some(band.mid),
                    ..Impact::default()
                },
                format!(
                    "Set the default memory to {rec} MB (Console → Settings → Memory) and watch the next runs' duration: saving ${:.2}–${:.2}/month depending on how CPU-bound they are.{}",
                    band.low,
                    band.high,
                    mem.warnings.last().map(|w| format!(" {w}")).unwrap_or_default()
                ),
            ));
        }
    }

    // Timed-out runs.
    let t = &r.timeouts;
    let share = t.timed_out_share.unwrap_or(0.0);
    if t.timed_out >= TIMEOUT_MIN_RUNS && share >= TIMEOUT_MIN_SHARE {
        let usd = round2(per_month(r.wasted.timed_out_usd));
        claimed += usd;
        let mut severity = money_severity(usd);
        if share >= TIMEOUT_MEDIUM_SHARE {
            severity = severity.max(Severity::Medium);
        }
        out.push(candidate(
            "CW-TIMEOUT-WASTE",
            severity,
            format!(
                "{name}: {} runs ({:.0} %) timed out in the last {} days, costing ${:.2}",
                t.timed_out,
                100.0 * share,
                r.daily_cost_usd.len(),
                r.wasted.timed_out_usd
            ),
            json!({
                "metric": "timedOutShare", "current": share, "n": r.runs.decided(),
                "timedOut": t.timed_out, "timedOutUsd": r.wasted.timed_out_usd,
                "timeoutSecs": t.timeout_secs, "p99DurationSecs": t.p99_duration_secs,
            }),
            Impact {
                usd_per_month: Some(usd),
                failed_runs_per_week: Some(round2(t.timed_out as f64 / weeks)),
                callers_affected: None,
            },
            "A timed-out run pays for its whole timeout and delivers nothing. If successful runs come close to the timeout, raise it (or the memory, which brings CPU); otherwise read the last log lines of a timed-out run to find where it hangs.".into(),
        ));
    }

    // Wasted spend beyond what the specific signals above report.
    let w = &r.wasted;
    let rest = round2((w.usd_per_month - claimed).max(0.0));
    if w.share.unwrap_or(0.0) >= WASTE_MIN_SHARE && rest >= SIGNAL_MIN_USD_PER_MONTH {
        out.push(candidate(
            "CW-WASTED-SPEND",
            money_severity(rest),
            format!(
                "{name}: {:.0} % of its spend (${:.2} in {} days) went to runs that failed, timed out or were aborted",
                100.0 * w.share.unwrap_or(0.0),
                w.total_usd,
                r.daily_cost_usd.len()
            ),
            json!({
                "metric": "wastedShare", "current": w.share, "n": r.runs.finished(),
                "failedUsd": w.failed_usd, "timedOutUsd": w.timed_out_usd, "abortedUsd": w.aborted_usd,
                "failed": r.runs.failed, "timedOut": r.runs.timed_out, "aborted": r.runs.aborted,
                "usdPerMonth": w.usd_per_month, "reportedByOtherSignalsUsdPerMonth": round2(claimed),
                "estimate": "per-status mean cost from sampled run details, scaled to the window's cost",
            }),
            Impact {
                usd_per_month: Some(rest),
                failed_runs_per_week: Some(round2(r.runs.failures() as f64 / weeks)),
                callers_affected: None,
            },
            "Open the newest failed runs in Console and fix the commonest error; if callers abort runs, find out why (wrong input, too slow). Failing fast (validate input first) makes the remaining failures cheap.".into(),
        ));
    }

    // Timeout far above what runs need.
    if let (Some(timeout), Some(p99), Some(exposure)) =
        (t.timeout_secs, t.p99_duration_secs, t.runaway_exposure_usd)
    {
        // With no timeout the exposure is per day and unbounded: $1 a day is enough to say so.
        let (too_long, min_exposure) = if timeout == 0 {
            (true, 1.0)
        } else {
            (
                timeout as f64 >= TIMEOUT_TOO_LONG_FACTOR * p99,
                RUNAWAY_MIN_USD,
            )
        };
        if too_long && exposure >= min_exposure {
            let suggested = ((3.0 * p99).max(300.0) / 60.0).ceil() as u64 * 60;
            out.push(candidate(
                "CW-TIMEOUT-TOO-LONG",
                // Nothing is burning yet: a hygiene note, not an alert.
                Severity::Info,
                if timeout == 0 {
                    format!("{name}: no run timeout, while runs take at most {p99:.0} s (p99); a stuck run burns ${exposure:.2} a day")
                } else {
                    format!("{name}: timeout {timeout} s is {:.0}× the p99 duration ({p99:.0} s); a stuck run burns up to ${exposure:.2}", timeout as f64 / p99.max(1.0))
                },
                json!({
                    "metric": "timeoutSecs", "current": timeout, "baseline": p99,
                    "n": t.duration_n, "runawayExposureUsd": exposure, "suggestedTimeoutSecs": suggested,
                }),
                Impact::default(),
                format!("Set the default run timeout to about {suggested} s (3× the p99 duration, at least 5 minutes): a stuck run then stops by itself."),
            ));
        }
    }

    // Runs stuck now.
    for s in &r.stuck_runs {
        out.push(Candidate {
            actor: Some(i),
            rule: "CW-STUCK-RUN",
            id_key: Some(s.run_id.clone()),
            severity: if s.projected_further_usd >= RUNAWAY_MIN_USD {
                Severity::High
            } else {
                Severity::Medium
            },
            title: format!(
                "{name}: run {} has been RUNNING for {:.1} h, {:.0}× its p99 duration, and cost ${:.2} so far",
                s.run_id,
                s.running_secs / 3600.0,
                s.running_secs / s.p99_duration_secs.max(1.0),
                s.cost_so_far_usd
            ),
            evidence: json!({
                "metric": "runningSecs", "current": s.running_secs, "baseline": s.p99_duration_secs,
                "n": t.duration_n, "runId": s.run_id, "startedAt": s.started_at,
                "costSoFarUsd": s.cost_so_far_usd, "projectedFurtherUsd": s.projected_further_usd,
            }),
            impact: Impact {
                usd_per_month: Some(s.projected_further_usd),
                ..Impact::default()
            },
            recommendation: format!(
                "Open {} and read its last log lines; if it is stuck, abort it. Then set a timeout near 3× the p99 duration.",
                s.console_url
            ),
            console_url: Some(s.console_url.clone()),
        });
    }
    out
}

fn driver_text(primary: &str, d: Option<&Drivers>) -> (String, String) {
    let x = |r: Option<f64>| {
        r.map(|r| format!("{r:.1}×"))
            .unwrap_or_else(|| "more".into())
    };
    match (primary, d) {
        ("moreRuns", Some(d)) => (
            format!("mostly more runs ({} per day)", x(d.runs_ratio)),
            "Runs per day grew: check schedules, webhooks and the callers (runs by origin). If the growth is legitimate, this is usage, not a fault: raise the budget instead.".into(),
        ),
        ("longerRuns", Some(d)) => (
            format!("mostly longer runs ({} the duration)", x(d.duration_ratio)),
            "Runs take longer: compare recent runs' inputs and build with the baseline's; a slower target site, retries or a regression in the latest build show up here.".into(),
        ),
        ("moreMemory", Some(d)) => (
            format!("mostly more memory per run ({})", x(d.memory_ratio)),
            "Runs use more memory: a caller or the default memory changed. See the memory right-sizing of this actor.".into(),
        ),
        ("otherUsage", Some(d)) => (
            format!("mostly costlier per GB-hour ({}): proxies, storage, transfer or events", x(d.other_ratio)),
            "The cost per GB-hour rose: check recent runs' usage breakdown in Console (residential proxy, dataset writes, data transfer, pay-per-event charges).".into(),
        ),
        ("newActivity", _) => (
            "after a quiet baseline".into(),
            "The actor had no cost in its baseline: check who started it (runs by origin) and whether it was meant to run.".into(),
        ),
        _ => (
            "with no clear driver".into(),
            "Compare recent runs' count, duration, memory and usage breakdown with the weeks before.".into(),
        ),
    }
}

fn budget_candidate(b: &Budget, month: &MonthSpend) -> Option<Candidate> {
    let p = &month.projection;
    let (severity, overrun) = match b.status {
        BudgetStatus::Ok => return None,
        BudgetStatus::Over => (Severity::Critical, p.month_end_usd - b.monthly_budget_usd),
        BudgetStatus::ProjectedOver => (Severity::High, p.month_end_usd - b.monthly_budget_usd),
        // Only the worst case crosses: its overrun is the money at stake.
        BudgetStatus::AtRisk => (
            Severity::Medium,
            p.high_usd.unwrap_or(p.month_end_usd) - b.monthly_budget_usd,
        ),
    };
    let title = match (b.status, b.crossed_on, b.projected_crossing_on) {
        (BudgetStatus::Over, Some(d), _) => format!(
            "The fleet went over its ${:.2} monthly budget on {d}; ${:.2} projected by month end",
            b.monthly_budget_usd, p.month_end_usd
        ),
        (BudgetStatus::Over, None, _) => format!(
            "The fleet is over its ${:.2} monthly budget; ${:.2} projected by month end",
            b.monthly_budget_usd, p.month_end_usd
        ),
        (BudgetStatus::ProjectedOver, _, Some(d)) => format!(
            "The fleet is projected to cross its ${:.2} monthly budget on {d} and end the month at ${:.2}",
            b.monthly_budget_usd, p.month_end_usd
        ),
        _ => format!(
            "The fleet may cross its ${:.2} monthly budget: ${:.2} projected, up to ${:.2}",
            b.monthly_budget_usd,
            p.month_end_usd,
            p.high_usd.unwrap_or(p.month_end_usd)
        ),
    };
    Some(Candidate {
        actor: None,
        rule: "CW-BUDGET-AT-RISK",
        id_key: None,
        severity,
        title,
        evidence: json!({
            "metric": "projectedMonthUsd", "baseline": b.monthly_budget_usd,
            "current": p.month_end_usd, "low": p.low_usd, "high": p.high_usd, "level": p.level,
            "monthToDateUsd": month.month_to_date_usd, "dailyRateUsd": p.daily_rate_usd,
            "n": p.days_used, "crossedOn": b.crossed_on,
            "projectedCrossingOn": b.projected_crossing_on, "earliestCrossingOn": b.earliest_crossing_on,
        }),
        impact: Impact {
            usd_per_month: Some(round2(overrun.max(0.0))),
            ..Impact::default()
        },
        recommendation: "Look at the actors with the largest projected spend and any cost anomaly below; set a usage limit in Console (Billing → Limits) if the month must not go over.".into(),
        console_url: Some(BILLING_URL.into()),
    })
}

fn actor_row(r: &ActorCost, signals: &[Signal]) -> ActorRow {
    ActorRow {
        actor_name: r.actor_name.clone(),
        actor_id: r.actor_id.clone(),
        cost_usd: r.cost_usd,
        previous_cost_usd: r.previous_cost_usd,
        month_to_date_usd: r.month.month_to_date_usd,
        projected_month_usd: r.month.projection.month_end_usd,
        projected_month_low_usd: r.month.projection.low_usd,
        projected_month_high_usd: r.month.projection.high_usd,
        runs: r.runs.total(),
        succeeded: r.runs.succeeded,
        failed: r.runs.failed,
        timed_out: r.runs.timed_out,
        aborted: r.runs.aborted,
        running: r.runs.running,
        cost_per_run_usd: r.cost_per_run_usd,
        cost_per_successful_run_usd: r.cost_per_successful_run_usd,
        wasted_usd: r.wasted.total_usd,
        wasted_share: r.wasted.share,
        anomaly_z: r.anomaly.z.filter(|z| z.is_finite()),
        anomaly_q_value: r.anomaly.q_value,
        anomaly_driver: r
            .anomaly
            .flagged
            .then(|| r.anomaly.drivers.as_ref().map(|d| d.primary))
            .flatten(),
        memory_status: r.memory.status,
        current_memory_mbytes: r.memory.current_mbytes,
        recommended_memory_mbytes: r.memory.recommended_mbytes,
        memory_savings_usd_per_month: r.memory.savings_usd_per_month.map(|b| b.mid),
        timeout_secs: r.timeouts.timeout_secs,
        p99_duration_secs: r.timeouts.p99_duration_secs,
        timed_out_usd: r.timeouts.timed_out_usd,
        stuck_runs: r.stuck_runs.len(),
        signals: r.signals.len(),
        // Signals are ranked, so the first one about this actor is its top issue.
        top_issue: signals
            .iter()
            .find(|s| s.subject.actor_id == r.actor_id)
            .map(|s| s.title.clone()),
        console_url: r.console_url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Decision;
    use chrono::TimeZone;

    fn as_of() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap()
    }
    fn windows() -> Windows {
        Windows::new(as_of(), 30)
    }

    /// Deterministic noise in [1 − amp, 1 + amp] from (seed, day): no RNG, no clock.
    fn noise(seed: u64, day: i64, amp: f64) -> f64 {
        let mut h = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (day as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
        h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 29;
        let u = (h >> 11) as f64 / (1u64 << 53) as f64;
        1.0 + amp * (2.0 * u - 1.0)
    }

    /// A median written independently of the crate's, for recomputing figures.
    fn median_of(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let n = xs.len();
        if n % 2 == 1 {
            xs[n / 2]
        } else {
            (xs[n / 2 - 1] + xs[n / 2]) / 2.0
        }
    }

    fn actor(id: &str) -> ActorInfo {
        ActorInfo {
            id: id.into(),
            name: id.into(),
            username: Some("dev".into()),
            title: None,
            created_at: None,
            default_memory_mbytes: Some(1024),
            default_timeout_secs: Some(3600),
            latest_build_id: None,
            users_30_days: None,
        }
    }

    /// One run of a day: status, cost, duration in seconds.
    #[derive(Clone, Copy)]
    struct R(JobStatus, f64, f64);

    /// Folds `runs(day_ago)` for the 60 days of the range (day_ago 0 ends at as_of).
    fn aggregate(runs: impl Fn(i64) -> Vec<R>) -> RunAggregate {
        let mut agg = RunAggregate::new(windows());
        for day in 0..60i64 {
            for (k, R(status, cost, secs)) in runs(day).into_iter().enumerate() {
                let started =
                    as_of() - Duration::days(day + 1) + Duration::minutes(30 + 5 * k as i64);
                agg.add(&RunRecord {
                    id: format!("r{day}-{k}"),
                    status,
                    started_at: started,
                    finished_at: status
                        .is_terminal()
                        .then(|| started + Duration::milliseconds((secs * 1000.0) as i64)),
                    build_number: None,
                    origin: Some("API".into()),
                    usage_total_usd: cost,
                });
            }
        }
        agg
    }

    fn detail(k: usize, status: JobStatus, memory: u32, peak_mb: f64, secs: f64) -> RunDetail {
        let started = as_of() - Duration::hours(2 + k as i64);
        let cu = f64::from(memory) / 1024.0 * secs / 3600.0;
        RunDetail {
            id: format!("d{k}"),
            status,
            memory_mbytes: Some(memory),
            timeout_secs: Some(3600),
            mem_max_bytes: Some(peak_mb * MIB),
            run_time_secs: Some(secs),
            compute_units: Some(cu),
            dataset_writes: None,
            started_at: Some(started),
            finished_at: Some(started + Duration::seconds(secs as i64)),
            exit_code: Some(if status == JobStatus::Succeeded { 0 } else { 1 }),
            status_message: None,
            usage_total_usd: Some(cu * 0.4),
            charged_event_counts: BTreeMap::new(),
        }
    }

    /// 25 successful runs of 1024 MB peaking at 560..680 MB: right-sized.
    fn right_sized_samples() -> Vec<RunDetail> {
        (0..25)
            .map(|k| detail(k, JobStatus::Succeeded, 1024, 560.0 + 5.0 * k as f64, 120.0))
            .collect()
    }

    fn evidence_of(id: &str, runs: RunAggregate, succeeded: Vec<RunDetail>) -> CostActorEvidence {
        CostActorEvidence {
            actor: actor(id),
            runs,
            succeeded,
            failed: Vec::new(),
            unfinished: Vec::new(),
        }
    }

    /// 10 runs a day of 120 s; one in 50 fails; `per_run` dollars each, ±15 % day to day.
    fn healthy(id: &str, seed: u64, per_run: f64) -> CostActorEvidence {
        let agg = aggregate(|d| {
            (0..10)
                .map(|k| {
                    let status = if (d * 10 + k) % 50 == 0 {
                        JobStatus::Failed
                    } else {
                        JobStatus::Succeeded
                    };
                    R(status, per_run * noise(seed, d, 0.15), 120.0)
                })
                .collect()
        });
        evidence_of(id, agg, right_sized_samples())
    }

    fn analyze_with(config: &CostConfig, actors: Vec<CostActorEvidence>) -> CostFindings {
        analyze(
            config,
            &CostEvidence {
                windows: windows(),
                actors,
            },
        )
    }
    fn analyze_fleet(actors: Vec<CostActorEvidence>) -> CostFindings {
        analyze_with(&CostConfig::default(), actors)
    }

    fn rules_of(f: &CostFindings, id: &str) -> Vec<String> {
        f.output
            .signals
            .iter()
            .filter(|s| s.subject.actor_id == id)
            .map(|s| s.rule.clone())
            .collect()
    }
    fn report<'a>(f: &'a CostFindings, id: &str) -> &'a ActorCost {
        f.output.actors.iter().find(|a| a.actor_id == id).unwrap()
    }

    /// Planted: "batch" quadruples its runs in the last 7 days; "fat" runs 4,096 MB and
    /// peaks under 500 MB. Eight healthy actors around them.
    fn seeded_fleet() -> Vec<CostActorEvidence> {
        let mut actors: Vec<CostActorEvidence> = (0..8)
            .map(|i| healthy(&format!("ok{i}"), i, 0.05 + 0.25 * i as f64))
            .collect();
        let batch = aggregate(|d| {
            let n = if d < 7 { 40 } else { 10 };
            (0..n)
                .map(|_| R(JobStatus::Succeeded, 0.5 * noise(99, d, 0.1), 120.0))
                .collect()
        });
        actors.push(evidence_of("batch", batch, right_sized_samples()));
        let cu = 4.0 * 600.0 / 3600.0;
        let fat_runs = aggregate(|_| {
            (0..10)
                .map(|_| R(JobStatus::Succeeded, cu * 0.4, 600.0))
                .collect()
        });
        let mut fat = evidence_of(
            "fat",
            fat_runs,
            (0..25)
                .map(|k| detail(k, JobStatus::Succeeded, 4096, 400.0 + 4.0 * k as f64, 600.0))
                .collect(),
        );
        fat.actor.default_memory_mbytes = Some(4096);
        actors.push(fat);
        actors
    }

    #[test]
    fn the_output_opens_with_the_decision_contract() {
        let f = analyze_fleet(vec![healthy("ok", 1, 0.1)]);
        let text = serde_json::to_string(&f.output).unwrap();
        assert!(
            text.starts_with(
                r#"{"schemaVersion":1,"tool":"cost-watchdog","decision":"ignore","reasonCodes":[],"summary":"#
            ),
            "{}",
            &text[..120]
        );
    }

    #[test]
    fn a_fleet_with_no_planted_problem_raises_nothing() {
        let actors = (0..12)
            .map(|i| healthy(&format!("ok{i}"), i, 0.05 + 0.2 * i as f64))
            .collect();
        let config = CostConfig {
            monthly_budget_usd: Some(100_000.0),
            ..Default::default()
        };
        let f = analyze_with(&config, actors);
        assert!(f.output.signals.is_empty(), "{:#?}", f.output.signals);
        assert_eq!(f.output.head.decision, Decision::Ignore);
        assert_eq!(f.output.fleet.anomaly_family.tested, 12);
        assert_eq!(
            f.output.fleet.budget.as_ref().unwrap().status,
            BudgetStatus::Ok
        );
        for a in &f.output.actors {
            assert_eq!(a.memory.status, MemoryStatus::RightSized, "{}", a.actor_id);
            assert_eq!(a.memory.recommended_mbytes, Some(1024));
        }
    }

    #[test]
    fn the_top_cost_signal_of_a_seeded_fleet_names_the_actor_the_cause_and_the_money() {
        let f = analyze_fleet(seeded_fleet());
        let top = &f.output.signals[0];
        assert_eq!(top.rule, "CW-COST-ANOMALY");
        assert_eq!(top.subject.actor_id, "batch");
        assert_eq!(top.evidence["drivers"]["primary"], "moreRuns");
        // Recomputed from the plant: recent mean daily cost − baseline median, per month.
        let recent: f64 = (0..7).map(|d| 40.0 * 0.5 * noise(99, d, 0.1)).sum::<f64>() / 7.0;
        let baseline = median_of((7..35).map(|d| 10.0 * 0.5 * noise(99, d, 0.1)).collect());
        let expected = (recent - baseline) * DAYS_PER_MONTH;
        let usd = top.impact.usd_per_month.unwrap();
        assert!(
            (usd - expected).abs() < 0.02,
            "usd {usd} expected {expected}"
        );
        assert!(top.evidence["qValue"].as_f64().unwrap() <= 0.10);
        assert_eq!(f.output.head.decision, Decision::ActNow);

        // The memory plant: 4,096 → 1,024 MB, half CPU-bound saves 37.5 % of the CU.
        assert_eq!(rules_of(&f, "fat"), ["CW-MEM-OVERPROVISIONED"]);
        let fat = report(&f, "fat");
        assert_eq!(fat.memory.recommended_mbytes, Some(1024));
        let runs_per_month = 300.0 / 30.0 * DAYS_PER_MONTH;
        let mid = 0.375 * (4.0 * 600.0 / 3600.0) * runs_per_month * 0.40;
        let band = fat.memory.savings_usd_per_month.unwrap();
        assert!((band.mid - mid).abs() < 0.01, "{band:?} vs {mid}");
        assert_eq!(band.low, 0.0); // fully CPU-bound: a quarter of the memory, 4× the time
        assert!((band.high - 2.0 * mid).abs() < 0.02);
        assert!(fat.memory.warnings.iter().any(|w| w.contains("less CPU")));
        for i in 0..8 {
            assert!(rules_of(&f, &format!("ok{i}")).is_empty());
        }
    }

    #[test]
    fn benjamini_hochberg_runs_over_every_tested_actor() {
        let mut actors: Vec<CostActorEvidence> = (0..60)
            .map(|i| healthy(&format!("q{i}"), 1000 + i, 0.3))
            .collect();
        actors.push(seeded_fleet().swap_remove(8)); // batch
        let f = analyze_fleet(actors);
        assert_eq!(f.output.fleet.anomaly_family.tested, 61);
        assert_eq!(f.output.fleet.anomaly_family.flagged, 1);
        let an = &report(&f, "batch").anomaly;
        let (p, q) = (an.p_value.unwrap(), an.q_value.unwrap());
        // q-values are rounded to 4 decimals; the smallest p gets q = min(1, p·m).
        assert!(
            (q - round4((p * 61.0).min(1.0))).abs() < 1e-12,
            "p {p} q {q}"
        );
        for r in &f.output.actors {
            if let (Some(p), Some(q)) = (r.anomaly.p_value, r.anomaly.q_value) {
                assert!(q + 5e-5 >= p, "{}: p {p} q {q}", r.actor_id);
            }
        }
    }

    #[test]
    fn a_large_noisy_fleet_stays_quiet_even_without_the_impact_gate() {
        let actors: Vec<CostActorEvidence> = (0..150)
            .map(|i| {
                let agg = aggregate(|d| {
                    (0..4)
                        .map(|_| R(JobStatus::Succeeded, 3.0 * noise(i, d, 0.4), 60.0))
                        .collect()
                });
                evidence_of(&format!("n{i}"), agg, Vec::new())
            })
            .collect();
        let config = CostConfig {
            anomaly_min_usd_per_day: 0.0,
            anomaly_min_ratio: 0.0,
            ..Default::default()
        };
        let f = analyze_with(&config, actors);
        assert_eq!(f.output.fleet.anomaly_family.tested, 150);
        assert!(f.output.signals.is_empty(), "{:#?}", f.output.signals[0]);
    }

    #[test]
    fn a_constant_cost_baseline_does_not_divide_by_zero() {
        let flat = aggregate(|_| {
            (0..10)
                .map(|_| R(JobStatus::Succeeded, 1.0, 60.0))
                .collect()
        });
        let jump = aggregate(|d| {
            let c = if d < 7 { 3.0 } else { 1.0 };
            (0..10).map(|_| R(JobStatus::Succeeded, c, 60.0)).collect()
        });
        let f = analyze_fleet(vec![
            evidence_of("flat", flat, right_sized_samples()),
            evidence_of("jump", jump, right_sized_samples()),
        ]);
        let flat = &report(&f, "flat").anomaly;
        assert_eq!(flat.z, Some(0.0));
        assert_eq!(flat.scale_method, Some("floor"));
        let jump = &report(&f, "jump").anomaly;
        assert!(jump.z.unwrap().is_finite() && jump.z.unwrap() > 3.5);
        assert!(jump.flagged);
        // Each run costs 3× with the same count and duration: the driver is "other usage".
        assert_eq!(jump.drivers.as_ref().unwrap().primary, "otherUsage");
        assert_eq!(rules_of(&f, "jump"), ["CW-COST-ANOMALY"]);
    }

    #[test]
    fn a_rise_below_the_impact_gate_is_not_an_anomaly() {
        // $1/day → $3/day: a large z, but $2/day is under the $5/day gate.
        let small = aggregate(|d| {
            let c = if d < 7 { 0.3 } else { 0.1 * noise(5, d, 0.1) };
            (0..10).map(|_| R(JobStatus::Succeeded, c, 60.0)).collect()
        });
        let f = analyze_fleet(vec![evidence_of("small", small, right_sized_samples())]);
        let an = &report(&f, "small").anomaly;
        assert!(an.z.unwrap() > 3.5 && !an.passes_impact_gate && !an.flagged);
        assert!(f.output.signals.is_empty());
    }

    #[test]
    fn longer_runs_are_named_as_the_driver() {
        let slow = aggregate(|d| {
            let (c, secs) = if d < 7 { (2.0, 600.0) } else { (0.5, 150.0) };
            (0..10)
                .map(|_| R(JobStatus::Succeeded, c * noise(7, d, 0.05), secs))
                .collect()
        });
        let f = analyze_fleet(vec![evidence_of("slow", slow, right_sized_samples())]);
        let an = &report(&f, "slow").anomaly;
        assert!(an.flagged);
        let d = an.drivers.as_ref().unwrap();
        assert_eq!(d.primary, "longerRuns");
        assert!((d.duration_ratio.unwrap() - 4.0).abs() < 0.01);
        assert!((d.runs_ratio.unwrap() - 1.0).abs() < 1e-9);
        let contributions: f64 = d.log_contributions.values().sum();
        assert!((contributions - d.cost_ratio.unwrap().ln()).abs() < 1e-3);
    }

    #[test]
    fn days_before_the_actor_existed_are_not_its_baseline() {
        let young = aggregate(|d| {
            if d < 12 {
                (0..10)
                    .map(|_| R(JobStatus::Succeeded, 2.0, 60.0))
                    .collect()
            } else {
                Vec::new()
            }
        });
        let mut e = evidence_of("young", young, right_sized_samples());
        e.actor.created_at = Some(as_of() - Duration::days(12));
        let f = analyze_fleet(vec![e]);
        let r = report(&f, "young");
        assert_eq!(r.anomaly.status, AnomalyStatus::InsufficientHistory);
        assert!(f.output.signals.is_empty());
        // Its projection uses its 12 active days only: $20/day.
        assert!((r.month.projection.daily_rate_usd - 20.0).abs() < 1e-9);
    }

    #[test]
    fn month_to_date_and_the_projection_interval_match_a_hand_computation() {
        let costs = |d: i64| 10.0 + (d % 5) as f64; // day_ago d costs this
        let agg = aggregate(|d| vec![R(JobStatus::Succeeded, costs(d), 60.0)]);
        let f = analyze_fleet(vec![evidence_of("a", agg, Vec::new())]);
        let m = &f.output.fleet.month;
        assert_eq!(m.month, "2026-11");
        assert_eq!(m.days_in_month, 30);
        assert_eq!(m.elapsed_days, 15.0);
        assert_eq!(m.observed_days, 15.0);
        let mtd: f64 = (0..15).map(costs).sum();
        assert!((m.month_to_date_usd - mtd).abs() < 1e-9);
        let last14: Vec<f64> = (0..14).map(costs).collect();
        let mu = last14.iter().sum::<f64>() / 14.0;
        let s = (last14.iter().map(|c| (c - mu).powi(2)).sum::<f64>() / 13.0).sqrt();
        let rem = 15.0;
        let half = 1.770_933 * s * (rem + rem * rem / 14.0_f64).sqrt();
        let p = &m.projection;
        assert!((p.month_end_usd - (mtd + mu * rem)).abs() < 0.01);
        assert!((p.low_usd.unwrap() - (mtd + mu * rem - half)).abs() < 0.01);
        assert!((p.high_usd.unwrap() - (mtd + mu * rem + half)).abs() < 0.01);
        // The actor's own month is the same series.
        assert_eq!(report(&f, "a").month, *m);
    }

    #[test]
    fn a_budget_projected_over_names_the_crossing_day() {
        let agg = aggregate(|_| vec![R(JobStatus::Succeeded, 10.0, 60.0)]);
        let config = CostConfig {
            monthly_budget_usd: Some(250.0),
            ..Default::default()
        };
        let f = analyze_with(&config, vec![evidence_of("a", agg, Vec::new())]);
        let b = f.output.fleet.budget.as_ref().unwrap();
        // $150 spent by Nov 16, $10/day: $250 is reached 10 days later.
        assert_eq!(b.status, BudgetStatus::ProjectedOver);
        assert_eq!(
            b.projected_crossing_on,
            NaiveDate::from_ymd_opt(2026, 11, 26)
        );
        assert_eq!(b.crossed_on, None);
        let s = &f.output.signals[0];
        assert_eq!(
            (s.rule.as_str(), s.severity),
            ("CW-BUDGET-AT-RISK", Severity::High)
        );
        assert_eq!(s.subject.actor_id, "fleet");
        assert_eq!(s.impact.usd_per_month, Some(50.0));
    }

    #[test]
    fn a_budget_already_spent_is_critical_with_the_day_it_was_crossed() {
        let agg = aggregate(|_| vec![R(JobStatus::Succeeded, 10.0, 60.0)]);
        let config = CostConfig {
            monthly_budget_usd: Some(100.0),
            ..Default::default()
        };
        let f = analyze_with(&config, vec![evidence_of("a", agg, Vec::new())]);
        let b = f.output.fleet.budget.as_ref().unwrap();
        assert_eq!(b.status, BudgetStatus::Over);
        // $10 a day from Nov 1: over $100 on Nov 11.
        assert_eq!(b.crossed_on, NaiveDate::from_ymd_opt(2026, 11, 11));
        assert_eq!(f.output.signals[0].severity, Severity::Critical);
    }

    #[test]
    fn a_budget_only_the_interval_crosses_is_at_risk() {
        let agg = aggregate(|d| vec![R(JobStatus::Succeeded, 10.0 * noise(3, d, 0.8), 60.0)]);
        let e = evidence_of("a", agg, Vec::new());
        let probe = analyze_fleet(vec![e.clone()]);
        let p = probe.output.fleet.month.projection.clone();
        let budget = (p.month_end_usd + p.high_usd.unwrap()) / 2.0;
        let config = CostConfig {
            monthly_budget_usd: Some(budget),
            ..Default::default()
        };
        let f = analyze_with(&config, vec![e]);
        assert_eq!(
            f.output.fleet.budget.as_ref().unwrap().status,
            BudgetStatus::AtRisk
        );
        assert_eq!(f.output.signals[0].severity, Severity::Medium);
    }

    #[test]
    fn no_runs_at_all_is_zero_spend_and_no_signals() {
        let config = CostConfig {
            monthly_budget_usd: Some(10.0),
            ..Default::default()
        };
        let f = analyze_with(
            &config,
            vec![evidence_of(
                "idle",
                RunAggregate::new(windows()),
                Vec::new(),
            )],
        );
        let r = report(&f, "idle");
        assert_eq!(r.cost_usd, 0.0);
        assert_eq!(r.cost_per_run_usd, None);
        assert_eq!(r.cost_per_successful_run_usd, None);
        assert_eq!(r.memory.status, MemoryStatus::NoData);
        assert_eq!(r.anomaly.status, AnomalyStatus::TooFewRuns);
        assert_eq!(r.month.projection.month_end_usd, 0.0);
        assert!(f.output.signals.is_empty());
        assert_eq!(f.rows.len(), 1);
        // And a fleet with no actors at all.
        let empty = analyze_fleet(Vec::new());
        assert_eq!(empty.output.fleet.cost_usd, 0.0);
        assert!(empty.output.signals.is_empty() && empty.rows.is_empty());
    }

    #[test]
    fn one_run_is_costed_but_too_few_to_test() {
        let agg = aggregate(|d| {
            if d == 3 {
                vec![R(JobStatus::Succeeded, 1.25, 60.0)]
            } else {
                Vec::new()
            }
        });
        let f = analyze_fleet(vec![evidence_of(
            "once",
            agg,
            vec![detail(0, JobStatus::Succeeded, 1024, 300.0, 60.0)],
        )]);
        let r = report(&f, "once");
        assert_eq!(r.cost_per_run_usd, Some(1.25));
        assert_eq!(r.cost_per_successful_run_usd, Some(1.25));
        assert_eq!(r.anomaly.status, AnomalyStatus::TooFewRuns);
        assert_eq!(r.memory.status, MemoryStatus::InsufficientData);
        assert_eq!(r.memory.recommended_mbytes, None);
        assert!(f.output.signals.is_empty());
    }

    #[test]
    fn all_runs_failed_is_all_wasted_spend() {
        let agg = aggregate(|_| (0..3).map(|_| R(JobStatus::Failed, 0.3, 60.0)).collect());
        let f = analyze_fleet(vec![evidence_of("dead", agg, Vec::new())]);
        let r = report(&f, "dead");
        assert!((r.wasted.total_usd - 27.0).abs() < 1e-9);
        assert_eq!(r.wasted.share, Some(1.0));
        assert_eq!(r.cost_per_successful_run_usd, None);
        assert_eq!(rules_of(&f, "dead"), ["CW-WASTED-SPEND"]);
        let s = &f.output.signals[0];
        let expected = 27.0 / 30.0 * DAYS_PER_MONTH;
        assert!((s.impact.usd_per_month.unwrap() - expected).abs() < 0.01);
        assert_eq!(s.severity, Severity::Medium);
    }

    #[test]
    fn wasted_spend_takes_each_status_cost_from_the_sample_and_the_level_from_the_days() {
        // Per day: 8 succeeded at $0.10 and 2 failed at $0.60 = $2.00.
        let agg = aggregate(|_| {
            let mut v: Vec<R> = (0..8).map(|_| R(JobStatus::Succeeded, 0.1, 60.0)).collect();
            v.extend((0..2).map(|_| R(JobStatus::Failed, 0.6, 60.0)));
            v
        });
        let mut e = evidence_of("a", agg, right_sized_samples());
        for d in &mut e.succeeded {
            d.usage_total_usd = Some(0.1);
        }
        e.failed = (0..5)
            .map(|k| {
                let mut d = detail(k, JobStatus::Failed, 1024, 500.0, 60.0);
                d.usage_total_usd = Some(0.6);
                d
            })
            .collect();
        let f = analyze_fleet(vec![e]);
        let w = &report(&f, "a").wasted;
        assert!((w.failed_usd - 36.0).abs() < 1e-6, "{w:?}");
        assert!((w.share.unwrap() - 0.6).abs() < 1e-9);
    }

    #[test]
    fn a_zero_cost_month_projects_zero_with_a_zero_width_interval() {
        let agg = aggregate(|_| (0..5).map(|_| R(JobStatus::Succeeded, 0.0, 30.0)).collect());
        let config = CostConfig {
            monthly_budget_usd: Some(0.0),
            ..Default::default()
        };
        let f = analyze_with(
            &config,
            vec![evidence_of("free", agg, right_sized_samples())],
        );
        let p = &f.output.fleet.month.projection;
        assert_eq!(
            (p.month_end_usd, p.low_usd, p.high_usd),
            (0.0, Some(0.0), Some(0.0))
        );
        assert_eq!(
            f.output.fleet.budget.as_ref().unwrap().status,
            BudgetStatus::Ok
        );
        let r = report(&f, "free");
        assert_eq!(r.cost_per_run_usd, Some(0.0));
        assert_eq!(r.wasted.total_usd, 0.0);
        assert_eq!(r.anomaly.z, Some(0.0));
        assert!(f.output.signals.is_empty());
    }

    #[test]
    fn a_run_running_far_past_its_p99_is_named_with_its_console_link_and_cost() {
        let mut e = healthy("busy", 4, 0.2);
        let stuck_start = as_of() - Duration::hours(5);
        let fresh_start = as_of() - Duration::seconds(90);
        for (id, started, cost) in [("stuck1", stuck_start, 2.0), ("fresh1", fresh_start, 0.01)] {
            let run = RunRecord {
                id: id.into(),
                status: JobStatus::Running,
                started_at: started,
                finished_at: None,
                build_number: None,
                origin: None,
                usage_total_usd: cost,
            };
            e.runs.add(&run);
            e.unfinished.push(run);
        }
        let f = analyze_fleet(vec![e]);
        let r = report(&f, "busy");
        assert_eq!(r.runs.running, 2);
        assert_eq!(r.stuck_runs.len(), 1);
        let s = &f.output.signals[0];
        assert_eq!(s.rule, "CW-STUCK-RUN");
        assert_eq!(
            s.console_url,
            "https://console.apify.com/actors/busy/runs/stuck1"
        );
        assert_eq!(s.evidence["costSoFarUsd"], 2.0);
        // $2 in 5 h until the 1 h timeout... already past it: a day at $0.40/h.
        assert!((s.impact.usd_per_month.unwrap() - 2.0 / 5.0 * 24.0).abs() < 0.01);
        assert_eq!(s.severity, Severity::High);
        // Running runs' cost stays out of the finished runs' figures.
        assert!((r.cost_usd - r.finished_cost_usd - 2.01).abs() < 1e-3);
        assert!(r.title.is_none() && r.signals.len() == 1);
    }

    #[test]
    fn each_stuck_run_is_its_own_signal() {
        let mut e = healthy("busy", 4, 0.2);
        for id in ["s1", "s2"] {
            e.unfinished.push(RunRecord {
                id: id.into(),
                status: JobStatus::Running,
                started_at: as_of() - Duration::hours(3),
                finished_at: None,
                build_number: None,
                origin: None,
                usage_total_usd: 0.5,
            });
        }
        let f = analyze_fleet(vec![e]);
        let ids: BTreeSet<&str> = f.output.signals.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn too_few_samples_is_not_enough_data_for_memory() {
        let mut e = healthy("few", 2, 0.1);
        e.succeeded.truncate(19);
        let f = analyze_fleet(vec![e]);
        let m = &report(&f, "few").memory;
        assert_eq!(m.status, MemoryStatus::InsufficientData);
        assert_eq!((m.samples, m.samples_needed), (19, 20));
        assert_eq!(m.recommended_mbytes, None);
    }

    #[test]
    fn an_out_of_memory_failure_forbids_downsizing_and_asks_for_more() {
        let mut fleet = seeded_fleet();
        let mut fat = fleet.pop().unwrap();
        let mut oom = detail(0, JobStatus::Failed, 4096, 4096.0, 300.0);
        oom.exit_code = Some(137);
        fat.failed = vec![oom.clone()];
        let f = analyze_fleet(vec![fat.clone()]);
        let m = &report(&f, "fat").memory;
        assert_eq!(m.status, MemoryStatus::Upsize);
        assert_eq!(m.recommended_mbytes, Some(8192));
        // One out-of-memory failure in a month is reported, not alerted.
        assert!(rules_of(&f, "fat").is_empty());
        let three: Vec<RunDetail> = (0..3)
            .map(|k| RunDetail {
                id: format!("oom{k}"),
                ..oom.clone()
            })
            .collect();
        fat.failed = three;
        let f = analyze_fleet(vec![fat.clone()]);
        assert_eq!(rules_of(&f, "fat"), ["CW-MEM-UNDERPROVISIONED"]);

        // A caller that gave a run 512 MB: the default stays, the callers are told.
        let mut low = detail(1, JobStatus::Failed, 512, 512.0, 300.0);
        low.status_message = Some("The Actor ran out of memory (OOM)".into());
        fat.failed = (0..3)
            .map(|k| RunDetail {
                id: format!("low{k}"),
                ..low.clone()
            })
            .collect();
        let f = analyze_fleet(vec![fat.clone()]);
        let m = &report(&f, "fat").memory;
        assert_eq!(
            (m.status, m.recommended_mbytes),
            (MemoryStatus::Upsize, Some(4096))
        );
        assert_eq!(m.oom_at_mbytes, Some(512));
        assert!(f.output.signals[0]
            .recommendation
            .contains("at least 1024 MB"));

        // An OOM before the window still forbids downsizing, without a signal.
        oom.started_at = Some(as_of() - Duration::days(45));
        fat.failed = vec![oom];
        let f = analyze_fleet(vec![fat]);
        let m = &report(&f, "fat").memory;
        assert_eq!(m.status, MemoryStatus::NearLimit);
        assert_eq!(m.recommended_mbytes, Some(4096));
        assert!(f.output.signals.is_empty());
    }

    #[test]
    fn out_of_memory_is_recognised_by_exit_code_and_message_not_by_lookalike_words() {
        let mut d = detail(0, JobStatus::Failed, 1024, 900.0, 60.0);
        assert!(!is_oom(&d));
        d.exit_code = Some(137);
        assert!(is_oom(&d));
        d.exit_code = Some(1);
        for (msg, oom) in [
            ("JavaScript heap out of memory", true),
            ("Container exceeded memory limit", true),
            ("OOMKilled", true),
            ("Killed (OOM)", true),
            ("No room left in the queue", false),
            ("Zoom API failed", false),
        ] {
            d.status_message = Some(msg.into());
            assert_eq!(is_oom(&d), oom, "{msg}");
        }
        d.status = JobStatus::Succeeded;
        d.status_message = Some("out of memory".into());
        assert!(!is_oom(&d));
    }

    #[test]
    fn recommendations_stay_within_apifys_powers_of_two() {
        assert_eq!(pow2_memory(0.0), 128);
        assert_eq!(pow2_memory(f64::NAN), 128);
        assert_eq!(pow2_memory(128.0), 128);
        assert_eq!(pow2_memory(129.0), 256);
        assert_eq!(pow2_memory(1e12), 32_768);
        // Worked example of the methods notes: 4096 → 1024 MB at u = 0.3 saves 52.5 %.
        assert!((cu_saving_share(4096.0, 1024.0, 0.3) - 0.525).abs() < 1e-12);
        // Above 4 GB a run gets more than the one core it can use: no slowdown.
        assert!((cu_saving_share(16384.0, 4096.0, 1.0) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_cpu_bound_duration_near_the_timeout_steps_the_recommendation_up() {
        let mut fat = seeded_fleet().pop().unwrap();
        for d in &mut fat.succeeded {
            d.run_time_secs = Some(900.0);
            d.compute_units = Some(4.0 * 900.0 / 3600.0);
        }
        let f = analyze_fleet(vec![fat]);
        let m = &report(&f, "fat").memory;
        // 1024 MB: 4× 900 s = 3600 s ≥ 80 % of the 3600 s timeout; 2048 MB: 1800 s fits.
        assert_eq!(m.status, MemoryStatus::Downsize);
        assert_eq!(m.recommended_mbytes, Some(2048));
        assert_eq!(m.projected_p95_duration_secs_cpu_bound, Some(1800.0));
    }

    #[test]
    fn frequent_timeouts_are_costed_once() {
        // Per day: 7 succeeded at $0.20, 3 timed out at $1.00.
        let agg = aggregate(|_| {
            let mut v: Vec<R> = (0..7)
                .map(|_| R(JobStatus::Succeeded, 0.2, 600.0))
                .collect();
            v.extend((0..3).map(|_| R(JobStatus::TimedOut, 1.0, 3600.0)));
            v
        });
        let mut e = evidence_of("slowpoke", agg, right_sized_samples());
        for d in &mut e.succeeded {
            d.usage_total_usd = Some(0.2);
        }
        e.failed = (0..5)
            .map(|k| {
                let mut d = detail(k, JobStatus::TimedOut, 1024, 500.0, 3600.0);
                d.usage_total_usd = Some(1.0);
                d
            })
            .collect();
        let f = analyze_fleet(vec![e]);
        assert_eq!(rules_of(&f, "slowpoke"), ["CW-TIMEOUT-WASTE"]);
        let s = &f.output.signals[0];
        let expected = 90.0 / 30.0 * DAYS_PER_MONTH;
        assert!((s.impact.usd_per_month.unwrap() - expected).abs() < 0.01);
        assert_eq!(s.severity, Severity::Medium);
        assert_eq!(report(&f, "slowpoke").timeouts.timed_out, 90);
    }

    #[test]
    fn a_timeout_far_above_the_p99_duration_is_a_runaway_risk() {
        let mut e = healthy("loose", 8, 0.2);
        e.actor.default_memory_mbytes = Some(8192);
        e.actor.default_timeout_secs = Some(36_000);
        for d in &mut e.succeeded {
            d.memory_mbytes = Some(8192);
            d.mem_max_bytes = Some(7000.0 * MIB); // right-sized for 8 GB
        }
        let f = analyze_fleet(vec![e]);
        assert_eq!(rules_of(&f, "loose"), ["CW-TIMEOUT-TOO-LONG"]);
        let t = &report(&f, "loose").timeouts;
        let p99 = t.p99_duration_secs.unwrap();
        let exposure = 8.0 * (36_000.0 - p99) / 3600.0 * 0.4;
        assert!((t.runaway_exposure_usd.unwrap() - exposure).abs() < 0.01);
        assert_eq!(f.output.signals[0].severity, Severity::Info);

        // No timeout at all is flagged too.
        let mut none = healthy("none", 8, 0.2);
        none.actor.default_timeout_secs = Some(0);
        let f = analyze_fleet(vec![none]);
        assert_eq!(rules_of(&f, "none"), ["CW-TIMEOUT-TOO-LONG"]);
    }

    #[test]
    fn pay_per_event_counts_are_averaged_per_run() {
        let mut e = healthy("ppe", 9, 0.2);
        for (k, d) in e.succeeded.iter_mut().enumerate().take(4) {
            d.charged_event_counts.insert("apify-actor-start".into(), 1);
            d.charged_event_counts.insert("page".into(), 10 * k as u64);
        }
        let f = analyze_fleet(vec![e]);
        let p = report(&f, "ppe").pay_per_event.as_ref().unwrap();
        assert_eq!(p.runs_sampled, 4);
        assert_eq!(p.events_per_run["apify-actor-start"], 1.0);
        assert_eq!(p.events_per_run["page"], 15.0); // 0, 10, 20, 30
    }

    #[test]
    fn acknowledged_signals_move_out_of_the_open_list() {
        let first = analyze_fleet(seeded_fleet());
        let id = first.output.signals[0].id.clone();
        let config = CostConfig {
            acknowledged_signals: vec![id.clone()],
            ..Default::default()
        };
        let second = analyze_with(&config, seeded_fleet());
        assert!(second.output.signals.iter().all(|s| s.id != id));
        assert_eq!(second.output.acknowledged[0].id, id);
        assert!(!second
            .output
            .head
            .reason_codes
            .contains(&"CW-COST-ANOMALY".to_string()));
    }

    #[test]
    fn odd_data_never_panics_or_yields_nan() {
        let mut e = healthy("odd", 3, 0.2);
        e.runs.daily[5].cost_usd = f64::NAN;
        e.runs.daily[6].cost_usd = -4.0;
        e.runs.daily[7].duration_secs = f64::INFINITY;
        e.succeeded[0].mem_max_bytes = Some(f64::NAN);
        e.succeeded[1].run_time_secs = Some(-5.0);
        e.succeeded[2].memory_mbytes = Some(0);
        e.unfinished.push(RunRecord {
            id: "future".into(),
            status: JobStatus::Running,
            started_at: as_of() + Duration::hours(3),
            finished_at: None,
            build_number: None,
            origin: None,
            usage_total_usd: f64::NAN,
        });
        let config = CostConfig {
            price_per_compute_unit_usd: f64::NAN,
            fdr_q: -1.0,
            monthly_budget_usd: Some(f64::INFINITY),
            ..Default::default()
        };
        let mut short = evidence_of("short", RunAggregate::new(windows()), Vec::new());
        short.runs.daily.truncate(3);
        let f = analyze(
            &config,
            &CostEvidence {
                windows: Windows {
                    as_of: as_of(),
                    days: 0,
                },
                actors: vec![e, short],
            },
        );
        assert_eq!(f.output.config.price_per_compute_unit_usd, 0.4);
        let text = serde_json::to_string(&f.output).unwrap();
        assert!(!text.contains("NaN"));
        for a in &f.output.actors {
            assert!(a.cost_usd.is_finite() && a.month.projection.month_end_usd.is_finite());
        }
        // An absurd window length does not overflow date arithmetic.
        let huge = analyze(
            &CostConfig::default(),
            &CostEvidence {
                windows: Windows {
                    as_of: as_of(),
                    days: u32::MAX,
                },
                actors: vec![healthy("h", 1, 0.1)],
            },
        );
        assert_eq!(huge.output.window.days, MAX_WINDOW_DAYS);
    }

    #[test]
    fn analysis_is_deterministic() {
        let a = serde_json::to_string(&analyze_fleet(seeded_fleet()).output).unwrap();
        let b = serde_json::to_string(&analyze_fleet(seeded_fleet()).output).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn rows_are_flat_one_per_actor() {
        let f = analyze_fleet(seeded_fleet());
        assert_eq!(f.rows.len(), 10);
        let batch = f.rows.iter().find(|r| r["actorId"] == "batch").unwrap();
        assert_eq!(batch["anomalyDriver"], "moreRuns");
        assert!(batch["topIssue"].as_str().unwrap().contains("more runs"));
        for r in &f.rows {
            let obj = r.as_object().unwrap();
            assert!(obj.values().all(|v| !v.is_object()), "{r}");
        }
    }

    #[test]
    fn a_day_straddling_the_first_of_the_month_counts_by_its_share() {
        // as_of at noon: day buckets run noon to noon; the one from Oct 31 12:00 is half November.
        let noon = Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap();
        let (m, b) = month_spend(&[10.0; 60], noon, 0, Some(200.0));
        assert_eq!((m.elapsed_days, m.observed_days), (15.5, 15.5));
        assert!((m.month_to_date_usd - 155.0).abs() < 1e-9);
        assert!((m.projection.month_end_usd - 300.0).abs() < 1e-9);
        let b = b.unwrap();
        assert_eq!(b.status, BudgetStatus::ProjectedOver);
        // $45 left at $10/day: 4.5 days after Nov 16 12:00.
        assert_eq!(
            b.projected_crossing_on,
            NaiveDate::from_ymd_opt(2026, 11, 21)
        );
        // A range that starts after the 1st: the missing days are estimated, not dropped.
        let (m, _) = month_spend(&[10.0; 10], as_of(), 0, None);
        assert_eq!(m.observed_days, 10.0);
        assert!((m.month_to_date_usd - 100.0).abs() < 1e-9);
        assert!((m.projection.month_end_usd - 300.0).abs() < 1e-9);
    }

    #[test]
    fn the_rule_table_has_one_row_per_rule() {
        let table = crate::signal::rule_table_markdown(TOOL, RULES);
        assert_eq!(
            table.lines().filter(|l| l.starts_with("| `CW-")).count(),
            RULES.len()
        );
    }

    #[test]
    fn every_rule_is_in_the_catalog() {
        let f = analyze_fleet(seeded_fleet());
        let catalog: BTreeSet<&str> = RULES.iter().map(|r| r.0).collect();
        assert!(catalog.iter().all(|r| r.starts_with("CW-")));
        assert_eq!(catalog.len(), RULES.len());
        for s in &f.output.signals {
            assert!(catalog.contains(s.rule.as_str()), "{}", s.rule);
        }
    }
}
