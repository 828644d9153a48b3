//! The platform's lifecycle events, as a run sees them: the events websocket at
//! `ACTOR_EVENTS_WEBSOCKET_URL` (research §7.2: JSON text frames `{name, createdAt, data}`) and
//! SIGTERM, which a container gets when it is stopped and which is read like `migrating`.
//!
//! What matters to a run is one value, [`Lifecycle::stop`]: `None` while it may go on,
//! [`Stop::Migrating`] once the platform moves it to another server (it is restarted there with
//! the same storages and resumes from its progress record, [`crate::resume`]), and
//! [`Stop::Aborting`] once the user aborts it gracefully. `systemInfo` and a `persistState`
//! without `isMigrating` change nothing: progress is persisted eagerly, after every side
//! effect, not on request. Without a websocket URL (the CLI flow, a local run) nothing connects.

use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Why a run must stop before it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `migrating`, `persistState {isMigrating: true}` or SIGTERM: persist and exit; the
    /// platform restarts the run elsewhere with the same storages.
    Migrating,
    /// `aborting`: a graceful abort by the user (or the run's cost limit): stop cleanly.
    Aborting,
}

/// One frame of the events websocket, as far as a run acts on it.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformEvent {
    Migrating {
        time_remaining_secs: Option<f64>,
    },
    PersistState {
        is_migrating: bool,
    },
    Aborting,
    SystemInfo,
    /// Any other name (`cpuInfo`, future events): ignored.
    Other(String),
}

impl PlatformEvent {
    /// Parses a text frame; `None` when it is not an event object (ignored, never an error).
    pub fn parse(text: &str) -> Option<PlatformEvent> {
        let v: Value = serde_json::from_str(text).ok()?;
        let name = v.get("name")?.as_str()?;
        let data = v.get("data").unwrap_or(&Value::Null);
        Some(match name {
            "migrating" => PlatformEvent::Migrating {
                time_remaining_secs: data.get("timeRemainingSecs").and_then(Value::as_f64),
            },
            "persistState" => PlatformEvent::PersistState {
                is_migrating: data.get("isMigrating").and_then(Value::as_bool) == Some(true),
            },
            "aborting" => PlatformEvent::Aborting,
            "systemInfo" => PlatformEvent::SystemInfo,
            other => PlatformEvent::Other(other.to_string()),
        })
    }

    /// The stop this event asks for, if any.
    pub fn stop(&self) -> Option<Stop> {
        match self {
            PlatformEvent::Migrating { .. } => Some(Stop::Migrating),
            PlatformEvent::PersistState { is_migrating: true } => Some(Stop::Migrating),
            PlatformEvent::Aborting => Some(Stop::Aborting),
            _ => None,
        }
    }
}

/// Whether the run must stop, shared by the runner and the tools. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    tx: Arc<watch::Sender<Option<Stop>>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::never()
    }
}

impl Lifecycle {
    /// A lifecycle nothing stops from outside (the CLI flow, tests); [`Lifecycle::trigger`]
    /// still works.
    pub fn never() -> Lifecycle {
        let (tx, _) = watch::channel(None);
        Lifecycle { tx: Arc::new(tx) }
    }

    /// Listens to the platform: the events websocket when `url` is set, and SIGTERM when
    /// `sigterm` (on the platform; the CLI keeps the default, so a terminal's signals stop it
    /// as always). Must be called inside a Tokio runtime.
    pub fn listen(url: Option<&SecretString>, sigterm: bool) -> Lifecycle {
        let lifecycle = Lifecycle::never();
        if let Some(url) = url {
            tokio::spawn(websocket(url.clone(), lifecycle.clone()));
        }
        if sigterm {
            listen_sigterm(lifecycle.clone());
        }
        lifecycle
    }

    /// The stop asked for so far, if any.
    pub fn stop(&self) -> Option<Stop> {
        *self.tx.borrow()
    }

    /// Records a stop. An abort outranks a migration (the user's decision is final); nothing
    /// outranks an abort.
    pub fn trigger(&self, stop: Stop) {
        self.tx.send_if_modified(|current| match (*current, stop) {
            (None, _) | (Some(Stop::Migrating), Stop::Aborting) => {
                *current = Some(stop);
                true
            }
            _ => false,
        });
    }

    /// Resolves once a stop is asked for (at once if it already was).
    pub async fn stopped(&self) -> Stop {
        let mut rx = self.tx.subscribe();
        let stop = match rx.wait_for(Option::is_some).await {
            Ok(stop) => *stop,
            // The sender lives in `self`: it cannot be dropped while this waits.
            Err(_) => None,
        };
        match stop {
            Some(stop) => stop,
            None => std::future::pending().await,
        }
    }
}

#[cfg(unix)]
fn listen_sigterm(lifecycle: Lifecycle) {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::spawn(async move {
                if term.recv().await.is_some() {
                    tracing::info!("SIGTERM: the platform is stopping this process; saving progress and exiting");
                    lifecycle.trigger(Stop::Migrating);
                }
            });
        }
        Err(e) => tracing::warn!("cannot listen for SIGTERM: {e}"),
    }
}

#[cfg(not(unix))]
fn listen_sigterm(_: Lifecycle) {}

/// Reads the events websocket until the process ends, reconnecting with a growing pause when
/// the connection drops (the platform closes it when it moves the run). The URL holds a secret
/// key: it is in no log line, and errors are reported by kind only.
async fn websocket(url: SecretString, lifecycle: Lifecycle) {
    let mut pause = Duration::from_millis(200);
    let mut warned = false;
    loop {
        match tokio_tungstenite::connect_async(url.expose_secret()).await {
            Ok((mut stream, _)) => {
                tracing::debug!("connected to the platform events websocket");
                pause = Duration::from_millis(200);
                while let Some(frame) = stream.next().await {
                    let Ok(frame) = frame else { break };
                    let text = match frame {
                        tokio_tungstenite::tungstenite::Message::Text(t) => t,
                        tokio_tungstenite::tungstenite::Message::Close(_) => break,
                        _ => continue,
                    };
                    let Some(event) = PlatformEvent::parse(text.as_str()) else {
                        continue;
                    };
                    if let Some(stop) = event.stop() {
                        tracing::info!("platform event {event:?}: saving progress and stopping");
                        lifecycle.trigger(stop);
                    }
                }
            }
            Err(e) => {
                if !warned {
                    tracing::warn!(
                        "the platform events websocket is unavailable ({}); a migration is then seen through SIGTERM only",
                        error_kind(&e)
                    );
                    warned = true;
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// A tungstenite error without its details (which may quote the URL).
fn error_kind(e: &tokio_tungstenite::tungstenite::Error) -> &'static str {
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::Io(_) => "connection failed",
        E::Url(_) => "not a ws:// URL",
        E::Http(_) => "refused by the server",
        E::Tls(_) => "TLS failed",
        E::Protocol(_) => "protocol error",
        _ => "websocket error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    #[test]
    fn frames_parse_into_the_stops_they_ask_for() {
        let stop = |t: &str| PlatformEvent::parse(t).and_then(|e| e.stop());
        assert_eq!(
            stop(r#"{"name":"migrating","createdAt":"x","data":{"timeRemainingSecs":30}}"#),
            Some(Stop::Migrating)
        );
        assert_eq!(
            PlatformEvent::parse(r#"{"name":"migrating","data":{"timeRemainingSecs":30}}"#),
            Some(PlatformEvent::Migrating {
                time_remaining_secs: Some(30.0)
            })
        );
        assert_eq!(
            stop(r#"{"name":"persistState","data":{"isMigrating":true}}"#),
            Some(Stop::Migrating)
        );
        assert_eq!(
            stop(r#"{"name":"persistState","data":{"isMigrating":false}}"#),
            None
        );
        assert_eq!(
            stop(r#"{"name":"aborting","data":{}}"#),
            Some(Stop::Aborting)
        );
        assert_eq!(stop(r#"{"name":"aborting"}"#), Some(Stop::Aborting));
        assert_eq!(
            stop(r#"{"name":"systemInfo","data":{"memAvgBytes":1}}"#),
            None
        );
        assert_eq!(stop(r#"{"name":"cpuInfo","data":{}}"#), None);
        assert_eq!(PlatformEvent::parse("not json"), None);
        assert_eq!(PlatformEvent::parse(r#"{"data":{}}"#), None);
        assert_eq!(PlatformEvent::parse(r#"[1,2]"#), None);
    }

    #[tokio::test]
    async fn an_abort_outranks_a_migration_and_nothing_outranks_an_abort() {
        let l = Lifecycle::never();
        assert_eq!(l.stop(), None);
        l.trigger(Stop::Migrating);
        assert_eq!(l.stopped().await, Stop::Migrating);
        l.trigger(Stop::Aborting);
        assert_eq!(l.stop(), Some(Stop::Aborting));
        l.trigger(Stop::Migrating);
        assert_eq!(l.stop(), Some(Stop::Aborting));
    }

    /// A tiny events server: accepts connections and sends each the frames it is given.
    async fn server(frames: Vec<&'static str>) -> (String, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/_events/run/secret", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            // The first connection is closed at once: the client must reconnect.
            if let Ok((tcp, _)) = listener.accept().await {
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                let _ = ws.close(None).await;
            }
            while let Ok((tcp, _)) = listener.accept().await {
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                for f in &frames {
                    ws.send(Message::text(*f)).await.unwrap();
                }
                // Keep it open, as the platform does.
                while ws.next().await.is_some() {}
            }
        });
        (url, task)
    }

    #[tokio::test]
    async fn the_client_reconnects_ignores_noise_and_sees_a_migration() {
        let (url, task) = server(vec![
            r#"{"name":"systemInfo","createdAt":"2026-01-01T00:00:00.000Z","data":{"memAvgBytes":1}}"#,
            "garbage",
            r#"{"name":"persistState","data":{"isMigrating":false}}"#,
            r#"{"name":"migrating","createdAt":"2026-01-01T00:00:00.000Z","data":{"timeRemainingSecs":30}}"#,
        ])
        .await;
        let l = Lifecycle::listen(Some(&SecretString::from(url)), false);
        let stop = tokio::time::timeout(Duration::from_secs(10), l.stopped())
            .await
            .expect("the migration arrives");
        assert_eq!(stop, Stop::Migrating);
        task.abort();
    }

    #[tokio::test]
    async fn an_aborting_event_stops_the_run() {
        let (url, task) = server(vec![
            r#"{"name":"aborting","createdAt":"2026-01-01T00:00:00.000Z","data":{}}"#,
            r#"{"name":"persistState","data":{"isMigrating":false}}"#,
        ])
        .await;
        let l = Lifecycle::listen(Some(&SecretString::from(url)), false);
        let stop = tokio::time::timeout(Duration::from_secs(10), l.stopped())
            .await
            .expect("the abort arrives");
        assert_eq!(stop, Stop::Aborting);
        task.abort();
    }

    #[tokio::test]
    async fn no_server_means_no_stop_and_no_panic() {
        // Port 9 (discard): nothing answers a websocket handshake there.
        let l = Lifecycle::listen(Some(&SecretString::from("ws://127.0.0.1:9/x")), false);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(l.stop(), None);
        let none = Lifecycle::listen(None, false);
        assert_eq!(none.stop(), None);
    }
}
