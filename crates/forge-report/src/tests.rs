//! Tiny OUTPUT fixtures per tool, the properties every page keeps (self-contained, escaped,
//! balanced, no NaN), and what each tool's page must show.

use super::render;
use serde_json::{json, Value};

const EVIL: &str = "<script>alert('x')</script>";

fn signal(tool: &str, severity: &str, title: &str) -> Value {
    json!({
        "id": "0123456789abcdef", "tool": tool, "rule": "XX-RULE", "severity": severity,
        "subject": {"actorId": "abc", "actorName": EVIL},
        "title": title, "evidence": {"metric": "m"},
        "impact": {"usdPerMonth": 12.5, "failedRunsPerWeek": 3.26},
        "recommendation": "Fix <b>it</b>",
        "consoleUrl": "https://console.apify.com/actors/abc",
        "firstSeenAt": "2026-11-23T00:00:00Z", "acknowledged": false
    })
}

fn head(tool: &str, decision: &str) -> Value {
    json!({
        "schemaVersion": 1, "tool": tool, "generatedAt": "2026-11-23T10:00:00.000Z",
        "decision": decision, "reasonCodes": ["XX-RULE"],
        "summary": format!("summary of {tool} & co"),
        "signals": [signal(tool, "high", &format!("{EVIL} is failing"))],
        "acknowledged": [],
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn fleet() -> Value {
    let actor = |id: &str, name: &str, score: f64, grade: &str| {
        json!({
            "actorId": id, "actorName": name, "consoleUrl": format!("https://console.apify.com/actors/{id}"),
            "runs": {"total": 10, "byStatus": {"succeeded": 8, "failed": 1, "timedOut": 1, "aborted": 0, "running": 0}},
            "successRate": {"value": 0.8, "ci95": [0.5, 0.95], "n": 10},
            "costUsd": 3.5, "projectedMonthlyUsd": 3.6, "healthScore": score,
            "health": {"grade": grade, "score": score}
        })
    };
    let item = |key: &str, name: &str, sev: &str| {
        json!({
            "key": key, "actorId": key.split('/').next().unwrap(), "actorName": name,
            "cause": "failures", "severity": sev, "score": 10.0,
            "impact": {"usdPerMonth": 4.82, "failedRunsPerWeek": 21.93, "callersAffected": 3},
            "topFix": "Roll back the build.", "signals": ["s1"], "tools": ["fleet-analytics", "cost-watchdog"],
            "titles": [format!("{name}: none of its 94 runs succeeded")]
        })
    };
    with(
        head("fleet-analytics", "act_now"),
        json!({
            "window": {"asOf": "2026-11-23T00:00:00Z", "days": 30},
            "fleet": {
                "actors": 2, "actorsWithRuns": 2,
                "runs": {"total": 20}, "successRate": {"value": 0.8},
                "costUsd": 7.0, "projectedMonthlyUsd": 7.2,
                "healthScore": {
                    "score": 71.5, "grade": "C", "weighting": "costUsd",
                    "grades": {"A": 0, "B": 1, "C": 0, "D": 0, "F": 1},
                    "components": [
                        {"component": "reliability", "weight": 0.35, "score": 59.36, "actors": 2},
                        {"component": "quality", "weight": 0.15, "score": null, "actors": 0}
                    ],
                    "detractors": [{"actorId": "bad1", "actorName": EVIL, "score": 33.3, "grade": "F",
                        "pointsLost": 5.02, "biggestLoss": "reliability", "biggestLossPoints": 46.67, "cappedAt": 40}],
                    "warnings": []
                }
            },
            "weekOverWeek": {"previousAsOf": "2026-11-16T00:00:00Z", "healthScore": -1.5, "runs": 3,
                "successRate": -0.02, "costUsd": 1.25, "newSignals": ["a"], "resolvedSignals": [], "worsenedSignals": []},
            "actors": [actor("good1", "dev/good", 91.0, "B"), actor("bad1", EVIL, 33.3, "F")],
            "actionPlan": {
                "items": [item("bad1/failures", "dev/first", "critical"), item("good1/cost", "dev/second", "medium")],
                "acknowledged": [],
                "degraded": [{"tool": "quality-monitor", "reason": "the run FAILED",
                    "consoleUrl": "https://console.apify.com/actors/apifyforge~quality-monitor/runs/r1"}],
                "changes": {"new": ["bad1/failures"], "resolved": ["gone1/cost"], "worsened": ["good1/cost"]}
            },
            "specialistRuns": [{"call": "cost-watchdog", "tool": "cost-watchdog", "mode": "sync", "actors": 2,
                "status": "SUCCEEDED", "consoleUrl": "https://console.apify.com/actors/apifyforge~cost-watchdog/runs", "error": null}]
        }),
    )
}

fn cost() -> Value {
    with(
        head("cost-watchdog", "monitor"),
        json!({
            "window": {"asOf": "2026-11-23T00:00:00Z"},
            "fleet": {
                "costUsd": 30.0, "previousCostUsd": 20.0, "costPerRunUsd": 0.15, "costPerSuccessfulRunUsd": 0.17,
                "wasted": {"totalUsd": 1.5, "share": 0.05, "usdPerMonth": 1.6},
                "seriesStart": "2026-11-20T00:00:00Z", "dailyCostUsd": [10.0, 12.5, 7.5],
                "month": {"month": "2026-11", "daysInMonth": 30, "elapsedDays": 22.0, "monthToDateUsd": 25.0,
                    "projection": {"monthEndUsd": 40.0, "lowUsd": 35.0, "highUsd": 45.0, "level": 0.9}},
                "budget": {"monthlyBudgetUsd": 42.0, "status": "atRisk", "usedShare": 0.6, "projectedShare": 0.95,
                    "crossedOn": null, "projectedCrossingOn": null, "earliestCrossingOn": "2026-11-29"}
            },
            "actors": [
                {"actorId": "cheap1", "actorName": "dev/cheap", "costUsd": 1.0, "dailyCostUsd": [0.5, 0.5, 0.0],
                 "month": {"projection": {"monthEndUsd": 1.2}}, "wasted": {"totalUsd": 0.0},
                 "memory": {"status": "rightSized", "currentMbytes": 1024, "recommendedMbytes": 1024},
                 "anomaly": {"flagged": false}},
                {"actorId": "dear1", "actorName": EVIL, "costUsd": 29.0, "dailyCostUsd": [9.5, 12.0, 7.5],
                 "month": {"projection": {"monthEndUsd": 38.0}}, "wasted": {"totalUsd": 1.5},
                 "memory": {"status": "downsize", "currentMbytes": 4096, "recommendedMbytes": 1024},
                 "anomaly": {"flagged": true}}
            ]
        }),
    )
}

fn quality() -> Value {
    with(
        head("quality-monitor", "act_now"),
        json!({
            "window": {"asOf": "2026-11-23T00:00:00Z"},
            "families": [{"metric": "failureRate", "tested": 2, "notEnoughRuns": 0, "significant": 1, "flagged": 1, "fdrQ": 0.05}],
            "fleetWeeks": [
                {"weekStart": "2026-11-09T00:00:00Z", "runs": 100, "decided": 98, "failed": 4, "failureRate": 0.0408},
                {"weekStart": "2026-11-16T00:00:00Z", "runs": 120, "decided": 110, "failed": 22, "failureRate": 0.2}
            ],
            "digest": [{"actorId": "q1", "actorName": EVIL, "cause": "build 0.1.2", "severity": "high",
                "metrics": ["failureRate"], "signals": ["s"], "alerting": true}],
            "actors": [{"actorId": "q1", "actorName": EVIL,
                "failureRate": {"metric": "failureRate", "flagged": true, "currentLabel": "build 0.1.2",
                    "baselineLabel": "build 0.1.1", "baseline": 0.03, "current": 0.33, "effect": 0.3,
                    "effectLow": 0.2, "effectHigh": 0.4, "qValue": 0.0001,
                    "cause": {"kind": "build", "buildNumber": "0.1.2"}},
                "duration": {"flagged": false}}],
            "probes": []
        }),
    )
}

fn finding(level: &str, path: &str, before: Value, after: Value) -> Value {
    json!({"rule": "SCH-PROPERTY-REMOVED-CLOSED", "level": level, "pointer": format!("/properties/{path}"),
        "path": path, "before": before, "after": after, "message": format!("{path}: changed")})
}

fn validator() -> Value {
    with(
        head("schema-validator", "act_now"),
        json!({
            "actors": [
                {"actorId": "s1", "actorName": EVIL, "builds": [{
                    "buildNumber": "0.1.4", "lint": [],
                    "drift": {"fromBuild": "0.1.3",
                        "input": [finding("err", "proxyConfiguration", json!({"type": "object", "title": "Proxy <b>"}), Value::Null)],
                        "dataset": [finding("info", "price", Value::Null, json!({"type": "number"}))],
                        "output": []}}]},
                {"actorId": "s2", "actorName": "dev/clean", "builds": [{"buildNumber": "0.1.1", "lint": [], "drift": null}]}
            ]
        }),
    )
}

fn gate() -> Value {
    let f = finding(
        "err",
        "startUrls",
        json!({"prefill": [{"url": "https://example.com"}]}),
        Value::Null,
    );
    with(
        head("release-gate", "act_now"),
        json!({
            "verdict": "BLOCK", "actorId": "g1", "actorName": EVIL,
            "candidate": {"id": "b2", "buildNumber": "0.1.4", "status": "SUCCEEDED"},
            "baseline": {"id": "b1", "buildNumber": "0.1.3", "status": "SUCCEEDED"},
            "baselineReason": "the build tagged latest",
            "deciding": [f.clone()],
            "findings": [f, finding("info", "maxItems", json!({"default": 10}), json!({"default": 20}))],
            "replay": [{"label": "empty input", "accepted": false, "acceptedByBaseline": true,
                "errors": ["startUrls: required"]}]
        }),
    )
}

fn ab() -> Value {
    let metric = |m: &str, verdict: &str, e: f64| {
        json!({"metric": m, "primary": m == "successRate", "higherIsBetter": m != "duration",
            "nA": 100, "nB": 100, "valueA": 0.98, "valueB": 0.87, "effect": e, "effectLow": e - 0.05,
            "effectHigh": e + 0.05, "qValue": 0.001, "test": "fisher-exact", "verdict": verdict,
            "explanation": format!("{verdict}: B − A")})
    };
    with(
        head("ab-tester", "act_now"),
        json!({
            "mode": "experiment", "asOf": "2026-11-23T00:00:00Z",
            "a": {"label": "A", "description": "dev/x, build 0.1.5", "runs": 100, "decided": 100, "succeeded": 98,
                "successRate": 0.98, "medianDurationSecs": 824.4, "medianCostUsd": 0.09, "meanItems": 28.7},
            "b": {"label": "B", "description": EVIL, "runs": 100, "decided": 100, "succeeded": 87,
                "successRate": 0.87, "medianDurationSecs": 1072.8, "medianCostUsd": 0.12, "meanItems": 28.1},
            "budget": {"maxRuns": 400, "maxUsd": 40.0, "runsStarted": 200, "usdSpent": 21.5,
                "worstCaseUsdPerRun": 0.4, "stoppedBecause": "enough runs"},
            "sampleRatio": {"expectedA": 100.0, "expectedB": 100.0, "pValue": 1.0, "mismatch": false},
            "verdict": "A better",
            "metrics": [metric("successRate", "A better", -0.11), metric("duration", "not enough data", 0.02)]
        }),
    )
}

const SECRET_TAIL: &str = "Zq8rT3vXw9";

fn compliance() -> Value {
    with(
        head("compliance-scanner", "act_now"),
        json!({
            "asOf": "2026-11-23T00:00:00Z",
            "totals": {"actors": 2, "publicActors": 1, "actorsWithFindings": 1, "findings": 2,
                "bySeverity": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 1},
                "byRule": {"CS-SECRET-LEAKED": 1, "CS-STORE-SEO-MISSING": 1}, "actorsWithLeakedSecrets": 1},
            "actors": [
                {"actorId": "c1", "actorName": EVIL, "isPublic": true, "findingsOmitted": 0,
                 "findings": [
                    {"rule": "CS-SECRET-LEAKED", "severity": "high", "location": "README:10",
                     "message": "openai-api-key in the README: sk-proj-…4l (56 chars)",
                     // A field no renderer may show: only `masked` is shown.
                     "evidence": {"kind": "openai-api-key", "masked": "sk-proj-…4l (56 chars)", "raw": SECRET_TAIL}},
                    {"rule": "CS-STORE-SEO-MISSING", "severity": "info", "location": "listing",
                     "message": "no SEO title", "evidence": {}}
                 ]},
                {"actorId": "c2", "actorName": "dev/clean", "isPublic": false, "findings": []}
            ]
        }),
    )
}

fn fixtures() -> Vec<(&'static str, Value)> {
    vec![
        ("fleet-analytics", fleet()),
        ("cost-watchdog", cost()),
        ("quality-monitor", quality()),
        ("schema-validator", validator()),
        ("release-gate", gate()),
        ("ab-tester", ab()),
        ("compliance-scanner", compliance()),
        ("some-new-tool", head("some-new-tool", "ignore")),
    ]
}

/// Every `http://` or `https://` in the page, with what precedes it.
fn absolute_urls(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for scheme in ["http://", "https://"] {
        for (i, _) in page.match_indices(scheme) {
            let from = page[..i].char_indices().rev().nth(5).map_or(0, |(j, _)| j);
            let to = (i + 40).min(page.len());
            let to = (to..=page.len())
                .find(|j| page.is_char_boundary(*j))
                .unwrap_or(page.len());
            out.push(page[from..to].to_string());
        }
    }
    out
}

/// The properties every report keeps, whatever the tool and data.
pub(crate) fn assert_well_formed(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.trim_end().ends_with("</html>"));
    for url in absolute_urls(page) {
        assert!(
            url.starts_with("href=\"https://console.apify.com/")
                || url.starts_with("href=\"https://docs.apify.com/"),
            "only Console and docs links may name a URL: {url}"
        );
    }
    let lower = page.to_lowercase();
    for bad in [
        "<script", "<img", "<link", "<iframe", "@import", "url(", "src=",
    ] {
        assert!(!lower.contains(bad), "{bad} in the page");
    }
    assert!(!page.contains("NaN"), "NaN in the page");
    for tag in [
        "section", "table", "tr", "td", "svg", "details", "figure", "ol", "ul", "li", "div", "pre",
        "h2", "h3",
    ] {
        let open =
            page.matches(&format!("<{tag}>")).count() + page.matches(&format!("<{tag} ")).count();
        let close = page.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
}

#[test]
fn every_page_is_self_contained_escaped_and_balanced() {
    for (tool, output) in fixtures() {
        let page = render(tool, &output);
        assert_well_formed(&page);
        assert!(!page.contains("<script>alert"), "{tool}: unescaped");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
            "{tool}: the actor name is shown, escaped"
        );
        assert!(page.contains("prefers-color-scheme:dark"));
        assert!(page.contains("@media print"));
        assert!(page.contains("Content-Security-Policy"));
    }
}

#[test]
fn the_header_shows_tool_decision_summary_dates_and_signals() {
    let page = render("cost-watchdog", &cost());
    assert!(page.contains("<strong>cost-watchdog</strong>"));
    assert!(page.contains("class=\"decision d-monitor\">Monitor<"));
    assert!(page.contains("summary of cost-watchdog &amp; co"));
    assert!(page.contains("generated 2026-11-23 10:00 UTC"));
    assert!(page.contains("data as of 2026-11-23 00:00 UTC"));
    assert!(page.contains("Signals (1 open)"));
    assert!(page.find("id=\"signals\"").unwrap() < page.find("id=\"cost-over-time\"").unwrap());
    assert!(page.contains("$12.50/month, 3.3 failed runs/week"));
    assert!(page.contains("Fix &lt;b&gt;it&lt;/b&gt;"));
    assert!(page.contains("<a href=\"https://console.apify.com/actors/abc\">Console</a>"));
    let page = render("fleet-analytics", &fleet());
    assert!(page.contains("d-act_now\">Act now<"));
}

#[test]
fn an_unknown_tool_gets_the_header_and_signals_only() {
    let page = render("some-new-tool", &head("some-new-tool", "ignore"));
    assert!(page.contains("Nothing to do"));
    assert_eq!(page.matches("<section").count(), 1, "signals only");
    assert!(!page.contains("<svg"));
}

#[test]
fn odd_outputs_never_break_a_page() {
    let odd = [
        json!(null),
        json!({}),
        json!([]),
        json!("text"),
        json!({"signals": "not a list", "fleet": [], "actors": {"x": 1}, "metrics": 3, "digest": null,
            "fleetWeeks": [{"failureRate": "high"}, {}], "dailyCostUsd": [null, "x"],
            "verdict": 7, "a": [], "totals": {"bySeverity": {"high": "many"}}}),
    ];
    for (tool, _) in fixtures() {
        for o in &odd {
            let page = render(tool, o);
            assert_well_formed(&page);
            assert!(page.contains("No decision"));
        }
    }
}

#[test]
fn fleet_analytics_shows_the_score_the_plan_and_the_actors() {
    let page = render("fleet-analytics", &fleet());
    assert!(page.contains("71.5 / 100 · C"));
    // Component bars, with a skipped component said so rather than drawn as 0 or 100.
    assert!(page.contains("reliability (35 %): 59.4"));
    assert!(page.contains("quality (15 %): no value; not checked"));
    assert!(page.contains("Actors by grade"));
    assert!(page.contains("capped at 40"));
    // The plan, in order, with evidence, figures, fix and what changed.
    let first = page.find("dev/first").unwrap();
    let second = page.find("dev/second").unwrap();
    assert!(first < second);
    assert!(page.contains("$4.82/month, 21.9 failed runs/week, 3 callers"));
    assert!(page.contains("<strong>Fix:</strong> Roll back the build."));
    assert!(page.contains("k-new\">new<") && page.contains("k-worsened\">worsened<"));
    assert!(page.contains("<code>gone1/cost</code>"));
    assert!(page.contains(
        "<a href=\"https://console.apify.com/actors/apifyforge~quality-monitor/runs/r1\">Console</a>"
    ));
    // The plan leads; the raw signals follow it.
    assert!(page.find("id=\"action-plan\"").unwrap() < page.find("id=\"signals\"").unwrap());
    // Actors worst first.
    let table = &page[page.find("id=\"actors\"").unwrap()..];
    assert!(table.find("&lt;script").unwrap() < table.find("dev/good").unwrap());
    assert!(page.contains("80.0 %"));
}

#[test]
fn cost_watchdog_draws_cost_over_time_with_the_budget() {
    let page = render("cost-watchdog", &cost());
    assert!(page.contains("The fleet&#39;s cost per day ($30.00 over 3 days)"));
    assert!(
        page.contains("<title>11-21: $12.50</title>"),
        "a tooltip per day"
    );
    assert!(page.contains("budget per day"));
    assert!(
        page.contains("<td>11-22</td><td class=\"n\">$7.50</td>"),
        "the fallback table"
    );
    assert!(page.contains("projected by month end: $40.00"));
    assert!(page.contains("monthly budget: $42.00"));
    assert!(page.contains("earliest on 2026-11-29"));
    // Biggest spender first, with its sparkline and the memory advice.
    let spenders = &page[page.find("id=\"spenders\"").unwrap()..];
    assert!(spenders.find("&lt;script").unwrap() < spenders.find("dev/cheap").unwrap());
    assert!(spenders.contains("downsize · 4096 → 1024 MB"));
    assert!(spenders.contains("class=\"spark\""));
}

#[test]
fn quality_monitor_draws_the_failure_rate_by_week() {
    let page = render("quality-monitor", &quality());
    assert!(page.contains("Failure rate by week"));
    assert!(page.contains("<title>week of 11-16: 20.0 %; 22 of 110 decided runs failed or timed out (120 runs)</title>"));
    assert!(page.contains("Regressions digest"));
    assert!(page.contains("3.0 % → 33.0 %"));
    assert!(page.contains("+30.0 pt [+20.0 pt, +40.0 pt]"));
    assert!(page.contains("build 0.1.2"));
    let no_weeks = with(quality(), json!({"fleetWeeks": []}));
    assert!(render("quality-monitor", &no_weeks).contains("no weekly summary"));
}

#[test]
fn schema_findings_are_side_by_side_and_coloured_by_level() {
    let page = render("schema-validator", &validator());
    assert!(page.contains("<th>Before</th><th>After</th>"));
    assert!(page.contains("class=\"lvl-err\""));
    assert!(page.contains("&quot;title&quot;: &quot;Proxy &lt;b&gt;&quot;"));
    assert!(page.contains("<pre>(absent)</pre>"));
    assert!(page.contains("1 with errors"));
    assert!(page.contains("1 without findings"));

    let page = render("release-gate", &gate());
    assert!(page.contains("class=\"verdict v-block\">BLOCK<"));
    assert!(page.contains("build 0.1.3 (SUCCEEDED)"));
    // A URL inside a schema value is text, not a reference.
    assert!(page.contains("https&#58;//example.com"));
    assert!(page.contains("Other changes (1)"));
    assert!(page.contains("k-pass\">accepted<") && page.contains("k-err\">rejected<"));
}

#[test]
fn ab_tester_shows_verdicts_with_intervals() {
    let page = render("ab-tester", &ab());
    assert!(page.contains("verdict v-a_better\">A better<"));
    assert!(page.contains("−11.0 [−16.0, −6.0] pt") || page.contains("-11.0 [-16.0, -6.0] pt"));
    assert!(page.contains("98.0 %") && page.contains("87.0 %"));
    assert!(
        page.contains("class=\"s-a_better\""),
        "the interval plot colours by verdict"
    );
    assert!(page.contains("class=\"s-neutral\""));
    assert!(page.contains("$21.50 of $40.00"));
}

#[test]
fn compliance_shows_findings_by_actor_and_only_masked_evidence() {
    let page = render("compliance-scanner", &compliance());
    assert!(page.contains("<code>sk-proj-…4l (56 chars)</code>"));
    assert!(
        !page.contains(SECRET_TAIL),
        "no evidence field but `masked` is rendered"
    );
    assert!(page.contains("k-low\">public<"));
    assert!(page.contains("1 informational"));
    assert!(page.contains("1 actors without findings"));
}
