//! `apifyforge demo`: the whole product on one machine. A seeded synthetic fleet is served by
//! the emulator; fleet-analytics is started through `run-sync-get-dataset-items` exactly as
//! the platform would start it (a separate process, the platform's environment, a run token);
//! its findings are scored against what the generator planted.

use crate::detection::{score, DetectionScore};
use anyhow::{anyhow, Context as _};
use chrono::{DateTime, SecondsFormat, Utc};
use forge_emulator::synth::{generate, GroundTruth, SynthConfig};
use forge_emulator::{ActorFixture, AuditEntry, Emulator, EmulatorConfig, Fixture, Permissions};
use forge_runtime::owned::run_sync_get_dataset_items;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
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
    pub output: Value,
    pub signals: Value,
    pub items: Vec<Value>,
    pub truth: GroundTruth,
    pub score: DetectionScore,
    pub requests: usize,
    pub audit: Vec<AuditEntry>,
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

pub async fn run_demo(options: &DemoOptions) -> anyhow::Result<DemoResult> {
    let (fixture, truth) = generate(&options.synth);
    let fixture = with_tools(fixture, options.synth.now);
    let token = scoped_token(&fixture)?;
    let emulator = Emulator::start(fixture, platform_config(&options.actor_command))
        .await
        .context("starting the emulator")?;
    let input = json!({"asOf": options.synth.now.to_rfc3339_opts(SecondsFormat::Secs, true)});
    let items = run_sync_get_dataset_items(
        &emulator.base_url(),
        &token,
        &format!("{PUBLISHER}/fleet-analytics"),
        &input,
    )
    .await
    .context("running fleet-analytics through run-sync-get-dataset-items")?;
    let run = emulator
        .runs_of("fleet-analytics")
        .into_iter()
        .last()
        .ok_or_else(|| anyhow!("the emulator has no fleet-analytics run"))?;
    let store = run["defaultKeyValueStoreId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let record = |key: &str| -> anyhow::Result<Value> {
        let (_, bytes) = emulator
            .kv_record(&store, key)
            .ok_or_else(|| anyhow!("the run wrote no {key}"))?;
        Ok(serde_json::from_slice(&bytes)?)
    };
    let output = record("OUTPUT")?;
    let signals = record("SIGNALS")?;
    let all_signals: Vec<Value> = signals["signals"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(signals["acknowledged"].as_array().into_iter().flatten())
        .cloned()
        .collect();
    let score = score(&truth, &all_signals, crate::detection::FLEET_ANALYTICS);
    let audit = emulator.audit_log();
    let requests = emulator.request_count();
    emulator.shutdown().await;

    let out = &options.out_dir;
    write_json(&out.join("OUTPUT.json"), &output)?;
    write_json(&out.join("SIGNALS.json"), &signals)?;
    write_json(&out.join("dataset.json"), &Value::Array(items.clone()))?;
    write_json(
        &out.join("ground-truth.json"),
        &serde_json::to_value(&truth)?,
    )?;
    write_json(&out.join("detection.json"), &serde_json::to_value(&score)?)?;
    write_json(&out.join("audit-log.json"), &serde_json::to_value(&audit)?)?;
    Ok(DemoResult {
        output,
        signals,
        items,
        truth,
        score,
        requests,
        audit,
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

/// A page a person reads in a terminal: the score, the Action Plan, detection quality.
pub fn summary(r: &DemoResult) -> String {
    let o = &r.output;
    let f = &o["fleet"];
    let mut s = String::new();
    let line = |s: &mut String, t: String| {
        s.push_str(&t);
        s.push('\n');
    };
    line(
        &mut s,
        format!(
            "apifyforge demo: fleet-analytics on a synthetic fleet of {} actors",
            f["actors"]
        ),
    );
    line(&mut s, format!("  {}", o["summary"].as_str().unwrap_or("")));
    line(
        &mut s,
        format!(
            "  Fleet Health Score {} / 100 (lost: {})",
            f["healthScore"]["score"],
            f["healthScore"]["lost"]
                .as_object()
                .map(|m| m
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ),
    );
    line(
        &mut s,
        format!(
            "  runs {} (success {:.1} %), cost ${}, projected ${}/month; decision: {}",
            f["runs"]["total"],
            100.0 * f["successRate"]["value"].as_f64().unwrap_or(0.0),
            f["costUsd"],
            f["projectedMonthlyUsd"],
            o["decision"].as_str().unwrap_or("?")
        ),
    );
    line(&mut s, "\nAction Plan (most urgent first):".into());
    for (i, sig) in o["signals"]
        .as_array()
        .into_iter()
        .flatten()
        .take(12)
        .enumerate()
    {
        line(
            &mut s,
            format!(
                "  {:>2}. [{}] {}\n      fix: {}",
                i + 1,
                sig["severity"].as_str().unwrap_or("?"),
                sig["title"].as_str().unwrap_or(""),
                sig["recommendation"].as_str().unwrap_or("")
            ),
        );
    }
    let by_kind: BTreeMap<_, _> = r
        .score
        .by_kind
        .iter()
        .map(|(k, v)| (k.clone(), format!("{}/{}", v.found, v.planted)))
        .collect();
    line(
        &mut s,
        format!(
            "\nDetection against the planted ground truth: precision {:.2}, recall {:.2} (found/planted: {})",
            r.score.precision,
            r.score.recall,
            by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
        ),
    );
    line(
        &mut s,
        format!(
            "API requests seen by the emulator: {} (fleet-analytics read {} runs of {} actors)",
            r.requests, o["collection"]["runsRead"], o["collection"]["actors"]
        ),
    );
    line(
        &mut s,
        format!(
            "\nOutputs: {}/{{OUTPUT,SIGNALS,dataset,ground-truth,detection,audit-log}}.json",
            r.out_dir.display()
        ),
    );
    s
}
