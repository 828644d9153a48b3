//! `apifyforge reliability`: the reliability and security suite. Each area runs the real
//! tools (Actor processes on the emulator, or the CLI flow) under faults, migrations, bad
//! input, attacks and load, and returns a [`Section`] of figures; the command renders them to
//! `docs/reliability.md`. A section's `failures` are broken promises: any one fails the command.
//! `Scale::Fast` is the subset CI runs on every change; `Scale::Full` is what the document shows.

pub mod bad_input;
pub mod faults;
pub mod load;
pub mod migration;
pub mod security;

use std::path::PathBuf;

/// How much of the suite to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The subset CI runs on every change (a few minutes on 2 cores).
    Fast,
    /// Everything `docs/reliability.md` reports.
    Full,
}

/// What a scenario needs to start the tools as the platform and the CLI start them.
#[derive(Debug, Clone)]
pub struct Harness {
    /// argv that starts an Actor process; the tool's name is appended (`[exe, "actor"]`).
    pub actor_command: Vec<String>,
    /// argv of the `apifyforge` binary itself (`[exe]`), for CLI-flow runs (`run <tool>`).
    pub cli_command: Vec<String>,
    pub scale: Scale,
    /// A scratch directory the scenario may fill (local storages, input files).
    pub work_dir: PathBuf,
}

/// A table of figures with a short explanation, as one part of the report.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// `## ` heading, e.g. "Faults".
    pub title: String,
    /// Markdown paragraphs: what was done, how to read the table.
    pub summary: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Headline figures for the summary table at the top: (label, value), e.g.
    /// ("faults injected", "1,234").
    pub headline: Vec<(String, String)>,
    /// Broken promises, each a sentence naming the tool and what went wrong. Empty: passed.
    pub failures: Vec<String>,
}

/// The whole suite's result.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub sections: Vec<Section>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &String> {
        self.sections.iter().flat_map(|s| s.failures.iter())
    }
}
