//! Runs: lists, details, start, run-sync (OUTPUT record and dataset items), status message,
//! abort, charge, log.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::actors::actor_for;
use super::storage::items_response;
use super::{json_body, read_body, Page, Params};
use crate::auth::Ctx;
use crate::error::{data_with, raw_json_response, ApiError, ApiResult};
use crate::fixture::Permission;
use crate::process::{self, obj, round};
use crate::ratelimit::{DEFAULT_LIMIT, RUN_AND_PUSH_LIMIT};
use crate::state::{parse_time, RunFilter, State as St, Status};
use crate::App;

/// `waitForFinish` is capped at 60 s by Apify.
const MAX_WAIT_SECS: u64 = 60;

fn run_filter(params: &Params) -> ApiResult<RunFilter> {
    let mut filter = RunFilter::default();
    for s in params.list("status") {
        let status = Status::parse(&s);
        if status == Status::Unknown {
            return Err(ApiError::invalid_param("status", &s));
        }
        filter.statuses.push(status);
    }
    for (name, slot) in [
        ("startedAfter", &mut filter.started_after),
        ("startedBefore", &mut filter.started_before),
    ] {
        if let Some(v) = params.value(name) {
            let t = parse_time(v).ok_or_else(|| ApiError::invalid_param(name, v))?;
            *slot = Some(t.timestamp_millis());
        }
    }
    Ok(filter)
}

fn run_list(st: &St, actor: Option<usize>, params: &Params) -> ApiResult<Response> {
    let page = Page::from(params)?;
    let filter = run_filter(params)?;
    let (total, ids) = st.query_runs(actor, &filter, page.offset, page.limit, page.desc);
    let items = ids.into_iter().map(|ri| st.run_short_json(ri)).collect();
    Ok(page.envelope(total, items))
}

/// `GET /v2/actors/{actorId}/runs` (RunShort items; `status`, `startedAfter`, `startedBefore`).
pub(crate) async fn list_actor_runs(
    State(app): State<App>,
    ctx: Ctx,
    Path(actor_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let st = app.read();
    let ai = actor_for(&app, &st, &ctx, &actor_id)?;
    ctx.require(Permission::ActorsListRuns)?;
    run_list(&st, Some(ai), &params)
}

/// `GET /v2/actor-runs`: every run of the account.
pub(crate) async fn list_all(
    State(app): State<App>,
    ctx: Ctx,
    params: Params,
) -> ApiResult<Response> {
    let st = app.read();
    ctx.touch(&app, format!("user:{}", st.user_id), DEFAULT_LIMIT)?;
    ctx.require(Permission::ActorsListRuns)?;
    run_list(&st, None, &params)
}

/// Finds a run (optionally of a given Actor), counts the request and checks the caller may see
/// it: `actors:list-runs`, or a run token of this very run.
fn run_for(app: &App, st: &St, ctx: &Ctx, run_id: &str, actor: Option<&str>) -> ApiResult<u32> {
    let ri = st
        .run_index(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run"))?;
    if let Some(reference) = actor {
        let ai = st
            .resolve_actor(reference)
            .ok_or_else(|| ApiError::not_found("Actor"))?;
        if st.runs[ri as usize].actor as usize != ai {
            return Err(ApiError::not_found("Actor run"));
        }
    }
    ctx.touch(app, format!("run:{run_id}"), DEFAULT_LIMIT)?;
    Ok(ri)
}

fn may_see_run(ctx: &Ctx, run_id: &str) -> ApiResult<()> {
    if ctx.own_run_id() == Some(run_id) {
        return Ok(());
    }
    ctx.require(Permission::ActorsListRuns)
}

/// Changing a run (status message, abort, charge): its own run token, or `actors:run`.
fn may_change_run(ctx: &Ctx, run_id: &str) -> ApiResult<()> {
    if ctx.own_run_id() == Some(run_id) {
        return Ok(());
    }
    ctx.require(Permission::ActorsRun)
}

fn full_run_response(st: &St, ri: u32, status: StatusCode) -> Response {
    raw_json_response(status, format!("{{\"data\":{}}}", st.run_full_json(ri)))
}

async fn get_run_impl(
    app: App,
    ctx: Ctx,
    run_id: String,
    actor: Option<String>,
    params: Params,
) -> ApiResult<Response> {
    let wait = params.u64("waitForFinish")?.unwrap_or(0).min(MAX_WAIT_SECS);
    {
        let st = app.read();
        run_for(&app, &st, &ctx, &run_id, actor.as_deref())?;
        may_see_run(&ctx, &run_id)?;
    }
    if wait > 0 {
        process::wait_finished(&app, &run_id, Duration::from_secs(wait)).await;
    }
    let st = app.read();
    let ri = st
        .run_index(&run_id)
        .ok_or_else(|| ApiError::not_found("Actor run"))?;
    Ok(full_run_response(&st, ri, StatusCode::OK))
}

/// `GET /v2/actor-runs/{runId}?waitForFinish=`.
pub(crate) async fn get_run(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    get_run_impl(app, ctx, run_id, None, params).await
}

/// `GET /v2/actors/{actorId}/runs/{runId}`.
pub(crate) async fn get_actor_run(
    State(app): State<App>,
    ctx: Ctx,
    Path((actor_id, run_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    get_run_impl(app, ctx, run_id, Some(actor_id), params).await
}

/// `GET /v2/actors/{actorId}/runs/last?status=&origin=`: the newest matching run.
pub(crate) async fn last(
    State(app): State<App>,
    ctx: Ctx,
    Path(actor_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let st = app.read();
    let ai = actor_for(&app, &st, &ctx, &actor_id)?;
    ctx.require(Permission::ActorsListRuns)?;
    let filter = run_filter(&params)?;
    let origin = params.value("origin");
    let mut offset = 0;
    // Walk newest-first in pages so an `origin` filter (not indexed) still finds the newest.
    loop {
        let (_, page) = st.query_runs(Some(ai), &filter, offset, 256, true);
        if page.is_empty() {
            return Err(ApiError::not_found("Actor run"));
        }
        for ri in &page {
            let matches = match origin {
                None => true,
                Some(o) => {
                    st.run_value(*ri)
                        .pointer("/meta/origin")
                        .and_then(Value::as_str)
                        == Some(o)
                }
            };
            if matches {
                return Ok(full_run_response(&st, *ri, StatusCode::OK));
            }
        }
        offset += page.len();
    }
}

/// `PUT /v2/actor-runs/{runId}` with `{statusMessage, isStatusMessageTerminal, generalAccess}`
/// (no `runId` needed in the body; unknown fields are ignored).
pub(crate) async fn update_run(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let ri = {
        let st = app.read();
        let ri = run_for(&app, &st, &ctx, &run_id, None)?;
        may_change_run(&ctx, &run_id)?;
        ri
    };
    let body = json_body(&read_body(body).await?)?;
    let Value::Object(fields) = body else {
        return Err(ApiError::bad_request(
            "invalid-input",
            "Invalid input: The request body must be a JSON object.",
        ));
    };
    let message = match fields.get("statusMessage") {
        None => None,
        Some(Value::Null) => Some(Value::Null),
        Some(Value::String(s)) => Some(json!(s)),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid-input",
                "Invalid input: statusMessage must be a string.",
            ))
        }
    };
    let terminal = match fields.get("isStatusMessageTerminal") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid-input",
                "Invalid input: isStatusMessageTerminal must be a boolean.",
            ))
        }
    };
    const ACCESS: [&str; 4] = [
        "ANYONE_WITH_ID_CAN_READ",
        "ANYONE_WITH_NAME_CAN_READ",
        "FOLLOW_USER_SETTING",
        "RESTRICTED",
    ];
    let access = match fields.get("generalAccess") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if ACCESS.contains(&s.as_str()) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid-input",
                "Invalid input: unknown generalAccess value.",
            ))
        }
    };
    let mut st = app.write();
    st.update_run(ri, |m| {
        if let Some(msg) = message {
            m.insert("statusMessage".into(), msg);
        }
        if let Some(t) = terminal {
            m.insert("isStatusMessageTerminal".into(), json!(t));
        }
        if let Some(a) = access {
            m.insert("generalAccess".into(), json!(a));
        }
    });
    Ok(full_run_response(&st, ri, StatusCode::OK))
}

/// Aborts a run. Non-graceful: the process is killed at once (ABORTED). `gracefully=true`: the
/// run turns ABORTING, its process gets `aborting` and `persistState` on the events websocket
/// and is killed after `EmulatorConfig::abort_grace` unless it exits first; the answer does not
/// wait (ABORTING). An ABORTING run aborted again without `gracefully` is killed at once.
async fn abort_impl(
    app: App,
    ctx: Ctx,
    run_id: String,
    actor: Option<String>,
    params: Params,
) -> ApiResult<Response> {
    let gracefully = params.bool("gracefully")?;
    let ri = {
        let st = app.read();
        let ri = run_for(&app, &st, &ctx, &run_id, actor.as_deref())?;
        may_change_run(&ctx, &run_id)?;
        ri
    };
    let has_process = {
        let mut st = app.write();
        if st.runs[ri as usize].status.is_terminal() {
            return Ok(full_run_response(&st, ri, StatusCode::OK));
        }
        let has_process = st.live.get(&run_id).is_some_and(|l| l.has_process);
        if has_process {
            st.update_run(ri, |m| {
                m.insert("status".into(), json!(Status::Aborting.as_str()));
            });
            if let Some(l) = st.live.get(&run_id) {
                if gracefully {
                    let _ = l.control.send(process::Control::AbortGracefully);
                } else {
                    l.abort.send_replace(true);
                }
            }
        }
        has_process
    };
    match (has_process, gracefully) {
        // The process task stops the run after the grace; the platform answers ABORTING.
        (true, true) => {}
        // The process task kills the child and records ABORTED; give it a moment.
        (true, false) => {
            process::wait_finished(&app, &run_id, Duration::from_secs(5)).await;
        }
        (false, _) => process::finish_run(&app, &run_id, Status::Aborted, None, None, None),
    }
    let st = app.read();
    Ok(full_run_response(&st, ri, StatusCode::OK))
}

/// `POST /v2/actor-runs/{runId}/abort`.
pub(crate) async fn abort(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    abort_impl(app, ctx, run_id, None, params).await
}

/// `POST /v2/actors/{actorId}/runs/{runId}/abort`.
pub(crate) async fn abort_actor_run(
    State(app): State<App>,
    ctx: Ctx,
    Path((actor_id, run_id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    abort_impl(app, ctx, run_id, Some(actor_id), params).await
}

/// `POST /v2/actor-runs/{runId}/charge` with `{eventName, count}` and an `idempotency-key`
/// header: replays of a key answer 201 without counting again.
pub(crate) async fn charge(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let ri = {
        let st = app.read();
        let ri = run_for(&app, &st, &ctx, &run_id, None)?;
        may_change_run(&ctx, &run_id)?;
        ri
    };
    let body = json_body(&read_body(body).await?)?;
    let event = body
        .get("eventName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("invalid-input", "Invalid input: eventName is required.")
        })?
        .to_owned();
    let count = match body.get("count") {
        None | Some(Value::Null) => 1,
        Some(v) => v.as_u64().filter(|c| *c > 0).ok_or_else(|| {
            ApiError::bad_request(
                "invalid-input",
                "Invalid input: count must be a positive integer.",
            )
        })?,
    };
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 256)
                .ok_or_else(|| {
                    ApiError::bad_request("invalid-idempotency-key", "Invalid idempotency key.")
                })?
                .to_owned(),
        ),
    };
    let mut st = app.write();
    if let Some(key) = key {
        if !st.charges.insert((run_id.clone(), key)) {
            return Ok(charged());
        }
    }
    let price = st
        .run_value(ri)
        .get("pricingInfo")
        .filter(|p| p.get("pricingModel").and_then(Value::as_str) == Some("PAY_PER_EVENT"))
        .and_then(|p| {
            p.pointer(&format!(
                "/pricingPerEvent/actorChargeEvents/{event}/eventPriceUsd"
            ))
        })
        .and_then(Value::as_f64);
    st.update_run(ri, |m| {
        let counts = obj(m, "chargedEventCounts");
        let n = counts.get(&event).and_then(Value::as_u64).unwrap_or(0) + count;
        counts.insert(event.clone(), json!(n));
        if let Some(price) = price {
            let total = m
                .get("usageTotalUsd")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            m.insert(
                "usageTotalUsd".into(),
                json!(round(total + price * count as f64, 6)),
            );
        }
    });
    Ok(charged())
}

fn charged() -> Response {
    raw_json_response(StatusCode::CREATED, "{}".to_owned())
}

/// `GET /v2/actor-runs/{runId}/log` and `GET /v2/logs/{runId}`: the captured output, text/plain.
pub(crate) async fn log(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
) -> ApiResult<Response> {
    let st = app.read();
    run_for(&app, &st, &ctx, &run_id, None)?;
    may_see_run(&ctx, &run_id)?;
    let text = st.logs.get(&run_id).cloned().unwrap_or_default();
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(resp)
}

/// Starts a run from a request: Actor, `actors:run`, input body with its content type.
async fn start_from_request(
    app: &App,
    ctx: &Ctx,
    actor_id: &str,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<process::Launch> {
    let ai = {
        let st = app.read();
        let ai = st
            .resolve_actor(actor_id)
            .ok_or_else(|| ApiError::not_found("Actor"))?;
        ctx.touch(
            app,
            format!("actor:{}", st.actors[ai].id),
            RUN_AND_PUSH_LIMIT,
        )?;
        ai
    };
    ctx.require(Permission::ActorsRun)?;
    let input = read_body(body).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    process::create_run(app, &ctx.principal, ai, params, content_type, input)
}

/// `POST /v2/actors/{actorId}/runs?timeout&memory&build&waitForFinish&maxTotalChargeUsd`.
pub(crate) async fn start(
    State(app): State<App>,
    ctx: Ctx,
    Path(actor_id): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let wait = params.u64("waitForFinish")?.unwrap_or(0).min(MAX_WAIT_SECS);
    let launch = start_from_request(&app, &ctx, &actor_id, &params, &headers, body).await?;
    let run_id = launch.run_id.clone();
    let location = format!(
        "{}/v2/actors/{}/runs/{run_id}",
        app.base_url, launch.actor_id
    );
    let snapshot = launch.run.clone();
    process::launch(&app, launch);
    let run = if wait > 0 {
        process::wait_finished(&app, &run_id, Duration::from_secs(wait)).await;
        let st = app.read();
        st.run_index(&run_id)
            .map(|ri| st.run_value(ri))
            .unwrap_or(snapshot)
    } else {
        // Like the platform, answer with the run as it was when it started.
        snapshot
    };
    let mut resp = data_with(StatusCode::CREATED, run);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// The default storages of a run-sync run that SUCCEEDED.
struct SyncedRun {
    kvs_id: String,
    dataset_id: String,
}

/// The one run-sync flow: start a run from the request, wait up to the configured limit
/// (Apify: 300 s; the endpoints have no `waitForFinish`), and classify the outcome. Not finished:
/// 408 `run-timeout-exceeded` (the run goes on). Finished but not SUCCEEDED: 400 `run-failed`
/// naming the run ID and status.
async fn run_sync_to_success(
    app: &App,
    ctx: &Ctx,
    actor_id: &str,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<SyncedRun> {
    let launch = start_from_request(app, ctx, actor_id, params, headers, body).await?;
    let run_id = launch.run_id.clone();
    let run = SyncedRun {
        kvs_id: launch.kvs_id.clone(),
        dataset_id: launch.dataset_id.clone(),
    };
    process::launch(app, launch);
    let limit = app.config.run_sync_timeout;
    if !process::wait_finished(app, &run_id, limit).await {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "run-timeout-exceeded",
            format!(
                "Actor run exceeded the timeout of {} seconds for this API endpoint",
                limit.as_secs()
            ),
        ));
    }
    // Reading the results is the storage half of these endpoints: the run has happened regardless.
    ctx.require(Permission::StoragesRead)?;
    let st = app.read();
    let ri = st
        .run_index(&run_id)
        .ok_or_else(|| ApiError::not_found("Actor run"))?;
    let status = st.runs[ri as usize].status;
    if status != Status::Succeeded {
        return Err(ApiError::bad_request(
            "run-failed",
            format!(
                "Actor run did not succeed (run ID: {run_id}, status: {})",
                status.as_str()
            ),
        ));
    }
    Ok(run)
}

/// `POST|GET /v2/actors/{actorId}/run-sync-get-dataset-items`: start, wait (at most the
/// configured sync timeout), then answer 201 with the default dataset's items.
pub(crate) async fn run_sync_get_dataset_items(
    State(app): State<App>,
    ctx: Ctx,
    Path(actor_id): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let run = run_sync_to_success(&app, &ctx, &actor_id, &params, &headers, body).await?;
    let st = app.read();
    let dataset = st
        .datasets
        .get(&run.dataset_id)
        .ok_or_else(|| ApiError::not_found("Dataset"))?;
    items_response(dataset, &params, StatusCode::CREATED)
}

/// `POST|GET /v2/actors/{actorId}/run-sync?outputRecordKey=`: start, wait (as
/// [`run_sync_get_dataset_items`]), then answer 201 with the record `outputRecordKey` (default
/// `OUTPUT`) of the run's default key-value store: its bytes in its own content type. The Actor
/// need not write that record: then 201 with an empty body and no content type (Apify: "the
/// response contains no data"). GET starts the run without input.
pub(crate) async fn run_sync(
    State(app): State<App>,
    ctx: Ctx,
    Path(actor_id): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let key = params
        .value("outputRecordKey")
        .unwrap_or("OUTPUT")
        .to_owned();
    let run = run_sync_to_success(&app, &ctx, &actor_id, &params, &headers, body).await?;
    let record = app
        .read()
        .stores
        .get(&run.kvs_id)
        .and_then(|store| store.records.get(&key))
        .cloned();
    let Some(record) = record else {
        return Ok(StatusCode::CREATED.into_response());
    };
    let mut resp = (StatusCode::CREATED, record.data).into_response();
    let content_type = HeaderValue::from_str(&record.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    Ok(resp)
}
