//! The official Rust client (apify-client 0.15) against the emulator: its strict models parse our
//! responses, and its brotli-compressed request bodies (>= 1 KiB) are decoded.

mod common;

use apify_client::{
    ActorListOptions, ActorStartOptions, ApifyClient, DatasetListItemsOptions, ListOptions,
    RunChargeOptions, RunListOptions,
};
use common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_client_round_trip() {
    let h = Harness::start().await;
    let client = ApifyClient::builder()
        .token(h.token("full"))
        .base_url(h.emu.base_url())
        .max_retries(1)
        .build();

    let actors = client
        .actors()
        .list(ActorListOptions {
            my: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(actors.items.len(), h.fixture.actors.len());
    let first = &h.fixture.actors[0];
    let actor = client.actor(first.id()).get().await.unwrap().unwrap();
    assert_eq!(actor.name.as_deref(), Some(first.name()));

    let runs = client
        .actor(first.id())
        .runs()
        .list(
            ListOptions {
                desc: Some(true),
                limit: Some(5),
                ..Default::default()
            },
            RunListOptions {
                status: vec!["SUCCEEDED".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!runs.items.is_empty());
    assert!(runs
        .items
        .iter()
        .all(|r| r.status.as_deref() == Some("SUCCEEDED")));
    let run_id = runs.items[0].id.clone();
    let run = client.run(&run_id).get().await.unwrap().unwrap();
    assert!(run.extra["usageTotalUsd"].is_number());
    assert!(run.container_url.is_some());
    assert!(client
        .run("NoSuchRun00000000")
        .get()
        .await
        .unwrap()
        .is_none());

    // A new run; then push a brotli-compressed batch into its dataset and read it back.
    let ok = h.actor_id(ACTOR_OK);
    let run = client
        .actor(&ok)
        .start(
            Some(&json!({"q": 1})),
            ActorStartOptions {
                wait_for_finish: Some(10),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(run.status.as_deref(), Some("SUCCEEDED"));
    let run_id = run.id.clone();
    let items: Vec<Value> = (0..200)
        .map(|i| json!({"i": i, "text": "some longer text"}))
        .collect();
    client
        .run(&run_id)
        .dataset()
        .push_items(&items)
        .await
        .unwrap();
    let ds = run.default_dataset_id.clone().unwrap();
    assert_eq!(h.emu.dataset_items(&ds).len(), 203);
    let page = client
        .dataset(&ds)
        .list_items::<Value>(DatasetListItemsOptions {
            offset: Some(3),
            limit: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.items[0]["i"], 0);
    assert_eq!(page.total, 203);
    let audit = h.emu.audit_log();
    assert!(audit
        .iter()
        .any(|e| e.method == "POST" && e.path.ends_with("/dataset/items") && e.status == 201));

    // Key-value records, compressed too.
    let kvs = client.run(&run_id).key_value_store();
    let big = json!({"blob": "x".repeat(5000)});
    kvs.set_record_json("OUTPUT", &big).await.unwrap();
    let rec = kvs.get_record("OUTPUT").await.unwrap().unwrap();
    assert_eq!(rec.json::<Value>().unwrap(), big);
    let input = kvs.get_record("INPUT").await.unwrap().unwrap();
    assert_eq!(input.json::<Value>().unwrap(), json!({"q": 1}));
    assert!(kvs.get_record("MISSING").await.unwrap().is_none());

    // Charging with the client's auto-generated idempotency key.
    client
        .run(&run_id)
        .charge(RunChargeOptions {
            event_name: "analysis".into(),
            count: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        h.emu.run(&run_id).unwrap()["chargedEventCounts"]["analysis"],
        2
    );

    // Status message via update.
    let updated = client
        .run(&run_id)
        .update(&json!({"statusMessage": "done", "isStatusMessageTerminal": true}))
        .await
        .unwrap();
    assert_eq!(updated.status_message.as_deref(), Some("done"));
}
