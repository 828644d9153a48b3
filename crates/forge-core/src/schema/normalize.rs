//! Normalisation: one canonical form per meaning, so that the diff compares meanings and not
//! spellings. Local `$ref`s are inlined (cycle-safe), `type` becomes a sorted set (Apify's
//! `nullable: true` adds `"null"`), `enum` and `required` become sorted sets, `true` and `{}`
//! sub-schemas disappear, and every object has sorted keys. Apify keywords (`editor`, `prefill`,
//! `isSecret`, `sectionCaption`, `default`...) are kept as they are.
//!
//! Normalisation never fails: what it cannot read becomes a [`Problem`] and is left out or
//! kept verbatim.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The JSON Schema type names; anything else in `type` is a problem.
pub(crate) const TYPE_NAMES: [&str; 7] = [
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// Inlining stops at this many nested `$ref`s, so a chain of references cannot blow the stack.
const MAX_REF_DEPTH: usize = 32;
/// Inlining stops after this many schema nodes, so many references to one large definition
/// cannot blow up memory (the result grows with every inlined copy).
const MAX_NODES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A keyword whose value has the wrong shape (`type: 5`, `required: "x"`...).
    Malformed,
    /// A `$ref` that points outside the document, at nothing, or too deep.
    UnresolvedRef,
}

/// Something normalisation could not read, located by a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub pointer: String,
    pub message: String,
}

/// A schema in canonical form, with what could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub schema: Value,
    pub problems: Vec<Problem>,
}

/// Normalises a JSON Schema (or an Apify input schema, which is one with extra keywords).
pub fn normalize(schema: &Value) -> Normalized {
    let mut ctx = Ctx {
        root: schema,
        refs: Vec::new(),
        nodes: 0,
        problems: Vec::new(),
    };
    let schema = ctx.node(schema, "");
    let mut problems = ctx.problems;
    problems.sort_by(|a, b| (&a.pointer, &a.message).cmp(&(&b.pointer, &b.message)));
    problems.dedup();
    Normalized { schema, problems }
}

struct Ctx<'a> {
    root: &'a Value,
    /// The `$ref`s being inlined, outermost first: a ref already here is a cycle.
    refs: Vec<String>,
    nodes: usize,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn problem(&mut self, kind: ProblemKind, pointer: &str, message: String) {
        self.problems.push(Problem {
            kind,
            pointer: pointer.to_string(),
            message,
        });
    }

    /// A sub-schema. `true` becomes `{}`; `false` stays `false`; anything else is malformed
    /// and read as `{}` (accept anything), which is what a lenient validator does.
    fn node(&mut self, value: &Value, ptr: &str) -> Value {
        match value {
            Value::Bool(true) => Value::Object(Map::new()),
            Value::Bool(false) => Value::Bool(false),
            Value::Object(map) => self.object(map, ptr),
            other => {
                self.problem(
                    ProblemKind::Malformed,
                    ptr,
                    format!(
                        "a schema must be an object or a boolean, found {}",
                        kind_of(other)
                    ),
                );
                Value::Object(Map::new())
            }
        }
    }

    fn object(&mut self, map: &Map<String, Value>, ptr: &str) -> Value {
        self.nodes += 1;
        if let Some(reference) = map.get("$ref") {
            return self.reference(reference, map, ptr);
        }
        if self.nodes > MAX_NODES {
            // Past the budget the rest is kept verbatim: still comparable by equality.
            return Value::Object(sorted(map.clone()));
        }
        let mut out: BTreeMap<String, Value> = BTreeMap::new();
        for (key, value) in map {
            let at = format!("{ptr}/{}", escape(key));
            let normalized = match key.as_str() {
                // Definitions only matter through the refs that point at them, already inlined.
                "definitions" | "$defs" | "nullable" => continue,
                "type" => match self.types(value, &at) {
                    Some(types) => types,
                    None => continue,
                },
                "enum" => match value {
                    Value::Array(values) => Value::Array(value_set(values)),
                    other => {
                        self.malformed(&at, "enum must be an array", other);
                        continue;
                    }
                },
                "required" => match value {
                    Value::Array(names) => {
                        let mut strings: Vec<String> = Vec::new();
                        for name in names {
                            match name {
                                Value::String(s) => strings.push(s.clone()),
                                other => self.malformed(&at, "required must list strings", other),
                            }
                        }
                        strings.sort();
                        strings.dedup();
                        Value::Array(strings.into_iter().map(Value::String).collect())
                    }
                    other => {
                        self.malformed(&at, "required must be an array", other);
                        continue;
                    }
                },
                "properties" | "patternProperties" | "dependentSchemas" => match value {
                    Value::Object(children) => {
                        let mut normalized = Map::new();
                        let mut names: Vec<&String> = children.keys().collect();
                        names.sort();
                        for name in names {
                            let child_ptr = format!("{at}/{}", escape(name));
                            normalized.insert(name.clone(), self.node(&children[name], &child_ptr));
                        }
                        Value::Object(normalized)
                    }
                    other => {
                        self.malformed(&at, "must be an object of schemas", other);
                        continue;
                    }
                },
                "additionalProperties"
                | "additionalItems"
                | "unevaluatedProperties"
                | "unevaluatedItems" => {
                    let schema = self.node(value, &at);
                    // `true` and `{}` say nothing: the same as leaving the keyword out.
                    if schema.as_object().is_some_and(Map::is_empty) {
                        continue;
                    }
                    schema
                }
                "items" => match value {
                    Value::Array(items) => Value::Array(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| self.node(item, &format!("{at}/{i}")))
                            .collect(),
                    ),
                    other => {
                        let schema = self.node(other, &at);
                        if schema.as_object().is_some_and(Map::is_empty) {
                            continue;
                        }
                        schema
                    }
                },
                "anyOf" | "oneOf" | "allOf" | "prefixItems" => match value {
                    Value::Array(branches) => Value::Array(
                        branches
                            .iter()
                            .enumerate()
                            .map(|(i, b)| self.node(b, &format!("{at}/{i}")))
                            .collect(),
                    ),
                    other => {
                        self.malformed(&at, "must be an array of schemas", other);
                        continue;
                    }
                },
                "not" | "if" | "then" | "else" | "contains" | "propertyNames" => {
                    self.node(value, &at)
                }
                "minimum" | "maximum" | "multipleOf" | "minLength" | "maxLength" | "minItems"
                | "maxItems" | "minProperties" | "maxProperties" | "minContains"
                | "maxContains" => match value {
                    Value::Number(_) => value.clone(),
                    other => {
                        self.malformed(&at, "must be a number", other);
                        continue;
                    }
                },
                "exclusiveMinimum" | "exclusiveMaximum" => match value {
                    Value::Number(_) | Value::Bool(_) => value.clone(),
                    other => {
                        self.malformed(&at, "must be a number", other);
                        continue;
                    }
                },
                "pattern" | "format" => match value {
                    Value::String(_) => value.clone(),
                    other => {
                        self.malformed(&at, "must be a string", other);
                        continue;
                    }
                },
                _ => value.clone(),
            };
            out.insert(key.clone(), normalized);
        }
        draft4_exclusive_bounds(&mut out);
        if map.get("nullable") == Some(&Value::Bool(true)) {
            add_null(&mut out);
        }
        flatten_single_all_of(&mut out);
        Value::Object(out.into_iter().collect())
    }

    /// Inlines a local `$ref`; siblings of the `$ref` override the target's keywords.
    fn reference(&mut self, reference: &Value, map: &Map<String, Value>, ptr: &str) -> Value {
        let keep = |ctx: &mut Ctx, map: &Map<String, Value>| {
            // Kept as `{"$ref": ...}` plus normalised siblings: comparable by its target's name.
            let mut siblings = map.clone();
            siblings.remove("$ref");
            let mut out = match ctx.object(&siblings, ptr) {
                Value::Object(o) => o,
                _ => Map::new(),
            };
            out.insert("$ref".into(), reference.clone());
            Value::Object(sorted(out))
        };
        let Value::String(target) = reference else {
            self.malformed(&format!("{ptr}/$ref"), "$ref must be a string", reference);
            return keep(self, map);
        };
        let Some(fragment) = target.strip_prefix('#') else {
            let message = format!("remote reference {target:?} is not followed");
            self.problem(ProblemKind::UnresolvedRef, ptr, message);
            return keep(self, map);
        };
        if self.refs.iter().any(|r| r == target) {
            // A recursive schema: the second visit stays a reference, which both sides share.
            return keep(self, map);
        }
        if self.refs.len() >= MAX_REF_DEPTH || self.nodes > MAX_NODES {
            let message = format!("reference {target:?} is nested too deeply to inline");
            self.problem(ProblemKind::UnresolvedRef, ptr, message);
            return keep(self, map);
        }
        let Some(resolved) = self.root.pointer(fragment) else {
            let message = format!("reference {target:?} points at nothing");
            self.problem(ProblemKind::UnresolvedRef, ptr, message);
            return keep(self, map);
        };
        self.refs.push(target.clone());
        let inlined = self.node(resolved, ptr);
        self.refs.pop();
        let mut siblings = map.clone();
        siblings.remove("$ref");
        if siblings.is_empty() {
            return inlined;
        }
        let Value::Object(mut merged) = inlined else {
            // `false` plus siblings is still `false`.
            return inlined;
        };
        if let Value::Object(extra) = self.object(&siblings, ptr) {
            merged.extend(extra);
        }
        Value::Object(sorted(merged))
    }

    fn types(&mut self, value: &Value, at: &str) -> Option<Value> {
        let names: Vec<&Value> = match value {
            Value::String(_) => vec![value],
            Value::Array(xs) => xs.iter().collect(),
            other => {
                self.malformed(at, "type must be a string or an array of strings", other);
                return None;
            }
        };
        let mut set: Vec<String> = Vec::new();
        for name in names {
            match name.as_str() {
                Some(n) if TYPE_NAMES.contains(&n) => set.push(n.to_string()),
                _ => self.malformed(at, "unknown type name", name),
            }
        }
        set.sort();
        set.dedup();
        Some(Value::Array(set.into_iter().map(Value::String).collect()))
    }

    fn malformed(&mut self, at: &str, what: &str, found: &Value) {
        let message = format!("{what}, found {}", short(found));
        self.problem(ProblemKind::Malformed, at, message);
    }
}

/// Draft 4's boolean `exclusiveMinimum: true` next to `minimum` means the later numeric form.
fn draft4_exclusive_bounds(out: &mut BTreeMap<String, Value>) {
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(flag)) = out.get(exclusive).cloned() {
            out.remove(exclusive);
            if flag {
                if let Some(bound) = out.remove(inclusive) {
                    out.insert(exclusive.to_string(), bound);
                }
            }
        }
    }
}

/// Apify's `nullable: true`: null joins the type set and, if there is one, the enum.
fn add_null(out: &mut BTreeMap<String, Value>) {
    if let Some(Value::Array(types)) = out.get_mut("type") {
        let null = Value::String("null".into());
        if !types.contains(&null) {
            types.push(null);
            types.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
    }
    if let Some(Value::Array(values)) = out.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
            *values = value_set(values);
        }
    }
}

/// `allOf: [X]` with no keyword of X also beside it is just X.
fn flatten_single_all_of(out: &mut BTreeMap<String, Value>) {
    let Some(Value::Array(branches)) = out.get("allOf") else {
        return;
    };
    let [Value::Object(only)] = branches.as_slice() else {
        return;
    };
    if only.keys().any(|k| out.contains_key(k)) {
        return;
    }
    let only = only.clone();
    out.remove("allOf");
    out.extend(only);
}

/// A JSON array as a set: sorted by canonical text, duplicates dropped.
pub(crate) fn value_set(values: &[Value]) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = values
        .iter()
        .map(|v| (canonical_text(v), v.clone()))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// JSON text with object keys sorted at every level: equal values give equal text.
pub(crate) fn canonical_text(value: &Value) -> String {
    fn sort_deep(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sort_deep(&map[k])))
                        .collect(),
                )
            }
            Value::Array(xs) => Value::Array(xs.iter().map(sort_deep).collect()),
            other => other.clone(),
        }
    }
    sort_deep(value).to_string()
}

fn sorted(map: Map<String, Value>) -> Map<String, Value> {
    let ordered: BTreeMap<String, Value> = map.into_iter().collect();
    ordered.into_iter().collect()
}

/// RFC 6901 escaping of one pointer segment.
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value for a message: short enough for one line.
pub(crate) fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 80 {
        text
    } else {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_becomes_a_sorted_set_and_nullable_adds_null() {
        let n = normalize(&json!({"type": "string", "nullable": true, "enum": ["b", "a", "b"]}));
        assert_eq!(
            n.schema,
            json!({"type": ["null", "string"], "enum": ["a", "b", null]})
        );
        assert!(n.problems.is_empty());
    }

    #[test]
    fn local_refs_are_inlined_and_definitions_dropped() {
        let n = normalize(&json!({
            "definitions": {"url": {"type": "string", "format": "uri"}},
            "$defs": {"n": {"type": "integer"}},
            "properties": {
                "a": {"$ref": "#/definitions/url", "title": "A"},
                "b": {"$ref": "#/$defs/n"}
            }
        }));
        assert_eq!(
            n.schema,
            json!({"properties": {
                "a": {"format": "uri", "title": "A", "type": ["string"]},
                "b": {"type": ["integer"]}
            }})
        );
    }

    #[test]
    fn recursive_refs_stop_at_the_second_visit() {
        let n = normalize(&json!({
            "definitions": {"node": {"type": "object", "properties": {"children": {
                "type": "array", "items": {"$ref": "#/definitions/node"}}}}},
            "$ref": "#/definitions/node"
        }));
        assert_eq!(
            n.schema.pointer("/properties/children/items"),
            Some(&json!({"$ref": "#/definitions/node"}))
        );
        assert!(n.problems.is_empty());
    }

    #[test]
    fn self_reference_to_the_root_terminates() {
        let n = normalize(&json!({"properties": {"again": {"$ref": "#"}}}));
        assert_eq!(
            n.schema.pointer("/properties/again/properties/again"),
            Some(&json!({"$ref": "#"}))
        );
    }

    #[test]
    fn missing_and_remote_refs_are_problems_not_crashes() {
        let n = normalize(&json!({"properties": {
            "a": {"$ref": "#/definitions/nope"},
            "b": {"$ref": "https://example.com/s.json"}
        }}));
        let kinds: Vec<_> = n
            .problems
            .iter()
            .map(|p| (p.kind, p.pointer.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (ProblemKind::UnresolvedRef, "/properties/a"),
                (ProblemKind::UnresolvedRef, "/properties/b")
            ]
        );
    }

    #[test]
    fn malformed_keywords_become_problems() {
        let n =
            normalize(&json!({"type": 5, "required": "x", "properties": {"a": 3}, "minimum": "1"}));
        assert_eq!(n.problems.len(), 4);
        assert!(n.problems.iter().all(|p| p.kind == ProblemKind::Malformed));
        assert_eq!(n.schema, json!({"properties": {"a": {}}}));
    }

    #[test]
    fn trivial_subschemas_disappear_and_draft4_bounds_convert() {
        let n = normalize(&json!({
            "additionalProperties": true, "items": {}, "minimum": 3, "exclusiveMinimum": true
        }));
        assert_eq!(n.schema, json!({"exclusiveMinimum": 3}));
    }

    #[test]
    fn keys_are_sorted_and_apify_keywords_kept() {
        let n = normalize(
            &json!({"title": "T", "editor": "textfield", "isSecret": true,
            "prefill": "x", "default": "y", "sectionCaption": "S", "type": "string"}),
        );
        let keys: Vec<&String> = n.schema.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "default",
                "editor",
                "isSecret",
                "prefill",
                "sectionCaption",
                "title",
                "type"
            ]
        );
    }

    #[test]
    fn a_ref_fan_out_is_bounded() {
        // 20 levels, each referring twice to the next: 2^20 copies if inlined blindly.
        let mut defs = Map::new();
        for i in 0..20 {
            defs.insert(
                format!("d{i}"),
                json!({"properties": {
                    "l": {"$ref": format!("#/definitions/d{}", i + 1)},
                    "r": {"$ref": format!("#/definitions/d{}", i + 1)}}}),
            );
        }
        defs.insert("d20".into(), json!({"type": "string"}));
        let n = normalize(&json!({"definitions": defs, "$ref": "#/definitions/d0"}));
        assert!(n
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::UnresolvedRef));
    }
}
