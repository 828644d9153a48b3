//! `run-sync` end to end: the runtime's `run_sync_output` against the emulator, with a tool
//! Actor running as its own process and writing `OUTPUT`, a run that fails, a run that writes
//! no `OUTPUT`, and a run that outlasts the endpoint's wait. The token never shows in an error.

use std::time::Duration;

use forge_emulator::{Emulator, Permission, Permissions};
use forge_runtime::client::ApiClient;
use forge_runtime::owned::{run_sync_output, RunSyncError, RunSyncOptions};
use forge_tests::*;
use secrecy::SecretString;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
const TOOL: &str = "schema-validator";
const TOOL_ID: &str = "apifyforge/schema-validator";

fn token_with(fixture: &forge_emulator::Fixture, permissions: &Permissions) -> String {
    fixture
        .tokens
        .iter()
        .find(|t| &t.permissions == permissions)
        .expect("the synthetic fixture has this token")
        .token
        .clone()
}

fn assert_no_token(err: &RunSyncError, token: &str) {
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(token), "the token leaked: {text}");
    }
}

/// The OUTPUT the emulator stored for the newest run of `actor`.
fn stored_output(emulator: &Emulator, actor: &str) -> Value {
    let run = emulator.runs_of(actor).into_iter().last().expect("a run");
    let store = run["defaultKeyValueStoreId"].as_str().expect("a store");
    let (_, bytes) = emulator.kv_record(store, "OUTPUT").expect("an OUTPUT");
    serde_json::from_slice(&bytes).expect("OUTPUT is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sync_output_returns_the_output_or_the_failed_run() {
    let (fixture, _) = fleet(7, 4);
    let scoped = token_with(&fixture, &Permissions::all_scoped());
    let no_write = token_with(&fixture, &Permissions::all_but(Permission::StoragesWrite));
    let plain_actor = fixture.actors[0].id().to_owned();
    let emulator = start(fixture, BIN).await;
    let base = emulator.base_url();

    // Through the client, which keeps the token: the tool's process writes OUTPUT.
    let client = ApiClient::new(&SecretString::from(scoped.clone()), &base);
    let output = client
        .run_sync_output(TOOL_ID, &json!({}), RunSyncOptions::default())
        .await
        .expect("schema-validator succeeds")
        .expect("schema-validator writes OUTPUT");
    assert_eq!(output, stored_output(&emulator, TOOL));
    assert_eq!(
        emulator.runs_of(TOOL).last().unwrap()["status"],
        "SUCCEEDED"
    );

    // A run that succeeds without writing OUTPUT: no output, not an error.
    let secret = SecretString::from(scoped.clone());
    let none = run_sync_output(
        &base,
        &secret,
        &plain_actor,
        &json!({}),
        RunSyncOptions::default(),
    )
    .await
    .expect("a simulated run succeeds");
    assert_eq!(none, None);

    // Without Storages: Write the tool fails at its save step: RunFailed naming the run.
    let secret = SecretString::from(no_write.clone());
    let err = run_sync_output(
        &base,
        &secret,
        TOOL_ID,
        &json!({}),
        RunSyncOptions::default(),
    )
    .await
    .expect_err("the run fails");
    let failed = emulator.runs_of(TOOL).into_iter().last().expect("a run");
    match &err {
        RunSyncError::RunFailed { run_id, message } => {
            assert_eq!(run_id.as_deref(), failed["id"].as_str(), "{message}");
            assert!(message.contains("status: FAILED"), "{message}");
        }
        other => panic!("expected RunFailed, got {other:?}"),
    }
    assert_eq!(failed["status"], "FAILED");
    assert_no_token(&err, &no_write);

    // An unknown Actor: the platform's 404, named by endpoint.
    let err = run_sync_output(
        &base,
        &secret,
        "apifyforge/no-such-tool",
        &json!({}),
        RunSyncOptions::default(),
    )
    .await
    .expect_err("no such Actor");
    assert!(
        matches!(
            err,
            RunSyncError::Api {
                endpoint: "run-sync",
                status: 404,
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_token(&err, &no_write);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_the_wait_limit_is_a_timeout_with_the_platforms_message() {
    let (fixture, _) = fleet(7, 2);
    let scoped = token_with(&fixture, &Permissions::all_scoped());
    let (slow_id, slow_name) = (
        fixture.actors[0].id().to_owned(),
        fixture.actors[0].name().to_owned(),
    );
    let mut config = apifyforge::demo::platform_config(&[BIN.to_string(), "actor".into()]);
    config.run_sync_timeout = Duration::from_secs(1);
    config
        .actor_commands
        .insert(slow_name.clone(), vec!["sleep".into(), "30".into()]);
    let emulator = Emulator::start(fixture, config)
        .await
        .expect("the emulator starts");
    let secret = SecretString::from(scoped.clone());
    let err = run_sync_output(
        &emulator.base_url(),
        &secret,
        &slow_id,
        &json!({}),
        RunSyncOptions::default(),
    )
    .await
    .expect_err("the run outlasts the wait");
    match &err {
        RunSyncError::Timeout(message) => assert_eq!(
            message,
            "Actor run exceeded the timeout of 1 seconds for this API endpoint"
        ),
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert_no_token(&err, &scoped);
    // The endpoint gave up waiting; the run goes on.
    let running = emulator.running_runs_of(&slow_name);
    assert_eq!(running.len(), 1);
    assert!(emulator.kill_run_process(&running[0]));
    emulator.shutdown().await;
}
