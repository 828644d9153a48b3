//! `GET /v2/users/me`.

use axum::extract::State;
use axum::response::Response;

use crate::auth::Ctx;
use crate::error::{data, ApiResult};
use crate::ratelimit::DEFAULT_LIMIT;
use crate::App;

/// Any valid token may read its owner's account (run tokens included).
pub(crate) async fn me(State(app): State<App>, ctx: Ctx) -> ApiResult<Response> {
    let user = {
        let st = app.read();
        ctx.touch(&app, format!("user:{}", st.user_id), DEFAULT_LIMIT)?;
        st.user.clone()
    };
    Ok(data(user))
}
