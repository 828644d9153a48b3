//! `apifyforge reliability`: the reliability and security suite. Each area runs the real
//! tools (Actor processes on the emulator, or the CLI flow) under faults, migrations, bad
//! input, attacks and load, and returns a [`Section`] of figures; the command renders them to
//! `docs/reliability.md`. A section's `failures` are broken promises: any one fails the command.
//! `Scale::Fast` is the subset CI runs on every change; `Scale::Full` is what the document shows.

pub mod bad_input;
pub mod faults;
pub mod load;
pub mod migration;
pub mod security;

use std::path::PathBuf;

/// How much of the suite to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The subset CI runs on every change (a few minutes on 2 cores).
    Fast,
    /// Everything `docs/reliability.md` reports.
    Full,
}

/// What a scenario needs to start the tools as the platform and the CLI start them.
#[derive(Debug, Clone)]
pub struct Harness {
    /// argv that starts an Actor process; the tool's name is appended (`[exe, "actor"]`).
    pub actor_command: Vec<String>,
    /// argv of the `apifyforge` binary itself (`[exe]`), for CLI-flow runs (`run <tool>`).
    pub cli_command: Vec<String>,
    pub scale: Scale,
    /// A scratch directory the scenario may fill (local storages, input files).
    pub work_dir: PathBuf,
}

impl Harness {
    /// The harness of the `apifyforge` binary at `exe` (this process's own, or the test
    /// package's build of it).
    pub fn new(exe: &str, scale: Scale, work_dir: PathBuf) -> Harness {
        Harness {
            actor_command: vec![exe.to_owned(), "actor".into()],
            cli_command: vec![exe.to_owned()],
            scale,
            work_dir,
        }
    }
}

/// A table of figures with a short explanation, as one part of the report.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// `## ` heading, e.g. "Faults".
    pub title: String,
    /// Markdown paragraphs: what was done, how to read the table.
    pub summary: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Headline figures for the summary table at the top: (label, value), e.g.
    /// ("faults injected", "1,234").
    pub headline: Vec<(String, String)>,
    /// Broken promises, each a sentence naming the tool and what went wrong. Empty: passed.
    pub failures: Vec<String>,
}

/// The whole suite's result.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub sections: Vec<Section>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &String> {
        self.sections.iter().flat_map(|s| s.failures.iter())
    }
}

/// OUTPUT without what differs between two runs over the same evidence by design: the time
/// (`generatedAt`) and the run metadata (`meta`).
pub fn comparable(mut output: serde_json::Value) -> serde_json::Value {
    if let Some(o) = output.as_object_mut() {
        o.remove("generatedAt");
        o.remove("meta");
    }
    output
}

/// Every file under `dir`, recursively, as (path, text); unreadable bytes become U+FFFD.
pub fn files_text(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                out.push((
                    p.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    out
}

/// The areas in the order the document shows them; `name` is what `--only` takes.
pub const AREAS: [&str; 5] = ["faults", "migration", "bad-input", "security", "load"];

/// Runs the areas one after another (each starts its own emulator and Actor processes; run
/// together they would measure each other on a 2-core machine). An area that cannot run at all
/// becomes a section whose failure says why.
pub async fn run_all(h: &Harness, only: &[String]) -> Report {
    let mut report = Report::default();
    for area in AREAS {
        if !only.is_empty() && !only.iter().any(|o| o == area) {
            continue;
        }
        eprintln!("reliability: {area}…");
        let started = std::time::Instant::now();
        let result = match area {
            "faults" => faults::run(h).await,
            "migration" => migration::run(h).await,
            "bad-input" => bad_input::run(h).await,
            "security" => security::run(h).await,
            _ => load::run(h).await,
        };
        let mut section = result.unwrap_or_else(|e| Section {
            title: area.into(),
            failures: vec![format!("the {area} scenarios could not run: {e:#}")],
            ..Section::default()
        });
        section.headline.push((
            "wall time".into(),
            format!("{:.0} s", started.elapsed().as_secs_f64()),
        ));
        report.sections.push(section);
    }
    report
}

/// Where the figures were measured: part of every figure.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub os: String,
    pub build: &'static str,
}

impl Machine {
    pub fn detect() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
        let memory_gib = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0 / 1024.0)
            .unwrap_or(0.0);
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib,
            os,
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        }
    }
}

/// The markdown of `docs/reliability.md`. `generated` is the date line (the shell reads the
/// clock; this function does not).
pub fn render_markdown(
    report: &Report,
    scale: Scale,
    machine: &Machine,
    generated: &str,
) -> String {
    use std::fmt::Write as _;
    let mut md = String::new();
    let failures = report.failures().count();
    md.push_str("# Reliability and security\n\n");
    md.push_str(
        "Generated by `cargo run --release -p apifyforge -- reliability` (CI runs \
         `--fast` on every change through `cargo test`). Every figure below was measured by that \
         run: the real tools, as Actor processes on the Apify API emulator or through the CLI \
         flow, under injected faults, migrations, bad input, missing permissions and load. Do not \
         edit by hand.\n\n",
    );
    let _ = writeln!(
        md,
        "- Generated: {generated}, scale: {}, {} build\n- Machine: {}, {} cores, {:.0} GiB, {}\n- Result: {}\n",
        match scale {
            Scale::Fast => "fast (the CI subset)",
            Scale::Full => "full",
        },
        machine.build,
        machine.cpu,
        machine.cores,
        machine.memory_gib,
        machine.os,
        if failures == 0 {
            "every promise held (0 failures)".to_owned()
        } else {
            format!("**{failures} broken promise(s)**, listed under their section")
        }
    );
    md.push_str("| Area | Figures | Result |\n|---|---|---|\n");
    for s in &report.sections {
        let figures: Vec<String> = s
            .headline
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let _ = writeln!(
            md,
            "| [{}](#{}) | {} | {} |",
            cell(&s.title),
            anchor(&s.title),
            cell(&figures.join("; ")),
            if s.failures.is_empty() {
                "passed".to_owned()
            } else {
                format!("{} failure(s)", s.failures.len())
            }
        );
    }
    for s in &report.sections {
        let _ = write!(md, "\n## {}\n\n", s.title);
        if !s.summary.trim().is_empty() {
            md.push_str(s.summary.trim());
            md.push_str("\n\n");
        }
        if !s.headers.is_empty() {
            let _ = writeln!(
                md,
                "| {} |",
                s.headers
                    .iter()
                    .map(|h| cell(h))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            let _ = writeln!(md, "|{}", "---|".repeat(s.headers.len()));
            for row in &s.rows {
                let _ = writeln!(
                    md,
                    "| {} |",
                    row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                );
            }
            md.push('\n');
        }
        if s.failures.is_empty() {
            md.push_str("Broken promises: none.\n");
        } else {
            md.push_str("Broken promises:\n\n");
            for f in &s.failures {
                let _ = writeln!(md, "- {}", f.replace('\n', " "));
            }
        }
    }
    md
}

/// A table cell: pipes escaped, on one line.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// GitHub's heading anchor: lower case, spaces to hyphens, punctuation dropped.
fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_section_and_every_broken_promise() {
        let report = Report {
            sections: vec![
                Section {
                    title: "Faults".into(),
                    summary: "What was done.".into(),
                    headers: vec!["tool".into(), "requests".into()],
                    rows: vec![vec!["cost-watchdog".into(), "1|2".into()]],
                    headline: vec![("faults injected".into(), "12".into())],
                    failures: vec![],
                },
                Section {
                    title: "Load and limits".into(),
                    failures: vec!["fleet-analytics saw 3 429s".into()],
                    ..Section::default()
                },
            ],
        };
        let machine = Machine {
            cpu: "cpu".into(),
            cores: 2,
            memory_gib: 24.0,
            os: "Debian".into(),
            build: "release",
        };
        let md = render_markdown(&report, Scale::Full, &machine, "2026-11-23");
        assert!(
            md.contains("| [Faults](#faults) | faults injected: 12 | passed |"),
            "{md}"
        );
        assert!(md.contains("[Load and limits](#load-and-limits)"), "{md}");
        assert!(md.contains("| cost-watchdog | 1\\|2 |"), "{md}");
        assert!(md.contains("- fleet-analytics saw 3 429s"), "{md}");
        assert!(md.contains("**1 broken promise(s)**"), "{md}");
    }
}
