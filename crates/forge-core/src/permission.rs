//! The five scoped permissions a token can carry for apifyforge, named as Apify Console names
//! them, and what each one disables when it is missing. One type for the runtime (which asks
//! for them and explains a 403) and the emulator (which enforces them).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "actors:read")]
    ActorsRead,
    #[serde(rename = "actors:run")]
    ActorsRun,
    #[serde(rename = "actors:list-runs")]
    ActorsListRuns,
    #[serde(rename = "storages:read")]
    StoragesRead,
    #[serde(rename = "storages:write")]
    StoragesWrite,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::ActorsRead,
        Permission::ActorsRun,
        Permission::ActorsListRuns,
        Permission::StoragesRead,
        Permission::StoragesWrite,
    ];

    /// The scope id, as fixtures and the docs spell it.
    pub fn id(self) -> &'static str {
        match self {
            Permission::ActorsRead => "actors:read",
            Permission::ActorsRun => "actors:run",
            Permission::ActorsListRuns => "actors:list-runs",
            Permission::StoragesRead => "storages:read",
            Permission::StoragesWrite => "storages:write",
        }
    }

    /// The label a person finds in Apify Console's token settings.
    pub fn label(self) -> &'static str {
        match self {
            Permission::ActorsRead => "Actors: Read",
            Permission::ActorsRun => "Actors: Run",
            Permission::ActorsListRuns => "Actors: List runs",
            Permission::StoragesRead => "Storages: Read",
            Permission::StoragesWrite => "Storages: Write",
        }
    }

    /// What stops working without it.
    pub fn disables(self) -> &'static str {
        match self {
            Permission::ActorsRead => "listing your actors and reading their builds: no tool can see the fleet",
            Permission::ActorsRun => "starting runs: the Run button, specialists and experiments cannot start",
            Permission::ActorsListRuns => "reading run history: no failure rates, durations or costs",
            Permission::StoragesRead => "reading results of runs apifyforge started and its own earlier snapshots: no trends",
            Permission::StoragesWrite => "saving OUTPUT, SIGNALS, SNAPSHOT and dataset rows: the run cannot save its results",
        }
    }
}

impl std::str::FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.id() == s)
            .ok_or_else(|| format!("unknown permission {s:?}"))
    }
}

/// "Actors: Read (actors:read)": the label a person finds and the id a fixture uses.
impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.label(), self.id())
    }
}
