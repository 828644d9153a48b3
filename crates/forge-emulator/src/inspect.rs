//! What the security checks need from the emulator beyond the API: everything it stores (for a
//! scan for leaked tokens), every token value it accepts, and a run started the way Apify
//! Console starts one, whose run token carries exactly a given token's account-wide scope.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use serde_json::Value;

use crate::routes::Params;
use crate::{process, Emulator};

/// Why [`Emulator::start_run_as`] started nothing.
#[derive(Debug, thiserror::Error)]
pub enum StartAsError {
    #[error("no Actor named {0}")]
    NoActor(String),
    #[error("no token with id {0}")]
    NoToken(String),
    #[error("the run could not start: {0}")]
    Refused(String),
}

/// One key-value record as stored.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub store_id: String,
    pub key: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Emulator {
    /// Starts a run of the Actor named `actor_name` with `input`, as Apify Console does when
    /// the token's owner clicks Start with a token that may run this one Actor (a
    /// resource-specific Run permission): no account-wide Actors: Run is needed to start it,
    /// and the run token gets exactly the account-wide scope of the token `token_id` (see
    /// [`crate::EmulatorConfig::run_token_default_storages`]). Returns the run's id; the run
    /// goes on as any other ([`Emulator::wait_for_run`]).
    pub async fn start_run_as(
        &self,
        actor_name: &str,
        token_id: &str,
        input: &Value,
    ) -> Result<String, StartAsError> {
        let (starter, ai) = {
            let st = self.app.read();
            let starter = st
                .tokens
                .values()
                .find(|p| p.token_id == token_id && p.own_run.is_none())
                .cloned()
                .ok_or_else(|| StartAsError::NoToken(token_id.to_owned()))?;
            let ai = st
                .actors
                .iter()
                .position(|a| a.name == actor_name)
                .ok_or_else(|| StartAsError::NoActor(actor_name.to_owned()))?;
            (starter, ai)
        };
        let params = no_params().await?;
        let body = Bytes::from(serde_json::to_vec(input).unwrap_or_default());
        let launch = process::create_run(
            &self.app,
            &starter,
            ai,
            &params,
            Some("application/json"),
            body,
        )
        .map_err(|e| StartAsError::Refused(e.message))?;
        let run_id = launch.run_id.clone();
        process::launch(&self.app, launch);
        Ok(run_id)
    }

    /// Waits until the run is terminal, at most `max`; false when it is not by then (or
    /// does not exist).
    pub async fn wait_for_run(&self, run_id: &str, max: Duration) -> bool {
        process::wait_finished(&self.app, run_id, max).await
    }

    /// Every record of every key-value store, by store id and key.
    pub fn all_key_value_records(&self) -> Vec<StoredRecord> {
        let st = self.app.read();
        let mut out: Vec<StoredRecord> = st
            .stores
            .values()
            .flat_map(|s| {
                s.records.iter().map(|(key, r)| StoredRecord {
                    store_id: s.id.clone(),
                    key: key.clone(),
                    content_type: r.content_type.clone(),
                    data: r.data.to_vec(),
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.store_id, &a.key).cmp(&(&b.store_id, &b.key)));
        out
    }

    /// Every dataset's items, by dataset id.
    pub fn all_dataset_items(&self) -> Vec<(String, Vec<Value>)> {
        let st = self.app.read();
        let mut out: Vec<(String, Vec<Value>)> = st
            .datasets
            .values()
            .map(|d| (d.id.clone(), d.items().into_owned()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The captured stdout and stderr of every run's process, by run id.
    pub fn all_run_logs(&self) -> Vec<(String, String)> {
        let st = self.app.read();
        let mut out: Vec<(String, String)> = st
            .logs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.sort();
        out
    }

    /// Every token value the emulator accepts: the fixture's and every run token it made.
    /// Secrets of a test account, for a scan that proves none of them leaked anywhere.
    pub fn token_values(&self) -> Vec<String> {
        let mut out: Vec<String> = self.app.read().tokens.keys().cloned().collect();
        out.sort();
        out
    }
}

/// An empty query: the run takes the Actor's default options.
async fn no_params() -> Result<Params, StartAsError> {
    let (mut parts, ()) = axum::http::Request::builder()
        .uri("/")
        .body(())
        .map_err(|e| StartAsError::Refused(e.to_string()))?
        .into_parts();
    Params::from_request_parts(&mut parts, &())
        .await
        .map_err(|e| StartAsError::Refused(e.message))
}
