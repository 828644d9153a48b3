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
    pub(crate) fn default_dataset_id(&self) -> &str {
        &self.default_dataset_id
    }

    /// The handle of a run an earlier process of this same run started, from the run's own
    /// progress record ([`crate::resume::Resume::start_run`]): the one way back to a run after
    /// a migration, and as private as [`start_run`] itself.
    pub(crate) fn reattached(
        run_id: String,
        default_dataset_id: String,
        default_key_value_store_id: String,
    ) -> OwnedRun {
        OwnedRun {
            run_id,
            default_dataset_id,
            default_key_value_store_id,
        }
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

/// The run-sync endpoint that answers with the default dataset's items.
const DATASET_ITEMS: &str = "run-sync-get-dataset-items";
/// The run-sync endpoint that answers with the `OUTPUT` record.
const OUTPUT_RECORD: &str = "run-sync";

/// Why a run-sync call (`run-sync-get-dataset-items` or `run-sync`) returned no result.
#[derive(Debug, thiserror::Error)]
pub enum RunSyncError {
    #[error(
        "403 from {endpoint}: the token lacks {} (to start the run) or {} (to read its results)",
        crate::Permission::ActorsRun,
        crate::Permission::StoragesRead
    )]
    Forbidden { endpoint: &'static str },
    /// The run finished but did not succeed; `run_id` is parsed from the platform's message
    /// ("Actor run did not succeed (run ID: …, status: FAILED)"), for its log and status message.
    #[error("the run did not succeed: {message}")]
    RunFailed {
        message: String,
        run_id: Option<String>,
    },
    /// 408: the run goes on; the message is the platform's.
    #[error("the run did not finish within the endpoint's wait limit: {0}")]
    Timeout(String),
    #[error("{endpoint} failed with HTTP {status}: {message}")]
    Api {
        endpoint: &'static str,
        status: u16,
        message: String,
    },
    #[error("{endpoint}: {message}")]
    Transport {
        endpoint: &'static str,
        message: String,
    },
    /// A success status whose body is not what the endpoint promises.
    #[error("{endpoint} answered {status} with an unexpected body: {message}")]
    UnexpectedBody {
        endpoint: &'static str,
        status: u16,
        message: String,
    },
}

/// The run options of the run-sync endpoints (their `timeout` and `memory` parameters);
/// unset ones are the actor's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSyncOptions {
    pub timeout_secs: Option<u64>,
    pub memory_mbytes: Option<u32>,
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

/// [`run_sync_get_dataset_items`] with run options.
pub async fn run_sync_get_dataset_items_with(
    base_url: &str,
    token: &secrecy::SecretString,
    actor_id: &str,
    input: &Value,
    options: RunSyncOptions,
) -> Result<Vec<Value>, RunSyncError> {
    let (status, body) = run_sync(DATASET_ITEMS, base_url, token, actor_id, input, options).await?;
    match serde_json::from_slice(&body) {
        Ok(Value::Array(items)) => Ok(items),
        _ => Err(RunSyncError::UnexpectedBody {
            endpoint: DATASET_ITEMS,
            status,
            message: "not a JSON array".into(),
        }),
    }
}

/// `POST /v2/actors/{actorId}/run-sync`: starts a run, waits for it like
/// [`run_sync_get_dataset_items`] and returns the run's `OUTPUT` record, parsed. `None` when
/// the run succeeded without writing `OUTPUT` (the platform answers 201 with an empty body);
/// an `OUTPUT` that is not JSON is [`RunSyncError::UnexpectedBody`], not `None`, so a record
/// that exists is never mistaken for a missing one.
pub async fn run_sync_output(
    base_url: &str,
    token: &secrecy::SecretString,
    actor_id: &str,
    input: &Value,
    options: RunSyncOptions,
) -> Result<Option<Value>, RunSyncError> {
    let (status, body) = run_sync(OUTPUT_RECORD, base_url, token, actor_id, input, options).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| RunSyncError::UnexpectedBody {
            endpoint: OUTPUT_RECORD,
            status,
            message: format!("the OUTPUT record is not JSON ({e})"),
        })
}

/// One run-sync request to `endpoint`: the success status and body, or the classified error.
async fn run_sync(
    endpoint: &'static str,
    base_url: &str,
    token: &secrecy::SecretString,
    actor_id: &str,
    input: &Value,
    options: RunSyncOptions,
) -> Result<(u16, Vec<u8>), RunSyncError> {
    use secrecy::ExposeSecret;
    let transport = |e: reqwest::Error| RunSyncError::Transport {
        endpoint,
        message: e.without_url().to_string(),
    };
    // Built by hand (apify-client lacks the endpoint), so checked by hand: a reference with
    // `?`, `#` or `..` would address another endpoint.
    if let Err(e) = forge_core::ids::check_actor_ref(actor_id) {
        return Err(RunSyncError::Transport {
            endpoint,
            message: format!("refused before sending: the actor reference {e}"),
        });
    }
    let url = format!(
        "{}/v2/actors/{}/{endpoint}",
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
        // Past the platform's 300 s wait, which answers 408 itself.
        .timeout(std::time::Duration::from_secs(330))
        .send()
        .await
        .map_err(transport)?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(transport)?.to_vec();
    if matches!(status, 200 | 201) {
        return Ok((status, body));
    }
    let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let message = match error["error"]["message"].as_str() {
        Some(m) => m.to_string(),
        // Not Apify's envelope (e.g. a proxy's page): keep what there is, briefly.
        None => String::from_utf8_lossy(&body).chars().take(300).collect(),
    };
    Err(match status {
        403 => RunSyncError::Forbidden { endpoint },
        408 => RunSyncError::Timeout(message),
        400 if error["error"]["type"] == "run-failed" => RunSyncError::RunFailed {
            run_id: run_id_in(&message),
            message,
        },
        _ => RunSyncError::Api {
            endpoint,
            status,
            message,
        },
    })
}

/// The run ID in a `run-failed` message: "Actor run did not succeed (run ID: <id>, status: …)".
fn run_id_in(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("run ID:")?;
    let id: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_failed_messages_give_the_run_id() {
        let id = |m: &str| run_id_in(m);
        assert_eq!(
            id("Actor run did not succeed (run ID: AbC123xyz0000000A, status: FAILED)").as_deref(),
            Some("AbC123xyz0000000A")
        );
        assert_eq!(id("run ID: r1)").as_deref(), Some("r1"));
        assert_eq!(id("run ID:r2").as_deref(), Some("r2"));
        assert_eq!(id("Actor run did not succeed"), None);
        assert_eq!(id("run ID: , status: FAILED"), None);
    }

    #[tokio::test]
    async fn errors_name_the_endpoint_and_never_the_token() {
        let token = secrecy::SecretString::from("apify_api_SECRET123");
        let err = run_sync_output(
            "http://127.0.0.1:9/v2",
            &token,
            "me/tool",
            &serde_json::json!({}),
            RunSyncOptions::default(),
        )
        .await
        .expect_err("nothing listens on port 9");
        assert!(err.to_string().starts_with("run-sync"), "{err}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("SECRET123"), "{text}");
        }
    }
}
