//! The tool contract and the one runner every Actor binary and the CLI share.

use crate::client::ApiClient;
use crate::env::RunEnv;
use crate::error::RuntimeError;
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

/// What a tool gets to work with. `now` is read once, here in the shell, and passed down.
#[derive(Debug)]
pub struct Context {
    pub flow: Flow,
    pub source: FleetSource,
    pub now: DateTime<Utc>,
    /// The CLI flow's local storage (`APIFY_LOCAL_STORAGE_DIR`), where trend state is kept.
    pub local_storage_dir: PathBuf,
}

impl Context {
    /// The CLI flow's SNAPSHOT of `tool` over `scope` ([`crate::source::snapshot_scope`]),
    /// from its local named store: the fleet-wide scope under `SNAPSHOT`, any other (a shard
    /// an orchestrator runs) under `SNAPSHOT-<scope>`, so neither overwrites the other.
    pub fn local_snapshot(&self, tool: &str, scope: &str) -> Result<Option<Value>, RuntimeError> {
        read_local_json(
            &self
                .named_store(tool)
                .join(format!("{}.json", snapshot_key(scope))),
        )
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
/// already named every bad field, so a failure here is a schema/type mismatch in the tool.
pub fn parse_input<T: serde::de::DeserializeOwned>(input: Value) -> Result<T, RuntimeError> {
    serde_json::from_value(input)
        .map_err(|e| RuntimeError::Other(format!("input does not match the schema: {e}")))
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

/// Runs a tool to completion and returns the process exit code (0 ok, 1 failure, 2 bad input).
/// Every failure ends in a status message and a log line that say what to do.
pub async fn run_tool<T: Tool>(tool: &T, options: RunOptions) -> i32 {
    let env = RunEnv::from_process();
    let flow = options.flow.unwrap_or(if env.is_at_home {
        Flow::Platform
    } else {
        Flow::Cli
    });
    let status_client = match (&env.token, flow) {
        (Some(token), Flow::Platform) => Some(ApiClient::new(token, &env.api_base_url)),
        _ => None,
    };
    let result = run_inner(tool, &env, flow, &options).await;
    let (code, message) = match &result {
        Ok((status, cli_exit_code)) => (
            if flow == Flow::Cli { *cli_exit_code } else { 0 },
            status.clone(),
        ),
        Err(e) => (e.exit_code(), format!("{} failed: {e}", T::NAME)),
    };
    if result.is_ok() {
        tracing::info!("{message}");
    } else {
        tracing::error!("{message}");
    }
    if let (Some(client), Some(run_id)) = (status_client, env.run_id.as_deref()) {
        let body = serde_json::json!({"statusMessage": message, "isStatusMessageTerminal": true});
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
) -> Result<(String, i32), RuntimeError> {
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
    let source = FleetSource::new(client.clone());
    let now = Utc::now();
    let ctx = Context {
        flow,
        source,
        now,
        local_storage_dir: env.local_storage_dir.clone(),
    };
    let previous = match flow {
        _ if !T::KEEPS_SNAPSHOT => None,
        Flow::Platform => match env.actor_id.as_deref() {
            Some(actor_id) => ctx.source.previous_snapshot(actor_id, &scope).await?,
            None => None,
        },
        Flow::Cli => ctx.local_snapshot(T::NAME, &scope)?,
    };
    let emission = tool.run(&ctx, input, previous).await?;

    let generated_at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let output = with_run_metadata(emission.output, &generated_at, env, flow, client.requests());
    // SNAPSHOT last: a run that fails before it leaves the previous trend state intact.
    storage.put_json("OUTPUT", &output).await?;
    // The human view of OUTPUT (and only of OUTPUT, so it cannot hold the token). A view:
    // failing to store it must not cost the run its SIGNALS and SNAPSHOT.
    let report = forge_report::render(T::NAME, &output);
    if let Err(e) = storage.put_html("REPORT", report).await {
        tracing::warn!("could not store the REPORT: {e}");
    }
    storage.put_json("SIGNALS", &emission.signals).await?;
    storage.push_rows(&emission.rows).await?;
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
    Ok((emission.status, emission.cli_exit_code))
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
