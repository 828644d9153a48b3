//! schema-validator and release-gate: schema findings side by side, before and after, per
//! field path, coloured by level.

use crate::html::{
    actor_console_url, arr, badge, class_of, esc, json_text, link, note, s, section, table, td, tr,
};
use serde_json::Value;

/// Before/after text beyond this is cut: a whole object definition reads badly in a cell.
const MAX_CELL_CHARS: usize = 1_500;

fn level_rank(level: &str) -> u8 {
    match level {
        "err" => 3,
        "warn" => 2,
        "info" => 1,
        _ => 0,
    }
}

fn cell_text(v: &Value) -> String {
    let t = json_text(v);
    if t.chars().count() > MAX_CELL_CHARS {
        let mut cut: String = t.chars().take(MAX_CELL_CHARS).collect();
        cut.push_str("\n…");
        cut
    } else {
        t
    }
}

/// One row per finding: the path, rule and why on the left, then before and after.
pub fn diff_table(findings: &[Value]) -> String {
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(level_rank(s(&f["level"]))));
    let rows: String = sorted
        .iter()
        .map(|f| {
            let level = s(&f["level"]);
            let path = match s(&f["path"]) {
                "" => s(&f["pointer"]),
                p => p,
            };
            format!(
                "<tr class=\"lvl-{}\"><td>{} <code>{}</code><div class=\"small\"><code>{}</code></div><div class=\"small muted\">{}</div></td><td class=\"before\"><pre>{}</pre></td><td class=\"after\"><pre>{}</pre></td></tr>",
                class_of(level),
                badge(level, level),
                esc(path),
                esc(s(&f["rule"])),
                esc(s(&f["message"])),
                esc(&cell_text(&f["before"])),
                esc(&cell_text(&f["after"]))
            )
        })
        .collect();
    format!(
        "<div class=\"scroll diff\"><table><thead><tr><th>Field</th><th>Before</th><th>After</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )
}

fn actor_heading(a: &Value) -> String {
    link(
        actor_console_url(s(&a["actorId"])).as_deref(),
        s(&a["actorName"]),
    )
}

/// Lint findings judge one schema, so there is no before and after: one row each.
pub fn lint_table(findings: &[Value]) -> String {
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(level_rank(s(&f["level"]))));
    let rows: Vec<String> = sorted
        .iter()
        .map(|f| {
            let level = s(&f["level"]);
            crate::html::tr_class(
                &format!("lvl-{level}"),
                &[
                    td(badge(level, level)),
                    td(format!("<code>{}</code>", esc(s(&f["path"])))),
                    td(format!("<code>{}</code>", esc(s(&f["rule"])))),
                    td(esc(s(&f["message"]))),
                ],
            )
        })
        .collect();
    table(&["Level", "Field", "Rule", "Problem"], &rows)
}

/// Every finding of a build: its drift per schema (`true`: before and after), then its lint.
fn build_findings(b: &Value) -> Vec<(&'static str, bool, &[Value])> {
    let drift = &b["drift"];
    vec![
        ("input schema", true, arr(&drift["input"])),
        ("dataset schema", true, arr(&drift["dataset"])),
        ("output schema", true, arr(&drift["output"])),
        ("input schema lint", false, arr(&b["lint"])),
    ]
}

fn worst_level(a: &Value) -> u8 {
    arr(&a["builds"])
        .iter()
        .flat_map(|b| build_findings(b).into_iter().flat_map(|(_, _, f)| f.iter()))
        .map(|f| level_rank(s(&f["level"])))
        .max()
        .unwrap_or(0)
}

fn actor_section(a: &Value) -> String {
    let mut out = String::new();
    for b in arr(&a["builds"]) {
        let parts: Vec<(&str, bool, &[Value])> = build_findings(b)
            .into_iter()
            .filter(|(_, _, f)| !f.is_empty())
            .collect();
        if parts.is_empty() {
            continue;
        }
        let from = b["drift"]["fromBuild"]
            .as_str()
            .map(|f| format!(" against {}", esc(f)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<h4>build {}{from}</h4>",
            esc(s(&b["buildNumber"]))
        ));
        for (what, diff, findings) in parts {
            out.push_str(&format!(
                "<div class=\"small muted\">{}</div>{}",
                esc(what),
                if diff {
                    diff_table(findings)
                } else {
                    lint_table(findings)
                }
            ));
        }
    }
    out
}

pub fn render_validator(o: &Value) -> String {
    let actors = arr(&o["actors"]);
    let mut ranked: Vec<(u8, &Value)> = actors.iter().map(|a| (worst_level(a), a)).collect();
    ranked.sort_by_key(|(l, _)| std::cmp::Reverse(*l));
    let count = |l: u8| ranked.iter().filter(|(x, _)| *x == l).count();
    let mut body = note(&format!(
        "{} actors checked: {} with errors, {} with warnings, {} with informational changes only, {} without findings.",
        actors.len(),
        count(3),
        count(2),
        count(1),
        count(0)
    ));
    for (level, a) in &ranked {
        match level {
            0 => {}
            1 => body.push_str(&format!(
                "<details><summary>{} · informational changes</summary>{}</details>",
                esc(s(&a["actorName"])),
                actor_section(a)
            )),
            _ => body.push_str(&format!(
                "<h3>{}</h3>{}",
                actor_heading(a),
                actor_section(a)
            )),
        }
    }
    section("schemas", "Schema changes by actor", &body)
}

pub fn render_gate(o: &Value) -> String {
    let verdict = s(&o["verdict"]);
    let build = |b: &Value| {
        if b.is_object() {
            format!("build {} ({})", s(&b["buildNumber"]), s(&b["status"]))
        } else {
            "none".into()
        }
    };
    let mut body = format!(
        "<p><span class=\"verdict v-{}\">{}</span> {}</p>",
        class_of(verdict),
        esc(verdict),
        actor_heading(o)
    );
    body.push_str(&table(
        &["", "Build"],
        &[
            tr(&[td("Candidate"), td(esc(&build(&o["candidate"])))]),
            tr(&[
                td("Baseline (what callers use)"),
                td(format!(
                    "{}<div class=\"muted small\">{}</div>",
                    esc(&build(&o["baseline"])),
                    esc(s(&o["baselineReason"]))
                )),
            ]),
        ],
    ));
    let deciding = arr(&o["deciding"]);
    let findings = arr(&o["findings"]);
    body.push_str("<h3>Deciding findings</h3>");
    if deciding.is_empty() {
        body.push_str(&note("Nothing blocks or warns."));
    } else {
        body.push_str(&diff_table(deciding));
    }
    let rest: Vec<Value> = findings
        .iter()
        .filter(|f| !deciding.contains(f))
        .cloned()
        .collect();
    if !rest.is_empty() {
        body.push_str(&format!("<h3>Other changes ({})</h3>", rest.len()));
        body.push_str(&diff_table(&rest));
    }
    let replay: Vec<String> = arr(&o["replay"])
        .iter()
        .map(|r| {
            let yes_no = |v: &Value| match v.as_bool() {
                Some(true) => badge("pass", "accepted"),
                Some(false) => badge("err", "rejected"),
                None => "–".into(),
            };
            let errors: Vec<String> = arr(&r["errors"])
                .iter()
                .map(|e| format!("<li>{}</li>", esc(s(e))))
                .collect();
            tr(&[
                td(esc(s(&r["label"]))),
                td(yes_no(&r["acceptedByBaseline"])),
                td(yes_no(&r["accepted"])),
                td(if errors.is_empty() {
                    String::new()
                } else {
                    format!("<ul>{}</ul>", errors.concat())
                }),
            ])
        })
        .collect();
    if !replay.is_empty() {
        body.push_str("<h3>Inputs replayed</h3>");
        body.push_str(&table(
            &["Input", "Baseline", "Candidate", "Candidate's errors"],
            &replay,
        ));
    }
    section("gate", "Release gate", &body)
}
