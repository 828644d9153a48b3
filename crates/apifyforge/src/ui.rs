//! Everything the command line shows a person: progress on stderr, summaries and tables on
//! stdout, errors with a hint. The one place that knows terminals: colours only on a terminal
//! and never with `NO_COLOR` (anstream's rules, also `CLICOLOR` / `CLICOLOR_FORCE`), a progress
//! bar only when stderr is a terminal, plain lines otherwise, and stdout kept for results.

use anstyle::{AnsiColor, Style};
use comfy_table::{presets, Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};
use forge_runtime::doctor::{Check, Diagnosis};
use forge_runtime::progress::{self, Progress};
use forge_runtime::Permission;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

// ---------------------------------------------------------------------------------------------
// Colours

/// Whether ANSI styling may go to stdout: a terminal, no `NO_COLOR`, not `TERM=dumb`.
pub fn color_stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Whether ANSI styling may go to stderr, by the same rules.
pub fn color_stderr() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

const BOLD: Style = Style::new().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const HEADING: Style = Style::new().bold().underline();

// ---------------------------------------------------------------------------------------------
// Help

/// An `after_help` block: a heading, then each example as a `# comment` line over the command,
/// so every command can be copied as it is.
pub fn examples(list: &[(&str, &str)]) -> String {
    let mut s = format!("{HEADING}Examples:{HEADING:#}\n");
    for (i, (comment, command)) in list.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!("  # {comment}\n  {BOLD}{command}{BOLD:#}\n"));
    }
    s
}

/// The top-level `after_help`: the two flows, one line each, then the exit codes.
pub fn top_help(flows: &[&str]) -> String {
    let mut s = format!("{HEADING}Two flows, one code:{HEADING:#}\n");
    for line in flows {
        s.push_str(&format!("  {line}\n"));
    }
    s.push_str("\nExit codes: 0 ok, 1 the tool failed, 2 bad input, 3 release-gate BLOCK.\n");
    s
}

/// Prints to stdout, without ANSI styling where stdout takes none.
pub fn print_stdout(text: &str) {
    anstream::print!("{text}");
}

// ---------------------------------------------------------------------------------------------
// Logging, and the runtime's last word

/// Where the runtime logs the final status of a tool run (`run_tool`).
const RUNTIME_RUNNER: &str = "forge_runtime::actor";

/// The failure message the runtime logged last, for [`failure`] to print with a hint.
static LAST_FAILURE: Mutex<Option<String>> = Mutex::new(None);

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logs {
    /// A platform run (`apifyforge actor`): timestamped lines, as the platform's log shows them.
    Platform,
    /// A person at the command line: no timestamps, and the runner's final status line is
    /// left to the summary or the error this module prints.
    Person,
}

/// Installs the tracing subscriber: stderr, `RUST_LOG` (default `info`), ANSI only when
/// stderr takes colours.
pub fn init_logging(logs: Logs) {
    use tracing_subscriber::filter::{filter_fn, EnvFilter, FilterExt};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;

    let env_filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(color_stderr());
    let registry = tracing_subscriber::registry();
    match logs {
        Logs::Platform => registry.with(fmt.with_filter(env_filter)).init(),
        Logs::Person => {
            let not_final = filter_fn(|m| {
                !(m.target() == RUNTIME_RUNNER
                    && matches!(*m.level(), tracing::Level::INFO | tracing::Level::ERROR))
            });
            registry
                .with(fmt.without_time().with_filter(env_filter.and(not_final)))
                .with(CaptureFailure)
                .init()
        }
    }
}

/// Keeps the runner's final error message, which [`Logs::Person`] does not print as a log line.
struct CaptureFailure;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CaptureFailure {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let meta = event.metadata();
        if meta.target() == RUNTIME_RUNNER && *meta.level() == tracing::Level::ERROR {
            let mut message = Message(String::new());
            event.record(&mut message);
            if let Ok(mut last) = LAST_FAILURE.lock() {
                *last = Some(message.0);
            }
        }
    }
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors that say what to do next

/// A failure the command line explains: one line of what went wrong, one of what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: String,
    /// The exit code (the policy is in `main.rs`: 1 failure, 2 bad input).
    pub code: i32,
}

impl Problem {
    pub fn new(code: i32, message: impl Into<String>, hint: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            hint: hint.into(),
            code,
        }
    }

    /// Prints both lines to stderr and returns the exit code.
    pub fn print(&self) -> i32 {
        anstream::eprintln!("{ERROR}error:{ERROR:#} {}", self.message);
        anstream::eprintln!("{HINT}hint:{HINT:#} {}", self.hint);
        self.code
    }
}

/// What to do about a failure the runtime reported as `message`. The runtime's errors
/// (`RuntimeError`) already name the operation and the permission; this adds the next step.
pub fn hint_for(message: &str, api_base_url: &str) -> String {
    let m = message.to_ascii_lowercase();
    if m.contains("token was rejected") || m.contains("(401") {
        "APIFY_TOKEN is wrong, expired or for another API: copy it again from Apify Console > \
         Settings > API & Integrations"
            .into()
    } else if m.contains("lacks the") && m.contains("permission") {
        "add the permission named above to the token in Apify Console > Settings > API & \
         Integrations; `apifyforge doctor` lists every permission the token has"
            .into()
    } else if m.contains("http transport error")
        || m.contains("request timed out")
        || m.contains("error sending request")
    {
        format!(
            "could not reach {api_base_url}: check the network (and a proxy, if any){}",
            if api_base_url == forge_runtime::env::DEFAULT_API_BASE_URL {
                String::new()
            } else {
                "; APIFY_API_BASE_URL points there, unset it for api.apify.com".into()
            }
        )
    } else if m.contains("429") || m.contains("rate limit") {
        "the API is rate limiting this token: wait a minute, then run again".into()
    } else if m.contains("invalid input") {
        "fix the fields named above; an empty object {} runs with every default".into()
    } else if m.contains("not found") {
        "check the actor named in the input: its ID, `name` or `username/name` as in Console".into()
    } else {
        "run again with RUST_LOG=debug to see each request; `apifyforge doctor` checks the \
         token and the API"
            .into()
    }
}

/// After a tool run that failed with `code`: the runtime's message and what to do next.
pub fn failure(tool: &str, code: i32, api_base_url: &str) -> i32 {
    let message = LAST_FAILURE
        .lock()
        .ok()
        .and_then(|mut m| m.take())
        .unwrap_or_else(|| format!("{tool} failed (exit code {code})"));
    let hint = hint_for(&message, api_base_url);
    Problem::new(code, message, hint).print()
}

// ---------------------------------------------------------------------------------------------
// Progress

/// Shows a collection's progress on stderr while it lasts: a bar on a terminal, a plain line
/// at every tenth of the actors (or every 5 s) otherwise. Nothing goes to stdout.
pub struct Activity {
    shared: Arc<Shared>,
}

struct Shared {
    label: String,
    started: Instant,
    total: AtomicU64,
    done: AtomicU64,
    runs: AtomicU64,
    requests: AtomicU64,
    over: AtomicBool,
    sink: Sink,
}

enum Sink {
    Bar {
        bar: ProgressBar,
        counting: AtomicBool,
        color: bool,
    },
    Lines(Mutex<Lines>),
}

struct Lines {
    printed_at: Instant,
    /// Tenths of the actors done when the last line was printed.
    tenths: u64,
    /// The counts the last line showed, so the closing line is not a repeat.
    shown: (u64, u64, u64, u64),
}

/// How often a plain progress line is printed at the least, when anything moves.
const LINE_EVERY: Duration = Duration::from_secs(5);
/// Plain progress lines start only after this long: a quick run prints only its closing line.
const QUIET_START: Duration = Duration::from_secs(2);

impl Activity {
    /// Starts showing progress under `label`, saying `first` until the first event, and installs the process-wide reporter (once per
    /// process; a second `Activity` in the same process would show nothing).
    pub fn start(label: &str, first: &str) -> Activity {
        let sink = if std::io::stderr().is_terminal() {
            let color = color_stderr();
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style(color));
            bar.set_prefix(label.to_string());
            bar.set_message(first.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            Sink::Bar {
                bar,
                counting: AtomicBool::new(false),
                color,
            }
        } else {
            Sink::Lines(Mutex::new(Lines {
                printed_at: Instant::now(),
                tenths: 0,
                shown: (0, 0, 0, 0),
            }))
        };
        let shared = Arc::new(Shared {
            label: label.to_string(),
            started: Instant::now(),
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            runs: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            over: AtomicBool::new(false),
            sink,
        });
        let reporter = shared.clone();
        progress::set_reporter(Box::new(move |event| reporter.on(event)));
        Activity { shared }
    }

    /// Clears the bar so that what follows starts clean; without a terminal, prints a closing
    /// line with the counts when the work `succeeded` (a failure prints its error instead).
    pub fn finish(self, succeeded: bool) {
        let s = &self.shared;
        s.over.store(true, Ordering::SeqCst);
        match &s.sink {
            Sink::Bar { bar, .. } => bar.finish_and_clear(),
            Sink::Lines(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    let counts = s.counts();
                    if succeeded && counts != lines.shown && counts != (0, 0, 0, 0) {
                        lines.shown = counts;
                        eprintln!("{}", s.line());
                    }
                }
            }
        }
    }
}

fn spinner_style(color: bool) -> ProgressStyle {
    let template = if color {
        "{spinner:.cyan} {prefix:.bold} {msg} {elapsed:.dim}"
    } else {
        "{spinner} {prefix} {msg} {elapsed}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style(color: bool) -> ProgressStyle {
    let template = if color {
        "{spinner:.cyan} {prefix:.bold} [{bar:28.cyan/blue}] {pos}/{len} actors · {msg} {elapsed:.dim}"
    } else {
        "{spinner} {prefix} [{bar:28}] {pos}/{len} actors · {msg} {elapsed}"
    };
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Shared {
    fn counts(&self) -> (u64, u64, u64, u64) {
        (
            self.total.load(Ordering::Relaxed),
            self.done.load(Ordering::Relaxed),
            self.runs.load(Ordering::Relaxed),
            self.requests.load(Ordering::Relaxed),
        )
    }

    fn on(&self, event: &Progress) {
        if self.over.load(Ordering::Relaxed) {
            return;
        }
        match event {
            Progress::ActorsListed(n) => {
                self.total.fetch_add(*n, Ordering::Relaxed);
            }
            Progress::ActorDone => {
                self.done.fetch_add(1, Ordering::Relaxed);
            }
            Progress::RunsRead(n) => {
                self.runs.fetch_add(*n, Ordering::Relaxed);
            }
            Progress::Request => {
                self.requests.fetch_add(1, Ordering::Relaxed);
            }
            Progress::Step(_) => {}
        }
        let (total, done, runs, requests) = self.counts();
        match &self.sink {
            Sink::Bar {
                bar,
                counting,
                color,
            } => {
                if let Progress::Step(step) = event {
                    bar.set_prefix(format!("{}: {step}", self.label));
                }
                if done > 0 {
                    bar.set_message(format!(
                        "{} read · {}",
                        count(runs, "run"),
                        count(requests, "request")
                    ));
                    bar.set_length(total.max(done));
                    bar.set_position(done);
                    if !counting.swap(true, Ordering::Relaxed) {
                        bar.set_style(bar_style(*color));
                    }
                } else {
                    bar.set_message(match total {
                        0 => count(requests, "request"),
                        n => format!("{} · {}", count(n, "actor"), count(requests, "request")),
                    });
                }
            }
            Sink::Lines(lines) => {
                let Ok(mut lines) = lines.lock() else { return };
                let tenths = (done * 10).checked_div(total).unwrap_or(0).min(10);
                let first_list = matches!(event, Progress::ActorsListed(_)) && lines.tenths == 0;
                let step = matches!(event, Progress::Step(_));
                // A run that ends within seconds needs no progress, only the closing line.
                let slow = self.started.elapsed() >= QUIET_START;
                let due = lines.printed_at.elapsed() >= LINE_EVERY;
                if step || (slow && (first_list || tenths > lines.tenths || due)) {
                    if let Progress::Step(step) = event {
                        eprintln!("{}: {step}", self.label);
                    } else {
                        eprintln!("{}", self.line());
                    }
                    lines.tenths = tenths;
                    lines.printed_at = Instant::now();
                    lines.shown = (total, done, runs, requests);
                }
            }
        }
    }

    /// "cost-watchdog: 12/40 actors, 3,456 runs read, 57 requests (4.2 s)".
    fn line(&self) -> String {
        let (total, done, runs, requests) = self.counts();
        let mut parts = Vec::new();
        if total > 0 || done > 0 {
            parts.push(if done > 0 {
                format!("{}/{} actors", thousands(done), thousands(total.max(done)))
            } else {
                format!("{} listed", count(total, "actor"))
            });
        }
        if runs > 0 {
            parts.push(format!("{} runs read", thousands(runs)));
        }
        parts.push(count(requests, "request"));
        format!(
            "{}: {} ({:.1} s)",
            self.label,
            parts.join(", "),
            self.started.elapsed().as_secs_f64()
        )
    }
}

/// "1 request", "1,234 requests".
pub fn count(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tables

fn table(color: bool) -> Table {
    let mut t = Table::new();
    if std::io::stdout().is_terminal() {
        t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
    } else {
        // Piped or in a CI log: plain ASCII that pastes into an issue as Markdown.
        t.load_style(presets::ASCII_MARKDOWN);
    }
    t.set_content_arrangement(ContentArrangement::Dynamic);
    if t.width().is_some_and(|w| w < 40) {
        // A terminal that reports no size (a bare pty): wrap as if it were a common one.
        t.set_width(120);
    }
    if color {
        t.enforce_styling();
    }
    t
}

fn header(t: &mut Table, names: &[&str], color: bool) {
    t.set_header(names.iter().map(|n| {
        let cell = Cell::new(n);
        if color {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
}

fn colored(text: impl ToString, fg: Color, color: bool) -> Cell {
    let cell = Cell::new(text);
    if color {
        cell.fg(fg)
    } else {
        cell
    }
}

fn paint(text: &str, style: Style, color: bool) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// `apifyforge run`: the summary

/// Where the CLI flow's outputs of one run are.
pub struct Outputs {
    pub storage: PathBuf,
}

impl Outputs {
    pub fn new(storage: &Path) -> Outputs {
        Outputs {
            storage: storage.to_path_buf(),
        }
    }

    pub fn record(&self, key: &str, ext: &str) -> PathBuf {
        self.storage
            .join("key_value_stores")
            .join("default")
            .join(format!("{key}.{ext}"))
    }

    pub fn dataset(&self) -> PathBuf {
        self.storage.join("datasets").join("default")
    }
}

/// Prints a finished run's OUTPUT: as it is stored with `json`, else a summary. Returns the
/// exit code: `code` itself, or 1 when the OUTPUT that should be there cannot be read.
pub fn finished_run(
    tool: &str,
    code: i32,
    outputs: &Outputs,
    started: SystemTime,
    json: bool,
) -> i32 {
    let path = outputs.record("OUTPUT", "json");
    let bytes =
        match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => return Problem::new(
                1,
                format!("{tool} finished but {} cannot be read: {e}", path.display()),
                "check that APIFY_LOCAL_STORAGE_DIR (default ./storage) is writable and run again",
            )
            .print(),
        };
    if json {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&bytes);
        if !bytes.ends_with(b"\n") {
            let _ = out.write_all(b"\n");
        }
        return code;
    }
    let output: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let signals: Value = std::fs::read(outputs.record("SIGNALS", "json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    anstream::print!(
        "{}",
        run_summary(
            tool,
            code,
            &output,
            &signals,
            outputs,
            started,
            color_stdout()
        )
    );
    code
}

/// How many signals the summary lists; the rest are counted.
const TOP_SIGNALS: usize = 8;

/// The summary of a finished run: the decision, the top signals, where the outputs are.
pub fn run_summary(
    tool: &str,
    code: i32,
    output: &Value,
    signals: &Value,
    outputs: &Outputs,
    started: SystemTime,
    color: bool,
) -> String {
    let mut s = String::new();
    let decision = output["decision"].as_str().unwrap_or("?");
    let decision_style = match decision {
        "act_now" => AnsiColor::Red.on_default().bold(),
        "monitor" => AnsiColor::Yellow.on_default().bold(),
        _ => AnsiColor::Green.on_default().bold(),
    };
    let mut head = format!(
        "{}  decision: {}",
        paint(tool, BOLD, color),
        paint(decision, decision_style, color)
    );
    if let Some(verdict) = output["verdict"].as_str() {
        let style = match verdict {
            "BLOCK" => AnsiColor::Red.on_default().bold(),
            "WARN" => AnsiColor::Yellow.on_default().bold(),
            _ => AnsiColor::Green.on_default().bold(),
        };
        head.push_str(&format!("  verdict: {}", paint(verdict, style, color)));
    }
    if code != 0 {
        head.push_str(&format!("  (exit code {code})"));
    }
    s.push_str(&head);
    s.push('\n');
    if let Some(summary) = output["summary"].as_str() {
        s.push_str(summary);
        s.push('\n');
    }

    let open: &[Value] = signals["signals"].as_array().map_or(&[], Vec::as_slice);
    let acknowledged = signals["acknowledged"].as_array().map_or(0, Vec::len);
    s.push('\n');
    if open.is_empty() {
        s.push_str("No open signals.\n");
    } else {
        let mut t = table(color);
        header(&mut t, &["severity", "actor", "signal", "$/month"], color);
        for signal in open.iter().take(TOP_SIGNALS) {
            t.add_row(signal_row(signal, color));
        }
        if let Some(column) = t.column_mut(3) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        s.push_str(&t.to_string());
        s.push('\n');
        if open.len() > TOP_SIGNALS {
            s.push_str(&format!(
                "{} more open signals in SIGNALS.json.\n",
                open.len() - TOP_SIGNALS
            ));
        }
    }
    if acknowledged > 0 {
        s.push_str(&format!(
            "{acknowledged} acknowledged signals are kept apart in SIGNALS.json.\n"
        ));
    }

    s.push('\n');
    let mut t = table(color);
    header(&mut t, &["output", "where"], color);
    let fresh = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= started)
    };
    let mut row = |what: String, path: PathBuf| {
        if fresh(&path) {
            t.add_row(vec![Cell::new(what), Cell::new(shown(&path))]);
        }
    };
    row(
        "report (decision first)".into(),
        outputs.record("OUTPUT", "json"),
    );
    row(
        format!("signals ({} open)", open.len()),
        outputs.record("SIGNALS", "json"),
    );
    row("HTML report".into(), outputs.record("REPORT", "html"));
    row(
        "trend state for the next run".into(),
        outputs.record("SNAPSHOT", "json"),
    );
    let rows = dataset_items(&outputs.dataset());
    if rows > 0 {
        t.add_row(vec![
            Cell::new(format!("dataset ({})", count(rows as u64, "row"))),
            Cell::new(format!("{}/", shown(&outputs.dataset()))),
        ]);
    }
    s.push_str(&t.to_string());
    s.push_str("\n\n");
    if let Some(n) = output["meta"]["apiRequests"].as_u64() {
        s.push_str(&format!(
            "{}. `--json` prints OUTPUT instead of this summary.\n",
            count(n, "API request")
        ));
    }
    s
}

fn signal_row(signal: &Value, color: bool) -> Vec<Cell> {
    let severity = signal["severity"].as_str().unwrap_or("?");
    let fg = match severity {
        "critical" => Color::Red,
        "high" => Color::DarkRed,
        "medium" => Color::Yellow,
        "low" => Color::Cyan,
        _ => Color::Grey,
    };
    let actor = signal["subject"]["actorName"].as_str().unwrap_or("?");
    let mut actor_cell = actor.to_string();
    if let Some(build) = signal["subject"]["buildNumber"].as_str() {
        actor_cell.push_str(&format!(" ({build})"));
    }
    let title = signal["title"].as_str().unwrap_or("");
    let title = title
        .strip_prefix(actor)
        .and_then(|t| t.strip_prefix(": "))
        .unwrap_or(title);
    let usd = signal["impact"]["usdPerMonth"]
        .as_f64()
        .map_or_else(|| "-".to_string(), usd);
    vec![
        colored(severity, fg, color),
        Cell::new(actor_cell),
        Cell::new(title),
        Cell::new(usd),
    ]
}

/// 1418.2 → "$1,418.20"; a negative amount (a saving) keeps its sign.
pub fn usd(v: f64) -> String {
    let cents = (v.abs() * 100.0).round() as u64;
    let sign = if v < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", thousands(cents / 100), cents % 100)
}

/// A path as the user would type it: without a leading `./`.
fn shown(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn dataset_items(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.ends_with(".json") && !name.starts_with("__")
                })
                .count()
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// `apifyforge doctor`

/// A tool's standing with the token, in one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Every permission it needs was probed and granted.
    Ready,
    /// A permission it needs is missing.
    Blocked,
    /// Nothing it needs is missing, but some of it could not be probed.
    Unverified,
}

impl Standing {
    fn as_str(self) -> &'static str {
        match self {
            Standing::Ready => "yes",
            Standing::Blocked => "no",
            Standing::Unverified => "unverified",
        }
    }
}

/// The standing of a tool that needs `needs`, given what doctor found.
pub fn standing(diagnosis: &Diagnosis, needs: &[Permission]) -> Standing {
    let checks: Vec<Option<&Check>> = needs.iter().map(|p| diagnosis.check(*p)).collect();
    if checks.iter().any(|c| c == &Some(&Check::Missing)) {
        Standing::Blocked
    } else if checks.iter().all(|c| c == &Some(&Check::Granted)) {
        Standing::Ready
    } else {
        Standing::Unverified
    }
}

/// One tool of the doctor's report.
pub struct ToolNeeds {
    pub tool: &'static str,
    /// Everything it asks for, as an Actor on the platform.
    pub platform: Vec<Permission>,
    /// What `apifyforge run` uses on the user's machine.
    pub cli: Vec<Permission>,
    /// Permissions only an optional feature uses, with the feature: without one, that
    /// feature is refused naming it and the rest of the tool works.
    pub optional: Vec<(Permission, &'static str)>,
}

/// `doctor --json`: what scripts read.
pub fn doctor_json(api_base_url: &str, diagnosis: &Diagnosis, tools: &[ToolNeeds]) -> Value {
    let ids = |ps: &[Permission]| ps.iter().map(|p| p.id()).collect::<Vec<_>>();
    json!({
        "apiBaseUrl": api_base_url,
        "username": diagnosis.username,
        "permissions": diagnosis.checks.iter().map(|c| {
            let (status, why) = match &c.check {
                Check::Granted => ("granted", None),
                Check::Missing => ("missing", None),
                Check::NotProbed(why) => ("notProbed", Some(*why)),
            };
            json!({
                "id": c.permission.id(),
                "label": c.permission.label(),
                "status": status,
                "probe": c.probe,
                "whyNotProbed": why,
                "disables": (c.check == Check::Missing).then(|| c.permission.disables()),
            })
        }).collect::<Vec<_>>(),
        "missing": ids(&diagnosis.missing()),
        "tools": tools.iter().map(|t| {
            let missing: Vec<Permission> = t.platform.iter().copied()
                .filter(|p| diagnosis.check(*p) == Some(&Check::Missing)).collect();
            let not_probed: Vec<Permission> = t.platform.iter().copied()
                .filter(|p| matches!(diagnosis.check(*p), Some(Check::NotProbed(_)))).collect();
            json!({
                "tool": t.tool,
                "needs": ids(&t.platform),
                "cliNeeds": ids(&t.cli),
                "cli": standing(diagnosis, &t.cli).as_str(),
                "platform": standing(diagnosis, &t.platform).as_str(),
                "missing": ids(&missing),
                "notProbed": ids(&not_probed),
                "optional": t.optional.iter().map(|(p, feature)| json!({
                    "id": p.id(),
                    "feature": feature,
                    "status": match diagnosis.check(*p) {
                        Some(Check::Granted) => "granted",
                        Some(Check::Missing) => "missing",
                        _ => "notProbed",
                    },
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
    })
}

/// `doctor`'s report for a person: the five permissions, then the seven tools.
pub fn doctor_report(
    api_base_url: &str,
    diagnosis: &Diagnosis,
    tools: &[ToolNeeds],
    color: bool,
) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "Token {}accepted by {api_base_url}\n\n",
        diagnosis
            .username
            .as_deref()
            .map(|u| format!("of {} ", paint(u, BOLD, color)))
            .unwrap_or_default()
    ));

    let mut t = table(color);
    header(&mut t, &["permission", "status", "what it means"], color);
    for c in &diagnosis.checks {
        let (status, meaning) = match &c.check {
            Check::Granted => (
                colored("granted", Color::Green, color),
                format!("checked with {}", c.probe.unwrap_or("a request")),
            ),
            Check::Missing => (
                colored("MISSING", Color::Red, color).add_attribute(Attribute::Bold),
                format!("without it, {}", c.permission.disables()),
            ),
            Check::NotProbed(why) => (
                colored("not probed", Color::Yellow, color),
                format!("{why}; without it, {}", c.permission.disables()),
            ),
        };
        t.add_row(vec![Cell::new(c.permission), status, Cell::new(meaning)]);
    }
    s.push_str(&t.to_string());
    s.push_str("\n\n");

    let mut t = table(color);
    header(
        &mut t,
        &["tool", "apifyforge run", "as an Actor on Apify", "why"],
        color,
    );
    for tool in tools {
        let cli = standing(diagnosis, &tool.cli);
        let platform = standing(diagnosis, &tool.platform);
        let missing: Vec<&str> = tool
            .platform
            .iter()
            .filter(|p| diagnosis.check(**p) == Some(&Check::Missing))
            .map(|p| p.label())
            .collect();
        let unprobed: Vec<&str> = tool
            .platform
            .iter()
            .filter(|p| matches!(diagnosis.check(**p), Some(Check::NotProbed(_))))
            .map(|p| p.label())
            .collect();
        let mut why = Vec::new();
        if !missing.is_empty() {
            why.push(format!("cannot run without {}", missing.join(", ")));
        }
        if !unprobed.is_empty() {
            why.push(format!("not probed: {}", unprobed.join(", ")));
        }
        for (p, feature) in &tool.optional {
            if diagnosis.check(*p) == Some(&Check::Missing) {
                why.push(format!("{feature} need {}", p.label()));
            }
        }
        let cell = |st: Standing| {
            let fg = match st {
                Standing::Ready => Color::Green,
                Standing::Blocked => Color::Red,
                Standing::Unverified => Color::Yellow,
            };
            colored(st.as_str(), fg, color)
        };
        t.add_row(vec![
            Cell::new(tool.tool),
            cell(cli),
            cell(platform),
            Cell::new(why.join("; ")),
        ]);
    }
    s.push_str(&t.to_string());
    s.push_str("\n\n");
    s.push_str(
        "apifyforge run uses only Actors: Read and Actors: List runs; the optional features \
         that start runs (quality-monitor's probes, ab-tester's experiments, fleet-analytics' \
         specialist runs on the platform) also need Actors: Run and read what those runs wrote \
         (Storages: Read).\n",
    );

    let missing = diagnosis.missing();
    if missing.is_empty() {
        s.push_str(&format!(
            "\n{} nothing probed is missing. Next: `apifyforge run fleet-analytics`.\n",
            paint("OK:", AnsiColor::Green.on_default().bold(), color)
        ));
    } else {
        let names: Vec<&str> = missing.iter().map(|p| p.label()).collect();
        s.push_str(&format!(
            "\n{} add {} to the token in Apify Console > Settings > API & Integrations, then run \
             `apifyforge doctor` again.\n",
            paint("Next:", AnsiColor::Red.on_default().bold(), color),
            names.join(" and ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(usd(1418.2), "$1,418.20");
        assert_eq!(usd(0.004), "$0.00");
        assert_eq!(usd(-12.5), "-$12.50");
    }

    #[test]
    fn every_failure_gets_a_next_step() {
        let base = "https://api.apify.com";
        assert!(
            hint_for("x failed: the API token was rejected (401: nope)", base)
                .contains("copy it again")
        );
        assert!(hint_for(
            "x failed: the API token lacks the Actors: List runs (actors:list-runs) permission",
            base
        )
        .contains("Console"));
        let h = hint_for(
            "x failed: list your actors failed: HTTP transport error: error sending request",
            "http://127.0.0.1:9",
        );
        assert!(
            h.contains("127.0.0.1:9") && h.contains("APIFY_API_BASE_URL"),
            "{h}"
        );
        assert!(hint_for("something else", base).contains("RUST_LOG=debug"));
    }

    #[test]
    fn examples_are_copyable_without_colour() {
        let text = examples(&[("the demo", "apifyforge demo")]);
        let plain = anstream::adapter::strip_str(&text).to_string();
        assert!(plain.contains("  apifyforge demo\n"), "{plain}");
    }
}
