//! Seeded fault injection: the API misbehaving as real networks and proxies make it misbehave
//! (429 storms, 500/502/503, connections reset, slow answers, bodies cut short), so the
//! clients' retry logic can be measured against it.
//!
//! Every decision is a hash of (seed, method, path, query, how many times the same caller (token)
//! sent this exact request before), never of a global counter: the same requests draw the same
//! faults however they interleave, and `max_consecutive` holds for each caller even when several
//! processes ask the same thing at once. For a request made with a run token, the run's own ids (run, default store,
//! default dataset) are replaced by placeholders first, so a plan faults the same requests of
//! every run of the same tool, whatever ids the emulator gave it.
//!
//! Two families:
//! - before the handler ([`FaultKind::RateLimit`], [`FaultKind::ServerError`],
//!   [`FaultKind::Reset`]): the handler never runs, so any request may get them, even one that
//!   starts a run or pushes items: nothing happened, a retry repeats nothing;
//! - after the handler ([`FaultKind::Slow`], [`FaultKind::TruncatedBody`],
//!   [`FaultKind::MalformedJson`]): the side effect happened and the answer is late or damaged,
//!   so a client may re-send. They apply only to requests that are safe to repeat
//!   ([`repeatable`]): GET, HEAD, PUT, DELETE and `POST …/charge` (idempotency key); never a
//!   POST that starts a run or pushes dataset items, nor a `run-sync` call of any method.
//!
//! The audit log records the status the client saw: the status sent, or 0 when no usable
//! answer arrived ([`FaultKind::Reset`], [`FaultKind::TruncatedBody`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// One kind of transient fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// 429 with Apify's `rate-limit-exceeded` envelope; the handler does not run.
    RateLimit,
    /// 500 with Apify's `internal-server-error` envelope, or 502/503 (any other 5xx) with the
    /// HTML page a proxy sends; the handler does not run.
    ServerError(u16),
    /// The connection is closed without any answer; the handler does not run.
    Reset,
    /// The right answer, this much later (after the handler ran).
    Slow(Duration),
    /// The handler ran; the head announces the full `Content-Length`, the body stops half-way
    /// and the connection closes.
    TruncatedBody,
    /// The handler ran; a complete 2xx whose JSON is cut half-way, with a `Content-Length` that
    /// matches what is sent (a broken proxy). Only JSON answers with a body get it.
    MalformedJson,
}

impl FaultKind {
    /// A short name for tables and [`FaultStats::injected`]: `429`, `500`, `502`, `reset`,
    /// `slow`, `truncated-body`, `malformed-json`.
    pub fn label(&self) -> String {
        match self {
            FaultKind::RateLimit => "429".into(),
            FaultKind::ServerError(s) => s.to_string(),
            FaultKind::Reset => "reset".into(),
            FaultKind::Slow(_) => "slow".into(),
            FaultKind::TruncatedBody => "truncated-body".into(),
            FaultKind::MalformedJson => "malformed-json".into(),
        }
    }

    /// Whether the fault replaces the handler (true) or damages its answer (false).
    pub fn before_handler(&self) -> bool {
        matches!(
            self,
            FaultKind::RateLimit | FaultKind::ServerError(_) | FaultKind::Reset
        )
    }
}

/// Which requests a plan may fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultTarget {
    /// Every request.
    All,
    /// Only requests authenticated by a run's token, i.e. made by Actor processes: a harness
    /// starts runs and reads results with a fixture token, untouched.
    #[default]
    RunTokens,
}

/// A request that always gets `status` (with the body [`FaultKind::ServerError`] or
/// [`FaultKind::RateLimit`] would send, or Apify's envelope for other statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermanentFault {
    /// `GET`, `POST`... (any case); None: every method.
    pub method: Option<String>,
    /// A substring of the path (without the query), e.g. `/runs` or `/items`.
    pub path_contains: String,
    pub status: u16,
}

/// What to inject. [`FaultPlan::default`] injects nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub seed: u64,
    /// Probability that a targeted request gets a transient fault, in `[0, 1]`.
    pub rate: f64,
    /// The transient kinds and their relative weights.
    pub kinds: Vec<(FaultKind, u32)>,
    /// At most this many faults in a row for the same request (same key), then one passes:
    /// a client with a larger retry budget survives the plan.
    pub max_consecutive: u32,
    pub target: FaultTarget,
    /// Checked before the transient draw; a match always fails.
    pub permanent: Vec<PermanentFault>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            seed: 0,
            rate: 0.0,
            kinds: Vec::new(),
            max_consecutive: 3,
            target: FaultTarget::RunTokens,
            permanent: Vec::new(),
        }
    }
}

impl FaultPlan {
    /// Transient faults of `kinds` (equal weights) at `rate`, at most 3 in a row per request,
    /// on the requests of Actor processes.
    pub fn transient(seed: u64, rate: f64, kinds: &[FaultKind]) -> FaultPlan {
        FaultPlan {
            seed,
            rate,
            kinds: kinds.iter().map(|k| (*k, 1)).collect(),
            ..FaultPlan::default()
        }
    }

    /// Only permanent faults, on the requests of Actor processes.
    pub fn permanent(faults: Vec<PermanentFault>) -> FaultPlan {
        FaultPlan {
            permanent: faults,
            ..FaultPlan::default()
        }
    }
}

/// What the injector did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultStats {
    /// Requests seen while a plan was set.
    pub requests: u64,
    /// Of those, the requests the plan's target covers.
    pub targeted: u64,
    /// Transient faults actually injected, by [`FaultKind::label`]. A fault after the handler
    /// that found nothing to damage (e.g. malformed JSON for an empty answer) is not counted.
    pub injected: BTreeMap<String, u64>,
    /// Answers forced by a [`PermanentFault`].
    pub permanent: u64,
}

impl FaultStats {
    /// Transient faults injected, all kinds.
    pub fn injected_total(&self) -> u64 {
        self.injected.values().sum()
    }
}

/// Whether a request may be sent twice without repeating a side effect: the requests that
/// faults after the handler may touch.
pub fn repeatable(method: &str, path: &str) -> bool {
    // `run-sync` starts a run whatever the method.
    if path.contains("/run-sync") {
        return false;
    }
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" => true,
        "POST" => path.ends_with("/charge"),
        _ => false,
    }
}

/// What the middleware knows about a request before running it.
pub(crate) struct RequestFacts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// For a run token: the run's id, default key-value store id and default dataset id.
    pub own_run: Option<[&'a str; 3]>,
    /// Who asks (the token's id; empty without one): each caller has its own count of
    /// repetitions and of faults in a row, so processes asking the same thing at the same
    /// time neither shift each other's draws nor stretch each other's runs of faults.
    pub caller: &'a str,
    /// A protocol upgrade (the events websocket): never faulted.
    pub upgrade: bool,
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    Pass,
    Permanent(u16),
    /// `slot`: the caller's state of this request, for [`Injector::not_applied`].
    Inject {
        kind: FaultKind,
        slot: String,
    },
}

#[derive(Debug, Default)]
struct KeyState {
    seen: u64,
    consecutive: u32,
}

/// The plan and its state, one per emulator.
#[derive(Debug)]
pub(crate) struct Injector {
    plan: FaultPlan,
    keys: Mutex<HashMap<String, KeyState>>,
    stats: Mutex<FaultStats>,
}

impl Injector {
    pub fn new(plan: FaultPlan) -> Injector {
        Injector {
            plan,
            keys: Mutex::new(HashMap::new()),
            stats: Mutex::new(FaultStats::default()),
        }
    }

    pub fn stats(&self) -> FaultStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn count(&self, f: impl FnOnce(&mut FaultStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub fn decide(&self, req: &RequestFacts<'_>) -> Decision {
        self.count(|s| s.requests += 1);
        if req.upgrade || (self.plan.target == FaultTarget::RunTokens && req.own_run.is_none()) {
            return Decision::Pass;
        }
        self.count(|s| s.targeted += 1);
        if let Some(p) = self.plan.permanent.iter().find(|p| {
            p.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(req.method))
                && req.path.contains(&p.path_contains)
        }) {
            self.count(|s| s.permanent += 1);
            return Decision::Permanent(p.status);
        }
        let total_weight: u64 = self.plan.kinds.iter().map(|(_, w)| u64::from(*w)).sum();
        if self.plan.rate <= 0.0 || total_weight == 0 {
            return Decision::Pass;
        }
        let key = request_key(req);
        let slot = format!("{}\n{key}", req.caller);
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let state = keys.entry(slot.clone()).or_default();
        let n = state.seen;
        state.seen += 1;
        if state.consecutive >= self.plan.max_consecutive {
            state.consecutive = 0;
            return Decision::Pass;
        }
        if unit(draw(self.plan.seed, &key, n, 0)) >= self.plan.rate {
            state.consecutive = 0;
            return Decision::Pass;
        }
        let mut pick = draw(self.plan.seed, &key, n, 1) % total_weight;
        let mut kind = self.plan.kinds[0].0;
        for (k, w) in &self.plan.kinds {
            if pick < u64::from(*w) {
                kind = *k;
                break;
            }
            pick -= u64::from(*w);
        }
        if !kind.before_handler() && !repeatable(req.method, req.path) {
            state.consecutive = 0;
            return Decision::Pass;
        }
        state.consecutive += 1;
        Decision::Inject { kind, slot }
    }

    /// A fault the answer carried.
    fn applied(&self, kind: FaultKind) {
        self.count(|s| *s.injected.entry(kind.label()).or_default() += 1);
    }

    /// A fault after the handler found nothing to damage: the request passed.
    fn not_applied(&self, slot: &str) {
        if let Some(state) = self
            .keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(slot)
        {
            state.consecutive = 0;
        }
    }
}

/// The request as the plan sees it: method, path and query, the run's own ids replaced.
fn request_key(req: &RequestFacts<'_>) -> String {
    let mut key = format!("{} {}?{}", req.method, req.path, req.query);
    if let Some(ids) = req.own_run {
        for (id, name) in ids.iter().zip(["{run}", "{store}", "{dataset}"]) {
            if !id.is_empty() {
                key = key.replace(id, name);
            }
        }
    }
    key
}

/// A 64-bit draw from (seed, key, n, salt): FNV-1a over the key, mixed by SplitMix64. Stable
/// across platforms and Rust versions (unlike `DefaultHasher`).
fn draw(seed: u64, key: &str, n: u64, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut x = mix(seed ^ mix(h));
    x = mix(x ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    mix(x ^ salt.wrapping_add(0x632b_e59b_d9b4_e019))
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A draw as a number in `[0, 1)`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Runs `handler` under the injector's decision and returns the answer with the status the
/// client saw (0: none). Without an injector, just the handler's answer.
pub(crate) async fn around(
    injector: Option<&Injector>,
    facts: &RequestFacts<'_>,
    handler: impl Future<Output = Response>,
) -> (Response, u16) {
    let decision = injector.map_or(Decision::Pass, |i| i.decide(facts));
    let (kind, slot) = match decision {
        Decision::Pass => {
            let resp = handler.await;
            let status = resp.status().as_u16();
            return (resp, status);
        }
        Decision::Permanent(status) => return (status_response(status), status),
        Decision::Inject { kind, slot } => (kind, slot),
    };
    let Some(injector) = injector else {
        // Unreachable: a fault is only drawn by an injector.
        let resp = handler.await;
        let status = resp.status().as_u16();
        return (resp, status);
    };
    match kind {
        FaultKind::RateLimit | FaultKind::ServerError(_) => {
            injector.applied(kind);
            let status = match kind {
                FaultKind::ServerError(s) => s,
                _ => 429,
            };
            (status_response(status), status)
        }
        FaultKind::Reset => {
            injector.applied(kind);
            (reset(), 0)
        }
        FaultKind::Slow(delay) => {
            let resp = handler.await;
            tokio::time::sleep(delay).await;
            injector.applied(kind);
            let status = resp.status().as_u16();
            (resp, status)
        }
        FaultKind::TruncatedBody | FaultKind::MalformedJson => {
            let resp = handler.await;
            let (resp, damaged) = damage(kind, resp).await;
            let status = resp.status().as_u16();
            if damaged {
                injector.applied(kind);
                (
                    resp,
                    if kind == FaultKind::TruncatedBody {
                        0
                    } else {
                        status
                    },
                )
            } else {
                injector.not_applied(&slot);
                (resp, status)
            }
        }
    }
}

/// The answer a fault or a permanent fault sends for `status`: Apify's envelopes for 429 and
/// 500 (and other statuses below 502), a proxy's HTML page for 502 and above.
fn status_response(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status {
        429 => ApiError::rate_limited(60).into_response(),
        500 => {
            ApiError::new(code, "internal-server-error", "Internal server error").into_response()
        }
        s if s >= 502 => {
            let reason = code.canonical_reason().unwrap_or("Error");
            let page = format!(
                "<html>\r\n<head><title>{s} {reason}</title></head>\r\n<body>\r\n<center><h1>{s} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
            );
            let mut resp = (code, page).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            resp
        }
        _ => ApiError::new(code, "internal-server-error", "Injected fault").into_response(),
    }
}

/// An answer whose body fails before its first byte: hyper drops the connection without
/// writing the head (the client sees the connection closed with no response).
fn reset() -> Response {
    let body = Body::from_stream(futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection reset",
        ))
    }));
    Response::new(body)
}

/// Damages the handler's answer; false when there was nothing to damage.
async fn damage(kind: FaultKind, resp: Response) -> (Response, bool) {
    let (mut parts, body) = resp.into_parts();
    // Answers are in memory already; a bound keeps a runaway answer from being copied.
    let bytes = match axum::body::to_bytes(body, 256 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return (reset(), true),
    };
    match kind {
        FaultKind::MalformedJson => {
            let is_json = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
            if !parts.status.is_success() || !is_json || bytes.len() < 2 {
                return (Response::from_parts(parts, Body::from(bytes)), false);
            }
            let cut = bytes.slice(..bytes.len() / 2);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(cut.len()));
            (Response::from_parts(parts, Body::from(cut)), true)
        }
        _ => {
            // The head promises every byte (at least one); half of them come, then the
            // connection closes.
            let announced = bytes.len().max(1);
            let half = bytes.slice(..bytes.len() / 2);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(announced));
            use futures_util::StreamExt;
            let first =
                futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(half) });
            // The pause lets hyper flush the head and the first half before the failure drops
            // the connection (without it, nothing would be written at all, like a reset).
            let then_fail = futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected fault: body truncated",
                ))
            });
            let body = Body::from_stream(first.chain(then_fail));
            (Response::from_parts(parts, body), true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(method: &'a str, path: &'a str, run: bool) -> RequestFacts<'a> {
        RequestFacts {
            method,
            path,
            query: "",
            own_run: run.then_some(["RUN1", "KVS1", "DS1"]),
            caller: if run { "run-token-RUN1" } else { "full" },
            upgrade: false,
        }
    }

    fn kinds_of(i: &Injector, method: &str, path: &str, times: usize) -> Vec<Option<FaultKind>> {
        (0..times)
            .map(|_| match i.decide(&facts(method, path, true)) {
                Decision::Inject { kind, .. } => Some(kind),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn decisions_depend_on_the_request_and_its_repetition_not_on_interleaving() {
        let plan = FaultPlan::transient(7, 0.4, &[FaultKind::RateLimit, FaultKind::Reset]);
        let (a, b) = (Injector::new(plan.clone()), Injector::new(plan.clone()));
        // a sees the two paths interleaved, b one after the other: each path draws the same.
        let mut a_x = Vec::new();
        let mut a_y = Vec::new();
        for _ in 0..50 {
            a_x.extend(kinds_of(&a, "GET", "/v2/actors/x/runs", 1));
            a_y.extend(kinds_of(&a, "GET", "/v2/actors/y/runs", 1));
        }
        assert_eq!(a_x, kinds_of(&b, "GET", "/v2/actors/x/runs", 50));
        assert_eq!(a_y, kinds_of(&b, "GET", "/v2/actors/y/runs", 50));
        assert_ne!(a_x, a_y, "different requests draw differently");
        let faulted = a_x.iter().flatten().count();
        assert!((8..=32).contains(&faulted), "about 40 % of 50: {faulted}");
        // Another seed, other draws.
        let c = Injector::new(FaultPlan { seed: 8, ..plan });
        assert_ne!(a_x, kinds_of(&c, "GET", "/v2/actors/x/runs", 50));
        assert_eq!(a.stats().injected_total(), 0, "counted when applied only");
    }

    #[test]
    fn the_run_own_ids_do_not_change_the_draws() {
        let plan = FaultPlan::transient(1, 0.5, &[FaultKind::RateLimit]);
        let (a, b) = (Injector::new(plan.clone()), Injector::new(plan));
        let draws = |i: &Injector, ids: [&str; 3]| -> Vec<bool> {
            let path = format!("/v2/key-value-stores/{}/records/OUTPUT", ids[1]);
            (0..20)
                .map(|_| {
                    let f = RequestFacts {
                        method: "PUT",
                        path: &path,
                        query: "",
                        own_run: Some(ids),
                        caller: ids[0],
                        upgrade: false,
                    };
                    matches!(i.decide(&f), Decision::Inject { .. })
                })
                .collect()
        };
        assert_eq!(
            draws(&a, ["r1", "storeAAAA", "d1"]),
            draws(&b, ["r2", "storeBBBB", "d2"])
        );
    }

    #[test]
    fn callers_asking_the_same_thing_at_once_keep_their_own_counts() {
        let plan = FaultPlan::transient(11, 0.6, &[FaultKind::RateLimit]);
        let (shared, alone) = (Injector::new(plan.clone()), Injector::new(plan));
        let ask = |i: &Injector, caller: &str| {
            let f = RequestFacts {
                caller,
                ..facts("GET", "/v2/actor-builds/B1", true)
            };
            matches!(i.decide(&f), Decision::Inject { .. })
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..200 {
            a.push(ask(&shared, "run-token-A"));
            b.push(ask(&shared, "run-token-B"));
        }
        let by_itself: Vec<bool> = (0..200).map(|_| ask(&alone, "run-token-A")).collect();
        assert_eq!(a, by_itself, "B's requests do not shift A's draws");
        assert_eq!(a, b, "the same request draws the same for every caller");
        let longest = a.split(|f| !f).map(<[_]>::len).max().unwrap_or(0);
        assert_eq!(longest, 3);
    }

    #[test]
    fn at_most_max_consecutive_faults_in_a_row_for_one_request() {
        let plan = FaultPlan {
            max_consecutive: 3,
            ..FaultPlan::transient(3, 1.0, &[FaultKind::ServerError(503)])
        };
        let i = Injector::new(plan);
        let got = kinds_of(&i, "GET", "/v2/actors", 8);
        let f = Some(FaultKind::ServerError(503));
        assert_eq!(got, [f, f, f, None, f, f, f, None]);
        // At 40 % the longest run of faults is 3 however long it goes.
        let i = Injector::new(FaultPlan::transient(9, 0.4, &[FaultKind::RateLimit]));
        let got = kinds_of(&i, "GET", "/v2/actors", 2000);
        let longest = got
            .split(Option::is_none)
            .map(<[_]>::len)
            .max()
            .unwrap_or(0);
        assert_eq!(longest, 3);
    }

    #[test]
    fn run_tokens_target_leaves_other_tokens_and_websockets_alone() {
        let plan = FaultPlan::transient(3, 1.0, &[FaultKind::RateLimit]);
        let i = Injector::new(plan.clone());
        assert_eq!(i.decide(&facts("GET", "/v2/actors", false)), Decision::Pass);
        let ws = RequestFacts {
            upgrade: true,
            ..facts("GET", "/v2/actor-runs/RUN1/events", true)
        };
        assert_eq!(i.decide(&ws), Decision::Pass);
        assert!(matches!(
            i.decide(&facts("GET", "/v2/actors", true)),
            Decision::Inject { .. }
        ));
        let s = i.stats();
        assert_eq!((s.requests, s.targeted), (3, 1));
        let all = Injector::new(FaultPlan {
            target: FaultTarget::All,
            ..plan
        });
        assert!(matches!(
            all.decide(&facts("GET", "/v2/actors", false)),
            Decision::Inject { .. }
        ));
    }

    #[test]
    fn damage_after_the_handler_only_for_requests_safe_to_repeat() {
        for kind in [
            FaultKind::Slow(Duration::from_millis(1)),
            FaultKind::TruncatedBody,
            FaultKind::MalformedJson,
        ] {
            let i = Injector::new(FaultPlan::transient(5, 1.0, &[kind]));
            for (method, path) in [
                ("POST", "/v2/acts/x/runs"),
                ("POST", "/v2/datasets/d/items"),
                ("POST", "/v2/actors/x/run-sync"),
                ("GET", "/v2/actors/x/run-sync-get-dataset-items"),
                ("POST", "/v2/actor-runs/r/abort"),
            ] {
                assert_eq!(
                    i.decide(&facts(method, path, true)),
                    Decision::Pass,
                    "{kind:?} {method} {path}"
                );
            }
            for (method, path) in [
                ("GET", "/v2/actors"),
                ("PUT", "/v2/key-value-stores/k/records/OUTPUT"),
                ("DELETE", "/v2/key-value-stores/k/records/X"),
                ("POST", "/v2/actor-runs/r/charge"),
            ] {
                assert!(
                    matches!(
                        i.decide(&facts(method, path, true)),
                        Decision::Inject { .. }
                    ),
                    "{kind:?} {method} {path}"
                );
            }
        }
        // Faults before the handler may hit anything: nothing ran.
        let i = Injector::new(FaultPlan::transient(5, 1.0, &[FaultKind::Reset]));
        assert!(matches!(
            i.decide(&facts("POST", "/v2/datasets/d/items", true)),
            Decision::Inject { .. }
        ));
    }

    #[test]
    fn permanent_faults_match_method_and_path_and_always_fail() {
        let plan = FaultPlan::permanent(vec![PermanentFault {
            method: Some("get".into()),
            path_contains: "/runs".into(),
            status: 503,
        }]);
        let i = Injector::new(plan);
        for _ in 0..5 {
            assert_eq!(
                i.decide(&facts("GET", "/v2/actors/a/runs", true)),
                Decision::Permanent(503)
            );
        }
        assert_eq!(
            i.decide(&facts("POST", "/v2/actors/a/runs", true)),
            Decision::Pass
        );
        assert_eq!(
            i.decide(&facts("GET", "/v2/actors/a/runs", false)),
            Decision::Pass
        );
        assert_eq!(i.stats().permanent, 5);
    }

    /// An emulator of a small fleet whose every request gets `kind`, and its full token.
    async fn faulty(kind: FaultKind) -> (crate::Emulator, String) {
        let (fixture, _) = crate::synth::generate(&crate::synth::SynthConfig {
            actors: 2,
            days: 2,
            runs_per_day: 1.0,
            ..crate::synth::SynthConfig::default()
        });
        let token = fixture
            .tokens
            .iter()
            .find(|t| t.permissions == crate::Permissions::Full)
            .expect("a full token")
            .token
            .clone();
        let config = crate::EmulatorConfig {
            faults: Some(FaultPlan {
                target: FaultTarget::All,
                max_consecutive: 1,
                ..FaultPlan::transient(1, 1.0, &[kind])
            }),
            ..crate::EmulatorConfig::default()
        };
        let emu = crate::Emulator::start(fixture, config)
            .await
            .expect("starts");
        (emu, token)
    }

    /// What reqwest (under apify-client) sees of each kind, and what the audit log records.
    #[tokio::test]
    async fn clients_see_each_kind_as_a_real_network_would_show_it() {
        let slow = Duration::from_millis(200);
        for (kind, expected, audited) in [
            (FaultKind::RateLimit, "429 json rate-limit-exceeded", 429),
            (
                FaultKind::ServerError(500),
                "500 json internal-server-error",
                500,
            ),
            (FaultKind::ServerError(503), "503 html", 503),
            (FaultKind::Reset, "no answer", 0),
            (FaultKind::Slow(slow), "200 json", 200),
            (FaultKind::TruncatedBody, "200, body cut", 0),
            (FaultKind::MalformedJson, "200 not json", 200),
        ] {
            let (emu, token) = faulty(kind).await;
            let client = reqwest::Client::new();
            let url = format!("{}/v2/actors?my=1", emu.base_url());
            let started = std::time::Instant::now();
            let seen = match client.get(&url).bearer_auth(&token).send().await {
                Err(_) => "no answer".to_owned(),
                Ok(r) => {
                    let status = r.status().as_u16();
                    let html = r
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
                    match r.bytes().await {
                        Err(_) => format!("{status}, body cut"),
                        Ok(b) => match serde_json::from_slice::<serde_json::Value>(&b) {
                            Ok(v) => match v["error"]["type"].as_str() {
                                Some(t) => format!("{status} json {t}"),
                                None => format!("{status} json"),
                            },
                            Err(_) if html => format!("{status} html"),
                            Err(_) => format!("{status} not json"),
                        },
                    }
                }
            };
            assert_eq!(seen, expected, "{kind:?}");
            if let FaultKind::Slow(d) = kind {
                assert!(started.elapsed() >= d, "{kind:?}");
            }
            // max_consecutive 1: the retry passes.
            let again = client.get(&url).bearer_auth(&token).send().await;
            assert_eq!(again.map(|r| r.status().as_u16()).ok(), Some(200));
            let audit: Vec<u16> = emu.audit_log().iter().map(|e| e.status).collect();
            assert_eq!(audit, [audited, 200], "{kind:?}");
            let stats = emu.fault_stats();
            assert_eq!((stats.requests, stats.injected_total()), (2, 1), "{kind:?}");
            assert_eq!(stats.injected.get(&kind.label()), Some(&1), "{kind:?}");
            emu.shutdown().await;
        }
    }
}
