//! The `apifyforge` command line as a library: the tools it can act as, the demo, and the
//! scoring of findings against a synthetic fleet's ground truth. `main.rs` only parses
//! arguments and maps results to exit codes.

pub mod audit;
pub mod demo;
pub mod detection;
pub mod reliability;
pub mod tools;
pub mod ui;
