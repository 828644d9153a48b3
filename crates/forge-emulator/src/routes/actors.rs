//! Actors and their builds.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::{Page, Params};
use crate::auth::Ctx;
use crate::error::{data, ApiError, ApiResult};
use crate::fixture::Permission;
use crate::ratelimit::DEFAULT_LIMIT;
use crate::state::{actor_short, build_short, State as St};
use crate::App;

/// `GET /v2/actors?my=1&offset&limit&desc` (sorted by `createdAt`).
pub(crate) async fn list(State(app): State<App>, ctx: Ctx, params: Params) -> ApiResult<Response> {
    let page = Page::from(&params)?;
    let my = params.bool("my")?;
    let st = app.read();
    ctx.touch(&app, format!("user:{}", st.user_id), DEFAULT_LIMIT)?;
    ctx.require(Permission::ActorsRead)?;
    let mut actors: Vec<usize> = (0..st.actors.len())
        .filter(|&i| {
            let a = &st.actors[i];
            !my || a.user_id == st.user_id || a.username == st.username
        })
        .collect();
    actors.sort_by(|&a, &b| {
        let (x, y) = (&st.actors[a], &st.actors[b]);
        x.created_at
            .cmp(&y.created_at)
            .then_with(|| x.id.cmp(&y.id))
    });
    if page.desc {
        actors.reverse();
    }
    let total = actors.len();
    let items = actors
        .into_iter()
        .skip(page.offset)
        .take(page.limit)
        .map(|i| actor_short(&st.actors[i].actor).to_string())
        .collect();
    Ok(page.envelope(total, items))
}

/// Resolves `{actorId}`, counts the request against the Actor and checks `actors:read`.
pub(crate) fn actor_for(app: &App, st: &St, ctx: &Ctx, reference: &str) -> ApiResult<usize> {
    let ai = st
        .resolve_actor(reference)
        .ok_or_else(|| ApiError::not_found("Actor"))?;
    ctx.touch(app, format!("actor:{}", st.actors[ai].id), DEFAULT_LIMIT)?;
    Ok(ai)
}

/// `GET /v2/actors/{actorId}`.
pub(crate) async fn get(
    State(app): State<App>,
    ctx: Ctx,
    Path(actor_id): Path<String>,
) -> ApiResult<Response> {
    let st = app.read();
    let ai = actor_for(&app, &st, &ctx, &actor_id)?;
    ctx.require(Permission::ActorsRead)?;
    Ok(data(st.actors[ai].actor.clone()))
}

/// `GET /v2/actors/{actorId}/builds` (BuildShort items sorted by `startedAt`).
pub(crate) async fn builds(
    State(app): State<App>,
    ctx: Ctx,
    Path(actor_id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let page = Page::from(&params)?;
    let st = app.read();
    let ai = actor_for(&app, &st, &ctx, &actor_id)?;
    ctx.require(Permission::ActorsRead)?;
    let builds = &st.actors[ai].builds;
    let pick = |b: &Value| build_short(b).to_string();
    let items: Vec<String> = if page.desc {
        builds
            .iter()
            .rev()
            .skip(page.offset)
            .take(page.limit)
            .map(pick)
            .collect()
    } else {
        builds
            .iter()
            .skip(page.offset)
            .take(page.limit)
            .map(pick)
            .collect()
    };
    Ok(page.envelope(builds.len(), items))
}

/// `GET /v2/actors/{actorId}/builds/{buildId}` (also `default`: the build new runs would use).
pub(crate) async fn actor_build(
    State(app): State<App>,
    ctx: Ctx,
    Path((actor_id, build_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let st = app.read();
    let ai = actor_for(&app, &st, &ctx, &actor_id)?;
    ctx.require(Permission::ActorsRead)?;
    let build = if build_id == "default" {
        let spec = st.actors[ai]
            .actor
            .pointer("/defaultRunOptions/build")
            .and_then(Value::as_str)
            .unwrap_or("latest");
        st.pick_build(ai, spec)
    } else {
        st.build_by_id
            .get(&build_id)
            .filter(|(a, _)| *a == ai)
            .map(|(a, b)| &st.actors[*a].builds[*b])
    };
    build
        .map(|b| data(b.clone()))
        .ok_or_else(|| ApiError::not_found("Build"))
}

/// `GET /v2/actor-builds/{buildId}`.
pub(crate) async fn build(
    State(app): State<App>,
    ctx: Ctx,
    Path(build_id): Path<String>,
) -> ApiResult<Response> {
    let st = app.read();
    let (ai, bi) = *st
        .build_by_id
        .get(&build_id)
        .ok_or_else(|| ApiError::not_found("Build"))?;
    ctx.touch(&app, format!("build:{build_id}"), DEFAULT_LIMIT)?;
    ctx.require(Permission::ActorsRead)?;
    Ok(data(st.actors[ai].builds[bi].clone()))
}
