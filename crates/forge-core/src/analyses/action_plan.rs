//! The Action Plan: fleet-analytics runs the specialists and merges their SIGNALS records
//! (`schemas/signals.schema.json`) into one ranked list of things to do, one item per
//! (actor, cause).
//!
//! # Causes
//!
//! Signals about the same actor and the same cause are one item, whichever tools raised
//! them (fleet-analytics' `FA-FAILURE-SPIKE` and quality-monitor's `QM-FAILURE-RATE` on one
//! actor are one "failures" item). The table is [`CAUSES`]:
//!
//! | cause | rules |
//! |---|---|
//! | `failures` | `FA-NO-SUCCESS`, `FA-FAILURE-SPIKE`, `FA-LATEST-BUILD-FAILED`, `QM-FAILURE-RATE`, `QM-EMPTY-RUNS`, `CW-MEM-UNDERPROVISIONED`, `CW-TIMEOUT-WASTE`, `CW-WASTED-SPEND` |
//! | `cost` | `FA-COST-JUMP`, `CW-COST-ANOMALY`, `CW-BUDGET-AT-RISK` (subject `fleet`), `CW-MEM-OVERPROVISIONED`, `CW-TIMEOUT-TOO-LONG`, `CW-STUCK-RUN`, `QM-COST-PER-RUN` |
//! | `performance` | `QM-DURATION` |
//! | `contract` | `SV-BREAKING-INPUT-CHANGE`, `SV-BREAKING-DATASET-CHANGE`, `SV-INPUT-SCHEMA-LINT`, `RG-BLOCK`, `RG-WARN`, `GATE-CANDIDATE-NOT-BUILT`, `GATE-REPLAY-REJECTED` |
//! | `experiment` | `AB-B-WORSE`, `AB-B-BETTER`, `AB-SAMPLE-RATIO-MISMATCH` |
//! | `compliance` | `CS-SECRET-*`, `CS-PII-*`, `CS-FULL-PERMISSIONS-UNEXPLAINED`, `CS-RESTRICTED-ACCESS-UNSUPPORTED` |
//! | `store` | `CS-STORE-*` |
//! | `maintenance` | `FA-STALE-BUILD`, `CS-NO-BUILD` |
//!
//! A rule outside the table (a newer tool) gets the cause `other:<RULE>`: it stays an item
//! of its own rather than being merged with something it may not belong to.
//!
//! # Score
//!
//! Items are ranked by [`score`], highest first, ties by key:
//!
//! - severity weight: critical 1000, high 300, medium 100, low 30;
//! - money: 100 points per decade of `1 + usdPerMonth` ($9 → 100, $99 → 200, $999 → 300);
//! - failed runs: 100 points per decade of `1 + failedRunsPerWeek`;
//! - callers: 50 points per decade of `1 + callersAffected`; where no signal counted them, the
//!   orchestrator's figure for the actor: its Store users in the last 30 days when public,
//!   else the number of ways it is started (schedule, API, webhook, another actor...);
//! - compliance risk: `CS-SECRET-LEAKED` adds 100 000, so a leaked secret is always first
//!   (each other term is capped at 1000); `CS-SECRET-GENERIC`, `CS-SECRET-HYGIENE-VALUE`
//!   and `CS-PII-LITERAL` add 100 (exposure with no money figure to weigh it by).
//!
//! An item's score uses its highest severity, its merged impact (the maximum of each
//! figure over its signals: they describe one problem seen by several tools, so they are
//! not added) and the highest compliance term. Its top fix is the recommendation of its
//! highest-scoring signal (ties by signal id).
//!
//! Info signals are not actions: they are dropped. An item is acknowledged only when all
//! its signals are.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::signal::{Impact, Severity, Signal, SCHEMA_VERSION};

/// Rule → cause: the table of the module docs.
pub const CAUSES: &[(&str, &str)] = &[
    // fleet-analytics
    ("FA-NO-SUCCESS", "failures"),
    ("FA-FAILURE-SPIKE", "failures"),
    ("FA-COST-JUMP", "cost"),
    ("FA-LATEST-BUILD-FAILED", "failures"),
    ("FA-STALE-BUILD", "maintenance"),
    // cost-watchdog
    ("CW-COST-ANOMALY", "cost"),
    ("CW-BUDGET-AT-RISK", "cost"),
    ("CW-MEM-OVERPROVISIONED", "cost"),
    ("CW-MEM-UNDERPROVISIONED", "failures"),
    ("CW-WASTED-SPEND", "failures"),
    ("CW-TIMEOUT-WASTE", "failures"),
    ("CW-TIMEOUT-TOO-LONG", "cost"),
    ("CW-STUCK-RUN", "cost"),
    // quality-monitor
    ("QM-FAILURE-RATE", "failures"),
    ("QM-DURATION", "performance"),
    ("QM-COST-PER-RUN", "cost"),
    ("QM-EMPTY-RUNS", "failures"),
    // schema-validator
    ("SV-BREAKING-INPUT-CHANGE", "contract"),
    ("SV-BREAKING-DATASET-CHANGE", "contract"),
    ("SV-INPUT-SCHEMA-LINT", "contract"),
    // release-gate
    ("RG-BLOCK", "contract"),
    ("RG-WARN", "contract"),
    ("GATE-CANDIDATE-NOT-BUILT", "contract"),
    ("GATE-REPLAY-REJECTED", "contract"),
    // ab-tester
    ("AB-B-WORSE", "experiment"),
    ("AB-B-BETTER", "experiment"),
    ("AB-SAMPLE-RATIO-MISMATCH", "experiment"),
    // compliance-scanner
    ("CS-FULL-PERMISSIONS-UNEXPLAINED", "compliance"),
    ("CS-RESTRICTED-ACCESS-UNSUPPORTED", "compliance"),
    ("CS-NO-BUILD", "maintenance"),
];

/// Prefixes of compliance-scanner rule families, after the exact rules of [`CAUSES`].
const CAUSE_PREFIXES: &[(&str, &str)] = &[
    ("CS-SECRET-", "compliance"),
    ("CS-PII-", "compliance"),
    ("CS-STORE-", "store"),
];

/// Added to the score of an item with a leaked secret: larger than any other score.
const SECRET_LEAK_POINTS: f64 = 100_000.0;
/// Cap of each of the severity, money, failed-runs and callers terms.
const TERM_CAP: f64 = 1000.0;

/// The cause a rule belongs to (see the module docs).
pub fn cause_of(rule: &str) -> String {
    if let Some((_, c)) = CAUSES.iter().find(|(r, _)| *r == rule) {
        return (*c).to_string();
    }
    if let Some((_, c)) = CAUSE_PREFIXES.iter().find(|(p, _)| rule.starts_with(p)) {
        return (*c).to_string();
    }
    format!("other:{rule}")
}

/// The stable key of an item: the subject's actor id and the cause.
pub fn item_key(actor_id: &str, cause: &str) -> String {
    format!("{actor_id}/{cause}")
}

fn severity_weight(s: Severity) -> f64 {
    match s {
        Severity::Critical => 1000.0,
        Severity::High => 300.0,
        Severity::Medium => 100.0,
        Severity::Low => 30.0,
        Severity::Info => 0.0,
    }
}

/// `per_decade` points per decade of `1 + v`; absent, negative or non-finite `v` is 0.
fn log_points(v: Option<f64>, per_decade: f64) -> f64 {
    let v = v.filter(|x| x.is_finite() && *x > 0.0).unwrap_or(0.0);
    (per_decade * (1.0 + v).log10()).min(TERM_CAP)
}

fn compliance_points(rule: &str) -> f64 {
    match rule {
        "CS-SECRET-LEAKED" => SECRET_LEAK_POINTS,
        "CS-SECRET-GENERIC" | "CS-SECRET-HYGIENE-VALUE" | "CS-PII-LITERAL" => 100.0,
        _ => 0.0,
    }
}

/// The ranking value of a severity, an impact and the compliance term (module docs).
pub fn score(severity: Severity, impact: &Impact, compliance: f64) -> f64 {
    severity_weight(severity)
        + log_points(impact.usd_per_month, 100.0)
        + log_points(impact.failed_runs_per_week, 100.0)
        + log_points(impact.callers_affected.map(|c| c as f64), 50.0)
        + compliance
}

fn signal_score(s: &Signal) -> f64 {
    score(s.severity, &s.impact, compliance_points(&s.rule))
}

/// One specialist's SIGNALS record as read from its run (or its failure).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolSignals {
    pub tool: String,
    /// The SIGNALS record; `None`: the tool failed or timed out.
    pub record: Option<Value>,
    /// Why the tool failed, when it did. A tool with a failure is degraded even when it
    /// left a (possibly partial) record, whose signals are still used.
    pub failure: Option<String>,
    pub console_url: Option<String>,
}

/// One thing to do: every signal about one actor and one cause.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PlanItem {
    /// `actorId/cause`: stable across runs.
    pub key: String,
    pub actor_id: String,
    pub actor_name: String,
    pub cause: String,
    /// The highest severity of its signals.
    pub severity: Severity,
    /// The ranking value (module docs).
    pub score: f64,
    /// The maximum of each figure over its signals.
    pub impact: Impact,
    /// The recommendation of its highest-scoring signal.
    pub top_fix: String,
    /// Signal ids, sorted.
    pub signals: Vec<String>,
    /// Tools that raised them, sorted.
    pub tools: Vec<String>,
    /// Signal titles, highest-scoring first, without repeats.
    pub titles: Vec<String>,
}

/// A specialist whose signals are missing or incomplete.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DegradedTool {
    pub tool: String,
    pub reason: String,
    pub console_url: Option<String>,
}

/// What changed since the previous plan, by item key.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    /// Open now, not in the previous plan (plan order).
    pub new: Vec<String>,
    /// In the previous plan, gone now (neither open nor acknowledged), sorted. An item one
    /// of whose tools is degraded now is not counted: its absence proves nothing.
    pub resolved: Vec<String>,
    /// In both, and now of a higher severity, or with money or failed runs up by ≥ 50 %
    /// (from a previous figure above zero) (plan order).
    pub worsened: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActionPlan {
    /// Open items, highest score first, ties by key.
    pub items: Vec<PlanItem>,
    /// Items all of whose signals are acknowledged, in the same order.
    pub acknowledged: Vec<PlanItem>,
    pub degraded: Vec<DegradedTool>,
    pub changes: Changes,
}

/// The part of a SIGNALS record the plan reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    schema_version: u32,
    signals: Vec<Signal>,
    #[serde(default)]
    acknowledged: Vec<Signal>,
}

/// The record's signals with their acknowledged flag (set for those of `acknowledged`).
fn parse_record(record: &Value) -> Result<Vec<(Signal, bool)>, String> {
    let r: Record =
        Record::deserialize(record).map_err(|e| format!("malformed SIGNALS record: {e}"))?;
    if r.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "SIGNALS record of schemaVersion {}, expected {SCHEMA_VERSION}",
            r.schema_version
        ));
    }
    let open = r.signals.into_iter().map(|s| {
        let ack = s.acknowledged;
        (s, ack)
    });
    let acked = r.acknowledged.into_iter().map(|s| (s, true));
    Ok(open.chain(acked).collect())
}

/// The signals of a SIGNALS record (or of an OUTPUT, which carries the same `signals` and
/// `acknowledged`), each with its `acknowledged` flag set as the record says.
pub fn signals_of(record: &Value) -> Result<Vec<Signal>, String> {
    Ok(parse_record(record)?
        .into_iter()
        .map(|(mut s, ack)| {
            s.acknowledged = ack;
            s
        })
        .collect())
}

/// A repeat that a tool did not alert again (quality-monitor reports it as `info` with
/// `evidence.alert = "repeat"`) is still a problem to fix: it gets back the severity it was
/// alerted with (`evidence.alertSeverity`), for the plan and the health score alike.
pub fn restore_repeat_severity(s: &mut Signal) {
    if s.severity == Severity::Info && s.evidence["alert"] == "repeat" {
        if let Ok(level) = serde_json::from_value(s.evidence["alertSeverity"].clone()) {
            s.severity = level;
        }
    }
}

/// A signal with the tool that reported it and whether it is acknowledged.
type Tagged = (Signal, String, bool);

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let b = b.filter(|x| x.is_finite());
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Builds one item from its (non-empty) signals, each with its tool and acknowledged flag.
fn build_item(
    key: String,
    cause: String,
    mut group: Vec<Tagged>,
    callers: &BTreeMap<String, u64>,
) -> PlanItem {
    group.sort_by(|(a, _, _), (b, _, _)| {
        signal_score(b)
            .total_cmp(&signal_score(a))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.title.cmp(&b.title))
    });
    let top = &group[0].0;
    let mut impact = Impact::default();
    let mut severity = Severity::Info;
    let mut compliance: f64 = 0.0;
    let mut signals = BTreeSet::new();
    let mut tools = BTreeSet::new();
    let mut titles: Vec<String> = Vec::new();
    for (s, tool, _) in &group {
        severity = severity.max(s.severity);
        impact.usd_per_month = max_opt(impact.usd_per_month, s.impact.usd_per_month);
        impact.failed_runs_per_week =
            max_opt(impact.failed_runs_per_week, s.impact.failed_runs_per_week);
        impact.callers_affected = impact.callers_affected.max(s.impact.callers_affected);
        compliance = compliance.max(compliance_points(&s.rule));
        signals.insert(s.id.clone());
        tools.insert(tool.clone());
        if !titles.contains(&s.title) {
            titles.push(s.title.clone());
        }
    }
    if impact.callers_affected.is_none() {
        impact.callers_affected = callers.get(&top.subject.actor_id).copied();
    }
    let actor_name = group
        .iter()
        .map(|(s, _, _)| s.subject.actor_name.as_str())
        .find(|n| !n.is_empty())
        .unwrap_or("")
        .to_string();
    PlanItem {
        key,
        actor_id: top.subject.actor_id.clone(),
        actor_name,
        cause,
        severity,
        score: score(severity, &impact, compliance),
        impact,
        top_fix: top.recommendation.clone(),
        signals: signals.into_iter().collect(),
        tools: tools.into_iter().collect(),
        titles,
    }
}

fn up_by_half(prev: Option<f64>, now: Option<f64>) -> bool {
    match (prev, now) {
        (Some(p), Some(n)) if p > 0.0 && p.is_finite() && n.is_finite() => n >= 1.5 * p,
        _ => false,
    }
}

fn changes(
    items: &[PlanItem],
    acknowledged: &[PlanItem],
    degraded: &[DegradedTool],
    previous: &[PlanItem],
) -> Changes {
    let prev: BTreeMap<&str, &PlanItem> = previous.iter().map(|p| (p.key.as_str(), p)).collect();
    let now: BTreeSet<&str> = items
        .iter()
        .chain(acknowledged)
        .map(|i| i.key.as_str())
        .collect();
    let degraded: BTreeSet<&str> = degraded.iter().map(|d| d.tool.as_str()).collect();
    let mut out = Changes::default();
    for item in items {
        match prev.get(item.key.as_str()) {
            None => out.new.push(item.key.clone()),
            Some(p) => {
                if item.severity > p.severity
                    || up_by_half(p.impact.usd_per_month, item.impact.usd_per_month)
                    || up_by_half(
                        p.impact.failed_runs_per_week,
                        item.impact.failed_runs_per_week,
                    )
                {
                    out.worsened.push(item.key.clone());
                }
            }
        }
    }
    for (key, p) in &prev {
        let unknown = p.tools.iter().any(|t| degraded.contains(t.as_str()));
        if !now.contains(key) && !unknown {
            out.resolved.push((*key).to_string());
        }
    }
    out
}

/// Merges the tools' signals into one plan (module docs): parses each record tolerantly (a
/// malformed record degrades its tool), drops info signals, merges signals by (actor,
/// cause), ranks the items by score, sets acknowledged items apart, and compares with
/// `previous` (the previous plan's open items) when given.
pub fn build_plan(tools: &[ToolSignals], previous: Option<&[PlanItem]>) -> ActionPlan {
    build_plan_with(tools, previous, &BTreeSet::new(), &BTreeMap::new())
}

/// [`build_plan`] with the orchestrator's own acknowledgements (signal IDs) applied on top of
/// each record's (a specialist that ignored or predates them cannot page for them), and the
/// callers of each actor (by actor id) for items whose signals did not count them.
pub fn build_plan_with(
    tools: &[ToolSignals],
    previous: Option<&[PlanItem]>,
    acknowledged: &BTreeSet<String>,
    callers: &BTreeMap<String, u64>,
) -> ActionPlan {
    let mut degraded: Vec<DegradedTool> = Vec::new();
    let mut groups: BTreeMap<String, (String, Vec<Tagged>)> = BTreeMap::new();
    for t in tools {
        let degrade = |reason: String| DegradedTool {
            tool: t.tool.clone(),
            reason,
            console_url: t.console_url.clone(),
        };
        let mut reasons: Vec<String> = Vec::new();
        if let Some(f) = &t.failure {
            reasons.push(f.clone());
        }
        match &t.record {
            None => {
                if reasons.is_empty() {
                    reasons.push("no SIGNALS record".to_string());
                }
            }
            Some(record) => match parse_record(record) {
                Err(e) => reasons.push(e),
                Ok(signals) => {
                    for (mut s, ack) in signals {
                        let ack = ack || acknowledged.contains(&s.id);
                        restore_repeat_severity(&mut s);
                        if s.severity == Severity::Info {
                            continue;
                        }
                        let cause = cause_of(&s.rule);
                        let key = item_key(&s.subject.actor_id, &cause);
                        groups
                            .entry(key)
                            .or_insert_with(|| (cause, Vec::new()))
                            .1
                            .push((s, t.tool.clone(), ack));
                    }
                }
            },
        }
        if !reasons.is_empty() {
            degraded.push(degrade(reasons.join("; ")));
        }
    }
    degraded.sort_by(|a, b| a.tool.cmp(&b.tool).then_with(|| a.reason.cmp(&b.reason)));

    let mut items = Vec::new();
    let mut acknowledged = Vec::new();
    for (key, (cause, group)) in groups {
        let all_acked = group.iter().all(|(_, _, ack)| *ack);
        let item = build_item(key, cause, group, callers);
        if all_acked {
            acknowledged.push(item);
        } else {
            items.push(item);
        }
    }
    let order = |a: &PlanItem, b: &PlanItem| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key));
    items.sort_by(order);
    acknowledged.sort_by(order);

    let changes = match previous {
        Some(prev) => changes(&items, &acknowledged, &degraded, prev),
        None => Changes::default(),
    };
    ActionPlan {
        items,
        acknowledged,
        degraded,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyses::{ab, compliance, cost, fleet, quality, release_gate, schema_validator};
    use crate::signal::{signal_id, signals_record, Subject};
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn sig(tool: &str, rule: &str, actor: &str, severity: Severity, usd: Option<f64>) -> Signal {
        let subject = Subject {
            actor_id: actor.into(),
            actor_name: format!("name-{actor}"),
            build_number: None,
        };
        Signal {
            id: signal_id(tool, rule, &subject),
            tool: tool.into(),
            rule: rule.into(),
            severity,
            subject,
            title: format!("{rule} on {actor}"),
            evidence: json!({}),
            impact: Impact {
                usd_per_month: usd,
                failed_runs_per_week: None,
                callers_affected: None,
            },
            recommendation: format!("fix {rule}"),
            console_url: "https://console.apify.com/x".into(),
            first_seen_at: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
            acknowledged: false,
        }
    }

    fn tool(name: &str, open: &[Signal], acked: &[Signal]) -> ToolSignals {
        ToolSignals {
            tool: name.into(),
            record: Some(signals_record(name, open, acked)),
            failure: None,
            console_url: None,
        }
    }

    fn keys(items: &[PlanItem]) -> Vec<&str> {
        items.iter().map(|i| i.key.as_str()).collect()
    }

    #[test]
    fn every_catalog_rule_has_a_known_cause() {
        for rules in [
            fleet::RULES,
            cost::RULES,
            quality::RULES,
            schema_validator::RULES,
            release_gate::RULES,
            ab::RULES,
            compliance::RULES,
        ] {
            for (rule, _, _) in rules {
                assert!(!cause_of(rule).starts_with("other:"), "{rule} has no cause");
            }
        }
        assert_eq!(cause_of("XX-NEW"), "other:XX-NEW");
        assert_eq!(cause_of("CS-SECRET-LEAKED"), "compliance");
        assert_eq!(cause_of("CS-STORE-SEO-LENGTH"), "store");
    }

    #[test]
    fn same_actor_and_cause_from_two_tools_is_one_item() {
        let mut a = sig(
            fleet::TOOL,
            "FA-FAILURE-SPIKE",
            "a1",
            Severity::Medium,
            None,
        );
        a.impact.failed_runs_per_week = Some(12.0);
        let mut b = sig(
            quality::TOOL,
            "QM-FAILURE-RATE",
            "a1",
            Severity::High,
            Some(3.0),
        );
        b.impact.failed_runs_per_week = Some(8.0);
        b.impact.callers_affected = Some(4);
        let plan = build_plan(
            &[
                tool(fleet::TOOL, &[a.clone()], &[]),
                tool(quality::TOOL, &[b.clone()], &[]),
            ],
            None,
        );
        assert_eq!(plan.items.len(), 1);
        let item = &plan.items[0];
        assert_eq!(item.key, "a1/failures");
        assert_eq!(item.actor_name, "name-a1");
        assert_eq!(item.severity, Severity::High);
        assert_eq!(item.impact.failed_runs_per_week, Some(12.0));
        assert_eq!(item.impact.usd_per_month, Some(3.0));
        assert_eq!(item.impact.callers_affected, Some(4));
        assert_eq!(item.top_fix, "fix QM-FAILURE-RATE");
        assert_eq!(item.tools, vec!["fleet-analytics", "quality-monitor"]);
        let mut ids = vec![a.id, b.id];
        ids.sort();
        assert_eq!(item.signals, ids);
        assert_eq!(item.titles[0], "QM-FAILURE-RATE on a1");
        assert_eq!(item.titles.len(), 2);
    }

    #[test]
    fn different_causes_on_one_actor_stay_apart_and_info_is_dropped() {
        let plan = build_plan(
            &[tool(
                fleet::TOOL,
                &[
                    sig(fleet::TOOL, "FA-NO-SUCCESS", "a1", Severity::Critical, None),
                    sig(fleet::TOOL, "FA-COST-JUMP", "a1", Severity::Low, Some(20.0)),
                    sig(
                        cost::TOOL,
                        "CW-TIMEOUT-TOO-LONG",
                        "a2",
                        Severity::Info,
                        None,
                    ),
                ],
                &[],
            )],
            None,
        );
        assert_eq!(keys(&plan.items), vec!["a1/failures", "a1/cost"]);
        assert!(plan.acknowledged.is_empty() && plan.degraded.is_empty());
    }

    #[test]
    fn leaked_secret_first_and_money_beats_nothing() {
        let secret = sig(
            compliance::TOOL,
            "CS-SECRET-LEAKED",
            "s",
            Severity::Medium,
            None,
        );
        let big = sig(
            cost::TOOL,
            "CW-COST-ANOMALY",
            "c",
            Severity::Critical,
            Some(500.0),
        );
        let paid = sig(
            quality::TOOL,
            "QM-DURATION",
            "p",
            Severity::Medium,
            Some(10.0),
        );
        let free = sig(quality::TOOL, "QM-DURATION", "f", Severity::Medium, None);
        let plan = build_plan(
            &[
                tool(quality::TOOL, &[free, paid], &[]),
                tool(cost::TOOL, &[big], &[]),
                tool(compliance::TOOL, &[secret], &[]),
            ],
            None,
        );
        assert_eq!(
            keys(&plan.items),
            vec!["s/compliance", "c/cost", "p/performance", "f/performance"]
        );
        assert!(plan.items[0].score > plan.items[1].score);
        assert!(plan.items[2].score > plan.items[3].score);
    }

    #[test]
    fn a_failed_tool_is_degraded_and_the_plan_still_builds() {
        let failed = ToolSignals {
            tool: cost::TOOL.into(),
            record: None,
            failure: Some("run TIMED-OUT".into()),
            console_url: Some("https://console.apify.com/runs/r1".into()),
        };
        let ok = tool(
            fleet::TOOL,
            &[sig(
                fleet::TOOL,
                "FA-NO-SUCCESS",
                "a1",
                Severity::Critical,
                None,
            )],
            &[],
        );
        let plan = build_plan(&[failed, ok], None);
        assert_eq!(keys(&plan.items), vec!["a1/failures"]);
        assert_eq!(
            plan.degraded,
            vec![DegradedTool {
                tool: cost::TOOL.into(),
                reason: "run TIMED-OUT".into(),
                console_url: Some("https://console.apify.com/runs/r1".into()),
            }]
        );
    }

    #[test]
    fn malformed_records_degrade_without_panic() {
        let good = sig(fleet::TOOL, "FA-NO-SUCCESS", "a1", Severity::Critical, None);
        let mut bad_signal = serde_json::to_value(&good).unwrap();
        bad_signal["severity"] = json!("apocalyptic");
        let records = [
            json!("not an object"),
            json!({"schemaVersion": 1, "tool": "x"}),
            json!({"schemaVersion": 99, "tool": "x", "signals": [], "acknowledged": []}),
            json!({"schemaVersion": 1, "tool": "x", "signals": [bad_signal], "acknowledged": []}),
            json!({"schemaVersion": 1, "tool": "x", "signals": [{"id": 3}], "acknowledged": []}),
        ];
        for (i, record) in records.into_iter().enumerate() {
            let t = ToolSignals {
                tool: format!("t{i}"),
                record: Some(record),
                failure: None,
                console_url: None,
            };
            let plan = build_plan(
                &[t, tool(fleet::TOOL, std::slice::from_ref(&good), &[])],
                None,
            );
            assert_eq!(plan.degraded.len(), 1, "record {i}");
            assert_eq!(plan.degraded[0].tool, format!("t{i}"));
            assert_eq!(keys(&plan.items), vec!["a1/failures"], "record {i}");
        }
    }

    #[test]
    fn acknowledged_only_when_all_signals_are() {
        let a = sig(fleet::TOOL, "FA-FAILURE-SPIKE", "a1", Severity::High, None);
        let b = sig(quality::TOOL, "QM-FAILURE-RATE", "a1", Severity::High, None);
        let c = sig(fleet::TOOL, "FA-COST-JUMP", "a2", Severity::Low, Some(5.0));
        let mut d = sig(
            quality::TOOL,
            "QM-COST-PER-RUN",
            "a2",
            Severity::Low,
            Some(6.0),
        );
        d.acknowledged = true; // flagged in `signals`: acknowledged too
        let plan = build_plan(
            &[
                tool(fleet::TOOL, &[], &[a, c]),
                tool(quality::TOOL, &[b, d], &[]),
            ],
            None,
        );
        assert_eq!(keys(&plan.items), vec!["a1/failures"]);
        assert_eq!(keys(&plan.acknowledged), vec!["a2/cost"]);
        assert_eq!(plan.items[0].signals.len(), 2);
    }

    #[test]
    fn the_orchestrators_acknowledgements_apply_over_the_records() {
        let a = sig(fleet::TOOL, "FA-FAILURE-SPIKE", "a1", Severity::High, None);
        let b = sig(quality::TOOL, "QM-FAILURE-RATE", "a1", Severity::High, None);
        let tools = [
            tool(fleet::TOOL, std::slice::from_ref(&a), &[]),
            tool(quality::TOOL, std::slice::from_ref(&b), &[]),
        ];
        let one: BTreeSet<String> = [a.id.clone()].into();
        assert_eq!(
            keys(&build_plan_with(&tools, None, &one, &BTreeMap::new()).items),
            vec!["a1/failures"]
        );
        let both: BTreeSet<String> = [a.id, b.id].into();
        let plan = build_plan_with(&tools, None, &both, &BTreeMap::new());
        assert!(plan.items.is_empty());
        assert_eq!(keys(&plan.acknowledged), vec!["a1/failures"]);
    }

    #[test]
    fn callers_rank_an_item_above_the_same_problem_nobody_calls() {
        let a = sig(fleet::TOOL, "FA-FAILURE-SPIKE", "a1", Severity::High, None);
        let b = sig(fleet::TOOL, "FA-FAILURE-SPIKE", "a2", Severity::High, None);
        let tools = [tool(fleet::TOOL, &[a, b], &[])];
        let callers: BTreeMap<String, u64> = [("a2".to_string(), 999)].into();
        let plan = build_plan_with(&tools, None, &BTreeSet::new(), &callers);
        assert_eq!(keys(&plan.items), vec!["a2/failures", "a1/failures"]);
        assert_eq!(plan.items[0].impact.callers_affected, Some(999));
        assert_eq!(plan.items[0].score - plan.items[1].score, 150.0);
    }

    #[test]
    fn changes_new_resolved_worsened_and_degraded_is_not_resolved() {
        let run1 = build_plan(
            &[
                tool(
                    fleet::TOOL,
                    &[
                        sig(fleet::TOOL, "FA-COST-JUMP", "a1", Severity::Low, Some(10.0)),
                        sig(fleet::TOOL, "FA-STALE-BUILD", "a2", Severity::Low, None),
                        sig(
                            fleet::TOOL,
                            "FA-FAILURE-SPIKE",
                            "a3",
                            Severity::Medium,
                            None,
                        ),
                        sig(fleet::TOOL, "FA-COST-JUMP", "a4", Severity::Low, Some(10.0)),
                    ],
                    &[],
                ),
                tool(
                    compliance::TOOL,
                    &[sig(
                        compliance::TOOL,
                        "CS-PII-LITERAL",
                        "a5",
                        Severity::Medium,
                        None,
                    )],
                    &[],
                ),
            ],
            None,
        );
        assert_eq!(run1.changes, Changes::default());
        let compliance_failed = ToolSignals {
            tool: compliance::TOOL.into(),
            failure: Some("crashed".into()),
            ..ToolSignals::default()
        };
        let run2 = build_plan(
            &[
                tool(
                    fleet::TOOL,
                    &[
                        // money +50 %: worsened
                        sig(fleet::TOOL, "FA-COST-JUMP", "a1", Severity::Low, Some(15.0)),
                        // a2 gone: resolved; severity up: worsened
                        sig(fleet::TOOL, "FA-FAILURE-SPIKE", "a3", Severity::High, None),
                        // money +40 %: not worsened
                        sig(fleet::TOOL, "FA-COST-JUMP", "a4", Severity::Low, Some(14.0)),
                        sig(fleet::TOOL, "FA-NO-SUCCESS", "a6", Severity::Critical, None),
                    ],
                    &[],
                ),
                compliance_failed,
            ],
            Some(&run1.items),
        );
        assert_eq!(run2.changes.new, vec!["a6/failures"]);
        assert_eq!(run2.changes.resolved, vec!["a2/maintenance"]);
        assert_eq!(run2.changes.worsened, vec!["a3/failures", "a1/cost"]);
    }

    #[test]
    fn keys_are_stable_and_ties_are_ordered_whatever_the_input_order() {
        let s = |a: &str| sig(quality::TOOL, "QM-DURATION", a, Severity::Low, None);
        let t = |a: &str| sig(fleet::TOOL, "FA-STALE-BUILD", a, Severity::Low, None);
        let one = build_plan(
            &[
                tool(quality::TOOL, &[s("b"), s("a")], &[]),
                tool(fleet::TOOL, &[t("c"), t("a")], &[]),
            ],
            None,
        );
        let two = build_plan(
            &[
                tool(fleet::TOOL, &[t("a"), t("c")], &[]),
                tool(quality::TOOL, &[s("a"), s("b")], &[]),
            ],
            None,
        );
        assert_eq!(one, two);
        assert_eq!(
            keys(&one.items),
            vec![
                "a/maintenance",
                "a/performance",
                "b/performance",
                "c/maintenance"
            ]
        );
        // The same problems next run: same keys, nothing new, resolved or worsened.
        let again = build_plan(
            &[
                tool(fleet::TOOL, &[t("a"), t("c")], &[]),
                tool(quality::TOOL, &[s("a"), s("b")], &[]),
            ],
            Some(&one.items),
        );
        assert_eq!(keys(&again.items), keys(&one.items));
        assert_eq!(again.changes, Changes::default());
        // The plan round-trips through JSON (it is read back as `previous`).
        let back: ActionPlan = serde_json::from_value(serde_json::to_value(&one).unwrap()).unwrap();
        assert_eq!(back, one);
    }
}
