//! Probe runs of quality-monitor: the pure evaluation of one test run of an Actor.
//!
//! The runtime starts the run (`run-sync-get-dataset-items`, so the items are ours to read)
//! and hands over what came back as a [`ProbeRun`]; [`evaluate_probe`] checks it against the
//! user's [`ProbeSpec`] and the Actor's own previous probes, and [`probe_signals`] turns the
//! failed checks into signals. The checks, in order:
//!
//! - `actor`: the requested Actor was resolved to one of the fleet;
//! - `status`: the run succeeded (status `SUCCEEDED`, or no run info at all, and no error);
//! - `minItems`: at least `minItems` items;
//! - `itemTrend`: not below half the median item count of the Actor's last successful probes
//!   (at most [`TREND_WINDOW`], at least [`TREND_MIN_PREVIOUS`] of them, else not checked);
//! - `fillRate`: each required field (dotted path) filled in at least `minFillRate` of items;
//! - `datasetSchema`: every item valid against `fields` of the build's dataset schema.
//!
//! When the run did not succeed only `actor` and `status` are reported: a failed run's dataset
//! says nothing about the quality of the Actor's output, and one cause should raise one signal.
//! When the Actor is unknown and nothing ran, only `actor` is reported. A check that could not
//! be evaluated (no history, no required fields, no items, no usable dataset schema) passes with
//! `evidence.checked = false` and a detail saying why.
//!
//! Evidence never holds whole items (they may be large): schema errors keep the item index, the
//! JSON pointers and a masked, truncated message, at most [`MAX_SCHEMA_ERRORS`] of them.

use crate::input::to_json_schema;
use crate::model::{ActorInfo, JobStatus};
use crate::signal::{signal_id, Impact, Severity, Signal, Subject};
use crate::stats::median;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Rule catalog of the probe checks: stable IDs, severity, meaning. Generated into the docs.
pub const PROBE_RULES: &[(&str, &str, &str)] = &[
    ("QM-PROBE-FAILED", "high", "The probe run did not succeed: its status is not SUCCEEDED (FAILED, TIMED-OUT, ABORTED...), or the synchronous call reported an error (a timeout of the call, a run that could not start). The item checks are skipped: a failed run's dataset says nothing about the output's quality."),
    ("QM-PROBE-EMPTY", "high", "The probe run succeeded but produced fewer items than `minItems` (default 1: Apify's quality checks require a non-empty dataset for the test input)."),
    ("QM-PROBE-ITEMS-DROP", "medium", "The probe produced fewer than half the median item count of the Actor's last successful probes (up to 8 of them, at least 3 needed) with the same test input. Not raised when QM-PROBE-EMPTY already is."),
    ("QM-PROBE-FILL-RATE", "medium", "A required field (dotted paths allowed) is filled in fewer than `minFillRate` of the items (default: all of them). Missing, null, blank strings, [] and {} count as empty."),
    ("QM-PROBE-SCHEMA", "medium", "Items of the probe run are invalid against `fields` of the Actor's dataset schema (draft 7, Apify's `nullable` folded in); evidence: the count and the first 3 errors with item index and JSON pointer. Not checked when the build has no dataset schema or its `fields` is absent or not a valid schema."),
    ("QM-PROBE-UNKNOWN-ACTOR", "low", "The Actor named by a probe was not found in the fleet: the probe cannot watch it. Check the name (`username/name` or the Actor ID)."),
];

/// Probe points kept per Actor in the SNAPSHOT: half a year of weekly probes.
pub const PROBE_HISTORY: usize = 26;
/// The item-count trend needs at least this many previous successful probes...
pub const TREND_MIN_PREVIOUS: usize = 3;
/// ...and looks at the most recent this many of them, so a lasting change is learnt in weeks.
pub const TREND_WINDOW: usize = 8;
/// An item count below this share of the baseline median is a drop.
pub const DROP_FACTOR: f64 = 0.5;
/// Schema errors kept as examples.
pub const MAX_SCHEMA_ERRORS: usize = 3;
/// Longest text (error messages, status messages) kept in evidence, in characters.
const MAX_TEXT_CHARS: usize = 300;
/// Tolerance of the fill-rate comparison: 9/10 against 0.9 passes.
const RATE_EPSILON: f64 = 1e-9;
const ACTORS_URL: &str = "https://console.apify.com/actors";

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

fn one() -> u64 {
    1
}

fn one_f() -> f64 {
    1.0
}

/// One probe from the input: which actor, with what input, and what its output must look like.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeSpec {
    /// Actor name, `username/name` or ID.
    pub actor: String,
    /// Test input for the run (any JSON object).
    #[serde(default = "empty_object")]
    pub input: Value,
    /// The run must produce at least this many items (default 1: Apify's QA requires a
    /// non-empty dataset).
    #[serde(default = "one")]
    pub min_items: u64,
    /// Fields every item must have, non-empty (null, "", [] and {} count as empty). Dotted
    /// paths allowed ("price.value"); a numeric segment indexes an array ("images.0.url").
    #[serde(default)]
    pub required_fields: Vec<String>,
    /// Minimum share of items where each required field is filled (default 1.0).
    #[serde(default = "one_f")]
    pub min_fill_rate: f64,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub memory_mbytes: Option<u32>,
}

impl ProbeSpec {
    /// A probe of `actor` with every default: empty input, at least one item.
    pub fn new(actor: impl Into<String>) -> ProbeSpec {
        ProbeSpec {
            actor: actor.into(),
            input: empty_object(),
            min_items: one(),
            required_fields: Vec::new(),
            min_fill_rate: one_f(),
            timeout_secs: None,
            memory_mbytes: None,
        }
    }

    /// `minFillRate` as used: clamped to [0, 1], 1 when not a number.
    pub fn effective_min_fill_rate(&self) -> f64 {
        if self.min_fill_rate.is_nan() {
            1.0
        } else {
            self.min_fill_rate.clamp(0.0, 1.0)
        }
    }
}

/// What the probe run produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeRun {
    pub run_id: Option<String>,
    /// `None`: no run info. With no `error` either, the endpoint answered with items, which it
    /// does only for a run that finished: the probe counts as succeeded.
    pub status: Option<JobStatus>,
    pub items: Vec<Value>,
    pub duration_secs: Option<f64>,
    /// E.g. the run-sync error message, a timeout of the call.
    pub error: Option<String>,
    /// The actor's build's `actorDefinition.storages.dataset`.
    pub dataset_schema: Option<Value>,
    pub console_url: Option<String>,
}

/// One past probe, as kept in the SNAPSHOT.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbePoint {
    pub at: DateTime<Utc>,
    pub succeeded: bool,
    pub items: u64,
    /// Fill rate per required field; empty when the run failed or produced no items.
    pub fill_rates: BTreeMap<String, f64>,
    /// Items invalid against the dataset schema; 0 when not checked.
    pub invalid_items: u64,
}

/// The actor a probe is about: resolved (id and `username/name`), or just the requested string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorRef {
    /// `None` when the requested actor was not found in the fleet.
    pub actor_id: Option<String>,
    pub actor_name: String,
}

/// One check of a probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeCheck {
    /// "actor" | "status" | "minItems" | "itemTrend" | "fillRate" | "datasetSchema".
    pub check: &'static str,
    pub passed: bool,
    pub detail: String,
    /// Always has `checked` (false: could not be evaluated, and passed for that reason).
    pub evidence: Value,
}

/// The result of one probe: the checks, the point to store, and the signals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeResult {
    pub actor: ActorRef,
    pub passed: bool,
    pub checks: Vec<ProbeCheck>,
    pub point: ProbePoint,
    /// Previous points and this one, oldest first, at most [`PROBE_HISTORY`].
    pub history: Vec<ProbePoint>,
    pub run_id: Option<String>,
    pub duration_secs: Option<f64>,
    /// The run in Console, else the Actor, else `None`.
    pub console_url: Option<String>,
}

impl ProbeResult {
    pub fn check(&self, name: &str) -> Option<&ProbeCheck> {
        self.checks.iter().find(|c| c.check == name)
    }
}

/// Evaluates one probe run. `actor` is the fleet's actor the spec resolved to (`None`: not
/// found); `previous` is the actor's stored probe history (any order); `at` is when it ran.
pub fn evaluate_probe(
    spec: &ProbeSpec,
    actor: Option<&ActorInfo>,
    run: &ProbeRun,
    previous: &[ProbePoint],
    at: DateTime<Utc>,
) -> ProbeResult {
    let actor_ref = match actor {
        Some(a) => ActorRef {
            actor_id: Some(a.id.clone()),
            actor_name: a.full_name(),
        },
        None => ActorRef {
            actor_id: None,
            actor_name: spec.actor.clone(),
        },
    };
    let mut previous: Vec<ProbePoint> = previous.to_vec();
    previous.sort_by_key(|p| p.at);

    let mut checks = vec![actor_check(spec, actor)];
    let nothing_ran = run.status.is_none() && run.run_id.is_none() && run.items.is_empty();
    let mut succeeded = false;
    let mut fill_rates = BTreeMap::new();
    let mut invalid_items = 0;
    if !(actor.is_none() && nothing_ran) {
        let status = status_check(run);
        succeeded = status.passed;
        checks.push(status);
        if succeeded {
            let n = run.items.len() as u64;
            let min_items = min_items_check(spec, n);
            let trend = item_trend_check(n, &previous);
            let (fill, rates) = fill_rate_check(spec, &run.items);
            let (schema, invalid) = schema_check(run.dataset_schema.as_ref(), &run.items);
            checks.extend([min_items, trend, fill, schema]);
            fill_rates = rates;
            invalid_items = invalid;
        }
    }

    let point = ProbePoint {
        at,
        succeeded,
        items: run.items.len() as u64,
        fill_rates,
        invalid_items,
    };
    let mut history = previous;
    history.push(point.clone());
    if history.len() > PROBE_HISTORY {
        history.drain(..history.len() - PROBE_HISTORY);
    }
    let console_url = run
        .console_url
        .clone()
        .or_else(|| actor.map(ActorInfo::console_url));
    ProbeResult {
        actor: actor_ref,
        passed: checks.iter().all(|c| c.passed),
        checks,
        point,
        history,
        run_id: run.run_id.clone(),
        duration_secs: run.duration_secs.filter(|d| d.is_finite()),
        console_url,
    }
}

fn actor_check(spec: &ProbeSpec, actor: Option<&ActorInfo>) -> ProbeCheck {
    match actor {
        Some(a) => ProbeCheck {
            check: "actor",
            passed: true,
            detail: format!("`{}` is {} ({})", spec.actor, a.full_name(), a.id),
            evidence: json!({"checked": true, "requested": truncate(&spec.actor), "actorId": a.id}),
        },
        None => ProbeCheck {
            check: "actor",
            passed: false,
            detail: format!("`{}` was not found in the fleet", truncate(&spec.actor)),
            evidence: json!({"checked": true, "requested": truncate(&spec.actor)}),
        },
    }
}

fn status_check(run: &ProbeRun) -> ProbeCheck {
    let error = run.error.as_deref().map(truncate);
    let passed = error.is_none() && run.status.is_none_or(|s| s == JobStatus::Succeeded);
    let status = run.status.map(JobStatus::as_str);
    let detail = match (passed, status, &error) {
        (true, Some(s), _) => format!("the run {s}"),
        (true, None, _) => "the run returned its items (no run info)".to_string(),
        (false, Some(s), Some(e)) => format!("the run ended {s}: {e}"),
        (false, Some(s), None) => format!("the run ended {s}"),
        (false, None, Some(e)) => format!("the run did not complete: {e}"),
        (false, None, None) => unreachable!("a run without status or error passes"),
    };
    ProbeCheck {
        check: "status",
        passed,
        detail,
        evidence: json!({
            "checked": true,
            "status": status,
            "runId": run.run_id,
            "error": error,
            "durationSecs": run.duration_secs.filter(|d| d.is_finite()),
        }),
    }
}

fn min_items_check(spec: &ProbeSpec, n: u64) -> ProbeCheck {
    let passed = n >= spec.min_items;
    ProbeCheck {
        check: "minItems",
        passed,
        detail: if passed {
            format!("{n} items (at least {} required)", spec.min_items)
        } else {
            format!("{n} items, fewer than the {} required", spec.min_items)
        },
        evidence: json!({"checked": true, "items": n, "minItems": spec.min_items}),
    }
}

/// Below [`DROP_FACTOR`] × the median item count of the last [`TREND_WINDOW`] successful
/// previous probes, given at least [`TREND_MIN_PREVIOUS`] of them. `previous` is sorted by time.
fn item_trend_check(n: u64, previous: &[ProbePoint]) -> ProbeCheck {
    let successful: Vec<&ProbePoint> = previous.iter().filter(|p| p.succeeded).collect();
    let baseline: Vec<u64> = successful
        .iter()
        .rev()
        .take(TREND_WINDOW)
        .rev()
        .map(|p| p.items)
        .collect();
    if baseline.len() < TREND_MIN_PREVIOUS {
        return ProbeCheck {
            check: "itemTrend",
            passed: true,
            detail: format!(
                "not checked: {} previous successful probe(s), {TREND_MIN_PREVIOUS} needed",
                baseline.len()
            ),
            evidence: json!({"checked": false, "items": n, "previousSuccessful": baseline.len()}),
        };
    }
    let values: Vec<f64> = baseline.iter().map(|&x| x as f64).collect();
    let med = median(&values).unwrap_or(0.0);
    let threshold = DROP_FACTOR * med;
    let passed = (n as f64) >= threshold;
    ProbeCheck {
        check: "itemTrend",
        passed,
        detail: if passed {
            format!(
                "{n} items; the last {} successful probes had a median of {}",
                baseline.len(),
                fmt_num(med)
            )
        } else {
            format!(
                "{n} items, below half the median of {} of the last {} successful probes",
                fmt_num(med),
                baseline.len()
            )
        },
        evidence: json!({
            "checked": true,
            "items": n,
            "baselineMedian": med,
            "threshold": threshold,
            "baseline": baseline,
            "previousSuccessful": successful.len(),
        }),
    }
}

/// Fill rate per required field, and the check. No rates without items (0/0 is no rate).
fn fill_rate_check(spec: &ProbeSpec, items: &[Value]) -> (ProbeCheck, BTreeMap<String, f64>) {
    let min = spec.effective_min_fill_rate();
    let mut fields: Vec<&str> = spec
        .required_fields
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .collect();
    fields.sort_unstable();
    fields.dedup();
    let mut rates = BTreeMap::new();
    if fields.is_empty() || items.is_empty() {
        let why = if fields.is_empty() {
            "no requiredFields"
        } else {
            "no items"
        };
        let check = ProbeCheck {
            check: "fillRate",
            passed: true,
            detail: format!("not checked: {why}"),
            evidence: json!({"checked": false, "items": items.len(), "minFillRate": min, "fields": fields}),
        };
        return (check, rates);
    }
    let mut rows = Vec::new();
    let mut failing = Vec::new();
    for field in &fields {
        let mut filled = 0u64;
        let mut first_empty: Option<usize> = None;
        for (i, item) in items.iter().enumerate() {
            if resolve(item, field).is_some_and(is_filled) {
                filled += 1;
            } else if first_empty.is_none() {
                first_empty = Some(i);
            }
        }
        let rate = filled as f64 / items.len() as f64;
        let ok = rate + RATE_EPSILON >= min;
        if !ok {
            failing.push(format!("`{field}` {}", pct(rate)));
        }
        rates.insert(field.to_string(), round4(rate));
        rows.push(json!({
            "field": field,
            "filled": filled,
            "rate": round4(rate),
            "passed": ok,
            "firstEmptyItem": first_empty,
        }));
    }
    let passed = failing.is_empty();
    let detail = if passed {
        format!(
            "{} required field(s) filled in at least {} of {} items",
            fields.len(),
            pct(min),
            items.len()
        )
    } else {
        format!(
            "filled in fewer than {} of {} items: {}",
            pct(min),
            items.len(),
            failing.join(", ")
        )
    };
    let check = ProbeCheck {
        check: "fillRate",
        passed,
        detail,
        evidence: json!({"checked": true, "items": items.len(), "minFillRate": min, "fields": rows}),
    };
    (check, rates)
}

/// The value at a dotted path: a literal top-level key first ("og.title"), then segment by
/// segment, a numeric segment indexing an array.
fn resolve<'a>(item: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = item.as_object().and_then(|m| m.get(path)) {
        return Some(v);
    }
    let mut cur = item;
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Null, a blank string, [] and {} are empty; false and 0 are values.
fn is_filled(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Each item against `fields` of the dataset schema; the check and the invalid count.
fn schema_check(dataset_schema: Option<&Value>, items: &[Value]) -> (ProbeCheck, u64) {
    let not_checked = |why: String, reason: &str| {
        let check = ProbeCheck {
            check: "datasetSchema",
            passed: true,
            detail: format!("not checked: {why}"),
            evidence: json!({"checked": false, "reason": reason, "items": items.len()}),
        };
        (check, 0)
    };
    let Some(dataset_schema) = dataset_schema.filter(|s| !s.is_null()) else {
        return not_checked("the build has no dataset schema".into(), "noDatasetSchema");
    };
    let Some(fields) = dataset_schema.get("fields") else {
        return not_checked("the dataset schema has no `fields`".into(), "noFields");
    };
    let validator = match compile(fields) {
        Ok(v) => v,
        Err(e) => {
            let (mut check, n) = not_checked(
                format!("`fields` is not a valid JSON Schema: {}", truncate(&e)),
                "invalidFields",
            );
            check.evidence["error"] = Value::String(truncate(&e));
            return (check, n);
        }
    };
    let mut invalid = 0u64;
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if validator.is_valid(item) {
            continue;
        }
        invalid += 1;
        for e in validator.iter_errors(item) {
            if errors.len() >= MAX_SCHEMA_ERRORS {
                break;
            }
            errors.push(json!({
                "item": i,
                "pointer": e.instance_path().to_string(),
                "schemaPointer": truncate(&e.schema_path().to_string()),
                "message": truncate(&e.masked().to_string()),
            }));
        }
    }
    let passed = invalid == 0;
    let detail = if passed {
        format!("{} item(s) valid against the dataset schema", items.len())
    } else {
        format!(
            "{invalid} of {} items invalid against the dataset schema",
            items.len()
        )
    };
    let check = ProbeCheck {
        check: "datasetSchema",
        passed,
        detail,
        evidence: json!({
            "checked": true,
            "items": items.len(),
            "invalidItems": invalid,
            "errors": errors,
        }),
    };
    (check, invalid)
}

/// Compiles `fields` as the platform reads it: draft 7, Apify's `nullable` folded in.
fn compile(fields: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&to_json_schema(fields))
        .map_err(|e| e.to_string())
}

/// Signals for the failed checks of `result`: one per actor and check, rule ids from
/// [`PROBE_RULES`], `first_seen_at = at`. A drop is not raised on top of QM-PROBE-EMPTY.
pub fn probe_signals(tool: &str, result: &ProbeResult, at: DateTime<Utc>) -> Vec<Signal> {
    let name = &result.actor.actor_name;
    let subject = Subject {
        actor_id: result
            .actor
            .actor_id
            .clone()
            .unwrap_or_else(|| result.actor.actor_name.clone()),
        actor_name: name.clone(),
        build_number: None,
    };
    let console_url = result
        .console_url
        .clone()
        .unwrap_or_else(|| ACTORS_URL.to_string());
    let empty = result.check("minItems").is_some_and(|c| !c.passed);
    let mut out = Vec::new();
    for c in result.checks.iter().filter(|c| !c.passed) {
        let (rule, severity, title, recommendation) = match c.check {
            "actor" => (
                "QM-PROBE-UNKNOWN-ACTOR",
                Severity::Low,
                format!("Probe: Actor `{name}` not found in the fleet"),
                "Check the probe's `actor`: `username/name` or the Actor ID of one of your Actors."
                    .to_string(),
            ),
            "status" => (
                "QM-PROBE-FAILED",
                Severity::High,
                format!("Probe run of {name} did not succeed: {}", c.detail),
                "Open the run's log: the Actor fails on a known-good input, so its callers' runs \
                 probably fail too. Fix it, or update the probe's test input if it went stale."
                    .to_string(),
            ),
            "minItems" => (
                "QM-PROBE-EMPTY",
                Severity::High,
                format!("Probe run of {name} returned too few items: {}", c.detail),
                "The run succeeded but scraped (almost) nothing: check the log for blocked \
                 requests, changed page structure or selectors, and whether the test input \
                 still points at live data."
                    .to_string(),
            ),
            "itemTrend" if empty => continue,
            "itemTrend" => (
                "QM-PROBE-ITEMS-DROP",
                Severity::Medium,
                format!("Probe run of {name}: item count dropped, {}", c.detail),
                "Compare this run with a previous probe: the same input now yields far fewer \
                 items (pagination, blocking, a changed site or a changed default)."
                    .to_string(),
            ),
            "fillRate" => (
                "QM-PROBE-FILL-RATE",
                Severity::Medium,
                format!("Probe run of {name}: required fields {}", c.detail),
                "Look at the first item with the empty field (evidence `firstEmptyItem`): a \
                 selector or an API field probably changed."
                    .to_string(),
            ),
            "datasetSchema" => (
                "QM-PROBE-SCHEMA",
                Severity::Medium,
                format!("Probe run of {name}: {}", c.detail),
                "The Actor's output no longer matches its own dataset schema: fix the output, \
                 or update the schema (a breaking change for callers if it widens types)."
                    .to_string(),
            ),
            _ => continue,
        };
        out.push(Signal {
            id: signal_id(tool, rule, &subject),
            tool: tool.to_string(),
            rule: rule.to_string(),
            severity,
            subject: subject.clone(),
            title,
            evidence: c.evidence.clone(),
            impact: Impact::default(),
            recommendation,
            console_url: console_url.clone(),
            first_seen_at: at,
            acknowledged: false,
        });
    }
    out
}

/// At most [`MAX_TEXT_CHARS`] characters, "…" marking a cut.
fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn pct(x: f64) -> String {
    format!("{} %", fmt_num((x * 1000.0).round() / 10.0))
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TOOL: &str = "quality-monitor";

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, day, 6, 0, 0).unwrap()
    }

    fn actor() -> ActorInfo {
        ActorInfo {
            id: "A1".into(),
            name: "shop-scraper".into(),
            username: Some("jane".into()),
            title: None,
            created_at: None,
            default_memory_mbytes: None,
            default_timeout_secs: None,
            latest_build_id: None,
            users_30_days: None,
        }
    }

    fn item(title: &str, price: Value) -> Value {
        json!({"title": title, "price": {"value": price, "currency": "EUR"}, "url": "https://x.test/1"})
    }

    fn dataset_schema() -> Value {
        json!({"actorSpecification": 1, "views": {}, "fields": {
            "type": "object",
            "required": ["title", "url"],
            "properties": {
                "title": {"type": "string"},
                "url": {"type": "string"},
                "price": {"type": "object", "properties": {"value": {"type": "number", "nullable": true}}}
            }
        }})
    }

    fn healthy_run() -> ProbeRun {
        ProbeRun {
            run_id: Some("R1".into()),
            status: Some(JobStatus::Succeeded),
            items: vec![
                item("a", json!(1.5)),
                item("b", json!(2)),
                item("c", json!(0)),
            ],
            duration_secs: Some(42.0),
            error: None,
            dataset_schema: Some(dataset_schema()),
            console_url: Some("https://console.apify.com/view/runs/R1".into()),
        }
    }

    fn spec() -> ProbeSpec {
        ProbeSpec {
            required_fields: vec!["title".into(), "price.value".into()],
            ..ProbeSpec::new("jane/shop-scraper")
        }
    }

    fn point(day: u32, succeeded: bool, items: u64) -> ProbePoint {
        ProbePoint {
            at: at(day),
            succeeded,
            items,
            fill_rates: BTreeMap::new(),
            invalid_items: 0,
        }
    }

    fn rules(r: &ProbeResult) -> Vec<String> {
        probe_signals(TOOL, r, at(20))
            .into_iter()
            .map(|s| s.rule)
            .collect()
    }

    fn failed_checks(r: &ProbeResult) -> Vec<&'static str> {
        r.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.check)
            .collect()
    }

    #[test]
    fn spec_defaults_come_from_serde() {
        let s: ProbeSpec = serde_json::from_value(json!({"actor": "jane/x"})).unwrap();
        assert_eq!(s, ProbeSpec::new("jane/x"));
        assert_eq!(s.min_items, 1);
        assert_eq!(s.min_fill_rate, 1.0);
        assert_eq!(s.input, json!({}));
        let s: ProbeSpec = serde_json::from_value(
            json!({"actor": "x", "minItems": 5, "requiredFields": ["a.b"], "minFillRate": 0.8}),
        )
        .unwrap();
        assert_eq!((s.min_items, s.min_fill_rate), (5, 0.8));
        assert_eq!(s.required_fields, ["a.b"]);
    }

    #[test]
    fn a_healthy_probe_passes_every_check() {
        let previous = [point(1, true, 3), point(8, true, 3), point(15, true, 4)];
        let r = evaluate_probe(&spec(), Some(&actor()), &healthy_run(), &previous, at(22));
        assert!(r.passed, "{:#?}", r.checks);
        let names: Vec<&str> = r.checks.iter().map(|c| c.check).collect();
        assert_eq!(
            names,
            [
                "actor",
                "status",
                "minItems",
                "itemTrend",
                "fillRate",
                "datasetSchema"
            ]
        );
        for c in &r.checks {
            assert_eq!(c.evidence["checked"], json!(true), "{c:?}");
        }
        assert_eq!(
            r.actor,
            ActorRef {
                actor_id: Some("A1".into()),
                actor_name: "jane/shop-scraper".into()
            }
        );
        assert!(r.point.succeeded);
        assert_eq!(r.point.items, 3);
        assert_eq!(r.point.invalid_items, 0);
        assert_eq!(r.point.fill_rates["price.value"], 1.0);
        assert_eq!(r.history.len(), 4);
        assert_eq!(r.history.last(), Some(&r.point));
        assert_eq!(r.run_id.as_deref(), Some("R1"));
        assert!(probe_signals(TOOL, &r, at(22)).is_empty());
    }

    #[test]
    fn a_failed_run_raises_one_high_signal_and_skips_the_item_checks() {
        let run = ProbeRun {
            status: Some(JobStatus::Failed),
            items: vec![],
            error: Some("Actor run failed: page.goto: Timeout".into()),
            ..healthy_run()
        };
        let r = evaluate_probe(&spec(), Some(&actor()), &run, &[], at(22));
        assert!(!r.passed);
        assert_eq!(failed_checks(&r), ["status"]);
        assert_eq!(r.checks.len(), 2);
        assert!(!r.point.succeeded);
        assert!(r.check("status").unwrap().detail.contains("FAILED"));
        let signals = probe_signals(TOOL, &r, at(22));
        assert_eq!(signals.len(), 1);
        assert_eq!(signals[0].rule, "QM-PROBE-FAILED");
        assert_eq!(signals[0].severity, Severity::High);
        assert_eq!(signals[0].subject.actor_id, "A1");
        assert_eq!(signals[0].first_seen_at, at(22));
        assert_eq!(
            signals[0].console_url,
            "https://console.apify.com/view/runs/R1"
        );
        assert_eq!(signals[0].evidence["status"], json!("FAILED"));
    }

    #[test]
    fn an_error_without_run_info_fails_and_no_run_info_without_error_succeeds() {
        let timeout = ProbeRun {
            status: None,
            run_id: None,
            items: vec![],
            error: Some("run-sync timed out after 300 s".into()),
            ..healthy_run()
        };
        let r = evaluate_probe(&spec(), Some(&actor()), &timeout, &[], at(22));
        assert_eq!(failed_checks(&r), ["status"]);
        let no_info = ProbeRun {
            status: None,
            run_id: None,
            ..healthy_run()
        };
        let r = evaluate_probe(&spec(), Some(&actor()), &no_info, &[], at(22));
        assert!(r.passed, "{:#?}", r.checks);
    }

    #[test]
    fn too_few_items_is_empty_and_does_not_also_raise_a_drop() {
        let s = ProbeSpec {
            min_items: 5,
            ..spec()
        };
        let previous = [point(1, true, 10), point(8, true, 10), point(15, true, 10)];
        let r = evaluate_probe(&s, Some(&actor()), &healthy_run(), &previous, at(22));
        assert_eq!(failed_checks(&r), ["minItems", "itemTrend"]);
        assert_eq!(r.check("minItems").unwrap().evidence["items"], json!(3));
        assert_eq!(rules(&r), ["QM-PROBE-EMPTY"]);
        // With minItems met, the same drop is raised on its own.
        let s = ProbeSpec {
            min_items: 3,
            ..spec()
        };
        let r = evaluate_probe(&s, Some(&actor()), &healthy_run(), &previous, at(22));
        assert_eq!(rules(&r), ["QM-PROBE-ITEMS-DROP"]);
    }

    #[test]
    fn a_drop_is_judged_against_the_median_of_previous_successful_probes() {
        // Medians 10 → threshold 5: 3 items is a drop; failed probes do not count.
        let previous = [
            point(1, true, 9),
            point(2, false, 0),
            point(3, true, 10),
            point(4, true, 200),
            point(5, true, 10),
        ];
        let r = evaluate_probe(&spec(), Some(&actor()), &healthy_run(), &previous, at(22));
        let trend = r.check("itemTrend").unwrap();
        assert!(!trend.passed);
        assert_eq!(trend.evidence["baselineMedian"], json!(10.0));
        assert_eq!(trend.evidence["baseline"], json!([9, 10, 200, 10]));
        let signals = probe_signals(TOOL, &r, at(22));
        assert_eq!(signals.len(), 1);
        assert_eq!(signals[0].rule, "QM-PROBE-ITEMS-DROP");
        assert_eq!(signals[0].severity, Severity::Medium);
        // Exactly half the median is not a drop.
        let previous = [point(1, true, 6), point(2, true, 6), point(3, true, 6)];
        let r = evaluate_probe(&spec(), Some(&actor()), &healthy_run(), &previous, at(22));
        assert!(r.check("itemTrend").unwrap().passed);
    }

    #[test]
    fn the_drop_check_needs_three_previous_successful_probes() {
        let previous = [
            point(1, true, 100),
            point(2, false, 0),
            point(3, true, 100),
            point(4, false, 0),
        ];
        let r = evaluate_probe(&spec(), Some(&actor()), &healthy_run(), &previous, at(22));
        let trend = r.check("itemTrend").unwrap();
        assert!(trend.passed);
        assert_eq!(trend.evidence["checked"], json!(false));
        assert_eq!(trend.evidence["previousSuccessful"], json!(2));
        assert!(r.passed);
    }

    #[test]
    fn the_drop_baseline_is_the_most_recent_window_of_successful_probes() {
        // 9 old probes had 1000 items, the last 8 had 4: 3 items is no drop against 4 (the
        // median of all 17 would be 1000).
        let mut previous: Vec<ProbePoint> = (1..=9).map(|d| point(d, true, 1000)).collect();
        previous.extend((10..=17).map(|d| point(d, true, 4)));
        previous.reverse(); // any order in, sorted inside
        let r = evaluate_probe(&spec(), Some(&actor()), &healthy_run(), &previous, at(22));
        let trend = r.check("itemTrend").unwrap();
        assert!(trend.passed, "{trend:?}");
        assert_eq!(trend.evidence["baselineMedian"], json!(4.0));
    }

    #[test]
    fn fill_rates_follow_nested_paths_and_count_empty_values_as_missing() {
        let run = ProbeRun {
            items: vec![
                json!({"title": "a", "price": {"value": 0}, "tags": ["x"], "img": [{"url": "u"}]}),
                json!({"title": "  ", "price": {"value": null}, "tags": [], "img": [{}]}),
                json!({"title": "c", "price": {}, "tags": {}, "img": []}),
                json!({"title": "d", "price": {"value": false}, "tags": ["y"], "img": [{"url": ""}]}),
            ],
            dataset_schema: None,
            ..healthy_run()
        };
        let s = ProbeSpec {
            required_fields: vec![
                "title".into(),
                "price.value".into(),
                "tags".into(),
                "img.0.url".into(),
                "missing.deep".into(),
            ],
            min_fill_rate: 0.75,
            ..spec()
        };
        let r = evaluate_probe(&s, Some(&actor()), &run, &[], at(22));
        let rates = &r.point.fill_rates;
        assert_eq!(rates["title"], 0.75);
        assert_eq!(rates["price.value"], 0.5);
        assert_eq!(rates["tags"], 0.5);
        assert_eq!(rates["img.0.url"], 0.25);
        assert_eq!(rates["missing.deep"], 0.0);
        let fill = r.check("fillRate").unwrap();
        assert!(!fill.passed);
        assert!(!fill.detail.contains("`title`"), "{}", fill.detail);
        assert!(
            fill.detail.contains("`price.value` 50 %"),
            "{}",
            fill.detail
        );
        let rows = fill.evidence["fields"].as_array().unwrap();
        let price = rows.iter().find(|r| r["field"] == "price.value").unwrap();
        assert_eq!(price["firstEmptyItem"], json!(1));
        assert_eq!(price["filled"], json!(2));
        assert_eq!(rules(&r), ["QM-PROBE-FILL-RATE"]);
    }

    #[test]
    fn a_literal_dotted_key_counts_as_the_field() {
        let run = ProbeRun {
            items: vec![json!({"og.title": "x"})],
            dataset_schema: None,
            ..healthy_run()
        };
        let s = ProbeSpec {
            required_fields: vec!["og.title".into()],
            ..spec()
        };
        let r = evaluate_probe(&s, Some(&actor()), &run, &[], at(22));
        assert!(r.check("fillRate").unwrap().passed);
    }

    #[test]
    fn schema_invalid_items_are_counted_with_pointers_and_no_item_values() {
        let secret = "x".repeat(5000);
        let run = ProbeRun {
            items: vec![
                item("a", json!(1)),
                json!({"title": 7, "url": "https://x.test", "price": {"value": secret}}),
                json!({"title": "c"}),
                item("d", json!(null)),
            ],
            ..healthy_run()
        };
        let s = ProbeSpec::new("jane/shop-scraper");
        let r = evaluate_probe(&s, Some(&actor()), &run, &[], at(22));
        let schema = r.check("datasetSchema").unwrap();
        assert!(!schema.passed);
        assert_eq!(r.point.invalid_items, 2);
        assert_eq!(schema.evidence["invalidItems"], json!(2));
        let errors = schema.evidence["errors"].as_array().unwrap();
        assert_eq!(errors.len(), MAX_SCHEMA_ERRORS);
        let pointers: Vec<(u64, &str)> = errors
            .iter()
            .map(|e| (e["item"].as_u64().unwrap(), e["pointer"].as_str().unwrap()))
            .collect();
        assert!(pointers.contains(&(1, "/title")), "{pointers:?}");
        assert!(pointers.contains(&(1, "/price/value")), "{pointers:?}");
        let text = schema.evidence.to_string();
        assert!(!text.contains("xxxxxxxxxx"), "an item value leaked");
        assert!(text.len() < 2000, "{}", text.len());
        // nullable: item 3 (price null) is valid.
        assert!(errors.iter().all(|e| e["item"] != json!(3)));
        assert_eq!(rules(&r), ["QM-PROBE-SCHEMA"]);
    }

    #[test]
    fn a_dataset_schema_without_usable_fields_is_reported_not_failed() {
        for (schema, reason) in [
            (json!({"actorSpecification": 1, "views": {}}), "noFields"),
            (
                json!({"actorSpecification": 1, "fields": {"type": "nonsense"}}),
                "invalidFields",
            ),
            (Value::Null, "noDatasetSchema"),
        ] {
            let run = ProbeRun {
                dataset_schema: Some(schema),
                items: vec![json!({"title": 1})],
                ..healthy_run()
            };
            let s = ProbeSpec::new("jane/shop-scraper");
            let r = evaluate_probe(&s, Some(&actor()), &run, &[], at(22));
            let c = r.check("datasetSchema").unwrap();
            assert!(c.passed && r.passed, "{c:?}");
            assert_eq!(c.evidence["checked"], json!(false));
            assert_eq!(c.evidence["reason"], json!(reason));
            assert!(c.detail.starts_with("not checked"), "{}", c.detail);
        }
    }

    #[test]
    fn an_unknown_actor_that_did_not_run_raises_only_the_unknown_signal() {
        let run = ProbeRun::default();
        let r = evaluate_probe(&spec(), None, &run, &[], at(22));
        assert!(!r.passed);
        assert_eq!(failed_checks(&r), ["actor"]);
        assert_eq!(r.checks.len(), 1);
        assert_eq!(r.actor.actor_id, None);
        assert_eq!(r.actor.actor_name, "jane/shop-scraper");
        let signals = probe_signals(TOOL, &r, at(22));
        assert_eq!(signals.len(), 1);
        assert_eq!(signals[0].rule, "QM-PROBE-UNKNOWN-ACTOR");
        assert_eq!(signals[0].severity, Severity::Low);
        assert_eq!(signals[0].subject.actor_id, "jane/shop-scraper");
        assert_eq!(signals[0].console_url, ACTORS_URL);
        // Had it run anyway, its run is still judged.
        let r = evaluate_probe(&spec(), None, &healthy_run(), &[], at(22));
        assert_eq!(failed_checks(&r), ["actor"]);
        assert_eq!(r.checks.len(), 6);
    }

    #[test]
    fn history_is_sorted_and_capped_with_the_new_point_last() {
        let mut previous: Vec<ProbePoint> = (0..40)
            .map(|i| ProbePoint {
                at: at(1) - chrono::Duration::days(i),
                ..point(1, true, 3)
            })
            .collect();
        previous.swap(0, 17);
        let r = evaluate_probe(&spec(), Some(&actor()), &healthy_run(), &previous, at(22));
        assert_eq!(r.history.len(), PROBE_HISTORY);
        assert_eq!(r.history.last().unwrap().at, at(22));
        assert!(r.history.windows(2).all(|w| w[0].at <= w[1].at));
        // The newest previous points are kept, the oldest dropped.
        assert_eq!(r.history[PROBE_HISTORY - 2].at, at(1));
        assert_eq!(
            r.history[0].at,
            at(1) - chrono::Duration::days(PROBE_HISTORY as i64 - 2)
        );
    }

    #[test]
    fn signal_ids_are_stable_per_actor_and_rule() {
        let run = ProbeRun {
            status: Some(JobStatus::TimedOut),
            ..healthy_run()
        };
        let a = probe_signals(
            TOOL,
            &evaluate_probe(&spec(), Some(&actor()), &run, &[], at(1)),
            at(1),
        );
        let b = probe_signals(
            TOOL,
            &evaluate_probe(&spec(), Some(&actor()), &run, &[], at(8)),
            at(8),
        );
        assert_eq!(a[0].id, b[0].id);
        assert_eq!(a[0].id, signal_id(TOOL, "QM-PROBE-FAILED", &a[0].subject));
    }

    #[test]
    fn every_failed_check_maps_to_a_catalog_rule_and_back() {
        let check = |name: &'static str| ProbeCheck {
            check: name,
            passed: false,
            detail: "x".into(),
            evidence: json!({"checked": true}),
        };
        let mut r = evaluate_probe(&spec(), None, &healthy_run(), &[], at(22));
        r.checks = ["actor", "status", "itemTrend", "fillRate", "datasetSchema"]
            .into_iter()
            .map(check)
            .collect();
        let mut emitted = rules(&r);
        r.checks = vec![check("minItems")];
        emitted.extend(rules(&r));
        emitted.sort();
        let mut catalog: Vec<String> = PROBE_RULES.iter().map(|r| r.0.to_string()).collect();
        catalog.sort();
        assert_eq!(emitted, catalog);
        for (_, severity, _) in PROBE_RULES {
            assert!(["low", "medium", "high"].contains(severity));
        }
    }

    #[test]
    fn long_texts_are_truncated_on_a_char_boundary() {
        let long = "é".repeat(1000);
        let t = truncate(&long);
        assert_eq!(t.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(t.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
