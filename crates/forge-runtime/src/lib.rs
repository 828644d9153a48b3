//! The Actor runtime of apifyforge: the thin, I/O-doing shell around the pure core.
//!
//! One code path serves the Apify platform and the user's own machine (the CLI flow):
//! [`actor::run_tool`] reads the environment ([`env`]), the token (only ever as a
//! `SecretString`), and `INPUT` (validated against the tool's own input schema, defaults
//! applied), collects evidence through a [`source::FleetSource`] (apify-client, bounded
//! concurrency, per-resource rate limits, streaming aggregation), lets the tool analyse it,
//! and writes `OUTPUT`, `SIGNALS`, `SNAPSHOT` and dataset rows to [`storage::Storage`]:
//! the run's default key-value store and dataset on the platform, Apify's local storage
//! layout on a laptop.
//!
//! Data access is enforced here, in types: every request carries the token in the
//! `Authorization` header ([`transport`] refuses a URL with `token=`), a 403 becomes
//! [`error::RuntimeError::MissingPermission`] naming the scoped permission, and dataset items
//! can only be read through an [`owned::OwnedRun`], which only code that started the run holds.
//!
//! A run survives the platform's migrations: [`events`] reads the events websocket and
//! SIGTERM, [`resume`] keeps the run's progress (child runs, charges, rows) in its `STATE`
//! record so a restarted process resumes, and [`charging`] charges pay-per-event events with
//! idempotency keys from the run's own sequence, within `ACTOR_MAX_TOTAL_CHARGE_USD`.

pub mod actor;
pub mod charging;
pub mod client;
pub mod doctor;
pub mod env;
pub mod error;
pub mod events;
pub mod notify;
pub mod owned;
pub mod progress;
pub mod resume;
pub mod secrets;
pub mod source;
pub mod storage;
pub mod transport;

pub use actor::{run_tool, Context, Emission, Flow, Tool};
pub use error::RuntimeError;
pub use forge_core::permission::Permission;
