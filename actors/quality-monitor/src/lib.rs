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
use forge_runtime::charging::Charge;
use forge_runtime::owned::{dataset_items, wait_for_run, StartOptions};
use forge_runtime::source::{FleetSource, ReadCounts};
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
    const OPTIONAL_PERMISSIONS: &'static [(Permission, &'static str)] =
        &[(Permission::ActorsRun, "probes")];
    const KEEPS_SNAPSHOT: bool = true;

    async fn run(
        &self,
        ctx: &Context,
        input: Value,
        previous: Option<Value>,
    ) -> Result<Emission, RuntimeError> {
        let input: QualityInput = parse_input(input)?;
        // A snapshot of another shape (an older version) is ignored, not an error.
        let previous: Option<QualitySnapshot> = previous.and_then(|v| {
            serde_json::from_value(v)
                .map_err(|e| {
                    tracing::warn!("ignoring the previous SNAPSHOT ({e}): no trend state this run")
                })
                .ok()
        });
        let windows =
            QualityWindows::new(input.as_of.unwrap_or(ctx.now), input.config.baseline_days);
        let source = &ctx.source;
        let actors = source.selected_actors(&input.actors).await?;
        let sample = input.successful_runs_sampled;
        let min_runs = input.config.min_runs as usize;
        let collected: Vec<(QualityActorEvidence, ReadCounts)> = stream::iter(actors.clone())
            .map(|actor| collect_actor(source, actor, windows, sample, min_runs))
            .buffered(source.concurrency.max(1))
            .try_collect()
            .await?;
        // Run list items that could not be read are reported, not fatal.
        let collection = serde_json::json!({
            "actors": collected.len(),
            "runsRead": collected.iter().map(|x| x.1.read).sum::<u64>(),
            "malformedRuns": collected.iter().map(|x| x.1.malformed).sum::<u64>(),
        });
        let per_actor: Vec<QualityActorEvidence> = collected.into_iter().map(|x| x.0).collect();
        let mut probes = Vec::new();
        // One at a time, in input order: each probe's charge and run keep their place in the
        // run's sequence, the same in a migrated run's next process.
        for (index, spec) in input.probes.into_iter().enumerate() {
            probes.push(run_probe(ctx, &actors, spec, index).await?);
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
        let mut output = to_json(&findings.output)?;
        output["collection"] = collection;
        Ok(Emission {
            signals: signals_record(
                quality::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            ),
            snapshot: Some(to_json(&findings.snapshot)?),
            // One `actor-analysed` event per actor (one row each); probes charged as started.
            charges: Charge::per_row("actor-analysed", findings.rows.len()),
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
) -> Result<(QualityActorEvidence, ReadCounts), RuntimeError> {
    let mut series = RunSeries::new(windows, sample);
    let counts = source
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
    Ok((
        QualityActorEvidence {
            actor,
            series,
            details_current,
            details_baseline,
        },
        counts,
    ))
}

/// How long a probe run is waited for: run-sync's limit, which probes used to go through.
const PROBE_WAIT_SECS: u64 = 300;

/// Runs one probe: starts the run under the probe's place in the input (`probe-<n>`, recorded
/// in this run's progress, so a migrated run re-attaches it instead of starting another),
/// charges its `probe-run` event, waits for it and reads its items, which are those of the run
/// this call started, by construction. When the run's maximum total charge cannot pay for it,
/// the probe is not started, and says so.
async fn run_probe(
    ctx: &Context,
    actors: &[ActorInfo],
    spec: ProbeSpec,
    index: usize,
) -> Result<ProbeEvidence, RuntimeError> {
    let source = &ctx.source;
    let actor = match actors
        .iter()
        .find(|a| spec.actor == a.id || spec.actor == a.name || spec.actor == a.full_name())
    {
        Some(a) => Some(a.clone()),
        None => source.actor(&spec.actor).await.ok(),
    };
    let not_run = |error: String| ProbeRun {
        run_id: None,
        status: None,
        items: Vec::new(),
        duration_secs: None,
        error: Some(error),
        dataset_schema: None,
        console_url: None,
    };
    let Some(found) = actor.clone() else {
        let run = not_run(format!("no actor {} among yours", spec.actor));
        return Ok(ProbeEvidence { spec, actor, run });
    };
    let dataset_schema = match &found.latest_build_id {
        Some(build) => source
            .build_definition(build)
            .await?
            .and_then(|d| d.dataset_schema),
        None => None,
    };
    // Paid for before it starts, charged once it has: a run stopped in between (an abort)
    // never charges for a probe it did not start.
    if !ctx.charging.fits_now("probe-run", 1).await {
        let run = not_run(
            "not started: the run's maximum total charge (maxTotalChargeUsd) is reached".into(),
        );
        return Ok(ProbeEvidence { spec, actor, run });
    }
    let options = StartOptions {
        timeout_secs: spec.timeout_secs,
        memory_mbytes: spec.memory_mbytes,
        ..Default::default()
    };
    let key = format!("probe-{index}");
    let (status, items, error, run_id, duration_secs) = match ctx
        .resume
        .start_run(&source.client, &key, &found.id, &spec.input, &options)
        .await
    {
        Err(e) => (None, Vec::new(), Some(e.to_string()), None, None),
        Ok(run) => {
            ctx.charging.charge("probe-run", 1).await?;
            let mut detail = None;
            for _ in 0..PROBE_WAIT_SECS.div_ceil(60) {
                detail = wait_for_run(&source.client, &run, 60).await?;
                if detail.as_ref().is_some_and(|d| d.status.is_terminal()) {
                    break;
                }
            }
            let id = Some(run.run_id().to_string());
            match detail {
                Some(d) if d.status == JobStatus::Succeeded => {
                    let items = dataset_items(&source.client, &run).await?;
                    (Some(d.status), items, None, id, d.run_time_secs)
                }
                Some(d) if d.status.is_terminal() => {
                    let message = format!(
                        "Actor run did not succeed (run ID: {}, status: {})",
                        run.run_id(),
                        d.status.as_str()
                    );
                    (
                        Some(d.status),
                        Vec::new(),
                        Some(message),
                        id,
                        d.run_time_secs,
                    )
                }
                _ => (
                    Some(JobStatus::TimedOut),
                    Vec::new(),
                    Some(format!(
                        "the probe run did not finish within {PROBE_WAIT_SECS} s"
                    )),
                    id,
                    None,
                ),
            }
        }
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
