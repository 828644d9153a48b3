//! Persisted progress, so that a run the platform migrates (or restarts) resumes instead of
//! starting over: the `STATE` record of the run's default key-value store.
//!
//! Every step with a side effect outside the run — a child run started, a charge, rows pushed,
//! an alert delivered — is recorded, and the record written, as soon as the step is done. A run
//! that finds a `STATE` of its own run id on start is a resumed one: it re-attaches the child
//! runs by their call keys instead of starting them again, skips the charges and rows already
//! done, and does not deliver an alert twice. Everything without a side effect (reading the
//! fleet, the analysis) is simply done again: with the run's own `now`
//! ([`crate::env::RunEnv::started_at`]) it gives the same result.
//!
//! Steps are also the unit of a clean stop: once a stop is asked for ([`crate::events`]), no
//! new step starts, and the runner waits for the steps in flight (the request and the write of
//! their record) before the process exits.

use crate::actor::Flow;
use crate::client::ApiClient;
use crate::error::RuntimeError;
use crate::owned::{start_run_with, OwnedRun, StartOptions};
use crate::storage::Storage;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{watch, Mutex};

/// The key of the progress record in the run's default key-value store.
pub const STATE_KEY: &str = "STATE";

/// What a run has done that must not be done twice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The run this progress belongs to (none in the CLI flow); a record of another run id is
    /// not resumed from.
    pub run_id: Option<String>,
    /// Side effects done, by step key, with what a resumed run needs of each: a child run's
    /// ids (`run:<call key>`), an alert delivery's outcome.
    #[serde(default)]
    pub steps: BTreeMap<String, Value>,
    /// Pay-per-event charges the platform accepted, in sequence order.
    #[serde(default)]
    pub charges: Vec<ChargeRecord>,
    /// Dataset rows pushed so far.
    #[serde(default)]
    pub rows_pushed: u64,
}

/// One accepted charge request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeRecord {
    /// Position of the request in the run's sequence of charges (part of its idempotency key).
    pub seq: u64,
    pub event: String,
    pub count: u64,
}

impl Progress {
    /// Units of `event` the records say were charged.
    pub fn charged(&self, event: &str) -> u64 {
        self.charges
            .iter()
            .filter(|c| c.event == event)
            .map(|c| c.count)
            .sum()
    }
}

/// Whether new steps may start, and how many are in flight.
#[derive(Debug, Clone, Copy, Default)]
struct Gate {
    stopping: bool,
    in_flight: usize,
}

/// The run's progress, shared by the runner and the tool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Resume {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Where `STATE` is written; none: kept in memory only.
    storage: Option<Storage>,
    progress: Mutex<Progress>,
    gate: watch::Sender<Gate>,
    resumed: bool,
}

/// Held while a step runs; the runner's [`Resume::idle`] waits for every guard to drop.
#[derive(Debug)]
pub(crate) struct StepGuard {
    gate: watch::Sender<Gate>,
}

impl Drop for StepGuard {
    fn drop(&mut self) {
        self.gate
            .send_modify(|g| g.in_flight = g.in_flight.saturating_sub(1));
    }
}

impl Resume {
    fn with(storage: Option<Storage>, progress: Progress, resumed: bool) -> Resume {
        let (gate, _) = watch::channel(Gate::default());
        Resume {
            inner: Arc::new(Inner {
                storage,
                progress: Mutex::new(progress),
                gate,
                resumed,
            }),
        }
    }

    /// Progress kept in memory only (tests, and code that runs a tool outside the runner).
    pub fn detached() -> Resume {
        Resume::with(None, Progress::default(), false)
    }

    /// A resumed run's progress, kept in memory (tests of what a resumed run does).
    #[cfg(test)]
    pub(crate) fn resumed_from(progress: Progress) -> Resume {
        Resume::with(None, progress, true)
    }

    /// The run's progress: on the platform, the `STATE` of its default store when it belongs
    /// to this run id (the run was migrated or restarted), else a fresh start. The CLI flow
    /// never resumes (a local store outlives its runs), but records its progress the same way.
    pub async fn load(
        storage: &Storage,
        run_id: Option<&str>,
        flow: Flow,
    ) -> Result<Resume, RuntimeError> {
        let fresh = Progress {
            run_id: run_id.map(str::to_string),
            ..Progress::default()
        };
        if flow == Flow::Cli || run_id.is_none() {
            return Ok(Resume::with(Some(storage.clone()), fresh, false));
        }
        let stored = match storage.read_default_record(STATE_KEY).await {
            Ok(v) => v,
            // A record we cannot parse is not ours to trust: start over, loudly.
            Err(RuntimeError::Other(m)) => {
                tracing::warn!("ignoring the progress record: {m}");
                None
            }
            Err(e) => return Err(e),
        };
        let previous = stored
            .and_then(|v| serde_json::from_value::<Progress>(v).ok())
            .filter(|p| p.run_id.as_deref() == run_id);
        Ok(match previous {
            Some(p) => {
                tracing::info!(
                    "resuming: {} steps, {} charges and {} rows were done before the restart",
                    p.steps.len(),
                    p.charges.len(),
                    p.rows_pushed
                );
                Resume::with(Some(storage.clone()), p, true)
            }
            None => Resume::with(Some(storage.clone()), fresh, false),
        })
    }

    /// True when this process continues a run an earlier process began.
    pub fn resumed(&self) -> bool {
        self.inner.resumed
    }

    /// A copy of the progress so far.
    pub async fn progress(&self) -> Progress {
        self.inner.progress.lock().await.clone()
    }

    /// What step `key` recorded, if it is done.
    pub async fn step(&self, key: &str) -> Option<Value> {
        self.inner.progress.lock().await.steps.get(key).cloned()
    }

    /// Runs `effect` once per run: when step `key` is already done (a resumed run), returns
    /// what it recorded without running it; else runs it and records its value before
    /// returning. Refused once the run is stopping. Steps must have keys that are the same in
    /// every process of the run (a call's position or name, never a time or a random value).
    pub async fn once<F>(&self, key: &str, effect: F) -> Result<Value, RuntimeError>
    where
        F: Future<Output = Result<Value, RuntimeError>>,
    {
        if let Some(done) = self.step(key).await {
            return Ok(done);
        }
        let _guard = self.enter()?;
        let value = effect.await?;
        let recorded = value.clone();
        self.update(move |p| {
            p.steps.insert(key.to_string(), recorded);
        })
        .await?;
        Ok(value)
    }

    /// Starts a run under the call key `key`, or re-attaches the run an earlier process of this
    /// run started under it. The run's id is recorded before this returns.
    pub async fn start_run(
        &self,
        client: &ApiClient,
        key: &str,
        actor_id: &str,
        input: &Value,
        options: &StartOptions,
    ) -> Result<OwnedRun, RuntimeError> {
        let value = self
            .once(&format!("run:{key}"), async {
                let run = start_run_with(client, actor_id, input, options).await?;
                Ok(json!({
                    "runId": run.run_id(),
                    "defaultDatasetId": run.default_dataset_id(),
                    "defaultKeyValueStoreId": run.default_key_value_store_id(),
                }))
            })
            .await?;
        let field = |k: &str| {
            value[k].as_str().map(str::to_string).ok_or_else(|| {
                RuntimeError::Other(format!("the progress record of {key} has no {k}"))
            })
        };
        Ok(OwnedRun::reattached(
            field("runId")?,
            field("defaultDatasetId")?,
            field("defaultKeyValueStoreId")?,
        ))
    }

    /// Changes the progress and writes it (in order: a write never overtakes a newer one).
    pub(crate) async fn update(
        &self,
        change: impl FnOnce(&mut Progress),
    ) -> Result<(), RuntimeError> {
        let mut progress = self.inner.progress.lock().await;
        change(&mut progress);
        if let Some(storage) = &self.inner.storage {
            let value =
                serde_json::to_value(&*progress).map_err(|e| RuntimeError::Other(e.to_string()))?;
            storage.put_json(STATE_KEY, &value).await?;
        }
        Ok(())
    }

    /// Admits a step, unless the run is stopping.
    pub(crate) fn enter(&self) -> Result<StepGuard, RuntimeError> {
        let mut admitted = false;
        self.inner.gate.send_modify(|g| {
            if !g.stopping {
                g.in_flight += 1;
                admitted = true;
            }
        });
        if admitted {
            Ok(StepGuard {
                gate: self.inner.gate.clone(),
            })
        } else {
            Err(RuntimeError::Other(
                "the run is stopping (migration or abort): no new step starts".into(),
            ))
        }
    }

    /// Admits no new step from now on.
    pub(crate) fn stop(&self) {
        self.inner.gate.send_modify(|g| g.stopping = true);
    }

    /// Resolves when no step is in flight.
    pub(crate) async fn idle(&self) {
        let mut rx = self.inner.gate.subscribe();
        let _ = rx.wait_for(|g| g.in_flight == 0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn local(dir: &std::path::Path) -> Storage {
        Storage::Local {
            root: dir.to_path_buf(),
        }
    }

    #[tokio::test]
    async fn a_step_runs_once_and_is_written_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let resume = Resume::load(&local(dir.path()), None, Flow::Cli)
            .await
            .unwrap();
        assert!(!resume.resumed());
        let runs = AtomicUsize::new(0);
        for _ in 0..2 {
            let v = resume
                .once("alerts", async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(json!({"delivered": 2}))
                })
                .await
                .unwrap();
            assert_eq!(v, json!({"delivered": 2}));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let written = crate::storage::read_local_json(
            &dir.path().join("key_value_stores/default/STATE.json"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(written["steps"]["alerts"], json!({"delivered": 2}));
    }

    #[tokio::test]
    async fn a_failed_step_is_not_recorded() {
        let resume = Resume::detached();
        let err = resume
            .once("x", async { Err(RuntimeError::Other("boom".into())) })
            .await;
        assert!(err.is_err());
        assert_eq!(resume.step("x").await, None);
    }

    #[tokio::test]
    async fn once_stopping_no_step_starts_and_idle_waits_for_the_one_in_flight() {
        let resume = Resume::detached();
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let r2 = resume.clone();
        let in_flight = tokio::spawn(async move {
            r2.once("slow", async {
                let _ = wait.await;
                Ok(json!(1))
            })
            .await
        });
        // Let the step enter the gate.
        while resume.inner.gate.borrow().in_flight == 0 {
            tokio::task::yield_now().await;
        }
        resume.stop();
        let refused = resume.once("new", async { Ok(json!(2)) }).await;
        assert!(refused.is_err(), "a new step after the stop");
        let idle = {
            let r = resume.clone();
            tokio::spawn(async move { r.idle().await })
        };
        tokio::task::yield_now().await;
        assert!(!idle.is_finished(), "idle waits for the step in flight");
        release.send(()).unwrap();
        assert_eq!(in_flight.await.unwrap().unwrap(), json!(1));
        idle.await.unwrap();
        assert_eq!(resume.step("slow").await, Some(json!(1)));
    }

    #[test]
    fn progress_of_an_older_shape_reads_with_defaults() {
        let p: Progress = serde_json::from_value(json!({"runId": "r1"})).unwrap();
        assert_eq!(p.run_id.as_deref(), Some("r1"));
        assert!(p.steps.is_empty() && p.charges.is_empty());
        let p = Progress {
            charges: vec![
                ChargeRecord {
                    seq: 0,
                    event: "a".into(),
                    count: 2,
                },
                ChargeRecord {
                    seq: 1,
                    event: "b".into(),
                    count: 1,
                },
                ChargeRecord {
                    seq: 2,
                    event: "a".into(),
                    count: 3,
                },
            ],
            ..Progress::default()
        };
        assert_eq!(p.charged("a"), 5);
        assert_eq!(p.charged("c"), 0);
    }
}
