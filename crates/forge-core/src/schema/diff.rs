//! The diff: two normalised schemas walked in parallel, every change classified by a rule.
//!
//! The walker records what changed and says, in the message, what that means in the
//! direction at hand; the level comes from the catalog at the end ([`super::finish`]), so an
//! override changes levels without touching the walk.

use super::normalize::{canonical_text, escape, normalize, short, ProblemKind};
use super::rules::{rule, Direction};
use super::validate::{self, join};
use super::{finish, DiffConfig, Finding};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

type Obj = Map<String, Value>;

/// A finding before levels and ignores are applied.
pub(crate) struct Raw {
    pub rule: &'static str,
    pub pointer: String,
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub message: String,
}

impl Raw {
    /// The values on each side, for the report.
    fn values(&mut self, before: Option<&Value>, after: Option<&Value>) {
        self.before = before.map(without_secret_values);
        self.after = after.map(without_secret_values);
    }
}

/// Shown in place of a secret property's default, prefill or example.
const SECRET: &str = "(secret)";

/// `v` with the default, prefill and examples of every `isSecret` property inside it masked:
/// a finding about a secret must not publish the secret in OUTPUT or the report.
fn without_secret_values(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let secret = m.get("isSecret") == Some(&Value::Bool(true));
            Value::Object(
                m.iter()
                    .map(|(k, x)| {
                        let masked = secret
                            && matches!(k.as_str(), "default" | "prefill" | "example" | "examples");
                        let x = if masked {
                            Value::String(SECRET.into())
                        } else {
                            without_secret_values(x)
                        };
                        (k.clone(), x)
                    })
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(without_secret_values).collect()),
        other => other.clone(),
    }
}

/// Diffs two JSON Schemas (an Apify input schema, a dataset `fields` schema, an output schema).
pub fn diff(
    before: &Value,
    after: &Value,
    direction: Direction,
    config: &DiffConfig,
) -> Vec<Finding> {
    let raw = raw_diff(before, after, direction, &Loc::root());
    finish(raw, direction, config)
}

/// Diffs two Apify input schemas: [`diff`] in the input direction, plus the Apify rules that
/// validation does not see: every default and prefill of the new schema must validate
/// against its own property.
pub fn diff_input(before: &Value, after: &Value, config: &DiffConfig) -> Vec<Finding> {
    let mut raw = raw_diff(before, after, Direction::Input, &Loc::root());
    raw.extend(value_checks(before, after));
    finish(raw, Direction::Input, config)
}

/// Diffs two Apify dataset schemas: `fields` in the output direction, plus the `views`
/// (a removed view breaks `?view=` calls; a removed view field drops a column).
pub fn diff_dataset(before: &Value, after: &Value, config: &DiffConfig) -> Vec<Finding> {
    let empty = Obj::new();
    let mut w = Walker::new(Direction::Output);
    let b = before.as_object().unwrap_or(&empty);
    let a = match after.as_object() {
        Some(a) => a,
        None if !before.is_object() => &empty,
        None => {
            let what = "the dataset schema is not a JSON object";
            w.emit(
                "SCH-SCHEMA-MALFORMED",
                &Loc::root(),
                what,
                "nothing can be promised",
            )
            .values(None, Some(after));
            &empty
        }
    };
    let fields = Loc::root().at("fields");
    match (b.get("fields"), a.get("fields")) {
        (Some(bf), Some(af)) => {
            let root = Loc {
                pointer: fields.pointer.clone(),
                path: String::new(),
            };
            w.out.extend(raw_diff(bf, af, Direction::Output, &root));
        }
        (Some(bf), None) => {
            let effect = "items are no longer validated and readers lose the contract";
            w.emit(
                "SCH-FIELDS-SCHEMA-REMOVED",
                &fields,
                "`fields` removed",
                effect,
            )
            .values(Some(bf), None);
        }
        (None, Some(af)) => {
            let effect = "the platform now validates every pushed item against it";
            w.emit("SCH-FIELDS-SCHEMA-ADDED", &fields, "`fields` added", effect)
                .values(None, Some(af));
        }
        (None, None) => {}
    }
    w.views(b.get("views"), a.get("views"));
    for key in union_keys(b, a) {
        if key != "fields" && key != "views" {
            w.keyword(&key, b.get(&key), a.get(&key), &Loc::root());
        }
    }
    finish(w.out, Direction::Output, config)
}

fn raw_diff(before: &Value, after: &Value, direction: Direction, loc: &Loc) -> Vec<Raw> {
    let before = normalize(before);
    let after = normalize(after);
    let mut w = Walker::new(direction);
    // Like every finding of a diff, a problem is reported when the release brings it.
    let new_problems = after
        .problems
        .iter()
        .filter(|p| !before.problems.contains(p));
    for problem in new_problems {
        let at = Loc {
            pointer: format!("{}{}", loc.pointer, problem.pointer),
            path: join(&loc.path, &field_path(&problem.pointer)),
        };
        let rule = match problem.kind {
            ProblemKind::Malformed => "SCH-SCHEMA-MALFORMED",
            ProblemKind::UnresolvedRef => "SCH-REF-UNRESOLVED",
        };
        w.emit(rule, &at, &problem.message, "");
    }
    w.walk(&before.schema, &after.schema, loc);
    w.out
}

/// Defaults and prefills of the new input schema, each against its own property. A property
/// left exactly as it was is skipped: a diff reports what the release changes, and a standing
/// problem is the lint's to report ([`super::lint_input_schema`]).
fn value_checks(before: &Value, after: &Value) -> Vec<Raw> {
    let mut w = Walker::new(Direction::Input);
    let same_definitions = ["definitions", "$defs"]
        .iter()
        .all(|k| before.get(k) == after.get(k));
    for prop in validate::properties(after) {
        let s = prop.schema;
        if s.get("default").is_none() && s.get("prefill").is_none() {
            continue;
        }
        if same_definitions && before.pointer(&prop.pointer) == Some(s) {
            continue;
        }
        let loc = Loc {
            pointer: prop.pointer.clone(),
            path: prop.path.clone(),
        };
        let validator = match validate::compile(s, after) {
            Ok(v) => v,
            Err(e) => {
                let what = format!("the property cannot be compiled ({e})");
                let effect = "its default and prefill cannot be checked";
                w.emit("SCH-SCHEMA-MALFORMED", &loc, &what, effect);
                continue;
            }
        };
        for (keyword, rule, effect) in [
            (
                "default",
                "SCH-DEFAULT-INVALID",
                "runs that omit the field fail",
            ),
            (
                "prefill",
                "SCH-PREFILL-INVALID",
                "the Store's daily test run fails",
            ),
        ] {
            let Some(value) = s.get(keyword) else {
                continue;
            };
            if let Some(reason) = validate::violation(&validator, value) {
                let what = format!("{keyword} {} does not validate ({reason})", short(value));
                w.emit(rule, &loc.at(keyword), &what, effect)
                    .values(None, Some(value));
            }
        }
    }
    w.out
}

/// Where a finding is: a JSON pointer and the field path a person reads.
#[derive(Debug, Clone)]
struct Loc {
    pointer: String,
    path: String,
}

impl Loc {
    fn root() -> Loc {
        Loc {
            pointer: String::new(),
            path: String::new(),
        }
    }

    fn new(pointer: String, path: String) -> Loc {
        Loc { pointer, path }
    }

    /// A keyword of this node: same field path.
    fn at(&self, keyword: &str) -> Loc {
        Loc::new(
            format!("{}/{}", self.pointer, escape(keyword)),
            self.path.clone(),
        )
    }

    fn prop(&self, name: &str) -> Loc {
        Loc::new(
            format!("{}/properties/{}", self.pointer, escape(name)),
            join(&self.path, name),
        )
    }

    fn items(&self) -> Loc {
        Loc::new(
            format!("{}/items", self.pointer),
            format!("{}[]", self.path),
        )
    }

    fn tuple(&self, i: usize) -> Loc {
        Loc::new(
            format!("{}/items/{i}", self.pointer),
            format!("{}[{i}]", self.path),
        )
    }

    fn additional(&self) -> Loc {
        Loc::new(
            format!("{}/additionalProperties", self.pointer),
            join(&self.path, "*"),
        )
    }

    fn pattern(&self, pattern: &str) -> Loc {
        Loc::new(
            format!("{}/patternProperties/{}", self.pointer, escape(pattern)),
            join(&self.path, &format!("{{{pattern}}}")),
        )
    }

    fn branch(&self, keyword: &str, i: usize) -> Loc {
        Loc::new(format!("{}/{keyword}/{i}", self.pointer), self.path.clone())
    }

    fn shown(&self) -> &str {
        if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        }
    }
}

/// The field path of a pointer: property names joined by dots, `[]` for items, `*` for
/// additional properties; other keywords add nothing.
pub(crate) fn field_path(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut path = String::new();
    let mut i = 0;
    while i < segments.len() {
        match segments[i].as_str() {
            "properties" | "patternProperties" if i + 1 < segments.len() => {
                path = join(&path, &segments[i + 1]);
                i += 1;
            }
            "items" => match segments.get(i + 1).and_then(|s| s.parse::<usize>().ok()) {
                Some(n) => {
                    path.push_str(&format!("[{n}]"));
                    i += 1;
                }
                None => path.push_str("[]"),
            },
            "additionalProperties" => path = join(&path, "*"),
            _ => {}
        }
        i += 1;
    }
    path
}

/// Keywords the walker compares itself; every other keyword goes through [`Walker::keyword`].
#[rustfmt::skip]
const HANDLED: &[&str] = &[
    "$ref", "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "pattern", "format", "items", "uniqueItems",
    "minItems", "maxItems", "properties", "required", "additionalProperties",
    "patternProperties", "minProperties", "maxProperties", "anyOf", "oneOf", "allOf", "default",
    "prefill", "isSecret",
];
/// Changes people see in the Console, not in validation.
#[rustfmt::skip]
const COSMETIC: &[&str] = &[
    "title", "description", "editor", "sectionCaption", "sectionDescription",
];
/// Keywords that annotate without validating.
#[rustfmt::skip]
const ANNOTATIONS: &[&str] = &[
    "$comment", "$id", "$schema", "schemaVersion", "actorSpecification", "example", "examples",
    "enumTitles", "enumSuggestedValues", "unit", "placeholderKey", "placeholderValue",
    "groupCaption", "groupDescription", "errorMessage", "deprecated", "readOnly", "writeOnly",
    "contentEncoding", "contentMediaType",
];
/// Validation keywords compared only by equality: added narrows, removed widens, changed is
/// unordered. (`patternKey`/`patternValue` are Apify's key/value regexes for `keyValue` arrays.)
#[rustfmt::skip]
const CONSTRAINTS: &[&str] = &[
    "not", "if", "then", "else", "contains", "minContains", "maxContains", "propertyNames",
    "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties",
    "unevaluatedItems", "multipleOf", "prefixItems", "additionalItems", "patternKey",
    "patternValue",
];
/// Annotations left out when deciding whether a removed and an added property are one renamed.
#[rustfmt::skip]
const RENAME_IGNORES: &[&str] = &[
    "title", "description", "editor", "sectionCaption", "sectionDescription", "example",
    "examples", "$comment", "enumTitles",
];

/// Above this many candidate pairs of anyOf branches, branches pair by position only.
const MAX_BRANCH_PAIRS: usize = 256;

/// What a narrowing change means in each direction.
fn narrow(dir: Direction) -> &'static str {
    match dir {
        Direction::Input => "inputs that were valid may now be rejected",
        Direction::Output => "readers get a subset of what they handled before",
    }
}

/// What a widening change means in each direction.
fn widen(dir: Direction) -> &'static str {
    match dir {
        Direction::Input => "every input that was valid is still accepted",
        Direction::Output => "the Actor may now write values that existing readers do not expect",
    }
}

/// What a change that is neither (pattern to pattern) means in each direction.
fn unordered(dir: Direction) -> &'static str {
    match dir {
        Direction::Input => "some inputs that were valid may now be rejected",
        Direction::Output => "readers may get values of a shape they do not expect",
    }
}

/// One text per direction.
fn io(dir: Direction, input: &'static str, output: &'static str) -> &'static str {
    match dir {
        Direction::Input => input,
        Direction::Output => output,
    }
}

struct Walker {
    dir: Direction,
    out: Vec<Raw>,
}

/// A numeric or size bound, for comparing `minimum` with `exclusiveMinimum` and the like.
struct Bound<'a> {
    value: f64,
    exclusive: bool,
    keyword: &'static str,
    raw: &'a Value,
}

impl Bound<'_> {
    fn describe(&self) -> String {
        format!("{} {}", self.keyword, self.raw)
    }
}

impl Walker {
    fn new(dir: Direction) -> Walker {
        Walker {
            dir,
            out: Vec::new(),
        }
    }

    /// Records a finding; `what` says what changed, `effect` what it means for callers.
    fn emit(&mut self, rule: &'static str, loc: &Loc, what: &str, effect: &str) -> &mut Raw {
        let message = if effect.is_empty() {
            format!("{}: {what}", loc.shown())
        } else {
            format!("{}: {what}; {effect}", loc.shown())
        };
        self.out.push(Raw {
            rule,
            pointer: loc.pointer.clone(),
            path: loc.path.clone(),
            before: None,
            after: None,
            message,
        });
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// Of the rules that describe a change, the strictest in this direction (later wins ties).
    fn pick(&self, candidates: &[&'static str]) -> &'static str {
        let rank = |id: &str| rule(id).map_or(0, |r| r.level(self.dir).rank());
        let mut best = candidates.first().copied().unwrap_or("SCH-KEYWORD-CHANGED");
        for id in candidates {
            if rank(id) >= rank(best) {
                best = id;
            }
        }
        best
    }

    fn walk(&mut self, before: &Value, after: &Value, loc: &Loc) {
        if before == after {
            return;
        }
        let dir = self.dir;
        let empty = Obj::new();
        let (b, a) = match (before, after) {
            (Value::Bool(false), _) => {
                let what = "the schema was `false` (no value allowed) and now allows values";
                self.emit("SCH-TYPE-WIDENED", loc, what, widen(dir))
                    .values(Some(before), None);
                return;
            }
            (_, Value::Bool(false)) => {
                let what = "the schema is now `false`: no value is allowed";
                self.emit("SCH-TYPE-NARROWED", loc, what, narrow(dir))
                    .values(None, Some(after));
                return;
            }
            _ => (
                before.as_object().unwrap_or(&empty),
                after.as_object().unwrap_or(&empty),
            ),
        };
        // A reference left by normalisation (recursive, remote or missing) is compared by its
        // target's name; its siblings are compared as usual.
        if b.get("$ref") != a.get("$ref") {
            let what = "the `$ref` changed and its target could not be compared";
            self.emit("SCH-REF-UNRESOLVED", &loc.at("$ref"), what, "")
                .values(b.get("$ref"), a.get("$ref"));
            return;
        }
        let tb = type_set(b);
        let ta = type_set(a);
        let null_changed = self.types(tb.as_ref(), ta.as_ref(), loc);
        // Keywords of a type family are compared only where both sides allow that family:
        // `maxLength` on a property that was a number says nothing about old inputs.
        let both =
            |family: &str| has_family(tb.as_ref(), family) && has_family(ta.as_ref(), family);

        self.enums(b, a, null_changed, loc);
        self.constant(b.get("const"), a.get("const"), loc);
        self.text(b, a, "format", loc);
        let mut bounds: Vec<(&'static str, &'static str)> = Vec::new();
        if both("number") {
            self.bound(true, lower(b), lower(a), loc);
            self.bound(false, upper(b), upper(a), loc);
        }
        if both("string") {
            bounds.push(("minLength", "maxLength"));
            self.text(b, a, "pattern", loc);
        }
        if both("array") {
            bounds.push(("minItems", "maxItems"));
            self.items(b.get("items"), a.get("items"), loc);
            self.unique_items(b, a, loc);
        }
        if both("object") {
            bounds.push(("minProperties", "maxProperties"));
            self.properties(b, a, loc);
        }
        for (min, max) in bounds {
            self.bound(true, size(b, min), size(a, min), loc);
            self.bound(false, size(b, max), size(a, max), loc);
        }
        for keyword in ["anyOf", "oneOf"] {
            self.choice(keyword, b, a, loc);
        }
        let (all_b, all_a) = (branches_of(b, "allOf"), branches_of(a, "allOf"));
        let rules = ("SCH-ALLOF-REMOVED", "SCH-ALLOF-ADDED");
        self.branches("allOf", all_b, all_a, loc, rules);
        self.apify(b, a, loc);
        for key in union_keys(b, a) {
            if !HANDLED.contains(&key.as_str()) {
                self.keyword(&key, b.get(&key), a.get(&key), loc);
            }
        }
    }

    /// Type sets, with `integer` inside `number`. Returns whether null-ness changed, so the
    /// enum comparison does not report the same `null` twice.
    fn types(&mut self, tb: Option<&TypeSet>, ta: Option<&TypeSet>, loc: &Loc) -> bool {
        let dir = self.dir;
        let at = loc.at("type");
        let list = |set: &TypeSet| json!(set.iter().collect::<Vec<_>>());
        let (tb, ta) = match (tb, ta) {
            (None, None) => return false,
            (None, Some(ta)) => {
                let what = format!("type restricted to {}", list(ta));
                self.emit("SCH-TYPE-NARROWED", &at, &what, narrow(dir))
                    .values(None, Some(&list(ta)));
                return false;
            }
            (Some(tb), None) => {
                let what = format!("type restriction {} removed", list(tb));
                self.emit("SCH-TYPE-WIDENED", &at, &what, widen(dir))
                    .values(Some(&list(tb)), None);
                return false;
            }
            (Some(tb), Some(ta)) => (tb, ta),
        };
        let (before, after) = (list(tb), list(ta));
        let (bn, an) = (tb.contains("null"), ta.contains("null"));
        if bn && !an {
            let effect = io(
                dir,
                "inputs that send null are now rejected",
                "readers no longer get null",
            );
            self.emit(
                "SCH-NULLABLE-REMOVED",
                &at,
                "null is no longer allowed",
                effect,
            )
            .values(Some(&before), Some(&after));
        }
        if !bn && an {
            let effect = io(
                dir,
                "inputs that were valid are still accepted",
                "readers may now get null where they expected a value",
            );
            self.emit("SCH-NULLABLE-ADDED", &at, "null is now allowed", effect)
                .values(Some(&before), Some(&after));
        }
        let covers =
            |set: &TypeSet, t: &str| set.contains(t) || (t == "integer" && set.contains("number"));
        let removed = tb.iter().any(|t| t != "null" && !covers(ta, t));
        let added = ta.iter().any(|t| t != "null" && !covers(tb, t));
        let (rule, effect) = match (removed, added) {
            (true, false) => ("SCH-TYPE-NARROWED", narrow(dir)),
            (false, true) => ("SCH-TYPE-WIDENED", widen(dir)),
            (true, true) => (
                "SCH-TYPE-CHANGED",
                io(
                    dir,
                    "inputs of the old type are now rejected",
                    "readers get values of a type they do not expect",
                ),
            ),
            (false, false) => return bn != an,
        };
        let what = format!("type changed from {before} to {after}");
        self.emit(rule, &at, &what, effect)
            .values(Some(&before), Some(&after));
        bn != an
    }

    fn enums(&mut self, b: &Obj, a: &Obj, skip_null: bool, loc: &Loc) {
        let dir = self.dir;
        let values = |m: &Obj| {
            m.get("enum").and_then(Value::as_array).map(|xs| {
                let kept = xs.iter().filter(|v| !(skip_null && v.is_null()));
                Value::Array(kept.cloned().collect())
            })
        };
        let at = loc.at("enum");
        match (values(b), values(a)) {
            (None, None) => {}
            (None, Some(ea)) => {
                let what = format!("now restricted to the enum {}", short(&ea));
                self.emit("SCH-ENUM-ADDED", &at, &what, narrow(dir))
                    .values(None, Some(&ea));
            }
            (Some(eb), None) => {
                let what = format!("the enum {} was removed", short(&eb));
                self.emit("SCH-ENUM-REMOVED", &at, &what, widen(dir))
                    .values(Some(&eb), None);
            }
            (Some(eb), Some(ea)) => {
                let (eb, ea) = (as_array(&eb), as_array(&ea));
                let keys = |xs: &[Value]| xs.iter().map(canonical_text).collect::<BTreeSet<_>>();
                let (kb, ka) = (keys(eb), keys(ea));
                for v in eb.iter().filter(|v| !ka.contains(&canonical_text(v))) {
                    let what = format!("enum value {} removed", short(v));
                    let effect = io(
                        dir,
                        "inputs that use it are now rejected",
                        "readers no longer get it",
                    );
                    self.emit("SCH-ENUM-VALUE-REMOVED", &at, &what, effect)
                        .values(Some(v), None);
                }
                for v in ea.iter().filter(|v| !kb.contains(&canonical_text(v))) {
                    let what = format!("enum value {} added", short(v));
                    let effect = io(
                        dir,
                        "existing inputs still pass",
                        "readers that match every value may not handle it",
                    );
                    self.emit("SCH-ENUM-VALUE-ADDED", &at, &what, effect)
                        .values(None, Some(v));
                }
            }
        }
    }

    fn constant(&mut self, b: Option<&Value>, a: Option<&Value>, loc: &Loc) {
        let dir = self.dir;
        let at = loc.at("const");
        let (rule, what, effect) = match (b, a) {
            (None, Some(v)) => (
                "SCH-CONST-ADDED",
                format!("const {} added", short(v)),
                narrow(dir),
            ),
            (Some(v), None) => (
                "SCH-CONST-REMOVED",
                format!("const {} removed", short(v)),
                widen(dir),
            ),
            (Some(x), Some(y)) if x != y => (
                "SCH-CONST-CHANGED",
                format!("const changed from {} to {}", short(x), short(y)),
                io(
                    dir,
                    "inputs with the old value are now rejected",
                    "readers get a value they do not expect",
                ),
            ),
            _ => return,
        };
        self.emit(rule, &at, &what, effect).values(b, a);
    }

    /// `pattern` and `format`: strings we cannot order, so a change is added, removed or changed.
    fn text(&mut self, b: &Obj, a: &Obj, keyword: &str, loc: &Loc) {
        let dir = self.dir;
        let rules = match keyword {
            "pattern" => [
                "SCH-PATTERN-ADDED",
                "SCH-PATTERN-CHANGED",
                "SCH-PATTERN-REMOVED",
            ],
            _ => [
                "SCH-FORMAT-ADDED",
                "SCH-FORMAT-CHANGED",
                "SCH-FORMAT-REMOVED",
            ],
        };
        let (bv, av) = (b.get(keyword), a.get(keyword));
        let (rule, what, effect) = match (bv, av) {
            (None, Some(v)) => (rules[0], format!("{keyword} {v} added"), narrow(dir)),
            (Some(v), None) => (rules[2], format!("{keyword} {v} removed"), widen(dir)),
            (Some(x), Some(y)) if x != y => (
                rules[1],
                format!("{keyword} changed from {x} to {y}"),
                unordered(dir),
            ),
            _ => return,
        };
        self.emit(rule, &loc.at(keyword), &what, effect)
            .values(bv, av);
    }

    fn bound(&mut self, is_lower: bool, b: Option<Bound>, a: Option<Bound>, loc: &Loc) {
        let dir = self.dir;
        let (b, a) = match (b, a) {
            (None, None) => return,
            (None, Some(a)) => {
                let effect = io(
                    dir,
                    "inputs outside it are now rejected, if any caller sends them",
                    "readers get values inside a range they already handled",
                );
                let what = format!("{} set", a.describe());
                self.emit("SCH-BOUND-ADDED", &loc.at(a.keyword), &what, effect)
                    .values(None, Some(a.raw));
                return;
            }
            (Some(b), None) => {
                let what = format!("{} removed", b.describe());
                self.emit("SCH-BOUND-REMOVED", &loc.at(b.keyword), &what, widen(dir))
                    .values(Some(b.raw), None);
                return;
            }
            (Some(b), Some(a)) => (b, a),
        };
        let same = a.value == b.value;
        // A lower bound is stricter when it rises, an upper one when it falls; at the same
        // value, exclusive is stricter than inclusive.
        let (rises, falls) = (a.value > b.value, a.value < b.value);
        let tightened = same && a.exclusive && !b.exclusive;
        let loosened = same && !a.exclusive && b.exclusive;
        let (stricter, looser) = if is_lower {
            (rises || tightened, falls || loosened)
        } else {
            (falls || tightened, rises || loosened)
        };
        let side = if is_lower { "lower" } else { "upper" };
        let (from, to) = (b.describe(), a.describe());
        let (rule, what, effect) = if stricter {
            let (rule, verb) = if is_lower {
                ("SCH-MIN-RAISED", "raised")
            } else {
                ("SCH-MAX-LOWERED", "lowered")
            };
            (
                rule,
                format!("{side} bound {verb} from {from} to {to}"),
                narrow(dir),
            )
        } else if looser {
            let what = format!("{side} bound relaxed from {from} to {to}");
            ("SCH-BOUND-RELAXED", what, widen(dir))
        } else {
            return;
        };
        self.emit(rule, &loc.at(a.keyword), &what, effect)
            .values(Some(b.raw), Some(a.raw));
    }

    fn items(&mut self, b: Option<&Value>, a: Option<&Value>, loc: &Loc) {
        let dir = self.dir;
        let anything = Value::Object(Obj::new());
        let at = loc.at("items");
        match (b, a) {
            (Some(Value::Array(tb)), Some(Value::Array(ta))) => {
                if tb.len() != ta.len() {
                    let what = format!("tuple length changed from {} to {}", tb.len(), ta.len());
                    self.emit("SCH-ITEMS-SHAPE-CHANGED", &at, &what, unordered(dir));
                }
                for (i, (x, y)) in tb.iter().zip(ta).enumerate() {
                    self.walk(x, y, &loc.tuple(i));
                }
            }
            (Some(Value::Array(_)), _) | (_, Some(Value::Array(_))) => {
                let what = "items switched between one schema and a tuple of schemas";
                self.emit("SCH-ITEMS-SHAPE-CHANGED", &at, what, unordered(dir))
                    .values(b, a);
            }
            _ => self.walk(b.unwrap_or(&anything), a.unwrap_or(&anything), &loc.items()),
        }
    }

    fn unique_items(&mut self, b: &Obj, a: &Obj, loc: &Loc) {
        let dir = self.dir;
        let flag = |m: &Obj| m.get("uniqueItems") == Some(&Value::Bool(true));
        let at = loc.at("uniqueItems");
        match (flag(b), flag(a)) {
            (false, true) => {
                self.emit(
                    "SCH-UNIQUE-ITEMS-ADDED",
                    &at,
                    "uniqueItems set",
                    narrow(dir),
                )
                .values(None, Some(&json!(true)));
            }
            (true, false) => {
                self.emit(
                    "SCH-UNIQUE-ITEMS-REMOVED",
                    &at,
                    "uniqueItems unset",
                    widen(dir),
                )
                .values(Some(&json!(true)), None);
            }
            _ => {}
        }
    }

    fn properties(&mut self, b: &Obj, a: &Obj, loc: &Loc) {
        let dir = self.dir;
        let empty = Obj::new();
        let pb = b
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let pa = a
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let (rb, ra) = (required(b), required(a));
        let closed = |m: &Obj| m.get("additionalProperties") == Some(&Value::Bool(false));
        let (closed_b, closed_a) = (closed(b), closed(a));
        let removed: Vec<&String> = pb.keys().filter(|k| !pa.contains_key(*k)).collect();
        let added: Vec<&String> = pa.keys().filter(|k| !pb.contains_key(*k)).collect();
        let renames = renames(pb, pa, &removed, &added);
        let renamed_old: BTreeSet<&str> = renames.iter().map(|(o, _)| o.as_str()).collect();
        let renamed_new: BTreeSet<&str> = renames.iter().map(|(_, n)| n.as_str()).collect();

        for (old, new) in &renames {
            let what = format!("renamed from `{old}` to `{new}` (same schema)");
            let effect = match dir {
                Direction::Input => format!("callers that send `{old}` no longer set it"),
                Direction::Output => format!("readers of `{old}` get nothing"),
            };
            self.emit("SCH-PROPERTY-RENAMED", &loc.prop(new), &what, &effect)
                .values(Some(&json!(old)), Some(&json!(new)));
        }
        for name in removed.iter().filter(|n| !renamed_old.contains(n.as_str())) {
            let was_required = rb.contains(name.as_str());
            let mut candidates = vec!["SCH-PROPERTY-REMOVED"];
            if closed_a {
                candidates.push("SCH-PROPERTY-REMOVED-CLOSED");
            }
            if was_required {
                candidates.push("SCH-REQUIRED-PROPERTY-REMOVED");
            }
            let what = if was_required {
                "required property removed"
            } else {
                "property removed"
            };
            let effect = match (dir, closed_a, was_required) {
                (Direction::Input, true, _) => {
                    "inputs that still send it are rejected (unknown keys are not allowed)"
                }
                (Direction::Input, false, _) => {
                    "inputs that still send it pass, but the value is ignored"
                }
                (Direction::Output, _, true) => "readers that rely on it break",
                (Direction::Output, _, false) => "readers that use it get nothing",
            };
            let rule = self.pick(&candidates);
            self.emit(rule, &loc.prop(name), what, effect)
                .values(pb.get(name.as_str()), None);
        }
        for name in added.iter().filter(|n| !renamed_new.contains(n.as_str())) {
            let is_required = ra.contains(name.as_str());
            let schema = pa.get(name.as_str());
            let mut candidates = vec!["SCH-PROPERTY-ADDED"];
            if is_required {
                candidates.push("SCH-PROPERTY-ADDED-REQUIRED");
            }
            if closed_b {
                candidates.push("SCH-PROPERTY-ADDED-CLOSED");
            }
            let has_default = schema.is_some_and(|s| s.get("default").is_some());
            let what = match (is_required, has_default) {
                (true, true) => "required property added (it has a default)",
                (true, false) => "required property added",
                (false, _) => "optional property added",
            };
            let effect = match (dir, is_required, closed_b) {
                (Direction::Input, true, _) => {
                    "inputs written for the old schema lack it and are rejected"
                }
                (Direction::Input, false, _) => "existing inputs still pass",
                (Direction::Output, _, true) => {
                    "readers that validate with the old schema (no unknown keys) reject the items"
                }
                (Direction::Output, _, false) => "readers that do not know it can ignore it",
            };
            let rule = self.pick(&candidates);
            self.emit(rule, &loc.prop(name), what, effect)
                .values(None, schema);
        }
        for (name, schema_b) in pb {
            if let Some(schema_a) = pa.get(name) {
                self.walk(schema_b, schema_a, &loc.prop(name));
            }
        }
        self.requiredness(&rb, &ra, pb, pa, &renamed_new, loc);
        self.additional(b, a, closed_b, closed_a, loc);
        self.pattern_properties(b, a, loc);
    }

    /// Requiredness of properties on both sides, and of names no property declares (a
    /// property added or removed is reported with its requiredness already).
    fn requiredness(
        &mut self,
        rb: &BTreeSet<&str>,
        ra: &BTreeSet<&str>,
        pb: &Obj,
        pa: &Obj,
        renamed_new: &BTreeSet<&str>,
        loc: &Loc,
    ) {
        let dir = self.dir;
        let on_one_side = |name: &str| pb.contains_key(name) != pa.contains_key(name);
        let at = |name: &str| Loc::new(loc.at("required").pointer, join(&loc.path, name));
        for name in ra.difference(rb) {
            if on_one_side(name) || renamed_new.contains(name) {
                continue;
            }
            let effect = io(
                dir,
                "inputs that omit it are now rejected",
                "readers get it in every item",
            );
            self.emit("SCH-REQUIRED-ADDED", &at(name), "became required", effect)
                .values(None, Some(&json!(name)));
        }
        for name in rb.difference(ra) {
            if on_one_side(name) {
                continue;
            }
            let effect = io(
                dir,
                "inputs may now omit it",
                "readers that expect it in every item may not find it",
            );
            self.emit("SCH-REQUIRED-REMOVED", &at(name), "became optional", effect)
                .values(Some(&json!(name)), None);
        }
    }

    fn additional(&mut self, b: &Obj, a: &Obj, closed_b: bool, closed_a: bool, loc: &Loc) {
        let dir = self.dir;
        let (ab, aa) = (b.get("additionalProperties"), a.get("additionalProperties"));
        let at = loc.at("additionalProperties");
        match (closed_b, closed_a) {
            (false, false) => {
                let anything = Value::Object(Obj::new());
                self.walk(
                    ab.unwrap_or(&anything),
                    aa.unwrap_or(&anything),
                    &loc.additional(),
                );
            }
            (false, true) => {
                let effect = io(
                    dir,
                    "inputs with keys the schema does not declare are now rejected",
                    "readers no longer get undeclared keys",
                );
                let what = "unknown keys are no longer allowed";
                self.emit("SCH-ADDITIONAL-PROPERTIES-CLOSED", &at, what, effect)
                    .values(ab, aa);
            }
            (true, false) => {
                let effect = io(
                    dir,
                    "every input that was valid is still accepted",
                    "readers that validate strictly may reject items with extra keys",
                );
                let what = "unknown keys are now allowed";
                self.emit("SCH-ADDITIONAL-PROPERTIES-OPENED", &at, what, effect)
                    .values(ab, aa);
            }
            (true, true) => {}
        }
    }

    fn pattern_properties(&mut self, b: &Obj, a: &Obj, loc: &Loc) {
        let dir = self.dir;
        let empty = Obj::new();
        let ppb = child(b, "patternProperties").unwrap_or(&empty);
        let ppa = child(a, "patternProperties").unwrap_or(&empty);
        for pattern in union_keys(ppb, ppa) {
            let at = loc.pattern(&pattern);
            match (ppb.get(&pattern), ppa.get(&pattern)) {
                (Some(x), Some(y)) => self.walk(x, y, &at),
                (None, Some(y)) => {
                    let what = format!("patternProperties {pattern:?} added");
                    self.emit("SCH-PATTERN-PROPERTY-ADDED", &at, &what, narrow(dir))
                        .values(None, Some(y));
                }
                (Some(x), None) => {
                    let what = format!("patternProperties {pattern:?} removed");
                    self.emit("SCH-PATTERN-PROPERTY-REMOVED", &at, &what, widen(dir))
                        .values(Some(x), None);
                }
                (None, None) => {}
            }
        }
    }

    /// anyOf / oneOf: introduced, dropped, or compared branch by branch.
    fn choice(&mut self, keyword: &str, b: &Obj, a: &Obj, loc: &Loc) {
        let dir = self.dir;
        let at = loc.at(keyword);
        let (bv, av) = (b.get(keyword), a.get(keyword));
        match (bv.and_then(Value::as_array), av.and_then(Value::as_array)) {
            (None, None) => {}
            (None, Some(xs)) => {
                let what = format!("{keyword} with {} branches introduced", xs.len());
                self.emit("SCH-ANYOF-ADDED", &at, &what, narrow(dir))
                    .values(None, av);
            }
            (Some(xs), None) => {
                let what = format!("{keyword} with {} branches dropped", xs.len());
                self.emit("SCH-ANYOF-REMOVED", &at, &what, widen(dir))
                    .values(bv, None);
            }
            (Some(xs), Some(ys)) => {
                let rules = ("SCH-BRANCH-REMOVED", "SCH-BRANCH-ADDED");
                self.branches(keyword, xs, ys, loc, rules);
            }
        }
    }

    /// Pairs branches (equal ones first, then the closest of overlapping types) and walks each
    /// pair; what stays unpaired was removed or added.
    fn branches(
        &mut self,
        keyword: &str,
        bs: &[Value],
        as_: &[Value],
        loc: &Loc,
        (removed_rule, added_rule): (&'static str, &'static str),
    ) {
        let dir = self.dir;
        let mut free_b: Vec<usize> = Vec::new();
        let mut free_a: Vec<usize> = (0..as_.len()).collect();
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for (i, x) in bs.iter().enumerate() {
            match free_a.iter().position(|&j| as_[j] == *x) {
                Some(pos) => pairs.push((i, free_a.remove(pos))),
                None => free_b.push(i),
            }
        }
        if free_b.len() * free_a.len() <= MAX_BRANCH_PAIRS {
            // Closest first: the pair whose own diff is shortest.
            let mut costs: Vec<(usize, usize, usize)> = Vec::new();
            for &i in &free_b {
                for &j in free_a.iter().filter(|&&j| types_overlap(&bs[i], &as_[j])) {
                    let mut probe = Walker::new(dir);
                    probe.walk(&bs[i], &as_[j], &Loc::root());
                    costs.push((probe.out.len(), i, j));
                }
            }
            costs.sort_unstable();
            for (_, i, j) in costs {
                let pi = free_b.iter().position(|&x| x == i);
                let pj = free_a.iter().position(|&y| y == j);
                if let (Some(pi), Some(pj)) = (pi, pj) {
                    free_b.remove(pi);
                    free_a.remove(pj);
                    pairs.push((i, j));
                }
            }
        } else {
            let n = free_b.len().min(free_a.len());
            pairs.extend(free_b.drain(..n).zip(free_a.drain(..n)));
        }
        pairs.sort_unstable();
        for (i, j) in pairs {
            self.walk(&bs[i], &as_[j], &loc.branch(keyword, j));
        }
        let all_of = keyword == "allOf";
        for i in free_b {
            let effect = if all_of {
                widen(dir)
            } else {
                io(
                    dir,
                    "inputs that matched only that branch are now rejected",
                    "readers no longer get values of that shape",
                )
            };
            let what = format!("{keyword} branch #{i} removed");
            self.emit(removed_rule, &loc.branch(keyword, i), &what, effect)
                .values(Some(&bs[i]), None);
        }
        for j in free_a {
            let effect = if all_of { narrow(dir) } else { widen(dir) };
            let what = format!("{keyword} branch #{j} added");
            self.emit(added_rule, &loc.branch(keyword, j), &what, effect)
                .values(None, Some(&as_[j]));
        }
    }

    /// `default`, `prefill` and `isSecret`: Apify semantics outside validation.
    fn apify(&mut self, b: &Obj, a: &Obj, loc: &Loc) {
        let dir = self.dir;
        let secret = |m: &Obj| m.get("isSecret") == Some(&Value::Bool(true));
        // A secret's value never reaches a message or a before/after (it is only said to
        // have changed).
        let hidden = Value::String(SECRET.into());
        let mask = |v: Option<&'_ Value>| -> Option<Value> {
            v.map(|v| {
                if secret(b) || secret(a) {
                    hidden.clone()
                } else {
                    v.clone()
                }
            })
        };
        let readers = "a default does not change what readers get";
        // Compared on the real values, shown masked.
        let changed = b.get("default") != a.get("default");
        let (db, da) = (mask(b.get("default")), mask(a.get("default")));
        let (db, da) = (db.as_ref(), da.as_ref());
        let (rule, what, effect) = match (db, da) {
            (None, Some(v)) => (
                "SCH-DEFAULT-ADDED",
                format!("default {} added", short(v)),
                io(dir, "callers that omit the field now get it", readers),
            ),
            (Some(v), None) => (
                "SCH-DEFAULT-REMOVED",
                format!("default {} removed", short(v)),
                io(
                    dir,
                    "callers that omit the field no longer get a value",
                    readers,
                ),
            ),
            (Some(x), Some(y)) if changed => (
                "SCH-DEFAULT-CHANGED",
                format!("default changed from {} to {}", short(x), short(y)),
                io(
                    dir,
                    "callers that omit the field get different behaviour",
                    readers,
                ),
            ),
            _ => ("", String::new(), ""),
        };
        if !rule.is_empty() {
            self.emit(rule, &loc.at("default"), &what, effect)
                .values(db, da);
        }
        let (pb, pa) = (b.get("prefill"), a.get("prefill"));
        if pb != pa {
            let (pb, pa) = (mask(pb), mask(pa));
            let (pb, pa) = (pb.as_ref(), pa.as_ref());
            let what = match (pb, pa) {
                (None, Some(v)) => format!("prefill {} added", short(v)),
                (Some(v), None) => format!("prefill {} removed", short(v)),
                (Some(x), Some(y)) => format!("prefill changed from {} to {}", short(x), short(y)),
                (None, None) => String::new(),
            };
            let effect = "it only fills the Console form and the Store's daily test run";
            self.emit("SCH-PREFILL-CHANGED", &loc.at("prefill"), &what, effect)
                .values(pb, pa);
        }
        let at = loc.at("isSecret");
        let (sb, sa) = (b.get("isSecret"), a.get("isSecret"));
        match (secret(b), secret(a)) {
            (true, false) => {
                let effect = "the value is now stored and shown in clear text";
                self.emit("SCH-SECRET-REMOVED", &at, "isSecret removed", effect)
                    .values(sb, sa);
            }
            (false, true) => {
                let effect = "the value is now stored encrypted";
                self.emit("SCH-SECRET-ADDED", &at, "isSecret added", effect)
                    .values(sb, sa);
            }
            _ => {}
        }
    }

    /// Any keyword the walker does not model itself.
    fn keyword(&mut self, key: &str, b: Option<&Value>, a: Option<&Value>, loc: &Loc) {
        let dir = self.dir;
        let what = match (b, a) {
            (None, Some(v)) => format!("{key} {} added", short(v)),
            (Some(v), None) => format!("{key} {} removed", short(v)),
            (Some(x), Some(y)) if x != y => {
                format!("{key} changed from {} to {}", short(x), short(y))
            }
            _ => return,
        };
        let (rule, effect) = if COSMETIC.contains(&key) {
            (
                "SCH-COSMETIC",
                "documentation only; validation is unchanged",
            )
        } else if ANNOTATIONS.contains(&key) {
            ("SCH-ANNOTATION-CHANGED", "it does not affect validation")
        } else if CONSTRAINTS.contains(&key) {
            match (b, a) {
                (None, _) => ("SCH-CONSTRAINT-ADDED", narrow(dir)),
                (_, None) => ("SCH-CONSTRAINT-REMOVED", widen(dir)),
                _ => ("SCH-CONSTRAINT-CHANGED", unordered(dir)),
            }
        } else {
            (
                "SCH-KEYWORD-CHANGED",
                "its effect on callers was not analysed",
            )
        };
        self.emit(rule, &loc.at(key), &what, effect).values(b, a);
    }

    /// Dataset views: removed views break `?view=` calls; removed fields drop a column.
    fn views(&mut self, b: Option<&Value>, a: Option<&Value>) {
        let empty = Obj::new();
        let vb = b.and_then(Value::as_object).unwrap_or(&empty);
        let va = a.and_then(Value::as_object).unwrap_or(&empty);
        let views = Loc::root().at("views");
        for id in union_keys(vb, va) {
            let loc = Loc::new(views.at(&id).pointer, join("views", &id));
            match (vb.get(&id), va.get(&id)) {
                (Some(x), None) => {
                    let effect = format!("API calls with `?view={id}` fail");
                    let what = format!("view `{id}` removed");
                    self.emit("SCH-VIEW-REMOVED", &loc, &what, &effect)
                        .values(Some(x), None);
                }
                (None, Some(y)) => {
                    let what = format!("view `{id}` added");
                    self.emit("SCH-VIEW-ADDED", &loc, &what, "")
                        .values(None, Some(y));
                }
                (Some(x), Some(y)) if x != y => self.view(x, y, &loc),
                _ => {}
            }
        }
    }

    fn view(&mut self, b: &Value, a: &Value, loc: &Loc) {
        let empty = Obj::new();
        let b = b.as_object().unwrap_or(&empty);
        let a = a.as_object().unwrap_or(&empty);
        let (tb, ta) = (
            child(b, "transformation").unwrap_or(&empty),
            child(a, "transformation").unwrap_or(&empty),
        );
        let transformation = loc.at("transformation");
        let (fb, fa) = (field_names(tb), field_names(ta));
        let fields = transformation.at("fields");
        let at = |field: &str| Loc::new(fields.pointer.clone(), join(&loc.path, field));
        for field in fb.iter().filter(|f| !fa.contains(f)) {
            let what = format!("field `{field}` removed from the view");
            let effect = "readers of the view lose that column";
            self.emit("SCH-VIEW-FIELD-REMOVED", &at(field), &what, effect)
                .values(Some(&json!(field)), None);
        }
        for field in fa.iter().filter(|f| !fb.contains(f)) {
            let what = format!("field `{field}` added to the view");
            self.emit("SCH-VIEW-FIELD-ADDED", &at(field), &what, "")
                .values(None, Some(&json!(field)));
        }
        let common_b: Vec<&String> = fb.iter().filter(|f| fa.contains(f)).collect();
        let common_a: Vec<&String> = fa.iter().filter(|f| fb.contains(f)).collect();
        if common_b != common_a {
            let effect = "the same columns in another order";
            self.emit("SCH-COSMETIC", &fields, "column order changed", effect)
                .values(Some(&json!(fb)), Some(&json!(fa)));
        }
        for key in union_keys(tb, ta) {
            let (x, y) = (tb.get(&key), ta.get(&key));
            if key != "fields" && x != y {
                let what = format!("transformation `{key}` changed");
                let effect = "the rows readers of the view get change shape";
                let rule = "SCH-VIEW-TRANSFORMATION-CHANGED";
                self.emit(rule, &transformation.at(&key), &what, effect)
                    .values(x, y);
            }
        }
        let (db, da) = (
            child(b, "display").unwrap_or(&empty),
            child(a, "display").unwrap_or(&empty),
        );
        let display = loc.at("display");
        let (pb, pa) = (
            child(db, "properties").unwrap_or(&empty),
            child(da, "properties").unwrap_or(&empty),
        );
        let cosmetic = "documentation only; the data is unchanged";
        for field in union_keys(pb, pa) {
            let (x, y) = (pb.get(&field), pa.get(&field));
            if x != y {
                let at = Loc::new(
                    display.at("properties").at(&field).pointer,
                    join(&loc.path, &field),
                );
                let what = format!("display of `{field}` changed");
                self.emit("SCH-COSMETIC", &at, &what, cosmetic).values(x, y);
            }
        }
        for key in union_keys(db, da) {
            let (x, y) = (db.get(&key), da.get(&key));
            if key != "properties" && x != y {
                let what = format!("display `{key}` changed");
                self.emit("SCH-COSMETIC", &display.at(&key), &what, cosmetic)
                    .values(x, y);
            }
        }
        for key in union_keys(b, a) {
            if key != "transformation" && key != "display" {
                self.keyword(&key, b.get(&key), a.get(&key), loc);
            }
        }
    }
}

type TypeSet = BTreeSet<String>;

fn type_set(m: &Obj) -> Option<TypeSet> {
    let types = m.get("type").and_then(Value::as_array)?;
    Some(
        types
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    )
}

/// Whether values of a keyword family can occur: `None` (no `type`) allows every family.
fn has_family(types: Option<&TypeSet>, family: &str) -> bool {
    match types {
        None => true,
        Some(set) if family == "number" => set.contains("number") || set.contains("integer"),
        Some(set) => set.contains(family),
    }
}

fn types_overlap(x: &Value, y: &Value) -> bool {
    let (Some(tx), Some(ty)) = (
        x.as_object().and_then(type_set),
        y.as_object().and_then(type_set),
    ) else {
        return true;
    };
    let numeric = |s: &TypeSet| s.contains("number") || s.contains("integer");
    tx.iter().any(|t| ty.contains(t)) || (numeric(&tx) && numeric(&ty))
}

fn required(m: &Obj) -> BTreeSet<&str> {
    m.get("required")
        .and_then(Value::as_array)
        .map(|xs| xs.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn branches_of<'a>(m: &'a Obj, keyword: &str) -> &'a [Value] {
    m.get(keyword)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn child<'a>(m: &'a Obj, keyword: &str) -> Option<&'a Obj> {
    m.get(keyword).and_then(Value::as_object)
}

fn as_array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn field_names(transformation: &Obj) -> Vec<String> {
    transformation
        .get("fields")
        .and_then(Value::as_array)
        .map(|xs| {
            xs.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn number<'a>(m: &'a Obj, keyword: &'static str, exclusive: bool) -> Option<Bound<'a>> {
    let raw = m.get(keyword)?;
    Some(Bound {
        value: raw.as_f64()?,
        exclusive,
        keyword,
        raw,
    })
}

/// The effective lower bound: the stricter of `minimum` and `exclusiveMinimum`.
fn lower(m: &Obj) -> Option<Bound<'_>> {
    match (
        number(m, "minimum", false),
        number(m, "exclusiveMinimum", true),
    ) {
        (Some(min), Some(ex)) => Some(if ex.value >= min.value { ex } else { min }),
        (min, ex) => min.or(ex),
    }
}

/// The effective upper bound: the stricter of `maximum` and `exclusiveMaximum`.
fn upper(m: &Obj) -> Option<Bound<'_>> {
    match (
        number(m, "maximum", false),
        number(m, "exclusiveMaximum", true),
    ) {
        (Some(max), Some(ex)) => Some(if ex.value <= max.value { ex } else { max }),
        (max, ex) => max.or(ex),
    }
}

fn size<'a>(m: &'a Obj, keyword: &'static str) -> Option<Bound<'a>> {
    number(m, keyword, false)
}

/// Removed and added properties with the same schema (annotations aside), paired only when
/// the match is one-to-one: one flag removed while two identical flags arrive is no rename.
fn renames<'a>(
    pb: &Obj,
    pa: &Obj,
    removed: &[&'a String],
    added: &[&'a String],
) -> Vec<(&'a String, &'a String)> {
    let signature = |schema: Option<&Value>| {
        let mut schema = schema.cloned().unwrap_or(Value::Null);
        if let Value::Object(map) = &mut schema {
            for key in RENAME_IGNORES {
                map.remove(*key);
            }
        }
        canonical_text(&schema)
    };
    let sb: Vec<String> = removed
        .iter()
        .map(|n| signature(pb.get(n.as_str())))
        .collect();
    let sa: Vec<String> = added
        .iter()
        .map(|n| signature(pa.get(n.as_str())))
        .collect();
    let mut pairs = Vec::new();
    for (i, old) in removed.iter().enumerate() {
        let matches: Vec<usize> = (0..added.len()).filter(|&j| sa[j] == sb[i]).collect();
        if let [j] = matches.as_slice() {
            if sb.iter().filter(|s| **s == sa[*j]).count() == 1 {
                pairs.push((*old, added[*j]));
            }
        }
    }
    pairs
}

fn union_keys(b: &Obj, a: &Obj) -> Vec<String> {
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests;
