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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Behavior {
    /// Probability in [0, 1] that a run SUCCEEDS (otherwise it FAILS with exit code 1).
    pub success_rate: f64,
    /// Reported run time in seconds.
    pub duration_secs: f64,
    /// Reported `usageTotalUsd` of a run.
    pub usd_per_run: f64,
    /// Items written to the run's default dataset.
    pub items: Vec<Value>,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            success_rate: 1.0,
            duration_secs: 1.0,
            usd_per_run: 0.0,
            items: Vec::new(),
        }
    }
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
