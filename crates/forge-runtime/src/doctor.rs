//! `apifyforge doctor`: which of the five permissions a token has, found without touching
//! anything that costs money or belongs to the user's data.

use crate::client::{map_error, ops, ApiClient};
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

/// Probes the read-only permissions with one small request each.
pub async fn check_permissions(
    client: &ApiClient,
) -> Result<Vec<(Permission, Check)>, RuntimeError> {
    let api = client.api();
    api.me()
        .get()
        .await
        .map_err(|e| map_error(ops::LIST_ACTORS, e))?;
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
    let list_runs = match first_actor {
        None => Check::NotProbed("no actor to list runs of"),
        Some(id) => {
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
            match runs.map_err(|e| map_error(ops::LIST_RUNS, e)) {
                Ok(_) => Check::Granted,
                Err(RuntimeError::MissingPermission { .. }) => Check::Missing,
                Err(other) => return Err(other),
            }
        }
    };
    Ok(vec![
        (Permission::ActorsRead, read),
        (Permission::ActorsListRuns, list_runs),
        (
            Permission::ActorsRun,
            Check::NotProbed("probing it would start a paid run"),
        ),
        (
            Permission::StoragesRead,
            Check::NotProbed("probing it would read one of your storages"),
        ),
        (
            Permission::StoragesWrite,
            Check::NotProbed("probing it would write to one of your storages"),
        ),
    ])
}
