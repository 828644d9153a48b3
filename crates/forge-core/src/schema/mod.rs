//! The schema engine shared by schema-validator and release-gate: is a new version of an
//! Actor's input, dataset or output schema a breaking change for the people who call it?
//!
//! The answer depends on the **direction**. An input schema describes values that callers
//! *write*: a change that narrows it (a bound lowered, an enum value removed, a property made
//! required) rejects inputs that used to pass, so it breaks them, while widening it is safe. A
//! dataset or output schema describes values that callers *read*: there widening breaks them
//! (a new enum value, a null where there was none) and narrowing is safe. Both schemas are first
//! [normalised](normalize) (local `$ref`s inlined, types and enums as sets, Apify's `nullable`
//! folded into the type), then walked in parallel by JSON pointer; every change found is
//! classified by a [rule catalog](rules::RULES) with stable IDs (`SCH-...`, and `LINT-...` for
//! the linter), and each rule carries one **level** per direction: `err` (definitely breaks
//! callers), `warn` (may break them, or changes behaviour) or `info` (nothing to act on).
//! Levels can be overridden per rule, and findings can be ignored per rule and path until a
//! date ([`DiffConfig`]); ignored findings are dropped from the result.
//!
//! Apify semantics that validation does not express get their own rules: defaults and prefills
//! that no longer validate, `isSecret` removed, dataset views and view fields removed.
//! [`lint_input_schema`] checks one input schema on its own, against Apify's meta-schema and
//! our lints. Like the rest of `forge-core` this module does no I/O and reads no clock (`now`
//! is in the config), and it never panics on odd data: a malformed schema is a finding.
//!
//! ```
//! use forge_core::schema::{diff_input, DiffConfig, Level};
//! use serde_json::json;
//!
//! let before = json!({"title": "Scraper", "type": "object", "schemaVersion": 1, "properties": {
//!     "maxItems": {"title": "Max items", "type": "integer", "maximum": 1000, "editor": "number"}}});
//! let after = json!({"title": "Scraper", "type": "object", "schemaVersion": 1, "properties": {
//!     "maxItems": {"title": "Max items", "type": "integer", "maximum": 100, "editor": "number"}}});
//! let findings = diff_input(&before, &after, &DiffConfig::new(chrono::DateTime::UNIX_EPOCH));
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].rule, "SCH-MAX-LOWERED");
//! assert_eq!(findings[0].level, Level::Err);
//! assert_eq!(findings[0].path, "maxItems");
//! ```

mod diff;
mod lint;
pub mod normalize;
pub mod rules;
mod validate;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod crosscheck_tests;
#[cfg(test)]
mod prop_tests;

pub use diff::{diff, diff_dataset, diff_input};
pub use lint::lint_input_schema;
pub(crate) use lint::split_words;
pub use rules::{rule, rule_table_markdown, Direction, Level, Rule, RULES};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One change (or one lint) and what it means for callers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The catalog id, e.g. `SCH-PROPERTY-REMOVED`.
    pub rule: &'static str,
    pub level: Level,
    /// JSON pointer into the schema (the new one, or the old one for what was removed), as if
    /// local `$ref`s were inlined.
    pub pointer: String,
    /// The field path a person reads: `startUrls[].url`; `(root)` for the schema itself.
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// One line: what changed and why it breaks (or does not break) callers.
    pub message: String,
}

/// How findings are levelled and filtered.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffConfig {
    /// Per-rule level override, by rule id.
    pub overrides: BTreeMap<String, Level>,
    pub ignores: Vec<Ignore>,
    /// Decides which ignores have expired.
    pub now: DateTime<Utc>,
}

impl DiffConfig {
    /// No overrides, no ignores.
    pub fn new(now: DateTime<Utc>) -> DiffConfig {
        DiffConfig {
            overrides: BTreeMap::new(),
            ignores: Vec::new(),
            now,
        }
    }
}

/// An acknowledged finding: dropped from the result until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ignore {
    pub rule: String,
    /// A field path (`proxy` also covers `proxy.groups` and `proxy[]`); `None` = everywhere.
    #[serde(default)]
    pub path: Option<String>,
    /// From this instant on the ignore no longer applies.
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reason: Option<String>,
}

impl Ignore {
    /// Whether this ignore covers `finding` at `now`.
    pub fn covers(&self, finding: &Finding, now: DateTime<Utc>) -> bool {
        if self.rule != finding.rule {
            return false;
        }
        if self.expires.is_some_and(|expires| expires <= now) {
            return false;
        }
        match &self.path {
            None => true,
            Some(path) => match finding.path.strip_prefix(path.as_str()) {
                Some(rest) => rest.is_empty() || rest.starts_with('.') || rest.starts_with('['),
                None => false,
            },
        }
    }
}

/// Levels from the catalog (or an override), ignores applied, then the stable order:
/// level (worst first), path, rule, pointer, message.
pub(crate) fn finish(
    raw: Vec<diff::Raw>,
    direction: Direction,
    config: &DiffConfig,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = raw
        .into_iter()
        .map(|r| {
            let level = config
                .overrides
                .get(r.rule)
                .copied()
                .or_else(|| rule(r.rule).map(|rule| rule.level(direction)))
                .unwrap_or(Level::Warn);
            Finding {
                rule: r.rule,
                level,
                pointer: r.pointer,
                path: r.path,
                before: r.before,
                after: r.after,
                message: r.message,
            }
        })
        .filter(|f| !config.ignores.iter().any(|i| i.covers(f, config.now)))
        .collect();
    sort_findings(&mut findings);
    findings.dedup_by(|a, b| a.rule == b.rule && a.pointer == b.pointer && a.message == b.message);
    findings
}

pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.pointer.cmp(&b.pointer))
            .then_with(|| a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn finding(rule: &'static str, path: &str) -> Finding {
        Finding {
            rule,
            level: Level::Err,
            pointer: String::new(),
            path: path.into(),
            before: None,
            after: None,
            message: String::new(),
        }
    }

    #[test]
    fn ignore_matches_rule_path_prefix_and_expiry() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let ignore: Ignore = serde_json::from_value(json!({
            "rule": "SCH-PROPERTY-REMOVED", "path": "proxy",
            "expires": "2026-04-01T00:00:00Z", "reason": "moved to proxyConfiguration"
        }))
        .unwrap();
        assert!(ignore.covers(&finding("SCH-PROPERTY-REMOVED", "proxy"), now));
        assert!(ignore.covers(&finding("SCH-PROPERTY-REMOVED", "proxy.groups"), now));
        assert!(ignore.covers(&finding("SCH-PROPERTY-REMOVED", "proxy[]"), now));
        assert!(!ignore.covers(&finding("SCH-PROPERTY-REMOVED", "proxyUrl"), now));
        assert!(!ignore.covers(&finding("SCH-TYPE-CHANGED", "proxy"), now));
        let later = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
        assert!(!ignore.covers(&finding("SCH-PROPERTY-REMOVED", "proxy"), later));
    }

    #[test]
    fn finding_serializes_camel_case_with_lowercase_level() {
        let f = finding("SCH-COSMETIC", "a");
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["level"], "err");
        assert_eq!(v["rule"], "SCH-COSMETIC");
        assert!(v.get("before").is_some() && v.get("message").is_some());
    }
}
