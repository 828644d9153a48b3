//! cost-watchdog end to end on the emulator: the planted cost problems are found with the
//! right cause and dollar figure, a fleet with no planted problem raises no alert, and the
//! run-detail requests stay bounded by the sample size.

use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::Permissions;
use forge_runtime::owned::run_sync_get_dataset_items;
use forge_tests::*;
use secrecy::SecretString;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
const TOOL_ID: &str = "apifyforge/cost-watchdog";

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

fn last_record(emulator: &forge_emulator::Emulator, key: &str) -> Value {
    let run = emulator
        .runs_of("cost-watchdog")
        .into_iter()
        .last()
        .expect("a run");
    let store = run["defaultKeyValueStoreId"].as_str().unwrap().to_string();
    let (_, bytes) = emulator
        .kv_record(&store, key)
        .unwrap_or_else(|| panic!("no {key}"));
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_watchdog_finds_the_planted_cost_problems_with_their_dollar_figures() {
    let (fixture, truth) = fleet(31, 40);
    let token = scoped(&fixture);
    let runs_of: std::collections::BTreeMap<String, Vec<Value>> = fixture
        .actors
        .iter()
        .map(|a| {
            (
                a.id().to_string(),
                a.runs.iter().map(|r| r.to_value()).collect(),
            )
        })
        .collect();
    let emulator = start(fixture, BIN).await;
    let input = json!({"asOf": "2026-11-23T00:00:00Z", "succeededSamplesPerActor": 30, "failedSamplesPerActor": 10});
    let rows = run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input)
        .await
        .expect("cost-watchdog succeeds");
    assert_eq!(rows.len(), 40, "one row per actor");
    let output = last_record(&emulator, "OUTPUT");
    let signals = last_record(&emulator, "SIGNALS");
    assert!(contract_violations("schemas/signals.schema.json", &signals).is_empty());
    let violations =
        contract_violations("actors/cost-watchdog/schemas/output.schema.json", &output);
    assert!(violations.is_empty(), "{violations:#?}");
    let mut broken = output.clone();
    broken["fleet"]["wasted"]["share"] = json!(1.5);
    assert!(
        !contract_violations("actors/cost-watchdog/schemas/output.schema.json", &broken).is_empty()
    );

    let all: Vec<Value> = signals["signals"].as_array().unwrap().to_vec();
    let score = apifyforge::detection::score_with(
        &truth,
        &all,
        apifyforge::detection::COST_WATCHDOG,
        apifyforge::detection::COST_WATCHDOG_ALSO_TRUE,
    );
    println!(
        "cost-watchdog detection: precision {:.3} recall {:.3} by kind {:?}; missed {:?}; false alarms {:?}",
        score.precision, score.recall, score.by_kind, score.missed, score.false_alarms
    );
    assert!(score.recall >= 0.9, "recall {:.3}", score.recall);
    assert!(score.precision >= 0.9, "precision {:.3}", score.precision);

    // The top money signal: the right actor, the right cause, a figure recomputed here.
    let top = all
        .iter()
        .find(|s| s["rule"] == "CW-COST-ANOMALY")
        .expect("an anomaly signal");
    let spike = truth
        .planted
        .iter()
        .find(|p| {
            p.kind == "cost-spike" && p.actor_id == top["subject"]["actorId"].as_str().unwrap()
        })
        .expect("the top anomaly is a planted cost spike");
    println!(
        "top anomaly: {} {} impact {}",
        top["title"], top["evidence"], top["impact"]
    );
    assert_eq!(spike.details["driver"], "more-runs");
    let actor = output["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["actorId"] == top["subject"]["actorId"])
        .unwrap();
    assert_eq!(
        actor["anomaly"]["drivers"]["primary"], "moreRuns",
        "{}",
        actor["anomaly"]
    );

    // The dollar figure, recomputed from the raw runs: the mean daily cost of the recent span
    // the signal reports (1, 3 or 7 days) minus the median daily cost of the 28 days before
    // the last week, over a month of 30.44 days.
    let as_of = now();
    let mut daily = [0.0f64; 35];
    for run in &runs_of[spike.actor_id.as_str()] {
        let started: chrono::DateTime<chrono::Utc> =
            run["startedAt"].as_str().unwrap().parse().unwrap();
        let age = (as_of - started).num_seconds();
        if (0..35 * 86_400).contains(&age) {
            daily[34 - (age / 86_400) as usize] += run["usageTotalUsd"].as_f64().unwrap_or(0.0);
        }
    }
    let span = top["evidence"]["recentDays"].as_u64().unwrap() as usize;
    let recent = daily[35 - span..].iter().sum::<f64>() / span as f64;
    let mut before = daily[..28].to_vec();
    before.sort_by(f64::total_cmp);
    let median = (before[13] + before[14]) / 2.0;
    let expected = (recent - median) * 30.44;
    let reported = top["impact"]["usdPerMonth"].as_f64().unwrap();
    println!("recomputed ${expected:.2}/month, reported ${reported:.2}/month");
    assert!(
        (reported - expected).abs() <= 0.01 * expected,
        "reported {reported}, recomputed {expected}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_with_no_planted_problem_raises_no_alert_and_detail_requests_stay_bounded() {
    let now = now();
    let cfg = SynthConfig {
        seed: 5,
        actors: 50,
        days: 90,
        runs_per_day: 6.0,
        now,
        clean: true,
        ..Default::default()
    };
    let (fixture, truth) = generate(&cfg);
    assert!(truth.planted.is_empty());
    let fixture = apifyforge::demo::with_tools(fixture, now);
    let token = scoped(&fixture);
    let emulator = start(fixture, BIN).await;
    let input = json!({"asOf": "2026-11-23T00:00:00Z", "succeededSamplesPerActor": 25, "failedSamplesPerActor": 5});
    run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input)
        .await
        .expect("cost-watchdog succeeds");
    let signals = last_record(&emulator, "SIGNALS");
    // Info signals are hygiene notes (a timeout far above p99), not alerts.
    let alerts: Vec<&Value> = signals["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["severity"] != "info")
        .collect();
    let titles: Vec<&str> = alerts
        .iter()
        .map(|s| s["title"].as_str().unwrap_or(""))
        .collect();
    assert!(alerts.is_empty(), "alerts on a clean fleet: {titles:#?}");
    let details = emulator
        .audit_log()
        .iter()
        .filter(|e| {
            e.method == "GET"
                && e.path.starts_with("/v2/actor-runs/")
                && e.path.matches('/').count() == 3
        })
        .count();
    println!(
        "run-detail requests: {details} for 50 actors (bound {})",
        50 * (25 + 5)
    );
    assert!(details <= 50 * (25 + 5), "{details} detail requests");
    emulator.shutdown().await;
}
