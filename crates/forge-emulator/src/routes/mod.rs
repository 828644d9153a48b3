//! HTTP surface: the route table, the audit middleware and small request helpers.

mod actors;
mod runs;
mod storage;
mod users;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::decompression::RequestDecompressionLayer;

use crate::auth::{self, AuthOutcome, ResourceSlot};
use crate::error::{raw_json_response, ApiError, ApiResult};
use crate::{App, AuditEntry};

/// Apify's request body limit, measured after decompression (apify-shared `MAX_PAYLOAD_SIZE_BYTES`).
pub(crate) const MAX_PAYLOAD_BYTES: usize = 9_437_184;
/// Maximum and default `limit` of list endpoints.
const MAX_LIST_LIMIT: usize = 1000;

pub(crate) fn router(app: App) -> Router {
    let mut r = Router::new().route("/v2/users/me", get(users::me));
    // `/v2/acts/...` is the deprecated alias of `/v2/actors/...`; both reach the same handlers.
    for p in ["/v2/actors", "/v2/acts"] {
        r = r
            .route(p, get(actors::list))
            .route(&format!("{p}/{{actorId}}"), get(actors::get))
            .route(&format!("{p}/{{actorId}}/builds"), get(actors::builds))
            .route(
                &format!("{p}/{{actorId}}/builds/{{buildId}}"),
                get(actors::actor_build),
            )
            .route(
                &format!("{p}/{{actorId}}/runs"),
                get(runs::list_actor_runs).post(runs::start),
            )
            .route(&format!("{p}/{{actorId}}/runs/last"), get(runs::last))
            .route(
                &format!("{p}/{{actorId}}/runs/{{runId}}"),
                get(runs::get_actor_run),
            )
            .route(
                &format!("{p}/{{actorId}}/runs/{{runId}}/abort"),
                post(runs::abort_actor_run),
            )
            .route(
                &format!("{p}/{{actorId}}/run-sync-get-dataset-items"),
                post(runs::run_sync_get_dataset_items).get(runs::run_sync_get_dataset_items),
            )
            .route(
                &format!("{p}/{{actorId}}/run-sync"),
                post(runs::run_sync).get(runs::run_sync),
            );
    }
    r.route("/v2/actor-builds/{buildId}", get(actors::build))
        .route("/v2/actor-runs", get(runs::list_all))
        .route(
            "/v2/actor-runs/{runId}",
            get(runs::get_run).put(runs::update_run),
        )
        .route("/v2/actor-runs/{runId}/abort", post(runs::abort))
        .route("/v2/actor-runs/{runId}/charge", post(runs::charge))
        .route("/v2/actor-runs/{runId}/log", get(runs::log))
        .route("/v2/logs/{runId}", get(runs::log))
        .route(
            "/v2/actor-runs/{runId}/key-value-store",
            get(storage::run_kvs),
        )
        .route(
            "/v2/actor-runs/{runId}/key-value-store/keys",
            get(storage::run_keys),
        )
        .route(
            "/v2/actor-runs/{runId}/key-value-store/records/{key}",
            get(storage::run_get_record)
                .put(storage::run_put_record)
                .post(storage::run_put_record)
                .delete(storage::run_delete_record),
        )
        .route("/v2/actor-runs/{runId}/dataset", get(storage::run_dataset))
        .route(
            "/v2/actor-runs/{runId}/dataset/items",
            get(storage::run_get_items).post(storage::run_push_items),
        )
        .route("/v2/key-value-stores/{storeId}", get(storage::get_kvs))
        .route("/v2/key-value-stores/{storeId}/keys", get(storage::keys))
        .route(
            "/v2/key-value-stores/{storeId}/records/{key}",
            get(storage::get_record)
                .put(storage::put_record)
                .post(storage::put_record)
                .delete(storage::delete_record),
        )
        .route("/v2/datasets/{datasetId}", get(storage::get_dataset))
        .route(
            "/v2/datasets/{datasetId}/items",
            get(storage::get_items).post(storage::push_items),
        )
        .route(
            &format!("{}{{runId}}/{{key}}", crate::events::EVENTS_PATH_PREFIX),
            get(crate::events::connect),
        )
        .fallback(|| async { ApiError::page_not_found() })
        // We enforce Apify's own limit (after decompression) with Apify's 413 body.
        .layer(DefaultBodyLimit::disable())
        // apify-client brotli-compresses bodies >= 1 KiB; other clients gzip.
        .layer(RequestDecompressionLayer::new())
        .layer(middleware::from_fn_with_state(app.clone(), audit))
        .with_state(app)
}

/// Authenticates the token once, adds latency, normalizes framework errors to Apify's error
/// envelope, sets `X-RateLimit-Limit`, and records the audit entry.
async fn audit(State(app): State<App>, mut req: Request, next: Next) -> Response {
    // The events websocket is the platform talking to a run, not the API (and its path holds
    // the run's key): no audit entry, no latency, no faults.
    if req
        .uri()
        .path()
        .starts_with(crate::events::EVENTS_PATH_PREFIX)
    {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let raw_query = req.uri().query().unwrap_or("").to_owned();
    let token = auth::presented_token(req.headers(), &auth::parse_query(&raw_query));
    let outcome = match &token {
        None => AuthOutcome::Missing,
        Some(t) => match app.read().tokens.get(t) {
            Some(p) => AuthOutcome::Valid(p.clone()),
            None => AuthOutcome::Invalid,
        },
    };
    let token_id = match &outcome {
        AuthOutcome::Valid(p) => Some(p.token_id.clone()),
        _ => None,
    };
    let encoding = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // What the fault plan keys on: the run token's own ids are replaced in its draws.
    let own_run = match (&app.faults, &outcome) {
        (Some(_), AuthOutcome::Valid(p)) => p
            .own_run
            .as_ref()
            .map(|o| [o.run_id.clone(), o.kvs_id.clone(), o.dataset_id.clone()]),
        _ => None,
    };
    let upgrade = req.headers().contains_key(header::UPGRADE);
    let slot = ResourceSlot::default();
    req.extensions_mut().insert(outcome);
    req.extensions_mut().insert(slot.clone());
    if let Some(latency) = app.config.latency {
        tokio::time::sleep(latency).await;
    }
    let facts = crate::faults::RequestFacts {
        method: &method,
        path: &path,
        query: &raw_query,
        own_run: own_run
            .as_ref()
            .map(|[r, k, d]| [r.as_str(), k.as_str(), d.as_str()]),
        caller: token_id.as_deref().unwrap_or(""),
        upgrade,
    };
    // `seen`: the status the client saw, 0 when a fault left it no answer.
    let (mut resp, seen) = crate::faults::around(app.faults.as_ref(), &facts, async {
        normalize_error(next.run(req).await, &encoding).await
    })
    .await;
    let (resource, limit) = slot.get();
    if let Some(limit) = limit {
        resp.headers_mut()
            .insert("x-ratelimit-limit", HeaderValue::from(limit));
    }
    let entry = AuditEntry {
        method,
        path: auth::scrub(&path, token.as_deref()),
        query: auth::redact_query(&raw_query, token.as_deref()),
        token_id,
        status: seen,
        resource,
    };
    app.audit
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(entry);
    resp
}

/// Errors produced by axum or tower-http (405, 415, extractor rejections) come without Apify's
/// JSON body; give them one.
async fn normalize_error(resp: Response, encoding: &str) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let allow = resp
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let err = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method-not-allowed",
            format!(
                "This API end-point can only be accessed using the following HTTP methods: OPTIONS,{}",
                allow.replace(' ', "")
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported-content-encoding",
            format!("Content-Encoding \"{encoding}\" is not supported."),
        ),
        s if s.is_server_error() => ApiError::new(s, "internal-server-error", text),
        s => ApiError::new(s, "invalid-request", text),
    };
    let mut out = err.into_response();
    if !allow.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&allow) {
            out.headers_mut().insert(header::ALLOW, v);
        }
    }
    out
}

/// Decoded query parameters.
pub(crate) struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Params(auth::parse_query(parts.uri.query().unwrap_or(""))))
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A non-empty value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// `1`/`true` and `0`/`false` (Apify's boolean query convention).
    pub fn bool(&self, name: &str) -> ApiResult<bool> {
        match self.value(name) {
            None => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some("0") | Some("false") => Ok(false),
            Some(v) => Err(ApiError::invalid_param(name, v)),
        }
    }

    pub fn u64(&self, name: &str) -> ApiResult<Option<u64>> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_param(name, v)),
        }
    }

    pub fn f64(&self, name: &str) -> ApiResult<Option<f64>> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                _ => Err(ApiError::invalid_param(name, v)),
            },
        }
    }

    /// A comma-separated list (`fields=a,b`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.value(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Offset pagination of list endpoints.
pub(crate) struct Page {
    pub offset: usize,
    pub limit: usize,
    pub desc: bool,
}

impl Page {
    pub fn from(params: &Params) -> ApiResult<Page> {
        let offset = params.u64("offset")?.unwrap_or(0) as usize;
        let limit = match params.u64("limit")? {
            None | Some(0) => MAX_LIST_LIMIT,
            Some(n) => (n as usize).min(MAX_LIST_LIMIT),
        };
        Ok(Page {
            offset,
            limit,
            desc: params.bool("desc")?,
        })
    }

    /// `{"data":{"total","offset","limit","count","desc","items":[...]}}` from item JSON texts.
    pub fn envelope(&self, total: usize, items: Vec<String>) -> Response {
        let mut body =
            String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 128);
        body.push_str(&format!(
            "{{\"data\":{{\"total\":{total},\"offset\":{},\"limit\":{},\"count\":{},\"desc\":{},\"items\":[",
            self.offset,
            self.limit,
            items.len(),
            self.desc
        ));
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(item);
        }
        body.push_str("]}}");
        raw_json_response(StatusCode::OK, body)
    }
}

/// Reads a (decompressed) request body, answering 413 beyond Apify's payload limit.
pub(crate) async fn read_body(body: Body) -> ApiResult<Bytes> {
    // Read a bit past the limit so the 413 can report the actual length in most cases.
    const HARD_CAP: usize = 8 * MAX_PAYLOAD_BYTES;
    match axum::body::to_bytes(body, HARD_CAP).await {
        Ok(bytes) if bytes.len() > MAX_PAYLOAD_BYTES => {
            Err(ApiError::too_large(MAX_PAYLOAD_BYTES, bytes.len()))
        }
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let text = error_chain(&e);
            if text.contains("length limit") {
                Err(ApiError::too_large(MAX_PAYLOAD_BYTES, HARD_CAP))
            } else {
                Err(ApiError::bad_request(
                    "invalid-request",
                    format!("Cannot read the request body: {text}"),
                ))
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        text.push_str(": ");
        text.push_str(&s.to_string());
        cur = s.source();
    }
    text
}

/// Parses a JSON request body; an empty body reads as `{}`.
pub(crate) fn json_body(bytes: &[u8]) -> ApiResult<serde_json::Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            "invalid-request",
            format!("Request body is not valid JSON: {e}"),
        )
    })
}
