//! The tool contract and the one runner every Actor binary and the CLI share.

use crate::charging::{Charge, Charging};
use crate::client::ApiClient;
use crate::env::RunEnv;
use crate::error::RuntimeError;
use crate::events::{Lifecycle, Stop};
use crate::resume::Resume;
use crate::source::FleetSource;
use crate::storage::{read_local_json, write_local_record, Storage};
use chrono::{DateTime, SecondsFormat, Utc};
use forge_core::input::InputSchema;
use forge_core::permission::Permission;
use serde_json::{Map, Value};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// On the Apify platform (or the emulator playing it): `APIFY_IS_AT_HOME=1`.
    Platform,
    /// On the user's machine: the token never leaves it.
    Cli,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Platform => "platform",
            Flow::Cli => "cli",
        }
    }
}

/// What a tool gets to work with. `now` is read once, here in the shell, and passed down: on
/// the platform it is the run's start (`ACTOR_STARTED_AT`), which a migration does not change.
#[derive(Debug)]
pub struct Context {
    pub flow: Flow,
    pub source: FleetSource,
    pub now: DateTime<Utc>,
    /// The CLI flow's local storage (`APIFY_LOCAL_STORAGE_DIR`), where trend state is kept.
    pub local_storage_dir: PathBuf,
    /// Pay-per-event charges made while collecting (a probe run started); the rows' charges
    /// are the runner's ([`Emission::charges`]).
    pub charging: Charging,
    /// The run's persisted progress: steps with side effects go through it
    /// ([`Resume::once`], [`Resume::start_run`]), so a migrated run does not repeat them.
    pub resume: Resume,
    /// Whether the platform asked the run to stop (migration, abort).
    pub lifecycle: Lifecycle,
}

impl Context {
    /// The CLI flow's SNAPSHOT of `tool` over `scope` ([`crate::source::snapshot_scope`]),
    /// from its local named store: the fleet-wide scope under `SNAPSHOT`, any other (a shard
    /// an orchestrator runs) under `SNAPSHOT-<scope>`, so neither overwrites the other.
    pub fn local_snapshot(&self, tool: &str, scope: &str) -> Result<Option<Value>, RuntimeError> {
        let path = self
            .named_store(tool)
            .join(format!("{}.json", snapshot_key(scope)));
        match read_local_json(&path) {
            // A corrupted SNAPSHOT (a crash of an older version, a hand edit) is trend state
            // lost, not a reason to fail this run: it starts afresh, and says so.
            Err(RuntimeError::Other(reason)) => {
                tracing::warn!(
                    "ignoring the previous SNAPSHOT: {reason}; starting without trend state"
                );
                Ok(None)
            }
            other => other,
        }
    }

    /// Keeps a CLI-flow SNAPSHOT for the next run (see [`Context::local_snapshot`]).
    pub fn save_local_snapshot(
        &self,
        tool: &str,
        scope: &str,
        snapshot: &Value,
    ) -> Result<(), RuntimeError> {
        let bytes =
            serde_json::to_vec_pretty(snapshot).map_err(|e| RuntimeError::Other(e.to_string()))?;
        write_local_record(
            &self.named_store(tool),
            &snapshot_key(scope),
            &bytes,
            "application/json; charset=utf-8",
        )
    }

    fn named_store(&self, tool: &str) -> PathBuf {
        self.local_storage_dir
            .join("key_value_stores")
            .join(format!("apifyforge-{tool}"))
    }
}

fn snapshot_key(scope: &str) -> String {
    if scope == crate::source::snapshot_scope(&Value::Null) {
        "SNAPSHOT".into()
    } else {
        format!("SNAPSHOT-{scope}")
    }
}

/// What a tool hands back; the runner writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Emission {
    /// The report, opening with the decision contract (schemaVersion, tool, decision...).
    pub output: Value,
    pub signals: Value,
    pub snapshot: Option<Value>,
    pub rows: Vec<Value>,
    /// What the rows cost, in order (pay-per-event): the runner charges them before pushing
    /// and pushes only the rows that were paid for. Empty: the rows are free.
    pub charges: Vec<Charge>,
    /// One line for the run's status message.
    pub status: String,
    /// The CLI flow's exit code for a completed analysis: 0, or 3 when a gate blocks, so the
    /// command fits a CI pipeline. On the platform a completed analysis always exits 0: the
    /// verdict is in OUTPUT, and a FAILED run would hide it.
    pub cli_exit_code: i32,
}

/// One Apify Actor of apifyforge.
#[async_trait::async_trait]
pub trait Tool: Send + Sync {
    const NAME: &'static str;
    /// The Actor's own `.actor/input_schema.json`, embedded at compile time.
    const INPUT_SCHEMA: &'static str;
    /// The scoped permissions it needs, and nothing more.
    const PERMISSIONS: &'static [Permission];
    /// Permissions only an optional feature uses, with the feature's name: without one the
    /// feature is off (or refused, when the input asks for it) and says which permission it
    /// lacks; the rest of the tool works with [`Tool::PERMISSIONS`] alone.
    const OPTIONAL_PERMISSIONS: &'static [(Permission, &'static str)] = &[];
    /// Whether it keeps trend state in `SNAPSHOT`. Only such a tool looks up its previous
    /// run (which takes Actors: List runs): the others need neither the request nor the
    /// permission.
    const KEEPS_SNAPSHOT: bool = false;

    /// Collects evidence through `ctx.source` and analyses it. `input` is validated, with
    /// defaults applied; `previous` is the tool's own last `SNAPSHOT`, if any.
    async fn run(
        &self,
        ctx: &Context,
        input: Value,
        previous: Option<Value>,
    ) -> Result<Emission, RuntimeError>;
}

/// The tool's typed input from the validated JSON. Validation against the input schema has
/// already named most bad fields; what it cannot see (a date the pattern lets through that
/// is no date, an unknown level in a free-form object, a number beyond the Rust type) fails
/// here, as invalid input naming the field (`ruleLevels.x`, `actors[3]`), never as a crash.
pub fn parse_input<T: serde::de::DeserializeOwned>(input: Value) -> Result<T, RuntimeError> {
    // JavaScript has one number type: `30.0` is the integer 30 to the platform's validator
    // and to JSON Schema, so it must be to the typed parse too.
    let input = integral_floats_as_integers(input);
    let error = match serde_path_to_error::deserialize::<_, T>(&input) {
        Ok(typed) => return Ok(typed),
        Err(e) => e,
    };
    let path = error.path().to_string();
    let field = if path.is_empty() || path == "." {
        // `#[serde(flatten)]` loses the path: find the top-level field without which the
        // input parses (flattened configs default every field, so removing one is safe).
        culprit_field::<T>(&input, &error.inner().to_string()).unwrap_or_else(|| "(input)".into())
    } else {
        path
    };
    Err(
        forge_core::input::InputError::Invalid(vec![forge_core::input::FieldError {
            field,
            message: without_long_quotes(&error.into_inner().to_string()),
        }])
        .into(),
    )
}

/// serde quotes the value it refuses (``unknown variant `x` ``, `invalid type: string "x"`):
/// past 80 characters a backquoted one is described instead, and a message still longer
/// keeps its head and tail (what was refused, what was expected), so a 1 MB string makes a
/// short error that still names its field.
fn without_long_quotes(message: &str) -> String {
    let message = message
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            let chars = part.chars().count();
            if i % 2 == 1 && chars > 80 {
                format!("<{chars} characters>")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`");
    let chars: Vec<char> = message.chars().collect();
    if chars.len() <= 300 {
        return message;
    }
    let head: String = chars[..120].iter().collect();
    let tail: String = chars[chars.len() - 120..].iter().collect();
    format!("{head}… <{} characters> …{tail}", chars.len() - 240)
}

fn integral_floats_as_integers(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && (-9.0e15..=9.0e15).contains(&f) => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(xs) => Value::Array(xs.into_iter().map(integral_floats_as_integers).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, integral_floats_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The first top-level key without which `input` parses as `T`, or fails otherwise than
/// with `message` (another bad field is then next in line).
fn culprit_field<T: serde::de::DeserializeOwned>(input: &Value, message: &str) -> Option<String> {
    let map = input.as_object()?;
    map.keys()
        .find(|key| {
            let mut without = map.clone();
            without.remove(key.as_str());
            match serde_json::from_value::<T>(Value::Object(without)) {
                Ok(_) => true,
                Err(e) => {
                    let m = e.to_string();
                    m != message && !m.starts_with("missing field")
                }
            }
        })
        .cloned()
}

/// Serialises a tool's own output types; plain structs cannot fail, but no panic either way.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, RuntimeError> {
    serde_json::to_value(value).map_err(|e| RuntimeError::Other(e.to_string()))
}

/// How the runner was invoked, beyond the environment.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    /// CLI flow: an input file instead of `storage/key_value_stores/default/INPUT.json`.
    pub input_file: Option<PathBuf>,
    /// Forces a flow; by default `APIFY_IS_AT_HOME` decides.
    pub flow: Option<Flow>,
}

/// How a run ended, short of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Done {
    /// The analysis is complete: the status line and the CLI flow's exit code.
    Completed { status: String, cli_exit_code: i32 },
    /// The platform stopped the run first; its progress is saved.
    Stopped(Stop),
}

/// Runs a tool to completion and returns the process exit code (0 ok, 1 failure, 2 bad input).
/// Every failure ends in a status message and a log line that say what to do. On the platform
/// a migration (or SIGTERM) and a graceful abort stop it cleanly, progress saved.
pub async fn run_tool<T: Tool>(tool: &T, options: RunOptions) -> i32 {
    let env = RunEnv::from_process();
    let flow = options.flow.unwrap_or(if env.is_at_home {
        Flow::Platform
    } else {
        Flow::Cli
    });
    let lifecycle = match flow {
        Flow::Platform => Lifecycle::listen(env.events_websocket_url.as_ref(), true),
        Flow::Cli => Lifecycle::never(),
    };
    let status_client = match (&env.token, flow) {
        (Some(token), Flow::Platform) => Some(ApiClient::new(token, &env.api_base_url)),
        _ => None,
    };
    let result = run_inner(tool, &env, flow, &options, &lifecycle).await;
    let (code, message, terminal) = match &result {
        Ok(Done::Completed {
            status,
            cli_exit_code,
        }) => (
            if flow == Flow::Cli { *cli_exit_code } else { 0 },
            status.clone(),
            true,
        ),
        // The platform restarts the run elsewhere: the message is not its last word.
        Ok(Done::Stopped(Stop::Migrating)) => (
            0,
            format!("{}: moving to another server; the progress is saved and the run resumes there", T::NAME),
            false,
        ),
        Ok(Done::Stopped(Stop::Aborting)) => (
            0,
            format!("{}: aborted by the user; stopped cleanly with its progress saved (no SNAPSHOT written, the previous trend state stands)", T::NAME),
            true,
        ),
        Err(e) => (e.exit_code(), format!("{} failed: {e}", T::NAME), true),
    };
    if matches!(result, Ok(Done::Completed { .. }) | Ok(Done::Stopped(_))) {
        tracing::info!("{message}");
    } else {
        tracing::error!("{message}");
    }
    if let (Some(client), Some(run_id)) = (status_client, env.run_id.as_deref()) {
        let body =
            serde_json::json!({"statusMessage": message, "isStatusMessageTerminal": terminal});
        if let Err(e) = client.api().run(run_id).update(&body).await {
            tracing::warn!("could not set the status message: {e}");
        }
    }
    code
}

async fn run_inner<T: Tool>(
    tool: &T,
    env: &RunEnv,
    flow: Flow,
    options: &RunOptions,
    lifecycle: &Lifecycle,
) -> Result<Done, RuntimeError> {
    let schema = InputSchema::parse(T::INPUT_SCHEMA)?;
    let token = env.token.as_ref();
    let storage = match flow {
        Flow::Platform => {
            let token = token.ok_or_else(|| RuntimeError::Env("APIFY_TOKEN is not set".into()))?;
            Storage::Platform {
                client: ApiClient::new(token, &env.api_base_url),
                key_value_store_id: env.default_key_value_store_id.clone().ok_or_else(|| {
                    RuntimeError::Env("ACTOR_DEFAULT_KEY_VALUE_STORE_ID is not set".into())
                })?,
                dataset_id: env.default_dataset_id.clone().ok_or_else(|| {
                    RuntimeError::Env("ACTOR_DEFAULT_DATASET_ID is not set".into())
                })?,
            }
        }
        Flow::Cli => Storage::Local {
            root: env.local_storage_dir.clone(),
        },
    };

    // Input first: a bad input stops here, before any call about the fleet.
    let mut raw_input = match (&options.input_file, flow) {
        (Some(path), _) => read_local_json(path)?
            .ok_or_else(|| RuntimeError::Other(format!("{} not found", path.display())))?,
        (None, _) => storage
            .read_default_record(&env.input_key)
            .await?
            .unwrap_or(Value::Null),
    };
    // `isSecret` fields arrive encrypted on the platform; plain values (the CLI flow) stay.
    let secrets = crate::secrets::decrypt_with_env_key(&mut raw_input, T::INPUT_SCHEMA)?;
    let input = schema
        .resolve(Some(&raw_input))
        .map_err(|e| secrets.redact(e))?;
    let scope = crate::source::snapshot_scope(&input);

    let token = token.ok_or_else(|| {
        RuntimeError::Env("APIFY_TOKEN is not set: create a scoped token in Apify Console > Settings > API & Integrations".into())
    })?;
    let client = ApiClient::new(token, &env.api_base_url);
    let resume = Resume::load(&storage, env.run_id.as_deref(), flow).await?;
    let charging = Charging::for_run(flow, env, &client, resume.clone()).await?;
    // A cap that cannot pay for one result fails here, before any work.
    charging.check_cap()?;
    let source = FleetSource::new(client.clone());
    // On the platform, the run's start: a restarted process analyses the same window.
    let now = match flow {
        Flow::Platform => env.started_at.unwrap_or_else(Utc::now),
        Flow::Cli => Utc::now(),
    };
    let ctx = Context {
        flow,
        source,
        now,
        local_storage_dir: env.local_storage_dir.clone(),
        charging: charging.clone(),
        resume: resume.clone(),
        lifecycle: lifecycle.clone(),
    };
    let previous = match flow {
        _ if !T::KEEPS_SNAPSHOT => None,
        Flow::Platform => match env.actor_id.as_deref() {
            Some(actor_id) => ctx.source.previous_snapshot(actor_id, &scope).await?,
            None => None,
        },
        Flow::Cli => ctx.local_snapshot(T::NAME, &scope)?,
    };
    let emission = {
        let mut work = std::pin::pin!(tool.run(&ctx, input, previous));
        let stop = tokio::select! {
            result = &mut work => match (result, lifecycle.stop()) {
                (Ok(emission), _) => Ok(emission),
                // A step refused because the run is stopping: not a failure.
                (Err(_), Some(stop)) => Err(stop),
                (Err(e), None) => return Err(e),
            },
            stop = lifecycle.stopped() => Err(stop),
        };
        match stop {
            Ok(emission) => emission,
            Err(stop) => {
                // No new step starts; the ones in flight finish and are recorded.
                resume.stop();
                tokio::select! {
                    _ = &mut work => {}
                    _ = resume.idle() => {}
                }
                return Ok(Done::Stopped(stop));
            }
        }
    };
    // A stop before the charges: nothing is charged or written; a resumed run does it all.
    let stopped = || lifecycle.stop();
    if stopped().is_some() {
        return interrupted(&resume, stopped()).await;
    }
    // From the first charge on, what is paid for is delivered (OUTPUT, REPORT, SIGNALS, rows)
    // even if a stop comes meanwhile: a few writes, well within the platform's grace, and an
    // aborted run never charges for rows it did not push. A resumed run finds them done.
    let paid = charging
        .charge_rows(&emission.charges, emission.rows.len())
        .await?;
    let rows: Vec<Value> = emission
        .rows
        .into_iter()
        .zip(&paid)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .collect();
    let charging_meta = charging.summary().await;
    let status = match charging_meta["limitReached"].as_bool() {
        Some(true) => format!(
            "{} Stopped at the run's maximum total charge (maxTotalChargeUsd ${}): {} of {} rows charged and pushed.",
            emission.status,
            charging.max_total_charge_usd().unwrap_or_default(),
            rows.len(),
            paid.len()
        ),
        _ => emission.status,
    };

    let generated_at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut output =
        with_run_metadata(emission.output, &generated_at, env, flow, client.requests());
    if let Some(meta) = output.get_mut("meta").and_then(Value::as_object_mut) {
        meta.insert("charging".into(), charging_meta);
    }
    // SNAPSHOT last: a run that fails before it leaves the previous trend state intact.
    storage.put_json("OUTPUT", &output).await?;
    // The human view of OUTPUT (and only of OUTPUT, so it cannot hold the token). A view:
    // failing to store it must not cost the run its SIGNALS and SNAPSHOT.
    let report = forge_report::render(T::NAME, &output);
    if let Err(e) = storage.put_html("REPORT", report).await {
        tracing::warn!("could not store the REPORT: {e}");
    }
    storage.put_json("SIGNALS", &emission.signals).await?;
    push_rows(&storage, &resume, &rows).await?;
    // Trend state only from a run that was not stopped: an aborted run leaves the previous
    // SNAPSHOT as it was (a migrated one writes it when it resumes).
    if stopped().is_some() {
        return interrupted(&resume, stopped()).await;
    }
    if let Some(mut snapshot) = emission.snapshot {
        if let Some(o) = snapshot.as_object_mut() {
            o.insert("scope".into(), Value::String(scope.clone()));
        }
        let snapshot = &snapshot;
        storage.put_json("SNAPSHOT", snapshot).await?;
        if flow == Flow::Cli {
            ctx.save_local_snapshot(T::NAME, &scope, snapshot)?;
        }
    }
    Ok(Done::Completed {
        status,
        cli_exit_code: emission.cli_exit_code,
    })
}

/// The end of a run stopped during its writes: nothing new starts, the step in flight ends.
async fn interrupted(resume: &Resume, stop: Option<Stop>) -> Result<Done, RuntimeError> {
    resume.stop();
    resume.idle().await;
    Ok(Done::Stopped(stop.unwrap_or(Stop::Migrating)))
}

/// Pushes the rows a resumed run has not pushed yet, recording the count after each batch.
/// What was pushed is the larger of the record and the dataset's own count (a batch may have
/// landed just before the process was stopped, its record not yet written).
async fn push_rows(storage: &Storage, resume: &Resume, rows: &[Value]) -> Result<(), RuntimeError> {
    match storage {
        // The CLI flow replaces its local dataset whole; it never resumes.
        Storage::Local { .. } => {
            storage.push_rows(rows).await?;
            let n = rows.len() as u64;
            resume.update(|p| p.rows_pushed = n).await
        }
        Storage::Platform { .. } => {
            let mut done = resume.progress().await.rows_pushed;
            if resume.resumed() {
                done = done.max(storage.dataset_item_count().await?);
            }
            let todo = rows.get(done as usize..).unwrap_or_default();
            for batch in crate::storage::batches(todo, crate::storage::MAX_BATCH_BYTES) {
                let _step = resume.enter()?;
                storage.push_rows(batch).await?;
                done += batch.len() as u64;
                resume.update(|p| p.rows_pushed = done).await?;
            }
            Ok(())
        }
    }
}

/// Puts `generatedAt` after `tool` (the contract's order) and run metadata under `meta`:
/// everything that may differ between two runs over the same evidence is in those two.
pub fn with_run_metadata(
    output: Value,
    generated_at: &str,
    env: &RunEnv,
    flow: Flow,
    requests: u64,
) -> Value {
    let Value::Object(map) = output else {
        return output;
    };
    let mut out = Map::new();
    for (k, v) in map {
        let is_tool = k == "tool";
        out.insert(k, v);
        if is_tool {
            out.insert("generatedAt".into(), Value::String(generated_at.into()));
        }
    }
    out.insert(
        "meta".into(),
        serde_json::json!({
            "flow": flow.as_str(),
            "runId": env.run_id,
            "actorId": env.actor_id,
            "apiRequests": requests,
        }),
    );
    Value::Object(out)
}

#[cfg(test)]
mod parse_input_tests {
    use super::*;
    use forge_core::input::{FieldError, InputError};
    use serde_json::json;

    #[derive(Debug, serde::Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct Config {
        window_days: u32,
        levels: std::collections::BTreeMap<String, forge_core::signal::Severity>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        #[serde(flatten)]
        config: Config,
        as_of: Option<DateTime<Utc>>,
        #[serde(default)]
        actors: Vec<String>,
    }

    fn field_of(input: Value) -> FieldError {
        match parse_input::<Input>(input) {
            Err(RuntimeError::InvalidInput(InputError::Invalid(list))) => list[0].clone(),
            other => panic!("expected an invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_typed_parse_error_names_its_field_even_inside_a_flattened_config() {
        assert_eq!(field_of(json!({"asOf": "2026-13-45T00:00Z"})).field, "asOf");
        assert_eq!(field_of(json!({"actors": ["a", 3]})).field, "actors[1]");
        assert_eq!(field_of(json!({"levels": {"x": "bogus"}})).field, "levels");
        assert_eq!(field_of(json!({"windowDays": 1e20})).field, "windowDays");
    }

    #[test]
    fn integral_floats_are_integers_and_huge_values_are_not_quoted() {
        let input: Input = parse_input(json!({"windowDays": 30.0})).unwrap();
        assert_eq!(input.config.window_days, 30);
        assert!(input.as_of.is_none() && input.actors.is_empty());
        let huge = "x".repeat(1 << 20);
        let e = field_of(json!({"levels": {"x": huge}}));
        assert!(e.message.len() < 300, "{}", e.message);
        assert!(e.message.contains("<1048576 characters>"), "{}", e.message);
        let e = field_of(json!({"windowDays": huge}));
        assert!(e.message.len() < 400, "{}", e.message);
    }
}
