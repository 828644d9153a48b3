//! The account fixture the emulator serves: a user, tokens, and Actors with their builds, runs and
//! dataset items, all in the JSON shapes the Apify API returns.
//!
//! Runs and dataset items are kept as compact JSON text ([`RawJson`]) rather than parsed trees:
//! a synthetic fleet can hold a million runs, and a parsed `serde_json::Value` per run would cost
//! gigabytes and seconds.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// Why a fixture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// A whole account as the emulator serves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fixture {
    /// The `UserPrivateInfo` object `GET /v2/users/me` returns.
    pub user: Value,
    #[serde(default)]
    pub tokens: Vec<TokenSpec>,
    #[serde(default)]
    pub actors: Vec<ActorFixture>,
}

impl Fixture {
    pub fn from_json(text: &str) -> Result<Fixture, FixtureError> {
        Ok(serde_json::from_str(text)?)
    }

    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data (strings, numbers, maps with string keys) cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Compact serialization (about a third the size of the pretty one for big fleets).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The user's id (`user.id`), or "" when the fixture has none.
    pub fn user_id(&self) -> &str {
        self.user.get("id").and_then(Value::as_str).unwrap_or("")
    }

    /// The user's username (`user.username`), or "" when the fixture has none.
    pub fn username(&self) -> &str {
        self.user
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The token with this id, if any.
    pub fn token(&self, id: &str) -> Option<&TokenSpec> {
        self.tokens.iter().find(|t| t.id == id)
    }

    /// The Actor with this name, if any.
    pub fn actor(&self, name: &str) -> Option<&ActorFixture> {
        self.actors.iter().find(|a| a.name() == name)
    }
}

/// An API token and what it may do.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenSpec {
    /// A name for the token that is safe to log (the audit log records it).
    /// Missing ids are filled in as `token-<index>` when the emulator loads the fixture.
    #[serde(default)]
    pub id: String,
    /// The secret value, sent as `Authorization: Bearer <token>`.
    pub token: String,
    pub permissions: Permissions,
}

impl fmt::Debug for TokenSpec {
    // Never print the secret, even in test failure output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSpec")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("permissions", &self.permissions)
            .finish()
    }
}

pub use forge_core::permission::Permission;

/// `"full"` or a list of scoped permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permissions {
    Full,
    Scoped(Vec<Permission>),
}

impl Permissions {
    /// Whether this grant includes `p` (storage write implies storage read, as on Apify).
    pub fn allows(&self, p: Permission) -> bool {
        match self {
            Permissions::Full => true,
            Permissions::Scoped(list) => {
                list.contains(&p)
                    || (p == Permission::StoragesRead && list.contains(&Permission::StoragesWrite))
            }
        }
    }

    /// All five scoped permissions, as a scoped token (not "full").
    pub fn all_scoped() -> Permissions {
        Permissions::Scoped(Permission::ALL.to_vec())
    }

    /// All five scoped permissions except `missing`, and except what would imply it: without
    /// `storages:read` there is no `storages:write` either (on Apify, Write implies Read).
    pub fn all_but(missing: Permission) -> Permissions {
        Permissions::Scoped(
            Permission::ALL
                .into_iter()
                .filter(|p| *p != missing)
                .filter(|p| {
                    !(missing == Permission::StoragesRead && *p == Permission::StoragesWrite)
                })
                .collect(),
        )
    }
}

impl Serialize for Permissions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Permissions::Full => s.serialize_str("full"),
            Permissions::Scoped(list) => list.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Word(String),
            List(Vec<Permission>),
        }
        match Repr::deserialize(d)? {
            Repr::Word(w) if w == "full" => Ok(Permissions::Full),
            Repr::Word(w) => Err(D::Error::custom(format!(
                "permissions must be \"full\" or a list, got {w:?}"
            ))),
            Repr::List(list) => Ok(Permissions::Scoped(list)),
        }
    }
}

/// One Actor with its builds, past runs, the items of those runs' datasets and how new runs behave.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorFixture {
    /// The `Actor` object `GET /v2/actors/{id}` returns.
    pub actor: Value,
    /// Full `Build` objects (with `actorDefinition` and `inputSchema`).
    #[serde(default)]
    pub builds: Vec<Value>,
    /// Full `Run` objects as `GET /v2/actor-runs/{id}` returns them.
    #[serde(default)]
    pub runs: Vec<RawJson>,
    /// Dataset id -> JSON array of items (the default datasets of some of those runs).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub datasets: BTreeMap<String, RawJson>,
    /// How a new run behaves when no process is configured for this Actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<Behavior>,
}

impl ActorFixture {
    pub fn id(&self) -> &str {
        self.actor.get("id").and_then(Value::as_str).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.actor.get("name").and_then(Value::as_str).unwrap_or("")
    }
}

/// How a simulated new run behaves (used when no `actor_commands` entry exists for the Actor).
///
/// A simulated run finishes as soon as it starts (in wall-clock time) and reports the figures
/// drawn here. Every field is optional in the fixture JSON (camelCase names); the fields added
/// after the first four are left out of the JSON when they have their default, so older
/// fixtures read and write the same.
///
/// A run of build `b` with `m` MB of memory (the `build` and `memory` query parameters, else
/// the Actor's `defaultRunOptions`; `ref` = `defaultRunOptions.memoryMbytes`, else 1024) and
/// the override `o = builds[b]` (if any):
///
/// * SUCCEEDED with probability `o.success_rate` (else [`Behavior::success_rate`]), else
///   FAILED with exit code 1;
/// * run time `duration_secs × o.duration_factor × (cpu_share × ref/m + 1 − cpu_share) ×
///   exp(duration_sigma × z)`, `z` standard normal (so `duration_secs` is the median); a run
///   time above the run's timeout makes the run TIMED-OUT after exactly the timeout, whatever
///   the success draw said. FAILED runs report the same run time as SUCCEEDED ones;
/// * `usageTotalUsd`: `usd_per_run` when it is not 0 or when `usd_per_compute_unit` is 0
///   (the fixed price of old fixtures), else `m/1024 × run time/3600 × usd_per_compute_unit`
///   (1 compute unit = 1 GB-hour);
/// * dataset items: without `items_per_run`, the `items` as they are, whatever the status (as
///   before); with it, a SUCCEEDED run writes `n` items, `n` uniform in
///   `[lo × o.items_factor, hi × o.items_factor]` (rounded), cycling the `items` templates and
///   adding a hidden field `"#": i` (0-based index; `#` fields are dropped by `clean=1`); a
///   template that is not an object is written as `{"#": i, "value": template}`, no templates
///   give `{"#": i}`; FAILED and TIMED-OUT runs write nothing. `usage.DATASET_WRITES` is the
///   number written.
///
/// The random draws are seeded: see the emulator's `EmulatorConfig::seed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Behavior {
    /// Probability in [0, 1] that a run SUCCEEDS (otherwise it FAILS with exit code 1).
    pub success_rate: f64,
    /// Reported run time in seconds (the median when `duration_sigma` > 0), at the reference
    /// memory.
    pub duration_secs: f64,
    /// Reported `usageTotalUsd` of a run (a fixed price; see `usd_per_compute_unit`).
    pub usd_per_run: f64,
    /// Items written to the run's default dataset (templates when `items_per_run` is set).
    pub items: Vec<Value>,
    /// σ of the log-normal noise of the run time (0: always `duration_secs`).
    #[serde(skip_serializing_if = "is_zero")]
    pub duration_sigma: f64,
    /// `[lo, hi]`: a SUCCEEDED run writes a number of items drawn uniformly in this range
    /// (inclusive). None: `items` as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items_per_run: Option<(u32, u32)>,
    /// Share in [0, 1] of the run time that scales inversely with memory (CPU-bound work: an
    /// Actor gets CPU in proportion to its memory); the rest does not depend on memory.
    /// 0: memory does not change the run time.
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_share: f64,
    /// USD per compute unit (1 GB-hour) of a run, used when `usd_per_run` is 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub usd_per_compute_unit: f64,
    /// Build number (e.g. `0.1.3`) -> how runs of that build differ.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub builds: BTreeMap<String, BuildBehavior>,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            success_rate: 1.0,
            duration_secs: 1.0,
            usd_per_run: 0.0,
            items: Vec::new(),
            duration_sigma: 0.0,
            items_per_run: None,
            cpu_share: 0.0,
            usd_per_compute_unit: 0.0,
            builds: BTreeMap::new(),
        }
    }
}

/// How the simulated runs of one build differ from the Actor's [`Behavior`] (each field: None
/// keeps the Actor's value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BuildBehavior {
    /// Replaces [`Behavior::success_rate`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    /// Multiplies the run time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_factor: Option<f64>,
    /// Multiplies both ends of [`Behavior::items_per_run`] (no effect without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items_factor: Option<f64>,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// A JSON value kept as its compact text.
///
/// Serializes and deserializes as the JSON value itself; convert with `From<Value>` /
/// [`RawJson::to_value`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Wraps JSON text; fails if it is not valid JSON.
    pub fn from_string(text: String) -> Result<RawJson, serde_json::Error> {
        Ok(RawJson(RawValue::from_string(text)?))
    }

    /// The compact JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses the text into a `Value` (`Value::Null` never happens for valid JSON text).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.get()).unwrap_or(Value::Null)
    }

    pub(crate) fn into_raw(self) -> Box<RawValue> {
        self.0
    }
}

impl From<Value> for RawJson {
    fn from(v: Value) -> Self {
        RawJson::from(&v)
    }
}

impl From<&Value> for RawJson {
    fn from(v: &Value) -> Self {
        // A Value always serializes to valid JSON text.
        let text = v.to_string();
        RawJson(RawValue::from_string(text).unwrap_or_else(|_| null_raw()))
    }
}

pub(crate) fn null_raw() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("`null` is valid JSON")
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}
