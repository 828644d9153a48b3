//! Reliability suite: bad input (see [`super`]). Four parts, one table:
//!
//! 1. **INPUT, per tool**: proptest's `TestRunner`, driven here, generates inputs (structured
//!    mutations of each tool's valid inputs, arbitrary JSON, non-JSON bytes) and sends each
//!    through exactly what the runner does before its first API request: secret decryption
//!    without a key, [`InputSchema::resolve`], the typed parse and the tool's own checks. No
//!    panic; every rejection names a field the case touched; every accepted input is valid.
//! 2. **Schema engine**: arbitrary and mutated schemas through the lint and the diff: no
//!    panic, a schema compared with itself has no findings, invalid JSON is a finding.
//! 3. **Payloads**: fixtures, API objects (run list items, runs, builds, actors, list pages)
//!    and SNAPSHOT records, arbitrary and mutated, through the code that reads them.
//! 4. **Malformed fleet**: a synthetic fleet corrupted as a platform bug or a proxy could
//!    corrupt it, served by the emulator; every tool runs on it (CLI flow; fleet-analytics also
//!    on the platform with its specialists), then again over corrupted SNAPSHOTs.
//!
//! [`fuzz_input`], [`fuzz_schema`] and [`fuzz_payload`] are the bodies of the `cargo fuzz`
//! targets in `fuzz/`: the same checks, panicking on a broken promise, so a stable test can
//! replay the fuzz corpus too.

use super::{Harness, Scale, Section};
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use forge_core::input::{InputError, InputSchema};
use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::{Emulator, Fixture};
use forge_runtime::actor::parse_input;
use forge_runtime::RuntimeError;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The fleet's fixed "now" (2026-11-23T00:00:00Z): the figures must not depend on the clock.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_392_000, 0).unwrap_or_default()
}

/// One MiB: the "huge string" of the issue.
const HUGE: usize = 1 << 20;

/// An error message longer than this buries its field: counted as unclear.
const MAX_CLEAR_MESSAGE: usize = 4_000;

// ------------------------------------------------------------------------------------------
// Part 1: INPUT, per tool
// ------------------------------------------------------------------------------------------

/// The typed parse and a tool's own checks of its input.
type Check = fn(&Value) -> Result<(), RuntimeError>;

/// One kind of damage to a run object, and whether it leaves the run unreadable.
type RunDamage = (bool, Box<dyn Fn(&mut Value)>);

/// One tool's input path as the runner takes it before any request.
pub struct ToolInput {
    pub name: &'static str,
    schema_text: &'static str,
    schema: InputSchema,
    /// The typed parse and the tool's own checks (what `Tool::run` does before any I/O).
    check: Check,
    /// Valid inputs to mutate: the schema's prefills and what the tests use.
    pub seeds: Vec<Value>,
}

fn check_fleet(v: &Value) -> Result<(), RuntimeError> {
    fleet_analytics::check_input(v, now(), "https://api.apify.com/v2").map(drop)
}

fn check_schema_validator(v: &Value) -> Result<(), RuntimeError> {
    parse_input::<schema_validator::SchemaValidatorInput>(v.clone()).map(drop)
}

fn check_release_gate(v: &Value) -> Result<(), RuntimeError> {
    parse_input::<release_gate::ReleaseGateInput>(v.clone()).map(drop)
}

fn check_cost(v: &Value) -> Result<(), RuntimeError> {
    let input: cost_watchdog::CostInput = parse_input(v.clone())?;
    // The windows are what `run` builds next, before listing actors.
    forge_core::aggregate::Windows::new(input.as_of.unwrap_or(now()), input.config.window_days)
        .range_start();
    Ok(())
}

fn check_quality(v: &Value) -> Result<(), RuntimeError> {
    let input: quality_monitor::QualityInput = parse_input(v.clone())?;
    forge_core::analyses::quality::QualityWindows::new(
        input.as_of.unwrap_or(now()),
        input.config.baseline_days,
    )
    .range_start();
    Ok(())
}

fn check_ab(v: &Value) -> Result<(), RuntimeError> {
    ab_tester::check_input(v).map(drop)
}

fn check_compliance(v: &Value) -> Result<(), RuntimeError> {
    parse_input::<compliance_scanner::ComplianceInput>(v.clone()).map(drop)
}

const AS_OF: &str = "2026-11-23T00:00:00Z";
const ACK: &str = "0123456789abcdef";

fn seeds_of(tool: &str) -> Vec<Value> {
    // An empty input is valid where nothing is required (release-gate and ab-tester need
    // an actor).
    let mut seeds = match tool {
        "release-gate" | "ab-tester" => Vec::new(),
        _ => vec![json!({}), json!({"asOf": AS_OF})],
    };
    // What the Console's form starts with: every prefill (the defaults apply anyway).
    let prefilled: Map<String, Value> = crate::tools::input_schema(tool)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .and_then(|s| s.get("properties").and_then(Value::as_object).cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, p)| Some((k, p.get("prefill")?.clone())))
        .collect();
    if !prefilled.is_empty() {
        seeds.push(Value::Object(prefilled));
    }
    seeds.extend(match tool {
        "fleet-analytics" => vec![
            json!({"windowDays": 30, "actors": ["scraper-1", "user/scraper-2"], "asOf": AS_OF,
                   "acknowledgedSignals": [format!("{ACK} until 2027-01-01T00:00:00Z"), ACK],
                   "unacknowledgedSignals": ["fedcba9876543210"]}),
            json!({"asOf": AS_OF, "specialists": ["schema-validator", "cost-watchdog", "quality-monitor", "compliance-scanner"],
                   "specialistsOwner": "apifyforge", "shardSize": 20,
                   "specialistInputs": {"quality-monitor": {"minRuns": 8}, "cost-watchdog": {"windowDays": 30},
                                        "schema-validator": {"buildsPerActor": 3}, "compliance-scanner": {"minReadmeChars": 100}},
                   "releaseGates": [{"actor": "my-actor", "candidateBuild": "0.1.2"}],
                   "abTests": [{"actor": "my-actor", "variantB": {"memoryMbytes": 1024}}],
                   "notify": "https://hooks.slack.com/services/T000/B000/XXXX", "notifyFormat": "slack",
                   "alerts": {"forgetAfterDays": 14, "maxAlertsPerMessage": 10},
                   "healthWeights": {"reliability": 2, "cost": 0.5}, "slo": 0.99}),
        ],
        "schema-validator" => vec![json!({"actors": ["scraper-1"], "buildsPerActor": 3,
            "ruleLevels": {"SCH-PROPERTY-REMOVED": "warn"},
            "ignores": [{"rule": "SCH-MAX-LOWERED", "path": "maxItems", "expires": "2027-01-01T00:00:00Z", "reason": "known"}],
            "acknowledgedSignals": [ACK]})],
        "release-gate" => vec![
            json!({"actor": "my-actor"}),
            json!({"actor": "user/my-actor", "candidateBuild": "0.1.2", "baselineBuild": "0.1.1",
                   "exampleInputs": [{"startUrls": [{"url": "https://example.com"}]}],
                   "ruleLevels": {"SCH-ENUM-VALUE-REMOVED": "info"}, "ignores": [{"rule": "SCH-MAX-LOWERED"}]}),
        ],
        "cost-watchdog" => vec![json!({"monthlyBudgetUsd": 100, "windowDays": 30, "actors": ["scraper-1"],
            "anomalyZ": 4, "succeededSamplesPerActor": 5, "failedSamplesPerActor": 2, "asOf": AS_OF,
            "acknowledgedSignals": [ACK]})],
        "quality-monitor" => vec![json!({"actors": ["scraper-1"], "baselineDays": 28, "minRuns": 8,
            "probes": [{"actor": "scraper-1", "input": {"startUrls": [{"url": "https://example.com"}]},
                        "minItems": 5, "requiredFields": ["url", "title.text"], "minFillRate": 0.9,
                        "timeoutSecs": 60, "memoryMbytes": 1024}],
            "asOf": AS_OF})],
        "ab-tester" => vec![
            json!({"actor": "my-actor"}),
            json!({"actor": "my-actor", "mode": "experiment", "variantA": {"build": "0.1.1", "label": "old"},
                   "variantB": {"build": "0.1.2", "memoryMbytes": 1024, "input": {"q": 1}}, "maxRuns": 10,
                   "maxBudgetUsd": 1, "runTimeoutSecs": 60, "seed": 7, "sequential": true, "asOf": AS_OF}),
            json!({"variantA": {"actor": "actor-a"}, "variantB": {"actor": "user/actor-b"}, "primaryMetric": "duration"}),
        ],
        "compliance-scanner" => vec![json!({"actors": ["scraper-1"], "build": "latest", "minReadmeChars": 100,
            "entropyThreshold": 4, "disabledRules": ["CS-README-STUB"], "ruleLevels": {"CS-SECRET-IN-README": "high"},
            "acknowledgedSignals": [ACK]})],
        _ => Vec::new(),
    });
    seeds
}

/// The seven tools' input paths, each schema compiled once.
pub fn tool_inputs() -> &'static [ToolInput] {
    static TOOLS: OnceLock<Vec<ToolInput>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let checks: [(&'static str, Check); 7] = [
            ("fleet-analytics", check_fleet),
            ("schema-validator", check_schema_validator),
            ("release-gate", check_release_gate),
            ("cost-watchdog", check_cost),
            ("quality-monitor", check_quality),
            ("ab-tester", check_ab),
            ("compliance-scanner", check_compliance),
        ];
        checks
            .into_iter()
            .filter_map(|(name, check)| {
                let schema_text = crate::tools::input_schema(name)?;
                Some(ToolInput {
                    name,
                    schema_text,
                    schema: InputSchema::parse(schema_text).ok()?,
                    check,
                    seeds: seeds_of(name),
                })
            })
            .collect()
    })
}

/// A step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            // As errors spell a property named "".
            Seg::Key(k) if k.is_empty() => {
                out.push_str(if out.is_empty() { "\"\"" } else { ".\"\"" })
            }
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "(input)".into()
    } else {
        out
    }
}

/// A field as errors spell it (`a/0/b`, `a[0].b`, `a.b`) as comparable segments.
fn segments(field: &str) -> Vec<String> {
    field
        .split(['.', '/', '[', ']'])
        .filter(|s| !s.is_empty())
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// What a case did to a valid input.
#[derive(Debug, Clone)]
enum Mutation {
    Set(Value),
    Remove,
    /// A property no schema knows, under the path.
    Unknown(String, Value),
}

/// An input as the runner may receive it.
#[derive(Debug, Clone)]
pub enum Raw {
    Json(Value),
    Bytes(Vec<u8>),
}

/// A generated case: the input, and the paths it touched (empty: the whole input).
#[derive(Debug, Clone)]
struct Case {
    raw: Raw,
    touched: Vec<Vec<Seg>>,
}

/// Applies `m` at `path` (creating missing objects on the way); the path it really touched.
/// A mutation that does not fit (a key under a string) leaves `root` as it was.
fn apply(root: &mut Value, path: &[Seg], m: &Mutation) -> Option<Vec<Seg>> {
    let mut copy = root.clone();
    let actual = apply_to(&mut copy, path, m)?;
    *root = copy;
    Some(actual)
}

fn apply_to(root: &mut Value, path: &[Seg], m: &Mutation) -> Option<Vec<Seg>> {
    let mut actual = Vec::new();
    // Where the mutation created an object that was not there: that whole object is new, so
    // an error about any field of it (a required one it lacks) is about this case.
    let mut created: Option<usize> = None;
    let mut node = root;
    let (last, parents) = match path.split_last() {
        Some((last, parents)) => (Some(last), parents),
        None => (None, path),
    };
    for seg in parents {
        node = match seg {
            Seg::Key(k) => {
                actual.push(seg.clone());
                let map = node.as_object_mut()?;
                if !map.contains_key(k) {
                    created.get_or_insert(actual.len());
                }
                map.entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
            }
            Seg::Index(i) => {
                let list = node.as_array_mut()?;
                if *i >= list.len() {
                    list.push(Value::Object(Map::new()));
                    created.get_or_insert(actual.len() + 1);
                }
                let at = (*i).min(list.len() - 1);
                actual.push(Seg::Index(at));
                &mut list[at]
            }
        };
    }
    let actual = finish(actual, last, m, node)?;
    Some(match created {
        Some(n) => actual[..n].to_vec(),
        None => actual,
    })
}

/// The last step of [`apply_to`], on the parent `node`; the full path it touched.
fn finish(
    mut actual: Vec<Seg>,
    last: Option<&Seg>,
    m: &Mutation,
    node: &mut Value,
) -> Option<Vec<Seg>> {
    match (last, m) {
        (None, Mutation::Set(v)) => *node = v.clone(),
        (None, Mutation::Remove) => *node = Value::Object(Map::new()),
        (None, Mutation::Unknown(k, v)) => {
            node.as_object_mut()?.insert(k.clone(), v.clone());
            actual.push(Seg::Key(k.clone()));
        }
        (Some(Seg::Key(k)), Mutation::Set(v)) => {
            node.as_object_mut()?.insert(k.clone(), v.clone());
            actual.push(Seg::Key(k.clone()));
        }
        (Some(Seg::Key(k)), Mutation::Remove) => {
            node.as_object_mut()?.remove(k)?;
            actual.push(Seg::Key(k.clone()));
        }
        (Some(Seg::Key(k)), Mutation::Unknown(name, v)) => {
            let child = node
                .as_object_mut()?
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            child.as_object_mut()?.insert(name.clone(), v.clone());
            actual.push(Seg::Key(k.clone()));
            actual.push(Seg::Key(name.clone()));
        }
        (Some(Seg::Index(i)), Mutation::Set(v)) => {
            let list = node.as_array_mut()?;
            let at = (*i).min(list.len());
            if at == list.len() {
                list.push(v.clone());
            } else {
                list[at] = v.clone();
            }
            actual.push(Seg::Index(at));
        }
        (Some(Seg::Index(i)), Mutation::Remove) => {
            let list = node.as_array_mut()?;
            if *i >= list.len() {
                return None;
            }
            list.remove(*i);
            actual.push(Seg::Index(*i));
        }
        (Some(Seg::Index(_)), Mutation::Unknown(..)) => return None,
    }
    Some(actual)
}

/// Every path worth mutating in a tool's input: its schema's properties (nested ones too),
/// the items of its arrays, what its seeds hold, and, for the orchestrator, the properties
/// of every specialist under `specialistInputs.<tool>`, `releaseGates[i]` and `abTests[i]`.
fn targets(tool: &ToolInput) -> Vec<Vec<Seg>> {
    fn from_schema(schema: &Value, prefix: &[Seg], out: &mut Vec<Vec<Seg>>) {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, prop) in props {
            let mut path = prefix.to_vec();
            path.push(Seg::Key(name.clone()));
            out.push(path.clone());
            if prop.get("properties").is_some() {
                from_schema(prop, &path, out);
            }
            if prop.get("type") == Some(&json!("array")) {
                for i in [0, 2] {
                    let mut item = path.clone();
                    item.push(Seg::Index(i));
                    out.push(item.clone());
                    if let Some(items) = prop.get("items") {
                        from_schema(items, &item, out);
                    }
                }
            }
        }
    }
    fn from_value(v: &Value, prefix: &[Seg], out: &mut Vec<Vec<Seg>>) {
        if prefix.len() > 4 {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let mut path = prefix.to_vec();
                    path.push(Seg::Key(k.clone()));
                    out.push(path.clone());
                    from_value(child, &path, out);
                }
            }
            Value::Array(xs) => {
                for (i, child) in xs.iter().enumerate().take(3) {
                    let mut path = prefix.to_vec();
                    path.push(Seg::Index(i));
                    out.push(path.clone());
                    from_value(child, &path, out);
                }
            }
            _ => {}
        }
    }
    let schema: Value = serde_json::from_str(tool.schema_text).unwrap_or(Value::Null);
    let mut out = vec![Vec::new()];
    from_schema(&schema, &[], &mut out);
    for seed in &tool.seeds {
        from_value(seed, &[], &mut out);
    }
    if tool.name == "fleet-analytics" {
        for specialist in crate::tools::TOOLS.iter().filter(|t| **t != tool.name) {
            let Some(s) = crate::tools::input_schema(specialist)
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
            else {
                continue;
            };
            let prefix = match *specialist {
                "release-gate" => vec![Seg::Key("releaseGates".into()), Seg::Index(0)],
                "ab-tester" => vec![Seg::Key("abTests".into()), Seg::Index(0)],
                t => vec![Seg::Key("specialistInputs".into()), Seg::Key(t.into())],
            };
            out.push(prefix.clone());
            from_schema(&s, &prefix, &mut out);
        }
    }
    for key in ["ruleLevels", "specialistInputs", "alerts", "healthWeights"] {
        if schema["properties"].get(key).is_some() {
            for sub in [
                "SCH-PROPERTY-REMOVED",
                "CS-SECRET-IN-README",
                "not-a-specialist",
                "forgetAfterDays",
                "maxAlertsPerMessage",
                "reliability",
            ] {
                out.push(vec![Seg::Key(key.into()), Seg::Key(sub.into())]);
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert(format!("{p:?}")));
    out
}

/// Strings a careless parser chokes on, and values the tools give meaning to.
const NASTY_STRINGS: &[&str] = &[
    "",
    " ",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "1e309",
    "null",
    "true",
    "0x10",
    "../../etc/passwd",
    "..\\..\\windows\\system32",
    "%2e%2e%2f%2e%2e%2f",
    "a/../../b",
    "user/../../admin",
    "~/../x",
    "https://example.com/x?token=apify_api_FAKE",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data",
    "http://localhost:1/x",
    "http://127.0.0.1:9/hook",
    "https://api.apify.com/v2/acts",
    "https://user:pass@example.com/",
    "https://hooks.slack.com/services/T/B/X",
    "\u{202e}evil\u{202c}.exe",
    "e\u{301}\u{302}\u{303}\u{304}",
    "nul\u{0}byte",
    "😀👩‍👩‍👧‍👦🏳️‍🌈",
    "\u{feff}bom",
    "\\ud800",
    "𝕦𝕟𝕚𝕔𝕠𝕕𝕖",
    "مرحبا بالعالم",
    "<script>alert(1)</script>",
    "'; DROP TABLE runs; --",
    "{{7*7}}",
    "2026-13-45T25:61Z",
    "2026-02-30T00:00Z",
    "2026-11-23T24:00:00Z",
    "2026-11-23T00:00:60Z",
    "0000-01-01T00:00Z",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "2026-11-23T00:00+99:99",
    "2026-11-23",
    ACK,
    "0123456789abcdef until 2027-01-01T00:00:00Z",
    "0123456789abcdef until 2026-13-45T00:00:00Z",
    "0123456789abcdef until never",
    "0123456789abcdef until 1970-01-01T00:00:00Z",
    "0123456789ABCDEF",
    "CS-X",
    "SCH-PROPERTY-REMOVED",
    "err",
    "warn",
    "info",
    "critical",
    "high",
    "history",
    "experiment",
    "latest",
    "newest",
    "successRate",
    "schema-validator",
    "cost-watchdog",
    "quality-monitor",
    "compliance-scanner",
    "release-gate",
    "ab-tester",
    "fleet-analytics",
    "my-actor",
    "user/my-actor",
    "user~my-actor",
    "AAAAAAAAAAAAAAAAA",
    "slack",
    "json",
    "auto",
    "ENCRYPTED_VALUE:abc:def",
    "ENCRYPTED_VALUE:",
];

const NASTY_NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    -1.0,
    1.0,
    2.0,
    7.0,
    30.0,
    365.0,
    366.0,
    0.5,
    0.001,
    1e-10,
    1e15,
    1e20,
    1e308,
    -1e308,
    5e-324,
    4294967296.0,
    9007199254740993.0,
];

fn nasty_string() -> BoxedStrategy<String> {
    prop_oneof![
        6 => proptest::sample::select(NASTY_STRINGS).prop_map(str::to_string),
        3 => "\\PC{0,40}",
        2 => "(?s).{0,24}",
        1 => (proptest::sample::select(vec!["x", "é", "😀", "\u{202e}", "\u{0}"]), prop_oneof![Just(HUGE), 200usize..5_000])
            .prop_map(|(c, n)| c.repeat(n / c.len().max(1))),
    ]
    .boxed()
}

fn nasty_number() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => proptest::sample::select(NASTY_NUMBERS).prop_map(|f| json!(f)),
        2 => any::<i64>().prop_map(Value::from),
        1 => Just(json!(u64::MAX)),
        1 => Just(json!(i64::MIN)),
        1 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        1 => (0i64..400).prop_map(Value::from),
    ]
    .boxed()
}

fn nested(depth: usize, object: bool) -> Value {
    let mut v = json!(1);
    for _ in 0..depth {
        v = if object {
            json!({ "a": v })
        } else {
            json!([v])
        };
    }
    v
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        3 => nasty_number(),
        5 => nasty_string().prop_map(Value::String),
    ]
    .boxed()
}

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        2 => proptest::sample::select(vec![
            "actor", "actors", "asOf", "windowDays", "ruleLevels", "ignores", "rule", "path",
            "specialists", "specialistInputs", "acknowledgedSignals", "notify", "build", "input",
            "__proto__", "constructor", "", "$ref", "../x", "a.b", "a/b", "😀",
        ]).prop_map(str::to_string),
        1 => "[a-zA-Z]{1,10}",
        1 => "\\PC{0,12}",
    ]
    .boxed()
}

/// Any JSON value (small), from nasty leaves.
fn arb_json() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((key(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
        .boxed()
}

fn nasty_value() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => leaf(),
        2 => proptest::collection::vec(leaf(), 0..5).prop_map(Value::Array),
        2 => proptest::collection::vec((key(), leaf()), 0..5)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        1 => (1usize..120, any::<bool>()).prop_map(|(d, o)| nested(d, o)),
        1 => arb_json(),
    ]
    .boxed()
}

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        6 => nasty_value().prop_map(Mutation::Set),
        2 => Just(Mutation::Remove),
        1 => (key(), nasty_value()).prop_map(|(k, v)| Mutation::Unknown(k, v)),
    ]
    .boxed()
}

/// Bytes that are no JSON (or no JSON object), as an INPUT record may hold them.
fn raw_bytes(seeds: Vec<Value>) -> BoxedStrategy<Vec<u8>> {
    let texts: Vec<String> = seeds.iter().map(Value::to_string).collect();
    prop_oneof![
        2 => proptest::collection::vec(any::<u8>(), 0..512),
        // A valid input damaged: a byte changed, or cut short.
        3 => (proptest::sample::select(texts.clone()), any::<proptest::sample::Index>(), any::<u8>())
            .prop_map(|(t, at, b)| {
                let mut bytes = t.into_bytes();
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                bytes
            }),
        1 => (proptest::sample::select(texts), any::<proptest::sample::Index>())
            .prop_map(|(t, at)| {
                let bytes = t.into_bytes();
                let cut = at.index(bytes.len().max(1));
                bytes[..cut.min(bytes.len())].to_vec()
            }),
        // Nesting past any parser's stack: serde_json stops at 128 levels.
        1 => (prop_oneof![Just(129usize), Just(10_000), Just(200_000)], any::<bool>())
            .prop_map(|(n, o)| if o { "{\"a\":".repeat(n) } else { "[".repeat(n) }.into_bytes()),
        // Escapes that are no characters, and raw control bytes.
        1 => proptest::sample::select(vec![
            r#"{"actor": "\ud800"}"#, r#"{"actors": ["\udc00x"]}"#, r#"{"asOf": "\ud83d\u0041"}"#,
            "{\"actor\": \"a\u{0}b\"}", "\u{feff}{}", "{\"actor\": \"x\"", "{} {}", "NaN", "[]",
            "\"a string\"", "5", "null", "true", "{\"a\":1,\"a\":2}", "{\"windowDays\": 1e999}",
        ]).prop_map(|s| s.as_bytes().to_vec()),
    ]
    .boxed()
}

fn case_strategy(tool: &ToolInput) -> BoxedStrategy<Case> {
    let seeds = tool.seeds.clone();
    let targets = targets(tool);
    prop_oneof![
        14 => (
            proptest::sample::select(seeds.clone()),
            proptest::collection::vec((proptest::sample::select(targets), mutation()), 1..=3),
        )
            .prop_map(|(mut v, muts)| {
                let touched = muts
                    .iter()
                    .filter_map(|(path, m)| apply(&mut v, path, m))
                    .collect();
                Case { raw: Raw::Json(v), touched }
            }),
        2 => arb_json().prop_map(|v| Case { raw: Raw::Json(v), touched: vec![Vec::new()] }),
        2 => raw_bytes(seeds).prop_map(|b| Case { raw: Raw::Bytes(b), touched: vec![Vec::new()] }),
    ]
    .boxed()
}

/// How the runner ended with one input.
#[derive(Debug)]
pub enum Outcome {
    Accepted,
    /// Rejected: the fields the error names, and its message.
    Rejected {
        fields: Vec<String>,
        message: String,
    },
    /// Accepted, but the input the tool would run with is not valid against its schema.
    AcceptedInvalid(String),
    Panicked(String),
}

impl ToolInput {
    /// The runner's path from an INPUT record to the tool's first request; may panic.
    pub fn drive_uncaught(&self, raw: Raw) -> Outcome {
        let mut value = match raw {
            Raw::Json(v) => v,
            Raw::Bytes(b) => match serde_json::from_slice::<Value>(&b) {
                Ok(v) => v,
                Err(e) => {
                    return Outcome::Rejected {
                        fields: vec!["(input)".into()],
                        message: format!("record INPUT is not valid JSON: {e}"),
                    }
                }
            },
        };
        // The CLI flow and a test have no input-secrets key: an encrypted value is an error.
        let secrets = match forge_runtime::secrets::decrypt_with_key_from(
            &mut value,
            self.schema_text,
            |_| None,
        ) {
            Ok(s) => s,
            Err(e) => return rejected(&RuntimeError::from(e)),
        };
        let input = match self.schema.resolve(Some(&value)) {
            Ok(input) => input,
            Err(e) => return rejected(&RuntimeError::InvalidInput(secrets.redact(e))),
        };
        forge_runtime::source::snapshot_scope(&input);
        if let Err(e) = (self.check)(&input) {
            return rejected(&e);
        }
        match self.schema.resolve(Some(&input)) {
            Ok(again) if again == input => Outcome::Accepted,
            Ok(_) => Outcome::AcceptedInvalid("resolving it again changes it".into()),
            Err(e) => Outcome::AcceptedInvalid(e.to_string()),
        }
    }

    /// [`ToolInput::drive_uncaught`] with a panic caught and reported.
    pub fn drive(&self, raw: Raw) -> Outcome {
        catch_unwind(AssertUnwindSafe(|| self.drive_uncaught(raw)))
            .unwrap_or_else(|p| Outcome::Panicked(panic_message(p.as_ref())))
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// The fields an error names: an invalid input's list, or the backquoted names of a
/// secrets error.
fn rejected(e: &RuntimeError) -> Outcome {
    let fields = match e {
        RuntimeError::InvalidInput(InputError::Invalid(list)) => {
            list.iter().map(|f| f.field.clone()).collect()
        }
        other => other
            .to_string()
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect(),
    };
    Outcome::Rejected {
        fields,
        message: e.to_string(),
    }
}

/// Whether a rejection is clear: it names at least one field, every field it names is a
/// field (not empty), one of them is a path the case touched (or inside one, or around one),
/// and the message is short enough to read.
fn clear(fields: &[String], message: &str, touched: &[Vec<Seg>]) -> bool {
    if fields.is_empty() || fields.iter().any(|f| f.trim().is_empty()) {
        return false;
    }
    if message.len() > MAX_CLEAR_MESSAGE {
        return false;
    }
    if touched.iter().any(Vec::is_empty) {
        return true;
    }
    // A field named is the one touched, inside it or around it; or the message names the
    // touched field itself (`actor`: "... or variantA.actor and variantB.actor").
    fields.iter().any(|f| {
        let e = segments(f);
        touched.iter().any(|p| {
            let p = segments(&render(p));
            !e.is_empty() && (p.starts_with(&e) || e.starts_with(&p))
        })
    }) || touched.iter().any(|p| message.contains(&render(p)))
}

/// What one tool's generated inputs did.
#[derive(Debug, Default, Clone)]
struct InputStats {
    cases: u64,
    rejected_named: u64,
    accepted: u64,
    panics: u64,
    unclear: u64,
    examples: Vec<String>,
}

/// At most `n` characters of `v`, with control and bidirectional-override characters
/// escaped, so that an example quoted in the report cannot scramble it.
fn short(v: &str, n: usize) -> String {
    let shown: String = v
        .chars()
        .take(n)
        .map(|c| {
            if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    let total = v.chars().count();
    if total <= n {
        shown
    } else {
        format!("{shown}… ({total} chars)")
    }
}

fn describe_raw(raw: &Raw) -> String {
    match raw {
        Raw::Json(v) => short(&v.to_string(), 300),
        Raw::Bytes(b) => short(&format!("bytes {:?}", String::from_utf8_lossy(b)), 300),
    }
}

fn deterministic_runner(seed: u8, cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

fn run_inputs(tool: &ToolInput, cases: u32, seed: u8) -> InputStats {
    let mut stats = InputStats::default();
    let strategy = case_strategy(tool);
    let mut runner = deterministic_runner(seed, cases);
    // The seeds themselves first: they must pass, or the mutations test nothing.
    for s in &tool.seeds {
        stats.cases += 1;
        match tool.drive(Raw::Json(s.clone())) {
            Outcome::Accepted => stats.accepted += 1,
            other => {
                stats.unclear += 1;
                stats
                    .examples
                    .push(format!("the valid input {s} gave {other:?}"));
            }
        }
    }
    for _ in 0..cases {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let case = tree.current();
        stats.cases += 1;
        let shown = describe_raw(&case.raw);
        match tool.drive(case.raw) {
            Outcome::Accepted => stats.accepted += 1,
            Outcome::Rejected { fields, message } => {
                if clear(&fields, &message, &case.touched) {
                    stats.rejected_named += 1;
                } else {
                    stats.unclear += 1;
                    if stats.examples.len() < 3 {
                        let touched: Vec<String> = case.touched.iter().map(|p| render(p)).collect();
                        stats.examples.push(format!(
                            "{shown} (touched {touched:?}) was rejected with {:?}",
                            short(&message, 300)
                        ));
                    }
                }
            }
            Outcome::AcceptedInvalid(why) => {
                stats.unclear += 1;
                if stats.examples.len() < 3 {
                    stats
                        .examples
                        .push(format!("{shown} was accepted but {why}"));
                }
            }
            Outcome::Panicked(m) => {
                stats.panics += 1;
                if stats.examples.len() < 3 {
                    stats.examples.push(format!("{shown} panicked: {m}"));
                }
            }
        }
    }
    stats
}

/// `cargo fuzz` target `input`: the first byte picks the tool, the rest is its INPUT record.
/// Panics on a broken promise (a panic inside, an unclear rejection, an invalid acceptance).
pub fn fuzz_input(data: &[u8]) {
    let tools = tool_inputs();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Some(tool) = tools.get(pick as usize % tools.len().max(1)) else {
        return;
    };
    match tool.drive_uncaught(Raw::Bytes(rest.to_vec())) {
        Outcome::Accepted => {}
        Outcome::Rejected { fields, message } => assert!(
            clear(&fields, &message, &[Vec::new()]),
            "{}: unclear rejection {message:?}",
            tool.name
        ),
        Outcome::AcceptedInvalid(why) => panic!("{}: accepted, but {why}", tool.name),
        Outcome::Panicked(m) => panic!("{m}"),
    }
}

// ------------------------------------------------------------------------------------------
// Part 2: the schema engine
// ------------------------------------------------------------------------------------------

/// Real schemas to mutate: the published ones of the corpus and the tools' own.
fn real_schemas() -> Vec<Value> {
    let texts = [
        include_str!("../../../forge-core/src/schema/corpus/amazon-product-scraper.json"),
        include_str!("../../../forge-core/src/schema/corpus/google-maps-scraper.json"),
        include_str!("../../../forge-core/src/schema/corpus/web-scraper.json"),
        include_str!("../../../forge-core/src/schema/corpus/website-content-crawler.json"),
        include_str!("../../../forge-core/src/schema/corpus/products-dataset-v1.json"),
        include_str!("../../../forge-core/src/schema/corpus/products-dataset-v2.json"),
        include_str!("../../../forge-core/src/schema/corpus/login-monitor.json"),
    ];
    let mut out: Vec<Value> = texts
        .iter()
        .filter_map(|t| serde_json::from_str(t).ok())
        .collect();
    out.extend(
        crate::tools::TOOLS
            .iter()
            .filter_map(|t| crate::tools::input_schema(t))
            .filter_map(|t| serde_json::from_str::<Value>(t).ok()),
    );
    out
}

/// Every path of a value (objects and arrays), for mutations of schemas and payloads.
fn value_paths(v: &Value, max_depth: usize) -> Vec<Vec<Seg>> {
    fn walk(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>, max: usize) {
        out.push(prefix.clone());
        if prefix.len() >= max {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    prefix.push(Seg::Key(k.clone()));
                    walk(child, prefix, out, max);
                    prefix.pop();
                }
            }
            Value::Array(xs) => {
                for (i, child) in xs.iter().enumerate().take(8) {
                    prefix.push(Seg::Index(i));
                    walk(child, prefix, out, max);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out, max_depth);
    out
}

/// Values that mean something in a schema (keywords' odd values) or in an API object.
fn schema_value() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => nasty_value(),
        2 => proptest::sample::select(vec![
            json!({"$ref": "#"}), json!({"$ref": "#/definitions/missing"}), json!({"$ref": "http://example.com/x"}),
            json!({"type": ["string", "null"]}), json!({"type": "nonsense"}), json!({"type": []}),
            json!({"enum": []}), json!({"enum": [1, "1", null]}), json!({"minimum": "5"}),
            json!({"pattern": "(unclosed"}), json!({"pattern": "^(a+)+$"}), json!({"items": [{"type": "string"}]}),
            json!({"allOf": [{"$ref": "#"}]}), json!({"nullable": "yes"}), json!({"required": "x"}),
            json!({"properties": []}), json!({"editor": "textfield", "isSecret": true}),
            json!("string"), json!(null), json!([]), json!({}),
        ]),
    ]
    .boxed()
}

/// A schema case: (the before schema as text, the after schema as text).
fn schema_case() -> BoxedStrategy<(String, String)> {
    let schemas = real_schemas();
    let mutated = proptest::sample::select(schemas.clone())
        .prop_flat_map(|s| {
            let paths = value_paths(&s, 6);
            (
                Just(s),
                proptest::collection::vec(
                    (
                        proptest::sample::select(paths),
                        prop_oneof![
                            4 => schema_value().prop_map(Mutation::Set),
                            2 => Just(Mutation::Remove),
                            1 => (key(), schema_value()).prop_map(|(k, v)| Mutation::Unknown(k, v)),
                        ],
                    ),
                    1..=4,
                ),
            )
        })
        .prop_map(|(before, muts)| {
            let mut after = before.clone();
            for (p, m) in &muts {
                apply(&mut after, p, m);
            }
            (before.to_string(), after.to_string())
        });
    let texts: Vec<String> = schemas.iter().map(Value::to_string).collect();
    prop_oneof![
        6 => mutated,
        2 => (arb_json(), arb_json()).prop_map(|(a, b)| (a.to_string(), b.to_string())),
        // Text that is no JSON: damaged real schemas, and noise.
        2 => (proptest::sample::select(texts), any::<proptest::sample::Index>())
            .prop_map(|(t, at)| {
                let cut = at.index(t.len().max(1));
                let mut cut_at = cut.min(t.len());
                while !t.is_char_boundary(cut_at) {
                    cut_at -= 1;
                }
                (t[..cut_at].to_string(), t)
            }),
        1 => ("\\PC{0,200}", "\\PC{0,200}"),
    ]
    .boxed()
}

/// The schema engine's promises for one pair; `Err` names the broken one. May panic.
pub fn check_schema_pair(before: &str, after: &str) -> Result<(), String> {
    use forge_core::schema::{diff, diff_dataset, diff_input, lint_input_schema, Direction};
    let config = forge_core::schema::DiffConfig::new(now());
    for text in [before, after] {
        let findings = lint_input_schema(text);
        if serde_json::from_str::<Value>(text).is_err() && findings.is_empty() {
            return Err(format!(
                "a schema that is no JSON has no lint finding: {}",
                short(text, 120)
            ));
        }
    }
    let (Ok(b), a) = (
        serde_json::from_str::<Value>(before),
        serde_json::from_str::<Value>(after),
    ) else {
        return Ok(());
    };
    forge_core::schema::normalize::normalize(&b);
    for (name, self_diff) in [
        ("diff_input", diff_input(&b, &b, &config)),
        ("diff_dataset", diff_dataset(&b, &b, &config)),
        ("diff (output)", diff(&b, &b, Direction::Output, &config)),
    ] {
        if let Some(f) = self_diff.first() {
            return Err(format!(
                "{name} of a schema with itself has {} findings, e.g. {} at {}: {}",
                self_diff.len(),
                f.rule,
                f.path,
                short(&b.to_string(), 160)
            ));
        }
    }
    if let Ok(a) = a {
        diff_input(&b, &a, &config);
        diff_input(&a, &b, &config);
        diff_dataset(&b, &a, &config);
        diff(&b, &a, Direction::Output, &config);
    }
    Ok(())
}

/// `cargo fuzz` target `schema`: the bytes are two schema texts split at the first `\n---\n`
/// (or in the middle). Panics on a broken promise.
pub fn fuzz_schema(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (before, after) = match text.split_once("\n---\n") {
        Some(pair) => pair,
        None => {
            let mut mid = text.len() / 2;
            while !text.is_char_boundary(mid) {
                mid -= 1;
            }
            text.split_at(mid)
        }
    };
    if let Err(broken) = check_schema_pair(before, after) {
        panic!("{broken}");
    }
}

#[derive(Debug, Default, Clone)]
struct PlainStats {
    cases: u64,
    /// Payloads refused (no object, not readable), reported rather than crashing.
    refused: u64,
    accepted: u64,
    panics: u64,
    broken: u64,
    examples: Vec<String>,
}

impl PlainStats {
    fn record(
        &mut self,
        shown: impl FnOnce() -> String,
        result: std::thread::Result<Result<bool, String>>,
    ) {
        self.cases += 1;
        match result {
            Ok(Ok(true)) => self.accepted += 1,
            Ok(Ok(false)) => self.refused += 1,
            Ok(Err(broken)) => {
                self.broken += 1;
                if self.examples.len() < 3 {
                    self.examples.push(format!("{}: {broken}", shown()));
                }
            }
            Err(p) => {
                self.panics += 1;
                if self.examples.len() < 3 {
                    self.examples.push(format!(
                        "{} panicked: {}",
                        shown(),
                        panic_message(p.as_ref())
                    ));
                }
            }
        }
    }
}

fn run_schema(cases: u32) -> PlainStats {
    let mut stats = PlainStats::default();
    let strategy = schema_case();
    let mut runner = deterministic_runner(0x5c, cases);
    for _ in 0..cases {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (before, after) = tree.current();
        let result = catch_unwind(AssertUnwindSafe(|| {
            check_schema_pair(&before, &after)
                .map(|()| serde_json::from_str::<Value>(&before).is_ok())
        }));
        stats.record(|| short(&before, 200), result);
    }
    stats
}

// ------------------------------------------------------------------------------------------
// Part 3: payloads
// ------------------------------------------------------------------------------------------

/// The kinds of payload the emulator and the runtime parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// A whole account fixture (`forge_emulator::Fixture`), loaded as the emulator loads it.
    Fixture,
    /// A run list item or a run (`GET /v2/actors/{id}/runs`, `GET /v2/actor-runs/{id}`).
    Run,
    /// A build (`GET /v2/actor-builds/{id}`), its definitions and input schema.
    Build,
    /// An actor (`GET /v2/actors/{id}`).
    Actor,
    /// A page of a list: `{"total", "items": [...]}`.
    Page,
    /// A previous `SNAPSHOT` record (an older version's, or corrupted).
    Snapshot,
}

pub const PAYLOAD_KINDS: [PayloadKind; 6] = [
    PayloadKind::Fixture,
    PayloadKind::Run,
    PayloadKind::Build,
    PayloadKind::Actor,
    PayloadKind::Page,
    PayloadKind::Snapshot,
];

impl PayloadKind {
    pub fn label(self) -> &'static str {
        match self {
            PayloadKind::Fixture => "fixture",
            PayloadKind::Run => "run / run list item",
            PayloadKind::Build => "build",
            PayloadKind::Actor => "actor",
            PayloadKind::Page => "list page",
            PayloadKind::Snapshot => "SNAPSHOT",
        }
    }
}

/// Reads one payload as the emulator or the runtime would; `Ok(true)` when something usable
/// came out, `Ok(false)` when it was refused (an error or `None`, never a panic), `Err` when
/// a promise broke. May panic (that is what the callers look for).
pub fn read_payload(kind: PayloadKind, text: &str) -> Result<bool, String> {
    use forge_runtime::source::payload;
    let value = serde_json::from_str::<Value>(text);
    match kind {
        PayloadKind::Fixture => {
            let Ok(fixture) = Fixture::from_json(text) else {
                return Ok(false);
            };
            Ok(forge_emulator::router(fixture, Default::default(), "http://127.0.0.1:9").is_ok())
        }
        PayloadKind::Run => {
            let Ok(v) = value else { return Ok(false) };
            let record = payload::run_record(&v);
            let detail = payload::run_detail(&v);
            if let Some(r) = &record {
                r.duration_secs();
                let windows = forge_core::aggregate::Windows::new(now(), 30);
                forge_core::aggregate::RunAggregate::new(windows).add(r);
            }
            Ok(record.is_some() || detail.is_some())
        }
        PayloadKind::Build => {
            let Ok(v) = value else { return Ok(false) };
            payload::build_info(&v);
            let definition = payload::build_definition(&v);
            if let Some(text) = definition.as_ref().and_then(|d| d.input_schema.as_deref()) {
                forge_core::schema::lint_input_schema(text);
            }
            Ok(definition.is_some())
        }
        PayloadKind::Actor => {
            let Ok(v) = value else { return Ok(false) };
            let info = payload::actor_info(&v);
            if let Some(a) = &info {
                a.full_name();
            }
            payload::actor_object(&v);
            Ok(info.is_some())
        }
        PayloadKind::Page => {
            let Ok(v) = value else { return Ok(false) };
            let items = v["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let read = items.iter().filter_map(payload::run_record).count()
                + items.iter().filter_map(payload::build_info).count()
                + items.iter().filter_map(payload::actor_info).count();
            Ok(read > 0)
        }
        PayloadKind::Snapshot => {
            let Ok(v) = value else { return Ok(false) };
            Ok(read_snapshot(&v))
        }
    }
}

/// A previous SNAPSHOT read as fleet-analytics and quality-monitor read it (part by part, an
/// unreadable part ignored), then analysed against an empty fleet; whether any part was read.
fn read_snapshot(v: &Value) -> bool {
    use forge_core::analyses::{acknowledge, action_plan, alerts, fleet, quality};
    let part = |key: &str| v.get(key).cloned().unwrap_or(Value::Null);
    let fleet_snapshot: Option<fleet::FleetSnapshot> = serde_json::from_value(v.clone()).ok();
    let plan: Option<Vec<action_plan::PlanItem>> = serde_json::from_value(part("actionPlan")).ok();
    let acks: Option<acknowledge::AckState> = serde_json::from_value(part("acknowledgements")).ok();
    let alert_state: Option<alerts::AlertState> = serde_json::from_value(part("alerts")).ok();
    let quality_snapshot: Option<quality::QualitySnapshot> = serde_json::from_value(v.clone()).ok();
    let windows = forge_core::aggregate::Windows::new(now(), 30);
    fleet::analyze(
        &fleet::FleetConfig::default(),
        &fleet::FleetEvidence {
            windows,
            actors: Vec::new(),
        },
        fleet_snapshot.as_ref(),
    );
    let _ = acknowledge::resolve(&[], &[], acks.as_ref(), now());
    let built = action_plan::build_plan_with(
        &[],
        plan.as_deref(),
        &Default::default(),
        &Default::default(),
    );
    alerts::select(
        &built.items,
        alert_state.as_ref(),
        now(),
        &Default::default(),
    );
    quality::analyze(
        &quality::QualityConfig::default(),
        &quality::QualityEvidence {
            windows: quality::QualityWindows::new(now(), 28),
            actors: Vec::new(),
            probes: Vec::new(),
        },
        quality_snapshot.as_ref(),
    );
    fleet_snapshot.is_some()
        || plan.is_some()
        || acks.is_some()
        || alert_state.is_some()
        || quality_snapshot.is_some()
}

/// `cargo fuzz` target `payload`: the first byte picks the kind of payload, the rest is it.
pub fn fuzz_payload(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let kind = PAYLOAD_KINDS[pick as usize % PAYLOAD_KINDS.len()];
    if let Err(broken) = read_payload(kind, &String::from_utf8_lossy(rest)) {
        panic!("{}: {broken}", kind.label());
    }
}

/// Real payloads to mutate, by kind: a small synthetic fleet's objects, its fixture, and
/// the SNAPSHOTs the tools wrote in part 4 (if any).
fn payload_seeds(snapshots: &[Value]) -> Vec<(PayloadKind, Value)> {
    let (fixture, _) = generate(&SynthConfig {
        seed: 11,
        actors: 3,
        days: 10,
        runs_per_day: 2.0,
        now: now(),
        ..Default::default()
    });
    let mut seeds = vec![(
        PayloadKind::Fixture,
        serde_json::from_str(&fixture.to_json()).unwrap_or(Value::Null),
    )];
    for a in &fixture.actors {
        seeds.push((PayloadKind::Actor, a.actor.clone()));
        seeds.extend(
            a.builds
                .iter()
                .take(2)
                .map(|b| (PayloadKind::Build, b.clone())),
        );
        let runs: Vec<Value> = a.runs.iter().take(3).map(|r| r.to_value()).collect();
        seeds.extend(runs.iter().map(|r| (PayloadKind::Run, r.clone())));
        seeds.push((
            PayloadKind::Page,
            json!({"total": runs.len(), "offset": 0, "count": runs.len(), "items": runs}),
        ));
    }
    seeds.extend(snapshots.iter().map(|s| (PayloadKind::Snapshot, s.clone())));
    seeds.push((
        PayloadKind::Snapshot,
        json!({"schemaVersion": 1, "tool": "fleet-analytics", "asOf": AS_OF, "windowDays": 30,
               "acknowledgements": {"acknowledgements": [{"id": ACK, "since": AS_OF, "source": "input"}]}}),
    ));
    seeds
}

fn payload_case(seeds: Vec<(PayloadKind, Value)>) -> BoxedStrategy<(PayloadKind, String)> {
    let mutated = proptest::sample::select(seeds)
        .prop_flat_map(|(kind, v)| {
            let depth = if kind == PayloadKind::Fixture { 5 } else { 4 };
            let paths = value_paths(&v, depth);
            (
                Just(kind),
                Just(v),
                proptest::collection::vec((proptest::sample::select(paths), mutation()), 1..=4),
            )
        })
        .prop_map(|(kind, mut v, muts)| {
            for (p, m) in &muts {
                apply(&mut v, p, m);
            }
            (kind, v.to_string())
        });
    prop_oneof![
        6 => mutated,
        2 => (proptest::sample::select(PAYLOAD_KINDS.to_vec()), arb_json())
            .prop_map(|(k, v)| (k, v.to_string())),
        1 => (proptest::sample::select(PAYLOAD_KINDS.to_vec()), "\\PC{0,120}"),
    ]
    .boxed()
}

fn run_payloads(cases: u32, snapshots: &[Value]) -> Vec<(PayloadKind, PlainStats)> {
    let mut stats: Vec<(PayloadKind, PlainStats)> = PAYLOAD_KINDS
        .iter()
        .map(|k| (*k, PlainStats::default()))
        .collect();
    let strategy = payload_case(payload_seeds(snapshots));
    let mut runner = deterministic_runner(0x9a, cases);
    for _ in 0..cases {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (kind, text) = tree.current();
        let result = catch_unwind(AssertUnwindSafe(|| read_payload(kind, &text)));
        if let Some((_, s)) = stats.iter_mut().find(|(k, _)| *k == kind) {
            s.record(|| format!("{} {}", kind.label(), short(&text, 200)), result);
        }
    }
    stats
}

// ------------------------------------------------------------------------------------------
// Part 4: a malformed fleet, end to end
// ------------------------------------------------------------------------------------------

/// What the corruption planted, for the report.
#[derive(Debug, Default, Clone)]
struct Planted {
    runs: u64,
    /// Runs no reader can use (no status, no readable start, no id, no object, a usage
    /// that is no cost): what `malformedRuns` counts when they fall in a window.
    unreadable_runs: u64,
    builds: u64,
    actors: u64,
    /// The corrupted actor with the most damage, as release-gate and ab-tester get it.
    target_actor: String,
}

/// Corrupts a synthetic fleet as a platform bug or a proxy could: every kind of damage the
/// issue lists, each on a few runs, builds and actors of the user's (not the tools').
fn corrupt(fixture: &mut Fixture) -> Planted {
    let mut planted = Planted::default();
    let huge = "Ω".repeat(HUGE / 2);
    let run_damage: Vec<RunDamage> = vec![
        (
            true,
            Box::new(|r| drop(r.as_object_mut().map(|o| o.remove("status")))),
        ),
        (true, Box::new(|r| r["status"] = Value::Null)),
        (true, Box::new(|r| r["status"] = json!(5))),
        (true, Box::new(|r| r["status"] = json!("EXPLODED"))),
        (true, Box::new(|r| r["startedAt"] = json!("not a date"))),
        (true, Box::new(|r| r["startedAt"] = json!(1_795_000_000))),
        (true, Box::new(|r| r["id"] = Value::Null)),
        (true, Box::new(|r| *r = json!("a run that is a string"))),
        (true, Box::new(|r| *r = json!([1, 2, 3]))),
        (
            false,
            Box::new(|r| r["startedAt"] = json!("1970-01-01T00:00:00.000Z")),
        ),
        (
            false,
            Box::new(|r| r["startedAt"] = json!("9999-12-31T23:59:59.999Z")),
        ),
        (
            false,
            Box::new(|r| r["finishedAt"] = json!("2001-01-01T00:00:00.000Z")),
        ),
        (false, Box::new(|r| r["finishedAt"] = json!("garbage"))),
        (false, Box::new(|r| r["finishedAt"] = json!(false))),
        (true, Box::new(|r| r["usageTotalUsd"] = json!(-5.0))),
        (true, Box::new(|r| r["usageTotalUsd"] = json!("NaN"))),
        (true, Box::new(|r| r["usageTotalUsd"] = json!(1e308))),
        (
            false,
            Box::new(|r| {
                r["stats"] =
                    json!({"runTimeSecs": -1, "computeUnits": "Infinity", "memMaxBytes": -1e300})
            }),
        ),
        (false, Box::new(|r| r["stats"] = json!("no stats"))),
        (
            false,
            Box::new(|r| r["options"] = json!({"memoryMbytes": -128, "timeoutSecs": "forever"})),
        ),
        (false, Box::new(|r| r["meta"] = Value::Null)),
        (false, Box::new(|r| r["meta"] = json!({"origin": 5}))),
        (false, Box::new(|r| r["buildNumber"] = json!(5))),
        (
            false,
            Box::new(|r| r["buildNumber"] = json!("0.0.1-ünïcödé-😀")),
        ),
        (false, Box::new(|r| r["buildId"] = json!({"an": "object"}))),
        (false, Box::new(|r| r["defaultDatasetId"] = json!(7))),
        (
            false,
            Box::new(|r| r["containerUrl"] = json!("not a url at all")),
        ),
        (
            false,
            Box::new(|r| r["usage"] = json!({"DATASET_WRITES": "many"})),
        ),
        (
            false,
            Box::new(|r| r["chargedEventCounts"] = json!({"x": -1, "y": "z"})),
        ),
        (false, Box::new(|r| r["exitCode"] = json!("one"))),
    ];
    let long_message = huge.clone();
    let user_actors: Vec<usize> = (0..fixture.actors.len())
        .filter(|i| !crate::tools::TOOLS.contains(&fixture.actors[*i].name()))
        .collect();
    let mut best = (0usize, String::new());
    for (n, &ai) in user_actors.iter().enumerate() {
        let actor = &mut fixture.actors[ai];
        let mut damaged = 0;
        // Every fourth run of the first actors, every damage in turn; later actors less.
        let stride = if n < 3 { 4 } else { 25 };
        let mut values: Vec<Value> = actor.runs.iter().map(|r| r.to_value()).collect();
        for (i, run) in values
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| i % stride == 1)
        {
            let (unreadable, damage) = &run_damage[(i / stride + n) % run_damage.len()];
            damage(run);
            planted.runs += 1;
            planted.unreadable_runs += u64::from(*unreadable);
            damaged += 1;
        }
        if let Some(run) = values.get_mut(2) {
            if run.is_object() {
                run["statusMessage"] = json!(long_message.clone());
                planted.runs += 1;
            }
        }
        actor.runs = values.iter().map(forge_emulator::RawJson::from).collect();
        // Builds: schemas that are no JSON, not an object, huge; READMEs huge; odd types.
        let build_damage: [fn(&mut Value, &str); 7] = [
            |b, _| {
                b["inputSchema"] =
                    json!("{\"title\": \"broken\", \"type\": \"object\", \"properties\": {")
            },
            |b, _| b["inputSchema"] = json!("[1, 2, 3]"),
            |b, huge| {
                b["inputSchema"] = json!(format!("{{\"title\": \"{huge}\", \"type\": \"object\", \"schemaVersion\": 1, \"properties\": {{}}}}"))
            },
            |b, huge| {
                b["readme"] = json!(format!("# Ünïcödé \u{202e} README\n{huge}"));
                b["actorDefinition"]["readme"] = json!(huge);
            },
            |b, _| b["inputSchema"] = json!(5),
            |b, _| b["actorDefinition"] = json!("not an object"),
            |b, _| {
                b["buildNumber"] = json!("😀.🙃.0");
                b["finishedAt"] = json!("yesterday");
            },
        ];
        for (i, b) in actor
            .builds
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
        {
            build_damage[(i / 2 + n) % build_damage.len()](b, &huge);
            planted.builds += 1;
        }
        // Actors: unicode and huge text fields, odd types where numbers belong.
        match n % 4 {
            0 => {
                actor.actor["title"] = json!("\u{202e}ǝltıʇ 😀 e\u{301}\u{302}");
                actor.actor["description"] = json!(huge.clone());
            }
            1 => {
                actor.actor["defaultRunOptions"] =
                    json!({"memoryMbytes": "lots", "timeoutSecs": -5});
                actor.actor["stats"] = Value::Null;
            }
            2 => {
                actor.actor["taggedBuilds"] = json!("latest");
                actor.actor["createdAt"] = json!("the dawn of time");
            }
            _ => {
                // Not a name Apify would allow; the API could still return one.
                actor.actor["name"] = json!(format!("скрейпер-😀-{n}"));
                actor.actor["seoTitle"] = json!("مرحبا 😀".repeat(1000));
                actor.actor["categories"] = json!([null, 5, "\u{0}"]);
            }
        }
        planted.actors += 1;
        if damaged > best.0 && forge_core::ids::check_actor_ref(actor.name()).is_ok() {
            best = (damaged, actor.name().to_string());
        }
    }
    planted.target_actor = best.1;
    planted
}

/// One tool's run on the malformed fleet.
#[derive(Debug, Clone)]
struct FleetRun {
    label: String,
    ok: bool,
    status: String,
    counted: String,
    problem: Option<String>,
}

fn tool_input_for(tool: &str, planted: &Planted) -> Value {
    match tool {
        "release-gate" | "ab-tester" => json!({"actor": planted.target_actor, "asOf": AS_OF}),
        _ => json!({"asOf": AS_OF}),
    }
}

/// What OUTPUT says about the malformed data it met.
fn counted_in(output: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(n) = output["collection"]["malformedRuns"].as_u64() {
        parts.push(format!("malformedRuns {n}"));
    }
    for key in ["malformedRuns", "unreadableRuns"] {
        if let Some(n) = output[key].as_u64() {
            parts.push(format!("{key} {n}"));
        }
    }
    if let Some(n) = output["decision"]["findings"].as_u64() {
        parts.push(format!("{n} findings"));
    }
    if let Some(list) = output["signals"].as_array() {
        parts.push(format!("{} signals", list.len()));
    }
    if parts.is_empty() {
        "OUTPUT written".into()
    } else {
        parts.join(", ")
    }
}

async fn cli_run(
    h: &Harness,
    emulator: &Emulator,
    token: &str,
    dir: &Path,
    tool: &str,
    input: &Value,
) -> anyhow::Result<std::process::Output> {
    std::fs::create_dir_all(dir)?;
    let input_path = dir.join("input.json");
    std::fs::write(&input_path, serde_json::to_vec(input)?)?;
    let (exe, args) = h
        .cli_command
        .split_first()
        .context("the harness has no CLI command")?;
    let output = tokio::process::Command::new(exe)
        .args(args)
        .args(["run", tool, "--input"])
        .arg(&input_path)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APIFY_TOKEN", token)
        .env("APIFY_API_BASE_URL", emulator.base_url())
        .env("APIFY_LOCAL_STORAGE_DIR", dir.join("storage"))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .with_context(|| format!("starting apifyforge run {tool}"))?;
    Ok(output)
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    short(&lines[lines.len().saturating_sub(n)..].join(" | "), 600)
}

/// Judges one finished CLI run: succeeded (0, or 3 for a blocking gate), no panic, OUTPUT.
fn judge(label: String, out: &std::process::Output, output_file: &Path) -> FleetRun {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    let output: Option<Value> = std::fs::read(output_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let panicked = stderr.contains("panicked");
    let ok = matches!(code, Some(0) | Some(3)) && !panicked && output.is_some();
    FleetRun {
        status: match code {
            Some(0) => "SUCCEEDED".into(),
            Some(3) => "SUCCEEDED (gate blocks)".into(),
            Some(c) => format!("exit {c}"),
            None => "killed".into(),
        },
        counted: output.as_ref().map(counted_in).unwrap_or_default(),
        problem: (!ok).then(|| {
            format!(
                "{label}: exit {code:?}{} — {}",
                if panicked { ", panicked" } else { "" },
                tail(&stderr, 4)
            )
        }),
        ok,
        label,
    }
}

/// Part 4: the corrupted fleet served, every tool run on it; then SNAPSHOTs corrupted.
async fn run_malformed_fleet(h: &Harness) -> anyhow::Result<(Planted, Vec<FleetRun>, Vec<Value>)> {
    let (fixture, _) = generate(&SynthConfig {
        seed: 7,
        actors: if h.scale == Scale::Full { 12 } else { 6 },
        days: 60,
        runs_per_day: 4.0,
        now: now(),
        ..Default::default()
    });
    let mut fixture = crate::demo::with_tools(fixture, now());
    let planted = corrupt(&mut fixture);
    let token = crate::demo::scoped_token(&fixture)?;
    let config = crate::demo::platform_config(&h.actor_command);
    let emulator = Emulator::start(fixture, config)
        .await
        .context("the emulator refused the malformed fleet")?;
    let root = h.work_dir.join("bad-input-fleet");
    let mut runs = Vec::new();
    let mut snapshots = Vec::new();
    for tool in crate::tools::TOOLS {
        let dir = root.join(tool);
        let out = cli_run(
            h,
            &emulator,
            token.expose_secret(),
            &dir,
            tool,
            &tool_input_for(tool, &planted),
        )
        .await?;
        let output_file = dir.join("storage/key_value_stores/default/OUTPUT.json");
        runs.push(judge(format!("{tool} (CLI)"), &out, &output_file));
    }
    // The orchestrator on the platform, with its four fleet specialists as their own runs.
    let input = json!({"asOf": AS_OF, "specialists": ["schema-validator", "cost-watchdog", "quality-monitor", "compliance-scanner"],
                       "specialistsOwner": crate::demo::PUBLISHER});
    let result = forge_runtime::owned::run_sync_get_dataset_items(
        &emulator.base_url(),
        &token,
        &format!("{}/fleet-analytics", crate::demo::PUBLISHER),
        &input,
    )
    .await;
    let platform_output = emulator
        .runs_of("fleet-analytics")
        .into_iter()
        .last()
        .and_then(|run| {
            let store = run["defaultKeyValueStoreId"].as_str()?.to_string();
            let (_, bytes) = emulator.kv_record(&store, "OUTPUT")?;
            serde_json::from_slice::<Value>(&bytes).ok()
        });
    let specialists_ok = platform_output
        .as_ref()
        .and_then(|o| o["specialistRuns"].as_array().cloned())
        .unwrap_or_default();
    let failed: Vec<String> = specialists_ok
        .iter()
        .filter(|c| c["status"] != "SUCCEEDED")
        .map(|c| format!("{} {}", c["call"], c["error"]))
        .collect();
    let ok = result.is_ok() && platform_output.is_some() && failed.is_empty();
    runs.push(FleetRun {
        label: "fleet-analytics + 4 specialists (platform)".into(),
        ok,
        status: if ok {
            "SUCCEEDED".into()
        } else {
            "FAILED".into()
        },
        counted: platform_output.as_ref().map(counted_in).unwrap_or_default(),
        problem: (!ok).then(|| {
            format!(
                "fleet-analytics on the platform: {}{}",
                result
                    .as_ref()
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
                if failed.is_empty() {
                    String::new()
                } else {
                    format!("; specialists not SUCCEEDED: {}", failed.join("; "))
                }
            )
        }),
    });
    // Trend state corrupted: the tools that keep a SNAPSHOT run again over a damaged one.
    for tool in ["fleet-analytics", "quality-monitor"] {
        let dir = root.join(tool);
        let snapshot_file = dir.join(format!(
            "storage/key_value_stores/apifyforge-{tool}/SNAPSHOT.json"
        ));
        let Some(real) = std::fs::read(&snapshot_file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            runs.push(FleetRun {
                label: format!("{tool}: SNAPSHOT"),
                ok: false,
                status: "no SNAPSHOT".into(),
                counted: String::new(),
                problem: Some(format!("{tool} kept no SNAPSHOT to corrupt")),
            });
            continue;
        };
        snapshots.push(real.clone());
        let mut odd = real.clone();
        for (p, _) in value_paths(&real, 3)
            .iter()
            .zip(0..)
            .filter(|(_, i)| i % 3 == 0)
        {
            apply(&mut odd, p, &Mutation::Set(json!("9999-12-31T23:59:59Z")));
        }
        // (what, bytes, whether the run must say it ignored the SNAPSHOT)
        let variants: [(&str, Vec<u8>, bool); 4] = [
            (
                "not JSON",
                b"{\"schemaVersion\": 1, \"asOf\": \"2026-".to_vec(),
                true,
            ),
            (
                "an older shape",
                br#"{"version": 0, "actors": [1, 2], "acknowledgements": "all"}"#.to_vec(),
                true,
            ),
            ("values of the wrong type", serde_json::to_vec(&odd)?, false),
            ("empty", Vec::new(), true),
        ];
        for (what, bytes, must_warn) in variants {
            std::fs::write(&snapshot_file, &bytes)?;
            let output_file = dir.join("storage/key_value_stores/default/OUTPUT.json");
            // A run that fails must not be judged by the OUTPUT of the one before.
            let _ = std::fs::remove_file(&output_file);
            let out = cli_run(
                h,
                &emulator,
                token.expose_secret(),
                &dir,
                tool,
                &tool_input_for(tool, &planted),
            )
            .await?;
            let mut run = judge(
                format!("{tool} over a SNAPSHOT that is {what}"),
                &out,
                &output_file,
            );
            warned(&mut run, &String::from_utf8_lossy(&out.stderr), must_warn);
            runs.push(run);
        }
    }
    runs.push(platform_snapshot_corrupted(&emulator, &token).await);
    emulator.shutdown().await;
    Ok((planted, runs, snapshots))
}

/// Notes whether the run said it ignored its previous SNAPSHOT; a silence where it must
/// speak is a broken promise.
fn warned(run: &mut FleetRun, log: &str, must_warn: bool) {
    let said = log.contains("SNAPSHOT");
    if said {
        run.status.push_str(", warned");
    } else if must_warn && run.problem.is_none() {
        run.ok = false;
        run.problem = Some(format!(
            "{}: no warning that the previous SNAPSHOT was ignored",
            run.label
        ));
    }
}

/// On the platform: the SNAPSHOT of fleet-analytics' last run replaced by bytes that are no
/// JSON (through the API, as a crash of an older version could leave it); the next run must
/// succeed, pass over it with a warning in its log, and start without trend state.
async fn platform_snapshot_corrupted(
    emulator: &Emulator,
    token: &secrecy::SecretString,
) -> FleetRun {
    let label = "fleet-analytics over a corrupted SNAPSHOT (platform)".to_string();
    let fail = |problem: String| FleetRun {
        label: label.clone(),
        ok: false,
        status: "FAILED".into(),
        counted: String::new(),
        problem: Some(format!("{label}: {problem}")),
    };
    let Some(store) = emulator
        .runs_of("fleet-analytics")
        .last()
        .and_then(|r| r["defaultKeyValueStoreId"].as_str().map(str::to_string))
    else {
        return fail("no earlier run to corrupt".into());
    };
    let client = forge_runtime::client::ApiClient::new(token, &emulator.base_url());
    if let Err(e) = client
        .api()
        .key_value_store(&store)
        .set_record_raw(
            "SNAPSHOT",
            b"{\"schemaVersion\": 1, \"acti".to_vec(),
            "application/json; charset=utf-8",
        )
        .await
    {
        return fail(format!("could not corrupt the SNAPSHOT: {e}"));
    }
    let result = forge_runtime::owned::run_sync_get_dataset_items(
        &emulator.base_url(),
        token,
        &format!("{}/fleet-analytics", crate::demo::PUBLISHER),
        &json!({"asOf": AS_OF}),
    )
    .await;
    let run = emulator.runs_of("fleet-analytics").last().cloned();
    let log = run
        .as_ref()
        .and_then(|r| r["id"].as_str())
        .and_then(|id| emulator.run_log(id))
        .unwrap_or_default();
    let output = run
        .as_ref()
        .and_then(|r| r["defaultKeyValueStoreId"].as_str())
        .and_then(|s| emulator.kv_record(s, "OUTPUT"))
        .and_then(|(_, b)| serde_json::from_slice::<Value>(&b).ok());
    match (result, output) {
        (Ok(_), Some(output)) => {
            let mut r = FleetRun {
                label: label.clone(),
                ok: true,
                status: "SUCCEEDED".into(),
                counted: counted_in(&output),
                problem: None,
            };
            warned(&mut r, &log, true);
            r
        }
        (Err(e), _) => fail(format!("{e}; log: {}", tail(&log, 4))),
        (Ok(_), None) => fail("no OUTPUT".into()),
    }
}

// ------------------------------------------------------------------------------------------
// The fuzz campaign's figures (`scripts/fuzz.sh` writes them)
// ------------------------------------------------------------------------------------------

/// `fuzz/last-run.json`, from the current directory or the source tree.
fn fuzz_figures() -> Option<Value> {
    let candidates = [
        PathBuf::from("fuzz/last-run.json"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/last-run.json"),
    ];
    candidates
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
}

// ------------------------------------------------------------------------------------------

fn n(x: u64) -> String {
    crate::ui::thousands(x)
}

pub async fn run(h: &Harness) -> anyhow::Result<Section> {
    let (input_cases, schema_cases, payload_cases) = match h.scale {
        Scale::Fast => (1_000u32, 2_000u32, 2_000u32),
        Scale::Full => (10_000, 20_000, 20_000),
    };
    std::fs::create_dir_all(&h.work_dir)?;
    let mut rows = Vec::new();
    let mut failures = Vec::new();

    // Part 4 first: its SNAPSHOTs seed part 3. Parts 1 and 2 run meanwhile, on other cores.
    let input_tasks: Vec<_> = tool_inputs()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            tokio::task::spawn_blocking(move || {
                (t.name, run_inputs(t, input_cases, 0x10 + i as u8))
            })
        })
        .collect();
    let schema_task = tokio::task::spawn_blocking(move || run_schema(schema_cases));
    let fleet = run_malformed_fleet(h).await;

    let mut inputs_tried = 0u64;
    let mut panics = 0u64;
    let mut unclear = 0u64;
    for task in input_tasks {
        let (tool, s) = task.await?;
        inputs_tried += s.cases;
        panics += s.panics;
        unclear += s.unclear;
        for e in &s.examples {
            failures.push(format!("{tool} INPUT: {e}"));
        }
        rows.push(vec![
            "INPUT".into(),
            tool.into(),
            n(s.cases),
            n(s.rejected_named),
            n(s.accepted),
            n(s.panics),
            n(s.unclear),
            String::new(),
        ]);
    }
    let s = schema_task.await?;
    panics += s.panics;
    unclear += s.broken;
    for e in &s.examples {
        failures.push(format!("schema engine: {e}"));
    }
    rows.push(vec![
        "schema engine".into(),
        "lint + diff".into(),
        n(s.cases),
        n(s.refused),
        n(s.accepted),
        n(s.panics),
        n(s.broken),
        "self-diff empty, invalid JSON a finding".into(),
    ]);

    let (planted, fleet_runs, snapshots) = match fleet {
        Ok(x) => x,
        Err(e) => {
            failures.push(format!("malformed fleet: {e:#}"));
            (Planted::default(), Vec::new(), Vec::new())
        }
    };
    let payload_stats =
        tokio::task::spawn_blocking(move || run_payloads(payload_cases, &snapshots)).await?;
    for (kind, s) in payload_stats {
        panics += s.panics;
        unclear += s.broken;
        for e in &s.examples {
            failures.push(format!("payload {}: {e}", kind.label()));
        }
        rows.push(vec![
            "payload".into(),
            kind.label().into(),
            n(s.cases),
            n(s.refused),
            n(s.accepted),
            n(s.panics),
            n(s.broken),
            String::new(),
        ]);
    }

    let mut fuzz_execs = 0u64;
    match fuzz_figures() {
        Some(figures) => {
            for t in figures["targets"].as_array().into_iter().flatten() {
                let crashes = t["crashes"].as_u64().unwrap_or(0);
                fuzz_execs += t["executions"].as_u64().unwrap_or(0);
                if crashes > 0 {
                    failures.push(format!(
                        "cargo fuzz target {} found {crashes} crashes",
                        t["target"]
                    ));
                }
                rows.push(vec![
                    "cargo fuzz".into(),
                    t["target"].as_str().unwrap_or("?").into(),
                    n(t["executions"].as_u64().unwrap_or(0)),
                    String::new(),
                    String::new(),
                    n(crashes),
                    String::new(),
                    format!(
                        "{} s, corpus {}{}",
                        t["seconds"].as_u64().unwrap_or(0),
                        t["corpus"].as_u64().unwrap_or(0),
                        figures["date"]
                            .as_str()
                            .map(|d| format!(", {d}"))
                            .unwrap_or_default()
                    ),
                ]);
            }
        }
        None => rows.push(vec![
            "cargo fuzz".into(),
            "input, schema, payload".into(),
            "not run here".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "scripts/fuzz.sh <seconds> writes fuzz/last-run.json".into(),
        ]),
    }

    let mut fleet_ok = 0;
    for r in &fleet_runs {
        fleet_ok += usize::from(r.ok);
        if let Some(p) = &r.problem {
            failures.push(format!("malformed fleet: {p}"));
        }
        rows.push(vec![
            "malformed fleet".into(),
            r.label.clone(),
            "1 run".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("{}; {}", r.status, r.counted),
        ]);
    }

    Ok(Section {
        title: "Bad input".into(),
        summary: format!(
            "Every tool's INPUT goes through what the runner does before its first API request \
             (secret decryption without a key, the input schema with defaults, the typed parse, \
             the tool's own checks), with {} generated inputs per tool (proptest, fixed seeds): \
             structured mutations of valid inputs (wrong types, nulls, missing and unknown \
             fields, numbers out of range, NaN-like and 1 MB strings, deep nesting, RTL, \
             combining, NUL and emoji text, invalid surrogates, `../` ids, URLs), arbitrary JSON \
             and bytes that are no JSON. A rejection counts as clear when it names a field the \
             case touched (`actors[3]`, `specialistInputs.cost-watchdog.windowDays`) in under \
             {MAX_CLEAR_MESSAGE} characters. The schema engine gets arbitrary and mutated \
             schemas; payloads are fixtures, API objects and SNAPSHOT records, arbitrary and \
             mutated. The malformed fleet is a synthetic fleet with {} damaged runs ({} of them \
             unusable: no status, no readable start, no id, no object, a usage that is no cost; \
             `malformedRuns` counts those inside a tool's window), {} damaged builds (schemas \
             that are no JSON, 1 MB READMEs) and {} damaged actors, served by the emulator; \
             every tool runs on it, then the tools that keep trend state run over corrupted \
             SNAPSHOTs (CLI and platform), which they must pass over with a warning. `cargo \
             fuzz` rows are the last `scripts/fuzz.sh` campaign (`fuzz/last-run.json`). In the \
             schema-engine and payload rows, *Rejected* counts what was refused cleanly (no \
             JSON, nothing usable), *Accepted* what was read, and *Unclear errors* a broken \
             promise (a self-diff with findings, invalid JSON without a finding).",
            n(u64::from(input_cases)),
            n(planted.runs),
            n(planted.unreadable_runs),
            n(planted.builds),
            n(planted.actors),
        ),
        headers: [
            "Part",
            "Target",
            "Cases",
            "Rejected, field named",
            "Accepted",
            "Panics",
            "Unclear errors",
            "Notes",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        headline: vec![
            ("bad inputs tried".into(), n(inputs_tried)),
            ("panics on bad input".into(), n(panics)),
            ("unclear input errors".into(), n(unclear)),
            (
                "tools that survive a malformed fleet".into(),
                format!("{fleet_ok} of {}", fleet_runs.len()),
            ),
            ("fuzz executions".into(), n(fuzz_execs)),
        ],
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_as_users_read_them_and_compare_across_spellings() {
        let p = vec![
            Seg::Key("specialistInputs".into()),
            Seg::Key("cost-watchdog".into()),
            Seg::Key("windowDays".into()),
        ];
        assert_eq!(render(&p), "specialistInputs.cost-watchdog.windowDays");
        assert_eq!(
            render(&[Seg::Key("actors".into()), Seg::Index(3)]),
            "actors[3]"
        );
        assert_eq!(segments("actors/3"), segments("actors[3]"));
        assert!(clear(
            &["actors/3".into()],
            "bad",
            &[vec![Seg::Key("actors".into())]]
        ));
        assert!(!clear(
            &["windowDays".into()],
            "bad",
            &[vec![Seg::Key("actors".into())]]
        ));
        assert!(!clear(&[], "bad", &[Vec::new()]));
    }

    #[test]
    fn mutations_create_what_is_missing_and_report_where_they_landed() {
        let mut v = json!({"a": [1]});
        let at = apply(
            &mut v,
            &[Seg::Key("a".into()), Seg::Index(5)],
            &Mutation::Set(json!(2)),
        );
        assert_eq!(at, Some(vec![Seg::Key("a".into()), Seg::Index(1)]));
        assert_eq!(v, json!({"a": [1, 2]}));
        let at = apply(
            &mut v,
            &[Seg::Key("b".into()), Seg::Key("c".into())],
            &Mutation::Set(json!(null)),
        );
        assert!(at.is_some());
        assert_eq!(v["b"]["c"], Value::Null);
        assert_eq!(
            apply(&mut v, &[Seg::Key("zz".into())], &Mutation::Remove),
            None
        );
    }

    #[test]
    fn every_tools_valid_inputs_pass() {
        for t in tool_inputs() {
            for s in &t.seeds {
                assert!(
                    matches!(t.drive(Raw::Json(s.clone())), Outcome::Accepted),
                    "{}: {s} gave {:?}",
                    t.name,
                    t.drive(Raw::Json(s.clone()))
                );
            }
        }
        assert_eq!(tool_inputs().len(), 7);
    }
}
