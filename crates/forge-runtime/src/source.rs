//! The fleet source: what the tools read about the user's fleet, at the floor of requests.
//!
//! Lists page by 1,000 (the API's maximum) and stop on `total`, never on an extra empty page;
//! run lists go newest first with `startedAfter` at the window's edge, so history before the
//! window is never fetched; pages are folded into aggregates as they arrive.

use crate::client::{map_error, ops, ApiClient};
use crate::error::RuntimeError;
use crate::progress::{report, Progress};
use apify_client::models::{Actor, ActorRun, Build};
use apify_client::{ActorListOptions, ListOptions, RunListOptions};
use chrono::{DateTime, SecondsFormat, Utc};
use forge_core::aggregate::{RunAggregate, Windows};
use forge_core::model::{ActorInfo, BuildDefinition, BuildInfo, JobStatus, RunDetail, RunRecord};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The API's maximum page size for actor, build and run lists.
pub const PAGE: i64 = 1000;
/// Unfinished runs kept per actor: a queue of thousands is reported by count, not listed.
pub const MAX_UNFINISHED: usize = 1000;

#[derive(Debug, Clone)]
pub struct FleetSource {
    pub client: ApiClient,
    /// Requests in flight at once; each resource is also rate limited by the transport.
    pub concurrency: usize,
}

/// How many run ids to keep for detail sampling, newest first. Bounded: the requests for
/// details never grow with the number of runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sampling {
    /// Any terminal status.
    pub finished: usize,
    pub succeeded: usize,
    /// FAILED or TIMED-OUT.
    pub failed: usize,
}

/// Folded run list of one actor, plus the ids of its newest runs for detail sampling.
#[derive(Debug)]
pub struct FoldedRuns {
    pub aggregate: RunAggregate,
    pub newest_finished: Vec<String>,
    pub newest_succeeded: Vec<String>,
    pub newest_failed: Vec<String>,
    /// Runs not finished yet (READY, RUNNING, TIMING-OUT, ABORTING), as listed.
    pub unfinished: Vec<RunRecord>,
    /// Items that could not be read (no status, no start time): reported, not fatal.
    pub malformed: u64,
    pub read: u64,
}

/// Run list items read, and those that could not be (no status, no start time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounts {
    pub read: u64,
    pub malformed: u64,
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl FleetSource {
    pub fn new(client: ApiClient) -> FleetSource {
        FleetSource {
            client,
            concurrency: 8,
        }
    }

    /// Every actor the token's user owns (`GET /v2/actors?my=1`).
    pub async fn my_actors(&self) -> Result<Vec<ActorInfo>, RuntimeError> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = match self
                .client
                .api()
                .actors()
                .list(ActorListOptions {
                    my: Some(true),
                    offset: Some(offset),
                    limit: Some(PAGE),
                    ..Default::default()
                })
                .await
                .answered()
            {
                Ok(page) => LenientPage::whole(page.items, page.total),
                Err(e) if refused_payload(&e) => {
                    let query = [
                        ("my", "1".to_string()),
                        ("offset", offset.to_string()),
                        ("limit", PAGE.to_string()),
                    ];
                    self.lenient_page(ops::LIST_ACTORS, &["actors"], &query)
                        .await?
                }
                Err(e) => return Err(map_error(ops::LIST_ACTORS, e)),
            };
            out.extend(page.items.iter().map(actor_info));
            offset += page.count;
            if page.count == 0 || offset >= page.total {
                break;
            }
        }
        Ok(out)
    }

    /// The owned actors named in `wanted` (IDs, names or `username/name`), or all of them when
    /// it is empty, in a deterministic order whatever order the API lists them in.
    pub async fn selected_actors(&self, wanted: &[String]) -> Result<Vec<ActorInfo>, RuntimeError> {
        // Refused before the list is even read: such a value is no actor of anyone's.
        let refused: Vec<forge_core::input::FieldError> = wanted
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let e = forge_core::ids::check_actor_ref(w).err()?;
                Some(forge_core::input::FieldError {
                    field: format!("actors[{i}]"),
                    message: format!("refused: the value {e}"),
                })
            })
            .collect();
        if !refused.is_empty() {
            return Err(forge_core::input::InputError::Invalid(refused).into());
        }
        let mut actors = self.my_actors().await?;
        if !wanted.is_empty() {
            let is = |w: &String, a: &ActorInfo| w == &a.id || w == &a.name || *w == a.full_name();
            // A name that matches none of your actors is a typo, not a smaller report.
            let unknown: Vec<forge_core::input::FieldError> = wanted
                .iter()
                .enumerate()
                .filter(|(_, w)| !actors.iter().any(|a| is(w, a)))
                .map(|(i, w)| forge_core::input::FieldError {
                    field: format!("actors[{i}]"),
                    message: format!(
                        "`{w}` is none of the token's own actors (give an ID, a name or username/name)"
                    ),
                })
                .collect();
            if !unknown.is_empty() {
                return Err(forge_core::input::InputError::Invalid(unknown).into());
            }
            actors.retain(|a| wanted.iter().any(|w| is(w, a)));
        }
        actors.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        report(&Progress::ActorsListed(actors.len() as u64));
        Ok(actors)
    }

    /// The newest `limit` builds of an actor, in one request.
    pub async fn newest_builds(
        &self,
        actor_id: &str,
        limit: i64,
    ) -> Result<Vec<BuildInfo>, RuntimeError> {
        let items = match self
            .client
            .api()
            .actor(actor_id)
            .builds()
            .list(ListOptions {
                offset: Some(0),
                limit: Some(limit),
                desc: Some(true),
            })
            .await
            .answered()
        {
            Ok(page) => page.items,
            Err(e) if refused_payload(&e) => {
                let query = [
                    ("offset", "0".to_string()),
                    ("limit", limit.to_string()),
                    ("desc", "1".to_string()),
                ];
                self.lenient_page::<Build>(
                    ops::LIST_BUILDS,
                    &["actors", actor_id, "builds"],
                    &query,
                )
                .await?
                .items
            }
            Err(e) => return Err(map_error(ops::LIST_BUILDS, e)),
        };
        Ok(items.iter().filter_map(build_info).collect())
    }

    /// Reads an actor's runs started in `[start, end)`, newest first, a page of 1,000 at a
    /// time, handing each readable item to `f` as it arrives: nothing is kept here, so what
    /// `f` keeps decides the memory.
    pub async fn for_each_run(
        &self,
        actor_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        mut f: impl FnMut(RunRecord),
    ) -> Result<ReadCounts, RuntimeError> {
        let mut counts = ReadCounts::default();
        let mut offset = 0;
        loop {
            let page = match self
                .client
                .api()
                .actor(actor_id)
                .runs()
                .list(
                    ListOptions {
                        offset: Some(offset),
                        limit: Some(PAGE),
                        desc: Some(true),
                    },
                    RunListOptions {
                        started_after: Some(iso(start)),
                        started_before: Some(iso(end)),
                        ..Default::default()
                    },
                )
                .await
                .answered()
            {
                Ok(page) => LenientPage::whole(page.items, page.total),
                // One item with a field of the wrong type fails the whole page in
                // apify-client: read that page item by item instead.
                Err(e) if refused_payload(&e) => {
                    let query = [
                        ("offset", offset.to_string()),
                        ("limit", PAGE.to_string()),
                        ("desc", "1".to_string()),
                        ("startedAfter", iso(start)),
                        ("startedBefore", iso(end)),
                    ];
                    self.lenient_page(ops::LIST_RUNS, &["actors", actor_id, "runs"], &query)
                        .await?
                }
                Err(e) => return Err(map_error(ops::LIST_RUNS, e)),
            };
            report(&Progress::RunsRead(page.count as u64));
            counts.read += page.unreadable;
            counts.malformed += page.unreadable;
            for run in &page.items {
                counts.read += 1;
                match run_record(run) {
                    Some(r) => f(r),
                    None => counts.malformed += 1,
                }
            }
            offset += page.count;
            if page.count == 0 || offset >= page.total {
                break;
            }
        }
        report(&Progress::ActorDone);
        Ok(counts)
    }

    /// Reads an actor's runs in the collection range of `windows`, newest first, folding
    /// each page into a [`RunAggregate`]; keeps the ids of the newest `sample` finished runs.
    pub async fn fold_runs(
        &self,
        actor_id: &str,
        windows: Windows,
        sample: Sampling,
    ) -> Result<FoldedRuns, RuntimeError> {
        let mut folded = FoldedRuns {
            aggregate: RunAggregate::new(windows),
            newest_finished: Vec::new(),
            newest_succeeded: Vec::new(),
            newest_failed: Vec::new(),
            unfinished: Vec::new(),
            malformed: 0,
            read: 0,
        };
        let counts = self
            .for_each_run(actor_id, windows.range_start(), windows.as_of, |r| {
                // The list is newest first, so the first ids kept are the newest.
                let keep = |ids: &mut Vec<String>, cap: usize| {
                    if ids.len() < cap {
                        ids.push(r.id.clone());
                    }
                };
                if r.status.is_terminal() {
                    keep(&mut folded.newest_finished, sample.finished);
                }
                match r.status {
                    JobStatus::Succeeded => keep(&mut folded.newest_succeeded, sample.succeeded),
                    JobStatus::Failed | JobStatus::TimedOut => {
                        keep(&mut folded.newest_failed, sample.failed)
                    }
                    s if !s.is_terminal() && folded.unfinished.len() < MAX_UNFINISHED => {
                        folded.unfinished.push(r.clone())
                    }
                    _ => {}
                }
                folded.aggregate.add(&r);
            })
            .await?;
        folded.read = counts.read;
        folded.malformed = counts.malformed;
        Ok(folded)
    }

    /// One actor, by id or `username~name` (`GET /v2/actors/{id}`).
    pub async fn actor(&self, actor_id: &str) -> Result<ActorInfo, RuntimeError> {
        checked_actor_ref(actor_id)?;
        let actor = match self.client.api().actor(actor_id).get().await.answered() {
            Ok(a) => a,
            Err(e) if refused_payload(&e) => {
                self.lenient_object::<Actor>(ops::GET_ACTOR, &["actors", actor_id])
                    .await?
            }
            Err(e) => return Err(map_error(ops::GET_ACTOR, e)),
        };
        actor
            .map(|a| actor_info(&a))
            .ok_or_else(|| RuntimeError::NotFound(format!("actor {actor_id}")))
    }

    /// An actor as the API returns it (`GET /v2/actors/{id}`), for tools that read its
    /// listing fields (title, description, SEO, categories, pricing, permission level).
    pub async fn actor_object(&self, actor_id: &str) -> Result<Option<Value>, RuntimeError> {
        checked_actor_ref(actor_id)?;
        let actor = match self.client.api().actor(actor_id).get().await.answered() {
            Ok(a) => a,
            Err(e) if refused_payload(&e) => {
                self.lenient_object::<Actor>(ops::GET_ACTOR, &["actors", actor_id])
                    .await?
            }
            Err(e) => return Err(map_error(ops::GET_ACTOR, e)),
        };
        Ok(actor
            .and_then(|a| serde_json::to_value(a).ok())
            .map(without_code_or_environment))
    }

    /// A build as the API returns it (`GET /v2/actor-builds/{id}`): README, input schema,
    /// actor definition.
    pub async fn build_object(&self, build_id: &str) -> Result<Option<Value>, RuntimeError> {
        let build = self.build(build_id).await?;
        Ok(build.and_then(|b| serde_json::to_value(b).ok()))
    }

    /// `GET /v2/actor-builds/{id}`, a field of the wrong type dropped rather than fatal.
    async fn build(&self, build_id: &str) -> Result<Option<Build>, RuntimeError> {
        match self.client.api().build(build_id).get().await.answered() {
            Ok(b) => Ok(b),
            Err(e) if refused_payload(&e) => {
                self.lenient_object(ops::GET_BUILD, &["actor-builds", build_id])
                    .await
            }
            Err(e) => Err(map_error(ops::GET_BUILD, e)),
        }
    }

    /// A page of a list read item by item (see [`lenient_item`]).
    async fn lenient_page<T: DeserializeOwned>(
        &self,
        op: crate::client::Operation,
        path: &[&str],
        query: &[(&str, String)],
    ) -> Result<LenientPage<T>, RuntimeError> {
        let data = self
            .client
            .get_json(op, path, query)
            .await
            .answered()?
            .unwrap_or(Value::Null);
        let raw = data["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let items: Vec<T> = raw.iter().filter_map(lenient_item).collect();
        tracing::warn!(
            "{}: {} of {} items could not be read as the API documents them; reading the rest",
            op.what,
            raw.len() - items.len(),
            raw.len()
        );
        Ok(LenientPage {
            unreadable: (raw.len() - items.len()) as u64,
            count: raw.len() as i64,
            total: data["total"].as_i64().unwrap_or(0),
            items,
        })
    }

    /// One object read leniently (see [`lenient_item`]); `None` for 404 or no object.
    async fn lenient_object<T: DeserializeOwned>(
        &self,
        op: crate::client::Operation,
        path: &[&str],
    ) -> Result<Option<T>, RuntimeError> {
        let data = self.client.get_json(op, path, &[]).await.answered()?;
        Ok(data.as_ref().and_then(lenient_item))
    }

    /// A build with its definitions (`GET /v2/actor-builds/{id}`).
    pub async fn build_definition(
        &self,
        build_id: &str,
    ) -> Result<Option<BuildDefinition>, RuntimeError> {
        let build = self.build(build_id).await?;
        Ok(build.as_ref().and_then(build_definition))
    }

    /// The actor's newest successful run, from the run list (one request).
    async fn newest_successful_run(
        &self,
        actor_id: &str,
    ) -> Result<Option<ActorRun>, RuntimeError> {
        Ok(self
            .newest_successful_runs(actor_id, 1)
            .await?
            .into_iter()
            .next())
    }

    async fn newest_successful_runs(
        &self,
        actor_id: &str,
        limit: i64,
    ) -> Result<Vec<ActorRun>, RuntimeError> {
        let page = self
            .client
            .api()
            .actor(actor_id)
            .runs()
            .list(
                ListOptions {
                    offset: Some(0),
                    limit: Some(limit),
                    desc: Some(true),
                },
                RunListOptions {
                    status: vec!["SUCCEEDED".into()],
                    ..Default::default()
                },
            )
            .await
            .answered()
            .map_err(|e| map_error(ops::LIST_RUNS, e))?;
        Ok(page.items)
    }

    /// The build of the actor's newest successful run: the one callers demonstrably use.
    pub async fn last_successful_run_build(
        &self,
        actor_id: &str,
    ) -> Result<Option<String>, RuntimeError> {
        Ok(self
            .newest_successful_run(actor_id)
            .await?
            .and_then(|r| r.build_id))
    }

    /// Details of the given runs, fetched concurrently, in the order given.
    pub async fn run_details(&self, ids: &[String]) -> Result<Vec<RunDetail>, RuntimeError> {
        let details: Vec<Option<RunDetail>> = stream::iter(ids.iter().cloned())
            .map(|id| async move {
                let run = match self.client.api().run(&id).get().await.answered() {
                    Ok(run) => run,
                    Err(e) if refused_payload(&e) => {
                        self.lenient_object::<ActorRun>(ops::GET_RUN, &["actor-runs", &id])
                            .await?
                    }
                    Err(e) => return Err(map_error(ops::GET_RUN, e)),
                };
                Ok::<_, RuntimeError>(run.as_ref().and_then(run_detail))
            })
            .buffered(self.concurrency.max(1))
            .try_collect()
            .await?;
        Ok(details.into_iter().flatten().collect())
    }

    /// The `SNAPSHOT` a tool wrote in its own newest successful run over the same `scope`
    /// (design §4): no storage needs creating, and nothing but our own record is read. The
    /// scope tells apart the shards an orchestrator runs side by side, so each finds its own
    /// trend state; the newest [`SNAPSHOT_SCAN`] successful runs are looked at, newest first,
    /// and a snapshot written before scopes existed matches any scope.
    pub async fn previous_snapshot(
        &self,
        tool_actor_id: &str,
        scope: &str,
    ) -> Result<Option<Value>, RuntimeError> {
        for run in self
            .newest_successful_runs(tool_actor_id, SNAPSHOT_SCAN)
            .await?
        {
            let Some(store) = run.default_key_value_store_id else {
                continue;
            };
            let read = self
                .client
                .api()
                .key_value_store(&store)
                .get_record("SNAPSHOT")
                .await
                .answered()
                .map_err(|e| map_error(ops::READ_RECORD, e));
            let record = match read {
                Ok(record) => record,
                Err(
                    e @ (RuntimeError::MissingPermission { .. } | RuntimeError::Unauthorized(_)),
                ) => return Err(e),
                // A record that says it is JSON and is not reads as a damaged answer, every
                // time: it is passed over like one that parses to nothing. Were the API down
                // instead, the run's next request fails it, before any SNAPSHOT is written.
                Err(e) => {
                    tracing::warn!(
                        "the SNAPSHOT of run {} could not be read ({e}); passing over it",
                        run.id
                    );
                    continue;
                }
            };
            let Some(record) = record else {
                continue;
            };
            let Ok(snapshot) = serde_json::from_slice::<Value>(&record.value) else {
                // Its scope cannot be read either: the run is passed over as if it had
                // failed, and the trend state is the one before it (or none).
                tracing::warn!(
                    "the SNAPSHOT of run {} is not valid JSON; passing over it",
                    run.id
                );
                continue;
            };
            match snapshot.get("scope").and_then(Value::as_str) {
                Some(s) if s != scope => continue,
                _ => return Ok(Some(snapshot)),
            }
        }
        Ok(None)
    }
}

/// An actor reference about to become a URL path: refused, without a request, when it would
/// change the path or the query (see [`forge_core::ids`]).
fn checked_actor_ref(actor_id: &str) -> Result<(), RuntimeError> {
    forge_core::ids::check_actor_ref(actor_id).map_err(|e| {
        RuntimeError::Other(format!("refusing to address an actor whose reference {e}"))
    })
}

/// Tells the progress reporter that the API answered a request, whatever the answer.
trait Answered: Sized {
    fn answered(self) -> Self {
        report(&Progress::Request);
        self
    }
}

impl<T, E> Answered for Result<T, E> {}

/// A page of a list: the items that could be read and what the page held.
struct LenientPage<T> {
    items: Vec<T>,
    /// Items that could not be read at all (no object, no string `id`).
    unreadable: u64,
    /// Items on the page, readable or not: how far the next page starts.
    count: i64,
    total: i64,
}

impl<T> LenientPage<T> {
    fn whole(items: Vec<T>, total: i64) -> LenientPage<T> {
        LenientPage {
            count: items.len() as i64,
            unreadable: 0,
            total,
            items,
        }
    }
}

/// Whether apify-client refused the answer itself (a field of the wrong type somewhere in
/// it), rather than the request failing.
fn refused_payload(e: &apify_client::ApifyClientError) -> bool {
    matches!(
        e,
        apify_client::ApifyClientError::Serde(_)
            | apify_client::ApifyClientError::InvalidResponse(_)
    )
}

/// An API object read leniently: a field whose value does not fit its documented type (an
/// unreadable `startedAt`, a `status` that is a number) is dropped, as if absent, so it costs
/// that field and not the object; `None` when it is no object or has no string `id`.
pub fn lenient_item<T: DeserializeOwned>(item: &Value) -> Option<T> {
    if let Ok(t) = <T as serde::Deserialize>::deserialize(item) {
        return Some(t);
    }
    let obj = item.as_object()?;
    let id = obj.get("id").filter(|v| v.is_string())?;
    let fits = |key: &str, value: &Value| {
        let mut one = Map::new();
        one.insert("id".into(), id.clone());
        one.insert(key.into(), value.clone());
        <T as serde::Deserialize>::deserialize(&Value::Object(one)).is_ok()
    };
    let kept: Map<String, Value> = obj
        .iter()
        .filter(|(k, v)| fits(k, v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    <T as serde::Deserialize>::deserialize(&Value::Object(kept)).ok()
}

/// Successful runs looked at for a SNAPSHOT of the same scope: more than the shards an
/// orchestrator usually runs at once, few enough to stay cheap.
pub const SNAPSHOT_SCAN: i64 = 10;

/// The scope of a tool's trend state: which actors its input covers (the `actors` list,
/// sorted, or the single `actor`); the whole fleet is the empty scope.
pub fn snapshot_scope(input: &Value) -> String {
    let mut actors: Vec<&str> = match (&input["actors"], &input["actor"]) {
        (Value::Array(list), _) => list.iter().filter_map(Value::as_str).collect(),
        (_, Value::String(a)) => vec![a.as_str()],
        _ => Vec::new(),
    };
    actors.sort_unstable();
    actors.dedup();
    forge_core::signal::stable_hash(actors)
}

fn extra<'a>(
    map: &'a std::collections::HashMap<String, Value>,
    path: &[&str],
) -> Option<&'a Value> {
    let mut v = map.get(path[0])?;
    for p in &path[1..] {
        v = v.get(p)?;
    }
    Some(v)
}

/// The actor object without its versions' environment variables and source files: the API
/// returns them to a token that may read the actor, but we promise never to see your code or
/// your environment, so they are dropped at the boundary, before any analysis.
pub fn without_code_or_environment(mut actor: Value) -> Value {
    if let Some(versions) = actor.get_mut("versions").and_then(Value::as_array_mut) {
        for v in versions.iter_mut().filter_map(Value::as_object_mut) {
            v.remove("envVars");
            v.remove("sourceFiles");
        }
    }
    actor
}

pub fn actor_info(a: &Actor) -> ActorInfo {
    ActorInfo {
        id: a.id.clone(),
        name: a.name.clone().unwrap_or_else(|| a.id.clone()),
        username: a.username.clone(),
        title: a.title.clone(),
        created_at: a.created_at,
        default_memory_mbytes: extra(&a.extra, &["defaultRunOptions", "memoryMbytes"])
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok()),
        default_timeout_secs: extra(&a.extra, &["defaultRunOptions", "timeoutSecs"])
            .and_then(Value::as_u64),
        latest_build_id: extra(&a.extra, &["taggedBuilds", "latest", "buildId"])
            .and_then(Value::as_str)
            .map(str::to_string),
        users_30_days: extra(&a.extra, &["stats", "totalUsers30Days"]).and_then(Value::as_u64),
    }
}

pub fn build_info(b: &Build) -> Option<BuildInfo> {
    Some(BuildInfo {
        id: b.id.clone(),
        build_number: b.build_number.clone(),
        status: JobStatus::parse(b.status.as_deref()?)?,
        started_at: b.started_at?,
        finished_at: b.finished_at,
    })
}

/// A build object with its definitions; the input schema stays text so that invalid JSON
/// reaches the lint as a finding.
pub fn build_definition(b: &Build) -> Option<BuildDefinition> {
    let definition = b.extra.get("actorDefinition");
    let input_schema = match extra(&b.extra, &["inputSchema"]).and_then(Value::as_str) {
        Some(text) => Some(text.to_string()),
        None => definition
            .and_then(|d| d.get("input"))
            .filter(|v| !v.is_null())
            .map(Value::to_string),
    };
    let pick = |path: &[&str]| {
        let mut v = definition?;
        for p in path {
            v = v.get(p)?;
        }
        (!v.is_null()).then(|| v.clone())
    };
    Some(BuildDefinition {
        build: build_info(b)?,
        input_schema,
        dataset_schema: pick(&["storages", "dataset"]),
        output_schema: pick(&["output"]),
    })
}

/// The most one run can cost, in USD: far above any real run (a month of the largest
/// memory), low enough that no sum of them overflows. A usage above it is no cost.
pub const MAX_RUN_USD: f64 = 1.0e6;

/// A quantity the API reports (a cost, a duration, bytes, counts): finite, not negative, and
/// under `max`; anything else is no reading of it.
fn quantity(v: Option<&Value>, max: f64) -> Option<f64> {
    v.and_then(Value::as_f64)
        .filter(|x| x.is_finite() && (0.0..=max).contains(x))
}

/// A run list item as the core sees it; `None` when status or start time are unreadable,
/// or its `usageTotalUsd` is there but no cost (negative, absurd, not a number).
pub fn run_record(r: &ActorRun) -> Option<RunRecord> {
    let usage = extra(&r.extra, &["usageTotalUsd"]).filter(|v| !v.is_null());
    let usage_total_usd = match usage {
        None => 0.0,
        Some(v) => quantity(Some(v), MAX_RUN_USD)?,
    };
    Some(RunRecord {
        id: r.id.clone(),
        status: JobStatus::parse(r.status.as_deref()?)?,
        started_at: r.started_at?,
        finished_at: r.finished_at,
        build_number: extra(&r.extra, &["buildNumber"])
            .and_then(Value::as_str)
            .map(str::to_string),
        origin: extra(&r.extra, &["meta", "origin"])
            .and_then(Value::as_str)
            .map(str::to_string),
        usage_total_usd,
    })
}

/// A run's details as the core sees them; a figure that is no quantity (negative, not
/// finite, absurd) is left out, as if the platform had not reported it.
pub fn run_detail(r: &ActorRun) -> Option<RunDetail> {
    let num = |path: &[&str]| {
        let max = if path == ["usageTotalUsd"] {
            MAX_RUN_USD
        } else {
            1.0e15
        };
        quantity(extra(&r.extra, path), max)
    };
    Some(RunDetail {
        id: r.id.clone(),
        status: JobStatus::parse(r.status.as_deref()?)?,
        memory_mbytes: num(&["options", "memoryMbytes"]).map(|v| v as u32),
        timeout_secs: num(&["options", "timeoutSecs"]).map(|v| v as u64),
        mem_max_bytes: num(&["stats", "memMaxBytes"]),
        run_time_secs: num(&["stats", "runTimeSecs"]),
        compute_units: num(&["stats", "computeUnits"]),
        dataset_writes: num(&["usage", "DATASET_WRITES"]),
        started_at: r.started_at,
        finished_at: r.finished_at,
        exit_code: extra(&r.extra, &["exitCode"]).and_then(Value::as_i64),
        status_message: r.status_message.clone(),
        usage_total_usd: num(&["usageTotalUsd"]),
        charged_event_counts: extra(&r.extra, &["chargedEventCounts"])
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The source's reading of one API payload from its JSON (apify-client's model, else field by
/// field as [`lenient_item`] does): for tests and fuzzing, which hold no apify-client types.
pub mod payload {
    use super::{lenient_item, without_code_or_environment, Actor, ActorRun, Build, Value};
    use forge_core::model::{ActorInfo, BuildDefinition, BuildInfo, RunDetail, RunRecord};

    /// A run list item as [`super::FleetSource::for_each_run`] reads it.
    pub fn run_record(item: &Value) -> Option<RunRecord> {
        super::run_record(&lenient_item::<ActorRun>(item)?)
    }

    /// A run as [`super::FleetSource::run_details`] reads it.
    pub fn run_detail(item: &Value) -> Option<RunDetail> {
        super::run_detail(&lenient_item::<ActorRun>(item)?)
    }

    /// A build list item as [`super::FleetSource::newest_builds`] reads it.
    pub fn build_info(item: &Value) -> Option<BuildInfo> {
        super::build_info(&lenient_item::<Build>(item)?)
    }

    /// A build as [`super::FleetSource::build_definition`] reads it.
    pub fn build_definition(item: &Value) -> Option<BuildDefinition> {
        super::build_definition(&lenient_item::<Build>(item)?)
    }

    /// An actor as [`super::FleetSource::actor`] reads it.
    pub fn actor_info(item: &Value) -> Option<ActorInfo> {
        Some(super::actor_info(&lenient_item::<Actor>(item)?))
    }

    /// An actor as [`super::FleetSource::actor_object`] reads it.
    pub fn actor_object(item: &Value) -> Option<Value> {
        lenient_item::<Actor>(item)
            .and_then(|a| serde_json::to_value(a).ok())
            .map(without_code_or_environment)
    }
}

#[cfg(test)]
mod lenient_tests {
    use super::*;
    use serde_json::json;

    fn run() -> Value {
        json!({"id": "r1", "status": "SUCCEEDED", "startedAt": "2026-11-01T00:00:00.000Z",
               "finishedAt": "2026-11-01T00:01:00.000Z", "buildNumber": "0.1.3", "usageTotalUsd": 0.5})
    }

    #[test]
    fn a_field_of_the_wrong_type_costs_that_field_not_the_run() {
        let mut r = run();
        r["buildId"] = json!({"an": "object"});
        r["finishedAt"] = json!("garbage");
        r["containerUrl"] = json!(5);
        let record = payload::run_record(&r).expect("still a run");
        assert_eq!(record.finished_at, None);
        assert_eq!(record.build_number.as_deref(), Some("0.1.3"));
        assert!(
            serde_json::from_value::<ActorRun>(r).is_err(),
            "apify-client refuses it whole"
        );
    }

    #[test]
    fn a_run_without_a_readable_status_start_or_id_is_malformed() {
        for (key, value) in [
            ("status", json!(5)),
            ("startedAt", json!("not a date")),
            ("id", Value::Null),
        ] {
            let mut r = run();
            r[key] = value;
            assert_eq!(payload::run_record(&r), None, "{key}");
        }
        for usage in [json!(-5.0), json!(1e308), json!("NaN")] {
            let mut r = run();
            r["usageTotalUsd"] = usage.clone();
            assert_eq!(payload::run_record(&r), None, "{usage}");
        }
        let mut free = run();
        free["usageTotalUsd"] = Value::Null;
        assert_eq!(
            payload::run_record(&free).map(|r| r.usage_total_usd),
            Some(0.0)
        );
        assert_eq!(payload::run_record(&json!("a string")), None);
        assert_eq!(payload::run_record(&json!([1, 2])), None);
    }

    #[test]
    fn an_actor_object_read_leniently_still_drops_code_and_environment() {
        let actor = json!({"id": "a1", "name": "x", "createdAt": "the dawn of time",
                           "versions": [{"envVars": [{"name": "K", "value": "secret"}], "sourceFiles": []}]});
        let object = payload::actor_object(&actor).expect("read");
        assert!(!object.to_string().contains("secret"), "{object}");
        assert_eq!(
            payload::actor_info(&actor).map(|a| a.created_at),
            Some(None)
        );
    }
}
