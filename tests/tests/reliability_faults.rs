//! The faults area of the reliability suite at CI scale: every tool as an Actor process under
//! seeded transient faults gives its fault-free results, and under permanent faults ends
//! FAILED with a message that says why and no SNAPSHOT.

use apifyforge::reliability::{faults, Harness, Scale};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_survives_transient_faults_and_stops_cleanly_on_permanent_ones() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let harness = Harness::new(BIN, Scale::Fast, dir.path().to_path_buf());
    let section = faults::run(&harness).await.expect("the scenarios run");
    for (label, value) in &section.headline {
        println!("{label}: {value}");
    }
    for row in &section.rows {
        println!("{}", row.join(" | "));
    }
    assert!(!section.rows.is_empty());
    assert!(
        section.failures.is_empty(),
        "broken promises:\n{}",
        section.failures.join("\n")
    );
}
