//! quality-monitor: the fleet's failure rate by week, the regressions digest, and per actor
//! the metrics that moved, with their statistics.

use crate::chart::{self, Bar, Unit};
use crate::html::{
    actor_console_url, arr, badge, esc, link, n, note, num, opt_num, p_value, pct, s, secs,
    section, table, td, td_n, tr, tr_class, usd,
};
use serde_json::Value;

pub fn render(o: &Value) -> String {
    let mut out = String::new();
    out.push_str(&weekly(arr(&o["fleetWeeks"])));
    out.push_str(&digest(&o["digest"]));
    out.push_str(&regressions(arr(&o["actors"]), arr(&o["families"])));
    out.push_str(&probes(arr(&o["probes"])));
    out
}

fn weekly(weeks: &[Value]) -> String {
    let last = weeks.len().saturating_sub(1);
    let bars: Vec<Bar> = weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let start = s(&w["weekStart"]);
            let label = chrono::DateTime::parse_from_rfc3339(start)
                .map(|t| format!("week of {}", t.format("%m-%d")))
                .unwrap_or_else(|_| format!("week {}", i + 1));
            Bar::new(label, n(&w["failureRate"]))
                .class(if i == last { "warn" } else { "bar" })
                .tip(format!(
                    "{} of {} decided runs failed or timed out ({} runs)",
                    opt_num(&w["failed"], 0),
                    opt_num(&w["decided"], 0),
                    opt_num(&w["runs"], 0)
                ))
        })
        .collect();
    let body = if weeks.is_empty() {
        note("This OUTPUT has no weekly summary (fleetWeeks).")
    } else {
        chart::columns(
            "Failed or timed-out share of decided runs, per week (this week last)",
            Unit::Share,
            Some(1.0),
            &bars,
        )
    };
    section("weekly", "Failure rate by week", &body)
}

fn actor_cell(v: &Value) -> String {
    link(
        actor_console_url(s(&v["actorId"])).as_deref(),
        s(&v["actorName"]),
    )
}

fn digest(d: &Value) -> String {
    let rows: Vec<String> = arr(d)
        .iter()
        .map(|item| {
            let sev = s(&item["severity"]);
            let metrics: Vec<&str> = arr(&item["metrics"]).iter().map(s).collect();
            tr_class(
                &format!("sev-{sev}"),
                &[
                    td(badge(sev, sev)),
                    td(actor_cell(item)),
                    td(esc(s(&item["cause"]))),
                    td(esc(&metrics.join(", "))),
                    td(if item["alerting"].as_bool() == Some(false) {
                        "repeat (not re-alerted)".into()
                    } else {
                        badge("new", "alert")
                    }),
                ],
            )
        })
        .collect();
    let body = if rows.is_empty() {
        note("No regressions this week.")
    } else {
        table(&["Severity", "Actor", "Cause", "Metrics", "Alert"], &rows)
    };
    section(
        "digest",
        "Regressions digest: one item per actor and cause",
        &body,
    )
}

/// A metric's value in its own unit.
fn value(metric: &str, v: &Value) -> String {
    match (metric, n(v)) {
        (_, None) => "–".into(),
        ("failureRate" | "emptyRuns", Some(x)) => pct(x),
        ("duration", Some(x)) => secs(x),
        ("costPerRun", Some(x)) => usd(x),
        (_, Some(x)) => num(x, 3),
    }
}

/// An effect with its interval: points for rates, relative change otherwise.
fn effect(metric: &str, m: &Value) -> String {
    let f = |v: &Value| match n(v) {
        None => "–".into(),
        Some(x) if matches!(metric, "failureRate" | "emptyRuns") => {
            format!("{:+.1} pt", x * 100.0)
        }
        Some(x) => format!("{:+.1} %", x * 100.0),
    };
    if n(&m["effectLow"]).is_some() {
        format!(
            "{} [{}, {}]",
            f(&m["effect"]),
            f(&m["effectLow"]),
            f(&m["effectHigh"])
        )
    } else {
        f(&m["effect"])
    }
}

fn regressions(actors: &[Value], families: &[Value]) -> String {
    let mut body = String::new();
    let fam: Vec<String> = families
        .iter()
        .map(|f| {
            tr(&[
                td(esc(s(&f["metric"]))),
                td_n(opt_num(&f["tested"], 0)),
                td_n(opt_num(&f["notEnoughRuns"], 0)),
                td_n(opt_num(&f["significant"], 0)),
                td_n(opt_num(&f["flagged"], 0)),
                td_n(opt_num(&f["fdrQ"], 3)),
            ])
        })
        .collect();
    if !fam.is_empty() {
        body.push_str(&note(
            "One test per actor and metric; the false discovery rate is controlled per metric across the fleet.",
        ));
        body.push_str(&table(
            &[
                "Metric",
                "Tested",
                "Too few runs",
                "Significant",
                "Flagged",
                "FDR q",
            ],
            &fam,
        ));
    }
    let mut rows = Vec::new();
    for a in actors {
        for key in ["failureRate", "duration", "costPerRun", "emptyRuns"] {
            let m = &a[key];
            if m["flagged"].as_bool() != Some(true) {
                continue;
            }
            let cause = &m["cause"];
            let cause = match s(&cause["kind"]) {
                "build" => format!("build {}", s(&cause["buildNumber"])),
                "since" => format!("since {}", crate::html::time(s(&cause["since"]))),
                other => other.to_string(),
            };
            rows.push(tr_class(
                "sev-high",
                &[
                    td(actor_cell(a)),
                    td(esc(key)),
                    td(format!(
                        "{} <span class=\"muted\">vs</span> {}",
                        esc(s(&m["currentLabel"])),
                        esc(s(&m["baselineLabel"]))
                    )),
                    td_n(format!(
                        "{} → {}",
                        esc(&value(key, &m["baseline"])),
                        esc(&value(key, &m["current"]))
                    )),
                    td_n(esc(&effect(key, m))),
                    td_n(p_value(&m["qValue"])),
                    td(esc(&cause)),
                ],
            ));
        }
    }
    body.push_str("<h3>Flagged metrics</h3>");
    if rows.is_empty() {
        body.push_str(&note("No metric of any actor is flagged."));
    } else {
        body.push_str(&table(
            &[
                "Actor",
                "Metric",
                "Compared",
                "Before → now",
                "Effect [95 % interval]",
                "q",
                "Where it changed",
            ],
            &rows,
        ));
    }
    section("regressions", "Tests", &body)
}

fn probes(list: &[Value]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let rows: Vec<String> = list
        .iter()
        .map(|p| {
            let failed: Vec<String> = arr(&p["checks"])
                .iter()
                .filter(|c| c["passed"].as_bool() == Some(false))
                .map(|c| format!("{}: {}", s(&c["check"]), s(&c["detail"])))
                .collect();
            let passed = p["passed"].as_bool() == Some(true);
            tr(&[
                td(link(p["consoleUrl"].as_str(), s(&p["actor"]["actorName"]))),
                td(if passed {
                    badge("pass", "passed")
                } else {
                    badge("high", "failed")
                }),
                td(esc(&failed.join("; "))),
            ])
        })
        .collect();
    section(
        "probes",
        "Probe runs",
        &table(&["Actor", "Result", "Failed checks"], &rows),
    )
}
