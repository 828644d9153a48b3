//! Reliability suite: security (see [`super`]). Every tool runs as an Actor process on the
//! emulator (the platform flow) and as `apifyforge run` (the CLI flow), and the suite checks:
//!
//! - **leaks**: no token of the account (fixture tokens and every run token) appears, raw,
//!   URL-encoded or base64-encoded at any alignment, in any key-value record, dataset item,
//!   run log, run object, the audit log, an HTML REPORT, the CLI's output and local storage,
//!   or a panic message (provoked: the CLI with its stdout on `/dev/full` panics when it
//!   prints);
//! - **authentication**: no request carries `?token=`, none goes without a token, and the
//!   emulator refuses anonymous reads (General resource access: Restricted);
//! - **least privilege**: each tool × each of the five permissions (see [`matrix`]);
//! - **audit**: the data-access promise ([`crate::audit`]) over every request of every run;
//! - **refused redirections**: inputs that try to point the client elsewhere are refused before
//!   any request, naming the field, and a loopback receiver proves nothing was sent to it.
//!
//! [`token_leaks`] and [`Scan`] are for the other areas too (faults, migration): scan an
//! emulator after its scenario.

use super::{Harness, Scale, Section};
use crate::audit::{self, Summary};
use crate::demo::{platform_config, tool_actor_id, with_tools, PUBLISHER};
use anyhow::{anyhow, Context as _};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::{Emulator, Fixture, Permission, Permissions, TokenSpec};
use forge_runtime::Tool;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long one tool run may take before the scenario gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(600);

// ---------------------------------------------------------------------------------------------
// Leak scan

/// Where a scan looked. The order is the table's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Records,
    Reports,
    DatasetItems,
    RunLogs,
    RunObjects,
    AuditLog,
    CliOutput,
    CliStorage,
    PanicMessages,
}

impl Place {
    pub fn label(self) -> &'static str {
        match self {
            Place::Records => "key-value records (INPUT, OUTPUT, SIGNALS, SNAPSHOT…)",
            Place::Reports => "HTML REPORTs",
            Place::DatasetItems => "dataset items",
            Place::RunLogs => "run logs (Actor processes' stdout and stderr)",
            Place::RunObjects => "run objects (status messages, options)",
            Place::AuditLog => "the emulator's audit log",
            Place::CliOutput => "CLI stdout and stderr",
            Place::CliStorage => "CLI local storage files (storage/)",
            Place::PanicMessages => "panic messages (provoked)",
        }
    }
}

/// The secrets a scan looks for, each in every form it could take in a text.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// (needle, which token, which form): never printed, only searched.
    needles: Vec<(String, usize, &'static str)>,
    count: usize,
}

impl Secrets {
    pub fn new<S: AsRef<str>>(tokens: impl IntoIterator<Item = S>) -> Secrets {
        let mut s = Secrets::default();
        let unique: BTreeSet<String> = tokens.into_iter().map(|t| t.as_ref().to_string()).collect();
        for (i, t) in unique.iter().enumerate() {
            for (needle, form) in forms(t) {
                // A fragment this short would match by chance; tokens are 30+ characters.
                if needle.len() >= 12 {
                    s.needles.push((needle, i, form));
                }
            }
        }
        s.count = unique.len();
        s
    }

    /// How many distinct tokens are searched for.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Which tokens (by index) appear in `text`, and in which form.
    fn found_in(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .needles
            .iter()
            .filter(|(n, _, _)| text.contains(n.as_str()))
            .map(|(_, i, form)| format!("token #{i} ({form})"))
            .collect();
        out.dedup();
        out
    }
}

/// The forms a token takes in text: as is, URL-encoded, and base64 (standard and URL-safe) at
/// each of the three byte alignments it can have inside a longer encoded string: only the
/// characters that depend on the token's bytes alone.
fn forms(token: &str) -> Vec<(String, &'static str)> {
    let mut out = vec![(token.to_string(), "raw")];
    let encoded = url_encode(token);
    if encoded != token {
        out.push((encoded, "URL-encoded"));
    }
    for (alphabet, form) in [(B64_STD, "base64"), (B64_URL, "base64url")] {
        for k in 0..3usize {
            let mut bytes = vec![0u8; k];
            bytes.extend_from_slice(token.as_bytes());
            let enc = base64(&bytes, alphabet);
            let total_bits = 8 * bytes.len();
            let first = (8 * k).div_ceil(6);
            let last = total_bits / 6;
            if let Some(inner) = enc.get(first..last) {
                if !out.iter().any(|(n, _)| n == inner) {
                    out.push((inner.to_string(), form));
                }
            }
        }
    }
    out
}

const B64_STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 without padding.
fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Texts searched and leaks found, by place.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub places: BTreeMap<Place, (usize, Vec<String>)>,
}

impl Scan {
    /// Searches one text; `name` says where it is in the place (a record, a file...).
    pub fn text(&mut self, secrets: &Secrets, place: Place, name: &str, text: &str) {
        let entry = self.places.entry(place).or_default();
        entry.0 += 1;
        for found in secrets.found_in(text) {
            entry.1.push(format!("{} {name}: {found}", place.label()));
        }
    }

    /// Everything an emulator holds: records (REPORTs apart), dataset items, run logs, run
    /// objects and the audit log.
    pub fn emulator(&mut self, secrets: &Secrets, emulator: &Emulator) {
        for r in emulator.all_key_value_records() {
            let place = if r.key == "REPORT" {
                Place::Reports
            } else {
                Place::Records
            };
            let text = String::from_utf8_lossy(&r.data);
            self.text(secrets, place, &format!("{}/{}", r.store_id, r.key), &text);
        }
        for (id, items) in emulator.all_dataset_items() {
            let text = serde_json::to_string(&items).unwrap_or_default();
            self.text(secrets, Place::DatasetItems, &id, &text);
        }
        for (run, log) in emulator.all_run_logs() {
            self.text(secrets, Place::RunLogs, &run, &log);
        }
        for (run, _) in emulator.started_runs() {
            let id = run["id"].as_str().unwrap_or("?").to_string();
            self.text(secrets, Place::RunObjects, &id, &run.to_string());
        }
        let audit = serde_json::to_string(&emulator.audit_log()).unwrap_or_default();
        self.text(secrets, Place::AuditLog, "", &audit);
    }

    /// Every file under `dir`, as text.
    pub fn files(&mut self, secrets: &Secrets, place: Place, dir: &Path) {
        for (path, text) in super::files_text(dir) {
            self.text(secrets, place, &path, &text);
        }
    }

    pub fn merge(&mut self, other: Scan) {
        for (place, (n, leaks)) in other.places {
            let e = self.places.entry(place).or_default();
            e.0 += n;
            e.1.extend(leaks);
        }
    }

    pub fn leaks(&self) -> Vec<String> {
        self.places.values().flat_map(|(_, l)| l.clone()).collect()
    }

    pub fn texts(&self) -> usize {
        self.places.values().map(|(n, _)| n).sum()
    }
}

/// Where any token the emulator accepts (the fixture's and every run token), or one of
/// `secrets`, appears in what the emulator holds or in `extra_texts` (name, text): one line
/// per leak, naming the place and the token by number, never its value. Empty: no leak.
pub fn token_leaks(
    emulator: &Emulator,
    secrets: &[String],
    extra_texts: &[(String, String)],
) -> Vec<String> {
    let secrets = Secrets::new(emulator.token_values().into_iter().chain(secrets.to_vec()));
    let mut scan = Scan::default();
    scan.emulator(&secrets, emulator);
    for (name, text) in extra_texts {
        scan.text(&secrets, Place::CliOutput, name, text);
    }
    scan.leaks()
}

// ---------------------------------------------------------------------------------------------
// The tools and their permissions

/// A tool's permissions as it declares them.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub tool: &'static str,
    pub required: &'static [Permission],
    pub optional: &'static [(Permission, &'static str)],
}

impl Declared {
    /// Everything it may use: the required and the optional permissions.
    pub fn all(&self) -> Vec<Permission> {
        let mut all: Vec<Permission> = self.required.to_vec();
        all.extend(self.optional.iter().map(|(p, _)| *p));
        all.sort();
        all.dedup();
        all
    }

    fn optional_feature(&self, p: Permission) -> Option<&'static str> {
        self.optional.iter().find(|(q, _)| *q == p).map(|(_, f)| *f)
    }
}

fn declared_of<T: Tool>() -> Declared {
    Declared {
        tool: T::NAME,
        required: T::PERMISSIONS,
        optional: T::OPTIONAL_PERMISSIONS,
    }
}

/// Every tool's declaration, in the order of [`crate::tools::TOOLS`].
pub fn declarations() -> Vec<Declared> {
    vec![
        declared_of::<fleet_analytics::FleetAnalytics>(),
        declared_of::<schema_validator::SchemaValidator>(),
        declared_of::<release_gate::ReleaseGate>(),
        declared_of::<cost_watchdog::CostWatchdog>(),
        declared_of::<quality_monitor::QualityMonitor>(),
        declared_of::<ab_tester::AbTester>(),
        declared_of::<compliance_scanner::ComplianceScanner>(),
    ]
}

/// `set` without `p`; without Storages: Read there is no Storages: Write either (on Apify
/// Write implies Read).
fn without(set: &[Permission], p: Permission) -> Vec<Permission> {
    set.iter()
        .copied()
        .filter(|q| *q != p && !(p == Permission::StoragesRead && *q == Permission::StoragesWrite))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The scenario's fleet

/// The fleet every scenario of this area runs on, and what the inputs refer to.
#[derive(Clone)]
struct Fleet {
    fixture: Fixture,
    as_of: String,
    /// A fleet actor with two successful builds (release-gate, ab-tester, probes).
    actor: String,
    build_a: String,
    build_b: String,
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn fleet(scale: Scale) -> anyhow::Result<Fleet> {
    let (actors, days, per_day) = match scale {
        Scale::Fast => (8, 30, 4.0),
        Scale::Full => (40, 60, 6.0),
    };
    let (fixture, _) = generate(&SynthConfig {
        seed: 7,
        actors,
        days,
        runs_per_day: per_day,
        now: now(),
        ..Default::default()
    });
    let mut fixture = with_tools(fixture, now());
    let (actor, build_a, build_b) = fixture
        .actors
        .iter()
        .filter(|a| a.behavior.is_some())
        .find_map(|a| {
            let ok: Vec<&str> = a
                .builds
                .iter()
                .filter(|b| b["status"] == "SUCCEEDED")
                .filter_map(|b| b["buildNumber"].as_str())
                .collect();
            (ok.len() >= 2).then(|| {
                (
                    a.name().to_string(),
                    ok[ok.len() - 2].to_string(),
                    ok[ok.len() - 1].to_string(),
                )
            })
        })
        .ok_or_else(|| anyhow!("the synthetic fleet has no actor with two successful builds"))?;
    // A token per tool and permission set of the matrix.
    let mut n = 0u64;
    let mut token = |id: String, permissions: Vec<Permission>| {
        n += 1;
        TokenSpec {
            token: secret_like(n),
            id,
            permissions: Permissions::Scoped(permissions),
        }
    };
    let mut extra = Vec::new();
    for d in declarations() {
        extra.push(token(format!("m-{}-declared", d.tool), d.all()));
        for p in Permission::ALL {
            extra.push(token(
                format!("m-{}-no-{}", d.tool, p.id().replace(':', "-")),
                without(&d.all(), p),
            ));
        }
    }
    // The CLI flow's own, as `apifyforge doctor` states it.
    for tool in crate::tools::TOOLS {
        extra.push(token(
            format!("cli-{tool}"),
            crate::tools::cli_permissions(tool),
        ));
    }
    fixture.tokens.extend(extra);
    Ok(Fleet {
        fixture,
        as_of: now().to_rfc3339_opts(SecondsFormat::Secs, true),
        actor,
        build_a,
        build_b,
    })
}

/// A token value of Apify's shape (`apify_api_` and 36 letters and digits), distinct per `n`.
fn secret_like(n: u64) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66_D1CE_4E5B;
    let mut s = String::from("apify_api_");
    for _ in 0..36 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(ALNUM[(x % ALNUM.len() as u64) as usize] as char);
    }
    s
}

/// The input of each tool that uses every permission it declares (optional features on).
fn input_of(fleet: &Fleet, tool: &str) -> Value {
    let as_of = &fleet.as_of;
    match tool {
        "fleet-analytics" => json!({
            "asOf": as_of,
            "specialists": ["schema-validator"],
            "specialistsOwner": PUBLISHER,
        }),
        "schema-validator" => json!({}),
        "release-gate" => json!({"actor": fleet.actor}),
        "quality-monitor" => json!({
            "asOf": as_of,
            "probes": [{"actor": fleet.actor, "minItems": 0}],
        }),
        "ab-tester" => json!({
            "actor": fleet.actor, "mode": "experiment",
            "variantA": {"build": fleet.build_a}, "variantB": {"build": fleet.build_b},
            "maxRuns": 20, "maxBudgetUsd": 20, "runTimeoutSecs": 600, "asOf": as_of,
        }),
        _ => json!({"asOf": as_of}),
    }
}

/// ab-tester from history: what it does without Actors: Run.
fn ab_history_input(fleet: &Fleet) -> Value {
    json!({"actor": fleet.actor, "asOf": fleet.as_of, "windowDays": 30})
}

/// The input of each tool with its optional features off (the CLI flow's least privilege).
fn basic_input_of(fleet: &Fleet, tool: &str) -> Value {
    match tool {
        "ab-tester" => ab_history_input(fleet),
        "quality-monitor" => json!({"asOf": fleet.as_of}),
        _ => input_of(fleet, tool),
    }
}

/// OUTPUT without what differs between two runs over the same evidence: the time, run
/// metadata, ids and links of the runs it started, and wall-clock durations.
fn comparable(v: &Value) -> Value {
    const VOLATILE: &[&str] = &[
        "generatedAt",
        "meta",
        "runId",
        "runIds",
        "consoleUrl",
        "durationSecs",
        // Clock times, for a tool whose input has no `asOf`.
        "firstSeenAt",
        "lastSeenAt",
    ];
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !VOLATILE.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Value::Array(xs) => Value::Array(xs.iter().map(comparable).collect()),
        other => other.clone(),
    }
}

/// The JSON pointer of the first place `a` and `b` differ, with both values there.
fn first_difference(a: &Value, b: &Value, at: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return first_difference(v, w, &format!("{at}/{k}")),
                    None => return format!("{at}/{k} (only in the first)"),
                }
            }
            match y.keys().find(|k| !x.contains_key(*k)) {
                Some(k) => format!("{at}/{k} (only in the second)"),
                None => at.to_string(),
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (v, w))| v != w)
            .map(|(i, (v, w))| first_difference(v, w, &format!("{at}/{i}")))
            .unwrap_or_else(|| at.to_string()),
        _ => {
            let short = |v: &Value| v.to_string().chars().take(120).collect::<String>();
            format!("{at}: {} vs {}", short(a), short(b))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running a tool

/// One platform run of a tool with one token, on an emulator of its own (so no run sees
/// another's SNAPSHOT), and what the checks need from it.
#[derive(Debug, Clone, Default)]
struct PlatformRun {
    status: String,
    exit_code: Option<i64>,
    status_message: String,
    output: Option<Value>,
    log: String,
    audit: Summary,
    scan: Scan,
}

impl PlatformRun {
    fn succeeded(&self) -> bool {
        self.status == "SUCCEEDED"
    }
}

fn tool_ids() -> BTreeSet<String> {
    crate::tools::TOOLS
        .iter()
        .map(|t| tool_actor_id(t))
        .collect()
}

async fn platform_run(
    actor_command: Vec<String>,
    fleet: Fleet,
    tool: String,
    token_id: String,
    input: Value,
    extra_env: Vec<(String, String)>,
) -> anyhow::Result<PlatformRun> {
    let mut config = platform_config(&actor_command);
    config.extra_env = extra_env;
    let emulator = Emulator::start(fleet.fixture.clone(), config)
        .await
        .context("starting the emulator")?;
    let run_id = emulator
        .start_run_as(&tool, &token_id, &input)
        .await
        .with_context(|| format!("starting {tool}"))?;
    // Its specialists and experiment runs end before it does.
    emulator.wait_for_run(&run_id, RUN_LIMIT).await;
    let run = emulator.run(&run_id).unwrap_or(Value::Null);
    let output = run["defaultKeyValueStoreId"]
        .as_str()
        .and_then(|s| emulator.kv_record(s, "OUTPUT"))
        .and_then(|(_, bytes)| serde_json::from_slice(&bytes).ok());
    let secrets = Secrets::new(emulator.token_values());
    let mut scan = Scan::default();
    scan.emulator(&secrets, &emulator);
    let result = PlatformRun {
        status: run["status"].as_str().unwrap_or("?").to_string(),
        exit_code: run["exitCode"].as_i64(),
        status_message: run["statusMessage"].as_str().unwrap_or("").to_string(),
        output,
        log: emulator.run_log(&run_id).unwrap_or_default(),
        audit: audit::summarize(&emulator.audit_log(), &emulator.started_runs(), &tool_ids()),
        scan,
    };
    emulator.shutdown().await;
    Ok(result)
}

/// Runs `jobs` at most `width` at a time; one result per job, in the jobs' order.
async fn in_parallel<T: Send + 'static>(
    jobs: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<T>> + Send>>>,
    width: usize,
) -> Vec<anyhow::Result<T>> {
    let permits = Arc::new(tokio::sync::Semaphore::new(width.max(1)));
    let mut handles = Vec::new();
    for job in jobs {
        let permits = permits.clone();
        handles.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            job.await
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(
            h.await
                .unwrap_or_else(|e| Err(anyhow!("the scenario task failed: {e}"))),
        );
    }
    out
}

/// What `apifyforge run <tool>` (the CLI flow) did.
#[derive(Debug, Default)]
struct CliRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `apifyforge run <tool> --input <dir>/input.json` in `dir`, as a user runs it.
async fn cli_run(
    cli_command: &[String],
    base_url: &str,
    token: &str,
    dir: &Path,
    tool: &str,
    input: &Value,
    full_stdout: bool,
) -> anyhow::Result<CliRun> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let input_path = dir.join("input.json");
    std::fs::write(&input_path, serde_json::to_vec(input)?)?;
    let (exe, args) = cli_command
        .split_first()
        .ok_or_else(|| anyhow!("no CLI command"))?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(args)
        .args(["run", tool, "--input"])
        .arg(&input_path)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APIFY_TOKEN", token)
        .env("APIFY_API_BASE_URL", base_url)
        .env("APIFY_LOCAL_STORAGE_DIR", dir.join("storage"))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if full_stdout {
        // Every write fails with "no space left on device" and printing panics (a closed pipe
        // would not do: the CLI's printer ignores a broken pipe, as it should).
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .context("opening /dev/full")?;
        cmd.stdout(Stdio::from(full));
    } else {
        cmd.stdout(Stdio::piped());
    }
    let child = cmd.spawn().context("starting apifyforge run")?;
    let out = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
        .await
        .map_err(|_| anyhow!("apifyforge run {tool} did not finish"))??;
    Ok(CliRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    })
}

// ---------------------------------------------------------------------------------------------
// The least-privilege matrix

/// One cell of the matrix: what it says and whether the promise held.
struct Cell {
    text: String,
    failure: Option<String>,
}

/// Judges tool × permission from the runs: the declared set, the full token, and the set
/// without `p` when `p` is declared.
fn judge(
    d: &Declared,
    p: Permission,
    declared: &PlatformRun,
    full: &PlatformRun,
    minus: Option<&PlatformRun>,
    history: Option<(&PlatformRun, &PlatformRun)>,
) -> Cell {
    let label = p.label();
    let tool = d.tool;
    let same_output = |a: &PlatformRun, b: &PlatformRun| {
        a.output.as_ref().map(comparable) == b.output.as_ref().map(comparable) && a.output.is_some()
    };
    let names = |r: &PlatformRun| r.status_message.contains(label) && r.log.contains(label);
    let fail = |text: &str, why: String| Cell {
        text: text.into(),
        failure: Some(format!("{tool} × {label}: {why}")),
    };
    let Some(minus) = minus else {
        // Not declared: the declared run is the run without it.
        return if declared.succeeded() && same_output(declared, full) {
            Cell {
                text: "not needed: works without it".into(),
                failure: None,
            }
        } else if !declared.succeeded() {
            fail(
                "BROKEN",
                format!(
                    "fails with exactly its declared permissions ({})",
                    declared.status_message
                ),
            )
        } else {
            fail(
                "DIFFERS",
                format!(
                    "its OUTPUT without it differs from the full token's at {}",
                    first_difference(
                        &declared
                            .output
                            .as_ref()
                            .map(comparable)
                            .unwrap_or(Value::Null),
                        &full.output.as_ref().map(comparable).unwrap_or(Value::Null),
                        ""
                    )
                ),
            )
        };
    };
    if let Some(feature) = d.optional_feature(p) {
        let in_output = minus
            .output
            .as_ref()
            .is_some_and(|o| o.to_string().contains(label));
        let history_ok = history
            .is_none_or(|(h_minus, h_full)| h_minus.succeeded() && same_output(h_minus, h_full));
        return match (minus.succeeded(), in_output, names(minus), history_ok) {
            (true, true, _, true) => Cell {
                text: format!("optional: {feature} disabled, named in OUTPUT"),
                failure: None,
            },
            (false, _, true, true) => Cell {
                text: format!(
                    "optional: {feature} refused, names it{}",
                    if history.is_some() {
                        "; history mode works without it"
                    } else {
                        ""
                    }
                ),
                failure: None,
            },
            (_, _, _, false) => fail(
                "BROKEN",
                "the mode that does not need it did not work without it".into(),
            ),
            _ => fail(
                "UNNAMED",
                format!(
                    "without it the {feature} feature is off but nothing names {label} (status: {})",
                    minus.status_message
                ),
            ),
        };
    }
    if minus.succeeded() {
        return fail(
            "NOT NEEDED",
            "declared as required, yet the run succeeds without it: fix the declaration".into(),
        );
    }
    if minus.exit_code == Some(0) {
        return fail("EXIT 0", "the run failed with exit code 0".into());
    }
    if !names(minus) {
        return fail(
            "UNNAMED",
            format!(
                "the failure does not name {label} in both the status message and the log (status: {})",
                minus.status_message
            ),
        );
    }
    Cell {
        text: format!("required: fails, names {label}"),
        failure: None,
    }
}

struct Matrix {
    rows: Vec<Vec<String>>,
    failures: Vec<String>,
    runs: Vec<PlatformRun>,
    checked: usize,
}

async fn matrix(h: &Harness, fleet: &Fleet) -> anyhow::Result<Matrix> {
    type Job =
        std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<PlatformRun>> + Send>>;
    let job = |tool: &str, token: String, input: Value| -> Job {
        Box::pin(platform_run(
            h.actor_command.clone(),
            fleet.clone(),
            tool.to_string(),
            token,
            input,
            Vec::new(),
        ))
    };
    // Planned runs: (tool, kind, job).
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    for d in declarations() {
        let input = input_of(fleet, d.tool);
        let mut plan = |kind: String, token: String, input: Value| {
            keys.push((d.tool.to_string(), kind));
            jobs.push(job(d.tool, token, input));
        };
        plan("full".into(), "full".into(), input.clone());
        plan(
            "declared".into(),
            format!("m-{}-declared", d.tool),
            input.clone(),
        );
        for p in d.all() {
            plan(
                format!("no-{}", p.id()),
                format!("m-{}-no-{}", d.tool, p.id().replace(':', "-")),
                input.clone(),
            );
        }
        if d.tool == ab_tester::AbTester::NAME {
            let history = ab_history_input(fleet);
            plan("history-full".into(), "full".into(), history.clone());
            plan(
                "history-no-actors:run".into(),
                format!("m-{}-no-actors-run", d.tool),
                history,
            );
        }
    }
    let results = in_parallel(jobs, 2).await;
    let mut by_key: BTreeMap<(String, String), PlatformRun> = BTreeMap::new();
    for (key, r) in keys.into_iter().zip(results) {
        by_key.insert(
            key.clone(),
            r.with_context(|| format!("{} {}", key.0, key.1))?,
        );
    }
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for d in declarations() {
        let get = |kind: &str| by_key.get(&(d.tool.to_string(), kind.to_string()));
        let (Some(full), Some(declared)) = (get("full"), get("declared")) else {
            failures.push(format!("{}: the matrix runs did not all happen", d.tool));
            continue;
        };
        if !full.succeeded() {
            failures.push(format!(
                "{} fails with a full token: {}",
                d.tool, full.status_message
            ));
        }
        let mut row = vec![d.tool.to_string()];
        for p in Permission::ALL {
            let minus = get(&format!("no-{}", p.id()));
            let history = match (get("history-no-actors:run"), get("history-full")) {
                (Some(a), Some(b)) if p == Permission::ActorsRun => Some((a, b)),
                _ => None,
            };
            let cell = judge(&d, p, declared, full, minus, history);
            checked += 1;
            row.push(cell.text);
            failures.extend(cell.failure);
        }
        rows.push(row);
    }
    Ok(Matrix {
        rows,
        failures,
        runs: by_key.into_values().collect(),
        checked,
    })
}

// ---------------------------------------------------------------------------------------------
// Refused redirections

/// A loopback HTTP receiver that only counts the connections it gets.
async fn receiver() -> anyhow::Result<(String, Arc<AtomicUsize>)> {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .await;
        }
    });
    Ok((url, seen))
}

/// One attempt to point the client elsewhere: the tool, its input, the field to be named.
struct Attempt {
    what: &'static str,
    tool: &'static str,
    input: Value,
    field: &'static str,
}

fn attempts(fleet: &Fleet, receiver: &str, api: &str) -> Vec<Attempt> {
    let a = |what, tool, input, field| Attempt {
        what,
        tool,
        input,
        field,
    };
    let actor = fleet.actor.as_str();
    vec![
        a(
            "base URL in the input",
            "fleet-analytics",
            json!({"apiBaseUrl": receiver}),
            "apiBaseUrl",
        ),
        a(
            "base URL in the input",
            "cost-watchdog",
            json!({"baseUrl": format!("{receiver}/v2")}),
            "baseUrl",
        ),
        a(
            "proxy in the input",
            "compliance-scanner",
            json!({"proxyUrl": receiver}),
            "proxyUrl",
        ),
        a(
            "a token in the input",
            "schema-validator",
            json!({"token": "apify_api_not_a_real_token"}),
            "token",
        ),
        a(
            "unknown field holding a URL",
            "quality-monitor",
            json!({"endpointOverride": receiver}),
            "endpointOverride",
        ),
        a(
            "`../` in an actor id",
            "fleet-analytics",
            json!({"actors": ["../../users/me"]}),
            "actors[0]",
        ),
        a(
            "`%2e%2e` in an actor id",
            "cost-watchdog",
            json!({"actors": ["%2e%2e%2fusers%2fme"]}),
            "actors[0]",
        ),
        a(
            "extra `/` in an actor name",
            "quality-monitor",
            json!({"actors": [format!("{PUBLISHER}/fleet-analytics/../x")]}),
            "actors[0]",
        ),
        a(
            "`?` in an actor id",
            "schema-validator",
            json!({"actors": [format!("{actor}?token=x")]}),
            "actors[0]",
        ),
        a(
            "`#` in an actor id",
            "compliance-scanner",
            json!({"actors": [format!("{actor}#x")]}),
            "actors[0]",
        ),
        a(
            "whitespace in an actor name",
            "fleet-analytics",
            json!({"actors": ["my actor"]}),
            "actors[0]",
        ),
        a(
            "a URL as the actor",
            "release-gate",
            json!({"actor": format!("{receiver}/v2/actors/x")}),
            "actor",
        ),
        a(
            "`../` as the actor",
            "release-gate",
            json!({"actor": "../../actor-runs"}),
            "actor",
        ),
        a(
            "`?` in a build",
            "release-gate",
            json!({"actor": actor, "candidateBuild": "0.0.1?x=1"}),
            "candidateBuild",
        ),
        a(
            "`%2e%2e` in a variant's actor",
            "ab-tester",
            json!({"actor": actor, "variantA": {"actor": "..%2F..%2Fusers"}}),
            "variantA.actor",
        ),
        a(
            "`#` in a variant's build",
            "ab-tester",
            json!({"actor": actor, "mode": "experiment", "variantA": {"build": "0.0.1#x"}, "variantB": {"build": "latest"}}),
            "variantA.build",
        ),
        a(
            "a URL as a probe's actor",
            "quality-monitor",
            json!({"probes": [{"actor": receiver}]}),
            "probes[0].actor",
        ),
        a(
            "`../` as the specialists' owner",
            "fleet-analytics",
            json!({"specialists": ["schema-validator"], "specialistsOwner": "../actor-runs"}),
            "specialistsOwner",
        ),
        a(
            "`../` in a release gate's actor",
            "fleet-analytics",
            json!({"releaseGates": [{"actor": "../x"}]}),
            "releaseGates[0].actor",
        ),
        a(
            "alerts sent to the API host",
            "fleet-analytics",
            json!({"specialists": ["schema-validator"], "notify": format!("{api}/v2/actors")}),
            "notify",
        ),
    ]
}

struct Redirections {
    rows: Vec<Vec<String>>,
    failures: Vec<String>,
    attempts: usize,
    refused: usize,
    audit: Summary,
    scan: Scan,
}

async fn redirections(
    h: &Harness,
    fleet: &Fleet,
    secrets_dir: &Path,
) -> anyhow::Result<Redirections> {
    let (url, seen) = receiver().await?;
    let emulator =
        Emulator::start(fleet.fixture.clone(), platform_config(&h.actor_command)).await?;
    let token = token_value(&fleet.fixture, "scoped")?;
    let list = attempts(fleet, &url, &emulator.base_url());
    let mut out = Redirections {
        rows: Vec::new(),
        failures: Vec::new(),
        attempts: 0,
        refused: 0,
        audit: Summary::default(),
        scan: Scan::default(),
    };
    // The CLI flow: refused at input, before the client exists.
    let mut by_what: BTreeMap<&str, (usize, usize, BTreeSet<&str>)> = BTreeMap::new();
    for (i, a) in list.iter().enumerate() {
        let before = emulator.request_count();
        let dir = secrets_dir.join(format!("redirect-{i}"));
        let run = cli_run(
            &h.cli_command,
            &emulator.base_url(),
            &token,
            &dir,
            a.tool,
            &a.input,
            false,
        )
        .await?;
        let sent = emulator.request_count() - before;
        let named = run.stderr.contains(a.field);
        let ok = run.code == Some(2) && named && sent == 0;
        out.attempts += 1;
        let e = by_what.entry(a.what).or_default();
        e.0 += 1;
        e.2.insert(a.tool);
        if ok {
            out.refused += 1;
            e.1 += 1;
        } else {
            out.failures.push(format!(
                "{} ({}, CLI flow): exit {:?}, field {} named: {named}, requests sent: {sent}",
                a.what, a.tool, run.code, a.field
            ));
        }
        let secrets = Secrets::new(emulator.token_values());
        out.scan.text(
            &secrets,
            Place::CliOutput,
            &format!("redirect {i}"),
            &run.stdout,
        );
        out.scan.text(
            &secrets,
            Place::CliOutput,
            &format!("redirect {i}"),
            &run.stderr,
        );
    }
    // The platform flow: the run reads its INPUT, refuses it, says why in its status message
    // and sends nothing else.
    let platform: Vec<&Attempt> = list
        .iter()
        .filter(|a| {
            matches!(
                a.field,
                "apiBaseUrl" | "actors[0]" | "actor" | "specialistsOwner" | "probes[0].actor"
            )
        })
        .collect();
    let mut platform_refused = 0;
    for a in &platform {
        let before = emulator.request_count();
        let run_id = emulator.start_run_as(a.tool, "scoped", &a.input).await?;
        emulator.wait_for_run(&run_id, RUN_LIMIT).await;
        let run = emulator.run(&run_id).unwrap_or(Value::Null);
        let audit = emulator.audit_log();
        let beyond: Vec<String> = audit[before.min(audit.len())..]
            .iter()
            .filter(|e| {
                let reads_input = e.method == "GET" && e.path.ends_with("/records/INPUT");
                let sets_status = e.method == "PUT" && e.path == format!("/v2/actor-runs/{run_id}");
                !(reads_input || sets_status)
            })
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        let message = run["statusMessage"].as_str().unwrap_or("");
        out.attempts += 1;
        if run["exitCode"] == 2 && message.contains(a.field) && beyond.is_empty() {
            out.refused += 1;
            platform_refused += 1;
        } else {
            out.failures.push(format!(
                "{} ({}, platform flow): exit {}, status {message:?}, requests beyond INPUT and the status: {beyond:?}",
                a.what, a.tool, run["exitCode"]
            ));
        }
    }
    // A record key with a directory step (the input key from the environment): refused
    // before the record is read.
    let mut config = platform_config(&h.actor_command);
    config.extra_env = vec![("ACTOR_INPUT_KEY".into(), "../../INPUT".into())];
    let keyed = Emulator::start(fleet.fixture.clone(), config).await?;
    let run_id = keyed
        .start_run_as("schema-validator", "scoped", &json!({}))
        .await?;
    keyed.wait_for_run(&run_id, RUN_LIMIT).await;
    let run = keyed.run(&run_id).unwrap_or(Value::Null);
    let reads = keyed
        .audit_log()
        .iter()
        .filter(|e| e.path.contains("/records/"))
        .count();
    let message = run["statusMessage"].as_str().unwrap_or("");
    out.attempts += 1;
    let key_ok = run["status"] == "FAILED" && message.contains("record key") && reads == 0;
    if key_ok {
        out.refused += 1;
    } else {
        out.failures.push(format!(
            "`../` in the input key (ACTOR_INPUT_KEY): status {:?}, records read {reads}",
            message
        ));
    }
    out.audit.add(audit::summarize(
        &keyed.audit_log(),
        &keyed.started_runs(),
        &tool_ids(),
    ));
    let secrets = Secrets::new(keyed.token_values());
    out.scan.emulator(&secrets, &keyed);
    keyed.shutdown().await;

    let received = seen.load(Ordering::SeqCst);
    if received > 0 {
        out.failures.push(format!(
            "the loopback receiver named in the inputs got {received} connections"
        ));
    }
    for (what, (n, refused, tools)) in by_what {
        out.rows.push(vec![
            what.to_string(),
            tools.into_iter().collect::<Vec<_>>().join(", "),
            n.to_string(),
            refused.to_string(),
        ]);
    }
    out.rows.push(vec![
        "the same, as platform runs (refused after reading INPUT)".into(),
        platform
            .iter()
            .map(|a| a.tool)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(", "),
        platform.len().to_string(),
        platform_refused.to_string(),
    ]);
    out.rows.push(vec![
        "`../` in the input key (ACTOR_INPUT_KEY)".into(),
        "schema-validator".into(),
        "1".into(),
        usize::from(key_ok).to_string(),
    ]);
    out.rows.push(vec![
        "connections the loopback receiver got".into(),
        String::new(),
        String::new(),
        received.to_string(),
    ]);
    out.audit.add(audit::summarize(
        &emulator.audit_log(),
        &emulator.started_runs(),
        &tool_ids(),
    ));
    let secrets = Secrets::new(emulator.token_values());
    out.scan.emulator(&secrets, &emulator);
    emulator.shutdown().await;
    Ok(out)
}

fn token_value(fixture: &Fixture, id: &str) -> anyhow::Result<String> {
    fixture
        .tokens
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.token.clone())
        .ok_or_else(|| anyhow!("the fixture has no `{id}` token"))
}

// ---------------------------------------------------------------------------------------------
// The CLI flow, panics and anonymous access

struct CliFlow {
    runs: usize,
    failures: Vec<String>,
    audit: Summary,
    scan: Scan,
    panics: usize,
    anonymous_refused: usize,
    anonymous_tried: usize,
}

async fn cli_flow(h: &Harness, fleet: &Fleet, dir: &Path) -> anyhow::Result<CliFlow> {
    let emulator =
        Emulator::start(fleet.fixture.clone(), platform_config(&h.actor_command)).await?;
    let mut out = CliFlow {
        runs: 0,
        failures: Vec::new(),
        audit: Summary::default(),
        scan: Scan::default(),
        panics: 0,
        anonymous_refused: 0,
        anonymous_tried: 0,
    };
    // The provoked panic needs Linux's /dev/full; elsewhere it is not provoked (and the
    // table says 0 provoked).
    let panic_tools: &[&str] = match h.scale {
        _ if !Path::new("/dev/full").exists() => &[],
        Scale::Fast => &["fleet-analytics"],
        Scale::Full => crate::tools::TOOLS,
    };
    for tool in crate::tools::TOOLS {
        let run_dir = dir.join(format!("cli-{tool}"));
        let input = basic_input_of(fleet, tool);
        let token = token_value(&fleet.fixture, &format!("cli-{tool}"))?;
        let run = cli_run(
            &h.cli_command,
            &emulator.base_url(),
            &token,
            &run_dir,
            tool,
            &input,
            false,
        )
        .await?;
        out.runs += 1;
        if !matches!(run.code, Some(0 | 3)) {
            out.failures.push(format!(
                "apifyforge run {tool} with exactly the CLI's permissions ({}) failed (exit {:?}): {}",
                crate::tools::cli_permissions(tool)
                    .iter()
                    .map(|p| p.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                run.code,
                run.stderr.lines().last().unwrap_or("")
            ));
        }
        let secrets = Secrets::new(emulator.token_values());
        out.scan.text(
            &secrets,
            Place::CliOutput,
            &format!("{tool} stdout"),
            &run.stdout,
        );
        out.scan.text(
            &secrets,
            Place::CliOutput,
            &format!("{tool} stderr"),
            &run.stderr,
        );
        out.scan
            .files(&secrets, Place::CliStorage, &run_dir.join("storage"));
        if panic_tools.contains(tool) {
            let panic_dir = dir.join(format!("panic-{tool}"));
            let run = cli_run(
                &h.cli_command,
                &emulator.base_url(),
                &token,
                &panic_dir,
                tool,
                &input,
                true,
            )
            .await?;
            if run.stderr.contains("panicked") {
                out.panics += 1;
            } else {
                out.failures.push(format!(
                    "apifyforge run {tool} with its stdout on /dev/full did not panic (exit {:?}); the panic path is untested",
                    run.code
                ));
            }
            out.scan.text(
                &secrets,
                Place::PanicMessages,
                &format!("{tool} stderr"),
                &run.stderr,
            );
        }
    }
    out.audit.add(audit::summarize(
        &emulator.audit_log(),
        &emulator.started_runs(),
        &tool_ids(),
    ));
    // Restricted general access: the emulator answers an anonymous read of a run's storages
    // with 401, so the tools' success proves they never needed open access.
    let run_id = emulator
        .start_run_as("schema-validator", "scoped", &json!({}))
        .await?;
    emulator.wait_for_run(&run_id, RUN_LIMIT).await;
    let started = emulator.started_runs();
    let mut anonymous = Vec::new();
    if let Some((run, _)) = started.first() {
        if let Some(d) = run["defaultDatasetId"].as_str() {
            anonymous.push(format!("/v2/datasets/{d}/items"));
        }
        if let Some(s) = run["defaultKeyValueStoreId"].as_str() {
            anonymous.push(format!("/v2/key-value-stores/{s}/records/OUTPUT"));
        }
    }
    anonymous.push("/v2/actors?my=1".into());
    out.anonymous_tried = anonymous.len();
    for path in &anonymous {
        match http_get_status(&emulator.base_url(), path, None).await {
            Ok(401) => out.anonymous_refused += 1,
            Ok(status) => out.failures.push(format!(
                "the emulator answered an anonymous GET {path} with {status}: it does not play Restricted access"
            )),
            Err(e) => out.failures.push(format!("anonymous GET {path}: {e:#}")),
        }
    }
    let secrets = Secrets::new(emulator.token_values());
    out.scan.emulator(&secrets, &emulator);
    emulator.shutdown().await;
    Ok(out)
}

/// The status of a plain GET on the emulator, with `token` in the Authorization header or
/// without any (bypassing our client and its limiter: for controls only).
pub(crate) async fn http_get_status(
    base_url: &str,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("not an http URL"))?;
    let mut sock = tokio::net::TcpStream::connect(host).await?;
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n{auth}connection: close\r\n\r\n");
    sock.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    sock.read_to_end(&mut response).await?;
    let head = String::from_utf8_lossy(&response);
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no HTTP status in the answer"))
}

/// The scan finds a token planted in each of its forms: (planted, found).
fn positive_control() -> (usize, usize) {
    let token = secret_like(u64::MAX);
    let secrets = Secrets::new([token.as_str()]);
    let texts = [
        format!("2026-11-23 INFO request with Authorization: Bearer {token}"),
        format!(
            "https://example.com/x?token={}",
            url_encode(&format!("{token} "))
        ),
        base64(format!("x:Bearer {token}\n").as_bytes(), B64_STD),
        base64(format!("xy{token}").as_bytes(), B64_URL),
    ];
    let found = texts
        .iter()
        .filter(|t| !secrets.found_in(t).is_empty())
        .count();
    (texts.len(), found)
}

// ---------------------------------------------------------------------------------------------
// The section

/// A Markdown table, for the tables beyond the section's own.
pub(crate) fn markdown_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut t = format!("| {} |\n", headers.join(" | "));
    t.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
    for r in rows {
        t.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    t
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    crate::ui::thousands(n as u64)
}

pub async fn run(h: &Harness) -> anyhow::Result<Section> {
    let fleet = fleet(h.scale)?;
    let dir = h.work_dir.join("security");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    let matrix = matrix(h, &fleet).await?;
    let cli = cli_flow(h, &fleet, &dir).await?;
    let redirect = redirections(h, &fleet, &dir).await?;

    let mut failures = matrix.failures.clone();
    failures.extend(cli.failures.clone());
    failures.extend(redirect.failures.clone());

    // Leaks, everywhere.
    let mut scan = Scan::default();
    let mut audit = Summary::default();
    for r in &matrix.runs {
        scan.merge(r.scan.clone());
        audit.add(r.audit.clone());
    }
    let platform_audit = audit.clone();
    scan.merge(cli.scan);
    scan.merge(redirect.scan);
    audit.add(cli.audit.clone());
    audit.add(redirect.audit.clone());
    let leaks = scan.leaks();
    failures.extend(leaks.iter().take(20).map(|l| format!("token leak: {l}")));
    if audit.token_in_query > 0 {
        failures.push(format!("{} requests carried ?token=", audit.token_in_query));
    }
    if audit.anonymous > 0 {
        failures.push(format!(
            "{} requests of our tools had no valid token",
            audit.anonymous
        ));
    }
    failures.extend(
        audit
            .violations
            .iter()
            .take(20)
            .map(|v| format!("data-access violation: {v}")),
    );

    let mut leak_rows: Vec<Vec<String>> = scan
        .places
        .iter()
        .map(|(place, (n, l))| {
            vec![
                place.label().to_string(),
                thousands(*n),
                l.len().to_string(),
            ]
        })
        .collect();
    let (planted, found) = positive_control();
    if found != planted {
        failures.push(format!(
            "the leak scan found {found} of {planted} planted tokens: it cannot be trusted"
        ));
    }
    leak_rows.push(vec![
        "positive control: a token planted raw, URL-encoded, base64, base64url".into(),
        planted.to_string(),
        format!("{found} found (as it must)"),
    ]);
    let audit_row = |what: &str, s: &Summary| {
        vec![
            what.to_string(),
            thousands(s.requests),
            thousands(s.authenticated),
            s.token_in_query.to_string(),
            s.anonymous.to_string(),
            thousands(s.dataset_item_reads),
            thousands(s.record_reads),
            s.violations.len().to_string(),
        ]
    };
    let audit_rows = vec![
        audit_row(
            &format!(
                "matrix: {} platform runs (each tool, each token)",
                matrix.runs.len()
            ),
            &platform_audit,
        ),
        audit_row(&format!("CLI flow: {} runs", cli.runs), &cli.audit),
        audit_row("refused redirections", &redirect.audit),
        audit_row("all", &audit),
    ];
    let secrets_count = {
        // Fixture tokens; every emulator's run tokens come on top.
        fleet.fixture.tokens.len()
    };
    let summary = format!(
        "Every tool ran as an Actor process on the emulator (the platform flow: {} runs, each on \
         an emulator of its own so that no run sees another's SNAPSHOT) and as `apifyforge run` \
         (the CLI flow: {} runs), on a synthetic fleet of {} actors.\n\n\
         **Least privilege** (the table): each tool ran with its declared permissions exactly, \
         with a full token, and with the declared set minus each declared permission (minus \
         Storages: Read is minus Storages: Write too: on Apify Write implies Read). *required*: \
         the run fails (exit code ≠ 0) and both its status message and its log name the \
         permission as Apify Console labels it; *optional*: only the named feature is off or \
         refused and the permission is named; *not needed*: the declared set lacks it and the \
         run's OUTPUT equals the full token's (ids, links and times aside). The runs were started \
         as Console starts them, each run token carrying exactly the token's scope.\n\n\
         **Token leaks**: the {} fixture tokens and every run token the emulator made were \
         searched raw, URL-encoded and base64-encoded (standard and URL-safe, at each byte \
         alignment) in:\n\n{}\n\
         The panic was provoked without a test hook: `apifyforge run` with its stdout on \
         `/dev/full` panics when it prints its summary ({} provoked).\n\n\
         **Authentication and data access** (the emulator's audit log, every request of every \
         run): no `?token=`, no request without a valid token; the emulator plays General \
         resource access: Restricted (anonymous reads of a run's dataset, its OUTPUT and the actor \
         list answered 401: {} of {}). Dataset items are read only of runs the reader started, \
         key-value records only our own keys ([`audit`](../crates/apifyforge/src/audit.rs)):\n\n{}\n\
         **Refused redirections**: each input below was refused before any request, with an \
         error naming the field (exit code 2), and a loopback receiver named in the inputs got \
         no connection. An unknown top-level input field is ignored (the platform ignores it \
         too; saved tasks keep fields a later version dropped) unless its name says URL, host, \
         endpoint, proxy, server, token or API key, or its value is a URL: then it is refused, \
         since the API address comes only from the run's environment.\n\n{}",
        matrix.runs.len(),
        cli.runs,
        fleet.fixture.actors.len() - crate::tools::TOOLS.len(),
        secrets_count,
        markdown_table(&["where", "texts searched", "leaks"], &leak_rows),
        cli.panics,
        cli.anonymous_refused,
        cli.anonymous_tried,
        markdown_table(
            &[
                "runs",
                "requests",
                "with a token",
                "?token=",
                "without a token",
                "dataset item reads",
                "record reads",
                "violations"
            ],
            &audit_rows
        ),
        markdown_table(
            &["attempt", "tools", "attempts", "refused"],
            &redirect.rows
        ),
    );
    let mut headers = vec!["tool".to_string()];
    headers.extend(Permission::ALL.iter().map(|p| p.label().to_string()));
    Ok(Section {
        title: "Security".into(),
        summary,
        headers,
        rows: matrix.rows,
        headline: vec![
            ("leaks found".into(), leaks.len().to_string()),
            ("texts searched for tokens".into(), thousands(scan.texts())),
            ("permissions checked".into(), matrix.checked.to_string()),
            (
                "audit violations".into(),
                audit.violations.len().to_string(),
            ),
            ("requests audited".into(), thousands(audit.requests)),
            (
                "redirections refused".into(),
                format!("{} of {}", redirect.refused, redirect.attempts),
            ),
        ],
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms_are_found_at_every_alignment() {
        let token = "apify_api_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let secrets = Secrets::new([token]);
        for prefix in ["", "x", "xy", "xyz"] {
            let text = base64(format!("{prefix}Bearer {token}!").as_bytes(), B64_STD);
            assert!(!secrets.found_in(&text).is_empty(), "{prefix:?}");
            let text = base64(format!("{prefix}{token}").as_bytes(), B64_URL);
            assert!(!secrets.found_in(&text).is_empty(), "{prefix:?}");
        }
        assert!(secrets.found_in("nothing here").is_empty());
        assert!(!secrets
            .found_in(&format!("a={}", url_encode(token)))
            .is_empty());
        assert_eq!(base64(b"Man", B64_STD), "TWFu");
        assert_eq!(base64(b"Ma", B64_STD), "TWE");
    }

    #[test]
    fn leaks_never_show_the_token() {
        let token = "apify_api_SECRET0123456789abcdefghijklmnop";
        let mut scan = Scan::default();
        scan.text(
            &Secrets::new([token]),
            Place::RunLogs,
            "r1",
            &format!("x {token} y"),
        );
        let leaks = scan.leaks();
        assert_eq!(leaks.len(), 1);
        assert!(!leaks[0].contains("SECRET"), "{}", leaks[0]);
    }

    #[test]
    fn minus_storages_read_is_minus_write_too() {
        use Permission::*;
        let all = [ActorsRead, StoragesRead, StoragesWrite];
        assert_eq!(without(&all, StoragesRead), vec![ActorsRead]);
        assert_eq!(without(&all, StoragesWrite), vec![ActorsRead, StoragesRead]);
    }
}
