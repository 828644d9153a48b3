//! The fan-out: the specialist runs the plan of [`forge_core::analyses::fanout`] asks for,
//! made on the platform as Apify runs under the same token, or in this process in the CLI
//! flow. Each call ends as a [`ToolSignals`]: the run's signals, or why it has none. A
//! specialist that cannot start, fails, is killed or times out degrades its section; it never
//! fails the orchestrator's run.

use ab_tester::AbTester;
use compliance_scanner::ComplianceScanner;
use cost_watchdog::CostWatchdog;
use forge_core::analyses::action_plan::ToolSignals;
use forge_core::analyses::fanout::{Call, Mode};
use forge_core::input::{FieldError, InputError, InputSchema};
use forge_runtime::charging::Charging;
use forge_runtime::owned::StartOptions;
use forge_runtime::owned::{record, wait_for_run};
use forge_runtime::resume::Resume;
use forge_runtime::source::snapshot_scope;
use forge_runtime::{Context, Flow, RuntimeError, Tool};
use futures_util::stream::{self, StreamExt};
use quality_monitor::QualityMonitor;
use release_gate::ReleaseGate;
use schema_validator::SchemaValidator;
use serde::Serialize;
use serde_json::Value;

/// The input schema of a specialist, compiled into this binary.
pub fn input_schema(tool: &str) -> Option<&'static str> {
    Some(match tool {
        "schema-validator" => SchemaValidator::INPUT_SCHEMA,
        "release-gate" => ReleaseGate::INPUT_SCHEMA,
        "cost-watchdog" => CostWatchdog::INPUT_SCHEMA,
        "quality-monitor" => QualityMonitor::INPUT_SCHEMA,
        "ab-tester" => AbTester::INPUT_SCHEMA,
        "compliance-scanner" => ComplianceScanner::INPUT_SCHEMA,
        _ => return None,
    })
}

/// Whether `tool`'s input has the property `key`.
pub fn accepts(tool: &str, key: &str) -> bool {
    input_schema(tool)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .is_some_and(|s| s["properties"].get(key).is_some())
}

/// Checks every call's input against its specialist's schema before any run starts, so a
/// bad value fails the orchestrator up front, naming the field it came from.
pub fn validate(calls: &[Call], field_of: impl Fn(&Call) -> String) -> Result<(), InputError> {
    let mut errors = Vec::new();
    for call in calls {
        let field = field_of(call);
        let Some(schema) = input_schema(&call.tool) else {
            errors.push(FieldError {
                field,
                message: format!("no specialist named `{}`", call.tool),
            });
            continue;
        };
        match InputSchema::parse(schema)?.resolve(Some(&call.input)) {
            Ok(_) => {}
            Err(InputError::Invalid(list)) => errors.extend(list.into_iter().map(|e| FieldError {
                field: format!("{field}.{}", e.field),
                message: e.message,
            })),
            Err(e) => return Err(e),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(errors))
    }
}

/// How one specialist call went, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallReport {
    /// `tool` or `tool#shard/shards`.
    pub call: String,
    pub tool: String,
    pub mode: Mode,
    pub actors: usize,
    pub estimated_secs: f64,
    /// SUCCEEDED, FAILED, TIMED-OUT, ABORTED, NOT-STARTED or NOT-FINISHED.
    pub status: String,
    pub run_id: Option<String>,
    pub console_url: Option<String>,
    pub error: Option<String>,
}

/// The platform's Console page of a run, or of the actor's runs when the run is unknown.
fn console_url(actor: &str, run_id: Option<&str>) -> String {
    match run_id {
        Some(id) => format!("https://console.apify.com/actors/{actor}/runs/{id}"),
        None => format!("https://console.apify.com/actors/{actor}/runs"),
    }
}

/// Makes the calls, at most `parallel` at once on the platform (one at a time in the CLI
/// flow, where they share this process), and returns their results in call order.
pub async fn run_calls(
    ctx: &Context,
    calls: &[Call],
    owner: &str,
    parallel: usize,
    wait_secs: u64,
) -> Vec<(ToolSignals, CallReport)> {
    let width = if ctx.flow == Flow::Cli {
        1
    } else {
        parallel.max(1)
    };
    // Futures built up front: a closure over `&Call` inside the async trait method would need
    // a higher-ranked lifetime the compiler cannot prove.
    let futures: Vec<_> = calls
        .iter()
        .map(|call| Box::pin(one_call(ctx, call, owner, wait_secs)))
        .collect();
    stream::iter(futures).buffered(width).collect().await
}

async fn one_call(
    ctx: &Context,
    call: &Call,
    owner: &str,
    wait_secs: u64,
) -> (ToolSignals, CallReport) {
    match ctx.flow {
        Flow::Cli => in_process(ctx, call).await,
        _ => on_platform(ctx, call, owner, wait_secs).await,
    }
}

fn report(call: &Call, status: &str) -> CallReport {
    CallReport {
        call: call.label(),
        tool: call.tool.clone(),
        mode: call.mode,
        actors: call.input["actors"].as_array().map_or(1, Vec::len),
        estimated_secs: call.estimated_secs,
        status: status.into(),
        run_id: None,
        console_url: None,
        error: None,
    }
}

fn finish(
    call: &Call,
    mut rep: CallReport,
    outcome: Result<Value, String>,
) -> (ToolSignals, CallReport) {
    let (record, failure) = match outcome {
        Ok(r) => (Some(r), None),
        Err(e) => {
            rep.error = Some(e.clone());
            (None, Some(format!("{}: {e}", call.label())))
        }
    };
    (
        ToolSignals {
            tool: call.tool.clone(),
            record,
            failure,
            console_url: rep.console_url.clone(),
        },
        rep,
    )
}

/// The CLI flow: the same tool code in this process, with the user's token.
async fn in_process(ctx: &Context, call: &Call) -> (ToolSignals, CallReport) {
    // As run_tool would run it: its own trend state of its scope read and kept locally.
    async fn one<T: Tool>(tool: &T, parent: &Context, body: &Value) -> Result<Value, RuntimeError> {
        let input = InputSchema::parse(T::INPUT_SCHEMA)?.resolve(Some(body))?;
        // Its own progress and charges, as its own run would have: two shards' steps of the
        // same name (`probe-0`) are two steps, and nothing is charged in the CLI flow.
        let own = Context {
            flow: parent.flow,
            source: parent.source.clone(),
            now: parent.now,
            local_storage_dir: parent.local_storage_dir.clone(),
            charging: Charging::recording(),
            resume: Resume::detached(),
            lifecycle: parent.lifecycle.clone(),
        };
        let ctx = &own;
        let scope = snapshot_scope(&input);
        let previous = match T::KEEPS_SNAPSHOT {
            true => ctx.local_snapshot(T::NAME, &scope)?,
            false => None,
        };
        let emission = tool.run(ctx, input, previous).await?;
        if let Some(mut snapshot) = emission.snapshot {
            if let Some(o) = snapshot.as_object_mut() {
                o.insert("scope".into(), Value::String(scope.clone()));
            }
            ctx.save_local_snapshot(T::NAME, &scope, &snapshot)?;
        }
        Ok(emission.signals)
    }
    let result = match call.tool.as_str() {
        "schema-validator" => one(&SchemaValidator, ctx, &call.input).await,
        "release-gate" => one(&ReleaseGate, ctx, &call.input).await,
        "cost-watchdog" => one(&CostWatchdog, ctx, &call.input).await,
        "quality-monitor" => one(&QualityMonitor, ctx, &call.input).await,
        "ab-tester" => one(&AbTester, ctx, &call.input).await,
        "compliance-scanner" => one(&ComplianceScanner, ctx, &call.input).await,
        other => Err(RuntimeError::Other(format!("no specialist {other}"))),
    };
    let status = if result.is_ok() {
        "SUCCEEDED"
    } else {
        "FAILED"
    };
    finish(
        call,
        report(call, status),
        result.map_err(|e| e.to_string()),
    )
}

/// The platform flow: each call is a run started under the call's key, its id recorded in this
/// run's progress before anything else ([`forge_runtime::resume::Resume::start_run`]), then
/// waited for and its SIGNALS read. A run-sync request would be one request instead of four,
/// but its run id is unknown until it returns: a migrated orchestrator could neither find the
/// run again nor avoid starting it twice. A call planned as sync (it surely fits in run-sync's
/// 300 s) keeps run-sync's bounds: a run timeout of 280 s, waited for up to 300 s.
async fn on_platform(
    ctx: &Context,
    call: &Call,
    owner: &str,
    wait_secs: u64,
) -> (ToolSignals, CallReport) {
    let client = &ctx.source.client;
    let actor = format!("{owner}~{}", call.tool);
    let mut rep = report(call, "NOT-STARTED");
    let (timeout_secs, wait_secs) = match call.mode {
        // The run's own timeout ends it before the wait gives up, so a slow run comes back
        // as a failed run with its ID rather than as a run we lost track of.
        Mode::Sync => (280, 300),
        Mode::Async => (wait_secs, wait_secs),
    };
    let options = StartOptions {
        timeout_secs: Some(timeout_secs),
        ..Default::default()
    };
    let key = format!("{}#{}/{}", call.tool, call.shard, call.shards);
    let run = match ctx
        .resume
        .start_run(client, &key, &actor, &call.input, &options)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            rep.console_url = Some(console_url(&actor, None));
            return finish(call, rep, Err(format!("could not start: {e}")));
        }
    };
    rep.run_id = Some(run.run_id().to_string());
    rep.console_url = Some(console_url(&actor, Some(run.run_id())));
    rep.status = "NOT-FINISHED".into();
    let mut status_message = None;
    // Waits in the API's 60 s steps, a little longer than the run's own timeout.
    for _ in 0..wait_secs.div_ceil(60) + 1 {
        if let Ok(Some(d)) = wait_for_run(client, &run, 60).await {
            if d.status.is_terminal() {
                rep.status = d.status.as_str().to_string();
                status_message = d.status_message.clone();
                break;
            }
        }
    }
    let signals = record(client, &run, "SIGNALS").await.ok().flatten();
    let outcome = match (signals, rep.status.as_str()) {
        (Some(s), "SUCCEEDED") => Ok(s),
        (None, "SUCCEEDED") => Err("the run finished without a SIGNALS record".into()),
        (_, "NOT-FINISHED") => Err(format!("the run did not finish within {wait_secs} s")),
        (_, status) => Err(format!(
            "the run ended {status}{}",
            status_message.map(|m| format!(": {m}")).unwrap_or_default()
        )),
    };
    finish(call, rep, outcome)
}
