//! Runs that apifyforge itself started. Reading a dataset's items takes an [`OwnedRun`], and
//! only [`start_run`] (which starts the run) can make one: "we read no dataset we did not
//! produce" is a property of the types, not a promise in a document.

use crate::client::{map_error, ops, ApiClient};
use crate::error::RuntimeError;
use apify_client::clients::actor::ActorStartOptions;
use apify_client::DatasetListItemsOptions;
use serde_json::Value;

/// A run started by this process. No public constructor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRun {
    run_id: String,
    default_dataset_id: String,
    default_key_value_store_id: String,
}

impl OwnedRun {
    pub fn run_id(&self) -> &str {
        &self.run_id
    }
    pub fn default_key_value_store_id(&self) -> &str {
        &self.default_key_value_store_id
    }
}

/// How to start a run; unset fields are the actor's defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartOptions {
    /// A build number or tag.
    pub build: Option<String>,
    pub memory_mbytes: Option<u32>,
    pub timeout_secs: Option<u64>,
    /// The most a pay-per-event run may charge.
    pub max_total_charge_usd: Option<f64>,
}

/// Starts a run of `actor_id` with `input`; the returned handle is the only key to its data.
pub async fn start_run(
    client: &ApiClient,
    actor_id: &str,
    input: &Value,
) -> Result<OwnedRun, RuntimeError> {
    start_run_with(client, actor_id, input, &StartOptions::default()).await
}

/// [`start_run`] with a build, memory, timeout or charge limit.
pub async fn start_run_with(
    client: &ApiClient,
    actor_id: &str,
    input: &Value,
    options: &StartOptions,
) -> Result<OwnedRun, RuntimeError> {
    let run = client
        .api()
        .actor(actor_id)
        .start(
            Some(input),
            ActorStartOptions {
                build: options.build.clone(),
                memory_mbytes: options.memory_mbytes.map(i64::from),
                run_timeout_secs: options.timeout_secs.map(|t| t as i64),
                max_total_charge_usd: options.max_total_charge_usd,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| map_error(ops::START_RUN, e))?;
    let missing = |what: &str| RuntimeError::Api {
        operation: ops::START_RUN.what,
        message: format!("the new run has no {what}"),
    };
    Ok(OwnedRun {
        default_dataset_id: run
            .default_dataset_id
            .clone()
            .ok_or_else(|| missing("default dataset"))?,
        default_key_value_store_id: run
            .default_key_value_store_id
            .clone()
            .ok_or_else(|| missing("default key-value store"))?,
        run_id: run.id,
    })
}

/// Waits until the run finishes and returns its final status.
pub async fn wait_for_finish(
    client: &ApiClient,
    run: &OwnedRun,
    max_secs: i64,
) -> Result<String, RuntimeError> {
    let r = client
        .api()
        .run(run.run_id())
        .wait_for_finish(Some(max_secs))
        .await
        .map_err(|e| map_error(ops::GET_RUN, e))?;
    Ok(r.status.unwrap_or_default())
}

/// Waits until the run finishes (or `max_secs` pass) and returns its details.
pub async fn wait_for_run(
    client: &ApiClient,
    run: &OwnedRun,
    max_secs: i64,
) -> Result<Option<forge_core::model::RunDetail>, RuntimeError> {
    let r = client
        .api()
        .run(run.run_id())
        .wait_for_finish(Some(max_secs))
        .await
        .map_err(|e| map_error(ops::GET_RUN, e))?;
    Ok(crate::source::run_detail(&r))
}

/// The items of the default dataset of a run we started.
pub async fn dataset_items(client: &ApiClient, run: &OwnedRun) -> Result<Vec<Value>, RuntimeError> {
    let page = client
        .api()
        .dataset(&run.default_dataset_id)
        .list_items::<Value>(DatasetListItemsOptions::default())
        .await
        .map_err(|e| map_error(ops::READ_ITEMS, e))?;
    Ok(page.items)
}

/// A JSON record of the default key-value store of a run we started (OUTPUT, SIGNALS...).
pub async fn record(
    client: &ApiClient,
    run: &OwnedRun,
    key: &str,
) -> Result<Option<Value>, RuntimeError> {
    let rec = client
        .api()
        .key_value_store(&run.default_key_value_store_id)
        .get_record(key)
        .await
        .map_err(|e| map_error(ops::READ_RECORD, e))?;
    Ok(rec.and_then(|r| serde_json::from_slice(&r.value).ok()))
}

/// Why a `run-sync-get-dataset-items` call returned no items.
#[derive(Debug, thiserror::Error)]
pub enum RunSyncError {
    #[error(
        "403 from run-sync-get-dataset-items: the token lacks {} (to start the run) or {} (to read its results)",
        crate::Permission::ActorsRun,
        crate::Permission::StoragesRead
    )]
    Forbidden,
    #[error("the run did not succeed: {message}")]
    RunFailed {
        message: String,
        run_id: Option<String>,
    },
    #[error("the run did not finish within the endpoint's wait limit: {0}")]
    Timeout(String),
    #[error("run-sync-get-dataset-items failed with HTTP {status}: {message}")]
    Api { status: u16, message: String },
    #[error("run-sync-get-dataset-items: {0}")]
    Transport(String),
}

/// `POST /v2/actors/{actorId}/run-sync-get-dataset-items`: starts a run, waits for it (up to
/// the platform's 300 s) and returns its dataset items in the same response, so the items
/// read are, by construction, those of the run this call started. apify-client lacks the
/// endpoint, hence reqwest; the token goes in the Authorization header, never the URL.
pub async fn run_sync_get_dataset_items(
    base_url: &str,
    token: &secrecy::SecretString,
    actor_id: &str,
    input: &Value,
) -> Result<Vec<Value>, RunSyncError> {
    run_sync_get_dataset_items_with(base_url, token, actor_id, input, RunSyncOptions::default())
        .await
}

/// The run options of `run-sync-get-dataset-items` (its `timeout` and `memory` parameters);
/// unset ones are the actor's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSyncOptions {
    pub timeout_secs: Option<u64>,
    pub memory_mbytes: Option<u32>,
}

/// [`run_sync_get_dataset_items`] with run options.
pub async fn run_sync_get_dataset_items_with(
    base_url: &str,
    token: &secrecy::SecretString,
    actor_id: &str,
    input: &Value,
    options: RunSyncOptions,
) -> Result<Vec<Value>, RunSyncError> {
    use secrecy::ExposeSecret;
    let url = format!(
        "{}/v2/actors/{}/run-sync-get-dataset-items",
        base_url.trim_end_matches('/').trim_end_matches("/v2"),
        actor_id.replacen('/', "~", 1)
    );
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(t) = options.timeout_secs {
        query.push(("timeout", t.to_string()));
    }
    if let Some(m) = options.memory_mbytes {
        query.push(("memory", m.to_string()));
    }
    let response = reqwest::Client::new()
        .post(url)
        .query(&query)
        .bearer_auth(token.expose_secret())
        .json(input)
        .timeout(std::time::Duration::from_secs(330))
        .send()
        .await
        .map_err(|e| RunSyncError::Transport(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    let body: Value = response
        .json()
        .await
        .map_err(|e| RunSyncError::Transport(e.without_url().to_string()))?;
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match status {
        200 | 201 => match body {
            Value::Array(items) => Ok(items),
            _ => Err(RunSyncError::Transport(
                "the response is not a JSON array".into(),
            )),
        },
        403 => Err(RunSyncError::Forbidden),
        408 => Err(RunSyncError::Timeout(message)),
        400 if body["error"]["type"] == "run-failed" => {
            let run_id = message
                .split("run ID: ")
                .nth(1)
                .and_then(|s| s.split([',', ')']).next())
                .map(str::to_string);
            Err(RunSyncError::RunFailed { message, run_id })
        }
        _ => Err(RunSyncError::Api { status, message }),
    }
}
