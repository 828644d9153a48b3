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
        let inner = ApifyClient::builder()
            .token(token.expose_secret())
            .base_url(base_url)
            .http_backend(Arc::new(ForgeBackend::new(counters.clone())))
            // The defaults (8 retries, doubling timeouts up to 360 s) can hang a run for
            // tens of minutes on a dead API; fail in about a minute instead.
            .max_retries(4)
            .min_delay_between_retries(Duration::from_millis(250))
            .timeout_max(Duration::from_secs(60))
            .build();
        ApiClient {
            inner: Arc::new(inner),
            counters,
            token: Arc::new(token.clone()),
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
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
