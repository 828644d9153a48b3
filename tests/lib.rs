//! Helpers shared by the end-to-end tests in `tests/tests/`: a synthetic fleet served by the
//! emulator, and the `apifyforge` binary started as the platform or a user would start it.

use chrono::{DateTime, TimeZone, Utc};
use forge_emulator::synth::{generate, GroundTruth, SynthConfig};
use forge_emulator::{Emulator, Fixture};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// The fleet's fixed "now": tests must not depend on the clock.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

/// A small synthetic fleet with planted problems, plus the tool actors.
pub fn fleet(seed: u64, actors: usize) -> (Fixture, GroundTruth) {
    let cfg = SynthConfig {
        seed,
        actors,
        days: 60,
        runs_per_day: 6.0,
        now: now(),
        ..Default::default()
    };
    let (fixture, truth) = generate(&cfg);
    (apifyforge::demo::with_tools(fixture, now()), truth)
}

/// The `apifyforge` binary built for these tests; only integration tests see the variable,
/// so they pass it in: `start(fixture, env!("CARGO_BIN_EXE_apifyforge-e2e"))`.
pub async fn start(fixture: Fixture, binary: &str) -> Emulator {
    let config = apifyforge::demo::platform_config(&[binary.to_string(), "actor".into()]);
    Emulator::start(fixture, config)
        .await
        .expect("the emulator starts")
}

/// The input every test run uses: the analysis pinned to the fleet's "now".
pub fn input() -> Value {
    serde_json::json!({"asOf": "2026-11-23T00:00:00Z"})
}

/// Runs `apifyforge run fleet-analytics` (the CLI flow) in `dir` with `token` against the emulator.
pub async fn cli_run(
    binary: &str,
    emulator: &Emulator,
    token: &str,
    dir: &Path,
    input: &Value,
) -> Output {
    cli_run_tool(binary, emulator, token, dir, "fleet-analytics", input).await
}

/// Runs `apifyforge run <tool>` (the CLI flow) in `dir` with `token` against the emulator.
pub async fn cli_run_tool(
    binary: &str,
    emulator: &Emulator,
    token: &str,
    dir: &Path,
    tool: &str,
    input: &Value,
) -> Output {
    let input_path = dir.join("input.json");
    std::fs::write(&input_path, serde_json::to_vec(input).unwrap()).unwrap();
    tokio::process::Command::new(binary)
        .args(["run", tool, "--input"])
        .arg(&input_path)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APIFY_TOKEN", token)
        .env("APIFY_API_BASE_URL", emulator.base_url())
        .env("APIFY_LOCAL_STORAGE_DIR", dir.join("storage"))
        .output()
        .await
        .expect("apifyforge starts")
}

pub use apifyforge::reliability::comparable;

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Every file under `dir`, recursively, as text.
pub fn all_files_text(dir: &Path) -> Vec<(String, String)> {
    apifyforge::reliability::files_text(dir)
}

/// The workspace root, for the contract schemas kept in the repo.
pub fn workspace_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Validates `instance` against one of the repo's contract schemas (`schemas/*.json`,
/// `actors/<tool>/schemas/*.json`, with the shared ones registered by their `$id`), dates and
/// URIs included. Returns every violation as "path: message".
pub fn contract_violations(schema: &str, instance: &Value) -> Vec<String> {
    let root = workspace_root();
    let mut registry = jsonschema::Registry::new();
    for shared in ["decision", "finding", "signal", "signals"] {
        let value = read_json(&root.join(format!("schemas/{shared}.schema.json")));
        let id = value["$id"]
            .as_str()
            .expect("shared schemas have an $id")
            .to_string();
        registry = registry.add(id, value).expect("valid schema URI");
    }
    let registry = registry.prepare().expect("the registry prepares");
    let schema = read_json(&root.join(schema));
    let validator = jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("contract schema does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Requests a loopback webhook receiver saw: (request head, JSON body or null).
pub type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>;

/// A webhook receiver on loopback at `path`: records each request's head and body and
/// answers 200. Returns its URL.
pub async fn webhook_receiver(path: &str) -> (String, Seen) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let seen: Seen = Default::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            // The head, then as many body bytes as content-length says.
            let (head, body) = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), Vec::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < end + 4 + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                break (head, buf[end + 4..].to_vec());
            };
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            log.lock().unwrap().push((head, body));
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    (url, seen)
}

/// Runs fleet-analytics on the platform (`run-sync-get-dataset-items`, a process of the
/// emulator) and returns the OUTPUT its run stored.
pub async fn orchestrate(
    emulator: &Emulator,
    token: &secrecy::SecretString,
    input: &Value,
) -> Value {
    forge_runtime::owned::run_sync_get_dataset_items(
        &emulator.base_url(),
        token,
        "apifyforge/fleet-analytics",
        input,
    )
    .await
    .expect("fleet-analytics succeeds");
    last_record(emulator, "fleet-analytics", "OUTPUT")
}

/// A JSON record of the newest run of `tool`.
pub fn last_record(emulator: &Emulator, tool: &str, key: &str) -> Value {
    let run = emulator.runs_of(tool).into_iter().last().expect("a run");
    let store = run["defaultKeyValueStoreId"].as_str().expect("a store");
    let (_, bytes) = emulator
        .kv_record(store, key)
        .unwrap_or_else(|| panic!("the {tool} run stored no {key}"));
    serde_json::from_slice(&bytes).expect("a JSON record")
}
