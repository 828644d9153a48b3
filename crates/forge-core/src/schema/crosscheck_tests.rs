//! Cross-check against getsentry's `json-schema-diff` 0.1.8: every change it calls breaking
//! (`is_breaking()`, which is the input semantics) must be matched by one of our input
//! findings at ERR on the same field path. A miss fails the test, except where we disagree on
//! purpose or the crate is known to be wrong; `verdict` lists those cases and says why.
//!
//! The pairs: every ordered pair of the corpus, every corpus schema against a series of
//! one-property mutations of itself, and a few hand-written pairs for what the corpus lacks.
//! Both engines read the same JSON Schema: Apify's `nullable` is converted first, since the
//! crate does not know it.

use super::corpus_tests::{parsed, INPUTS};
use super::*;
use crate::input::to_json_schema;
use json_schema_diff::{Change, ChangeKind};
use serde_json::json;

fn config() -> DiffConfig {
    DiffConfig::new(DateTime::UNIX_EPOCH)
}

/// What we require of our findings for one breaking change of the crate.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// An ERR finding on this path.
    Err(String),
    /// A WARN or ERR finding on this path: we rate this kind WARN on purpose.
    AtLeastWarn(String),
    /// Not a break by our rules; the reason says why.
    Skip(&'static str),
}

/// The crate's path (`""` root, `.a.b`, `.a.?` for items, `.<anyOf:N>`,
/// `.<additionalProperties>`) as our field path (`a.b`, `a[]`, `a.*`).
fn field_path(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('.').skip(1) {
        match segment {
            "?" => out.push_str("[]"),
            s if s.starts_with("<anyOf:") => {}
            "<additionalProperties>" => out = validate::join(&out, "*"),
            s => out = validate::join(&out, s),
        }
    }
    out
}

/// The schema node at one of the crate's paths.
fn node_at<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = schema;
    for segment in path.split('.').skip(1) {
        node = match segment {
            "?" => node.get("items")?,
            "<additionalProperties>" => node.get("additionalProperties")?,
            s if s.starts_with("<anyOf:") => {
                let i: usize = s
                    .trim_start_matches("<anyOf:")
                    .trim_end_matches('>')
                    .parse()
                    .ok()?;
                node.get("anyOf").or_else(|| node.get("oneOf"))?.get(i)?
            }
            s => node.get("properties")?.get(s)?,
        };
    }
    Some(node)
}

fn has_branches(node: Option<&Value>) -> bool {
    node.is_some_and(|n| n.get("anyOf").is_some() || n.get("oneOf").is_some())
}

fn verdict(change: &Change, before: &Value, after: &Value) -> Verdict {
    let at = field_path(&change.path);
    let child = |name: &str| validate::join(&at, name);
    let (old, new) = (node_at(before, &change.path), node_at(after, &change.path));
    match &change.change {
        // The crate's known false positives with anyOf/oneOf: it splits multi-type schemas
        // into branches and pairs branches by counting changes, so a branch added to a choice
        // shows up as type changes of the wrong branch. Our own branch pairing reports
        // SCH-BRANCH-ADDED/REMOVED, checked by the unit tests.
        ChangeKind::TypeRemove { .. } | ChangeKind::TypeAdd { .. }
            if has_branches(old) || has_branches(new) || change.path.contains("<anyOf:") =>
        {
            Verdict::Skip("anyOf/oneOf branch pairing of json-schema-diff")
        }
        // The same family of false positives: the crate splits an old multi-type schema
        // (`["string", "null"]`) into branches and keeps string keywords inside the string
        // branch, so when the new version drops the type, a pattern that was there all along
        // looks added at the top.
        ChangeKind::PatternAdd { added }
            if old.and_then(|n| n.get("pattern")) == Some(&json!(added)) =>
        {
            Verdict::Skip("keyword unchanged: json-schema-diff's multi-type split")
        }
        ChangeKind::FormatAdd { added }
            if old.and_then(|n| n.get("format")) == Some(&json!(added)) =>
        {
            Verdict::Skip("keyword unchanged: json-schema-diff's multi-type split")
        }
        // On an open object a new property constrains a key that was free before, which the
        // crate calls breaking. Methods-anchors §1.3 and oasdiff rate a new optional input
        // property INFO (callers do not send undeclared keys), and so do we.
        ChangeKind::PropertyAdd { .. } => Verdict::Skip("new optional property: INFO by design"),
        // The crate looks at the old object only: a property removed from a closed object that
        // the new version opens is accepted and ignored (SCH-PROPERTY-REMOVED, WARN).
        ChangeKind::PropertyRemove { .. }
            if new.and_then(|n| n.get("additionalProperties")) != Some(&json!(false)) =>
        {
            Verdict::Skip("the new object is open: the removed key is accepted and ignored")
        }
        ChangeKind::PropertyRemove { removed, .. } => Verdict::Err(child(removed)),
        ChangeKind::RequiredAdd { property } => Verdict::Err(child(property)),
        // A bound set where there was none, and a changed pattern: WARN by design
        // (oasdiff request-property-*-set WARN, pattern-changed WARN; replay decides).
        ChangeKind::RangeAdd { .. }
        | ChangeKind::MinLengthAdd { .. }
        | ChangeKind::MaxLengthAdd { .. }
        | ChangeKind::PatternChange { .. } => Verdict::AtLeastWarn(at),
        _ => Verdict::Err(at),
    }
}

/// Our one finding for a rename sits on the new name; the crate reports the old name removed.
fn renamed_from(finding: &Finding, path: &str) -> bool {
    let (parent, name) = path.rsplit_once('.').unwrap_or(("", path));
    let finding_parent = finding.path.rsplit_once('.').map_or("", |(p, _)| p);
    finding.rule == "SCH-PROPERTY-RENAMED"
        && finding.before == Some(json!(name))
        && finding_parent == parent
}

#[derive(Default)]
struct Tally {
    pairs: usize,
    breaking: usize,
    matched: usize,
    skipped: std::collections::BTreeMap<&'static str, usize>,
    kinds: std::collections::BTreeMap<String, usize>,
    misses: Vec<String>,
}

impl Tally {
    /// Runs both engines on one pair and records what we missed.
    fn check(&mut self, label: &str, before: &Value, after: &Value) {
        let (lhs, rhs) = (to_json_schema(before), to_json_schema(after));
        let changes = match json_schema_diff::diff(lhs.clone(), rhs.clone()) {
            Ok(c) => c,
            Err(e) => {
                self.misses
                    .push(format!("{label}: json-schema-diff failed: {e}"));
                return;
            }
        };
        self.pairs += 1;
        let ours = diff(before, after, Direction::Input, &config());
        for change in changes.iter().filter(|c| c.change.is_breaking()) {
            self.breaking += 1;
            let kind = format!("{:?}", change.change);
            let kind = kind.split([' ', '{']).next().unwrap_or("").to_string();
            *self.kinds.entry(kind).or_default() += 1;
            let matched = match verdict(change, &lhs, &rhs) {
                Verdict::Skip(reason) => {
                    *self.skipped.entry(reason).or_default() += 1;
                    continue;
                }
                Verdict::Err(path) => ours
                    .iter()
                    .any(|f| f.level == Level::Err && (f.path == path || renamed_from(f, &path))),
                Verdict::AtLeastWarn(path) => ours
                    .iter()
                    .any(|f| f.level != Level::Info && f.path == path),
            };
            if matched {
                self.matched += 1;
            } else {
                let found: Vec<_> = ours.iter().map(|f| (f.rule, f.level, &f.path)).collect();
                let path = &change.path;
                let kind = &change.change;
                self.misses
                    .push(format!("{label}: {path:?} {kind:?}; ours: {found:?}"));
            }
        }
    }

    fn report(&self, what: &str) {
        let skipped: usize = self.skipped.values().sum();
        println!(
            "{what}: {} pairs, {} breaking changes from json-schema-diff, {} matched, {skipped} skipped, {} missed",
            self.pairs,
            self.breaking,
            self.matched,
            self.misses.len()
        );
        println!("  breaking kinds: {:?}", self.kinds);
        println!("  skipped: {:?}", self.skipped);
        assert!(self.misses.is_empty(), "{}", self.misses.join("\n"));
    }
}

#[test]
fn every_corpus_pair_agrees_with_json_schema_diff() {
    let inputs = parsed(INPUTS);
    let mut tally = Tally::default();
    for (a_name, a) in &inputs {
        for (b_name, b) in &inputs {
            tally.check(&format!("{a_name} -> {b_name}"), a, b);
        }
    }
    tally.report("corpus pairs");
}

/// One-property mutations, most of them narrowing: each gives one pair to check.
fn mutations(property: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let Some(p) = property.as_object() else {
        return out;
    };
    let with = |key: &str, value: Value| {
        let mut m = p.clone();
        m.insert(key.to_string(), value);
        Value::Object(m)
    };
    let without = |key: &str| {
        let mut m = p.clone();
        m.remove(key);
        Value::Object(m)
    };
    let number = |key: &str| p.get(key).and_then(Value::as_f64);
    // Lengths must be integers: the crate refuses `3.0`.
    let count = |key: &str| p.get(key).and_then(Value::as_u64);
    let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
    if matches!(kind, "integer" | "number") {
        out.push((
            "maximum lowered or set",
            with(
                "maximum",
                json!(number("maximum").map_or(10.0, |m| m - 1.0)),
            ),
        ));
        out.push((
            "minimum raised or set",
            with("minimum", json!(number("minimum").map_or(1.0, |m| m + 1.0))),
        ));
        if let Some(min) = p.get("minimum") {
            out.push((
                "minimum made exclusive",
                with("exclusiveMinimum", min.clone()),
            ));
        }
        out.push((
            "exclusiveMaximum set",
            with("exclusiveMaximum", json!(1000)),
        ));
        out.push((
            "type swapped",
            with(
                "type",
                json!(if kind == "integer" {
                    "number"
                } else {
                    "integer"
                }),
            ),
        ));
    }
    if kind == "string" {
        out.push((
            "maxLength lowered or set",
            with(
                "maxLength",
                json!(count("maxLength").map_or(3, |m| m.saturating_sub(1))),
            ),
        ));
        out.push((
            "minLength raised or set",
            with("minLength", json!(count("minLength").map_or(2, |m| m + 1))),
        ));
        out.push(("pattern added or changed", with("pattern", json!("^x"))));
        out.push(("format added", with("format", json!("uri"))));
        if p.contains_key("format") {
            out.push(("format changed", with("format", json!("date"))));
        }
        match p.get("enum").and_then(Value::as_array) {
            Some(values) if values.len() > 1 => {
                out.push((
                    "enum value removed",
                    with("enum", json!(values[..values.len() - 1])),
                ));
            }
            Some(_) => {}
            None => out.push(("enum added", with("enum", json!(["a", "b"])))),
        }
        out.push(("const added", with("const", json!("fixed"))));
        out.push(("type changed to integer", with("type", json!("integer"))));
    }
    if kind == "array" {
        out.push(("maxItems set", with("maxItems", json!(3))));
        out.push(("minItems set", with("minItems", json!(1))));
        out.push(("type changed to object", with("type", json!("object"))));
    }
    if kind == "boolean" {
        out.push(("type changed to string", with("type", json!("string"))));
    }
    if p.get("nullable") == Some(&json!(true)) {
        out.push(("nullable removed", without("nullable")));
    }
    out.push(("type removed", without("type")));
    out
}

#[test]
fn every_mutation_of_the_corpus_agrees_with_json_schema_diff() {
    let inputs = parsed(INPUTS);
    let mut tally = Tally::default();
    for (name, schema) in &inputs {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        for (prop, property) in props {
            for (mutation, mutated) in mutations(property) {
                let mut after = schema.clone();
                after["properties"][prop] = mutated;
                tally.check(&format!("{name}.{prop} {mutation}"), schema, &after);
            }
            // Made required; removed from a closed object; renamed.
            let mut required = schema.clone();
            required["required"] = json!([prop]);
            tally.check(&format!("{name}.{prop} made required"), schema, &required);
            let mut closed = schema.clone();
            closed["additionalProperties"] = json!(false);
            let mut removed = closed.clone();
            if let Some(props) = removed["properties"].as_object_mut() {
                props.remove(prop);
            }
            tally.check(
                &format!("{name}.{prop} removed (closed)"),
                &closed,
                &removed,
            );
            let mut renamed = removed.clone();
            renamed["properties"][format!("{prop}Renamed")] = property.clone();
            tally.check(
                &format!("{name}.{prop} renamed (closed)"),
                &closed,
                &renamed,
            );
        }
    }
    tally.report("corpus mutations");
}

#[test]
fn hand_written_pairs_agree_with_json_schema_diff() {
    let object = |props: Value| json!({"type": "object", "properties": props});
    let pairs: Vec<(&str, Value, Value)> = vec![
        (
            "nested item property narrowed",
            object(
                json!({"startUrls": {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string"}}}}}),
            ),
            object(
                json!({"startUrls": {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string", "format": "uri", "maxLength": 100}}}}}),
            ),
        ),
        (
            "nested required added",
            object(
                json!({"proxy": {"type": "object", "properties": {"useApifyProxy": {"type": "boolean"}}}}),
            ),
            object(
                json!({"proxy": {"type": "object", "required": ["useApifyProxy"], "properties": {"useApifyProxy": {"type": "boolean"}}}}),
            ),
        ),
        (
            "additionalProperties schema narrowed",
            object(
                json!({"headers": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}}}),
            ),
            object(
                json!({"headers": {"type": "object", "additionalProperties": {"type": "string"}}}),
            ),
        ),
        (
            "const changed",
            object(json!({"v": {"const": 1}})),
            object(json!({"v": {"const": 2}})),
        ),
        (
            "exclusive bounds tightened",
            object(json!({"n": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10}})),
            object(json!({"n": {"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 9}})),
        ),
        (
            "minLength raised and maxLength lowered",
            object(json!({"s": {"type": "string", "minLength": 1, "maxLength": 10}})),
            object(json!({"s": {"type": "string", "minLength": 2, "maxLength": 9}})),
        ),
        (
            "enum values removed through a ref",
            json!({"definitions": {"sort": {"type": "string", "enum": ["a", "b", "c"]}}, "type": "object", "properties": {"sort": {"$ref": "#/definitions/sort"}}}),
            json!({"definitions": {"sort": {"type": "string", "enum": ["a"]}}, "type": "object", "properties": {"sort": {"$ref": "#/definitions/sort"}}}),
        ),
        (
            "anyOf branch removed",
            object(json!({"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}})),
            object(json!({"x": {"anyOf": [{"type": "string"}]}})),
        ),
        (
            "oneOf branch added",
            object(json!({"x": {"oneOf": [{"type": "string"}, {"type": "integer"}]}})),
            object(
                json!({"x": {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}}),
            ),
        ),
        (
            "format changed",
            object(json!({"d": {"type": "string", "format": "date"}})),
            object(json!({"d": {"type": "string", "format": "date-time"}})),
        ),
        (
            "integer widened to number",
            object(json!({"n": {"type": "integer"}})),
            object(json!({"n": {"type": "number"}})),
        ),
        (
            "multi-type narrowed",
            object(json!({"x": {"type": ["string", "integer", "boolean"]}})),
            object(json!({"x": {"type": ["string", "integer"]}})),
        ),
    ];
    let mut tally = Tally::default();
    for (name, before, after) in &pairs {
        tally.check(name, before, after);
    }
    tally.report("hand-written pairs");
}

#[test]
fn crate_paths_map_to_our_field_paths() {
    assert_eq!(field_path(""), "");
    assert_eq!(field_path(".startUrls.?.url"), "startUrls[].url");
    assert_eq!(field_path(".x.<anyOf:1>"), "x");
    assert_eq!(field_path(".headers.<additionalProperties>"), "headers.*");
}
