use super::*;
use crate::schema::{DiffConfig, Ignore, Level};
use chrono::{TimeZone, Utc};
use serde_json::json;

fn config() -> DiffConfig {
    DiffConfig::new(Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap())
}

/// (rule, level, path) of each finding.
fn summary(findings: &[Finding]) -> Vec<(&'static str, Level, String)> {
    findings
        .iter()
        .map(|f| (f.rule, f.level, f.path.clone()))
        .collect()
}

/// An object schema with one property `x`.
fn prop(schema: Value) -> Value {
    json!({"type": "object", "properties": {"x": schema}})
}

use Level::{Err, Info, Warn};

/// One keyword-level change per case: the rule it must give, with its level in each
/// direction, and nothing else.
#[test]
fn each_rule_fires_alone_with_its_level_in_both_directions() {
    let cases: Vec<(&str, Value, Value, &str, Level, Level)> = vec![
        (
            "type narrowed",
            json!({"type": ["string", "integer"]}),
            json!({"type": "string"}),
            "SCH-TYPE-NARROWED",
            Err,
            Info,
        ),
        (
            "number to integer narrows",
            json!({"type": "number"}),
            json!({"type": "integer"}),
            "SCH-TYPE-NARROWED",
            Err,
            Info,
        ),
        (
            "type set where there was none",
            json!({}),
            json!({"type": "string"}),
            "SCH-TYPE-NARROWED",
            Err,
            Info,
        ),
        (
            "integer to number widens",
            json!({"type": "integer"}),
            json!({"type": "number"}),
            "SCH-TYPE-WIDENED",
            Info,
            Err,
        ),
        (
            "type added",
            json!({"type": "string"}),
            json!({"type": ["string", "array"]}),
            "SCH-TYPE-WIDENED",
            Info,
            Err,
        ),
        (
            "string to integer",
            json!({"type": "string"}),
            json!({"type": "integer"}),
            "SCH-TYPE-CHANGED",
            Err,
            Err,
        ),
        (
            "nullable removed",
            json!({"type": "string", "nullable": true}),
            json!({"type": "string"}),
            "SCH-NULLABLE-REMOVED",
            Err,
            Info,
        ),
        (
            "null dropped from a type list",
            json!({"type": ["string", "null"]}),
            json!({"type": "string"}),
            "SCH-NULLABLE-REMOVED",
            Err,
            Info,
        ),
        (
            "nullable added",
            json!({"type": "string"}),
            json!({"type": "string", "nullable": true}),
            "SCH-NULLABLE-ADDED",
            Info,
            Err,
        ),
        (
            "enum added",
            json!({"type": "string"}),
            json!({"type": "string", "enum": ["a", "b"]}),
            "SCH-ENUM-ADDED",
            Err,
            Info,
        ),
        (
            "enum removed",
            json!({"type": "string", "enum": ["a", "b"]}),
            json!({"type": "string"}),
            "SCH-ENUM-REMOVED",
            Info,
            Err,
        ),
        (
            "enum value removed",
            json!({"enum": ["a", "b"]}),
            json!({"enum": ["a"]}),
            "SCH-ENUM-VALUE-REMOVED",
            Err,
            Info,
        ),
        (
            "enum value added",
            json!({"enum": ["a"]}),
            json!({"enum": ["a", "b"]}),
            "SCH-ENUM-VALUE-ADDED",
            Info,
            Warn,
        ),
        (
            "const added",
            json!({"type": "string"}),
            json!({"type": "string", "const": "a"}),
            "SCH-CONST-ADDED",
            Err,
            Info,
        ),
        (
            "const changed",
            json!({"const": "a"}),
            json!({"const": "b"}),
            "SCH-CONST-CHANGED",
            Err,
            Err,
        ),
        (
            "const removed",
            json!({"const": "a"}),
            json!({}),
            "SCH-CONST-REMOVED",
            Info,
            Err,
        ),
        (
            "minimum raised",
            json!({"type": "integer", "minimum": 1}),
            json!({"type": "integer", "minimum": 5}),
            "SCH-MIN-RAISED",
            Err,
            Info,
        ),
        (
            "minimum made exclusive",
            json!({"type": "number", "minimum": 1}),
            json!({"type": "number", "exclusiveMinimum": 1}),
            "SCH-MIN-RAISED",
            Err,
            Info,
        ),
        (
            "exclusiveMinimum raised",
            json!({"type": "number", "exclusiveMinimum": 1}),
            json!({"type": "number", "exclusiveMinimum": 2}),
            "SCH-MIN-RAISED",
            Err,
            Info,
        ),
        (
            "minLength raised",
            json!({"type": "string", "minLength": 1}),
            json!({"type": "string", "minLength": 3}),
            "SCH-MIN-RAISED",
            Err,
            Info,
        ),
        (
            "minItems raised",
            json!({"type": "array", "minItems": 1}),
            json!({"type": "array", "minItems": 2}),
            "SCH-MIN-RAISED",
            Err,
            Info,
        ),
        (
            "minProperties raised",
            json!({"type": "object", "minProperties": 0}),
            json!({"type": "object", "minProperties": 1}),
            "SCH-MIN-RAISED",
            Err,
            Info,
        ),
        (
            "maximum lowered",
            json!({"type": "integer", "maximum": 1000}),
            json!({"type": "integer", "maximum": 100}),
            "SCH-MAX-LOWERED",
            Err,
            Info,
        ),
        (
            "exclusiveMaximum lowered",
            json!({"type": "number", "exclusiveMaximum": 10}),
            json!({"type": "number", "exclusiveMaximum": 9.5}),
            "SCH-MAX-LOWERED",
            Err,
            Info,
        ),
        (
            "maxLength lowered",
            json!({"type": "string", "maxLength": 100}),
            json!({"type": "string", "maxLength": 10}),
            "SCH-MAX-LOWERED",
            Err,
            Info,
        ),
        (
            "maxItems lowered",
            json!({"type": "array", "maxItems": 100}),
            json!({"type": "array", "maxItems": 10}),
            "SCH-MAX-LOWERED",
            Err,
            Info,
        ),
        (
            "maxProperties lowered",
            json!({"type": "object", "maxProperties": 5}),
            json!({"type": "object", "maxProperties": 4}),
            "SCH-MAX-LOWERED",
            Err,
            Info,
        ),
        (
            "maximum set",
            json!({"type": "integer"}),
            json!({"type": "integer", "maximum": 10}),
            "SCH-BOUND-ADDED",
            Warn,
            Info,
        ),
        (
            "maxLength set",
            json!({"type": "string"}),
            json!({"type": "string", "maxLength": 10}),
            "SCH-BOUND-ADDED",
            Warn,
            Info,
        ),
        (
            "minItems set",
            json!({"type": "array"}),
            json!({"type": "array", "minItems": 1}),
            "SCH-BOUND-ADDED",
            Warn,
            Info,
        ),
        (
            "maximum raised",
            json!({"type": "integer", "maximum": 10}),
            json!({"type": "integer", "maximum": 20}),
            "SCH-BOUND-RELAXED",
            Info,
            Err,
        ),
        (
            "minLength lowered",
            json!({"type": "string", "minLength": 3}),
            json!({"type": "string", "minLength": 1}),
            "SCH-BOUND-RELAXED",
            Info,
            Err,
        ),
        (
            "maxItems raised",
            json!({"type": "array", "maxItems": 10}),
            json!({"type": "array", "maxItems": 11}),
            "SCH-BOUND-RELAXED",
            Info,
            Err,
        ),
        (
            "maximum unset",
            json!({"type": "integer", "maximum": 10}),
            json!({"type": "integer"}),
            "SCH-BOUND-REMOVED",
            Info,
            Err,
        ),
        (
            "pattern added",
            json!({"type": "string"}),
            json!({"type": "string", "pattern": "^a"}),
            "SCH-PATTERN-ADDED",
            Err,
            Info,
        ),
        (
            "pattern changed",
            json!({"type": "string", "pattern": "^a"}),
            json!({"type": "string", "pattern": "^b"}),
            "SCH-PATTERN-CHANGED",
            Warn,
            Warn,
        ),
        (
            "pattern removed",
            json!({"type": "string", "pattern": "^a"}),
            json!({"type": "string"}),
            "SCH-PATTERN-REMOVED",
            Info,
            Warn,
        ),
        (
            "format added",
            json!({"type": "string"}),
            json!({"type": "string", "format": "uri"}),
            "SCH-FORMAT-ADDED",
            Err,
            Info,
        ),
        (
            "format changed",
            json!({"type": "string", "format": "date"}),
            json!({"type": "string", "format": "date-time"}),
            "SCH-FORMAT-CHANGED",
            Err,
            Err,
        ),
        (
            "format removed",
            json!({"type": "string", "format": "uri"}),
            json!({"type": "string"}),
            "SCH-FORMAT-REMOVED",
            Info,
            Warn,
        ),
        (
            "uniqueItems set",
            json!({"type": "array"}),
            json!({"type": "array", "uniqueItems": true}),
            "SCH-UNIQUE-ITEMS-ADDED",
            Err,
            Info,
        ),
        (
            "uniqueItems unset",
            json!({"type": "array", "uniqueItems": true}),
            json!({"type": "array"}),
            "SCH-UNIQUE-ITEMS-REMOVED",
            Info,
            Warn,
        ),
        (
            "multipleOf added",
            json!({"type": "integer"}),
            json!({"type": "integer", "multipleOf": 5}),
            "SCH-CONSTRAINT-ADDED",
            Err,
            Info,
        ),
        (
            "not removed",
            json!({"not": {"const": 0}}),
            json!({}),
            "SCH-CONSTRAINT-REMOVED",
            Info,
            Err,
        ),
        (
            "patternValue changed",
            json!({"type": "array", "patternValue": "^a"}),
            json!({"type": "array", "patternValue": "^b"}),
            "SCH-CONSTRAINT-CHANGED",
            Warn,
            Warn,
        ),
        (
            "additionalProperties closed",
            json!({"type": "object"}),
            json!({"type": "object", "additionalProperties": false}),
            "SCH-ADDITIONAL-PROPERTIES-CLOSED",
            Err,
            Info,
        ),
        (
            "additionalProperties opened",
            json!({"type": "object", "additionalProperties": false}),
            json!({"type": "object"}),
            "SCH-ADDITIONAL-PROPERTIES-OPENED",
            Info,
            Warn,
        ),
        (
            "patternProperties added",
            json!({"type": "object"}),
            json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}}),
            "SCH-PATTERN-PROPERTY-ADDED",
            Err,
            Info,
        ),
        (
            "patternProperties removed",
            json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}}),
            json!({"type": "object"}),
            "SCH-PATTERN-PROPERTY-REMOVED",
            Info,
            Err,
        ),
        (
            "items became a tuple",
            json!({"type": "array", "items": {"type": "string"}}),
            json!({"type": "array", "items": [{"type": "string"}]}),
            "SCH-ITEMS-SHAPE-CHANGED",
            Warn,
            Warn,
        ),
        (
            "anyOf branch removed",
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"anyOf": [{"type": "string"}]}),
            "SCH-BRANCH-REMOVED",
            Err,
            Info,
        ),
        (
            "oneOf branch added",
            json!({"oneOf": [{"type": "string"}]}),
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            "SCH-BRANCH-ADDED",
            Info,
            Err,
        ),
        (
            "anyOf introduced",
            json!({}),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            "SCH-ANYOF-ADDED",
            Err,
            Info,
        ),
        (
            "oneOf dropped",
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({}),
            "SCH-ANYOF-REMOVED",
            Info,
            Err,
        ),
        (
            "allOf branch added",
            json!({"allOf": [{"minLength": 1}, {"maxLength": 9}]}),
            json!({"allOf": [{"minLength": 1}, {"maxLength": 9}, {"pattern": "a"}]}),
            "SCH-ALLOF-ADDED",
            Err,
            Info,
        ),
        (
            "allOf branch removed",
            json!({"allOf": [{"minLength": 1}, {"maxLength": 9}, {"pattern": "a"}]}),
            json!({"allOf": [{"minLength": 1}, {"maxLength": 9}]}),
            "SCH-ALLOF-REMOVED",
            Warn,
            Err,
        ),
        (
            "default added",
            json!({"type": "integer"}),
            json!({"type": "integer", "default": 5}),
            "SCH-DEFAULT-ADDED",
            Info,
            Info,
        ),
        (
            "default changed",
            json!({"type": "integer", "default": 5}),
            json!({"type": "integer", "default": 6}),
            "SCH-DEFAULT-CHANGED",
            Warn,
            Info,
        ),
        (
            "default removed",
            json!({"type": "integer", "default": 5}),
            json!({"type": "integer"}),
            "SCH-DEFAULT-REMOVED",
            Warn,
            Info,
        ),
        (
            "prefill changed",
            json!({"type": "string", "prefill": "a"}),
            json!({"type": "string", "prefill": "b"}),
            "SCH-PREFILL-CHANGED",
            Info,
            Info,
        ),
        (
            "isSecret removed",
            json!({"type": "string", "isSecret": true}),
            json!({"type": "string"}),
            "SCH-SECRET-REMOVED",
            Warn,
            Warn,
        ),
        (
            "isSecret added",
            json!({"type": "string"}),
            json!({"type": "string", "isSecret": true}),
            "SCH-SECRET-ADDED",
            Info,
            Info,
        ),
        (
            "title changed",
            json!({"type": "string", "title": "A"}),
            json!({"type": "string", "title": "B"}),
            "SCH-COSMETIC",
            Info,
            Info,
        ),
        (
            "editor changed",
            json!({"type": "string", "editor": "textfield"}),
            json!({"type": "string", "editor": "textarea"}),
            "SCH-COSMETIC",
            Info,
            Info,
        ),
        (
            "sectionCaption added",
            json!({"type": "string"}),
            json!({"type": "string", "sectionCaption": "Advanced"}),
            "SCH-COSMETIC",
            Info,
            Info,
        ),
        (
            "example changed",
            json!({"type": "string", "example": "a"}),
            json!({"type": "string", "example": "b"}),
            "SCH-ANNOTATION-CHANGED",
            Info,
            Info,
        ),
        (
            "resourceType changed",
            json!({"type": "string", "resourceType": "dataset"}),
            json!({"type": "string", "resourceType": "keyValueStore"}),
            "SCH-KEYWORD-CHANGED",
            Warn,
            Warn,
        ),
        (
            "schema became false",
            json!({"type": "string"}),
            json!(false),
            "SCH-TYPE-NARROWED",
            Err,
            Info,
        ),
        (
            "schema was false",
            json!(false),
            json!({"type": "string"}),
            "SCH-TYPE-WIDENED",
            Info,
            Err,
        ),
    ];
    let mut failures = Vec::new();
    for (name, before, after, rule, input, output) in &cases {
        for (direction, level) in [(Direction::Input, *input), (Direction::Output, *output)] {
            let found = diff(
                &prop(before.clone()),
                &prop(after.clone()),
                direction,
                &config(),
            );
            let got = summary(&found);
            let alone = matches!(got.as_slice(), [(r, l, path)] if r == rule && *l == level && path.starts_with('x'));
            if !alone {
                failures.push(format!(
                    "{name} ({direction:?}): expected {rule} {level:?}, got {got:?}"
                ));
            }
        }
    }
    println!("{} single-rule cases, both directions", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn identical_schemas_have_no_findings() {
    let s =
        prop(json!({"type": "string", "editor": "textfield", "default": "a", "nullable": true}));
    assert!(diff(&s, &s, Direction::Input, &config()).is_empty());
    assert!(diff_input(&s, &s, &config()).is_empty());
}

#[test]
fn spelling_differences_are_not_changes() {
    let before = json!({"definitions": {"u": {"type": "string"}}, "properties": {
        "x": {"$ref": "#/definitions/u"}, "y": {"type": ["null", "integer"], "enum": [2, 1, null]}}});
    let after = json!({"properties": {
        "y": {"type": "integer", "nullable": true, "enum": [1, 2]}, "x": {"type": "string"}}});
    assert_eq!(
        summary(&diff(&before, &after, Direction::Input, &config())),
        []
    );
}

#[test]
fn max_lowered_message_says_what_and_why() {
    let before = prop(json!({"type": "integer", "maximum": 1000}));
    let after = prop(json!({"type": "integer", "maximum": 100}));
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.pointer, "/properties/x/maximum");
    assert_eq!(
        (f.before.clone(), f.after.clone()),
        (Some(json!(1000)), Some(json!(100)))
    );
    assert_eq!(
        f.message,
        "x: upper bound lowered from maximum 1000 to maximum 100; inputs that were valid may now be rejected"
    );
    let found = diff(&before, &after, Direction::Output, &config());
    assert_eq!(
        found[0].message,
        "x: upper bound lowered from maximum 1000 to maximum 100; readers get a subset of what they handled before"
    );
}

#[test]
fn property_removed_from_open_input_object_is_warn_and_from_closed_is_err() {
    let before = json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
    let open = json!({"properties": {"a": {"type": "string"}}});
    let closed = json!({"properties": {"a": {"type": "string"}}, "additionalProperties": false});
    let found = diff(&before, &open, Direction::Input, &config());
    assert_eq!(
        summary(&found),
        [("SCH-PROPERTY-REMOVED", Warn, "b".into())]
    );
    let found = diff(&before, &closed, Direction::Input, &config());
    assert_eq!(
        summary(&found),
        [
            ("SCH-ADDITIONAL-PROPERTIES-CLOSED", Err, "".into()),
            ("SCH-PROPERTY-REMOVED-CLOSED", Err, "b".into())
        ]
    );
}

#[test]
fn required_property_removed_breaks_readers_optional_one_warns() {
    let before = json!({"required": ["a"], "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
    let after = json!({"properties": {}});
    let found = diff(&before, &after, Direction::Output, &config());
    assert_eq!(
        summary(&found),
        [
            ("SCH-REQUIRED-PROPERTY-REMOVED", Err, "a".into()),
            ("SCH-PROPERTY-REMOVED", Warn, "b".into())
        ]
    );
    assert_eq!(
        found[0].message,
        "a: required property removed; readers that rely on it break"
    );
}

#[test]
fn new_required_property_breaks_input_and_is_info_for_output() {
    let before = json!({"properties": {"a": {"type": "string"}}});
    let after = json!({"required": ["n"], "properties": {"a": {"type": "string"}, "n": {"type": "integer"}}});
    let input = diff(&before, &after, Direction::Input, &config());
    assert_eq!(
        summary(&input),
        [("SCH-PROPERTY-ADDED-REQUIRED", Err, "n".into())]
    );
    let output = diff(&before, &after, Direction::Output, &config());
    assert_eq!(
        summary(&output),
        [("SCH-PROPERTY-ADDED-REQUIRED", Info, "n".into())]
    );
}

#[test]
fn optional_property_added_is_info_unless_old_readers_reject_unknown_keys() {
    let before = json!({"properties": {"a": {"type": "string"}}, "additionalProperties": false});
    let after = json!({"properties": {"a": {"type": "string"}, "n": {"type": "integer"}}, "additionalProperties": false});
    let input = diff(&before, &after, Direction::Input, &config());
    assert_eq!(
        summary(&input),
        [("SCH-PROPERTY-ADDED-CLOSED", Info, "n".into())]
    );
    let output = diff(&before, &after, Direction::Output, &config());
    assert_eq!(
        summary(&output),
        [("SCH-PROPERTY-ADDED-CLOSED", Warn, "n".into())]
    );
    let open = json!({"properties": {"a": {"type": "string"}}});
    let opened = json!({"properties": {"a": {"type": "string"}, "n": {"type": "integer"}}});
    let output = diff(&open, &opened, Direction::Output, &config());
    assert_eq!(summary(&output), [("SCH-PROPERTY-ADDED", Info, "n".into())]);
}

#[test]
fn becoming_required_breaks_input_becoming_optional_breaks_output() {
    let optional = json!({"properties": {"a": {"type": "string"}}});
    let required = json!({"required": ["a"], "properties": {"a": {"type": "string"}}});
    let found = diff(&optional, &required, Direction::Input, &config());
    assert_eq!(summary(&found), [("SCH-REQUIRED-ADDED", Err, "a".into())]);
    assert_eq!(found[0].pointer, "/required");
    let found = diff(&optional, &required, Direction::Output, &config());
    assert_eq!(summary(&found), [("SCH-REQUIRED-ADDED", Info, "a".into())]);
    let found = diff(&required, &optional, Direction::Output, &config());
    assert_eq!(summary(&found), [("SCH-REQUIRED-REMOVED", Err, "a".into())]);
    let found = diff(&required, &optional, Direction::Input, &config());
    assert_eq!(
        summary(&found),
        [("SCH-REQUIRED-REMOVED", Info, "a".into())]
    );
}

#[test]
fn renamed_property_gives_one_finding() {
    let before = json!({"required": ["maxItems"], "properties": {
        "maxItems": {"title": "Max items", "type": "integer", "minimum": 1, "default": 10},
        "keep": {"type": "string"}}});
    let after = json!({"required": ["maxResults"], "properties": {
        "maxResults": {"title": "Max results", "type": "integer", "minimum": 1, "default": 10},
        "keep": {"type": "string"}}});
    for direction in [Direction::Input, Direction::Output] {
        let found = diff(&before, &after, direction, &config());
        assert_eq!(
            summary(&found),
            [("SCH-PROPERTY-RENAMED", Err, "maxResults".into())]
        );
        assert_eq!(found[0].before, Some(json!("maxItems")));
        assert_eq!(found[0].after, Some(json!("maxResults")));
        assert_eq!(found[0].pointer, "/properties/maxResults");
    }
}

#[test]
fn an_ambiguous_rename_is_reported_as_removal_and_additions() {
    let before = json!({"properties": {"debug": {"type": "boolean"}}});
    let after =
        json!({"properties": {"verbose": {"type": "boolean"}, "trace": {"type": "boolean"}}});
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(
        summary(&found),
        [
            ("SCH-PROPERTY-REMOVED", Warn, "debug".into()),
            ("SCH-PROPERTY-ADDED", Info, "trace".into()),
            ("SCH-PROPERTY-ADDED", Info, "verbose".into())
        ]
    );
}

#[test]
fn nested_paths_read_like_fields() {
    let before = json!({"properties": {"startUrls": {"type": "array", "items": {
        "type": "object", "properties": {"url": {"type": "string"}}}}}});
    let after = json!({"properties": {"startUrls": {"type": "array", "items": {
        "type": "object", "properties": {"url": {"type": "string", "format": "uri"}}}}}});
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(
        summary(&found),
        [("SCH-FORMAT-ADDED", Err, "startUrls[].url".into())]
    );
    assert_eq!(
        found[0].pointer,
        "/properties/startUrls/items/properties/url/format"
    );
}

#[test]
fn a_type_change_does_not_compare_keywords_of_other_types() {
    let before = prop(json!({"type": "string", "maxLength": 10}));
    let after = prop(json!({"type": "integer", "maximum": 10}));
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(summary(&found), [("SCH-TYPE-CHANGED", Err, "x".into())]);
}

#[test]
fn nullable_removed_is_not_also_an_enum_value_removed() {
    let before = prop(json!({"type": "string", "enum": ["a"], "nullable": true}));
    let after = prop(json!({"type": "string", "enum": ["a"]}));
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(summary(&found), [("SCH-NULLABLE-REMOVED", Err, "x".into())]);
}

#[test]
fn recursive_schemas_are_compared_without_looping() {
    let tree = |leaf: Value| {
        json!({"definitions": {"node": {"type": "object", "properties": {
            "name": leaf, "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}},
            "$ref": "#/definitions/node"})
    };
    let before = tree(json!({"type": "string"}));
    let after = tree(json!({"type": "string", "maxLength": 5}));
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(summary(&found), [("SCH-BOUND-ADDED", Warn, "name".into())]);
}

#[test]
fn a_branch_changed_in_place_is_diffed_inside_the_branch() {
    let before = prop(json!({"anyOf": [{"type": "string", "maxLength": 10}, {"type": "integer"}]}));
    let after = prop(json!({"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 5}]}));
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(summary(&found), [("SCH-MAX-LOWERED", Err, "x".into())]);
    assert_eq!(found[0].pointer, "/properties/x/anyOf/1/maxLength");
}

#[test]
fn a_changed_unresolvable_ref_is_reported_not_followed() {
    let before = prop(json!({"$ref": "https://example.com/a.json"}));
    let after = prop(json!({"$ref": "https://example.com/b.json"}));
    let found = diff(&before, &after, Direction::Input, &config());
    let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["SCH-REF-UNRESOLVED", "SCH-REF-UNRESOLVED"]);
    assert!(found.iter().all(|f| f.level == Warn && f.path == "x"));
}

#[test]
fn a_malformed_new_schema_is_a_finding_not_a_crash() {
    let before = prop(json!({"type": "string"}));
    let found = diff(
        &before,
        &prop(json!({"type": 7})),
        Direction::Input,
        &config(),
    );
    assert_eq!(
        summary(&found),
        [
            ("SCH-SCHEMA-MALFORMED", Err, "x".into()),
            ("SCH-TYPE-WIDENED", Info, "x".into())
        ]
    );
    for garbage in [json!("nope"), json!(null), json!([1, 2]), json!(3)] {
        let found = diff(&before, &garbage, Direction::Input, &config());
        assert_eq!(found[0].rule, "SCH-SCHEMA-MALFORMED", "{garbage}");
        let _ = diff(&garbage, &before, Direction::Output, &config());
        let _ = diff_input(&garbage, &garbage, &config());
        let _ = diff_dataset(&garbage, &garbage, &config());
    }
}

#[test]
fn input_default_that_fails_the_new_property_is_an_error() {
    let before = prop(json!({"type": "integer", "maximum": 1000, "default": 500}));
    let after = prop(json!({"type": "integer", "maximum": 100, "default": 500}));
    let found = diff_input(&before, &after, &config());
    assert_eq!(
        summary(&found),
        [
            ("SCH-DEFAULT-INVALID", Err, "x".into()),
            ("SCH-MAX-LOWERED", Err, "x".into())
        ]
    );
    assert_eq!(found[0].pointer, "/properties/x/default");
    assert!(
        found[0]
            .message
            .starts_with("x: default 500 does not validate ("),
        "{}",
        found[0].message
    );
}

#[test]
fn input_prefill_that_fails_the_new_property_is_an_error() {
    let schema = |pattern: &str| {
        json!({"properties": {"startUrls": {"type": "array", "editor": "requestListSources",
            "prefill": [{"url": "http://example.com"}],
            "items": {"type": "object", "properties": {"url": {"type": "string", "pattern": pattern}}}}}})
    };
    let found = diff_input(&schema("^https?://"), &schema("^https://"), &config());
    assert_eq!(
        summary(&found),
        [
            ("SCH-PREFILL-INVALID", Err, "startUrls".into()),
            ("SCH-PATTERN-CHANGED", Warn, "startUrls[].url".into())
        ]
    );
}

#[test]
fn input_checks_accept_nullable_defaults_and_root_definitions() {
    let after = json!({"definitions": {"n": {"type": "integer", "minimum": 1}}, "properties": {
        "a": {"$ref": "#/definitions/n", "default": 3},
        "b": {"type": "string", "nullable": true, "default": null}}});
    assert_eq!(summary(&diff_input(&after, &after, &config())), []);
}

#[test]
fn overrides_change_levels_and_ignores_drop_findings_until_they_expire() {
    let before = prop(json!({"type": "string", "enum": ["a", "b"]}));
    let after = prop(json!({"type": "string", "enum": ["a"]}));
    let mut cfg = config();
    cfg.overrides.insert("SCH-ENUM-VALUE-REMOVED".into(), Warn);
    assert_eq!(
        summary(&diff(&before, &after, Direction::Input, &cfg)),
        [("SCH-ENUM-VALUE-REMOVED", Warn, "x".into())]
    );
    cfg.ignores.push(Ignore {
        rule: "SCH-ENUM-VALUE-REMOVED".into(),
        path: Some("x".into()),
        expires: Some(Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap()),
        reason: Some("value b was never used".into()),
    });
    assert!(diff(&before, &after, Direction::Input, &cfg).is_empty());
    cfg.now = Utc.with_ymd_and_hms(2026, 7, 2, 0, 0, 0).unwrap();
    assert_eq!(diff(&before, &after, Direction::Input, &cfg).len(), 1);
}

#[test]
fn findings_are_sorted_by_level_then_path_then_rule() {
    let before = json!({"properties": {
        "a": {"type": "string", "title": "A"}, "b": {"type": "integer", "maximum": 5},
        "c": {"type": "string"}}});
    let after = json!({"properties": {
        "a": {"type": "string", "title": "AA"}, "b": {"type": "integer", "maximum": 4},
        "c": {"type": "string", "maxLength": 3}}});
    let found = diff(&before, &after, Direction::Input, &config());
    assert_eq!(
        summary(&found),
        [
            ("SCH-MAX-LOWERED", Err, "b".into()),
            ("SCH-BOUND-ADDED", Warn, "c".into()),
            ("SCH-COSMETIC", Info, "a".into())
        ]
    );
}

#[test]
fn field_paths_follow_properties_items_and_additional_properties() {
    assert_eq!(field_path(""), "");
    assert_eq!(field_path("/properties/a/items/properties/b"), "a[].b");
    assert_eq!(
        field_path("/properties/a/items/2/properties/b/default"),
        "a[2].b"
    );
    assert_eq!(field_path("/properties/m/additionalProperties/type"), "m.*");
    assert_eq!(field_path("/properties/a~1b"), "a/b");
}

fn dataset(fields: Value, views: Value) -> Value {
    json!({"actorSpecification": 1, "fields": fields, "views": views})
}

fn overview(fields: &[&str]) -> Value {
    json!({"title": "Overview", "transformation": {"fields": fields},
        "display": {"component": "table", "properties": {"price": {"label": "Price", "format": "number"}}}})
}

#[test]
fn dataset_view_removed_is_an_error_and_a_view_field_removed_a_warning() {
    let fields = json!({"type": "object", "properties": {"title": {"type": "string"}, "price": {"type": "number"}}});
    let before = dataset(
        fields.clone(),
        json!({"overview": overview(&["title", "price"]), "prices": overview(&["price"])}),
    );
    let after = dataset(fields, json!({"overview": overview(&["title"])}));
    let found = diff_dataset(&before, &after, &config());
    assert_eq!(
        summary(&found),
        [
            ("SCH-VIEW-REMOVED", Err, "views.prices".into()),
            (
                "SCH-VIEW-FIELD-REMOVED",
                Warn,
                "views.overview.price".into()
            )
        ]
    );
    assert_eq!(
        found[0].message,
        "views.prices: view `prices` removed; API calls with `?view=prices` fail"
    );
    assert_eq!(found[1].pointer, "/views/overview/transformation/fields");
}

#[test]
fn dataset_fields_are_diffed_in_the_output_direction() {
    let fields = |kinds: Value| json!({"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string", "enum": kinds}}});
    let before = dataset(
        fields(json!(["a"])),
        json!({"overview": overview(&["kind"])}),
    );
    let after = dataset(
        fields(json!(["a", "b"])),
        json!({"overview": overview(&["kind"])}),
    );
    let found = diff_dataset(&before, &after, &config());
    assert_eq!(
        summary(&found),
        [("SCH-ENUM-VALUE-ADDED", Warn, "kind".into())]
    );
    assert_eq!(found[0].pointer, "/fields/properties/kind/enum");
}

#[test]
fn dataset_view_reshaping_and_display_changes_are_classified() {
    let fields = json!({"type": "object"});
    let mut reordered = overview(&["price", "title"]);
    reordered["transformation"]["unwind"] = json!(["offers"]);
    reordered["display"]["properties"]["price"]["label"] = json!("Cost");
    let before = dataset(
        fields.clone(),
        json!({"overview": overview(&["title", "price"])}),
    );
    let after = dataset(
        fields,
        json!({"overview": reordered, "extra": overview(&["title"])}),
    );
    let found = diff_dataset(&before, &after, &config());
    assert_eq!(
        summary(&found),
        [
            (
                "SCH-VIEW-TRANSFORMATION-CHANGED",
                Warn,
                "views.overview".into()
            ),
            ("SCH-VIEW-ADDED", Info, "views.extra".into()),
            ("SCH-COSMETIC", Info, "views.overview".into()),
            ("SCH-COSMETIC", Info, "views.overview.price".into())
        ]
    );
}

#[test]
fn dataset_fields_schema_removed_is_a_warning() {
    let before = dataset(json!({"type": "object"}), json!({}));
    let after = json!({"actorSpecification": 1, "views": {}});
    let found = diff_dataset(&before, &after, &config());
    assert_eq!(
        summary(&found),
        [("SCH-FIELDS-SCHEMA-REMOVED", Warn, "".into())]
    );
    assert_eq!(
        found[0].message,
        "(root): `fields` removed; items are no longer validated and readers lose the contract"
    );
}

#[test]
fn a_standing_problem_is_not_reported_again() {
    let broken = prop(json!({"type": 7, "$ref": "https://example.com/x.json"}));
    assert_eq!(
        summary(&diff(&broken, &broken, Direction::Input, &config())),
        []
    );
    let still_broken = prop(json!({"type": 7, "$ref": "https://example.com/x.json", "title": "X"}));
    assert_eq!(
        summary(&diff(&broken, &still_broken, Direction::Input, &config())),
        [("SCH-COSMETIC", Info, "x".into())]
    );
}

/// A finding about a secret says that its value changed, never what it is: OUTPUT and the
/// HTML report publish findings.
#[test]
fn a_secrets_values_are_never_shown() {
    let secret = |default: &str| {
        json!({"type": "object", "properties": {"apiKey": {"type": "string", "editor": "textfield",
            "isSecret": true, "default": default, "prefill": default}}})
    };
    let removed = json!({"type": "object", "properties": {}});
    for (before, after) in [
        (secret("key-old-1234"), secret("key-new-5678")),
        (
            json!({"type": "object", "properties": {"apiKey": {"type": "string", "isSecret": true}}}),
            secret("key-new-5678"),
        ),
        (secret("key-old-1234"), removed),
    ] {
        let f = diff(&before, &after, Direction::Input, &config());
        assert!(!f.is_empty());
        let text = serde_json::to_string(
            &f.iter()
                .map(|x| (&x.before, &x.after, &x.message))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(
            !text.contains("key-old") && !text.contains("key-new"),
            "{text}"
        );
    }
    // A changed secret default is still reported, as changed.
    let f = diff(&secret("a-1"), &secret("b-2"), Direction::Input, &config());
    assert!(f.iter().any(|x| x.rule == "SCH-DEFAULT-CHANGED"), "{f:#?}");
}
