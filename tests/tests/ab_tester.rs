//! ab-tester end to end on the emulator: a build planted to fail more is found worse from
//! history alone; an experiment on a planted difference reaches the right verdict and never
//! exceeds its run or dollar budget; a budget too small for one pair starts nothing.

use forge_emulator::synth::{generate, Families, SynthConfig};
use forge_emulator::Permissions;
use forge_runtime::owned::run_sync_get_dataset_items;
use forge_tests::*;
use secrecy::SecretString;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
const TOOL: &str = "ab-tester";
const TOOL_ID: &str = "apifyforge/ab-tester";

fn scoped(fixture: &forge_emulator::Fixture) -> SecretString {
    SecretString::from(
        fixture
            .tokens
            .iter()
            .find(|t| t.permissions == Permissions::all_scoped())
            .unwrap()
            .token
            .clone(),
    )
}

fn output(emulator: &forge_emulator::Emulator) -> Value {
    let run = emulator.runs_of(TOOL).into_iter().last().expect("a run");
    let store = run["defaultKeyValueStoreId"].as_str().unwrap().to_string();
    let (_, bytes) = emulator.kv_record(&store, "OUTPUT").expect("OUTPUT");
    serde_json::from_slice(&bytes).unwrap()
}

fn metric<'a>(out: &'a Value, name: &str) -> &'a Value {
    out["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_experiment_reach_the_planted_verdicts_within_budget() {
    let cfg = SynthConfig {
        seed: 11,
        actors: 30,
        days: 60,
        runs_per_day: 6.0,
        now: now(),
        families: Families {
            quality: true,
            ab: true,
            ..Families::NONE
        },
        quality_plants: Some(4),
        ..Default::default()
    };
    let (fixture, truth) = generate(&cfg);
    let fixture = apifyforge::demo::with_tools(fixture, now());
    let token = scoped(&fixture);
    let emulator = start(fixture, BIN).await;

    // History: the build planted to fail more is worse, with no run started.
    let planted = truth
        .planted
        .iter()
        .find(|p| p.kind == "failure-regression" && p.details["cause"] == "build")
        .expect("a build-tied failure regression");
    let input = json!({"actor": planted.actor_name, "asOf": "2026-11-23T00:00:00Z"});
    let rows = run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input)
        .await
        .expect("ab-tester succeeds");
    assert_eq!(rows.len(), 4, "one row per metric");
    let out = output(&emulator);
    println!("history: {}", out["summary"]);
    assert!(
        out["b"]["description"]
            .as_str()
            .unwrap()
            .contains(planted.details["buildNumber"].as_str().unwrap()),
        "{}",
        out["b"]
    );
    assert_eq!(
        out["verdict"],
        "A better",
        "{}",
        metric(&out, "successRate")
    );
    assert!(out["budget"].is_null());
    let violations = contract_violations("actors/ab-tester/schemas/output.schema.json", &out);
    assert!(violations.is_empty(), "{violations:#?}");

    // Experiment: the planted difference, within a budget.
    let ab = truth
        .planted
        .iter()
        .find(|p| p.kind == "ab-difference")
        .expect("an A/B difference is planted");
    let (max_runs, max_usd) = (160, 20.0);
    let input = json!({
        "actor": ab.actor_name, "mode": "experiment",
        "variantA": {"build": ab.details["buildA"]}, "variantB": {"build": ab.details["buildB"]},
        "maxRuns": max_runs, "maxBudgetUsd": max_usd, "runTimeoutSecs": 3600, "seed": 7
    });
    let before = emulator.runs_of(&ab.actor_name).len();
    run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input)
        .await
        .expect("the experiment succeeds");
    let out = output(&emulator);
    let started = emulator.runs_of(&ab.actor_name).len() - before;
    let budget = &out["budget"];
    println!("experiment: {}; budget {budget}", out["summary"]);
    assert_eq!(budget["runsStarted"].as_u64().unwrap() as usize, started);
    assert!(started as u64 <= max_runs);
    assert!(budget["usdSpent"].as_f64().unwrap() <= max_usd);
    assert_eq!(out["a"]["runs"], out["b"]["runs"]);
    assert_eq!(
        out["verdict"],
        "A better",
        "{}",
        metric(&out, "successRate")
    );
    assert_eq!(metric(&out, "duration")["verdict"], "A better");

    // A budget that cannot cover one pair starts nothing, and says so.
    let before = emulator.runs_of(&ab.actor_name).len();
    let tiny = json!({
        "actor": ab.actor_name, "mode": "experiment", "maxBudgetUsd": 0.0001, "runTimeoutSecs": 3600
    });
    run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &tiny)
        .await
        .expect("runs, starting nothing");
    let out = output(&emulator);
    assert_eq!(emulator.runs_of(&ab.actor_name).len(), before);
    assert!(out["budget"]["stoppedBecause"]
        .as_str()
        .unwrap()
        .contains("dollar budget"));
    assert_eq!(out["verdict"], "not enough data");
    emulator.shutdown().await;
}
