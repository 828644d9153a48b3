//! The one layer every request to the Apify API passes through: per-resource rate limiting,
//! request counting, a refusal to put a token in a URL, and a re-send of a request safe to
//! repeat whose 2xx JSON answer does not parse (a broken proxy; apify-client would take it for
//! a programming error and not retry). apify-client does retries of 429, 5xx and transport
//! errors, timeouts and compression above it; reqwest does the sending below it.
//! [`send_with_retries`] is the same policy for requests made with reqwest directly.

use apify_client::http_client::{
    HttpBackend, HttpMethod, HttpRequest, HttpResponse, ReqwestBackend,
};
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
    /// Every attempt sent, re-sends included.
    pub requests: AtomicU64,
    /// 2xx answers with a JSON content type whose body did not parse.
    pub malformed_answers: AtomicU64,
}

/// Re-sends of a request safe to repeat after a 2xx answer whose JSON does not parse. Each is
/// also a request counted; past them the answer is a transport error, which apify-client
/// retries within its own budget.
pub const MALFORMED_RESENDS: u32 = 3;

/// Retries of a request (apify-client's `max_retries`, and [`send_with_retries`]): with the
/// first attempt, 5 sends. A plan of transient faults at most 3 in a row per request leaves a
/// margin of one.
pub const MAX_RETRIES: u32 = 4;

/// The first pause before a retry; it doubles with each retry (with up to as much again of
/// jitter), 250 ms + 500 ms + 1 s + 2 s at least before the last attempt.
pub const MIN_RETRY_DELAY: Duration = Duration::from_millis(250);

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

    /// One attempt: the resource's rate limit, then the wire.
    async fn send_once(&self, request: HttpRequest) -> ApifyClientResult<HttpResponse> {
        let (path, _) = split_url(&request.url);
        let (resource, limit) = rate_limit_of(request.method.as_str(), path);
        let wait = self.limiter.reserve(&resource, limit);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.send(request).await
    }
}

/// Whether sending `request` twice repeats no side effect: GET, HEAD, PUT, DELETE, and a POST
/// that carries an idempotency key (a charge). Never a POST that starts a run or pushes items.
pub fn safe_to_repeat(request: &HttpRequest) -> bool {
    let (path, _) = split_url(&request.url);
    if path.contains("/run-sync") {
        // Starts a run whatever the method.
        return false;
    }
    match request.method {
        HttpMethod::Get | HttpMethod::Head | HttpMethod::Put | HttpMethod::Delete => true,
        HttpMethod::Post => request
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("idempotency-key")),
    }
}

/// A 2xx answer that says it is JSON and is not: cut by a proxy, or otherwise damaged. An
/// empty body is not (204, or a PUT answered without one).
pub fn malformed_json(response: &HttpResponse) -> bool {
    let is_json = response.header("content-type").is_some_and(|v| {
        let essence = v
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json" || essence.ends_with("+json")
    });
    (200..300).contains(&response.status)
        && is_json
        && !response.body.iter().all(u8::is_ascii_whitespace)
        && serde_json::from_slice::<serde::de::IgnoredAny>(&response.body).is_err()
}

/// Apify's per-resource rate limit for a request, and the resource it counts against.
pub fn rate_limit_of(method: &str, path: &str) -> (String, f64) {
    let path = path.split('?').next().unwrap_or(path);
    let segs: Vec<&str> = path
        .trim_start_matches('/')
        .trim_start_matches("v2/")
        .split('/')
        .collect();
    // Apify counts the account-wide lists (`/v2/actors`, `/v2/actor-runs`, `/v2/users/me`)
    // against one resource, the user; `/v2/acts` is an alias of `/v2/actors`.
    let resource = match segs.as_slice() {
        ["actors" | "acts" | "actor-runs"] | ["users", _] => "user".to_owned(),
        ["acts", rest @ ..] => std::iter::once("actors")
            .chain(rest.iter().copied().take(1))
            .collect::<Vec<_>>()
            .join("/"),
        _ => segs.iter().take(2).copied().collect::<Vec<_>>().join("/"),
    };
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
        let (_, query) = split_url(&request.url);
        if query.split('&').any(|kv| kv.starts_with("token=")) {
            // The token travels only in the Authorization header: never in a URL that a proxy,
            // a log or an audit trail could keep.
            return Err(ApifyClientError::InvalidArgument(
                "refusing to send a token in a URL".into(),
            ));
        }
        if !safe_to_repeat(&request) {
            // Whatever the answer, sending it again could repeat what it did: the caller
            // sees the answer as it came.
            let response = self.send_once(request).await?;
            if malformed_json(&response) {
                self.counters
                    .malformed_answers
                    .fetch_add(1, Ordering::Relaxed);
            }
            return Ok(response);
        }
        let mut resends = 0;
        loop {
            let response = self.send_once(request.clone()).await?;
            if !malformed_json(&response) {
                return Ok(response);
            }
            self.counters
                .malformed_answers
                .fetch_add(1, Ordering::Relaxed);
            if resends == MALFORMED_RESENDS {
                // A transport error: apify-client retries it within its own budget, and its
                // message names neither the token nor the body.
                return Err(ApifyClientError::Http(format!(
                    "the API answered {} with a body that is not valid JSON, {} times",
                    response.status,
                    resends + 1
                )));
            }
            resends += 1;
            tokio::time::sleep(MIN_RETRY_DELAY / 2 * resends).await;
        }
    }
}

/// What [`send_with_retries`] does with a failed attempt.
fn retry_after(outcome: &Result<reqwest::Response, reqwest::Error>, repeatable: bool) -> bool {
    match outcome {
        // The API's rate limiter refuses before doing anything: always safe to retry.
        Ok(r) if r.status().as_u16() == 429 => true,
        // A 5xx may come from a proxy after the API did the work.
        Ok(r) if r.status().is_server_error() => repeatable,
        Ok(_) => false,
        // Nothing was sent.
        Err(e) if e.is_connect() => true,
        // Sent, and the answer was lost (reset, timeout): the work may be done.
        Err(_) => repeatable,
    }
}

/// Sends the request `build` makes (a new one per attempt, as a body can be sent once) with
/// the retry policy of apify-client, for the calls it lacks (`run-sync`): up to
/// [`MAX_RETRIES`] retries with doubling pauses from [`MIN_RETRY_DELAY`], of 429 and of
/// connection failures always (nothing was done), and of 5xx and lost answers only when
/// `repeatable` (for a run start, a retry after a lost answer would start a second run).
/// Returns the last answer or error: a 429 after the budget is the caller's to report.
pub async fn send_with_retries(
    build: impl Fn() -> reqwest::RequestBuilder,
    repeatable: bool,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut delay = MIN_RETRY_DELAY;
    let mut attempt = 0;
    loop {
        let outcome = build().send().await;
        if attempt == MAX_RETRIES || !retry_after(&outcome, repeatable) {
            return outcome;
        }
        attempt += 1;
        tokio::time::sleep(delay + jitter(delay)).await;
        delay *= 2;
    }
}

/// Up to `max` more, so that clients refused together do not retry together.
fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    max.mul_f64(f64::from(nanos % 1000) / 1000.0)
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
        // One account-wide resource for the lists, as the platform counts them.
        for path in ["/v2/actors", "/v2/acts", "/v2/actor-runs", "/v2/users/me"] {
            assert_eq!(rate_limit_of("GET", path), ("user".into(), 60.0), "{path}");
        }
        assert_eq!(
            rate_limit_of("GET", "/v2/acts/abc/runs"),
            ("actors/abc".into(), 60.0)
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

    /// A loopback server answering each connection with the next of `answers` (raw HTTP),
    /// then closing it. Returns its base URL and the request heads it saw.
    async fn scripted(answers: Vec<&'static str>) -> (String, Arc<Mutex<Vec<String>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            for answer in answers {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                log.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_owned());
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            }
        });
        (url, seen)
    }

    const CUT: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: 9\r\nconnection: close\r\n\r\n{\"data\":{";
    const GOOD: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"data\":{}}";
    const EMPTY: &str =
        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

    fn request(method: HttpMethod, url: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method,
            url: format!("{url}/v2/key-value-stores/s/records/INPUT"),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: None,
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn a_cut_json_answer_to_a_request_safe_to_repeat_is_sent_again() {
        let (url, seen) = scripted(vec![CUT, CUT, GOOD]).await;
        let counters = Arc::new(Counters::default());
        let backend = ForgeBackend::new(counters.clone());
        let response = backend
            .send(request(HttpMethod::Get, &url, &[]))
            .await
            .expect("the third answer parses");
        assert_eq!(response.body, b"{\"data\":{}}");
        assert_eq!(seen.lock().unwrap().len(), 3);
        assert_eq!(counters.requests.load(Ordering::Relaxed), 3);
        assert_eq!(counters.malformed_answers.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn an_empty_answer_is_not_a_cut_one() {
        let (url, seen) = scripted(vec![EMPTY, GOOD]).await;
        let counters = Arc::new(Counters::default());
        let backend = ForgeBackend::new(counters.clone());
        let response = backend
            .send(request(HttpMethod::Put, &url, &[]))
            .await
            .expect("answered");
        assert_eq!((response.status, seen.lock().unwrap().len()), (201, 1));
        assert_eq!(counters.malformed_answers.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_cut_answer_every_time_becomes_a_transport_error_apify_client_retries() {
        let (url, _) = scripted(vec![CUT; 4]).await;
        let backend = ForgeBackend::new(Arc::new(Counters::default()));
        let err = backend
            .send(request(HttpMethod::Put, &url, &[]))
            .await
            .unwrap_err();
        assert!(matches!(err, ApifyClientError::Http(_)), "{err:?}");
        assert!(err.to_string().contains("not valid JSON, 4 times"), "{err}");
    }

    #[tokio::test]
    async fn a_post_is_never_sent_twice_by_the_transport() {
        // A run start or an item push: the answer, cut or not, goes back as it came.
        let (url, seen) = scripted(vec![CUT, GOOD]).await;
        let counters = Arc::new(Counters::default());
        let backend = ForgeBackend::new(counters.clone());
        let response = backend
            .send(request(HttpMethod::Post, &url, &[]))
            .await
            .expect("answered");
        assert_eq!(response.body, b"{\"data\":{");
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(counters.malformed_answers.load(Ordering::Relaxed), 1);
        // A charge carries an idempotency key: safe to send again.
        let charge = request(HttpMethod::Post, &url, &[("idempotency-key", "RUN-1-e")]);
        assert!(safe_to_repeat(&charge));
        let sync = HttpRequest {
            url: format!("{url}/v2/acts/a/run-sync"),
            ..request(HttpMethod::Get, &url, &[])
        };
        assert!(!safe_to_repeat(&sync));
    }

    #[test]
    fn only_a_non_empty_2xx_json_that_does_not_parse_is_malformed() {
        let answer = |status: u16, ctype: &str, body: &str| HttpResponse {
            status,
            headers: [("Content-Type".to_string(), ctype.to_string())].into(),
            body: body.as_bytes().to_vec(),
        };
        assert!(malformed_json(&answer(200, "application/json", "{\"a\":")));
        assert!(malformed_json(&answer(
            201,
            "application/problem+json",
            "[1,"
        )));
        assert!(!malformed_json(&answer(200, "application/json", "{}")));
        assert!(!malformed_json(&answer(201, "application/json", "")));
        assert!(!malformed_json(&answer(200, "text/html", "<html")));
        assert!(!malformed_json(&answer(502, "application/json", "{")));
    }

    #[tokio::test]
    async fn direct_requests_retry_what_is_safe_and_only_that() {
        let r429 =
            "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let r502 = "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let client = reqwest::Client::new();
        // 429: refused before anything was done, so even a run start is retried.
        let (url, seen) = scripted(vec![r429, r429, GOOD]).await;
        let post = || client.post(format!("{url}/v2/acts/a/run-sync"));
        let r = send_with_retries(post, false).await.expect("answered");
        assert_eq!((r.status().as_u16(), seen.lock().unwrap().len()), (200, 3));
        // A 502 may come after the run started: not retried unless repeatable.
        let (url, seen) = scripted(vec![r502, GOOD]).await;
        let post = || client.post(format!("{url}/v2/acts/a/run-sync"));
        let r = send_with_retries(post, false).await.expect("answered");
        assert_eq!((r.status().as_u16(), seen.lock().unwrap().len()), (502, 1));
        let (url, seen) = scripted(vec![r502, GOOD]).await;
        let get = || client.get(format!("{url}/v2/actors"));
        let r = send_with_retries(get, true).await.expect("answered");
        assert_eq!((r.status().as_u16(), seen.lock().unwrap().len()), (200, 2));
        // The budget: 1 + MAX_RETRIES sends, then the last answer.
        let (url, seen) = scripted(vec![r429; 6]).await;
        let get = || client.get(format!("{url}/v2/actors"));
        let r = send_with_retries(get, true).await.expect("answered");
        assert_eq!(r.status().as_u16(), 429);
        assert_eq!(seen.lock().unwrap().len(), 1 + MAX_RETRIES as usize);
    }
}
