//! ab-tester: the two arms, a verdict per metric with its interval (a table and an interval
//! plot), sample-ratio mismatch and the experiment's budget.

use crate::chart::{self, Interval};
use crate::html::{
    badge, card, class_of, esc, n, note, num, opt_num, opt_pct, opt_usd, p_value, pct, s, secs,
    section, table, td, td_n, tr, usd,
};
use serde_json::Value;

pub fn render(o: &Value) -> String {
    let mut out = String::new();
    out.push_str(&arms(o));
    out.push_str(&metrics(crate::html::arr(&o["metrics"])));
    out.push_str(&design(o));
    out
}

fn arms(o: &Value) -> String {
    let verdict = s(&o["verdict"]);
    let mut body = format!(
        "<p><span class=\"verdict v-{}\">{}</span> <span class=\"muted\">{} mode</span></p>",
        class_of(verdict),
        esc(if verdict.is_empty() {
            "no verdict"
        } else {
            verdict
        }),
        esc(s(&o["mode"]))
    );
    let rows: Vec<String> = ["a", "b"]
        .iter()
        .map(|k| {
            let v = &o[*k];
            tr(&[
                td(format!(
                    "<strong>{}</strong> {}",
                    esc(s(&v["label"])),
                    esc(s(&v["description"]))
                )),
                td_n(opt_num(&v["runs"], 0)),
                td_n(opt_num(&v["decided"], 0)),
                td_n(opt_num(&v["succeeded"], 0)),
                td_n(opt_pct(&v["successRate"])),
                td_n(n(&v["medianDurationSecs"]).map_or_else(|| "–".into(), secs)),
                td_n(opt_usd(&v["medianCostUsd"])),
                td_n(opt_num(&v["meanItems"], 1)),
            ])
        })
        .collect();
    body.push_str(&table(
        &[
            "Variant",
            "Runs",
            "Decided",
            "Succeeded",
            "Success rate",
            "Median duration",
            "Median cost",
            "Mean items",
        ],
        &rows,
    ));
    section("arms", "Variants", &body)
}

/// A metric's value in its own unit.
fn value(metric: &str, v: &Value) -> String {
    match (metric, n(v)) {
        (_, None) => "–".into(),
        ("successRate", Some(x)) => pct(x),
        ("duration", Some(x)) => secs(x),
        ("costPerRun", Some(x)) => usd(x),
        (_, Some(x)) => num(x, 2),
    }
}

fn verdict_class(verdict: &str) -> &'static str {
    match verdict {
        "B better" => "b_better",
        "A better" => "a_better",
        _ => "neutral",
    }
}

fn metrics(list: &[Value]) -> String {
    let rows: Vec<String> = list
        .iter()
        .map(|m| {
            let metric = s(&m["metric"]);
            let verdict = s(&m["verdict"]);
            let interval = match (n(&m["effect"]), n(&m["effectLow"]), n(&m["effectHigh"])) {
                (Some(e), Some(l), Some(h)) => format!(
                    "{:+.1} [{:+.1}, {:+.1}] {}",
                    e * 100.0,
                    l * 100.0,
                    h * 100.0,
                    if metric == "successRate" { "pt" } else { "%" }
                ),
                _ => "–".into(),
            };
            tr(&[
                td(format!(
                    "{}{}",
                    esc(metric),
                    if m["primary"].as_bool() == Some(true) {
                        " <span class=\"muted small\">(primary)</span>"
                    } else {
                        ""
                    }
                )),
                td_n(esc(&value(metric, &m["valueA"]))),
                td_n(esc(&value(metric, &m["valueB"]))),
                td_n(esc(&interval)),
                td_n(p_value(&m["qValue"])),
                td(format!("<code>{}</code>", esc(s(&m["test"])))),
                td(format!(
                    "{}<div class=\"muted small\">{}</div>",
                    badge(verdict_class(verdict), verdict),
                    esc(s(&m["explanation"]))
                )),
            ])
        })
        .collect();
    let intervals: Vec<Interval> = list
        .iter()
        .map(|m| {
            let metric = s(&m["metric"]);
            Interval {
                label: metric.to_string(),
                estimate: n(&m["effect"]),
                low: n(&m["effectLow"]),
                high: n(&m["effectHigh"]),
                class: verdict_class(s(&m["verdict"])).into(),
                tip: format!(
                    "{}; {}",
                    s(&m["verdict"]),
                    if m["higherIsBetter"].as_bool() == Some(false) {
                        "lower is better"
                    } else {
                        "higher is better"
                    }
                ),
            }
        })
        .collect();
    let mut body = String::new();
    if rows.is_empty() {
        body.push_str(&note("No metric was compared."));
    } else {
        body.push_str(&table(
            &[
                "Metric",
                "A",
                "B",
                "B − A [95 % interval]",
                "q",
                "Test",
                "Verdict",
            ],
            &rows,
        ));
        body.push_str(&chart::intervals(
            "B − A per metric with its 95 % interval (green: B better, red: A better)",
            "B − A: points for success rate, relative change for the others",
            &intervals,
        ));
    }
    section("metrics", "Verdict per metric", &body)
}

fn design(o: &Value) -> String {
    let mut body = String::from("<div class=\"cards\">");
    let srm = &o["sampleRatio"];
    if srm.is_object() {
        body.push_str(&card(
            "Sample ratio",
            if srm["mismatch"].as_bool() == Some(true) {
                "mismatch"
            } else {
                "as expected"
            },
            &format!(
                "expected {} / {} runs, p = {}",
                opt_num(&srm["expectedA"], 0),
                opt_num(&srm["expectedB"], 0),
                p_value(&srm["pValue"])
            ),
        ));
    }
    let b = &o["budget"];
    if b.is_object() {
        body.push_str(&card(
            "Runs started",
            &format!(
                "{} of {}",
                opt_num(&b["runsStarted"], 0),
                opt_num(&b["maxRuns"], 0)
            ),
            s(&b["stoppedBecause"]),
        ));
        body.push_str(&card(
            "Spent",
            &format!("{} of {}", opt_usd(&b["usdSpent"]), opt_usd(&b["maxUsd"])),
            &format!("worst case {} a run", opt_usd(&b["worstCaseUsdPerRun"])),
        ));
    }
    body.push_str("</div>");
    if body == "<div class=\"cards\"></div>" {
        return String::new();
    }
    section("design", "Design checks and budget", &body)
}
