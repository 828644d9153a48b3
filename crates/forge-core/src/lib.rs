//! The pure core of apifyforge: the platform's nouns, the evidence a tool collects, and the
//! analyses that turn evidence into findings.
//!
//! Nothing in this crate does I/O, reads a clock, or draws an unseeded random number: every
//! analysis is a function of its arguments (`now` is one of them), so the platform flow and the
//! CLI flow produce the same bytes from the same evidence.
//!
//! - [`model`]: runs, builds and actors, named as the Apify platform names them.
//! - [`histogram`] and [`aggregate`]: streaming aggregation of run lists in bounded memory.
//! - [`stats`]: intervals, exact tests and multiple-testing control.
//! - [`changepoint`]: when a failure rate or a per-run metric changed (Bernoulli CUSUM, PELT,
//!   E-divisive with t-tests).
//! - [`permission`]: the five scoped token permissions and what each one enables.
//! - [`signal`]: the common currency every tool speaks, and the decision contract of `OUTPUT`.
//! - [`input`]: Apify input schemas: validation with defaults, errors that name the field.
//! - [`ids`]: IDs, names, builds and record keys checked by the platform's rules before they
//!   reach a URL; input fields that would redirect the client refused.
//! - [`schema`]: breaking changes between two schemas (input, dataset, output) and the input-schema lint.
//! - [`experiment`]: A/B tests of two actor variants (success rate, relative and log-ratio lift,
//!   SRM, power, always-valid intervals, the verdict).
//! - [`analyses`]: one module per tool.
//!
//! ```
//! use forge_core::stats::wilson_interval;
//! let (lo, hi) = wilson_interval(45, 50, 1.96);
//! assert!(lo < 0.9 && 0.9 < hi);
//! ```

pub mod aggregate;
pub mod analyses;
pub mod changepoint;
pub mod experiment;
pub mod histogram;
pub mod ids;
pub mod input;
pub mod model;
pub mod permission;
pub mod schema;
pub mod signal;
pub mod stats;
