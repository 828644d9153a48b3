//! compliance-scanner: findings by actor. Evidence is shown only as OUTPUT carries it, masked
//! (`evidence.masked`: a prefix and the last two characters); nothing else of a finding's
//! evidence is rendered, so a report cannot show more of a secret than OUTPUT does.

use crate::chart::{self, Bar, Unit};
use crate::html::{
    actor_console_url, arr, badge, card, esc, link, n, note, opt_num, s, section, table, td, td_n,
    tr, tr_class,
};
use serde_json::Value;

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

fn rank(sev: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|x| *x == sev)
        .unwrap_or(SEVERITIES.len())
}

pub fn render(o: &Value) -> String {
    let mut out = String::new();
    out.push_str(&totals(&o["totals"]));
    out.push_str(&by_actor(arr(&o["actors"])));
    out
}

fn totals(t: &Value) -> String {
    let mut body = String::from("<div class=\"cards\">");
    body.push_str(&card(
        "Actors scanned",
        &opt_num(&t["actors"], 0),
        &format!("{} public", opt_num(&t["publicActors"], 0)),
    ));
    body.push_str(&card(
        "Actors with findings above info",
        &opt_num(&t["actorsWithFindings"], 0),
        &format!("{} findings in all", opt_num(&t["findings"], 0)),
    ));
    body.push_str(&card(
        "Actors with a leaked secret",
        &opt_num(&t["actorsWithLeakedSecrets"], 0),
        "rotate first: removing it does not un-leak it",
    ));
    body.push_str("</div>");
    let bars: Vec<Bar> = SEVERITIES
        .iter()
        .map(|sev| {
            let class = match *sev {
                "critical" | "high" => "bad",
                "medium" => "warn",
                "low" => "c",
                _ => "skipped",
            };
            Bar::new(*sev, n(&t["bySeverity"][*sev]))
                .class(class)
                .tip("findings")
        })
        .collect();
    body.push_str(&chart::columns(
        "Findings by severity",
        Unit::Count,
        None,
        &bars,
    ));
    let mut rules: Vec<(&String, f64)> = t["byRule"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| n(v).map(|c| (k, c)))
        .collect();
    rules.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let rows: Vec<String> = rules
        .iter()
        .map(|(k, c)| {
            tr(&[
                td(format!("<code>{}</code>", esc(k))),
                td_n(crate::html::num(*c, 0)),
            ])
        })
        .collect();
    if !rows.is_empty() {
        body.push_str(&format!(
            "<details><summary>Findings by rule</summary>{}</details>",
            table(&["Rule", "Findings"], &rows)
        ));
    }
    section("totals", "Overview", &body)
}

fn findings_table(findings: &[&Value]) -> String {
    let rows: Vec<String> = findings
        .iter()
        .map(|f| {
            let sev = s(&f["severity"]);
            // Only the masked form, never any other evidence field.
            let masked = f["evidence"]["masked"].as_str().unwrap_or("");
            tr_class(
                &format!("sev-{sev}"),
                &[
                    td(badge(sev, sev)),
                    td(format!("<code>{}</code>", esc(s(&f["rule"])))),
                    td(format!(
                        "<code class=\"wrap\">{}</code>",
                        esc(s(&f["location"]))
                    )),
                    td(esc(s(&f["message"]))),
                    td(if masked.is_empty() {
                        String::new()
                    } else {
                        format!("<code>{}</code>", esc(masked))
                    }),
                ],
            )
        })
        .collect();
    table(
        &["Severity", "Rule", "Where", "Finding", "Evidence (masked)"],
        &rows,
    )
}

fn by_actor(actors: &[Value]) -> String {
    let mut ranked: Vec<(usize, &Value)> = actors
        .iter()
        .map(|a| {
            let worst = arr(&a["findings"])
                .iter()
                .map(|f| rank(s(&f["severity"])))
                .min()
                .unwrap_or(usize::MAX);
            (worst, a)
        })
        .filter(|(w, _)| *w != usize::MAX)
        .collect();
    ranked.sort_by_key(|(w, _)| *w);
    let mut body = String::new();
    let clean = actors.len() - ranked.len();
    if ranked.is_empty() {
        body.push_str(&note("No findings."));
    }
    let info_rank = rank("info");
    for (worst, a) in &ranked {
        let mut findings: Vec<&Value> = arr(&a["findings"]).iter().collect();
        findings.sort_by_key(|f| rank(s(&f["severity"])));
        let (serious, info): (Vec<&Value>, Vec<&Value>) = findings
            .into_iter()
            .partition(|f| rank(s(&f["severity"])) < info_rank);
        let name = s(&a["actorName"]);
        let public = if a["isPublic"].as_bool() == Some(true) {
            badge("low", "public")
        } else {
            String::new()
        };
        let omitted = n(&a["findingsOmitted"])
            .filter(|x| *x > 0.0)
            .map(|x| {
                note(&format!(
                    "{} more findings omitted from OUTPUT.",
                    crate::html::num(x, 0)
                ))
            })
            .unwrap_or_default();
        let url = a["consoleUrl"]
            .as_str()
            .map(str::to_string)
            .or_else(|| actor_console_url(s(&a["actorId"])));
        if *worst < info_rank {
            body.push_str(&format!(
                "<h3>{} {public}</h3>{}",
                link(url.as_deref(), name),
                findings_table(&serious)
            ));
            if !info.is_empty() {
                body.push_str(&format!(
                    "<details><summary>{} informational</summary>{}</details>",
                    info.len(),
                    findings_table(&info)
                ));
            }
            body.push_str(&omitted);
        } else {
            body.push_str(&format!(
                "<details><summary>{} · {} informational</summary>{}{omitted}</details>",
                esc(name),
                info.len(),
                findings_table(&info)
            ));
        }
    }
    if clean > 0 {
        body.push_str(&note(&format!("{clean} actors without findings.")));
    }
    section("findings", "Findings by actor", &body)
}
