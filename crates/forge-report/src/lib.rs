//! The human report of a tool run: one self-contained HTML page rendered from the tool's
//! `OUTPUT`, stored beside it as the `REPORT` record.
//!
//! Pure: a function of `(tool, output)`, no I/O, no clock. The page loads nothing: inline CSS,
//! inline SVG charts, no script, and a Content-Security-Policy that forbids every fetch, so a
//! report opened from a key-value store or a CI artifact reads the same offline and a stray
//! reference fails loudly in a browser instead of leaking a request. Everything that came from
//! OUTPUT is escaped ([`html::esc`]); links go only to Apify Console and docs ([`html::link`]).
//! Odd or missing fields render as "–", never as a panic.
//!
//! ```
//! let page = forge_report::render("cost-watchdog", &serde_json::json!({"decision": "monitor"}));
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! ```

pub mod chart;
pub mod html;
mod tools;

use html::{arr, as_of, badge, esc, link, n, s, section, table, td, time, tr_class};
use serde_json::Value;

/// The whole page for `tool`'s `output`.
pub fn render(tool: &str, output: &Value) -> String {
    let body = match tool {
        "fleet-analytics" => tools::fleet::render(output),
        "cost-watchdog" => tools::cost::render(output),
        "quality-monitor" => tools::quality::render(output),
        "schema-validator" => tools::schema::render_validator(output),
        "release-gate" => tools::schema::render_gate(output),
        "ab-tester" => tools::ab::render(output),
        "compliance-scanner" => tools::compliance::render(output),
        _ => String::new(),
    };
    // The signals open the page, except where an Action Plan already merges them (and every
    // other tool's) by actor and cause: then the plan leads and the raw signals follow.
    let (before, after) = if output["actionPlan"].is_object() {
        (String::new(), signals(output))
    } else {
        (signals(output), String::new())
    };
    let title = format!("{tool} report");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\
<meta name=\"color-scheme\" content=\"light dark\">\
<title>{}</title><style>{CSS}</style></head><body>{}<main>{before}{body}{after}</main>\
<footer>apifyforge · rendered from this run's OUTPUT · the same data as JSON is in the run's OUTPUT and SIGNALS records</footer>\
</body></html>\n",
        esc(&title),
        header(tool, output),
    )
}

fn decision_label(decision: &str) -> &'static str {
    match decision {
        "act_now" => "Act now",
        "monitor" => "Monitor",
        "ignore" => "Nothing to do",
        _ => "No decision",
    }
}

/// Tool, decision, summary and dates: the part every report opens with.
fn header(tool: &str, output: &Value) -> String {
    let decision = s(&output["decision"]);
    let reasons: Vec<String> = arr(&output["reasonCodes"])
        .iter()
        .map(|r| format!("<code>{}</code>", esc(s(r))))
        .collect();
    let mut dates = Vec::new();
    if let Some(g) = output["generatedAt"].as_str() {
        dates.push(format!("generated {}", esc(&time(g))));
    }
    let as_of = as_of(output);
    if !as_of.is_empty() {
        dates.push(format!("data as of {}", esc(&time(as_of))));
    }
    format!(
        "<header><div class=\"tool\">apifyforge · <strong>{}</strong></div>\
<div class=\"decision d-{}\">{}</div><p class=\"summary\">{}</p>\
<p class=\"muted\">{}{}</p></header>",
        esc(tool),
        html::class_of(decision),
        esc(decision_label(decision)),
        esc(s(&output["summary"])),
        dates.join(" · "),
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" · reasons: {}", reasons.join(" "))
        }
    )
}

/// "$12/month, 3.5 failed runs/week, 4 callers" from a signal's or an item's `impact`.
pub(crate) fn impact_text(impact: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(v) = n(&impact["usdPerMonth"]).filter(|v| *v > 0.0) {
        parts.push(format!("{}/month", html::usd(v)));
    }
    if let Some(v) = n(&impact["failedRunsPerWeek"]).filter(|v| *v > 0.0) {
        parts.push(format!("{} failed runs/week", html::num(v, 1)));
    }
    if let Some(v) = n(&impact["callersAffected"]) {
        parts.push(format!("{} callers", html::num(v, 0)));
    }
    for (k, v) in impact.as_object().into_iter().flatten() {
        if !["usdPerMonth", "failedRunsPerWeek", "callersAffected"].contains(&k.as_str()) {
            if let Some(x) = n(v) {
                parts.push(format!("{k} {}", html::num(x, 2)));
            }
        }
    }
    parts.join(", ")
}

fn signal_rows(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|sig| {
            let sev = s(&sig["severity"]);
            tr_class(
                &format!("sev-{sev}"),
                &[
                    td(badge(sev, sev)),
                    td(format!(
                        "{}<div class=\"muted small\"><code>{}</code> · {}</div>",
                        esc(s(&sig["title"])),
                        esc(s(&sig["rule"])),
                        esc(s(&sig["tool"]))
                    )),
                    td(esc(&impact_text(&sig["impact"]))),
                    td(esc(s(&sig["recommendation"]))),
                    td(link(sig["consoleUrl"].as_str(), "Console")),
                ],
            )
        })
        .collect()
}

/// The signals table, acknowledged ones apart.
fn signals(output: &Value) -> String {
    let open = arr(&output["signals"]);
    let acked = arr(&output["acknowledged"]);
    let head = ["Severity", "Signal", "Impact", "Recommendation", "Link"];
    let mut body = if open.is_empty() {
        html::note("No open signals.")
    } else {
        table(&head, &signal_rows(open))
    };
    if !acked.is_empty() {
        body.push_str(&format!(
            "<details><summary>{} acknowledged (not counted in the decision)</summary>{}</details>",
            acked.len(),
            table(&head, &signal_rows(acked))
        ));
    }
    section("signals", &format!("Signals ({} open)", open.len()), &body)
}

const CSS: &str = r#"
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--bar:#2f6fd6;--proj:#a9c4f5;--area:rgba(47,111,214,.16);--red:#c62828;--crit:#8b0000;--amber:#b35c00;--green:#2e7d32;--blue:#1565c0;--grey:#6e7781;--err-bg:#fdecec;--warn-bg:#fff4e0;--info-bg:#eef4ff;--ok-bg:#e9f6ec}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--card:#161b22;--bar:#5b9cf5;--proj:#2c4a7a;--area:rgba(91,156,245,.22);--red:#ff7b72;--crit:#ffa198;--amber:#e3b341;--green:#56d364;--blue:#79c0ff;--grey:#8b949e;--err-bg:#3a1618;--warn-bg:#3a2a0c;--info-bg:#132340;--ok-bg:#12301b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 24px}
header{padding-top:24px;padding-bottom:8px;border-bottom:1px solid var(--line)}
.tool{color:var(--muted);font-size:14px}
.decision{display:inline-block;margin:8px 0;padding:4px 14px;border-radius:6px;font-weight:700;font-size:20px;color:#fff;background:var(--grey)}
.d-act_now{background:var(--red)}.d-monitor{background:var(--amber)}.d-ignore{background:var(--green)}
@media (prefers-color-scheme:dark){.decision{color:#0d1117}}
.summary{font-size:17px;margin:4px 0}
h2{font-size:20px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:18px 0 8px}
.muted{color:var(--muted)}.small{font-size:13px}
a{color:var(--blue)}
code{font:13px ui-monospace,"DejaVu Sans Mono",monospace}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{font-weight:600;background:var(--card)}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td code{white-space:nowrap}td code.wrap{white-space:normal;overflow-wrap:anywhere}td ul{margin:0;padding-left:18px}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:var(--grey);white-space:nowrap}
@media (prefers-color-scheme:dark){.badge{color:#0d1117}}
.k-critical,.k-err,.k-block,.k-f,.k-a_better,.k-high{background:var(--red)}.k-critical{background:var(--crit)}
.k-medium,.k-warn,.k-d,.k-monitor{background:var(--amber)}
.k-low,.k-c{background:var(--blue)}
.k-pass,.k-a,.k-b,.k-b_better,.k-succeeded,.k-new{background:var(--green)}.k-new{background:var(--blue)}.k-worsened{background:var(--red)}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px;flex:1}
.card .label{color:var(--muted);font-size:13px}.card .value{font-size:22px;font-weight:700}.card .note{color:var(--muted);font-size:12px}
figure.chart{margin:12px 0 18px;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:var(--bg)}
figure.chart figcaption{font-weight:600;margin-bottom:6px}
figure.chart svg{width:100%;max-width:900px;height:auto;display:block}
details{margin:6px 0}summary{cursor:pointer;color:var(--muted)}
svg text{font:12px system-ui,"DejaVu Sans",sans-serif;fill:var(--fg)}
svg .axis{fill:var(--muted);font-size:11px}svg .value{font-size:11px}
svg .grid{stroke:var(--line);stroke-width:1}svg .axisline{stroke:var(--muted);stroke-width:1}
svg .zero{stroke:var(--fg);stroke-width:1.2}
svg .area{fill:var(--area);stroke:none}svg .line{fill:none;stroke:var(--bar);stroke-width:2}svg .dot{fill:var(--bar)}
svg .ref,svg .budget{stroke:var(--red);stroke-width:1.5;stroke-dasharray:6 4}svg .reflabel{fill:var(--red);font-size:11px}
svg .whisker{stroke:var(--fg);stroke-width:2}
svg .f-bar{fill:var(--bar)}svg .f-proj{fill:var(--proj)}
svg .f-a,svg .f-ok{fill:var(--green)}svg .f-b{fill:#7cb342}svg .f-c{fill:var(--blue)}svg .f-d,svg .f-warn{fill:var(--amber)}svg .f-f,svg .f-bad{fill:var(--red)}svg .f-skipped{fill:var(--grey)}
svg .s-b_better .est,svg .s-b_better .whisker{fill:var(--green);stroke:var(--green)}
svg .s-a_better .est,svg .s-a_better .whisker{fill:var(--red);stroke:var(--red)}
svg .s-neutral .est{fill:var(--grey)}svg .s-neutral .whisker{stroke:var(--grey)}
svg.spark{vertical-align:middle}svg.spark .line{stroke-width:1.5}
tr.sev-critical td:first-child,tr.sev-high td:first-child,tr.lvl-err td:first-child{box-shadow:inset 3px 0 var(--red)}
tr.sev-medium td:first-child,tr.lvl-warn td:first-child{box-shadow:inset 3px 0 var(--amber)}
tr.lvl-err{background:var(--err-bg)}tr.lvl-warn{background:var(--warn-bg)}tr.lvl-info{background:var(--info-bg)}
.diff td pre{margin:0;white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
.diff td.before,.diff td.after{width:34%}
.verdict{display:inline-block;font-size:22px;font-weight:800;padding:2px 14px;border-radius:6px;color:#fff}
.v-pass,.v-b_better{background:var(--green)}.v-warn,.v-no_detectable_difference,.v-not_enough_data{background:var(--amber)}.v-block,.v-a_better{background:var(--red)}
@media (prefers-color-scheme:dark){.verdict{color:#0d1117}}
ol.plan{padding-left:28px}ol.plan>li{margin:0 0 14px;padding:8px 12px;border:1px solid var(--line);border-radius:8px;background:var(--card)}
ol.plan .fix{margin:4px 0 0}ol.plan ul{margin:4px 0;padding-left:18px}
footer{color:var(--muted);font-size:12px;padding-top:18px;padding-bottom:28px;border-top:1px solid var(--line);margin-top:28px}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--line:#bbb;--card:#f4f4f4;--bar:#2f6fd6;--proj:#a9c4f5;--area:rgba(47,111,214,.16);--red:#c62828;--crit:#8b0000;--amber:#b35c00;--green:#2e7d32;--blue:#1565c0;--grey:#6e7781;--err-bg:#fdecec;--warn-bg:#fff4e0;--info-bg:#eef4ff;--ok-bg:#e9f6ec}
body{font-size:11pt}header,main,footer{max-width:none;padding:0}.scroll{overflow:visible}
figure.chart,ol.plan>li,tr{break-inside:avoid}h2{break-after:avoid}a{color:inherit;text-decoration:none}
.decision,.badge,.verdict{color:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"#;

#[cfg(test)]
mod tests;
