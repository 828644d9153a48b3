//! The shared Actor Dockerfile (`.actor/Dockerfile`), tested without a Docker engine.
//!
//! What can be checked without building the image is checked here:
//!
//! * the file parses (continuations, comments, stages), and it is multi-stage: a `rust:` build
//!   stage and a different runtime stage;
//! * the build stage declares `ARG ACTOR_PATH_IN_DOCKER_CONTEXT` (the argument Apify's build
//!   passes: the Actor's folder relative to the build context), takes its basename as the package,
//!   and builds it with `cargo build --release --locked -p`;
//! * for every `actors/<tool>` whose `actor.json` points at this Dockerfile, with the repository
//!   root as context, `<tool>` is a workspace package with a binary of the same name
//!   (`cargo metadata`), and `actor.json`'s `name` is `<tool>`; the argument's default is one too;
//! * the Rust image is at least every package's `rust-version`, and on the runtime image's Debian
//!   release (the binary links the build image's glibc);
//! * the runtime stage copies the built binary from the build stage, runs as a non-root user, and
//!   its ENTRYPOINT (exec form) is that binary;
//! * `.dockerignore` keeps `target/`, `storage/`, `node_modules/` and `.git` out of the context;
//! * and each Actor binary, started as the image would start it but with an empty environment
//!   (only `PATH`), exits non-zero within seconds with a message that names what is missing
//!   (`APIFY_TOKEN`, the input field, `ACTOR_DEFAULT_KEY_VALUE_STORE_ID`) and no panic. The
//!   binaries are each Actor's own main.rs, built in debug by this test package.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const ARG: &str = "ACTOR_PATH_IN_DOCKER_CONTEXT";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

#[derive(Debug, Clone)]
struct Instruction {
    line: usize,
    keyword: String,
    args: String,
}

#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
    line: usize,
    instructions: Vec<Instruction>,
}

/// Dockerfile instructions in order: keywords upper-cased, `\` continuations joined, comment
/// lines (also inside a continuation) and blank lines dropped, as Docker reads them.
fn parse_instructions(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_none()) {
            continue;
        }
        let (continues, body) = match trimmed.strip_suffix('\\') {
            Some(body) => (true, body.trim_end()),
            None => (false, trimmed),
        };
        let (line, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        if !acc.is_empty() && !body.is_empty() {
            acc.push(' ');
        }
        acc.push_str(body);
        if continues {
            current = Some((line, acc));
        } else if !acc.is_empty() {
            let (keyword, args) = acc.split_once(char::is_whitespace).unwrap_or((&acc, ""));
            out.push(Instruction {
                line,
                keyword: keyword.to_ascii_uppercase(),
                args: args.trim().to_string(),
            });
        }
    }
    assert!(
        current.is_none(),
        "the Dockerfile ends inside a continuation"
    );
    out
}

fn stages(instructions: &[Instruction]) -> Vec<Stage> {
    let mut out: Vec<Stage> = Vec::new();
    for ins in instructions {
        if ins.keyword == "FROM" {
            let words: Vec<&str> = ins
                .args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                [_] => None,
                _ => panic!("line {}: cannot read FROM {}", ins.line, ins.args),
            };
            out.push(Stage {
                image: words[0].to_string(),
                name,
                line: ins.line,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = out.last_mut() {
            stage.instructions.push(ins.clone());
        } else {
            assert!(
                ins.keyword == "ARG",
                "line {}: {} before the first FROM",
                ins.line,
                ins.keyword
            );
        }
    }
    out
}

fn dockerfile() -> (String, Vec<Stage>) {
    let path = workspace_root().join(".actor/Dockerfile");
    let text = std::fs::read_to_string(&path).expect(".actor/Dockerfile exists");
    let stages = stages(&parse_instructions(&text));
    (text, stages)
}

/// `cargo metadata --format-version 1 --no-deps` of the workspace.
fn cargo_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Package name -> (manifest directory, binary targets, rust-version).
fn packages(metadata: &Value) -> BTreeMap<String, (PathBuf, Vec<String>, Option<String>)> {
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().expect("manifest_path"));
            let bins = p["targets"]
                .as_array()
                .expect("targets")
                .iter()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "bin"))
                })
                .map(|t| t["name"].as_str().expect("target name").to_string())
                .collect();
            (
                p["name"].as_str().expect("name").to_string(),
                (
                    manifest.parent().expect("manifest dir").to_path_buf(),
                    bins,
                    p["rust_version"].as_str().map(str::to_string),
                ),
            )
        })
        .collect()
}

/// The Actor folders: `actors/<tool>` with an `.actor/actor.json`, as `(tool, actor.json)`.
fn actor_dirs() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(workspace_root().join("actors"))
        .expect("actors/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join(".actor/actor.json").is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(p.join(".actor/actor.json")).unwrap();
            (
                name,
                serde_json::from_str(&text).expect("actor.json is JSON"),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 7, "expected the seven Actors, found {out:?}");
    out
}

/// `major.minor` of a version such as `1.95`, `1.95.0` or `1.95-slim-bookworm`.
fn major_minor(v: &str) -> (u32, u32) {
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().and_then(|p| p.parse().ok());
    let minor = parts.next().and_then(|p| p.parse().ok());
    match (major, minor) {
        (Some(a), Some(b)) => (a, b),
        _ => panic!("no major.minor in {v:?}"),
    }
}

/// `rust-version` of `[workspace.package]` in the root Cargo.toml.
fn workspace_rust_version(manifest: &str) -> Option<String> {
    let mut in_section = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
        } else if in_section {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim() == "rust-version" {
                    return Some(value.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    None
}

fn lexical_normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn run_script(stage: &Stage) -> String {
    let runs: Vec<&Instruction> = stage
        .instructions
        .iter()
        .filter(|i| i.keyword == "RUN" && i.args.contains("cargo build"))
        .collect();
    assert_eq!(
        runs.len(),
        1,
        "one RUN with cargo build in the build stage, got {runs:#?}"
    );
    runs[0].args.clone()
}

#[test]
fn the_build_stage_builds_exactly_the_binary_the_build_argument_names() {
    let (_, stages) = dockerfile();
    assert!(
        stages.len() >= 2,
        "multi-stage: a build and a runtime stage"
    );
    let build = &stages[0];
    let build_name = build
        .name
        .as_deref()
        .expect("the build stage is named (FROM ... AS build)");
    assert!(
        build.image.starts_with("rust:"),
        "line {}: the build stage starts from the official rust image, got {}",
        build.line,
        build.image
    );

    // ARG inside the stage (an ARG before FROM is visible only to FROM lines).
    let arg = build
        .instructions
        .iter()
        .find(|i| i.keyword == "ARG" && i.args.split('=').next() == Some(ARG))
        .unwrap_or_else(|| panic!("the build stage declares ARG {ARG}"));
    let script = run_script(build);
    assert!(script.contains(ARG), "the build uses {ARG}: {script}");

    // ACTOR="$(basename "$ACTOR_PATH_IN_DOCKER_CONTEXT")", then -p "$ACTOR": the package is the
    // folder's last component.
    let assignment = format!("=\"$(basename \"${ARG}\")\"");
    let var = script
        .split(';')
        .chain(script.split("&&"))
        .find_map(|part| {
            let part = part.trim();
            part.strip_suffix(assignment.as_str())
                .filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        })
        .unwrap_or_else(|| panic!("the script sets a variable to basename of ${ARG}: {script}"))
        .to_string();
    let cargo = script
        .split(';')
        .flat_map(|p| p.split("&&"))
        .map(str::trim)
        .find(|p| p.starts_with("cargo build"))
        .unwrap_or_else(|| panic!("a cargo build command: {script}"));
    let words: Vec<&str> = cargo.split_whitespace().collect();
    for flag in ["--release", "--locked"] {
        assert!(words.contains(&flag), "`{cargo}` lacks {flag}");
    }
    let package_expr = words
        .iter()
        .position(|w| *w == "-p" || *w == "--package")
        .and_then(|i| words.get(i + 1))
        .unwrap_or_else(|| panic!("`{cargo}` names its package with -p"));
    assert_eq!(
        package_expr.trim_matches('"'),
        format!("${var}"),
        "`{cargo}` builds the package the argument names"
    );
    if let Some(i) = words.iter().position(|w| *w == "--bin") {
        assert_eq!(words[i + 1].trim_matches('"'), format!("${var}"), "--bin");
    }
    // The built binary is copied out of target/release under the same name.
    assert!(
        script.contains(&format!("target/release/${var}")),
        "the script copies target/release/${var}: {script}"
    );

    // Every Actor: actor.json points here with the repository root as context, and the folder
    // it is built from names a workspace package with a binary of the same name.
    let metadata = cargo_metadata();
    let packages = packages(&metadata);
    let root = workspace_root();
    let mut checked = Vec::new();
    for (tool, actor) in actor_dirs() {
        let actor_dir = root.join("actors").join(&tool).join(".actor");
        let dockerfile =
            lexical_normalize(&actor_dir.join(actor["dockerfile"].as_str().unwrap_or_default()));
        assert_eq!(
            dockerfile,
            root.join(".actor/Dockerfile"),
            "{tool}: actor.json dockerfile"
        );
        let context = lexical_normalize(
            &actor_dir.join(actor["dockerContextDir"].as_str().unwrap_or_default()),
        );
        assert_eq!(
            context, root,
            "{tool}: actor.json dockerContextDir is the repository root"
        );
        assert_eq!(
            actor["name"],
            tool.as_str(),
            "{tool}: actor.json name is the folder's name"
        );

        // What the platform passes: the Actor's folder relative to the context.
        let passed = format!("actors/{tool}");
        let package = Path::new(&passed)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (dir, bins, _) = packages
            .get(&package)
            .unwrap_or_else(|| panic!("{ARG}={passed}: no workspace package {package}"));
        assert_eq!(
            dir,
            &root.join(&passed),
            "{package} is the package in {passed}"
        );
        assert!(
            bins.contains(&package),
            "{ARG}={passed}: package {package} has no binary {package} (binaries: {bins:?})"
        );
        checked.push(package);
    }

    // A hand build without the argument builds a real Actor too.
    if let Some((_, default)) = arg.args.split_once('=') {
        let default = default.trim_matches('"');
        assert!(
            checked.iter().any(|t| default == format!("actors/{t}")),
            "the default {ARG}={default} is not one of the Actors {checked:?}"
        );
    }
    eprintln!("{build_name} stage builds each of: {}", checked.join(", "));
}

#[test]
fn the_rust_image_is_recent_enough_and_on_the_runtime_images_debian() {
    let (_, stages) = dockerfile();
    let build = &stages[0];
    let tag = build.image.strip_prefix("rust:").expect("a rust: image");
    let image = major_minor(tag);
    // The workspace's rust-version, and any package's own.
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
    let workspace = workspace_rust_version(&manifest)
        .expect("Cargo.toml sets rust-version in [workspace.package]");
    let mut required = vec![("the workspace".to_string(), workspace.clone())];
    for (name, (_, _, rust_version)) in packages(&cargo_metadata()) {
        if let Some(version) = rust_version {
            required.push((name, version));
        }
    }
    for (who, version) in &required {
        assert!(
            image >= major_minor(version),
            "FROM {} is older than {who}'s rust-version {version}",
            build.image
        );
    }
    eprintln!(
        "FROM {} >= rust-version {workspace} (and every package's)",
        build.image
    );

    // glibc: the binary runs on the Debian release it was linked on.
    let runtime = stages.last().unwrap();
    let debian = |image: &str| -> &'static str {
        [
            ("bookworm", "12"),
            ("debian12", "12"),
            ("trixie", "13"),
            ("debian13", "13"),
            ("bullseye", "11"),
            ("debian11", "11"),
        ]
        .iter()
        .find(|(name, _)| image.contains(name))
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("{image}: name the Debian release in the tag"))
    };
    assert_eq!(
        debian(&build.image),
        debian(&runtime.image),
        "build {} and runtime {} are on different Debian releases",
        build.image,
        runtime.image
    );
}

#[test]
fn the_runtime_stage_runs_the_copied_binary_as_a_non_root_user() {
    let (_, stages) = dockerfile();
    let build = &stages[0];
    let runtime = stages.last().unwrap();
    assert!(
        !runtime.image.starts_with("rust:"),
        "the runtime image is not the build image: {}",
        runtime.image
    );

    // COPY --from=<build stage> <the file the script produced> <destination>.
    let copy = runtime
        .instructions
        .iter()
        .find(|i| i.keyword == "COPY" && i.args.contains("--from="))
        .expect("the runtime stage copies from the build stage");
    let words: Vec<&str> = copy.args.split_whitespace().collect();
    let from = words
        .iter()
        .find_map(|w| w.strip_prefix("--from="))
        .unwrap();
    assert_eq!(
        Some(from),
        build.name.as_deref(),
        "COPY --from the build stage"
    );
    let paths: Vec<&str> = words
        .iter()
        .filter(|w| !w.starts_with("--"))
        .copied()
        .collect();
    let [source, destination] = paths.as_slice() else {
        panic!("COPY one file: {}", copy.args)
    };
    let script = run_script(build);
    assert!(
        script.trim_end().ends_with(source),
        "the build script ends by producing {source}: {script}"
    );

    // The last USER of the runtime stage is not root.
    let user = runtime
        .instructions
        .iter()
        .rev()
        .find(|i| i.keyword == "USER")
        .map(|i| i.args.clone());
    match user {
        Some(user) => {
            let name = user.split(':').next().unwrap_or_default();
            assert!(
                name != "root" && name != "0" && !name.is_empty(),
                "USER {user} is root"
            );
        }
        None => assert!(
            runtime.image.ends_with(":nonroot"),
            "no USER, and {} is not a nonroot image",
            runtime.image
        ),
    }

    // ENTRYPOINT in exec form (no shell exists in distroless), starting the copied binary.
    let entrypoint = runtime
        .instructions
        .iter()
        .rev()
        .find(|i| i.keyword == "ENTRYPOINT")
        .expect("an ENTRYPOINT");
    let argv: Vec<String> = serde_json::from_str(&entrypoint.args)
        .unwrap_or_else(|e| panic!("ENTRYPOINT must be exec form (a JSON array): {e}"));
    assert_eq!(
        argv.first().map(String::as_str),
        Some(*destination),
        "ENTRYPOINT {argv:?}"
    );
    assert!(
        !runtime.instructions.iter().any(|i| i.keyword == "CMD"),
        "no CMD: the Actor takes no arguments"
    );
}

#[test]
fn the_build_context_leaves_out_build_output_storage_and_node_modules() {
    let path = workspace_root().join(".dockerignore");
    let text = std::fs::read_to_string(&path).expect(".dockerignore exists at the context root");
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for dir in ["target", "storage", "node_modules", ".git"] {
        assert!(
            patterns.iter().any(|p| {
                let p = p.trim_end_matches('/');
                p == dir || p == format!("**/{dir}") || p == format!("/{dir}")
            }),
            ".dockerignore does not exclude {dir}: {patterns:?}"
        );
    }
    // Nothing the build needs is excluded.
    for needed in ["Cargo.toml", "Cargo.lock", "crates", "actors"] {
        assert!(
            !patterns.iter().any(|p| p.trim_end_matches('/') == needed),
            ".dockerignore excludes {needed}, which the build needs"
        );
    }
}

/// An environment to start a binary in, what its message must name, and its exit code.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, i32);

/// How one binary behaves when started in a bare environment.
struct Start {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
}

async fn start(binary: &Path, env: &[(&str, &str)]) -> Start {
    let dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(binary);
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    let began = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .unwrap_or_else(|_| panic!("{} did not exit within 30 s", binary.display()))
        .expect("the binary starts");
    Start {
        code: out.status.code(),
        stderr: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ),
        elapsed: began.elapsed(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_actor_binary_started_in_an_empty_environment_says_what_is_missing() {
    let tools: Vec<String> = actor_dirs().into_iter().map(|(t, _)| t).collect();
    // Each Actor's own main.rs, built by this test package (see tests/Cargo.toml): the code
    // the image runs, in the debug profile.
    let mut failures = Vec::new();
    for tool in &tools {
        let binary = PathBuf::from(actor_binary(tool));
        // (environment, what the message must name, the exit code)
        let input_needs_actor = tool == "release-gate";
        let cases: [Case; 3] = [
            // The CLI flow: no input record, so the schema's defaults; no token.
            (
                &[],
                if input_needs_actor {
                    "actor"
                } else {
                    "APIFY_TOKEN"
                },
                if input_needs_actor { 2 } else { 1 },
            ),
            // The platform without a token.
            (&[("APIFY_IS_AT_HOME", "1")], "APIFY_TOKEN", 1),
            // The platform with a token but no default store.
            (
                &[
                    ("APIFY_IS_AT_HOME", "1"),
                    ("APIFY_TOKEN", "apify_api_placeholder"),
                ],
                "ACTOR_DEFAULT_KEY_VALUE_STORE_ID",
                1,
            ),
        ];
        for (env, names, code) in cases {
            let s = start(&binary, env).await;
            let line = format!(
                "{tool} with {env:?}: exit {:?} in {:.1?}: {}",
                s.code,
                s.elapsed,
                s.stderr.trim()
            );
            eprintln!("{line}");
            if s.code != Some(code)
                || !s.stderr.contains(names)
                || s.stderr.contains("panicked")
                || s.elapsed > Duration::from_secs(10)
                || s.stderr.contains("apify_api_placeholder")
            {
                failures.push(format!(
                    "expected exit {code} naming {names}, quickly, no panic, no token: {line}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The test package's build of an Actor's main.rs (tests/Cargo.toml declares one per Actor;
/// a new Actor without one fails here).
fn actor_binary(tool: &str) -> &'static str {
    match tool {
        "fleet-analytics" => env!("CARGO_BIN_EXE_actor-fleet-analytics"),
        "schema-validator" => env!("CARGO_BIN_EXE_actor-schema-validator"),
        "release-gate" => env!("CARGO_BIN_EXE_actor-release-gate"),
        "cost-watchdog" => env!("CARGO_BIN_EXE_actor-cost-watchdog"),
        "quality-monitor" => env!("CARGO_BIN_EXE_actor-quality-monitor"),
        "ab-tester" => env!("CARGO_BIN_EXE_actor-ab-tester"),
        "compliance-scanner" => env!("CARGO_BIN_EXE_actor-compliance-scanner"),
        other => panic!("tests/Cargo.toml declares no [[bin]] actor-{other}: add one"),
    }
}
