//! A local, stateful emulator of the Apify API v2, for tests, demos and offline development.
//!
//! It serves an account [`Fixture`] (user, tokens, Actors with builds and runs) over HTTP in the
//! real wire format: `/v2/actors/...` and the deprecated `/v2/acts/...`, `{data}` / `{error}`
//! envelopes, offset pagination, scoped tokens, per-resource rate limits, key-value stores,
//! datasets, pay-per-event charging, and runs that start real processes with the platform's
//! environment variables pointed back at the emulator. Every request lands in an audit log
//! (never with a token value in it).
//!
//! ```no_run
//! # async fn demo() -> Result<(), forge_emulator::EmulatorError> {
//! use forge_emulator::{synth, Emulator, EmulatorConfig};
//! let (fixture, _truth) = synth::generate(&synth::SynthConfig::default());
//! let emu = Emulator::start(fixture, EmulatorConfig::default()).await?;
//! println!("API at {}/v2", emu.base_url());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod error;
mod events;
mod faults;
pub mod fixture;
pub mod inspect;
mod process;
mod ratelimit;
mod routes;
pub mod secrets;
mod state;
pub mod synth;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::EmulatorError;
pub use events::{
    Migration, ABORTING, EVENTS_PATH_PREFIX, EVENTS_URL_ENV, EVENTS_URL_ENV_LEGACY, MIGRATING,
    PERSIST_STATE, SYSTEM_INFO,
};
pub use faults::{repeatable, FaultKind, FaultPlan, FaultStats, FaultTarget, PermanentFault};
pub use fixture::{
    ActorFixture, Behavior, BuildBehavior, Fixture, FixtureError, Permission, Permissions, RawJson,
    TokenSpec,
};

/// How the emulator behaves beyond what the fixture says.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Enforce Apify's per-resource limits (60/s default, 200/s KV records, 400/s run start and
    /// dataset push) with 429 `rate-limit-exceeded`. Default true.
    pub rate_limits: bool,
    /// How long `run-sync` and `run-sync-get-dataset-items` wait for the run before answering
    /// 408 (Apify: 300 s).
    pub run_sync_timeout: Duration,
    /// Actor name -> argv of the process to start for a new run of that Actor.
    pub actor_commands: HashMap<String, Vec<String>>,
    /// Fixed latency added to every request (benchmarks).
    pub latency: Option<Duration>,
    /// Extra environment variables for started Actor processes.
    pub extra_env: Vec<(String, String)>,
    /// Whether a run token may use its own run's default storages without the Storages
    /// permissions. Default false: a run token has exactly the scope of the token that started
    /// the run (Apify's "Restricted" run-token mode), so a token without Storages: Write makes
    /// the run fail at its save step, as the data-access model says.
    pub run_token_default_storages: bool,
    /// Seed of the random draws of simulated runs (Actors with a fixture `behavior` and no
    /// `actor_commands` entry). Each such run draws from its own generator, seeded from this
    /// seed, the Actor's id, the run's build number and memory, and how many simulated runs of
    /// that same (Actor, build, memory) this emulator started before it: the same sequence of
    /// run starts gives the same outcomes (status, run time, cost, items), whatever the timing
    /// and however starts of other variants interleave. Run ids are not reproducible (they come
    /// from a clock-seeded generator). Default [`DEFAULT_SEED`].
    pub seed: u64,
    /// Store the input fields a build's input schema marks `isSecret` encrypted, and give the
    /// run's process the private key (`APIFY_INPUT_SECRETS_PRIVATE_KEY_FILE` and
    /// `_PASSPHRASE`), as the platform does: see [`secrets`]. Default true.
    pub encrypt_secret_inputs: bool,
    /// How long a graceful abort (`POST .../abort?gracefully=true`) leaves the process after the
    /// `aborting` and `persistState` events before killing it (Apify: 30 s). Default 30 s.
    pub abort_grace: Duration,
    /// How long a migration with events ([`Migration::Events`]) waits for the process to exit
    /// after `migrating` and `persistState` before stopping its container. Default 10 s.
    pub migration_grace: Duration,
    /// Between SIGTERM and SIGKILL when a migration stops a container. Default 5 s.
    pub stop_grace: Duration,
    /// Period of the `systemInfo` event on the events websocket. Default 5 s.
    pub system_info_interval: Duration,
    /// Seeded fault injection (429s, 5xx, resets, slow or damaged answers): see [`FaultPlan`].
    /// Default none.
    pub faults: Option<FaultPlan>,
}

/// [`EmulatorConfig::seed`] by default.
pub const DEFAULT_SEED: u64 = 0x5eed_a9f0_12e5;

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            rate_limits: true,
            run_sync_timeout: Duration::from_secs(300),
            actor_commands: HashMap::new(),
            latency: None,
            extra_env: Vec::new(),
            run_token_default_storages: false,
            seed: DEFAULT_SEED,
            encrypt_secret_inputs: true,
            abort_grace: Duration::from_secs(30),
            migration_grace: Duration::from_secs(10),
            stop_grace: Duration::from_secs(5),
            system_info_interval: Duration::from_secs(5),
            faults: None,
        }
    }
}

/// One request as the audit log records it. It never contains a token value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub method: String,
    /// The path only, without the query.
    pub path: String,
    /// The query string, with the value of any `token` parameter replaced by `REDACTED`.
    pub query: String,
    /// The id of the token used (fixture token id or `run-token-<runId>`), if it was valid.
    pub token_id: Option<String>,
    pub status: u16,
    /// The resource the request addressed, e.g. `actor:<id>`, `run:<id>`, `dataset:<id>`,
    /// `key-value-store:<id>`, `user:<id>`.
    pub resource: Option<String>,
}

/// Shared state behind every handler.
pub(crate) struct Shared {
    pub config: EmulatorConfig,
    pub base_url: String,
    pub state: RwLock<state::State>,
    pub limiter: ratelimit::RateLimiter,
    pub audit: Mutex<Vec<AuditEntry>>,
    pub shutdown: watch::Sender<bool>,
    /// The fault plan of `config.faults` and what it did so far.
    pub faults: Option<faults::Injector>,
}

/// Cheap handle to the shared state (axum router state).
#[derive(Clone)]
pub(crate) struct App(Arc<Shared>);

impl std::ops::Deref for App {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl App {
    fn new(
        fixture: Fixture,
        config: EmulatorConfig,
        base_url: String,
    ) -> Result<App, EmulatorError> {
        // Seeded from the clock: ids of new runs need only be unique, not reproducible (the
        // outcomes of simulated runs come from `config.seed`, see `process::sim_seed`).
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let state = state::State::load(fixture, seed)?;
        let (shutdown, _) = watch::channel(false);
        let faults = config.faults.clone().map(faults::Injector::new);
        Ok(App(Arc::new(Shared {
            faults,
            config,
            base_url,
            state: RwLock::new(state),
            limiter: ratelimit::RateLimiter::new(),
            audit: Mutex::new(Vec::new()),
            shutdown,
        })))
    }

    pub fn read(&self) -> RwLockReadGuard<'_, state::State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, state::State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    fn audit_log(&self) -> Vec<AuditEntry> {
        self.audit.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn request_count(&self) -> usize {
        self.audit.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Builds the emulator's router without binding a socket (for in-process use, e.g. with
/// `tower::ServiceExt::oneshot`). `base_url` is what the emulator reports in URLs and passes to
/// Actor processes.
pub fn router(
    fixture: Fixture,
    config: EmulatorConfig,
    base_url: &str,
) -> Result<axum::Router, EmulatorError> {
    let app = App::new(fixture, config, base_url.trim_end_matches('/').to_owned())?;
    Ok(routes::router(app))
}

/// A running emulator on `127.0.0.1`.
pub struct Emulator {
    app: App,
    base_url: String,
    server: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Loads the fixture and serves it on `127.0.0.1:<free port>`.
    pub async fn start(
        fixture: Fixture,
        config: EmulatorConfig,
    ) -> Result<Emulator, EmulatorError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let app = App::new(fixture, config, base_url.clone())?;
        let router = routes::router(app.clone());
        let mut stop = app.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let graceful = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(graceful)
                .await
            {
                tracing::warn!("emulator server stopped: {e}");
            }
        });
        tracing::debug!("emulator listening on {base_url}");
        Ok(Emulator {
            app,
            base_url,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT` (without `/v2`).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The same router the server runs, sharing its state (for in-process requests).
    pub fn router(&self) -> axum::Router {
        routes::router(self.app.clone())
    }

    /// Every request so far, in order of completion.
    pub fn audit_log(&self) -> Vec<AuditEntry> {
        self.app.audit_log()
    }

    pub fn request_count(&self) -> usize {
        self.app.request_count()
    }

    /// What the fault plan ([`EmulatorConfig::faults`]) injected so far (all zero without one).
    pub fn fault_stats(&self) -> FaultStats {
        self.app
            .faults
            .as_ref()
            .map(faults::Injector::stats)
            .unwrap_or_default()
    }

    /// The current full Run object.
    pub fn run(&self, run_id: &str) -> Option<serde_json::Value> {
        let st = self.app.read();
        st.run_index(run_id).map(|ri| st.run_value(ri))
    }

    /// All runs of the Actor with this name, oldest first.
    pub fn runs_of(&self, actor_name: &str) -> Vec<serde_json::Value> {
        let st = self.app.read();
        st.actors
            .iter()
            .find(|a| a.name == actor_name)
            .map(|a| a.runs.iter().map(|ri| st.run_value(*ri)).collect())
            .unwrap_or_default()
    }

    /// A key-value record: (content type, bytes).
    pub fn kv_record(&self, store_id: &str, key: &str) -> Option<(String, Vec<u8>)> {
        let st = self.app.read();
        let rec = st.stores.get(store_id)?.records.get(key)?;
        Some((rec.content_type.clone(), rec.data.to_vec()))
    }

    /// All items of a dataset (empty if it does not exist).
    pub fn dataset_items(&self, dataset_id: &str) -> Vec<serde_json::Value> {
        let st = self.app.read();
        st.datasets
            .get(dataset_id)
            .map(|d| d.items().into_owned())
            .unwrap_or_default()
    }

    /// Ids of the runs of the Actor with this name that are RUNNING, oldest first.
    pub fn running_runs_of(&self, actor_name: &str) -> Vec<String> {
        let st = self.app.read();
        st.actors
            .iter()
            .find(|a| a.name == actor_name)
            .map(|a| {
                a.runs
                    .iter()
                    .map(|ri| &st.runs[*ri as usize])
                    .filter(|r| r.status == state::Status::Running)
                    .map(|r| r.id.to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// SIGKILLs the process of a RUNNING run, as when its container dies (tests of what a
    /// caller does when a run it waits for fails mid-way). The run then ends like any process
    /// killed by a signal: FAILED, `exitCode` 137 (128 + SIGKILL, a container's convention) and,
    /// unless the Actor set a terminal status message, `statusMessage` "Actor finished with
    /// exit code 137". The kill is delivered to the run's process task, which records the end
    /// moments after this returns: poll [`Emulator::run`] or wait with `waitForFinish`.
    ///
    /// True when the kill was sent; false for an unknown run, a run that is not RUNNING
    /// (finished, or being aborted), a simulated run (no process), or a second kill.
    pub fn kill_run_process(&self, run_id: &str) -> bool {
        let st = self.app.read();
        let running = st
            .run_index(run_id)
            .is_some_and(|ri| st.runs[ri as usize].status == state::Status::Running);
        match st.live.get(run_id) {
            Some(live) if running && live.has_process => !live.kill.send_replace(true),
            _ => false,
        }
    }

    /// Every run started through the API, with the id of the token that started it
    /// (`run-token-<runId>` when a run started it), oldest first. Fixture runs are not here.
    pub fn started_runs(&self) -> Vec<(serde_json::Value, String)> {
        let st = self.app.read();
        let mut out: Vec<(serde_json::Value, String)> = st
            .started_by
            .iter()
            .filter_map(|(id, starter)| {
                let ri = st.run_index(id)?;
                Some((st.run_value(ri), starter.clone()))
            })
            .collect();
        out.sort_by(|a, b| {
            let key = |r: &serde_json::Value| {
                (
                    r["startedAt"].as_str().unwrap_or("").to_string(),
                    r["id"].as_str().unwrap_or("").to_string(),
                )
            };
            key(&a.0).cmp(&key(&b.0))
        });
        out
    }

    /// The captured stdout/stderr of a run's process.
    pub fn run_log(&self, run_id: &str) -> Option<String> {
        self.app.read().logs.get(run_id).cloned()
    }

    /// Stops the server and kills Actor processes still running.
    pub async fn shutdown(mut self) {
        self.app.shutdown.send_replace(true);
        if let Some(server) = self.server.take() {
            // Requests still waiting (e.g. a run-sync) must not hold the shutdown for minutes.
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.app.shutdown.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// An emulator whose first Actor runs `sleep 30`, and a full-permission token.
    async fn sleeper() -> (Emulator, String, String, String) {
        let (fixture, _) = synth::generate(&synth::SynthConfig {
            actors: 2,
            days: 2,
            runs_per_day: 1.0,
            ..synth::SynthConfig::default()
        });
        let token = fixture
            .tokens
            .iter()
            .find(|t| t.permissions == Permissions::Full)
            .expect("a full token")
            .token
            .clone();
        let (name, id) = (
            fixture.actors[0].name().to_owned(),
            fixture.actors[0].id().to_owned(),
        );
        let mut config = EmulatorConfig::default();
        config
            .actor_commands
            .insert(name.clone(), vec!["sleep".into(), "30".into()]);
        let emu = Emulator::start(fixture, config).await.expect("starts");
        (emu, token, name, id)
    }

    async fn call(emu: &Emulator, token: &str, method: &str, path: &str, body: Value) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        reqwest::Client::new()
            .request(method, format!("{}{path}", emu.base_url()))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON")
    }

    /// The run once it is terminal (the process task records the end after the kill).
    async fn finished(emu: &Emulator, run_id: &str) -> Value {
        for _ in 0..250 {
            let run = emu.run(run_id).expect("run exists");
            if run["finishedAt"].is_string() {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("run {run_id} did not finish within 5 s of the kill");
    }

    #[tokio::test]
    async fn a_killed_process_fails_the_run_like_a_dead_container() {
        let (emu, token, name, actor_id) = sleeper().await;
        let path = format!("/v2/actors/{actor_id}/runs");
        let started = call(&emu, &token, "POST", &path, json!({})).await;
        let run_id = started["data"]["id"].as_str().expect("run id").to_owned();
        assert_eq!(emu.running_runs_of(&name), vec![run_id.clone()]);

        assert!(emu.kill_run_process(&run_id));
        assert!(!emu.kill_run_process(&run_id), "one kill per run");
        let run = finished(&emu, &run_id).await;
        assert_eq!(run["status"], "FAILED");
        assert_eq!(run["exitCode"], 137);
        assert_eq!(run["statusMessage"], "Actor finished with exit code 137");
        assert!(emu.running_runs_of(&name).is_empty());
        assert!(!emu.kill_run_process(&run_id), "no longer RUNNING");
        let log = emu.run_log(&run_id).unwrap_or_default();
        assert!(log.contains("SIGKILL"), "{log}");

        // A terminal message the Actor set is kept, as on the platform.
        let started = call(&emu, &token, "POST", &path, json!({})).await;
        let second = started["data"]["id"].as_str().expect("run id").to_owned();
        let message = json!({"statusMessage": "saving", "isStatusMessageTerminal": true});
        call(
            &emu,
            &token,
            "PUT",
            &format!("/v2/actor-runs/{second}"),
            message,
        )
        .await;
        assert!(emu.kill_run_process(&second));
        let run = finished(&emu, &second).await;
        assert_eq!(
            (&run["status"], &run["exitCode"]),
            (&json!("FAILED"), &json!(137))
        );
        assert_eq!(run["statusMessage"], "saving");

        assert!(!emu.kill_run_process("NoSuchRun00000000"));
        emu.shutdown().await;
    }

    #[tokio::test]
    async fn a_simulated_run_has_no_process_to_kill() {
        let (emu, token, _, _) = sleeper().await;
        let (fixture_name, fixture_id) = {
            let st = emu.app.read();
            (st.actors[1].name.clone(), st.actors[1].id.clone())
        };
        let path = format!("/v2/actors/{fixture_id}/runs");
        let started = call(&emu, &token, "POST", &path, json!({})).await;
        let run_id = started["data"]["id"].as_str().expect("run id");
        assert!(!emu.kill_run_process(run_id));
        assert!(emu.running_runs_of(&fixture_name).is_empty());
        emu.shutdown().await;
    }
}
