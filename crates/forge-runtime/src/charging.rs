//! Pay-per-event charging, as Apify's SDKs do it (research §10), with two differences that
//! make a migrated run safe: idempotency keys are derived from the run and the charge's place
//! in the run's sequence (`{runId}-{seq}-{eventName}`), never from a clock or a random value,
//! and each accepted charge is recorded in the run's progress ([`crate::resume`]). A resumed
//! run replays the same sequence: what its records hold is not sent again, the one charge that
//! may have been in flight is checked against the run's `chargedEventCounts` and otherwise
//! re-sent under the same key, which the platform deduplicates. Nothing is counted twice.
//!
//! The cap is `ACTOR_MAX_TOTAL_CHARGE_USD` (empty, absent or 0: none). The API does not enforce
//! it, so this does: a charge is cut to what fits, without the SDKs' one-event overcharge
//! (whose only purpose is to make the platform stop a run that does not stop itself; the
//! runner stops, so the user is never charged past the cap). Charges are in nano-dollars, so
//! `floor((cap - charged) / price)` has no rounding surprise. `apify-*` events are the
//! platform's own and are never sent.
//!
//! In the CLI flow, and for an Actor that is not pay-per-event, nothing is sent: the counts
//! are what would have been charged.

use crate::actor::Flow;
use crate::client::{map_error, ApiClient, Operation};
use crate::env::RunEnv;
use crate::error::RuntimeError;
use crate::resume::{ChargeRecord, Resume};
use forge_core::input::{FieldError, InputError};
use forge_core::permission::Permission;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tokio::sync::Mutex;

const CHARGE: Operation = Operation {
    what: "charge a pay-per-event event (POST /v2/actor-runs/{id}/charge)",
    // A run charges itself with its own token; Actors: Run is what another run would need.
    permission: Permission::ActorsRun,
};
const READ_OWN_RUN: Operation = Operation {
    what: "read this run's pricing (GET /v2/actor-runs/{id})",
    permission: Permission::ActorsListRuns,
};

const NANOS: f64 = 1e9;

fn nanos(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * NANOS).round().min(u64::MAX as f64) as u64
    } else {
        0
    }
}

fn usd(nanos: u64) -> f64 {
    (nanos as f64 / NANOS * 1e6).round() / 1e6
}

/// What a tool charges for, and which of its rows each charge pays for: a row covered by a
/// charge that does not fit under the cap is not pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub event: String,
    /// Units of the event; 0 is a subject that costs nothing (its rows are still paid for).
    pub count: u64,
    /// Indices into `Emission::rows`.
    pub rows: Vec<usize>,
}

impl Charge {
    /// One event per row (one row per actor analysed).
    pub fn per_row(event: &str, rows: usize) -> Vec<Charge> {
        (0..rows)
            .map(|r| Charge {
                event: event.into(),
                count: 1,
                rows: vec![r],
            })
            .collect()
    }

    /// One event for the whole result (a gate decision, an A/B comparison): every row is
    /// part of it.
    pub fn whole(event: &str, rows: usize) -> Vec<Charge> {
        vec![Charge {
            event: event.into(),
            count: 1,
            rows: (0..rows).collect(),
        }]
    }

    /// `count` events per subject, in the subjects' order, each paying for the rows whose
    /// `field` holds the subject's id (one actor scanned and its findings).
    pub fn per_subject(
        event: &str,
        subjects: &[(String, u64)],
        rows: &[Value],
        field: &str,
    ) -> Vec<Charge> {
        subjects
            .iter()
            .map(|(id, count)| Charge {
                event: event.into(),
                count: *count,
                rows: rows
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.get(field).and_then(Value::as_str) == Some(id))
                    .map(|(i, _)| i)
                    .collect(),
            })
            .collect()
    }
}

/// One event's price.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPrice {
    pub price_usd: f64,
    pub primary: bool,
}

/// The pay-per-event prices of a run (`pricingInfo` with `pricingModel: PAY_PER_EVENT`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pricing {
    pub events: BTreeMap<String, EventPrice>,
}

impl Pricing {
    /// None unless the pricing is pay-per-event. A tiered price counts at its highest tier, so
    /// the cap is never passed whatever the user's tier.
    pub fn from_pricing_info(info: &Value) -> Option<Pricing> {
        if info.get("pricingModel").and_then(Value::as_str) != Some("PAY_PER_EVENT") {
            return None;
        }
        let events = info
            .pointer("/pricingPerEvent/actorChargeEvents")
            .and_then(Value::as_object)?
            .iter()
            .filter_map(|(name, e)| {
                let flat = e.get("eventPriceUsd").and_then(Value::as_f64);
                let tiered = e
                    .get("eventTieredPricingUsd")
                    .and_then(Value::as_object)
                    .and_then(|tiers| {
                        tiers
                            .values()
                            .filter_map(|t| t.get("tieredEventPriceUsd").and_then(Value::as_f64))
                            .reduce(f64::max)
                    });
                let price = flat.or(tiered).filter(|p| p.is_finite() && *p >= 0.0)?;
                Some((
                    name.clone(),
                    EventPrice {
                        price_usd: price,
                        primary: e.get("isPrimaryEvent").and_then(Value::as_bool) == Some(true),
                    },
                ))
            })
            .collect();
        Some(Pricing { events })
    }

    /// The primary event and its price (the one a run is for).
    pub fn primary(&self) -> Option<(&str, f64)> {
        self.events
            .iter()
            .find(|(_, e)| e.primary)
            .map(|(n, e)| (n.as_str(), e.price_usd))
    }

    fn price_nanos(&self, event: &str) -> Option<u64> {
        self.events.get(event).map(|e| nanos(e.price_usd))
    }
}

/// How a charge went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charged {
    /// Units charged (or, when nothing is sent, counted): at most the count asked for.
    pub count: u64,
    /// The cap cut this charge: the run must stop spending.
    pub limit_reached: bool,
}

#[derive(Debug)]
struct Live {
    client: ApiClient,
    run_id: String,
    /// `chargedEventCounts` when this process started (resumed runs only).
    platform_counts: Option<BTreeMap<String, u64>>,
}

#[derive(Debug, Default)]
struct Ledger {
    /// Requests made so far in the run's sequence.
    seq: u64,
    counts: BTreeMap<String, u64>,
    nanos: u64,
    limit_reached: bool,
    rows_withheld: u64,
    /// Events the Actor's pricing does not list: not sent (the platform would refuse them).
    unpriced: BTreeSet<String>,
}

/// The run's charging, shared by the runner and the tool. Cheap to clone. Charges happen in
/// the order the calls are made; a tool charges from one task at a time, so the sequence (and
/// every idempotency key) is the same in every process of a run.
#[derive(Debug, Clone)]
pub struct Charging {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// None: nothing is sent (CLI flow, not pay-per-event).
    live: Option<Live>,
    pricing: Option<Pricing>,
    cap_usd: Option<f64>,
    resume: Resume,
    ledger: Mutex<Ledger>,
}

impl Charging {
    /// Counts what would be charged and sends nothing.
    pub fn recording() -> Charging {
        Charging::with(None, None, None, Resume::detached())
    }

    fn with(
        live: Option<Live>,
        pricing: Option<Pricing>,
        cap_usd: Option<f64>,
        resume: Resume,
    ) -> Charging {
        Charging {
            inner: Arc::new(Inner {
                live,
                pricing,
                cap_usd,
                resume,
                ledger: Mutex::new(Ledger::default()),
            }),
        }
    }

    /// The charging of this run: on the platform, prices from `APIFY_ACTOR_PRICING_INFO` (else
    /// the run's own detail, read once, as a resumed run does anyway for the counts the
    /// platform already holds) and the cap from `ACTOR_MAX_TOTAL_CHARGE_USD`.
    pub async fn for_run(
        flow: Flow,
        env: &RunEnv,
        client: &ApiClient,
        resume: Resume,
    ) -> Result<Charging, RuntimeError> {
        let run_id = match (flow, env.run_id.as_deref()) {
            (Flow::Platform, Some(id)) => id.to_string(),
            _ => return Ok(Charging::with(None, None, None, resume)),
        };
        let mut pricing_info: Option<Value> = env
            .pricing_info
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        let mut cap = env.max_total_charge_usd;
        let mut platform_counts = None;
        if pricing_info.is_none() || resume.resumed() {
            let run = client
                .api()
                .run(&run_id)
                .get()
                .await
                .map_err(|e| map_error(READ_OWN_RUN, e))?;
            if let Some(run) = run {
                let extra = serde_json::to_value(&run.extra).unwrap_or(Value::Null);
                if pricing_info.is_none() {
                    pricing_info = extra.get("pricingInfo").cloned();
                }
                if cap.is_none() {
                    cap = extra
                        .pointer("/options/maxTotalChargeUsd")
                        .and_then(Value::as_f64)
                        .filter(|v| v.is_finite() && *v > 0.0);
                }
                platform_counts = extra
                    .get("chargedEventCounts")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                            .collect()
                    });
            }
        }
        let pricing = pricing_info.as_ref().and_then(Pricing::from_pricing_info);
        let live = pricing.as_ref().map(|_| Live {
            client: client.clone(),
            run_id,
            platform_counts,
        });
        Ok(Charging::with(live, pricing, cap, resume))
    }

    /// Whether charges are sent (a pay-per-event run on the platform).
    pub fn is_live(&self) -> bool {
        self.inner.live.is_some()
    }

    /// The cap, if the run has one.
    pub fn max_total_charge_usd(&self) -> Option<f64> {
        self.inner.cap_usd
    }

    /// Fails a run whose cap cannot pay for one primary event: it could deliver nothing, so it
    /// stops before any work, naming the field the user sets.
    pub fn check_cap(&self) -> Result<(), InputError> {
        let (Some(_), Some(pricing), Some(cap)) =
            (&self.inner.live, &self.inner.pricing, self.inner.cap_usd)
        else {
            return Ok(());
        };
        match pricing.primary() {
            Some((event, price)) if nanos(cap) < nanos(price) => {
                Err(InputError::Invalid(vec![FieldError {
                    field: "maxTotalChargeUsd".into(),
                    message: format!(
                        "the run's maximum total charge of ${cap} is below the price of one `{event}` event (${price}), so the run could deliver nothing; set maxTotalChargeUsd to at least ${price}"
                    ),
                }]))
            }
            _ => Ok(()),
        }
    }

    /// Charges up to `count` units of `event`: all of them, or as many as fit under the cap
    /// (then `limit_reached`, and the caller stops spending). Charges are made one at a time, in
    /// call order.
    pub async fn charge(&self, event: &str, count: u64) -> Result<Charged, RuntimeError> {
        refuse_platform_event(event)?;
        let mut ledger = self.inner.ledger.lock().await;
        let fit = (0..=count)
            .rev()
            .find(|n| self.fits(&ledger, event, *n))
            .unwrap_or(0);
        self.send(&mut ledger, event, fit).await?;
        let limit_reached = fit < count;
        ledger.limit_reached |= limit_reached;
        Ok(Charged {
            count: fit,
            limit_reached,
        })
    }

    /// Whether `count` units of `event` fit under the cap now, for a step that must be paid
    /// for before it is taken but charged once it is done (a probe run: started, then charged,
    /// so a run stopped in between never charges for a probe it did not start). When they do
    /// not fit, the limit counts as reached: the run stops spending.
    pub async fn fits_now(&self, event: &str, count: u64) -> bool {
        let mut ledger = self.inner.ledger.lock().await;
        let fits = !ledger.limit_reached && self.fits(&ledger, event, count);
        ledger.limit_reached |= !fits;
        fits
    }

    /// True once a charge was cut by the cap.
    pub async fn limit_reached(&self) -> bool {
        self.inner.ledger.lock().await.limit_reached
    }

    /// Charges the units of an emission in order, one request per run of units of the same
    /// event, each unit all or nothing, stopping at the first unit that does not fit. Returns,
    /// for each of `rows` rows, whether it may be pushed: a row is paid when every unit that
    /// covers it was charged; a row no unit covers is pushed unless the cap was reached.
    pub(crate) async fn charge_rows(
        &self,
        charges: &[Charge],
        rows: usize,
    ) -> Result<Vec<bool>, RuntimeError> {
        for c in charges {
            refuse_platform_event(&c.event)?;
        }
        let mut ledger = self.inner.ledger.lock().await;
        let mut charged = vec![false; charges.len()];
        let mut cut = ledger.limit_reached;
        let mut i = 0;
        while i < charges.len() && !cut {
            let event = charges[i].event.as_str();
            let (mut j, mut total) = (i, 0u64);
            while j < charges.len() && charges[j].event == event {
                let want = total.saturating_add(charges[j].count);
                if !self.fits(&ledger, event, want) {
                    cut = true;
                    break;
                }
                total = want;
                j += 1;
            }
            self.send(&mut ledger, event, total).await?;
            charged[i..j].iter_mut().for_each(|c| *c = true);
            i = j;
        }
        ledger.limit_reached |= cut;
        let mut covered = vec![false; rows];
        let mut unpaid = vec![false; rows];
        for (unit, c) in charges.iter().enumerate() {
            for &r in c.rows.iter().filter(|r| **r < rows) {
                covered[r] = true;
                unpaid[r] |= !charged[unit];
            }
        }
        let paid: Vec<bool> = (0..rows)
            .map(|r| {
                if covered[r] {
                    !unpaid[r]
                } else {
                    !ledger.limit_reached
                }
            })
            .collect();
        ledger.rows_withheld = paid.iter().filter(|p| !**p).count() as u64;
        Ok(paid)
    }

    /// What was charged (or, when nothing is sent, would have been), for `meta.charging`.
    pub async fn summary(&self) -> Value {
        let ledger = self.inner.ledger.lock().await;
        json!({
            "charged": self.inner.live.is_some(),
            "eventCounts": ledger.counts,
            "totalUsd": self.inner.pricing.as_ref().map(|_| usd(ledger.nanos)),
            "maxTotalChargeUsd": self.inner.cap_usd,
            "limitReached": ledger.limit_reached,
            "rowsWithheld": ledger.rows_withheld,
            "eventsNotPriced": ledger.unpriced,
        })
    }

    fn fits(&self, ledger: &Ledger, event: &str, n: u64) -> bool {
        let (Some(_), Some(pricing), Some(cap)) =
            (&self.inner.live, &self.inner.pricing, self.inner.cap_usd)
        else {
            return true;
        };
        match pricing.price_nanos(event) {
            Some(price) => ledger.nanos.saturating_add(price.saturating_mul(n)) <= nanos(cap),
            None => true,
        }
    }

    /// Sends one charge request of `n` units (none for 0), or replays it from the records.
    async fn send(&self, ledger: &mut Ledger, event: &str, n: u64) -> Result<(), RuntimeError> {
        if n == 0 {
            return Ok(());
        }
        let inner = &self.inner;
        let (Some(live), Some(pricing)) = (&inner.live, &inner.pricing) else {
            *ledger.counts.entry(event.to_string()).or_default() += n;
            return Ok(());
        };
        let Some(price) = pricing.price_nanos(event) else {
            if ledger.unpriced.insert(event.to_string()) {
                tracing::warn!("the Actor's pricing has no event `{event}`: not charged");
            }
            return Ok(());
        };
        // A charge is a step: once the run is stopping, none starts, and one in flight is
        // finished and recorded before the process exits.
        let _guard = inner.resume.enter()?;
        let seq = ledger.seq;
        ledger.seq += 1;
        let progress = inner.resume.progress().await;
        let recorded = progress
            .charges
            .iter()
            .any(|c| c.seq == seq && c.event == event && c.count == n);
        if !recorded {
            let landed = live
                .platform_counts
                .as_ref()
                .is_some_and(|c| c.get(event).copied().unwrap_or(0) >= progress.charged(event) + n);
            if !landed {
                post_charge(live, seq, event, n).await?;
            }
            let record = ChargeRecord {
                seq,
                event: event.to_string(),
                count: n,
            };
            inner.resume.update(|p| p.charges.push(record)).await?;
        }
        *ledger.counts.entry(event.to_string()).or_default() += n;
        ledger.nanos = ledger.nanos.saturating_add(price.saturating_mul(n));
        Ok(())
    }
}

fn refuse_platform_event(event: &str) -> Result<(), RuntimeError> {
    if event.starts_with("apify-") {
        return Err(RuntimeError::Other(format!(
            "`{event}` is a platform event: the platform charges it, an Actor never does"
        )));
    }
    Ok(())
}

/// The idempotency key of the `seq`-th charge of a run: the same in every process of the run.
pub fn idempotency_key(run_id: &str, seq: u64, event: &str) -> String {
    format!("{run_id}-{seq}-{event}")
}

/// `POST /v2/actor-runs/{runId}/charge`. apify-client retries transient failures with the
/// same key; past its budget this tries twice more, still with the same key.
async fn post_charge(live: &Live, seq: u64, event: &str, n: u64) -> Result<(), RuntimeError> {
    let key = idempotency_key(&live.run_id, seq, event);
    let mut attempt = 0;
    loop {
        let result = live
            .client
            .api()
            .run(&live.run_id)
            .charge(apify_client::RunChargeOptions {
                event_name: event.to_string(),
                count: Some(n as i64),
                idempotency_key: Some(key.clone()),
                ..Default::default()
            })
            .await
            .map_err(|e| map_error(CHARGE, e));
        match result {
            Ok(()) => return Ok(()),
            Err(RuntimeError::Api { .. }) if attempt < 2 => {
                attempt += 1;
                tracing::warn!("charging {n} × {event} failed; retrying with the same key");
                tokio::time::sleep(std::time::Duration::from_secs(attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pricing() -> Pricing {
        Pricing::from_pricing_info(&json!({
            "pricingModel": "PAY_PER_EVENT",
            "pricingPerEvent": {"actorChargeEvents": {
                "apify-actor-start": {"eventPriceUsd": 0.00005},
                "actor-analysed": {"eventPriceUsd": 0.002, "isPrimaryEvent": true},
                "probe-run": {"eventPriceUsd": 0.01},
                "tiered": {"eventTieredPricingUsd": {"FREE": {"tieredEventPriceUsd": 0.5}, "GOLD": {"tieredEventPriceUsd": 0.3}}},
            }}
        }))
        .unwrap()
    }

    /// A pay-per-event charging whose requests go nowhere: only for the arithmetic (nothing is
    /// sent for charges of 0 units and for events without a price).
    fn capped(cap: Option<f64>) -> Charging {
        Charging::with(
            Some(Live {
                client: ApiClient::new(&secrecy::SecretString::from("t"), "http://127.0.0.1:9"),
                run_id: "r".into(),
                platform_counts: None,
            }),
            Some(pricing()),
            cap,
            Resume::detached(),
        )
    }

    #[test]
    fn pricing_reads_pay_per_event_only() {
        let p = pricing();
        assert_eq!(p.primary(), Some(("actor-analysed", 0.002)));
        assert_eq!(p.events["tiered"].price_usd, 0.5, "the highest tier");
        assert_eq!(
            Pricing::from_pricing_info(&json!({"pricingModel": "FREE"})),
            None
        );
        assert_eq!(
            Pricing::from_pricing_info(&json!({"pricingModel": "PAY_PER_EVENT"})),
            None
        );
    }

    #[test]
    fn a_cap_below_one_primary_event_fails_naming_the_field() {
        let err = capped(Some(0.0015)).check_cap().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("maxTotalChargeUsd"), "{text}");
        assert!(text.contains("actor-analysed"), "{text}");
        assert!(capped(Some(0.002)).check_cap().is_ok(), "exactly one fits");
        assert!(capped(None).check_cap().is_ok());
        assert!(Charging::recording().check_cap().is_ok());
    }

    #[tokio::test]
    async fn the_fit_is_exact_in_nano_dollars() {
        // 0.006 / 0.002 is 2.9999999999999996 in floating point; three events fit.
        let c = capped(Some(0.006));
        let ledger = c.inner.ledger.lock().await;
        assert!(c.fits(&ledger, "actor-analysed", 3));
        assert!(!c.fits(&ledger, "actor-analysed", 4));
        assert!(c.fits(&ledger, "not-priced", 1_000));
    }

    #[tokio::test]
    async fn nothing_is_sent_in_recording_mode_and_platform_events_are_refused() {
        let c = Charging::recording();
        assert_eq!(
            c.charge("probe-run", 2).await.unwrap(),
            Charged {
                count: 2,
                limit_reached: false
            }
        );
        assert!(c.charge("apify-actor-start", 1).await.is_err());
        let paid = c
            .charge_rows(&Charge::per_row("actor-analysed", 3), 3)
            .await
            .unwrap();
        assert_eq!(paid, vec![true; 3]);
        let s = c.summary().await;
        assert_eq!(s["charged"], false);
        assert_eq!(
            s["eventCounts"],
            json!({"actor-analysed": 3, "probe-run": 2})
        );
        assert_eq!(s["totalUsd"], Value::Null);
    }

    #[tokio::test]
    async fn zero_count_units_and_unpriced_events_need_no_request() {
        let c = capped(Some(0.001));
        let units = vec![
            Charge {
                event: "actor-analysed".into(),
                count: 0,
                rows: vec![0],
            },
            Charge {
                event: "not-priced".into(),
                count: 2,
                rows: vec![1],
            },
        ];
        // Row 2 is covered by nothing; the cap was not reached, so it is pushed.
        assert_eq!(c.charge_rows(&units, 3).await.unwrap(), vec![true; 3]);
        assert_eq!(c.summary().await["eventsNotPriced"], json!(["not-priced"]));
    }

    /// A charge endpoint on loopback: records (path, idempotency key, body) and answers 201.
    async fn charge_server() -> (String, Arc<std::sync::Mutex<Vec<(String, String, Value)>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    loop {
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 4096];
                        let (head, body) = loop {
                            let n = sock.read(&mut chunk).await.unwrap_or(0);
                            if n == 0 {
                                return;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                                continue;
                            };
                            let head = String::from_utf8_lossy(&buf[..end]).to_string();
                            let len: usize = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse().ok())?
                                })
                                .unwrap_or(0);
                            while buf.len() < end + 4 + len {
                                let n = sock.read(&mut chunk).await.unwrap_or(0);
                                if n == 0 {
                                    return;
                                }
                                buf.extend_from_slice(&chunk[..n]);
                            }
                            break (head, buf[end + 4..end + 4 + len].to_vec());
                        };
                        let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                        let key = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("idempotency-key")
                                    .then(|| v.trim().to_string())
                            })
                            .unwrap_or_default();
                        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        log.lock().unwrap().push((path, key, body));
                        let reply = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
                        if sock.write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (url, seen)
    }

    fn live(url: &str, cap: Option<f64>, resume: Resume, counts: Option<Value>) -> Charging {
        Charging::with(
            Some(Live {
                client: ApiClient::new(&secrecy::SecretString::from("t"), url),
                run_id: "RUN".into(),
                platform_counts: counts.map(|c| serde_json::from_value(c).unwrap()),
            }),
            Some(pricing()),
            cap,
            resume,
        )
    }

    #[tokio::test]
    async fn keys_follow_the_sequence_and_the_cap_cuts_without_overcharge() {
        let (url, seen) = charge_server().await;
        let c = live(&url, Some(0.025), Resume::detached(), None);
        assert_eq!(
            c.charge("probe-run", 1).await.unwrap(),
            Charged {
                count: 1,
                limit_reached: false
            }
        );
        // $0.015 left: 7 of 10 rows at $0.002 fit, the rest is withheld.
        let paid = c
            .charge_rows(&Charge::per_row("actor-analysed", 10), 10)
            .await
            .unwrap();
        assert_eq!(paid.iter().filter(|p| **p).count(), 7);
        assert_eq!(&paid[..7], &[true; 7]);
        assert!(c.limit_reached().await);
        let s = c.summary().await;
        assert_eq!(
            s["eventCounts"],
            json!({"actor-analysed": 7, "probe-run": 1})
        );
        assert_eq!(s["totalUsd"], json!(0.024));
        assert_eq!(s["rowsWithheld"], 3);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                (
                    "/v2/actor-runs/RUN/charge".to_string(),
                    "RUN-0-probe-run".to_string(),
                    json!({"eventName": "probe-run", "count": 1})
                ),
                (
                    "/v2/actor-runs/RUN/charge".to_string(),
                    "RUN-1-actor-analysed".to_string(),
                    json!({"eventName": "actor-analysed", "count": 7})
                ),
            ]
        );
        // Once cut, nothing more is charged.
        let again = c.charge("probe-run", 1).await.unwrap();
        assert_eq!(again.count, 0);
    }

    #[tokio::test]
    async fn a_resumed_run_sends_only_what_its_records_and_the_platform_do_not_hold() {
        use crate::resume::Progress;
        let (url, seen) = charge_server().await;
        // The first process: probe-run (seq 0) recorded; probe-run (seq 1) reached the platform
        // but its record did not; nothing else.
        let progress = Progress {
            run_id: Some("RUN".into()),
            charges: vec![ChargeRecord {
                seq: 0,
                event: "probe-run".into(),
                count: 1,
            }],
            ..Progress::default()
        };
        let resume = Resume::resumed_from(progress);
        let c = live(&url, None, resume.clone(), Some(json!({"probe-run": 2})));
        c.charge("probe-run", 1).await.unwrap();
        c.charge("probe-run", 1).await.unwrap();
        c.charge_rows(&Charge::per_row("actor-analysed", 3), 3)
            .await
            .unwrap();
        let seen = seen.lock().unwrap().clone();
        let keys: Vec<&str> = seen.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["RUN-2-actor-analysed"],
            "only the new charge is sent"
        );
        let records: Vec<u64> = resume
            .progress()
            .await
            .charges
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(records, [0, 1, 2], "the landed one is recorded now");
        assert_eq!(
            c.summary().await["eventCounts"],
            json!({"actor-analysed": 3, "probe-run": 2})
        );
    }

    #[test]
    fn charges_map_to_rows() {
        assert_eq!(Charge::per_row("e", 2)[1].rows, vec![1]);
        assert_eq!(Charge::whole("e", 3)[0].rows, vec![0, 1, 2]);
        let rows = vec![
            json!({"actorId": "a"}),
            json!({"actorId": "b"}),
            json!({"actorId": "a"}),
        ];
        let subjects = vec![("a".to_string(), 1), ("c".to_string(), 1)];
        let units = Charge::per_subject("e", &subjects, &rows, "actorId");
        assert_eq!(units[0].rows, vec![0, 2]);
        assert!(units[1].rows.is_empty());
        assert_eq!(idempotency_key("RUN", 7, "e"), "RUN-7-e");
    }
}
