//! The Actors this binary can act as: the emulator starts `apifyforge actor <tool>` when it
//! plays the platform, and `apifyforge run <tool>` is the CLI flow. Same code either way.

use forge_runtime::actor::{RunOptions, Tool};
use forge_runtime::{run_tool, Flow};
use std::path::PathBuf;

/// Every tool this build contains.
pub const TOOLS: &[&str] = &[fleet_analytics_name()];

const fn fleet_analytics_name() -> &'static str {
    <fleet_analytics::FleetAnalytics as Tool>::NAME
}

/// Runs `tool` and returns its exit code; `None` for an unknown tool.
pub async fn run(tool: &str, flow: Option<Flow>, input_file: Option<PathBuf>) -> Option<i32> {
    let options = RunOptions { input_file, flow };
    match tool {
        t if t == fleet_analytics_name() => {
            Some(run_tool(&fleet_analytics::FleetAnalytics, options).await)
        }
        _ => None,
    }
}
