//! The data-access promise (design §4), checked against the emulator's audit log: every
//! request is one of the permitted reads; a dataset's items are read only by the token that
//! started its run (or by the run itself); key-value records are only our own keys, of a run
//! itself, of a run it started, or of an earlier run of one of our tools (its SNAPSHOT).
//! Used by the demo, which prints the verdict, and by the tests.

use forge_emulator::AuditEntry;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Records a tool reads or writes in its own (or its specialists') key-value stores.
/// `STATE` is a run's own progress record (`forge_runtime::resume`), read back after a migration.
pub const OWN_KEYS: &[&str] = &["INPUT", "OUTPUT", "SIGNALS", "SNAPSHOT", "REPORT", "STATE"];

/// A run started through the API: its JSON and the id of the token that started it.
pub type StartedRun = (Value, String);

struct Run<'a> {
    id: &'a str,
    starter: &'a str,
    tool: bool,
}

/// The requests that break the promise, each with why; empty when it held. `started` is
/// every run started through the API ([`forge_emulator::Emulator::started_runs`]);
/// `tool_actor_ids` are our tools' actors.
pub fn violations(
    audit: &[AuditEntry],
    started: &[StartedRun],
    tool_actor_ids: &BTreeSet<String>,
) -> Vec<String> {
    let mut by_storage: BTreeMap<&str, Run> = BTreeMap::new();
    let mut by_run: BTreeMap<&str, Run> = BTreeMap::new();
    for (run, starter) in started {
        let id = run["id"].as_str().unwrap_or_default();
        let r = || Run {
            id,
            starter,
            tool: tool_actor_ids.contains(run["actId"].as_str().unwrap_or_default()),
        };
        for key in ["defaultKeyValueStoreId", "defaultDatasetId"] {
            if let Some(s) = run[key].as_str() {
                by_storage.insert(s, r());
            }
        }
        by_run.insert(id, r());
    }
    audit
        .iter()
        .filter_map(|e| {
            check(e, &by_storage, &by_run).map(|why| format!("{} {}: {why}", e.method, e.path))
        })
        .collect()
}

fn check(
    e: &AuditEntry,
    by_storage: &BTreeMap<&str, Run>,
    by_run: &BTreeMap<&str, Run>,
) -> Option<String> {
    if e.query.contains("token=") {
        return Some("the token in the URL".into());
    }
    // Under General resource access: Restricted nothing is readable without a token, so a
    // request of ours without one is a request that relies on open access.
    if e.token_id.is_none() {
        return Some("a request without a valid token".into());
    }
    let token = e.token_id.as_deref().unwrap_or("");
    let itself = |r: &Run| token == format!("run-token-{}", r.id);
    let started_it = |r: &Run| r.starter == token;
    // Items: only the run itself (writing) or whoever started it (reading).
    let items = |r: Option<&Run>| match r {
        Some(r) if itself(r) || (e.method == "GET" && started_it(r)) => None,
        _ => Some("dataset items of a run this token did not start".to_string()),
    };
    let record = |r: Option<&Run>, key: &str| {
        let Some(r) = r else {
            return Some("a record of a store that belongs to no run we started".to_string());
        };
        if !OWN_KEYS.contains(&key) {
            return Some(format!("record `{key}` is not one of ours"));
        }
        let ok = if e.method == "GET" {
            itself(r) || started_it(r) || r.tool
        } else {
            itself(r)
        };
        (!ok).then(|| "a record of another run".to_string())
    };
    let seg: Vec<&str> = e.path.trim_start_matches('/').split('/').collect();
    let get = e.method == "GET";
    match seg.as_slice() {
        ["v2", "users", "me"] if get => None,
        // Actor list and metadata, builds, run lists, run details.
        ["v2", "actors" | "acts"] if get => None,
        ["v2", "actors" | "acts", _] if get => None,
        ["v2", "actors" | "acts", _, "builds"] if get => None,
        ["v2", "actors" | "acts", _, "builds", _] if get => None,
        ["v2", "actor-builds", _] if get => None,
        ["v2", "actors" | "acts", _, "runs"] => None, // GET lists, POST starts
        ["v2", "actors" | "acts", _, "runs", _] if get => None,
        ["v2", "actor-runs"] if get => None,
        ["v2", "actor-runs", _] if get => None,
        // Starting a run and reading what that same request started.
        ["v2", "actors" | "acts", _, "run-sync" | "run-sync-get-dataset-items"] => None,
        // A run updating its own status message, charging its own events.
        ["v2", "actor-runs", id] | ["v2", "actor-runs", id, "charge"]
            if by_run.get(id).is_some_and(itself) =>
        {
            None
        }
        ["v2", "key-value-stores", store, "records", key] => record(by_storage.get(store), key),
        ["v2", "actor-runs", id, "key-value-store", "records", key] => record(by_run.get(id), key),
        ["v2", "datasets", id, "items"] => items(by_storage.get(id)),
        ["v2", "actor-runs", id, "dataset", "items"] => items(by_run.get(id)),
        _ => Some("not a permitted request (design §4)".into()),
    }
}

/// One audit log measured against the promise: how many requests, how they authenticated,
/// what they read, and the violations ([`violations`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub requests: usize,
    /// With a valid token, in the Authorization header or (never, by us) the query.
    pub authenticated: usize,
    /// Without a valid token: each would only work under "Anyone with ID can read".
    pub anonymous: usize,
    /// With `token` in the query string.
    pub token_in_query: usize,
    /// Reads of dataset items, all of runs the reader started (else they are violations).
    pub dataset_item_reads: usize,
    /// Reads of key-value records, all of our own keys (else they are violations).
    pub record_reads: usize,
    pub violations: Vec<String>,
}

impl Summary {
    /// Adds another log's figures to these.
    pub fn add(&mut self, other: Summary) {
        self.requests += other.requests;
        self.authenticated += other.authenticated;
        self.anonymous += other.anonymous;
        self.token_in_query += other.token_in_query;
        self.dataset_item_reads += other.dataset_item_reads;
        self.record_reads += other.record_reads;
        self.violations.extend(other.violations);
    }
}

/// [`violations`] with the figures around them.
pub fn summarize(
    audit: &[AuditEntry],
    started: &[StartedRun],
    tool_actor_ids: &BTreeSet<String>,
) -> Summary {
    let is_get = |e: &&AuditEntry| e.method == "GET";
    Summary {
        requests: audit.len(),
        authenticated: audit.iter().filter(|e| e.token_id.is_some()).count(),
        anonymous: audit.iter().filter(|e| e.token_id.is_none()).count(),
        token_in_query: audit
            .iter()
            .filter(|e| e.query.split('&').any(|kv| kv.starts_with("token=")))
            .count(),
        dataset_item_reads: audit
            .iter()
            .filter(is_get)
            .filter(|e| e.path.ends_with("/items"))
            .count(),
        record_reads: audit
            .iter()
            .filter(is_get)
            .filter(|e| e.path.contains("/records/"))
            .count(),
        violations: violations(audit, started, tool_actor_ids),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(method: &str, path: &str, token: &str) -> AuditEntry {
        AuditEntry {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            token_id: Some(token.into()),
            status: 200,
            resource: None,
        }
    }

    #[test]
    fn only_our_own_runs_storage_is_touched() {
        let tools: BTreeSet<String> = ["TOOL".to_string()].into();
        let started = vec![
            // A tool run the user started, and a run of the user's actor it started.
            (
                json!({"id": "R1", "actId": "TOOL", "defaultKeyValueStoreId": "S1", "defaultDatasetId": "D1"}),
                "user".to_string(),
            ),
            (
                json!({"id": "R2", "actId": "USERS", "defaultKeyValueStoreId": "S2", "defaultDatasetId": "D2"}),
                "run-token-R1".to_string(),
            ),
        ];
        let r1 = "run-token-R1";
        let ok = [
            entry("GET", "/v2/acts", r1),
            entry("GET", "/v2/acts/a~b/runs", r1),
            entry("POST", "/v2/acts/a~b/run-sync", r1),
            entry("GET", "/v2/key-value-stores/S1/records/INPUT", r1),
            entry("PUT", "/v2/key-value-stores/S1/records/OUTPUT", r1),
            entry("POST", "/v2/datasets/D1/items", r1),
            entry("PUT", "/v2/actor-runs/R1", r1),
            entry("GET", "/v2/datasets/D2/items", r1),
            entry("GET", "/v2/key-value-stores/S2/records/OUTPUT", r1),
            // A later run of the tool reading the SNAPSHOT of an earlier one.
            entry(
                "GET",
                "/v2/key-value-stores/S1/records/SNAPSHOT",
                "run-token-R9",
            ),
        ];
        assert_eq!(violations(&ok, &started, &tools), Vec::<String>::new());
        let bad = [
            entry("GET", "/v2/datasets/USERS/items", r1),
            entry("GET", "/v2/datasets/D2/items", "run-token-R9"),
            entry(
                "GET",
                "/v2/key-value-stores/S2/records/OUTPUT",
                "run-token-R9",
            ),
            entry("GET", "/v2/key-value-stores/S1/records/secrets", r1),
            entry("PUT", "/v2/key-value-stores/S2/records/OUTPUT", r1),
            entry(
                "GET",
                "/v2/actor-runs/OTHER/key-value-store/records/INPUT",
                r1,
            ),
            entry("PUT", "/v2/actors/a~b", r1),
            entry("GET", "/v2/schedules", r1),
        ];
        assert_eq!(violations(&bad, &started, &tools).len(), bad.len());
        let mut leak = entry("GET", "/v2/acts", r1);
        leak.query = "token=REDACTED".into();
        assert_eq!(violations(&[leak], &started, &tools).len(), 1);
        let mut anonymous = entry("GET", "/v2/datasets/D1/items", r1);
        anonymous.token_id = None;
        let summary = summarize(&[anonymous, entry("GET", "/v2/acts", r1)], &started, &tools);
        assert_eq!((summary.requests, summary.anonymous), (2, 1));
        assert_eq!(summary.dataset_item_reads, 1);
        assert_eq!(summary.violations.len(), 1, "{:?}", summary.violations);
    }
}
