//! `apifyforge doctor`: which of the five permissions a token has, found without touching
//! anything that costs money or belongs to the user's data.

use crate::client::{map_error, ops, ApiClient, Operation};
use crate::error::RuntimeError;
use apify_client::{ActorListOptions, ListOptions, RunListOptions};
use forge_core::permission::Permission;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Granted,
    Missing,
    /// Probing it would start a paid run or read or write the user's storages.
    NotProbed(&'static str),
}

/// What was found about one permission, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionCheck {
    pub permission: Permission,
    pub check: Check,
    /// The request whose answer decided it; `None` when nothing was sent.
    pub probe: Option<&'static str>,
}

/// What a token is: whose, and which of the five permissions it carries, in
/// [`Permission::ALL`]'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The account the token belongs to, when the API names it.
    pub username: Option<String>,
    pub checks: Vec<PermissionCheck>,
}

impl Diagnosis {
    pub fn check(&self, permission: Permission) -> Option<&Check> {
        self.checks
            .iter()
            .find(|c| c.permission == permission)
            .map(|c| &c.check)
    }

    /// The permissions found missing.
    pub fn missing(&self) -> Vec<Permission> {
        self.checks
            .iter()
            .filter(|c| c.check == Check::Missing)
            .map(|c| c.permission)
            .collect()
    }
}

/// The first probe: whether the API accepts the token at all. Any scoped token may read its
/// own account, so a 403 here is unexpected and reported as Actors: Read.
const READ_ACCOUNT: Operation = Operation {
    what: "read the token's account (GET /v2/users/me)",
    permission: Permission::ActorsRead,
};
const PROBE_ACTORS: &str = "GET /v2/actors?my=1&limit=1";
const PROBE_RUNS: &str = "GET /v2/actors/{id}/runs?limit=1";

/// Probes the read-only permissions with one small request each: the account (which also
/// tells whether the token is accepted at all), one actor, one run of it. A rejected token or
/// an unreachable API is an error; a 403 is a missing permission.
pub async fn diagnose(client: &ApiClient) -> Result<Diagnosis, RuntimeError> {
    let api = client.api();
    let me = api
        .me()
        .get()
        .await
        .map_err(|e| map_error(READ_ACCOUNT, e))?;
    let actors = api
        .actors()
        .list(ActorListOptions {
            my: Some(true),
            limit: Some(1),
            ..Default::default()
        })
        .await;
    let (read, first_actor) = match actors {
        Ok(page) => (Check::Granted, page.items.first().map(|a| a.id.clone())),
        Err(e) => match map_error(ops::LIST_ACTORS, e) {
            RuntimeError::MissingPermission { .. } => (Check::Missing, None),
            other => return Err(other),
        },
    };
    let (list_runs, runs_probe) = match (&read, first_actor) {
        (Check::Missing, _) => (
            Check::NotProbed("needs an actor to list the runs of, and Actors: Read is missing"),
            None,
        ),
        (_, None) => (
            Check::NotProbed("the account has no actor to list the runs of"),
            None,
        ),
        (_, Some(id)) => {
            let runs = api
                .actor(&id)
                .runs()
                .list(
                    ListOptions {
                        limit: Some(1),
                        ..Default::default()
                    },
                    RunListOptions::default(),
                )
                .await;
            let check = match runs.map_err(|e| map_error(ops::LIST_RUNS, e)) {
                Ok(_) => Check::Granted,
                Err(RuntimeError::MissingPermission { .. }) => Check::Missing,
                Err(other) => return Err(other),
            };
            (check, Some(PROBE_RUNS))
        }
    };
    let checks = vec![
        PermissionCheck {
            permission: Permission::ActorsRead,
            check: read,
            probe: Some(PROBE_ACTORS),
        },
        PermissionCheck {
            permission: Permission::ActorsRun,
            check: Check::NotProbed("probing it would start a paid run"),
            probe: None,
        },
        PermissionCheck {
            permission: Permission::ActorsListRuns,
            check: list_runs,
            probe: runs_probe,
        },
        PermissionCheck {
            permission: Permission::StoragesRead,
            check: Check::NotProbed("probing it would read one of your storages"),
            probe: None,
        },
        PermissionCheck {
            permission: Permission::StoragesWrite,
            check: Check::NotProbed("probing it would write to one of your storages"),
            probe: None,
        },
    ];
    Ok(Diagnosis {
        username: me.and_then(|u| u.username),
        checks,
    })
}
