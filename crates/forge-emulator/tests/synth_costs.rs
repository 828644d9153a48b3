//! Cost plants in the synthetic fleet (memory over-provisioning, cost spikes, time-out waste,
//! stuck runs): every figure in `details` recomputed here from the written runs; healthy Actors
//! show none of the patterns; a clean fleet plants nothing; and existing fleets are unchanged.

mod common;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use forge_emulator::synth::{
    self, GroundTruth, Planted, SynthConfig, ALL_KINDS, COST_KINDS, KINDS, KIND_COST_SPIKE,
    KIND_MEMORY_OVERPROVISIONED, KIND_STUCK_RUN, KIND_TIMEOUT_WASTE, SCHEMA_KINDS,
};
use forge_emulator::{ActorFixture, EmulatorConfig, Fixture};
use serde_json::Value;

// ------------------------------------------------------------------------------------------------
// The plants, recomputed from the runs.

const MB: f64 = 1_048_576.0;

fn t(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn runs(a: &ActorFixture) -> Vec<Value> {
    a.runs.iter().map(|r| r.to_value()).collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn secs(r: &Value) -> f64 {
    f(&r["stats"]["runTimeSecs"])
}

fn usd(r: &Value) -> f64 {
    f(&r["usageTotalUsd"])
}

fn peak_mb(r: &Value) -> f64 {
    f(&r["stats"]["memMaxBytes"]) / MB
}

/// The `ceil(q n)`-th smallest.
fn rank(xs: &[f64], q: f64) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    let k = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[k - 1]
}

fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Cost and runs per day: 24-hour slots ending at `now`, by start.
fn daily(cfg: &SynthConfig, runs: &[Value]) -> Vec<(f64, f64)> {
    let start = cfg.now - Duration::days(cfg.days as i64);
    let mut out = vec![(0.0, 0.0); cfg.days as usize];
    for r in runs {
        let slot = (t(&r["startedAt"]) - start).num_milliseconds() / 86_400_000;
        out[slot as usize].0 += usd(r);
        out[slot as usize].1 += 1.0;
    }
    out
}

/// Runs started in the last 30 days.
fn window<'a>(cfg: &SynthConfig, runs: &'a [Value]) -> Vec<&'a Value> {
    runs.iter()
        .filter(|r| t(&r["startedAt"]) >= cfg.now - Duration::days(30))
        .collect()
}

fn fleets() -> Vec<SynthConfig> {
    let mut out: Vec<SynthConfig> = (1..=6)
        .map(|seed| SynthConfig {
            seed,
            ..SynthConfig::default()
        })
        .collect();
    out.push(SynthConfig {
        seed: 42,
        actors: 50,
        days: 90,
        ..SynthConfig::default()
    });
    // cost-watchdog's end-to-end fleet.
    out.push(SynthConfig {
        seed: 31,
        runs_per_day: 6.0,
        ..SynthConfig::default()
    });
    out.push(SynthConfig {
        seed: 7,
        actors: 30,
        runs_per_day: 6.0,
        ..SynthConfig::default()
    });
    out.push(SynthConfig {
        seed: 3,
        actors: 100,
        days: 45,
        ..SynthConfig::default()
    });
    out.push(SynthConfig {
        seed: 5,
        actors: 20,
        days: 20,
        runs_per_day: 3.0,
        ..SynthConfig::default()
    });
    out
}

fn cost_plants(truth: &GroundTruth) -> Vec<&Planted> {
    truth
        .planted
        .iter()
        .filter(|p| COST_KINDS.contains(&p.kind.as_str()))
        .collect()
}

#[test]
fn kinds_are_listed() {
    assert_eq!(
        COST_KINDS,
        [
            "memory-overprovisioned",
            "cost-spike",
            "timeout-waste",
            "stuck-run"
        ]
    );
    let all: HashSet<&str> = ALL_KINDS.iter().copied().collect();
    assert_eq!(
        all.len(),
        KINDS.len()
            + SCHEMA_KINDS.len()
            + COST_KINDS.len()
            + synth::QUALITY_KINDS.len()
            + 1
            + synth::COMPLIANCE_KINDS.len()
    );
    assert!(all.contains(synth::KIND_AB_DIFFERENCE));
    for k in KINDS
        .iter()
        .chain(&SCHEMA_KINDS)
        .chain(&COST_KINDS)
        .chain(&synth::COMPLIANCE_KINDS)
    {
        assert!(all.contains(k), "{k}");
    }
    for k in COST_KINDS {
        assert!(!KINDS.contains(&k) && !SCHEMA_KINDS.contains(&k));
    }
}

#[test]
fn same_seed_same_cost_plants() {
    let cfg = SynthConfig {
        actors: 50,
        days: 90,
        ..SynthConfig::default()
    };
    let (a, ta) = synth::generate(&cfg);
    let (b, tb) = synth::generate(&cfg);
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(ta, tb);
    assert_eq!(cost_plants(&ta).len(), 8);
    let (_, tc) = synth::generate(&SynthConfig { seed: 43, ..cfg });
    assert_ne!(
        cost_plants(&ta)
            .iter()
            .map(|p| &p.details)
            .collect::<Vec<_>>(),
        cost_plants(&tc)
            .iter()
            .map(|p| &p.details)
            .collect::<Vec<_>>()
    );
}

#[test]
fn cost_plants_are_counted_and_placed() {
    for cfg in fleets() {
        let (fx, truth) = synth::generate(&cfg);
        let expected = match cfg.actors {
            20 | 30 => 1,
            40 | 50 => 2,
            100 => 4,
            n => panic!("{n}"),
        };
        for kind in COST_KINDS {
            let n = truth.planted.iter().filter(|p| p.kind == kind).count();
            assert_eq!(n, expected, "{kind} in {cfg:?}");
        }
        // One plant per Actor: cost plants go on Actors with no other plant, busy ones.
        let actors: HashSet<&str> = truth.planted.iter().map(|p| p.actor_id.as_str()).collect();
        assert_eq!(actors.len(), truth.planted.len(), "{cfg:?}");
        for p in cost_plants(&truth) {
            let a = fx.actors.iter().find(|a| a.id() == p.actor_id).unwrap();
            assert_eq!(a.name(), p.actor_name);
            assert!(
                a.runs.len() as f64 >= 3.0 * cfg.days as f64,
                "{}: {} runs",
                a.name(),
                a.runs.len()
            );
            assert!(p.since.is_some());
        }
    }
    // Too few busy Actors for 2 of each: 1 of each.
    let (_, truth) = synth::generate(&SynthConfig {
        runs_per_day: 1.0,
        ..SynthConfig::default()
    });
    let kinds: Vec<&str> = cost_plants(&truth)
        .iter()
        .map(|p| p.kind.as_str())
        .collect();
    assert_eq!(kinds.len(), 4);
    for kind in COST_KINDS {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    // The small fleets: as many as there are free Actors.
    for (actors, n) in [(8, 2), (10, 0), (12, 1), (16, 4)] {
        let (_, truth) = synth::generate(&SynthConfig {
            actors,
            days: 20,
            ..SynthConfig::default()
        });
        let mut kinds: Vec<&str> = cost_plants(&truth)
            .iter()
            .map(|p| p.kind.as_str())
            .collect();
        kinds.sort_by_key(|k| COST_KINDS.iter().position(|c| c == k));
        assert_eq!(kinds, &COST_KINDS[..n], "{actors} actors");
    }
}

#[test]
fn every_cost_plant_is_in_the_data() {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for cfg in fleets() {
        let (fx, truth) = synth::generate(&cfg);
        for p in cost_plants(&truth) {
            let a = fx.actors.iter().find(|a| a.id() == p.actor_id).unwrap();
            let all = runs(a);
            let who = format!("seed {} {} {}", cfg.seed, a.name(), p.kind);
            *seen
                .entry(COST_KINDS.iter().find(|k| **k == p.kind).unwrap())
                .or_default() += 1;
            // Cost per run stays what memory and time say.
            for r in &all {
                let cu = f(&r["options"]["memoryMbytes"]) / 1024.0 * secs(r) / 3600.0;
                assert!(close(f(&r["stats"]["computeUnits"]), cu, 1e-5), "{who}");
                assert!(close(usd(r), cu * 0.4, 1e-5), "{who}");
                assert!(t(&r["startedAt"]) >= cfg.now - Duration::days(cfg.days as i64));
            }
            match p.kind.as_str() {
                KIND_MEMORY_OVERPROVISIONED => check_memory(&cfg, a, &all, p, &who),
                KIND_COST_SPIKE => check_spike(&cfg, &all, p, &who),
                KIND_TIMEOUT_WASTE => check_timeouts(&cfg, a, &all, p, &who),
                KIND_STUCK_RUN => check_stuck(&cfg, &all, p, &who),
                other => panic!("{other}"),
            }
            if p.kind != KIND_STUCK_RUN {
                assert!(all.iter().all(|r| r["status"] != "RUNNING"), "{who}");
            }
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
}

fn check_memory(cfg: &SynthConfig, a: &ActorFixture, all: &[Value], p: &Planted, who: &str) {
    let d = &p.details;
    let memory = d["memoryMbytes"].as_u64().unwrap();
    assert!(memory == 4096 || memory == 8192, "{who}");
    assert_eq!(a.actor["defaultRunOptions"]["memoryMbytes"], memory);
    assert_eq!(p.since.unwrap(), t(&all[0]["startedAt"]), "{who}");
    // The whole history: every run far below its memory, nearly all succeeded.
    for r in all {
        assert_eq!(r["options"]["memoryMbytes"], memory, "{who}");
        assert!(
            (300.0..=720.0).contains(&peak_mb(r)),
            "{who}: {}",
            peak_mb(r)
        );
        assert!(f(&r["stats"]["memAvgBytes"]) <= f(&r["stats"]["memMaxBytes"]));
    }
    let ok = all.iter().filter(|r| r["status"] == "SUCCEEDED").count();
    assert!(ok as f64 >= 0.9 * all.len() as f64, "{who}");
    let last_week = all
        .iter()
        .filter(|r| r["status"] == "SUCCEEDED" && t(&r["startedAt"]) >= cfg.now - Duration::days(7))
        .count();
    assert!(last_week >= 20, "{who}: {last_week}");
    // Realistic spread, not one value.
    let peaks: Vec<f64> = window(cfg, all)
        .into_iter()
        .filter(|r| r["status"] == "SUCCEEDED")
        .map(peak_mb)
        .collect();
    let (p95, max) = (rank(&peaks, 0.95), rank(&peaks, 1.0));
    assert!(max - rank(&peaks, 0.05) >= 80.0, "{who}");
    assert_eq!(d["successfulRuns"], peaks.len());
    assert!(close(f(&d["p95MemMaxMbytes"]), p95, 0.006), "{who}: {p95}");
    assert!(close(f(&d["maxMemMaxMbytes"]), max, 0.006), "{who}: {max}");
    let need = (1.2 * p95).max(1.05 * max);
    let recommended = (7..=15)
        .map(|e| 1u64 << e)
        .find(|m| *m as f64 >= need)
        .unwrap();
    assert_eq!(d["recommendedMbytes"], recommended, "{who}");
    assert!(recommended * 4 <= memory, "{who}");
    let window_days = cfg.days.min(30) as f64;
    let spent: f64 = window(cfg, all).into_iter().map(usd).sum();
    let saving = spent * (1.0 - recommended as f64 / memory as f64) * 30.44 / window_days;
    assert!(
        close(f(&d["usdPerMonthSaving"]), saving, 1e-3),
        "{who}: {saving}"
    );
    assert!(saving > 1.0, "{who}: {saving}");
}

fn check_spike(cfg: &SynthConfig, all: &[Value], p: &Planted, who: &str) {
    let d = &p.details;
    let k = d["spikeDays"].as_u64().unwrap() as usize;
    assert!((3..=5).contains(&k), "{who}");
    let since = cfg.now - Duration::days(k as i64);
    assert_eq!(p.since.unwrap(), since, "{who}");
    assert_eq!(t(&d["since"]), since);
    assert_eq!(d["driver"], "more-runs");
    let days = daily(cfg, all);
    let (before, during) = days.split_at(days.len() - k);
    let base = median(&before.iter().map(|d| d.0).collect::<Vec<_>>());
    let base_runs = median(&before.iter().map(|d| d.1).collect::<Vec<_>>());
    let peak = during.iter().map(|d| d.0).sum::<f64>() / k as f64;
    let peak_runs = during.iter().map(|d| d.1).sum::<f64>() / k as f64;
    assert!(
        close(f(&d["baselineUsdPerDay"]), base, 1e-3),
        "{who}: {base}"
    );
    assert!(close(f(&d["spikeUsdPerDay"]), peak, 1e-3), "{who}: {peak}");
    assert!(close(f(&d["baselineRunsPerDay"]), base_runs, 1e-9), "{who}");
    assert!(close(f(&d["spikeRunsPerDay"]), peak_runs, 0.006), "{who}");
    assert!(peak >= 5.0 * base, "{who}: {peak} vs {base}");
    assert!(peak - base >= 20.0, "{who}: {peak} vs {base}");
    // Every spike day, not one outlier.
    assert!(
        during.iter().all(|d| d.0 >= 3.0 * base),
        "{who}: {during:?}"
    );
    // More runs, not dearer ones.
    assert!(peak_runs >= 5.0 * base_runs, "{who}");
    let per_run = |from: DateTime<Utc>, to: DateTime<Utc>| {
        let c: Vec<f64> = all
            .iter()
            .filter(|r| r["status"] == "SUCCEEDED")
            .filter(|r| (from..to).contains(&t(&r["startedAt"])))
            .map(usd)
            .collect();
        c.iter().sum::<f64>() / c.len() as f64
    };
    let ratio = per_run(since, cfg.now) / per_run(cfg.now - Duration::days(cfg.days as i64), since);
    assert!((0.8..1.25).contains(&ratio), "{who}: cost per run {ratio}");
    assert!(all.iter().all(|r| r["status"] != "TIMED-OUT"), "{who}");
}

fn check_timeouts(cfg: &SynthConfig, a: &ActorFixture, all: &[Value], p: &Planted, who: &str) {
    let d = &p.details;
    let timeout = d["timeoutSecs"].as_u64().unwrap();
    assert_eq!(a.actor["defaultRunOptions"]["timeoutSecs"], timeout);
    assert_eq!(p.since.unwrap(), t(&all[0]["startedAt"]), "{who}");
    let win = window(cfg, all);
    let timed_out: Vec<&&Value> = win.iter().filter(|r| r["status"] == "TIMED-OUT").collect();
    let share = timed_out.len() as f64 / win.len() as f64;
    assert!((0.25..=0.5).contains(&share), "{who}: {share}");
    assert_eq!(d["runsInWindow"], win.len());
    assert_eq!(d["timedOutRuns"], timed_out.len());
    assert!(close(f(&d["timedOutShare"]), share, 1e-4), "{who}");
    // The rest succeeded; time-outs ran the full timeout and paid for it.
    assert!(win
        .iter()
        .all(|r| r["status"] == "SUCCEEDED" || r["status"] == "TIMED-OUT"));
    for r in all {
        assert_eq!(r["options"]["timeoutSecs"], timeout, "{who}");
        if r["status"] == "TIMED-OUT" {
            let s = secs(r);
            assert!(
                s >= timeout as f64 && s <= timeout as f64 + 5.0,
                "{who}: {s}"
            );
            assert_eq!(r["statusMessage"], "Actor run timed out.");
            assert!(r["exitCode"].is_null());
            assert!(t(&r["finishedAt"]) < cfg.now);
        } else {
            assert!(secs(r) < 0.95 * timeout as f64, "{who}");
        }
    }
    let wasted: f64 = timed_out.iter().map(|r| usd(r)).sum();
    assert!(
        close(f(&d["wastedUsdLast30Days"]), wasted, 1e-3),
        "{who}: {wasted}"
    );
    let per_month = wasted * 30.44 / cfg.days.min(30) as f64;
    assert!(per_month > 2.0, "{who}: {per_month}");
    // A steady share: the problem is as old as the history, not a spike.
    let earlier: Vec<&Value> = all
        .iter()
        .filter(|r| t(&r["startedAt"]) < cfg.now - Duration::days(30))
        .collect();
    if earlier.len() >= 50 {
        let before = earlier
            .iter()
            .filter(|r| r["status"] == "TIMED-OUT")
            .count() as f64
            / earlier.len() as f64;
        assert!((before - share).abs() < 0.15, "{who}: {before} vs {share}");
    }
}

fn check_stuck(cfg: &SynthConfig, all: &[Value], p: &Planted, who: &str) {
    let d = &p.details;
    let running: Vec<&Value> = all.iter().filter(|r| r["status"] == "RUNNING").collect();
    assert_eq!(running.len(), 1, "{who}");
    let r = running[0];
    assert_eq!(d["runId"], r["id"]);
    assert_eq!(d["startedAt"], r["startedAt"]);
    let started = t(&r["startedAt"]);
    assert_eq!(p.since.unwrap(), started);
    assert!(
        r["finishedAt"].is_null() && r["exitCode"].is_null(),
        "{who}"
    );
    assert_eq!(r["isStatusMessageTerminal"], false);
    let so_far = (cfg.now - started).num_milliseconds() as f64 / 1000.0;
    assert!(close(secs(r), so_far, 1e-3), "{who}");
    assert!(close(f(&d["runningForSecs"]), so_far, 1e-3), "{who}");
    assert!(close(f(&d["usdSoFar"]), usd(r), 1e-9), "{who}");
    assert!(
        so_far < f(&r["options"]["timeoutSecs"]),
        "{who}: within its timeout"
    );
    assert_eq!(d["timeoutSecs"], r["options"]["timeoutSecs"]);
    assert_eq!(d["memoryMbytes"], r["options"]["memoryMbytes"]);
    // Its other runs are short and have all finished.
    let finished: Vec<f64> = window(cfg, all)
        .into_iter()
        .filter(|r| r["status"] != "RUNNING")
        .map(secs)
        .collect();
    let p99 = rank(&finished, 0.99);
    assert!(close(f(&d["p99DurationSecs"]), p99, 1e-3), "{who}: {p99}");
    let times = so_far / p99;
    assert!((10.0..=20.0).contains(&times), "{who}: {times}");
    assert!(so_far >= 900.0, "{who}: stuck for {so_far} s");
    for x in all.iter().filter(|x| x["status"] != "RUNNING") {
        assert!(t(&x["finishedAt"]) < cfg.now);
    }
}

// ------------------------------------------------------------------------------------------------
// Healthy Actors, and the clean fleet.

/// Whether the Actor's runs show any cost plant's pattern; None when healthy. `strict`: as a
/// healthy Actor's runs are made (else as loose as the plants' own definitions).
fn cost_pattern(cfg: &SynthConfig, all: &[Value], strict: bool) -> Option<String> {
    if all.iter().any(|r| r["status"] == "RUNNING") {
        return Some("a RUNNING run".into());
    }
    let win = window(cfg, all);
    let peaks: Vec<f64> = win
        .iter()
        .filter(|r| r["status"] == "SUCCEEDED")
        .map(|r| peak_mb(r))
        .collect();
    if peaks.len() >= 5 {
        let memory = f(&win[0]["options"]["memoryMbytes"]);
        // Healthy runs peak at 60-95 % of their memory.
        if memory > 2.0 * rank(&peaks, 0.95) {
            return Some(format!("memory {memory} MB, p95 {}", rank(&peaks, 0.95)));
        }
    }
    for r in all {
        let share = peak_mb(r) / f(&r["options"]["memoryMbytes"]);
        if !(0.59..=0.96).contains(&share) {
            return Some(format!("a run peaks at {share} of its memory"));
        }
    }
    let timed_out = win.iter().filter(|r| r["status"] == "TIMED-OUT").count();
    let most = if strict { 0.1 } else { 0.25 };
    if win.len() >= 20 && timed_out as f64 >= most * win.len() as f64 {
        return Some(format!("{timed_out} of {} timed out", win.len()));
    }
    let days = daily(cfg, all);
    for k in 3..=5 {
        let (before, during) = days.split_at(days.len() - k);
        let base = median(&before.iter().map(|d| d.0).collect::<Vec<_>>());
        let peak = during.iter().map(|d| d.0).sum::<f64>() / k as f64;
        if peak >= 5.0 * base && peak - base >= 20.0 {
            return Some(format!("spend {peak}/day against {base}"));
        }
    }
    None
}

#[test]
fn unplanted_actors_show_no_cost_problem() {
    for cfg in fleets() {
        let (fx, truth) = synth::generate(&cfg);
        let cost: HashSet<&str> = cost_plants(&truth)
            .iter()
            .map(|p| p.actor_id.as_str())
            .collect();
        // Run plants of earlier kinds are no cost plant and do not look like one either (a
        // no-success Actor's runs time out too, 15 % of them: under the 25 % of a plant).
        for a in fx.actors.iter().filter(|a| !cost.contains(a.id())) {
            let all = runs(a);
            let kinds: Vec<&str> = truth
                .of_actor(a.name())
                .iter()
                .map(|p| p.kind.as_str())
                .collect();
            let strict = kinds.iter().all(|k| SCHEMA_KINDS.contains(k));
            if let Some(why) = cost_pattern(&cfg, &all, strict) {
                panic!("seed {} {} {kinds:?}: {why}", cfg.seed, a.name());
            }
        }
        // And the planted ones do show theirs.
        for a in fx.actors.iter().filter(|a| cost.contains(a.id())) {
            assert!(
                cost_pattern(&cfg, &runs(a), false).is_some(),
                "{}",
                a.name()
            );
        }
    }
}

#[test]
fn a_clean_fleet_has_no_problem_at_all() {
    // cost-watchdog's acceptance fleet (seed 5, 6 runs a day) among them.
    for (seed, runs_per_day) in [(5, 6.0), (42, 8.0), (1, 8.0), (2, 3.0)] {
        let cfg = SynthConfig {
            seed,
            actors: 50,
            days: 90,
            runs_per_day,
            clean: true,
            ..SynthConfig::default()
        };
        let (fx, truth) = synth::generate(&cfg);
        assert!(truth.planted.is_empty(), "seed {seed}: {:?}", truth.planted);
        assert_eq!(fx.actors.len(), 50);
        let (again, _) = synth::generate(&cfg);
        assert_eq!(fx.to_json(), again.to_json());
        let now = cfg.now;
        let mut low_traffic = 0;
        for a in &fx.actors {
            let all = runs(a);
            if let Some(why) = cost_pattern(&cfg, &all, true) {
                panic!("seed {seed} {}: {why}", a.name());
            }
            // No run or build problem either.
            let newest = a.builds.iter().max_by_key(|b| t(&b["startedAt"])).unwrap();
            assert_eq!(newest["status"], "SUCCEEDED", "{}", a.name());
            assert!(t(&newest["finishedAt"]) >= now - Duration::days(180));
            let failed = |rs: &[&Value]| {
                rs.iter().filter(|r| r["status"] == "FAILED").count() as f64
                    / rs.len().max(1) as f64
            };
            let recent: Vec<&Value> = window(&cfg, &all);
            if !recent.is_empty() {
                assert!(recent.iter().any(|r| r["status"] == "SUCCEEDED"));
            }
            let every: Vec<&Value> = all.iter().collect();
            if all.len() >= 30 {
                assert!(failed(&every) <= 0.15, "{}", a.name());
            }
            if all.len() < 45 {
                low_traffic += 1;
            }
            // Memory and duration, so cost per run, stay put.
            let mems: HashSet<u64> = all
                .iter()
                .map(|r| r["options"]["memoryMbytes"].as_u64().unwrap())
                .collect();
            assert_eq!(mems.len(), 1, "{}", a.name());
        }
        assert!(low_traffic >= 2);
        // The same fleet otherwise: same Actors, same names.
        let (planted, _) = synth::generate(&SynthConfig {
            clean: false,
            ..cfg.clone()
        });
        let names = |fx: &Fixture| {
            fx.actors
                .iter()
                .map(|a| a.name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&fx), names(&planted));
    }
}

/// The emulator serves a stuck run as the platform does: RUNNING, no finishedAt, found by a
/// status filter.
#[tokio::test]
async fn the_emulator_serves_a_stuck_run() {
    let (fx, truth) = synth::generate(&SynthConfig {
        days: 20,
        ..SynthConfig::default()
    });
    let stuck: Vec<&Planted> = truth
        .planted
        .iter()
        .filter(|p| p.kind == KIND_STUCK_RUN)
        .collect();
    assert_eq!(stuck.len(), 2);
    let h = common::Harness::with(fx, EmulatorConfig::default()).await;
    let token = h.token("full");
    for p in stuck {
        let id = p.details["runId"].as_str().unwrap();
        let run = h.get(&token, &format!("/v2/actor-runs/{id}")).await;
        assert_eq!(run.status, 200);
        assert_eq!(run.body["data"]["status"], "RUNNING");
        assert!(run.body["data"]["finishedAt"].is_null());
        let list = h
            .get(
                &token,
                &format!("/v2/actors/{}/runs?status=RUNNING", p.actor_id),
            )
            .await;
        let items = list.body["data"]["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", list.text);
        assert_eq!(items[0]["id"], id);
    }
}
