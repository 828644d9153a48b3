//! cost-watchdog: folds every owned actor's run history, samples a bounded number of run
//! details, and hands them to [`forge_core::analyses::cost::analyze`].

use chrono::{DateTime, Utc};
use forge_core::aggregate::Windows;
use forge_core::analyses::cost::{self, CostActorEvidence, CostConfig, CostEvidence};
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::charging::Charge;
use forge_runtime::source::{ReadCounts, Sampling};
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostInput {
    #[serde(flatten)]
    pub config: CostConfig,
    pub as_of: Option<DateTime<Utc>>,
    #[serde(default)]
    pub actors: Vec<String>,
    pub succeeded_samples_per_actor: usize,
    pub failed_samples_per_actor: usize,
}

#[derive(Debug, Default)]
pub struct CostWatchdog;

#[async_trait::async_trait]
impl Tool for CostWatchdog {
    const NAME: &'static str = cost::TOOL;
    const INPUT_SCHEMA: &'static str = include_str!("../.actor/input_schema.json");
    const PERMISSIONS: &'static [Permission] = &[
        Permission::ActorsRead,
        Permission::ActorsListRuns,
        Permission::StoragesRead,
        Permission::StoragesWrite,
    ];

    async fn run(
        &self,
        ctx: &Context,
        input: Value,
        _previous: Option<Value>,
    ) -> Result<Emission, RuntimeError> {
        let input: CostInput = parse_input(input)?;
        let windows = Windows::new(input.as_of.unwrap_or(ctx.now), input.config.window_days);
        let source = &ctx.source;
        let actors = source.selected_actors(&input.actors).await?;
        let sampling = Sampling {
            finished: 0,
            succeeded: input.succeeded_samples_per_actor,
            failed: input.failed_samples_per_actor,
        };
        let collected: Vec<(CostActorEvidence, ReadCounts)> = stream::iter(actors)
            .map(|actor| async move {
                let folded = source.fold_runs(&actor.id, windows, sampling).await?;
                let succeeded = source.run_details(&folded.newest_succeeded).await?;
                let failed = source.run_details(&folded.newest_failed).await?;
                let counts = ReadCounts {
                    read: folded.read,
                    malformed: folded.malformed,
                };
                Ok::<_, RuntimeError>((
                    CostActorEvidence {
                        actor,
                        runs: folded.aggregate,
                        succeeded,
                        failed,
                        unfinished: folded.unfinished,
                    },
                    counts,
                ))
            })
            .buffered(source.concurrency.max(1))
            .try_collect()
            .await?;
        // Run list items that could not be read are reported, not fatal.
        let collection = collection_stats(&collected);
        let per_actor: Vec<CostActorEvidence> = collected.into_iter().map(|x| x.0).collect();
        let findings = cost::analyze(
            &input.config,
            &CostEvidence {
                windows,
                actors: per_actor,
            },
        );
        let mut output = to_json(&findings.output)?;
        output["collection"] = collection;
        Ok(Emission {
            signals: signals_record(
                cost::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            ),
            snapshot: None,
            // One `actor-analysed` event per actor (one row each).
            charges: Charge::per_row("actor-analysed", findings.rows.len()),
            rows: findings.rows,
            status: output["summary"].as_str().unwrap_or_default().to_string(),
            cli_exit_code: 0,
            output,
        })
    }
}

/// OUTPUT's `collection`: actors read, run list items read, and those that could not be
/// read (no status, no readable start), which the analysis left out.
fn collection_stats(collected: &[(CostActorEvidence, ReadCounts)]) -> Value {
    serde_json::json!({
        "actors": collected.len(),
        "runsRead": collected.iter().map(|x| x.1.read).sum::<u64>(),
        "malformedRuns": collected.iter().map(|x| x.1.malformed).sum::<u64>(),
    })
}

/// The Actor's entry point, shared by its own binary and `apifyforge actor cost-watchdog`.
pub async fn main_exit_code() -> i32 {
    forge_runtime::run_tool(&CostWatchdog, Default::default()).await
}
