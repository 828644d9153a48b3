//! The command line as a person and a script meet it: help with examples, a summary or the
//! OUTPUT JSON, no escapes without a terminal, `doctor`, and errors that say what to do next.

use forge_emulator::{Permission, Permissions};
use forge_tests::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

/// Runs the binary with only `env` (and PATH) set, in `dir`, without a terminal.
async fn apifyforge(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Output {
    let mut command = tokio::process::Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().await.expect("apifyforge starts")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An ANSI escape, or the carriage return a progress bar redraws with.
fn has_control(s: &str) -> bool {
    s.contains('\x1b') || s.contains('\r')
}

fn token(fixture: &forge_emulator::Fixture, permissions: &Permissions) -> String {
    fixture
        .tokens
        .iter()
        .find(|t| &t.permissions == permissions)
        .expect("the fixture has a token with these permissions")
        .token
        .clone()
}

/// The environment of a CLI-flow run against the emulator, outputs under `dir/storage`.
fn run_env<'a>(base_url: &'a str, token: &'a str, storage: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("APIFY_TOKEN", token),
        ("APIFY_API_BASE_URL", base_url),
        ("APIFY_LOCAL_STORAGE_DIR", storage),
    ]
}

fn write_input(dir: &Path) {
    std::fs::write(
        dir.join("input.json"),
        serde_json::to_vec(&input()).unwrap(),
    )
    .unwrap();
}

#[tokio::test]
async fn every_subcommand_help_shows_examples() {
    let dir = tempfile::tempdir().unwrap();
    let top = apifyforge(&["--help"], &[], dir.path()).await;
    let (stdout, _) = text(&top);
    assert!(top.status.success());
    assert!(
        stdout.contains("Two flows") && stdout.contains("apifyforge demo"),
        "{stdout}"
    );
    for command in [
        vec!["demo"],
        vec!["run"],
        vec!["actor"],
        vec!["doctor"],
        vec!["emulator"],
        vec!["emulator", "serve"],
        vec!["emulator", "fixture"],
    ] {
        let mut args = command.clone();
        args.push("--help");
        let out = apifyforge(&args, &[], dir.path()).await;
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{command:?}: {stderr}");
        let example = format!("apifyforge {}", command.join(" "));
        assert!(
            stdout.contains("Examples:") && stdout.lines().any(|l| l.contains(&example)),
            "{command:?} --help has no example of `{example}`:\n{stdout}"
        );
        assert!(!has_control(&stdout), "{command:?}: escapes in piped help");
    }
    let (run_help, _) = text(&apifyforge(&["run", "--help"], &[], dir.path()).await);
    for example in [
        "apifyforge run cost-watchdog --input input.json",
        "apifyforge run release-gate --input gate.json; echo $?",
    ] {
        assert!(run_help.contains(example), "{run_help}");
    }
    for tool in apifyforge::tools::TOOLS {
        assert!(run_help.contains(tool), "run --help lists {tool}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_json_prints_exactly_the_stored_output() {
    let (fixture, _) = fleet(11, 4);
    let token = token(&fixture, &Permissions::all_scoped());
    let emulator = start(fixture, BIN).await;
    let dir = tempfile::tempdir().unwrap();
    write_input(dir.path());
    let storage = dir.path().join("storage").display().to_string();
    let base_url = emulator.base_url();
    let out = apifyforge(
        &["run", "fleet-analytics", "--input", "input.json", "--json"],
        &run_env(&base_url, &token, &storage),
        dir.path(),
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let printed: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    let stored = read_json(
        &dir.path()
            .join("storage/key_value_stores/default/OUTPUT.json"),
    );
    assert_eq!(printed, stored);
    assert!(!has_control(&stdout) && !has_control(&stderr), "{stderr}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_without_a_terminal_prints_a_plain_summary_and_plain_progress() {
    let (fixture, _) = fleet(12, 4);
    let token = token(&fixture, &Permissions::all_scoped());
    let emulator = start(fixture, BIN).await;
    let dir = tempfile::tempdir().unwrap();
    write_input(dir.path());
    let storage = dir.path().join("storage").display().to_string();
    let base_url = emulator.base_url();
    let env = run_env(&base_url, &token, &storage);

    let out = apifyforge(
        &["run", "cost-watchdog", "--input", "input.json"],
        &env,
        dir.path(),
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!has_control(&stdout), "escapes on stdout:\n{stdout:?}");
    assert!(!has_control(&stderr), "escapes on stderr:\n{stderr:?}");
    let output = read_json(
        &dir.path()
            .join("storage/key_value_stores/default/OUTPUT.json"),
    );
    let decision = output["decision"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("decision: {decision}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("key_value_stores/default/OUTPUT.json")
            && stdout.contains("key_value_stores/default/SIGNALS.json"),
        "the summary says where the outputs are:\n{stdout}"
    );
    let signals = read_json(
        &dir.path()
            .join("storage/key_value_stores/default/SIGNALS.json"),
    );
    if let Some(first) = signals["signals"].as_array().and_then(|s| s.first()) {
        let actor = first["subject"]["actorName"].as_str().unwrap();
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(actor) && l.contains(first["severity"].as_str().unwrap())),
            "the top signal is in the table:\n{stdout}"
        );
    }
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("cost-watchdog: ") && l.contains("requests")),
        "a plain closing progress line on stderr:\n{stderr}"
    );

    // Colours only when asked for, and NO_COLOR wins even then.
    let mut forced = env.clone();
    forced.push(("CLICOLOR_FORCE", "1"));
    let out = apifyforge(
        &["run", "cost-watchdog", "--input", "input.json"],
        &forced,
        dir.path(),
    )
    .await;
    assert!(text(&out).0.contains('\x1b'), "CLICOLOR_FORCE colours");
    forced.push(("NO_COLOR", "1"));
    let out = apifyforge(
        &["run", "cost-watchdog", "--input", "input.json"],
        &forced,
        dir.path(),
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!has_control(&stdout) && !has_control(&stderr), "NO_COLOR");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_lists_the_five_permissions_and_names_a_missing_one() {
    let (fixture, _) = fleet(2, 4);
    let full = token(&fixture, &Permissions::all_scoped());
    let no_runs = token(&fixture, &Permissions::all_but(Permission::ActorsListRuns));
    let emulator = start(fixture.clone(), BIN).await;
    let dir = tempfile::tempdir().unwrap();
    let base_url = emulator.base_url();

    let out = apifyforge(
        &["doctor"],
        &[("APIFY_TOKEN", &full), ("APIFY_API_BASE_URL", &base_url)],
        dir.path(),
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    for permission in Permission::ALL {
        assert!(
            stdout.contains(&permission.to_string()),
            "{permission} missing from:\n{stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("Actors: Read (actors:read)") && l.contains("granted")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("Actors: Run (actors:run)") && l.contains("not probed")),
        "{stdout}"
    );
    assert!(!has_control(&stdout), "{stdout:?}");

    let out = apifyforge(
        &["doctor"],
        &[("APIFY_TOKEN", &no_runs), ("APIFY_API_BASE_URL", &base_url)],
        dir.path(),
    )
    .await;
    let (stdout, stderr) = text(&out);
    let all = format!("{stdout}{stderr}");
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("Actors: List runs (actors:list-runs)")
                && l.contains("MISSING")
                && l.contains(&format!(
                    "without it, {}",
                    Permission::ActorsListRuns.disables()
                ))),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("fleet-analytics")
                && l.contains("cannot run without Actors: List runs")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("schema-validator") && !l.contains("cannot run")),
        "a tool that does not list runs is not blocked:\n{stdout}"
    );
    assert!(!all.contains(&no_runs), "the token is never printed");

    let out = apifyforge(
        &["doctor", "--json"],
        &[("APIFY_TOKEN", &no_runs), ("APIFY_API_BASE_URL", &base_url)],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("doctor --json is JSON");
    assert_eq!(report["permissions"].as_array().map(Vec::len), Some(5));
    assert_eq!(report["missing"], serde_json::json!(["actors:list-runs"]));
    let tool = |name: &str| {
        report["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tool"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(tool("cost-watchdog")["cli"], "no");
    assert_eq!(tool("schema-validator")["cli"], "yes");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_unknown_tool_lists_the_valid_ones_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = apifyforge(
        &["run", "cost-watchdgo"],
        &[("APIFY_TOKEN", "unused")],
        dir.path(),
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    for tool in apifyforge::tools::TOOLS {
        assert!(stderr.contains(tool), "{tool} not listed in:\n{stderr}");
    }
    assert!(!has_control(&stderr), "{stderr:?}");
}

#[tokio::test]
async fn input_and_token_errors_say_what_to_do_next() {
    let dir = tempfile::tempdir().unwrap();
    let token = [("APIFY_TOKEN", "unused")];
    let hint = |stderr: &str| stderr.lines().any(|l| l.starts_with("hint: "));

    let out = apifyforge(
        &["run", "cost-watchdog", "--input", "nowhere.json"],
        &token,
        dir.path(),
    )
    .await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: input file nowhere.json not found") && hint(&stderr),
        "{stderr}"
    );

    std::fs::write(
        dir.path().join("bad.json"),
        "{\n  \"windowDays\": 30,,\n}\n",
    )
    .unwrap();
    let out = apifyforge(
        &["run", "cost-watchdog", "--input", "bad.json"],
        &token,
        dir.path(),
    )
    .await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.json:2:20: the input is not valid JSON") && hint(&stderr),
        "line and column of the mistake:\n{stderr}"
    );
    assert!(stderr.contains("\"windowDays\": 30,,"), "{stderr}");

    std::fs::write(dir.path().join("ok.json"), "{}").unwrap();
    let out = apifyforge(
        &["run", "cost-watchdog", "--input", "ok.json"],
        &[],
        dir.path(),
    )
    .await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: APIFY_TOKEN is not set") && stderr.contains("Apify Console"),
        "{stderr}"
    );

    let out = apifyforge(&["doctor"], &[], dir.path()).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("APIFY_TOKEN is not set") && hint(&stderr),
        "{stderr}"
    );
    assert!(
        !dir.path().join("storage").exists(),
        "nothing written on bad input"
    );
}

#[tokio::test]
async fn an_unreachable_api_names_the_url_and_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base_url = format!("http://127.0.0.1:{port}");
    let storage = dir.path().join("storage").display().to_string();
    let out = apifyforge(
        &["run", "cost-watchdog"],
        &run_env(&base_url, "apify_api_unused", &storage),
        dir.path(),
    )
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("hint: could not reach") && l.contains(&base_url)),
        "{stderr}"
    );
    assert!(!stderr.contains("apify_api_unused"), "no token in errors");
}
