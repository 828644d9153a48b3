//! The command line itself: `apifyforge doctor` tells which permission is missing.

use forge_emulator::{Permission, Permissions};
use forge_tests::*;

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

async fn doctor(emulator: &forge_emulator::Emulator, token: &str) -> (Option<i32>, String) {
    let out = tokio::process::Command::new(BIN)
        .arg("doctor")
        .env_clear()
        .env("APIFY_TOKEN", token)
        .env("APIFY_API_BASE_URL", emulator.base_url())
        .output()
        .await
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_a_missing_permission_and_the_tools_it_stops() {
    let (fixture, _) = fleet(2, 4);
    let token = |p: &Permissions| {
        fixture
            .tokens
            .iter()
            .find(|t| &t.permissions == p)
            .unwrap()
            .token
            .clone()
    };
    let full = token(&Permissions::all_scoped());
    let no_runs = token(&Permissions::all_but(Permission::ActorsListRuns));
    let emulator = start(fixture.clone(), BIN).await;

    let (code, text) = doctor(&emulator, &full).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Actors: Read") && text.contains("granted"),
        "{text}"
    );

    let (code, text) = doctor(&emulator, &no_runs).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("MISSING: without it, reading run history"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("fleet-analytics") && l.contains("cannot run")),
        "{text}"
    );
    assert!(!text.contains(&no_runs), "the token is never printed");
    emulator.shutdown().await;
}
