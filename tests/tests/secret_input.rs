//! Secret inputs end to end: the emulator stores `isSecret` INPUT fields encrypted and passes
//! the run its private key, as the platform does; the Actor (through `forge_runtime::secrets`)
//! decrypts them before validating its input; the plain value shows nowhere the run writes.

use forge_emulator::secrets as emulator_secrets;
use forge_runtime::owned::run_sync_get_dataset_items;
use forge_runtime::secrets as runtime_secrets;
use forge_tests::*;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

fn record(emulator: &forge_emulator::Emulator, store: &str, key: &str) -> String {
    let (_, bytes) = emulator
        .kv_record(store, key)
        .unwrap_or_else(|| panic!("the run stored {key}"));
    String::from_utf8(bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_analytics_decrypts_its_secret_notify_url_which_shows_nowhere_the_run_writes() {
    let (fixture, _) = fleet(42, 40);
    let token = apifyforge::demo::scoped_token(&fixture).unwrap();
    let emulator = start(fixture, BIN).await;
    let (url, seen) = webhook_receiver("/hook").await;
    let input = json!({
        "asOf": "2026-11-23T00:00:00Z",
        "specialists": ["compliance-scanner"],
        "specialistsOwner": "apifyforge",
        "notify": url,
    });
    run_sync_get_dataset_items(
        &emulator.base_url(),
        &token,
        "apifyforge/fleet-analytics",
        &input,
    )
    .await
    .expect("fleet-analytics succeeds");

    let run = emulator
        .runs_of("fleet-analytics")
        .into_iter()
        .last()
        .unwrap();
    assert_eq!(run["status"], "SUCCEEDED", "{run:#}");
    let store = run["defaultKeyValueStoreId"].as_str().unwrap();

    // Stored as the platform stores it: encrypted, every other field as given.
    let stored: Value = serde_json::from_str(&record(&emulator, store, "INPUT")).unwrap();
    let notify = stored["notify"].as_str().unwrap();
    assert!(notify.starts_with("ENCRYPTED_VALUE:"), "{notify}");
    assert!(emulator_secrets::is_encrypted(notify));
    assert!(!record(&emulator, store, "INPUT").contains(&url));
    let mut rest = stored.clone();
    rest["notify"] = input["notify"].clone();
    assert_eq!(rest, input);

    // The Actor decrypted it: the receiver got the page.
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "one message: {seen:?}");
        let (head, body) = &seen[0];
        assert!(head.starts_with("POST /hook "), "{head}");
        assert!(!body["alerts"].as_array().unwrap().is_empty(), "{body}");
    }

    // The plain URL is nowhere the run writes: log, OUTPUT, SNAPSHOT, SIGNALS, REPORT.
    let log = emulator
        .run_log(run["id"].as_str().unwrap())
        .unwrap_or_default();
    assert!(!log.is_empty());
    let mut texts = vec![("log", log)];
    for key in ["OUTPUT", "SNAPSHOT", "SIGNALS", "REPORT"] {
        texts.push((key, record(&emulator, store, key)));
    }
    texts.push(("run", run.to_string()));
    for (what, text) in &texts {
        assert!(!text.contains(&url), "{what} holds the notify URL");
        assert!(!text.contains("/hook"), "{what} holds the notify path");
    }
    // Nor in the specialist runs it started.
    for specialist in emulator.runs_of("compliance-scanner") {
        let log = emulator
            .run_log(specialist["id"].as_str().unwrap())
            .unwrap_or_default();
        assert!(!log.contains(&url));
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_encrypted_for_another_key_fails_the_run_naming_the_field_not_the_value() {
    let (fixture, _) = fleet(7, 3);
    let token = apifyforge::demo::scoped_token(&fixture).unwrap();
    let emulator = start(fixture, BIN).await;
    // Already encrypted (by some other platform's key): the emulator, like the platform,
    // stores it as given and has nothing of its own to decrypt, so the run gets no key.
    let key = emulator_secrets::InputSecretsKey::generate(2048).unwrap();
    let sealed = emulator_secrets::encrypt_value(
        key.public_key(),
        &json!("https://hooks.example/T/B/elsewhere"),
        None,
    )
    .unwrap();
    let input = json!({"asOf": "2026-11-23T00:00:00Z", "notify": sealed});
    let result = run_sync_get_dataset_items(
        &emulator.base_url(),
        &token,
        "apifyforge/fleet-analytics",
        &input,
    )
    .await;
    assert!(result.is_err(), "{result:?}");
    let run = emulator
        .runs_of("fleet-analytics")
        .into_iter()
        .last()
        .unwrap();
    assert_eq!(run["status"], "FAILED", "{run:#}");
    let message = run["statusMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("input field `notify` is encrypted but the run has no input-secrets key"),
        "{message}"
    );
    let log = emulator
        .run_log(run["id"].as_str().unwrap())
        .unwrap_or_default();
    let (_, payload) = sealed.split_once(':').unwrap();
    for text in [message, log.as_str()] {
        assert!(!text.contains(payload) && !text.contains("hooks.example"));
    }
    let store = run["defaultKeyValueStoreId"].as_str().unwrap();
    assert!(
        emulator.kv_record(store, "OUTPUT").is_none(),
        "stopped at the input"
    );
    emulator.shutdown().await;
}

/// The emulator's encrypt side and the runtime's decrypt side agree, value by value, and on
/// which fields of every tool's input schema are secret.
#[test]
fn the_emulators_encryption_and_the_runtimes_decryption_agree() {
    let key = emulator_secrets::emulator_key().unwrap();
    let env = key.env();
    let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let schema_text = r#"{
        "title": "t", "type": "object", "schemaVersion": 1,
        "properties": {
            "token": {"title": "t", "type": "string", "editor": "textfield", "isSecret": true},
            "headers": {"title": "h", "type": "object", "editor": "json", "isSecret": true},
            "cookies": {"title": "c", "type": "array", "editor": "json", "isSecret": true},
            "plain": {"title": "p", "type": "string", "editor": "textfield"}
        }
    }"#;
    let schema: Value = serde_json::from_str(schema_text).unwrap();
    let original = json!({
        "token": "apify_api_not-a-real-token-👍",
        "headers": {"Authorization": "Bearer x", "n": [1, 2.5, null]},
        "cookies": [{"name": "sid", "value": "ü"}],
        "plain": "kept",
    });
    let mut input = original.clone();
    let done =
        emulator_secrets::encrypt_input_secrets(&mut input, &schema, key.public_key()).unwrap();
    assert_eq!(done, ["token", "headers", "cookies"]);
    assert!(input["headers"]
        .as_str()
        .unwrap()
        .starts_with("ENCRYPTED_JSON:"));
    runtime_secrets::decrypt_with_key_from(&mut input, schema_text, lookup).unwrap();
    assert_eq!(input, original);

    for tool in apifyforge::tools::TOOLS {
        let text = apifyforge::tools::input_schema(tool).unwrap();
        let schema: Value = serde_json::from_str(text).unwrap();
        let emulator_view: Vec<String> = emulator_secrets::secret_fields(&schema)
            .into_iter()
            .map(|(name, _)| name.to_owned())
            .collect();
        assert_eq!(
            emulator_view,
            runtime_secrets::secret_fields(&schema),
            "{tool}"
        );
    }
    let fleet: Value =
        serde_json::from_str(apifyforge::tools::input_schema("fleet-analytics").unwrap()).unwrap();
    assert_eq!(runtime_secrets::secret_fields(&fleet), ["notify"]);
}
