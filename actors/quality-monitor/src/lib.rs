//! quality-monitor: folds every owned actor's runs of the last weeks into a compact series,
//! samples a bounded number of run details for empty runs, runs the optional probes, and hands
//! it all to [`forge_core::analyses::quality::analyze`].

use chrono::{DateTime, Utc};
use forge_core::analyses::probe::{ProbeRun, ProbeSpec};
use forge_core::analyses::quality::{
    self, needs_full_empty_sample, ProbeEvidence, QualityActorEvidence, QualityConfig,
    QualityEvidence, QualitySnapshot, QualityWindows, RunSeries, EMPTY_FIRST_LOOK,
};
use forge_core::model::{ActorInfo, JobStatus};
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::owned::{RunSyncError, RunSyncOptions};
use forge_runtime::source::FleetSource;
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityInput {
    #[serde(flatten)]
    pub config: QualityConfig,
    pub as_of: Option<DateTime<Utc>>,
    #[serde(default)]
    pub actors: Vec<String>,
    #[serde(default)]
    pub probes: Vec<ProbeSpec>,
    pub successful_runs_sampled: usize,
}

#[derive(Debug, Default)]
pub struct QualityMonitor;

#[async_trait::async_trait]
impl Tool for QualityMonitor {
    const NAME: &'static str = quality::TOOL;
    const INPUT_SCHEMA: &'static str = include_str!("../.actor/input_schema.json");
    // Probes (optional) also need Actors: Run; without it a probe fails naming it, and the
    // rest of the report stands.
    const PERMISSIONS: &'static [Permission] = &[
        Permission::ActorsRead,
        Permission::ActorsListRuns,
        Permission::StoragesRead,
        Permission::StoragesWrite,
    ];
    const KEEPS_SNAPSHOT: bool = true;

    async fn run(
        &self,
        ctx: &Context,
        input: Value,
        previous: Option<Value>,
    ) -> Result<Emission, RuntimeError> {
        let input: QualityInput = parse_input(input)?;
        // A snapshot of another shape (an older version) is ignored, not an error.
        let previous: Option<QualitySnapshot> =
            previous.and_then(|v| serde_json::from_value(v).ok());
        let windows =
            QualityWindows::new(input.as_of.unwrap_or(ctx.now), input.config.baseline_days);
        let source = &ctx.source;
        let actors = source.selected_actors(&input.actors).await?;
        let sample = input.successful_runs_sampled;
        let min_runs = input.config.min_runs as usize;
        let per_actor: Vec<QualityActorEvidence> = stream::iter(actors.clone())
            .map(|actor| collect_actor(source, actor, windows, sample, min_runs))
            .buffered(source.concurrency.max(1))
            .try_collect()
            .await?;
        let mut probes = Vec::new();
        for spec in input.probes {
            probes.push(run_probe(source, &actors, spec).await?);
        }
        let findings = quality::analyze(
            &input.config,
            &QualityEvidence {
                windows,
                actors: per_actor,
                probes,
            },
            previous.as_ref(),
        );
        let output = to_json(&findings.output)?;
        Ok(Emission {
            signals: signals_record(
                quality::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            ),
            snapshot: Some(to_json(&findings.snapshot)?),
            rows: findings.rows,
            status: output["summary"].as_str().unwrap_or_default().to_string(),
            cli_exit_code: 0,
            output,
        })
    }
}

async fn collect_actor(
    source: &FleetSource,
    actor: ActorInfo,
    windows: QualityWindows,
    sample: usize,
    min_runs: usize,
) -> Result<QualityActorEvidence, RuntimeError> {
    let mut series = RunSeries::new(windows, sample);
    source
        .for_each_run(&actor.id, windows.range_start(), windows.as_of, |r| {
            series.add(&r)
        })
        .await?;
    // A first look at the newest successful runs; the full sample only when it saw an
    // empty run, so a healthy actor costs twenty detail requests.
    let first = EMPTY_FIRST_LOOK
        .max(min_runs)
        .min(series.sample_current.len());
    let mut details_current = source.run_details(&series.sample_current[..first]).await?;
    let mut details_baseline = Vec::new();
    if needs_full_empty_sample(&details_current) {
        details_current.extend(source.run_details(&series.sample_current[first..]).await?);
        details_baseline = source.run_details(&series.sample_baseline).await?;
    }
    Ok(QualityActorEvidence {
        actor,
        series,
        details_current,
        details_baseline,
    })
}

/// Runs one probe through run-sync-get-dataset-items: the items read are those of the run
/// this call started, by construction.
async fn run_probe(
    source: &FleetSource,
    actors: &[ActorInfo],
    spec: ProbeSpec,
) -> Result<ProbeEvidence, RuntimeError> {
    let actor = match actors
        .iter()
        .find(|a| spec.actor == a.id || spec.actor == a.name || spec.actor == a.full_name())
    {
        Some(a) => Some(a.clone()),
        None => source.actor(&spec.actor).await.ok(),
    };
    let Some(found) = actor.clone() else {
        let run = ProbeRun {
            run_id: None,
            status: None,
            items: Vec::new(),
            duration_secs: None,
            error: Some(format!("no actor {} among yours", spec.actor)),
            dataset_schema: None,
            console_url: None,
        };
        return Ok(ProbeEvidence { spec, actor, run });
    };
    let dataset_schema = match &found.latest_build_id {
        Some(build) => source
            .build_definition(build)
            .await?
            .and_then(|d| d.dataset_schema),
        None => None,
    };
    let started = std::time::Instant::now();
    let result = source
        .client
        .run_sync_get_dataset_items(
            &found.id,
            &spec.input,
            RunSyncOptions {
                timeout_secs: spec.timeout_secs,
                memory_mbytes: spec.memory_mbytes,
            },
        )
        .await;
    let duration_secs = Some(started.elapsed().as_secs_f64());
    let (status, items, error, run_id) = match result {
        Ok(items) => (Some(JobStatus::Succeeded), items, None, None),
        Err(RunSyncError::RunFailed { message, run_id }) => {
            (Some(JobStatus::Failed), Vec::new(), Some(message), run_id)
        }
        Err(RunSyncError::Timeout(message)) => {
            (Some(JobStatus::TimedOut), Vec::new(), Some(message), None)
        }
        Err(e) => (None, Vec::new(), Some(e.to_string()), None),
    };
    let console_url = Some(match &run_id {
        Some(id) => format!("https://console.apify.com/actors/{}/runs/{id}", found.id),
        None => format!("{}/runs", found.console_url()),
    });
    Ok(ProbeEvidence {
        spec,
        actor,
        run: ProbeRun {
            run_id,
            status,
            items,
            duration_secs,
            error,
            dataset_schema,
            console_url,
        },
    })
}

/// The Actor's entry point, shared by its own binary and `apifyforge actor quality-monitor`.
pub async fn main_exit_code() -> i32 {
    forge_runtime::run_tool(&QualityMonitor, Default::default()).await
}
