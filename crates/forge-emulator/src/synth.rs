//! A seeded synthetic fleet: realistic Actors, builds and runs with known problems planted in
//! some of them, plus the ground truth of what was planted (so analyses can be scored on
//! precision and recall, not just "it ran").
//!
//! Four families of problems are planted, each on its own Actors (an Actor has at most one):
//!
//! * run and build health ([`KINDS`]: about a quarter of the fleet), found by fleet-analytics;
//! * schema problems ([`SCHEMA_KINDS`]: about a fifth), found by schema-validator and
//!   release-gate. Every build carries an Apify input schema (`inputSchema`, and the same object
//!   in `actorDefinition.input`) and a dataset schema (`actorDefinition.storages.dataset`) that
//!   evolve across builds: compatibly on healthy Actors (an optional property or field added,
//!   a description reworded) or not at all; a schema plant is the change from the previous
//!   SUCCEEDED build to the newest one (which succeeded too);
//! * cost problems ([`COST_KINDS`]: one of each per about 25 Actors), found by cost-watchdog:
//!   memory far above what runs use, a jump in daily spend, runs that keep timing out, a run
//!   stuck in RUNNING. Their `details` are computed from the runs as written;
//! * quality regressions ([`QUALITY_KINDS`]: about one per 25 Actors), found by quality-monitor:
//!   from a moment `since` a few days ago, more runs fail, successful runs take longer, or a
//!   share of them writes nothing, either on a new build (`cause` `"build"`) or with no build
//!   anywhere near (`"drift"`: the target website changed). As many other Actors are pure-noise
//!   controls ([`GroundTruth::controls`]): stationary, but noisier than the rest, and NOT
//!   problems.
//!
//! * compliance problems in Actor definitions ([`COMPLIANCE_KINDS`]: about one per 20 Actors),
//!   found by compliance-scanner: a credential in the newest build's input schema or README, a
//!   credential-named input that is not `isSecret`, a public Actor that outputs personal data
//!   without a legal note in its README, a public Actor with a stub README. As many other
//!   Actors are controls that must not be flagged (personal data with a legal note; a secret
//!   input and a README with placeholder tokens only). They change builds and the Actor
//!   object only, never runs.
//!
//! Besides, one healthy Actor gets an A/B difference ([`KIND_AB_DIFFERENCE`]): its newest build
//! runs worse than the previous one in SIMULATED runs (the emulator's runs of the fixture
//! `behavior`; its run history is as healthy as any other's), for ab-tester experiments.
//!
//! Every Actor's [`Behavior`] reflects its profile: success rate 1 − its failure rate, its base
//! duration with log-normal noise σ = 0.25, a CPU-bound share of 0.2–0.8 (memory scaling), a
//! price of 0.4 USD per compute unit, and 5–50 items per successful run.
//!
//! [`SynthConfig::families`] switches families off (the others' choices stay as they were).
//!
//! Healthy Actors' runs peak at 60–95 % of their memory, time out about once in 200 runs, and
//! have all finished by `now`; [`SynthConfig::clean`] gives a fleet of healthy Actors only.
//!
//! Everything derives from `SynthConfig::seed`: the same config gives byte-identical JSON.
//! Schema, cost and quality randomness come from generators of their own, so the runs of a seed
//! do not depend on them (cost and quality plants replace the runs of the Actors they go on, and
//! nothing else).
//! Runs are written straight to compact JSON text, so a million runs take seconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::fixture::{
    ActorFixture, Behavior, BuildBehavior, Fixture, Permission, Permissions, RawJson, TokenSpec,
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

/// The newest build's input schema breaks existing callers. `details.change` is one of
/// [`INPUT_BREAKING_CHANGES`]; `details.path` is the property.
pub const KIND_SCHEMA_BREAKING_INPUT: &str = "schema-breaking-input";
/// The newest build only rewords (`title`, `description`, `sectionCaption`) and/or adds an
/// optional property with a default: a release must pass. `details.change` is one of
/// [`COSMETIC_CHANGES`], `details.changes` lists every `{change, path[, key]}`.
pub const KIND_SCHEMA_COSMETIC: &str = "schema-cosmetic";
/// The newest build's dataset schema removes a field a view shows, or changes a field's type.
/// `details.change` is one of [`DATASET_BREAKING_CHANGES`]; `details.path` is the field.
pub const KIND_SCHEMA_BREAKING_DATASET: &str = "schema-breaking-dataset";
/// The newest build's input schema has a lint problem (and nothing else changed).
/// `details.change` is one of [`LINT_CHANGES`]; `details.path` is the property.
pub const KIND_SCHEMA_LINT: &str = "schema-lint";
/// Schema problems, planted on Actors that have none of [`KINDS`]. Every one's `details` has
/// `schema` (`"input"` or `"dataset"`), `fromBuild` and `toBuild` (build numbers: the SUCCEEDED
/// build before the newest, and the newest, which SUCCEEDED), `fromBuildId`, `toBuildId`,
/// `change` and `path`; where one key of a property changed, `key` names it and `before` /
/// `after` are its values (null when absent), else `before` / `after` are the whole property
/// or field (null when absent).
pub const SCHEMA_KINDS: [&str; 4] = [
    KIND_SCHEMA_BREAKING_INPUT,
    KIND_SCHEMA_COSMETIC,
    KIND_SCHEMA_BREAKING_DATASET,
    KIND_SCHEMA_LINT,
];
/// For its whole history the Actor's runs peak far below their memory: `options.memoryMbytes`
/// 4096 or 8192, `stats.memMaxBytes` 300–720 MB, nearly all SUCCEEDED, at least 6 runs a day.
/// `since` is the first run's start. `details` (figures from the written runs):
/// `memoryMbytes` (every run's, and the Actor's default); `p95MemMaxMbytes` and
/// `maxMemMaxMbytes`, over the SUCCEEDED runs started in the last [`COST_WINDOW_DAYS`]
/// (`successfulRuns` of them; p95 by nearest rank: the `ceil(0.95 n)`-th smallest; MB are
/// 1 048 576 bytes); `recommendedMbytes` = the power of two at or above
/// `max(1.2 × p95, 1.05 × max)`, within 128..=32768; `usdPerMonthSaving` = the `usageTotalUsd`
/// of every run started in the window × (1 − recommended / memoryMbytes) × 30.44 / `windowDays`
/// (the window's days, fewer when the history is shorter).
pub const KIND_MEMORY_OVERPROVISIONED: &str = "memory-overprovisioned";
/// In the last 3–5 days the Actor runs 6–9 times as often as usual, at the same cost per run,
/// so its daily spend is at least 5× its usual and at least $20 a day more. Days are the
/// 24-hour slots ending at `now`, a run counts on the day it started; `since` starts the first
/// spike day. `details`: `since`; `spikeDays`; `baselineUsdPerDay` and `baselineRunsPerDay`,
/// medians over every day of the history before `since` (days without runs count);
/// `spikeUsdPerDay` and `spikeRunsPerDay`, means over the spike days; `driver`: `"more-runs"`.
pub const KIND_COST_SPIKE: &str = "cost-spike";
/// 25–50 % of the runs started in the last [`COST_WINDOW_DAYS`] end TIMED-OUT (a steady share
/// over the whole history), after `options.timeoutSecs` and up to 4 s more, full cost paid; the
/// rest SUCCEEDED. `since` is the first run's start. `details`: `timeoutSecs`,
/// `runsInWindow`, `timedOutRuns`, `timedOutShare` (their ratio), `wastedUsdLast30Days` (the
/// timed-out runs' `usageTotalUsd`), `windowDays`.
pub const KIND_TIMEOUT_WASTE: &str = "timeout-waste";
/// One run is still RUNNING at `now` (`finishedAt` and `exitCode` null, `stats.runTimeSecs`,
/// `computeUnits` and `usageTotalUsd` so far), started 10–20 × the p99 duration of the
/// Actor's finished runs before `now`, well within its timeout; its other runs are short and
/// have all finished. `since` is the stuck run's start. `details`: `runId`, `startedAt`,
/// `runningForSecs`, `p99DurationSecs` (nearest rank over `stats.runTimeSecs` of the runs
/// started in the last [`COST_WINDOW_DAYS`] that finished, any status), `usdSoFar` (its
/// `usageTotalUsd`), `memoryMbytes`, `timeoutSecs`.
pub const KIND_STUCK_RUN: &str = "stuck-run";
/// Cost problems, planted on Actors with none of [`KINDS`] and [`SCHEMA_KINDS`]: from 10
/// Actors, `round(actors / 25)` of each (at least one), one of each when there are too few busy
/// Actors (3 runs a day or more) for that, and only as many as there are free Actors (busy ones
/// first; never the low-traffic ones); below 10 Actors, the first `actors / 4` kinds.
pub const COST_KINDS: [&str; 4] = [
    KIND_MEMORY_OVERPROVISIONED,
    KIND_COST_SPIKE,
    KIND_TIMEOUT_WASTE,
    KIND_STUCK_RUN,
];
/// From `since` (the exact moment is [`Planted::since`]), the failure rate (FAILED and TIMED-OUT
/// runs over SUCCEEDED, FAILED and TIMED-OUT ones) is 0.15–0.35 above its usual 0–0.05: of the
/// runs started at or after `since`, that share exactly fails. `details` (see
/// [`QUALITY_KINDS`] for the common keys): `baselineFailureRate` and `failureRate`, the failure
/// rates of the runs as written started before and at or after `since`.
pub const KIND_FAILURE_REGRESSION: &str = "failure-regression";
/// From `since`, SUCCEEDED runs take `details.factor` (1.4–2.0) times as long as before (the
/// same log-normal noise, σ = 0.25, around a longer typical run); their cost follows (cost is
/// memory × duration). `details`: `factor` (planted), `baselineMedianSecs` and `medianSecs`
/// (medians of `stats.runTimeSecs` over the SUCCEEDED runs as written before and at or after
/// `since`).
pub const KIND_DURATION_REGRESSION: &str = "duration-regression";
/// From `since`, a share (0.3–0.6) of the SUCCEEDED runs writes nothing: `usage.DATASET_WRITES`
/// is 0 (5–499 on every other SUCCEEDED run of the fleet). `details`: `emptyShare` (empty
/// SUCCEEDED runs at or after `since` over all SUCCEEDED runs then, as written), `emptyRuns`,
/// `successfulRunsAfter`.
pub const KIND_EMPTY_RUNS: &str = "empty-runs";
/// Quality regressions, planted on Actors with no other plant (never low-traffic ones):
/// `round(actors / 25)` from 10 Actors (at least one), or exactly [`SynthConfig::quality_plants`],
/// cycling through these kinds and alternating the cause (build, drift, build, ...). `since` is 3–6
/// days before `now` (at most half the history); the Actor runs at least 8 times a day, and at
/// least [`QUALITY_MIN_RUNS_AFTER`] of its runs (all finished) start at or after `since`. Every
/// one's `details` has `cause`: `"build"` (a new SUCCEEDED build, the newest, finished exactly at
/// `since`, so every run from `since` runs it and no earlier one does; `buildNumber` and `buildId`
/// name it) or `"drift"` (no build finished within [`QUALITY_BUILD_GUARD_DAYS`] of `since`, either
/// side: the target website changed); and `runsAfter`, the runs started at or after `since`.
pub const QUALITY_KINDS: [&str; 3] = [
    KIND_FAILURE_REGRESSION,
    KIND_DURATION_REGRESSION,
    KIND_EMPTY_RUNS,
];
/// [`Control::kind`] of a pure-noise control: an Actor with a stationary but noisy history
/// (failure rate 0.08–0.2, duration noise σ = 0.6, a couple of days with 3× the runs, one of
/// them in the last 7 days), at least 8 runs a day. Not a problem: a quality monitor that
/// reports it made a false discovery.
pub const CONTROL_NOISE: &str = "noise";
/// A drift-caused quality plant has no build finishing within this many days of `since`.
pub const QUALITY_BUILD_GUARD_DAYS: i64 = 7;
/// A quality plant has at least this many runs started at or after `since`.
pub const QUALITY_MIN_RUNS_AFTER: usize = 20;
/// An A/B difference between two builds, planted in the fixture `behavior` (simulated runs
/// only) of one healthy Actor with at least two SUCCEEDED builds (not low-traffic, with no
/// other plant and not a quality control; preferably one that has none even with every family
/// on, so switching families off keeps the choice): runs of its newest build
/// (`buildB`, the `latest` tag, so the default) succeed less often and take longer than runs of
/// the previous SUCCEEDED build (`buildA`). `since` is when `buildB` finished. `details`:
/// `buildA`, `buildB` (build numbers), `buildIdA`, `buildIdB`, `successRateA` (the Actor's
/// `behavior.successRate`), `successRateB` (`behavior.builds[buildB].successRate`:
/// [`AB_SUCCESS_RATE_DROP`] lower, at least 0), `durationFactor`
/// (`behavior.builds[buildB].durationFactor`, [`AB_DURATION_FACTOR`]: B's run time over A's).
/// Planted when [`Families::ab`] is on and the fleet is not `clean`.
pub const KIND_AB_DIFFERENCE: &str = "ab-difference";
/// How much lower the success rate of `buildB` of [`KIND_AB_DIFFERENCE`] is.
pub const AB_SUCCESS_RATE_DROP: f64 = 0.15;
/// The run-time factor of `buildB` of [`KIND_AB_DIFFERENCE`].
pub const AB_DURATION_FACTOR: f64 = 1.3;
/// The newest build's input schema publishes a real-looking credential (one of
/// [`SECRET_KINDS`]) as the `prefill` of its `apiKey` property, a property every build of the
/// Actor has (`isSecret: true`, which Apify allows with a prefill: the value is published all
/// the same). Older builds are unchanged. `details`: `location` (the JSON pointer into the
/// input schema, `/properties/apiKey/prefill`), `secretKind`, `fingerprint` (the first 4
/// characters, `…`, the last 2: never the secret), `buildNumber` and `buildId` (the newest
/// build).
pub const KIND_SECRET_IN_INPUT: &str = "secret-in-input";
/// The newest build's README (`readme` and `actorDefinition.readme`) has a real-looking
/// credential in a usage snippet (`export APIFY_TOKEN=apify_api_…`, `curl -H 'Authorization:
/// Bearer xoxb-…'`, a Google Maps URL with `key=AIza…`...). Older builds are unchanged.
/// `details`: `location` (`README:<line>`, 1-based), `secretKind`, `fingerprint`,
/// `buildNumber`, `buildId`.
pub const KIND_SECRET_IN_README: &str = "secret-in-readme";
/// The newest build's input schema has a string property named like a credential
/// (`apiKey`, `password`, `sessionCookie`, `accessToken`) that is not `isSecret` and has no
/// default or prefill: `apiKey` loses its `isSecret`, the others are added. Older builds are
/// unchanged. `details`: `property`, `location` (`/properties/<property>`), `buildNumber`,
/// `buildId`.
pub const KIND_MISSING_IS_SECRET: &str = "missing-is-secret";
/// A public Actor (`isPublic: true`) whose dataset schema (every build's) has personal-data
/// fields (`email`, `phone`, `fullName` with `profileUrl`, `address`) and whose README (a full
/// one, 300 words and more, with input and output sections) says nothing about personal data,
/// GDPR, privacy or legality. `details`: `fields` (the personal-data fields), `buildNumber`,
/// `buildId`.
pub const KIND_PII_NO_LEGAL_NOTE: &str = "pii-no-legal-note";
/// A public Actor (`isPublic: true`) whose README (every build's) is a stub of a few words
/// (`# Title\n\nTODO\n`). `details`: `readmeChars` (characters of the newest build's README,
/// whitespace included), `readmeWords`, `buildNumber`, `buildId`.
pub const KIND_STUB_README: &str = "stub-readme";
/// Compliance problems in Actor definitions, found by compliance-scanner; planted on Actors
/// with no other plant and no control, from a generator of their own: `round(actors / 20)`
/// from 20 Actors (at least one), or exactly [`SynthConfig::compliance_plants`], cycling
/// through these kinds in this order: a 40-Actor fleet (two plants) has none of the two that
/// schema-validator's input-schema lint truly sees too (secret-in-input: a secret with a
/// prefill; missing-is-secret: a credential not marked secret), a 60-Actor one has a secret
/// in the input schema and one in a README. As many controls, at least two
/// ([`CONTROL_PII_WITH_LEGAL_NOTE`] and [`CONTROL_PLACEHOLDER_SECRET`] in turn). Every other
/// Actor is private (`isPublic: false`) with a two-line README, and its dataset schema has no
/// personal-data field of these names (Social-shaped Actors do have an `author` field).
pub const COMPLIANCE_KINDS: [&str; 5] = [
    KIND_SECRET_IN_README,
    KIND_PII_NO_LEGAL_NOTE,
    KIND_SECRET_IN_INPUT,
    KIND_STUB_README,
    KIND_MISSING_IS_SECRET,
];
/// `details.secretKind` of the secret plants, in the order the plants rotate through them
/// (from an offset drawn from the seed): an Apify API token (`apify_api_` + 36 alphanumerics),
/// an AWS access key id (`AKIA` + 16 of `A-Z2-7`), a GitHub personal access token (`ghp_` + 36
/// alphanumerics), a Slack bot token (`xoxb-` + 10 digits + `-` + 13 digits + `-` + 24
/// alphanumerics), a Stripe live secret key (`sk_live_` + 24 alphanumerics), a Google API key
/// (`AIza` + 35 of `A-Za-z0-9_-`), an OpenAI project key (`sk-proj-` + 48 alphanumerics).
/// Every secret has letters and digits (upper and lower case where the format has both) and
/// nothing a scanner takes for a placeholder (`test`, `example`, `xxxx`, `1234`...).
pub const SECRET_KINDS: [&str; 7] = [
    "apify-token",
    "aws-access-key",
    "github-token",
    "slack-token",
    "stripe-live-key",
    "google-api-key",
    "openai-api-key",
];
/// [`Control::kind`] of a compliance control: a public Actor with personal-data fields in its
/// dataset schema whose README has a section "Is it legal to scrape …?" on personal data and
/// GDPR. Not a problem.
pub const CONTROL_PII_WITH_LEGAL_NOTE: &str = "pii-with-legal-note";
/// [`Control::kind`] of a compliance control: every build's input schema has an `apiToken`
/// property with `isSecret: true` and neither prefill nor default, and every README shows how
/// to call the Actor with placeholders (`YOUR_APIFY_TOKEN`, `<token>`). Not a leak.
pub const CONTROL_PLACEHOLDER_SECRET: &str = "placeholder-secret";
/// Every kind a [`Planted`] can have.
pub const ALL_KINDS: [&str; 22] = [
    KIND_FAILURE_SPIKE,
    KIND_NO_SUCCESS,
    KIND_COST_JUMP,
    KIND_LATEST_BUILD_FAILED,
    KIND_STALE,
    KIND_SCHEMA_BREAKING_INPUT,
    KIND_SCHEMA_COSMETIC,
    KIND_SCHEMA_BREAKING_DATASET,
    KIND_SCHEMA_LINT,
    KIND_MEMORY_OVERPROVISIONED,
    KIND_COST_SPIKE,
    KIND_TIMEOUT_WASTE,
    KIND_STUCK_RUN,
    KIND_FAILURE_REGRESSION,
    KIND_DURATION_REGRESSION,
    KIND_EMPTY_RUNS,
    KIND_AB_DIFFERENCE,
    KIND_SECRET_IN_INPUT,
    KIND_SECRET_IN_README,
    KIND_MISSING_IS_SECRET,
    KIND_PII_NO_LEGAL_NOTE,
    KIND_STUB_README,
];

/// `details.change` of [`KIND_SCHEMA_BREAKING_INPUT`]: a property removed; a required property
/// without a default added; a type narrowed (`["integer", "string"]` to `"integer"`, or
/// `"string"` to `"integer"`: `key` is `type`); an enum value removed (`key` is `enum`,
/// `value` the removed value); a minimum raised (`key` is `minimum`).
pub const INPUT_BREAKING_CHANGES: [&str; 5] = [
    "property-removed",
    "required-added",
    "type-narrowed",
    "enum-value-removed",
    "min-raised",
];
/// `details.change` of [`KIND_SCHEMA_COSMETIC`].
pub const COSMETIC_CHANGES: [&str; 3] = ["reworded", "optional-added", "reworded+optional-added"];
/// `details.change` of [`KIND_SCHEMA_BREAKING_DATASET`]: a field shown by the view `details.view`
/// removed (from `fields` and from the view), or a field's type changed (`key` is `type`).
pub const DATASET_BREAKING_CHANGES: [&str; 2] = ["field-removed", "field-type-changed"];
/// `details.change` of [`KIND_SCHEMA_LINT`]: a secret with a `default` (`key` is `default`); a
/// credential-like property (`password`, `apiToken`) added without `isSecret`; a `default` that
/// does not validate against its own property (`key` is `default`).
pub const LINT_CHANGES: [&str; 3] = [
    "secret-with-default",
    "credential-not-secret",
    "default-invalid",
];

/// USD per compute unit (1 CU = 1 GB of memory for 1 hour).
const USD_PER_CU: f64 = 0.4;
/// "No successful build in the last 180 days" makes an Actor stale.
pub const STALE_AFTER_DAYS: i64 = 180;
/// "no-success": every run in this many last days failed or timed out.
pub const NO_SUCCESS_WINDOW_DAYS: i64 = 30;
/// The window of the cost plants' figures: runs started in this many last days.
pub const COST_WINDOW_DAYS: i64 = 30;
/// Days per month in monthly figures (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.44;

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
    /// Plant nothing (of any kind): every Actor is healthy and the ground truth is empty.
    pub clean: bool,
    /// Which families of problems to plant (all by default; `clean` plants none).
    pub families: Families,
    /// Exact number of quality plants (cycling [`QUALITY_KINDS`], alternating build/drift);
    /// None: about 1 per 25 Actors (at least 1 from 10 Actors). As many noise controls go to
    /// other Actors. Fewer when there are not enough free Actors.
    pub quality_plants: Option<usize>,
    /// Exact number of compliance plants (cycling [`COMPLIANCE_KINDS`]); None: about 1 per 20
    /// Actors (at least 1 from 20 Actors). As many compliance controls (at least two) go to
    /// other Actors. Fewer when there are not enough free Actors.
    pub compliance_plants: Option<usize>,
}

/// Which families of problems [`generate`] plants. A family switched off leaves the others'
/// choices (which Actors, which kinds) exactly as they would be with it on; the Actors it would
/// have gone on are healthy instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Families {
    /// Run and build health: [`KINDS`].
    pub fleet: bool,
    /// [`SCHEMA_KINDS`].
    pub schema: bool,
    /// [`COST_KINDS`].
    pub cost: bool,
    /// [`QUALITY_KINDS`], and the noise controls.
    pub quality: bool,
    /// [`KIND_AB_DIFFERENCE`].
    pub ab: bool,
    /// [`COMPLIANCE_KINDS`], and their controls.
    pub compliance: bool,
}

impl Families {
    /// Every family.
    pub const ALL: Families = Families {
        fleet: true,
        schema: true,
        cost: true,
        quality: true,
        ab: true,
        compliance: true,
    };
    /// No family: `Families { quality: true, ..Families::NONE }` plants quality problems only.
    pub const NONE: Families = Families {
        fleet: false,
        schema: false,
        cost: false,
        quality: false,
        ab: false,
        compliance: false,
    };
}

impl Default for Families {
    fn default() -> Self {
        Families::ALL
    }
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
            clean: false,
            families: Families::ALL,
            quality_plants: None,
            compliance_plants: None,
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
    /// Actors that look suspicious but have no problem (pure-noise controls of the quality
    /// family, compliance controls), in fleet order. Never planted.
    #[serde(default)]
    pub controls: Vec<Control>,
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

    /// The control an Actor (by name) is, if any.
    pub fn control_of(&self, actor_name: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.actor_name == actor_name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Planted {
    pub actor_id: String,
    pub actor_name: String,
    /// One of [`ALL_KINDS`].
    pub kind: String,
    /// When the problem started (None for "stale").
    pub since: Option<DateTime<Utc>>,
    pub details: Value,
}

/// An Actor with no problem that a careless analysis may report (see [`CONTROL_NOISE`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Control {
    pub actor_id: String,
    pub actor_name: String,
    /// [`CONTROL_NOISE`], [`CONTROL_PII_WITH_LEGAL_NOTE`] or [`CONTROL_PLACEHOLDER_SECRET`].
    pub kind: String,
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
    // Not an out-of-memory message: a healthy actor's failures must not read as a memory
    // problem that no ground truth records.
    "Error: net::ERR_CONNECTION_RESET while loading the page",
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
    /// A schema problem (one of [`SCHEMA_KINDS`]) and its variant; only when `kind` is None.
    schema_plant: Option<(&'static str, usize)>,
    /// A cost problem (one of [`COST_KINDS`]); only without `kind` and `schema_plant`.
    cost_plant: Option<&'static str>,
    /// A quality plant or a noise control; only on an Actor with no other plant.
    quality: Option<QualityRole>,
    /// The [`KIND_AB_DIFFERENCE`] plant; only on an Actor with no other plant.
    ab: bool,
    /// A compliance plant or control; only on an Actor with no other plant or control.
    compliance: Option<ComplianceRole>,
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
    /// A terminal status, or RUNNING (then `duration` is the run time so far, up to `now`).
    status: &'static str,
    duration: f64,
    memory_mb: u64,
    timeout_secs: u64,
    /// Peak memory in MB; None draws it as 60–95 % of `memory_mb`.
    mem_max_mb: Option<f64>,
    /// A SUCCEEDED run that wrote nothing (`usage.DATASET_WRITES` 0).
    empty: bool,
}

/// A public actor has Store users (10 to 2,000 in the last 30 days, a function of its id so
/// no family's random stream moves); a private one only its owner.
fn store_users(actor: &mut Value) {
    if actor["isPublic"] != true {
        return;
    }
    let id = actor["id"].as_str().unwrap_or_default();
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    let users30 = 10 + h % 1991;
    let stats = &mut actor["stats"];
    stats["totalUsers7Days"] = json!(users30 / 3 + 1);
    stats["totalUsers30Days"] = json!(users30);
    stats["totalUsers90Days"] = json!(users30 * 2);
    stats["totalUsers"] = json!(users30 * 3);
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
    for (mut fixture, plant) in generated {
        store_users(&mut fixture.actor);
        actors.push(fixture);
        planted.extend(plant);
    }
    let fixture = Fixture {
        user,
        tokens,
        actors,
    };
    let controls = profiles
        .iter()
        .filter_map(|p| {
            let kind = match (p.quality, p.compliance) {
                (Some(QualityRole::Control), _) => CONTROL_NOISE,
                (_, Some(ComplianceRole::Control { kind, .. })) => kind,
                _ => return None,
            };
            Some(Control {
                actor_id: p.id.clone(),
                actor_name: p.name.clone(),
                kind: kind.to_owned(),
            })
        })
        .collect();
    let truth = GroundTruth {
        seed: cfg.seed,
        now: cfg.now,
        planted,
        controls,
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
    if cfg.clean {
        kinds.clear();
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
    let schema_plants = plan_schema_plants(cfg, &assigned, &low);
    let span = cfg.days as f64;
    let mut profiles: Vec<Profile> = names
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
                schema_plant: schema_plants[i],
                cost_plant: None,
                quality: None,
                ab: false,
                compliance: None,
                rate,
                memory_mb,
                base_duration,
                base_fail,
                timeout_secs,
                origins: [api, sched, 1.0 - api - sched],
                created_days_ago: created_days_ago.max(span + 40.0),
            }
        })
        .collect();
    plan_cost_plants(cfg, &mut profiles, &low);
    // Every family's choices are made as if all were on; a family switched off is taken back
    // here, so the others' stay as they would be.
    let families = cfg.families;
    let had_plant: Vec<bool> = profiles
        .iter()
        .map(|p| p.kind.is_some() || p.schema_plant.is_some() || p.cost_plant.is_some())
        .collect();
    for p in &mut profiles {
        if !families.fleet {
            p.kind = None;
        }
        if !families.schema {
            p.schema_plant = None;
        }
        if !families.cost {
            p.cost_plant = None;
        }
    }
    plan_quality_plants(cfg, &mut profiles, &low, &had_plant);
    plan_ab_plant(cfg, &mut profiles, &low, &had_plant);
    plan_compliance(cfg, &mut profiles, &low, &had_plant);
    profiles
}

fn build_object(
    p: &Profile,
    b: &BuildPlan,
    schemas: &BuildSchemas,
    user_id: &str,
    rng: &mut StdRng,
) -> Value {
    let input = &schemas.input;
    let secs = (b.finished - b.started).num_milliseconds() as f64 / 1000.0;
    let cu = 4.0 * secs / 3600.0;
    let readme = format!(
        "# {}\n\nScrapes {} data and stores it in a dataset.\n",
        title_of(&p.name),
        p.name.split('-').next().unwrap_or("web")
    );
    let definition = json!({
        "actorSpecification": 1,
        "name": p.name,
        "version": "0.1",
        "buildTag": "latest",
        "input": input,
        "readme": readme,
        "storages": { "dataset": schemas.dataset },
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
        // A quality plant's `since` is at most 6 days ago: no build within 7 days of it (a
        // build-caused plant adds its own build at `since`).
        _ if matches!(p.quality, Some(QualityRole::Plant { .. })) => {
            uniform(rng, QUALITY_OLD_BUILDS_DAYS, 90.0).min(p.created_days_ago - 10.0)
        }
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
    // Quality plants and controls draw from a generator of their own (nothing else does).
    let qrng = &mut StdRng::seed_from_u64(p.seed ^ QUALITY_SALT);
    let quality = p.quality.map(|role| QualitySetup::draw(cfg, p, role, qrng));
    let mut builds = plan_builds(cfg, rng, p);
    if let Some(q) = &quality {
        q.add_build(qrng, &mut builds);
    }
    // From a generator of its own: the runs below do not depend on the schemas.
    let (schemas, schema_plant) = plan_schemas(p, &builds);

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
                timeout_secs: p.timeout_secs,
                mem_max_mb: None,
                empty: false,
            });
        }
    }
    // A quality plant or control replaces the runs (drawn above all the same: the generator
    // moves on as for every Actor) with runs of its own.
    if let Some(q) = &quality {
        plans = q.runs(cfg, p, qrng);
    }
    ensure_planted_shape(rng, p, since, &mut plans, now);

    // Serialize runs straight to compact JSON text.
    let mut runs = Vec::with_capacity(plans.len());
    let mut datasets = BTreeMap::new();
    let mut buf = String::with_capacity(1400);
    let mut written = Vec::new();
    for plan in &plans {
        buf.clear();
        let (run_id, dataset_id) = write_run(rng, &mut buf, p, user_id, &builds, plan);
        if quality.is_some() {
            written.extend(Written::read(&buf));
        }
        runs.push(RawJson::from_string(buf.clone()).unwrap_or_else(|_| RawJson::from(Value::Null)));
        if let Ok(raw) = RawJson::from_string(canary_items(rng, &run_id)) {
            datasets.insert(dataset_id, raw);
        }
    }
    // A cost plant replaces the runs (written above all the same, so the builds drawn below
    // stay as they were) with runs from a generator of its own.
    let (mut memory_mb, mut timeout_secs) = (p.memory_mb, p.timeout_secs);
    let (mut success_rate, mut base_duration) = (1.0 - p.base_fail, p.base_duration);
    if let Some(q) = &quality {
        success_rate = 1.0 - q.base_fail;
    }
    let mut cost_planted = None;
    if let Some(kind) = p.cost_plant {
        let c = cost_plant(cfg, user_id, p, kind, &builds);
        (plans, runs, datasets) = (c.plans, c.runs, c.datasets);
        (memory_mb, timeout_secs) = (c.memory_mb, c.timeout_secs);
        (success_rate, base_duration) = (c.success_rate, c.base_duration);
        cost_planted = Some(c.planted);
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
    let mut actor = json!({
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
            "build": "latest", "timeoutSecs": timeout_secs, "memoryMbytes": memory_mb,
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
    let mut build_values: Vec<Value> = builds
        .iter()
        .zip(&schemas)
        .map(|(b, s)| build_object(p, b, s, user_id, rng))
        .collect();
    // Rewrites builds and the Actor object only (nothing above depends on it), from a
    // generator of its own.
    let compliance_planted = p
        .compliance
        .and_then(|role| apply_compliance(cfg, p, role, &builds, &mut actor, &mut build_values));
    // From a generator of its own: nothing above depends on it.
    let brng = &mut StdRng::seed_from_u64(p.seed ^ BEHAVIOR_SALT);
    let mut behavior = Behavior {
        success_rate,
        duration_secs: (base_duration * 1000.0).round() / 1000.0,
        // Priced per compute unit: memory experiments have a real cost trade-off.
        usd_per_run: 0.0,
        items: vec![
            json!({ "url": format!("https://www.example.com/{}/1", p.name), "title": "Item 1", "price": 19.99 }),
            json!({ "url": format!("https://www.example.com/{}/2", p.name), "title": "Item 2", "price": 5.5 }),
        ],
        duration_sigma: 0.25,
        items_per_run: Some((5, 50)),
        cpu_share: round_to(uniform(brng, 0.2, 0.8), 3),
        usd_per_compute_unit: USD_PER_CU,
        builds: BTreeMap::new(),
    };
    let ab_planted = if p.ab {
        ab_plant(p, &builds, &mut behavior)
    } else {
        None
    };
    let planted = planted_entry(p, since, spike_fail, cost_factor, &builds, now)
        .into_iter()
        .chain(schema_plant.map(|s| s.into_planted(p, &builds)))
        .chain(cost_planted)
        .chain(quality.and_then(|q| q.planted(p, &builds, &written)))
        .chain(ab_planted)
        .chain(compliance_planted);
    (
        ActorFixture {
            actor,
            builds: build_values,
            runs,
            datasets,
            behavior: Some(behavior),
        },
        planted.collect(),
    )
}

/// The items of a run's default dataset: 1 to 3 canaries naming the run.
fn canary_items(rng: &mut StdRng, run_id: &str) -> String {
    let n = rng.random_range(1..=3u32);
    let mut items = String::from("[");
    for k in 0..n {
        if k > 0 {
            items.push(',');
        }
        let _ = write!(items, r#"{{"canary":true,"runId":"{run_id}","n":{k}}}"#);
    }
    items.push(']');
    items
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
                    timeout_secs: p.timeout_secs,
                    mem_max_mb: None,
                    empty: false,
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
    let running = r.status == "RUNNING";
    // A running run has no finishedAt yet; its stats and usage are so far.
    let finished = if running {
        "null".to_owned()
    } else {
        format!("\"{}\"", iso(r.start + Duration::milliseconds(dms)))
    };
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
        "RUNNING" => ("null", "Crawled 1532 pages, 18 in progress"),
        _ => ("null", "Actor was aborted."),
    };
    let items = if r.status == "SUCCEEDED" {
        rng.random_range(5..500u32)
    } else {
        rng.random_range(0..5u32)
    };
    let items = if r.empty { 0 } else { items };
    let origin = pick_origin(rng, &p.origins);
    // Drawn in this order whatever the plan says, so healthy runs stay as they were.
    let ibl = rng.random_range(40..400u32);
    let avg_share = uniform(rng, 0.25, 0.6);
    let max_share = uniform(rng, 0.6, 0.95);
    let cpu_avg = uniform(rng, 5.0, 80.0);
    let cpu_max = uniform(rng, 80.0, 200.0);
    let rx = rng.random_range(100_000..500_000_000u64);
    let tx = rng.random_range(10_000..20_000_000u64);
    let (mem_avg, mem_max) = match r.mem_max_mb {
        None => (
            (mem_bytes as f64 * avg_share) as u64,
            (mem_bytes as f64 * max_share) as u64,
        ),
        Some(mb) => {
            let max = mb * 1_048_576.0;
            ((max * (avg_share + 0.25)) as u64, max as u64)
        }
    };
    let mem_current = if running { mem_avg } else { 0 };
    let _ = write!(
        out,
        concat!(
            r#"{{"id":"{run_id}","actId":"{act}","userId":"{user}","actorTaskId":null,"#,
            r#""startedAt":"{started}","finishedAt":{finished},"status":"{status}","#,
            r#""statusMessage":"{message}","isStatusMessageTerminal":{terminal},"#,
            r#""meta":{{"origin":"{origin}"}},"#,
            r#""stats":{{"inputBodyLen":{ibl},"migrationCount":0,"rebootCount":0,"restartCount":0,"resurrectCount":0,"#,
            r#""memAvgBytes":{mem_avg},"memMaxBytes":{mem_max},"memCurrentBytes":{mem_current},"#,
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
        finished = finished,
        status = r.status,
        message = message.replace('"', "\\\""),
        terminal = !running,
        origin = origin,
        ibl = ibl,
        mem_avg = mem_avg,
        mem_max = mem_max,
        mem_current = mem_current,
        cpu_avg = cpu_avg,
        cpu_max = cpu_max,
        rx = rx,
        tx = tx,
        dms = dms,
        secs = secs,
        cu = cu,
        timeout = r.timeout_secs,
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

// ------------------------------------------------------------------------------------------------
// Cost plants: memory far above use, a jump in daily spend, time-out waste, a stuck run.

/// Salt of the generators that draw everything cost-related (which Actors get a cost plant, and
/// their runs), so cost plants leave every other Actor exactly as it was.
const COST_SALT: u64 = 0xc057;
/// Actors that run at least this often a day (on average) get cost plants first.
const BUSY_RUNS_PER_DAY: f64 = 3.0;
const DAY_MS: i64 = 86_400_000;

/// Which Actors get a cost plant (see [`COST_KINDS`]): free ones only, busy ones first.
fn plan_cost_plants(cfg: &SynthConfig, profiles: &mut [Profile], low: &[bool]) {
    let n = profiles.len();
    if cfg.clean {
        return;
    }
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ COST_SALT);
    let free: Vec<usize> = (0..n)
        .filter(|&i| {
            let p = &profiles[i];
            p.kind.is_none() && p.schema_plant.is_none() && !low[i]
        })
        .collect();
    let (mut busy, mut quiet): (Vec<usize>, Vec<usize>) = free
        .into_iter()
        .partition(|&i| profiles[i].rate >= BUSY_RUNS_PER_DAY);
    shuffle(&mut rng, &mut busy);
    shuffle(&mut rng, &mut quiet);
    let kinds: Vec<&'static str> = if n >= 10 {
        let mut per_kind = ((n as f64 / 25.0).round() as usize).max(1);
        while per_kind > 1 && busy.len() < per_kind * COST_KINDS.len() {
            per_kind -= 1;
        }
        (0..per_kind).flat_map(|_| COST_KINDS).collect()
    } else {
        COST_KINDS.iter().copied().take(n / 4).collect()
    };
    busy.extend(quiet);
    for (&i, &kind) in busy.iter().zip(&kinds) {
        profiles[i].cost_plant = Some(kind);
    }
}

/// The runs of an Actor with a cost plant, and the plant.
struct CostPlant {
    plans: Vec<RunPlan>,
    runs: Vec<RawJson>,
    datasets: BTreeMap<String, RawJson>,
    memory_mb: u64,
    timeout_secs: u64,
    success_rate: f64,
    base_duration: f64,
    planted: Planted,
}

/// A run as written, read back from its JSON: the figures in `details` come from these.
struct Written {
    id: String,
    start: DateTime<Utc>,
    status: String,
    secs: f64,
    mem_max_mb: f64,
    usd: f64,
    /// `usage.DATASET_WRITES`.
    items: u64,
}

impl Written {
    fn read(text: &str) -> Option<Written> {
        let v: Value = serde_json::from_str(text).ok()?;
        Some(Written {
            id: v["id"].as_str()?.to_owned(),
            start: v["startedAt"].as_str()?.parse().ok()?,
            status: v["status"].as_str()?.to_owned(),
            secs: v["stats"]["runTimeSecs"].as_f64()?,
            mem_max_mb: v["stats"]["memMaxBytes"].as_f64()? / 1_048_576.0,
            usd: v["usageTotalUsd"].as_f64()?,
            items: v["usage"]["DATASET_WRITES"].as_u64()?,
        })
    }
}

/// The `ceil(q × n)`-th smallest of `sorted` (nearest rank); 0 when empty.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

fn median_of(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => 0.0,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

fn mean_of(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// Cost and count of runs per day of the history (24-hour slots ending at `now`; a run counts
/// on the day it started).
fn per_day(cfg: &SynthConfig, runs: impl Iterator<Item = (DateTime<Utc>, f64)>) -> Vec<(f64, f64)> {
    let start = cfg.now - Duration::days(cfg.days as i64);
    let mut out = vec![(0.0, 0.0); cfg.days as usize];
    for (t, usd) in runs {
        let slot = ((t - start).num_milliseconds() / DAY_MS).clamp(0, cfg.days as i64 - 1);
        if let Some(day) = out.get_mut(slot as usize) {
            day.0 += usd;
            day.1 += 1.0;
        }
    }
    out
}

/// Baseline (medians over the days before `since`) and spike (means from `since`) of daily
/// cost and runs: ((usd, runs), (usd, runs)).
fn spike_figures(days: &[(f64, f64)], spike_days: usize) -> ((f64, f64), (f64, f64)) {
    let cut = days.len().saturating_sub(spike_days);
    let (before, during) = days.split_at(cut);
    let baseline = (
        median_of(before.iter().map(|d| d.0).collect()),
        median_of(before.iter().map(|d| d.1).collect()),
    );
    let usd: Vec<f64> = during.iter().map(|d| d.0).collect();
    let runs: Vec<f64> = during.iter().map(|d| d.1).collect();
    (baseline, (mean_of(&usd), mean_of(&runs)))
}

/// What a run of `plan` costs as written (whole milliseconds).
fn plan_usd(r: &RunPlan) -> f64 {
    let secs = (r.duration * 1000.0).round() / 1000.0;
    r.memory_mb as f64 / 1024.0 * secs / 3600.0 * USD_PER_CU
}

fn ends_before(r: &RunPlan, now: DateTime<Utc>) -> bool {
    r.start + Duration::milliseconds((r.duration * 1000.0).round() as i64) < now
}

fn insert_by_start(plans: &mut Vec<RunPlan>, run: RunPlan) {
    let at = plans.partition_point(|r| r.start <= run.start);
    plans.insert(at, run);
}

/// The whole run history of an Actor with the cost plant `kind`, from a generator of its own.
fn cost_plant(
    cfg: &SynthConfig,
    user_id: &str,
    p: &Profile,
    kind: &'static str,
    builds: &[BuildPlan],
) -> CostPlant {
    let rng = &mut StdRng::seed_from_u64(p.seed ^ COST_SALT);
    let now = cfg.now;
    let history_start = now - Duration::days(cfg.days as i64);
    let window_start = now - Duration::days(COST_WINDOW_DAYS);
    let log_uniform = |rng: &mut StdRng, lo: f64, hi: f64| uniform(rng, lo.ln(), hi.ln()).exp();
    let usual_timeout = |d: f64| (((d * 10.0) / 60.0).ceil() as u64 * 60).clamp(300, 36_000);

    // The Actor's usual runs; each kind adjusts them.
    let mut fail = uniform(rng, 0.0, 0.03);
    let mut rate = p.rate.max(4.0);
    let mut memory_mb: u64 = [1024, 2048, 4096][rng.random_range(0..3usize)];
    let mut base_duration = log_uniform(rng, 60.0, 900.0);
    // Every kind below sets the timeout that fits its runs.
    let timeout_secs;
    // Memory: the runs' typical peak in MB. Spike: its start and the factor on runs a day.
    let mut mem_center: Option<f64> = None;
    let mut spike: Option<(DateTime<Utc>, i64, f64)> = None;
    let mut timeout_share = 0.0;
    match kind {
        KIND_MEMORY_OVERPROVISIONED => {
            memory_mb = [4096, 8192][rng.random_range(0..2usize)];
            rate = p.rate.max(6.0);
            // Runs long enough that the unused memory costs real money (over ~$10 a month):
            // over-provisioning that costs cents is not a problem anyone should be told about.
            base_duration = base_duration.max(uniform(rng, 400.0, 900.0));
            timeout_secs = usual_timeout(base_duration);
            // Peaks 300–720 MB: the recommendation is 1024 MB whatever the quantile method.
            mem_center = Some(uniform(rng, 380.0, 560.0));
        }
        KIND_COST_SPIKE => {
            // $5–10 a day as usual, so a spike of 6–9× is well over $20 a day more.
            rate = p.rate.max(5.0);
            let per_run = uniform(rng, 5.0, 10.0) / rate;
            let secs_at = |mb: u64| per_run / (mb as f64 / 1024.0 * USD_PER_CU) * 3600.0;
            memory_mb = [2048, 4096, 8192]
                .into_iter()
                .find(|&mb| secs_at(mb) <= 3600.0)
                .unwrap_or(8192);
            base_duration = secs_at(memory_mb);
            timeout_secs = usual_timeout(base_duration);
            let days = rng.random_range(3..=5i64).min(cfg.days as i64 - 3).max(1);
            spike = Some((now - Duration::days(days), days, uniform(rng, 6.0, 9.0)));
        }
        KIND_TIMEOUT_WASTE => {
            // A timeout of 2–3× the usual run: the big inputs never make it.
            fail = 0.0;
            memory_mb = [2048, 4096][rng.random_range(0..2usize)];
            base_duration = log_uniform(rng, 180.0, 900.0);
            timeout_secs =
                ((base_duration * uniform(rng, 2.0, 3.0) / 60.0).ceil() as u64 * 60).max(300);
            timeout_share = uniform(rng, 0.3, 0.45);
        }
        _ => {
            // Short runs and a generous timeout: a hung run burns for hours.
            base_duration = log_uniform(rng, 60.0, 600.0);
            timeout_secs = 36_000;
        }
    }
    let cap = if kind == KIND_TIMEOUT_WASTE { 0.9 } else { 1.0 } * timeout_secs as f64;
    let usual = |rng: &mut StdRng, start: DateTime<Utc>| {
        let r = rng.random::<f64>();
        let noise = (0.25 * normal(rng)).exp();
        let (status, duration) = if r < fail {
            ("FAILED", base_duration * uniform(rng, 0.05, 0.8))
        } else {
            ("SUCCEEDED", (base_duration * noise).min(cap))
        };
        // Log-normal around the center, redrawn outside 300–720 MB (no pile-up at the bounds).
        let mem_max_mb = mem_center.map(|c| {
            let mut mb = c * (0.15 * normal(rng)).exp();
            for _ in 0..50 {
                if (300.0..=720.0).contains(&mb) {
                    break;
                }
                mb = c * (0.15 * normal(rng)).exp();
            }
            mb.clamp(300.0, 720.0)
        });
        RunPlan {
            start,
            status,
            duration,
            memory_mb,
            timeout_secs,
            mem_max_mb,
            empty: false,
        }
    };
    let time_out = |rng: &mut StdRng, r: &mut RunPlan| {
        r.status = "TIMED-OUT";
        r.duration = timeout_secs as f64 + uniform(rng, 0.5, 4.0);
        r.mem_max_mb = None;
    };

    // Day by day, as for every Actor.
    let mut plans: Vec<RunPlan> = Vec::new();
    for d in 0..cfg.days {
        let day_start = history_start + Duration::days(d as i64);
        let lambda = match spike {
            Some((since, _, factor)) if day_start >= since => rate * factor,
            _ => rate,
        };
        let n = poisson(rng, lambda);
        let mut starts: Vec<i64> = (0..n).map(|_| rng.random_range(0..DAY_MS)).collect();
        starts.sort_unstable();
        for ms in starts {
            let mut run = usual(rng, day_start + Duration::milliseconds(ms));
            // Before the window a steady share times out; in it, exactly that share (below).
            if timeout_share > 0.0
                && run.start < window_start
                && rng.random::<f64>() < timeout_share
            {
                time_out(rng, &mut run);
            }
            if ends_before(&run, now) {
                plans.push(run);
            }
        }
    }
    if let Some((since, days, _)) = spike {
        // Noise must not shrink the spike below 5× (with a margin), in spend and in runs, or
        // below $20 a day more.
        for _ in 0..100_000 {
            let daily = per_day(cfg, plans.iter().map(|r| (r.start, plan_usd(r))));
            let ((base, base_runs), (peak, peak_runs)) = spike_figures(&daily, days as usize);
            if peak >= 5.5 * base && peak - base >= 22.0 && peak_runs >= 5.5 * base_runs {
                break;
            }
            let at = since + Duration::milliseconds(rng.random_range(0..days * DAY_MS));
            let run = usual(rng, at);
            if ends_before(&run, now) {
                insert_by_start(&mut plans, run);
            }
        }
    }
    if timeout_share > 0.0 {
        let window: Vec<usize> = (0..plans.len())
            .filter(|&i| plans[i].start >= window_start)
            .collect();
        let target = (timeout_share * window.len() as f64).round() as usize;
        let mut eligible: Vec<usize> = window
            .into_iter()
            .filter(|&i| plans[i].start + Duration::seconds(timeout_secs as i64 + 5) < now)
            .collect();
        shuffle(rng, &mut eligible);
        for &i in eligible.iter().take(target) {
            time_out(rng, &mut plans[i]);
        }
    }
    if kind == KIND_STUCK_RUN {
        let mut secs: Vec<f64> = plans
            .iter()
            .filter(|r| r.start >= window_start)
            .map(|r| (r.duration * 1000.0).round() / 1000.0)
            .collect();
        secs.sort_by(f64::total_cmp);
        let p99 = if secs.is_empty() {
            base_duration
        } else {
            nearest_rank(&secs, 0.99)
        };
        let running_ms = (p99 * uniform(rng, 10.0, 20.0) * 1000.0).round() as i64;
        let run = RunPlan {
            start: now - Duration::milliseconds(running_ms),
            status: "RUNNING",
            duration: running_ms as f64 / 1000.0,
            memory_mb,
            timeout_secs,
            mem_max_mb: None,
            empty: false,
        };
        insert_by_start(&mut plans, run);
    }

    // Written as every Actor's runs, then read back for the figures.
    let mut runs = Vec::with_capacity(plans.len());
    let mut datasets = BTreeMap::new();
    let mut written = Vec::with_capacity(plans.len());
    let mut buf = String::with_capacity(1400);
    for plan in &plans {
        buf.clear();
        let (run_id, dataset_id) = write_run(rng, &mut buf, p, user_id, builds, plan);
        written.extend(Written::read(&buf));
        runs.push(RawJson::from_string(buf.clone()).unwrap_or_else(|_| RawJson::from(Value::Null)));
        if let Ok(raw) = RawJson::from_string(canary_items(rng, &run_id)) {
            datasets.insert(dataset_id, raw);
        }
    }
    let window: Vec<&Written> = written.iter().filter(|w| w.start >= window_start).collect();
    let window_days = COST_WINDOW_DAYS.min(cfg.days as i64).max(1);
    let first_start = written.first().map(|w| w.start);
    let (since, details) = match kind {
        KIND_MEMORY_OVERPROVISIONED => {
            let mut peaks: Vec<f64> = window
                .iter()
                .filter(|w| w.status == "SUCCEEDED")
                .map(|w| w.mem_max_mb)
                .collect();
            peaks.sort_by(f64::total_cmp);
            let p95 = nearest_rank(&peaks, 0.95);
            let max = peaks.last().copied().unwrap_or(0.0);
            let recommended = recommended_mbytes(p95, max);
            let usd: f64 = window.iter().map(|w| w.usd).sum();
            let saving = usd * (1.0 - recommended as f64 / memory_mb as f64) * DAYS_PER_MONTH
                / window_days as f64;
            let details = json!({
                "memoryMbytes": memory_mb,
                "p95MemMaxMbytes": round_to(p95, 2),
                "maxMemMaxMbytes": round_to(max, 2),
                "recommendedMbytes": recommended,
                "usdPerMonthSaving": round_to(saving, 4),
                "successfulRuns": peaks.len(),
                "windowDays": window_days,
            });
            (first_start, details)
        }
        KIND_COST_SPIKE => {
            let (since, days, _) = spike.unwrap_or((now, 1, 1.0));
            let daily = per_day(cfg, written.iter().map(|w| (w.start, w.usd)));
            let ((base_usd, base_runs), (peak_usd, peak_runs)) =
                spike_figures(&daily, days as usize);
            let details = json!({
                "since": iso(since),
                "spikeDays": days,
                "baselineUsdPerDay": round_to(base_usd, 4),
                "baselineRunsPerDay": base_runs,
                "spikeUsdPerDay": round_to(peak_usd, 4),
                "spikeRunsPerDay": round_to(peak_runs, 2),
                "driver": "more-runs",
            });
            (Some(since), details)
        }
        KIND_TIMEOUT_WASTE => {
            let timed_out: Vec<&&Written> =
                window.iter().filter(|w| w.status == "TIMED-OUT").collect();
            let wasted: f64 = timed_out.iter().map(|w| w.usd).sum();
            let details = json!({
                "timeoutSecs": timeout_secs,
                "runsInWindow": window.len(),
                "timedOutRuns": timed_out.len(),
                "timedOutShare": round_to(timed_out.len() as f64 / window.len().max(1) as f64, 4),
                "wastedUsdLast30Days": round_to(wasted, 4),
                "windowDays": window_days,
            });
            (first_start, details)
        }
        _ => {
            let stuck = written.iter().find(|w| w.status == "RUNNING");
            let mut secs: Vec<f64> = window
                .iter()
                .filter(|w| w.status != "RUNNING")
                .map(|w| w.secs)
                .collect();
            secs.sort_by(f64::total_cmp);
            let details = json!({
                "runId": stuck.map(|w| w.id.clone()),
                "startedAt": stuck.map(|w| iso(w.start)),
                "runningForSecs": stuck.map(|w| w.secs),
                "p99DurationSecs": round_to(nearest_rank(&secs, 0.99), 3),
                "usdSoFar": stuck.map(|w| w.usd),
                "memoryMbytes": memory_mb,
                "timeoutSecs": timeout_secs,
            });
            (stuck.map(|w| w.start), details)
        }
    };
    CostPlant {
        plans,
        runs,
        datasets,
        memory_mb,
        timeout_secs,
        success_rate: 1.0 - fail - timeout_share,
        base_duration,
        planted: Planted {
            actor_id: p.id.clone(),
            actor_name: p.name.clone(),
            kind: kind.to_owned(),
            since,
            details,
        },
    }
}

/// The memory to allocate for runs that peak at `p95` (and at most `max`) MB: the power of two
/// at or above `max(1.2 × p95, 1.05 × max)`, within 128..=32768 MB.
fn recommended_mbytes(p95: f64, max: f64) -> u64 {
    let need = (1.2 * p95).max(1.05 * max).ceil().max(1.0) as u64;
    need.next_power_of_two().clamp(128, 32_768)
}

// ------------------------------------------------------------------------------------------------
// Quality plants: failure, duration and empty-run regressions from a moment `since`, on a new
// build or not; and pure-noise controls.

/// Salt of the generators that draw everything quality-related (which Actors get a quality plant
/// or are a control, and their runs), so quality plants leave every other Actor exactly as it was.
const QUALITY_SALT: u64 = 0x9a11_7e57;
/// Quality plants and controls run at least this often a day (on average).
const QUALITY_MIN_RUNS_PER_DAY: f64 = 8.0;
/// A quality plant's own builds are all at least this many days old (its `since` is at most 6
/// days ago, and no build may finish within [`QUALITY_BUILD_GUARD_DAYS`] of it).
const QUALITY_OLD_BUILDS_DAYS: f64 = 14.0;

/// What the quality family does with an Actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QualityRole {
    /// One of [`QUALITY_KINDS`]; `by_build`: caused by a new build (else by drift).
    Plant { kind: &'static str, by_build: bool },
    /// A pure-noise control ([`CONTROL_NOISE`]).
    Control,
}

/// Which Actors get a quality plant or are a control (see [`QUALITY_KINDS`]): Actors with no
/// other plant and not low-traffic; first those no family would plant, then those only a family
/// switched off would have.
fn plan_quality_plants(
    cfg: &SynthConfig,
    profiles: &mut [Profile],
    low: &[bool],
    had_plant: &[bool],
) {
    if cfg.clean || !cfg.families.quality {
        return;
    }
    let free: Vec<bool> = profiles
        .iter()
        .zip(low)
        .map(|(p, low)| {
            !low && p.kind.is_none() && p.schema_plant.is_none() && p.cost_plant.is_none()
        })
        .collect();
    for (i, role) in quality_roles(cfg, &free, had_plant) {
        profiles[i].quality = Some(role);
    }
}

/// The quality roles of [`plan_quality_plants`], given which Actors are free for them.
fn quality_roles(
    cfg: &SynthConfig,
    free: &[bool],
    had_plant: &[bool],
) -> Vec<(usize, QualityRole)> {
    let n = free.len();
    let count = cfg.quality_plants.unwrap_or(if n >= 10 {
        ((n as f64 / 25.0).round() as usize).max(1)
    } else {
        0
    });
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ QUALITY_SALT);
    let mut pool: Vec<usize> = (0..n).filter(|&i| free[i] && !had_plant[i]).collect();
    let mut spare: Vec<usize> = (0..n).filter(|&i| free[i] && had_plant[i]).collect();
    shuffle(&mut rng, &mut pool);
    shuffle(&mut rng, &mut spare);
    pool.extend(spare);
    let plants = count.min(pool.len());
    let mut roles = Vec::with_capacity(plants + count);
    for (j, &i) in pool.iter().take(plants).enumerate() {
        roles.push((
            i,
            QualityRole::Plant {
                kind: QUALITY_KINDS[j % QUALITY_KINDS.len()],
                by_build: j % 2 == 0,
            },
        ));
    }
    for &i in pool.iter().skip(plants).take(count) {
        roles.push((i, QualityRole::Control));
    }
    roles
}

// ------------------------------------------------------------------------------------------------
// The A/B difference and the simulated behavior of every Actor.

/// Salt of the generator that picks the [`KIND_AB_DIFFERENCE`] Actor.
const AB_SALT: u64 = 0x0ab0_d1ff;
/// Salt of each Actor's generator of its `behavior` draws (nothing else uses it, so the
/// behavior leaves every other draw as it was).
const BEHAVIOR_SALT: u64 = 0xbe4a_7105;

/// Picks the [`KIND_AB_DIFFERENCE`] Actor, not a low-traffic one: among the Actors no family
/// plants anything on, even with every family on (so switching a family off keeps the choice);
/// if there is none, among those only a family switched off would have planted. Their builds
/// always include at least two SUCCEEDED ones, the newest among them.
fn plan_ab_plant(cfg: &SynthConfig, profiles: &mut [Profile], low: &[bool], had_plant: &[bool]) {
    if cfg.clean || !cfg.families.ab {
        return;
    }
    let n = profiles.len();
    let free_all_on: Vec<bool> = (0..n).map(|i| !low[i] && !had_plant[i]).collect();
    let mut quality_all_on = vec![false; n];
    for (i, _) in quality_roles(cfg, &free_all_on, had_plant) {
        quality_all_on[i] = true;
    }
    let first: Vec<usize> = (0..n)
        .filter(|&i| free_all_on[i] && !quality_all_on[i])
        .collect();
    let pool = if first.is_empty() {
        (0..n)
            .filter(|&i| {
                let p = &profiles[i];
                !low[i]
                    && p.kind.is_none()
                    && p.schema_plant.is_none()
                    && p.cost_plant.is_none()
                    && p.quality.is_none()
            })
            .collect()
    } else {
        first
    };
    if pool.is_empty() {
        return;
    }
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ AB_SALT);
    let i = pool[rng.random_range(0..pool.len())];
    profiles[i].ab = true;
}

/// The ab-difference overrides of the newest build and the ground truth (None when the builds
/// do not allow it: fewer than two SUCCEEDED builds, or a newest build that failed).
fn ab_plant(p: &Profile, builds: &[BuildPlan], behavior: &mut Behavior) -> Option<Planted> {
    let newest = builds.last().filter(|b| b.succeeded)?;
    let previous = builds[..builds.len() - 1]
        .iter()
        .rev()
        .find(|b| b.succeeded)?;
    let rate_a = behavior.success_rate;
    let rate_b = round_to((rate_a - AB_SUCCESS_RATE_DROP).max(0.0), 6);
    behavior.builds.insert(
        newest.number.clone(),
        BuildBehavior {
            success_rate: Some(rate_b),
            duration_factor: Some(AB_DURATION_FACTOR),
            items_factor: None,
        },
    );
    Some(Planted {
        actor_id: p.id.clone(),
        actor_name: p.name.clone(),
        kind: KIND_AB_DIFFERENCE.to_owned(),
        since: Some(newest.finished),
        details: json!({
            "buildA": previous.number, "buildB": newest.number,
            "buildIdA": previous.id, "buildIdB": newest.id,
            "successRateA": rate_a, "successRateB": rate_b,
            "durationFactor": AB_DURATION_FACTOR,
        }),
    })
}

/// A quality plant's or control's parameters, drawn from its own generator.
struct QualitySetup {
    role: QualityRole,
    /// When the regression starts (plants only).
    since: DateTime<Utc>,
    rate: f64,
    /// The failure rate before `since` (and throughout, but for a failure regression).
    base_fail: f64,
    /// A failure regression's failure rate from `since`.
    failure_rate: f64,
    /// A duration regression's factor on SUCCEEDED runs from `since` (else 1).
    factor: f64,
    /// An empty-runs plant's share of empty SUCCEEDED runs from `since` (else 0).
    empty_share: f64,
    /// σ of the log-normal noise on SUCCEEDED runs' duration.
    sigma: f64,
    /// Days of the history (0 the oldest) with 3× the runs (controls only).
    burst_days: Vec<u32>,
}

impl QualitySetup {
    fn draw(cfg: &SynthConfig, p: &Profile, role: QualityRole, rng: &mut StdRng) -> QualitySetup {
        let since_days_ago = uniform(rng, 3.0, 6.0).min(cfg.days as f64 * 0.5);
        let mut q = QualitySetup {
            role,
            since: cfg.now - days(since_days_ago),
            rate: p.rate.max(QUALITY_MIN_RUNS_PER_DAY),
            base_fail: p.base_fail,
            failure_rate: p.base_fail,
            factor: 1.0,
            empty_share: 0.0,
            sigma: 0.25,
            burst_days: Vec::new(),
        };
        match role {
            QualityRole::Plant {
                kind: KIND_FAILURE_REGRESSION,
                ..
            } => {
                q.base_fail = uniform(rng, 0.0, 0.05);
                q.failure_rate = q.base_fail + uniform(rng, 0.15, 0.35);
            }
            QualityRole::Plant {
                kind: KIND_DURATION_REGRESSION,
                ..
            } => q.factor = uniform(rng, 1.4, 2.0),
            QualityRole::Plant { .. } => q.empty_share = uniform(rng, 0.3, 0.6),
            QualityRole::Control => {
                q.base_fail = uniform(rng, 0.08, 0.2);
                q.sigma = 0.6;
                // One bursty day in the last week, one anywhere in the history.
                let d = cfg.days.max(1);
                q.burst_days = vec![
                    d - 1 - rng.random_range(0..d.min(7)),
                    rng.random_range(0..d),
                ];
            }
        }
        q
    }

    /// A build-caused plant's new build: the next number, SUCCEEDED, finished exactly at
    /// `since` (every older build is at least [`QUALITY_OLD_BUILDS_DAYS`] old).
    fn add_build(&self, rng: &mut StdRng, builds: &mut Vec<BuildPlan>) {
        if let QualityRole::Plant { by_build: true, .. } = self.role {
            let secs = uniform(rng, 40.0, 400.0);
            builds.push(BuildPlan {
                id: new_id(rng),
                number: format!("0.1.{}", builds.len() + 1),
                started: self.since - Duration::milliseconds((secs * 1000.0) as i64),
                finished: self.since,
                succeeded: true,
            });
        }
    }

    /// The whole run history: day by day as for every Actor, with the regression from `since`.
    fn runs(&self, cfg: &SynthConfig, p: &Profile, rng: &mut StdRng) -> Vec<RunPlan> {
        let now = cfg.now;
        let history_start = now - Duration::days(cfg.days as i64);
        let plant = match self.role {
            QualityRole::Plant { kind, .. } => Some(kind),
            QualityRole::Control => None,
        };
        let since = self.since;
        let timeout = p.timeout_secs as f64;
        let make = |rng: &mut StdRng, start: DateTime<Utc>| {
            let fail = self.base_fail;
            let r = rng.random::<f64>();
            let status = if r < fail {
                "FAILED"
            } else if r < fail + 0.005 {
                "TIMED-OUT"
            } else if r < fail + 0.01 {
                "ABORTED"
            } else {
                "SUCCEEDED"
            };
            let noise = (self.sigma * normal(rng)).exp();
            let factor = if plant.is_some() && start >= since {
                self.factor
            } else {
                1.0
            };
            let duration = match status {
                "SUCCEEDED" => p.base_duration * noise * factor,
                "FAILED" => p.base_duration * uniform(rng, 0.05, 0.8),
                "TIMED-OUT" => timeout,
                _ => p.base_duration * uniform(rng, 0.1, 1.0),
            };
            RunPlan {
                start,
                status,
                duration: duration.min(timeout),
                memory_mb: p.memory_mb,
                timeout_secs: p.timeout_secs,
                mem_max_mb: None,
                empty: false,
            }
        };
        let mut plans: Vec<RunPlan> = Vec::new();
        for d in 0..cfg.days {
            let day_start = history_start + Duration::days(d as i64);
            let burst = if self.burst_days.contains(&d) {
                3.0
            } else {
                1.0
            };
            let n = poisson(rng, self.rate * burst);
            let mut starts: Vec<i64> = (0..n).map(|_| rng.random_range(0..DAY_MS)).collect();
            starts.sort_unstable();
            for ms in starts {
                let run = make(rng, day_start + Duration::milliseconds(ms));
                if ends_before(&run, now) {
                    plans.push(run);
                }
            }
        }
        let Some(kind) = plant else {
            return plans;
        };
        let terminal = |r: &RunPlan| matches!(r.status, "SUCCEEDED" | "FAILED" | "TIMED-OUT");
        // Enough runs after the change for it to be detectable at all.
        let span_ms = (now - since).num_milliseconds().max(1);
        for _ in 0..10_000 {
            let after = plans
                .iter()
                .filter(|r| r.start >= since && terminal(r))
                .count();
            if after >= QUALITY_MIN_RUNS_AFTER {
                break;
            }
            let at = since + Duration::milliseconds(rng.random_range(0..span_ms));
            let run = make(rng, at);
            if ends_before(&run, now) {
                insert_by_start(&mut plans, run);
            }
        }
        let after: Vec<usize> = (0..plans.len())
            .filter(|&i| plans[i].start >= since && terminal(&plans[i]))
            .collect();
        let mut succeeded: Vec<usize> = after
            .iter()
            .copied()
            .filter(|&i| plans[i].status == "SUCCEEDED")
            .collect();
        shuffle(rng, &mut succeeded);
        match kind {
            // Exactly the planted share fails from `since`.
            KIND_FAILURE_REGRESSION => {
                let target = (self.failure_rate * after.len() as f64).round() as usize;
                let failed = after.len() - succeeded.len();
                for &i in succeeded.iter().take(target.saturating_sub(failed)) {
                    plans[i].status = "FAILED";
                    plans[i].duration = p.base_duration * uniform(rng, 0.05, 0.8);
                }
            }
            // Exactly the planted share of the successful runs writes nothing.
            KIND_EMPTY_RUNS => {
                let target = (self.empty_share * succeeded.len() as f64).round() as usize;
                for &i in succeeded.iter().take(target) {
                    plans[i].empty = true;
                }
            }
            _ => {}
        }
        plans
    }

    /// The plant, with figures from the runs as written (None for a control).
    fn planted(self, p: &Profile, builds: &[BuildPlan], written: &[Written]) -> Option<Planted> {
        let QualityRole::Plant { kind, by_build } = self.role else {
            return None;
        };
        let since = self.since;
        let terminal =
            |w: &&&Written| matches!(w.status.as_str(), "SUCCEEDED" | "FAILED" | "TIMED-OUT");
        let (after, before): (Vec<&Written>, Vec<&Written>) = written
            .iter()
            .filter(|w| w.status != "RUNNING")
            .partition(|w| w.start >= since);
        let failure_rate = |runs: &[&Written]| {
            let done: Vec<&&Written> = runs.iter().filter(terminal).collect();
            let failed = done.iter().filter(|w| w.status != "SUCCEEDED").count();
            round_to(failed as f64 / done.len().max(1) as f64, 4)
        };
        let successful = |runs: &[&Written]| -> Vec<f64> {
            runs.iter()
                .filter(|w| w.status == "SUCCEEDED")
                .map(|w| w.secs)
                .collect()
        };
        let mut details = Map::new();
        details.insert(
            "cause".into(),
            json!(if by_build { "build" } else { "drift" }),
        );
        if let (true, Some(b)) = (by_build, builds.last()) {
            details.insert("buildNumber".into(), json!(b.number));
            details.insert("buildId".into(), json!(b.id));
        }
        match kind {
            KIND_FAILURE_REGRESSION => {
                details.insert("baselineFailureRate".into(), json!(failure_rate(&before)));
                details.insert("failureRate".into(), json!(failure_rate(&after)));
            }
            KIND_DURATION_REGRESSION => {
                details.insert("factor".into(), json!(round_to(self.factor, 3)));
                details.insert(
                    "baselineMedianSecs".into(),
                    json!(round_to(median_of(successful(&before)), 3)),
                );
                details.insert(
                    "medianSecs".into(),
                    json!(round_to(median_of(successful(&after)), 3)),
                );
            }
            _ => {
                let ok: Vec<&&Written> = after.iter().filter(|w| w.status == "SUCCEEDED").collect();
                let empty = ok.iter().filter(|w| w.items == 0).count();
                details.insert(
                    "emptyShare".into(),
                    json!(round_to(empty as f64 / ok.len().max(1) as f64, 4)),
                );
                details.insert("emptyRuns".into(), json!(empty));
                details.insert("successfulRunsAfter".into(), json!(ok.len()));
            }
        }
        details.insert("runsAfter".into(), json!(after.len()));
        Some(Planted {
            actor_id: p.id.clone(),
            actor_name: p.name.clone(),
            kind: kind.to_owned(),
            since: Some(since),
            details: Value::Object(details),
        })
    }
}

// ------------------------------------------------------------------------------------------------
// Schemas: every build's input and dataset schema, evolving across builds, and schema plants.

/// Salt of the generators that draw everything schema-related (which Actors get a schema plant,
/// and each Actor's schema history), so schemas leave a seed's runs exactly as they were.
const SCHEMA_SALT: u64 = 0x005c_4e3a;
/// Variants of each schema kind: input 5, cosmetic 3, dataset 2, lint 4; their least common
/// multiple, so the fleet's variant offset is uniform for all of them.
const SCHEMA_VARIANT_CYCLE: usize = 60;

/// The input and dataset schema of one build.
struct BuildSchemas {
    input: Value,
    dataset: Value,
}

/// A planted schema problem: the change from build `from` to build `to` (indices).
struct SchemaPlant {
    kind: &'static str,
    from: usize,
    to: usize,
    change: SchemaChange,
}

/// What a plant changed, for `details`.
struct SchemaChange {
    schema: &'static str,
    change: &'static str,
    path: String,
    /// Further keys of `details` (`key`, `before`, `after`, `value`, `view`, `changes`).
    extra: Map<String, Value>,
}

impl SchemaChange {
    fn new(schema: &'static str, change: &'static str, path: &str) -> SchemaChange {
        SchemaChange {
            schema,
            change,
            path: path.to_owned(),
            extra: Map::new(),
        }
    }

    fn with(mut self, key: &str, value: Value) -> SchemaChange {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// `key` of the property changed from `before` to `after`.
    fn keyed(self, key: &str, before: Option<Value>, after: Option<Value>) -> SchemaChange {
        self.with("key", json!(key))
            .with("before", before.unwrap_or(Value::Null))
            .with("after", after.unwrap_or(Value::Null))
    }

    /// The whole property (or field) changed from `before` to `after`.
    fn whole(self, before: Option<Value>, after: Option<Value>) -> SchemaChange {
        self.with("before", before.unwrap_or(Value::Null))
            .with("after", after.unwrap_or(Value::Null))
    }
}

impl SchemaPlant {
    fn into_planted(self, p: &Profile, builds: &[BuildPlan]) -> Planted {
        let (from, to) = (&builds[self.from], &builds[self.to]);
        let mut details = Map::new();
        details.insert("schema".into(), json!(self.change.schema));
        details.insert("fromBuild".into(), json!(from.number));
        details.insert("toBuild".into(), json!(to.number));
        details.insert("fromBuildId".into(), json!(from.id));
        details.insert("toBuildId".into(), json!(to.id));
        details.insert("change".into(), json!(self.change.change));
        details.insert("path".into(), json!(self.change.path));
        details.extend(self.change.extra);
        Planted {
            actor_id: p.id.clone(),
            actor_name: p.name.clone(),
            kind: self.kind.to_owned(),
            since: Some(to.started),
            details: Value::Object(details),
        }
    }
}

/// Which Actors get a schema plant: about 5% per kind from 10 Actors (at least one each), a kind
/// at a time below that; only on Actors without a run or build plant, busy ones first.
fn plan_schema_plants(
    cfg: &SynthConfig,
    assigned: &[Option<&'static str>],
    low: &[bool],
) -> Vec<Option<(&'static str, usize)>> {
    let n = assigned.len();
    if cfg.clean {
        return vec![None; n];
    }
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ SCHEMA_SALT);
    let kinds: Vec<(&'static str, usize)> = if n >= 10 {
        let per_kind = ((n as f64 * 0.05).round() as usize).max(1);
        SCHEMA_KINDS
            .iter()
            .flat_map(|k| (0..per_kind).map(move |v| (*k, v)))
            .collect()
    } else {
        SCHEMA_KINDS.iter().take(n / 4).map(|k| (*k, 0)).collect()
    };
    let offset = rng.random_range(0..SCHEMA_VARIANT_CYCLE);
    let mut busy: Vec<usize> = (0..n)
        .filter(|&i| assigned[i].is_none() && !low[i])
        .collect();
    let mut quiet: Vec<usize> = (0..n)
        .filter(|&i| assigned[i].is_none() && low[i])
        .collect();
    shuffle(&mut rng, &mut busy);
    shuffle(&mut rng, &mut quiet);
    busy.extend(quiet);
    let mut out = vec![None; n];
    for (&i, &(kind, variant)) in busy.iter().zip(&kinds) {
        out[i] = Some((kind, variant + offset));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Product and listing pages: `startUrls`, `maxItems`, `sort`, `maxPrice`.
    Web,
    /// Search results: `searchQueries`, `maxResultsPerQuery`, `country`, `maxAge`.
    Search,
    /// Profiles, reviews and comments: `usernames`, `maxResults`, `minRating`.
    Social,
}

fn shape_of(name: &str) -> Shape {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
    let ends = |jobs: &[&str]| jobs.iter().any(|j| base.ends_with(j));
    if ends(&["search-scraper", "leads", "jobs-scraper"]) {
        Shape::Search
    } else if ends(&["reviews-scraper", "profile-scraper", "comments-scraper"]) {
        Shape::Social
    } else {
        Shape::Web
    }
}

fn site_of(name: &str) -> &'static str {
    SITES
        .iter()
        .copied()
        .find(|s| name.strip_prefix(s).is_some_and(|r| r.starts_with('-')))
        .unwrap_or("example")
}

/// Alternative wordings `(property, key, a, b)`: rewording switches between the two.
const REWORDS: &[(&str, &str, &str, &str)] = &[
    (
        "startUrls",
        "description",
        "Category or product pages to start from.",
        "URLs of the category, search or product pages the scraper starts from.",
    ),
    ("startUrls", "title", "Start URLs", "Start pages"),
    (
        "searchQueries",
        "description",
        "What to search for, one query per line.",
        "Search terms, one per line; each is searched separately.",
    ),
    (
        "usernames",
        "description",
        "Usernames or profile URLs to scrape.",
        "Profiles to scrape, as usernames or full profile URLs.",
    ),
    (
        "maxItems",
        "description",
        "Stop after this many results.",
        "The run stops once this many items are saved.",
    ),
    ("maxItems", "title", "Maximum items", "Max items"),
    (
        "maxResultsPerQuery",
        "description",
        "How many results to save for each query.",
        "Upper limit of saved results per search query.",
    ),
    (
        "maxResults",
        "description",
        "How many posts or reviews to save per profile; 0 means all.",
        "Limit of saved posts or reviews per profile (0 for no limit).",
    ),
    (
        "sort",
        "description",
        "Order in which results are collected.",
        "How the site sorts the results before they are scraped.",
    ),
    (
        "country",
        "description",
        "Country whose version of the site is searched.",
        "The site's country version to search in.",
    ),
    (
        "language",
        "description",
        "Two-letter code of the language of the results.",
        "Language of the results, as an ISO 639-1 code such as \"en\".",
    ),
    (
        "maxPrice",
        "description",
        "Skip products above this price: a number, or a string such as \"49.99\".",
        "Products that cost more are skipped; a number or a string like \"49.99\".",
    ),
    (
        "maxAge",
        "description",
        "Only results newer than this: a number of days, or a date such as \"2026-01-31\".",
        "Skip older results; give days as a number or a date like \"2026-01-31\".",
    ),
    (
        "minRating",
        "description",
        "Skip reviews rated below this, from 1 to 5.",
        "Only reviews with at least this rating (1 to 5) are saved.",
    ),
    (
        "includeReplies",
        "description",
        "Also save replies to each post or review.",
        "Save the replies too, as separate items.",
    ),
    (
        "proxyConfiguration",
        "sectionCaption",
        "Proxy and browser",
        "Proxy settings",
    ),
    (
        "proxyConfiguration",
        "description",
        "Proxies to use for the requests.",
        "Select proxies to use; Apify Proxy is recommended to avoid blocking.",
    ),
    (
        "apiKey",
        "description",
        "Optional key for the site's official API: faster and cheaper runs.",
        "Key of the site's official API, if you have one; it makes runs faster.",
    ),
    (
        "maxConcurrency",
        "description",
        "How many pages to process in parallel.",
        "Upper limit of pages processed at the same time.",
    ),
    (
        "debugLog",
        "sectionCaption",
        "Developer options",
        "Debugging",
    ),
];

/// Dataset view descriptions: rewording switches between them.
const VIEW_DESCRIPTIONS: [&str; 2] = [
    "The most important fields of each result.",
    "A compact table of the scraped results.",
];

/// A dataset field: its JSON type, and how the `overview` view shows it (if it does).
struct FieldSpec {
    name: &'static str,
    ty: &'static str,
    label: &'static str,
    format: &'static str,
    in_view: bool,
}

const fn field(
    name: &'static str,
    ty: &'static str,
    label: &'static str,
    format: &'static str,
    in_view: bool,
) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        label,
        format,
        in_view,
    }
}

const WEB_FIELDS: [FieldSpec; 7] = [
    field("url", "string", "URL", "link", true),
    field("title", "string", "Title", "text", true),
    field("price", "number", "Price", "number", true),
    field("currency", "string", "Currency", "text", true),
    field("inStock", "boolean", "In stock", "boolean", true),
    field("imageUrl", "string", "Image", "image", true),
    field("scrapedAt", "string", "Scraped at", "date", false),
];
const WEB_SPARE_FIELDS: [FieldSpec; 3] = [
    field("brand", "string", "Brand", "text", true),
    field("rating", "number", "Rating", "number", true),
    field("reviewsCount", "integer", "Reviews", "number", true),
];
const SEARCH_FIELDS: [FieldSpec; 6] = [
    field("url", "string", "URL", "link", true),
    field("query", "string", "Query", "text", true),
    field("position", "integer", "Position", "number", true),
    field("title", "string", "Title", "text", true),
    field("snippet", "string", "Snippet", "text", false),
    field("date", "string", "Date", "date", false),
];
const SEARCH_SPARE_FIELDS: [FieldSpec; 3] = [
    field("domain", "string", "Domain", "text", true),
    field("isAd", "boolean", "Ad", "boolean", true),
    field(
        "resultsTotal",
        "integer",
        "Results in total",
        "number",
        true,
    ),
];
const SOCIAL_FIELDS: [FieldSpec; 6] = [
    field("url", "string", "URL", "link", false),
    field("author", "string", "Author", "text", true),
    field("rating", "number", "Rating", "number", true),
    field("date", "string", "Date", "date", true),
    field("text", "string", "Text", "text", true),
    field("likes", "integer", "Likes", "number", true),
];
const SOCIAL_SPARE_FIELDS: [FieldSpec; 3] = [
    field("replyCount", "integer", "Replies", "number", true),
    field("isVerified", "boolean", "Verified", "boolean", true),
    field("mediaUrl", "string", "Media", "image", true),
];

fn field_schema(f: &FieldSpec) -> Value {
    let mut v = json!({ "type": f.ty, "description": f.label });
    match f.format {
        "link" | "image" => v["format"] = json!("uri"),
        "date" => v["format"] = json!("date-time"),
        _ => {}
    }
    v
}

fn display_of(f: &FieldSpec) -> Value {
    json!({ "label": f.label, "format": f.format })
}

fn dataset_schema(title: &str, fields: &[FieldSpec]) -> Value {
    let props: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_owned(), field_schema(f)))
        .collect();
    let shown: Vec<&FieldSpec> = fields.iter().filter(|f| f.in_view).collect();
    let display: Map<String, Value> = shown
        .iter()
        .map(|f| (f.name.to_owned(), display_of(f)))
        .collect();
    json!({
        "actorSpecification": 1,
        "title": format!("{title} results"),
        "description": "One item per scraped result.",
        "fields": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": props,
            "required": shown.iter().map(|f| f.name).collect::<Vec<_>>()
        },
        "views": { "overview": {
            "title": "Overview",
            "description": VIEW_DESCRIPTIONS[0],
            "transformation": { "fields": shown.iter().map(|f| f.name).collect::<Vec<_>>() },
            "display": { "component": "table", "properties": display }
        } }
    })
}

fn sort_property(values: &[&str], titles: &[&str]) -> Value {
    json!({
        "title": "Sort by", "type": "string", "editor": "select",
        "description": "Order in which results are collected.",
        "enum": values, "enumTitles": titles, "default": values[0]
    })
}

fn input_schema(shape: Shape, title: &str, site: &str) -> Value {
    let language = json!({
        "title": "Language", "type": "string", "editor": "textfield", "default": "en",
        "description": "Two-letter code of the language of the results."
    });
    let proxy = json!({
        "title": "Proxy configuration", "type": "object", "editor": "proxy",
        "sectionCaption": "Proxy and browser",
        "description": "Proxies to use for the requests.",
        "prefill": { "useApifyProxy": true }
    });
    let api_key = json!({
        "title": "API key", "type": "string", "editor": "textfield", "isSecret": true,
        "description": "Optional key for the site's official API: faster and cheaper runs."
    });
    let (description, props, required) = match shape {
        Shape::Web => (
            format!("Scrapes {site} product and listing pages, one dataset item per product."),
            json!({
                "startUrls": {
                    "title": "Start URLs", "type": "array", "editor": "requestListSources",
                    "description": "Category or product pages to start from.",
                    "prefill": [{ "url": format!("https://www.{}.com/", site.replace('-', "")) }]
                },
                "maxItems": {
                    "title": "Maximum items", "type": "integer", "editor": "number",
                    "description": "Stop after this many results.",
                    "minimum": 1, "default": 100, "unit": "items"
                },
                "sort": sort_property(
                    &["relevance", "newest", "price-asc", "price-desc"],
                    &["Relevance", "Newest first", "Price: low to high", "Price: high to low"],
                ),
                "language": language,
                "maxPrice": {
                    "title": "Maximum price", "type": ["integer", "string"], "editor": "json",
                    "description": "Skip products above this price: a number, or a string such as \"49.99\"."
                },
                "proxyConfiguration": proxy,
                "apiKey": api_key
            }),
            "startUrls",
        ),
        Shape::Search => (
            format!("Searches {site} and saves every result as a dataset item."),
            json!({
                "searchQueries": {
                    "title": "Search queries", "type": "array", "editor": "stringList",
                    "description": "What to search for, one query per line.",
                    "prefill": ["coffee shops in Berlin"]
                },
                "maxResultsPerQuery": {
                    "title": "Results per query", "type": "integer", "editor": "number",
                    "description": "How many results to save for each query.",
                    "minimum": 1, "maximum": 1000, "default": 50
                },
                "country": {
                    "title": "Country", "type": "string", "editor": "select",
                    "description": "Country whose version of the site is searched.",
                    "enum": ["us", "gb", "de", "fr", "es"],
                    "enumTitles": ["United States", "United Kingdom", "Germany", "France", "Spain"],
                    "default": "us"
                },
                "sort": sort_property(&["relevance", "date"], &["Relevance", "Date"]),
                "language": language,
                "maxAge": {
                    "title": "Maximum age", "type": ["integer", "string"], "editor": "json",
                    "description": "Only results newer than this: a number of days, or a date such as \"2026-01-31\"."
                },
                "proxyConfiguration": proxy,
                "apiKey": api_key
            }),
            "searchQueries",
        ),
        Shape::Social => (
            format!("Scrapes {site} profiles with their posts, reviews and comments."),
            json!({
                "usernames": {
                    "title": "Profiles", "type": "array", "editor": "stringList",
                    "description": "Usernames or profile URLs to scrape.",
                    "prefill": ["apify"]
                },
                "maxResults": {
                    "title": "Maximum results", "type": "integer", "editor": "number",
                    "description": "How many posts or reviews to save per profile; 0 means all.",
                    "minimum": 0, "default": 20
                },
                "sort": sort_property(
                    &["newest", "most-relevant", "highest-rating", "lowest-rating"],
                    &["Newest", "Most relevant", "Highest rating", "Lowest rating"],
                ),
                "minRating": {
                    "title": "Minimum rating", "type": "string", "editor": "textfield",
                    "description": "Skip reviews rated below this, from 1 to 5.", "default": "1"
                },
                "includeReplies": {
                    "title": "Include replies", "type": "boolean", "editor": "checkbox",
                    "description": "Also save replies to each post or review.", "default": false
                },
                "language": language,
                "proxyConfiguration": proxy,
                "apiKey": api_key
            }),
            "usernames",
        ),
    };
    json!({
        "title": format!("{title} input"),
        "type": "object",
        "schemaVersion": 1,
        "description": description,
        "properties": props,
        "required": [required]
    })
}

/// Optional properties a later build may add: adding any of them is backwards compatible.
fn spare_properties() -> Vec<(&'static str, Value)> {
    vec![
        (
            "maxConcurrency",
            json!({
                "title": "Max concurrency", "type": "integer", "editor": "number",
                "description": "How many pages to process in parallel.",
                "minimum": 1, "maximum": 100, "default": 10
            }),
        ),
        (
            "maxRequestRetries",
            json!({
                "title": "Max request retries", "type": "integer", "editor": "number",
                "description": "How many times a failed request is retried.",
                "minimum": 0, "maximum": 10, "default": 3
            }),
        ),
        (
            "requestTimeoutSecs",
            json!({
                "title": "Request timeout", "type": "integer", "editor": "number",
                "description": "Give up on a page after this long.",
                "minimum": 10, "maximum": 600, "default": 60, "unit": "seconds"
            }),
        ),
        (
            "outputFormat",
            json!({
                "title": "Output format", "type": "string", "editor": "select",
                "description": "Save every field, or only the most important ones.",
                "enum": ["full", "compact"], "enumTitles": ["Full", "Compact"], "default": "full"
            }),
        ),
        (
            "downloadImages",
            json!({
                "title": "Download images", "type": "boolean", "editor": "checkbox",
                "description": "Also store the images in the key-value store.", "default": false
            }),
        ),
        (
            "userAgent",
            json!({
                "title": "User agent", "type": "string", "editor": "textfield",
                "description": "A custom User-Agent header; leave empty for a realistic browser one."
            }),
        ),
        (
            "debugLog",
            json!({
                "title": "Debug log", "type": "boolean", "editor": "checkbox",
                "sectionCaption": "Developer options",
                "description": "Log every request, for debugging.", "default": false
            }),
        ),
    ]
}

/// Required properties a breaking build may add (without a default).
fn required_candidates() -> [(&'static str, Value); 2] {
    [
        (
            "category",
            json!({
                "title": "Category", "type": "string", "editor": "textfield",
                "description": "Only results from this category, such as \"electronics\"."
            }),
        ),
        (
            "location",
            json!({
                "title": "Location", "type": "string", "editor": "textfield",
                "description": "City or region to search in."
            }),
        ),
    ]
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        Some(items[rng.random_range(0..items.len())])
    }
}

/// The schemas an Actor's source has at one point of its history.
struct SchemaState {
    input: Value,
    dataset: Value,
    /// Optional input properties a later build may add, in the order it would.
    spare_props: Vec<(&'static str, Value)>,
    /// Dataset fields a later build may add.
    spare_fields: Vec<&'static FieldSpec>,
}

impl SchemaState {
    fn new(name: &str, rng: &mut StdRng) -> SchemaState {
        let shape = shape_of(name);
        let title = title_of(name);
        let (fields, spare): (&'static [FieldSpec], &'static [FieldSpec]) = match shape {
            Shape::Web => (&WEB_FIELDS, &WEB_SPARE_FIELDS),
            Shape::Search => (&SEARCH_FIELDS, &SEARCH_SPARE_FIELDS),
            Shape::Social => (&SOCIAL_FIELDS, &SOCIAL_SPARE_FIELDS),
        };
        let mut spare_props = spare_properties();
        shuffle(rng, &mut spare_props);
        let mut spare_fields: Vec<&'static FieldSpec> = spare.iter().collect();
        shuffle(rng, &mut spare_fields);
        SchemaState {
            input: input_schema(shape, &title, site_of(name)),
            dataset: dataset_schema(&title, fields),
            spare_props,
            spare_fields,
        }
    }

    fn props(&self) -> Map<String, Value> {
        self.input["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn props_mut(&mut self) -> &mut Map<String, Value> {
        if !self.input["properties"].is_object() {
            self.input["properties"] = json!({});
        }
        match self.input["properties"].as_object_mut() {
            Some(m) => m,
            None => unreachable!("properties was just made an object"),
        }
    }

    fn required(&self) -> Vec<String> {
        self.input["required"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A compatible step of a healthy history (or none).
    fn evolve(&mut self, rng: &mut StdRng) {
        let r = rng.random::<f64>();
        if r < 0.4 {
        } else if r < 0.65 {
            self.reword(rng, 1);
        } else if r < 0.82 {
            if self.add_optional(false).is_none() {
                self.reword(rng, 1);
            }
        } else if r < 0.92 {
            self.add_field(rng);
        } else {
            let view = &mut self.dataset["views"]["overview"]["description"];
            let next = if *view == VIEW_DESCRIPTIONS[0] {
                VIEW_DESCRIPTIONS[1]
            } else {
                VIEW_DESCRIPTIONS[0]
            };
            *view = json!(next);
        }
    }

    /// Rewords up to `n` distinct texts; returns `(property, key)` of each.
    fn reword(&mut self, rng: &mut StdRng, n: usize) -> Vec<(&'static str, &'static str)> {
        let props = self.props();
        let mut candidates: Vec<&(&str, &str, &str, &str)> = REWORDS
            .iter()
            .filter(|(prop, key, ..)| props.get(*prop).is_some_and(|p| p.get(*key).is_some()))
            .collect();
        shuffle(rng, &mut candidates);
        candidates
            .into_iter()
            .take(n)
            .map(|&(prop, key, a, b)| {
                let slot = &mut self.input["properties"][prop][key];
                *slot = json!(if *slot == b { a } else { b });
                (prop, key)
            })
            .collect()
    }

    /// Adds the next spare optional property (one with a default if asked); returns its name.
    fn add_optional(&mut self, with_default: bool) -> Option<&'static str> {
        let at = self
            .spare_props
            .iter()
            .position(|(_, v)| !with_default || v.get("default").is_some())?;
        let (name, prop) = self.spare_props.remove(at);
        self.props_mut().insert(name.to_owned(), prop);
        Some(name)
    }

    fn add_field(&mut self, rng: &mut StdRng) {
        let Some(f) = self.spare_fields.pop() else {
            return;
        };
        if let Some(props) = self.dataset["fields"]["properties"].as_object_mut() {
            props.insert(f.name.to_owned(), field_schema(f));
        }
        if f.in_view && rng.random::<f64>() < 0.5 {
            let view = &mut self.dataset["views"]["overview"];
            if let Some(fields) = view["transformation"]["fields"].as_array_mut() {
                fields.push(json!(f.name));
            }
            view["display"]["properties"][f.name] = display_of(f);
        }
    }

    fn plant(&mut self, kind: &'static str, variant: usize, rng: &mut StdRng) -> SchemaChange {
        match kind {
            KIND_SCHEMA_BREAKING_INPUT => self.break_input(variant, rng),
            KIND_SCHEMA_COSMETIC => self.cosmetic(variant, rng),
            KIND_SCHEMA_BREAKING_DATASET => self.break_dataset(variant, rng),
            _ => self.lint(variant, rng),
        }
    }

    /// A change that breaks callers: variant `v` if this schema allows it, else the next one
    /// that does (removing an optional property always can).
    fn break_input(&mut self, v: usize, rng: &mut StdRng) -> SchemaChange {
        for k in 0..INPUT_BREAKING_CHANGES.len() {
            let change = match (v + k) % INPUT_BREAKING_CHANGES.len() {
                0 => self.remove_property(rng),
                1 => self.add_required(rng),
                2 => self.narrow_type(rng),
                3 => self.remove_enum_value(rng),
                _ => self.raise_minimum(rng),
            };
            if let Some(change) = change {
                return change;
            }
        }
        SchemaChange::new("input", "property-removed", "")
    }

    fn remove_property(&mut self, rng: &mut StdRng) -> Option<SchemaChange> {
        let required = self.required();
        let props = self.props();
        let optional: Vec<&str> = props
            .keys()
            .map(String::as_str)
            .filter(|k| !required.iter().any(|r| r == k))
            .collect();
        let name = pick(rng, &optional)?.to_owned();
        let before = self.props_mut().shift_remove(&name);
        Some(SchemaChange::new("input", "property-removed", &name).whole(before, None))
    }

    fn add_required(&mut self, rng: &mut StdRng) -> Option<SchemaChange> {
        let props = self.props();
        let free: Vec<usize> = required_candidates()
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| !props.contains_key(*name))
            .map(|(i, _)| i)
            .collect();
        let i = pick(rng, &free)?;
        let [a, b] = required_candidates();
        let (name, prop) = if i == 0 { a } else { b };
        self.props_mut().insert(name.to_owned(), prop.clone());
        match self.input["required"].as_array_mut() {
            Some(r) => r.push(json!(name)),
            None => self.input["required"] = json!([name]),
        }
        Some(SchemaChange::new("input", "required-added", name).whole(None, Some(prop)))
    }

    fn narrow_type(&mut self, rng: &mut StdRng) -> Option<SchemaChange> {
        let props = self.props();
        let candidates: Vec<&str> = props
            .iter()
            .filter(|(_, p)| {
                let union = p["type"]
                    .as_array()
                    .is_some_and(|t| t.len() > 1 && t.contains(&json!("integer")));
                let numeric_string = p["type"] == "string"
                    && p.get("enum").is_none()
                    && p.get("isSecret").is_none()
                    && p["default"]
                        .as_str()
                        .is_some_and(|d| d.parse::<i64>().is_ok());
                union || numeric_string
            })
            .map(|(k, _)| k.as_str())
            .collect();
        let name = pick(rng, &candidates)?.to_owned();
        let prop = &mut self.props_mut()[&name];
        let before = prop["type"].clone();
        prop["type"] = json!("integer");
        prop["editor"] = json!("number");
        if let Some(d) = prop["default"].as_str().and_then(|d| d.parse::<i64>().ok()) {
            prop["default"] = json!(d);
        }
        Some(SchemaChange::new("input", "type-narrowed", &name).keyed(
            "type",
            Some(before),
            Some(json!("integer")),
        ))
    }

    fn remove_enum_value(&mut self, rng: &mut StdRng) -> Option<SchemaChange> {
        let props = self.props();
        let mut candidates: Vec<(&str, usize)> = Vec::new();
        for (name, p) in &props {
            let Some(values) = p["enum"].as_array() else {
                continue;
            };
            for (i, v) in values.iter().enumerate() {
                if values.len() > 1 && *v != p["default"] && *v != p["prefill"] {
                    candidates.push((name.as_str(), i));
                }
            }
        }
        let (name, i) = pick(rng, &candidates)?;
        let name = name.to_owned();
        let prop = &mut self.props_mut()[&name];
        let before = prop["enum"].clone();
        let mut removed = Value::Null;
        if let Some(values) = prop["enum"].as_array_mut() {
            removed = values.remove(i);
        }
        if let Some(titles) = prop["enumTitles"].as_array_mut() {
            if i < titles.len() {
                titles.remove(i);
            }
        }
        let after = prop["enum"].clone();
        Some(
            SchemaChange::new("input", "enum-value-removed", &name)
                .keyed("enum", Some(before), Some(after))
                .with("value", removed),
        )
    }

    fn raise_minimum(&mut self, rng: &mut StdRng) -> Option<SchemaChange> {
        let props = self.props();
        let candidates: Vec<(&str, i64, i64)> = props
            .iter()
            .filter_map(|(k, p)| {
                let min = p["minimum"].as_i64()?;
                let default = p["default"].as_i64()?;
                (p["type"] == "integer" && default > min).then_some((k.as_str(), min, default))
            })
            .collect();
        let (name, min, default) = pick(rng, &candidates)?;
        let name = name.to_owned();
        // Still at most the default, so the default stays valid.
        let raised = min + ((default - min) / 2).max(1);
        self.props_mut()[&name]["minimum"] = json!(raised);
        Some(SchemaChange::new("input", "min-raised", &name).keyed(
            "minimum",
            Some(json!(min)),
            Some(json!(raised)),
        ))
    }

    /// Rewording, an optional property with a default added, or both.
    fn cosmetic(&mut self, v: usize, rng: &mut StdRng) -> SchemaChange {
        let mut changes: Vec<Value> = Vec::new();
        // Variant 0 rewords, 1 adds an optional property, 2 does both.
        let (reword, add) = match v % 3 {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        if reword {
            let n = rng.random_range(1..=2usize);
            for (prop, key) in self.reword(rng, n) {
                changes.push(json!({ "change": "reworded", "path": prop, "key": key }));
            }
        }
        if add {
            if let Some(name) = self.add_optional(true) {
                changes.push(json!({ "change": "optional-added", "path": name }));
            }
        }
        if changes.is_empty() {
            for (prop, key) in self.reword(rng, 1) {
                changes.push(json!({ "change": "reworded", "path": prop, "key": key }));
            }
        }
        let reworded = changes.iter().any(|c| c["change"] == "reworded");
        let added = changes.iter().any(|c| c["change"] == "optional-added");
        let change = match (reworded, added) {
            (true, true) => "reworded+optional-added",
            (false, true) => "optional-added",
            _ => "reworded",
        };
        let path = changes
            .first()
            .and_then(|c| c["path"].as_str())
            .unwrap_or("")
            .to_owned();
        SchemaChange::new("input", change, &path).with("changes", Value::Array(changes))
    }

    /// A field a view shows removed, or a field's type changed.
    fn break_dataset(&mut self, v: usize, rng: &mut StdRng) -> SchemaChange {
        let view = self.dataset["views"]["overview"].clone();
        let shown: Vec<String> = view["transformation"]["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let fields = self.dataset["fields"].clone();
        let required = fields["required"].as_array().cloned().unwrap_or_default();
        // Readers may rely on a required field being there: removing one breaks them
        // (removing an optional one is only a warning).
        let removable: Vec<&str> = shown
            .iter()
            .map(String::as_str)
            .filter(|f| required.contains(&json!(f)) && fields["properties"].get(*f).is_some())
            .collect();
        let retypable: Vec<&str> = shown
            .iter()
            .map(String::as_str)
            .filter(|f| {
                let ty = &fields["properties"][*f]["type"];
                *ty == "number" || *ty == "integer" || *ty == "boolean"
            })
            .collect();
        let retype = (v % 2 == 1 && !retypable.is_empty()) || removable.is_empty();
        if retype {
            let name = pick(rng, &retypable).unwrap_or("").to_owned();
            let before = fields["properties"][&name]["type"].clone();
            self.dataset["fields"]["properties"][&name]["type"] = json!("string");
            let display = &mut self.dataset["views"]["overview"]["display"]["properties"];
            if display.get(&name).is_some() {
                display[&name]["format"] = json!("text");
            }
            return SchemaChange::new("dataset", "field-type-changed", &name)
                .keyed("type", Some(before), Some(json!("string")))
                .with("view", json!("overview"));
        }
        let name = pick(rng, &removable).unwrap_or("").to_owned();
        let mut before = None;
        if let Some(props) = self.dataset["fields"]["properties"].as_object_mut() {
            before = props.shift_remove(&name);
        }
        if let Some(req) = self.dataset["fields"]["required"].as_array_mut() {
            req.retain(|f| *f != name.as_str());
        }
        let view = &mut self.dataset["views"]["overview"];
        if let Some(shown) = view["transformation"]["fields"].as_array_mut() {
            shown.retain(|f| *f != name.as_str());
        }
        if let Some(display) = view["display"]["properties"].as_object_mut() {
            display.shift_remove(&name);
        }
        SchemaChange::new("dataset", "field-removed", &name)
            .whole(before, None)
            .with("view", json!("overview"))
    }

    /// A secret with a default, a credential that is not secret, or an invalid default.
    fn lint(&mut self, v: usize, rng: &mut StdRng) -> SchemaChange {
        let props = self.props();
        let secrets: Vec<&str> = props
            .iter()
            .filter(|(_, p)| p["isSecret"] == true && p.get("default").is_none())
            .map(|(k, _)| k.as_str())
            .collect();
        let integers: Vec<&str> = props
            .iter()
            .filter(|(_, p)| p["type"] == "integer" && p["default"].is_i64())
            .map(|(k, _)| k.as_str())
            .collect();
        let enums: Vec<&str> = props
            .iter()
            .filter(|(_, p)| p["enum"].is_array() && p["default"].is_string())
            .map(|(k, _)| k.as_str())
            .collect();
        let set_default = |s: &mut SchemaState, name: &str, value: Value, change| {
            let prop = &mut s.props_mut()[name];
            let before = prop.get("default").cloned();
            prop["default"] = value.clone();
            SchemaChange::new("input", change, name).keyed("default", before, Some(value))
        };
        match v % 4 {
            0 if !secrets.is_empty() => {
                let name = pick(rng, &secrets).unwrap_or("apiKey");
                set_default(self, name, json!("demo-key-2f9c41"), "secret-with-default")
            }
            2 if !integers.is_empty() => {
                let name = pick(rng, &integers).unwrap_or("maxItems");
                set_default(self, name, json!("ten"), "default-invalid")
            }
            3 if !enums.is_empty() => {
                let name = pick(rng, &enums).unwrap_or("sort");
                set_default(self, name, json!("most-popular"), "default-invalid")
            }
            _ => {
                let (name, title) = if rng.random::<f64>() < 0.5 || props.contains_key("apiToken") {
                    ("password", "Password")
                } else {
                    ("apiToken", "API token")
                };
                let prop = json!({
                    "title": title, "type": "string", "editor": "textfield",
                    "description": "Log in with this to see members-only data."
                });
                self.props_mut().insert(name.to_owned(), prop.clone());
                SchemaChange::new("input", "credential-not-secret", name).whole(None, Some(prop))
            }
        }
    }
}

/// Every build's schemas, and the schema problem planted in the newest build (if any).
fn plan_schemas(p: &Profile, builds: &[BuildPlan]) -> (Vec<BuildSchemas>, Option<SchemaPlant>) {
    let mut rng = StdRng::seed_from_u64(p.seed ^ SCHEMA_SALT);
    let mut state = SchemaState::new(&p.name, &mut rng);
    if matches!(p.schema_plant, Some((KIND_SCHEMA_BREAKING_INPUT, _))) {
        // A closed schema from the first build: removing a property then rejects the inputs
        // that still send it (on an open schema the value would only be ignored: a warning).
        state.input["additionalProperties"] = json!(false);
    }
    // Some Actors never touch their schemas.
    let frozen = rng.random::<f64>() < 0.25;
    let good: Vec<usize> = (0..builds.len()).filter(|&i| builds[i].succeeded).collect();
    let span = match (p.schema_plant, good.as_slice()) {
        (Some(_), [.., from, to]) if *to + 1 == builds.len() => Some((*from, *to)),
        _ => None,
    };
    let mut out = Vec::with_capacity(builds.len());
    let mut plant = None;
    for i in 0..builds.len() {
        match (span, p.schema_plant) {
            (Some((from, to)), Some((kind, variant))) if i == to => {
                let change = state.plant(kind, variant, &mut rng);
                plant = Some(SchemaPlant {
                    kind,
                    from,
                    to,
                    change,
                });
            }
            // Failed attempts between the two good builds carry the older schemas.
            (Some((from, _)), _) if i > from => {}
            _ if i > 0 && !frozen => state.evolve(&mut rng),
            _ => {}
        }
        out.push(BuildSchemas {
            input: state.input.clone(),
            dataset: state.dataset.clone(),
        });
    }
    (out, plant)
}

// ------------------------------------------------------------------------------------------------
// Compliance plants: credentials in the newest build's input schema or README, a credential
// input that is not secret, personal data without a legal note, a stub README; and controls.

/// Salt of the generators that draw everything compliance-related (which Actors get a
/// compliance plant or are a control, which secret formats, the secrets), so compliance plants
/// leave every other Actor exactly as it was.
const COMPLIANCE_SALT: u64 = 0xc04b_11a4;

/// What the compliance family does with an Actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ComplianceRole {
    /// One of [`COMPLIANCE_KINDS`]; `variant` counts the plants of this kind before it;
    /// `secret` indexes [`SECRET_KINDS`] (secret plants only).
    Plant {
        kind: &'static str,
        variant: usize,
        secret: usize,
    },
    /// [`CONTROL_PII_WITH_LEGAL_NOTE`] or [`CONTROL_PLACEHOLDER_SECRET`]; `variant` counts the
    /// controls of this kind before it.
    Control { kind: &'static str, variant: usize },
}

/// Which Actors get a compliance plant or are a compliance control (see [`COMPLIANCE_KINDS`]):
/// Actors with no other plant and no control (low-traffic ones too: the plants do not touch
/// runs); first those no family would plant on even with every family on, then those only a
/// family switched off would have.
fn plan_compliance(cfg: &SynthConfig, profiles: &mut [Profile], low: &[bool], had_plant: &[bool]) {
    if cfg.clean || !cfg.families.compliance {
        return;
    }
    let n = profiles.len();
    // The Actors some family takes with every family on: the quality roles and the ab
    // difference as they would be (see `plan_ab_plant`).
    let mut taken = had_plant.to_vec();
    let free_all_on: Vec<bool> = (0..n).map(|i| !low[i] && !had_plant[i]).collect();
    for (i, _) in quality_roles(cfg, &free_all_on, had_plant) {
        taken[i] = true;
    }
    let ab_pool: Vec<usize> = (0..n).filter(|&i| free_all_on[i] && !taken[i]).collect();
    if !ab_pool.is_empty() {
        let mut ab_rng = StdRng::seed_from_u64(cfg.seed ^ AB_SALT);
        taken[ab_pool[ab_rng.random_range(0..ab_pool.len())]] = true;
    }
    let mut rng = StdRng::seed_from_u64(cfg.seed ^ COMPLIANCE_SALT);
    let offset = rng.random_range(0..SECRET_KINDS.len());
    let mut pool: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
    let mut spare: Vec<usize> = (0..n).filter(|&i| taken[i]).collect();
    shuffle(&mut rng, &mut pool);
    shuffle(&mut rng, &mut spare);
    pool.extend(spare);
    pool.retain(|&i| {
        let p = &profiles[i];
        p.kind.is_none()
            && p.schema_plant.is_none()
            && p.cost_plant.is_none()
            && p.quality.is_none()
            && !p.ab
    });
    let count = cfg.compliance_plants.unwrap_or(if n >= 20 {
        ((n as f64 / 20.0).round() as usize).max(1)
    } else {
        0
    });
    let plants = count.min(pool.len());
    let wanted_controls = if plants == 0 { 0 } else { count.max(2) };
    let controls = wanted_controls.min(pool.len() - plants);
    let mut secrets = 0;
    for (j, &i) in pool.iter().take(plants).enumerate() {
        let kind = COMPLIANCE_KINDS[j % COMPLIANCE_KINDS.len()];
        let mut secret = 0;
        if matches!(kind, KIND_SECRET_IN_INPUT | KIND_SECRET_IN_README) {
            secret = (offset + secrets) % SECRET_KINDS.len();
            secrets += 1;
        }
        profiles[i].compliance = Some(ComplianceRole::Plant {
            kind,
            variant: j / COMPLIANCE_KINDS.len(),
            secret,
        });
    }
    let control_kinds = [CONTROL_PII_WITH_LEGAL_NOTE, CONTROL_PLACEHOLDER_SECRET];
    for (j, &i) in pool.iter().skip(plants).take(controls).enumerate() {
        profiles[i].compliance = Some(ComplianceRole::Control {
            kind: control_kinds[j % 2],
            variant: j / 2,
        });
    }
}

/// The personal-data fields a [`KIND_PII_NO_LEGAL_NOTE`] plant or a
/// [`CONTROL_PII_WITH_LEGAL_NOTE`] control adds to its dataset schema, by variant.
const PII_FIELD_SETS: [&[&str]; 4] = [
    &["fullName", "profileUrl", "email"],
    &["email", "phone"],
    &["fullName", "profileUrl", "address"],
    &["fullName", "email", "phone", "address"],
];
/// Credential-named properties of [`KIND_MISSING_IS_SECRET`], by variant.
const NOT_SECRET_PROPERTIES: [&str; 4] = ["apiKey", "password", "sessionCookie", "accessToken"];
/// The few words of a [`KIND_STUB_README`] README, after its title, by variant.
const STUB_TEXTS: [&str; 3] = ["TODO", "Coming soon.", "Work in progress."];

fn pii_field(name: &str) -> FieldSpec {
    match name {
        "fullName" => field("fullName", "string", "Full name", "text", true),
        "profileUrl" => field("profileUrl", "string", "Profile URL", "link", true),
        "email" => field("email", "string", "Email", "text", true),
        "phone" => field("phone", "string", "Phone", "text", true),
        _ => field("address", "string", "Address", "text", true),
    }
}

/// A sample value of a dataset field, for the README's example item.
fn sample_value(name: &str, site_url: &str) -> Value {
    match name {
        "url" => json!(format!("{site_url}item/10234")),
        "title" => json!("Stainless steel water bottle, 750 ml"),
        "price" | "rating" => json!(4.5),
        "currency" => json!("EUR"),
        "inStock" | "isVerified" | "isAd" => json!(true),
        "imageUrl" | "mediaUrl" => json!(format!("{site_url}images/10234.jpg")),
        "scrapedAt" | "date" => json!("2026-01-31T12:00:00.000Z"),
        "query" => json!("coffee shops in Berlin"),
        "position" | "likes" | "replyCount" | "reviewsCount" | "resultsTotal" => json!(12),
        "snippet" | "text" => json!("Friendly staff, great coffee and a quiet corner to work in."),
        "author" => json!("coffee_lover_42"),
        "brand" => json!("Hydra"),
        "domain" => json!("www.example.com"),
        "fullName" => json!("Jane Doe"),
        "profileUrl" => json!(format!("{site_url}jane.doe")),
        "email" => json!("jane.doe@example.com"),
        "phone" => json!("+1 555 0100"),
        "address" => json!("221B Baker Street, London"),
        _ => json!("…"),
    }
}

/// Adds the personal-data `fields` to a build's dataset schema: as fields, required, and
/// shown by the overview view.
fn add_pii_fields(build: &mut Value, fields: &[&str]) {
    let ds = &mut build["actorDefinition"]["storages"]["dataset"];
    for name in fields {
        let f = pii_field(name);
        ds["fields"]["properties"][*name] = field_schema(&f);
        if let Some(req) = ds["fields"]["required"].as_array_mut() {
            req.push(json!(name));
        }
        let view = &mut ds["views"]["overview"];
        if let Some(shown) = view["transformation"]["fields"].as_array_mut() {
            shown.push(json!(name));
        }
        view["display"]["properties"][*name] = display_of(&f);
    }
}

/// Sets a build's README (`readme` and `actorDefinition.readme`).
fn set_readme(build: &mut Value, readme: &str) {
    build["readme"] = json!(readme);
    build["actorDefinition"]["readme"] = json!(readme);
}

/// Writes a build's input schema (`actorDefinition.input`) to `inputSchema` too.
fn sync_input_schema(build: &mut Value) {
    let text = build["actorDefinition"]["input"].to_string();
    build["inputSchema"] = json!(text);
}

/// A Store-ready README (over 300 words, with input and output sections) of an Actor whose
/// dataset also has the personal-data fields `pii`; with a section on the legality of
/// scraping personal data (`legal`) or without a word about it.
fn full_readme(p: &Profile, dataset: &Value, pii: &[&str], legal: bool) -> String {
    let title = title_of(&p.name);
    let site_name = site_of(&p.name);
    let site = title_of(site_name);
    let site_url = format!("https://www.{}.com/", site_name.replace('-', ""));
    let (start_field, start_text, unit, units) = match shape_of(&p.name) {
        Shape::Web => (
            "Start URLs",
            "one or more category, search or product pages",
            "product or listing",
            "products and listings",
        ),
        Shape::Search => (
            "Search queries",
            "one or more search queries, one per line",
            "search result",
            "search results",
        ),
        Shape::Social => (
            "Profiles",
            "one or more usernames or profile URLs",
            "post, review or comment",
            "posts, reviews and comments",
        ),
    };
    let names: Vec<&str> = dataset["fields"]["properties"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let example: Map<String, Value> = names
        .iter()
        .map(|n| ((*n).to_owned(), sample_value(n, &site_url)))
        .collect();
    let example = serde_json::to_string_pretty(&Value::Object(example)).unwrap_or_default();
    let labels: Vec<&str> = pii
        .iter()
        .map(|n| match *n {
            "fullName" => "full name",
            "profileUrl" => "profile URL",
            "email" => "e-mail address",
            "phone" => "phone number",
            _ => "postal address",
        })
        .collect();
    let labels = match labels.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "# {title}\n\n\
         {title} extracts {units} from {site} and saves them to a dataset that you can \
         download as JSON, CSV, Excel or HTML, or read with the Apify API. It runs on the Apify \
         platform, so you get scheduling, monitoring, proxies and integrations without managing \
         any servers.\n\n\
         ## What can {title} do?\n\n\
         - Collect {units} from {site} at scale, with the same fields every time.\n\
         - Start from {start_text}.\n\
         - Stop after the number of results you set, so runs stay short and cheap.\n\
         - Retry failed pages through Apify Proxy, so blocking rarely stops a run.\n\
         - Send the results to Google Sheets, Slack, Zapier, Make or your own webhook when a run \
         finishes.\n\n\
         ## How to use {title}\n\n\
         1. Open the Actor in Apify Console and go to the Input tab.\n\
         2. Fill in {start_field}, and optionally the maximum number of results.\n\
         3. Click Start and wait for the run to finish.\n\
         4. Download the results from the Output tab in the format you need.\n\n\
         You can also start it from the Apify API, the Apify CLI or one of the Apify SDKs, and \
         schedule it to run every hour, every day or every week.\n\n\
         ## Input\n\n\
         The only field you must fill in is {start_field}: {start_text}. Every other field is \
         optional and has a sensible default: the maximum number of results, the sort order, \
         the language of the results and the proxy configuration. Each field is described in \
         the Input tab, where you can also switch to the JSON editor and paste a whole input at \
         once.\n\n\
         ## Output\n\n\
         Each item of the dataset is one {unit}, with these fields: {fields}. Here is an \
         example item:\n\n\
         ```json\n{example}\n```\n\n\
         Besides what the page shows, each item has the {labels} of the person behind it, \
         whenever {site} displays them.\n\n\
         ## Tips\n\n\
         - Start with a small maximum number of results to check the output, then raise it.\n\
         - Use residential proxies if {site} blocks datacenter addresses.\n\
         - Schedule the Actor and connect a webhook to get fresh data every morning.\n\n\
         ## FAQ\n\n\
         ### How fast is it?\n\n\
         A typical run saves a few hundred results per minute. Runs with many start pages take \
         longer, because each page is loaded separately and retried when it fails.\n\n\
         ### Can I use it with other apps?\n\n\
         Yes. The Apify platform integrates with Google Sheets, Google Drive, Slack, Zapier, \
         Make, Airbyte and many other services, and any tool that can call an HTTP API can read \
         the dataset.\n\n\
         ### What if something goes wrong?\n\n\
         Open an issue in the Issues tab with a link to the run and we will look into it. We \
         read every report and usually fix problems within a few days.\n",
        fields = names.join(", "),
    );
    if legal {
        let _ = write!(
            out,
            "\n## Is it legal to scrape {site}?\n\n\
             Our scrapers are ethical and do not extract any private user data. They only \
             extract what people have chosen to share publicly on {site}. However, the results \
             contain personal data: the {labels} of real people. Personal data is protected by \
             the GDPR in the European Union and by other regulations around the world. You \
             should not scrape personal data unless you have a legitimate reason to do so, and \
             you should keep only what you need. If you are unsure whether your reason is \
             legitimate, consult your lawyers. You can also read Apify's blog post on the \
             legality of web scraping.\n"
        );
    }
    out
}

/// The two-line README every build has, with a section on calling the Actor from the API
/// that shows placeholders only.
fn placeholder_readme(base: &str, username: &str, name: &str) -> String {
    format!(
        "{base}\n\
         ## Run it from the API\n\n\
         Replace `YOUR_APIFY_TOKEN` with your own API token (Apify Console → Settings → API & \
         Integrations):\n\n\
         ```bash\n\
         export APIFY_TOKEN=YOUR_APIFY_TOKEN\n\
         curl -X POST \"https://api.apify.com/v2/acts/{username}~{name}/run-sync-get-dataset-items\" \\\n  \
         -H \"Authorization: Bearer <token>\" \\\n  \
         -H \"Content-Type: application/json\" \\\n  \
         -d '{{\"maxItems\": 10}}'\n\
         ```\n\n\
         To save the results to another Apify account, give its token in the `apiToken` input \
         field: it is a secret input, stored encrypted and never shown in the run's input.\n"
    )
}

/// A README section that uses the credential `secret` of kind `SECRET_KINDS[kind]`.
fn leaking_section(kind: usize, secret: &str, username: &str, name: &str) -> String {
    match SECRET_KINDS[kind % SECRET_KINDS.len()] {
        "apify-token" => format!(
            "## Run it from the API\n\n\
             ```bash\n\
             export APIFY_TOKEN={secret}\n\
             apify call {username}/{name} --input '{{\"maxItems\": 10}}'\n\
             ```\n"
        ),
        "aws-access-key" => format!(
            "## Export to S3\n\n\
             Each run uploads its results to our S3 bucket:\n\n\
             ```bash\n\
             export AWS_ACCESS_KEY_ID={secret}\n\
             export AWS_DEFAULT_REGION=eu-west-1\n\
             aws s3 cp results.json s3://{name}-exports/\n\
             ```\n"
        ),
        "github-token" => format!(
            "## Development\n\n\
             ```bash\n\
             git clone https://github.com/{username}/{name}.git\n\
             export GITHUB_TOKEN={secret}\n\
             npm install && npm start\n\
             ```\n"
        ),
        "slack-token" => format!(
            "## Notifications\n\n\
             The Actor posts to Slack when a run finishes:\n\n\
             ```bash\n\
             curl -X POST https://slack.com/api/chat.postMessage \\\n  \
             -H 'Authorization: Bearer {secret}' \\\n  \
             -d 'channel=#scraper-alerts' -d 'text=Run finished'\n\
             ```\n"
        ),
        "stripe-live-key" => format!(
            "## Billing\n\n\
             Usage is reported to Stripe after each run:\n\n\
             ```bash\n\
             curl https://api.stripe.com/v1/billing/meter_events -u {secret}: \\\n  \
             -d event_name=scraped_items -d 'payload[value]=25'\n\
             ```\n"
        ),
        "google-api-key" => format!(
            "## Geocoding\n\n\
             Addresses are geocoded with the Google Maps API:\n\n\
             ```\n\
             https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key={secret}\n\
             ```\n"
        ),
        _ => format!(
            "## Summaries\n\n\
             Each item gets a short summary from OpenAI:\n\n\
             ```bash\n\
             export OPENAI_API_KEY={secret}\n\
             ```\n"
        ),
    }
}

const BASE32_UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGITS: &[u8] = b"0123456789";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Whether a drawn secret body looks random to a scanner: letters and digits (both cases
/// where `mixed_case`), no run of 4 equal characters, and nothing that reads as a placeholder.
fn plausible_secret(body: &str, mixed_case: bool) -> bool {
    let lower = body.to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "test",
        "fake",
        "example",
        "sample",
        "dummy",
        "xxx",
        "your",
        "insert",
        "replace",
        "redact",
        "change",
        "placeholder",
        "1234",
        "abcd",
        "0000",
    ];
    let chars: Vec<char> = body.chars().collect();
    body.chars().any(|c| c.is_ascii_digit())
        && body.chars().any(|c| c.is_ascii_alphabetic())
        && (!mixed_case
            || (body.chars().any(|c| c.is_ascii_uppercase())
                && body.chars().any(|c| c.is_ascii_lowercase())))
        && !chars.windows(4).any(|w| w.iter().all(|c| *c == w[0]))
        && !MARKERS.iter().any(|m| lower.contains(m))
}

/// A real-looking credential of the format `SECRET_KINDS[kind]` (see [`SECRET_KINDS`]).
fn draw_secret(rng: &mut StdRng, kind: usize) -> String {
    let draw = |rng: &mut StdRng, len: usize, alphabet: &[u8]| {
        let mut s = String::with_capacity(len);
        push_id(rng, &mut s, len, alphabet);
        s
    };
    for _ in 0..10_000 {
        let (prefix, body, mixed_case) = match SECRET_KINDS[kind % SECRET_KINDS.len()] {
            "apify-token" => ("apify_api_", draw(rng, 36, ALNUM), true),
            "aws-access-key" => ("AKIA", draw(rng, 16, BASE32_UPPER), false),
            "github-token" => ("ghp_", draw(rng, 36, ALNUM), true),
            "slack-token" => {
                let team = draw(rng, 1, &DIGITS[1..]) + &draw(rng, 9, DIGITS);
                let bot = draw(rng, 1, &DIGITS[1..]) + &draw(rng, 12, DIGITS);
                let tail = draw(rng, 24, ALNUM);
                ("xoxb-", format!("{team}-{bot}-{tail}"), true)
            }
            "stripe-live-key" => ("sk_live_", draw(rng, 24, ALNUM), true),
            "google-api-key" => ("AIza", draw(rng, 35, URL_SAFE), true),
            _ => ("sk-proj-", draw(rng, 48, ALNUM), true),
        };
        if plausible_secret(&body, mixed_case) {
            return format!("{prefix}{body}");
        }
    }
    unreachable!("a random body is plausible within a few draws")
}

/// The first 4 characters of a secret, `…`, its last 2: enough to tell secrets apart, never
/// enough to use one.
fn fingerprint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let head: String = chars.iter().take(4).collect();
    let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
    format!("{head}…{tail}")
}

/// Applies a compliance plant or control to the Actor object and its builds (oldest first);
/// returns the plant (None for a control).
fn apply_compliance(
    cfg: &SynthConfig,
    p: &Profile,
    role: ComplianceRole,
    builds: &[BuildPlan],
    actor: &mut Value,
    values: &mut [Value],
) -> Option<Planted> {
    let rng = &mut StdRng::seed_from_u64(p.seed ^ COMPLIANCE_SALT);
    let (newest, first) = (builds.last()?, builds.first()?);
    let base_readme = values.last()?["readme"].as_str()?.to_owned();
    let (kind, variant, secret_kind) = match role {
        ComplianceRole::Control {
            kind: CONTROL_PII_WITH_LEGAL_NOTE,
            variant,
        } => {
            actor["isPublic"] = json!(true);
            let fields = PII_FIELD_SETS[(variant + 1) % PII_FIELD_SETS.len()];
            for v in values.iter_mut() {
                add_pii_fields(v, fields);
                let readme = full_readme(
                    p,
                    &v["actorDefinition"]["storages"]["dataset"],
                    fields,
                    true,
                );
                set_readme(v, &readme);
            }
            return None;
        }
        ComplianceRole::Control { .. } => {
            let readme = placeholder_readme(&base_readme, &cfg.username, &p.name);
            for v in values.iter_mut() {
                v["actorDefinition"]["input"]["properties"]["apiToken"] = json!({
                    "title": "Apify API token", "type": "string", "editor": "textfield",
                    "isSecret": true,
                    "description": "Token of another Apify account to save the results to; leave empty to use this one."
                });
                sync_input_schema(v);
                set_readme(v, &readme);
            }
            return None;
        }
        ComplianceRole::Plant {
            kind,
            variant,
            secret,
        } => (kind, variant, secret),
    };
    let mut details = Map::new();
    let mut since = newest.started;
    let last = values.last_mut()?;
    match kind {
        KIND_SECRET_IN_INPUT | KIND_SECRET_IN_README => {
            let secret = draw_secret(rng, secret_kind);
            let location = if kind == KIND_SECRET_IN_INPUT {
                let props = &mut last["actorDefinition"]["input"]["properties"];
                if props.get("apiKey").is_none() {
                    props["apiKey"] = json!({
                        "title": "API key", "type": "string", "editor": "textfield",
                        "isSecret": true,
                        "description": "Optional key for the site's official API: faster and cheaper runs."
                    });
                }
                props["apiKey"]["prefill"] = json!(secret);
                sync_input_schema(last);
                "/properties/apiKey/prefill".to_owned()
            } else {
                let section = leaking_section(secret_kind, &secret, &cfg.username, &p.name);
                let readme = format!("{base_readme}\n{section}");
                let line = readme
                    .lines()
                    .position(|l| l.contains(&secret))
                    .map_or(0, |i| i + 1);
                set_readme(last, &readme);
                format!("README:{line}")
            };
            details.insert("location".into(), json!(location));
            details.insert(
                "secretKind".into(),
                json!(SECRET_KINDS[secret_kind % SECRET_KINDS.len()]),
            );
            details.insert("fingerprint".into(), json!(fingerprint(&secret)));
        }
        KIND_MISSING_IS_SECRET => {
            let site = title_of(site_of(&p.name));
            let name = NOT_SECRET_PROPERTIES[variant % NOT_SECRET_PROPERTIES.len()];
            let props = &mut last["actorDefinition"]["input"]["properties"];
            match name {
                "apiKey" if props.get("apiKey").is_some() => {
                    if let Some(key) = props["apiKey"].as_object_mut() {
                        key.shift_remove("isSecret");
                    }
                }
                _ => {
                    let (title, editor, description) = match name {
                        "password" => (
                            "Password",
                            "textfield",
                            format!("Password of the {site} account to log in with, to see members-only data."),
                        ),
                        "sessionCookie" => (
                            "Session cookie",
                            "textarea",
                            format!("The session cookie of a logged-in {site} browser, to see what members see."),
                        ),
                        "accessToken" => (
                            "Access token",
                            "textfield",
                            format!("An OAuth access token for the {site} API: higher rate limits."),
                        ),
                        _ => (
                            "API key",
                            "textfield",
                            "Optional key for the site's official API: faster and cheaper runs.".to_owned(),
                        ),
                    };
                    props[name] = json!({
                        "title": title, "type": "string", "editor": editor,
                        "description": description
                    });
                }
            }
            sync_input_schema(last);
            details.insert("property".into(), json!(name));
            details.insert("location".into(), json!(format!("/properties/{name}")));
        }
        KIND_PII_NO_LEGAL_NOTE => {
            actor["isPublic"] = json!(true);
            let fields = PII_FIELD_SETS[variant % PII_FIELD_SETS.len()];
            for v in values.iter_mut() {
                add_pii_fields(v, fields);
                let readme = full_readme(
                    p,
                    &v["actorDefinition"]["storages"]["dataset"],
                    fields,
                    false,
                );
                set_readme(v, &readme);
            }
            details.insert("fields".into(), json!(fields));
            since = first.started;
        }
        _ => {
            actor["isPublic"] = json!(true);
            let readme = format!(
                "# {}\n\n{}\n",
                title_of(&p.name),
                STUB_TEXTS[variant % STUB_TEXTS.len()]
            );
            for v in values.iter_mut() {
                set_readme(v, &readme);
            }
            details.insert("readmeChars".into(), json!(readme.chars().count()));
            details.insert(
                "readmeWords".into(),
                json!(readme.split_whitespace().count()),
            );
            since = first.started;
        }
    }
    details.insert("buildNumber".into(), json!(newest.number));
    details.insert("buildId".into(), json!(newest.id));
    Some(Planted {
        actor_id: p.id.clone(),
        actor_name: p.name.clone(),
        kind: kind.to_owned(),
        since: Some(since),
        details: Value::Object(details),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::OnceLock;

    fn t(v: &Value) -> DateTime<Utc> {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .expect("a timestamp")
    }

    fn quality_only() -> SynthConfig {
        SynthConfig {
            actors: 200,
            days: 30,
            families: Families {
                quality: true,
                ..Families::NONE
            },
            quality_plants: Some(10),
            ..SynthConfig::default()
        }
    }

    /// The quality-only fleet of 200 Actors, generated once for the tests that read it.
    fn quality_fleet() -> &'static (Fixture, GroundTruth) {
        static FLEET: OnceLock<(Fixture, GroundTruth)> = OnceLock::new();
        FLEET.get_or_init(|| generate(&quality_only()))
    }

    fn actor_of<'a>(fx: &'a Fixture, p: &Planted) -> &'a ActorFixture {
        fx.actors
            .iter()
            .find(|a| a.id() == p.actor_id)
            .expect("the planted Actor")
    }

    fn runs_of(a: &ActorFixture) -> Vec<Value> {
        a.runs.iter().map(|r| r.to_value()).collect()
    }

    fn is_terminal(r: &Value) -> bool {
        matches!(
            r["status"].as_str(),
            Some("SUCCEEDED" | "FAILED" | "TIMED-OUT")
        )
    }

    fn failure_share(runs: &[&Value]) -> f64 {
        let done: Vec<&&Value> = runs.iter().filter(|r| is_terminal(r)).collect();
        let failed = done.iter().filter(|r| r["status"] != "SUCCEEDED").count();
        failed as f64 / done.len().max(1) as f64
    }

    fn split(runs: &[Value], since: DateTime<Utc>) -> (Vec<&Value>, Vec<&Value>) {
        runs.iter().partition(|r| t(&r["startedAt"]) < since)
    }

    #[test]
    fn quality_only_fleet_plants_exactly_the_asked_quality_plants_and_controls() {
        let (fx, truth) = quality_fleet();
        assert_eq!(fx.actors.len(), 200);
        assert_eq!(truth.planted.len(), 10, "{:#?}", truth.planted);
        for p in &truth.planted {
            assert!(QUALITY_KINDS.contains(&p.kind.as_str()), "{}", p.kind);
            assert!(p.since.is_some());
            assert!(matches!(
                p.details["cause"].as_str(),
                Some("build" | "drift")
            ));
        }
        let count = |kind: &str| truth.planted.iter().filter(|p| p.kind == kind).count();
        assert_eq!(count(KIND_FAILURE_REGRESSION), 4);
        assert_eq!(count(KIND_DURATION_REGRESSION), 3);
        assert_eq!(count(KIND_EMPTY_RUNS), 3);
        for kind in [KIND_FAILURE_REGRESSION, KIND_DURATION_REGRESSION] {
            for cause in ["build", "drift"] {
                assert!(
                    truth
                        .planted
                        .iter()
                        .any(|p| p.kind == kind && p.details["cause"] == cause),
                    "{kind} {cause}"
                );
            }
        }
        assert_eq!(truth.controls.len(), 10);
        assert!(truth.controls.iter().all(|c| c.kind == CONTROL_NOISE));
        let planted: HashSet<&str> = truth.planted.iter().map(|p| p.actor_id.as_str()).collect();
        let controls: HashSet<&str> = truth.controls.iter().map(|c| c.actor_id.as_str()).collect();
        assert_eq!(planted.len(), 10, "one plant per Actor");
        assert_eq!(controls.len(), 10);
        assert!(planted.is_disjoint(&controls));
        for c in &truth.controls {
            let a = fx
                .actors
                .iter()
                .find(|a| a.id() == c.actor_id)
                .expect("control");
            assert_eq!(a.name(), c.actor_name);
            assert_eq!(truth.control_of(&c.actor_name), Some(c));
        }

        let (again, truth_again) = generate(&quality_only());
        assert_eq!(&truth_again, truth);
        assert_eq!(again.to_json(), fx.to_json());
        let back: GroundTruth = serde_json::from_str(&truth.to_json_pretty()).expect("parses");
        assert_eq!(&back, truth);
        // Ground truth written before controls existed still reads.
        let old = json!({ "seed": 1, "now": "2026-11-23T00:00:00Z", "planted": [] });
        let old: GroundTruth = serde_json::from_value(old).expect("parses");
        assert!(old.controls.is_empty());
    }

    #[test]
    fn build_plants_run_on_their_build_and_drift_plants_have_no_build_near() {
        let (fx, truth) = quality_fleet();
        let guard = Duration::days(QUALITY_BUILD_GUARD_DAYS);
        for p in &truth.planted {
            let a = actor_of(fx, p);
            let since = p.since.expect("since");
            assert!(
                since >= truth.now - Duration::days(6) && since <= truth.now - Duration::days(3)
            );
            let runs = runs_of(a);
            let (before, after) = split(&runs, since);
            let terminal_after: Vec<&&Value> = after.iter().filter(|r| is_terminal(r)).collect();
            assert!(
                terminal_after.len() >= QUALITY_MIN_RUNS_AFTER,
                "{}",
                p.actor_name
            );
            assert_eq!(p.details["runsAfter"], json!(after.len()));
            assert!(runs.iter().all(|r| r["status"] != "RUNNING"));
            match p.details["cause"].as_str() {
                Some("build") => {
                    let number = p.details["buildNumber"].as_str().expect("buildNumber");
                    let newest = a.builds.last().expect("builds");
                    assert_eq!(newest["buildNumber"], number);
                    assert_eq!(newest["id"], p.details["buildId"]);
                    assert_eq!(newest["status"], "SUCCEEDED");
                    assert_eq!(t(&newest["finishedAt"]), since);
                    assert_eq!(number, format!("0.1.{}", a.builds.len()));
                    assert_eq!(a.actor["taggedBuilds"]["latest"]["buildNumber"], number);
                    assert!(
                        after.iter().all(|r| r["buildNumber"] == number),
                        "{}",
                        p.actor_name
                    );
                    assert!(
                        before.iter().all(|r| r["buildNumber"] != number),
                        "{}",
                        p.actor_name
                    );
                    assert!(!before.is_empty());
                    // Every other build is long done.
                    for b in &a.builds[..a.builds.len() - 1] {
                        assert!(t(&b["finishedAt"]) < since - guard, "{}", p.actor_name);
                    }
                }
                Some("drift") => {
                    assert!(p.details.get("buildNumber").is_none());
                    for b in &a.builds {
                        let finished = t(&b["finishedAt"]);
                        assert!(
                            finished < since - guard || finished > since + guard,
                            "{}: build {} finished {finished}",
                            p.actor_name,
                            b["buildNumber"]
                        );
                    }
                }
                other => panic!("cause {other:?}"),
            }
        }
    }

    #[test]
    fn planted_quality_effects_are_real_in_the_written_runs() {
        let (fx, truth) = quality_fleet();
        for p in &truth.planted {
            let a = actor_of(fx, p);
            let since = p.since.expect("since");
            let runs = runs_of(a);
            let (before, after) = split(&runs, since);
            let secs = |runs: &[&Value]| -> Vec<f64> {
                runs.iter()
                    .filter(|r| r["status"] == "SUCCEEDED")
                    .map(|r| r["stats"]["runTimeSecs"].as_f64().expect("secs"))
                    .collect()
            };
            let empty = |runs: &[&Value]| {
                let ok: Vec<&&Value> = runs.iter().filter(|r| r["status"] == "SUCCEEDED").collect();
                let empty = ok
                    .iter()
                    .filter(|r| r["usage"]["DATASET_WRITES"] == 0)
                    .count();
                empty as f64 / ok.len().max(1) as f64
            };
            let d = &p.details;
            match p.kind.as_str() {
                KIND_FAILURE_REGRESSION => {
                    let (was, is) = (failure_share(&before), failure_share(&after));
                    assert!(was <= 0.08, "{}: {was}", p.actor_name);
                    assert!(is - was >= 0.12, "{}: {was} -> {is}", p.actor_name);
                    assert_eq!(d["baselineFailureRate"], json!(round_to(was, 4)));
                    assert_eq!(d["failureRate"], json!(round_to(is, 4)));
                }
                KIND_DURATION_REGRESSION => {
                    let factor = d["factor"].as_f64().expect("factor");
                    assert!((1.4..=2.0).contains(&factor));
                    let (was, is) = (median_of(secs(&before)), median_of(secs(&after)));
                    let ratio = is / was;
                    assert!(
                        ratio >= 1.25 && (0.75..=1.33).contains(&(ratio / factor)),
                        "{}: ratio {ratio}, factor {factor}",
                        p.actor_name
                    );
                    assert_eq!(d["medianSecs"], json!(round_to(is, 3)));
                    assert_eq!(d["baselineMedianSecs"], json!(round_to(was, 3)));
                    // Cost per run follows the duration.
                    let usd = |runs: &[&Value]| {
                        median_of(
                            runs.iter()
                                .filter(|r| r["status"] == "SUCCEEDED")
                                .map(|r| r["usageTotalUsd"].as_f64().expect("usd"))
                                .collect(),
                        )
                    };
                    assert!(usd(&after) / usd(&before) >= 1.25, "{}", p.actor_name);
                }
                KIND_EMPTY_RUNS => {
                    let share = empty(&after);
                    assert!((0.29..=0.61).contains(&share), "{}: {share}", p.actor_name);
                    assert_eq!(empty(&before), 0.0);
                    assert_eq!(d["emptyShare"], json!(round_to(share, 4)));
                    assert!(d["emptyRuns"].as_u64().expect("emptyRuns") >= 6);
                }
                other => panic!("kind {other}"),
            }
        }
        // Controls: stationary, noisy, nothing empty.
        for c in &truth.controls {
            let a = fx
                .actors
                .iter()
                .find(|a| a.id() == c.actor_id)
                .expect("control");
            let runs = runs_of(a);
            let all: Vec<&Value> = runs.iter().collect();
            let share = failure_share(&all);
            assert!((0.05..=0.25).contains(&share), "{}: {share}", c.actor_name);
            assert!(runs
                .iter()
                .all(|r| r["usage"]["DATASET_WRITES"] != 0 || r["status"] != "SUCCEEDED"));
        }
        // No other Actor has an empty successful run.
        let quality: HashSet<&str> = truth.planted.iter().map(|p| p.actor_id.as_str()).collect();
        for a in fx.actors.iter().filter(|a| !quality.contains(a.id())) {
            assert!(runs_of(a)
                .iter()
                .all(|r| r["status"] != "SUCCEEDED" || r["usage"]["DATASET_WRITES"] != 0));
        }
    }

    #[test]
    fn quality_plants_leave_every_other_actor_as_it_was() {
        let with = SynthConfig::default();
        let without = SynthConfig {
            families: Families {
                quality: false,
                ..Families::ALL
            },
            ..SynthConfig::default()
        };
        let (fx, truth) = generate(&with);
        let (base, base_truth) = generate(&without);
        let noise = |t: &GroundTruth| -> Vec<Control> {
            t.controls
                .iter()
                .filter(|c| c.kind == CONTROL_NOISE)
                .cloned()
                .collect()
        };
        assert!(noise(&base_truth).is_empty());
        assert!(base_truth
            .planted
            .iter()
            .all(|p| !QUALITY_KINDS.contains(&p.kind.as_str())));
        let quality: Vec<&Planted> = truth
            .planted
            .iter()
            .filter(|p| QUALITY_KINDS.contains(&p.kind.as_str()))
            .collect();
        assert_eq!(quality.len(), 2, "round(40 / 25)");
        let noise_controls = noise(&truth);
        assert_eq!(noise_controls.len(), 2);
        let touched: HashSet<&str> = quality
            .iter()
            .map(|p| p.actor_id.as_str())
            .chain(noise_controls.iter().map(|c| c.actor_id.as_str()))
            .collect();
        assert_eq!(touched.len(), 4);
        // Neither plants nor controls go on Actors with another plant.
        assert!(base_truth
            .planted
            .iter()
            .all(|p| !touched.contains(p.actor_id.as_str())));
        assert_eq!(fx.user, base.user);
        assert_eq!(
            serde_json::to_string(&fx.tokens).ok(),
            serde_json::to_string(&base.tokens).ok()
        );
        assert_eq!(fx.actors.len(), base.actors.len());
        let json = |a: &ActorFixture| serde_json::to_string(a).expect("serializes");
        let mut same = 0;
        for (a, b) in fx.actors.iter().zip(&base.actors) {
            assert_eq!(a.id(), b.id());
            if touched.contains(a.id()) {
                assert_ne!(json(a), json(b), "{}", a.name());
            } else {
                assert_eq!(json(a), json(b), "{}", a.name());
                same += 1;
            }
        }
        assert_eq!(same, 36);
        let others: Vec<&Planted> = truth
            .planted
            .iter()
            .filter(|p| !QUALITY_KINDS.contains(&p.kind.as_str()))
            .collect();
        assert_eq!(others, base_truth.planted.iter().collect::<Vec<_>>());
        // The compliance controls are the same Actors either way.
        let compliance_controls = |t: &GroundTruth| -> Vec<Control> {
            t.controls
                .iter()
                .filter(|c| c.kind != CONTROL_NOISE)
                .cloned()
                .collect()
        };
        assert_eq!(
            compliance_controls(&truth),
            compliance_controls(&base_truth)
        );
    }

    #[test]
    fn switching_a_family_off_keeps_the_others_choices() {
        let all = generate(&SynthConfig::default()).1;
        for (families, kinds) in [
            (
                Families {
                    fleet: false,
                    ..Families::ALL
                },
                &KINDS[..],
            ),
            (
                Families {
                    schema: false,
                    ..Families::ALL
                },
                &SCHEMA_KINDS[..],
            ),
            (
                Families {
                    cost: false,
                    ..Families::ALL
                },
                &COST_KINDS[..],
            ),
            (
                Families {
                    compliance: false,
                    ..Families::ALL
                },
                &COMPLIANCE_KINDS[..],
            ),
        ] {
            let cfg = SynthConfig {
                families,
                ..SynthConfig::default()
            };
            let (_, truth) = generate(&cfg);
            let kept: Vec<(&str, &str)> = all
                .planted
                .iter()
                .filter(|p| !kinds.contains(&p.kind.as_str()))
                .map(|p| (p.actor_id.as_str(), p.kind.as_str()))
                .collect();
            let got: Vec<(&str, &str)> = truth
                .planted
                .iter()
                .map(|p| (p.actor_id.as_str(), p.kind.as_str()))
                .collect();
            assert_eq!(got, kept, "{families:?}");
            let kept_controls: Vec<&Control> = all
                .controls
                .iter()
                .filter(|c| families.compliance || c.kind == CONTROL_NOISE)
                .collect();
            assert_eq!(truth.controls.iter().collect::<Vec<_>>(), kept_controls);
        }
        let clean = generate(&SynthConfig {
            clean: true,
            quality_plants: Some(5),
            ..SynthConfig::default()
        })
        .1;
        assert!(clean.planted.is_empty() && clean.controls.is_empty());
        let none = generate(&SynthConfig {
            families: Families::NONE,
            ..SynthConfig::default()
        })
        .1;
        assert!(none.planted.is_empty() && none.controls.is_empty());
    }

    #[test]
    fn the_ab_difference_goes_on_one_healthy_actor_and_only_changes_its_behavior() {
        let (fx, truth) = generate(&SynthConfig::default());
        let ab: Vec<&Planted> = truth
            .planted
            .iter()
            .filter(|p| p.kind == KIND_AB_DIFFERENCE)
            .collect();
        assert_eq!(ab.len(), 1);
        let p = ab[0];
        assert_eq!(truth.of_actor(&p.actor_name).len(), 1, "no other plant");
        assert!(truth.control_of(&p.actor_name).is_none());
        let a = actor_of(&fx, p);
        let b = a.behavior.as_ref().expect("behavior");
        let d = &p.details;
        let over = &b.builds[d["buildB"].as_str().expect("buildB")];
        assert_eq!(over.success_rate, d["successRateB"].as_f64());
        assert_eq!(over.duration_factor, Some(AB_DURATION_FACTOR));
        assert_eq!(d["successRateA"].as_f64(), Some(b.success_rate));
        assert!(
            (b.success_rate - over.success_rate.unwrap_or(1.0) - AB_SUCCESS_RATE_DROP).abs() < 1e-6
        );
        assert_ne!(d["buildA"], d["buildB"]);
        assert_eq!(
            p.since.map(iso),
            a.builds
                .last()
                .map(|b| b["finishedAt"].as_str().unwrap_or("").to_owned())
        );
        // Every Actor's behavior reflects its profile; only the ab one has build overrides.
        for a in &fx.actors {
            let b = a.behavior.as_ref().expect("behavior");
            assert_eq!(b.duration_sigma, 0.25);
            assert_eq!(b.items_per_run, Some((5, 50)));
            assert!((0.2..=0.8).contains(&b.cpu_share));
            assert_eq!((b.usd_per_run, b.usd_per_compute_unit), (0.0, USD_PER_CU));
            assert_eq!(b.builds.is_empty(), a.id() != p.actor_id, "{}", a.name());
            assert!((0.5..=1.0).contains(&b.success_rate), "{}", a.name());
            assert!(b.duration_secs >= 1.0, "{}", a.name());
        }

        // Switched off: the same fleet but for that Actor's build overrides.
        let (off, off_truth) = generate(&SynthConfig {
            families: Families {
                ab: false,
                ..Families::ALL
            },
            ..SynthConfig::default()
        });
        let others: Vec<&Planted> = truth
            .planted
            .iter()
            .filter(|p| p.kind != KIND_AB_DIFFERENCE)
            .collect();
        assert_eq!(others, off_truth.planted.iter().collect::<Vec<_>>());
        assert_eq!(truth.controls, off_truth.controls);
        for (x, y) in fx.actors.iter().zip(&off.actors) {
            if x.id() == p.actor_id {
                let mut x = x.clone();
                if let Some(b) = x.behavior.as_mut() {
                    b.builds.clear();
                }
                assert_eq!(
                    serde_json::to_string(&x).ok(),
                    serde_json::to_string(y).ok()
                );
            } else {
                assert_eq!(serde_json::to_string(x).ok(), serde_json::to_string(y).ok());
            }
        }
        // The same Actor whichever other family is off; on its own with `Families::NONE`.
        for families in [
            Families {
                quality: false,
                ..Families::ALL
            },
            Families {
                fleet: false,
                schema: false,
                ..Families::ALL
            },
            Families {
                ab: true,
                ..Families::NONE
            },
        ] {
            let (_, t) = generate(&SynthConfig {
                families,
                ..SynthConfig::default()
            });
            let got: Vec<&Planted> = t
                .planted
                .iter()
                .filter(|p| p.kind == KIND_AB_DIFFERENCE)
                .collect();
            assert_eq!(got, ab, "{families:?}");
        }
        // A fleet with no Actor free of every family: an Actor only a switched-off family
        // would have planted on.
        let crowded = SynthConfig {
            seed: 11,
            actors: 30,
            families: Families {
                quality: true,
                ab: true,
                ..Families::NONE
            },
            quality_plants: Some(4),
            ..SynthConfig::default()
        };
        let all_on = generate(&SynthConfig {
            families: Families::ALL,
            ..crowded.clone()
        })
        .1;
        assert!(all_on.planted.iter().all(|p| p.kind != KIND_AB_DIFFERENCE));
        let (fx, t) = generate(&crowded);
        let ab: Vec<&Planted> = t
            .planted
            .iter()
            .filter(|p| p.kind == KIND_AB_DIFFERENCE)
            .collect();
        assert_eq!(ab.len(), 1);
        assert_eq!(t.of_actor(&ab[0].actor_name).len(), 1);
        assert!(t.control_of(&ab[0].actor_name).is_none());
        let a = actor_of(&fx, ab[0]);
        assert_eq!(
            a.builds.last().map(|b| &b["buildNumber"]),
            Some(&ab[0].details["buildB"])
        );
    }

    // --------------------------------------------------------------------------------------------
    // Compliance plants and controls.

    fn compliance_only(plants: usize) -> SynthConfig {
        SynthConfig {
            actors: 200,
            days: 30,
            families: Families {
                compliance: true,
                ..Families::NONE
            },
            compliance_plants: Some(plants),
            ..SynthConfig::default()
        }
    }

    /// The compliance-only fleet of 200 Actors with 10 plants, and the same fleet with no
    /// family at all, generated once for the tests that read them.
    fn compliance_fleets() -> &'static ((Fixture, GroundTruth), (Fixture, GroundTruth)) {
        static FLEETS: OnceLock<((Fixture, GroundTruth), (Fixture, GroundTruth))> = OnceLock::new();
        FLEETS.get_or_init(|| {
            let on = compliance_only(10);
            let off = SynthConfig {
                families: Families::NONE,
                ..on.clone()
            };
            (generate(&on), generate(&off))
        })
    }

    fn is_compliance(p: &Planted) -> bool {
        COMPLIANCE_KINDS.contains(&p.kind.as_str())
    }

    const LEGAL_WORDS: [&str; 8] = [
        "legal",
        "gdpr",
        "personal data",
        "privacy",
        "data protection",
        "lawful",
        "legitimate",
        "ccpa",
    ];
    const PII_FIELDS: [&str; 5] = ["email", "phone", "fullName", "profileUrl", "address"];

    fn legal_words(text: &str) -> Vec<&'static str> {
        let lower = text.to_lowercase();
        LEGAL_WORDS
            .iter()
            .copied()
            .filter(|w| lower.contains(w))
            .collect()
    }

    fn prefix_of(kind: &str) -> &'static str {
        match kind {
            "apify-token" => "apify_api_",
            "aws-access-key" => "AKIA",
            "github-token" => "ghp_",
            "slack-token" => "xoxb-",
            "stripe-live-key" => "sk_live_",
            "google-api-key" => "AIza",
            _ => "sk-proj-",
        }
    }

    /// Does `s` have the format of `kind` exactly (checked character by character)?
    fn secret_format_ok(kind: &str, s: &str) -> bool {
        let Some(body) = s.strip_prefix(prefix_of(kind)) else {
            return false;
        };
        let all = |b: &str, n: usize, ok: fn(char) -> bool| b.len() == n && b.chars().all(ok);
        let alnum = |c: char| c.is_ascii_alphanumeric();
        match kind {
            "apify-token" | "github-token" => all(body, 36, alnum),
            "aws-access-key" => all(body, 16, |c| {
                c.is_ascii_uppercase() || ('2'..='7').contains(&c)
            }),
            "slack-token" => {
                let parts: Vec<&str> = body.split('-').collect();
                parts.len() == 3
                    && all(parts[0], 10, |c| c.is_ascii_digit())
                    && all(parts[1], 13, |c| c.is_ascii_digit())
                    && all(parts[2], 24, alnum)
            }
            "stripe-live-key" => all(body, 24, alnum),
            "google-api-key" => all(body, 35, |c| {
                c.is_ascii_alphanumeric() || c == '_' || c == '-'
            }),
            _ => all(body, 48, alnum),
        }
    }

    /// The first credential of format `kind` in `text`: its prefix and the body characters
    /// after it.
    fn find_secret<'a>(kind: &str, text: &'a str) -> Option<&'a str> {
        let at = text.find(prefix_of(kind))?;
        let body_char = |c: char| match kind {
            "slack-token" => c.is_ascii_alphanumeric() || c == '-',
            "google-api-key" => c.is_ascii_alphanumeric() || c == '_' || c == '-',
            _ => c.is_ascii_alphanumeric(),
        };
        let rest = &text[at + prefix_of(kind).len()..];
        let len = rest.find(|c: char| !body_char(c)).unwrap_or(rest.len());
        Some(&text[at..at + prefix_of(kind).len() + len])
    }

    /// The secret a plant put in the fixture, read from the place its `location` names.
    fn planted_secret<'a>(a: &'a ActorFixture, p: &Planted) -> &'a str {
        let newest = a.builds.last().expect("builds");
        let kind = p.details["secretKind"].as_str().expect("secretKind");
        let location = p.details["location"].as_str().expect("location");
        let found = if let Some(line) = location.strip_prefix("README:") {
            let line: usize = line.parse().expect("a line number");
            let readme = newest["readme"].as_str().expect("readme");
            readme
                .lines()
                .nth(line - 1)
                .and_then(|l| find_secret(kind, l))
        } else {
            let pointer = format!("/actorDefinition/input{location}");
            newest.pointer(&pointer).and_then(Value::as_str)
        };
        let secret = found.unwrap_or_else(|| panic!("{}: no secret at {location}", p.actor_name));
        assert!(secret_format_ok(kind, secret), "{}: {kind}", p.actor_name);
        secret
    }

    fn input_of(build: &Value) -> Value {
        let text: Value = serde_json::from_str(build["inputSchema"].as_str().expect("inputSchema"))
            .expect("JSON");
        assert_eq!(text, build["actorDefinition"]["input"]);
        text
    }

    fn readme_of(build: &Value) -> &str {
        let readme = build["readme"].as_str().expect("readme");
        assert_eq!(build["actorDefinition"]["readme"], readme);
        readme
    }

    fn dataset_fields(build: &Value) -> Vec<String> {
        build["actorDefinition"]["storages"]["dataset"]["fields"]["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn words(text: &str) -> usize {
        text.split_whitespace().count()
    }

    #[test]
    fn compliance_only_fleet_plants_exactly_the_asked_plants_and_controls() {
        let ((fx, truth), _) = compliance_fleets();
        assert_eq!(fx.actors.len(), 200);
        assert_eq!(truth.planted.len(), 10, "{:#?}", truth.planted);
        assert!(truth.planted.iter().all(is_compliance));
        for kind in COMPLIANCE_KINDS {
            let n = truth.planted.iter().filter(|p| p.kind == kind).count();
            assert_eq!(n, 2, "{kind}");
        }
        assert_eq!(truth.controls.len(), 10);
        for kind in [CONTROL_PII_WITH_LEGAL_NOTE, CONTROL_PLACEHOLDER_SECRET] {
            let n = truth.controls.iter().filter(|c| c.kind == kind).count();
            assert_eq!(n, 5, "{kind}");
        }
        let planted: HashSet<&str> = truth.planted.iter().map(|p| p.actor_id.as_str()).collect();
        let controls: HashSet<&str> = truth.controls.iter().map(|c| c.actor_id.as_str()).collect();
        assert_eq!(planted.len(), 10, "one plant per Actor");
        assert_eq!(controls.len(), 10);
        assert!(planted.is_disjoint(&controls));
        for p in &truth.planted {
            let a = actor_of(fx, p);
            assert_eq!(a.name(), p.actor_name);
            let newest = a.builds.last().expect("builds");
            assert_eq!(newest["status"], "SUCCEEDED");
            assert_eq!(p.details["buildNumber"], newest["buildNumber"]);
            assert_eq!(p.details["buildId"], newest["id"]);
            assert!(p.since.is_some());
            let keys: Vec<&str> = p
                .details
                .as_object()
                .expect("details")
                .keys()
                .map(String::as_str)
                .collect();
            let expected: &[&str] = match p.kind.as_str() {
                KIND_SECRET_IN_INPUT | KIND_SECRET_IN_README => {
                    &["location", "secretKind", "fingerprint"]
                }
                KIND_MISSING_IS_SECRET => &["property", "location"],
                KIND_PII_NO_LEGAL_NOTE => &["fields"],
                _ => &["readmeChars", "readmeWords"],
            };
            for k in expected {
                assert!(keys.contains(k), "{}: {k} in {keys:?}", p.kind);
            }
        }
        // Public: the stub and personal-data plants and the legal-note controls, nothing else.
        let public: HashSet<&str> = truth
            .planted
            .iter()
            .filter(|p| p.kind == KIND_STUB_README || p.kind == KIND_PII_NO_LEGAL_NOTE)
            .map(|p| p.actor_id.as_str())
            .chain(
                truth
                    .controls
                    .iter()
                    .filter(|c| c.kind == CONTROL_PII_WITH_LEGAL_NOTE)
                    .map(|c| c.actor_id.as_str()),
            )
            .collect();
        assert_eq!(public.len(), 9);
        for a in &fx.actors {
            assert_eq!(
                a.actor["isPublic"] == true,
                public.contains(a.id()),
                "{}",
                a.name()
            );
        }

        let (again, truth_again) = generate(&compliance_only(10));
        assert_eq!(&truth_again, truth);
        assert_eq!(again.to_json(), fx.to_json());
        let back: GroundTruth = serde_json::from_str(&truth.to_json_pretty()).expect("parses");
        assert_eq!(&back, truth);
        // About one per 20 Actors by default, from 20 Actors; none below.
        let count = |actors: usize| {
            let t = generate(&SynthConfig {
                actors,
                days: 10,
                compliance_plants: None,
                ..compliance_only(0)
            })
            .1;
            (t.planted.len(), t.controls.len())
        };
        assert_eq!(count(19), (0, 0));
        assert_eq!(count(20), (1, 2));
        assert_eq!(count(100), (5, 5));
    }

    #[test]
    fn compliance_plants_are_in_the_fixture_and_change_nothing_else() {
        let ((fx, truth), (base, _)) = compliance_fleets();
        let json = |v: &Value| serde_json::to_string(v).expect("serializes");
        for p in &truth.planted {
            let a = actor_of(fx, p);
            let b = actor_of(base, p);
            let who = &p.actor_name;
            assert_eq!(a.builds.len(), b.builds.len());
            let (newest, base_newest) =
                (&a.builds[a.builds.len() - 1], &b.builds[b.builds.len() - 1]);
            let older = a.builds.len() - 1;
            let (input, base_input) = (input_of(newest), input_of(base_newest));
            let (readme, base_readme) = (readme_of(newest), readme_of(base_newest));
            match p.kind.as_str() {
                KIND_SECRET_IN_INPUT => {
                    let secret = planted_secret(a, p);
                    let key = &input["properties"]["apiKey"];
                    assert_eq!(key["prefill"], secret);
                    assert_eq!(key["isSecret"], true);
                    // Every older build has the property, without a value: the drift between the
                    // two newest builds is the prefill only.
                    for old in &a.builds[..older] {
                        let old_key = &input_of(old)["properties"]["apiKey"];
                        assert_eq!(old_key["isSecret"], true, "{who}");
                        assert!(
                            old_key.get("prefill").is_none() && old_key.get("default").is_none()
                        );
                    }
                    let mut without = input.clone();
                    if let Some(k) = without["properties"]["apiKey"].as_object_mut() {
                        k.shift_remove("prefill");
                    }
                    assert_eq!(without, base_input, "{who}");
                    assert_eq!(readme, base_readme);
                }
                KIND_SECRET_IN_README => {
                    let secret = planted_secret(a, p);
                    assert!(readme.starts_with(base_readme), "{who}");
                    assert!(readme.len() > base_readme.len());
                    assert_eq!(input, base_input);
                    assert!(!input.to_string().contains(secret));
                }
                KIND_MISSING_IS_SECRET => {
                    let name = p.details["property"].as_str().expect("property");
                    assert!(NOT_SECRET_PROPERTIES.contains(&name));
                    assert_eq!(p.details["location"], format!("/properties/{name}"));
                    let prop = &input["properties"][name];
                    assert_eq!(prop["type"], "string", "{who}");
                    assert!(prop.get("isSecret").is_none(), "{who}");
                    assert!(prop.get("default").is_none() && prop.get("prefill").is_none());
                    assert!(prop["title"].is_string() && prop["description"].is_string());
                    match base_input["properties"].get(name) {
                        Some(was) => assert_eq!(was["isSecret"], true, "{who}"),
                        None => assert_ne!(name, "apiKey", "{who}"),
                    }
                    let (mut x, mut y) = (input.clone(), base_input.clone());
                    for s in [&mut x, &mut y] {
                        if let Some(props) = s["properties"].as_object_mut() {
                            props.shift_remove(name);
                        }
                    }
                    assert_eq!(x, y, "{who}: only {name} differs");
                    assert_eq!(readme, base_readme);
                }
                KIND_PII_NO_LEGAL_NOTE => {
                    let fields: Vec<&str> = p.details["fields"]
                        .as_array()
                        .expect("fields")
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    assert!(
                        fields.contains(&"email")
                            || fields.contains(&"phone")
                            || fields.contains(&"address")
                            || (fields.contains(&"fullName") && fields.contains(&"profileUrl")),
                        "{fields:?}"
                    );
                    assert_eq!(a.actor["isPublic"], true);
                    for (x, y) in a.builds.iter().zip(&b.builds) {
                        let (have, had) = (dataset_fields(x), dataset_fields(y));
                        for f in &fields {
                            assert!(have.iter().any(|h| h == f), "{who}: {f}");
                            assert!(!had.iter().any(|h| h == f), "{who}: {f}");
                        }
                        assert_eq!(input_of(x), input_of(y));
                        let r = readme_of(x);
                        assert!(legal_words(r).is_empty(), "{who}: {:?}", legal_words(r));
                        assert!(words(r) >= 300, "{who}: {} words", words(r));
                        assert!(r.contains("\n## Input\n") && r.contains("\n## Output\n"));
                    }
                }
                _ => {
                    assert_eq!(p.kind, KIND_STUB_README);
                    assert_eq!(a.actor["isPublic"], true);
                    for (x, y) in a.builds.iter().zip(&b.builds) {
                        let r = readme_of(x);
                        let title = format!("# {}\n\n", a.actor["title"].as_str().unwrap_or(""));
                        assert!(r.starts_with(&title), "{who}: {r}");
                        assert!(words(r) <= 8, "{who}: {r}");
                        assert_eq!(input_of(x), input_of(y));
                        assert_eq!(dataset_fields(x), dataset_fields(y));
                    }
                    assert_eq!(p.details["readmeChars"], readme.chars().count());
                    assert_eq!(p.details["readmeWords"], words(readme));
                }
            }
            // Secret and hygiene plants change the newest build only, and not the Actor.
            if matches!(
                p.kind.as_str(),
                KIND_SECRET_IN_INPUT | KIND_SECRET_IN_README | KIND_MISSING_IS_SECRET
            ) {
                assert_eq!(json(&a.actor), json(&b.actor), "{who}");
                for (x, y) in a.builds[..older].iter().zip(&b.builds[..older]) {
                    assert_eq!(json(x), json(y), "{who}");
                }
                assert_ne!(json(newest), json(base_newest));
            }
            // Runs, datasets and behavior are untouched.
            assert_eq!(
                serde_json::to_string(&a.runs).ok(),
                serde_json::to_string(&b.runs).ok()
            );
            assert_eq!(
                serde_json::to_string(&a.behavior).ok(),
                serde_json::to_string(&b.behavior).ok()
            );
        }
        for c in &truth.controls {
            let a = fx
                .actors
                .iter()
                .find(|a| a.id() == c.actor_id)
                .expect("control");
            let who = &c.actor_name;
            match c.kind.as_str() {
                CONTROL_PII_WITH_LEGAL_NOTE => {
                    assert_eq!(a.actor["isPublic"], true);
                    for x in &a.builds {
                        let have = dataset_fields(x);
                        assert!(
                            PII_FIELDS.iter().any(|f| have.iter().any(|h| h == f)),
                            "{who}"
                        );
                        let r = readme_of(x);
                        assert!(r.contains("## Is it legal to scrape"), "{who}");
                        let found = legal_words(r);
                        for w in ["legal", "gdpr", "personal data"] {
                            assert!(found.contains(&w), "{who}: {w}");
                        }
                        assert!(words(r) >= 300);
                    }
                }
                CONTROL_PLACEHOLDER_SECRET => {
                    assert_eq!(a.actor["isPublic"], false);
                    for x in &a.builds {
                        let token = &input_of(x)["properties"]["apiToken"];
                        assert_eq!(token["isSecret"], true, "{who}");
                        assert_eq!(token["type"], "string");
                        assert!(token.get("prefill").is_none() && token.get("default").is_none());
                        let r = readme_of(x);
                        assert!(
                            r.contains("YOUR_APIFY_TOKEN") && r.contains("<token>"),
                            "{who}"
                        );
                    }
                    // No credential of any format anywhere in the Actor.
                    let text = serde_json::to_string(a).expect("serializes");
                    for kind in SECRET_KINDS {
                        assert!(
                            find_secret(kind, &text).is_none_or(|s| !secret_format_ok(kind, s)),
                            "{who}: {kind}"
                        );
                    }
                }
                other => panic!("control {other}"),
            }
        }
        // Every other Actor is as it was: private, a two-line README, no personal data.
        let touched: HashSet<&str> = truth
            .planted
            .iter()
            .map(|p| p.actor_id.as_str())
            .chain(truth.controls.iter().map(|c| c.actor_id.as_str()))
            .collect();
        let mut same = 0;
        for (a, b) in fx.actors.iter().zip(&base.actors) {
            assert_eq!(a.id(), b.id());
            if touched.contains(a.id()) {
                assert_ne!(serde_json::to_string(a).ok(), serde_json::to_string(b).ok());
                continue;
            }
            assert_eq!(serde_json::to_string(a).ok(), serde_json::to_string(b).ok());
            assert_eq!(a.actor["isPublic"], false);
            for x in &a.builds {
                assert_eq!(readme_of(x).lines().count(), 3, "{}", a.name());
                let have = dataset_fields(x);
                assert!(!PII_FIELDS.iter().any(|f| have.iter().any(|h| h == f)));
            }
            same += 1;
        }
        assert_eq!(same, 180);
    }

    #[test]
    fn secrets_rotate_through_every_format_and_the_ground_truth_never_holds_one() {
        let (fx, truth) = generate(&compliance_only(40));
        let truth_text = truth.to_json_pretty();
        let fixture_text = fx.to_json();
        let mut kinds: HashSet<&str> = HashSet::new();
        let mut secrets: HashSet<&str> = HashSet::new();
        for p in truth
            .planted
            .iter()
            .filter(|p| p.kind == KIND_SECRET_IN_INPUT || p.kind == KIND_SECRET_IN_README)
        {
            let a = actor_of(&fx, p);
            let secret = planted_secret(a, p);
            let kind = p.details["secretKind"].as_str().expect("secretKind");
            kinds.insert(kind);
            assert!(secrets.insert(secret), "a secret is used once");
            let chars: Vec<char> = secret.chars().collect();
            let head: String = chars[..4].iter().collect();
            let tail: String = chars[chars.len() - 2..].iter().collect();
            assert_eq!(p.details["fingerprint"], format!("{head}…{tail}"));
            // Not the secret, nor any 8 characters of it past its public prefix.
            let body: Vec<char> = secret[prefix_of(kind).len()..].chars().collect();
            for w in body.windows(8) {
                let w: String = w.iter().collect();
                assert!(!truth_text.contains(&w), "{}: {w}", p.actor_name);
            }
            // In the fixture twice: `inputSchema` and `actorDefinition.input`, or `readme`
            // and `actorDefinition.readme` of the newest build; nowhere else.
            assert_eq!(fixture_text.matches(secret).count(), 2, "{}", p.actor_name);
            let newest = a.builds.last().expect("builds").to_string();
            assert_eq!(newest.matches(secret).count(), 2);
        }
        let all: HashSet<&str> = SECRET_KINDS.iter().copied().collect();
        assert_eq!(kinds, all);
        // The secret formats are what a scanner expects of them.
        let mut rng = StdRng::seed_from_u64(7);
        for (k, kind) in SECRET_KINDS.iter().enumerate() {
            for _ in 0..200 {
                let s = draw_secret(&mut rng, k);
                assert!(secret_format_ok(kind, &s), "{kind}: {s}");
                assert_eq!(find_secret(kind, &format!("x={s}\n")), Some(s.as_str()));
            }
        }
    }

    #[test]
    fn compliance_plants_leave_every_other_actor_as_it_was() {
        let with = SynthConfig::default();
        let without = SynthConfig {
            families: Families {
                compliance: false,
                ..Families::ALL
            },
            ..SynthConfig::default()
        };
        let (fx, truth) = generate(&with);
        let (base, base_truth) = generate(&without);
        assert!(base_truth.planted.iter().all(|p| !is_compliance(p)));
        let compliance: Vec<&Planted> = truth.planted.iter().filter(|p| is_compliance(p)).collect();
        assert_eq!(compliance.len(), 2, "round(40 / 20)");
        let kinds: Vec<&str> = compliance.iter().map(|p| p.kind.as_str()).collect();
        let mut sorted = kinds.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [KIND_PII_NO_LEGAL_NOTE, KIND_SECRET_IN_README]);
        // Three plants from 60 Actors: a secret in the input schema comes third.
        let sixty = generate(&SynthConfig {
            actors: 60,
            days: 20,
            ..SynthConfig::default()
        })
        .1;
        let mut kinds: Vec<&str> = sixty
            .planted
            .iter()
            .filter(|p| is_compliance(p))
            .map(|p| p.kind.as_str())
            .collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                KIND_PII_NO_LEGAL_NOTE,
                KIND_SECRET_IN_INPUT,
                KIND_SECRET_IN_README
            ]
        );
        let controls: Vec<&Control> = truth
            .controls
            .iter()
            .filter(|c| c.kind != CONTROL_NOISE)
            .collect();
        assert_eq!(controls.len(), 2);
        let touched: HashSet<&str> = compliance
            .iter()
            .map(|p| p.actor_id.as_str())
            .chain(controls.iter().map(|c| c.actor_id.as_str()))
            .collect();
        assert_eq!(touched.len(), 4);
        // Neither plants nor controls go on Actors with another plant or control.
        assert!(base_truth
            .planted
            .iter()
            .all(|p| !touched.contains(p.actor_id.as_str())));
        assert!(base_truth
            .controls
            .iter()
            .all(|c| !touched.contains(c.actor_id.as_str())));
        assert_eq!(fx.user, base.user);
        assert_eq!(
            serde_json::to_string(&fx.tokens).ok(),
            serde_json::to_string(&base.tokens).ok()
        );
        let json = |a: &ActorFixture| serde_json::to_string(a).expect("serializes");
        let mut same = 0;
        for (a, b) in fx.actors.iter().zip(&base.actors) {
            assert_eq!(a.id(), b.id());
            if touched.contains(a.id()) {
                assert_ne!(json(a), json(b), "{}", a.name());
            } else {
                assert_eq!(json(a), json(b), "{}", a.name());
                same += 1;
            }
        }
        assert_eq!(same, 36);
        let others: Vec<&Planted> = truth.planted.iter().filter(|p| !is_compliance(p)).collect();
        assert_eq!(others, base_truth.planted.iter().collect::<Vec<_>>());
        let noise: Vec<&Control> = truth
            .controls
            .iter()
            .filter(|c| c.kind == CONTROL_NOISE)
            .collect();
        assert_eq!(noise, base_truth.controls.iter().collect::<Vec<_>>());

        // The same Actors whichever other family is off, and with compliance alone.
        let chosen = |t: &GroundTruth| -> Vec<(String, String)> {
            t.planted
                .iter()
                .filter(|p| is_compliance(p))
                .map(|p| (p.actor_id.clone(), p.kind.clone()))
                .chain(
                    t.controls
                        .iter()
                        .filter(|c| c.kind != CONTROL_NOISE)
                        .map(|c| (c.actor_id.clone(), c.kind.clone())),
                )
                .collect()
        };
        let expected = chosen(&truth);
        for families in [
            Families {
                quality: false,
                ab: false,
                ..Families::ALL
            },
            Families {
                fleet: false,
                schema: false,
                cost: false,
                ..Families::ALL
            },
            Families {
                compliance: true,
                ..Families::NONE
            },
        ] {
            let (_, t) = generate(&SynthConfig {
                families,
                ..SynthConfig::default()
            });
            assert_eq!(chosen(&t), expected, "{families:?}");
        }
    }
}
