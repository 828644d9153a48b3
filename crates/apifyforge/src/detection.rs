//! Detection quality on a synthetic fleet: which planted problems the signals found (recall)
//! and how many signals point at something that was not planted (precision).

use forge_emulator::synth::GroundTruth;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Which fleet-analytics rule detects which planted kind.
pub const FLEET_ANALYTICS: &[(&str, &str)] = &[
    ("failure-spike", "FA-FAILURE-SPIKE"),
    ("no-success", "FA-NO-SUCCESS"),
    ("cost-jump", "FA-COST-JUMP"),
    ("latest-build-failed", "FA-LATEST-BUILD-FAILED"),
    ("stale", "FA-STALE-BUILD"),
];

/// Regressions planted for quality-monitor that fleet-analytics truly sees too.
pub const FLEET_ANALYTICS_ALSO_TRUE: &[(&str, &str)] = &[
    ("failure-regression", "FA-FAILURE-SPIKE"),
    ("duration-regression", "FA-COST-JUMP"),
];

/// Compliance plants that schema-validator's input-schema lint truly sees.
pub const SCHEMA_VALIDATOR_ALSO_TRUE: &[(&str, &str)] = &[
    ("secret-in-input", "SV-INPUT-SCHEMA-LINT"),
    ("missing-is-secret", "SV-INPUT-SCHEMA-LINT"),
];

/// Which schema-validator rule detects which planted kind.
pub const SCHEMA_VALIDATOR: &[(&str, &str)] = &[
    ("schema-breaking-input", "SV-BREAKING-INPUT-CHANGE"),
    ("schema-breaking-dataset", "SV-BREAKING-DATASET-CHANGE"),
    ("schema-lint", "SV-INPUT-SCHEMA-LINT"),
];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindScore {
    pub planted: usize,
    pub found: usize,
    pub false_alarms: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectionScore {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub precision: f64,
    pub recall: f64,
    pub by_kind: BTreeMap<String, KindScore>,
    /// (actor name, kind) of planted problems no signal found.
    pub missed: Vec<(String, String)>,
    /// (actor name, rule) of signals with no planted problem behind them.
    pub false_alarms: Vec<(String, String)>,
}

/// Which cost-watchdog rule detects which planted kind.
pub const COST_WATCHDOG: &[(&str, &str)] = &[
    ("memory-overprovisioned", "CW-MEM-OVERPROVISIONED"),
    ("cost-spike", "CW-COST-ANOMALY"),
    ("timeout-waste", "CW-TIMEOUT-WASTE"),
    ("stuck-run", "CW-STUCK-RUN"),
];

/// Signals that a planted problem of another kind truly causes: neither found nor false.
/// An actor whose runs never succeed (15 % of them timing out) does waste money on timeouts.
pub const COST_WATCHDOG_ALSO_TRUE: &[(&str, &str)] = &[
    ("no-success", "CW-TIMEOUT-WASTE"),
    ("no-success", "CW-WASTED-SPEND"),
    ("failure-spike", "CW-WASTED-SPEND"),
    ("cost-jump", "CW-COST-ANOMALY"),
    ("duration-regression", "CW-COST-ANOMALY"),
    ("failure-regression", "CW-WASTED-SPEND"),
];

/// Which compliance-scanner rule detects which planted kind.
pub const COMPLIANCE_SCANNER: &[(&str, &str)] = &[
    ("secret-in-input", "CS-SECRET-LEAKED"),
    ("secret-in-readme", "CS-SECRET-LEAKED"),
    ("missing-is-secret", "CS-SECRET-HYGIENE-NOT-MARKED"),
    ("pii-no-legal-note", "CS-PII-NO-LEGAL-NOTE"),
    ("stub-readme", "CS-STORE-README-STUB"),
];

/// Findings that other planted problems truly are: a secret prefilled into an input is also
/// a secret with a value; the schema-lint plants include secrets with defaults and
/// credential-like fields not marked secret.
pub const COMPLIANCE_SCANNER_ALSO_TRUE: &[(&str, &str)] = &[
    ("secret-in-input", "CS-SECRET-HYGIENE-VALUE"),
    // A public stub README carries no legal note, and the actor's name (leads, reviews,
    // profiles) says it outputs personal data.
    ("stub-readme", "CS-PII-NO-LEGAL-NOTE"),
    ("schema-lint", "CS-SECRET-HYGIENE-VALUE"),
    ("schema-lint", "CS-SECRET-HYGIENE-NOT-MARKED"),
];

/// Which quality-monitor rule detects which planted kind.
pub const QUALITY_MONITOR: &[(&str, &str)] = &[
    ("failure-regression", "QM-FAILURE-RATE"),
    ("duration-regression", "QM-DURATION"),
    ("empty-runs", "QM-EMPTY-RUNS"),
];

/// Regressions that other planted problems truly are: a failure spike is a failure-rate
/// regression, and a run that takes longer on the same memory costs more.
pub const QUALITY_MONITOR_ALSO_TRUE: &[(&str, &str)] = &[
    ("duration-regression", "QM-COST-PER-RUN"),
    ("failure-spike", "QM-FAILURE-RATE"),
    ("no-success", "QM-FAILURE-RATE"),
    ("cost-jump", "QM-COST-PER-RUN"),
    ("cost-jump", "QM-DURATION"),
    ("cost-spike", "QM-COST-PER-RUN"),
    ("cost-spike", "QM-DURATION"),
];

/// Scores one tool's signals (objects with `rule` and `subject.actorId`, as in SIGNALS)
/// against the planted problems of the kinds that tool detects (`rules`: kind → rule).
pub fn score(truth: &GroundTruth, signals: &[Value], rules: &[(&str, &str)]) -> DetectionScore {
    score_with(truth, signals, rules, &[])
}

/// [`score`], where a signal `(kind, rule)` in `also_true` on an actor planted with `kind`
/// is a true finding of a problem this tool is not scored on: it counts neither way.
pub fn score_with(
    truth: &GroundTruth,
    signals: &[Value],
    rules: &[(&str, &str)],
    also_true: &[(&str, &str)],
) -> DetectionScore {
    let explained = |actor: &str, rule: &str| {
        truth.planted.iter().any(|p| {
            p.actor_id == actor && also_true.iter().any(|(k, r)| *k == p.kind && *r == rule)
        })
    };
    // A rule may detect several kinds (a leaked secret in the input schema or in the README).
    let mut kinds_of_rule: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, r) in rules {
        kinds_of_rule.entry(r).or_default().push(k);
    }
    let planted: BTreeSet<(String, String)> = truth
        .planted
        .iter()
        .filter(|p| rules.iter().any(|(k, _)| *k == p.kind))
        .map(|p| (p.actor_id.clone(), p.kind.clone()))
        .collect();
    let names: BTreeMap<&str, &str> = truth
        .planted
        .iter()
        .map(|p| (p.actor_id.as_str(), p.actor_name.as_str()))
        .collect();
    let mut found: BTreeSet<(String, String)> = BTreeSet::new();
    let mut s = DetectionScore::default();
    for sig in signals {
        let (Some(rule), Some(actor)) = (sig["rule"].as_str(), sig["subject"]["actorId"].as_str())
        else {
            continue;
        };
        // Info signals are hygiene notes, not alerts: they do not count either way.
        if sig["severity"] == "info" {
            continue;
        }
        // Every signal of the tool counts: a rule no planted kind maps to is a false alarm
        // unless a planted problem of another kind explains it.
        let kinds = kinds_of_rule.get(rule).cloned().unwrap_or_default();
        let hit = kinds
            .iter()
            .map(|k| (actor.to_string(), k.to_string()))
            .find(|key| planted.contains(key));
        let kind = kinds.first().copied().unwrap_or("(none planted)");
        if let Some(key) = hit {
            found.insert(key);
        } else if explained(actor, rule) {
            continue;
        } else {
            s.false_positives += 1;
            s.by_kind.entry(kind.to_string()).or_default().false_alarms += 1;
            let name = sig["subject"]["actorName"]
                .as_str()
                .unwrap_or(actor)
                .to_string();
            s.false_alarms.push((name, rule.to_string()));
        }
    }
    for (actor, kind) in &planted {
        let k = s.by_kind.entry(kind.clone()).or_default();
        k.planted += 1;
        if found.contains(&(actor.clone(), kind.clone())) {
            k.found += 1;
        } else {
            s.missed.push((
                names
                    .get(actor.as_str())
                    .unwrap_or(&actor.as_str())
                    .to_string(),
                kind.clone(),
            ));
        }
    }
    s.true_positives = found.len();
    s.false_negatives = planted.len() - found.len();
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    s.precision = ratio(s.true_positives, s.true_positives + s.false_positives);
    s.recall = ratio(s.true_positives, planted.len());
    s
}
