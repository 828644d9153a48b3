//! `apifyforge demo`: the whole product on one machine. A seeded synthetic fleet is served by
//! the emulator; fleet-analytics is started through `run-sync-get-dataset-items` exactly as
//! the platform would start it (a separate process, the platform's environment, a run token);
//! its findings are scored against what the generator planted.

use crate::detection::DetectionScore;
use anyhow::{anyhow, Context as _};
use chrono::{DateTime, SecondsFormat, Utc};
use forge_emulator::synth::{generate, GroundTruth, SynthConfig};
use forge_emulator::{ActorFixture, AuditEntry, Emulator, EmulatorConfig, Fixture, Permissions};
use forge_runtime::owned::run_sync_get_dataset_items;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The Store account that publishes the tools.
pub const PUBLISHER: &str = "apifyforge";

/// The emulator's id of a tool actor: 17 alphanumerics, like Apify's, derived from its name.
pub fn tool_actor_id(tool: &str) -> String {
    let letters: String = tool.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{letters:0<17}").chars().take(17).collect()
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub synth: SynthConfig,
    pub out_dir: PathBuf,
    /// argv that starts an Actor process (the tool's name is appended).
    pub actor_command: Vec<String>,
}

#[derive(Debug)]
pub struct DemoResult {
    pub runs: Vec<ToolRun>,
    pub truth: GroundTruth,
    pub requests: usize,
    pub audit: Vec<AuditEntry>,
    /// Requests outside the permitted reads of design §4 (none, unless something is wrong).
    pub violations: Vec<String>,
    pub out_dir: PathBuf,
}

/// A tool Actor as the Store publishes it, for the emulator to run.
pub fn tool_actor_fixture(tool: &str, created_at: DateTime<Utc>) -> ActorFixture {
    let created = created_at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let id = tool_actor_id(tool);
    let build_id = format!("{}B01", &id[..14]);
    let input_schema: Value = crate::tools::input_schema(tool)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    ActorFixture {
        actor: json!({
            "id": id, "userId": "apifyforgePublish", "name": tool,
            "username": PUBLISHER, "title": tool, "isPublic": true,
            "createdAt": created, "modifiedAt": created,
            "stats": {"totalBuilds": 1, "totalRuns": 0},
            "versions": [],
            "defaultRunOptions": {"build": "latest", "timeoutSecs": 300, "memoryMbytes": 256},
            "taggedBuilds": {"latest": {"buildId": build_id, "buildNumber": "0.1.1", "finishedAt": created}},
            // Published pay-per-event at the prices of its pay_per_event.json, so the runs
            // charge as they would in the Store.
            "pricingInfos": pay_per_event(tool).map(|events| vec![json!({
                "pricingModel": "PAY_PER_EVENT",
                "pricingPerEvent": {"actorChargeEvents": events},
                "minimalMaxTotalChargeUsd": null,
                "apifyMarginPercentage": 0.2,
                "createdAt": created,
                "startedAt": created,
            })]).unwrap_or_default(),
        }),
        builds: vec![json!({
            "id": build_id, "actId": id, "userId": "apifyforgePublish",
            "status": "SUCCEEDED", "startedAt": created, "finishedAt": created,
            "buildNumber": "0.1.1", "meta": {"origin": "API"},
            "inputSchema": input_schema.to_string(),
            "actorDefinition": {"actorSpecification": 1, "name": tool, "version": "0.1", "input": input_schema},
        })],
        runs: Vec::new(),
        datasets: Default::default(),
        behavior: None,
    }
}

/// The events a tool declares in `actors/<tool>/.actor/pay_per_event.json`.
pub fn pay_per_event(tool: &str) -> Option<Value> {
    let text = match tool {
        "fleet-analytics" => {
            include_str!("../../../actors/fleet-analytics/.actor/pay_per_event.json")
        }
        "schema-validator" => {
            include_str!("../../../actors/schema-validator/.actor/pay_per_event.json")
        }
        "release-gate" => include_str!("../../../actors/release-gate/.actor/pay_per_event.json"),
        "cost-watchdog" => include_str!("../../../actors/cost-watchdog/.actor/pay_per_event.json"),
        "quality-monitor" => {
            include_str!("../../../actors/quality-monitor/.actor/pay_per_event.json")
        }
        "ab-tester" => include_str!("../../../actors/ab-tester/.actor/pay_per_event.json"),
        "compliance-scanner" => {
            include_str!("../../../actors/compliance-scanner/.actor/pay_per_event.json")
        }
        _ => return None,
    };
    serde_json::from_str(text).ok()
}

/// Adds the tool actors to a user's fixture.
pub fn with_tools(mut fixture: Fixture, now: DateTime<Utc>) -> Fixture {
    for tool in crate::tools::TOOLS {
        fixture
            .actors
            .push(tool_actor_fixture(tool, now - chrono::Duration::days(400)));
    }
    fixture
}

/// The token of the fixture that carries exactly the five scoped permissions.
pub fn scoped_token(fixture: &Fixture) -> anyhow::Result<SecretString> {
    fixture
        .tokens
        .iter()
        .find(|t| t.permissions == Permissions::all_scoped())
        .map(|t| SecretString::from(t.token.clone()))
        .ok_or_else(|| anyhow!("the fixture has no token with the five scoped permissions"))
}

/// The emulator config that plays the platform with real Actor processes.
pub fn platform_config(actor_command: &[String]) -> EmulatorConfig {
    let mut commands = HashMap::new();
    for tool in crate::tools::TOOLS {
        let mut argv = actor_command.to_vec();
        argv.push(tool.to_string());
        commands.insert(tool.to_string(), argv);
    }
    EmulatorConfig {
        actor_commands: commands,
        ..Default::default()
    }
}

/// One tool run of the demo, as the platform ran it.
#[derive(Debug)]
pub struct ToolRun {
    pub tool: &'static str,
    /// What this run was for, in a few words.
    pub purpose: String,
    pub output: Value,
    pub signals: Value,
    pub items: Vec<Value>,
    /// The run's `REPORT` record: its OUTPUT as an HTML page.
    pub report: String,
    /// Detection quality, for tools scored against the ground truth.
    pub score: Option<DetectionScore>,
}

/// Runs `tool` through `run-sync-get-dataset-items` and reads what the run wrote.
async fn run_on_platform(
    emulator: &Emulator,
    token: &SecretString,
    tool: &'static str,
    purpose: String,
    input: Value,
) -> anyhow::Result<ToolRun> {
    forge_runtime::progress::report(&forge_runtime::progress::Progress::Step(format!(
        "{tool} on {purpose}"
    )));
    let items = run_sync_get_dataset_items(
        &emulator.base_url(),
        token,
        &format!("{PUBLISHER}/{tool}"),
        &input,
    )
    .await
    .with_context(|| format!("running {tool} through run-sync-get-dataset-items"))?;
    let run = emulator
        .runs_of(tool)
        .into_iter()
        .last()
        .ok_or_else(|| anyhow!("the emulator has no {tool} run"))?;
    let store = run["defaultKeyValueStoreId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let record = |key: &str| -> anyhow::Result<Value> {
        let (_, bytes) = emulator
            .kv_record(&store, key)
            .ok_or_else(|| anyhow!("{tool} wrote no {key}"))?;
        Ok(serde_json::from_slice(&bytes)?)
    };
    let (_, report) = emulator
        .kv_record(&store, "REPORT")
        .ok_or_else(|| anyhow!("{tool} wrote no REPORT"))?;
    Ok(ToolRun {
        tool,
        purpose,
        output: record("OUTPUT")?,
        signals: record("SIGNALS")?,
        items,
        report: String::from_utf8(report).context("REPORT is not UTF-8")?,
        score: None,
    })
}

fn all_signals(signals: &Value) -> Vec<Value> {
    ["signals", "acknowledged"]
        .iter()
        .flat_map(|k| signals[k].as_array().cloned().unwrap_or_default())
        .collect()
}

pub async fn run_demo(options: &DemoOptions) -> anyhow::Result<DemoResult> {
    let (fixture, truth) = generate(&options.synth);
    let fixture = with_tools(fixture, options.synth.now);
    let token = scoped_token(&fixture)?;
    let emulator = Emulator::start(fixture, platform_config(&options.actor_command))
        .await
        .context("starting the emulator")?;
    let as_of = options.synth.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut runs = Vec::new();

    // The fleet-wide tools, each scored against the ground truth of the kinds it detects.
    use crate::detection as d;
    type Rules = &'static [(&'static str, &'static str)];
    let scored: [(&'static str, &str, Value, Rules, Rules); 5] = [
        (
            "fleet-analytics",
            "the whole fleet",
            json!({"asOf": as_of}),
            d::FLEET_ANALYTICS,
            d::FLEET_ANALYTICS_ALSO_TRUE,
        ),
        (
            "schema-validator",
            "every actor's newest builds",
            json!({}),
            d::SCHEMA_VALIDATOR,
            d::SCHEMA_VALIDATOR_ALSO_TRUE,
        ),
        (
            "cost-watchdog",
            "the whole fleet's spend",
            json!({"asOf": as_of}),
            d::COST_WATCHDOG,
            d::COST_WATCHDOG_ALSO_TRUE,
        ),
        (
            "quality-monitor",
            "week-over-week regressions",
            json!({"asOf": as_of}),
            d::QUALITY_MONITOR,
            d::QUALITY_MONITOR_ALSO_TRUE,
        ),
        (
            "compliance-scanner",
            "every actor's newest build and listing",
            json!({"asOf": as_of}),
            d::COMPLIANCE_SCANNER,
            d::COMPLIANCE_SCANNER_ALSO_TRUE,
        ),
    ];
    for (tool, purpose, input, rules, also_true) in scored {
        let mut run = run_on_platform(&emulator, &token, tool, purpose.into(), input).await?;
        run.score = Some(d::score_with(
            &truth,
            &all_signals(&run.signals),
            rules,
            also_true,
        ));
        runs.push(run);
    }
    // ab-tester: a build planted to fail more, from history (no spend), and an experiment on
    // the planted A/B difference, within a budget.
    if let Some(p) = truth
        .planted
        .iter()
        .find(|p| p.kind == "failure-regression" && p.details["cause"] == "build")
    {
        runs.push(
            run_on_platform(
                &emulator,
                &token,
                "ab-tester",
                format!(
                    "{}: build {} against the build before it, from history",
                    p.actor_name,
                    p.details["buildNumber"].as_str().unwrap_or("?")
                ),
                json!({"actor": p.actor_name, "asOf": as_of, "windowDays": 30}),
            )
            .await?,
        );
    }
    if let Some(p) = truth.planted.iter().find(|p| p.kind == "ab-difference") {
        let (a, b) = (
            p.details["buildA"].as_str().unwrap_or("?"),
            p.details["buildB"].as_str().unwrap_or("?"),
        );
        runs.push(
            run_on_platform(
                &emulator,
                &token,
                "ab-tester",
                format!(
                    "{}: an experiment, build {a} against {b}, $40 at most",
                    p.actor_name
                ),
                json!({
                    "actor": p.actor_name, "mode": "experiment",
                    "variantA": {"build": a}, "variantB": {"build": b},
                    "maxRuns": 400, "maxBudgetUsd": 40, "runTimeoutSecs": 3600
                }),
            )
            .await?,
        );
    }
    // The gate on two releases the generator planted: one that breaks callers, one cosmetic.
    for (kind, why) in [
        ("schema-breaking-input", "a build that breaks its callers"),
        ("schema-cosmetic", "a cosmetic release"),
    ] {
        if let Some(p) = truth.planted.iter().find(|p| p.kind == kind) {
            let purpose = format!(
                "{} build {} ({why})",
                p.actor_name,
                p.details["toBuild"].as_str().unwrap_or("?")
            );
            runs.push(
                run_on_platform(
                    &emulator,
                    &token,
                    "release-gate",
                    purpose,
                    json!({"actor": p.actor_name}),
                )
                .await?,
            );
        }
    }
    // The orchestrator: every specialist as its own run (plus a release gate and an A/B
    // comparison from history where the planted problems are), one Action Plan.
    let planted = |kind: &str| truth.planted.iter().find(|p| p.kind == kind);
    let release_gates: Vec<Value> = planted("schema-breaking-input")
        .map(|p| json!({"actor": p.actor_name}))
        .into_iter()
        .collect();
    let ab_tests: Vec<Value> = truth
        .planted
        .iter()
        .find(|p| p.kind == "failure-regression" && p.details["cause"] == "build")
        .map(|p| json!({"actor": p.actor_name, "windowDays": 30}))
        .into_iter()
        .collect();
    runs.push(
        run_on_platform(
            &emulator,
            &token,
            "fleet-analytics",
            "the Action Plan: the specialists as their own runs, merged".into(),
            json!({
                "asOf": as_of,
                "specialists": ["schema-validator", "cost-watchdog", "quality-monitor", "compliance-scanner"],
                "specialistsOwner": PUBLISHER,
                "releaseGates": release_gates,
                "abTests": ab_tests,
            }),
        )
        .await?,
    );
    let tool_actors = crate::tools::TOOLS
        .iter()
        .map(|t| tool_actor_id(t))
        .collect();
    let audit = emulator.audit_log();
    let violations = crate::audit::violations(&audit, &emulator.started_runs(), &tool_actors);
    let requests = emulator.request_count();
    emulator.shutdown().await;

    let out = &options.out_dir;
    for (i, r) in runs.iter().enumerate() {
        let dir = out.join(format!("{}-{}", i + 1, r.tool));
        write_json(&dir.join("OUTPUT.json"), &r.output)?;
        write_json(&dir.join("SIGNALS.json"), &r.signals)?;
        write_json(&dir.join("dataset.json"), &Value::Array(r.items.clone()))?;
        let report = dir.join("REPORT.html");
        std::fs::write(&report, &r.report)
            .with_context(|| format!("writing {}", report.display()))?;
        if let Some(score) = &r.score {
            write_json(&dir.join("detection.json"), &serde_json::to_value(score)?)?;
        }
    }
    write_json(
        &out.join("ground-truth.json"),
        &serde_json::to_value(&truth)?,
    )?;
    write_json(&out.join("audit-log.json"), &serde_json::to_value(&audit)?)?;
    Ok(DemoResult {
        runs,
        truth,
        requests,
        audit,
        violations,
        out_dir: out.clone(),
    })
}

fn write_json(path: &Path, value: &Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("writing {}", path.display()))
}

fn score_line(score: &DetectionScore) -> String {
    let by_kind: Vec<String> = score
        .by_kind
        .iter()
        .map(|(k, v)| format!("{k} {}/{}", v.found, v.planted))
        .collect();
    format!(
        "  detection against the planted ground truth: precision {:.2}, recall {:.2} (found/planted: {})",
        score.precision,
        score.recall,
        by_kind.join(", ")
    )
}

/// A page a person reads in a terminal: each tool's verdict and what to fix first.
pub fn summary(r: &DemoResult) -> String {
    let mut s = String::new();
    let mut line = |t: String| {
        s.push_str(&t);
        s.push('\n');
    };
    line(format!(
        "apifyforge demo: {} actors, {} runs in {} days, served by a local Apify API emulator; each tool ran as the platform runs it.",
        r.runs.first().map(|f| f.output["fleet"]["actors"].as_u64().unwrap_or(0)).unwrap_or(0),
        r.runs.first().map(|f| f.output["collection"]["runsRead"].as_u64().unwrap_or(0)).unwrap_or(0),
        r.runs.first().map(|f| 2 * f.output["window"]["days"].as_u64().unwrap_or(0)).unwrap_or(0),
    ));
    for run in &r.runs {
        let o = &run.output;
        line(format!("\n== {} on {}", run.tool, run.purpose));
        line(format!("  {}", o["summary"].as_str().unwrap_or("")));
        match run.tool {
            "fleet-analytics" => {
                let f = &o["fleet"];
                let components: Vec<String> = f["healthScore"]["components"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        format!(
                            "{} {}",
                            c["component"].as_str().unwrap_or("?"),
                            c["score"]
                                .as_f64()
                                .map_or("-".into(), |v| format!("{v:.0}"))
                        )
                    })
                    .collect();
                let grades = &f["healthScore"]["grades"];
                line(format!(
                    "  health by component: {} (- = not checked); actors by grade: A {} B {} C {} D {} F {}; projected ${}/month; decision {}",
                    components.join(", "),
                    grades["A"], grades["B"], grades["C"], grades["D"], grades["F"],
                    f["projectedMonthlyUsd"],
                    o["decision"].as_str().unwrap_or("?")
                ));
            }
            "release-gate" => {
                line(format!(
                    "  verdict {} against {} ({})",
                    o["verdict"].as_str().unwrap_or("?"),
                    o["baseline"]["buildNumber"].as_str().unwrap_or("?"),
                    o["baselineReason"].as_str().unwrap_or("")
                ));
                for f in o["deciding"].as_array().into_iter().flatten().take(5) {
                    line(format!(
                        "    [{}] {} at `{}`: before {}, after {}\n        {}",
                        f["level"].as_str().unwrap_or("?"),
                        f["rule"].as_str().unwrap_or("?"),
                        f["path"].as_str().unwrap_or(""),
                        f["before"],
                        f["after"],
                        f["message"].as_str().unwrap_or("")
                    ));
                }
            }
            _ => {}
        }
        if let Some(items) = o["actionPlan"]["items"].as_array() {
            let shown = 12.min(items.len());
            line(format!(
                "  Action Plan: {} items ({} acknowledged apart), the first {shown}:",
                items.len(),
                o["actionPlan"]["acknowledged"]
                    .as_array()
                    .map_or(0, Vec::len)
            ));
            for (i, item) in items.iter().take(shown).enumerate() {
                let tools: Vec<&str> = item["tools"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let impact = &item["impact"];
                let mut figures = Vec::new();
                if let Some(usd) = impact["usdPerMonth"].as_f64().filter(|v| *v > 0.0) {
                    figures.push(format!("${usd:.2}/month"));
                }
                if let Some(f) = impact["failedRunsPerWeek"].as_f64().filter(|v| *v > 0.0) {
                    figures.push(format!("{f:.1} failed runs/week"));
                }
                if let Some(c) = impact["callersAffected"].as_u64() {
                    figures.push(format!("{c} callers"));
                }
                line(format!(
                    "  {:>2}. [{}] {}: {} ({}){}\n      evidence: {}\n      fix: {}",
                    i + 1,
                    item["severity"].as_str().unwrap_or("?"),
                    item["actorName"].as_str().unwrap_or("?"),
                    item["cause"].as_str().unwrap_or("?"),
                    tools.join(", "),
                    if figures.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", figures.join(", "))
                    },
                    item["titles"][0].as_str().unwrap_or(""),
                    item["topFix"].as_str().unwrap_or("")
                ));
            }
            if items.len() > shown {
                line(format!(
                    "      ... and {} more in OUTPUT.actionPlan",
                    items.len() - shown
                ));
            }
            let calls: Vec<String> = o["specialistRuns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    format!(
                        "{} ({}, {})",
                        c["call"].as_str().unwrap_or("?"),
                        c["mode"].as_str().unwrap_or("?"),
                        c["status"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            line(format!("  specialist runs: {}", calls.join(", ")));
            for d in o["actionPlan"]["degraded"].as_array().into_iter().flatten() {
                line(format!("  degraded: {} ({})", d["tool"], d["reason"]));
            }
            continue;
        }
        let signals = o["signals"].as_array().cloned().unwrap_or_default();
        if run.tool != "release-gate" && !signals.is_empty() {
            line("  What to fix first:".into());
            for (i, sig) in signals.iter().take(8).enumerate() {
                line(format!(
                    "  {:>2}. [{}] {}\n      fix: {}",
                    i + 1,
                    sig["severity"].as_str().unwrap_or("?"),
                    sig["title"].as_str().unwrap_or(""),
                    sig["recommendation"].as_str().unwrap_or("")
                ));
            }
            if signals.len() > 8 {
                line(format!(
                    "      ... and {} more in OUTPUT",
                    signals.len() - 8
                ));
            }
        }
        if let Some(score) = &run.score {
            line(score_line(score));
        }
    }
    line(format!(
        "\nAPI requests served by the emulator: {}; outside the permitted reads of the data-access model: {}",
        r.requests,
        r.violations.len()
    ));
    for v in r.violations.iter().take(10) {
        line(format!("  not permitted: {v}"));
    }
    line(format!(
        "Outputs: {}/<n>-<tool>/{{OUTPUT,SIGNALS,dataset}}.json and REPORT.html (open it in a browser), ground-truth.json, audit-log.json",
        r.out_dir.display()
    ));
    s
}
