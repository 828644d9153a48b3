//! fleet-analytics: the fleet overview and the orchestrator. Collects every owned actor's
//! builds and run history in the window and its baseline, runs the specialists the input asks
//! for ([`specialists`]), and hands it all to [`forge_core::analyses::fleet::analyze_with`] and
//! [`forge_core::analyses::action_plan::build_plan_with`].

pub mod specialists;

use chrono::{DateTime, Utc};
use forge_core::aggregate::Windows;
use forge_core::analyses::acknowledge::{self, AckState};
use forge_core::analyses::action_plan::{
    build_plan_with, restore_repeat_severity, signals_of, PlanItem, ToolSignals,
};
use forge_core::analyses::alerts::{self, AlertConfig, AlertSelection, AlertState, MessageContext};
use forge_core::analyses::fanout::{self, Call, FanoutConfig, Workload};
use forge_core::analyses::fleet::{self, ActorEvidence, FleetConfig, FleetEvidence, FleetSnapshot};
use forge_core::input::{FieldError, InputError};
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::charging::Charge;
use forge_runtime::notify::{self, NotifyOutcome, NotifyTarget};
use forge_runtime::source::Sampling;
use forge_runtime::Flow;
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use specialists::CallReport;
use std::collections::BTreeSet;

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
    /// Signal IDs to stop acknowledging (entries of earlier runs kept in SNAPSHOT).
    #[serde(default)]
    pub unacknowledged_signals: Vec<String>,
    /// Specialists that cover the fleet, each as its own run (or runs, by shard).
    #[serde(default)]
    pub specialists: Vec<String>,
    /// Who publishes the specialists (`username`); default: the owner of this Actor.
    #[serde(default)]
    pub specialists_owner: Option<String>,
    /// Per-specialist input values, by tool name.
    #[serde(default)]
    pub specialist_inputs: Map<String, Value>,
    /// release-gate runs to make, one per input.
    #[serde(default)]
    pub release_gates: Vec<Value>,
    /// ab-tester runs to make, one per input.
    #[serde(default)]
    pub ab_tests: Vec<Value>,
    #[serde(flatten)]
    pub fanout: FanoutConfig,
    #[serde(default = "default_parallel")]
    pub max_parallel_specialists: usize,
    #[serde(default = "default_wait")]
    pub specialist_timeout_secs: u64,
    /// Where new and worsened act-now items are sent (a Slack incoming webhook or any JSON
    /// endpoint). The URL is a credential: it never reaches a log or an output.
    #[serde(default)]
    pub notify: Option<Redacted>,
    #[serde(default)]
    pub notify_format: Option<String>,
    #[serde(default)]
    pub alerts: AlertConfig,
}

/// A string input that must never be printed (a webhook URL is a credential).
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Redacted(String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

fn default_parallel() -> usize {
    4
}
fn default_wait() -> u64 {
    3600
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
    /// Actors: Run only to start the specialists the input asks for; without it their
    /// sections are degraded, naming it, and the fleet report stands.
    const OPTIONAL_PERMISSIONS: &'static [(Permission, &'static str)] =
        &[(Permission::ActorsRun, "specialist runs")];
    const KEEPS_SNAPSHOT: bool = true;

    async fn run(
        &self,
        ctx: &Context,
        input: Value,
        previous: Option<Value>,
    ) -> Result<Emission, RuntimeError> {
        let api_base_url = ctx.source.client.api().api_base_url();
        let mut input = check_input(&input, ctx.now, api_base_url)?;
        let windows = Windows::new(input.as_of.unwrap_or(ctx.now), input.config.window_days);
        let previous = Previous::from(previous);
        // Acknowledgements: this input over the ones an earlier run kept; expiry is judged
        // at the analysed instant, so both flows and a re-run agree.
        let acks = acknowledge::resolve(
            &input.config.acknowledged_signals,
            &input.unacknowledged_signals,
            previous.acks.as_ref(),
            windows.as_of,
        )?;
        input.config.acknowledged_signals = acks.ids();
        // A bad notify target fails the run before any work, like any bad input.
        let notify = notify_target(&input, api_base_url)?;
        let calls = plan_calls(&input, &acks.ids(), &[])?;
        let evidence = collect(ctx, &input, windows).await?;
        let calls = if calls.is_empty() {
            calls
        } else {
            // Re-planned with the runs now known, for shard sizes and sync or async.
            plan_calls(&input, &acks.ids(), &evidence.fleet.actors)?
        };
        let owner = if calls.is_empty() || ctx.flow == Flow::Cli {
            String::new()
        } else {
            specialists_owner(ctx, &input).await?
        };
        let results = specialists::run_calls(
            ctx,
            &calls,
            &owner,
            input.max_parallel_specialists,
            input.specialist_timeout_secs,
        )
        .await;
        let (tools, reports): (Vec<ToolSignals>, Vec<CallReport>) = results.into_iter().unzip();
        let mut specialist_signals = Vec::new();
        let mut covered: BTreeSet<String> = [fleet::TOOL.to_string()].into();
        for tool in tools
            .iter()
            .map(|t| t.tool.clone())
            .collect::<BTreeSet<_>>()
        {
            let mine: Vec<&ToolSignals> = tools.iter().filter(|t| t.tool == tool).collect();
            if mine
                .iter()
                .all(|t| t.failure.is_none() && t.record.is_some())
            {
                covered.insert(tool);
            }
            for t in mine {
                if let Some(record) = &t.record {
                    specialist_signals.extend(signals_of(record).unwrap_or_default());
                }
            }
        }
        let ack_set: BTreeSet<String> = acks.ids().into_iter().collect();
        for s in &mut specialist_signals {
            restore_repeat_severity(s);
            s.acknowledged |= ack_set.contains(&s.id);
        }
        let findings = fleet::analyze_with(
            &input.config,
            &evidence.fleet,
            previous.fleet.as_ref(),
            &specialist_signals,
            &covered,
        );
        let own = signals_record(
            fleet::TOOL,
            &findings.output.signals,
            &findings.output.acknowledged,
        );
        let mut output = to_json(&findings.output)?;
        let mut snapshot = to_json(&findings.snapshot)?;
        output["collection"] = evidence.stats;
        output["acknowledgements"] = to_json(&acks)?;
        snapshot["acknowledgements"] = to_json(&acks.state())?;
        if !calls.is_empty() {
            let mut all = vec![ToolSignals {
                tool: fleet::TOOL.into(),
                record: Some(own.clone()),
                failure: None,
                console_url: None,
            }];
            all.extend(tools);
            let plan = build_plan_with(
                &all,
                previous.plan.as_deref(),
                &ack_set,
                &callers(&evidence.fleet.actors),
            );
            output["actionPlan"] = to_json(&plan)?;
            output["specialistRuns"] = to_json(&reports)?;
            snapshot["actionPlan"] = to_json(&plan.items)?;
            if let Some(target) = &notify {
                let selection = alerts::select(
                    &plan.items,
                    previous.alerts.as_ref(),
                    windows.as_of,
                    &input.alerts,
                );
                let context = MessageContext {
                    as_of: windows.as_of,
                    fleet: String::new(),
                    summary: findings.output.head.summary.clone(),
                    report_url: report_url(ctx),
                };
                // Once per run: a migrated run resumes with what was delivered, and pages no
                // one twice.
                let sent = ctx
                    .resume
                    .once("notify", async {
                        let outcome = notify::send_alerts(target, &selection, &context).await;
                        Ok(json!({
                            "notifications": notifications(&selection, &outcome),
                            "alerts": to_json(&outcome.state)?,
                        }))
                    })
                    .await?;
                output["notifications"] = sent["notifications"].clone();
                snapshot["alerts"] = sent["alerts"].clone();
            }
        }
        Ok(Emission {
            signals: own,
            snapshot: Some(snapshot),
            rows: findings
                .rows
                .iter()
                .map(to_json)
                .collect::<Result<_, _>>()?,
            // One `actor-analysed` event per actor of the overview (one row each).
            charges: Charge::per_row("actor-analysed", findings.rows.len()),
            status: findings.output.head.summary.clone(),
            cli_exit_code: 0,
            output,
        })
    }
}

/// Every check of the input that needs no request, in the order `run` makes them (which
/// calls it first): the typed parse, the acknowledgements, the notify target and the
/// specialist calls, each against its specialist's own schema. A bad input fails here, naming
/// the field, before any call about the fleet; `now` stands for a missing `asOf`.
pub fn check_input(
    input: &Value,
    now: DateTime<Utc>,
    api_base_url: &str,
) -> Result<FleetInput, RuntimeError> {
    let input: FleetInput = parse_input(input.clone())?;
    let as_of = input.as_of.unwrap_or(now);
    let acks = acknowledge::resolve(
        &input.config.acknowledged_signals,
        &input.unacknowledged_signals,
        None,
        as_of,
    )?;
    notify_target(&input, api_base_url)?;
    plan_calls(&input, &acks.ids(), &[])?;
    Ok(input)
}

/// The input's notify target, checked (https or loopback, not the API host).
fn notify_target(
    input: &FleetInput,
    api_base_url: &str,
) -> Result<Option<NotifyTarget>, RuntimeError> {
    Ok(match &input.notify {
        Some(url) if !url.0.trim().is_empty() => Some(
            NotifyTarget::parse(&url.0, input.notify_format.as_deref(), api_base_url).map_err(
                |e| {
                    InputError::Invalid(vec![FieldError {
                        field: "notify".into(),
                        message: e.to_string(),
                    }])
                },
            )?,
        ),
        _ => None,
    })
}

/// What this tool's previous SNAPSHOT holds for this run.
#[derive(Default)]
struct Previous {
    fleet: Option<FleetSnapshot>,
    plan: Option<Vec<PlanItem>>,
    acks: Option<AckState>,
    alerts: Option<AlertState>,
}

impl Previous {
    /// A snapshot from another tool or an older shape is ignored part by part, not an error.
    fn from(v: Option<Value>) -> Previous {
        let Some(v) = v else {
            return Previous::default();
        };
        let part = |key: &str| v.get(key).cloned();
        Previous {
            plan: part("actionPlan").and_then(|p| serde_json::from_value(p).ok()),
            acks: part("acknowledgements").and_then(|p| serde_json::from_value(p).ok()),
            alerts: part("alerts").and_then(|p| serde_json::from_value(p).ok()),
            fleet: serde_json::from_value(v)
                .map_err(|e| {
                    tracing::warn!("ignoring the previous SNAPSHOT's trends ({e}): none this run")
                })
                .ok(),
        }
    }
}

/// Who is hurt when an actor breaks: a public actor's Store users in the last 30 days, else
/// the number of ways it is started in the window (schedule, API, webhook, another actor...).
fn callers(actors: &[ActorEvidence]) -> std::collections::BTreeMap<String, u64> {
    actors
        .iter()
        .map(|a| {
            let origins = a.runs.origins_current.values().filter(|n| **n > 0).count() as u64;
            let users = a.actor.users_30_days.filter(|u| *u > 1).unwrap_or(0);
            (a.actor.id.clone(), users.max(origins))
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The run's Console page on the platform (no token in it); none in the CLI flow.
fn report_url(ctx: &Context) -> Option<String> {
    if ctx.flow == Flow::Cli {
        return None;
    }
    let var = |a: &str, b: &str| std::env::var(a).or_else(|_| std::env::var(b)).ok();
    let (actor, run) = (
        var("ACTOR_ID", "APIFY_ACTOR_ID")?,
        var("ACTOR_RUN_ID", "APIFY_ACTOR_RUN_ID")?,
    );
    Some(format!(
        "https://console.apify.com/actors/{actor}/runs/{run}"
    ))
}

/// What was sent, what was held back and why, for OUTPUT.
fn notifications(selection: &AlertSelection, outcome: &NotifyOutcome) -> Value {
    let sent: Vec<Value> = selection
        .alerts
        .iter()
        .map(|a| json!({"key": a.item.key, "kind": a.kind, "severity": a.item.severity}))
        .collect();
    let (delivered, error) = match &outcome.delivery {
        Ok(Some(d)) => (
            json!({"status": d.status, "attempts": d.attempts}),
            Value::Null,
        ),
        Ok(None) => (Value::Null, Value::Null),
        Err(e) => (Value::Null, json!(e.to_string())),
    };
    json!({
        "alerts": if error.is_null() { sent } else { Vec::new() },
        "pending": if error.is_null() { 0 } else { selection.alerts.len() },
        "suppressed": selection.suppressed,
        "delivery": delivered,
        "error": error,
    })
}

/// The specialist runs the input asks for, validated against each specialist's own schema.
fn plan_calls(
    input: &FleetInput,
    acks: &[String],
    evidence: &[ActorEvidence],
) -> Result<Vec<Call>, RuntimeError> {
    if input.specialists.is_empty() && input.release_gates.is_empty() && input.ab_tests.is_empty() {
        return Ok(Vec::new());
    }
    let mut common = Map::new();
    if let Some(t) = input.as_of {
        common.insert("asOf".into(), json!(t.to_rfc3339()));
    }
    if !acks.is_empty() {
        common.insert("acknowledgedSignals".into(), json!(acks));
    }
    // Before collection the fleet is the input's list (or every actor: one run each).
    let fleet: Vec<Workload> = if evidence.is_empty() {
        input
            .actors
            .iter()
            .map(|a| Workload {
                actor_id: a.clone(),
                runs: 0,
            })
            .collect()
    } else {
        evidence
            .iter()
            .map(|a| Workload {
                actor_id: a.actor.id.clone(),
                runs: a.runs.current().status.total() + a.runs.previous().status.total(),
            })
            .collect()
    };
    let requests: Vec<(String, Value)> = input
        .release_gates
        .iter()
        .map(|r| ("release-gate".to_string(), r.clone()))
        .chain(
            input
                .ab_tests
                .iter()
                .map(|r| ("ab-tester".to_string(), r.clone())),
        )
        .collect();
    let mut errors = Vec::new();
    for (i, tool) in input.specialists.iter().enumerate() {
        if !fanout::FLEET_SPECIALISTS.contains(&tool.as_str()) {
            errors.push(FieldError {
                field: format!("specialists[{i}]"),
                message: format!(
                    "`{tool}` is not a fleet specialist (one of {}); release-gate and ab-tester go in releaseGates and abTests",
                    fanout::FLEET_SPECIALISTS.join(", ")
                ),
            });
        }
    }
    for key in input.specialist_inputs.keys() {
        if specialists::input_schema(key).is_none() {
            errors.push(FieldError {
                field: format!("specialistInputs.{key}"),
                message: "not a specialist's name".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(InputError::Invalid(errors).into());
    }
    let calls = fanout::plan(
        &input.specialists,
        &fleet,
        &common,
        specialists::accepts,
        &input.specialist_inputs,
        &requests,
        &input.fanout,
    );
    specialists::validate(&calls, |c| match c.tool.as_str() {
        "release-gate" => format!("releaseGates[{}]", c.shard - 1),
        "ab-tester" => format!("abTests[{}]", c.shard - 1),
        t => format!("specialistInputs.{t}"),
    })?;
    Ok(calls)
}

/// The account that publishes the specialists: the input's, else this Actor's owner.
async fn specialists_owner(ctx: &Context, input: &FleetInput) -> Result<String, RuntimeError> {
    if let Some(o) = &input.specialists_owner {
        return Ok(o.clone());
    }
    let me = std::env::var("ACTOR_ID")
        .or_else(|_| std::env::var("APIFY_ACTOR_ID"))
        .map_err(|_| RuntimeError::Env("ACTOR_ID is not set".into()))?;
    Ok(ctx.source.actor(&me).await?.username.unwrap_or_default())
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
