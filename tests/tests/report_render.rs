//! The HTML reports, end to end: the demo (through the library, on a small fleet) stores a
//! `REPORT` per tool run; each one is exactly `forge_report::render` of the run's OUTPUT, names
//! no URL but Console and docs links, holds no token; the CLI flow stores it as
//! `storage/key_value_stores/default/REPORT.html` with its content type; and every report is
//! opened in headless Chromium, which must draw something (a screenshot that is not blank,
//! with the decision's colour, so the CSS applied) and log nothing to the console.
//!
//! Console errors: Chromium with `--enable-logging=stderr --v=0` writes every console message
//! of the page to stderr as `...:CONSOLE:<line>] "<message>", source: ...`. The reports have
//! no script and carry a Content-Security-Policy that blocks every fetch and every script, and
//! a blocked load or script is itself a console message, so "no CONSOLE line" covers script
//! errors, external references and injected markup alike. That the detector sees messages in
//! this Chromium at all is checked first, on a canary page that breaks the policy.
//!
//! No Chromium at `/usr/bin/chromium` (`scripts/install-browser.sh` installs it; another path
//! in `APIFYFORGE_CHROMIUM`): the browser test prints SKIPPED and passes, unless
//! `APIFYFORGE_REQUIRE_BROWSER=1`, which makes it fail.

use apifyforge::demo::{run_demo, DemoOptions};
use forge_emulator::synth::{generate, SynthConfig};
use forge_tests::*;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium() -> PathBuf {
    std::env::var_os("APIFYFORGE_CHROMIUM").map_or_else(|| CHROMIUM.into(), PathBuf::from)
}
const TOOLS: [&str; 7] = [
    "fleet-analytics",
    "schema-validator",
    "release-gate",
    "cost-watchdog",
    "quality-monitor",
    "ab-tester",
    "compliance-scanner",
];
/// The share of a screenshot that must differ from its background: a report draws several
/// per cent (tables, charts, banners); one word on a white page draws a few hundredths.
const MIN_INK: f64 = 0.01;
/// A page that has not rendered by then is a failure, not a hang.
const PAGE_TIMEOUT: Duration = Duration::from_secs(40);

struct Demo {
    _dir: tempfile::TempDir,
    /// `(tool, <out>/<n>-<tool>/)` per run, in the demo's order.
    runs: Vec<(String, PathBuf)>,
    /// Every token the fleet's fixture holds.
    tokens: Vec<String>,
}

/// The demo on 30 actors, run once for every test of this file.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let synth = SynthConfig {
            seed: 7,
            actors: 30,
            days: 60,
            runs_per_day: 6.0,
            now: now(),
            ..Default::default()
        };
        let options = DemoOptions {
            synth: synth.clone(),
            out_dir: dir.path().join("demo"),
            actor_command: vec![BIN.into(), "actor".into()],
        };
        let started = Instant::now();
        let result = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(run_demo(&options))
            .expect("the demo runs");
        eprintln!(
            "demo on 30 actors: {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let runs = result
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let name = format!("{}-{}", i + 1, r.tool);
                (r.tool.to_string(), options.out_dir.join(name))
            })
            .collect();
        let tokens = generate(&synth)
            .0
            .tokens
            .into_iter()
            .map(|t| t.token)
            .collect();
        Demo {
            _dir: dir,
            runs,
            tokens,
        }
    })
}

/// Every absolute URL must be an `href` to Apify Console or docs.
fn foreign_urls(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for scheme in ["http://", "https://"] {
        for (i, _) in page.match_indices(scheme) {
            let before = &page[..i];
            let ok = before.ends_with("href=\"")
                && (page[i..].starts_with("https://console.apify.com/")
                    || page[i..].starts_with("https://docs.apify.com/"));
            if !ok {
                let end = (i + 60..=page.len())
                    .find(|j| page.is_char_boundary(*j))
                    .unwrap_or(page.len());
                out.push(page[i..end].to_string());
            }
        }
    }
    out
}

#[test]
fn every_run_stores_its_report_as_a_self_contained_view_of_its_output() {
    let demo = demo();
    let mut seen: Vec<&str> = Vec::new();
    for (tool, dir) in &demo.runs {
        let page = std::fs::read_to_string(dir.join("REPORT.html"))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let output = read_json(&dir.join("OUTPUT.json"));
        // Rendered from OUTPUT and from nothing else, so it cannot hold more than OUTPUT does.
        assert!(
            page == forge_report::render(tool, &output),
            "{}: REPORT is not the rendering of OUTPUT",
            dir.display()
        );
        assert_eq!(foreign_urls(&page), Vec::<String>::new(), "{tool}");
        assert!(!page.to_lowercase().contains("<script"), "{tool}");
        assert!(!page.contains("apify_api_run_"), "{tool}: a run token");
        for token in &demo.tokens {
            assert!(!page.contains(token.as_str()), "{tool}: a fixture token");
        }
        seen.push(tool);
    }
    for tool in TOOLS {
        assert!(seen.contains(&tool), "the demo ran no {tool}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_flow_stores_the_report_in_apify_local_layout() {
    let (fixture, _) = fleet(3, 8);
    let token = fixture
        .tokens
        .iter()
        .find(|t| t.permissions == forge_emulator::Permissions::all_scoped())
        .unwrap()
        .token
        .clone();
    let emulator = start(fixture, BIN).await;
    let dir = tempfile::tempdir().unwrap();
    let out = cli_run_tool(
        BIN,
        &emulator,
        &token,
        dir.path(),
        "cost-watchdog",
        &input(),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kvs = dir.path().join("storage/key_value_stores/default");
    let page = std::fs::read_to_string(kvs.join("REPORT.html")).unwrap();
    let meta = read_json(&kvs.join("REPORT.__metadata__.json"));
    assert_eq!(meta["contentType"], "text/html; charset=utf-8");
    assert_eq!(meta["size"], page.len());
    let output = read_json(&kvs.join("OUTPUT.json"));
    assert!(page == forge_report::render("cost-watchdog", &output));
    assert!(!page.contains(&token));
    emulator.shutdown().await;
}

// ---------------------------------------------------------------- the browser

/// What one headless Chromium run of a page produced.
struct Shot {
    png: PathBuf,
    /// Console messages the page logged (CSP violations included).
    console: Vec<String>,
    elapsed: Duration,
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}

/// Ends the process group a Chromium run leads (its renderer and GPU helpers included).
fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// Opens `html` in a fresh headless Chromium and takes a 1280 × 2400 screenshot.
fn screenshot(html: &Path, png: &Path, dark: bool) -> Result<Shot, String> {
    let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2400",
        // The page has no timers: virtual time only lets layout and fonts settle, fast.
        "--virtual-time-budget=3000",
        "--timeout=15000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg(format!("--screenshot={}", png.display()));
    if dark {
        cmd.arg("--force-dark-mode");
    }
    cmd.arg(file_url(html))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own process group, so a hung run can be ended with every helper it started.
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("starting {}: {e}", chromium().display()))?;
    let pid = child.id();
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > PAGE_TIMEOUT => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    };
    // Helpers that outlive the browser would keep stderr open: end the group either way.
    kill_group(pid);
    let _ = child.wait();
    let log = reader.join().unwrap_or_default();
    let Some(status) = status else {
        return Err(format!(
            "{}: no screenshot within {PAGE_TIMEOUT:?}",
            html.display()
        ));
    };
    if !png.exists() {
        return Err(format!(
            "{}: Chromium exited with {status} and no screenshot:\n{}",
            html.display(),
            tail(&log)
        ));
    }
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("CONSOLE(") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    Ok(Shot {
        png: png.to_path_buf(),
        console,
        elapsed: started.elapsed(),
    })
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.contains("dbus")).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// How much of a screenshot is drawn: the background (its most common colour, at 4 bits a
/// channel), the share of other pixels, the number of distinct colours at that precision and
/// the pixels exactly of `colour`. Plain loops over a 4,096-bucket histogram: a 3-megapixel
/// screenshot takes milliseconds even in a debug build.
struct Drawn {
    background: [u8; 3],
    ink_share: f64,
    colours: usize,
    of_colour: usize,
}

fn drawn(png: &Path, colour: Option<[u8; 3]>) -> Drawn {
    let bytes = std::fs::read(png).unwrap();
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let samples = info.color_type.samples();
    let mut histogram = vec![0u32; 4096];
    let (mut total, mut of_colour) = (0usize, 0usize);
    for p in buf[..info.buffer_size()].chunks_exact(samples) {
        let rgb = if samples < 3 {
            [p[0]; 3]
        } else {
            [p[0], p[1], p[2]]
        };
        histogram
            [(rgb[0] as usize >> 4) << 8 | (rgb[1] as usize >> 4) << 4 | rgb[2] as usize >> 4] += 1;
        of_colour += (Some(rgb) == colour) as usize;
        total += 1;
    }
    let (bucket, count) = histogram
        .iter()
        .enumerate()
        .max_by_key(|(_, c)| **c)
        .map(|(b, c)| (b, *c as usize))
        .unwrap_or((0, 0));
    let centre = |shift: usize| (((bucket >> shift) & 15) << 4 | 8) as u8;
    Drawn {
        background: [centre(8), centre(4), centre(0)],
        ink_share: 1.0 - count as f64 / total.max(1) as f64,
        colours: histogram.iter().filter(|c| **c > 0).count(),
        of_colour,
    }
}

/// The decision banner's colour in the light theme (`--red`, `--amber`, `--green`).
fn decision_colour(decision: &str) -> Option<[u8; 3]> {
    match decision {
        "act_now" => Some([0xc6, 0x28, 0x28]),
        "monitor" => Some([0xb3, 0x5c, 0x00]),
        "ignore" => Some([0x2e, 0x7d, 0x32]),
        _ => None,
    }
}

fn luminance(p: [u8; 3]) -> f64 {
    0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64
}

#[test]
fn every_report_renders_in_headless_chromium_without_console_errors() {
    let browser = chromium();
    if !browser.exists() {
        let required = std::env::var("APIFYFORGE_REQUIRE_BROWSER").as_deref() == Ok("1");
        assert!(
            !required,
            "APIFYFORGE_REQUIRE_BROWSER=1 but {} is missing: run scripts/install-browser.sh",
            browser.display()
        );
        eprintln!(
            "\n==================================================================\n\
             SKIPPED: chromium not installed ({}); the HTML reports were not\n\
             rendered in a browser. Run scripts/install-browser.sh to test them.\n\
             ==================================================================",
            browser.display()
        );
        return;
    }
    let started = Instant::now();
    let shots_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    let _ = std::fs::remove_dir_all(&shots_dir);
    std::fs::create_dir_all(&shots_dir).unwrap();

    // The detector works here: a page that breaks its own policy is seen logging.
    let canary = shots_dir.join("canary.html");
    std::fs::write(
        &canary,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\
         </head><body><p>canary</p><img src=\"missing.png\"></body></html>",
    )
    .unwrap();
    let shot = screenshot(&canary, &shots_dir.join("canary.png"), false).unwrap();
    assert!(
        !shot.console.is_empty(),
        "Chromium logged no console message for a CSP violation: the console check would see nothing"
    );

    // ...and the blankness check fails it: one word on a white page is not a report.
    let canary_drawn = drawn(&shot.png, None);
    assert!(
        canary_drawn.ink_share < MIN_INK,
        "a near-blank page would pass: {:.2} % drawn",
        canary_drawn.ink_share * 100.0
    );
    eprintln!("canary page: {:.1} s", shot.elapsed.as_secs_f64());
    let demo = demo();
    eprintln!(
        "reports ready after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // (page, screenshot, dark, decision)
    let mut jobs: Vec<(PathBuf, PathBuf, bool, String)> = demo
        .runs
        .iter()
        .map(|(_, dir)| {
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            let decision = read_json(&dir.join("OUTPUT.json"))["decision"]
                .as_str()
                .unwrap_or("")
                .to_string();
            (
                dir.join("REPORT.html"),
                shots_dir.join(format!("{name}.png")),
                false,
                decision,
            )
        })
        .collect();
    // And one in the dark theme.
    let (first, _, _, decision) = jobs[0].clone();
    jobs.push((first, shots_dir.join("1-dark.png"), true, decision));

    // Two pages at a time: CI machines have few cores, and each Chromium uses several.
    let next = AtomicUsize::new(0);
    type Rendered = Result<(Shot, Drawn), String>;
    let results: Mutex<Vec<(usize, Rendered)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((html, png, dark, decision)) = jobs.get(i) else {
                    break;
                };
                let colour = if *dark {
                    None
                } else {
                    decision_colour(decision)
                };
                let r = screenshot(html, png, *dark).map(|shot| {
                    let d = drawn(&shot.png, colour);
                    (shot, d)
                });
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let mut failures = Vec::new();
    for (i, result) in results {
        let (html, _, dark, decision) = &jobs[i];
        let (shot, d) = match result {
            Ok(r) => r,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let page = html.display();
        if !shot.console.is_empty() {
            failures.push(format!(
                "{page}: console messages:\n  {}",
                shot.console.join("\n  ")
            ));
        }
        let colour = decision_colour(decision).filter(|_| !*dark);
        eprintln!(
            "{}{}: {:.1} s, {:.1} % drawn, {} colours, background {:?}",
            page,
            if *dark { " (dark)" } else { "" },
            shot.elapsed.as_secs_f64(),
            d.ink_share * 100.0,
            d.colours,
            d.background
        );
        // Blank: a white (or black) page, or text without any styling, fails these.
        if d.ink_share < MIN_INK {
            failures.push(format!(
                "{page}: only {:.2} % of the screenshot differs from the background",
                d.ink_share * 100.0
            ));
        }
        if d.colours < 12 {
            failures.push(format!("{page}: only {} distinct colours", d.colours));
        }
        if *dark {
            if luminance(d.background) > 60.0 {
                failures.push(format!(
                    "{page}: the dark theme's background is {:?}",
                    d.background
                ));
            }
        } else {
            if luminance(d.background) < 200.0 {
                failures.push(format!(
                    "{page}: the light theme's background is {:?}",
                    d.background
                ));
            }
            // The banner is filled with the decision's colour: the stylesheet applied.
            if colour.is_some() && d.of_colour < 500 {
                failures.push(format!(
                    "{page}: the {decision} banner's colour covers {} pixels",
                    d.of_colour
                ));
            }
        }
    }
    eprintln!(
        "{} pages in headless Chromium in {:.1} s; screenshots in {}",
        jobs.len(),
        started.elapsed().as_secs_f64(),
        shots_dir.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
