//! The one layer every request to the Apify API passes through: per-resource rate limiting,
//! request counting, and a refusal to put a token in a URL. apify-client does retries,
//! timeouts and compression above it; reqwest does the sending below it.

use apify_client::http_client::{HttpBackend, HttpRequest, HttpResponse, ReqwestBackend};
use apify_client::{ApifyClientError, ApifyClientResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Share of Apify's per-resource limit we allow ourselves: headroom for the user's own
/// traffic on the same resource.
const LIMIT_SHARE: f64 = 0.8;

#[derive(Debug, Default)]
struct Limiter {
    next_free: Mutex<HashMap<String, Instant>>,
}

impl Limiter {
    /// Reserves the next slot for `resource` and returns how long to wait for it.
    fn reserve(&self, resource: &str, per_second: f64) -> Duration {
        let interval = Duration::from_secs_f64(1.0 / (per_second * LIMIT_SHARE));
        let now = Instant::now();
        let mut map = self.next_free.lock().unwrap_or_else(|e| e.into_inner());
        let slot = map.get(resource).copied().unwrap_or(now).max(now);
        map.insert(resource.to_string(), slot + interval);
        slot - now
    }
}

/// Counters of what went over the wire, for the closing figures (requests against the floor).
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
}

/// The HTTP backend handed to apify-client.
#[derive(Debug)]
pub struct ForgeBackend {
    inner: ReqwestBackend,
    limiter: Limiter,
    counters: Arc<Counters>,
}

impl ForgeBackend {
    pub fn new(counters: Arc<Counters>) -> ForgeBackend {
        ForgeBackend {
            inner: ReqwestBackend::new(),
            limiter: Limiter::default(),
            counters,
        }
    }
}

/// Apify's per-resource rate limit for a request, and the resource it counts against.
pub fn rate_limit_of(method: &str, path: &str) -> (String, f64) {
    let path = path.split('?').next().unwrap_or(path);
    let segs: Vec<&str> = path
        .trim_start_matches('/')
        .trim_start_matches("v2/")
        .split('/')
        .collect();
    let resource = segs.iter().take(2).copied().collect::<Vec<_>>().join("/");
    let limit = match (method, segs.as_slice()) {
        ("POST", ["actors" | "acts", _, "runs"]) => 400.0,
        ("POST", ["actors" | "acts", _, s]) if s.starts_with("run-sync") => 400.0,
        ("POST", ["datasets", _, "items"]) => 400.0,
        (_, ["key-value-stores", _, "records", _]) => 200.0,
        _ => 60.0,
    };
    (resource, limit)
}

#[async_trait::async_trait]
impl HttpBackend for ForgeBackend {
    async fn send(&self, request: HttpRequest) -> ApifyClientResult<HttpResponse> {
        let (path, query) = split_url(&request.url);
        if query.split('&').any(|kv| kv.starts_with("token=")) {
            // The token travels only in the Authorization header: never in a URL that a proxy,
            // a log or an audit trail could keep.
            return Err(ApifyClientError::InvalidArgument(
                "refusing to send a token in a URL".into(),
            ));
        }
        let (resource, limit) = rate_limit_of(request.method.as_str(), path);
        let wait = self.limiter.reserve(&resource, limit);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.send(request).await
    }
}

fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let path_q = &after_scheme[after_scheme.find('/').unwrap_or(after_scheme.len())..];
    path_q.split_once('?').unwrap_or((path_q, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_and_limits_follow_apify() {
        assert_eq!(
            rate_limit_of("GET", "/v2/actors/abc/runs"),
            ("actors/abc".into(), 60.0)
        );
        assert_eq!(
            rate_limit_of("POST", "/v2/actors/abc/runs"),
            ("actors/abc".into(), 400.0)
        );
        assert_eq!(
            rate_limit_of("PUT", "/v2/key-value-stores/k/records/OUTPUT"),
            ("key-value-stores/k".into(), 200.0)
        );
        assert_eq!(
            rate_limit_of("POST", "/v2/datasets/d/items"),
            ("datasets/d".into(), 400.0)
        );
    }

    #[test]
    fn the_limiter_spaces_requests_per_resource() {
        let l = Limiter::default();
        assert!(l.reserve("a", 60.0).is_zero());
        let second = l.reserve("a", 60.0);
        assert!(
            second >= Duration::from_millis(19) && second <= Duration::from_millis(21),
            "{second:?}"
        );
        assert!(
            l.reserve("b", 60.0).is_zero(),
            "other resources are not slowed"
        );
    }

    #[tokio::test]
    async fn a_token_in_a_url_is_refused_before_anything_is_sent() {
        use apify_client::http_client::HttpMethod;
        let counters = Arc::new(Counters::default());
        let backend = ForgeBackend::new(counters.clone());
        let request = HttpRequest {
            method: HttpMethod::Get,
            // Port 9 (discard): if the request were sent, it would fail differently.
            url: "http://127.0.0.1:9/v2/actors?my=1&token=apify_api_x".into(),
            headers: Default::default(),
            body: None,
            timeout: Duration::from_secs(1),
        };
        let err = backend.send(request).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("refusing to send a token in a URL"),
            "{err}"
        );
        assert_eq!(counters.requests.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn urls_split_into_path_and_query() {
        assert_eq!(
            split_url("http://h:1/v2/actors?my=1"),
            ("/v2/actors", "my=1")
        );
        assert_eq!(
            split_url("https://api.apify.com/v2/users/me"),
            ("/v2/users/me", "")
        );
    }
}
