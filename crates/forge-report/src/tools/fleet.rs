//! fleet-analytics: the Fleet Health Score and where its points went, the Action Plan (when
//! the run orchestrated the specialists), and one row per actor.

use crate::chart::{self, Bar, Unit};
use crate::html::{
    actor_console_url, arr, badge, card, esc, link, n, note, num, opt_num, opt_pct, opt_usd, s,
    section, table, td, td_n, tr, tr_class,
};
use crate::impact_text;
use serde_json::Value;

pub fn render(o: &Value) -> String {
    let mut out = String::new();
    // An orchestrated run answers "what first" with its plan: that leads.
    if o["actionPlan"].is_object() {
        out.push_str(&action_plan(&o["actionPlan"], arr(&o["specialistRuns"])));
    }
    out.push_str(&health(&o["fleet"]));
    out.push_str(&week_over_week(&o["weekOverWeek"]));
    out.push_str(&actors(arr(&o["actors"])));
    out
}

fn health(fleet: &Value) -> String {
    let hs = &fleet["healthScore"];
    let mut body = String::from("<div class=\"cards\">");
    body.push_str(&card(
        "Fleet Health Score",
        &format!(
            "{} / 100 · {}",
            opt_num(&hs["score"], 1),
            s(&hs["grade"]).chars().take(2).collect::<String>()
        ),
        &format!("weighted by {}", hs["weighting"].as_str().unwrap_or("cost")),
    ));
    body.push_str(&card(
        "Actors",
        &opt_num(&fleet["actors"], 0),
        &format!("{} with runs", opt_num(&fleet["actorsWithRuns"], 0)),
    ));
    body.push_str(&card(
        "Runs in the window",
        &opt_num(&fleet["runs"]["total"], 0),
        &format!("success rate {}", opt_pct(&fleet["successRate"]["value"])),
    ));
    body.push_str(&card(
        "Cost in the window",
        &opt_usd(&fleet["costUsd"]),
        &format!(
            "{} projected a month",
            opt_usd(&fleet["projectedMonthlyUsd"])
        ),
    ));
    body.push_str("</div>");

    let components: Vec<Bar> = arr(&hs["components"])
        .iter()
        .map(|c| {
            let score = n(&c["score"]);
            let label = format!(
                "{} ({} %)",
                s(&c["component"]),
                num(n(&c["weight"]).unwrap_or(0.0) * 100.0, 0)
            );
            let class = match score {
                None => "skipped",
                Some(v) if v >= 80.0 => "ok",
                Some(v) if v >= 60.0 => "warn",
                Some(_) => "bad",
            };
            let tip = match score {
                None => "not checked by any tool in this run: skipped, not assumed perfect".into(),
                Some(_) => format!("{} actors scored", opt_num(&c["actors"], 0)),
            };
            Bar::new(label, score).class(class).tip(tip)
        })
        .collect();
    body.push_str(&chart::hbars(
        "The fleet's component scores (weight in brackets)",
        Unit::Score,
        Some(100.0),
        &components,
    ));

    let grades: Vec<Bar> = ["A", "B", "C", "D", "F"]
        .iter()
        .map(|g| Bar::new(*g, n(&hs["grades"][*g])).class(g).tip("actors"))
        .collect();
    body.push_str(&chart::columns(
        "Actors by grade",
        Unit::Count,
        None,
        &grades,
    ));

    let detractors: Vec<String> = arr(&hs["detractors"])
        .iter()
        .map(|d| {
            tr(&[
                td(actor_link(d)),
                td_n(opt_num(&d["score"], 1)),
                td(badge(s(&d["grade"]), s(&d["grade"]))),
                td_n(opt_num(&d["pointsLost"], 2)),
                td(format!(
                    "{} (−{})",
                    esc(s(&d["biggestLoss"])),
                    opt_num(&d["biggestLossPoints"], 1)
                )),
                td(n(&d["cappedAt"])
                    .map_or_else(String::new, |c| format!("capped at {}", num(c, 0)))),
            ])
        })
        .collect();
    if !detractors.is_empty() {
        body.push_str("<h3>Top detractors</h3>");
        body.push_str(&note(
            "Fleet points lost to each actor (its shortfall from 100 times its share of the weighting).",
        ));
        body.push_str(&table(
            &[
                "Actor",
                "Score",
                "Grade",
                "Fleet points lost",
                "Biggest loss",
                "Cap",
            ],
            &detractors,
        ));
    }
    for w in arr(&hs["warnings"]) {
        body.push_str(&note(s(w)));
    }
    section("health", "Fleet Health Score", &body)
}

fn week_over_week(w: &Value) -> String {
    if !w.is_object() {
        return String::new();
    }
    let signed = |v: &Value, f: &dyn Fn(f64) -> String| match n(v) {
        Some(x) if x > 0.0 => format!("+{}", f(x)),
        Some(x) => f(x),
        None => "–".into(),
    };
    let rows = vec![
        tr(&[
            td("Health score"),
            td_n(esc(&signed(&w["healthScore"], &|x| num(x, 2)))),
        ]),
        tr(&[td("Runs"), td_n(esc(&signed(&w["runs"], &|x| num(x, 0))))]),
        tr(&[
            td("Success rate"),
            td_n(esc(&signed(&w["successRate"], &|x| {
                format!("{} points", num(x * 100.0, 1))
            }))),
        ]),
        tr(&[
            td("Cost"),
            td_n(esc(&signed(&w["costUsd"], &crate::html::usd))),
        ]),
        tr(&[
            td("Signals new / resolved / worsened"),
            td_n(format!(
                "{} / {} / {}",
                arr(&w["newSignals"]).len(),
                arr(&w["resolvedSignals"]).len(),
                arr(&w["worsenedSignals"]).len()
            )),
        ]),
    ];
    section(
        "week-over-week",
        "Since the previous run",
        &format!(
            "{}{}",
            note(&format!(
                "Against the run as of {}.",
                crate::html::time(s(&w["previousAsOf"]))
            )),
            table(&["", "change"], &rows)
        ),
    )
}

fn actor_link(v: &Value) -> String {
    let url = v["consoleUrl"]
        .as_str()
        .map(str::to_string)
        .or_else(|| actor_console_url(s(&v["actorId"])));
    link(url.as_deref(), s(&v["actorName"]))
}

fn action_plan(plan: &Value, specialist_runs: &[Value]) -> String {
    let changes = &plan["changes"];
    let keys = |k: &str| -> Vec<&str> { arr(&changes[k]).iter().map(s).collect() };
    let (new, worsened, resolved) = (keys("new"), keys("worsened"), keys("resolved"));
    let mut body = String::new();
    let items = arr(&plan["items"]);
    body.push_str(&note(&format!(
        "{} items, one per actor and cause, most urgent first; {} new, {} worsened, {} resolved since the last run.",
        items.len(),
        new.len(),
        worsened.len(),
        resolved.len()
    )));
    if !items.is_empty() {
        body.push_str("<ol class=\"plan\">");
        for item in items {
            body.push_str(&plan_item(item, &new, &worsened));
        }
        body.push_str("</ol>");
    }
    let degraded: Vec<String> = arr(&plan["degraded"])
        .iter()
        .map(|d| {
            tr_class(
                "sev-high",
                &[
                    td(esc(s(&d["tool"]))),
                    td(esc(s(&d["reason"]))),
                    td(link(d["consoleUrl"].as_str(), "Console")),
                ],
            )
        })
        .collect();
    if !degraded.is_empty() {
        body.push_str("<h3>Degraded specialists</h3>");
        body.push_str(&note(
            "Their signals are missing or incomplete: the plan may lack items they would have raised.",
        ));
        body.push_str(&table(&["Tool", "Why", "Run"], &degraded));
    }
    if !resolved.is_empty() {
        body.push_str("<h3>Resolved since the last run</h3><ul>");
        for k in &resolved {
            body.push_str(&format!("<li><code>{}</code></li>", esc(k)));
        }
        body.push_str("</ul>");
    }
    let acked = arr(&plan["acknowledged"]);
    if !acked.is_empty() {
        body.push_str(&format!(
            "<details><summary>{} acknowledged items (kept apart)</summary><ol class=\"plan\">",
            acked.len()
        ));
        for item in acked {
            body.push_str(&plan_item(item, &[], &[]));
        }
        body.push_str("</ol></details>");
    }
    let runs: Vec<String> = specialist_runs
        .iter()
        .map(|r| {
            let status = s(&r["status"]);
            tr(&[
                td(esc(s(&r["call"]))),
                td(esc(s(&r["mode"]))),
                td_n(opt_num(&r["actors"], 0)),
                td(badge(status, status)),
                td(esc(s(&r["error"]))),
                td(link(r["consoleUrl"].as_str(), "Console")),
            ])
        })
        .collect();
    if !runs.is_empty() {
        body.push_str("<h3>Specialist runs</h3>");
        body.push_str(&table(
            &["Call", "Mode", "Actors", "Status", "Error", "Runs"],
            &runs,
        ));
    }
    section("action-plan", "Action Plan", &body)
}

fn plan_item(item: &Value, new: &[&str], worsened: &[&str]) -> String {
    let key = s(&item["key"]);
    let sev = s(&item["severity"]);
    let mut flags = String::new();
    if new.contains(&key) {
        flags.push_str(&badge("new", "new"));
    }
    if worsened.contains(&key) {
        flags.push_str(&badge("worsened", "worsened"));
    }
    let tools: Vec<&str> = arr(&item["tools"]).iter().map(s).collect();
    let impact = impact_text(&item["impact"]);
    let evidence: String = arr(&item["titles"])
        .iter()
        .map(|t| format!("<li>{}</li>", esc(s(t))))
        .collect();
    format!(
        "<li><div>{} <strong>{}</strong> · {} {}<span class=\"muted small\"> · {}</span></div>{}{}<p class=\"fix\"><strong>Fix:</strong> {}</p></li>",
        badge(sev, sev),
        actor_link(item),
        esc(s(&item["cause"])),
        flags,
        esc(&tools.join(", ")),
        if impact.is_empty() {
            String::new()
        } else {
            format!("<div><strong>Figures:</strong> {}</div>", esc(&impact))
        },
        if evidence.is_empty() {
            String::new()
        } else {
            format!("<div><strong>Evidence:</strong><ul>{evidence}</ul></div>")
        },
        esc(s(&item["topFix"]))
    )
}

fn actors(list: &[Value]) -> String {
    let mut sorted: Vec<&Value> = list.iter().collect();
    // Worst first: the table answers "which actors pull the fleet down".
    sorted.sort_by(|a, b| {
        let key = |v: &Value| n(&v["healthScore"]).unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b))
    });
    let rows: Vec<String> = sorted
        .iter()
        .map(|a| {
            let grade = s(&a["health"]["grade"]);
            let rate = &a["successRate"];
            let runs = &a["runs"];
            tr(&[
                td(actor_link(a)),
                td_n(opt_num(&a["healthScore"], 1)),
                td(if grade.is_empty() {
                    String::new()
                } else {
                    badge(grade, grade)
                }),
                td_n(opt_num(&runs["total"], 0)),
                td_n(format!(
                    "{}<div class=\"muted small\">{} failed, {} timed out</div>",
                    opt_pct(&rate["value"]),
                    opt_num(&runs["byStatus"]["failed"], 0),
                    opt_num(&runs["byStatus"]["timedOut"], 0)
                )),
                td_n(opt_usd(&a["costUsd"])),
                td_n(opt_usd(&a["projectedMonthlyUsd"])),
            ])
        })
        .collect();
    let body = if rows.is_empty() {
        note("No actors.")
    } else {
        table(
            &[
                "Actor",
                "Health",
                "Grade",
                "Runs",
                "Success rate",
                "Cost (window)",
                "Projected / month",
            ],
            &rows,
        )
    };
    section("actors", &format!("Actors ({})", list.len()), &body)
}
