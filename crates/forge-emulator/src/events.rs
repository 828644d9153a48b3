//! The platform events websocket (research §7.2), and what the emulator needs to migrate and
//! gracefully abort runs through it.
//!
//! Every run with a process gets `ACTOR_EVENTS_WEBSOCKET_URL` (and the legacy
//! `APIFY_ACTOR_EVENTS_WS_URL`): `ws://127.0.0.1:PORT/_events/{runId}/{key}`, where `key` is a
//! random per-run secret (never the API token) that exists only in the run's environment. The
//! Actor connects as a websocket client, as often as it likes; every event of the run goes to
//! every open connection of that run, as one JSON text frame:
//!
//! ```json
//! {"name": "systemInfo", "createdAt": "2026-01-01T00:00:00.000Z", "data": {...}}
//! ```
//!
//! | name | data | when |
//! |---|---|---|
//! | `systemInfo` | `{memAvgBytes, memCurrentBytes, memMaxBytes, cpuAvgUsage, cpuMaxUsage, cpuCurrentUsage, isCpuOverloaded, createdAt}` | every [`EmulatorConfig::system_info_interval`](crate::EmulatorConfig::system_info_interval) |
//! | `migrating` | `{timeRemainingSecs}` | [`Emulator::migrate_run`] with [`Migration::Events`] |
//! | `persistState` | `{isMigrating}` | right after `migrating` (`true`) and `aborting` (`false`) |
//! | `aborting` | `{}` | `POST /v2/actor-runs/{runId}/abort?gracefully=true` |
//!
//! The server ignores what the Actor sends. A connection is closed when its process is replaced
//! (a migration), when the run finishes, and when the emulator shuts down. The route bypasses the
//! audit log (it is not part of the API, and its path holds the key): see [`EVENTS_PATH_PREFIX`].

use std::time::Instant;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};

use crate::error::ApiError;
use crate::process::Control;
use crate::state::{iso, Status};
use crate::{App, Emulator};

/// Path prefix of the events websocket (`/_events/{runId}/{key}`): requests under it bypass the
/// audit log and fault injection.
pub const EVENTS_PATH_PREFIX: &str = "/_events/";

/// Environment variable of the events websocket URL.
pub const EVENTS_URL_ENV: &str = "ACTOR_EVENTS_WEBSOCKET_URL";
/// Its legacy name, also set.
pub const EVENTS_URL_ENV_LEGACY: &str = "APIFY_ACTOR_EVENTS_WS_URL";

/// Event names (Apify's `ACTOR_EVENT_NAMES`).
pub const SYSTEM_INFO: &str = "systemInfo";
pub const MIGRATING: &str = "migrating";
pub const PERSIST_STATE: &str = "persistState";
pub const ABORTING: &str = "aborting";

/// Events a slow connection may fall behind by before it misses the oldest.
const CHANNEL_CAPACITY: usize = 256;

/// How the platform moves a run to another server ([`Emulator::migrate_run`]). Either way the
/// run stays RUNNING and is restarted with the same run id, token, storages, input and
/// environment; `stats.migrationCount` goes up by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migration {
    /// `migrating {timeRemainingSecs}` and `persistState {isMigrating: true}` on the websocket;
    /// once the process exits or [`EmulatorConfig::migration_grace`](crate::EmulatorConfig::migration_grace)
    /// ends, SIGTERM, then SIGKILL after [`EmulatorConfig::stop_grace`](crate::EmulatorConfig::stop_grace).
    Events,
    /// No events: SIGTERM at once, SIGKILL after `stop_grace` (the Actor must read SIGTERM as
    /// "persist and stop").
    Sigterm,
}

/// Per-run websocket bookkeeping, kept in `LiveRun`.
pub(crate) struct RunEvents {
    /// Every connection of the run holds a receiver.
    pub sender: broadcast::Sender<String>,
    /// The secret path segment of the run's websocket URL.
    pub key: String,
}

impl RunEvents {
    pub fn new() -> RunEvents {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        RunEvents {
            sender,
            key: new_key(),
        }
    }
}

/// 128 random bits from the OS-seeded thread generator, as hex: unguessable, unlike ids.
fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The websocket URL of a run, for its environment.
pub(crate) fn url(base_url: &str, run_id: &str, key: &str) -> String {
    let ws_base = if let Some(rest) = base_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base_url.to_owned()
    };
    format!("{ws_base}{EVENTS_PATH_PREFIX}{run_id}/{key}")
}

/// One event frame.
pub(crate) fn message(name: &str, data: Value) -> String {
    json!({ "name": name, "createdAt": iso(Utc::now()), "data": data }).to_string()
}

/// Sends an event to every connection of the run; how many it reached.
pub(crate) fn send(app: &App, run_id: &str, name: &str, data: Value) -> usize {
    let st = app.read();
    match st.live.get(run_id) {
        Some(live) => live
            .events
            .sender
            .send(message(name, data))
            .unwrap_or_default(),
        None => 0,
    }
}

/// Equal strings, compared in time independent of where they differ (the key is a secret).
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `GET /_events/{runId}/{key}`: the run's events websocket. An unknown run, a wrong key and a
/// finished run all get the same 404.
pub(crate) async fn connect(
    State(app): State<App>,
    Path((run_id, key)): Path<(String, String)>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let subscription = {
        let st = app.read();
        let running = st
            .run_index(&run_id)
            .is_some_and(|ri| !st.runs[ri as usize].status.is_terminal());
        st.live
            .get(&run_id)
            .filter(|live| running && live.has_process && same_secret(&live.events.key, &key))
            .map(|live| {
                // Subscribed before the handshake: no event sent after the 101 is missed.
                (
                    live.events.sender.subscribe(),
                    live.done.subscribe(),
                    live.processes.subscribe(),
                )
            })
    };
    let Some((events, done, processes)) = subscription else {
        return ApiError::not_found("Actor run").into_response();
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(_) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid-request",
                "This URL accepts only websocket connections.",
            )
            .into_response()
        }
    };
    let shutdown = app.shutdown.subscribe();
    ws.on_upgrade(move |socket| serve(socket, events, done, processes, shutdown))
}

/// Forwards the run's events to one connection until the run or its process ends.
async fn serve(
    mut socket: WebSocket,
    mut events: broadcast::Receiver<String>,
    mut done: watch::Receiver<bool>,
    mut processes: watch::Receiver<u32>,
    mut shutdown: watch::Receiver<bool>,
) {
    let generation = *processes.borrow_and_update();
    let reason = loop {
        tokio::select! {
            // Queued events first: an event sent just before the run ended is still delivered.
            biased;
            event = events.recv() => match event {
                Ok(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                // A connection that cannot keep up misses the oldest events, as a slow
                // consumer of any broadcast does; it stays connected.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break "The run ended.",
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                // The platform does not read what the Actor sends.
                Some(Ok(_)) => {}
            },
            // (The guards `wait_for` returns are not `Send`: dropped inside each branch.)
            _ = async { let _ = done.wait_for(|d| *d).await; } => break "The run ended.",
            _ = async { let _ = processes.wait_for(|p| *p != generation).await; } => {
                break "The run was migrated to another server."
            }
            _ = async { let _ = shutdown.wait_for(|s| *s).await; } => {
                break "The platform is shutting down."
            }
        }
    };
    let frame = CloseFrame {
        code: close_code::AWAY,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Resource usage of a run's process, sampled for `systemInfo` and the run's `stats`.
///
/// Memory is the resident set of the main process (`/proc/<pid>/status` `VmRSS`); CPU usage is
/// the process's CPU time over the wall time since the previous sample
/// (`/proc/<pid>/schedstat`), as a percentage of the run's CPU share (Apify gives one core per
/// 4,096 MB of memory), so a busy single thread of a 1,024 MB run reads 400. Where `/proc` is
/// missing (not Linux) both read 0. Averages and maxima cover every process of the run.
pub(crate) struct Usage {
    cores: f64,
    samples: u64,
    mem_sum: f64,
    mem_max: u64,
    mem_current: u64,
    cpu_sum: f64,
    cpu_max: f64,
    cpu_current: f64,
    /// (pid, CPU nanoseconds, when) of the previous sample.
    last: Option<(u32, u64, Instant)>,
}

impl Usage {
    pub fn new(memory_mb: u64) -> Usage {
        Usage {
            cores: (memory_mb as f64 / 4096.0).max(1.0 / 32.0),
            samples: 0,
            mem_sum: 0.0,
            mem_max: 0,
            mem_current: 0,
            cpu_sum: 0.0,
            cpu_max: 0.0,
            cpu_current: 0.0,
            last: None,
        }
    }

    /// Takes a sample of process `pid` (None: it has exited).
    pub fn sample(&mut self, pid: Option<u32>) {
        let now = Instant::now();
        let mem = pid.and_then(rss_bytes).unwrap_or(0);
        let cpu_ns = pid.and_then(cpu_nanos);
        self.cpu_current = match (self.last, pid, cpu_ns) {
            (Some((last_pid, last_ns, at)), Some(p), Some(ns)) if last_pid == p => {
                let wall = now.duration_since(at).as_secs_f64();
                if wall > 0.0 {
                    ns.saturating_sub(last_ns) as f64 / 1e9 / wall / self.cores * 100.0
                } else {
                    0.0
                }
            }
            _ => 0.0,
        };
        self.last = match (pid, cpu_ns) {
            (Some(p), Some(ns)) => Some((p, ns, now)),
            _ => None,
        };
        self.samples += 1;
        self.mem_current = mem;
        self.mem_sum += mem as f64;
        self.mem_max = self.mem_max.max(mem);
        self.cpu_sum += self.cpu_current;
        self.cpu_max = self.cpu_max.max(self.cpu_current);
    }

    fn mem_avg(&self) -> f64 {
        self.mem_sum / self.samples.max(1) as f64
    }

    fn cpu_avg(&self) -> f64 {
        self.cpu_sum / self.samples.max(1) as f64
    }

    /// The `data` of a `systemInfo` event.
    pub fn system_info(&self) -> Value {
        json!({
            "memAvgBytes": self.mem_avg().round(),
            "memCurrentBytes": self.mem_current,
            "memMaxBytes": self.mem_max,
            "cpuAvgUsage": crate::process::round(self.cpu_avg(), 3),
            "cpuMaxUsage": crate::process::round(self.cpu_max, 3),
            "cpuCurrentUsage": crate::process::round(self.cpu_current, 3),
            // Near the whole share: the platform's signal to slow down.
            "isCpuOverloaded": self.cpu_current >= 95.0,
            "createdAt": iso(Utc::now()),
        })
    }

    /// Writes the figures into a Run object's `stats`.
    pub fn write_stats(&self, run: &mut serde_json::Map<String, Value>) {
        let stats = crate::process::obj(run, "stats");
        stats.insert("memAvgBytes".into(), json!(self.mem_avg().round()));
        stats.insert("memMaxBytes".into(), json!(self.mem_max));
        stats.insert("memCurrentBytes".into(), json!(self.mem_current));
        stats.insert(
            "cpuAvgUsage".into(),
            json!(crate::process::round(self.cpu_avg(), 3)),
        );
        stats.insert(
            "cpuMaxUsage".into(),
            json!(crate::process::round(self.cpu_max, 3)),
        );
        stats.insert(
            "cpuCurrentUsage".into(),
            json!(crate::process::round(self.cpu_current, 3)),
        );
    }
}

fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn cpu_nanos(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// The events side of the emulator handle (tests and the reliability suite).
impl Emulator {
    /// Migrates a RUNNING run to "another server" (see [`Migration`]): the run stays RUNNING,
    /// its process is stopped and a new one started with the same run id, token, storages,
    /// input and environment, and `stats.migrationCount` goes up by one. The old process's
    /// exit, whatever its code, does not finish the run. The restart happens in the background:
    /// poll [`Emulator::run_process_count`] or [`Emulator::run`].
    ///
    /// True when a migration was started; false for an unknown run, a run that is not RUNNING,
    /// a simulated run (no process), or a run whose previous migration has not restarted it yet.
    pub fn migrate_run(&self, run_id: &str, how: Migration) -> bool {
        let mut st = self.app.write();
        let running = st
            .run_index(run_id)
            .is_some_and(|ri| st.runs[ri as usize].status == Status::Running);
        match st.live.get_mut(run_id) {
            Some(live) if running && live.has_process && !live.migrating => {
                let sent = live.control.send(Control::Migrate(how)).is_ok();
                live.migrating = sent;
                sent
            }
            _ => false,
        }
    }

    /// Sends an event (`name`, `data`) to every open websocket connection of the run, as the
    /// platform would (e.g. a bare `persistState`). True when at least one connection got it.
    pub fn send_event(&self, run_id: &str, name: &str, data: Value) -> bool {
        send(&self.app, run_id, name, data) > 0
    }

    /// How many processes this run has had (1 + migrations once each restart happened; 0 for an
    /// unknown or simulated run).
    pub fn run_process_count(&self, run_id: &str) -> u32 {
        self.app
            .read()
            .live
            .get(run_id)
            .map_or(0, |live| *live.processes.borrow())
    }

    /// Open websocket connections of the run (wait for the Actor to connect before migrating).
    pub fn event_connections(&self, run_id: &str) -> usize {
        self.app
            .read()
            .live
            .get(run_id)
            .map_or(0, |live| live.events.sender.receiver_count())
    }

    /// The run's events websocket URL, as its process gets it in `ACTOR_EVENTS_WEBSOCKET_URL`
    /// (None for an unknown or simulated run).
    pub fn events_url(&self, run_id: &str) -> Option<String> {
        let st = self.app.read();
        let live = st.live.get(run_id).filter(|l| l.has_process)?;
        Some(url(&self.app.base_url, run_id, &live.events.key))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite;

    use super::*;
    use crate::{synth, EmulatorConfig, Permissions};

    type Client = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    /// Prints the run's environment, with secrets as checksums only.
    const PRINT_ENV: &str = r#"echo "env run=$ACTOR_RUN_ID kvs=$ACTOR_DEFAULT_KEY_VALUE_STORE_ID ds=$ACTOR_DEFAULT_DATASET_ID token=$(printf %s "$APIFY_TOKEN" | cksum) ws=$(printf %s "$ACTOR_EVENTS_WEBSOCKET_URL" | cksum) legacy=$(printf %s "$APIFY_ACTOR_EVENTS_WS_URL" | cksum)""#;
    /// The second process of a run (a marker file says the first ran) exits 0 at once.
    const SECOND_EXITS: &str = r#"if [ -e "$MARK_DIR/$ACTOR_RUN_ID" ]; then echo "second process"; exit 0; fi; touch "$MARK_DIR/$ACTOR_RUN_ID""#;

    fn sleeper() -> String {
        "echo waiting; exec sleep 30".to_owned()
    }

    /// First process: persists and exits 3 on SIGTERM (the code must not matter).
    fn stops_on_sigterm() -> String {
        format!(
            "{PRINT_ENV}; {SECOND_EXITS}; sleep 30 & pid=$!; \
             trap 'kill $pid; echo got SIGTERM; exit 3' TERM; echo waiting; wait $pid"
        )
    }

    /// First process: ignores SIGTERM (only SIGKILL stops it).
    fn ignores_sigterm() -> String {
        format!("{PRINT_ENV}; {SECOND_EXITS}; trap '' TERM; echo waiting; exec sleep 30")
    }

    struct Setup {
        emu: Emulator,
        token: String,
        /// Actor ids, one per script.
        actors: Vec<String>,
        mark_dir: std::path::PathBuf,
    }

    impl Setup {
        /// Actors running `scripts` (`sh -c`), a full token, and a marker directory.
        async fn start(scripts: &[String], tune: impl FnOnce(&mut EmulatorConfig)) -> Setup {
            let (fixture, _) = synth::generate(&synth::SynthConfig {
                actors: scripts.len().max(2),
                days: 1,
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
            let mark_dir = std::env::temp_dir().join(format!(
                "forge-emulator-events-{}-{}",
                std::process::id(),
                new_key()
            ));
            std::fs::create_dir_all(&mark_dir).expect("marker dir");
            let mut config = EmulatorConfig {
                rate_limits: false,
                system_info_interval: Duration::from_secs(3600),
                ..EmulatorConfig::default()
            };
            config
                .extra_env
                .push(("MARK_DIR".into(), mark_dir.to_string_lossy().into_owned()));
            let mut actors = Vec::new();
            for (actor, script) in fixture.actors.iter().zip(scripts) {
                config.actor_commands.insert(
                    actor.name().to_owned(),
                    vec!["sh".into(), "-c".into(), script.clone()],
                );
                actors.push(actor.id().to_owned());
            }
            tune(&mut config);
            let emu = Emulator::start(fixture, config).await.expect("starts");
            Setup {
                emu,
                token,
                actors,
                mark_dir,
            }
        }

        async fn post(&self, path: &str, body: Value) -> Value {
            reqwest::Client::new()
                .post(format!("{}{path}", self.emu.base_url()))
                .bearer_auth(&self.token)
                .json(&body)
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("JSON")
        }

        /// Starts a run of actor `i` and waits until its process says it is waiting.
        async fn start_run(&self, i: usize) -> String {
            let path = format!("/v2/actors/{}/runs", self.actors[i]);
            let started = self.post(&path, json!({"x": 1})).await;
            let run_id = started["data"]["id"].as_str().expect("run id").to_owned();
            self.wait_log(&run_id, "waiting").await;
            run_id
        }

        async fn wait_log(&self, run_id: &str, text: &str) {
            wait_until(&format!("{text:?} in the log of {run_id}"), || {
                self.emu
                    .run_log(run_id)
                    .is_some_and(|log| log.contains(text))
            })
            .await;
        }

        async fn finished(&self, run_id: &str) -> Value {
            wait_until(&format!("{run_id} finished"), || {
                self.emu
                    .run(run_id)
                    .is_some_and(|r| r["finishedAt"].is_string())
            })
            .await;
            self.emu.run(run_id).expect("run")
        }

        async fn connect(&self, run_id: &str) -> Client {
            let url = self.emu.events_url(run_id).expect("a process run");
            let (ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("connects");
            ws
        }

        async fn shutdown(self) {
            self.emu.shutdown().await;
            let _ = std::fs::remove_dir_all(&self.mark_dir);
        }
    }

    async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
        for _ in 0..1500 {
            if f() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("waited 30 s for {what}");
    }

    /// The next event frame (skipping `systemInfo` when asked); None once the server closed.
    async fn next_event(ws: &mut Client, skip_system_info: bool) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .expect("a frame or the close within 30 s");
            match frame {
                Some(Ok(tungstenite::Message::Text(text))) => {
                    let event: Value = serde_json::from_str(text.as_str()).expect("JSON");
                    if skip_system_info && event["name"] == SYSTEM_INFO {
                        continue;
                    }
                    return Some(event);
                }
                Some(Ok(tungstenite::Message::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    fn assert_event(event: &Value, name: &str, data: Value) {
        assert_eq!(event["name"], name, "{event}");
        assert_eq!(event["data"], data, "{event}");
        let created = event["createdAt"].as_str().expect("createdAt");
        assert!(crate::state::parse_time(created).is_some(), "{event}");
        assert_eq!(event.as_object().map(|o| o.len()), Some(3), "{event}");
    }

    #[tokio::test]
    async fn events_reach_every_connection_of_their_run_and_no_other() {
        let s = Setup::start(&[sleeper()], |c| {
            c.system_info_interval = Duration::from_millis(100);
        })
        .await;
        let (a, b) = (s.start_run(0).await, s.start_run(0).await);
        let (mut a1, mut a2, mut b1) = (
            s.connect(&a).await,
            s.connect(&a).await,
            s.connect(&b).await,
        );
        assert_eq!(s.emu.event_connections(&a), 2);
        assert_eq!(s.emu.event_connections(&b), 1);

        // systemInfo: periodic, with the platform's fields.
        let info = next_event(&mut a1, false).await.expect("an event");
        assert_eq!(info["name"], SYSTEM_INFO, "{info}");
        let data = &info["data"];
        for key in ["memAvgBytes", "memCurrentBytes", "memMaxBytes"] {
            assert!(
                data[key].as_f64().is_some_and(|m| m >= 0.0),
                "{key}: {info}"
            );
        }
        for key in ["cpuAvgUsage", "cpuMaxUsage", "cpuCurrentUsage"] {
            assert!(
                data[key].as_f64().is_some_and(|c| c >= 0.0),
                "{key}: {info}"
            );
        }
        assert!(data["isCpuOverloaded"].is_boolean(), "{info}");
        assert!(data["createdAt"].is_string(), "{info}");
        if cfg!(target_os = "linux") {
            assert!(data["memMaxBytes"].as_u64() > Some(0), "{info}");
            let run = s.emu.run(&a).expect("run");
            assert!(run["stats"]["memMaxBytes"].as_u64() > Some(0), "{run}");
        }

        // An event sent to run a reaches both of its connections, in order, and not run b.
        assert!(s
            .emu
            .send_event(&a, PERSIST_STATE, json!({"isMigrating": false})));
        assert!(s.emu.send_event(&a, "custom", json!({"n": 2})));
        for ws in [&mut a1, &mut a2] {
            let first = next_event(ws, true).await.expect("persistState");
            assert_event(&first, PERSIST_STATE, json!({"isMigrating": false}));
            let second = next_event(ws, true).await.expect("custom");
            assert_event(&second, "custom", json!({"n": 2}));
        }
        // b keeps receiving its own systemInfo only.
        for _ in 0..3 {
            let event = next_event(&mut b1, false).await.expect("b's systemInfo");
            assert_eq!(event["name"], SYSTEM_INFO, "{event}");
        }
        assert!(!s
            .emu
            .send_event("NoSuchRun00000000", PERSIST_STATE, json!({})));

        // The run's end closes its connections.
        s.post(&format!("/v2/actor-runs/{b}/abort"), json!({}))
            .await;
        assert_eq!(next_event(&mut b1, true).await, None);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn a_wrong_key_another_runs_key_and_a_finished_run_are_refused() {
        let s = Setup::start(&[sleeper()], |_| {}).await;
        let (a, b) = (s.start_run(0).await, s.start_run(0).await);
        let url_a = s.emu.events_url(&a).expect("url");
        let key_a = url_a.rsplit('/').next().expect("key").to_owned();
        assert_eq!(key_a.len(), 32);
        let refused = |url: String| async move {
            match tokio_tungstenite::connect_async(url).await {
                Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
                Ok(_) => panic!("connected"),
                Err(e) => panic!("unexpected {e}"),
            }
        };
        let wrong = url_a.replace(&key_a, &"0".repeat(32));
        assert_eq!(refused(wrong).await, 404);
        let crossed = s
            .emu
            .events_url(&b)
            .expect("url")
            .rsplit_once('/')
            .map(|(base, _)| format!("{base}/{key_a}"))
            .expect("path");
        assert_eq!(refused(crossed).await, 404);
        assert_eq!(refused(url_a.replace(&a, "NoSuchRun00000000")).await, 404);
        // A plain request with the right key is no websocket.
        let http = url_a.replacen("ws://", "http://", 1);
        let resp = reqwest::get(http).await.expect("answered");
        assert_eq!(resp.status().as_u16(), 400);

        s.post(&format!("/v2/actor-runs/{a}/abort"), json!({}))
            .await;
        assert_eq!(s.finished(&a).await["status"], "ABORTED");
        assert_eq!(refused(url_a).await, 404);
        // Nothing of the websocket (nor its key) is in the audit log.
        let audit = s.emu.audit_log();
        assert!(!audit.is_empty());
        assert!(audit
            .iter()
            .all(|e| !e.path.starts_with(EVENTS_PATH_PREFIX)));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn a_graceful_abort_sends_aborting_and_persist_state_then_kills_after_the_grace() {
        let s = Setup::start(&[sleeper()], |c| {
            c.abort_grace = Duration::from_millis(800);
        })
        .await;
        let run = s.start_run(0).await;
        let mut ws = s.connect(&run).await;
        let path = format!("/v2/actor-runs/{run}/abort?gracefully=true");
        let answer = s.post(&path, json!({})).await;
        assert_eq!(answer["data"]["status"], "ABORTING", "{answer}");
        let first = next_event(&mut ws, true).await.expect("aborting");
        assert_event(&first, ABORTING, json!({}));
        let second = next_event(&mut ws, true).await.expect("persistState");
        assert_event(&second, PERSIST_STATE, json!({"isMigrating": false}));
        // `sleep` ignores the events: the grace runs out and the run is killed.
        let done = s.finished(&run).await;
        assert_eq!(done["status"], "ABORTED", "{done}");
        assert_eq!(next_event(&mut ws, true).await, None, "closed at the end");
        let log = s.emu.run_log(&run).unwrap_or_default();
        assert!(log.contains("force-stopped after the grace"), "{log}");
        assert!(!s.emu.migrate_run(&run, Migration::Events));
        s.shutdown().await;

        // With a long grace, a second, plain abort kills at once.
        let s = Setup::start(&[sleeper()], |c| {
            c.abort_grace = Duration::from_secs(600);
        })
        .await;
        let run = s.start_run(0).await;
        let path = format!("/v2/actors/{}/runs/{run}/abort?gracefully=1", s.actors[0]);
        assert_eq!(s.post(&path, json!({})).await["data"]["status"], "ABORTING");
        assert!(!s.emu.kill_run_process(&run), "not RUNNING while aborting");
        assert!(!s.emu.migrate_run(&run, Migration::Sigterm));
        let now = s
            .post(&format!("/v2/actor-runs/{run}/abort"), json!({}))
            .await;
        assert_eq!(now["data"]["status"], "ABORTED", "{now}");
        s.shutdown().await;
    }

    /// The env line each process of the run printed.
    fn env_lines(log: &str) -> Vec<&str> {
        log.lines()
            .filter_map(|l| l.split_once(" env ").map(|(_, rest)| rest))
            .collect()
    }

    #[tokio::test]
    async fn a_migration_restarts_the_run_with_the_same_env_and_storages() {
        let s = Setup::start(&[stops_on_sigterm()], |c| {
            c.migration_grace = Duration::from_millis(400);
            c.stop_grace = Duration::from_secs(10);
        })
        .await;
        let run = s.start_run(0).await;
        let mut ws = s.connect(&run).await;
        assert_eq!(s.emu.run_process_count(&run), 1);
        assert!(s.emu.migrate_run(&run, Migration::Events));
        assert!(
            !s.emu.migrate_run(&run, Migration::Events),
            "one migration at a time"
        );
        let first = next_event(&mut ws, true).await.expect("migrating");
        assert_event(&first, MIGRATING, json!({"timeRemainingSecs": 0.4}));
        let second = next_event(&mut ws, true).await.expect("persistState");
        assert_event(&second, PERSIST_STATE, json!({"isMigrating": true}));
        assert_eq!(
            s.emu.run(&run).expect("run")["status"],
            "RUNNING",
            "RUNNING while migrating"
        );
        // The old process's connection ends with it.
        assert_eq!(next_event(&mut ws, true).await, None);

        // The first process exited 3 on SIGTERM; the second exits 0: the run SUCCEEDS.
        let done = s.finished(&run).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        assert_eq!(done["exitCode"], 0);
        assert_eq!(done["stats"]["migrationCount"], 1);
        assert_eq!(s.emu.run_process_count(&run), 2);
        let log = s.emu.run_log(&run).unwrap_or_default();
        for step in [
            "Migrating the run to another server",
            "SIGTERM",
            "got SIGTERM",
            "exited (code 3) for the migration",
            "Restarting the run on another server (migration 1)",
            "second process",
        ] {
            assert!(log.contains(step), "{step:?} in {log}");
        }
        let envs = env_lines(&log);
        assert_eq!(envs.len(), 2, "{log}");
        assert_eq!(envs[0], envs[1], "same env after the migration");
        assert!(envs[0].contains(&format!("run={run} ")), "{log}");
        let kvs = done["defaultKeyValueStoreId"].as_str().expect("kvs");
        assert!(envs[0].contains(&format!("kvs={kvs} ")), "{log}");
        let (_, input) = s.emu.kv_record(kvs, "INPUT").expect("the same INPUT");
        assert_eq!(
            serde_json::from_slice::<Value>(&input).ok(),
            Some(json!({"x": 1}))
        );
        assert!(!s.emu.migrate_run(&run, Migration::Events), "finished");
        s.shutdown().await;
    }

    #[tokio::test]
    async fn sigterm_migrations_send_no_events_and_an_ignored_sigterm_ends_in_sigkill() {
        let s = Setup::start(&[stops_on_sigterm(), ignores_sigterm()], |c| {
            c.stop_grace = Duration::from_millis(500);
        })
        .await;
        // Persists on SIGTERM: no event before the connection closes.
        let run = s.start_run(0).await;
        let mut ws = s.connect(&run).await;
        assert!(s.emu.migrate_run(&run, Migration::Sigterm));
        assert_eq!(next_event(&mut ws, false).await, None, "no events");
        let done = s.finished(&run).await;
        assert_eq!(
            (&done["status"], &done["stats"]["migrationCount"]),
            (&json!("SUCCEEDED"), &json!(1))
        );
        assert!(s
            .emu
            .run_log(&run)
            .is_some_and(|l| l.contains("got SIGTERM")));

        // Ignores SIGTERM: SIGKILL after the stop grace, then the restart.
        let run = s.start_run(1).await;
        assert!(s.emu.migrate_run(&run, Migration::Sigterm));
        let done = s.finished(&run).await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}");
        assert_eq!(done["stats"]["migrationCount"], 1);
        assert_eq!(s.emu.run_process_count(&run), 2);
        let log = s.emu.run_log(&run).unwrap_or_default();
        assert!(log.contains("did not stop after SIGTERM"), "{log}");
        let envs = env_lines(&log);
        assert!(envs.len() == 2 && envs[0] == envs[1], "{log}");
        s.shutdown().await;
    }

    #[tokio::test]
    async fn a_kill_or_an_abort_during_a_migration_ends_the_run() {
        let s = Setup::start(&[ignores_sigterm()], |c| {
            c.migration_grace = Duration::from_secs(600);
        })
        .await;
        let run = s.start_run(0).await;
        assert!(s.emu.migrate_run(&run, Migration::Events));
        s.wait_log(&run, "Migrating the run").await;
        assert!(s.emu.kill_run_process(&run));
        let done = s.finished(&run).await;
        assert_eq!(
            (&done["status"], &done["exitCode"]),
            (&json!("FAILED"), &json!(137))
        );
        assert_eq!(done["stats"]["migrationCount"], 0);
        assert_eq!(s.emu.run_process_count(&run), 1);

        let run = s.start_run(0).await;
        assert!(s.emu.migrate_run(&run, Migration::Events));
        s.wait_log(&run, "Migrating the run").await;
        let aborted = s
            .post(&format!("/v2/actor-runs/{run}/abort"), json!({}))
            .await;
        assert_eq!(aborted["data"]["status"], "ABORTED", "{aborted}");
        s.shutdown().await;
    }
}
