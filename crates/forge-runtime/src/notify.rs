//! Delivery of Action Plan alerts ([`forge_core::analyses::alerts`]) to the URL of the tool's
//! `notify` input: a Slack incoming webhook or a generic JSON endpoint.
//!
//! The URL is a credential (a Slack webhook URL is all it takes to post to the channel): it
//! lives in a `SecretString`, [`NotifyTarget`]'s Debug shows only scheme and host, and no
//! error carries it, its path or its query. The Apify token is never sent: requests carry no
//! `Authorization` header, and the Apify API is refused as a target.

use std::time::Duration;

use forge_core::analyses::alerts::{
    json_payload, slack_payload, AlertSelection, AlertState, MessageContext,
};
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// The Apify API host: a notification never goes there.
const APIFY_API_HOST: &str = "api.apify.com";
/// Slack incoming webhooks' host: the format is auto-detected from it.
const SLACK_HOOKS_HOST: &str = "hooks.slack.com";
/// Response bytes read for an error's detail: Slack answers with a short code.
const DETAIL_BYTES: usize = 1024;

/// What the message looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyFormat {
    /// [`slack_payload`]: Slack incoming-webhook blocks.
    Slack,
    /// [`json_payload`]: a generic JSON document.
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(
        "input field `notify` is not a valid URL ({0}); give the full webhook URL, e.g. \
         https://hooks.slack.com/services/…"
    )]
    InvalidUrl(String),
    #[error(
        "input field `notify` must be an https URL; http is accepted only for a receiver on \
         this machine (127.0.0.1, ::1 or localhost)"
    )]
    NotHttps,
    #[error(
        "input field `notify` must not contain a user name or password (`user:pass@host`): \
         they would be sent with every message; use a webhook URL that carries its own secret"
    )]
    Userinfo,
    #[error(
        "input field `notify` points at the Apify API ({host}); alerts go to your own \
         receiver (e.g. a Slack incoming webhook), never to the Apify API"
    )]
    ApifyApi { host: String },
    #[error("input field `notifyFormat` must be \"auto\", \"slack\" or \"json\", not {0:?}")]
    InvalidFormat(String),
    #[error(
        "the notify endpoint rejected the message with HTTP {status}{} (attempt {attempts}); \
         check the webhook in input field `notify` (Slack answers 404 or 410 for a removed \
         webhook or channel)",
        detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    Rejected {
        status: u16,
        attempts: u32,
        detail: Option<String>,
    },
    #[error(
        "the notify endpoint answered with a redirect (HTTP {status}); give the final URL in \
         input field `notify`"
    )]
    Redirected { status: u16 },
    #[error("the notify endpoint still failed after {attempts} attempts: {last}")]
    Unavailable { attempts: u32, last: String },
    #[error("the notify request could not be prepared: {0}")]
    Prepare(String),
}

/// Where alerts go: the validated `notify` URL and the message format.
pub struct NotifyTarget {
    url: SecretString,
    scheme: String,
    host: String,
    loopback: bool,
    format: NotifyFormat,
}

impl std::fmt::Debug for NotifyTarget {
    // Scheme and host only: the path of a webhook URL is its secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyTarget")
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// 127.0.0.0/8, ::1 or `localhost`: a receiver on this machine, the one place plain http is
/// acceptable.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

fn same_host(host: &str, other: &str) -> bool {
    host.trim_end_matches('.')
        .eq_ignore_ascii_case(other.trim_end_matches('.'))
}

impl NotifyTarget {
    /// Validates the `notify` input (https, or http to loopback; no `user:pass@`; not the
    /// Apify API, neither `api.apify.com` nor the run's `api_base_url`) and picks the format:
    /// `notifyFormat` when given ("slack" | "json"), else Slack for `hooks.slack.com` and
    /// JSON otherwise.
    pub fn parse(
        notify: &str,
        format: Option<&str>,
        api_base_url: &str,
    ) -> Result<NotifyTarget, NotifyError> {
        // url's parse errors name the problem, never the input.
        let url = Url::parse(notify.trim()).map_err(|e| NotifyError::InvalidUrl(e.to_string()))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| NotifyError::InvalidUrl("no host".into()))?
            .to_string();
        let loopback = is_loopback(&host);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(NotifyError::NotHttps),
            other => {
                return Err(NotifyError::InvalidUrl(format!(
                    "scheme {other:?}, expected https"
                )))
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(NotifyError::Userinfo);
        }
        let api = Url::parse(api_base_url).ok();
        let is_api_base = api.as_ref().is_some_and(|a| {
            a.host_str().is_some_and(|h| same_host(h, &host))
                && a.port_or_known_default() == url.port_or_known_default()
        });
        if same_host(&host, APIFY_API_HOST) || is_api_base {
            return Err(NotifyError::ApifyApi { host });
        }
        let format = match format.map(str::trim) {
            None | Some("") | Some("auto") if same_host(&host, SLACK_HOOKS_HOST) => {
                NotifyFormat::Slack
            }
            None | Some("") | Some("auto") => NotifyFormat::Json,
            Some("slack") => NotifyFormat::Slack,
            Some("json") => NotifyFormat::Json,
            Some(other) => return Err(NotifyError::InvalidFormat(other.to_string())),
        };
        Ok(NotifyTarget {
            url: SecretString::from(url.to_string()),
            scheme: url.scheme().to_string(),
            host,
            loopback,
            format,
        })
    }

    pub fn format(&self) -> NotifyFormat {
        self.format
    }

    /// The message for this target's format.
    pub fn payload(&self, selection: &AlertSelection, ctx: &MessageContext) -> Value {
        match self.format {
            NotifyFormat::Slack => slack_payload(selection, ctx),
            NotifyFormat::Json => json_payload(selection, ctx),
        }
    }

    /// Parts of the URL that must not appear in any message: the URL, its path and query,
    /// and each of their segments long enough to be a secret.
    fn secret_parts(&self) -> Vec<String> {
        let full = self.url.expose_secret();
        let mut parts = vec![full.to_string()];
        if let Ok(u) = Url::parse(full) {
            parts.push(u.path().to_string());
            parts.extend(u.query().map(str::to_string));
            let rest = format!("{}?{}", u.path(), u.query().unwrap_or(""));
            parts.extend(
                rest.split(['/', '?', '&', '=', '#'])
                    .filter(|s| s.len() >= 4)
                    .map(str::to_string),
            );
        }
        parts.retain(|p| !p.is_empty() && p != "/");
        // Longest first, so a segment never leaves half of a longer part behind.
        parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
        parts
    }
}

/// `text` with every secret part replaced: the last guard on anything that reaches an error.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        out = out.replace(s.as_str(), "[redacted]");
    }
    out
}

/// A successful delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub status: u16,
    pub attempts: u32,
}

/// Attempts, per-attempt timeout and waits of one delivery.
#[derive(Debug, Clone, Copy)]
struct Policy {
    attempts: u32,
    timeout: Duration,
    /// Wait before retry n (1-based) is `backoff × n`, unless the endpoint says otherwise.
    backoff: Duration,
    max_retry_after: Duration,
}

const POLICY: Policy = Policy {
    attempts: 3,
    timeout: Duration::from_secs(10),
    backoff: Duration::from_secs(1),
    max_retry_after: Duration::from_secs(30),
};

/// POSTs `payload` as JSON to the target with an `Idempotency-Key` header (the same on every
/// attempt) and no `Authorization` header. Up to 3 attempts of 10 s each: connection errors,
/// timeouts, 429 (waiting `Retry-After` seconds, at most 30) and 5xx are retried; any other
/// 4xx, and a redirect, are permanent.
pub async fn deliver(
    target: &NotifyTarget,
    payload: &Value,
    idempotency_key: &str,
) -> Result<Delivery, NotifyError> {
    deliver_with(target, payload, idempotency_key, POLICY).await
}

async fn deliver_with(
    target: &NotifyTarget,
    payload: &Value,
    idempotency_key: &str,
    policy: Policy,
) -> Result<Delivery, NotifyError> {
    let key = HeaderValue::from_str(idempotency_key)
        .map_err(|_| NotifyError::Prepare("the idempotency key is not a valid header".into()))?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(policy.timeout)
        .user_agent(concat!("apifyforge/", env!("CARGO_PKG_VERSION")));
    if target.loopback {
        // A proxy cannot reach this machine's loopback: a local receiver is always direct.
        builder = builder.no_proxy();
    }
    let client = builder
        .build()
        .map_err(|e| NotifyError::Prepare(e.without_url().to_string()))?;
    let secrets = target.secret_parts();
    let mut last = String::new();
    for attempt in 1..=policy.attempts {
        let sent = client
            .post(target.url.expose_secret())
            .header("Idempotency-Key", key.clone())
            .json(payload)
            .send()
            .await;
        let wait = match sent {
            Err(e) => {
                let e = e.without_url();
                let retryable = e.is_connect() || e.is_timeout() || e.is_request();
                last = scrub(&describe(&e), &secrets);
                if !retryable {
                    return Err(NotifyError::Unavailable {
                        attempts: attempt,
                        last,
                    });
                }
                None
            }
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    return Ok(Delivery {
                        status: status.as_u16(),
                        attempts: attempt,
                    });
                }
                if status.is_redirection() {
                    return Err(NotifyError::Redirected {
                        status: status.as_u16(),
                    });
                }
                let retry_after = retry_after(response.headers(), policy.max_retry_after);
                let detail = detail(response, &secrets).await;
                if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
                    return Err(NotifyError::Rejected {
                        status: status.as_u16(),
                        attempts: attempt,
                        detail,
                    });
                }
                last = format!("HTTP {}", status.as_u16());
                if let Some(d) = detail {
                    last.push_str(&format!(": {d}"));
                }
                retry_after
            }
        };
        if attempt < policy.attempts {
            let wait = wait.unwrap_or(policy.backoff * attempt);
            tracing::warn!(attempt, ?wait, %last, "notify: delivery failed, retrying");
            tokio::time::sleep(wait).await;
        }
    }
    Err(NotifyError::Unavailable {
        attempts: policy.attempts,
        last,
    })
}

/// A transport error with its causes ("error sending request: tcp connect error: Connection
/// refused"); reqwest's own Display stops at the first.
fn describe(e: &reqwest::Error) -> String {
    let mut out = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// `Retry-After` in seconds, capped; an HTTP date falls back to the backoff.
fn retry_after(headers: &HeaderMap, cap: Duration) -> Option<Duration> {
    let secs: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).min(cap))
}

/// A short, printable response body (Slack's `invalid_payload`, `no_service`...), scrubbed
/// of the URL's parts; anything longer or odd is left out rather than risk echoing a secret.
async fn detail(mut response: reqwest::Response, secrets: &[String]) -> Option<String> {
    let mut body = Vec::new();
    while body.len() < DETAIL_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    let printable = text.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    (!text.is_empty() && text.len() <= 200 && printable && !text.contains("://"))
        .then(|| scrub(text, secrets))
}

/// What the shell does with a selection: the state to store and the delivery's result.
#[derive(Debug)]
pub struct NotifyOutcome {
    /// `next_state` when delivered or nothing was due; `retry_state` when delivery failed,
    /// so the same alerts are due again next run.
    pub state: AlertState,
    /// `Ok(None)`: no alert was due, nothing was sent.
    pub delivery: Result<Option<Delivery>, NotifyError>,
}

/// Sends the selection's message (when it has alerts) and says which state to store.
pub async fn send_alerts(
    target: &NotifyTarget,
    selection: &AlertSelection,
    ctx: &MessageContext,
) -> NotifyOutcome {
    if selection.is_empty() {
        return NotifyOutcome {
            state: selection.next_state.clone(),
            delivery: Ok(None),
        };
    }
    let payload = target.payload(selection, ctx);
    match deliver(target, &payload, &selection.idempotency_key()).await {
        Ok(d) => NotifyOutcome {
            state: selection.next_state.clone(),
            delivery: Ok(Some(d)),
        },
        Err(e) => NotifyOutcome {
            state: selection.retry_state.clone(),
            delivery: Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const SECRET: &str = "XyzSecretHookPath42";
    const API: &str = "https://api.apify.com";

    /// What the receiver does with one connection.
    #[derive(Clone)]
    enum Reply {
        Status(u16, &'static str, &'static str),
        /// Reads the request and never answers.
        Hang,
    }

    #[derive(Debug, Clone)]
    struct Recorded {
        request_line: String,
        /// Lower-cased names.
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Recorded {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// A loopback HTTP/1.1 receiver: one reply per connection, in order (the last repeats),
    /// recording every request.
    async fn receiver(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<Recorded>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/services/T01/B02/{SECRET}",
            listener.local_addr().unwrap()
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        tokio::spawn(async move {
            for i in 0.. {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let reply = replies[i.min(replies.len() - 1)].clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut socket).await else {
                        return;
                    };
                    seen.lock().unwrap().push(req);
                    match reply {
                        Reply::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                        Reply::Status(code, headers, body) => {
                            let head = format!(
                                "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
                                body.len()
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            let _ = socket.write_all(body.as_bytes()).await;
                            let _ = socket.shutdown().await;
                        }
                    }
                });
            }
        });
        (url, log)
    }

    async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Recorded> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let mut lines = head.split("\r\n");
        let request_line = lines.next()?.to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = buf[end..].to_vec();
        while body.len() < len {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Some(Recorded {
            request_line,
            headers,
            body,
        })
    }

    fn target(url: &str) -> NotifyTarget {
        NotifyTarget::parse(url, None, API).unwrap()
    }

    const FAST: Policy = Policy {
        attempts: 3,
        timeout: Duration::from_millis(300),
        backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(30),
    };

    fn assert_no_secret(e: &NotifyError) {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("/services/"), "{text}");
    }

    #[tokio::test]
    async fn posts_json_with_the_idempotency_key_and_no_authorization() {
        let (url, log) = receiver(vec![Reply::Status(200, "", "ok")]).await;
        let payload = json!({"text": "hello", "n": 1});
        let d = deliver(&target(&url), &payload, "key-123").await.unwrap();
        assert_eq!(
            d,
            Delivery {
                status: 200,
                attempts: 1
            }
        );
        let log = log.lock().unwrap();
        let req = &log[0];
        assert_eq!(
            req.request_line,
            format!("POST /services/T01/B02/{SECRET} HTTP/1.1")
        );
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("idempotency-key"), Some("key-123"));
        assert_eq!(req.header("authorization"), None);
        assert_eq!(serde_json::from_slice::<Value>(&req.body).unwrap(), payload);
    }

    #[tokio::test]
    async fn a_503_then_200_takes_two_attempts_with_the_same_key() {
        let replies = vec![Reply::Status(503, "", ""), Reply::Status(200, "", "")];
        let (url, log) = receiver(replies).await;
        let d = deliver_with(&target(&url), &json!({}), "k", FAST)
            .await
            .unwrap();
        assert_eq!(
            d,
            Delivery {
                status: 200,
                attempts: 2
            }
        );
        let log = log.lock().unwrap();
        assert!(log.iter().all(|r| r.header("idempotency-key") == Some("k")));
    }

    #[tokio::test]
    async fn a_429_waits_for_retry_after() {
        let replies = vec![
            Reply::Status(429, "Retry-After: 1\r\n", "rate_limited"),
            Reply::Status(200, "", ""),
        ];
        let (url, _) = receiver(replies).await;
        let started = std::time::Instant::now();
        let d = deliver_with(&target(&url), &json!({}), "k", FAST)
            .await
            .unwrap();
        assert_eq!(d.attempts, 2);
        assert!(started.elapsed() >= Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_400_is_permanent_and_its_error_never_echoes_the_url() {
        // The body echoes the secret path: a naive error would leak it.
        let body: &'static str =
            Box::leak(format!("invalid_payload for /services/T01/B02/{SECRET}").into_boxed_str());
        let (url, log) = receiver(vec![Reply::Status(400, "", body)]).await;
        let e = deliver_with(&target(&url), &json!({}), "k", FAST)
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            NotifyError::Rejected {
                status: 400,
                attempts: 1,
                ..
            }
        ));
        assert_no_secret(&e);
        assert!(
            e.to_string()
                .contains(": invalid_payload for [redacted] (attempt 1)"),
            "{e}"
        );
        assert_eq!(log.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn persistent_5xx_gives_up_after_three_attempts() {
        let (url, log) = receiver(vec![Reply::Status(500, "", "rollup_error")]).await;
        let e = deliver_with(&target(&url), &json!({}), "k", FAST)
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the notify endpoint still failed after 3 attempts: HTTP 500: rollup_error"
        );
        assert_eq!(log.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_timeout_is_retried() {
        let (url, log) = receiver(vec![Reply::Hang, Reply::Status(204, "", "")]).await;
        let d = deliver_with(&target(&url), &json!({}), "k", FAST)
            .await
            .unwrap();
        assert_eq!(
            d,
            Delivery {
                status: 204,
                attempts: 2
            }
        );
        assert_eq!(log.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn connection_errors_are_retried_and_never_name_the_url() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let t = target(&format!(
            "http://{addr}/services/T01/B02/{SECRET}?s={SECRET}"
        ));
        let e = deliver_with(&t, &json!({}), "k", FAST).await.unwrap_err();
        assert!(
            matches!(e, NotifyError::Unavailable { attempts: 3, .. }),
            "{e}"
        );
        assert_no_secret(&e);
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let (url, log) = receiver(vec![Reply::Status(
            302,
            "Location: https://elsewhere.test/\r\n",
            "",
        )])
        .await;
        let e = deliver_with(&target(&url), &json!({}), "k", FAST)
            .await
            .unwrap_err();
        assert!(matches!(e, NotifyError::Redirected { status: 302 }));
        assert_eq!(log.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn send_alerts_keeps_the_retry_state_when_delivery_fails() {
        use chrono::{TimeZone, Utc};
        use forge_core::analyses::action_plan::PlanItem;
        use forge_core::analyses::alerts::{select, AlertConfig};
        use forge_core::signal::{Impact, Severity};
        let item = PlanItem {
            key: "a1/failures".into(),
            actor_id: "a1".into(),
            actor_name: "one".into(),
            cause: "failures".into(),
            severity: Severity::Critical,
            score: 1000.0,
            impact: Impact::default(),
            top_fix: "fix".into(),
            signals: vec![],
            tools: vec![],
            titles: vec!["fails".into()],
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap();
        let sel = select(&[item], None, now, &AlertConfig::default());
        let ctx = MessageContext {
            as_of: now,
            ..MessageContext::default()
        };
        let (bad, _) = receiver(vec![Reply::Status(404, "", "no_service")]).await;
        let failed = send_alerts(&target(&bad), &sel, &ctx).await;
        assert!(failed.delivery.is_err());
        assert_eq!(failed.state, sel.retry_state);
        assert!(failed.state.items.is_empty());
        let (good, log) = receiver(vec![Reply::Status(200, "", "ok")]).await;
        let sent = send_alerts(&target(&good), &sel, &ctx).await;
        assert_eq!(sent.delivery.unwrap().unwrap().attempts, 1);
        assert_eq!(sent.state, sel.next_state);
        let body: Value = serde_json::from_slice(&log.lock().unwrap()[0].body).unwrap();
        assert_eq!(body["alerts"][0]["key"], "a1/failures");
    }

    #[test]
    fn urls_are_validated_with_errors_naming_the_field() {
        let err = |u: &str| NotifyTarget::parse(u, None, API).unwrap_err();
        let garbage = err("not a url");
        assert!(matches!(garbage, NotifyError::InvalidUrl(_)));
        assert!(garbage
            .to_string()
            .starts_with("input field `notify` is not a valid URL"));
        assert!(matches!(
            err("http://example.com/hook"),
            NotifyError::NotHttps
        ));
        assert!(matches!(err("http://10.0.0.1/hook"), NotifyError::NotHttps));
        assert!(matches!(
            err("ftp://example.com/hook"),
            NotifyError::InvalidUrl(_)
        ));
        let userinfo = err(&format!("https://user:{SECRET}@example.com/hook"));
        assert!(matches!(userinfo, NotifyError::Userinfo));
        assert_no_secret(&userinfo);
        assert!(matches!(
            err("https://api.apify.com/v2/acts"),
            NotifyError::ApifyApi { .. }
        ));
        assert!(matches!(
            err("https://API.apify.com./x"),
            NotifyError::ApifyApi { .. }
        ));
        // The run's own API base (an emulator on loopback) is refused too.
        let own = NotifyTarget::parse("http://127.0.0.1:8099/x", None, "http://127.0.0.1:8099")
            .unwrap_err();
        assert!(matches!(own, NotifyError::ApifyApi { .. }));
        for e in [
            garbage,
            err("http://example.com/x"),
            err("https://api.apify.com/"),
        ] {
            assert!(e.to_string().contains("`notify`"), "{e}");
        }
        for ok in [
            "http://127.0.0.1:9/x",
            "http://127.8.9.10/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
            "https://example.com/hook",
        ] {
            assert!(NotifyTarget::parse(ok, None, API).is_ok(), "{ok}");
        }
    }

    #[test]
    fn the_format_is_detected_or_chosen_and_debug_shows_no_path() {
        let slack = format!("https://hooks.slack.com/services/T01/B02/{SECRET}");
        let t = target(&slack);
        assert_eq!(t.format(), NotifyFormat::Slack);
        let debug = format!("{t:?}");
        assert_eq!(
            debug,
            "NotifyTarget { scheme: \"https\", host: \"hooks.slack.com\", format: Slack, .. }"
        );
        assert_eq!(target("https://example.com/h").format(), NotifyFormat::Json);
        let forced = NotifyTarget::parse("https://example.com/h", Some("slack"), API).unwrap();
        assert_eq!(forced.format(), NotifyFormat::Slack);
        let json = NotifyTarget::parse(&slack, Some("json"), API).unwrap();
        assert_eq!(json.format(), NotifyFormat::Json);
        assert!(matches!(
            NotifyTarget::parse(&slack, Some("xml"), API),
            Err(NotifyError::InvalidFormat(_))
        ));
    }
}
