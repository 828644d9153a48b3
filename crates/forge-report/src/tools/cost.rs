//! cost-watchdog: the fleet's cost per day over the window, the month-end projection against
//! the budget, waste, and the biggest spenders with their own trend.

use crate::chart::{self, Unit};
use crate::html::{
    actor_console_url, arr, badge, card, esc, link, n, note, opt_num, opt_pct, opt_usd, s, section,
    table, td, td_n, tr, usd,
};
use serde_json::Value;

pub fn render(o: &Value) -> String {
    let fleet = &o["fleet"];
    let mut out = String::new();
    out.push_str(&over_time(fleet));
    out.push_str(&month(fleet));
    out.push_str(&spenders(arr(&o["actors"])));
    out
}

/// "MM-DD" labels for a daily series starting at `start` (RFC 3339); "day N" without one.
pub(crate) fn day_labels(start: &str, days: usize) -> Vec<String> {
    let start = chrono::DateTime::parse_from_rfc3339(start).ok();
    (0..days)
        .map(|i| match start {
            Some(t) => (t + chrono::Duration::days(i as i64))
                .format("%m-%d")
                .to_string(),
            None => format!("day {}", i + 1),
        })
        .collect()
}

fn daily(v: &Value) -> Vec<Option<f64>> {
    arr(v).iter().map(n).collect()
}

fn over_time(fleet: &Value) -> String {
    let ys = daily(&fleet["dailyCostUsd"]);
    let xs = day_labels(s(&fleet["seriesStart"]), ys.len());
    let budget_per_day = n(&fleet["budget"]["monthlyBudgetUsd"])
        .zip(n(&fleet["month"]["daysInMonth"]).filter(|d| *d > 0.0))
        .map(|(b, d)| b / d);
    let total: f64 = ys.iter().flatten().sum();
    let mut body = String::from("<div class=\"cards\">");
    body.push_str(&card(
        "Cost in the window",
        &opt_usd(&fleet["costUsd"]),
        &format!("{} the window before", opt_usd(&fleet["previousCostUsd"])),
    ));
    body.push_str(&card(
        "Cost per run",
        &opt_usd(&fleet["costPerRunUsd"]),
        &format!(
            "{} per successful run",
            opt_usd(&fleet["costPerSuccessfulRunUsd"])
        ),
    ));
    let wasted = &fleet["wasted"];
    body.push_str(&card(
        "Spent on runs that delivered nothing",
        &opt_usd(&wasted["totalUsd"]),
        &format!(
            "{} of the spend · {}/month",
            opt_pct(&wasted["share"]),
            opt_usd(&wasted["usdPerMonth"])
        ),
    ));
    body.push_str("</div>");
    body.push_str(&chart::area(
        &format!(
            "The fleet's cost per day ({} over {} days)",
            usd(total),
            ys.len()
        ),
        Unit::Usd,
        &xs,
        &ys,
        budget_per_day.map(|b| (b, "budget per day")),
    ));
    section("cost-over-time", "Cost over time", &body)
}

fn month(fleet: &Value) -> String {
    let m = &fleet["month"];
    let p = &m["projection"];
    let projected = match (n(&p["monthEndUsd"]), n(&p["lowUsd"]), n(&p["highUsd"])) {
        (Some(e), Some(l), Some(h)) => Some((e, l, h)),
        _ => None,
    };
    let budget = &fleet["budget"];
    let mut body = String::from("<div class=\"cards\">");
    body.push_str(&card(
        &format!("Month to date ({})", s(&m["month"])),
        &opt_usd(&m["monthToDateUsd"]),
        &format!(
            "{} of {} days",
            opt_num(&m["elapsedDays"], 1),
            opt_num(&m["daysInMonth"], 0)
        ),
    ));
    body.push_str(&card(
        "Projected by month end",
        &opt_usd(&p["monthEndUsd"]),
        &format!(
            "{} % interval {} – {}",
            n(&p["level"]).map_or("90".into(), |l| crate::html::num(l * 100.0, 0)),
            opt_usd(&p["lowUsd"]),
            opt_usd(&p["highUsd"])
        ),
    ));
    if budget.is_object() {
        let crossing = [
            ("crossedOn", "crossed on"),
            ("projectedCrossingOn", "projected to cross on"),
            ("earliestCrossingOn", "at the earliest on"),
        ]
        .iter()
        .filter_map(|(k, label)| budget[*k].as_str().map(|d| format!("{label} {d}")))
        .collect::<Vec<_>>()
        .join(", ");
        body.push_str(&card(
            "Monthly budget",
            &opt_usd(&budget["monthlyBudgetUsd"]),
            &format!(
                "{} · {} used, {} projected{}",
                s(&budget["status"]),
                opt_pct(&budget["usedShare"]),
                opt_pct(&budget["projectedShare"]),
                if crossing.is_empty() {
                    String::new()
                } else {
                    format!(" · {crossing}")
                }
            ),
        ));
    }
    body.push_str("</div>");
    body.push_str(&chart::projection(
        "Month to date, the month-end projection with its interval, and the budget",
        n(&m["monthToDateUsd"]).unwrap_or(0.0),
        projected,
        n(&budget["monthlyBudgetUsd"]),
    ));
    if !budget.is_object() {
        body.push_str(&note(
            "No monthly budget was given (input monthlyBudgetUsd): the projection is shown alone.",
        ));
    }
    section("month", "Projection and budget", &body)
}

fn spenders(list: &[Value]) -> String {
    let mut sorted: Vec<&Value> = list.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |v: &Value| n(&v["costUsd"]).unwrap_or(0.0);
        key(b).total_cmp(&key(a))
    });
    let rows: Vec<String> = sorted
        .iter()
        .map(|a| {
            let daily = daily(&a["dailyCostUsd"]);
            let name = s(&a["actorName"]);
            let mem = &a["memory"];
            let memory = match (s(&mem["status"]), n(&mem["recommendedMbytes"])) {
                ("", _) => String::new(),
                (st, Some(r)) if n(&mem["currentMbytes"]) != Some(r) => format!(
                    "{} · {} → {} MB",
                    esc(st),
                    opt_num(&mem["currentMbytes"], 0),
                    crate::html::num(r, 0)
                ),
                (st, _) => esc(st),
            };
            let url = a["consoleUrl"]
                .as_str()
                .map(str::to_string)
                .or_else(|| actor_console_url(s(&a["actorId"])));
            tr(&[
                td(link(url.as_deref(), name)),
                td_n(opt_usd(&a["costUsd"])),
                td_n(opt_usd(&a["previousCostUsd"])),
                td(chart::sparkline(
                    &daily,
                    &format!("{name}: cost per day over the window"),
                )),
                td_n(opt_usd(&a["month"]["projection"]["monthEndUsd"])),
                td_n(opt_usd(&a["wasted"]["totalUsd"])),
                td(memory),
                td(if a["anomaly"]["flagged"].as_bool() == Some(true) {
                    badge("high", "anomaly")
                } else {
                    String::new()
                }),
            ])
        })
        .collect();
    let body = if rows.is_empty() {
        note("No actors.")
    } else {
        table(
            &[
                "Actor",
                "Cost (window)",
                "Window before",
                "Per day",
                "Month end",
                "Wasted",
                "Memory",
                "",
            ],
            &rows,
        )
    };
    section(
        "spenders",
        &format!("Actors by spend ({})", list.len()),
        &body,
    )
}
