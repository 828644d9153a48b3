//! Key-value stores and datasets, addressed directly or through a run
//! (`/v2/actor-runs/{runId}/key-value-store/...`, `/v2/actor-runs/{runId}/dataset/...`).

use std::ops::Bound;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::{json_body, read_body, Params};
use crate::auth::Ctx;
use crate::error::{data, raw_json_response, ApiError, ApiResult};
use crate::fixture::Permission;
use crate::ratelimit::{DEFAULT_LIMIT, KV_RECORD_LIMIT, RUN_AND_PUSH_LIMIT};
use crate::state::{iso, Dataset, Record, State as St};
use crate::App;

/// Sentinel Apify reports as the pagination limit when no `limit` was given.
const NO_LIMIT: u64 = 999_999_999_999;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Kvs,
    Dataset,
}

/// Storage reads need `storages:read` (implied by write), except a run token on its own run's
/// default storages when the emulator is configured to allow that.
fn may_access(ctx: &Ctx, kind: Kind, id: &str, write: bool) -> ApiResult<()> {
    if let Some(own) = ctx
        .principal
        .own_run
        .as_ref()
        .filter(|o| o.default_storages)
    {
        let own_id = match kind {
            Kind::Kvs => &own.kvs_id,
            Kind::Dataset => &own.dataset_id,
        };
        if own_id == id {
            return Ok(());
        }
    }
    ctx.require(if write {
        Permission::StoragesWrite
    } else {
        Permission::StoragesRead
    })
}

fn check_key(key: &str) -> ApiResult<()> {
    let ok = (1..=256).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!-_.'()".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid-record-key",
            "Record key contains invalid character",
        ))
    }
}

fn store_exists(st: &St, id: &str) -> ApiResult<()> {
    if st.stores.contains_key(id) {
        Ok(())
    } else {
        Err(ApiError::not_found("Key-value store"))
    }
}

fn dataset_exists(st: &St, id: &str) -> ApiResult<()> {
    if st.datasets.contains_key(id) {
        Ok(())
    } else {
        Err(ApiError::not_found("Dataset"))
    }
}

/// The default (key-value store, dataset) of a run.
fn run_storages(st: &St, run_id: &str) -> ApiResult<(String, String)> {
    let ri = st
        .run_index(run_id)
        .ok_or_else(|| ApiError::not_found("Actor run"))?;
    let run = st.run_value(ri);
    let field = |k: &str| run.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Ok((field("defaultKeyValueStoreId"), field("defaultDatasetId")))
}

fn created(location: String) -> Response {
    let mut resp = raw_json_response(StatusCode::CREATED, "{}".to_owned());
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

// ---------------------------------------------------------------- key-value stores

fn kvs_impl(app: &App, ctx: &Ctx, store_id: &str) -> ApiResult<Response> {
    let st = app.read();
    store_exists(&st, store_id)?;
    ctx.touch(app, format!("key-value-store:{store_id}"), DEFAULT_LIMIT)?;
    may_access(ctx, Kind::Kvs, store_id, false)?;
    let s = &st.stores[store_id];
    let bytes: usize = s.records.values().map(|r| r.data.len()).sum();
    let base = &app.base_url;
    Ok(data(json!({
        "id": s.id,
        "name": null,
        "userId": st.user_id,
        "username": st.username,
        "createdAt": s.created_at,
        "modifiedAt": s.modified_at,
        "accessedAt": iso(Utc::now()),
        "actId": s.act_id,
        "actRunId": s.run_id,
        "consoleUrl": format!("https://console.apify.com/storage/key-value-stores/{}", s.id),
        "keysPublicUrl": format!("{base}/v2/key-value-stores/{}/keys", s.id),
        "recordsPublicUrl": format!("{base}/v2/key-value-stores/{}/records", s.id),
        "generalAccess": "FOLLOW_USER_SETTING",
        "stats": { "readCount": 0, "writeCount": 0, "deleteCount": 0, "listCount": 0, "storageBytes": bytes },
    })))
}

pub(crate) async fn get_kvs(
    State(app): State<App>,
    ctx: Ctx,
    Path(store_id): Path<String>,
) -> ApiResult<Response> {
    kvs_impl(&app, &ctx, &store_id)
}

pub(crate) async fn run_kvs(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
) -> ApiResult<Response> {
    let (kvs, _) = run_storages(&app.read(), &run_id)?;
    kvs_impl(&app, &ctx, &kvs)
}

fn keys_impl(app: &App, ctx: &Ctx, store_id: &str, params: &Params) -> ApiResult<Response> {
    let limit = params.u64("limit")?.unwrap_or(1000).clamp(1, 1000) as usize;
    let start = params.value("exclusiveStartKey");
    let prefix = params.value("prefix").unwrap_or("");
    let st = app.read();
    store_exists(&st, store_id)?;
    ctx.touch(app, format!("key-value-store:{store_id}"), DEFAULT_LIMIT)?;
    may_access(ctx, Kind::Kvs, store_id, false)?;
    let records = &st.stores[store_id].records;
    // BTreeMap<String> order is UTF-8 byte order, as Apify documents for keys.
    let lower = match start {
        Some(k) => Bound::Excluded(k.to_owned()),
        None => Bound::Unbounded,
    };
    let mut matching = records
        .range((lower, Bound::Unbounded))
        .filter(|(k, _)| k.starts_with(prefix));
    let page: Vec<(&String, &Record)> = matching.by_ref().take(limit).collect();
    let truncated = matching.next().is_some();
    let items: Vec<Value> = page
        .iter()
        .map(|(k, r)| {
            json!({
                "key": k,
                "size": r.data.len(),
                "recordPublicUrl": format!("{}/v2/key-value-stores/{store_id}/records/{k}", app.base_url),
            })
        })
        .collect();
    let next = if truncated {
        page.last().map(|(k, _)| Value::String((*k).clone()))
    } else {
        None
    };
    Ok(data(json!({
        "items": items,
        "count": items.len(),
        "limit": limit,
        "exclusiveStartKey": start,
        "isTruncated": truncated,
        "nextExclusiveStartKey": next,
    })))
}

pub(crate) async fn keys(
    State(app): State<App>,
    ctx: Ctx,
    Path(store_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    keys_impl(&app, &ctx, &store_id, &params)
}

pub(crate) async fn run_keys(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let (kvs, _) = run_storages(&app.read(), &run_id)?;
    keys_impl(&app, &ctx, &kvs, &params)
}

/// GET (and HEAD, which axum answers from GET without the body): the raw bytes with the stored
/// content type.
fn get_record_impl(
    app: &App,
    ctx: &Ctx,
    store_id: &str,
    key: &str,
    params: &Params,
) -> ApiResult<Response> {
    let st = app.read();
    store_exists(&st, store_id)?;
    ctx.touch(app, format!("key-value-store:{store_id}"), KV_RECORD_LIMIT)?;
    may_access(ctx, Kind::Kvs, store_id, false)?;
    check_key(key)?;
    let rec = st.stores[store_id]
        .records
        .get(key)
        .ok_or_else(|| ApiError::not_found("Record"))?
        .clone();
    let mut resp = (StatusCode::OK, rec.data).into_response();
    let ct = HeaderValue::from_str(&rec.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    if params.bool("attachment")? {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{key}\"")) {
            resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(resp)
}

pub(crate) async fn get_record(
    State(app): State<App>,
    ctx: Ctx,
    Path((store_id, key)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    get_record_impl(&app, &ctx, &store_id, &key, &params)
}

pub(crate) async fn run_get_record(
    State(app): State<App>,
    ctx: Ctx,
    Path((run_id, key)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    let (kvs, _) = run_storages(&app.read(), &run_id)?;
    get_record_impl(&app, &ctx, &kvs, &key, &params)
}

async fn put_record_impl(
    app: &App,
    ctx: &Ctx,
    store_id: &str,
    key: &str,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    {
        let st = app.read();
        store_exists(&st, store_id)?;
        ctx.touch(app, format!("key-value-store:{store_id}"), KV_RECORD_LIMIT)?;
        may_access(ctx, Kind::Kvs, store_id, true)?;
        check_key(key)?;
    }
    let bytes = read_body(body).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let mut st = app.write();
    let store = st
        .stores
        .get_mut(store_id)
        .ok_or_else(|| ApiError::not_found("Key-value store"))?;
    store.records.insert(
        key.to_owned(),
        Record {
            content_type,
            data: bytes,
        },
    );
    store.modified_at = iso(Utc::now());
    Ok(created(format!(
        "{}/v2/key-value-stores/{store_id}/records/{key}",
        app.base_url
    )))
}

/// PUT or POST: stores the raw (decompressed) body with its `Content-Type`; 201 `{}`.
pub(crate) async fn put_record(
    State(app): State<App>,
    ctx: Ctx,
    Path((store_id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    put_record_impl(&app, &ctx, &store_id, &key, &headers, body).await
}

pub(crate) async fn run_put_record(
    State(app): State<App>,
    ctx: Ctx,
    Path((run_id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (kvs, _) = run_storages(&app.read(), &run_id)?;
    put_record_impl(&app, &ctx, &kvs, &key, &headers, body).await
}

fn delete_record_impl(app: &App, ctx: &Ctx, store_id: &str, key: &str) -> ApiResult<Response> {
    let mut st = app.write();
    store_exists(&st, store_id)?;
    ctx.touch(app, format!("key-value-store:{store_id}"), KV_RECORD_LIMIT)?;
    may_access(ctx, Kind::Kvs, store_id, true)?;
    check_key(key)?;
    if let Some(store) = st.stores.get_mut(store_id) {
        if store.records.remove(key).is_some() {
            store.modified_at = iso(Utc::now());
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn delete_record(
    State(app): State<App>,
    ctx: Ctx,
    Path((store_id, key)): Path<(String, String)>,
) -> ApiResult<Response> {
    delete_record_impl(&app, &ctx, &store_id, &key)
}

pub(crate) async fn run_delete_record(
    State(app): State<App>,
    ctx: Ctx,
    Path((run_id, key)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (kvs, _) = run_storages(&app.read(), &run_id)?;
    delete_record_impl(&app, &ctx, &kvs, &key)
}

// ---------------------------------------------------------------- datasets

fn is_clean(item: &Value) -> bool {
    match item {
        Value::Object(m) => m.keys().any(|k| !k.starts_with('#')),
        _ => true,
    }
}

fn dataset_impl(app: &App, ctx: &Ctx, dataset_id: &str) -> ApiResult<Response> {
    let st = app.read();
    dataset_exists(&st, dataset_id)?;
    ctx.touch(app, format!("dataset:{dataset_id}"), DEFAULT_LIMIT)?;
    may_access(ctx, Kind::Dataset, dataset_id, false)?;
    let d = &st.datasets[dataset_id];
    let items = d.items();
    let clean = items.iter().filter(|i| is_clean(i)).count();
    let bytes: usize = items.iter().map(|i| i.to_string().len()).sum();
    Ok(data(json!({
        "id": d.id,
        "name": null,
        "userId": st.user_id,
        "createdAt": if d.created_at.is_empty() { &st.loaded_at } else { &d.created_at },
        "modifiedAt": if d.modified_at.is_empty() { &st.loaded_at } else { &d.modified_at },
        "accessedAt": iso(Utc::now()),
        "itemCount": items.len(),
        "cleanItemCount": clean,
        "actId": d.act_id,
        "actRunId": d.run_id,
        "consoleUrl": format!("https://console.apify.com/storage/datasets/{}", d.id),
        "itemsPublicUrl": format!("{}/v2/datasets/{}/items", app.base_url, d.id),
        "generalAccess": "FOLLOW_USER_SETTING",
        "stats": { "readCount": 0, "writeCount": 0, "storageBytes": bytes },
    })))
}

pub(crate) async fn get_dataset(
    State(app): State<App>,
    ctx: Ctx,
    Path(dataset_id): Path<String>,
) -> ApiResult<Response> {
    dataset_impl(&app, &ctx, &dataset_id)
}

pub(crate) async fn run_dataset(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
) -> ApiResult<Response> {
    let (_, ds) = run_storages(&app.read(), &run_id)?;
    dataset_impl(&app, &ctx, &ds)
}

/// Dataset items as a bare JSON array (or JSON lines) with `X-Apify-Pagination-*` headers.
/// Supports `offset`, `limit`, `desc`, `clean`, `skipHidden`, `skipEmpty`, `fields`, `omit`.
pub(crate) fn items_response(
    dataset: &Dataset,
    params: &Params,
    status: StatusCode,
) -> ApiResult<Response> {
    let offset = params.u64("offset")?.unwrap_or(0);
    let limit = params.u64("limit")?;
    let desc = params.bool("desc")?;
    let clean = params.bool("clean")?;
    let skip_hidden = clean || params.bool("skipHidden")?;
    let skip_empty = clean || params.bool("skipEmpty")?;
    let fields = params.list("fields");
    let omit = params.list("omit");
    let format = params.value("format").unwrap_or("json");
    if format != "json" && format != "jsonl" {
        return Err(ApiError::invalid_param("format", format));
    }
    let items = dataset.items();
    let total = items.len();
    let take = limit.map(|l| l as usize).unwrap_or(usize::MAX);
    let iter: Box<dyn Iterator<Item = &Value>> = if desc {
        Box::new(items.iter().rev())
    } else {
        Box::new(items.iter())
    };
    // Like Apify: the page is cut first, then hidden/empty items are dropped from it.
    let out: Vec<Value> = iter
        .skip(offset as usize)
        .take(take)
        .map(|item| shape_item(item, skip_hidden, &fields, &omit))
        .filter(|item| !skip_empty || !matches!(item, Value::Object(m) if m.is_empty()))
        .collect();
    let body = if format == "jsonl" {
        out.iter().map(|i| i.to_string() + "\n").collect::<String>()
    } else {
        Value::Array(out.clone()).to_string()
    };
    let mut resp = raw_json_response(status, body);
    let h = resp.headers_mut();
    if format == "jsonl" {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/jsonl; charset=utf-8"),
        );
    }
    h.insert("x-apify-pagination-offset", HeaderValue::from(offset));
    h.insert(
        "x-apify-pagination-limit",
        HeaderValue::from(limit.unwrap_or(NO_LIMIT)),
    );
    h.insert("x-apify-pagination-count", HeaderValue::from(out.len()));
    h.insert("x-apify-pagination-total", HeaderValue::from(total));
    h.insert(
        "x-apify-pagination-desc",
        HeaderValue::from_static(if desc { "true" } else { "false" }),
    );
    Ok(resp)
}

fn shape_item(item: &Value, skip_hidden: bool, fields: &[String], omit: &[String]) -> Value {
    let Value::Object(m) = item else {
        return item.clone();
    };
    let mut out: Map<String, Value> = if fields.is_empty() {
        m.clone()
    } else {
        // `fields` also sets the key order of the output.
        fields
            .iter()
            .filter_map(|f| m.get(f).map(|v| (f.clone(), v.clone())))
            .collect()
    };
    if skip_hidden {
        out.retain(|k, _| !k.starts_with('#'));
    }
    for k in omit {
        out.shift_remove(k);
    }
    Value::Object(out)
}

fn get_items_impl(app: &App, ctx: &Ctx, dataset_id: &str, params: &Params) -> ApiResult<Response> {
    let st = app.read();
    dataset_exists(&st, dataset_id)?;
    ctx.touch(app, format!("dataset:{dataset_id}"), DEFAULT_LIMIT)?;
    may_access(ctx, Kind::Dataset, dataset_id, false)?;
    items_response(&st.datasets[dataset_id], params, StatusCode::OK)
}

pub(crate) async fn get_items(
    State(app): State<App>,
    ctx: Ctx,
    Path(dataset_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    get_items_impl(&app, &ctx, &dataset_id, &params)
}

pub(crate) async fn run_get_items(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let (_, ds) = run_storages(&app.read(), &run_id)?;
    get_items_impl(&app, &ctx, &ds, &params)
}

async fn push_items_impl(
    app: &App,
    ctx: &Ctx,
    dataset_id: &str,
    body: Body,
) -> ApiResult<Response> {
    {
        let st = app.read();
        dataset_exists(&st, dataset_id)?;
        ctx.touch(app, format!("dataset:{dataset_id}"), RUN_AND_PUSH_LIMIT)?;
        may_access(ctx, Kind::Dataset, dataset_id, true)?;
    }
    let bytes = read_body(body).await?;
    let items = match json_body(&bytes)? {
        Value::Object(o) => vec![Value::Object(o)],
        Value::Array(list) => {
            for item in &list {
                match item {
                    Value::Object(_) => {}
                    Value::Array(_) => {
                        return Err(ApiError::bad_request(
                            "invalid-request",
                            "Each dataset item can only be a single JSON object, not an array",
                        ))
                    }
                    _ => {
                        return Err(ApiError::bad_request(
                            "invalid-request",
                            "POST data must be a JSON object or an array of objects",
                        ))
                    }
                }
            }
            list
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid-request",
                "POST data must be a JSON object",
            ))
        }
    };
    let mut st = app.write();
    let ds = st
        .datasets
        .get_mut(dataset_id)
        .ok_or_else(|| ApiError::not_found("Dataset"))?;
    ds.items_mut().extend(items);
    ds.modified_at = iso(Utc::now());
    Ok(created(format!(
        "{}/v2/datasets/{dataset_id}/items",
        app.base_url
    )))
}

/// One object or an array of objects; 201 `{}`; 413 above 9,437,184 decompressed bytes.
pub(crate) async fn push_items(
    State(app): State<App>,
    ctx: Ctx,
    Path(dataset_id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    push_items_impl(&app, &ctx, &dataset_id, body).await
}

pub(crate) async fn run_push_items(
    State(app): State<App>,
    ctx: Ctx,
    Path(run_id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let (_, ds) = run_storages(&app.read(), &run_id)?;
    push_items_impl(&app, &ctx, &ds, body).await
}
