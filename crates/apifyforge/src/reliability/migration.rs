//! Reliability suite: migration, abort and pay-per-event charging (see [`super`]).
//!
//! The tools run as Actor processes on the emulator, published pay-per-event at the prices of
//! their `pay_per_event.json`. Each case runs once undisturbed, then again on a fresh emulator
//! with the same fleet while the platform migrates the run mid-way: the events websocket
//! (`migrating`, `persistState`) or a bare SIGTERM, once or twice. The migrated run must end
//! as the undisturbed one did: the same OUTPUT (without `generatedAt` and `meta`), SIGNALS and
//! dataset items, the same `chargedEventCounts` (nothing charged twice) and the same number of
//! runs started (none started twice). Then the cap: a run whose `maxTotalChargeUsd` is below
//! its full price succeeds, charges at most the cap, pushes only the rows it charged for and
//! says so; one whose cap cannot pay for a single primary event fails before any work, naming
//! `maxTotalChargeUsd`. And a graceful abort: ABORTED, without a SNAPSHOT.
//!
//! Run ids differ between emulators, so every id of a run started in a case is replaced by
//! `<run>` before outputs are compared, and the run's start (the `now` of a tool without
//! `asOf`, which a migration keeps) by `<run start>`.

use super::comparable;
use super::{Harness, Scale, Section};
use crate::demo::{pay_per_event, platform_config, scoped_token, with_tools, PUBLISHER};
use anyhow::{anyhow, Context as _};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use forge_emulator::synth::{generate, GroundTruth, SynthConfig};
use forge_emulator::{Emulator, Fixture, Migration};
use forge_runtime::client::ApiClient;
use forge_runtime::owned::{start_run_with, StartOptions};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The fleet's fixed "now" (the analyses are pinned to it with `asOf`).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// The longest a case may take before it counts as hung.
const CASE_TIMEOUT: Duration = Duration::from_secs(600);
/// How often the scenario looks at the run.
const POLL: Duration = Duration::from_millis(2);
/// Runs of a disrupted case when the run finished before its disruption came (each earlier).
const ATTEMPTS: usize = 3;

/// The fleet every case runs against, and the token that starts the tools.
struct World {
    fixture: Fixture,
    token: SecretString,
}

/// When a disruption comes: after the run (with its children) made this many requests in
/// all, or after it started this many runs of its own.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Trigger {
    /// A share of the requests the undisturbed case made.
    Requests(f64),
    Children(usize),
}

/// A tool run, its input, and when its disruptions come.
#[derive(Debug, Clone)]
struct Case {
    tool: &'static str,
    label: String,
    input: Value,
    /// The k-th migration of a case disrupted `n` times comes at `triggers(n)[k]`.
    triggers: fn(usize) -> Vec<Trigger>,
}

fn by_requests(n: usize) -> Vec<Trigger> {
    (1..=n)
        .map(|k| Trigger::Requests(0.8 * k as f64 / (n + 1) as f64))
        .collect()
}

/// The orchestrator starts two specialists at a time: the first migration after one has
/// started, the second after the third has.
fn by_specialists(n: usize) -> Vec<Trigger> {
    [1, 3].into_iter().take(n).map(Trigger::Children).collect()
}

/// An experiment of up to 40 runs: after 6, then after 20.
fn by_experiment_runs(n: usize) -> Vec<Trigger> {
    [6, 20].into_iter().take(n).map(Trigger::Children).collect()
}

/// Four probes: after the first, then after the third.
fn by_probes(n: usize) -> Vec<Trigger> {
    [1, 3].into_iter().take(n).map(Trigger::Children).collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Disruption {
    None,
    Migrate(Migration, usize),
    Abort,
}

impl Disruption {
    fn describe(self) -> String {
        match self {
            Disruption::None => "undisturbed".into(),
            Disruption::Migrate(how, n) => format!(
                "migrated {} ({})",
                if n == 1 { "once" } else { "twice" },
                match how {
                    Migration::Events => "events",
                    Migration::Sigterm => "SIGTERM",
                }
            ),
            Disruption::Abort => "graceful abort".into(),
        }
    }
}

/// What one run of a case left behind.
#[derive(Debug, Clone)]
struct Outcome {
    status: String,
    status_message: String,
    migrations: u64,
    processes: u32,
    charged: BTreeMap<String, u64>,
    /// What the run's own ledger says it charged (`meta.charging.eventCounts`).
    ledger: Value,
    limit_reached: bool,
    children: usize,
    output: Option<Value>,
    signals: Option<Value>,
    items: Vec<Value>,
    snapshot: bool,
    /// Requests to the emulator in all (the run and the runs it started).
    requests: usize,
    /// Requests the run itself made (with its run token), in all its processes.
    own_requests: usize,
    /// Disruptions that came before the run finished.
    disrupted: usize,
}

impl Outcome {
    fn charged_text(&self) -> String {
        if self.charged.is_empty() {
            return "none".into();
        }
        self.charged
            .iter()
            .map(|(e, n)| format!("{e} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn charged_usd(&self, tool: &str) -> f64 {
        let prices = pay_per_event(tool).unwrap_or(Value::Null);
        self.charged
            .iter()
            .map(|(e, n)| prices[e]["eventPriceUsd"].as_f64().unwrap_or(0.0) * *n as f64)
            .sum()
    }
}

/// The fleet and the cases of `scale`.
fn world(scale: Scale) -> anyhow::Result<(World, Vec<Case>)> {
    let cfg = SynthConfig {
        seed: 31,
        actors: match scale {
            Scale::Fast => 20,
            Scale::Full => 24,
        },
        days: 60,
        runs_per_day: 6.0,
        now: now(),
        ..SynthConfig::default()
    };
    let (fixture, truth) = generate(&cfg);
    let fixture = with_tools(fixture, now());
    let token = scoped_token(&fixture)?;
    let as_of = now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let cases = cases(&fixture, &truth, &as_of)?;
    Ok((World { fixture, token }, cases))
}

fn planted(truth: &GroundTruth, kind: &str) -> anyhow::Result<forge_emulator::synth::Planted> {
    truth
        .planted
        .iter()
        .find(|p| p.kind == kind)
        .cloned()
        .ok_or_else(|| anyhow!("the fleet has no planted {kind}"))
}

fn cases(fixture: &Fixture, truth: &GroundTruth, as_of: &str) -> anyhow::Result<Vec<Case>> {
    let ab = planted(truth, "ab-difference")?;
    let breaking = planted(truth, "schema-breaking-input")?;
    let fleet_actors: Vec<String> = fixture
        .actors
        .iter()
        .map(|a| a.name().to_string())
        .filter(|n| !crate::tools::TOOLS.contains(&n.as_str()))
        .take(4)
        .collect();
    let probes: Vec<Value> = fleet_actors
        .iter()
        .map(|a| json!({"actor": a, "minItems": 1}))
        .collect();
    Ok(vec![
        Case {
            tool: "fleet-analytics",
            label: "fleet-analytics (orchestrator, 4 specialists as child runs)".into(),
            input: json!({
                "asOf": as_of,
                "specialists": ["schema-validator", "cost-watchdog", "quality-monitor", "compliance-scanner"],
                "specialistsOwner": PUBLISHER,
                "maxParallelSpecialists": 2,
            }),
            triggers: by_specialists,
        },
        Case {
            tool: "ab-tester",
            label: "ab-tester (experiment, up to 40 runs)".into(),
            input: json!({
                "actor": ab.actor_name, "mode": "experiment",
                "variantA": {"build": ab.details["buildA"]}, "variantB": {"build": ab.details["buildB"]},
                "maxRuns": 40, "maxBudgetUsd": 40, "runTimeoutSecs": 3600, "seed": 7,
                "asOf": as_of,
            }),
            triggers: by_experiment_runs,
        },
        Case {
            tool: "quality-monitor",
            label: format!("quality-monitor ({} probes)", probes.len()),
            input: json!({"asOf": as_of, "probes": probes}),
            triggers: by_probes,
        },
        Case {
            tool: "schema-validator",
            label: "schema-validator".into(),
            input: json!({}),
            triggers: by_requests,
        },
        Case {
            tool: "release-gate",
            label: "release-gate".into(),
            input: json!({"actor": breaking.actor_name}),
            triggers: by_requests,
        },
        Case {
            tool: "cost-watchdog",
            label: "cost-watchdog".into(),
            input: json!({"asOf": as_of}),
            triggers: by_requests,
        },
        Case {
            tool: "compliance-scanner",
            label: "compliance-scanner".into(),
            input: json!({"asOf": as_of}),
            triggers: by_requests,
        },
    ])
}

/// The cases and disruptions of `scale`: the long tools in the fast run, all seven in full.
fn plan(scale: Scale, cases: &[Case]) -> Vec<(Case, Vec<Disruption>)> {
    use Disruption::Migrate;
    use Migration::{Events, Sigterm};
    cases
        .iter()
        .filter_map(|c| {
            let disruptions = match (scale, c.tool) {
                (Scale::Fast, "fleet-analytics") => {
                    vec![Migrate(Events, 1), Migrate(Sigterm, 1), Migrate(Events, 2)]
                }
                (Scale::Fast, "ab-tester") => vec![Migrate(Sigterm, 1), Migrate(Events, 2)],
                (Scale::Fast, "quality-monitor") => vec![Migrate(Events, 1), Migrate(Sigterm, 2)],
                (Scale::Fast, _) => return None,
                (Scale::Full, _) => vec![
                    Migrate(Events, 1),
                    Migrate(Sigterm, 1),
                    Migrate(Events, 2),
                    Migrate(Sigterm, 2),
                ],
            };
            Some((c.clone(), disruptions))
        })
        .collect()
}

pub async fn run(h: &Harness) -> anyhow::Result<Section> {
    let (world, cases) = world(h.scale)?;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let (mut survived, mut migrated_runs, mut doubled) = (0u64, 0usize, 0usize);
    let mut references: BTreeMap<&'static str, Outcome> = BTreeMap::new();

    for (case, disruptions) in plan(h.scale, &cases) {
        let reference = run_case(h, &world, &case, Disruption::None, &[], None).await?;
        let check = |what: &str, ok: bool, failures: &mut Vec<String>| {
            if !ok {
                failures.push(format!("{}: {what}", case.label));
            }
        };
        check(
            &format!(
                "the undisturbed run ended {} ({})",
                reference.status, reference.status_message
            ),
            reference.status == "SUCCEEDED",
            &mut failures,
        );
        check(
            &format!(
                "the platform counted {} but the run's ledger says {}",
                json!(reference.charged),
                reference.ledger
            ),
            json!(reference.charged) == reference.ledger,
            &mut failures,
        );
        rows.push(row(&case, Disruption::None, &reference, &reference, true));
        for d in disruptions {
            let Disruption::Migrate(_, times) = d else {
                continue;
            };
            let mut triggers = (case.triggers)(times);
            let mut outcome = None;
            let mut attempts = 0;
            for _ in 0..ATTEMPTS {
                attempts += 1;
                let o = run_case_with(
                    h,
                    &world,
                    &case,
                    d,
                    &triggers,
                    Some(reference.requests),
                    None,
                )
                .await?;
                let done = o.disrupted == times;
                outcome = Some(o);
                if done {
                    break;
                }
                // The run was quicker than its disruptions: come earlier next time.
                triggers = triggers.iter().map(|t| earlier(*t)).collect();
            }
            let Some(o) = outcome else { continue };
            let same = same_results(&reference, &o);
            let mut problems = Vec::new();
            if o.disrupted < times {
                problems.push(format!(
                    "the run finished before migration {} of {times} came, in {ATTEMPTS} attempts",
                    o.disrupted + 1
                ));
            }
            if o.status != "SUCCEEDED" {
                problems.push(format!("ended {} ({})", o.status, o.status_message));
            }
            if o.migrations != o.disrupted as u64 || o.processes as u64 != o.migrations + 1 {
                problems.push(format!(
                    "{} migrations and {} processes for {} migrations asked",
                    o.migrations, o.processes, o.disrupted
                ));
            }
            if !same.is_empty() {
                problems.push(format!(
                    "differs from the undisturbed run: {}",
                    same.join(", ")
                ));
            }
            if o.charged != reference.charged {
                problems.push(format!(
                    "charged {} instead of {}",
                    o.charged_text(),
                    reference.charged_text()
                ));
            }
            if o.charged
                .iter()
                .any(|(e, n)| *n > reference.charged.get(e).copied().unwrap_or(0))
            {
                doubled += 1;
            }
            if o.children != reference.children {
                problems.push(format!(
                    "started {} runs instead of {}",
                    o.children, reference.children
                ));
            }
            if problems.is_empty() {
                survived += o.migrations;
                migrated_runs += 1;
            }
            for p in &problems {
                failures.push(format!("{} {}: {p}", case.label, d.describe()));
            }
            let mut r = row(&case, d, &reference, &o, same.is_empty());
            if attempts > 1 {
                r[1] = format!("{} (attempt {attempts}: earlier triggers)", r[1]);
            }
            rows.push(r);
        }
        references.insert(case.tool, reference);
    }

    let (cap_rows, cap_failures, caps_respected, caps_tried) =
        cap_scenarios(h, &world, &cases, &references).await?;
    failures.extend(cap_failures);
    let (abort_row, abort_failures) = abort_scenario(h, &world, &cases, &references).await?;
    failures.extend(abort_failures);

    let mut table = rows;
    table.extend(cap_rows);
    table.extend(abort_row);
    Ok(Section {
        title: "Migration, abort and pay-per-event charging".into(),
        summary: SUMMARY.into(),
        headers: [
            "tool",
            "scenario",
            "status",
            "migrations",
            "processes",
            "charges expected",
            "charges actual",
            "runs started",
            "requests",
            "same result",
        ]
        .map(String::from)
        .to_vec(),
        rows: table,
        headline: vec![
            (
                "migrations survived".into(),
                format!("{survived} in {migrated_runs} runs"),
            ),
            ("charges doubled".into(), doubled.to_string()),
            (
                "charge cap respected".into(),
                format!("{caps_respected} of {caps_tried} runs"),
            ),
        ],
        failures,
    })
}

const SUMMARY: &str = "The tools run as Actor processes on the emulator, published pay-per-event at the prices of their `pay_per_event.json`. Each case runs undisturbed, then again on a fresh emulator with the same fleet while the platform migrates the run mid-way: through the events websocket (`migrating`, then `persistState {isMigrating: true}`) or a bare SIGTERM, once or twice. A migrated run is restarted with the same run id, token and storages; it reads its progress record (`STATE`: the runs it started, the charges the platform accepted, the rows it pushed) and resumes.\n\n*Same result* means the migrated run's OUTPUT (without `generatedAt` and `meta`), SIGNALS and dataset items equal the undisturbed run's, run ids aside. *Charges* are the run's `chargedEventCounts` as the platform counted them: the migrated run's must equal the undisturbed run's (idempotency keys are `{runId}-{seq}-{event}`, the same in every process of a run). *Runs started* counts the runs the tool run started itself (specialists, experiment runs, probes): none may be started twice. *Requests* are those the run made with its own token, in all its processes (a resumed process reads the fleet again; what it had done it does not redo). The cap rows set `maxTotalChargeUsd` below the full price: the run must succeed, charge at most the cap, push only the rows it charged for, and say so in its status message; a cap below one primary event must fail up front, naming `maxTotalChargeUsd`. The abort row aborts a run gracefully mid-way: it must end ABORTED without writing SNAPSHOT, and charge for no probe it did not start and no row it did not push.";

/// A trigger that comes sooner.
fn earlier(t: Trigger) -> Trigger {
    match t {
        Trigger::Requests(f) => Trigger::Requests(f / 2.0),
        Trigger::Children(n) => Trigger::Children((n / 2).max(1)),
    }
}

fn row(case: &Case, d: Disruption, reference: &Outcome, o: &Outcome, same: bool) -> Vec<String> {
    vec![
        case.label.clone(),
        d.describe(),
        o.status.clone(),
        o.migrations.to_string(),
        o.processes.to_string(),
        reference.charged_text(),
        o.charged_text(),
        format!("{} (expected {})", o.children, reference.children),
        o.own_requests.to_string(),
        if same { "yes" } else { "NO" }.into(),
    ]
}

/// The parts of a migrated run that differ from the undisturbed one.
fn same_results(reference: &Outcome, o: &Outcome) -> Vec<String> {
    let mut diff = Vec::new();
    if reference.output != o.output {
        diff.push(format!(
            "OUTPUT at {}",
            first_difference(&reference.output, &o.output)
        ));
    }
    if reference.signals != o.signals {
        diff.push(format!(
            "SIGNALS at {}",
            first_difference(&reference.signals, &o.signals)
        ));
    }
    if reference.items != o.items {
        diff.push(format!(
            "dataset items ({} instead of {})",
            o.items.len(),
            reference.items.len()
        ));
    }
    diff
}

/// The JSON pointer of the first place where `a` and `b` differ ("" when they are equal).
fn first_difference<T: serde::Serialize>(a: &T, b: &T) -> String {
    fn walk(a: &Value, b: &Value, at: String) -> Option<String> {
        match (a, b) {
            _ if a == b => None,
            (Value::Object(x), Value::Object(y)) => x
                .keys()
                .chain(y.keys())
                .find_map(|k| {
                    walk(
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        format!("{at}/{k}"),
                    )
                })
                .or(Some(at)),
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| walk(p, q, format!("{at}/{i}")))
                .or(Some(at)),
            _ => Some(format!("{at} ({a} vs {b})").chars().take(300).collect()),
        }
    }
    let (a, b) = (json!(a), json!(b));
    walk(&a, &b, String::new()).unwrap_or_default()
}

/// The cap scenarios: below the full price (the run succeeds, charges at most the cap and
/// pushes only what it charged for), and below one primary event (it fails up front).
async fn cap_scenarios(
    h: &Harness,
    world: &World,
    cases: &[Case],
    references: &BTreeMap<&'static str, Outcome>,
) -> anyhow::Result<(Vec<Vec<String>>, Vec<String>, usize, usize)> {
    let tools: &[&str] = match h.scale {
        Scale::Fast => &["fleet-analytics", "quality-monitor"],
        Scale::Full => &[
            "fleet-analytics",
            "schema-validator",
            "cost-watchdog",
            "quality-monitor",
            "compliance-scanner",
        ],
    };
    let (mut rows, mut failures) = (Vec::new(), Vec::new());
    let (mut respected, mut tried) = (0, 0);
    for tool in tools {
        let Some(case) = cases.iter().find(|c| c.tool == *tool) else {
            continue;
        };
        // A standalone fleet-analytics here: its rows are the ones charged.
        let case = if *tool == "fleet-analytics" {
            Case {
                label: "fleet-analytics".into(),
                input: json!({"asOf": case.input["asOf"]}),
                ..case.clone()
            }
        } else {
            case.clone()
        };
        let reference = match references.get(tool) {
            Some(r) if case.tool != "fleet-analytics" => r.clone(),
            _ => run_case(h, world, &case, Disruption::None, &[], None).await?,
        };
        let full = reference.charged_usd(tool);
        let primary = primary_price(tool);
        // Under half the full price, rounded down to a tenth of a cent, and never below one
        // primary event.
        let cap = ((full * 0.45 * 1e4).floor() / 1e4).max(primary);
        tried += 1;
        let o = run_case(h, world, &case, Disruption::None, &[], Some(cap)).await?;
        let charged = o.charged_usd(tool);
        let mut problems = Vec::new();
        if o.status != "SUCCEEDED" {
            problems.push(format!("ended {} ({})", o.status, o.status_message));
        }
        if charged > cap + 1e-9 {
            problems.push(format!("charged ${charged:.6}, over the cap of ${cap}"));
        }
        if !o.limit_reached || !o.status_message.contains("maxTotalChargeUsd") {
            problems.push(format!(
                "the status message does not say the cap was reached: {:?}",
                o.status_message
            ));
        }
        let prefix = reference.items.get(..o.items.len()) == Some(&o.items[..]);
        if !prefix {
            problems.push("the rows pushed are not the first rows of the full run".into());
        }
        let per_row = ["fleet-analytics", "cost-watchdog", "quality-monitor"].contains(tool);
        let rows_charged = o.charged.get("actor-analysed").copied().unwrap_or(0) as usize;
        if per_row && o.items.len() != rows_charged {
            problems.push(format!(
                "{} rows pushed for {rows_charged} actor-analysed events",
                o.items.len()
            ));
        }
        if problems.is_empty() {
            respected += 1;
        }
        for p in &problems {
            failures.push(format!("{} with maxTotalChargeUsd ${cap}: {p}", case.label));
        }
        rows.push(vec![
            case.label.clone(),
            format!(
                "maxTotalChargeUsd ${cap} (full price ${full:.4}): {} of {} rows",
                o.items.len(),
                reference.items.len()
            ),
            o.status.clone(),
            o.migrations.to_string(),
            o.processes.to_string(),
            format!("at most ${cap}"),
            format!("{} = ${charged:.4}", o.charged_text()),
            format!("{} (expected at most {})", o.children, reference.children),
            o.own_requests.to_string(),
            if problems.is_empty() { "yes" } else { "NO" }.into(),
        ]);
    }
    // A cap that cannot pay for one primary event: FAILED before any work.
    if let Some(case) = cases.iter().find(|c| c.tool == "cost-watchdog") {
        let cap = primary_price(case.tool) / 2.0;
        tried += 1;
        let o = run_case(h, world, case, Disruption::None, &[], Some(cap)).await?;
        let ok = o.status == "FAILED"
            && o.status_message.contains("maxTotalChargeUsd")
            && o.charged.is_empty()
            && o.items.is_empty();
        if ok {
            respected += 1;
        } else {
            failures.push(format!(
                "{} with maxTotalChargeUsd ${cap} (below one event): ended {} ({:?}), charged {}",
                case.label,
                o.status,
                o.status_message,
                o.charged_text()
            ));
        }
        rows.push(vec![
            case.label.clone(),
            format!("maxTotalChargeUsd ${cap}, below one event: fails up front"),
            o.status.clone(),
            o.migrations.to_string(),
            o.processes.to_string(),
            "none".into(),
            o.charged_text(),
            o.children.to_string(),
            o.own_requests.to_string(),
            if ok { "yes" } else { "NO" }.into(),
        ]);
    }
    Ok((rows, failures, respected, tried))
}

/// A graceful abort mid-way of a tool that keeps trend state: ABORTED, no SNAPSHOT.
async fn abort_scenario(
    h: &Harness,
    world: &World,
    cases: &[Case],
    references: &BTreeMap<&'static str, Outcome>,
) -> anyhow::Result<(Vec<Vec<String>>, Vec<String>)> {
    let Some(case) = cases.iter().find(|c| c.tool == "quality-monitor") else {
        return Ok((Vec::new(), Vec::new()));
    };
    let reference = match references.get(case.tool) {
        Some(r) => r.clone(),
        None => run_case(h, world, case, Disruption::None, &[], None).await?,
    };
    let mut triggers = vec![Trigger::Children(1)];
    let mut o = run_case(h, world, case, Disruption::Abort, &triggers, None).await?;
    for _ in 1..ATTEMPTS {
        if o.disrupted == 1 {
            break;
        }
        triggers = vec![Trigger::Requests(0.3)];
        o = run_case_with(
            h,
            world,
            case,
            Disruption::Abort,
            &triggers,
            Some(reference.requests),
            None,
        )
        .await?;
    }
    let mut failures = Vec::new();
    // No probe charged that was not started, and no row charged that was not pushed.
    let probes_charged = o.charged.get("probe-run").copied().unwrap_or(0) as usize;
    let rows_charged = o.charged.get("actor-analysed").copied().unwrap_or(0) as usize;
    let ok = o.disrupted == 1
        && o.status == "ABORTED"
        && !o.snapshot
        && o.status_message.contains("aborted")
        && probes_charged <= o.children
        && rows_charged <= o.items.len();
    if !ok {
        failures.push(format!(
            "{} aborted gracefully: ended {} ({:?}), SNAPSHOT {}, {probes_charged} probes charged for {} started, {rows_charged} rows charged for {} pushed",
            case.label,
            o.status,
            o.status_message,
            if o.snapshot { "written" } else { "not written" },
            o.children,
            o.items.len()
        ));
    }
    let row = vec![
        case.label.clone(),
        Disruption::Abort.describe(),
        o.status.clone(),
        o.migrations.to_string(),
        o.processes.to_string(),
        format!("at most {}", reference.charged_text()),
        o.charged_text(),
        format!("{} (at most {})", o.children, reference.children),
        o.own_requests.to_string(),
        if ok {
            "ABORTED, no SNAPSHOT".to_string()
        } else {
            "NO".to_string()
        },
    ];
    Ok((vec![row], failures))
}

fn primary_price(tool: &str) -> f64 {
    pay_per_event(tool)
        .and_then(|events| {
            events.as_object().and_then(|m| {
                m.values()
                    .find(|e| e["isPrimaryEvent"] == true)
                    .and_then(|e| e["eventPriceUsd"].as_f64())
            })
        })
        .unwrap_or(0.0)
}

/// Runs `case` on a fresh emulator, with `disruption` at `triggers`, and reads what it left.
/// `reference_requests` is what the undisturbed run made in all (for [`Trigger::Requests`]);
/// `cap` is the run's `maxTotalChargeUsd`.
async fn run_case(
    h: &Harness,
    world: &World,
    case: &Case,
    disruption: Disruption,
    triggers: &[Trigger],
    cap: Option<f64>,
) -> anyhow::Result<Outcome> {
    run_case_with(h, world, case, disruption, triggers, None, cap).await
}

async fn run_case_with(
    h: &Harness,
    world: &World,
    case: &Case,
    disruption: Disruption,
    triggers: &[Trigger],
    reference_requests: Option<usize>,
    cap: Option<f64>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let emulator = Emulator::start(world.fixture.clone(), platform_config(&h.actor_command))
        .await
        .context("starting the emulator")?;
    let client = ApiClient::new(&world.token, &emulator.base_url());
    let options = StartOptions {
        max_total_charge_usd: cap,
        ..Default::default()
    };
    let run = start_run_with(
        &client,
        &format!("{PUBLISHER}~{}", case.tool),
        &case.input,
        &options,
    )
    .await
    .with_context(|| format!("starting {}", case.tool))?;
    let run_id = run.run_id().to_string();
    let starter = format!("run-token-{run_id}");
    let children = |e: &Emulator| {
        e.started_runs()
            .iter()
            .filter(|(_, s)| *s == starter)
            .count()
    };
    let mut disrupted = 0;
    loop {
        let status = emulator
            .run(&run_id)
            .and_then(|r| r["status"].as_str().map(str::to_string))
            .unwrap_or_default();
        if !matches!(status.as_str(), "READY" | "RUNNING" | "ABORTING" | "") {
            break;
        }
        if started.elapsed() > CASE_TIMEOUT {
            emulator.shutdown().await;
            return Err(anyhow!(
                "{} ({}) did not finish within {} s",
                case.label,
                disruption.describe(),
                CASE_TIMEOUT.as_secs()
            ));
        }
        if let Some(trigger) = triggers.get(disrupted) {
            let due = match *trigger {
                Trigger::Children(n) => children(&emulator) >= n,
                Trigger::Requests(share) => {
                    let total = reference_requests.unwrap_or(0) as f64;
                    emulator.request_count() as f64 >= share * total
                }
            };
            // Each migration waits for the previous one's restart, and an events migration for
            // the new process to listen.
            let ready = emulator.run_process_count(&run_id) as usize == disrupted + 1
                && (matches!(disruption, Disruption::Migrate(Migration::Sigterm, _))
                    || emulator.event_connections(&run_id) > 0);
            if due && ready {
                let sent = match disruption {
                    Disruption::Migrate(how, _) => emulator.migrate_run(&run_id, how),
                    Disruption::Abort => client.api().run(&run_id).abort(Some(true)).await.is_ok(),
                    Disruption::None => false,
                };
                if sent {
                    disrupted += 1;
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
    let outcome = read_outcome(&emulator, &run_id, &starter, disrupted);
    emulator.shutdown().await;
    outcome
}

/// What the run left: its status and counts, and its records and rows with run ids replaced.
fn read_outcome(
    emulator: &Emulator,
    run_id: &str,
    starter: &str,
    disrupted: usize,
) -> anyhow::Result<Outcome> {
    let run = emulator
        .run(run_id)
        .ok_or_else(|| anyhow!("the emulator lost run {run_id}"))?;
    let started_runs = emulator.started_runs();
    // Run ids, and the run's start: a tool without `asOf` analyses as of its run's start
    // (`ACTOR_STARTED_AT`, kept by a migration), which differs between two runs by design.
    let mut ids: BTreeMap<String, &str> = started_runs
        .iter()
        .filter_map(|(r, _)| Some((r["id"].as_str()?.to_string(), "<run>")))
        .collect();
    if let Some(t) = run["startedAt"].as_str().filter(|t| !t.is_empty()) {
        ids.insert(t.to_string(), "<run start>");
    }
    let store = run["defaultKeyValueStoreId"].as_str().unwrap_or_default();
    let record = |key: &str| {
        emulator
            .kv_record(store, key)
            .and_then(|(_, bytes)| serde_json::from_slice::<Value>(&bytes).ok())
    };
    let output = record("OUTPUT");
    let meta = output.as_ref().map(|o| o["meta"]["charging"].clone());
    let items = emulator.dataset_items(run["defaultDatasetId"].as_str().unwrap_or_default());
    Ok(Outcome {
        status: run["status"].as_str().unwrap_or_default().to_string(),
        status_message: run["statusMessage"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        migrations: run["stats"]["migrationCount"].as_u64().unwrap_or(0),
        processes: emulator.run_process_count(run_id),
        charged: run["chargedEventCounts"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                    .filter(|(_, n)| *n > 0)
                    .collect()
            })
            .unwrap_or_default(),
        ledger: meta
            .as_ref()
            .map(|m| m["eventCounts"].clone())
            .unwrap_or(json!({})),
        limit_reached: meta.as_ref().is_some_and(|m| m["limitReached"] == true),
        children: started_runs.iter().filter(|(_, s)| s == starter).count(),
        output: output.map(|o| without_ids(comparable(o), &ids)),
        signals: record("SIGNALS").map(|s| without_ids(s, &ids)),
        items: items.into_iter().map(|i| without_ids(i, &ids)).collect(),
        snapshot: emulator.kv_record(store, "SNAPSHOT").is_some(),
        requests: emulator.request_count(),
        own_requests: emulator
            .audit_log()
            .iter()
            .filter(|e| e.token_id.as_deref() == Some(starter))
            .count(),
        disrupted,
    })
}

/// `value` with every key of `ids` inside a string replaced by its value.
fn without_ids(value: Value, ids: &BTreeMap<String, &str>) -> Value {
    match value {
        Value::String(s) => {
            let mut s = s;
            for (id, by) in ids.iter().filter(|(id, _)| !id.is_empty()) {
                if s.contains(id.as_str()) {
                    s = s.replace(id.as_str(), by);
                }
            }
            Value::String(s)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|v| without_ids(v, ids)).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, without_ids(v, ids)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_replaced_wherever_they_appear() {
        let ids: BTreeMap<String, &str> = [("AbCdEfGhIjKlMnOpQ".to_string(), "<run>")].into();
        let v = json!({"runId": "AbCdEfGhIjKlMnOpQ", "url": "https://x/runs/AbCdEfGhIjKlMnOpQ", "n": 1, "l": ["AbCdEfGhIjKlMnOpQ"]});
        assert_eq!(
            without_ids(v, &ids),
            json!({"runId": "<run>", "url": "https://x/runs/<run>", "n": 1, "l": ["<run>"]})
        );
    }

    #[test]
    fn triggers_come_earlier_and_plans_cover_the_long_tools() {
        assert_eq!(earlier(Trigger::Children(6)), Trigger::Children(3));
        assert_eq!(earlier(Trigger::Children(1)), Trigger::Children(1));
        assert_eq!(by_requests(2).len(), 2);
        assert!(primary_price("ab-tester") > 0.0);
        let (_, cases) = world(Scale::Fast).expect("the fleet has what the cases need");
        let fast: Vec<&str> = plan(Scale::Fast, &cases)
            .iter()
            .map(|(c, _)| c.tool)
            .collect();
        assert_eq!(fast, ["fleet-analytics", "ab-tester", "quality-monitor"]);
        assert_eq!(plan(Scale::Full, &cases).len(), 7);
    }
}
