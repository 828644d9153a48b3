//! `apifyforge`: run the tools on your own machine, play the platform locally, or see it all
//! in one command with `apifyforge demo`. Exit codes: 0 ok, 1 tool failure, 2 bad input,
//! 3 release-gate BLOCK.

use anyhow::Context as _;
use apifyforge::demo::{run_demo, summary, DemoOptions};
use apifyforge::tools;
use apifyforge::ui::{self, Problem};
use chrono::{DateTime, Utc};
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Parser, Subcommand};
use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::{Emulator, Fixture};
use forge_runtime::env::RunEnv;
use forge_runtime::Flow;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

#[derive(Parser)]
#[command(
    name = "apifyforge",
    version,
    about = "Tells an Apify developer what to fix first across their whole fleet of Actors.",
    after_help = ui::top_help(&[
        "On your machine: `APIFY_TOKEN=... apifyforge run <tool>` reads your fleet through the API; the token and the results (./storage) stay here.",
        "On Apify: each tool is an Actor; the platform starts `apifyforge actor <tool>`, which writes OUTPUT, SIGNALS and a dataset there.",
        "First time? `apifyforge demo` plays both on a synthetic fleet, no token needed; `apifyforge doctor` checks yours.",
    ])
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The tools `run` and `actor` take, each with what it answers (in `--help`).
fn tool_names() -> PossibleValuesParser {
    PossibleValuesParser::new(
        tools::TOOLS
            .iter()
            .map(|t| PossibleValue::new(*t).help(tools::describe(t))),
    )
}

#[derive(clap::Args, Clone)]
struct FleetArgs {
    /// Seed of the synthetic fleet: the same seed gives the same fleet.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of actors.
    #[arg(long, default_value_t = 40)]
    actors: usize,
    /// Days of run history.
    #[arg(long, default_value_t = 60)]
    days: u32,
    /// Mean runs per actor per day.
    #[arg(long, default_value_t = 8.0)]
    runs_per_day: f64,
    /// The fleet's "now" (ISO 8601); default: today, 00:00 UTC.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
}

impl FleetArgs {
    fn synth(&self) -> SynthConfig {
        let now = self.now.unwrap_or_else(|| {
            Utc::now()
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or_else(Utc::now)
        });
        SynthConfig {
            seed: self.seed,
            actors: self.actors,
            days: self.days,
            runs_per_day: self.runs_per_day,
            now,
            ..Default::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// The whole product on a synthetic fleet: no token, no network.
    ///
    /// Serves a seeded synthetic fleet on a local Apify API emulator, runs every tool on it
    /// exactly as the platform would, and prints what to fix first and how many planted
    /// problems each tool found.
    #[command(after_help = ui::examples(&[
        ("the whole product on a synthetic fleet of 40 actors", "apifyforge demo"),
        ("a bigger fleet, another seed", "apifyforge demo --actors 200 --seed 7"),
        ("every tool's OUTPUT as JSON, for a script", "apifyforge demo --json > demo-outputs.json"),
    ]))]
    Demo {
        #[command(flatten)]
        fleet: FleetArgs,
        /// Where to write OUTPUT, SIGNALS, dataset rows, ground truth and the audit log.
        #[arg(long, default_value = "storage/demo")]
        out: PathBuf,
        /// Print every tool's OUTPUT as JSON instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Run a tool on your machine against the Apify API (the CLI flow).
    ///
    /// Token from APIFY_TOKEN, API from APIFY_API_BASE_URL (default https://api.apify.com),
    /// outputs in ./storage (APIFY_LOCAL_STORAGE_DIR) in Apify's local layout. Prints the
    /// decision, the top signals and where the outputs are; progress goes to stderr.
    #[command(after_help = ui::examples(&[
        ("spend, month-end projection and cost anomalies of your fleet (APIFY_TOKEN set)", "apifyforge run cost-watchdog --input input.json"),
        ("gate a release in CI: exit code 3 on BLOCK", "apifyforge run release-gate --input gate.json; echo $?"),
        ("the OUTPUT JSON for a script (progress and errors stay on stderr)", "apifyforge run fleet-analytics --json | jq .decision"),
        ("against the local emulator (`apifyforge emulator serve` prints its URL and tokens)", "APIFY_API_BASE_URL=http://127.0.0.1:PORT APIFY_TOKEN=... apifyforge run fleet-analytics"),
    ]))]
    Run {
        /// The tool to run.
        #[arg(value_parser = tool_names())]
        tool: String,
        /// Input JSON file (default: storage/key_value_stores/default/INPUT.json, else defaults).
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Print the stored OUTPUT JSON to stdout instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Act as the Actor <tool> in a platform run.
    ///
    /// What each Actor's Docker image runs, and what the emulator starts: input, token and
    /// storages come from the platform's environment (APIFY_IS_AT_HOME=1).
    #[command(after_help = ui::examples(&[
        ("what each Actor's Docker image runs on the Apify platform", "apifyforge actor fleet-analytics"),
        ("a platform run by hand, with the environment the platform sets", "APIFY_IS_AT_HOME=1 APIFY_TOKEN=... ACTOR_DEFAULT_KEY_VALUE_STORE_ID=... ACTOR_DEFAULT_DATASET_ID=... apifyforge actor cost-watchdog"),
    ]))]
    Actor {
        /// The tool to act as.
        #[arg(value_parser = tool_names())]
        tool: String,
    },
    /// Which permissions APIFY_TOKEN has, and which tools can run with it.
    ///
    /// Lists the five scoped permissions (granted, missing, or not probed and why), what each
    /// missing one disables, and which of the seven tools can run. Probes only what needs no
    /// paid run and touches none of your storages.
    #[command(after_help = ui::examples(&[
        ("check a token before the first run", "APIFY_TOKEN=... apifyforge doctor"),
        ("the missing permissions, for a script (exit code 1 when one is missing)", "apifyforge doctor --json | jq -r '.missing[]'"),
        ("a token of the local emulator", "APIFY_API_BASE_URL=http://127.0.0.1:PORT APIFY_TOKEN=... apifyforge doctor"),
    ]))]
    Doctor {
        /// Print the findings as JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// The reliability and security suite; writes docs/reliability.md.
    ///
    /// Runs the real tools under injected API faults, migrations and aborts, bad input,
    /// missing permissions and load, checks every promise of the data-access model (no token
    /// anywhere, no foreign dataset read), and writes the figures. Exit code 1 when a promise
    /// is broken.
    #[command(after_help = ui::examples(&[
        ("the full suite, as docs/reliability.md shows it (minutes, release build)", "cargo run --release -p apifyforge -- reliability"),
        ("the subset CI runs on every change", "apifyforge reliability --fast --out /tmp/reliability.md"),
        ("one area only", "apifyforge reliability --only faults --only security"),
    ]))]
    Reliability {
        /// The CI subset: fewer rates, cases and actors.
        #[arg(long)]
        fast: bool,
        /// Where to write the document.
        #[arg(long, default_value = "docs/reliability.md")]
        out: PathBuf,
        /// Run only these areas (faults, migration, bad-input, security, load).
        #[arg(long, value_parser = PossibleValuesParser::new(apifyforge::reliability::AREAS))]
        only: Vec<String>,
    },
    /// The local Apify API emulator: serve a fleet, or write one to disk.
    #[command(after_help = ui::examples(&[
        ("serve a synthetic fleet; prints the URL and a token per permission set", "apifyforge emulator serve"),
        ("write a fleet of 200 actors to disk, then serve it", "apifyforge emulator fixture --actors 200 --out fixture && apifyforge emulator serve --fixture fixture/fixture.json"),
    ]))]
    Emulator {
        #[command(subcommand)]
        command: EmulatorCommand,
    },
}

#[derive(Subcommand)]
enum EmulatorCommand {
    /// Serve a fixture (or a synthetic fleet) until interrupted; prints the base URL and tokens.
    #[command(after_help = ui::examples(&[
        ("serve a synthetic fleet of 40 actors until Ctrl-C", "apifyforge emulator serve"),
        ("serve a fixture written by `apifyforge emulator fixture`", "apifyforge emulator serve --fixture fixture/fixture.json"),
    ]))]
    Serve {
        #[command(flatten)]
        fleet: FleetArgs,
        /// An account fixture JSON file instead of a synthetic fleet.
        #[arg(long)]
        fixture: Option<PathBuf>,
    },
    /// Write a synthetic fleet fixture and its ground truth.
    #[command(after_help = ui::examples(&[
        ("fixture/fixture.json and fixture/ground-truth.json for 40 actors", "apifyforge emulator fixture"),
        ("a larger fleet with a fixed \"now\"", "apifyforge emulator fixture --actors 500 --now 2026-01-05T00:00:00Z --out big"),
    ]))]
    Fixture {
        #[command(flatten)]
        fleet: FleetArgs,
        #[arg(long, default_value = "fixture")]
        out: PathBuf,
    },
}

fn self_command() -> anyhow::Result<Vec<String>> {
    let exe = std::env::current_exe().context("locating the apifyforge binary")?;
    Ok(vec![exe.display().to_string(), "actor".into()])
}

async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Demo { fleet, out, json } => {
            let options = DemoOptions {
                synth: fleet.synth(),
                out_dir: out,
                actor_command: self_command()?,
            };
            let activity = ui::Activity::start(
                "demo",
                "serving a synthetic fleet; each tool runs as a platform run",
            );
            let result = run_demo(&options).await;
            activity.finish(result.is_ok());
            let result = result?;
            if json {
                let outputs: serde_json::Map<String, Value> = result
                    .runs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("{}-{}", i + 1, r.tool), r.output.clone()))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&outputs)?);
            } else {
                print!("{}", summary(&result));
            }
            Ok(0)
        }
        Command::Run { tool, input, json } => {
            let env = RunEnv::from_process();
            if let Err(problem) = preflight(&tool, input.as_deref(), &env) {
                return Ok(problem.print());
            }
            // Outputs written from here on are this run's; a margin for coarse file times.
            let started = SystemTime::now() - Duration::from_secs(2);
            let activity = ui::Activity::start(&tool, "reading the actor list");
            let code = tools::run(&tool, Some(Flow::Cli), input).await;
            activity.finish(matches!(code, Some(0 | 3)));
            Ok(match code {
                None => unknown_tool(&tool).print(),
                Some(code @ (0 | 3)) => ui::finished_run(
                    &tool,
                    code,
                    &ui::Outputs::new(&env.local_storage_dir),
                    started,
                    json,
                ),
                Some(code) => ui::failure(&tool, code, &env.api_base_url),
            })
        }
        Command::Doctor { json } => Ok(doctor(json).await),
        Command::Reliability { fast, out, only } => reliability(fast, &out, &only).await,
        Command::Actor { tool } => Ok(match tools::run(&tool, None, None).await {
            Some(code) => code,
            None => unknown_tool(&tool).print(),
        }),
        Command::Emulator {
            command: EmulatorCommand::Fixture { fleet, out },
        } => {
            let (fixture, truth) = generate(&fleet.synth());
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            std::fs::write(out.join("fixture.json"), fixture.to_json_pretty())?;
            std::fs::write(
                out.join("ground-truth.json"),
                serde_json::to_vec_pretty(&truth)?,
            )?;
            println!(
                "wrote {0}/fixture.json and {0}/ground-truth.json ({1} planted problems)",
                out.display(),
                truth.planted.len()
            );
            Ok(0)
        }
        Command::Emulator {
            command: EmulatorCommand::Serve { fleet, fixture },
        } => {
            let fixture = match fixture {
                Some(path) => Fixture::from_json(
                    &std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?,
                )?,
                None => apifyforge::demo::with_tools(generate(&fleet.synth()).0, fleet.synth().now),
            };
            let tokens: Vec<(String, String)> = fixture
                .tokens
                .iter()
                .map(|t| (t.id.clone(), t.token.clone()))
                .collect();
            let emulator =
                Emulator::start(fixture, apifyforge::demo::platform_config(&self_command()?))
                    .await?;
            println!("Apify API emulator at {}/v2", emulator.base_url());
            println!(
                "Set APIFY_API_BASE_URL={} and APIFY_TOKEN to one of these emulator tokens:",
                emulator.base_url()
            );
            for (id, token) in tokens {
                // Emulator tokens are fixture data, not credentials: printing them is the point.
                println!("  {id:<28} {token}");
            }
            println!("Ctrl-C to stop.");
            tokio::signal::ctrl_c().await?;
            emulator.shutdown().await;
            Ok(0)
        }
    }
}

/// Says first, with the next step, what `run_tool` would refuse: an input file that is
/// missing or not JSON, or an input the tool's schema rejects (exit 2, nothing called or
/// written), then a missing token (exit 1, as the runtime would).
fn preflight(tool: &str, input: Option<&Path>, env: &RunEnv) -> Result<(), Problem> {
    // The input key names a file under the local storage: a key like `../x` must not reach
    // (and then quote) a file outside it.
    if let Err(e) = forge_core::ids::check_record_key(&env.input_key) {
        return Err(Problem::new(
            2,
            format!("ACTOR_INPUT_KEY: {e}"),
            "unset ACTOR_INPUT_KEY (the default is INPUT) or give a key-value store record key",
        ));
    }
    let default_input = env
        .local_storage_dir
        .join("key_value_stores")
        .join("default")
        .join(format!("{}.json", env.input_key));
    let path = input.unwrap_or(&default_input);
    let value = match std::fs::read(path) {
        Ok(bytes) => Some(parse_input(path, &bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && input.is_none() => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Problem::new(
                2,
                format!("input file {} not found", path.display()),
                format!(
                    "pass an existing JSON file to --input, or leave --input out to use {} or the defaults",
                    default_input.display()
                ),
            ))
        }
        Err(e) => {
            return Err(Problem::new(
                2,
                format!("cannot read input file {}: {e}", path.display()),
                "check the path and that this user may read the file",
            ))
        }
    };
    let schema = tools::input_schema(tool).map(forge_core::input::InputSchema::parse);
    if let Some(Ok(schema)) = schema {
        if let Err(e) = schema.resolve(value.as_ref()) {
            return Err(Problem::new(
                2,
                format!("{}: {e}", path.display()),
                "fix the fields named above; an empty object {} runs with every default",
            ));
        }
    }
    if env.token.is_none() {
        return Err(Problem::new(
            1,
            "APIFY_TOKEN is not set",
            "create a scoped token with Actors: Read and Actors: List runs in Apify Console > \
             Settings > API & Integrations, then `export APIFY_TOKEN=...` (`apifyforge demo` \
             needs none)",
        ));
    }
    Ok(())
}

/// The input file as JSON, or where it stops being JSON, with the line that shows it.
fn parse_input(path: &Path, bytes: &[u8]) -> Result<Value, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let what = e.to_string();
        let what = what
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&what);
        let text = String::from_utf8_lossy(bytes);
        let shown = text
            .lines()
            .nth(line.saturating_sub(1))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| l.chars().take(60).collect::<String>());
        let hint = match (e.classify(), shown) {
            (serde_json::error::Category::Eof, _) => {
                "the file ends before the JSON does: close every `{`, `[` and `\"`".to_string()
            }
            (_, Some(l)) => format!(
                "line {line} reads `{l}`: fix it there (often a trailing comma, or a missing \
                 quote, comma or brace just before)"
            ),
            (_, None) => {
                "fix it there (often a trailing comma, or a missing quote, comma or brace)".into()
            }
        };
        Problem::new(
            2,
            format!(
                "{}:{line}:{column}: the input is not valid JSON: {what}",
                path.display()
            ),
            hint,
        )
    })
}

fn unknown_tool(tool: &str) -> Problem {
    Problem::new(
        2,
        format!("unknown tool {tool:?}"),
        format!("the tools are {}", tools::TOOLS.join(", ")),
    )
}

async fn doctor(json: bool) -> i32 {
    use forge_runtime::doctor::diagnose;
    let env = RunEnv::from_process();
    let Some(token) = env.token.as_ref() else {
        return Problem::new(
            1,
            "APIFY_TOKEN is not set",
            "create a scoped token in Apify Console > Settings > API & Integrations, then \
             `APIFY_TOKEN=... apifyforge doctor`",
        )
        .print();
    };
    let client = forge_runtime::client::ApiClient::new(token, &env.api_base_url);
    let diagnosis = match diagnose(&client).await {
        Ok(d) => d,
        Err(e) => {
            let message = format!("doctor: {e}");
            let hint = ui::hint_for(&message, &env.api_base_url);
            return Problem::new(1, message, hint).print();
        }
    };
    let needs: Vec<ui::ToolNeeds> = tools::TOOLS
        .iter()
        .map(|t| ui::ToolNeeds {
            tool: t,
            platform: tools::permissions(t).to_vec(),
            cli: tools::cli_permissions(t),
            optional: tools::optional_permissions(t).to_vec(),
        })
        .collect();
    if json {
        let report = ui::doctor_json(&env.api_base_url, &diagnosis, &needs);
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        ui::print_stdout(&ui::doctor_report(
            &env.api_base_url,
            &diagnosis,
            &needs,
            ui::color_stdout(),
        ));
    }
    if diagnosis.missing().is_empty() {
        0
    } else {
        1
    }
}

async fn reliability(fast: bool, out: &std::path::Path, only: &[String]) -> anyhow::Result<i32> {
    use apifyforge::reliability::{self, Harness, Machine, Scale};
    let scale = if fast { Scale::Fast } else { Scale::Full };
    let exe = std::env::current_exe().context("locating the apifyforge binary")?;
    let work_dir =
        std::env::temp_dir().join(format!("apifyforge-reliability-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("creating {}", work_dir.display()))?;
    let harness = Harness::new(&exe.display().to_string(), scale, work_dir.clone());
    let report = reliability::run_all(&harness, only).await;
    let _ = std::fs::remove_dir_all(&work_dir);
    let generated = Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let md = reliability::render_markdown(&report, scale, &Machine::detect(), &generated);
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
    let failures: Vec<&String> = report.failures().collect();
    for s in &report.sections {
        let figures: Vec<String> = s.headline.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "{:<28} {:<8} {}",
            s.title,
            if s.failures.is_empty() {
                "passed"
            } else {
                "FAILED"
            },
            figures.join(", ")
        );
    }
    for f in &failures {
        println!("broken promise: {f}");
    }
    println!("wrote {}", out.display());
    Ok(if failures.is_empty() { 0 } else { 1 })
}

/// What to try when a command other than `run` fails.
fn hint_for_command(command: &Command) -> &'static str {
    match command {
        Command::Demo { .. } => {
            "the demo runs offline on this machine; check that the --out directory is writable, \
             and run again with RUST_LOG=debug for details"
        }
        Command::Emulator { .. } => {
            "check the fixture path and that it is a fixture written by `apifyforge emulator \
             fixture`; RUST_LOG=debug shows more"
        }
        _ => "run again with RUST_LOG=debug for details",
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    ui::init_logging(match cli.command {
        Command::Actor { .. } => ui::Logs::Platform,
        _ => ui::Logs::Person,
    });
    let hint = hint_for_command(&cli.command);
    let code = match run(cli).await {
        Ok(code) => code,
        Err(e) => Problem::new(1, format!("{e:#}"), hint).print(),
    };
    std::process::exit(code);
}
