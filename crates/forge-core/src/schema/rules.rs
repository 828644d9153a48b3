//! The rule catalog: every change the diff and the lint can report, with a stable id and a
//! level for each direction. IDs are never reused; a rule that goes away stays retired.

use serde::{Deserialize, Serialize};

/// Who writes the values a schema describes, which decides whether narrowing or widening breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Callers write values (an Actor's input schema): narrowing breaks them.
    Input,
    /// Callers read values (a dataset `fields` schema, an output schema): widening breaks them.
    Output,
}

/// How bad a finding is: a definite break, a possible break, or nothing to act on.
/// Ordered by severity: `Info < Warn < Err`, so `max()` over findings is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Err,
    Warn,
    Info,
}

impl Ord for Level {
    fn cmp(&self, other: &Level) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Level {
    fn partial_cmp(&self, other: &Level) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Level {
    /// Higher is worse; used to sort findings and to pick the strictest applicable rule.
    pub fn rank(self) -> u8 {
        match self {
            Level::Err => 2,
            Level::Warn => 1,
            Level::Info => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Err => "err",
            Level::Warn => "warn",
            Level::Info => "info",
        }
    }
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: &'static str,
    /// What changed: existence, requiredness, type, values, constraints, structure,
    /// default, secret, annotation, dataset, schema or lint.
    pub kind: &'static str,
    pub input: Level,
    pub output: Level,
    pub meaning: &'static str,
    pub action: &'static str,
}

impl Rule {
    pub fn level(&self, direction: Direction) -> Level {
        match direction {
            Direction::Input => self.input,
            Direction::Output => self.output,
        }
    }
}

use Level::{Err as E, Info as I, Warn as W};

const fn r(
    id: &'static str,
    kind: &'static str,
    input: Level,
    output: Level,
    meaning: &'static str,
    action: &'static str,
) -> Rule {
    Rule {
        id,
        kind,
        input,
        output,
        meaning,
        action,
    }
}

/// The catalog. Levels follow methods-anchors §1.3 (oasdiff's levels, with the direction flip).
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // Existence
    r("SCH-PROPERTY-REMOVED", "existence", W, W,
      "An optional property was removed from an open object: callers that still send it are silently ignored; readers no longer get it.",
      "Keep the property (deprecated) for a release, or tell callers it is gone."),
    r("SCH-PROPERTY-REMOVED-CLOSED", "existence", E, W,
      "A property was removed from an object that rejects unknown keys (`additionalProperties: false`): inputs that still send it are rejected.",
      "Keep the property (deprecated), or open the object, until callers stop sending it."),
    r("SCH-REQUIRED-PROPERTY-REMOVED", "existence", W, E,
      "A required property was removed: readers that rely on it break.",
      "Keep writing the property, or publish a new major version."),
    r("SCH-PROPERTY-ADDED", "existence", I, I,
      "An optional property was added.",
      "Nothing to do; document it."),
    r("SCH-PROPERTY-ADDED-CLOSED", "existence", I, W,
      "A property was added to an object whose old schema rejected unknown keys: readers that validate with the old schema reject the new items.",
      "Tell readers to update their schema before the Actor writes the property."),
    r("SCH-PROPERTY-ADDED-REQUIRED", "existence", E, I,
      "A new required property: inputs written for the old schema lack it and are rejected.",
      "Make it optional with a default, or publish a new major version."),
    r("SCH-PROPERTY-RENAMED", "existence", E, E,
      "A property was renamed (the same schema under a new name): callers that send the old name lose it, readers that read the old name get nothing.",
      "Accept both names for a release (keep the old one, deprecated), then remove it."),
    // Requiredness
    r("SCH-REQUIRED-ADDED", "requiredness", E, I,
      "An existing property became required: inputs that omit it are rejected.",
      "Keep it optional with a default, or publish a new major version."),
    r("SCH-REQUIRED-REMOVED", "requiredness", I, E,
      "A property became optional: readers that expect it in every item may not find it.",
      "Keep writing it in every item, or tell readers to handle its absence."),
    // Type
    r("SCH-TYPE-NARROWED", "type", E, I,
      "Fewer types are accepted (a type removed, or `number` became `integer`).",
      "Accept the old types again, or publish a new major version."),
    r("SCH-TYPE-WIDENED", "type", I, E,
      "More types are accepted (a type added, or `integer` became `number`): readers may get values of a type they do not handle.",
      "For output, keep writing the old type, or tell readers before the change."),
    r("SCH-TYPE-CHANGED", "type", E, E,
      "The type changed to an incompatible one (e.g. `string` to `integer`).",
      "Add a new property with the new type and deprecate the old one."),
    r("SCH-NULLABLE-REMOVED", "type", E, I,
      "`null` is no longer accepted: inputs that send null are rejected.",
      "Keep `nullable: true`, or publish a new major version."),
    r("SCH-NULLABLE-ADDED", "type", I, E,
      "`null` is now allowed: readers may get null where they expected a value.",
      "For output, keep writing a value, or tell readers to handle null."),
    // Values
    r("SCH-ENUM-ADDED", "values", E, I,
      "A free value became an enum: inputs with other values are rejected.",
      "Make sure every value callers send is in the enum."),
    r("SCH-ENUM-REMOVED", "values", I, E,
      "An enum became a free value: readers may get values they do not know.",
      "For output, keep the enum, or tell readers to handle unknown values."),
    r("SCH-ENUM-VALUE-REMOVED", "values", E, I,
      "An enum value was removed: inputs that use it are rejected.",
      "Keep accepting the value (map it to its replacement), then remove it in a major version."),
    r("SCH-ENUM-VALUE-ADDED", "values", I, W,
      "An enum value was added: readers with an exhaustive match may not handle it.",
      "For output, tell readers about the new value before writing it."),
    r("SCH-CONST-ADDED", "values", E, I,
      "A `const` was added: every other value is rejected.",
      "Check that callers only send that value."),
    r("SCH-CONST-CHANGED", "values", E, E,
      "The `const` value changed: the old value is rejected, readers get a new one.",
      "Publish a new major version."),
    r("SCH-CONST-REMOVED", "values", I, E,
      "A `const` was removed: readers may get values other than the old constant.",
      "For output, keep the constant, or tell readers."),
    // Constraints
    r("SCH-MIN-RAISED", "constraints", E, I,
      "A lower bound was raised (minimum, exclusiveMinimum, minLength, minItems, minProperties): values near the old bound are rejected.",
      "Keep the old bound, or clamp small values instead of rejecting them."),
    r("SCH-MAX-LOWERED", "constraints", E, I,
      "An upper bound was lowered (maximum, exclusiveMaximum, maxLength, maxItems, maxProperties): values near the old bound are rejected.",
      "Keep the old bound, or clamp large values instead of rejecting them."),
    r("SCH-BOUND-ADDED", "constraints", W, I,
      "A bound was set where there was none: inputs outside it are now rejected, if any caller sends such values.",
      "Replay recent inputs against the new schema; keep the bound only if none fails."),
    r("SCH-BOUND-RELAXED", "constraints", I, E,
      "A bound was relaxed (a minimum lowered or a maximum raised): readers may get values outside the old range.",
      "For output, keep the old range, or tell readers."),
    r("SCH-BOUND-REMOVED", "constraints", I, E,
      "A bound was removed: readers may get values of any size.",
      "For output, keep the bound, or tell readers."),
    r("SCH-PATTERN-ADDED", "constraints", E, I,
      "A `pattern` was added: strings that do not match it are rejected.",
      "Replay recent inputs against the pattern before releasing."),
    r("SCH-PATTERN-CHANGED", "constraints", W, W,
      "The `pattern` changed: some strings valid before may be rejected, and readers may get strings of a new shape.",
      "Replay recent inputs (or items) against the new pattern."),
    r("SCH-PATTERN-REMOVED", "constraints", I, W,
      "A `pattern` was removed: readers that parse the string lose a guarantee.",
      "For output, tell readers the string is no longer guaranteed to match."),
    r("SCH-FORMAT-ADDED", "constraints", E, I,
      "A `format` was added: strings not in that format are rejected.",
      "Replay recent inputs against the format before releasing."),
    r("SCH-FORMAT-CHANGED", "constraints", E, E,
      "The `format` changed: values in the old format are rejected, readers get a new format.",
      "Add a new property with the new format and deprecate the old one."),
    r("SCH-FORMAT-REMOVED", "constraints", I, W,
      "A `format` was removed: readers that parse the value lose a guarantee.",
      "For output, tell readers the format is no longer guaranteed."),
    r("SCH-UNIQUE-ITEMS-ADDED", "constraints", E, I,
      "`uniqueItems` was set: arrays with duplicates are rejected.",
      "Deduplicate in the Actor instead of rejecting the input."),
    r("SCH-UNIQUE-ITEMS-REMOVED", "constraints", I, W,
      "`uniqueItems` was unset: readers may get duplicates.",
      "For output, keep deduplicating, or tell readers."),
    r("SCH-CONSTRAINT-ADDED", "constraints", E, I,
      "A validation keyword was added (not, if/then/else, contains, propertyNames, dependent*, unevaluated*, multipleOf, patternKey, patternValue...): some values valid before may be rejected.",
      "Replay recent inputs against the new schema before releasing."),
    r("SCH-CONSTRAINT-REMOVED", "constraints", I, E,
      "A validation keyword was removed: readers may get values the old schema excluded.",
      "For output, keep the constraint, or tell readers."),
    r("SCH-CONSTRAINT-CHANGED", "constraints", W, W,
      "A validation keyword changed in a way we cannot order (narrower or wider).",
      "Replay recent inputs (or items) against the new schema."),
    // Structure
    r("SCH-ADDITIONAL-PROPERTIES-CLOSED", "structure", E, I,
      "The object now rejects unknown keys (`additionalProperties: false`): inputs with extra keys are rejected.",
      "Keep the object open, or make sure no caller sends extra keys."),
    r("SCH-ADDITIONAL-PROPERTIES-OPENED", "structure", I, W,
      "The object now allows unknown keys: readers that validate strictly may reject items.",
      "For output, tell readers to accept extra keys."),
    r("SCH-PATTERN-PROPERTY-ADDED", "structure", E, I,
      "A `patternProperties` entry was added: keys matching it must now match its schema.",
      "Replay recent inputs against the new schema."),
    r("SCH-PATTERN-PROPERTY-REMOVED", "structure", I, E,
      "A `patternProperties` entry was removed: values under matching keys are no longer constrained.",
      "For output, keep the entry, or tell readers."),
    r("SCH-ITEMS-SHAPE-CHANGED", "structure", W, W,
      "`items` switched between one schema for every item and a tuple of schemas.",
      "Check every position of the array by hand."),
    r("SCH-BRANCH-REMOVED", "structure", E, I,
      "An anyOf/oneOf branch was removed: values that matched only that branch are rejected.",
      "Keep the branch, or publish a new major version."),
    r("SCH-BRANCH-ADDED", "structure", I, E,
      "An anyOf/oneOf branch was added: readers may get values of the new shape.",
      "For output, tell readers about the new shape before writing it."),
    r("SCH-ANYOF-ADDED", "structure", E, I,
      "An anyOf/oneOf was introduced: values that match none of its branches are rejected.",
      "Make sure every value callers send matches a branch."),
    r("SCH-ANYOF-REMOVED", "structure", I, E,
      "An anyOf/oneOf was dropped: readers may get values of shapes the branches excluded.",
      "For output, keep the branches, or tell readers."),
    r("SCH-ALLOF-ADDED", "structure", E, I,
      "An allOf branch was added: values must now match one more schema.",
      "Replay recent inputs against the new schema."),
    r("SCH-ALLOF-REMOVED", "structure", W, E,
      "An allOf branch was removed: values no longer have to match it.",
      "Check what the branch guaranteed; for output, tell readers."),
    r("SCH-REF-UNRESOLVED", "schema", W, W,
      "A `$ref` could not be followed (remote, missing, or too deep) and differs between the versions, so what it points to was not compared.",
      "Inline the referenced schema, or use a local `#/definitions/...` reference."),
    r("SCH-SCHEMA-MALFORMED", "schema", E, E,
      "The new schema is not a well-formed JSON Schema here (wrong keyword types, unknown type names...), so callers cannot rely on it.",
      "Fix the schema; `apify validate-schema` shows the same problem."),
    // Defaults, prefill, secrets: Apify semantics outside validation.
    r("SCH-DEFAULT-ADDED", "default", I, I,
      "A default was added: callers that omit the field now get it (it replaces the Actor's code-side default).",
      "Check that the default matches what the code did before."),
    r("SCH-DEFAULT-CHANGED", "default", W, I,
      "The default changed: callers that omit the field get different behaviour.",
      "Announce the new default, or keep the old one."),
    r("SCH-DEFAULT-REMOVED", "default", W, I,
      "The default was removed: callers that omit the field no longer get a value.",
      "Keep the default, or make sure the code handles the missing value as before."),
    r("SCH-DEFAULT-INVALID", "default", E, E,
      "The default does not validate against its own property in the new schema (input schemas only): runs that omit the field fail.",
      "Fix the default or the property's constraints."),
    r("SCH-PREFILL-CHANGED", "default", I, I,
      "The prefill changed (it only fills the Console form, and the Store's daily test runs).",
      "Check that the Actor still succeeds with the new prefill."),
    r("SCH-PREFILL-INVALID", "default", E, E,
      "The prefill does not validate against its own property in the new schema (input schemas only): the Store's daily test run fails and the Actor is marked under maintenance.",
      "Fix the prefill or the property's constraints."),
    r("SCH-SECRET-REMOVED", "secret", W, W,
      "`isSecret` was removed: the value is now stored and shown in clear text.",
      "Keep `isSecret: true` on credentials."),
    r("SCH-SECRET-ADDED", "secret", I, I,
      "`isSecret` was added: the value is now stored encrypted.",
      "Nothing to do; stored tasks keep their plain value until edited."),
    // Annotations
    r("SCH-COSMETIC", "annotation", I, I,
      "Only a title, description, editor or section caption changed: validation is unchanged.",
      "Nothing to do."),
    r("SCH-ANNOTATION-CHANGED", "annotation", I, I,
      "A keyword that does not validate changed (example, enumTitles, unit, placeholders, $comment, schemaVersion...).",
      "Nothing to do."),
    r("SCH-KEYWORD-CHANGED", "annotation", W, W,
      "A keyword this diff does not model changed (e.g. resourceType, template): its effect on callers is unknown.",
      "Check the change by hand."),
    // Dataset schema
    r("SCH-VIEW-REMOVED", "dataset", E, E,
      "A dataset view was removed (dataset schemas only): API calls with `?view=<id>` fail.",
      "Keep the view, even if it only repeats another one."),
    r("SCH-VIEW-ADDED", "dataset", I, I,
      "A dataset view was added.",
      "Nothing to do."),
    r("SCH-VIEW-FIELD-REMOVED", "dataset", W, W,
      "A field was removed from a view's `transformation.fields`: readers of that view lose a column.",
      "Keep the field in the view, or tell readers."),
    r("SCH-VIEW-FIELD-ADDED", "dataset", I, I,
      "A field was added to a view's `transformation.fields`.",
      "Nothing to do."),
    r("SCH-VIEW-TRANSFORMATION-CHANGED", "dataset", W, W,
      "A view's transformation changed (unwind, flatten, omit, limit, desc, clean...): the rows a reader of that view gets change shape.",
      "Tell readers of the view, or add a new view instead."),
    r("SCH-FIELDS-SCHEMA-REMOVED", "dataset", W, W,
      "The dataset `fields` schema was removed: items are no longer validated, readers lose the contract.",
      "Keep a `fields` schema."),
    r("SCH-FIELDS-SCHEMA-ADDED", "dataset", I, I,
      "A dataset `fields` schema was added: the platform now validates every pushed item against it.",
      "Check that the Actor's items pass it (replay recent items)."),
    // Lint of one input schema
    r("LINT-NOT-JSON", "lint", E, E,
      "The input schema is not valid JSON.",
      "Fix the syntax; the message says where."),
    r("LINT-META-SCHEMA", "lint", E, E,
      "The input schema does not validate against Apify's input-schema meta-schema: the platform refuses the build.",
      "Fix the keyword the message names (`apify validate-schema` shows the same)."),
    r("LINT-TOO-LARGE", "lint", W, W,
      "The input schema file is over 100 kB.",
      "Shorten descriptions, or split the Actor."),
    r("LINT-DEFAULT-INVALID", "lint", E, E,
      "A default does not validate against its own property: runs that omit the field fail.",
      "Fix the default or the property's constraints."),
    r("LINT-PREFILL-INVALID", "lint", E, E,
      "A prefill does not validate against its own property: the Store's daily test run fails.",
      "Fix the prefill or the property's constraints."),
    r("LINT-REQUIRED-WITH-DEFAULT", "lint", W, W,
      "A required property has a default: either the platform fills the default before validating and `required` has no effect, or it does not and the default never applies; one of them misleads.",
      "Drop the default, or drop the property from `required`."),
    r("LINT-SECRET-WITH-VALUE", "lint", E, E,
      "An `isSecret` property has a default or a prefill: the secret is published in the schema.",
      "Remove the default and prefill from secret properties."),
    r("LINT-SECRET-NOT-MARKED", "lint", W, W,
      "A property named like a credential (password, token, apiKey, secret, cookie, session, auth...) is not `isSecret`: its value is stored in clear text.",
      "Add `isSecret: true` (string, object or array properties)."),
    r("LINT-DOCS-MISSING", "lint", W, W,
      "A title or description is missing: the Console form and the Store page show nothing.",
      "Write a title and a one-line description."),
    r("LINT-EDITOR-MISMATCH", "lint", E, E,
      "The editor does not fit the property's type (e.g. `stringList` on a string): the Console cannot render it.",
      "Pick an editor allowed for the type, or `json`."),
    r("LINT-REQUIRED-UNKNOWN", "lint", E, E,
      "`required` names a property that does not exist: the platform refuses the schema.",
      "Remove the name from `required`, or add the property."),
    r("LINT-SCHEMA-UNCOMPILABLE", "lint", E, E,
      "A property's schema cannot be compiled by a validator (an invalid regex, a broken `$ref`...).",
      "Fix the keyword the message names."),
];

/// The catalog entry for an id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The rule table of the docs, generated from [`RULES`] so it cannot drift.
pub fn rule_table_markdown() -> String {
    let mut out =
        String::from("| ID | Input | Output | Meaning | Action |\n|---|---|---|---|---|\n");
    for rule in RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            rule.id,
            rule.input.as_str().to_uppercase(),
            rule.output.as_str().to_uppercase(),
            rule.meaning.replace('|', "\\|"),
            rule.action.replace('|', "\\|"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn rule_ids_are_unique_and_prefixed() {
        let mut seen = BTreeSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
            assert!(
                rule.id.starts_with("SCH-") || rule.id.starts_with("LINT-"),
                "{}",
                rule.id
            );
            assert!(!rule.meaning.is_empty() && !rule.action.is_empty());
        }
        println!("{} rules in the catalog", RULES.len());
    }

    #[test]
    fn narrowing_rules_mirror_widening_rules_across_directions() {
        let lv = |id: &str| {
            let r = rule(id).unwrap();
            (r.input, r.output)
        };
        assert_eq!(lv("SCH-ENUM-VALUE-REMOVED"), (Level::Err, Level::Info));
        assert_eq!(lv("SCH-ENUM-VALUE-ADDED"), (Level::Info, Level::Warn));
        assert_eq!(lv("SCH-TYPE-NARROWED"), (Level::Err, Level::Info));
        assert_eq!(lv("SCH-TYPE-WIDENED"), (Level::Info, Level::Err));
        assert_eq!(lv("SCH-REQUIRED-ADDED"), (Level::Err, Level::Info));
        assert_eq!(lv("SCH-REQUIRED-REMOVED"), (Level::Info, Level::Err));
    }

    #[test]
    fn levels_are_ordered_by_severity() {
        assert!(Level::Info < Level::Warn && Level::Warn < Level::Err);
        let worst = [Level::Warn, Level::Err, Level::Info].into_iter().max();
        assert_eq!(worst, Some(Level::Err));
        assert_eq!(serde_json::to_value(Level::Err).unwrap(), "err");
    }

    #[test]
    fn rule_table_has_one_row_per_rule() {
        let table = rule_table_markdown();
        assert_eq!(table.lines().count(), RULES.len() + 2);
        assert!(table.contains("| `SCH-PROPERTY-RENAMED` | ERR | ERR |"));
    }
}
