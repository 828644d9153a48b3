//! fleet-analytics end to end: on the emulator as the platform runs it (a child process
//! started by run-sync-get-dataset-items) and in the CLI flow, with the data-access promises
//! checked against the emulator's audit log.

use forge_emulator::{Permission, Permissions};
use forge_runtime::owned::{run_sync_get_dataset_items, RunSyncError};
use forge_tests::*;
use secrecy::SecretString;
use serde_json::Value;

const TOOL_ID: &str = "apifyforge/fleet-analytics";
const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

fn token_with(fixture: &forge_emulator::Fixture, permissions: &Permissions) -> String {
    fixture
        .tokens
        .iter()
        .find(|t| &t.permissions == permissions)
        .expect("token in fixture")
        .token
        .clone()
}

fn platform_output(emulator: &forge_emulator::Emulator, key: &str) -> Value {
    let run = emulator
        .runs_of("fleet-analytics")
        .into_iter()
        .last()
        .expect("a fleet-analytics run");
    let store = run["defaultKeyValueStoreId"].as_str().unwrap().to_string();
    let (_, bytes) = emulator
        .kv_record(&store, key)
        .unwrap_or_else(|| panic!("run wrote no {key}"));
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_and_cli_flows_give_identical_output_and_find_the_planted_problems() {
    let (fixture, truth) = fleet(7, 30);
    let token = token_with(&fixture, &Permissions::all_scoped());
    let emulator = start(fixture, BIN).await;
    let dir = tempfile::tempdir().unwrap();

    // The CLI flow first: it leaves no run behind on the platform side.
    let cli = cli_run(BIN, &emulator, &token, dir.path(), &input()).await;
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(cli.status.success(), "CLI flow failed: {stderr}");
    let cli_output = read_json(
        &dir.path()
            .join("storage/key_value_stores/default/OUTPUT.json"),
    );

    // The platform flow: run-sync-get-dataset-items starts the Actor as a process.
    let secret = SecretString::from(token.clone());
    let items = run_sync_get_dataset_items(&emulator.base_url(), &secret, TOOL_ID, &input())
        .await
        .expect("run-sync succeeds");
    let platform = platform_output(&emulator, "OUTPUT");

    assert_eq!(platform["meta"]["flow"], "platform");
    assert_eq!(cli_output["meta"]["flow"], "cli");
    assert_eq!(
        comparable(platform.clone()),
        comparable(cli_output.clone()),
        "OUTPUT differs between flows"
    );
    assert_eq!(platform["schemaVersion"], 1);
    assert!(platform["generatedAt"].is_string());
    assert_eq!(items.len(), 30, "one dataset row per actor");
    let first_row = read_json(&dir.path().join("storage/datasets/default/000000001.json"));
    assert_eq!(items[0], first_row, "the same rows in both flows");

    // Every output keeps its published contract.
    for (schema, key) in [
        (
            "actors/fleet-analytics/schemas/output.schema.json",
            "OUTPUT",
        ),
        ("schemas/signals.schema.json", "SIGNALS"),
        (
            "actors/fleet-analytics/schemas/snapshot.schema.json",
            "SNAPSHOT",
        ),
    ] {
        let violations = contract_violations(schema, &platform_output(&emulator, key));
        assert!(
            violations.is_empty(),
            "{key} breaks {schema}: {violations:#?}"
        );
    }
    assert!(contract_violations(
        "actors/fleet-analytics/schemas/output.schema.json",
        &cli_output
    )
    .is_empty());
    let broken =
        serde_json::json!({"schemaVersion": 1, "tool": "fleet-analytics", "decision": "maybe"});
    assert!(
        !contract_violations("actors/fleet-analytics/schemas/output.schema.json", &broken)
            .is_empty()
    );

    // Detection quality against the ground truth.
    let signals = platform_output(&emulator, "SIGNALS");
    let all: Vec<Value> = signals["signals"].as_array().unwrap().to_vec();
    let score = apifyforge::detection::score_with(
        &truth,
        &all,
        apifyforge::detection::FLEET_ANALYTICS,
        apifyforge::detection::FLEET_ANALYTICS_ALSO_TRUE,
    );
    println!(
        "detection: precision {:.3} recall {:.3} (tp {} fp {} fn {}) by kind {:?}; missed {:?}; false alarms {:?}",
        score.precision, score.recall, score.true_positives, score.false_positives, score.false_negatives,
        score.by_kind, score.missed, score.false_alarms
    );
    assert!(score.recall >= 0.9, "recall {:.3}", score.recall);
    assert!(score.precision >= 0.9, "precision {:.3}", score.precision);

    // The token is nowhere: outputs, local files, CLI streams, records, rows, audit log.
    let mut haystacks: Vec<(String, String)> = all_files_text(dir.path());
    haystacks.push((
        "cli stdout".into(),
        String::from_utf8_lossy(&cli.stdout).into(),
    ));
    haystacks.push(("cli stderr".into(), stderr.to_string()));
    for key in ["OUTPUT", "SIGNALS", "SNAPSHOT"] {
        haystacks.push((
            format!("platform {key}"),
            platform_output(&emulator, key).to_string(),
        ));
    }
    haystacks.push(("dataset items".into(), Value::Array(items).to_string()));
    for run in emulator.runs_of("fleet-analytics") {
        let id = run["id"].as_str().unwrap();
        let log = emulator.run_log(id).unwrap_or_default();
        assert!(
            log.contains("Fleet Health Score"),
            "the run log is captured: {log}"
        );
        haystacks.push((format!("run log {id}"), log));
    }
    let audit = emulator.audit_log();
    haystacks.push(("audit log".into(), serde_json::to_string(&audit).unwrap()));
    for (name, text) in &haystacks {
        assert!(!text.contains(&token), "the token appears in {name}");
    }

    // No request put a token in its URL; no dataset's items were read but our own run's.
    assert!(
        audit.iter().all(|e| !e.query.contains("token=")),
        "a request carried ?token="
    );
    let own_datasets: Vec<String> = emulator
        .runs_of("fleet-analytics")
        .iter()
        .map(|r| r["defaultDatasetId"].as_str().unwrap().to_string())
        .collect();
    let foreign_reads: Vec<_> = audit
        .iter()
        .filter(|e| {
            e.method == "GET" && e.path.starts_with("/v2/datasets/") && e.path.ends_with("/items")
        })
        .filter(|e| !own_datasets.iter().any(|d| e.path.contains(d.as_str())))
        .collect();
    assert!(
        foreign_reads.is_empty(),
        "read items of datasets we did not start: {foreign_reads:?}"
    );
    let own_stores: Vec<String> = emulator
        .runs_of("fleet-analytics")
        .iter()
        .map(|r| r["defaultKeyValueStoreId"].as_str().unwrap().to_string())
        .collect();
    let foreign_records: Vec<_> = audit
        .iter()
        .filter(|e| e.method == "GET" && e.path.contains("/records/"))
        .filter(|e| !own_stores.iter().any(|s| e.path.contains(s.as_str())))
        .collect();
    assert!(
        foreign_records.is_empty(),
        "read records of stores we did not write: {foreign_records:?}"
    );
    println!("audit: {} requests in total", audit.len());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_reports_week_over_week_from_its_own_previous_snapshot() {
    let (fixture, _) = fleet(11, 8);
    let token = SecretString::from(token_with(&fixture, &Permissions::all_scoped()));
    let emulator = start(fixture, BIN).await;
    run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input())
        .await
        .expect("first run");
    assert!(platform_output(&emulator, "OUTPUT")["weekOverWeek"].is_null());
    run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input())
        .await
        .expect("second run");
    let second = platform_output(&emulator, "OUTPUT");
    let wow = &second["weekOverWeek"];
    assert_eq!(wow["previousAsOf"], "2026-11-23T00:00:00Z", "{second}");
    assert_eq!(wow["healthScore"], 0.0);
    assert_eq!(wow["newSignals"], Value::Array(vec![]));
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_input_exits_2_naming_every_bad_field_before_any_api_call() {
    let (fixture, _) = fleet(3, 4);
    let token = token_with(&fixture, &Permissions::all_scoped());
    let emulator = start(fixture, BIN).await;
    let dir = tempfile::tempdir().unwrap();
    let bad = serde_json::json!({"windowDays": 3, "fdrQ": "high", "acknowledgedSignals": ["nope"]});
    let out = cli_run(BIN, &emulator, &token, dir.path(), &bad).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for field in ["windowDays", "fdrQ", "acknowledgedSignals/0"] {
        assert!(stderr.contains(field), "{field} not named in: {stderr}");
    }
    assert_eq!(
        emulator.request_count(),
        0,
        "no API call before the input is valid"
    );
    assert!(
        !dir.path()
            .join("storage/key_value_stores/default/OUTPUT.json")
            .exists(),
        "nothing half-written"
    );

    // A name in `actors` that is none of yours is a typo: named, not a smaller report.
    let typo = serde_json::json!({"actors": ["no-such-actor-anywhere"]});
    let out = cli_run(BIN, &emulator, &token, dir.path(), &typo).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("actors[0]") && stderr.contains("no-such-actor-anywhere"),
        "{stderr}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_missing_a_permission_gets_an_error_naming_it() {
    let (fixture, _) = fleet(5, 4);
    let tokens: Vec<(Permission, String)> = [
        Permission::ActorsRead,
        Permission::ActorsRun,
        Permission::ActorsListRuns,
        Permission::StoragesRead,
        Permission::StoragesWrite,
    ]
    .into_iter()
    .map(|p| (p, token_with(&fixture, &Permissions::all_but(p))))
    .collect();
    let emulator = start(fixture, BIN).await;
    for (missing, token) in tokens {
        let label = match missing {
            Permission::ActorsRead => "Actors: Read",
            Permission::ActorsRun => "Actors: Run",
            Permission::ActorsListRuns => "Actors: List runs",
            Permission::StoragesRead => "Storages: Read",
            Permission::StoragesWrite => "Storages: Write",
        };
        let secret = SecretString::from(token.clone());
        let message = match run_sync_get_dataset_items(
            &emulator.base_url(),
            &secret,
            TOOL_ID,
            &input(),
        )
        .await
        {
            Ok(_) => panic!("a token without {label} must not succeed"),
            Err(RunSyncError::RunFailed {
                run_id: Some(run_id),
                message,
            }) => {
                let run = emulator.run(&run_id).expect("the failed run exists");
                format!(
                    "{message}; status message: {}",
                    run["statusMessage"].as_str().unwrap_or("")
                )
            }
            Err(e) => e.to_string(),
        };
        println!("without {label}: {message}");
        assert!(message.contains(label), "without {label}: {message}");
        assert!(!message.contains(&token));
    }
    emulator.shutdown().await;
}
