//! schema-validator and release-gate end to end on the emulator: planted schema changes are
//! found, a breaking build is blocked (exit code 3 in the CLI flow), a cosmetic one passes.

use forge_emulator::Permissions;
use forge_runtime::owned::run_sync_get_dataset_items;
use forge_tests::*;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

fn scoped(fixture: &forge_emulator::Fixture) -> String {
    fixture
        .tokens
        .iter()
        .find(|t| t.permissions == Permissions::all_scoped())
        .unwrap()
        .token
        .clone()
}

fn last_record(emulator: &forge_emulator::Emulator, tool: &str, key: &str) -> Value {
    let run = emulator.runs_of(tool).into_iter().last().expect("a run");
    let store = run["defaultKeyValueStoreId"].as_str().unwrap().to_string();
    let (_, bytes) = emulator
        .kv_record(&store, key)
        .unwrap_or_else(|| panic!("{tool} wrote no {key}"));
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_validator_finds_the_planted_drift_and_lint_problems() {
    let (fixture, truth) = fleet(21, 40);
    let token = SecretString::from(scoped(&fixture));
    let emulator = start(fixture, BIN).await;
    let items = run_sync_get_dataset_items(
        &emulator.base_url(),
        &token,
        "apifyforge/schema-validator",
        &json!({}),
    )
    .await
    .expect("schema-validator succeeds");
    assert_eq!(items.len(), 40, "one row per actor");
    let signals = last_record(&emulator, "schema-validator", "SIGNALS");
    let violations = contract_violations("schemas/signals.schema.json", &signals);
    assert!(violations.is_empty(), "{violations:#?}");
    let output = last_record(&emulator, "schema-validator", "OUTPUT");
    let violations = contract_violations(
        "actors/schema-validator/schemas/output.schema.json",
        &output,
    );
    assert!(violations.is_empty(), "{violations:#?}");
    let all: Vec<Value> = signals["signals"].as_array().unwrap().to_vec();
    let score = apifyforge::detection::score(&truth, &all, apifyforge::detection::SCHEMA_VALIDATOR);
    println!(
        "schema-validator detection: precision {:.3} recall {:.3} by kind {:?}; missed {:?}; false alarms {:?}",
        score.precision, score.recall, score.by_kind, score.missed, score.false_alarms
    );
    assert!(score.recall >= 0.9, "recall {:.3}", score.recall);
    assert!(score.precision >= 0.9, "precision {:.3}", score.precision);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_gate_blocks_breaking_builds_and_passes_cosmetic_ones() {
    let (fixture, truth) = fleet(21, 40);
    let token = scoped(&fixture);
    let emulator = start(fixture, BIN).await;
    let of_kind = |kind: &str| -> BTreeSet<String> {
        truth
            .planted
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.actor_name.clone())
            .collect()
    };
    let must_block: BTreeSet<String> = [
        "schema-breaking-input",
        "schema-breaking-dataset",
        "latest-build-failed",
    ]
    .iter()
    .flat_map(|k| of_kind(k))
    .collect();
    let may_block = of_kind("schema-lint");
    let cosmetic = of_kind("schema-cosmetic");
    assert!(!must_block.is_empty() && !cosmetic.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let (mut blocked, mut passed) = (BTreeSet::new(), BTreeSet::new());
    let names: Vec<String> = truth
        .planted
        .iter()
        .map(|p| p.actor_name.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for name in &names {
        let out = cli_run_tool(
            BIN,
            &emulator,
            &token,
            dir.path(),
            "release-gate",
            &json!({"actor": name}),
        )
        .await;
        let output = read_json(
            &dir.path()
                .join("storage/key_value_stores/default/OUTPUT.json"),
        );
        let verdict = output["verdict"].as_str().unwrap_or("?").to_string();
        assert_eq!(
            out.status.code(),
            Some(if verdict == "BLOCK" { 3 } else { 0 }),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if verdict == "BLOCK" {
            blocked.insert(name.clone());
        } else if verdict == "PASS" {
            passed.insert(name.clone());
        }
        if let Some(p) = truth
            .planted
            .iter()
            .find(|p| &p.actor_name == name && p.kind == "schema-breaking-input")
        {
            // The deciding finding names the field a developer must look at.
            let path = p.details["path"].as_str().unwrap();
            assert!(
                output["deciding"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["path"].as_str().unwrap_or("").starts_with(path)),
                "{name}: no deciding finding on {path}: {}",
                output["deciding"]
            );
        }
    }
    let found = must_block.intersection(&blocked).count();
    let false_blocks: Vec<_> = blocked
        .iter()
        .filter(|b| !must_block.contains(*b) && !may_block.contains(*b))
        .collect();
    println!(
        "release-gate: blocked {found}/{} breaking builds; false blocks {false_blocks:?}; cosmetic passed {}/{}",
        must_block.len(),
        cosmetic.intersection(&passed).count(),
        cosmetic.len()
    );
    assert_eq!(
        found,
        must_block.len(),
        "missed: {:?}",
        must_block.difference(&blocked).collect::<Vec<_>>()
    );
    assert!(false_blocks.is_empty());
    assert_eq!(
        cosmetic.intersection(&passed).count(),
        cosmetic.len(),
        "cosmetic changes must pass"
    );

    // On the platform the same gate is a SUCCEEDED run whose rows are the findings.
    let breaking = truth
        .planted
        .iter()
        .find(|p| p.kind == "schema-breaking-input")
        .unwrap();
    let secret = SecretString::from(token.clone());
    let rows = run_sync_get_dataset_items(
        &emulator.base_url(),
        &secret,
        "apifyforge/release-gate",
        &json!({"actor": breaking.actor_name}),
    )
    .await
    .expect("a BLOCK is a successful run on the platform");
    assert!(rows
        .iter()
        .any(|r| r["level"] == "err" && r["verdict"] == "BLOCK"));
    let output = last_record(&emulator, "release-gate", "OUTPUT");
    assert_eq!(output["verdict"], "BLOCK");
    assert_eq!(output["decision"], "act_now");
    let violations = contract_violations("actors/release-gate/schemas/output.schema.json", &output);
    assert!(violations.is_empty(), "{violations:#?}");
    let broken = json!({"schemaVersion": 1, "tool": "release-gate", "verdict": "MAYBE"});
    assert!(
        !contract_violations("actors/release-gate/schemas/output.schema.json", &broken).is_empty()
    );
    emulator.shutdown().await;
}
