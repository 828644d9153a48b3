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

/// Starts a run of `actor_id` with `input`; the returned handle is the only key to its data.
pub async fn start_run(client: &ApiClient, actor_id: &str, input: &Value) -> Result<OwnedRun, RuntimeError> {
    let run = client
        .api()
        .actor(actor_id)
        .start(Some(input), ActorStartOptions::default())
        .await
        .map_err(|e| map_error(ops::START_RUN, e))?;
    let missing = |what: &str| RuntimeError::Api { operation: ops::START_RUN.what, message: format!("the new run has no {what}") };
    Ok(OwnedRun {
        default_dataset_id: run.default_dataset_id.clone().ok_or_else(|| missing("default dataset"))?,
        default_key_value_store_id: run.default_key_value_store_id.clone().ok_or_else(|| missing("default key-value store"))?,
        run_id: run.id,
    })
}

/// Waits until the run finishes and returns its final status.
pub async fn wait_for_finish(client: &ApiClient, run: &OwnedRun, max_secs: i64) -> Result<String, RuntimeError> {
    let r = client
        .api()
        .run(run.run_id())
        .wait_for_finish(Some(max_secs))
        .await
        .map_err(|e| map_error(ops::GET_RUN, e))?;
    Ok(r.status.unwrap_or_default())
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
pub async fn record(client: &ApiClient, run: &OwnedRun, key: &str) -> Result<Option<Value>, RuntimeError> {
    let rec = client
        .api()
        .key_value_store(&run.default_key_value_store_id)
        .get_record(key)
        .await
        .map_err(|e| map_error(ops::READ_RECORD, e))?;
    Ok(rec.and_then(|r| serde_json::from_slice(&r.value).ok()))
}
