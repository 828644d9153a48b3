//! compliance-scanner: reads each selected actor and one build of it (the newest by default)
//! exactly as the API returns them, and hands them to
//! [`forge_core::analyses::compliance::analyze`]. It reads definitions only: no run, no
//! dataset, no key-value store of the user's.

use chrono::{DateTime, Utc};
use forge_core::analyses::compliance::{self, ActorDocs, ComplianceConfig, ComplianceEvidence};
use forge_core::model::ActorInfo;
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::charging::Charge;
use forge_runtime::source::FleetSource;
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceInput {
    #[serde(flatten)]
    pub config: ComplianceConfig,
    #[serde(default)]
    pub actors: Vec<String>,
    /// "newest" (the newest build, default) or "latest" (the build tagged latest).
    pub build: String,
    pub as_of: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct ComplianceScanner;

#[async_trait::async_trait]
impl Tool for ComplianceScanner {
    const NAME: &'static str = compliance::TOOL;
    const INPUT_SCHEMA: &'static str = include_str!("../.actor/input_schema.json");
    // Definitions only: no run history, no runs started.
    const PERMISSIONS: &'static [Permission] = &[
        Permission::ActorsRead,
        Permission::StoragesRead,
        Permission::StoragesWrite,
    ];

    async fn run(
        &self,
        ctx: &Context,
        input: Value,
        _previous: Option<Value>,
    ) -> Result<Emission, RuntimeError> {
        let input: ComplianceInput = parse_input(input)?;
        let source = &ctx.source;
        let actors = source.selected_actors(&input.actors).await?;
        let latest = input.build == "latest";
        let docs: Vec<ActorDocs> = stream::iter(actors)
            .map(|actor| collect(source, actor, latest))
            .buffered(source.concurrency.max(1))
            .try_collect()
            .await?;
        let findings = compliance::analyze(
            &input.config,
            &ComplianceEvidence {
                as_of: input.as_of.unwrap_or(ctx.now),
                actors: docs,
            },
        );
        let output = to_json(&findings.output)?;
        // One `actor-scanned` event per actor, paying for its finding rows (an actor without
        // findings is scanned and charged all the same).
        let scanned: Vec<(String, u64)> = findings
            .output
            .actors
            .iter()
            .map(|a| (a.actor_id.clone(), 1))
            .collect();
        Ok(Emission {
            signals: signals_record(
                compliance::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            ),
            snapshot: None,
            charges: Charge::per_subject("actor-scanned", &scanned, &findings.rows, "actorId"),
            rows: findings.rows,
            status: output["summary"].as_str().unwrap_or_default().to_string(),
            cli_exit_code: 0,
            output,
        })
    }
}

async fn collect(
    source: &FleetSource,
    actor: ActorInfo,
    latest: bool,
) -> Result<ActorDocs, RuntimeError> {
    let actor_object = source.actor_object(&actor.id).await?.unwrap_or(Value::Null);
    let build_id = if latest {
        actor.latest_build_id.clone()
    } else {
        source
            .newest_builds(&actor.id, 1)
            .await?
            .into_iter()
            .next()
            .map(|b| b.id)
    };
    let build = match build_id {
        Some(id) => source.build_object(&id).await?,
        None => None,
    };
    Ok(ActorDocs {
        actor,
        actor_object,
        build,
    })
}

/// The Actor's entry point, shared by its own binary and `apifyforge actor compliance-scanner`.
pub async fn main_exit_code() -> i32 {
    forge_runtime::run_tool(&ComplianceScanner, Default::default()).await
}
