//! The synthetic fleet: determinism, realism, and ground truth that matches the data exactly.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use forge_emulator::synth::{
    self, GroundTruth, SynthConfig, COMPLIANCE_KINDS, COST_KINDS, KINDS, QUALITY_KINDS,
    SCHEMA_KINDS,
};
use forge_emulator::{ActorFixture, Fixture};
use serde_json::Value;

fn t(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn runs(a: &ActorFixture) -> Vec<Value> {
    a.runs.iter().map(|r| r.to_value()).collect()
}

fn rate(runs: &[&Value], pred: impl Fn(&Value) -> bool) -> f64 {
    if runs.is_empty() {
        return 0.0;
    }
    runs.iter().filter(|r| pred(r)).count() as f64 / runs.len() as f64
}

fn mean_cost(runs: &[&Value]) -> f64 {
    let ok: Vec<f64> = runs
        .iter()
        .filter(|r| r["status"] == "SUCCEEDED")
        .map(|r| r["usageTotalUsd"].as_f64().unwrap())
        .collect();
    ok.iter().sum::<f64>() / ok.len().max(1) as f64
}

fn newest_build(a: &ActorFixture) -> &Value {
    a.builds.iter().max_by_key(|b| t(&b["startedAt"])).unwrap()
}

#[test]
fn same_seed_same_bytes() {
    let cfg = SynthConfig::default();
    let (a, ta) = synth::generate(&cfg);
    let (b, tb) = synth::generate(&cfg);
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(ta, tb);
    let (c, _) = synth::generate(&SynthConfig { seed: 7, ..cfg });
    assert_ne!(a.to_json(), c.to_json());
}

#[test]
fn fixture_json_round_trips() {
    let (fx, truth) = synth::generate(&SynthConfig {
        actors: 8,
        days: 10,
        ..SynthConfig::default()
    });
    let text = fx.to_json_pretty();
    let back = Fixture::from_json(&text).unwrap();
    assert_eq!(back.to_json(), fx.to_json());
    let truth_back: GroundTruth = serde_json::from_str(&truth.to_json_pretty()).unwrap();
    assert_eq!(truth_back, truth);
}

#[test]
fn tokens_cover_every_missing_permission() {
    let (fx, _) = synth::generate(&SynthConfig::default());
    let ids: Vec<&str> = fx.tokens.iter().map(|t| t.id.as_str()).collect();
    for id in [
        "full",
        "scoped",
        "scoped-no-actors-read",
        "scoped-no-actors-run",
        "scoped-no-actors-list-runs",
        "scoped-no-storages-read",
        "scoped-no-storages-write",
    ] {
        assert!(ids.contains(&id), "missing token {id}");
    }
    for tok in &fx.tokens {
        assert!(tok.token.starts_with("apify_api_") && tok.token.len() == 46);
    }
}

#[test]
fn ground_truth_is_exactly_what_was_planted() {
    check_truth(&SynthConfig::default(), 2);
}

#[test]
fn ground_truth_holds_across_seeds_and_sizes() {
    for seed in 1..=5 {
        check_truth(
            &SynthConfig {
                seed,
                ..SynthConfig::default()
            },
            2,
        );
    }
    check_truth(
        &SynthConfig {
            actors: 10,
            seed: 9,
            ..SynthConfig::default()
        },
        1,
    );
    check_truth(
        &SynthConfig {
            actors: 100,
            days: 45,
            seed: 3,
            ..SynthConfig::default()
        },
        5,
    );
}

fn check_truth(cfg: &SynthConfig, per_kind: usize) {
    let now = cfg.now;
    let (fx, truth) = synth::generate(cfg);
    assert_eq!(fx.actors.len(), cfg.actors);
    for kind in KINDS.iter().chain(&SCHEMA_KINDS) {
        assert_eq!(
            truth.planted.iter().filter(|p| p.kind == *kind).count(),
            per_kind,
            "{kind}"
        );
    }
    // One A/B difference, when some Actor is free of every other plant (the 10-Actor fleet
    // has none to spare).
    let ab = truth
        .planted
        .iter()
        .filter(|p| p.kind == synth::KIND_AB_DIFFERENCE)
        .count();
    assert_eq!(ab, usize::from(cfg.actors >= 40), "{cfg:?}");
    let planted_actors: HashSet<&str> = truth.planted.iter().map(|p| p.actor_id.as_str()).collect();
    // Actors with a run or build plant; schema plants leave runs and builds healthy.
    let run_planted: HashSet<&str> = truth
        .planted
        .iter()
        .filter(|p| KINDS.contains(&p.kind.as_str()))
        .map(|p| p.actor_id.as_str())
        .collect();
    assert_eq!(
        planted_actors.len(),
        truth.planted.len(),
        "one plant per actor"
    );
    let names: HashSet<&str> = fx.actors.iter().map(|a| a.name()).collect();
    assert_eq!(names.len(), fx.actors.len(), "unique names");

    for p in &truth.planted {
        let a = fx.actors.iter().find(|a| a.id() == p.actor_id).unwrap();
        assert_eq!(a.name(), p.actor_name);
        let all = runs(a);
        let all: Vec<&Value> = all.iter().collect();
        match p.kind.as_str() {
            "failure-spike" => {
                let since = p.since.unwrap();
                assert!(since <= now - Duration::days(5) && since >= now - Duration::days(12));
                let (after, before): (Vec<&Value>, Vec<&Value>) =
                    all.iter().partition(|r| t(&r["startedAt"]) >= since);
                let failed = |r: &Value| r["status"] == "FAILED";
                assert!(
                    rate(&after, failed) >= 0.25,
                    "{}: {}",
                    p.actor_name,
                    rate(&after, failed)
                );
                assert!(
                    rate(&before, failed) <= 0.10,
                    "{}: {}",
                    p.actor_name,
                    rate(&before, failed)
                );
                assert!(after.len() >= 10);
            }
            "no-success" => {
                let since = p.since.unwrap();
                let window: Vec<&&Value> =
                    all.iter().filter(|r| t(&r["startedAt"]) >= since).collect();
                assert!(!window.is_empty());
                assert!(window
                    .iter()
                    .all(|r| r["status"] == "FAILED" || r["status"] == "TIMED-OUT"));
                assert!(all
                    .iter()
                    .any(|r| t(&r["startedAt"]) < since && r["status"] == "SUCCEEDED"));
            }
            "cost-jump" => {
                let since = p.since.unwrap();
                let (after, before): (Vec<&Value>, Vec<&Value>) =
                    all.iter().partition(|r| t(&r["startedAt"]) >= since);
                let ratio = mean_cost(&after) / mean_cost(&before);
                assert!(
                    (1.8..=5.5).contains(&ratio),
                    "{}: ratio {ratio}",
                    p.actor_name
                );
            }
            "latest-build-failed" => {
                let newest = newest_build(a);
                assert_eq!(newest["status"], "FAILED");
                assert_eq!(p.details["buildId"], newest["id"]);
                assert!(all.iter().all(|r| r["buildId"] != newest["id"]));
                assert_ne!(a.actor["taggedBuilds"]["latest"]["buildId"], newest["id"]);
            }
            "stale" => {
                assert!(p.since.is_none());
                assert!(a.builds.iter().all(|b| b["status"] != "SUCCEEDED"
                    || t(&b["finishedAt"]) < now - Duration::days(180)));
                assert!(rate(&all, |r| r["status"] == "SUCCEEDED") > 0.8);
            }
            // In detail in tests/synth_schemas.rs.
            kind if SCHEMA_KINDS.contains(&kind) => {
                let newest = newest_build(a);
                assert_eq!(newest["status"], "SUCCEEDED");
                assert_eq!(p.details["toBuildId"], newest["id"]);
                assert_ne!(p.details["fromBuildId"], newest["id"]);
            }
            // In detail in tests/synth_costs.rs.
            kind if COST_KINDS.contains(&kind) => {
                assert_eq!(newest_build(a)["status"], "SUCCEEDED");
                assert!(all.len() >= 30, "{}: {} runs", p.actor_name, all.len());
            }
            // In detail in the unit tests of src/synth.rs.
            kind if QUALITY_KINDS.contains(&kind) => {
                let since = p.since.unwrap();
                let after = all.iter().filter(|r| t(&r["startedAt"]) >= since).count();
                assert!(after >= 20, "{}: {after} runs after", p.actor_name);
                assert_eq!(p.details["runsAfter"], after);
            }
            // Only the simulated behavior differs: runs of the newest build do worse.
            synth::KIND_AB_DIFFERENCE => {
                let newest = newest_build(a);
                let d = &p.details;
                assert_eq!(newest["status"], "SUCCEEDED");
                assert_eq!(d["buildB"], newest["buildNumber"]);
                assert_eq!(d["buildIdB"], newest["id"]);
                assert_eq!(a.actor["taggedBuilds"]["latest"]["buildId"], newest["id"]);
                let previous = a
                    .builds
                    .iter()
                    .filter(|b| b["status"] == "SUCCEEDED" && b["id"] != newest["id"])
                    .max_by_key(|b| t(&b["startedAt"]))
                    .unwrap();
                assert_eq!(d["buildA"], previous["buildNumber"]);
                assert_eq!(d["buildIdA"], previous["id"]);
                let b = a.behavior.as_ref().unwrap();
                assert_eq!(d["successRateA"], b.success_rate);
                let over = &b.builds[d["buildB"].as_str().unwrap()];
                assert_eq!(d["successRateB"], over.success_rate.unwrap());
                assert_eq!(d["durationFactor"], over.duration_factor.unwrap());
                assert!(b.success_rate - over.success_rate.unwrap() >= 0.149);
                assert_eq!(b.builds.len(), 1);
            }
            // Builds and the Actor object only (in detail in the unit tests of src/synth.rs).
            kind if COMPLIANCE_KINDS.contains(&kind) => {
                let newest = newest_build(a);
                assert_eq!(newest["status"], "SUCCEEDED");
                assert_eq!(p.details["buildId"], newest["id"]);
                assert_eq!(p.details["buildNumber"], newest["buildNumber"]);
            }
            other => panic!("unknown kind {other}"),
        }
    }

    // Healthy Actors (schema and cost plants included) show none of the planted run or build
    // patterns.
    let mut low_traffic = 0;
    for a in fx.actors.iter().filter(|a| !run_planted.contains(a.id())) {
        let newest = newest_build(a);
        assert_eq!(newest["status"], "SUCCEEDED", "{}", a.name());
        assert!(t(&newest["finishedAt"]) >= now - Duration::days(180));
        let all = runs(a);
        let all: Vec<&Value> = all.iter().collect();
        let recent: Vec<&Value> = all
            .iter()
            .copied()
            .filter(|r| t(&r["startedAt"]) >= now - Duration::days(30))
            .collect();
        if !recent.is_empty() {
            assert!(
                recent.iter().any(|r| r["status"] == "SUCCEEDED"),
                "{}",
                a.name()
            );
        }
        if all.len() >= 30 {
            // Noise controls fail more often (8–20 %), steadily: no planted pattern either.
            if truth.control_of(a.name()).is_none() {
                assert!(
                    rate(&all, |r| r["status"] == "FAILED") <= 0.15,
                    "{}",
                    a.name()
                );
            }
            let (late, early): (Vec<&Value>, Vec<&Value>) = all
                .iter()
                .partition(|r| t(&r["startedAt"]) >= now - Duration::days(15));
            if late.len() >= 10 && early.len() >= 10 {
                let ratio = mean_cost(&late) / mean_cost(&early);
                assert!((0.5..2.0).contains(&ratio), "{}: {ratio}", a.name());
            }
        }
        if (all.len() as f64) < 0.5 * cfg.days as f64 {
            low_traffic += 1;
        }
    }
    assert!(
        low_traffic >= 2,
        "a couple of low-traffic healthy actors (seed {})",
        cfg.seed
    );
}

#[test]
fn runs_are_complete_and_consistent() {
    let cfg = SynthConfig {
        actors: 10,
        days: 14,
        ..SynthConfig::default()
    };
    let (fx, _) = synth::generate(&cfg);
    let mut statuses = HashSet::new();
    let mut origins = HashSet::new();
    for a in &fx.actors {
        let build_ids: HashSet<&str> = a.builds.iter().map(|b| b["id"].as_str().unwrap()).collect();
        for b in &a.builds {
            assert!(b["inputSchema"].is_string());
            let parsed: Value = serde_json::from_str(b["inputSchema"].as_str().unwrap()).unwrap();
            assert_eq!(parsed, b["actorDefinition"]["input"]);
            assert!(b["buildNumber"].as_str().unwrap().starts_with("0.1."));
        }
        for r in runs(a) {
            for key in [
                "id",
                "actId",
                "userId",
                "startedAt",
                "status",
                "meta",
                "stats",
                "options",
                "buildId",
                "defaultKeyValueStoreId",
                "defaultDatasetId",
                "defaultRequestQueueId",
                "generalAccess",
                "finishedAt",
                "buildNumber",
                "usage",
                "usageTotalUsd",
                "exitCode",
                "containerUrl",
            ] {
                assert!(r.get(key).is_some(), "run lacks {key}");
            }
            assert_eq!(r["id"].as_str().unwrap().len(), 17);
            assert!(build_ids.contains(r["buildId"].as_str().unwrap()));
            let cu = r["stats"]["computeUnits"].as_f64().unwrap();
            let mem = r["options"]["memoryMbytes"].as_f64().unwrap();
            let secs = r["stats"]["runTimeSecs"].as_f64().unwrap();
            assert!((cu - mem / 1024.0 * secs / 3600.0).abs() < 1e-4);
            assert!((r["usageTotalUsd"].as_f64().unwrap() - cu * 0.4).abs() < 1e-5);
            if r["status"] == "RUNNING" {
                // A stuck run (a cost plant): nothing final yet.
                assert!(r["finishedAt"].is_null() && r["exitCode"].is_null());
            } else {
                assert!(t(&r["finishedAt"]) <= cfg.now);
            }
            assert!(t(&r["startedAt"]) >= cfg.now - Duration::days(cfg.days as i64));
            statuses.insert(r["status"].as_str().unwrap().to_owned());
            origins.insert(r["meta"]["origin"].as_str().unwrap().to_owned());
            // Canary items exist for every run's dataset.
            assert!(a
                .datasets
                .contains_key(r["defaultDatasetId"].as_str().unwrap()));
        }
    }
    assert!(statuses.contains("SUCCEEDED") && statuses.contains("FAILED"));
    assert_eq!(origins.len(), 3, "{origins:?}");
}

#[test]
fn scales_to_a_large_fleet() {
    let cfg = SynthConfig {
        actors: 200,
        days: 60,
        runs_per_day: 16.0,
        ..SynthConfig::default()
    };
    let start = std::time::Instant::now();
    let (fx, truth) = synth::generate(&cfg);
    let n: usize = fx.actors.iter().map(|a| a.runs.len()).sum();
    eprintln!("{} runs in {:?}", n, start.elapsed());
    assert!(n > 100_000);
    let run_plants = truth
        .planted
        .iter()
        .filter(|p| KINDS.contains(&p.kind.as_str()))
        .count();
    assert_eq!(run_plants, 50);
    for kind in COST_KINDS {
        assert_eq!(
            truth.planted.iter().filter(|p| p.kind == kind).count(),
            8,
            "{kind}: one per 25 actors"
        );
    }
    for kind in COMPLIANCE_KINDS {
        assert_eq!(
            truth.planted.iter().filter(|p| p.kind == kind).count(),
            2,
            "{kind}: 10 compliance plants, one per 20 actors"
        );
    }
    assert_eq!(
        truth.planted.len(),
        141,
        "plus 10 of each schema kind, 8 of each cost kind, 8 quality plants, 1 ab-difference \
         and 10 compliance plants"
    );
}
