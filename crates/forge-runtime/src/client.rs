//! The API client as the tools hold it: apify-client over [`ForgeBackend`], with short
//! retry budgets, a Debug that cannot print the token, and errors mapped to what the user
//! must fix.

use crate::error::RuntimeError;
use crate::transport::{Counters, ForgeBackend};
use apify_client::{ApifyClient, ApifyClientError};
use forge_core::permission::Permission;
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// An operation against the API and the permission it needs: a 403 names that permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub what: &'static str,
    pub permission: Permission,
}

pub mod ops {
    use super::Operation;
    use forge_core::permission::Permission::*;
    pub const LIST_ACTORS: Operation = Operation {
        what: "list your actors (GET /v2/actors)",
        permission: ActorsRead,
    };
    pub const GET_ACTOR: Operation = Operation {
        what: "read an actor (GET /v2/actors/{id})",
        permission: ActorsRead,
    };
    pub const GET_BUILD: Operation = Operation {
        what: "read a build and its definitions (GET /v2/actor-builds/{id})",
        permission: ActorsRead,
    };
    pub const LIST_BUILDS: Operation = Operation {
        what: "list an actor's builds (GET /v2/actors/{id}/builds)",
        permission: ActorsRead,
    };
    pub const LIST_RUNS: Operation = Operation {
        what: "list an actor's runs (GET /v2/actors/{id}/runs)",
        permission: ActorsListRuns,
    };
    pub const GET_RUN: Operation = Operation {
        what: "read a run's details (GET /v2/actor-runs/{id})",
        permission: ActorsListRuns,
    };
    pub const START_RUN: Operation = Operation {
        what: "start a run (POST /v2/actors/{id}/runs)",
        permission: ActorsRun,
    };
    pub const READ_RECORD: Operation = Operation {
        what: "read a key-value store record",
        permission: StoragesRead,
    };
    pub const READ_ITEMS: Operation = Operation {
        what: "read the dataset items of a run apifyforge started",
        permission: StoragesRead,
    };
    pub const WRITE_RECORD: Operation = Operation {
        what: "save a record to the run's key-value store",
        permission: StoragesWrite,
    };
    pub const PUSH_ITEMS: Operation = Operation {
        what: "push rows to the run's dataset",
        permission: StoragesWrite,
    };
}

/// The client every tool uses. Cloning is cheap and shares the rate limiter and counters.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<ApifyClient>,
    counters: Arc<Counters>,
    /// Kept for the endpoints apify-client lacks (`run-sync`, `run-sync-get-dataset-items`);
    /// it leaves this type only as an Authorization header.
    token: Arc<SecretString>,
    /// The transport apify-client sends through, for [`ApiClient::get_json`].
    backend: Arc<ForgeBackend>,
}

impl std::fmt::Debug for ApiClient {
    // apify-client's own Debug prints the token; this one never does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.inner.api_base_url())
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    pub fn new(token: &SecretString, base_url: &str) -> ApiClient {
        let counters = Arc::new(Counters::default());
        let backend = Arc::new(ForgeBackend::new(counters.clone()));
        let inner = ApifyClient::builder()
            .token(token.expose_secret())
            .base_url(base_url)
            .http_backend(backend.clone())
            // The defaults (8 retries, doubling timeouts up to 360 s) can hang a run for
            // tens of minutes on a dead API; fail in about a minute instead.
            // 5 sends with pauses from 250 ms: survives 3 transient faults in a row (see
            // `transport::MAX_RETRIES`) with one to spare.
            .max_retries(crate::transport::MAX_RETRIES)
            .min_delay_between_retries(crate::transport::MIN_RETRY_DELAY)
            .timeout_max(Duration::from_secs(60))
            .build();
        ApiClient {
            inner: Arc::new(inner),
            counters,
            token: Arc::new(token.clone()),
            backend,
        }
    }

    /// `GET <api base>/<path>?<query>` answered as plain JSON (the `data` of Apify's envelope;
    /// `None` for 404), through the same transport as every request (rate limits, counting,
    /// the token only in the Authorization header), retried on 429, 5xx and network errors.
    /// For answers apify-client's typed models refuse whole: one field of the wrong type in
    /// one item of a page of 1,000 runs fails the page there
    /// (see [`crate::source::FleetSource::for_each_run`]).
    pub async fn get_json(
        &self,
        op: Operation,
        path: &[&str],
        query: &[(&str, String)],
    ) -> Result<Option<serde_json::Value>, RuntimeError> {
        use apify_client::http_client::{HttpBackend, HttpMethod, HttpRequest};
        let api_error = |message: String| RuntimeError::Api {
            operation: op.what,
            message,
        };
        let mut url = reqwest::Url::parse(self.inner.api_base_url())
            .map_err(|e| api_error(format!("bad API base URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|_| api_error("bad API base URL".into()))?
            .pop_if_empty()
            .extend(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut headers = std::collections::HashMap::new();
        headers.insert(
            "Authorization".to_string(),
            format!("Bearer {}", self.token.expose_secret()),
        );
        headers.insert("Accept".to_string(), "application/json".to_string());
        let mut delay = Duration::from_millis(250);
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let request = HttpRequest {
                method: HttpMethod::Get,
                url: url.to_string(),
                headers: headers.clone(),
                body: None,
                timeout: Duration::from_secs(60),
            };
            let failure = match self.backend.send(request).await {
                Ok(r) if r.status == 429 || r.status >= 500 => format!("HTTP {}", r.status),
                Ok(r) => break r,
                Err(e) => e.to_string(),
            };
            if attempt > 4 {
                return Err(api_error(failure));
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        };
        let body: serde_json::Value =
            serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
        let message = || {
            body["error"]["message"]
                .as_str()
                .map_or_else(|| format!("HTTP {}", response.status), str::to_string)
        };
        match response.status {
            200..=299 if body.is_object() => Ok(Some(body["data"].clone())),
            200..=299 => Err(api_error("the answer is not JSON".into())),
            401 => Err(RuntimeError::Unauthorized(message())),
            403 => Err(RuntimeError::MissingPermission {
                permission: op.permission,
                operation: op.what,
            }),
            404 => Ok(None),
            _ => Err(api_error(message())),
        }
    }

    pub fn api(&self) -> &ApifyClient {
        &self.inner
    }

    /// Starts a run of `actor_id` with `input` and returns its dataset items, through
    /// `run-sync-get-dataset-items` (see [`crate::owned::run_sync_get_dataset_items`]).
    pub async fn run_sync_get_dataset_items(
        &self,
        actor_id: &str,
        input: &serde_json::Value,
        options: crate::owned::RunSyncOptions,
    ) -> Result<Vec<serde_json::Value>, crate::owned::RunSyncError> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        crate::owned::run_sync_get_dataset_items_with(
            self.inner.api_base_url(),
            &self.token,
            actor_id,
            input,
            options,
        )
        .await
    }

    /// Starts a run of `actor_id` with `input` and returns its `OUTPUT` record (None when the
    /// run wrote none), through `run-sync` (see [`crate::owned::run_sync_output`]).
    pub async fn run_sync_output(
        &self,
        actor_id: &str,
        input: &serde_json::Value,
        options: crate::owned::RunSyncOptions,
    ) -> Result<Option<serde_json::Value>, crate::owned::RunSyncError> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        crate::owned::run_sync_output(
            self.inner.api_base_url(),
            &self.token,
            actor_id,
            input,
            options,
        )
        .await
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::Relaxed)
    }
}

/// Maps a client error to what the user must fix.
pub fn map_error(op: Operation, e: ApifyClientError) -> RuntimeError {
    match &e {
        ApifyClientError::Api(api) if api.is_forbidden() => RuntimeError::MissingPermission {
            permission: op.permission,
            operation: op.what,
        },
        ApifyClientError::Api(api) if api.is_unauthorized() => {
            RuntimeError::Unauthorized(api.message.clone())
        }
        _ => RuntimeError::Api {
            operation: op.what,
            message: describe(&e),
        },
    }
}

/// A client error in words a status message can carry: a gateway's HTML page becomes its
/// status, and a retried failure says how many attempts it had.
fn describe(e: &ApifyClientError) -> String {
    match e {
        ApifyClientError::Api(api) if api.error_type.is_none() => {
            // Not the API's JSON envelope (a proxy's or gateway's page): its markup says
            // nothing the status does not.
            let reason = reqwest::StatusCode::from_u16(api.status_code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error");
            format!(
                "HTTP {} {reason}, without the API's error body (a gateway's answer?), after {} attempt(s)",
                api.status_code, api.attempt
            )
        }
        ApifyClientError::Api(api) if api.status_code == 429 || api.status_code >= 500 => {
            format!("{e} (after {} attempts)", api.attempt)
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_page_becomes_its_status_and_retries_are_counted() {
        let api = |status: u16, kind: Option<&str>, message: &str| {
            ApifyClientError::from(apify_client::ApiError {
                status_code: status,
                error_type: kind.map(str::to_string),
                message: message.into(),
                attempt: 5,
                http_method: Some("GET".into()),
                path: Some("/v2/actors".into()),
                data: None,
            })
        };
        let page = "Unexpected error: <html><head><title>503 Service Unavailable</title>";
        let text = map_error(ops::LIST_RUNS, api(503, None, page)).to_string();
        assert!(
            text.ends_with("failed: HTTP 503 Service Unavailable, without the API's error body (a gateway's answer?), after 5 attempt(s)"),
            "{text}"
        );
        let text = map_error(
            ops::PUSH_ITEMS,
            api(500, Some("internal-server-error"), "Internal server error"),
        )
        .to_string();
        assert!(text.contains("status 500"), "{text}");
        assert!(text.ends_with("(after 5 attempts)"), "{text}");
        let text = map_error(ops::GET_RUN, api(404, Some("record-not-found"), "x")).to_string();
        assert!(!text.contains("attempts"), "{text}");
    }

    #[test]
    fn debug_output_never_contains_the_token() {
        let client = ApiClient::new(
            &SecretString::from("apify_api_SECRET123"),
            "http://127.0.0.1:9",
        );
        let debug = format!("{client:?}");
        assert!(!debug.contains("SECRET123"), "{debug}");
        assert!(debug.contains("127.0.0.1:9"), "{debug}");
    }
}
