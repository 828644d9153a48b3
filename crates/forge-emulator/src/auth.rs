//! Tokens: where they come from (header or `?token=`), who they belong to, what they may do, and
//! keeping them out of the audit log.

use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::error::ApiError;
use crate::fixture::Permission;
use crate::state::Principal;
use crate::App;

/// The outcome of token lookup, computed once per request by the audit middleware.
#[derive(Clone)]
pub(crate) enum AuthOutcome {
    Missing,
    Invalid,
    Valid(Principal),
}

/// Filled by handlers, read by the audit middleware: which resource the request addressed and
/// which rate limit applied (for `X-RateLimit-Limit`).
#[derive(Clone, Default)]
pub(crate) struct ResourceSlot(pub Arc<Mutex<(Option<String>, Option<u32>)>>);

impl ResourceSlot {
    pub fn get(&self) -> (Option<String>, Option<u32>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, resource: String, limit: u32) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = (Some(resource), Some(limit));
    }
}

/// An authenticated request: the caller and the request's resource slot.
pub(crate) struct Ctx {
    pub principal: Principal,
    slot: ResourceSlot,
}

impl Ctx {
    /// 403 unless the caller holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.principal.permissions.allows(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// The run this request's run token belongs to, if any.
    pub fn own_run_id(&self) -> Option<&str> {
        self.principal.own_run.as_ref().map(|o| o.run_id.as_str())
    }

    /// Records the addressed resource and counts the request against its rate limit.
    pub fn touch(&self, app: &App, resource: String, limit: u32) -> Result<(), ApiError> {
        let ok = !app.config.rate_limits || app.limiter.hit(&resource, limit);
        self.slot.set(resource, limit);
        if ok {
            Ok(())
        } else {
            Err(ApiError::rate_limited(limit))
        }
    }
}

impl FromRequestParts<App> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _app: &App) -> Result<Self, Self::Rejection> {
        let slot = parts
            .extensions
            .get::<ResourceSlot>()
            .cloned()
            .unwrap_or_default();
        match parts.extensions.get::<AuthOutcome>() {
            Some(AuthOutcome::Valid(p)) => Ok(Ctx {
                principal: p.clone(),
                slot,
            }),
            Some(AuthOutcome::Invalid) => Err(ApiError::token_invalid()),
            Some(AuthOutcome::Missing) | None => Err(ApiError::token_not_provided()),
        }
    }
}

/// The token of a request: `Authorization: Bearer <t>` first, else `?token=<t>`.
pub(crate) fn presented_token(headers: &HeaderMap, query: &[(String, String)]) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    from_header.or_else(|| {
        query
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.clone())
            .filter(|t| !t.is_empty())
    })
}

/// Decodes an `application/x-www-form-urlencoded` query into pairs (lenient: bad escapes stay
/// as they are).
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The raw query with any `token` value replaced by `REDACTED`, and the presented token
/// scrubbed wherever else it might appear.
pub(crate) fn redact_query(query: &str, token: Option<&str>) -> String {
    let redacted = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if percent_decode(k) == "token" => format!("{k}=REDACTED"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
    scrub(&redacted, token)
}

/// Replaces every occurrence of the token (should a client put it anywhere else) by `REDACTED`.
pub(crate) fn scrub(text: &str, token: Option<&str>) -> String {
    match token {
        Some(t) if !t.is_empty() && text.contains(t) => text.replace(t, "REDACTED"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_token_is_redacted() {
        assert_eq!(
            redact_query(
                "limit=10&token=apify_api_SECRET&desc=1",
                Some("apify_api_SECRET")
            ),
            "limit=10&token=REDACTED&desc=1"
        );
        assert_eq!(
            redact_query("a=apify_api_X", Some("apify_api_X")),
            "a=REDACTED"
        );
    }

    #[test]
    fn query_decoding() {
        let q = parse_query(
            "status=SUCCEEDED%2CFAILED&startedAfter=2026-01-01T00%3A00%3A00Z&x=a+b&bad=%zz",
        );
        assert_eq!(q[0].1, "SUCCEEDED,FAILED");
        assert_eq!(q[1].1, "2026-01-01T00:00:00Z");
        assert_eq!(q[2].1, "a b");
        assert_eq!(q[3].1, "%zz");
    }
}
