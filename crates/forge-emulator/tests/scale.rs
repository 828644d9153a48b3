//! Benchmark-sized fleet (about a million runs). Run with
//! `cargo test --release -p forge-emulator --test scale -- --ignored --nocapture`.

use std::time::Instant;

use forge_emulator::synth::{self, SynthConfig};
use forge_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn a_million_runs_load_and_query_fast() {
    let cfg = SynthConfig {
        actors: 1000,
        days: 60,
        runs_per_day: 16.0,
        ..SynthConfig::default()
    };
    let t0 = Instant::now();
    let (fx, _) = synth::generate(&cfg);
    let runs: usize = fx.actors.iter().map(|a| a.runs.len()).sum();
    eprintln!("generated {runs} runs in {:?}", t0.elapsed());
    let actor_id = fx.actors[500].id().to_owned();
    let token = fx.token("full").unwrap().token.clone();

    let t1 = Instant::now();
    let emu = Emulator::start(
        fx,
        EmulatorConfig {
            rate_limits: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    eprintln!("loaded in {:?}", t1.elapsed());

    let http = reqwest::Client::new();
    let t2 = Instant::now();
    let mut n = 0;
    for _ in 0..100 {
        let url = format!(
            "{}/v2/actors/{actor_id}/runs?desc=1&startedAfter=2026-11-16T00:00:00Z&limit=1000",
            emu.base_url()
        );
        let body: Value = http
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        n += body["data"]["count"].as_u64().unwrap();
    }
    eprintln!("100 run-list pages ({n} items) in {:?}", t2.elapsed());
    let t3 = Instant::now();
    let url = format!(
        "{}/v2/actor-runs?desc=1&limit=1000&offset=500000&status=FAILED",
        emu.base_url()
    );
    let body: Value = http
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    eprintln!(
        "deep filtered page of /actor-runs (total {}) in {:?}",
        body["data"]["total"],
        t3.elapsed()
    );
    emu.shutdown().await;
}
