//! The rule table in the docs is generated from the catalog; this keeps it current.

use forge_core::analyses::fleet::{RULES, TOOL};
use forge_core::signal::rule_table_markdown;

#[test]
fn the_rule_table_in_the_docs_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/rules/fleet-analytics.md");
    let expected = rule_table_markdown(TOOL, RULES);
    if std::env::var_os("APIFYFORGE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "docs/rules/fleet-analytics.md is stale: run APIFYFORGE_UPDATE_DOCS=1 cargo test"
    );
    assert_eq!(expected.matches("| `FA-").count(), RULES.len());
}
