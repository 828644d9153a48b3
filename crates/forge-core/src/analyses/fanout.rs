//! How the orchestrator splits its work across specialist runs: which runs, on which actors,
//! with which input, and whether each one is a short run (one that surely fits in `run-sync`'s
//! 300 s, and is bounded like one) or a long one awaited for as long as it takes. Pure, so the platform flow and the CLI flow split the fleet the same way and
//! their outputs are identical.
//!
//! # Shards
//!
//! A fleet specialist (schema-validator, cost-watchdog, quality-monitor, compliance-scanner)
//! covers the whole fleet in one run when the fleet has at most `shardSize` actors; a larger
//! fleet is split, actors sorted by ID, into `ceil(n / shardSize)` runs of near-equal size, so
//! the work grows with the number of Apify runs, not inside one container. Each shard controls
//! its false discovery rate over its own actors (Benjamini–Hochberg per shard: the rate over
//! the union stays at the level, see Efron's "separate-class" analysis); signal IDs do not
//! depend on the shard.
//!
//! # Sync or async
//!
//! A run's duration is estimated from the requests it will make ([`estimated_requests`]) at a
//! conservative `requestsPerSecond`, plus a start-up allowance. A run estimated at no more than
//! `syncBudgetSecs` (default 120 s, well below the endpoint's 300 s, so an estimate that is
//! off by half still fits) is a sync call: it gets run-sync's bounds (a run timeout of 280 s, a
//! wait of 300 s); the others get the caller's `specialistTimeoutSecs`. On the platform both are
//! started, recorded in the orchestrator's `STATE` and awaited, never sent through `run-sync`
//! itself: a run-sync request returns the run's id only when the run ends, so an orchestrator
//! migrated meanwhile could neither find that run again nor avoid starting it twice.
//! release-gate and ab-tester run only where the input asks for them, one run per request;
//! an ab-tester experiment starts paid runs of the user's actor and is always awaited.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::sane;

/// Specialists that cover the fleet (their input takes `actors`).
pub const FLEET_SPECIALISTS: &[&str] = &[
    "schema-validator",
    "cost-watchdog",
    "quality-monitor",
    "compliance-scanner",
];
/// Specialists that run only where asked, one run per request.
pub const ON_REQUEST: &[&str] = &["release-gate", "ab-tester"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FanoutConfig {
    /// Most actors in one specialist run; 0: never split.
    pub shard_size: usize,
    /// Longest estimated run called through `run-sync`.
    pub sync_budget_secs: f64,
    /// Requests a specialist makes per second, conservatively.
    pub requests_per_second: f64,
}

impl Default for FanoutConfig {
    fn default() -> Self {
        FanoutConfig {
            shard_size: 250,
            sync_budget_secs: 120.0,
            requests_per_second: 20.0,
        }
    }
}

/// Start-up of a run before its first request (container, input), in seconds.
const STARTUP_SECS: f64 = 15.0;

/// How a specialist run is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// A short run, bounded like a `run-sync` call (run timeout 280 s, wait 300 s).
    Sync,
    /// A long run, awaited up to the caller's timeout.
    Async,
}

/// What the planner knows of one actor of the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub actor_id: String,
    /// Runs in the analysed window and its baseline.
    pub runs: u64,
}

/// One specialist run to make.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub tool: String,
    /// 1-based shard number (1 when the tool covers the fleet in one run).
    pub shard: usize,
    pub shards: usize,
    pub mode: Mode,
    pub estimated_requests: u64,
    pub estimated_secs: f64,
    /// The specialist's input (before its own schema's defaults).
    pub input: Value,
}

impl Call {
    /// `tool` or `tool#2/3`: how the report names this run.
    pub fn label(&self) -> String {
        if self.shards > 1 {
            format!("{}#{}/{}", self.tool, self.shard, self.shards)
        } else {
            self.tool.clone()
        }
    }
}

/// Requests a fleet specialist makes for actors with `runs` runs in total: per actor the
/// run-list pages (1,000 runs each) and its bounded detail samples, per the tools' own
/// collection code.
pub fn estimated_requests(tool: &str, actors: u64, runs: u64) -> u64 {
    let per_actor = match tool {
        "schema-validator" => 4,
        "compliance-scanner" => 3,
        "cost-watchdog" => 31,
        "quality-monitor" => 26,
        _ => 5,
    };
    let pages = match tool {
        "cost-watchdog" | "quality-monitor" => runs.div_ceil(1000) + actors,
        _ => 0,
    };
    1 + actors.div_ceil(1000) + per_actor * actors + pages
}

fn estimated_secs(requests: u64, cfg: &FanoutConfig) -> f64 {
    let rate = sane(cfg.requests_per_second, 20.0, cfg.requests_per_second > 0.0);
    let secs = STARTUP_SECS + requests as f64 / rate;
    (secs * 10.0).round() / 10.0
}

/// `base` with `extra`'s keys set over it (both objects; anything else counts as empty).
fn merged(base: &Value, extra: &Value) -> Value {
    let mut out: Map<String, Value> = base.as_object().cloned().unwrap_or_default();
    if let Some(e) = extra.as_object() {
        for (k, v) in e {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// The runs to make. `fleet` is every actor in scope (any order); `common` is what every
/// specialist's input gets (`asOf`, `acknowledgedSignals`, each only where the specialist
/// takes it: see `accepts`); `overrides` are per-tool input values from the orchestrator's
/// input; `requests` are the explicit release-gate and ab-tester inputs.
pub fn plan(
    specialists: &[String],
    fleet: &[Workload],
    common: &Map<String, Value>,
    accepts: impl Fn(&str, &str) -> bool,
    overrides: &Map<String, Value>,
    requests: &[(String, Value)],
    cfg: &FanoutConfig,
) -> Vec<Call> {
    let mut actors: Vec<&Workload> = fleet.iter().collect();
    actors.sort_by(|a, b| a.actor_id.cmp(&b.actor_id));
    actors.dedup_by(|a, b| a.actor_id == b.actor_id);
    let shards = match cfg.shard_size {
        0 => 1,
        size => actors.len().div_ceil(size).max(1),
    };
    let common_for = |tool: &str| -> Value {
        let mut base = Map::new();
        for (k, v) in common {
            if accepts(tool, k) {
                base.insert(k.clone(), v.clone());
            }
        }
        merged(
            &Value::Object(base),
            overrides.get(tool).unwrap_or(&Value::Null),
        )
    };
    let mut calls = Vec::new();
    for tool in specialists {
        if !FLEET_SPECIALISTS.contains(&tool.as_str()) {
            continue;
        }
        for s in 0..shards {
            // Near-equal shards: the first `len % shards` get one more actor.
            let (len, k) = (actors.len(), shards);
            let start = s * (len / k) + s.min(len % k);
            let end = start + len / k + usize::from(s < len % k);
            let part = &actors[start..end];
            let mut input = common_for(tool);
            input["actors"] = Value::Array(
                part.iter()
                    .map(|w| Value::String(w.actor_id.clone()))
                    .collect(),
            );
            let runs: u64 = part.iter().map(|w| w.runs).sum();
            let estimated_requests = estimated_requests(tool, part.len() as u64, runs);
            let estimated_secs = estimated_secs(estimated_requests, cfg);
            calls.push(Call {
                tool: tool.clone(),
                shard: s + 1,
                shards,
                mode: if estimated_secs <= cfg.sync_budget_secs {
                    Mode::Sync
                } else {
                    Mode::Async
                },
                estimated_requests,
                estimated_secs,
                input,
            });
        }
    }
    for (i, (tool, request)) in requests.iter().enumerate() {
        let same = |(t, _): &&(String, Value)| t == tool;
        let (shard, shards) = (
            requests[..=i].iter().filter(same).count(),
            requests.iter().filter(same).count(),
        );
        let input = merged(&common_for(tool), request);
        // Paid runs of the user's actor take as long as they take (release-gate replays its
        // example inputs against the schema in memory: it starts no run).
        let paid = tool == "ab-tester" && input["mode"] == "experiment";
        let estimated_requests = estimated_requests(tool, 1, 0);
        let estimated_secs = estimated_secs(estimated_requests, cfg);
        calls.push(Call {
            tool: tool.clone(),
            shard,
            shards,
            mode: if paid || estimated_secs > cfg.sync_budget_secs {
                Mode::Async
            } else {
                Mode::Sync
            },
            estimated_requests,
            estimated_secs,
            input,
        });
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fleet(n: usize, runs: u64) -> Vec<Workload> {
        (0..n)
            .rev()
            .map(|i| Workload {
                actor_id: format!("a{i:04}"),
                runs,
            })
            .collect()
    }

    fn tools(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    fn common() -> Map<String, Value> {
        json!({"asOf": "2026-11-01T00:00:00Z", "acknowledgedSignals": ["0123456789abcdef"]})
            .as_object()
            .cloned()
            .unwrap()
    }

    /// schema-validator takes no `asOf`.
    fn accepts(tool: &str, key: &str) -> bool {
        !(tool == "schema-validator" && key == "asOf")
    }

    #[test]
    fn a_small_fleet_is_one_sync_run_per_specialist() {
        let calls = plan(
            &tools(&["schema-validator", "cost-watchdog"]),
            &fleet(40, 500),
            &common(),
            accepts,
            &Map::new(),
            &[],
            &FanoutConfig::default(),
        );
        assert_eq!(calls.len(), 2);
        assert!(calls.iter().all(|c| c.mode == Mode::Sync && c.shards == 1));
        assert_eq!(calls[0].input["actors"].as_array().unwrap().len(), 40);
        assert_eq!(calls[0].input["actors"][0], "a0000");
        assert!(calls[0].input.get("asOf").is_none());
        assert_eq!(calls[1].input["asOf"], "2026-11-01T00:00:00Z");
        assert_eq!(calls[1].input["acknowledgedSignals"][0], "0123456789abcdef");
    }

    #[test]
    fn a_large_fleet_is_split_into_near_equal_shards_covering_every_actor_once() {
        let cfg = FanoutConfig {
            shard_size: 100,
            ..Default::default()
        };
        let calls = plan(
            &tools(&["quality-monitor"]),
            &fleet(1001, 2000),
            &common(),
            accepts,
            &Map::new(),
            &[],
            &cfg,
        );
        assert_eq!(calls.len(), 11);
        let sizes: Vec<usize> = calls
            .iter()
            .map(|c| c.input["actors"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 1001);
        assert!(sizes.iter().all(|s| *s == 91 || *s == 92), "{sizes:?}");
        let mut all: Vec<&str> = calls
            .iter()
            .flat_map(|c| c.input["actors"].as_array().unwrap())
            .filter_map(Value::as_str)
            .collect();
        let n = all.len();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(calls[10].label(), "quality-monitor#11/11");
        // 92 actors × (26 + 2 pages) requests at 20/s is over two minutes: awaited.
        assert!(calls.iter().all(|c| c.mode == Mode::Async));
    }

    #[test]
    fn overrides_win_and_paid_requests_are_awaited() {
        let overrides = json!({"cost-watchdog": {"monthlyBudgetUsd": 200}})
            .as_object()
            .cloned()
            .unwrap();
        let requests = vec![
            ("release-gate".to_string(), json!({"actor": "me/a"})),
            (
                "ab-tester".to_string(),
                json!({"actor": "me/a", "mode": "experiment"}),
            ),
        ];
        let calls = plan(
            &tools(&["cost-watchdog"]),
            &fleet(3, 10),
            &common(),
            accepts,
            &overrides,
            &requests,
            &FanoutConfig::default(),
        );
        assert_eq!(calls[0].input["monthlyBudgetUsd"], 200);
        assert_eq!(calls[1].tool, "release-gate");
        assert_eq!(calls[1].mode, Mode::Sync);
        assert_eq!(calls[1].input["actor"], "me/a");
        assert_eq!(calls[2].mode, Mode::Async);
        assert_eq!(calls[2].label(), "ab-tester");
    }

    #[test]
    fn an_empty_fleet_still_gets_one_run_per_specialist() {
        let calls = plan(
            &tools(&["compliance-scanner"]),
            &[],
            &Map::new(),
            accepts,
            &Map::new(),
            &[],
            &FanoutConfig::default(),
        );
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].input["actors"], json!([]));
    }
}
