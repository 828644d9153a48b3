//! `apifyforge`: run the tools on your own machine, play the platform locally, or see it all
//! in one command with `apifyforge demo`. Exit codes: 0 ok, 1 tool failure, 2 bad input.

use anyhow::Context as _;
use apifyforge::demo::{run_demo, summary, DemoOptions};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::{Emulator, Fixture};
use forge_runtime::Flow;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "apifyforge",
    version,
    about = "Tells an Apify developer what to fix first across their whole fleet of Actors."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Serve a seeded synthetic fleet on a local Apify API emulator and run fleet-analytics on
    /// it exactly as the platform would; print the Action Plan.
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
    /// Run a tool on your own machine against the Apify API (the CLI flow): token from
    /// APIFY_TOKEN, API from APIFY_API_BASE_URL (default https://api.apify.com), outputs in
    /// ./storage in Apify's local layout.
    Run {
        tool: String,
        /// Input JSON file (default: storage/key_value_stores/default/INPUT.json, else defaults).
        #[arg(long)]
        input: Option<PathBuf>,
    },
    /// Act as the Actor <tool> in a platform run (what the Docker image and the emulator start).
    Actor { tool: String },
    /// Which of the five scoped permissions APIFY_TOKEN has, and what each missing one
    /// disables. Probes only what can be probed without a paid run or touching your storages.
    Doctor,
    /// The local Apify API emulator.
    Emulator {
        #[command(subcommand)]
        command: EmulatorCommand,
    },
}

#[derive(Subcommand)]
enum EmulatorCommand {
    /// Serve a fixture (or a synthetic fleet) until interrupted; prints the base URL and tokens.
    Serve {
        #[command(flatten)]
        fleet: FleetArgs,
        /// An account fixture JSON file instead of a synthetic fleet.
        #[arg(long)]
        fixture: Option<PathBuf>,
    },
    /// Write a synthetic fleet fixture and its ground truth.
    Fixture {
        #[command(flatten)]
        fleet: FleetArgs,
        #[arg(long, default_value = "fixture")]
        out: PathBuf,
    },
}

fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
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
            let result = run_demo(&options).await?;
            if json {
                let outputs: serde_json::Map<String, serde_json::Value> = result
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
        Command::Run { tool, input } => unknown_tool(
            apifyforge::tools::run(&tool, Some(Flow::Cli), input).await,
            &tool,
        ),
        Command::Doctor => doctor().await,
        Command::Actor { tool } => {
            unknown_tool(apifyforge::tools::run(&tool, None, None).await, &tool)
        }
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

async fn doctor() -> anyhow::Result<i32> {
    use forge_runtime::doctor::{check_permissions, Check};
    let env = forge_runtime::env::RunEnv::from_process();
    let token = env
        .token
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("APIFY_TOKEN is not set"))?;
    let client = forge_runtime::client::ApiClient::new(token, &env.api_base_url);
    let checks = check_permissions(&client).await?;
    println!("Token accepted by {}", env.api_base_url);
    let mut missing = Vec::new();
    for (permission, check) in &checks {
        let state = match check {
            Check::Granted => "granted".to_string(),
            Check::Missing => {
                missing.push(*permission);
                format!("MISSING: without it, {}", permission.disables())
            }
            Check::NotProbed(why) => format!("not probed ({why})"),
        };
        println!("  {:<18} {state}", permission.label());
    }
    for tool in apifyforge::tools::TOOLS {
        let needs: Vec<&str> = apifyforge::tools::permissions(tool)
            .iter()
            .map(|p| p.label())
            .collect();
        let blocked = apifyforge::tools::permissions(tool)
            .iter()
            .any(|p| missing.contains(p));
        println!(
            "  {tool:<18} needs {}{}",
            needs.join(", "),
            if blocked { "  <- cannot run" } else { "" }
        );
    }
    Ok(if missing.is_empty() { 0 } else { 1 })
}

fn unknown_tool(code: Option<i32>, tool: &str) -> anyhow::Result<i32> {
    code.ok_or_else(|| {
        anyhow::anyhow!(
            "unknown tool {tool:?}; available: {}",
            apifyforge::tools::TOOLS.join(", ")
        )
    })
}

#[tokio::main]
async fn main() {
    init_logging();
    let code = match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
