//! release-gate: finds the candidate and baseline builds of one actor, reads their
//! definitions, and hands them to [`forge_core::analyses::release_gate::gate`].

use forge_core::analyses::release_gate::{self, GateEvidence, Verdict};
use forge_core::model::{BuildInfo, JobStatus};
use forge_core::schema::{DiffConfig, Ignore, Level};
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::charging::Charge;
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Builds read to find the candidate and the baseline.
const BUILDS_READ: i64 = 30;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseGateInput {
    pub actor: String,
    pub candidate_build: Option<String>,
    pub baseline_build: Option<String>,
    #[serde(default)]
    pub example_inputs: Vec<Value>,
    #[serde(default)]
    pub rule_levels: BTreeMap<String, Level>,
    #[serde(default)]
    pub ignores: Vec<Ignore>,
}

#[derive(Debug, Default)]
pub struct ReleaseGate;

/// The API's form of what a person types: `user/name` → `user~name`, a bare name → `~name`
/// (the token owner's), an ID as it is.
fn actor_ref(s: &str) -> String {
    let s = s.trim();
    if s.contains('/') {
        s.replacen('/', "~", 1)
    } else if s.contains('~') || (s.len() == 17 && s.chars().all(|c| c.is_ascii_alphanumeric())) {
        s.to_string()
    } else {
        format!("~{s}")
    }
}

fn find<'a>(builds: &'a [BuildInfo], wanted: &str) -> Option<&'a BuildInfo> {
    builds
        .iter()
        .find(|b| b.id == wanted || b.build_number.as_deref() == Some(wanted))
}

#[async_trait::async_trait]
impl Tool for ReleaseGate {
    const NAME: &'static str = release_gate::TOOL;
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
        let input: ReleaseGateInput = parse_input(input)?;
        let source = &ctx.source;
        let actor = source.actor(&actor_ref(&input.actor)).await?;
        let mut builds = source.newest_builds(&actor.id, BUILDS_READ).await?;
        builds.sort_by(|x, y| y.started_at.cmp(&x.started_at).then(y.id.cmp(&x.id)));
        let candidate = match &input.candidate_build {
            Some(w) => find(&builds, w).ok_or_else(|| {
                RuntimeError::NotFound(format!("candidate build {w} of {}", actor.full_name()))
            })?,
            None => builds.first().ok_or_else(|| {
                RuntimeError::NotFound(format!("any build of {}", actor.full_name()))
            })?,
        }
        .clone();
        // The baseline is what callers use today, and never the candidate itself.
        let (baseline, reason) = match &input.baseline_build {
            Some(w) => (
                Some(
                    find(&builds, w)
                        .ok_or_else(|| RuntimeError::NotFound(format!("baseline build {w}")))?
                        .clone(),
                ),
                "given",
            ),
            None => {
                let tagged = actor
                    .latest_build_id
                    .as_deref()
                    .and_then(|id| find(&builds, id))
                    .filter(|b| b.id != candidate.id);
                let by_run = match tagged {
                    Some(_) => None,
                    None => source
                        .last_successful_run_build(&actor.id)
                        .await?
                        .and_then(|id| find(&builds, &id).cloned())
                        .filter(|b| b.id != candidate.id),
                };
                let older = builds
                    .iter()
                    .filter(|b| {
                        b.status == JobStatus::Succeeded
                            && b.id != candidate.id
                            && b.started_at <= candidate.started_at
                    })
                    .find(|_| true);
                match (tagged, by_run, older) {
                    (Some(b), _, _) => (Some(b.clone()), "the build tagged latest"),
                    (None, Some(b), _) => (Some(b), "the build of the newest successful run"),
                    (None, None, Some(b)) => (
                        Some(b.clone()),
                        "the newest successful build before the candidate",
                    ),
                    _ => (None, "none: the actor has no other successful build"),
                }
            }
        };
        let candidate_def = source
            .build_definition(&candidate.id)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("build {}", candidate.id)))?;
        let baseline_def = match &baseline {
            Some(b) => source.build_definition(&b.id).await?,
            None => None,
        };
        let config = DiffConfig {
            overrides: input.rule_levels.clone(),
            ignores: input.ignores.clone(),
            now: ctx.now,
        };
        let evidence = GateEvidence {
            actor,
            candidate: candidate_def,
            baseline: baseline_def,
            baseline_reason: reason.into(),
            example_inputs: input.example_inputs.clone(),
        };
        let findings = release_gate::gate(&config, &evidence, ctx.now);
        let output = to_json(&findings.output)?;
        Ok(Emission {
            signals: signals_record(release_gate::TOOL, &findings.output.signals, &[]),
            snapshot: None,
            // One `gate-decision` event: every finding row is part of the one verdict.
            charges: Charge::whole("gate-decision", findings.rows.len()),
            rows: findings.rows.clone(),
            status: findings.output.head.summary.clone(),
            cli_exit_code: if findings.output.verdict == Verdict::Block {
                3
            } else {
                0
            },
            output,
        })
    }
}

/// The Actor's entry point, shared by its own binary and `apifyforge actor release-gate`.
pub async fn main_exit_code() -> i32 {
    forge_runtime::run_tool(&ReleaseGate, Default::default()).await
}
