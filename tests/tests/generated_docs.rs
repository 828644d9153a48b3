//! The rule tables in `docs/rules/` are generated from the rule catalogs in code; this test
//! keeps them current (`APIFYFORGE_UPDATE_DOCS=1 cargo test -p forge-tests --test generated_docs`
//! rewrites them).

use forge_core::analyses::{
    ab, compliance, cost, fleet, probe, quality, release_gate, schema_validator,
};
use forge_core::signal::rule_table_markdown;

fn check(file: &str, expected: String) {
    let path = forge_tests::workspace_root().join("docs/rules").join(file);
    if std::env::var_os("APIFYFORGE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(actual, expected, "docs/rules/{file} is stale: run APIFYFORGE_UPDATE_DOCS=1 cargo test -p forge-tests --test generated_docs");
}

#[test]
fn rule_tables_in_the_docs_are_current() {
    check(
        "fleet-analytics.md",
        rule_table_markdown(fleet::TOOL, fleet::RULES),
    );
    check(
        "schema-validator.md",
        rule_table_markdown(schema_validator::TOOL, schema_validator::RULES),
    );
    check(
        "release-gate.md",
        rule_table_markdown(release_gate::TOOL, release_gate::RULES),
    );
    check(
        "cost-watchdog.md",
        rule_table_markdown(cost::TOOL, cost::RULES),
    );
    let quality_rules: Vec<(&str, &str, &str)> = quality::RULES
        .iter()
        .chain(probe::PROBE_RULES)
        .copied()
        .collect();
    check(
        "quality-monitor.md",
        rule_table_markdown(quality::TOOL, &quality_rules),
    );
    check("ab-tester.md", rule_table_markdown(ab::TOOL, ab::RULES));
    check(
        "compliance-scanner.md",
        rule_table_markdown(compliance::TOOL, compliance::RULES),
    );
    let engine = format!(
        "# The schema engine: rules\n\n<!-- Generated from forge_core::schema::RULES by `APIFYFORGE_UPDATE_DOCS=1 cargo test`. Do not edit. -->\n\n\
         Levels depend on the direction: an input schema is written by callers (narrowing breaks them), a dataset or \
         output schema is read by them (widening breaks them). schema-validator and release-gate report these findings; \
         `ruleLevels` overrides a level, `ignores` silences a finding until a date.\n\n{}",
        forge_core::schema::rule_table_markdown()
    );
    check("schema.md", engine);
    let catalog_size = forge_core::schema::RULES.len();
    assert!(
        catalog_size >= 40,
        "the engine covers the method table: {catalog_size} rules"
    );
}

/// `docs/reliability.md` is the output of `apifyforge reliability` (too long to rerun here; the
/// fast subset of every area runs in `reliability_*.rs`): it must be the full scale, cover
/// every area, and report no broken promise.
#[test]
fn the_reliability_document_is_a_full_run_with_no_broken_promise() {
    let path = forge_tests::workspace_root().join("docs/reliability.md");
    let md = std::fs::read_to_string(&path).expect("docs/reliability.md exists");
    assert!(md.contains("scale: full"), "not a full run: regenerate it");
    assert!(
        md.contains("every promise held (0 failures)"),
        "docs/reliability.md reports broken promises"
    );
    for title in ["Faults", "Migration", "Bad input", "Security", "Load"] {
        assert!(
            md.lines()
                .any(|l| l.starts_with("## ") && l[3..].starts_with(title)),
            "no section {title} in docs/reliability.md"
        );
    }
}
