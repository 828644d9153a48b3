//! schema-validator: reads each actor's newest builds with their definitions and hands them to
//! [`forge_core::analyses::schema_validator::analyze`].

use forge_core::analyses::schema_validator::{self, ActorBuilds};
use forge_core::model::JobStatus;
use forge_core::schema::{DiffConfig, Ignore, Level};
use forge_core::signal::signals_record;
use forge_runtime::actor::{parse_input, to_json};
use forge_runtime::charging::Charge;
use forge_runtime::{Context, Emission, Permission, RuntimeError, Tool};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaValidatorInput {
    #[serde(default)]
    pub actors: Vec<String>,
    pub builds_per_actor: i64,
    #[serde(default)]
    pub rule_levels: BTreeMap<String, Level>,
    #[serde(default)]
    pub ignores: Vec<Ignore>,
    #[serde(default)]
    pub acknowledged_signals: Vec<String>,
}

#[derive(Debug, Default)]
pub struct SchemaValidator;

#[async_trait::async_trait]
impl Tool for SchemaValidator {
    const NAME: &'static str = schema_validator::TOOL;
    const INPUT_SCHEMA: &'static str = include_str!("../.actor/input_schema.json");
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
        let input: SchemaValidatorInput = parse_input(input)?;
        let config = DiffConfig {
            overrides: input.rule_levels.clone(),
            ignores: input.ignores.clone(),
            now: ctx.now,
        };
        let source = &ctx.source;
        let actors = source.selected_actors(&input.actors).await?;
        let per_actor: Vec<ActorBuilds> = stream::iter(actors)
            .map(|actor| async move {
                let builds = source
                    .newest_builds(&actor.id, input.builds_per_actor)
                    .await?;
                let mut definitions = Vec::new();
                // Only successful builds carry definitions; a failed one costs no request.
                for b in builds.iter().filter(|b| b.status == JobStatus::Succeeded) {
                    if let Some(d) = source.build_definition(&b.id).await? {
                        definitions.push(d);
                    }
                }
                definitions.sort_by(|x, y| {
                    y.build
                        .started_at
                        .cmp(&x.build.started_at)
                        .then(y.build.id.cmp(&x.build.id))
                });
                Ok::<_, RuntimeError>(ActorBuilds {
                    actor,
                    builds: definitions,
                })
            })
            .buffered(source.concurrency.max(1))
            .try_collect()
            .await?;
        let findings =
            schema_validator::analyze(&config, &per_actor, &input.acknowledged_signals, ctx.now);
        Ok(Emission {
            signals: signals_record(
                schema_validator::TOOL,
                &findings.output.signals,
                &findings.output.acknowledged,
            ),
            snapshot: None,
            // One `build-compared` event per pair of consecutive builds compared: an actor
            // with one build is linted for free.
            charges: findings
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| Charge {
                    event: "build-compared".into(),
                    count: row["buildsChecked"].as_u64().unwrap_or(0).saturating_sub(1),
                    rows: vec![i],
                })
                .collect(),
            rows: findings.rows.clone(),
            status: findings.output.head.summary.clone(),
            cli_exit_code: 0,
            output: to_json(&findings.output)?,
        })
    }
}

/// The Actor's entry point, shared by its own binary and `apifyforge actor schema-validator`.
pub async fn main_exit_code() -> i32 {
    forge_runtime::run_tool(&SchemaValidator, Default::default()).await
}
