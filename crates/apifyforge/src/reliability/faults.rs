//! Reliability suite: faults (see [`super`]). Every tool runs as an Actor process on the
//! emulator, first fault-free, then under seeded transient faults (429 storms, 500/502/503,
//! connection resets, slow answers, truncated bodies, malformed JSON) at several rates, and
//! under permanent faults. A transient plan must change nothing the run produces; a permanent
//! one must end the run FAILED, with a non-zero exit code, a status message naming what
//! failed, and no `SNAPSHOT` (the previous trend state stays the newest).
//!
//! Each run gets its own emulator over the same fleet, so no run sees another's `SNAPSHOT`
//! and the faults of a plan fall on the same requests every time (the injector keys its draws
//! on the request, with the run's own ids replaced).

use super::{Harness, Scale, Section};
use crate::demo::{platform_config, scoped_token, tool_actor_id, with_tools};
use crate::ui::thousands;
use anyhow::{anyhow, Context as _};
use chrono::{DateTime, TimeZone, Utc};
use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::{Emulator, FaultKind, FaultPlan, FaultStats, Fixture, PermanentFault};
use forge_runtime::client::ApiClient;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The fleet's fixed "now", and the `asOf` of every tool that takes one.
const AS_OF: &str = "2026-11-23T00:00:00Z";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Longest a run may take before it is killed and reported (a run under faults waits out its
/// retries: seconds, not minutes).
const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// A slow answer's delay: late, well within the client's shortest timeout (5 s).
const SLOW: Duration = Duration::from_millis(500);

/// Runs under way at once. Actor processes mostly wait (on the emulator, on retry pauses).
const PARALLEL_RUNS: usize = 4;

/// One tool run: which tool, with which input, labelled for the table.
#[derive(Debug, Clone)]
struct Case {
    /// The table's name for it (a tool, or the orchestrated run).
    label: String,
    tool: &'static str,
    input: Value,
    /// Whether the tool keeps a `SNAPSHOT`.
    keeps_snapshot: bool,
}

/// A named plan of transient faults.
#[derive(Debug, Clone)]
struct Transient {
    name: &'static str,
    kinds: Vec<FaultKind>,
}

/// Everything the emulator shows of one finished run.
#[derive(Debug, Clone, Default)]
struct Outcome {
    status: String,
    exit_code: Option<i64>,
    status_message: String,
    output: Option<Value>,
    signals: Option<Value>,
    snapshot: bool,
    items: Vec<Value>,
    stats: FaultStats,
    /// Requests made with run tokens: the run's, and those of the runs it started.
    sent: u64,
    /// (method, path) of the run's own requests, in order (the fault-free run's tell the
    /// permanent faults where to aim).
    requests: Vec<(String, String)>,
    /// The end of the run's log, for a failure nobody expected.
    log_tail: String,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status == "SUCCEEDED"
    }

    fn ended(&self) -> String {
        format!(
            "{} (exit code {}): {}",
            self.status,
            self.exit_code
                .map_or_else(|| "none".to_owned(), |c| c.to_string()),
            self.status_message
        )
    }
}

/// The small seeded fleet with the tool actors, its scoped token, and one case per tool.
struct Fleet {
    fixture: Fixture,
    token: SecretString,
    cases: Vec<Case>,
    /// The orchestrated fleet-analytics run (two specialists as their own runs).
    orchestrated: Case,
    /// Ids of the fleet's own actors (not the tools).
    fleet_actor_ids: Vec<String>,
}

fn fleet(scale: Scale) -> anyhow::Result<Fleet> {
    let cfg = SynthConfig {
        seed: 1010,
        actors: match scale {
            Scale::Fast => 6,
            Scale::Full => 12,
        },
        days: 30,
        runs_per_day: 4.0,
        now: now(),
        ..SynthConfig::default()
    };
    let (fixture, truth) = generate(&cfg);
    let fleet_actor_ids: Vec<String> = fixture.actors.iter().map(|a| a.id().to_owned()).collect();
    let first = fixture
        .actors
        .first()
        .map(|a| a.name().to_owned())
        .ok_or_else(|| anyhow!("the synthetic fleet has no actors"))?;
    let planted = |kind: &str, cause: Option<&str>| {
        truth
            .planted
            .iter()
            .find(|p| p.kind == kind && cause.is_none_or(|c| p.details["cause"] == c))
            .map(|p| p.actor_name.clone())
            .unwrap_or_else(|| first.clone())
    };
    let gated = planted("schema-breaking-input", None);
    let compared = planted("failure-regression", Some("build"));
    let fixture = with_tools(fixture, now());
    let token = scoped_token(&fixture)?;
    let case = |tool: &'static str, input: Value| Case {
        label: tool.to_owned(),
        tool,
        input,
        keeps_snapshot: matches!(tool, "fleet-analytics" | "quality-monitor"),
    };
    let mut cases = Vec::new();
    for tool in crate::tools::TOOLS {
        let input = match *tool {
            "fleet-analytics" => json!({"asOf": AS_OF, "specialists": []}),
            "schema-validator" => json!({}),
            "release-gate" => json!({"actor": gated}),
            "ab-tester" => json!({"actor": compared, "asOf": AS_OF, "windowDays": 30}),
            _ => json!({"asOf": AS_OF}),
        };
        cases.push(case(tool, input));
    }
    let orchestrated = Case {
        label: "fleet-analytics + 2 specialists".into(),
        ..case(
            "fleet-analytics",
            json!({
                "asOf": AS_OF,
                "specialists": ["schema-validator", "compliance-scanner"],
                "specialistsOwner": crate::demo::PUBLISHER,
            }),
        )
    };
    Ok(Fleet {
        fixture,
        token,
        cases,
        orchestrated,
        fleet_actor_ids,
    })
}

/// The transient plans: each kind alone and all of them mixed (Full); mixed and a 429 storm
/// (Fast).
fn transient_plans(scale: Scale) -> Vec<Transient> {
    let all = vec![
        FaultKind::RateLimit,
        FaultKind::ServerError(500),
        FaultKind::ServerError(502),
        FaultKind::ServerError(503),
        FaultKind::Reset,
        FaultKind::Slow(SLOW),
        FaultKind::TruncatedBody,
        FaultKind::MalformedJson,
    ];
    let one = |name, kind| Transient {
        name,
        kinds: vec![kind],
    };
    let mixed = Transient {
        name: "mixed",
        kinds: all,
    };
    match scale {
        Scale::Fast => vec![mixed, one("429 storm", FaultKind::RateLimit)],
        Scale::Full => vec![
            mixed,
            one("429 storm", FaultKind::RateLimit),
            one("500", FaultKind::ServerError(500)),
            one("502 (HTML)", FaultKind::ServerError(502)),
            one("503 (HTML)", FaultKind::ServerError(503)),
            one("connection reset", FaultKind::Reset),
            one("slow (0.5 s)", FaultKind::Slow(SLOW)),
            one("truncated body", FaultKind::TruncatedBody),
            one("malformed JSON", FaultKind::MalformedJson),
        ],
    }
}

fn rates(scale: Scale) -> &'static [f64] {
    match scale {
        Scale::Fast => &[0.05, 0.20],
        Scale::Full => &[0.05, 0.20, 0.40],
    }
}

/// Starts `case` as an Actor process on a fresh emulator under `plan` (started through the API
/// with the fleet's scoped token, which the plan does not touch) and reads what it left.
async fn execute(
    h: &Harness,
    fleet: &Fleet,
    case: &Case,
    plan: Option<FaultPlan>,
) -> anyhow::Result<Outcome> {
    let mut config = platform_config(&h.actor_command);
    config.faults = plan;
    let emulator = Emulator::start(fleet.fixture.clone(), config)
        .await
        .context("starting the emulator")?;
    let result = execute_on(&emulator, fleet, case).await;
    emulator.shutdown().await;
    result
}

async fn execute_on(emulator: &Emulator, fleet: &Fleet, case: &Case) -> anyhow::Result<Outcome> {
    let client = ApiClient::new(&fleet.token, &emulator.base_url());
    let run = forge_runtime::owned::start_run(&client, &tool_actor_id(case.tool), &case.input)
        .await
        .with_context(|| format!("starting {}", case.label))?;
    let run_id = run.run_id().to_owned();
    let started = std::time::Instant::now();
    let finished = loop {
        let run = emulator
            .run(&run_id)
            .ok_or_else(|| anyhow!("the emulator lost run {run_id}"))?;
        if !matches!(run["status"].as_str(), Some("READY" | "RUNNING")) {
            break run;
        }
        if started.elapsed() > RUN_DEADLINE {
            emulator.kill_run_process(&run_id);
            return Err(anyhow!(
                "{} did not finish within {} s",
                case.label,
                RUN_DEADLINE.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let store = finished["defaultKeyValueStoreId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let dataset = finished["defaultDatasetId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let record = |key: &str| {
        emulator
            .kv_record(&store, key)
            .and_then(|(_, bytes)| serde_json::from_slice::<Value>(&bytes).ok())
    };
    let run_token = format!("run-token-{run_id}");
    let log = emulator.run_log(&run_id).unwrap_or_default();
    let log_tail: Vec<&str> = log.lines().rev().take(5).collect();
    let audit = emulator.audit_log();
    Ok(Outcome {
        status: finished["status"].as_str().unwrap_or("?").to_owned(),
        exit_code: finished["exitCode"].as_i64(),
        status_message: finished["statusMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        output: record("OUTPUT"),
        signals: record("SIGNALS"),
        snapshot: emulator.kv_record(&store, "SNAPSHOT").is_some(),
        items: emulator.dataset_items(&dataset),
        stats: emulator.fault_stats(),
        sent: audit
            .iter()
            .filter(|e| {
                e.token_id
                    .as_deref()
                    .is_some_and(|t| t.starts_with("run-token-"))
            })
            .count() as u64,
        requests: audit
            .into_iter()
            .filter(|e| e.token_id.as_deref() == Some(run_token.as_str()))
            .map(|e| (e.method, e.path))
            .collect(),
        log_tail: log_tail.into_iter().rev().collect::<Vec<_>>().join(" / "),
    })
}

/// OUTPUT without the time and run metadata; a missing OUTPUT compares as null.
fn comparable(output: &Option<Value>) -> Value {
    super::comparable(output.clone().unwrap_or(Value::Null))
}

/// The JSON pointers of every place `a` and `b` differ, in document order: a leaf that
/// differs, a key on one side only, an array element past the other's end.
fn differences(a: &Value, b: &Value) -> Vec<String> {
    fn walk(a: &Value, b: &Value, at: &mut String, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    match (x.get(key), y.get(key)) {
                        (Some(l), Some(r)) => walk(l, r, at, out),
                        _ => out.push(at.clone()),
                    }
                    at.truncate(len);
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                for i in 0..x.len().max(y.len()) {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    match (x.get(i), y.get(i)) {
                        (Some(l), Some(r)) => walk(l, r, at, out),
                        _ => out.push(at.clone()),
                    }
                    at.truncate(len);
                }
            }
            _ if a != b => out.push(at.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(a, b, &mut String::new(), &mut out);
    out
}

/// What a run left that two runs over the same fleet must share: OUTPUT without
/// `generatedAt` and `meta`, SIGNALS, and the dataset items.
fn results(run: &Outcome) -> [(&'static str, Value); 3] {
    [
        ("OUTPUT", comparable(&run.output)),
        ("SIGNALS", run.signals.clone().unwrap_or(Value::Null)),
        ("dataset items", Value::Array(run.items.clone())),
    ]
}

/// Every place two runs' results differ, as `OUTPUT /fleet/runs`.
fn result_differences(a: &Outcome, b: &Outcome) -> Vec<String> {
    results(a)
        .iter()
        .zip(results(b).iter())
        .flat_map(|((what, x), (_, y))| {
            differences(x, y)
                .into_iter()
                .map(move |p| format!("{what} {}", if p.is_empty() { "/" } else { p.as_str() }))
        })
        .collect()
}

/// The first place `run` differs from the fault-free run, leaving out the places two
/// fault-free runs differ too (`expected`: the clock of a tool without `asOf`, run ids).
fn difference(baseline: &Outcome, run: &Outcome, expected: &[String]) -> Option<String> {
    result_differences(baseline, run).into_iter().find(|d| {
        !expected.iter().any(|e| match e.strip_prefix('*') {
            Some(suffix) => d.ends_with(suffix),
            None => d == e || d.starts_with(&format!("{e}/")),
        })
    })
}

/// Left out wherever it appears (`*` + a pointer suffix) for a tool that takes no `asOf`.
const CLOCK_FIELD: &str = "*/firstSeenAt";

/// The permanent faults aimed at `case`, from the requests its fault-free run made: a read of
/// the fleet (a run list if it reads one) always 503 (a gateway's HTML page), and its last
/// write before `SNAPSHOT` (the dataset push, else the `SIGNALS` record) always 500.
fn permanent_faults(fleet: &Fleet, baseline: &Outcome) -> Vec<(String, PermanentFault)> {
    let reads_fleet = |path: &str| fleet.fleet_actor_ids.iter().any(|id| path.contains(id));
    let gets: Vec<&String> = baseline
        .requests
        .iter()
        .filter(|(m, p)| m == "GET" && reads_fleet(p))
        .map(|(_, p)| p)
        .collect();
    let mut out = Vec::new();
    if let Some(path) = gets
        .iter()
        .find(|p| p.ends_with("/runs"))
        .or_else(|| gets.first())
    {
        out.push((
            format!("GET {} always 503", shape(path)),
            PermanentFault {
                method: Some("GET".into()),
                path_contains: (*path).clone(),
                status: 503,
            },
        ));
    }
    let pushes = baseline
        .requests
        .iter()
        .any(|(m, p)| m == "POST" && p.ends_with("/items"));
    let (label, method, path) = if pushes {
        ("POST dataset items always 500", "POST", "/items")
    } else {
        ("PUT SIGNALS always 500", "PUT", "/records/SIGNALS")
    };
    out.push((
        label.to_owned(),
        PermanentFault {
            method: Some(method.into()),
            path_contains: path.into(),
            status: 500,
        },
    ));
    out
}

/// A path with its ids replaced by `{id}`, for the table.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let id_like = seg.len() >= 12 && seg.chars().all(|c| c.is_ascii_alphanumeric());
            if id_like {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What a permanently faulted run broke of its promise (empty: none).
fn permanent_problems(case: &Case, fault: &PermanentFault, run: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    if run.status != "FAILED" {
        problems.push(format!("ended {}, not FAILED", run.status));
    }
    if run.exit_code.unwrap_or(0) == 0 {
        problems.push(format!("exit code {:?}, not an error", run.exit_code));
    }
    let message = &run.status_message;
    let names_it = message.contains(&format!("{} failed", case.tool))
        && message.contains(&fault.status.to_string());
    if !names_it {
        problems.push(format!(
            "the status message does not say what failed (HTTP {}): {message:?}",
            fault.status
        ));
    }
    if case.keeps_snapshot && run.snapshot {
        problems.push("it wrote SNAPSHOT".into());
    }
    if run.stats.permanent == 0 {
        problems.push("the fault was never hit".into());
    }
    problems
}

/// One scenario run, waiting for its turn.
type Job = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Outcome>> + Send>>;

/// Runs `jobs` at most [`PARALLEL_RUNS`] at a time, results in the order given.
async fn run_all(jobs: Vec<Job>) -> anyhow::Result<Vec<anyhow::Result<Outcome>>> {
    let gate = Arc::new(tokio::sync::Semaphore::new(PARALLEL_RUNS));
    let mut handles = Vec::new();
    for job in jobs {
        let gate = gate.clone();
        handles.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            job.await
        }));
    }
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.context("a fault scenario panicked")?);
    }
    Ok(out)
}

fn percent(rate: f64) -> String {
    format!("{:.0} %", rate * 100.0)
}

/// A transient run's figures, by (case, plan).
#[derive(Debug, Default)]
struct Tally {
    runs: u64,
    requests: u64,
    injected: u64,
    survived: u64,
    identical: u64,
    by_kind: BTreeMap<String, u64>,
}

pub async fn run(h: &Harness) -> anyhow::Result<Section> {
    let fleet = Arc::new(fleet(h.scale)?);
    let harness = Arc::new(h.clone());
    let mut cases = fleet.cases.clone();
    cases.push(fleet.orchestrated.clone());

    // 1. Two fault-free runs of each case: the first is what faulted runs must give, and
    // where the second differs from it (the clock of a tool without `asOf`, run ids) is no
    // fault's doing.
    let jobs = cases
        .iter()
        .flat_map(|case| [case.clone(), case.clone()])
        .map(|case| {
            let (h, fleet) = (harness.clone(), fleet.clone());
            Box::pin(async move { execute(&h, &fleet, &case, None).await }) as Job
        })
        .collect();
    let mut fault_free = run_all(jobs).await?.into_iter();
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    let mut usable = Vec::new();
    let mut left_out = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let (Some(first), Some(second)) = (fault_free.next(), fault_free.next()) else {
            break;
        };
        match (first, second) {
            (Ok(b), Ok(c)) if b.succeeded() && c.succeeded() => {
                rows.push(vec![
                    case.label.clone(),
                    "none (fault-free, twice)".into(),
                    "2".into(),
                    thousands(b.sent + c.sent),
                    "0".into(),
                    "SUCCEEDED".into(),
                ]);
                let mut expected = result_differences(&b, &c);
                // A tool without `asOf` dates a new signal's `firstSeenAt` by its run's start:
                // two runs in the same millisecond agree there, later ones do not, so it is
                // left out by rule, not only when the two fault-free runs happened to differ.
                let takes_as_of = crate::tools::input_schema(case.tool)
                    .is_some_and(|schema| schema.contains("\"asOf\""));
                if !takes_as_of && !expected.iter().any(|e| e == CLOCK_FIELD) {
                    expected.push(CLOCK_FIELD.into());
                }
                if !expected.is_empty() {
                    left_out.push(format!(
                        "{}: {}",
                        case.label,
                        expected
                            .iter()
                            .map(|e| format!("`{e}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                usable.push((i, case.clone(), b, expected));
            }
            (Ok(b), _) if !b.succeeded() => failures.push(format!(
                "{}: the fault-free run ended {} (log: {})",
                case.label,
                b.ended(),
                b.log_tail
            )),
            (_, Ok(c)) if !c.succeeded() => failures.push(format!(
                "{}: the second fault-free run ended {} (log: {})",
                case.label,
                c.ended(),
                c.log_tail
            )),
            (Err(e), _) | (_, Err(e)) => {
                failures.push(format!("{}: a fault-free run: {e:#}", case.label))
            }
            _ => {}
        }
    }

    // 2. Transient plans at each rate, and permanent faults.
    let plans = transient_plans(h.scale);
    // (usable case, transient (plan, rate, seed) or permanent fault)
    type Spec = (
        usize,
        Option<(usize, f64, u64)>,
        Option<(String, PermanentFault)>,
    );
    let mut specs: Vec<Spec> = Vec::new();
    for (ci, (i, case, baseline, _)) in usable.iter().enumerate() {
        for (pi, _) in plans.iter().enumerate() {
            for (ri, rate) in rates(h.scale).iter().enumerate() {
                // Seeded by what the run is, so a plan hits the same requests every time.
                let seed = 0xfa17_0000 + (*i as u64) * 1000 + (pi as u64) * 10 + ri as u64;
                specs.push((ci, Some((pi, *rate, seed)), None));
            }
        }
        // The orchestrated run's permanent faults are its specialists' own (covered above).
        if case.label == case.tool {
            for p in permanent_faults(&fleet, baseline) {
                specs.push((ci, None, Some(p)));
            }
        }
    }
    let jobs = specs
        .iter()
        .map(|(ci, transient, permanent)| {
            let (h, fleet, case) = (harness.clone(), fleet.clone(), usable[*ci].1.clone());
            let plan = match (transient, permanent) {
                (Some((pi, rate, seed)), _) => {
                    FaultPlan::transient(*seed, *rate, &plans[*pi].kinds)
                }
                (None, Some((_, fault))) => FaultPlan::permanent(vec![fault.clone()]),
                (None, None) => FaultPlan::default(),
            };
            Box::pin(async move { execute(&h, &fleet, &case, Some(plan)).await }) as Job
        })
        .collect();
    let results = run_all(jobs).await?;

    let mut tallies: BTreeMap<(usize, usize), Tally> = BTreeMap::new();
    let mut permanent_rows = Vec::new();
    let (mut permanent_ok, mut permanent_total) = (0u64, 0u64);
    for ((ci, transient, permanent), result) in specs.iter().zip(results) {
        let (_, case, baseline, expected) = &usable[*ci];
        match (transient, permanent, result) {
            (Some((pi, rate, _)), _, result) => {
                let plan = &plans[*pi];
                let what = format!("{} under {} at {}", case.label, plan.name, percent(*rate));
                let tally = tallies.entry((*ci, *pi)).or_default();
                tally.runs += 1;
                let run = match result {
                    Ok(run) => run,
                    Err(e) => {
                        failures.push(format!("{what}: {e:#}"));
                        continue;
                    }
                };
                let injected = run.stats.injected_total();
                tally.requests += run.sent;
                tally.injected += injected;
                for (kind, n) in &run.stats.injected {
                    *tally.by_kind.entry(kind.clone()).or_default() += n;
                }
                let differs = difference(baseline, &run, expected);
                if differs.is_none() {
                    tally.identical += 1;
                }
                match (&differs, run.succeeded()) {
                    (None, true) => tally.survived += 1,
                    (_, false) => failures.push(format!(
                        "{what}: the run ended {} after {injected} fault(s) (log: {})",
                        run.ended(),
                        run.log_tail
                    )),
                    (Some(at), true) => {
                        failures.push(format!("{what}: {at} differs from the fault-free run's"))
                    }
                }
            }
            (None, Some((label, fault)), result) => {
                permanent_total += 1;
                let what = format!("{} with {label}", case.label);
                let run = match result {
                    Ok(run) => run,
                    Err(e) => {
                        failures.push(format!("{what}: {e:#}"));
                        continue;
                    }
                };
                let problems = permanent_problems(case, fault, &run);
                let result = if problems.is_empty() {
                    permanent_ok += 1;
                    format!(
                        "FAILED, exit code {}{}: \"{}\"",
                        run.exit_code.unwrap_or(0),
                        if case.keeps_snapshot {
                            ", no SNAPSHOT"
                        } else {
                            ""
                        },
                        run.status_message
                    )
                } else {
                    failures.push(format!("{what}: {}", problems.join("; ")));
                    format!("broken: {}", problems.join("; "))
                };
                permanent_rows.push(vec![
                    case.label.clone(),
                    format!("permanent: {label}"),
                    "1".into(),
                    thousands(run.sent),
                    thousands(run.stats.permanent),
                    result,
                ]);
            }
            (None, None, _) => {}
        }
    }

    let (mut requests, mut injected, mut survived_faults) = (0, 0, 0);
    let (mut identical, mut transient_runs) = (0, 0);
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut transient_rows = Vec::new();
    for ((ci, pi), t) in &tallies {
        requests += t.requests;
        injected += t.injected;
        identical += t.identical;
        transient_runs += t.runs;
        if t.survived == t.runs {
            survived_faults += t.injected;
        }
        for (k, n) in &t.by_kind {
            *by_kind.entry(k.clone()).or_default() += n;
        }
        let kinds: Vec<String> = t.by_kind.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        transient_rows.push(vec![
            usable[*ci].1.label.clone(),
            plans[*pi].name.to_owned(),
            t.runs.to_string(),
            thousands(t.requests),
            if kinds.is_empty() {
                "0".to_owned()
            } else {
                format!("{} ({})", thousands(t.injected), kinds.join(", "))
            },
            format!(
                "{}/{} survived, {}/{} identical",
                t.survived, t.runs, t.identical, t.runs
            ),
        ]);
    }
    rows.extend(transient_rows);
    rows.extend(permanent_rows);
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();

    let rate_list: Vec<String> = rates(h.scale).iter().map(|r| percent(*r)).collect();
    let summary = format!(
        "Every tool ran as an Actor process on the emulator, on a seeded fleet of {} actors, \
         each run on its own emulator (so no run sees another's SNAPSHOT): first without \
         faults, then under seeded transient faults at {} of its requests ({} plans: {}), at \
         most 3 in a row for the same request, then under permanent faults. The orchestrator \
         ran once more with two specialists as their own runs (started and awaited), whose \
         processes got the same faults.\n\n\
         Transient faults must change nothing: a run *survived* when it SUCCEEDED and its \
         OUTPUT (without `generatedAt` and `meta`), SIGNALS and dataset items equal the \
         fault-free run's. 429, 5xx and resets happen before the API does anything, so they \
         may hit any request; slow, truncated and malformed answers come after the API did \
         the work, so they only hit requests safe to send twice (GET, HEAD, PUT, DELETE, \
         `POST …/charge` with its idempotency key), never a run start or a dataset push. \
         apify-client retries 429, 5xx and transport errors (4 retries from 250 ms); the \
         runtime's transport re-sends a request safe to repeat whose 2xx JSON does not parse. \
         Permanent faults must end the run FAILED with a non-zero exit code, a status message \
         naming the HTTP status that stopped it, and no SNAPSHOT.\n\n\
         Requests are those of the Actor processes, retries included; faults by kind over \
         all runs: {}. Left out of the comparison, as two fault-free runs differ there too: \
         {}.",
        fleet.fleet_actor_ids.len(),
        rate_list.join(", "),
        plans.len(),
        plans.iter().map(|p| p.name).collect::<Vec<_>>().join(", "),
        if kinds.is_empty() {
            "none".to_owned()
        } else {
            kinds.join(", ")
        },
        if left_out.is_empty() {
            "nothing".to_owned()
        } else {
            left_out.join("; ")
        },
    );
    Ok(Section {
        title: "Faults".into(),
        summary,
        headers: [
            "Tool",
            "Faults",
            "Runs",
            "Requests",
            "Faults injected",
            "Result",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        headline: vec![
            ("requests".into(), thousands(requests)),
            ("faults injected".into(), thousands(injected)),
            ("faults survived".into(), thousands(survived_faults)),
            (
                "runs with identical output".into(),
                format!("{identical}/{transient_runs}"),
            ),
            (
                "permanent faults ending the run cleanly".into(),
                format!("{permanent_ok}/{permanent_total}"),
            ),
        ],
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_named_by_their_json_pointers() {
        let a = json!({"x": {"a/b": [1, 2, {"c": true}]}, "y": 1});
        assert!(differences(&a, &a.clone()).is_empty());
        let mut b = a.clone();
        b["x"]["a/b"][2]["c"] = json!(false);
        b["y"] = json!(2);
        b["z"] = json!(null);
        assert_eq!(differences(&a, &b), ["/x/a~1b/2/c", "/y", "/z"]);
        assert_eq!(differences(&json!([1]), &json!([1, 2])), ["/1"]);
        assert_eq!(differences(&json!(1), &json!(2)), [""]);
    }

    #[test]
    fn what_two_fault_free_runs_differ_in_is_left_out() {
        let run = |output: Value| Outcome {
            output: Some(output),
            ..Outcome::default()
        };
        let base = run(json!({"s": [{"firstSeenAt": "t1", "v": 1}], "generatedAt": "x"}));
        let other = run(json!({"s": [{"firstSeenAt": "t2", "v": 1}], "generatedAt": "y"}));
        let expected = result_differences(&base, &other);
        assert_eq!(expected, ["OUTPUT /s/0/firstSeenAt"]);
        assert_eq!(difference(&base, &other, &expected), None);
        let changed = run(json!({"s": [{"firstSeenAt": "t3", "v": 2}]}));
        assert_eq!(
            difference(&base, &changed, &expected).as_deref(),
            Some("OUTPUT /s/0/v")
        );
        // The clock field by rule: left out even where two fault-free runs agreed.
        let same = run(json!({"s": [{"firstSeenAt": "t1", "v": 1}]}));
        let rule = [CLOCK_FIELD.to_owned()];
        assert_eq!(difference(&base, &other, &rule), None);
        assert_eq!(
            difference(&same, &changed, &rule).as_deref(),
            Some("OUTPUT /s/0/v")
        );
    }

    #[test]
    fn paths_show_their_shape_and_figures_their_thousands() {
        assert_eq!(
            shape("/v2/actors/AbCdEf0123456789x/runs"),
            "/v2/actors/{id}/runs"
        );
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
