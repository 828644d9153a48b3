//! release-gate: is this build safe to release to the callers of the last good one?
//!
//! The candidate's input schema is diffed against the baseline's (callers write input:
//! narrowing breaks them), its dataset and output schemas likewise (callers read: widening
//! breaks them), its input schema is linted, and real inputs are replayed: an empty input (a
//! caller relying on defaults), the baseline's prefill (what the Store's daily test sends),
//! and any examples given. An input the candidate rejects escalates the finding on its path to
//! ERR. Any ERR blocks; any WARN warns; otherwise the build passes.

use crate::input::{InputError, InputSchema};
use crate::model::{ActorInfo, BuildDefinition, JobStatus};
use crate::schema::{
    diff, diff_dataset, diff_input, lint_input_schema, DiffConfig, Direction, Finding, Level,
};
use crate::signal::{signal_id, Decision, DecisionHead, Impact, Severity, Signal, Subject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const TOOL: &str = "release-gate";

/// The gate's own rules, beside the schema engine's `SCH-*` and `LINT-*`.
pub const RULES: &[(&str, &str, &str)] = &[
    ("RG-BLOCK", "critical", "The candidate build would break callers of the baseline: do not release it."),
    ("RG-WARN", "medium", "The candidate build changes the contract in ways some callers may notice."),
    ("GATE-CANDIDATE-NOT-BUILT", "err", "The candidate build did not succeed, so there is nothing to release."),
    ("GATE-REPLAY-REJECTED", "err", "A real input (empty, the baseline's prefill, or a given example) is rejected by the candidate's input schema."),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Pass,
    Warn,
    Block,
}

/// What the runtime collected for one gate.
#[derive(Debug, Clone, PartialEq)]
pub struct GateEvidence {
    pub actor: ActorInfo,
    pub candidate: BuildDefinition,
    pub baseline: Option<BuildDefinition>,
    /// Why this baseline: "given", "tagged latest", "newest build with a successful run".
    pub baseline_reason: String,
    pub example_inputs: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replay {
    pub label: String,
    pub accepted: bool,
    /// Whether the baseline accepts it. An input both builds reject was never a working
    /// call, so rejecting it is not a regression.
    pub accepted_by_baseline: bool,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildRef {
    pub id: String,
    pub build_number: Option<String>,
    pub status: JobStatus,
}

fn build_ref(b: &BuildDefinition) -> BuildRef {
    BuildRef {
        id: b.build.id.clone(),
        build_number: b.build.build_number.clone(),
        status: b.build.status,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateOutput {
    #[serde(flatten)]
    pub head: DecisionHead,
    pub verdict: Verdict,
    pub actor_id: String,
    pub actor_name: String,
    pub candidate: BuildRef,
    pub baseline: Option<BuildRef>,
    pub baseline_reason: String,
    /// Findings that decide the verdict (ERR and WARN), most severe first.
    pub deciding: Vec<Finding>,
    /// Every finding, INFO included.
    pub findings: Vec<Finding>,
    pub replay: Vec<Replay>,
    pub signals: Vec<Signal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GateFindings {
    pub output: GateOutput,
    /// One dataset row per finding.
    pub rows: Vec<Value>,
}

fn parse(text: Option<&str>) -> Option<Value> {
    serde_json::from_str(text?).ok()
}

/// An input built from each property's `prefill` (else its `default`): what Apify Console
/// pre-fills and what the Store's daily test runs with.
pub fn prefill_input(schema: &Value) -> Value {
    let mut out = Map::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            if let Some(v) = prop.get("prefill").or_else(|| prop.get("default")) {
                out.insert(name.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// The top-level field of a validation error path (`startUrls/0/url` → `startUrls`).
fn top_field(field: &str) -> &str {
    field.split(['/', '.', '[']).next().unwrap_or(field)
}

fn finding_field(f: &Finding) -> &str {
    top_field(f.path.trim_start_matches('/'))
}

pub fn gate(config: &DiffConfig, evidence: &GateEvidence, now: DateTime<Utc>) -> GateFindings {
    let mut findings: Vec<Finding> = Vec::new();
    let candidate = &evidence.candidate;
    if candidate.build.status != JobStatus::Succeeded {
        findings.push(Finding {
            rule: "GATE-CANDIDATE-NOT-BUILT",
            level: Level::Err,
            pointer: String::new(),
            path: String::new(),
            before: None,
            after: Some(json!(candidate.build.status.as_str())),
            message: format!(
                "the candidate build {} is {}, not SUCCEEDED",
                label(candidate),
                candidate.build.status.as_str()
            ),
        });
    }
    let cand_input = parse(candidate.input_schema.as_deref());
    let base_input = evidence
        .baseline
        .as_ref()
        .and_then(|b| parse(b.input_schema.as_deref()));

    // Lint: problems new in the candidate count; ones the baseline already had are context.
    let base_lint: Vec<(String, String)> = evidence
        .baseline
        .as_ref()
        .and_then(|b| b.input_schema.as_deref())
        .map(|t| {
            lint_input_schema(t)
                .into_iter()
                .map(|f| (f.rule.to_string(), f.path))
                .collect()
        })
        .unwrap_or_default();
    if let Some(text) = candidate.input_schema.as_deref() {
        for mut f in lint_input_schema(text) {
            if base_lint.iter().any(|(r, p)| r == f.rule && *p == f.path) {
                f.level = Level::Info;
                f.message = format!("(already in the baseline) {}", f.message);
            }
            findings.push(f);
        }
    }

    if let Some(base) = &evidence.baseline {
        if let (Some(b), Some(c)) = (&base_input, &cand_input) {
            findings.extend(diff_input(b, c, config));
        }
        if let (Some(b), Some(c)) = (&base.dataset_schema, &candidate.dataset_schema) {
            findings.extend(diff_dataset(b, c, config));
        }
        if let (Some(b), Some(c)) = (&base.output_schema, &candidate.output_schema) {
            findings.extend(diff(b, c, Direction::Output, config));
        }
    }

    // Empirical replay against the candidate, of inputs the baseline accepts.
    let mut replay = Vec::new();
    let base_schema = evidence
        .baseline
        .as_ref()
        .and_then(|b| b.input_schema.as_deref())
        .and_then(|t| InputSchema::parse(t).ok());
    if let Some(schema) = candidate
        .input_schema
        .as_deref()
        .and_then(|t| InputSchema::parse(t).ok())
    {
        let mut inputs: Vec<(String, Value)> = vec![(
            "empty input (callers relying on defaults)".into(),
            json!({}),
        )];
        if let Some(b) = &base_input {
            inputs.push((
                "the baseline's prefill (the Store's daily test input)".into(),
                prefill_input(b),
            ));
        }
        for (i, e) in evidence.example_inputs.iter().enumerate() {
            inputs.push((format!("example input #{}", i + 1), e.clone()));
        }
        for (label, input) in inputs {
            let errors = match schema.resolve(Some(&input)) {
                Ok(_) => Vec::new(),
                Err(InputError::Invalid(errors)) => errors,
                Err(InputError::BadSchema(e)) => vec![crate::input::FieldError {
                    field: "(schema)".into(),
                    message: e,
                }],
            };
            let accepted_by_baseline = base_schema
                .as_ref()
                .is_none_or(|b| b.resolve(Some(&input)).is_ok());
            let regressions: &[crate::input::FieldError] =
                if accepted_by_baseline { &errors } else { &[] };
            for e in regressions {
                let field = top_field(&e.field);
                let mut escalated = false;
                for f in findings
                    .iter_mut()
                    .filter(|f| finding_field(f) == field && f.rule.starts_with("SCH-"))
                {
                    if f.level != Level::Err {
                        f.level = Level::Err;
                        f.message =
                            format!("{} — and {label} is rejected: {}", f.message, e.message);
                    }
                    escalated = true;
                }
                if !escalated {
                    findings.push(Finding {
                        rule: "GATE-REPLAY-REJECTED",
                        level: Level::Err,
                        pointer: format!("/properties/{field}"),
                        path: field.to_string(),
                        before: Some(input.get(field).cloned().unwrap_or(Value::Null)),
                        after: None,
                        message: format!("{label} is rejected by the candidate: {}", e.message),
                    });
                }
            }
            replay.push(Replay {
                label,
                accepted: errors.is_empty(),
                accepted_by_baseline,
                errors: errors.iter().map(|e| e.to_string()).collect(),
            });
        }
    }

    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(a.path.cmp(&b.path))
            .then(a.rule.cmp(b.rule))
    });
    let verdict = match findings.iter().map(|f| f.level).max() {
        Some(Level::Err) => Verdict::Block,
        Some(Level::Warn) => Verdict::Warn,
        _ => Verdict::Pass,
    };
    let deciding: Vec<Finding> = findings
        .iter()
        .filter(|f| f.level != Level::Info)
        .cloned()
        .collect();
    let mut reason_codes: Vec<String> = deciding.iter().map(|f| f.rule.to_string()).collect();
    reason_codes.sort();
    reason_codes.dedup();

    let actor_name = evidence.actor.full_name();
    let base_label = evidence
        .baseline
        .as_ref()
        .map(label)
        .unwrap_or_else(|| "no baseline".into());
    let summary = match verdict {
        Verdict::Block => format!(
            "BLOCK: {actor_name} build {} would break callers of {base_label}: {}",
            label(candidate),
            deciding.first().map(|f| f.message.as_str()).unwrap_or("")
        ),
        Verdict::Warn => format!(
            "WARN: {actor_name} build {} changes the contract of {base_label} ({} findings)",
            label(candidate),
            deciding.len()
        ),
        Verdict::Pass => format!(
            "PASS: {actor_name} build {} is compatible with {base_label}",
            label(candidate)
        ),
    };
    let mut signals = Vec::new();
    if verdict != Verdict::Pass {
        let (rule, severity) = if verdict == Verdict::Block {
            ("RG-BLOCK", Severity::Critical)
        } else {
            ("RG-WARN", Severity::Medium)
        };
        let subject = Subject {
            actor_id: evidence.actor.id.clone(),
            actor_name: actor_name.clone(),
            build_number: candidate.build.build_number.clone(),
        };
        signals.push(Signal {
            id: signal_id(TOOL, rule, &subject),
            tool: TOOL.into(),
            rule: rule.into(),
            severity,
            subject,
            title: summary.clone(),
            evidence: json!({
                "metric": "contract",
                "baseline": base_label,
                "current": label(candidate),
                "findings": deciding.iter().map(|f| json!({"rule": f.rule, "level": f.level, "path": f.path, "before": f.before, "after": f.after, "message": f.message})).collect::<Vec<_>>(),
            }),
            impact: Impact::default(),
            recommendation: if verdict == Verdict::Block {
                "Do not tag this build as latest. Restore the removed or narrowed input (or give new required fields a default), then rebuild and gate again.".into()
            } else {
                "Review the listed changes; announce them in the changelog before releasing.".into()
            },
            console_url: evidence.actor.console_url(),
            first_seen_at: now,
            acknowledged: false,
        });
    }
    let rows = findings
        .iter()
        .map(|f| {
            json!({
                "actorName": actor_name, "candidateBuild": candidate.build.build_number, "verdict": verdict,
                "level": f.level, "rule": f.rule, "path": f.path,
                "before": f.before.as_ref().map(Value::to_string), "after": f.after.as_ref().map(Value::to_string),
                "message": f.message,
            })
        })
        .collect();
    let output = GateOutput {
        head: DecisionHead::new(
            TOOL,
            match verdict {
                Verdict::Block => Decision::ActNow,
                Verdict::Warn => Decision::Monitor,
                Verdict::Pass => Decision::Ignore,
            },
            reason_codes,
            summary,
        ),
        verdict,
        actor_id: evidence.actor.id.clone(),
        actor_name,
        candidate: build_ref(candidate),
        baseline: evidence.baseline.as_ref().map(build_ref),
        baseline_reason: evidence.baseline_reason.clone(),
        deciding,
        findings,
        replay,
        signals,
    };
    GateFindings { output, rows }
}

fn label(b: &BuildDefinition) -> String {
    b.build
        .build_number
        .clone()
        .unwrap_or_else(|| b.build.id.clone())
}
