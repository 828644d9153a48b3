//! schema-validator: for each actor, the last few builds' input schemas linted, and the drift
//! between consecutive builds classified by the schema engine (input: callers write; dataset
//! and output: callers read). Signals are raised for the newest change only: history is
//! reported, but the developer can act on what they just shipped.

use crate::model::{ActorInfo, BuildDefinition, JobStatus};
use crate::schema::{
    diff, diff_dataset, diff_input, lint_input_schema, DiffConfig, Direction, Finding, Level,
};
use crate::signal::{decide, rank, signal_id, DecisionHead, Impact, Severity, Signal, Subject};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

pub const TOOL: &str = "schema-validator";

pub const RULES: &[(&str, &str, &str)] = &[
    ("SV-BREAKING-INPUT-CHANGE", "high", "The newest build's input schema rejects input the previous build accepted: API callers and saved tasks break."),
    ("SV-BREAKING-DATASET-CHANGE", "high", "The newest build's dataset or output schema drops or changes fields readers depend on."),
    ("SV-INPUT-SCHEMA-LINT", "low..high", "The newest build's input schema has problems of its own (invalid, secrets with defaults, defaults that fail their own property...): high when the newest build introduced them, medium for errors it inherited, low for warnings."),
];

/// What the runtime collected about one actor: its builds, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorBuilds {
    pub actor: ActorInfo,
    pub builds: Vec<BuildDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    pub from_build: Option<String>,
    pub input: Vec<Finding>,
    pub dataset: Vec<Finding>,
    pub output: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildReport {
    pub build_id: String,
    pub build_number: Option<String>,
    pub status: JobStatus,
    pub has_input_schema: bool,
    pub lint: Vec<Finding>,
    /// Against the next older build with definitions.
    pub drift: Option<Drift>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorSchemaReport {
    pub actor_id: String,
    pub actor_name: String,
    pub builds: Vec<BuildReport>,
    pub signals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaOutput {
    #[serde(flatten)]
    pub head: DecisionHead,
    pub actors: Vec<ActorSchemaReport>,
    pub signals: Vec<Signal>,
    pub acknowledged: Vec<Signal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchemaFindings {
    pub output: SchemaOutput,
    pub rows: Vec<Value>,
}

/// Drift rules whose problem the lint also reports on the newest build: one root cause, one
/// signal (the lint's, raised to high because this build introduced it).
const LINT_TWINS: &[(&str, &str)] = &[
    ("SCH-DEFAULT-INVALID", "LINT-DEFAULT-INVALID"),
    ("SCH-PREFILL-INVALID", "LINT-PREFILL-INVALID"),
];

fn parse(text: Option<&str>) -> Option<Value> {
    serde_json::from_str(text?).ok()
}

fn count(fs: &[Finding], level: Level) -> usize {
    fs.iter().filter(|f| f.level == level).count()
}

fn evidence(fs: &[&Finding]) -> Value {
    json!({
        "metric": "schemaFindings",
        "n": fs.len(),
        "findings": fs.iter().map(|f| json!({"rule": f.rule, "level": f.level, "path": f.path, "before": f.before, "after": f.after, "message": f.message})).collect::<Vec<_>>(),
    })
}

pub fn analyze(
    config: &DiffConfig,
    actors: &[ActorBuilds],
    acknowledged: &[String],
    now: DateTime<Utc>,
) -> SchemaFindings {
    let mut reports = Vec::new();
    let mut signals: Vec<Signal> = Vec::new();
    let mut rows = Vec::new();
    for a in actors {
        let with_definition: Vec<&BuildDefinition> = a
            .builds
            .iter()
            .filter(|b| b.input_schema.is_some() || b.dataset_schema.is_some())
            .collect();
        let mut builds = Vec::new();
        for (i, b) in with_definition.iter().enumerate() {
            let lint = b
                .input_schema
                .as_deref()
                .map(lint_input_schema)
                .unwrap_or_default();
            let drift = with_definition.get(i + 1).map(|older| Drift {
                from_build: older.build.build_number.clone(),
                input: match (
                    parse(older.input_schema.as_deref()),
                    parse(b.input_schema.as_deref()),
                ) {
                    (Some(o), Some(n)) => diff_input(&o, &n, config),
                    _ => Vec::new(),
                },
                dataset: match (&older.dataset_schema, &b.dataset_schema) {
                    (Some(o), Some(n)) => diff_dataset(o, n, config),
                    _ => Vec::new(),
                },
                output: match (&older.output_schema, &b.output_schema) {
                    (Some(o), Some(n)) => diff(o, n, Direction::Output, config),
                    _ => Vec::new(),
                },
            });
            builds.push(BuildReport {
                build_id: b.build.id.clone(),
                build_number: b.build.build_number.clone(),
                status: b.build.status,
                has_input_schema: b.input_schema.is_some(),
                lint,
                drift,
            });
        }
        let actor_name = a.actor.full_name();
        let mut own = Vec::new();
        if let Some(newest) = builds.first() {
            let subject = Subject {
                actor_id: a.actor.id.clone(),
                actor_name: actor_name.clone(),
                build_number: newest.build_number.clone(),
            };
            let mut raise = |rule: &str,
                             severity: Severity,
                             title: String,
                             fs: Vec<&Finding>,
                             recommendation: &str| {
                let id = signal_id(TOOL, rule, &subject);
                own.push(id.clone());
                signals.push(Signal {
                    acknowledged: acknowledged.contains(&id),
                    id,
                    tool: TOOL.into(),
                    rule: rule.into(),
                    severity,
                    subject: subject.clone(),
                    title,
                    evidence: evidence(&fs),
                    impact: Impact::default(),
                    recommendation: recommendation.into(),
                    console_url: a.actor.console_url(),
                    first_seen_at: now,
                });
            };
            let has_lint_twin = |f: &Finding| {
                LINT_TWINS.iter().any(|(drift, lint)| {
                    f.rule == *drift
                        && newest
                            .lint
                            .iter()
                            .any(|l| l.rule == *lint && l.path == f.path)
                })
            };
            let introduced_lint = newest.drift.as_ref().is_some_and(|d| {
                d.input
                    .iter()
                    .any(|f| f.level == Level::Err && has_lint_twin(f))
            });
            if let Some(d) = &newest.drift {
                let input_errs: Vec<&Finding> = d
                    .input
                    .iter()
                    .filter(|f| f.level == Level::Err && !has_lint_twin(f))
                    .collect();
                if let Some(first) = input_errs.first() {
                    raise(
                        "SV-BREAKING-INPUT-CHANGE",
                        Severity::High,
                        format!("{actor_name}: build {} breaks input callers of {}: {}", label(newest), d.from_build.as_deref().unwrap_or("?"), first.message),
                        input_errs.clone(),
                        "Restore the removed or narrowed input, or give new required fields a default; gate releases with release-gate.",
                    );
                }
                let read_errs: Vec<&Finding> = d
                    .dataset
                    .iter()
                    .chain(&d.output)
                    .filter(|f| f.level == Level::Err)
                    .collect();
                if let Some(first) = read_errs.first() {
                    raise(
                        "SV-BREAKING-DATASET-CHANGE",
                        Severity::High,
                        format!("{actor_name}: build {} changes the output readers depend on: {}", label(newest), first.message),
                        read_errs.clone(),
                        "Keep removed fields (deprecate them first) and keep field types; integrations reading the dataset break otherwise.",
                    );
                }
            }
            // The specific lints explain more than the meta-schema's generic message.
            let mut lint_bad: Vec<&Finding> = newest
                .lint
                .iter()
                .filter(|f| f.level != Level::Info)
                .collect();
            lint_bad.sort_by_key(|f| (std::cmp::Reverse(f.level), f.rule == "LINT-META-SCHEMA"));
            if let Some(first) = lint_bad.first() {
                let severity = if introduced_lint {
                    Severity::High
                } else if lint_bad.iter().any(|f| f.level == Level::Err) {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                raise(
                    "SV-INPUT-SCHEMA-LINT",
                    severity,
                    format!(
                        "{actor_name}: build {} input schema: {}",
                        label(newest),
                        first.message
                    ),
                    lint_bad.clone(),
                    "Fix the listed input-schema problems; secrets never get defaults or prefills.",
                );
            }
        }
        let newest = builds.first();
        rows.push(json!({
            "actorName": actor_name,
            "actorId": a.actor.id,
            "newestBuild": newest.and_then(|b| b.build_number.clone()),
            "buildsChecked": builds.len(),
            "lintErrors": newest.map(|b| count(&b.lint, Level::Err)).unwrap_or(0),
            "lintWarnings": newest.map(|b| count(&b.lint, Level::Warn)).unwrap_or(0),
            "breakingChanges": newest.and_then(|b| b.drift.as_ref()).map(|d| count(&d.input, Level::Err) + count(&d.dataset, Level::Err) + count(&d.output, Level::Err)).unwrap_or(0),
            "warnings": newest.and_then(|b| b.drift.as_ref()).map(|d| count(&d.input, Level::Warn) + count(&d.dataset, Level::Warn) + count(&d.output, Level::Warn)).unwrap_or(0),
            "signals": own.len(),
            "consoleUrl": a.actor.console_url(),
        }));
        reports.push(ActorSchemaReport {
            actor_id: a.actor.id.clone(),
            actor_name,
            builds,
            signals: own,
        });
    }
    rank(&mut signals);
    let (open, acked): (Vec<Signal>, Vec<Signal>) =
        signals.into_iter().partition(|s| !s.acknowledged);
    let (decision, reason_codes) = decide(&open);
    let breaking = open.iter().filter(|s| s.severity >= Severity::High).count();
    let summary = format!(
        "{} actors checked: {} with breaking schema changes, {} open signals.",
        reports.len(),
        breaking,
        open.len()
    );
    SchemaFindings {
        output: SchemaOutput {
            head: DecisionHead::new(TOOL, decision, reason_codes, summary),
            actors: reports,
            signals: open,
            acknowledged: acked,
        },
        rows,
    }
}

fn label(b: &BuildReport) -> String {
    b.build_number.clone().unwrap_or_else(|| b.build_id.clone())
}
