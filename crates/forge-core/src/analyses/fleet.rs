//! fleet-analytics: the fleet overview, the Fleet Health Score, week-over-week deltas, and
//! signals for the clear problems. A function from evidence to findings; see [`analyze_with`]
//! (the score itself is [`crate::analyses::health`]).

use crate::aggregate::{RunAggregate, StatusCounts, WindowOut, Windows, RECENT_DAYS};
use crate::analyses::health::{
    self, ActorHealth, ActorHealthEvidence, FleetHealth, Grade, HealthConfig,
};
use crate::model::{ActorInfo, BuildInfo, JobStatus, RunDetail};
use crate::signal::{
    decide, rank, signal_id, DecisionHead, Impact, Severity, Signal, Subject, SCHEMA_VERSION,
};
use crate::stats::{benjamini_hochberg, binomial_upper_tail, shrunk_rate, wilson_interval};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

pub const TOOL: &str = "fleet-analytics";
const DAYS_PER_MONTH: f64 = 30.44;
const Z95: f64 = 1.959_964;
/// Runs of prior weight when shrinking an actor's rate toward the fleet's.
const SHRINK_STRENGTH: f64 = 10.0;

/// The rule catalog: stable IDs, severity range, meaning. Generated into the docs.
pub const RULES: &[(&str, &str, &str)] = &[
    ("FA-NO-SUCCESS", "critical", "The actor ran in the window but no run succeeded."),
    ("FA-FAILURE-SPIKE", "medium..high", "The last 7 days' failure rate is significantly above the actor's own baseline, the previous window (exact binomial test, Benjamini–Hochberg across the fleet)."),
    ("FA-COST-JUMP", "low..high", "Cost per run in the last 7 days is significantly above the previous window's (Mann–Whitney, Benjamini–Hochberg), at least 1.5x and $1/month more; severity by the money."),
    ("FA-LATEST-BUILD-FAILED", "high", "The newest build failed: the next deploy or a caller pinning `latest` gets nothing new."),
    ("FA-STALE-BUILD", "low", "No successful build for a long time: base images and dependencies miss their fixes."),
];

/// The analysis settings, from the tool's input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FleetConfig {
    pub window_days: u32,
    pub acknowledged_signals: Vec<String>,
    pub stale_build_days: u32,
    /// Minimum decided runs (succeeded + failed) in the recent period to test a rate.
    pub min_runs: u64,
    /// False discovery rate across the fleet, per rule.
    pub fdr_q: f64,
    pub failure_spike_min_delta: f64,
    pub cost_jump_min_ratio: f64,
    pub cost_jump_min_usd_per_month: f64,
    /// `healthWeights`, `slo`, `sloByActor`.
    #[serde(flatten)]
    pub health: HealthConfig,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            window_days: 30,
            acknowledged_signals: Vec::new(),
            stale_build_days: 180,
            min_runs: 5,
            fdr_q: 0.05,
            failure_spike_min_delta: 0.10,
            cost_jump_min_ratio: 1.5,
            cost_jump_min_usd_per_month: 1.0,
            health: HealthConfig::default(),
        }
    }
}

/// What the runtime collected about one actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorEvidence {
    pub actor: ActorInfo,
    /// The newest builds, any order.
    pub builds: Vec<BuildInfo>,
    pub runs: RunAggregate,
    /// A bounded sample of recent run details.
    pub samples: Vec<RunDetail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetEvidence {
    pub windows: Windows,
    pub actors: Vec<ActorEvidence>,
}

// ---------------------------------------------------------------- snapshot

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSnapshot {
    pub schema_version: u32,
    pub tool: String,
    pub as_of: DateTime<Utc>,
    pub window_days: u32,
    pub fleet: TotalsSnapshot,
    pub actors: BTreeMap<String, ActorSnapshot>,
    pub signals: BTreeMap<String, SignalSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotalsSnapshot {
    /// `None` for an empty fleet.
    pub health_score: Option<f64>,
    pub runs: u64,
    pub success_rate: Option<f64>,
    pub cost_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorSnapshot {
    pub name: String,
    #[serde(flatten)]
    pub totals: TotalsSnapshot,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalSnapshot {
    pub rule: String,
    pub actor_id: String,
    pub severity: Severity,
    pub first_seen_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- output

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetOutput {
    #[serde(flatten)]
    pub head: DecisionHead,
    pub window: WindowOut,
    pub fleet: FleetTotals,
    pub week_over_week: Option<WeekOverWeek>,
    pub actors: Vec<ActorReport>,
    pub signals: Vec<Signal>,
    pub acknowledged: Vec<Signal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    /// Succeeded / (succeeded + failed + timed out); `None` without such runs.
    pub value: Option<f64>,
    pub ci95: [f64; 2],
    pub n: u64,
}

fn rate(success: u64, n: u64) -> Rate {
    let (lo, hi) = wilson_interval(success, n, Z95);
    Rate {
        value: (n > 0).then(|| round4(success as f64 / n as f64)),
        ci95: [round4(lo), round4(hi)],
        n,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Runs {
    pub total: u64,
    pub by_status: StatusCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetTotals {
    pub actors: usize,
    pub actors_with_runs: usize,
    pub runs: Runs,
    pub previous_runs: Runs,
    pub success_rate: Rate,
    pub previous_success_rate: Rate,
    pub cost_usd: f64,
    pub previous_cost_usd: f64,
    pub projected_monthly_usd: f64,
    pub health_score: FleetHealth,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorReport {
    pub actor_id: String,
    pub actor_name: String,
    pub title: Option<String>,
    pub console_url: String,
    pub runs: Runs,
    pub previous_runs: Runs,
    pub success_rate: Rate,
    pub previous_success_rate: Rate,
    pub duration_secs: Quantiles,
    pub previous_duration_secs: Quantiles,
    pub cost_usd: f64,
    pub cost_per_run_usd: Option<f64>,
    pub previous_cost_usd: f64,
    pub projected_monthly_usd: f64,
    pub runs_by_origin: BTreeMap<String, u64>,
    pub runs_by_build: BTreeMap<String, u64>,
    pub last_successful_run_at: Option<DateTime<Utc>>,
    pub days_since_last_successful_build: Option<i64>,
    pub latest_build: Option<BuildOut>,
    /// Median of memMaxBytes / memory in the sampled run details.
    pub memory_utilisation: Option<f64>,
    pub samples: usize,
    /// H, as in `health.score`.
    pub health_score: f64,
    pub health: ActorHealth,
    pub week_over_week: Option<ActorDelta>,
    pub signals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildOut {
    pub build_number: Option<String>,
    pub status: JobStatus,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantiles {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub n: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDelta {
    pub health_score: Option<f64>,
    pub runs: i64,
    pub success_rate: Option<f64>,
    pub cost_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekOverWeek {
    pub previous_as_of: DateTime<Utc>,
    pub health_score: Option<f64>,
    pub runs: i64,
    pub success_rate: Option<f64>,
    pub cost_usd: f64,
    pub new_signals: Vec<String>,
    pub resolved_signals: Vec<String>,
    pub worsened_signals: Vec<String>,
}

/// One flat dataset row per actor, for the Console table view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorRow {
    pub actor_name: String,
    pub actor_id: String,
    pub health_score: f64,
    pub grade: Grade,
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    pub success_rate: Option<f64>,
    pub success_rate_low: f64,
    pub success_rate_high: f64,
    pub p50_duration_secs: Option<f64>,
    pub p95_duration_secs: Option<f64>,
    pub cost_usd: f64,
    pub cost_per_run_usd: Option<f64>,
    pub projected_monthly_usd: f64,
    pub days_since_last_successful_build: Option<i64>,
    pub signals: usize,
    pub top_issue: Option<String>,
    pub console_url: String,
}

/// Everything one run of fleet-analytics produces.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetFindings {
    pub output: FleetOutput,
    pub snapshot: FleetSnapshot,
    pub rows: Vec<ActorRow>,
}

// ---------------------------------------------------------------- analysis

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn runs_of(status: StatusCounts) -> Runs {
    Runs {
        total: status.total(),
        by_status: status,
    }
}

fn quantiles(h: &crate::histogram::LogHistogram) -> Quantiles {
    Quantiles {
        p50: h.quantile(0.5).map(round2),
        p95: h.quantile(0.95).map(round2),
        n: h.count(),
    }
}

/// A candidate signal before multiple-testing control decides whether it stands.
struct Candidate {
    actor: usize,
    rule: &'static str,
    p_value: Option<f64>,
    severity: Severity,
    title: String,
    evidence: serde_json::Value,
    impact: Impact,
    recommendation: String,
    build_number: Option<String>,
    /// Passes the practical-effect gate. A test that does not still joins the
    /// Benjamini–Hochberg family: the family is every actor tested, not only the alarming ones.
    material: bool,
}

/// Analyses the fleet from its own evidence only: the health score sees fleet-analytics'
/// signals and nothing else.
pub fn analyze(
    config: &FleetConfig,
    evidence: &FleetEvidence,
    previous: Option<&FleetSnapshot>,
) -> FleetFindings {
    analyze_with(config, evidence, previous, &[], &BTreeSet::new())
}

/// Analyses the fleet. `specialists` are the other tools' signals (SIGNALS records' open and
/// acknowledged ones) and `covered` the tools whose signals were read; both only feed the
/// health score. fleet-analytics itself is always covered. Pure: the same arguments give the
/// same findings, byte for byte.
pub fn analyze_with(
    config: &FleetConfig,
    evidence: &FleetEvidence,
    previous: Option<&FleetSnapshot>,
    specialists: &[Signal],
    covered: &BTreeSet<String>,
) -> FleetFindings {
    let windows = evidence.windows;
    let as_of = windows.as_of;
    let actors = &evidence.actors;

    // The fleet's own rates are the prior that small samples shrink toward.
    let mut fleet_current = StatusCounts::default();
    let mut fleet_previous = StatusCounts::default();
    let (mut cost, mut prev_cost, mut recent_cost) = (0.0, 0.0, 0.0);
    for a in actors {
        let (c, p, r) = (a.runs.current(), a.runs.previous(), a.runs.recent());
        fleet_current.merge(&c.status);
        fleet_previous.merge(&p.status);
        cost += c.cost_usd;
        prev_cost += p.cost_usd;
        recent_cost += r.cost_usd;
    }
    let fleet_success = if fleet_current.decided() > 0 {
        fleet_current.succeeded as f64 / fleet_current.decided() as f64
    } else {
        0.95
    };
    let fleet_failure = 1.0 - fleet_success;

    let mut candidates: Vec<Candidate> = Vec::new();
    for (i, a) in actors.iter().enumerate() {
        candidates.extend(actor_candidates(config, i, a, fleet_failure, as_of));
    }

    // Benjamini–Hochberg per rule: a fleet of hundreds must not page on noise.
    let mut keep: Vec<bool> = candidates.iter().map(|c| c.material).collect();
    let mut q_values = vec![None; candidates.len()];
    for rule in ["FA-FAILURE-SPIKE", "FA-COST-JUMP"] {
        let idx: Vec<usize> = (0..candidates.len())
            .filter(|&i| candidates[i].rule == rule && candidates[i].p_value.is_some())
            .collect();
        let ps: Vec<f64> = idx
            .iter()
            .map(|&i| candidates[i].p_value.unwrap_or(1.0))
            .collect();
        for (k, q) in idx.iter().zip(benjamini_hochberg(&ps)) {
            q_values[*k] = Some(q);
            keep[*k] = keep[*k] && q <= config.fdr_q;
        }
    }
    // One signal per subject and cause: "nothing succeeds" subsumes "fails more than usual".
    let no_success: BTreeSet<usize> = candidates
        .iter()
        .filter(|c| c.rule == "FA-NO-SUCCESS")
        .map(|c| c.actor)
        .collect();
    for (k, c) in candidates.iter().enumerate() {
        if c.rule == "FA-FAILURE-SPIKE" && no_success.contains(&c.actor) {
            keep[k] = false;
        }
    }

    let acknowledged: BTreeSet<&str> = config
        .acknowledged_signals
        .iter()
        .map(String::as_str)
        .collect();
    let mut signals: Vec<Signal> = Vec::new();
    for (k, c) in candidates.into_iter().enumerate() {
        if !keep[k] {
            continue;
        }
        let a = &actors[c.actor];
        let subject = Subject {
            actor_id: a.actor.id.clone(),
            actor_name: a.actor.full_name(),
            build_number: c.build_number.clone(),
        };
        let id = signal_id(TOOL, c.rule, &subject);
        let mut evidence = c.evidence;
        if let Some(q) = q_values[k] {
            evidence["qValue"] = json!(round4(q));
        }
        let first_seen_at = previous
            .and_then(|p| p.signals.get(&id))
            .map(|s| s.first_seen_at)
            .unwrap_or(as_of);
        signals.push(Signal {
            acknowledged: acknowledged.contains(id.as_str()),
            id,
            tool: TOOL.into(),
            rule: c.rule.into(),
            severity: c.severity,
            subject,
            title: c.title,
            evidence,
            impact: c.impact,
            recommendation: c.recommendation,
            console_url: a.actor.console_url(),
            first_seen_at,
        });
    }
    rank(&mut signals);

    // Health: own signals and the specialists'. An id acknowledged in this tool's input is
    // acknowledged whichever tool raised it.
    let mut all_signals = signals.clone();
    all_signals.extend(specialists.iter().cloned().map(|mut s| {
        s.acknowledged |= acknowledged.contains(s.id.as_str());
        s
    }));
    let mut covered = covered.clone();
    covered.insert(TOOL.to_string());
    let health_evidence: Vec<ActorHealthEvidence> = actors
        .iter()
        .map(|a| health_evidence(config, a, as_of))
        .collect();
    let scores = health::health(&config.health, &health_evidence, &all_signals, &covered);
    let reports: Vec<ActorReport> = actors
        .iter()
        .zip(scores.actors)
        .map(|(a, h)| actor_report(a, h, &signals, previous))
        .collect();
    let fleet_score = scores.fleet.score;

    let fleet = FleetTotals {
        actors: actors.len(),
        actors_with_runs: actors
            .iter()
            .filter(|a| a.runs.current().status.total() > 0)
            .count(),
        runs: runs_of(fleet_current),
        previous_runs: runs_of(fleet_previous),
        success_rate: rate(fleet_current.succeeded, fleet_current.decided()),
        previous_success_rate: rate(fleet_previous.succeeded, fleet_previous.decided()),
        cost_usd: round4(cost),
        previous_cost_usd: round4(prev_cost),
        projected_monthly_usd: round2(recent_cost / RECENT_DAYS as f64 * DAYS_PER_MONTH),
        health_score: scores.fleet,
    };

    let snapshot = FleetSnapshot {
        schema_version: SCHEMA_VERSION,
        tool: TOOL.into(),
        as_of,
        window_days: windows.days,
        fleet: TotalsSnapshot {
            health_score: fleet_score,
            runs: fleet.runs.total,
            success_rate: fleet.success_rate.value,
            cost_usd: fleet.cost_usd,
        },
        actors: reports
            .iter()
            .map(|r| {
                (
                    r.actor_id.clone(),
                    ActorSnapshot {
                        name: r.actor_name.clone(),
                        totals: TotalsSnapshot {
                            health_score: Some(r.health_score),
                            runs: r.runs.total,
                            success_rate: r.success_rate.value,
                            cost_usd: r.cost_usd,
                        },
                    },
                )
            })
            .collect(),
        signals: signals
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    SignalSnapshot {
                        rule: s.rule.clone(),
                        actor_id: s.subject.actor_id.clone(),
                        severity: s.severity,
                        first_seen_at: s.first_seen_at,
                    },
                )
            })
            .collect(),
    };

    let week_over_week = previous
        .filter(|p| p.tool == TOOL)
        .map(|p| week_over_week(p, &snapshot));
    let rows = reports.iter().map(|r| actor_row(r, &signals)).collect();
    let (open, acked): (Vec<Signal>, Vec<Signal>) =
        signals.into_iter().partition(|s| !s.acknowledged);
    let (decision, reason_codes) = decide(&open);
    let urgent = open.iter().filter(|s| s.severity >= Severity::High).count();
    let score_text = match (fleet_score, fleet.health_score.grade) {
        (Some(s), Some(g)) => format!("{s:.1}/100 (grade {g:?})"),
        _ => "n/a".into(),
    };
    let summary = format!(
        "Fleet Health Score {score_text} across {} actors; {} open signals ({} need action now); {} runs and ${:.2} in the last {} days.",
        fleet.actors,
        open.len(),
        urgent,
        fleet.runs.total,
        fleet.cost_usd,
        windows.days
    );
    let output = FleetOutput {
        head: DecisionHead::new(TOOL, decision, reason_codes, summary),
        window: WindowOut::from(windows),
        fleet,
        week_over_week,
        actors: reports,
        signals: open,
        acknowledged: acked,
    };
    FleetFindings {
        output,
        snapshot,
        rows,
    }
}

fn actor_candidates(
    config: &FleetConfig,
    i: usize,
    a: &ActorEvidence,
    fleet_failure: f64,
    as_of: DateTime<Utc>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let name = a.actor.full_name();
    let cur = a.runs.current();
    let recent = a.runs.recent();
    // The baseline is the previous window: a change inside the current window must not
    // contaminate the baseline it is compared with.
    let before = a.runs.previous();
    let weeks_in_window = a.runs.windows.days as f64 / 7.0;

    if cur.status.decided() >= 3 && cur.status.succeeded == 0 {
        let failed_per_week = cur.status.failures() as f64 / weeks_in_window;
        out.push(Candidate {
            actor: i,
            rule: "FA-NO-SUCCESS",
            p_value: None,
            severity: Severity::Critical,
            title: format!("{name}: none of its {} runs in the last {} days succeeded", cur.status.decided(), a.runs.windows.days),
            evidence: json!({
                "metric": "successRate", "current": 0.0, "n": cur.status.decided(),
                "failed": cur.status.failed, "timedOut": cur.status.timed_out,
                "lastSuccessfulRunAt": a.runs.last_succeeded_at,
            }),
            impact: Impact {
                usd_per_month: Some(round2(cur.cost_usd / a.runs.windows.days as f64 * DAYS_PER_MONTH)),
                failed_runs_per_week: Some(round2(failed_per_week)),
                callers_affected: None,
            },
            recommendation: "Open the latest failed run's log in Console; if a build changed since the last success, roll back to that build.".into(),
            build_number: None,
            material: true,
        });
    }

    // Failure spike: the recent failure rate against the actor's own baseline.
    let n_r = recent.status.decided();
    if n_r >= config.min_runs {
        let k = recent.status.failures();
        let p0 = shrunk_rate(
            before.status.failures(),
            before.status.decided(),
            fleet_failure,
            SHRINK_STRENGTH,
        );
        let observed = k as f64 / n_r as f64;
        let p = binomial_upper_tail(k, n_r, p0);
        {
            let material = observed - p0 >= config.failure_spike_min_delta && k >= 3;
            let per_week = k as f64 * 7.0 / RECENT_DAYS as f64;
            let severity = if observed >= 0.5 || per_week >= 20.0 {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(Candidate {
                actor: i,
                rule: "FA-FAILURE-SPIKE",
                p_value: Some(p),
                severity,
                title: format!(
                    "{name}: {:.0} % of runs failed in the last {RECENT_DAYS} days, against a baseline of {:.1} %",
                    100.0 * observed,
                    100.0 * p0
                ),
                evidence: json!({
                    "metric": "failureRate", "baseline": round4(p0), "current": round4(observed),
                    "n": n_r, "failures": k, "baselineN": before.status.decided(),
                    "test": "exact binomial, one-sided", "pValue": p,
                }),
                impact: Impact { usd_per_month: None, failed_runs_per_week: Some(round2(per_week)), callers_affected: None },
                recommendation: "Compare the failing runs' build numbers and inputs with the last good week; if one build is behind it, roll back and fix forward.".into(),
                build_number: None,
                material,
            });
        }
    }

    // Cost jump: cost per run, recent against baseline.
    let (h_r, h_b) = (&a.runs.cost_per_run_recent, &a.runs.cost_per_run_previous);
    if h_r.count() >= config.min_runs && h_b.count() >= 10 {
        if let (Some(m_r), Some(m_b), Some((u, p))) =
            (h_r.mean(), h_b.mean(), h_r.mann_whitney_greater(h_b))
        {
            let runs_per_month = h_r.count() as f64 / RECENT_DAYS as f64 * DAYS_PER_MONTH;
            let extra = (m_r - m_b) * runs_per_month;
            let ratio = if m_b > 0.0 { m_r / m_b } else { f64::INFINITY };
            {
                let material = ratio >= config.cost_jump_min_ratio
                    && extra >= config.cost_jump_min_usd_per_month;
                out.push(Candidate {
                    actor: i,
                    rule: "FA-COST-JUMP",
                    p_value: Some(p),
                    // Money decides the urgency; the ratio only says something changed.
                    severity: match extra {
                        x if x >= 50.0 => Severity::High,
                        x if x >= 5.0 => Severity::Medium,
                        _ => Severity::Low,
                    },
                    title: format!(
                        "{name}: cost per run rose {:.1}× (${:.4} → ${:.4}), about ${:.2}/month more",
                        ratio, m_b, m_r, extra
                    ),
                    evidence: json!({
                        "metric": "costPerRunUsd", "baseline": round4(m_b), "current": round4(m_r),
                        "n": h_r.count(), "baselineN": h_b.count(), "ratio": round2(ratio),
                        "test": "Mann-Whitney U, one-sided", "u": u, "pValue": p,
                    }),
                    impact: Impact { usd_per_month: Some(round2(extra)), failed_runs_per_week: None, callers_affected: None },
                    recommendation: "Check the memory and timeout of recent runs and the build they ran; run cost-watchdog for right-sizing.".into(),
                    build_number: None,
                    material,
                });
            }
        }
    }

    // Builds: the newest one, and the last one that worked.
    let mut builds: Vec<&BuildInfo> = a.builds.iter().collect();
    builds.sort_by(|x, y| y.started_at.cmp(&x.started_at).then(y.id.cmp(&x.id)));
    if let Some(latest) = builds.first() {
        if matches!(latest.status, JobStatus::Failed | JobStatus::TimedOut) {
            out.push(Candidate {
                actor: i,
                rule: "FA-LATEST-BUILD-FAILED",
                p_value: None,
                severity: Severity::High,
                title: format!(
                    "{name}: the newest build {} {}",
                    latest.build_number.as_deref().unwrap_or(&latest.id),
                    latest.status.as_str()
                ),
                evidence: json!({"metric": "buildStatus", "current": latest.status.as_str(), "buildId": latest.id, "startedAt": latest.started_at}),
                impact: Impact::default(),
                recommendation: "Open the build log in Console, fix the build, and rebuild before the next release.".into(),
                build_number: latest.build_number.clone(),
            material: true,
            });
        }
    }
    if let Some(days) = days_since_last_successful_build(a, as_of) {
        if days > config.stale_build_days as i64 {
            out.push(Candidate {
                actor: i,
                rule: "FA-STALE-BUILD",
                p_value: None,
                severity: Severity::Low,
                title: format!("{name}: no successful build for {days} days"),
                evidence: json!({"metric": "daysSinceLastSuccessfulBuild", "current": days, "threshold": config.stale_build_days}),
                impact: Impact::default(),
                recommendation: "Rebuild to pick up base-image and dependency fixes, and run its tests.".into(),
                build_number: None,
            material: true,
            });
        }
    }
    out
}

fn days_since_last_successful_build(a: &ActorEvidence, as_of: DateTime<Utc>) -> Option<i64> {
    a.builds
        .iter()
        .filter(|b| b.status == JobStatus::Succeeded)
        .map(|b| b.finished_at.unwrap_or(b.started_at))
        .max()
        .map(|t| (as_of - t).num_days())
}

/// What the health score needs about one actor beyond the signals.
fn health_evidence(
    config: &FleetConfig,
    a: &ActorEvidence,
    as_of: DateTime<Utc>,
) -> ActorHealthEvidence {
    let (cur, recent) = (a.runs.current(), a.runs.recent());
    ActorHealthEvidence {
        actor_id: a.actor.id.clone(),
        actor_name: a.actor.full_name(),
        succeeded: cur.status.succeeded,
        failed: cur.status.failed,
        timed_out: cur.status.timed_out,
        aborted: cur.status.aborted,
        window_days: a.runs.windows.days,
        cost_usd: cur.cost_usd,
        projected_monthly_usd: recent.cost_usd / RECENT_DAYS as f64 * DAYS_PER_MONTH,
        days_since_last_successful_build: days_since_last_successful_build(a, as_of),
        stale_build_days: config.stale_build_days,
    }
}

fn actor_report(
    a: &ActorEvidence,
    health: ActorHealth,
    signals: &[Signal],
    previous: Option<&FleetSnapshot>,
) -> ActorReport {
    let (cur, prev, recent) = (a.runs.current(), a.runs.previous(), a.runs.recent());
    let success_rate = rate(cur.status.succeeded, cur.status.decided());
    let latest = a
        .builds
        .iter()
        .max_by(|x, y| x.started_at.cmp(&y.started_at).then(x.id.cmp(&y.id)));
    let utilisations: Vec<f64> = a
        .samples
        .iter()
        .filter_map(|s| match (s.mem_max_bytes, s.memory_mbytes) {
            (Some(m), Some(mb)) if mb > 0 => Some(m / (mb as f64 * 1_048_576.0)),
            _ => None,
        })
        .collect();
    let memory_utilisation = crate::stats::median(&utilisations).map(round4);
    let week_over_week = previous
        .and_then(|p| p.actors.get(&a.actor.id))
        .map(|p| ActorDelta {
            health_score: p.totals.health_score.map(|b| round2(health.score - b)),
            runs: cur.status.total() as i64 - p.totals.runs as i64,
            success_rate: match (success_rate.value, p.totals.success_rate) {
                (Some(c), Some(b)) => Some(round4(c - b)),
                _ => None,
            },
            cost_usd: round4(cur.cost_usd - p.totals.cost_usd),
        });
    ActorReport {
        actor_id: a.actor.id.clone(),
        actor_name: a.actor.full_name(),
        title: a.actor.title.clone(),
        console_url: a.actor.console_url(),
        runs: runs_of(cur.status),
        previous_runs: runs_of(prev.status),
        success_rate,
        previous_success_rate: rate(prev.status.succeeded, prev.status.decided()),
        duration_secs: quantiles(&a.runs.duration_current),
        previous_duration_secs: quantiles(&a.runs.duration_previous),
        cost_usd: round4(cur.cost_usd),
        cost_per_run_usd: (cur.status.total() > 0)
            .then(|| round4(cur.cost_usd / cur.status.total() as f64)),
        previous_cost_usd: round4(prev.cost_usd),
        projected_monthly_usd: round2(recent.cost_usd / RECENT_DAYS as f64 * DAYS_PER_MONTH),
        runs_by_origin: a.runs.origins_current.clone(),
        runs_by_build: a.runs.builds_current.clone(),
        last_successful_run_at: a.runs.last_succeeded_at,
        days_since_last_successful_build: days_since_last_successful_build(a, a.runs.windows.as_of),
        latest_build: latest.map(|b| BuildOut {
            build_number: b.build_number.clone(),
            status: b.status,
            finished_at: b.finished_at,
        }),
        memory_utilisation,
        samples: a.samples.len(),
        health_score: health.score,
        health,
        week_over_week,
        signals: signals
            .iter()
            .filter(|s| s.subject.actor_id == a.actor.id)
            .map(|s| s.id.clone())
            .collect(),
    }
}

fn actor_row(r: &ActorReport, signals: &[Signal]) -> ActorRow {
    let s = &r.runs.by_status;
    ActorRow {
        actor_name: r.actor_name.clone(),
        actor_id: r.actor_id.clone(),
        health_score: r.health_score,
        grade: r.health.grade,
        runs: r.runs.total,
        succeeded: s.succeeded,
        failed: s.failed,
        timed_out: s.timed_out,
        aborted: s.aborted,
        success_rate: r.success_rate.value,
        success_rate_low: r.success_rate.ci95[0],
        success_rate_high: r.success_rate.ci95[1],
        p50_duration_secs: r.duration_secs.p50,
        p95_duration_secs: r.duration_secs.p95,
        cost_usd: r.cost_usd,
        cost_per_run_usd: r.cost_per_run_usd,
        projected_monthly_usd: r.projected_monthly_usd,
        days_since_last_successful_build: r.days_since_last_successful_build,
        signals: r.signals.len(),
        // Signals are ranked, so the first one about this actor is its top issue.
        top_issue: signals
            .iter()
            .find(|s| s.subject.actor_id == r.actor_id)
            .map(|s| s.title.clone()),
        console_url: r.console_url.clone(),
    }
}

fn week_over_week(previous: &FleetSnapshot, now: &FleetSnapshot) -> WeekOverWeek {
    let new_signals = now
        .signals
        .keys()
        .filter(|id| !previous.signals.contains_key(*id))
        .cloned()
        .collect();
    let resolved_signals = previous
        .signals
        .keys()
        .filter(|id| !now.signals.contains_key(*id))
        .cloned()
        .collect();
    let worsened_signals = now
        .signals
        .iter()
        .filter(|(id, s)| {
            previous
                .signals
                .get(*id)
                .is_some_and(|p| s.severity > p.severity)
        })
        .map(|(id, _)| id.clone())
        .collect();
    WeekOverWeek {
        previous_as_of: previous.as_of,
        health_score: match (now.fleet.health_score, previous.fleet.health_score) {
            (Some(a), Some(b)) => Some(round2(a - b)),
            _ => None,
        },
        runs: now.fleet.runs as i64 - previous.fleet.runs as i64,
        success_rate: match (now.fleet.success_rate, previous.fleet.success_rate) {
            (Some(a), Some(b)) => Some(round4(a - b)),
            _ => None,
        },
        cost_usd: round4(now.fleet.cost_usd - previous.fleet.cost_usd),
        new_signals,
        resolved_signals,
        worsened_signals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyses::health::ComponentId;
    use crate::model::RunRecord;
    use crate::signal::Decision;
    use chrono::{Duration, TimeZone};

    fn as_of() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
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

    /// `per_day` runs a day over 60 days; `fails(day_ago, i)` decides failures,
    /// `cost(day_ago)` the cost of each run.
    fn evidence(
        id: &str,
        per_day: u32,
        fails: impl Fn(i64, u32) -> bool,
        cost: impl Fn(i64) -> f64,
    ) -> ActorEvidence {
        let windows = Windows::new(as_of(), 30);
        let mut agg = RunAggregate::new(windows);
        for day in 0..60i64 {
            for i in 0..per_day {
                let started = as_of() - Duration::days(day) + Duration::minutes(10 + i as i64 * 7);
                let started = started - Duration::days(1);
                agg.add(&RunRecord {
                    id: format!("{id}-{day}-{i}"),
                    status: if fails(day, i) {
                        JobStatus::Failed
                    } else {
                        JobStatus::Succeeded
                    },
                    started_at: started,
                    finished_at: Some(started + Duration::seconds(120)),
                    build_number: Some("0.1.3".into()),
                    origin: Some("API".into()),
                    usage_total_usd: cost(day),
                });
            }
        }
        let build = BuildInfo {
            id: format!("{id}-b"),
            build_number: Some("0.1.3".into()),
            status: JobStatus::Succeeded,
            started_at: as_of() - Duration::days(20),
            finished_at: Some(as_of() - Duration::days(20)),
        };
        ActorEvidence {
            actor: actor(id),
            builds: vec![build],
            runs: agg,
            samples: vec![],
        }
    }

    fn healthy(id: &str) -> ActorEvidence {
        evidence(id, 10, |d, i| (d * 10 + i as i64) % 50 == 0, |_| 0.05)
    }

    fn analyze_fleet(actors: Vec<ActorEvidence>) -> FleetFindings {
        analyze(
            &FleetConfig::default(),
            &FleetEvidence {
                windows: Windows::new(as_of(), 30),
                actors,
            },
            None,
        )
    }

    fn report_of<'a>(f: &'a FleetFindings, id: &str) -> &'a ActorReport {
        f.output.actors.iter().find(|a| a.actor_id == id).unwrap()
    }

    fn rules_of(f: &FleetFindings, id: &str) -> Vec<String> {
        f.output
            .signals
            .iter()
            .filter(|s| s.subject.actor_id == id)
            .map(|s| s.rule.clone())
            .collect()
    }

    #[test]
    fn a_failure_spike_in_the_last_days_is_flagged_and_healthy_actors_are_not() {
        let spike = evidence(
            "spiky",
            10,
            |d, i| {
                if d < 6 {
                    i % 2 == 0
                } else {
                    (d + i as i64) % 40 == 0
                }
            },
            |_| 0.05,
        );
        let f = analyze_fleet(vec![healthy("ok1"), healthy("ok2"), spike]);
        assert_eq!(rules_of(&f, "spiky"), ["FA-FAILURE-SPIKE"]);
        assert!(rules_of(&f, "ok1").is_empty() && rules_of(&f, "ok2").is_empty());
        let s = &f.output.signals[0];
        assert!(s.evidence["qValue"].as_f64().unwrap() <= 0.05);
        assert_eq!(f.output.head.decision, Decision::ActNow);
    }

    #[test]
    fn nothing_succeeding_is_one_critical_signal_not_two_and_caps_the_score_at_20() {
        let dead = evidence("dead", 3, |d, _| d < 30, |_| 0.02);
        let f = analyze_fleet(vec![healthy("ok"), dead]);
        assert_eq!(rules_of(&f, "dead"), ["FA-NO-SUCCESS"]);
        assert_eq!(f.output.signals[0].severity, Severity::Critical);
        let report = report_of(&f, "dead");
        assert_eq!(report.health_score, 20.0);
        let cap = report.health.caps.iter().find(|c| c.applied).unwrap();
        assert_eq!((cap.kind, cap.cap), ("noSuccess", 20.0));
        assert!(
            cap.reason.starts_with("no successful run"),
            "{}",
            cap.reason
        );
        assert_eq!(f.rows[1].grade, Grade::F);
    }

    #[test]
    fn a_cost_jump_is_flagged_with_its_monthly_impact() {
        let pricey = evidence(
            "pricey",
            10,
            |_, _| false,
            |d| if d < 7 { 0.30 } else { 0.10 },
        );
        let f = analyze_fleet(vec![healthy("ok"), pricey]);
        assert_eq!(rules_of(&f, "pricey"), ["FA-COST-JUMP"]);
        let usd = f.output.signals[0].impact.usd_per_month.unwrap();
        // 10 runs a day, $0.20 more each, over a month.
        assert!(
            (usd - 0.20 * 10.0 * DAYS_PER_MONTH).abs() < 1.0,
            "usd {usd}"
        );
    }

    #[test]
    fn a_small_sample_with_one_failure_is_shrunk_not_capped() {
        // One run every few days; one of the recent ones failed.
        let rare = evidence("rare", 1, |d, _| d == 2, |_| 0.01);
        let mut rare_sparse = rare.clone();
        rare_sparse.runs = RunAggregate::new(Windows::new(as_of(), 30));
        for d in [2i64, 9, 15, 40] {
            let started = as_of() - Duration::days(d) - Duration::hours(3);
            rare_sparse.runs.add(&RunRecord {
                id: format!("r{d}"),
                status: if d == 2 {
                    JobStatus::Failed
                } else {
                    JobStatus::Succeeded
                },
                started_at: started,
                finished_at: Some(started + Duration::seconds(30)),
                build_number: None,
                origin: None,
                usage_total_usd: 0.01,
            });
        }
        let f = analyze_fleet(vec![
            healthy("ok1"),
            healthy("ok2"),
            healthy("ok3"),
            rare_sparse,
        ]);
        assert!(rules_of(&f, "rare").is_empty());
        let h = &report_of(&f, "rare").health;
        // 2 of 3 succeeded raw (67 %: 6.7× the error budget), shrunk toward the fleet median
        // of 98 %: under twice the budget, so not capped, and flagged as low confidence.
        let r = &h.component(ComponentId::Reliability).inputs;
        assert!(r["sliShrunk"].as_f64().unwrap() > 0.9, "{r}");
        assert!(r["budgetConsumed"].as_f64().unwrap() < 2.0, "{r}");
        assert!(h.caps.is_empty(), "{:?}", h.caps);
        assert!(h.confidence.low);
    }

    #[test]
    fn build_signals_name_the_build() {
        let mut a = healthy("builds");
        a.builds.push(BuildInfo {
            id: "b-new".into(),
            build_number: Some("0.1.4".into()),
            status: JobStatus::Failed,
            started_at: as_of() - Duration::days(1),
            finished_at: Some(as_of() - Duration::days(1)),
        });
        a.builds[0].finished_at = Some(as_of() - Duration::days(400));
        a.builds[0].started_at = as_of() - Duration::days(400);
        let f = analyze_fleet(vec![a]);
        let mut rules = rules_of(&f, "builds");
        rules.sort();
        assert_eq!(rules, ["FA-LATEST-BUILD-FAILED", "FA-STALE-BUILD"]);
        let failed = f
            .output
            .signals
            .iter()
            .find(|s| s.rule == "FA-LATEST-BUILD-FAILED")
            .unwrap();
        assert_eq!(failed.subject.build_number.as_deref(), Some("0.1.4"));
    }

    #[test]
    fn the_snapshot_carries_trends_and_acknowledgement_is_respected() {
        let dead = evidence("dead", 3, |d, _| d < 30, |_| 0.02);
        let first = analyze_fleet(vec![healthy("ok"), dead.clone()]);
        let id = first.output.signals[0].id.clone();
        let config = FleetConfig {
            acknowledged_signals: vec![id.clone()],
            ..Default::default()
        };
        let evidence = FleetEvidence {
            windows: Windows::new(as_of(), 30),
            actors: vec![healthy("ok"), dead],
        };
        let second = analyze(&config, &evidence, Some(&first.snapshot));
        assert!(second.output.signals.is_empty());
        assert_eq!(second.output.acknowledged[0].id, id);
        assert_eq!(second.output.head.decision, Decision::Ignore);
        let wow = second.output.week_over_week.as_ref().unwrap();
        assert!(wow.new_signals.is_empty() && wow.resolved_signals.is_empty());
        assert_eq!(wow.health_score, Some(0.0));
    }

    #[test]
    fn specialists_signals_feed_the_score_and_the_input_can_acknowledge_them() {
        let fleet = FleetEvidence {
            windows: Windows::new(as_of(), 30),
            actors: vec![healthy("ok"), healthy("other")],
        };
        let alone = analyze(&FleetConfig::default(), &fleet, None);
        let q = report_of(&alone, "ok")
            .health
            .component(ComponentId::Quality);
        assert!(q.skipped, "quality-monitor did not run: {q:?}");
        assert_eq!(alone.output.fleet.health_score.covered, ["fleet-analytics"]);

        let empty = Signal {
            id: "0123456789abcdef".into(),
            tool: "quality-monitor".into(),
            rule: "QM-EMPTY-RUNS".into(),
            severity: Severity::High,
            subject: Subject {
                actor_id: "ok".into(),
                actor_name: "dev/ok".into(),
                build_number: None,
            },
            title: "dev/ok: 40 % of successful runs wrote nothing".into(),
            evidence: json!({"metric": "emptyRate", "current": 0.4}),
            impact: Impact::default(),
            recommendation: String::new(),
            console_url: String::new(),
            first_seen_at: as_of(),
            acknowledged: false,
        };
        let covered: BTreeSet<String> = ["quality-monitor".to_string()].into();
        let with = analyze_with(
            &FleetConfig::default(),
            &fleet,
            None,
            std::slice::from_ref(&empty),
            &covered,
        );
        let h = &report_of(&with, "ok").health;
        assert_eq!(h.component(ComponentId::Quality).score, Some(60.0));
        assert!(h.score < report_of(&alone, "ok").health_score);
        // Only fleet-analytics' own signals are reported as this tool's signals.
        assert!(with.output.signals.iter().all(|s| s.tool == TOOL));

        let config = FleetConfig {
            acknowledged_signals: vec![empty.id.clone()],
            ..Default::default()
        };
        let acked = analyze_with(&config, &fleet, None, &[empty], &covered);
        let q = report_of(&acked, "ok")
            .health
            .component(ComponentId::Quality);
        assert_eq!(q.score, Some(100.0));
        assert_eq!(q.acknowledged.len(), 1);
    }

    #[test]
    fn health_settings_are_read_from_the_input() {
        let config: FleetConfig = serde_json::from_value(json!({
            "windowDays": 30, "healthWeights": {"cost": 0.3}, "slo": 0.99,
        }))
        .unwrap();
        assert_eq!(config.health.weights.cost, 0.3);
        assert_eq!(config.health.weights.reliability, 0.35);
        assert_eq!(config.health.slo, 0.99);
        let config = FleetConfig {
            health: HealthConfig {
                slo: -3.0,
                ..Default::default()
            },
            ..Default::default()
        };
        let f = analyze(
            &config,
            &FleetEvidence {
                windows: Windows::new(as_of(), 30),
                actors: vec![healthy("ok")],
            },
            None,
        );
        assert_eq!(
            f.output.fleet.health_score.warnings,
            ["slo was -3; used 0.95"]
        );
        assert_eq!(f.output.fleet.health_score.slo, 0.95);
    }

    #[test]
    fn analysis_is_deterministic() {
        let make = || {
            vec![
                healthy("a"),
                evidence("b", 4, |d, i| (d + i as i64) % 3 == 0, |d| 0.01 * d as f64),
            ]
        };
        let a = serde_json::to_string(&analyze_fleet(make()).output).unwrap();
        let b = serde_json::to_string(&analyze_fleet(make()).output).unwrap();
        assert_eq!(a, b);
    }
}
