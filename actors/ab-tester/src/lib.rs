//! ab-tester: collects the runs of two variants — from history (run lists and sampled run
//! details, no spend) or from an experiment (runs it starts, interleaved, within a run and
//! dollar budget) — and hands them to [`forge_core::analyses::ab::analyze`].

use chrono::{DateTime, Duration, Utc};
use forge_core::analyses::ab::{self, AbConfig, AbEvidence, Arm, ArmRun, Budget};
use forge_core::input::{FieldError, InputError};
use forge_core::model::{ActorInfo, JobStatus, RunRecord};
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::charging::Charge;
use forge_runtime::owned::{dataset_items, wait_for_run, StartOptions};
use forge_runtime::resume::Resume;
use forge_runtime::source::{FleetSource, ReadCounts};
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use serde::Deserialize;
use serde_json::{json, Value};

/// One variant: an actor, optionally pinned to a build, a memory setting and an input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Variant {
    /// Name, `username/name` or ID; default: the input's `actor`.
    pub actor: Option<String>,
    /// Build number or tag.
    pub build: Option<String>,
    pub memory_mbytes: Option<u32>,
    /// Experiment mode only: history cannot tell which input a run had (reading other runs'
    /// inputs is not ours to do).
    pub input: Option<Value>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbInput {
    #[serde(flatten)]
    pub config: AbConfig,
    pub actor: Option<String>,
    pub mode: String,
    #[serde(default)]
    pub variant_a: Variant,
    #[serde(default)]
    pub variant_b: Variant,
    pub window_days: u32,
    pub detail_samples_per_arm: usize,
    pub max_runs: u64,
    pub max_budget_usd: f64,
    pub price_per_compute_unit_usd: f64,
    pub run_timeout_secs: Option<u64>,
    pub seed: u64,
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct AbTester;

#[async_trait::async_trait]
impl Tool for AbTester {
    const NAME: &'static str = ab::TOOL;
    const INPUT_SCHEMA: &'static str = include_str!("../.actor/input_schema.json");
    // Experiments also need Actors: Run (to start the runs) and read the datasets of the runs
    // they started; history needs neither.
    const PERMISSIONS: &'static [Permission] = &[
        Permission::ActorsRead,
        Permission::ActorsListRuns,
        Permission::StoragesRead,
        Permission::StoragesWrite,
    ];
    /// An experiment asked for without Actors: Run is refused, naming it.
    const OPTIONAL_PERMISSIONS: &'static [(Permission, &'static str)] =
        &[(Permission::ActorsRun, "experiment mode")];

    async fn run(
        &self,
        ctx: &Context,
        input: Value,
        _previous: Option<Value>,
    ) -> Result<Emission, RuntimeError> {
        let (input, (name_a, name_b)) = check_input(&input)?;
        let as_of = input.as_of.unwrap_or(ctx.now);
        let source = &ctx.source;
        let actor_a = find_actor(source, &name_a, "variantA.actor").await?;
        let actor_b = find_actor(source, &name_b, "variantB.actor").await?;
        let (evidence, counts) = if input.mode == "experiment" {
            let e = experiment(source, &ctx.resume, &input, as_of, (&actor_a, &actor_b)).await?;
            (e, None)
        } else {
            let (e, counts) = history(source, &input, as_of, (&actor_a, &actor_b)).await?;
            (e, Some(counts))
        };
        let findings = ab::analyze(&input.config, &evidence);
        let mut output = to_json(&findings.output)?;
        // History reads run lists: items that could not be read are reported, not fatal.
        if let Some(c) = counts {
            output["collection"] =
                serde_json::json!({"runsRead": c.read, "malformedRuns": c.malformed});
        }
        Ok(Emission {
            signals: signals_record(
                ab::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            ),
            snapshot: None,
            // One `comparison` event: every metric row is part of the one verdict.
            charges: Charge::whole("comparison", findings.rows.len()),
            rows: findings.rows,
            status: output["summary"].as_str().unwrap_or_default().to_string(),
            cli_exit_code: 0,
            output,
        })
    }
}

/// Every check of the input that needs no request (`run` calls it first): the typed parse
/// and the actor of each variant. Returns the input and the two actor names.
pub fn check_input(input: &Value) -> Result<(AbInput, (String, String)), RuntimeError> {
    let input: AbInput = parse_input(input.clone())?;
    let resolve = |v: &Variant| v.actor.clone().or_else(|| input.actor.clone());
    match (resolve(&input.variant_a), resolve(&input.variant_b)) {
        (Some(name_a), Some(name_b)) => Ok((input, (name_a, name_b))),
        (None, None) => Err(field_error(
            "actor",
            "name the actor to test (or variantA.actor and variantB.actor)",
        )),
        // Named by the variant that has no actor: that is the field to fill.
        (a, _) => Err(field_error(
            if a.is_none() {
                "variantA.actor"
            } else {
                "variantB.actor"
            },
            "no actor to test: name it here, or in `actor` for both variants",
        )),
    }
}

fn field_error(field: &str, message: &str) -> RuntimeError {
    RuntimeError::InvalidInput(InputError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }]))
}

async fn find_actor(
    source: &FleetSource,
    name: &str,
    field: &str,
) -> Result<ActorInfo, RuntimeError> {
    let mine = source.selected_actors(&[name.to_string()]).await?;
    match mine.into_iter().next() {
        Some(a) => Ok(a),
        None => source
            .actor(&name.replacen('/', "~", 1))
            .await
            .map_err(|_| field_error(field, &format!("no actor {name} found"))),
    }
}

fn describe(v: &Variant, actor: &ActorInfo, build: Option<&str>) -> String {
    let mut parts = vec![actor.full_name()];
    if let Some(b) = build {
        parts.push(format!("build {b}"));
    }
    if let Some(m) = v.memory_mbytes {
        parts.push(format!("{m} MB"));
    }
    if v.input.is_some() {
        parts.push("its own input".into());
    }
    parts.join(", ")
}

/// History: runs of the window from the run lists; memory and items from sampled details.
/// Without builds named, B is the newest build with runs and A the one before it.
async fn history(
    source: &FleetSource,
    input: &AbInput,
    as_of: DateTime<Utc>,
    (actor_a, actor_b): (&ActorInfo, &ActorInfo),
) -> Result<(AbEvidence, ReadCounts), RuntimeError> {
    let start = as_of - Duration::days(input.window_days.clamp(1, 365) as i64);
    let mut runs_a = Vec::new();
    let mut counts = source
        .for_each_run(&actor_a.id, start, as_of, |r| runs_a.push(r))
        .await?;
    let runs_b = if actor_b.id == actor_a.id {
        runs_a.clone()
    } else {
        let mut v = Vec::new();
        let more = source
            .for_each_run(&actor_b.id, start, as_of, |r| v.push(r))
            .await?;
        counts.read += more.read;
        counts.malformed += more.malformed;
        v
    };
    let (mut build_a, mut build_b) = (input.variant_a.build.clone(), input.variant_b.build.clone());
    if actor_a.id == actor_b.id
        && build_a.is_none()
        && build_b.is_none()
        && input.variant_a.memory_mbytes == input.variant_b.memory_mbytes
    {
        // Builds by first use, oldest first (the list is newest first).
        let mut order: Vec<String> = Vec::new();
        for r in runs_a.iter().rev() {
            if let Some(b) = &r.build_number {
                if !order.contains(b) {
                    order.push(b.clone());
                }
            }
        }
        if let [.., old, new] = &order[..] {
            build_a = Some(old.clone());
            build_b = Some(new.clone());
        }
    }
    let arm_a = history_arm(
        source,
        input,
        "A",
        &input.variant_a,
        actor_a,
        build_a,
        &runs_a,
    )
    .await?;
    let arm_b = history_arm(
        source,
        input,
        "B",
        &input.variant_b,
        actor_b,
        build_b,
        &runs_b,
    )
    .await?;
    Ok((
        AbEvidence {
            mode: "history".into(),
            as_of,
            a: arm_a,
            b: arm_b,
            budget: None,
        },
        counts,
    ))
}

async fn history_arm(
    source: &FleetSource,
    input: &AbInput,
    default_label: &str,
    v: &Variant,
    actor: &ActorInfo,
    build: Option<String>,
    runs: &[RunRecord],
) -> Result<Arm, RuntimeError> {
    // "latest" in history means the build the tag points to now.
    let build = match build.as_deref() {
        Some("latest") => source
            .newest_builds(&actor.id, 50)
            .await?
            .into_iter()
            .find(|b| Some(&b.id) == actor.latest_build_id.as_ref())
            .and_then(|b| b.build_number),
        _ => build,
    };
    let mine: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| build.is_none() || r.build_number == build)
        .collect();
    let mut arm_runs: Vec<ArmRun> = Vec::new();
    if v.memory_mbytes.is_some() {
        // Memory is only in run details: a bounded sample of the newest runs.
        let ids: Vec<String> = mine
            .iter()
            .filter(|r| r.status.is_terminal())
            .take(input.detail_samples_per_arm.max(1) * 4)
            .map(|r| r.id.clone())
            .collect();
        for d in source.run_details(&ids).await? {
            if d.memory_mbytes == v.memory_mbytes {
                arm_runs.push(ArmRun {
                    status: d.status,
                    duration_secs: d.run_time_secs,
                    cost_usd: d.usage_total_usd,
                    items: d.dataset_writes.or(Some(0.0)),
                });
            }
        }
    } else {
        arm_runs = mine
            .iter()
            .filter(|r| r.status.is_terminal())
            .map(|r| ArmRun {
                status: r.status,
                duration_secs: r.duration_secs(),
                cost_usd: Some(r.usage_total_usd),
                items: None,
            })
            .collect();
        // Items per run from the newest successful runs' details (`usage.DATASET_WRITES`).
        let ids: Vec<String> = mine
            .iter()
            .filter(|r| r.status == JobStatus::Succeeded)
            .take(input.detail_samples_per_arm)
            .map(|r| r.id.clone())
            .collect();
        let details = source.run_details(&ids).await?;
        let mut it = details.iter();
        for run in arm_runs
            .iter_mut()
            .filter(|r| r.status == JobStatus::Succeeded)
        {
            match it.next() {
                Some(d) => run.items = Some(d.dataset_writes.unwrap_or(0.0)),
                None => break,
            }
        }
    }
    Ok(Arm {
        label: v.label.clone().unwrap_or_else(|| default_label.into()),
        description: describe(v, actor, build.as_deref()),
        actor_id: actor.id.clone(),
        actor_name: actor.full_name(),
        build_number: build,
        runs: arm_runs,
    })
}

/// Experiment: pairs of runs, A and B in a seeded random order, until the run budget, the
/// dollar budget (by the worst case of the next pair) or an early decision stops it. Each run
/// is started under its place in the experiment (`experiment-<n>`) and recorded in this run's
/// progress, so a migrated ab-tester re-attaches the runs it started and starts none twice.
async fn experiment(
    source: &FleetSource,
    resume: &Resume,
    input: &AbInput,
    as_of: DateTime<Utc>,
    (actor_a, actor_b): (&ActorInfo, &ActorInfo),
) -> Result<AbEvidence, RuntimeError> {
    let client = &source.client;
    let variants = [(&input.variant_a, actor_a), (&input.variant_b, actor_b)];
    // Each run's share of the budget caps what it may charge in pay-per-event events (the
    // platform passes it as ACTOR_MAX_TOTAL_CHARGE_USD), so the worst case below bounds event
    // costs too, not only compute.
    let events_cap = (input.max_budget_usd / input.max_runs.max(1) as f64 * 1e6).floor() / 1e6;
    let options: Vec<StartOptions> = variants
        .iter()
        .map(|(v, a)| StartOptions {
            build: v.build.clone(),
            memory_mbytes: v.memory_mbytes,
            timeout_secs: input.run_timeout_secs.or(a.default_timeout_secs),
            max_total_charge_usd: (events_cap > 0.0).then_some(events_cap),
        })
        .collect();
    // The most one run can cost: its memory for its whole timeout at the compute-unit price,
    // plus the most it may charge in events.
    let worst = variants
        .iter()
        .zip(&options)
        .map(|((_, a), o)| {
            let gb = o.memory_mbytes.or(a.default_memory_mbytes).unwrap_or(1024) as f64 / 1024.0;
            let hours = o.timeout_secs.unwrap_or(3600) as f64 / 3600.0;
            gb * hours * input.price_per_compute_unit_usd + o.max_total_charge_usd.unwrap_or(0.0)
        })
        .fold(0.0, f64::max);
    let mut arms: [Vec<ArmRun>; 2] = [Vec::new(), Vec::new()];
    let (mut started, mut spent) = (0u64, 0.0f64);
    let mut rng = input.seed.max(1);
    let stopped_because = loop {
        if started + 2 > input.max_runs {
            break "the run budget is used up".to_string();
        }
        if spent + 2.0 * worst > input.max_budget_usd {
            break format!(
                "the dollar budget cannot cover another pair at the worst case of ${worst:.4} a run"
            );
        }
        // xorshift: a seeded coin for the order of each pair, so position effects cancel.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let order = if rng & 1 == 0 { [0, 1] } else { [1, 0] };
        let mut pair = Vec::new();
        for &arm in &order {
            let (v, actor) = variants[arm];
            let run_input = v.input.clone().unwrap_or_else(|| json!({}));
            let key = format!("experiment-{started}");
            let run = resume
                .start_run(client, &key, &actor.id, &run_input, &options[arm])
                .await?;
            started += 1;
            pair.push((arm, run));
        }
        for (arm, run) in pair {
            let detail = wait_for_run(client, &run, 60).await?;
            let Some(d) = detail else { continue };
            // The run's own count of items written; its items are downloaded only to count
            // them where the platform does not report it.
            let items = match d.dataset_writes {
                Some(n) => Some(n),
                None if d.status == JobStatus::Succeeded => dataset_items(client, &run)
                    .await
                    .map(|i| i.len() as f64)
                    .ok(),
                None => None,
            };
            spent += d.usage_total_usd.unwrap_or(0.0);
            arms[arm].push(ArmRun {
                status: d.status,
                duration_secs: d.run_time_secs,
                cost_usd: d.usage_total_usd,
                items: if d.status == JobStatus::Succeeded {
                    items
                } else {
                    None
                },
            });
        }
        if input.config.sequential && arms[0].len() >= 10 && arms[1].len() >= 10 {
            let probe = ab::analyze(&input.config, &evidence_of(as_of, variants, &arms, None));
            if !matches!(probe.output.verdict, ab::Verdict::NotEnoughData { .. }) {
                break "the always-valid interval decided early".to_string();
            }
        }
    };
    let budget = Budget {
        max_runs: input.max_runs,
        max_usd: input.max_budget_usd,
        runs_started: started,
        usd_spent: (spent * 1e6).round() / 1e6,
        worst_case_usd_per_run: (worst * 1e6).round() / 1e6,
        stopped_because,
    };
    Ok(evidence_of(as_of, variants, &arms, Some(budget)))
}

fn evidence_of(
    as_of: DateTime<Utc>,
    variants: [(&Variant, &ActorInfo); 2],
    arms: &[Vec<ArmRun>; 2],
    budget: Option<Budget>,
) -> AbEvidence {
    let arm = |i: usize, label: &str| {
        let (v, actor) = variants[i];
        Arm {
            label: v.label.clone().unwrap_or_else(|| label.into()),
            description: describe(v, actor, v.build.as_deref()),
            actor_id: actor.id.clone(),
            actor_name: actor.full_name(),
            build_number: v.build.clone(),
            runs: arms[i].clone(),
        }
    };
    AbEvidence {
        mode: "experiment".into(),
        as_of,
        a: arm(0, "A"),
        b: arm(1, "B"),
        budget,
    }
}

/// The Actor's entry point, shared by its own binary and `apifyforge actor ab-tester`.
pub async fn main_exit_code() -> i32 {
    forge_runtime::run_tool(&AbTester, Default::default()).await
}
