//! Simulated runs (Actors with a fixture `behavior`) as an A/B experiment sees them through the
//! HTTP API: seeded and reproducible, shaped by the requested build and memory.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use common::*;
use forge_emulator::synth::{self, SynthConfig};
use forge_emulator::{ActorFixture, Behavior, BuildBehavior, EmulatorConfig, Fixture};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ACTOR: &str = "ab-subject";
const ACTOR_ID: &str = "AbSubjectActor001";

/// An Actor with three builds: 0.1.1 and 0.1.2 SUCCEEDED (`latest` is 0.1.2), 0.1.3 FAILED.
fn subject(fx: &Fixture, behavior: Behavior) -> ActorFixture {
    let now = "2026-11-01T00:00:00.000Z";
    let build = |n: u32, status: &str| {
        json!({
            "id": format!("AbSubjectBuild00{n}"), "actId": ACTOR_ID, "userId": fx.user_id(),
            "startedAt": format!("2026-10-0{n}T00:00:00.000Z"),
            "finishedAt": format!("2026-10-0{n}T00:05:00.000Z"),
            "status": status, "meta": { "origin": "WEB" }, "buildNumber": format!("0.1.{n}"),
        })
    };
    ActorFixture {
        actor: json!({
            "id": ACTOR_ID, "userId": fx.user_id(), "name": ACTOR, "username": fx.username(),
            "title": "A/B subject", "isPublic": false, "createdAt": now, "modifiedAt": now,
            "stats": { "totalBuilds": 3, "totalRuns": 0 },
            "versions": [{ "versionNumber": "0.1", "sourceType": "SOURCE_FILES" }],
            "defaultRunOptions": { "build": "latest", "timeoutSecs": 3600, "memoryMbytes": 1024 },
            "taggedBuilds": { "latest": { "buildId": "AbSubjectBuild002", "buildNumber": "0.1.2" } },
        }),
        builds: vec![
            build(1, "SUCCEEDED"),
            build(2, "SUCCEEDED"),
            build(3, "FAILED"),
        ],
        runs: Vec::new(),
        datasets: Default::default(),
        behavior: Some(behavior),
    }
}

/// Build 0.1.2 is worse than 0.1.1: fails more, takes 1.3× as long, writes twice the items.
fn ab_behavior() -> Behavior {
    let mut builds = BTreeMap::new();
    builds.insert(
        "0.1.2".to_owned(),
        BuildBehavior {
            success_rate: Some(0.6),
            duration_factor: Some(1.3),
            items_factor: Some(2.0),
        },
    );
    Behavior {
        success_rate: 0.9,
        duration_secs: 100.0,
        usd_per_run: 0.0,
        items: vec![
            json!({"url": "https://example.com/1"}),
            json!({"url": "https://example.com/2"}),
        ],
        duration_sigma: 0.3,
        items_per_run: Some((5, 50)),
        cpu_share: 0.5,
        usd_per_compute_unit: 0.4,
        builds,
    }
}

fn fixture_with(behavior: Behavior) -> Fixture {
    let (mut fx, _) = synth::generate(&SynthConfig {
        actors: 2,
        days: 3,
        runs_per_day: 1.0,
        ..SynthConfig::default()
    });
    let actor = subject(&fx, behavior);
    fx.actors.push(actor);
    fx
}

fn config(seed: u64) -> EmulatorConfig {
    EmulatorConfig {
        rate_limits: false,
        seed,
        ..EmulatorConfig::default()
    }
}

/// What an experiment reads of a finished run.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    status: String,
    run_time_secs: f64,
    usd: f64,
    items: u64,
    build: String,
    memory: u64,
}

/// Starts a run (waiting for it) with these query parameters; the finished Run object.
async fn start(h: &Harness, query: &str) -> Value {
    let r = h
        .post_json(
            &h.token("full"),
            &format!("/v2/actors/{ACTOR_ID}/runs?waitForFinish=60&{query}"),
            &json!({"q": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["data"].clone()
}

fn outcome(run: &Value) -> Outcome {
    Outcome {
        status: run["status"].as_str().unwrap().to_owned(),
        run_time_secs: run["stats"]["runTimeSecs"].as_f64().unwrap(),
        usd: run["usageTotalUsd"].as_f64().unwrap(),
        items: run["usage"]["DATASET_WRITES"].as_u64().unwrap(),
        build: run["buildNumber"].as_str().unwrap().to_owned(),
        memory: run["options"]["memoryMbytes"].as_u64().unwrap(),
    }
}

const VARIANTS: [&str; 3] = ["build=0.1.1", "build=0.1.2", "build=0.1.2&memory=2048"];

/// `rounds` rounds of the three variants, interleaved; outcomes per variant.
async fn experiment(seed: u64, rounds: usize, order: &[usize]) -> Vec<Vec<Outcome>> {
    let h = Harness::with(fixture_with(ab_behavior()), config(seed)).await;
    let mut out = vec![Vec::new(); VARIANTS.len()];
    for _ in 0..rounds {
        for &v in order {
            out[v].push(outcome(&start(&h, VARIANTS[v]).await));
        }
    }
    out
}

#[tokio::test]
async fn the_same_seed_and_starts_give_the_same_outcomes() {
    let a = experiment(7, 15, &[0, 1, 2]).await;
    let b = experiment(7, 15, &[0, 1, 2]).await;
    assert_eq!(a, b);
    // Each variant draws from its own stream: another interleaving gives the same outcomes.
    let c = experiment(7, 15, &[2, 1, 0]).await;
    assert_eq!(a, c);
    // The draws vary: statuses, run times and item counts are not all alike.
    let runs: Vec<&Outcome> = a.iter().flatten().collect();
    assert!(runs.iter().any(|o| o.status == "FAILED"));
    assert!(runs.iter().any(|o| o.status == "SUCCEEDED"));
    let times: std::collections::BTreeSet<u64> = runs
        .iter()
        .map(|o| (o.run_time_secs * 1000.0) as u64)
        .collect();
    assert!(times.len() > 40, "{times:?}");
    // Another seed, other outcomes.
    let d = experiment(8, 15, &[0, 1, 2]).await;
    assert_ne!(a, d);
}

#[tokio::test]
async fn build_overrides_set_success_rate_duration_and_items() {
    const N: usize = 400;
    let h = Harness::with(fixture_with(ab_behavior()), config(3)).await;
    let mut runs: BTreeMap<&str, Vec<Outcome>> = BTreeMap::new();
    for _ in 0..N {
        for build in ["0.1.1", "0.1.2"] {
            let run = start(&h, &format!("build={build}")).await;
            runs.entry(build).or_default().push(outcome(&run));
        }
    }
    let share = |v: &[Outcome]| {
        v.iter().filter(|o| o.status == "SUCCEEDED").count() as f64 / v.len() as f64
    };
    for (build, p) in [("0.1.1", 0.9), ("0.1.2", 0.6)] {
        let got = share(&runs[build]);
        // 4 binomial standard deviations.
        let tolerance = 4.0 * (p * (1.0 - p) / N as f64).sqrt();
        assert!((got - p).abs() <= tolerance, "{build}: {got} vs {p}");
        assert!(runs[build].iter().all(|o| o.build == build));
    }
    // Log-normal noise: the mean log run time is the log of the median.
    let mean_log =
        |v: &[Outcome]| v.iter().map(|o| o.run_time_secs.ln()).sum::<f64>() / v.len() as f64;
    let ratio = (mean_log(&runs["0.1.2"]) - mean_log(&runs["0.1.1"])).exp();
    assert!((ratio - 1.3).abs() <= 0.06, "duration ratio {ratio}");
    let base = (mean_log(&runs["0.1.1"])).exp();
    assert!((base - 100.0).abs() <= 5.0, "median run time {base}");
    // Items: 5–50 on 0.1.1, 10–100 on 0.1.2, only on SUCCEEDED runs.
    for (build, lo, hi) in [("0.1.1", 5, 50), ("0.1.2", 10, 100)] {
        let ok: Vec<u64> = runs[build]
            .iter()
            .filter(|o| o.status == "SUCCEEDED")
            .map(|o| o.items)
            .collect();
        assert!(ok.iter().all(|n| (lo..=hi).contains(n)), "{build}: {ok:?}");
        assert!(
            ok.contains(&lo) || ok.contains(&hi) || ok.len() < 50,
            "{build}"
        );
        let mean = ok.iter().sum::<u64>() as f64 / ok.len() as f64;
        assert!(
            (mean - (lo + hi) as f64 / 2.0).abs() <= 0.1 * hi as f64,
            "{build}: {mean}"
        );
        assert!(runs[build]
            .iter()
            .filter(|o| o.status != "SUCCEEDED")
            .all(|o| o.items == 0));
    }
    // Without `build`, runs use the default build (`latest` = 0.1.2).
    let run = start(&h, "").await;
    assert_eq!(run["buildNumber"], "0.1.2");
    assert_eq!(run["buildId"], "AbSubjectBuild002");
    assert_eq!(run["options"]["build"], "latest");
    let run = start(&h, "build=latest").await;
    assert_eq!(run["buildNumber"], "0.1.2");
}

fn fixed(cpu_share: f64) -> Behavior {
    Behavior {
        success_rate: 1.0,
        duration_secs: 600.0,
        cpu_share,
        usd_per_compute_unit: 0.4,
        ..Behavior::default()
    }
}

#[tokio::test]
async fn memory_scales_run_time_and_cost() {
    // All CPU-bound: twice the memory halves the run time and costs the same.
    let h = Harness::with(fixture_with(fixed(1.0)), config(1)).await;
    let base = outcome(&start(&h, "").await);
    let double = outcome(&start(&h, "memory=2048").await);
    let half = outcome(&start(&h, "memory=512").await);
    assert_eq!((base.memory, double.memory, half.memory), (1024, 2048, 512));
    assert_eq!(base.run_time_secs, 600.0);
    assert_eq!(double.run_time_secs, 300.0);
    assert_eq!(half.run_time_secs, 1200.0);
    // 1 GB for 10 minutes at 0.4 USD per GB-hour.
    let usd = 0.4 / 6.0;
    for o in [&base, &double, &half] {
        assert!((o.usd - usd).abs() < 1e-6, "{o:?}");
    }
    // Not CPU-bound at all: the same run time, twice the cost.
    let h = Harness::with(fixture_with(fixed(0.0)), config(1)).await;
    let base = outcome(&start(&h, "").await);
    let double = outcome(&start(&h, "memory=2048").await);
    assert_eq!(base.run_time_secs, 600.0);
    assert_eq!(double.run_time_secs, 600.0);
    assert!(
        (double.usd - 2.0 * base.usd).abs() < 1e-5,
        "{base:?} {double:?}"
    );
    // Half CPU-bound: 0.5 × 1024/256 + 0.5 = 2.5× the run time on 256 MB.
    let h = Harness::with(fixture_with(fixed(0.5)), config(1)).await;
    assert_eq!(
        outcome(&start(&h, "memory=256").await).run_time_secs,
        1500.0
    );
    // A run time beyond the timeout: TIMED-OUT after exactly the timeout.
    let run = start(&h, "memory=128&timeout=1000").await;
    assert_eq!(run["status"], "TIMED-OUT");
    assert_eq!(run["stats"]["runTimeSecs"], 1000.0);
    assert_eq!(run["exitCode"], Value::Null);
    assert_eq!(run["options"]["timeoutSecs"], 1000);
    // A fixed price per run wins over the compute-unit price.
    let h = Harness::with(
        fixture_with(Behavior {
            usd_per_run: 0.25,
            ..fixed(1.0)
        }),
        config(1),
    )
    .await;
    assert_eq!(outcome(&start(&h, "memory=4096").await).usd, 0.25);
}

#[tokio::test]
async fn an_unknown_build_is_the_platform_error() {
    let h = Harness::with(fixture_with(ab_behavior()), config(1)).await;
    for build in ["9.9.9", "beta", "0.2"] {
        let r = h
            .post_json(
                &h.token("full"),
                &format!("/v2/actors/{ACTOR_ID}/runs?build={build}"),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{build}");
        assert_eq!(error_type(&r), "unknown-build-tag");
        assert_eq!(
            r.body["error"]["message"],
            format!("Build with tag \"{build}\" was not found. Has the Actor been built already?")
        );
    }
    // No run was created.
    assert!(h.emu.runs_of(ACTOR).is_empty());
    // A version picks its newest SUCCEEDED build.
    assert_eq!(start(&h, "build=0.1").await["buildNumber"], "0.1.2");
}

#[tokio::test]
async fn the_run_object_reports_the_requested_memory_build_and_drawn_figures() {
    let h = Harness::with(fixture_with(ab_behavior()), config(11)).await;
    let mut succeeded = 0;
    for i in 0..20 {
        let run = start(&h, "build=0.1.1&memory=4096").await;
        assert_eq!(run["options"]["memoryMbytes"], 4096);
        assert_eq!(run["options"]["diskMbytes"], 8192);
        assert_eq!(run["options"]["build"], "0.1.1");
        assert_eq!(run["buildNumber"], "0.1.1");
        assert_eq!(run["buildId"], "AbSubjectBuild001");
        let secs = run["stats"]["runTimeSecs"].as_f64().unwrap();
        let millis = run["stats"]["durationMillis"].as_i64().unwrap();
        assert!(
            ((secs * 1000.0) as i64 - millis).abs() <= 1,
            "{secs} {millis}"
        );
        let t = |k: &str| run[k].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            (t("finishedAt") - t("startedAt")).num_milliseconds(),
            millis
        );
        let cu = 4.0 * secs / 3600.0;
        assert!((run["stats"]["computeUnits"].as_f64().unwrap() - cu).abs() < 1e-5);
        let usd = run["usageTotalUsd"].as_f64().unwrap();
        assert!((usd - cu * 0.4).abs() < 1e-5, "{usd} vs {}", cu * 0.4);
        // 4 GB against the 1 GB reference, half CPU-bound: 0.5 / 4 + 0.5 = 0.625 of 100 s.
        assert!((20.0..200.0).contains(&secs), "{secs}");
        // The items as written, and as the dataset serves them.
        let writes = run["usage"]["DATASET_WRITES"].as_u64().unwrap();
        let ds = run["defaultDatasetId"].as_str().unwrap();
        let items = h
            .get(&h.token("full"), &format!("/v2/datasets/{ds}/items"))
            .await
            .body;
        let items = items.as_array().unwrap();
        assert_eq!(items.len() as u64, writes);
        if run["status"] == "SUCCEEDED" {
            succeeded += 1;
            assert!(writes >= 5);
            for (k, item) in items.iter().enumerate() {
                assert_eq!(item["#"], k);
                assert_eq!(
                    item["url"],
                    format!("https://example.com/{}", k % 2 + 1),
                    "templates cycle"
                );
            }
            // `#` fields are hidden: clean items are the templates.
            let clean = h
                .get(
                    &h.token("full"),
                    &format!("/v2/datasets/{ds}/items?clean=1&limit=1"),
                )
                .await
                .body;
            assert_eq!(clean, json!([{"url": "https://example.com/1"}]));
        } else {
            assert_eq!(run["status"], "FAILED", "run {i}");
            assert_eq!(run["exitCode"], 1);
            assert_eq!(writes, 0);
        }
        // GET with waitForFinish answers the same finished object.
        let id = run["id"].as_str().unwrap();
        let again = h
            .get(
                &h.token("full"),
                &format!("/v2/actor-runs/{id}?waitForFinish=60"),
            )
            .await
            .body;
        assert_eq!(again["data"], run);
    }
    assert!(succeeded >= 10, "{succeeded} of 20 at 0.9");
}

#[tokio::test]
async fn old_behaviors_run_as_before() {
    // No new field: the fixed duration and price, the items as they are, on every run.
    let behavior = Behavior {
        success_rate: 1.0,
        duration_secs: 3.0,
        usd_per_run: 0.02,
        items: vec![json!({"a": 1}), json!({"a": 2})],
        ..Behavior::default()
    };
    let text = serde_json::to_string(&behavior).unwrap();
    assert_eq!(
        text,
        r#"{"successRate":1.0,"durationSecs":3.0,"usdPerRun":0.02,"items":[{"a":1},{"a":2}]}"#
    );
    let h = Harness::with(fixture_with(behavior), config(1)).await;
    for memory in ["", "memory=4096"] {
        let o = outcome(&start(&h, memory).await);
        assert_eq!(o.status, "SUCCEEDED");
        assert_eq!(o.run_time_secs, 3.0);
        assert_eq!(o.usd, 0.02);
        assert_eq!(o.items, 2);
    }
}
