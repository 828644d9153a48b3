//! Alerts without storms: which Action Plan items to page a person about, and the messages
//! that do it. The orchestrator may run daily on a Schedule; a person is paged only when
//! something changed.
//!
//! # What is sent
//!
//! Only act-now items (severity high or critical; `ActionPlan.items` are already
//! unacknowledged) can alert. Against the [`AlertState`] kept in the run's SNAPSHOT, by item
//! key (`actorId/cause`, stable across runs):
//!
//! - **new**: no state for the key;
//! - **worsened**: a higher severity than notified, or money or failed runs at least 1.5× the
//!   notified figure (from a figure above zero), the rule of `Changes.worsened`;
//! - otherwise **suppressed**, with the reason. Items below high are neither: they never
//!   alert and are not listed.
//!
//! The comparison is with what was *notified*, not with the previous run, so a slow drift of
//! +20 % a day alerts once it reaches +50 % of what the person last heard.
//!
//! # Flapping
//!
//! An item that stops being act-now (gone, acknowledged, below high, or its tool degraded)
//! keeps its state for `forgetAfterDays` (default 14) from its `lastSeenAt`: back within the
//! cool-down it is not new (unless worsened). Its state is forgotten by the first run that
//! sees it absent once the cool-down has passed, so only an absence a run has seen can
//! forget: a paused schedule or a failed orchestrator does not make every open item new
//! again when runs resume.
//!
//! # Cap
//!
//! A message details at most `maxAlertsPerMessage` alerts (default 10), the highest-scored
//! (items arrive ranked), and summarises the rest as "and N more" with a link to the report.
//! The ones over the cap are still marked as notified in [`AlertSelection::next_state`]: the
//! message names their count and links the full plan, and otherwise they would page again
//! on every run until they made it into the top of a message.
//!
//! # State and delivery
//!
//! The shell stores [`AlertSelection::next_state`] only when delivery succeeded (or there was
//! nothing to send). When delivery failed it stores [`AlertSelection::retry_state`]: the
//! previous state with `lastSeenAt` refreshed and the cool-down applied, so the same alerts
//! are selected again next run and no flapping information is lost.
//!
//! The payloads ([`slack_payload`], [`json_payload`]) are built from plan items only: no
//! token or webhook URL ever reaches this module.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::action_plan::PlanItem;
use super::fleet::TOOL;
use crate::signal::{Impact, Severity, SCHEMA_VERSION};

/// Version of [`AlertState`] and of the JSON payload.
pub const ALERTS_SCHEMA_VERSION: u32 = SCHEMA_VERSION;
/// The most alerts one message details: Slack allows 50 blocks, and a message also has a
/// header and two context blocks.
pub const MAX_ALERTS_PER_MESSAGE: usize = 40;
/// Slack's limit of a section's text, in characters.
const SLACK_TEXT_MAX: usize = 3000;
/// Slack's limit of a header's text, in characters.
const SLACK_HEADER_MAX: usize = 150;
/// Budgets of user-derived parts of a section, so that the whole stays under
/// [`SLACK_TEXT_MAX`] (the rest is ours: labels, figures, a link, under 300 characters).
const NAME_MAX: usize = 200;
const CAUSE_MAX: usize = 100;
const TITLE_MAX: usize = 900;
const FIX_MAX: usize = 1400;
/// Money or failed runs at this multiple of the notified figure is "worsened".
const WORSE_FACTOR: f64 = 1.5;

// ---------------------------------------------------------------- config

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertConfig {
    /// Days an item that stopped being act-now keeps its state (module docs: flapping).
    pub forget_after_days: f64,
    /// Alerts detailed per message; the rest are summarised as "and N more".
    pub max_alerts_per_message: usize,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            forget_after_days: 14.0,
            max_alerts_per_message: 10,
        }
    }
}

impl AlertConfig {
    /// Odd values fall back to the default (NaN, ≤ 0 or over ten years of cool-down) or are
    /// clamped (a cap of 0, or more than a Slack message can hold).
    fn sanitized(&self) -> AlertConfig {
        let d = AlertConfig::default();
        let days = self.forget_after_days;
        AlertConfig {
            forget_after_days: super::sane(days, d.forget_after_days, days > 0.0 && days <= 3650.0),
            max_alerts_per_message: self.max_alerts_per_message.clamp(1, MAX_ALERTS_PER_MESSAGE),
        }
    }

    fn forget_after(&self) -> Duration {
        Duration::seconds((self.forget_after_days * 86_400.0).round() as i64)
    }
}

// ---------------------------------------------------------------- state

/// What was last notified about each item, by item key: the SNAPSHOT part of alerting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertState {
    pub schema_version: u32,
    /// By `PlanItem.key`; a map so the stored bytes do not depend on the plan's order.
    pub items: BTreeMap<String, Notified>,
}

impl Default for AlertState {
    fn default() -> Self {
        AlertState {
            schema_version: ALERTS_SCHEMA_VERSION,
            items: BTreeMap::new(),
        }
    }
}

/// One item as it was when last notified, and when a run last saw it act-now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notified {
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_per_month: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_runs_per_week: Option<f64>,
    pub notified_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

impl Notified {
    fn of(item: &PlanItem, now: DateTime<Utc>) -> Notified {
        Notified {
            severity: item.severity,
            usd_per_month: finite(item.impact.usd_per_month),
            failed_runs_per_week: finite(item.impact.failed_runs_per_week),
            notified_at: now,
            last_seen_at: now,
        }
    }

    /// Whether `item` is worse than what was notified (module docs).
    fn worse(&self, item: &PlanItem) -> bool {
        item.severity > self.severity
            || up_by_half(self.usd_per_month, item.impact.usd_per_month)
            || up_by_half(self.failed_runs_per_week, item.impact.failed_runs_per_week)
    }
}

fn up_by_half(notified: Option<f64>, now: Option<f64>) -> bool {
    match (finite(notified), finite(now)) {
        (Some(p), Some(n)) => p > 0.0 && n >= WORSE_FACTOR * p,
        _ => false,
    }
}

fn eligible(item: &PlanItem) -> bool {
    item.severity >= Severity::High
}

impl AlertState {
    /// This state after a run that saw `items` but notified nobody (failed delivery): the
    /// items it knows get `lastSeenAt = now`, absent ones past the cool-down are forgotten,
    /// and no item is added, so unsent alerts are selected again next run.
    pub fn seen(&self, items: &[PlanItem], now: DateTime<Utc>, config: &AlertConfig) -> AlertState {
        let cfg = config.sanitized();
        let mut present = BTreeSet::new();
        let mut next = BTreeMap::new();
        for item in items.iter().filter(|i| eligible(i)) {
            present.insert(item.key.as_str());
            if let Some(n) = self.items.get(&item.key) {
                let refreshed = Notified {
                    last_seen_at: now,
                    ..n.clone()
                };
                next.insert(item.key.clone(), refreshed);
            }
        }
        carry_absent(&self.items, &present, now, &cfg, &mut next);
        AlertState {
            schema_version: ALERTS_SCHEMA_VERSION,
            items: next,
        }
    }
}

/// Copies the entries of `previous` whose item is not act-now in this run, unless their
/// cool-down has passed.
fn carry_absent(
    previous: &BTreeMap<String, Notified>,
    present: &BTreeSet<&str>,
    now: DateTime<Utc>,
    cfg: &AlertConfig,
    next: &mut BTreeMap<String, Notified>,
) {
    let forget_after = cfg.forget_after();
    for (key, n) in previous {
        if !present.contains(key.as_str()) && now - n.last_seen_at < forget_after {
            next.insert(key.clone(), n.clone());
        }
    }
}

// ---------------------------------------------------------------- selection

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    New,
    Worsened,
}

impl AlertKind {
    fn as_str(self) -> &'static str {
        match self {
            AlertKind::New => "new",
            AlertKind::Worsened => "worsened",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub kind: AlertKind,
    pub item: PlanItem,
    /// What was notified before (worsened alerts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Notified>,
}

/// An act-now item that does not alert, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppressed {
    pub key: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertSelection {
    /// Every alert, in plan order (highest score first).
    pub alerts: Vec<Alert>,
    /// Act-now items that do not alert, in plan order.
    pub suppressed: Vec<Suppressed>,
    /// The state to store when the alerts were delivered (or there were none).
    pub next_state: AlertState,
    /// The state to store when delivery failed: see [`AlertState::seen`].
    pub retry_state: AlertState,
    /// Alerts a message details; the rest are "and N more".
    pub max_per_message: usize,
}

impl AlertSelection {
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    /// The alerts a message details.
    pub fn shown(&self) -> &[Alert] {
        &self.alerts[..self.alerts.len().min(self.max_per_message)]
    }

    /// The alerts a message only counts.
    pub fn more(&self) -> usize {
        self.alerts.len() - self.shown().len()
    }

    /// A key for the receiver's `Idempotency-Key`, from the alerts' content only: a message
    /// retried after a lost response (this run, or the next after failed delivery) has the
    /// same key.
    pub fn idempotency_key(&self) -> String {
        let mut h = Fnv::new();
        for a in &self.alerts {
            h.write(a.item.key.as_bytes());
            h.write(a.kind.as_str().as_bytes());
            h.write(severity_str(a.item.severity).as_bytes());
            for v in [
                a.item.impact.usd_per_month,
                a.item.impact.failed_runs_per_week,
            ] {
                h.write(&finite(v).unwrap_or(-1.0).to_bits().to_le_bytes());
            }
        }
        format!("fleet-analytics-alerts-{:016x}", h.0)
    }
}

/// FNV-1a, 64 bit: stable across platforms and versions, like `signal_id`.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes.iter().chain(std::iter::once(&0)) {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Which of `items` (the plan's open items, ranked) to alert about, given what was notified
/// before (module docs).
pub fn select(
    items: &[PlanItem],
    previous: Option<&AlertState>,
    now: DateTime<Utc>,
    config: &AlertConfig,
) -> AlertSelection {
    let cfg = config.sanitized();
    let empty = AlertState::default();
    let previous = previous.unwrap_or(&empty);
    let mut alerts = Vec::new();
    let mut suppressed = Vec::new();
    let mut present = BTreeSet::new();
    let mut next = BTreeMap::new();
    for item in items.iter().filter(|i| eligible(i)) {
        // A repeated key (not made by build_plan) alerts once.
        if !present.insert(item.key.as_str()) {
            continue;
        }
        match previous.items.get(&item.key) {
            None => {
                alerts.push(Alert {
                    kind: AlertKind::New,
                    item: item.clone(),
                    previous: None,
                });
                next.insert(item.key.clone(), Notified::of(item, now));
            }
            Some(n) if n.worse(item) => {
                alerts.push(Alert {
                    kind: AlertKind::Worsened,
                    item: item.clone(),
                    previous: Some(n.clone()),
                });
                next.insert(item.key.clone(), Notified::of(item, now));
            }
            Some(n) => {
                suppressed.push(Suppressed {
                    key: item.key.clone(),
                    reason: format!(
                        "already notified on {}, not worse",
                        n.notified_at.format("%Y-%m-%d")
                    ),
                });
                // The notified figures stay: "worse" is measured from what the person heard.
                let refreshed = Notified {
                    last_seen_at: now,
                    ..n.clone()
                };
                next.insert(item.key.clone(), refreshed);
            }
        }
    }
    carry_absent(&previous.items, &present, now, &cfg, &mut next);
    AlertSelection {
        alerts,
        suppressed,
        next_state: AlertState {
            schema_version: ALERTS_SCHEMA_VERSION,
            items: next,
        },
        retry_state: previous.seen(items, now, &cfg),
        max_per_message: cfg.max_alerts_per_message,
    }
}

// ---------------------------------------------------------------- messages

/// What a message says besides the alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageContext {
    pub as_of: DateTime<Utc>,
    /// Whose fleet (e.g. the Apify username); omitted when empty.
    pub fleet: String,
    /// One line about the whole plan (e.g. the OUTPUT summary); omitted when empty.
    pub summary: String,
    /// The run's report (its OUTPUT record or Console page).
    pub report_url: Option<String>,
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// The actor's Console page, when the subject is an actor with a plain id (not `fleet`,
/// and nothing that could break out of a link).
pub fn console_url(actor_id: &str) -> Option<String> {
    let plain = !actor_id.is_empty()
        && actor_id.len() <= 64
        && actor_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (plain && actor_id != "fleet").then(|| format!("https://console.apify.com/actors/{actor_id}"))
}

fn money(usd: f64) -> String {
    if usd >= 100.0 {
        format!("${usd:.0}")
    } else {
        format!("${usd:.2}")
    }
}

fn count(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Money, failed runs and callers, those that are known and above zero.
fn figures(impact: &Impact) -> Vec<String> {
    let positive = |v: Option<f64>| v.filter(|x| x.is_finite() && *x > 0.0);
    let mut out = Vec::new();
    if let Some(u) = positive(impact.usd_per_month) {
        out.push(format!("{}/month", money(u)));
    }
    if let Some(f) = positive(impact.failed_runs_per_week) {
        out.push(format!("{} failed runs/week", count(f)));
    }
    if let Some(c) = impact.callers_affected.filter(|c| *c > 0) {
        out.push(format!("{c} callers affected"));
    }
    out
}

fn was(n: &Notified) -> String {
    let impact = Impact {
        usd_per_month: n.usd_per_month,
        failed_runs_per_week: n.failed_runs_per_week,
        callers_affected: None,
    };
    let mut parts = vec![severity_str(n.severity).to_string()];
    parts.extend(figures(&impact));
    format!(
        "was {} when notified on {}",
        parts.join(" · "),
        n.notified_at.format("%Y-%m-%d")
    )
}

/// Slack mrkdwn's control characters as entities: user-derived text can neither format a
/// link nor mention `<!channel>`.
pub fn escape_mrkdwn(s: &str) -> String {
    escape_clip(s, usize::MAX)
}

/// `s` escaped, at most `max` characters, cut between source characters (never inside an
/// entity), ending in "…" when cut.
fn escape_clip(s: &str, max: usize) -> String {
    let piece = |c: char| match c {
        '&' => "&amp;".to_string(),
        '<' => "&lt;".to_string(),
        '>' => "&gt;".to_string(),
        c => c.to_string(),
    };
    let total: usize = s.chars().map(|c| piece(c).chars().count()).sum();
    if total <= max {
        return s.chars().map(piece).collect();
    }
    let mut out = String::new();
    let mut len = 0;
    for c in s.chars() {
        let p = piece(c);
        let n = p.chars().count();
        if len + n + 1 > max {
            break;
        }
        out.push_str(&p);
        len += n;
    }
    out.push('…');
    out
}

/// Already escaped mrkdwn cut to `max` characters (the last guard of a section): never
/// inside an entity or a `<link>`, ending in "…" when cut.
fn clip_mrkdwn(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    if let Some(open) = out.rfind('<') {
        if out[open..].find('>').is_none() {
            out.truncate(open);
        }
    }
    if let Some(amp) = out.rfind('&') {
        if out[amp..].find(';').is_none() {
            out.truncate(amp);
        }
    }
    out.push('…');
    out
}

/// A `<url|label>` link; the URL is escaped too and cannot end the label early.
fn link(url: &str, label: &str) -> String {
    let url = escape_mrkdwn(url).replace('|', "%7C").replace(' ', "%20");
    format!("<{url}|{label}>")
}

fn plain_clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn headline(sel: &AlertSelection) -> String {
    let new = sel
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::New)
        .count();
    let worse = sel.alerts.len() - new;
    match (new, worse) {
        (0, 0) => "Action Plan: no new act-now items".to_string(),
        (n, 0) => format!("Action Plan: {n} new act-now item{}", plural(n)),
        (0, w) => format!("Action Plan: {w} act-now item{} worsened", plural(w)),
        (n, w) => format!("Action Plan: {n} new, {w} worsened act-now items"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn actor_label(item: &PlanItem) -> &str {
    if item.actor_name.is_empty() {
        &item.actor_id
    } else {
        &item.actor_name
    }
}

fn section_text(alert: &Alert) -> String {
    let item = &alert.item;
    let name = escape_clip(actor_label(item), NAME_MAX);
    let actor = match console_url(&item.actor_id) {
        Some(url) => link(&url, &name),
        None => format!("*{name}*"),
    };
    let mut lines = vec![format!(
        "*{} · {}* · {} · {}",
        severity_str(item.severity).to_uppercase(),
        alert.kind.as_str(),
        actor,
        escape_clip(&item.cause, CAUSE_MAX)
    )];
    if let Some(title) = item.titles.first() {
        let mut line = escape_clip(title, TITLE_MAX);
        if item.titles.len() > 1 {
            line.push_str(&format!(" (+{} more)", item.titles.len() - 1));
        }
        lines.push(line);
    }
    let figs = figures(&item.impact);
    if !figs.is_empty() {
        lines.push(figs.join(" · "));
    }
    if let Some(n) = &alert.previous {
        lines.push(format!("_{}_", was(n)));
    }
    if !item.top_fix.is_empty() {
        lines.push(format!("*Fix:* {}", escape_clip(&item.top_fix, FIX_MAX)));
    }
    clip_mrkdwn(&lines.join("\n"), SLACK_TEXT_MAX)
}

fn mrkdwn_context(text: String) -> Value {
    json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip_mrkdwn(&text, SLACK_TEXT_MAX)}],
    })
}

/// A Slack incoming-webhook message: a `text` fallback (notifications) and `blocks`: a
/// header, a context line (fleet, as-of, summary), one section per shown alert, and a
/// context line with "and N more" and the report link. Within Slack's limits: at most
/// [`MAX_ALERTS_PER_MESSAGE`] + 3 blocks, texts within 3000 characters, user-derived text
/// escaped.
pub fn slack_payload(sel: &AlertSelection, ctx: &MessageContext) -> Value {
    let headline = headline(sel);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": plain_clip(&headline, SLACK_HEADER_MAX)},
    })];
    let mut about = Vec::new();
    if !ctx.fleet.is_empty() {
        about.push(format!("*{}*", escape_clip(&ctx.fleet, NAME_MAX)));
    }
    about.push(format!("as of {}", ctx.as_of.format("%Y-%m-%d %H:%M UTC")));
    if !ctx.summary.is_empty() {
        about.push(escape_clip(&ctx.summary, TITLE_MAX));
    }
    blocks.push(mrkdwn_context(about.join(" · ")));
    for alert in sel.shown() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": section_text(alert)},
        }));
    }
    let mut footer = Vec::new();
    if sel.more() > 0 {
        footer.push(format!("and {} more", sel.more()));
    }
    if let Some(url) = &ctx.report_url {
        footer.push(link(url, "Open the full report"));
    }
    if !footer.is_empty() {
        blocks.push(mrkdwn_context(footer.join(" · ")));
    }
    let mut text = headline;
    if let Some(first) = sel.alerts.first() {
        let title = first.item.titles.first().map(String::as_str).unwrap_or("");
        text.push_str(&format!(
            ": {} {} — {}",
            severity_str(first.item.severity).to_uppercase(),
            escape_clip(actor_label(&first.item), NAME_MAX),
            escape_clip(title, TITLE_MAX)
        ));
    }
    if sel.more() > 0 {
        text.push_str(&format!(" (and {} more)", sel.more()));
    }
    json!({"text": clip_mrkdwn(&text, SLACK_TEXT_MAX), "blocks": blocks})
}

/// The payload for a generic JSON endpoint: the shown alerts in full, the count and keys of
/// the rest, and the report link. Plain JSON: nothing escaped or truncated.
pub fn json_payload(sel: &AlertSelection, ctx: &MessageContext) -> Value {
    let alerts: Vec<Value> = sel
        .shown()
        .iter()
        .map(|a| {
            let i = &a.item;
            let mut v = json!({
                "key": i.key,
                "kind": a.kind,
                "severity": i.severity,
                "actorId": i.actor_id,
                "actorName": i.actor_name,
                "cause": i.cause,
                "titles": i.titles,
                "impact": i.impact,
                "topFix": i.top_fix,
                "signals": i.signals,
            });
            if let Some(url) = console_url(&i.actor_id) {
                v["consoleUrl"] = json!(url);
            }
            if let Some(p) = &a.previous {
                v["previous"] = json!(p);
            }
            v
        })
        .collect();
    let more_keys: Vec<&str> = sel.alerts[sel.shown().len()..]
        .iter()
        .map(|a| a.item.key.as_str())
        .collect();
    json!({
        "schemaVersion": ALERTS_SCHEMA_VERSION,
        "tool": TOOL,
        "asOf": ctx.as_of,
        "fleet": ctx.fleet,
        "summary": ctx.summary,
        "alerts": alerts,
        "more": sel.more(),
        "moreKeys": more_keys,
        "reportUrl": ctx.report_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 16, 6, 0, 0).unwrap() + Duration::days(d)
    }

    fn item(actor: &str, severity: Severity, usd: Option<f64>) -> PlanItem {
        PlanItem {
            key: format!("{actor}/failures"),
            actor_id: actor.into(),
            actor_name: format!("name-{actor}"),
            cause: "failures".into(),
            severity,
            score: 0.0,
            impact: Impact {
                usd_per_month: usd,
                failed_runs_per_week: Some(10.0),
                callers_affected: None,
            },
            top_fix: format!("fix {actor}"),
            signals: vec![format!("sig-{actor}")],
            tools: vec!["fleet-analytics".into()],
            titles: vec![format!("{actor} fails")],
        }
    }

    /// One run: select, then store the state as a successful delivery would.
    fn run(items: &[PlanItem], state: &mut Option<AlertState>, d: i64) -> AlertSelection {
        let sel = select(items, state.as_ref(), day(d), &AlertConfig::default());
        *state = Some(sel.next_state.clone());
        sel
    }

    fn alerted(sel: &AlertSelection) -> Vec<(&str, AlertKind)> {
        sel.alerts
            .iter()
            .map(|a| (a.item.key.as_str(), a.kind))
            .collect()
    }

    #[test]
    fn a_new_item_alerts_once_and_an_identical_run_sends_nothing() {
        let items = [item("a1", Severity::Critical, Some(20.0))];
        let mut state = None;
        let first = run(&items, &mut state, 0);
        assert_eq!(alerted(&first), vec![("a1/failures", AlertKind::New)]);
        let second = run(&items, &mut state, 1);
        assert!(second.is_empty());
        assert_eq!(
            second.suppressed,
            vec![Suppressed {
                key: "a1/failures".into(),
                reason: "already notified on 2026-11-16, not worse".into(),
            }]
        );
        let n = &state.unwrap().items["a1/failures"];
        assert_eq!((n.notified_at, n.last_seen_at), (day(0), day(1)));
    }

    #[test]
    fn worsened_by_severity_or_half_again_the_money_alerts_again() {
        let mut state = None;
        run(&[item("a1", Severity::High, Some(20.0))], &mut state, 0);
        // +40 %: not worse.
        let calm = run(&[item("a1", Severity::High, Some(28.0))], &mut state, 1);
        assert!(calm.is_empty());
        // ×1.5 of what was notified (20), not of the last run (28).
        let money = run(&[item("a1", Severity::High, Some(30.0))], &mut state, 2);
        assert_eq!(alerted(&money), vec![("a1/failures", AlertKind::Worsened)]);
        assert_eq!(
            money.alerts[0].previous.as_ref().unwrap().usd_per_month,
            Some(20.0)
        );
        let sev = run(&[item("a1", Severity::Critical, Some(30.0))], &mut state, 3);
        assert_eq!(alerted(&sev), vec![("a1/failures", AlertKind::Worsened)]);
        // Back to high: not worse than critical.
        assert!(run(&[item("a1", Severity::High, Some(30.0))], &mut state, 4).is_empty());
    }

    #[test]
    fn money_from_zero_or_unknown_is_not_worsened() {
        let mut state = None;
        run(&[item("a1", Severity::High, Some(0.0))], &mut state, 0);
        assert!(run(&[item("a1", Severity::High, Some(50.0))], &mut state, 1).is_empty());
        let mut state = None;
        run(&[item("a1", Severity::High, None)], &mut state, 0);
        assert!(run(&[item("a1", Severity::High, Some(f64::NAN))], &mut state, 1).is_empty());
    }

    #[test]
    fn medium_and_low_items_never_alert() {
        let mut state = None;
        let sel = run(
            &[
                item("m", Severity::Medium, Some(1e6)),
                item("l", Severity::Low, None),
            ],
            &mut state,
            0,
        );
        assert!(sel.is_empty() && sel.suppressed.is_empty());
        assert!(state.unwrap().items.is_empty());
    }

    #[test]
    fn flapping_within_the_cool_down_is_not_new_and_after_it_is() {
        let a = [item("a1", Severity::High, None)];
        let mut state = None;
        run(&a, &mut state, 0);
        // Gone (or below high) for 13 days, back on day 14: still known.
        run(&[item("a1", Severity::Medium, None)], &mut state, 1);
        run(&[], &mut state, 13);
        assert!(state.as_ref().unwrap().items.contains_key("a1/failures"));
        assert!(run(&a, &mut state, 14).is_empty());
        // Gone from day 15; a run on day 28 sees it absent 14 days after it was last seen.
        run(&[], &mut state, 15);
        run(&[], &mut state, 28);
        assert!(state.as_ref().unwrap().items.is_empty());
        let back = run(&a, &mut state, 29);
        assert_eq!(alerted(&back), vec![("a1/failures", AlertKind::New)]);
    }

    #[test]
    fn a_pause_in_the_schedule_forgets_nothing_still_open() {
        let a = [item("a1", Severity::High, None)];
        let mut state = None;
        run(&a, &mut state, 0);
        assert!(run(&a, &mut state, 60).is_empty());
    }

    #[test]
    fn failed_delivery_keeps_the_alerts_pending_and_refreshes_last_seen() {
        let a1 = item("a1", Severity::High, Some(10.0));
        let mut state = None;
        run(std::slice::from_ref(&a1), &mut state, 0);
        let items = [
            item("a1", Severity::High, Some(20.0)),
            item("a2", Severity::Critical, None),
        ];
        let cfg = AlertConfig::default();
        let failed = select(&items, state.as_ref(), day(10), &cfg);
        assert_eq!(failed.alerts.len(), 2);
        // Delivery failed: the shell stores retry_state.
        let kept = failed.retry_state.clone();
        assert_eq!(kept, state.as_ref().unwrap().seen(&items, day(10), &cfg));
        let n = &kept.items["a1/failures"];
        assert_eq!((n.usd_per_month, n.last_seen_at), (Some(10.0), day(10)));
        assert!(!kept.items.contains_key("a2/failures"));
        let retried = select(&items, Some(&kept), day(11), &cfg);
        assert_eq!(
            alerted(&retried),
            vec![
                ("a1/failures", AlertKind::Worsened),
                ("a2/failures", AlertKind::New)
            ]
        );
    }

    fn many(n: usize) -> Vec<PlanItem> {
        (0..n)
            .map(|i| item(&format!("a{i:02}"), Severity::High, None))
            .collect()
    }

    fn ctx(report: Option<&str>) -> MessageContext {
        MessageContext {
            as_of: day(0),
            fleet: "alice".into(),
            summary: "12 items, 3 act now".into(),
            report_url: report.map(str::to_string),
        }
    }

    #[test]
    fn the_cap_details_the_first_and_counts_the_rest_which_are_notified_too() {
        let items = many(13);
        let cfg = AlertConfig {
            max_alerts_per_message: 10,
            ..AlertConfig::default()
        };
        let sel = select(&items, None, day(0), &cfg);
        assert_eq!(
            (sel.alerts.len(), sel.shown().len(), sel.more()),
            (13, 10, 3)
        );
        assert_eq!(sel.shown()[0].item.key, "a00/failures");
        assert_eq!(sel.next_state.items.len(), 13);

        let slack = slack_payload(&sel, &ctx(Some("https://console.apify.com/actors/runs/r1")));
        let blocks = slack["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 1 + 1 + 10 + 1);
        let footer = blocks.last().unwrap()["elements"][0]["text"]
            .as_str()
            .unwrap();
        assert_eq!(
            footer,
            "and 3 more · <https://console.apify.com/actors/runs/r1|Open the full report>"
        );
        assert!(slack["text"].as_str().unwrap().ends_with("(and 3 more)"));

        let j = json_payload(&sel, &ctx(None));
        assert_eq!(j["alerts"].as_array().unwrap().len(), 10);
        assert_eq!(j["more"], 3);
        assert_eq!(
            j["moreKeys"],
            json!(["a10/failures", "a11/failures", "a12/failures"])
        );
        assert_eq!(j["reportUrl"], Value::Null);
    }

    #[test]
    fn odd_config_is_sanitized_and_slack_blocks_stay_within_fifty() {
        let cfg = AlertConfig {
            forget_after_days: f64::NAN,
            max_alerts_per_message: 10_000,
        };
        let sel = select(&many(99), None, day(0), &cfg);
        assert_eq!(sel.shown().len(), MAX_ALERTS_PER_MESSAGE);
        let slack = slack_payload(&sel, &ctx(Some("https://example.com/r")));
        assert!(slack["blocks"].as_array().unwrap().len() <= 50);
        let zero = select(
            &many(2),
            None,
            day(0),
            &AlertConfig {
                max_alerts_per_message: 0,
                ..cfg
            },
        );
        assert_eq!(zero.shown().len(), 1);
        assert_eq!(
            AlertConfig {
                forget_after_days: -1.0,
                ..AlertConfig::default()
            }
            .sanitized(),
            AlertConfig::default()
        );
    }

    #[test]
    fn slack_text_is_escaped_and_truncated_within_limits() {
        let mut a = item("a1", Severity::Critical, Some(1234.5));
        a.actor_name = "<!channel> & co".into();
        a.titles = vec!["x > y <https://evil|click>".into(), "second".into()];
        a.top_fix = "&".repeat(5000);
        let sel = select(&[a], None, day(0), &AlertConfig::default());
        let slack = slack_payload(&sel, &ctx(Some("https://x.test/r?a=1&b=2|3")));
        let section = slack["blocks"][2]["text"]["text"].as_str().unwrap();
        assert!(section.starts_with(
            "*CRITICAL · new* · <https://console.apify.com/actors/a1|&lt;!channel&gt; &amp; co> · failures\n\
             x &gt; y &lt;https://evil|click&gt; (+1 more)\n$1234/month · 10 failed runs/week\n*Fix:* &amp;"
        ), "{section}");
        assert!(section.chars().count() <= SLACK_TEXT_MAX);
        assert!(
            section.ends_with("&amp;…"),
            "cut between entities: {section}"
        );
        assert!(!section.contains("<!channel>"));
        let footer = slack["blocks"][3]["elements"][0]["text"].as_str().unwrap();
        assert_eq!(
            footer,
            "<https://x.test/r?a=1&amp;b=2%7C3|Open the full report>"
        );
        let text = slack["text"].as_str().unwrap();
        assert!(text.contains("&lt;!channel&gt;") && !text.contains("<!"));
    }

    #[test]
    fn clipping_never_cuts_an_entity_or_a_link() {
        assert_eq!(escape_clip("a<b", 10), "a&lt;b");
        assert_eq!(escape_clip("a<b", 4), "a…");
        assert_eq!(escape_clip("ééé", 2), "é…");
        assert_eq!(clip_mrkdwn("ab <https://x|y> c", 8), "ab …");
        assert_eq!(clip_mrkdwn("ab &amp; c", 6), "ab …");
        assert_eq!(clip_mrkdwn("short", 5), "short");
    }

    #[test]
    fn worsened_sections_say_what_was_notified_and_the_fleet_has_no_console_link() {
        let mut state = None;
        let mut f = item("fleet", Severity::High, Some(10.0));
        f.key = "fleet/cost".into();
        f.cause = "cost".into();
        run(std::slice::from_ref(&f), &mut state, 0);
        f.impact.usd_per_month = Some(25.0);
        let sel = run(&[f], &mut state, 1);
        let section = slack_payload(&sel, &ctx(None))["blocks"][2]["text"]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            section,
            "*HIGH · worsened* · *name-fleet* · cost\nfleet fails\n$25.00/month · 10 failed runs/week\n\
             _was high · $10.00/month · 10 failed runs/week when notified on 2026-11-16_\n*Fix:* fix fleet"
        );
        let j = json_payload(&sel, &ctx(None));
        assert!(j["alerts"][0].get("consoleUrl").is_none());
        assert_eq!(j["alerts"][0]["previous"]["usdPerMonth"], 10.0);
    }

    #[test]
    fn json_payload_shape() {
        let sel = select(
            &[item("a1", Severity::Critical, Some(5.0))],
            None,
            day(0),
            &AlertConfig::default(),
        );
        assert_eq!(
            json_payload(&sel, &ctx(Some("https://r.test/x"))),
            json!({
                "schemaVersion": 1,
                "tool": "fleet-analytics",
                "asOf": "2026-11-16T06:00:00Z",
                "fleet": "alice",
                "summary": "12 items, 3 act now",
                "alerts": [{
                    "key": "a1/failures",
                    "kind": "new",
                    "severity": "critical",
                    "actorId": "a1",
                    "actorName": "name-a1",
                    "cause": "failures",
                    "titles": ["a1 fails"],
                    "impact": {"usdPerMonth": 5.0, "failedRunsPerWeek": 10.0},
                    "topFix": "fix a1",
                    "signals": ["sig-a1"],
                    "consoleUrl": "https://console.apify.com/actors/a1",
                }],
                "more": 0,
                "moreKeys": [],
                "reportUrl": "https://r.test/x",
            })
        );
    }

    #[test]
    fn output_is_deterministic_and_the_state_round_trips() {
        let items = [
            item("b", Severity::High, Some(3.0)),
            item("a", Severity::Critical, None),
        ];
        let one = select(&items, None, day(0), &AlertConfig::default());
        let two = select(&items, None, day(0), &AlertConfig::default());
        assert_eq!(one, two);
        let c = ctx(Some("https://r.test/x"));
        assert_eq!(
            serde_json::to_string(&slack_payload(&one, &c)).unwrap(),
            serde_json::to_string(&slack_payload(&two, &c)).unwrap()
        );
        assert_eq!(one.idempotency_key(), two.idempotency_key());
        assert_ne!(
            one.idempotency_key(),
            select(&items[..1], None, day(0), &AlertConfig::default()).idempotency_key()
        );
        let stored = serde_json::to_value(&one.next_state).unwrap();
        assert_eq!(
            stored["items"]["b/failures"],
            json!({
                "severity": "high",
                "usdPerMonth": 3.0,
                "failedRunsPerWeek": 10.0,
                "notifiedAt": "2026-11-16T06:00:00Z",
                "lastSeenAt": "2026-11-16T06:00:00Z",
            })
        );
        let back: AlertState = serde_json::from_value(stored).unwrap();
        assert_eq!(back, one.next_state);
        // Stored keys are sorted whatever the plan order.
        let keys: Vec<&String> = back.items.keys().collect();
        assert_eq!(keys, ["a/failures", "b/failures"]);
    }
}
