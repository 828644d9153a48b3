//! Signals: the common currency of every tool, and the decision contract that opens every
//! `OUTPUT`. Automation branches on `decision` and `reasonCodes`, never on prose.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the OUTPUT, SIGNALS and SNAPSHOT shapes; bumped on a breaking change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// What a signal is about: an actor, and the build where it is build-specific.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub actor_id: String,
    pub actor_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_number: Option<String>,
}

/// What a problem costs, in the units users weigh: money, failed runs, callers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_per_month: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_runs_per_week: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callers_affected: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    pub id: String,
    pub tool: String,
    pub rule: String,
    pub severity: Severity,
    pub subject: Subject,
    pub title: String,
    /// Statistical evidence: metric, baseline, current, n, pValue, qValue...
    pub evidence: Value,
    pub impact: Impact,
    pub recommendation: String,
    pub console_url: String,
    pub first_seen_at: DateTime<Utc>,
    pub acknowledged: bool,
}

/// A stable id for (tool, rule, subject): the same problem keeps its id across runs, so it
/// can be acknowledged once and tracked week over week.
pub fn signal_id(tool: &str, rule: &str, subject: &Subject) -> String {
    let build = subject.build_number.as_deref().unwrap_or("");
    stable_hash([tool, rule, subject.actor_id.as_str(), build])
}

/// FNV-1a, 64 bit, of the parts (each terminated by a NUL), as 16 hex digits: stable across
/// platforms and versions, unlike std's hasher.
pub fn stable_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    ActNow,
    Monitor,
    Ignore,
}

/// The decision contract every tool's OUTPUT opens with (flattened into it): automation
/// branches on `decision` and `reasonCodes`, people read `summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionHead {
    pub schema_version: u32,
    pub tool: &'static str,
    pub decision: Decision,
    pub reason_codes: Vec<String>,
    pub summary: String,
}

impl DecisionHead {
    pub fn new(
        tool: &'static str,
        decision: Decision,
        reason_codes: Vec<String>,
        summary: String,
    ) -> DecisionHead {
        DecisionHead {
            schema_version: SCHEMA_VERSION,
            tool,
            decision,
            reason_codes,
            summary,
        }
    }
}

/// The SIGNALS record every tool writes (`schemas/signals.schema.json`).
pub fn signals_record(tool: &str, open: &[Signal], acknowledged: &[Signal]) -> serde_json::Value {
    serde_json::json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": tool,
        "signals": open,
        "acknowledged": acknowledged,
    })
}

/// Decides from unacknowledged signals: anything high or critical needs action now.
pub fn decide(signals: &[Signal]) -> (Decision, Vec<String>) {
    let open: Vec<&Signal> = signals.iter().filter(|s| !s.acknowledged).collect();
    let decision = match open.iter().map(|s| s.severity).max() {
        Some(Severity::Critical | Severity::High) => Decision::ActNow,
        Some(Severity::Medium | Severity::Low) => Decision::Monitor,
        Some(Severity::Info) | None => Decision::Ignore,
    };
    let mut codes: Vec<String> = open
        .iter()
        .filter(|s| s.severity > Severity::Info)
        .map(|s| s.rule.clone())
        .collect();
    codes.sort();
    codes.dedup();
    (decision, codes)
}

/// Orders signals for people: severity first, then money, then failed runs, then id.
pub fn rank(signals: &mut [Signal]) {
    signals.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| {
                let ua = a.impact.usd_per_month.unwrap_or(0.0);
                let ub = b.impact.usd_per_month.unwrap_or(0.0);
                ub.total_cmp(&ua)
            })
            .then_with(|| {
                let fa = a.impact.failed_runs_per_week.unwrap_or(0.0);
                let fb = b.impact.failed_runs_per_week.unwrap_or(0.0);
                fb.total_cmp(&fa)
            })
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// The rule table of a tool's docs, generated from its catalog so the docs cannot drift.
pub fn rule_table_markdown(tool: &str, rules: &[(&str, &str, &str)]) -> String {
    let mut out = format!(
        "# {tool}: rules\n\n<!-- Generated from the rule catalog by `APIFYFORGE_UPDATE_DOCS=1 cargo test`. Do not edit. -->\n\n\
         | rule | severity | meaning |\n|---|---|---|\n"
    );
    for (id, severity, meaning) in rules {
        out.push_str(&format!(
            "| `{id}` | {severity} | {} |\n",
            meaning.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(id: &str) -> Subject {
        Subject {
            actor_id: id.into(),
            actor_name: "a".into(),
            build_number: None,
        }
    }

    #[test]
    fn signal_ids_are_stable_and_distinct() {
        let a = signal_id("fleet-analytics", "FA-NO-SUCCESS", &subject("x1"));
        assert_eq!(
            a,
            signal_id("fleet-analytics", "FA-NO-SUCCESS", &subject("x1"))
        );
        assert_ne!(
            a,
            signal_id("fleet-analytics", "FA-NO-SUCCESS", &subject("x2"))
        );
        assert_ne!(
            a,
            signal_id("fleet-analytics", "FA-COST-JUMP", &subject("x1"))
        );
        assert_eq!(a.len(), 16);
    }
}
