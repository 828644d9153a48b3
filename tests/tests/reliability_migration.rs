//! The migration area of `apifyforge reliability` at `Scale::Fast`: the long tools (the
//! orchestrator with its specialists as child runs, an ab-tester experiment, quality-monitor
//! with probes) migrated mid-way through the events websocket and SIGTERM, once and twice,
//! end as an undisturbed run does, with nothing charged or started twice; a charge cap below
//! the full price is respected, one below a single event fails up front; a graceful abort
//! leaves no SNAPSHOT.

use apifyforge::reliability::{migration, Harness, Scale};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_aborts_and_charge_caps_break_no_promise_at_fast_scale() {
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::new(BIN, Scale::Fast, dir.path().to_path_buf());
    let started = std::time::Instant::now();
    let section = migration::run(&harness).await.expect("the area runs");
    eprintln!("{}", section.headers.join(" | "));
    for row in &section.rows {
        eprintln!("{}", row.join(" | "));
    }
    eprintln!("{:?} in {:?}", section.headline, started.elapsed());
    assert!(section.failures.is_empty(), "{:#?}", section.failures);
    let headline = |label: &str| {
        section
            .headline
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(headline("charges doubled"), "0");
    let survived: u64 = headline("migrations survived")
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(survived >= 5, "{:?}", section.headline);
    for tool in ["fleet-analytics", "ab-tester", "quality-monitor"] {
        assert!(
            section
                .rows
                .iter()
                .any(|r| r[0].starts_with(tool) && r[1].starts_with("migrated")),
            "no migrated {tool} row: {:#?}",
            section.rows
        );
    }
    assert!(
        section.rows.iter().any(|r| r[1] == "graceful abort"),
        "{:#?}",
        section.rows
    );
}

/// What `docs/reliability.md` shows (all seven tools, more disruptions): minutes in a debug
/// build, so not on every change. `cargo test -p forge-tests --test reliability_migration -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn migrations_aborts_and_charge_caps_break_no_promise_at_full_scale() {
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::new(BIN, Scale::Full, dir.path().to_path_buf());
    let section = migration::run(&harness).await.expect("the area runs");
    for row in &section.rows {
        eprintln!("{}", row.join(" | "));
    }
    eprintln!("{:?}", section.headline);
    assert!(section.failures.is_empty(), "{:#?}", section.failures);
}
