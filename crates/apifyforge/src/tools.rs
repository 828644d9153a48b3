//! The Actors this binary can act as: the emulator starts `apifyforge actor <tool>` when it
//! plays the platform, and `apifyforge run <tool>` is the CLI flow. Same code either way.

use ab_tester::AbTester;
use compliance_scanner::ComplianceScanner;
use cost_watchdog::CostWatchdog;
use fleet_analytics::FleetAnalytics;
use forge_runtime::actor::{RunOptions, Tool};
use forge_runtime::{run_tool, Flow};
use quality_monitor::QualityMonitor;
use release_gate::ReleaseGate;
use schema_validator::SchemaValidator;
use std::path::PathBuf;

/// Every tool this build contains.
pub const TOOLS: &[&str] = &[
    FleetAnalytics::NAME,
    SchemaValidator::NAME,
    ReleaseGate::NAME,
    CostWatchdog::NAME,
    QualityMonitor::NAME,
    AbTester::NAME,
    ComplianceScanner::NAME,
];

/// A tool's embedded input schema (for the emulator's copy of the published Actor).
pub fn input_schema(tool: &str) -> Option<&'static str> {
    Some(match tool {
        FleetAnalytics::NAME => FleetAnalytics::INPUT_SCHEMA,
        SchemaValidator::NAME => SchemaValidator::INPUT_SCHEMA,
        ReleaseGate::NAME => ReleaseGate::INPUT_SCHEMA,
        CostWatchdog::NAME => CostWatchdog::INPUT_SCHEMA,
        QualityMonitor::NAME => QualityMonitor::INPUT_SCHEMA,
        AbTester::NAME => AbTester::INPUT_SCHEMA,
        ComplianceScanner::NAME => ComplianceScanner::INPUT_SCHEMA,
        _ => return None,
    })
}

/// The scoped permissions a tool asks for, and nothing more.
pub fn permissions(tool: &str) -> &'static [forge_runtime::Permission] {
    match tool {
        FleetAnalytics::NAME => FleetAnalytics::PERMISSIONS,
        SchemaValidator::NAME => SchemaValidator::PERMISSIONS,
        ReleaseGate::NAME => ReleaseGate::PERMISSIONS,
        CostWatchdog::NAME => CostWatchdog::PERMISSIONS,
        QualityMonitor::NAME => QualityMonitor::PERMISSIONS,
        AbTester::NAME => AbTester::PERMISSIONS,
        ComplianceScanner::NAME => ComplianceScanner::PERMISSIONS,
        _ => &[],
    }
}

/// Permissions only an optional feature of a tool uses, with the feature's name.
pub fn optional_permissions(tool: &str) -> &'static [(forge_runtime::Permission, &'static str)] {
    match tool {
        FleetAnalytics::NAME => FleetAnalytics::OPTIONAL_PERMISSIONS,
        SchemaValidator::NAME => SchemaValidator::OPTIONAL_PERMISSIONS,
        ReleaseGate::NAME => ReleaseGate::OPTIONAL_PERMISSIONS,
        CostWatchdog::NAME => CostWatchdog::OPTIONAL_PERMISSIONS,
        QualityMonitor::NAME => QualityMonitor::OPTIONAL_PERMISSIONS,
        AbTester::NAME => AbTester::OPTIONAL_PERMISSIONS,
        ComplianceScanner::NAME => ComplianceScanner::OPTIONAL_PERMISSIONS,
        _ => &[],
    }
}

/// One line on what a tool answers, for `--help`.
pub fn describe(tool: &str) -> &'static str {
    match tool {
        FleetAnalytics::NAME => {
            "fleet overview, Fleet Health Score, trends; with `specialists`, one Action Plan"
        }
        SchemaValidator::NAME => "lints input schemas and classifies the drift between builds",
        ReleaseGate::NAME => "PASS, WARN or BLOCK for a candidate build (exit code 3 on BLOCK)",
        CostWatchdog::NAME => "spend, month-end projection, cost anomalies, memory right-sizing",
        QualityMonitor::NAME => "week-over-week regressions: failures, duration, cost, empty runs",
        AbTester::NAME => "which of two builds, memory settings, inputs or actors is better",
        ComplianceScanner::NAME => "leaked secrets, personal data, Store listing problems",
        _ => "",
    }
}

/// The permissions `apifyforge run <tool>` uses on the user's machine: it only reads. Being
/// started, reading its own earlier snapshot and saving results through the API are what the
/// platform flow adds (the CLI flow keeps those on disk).
pub fn cli_permissions(tool: &str) -> Vec<forge_runtime::Permission> {
    use forge_runtime::Permission::{ActorsListRuns, ActorsRead};
    permissions(tool)
        .iter()
        .copied()
        .filter(|p| matches!(p, ActorsRead | ActorsListRuns))
        .collect()
}

/// Runs `tool` and returns its exit code; `None` for an unknown tool.
pub async fn run(tool: &str, flow: Option<Flow>, input_file: Option<PathBuf>) -> Option<i32> {
    let options = RunOptions { input_file, flow };
    Some(match tool {
        FleetAnalytics::NAME => run_tool(&FleetAnalytics, options).await,
        SchemaValidator::NAME => run_tool(&SchemaValidator, options).await,
        ReleaseGate::NAME => run_tool(&ReleaseGate, options).await,
        CostWatchdog::NAME => run_tool(&CostWatchdog, options).await,
        QualityMonitor::NAME => run_tool(&QualityMonitor, options).await,
        AbTester::NAME => run_tool(&AbTester, options).await,
        ComplianceScanner::NAME => run_tool(&ComplianceScanner, options).await,
        _ => return None,
    })
}
