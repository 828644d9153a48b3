//! fleet-analytics as the orchestrator, the parts that span runs and processes: shards,
//! `run-sync` and start-and-wait calls, a specialist killed mid-run, acknowledgements kept by
//! an earlier run with an expiry, and signal IDs that stay the same from run to run.

use forge_runtime::owned::run_sync_get_dataset_items;
use forge_tests::*;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

fn scoped(fixture: &forge_emulator::Fixture) -> SecretString {
    apifyforge::demo::scoped_token(fixture).expect("the fixture has a scoped token")
}

/// OUTPUT without what differs between the flows by nature: run ids and Console links.
fn flow_independent(output: &Value) -> Value {
    let mut o = comparable(output.clone());
    for call in o["specialistRuns"].as_array_mut().into_iter().flatten() {
        call["runId"] = Value::Null;
        call["consoleUrl"] = Value::Null;
    }
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_and_both_call_modes_give_the_cli_flows_output_and_a_killed_specialist_degrades_only_its_shard(
) {
    let (fixture, _) = fleet(42, 40);
    let token = scoped(&fixture);
    let emulator = start(fixture, BIN).await;
    // 40 actors in shards of at most 20: two runs per specialist. compliance-scanner's small
    // runs go through run-sync; quality-monitor is forced to start-and-wait.
    let input = json!({
        "asOf": "2026-11-23T00:00:00Z",
        "specialists": ["compliance-scanner", "quality-monitor"],
        "specialistsOwner": "apifyforge",
        "shardSize": 20,
        "specialistInputs": {"quality-monitor": {"minRuns": 8}},
    });
    let mut forced = input.clone();
    forced["syncBudgetSecs"] = json!(0);
    let output = orchestrate(&emulator, &token, &forced).await;
    let calls = output["specialistRuns"].as_array().unwrap();
    let labels: Vec<&str> = calls.iter().map(|c| c["call"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "compliance-scanner#1/2",
            "compliance-scanner#2/2",
            "quality-monitor#1/2",
            "quality-monitor#2/2"
        ]
    );
    assert!(
        calls.iter().all(|c| c["status"] == "SUCCEEDED"),
        "{calls:#?}"
    );
    assert!(calls.iter().all(|c| c["mode"] == "async"));
    assert_eq!(emulator.runs_of("quality-monitor").len(), 2);
    // Each shard's run saw its half of the fleet.
    let run = &emulator.runs_of("quality-monitor")[0];
    let input_of_shard: Value = serde_json::from_slice(
        &emulator
            .kv_record(run["defaultKeyValueStoreId"].as_str().unwrap(), "INPUT")
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(input_of_shard["actors"].as_array().unwrap().len(), 20);
    assert_eq!(input_of_shard["minRuns"], 8);

    // The same input through run-sync, then in the CLI flow: the same OUTPUT.
    let synced = orchestrate(&emulator, &token, &input).await;
    let modes: Vec<&str> = synced["specialistRuns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["sync"; 4]);
    let dir = tempfile::tempdir().unwrap();
    let out = cli_run(BIN, &emulator, token.expose_secret(), dir.path(), &input).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local = read_json(
        &dir.path()
            .join("storage/key_value_stores/default/OUTPUT.json"),
    );
    // The platform run compared is the first of its input (no previous plan), like the CLI's.
    let mut first = output.clone();
    for call in first["specialistRuns"].as_array_mut().unwrap() {
        call["mode"] = json!("sync");
    }
    assert_eq!(flow_independent(&local), flow_independent(&first));
    // Each shard keeps its own trend state for the next CLI run, as on the platform.
    let kept: Vec<String> = std::fs::read_dir(
        dir.path()
            .join("storage/key_value_stores/apifyforge-quality-monitor"),
    )
    .unwrap()
    .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
    .filter(|n| n.starts_with("SNAPSHOT-") && !n.contains("__metadata__"))
    .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");

    // Kill the second quality-monitor shard's process mid-run: its section is degraded with
    // a link to the run, the other shard's signals still count, and the run succeeds.
    let base = emulator.base_url();
    let token2 = token.clone();
    let killed_input = forced.clone();
    let orchestrator = tokio::spawn(async move {
        run_sync_get_dataset_items(&base, &token2, "apifyforge/fleet-analytics", &killed_input)
            .await
    });
    let before = emulator.runs_of("quality-monitor").len();
    let mut killed = None;
    for _ in 0..6000 {
        let runs = emulator.runs_of("quality-monitor");
        if runs.len() >= before + 2 {
            let id = runs[before + 1]["id"].as_str().unwrap().to_string();
            if emulator.kill_run_process(&id) {
                killed = Some(id);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed = killed.expect("the second shard's process was running and was killed");
    orchestrator
        .await
        .unwrap()
        .expect("fleet-analytics still succeeds");
    let output = last_record(&emulator, "fleet-analytics", "OUTPUT");
    let degraded = output["actionPlan"]["degraded"].as_array().unwrap();
    assert_eq!(degraded.len(), 1, "{degraded:#?}");
    assert_eq!(degraded[0]["tool"], "quality-monitor");
    assert!(degraded[0]["reason"]
        .as_str()
        .unwrap()
        .contains("quality-monitor#2/2"));
    assert!(degraded[0]["consoleUrl"]
        .as_str()
        .unwrap()
        .ends_with(&killed));
    let call = &output["specialistRuns"][3];
    assert_eq!(call["status"], "FAILED", "{call}");
    assert!(output["actionPlan"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("quality-monitor"))));
    println!("killed {killed}: {}", degraded[0]["reason"]);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgements_are_kept_by_the_snapshot_until_they_expire_and_signal_ids_are_stable() {
    let (fixture, _) = fleet(42, 40);
    let token = scoped(&fixture);
    let emulator = start(fixture, BIN).await;
    let at = |t: &str| {
        json!({
            "asOf": t,
            "specialists": ["compliance-scanner"],
            "specialistsOwner": "apifyforge",
        })
    };
    let first = orchestrate(&emulator, &token, &at("2026-11-20T00:00:00Z")).await;
    let top = first["actionPlan"]["items"][0].clone();
    let id = top["signals"][0].as_str().unwrap().to_string();

    // Acknowledged until the end of 21 November.
    let mut input = at("2026-11-20T00:00:00Z");
    input["acknowledgedSignals"] = json!([format!("{id} until 2026-11-21")]);
    let acked = orchestrate(&emulator, &token, &input).await;
    let is_acked = |o: &Value| {
        o["actionPlan"]["acknowledged"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["key"] == top["key"])
    };
    assert!(is_acked(&acked), "{}", acked["actionPlan"]);
    assert_eq!(acked["acknowledgements"]["active"][0]["id"], id.as_str());

    // The next run's input says nothing: the SNAPSHOT remembers.
    let kept = orchestrate(&emulator, &token, &at("2026-11-21T12:00:00Z")).await;
    assert!(is_acked(&kept));
    assert_eq!(kept["acknowledgements"]["active"][0]["source"], "stored");

    // After 21 November the signal is back, under the same ID, and the report says why.
    let back = orchestrate(&emulator, &token, &at("2026-11-23T00:00:00Z")).await;
    assert!(!is_acked(&back));
    assert_eq!(back["acknowledgements"]["expired"][0]["id"], id.as_str());
    let item = back["actionPlan"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == top["key"])
        .expect("the item is open again");
    assert!(item["signals"].as_array().unwrap().contains(&json!(id)));

    // Every compliance signal of the first run (they do not depend on the day) has the same
    // ID in the last one.
    let ids = |o: &Value| -> std::collections::BTreeSet<String> {
        ["items", "acknowledged"]
            .iter()
            .flat_map(|k| o["actionPlan"][k].as_array().unwrap().clone())
            .filter(|i| i["cause"] == "compliance" || i["cause"] == "store")
            .flat_map(|i| i["signals"].as_array().unwrap().clone())
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), ids(&back));

    // A malformed acknowledgement fails the run up front, naming the field.
    let mut bad = at("2026-11-23T00:00:00Z");
    bad["acknowledgedSignals"] = json!([format!("{id} until someday")]);
    run_sync_get_dataset_items(
        &emulator.base_url(),
        &token,
        "apifyforge/fleet-analytics",
        &bad,
    )
    .await
    .unwrap_err();
    let run = emulator
        .runs_of("fleet-analytics")
        .into_iter()
        .last()
        .unwrap();
    assert_eq!(run["status"], "FAILED");
    let message = run["statusMessage"].as_str().unwrap_or_default();
    assert!(message.contains("acknowledgedSignals[0]"), "{message}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_pages_once_for_new_act_now_items_and_not_again_when_nothing_changed() {
    let (fixture, _) = fleet(42, 40);
    let token = scoped(&fixture);
    let emulator = start(fixture, BIN).await;
    let (url, seen) = webhook_receiver("/hooks/T000/B000/not-a-real-secret").await;
    let input = json!({
        "asOf": "2026-11-23T00:00:00Z",
        "specialists": ["compliance-scanner"],
        "specialistsOwner": "apifyforge",
        "notify": url,
        "notifyFormat": "json",
    });
    let first = orchestrate(&emulator, &token, &input).await;
    let act_now: Vec<&Value> = first["actionPlan"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["severity"] == "high" || i["severity"] == "critical")
        .collect();
    assert!(!act_now.is_empty());
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "one message for the first run");
        let (head, body) = &seen[0];
        assert!(
            !head.to_ascii_lowercase().contains("authorization"),
            "{head}"
        );
        assert!(
            !head.contains(token.expose_secret())
                && !body.to_string().contains(token.expose_secret())
        );
        let keys: Vec<&Value> = body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["key"])
            .collect();
        let shown = keys.len() + body["more"].as_u64().unwrap() as usize;
        assert_eq!(shown, act_now.len(), "every act-now item, once: {body}");
        assert!(body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] == "new"));
    }
    // The webhook URL is a credential: not in OUTPUT, SNAPSHOT, or the run's log.
    let snapshot = last_record(&emulator, "fleet-analytics", "SNAPSHOT");
    let run = emulator
        .runs_of("fleet-analytics")
        .into_iter()
        .last()
        .unwrap();
    let log = emulator
        .run_log(run["id"].as_str().unwrap())
        .unwrap_or_default();
    for text in [first.to_string(), snapshot.to_string(), log] {
        assert!(!text.contains("not-a-real-secret"));
    }

    // The schedule runs again and nothing changed: nobody is paged.
    let again = orchestrate(&emulator, &token, &input).await;
    assert_eq!(seen.lock().unwrap().len(), 1, "no second message");
    assert!(again["notifications"]["alerts"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        again["notifications"]["suppressed"]
            .as_array()
            .unwrap()
            .len(),
        act_now.len()
    );
    emulator.shutdown().await;
}
