//! Reliability suite: load (see [`super`]). A synthetic fleet of 1,000 actors (CI: 200) with
//! two months of runs, served by the emulator with Apify's per-resource rate limits on; the
//! orchestrator with the four fleet specialists in shards, as many at once as its input allows
//! (and, in the full suite, each tool alone). Figures: requests, 429 answers (the target is
//! none: the client spaces requests at 80 % of each resource's limit), wall time, and the peak
//! resident memory of each Actor process, sampled from `/proc` (Linux; elsewhere not shown).

use super::security::{markdown_table, thousands};
use super::{Harness, Scale, Section};
use crate::demo::{platform_config, with_tools, PUBLISHER};
use anyhow::Context as _;
use chrono::{SecondsFormat, TimeZone, Utc};
use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::{AuditEntry, Emulator, Fixture};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one scenario may take before it counts as not completing.
const SCENARIO_LIMIT: Duration = Duration::from_secs(3600);

/// One scenario's figures.
struct Measured {
    label: String,
    status: String,
    status_message: String,
    /// The orchestrator's own collection (None for a tool that reads no run list).
    runs_read: Option<u64>,
    runs_started: usize,
    requests: usize,
    rate_limited: Vec<AuditEntry>,
    wall: Duration,
    /// Peak resident set of each process, in MiB, by tool.
    peak_mib: BTreeMap<String, f64>,
    output: Option<Value>,
    /// Requests outside the data-access promise ([`crate::audit`]).
    violations: Vec<String>,
    /// Tokens found where they must not be ([`super::security::token_leaks`]).
    leaks: Vec<String>,
}

/// Samples the peak resident memory (`VmHWM`) of this process's Actor processes (children
/// whose command line is the harness's actor command and a tool), by tool, until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    peaks: Arc<Mutex<BTreeMap<String, f64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(actor_command: Vec<String>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peaks: Arc<Mutex<BTreeMap<String, f64>>> = Arc::default();
        let (s, p) = (stop.clone(), peaks.clone());
        let task = tokio::spawn(async move {
            let me = std::process::id().to_string();
            while !s.load(Ordering::Relaxed) {
                for (tool, mib) in children_peaks(&me, &actor_command) {
                    let mut peaks = p.lock().unwrap_or_else(|e| e.into_inner());
                    let e = peaks.entry(tool).or_insert(0.0);
                    *e = e.max(mib);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Sampler { stop, peaks, task }
    }

    async fn finish(self) -> BTreeMap<String, f64> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let peaks = self.peaks.lock().unwrap_or_else(|e| e.into_inner());
        peaks.clone()
    }
}

/// (tool, VmHWM in MiB) of each child process of `parent` that runs `actor_command` and a
/// tool (Linux `/proc`; empty elsewhere). A child between fork and exec still has the
/// parent's command line, and is left out.
fn children_peaks(parent: &str, actor_command: &[String]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().to_string();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let dir = entry.path();
        let Ok(status) = std::fs::read_to_string(dir.join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
        };
        if field("PPid:").as_deref() != Some(parent) {
            continue;
        }
        let Some(kib) = field("VmHWM:").and_then(|v| {
            v.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        }) else {
            continue;
        };
        let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).to_string())
            .collect();
        match args.split_last() {
            Some((tool, command)) if command == actor_command => {
                out.push((tool.clone(), kib / 1024.0))
            }
            _ => {}
        }
    }
    out
}

async fn measure(
    h: &Harness,
    fixture: &Fixture,
    label: String,
    tool: &str,
    input: Value,
) -> anyhow::Result<Measured> {
    let emulator = Emulator::start(fixture.clone(), platform_config(&h.actor_command))
        .await
        .context("starting the emulator")?;
    let sampler = Sampler::start(h.actor_command.clone());
    let started = Instant::now();
    let run_id = emulator
        .start_run_as(tool, "scoped", &input)
        .await
        .with_context(|| format!("starting {tool}"))?;
    emulator.wait_for_run(&run_id, SCENARIO_LIMIT).await;
    let wall = started.elapsed();
    let peak_mib = sampler.finish().await;
    let run = emulator.run(&run_id).unwrap_or(Value::Null);
    let output: Option<Value> = run["defaultKeyValueStoreId"]
        .as_str()
        .and_then(|s| emulator.kv_record(s, "OUTPUT"))
        .and_then(|(_, b)| serde_json::from_slice(&b).ok());
    let audit = emulator.audit_log();
    let tool_ids = crate::tools::TOOLS
        .iter()
        .map(|t| crate::demo::tool_actor_id(t))
        .collect();
    let violations = crate::audit::violations(&audit, &emulator.started_runs(), &tool_ids);
    let leaks = super::security::token_leaks(&emulator, &[], &[]);
    let measured = Measured {
        label,
        status: run["status"].as_str().unwrap_or("?").to_string(),
        status_message: run["statusMessage"].as_str().unwrap_or("").to_string(),
        runs_read: output
            .as_ref()
            .and_then(|o| o["collection"]["runsRead"].as_u64()),
        runs_started: emulator.started_runs().len(),
        requests: audit.len(),
        rate_limited: audit.into_iter().filter(|e| e.status == 429).collect(),
        wall,
        peak_mib,
        output,
        violations,
        leaks,
    };
    emulator.shutdown().await;
    Ok(measured)
}

/// Fires `CONTROL_REQUESTS` GETs of one actor at once, without our client's limiter: the
/// emulator must answer some of them 429, or it enforces nothing. (sent, answered 429)
async fn limiter_control(fixture: &Fixture) -> anyhow::Result<(usize, usize)> {
    const CONTROL_REQUESTS: usize = 200;
    let emulator = Emulator::start(fixture.clone(), forge_emulator::EmulatorConfig::default())
        .await
        .context("starting the emulator")?;
    let token = fixture
        .tokens
        .iter()
        .find(|t| t.id == "scoped")
        .map(|t| t.token.clone())
        .context("the fixture has no `scoped` token")?;
    let actor = fixture
        .actors
        .first()
        .map(|a| a.id().to_string())
        .context("the fixture has no actor")?;
    let base = emulator.base_url();
    let mut tasks = Vec::new();
    for _ in 0..CONTROL_REQUESTS {
        let (base, token, path) = (base.clone(), token.clone(), format!("/v2/actors/{actor}"));
        tasks.push(tokio::spawn(async move {
            super::security::http_get_status(&base, &path, Some(&token)).await
        }));
    }
    let mut refused = 0;
    for t in tasks {
        if let Ok(Ok(429)) = t.await {
            refused += 1;
        }
    }
    emulator.shutdown().await;
    Ok((CONTROL_REQUESTS, refused))
}

/// Where the 429s went: resource and how many, the most hit first.
fn by_resource(entries: &[AuditEntry]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in entries {
        let key = format!(
            "{} {} ({})",
            e.method,
            e.path,
            e.resource.as_deref().unwrap_or("?")
        );
        *counts.entry(key).or_default() += 1;
    }
    let mut list: Vec<(String, usize)> = counts.into_iter().collect();
    list.sort_by_key(|x| std::cmp::Reverse(x.1));
    list.iter()
        .take(5)
        .map(|(k, n)| format!("{n} × {k}"))
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn run(h: &Harness) -> anyhow::Result<Section> {
    let (actors, per_day, shard) = match h.scale {
        Scale::Fast => (200, 3.0, 50),
        Scale::Full => (1000, 4.0, 250),
    };
    let now = Utc
        .with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let generated = Instant::now();
    let (fixture, _) = generate(&SynthConfig {
        seed: 11,
        actors,
        days: 60,
        runs_per_day: per_day,
        now,
        ..Default::default()
    });
    let fixture = with_tools(fixture, now);
    let fleet_runs: usize = fixture.actors.iter().map(|a| a.runs.len()).sum();
    let generate_secs = generated.elapsed().as_secs_f64();
    let as_of = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let specialists = forge_core::analyses::fanout::FLEET_SPECIALISTS;
    let max_parallel = 32;
    let mut scenarios: Vec<(String, &str, Value)> = vec![(
        format!(
            "fleet-analytics with the {} fleet specialists in shards of {shard}, up to {max_parallel} runs at once",
            specialists.len()
        ),
        "fleet-analytics",
        json!({
            "asOf": as_of,
            "specialists": specialists,
            "specialistsOwner": PUBLISHER,
            "shardSize": shard,
            "maxParallelSpecialists": max_parallel,
            "specialistTimeoutSecs": 3600,
        }),
    )];
    if h.scale == Scale::Full {
        for tool in crate::tools::TOOLS {
            let input = match *tool {
                "fleet-analytics" | "cost-watchdog" | "quality-monitor" | "compliance-scanner" => {
                    json!({"asOf": as_of})
                }
                "schema-validator" => json!({}),
                _ => continue,
            };
            scenarios.push((format!("{tool} alone, the whole fleet"), tool, input));
        }
        // The tools about one actor: its builds, and an experiment of 200 runs.
        if let Some(a) = fixture.actors.iter().find(|a| {
            a.behavior.is_some()
                && a.builds
                    .iter()
                    .filter(|b| b["status"] == "SUCCEEDED")
                    .count()
                    >= 2
        }) {
            let builds: Vec<&str> = a
                .builds
                .iter()
                .filter(|b| b["status"] == "SUCCEEDED")
                .filter_map(|b| b["buildNumber"].as_str())
                .collect();
            let (x, y) = (builds[builds.len() - 2], builds[builds.len() - 1]);
            scenarios.push((
                "release-gate alone, one actor".into(),
                "release-gate",
                json!({"actor": a.name()}),
            ));
            scenarios.push((
                "ab-tester alone, an experiment of 200 runs".into(),
                "ab-tester",
                json!({
                    "actor": a.name(), "mode": "experiment",
                    "variantA": {"build": x}, "variantB": {"build": y},
                    "maxRuns": 200, "maxBudgetUsd": 1000, "runTimeoutSecs": 600,
                }),
            ));
        }
    }

    let mut measured = Vec::new();
    for (label, tool, input) in scenarios {
        measured.push(measure(h, &fixture, label, tool, input).await?);
    }
    let control = limiter_control(&fixture).await?;

    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for m in &measured {
        if m.status != "SUCCEEDED" {
            failures.push(format!(
                "{}: the run ended {} ({})",
                m.label, m.status, m.status_message
            ));
        }
        let calls = m
            .output
            .as_ref()
            .and_then(|o| o["specialistRuns"].as_array().cloned())
            .unwrap_or_default();
        let not_ok: Vec<String> = calls
            .iter()
            .filter(|c| c["status"] != "SUCCEEDED")
            .map(|c| {
                format!(
                    "{} {} ({})",
                    c["call"].as_str().unwrap_or("?"),
                    c["status"].as_str().unwrap_or("?"),
                    c["error"].as_str().unwrap_or("")
                )
            })
            .collect();
        if !not_ok.is_empty() {
            failures.push(format!(
                "{}: specialist runs {}",
                m.label,
                not_ok.join(", ")
            ));
        }
        if !m.rate_limited.is_empty() {
            failures.push(format!(
                "{}: {} requests answered 429: {}",
                m.label,
                m.rate_limited.len(),
                by_resource(&m.rate_limited)
            ));
        }
        failures.extend(
            m.violations
                .iter()
                .take(10)
                .map(|v| format!("{}: data-access violation: {v}", m.label)),
        );
        failures.extend(
            m.leaks
                .iter()
                .take(10)
                .map(|l| format!("{}: token leak: {l}", m.label)),
        );
        let peak = |tool: &str| m.peak_mib.get(tool).copied();
        let largest = m
            .peak_mib
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(t, v)| format!("{v:.0} ({t})"))
            .unwrap_or_else(|| "—".into());
        rows.push(vec![
            m.label.clone(),
            thousands(actors),
            m.runs_read
                .map(|n| thousands(n as usize))
                .unwrap_or_else(|| "—".into()),
            thousands(m.runs_started),
            thousands(m.requests),
            m.rate_limited.len().to_string(),
            format!("{:.1}", m.wall.as_secs_f64()),
            peak("fleet-analytics")
                .map(|v| format!("{v:.0}"))
                .unwrap_or_else(|| "—".into()),
            largest,
            m.status.clone(),
        ]);
    }
    let (sent, refused) = control;
    if refused == 0 {
        failures.push(format!(
            "control: {sent} requests at once to one resource got no 429: the emulator does not \
             enforce its limits, so the 429 counts above prove nothing"
        ));
    }
    rows.push(vec![
        format!("control: {sent} requests at once to one actor, bypassing our client"),
        thousands(actors),
        "—".into(),
        "0".into(),
        thousands(sent),
        refused.to_string(),
        "—".into(),
        "—".into(),
        "—".into(),
        "429s, as they must".into(),
    ]);
    let all_429: usize = measured.iter().map(|m| m.rate_limited.len()).sum();
    let all_requests: usize = measured.iter().map(|m| m.requests).sum();
    let all_violations: usize = measured.iter().map(|m| m.violations.len()).sum();
    let all_leaks: usize = measured.iter().map(|m| m.leaks.len()).sum();
    let orchestration = measured.first();
    let peaks: Vec<Vec<String>> = orchestration
        .map(|m| {
            m.peak_mib
                .iter()
                .map(|(t, v)| vec![t.clone(), format!("{v:.1}")])
                .collect()
        })
        .unwrap_or_default();
    let summary = format!(
        "A synthetic fleet of {} actors with {} runs over 60 days (generated in {:.1} s), served by \
         the emulator with Apify's per-resource rate limits on (60 requests/s per resource, 200/s \
         for key-value records, 400/s for run starts and dataset pushes; 429 \
         `rate-limit-exceeded` beyond). Each scenario runs on an emulator of its own, as a \
         platform run started with the five-permission token; its specialists are runs of \
         their own, each an Actor process. Runs read is fleet-analytics' own collection (its \
         specialists read the fleet again). 429s are the requests the emulator refused: our \
         clients space requests at 80 % of each resource's limit, so the target is none. Peak \
         memory is each process's `VmHWM`, sampled every 100 ms. Every request was also checked \
         against the data-access promise ({all_violations} violations) and everything the \
         emulator held was searched for tokens ({all_leaks} leaks). The last row is a control: \
         the same many requests fired at one actor at once, without our client, are answered \
         429 beyond the limit, so the emulator does enforce it.\n\n\
         Peak resident memory of each kind of process in the orchestration (MiB):\n\n{}",
        thousands(actors),
        thousands(fleet_runs),
        generate_secs,
        markdown_table(&["process", "peak MiB"], &peaks),
    );
    Ok(Section {
        title: "Load".into(),
        summary,
        headers: [
            "scenario",
            "actors",
            "runs read",
            "runs started",
            "requests",
            "429s",
            "wall time (s)",
            "fleet-analytics peak MiB",
            "largest process peak MiB",
            "status",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
        headline: vec![
            ("actors".into(), thousands(actors)),
            ("429s".into(), all_429.to_string()),
            ("requests under load".into(), thousands(all_requests)),
            (
                "orchestration wall time".into(),
                orchestration
                    .map(|m| format!("{:.0} s", m.wall.as_secs_f64()))
                    .unwrap_or_default(),
            ),
        ],
        failures,
    })
}
