//! fleet-analytics as the orchestrator on the platform: it runs specialists as their own
//! Apify runs, reads the SIGNALS of the runs it started, and merges everything into one
//! Action Plan; a specialist that cannot run degrades its section, not the run.

use forge_tests::*;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specialists_run_as_their_own_runs_and_merge_into_one_plan() {
    let (fixture, truth) = fleet(42, 40);
    let token = apifyforge::demo::scoped_token(&fixture).unwrap();
    let emulator = start(fixture, BIN).await;
    let input = json!({
        "asOf": "2026-11-23T00:00:00Z",
        "specialists": ["cost-watchdog", "quality-monitor", "compliance-scanner"],
        "specialistsOwner": "apifyforge"
    });
    let output = orchestrate(&emulator, &token, &input).await;
    for tool in ["cost-watchdog", "quality-monitor", "compliance-scanner"] {
        assert_eq!(
            emulator.runs_of(tool).len(),
            1,
            "{tool} ran once, as its own run"
        );
    }
    let violations =
        contract_violations("actors/fleet-analytics/schemas/output.schema.json", &output);
    assert!(violations.is_empty(), "{violations:#?}");
    let plan = &output["actionPlan"];
    let items = plan["items"].as_array().unwrap();
    assert!(
        plan["degraded"].as_array().unwrap().is_empty(),
        "{}",
        plan["degraded"]
    );
    let tools: std::collections::BTreeSet<&str> = items
        .iter()
        .flat_map(|i| {
            i["tools"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
        })
        .collect();
    println!(
        "action plan: {} items from {tools:?}; first: {}",
        items.len(),
        items[0]["actorName"]
    );
    for t in [
        "fleet-analytics",
        "cost-watchdog",
        "quality-monitor",
        "compliance-scanner",
    ] {
        assert!(tools.contains(t), "{t} contributed");
    }
    // A failure spike is one item, however many tools saw it.
    let spike = truth
        .planted
        .iter()
        .find(|p| p.kind == "failure-spike")
        .unwrap();
    let spike_items: Vec<&Value> = items
        .iter()
        .filter(|i| i["actorId"] == spike.actor_id.as_str() && i["cause"] == "failures")
        .collect();
    assert_eq!(spike_items.len(), 1);
    assert!(
        spike_items[0]["tools"].as_array().unwrap().len() >= 2,
        "{}",
        spike_items[0]
    );
    // The leaked secret comes first.
    assert_eq!(items[0]["cause"], "compliance", "{}", items[0]);

    // The plan is kept in the SNAPSHOT: next week's "what changed" is computed against it.
    let snapshot = last_record(&emulator, "fleet-analytics", "SNAPSHOT");
    assert_eq!(
        snapshot["actionPlan"].as_array().unwrap().len(),
        items.len()
    );

    // Next week, nothing changed: nothing new, nothing resolved, stable keys.
    let again = orchestrate(&emulator, &token, &input).await;
    let changes = &again["actionPlan"]["changes"];
    assert!(changes["new"].as_array().unwrap().is_empty(), "{changes}");
    assert!(
        changes["resolved"].as_array().unwrap().is_empty(),
        "{changes}"
    );
    let keys = |p: &Value| -> Vec<String> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| format!("{} {}", i["key"], i["severity"]))
            .collect()
    };
    // Same items at the same levels: a repeat that is not alerted again is still to be fixed.
    assert_eq!(keys(&again["actionPlan"]), keys(plan));

    // The CLI flow runs the same specialists in-process with the user's token: same plan.
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
    assert_eq!(
        local["actionPlan"], output["actionPlan"],
        "the CLI plan differs"
    );
    for tool in ["cost-watchdog", "quality-monitor", "compliance-scanner"] {
        assert_eq!(
            emulator.runs_of(tool).len(),
            2,
            "two platform runs, none from the CLI: {tool}"
        );
    }

    // A specialist that does not exist degrades its section; the run still succeeds.
    let input = json!({
        "asOf": "2026-11-23T00:00:00Z",
        "specialists": ["cost-watchdog"],
        "specialistsOwner": "nobody"
    });
    let output = orchestrate(&emulator, &token, &input).await;
    let degraded = output["actionPlan"]["degraded"].as_array().unwrap();
    assert_eq!(degraded.len(), 1);
    assert_eq!(degraded[0]["tool"], "cost-watchdog");
    println!("degraded: {}", degraded[0]);
    emulator.shutdown().await;
}
