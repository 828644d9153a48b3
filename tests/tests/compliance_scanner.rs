//! compliance-scanner end to end on the emulator: every planted secret is found and no
//! output, record, row or log line contains it; clean actors are not flagged above `low`;
//! precision and recall against the planted ground truth are printed.

use forge_emulator::Permissions;
use forge_runtime::owned::run_sync_get_dataset_items;
use forge_tests::*;
use secrecy::SecretString;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
const TOOL: &str = "compliance-scanner";
const TOOL_ID: &str = "apifyforge/compliance-scanner";
const PREFIXES: [&str; 7] = [
    "apify_api_",
    "AKIA",
    "ghp_",
    "xoxb-",
    "sk_live_",
    "AIza",
    "sk-proj-",
];

/// Every credential-looking token in the fixture's builds: the secrets we planted.
fn planted_secrets(fixture: &forge_emulator::Fixture) -> Vec<String> {
    let mut out = Vec::new();
    for a in &fixture.actors {
        let text = serde_json::to_string(&a.builds).unwrap();
        for p in PREFIXES {
            for (i, _) in text.match_indices(p) {
                let token: String = text[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c))
                    .collect();
                if token.len() >= p.len() + 16 {
                    out.push(token);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_are_found_masked_and_clean_actors_stay_quiet() {
    let (fixture, truth) = fleet(42, 60);
    check(fixture, truth).await;
}

/// Every compliance kind, twice: 200 actors with only this family planted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planted_compliance_problem_is_found_on_a_200_actor_fleet() {
    let cfg = forge_emulator::synth::SynthConfig {
        seed: 8,
        actors: 200,
        now: now(),
        families: forge_emulator::synth::Families {
            compliance: true,
            ..forge_emulator::synth::Families::NONE
        },
        compliance_plants: Some(10),
        ..Default::default()
    };
    let (fixture, truth) = forge_emulator::synth::generate(&cfg);
    assert_eq!(truth.planted.len(), 10);
    check(apifyforge::demo::with_tools(fixture, now()), truth).await;
}

async fn check(fixture: forge_emulator::Fixture, truth: forge_emulator::synth::GroundTruth) {
    let secrets = planted_secrets(&fixture);
    let secret_plants = truth
        .planted
        .iter()
        .filter(|p| p.kind.starts_with("secret-in-"))
        .count();
    assert!(secret_plants >= 2, "the fleet plants secrets");
    assert!(secrets.len() >= secret_plants, "{secrets:?}");
    let token = SecretString::from(
        fixture
            .tokens
            .iter()
            .find(|t| t.permissions == Permissions::all_scoped())
            .unwrap()
            .token
            .clone(),
    );
    let emulator = start(fixture, BIN).await;
    let rows = run_sync_get_dataset_items(&emulator.base_url(), &token, TOOL_ID, &input())
        .await
        .expect("compliance-scanner succeeds");
    let run = emulator.runs_of(TOOL).into_iter().last().unwrap();
    let store = run["defaultKeyValueStoreId"].as_str().unwrap().to_string();
    let record = |key: &str| -> Value {
        serde_json::from_slice(&emulator.kv_record(&store, key).unwrap().1).unwrap()
    };
    let (output, signals) = (record("OUTPUT"), record("SIGNALS"));
    let violations = contract_violations(
        "actors/compliance-scanner/schemas/output.schema.json",
        &output,
    );
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(contract_violations("schemas/signals.schema.json", &signals).is_empty());

    // No secret anywhere: OUTPUT, SIGNALS, rows, the run's log.
    let log = emulator
        .run_log(run["id"].as_str().unwrap())
        .unwrap_or_default();
    let everything = format!("{output}{signals}{}{log}", Value::Array(rows.clone()));
    for s in &secrets {
        assert!(!everything.contains(s.as_str()), "a planted secret leaked");
        assert!(
            !everything.contains(&s[s.len() - 8..]),
            "8 characters of a secret leaked"
        );
    }

    let all: Vec<Value> = signals["signals"].as_array().unwrap().to_vec();
    let score = apifyforge::detection::score_with(
        &truth,
        &all,
        apifyforge::detection::COMPLIANCE_SCANNER,
        apifyforge::detection::COMPLIANCE_SCANNER_ALSO_TRUE,
    );
    println!(
        "compliance-scanner: precision {:.3} recall {:.3}; by kind {:?}; missed {:?}; false alarms {:?}",
        score.precision, score.recall, score.by_kind, score.missed, score.false_alarms
    );
    for p in truth
        .planted
        .iter()
        .filter(|p| p.kind.starts_with("secret-in-"))
    {
        assert!(
            all.iter()
                .any(|s| s["subject"]["actorId"] == p.actor_id.as_str()
                    && s["rule"] == "CS-SECRET-LEAKED"),
            "{} {} not found",
            p.actor_name,
            p.kind
        );
    }
    assert!(score.recall >= 0.9, "recall {:.3}", score.recall);
    assert!(score.precision >= 0.9, "precision {:.3}", score.precision);
    // Clean actors (nothing planted on them, of any family; controls included) stay at low
    // or below.
    let planted_actors: Vec<&str> = truth.planted.iter().map(|p| p.actor_id.as_str()).collect();
    for s in &all {
        let actor = s["subject"]["actorId"].as_str().unwrap();
        if !planted_actors.contains(&actor) {
            assert!(
                matches!(s["severity"].as_str(), Some("info" | "low")),
                "a clean actor flagged: {} {} {}",
                s["subject"]["actorName"],
                s["rule"],
                s["title"]
            );
        }
    }
    emulator.shutdown().await;
}
