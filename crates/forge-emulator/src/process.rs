//! The run lifecycle: creating a run, starting its process (or simulating it from the fixture's
//! `behavior`), capturing its log, enforcing its timeout, graceful aborts and migrations (the
//! process restarted with the same environment: see [`crate::events`]), and recording how it
//! finished.

use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::Utc;
use rand::RngExt;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};

use crate::error::{ApiError, ApiResult};
use crate::events::{self, Migration, Usage};
use crate::fixture::Behavior;
use crate::routes::Params;
use crate::state::{iso, Dataset, Items, Kvs, LiveRun, OwnRun, Principal, Record, Status};
use crate::App;

/// Compute unit price of the emulated platform (USD per CU; 1 CU = 1 GB-hour).
pub(crate) const USD_PER_COMPUTE_UNIT: f64 = 0.4;

/// Parent environment variables a started Actor keeps (everything else is cleared, so an
/// `APIFY_TOKEN` of the developer's shell can never leak into an emulated run).
const KEPT_ENV: [&str; 6] = [
    "PATH",
    "HOME",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "LLVM_PROFILE_FILE",
    "TMPDIR",
];

/// Everything a new run needs after the state lock is released.
pub(crate) struct Launch {
    pub run_id: String,
    pub run: Value,
    pub actor_id: String,
    pub full_name: String,
    pub user_id: String,
    pub build_id: String,
    pub build_number: String,
    pub kvs_id: String,
    pub dataset_id: String,
    pub rq_id: String,
    pub memory_mb: u64,
    pub timeout_secs: u64,
    pub started_at: chrono::DateTime<Utc>,
    pub max_total_charge_usd: Option<f64>,
    pub max_items: Option<u64>,
    pub pricing_info: Option<Value>,
    /// The run token (a secret: never logged).
    pub token: String,
    /// The input-secrets private key and passphrase, when the run's INPUT holds values the
    /// emulator encrypted (secrets: never logged). See [`crate::secrets`].
    pub input_secrets_env: Vec<(&'static str, String)>,
    pub command: Option<Vec<String>>,
    pub behavior: Behavior,
    /// The memory `behavior.cpu_share` scales from: the Actor's `defaultRunOptions.memoryMbytes`
    /// (else 1024).
    pub reference_memory_mb: u64,
    /// Seed of a simulated run's draws (None when a process runs it): see [`sim_seed`].
    pub sim_seed: Option<u64>,
    /// The run's events websocket URL (holds the run's key: a secret, never logged).
    pub events_url: String,
    /// Graceful aborts and migrations of the run, taken by its process task.
    pub control: Option<mpsc::UnboundedReceiver<Control>>,
}

/// Requests to a run's process task, besides the kill, abort and timeout it watches itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Move the run to another server (`Emulator::migrate_run`).
    Migrate(Migration),
    /// `abort?gracefully=true`: `aborting` and `persistState`, then a kill after `abort_grace`.
    AbortGracefully,
}

/// Creates a run of actor `ai` (status RUNNING), its default storages and its run token.
pub(crate) fn create_run(
    app: &App,
    starter: &Principal,
    ai: usize,
    params: &Params,
    content_type: Option<&str>,
    input: Bytes,
) -> ApiResult<Launch> {
    // Secret inputs: the key pair is made (once per process) before the state lock is taken.
    let secret_input = input_with_secrets(app, ai, content_type, &input);
    if secret_input.is_some() {
        crate::secrets::emulator_key().map_err(internal_error)?;
    }
    let mut st = app.write();
    let actor = &st.actors[ai];
    let dro = actor
        .actor
        .get("defaultRunOptions")
        .cloned()
        .unwrap_or(Value::Null);
    let build_spec = params
        .value("build")
        .map(str::to_owned)
        .or_else(|| dro.get("build").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "latest".to_owned());
    let timeout_secs = match params.u64("timeout")? {
        Some(t) => t,
        None => dro
            .get("timeoutSecs")
            .and_then(Value::as_u64)
            .unwrap_or(3600),
    };
    let reference_memory_mb = dro
        .get("memoryMbytes")
        .and_then(Value::as_u64)
        .filter(|m| *m > 0)
        .unwrap_or(1024);
    let memory_mb = params.u64("memory")?.unwrap_or(reference_memory_mb);
    if !(128..=32768).contains(&memory_mb) || !memory_mb.is_power_of_two() {
        return Err(ApiError::bad_request(
            "invalid-value",
            format!("Memory must be a power of 2 between 128 and 32768 MB, got {memory_mb}"),
        ));
    }
    let max_items = params.u64("maxItems")?;
    let max_total_charge_usd = params.f64("maxTotalChargeUsd")?;
    let (build_id, build_number) = match st.pick_build(ai, &build_spec) {
        Some(b) => (
            b.get("id").and_then(Value::as_str).unwrap_or("").to_owned(),
            b.get("buildNumber")
                .and_then(Value::as_str)
                .unwrap_or("0.0.1")
                .to_owned(),
        ),
        None if actor.builds.is_empty() => (String::new(), "0.0.1".to_owned()),
        // The platform's answer to a build tag or number the Actor does not have.
        None => {
            let message = format!(
                "Build with tag \"{build_spec}\" was not found. Has the Actor been built already?"
            );
            return Err(ApiError::bad_request("unknown-build-tag", message));
        }
    };
    // As the platform stores it: the picked build's `isSecret` fields encrypted.
    let (input, input_secrets_env) = match (
        secret_input,
        st.pick_build(ai, &build_spec)
            .and_then(crate::secrets::build_input_schema),
    ) {
        (Some(value), Some(schema)) => encrypt_secret_input(value, &schema, input)?,
        _ => (input, Vec::new()),
    };
    let actor_id = actor.id.clone();
    let actor_name = actor.name.clone();
    let full_name = format!("{}/{}", actor.username, actor.name);
    let pricing_info = actor
        .actor
        .get("pricingInfos")
        .and_then(Value::as_array)
        .and_then(|p| p.last())
        .cloned();
    let behavior = actor.behavior.clone().unwrap_or_default();
    let user_id = st.user_id.clone();
    // Actors without builds in the fixture still run: they get a made-up build id.
    let build_id = if build_id.is_empty() {
        st.new_id()
    } else {
        build_id
    };
    let run_id = st.new_id();
    let kvs_id = st.new_id();
    let dataset_id = st.new_id();
    let rq_id = st.new_id();
    let token = format!("apify_api_run_{}{}", st.new_id(), st.new_id());
    let now = Utc::now();
    let started = iso(now);

    let mut options = json!({
        "build": build_spec,
        "timeoutSecs": timeout_secs,
        "memoryMbytes": memory_mb,
        "diskMbytes": memory_mb * 2,
    });
    if let Some(n) = max_items {
        options["maxItems"] = json!(n);
    }
    if let Some(usd) = max_total_charge_usd {
        options["maxTotalChargeUsd"] = json!(usd);
    }
    let mut run = json!({
        "id": run_id,
        "actId": actor_id,
        "userId": user_id,
        "actorTaskId": null,
        "startedAt": started,
        "finishedAt": null,
        "status": "RUNNING",
        "statusMessage": null,
        "isStatusMessageTerminal": null,
        "meta": { "origin": "API" },
        "stats": {
            "inputBodyLen": input.len(),
            "migrationCount": 0, "rebootCount": 0, "restartCount": 0, "resurrectCount": 0,
            "memAvgBytes": 0, "memMaxBytes": 0, "memCurrentBytes": 0,
            "cpuAvgUsage": 0, "cpuMaxUsage": 0, "cpuCurrentUsage": 0,
            "netRxBytes": 0, "netTxBytes": 0,
            "durationMillis": 0, "runTimeSecs": 0, "metamorph": 0, "computeUnits": 0
        },
        "options": options,
        "buildId": build_id,
        "buildNumber": build_number,
        "exitCode": null,
        "generalAccess": "FOLLOW_USER_SETTING",
        "defaultKeyValueStoreId": kvs_id,
        "defaultDatasetId": dataset_id,
        "defaultRequestQueueId": rq_id,
        "storageIds": {
            "datasets": { "default": dataset_id },
            "keyValueStores": { "default": kvs_id },
            "requestQueues": { "default": rq_id }
        },
        // Absolute (apify-client rejects relative URLs); nothing listens there.
        "containerUrl": format!("{}/container/{run_id}", app.base_url),
        "usage": { "ACTOR_COMPUTE_UNITS": 0 },
        "usageTotalUsd": 0,
        "usageUsd": { "ACTOR_COMPUTE_UNITS": 0 },
        "chargedEventCounts": {},
        "platformUsageBillingModel": "USER",
    });
    if let Some(p) = &pricing_info {
        run["pricingInfo"] = p.clone();
    }
    st.insert_run(ai, &run);
    st.started_by
        .insert(run_id.as_str().into(), starter.token_id.clone());

    let mut records = std::collections::BTreeMap::new();
    if !input.is_empty() {
        records.insert(
            "INPUT".to_owned(),
            Record {
                content_type: content_type.unwrap_or("application/json").to_owned(),
                data: input,
            },
        );
    }
    st.stores.insert(
        kvs_id.clone(),
        Kvs {
            id: kvs_id.clone(),
            act_id: Some(actor_id.clone()),
            run_id: Some(run_id.clone()),
            created_at: started.clone(),
            modified_at: started.clone(),
            records,
        },
    );
    st.datasets.insert(
        dataset_id.clone(),
        Dataset {
            id: dataset_id.clone(),
            act_id: Some(actor_id.clone()),
            run_id: Some(run_id.clone()),
            created_at: started.clone(),
            modified_at: started.clone(),
            items: Items::Parsed(Vec::new()),
        },
    );
    // The run token carries the starter's scope (plus its own storages if configured so).
    st.tokens.insert(
        token.clone(),
        Principal {
            token_id: format!("run-token-{run_id}"),
            permissions: starter.permissions.clone(),
            own_run: Some(OwnRun {
                run_id: run_id.clone(),
                default_storages: app.config.run_token_default_storages,
                kvs_id: kvs_id.clone(),
                dataset_id: dataset_id.clone(),
            }),
        },
    );
    let (live, control) = LiveRun::new();
    let events_url = crate::events::url(&app.base_url, &run_id, &live.events.key);
    st.live.insert(run_id.clone(), live);
    if let Some(stats) = st.actors[ai]
        .actor
        .get_mut("stats")
        .and_then(Value::as_object_mut)
    {
        let total = stats.get("totalRuns").and_then(Value::as_u64).unwrap_or(0) + 1;
        stats.insert("totalRuns".into(), json!(total));
        stats.insert("lastRunStartedAt".into(), json!(started));
    }
    let command = app
        .config
        .actor_commands
        .get(&actor_name)
        .filter(|argv| !argv.is_empty())
        .cloned();
    let sim_seed = match command {
        Some(_) => None,
        None => {
            let index = st.next_sim_index(&actor_id, &build_number, memory_mb);
            Some(sim_seed(
                app.config.seed,
                &actor_id,
                &build_number,
                memory_mb,
                index,
            ))
        }
    };
    Ok(Launch {
        run_id,
        run,
        actor_id,
        full_name,
        user_id,
        build_id,
        build_number,
        kvs_id,
        dataset_id,
        rq_id,
        memory_mb,
        timeout_secs,
        started_at: now,
        max_total_charge_usd,
        max_items,
        pricing_info,
        token,
        input_secrets_env,
        command,
        behavior,
        reference_memory_mb,
        sim_seed,
        events_url,
        control: Some(control),
    })
}

/// `input` as JSON when the platform would encrypt part of it: a JSON object with a plain
/// value in a field that some build of actor `ai` marks `isSecret`.
fn input_with_secrets(
    app: &App,
    ai: usize,
    content_type: Option<&str>,
    input: &[u8],
) -> Option<Value> {
    let is_json = content_type.is_none_or(|t| {
        t.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    if !app.config.encrypt_secret_inputs || input.is_empty() || !is_json {
        return None;
    }
    let value: Value = serde_json::from_slice(input)
        .ok()
        .filter(Value::is_object)?;
    let st = app.read();
    st.actors
        .get(ai)?
        .builds
        .iter()
        .filter_map(crate::secrets::build_input_schema)
        .any(|schema| crate::secrets::needs_encryption(&value, &schema))
        .then_some(value)
}

/// The INPUT record's bytes with the secret fields of `schema` encrypted, and the environment
/// that lets the run decrypt them (empty when nothing needed encrypting: `raw` is kept as is).
fn encrypt_secret_input(
    mut value: Value,
    schema: &Value,
    raw: Bytes,
) -> ApiResult<(Bytes, Vec<(&'static str, String)>)> {
    let key = crate::secrets::emulator_key().map_err(internal_error)?;
    let done = crate::secrets::encrypt_input_secrets(&mut value, schema, key.public_key())
        .map_err(|message| ApiError::bad_request("invalid-input", message))?;
    if done.is_empty() {
        return Ok((raw, Vec::new()));
    }
    let bytes = serde_json::to_vec(&value).map_err(|e| internal_error(e.to_string()))?;
    Ok((Bytes::from(bytes), key.env().to_vec()))
}

fn internal_error(message: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal-error",
        message,
    )
}

/// The seed of a simulated run: a hash of the emulator's seed ([`crate::EmulatorConfig::seed`]),
/// the Actor id, the build number, the memory and `index`, the run's 0-based sequence number
/// among the simulated runs of that (Actor, build, memory) (see `State::next_sim_index`).
/// FNV-1a over those bytes, then the SplitMix64 finalizer. Stable across platforms and runs.
pub(crate) fn sim_seed(
    seed: u64,
    actor_id: &str,
    build_number: &str,
    memory_mb: u64,
    index: u64,
) -> u64 {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = FNV_OFFSET;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(FNV_PRIME);
        }
    };
    eat(&seed.to_le_bytes());
    eat(actor_id.as_bytes());
    eat(&[0]);
    eat(build_number.as_bytes());
    eat(&[0]);
    eat(&memory_mb.to_le_bytes());
    eat(&index.to_le_bytes());
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Starts the run: a real process when one is configured for the Actor, else a simulation that
/// finishes before this returns.
pub(crate) fn launch(app: &App, launch: Launch) {
    match launch.command.clone() {
        Some(argv) if !argv.is_empty() => {
            if let Some(live) = app.write().live.get_mut(&launch.run_id) {
                live.has_process = true;
            }
            tokio::spawn(run_process(app.clone(), launch, argv));
        }
        _ => simulate(app, &launch),
    }
}

/// What a simulated run did (see [`Behavior`] for the model).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SimOutcome {
    pub status: Status,
    pub exit_code: Option<i32>,
    pub runtime_secs: f64,
    pub usd: f64,
    pub items: Vec<Value>,
}

/// `x` when it is a finite number above 0, else `fallback`.
fn positive_or(x: f64, fallback: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        fallback
    }
}

/// Draws the outcome of a simulated run of `build_number` with `memory_mb` MB from `seed`.
/// Always four draws, in this order (so no draw depends on an earlier outcome): success,
/// two for the normal `z` of the run-time noise (Box–Muller), the item count.
pub(crate) fn draw_outcome(
    b: &Behavior,
    build_number: &str,
    memory_mb: u64,
    reference_memory_mb: u64,
    timeout_secs: u64,
    seed: u64,
) -> SimOutcome {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let u_success = rng.random::<f64>();
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    let u_items = rng.random::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();

    let over = b.builds.get(build_number);
    let success_rate = over.and_then(|o| o.success_rate).unwrap_or(b.success_rate);
    let duration_factor = positive_or(over.and_then(|o| o.duration_factor).unwrap_or(1.0), 1.0);
    let cpu_share = if b.cpu_share.is_finite() {
        b.cpu_share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let memory_factor =
        cpu_share * reference_memory_mb.max(1) as f64 / memory_mb.max(1) as f64 + 1.0 - cpu_share;
    let sigma = if b.duration_sigma.is_finite() {
        b.duration_sigma.max(0.0)
    } else {
        0.0
    };
    let mut runtime =
        b.duration_secs.max(0.0) * duration_factor * memory_factor * (sigma * z).exp();
    if !runtime.is_finite() {
        runtime = 0.0;
    }
    let (mut status, mut exit_code) = if u_success < success_rate {
        (Status::Succeeded, Some(0))
    } else {
        (Status::Failed, Some(1))
    };
    if timeout_secs > 0 && runtime > timeout_secs as f64 {
        (status, exit_code) = (Status::TimedOut, None);
        runtime = timeout_secs as f64;
    }
    let usd = if b.usd_per_run == 0.0 && b.usd_per_compute_unit > 0.0 {
        memory_mb as f64 / 1024.0 * runtime / 3600.0 * b.usd_per_compute_unit
    } else {
        b.usd_per_run.max(0.0)
    };
    let items = match b.items_per_run {
        None => b.items.clone(),
        Some(_) if status != Status::Succeeded => Vec::new(),
        Some((lo, hi)) => {
            let f = positive_or(over.and_then(|o| o.items_factor).unwrap_or(1.0), 1.0);
            let scale = |n: u32| (n as f64 * f).round().min(u32::MAX as f64) as u64;
            let (lo, hi) = (scale(lo.min(hi)), scale(lo.max(hi)));
            let n = (lo + (u_items * (hi - lo + 1) as f64) as u64).min(hi);
            (0..n)
                .map(|i| {
                    let template = if b.items.is_empty() {
                        None
                    } else {
                        b.items.get(i as usize % b.items.len())
                    };
                    let mut item = match template {
                        Some(Value::Object(o)) => o.clone(),
                        Some(other) => Map::from_iter([("value".to_owned(), other.clone())]),
                        None => Map::new(),
                    };
                    item.insert("#".to_owned(), json!(i));
                    Value::Object(item)
                })
                .collect()
        }
    };
    SimOutcome {
        status,
        exit_code,
        runtime_secs: runtime,
        usd,
        items,
    }
}

fn simulate(app: &App, launch: &Launch) {
    let out = draw_outcome(
        &launch.behavior,
        &launch.build_number,
        launch.memory_mb,
        launch.reference_memory_mb,
        launch.timeout_secs,
        launch.sim_seed.unwrap_or(0),
    );
    let writes = out.items.len() as u64;
    {
        let mut st = app.write();
        if let Some(ds) = st.datasets.get_mut(&launch.dataset_id) {
            ds.items_mut().extend(out.items);
        }
    }
    finish(
        app,
        &launch.run_id,
        Finish {
            status: out.status,
            exit_code: out.exit_code,
            runtime_secs: Some(out.runtime_secs),
            usd: Some(out.usd),
            dataset_writes: Some(writes),
            simulated: true,
            status_message: None,
        },
    );
}

/// The platform environment of a run (`ACTOR_*` plus the legacy `APIFY_*` names).
fn platform_env(app: &App, l: &Launch) -> Vec<(String, String)> {
    let started = iso(l.started_at);
    let mut env: Vec<(&str, String)> = vec![
        ("APIFY_IS_AT_HOME", "1".into()),
        ("APIFY_TOKEN", l.token.clone()),
        ("APIFY_API_BASE_URL", app.base_url.clone()),
        ("APIFY_API_PUBLIC_BASE_URL", app.base_url.clone()),
        ("ACTOR_ID", l.actor_id.clone()),
        ("APIFY_ACTOR_ID", l.actor_id.clone()),
        ("ACTOR_RUN_ID", l.run_id.clone()),
        ("APIFY_ACTOR_RUN_ID", l.run_id.clone()),
        ("ACTOR_BUILD_ID", l.build_id.clone()),
        ("APIFY_ACTOR_BUILD_ID", l.build_id.clone()),
        ("ACTOR_BUILD_NUMBER", l.build_number.clone()),
        ("APIFY_ACTOR_BUILD_NUMBER", l.build_number.clone()),
        ("ACTOR_DEFAULT_KEY_VALUE_STORE_ID", l.kvs_id.clone()),
        ("APIFY_DEFAULT_KEY_VALUE_STORE_ID", l.kvs_id.clone()),
        ("ACTOR_DEFAULT_DATASET_ID", l.dataset_id.clone()),
        ("APIFY_DEFAULT_DATASET_ID", l.dataset_id.clone()),
        ("ACTOR_DEFAULT_REQUEST_QUEUE_ID", l.rq_id.clone()),
        ("APIFY_DEFAULT_REQUEST_QUEUE_ID", l.rq_id.clone()),
        (
            "ACTOR_STORAGES_JSON",
            json!({
                "keyValueStores": { "default": l.kvs_id },
                "datasets": { "default": l.dataset_id },
                "requestQueues": { "default": l.rq_id },
            })
            .to_string(),
        ),
        ("ACTOR_INPUT_KEY", "INPUT".into()),
        ("APIFY_INPUT_KEY", "INPUT".into()),
        ("ACTOR_MEMORY_MBYTES", l.memory_mb.to_string()),
        ("APIFY_MEMORY_MBYTES", l.memory_mb.to_string()),
        ("ACTOR_STARTED_AT", started.clone()),
        ("APIFY_STARTED_AT", started),
        ("APIFY_USER_ID", l.user_id.clone()),
        ("ACTOR_FULL_NAME", l.full_name.clone()),
        ("ACTOR_PERMISSION_LEVEL", "LIMITED_PERMISSIONS".into()),
        (events::EVENTS_URL_ENV, l.events_url.clone()),
        (events::EVENTS_URL_ENV_LEGACY, l.events_url.clone()),
    ];
    if l.timeout_secs > 0 {
        let at = iso(l.started_at + chrono::Duration::seconds(l.timeout_secs as i64));
        env.push(("ACTOR_TIMEOUT_AT", at.clone()));
        env.push(("APIFY_TIMEOUT_AT", at));
    }
    if let Some(usd) = l.max_total_charge_usd {
        env.push(("ACTOR_MAX_TOTAL_CHARGE_USD", usd.to_string()));
    }
    if let Some(n) = l.max_items {
        env.push(("ACTOR_MAX_PAID_DATASET_ITEMS", n.to_string()));
    }
    if let Some(p) = &l.pricing_info {
        env.push(("APIFY_ACTOR_PRICING_INFO", p.to_string()));
        env.push(("APIFY_CHARGED_ACTOR_EVENT_COUNTS", "{}".into()));
    }
    env.extend(l.input_secrets_env.iter().cloned());
    let mut out: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    out.extend(app.config.extra_env.iter().cloned());
    out
}

/// Everything a run's process task watches besides its child.
struct Watch {
    abort: Option<watch::Receiver<bool>>,
    kill: Option<watch::Receiver<bool>>,
    shutdown: watch::Receiver<bool>,
    control: Option<mpsc::UnboundedReceiver<Control>>,
    /// When the run times out (fixed at the start: a migration does not extend it).
    deadline: Option<tokio::time::Instant>,
}

/// How one process of a run ended.
enum End {
    /// The run is over.
    Finish(Status, Option<i32>),
    /// A migration stopped the process: start the next one.
    Restart,
}

/// Where a process is in its life.
#[derive(Clone, Copy)]
enum Phase {
    Running,
    /// Migrating: `until` the grace ends, then SIGTERM (`termed` false) or SIGKILL (true).
    Migrating {
        until: tokio::time::Instant,
        termed: bool,
    },
    /// A graceful abort: killed at `until` unless it exits first.
    Aborting {
        until: tokio::time::Instant,
    },
}

/// The run's process task: starts the process, restarts it after each migration with the same
/// environment, and records how the run ended.
async fn run_process(app: App, mut launch: Launch, argv: Vec<String>) {
    let run_id = launch.run_id.clone();
    // Computed once: a migrated run's next process gets exactly the same environment.
    let env = platform_env(&app, &launch);
    let started = Instant::now();
    let mut w = {
        let st = app.read();
        let live = st.live.get(&run_id);
        Watch {
            abort: live.map(|l| l.abort.subscribe()),
            kill: live.map(|l| l.kill.subscribe()),
            shutdown: app.shutdown.subscribe(),
            control: launch.control.take(),
            deadline: (launch.timeout_secs > 0)
                .then(|| tokio::time::Instant::now() + Duration::from_secs(launch.timeout_secs)),
        }
    };
    let mut usage = Usage::new(launch.memory_mb);
    let (status, exit_code) = loop {
        let mut child = match spawn(&argv, &env) {
            Ok(c) => c,
            Err(e) => {
                append_log(
                    &app,
                    &run_id,
                    &format!("Cannot start the Actor process {:?}: {e}", argv[0]),
                );
                break (Status::Failed, None);
            }
        };
        if let Some(live) = app.write().live.get_mut(&run_id) {
            live.processes.send_modify(|n| *n += 1);
            live.migrating = false;
        }
        let mut pumps = Vec::new();
        if let Some(out) = child.stdout.take() {
            pumps.push(tokio::spawn(pump_log(app.clone(), run_id.clone(), out)));
        }
        if let Some(err) = child.stderr.take() {
            pumps.push(tokio::spawn(pump_log(app.clone(), run_id.clone(), err)));
        }
        let end = supervise(&app, &run_id, &mut child, &mut w, &mut usage).await;
        // Let the log pumps drain; a grandchild holding the pipes open must not stall the run.
        for pump in pumps {
            let abort = pump.abort_handle();
            if tokio::time::timeout(Duration::from_millis(500), pump)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        match end {
            End::Finish(status, code) => break (status, code),
            End::Restart => {
                let count = record_migration(&app, &run_id);
                append_log(
                    &app,
                    &run_id,
                    &format!("Restarting the run on another server (migration {count})."),
                );
            }
        }
    };
    let runtime = started.elapsed().as_secs_f64();
    // The platform's default when the Actor set no terminal message of its own.
    let status_message = match (status, exit_code) {
        (Status::Failed, Some(code)) => Some(format!("Actor finished with exit code {code}")),
        _ => None,
    };
    finish(
        &app,
        &run_id,
        Finish {
            status,
            exit_code,
            runtime_secs: Some(runtime),
            usd: None,
            dataset_writes: None,
            simulated: false,
            status_message,
        },
    );
}

/// Starts one process of a run, with only the kept parent variables and the platform's.
fn spawn(argv: &[String], env: &[(String, String)]) -> std::io::Result<tokio::process::Child> {
    let Some((program, args)) = argv.split_first() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "empty command",
        ));
    };
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear();
    for key in KEPT_ENV {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd.spawn()
}

/// `stats.migrationCount` + 1; the new count.
fn record_migration(app: &App, run_id: &str) -> u64 {
    let mut st = app.write();
    let Some(ri) = st.run_index(run_id) else {
        return 0;
    };
    let mut count = 0;
    st.update_run(ri, |m| {
        let stats = obj(m, "stats");
        count = stats
            .get("migrationCount")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            + 1;
        stats.insert("migrationCount".into(), json!(count));
    });
    count
}

/// Waits for a watch flag to turn true; never, without a channel or once its sender is gone.
async fn flag(rx: &mut Option<watch::Receiver<bool>>) {
    let set = match rx {
        Some(rx) => rx.wait_for(|v| *v).await.is_ok(),
        None => false,
    };
    if !set {
        std::future::pending::<()>().await;
    }
}

async fn next_control(rx: &mut Option<mpsc::UnboundedReceiver<Control>>) -> Control {
    match rx {
        Some(rx) => match rx.recv().await {
            Some(c) => c,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Watches one process until it exits or is stopped: exits, kills, timeout, aborts (graceful
/// or not), migrations, shutdown; sends `systemInfo` meanwhile.
async fn supervise(
    app: &App,
    run_id: &str,
    child: &mut tokio::process::Child,
    w: &mut Watch,
    usage: &mut Usage,
) -> End {
    let config = &app.config;
    let period = config.system_info_interval.max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut phase = Phase::Running;
    loop {
        let phase_end = match phase {
            Phase::Running => None,
            Phase::Migrating { until, .. } | Phase::Aborting { until } => Some(until),
        };
        tokio::select! {
            res = child.wait() => {
                return match phase {
                    Phase::Running => {
                        let (status, code) = exit_outcome(res);
                        End::Finish(status, code)
                    }
                    Phase::Migrating { .. } => {
                        let code = exit_outcome(res).1;
                        append_log(app, run_id, &format!(
                            "The Actor process exited (code {}) for the migration.",
                            code.map_or_else(|| "unknown".to_owned(), |c| c.to_string())
                        ));
                        End::Restart
                    }
                    Phase::Aborting { .. } => {
                        append_log(app, run_id, "The Actor run was aborted gracefully.");
                        End::Finish(Status::Aborted, exit_outcome(res).1)
                    }
                };
            }
            cmd = next_control(&mut w.control) => match (cmd, phase) {
                (Control::Migrate(how), Phase::Running) => {
                    append_log(app, run_id, "Migrating the run to another server");
                    let now = tokio::time::Instant::now();
                    phase = match how {
                        Migration::Events => {
                            let grace = config.migration_grace;
                            events::send(app, run_id, events::MIGRATING,
                                json!({ "timeRemainingSecs": grace.as_secs_f64() }));
                            events::send(app, run_id, events::PERSIST_STATE,
                                json!({ "isMigrating": true }));
                            Phase::Migrating { until: now + grace, termed: false }
                        }
                        Migration::Sigterm => {
                            terminate(app, run_id, child);
                            Phase::Migrating { until: now + config.stop_grace, termed: true }
                        }
                    };
                }
                (Control::AbortGracefully, Phase::Running | Phase::Migrating { .. }) => {
                    append_log(app, run_id, &format!(
                        "Aborting the run gracefully: it is stopped in {} s.",
                        config.abort_grace.as_secs_f64()
                    ));
                    events::send(app, run_id, events::ABORTING, json!({}));
                    events::send(app, run_id, events::PERSIST_STATE, json!({ "isMigrating": false }));
                    phase = Phase::Aborting {
                        until: tokio::time::Instant::now() + config.abort_grace,
                    };
                }
                // Already migrating or aborting: the request changes nothing.
                _ => {}
            },
            _ = sleep_until(phase_end) => match phase {
                Phase::Migrating { termed: false, .. } => {
                    terminate(app, run_id, child);
                    phase = Phase::Migrating {
                        until: tokio::time::Instant::now() + config.stop_grace,
                        termed: true,
                    };
                }
                Phase::Migrating { termed: true, .. } => {
                    let _ = child.kill().await;
                    append_log(app, run_id,
                        "The Actor process did not stop after SIGTERM and was killed (SIGKILL).");
                    return End::Restart;
                }
                Phase::Aborting { .. } => {
                    let _ = child.kill().await;
                    append_log(app, run_id, "The Actor run was aborted: force-stopped after the grace period.");
                    return End::Finish(Status::Aborted, None);
                }
                Phase::Running => {}
            },
            _ = ticker.tick() => {
                usage.sample(child.id());
                events::send(app, run_id, events::SYSTEM_INFO, usage.system_info());
                let mut st = app.write();
                if let Some(ri) = st.run_index(run_id) {
                    st.update_run(ri, |m| usage.write_stats(m));
                }
            }
            _ = flag(&mut w.kill) => {
                // A real SIGKILL, as when the container dies: the exit is classified like any
                // other, even in the middle of a migration.
                let _ = child.start_kill();
                let res = child.wait().await;
                append_log(app, run_id, "The Actor process was killed (SIGKILL).");
                let (status, code) = exit_outcome(res);
                return End::Finish(status, code);
            }
            _ = sleep_until(w.deadline) => {
                let _ = child.kill().await;
                append_log(app, run_id, "The Actor run timed out and was killed.");
                return End::Finish(Status::TimedOut, None);
            }
            _ = flag(&mut w.abort) => {
                let _ = child.kill().await;
                append_log(app, run_id, "The Actor run was aborted.");
                return End::Finish(Status::Aborted, None);
            }
            _ = async { let _ = w.shutdown.wait_for(|s| *s).await; } => {
                let _ = child.kill().await;
                return End::Finish(Status::Aborted, None);
            }
        }
    }
}

/// SIGTERM, as `docker stop` sends it (on other systems, where there is no SIGTERM, a kill).
fn terminate(app: &App, run_id: &str, child: &mut tokio::process::Child) {
    append_log(
        app,
        run_id,
        "Stopping the Actor process (SIGTERM) to move it to another server.",
    );
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: kill(2) takes plain integers; the pid is our own child's, and not yet reaped
        // (`id()` is None once it is), so it cannot name another process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        return;
    }
    let _ = child.start_kill();
}

/// Status and exit code of an exited process. A signal death reports `128 + signal` (137 for
/// SIGKILL), as a container runtime does.
fn exit_outcome(res: std::io::Result<std::process::ExitStatus>) -> (Status, Option<i32>) {
    match res {
        Ok(s) if s.success() => (Status::Succeeded, Some(0)),
        Ok(s) => (Status::Failed, s.code().or_else(|| signal_exit_code(&s))),
        Err(_) => (Status::Failed, None),
    }
}

#[cfg(unix)]
fn signal_exit_code(s: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    s.signal().map(|sig| 128 + sig)
}

#[cfg(not(unix))]
fn signal_exit_code(_: &std::process::ExitStatus) -> Option<i32> {
    None
}

async fn pump_log(app: App, run_id: String, stream: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        append_log(&app, &run_id, &line);
    }
}

fn append_log(app: &App, run_id: &str, line: &str) {
    let mut st = app.write();
    let log = st.logs.entry(run_id.to_owned()).or_default();
    log.push_str(&iso(Utc::now()));
    log.push(' ');
    log.push_str(line);
    log.push('\n');
}

/// How a run ended, for [`finish`].
pub(crate) struct Finish {
    pub status: Status,
    pub exit_code: Option<i32>,
    /// The run time to report; None: the wall-clock time since `startedAt`.
    pub runtime_secs: Option<f64>,
    /// Overrides the compute cost (simulated runs).
    pub usd: Option<f64>,
    /// `usage.DATASET_WRITES` (simulated runs).
    pub dataset_writes: Option<u64>,
    /// A simulated run: `finishedAt` is `startedAt` + the reported run time (which may be
    /// later than now), not the wall-clock now.
    pub simulated: bool,
    /// `statusMessage` to set unless the Actor set a terminal one (`isStatusMessageTerminal`).
    pub status_message: Option<String>,
}

/// Records a run's end: status, exit code, run time, compute units and cost; wakes waiters.
/// `usd` overrides the compute cost (simulated runs); charged events already in
/// `usageTotalUsd` are kept.
pub(crate) fn finish_run(
    app: &App,
    run_id: &str,
    status: Status,
    exit_code: Option<i32>,
    runtime_secs: Option<f64>,
    usd: Option<f64>,
) {
    finish(
        app,
        run_id,
        Finish {
            status,
            exit_code,
            runtime_secs,
            usd,
            dataset_writes: None,
            simulated: false,
            status_message: None,
        },
    );
}

/// [`finish_run`] with everything a simulated run reports.
pub(crate) fn finish(app: &App, run_id: &str, f: Finish) {
    let Finish {
        status,
        exit_code,
        runtime_secs,
        usd,
        dataset_writes,
        simulated,
        status_message,
    } = f;
    let mut st = app.write();
    let Some(ri) = st.run_index(run_id) else {
        return;
    };
    if st.runs[ri as usize].status.is_terminal() {
        return;
    }
    let now = Utc::now();
    st.update_run(ri, |m| {
        let started = m
            .get("startedAt")
            .and_then(Value::as_str)
            .and_then(crate::state::parse_time)
            .unwrap_or(now);
        let runtime = runtime_secs
            .unwrap_or_else(|| (now - started).num_milliseconds() as f64 / 1000.0)
            .max(0.0);
        let memory_mb = m
            .get("options")
            .and_then(|o| o.get("memoryMbytes"))
            .and_then(Value::as_f64)
            .unwrap_or(1024.0);
        let cu = memory_mb / 1024.0 * runtime / 3600.0;
        let charged = m
            .get("usageTotalUsd")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let compute_usd = usd.unwrap_or(cu * USD_PER_COMPUTE_UNIT);
        let runtime_ms = (runtime * 1000.0).round() as i64;
        let finished = if simulated {
            started + chrono::Duration::milliseconds(runtime_ms)
        } else {
            now
        };
        m.insert("status".into(), json!(status.as_str()));
        m.insert("finishedAt".into(), json!(iso(finished)));
        m.insert("exitCode".into(), json!(exit_code));
        let terminal = m.get("isStatusMessageTerminal") == Some(&json!(true));
        if let Some(message) = status_message.filter(|_| !terminal) {
            m.insert("statusMessage".into(), json!(message));
        }
        let stats = obj(m, "stats");
        stats.insert("runTimeSecs".into(), json!(round(runtime, 3)));
        stats.insert("durationMillis".into(), json!(runtime_ms));
        stats.insert("computeUnits".into(), json!(round(cu, 6)));
        let usage = obj(m, "usage");
        usage.insert("ACTOR_COMPUTE_UNITS".into(), json!(round(cu, 6)));
        if let Some(n) = dataset_writes {
            usage.insert("DATASET_WRITES".into(), json!(n));
        }
        obj(m, "usageUsd").insert("ACTOR_COMPUTE_UNITS".into(), json!(round(compute_usd, 6)));
        m.insert(
            "usageTotalUsd".into(),
            json!(round(charged + compute_usd, 6)),
        );
    });
    if let Some(live) = st.live.get(run_id) {
        live.done.send_replace(true);
    }
}

/// The object under `key`, created if missing or not an object.
pub(crate) fn obj<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = m.entry(key.to_owned()).or_insert_with(|| json!({}));
    if !v.is_object() {
        *v = json!({});
    }
    match v {
        Value::Object(o) => o,
        _ => unreachable!("set to an object above"),
    }
}

pub(crate) fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Waits until the run is terminal, at most `max`; true when it is.
pub(crate) async fn wait_finished(app: &App, run_id: &str, max: Duration) -> bool {
    let rx = {
        let st = app.read();
        let Some(ri) = st.run_index(run_id) else {
            return false;
        };
        if st.runs[ri as usize].status.is_terminal() {
            return true;
        }
        st.live.get(run_id).map(|l| l.done.subscribe())
    };
    let Some(mut rx) = rx else {
        return false;
    };
    tokio::time::timeout(max, async move { rx.wait_for(|d| *d).await.is_ok() })
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::BuildBehavior;

    #[test]
    fn sim_seeds_differ_by_every_input_and_are_stable() {
        let base = sim_seed(1, "actor", "0.1.2", 1024, 0);
        assert_eq!(base, sim_seed(1, "actor", "0.1.2", 1024, 0));
        for other in [
            sim_seed(2, "actor", "0.1.2", 1024, 0),
            sim_seed(1, "actoR", "0.1.2", 1024, 0),
            sim_seed(1, "actor", "0.1.3", 1024, 0),
            sim_seed(1, "actor", "0.1.2", 2048, 0),
            sim_seed(1, "actor", "0.1.2", 1024, 1),
            // The separator keeps ("a", "b1") and ("ab", "1") apart.
            sim_seed(1, "actor0", ".1.2", 1024, 0),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn old_behaviors_draw_only_the_status() {
        let b = Behavior {
            success_rate: 0.5,
            duration_secs: 3.0,
            usd_per_run: 0.02,
            items: vec![json!({"a": 1})],
            ..Behavior::default()
        };
        let mut statuses = std::collections::HashSet::new();
        for i in 0..50 {
            let o = draw_outcome(
                &b,
                "0.0.1",
                4096,
                1024,
                60,
                sim_seed(0, "x", "0.0.1", 4096, i),
            );
            assert_eq!(o.runtime_secs, 3.0);
            assert_eq!(o.usd, 0.02);
            assert_eq!(o.items, vec![json!({"a": 1})]);
            statuses.insert(o.status.as_str());
        }
        assert_eq!(statuses.len(), 2);
    }

    #[test]
    fn items_cycle_templates_and_scale_with_the_build() {
        let mut b = Behavior {
            items: vec![json!({"k": "x"}), json!(7)],
            items_per_run: Some((4, 4)),
            ..Behavior::default()
        };
        let o = draw_outcome(&b, "1.0.0", 1024, 1024, 0, 1);
        assert_eq!(
            o.items,
            vec![
                json!({"k": "x", "#": 0}),
                json!({"value": 7, "#": 1}),
                json!({"k": "x", "#": 2}),
                json!({"value": 7, "#": 3}),
            ]
        );
        b.builds.insert(
            "1.0.1".into(),
            BuildBehavior {
                items_factor: Some(2.5),
                ..BuildBehavior::default()
            },
        );
        assert_eq!(draw_outcome(&b, "1.0.1", 1024, 1024, 0, 1).items.len(), 10);
        b.items.clear();
        assert_eq!(
            draw_outcome(&b, "1.0.0", 1024, 1024, 0, 1).items[3],
            json!({"#": 3})
        );
        b.success_rate = 0.0;
        let o = draw_outcome(&b, "1.0.0", 1024, 1024, 0, 1);
        assert_eq!((o.status, o.items.len()), (Status::Failed, 0));
    }
}
