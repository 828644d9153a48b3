//! The load area of `apifyforge reliability` at its CI scale: a fleet of 200 actors, the
//! orchestrator with every fleet specialist in shards, the emulator's rate limits on.

use apifyforge::reliability::{load, Harness, Scale};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_under_full_concurrency_completes_without_a_429() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let harness = Harness::new(BIN, Scale::Fast, dir.path().to_path_buf());
    let section = load::run(&harness).await.expect("the scenarios run");
    for (k, v) in &section.headline {
        println!("{k}: {v}");
    }
    for row in &section.rows {
        println!("{}", row.join(" | "));
    }
    println!("{}", section.summary);
    assert!(section.failures.is_empty(), "{:#?}", section.failures);
    let figure = |label: &str| {
        section
            .headline
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(figure("actors").as_deref(), Some("200"));
    assert_eq!(figure("429s").as_deref(), Some("0"));
}
