//! `apifyforge demo` as a user runs it: every tool as the platform runs it (child processes of
//! the emulator), the orchestrator's Action Plan naming each planted problem under the right
//! cause, in a sensible order, the controls left alone, and the audit log inside the
//! data-access model.

use forge_tests::read_json;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

/// The Action Plan cause a planted problem must show up under.
fn cause(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "failure-spike"
        | "no-success"
        | "latest-build-failed"
        | "failure-regression"
        | "empty-runs"
        | "timeout-waste" => "failures",
        "cost-jump" | "cost-spike" | "memory-overprovisioned" | "stuck-run" => "cost",
        "duration-regression" => "performance",
        "schema-breaking-input" | "schema-breaking-dataset" | "schema-lint" => "contract",
        "secret-in-input" | "secret-in-readme" | "missing-is-secret" | "pii-no-legal-note" => {
            "compliance"
        }
        "stub-readme" => "store",
        "stale" => "maintenance",
        // Cosmetic releases must pass; an A/B difference needs an experiment, not the plan.
        _ => return None,
    })
}

#[test]
fn the_demo_plan_names_every_planted_problem_in_order_and_reads_only_what_it_may() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(BIN)
        .args(["demo", "--now", "2026-11-23T00:00:00Z", "--out"])
        .arg(dir.path())
        .env_remove("APIFY_TOKEN")
        .output()
        .expect("the demo starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Action Plan"), "{stdout}");
    assert!(
        stdout.contains("outside the permitted reads of the data-access model: 0"),
        "{stdout}"
    );

    let truth = read_json(&dir.path().join("ground-truth.json"));
    let mut runs: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with("-fleet-analytics"))
        .collect();
    runs.sort_by_key(|n| n.split('-').next().unwrap().parse::<u32>().unwrap());
    let output = read_json(&dir.path().join(runs.last().unwrap()).join("OUTPUT.json"));
    let plan = &output["actionPlan"];
    assert!(
        plan["degraded"].as_array().unwrap().is_empty(),
        "{}",
        plan["degraded"]
    );
    let items = plan["items"].as_array().unwrap();
    let keys: BTreeMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it["key"].as_str().unwrap(), i))
        .collect();

    // Every planted problem is an item under its cause, with evidence and a fix.
    let mut missing = Vec::new();
    for p in truth["planted"].as_array().unwrap() {
        let Some(cause) = cause(p["kind"].as_str().unwrap()) else {
            continue;
        };
        let key = format!("{}/{cause}", p["actorId"].as_str().unwrap());
        match keys.get(key.as_str()) {
            Some(&i) => {
                assert!(!items[i]["titles"][0].as_str().unwrap().is_empty());
                assert!(!items[i]["topFix"].as_str().unwrap().is_empty());
            }
            None => missing.push(format!("{} {}", p["kind"], p["actorName"])),
        }
    }
    assert!(missing.is_empty(), "not in the plan: {missing:?}");

    // The controls are left alone: a legal note and a placeholder are not compliance items.
    for c in truth["controls"].as_array().unwrap() {
        if c["kind"] == "pii-with-legal-note" || c["kind"] == "placeholder-secret" {
            let key = format!("{}/compliance", c["actorId"].as_str().unwrap());
            assert!(!keys.contains_key(key.as_str()), "control flagged: {c}");
        }
    }

    // A sensible order: the leaked secret first, and no item ranked above one of a higher
    // severity unless money, failed runs or callers lift it (never a low above a critical).
    assert_eq!(items[0]["cause"], "compliance", "{}", items[0]);
    let rank = |s: &Value| match s.as_str().unwrap() {
        "critical" => 3,
        "high" => 2,
        "medium" => 1,
        _ => 0,
    };
    let mut seen_low = false;
    for it in items {
        if rank(&it["severity"]) == 0 {
            seen_low = true;
        }
        assert!(
            !(seen_low && rank(&it["severity"]) == 3),
            "a critical item ranked below a low one: {it}"
        );
    }
    let tools: BTreeSet<&str> = items
        .iter()
        .flat_map(|i| i["tools"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect();
    assert!(tools.len() >= 6, "{tools:?}");
    println!("{} plan items from {tools:?}", items.len());
}
