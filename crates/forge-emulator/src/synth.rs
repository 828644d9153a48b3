//! A seeded synthetic fleet: realistic Actors, builds and runs with known problems planted in a
//! quarter of them, plus the ground truth of what was planted (so analyses can be scored on
//! precision and recall, not just "it ran").
//!
//! Everything derives from `SynthConfig::seed`: the same config gives byte-identical JSON.
//! Runs are written straight to compact JSON text, so a million runs take seconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::fixture::{
    ActorFixture, Behavior, Fixture, Permission, Permissions, RawJson, TokenSpec,
};

/// The kinds of planted problems, as they appear in [`Planted::kind`].
pub const KIND_FAILURE_SPIKE: &str = "failure-spike";
pub const KIND_NO_SUCCESS: &str = "no-success";
pub const KIND_COST_JUMP: &str = "cost-jump";
pub const KIND_LATEST_BUILD_FAILED: &str = "latest-build-failed";
pub const KIND_STALE: &str = "stale";
pub const KINDS: [&str; 5] = [
    KIND_FAILURE_SPIKE,
    KIND_NO_SUCCESS,
    KIND_COST_JUMP,
    KIND_LATEST_BUILD_FAILED,
    KIND_STALE,
];

/// USD per compute unit (1 CU = 1 GB of memory for 1 hour).
const USD_PER_CU: f64 = 0.4;
/// "No successful build in the last 180 days" makes an Actor stale.
pub const STALE_AFTER_DAYS: i64 = 180;
/// "no-success": every run in this many last days failed or timed out.
pub const NO_SUCCESS_WINDOW_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    pub actors: usize,
    /// Runs span this many days before `now`.
    pub days: u32,
    /// Mean runs per day of a typical Actor (individual Actors vary around it).
    pub runs_per_day: f64,
    pub now: DateTime<Utc>,
    pub username: String,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 42,
            actors: 40,
            days: 60,
            runs_per_day: 8.0,
            now: Utc
                .with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            username: "demo-dev".to_owned(),
        }
    }
}

/// What was planted, exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroundTruth {
    pub seed: u64,
    pub now: DateTime<Utc>,
    pub planted: Vec<Planted>,
}

impl GroundTruth {
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The planted problems of one Actor (by name).
    pub fn of_actor(&self, actor_name: &str) -> Vec<&Planted> {
        self.planted
            .iter()
            .filter(|p| p.actor_name == actor_name)
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Planted {
    pub actor_id: String,
    pub actor_name: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// When the problem started (None for "stale").
    pub since: Option<DateTime<Utc>>,
    pub details: Value,
}

const SITES: [&str; 30] = [
    "amazon",
    "google-maps",
    "instagram",
    "tiktok",
    "linkedin",
    "youtube",
    "twitter",
    "facebook",
    "booking",
    "tripadvisor",
    "zillow",
    "indeed",
    "ebay",
    "walmart",
    "yelp",
    "reddit",
    "shopify",
    "etsy",
    "airbnb",
    "github",
    "google-search",
    "aliexpress",
    "glassdoor",
    "trustpilot",
    "crunchbase",
    "producthunt",
    "hackernews",
    "pinterest",
    "craigslist",
    "bestbuy",
];
const JOBS: [&str; 12] = [
    "product-scraper",
    "leads",
    "reviews-scraper",
    "profile-scraper",
    "search-scraper",
    "price-monitor",
    "crawler",
    "data-extractor",
    "comments-scraper",
    "jobs-scraper",
    "listing-scraper",
    "monitor",
];
const FAILURE_MESSAGES: [&str; 6] = [
    "Error: Navigation timed out after 60 seconds",
    "Error: Request blocked - received 403 status code",
    "TypeError: Cannot read properties of undefined (reading 'price')",
    "Error: Proxy responded with 590 UPSTREAM502",
    "Error: Input validation failed: startUrls is required",
    "Error: The Actor ran out of memory",
];
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn push_id(rng: &mut StdRng, out: &mut String, len: usize, alphabet: &[u8]) {
    for _ in 0..len {
        out.push(alphabet[rng.random_range(0..alphabet.len())] as char);
    }
}

fn new_id(rng: &mut StdRng) -> String {
    let mut s = String::with_capacity(17);
    push_id(rng, &mut s, 17, ALNUM);
    s
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn uniform(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

fn normal(rng: &mut StdRng) -> f64 {
    // Box-Muller; 1 - u keeps the logarithm finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut StdRng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut k = 0;
    let mut p = rng.random::<f64>();
    while p > limit {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

fn days(d: f64) -> Duration {
    Duration::milliseconds((d * 86_400_000.0) as i64)
}

fn title_of(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Per-Actor plan: what it is and what (if anything) is planted in it.
struct Profile {
    /// Seeds this Actor's own generator, so Actors can be generated in parallel, deterministically.
    seed: u64,
    name: String,
    id: String,
    kind: Option<&'static str>,
    rate: f64,
    memory_mb: u64,
    base_duration: f64,
    base_fail: f64,
    timeout_secs: u64,
    origins: [f64; 3],
    created_days_ago: f64,
}

struct BuildPlan {
    id: String,
    number: String,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    succeeded: bool,
}

struct RunPlan {
    start: DateTime<Utc>,
    status: &'static str,
    duration: f64,
    memory_mb: u64,
}

/// Generates the fixture and the ground truth of what was planted.
pub fn generate(cfg: &SynthConfig) -> (Fixture, GroundTruth) {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let user_id = new_id(&mut rng);
    let user = user_object(cfg, &user_id);
    let tokens = tokens(&mut rng);
    let profiles = plan_actors(cfg, &mut rng);
    let generated = generate_actors(cfg, &user_id, &profiles);
    let mut actors = Vec::with_capacity(profiles.len());
    let mut planted = Vec::new();
    for (fixture, plant) in generated {
        actors.push(fixture);
        planted.extend(plant);
    }
    let fixture = Fixture {
        user,
        tokens,
        actors,
    };
    let truth = GroundTruth {
        seed: cfg.seed,
        now: cfg.now,
        planted,
    };
    (fixture, truth)
}

/// Generates every Actor, on all cores; the result is the same as a sequential run because each
/// Actor has its own seeded generator.
fn generate_actors(
    cfg: &SynthConfig,
    user_id: &str,
    profiles: &[Profile],
) -> Vec<(ActorFixture, Vec<Planted>)> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = profiles.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = profiles
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| actor(cfg, &mut StdRng::seed_from_u64(p.seed), user_id, p))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn user_object(cfg: &SynthConfig, user_id: &str) -> Value {
    let feature = json!({
        "isEnabled": true, "disabledReason": null, "disabledReasonType": null,
        "isTrial": false, "trialExpirationAt": null
    });
    let features: serde_json::Map<String, Value> = [
        "ACTORS",
        "STORAGE",
        "SCHEDULER",
        "PROXY",
        "PROXY_EXTERNAL_ACCESS",
        "PROXY_RESIDENTIAL",
        "PROXY_SERPS",
        "WEBHOOKS",
        "ACTORS_PUBLIC_ALL",
        "ACTORS_PUBLIC_DEVELOPER",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), feature.clone()))
    .collect();
    json!({
        "id": user_id,
        "username": cfg.username,
        "profile": { "name": title_of(&cfg.username), "bio": null, "pictureUrl": null,
                     "githubUsername": null, "websiteUrl": null, "twitterUsername": null },
        "email": format!("{}@example.com", cfg.username),
        "proxy": { "password": "emulated-proxy-password", "groups": [
            { "name": "RESIDENTIAL", "description": "Residential proxies", "availableCount": 1000 }
        ] },
        "plan": {
            "id": "SCALE", "description": "Scale plan", "isEnabled": true,
            "monthlyBasePriceUsd": 199, "monthlyUsageCreditsUsd": 199, "usageDiscountPercent": 0,
            "enabledPlatformFeatures": ["ACTORS", "STORAGE", "PROXY", "SCHEDULER", "WEBHOOKS"],
            "maxMonthlyUsageUsd": 9999, "maxActorMemoryGbytes": 128,
            "maxMonthlyActorComputeUnits": 10000, "maxMonthlyResidentialProxyGbytes": 50,
            "maxMonthlyProxySerps": 100000, "maxMonthlyExternalDataTransferGbytes": 1000,
            "maxActorCount": 1000, "maxActorTaskCount": 5000, "dataRetentionDays": 21,
            "availableProxyGroups": { "RESIDENTIAL": 1000, "DATACENTER": 500 },
            "teamAccountSeatCount": 1, "supportLevel": "PRIORITY", "availableAddOns": [],
            "tier": "SILVER", "apiRateLimitBoosts": 0, "maxScheduleCount": 100,
            "maxConcurrentActorRuns": 128
        },
        "effectivePlatformFeatures": features,
        "createdAt": iso(cfg.now - days(900.0)),
        "isPaying": true,
    })
}

fn tokens(rng: &mut StdRng) -> Vec<TokenSpec> {
    let mut secret = || {
        let mut s = "apify_api_".to_owned();
        push_id(rng, &mut s, 36, ALNUM);
        s
    };
    let mut out = vec![
        TokenSpec {
            id: "full".into(),
            token: secret(),
            permissions: Permissions::Full,
        },
        TokenSpec {
            id: "scoped".into(),
            token: secret(),
            permissions: Permissions::all_scoped(),
        },
    ];
    for p in Permission::ALL {
        out.push(TokenSpec {
            id: format!("scoped-no-{}", p.id().replace(':', "-")),
            token: secret(),
            permissions: Permissions::all_but(p),
        });
    }
    out
}

fn shuffle<T>(rng: &mut StdRng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

fn plan_actors(cfg: &SynthConfig, rng: &mut StdRng) -> Vec<Profile> {
    let n = cfg.actors;
    let mut combos: Vec<String> = SITES
        .iter()
        .flat_map(|s| JOBS.iter().map(move |j| format!("{s}-{j}")))
        .collect();
    shuffle(rng, &mut combos);
    let names: Vec<String> = (0..n)
        .map(|i| {
            let base = &combos[i % combos.len()];
            match i / combos.len() {
                0 => base.clone(),
                k => format!("{base}-{}", k + 1),
            }
        })
        .collect();

    // About a quarter of the fleet is planted: 5% per kind (at least one each from 10 Actors),
    // a kind at a time for smaller fleets.
    let per_kind = if n >= 10 {
        ((n as f64 * 0.05).round() as usize).max(1)
    } else {
        0
    };
    let mut kinds: Vec<&'static str> = KINDS
        .iter()
        .flat_map(|k| std::iter::repeat_n(*k, per_kind))
        .collect();
    if n < 10 {
        kinds = KINDS.iter().copied().take(n / 4).collect();
    }
    let low_traffic = if n >= 10 { 2 } else { 0 };
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(rng, &mut order);
    let mut assigned: Vec<Option<&'static str>> = vec![None; n];
    let mut low: Vec<bool> = vec![false; n];
    for (slot, &i) in order.iter().enumerate() {
        if slot < kinds.len() {
            assigned[i] = Some(kinds[slot]);
        } else if slot < kinds.len() + low_traffic {
            low[i] = true;
        }
    }
    let span = cfg.days as f64;
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let kind = assigned[i];
            // Log-normal spread around the configured mean (the -σ²/2 keeps the mean).
            let mut rate = cfg.runs_per_day * (0.7 * normal(rng) - 0.245).exp().clamp(0.25, 4.0);
            if low[i] {
                rate = 0.2;
            }
            if matches!(
                kind,
                Some(KIND_FAILURE_SPIKE) | Some(KIND_NO_SUCCESS) | Some(KIND_COST_JUMP)
            ) {
                // Enough runs after the change for it to be detectable at all.
                rate = rate.max(3.0);
            }
            // A planted cost jump must be material (several dollars a month): a jump on an
            // actor that costs cents is not a problem anyone should be told about.
            let memory_choices: &[u64] = if kind == Some(KIND_COST_JUMP) {
                rate = rate.max(5.0);
                &[1024, 2048]
            } else {
                &[256, 512, 1024, 1024, 2048, 4096]
            };
            let memory_mb = memory_choices[rng.random_range(0..memory_choices.len())];
            let min_duration: f64 = if kind == Some(KIND_COST_JUMP) {
                300.0
            } else {
                20.0
            };
            let base_duration = uniform(rng, min_duration.ln(), 1200f64.ln()).exp();
            let base_fail = match kind {
                Some(KIND_FAILURE_SPIKE) => uniform(rng, 0.0, 0.05),
                _ if low[i] => uniform(rng, 0.0, 0.03),
                _ => uniform(rng, 0.0, 0.06),
            };
            let timeout_secs =
                (((base_duration * 10.0) / 60.0).ceil() as u64 * 60).clamp(300, 36_000);
            let api = uniform(rng, 0.2, 0.7);
            let sched = uniform(rng, 0.0, 1.0 - api);
            let created_days_ago = match kind {
                Some(KIND_STALE) => uniform(rng, 450.0, 900.0),
                _ => uniform(rng, span + 40.0, span + 600.0),
            };
            Profile {
                name,
                seed: rng.random::<u64>(),
                id: new_id(rng),
                kind,
                rate,
                memory_mb,
                base_duration,
                base_fail,
                timeout_secs,
                origins: [api, sched, 1.0 - api - sched],
                created_days_ago: created_days_ago.max(span + 40.0),
            }
        })
        .collect()
}

fn input_schema(p: &Profile, with_concurrency: bool) -> Value {
    let site = p.name.split('-').next().unwrap_or("example");
    let mut props = json!({
        "startUrls": {
            "title": "Start URLs", "type": "array", "editor": "requestListSources",
            "description": "Pages to start scraping from.",
            "prefill": [{ "url": format!("https://www.{site}.com/") }]
        },
        "maxItems": {
            "title": "Maximum items", "type": "integer", "minimum": 1, "default": 100,
            "description": "Stop after this many results."
        },
        "proxyConfiguration": {
            "title": "Proxy configuration", "type": "object", "editor": "proxy",
            "description": "Proxies to use.", "prefill": { "useApifyProxy": true }
        },
        "language": {
            "title": "Language", "type": "string", "editor": "select", "default": "en",
            "enum": ["en", "de", "fr", "es"], "description": "Language of the results."
        }
    });
    if with_concurrency {
        props["maxConcurrency"] = json!({
            "title": "Max concurrency", "type": "integer", "minimum": 1, "maximum": 100,
            "default": 10, "description": "How many pages to process in parallel."
        });
    }
    json!({
        "title": format!("{} input", title_of(&p.name)),
        "type": "object",
        "schemaVersion": 1,
        "properties": props,
        "required": ["startUrls"]
    })
}

fn build_object(
    p: &Profile,
    b: &BuildPlan,
    index: usize,
    user_id: &str,
    rng: &mut StdRng,
) -> Value {
    let input = input_schema(p, index >= 2);
    let secs = (b.finished - b.started).num_milliseconds() as f64 / 1000.0;
    let cu = 4.0 * secs / 3600.0;
    let readme = format!(
        "# {}\n\nScrapes {} data and stores it in a dataset.\n",
        title_of(&p.name),
        p.name.split('-').next().unwrap_or("web")
    );
    let dataset_schema = json!({
        "actorSpecification": 1,
        "title": format!("{} results", title_of(&p.name)),
        "fields": {},
        "views": { "overview": {
            "title": "Overview",
            "transformation": { "fields": ["url", "title", "price"] },
            "display": { "component": "table", "properties": {
                "url": { "label": "URL", "format": "link" },
                "title": { "label": "Title", "format": "text" },
                "price": { "label": "Price", "format": "number" }
            } }
        } }
    });
    let definition = json!({
        "actorSpecification": 1,
        "name": p.name,
        "version": "0.1",
        "buildTag": "latest",
        "input": input,
        "readme": readme,
        "storages": { "dataset": dataset_schema },
        "defaultMemoryMbytes": p.memory_mb
    });
    json!({
        "id": b.id,
        "actId": p.id,
        "userId": user_id,
        "startedAt": iso(b.started),
        "finishedAt": iso(b.finished),
        "status": if b.succeeded { "SUCCEEDED" } else { "FAILED" },
        "meta": { "origin": "WEB", "clientIp": "10.0.0.1", "userAgent": "Mozilla/5.0" },
        "stats": {
            "durationMillis": (secs * 1000.0) as i64, "runTimeSecs": secs,
            "computeUnits": cu, "imageSizeBytes": rng.random_range(150_000_000..900_000_000u64)
        },
        "options": { "useCache": true, "betaPackages": false, "memoryMbytes": 4096, "diskMbytes": 8192 },
        "usage": { "ACTOR_COMPUTE_UNITS": cu },
        "usageTotalUsd": cu * USD_PER_CU,
        "usageUsd": { "ACTOR_COMPUTE_UNITS": cu * USD_PER_CU },
        "inputSchema": input.to_string(),
        "readme": readme,
        "buildNumber": b.number,
        "actVersion": { "versionNumber": "0.1", "sourceType": "SOURCE_FILES", "buildTag": "latest" },
        "actorDefinition": definition,
    })
}

fn plan_builds(cfg: &SynthConfig, rng: &mut StdRng, p: &Profile) -> Vec<BuildPlan> {
    let now = cfg.now;
    let created = now - days(p.created_days_ago);
    let count = rng.random_range(3..=8usize);
    // The newest build: recent for healthy Actors, long ago for stale ones.
    let newest_days_ago = match p.kind {
        Some(KIND_STALE) => uniform(rng, 200.0, 400.0).min(p.created_days_ago - 10.0),
        _ => uniform(rng, 3.0, 90.0).min(p.created_days_ago - 10.0),
    };
    let mut times: Vec<f64> = vec![p.created_days_ago - 0.01];
    for _ in 1..count.saturating_sub(1) {
        times.push(uniform(rng, newest_days_ago, p.created_days_ago - 0.02));
    }
    times.push(newest_days_ago);
    times.sort_by(|a, b| b.total_cmp(a));
    let mut builds: Vec<BuildPlan> = times
        .iter()
        .enumerate()
        .map(|(i, ago)| {
            let started = (now - days(*ago)).max(created);
            let secs = uniform(rng, 40.0, 400.0);
            // First and newest builds succeed; a few in between failed (and got fixed).
            let succeeded = i == 0 || i + 1 == times.len() || rng.random::<f64>() > 0.15;
            BuildPlan {
                id: new_id(rng),
                number: format!("0.1.{}", i + 1),
                started,
                finished: started + Duration::milliseconds((secs * 1000.0) as i64),
                succeeded,
            }
        })
        .collect();
    if p.kind == Some(KIND_LATEST_BUILD_FAILED) {
        let ago = uniform(rng, 1.0, newest_days_ago.clamp(1.5, 10.0));
        let started = now - days(ago);
        builds.push(BuildPlan {
            id: new_id(rng),
            number: format!("0.1.{}", builds.len() + 1),
            started,
            finished: started + Duration::seconds(rng.random_range(20..200)),
            succeeded: false,
        });
    }
    builds
}

fn pick_origin(rng: &mut StdRng, w: &[f64; 3]) -> &'static str {
    let r = rng.random::<f64>();
    if r < w[0] {
        "API"
    } else if r < w[0] + w[1] {
        "SCHEDULER"
    } else {
        "WEB"
    }
}

fn actor(
    cfg: &SynthConfig,
    rng: &mut StdRng,
    user_id: &str,
    p: &Profile,
) -> (ActorFixture, Vec<Planted>) {
    let now = cfg.now;
    let span = cfg.days as f64;
    let builds = plan_builds(cfg, rng, p);

    // When the planted change starts, and its parameters.
    let since = match p.kind {
        Some(KIND_FAILURE_SPIKE) => Some(now - days(uniform(rng, 5.0, 12.0).min(span * 0.4))),
        Some(KIND_NO_SUCCESS) => Some(now - days((NO_SUCCESS_WINDOW_DAYS as f64).min(span / 2.0))),
        Some(KIND_COST_JUMP) => Some(now - days(uniform(rng, 10.0, 20.0).min(span * 0.4))),
        _ => None,
    };
    let spike_fail = uniform(rng, 0.35, 0.6);
    let cost_factor = uniform(rng, 2.5, 4.0);
    let after = |t: DateTime<Utc>| since.is_some_and(|s| t >= s);

    // Run plans, day by day.
    let mut plans: Vec<RunPlan> = Vec::new();
    for d in 0..cfg.days {
        let day_start = now - Duration::days((cfg.days - d) as i64);
        let n = poisson(rng, p.rate);
        let mut starts: Vec<i64> = (0..n).map(|_| rng.random_range(0..86_400_000i64)).collect();
        starts.sort_unstable();
        for ms in starts {
            let start = day_start + Duration::milliseconds(ms);
            let late = after(start);
            let fail = match p.kind {
                Some(KIND_FAILURE_SPIKE) if late => spike_fail,
                _ => p.base_fail,
            };
            let r = rng.random::<f64>();
            let mut status = if r < fail {
                "FAILED"
            } else if r < fail + 0.005 {
                "TIMED-OUT"
            } else if r < fail + 0.01 {
                "ABORTED"
            } else {
                "SUCCEEDED"
            };
            if p.kind == Some(KIND_NO_SUCCESS) && late {
                status = if rng.random::<f64>() < 0.85 {
                    "FAILED"
                } else {
                    "TIMED-OUT"
                };
            }
            let jumped = p.kind == Some(KIND_COST_JUMP) && late;
            let memory_mb = if jumped { p.memory_mb * 2 } else { p.memory_mb };
            let noise = (0.25 * normal(rng)).exp();
            let duration = match status {
                "SUCCEEDED" if jumped => p.base_duration * noise * cost_factor / 2.0,
                "SUCCEEDED" => p.base_duration * noise,
                "FAILED" => p.base_duration * uniform(rng, 0.05, 0.8),
                "TIMED-OUT" => p.timeout_secs as f64,
                _ => p.base_duration * uniform(rng, 0.1, 1.0),
            };
            let duration = duration.min(p.timeout_secs as f64);
            // Every fixture run has finished by `now`.
            if start + Duration::milliseconds((duration * 1000.0) as i64) >= now {
                continue;
            }
            plans.push(RunPlan {
                start,
                status,
                duration,
                memory_mb,
            });
        }
    }
    ensure_planted_shape(rng, p, since, &mut plans, now);

    // Serialize runs straight to compact JSON text.
    let mut runs = Vec::with_capacity(plans.len());
    let mut datasets = BTreeMap::new();
    let mut buf = String::with_capacity(1400);
    for plan in &plans {
        buf.clear();
        let (run_id, dataset_id) = write_run(rng, &mut buf, p, user_id, &builds, plan);
        runs.push(RawJson::from_string(buf.clone()).unwrap_or_else(|_| RawJson::from(Value::Null)));
        let n = rng.random_range(1..=3u32);
        let mut items = String::from("[");
        for k in 0..n {
            if k > 0 {
                items.push(',');
            }
            let _ = write!(items, r#"{{"canary":true,"runId":"{run_id}","n":{k}}}"#);
        }
        items.push(']');
        if let Ok(raw) = RawJson::from_string(items) {
            datasets.insert(dataset_id, raw);
        }
    }

    let good: Vec<&BuildPlan> = builds.iter().filter(|b| b.succeeded).collect();
    let latest_good = good.last().copied();
    let mut tagged = json!({});
    if let Some(b) = latest_good {
        tagged["latest"] = json!({
            "buildId": b.id, "buildNumber": b.number,
            "buildNumberInt": 100_000 + b.number.rsplit('.').next().and_then(|n| n.parse::<i64>().ok()).unwrap_or(0),
            "finishedAt": iso(b.finished)
        });
    }
    let created = now - days(p.created_days_ago);
    let modified = builds.last().map(|b| b.started).unwrap_or(created);
    let mut stats = json!({
        "totalBuilds": builds.len(), "totalRuns": plans.len(), "totalUsers": 1,
        "totalUsers7Days": 1, "totalUsers30Days": 1, "totalUsers90Days": 1, "totalMetamorphs": 0
    });
    if let Some(last) = plans.last() {
        stats["lastRunStartedAt"] = json!(iso(last.start));
    }
    let title = title_of(&p.name);
    let actor = json!({
        "id": p.id,
        "userId": user_id,
        "name": p.name,
        "username": cfg.username,
        "title": title,
        "description": format!("{title}: extracts structured data and exports it as JSON, CSV or Excel."),
        "isPublic": false,
        "actorPermissionLevel": "LIMITED_PERMISSIONS",
        "createdAt": iso(created),
        "modifiedAt": iso(modified),
        "stats": stats,
        "versions": [{
            "versionNumber": "0.1", "sourceType": "SOURCE_FILES", "envVars": [],
            "applyEnvVarsToBuild": false, "buildTag": "latest"
        }],
        "pricingInfos": [],
        "defaultRunOptions": {
            "build": "latest", "timeoutSecs": p.timeout_secs, "memoryMbytes": p.memory_mb,
            "restartOnError": false
        },
        "exampleRunInput": {
            "body": "{ \"startUrls\": [], \"maxItems\": 10 }",
            "contentType": "application/json; charset=utf-8"
        },
        "isDeprecated": false,
        "taggedBuilds": tagged,
        "categories": ["DEVELOPER_TOOLS"],
        "isSourceCodeHidden": true,
    });
    let build_values = builds
        .iter()
        .enumerate()
        .map(|(i, b)| build_object(p, b, i, user_id, rng))
        .collect();
    let base_usd = p.memory_mb as f64 / 1024.0 * p.base_duration / 3600.0 * USD_PER_CU;
    let behavior = Behavior {
        success_rate: 1.0 - p.base_fail,
        duration_secs: (p.base_duration * 1000.0).round() / 1000.0,
        usd_per_run: (base_usd * 1e6).round() / 1e6,
        items: vec![
            json!({ "url": format!("https://www.example.com/{}/1", p.name), "title": "Item 1", "price": 19.99 }),
            json!({ "url": format!("https://www.example.com/{}/2", p.name), "title": "Item 2", "price": 5.5 }),
        ],
    };
    let planted = planted_entry(p, since, spike_fail, cost_factor, &builds, now);
    (
        ActorFixture {
            actor,
            builds: build_values,
            runs,
            datasets,
            behavior: Some(behavior),
        },
        planted.into_iter().collect(),
    )
}

/// Noise must not erase a plant nor fake one in a healthy Actor.
fn ensure_planted_shape(
    rng: &mut StdRng,
    p: &Profile,
    since: Option<DateTime<Utc>>,
    plans: &mut Vec<RunPlan>,
    now: DateTime<Utc>,
) {
    let window_start = now - Duration::days(NO_SUCCESS_WINDOW_DAYS);
    match p.kind {
        Some(KIND_NO_SUCCESS) => {
            let since = since.unwrap_or(window_start);
            // "It succeeded before": at least one success before the window.
            if !plans
                .iter()
                .any(|r| r.start < since && r.status == "SUCCEEDED")
            {
                if let Some(r) = plans.iter_mut().rev().find(|r| r.start < since) {
                    r.status = "SUCCEEDED";
                }
            }
            // And at least one (failed) run inside the window.
            if !plans.iter().any(|r| r.start >= since) {
                plans.push(RunPlan {
                    start: now - Duration::hours(rng.random_range(2..48)),
                    status: "FAILED",
                    duration: p.base_duration * 0.2,
                    memory_mb: p.memory_mb,
                });
            }
        }
        Some(KIND_FAILURE_SPIKE) | Some(KIND_COST_JUMP) => {}
        _ => {
            // Healthy run history: some success in the last 30 days whenever it ran then.
            let recent: Vec<usize> = (0..plans.len())
                .filter(|&i| plans[i].start >= window_start)
                .collect();
            if !recent.is_empty() && recent.iter().all(|&i| plans[i].status != "SUCCEEDED") {
                if let Some(&i) = recent.last() {
                    plans[i].status = "SUCCEEDED";
                    plans[i].duration = p.base_duration;
                }
            }
        }
    }
}

fn planted_entry(
    p: &Profile,
    since: Option<DateTime<Utc>>,
    spike_fail: f64,
    cost_factor: f64,
    builds: &[BuildPlan],
    now: DateTime<Utc>,
) -> Option<Planted> {
    let kind = p.kind?;
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let details = match kind {
        KIND_FAILURE_SPIKE => json!({
            "failureRateBefore": r3(p.base_fail), "failureRateAfter": r3(spike_fail)
        }),
        KIND_NO_SUCCESS => json!({ "windowDays": NO_SUCCESS_WINDOW_DAYS }),
        KIND_COST_JUMP => json!({
            "costFactor": r3(cost_factor), "memoryMbytesBefore": p.memory_mb,
            "memoryMbytesAfter": p.memory_mb * 2, "durationFactor": r3(cost_factor / 2.0)
        }),
        KIND_LATEST_BUILD_FAILED => {
            let failed = builds.last();
            let good = builds.iter().rev().find(|b| b.succeeded);
            json!({
                "buildId": failed.map(|b| b.id.clone()),
                "buildNumber": failed.map(|b| b.number.clone()),
                "lastGoodBuildId": good.map(|b| b.id.clone()),
                "lastGoodBuildNumber": good.map(|b| b.number.clone()),
            })
        }
        _ => {
            let good = builds.iter().rev().find(|b| b.succeeded);
            json!({
                "lastSuccessfulBuildAt": good.map(|b| iso(b.finished)),
                "daysSinceLastSuccessfulBuild": good.map(|b| (now - b.finished).num_days()),
                "staleAfterDays": STALE_AFTER_DAYS,
            })
        }
    };
    let since = match kind {
        KIND_LATEST_BUILD_FAILED => builds.last().map(|b| b.started),
        KIND_STALE => None,
        _ => since,
    };
    Some(Planted {
        actor_id: p.id.clone(),
        actor_name: p.name.clone(),
        kind: kind.to_owned(),
        since,
        details,
    })
}

/// Writes one full Run object; returns (run id, default dataset id).
fn write_run(
    rng: &mut StdRng,
    out: &mut String,
    p: &Profile,
    user_id: &str,
    builds: &[BuildPlan],
    r: &RunPlan,
) -> (String, String) {
    let mut ids = String::with_capacity(17 * 4);
    push_id(rng, &mut ids, 17 * 4, ALNUM);
    let (run_id, rest) = ids.split_at(17);
    let (kvs_id, rest) = rest.split_at(17);
    let (ds_id, rq_id) = rest.split_at(17);
    let mut host = String::with_capacity(12);
    push_id(rng, &mut host, 12, LOWER);
    // The newest successful build finished before the run started.
    let build = builds
        .iter()
        .rev()
        .find(|b| b.succeeded && b.finished <= r.start)
        .or_else(|| builds.iter().find(|b| b.succeeded))
        .or(builds.first());
    let (build_id, build_number) = build
        .map(|b| (b.id.as_str(), b.number.as_str()))
        .unwrap_or(("", "0.1.1"));
    // Whole milliseconds, so durationMillis, runTimeSecs and finishedAt agree exactly.
    let dms = (r.duration * 1000.0).round() as i64;
    let secs = dms as f64 / 1000.0;
    let finished = r.start + Duration::milliseconds(dms);
    let mem_bytes = r.memory_mb * 1024 * 1024;
    let cu = r.memory_mb as f64 / 1024.0 * secs / 3600.0;
    let usd = cu * USD_PER_CU;
    let (exit_code, message): (&str, &str) = match r.status {
        "SUCCEEDED" => ("0", "Finished! Results are in the dataset."),
        "FAILED" => (
            "1",
            FAILURE_MESSAGES[rng.random_range(0..FAILURE_MESSAGES.len())],
        ),
        "TIMED-OUT" => ("null", "Actor run timed out."),
        _ => ("null", "Actor was aborted."),
    };
    let items = if r.status == "SUCCEEDED" {
        rng.random_range(5..500u32)
    } else {
        rng.random_range(0..5u32)
    };
    let origin = pick_origin(rng, &p.origins);
    let _ = write!(
        out,
        concat!(
            r#"{{"id":"{run_id}","actId":"{act}","userId":"{user}","actorTaskId":null,"#,
            r#""startedAt":"{started}","finishedAt":"{finished}","status":"{status}","#,
            r#""statusMessage":"{message}","isStatusMessageTerminal":true,"#,
            r#""meta":{{"origin":"{origin}"}},"#,
            r#""stats":{{"inputBodyLen":{ibl},"migrationCount":0,"rebootCount":0,"restartCount":0,"resurrectCount":0,"#,
            r#""memAvgBytes":{mem_avg},"memMaxBytes":{mem_max},"memCurrentBytes":0,"#,
            r#""cpuAvgUsage":{cpu_avg:.3},"cpuMaxUsage":{cpu_max:.3},"cpuCurrentUsage":0,"#,
            r#""netRxBytes":{rx},"netTxBytes":{tx},"durationMillis":{dms},"runTimeSecs":{secs:.3},"metamorph":0,"computeUnits":{cu:.6}}},"#,
            r#""options":{{"build":"latest","timeoutSecs":{timeout},"memoryMbytes":{mem},"diskMbytes":{disk}}},"#,
            r#""buildId":"{build_id}","buildNumber":"{build_number}","exitCode":{exit},"#,
            r#""generalAccess":"FOLLOW_USER_SETTING","#,
            r#""defaultKeyValueStoreId":"{kvs}","defaultDatasetId":"{ds}","defaultRequestQueueId":"{rq}","#,
            r#""containerUrl":"https://{host}.runs.apify.net","#,
            r#""usage":{{"ACTOR_COMPUTE_UNITS":{cu:.6},"DATASET_WRITES":{items},"KEY_VALUE_STORE_READS":1,"KEY_VALUE_STORE_WRITES":2}},"#,
            r#""usageTotalUsd":{usd:.6},"usageUsd":{{"ACTOR_COMPUTE_UNITS":{usd:.6}}},"#,
            r#""platformUsageBillingModel":"USER"}}"#
        ),
        run_id = run_id,
        act = p.id,
        user = user_id,
        started = iso(r.start),
        finished = iso(finished),
        status = r.status,
        message = message.replace('"', "\\\""),
        origin = origin,
        ibl = rng.random_range(40..400u32),
        mem_avg = (mem_bytes as f64 * uniform(rng, 0.25, 0.6)) as u64,
        mem_max = (mem_bytes as f64 * uniform(rng, 0.6, 0.95)) as u64,
        cpu_avg = uniform(rng, 5.0, 80.0),
        cpu_max = uniform(rng, 80.0, 200.0),
        rx = rng.random_range(100_000..500_000_000u64),
        tx = rng.random_range(10_000..20_000_000u64),
        dms = dms,
        secs = secs,
        cu = cu,
        timeout = p.timeout_secs,
        mem = r.memory_mb,
        disk = r.memory_mb * 2,
        build_id = build_id,
        build_number = build_number,
        exit = exit_code,
        kvs = kvs_id,
        ds = ds_id,
        rq = rq_id,
        host = host,
        items = items,
        usd = usd,
    );
    (run_id.to_owned(), ds_id.to_owned())
}
