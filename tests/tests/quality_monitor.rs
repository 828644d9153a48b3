//! quality-monitor end to end on the emulator: the regressions planted in a 200-actor fleet
//! are found with few false signals, a second run does not alert again on the same findings,
//! and probe runs check real output through run-sync-get-dataset-items.

use forge_emulator::synth::{generate, Families, SynthConfig};
use forge_emulator::Permissions;
use forge_runtime::owned::run_sync_get_dataset_items;
use forge_tests::*;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
const TOOL: &str = "quality-monitor";
const TOOL_ID: &str = "apifyforge/quality-monitor";

fn token_with(fixture: &forge_emulator::Fixture, permissions: Permissions) -> SecretString {
    SecretString::from(
        fixture
            .tokens
            .iter()
            .find(|t| t.permissions == permissions)
            .expect("the fixture has that token")
            .token
            .clone(),
    )
}

fn last_record(emulator: &forge_emulator::Emulator, key: &str) -> Value {
    let run = emulator.runs_of(TOOL).into_iter().last().expect("a run");
    let store = run["defaultKeyValueStoreId"].as_str().unwrap().to_string();
    let (_, bytes) = emulator
        .kv_record(&store, key)
        .unwrap_or_else(|| panic!("no {key}"));
    serde_json::from_slice(&bytes).unwrap()
}

fn alerts(signals: &Value) -> Vec<Value> {
    signals["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["severity"] != "info")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quality_monitor_finds_the_planted_regressions_of_a_200_actor_fleet() {
    let cfg = SynthConfig {
        seed: 11,
        actors: 200,
        days: 60,
        runs_per_day: 6.0,
        now: now(),
        families: Families {
            fleet: false,
            schema: false,
            cost: false,
            quality: true,
            ab: false,
            compliance: false,
        },
        quality_plants: Some(10),
        ..Default::default()
    };
    let (fixture, truth) = generate(&cfg);
    assert_eq!(truth.planted.len(), 10);
    let fixture = apifyforge::demo::with_tools(fixture, now());
    let token = token_with(&fixture, Permissions::all_scoped());
    let emulator = start(fixture, BIN).await;
    let rows = run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input())
        .await
        .expect("quality-monitor succeeds");
    assert_eq!(rows.len(), 200, "one row per actor");
    let output = last_record(&emulator, "OUTPUT");
    let signals = last_record(&emulator, "SIGNALS");
    assert!(contract_violations("schemas/signals.schema.json", &signals).is_empty());
    let violations =
        contract_violations("actors/quality-monitor/schemas/output.schema.json", &output);
    assert!(violations.is_empty(), "{violations:#?}");

    let all = alerts(&signals);
    let score = apifyforge::detection::score_with(
        &truth,
        &all,
        apifyforge::detection::QUALITY_MONITOR,
        apifyforge::detection::QUALITY_MONITOR_ALSO_TRUE,
    );
    // Detection delay of the per-run CUSUM, in runs from the estimated change to the alarm.
    let mut delays: Vec<u64> = output["actors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            truth
                .planted
                .iter()
                .any(|p| p.actor_id == a["actorId"] && p.kind == "failure-regression")
        })
        .filter_map(|a| a["cusum"]["runsToAlarm"].as_u64())
        .collect();
    delays.sort_unstable();
    println!(
        "quality-monitor on 200 actors, 10 planted: found {} of {}, {} false signals \
         (precision {:.3}, recall {:.3}); by kind {:?}; missed {:?}; false alarms {:?}; \
         CUSUM delays (runs) {:?}; API requests {}; families {}",
        score.true_positives,
        truth.planted.len(),
        score.false_positives,
        score.precision,
        score.recall,
        score.by_kind,
        score.missed,
        score.false_alarms,
        delays,
        output["meta"]["apiRequests"],
        output["families"]
    );
    assert!(score.true_positives >= 9, "found {}", score.true_positives);
    assert!(score.false_positives <= 1, "{:?}", score.false_alarms);
    for control in &truth.controls {
        assert!(
            all.iter()
                .all(|s| s["subject"]["actorId"] != control.actor_id.as_str()),
            "an alert on the noise control {}",
            control.actor_name
        );
    }
    // Build-tied plants are named by their build.
    for p in truth
        .planted
        .iter()
        .filter(|p| p.details["cause"] == "build")
    {
        let found = all
            .iter()
            .find(|s| s["subject"]["actorId"] == p.actor_id.as_str())
            .map(|s| s["subject"]["buildNumber"].clone());
        if let Some(build) = found {
            assert_eq!(build, p.details["buildNumber"], "{}", p.actor_name);
        }
    }

    // The same week again: the findings are reported, none alerts a second time.
    run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input())
        .await
        .expect("the second run succeeds");
    let again = last_record(&emulator, "SIGNALS");
    let repeated: Vec<&Value> = again["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["evidence"]["alert"] == "repeat")
        .collect();
    assert!(alerts(&again).is_empty(), "{:#?}", alerts(&again));
    assert_eq!(repeated.len(), signals["signals"].as_array().unwrap().len());
    let second = last_record(&emulator, "OUTPUT");
    assert_eq!(second["decision"], "ignore");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_check_real_output_and_name_the_permission_they_need() {
    let (fixture, _) = fleet(3, 12);
    let names: Vec<String> = fixture
        .actors
        .iter()
        .filter(|a| a.behavior.is_some())
        .map(|a| a.actor["name"].as_str().unwrap().to_string())
        .take(2)
        .collect();
    let token = token_with(&fixture, Permissions::all_scoped());
    let no_run = token_with(
        &fixture,
        Permissions::all_but(forge_core::permission::Permission::ActorsRun),
    );
    let emulator = start(fixture, BIN).await;
    let input = json!({
        "asOf": "2026-11-23T00:00:00Z",
        "actors": [names[0], names[1]],
        "probes": [
            {"actor": names[0], "input": {"maxItems": 2}, "minItems": 2, "requiredFields": ["url", "title"]},
            {"actor": names[1], "requiredFields": ["url", "rating"], "minItems": 1},
            {"actor": "no-such-actor"}
        ]
    });
    run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input)
        .await
        .expect("quality-monitor succeeds");
    let output = last_record(&emulator, "OUTPUT");
    let probes = output["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 3);
    assert_eq!(probes[0]["passed"], true, "{}", probes[0]);
    assert_eq!(probes[1]["passed"], false, "{}", probes[1]);
    assert!(probes[1]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["check"] == "fillRate" && c["passed"] == false));
    assert_eq!(probes[2]["passed"], false);
    let signals = last_record(&emulator, "SIGNALS");
    let rules: Vec<&str> = signals["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["rule"].as_str())
        .collect();
    assert!(rules.contains(&"QM-PROBE-FILL-RATE"), "{rules:?}");

    // Without Actors: Run (the CLI flow: on the platform the tool itself could not start) a
    // probe cannot start: it fails naming the permission, and the rest of the report stands.
    let dir = tempfile::tempdir().unwrap();
    let out = cli_run_tool(
        BIN,
        &emulator,
        no_run.expose_secret(),
        dir.path(),
        TOOL,
        &input,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let output = read_json(
        &dir.path()
            .join("storage/key_value_stores/default/OUTPUT.json"),
    );
    let probe = &output["probes"][0];
    assert_eq!(probe["passed"], false);
    assert!(probe.to_string().contains("Actors: Run"), "{probe}");
    assert_eq!(output["actors"].as_array().unwrap().len(), 2);
    emulator.shutdown().await;
}
