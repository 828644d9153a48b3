//! The emulator's in-memory account: actors, builds, runs, storages, tokens.
//!
//! Runs are stored as compact JSON text plus a few index fields (start time, status), with one
//! list per Actor sorted by start time, so `startedAfter` + `desc` queries over a million runs are
//! a binary search and a slice walk.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use axum::body::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};

use crate::error::EmulatorError;
use crate::fixture::{Behavior, Fixture, Permissions};

/// Milliseconds since the Unix epoch.
pub(crate) type Millis = i64;

pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an ISO-8601 timestamp; also accepts a bare date (`2026-01-31`, midnight UTC).
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Status of a run or build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ready,
    Running,
    Succeeded,
    Failed,
    TimingOut,
    TimedOut,
    Aborting,
    Aborted,
    Unknown,
}

impl Status {
    pub fn parse(s: &str) -> Status {
        match s {
            "READY" => Status::Ready,
            "RUNNING" => Status::Running,
            "SUCCEEDED" => Status::Succeeded,
            "FAILED" => Status::Failed,
            "TIMING-OUT" => Status::TimingOut,
            "TIMED-OUT" => Status::TimedOut,
            "ABORTING" => Status::Aborting,
            "ABORTED" => Status::Aborted,
            _ => Status::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "READY",
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimingOut => "TIMING-OUT",
            Status::TimedOut => "TIMED-OUT",
            Status::Aborting => "ABORTING",
            Status::Aborted => "ABORTED",
            Status::Unknown => "UNKNOWN",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Succeeded | Status::Failed | Status::TimedOut | Status::Aborted
        )
    }
}

/// Who is calling: a fixture token or a run token.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub token_id: String,
    pub permissions: Permissions,
    /// Set for run tokens: the run may always use its own default storages and update itself.
    pub own_run: Option<OwnRun>,
}

#[derive(Debug, Clone)]
pub(crate) struct OwnRun {
    pub run_id: String,
    /// May use its default storages whatever its scope (`EmulatorConfig::run_token_default_storages`).
    pub default_storages: bool,
    pub kvs_id: String,
    pub dataset_id: String,
}

pub(crate) struct ActorState {
    pub actor: Value,
    pub id: String,
    pub name: String,
    pub username: String,
    pub user_id: String,
    pub created_at: String,
    /// Full Build objects, sorted by `startedAt` ascending.
    pub builds: Vec<Value>,
    /// Indices into `State::runs`, sorted by (startedAt, id).
    pub runs: Vec<u32>,
    pub behavior: Option<Behavior>,
}

pub(crate) struct RunRec {
    pub id: Box<str>,
    pub actor: u32,
    pub started_ms: Millis,
    pub status: Status,
    /// The full Run object as compact JSON.
    pub raw: Box<RawValue>,
}

pub(crate) enum Items {
    /// Fixture items, parsed only when somebody writes to the dataset.
    Raw(Box<RawValue>),
    Parsed(Vec<Value>),
}

pub(crate) struct Dataset {
    pub id: String,
    pub act_id: Option<String>,
    pub run_id: Option<String>,
    pub created_at: String,
    pub modified_at: String,
    pub items: Items,
}

impl Dataset {
    /// The items (parsing fixture text on the fly; a malformed fixture array reads as empty).
    pub fn items(&self) -> Cow<'_, [Value]> {
        match &self.items {
            Items::Parsed(v) => Cow::Borrowed(v.as_slice()),
            Items::Raw(raw) => Cow::Owned(parse_items(raw)),
        }
    }

    pub fn items_mut(&mut self) -> &mut Vec<Value> {
        if let Items::Raw(raw) = &self.items {
            self.items = Items::Parsed(parse_items(raw));
        }
        match &mut self.items {
            Items::Parsed(v) => v,
            Items::Raw(_) => unreachable!("converted above"),
        }
    }
}

fn parse_items(raw: &RawValue) -> Vec<Value> {
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Array(items)) => items,
        Ok(Value::Object(o)) => vec![Value::Object(o)],
        _ => Vec::new(),
    }
}

#[derive(Clone)]
pub(crate) struct Record {
    pub content_type: String,
    pub data: Bytes,
}

pub(crate) struct Kvs {
    pub id: String,
    pub act_id: Option<String>,
    pub run_id: Option<String>,
    pub created_at: String,
    pub modified_at: String,
    pub records: BTreeMap<String, Record>,
}

/// Bookkeeping for a run started through the API.
pub(crate) struct LiveRun {
    pub done: watch::Sender<bool>,
    pub abort: watch::Sender<bool>,
    /// SIGKILL the process, as when its container dies (`Emulator::kill_run_process`).
    pub kill: watch::Sender<bool>,
    /// A real process runs it (abort must kill it); else it was simulated.
    pub has_process: bool,
    /// Graceful aborts and migrations, for the run's process task.
    pub control: mpsc::UnboundedSender<crate::process::Control>,
    /// The run's events websocket: its connections and URL key.
    pub events: crate::events::RunEvents,
    /// Processes the run has had so far (1 + migrations); a change closes the websocket
    /// connections of the previous process.
    pub processes: watch::Sender<u32>,
    /// A migration was requested and the next process has not started yet.
    pub migrating: bool,
}

impl LiveRun {
    /// Bookkeeping of a new run, and the receiving end of its `control` channel.
    pub fn new() -> (LiveRun, mpsc::UnboundedReceiver<crate::process::Control>) {
        let (control, control_rx) = mpsc::unbounded_channel();
        let live = LiveRun {
            done: watch::channel(false).0,
            abort: watch::channel(false).0,
            kill: watch::channel(false).0,
            has_process: false,
            control,
            events: crate::events::RunEvents::new(),
            processes: watch::channel(0).0,
            migrating: false,
        };
        (live, control_rx)
    }
}

pub(crate) struct State {
    pub user: Value,
    pub user_id: String,
    pub username: String,
    /// Token secret -> principal.
    pub tokens: HashMap<String, Principal>,
    pub actors: Vec<ActorState>,
    pub actor_by_id: HashMap<String, usize>,
    /// "username~name" -> actor index.
    pub actor_by_name: HashMap<String, usize>,
    /// Build id -> (actor index, build index).
    pub build_by_id: HashMap<String, (usize, usize)>,
    pub runs: Vec<RunRec>,
    pub run_by_id: HashMap<Box<str>, u32>,
    /// All runs sorted by (startedAt, id): `GET /v2/actor-runs`.
    pub all_runs: Vec<u32>,
    pub datasets: HashMap<String, Dataset>,
    pub stores: HashMap<String, Kvs>,
    pub logs: HashMap<String, String>,
    /// (run id, idempotency key) pairs already charged.
    pub charges: HashSet<(String, String)>,
    /// Run id -> id of the token that started it (runs started through the API only): what
    /// the audit log's "reads only datasets of runs it started" is checked against.
    pub started_by: HashMap<Box<str>, String>,
    pub live: HashMap<String, LiveRun>,
    /// Ids of new runs, keys and storages (seeded from the clock: only uniqueness matters).
    /// The outcomes of simulated runs do not use it (see [`State::next_sim_index`]).
    pub rng: StdRng,
    /// (Actor id, build number, memory MB) -> simulated runs of it started so far.
    pub sim_counts: HashMap<(String, String, u64), u64>,
    /// When the fixture was loaded (timestamps of fixture storages).
    pub loaded_at: String,
}

type RunIndex = Vec<(Box<str>, Millis, Status)>;

/// (id, startedAt, status) of each run, in order. A run as a platform bug or a proxy could
/// return it (no id, a status or startedAt of the wrong type or unreadable) is still served
/// raw, for clients to cope with: it keeps its place in the fixture's order (indexed at the
/// time of the run before it), and one without a string id is indexed as `<actor>#<index>`.
fn index_runs(actor: &str, runs: &[crate::fixture::RawJson]) -> Result<RunIndex, EmulatorError> {
    let mut previous_ms = 0;
    runs.iter()
        .enumerate()
        .map(|(i, raw)| {
            let (id, started, status) = match serde_json::from_str::<RunIndexView>(raw.get()) {
                Ok(view) => (
                    view.id.into_owned(),
                    parse_time(&view.started_at),
                    Status::parse(&view.status),
                ),
                Err(_) => {
                    let v: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                    (
                        v.get("id")
                            .and_then(Value::as_str)
                            .map_or_else(|| format!("{actor}#{i}"), str::to_owned),
                        v.get("startedAt")
                            .and_then(Value::as_str)
                            .and_then(parse_time),
                        Status::parse(str_field(&v, "status")),
                    )
                }
            };
            let started_ms = started.map_or(previous_ms, |t| t.timestamp_millis());
            previous_ms = started_ms;
            Ok((id.into(), started_ms, status))
        })
        .collect()
}

/// `items.iter().map(f)` on all cores, in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunIndexView<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    started_at: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

impl State {
    pub fn load(fixture: Fixture, seed: u64) -> Result<State, EmulatorError> {
        let Fixture {
            user,
            tokens,
            actors,
        } = fixture;
        let user_id = str_field(&user, "id").to_owned();
        let username = str_field(&user, "username").to_owned();
        let mut state = State {
            user,
            user_id,
            username,
            tokens: HashMap::new(),
            actors: Vec::with_capacity(actors.len()),
            actor_by_id: HashMap::new(),
            actor_by_name: HashMap::new(),
            build_by_id: HashMap::new(),
            runs: Vec::new(),
            run_by_id: HashMap::new(),
            all_runs: Vec::new(),
            datasets: HashMap::new(),
            stores: HashMap::new(),
            logs: HashMap::new(),
            charges: HashSet::new(),
            started_by: HashMap::new(),
            live: HashMap::new(),
            rng: StdRng::seed_from_u64(seed),
            sim_counts: HashMap::new(),
            loaded_at: iso(Utc::now()),
        };
        for (i, t) in tokens.into_iter().enumerate() {
            let id = if t.id.is_empty() {
                format!("token-{i}")
            } else {
                t.id
            };
            if t.token.is_empty() {
                return Err(EmulatorError::Fixture(format!(
                    "token {id} has an empty value"
                )));
            }
            state.tokens.insert(
                t.token,
                Principal {
                    token_id: id,
                    permissions: t.permissions,
                    own_run: None,
                },
            );
        }
        let total_runs: usize = actors.iter().map(|a| a.runs.len()).sum();
        state.runs.reserve(total_runs);
        state.run_by_id.reserve(total_runs);
        let total_datasets: usize = actors.iter().map(|a| a.datasets.len()).sum();
        state.datasets.reserve(total_datasets);
        // Parsing a million runs' index fields is the slow part of loading: use every core.
        let mut indexes = parallel_map(&actors, |af| index_runs(af.name(), &af.runs)).into_iter();
        for af in actors {
            let ai = state.actors.len();
            let id = str_field(&af.actor, "id").to_owned();
            let name = str_field(&af.actor, "name").to_owned();
            if id.is_empty() || name.is_empty() {
                return Err(EmulatorError::Fixture(format!(
                    "actor #{ai} needs both `id` and `name`"
                )));
            }
            if state.actor_by_id.contains_key(&id) {
                return Err(EmulatorError::Fixture(format!("duplicate actor id {id}")));
            }
            let mut uname = str_field(&af.actor, "username").to_owned();
            if uname.is_empty() {
                uname = state.username.clone();
            }
            let mut uid = str_field(&af.actor, "userId").to_owned();
            if uid.is_empty() {
                uid = state.user_id.clone();
            }
            let mut builds = af.builds;
            builds.sort_by(|a, b| str_field(a, "startedAt").cmp(str_field(b, "startedAt")));
            for (bi, b) in builds.iter().enumerate() {
                let bid = str_field(b, "id");
                if bid.is_empty() {
                    return Err(EmulatorError::Fixture(format!(
                        "a build of {name} has no id"
                    )));
                }
                state.build_by_id.insert(bid.to_owned(), (ai, bi));
            }
            let mut run_idx = Vec::with_capacity(af.runs.len());
            let index = indexes.next().unwrap_or_else(|| Ok(Vec::new()))?;
            for (raw, (run_id, started_ms, status)) in af.runs.into_iter().zip(index) {
                let rec = RunRec {
                    id: run_id,
                    actor: ai as u32,
                    started_ms,
                    status,
                    raw: raw.into_raw(),
                };
                let ri = state.runs.len() as u32;
                if state.run_by_id.insert(rec.id.clone(), ri).is_some() {
                    return Err(EmulatorError::Fixture(format!(
                        "duplicate run id {}",
                        rec.id
                    )));
                }
                state.runs.push(rec);
                run_idx.push(ri);
            }
            let runs = &state.runs;
            run_idx.sort_by(|a, b| run_order(runs, *a, *b));
            for (ds_id, items) in af.datasets {
                state.datasets.insert(
                    ds_id.clone(),
                    Dataset {
                        id: ds_id,
                        act_id: Some(id.clone()),
                        run_id: None,
                        // Empty: reported as the emulator's load time.
                        created_at: String::new(),
                        modified_at: String::new(),
                        items: Items::Raw(items.into_raw()),
                    },
                );
            }
            let created_at = str_field(&af.actor, "createdAt").to_owned();
            state.actor_by_id.insert(id.clone(), ai);
            state.actor_by_name.insert(format!("{uname}~{name}"), ai);
            state.actors.push(ActorState {
                actor: af.actor,
                id,
                name,
                username: uname,
                user_id: uid,
                created_at,
                builds,
                runs: run_idx,
                behavior: af.behavior,
            });
        }
        let mut all: Vec<u32> = (0..state.runs.len() as u32).collect();
        let runs = &state.runs;
        all.sort_by(|a, b| run_order(runs, *a, *b));
        state.all_runs = all;
        Ok(state)
    }

    /// A fresh 17-character alphanumeric id, like Apify's.
    pub fn new_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..17)
            .map(|_| ALPHABET[self.rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    }

    /// The 0-based sequence number of a new simulated run of (Actor, build number, memory)
    /// among the simulated runs of that same variant this emulator started (counted here).
    pub fn next_sim_index(&mut self, actor_id: &str, build_number: &str, memory_mb: u64) -> u64 {
        let n = self
            .sim_counts
            .entry((actor_id.to_owned(), build_number.to_owned(), memory_mb))
            .or_insert(0);
        let index = *n;
        *n += 1;
        index
    }

    /// Resolves an actor reference: ID, `username~name` or `~name` (the token owner's Actor).
    pub fn resolve_actor(&self, reference: &str) -> Option<usize> {
        if let Some((user, name)) = reference.split_once('~') {
            let user = if user.is_empty() {
                self.username.as_str()
            } else {
                user
            };
            return self.actor_by_name.get(&format!("{user}~{name}")).copied();
        }
        self.actor_by_id.get(reference).copied()
    }

    pub fn run_index(&self, run_id: &str) -> Option<u32> {
        self.run_by_id.get(run_id).copied()
    }

    pub fn run_value(&self, ri: u32) -> Value {
        serde_json::from_str(self.runs[ri as usize].raw.get()).unwrap_or(Value::Null)
    }

    /// Applies `f` to a run's JSON object and stores the result.
    pub fn update_run(&mut self, ri: u32, f: impl FnOnce(&mut Map<String, Value>)) {
        let rec = &mut self.runs[ri as usize];
        let mut v: Value = serde_json::from_str(rec.raw.get()).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            f(map);
            rec.status = Status::parse(map.get("status").and_then(Value::as_str).unwrap_or(""));
        }
        if let Ok(raw) = serde_json::value::to_raw_value(&v) {
            rec.raw = raw;
        }
    }

    /// Adds a new run (started now) to the indexes.
    pub fn insert_run(&mut self, actor: usize, run: &Value) -> u32 {
        let id = str_field(run, "id");
        let started_ms = parse_time(str_field(run, "startedAt"))
            .map(|t| t.timestamp_millis())
            .unwrap_or(0);
        let raw =
            serde_json::value::to_raw_value(run).unwrap_or_else(|_| crate::fixture::null_raw());
        let ri = self.runs.len() as u32;
        self.runs.push(RunRec {
            id: id.into(),
            actor: actor as u32,
            started_ms,
            status: Status::parse(str_field(run, "status")),
            raw,
        });
        self.run_by_id.insert(id.into(), ri);
        let runs = &self.runs;
        let pos = self.actors[actor]
            .runs
            .partition_point(|x| run_order(runs, *x, ri).is_lt());
        self.actors[actor].runs.insert(pos, ri);
        let pos = self
            .all_runs
            .partition_point(|x| run_order(runs, *x, ri).is_lt());
        self.all_runs.insert(pos, ri);
        ri
    }

    /// Runs matching `filter`, in the requested order, paginated: (total, page).
    pub fn query_runs(
        &self,
        actor: Option<usize>,
        filter: &RunFilter,
        offset: usize,
        limit: usize,
        desc: bool,
    ) -> (usize, Vec<u32>) {
        let list: &[u32] = match actor {
            Some(a) => &self.actors[a].runs,
            None => &self.all_runs,
        };
        let runs = &self.runs;
        let lo = match filter.started_after {
            Some(t) => list.partition_point(|&i| runs[i as usize].started_ms < t),
            None => 0,
        };
        let hi = match filter.started_before {
            Some(t) => list.partition_point(|&i| runs[i as usize].started_ms <= t),
            None => list.len(),
        };
        let slice = if lo < hi { &list[lo..hi] } else { &[][..] };
        let matches = |i: &&u32| {
            filter.statuses.is_empty() || filter.statuses.contains(&runs[**i as usize].status)
        };
        let mut page = Vec::with_capacity(limit.min(slice.len()));
        let total;
        if filter.statuses.is_empty() {
            total = slice.len();
            let take = |it: &mut dyn Iterator<Item = &u32>| {
                it.skip(offset).take(limit).copied().collect::<Vec<_>>()
            };
            page = if desc {
                take(&mut slice.iter().rev())
            } else {
                take(&mut slice.iter())
            };
        } else {
            let mut n = 0;
            let mut push = |i: &u32| {
                if n >= offset && page.len() < limit {
                    page.push(*i);
                }
                n += 1;
            };
            if desc {
                slice.iter().rev().filter(matches).for_each(&mut push);
            } else {
                slice.iter().filter(matches).for_each(&mut push);
            }
            total = n;
        }
        (total, page)
    }

    /// The RunShort JSON of a run (a projection of the stored full object).
    pub fn run_short_json(&self, ri: u32) -> String {
        project_run_short(self.runs[ri as usize].raw.get())
    }

    pub fn run_full_json(&self, ri: u32) -> &str {
        self.runs[ri as usize].raw.get()
    }

    /// Picks the build a new run uses: a build number (`0.1.3`), a tag (`latest` etc. via
    /// `taggedBuilds`, else the newest successful build), or a version (`0.1`).
    pub fn pick_build(&self, actor: usize, spec: &str) -> Option<&Value> {
        let a = &self.actors[actor];
        let succeeded = |b: &&Value| str_field(b, "status") == "SUCCEEDED";
        if let Some(b) = a
            .builds
            .iter()
            .find(|b| str_field(b, "buildNumber") == spec)
        {
            return Some(b);
        }
        if let Some(tagged) = a
            .actor
            .get("taggedBuilds")
            .and_then(|t| t.get(spec))
            .and_then(|t| t.get("buildId"))
            .and_then(Value::as_str)
        {
            if let Some(b) = a.builds.iter().find(|b| str_field(b, "id") == tagged) {
                return Some(b);
            }
        }
        let version_prefix = format!("{spec}.");
        let by_version = a
            .builds
            .iter()
            .rev()
            .filter(succeeded)
            .find(|b| str_field(b, "buildNumber").starts_with(&version_prefix));
        if by_version.is_some() {
            return by_version;
        }
        if spec == "latest" {
            return a.builds.iter().rev().find(succeeded);
        }
        None
    }
}

/// Filters of run lists.
#[derive(Debug, Default)]
pub(crate) struct RunFilter {
    pub statuses: Vec<Status>,
    pub started_after: Option<Millis>,
    pub started_before: Option<Millis>,
}

fn run_order(runs: &[RunRec], a: u32, b: u32) -> std::cmp::Ordering {
    let (x, y) = (&runs[a as usize], &runs[b as usize]);
    x.started_ms
        .cmp(&y.started_ms)
        .then_with(|| x.id.cmp(&y.id))
}

/// `buildNumberInt = MAJOR*1e7 + MINOR*1e5 + BUILD` (apify-shared `VERSION_INT_*_BASE`).
pub(crate) fn build_number_int(build_number: &str) -> Option<i64> {
    let mut parts = build_number.split('.').map(|p| p.parse::<i64>().ok());
    let (major, minor, build) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    Some(major * 10_000_000 + minor * 100_000 + build)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunShortView<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    act_id: Option<&'a RawValue>,
    #[serde(borrow)]
    user_id: Option<&'a RawValue>,
    #[serde(borrow)]
    actor_task_id: Option<&'a RawValue>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(borrow)]
    started_at: Option<&'a RawValue>,
    #[serde(borrow)]
    finished_at: Option<&'a RawValue>,
    #[serde(borrow)]
    build_id: Option<&'a RawValue>,
    #[serde(borrow)]
    build_number: Option<&'a RawValue>,
    #[serde(borrow)]
    build_number_int: Option<&'a RawValue>,
    #[serde(borrow)]
    meta: Option<&'a RawValue>,
    #[serde(borrow)]
    usage_total_usd: Option<&'a RawValue>,
    #[serde(borrow)]
    default_key_value_store_id: Option<&'a RawValue>,
    #[serde(borrow)]
    default_dataset_id: Option<&'a RawValue>,
    #[serde(borrow)]
    default_request_queue_id: Option<&'a RawValue>,
}

fn opt(r: Option<&RawValue>) -> Option<&str> {
    r.map(RawValue::get)
}

/// Projects a full Run (JSON text) to a RunShort (JSON text) without building a `Value` tree.
pub(crate) fn project_run_short(full: &str) -> String {
    let Ok(v) = serde_json::from_str::<RunShortView>(full) else {
        return "{}".to_owned();
    };
    let mut out = String::with_capacity(512);
    out.push('{');
    let mut first = true;
    let mut field = |name: &str, raw: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        out.push_str(raw);
    };
    let pairs = [
        ("id", opt(v.id)),
        ("actId", opt(v.act_id)),
        ("userId", opt(v.user_id)),
        ("actorTaskId", opt(v.actor_task_id)),
        ("status", opt(v.status)),
        ("startedAt", opt(v.started_at)),
        ("finishedAt", opt(v.finished_at)),
        ("buildId", opt(v.build_id)),
    ];
    for (name, raw) in pairs {
        if let Some(raw) = raw {
            field(name, raw);
        }
    }
    // RunShort.buildNumber is a non-null string; buildNumberInt is derived when missing.
    let bn: Option<String> = v
        .build_number
        .and_then(|r| serde_json::from_str::<String>(r.get()).ok());
    if let Some(bn) = &bn {
        if let Some(raw) = v.build_number {
            field("buildNumber", raw.get());
        }
        match v.build_number_int {
            Some(raw) => field("buildNumberInt", raw.get()),
            None => {
                if let Some(n) = build_number_int(bn) {
                    field("buildNumberInt", &n.to_string());
                }
            }
        }
    }
    field("meta", opt(v.meta).unwrap_or(r#"{"origin":"API"}"#));
    // Required and non-null in RunShort: 0 for free runs.
    field("usageTotalUsd", opt(v.usage_total_usd).unwrap_or("0"));
    for (name, raw) in [
        ("defaultKeyValueStoreId", opt(v.default_key_value_store_id)),
        ("defaultDatasetId", opt(v.default_dataset_id)),
        ("defaultRequestQueueId", opt(v.default_request_queue_id)),
    ] {
        if let Some(raw) = raw {
            field(name, raw);
        }
    }
    out.push('}');
    out
}

/// Projects a full Actor to ActorShort.
pub(crate) fn actor_short(actor: &Value) -> Value {
    let mut out = Map::new();
    for key in ["id", "createdAt", "modifiedAt", "name", "username"] {
        out.insert(
            key.to_owned(),
            actor
                .get(key)
                .cloned()
                .unwrap_or(Value::String(String::new())),
        );
    }
    // ActorShort.title is a non-null string.
    if let Some(t) = actor.get("title").filter(|t| t.is_string()) {
        out.insert("title".into(), t.clone());
    }
    if let Some(s) = actor.get("stats").filter(|s| s.is_object() || s.is_null()) {
        out.insert("stats".into(), s.clone());
    }
    Value::Object(out)
}

/// Projects a full Build to BuildShort.
pub(crate) fn build_short(build: &Value) -> Value {
    let mut out = Map::new();
    for key in ["id", "actId", "userId", "status", "startedAt", "finishedAt"] {
        if let Some(v) = build.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    let usd = build
        .get("usageTotalUsd")
        .filter(|v| v.is_number())
        .cloned()
        .unwrap_or(Value::from(0));
    out.insert("usageTotalUsd".into(), usd);
    let bn = str_field(build, "buildNumber");
    out.insert("buildNumber".into(), Value::String(bn.to_owned()));
    if let Some(n) = build
        .get("buildNumberInt")
        .and_then(Value::as_i64)
        .or_else(|| build_number_int(bn))
    {
        out.insert("buildNumberInt".into(), Value::from(n));
    }
    if let Some(m) = build.get("meta") {
        out.insert("meta".into(), m.clone());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_projection_keeps_list_fields_only() {
        let full = r#"{"id":"r1","actId":"a1","userId":"u1","startedAt":"2026-01-01T00:00:00.000Z","finishedAt":null,"status":"SUCCEEDED","meta":{"origin":"API"},"stats":{"runTimeSecs":1},"options":{},"buildId":"b1","buildNumber":"0.1.3","usageTotalUsd":0.5,"defaultKeyValueStoreId":"k","defaultDatasetId":"d","defaultRequestQueueId":"q","generalAccess":"RESTRICTED"}"#;
        let short: Value = serde_json::from_str(&project_run_short(full)).unwrap();
        assert_eq!(short["buildNumberInt"], 100_003);
        assert_eq!(short["usageTotalUsd"], 0.5);
        assert!(short.get("stats").is_none());
        assert!(short.get("finishedAt").is_none());
        assert_eq!(short["defaultDatasetId"], "d");
    }

    #[test]
    fn build_number_int_matches_apify() {
        assert_eq!(build_number_int("0.0.2"), Some(2));
        assert_eq!(build_number_int("1.2.3"), Some(10_200_003));
        assert_eq!(build_number_int("1.2"), None);
    }
}
