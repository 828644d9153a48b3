//! The Fleet Health Score (v2): one number per actor and for the fleet, always decomposed into
//! the points each piece of evidence cost (methods-anchors §7.2). Pure: see [`health`].
//!
//! Per actor, over the analysis window (30 days by default), six components, each 0..100:
//!
//! - **R Reliability** (weight `reliability`, default 0.35). Decided runs n = s + f + t
//!   (SUCCEEDED, FAILED, TIMED-OUT; ABORTED excluded). SLI* = (s + 10·m)/(n + 10): a Beta prior
//!   of 10 pseudo-runs at m, the median success rate of the fleet's actors with decided runs
//!   (0.95 if none). Budget consumed B = (1 − SLI*)/(1 − SLO), SLO = `slo` (0.95) unless
//!   `sloByActor` names the actor (by id, else `username/name`). R = 100·max(0, 1 − B). No
//!   decided runs: skipped ("no data" is neither 100 nor 0).
//! - **P Performance** (`performance`, 0.15). 100 − 100·min(1, max(0, d)/0.5) − 50·(t/n)/0.1,
//!   floor 0, where d is the relative duration increase of an open quality-monitor
//!   `QM-DURATION` (its `effect`, else current/baseline − 1; the largest if several).
//! - **C Cost efficiency** (`cost`, 0.15). 100·(1 − min(1, savings/cost)) − 20 if a cost
//!   anomaly is open (`CW-COST-ANOMALY`, `FA-COST-JUMP`, `QM-COST-PER-RUN`), floor 0; savings =
//!   Σ `impact.usdPerMonth` of open `CW-MEM-OVERPROVISIONED`, `CW-WASTED-SPEND`,
//!   `CW-TIMEOUT-WASTE`; cost = the projected monthly cost (else the window's cost per month).
//! - **Q Output quality** (`quality`, 0.15). 100·(1 − e)·(1 − x) − 30 if an item-count drop is
//!   open (`QM-PROBE-ITEMS-DROP`, `QM-PROBE-EMPTY`), floor 0; e = `current` of an open
//!   `QM-EMPTY-RUNS`, x = `invalidItems/items` of an open `QM-PROBE-SCHEMA`.
//! - **K Contract and compliance** (`contract`, 0.10). 100 − 50 per ERR schema finding
//!   (`SV-BREAKING-*`, `RG-BLOCK` at high/critical) − 10 per WARN (`SV-INPUT-SCHEMA-LINT`,
//!   `RG-WARN`, those breaking rules below high; at most 50 in all) − 50 per `CS-SECRET-*` at
//!   high/critical − 10 per other `CS-SECRET-*` and per `CS-PII-*`, floor 0; info costs nothing.
//! - **M Maintenance and docs** (`maintenance`, 0.10). 100·pass/(pass + fail) over six checks
//!   (README, input descriptions, dataset schema, a successful build within `staleBuildDays`,
//!   limited permissions, prefill); a check fails on an open signal above info, passes when its
//!   tool was read and raised nothing, and is skipped (not counted) when its tool was not read
//!   or reported the rule at info only (a Store rule on a private actor).
//!
//! Only open signals cost points; acknowledged ones are listed with 0 points. A reported problem
//! always counts, but its absence counts only for a tool in `covered`. A component with no
//! evidence (its tools were not read and reported nothing, or no data) is skipped and its
//! weight is shared among the others in proportion: wᵢ' = wᵢ/Σ w of the computed components.
//! H_raw = Σ wᵢ'·Sᵢ.
//! H = min(H_raw, caps): 20 when nothing succeeded (≥ 3 decided runs, or an open
//! `FA-NO-SUCCESS`), 40 when B ≥ 2, 50 with an open leaked secret, 60 with an open release
//! block. Grades: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, F; under 20 decided runs the confidence is
//! low and the grade at best B. The fleet: the mean of H weighted by each actor's cost in the
//! window (else decided runs, else equally), a grade histogram, and the top 10 detractors by
//! (100 − H)·weight. `actors/fleet-analytics/README.md` has the worked-out rules.
//!
//! Points are rounded to hundredths by largest remainder, so every component's reasons add up
//! to exactly 100 − score and the contributions to exactly H_raw. Odd settings (negative or
//! NaN weights, all weights 0, an SLO outside (0, 1)) fall back to the defaults with a warning.

use crate::analyses::sane;
use crate::signal::{Severity, Signal};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const DEFAULT_SLO: f64 = 0.95;
/// a + b of the reliability prior, in pseudo-runs.
pub const PRIOR_RUNS: f64 = 10.0;
/// The prior success rate when no actor in the fleet has a decided run.
const PRIOR_WITHOUT_DATA: f64 = 0.95;
/// Decided runs under which the confidence is low and grade A is withheld.
pub const MIN_CONFIDENT_RUNS: u64 = 20;
/// A duration increase of this much costs all of P's duration points.
const DURATION_ZERO_AT: f64 = 0.5;
/// Each this-much timed-out share costs [`TIMEOUT_POINTS`].
const TIMEOUT_SHARE_UNIT: f64 = 0.1;
const TIMEOUT_POINTS: f64 = 50.0;
const ANOMALY_POINTS: f64 = 20.0;
const ITEM_DROP_POINTS: f64 = 30.0;
const ERR_POINTS: f64 = 50.0;
const WARN_POINTS: f64 = 10.0;
const WARN_CAP_POINTS: f64 = 50.0;
const CAP_NO_SUCCESS: f64 = 20.0;
const CAP_BUDGET_BLOWN: f64 = 40.0;
const CAP_SECRET: f64 = 50.0;
const CAP_RELEASE_BLOCK: f64 = 60.0;
/// Budget consumed at which the budget counts as blown twice over.
const BUDGET_BLOWN: f64 = 2.0;
const TOP_DETRACTORS: usize = 10;
const DAYS_PER_MONTH: f64 = 30.44;
/// Hundredths of a point in a whole component.
const FULL: i64 = 10_000;

const FLEET: &str = "fleet-analytics";
const QUALITY: &str = "quality-monitor";
const COST: &str = "cost-watchdog";
const SCHEMA: &str = "schema-validator";
const GATE: &str = "release-gate";
const COMPLIANCE: &str = "compliance-scanner";

// ---------------------------------------------------------------- config

/// Weights of the components; they need not sum to 1 (they are renormalised).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HealthWeights {
    /// Default 0.35.
    pub reliability: f64,
    /// Default 0.15.
    pub performance: f64,
    /// Default 0.15.
    pub cost: f64,
    /// Default 0.15.
    pub quality: f64,
    /// Default 0.10.
    pub contract: f64,
    /// Default 0.10.
    pub maintenance: f64,
}

impl Default for HealthWeights {
    fn default() -> Self {
        HealthWeights {
            reliability: 0.35,
            performance: 0.15,
            cost: 0.15,
            quality: 0.15,
            contract: 0.10,
            maintenance: 0.10,
        }
    }
}

impl HealthWeights {
    pub fn get(&self, c: ComponentId) -> f64 {
        match c {
            ComponentId::Reliability => self.reliability,
            ComponentId::Performance => self.performance,
            ComponentId::Cost => self.cost,
            ComponentId::Quality => self.quality,
            ComponentId::Contract => self.contract,
            ComponentId::Maintenance => self.maintenance,
        }
    }

    fn slot(&mut self, c: ComponentId) -> &mut f64 {
        match c {
            ComponentId::Reliability => &mut self.reliability,
            ComponentId::Performance => &mut self.performance,
            ComponentId::Cost => &mut self.cost,
            ComponentId::Quality => &mut self.quality,
            ComponentId::Contract => &mut self.contract,
            ComponentId::Maintenance => &mut self.maintenance,
        }
    }
}

/// The score's settings. In fleet-analytics' input: `healthWeights`, `slo` (and `sloByActor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HealthConfig {
    #[serde(rename = "healthWeights")]
    pub weights: HealthWeights,
    /// Target success rate of decided runs, in (0, 1). Default 0.95.
    pub slo: f64,
    /// Per-actor SLO, keyed by actor id or `username/name` (the id wins).
    pub slo_by_actor: BTreeMap<String, f64>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            weights: HealthWeights::default(),
            slo: DEFAULT_SLO,
            slo_by_actor: BTreeMap::new(),
        }
    }
}

/// The config with every odd value replaced by its default, and one warning per replacement.
pub fn sanitize(config: &HealthConfig) -> (HealthConfig, Vec<String>) {
    let mut warnings = Vec::new();
    let defaults = HealthWeights::default();
    let mut weights = config.weights;
    for c in ComponentId::ALL {
        let (v, d) = (weights.get(c), defaults.get(c));
        let fixed = sane(v, d, v >= 0.0);
        if fixed.to_bits() != v.to_bits() {
            warnings.push(format!("healthWeights.{} was {v}; used {d}", c.name()));
        }
        *weights.slot(c) = fixed;
    }
    if ComponentId::ALL.iter().all(|&c| weights.get(c) == 0.0) {
        warnings.push("healthWeights were all 0; used the defaults".into());
        weights = defaults;
    }
    let slo_ok = |v: f64| v > 0.0 && v < 1.0;
    let slo = sane(config.slo, DEFAULT_SLO, slo_ok(config.slo));
    if slo.to_bits() != config.slo.to_bits() {
        warnings.push(format!("slo was {}; used {DEFAULT_SLO}", config.slo));
    }
    let mut slo_by_actor = BTreeMap::new();
    for (k, &v) in &config.slo_by_actor {
        if v.is_finite() && slo_ok(v) {
            slo_by_actor.insert(k.clone(), v);
        } else {
            warnings.push(format!("sloByActor.{k} was {v}; used {slo}"));
        }
    }
    let config = HealthConfig {
        weights,
        slo,
        slo_by_actor,
    };
    (config, warnings)
}

// ---------------------------------------------------------------- evidence

/// What the score needs to know about one actor beyond the signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorHealthEvidence {
    pub actor_id: String,
    /// `username/name`.
    pub actor_name: String,
    /// Runs in the window by terminal status.
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    pub window_days: u32,
    pub cost_usd: f64,
    pub projected_monthly_usd: f64,
    /// `None`: no successful build among the builds read.
    pub days_since_last_successful_build: Option<i64>,
    pub stale_build_days: u32,
}

impl ActorHealthEvidence {
    fn decided(&self) -> u64 {
        self.succeeded + self.failed + self.timed_out
    }
}

// ---------------------------------------------------------------- output

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ComponentId {
    Reliability,
    Performance,
    Cost,
    Quality,
    Contract,
    Maintenance,
}

impl ComponentId {
    pub const ALL: [ComponentId; 6] = [
        ComponentId::Reliability,
        ComponentId::Performance,
        ComponentId::Cost,
        ComponentId::Quality,
        ComponentId::Contract,
        ComponentId::Maintenance,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ComponentId::Reliability => "reliability",
            ComponentId::Performance => "performance",
            ComponentId::Cost => "cost",
            ComponentId::Quality => "quality",
            ComponentId::Contract => "contract",
            ComponentId::Maintenance => "maintenance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
    F,
}

impl Grade {
    pub fn of(score: f64) -> Grade {
        match score {
            s if s >= 90.0 => Grade::A,
            s if s >= 75.0 => Grade::B,
            s if s >= 60.0 => Grade::C,
            s if s >= 40.0 => Grade::D,
            _ => Grade::F,
        }
    }
}

/// Points lost and why. Acknowledged signals appear with 0 points.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub points: f64,
    pub reason: String,
    /// The signal (id, tool, rule, severity) or the numbers behind the points.
    pub evidence: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// One maintenance check, Datadog-style.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub check: &'static str,
    pub outcome: Outcome,
    /// The tool whose findings decide it.
    pub tool: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentScore {
    pub component: ComponentId,
    /// As configured (after sanitising).
    pub weight: f64,
    /// After sharing out the weights of skipped components; 0 when skipped.
    pub effective_weight: f64,
    /// `None` when skipped.
    pub score: Option<f64>,
    /// effective weight × score: the points of H_raw this component gives.
    pub contribution: Option<f64>,
    pub skipped: bool,
    pub skip_reason: Option<String>,
    /// The numbers the score was computed from.
    pub inputs: Value,
    /// Sum of `points` = 100 − score.
    pub reasons: Vec<Reason>,
    /// Acknowledged signals that would have cost points here.
    pub acknowledged: Vec<Reason>,
    /// Parts not checked, points not counted, and why.
    pub notes: Vec<String>,
    /// Maintenance only.
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cap {
    /// The highest score the actor can have while this holds.
    pub cap: f64,
    pub kind: &'static str,
    pub reason: String,
    pub evidence: Value,
    /// This is the cap that set the score (the lowest one, and below H_raw).
    pub applied: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Confidence {
    /// Fewer than `minRuns` decided runs: the grade is at best B.
    pub low: bool,
    pub decided_runs: u64,
    pub min_runs: u64,
    pub window_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorHealth {
    pub actor_id: String,
    /// H = min(rawScore, caps).
    pub score: f64,
    /// H_raw = Σ contributions.
    pub raw_score: f64,
    pub grade: Grade,
    pub confidence: Confidence,
    pub components: Vec<ComponentScore>,
    pub caps: Vec<Cap>,
    pub notes: Vec<String>,
}

impl ActorHealth {
    pub fn component(&self, c: ComponentId) -> &ComponentScore {
        // Components are built for every id, in order.
        &self.components[c as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Weighting {
    /// By each actor's cost in the window.
    CostUsd,
    /// By decided runs: the fleet cost nothing.
    DecidedRuns,
    /// Equally: no cost and no decided runs.
    Equal,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GradeCounts {
    #[serde(rename = "A")]
    pub a: usize,
    #[serde(rename = "B")]
    pub b: usize,
    #[serde(rename = "C")]
    pub c: usize,
    #[serde(rename = "D")]
    pub d: usize,
    #[serde(rename = "F")]
    pub f: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetComponent {
    pub component: ComponentId,
    pub weight: f64,
    /// Weighted mean over the actors where it was computed; `None` if none (with weight).
    pub score: Option<f64>,
    pub actors: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detractor {
    pub actor_id: String,
    pub actor_name: String,
    pub score: f64,
    pub grade: Grade,
    /// The actor's share of the fleet weight.
    pub weight: f64,
    /// (100 − H)·weight: what this actor takes off the fleet score.
    pub points_lost: f64,
    /// The component that costs the actor's H the most: weight' × (100 − score).
    pub biggest_loss: Option<ComponentId>,
    pub biggest_loss_points: f64,
    pub capped_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetHealth {
    /// `None` for an empty fleet.
    pub score: Option<f64>,
    pub grade: Option<Grade>,
    pub weighting: Weighting,
    pub grades: GradeCounts,
    pub components: Vec<FleetComponent>,
    pub detractors: Vec<Detractor>,
    /// The settings used, after sanitising.
    pub weights: HealthWeights,
    pub slo: f64,
    pub slo_by_actor: BTreeMap<String, f64>,
    /// m, the prior success rate of reliability.
    pub reliability_prior: f64,
    /// Tools whose signals were read, as the caller said.
    pub covered: Vec<String>,
    /// Settings that were replaced by their defaults.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub fleet: FleetHealth,
    /// In the order of the evidence.
    pub actors: Vec<ActorHealth>,
}

// ---------------------------------------------------------------- scoring

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
fn from_cents(c: i64) -> f64 {
    c as f64 / 100.0
}
fn signal_evidence(s: &Signal) -> Value {
    json!({"signalId": s.id, "tool": s.tool, "rule": s.rule, "severity": s.severity})
}

fn acknowledged_note(s: &Signal) -> Reason {
    Reason {
        points: 0.0,
        reason: format!("acknowledged, not counted: {}", s.title),
        evidence: signal_evidence(s),
    }
}

/// Splits `total` hundredths over parts whose exact values (in hundredths) are `exact` (largest
/// remainder, ties to the first), so the rounded parts add up to the rounded total.
fn apportion(exact: &[f64], total: i64) -> Vec<i64> {
    let mut out: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let mut rest = total - out.iter().sum::<i64>();
    let mut i = 0;
    while rest > 0 && !order.is_empty() {
        out[order[i % order.len()]] += 1;
        rest -= 1;
        i += 1;
    }
    out
}

/// A loss before the floor and the rounding.
struct Loss {
    points: f64,
    reason: String,
    evidence: Value,
}

/// One component being scored.
struct Draft {
    id: ComponentId,
    losses: Vec<Loss>,
    acknowledged: Vec<Reason>,
    notes: Vec<String>,
    inputs: Value,
    checks: Vec<Check>,
    skip: Option<String>,
}

impl Draft {
    fn new(id: ComponentId) -> Draft {
        Draft {
            id,
            losses: Vec::new(),
            acknowledged: Vec::new(),
            notes: Vec::new(),
            inputs: Value::Null,
            checks: Vec::new(),
            skip: None,
        }
    }

    fn skipped(id: ComponentId, why: String) -> Draft {
        Draft {
            skip: Some(why),
            ..Draft::new(id)
        }
    }

    fn lose(&mut self, points: f64, reason: String, evidence: Value) {
        // NaN from odd evidence costs nothing; anything above a whole component is all of it.
        if points > 0.0 {
            self.losses.push(Loss {
                points: points.min(100.0),
                reason,
                evidence,
            });
        }
    }

    fn waive(&mut self, s: &Signal) {
        self.acknowledged.push(acknowledged_note(s));
    }

    /// The score in hundredths and the reasons: losses in order until the component is at 0,
    /// then rounded so that the reasons add up to exactly 100 − score.
    fn settle(&mut self) -> (i64, Vec<Reason>) {
        let mut left = 100.0;
        let mut kept = Vec::new();
        for loss in std::mem::take(&mut self.losses) {
            let got = loss.points.min(left);
            if got <= 1e-9 {
                self.notes.push(format!(
                    "not counted (the component is at 0): {}",
                    loss.reason
                ));
                continue;
            }
            left -= got;
            let reason = if got < loss.points - 1e-9 {
                format!(
                    "{} ({:.2} points, cut: a component cannot go below 0)",
                    loss.reason, loss.points
                )
            } else {
                loss.reason
            };
            kept.push((got, reason, loss.evidence));
        }
        let exact: Vec<f64> = kept.iter().map(|k| k.0 * 100.0).collect();
        let lost = ((exact.iter().sum::<f64>()).round() as i64).clamp(0, FULL);
        let reasons = apportion(&exact, lost)
            .into_iter()
            .zip(kept)
            .filter(|(c, _)| *c > 0)
            .map(|(c, (_, reason, evidence))| Reason {
                points: from_cents(c),
                reason,
                evidence,
            })
            .collect();
        (FULL - lost, reasons)
    }
}

/// The signals about one actor, deduplicated by id and sorted by (rule, id).
struct ActorSignals<'a> {
    all: Vec<&'a Signal>,
}

impl<'a> ActorSignals<'a> {
    fn matching(&self, pred: impl Fn(&Signal) -> bool) -> (Vec<&'a Signal>, Vec<&'a Signal>) {
        self.all
            .iter()
            .copied()
            .filter(|s| pred(s))
            .partition(|s| !s.acknowledged)
    }
    fn rule(&self, rules: &[&str]) -> (Vec<&'a Signal>, Vec<&'a Signal>) {
        self.matching(|s| rules.contains(&s.rule.as_str()))
    }
}

fn f64_at(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64).filter(|x| x.is_finite())
}

/// The relative duration increase a QM-DURATION signal reports: its Hodges–Lehmann `effect`,
/// else the medians' ratio, else the p95s'.
fn duration_increase(ev: &Value) -> Option<f64> {
    let ratio = |cur: &str, base: &str| match (f64_at(ev, cur), f64_at(ev, base)) {
        (Some(c), Some(b)) if b > 0.0 && c >= 0.0 => Some(c / b - 1.0),
        _ => None,
    };
    f64_at(ev, "effect")
        .or_else(|| ratio("current", "baseline"))
        .or_else(|| ratio("currentP95", "baselineP95"))
}

struct Context<'a> {
    config: &'a HealthConfig,
    prior: f64,
    covered: &'a BTreeSet<String>,
}

impl Context<'_> {
    fn ran(&self, tool: &str) -> bool {
        self.covered.contains(tool)
    }
}

fn reliability(cx: &Context, e: &ActorHealthEvidence) -> (Draft, Option<f64>) {
    let c = ComponentId::Reliability;
    let n = e.decided();
    if n == 0 {
        let d = Draft::skipped(
            c,
            format!(
                "no data: no decided run in the last {} days (aborted runs do not count)",
                e.window_days
            ),
        );
        return (d, None);
    }
    let (slo, slo_from) = match cx
        .config
        .slo_by_actor
        .get(&e.actor_id)
        .or_else(|| cx.config.slo_by_actor.get(&e.actor_name))
    {
        Some(&v) => (v, "sloByActor"),
        None => (cx.config.slo, "slo"),
    };
    let sli = e.succeeded as f64 / n as f64;
    let shrunk = (e.succeeded as f64 + PRIOR_RUNS * cx.prior) / (n as f64 + PRIOR_RUNS);
    let budget = (1.0 - shrunk) / (1.0 - slo);
    let mut d = Draft::new(c);
    d.inputs = json!({
        "succeeded": e.succeeded, "failed": e.failed, "timedOut": e.timed_out,
        "aborted": e.aborted, "decided": n, "sli": round4(sli), "prior": round4(cx.prior),
        "priorRuns": PRIOR_RUNS, "sliShrunk": round4(shrunk), "slo": slo, "sloFrom": slo_from,
        "budgetConsumed": round4(budget),
    });
    d.lose(
        100.0 * budget.clamp(0.0, 1.0),
        format!(
            "{} of {n} decided runs succeeded ({:.1} %), {:.2} % after shrinking toward the fleet's {:.1} %: {:.0} % of the error budget of SLO {:.2} % consumed",
            e.succeeded,
            100.0 * sli,
            100.0 * shrunk,
            100.0 * cx.prior,
            100.0 * budget,
            100.0 * slo
        ),
        json!({"sliShrunk": round4(shrunk), "slo": slo, "budgetConsumed": round4(budget)}),
    );
    (d, Some(budget))
}

fn performance(cx: &Context, e: &ActorHealthEvidence, sig: &ActorSignals) -> Draft {
    let c = ComponentId::Performance;
    let n = e.decided();
    let (open, acked) = sig.rule(&["QM-DURATION"]);
    let reported = !open.is_empty() || !acked.is_empty();
    if !cx.ran(QUALITY) && !reported && n == 0 {
        return Draft::skipped(
            c,
            "no data: quality-monitor did not run and there was no decided run".into(),
        );
    }
    let mut d = Draft::new(c);
    let mut increase = None;
    if cx.ran(QUALITY) || reported {
        if !cx.ran(QUALITY) {
            d.notes.push(not_read(QUALITY));
        }
        acked.iter().for_each(|s| d.waive(s));
        // The largest of the open regressions (one per build at most).
        let worst = open
            .iter()
            .filter_map(|s| match duration_increase(&s.evidence) {
                Some(x) => Some((x, *s)),
                None => {
                    d.notes.push(format!(
                        "{} ({}) has no duration increase in its evidence: not counted",
                        s.rule, s.id
                    ));
                    None
                }
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        increase = Some(worst.map_or(0.0, |w| w.0));
        if let Some((x, s)) = worst {
            d.lose(
                100.0 * (x.max(0.0) / DURATION_ZERO_AT).min(1.0),
                format!(
                    "successful runs {:+.0} % slower ({}): 100 points at +50 %",
                    100.0 * x,
                    s.title
                ),
                json!({"signalId": s.id, "tool": s.tool, "rule": s.rule, "severity": s.severity, "durationIncrease": round4(x)}),
            );
        }
    } else {
        d.notes
            .push("duration not checked: quality-monitor did not run".into());
    }
    let share = (n > 0).then(|| e.timed_out as f64 / n as f64);
    match share {
        Some(share) => d.lose(
            TIMEOUT_POINTS * share / TIMEOUT_SHARE_UNIT,
            format!(
                "{} of {n} decided runs timed out ({:.1} %): 50 points per 10 %",
                e.timed_out,
                100.0 * share
            ),
            json!({"timedOut": e.timed_out, "decided": n, "timedOutShare": round4(share)}),
        ),
        None => d.notes.push("time-outs not checked: no decided run".into()),
    }
    d.inputs = json!({
        "durationIncrease": increase.map(round4),
        "timedOutShare": share.map(round4),
    });
    d
}

const SAVINGS: &[&str] = &[
    "CW-MEM-OVERPROVISIONED",
    "CW-WASTED-SPEND",
    "CW-TIMEOUT-WASTE",
];
const ANOMALIES: &[&str] = &["CW-COST-ANOMALY", "FA-COST-JUMP", "QM-COST-PER-RUN"];

fn cost(cx: &Context, e: &ActorHealthEvidence, sig: &ActorSignals) -> Draft {
    let c = ComponentId::Cost;
    let (savings_open, savings_acked) = sig.rule(SAVINGS);
    let (anomalies_open, anomalies_acked) = sig.rule(ANOMALIES);
    let any_signal = [
        &savings_open,
        &savings_acked,
        &anomalies_open,
        &anomalies_acked,
    ]
    .iter()
    .any(|v| !v.is_empty());
    if !any_signal && ![COST, FLEET, QUALITY].iter().any(|t| cx.ran(t)) {
        return Draft::skipped(
            c,
            "no evidence: neither cost-watchdog, fleet-analytics nor quality-monitor ran".into(),
        );
    }
    let per_month = |usd: f64| usd / e.window_days.max(1) as f64 * DAYS_PER_MONTH;
    let (monthly, basis) = if e.projected_monthly_usd.is_finite() && e.projected_monthly_usd > 0.0 {
        (e.projected_monthly_usd, "projectedMonthlyUsd")
    } else if e.cost_usd.is_finite() && e.cost_usd > 0.0 {
        (per_month(e.cost_usd), "windowCostPerMonth")
    } else {
        (0.0, "none")
    };
    if monthly <= 0.0 && !any_signal {
        return Draft::skipped(c, "no data: the actor cost nothing in the window".into());
    }
    let mut d = Draft::new(c);
    savings_acked
        .iter()
        .chain(&anomalies_acked)
        .for_each(|s| d.waive(s));
    let usd = |s: &Signal| {
        s.impact
            .usd_per_month
            .filter(|u| u.is_finite() && *u > 0.0)
            .unwrap_or(0.0)
    };
    let savings = savings_open.iter().fold(0.0, |sum, s| sum + usd(s));
    if !cx.ran(COST) {
        d.notes.push(
            "cost-watchdog is not among the tools read: savings it did not report are not checked"
                .into(),
        );
    }
    // All of the spend is the most a saving can be; with no spend to compare, all of it.
    let share = if monthly > 0.0 {
        (savings / monthly).min(1.0)
    } else if savings > 0.0 {
        1.0
    } else {
        0.0
    };
    for s in &savings_open {
        let part = if savings > 0.0 { usd(s) / savings } else { 0.0 };
        d.lose(
            100.0 * share * part,
            format!("{}: saves ${:.2} of ${monthly:.2}/month", s.title, usd(s)),
            json!({"signalId": s.id, "tool": s.tool, "rule": s.rule, "severity": s.severity, "usdPerMonth": round2(usd(s))}),
        );
    }
    if let Some(first) = anomalies_open.first() {
        d.lose(
            ANOMALY_POINTS,
            format!("a cost anomaly is open: {}", first.title),
            json!({"signals": anomalies_open.iter().map(|s| signal_evidence(s)).collect::<Vec<_>>()}),
        );
    }
    d.inputs = json!({
        "savingsUsdPerMonth": round2(savings),
        "costUsdPerMonth": round2(monthly),
        "costBasis": basis,
        "anomaly": !anomalies_open.is_empty(),
    });
    d
}

const QUALITY_RULES: &[&str] = &[
    "QM-EMPTY-RUNS",
    "QM-PROBE-SCHEMA",
    "QM-PROBE-ITEMS-DROP",
    "QM-PROBE-EMPTY",
];

/// For a component computed from the signals of a tool that is not among those read.
fn not_read(tool: &str) -> String {
    format!("{tool} is not among the tools read: only the problems it reported count")
}

fn quality<'a>(cx: &Context, sig: &ActorSignals<'a>) -> Draft {
    let c = ComponentId::Quality;
    let reported = sig
        .all
        .iter()
        .any(|s| QUALITY_RULES.contains(&s.rule.as_str()));
    if !cx.ran(QUALITY) && !reported {
        return Draft::skipped(c, "not checked: quality-monitor did not run".into());
    }
    let mut d = Draft::new(c);
    if !cx.ran(QUALITY) {
        d.notes.push(not_read(QUALITY));
    }
    let mut notes = Vec::new();
    // The largest rate among the open signals (one per build at most).
    let mut rate_of = |open: &[&'a Signal], rate: &dyn Fn(&Value) -> Option<f64>| {
        let mut best: Option<(f64, &'a Signal)> = None;
        for s in open {
            match rate(&s.evidence) {
                Some(r) if best.is_none_or(|b| r.clamp(0.0, 1.0) > b.0) => {
                    best = Some((r.clamp(0.0, 1.0), *s))
                }
                Some(_) => {}
                None => notes.push(format!(
                    "{} ({}) has no rate in its evidence: not counted",
                    s.rule, s.id
                )),
            }
        }
        best
    };
    let (empty_open, empty_acked) = sig.rule(&["QM-EMPTY-RUNS"]);
    let (schema_open, schema_acked) = sig.rule(&["QM-PROBE-SCHEMA"]);
    let (drop_open, drop_acked) = sig.rule(&QUALITY_RULES[2..]);
    for s in empty_acked.iter().chain(&schema_acked).chain(&drop_acked) {
        d.waive(s);
    }
    let empty = rate_of(&empty_open, &|ev| f64_at(ev, "current"));
    let schema = rate_of(
        &schema_open,
        &|ev| match (f64_at(ev, "invalidItems"), f64_at(ev, "items")) {
            (Some(bad), Some(n)) if n > 0.0 => Some(bad / n),
            _ => None,
        },
    );
    d.notes.append(&mut notes);
    let e = empty.map_or(0.0, |x| x.0);
    let x = schema.map_or(0.0, |x| x.0);
    if let Some((rate, s)) = empty {
        d.lose(
            100.0 * rate,
            format!("{:.0} % of successful runs wrote nothing: {}", 100.0 * rate, s.title),
            json!({"signalId": s.id, "tool": s.tool, "rule": s.rule, "severity": s.severity, "emptyRate": round4(rate)}),
        );
    }
    if let Some((rate, s)) = schema {
        d.lose(
            100.0 * (1.0 - e) * rate,
            format!(
                "{:.0} % of the probe's items fail the dataset schema: {}",
                100.0 * rate,
                s.title
            ),
            json!({"signalId": s.id, "tool": s.tool, "rule": s.rule, "severity": s.severity, "schemaFailRate": round4(rate)}),
        );
    }
    if let Some(first) = drop_open.first() {
        d.lose(
            ITEM_DROP_POINTS,
            format!("the item count dropped: {}", first.title),
            json!({"signals": drop_open.iter().map(|s| signal_evidence(s)).collect::<Vec<_>>()}),
        );
    }
    d.inputs = json!({
        "emptyRate": round4(e),
        "schemaFailRate": round4(x),
        "itemDrop": !drop_open.is_empty(),
    });
    d
}

const SCHEMA_BREAKS: &[&str] = &[
    "SV-BREAKING-INPUT-CHANGE",
    "SV-BREAKING-DATASET-CHANGE",
    "RG-BLOCK",
];
const SCHEMA_WARNS: &[&str] = &["SV-INPUT-SCHEMA-LINT", "RG-WARN"];

fn high(s: &Signal) -> bool {
    s.severity >= Severity::High
}

fn contract(cx: &Context, sig: &ActorSignals) -> Draft {
    let c = ComponentId::Contract;
    let tools = [SCHEMA, GATE, COMPLIANCE];
    let (open, acked) = sig.matching(|s| {
        SCHEMA_BREAKS.contains(&s.rule.as_str())
            || SCHEMA_WARNS.contains(&s.rule.as_str())
            || s.rule.starts_with("CS-SECRET-")
            || s.rule.starts_with("CS-PII-")
    });
    if open.is_empty() && acked.is_empty() && !tools.iter().any(|t| cx.ran(t)) {
        return Draft::skipped(
            c,
            "not checked: neither schema-validator, release-gate nor compliance-scanner ran".into(),
        );
    }
    let mut d = Draft::new(c);
    for t in tools.iter().filter(|t| !cx.ran(t)) {
        d.notes.push(not_read(t));
    }
    acked.iter().for_each(|s| d.waive(s));
    let (info, open): (Vec<&Signal>, Vec<&Signal>) =
        open.into_iter().partition(|s| s.severity == Severity::Info);
    for s in info {
        d.notes
            .push(format!("info, not counted: {} ({})", s.title, s.rule));
    }
    let schema_err = |s: &Signal| SCHEMA_BREAKS.contains(&s.rule.as_str()) && high(s);
    let schema_warn = |s: &Signal| {
        SCHEMA_WARNS.contains(&s.rule.as_str())
            || (SCHEMA_BREAKS.contains(&s.rule.as_str()) && !high(s))
    };
    let secret = |s: &Signal| s.rule.starts_with("CS-SECRET-");
    let (mut n_err, mut n_warn, mut n_secret, mut n_secret_warn, mut n_pii) = (0, 0, 0, 0, 0);
    for s in open.iter().filter(|s| schema_err(s)) {
        n_err += 1;
        d.lose(
            ERR_POINTS,
            format!("breaking contract finding: {}", s.title),
            signal_evidence(s),
        );
    }
    let mut warn_left = WARN_CAP_POINTS;
    for s in open.iter().filter(|s| schema_warn(s)) {
        n_warn += 1;
        let take = WARN_POINTS.min(warn_left);
        warn_left -= take;
        if take <= 0.0 {
            d.notes.push(format!(
                "not counted (schema warnings cap at 50 points): {}",
                s.title
            ));
            continue;
        }
        d.lose(
            take,
            format!("schema warning: {}", s.title),
            signal_evidence(s),
        );
    }
    for s in open.iter().filter(|s| secret(s)) {
        let (points, what) = if high(s) {
            n_secret += 1;
            (ERR_POINTS, "secret")
        } else {
            n_secret_warn += 1;
            (WARN_POINTS, "secret hygiene")
        };
        d.lose(points, format!("{what}: {}", s.title), signal_evidence(s));
    }
    for s in open.iter().filter(|s| s.rule.starts_with("CS-PII-")) {
        n_pii += 1;
        d.lose(
            WARN_POINTS,
            format!("personal data: {}", s.title),
            signal_evidence(s),
        );
    }
    d.inputs = json!({
        "schemaErrors": n_err, "schemaWarnings": n_warn, "secrets": n_secret,
        "secretWarnings": n_secret_warn, "personalData": n_pii,
    });
    d
}

/// A maintenance check decided by one tool's findings.
struct CheckSpec {
    check: &'static str,
    tool: &'static str,
    rules: &'static [&'static str],
    /// For a lint signal: the finding inside it that fails the check.
    finding: Option<&'static str>,
    /// Needs the build's files (README, schemas): skipped when compliance had no build.
    needs_build: bool,
    what: &'static str,
}

const CHECKS: &[CheckSpec] = &[
    CheckSpec {
        check: "readme",
        tool: COMPLIANCE,
        rules: &["CS-STORE-README-MISSING", "CS-STORE-README-STUB"],
        finding: None,
        needs_build: true,
        what: "a README that is not a stub",
    },
    CheckSpec {
        check: "inputDescriptions",
        tool: SCHEMA,
        rules: &["SV-INPUT-SCHEMA-LINT"],
        finding: Some("LINT-DOCS-MISSING"),
        needs_build: false,
        what: "every input property has a title and a description",
    },
    CheckSpec {
        check: "datasetSchema",
        tool: COMPLIANCE,
        rules: &["CS-STORE-DATASET-SCHEMA"],
        finding: None,
        needs_build: true,
        what: "a dataset schema with fields and views",
    },
    // "recentBuild" goes here: it comes from fleet-analytics' own evidence.
    CheckSpec {
        check: "limitedPermissions",
        tool: COMPLIANCE,
        rules: &["CS-FULL-PERMISSIONS-UNEXPLAINED"],
        finding: None,
        needs_build: false,
        what: "limited permissions, or full ones explained",
    },
    CheckSpec {
        check: "prefill",
        tool: COMPLIANCE,
        rules: &["CS-STORE-REQUIRED-NO-PREFILL"],
        finding: None,
        needs_build: true,
        what: "required inputs have a prefill or a default",
    },
];

fn has_finding(s: &Signal, rule: &str) -> bool {
    s.evidence
        .get("findings")
        .and_then(Value::as_array)
        .is_some_and(|fs| fs.iter().any(|f| f["rule"].as_str() == Some(rule)))
}

fn maintenance(cx: &Context, e: &ActorHealthEvidence, sig: &ActorSignals) -> Draft {
    let mut d = Draft::new(ComponentId::Maintenance);
    let no_build = sig.all.iter().any(|s| s.rule == "CS-NO-BUILD");
    // (check, outcome, tool, detail, failing signals)
    let mut outcomes: Vec<(Check, Vec<&Signal>)> = Vec::new();
    for spec in CHECKS {
        if spec.check == "limitedPermissions" {
            outcomes.push(recent_build(e, sig, &mut d));
        }
        let skip = |detail: String| Check {
            check: spec.check,
            outcome: Outcome::Skip,
            tool: spec.tool,
            detail,
        };
        let (open, acked) = sig.matching(|s| {
            spec.rules.contains(&s.rule.as_str()) && spec.finding.is_none_or(|f| has_finding(s, f))
        });
        acked.iter().for_each(|s| d.waive(s));
        let failing: Vec<&Signal> = open
            .iter()
            .copied()
            .filter(|s| s.severity > Severity::Info)
            .collect();
        // A reported problem fails the check; its absence passes it only if the tool looked.
        let check = if let Some(first) = failing.first() {
            Check {
                check: spec.check,
                outcome: Outcome::Fail,
                tool: spec.tool,
                detail: first.title.clone(),
            }
        } else if !cx.ran(spec.tool) {
            skip(format!("{} did not run", spec.tool))
        } else if spec.needs_build && spec.tool == COMPLIANCE && no_build {
            skip("compliance-scanner had no build to read (CS-NO-BUILD)".into())
        } else if !open.is_empty() {
            // Compliance reports Store rules on private actors at info: they do not apply.
            skip(format!(
                "reported at info only (a Store rule on a private actor): {}",
                open[0].title
            ))
        } else {
            Check {
                check: spec.check,
                outcome: Outcome::Pass,
                tool: spec.tool,
                detail: format!("{}: {} found nothing", spec.what, spec.tool),
            }
        };
        outcomes.push((check, failing));
    }
    let pass = outcomes
        .iter()
        .filter(|(c, _)| c.outcome == Outcome::Pass)
        .count();
    let fail = outcomes
        .iter()
        .filter(|(c, _)| c.outcome == Outcome::Fail)
        .count();
    let skip = outcomes.len() - pass - fail;
    d.inputs = json!({"pass": pass, "fail": fail, "skip": skip});
    if pass + fail == 0 {
        d.skip = Some("no maintenance check could be evaluated".into());
    } else {
        let each = 100.0 / (pass + fail) as f64;
        for (check, failing) in &outcomes {
            if check.outcome == Outcome::Fail {
                let mut evidence = json!({
                    "check": check.check,
                    "signals": failing.iter().map(|s| signal_evidence(s)).collect::<Vec<_>>(),
                });
                if check.check == "recentBuild" {
                    evidence["daysSinceLastSuccessfulBuild"] =
                        json!(e.days_since_last_successful_build);
                    evidence["staleBuildDays"] = json!(e.stale_build_days);
                }
                d.lose(
                    each,
                    format!(
                        "check `{}` failed (1 of {} evaluated checks): {}",
                        check.check,
                        pass + fail,
                        check.detail
                    ),
                    evidence,
                );
            }
        }
    }
    d.checks = outcomes.into_iter().map(|(c, _)| c).collect();
    d
}

/// A successful build within `staleBuildDays`: fleet-analytics' own evidence, always known.
fn recent_build<'a>(
    e: &ActorHealthEvidence,
    sig: &ActorSignals<'a>,
    d: &mut Draft,
) -> (Check, Vec<&'a Signal>) {
    let (open, acked) = sig.rule(&["FA-STALE-BUILD"]);
    let check = |outcome, detail| Check {
        check: "recentBuild",
        outcome,
        tool: FLEET,
        detail,
    };
    if let Some(first) = open.first() {
        return (check(Outcome::Fail, first.title.clone()), open);
    }
    if let Some(s) = acked.first() {
        d.waive(s);
        return (
            check(Outcome::Pass, "the stale build is acknowledged".into()),
            vec![],
        );
    }
    match e.days_since_last_successful_build {
        None => (
            check(
                Outcome::Fail,
                "no successful build among the builds read".into(),
            ),
            vec![],
        ),
        Some(days) if days > e.stale_build_days as i64 => (
            check(
                Outcome::Fail,
                format!(
                    "the last successful build is {days} days old (limit {})",
                    e.stale_build_days
                ),
            ),
            vec![],
        ),
        Some(days) => (
            check(Outcome::Pass, format!("a successful build {days} days ago")),
            vec![],
        ),
    }
}

fn caps(e: &ActorHealthEvidence, budget: Option<f64>, sig: &ActorSignals) -> Vec<Cap> {
    let mut out = Vec::new();
    let list = |v: &[&Signal]| Value::Array(v.iter().map(|s| signal_evidence(s)).collect());
    let (no_success, _) = sig.rule(&["FA-NO-SUCCESS"]);
    let dead = e.decided() >= 3 && e.succeeded == 0;
    if dead || !no_success.is_empty() {
        out.push(Cap {
            cap: CAP_NO_SUCCESS,
            kind: "noSuccess",
            reason: if dead {
                format!(
                    "no successful run: none of {} decided runs in the last {} days succeeded",
                    e.decided(),
                    e.window_days
                )
            } else {
                format!("no successful run: {}", no_success[0].title)
            },
            evidence: json!({"succeeded": e.succeeded, "decided": e.decided(), "signals": list(&no_success)}),
            applied: false,
        });
    }
    if let Some(b) = budget.filter(|b| *b >= BUDGET_BLOWN) {
        out.push(Cap {
            cap: CAP_BUDGET_BLOWN,
            kind: "budgetBlown",
            reason: format!(
                "error budget blown twice over: {:.0} % of it consumed",
                100.0 * b
            ),
            evidence: json!({"budgetConsumed": round4(b)}),
            applied: false,
        });
    }
    let (secrets, _) = sig.matching(|s| {
        s.rule == "CS-SECRET-LEAKED" || (s.rule.starts_with("CS-SECRET-") && high(s))
    });
    if let Some(first) = secrets.first() {
        out.push(Cap {
            cap: CAP_SECRET,
            kind: "secretLeaked",
            reason: format!("a secret is exposed: {}", first.title),
            evidence: json!({"signals": list(&secrets)}),
            applied: false,
        });
    }
    let (blocks, _) =
        sig.matching(|s| s.rule == "RG-BLOCK" || (s.rule == "SV-BREAKING-INPUT-CHANGE" && high(s)));
    if let Some(first) = blocks.first() {
        out.push(Cap {
            cap: CAP_RELEASE_BLOCK,
            kind: "releaseBlocked",
            reason: format!("an unresolved release block: {}", first.title),
            evidence: json!({"signals": list(&blocks)}),
            applied: false,
        });
    }
    out
}

fn actor_health(cx: &Context, e: &ActorHealthEvidence, sig: &ActorSignals) -> ActorHealth {
    let (r, budget) = reliability(cx, e);
    let mut drafts = [
        r,
        performance(cx, e, sig),
        cost(cx, e, sig),
        quality(cx, sig),
        contract(cx, sig),
        maintenance(cx, e, sig),
    ];
    let settled: Vec<(i64, Vec<Reason>)> = drafts.iter_mut().map(Draft::settle).collect();
    let mut notes = Vec::new();
    let weights = &cx.config.weights;
    let active: Vec<usize> = (0..drafts.len())
        .filter(|&i| drafts[i].skip.is_none())
        .collect();
    let weight_sum: f64 = active.iter().map(|&i| weights.get(drafts[i].id)).sum();
    let effective: Vec<f64> = (0..drafts.len())
        .map(|i| {
            if drafts[i].skip.is_some() {
                0.0
            } else if weight_sum > 0.0 {
                weights.get(drafts[i].id) / weight_sum
            } else {
                1.0 / active.len() as f64
            }
        })
        .collect();
    if weight_sum <= 0.0 && !active.is_empty() {
        notes.push("every computed component has weight 0: they count equally".into());
    }
    if active.is_empty() {
        notes.push("no component could be computed".into());
    }
    // Contributions in hundredths, apportioned so that they add up to H_raw exactly.
    let exact: Vec<f64> = (0..drafts.len())
        .map(|i| effective[i] * settled[i].0 as f64)
        .collect();
    let raw_cents = (exact.iter().sum::<f64>().round() as i64).clamp(0, FULL);
    let contrib = apportion(&exact, raw_cents);
    let raw = from_cents(raw_cents);

    let mut caps = caps(e, budget, sig);
    let lowest = caps.iter().map(|c| c.cap).fold(f64::INFINITY, f64::min);
    let score = raw.min(lowest);
    for c in caps.iter_mut() {
        c.applied = c.cap == lowest && lowest < raw;
    }
    // Two caps at the same level: the first one explains it.
    if let Some(i) = caps.iter().position(|c| c.applied) {
        for c in caps.iter_mut().skip(i + 1) {
            c.applied = false;
        }
    }
    let decided = e.decided();
    let low = decided < MIN_CONFIDENT_RUNS;
    let mut grade = Grade::of(score);
    if low && grade == Grade::A {
        grade = Grade::B;
        notes.push(format!(
            "grade B, not A: only {decided} decided runs (fewer than {MIN_CONFIDENT_RUNS})"
        ));
    }
    let components = drafts
        .into_iter()
        .zip(settled)
        .enumerate()
        .map(|(i, (d, (score, reasons)))| {
            let skipped = d.skip.is_some();
            ComponentScore {
                component: d.id,
                weight: weights.get(d.id),
                effective_weight: round4(effective[i]),
                score: (!skipped).then(|| from_cents(score)),
                contribution: (!skipped).then(|| from_cents(contrib[i])),
                skipped,
                skip_reason: d.skip,
                inputs: d.inputs,
                reasons: if skipped { Vec::new() } else { reasons },
                acknowledged: d.acknowledged,
                notes: d.notes,
                checks: d.checks,
            }
        })
        .collect();
    ActorHealth {
        actor_id: e.actor_id.clone(),
        score,
        raw_score: raw,
        grade,
        confidence: Confidence {
            low,
            decided_runs: decided,
            min_runs: MIN_CONFIDENT_RUNS,
            window_days: e.window_days,
        },
        components,
        caps,
        notes,
    }
}

/// Scores every actor and the fleet. `signals` are every tool's, own and specialists', with
/// their `acknowledged` flags; signals about subjects that are not in `actors` are ignored.
/// `covered` names the tools whose signals were read. A reported problem always counts, but
/// the absence of one counts only for a covered tool: a tool that did not run leaves its
/// components or checks skipped rather than perfect.
pub fn health(
    config: &HealthConfig,
    actors: &[ActorHealthEvidence],
    signals: &[Signal],
    covered: &BTreeSet<String>,
) -> HealthReport {
    let (config, warnings) = sanitize(config);

    let rates: Vec<f64> = actors
        .iter()
        .filter(|e| e.decided() > 0)
        .map(|e| e.succeeded as f64 / e.decided() as f64)
        .collect();
    let prior = crate::stats::median(&rates).unwrap_or(PRIOR_WITHOUT_DATA);

    let ids: BTreeSet<&str> = actors.iter().map(|e| e.actor_id.as_str()).collect();
    let mut unique: BTreeMap<&str, &Signal> = BTreeMap::new();
    for s in signals {
        if ids.contains(s.subject.actor_id.as_str()) {
            unique.entry(s.id.as_str()).or_insert(s);
        }
    }
    let mut by_actor: BTreeMap<&str, Vec<&Signal>> = BTreeMap::new();
    for s in unique.into_values() {
        by_actor
            .entry(s.subject.actor_id.as_str())
            .or_default()
            .push(s);
    }
    for v in by_actor.values_mut() {
        v.sort_by(|a, b| a.rule.cmp(&b.rule).then(a.id.cmp(&b.id)));
    }

    let cx = Context {
        config: &config,
        prior,
        covered,
    };
    let reports: Vec<ActorHealth> = actors
        .iter()
        .map(|e| {
            let sig = ActorSignals {
                all: by_actor
                    .get(e.actor_id.as_str())
                    .cloned()
                    .unwrap_or_default(),
            };
            actor_health(&cx, e, &sig)
        })
        .collect();
    let fleet = fleet_health(&config, actors, &reports, prior, covered, warnings);
    HealthReport {
        fleet,
        actors: reports,
    }
}

fn fleet_health(
    config: &HealthConfig,
    actors: &[ActorHealthEvidence],
    reports: &[ActorHealth],
    prior: f64,
    covered: &BTreeSet<String>,
    warnings: Vec<String>,
) -> FleetHealth {
    let costs: Vec<f64> = actors
        .iter()
        .map(|e| {
            if e.cost_usd.is_finite() {
                e.cost_usd.max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let runs: Vec<f64> = actors.iter().map(|e| e.decided() as f64).collect();
    let (weighting, weights) = if costs.iter().sum::<f64>() > 0.0 {
        (Weighting::CostUsd, costs)
    } else if runs.iter().sum::<f64>() > 0.0 {
        (Weighting::DecidedRuns, runs)
    } else {
        (Weighting::Equal, vec![1.0; actors.len()])
    };
    let total: f64 = weights.iter().sum();
    let score = (total > 0.0).then(|| {
        round2(
            reports
                .iter()
                .zip(&weights)
                .map(|(r, w)| w * r.score)
                .sum::<f64>()
                / total,
        )
        .clamp(0.0, 100.0)
    });
    let mut grades = GradeCounts::default();
    for r in reports {
        match r.grade {
            Grade::A => grades.a += 1,
            Grade::B => grades.b += 1,
            Grade::C => grades.c += 1,
            Grade::D => grades.d += 1,
            Grade::F => grades.f += 1,
        }
    }
    let components = ComponentId::ALL
        .iter()
        .map(|&c| {
            let (mut sum, mut wsum, mut n) = (0.0, 0.0, 0);
            for (r, w) in reports.iter().zip(&weights) {
                if let Some(s) = r.component(c).score {
                    sum += w * s;
                    wsum += w;
                    n += 1;
                }
            }
            FleetComponent {
                component: c,
                weight: config.weights.get(c),
                score: (wsum > 0.0).then(|| round2(sum / wsum)),
                actors: n,
            }
        })
        .collect();
    let mut detractors: Vec<Detractor> = reports
        .iter()
        .zip(actors)
        .zip(&weights)
        .filter_map(|((r, e), w)| {
            let share = if total > 0.0 { w / total } else { 0.0 };
            let lost = (100.0 - r.score) * share;
            if lost <= 0.0 {
                return None;
            }
            let biggest = r
                .components
                .iter()
                .filter_map(|c| {
                    c.score
                        .map(|s| (c.component, c.effective_weight * (100.0 - s)))
                })
                .filter(|(_, p)| *p > 0.0)
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            Some(Detractor {
                actor_id: e.actor_id.clone(),
                actor_name: e.actor_name.clone(),
                score: r.score,
                grade: r.grade,
                weight: round4(share),
                points_lost: lost,
                biggest_loss: biggest.map(|b| b.0),
                biggest_loss_points: round2(biggest.map_or(0.0, |b| b.1)),
                capped_at: r.caps.iter().find(|c| c.applied).map(|c| c.cap),
            })
        })
        .collect();
    detractors.sort_by(|a, b| {
        b.points_lost
            .total_cmp(&a.points_lost)
            .then_with(|| a.actor_id.cmp(&b.actor_id))
    });
    detractors.truncate(TOP_DETRACTORS);
    for d in detractors.iter_mut() {
        d.points_lost = round2(d.points_lost);
    }
    FleetHealth {
        score,
        grade: score.map(Grade::of),
        weighting,
        grades,
        components,
        detractors,
        weights: config.weights,
        slo: config.slo,
        slo_by_actor: config.slo_by_actor.clone(),
        reliability_prior: round4(prior),
        covered: covered.iter().cloned().collect(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{Impact, Subject};
    use chrono::{TimeZone, Utc};

    fn actor(id: &str, succeeded: u64, failed: u64) -> ActorHealthEvidence {
        ActorHealthEvidence {
            actor_id: id.into(),
            actor_name: format!("dev/{id}"),
            succeeded,
            failed,
            timed_out: 0,
            aborted: 0,
            window_days: 30,
            cost_usd: 10.0,
            projected_monthly_usd: 100.0,
            days_since_last_successful_build: Some(10),
            stale_build_days: 180,
        }
    }

    fn signal(actor: &str, tool: &str, rule: &str, severity: Severity, evidence: Value) -> Signal {
        Signal {
            id: format!("{actor}-{rule}"),
            tool: tool.into(),
            rule: rule.into(),
            severity,
            subject: Subject {
                actor_id: actor.into(),
                actor_name: format!("dev/{actor}"),
                build_number: None,
            },
            title: format!("{rule} on {actor}"),
            evidence,
            impact: Impact::default(),
            recommendation: String::new(),
            console_url: String::new(),
            first_seen_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            acknowledged: false,
        }
    }

    fn usd(mut s: Signal, usd: f64) -> Signal {
        s.impact.usd_per_month = Some(usd);
        s
    }

    fn all_tools() -> BTreeSet<String> {
        [FLEET, QUALITY, COST, SCHEMA, GATE, COMPLIANCE]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn only(tools: &[&str]) -> BTreeSet<String> {
        tools.iter().map(|s| s.to_string()).collect()
    }

    fn score_one(
        a: ActorHealthEvidence,
        signals: &[Signal],
        covered: &BTreeSet<String>,
    ) -> ActorHealth {
        health(&HealthConfig::default(), &[a], signals, covered)
            .actors
            .remove(0)
    }

    fn points(h: &ActorHealth, c: ComponentId) -> Vec<f64> {
        h.component(c).reasons.iter().map(|r| r.points).collect()
    }

    #[test]
    fn reliability_shrinks_toward_the_fleet_median_and_spends_the_budget() {
        // Median of 0.95 and 0.99 is 0.97: SLI* = (95 + 9.7)/110, B = (1 − SLI*)/0.05.
        let r = health(
            &HealthConfig::default(),
            &[actor("x", 95, 5), actor("y", 99, 1)],
            &[],
            &all_tools(),
        );
        let x = r.actors[0].component(ComponentId::Reliability);
        assert_eq!(x.score, Some(3.64));
        assert_eq!(points(&r.actors[0], ComponentId::Reliability), [96.36]);
        assert!(x.reasons[0].reason.contains("95 of 100 decided runs"));
        assert_eq!(r.fleet.reliability_prior, 0.97);
        // A per-actor SLO by full name: 0.9 leaves half of the loss.
        let mut config = HealthConfig::default();
        config.slo_by_actor.insert("dev/x".into(), 0.9);
        let r = health(
            &config,
            &[actor("x", 95, 5), actor("y", 99, 1)],
            &[],
            &all_tools(),
        );
        let x = r.actors[0].component(ComponentId::Reliability);
        assert_eq!(x.score, Some(51.82));
        assert_eq!(x.inputs["sloFrom"], "sloByActor");
    }

    #[test]
    fn an_actor_without_runs_has_no_reliability_rather_than_a_perfect_one() {
        let h = score_one(actor("idle", 0, 0), &[], &only(&[FLEET]));
        let r = h.component(ComponentId::Reliability);
        assert!(r.skipped && r.score.is_none() && r.contribution.is_none());
        assert!(r.skip_reason.as_deref().unwrap().starts_with("no data"));
        assert!(h.confidence.low);
        assert_ne!(h.grade, Grade::A);
    }

    #[test]
    fn performance_loses_for_a_confirmed_slowdown_and_for_time_outs() {
        let mut a = actor("p", 95, 0);
        let before = score_one(a.clone(), &[], &all_tools());
        assert_eq!(
            before.component(ComponentId::Performance).score,
            Some(100.0)
        );
        a.timed_out = 5; // 5 % of 100 decided runs: 25 points.
        let slow = signal(
            "p",
            QUALITY,
            "QM-DURATION",
            Severity::Low,
            json!({"effect": 0.25}),
        );
        let after = score_one(a, &[slow], &all_tools());
        assert_eq!(points(&after, ComponentId::Performance), [50.0, 25.0]);
        assert_eq!(after.component(ComponentId::Performance).score, Some(25.0));
        assert_eq!(
            after.component(ComponentId::Performance).reasons[0].evidence["rule"],
            "QM-DURATION"
        );
    }

    #[test]
    fn cost_loses_the_share_of_spend_that_could_be_saved_and_twenty_for_an_anomaly() {
        let a = actor("c", 100, 0);
        let before = score_one(a.clone(), &[], &all_tools());
        assert_eq!(before.component(ComponentId::Cost).score, Some(100.0));
        let signals = [
            usd(
                signal(
                    "c",
                    COST,
                    "CW-MEM-OVERPROVISIONED",
                    Severity::Medium,
                    json!({}),
                ),
                20.0,
            ),
            usd(
                signal("c", COST, "CW-TIMEOUT-WASTE", Severity::Low, json!({})),
                10.0,
            ),
            signal("c", FLEET, "FA-COST-JUMP", Severity::Medium, json!({})),
        ];
        let after = score_one(a, &signals, &all_tools());
        // $30 of $100/month, then the anomaly.
        assert_eq!(points(&after, ComponentId::Cost), [20.0, 10.0, 20.0]);
        assert_eq!(after.component(ComponentId::Cost).score, Some(50.0));
    }

    #[test]
    fn quality_multiplies_empty_and_invalid_shares_and_loses_thirty_for_a_drop() {
        let a = actor("q", 100, 0);
        let signals = [
            signal(
                "q",
                QUALITY,
                "QM-EMPTY-RUNS",
                Severity::High,
                json!({"current": 0.2}),
            ),
            signal(
                "q",
                QUALITY,
                "QM-PROBE-SCHEMA",
                Severity::Medium,
                json!({"items": 10, "invalidItems": 5}),
            ),
            signal(
                "q",
                QUALITY,
                "QM-PROBE-ITEMS-DROP",
                Severity::Medium,
                json!({}),
            ),
        ];
        let after = score_one(a.clone(), &signals, &all_tools());
        // 100·0.8·0.5 = 40: 20 lost to empty runs, 40 to invalid items, then 30 to the drop.
        assert_eq!(points(&after, ComponentId::Quality), [20.0, 40.0, 30.0]);
        assert_eq!(after.component(ComponentId::Quality).score, Some(10.0));
        let before = score_one(a, &[], &all_tools());
        assert_eq!(before.component(ComponentId::Quality).score, Some(100.0));
    }

    #[test]
    fn contract_counts_errors_capped_warnings_secrets_and_personal_data() {
        let a = actor("k", 100, 0);
        let mut signals: Vec<Signal> = (0..7)
            .map(|i| {
                let mut s = signal("k", GATE, "RG-WARN", Severity::Medium, json!({}));
                s.id = format!("warn-{i}");
                s
            })
            .collect();
        signals.push(signal(
            "k",
            COMPLIANCE,
            "CS-PII-LITERAL",
            Severity::Medium,
            json!({}),
        ));
        let h = score_one(a.clone(), &signals, &all_tools());
        // Seven warnings cap at 50; personal data 10.
        assert_eq!(h.component(ComponentId::Contract).score, Some(40.0));
        assert_eq!(
            h.component(ComponentId::Contract).inputs["schemaWarnings"],
            7
        );
        assert!(h
            .component(ComponentId::Contract)
            .notes
            .iter()
            .any(|n| n.contains("cap at 50")));
        signals.push(signal(
            "k",
            SCHEMA,
            "SV-BREAKING-DATASET-CHANGE",
            Severity::High,
            json!({}),
        ));
        let h = score_one(a, &signals, &all_tools());
        assert_eq!(points(&h, ComponentId::Contract)[0], 50.0);
        assert_eq!(h.component(ComponentId::Contract).score, Some(0.0));
    }

    #[test]
    fn maintenance_is_the_share_of_passing_checks_and_skips_what_did_not_run() {
        let a = actor("m", 100, 0);
        let readme = signal(
            "m",
            COMPLIANCE,
            "CS-STORE-README-MISSING",
            Severity::Medium,
            json!({}),
        );
        // schema-validator did not run: 5 checks evaluated, 1 fails.
        let h = score_one(
            a.clone(),
            std::slice::from_ref(&readme),
            &only(&[FLEET, COMPLIANCE]),
        );
        let m = h.component(ComponentId::Maintenance);
        assert_eq!(m.score, Some(80.0));
        assert_eq!(points(&h, ComponentId::Maintenance), [20.0]);
        let outcome = |c: &str| m.checks.iter().find(|x| x.check == c).unwrap().outcome;
        assert_eq!(outcome("readme"), Outcome::Fail);
        assert_eq!(outcome("inputDescriptions"), Outcome::Skip);
        assert_eq!(outcome("recentBuild"), Outcome::Pass);
        // The lint signal fails input descriptions only when it carries LINT-DOCS-MISSING.
        let lint = signal(
            "m",
            SCHEMA,
            "SV-INPUT-SCHEMA-LINT",
            Severity::Low,
            json!({"findings": [{"rule": "LINT-DOCS-MISSING"}]}),
        );
        let h = score_one(a, &[readme, lint], &all_tools());
        assert_eq!(h.component(ComponentId::Maintenance).score, Some(66.67));
        assert_eq!(points(&h, ComponentId::Maintenance), [16.67, 16.66]);
    }

    #[test]
    fn each_cap_holds_the_score_down_with_its_reason_and_the_lowest_applies() {
        let cap_of = |h: &ActorHealth| h.caps.iter().find(|c| c.applied).map(|c| (c.kind, c.cap));
        let dead = score_one(actor("d", 0, 5), &[], &all_tools());
        assert_eq!(cap_of(&dead), Some(("noSuccess", 20.0)));
        assert!(dead.score <= 20.0);
        assert!(dead.caps[0].reason.starts_with("no successful run"));

        // Budget blown twice (B ≥ 2) with a middling reliability elsewhere.
        let flaky = health(
            &HealthConfig::default(),
            &[actor("f", 70, 30), actor("g", 100, 0), actor("h", 100, 0)],
            &[],
            &all_tools(),
        );
        assert_eq!(cap_of(&flaky.actors[0]), Some(("budgetBlown", 40.0)));
        assert_eq!(flaky.actors[0].score, 40.0);

        let leak = signal(
            "s",
            COMPLIANCE,
            "CS-SECRET-LEAKED",
            Severity::Medium,
            json!({}),
        );
        let h = score_one(actor("s", 100, 0), &[leak], &all_tools());
        assert_eq!(cap_of(&h), Some(("secretLeaked", 50.0)));
        assert_eq!(h.score, 50.0);

        let block = signal("b", GATE, "RG-BLOCK", Severity::Critical, json!({}));
        let h = score_one(
            actor("b", 100, 0),
            std::slice::from_ref(&block),
            &all_tools(),
        );
        assert_eq!(cap_of(&h), Some(("releaseBlocked", 60.0)));
        assert_eq!(h.score, 60.0);

        // Both a leak and a block: 50 applies, 60 is still listed.
        let leak = signal(
            "b",
            COMPLIANCE,
            "CS-SECRET-GENERIC",
            Severity::High,
            json!({}),
        );
        let h = score_one(actor("b", 100, 0), &[block, leak], &all_tools());
        assert_eq!(cap_of(&h), Some(("secretLeaked", 50.0)));
        assert_eq!(h.caps.len(), 2);
    }

    #[test]
    fn skipped_components_share_their_weight_with_the_others() {
        let mut a = actor("s", 100, 0);
        a.timed_out = 10; // P = 100 − 50·(10/110)/0.1 = 54.55
        let h = score_one(a, &[], &only(&[FLEET]));
        let skipped: Vec<ComponentId> = h
            .components
            .iter()
            .filter(|c| c.skipped)
            .map(|c| c.component)
            .collect();
        assert_eq!(skipped, [ComponentId::Quality, ComponentId::Contract]);
        let total: f64 = h.components.iter().map(|c| c.effective_weight).sum();
        assert!((total - 1.0).abs() < 1e-3);
        // 0.35 + 0.15 + 0.15 + 0.10 = 0.75 of weight is computed.
        assert_eq!(
            h.component(ComponentId::Reliability).effective_weight,
            0.4667
        );
        let sum: f64 = h.components.iter().filter_map(|c| c.contribution).sum();
        assert!((sum - h.raw_score).abs() < 0.005);
        assert!(h.component(ComponentId::Performance).notes[0].contains("quality-monitor"));
    }

    #[test]
    fn a_reported_problem_counts_even_when_its_tool_is_not_among_those_read() {
        // A specialist that failed on some shards is not covered, but what it did report holds.
        let signals = [
            signal(
                "r",
                QUALITY,
                "QM-EMPTY-RUNS",
                Severity::High,
                json!({"current": 0.5}),
            ),
            signal(
                "r",
                COMPLIANCE,
                "CS-STORE-README-STUB",
                Severity::Low,
                json!({}),
            ),
        ];
        let h = score_one(actor("r", 100, 0), &signals, &only(&[FLEET]));
        let q = h.component(ComponentId::Quality);
        assert_eq!(q.score, Some(50.0));
        assert!(q.notes[0].contains("not among the tools read"), "{q:?}");
        let m = h.component(ComponentId::Maintenance);
        let readme = m.checks.iter().find(|c| c.check == "readme").unwrap();
        assert_eq!(readme.outcome, Outcome::Fail);
        // The other compliance checks are not passed for want of a signal.
        assert_eq!(m.inputs["pass"], 1);
        assert!(h.component(ComponentId::Contract).skipped);
    }

    #[test]
    fn acknowledged_signals_cost_nothing_but_are_listed() {
        let a = actor("a", 100, 0);
        let mut empty = signal(
            "a",
            QUALITY,
            "QM-EMPTY-RUNS",
            Severity::High,
            json!({"current": 0.5}),
        );
        let open = score_one(a.clone(), &[empty.clone()], &all_tools());
        assert_eq!(open.component(ComponentId::Quality).score, Some(50.0));
        empty.acknowledged = true;
        let mut leak = signal(
            "a",
            COMPLIANCE,
            "CS-SECRET-LEAKED",
            Severity::Critical,
            json!({}),
        );
        leak.acknowledged = true;
        let h = score_one(a, &[empty, leak], &all_tools());
        let q = h.component(ComponentId::Quality);
        assert_eq!(q.score, Some(100.0));
        assert_eq!(q.acknowledged.len(), 1);
        assert_eq!(q.acknowledged[0].points, 0.0);
        assert!(h.caps.is_empty());
        assert_eq!(h.component(ComponentId::Contract).acknowledged.len(), 1);
    }

    #[test]
    fn low_confidence_never_grades_a() {
        let h = score_one(actor("few", 10, 0), &[], &all_tools());
        assert!(h.score >= 90.0, "score {}", h.score);
        assert!(h.confidence.low);
        assert_eq!(h.grade, Grade::B);
        let h = score_one(actor("many", 100, 0), &[], &all_tools());
        assert_eq!(h.grade, Grade::A);
    }

    #[test]
    fn the_fleet_is_weighted_by_cost_and_detractors_by_the_points_they_take() {
        let mut cheap_dead = actor("cheap", 0, 10);
        cheap_dead.cost_usd = 1.0;
        let mut pricey = actor("pricey", 90, 10);
        pricey.cost_usd = 99.0;
        let mut also = actor("also", 0, 10);
        also.cost_usd = 1.0;
        let r = health(
            &HealthConfig::default(),
            &[cheap_dead, pricey, also],
            &[],
            &all_tools(),
        );
        assert_eq!(r.fleet.weighting, Weighting::CostUsd);
        let mean = (r.actors[0].score + 99.0 * r.actors[1].score + r.actors[2].score) / 101.0;
        assert_eq!(r.fleet.score, Some(round2(mean)));
        let order: Vec<&str> = r
            .fleet
            .detractors
            .iter()
            .map(|d| d.actor_id.as_str())
            .collect();
        // The expensive one first; the two equal ones by id.
        assert_eq!(order, ["pricey", "also", "cheap"]);
        assert_eq!(r.fleet.detractors[1].capped_at, Some(20.0));
        assert_eq!(
            r.fleet.detractors[0].biggest_loss,
            Some(ComponentId::Reliability)
        );
        assert_eq!(r.fleet.grades.f, 2);

        // No cost anywhere: decided runs weigh; no runs either: equal.
        let mut a = actor("a", 10, 0);
        a.cost_usd = 0.0;
        let mut b = actor("b", 0, 0);
        b.cost_usd = 0.0;
        let r = health(
            &HealthConfig::default(),
            &[a.clone(), b.clone()],
            &[],
            &all_tools(),
        );
        assert_eq!(r.fleet.weighting, Weighting::DecidedRuns);
        assert_eq!(r.fleet.score, Some(r.actors[0].score));
        a.succeeded = 0;
        let r = health(&HealthConfig::default(), &[a, b], &[], &all_tools());
        assert_eq!(r.fleet.weighting, Weighting::Equal);
        assert_eq!(
            health(&HealthConfig::default(), &[], &[], &all_tools())
                .fleet
                .score,
            None
        );
    }

    #[test]
    fn odd_settings_fall_back_to_their_defaults_with_a_warning() {
        let mut config = HealthConfig::default();
        config.weights.cost = -1.0;
        config.weights.quality = f64::NAN;
        config.slo = 1.5;
        config.slo_by_actor.insert("x".into(), 0.0);
        let r = health(&config, &[actor("x", 100, 0)], &[], &all_tools());
        assert_eq!(
            r.fleet.warnings,
            [
                "healthWeights.cost was -1; used 0.15",
                "healthWeights.quality was NaN; used 0.15",
                "slo was 1.5; used 0.95",
                "sloByActor.x was 0; used 0.95",
            ]
        );
        assert_eq!(r.fleet.weights, HealthWeights::default());
        let zero = HealthConfig {
            weights: HealthWeights {
                reliability: 0.0,
                performance: 0.0,
                cost: 0.0,
                quality: 0.0,
                contract: 0.0,
                maintenance: 0.0,
            },
            ..Default::default()
        };
        let r = health(&zero, &[actor("x", 100, 0)], &[], &all_tools());
        assert_eq!(
            r.fleet.warnings,
            ["healthWeights were all 0; used the defaults"]
        );
        assert_eq!(r.fleet.weights, HealthWeights::default());
    }

    #[test]
    fn the_readme_worked_example_recomputes() {
        let mut a = actor("x", 95, 3);
        a.timed_out = 2;
        a.aborted = 1;
        a.projected_monthly_usd = 200.0;
        a.days_since_last_successful_build = Some(20);
        let signals = [
            signal(
                "x",
                QUALITY,
                "QM-DURATION",
                Severity::Low,
                json!({"effect": 0.20}),
            ),
            usd(
                signal(
                    "x",
                    COST,
                    "CW-MEM-OVERPROVISIONED",
                    Severity::Medium,
                    json!({}),
                ),
                30.0,
            ),
            signal(
                "x",
                SCHEMA,
                "SV-INPUT-SCHEMA-LINT",
                Severity::Low,
                json!({"findings": [{"rule": "LINT-DOCS-MISSING"}]}),
            ),
        ];
        let covered = only(&[FLEET, QUALITY, COST, SCHEMA]);
        let r = health(
            &HealthConfig::default(),
            &[a, actor("y", 99, 1)],
            &signals,
            &covered,
        );
        let h = &r.actors[0];
        let scores: Vec<Option<f64>> = h.components.iter().map(|c| c.score).collect();
        let expected = [3.64, 50.0, 85.0, 100.0, 90.0, 50.0].map(Some);
        assert_eq!(scores, expected);
        let contributions: Vec<Option<f64>> = h.components.iter().map(|c| c.contribution).collect();
        let expected = [1.27, 7.5, 12.75, 15.0, 9.0, 5.0].map(Some);
        assert_eq!(contributions, expected);
        assert_eq!((h.raw_score, h.score, h.grade), (50.52, 50.52, Grade::D));
        assert!(h.caps.is_empty() && !h.confidence.low);
    }

    /// A tiny LCG (Knuth's MMIX constants): seeded, no dependency.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn unit(&mut self) -> f64 {
            self.next() as f64 / (1u64 << 31) as f64
        }
    }

    const RULES: &[(&str, &str)] = &[
        (QUALITY, "QM-DURATION"),
        (QUALITY, "QM-EMPTY-RUNS"),
        (QUALITY, "QM-PROBE-SCHEMA"),
        (QUALITY, "QM-PROBE-ITEMS-DROP"),
        (QUALITY, "QM-COST-PER-RUN"),
        (COST, "CW-MEM-OVERPROVISIONED"),
        (COST, "CW-WASTED-SPEND"),
        (COST, "CW-TIMEOUT-WASTE"),
        (COST, "CW-COST-ANOMALY"),
        (FLEET, "FA-COST-JUMP"),
        (FLEET, "FA-NO-SUCCESS"),
        (FLEET, "FA-STALE-BUILD"),
        (SCHEMA, "SV-BREAKING-INPUT-CHANGE"),
        (SCHEMA, "SV-BREAKING-DATASET-CHANGE"),
        (SCHEMA, "SV-INPUT-SCHEMA-LINT"),
        (GATE, "RG-BLOCK"),
        (GATE, "RG-WARN"),
        (COMPLIANCE, "CS-SECRET-LEAKED"),
        (COMPLIANCE, "CS-SECRET-HYGIENE-NOT-MARKED"),
        (COMPLIANCE, "CS-PII-LITERAL"),
        (COMPLIANCE, "CS-STORE-README-STUB"),
        (COMPLIANCE, "CS-STORE-DATASET-SCHEMA"),
        (COMPLIANCE, "CS-FULL-PERMISSIONS-UNEXPLAINED"),
        (COMPLIANCE, "CS-NO-BUILD"),
    ];
    const SEVERITIES: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    fn random_fleet(
        rng: &mut Lcg,
    ) -> (
        HealthConfig,
        Vec<ActorHealthEvidence>,
        Vec<Signal>,
        BTreeSet<String>,
    ) {
        let odd = [f64::NAN, -1.0, 0.0, 2.0, f64::INFINITY];
        let mut config = HealthConfig::default();
        for c in ComponentId::ALL {
            *config.weights.slot(c) = if rng.below(8) == 0 {
                odd[rng.below(5) as usize]
            } else {
                rng.unit()
            };
        }
        if rng.below(6) == 0 {
            config.slo = odd[rng.below(5) as usize];
        }
        let n = 1 + rng.below(6) as usize;
        let mut actors = Vec::new();
        let mut signals = Vec::new();
        for i in 0..n {
            let id = format!("a{i}");
            let mut a = actor(&id, rng.below(60), rng.below(4) * rng.below(20));
            a.timed_out = rng.below(3) * rng.below(10);
            a.aborted = rng.below(5);
            a.cost_usd = if rng.below(4) == 0 {
                0.0
            } else {
                50.0 * rng.unit()
            };
            a.projected_monthly_usd = if rng.below(4) == 0 {
                0.0
            } else {
                200.0 * rng.unit()
            };
            a.days_since_last_successful_build = match rng.below(3) {
                0 => None,
                _ => Some(rng.below(400) as i64),
            };
            if rng.below(5) == 0 {
                config
                    .slo_by_actor
                    .insert(id.clone(), 0.5 + 0.5 * rng.unit());
            }
            for k in 0..rng.below(10) {
                let (tool, rule) = RULES[rng.below(RULES.len() as u64) as usize];
                let ev = json!({
                    "effect": 2.0 * rng.unit() - 0.5, "current": rng.unit(),
                    "items": rng.below(20), "invalidItems": rng.below(25),
                    "findings": [{"rule": "LINT-DOCS-MISSING"}],
                });
                let mut s = signal(&id, tool, rule, SEVERITIES[rng.below(5) as usize], ev);
                s.id = format!("{id}-{k}-{rule}");
                s.acknowledged = rng.below(4) == 0;
                if rng.below(2) == 0 {
                    s = usd(s, 300.0 * rng.unit());
                }
                signals.push(s);
            }
            actors.push(a);
        }
        let tools = [FLEET, QUALITY, COST, SCHEMA, GATE, COMPLIANCE];
        let covered = tools
            .iter()
            .filter(|_| rng.below(3) > 0)
            .map(|t| t.to_string())
            .collect();
        // Signals only from covered tools half of the time, so coverage gaps are exercised.
        (config, actors, signals, covered)
    }

    #[test]
    fn points_add_up_for_hundreds_of_seeded_fleets() {
        let mut rng = Lcg(0x5eed);
        for case in 0..400 {
            let (config, actors, mut signals, covered) = random_fleet(&mut rng);
            if case % 2 == 0 {
                signals.retain(|s| covered.contains(&s.tool));
            }
            let r = health(&config, &actors, &signals, &covered);
            for h in &r.actors {
                let mut total = 0.0;
                for c in &h.components {
                    if let Some(s) = c.score {
                        assert!((0.0..=100.0).contains(&s), "case {case}: {c:?}");
                        let lost: f64 = c.reasons.iter().map(|r| r.points).sum();
                        assert!((100.0 - s - lost).abs() <= 0.01, "case {case}: {c:?}");
                        assert!(c.reasons.iter().all(|r| r.points > 0.0));
                        total += c.contribution.unwrap();
                    } else {
                        assert!(c.skipped && c.contribution.is_none() && c.effective_weight == 0.0);
                    }
                    assert!(c.acknowledged.iter().all(|r| r.points == 0.0));
                }
                assert!((total - h.raw_score).abs() <= 0.01, "case {case}: {h:?}");
                let cap = h.caps.iter().map(|c| c.cap).fold(f64::INFINITY, f64::min);
                assert_eq!(h.score, h.raw_score.min(cap), "case {case}");
                assert!((0.0..=100.0).contains(&h.score));
                assert!(h.caps.iter().filter(|c| c.applied).count() <= 1);
                assert!(!(h.confidence.low && h.grade == Grade::A));
                if !h.confidence.low {
                    assert_eq!(h.grade, Grade::of(h.score));
                }
            }
            if let Some(s) = r.fleet.score {
                assert!((0.0..=100.0).contains(&s));
            }
            assert!(r
                .fleet
                .detractors
                .windows(2)
                .all(|w| w[0].points_lost >= w[1].points_lost));
            // Same arguments, same bytes.
            let again = health(&config, &actors, &signals, &covered);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                serde_json::to_string(&again).unwrap()
            );
        }
    }
}
