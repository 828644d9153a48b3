//! fleet-analytics: the fleet overview. Collects every owned actor's builds and run history
//! in the window and its baseline, and hands them to [`forge_core::analyses::fleet::analyze`].

use chrono::{DateTime, Utc};
use compliance_scanner::ComplianceScanner;
use cost_watchdog::CostWatchdog;
use forge_core::aggregate::Windows;
use forge_core::analyses::action_plan::{build_plan, PlanItem, ToolSignals};
use forge_core::analyses::fleet::{self, ActorEvidence, FleetConfig, FleetEvidence, FleetSnapshot};
use forge_core::input::InputSchema;
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::owned::{record, start_run_with, wait_for_run, StartOptions};
use forge_runtime::source::Sampling;
use forge_runtime::Flow;
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use quality_monitor::QualityMonitor;
use schema_validator::SchemaValidator;
use serde::Deserialize;
use serde_json::{json, Value};

/// Builds read per actor: enough to find the newest and the last successful one.
const BUILDS_PER_ACTOR: i64 = 10;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetInput {
    #[serde(flatten)]
    pub config: FleetConfig,
    pub as_of: Option<DateTime<Utc>>,
    #[serde(default)]
    pub actors: Vec<String>,
    #[serde(default)]
    pub detail_samples_per_actor: usize,
    /// Specialists to run and merge into the Action Plan (platform flow).
    #[serde(default)]
    pub specialists: Vec<String>,
    /// Who publishes the specialists (`username`); default: the owner of this Actor.
    #[serde(default)]
    pub specialists_owner: Option<String>,
}

#[derive(Debug, Default)]
pub struct FleetAnalytics;

#[async_trait::async_trait]
impl Tool for FleetAnalytics {
    const NAME: &'static str = fleet::TOOL;
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
        previous: Option<Value>,
    ) -> Result<Emission, RuntimeError> {
        let input: FleetInput = parse_input(input)?;
        let windows = Windows::new(input.as_of.unwrap_or(ctx.now), input.config.window_days);
        let evidence = collect(ctx, &input, windows).await?;
        // The previous plan's items, for "what changed since last week".
        let previous_plan: Option<Vec<PlanItem>> = previous
            .as_ref()
            .and_then(|v| serde_json::from_value(v.get("actionPlan")?.clone()).ok());
        // A snapshot from another tool or an older shape is ignored, not an error.
        let previous: Option<FleetSnapshot> = previous.and_then(|v| serde_json::from_value(v).ok());
        let findings = fleet::analyze(&input.config, &evidence.fleet, previous.as_ref());
        let mut output = to_json(&findings.output)?;
        let mut snapshot = to_json(&findings.snapshot)?;
        output["collection"] = evidence.stats;
        if !input.specialists.is_empty() {
            let own = signals_record(
                fleet::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            );
            let mut tools = vec![ToolSignals {
                tool: fleet::TOOL.into(),
                record: Some(own),
                failure: None,
                console_url: None,
            }];
            tools.extend(fan_out(ctx, &input).await?);
            let plan = build_plan(&tools, previous_plan.as_deref());
            output["actionPlan"] = to_json(&plan)?;
            snapshot["actionPlan"] = to_json(&plan.items)?;
        }
        Ok(Emission {
            signals: signals_record(
                fleet::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            ),
            snapshot: Some(snapshot),
            rows: findings
                .rows
                .iter()
                .map(to_json)
                .collect::<Result<_, _>>()?,
            status: findings.output.head.summary.clone(),
            cli_exit_code: 0,
            output,
        })
    }
}

/// Runs each specialist as its own Apify run under the same token (runs endpoint + wait), and
/// reads the SIGNALS record of that run: a run we started, so its storage is ours to read. A
/// specialist that fails, times out or cannot start degrades its section, never the run.
async fn fan_out(ctx: &Context, input: &FleetInput) -> Result<Vec<ToolSignals>, RuntimeError> {
    let degraded = |tool: &str, why: String| ToolSignals {
        tool: tool.into(),
        record: None,
        failure: Some(why),
        console_url: None,
    };
    let as_of = input.as_of.map(|t| t.to_rfc3339());
    let input_of = |tool: &str| {
        let mut body = json!({"actors": input.actors});
        if let (Some(t), true) = (&as_of, tool != "schema-validator") {
            body["asOf"] = json!(t);
        }
        body
    };
    if ctx.flow == Flow::Cli {
        // The CLI flow runs the same code in this process, with the user's token: nothing
        // leaves the machine, and the plan is the one the platform would build.
        let mut out = Vec::new();
        for tool in &input.specialists {
            let body = input_of(tool);
            let result = match tool.as_str() {
                "schema-validator" => in_process(&SchemaValidator, ctx, &body).await,
                "cost-watchdog" => in_process(&CostWatchdog, ctx, &body).await,
                "quality-monitor" => in_process(&QualityMonitor, ctx, &body).await,
                "compliance-scanner" => in_process(&ComplianceScanner, ctx, &body).await,
                other => Err(RuntimeError::Other(format!("no specialist {other}"))),
            };
            out.push(match result {
                Ok(record) => ToolSignals {
                    tool: tool.clone(),
                    record: Some(record),
                    failure: None,
                    console_url: None,
                },
                Err(e) => degraded(tool, e.to_string()),
            });
        }
        return Ok(out);
    }
    let owner = match &input.specialists_owner {
        Some(o) => o.clone(),
        None => {
            let me = std::env::var("ACTOR_ID")
                .or_else(|_| std::env::var("APIFY_ACTOR_ID"))
                .map_err(|_| RuntimeError::Env("ACTOR_ID is not set".into()))?;
            ctx.source.actor(&me).await?.username.unwrap_or_default()
        }
    };
    let client = &ctx.source.client;
    let mut out = Vec::new();
    for tool in &input.specialists {
        let body = input_of(tool);
        let actor = format!("{owner}~{tool}");
        let console = Some(format!("https://console.apify.com/actors/{actor}/runs"));
        let run = match start_run_with(client, &actor, &body, &StartOptions::default()).await {
            Ok(r) => r,
            Err(e) => {
                out.push(degraded(tool, format!("could not start: {e}")));
                continue;
            }
        };
        let console_url = Some(format!(
            "https://console.apify.com/actors/{actor}/runs/{}",
            run.run_id()
        ));
        // Waits in the API's 60 s steps, for an hour at most.
        let mut finished = false;
        for _ in 0..60 {
            let d = wait_for_run(client, &run, 60).await;
            finished = matches!(&d, Ok(Some(d)) if d.status.is_terminal());
            if finished {
                break;
            }
        }
        let signals = record(client, &run, "SIGNALS").await.ok().flatten();
        out.push(ToolSignals {
            tool: tool.clone(),
            failure: match (&signals, finished) {
                (Some(_), true) => None,
                (None, true) => Some("the run finished without a SIGNALS record".into()),
                (_, false) => Some("the run did not finish within an hour".into()),
            },
            record: signals,
            console_url: console_url.or(console),
        });
    }
    Ok(out)
}

/// Runs a specialist in this process: its input validated against its own schema with its
/// defaults, its SIGNALS record returned.
async fn in_process<T: Tool>(tool: &T, ctx: &Context, body: &Value) -> Result<Value, RuntimeError> {
    let input = InputSchema::parse(T::INPUT_SCHEMA)?.resolve(Some(body))?;
    Ok(tool.run(ctx, input, None).await?.signals)
}

struct Collected {
    fleet: FleetEvidence,
    stats: Value,
}

async fn collect(
    ctx: &Context,
    input: &FleetInput,
    windows: Windows,
) -> Result<Collected, RuntimeError> {
    let source = &ctx.source;
    let actors = source.selected_actors(&input.actors).await?;
    let per_actor: Vec<(ActorEvidence, u64, u64)> = stream::iter(actors)
        .map(|actor| async move {
            let builds = source.newest_builds(&actor.id, BUILDS_PER_ACTOR).await?;
            let folded = source
                .fold_runs(
                    &actor.id,
                    windows,
                    Sampling {
                        finished: input.detail_samples_per_actor,
                        ..Default::default()
                    },
                )
                .await?;
            let samples = source.run_details(&folded.newest_finished).await?;
            Ok::<_, RuntimeError>((
                ActorEvidence {
                    actor,
                    builds,
                    runs: folded.aggregate,
                    samples,
                },
                folded.read,
                folded.malformed,
            ))
        })
        .buffered(source.concurrency.max(1))
        .try_collect()
        .await?;
    let runs_read: u64 = per_actor.iter().map(|x| x.1).sum();
    let malformed: u64 = per_actor.iter().map(|x| x.2).sum();
    let details: usize = per_actor.iter().map(|x| x.0.samples.len()).sum();
    let actors: Vec<ActorEvidence> = per_actor.into_iter().map(|x| x.0).collect();
    Ok(Collected {
        stats: json!({"actors": actors.len(), "runsRead": runs_read, "malformedRuns": malformed, "runDetailsSampled": details}),
        fleet: FleetEvidence { windows, actors },
    })
}

/// The Actor's entry point, shared by its own binary and `apifyforge actor fleet-analytics`.
pub async fn main_exit_code() -> i32 {
    forge_runtime::run_tool(&FleetAnalytics, Default::default()).await
}
