//! Property tests over random schemas from a small grammar: a schema compared with itself has
//! no findings, widening an input schema never yields an error (and the same change read the
//! other way, as narrowing an output schema, never does either), and no JSON makes the
//! engine panic.

use super::*;
use proptest::prelude::*;
use serde_json::{json, Map};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn config() -> DiffConfig {
    DiffConfig::new(DateTime::UNIX_EPOCH)
}

fn object(pairs: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect(),
    )
}

fn string_schema() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(0u64..5),
        proptest::option::of(5u64..20),
        proptest::option::of(prop_oneof![Just("^a"), Just("^[a-z]+$")]),
        proptest::option::of(prop_oneof![Just("uri"), Just("date")]),
        proptest::option::of(proptest::sample::subsequence(vec!["x", "y", "z"], 1..3)),
        any::<bool>(),
    )
        .prop_map(|(min, max, pattern, format, values, nullable)| {
            object(vec![
                ("type", Some(json!("string"))),
                ("minLength", min.map(|v| json!(v))),
                ("maxLength", max.map(|v| json!(v))),
                ("pattern", pattern.map(|v| json!(v))),
                ("format", format.map(|v| json!(v))),
                ("enum", values.map(|v| json!(v))),
                ("nullable", nullable.then(|| json!(true))),
                ("title", Some(json!("T"))),
            ])
        })
}

fn number_schema() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("integer"), Just("number")],
        proptest::option::of(-10i64..10),
        proptest::option::of(10i64..100),
        proptest::option::of(10i64..100),
        proptest::option::of(proptest::sample::subsequence(vec![1, 2, 3], 1..3)),
        any::<bool>(),
    )
        .prop_map(|(kind, min, max, exclusive_max, values, nullable)| {
            object(vec![
                ("type", Some(json!(kind))),
                ("minimum", min.map(|v| json!(v))),
                ("maximum", max.map(|v| json!(v))),
                ("exclusiveMaximum", exclusive_max.map(|v| json!(v))),
                ("enum", values.map(|v| json!(v))),
                ("nullable", nullable.then(|| json!(true))),
                ("default", Some(json!(1))),
            ])
        })
}

fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        string_schema(),
        number_schema(),
        Just(json!({"type": "boolean", "editor": "checkbox"})),
        Just(json!({})),
    ];
    leaf.prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            (
                proptest::collection::btree_map(
                    proptest::sample::select(NAMES.to_vec()),
                    inner.clone(),
                    0..4
                ),
                proptest::sample::subsequence(NAMES.to_vec(), 0..3),
                any::<bool>(),
            )
                .prop_map(|(props, required, closed)| {
                    let properties: Map<String, Value> =
                        props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                    object(vec![
                        ("type", Some(json!("object"))),
                        ("properties", Some(Value::Object(properties))),
                        ("required", Some(json!(required))),
                        ("additionalProperties", closed.then(|| json!(false))),
                    ])
                }),
            (
                inner.clone(),
                proptest::option::of(0u64..3),
                proptest::option::of(3u64..9),
                any::<bool>(),
            )
                .prop_map(|(items, min, max, unique)| {
                    object(vec![
                        ("type", Some(json!("array"))),
                        ("items", Some(items)),
                        ("minItems", min.map(|v| json!(v))),
                        ("maxItems", max.map(|v| json!(v))),
                        ("uniqueItems", unique.then(|| json!(true))),
                    ])
                }),
            proptest::collection::vec(inner, 1..3).prop_map(|branches| json!({"anyOf": branches})),
        ]
    })
}

/// Every sub-schema node, in pre-order, as a pointer.
fn nodes(schema: &Value, pointer: String, out: &mut Vec<String>) {
    out.push(pointer.clone());
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            nodes(v, format!("{pointer}/properties/{k}"), out);
        }
    }
    if let Some(items) = schema.get("items") {
        nodes(items, format!("{pointer}/items"), out);
    }
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        for (i, b) in branches.iter().enumerate() {
            nodes(b, format!("{pointer}/anyOf/{i}"), out);
        }
    }
}

/// Applies one widening change to the node `at`: every value valid before stays valid.
fn widen_at(schema: &mut Value, at: &str, op: u8) {
    let Some(Value::Object(node)) = schema.pointer_mut(at) else {
        return;
    };
    const BOUNDS: [&str; 7] = [
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
    ];
    match op % 11 {
        0 => {
            if let Some(k) = BOUNDS.iter().find(|k| node.contains_key(**k)) {
                node.remove(*k);
            }
        }
        1 => {
            for k in BOUNDS {
                let lower = k.starts_with("min");
                if let Some(v) = node.get(k).and_then(Value::as_i64) {
                    let relaxed = if lower { (v - 1).max(0) } else { v + 1 };
                    node.insert(
                        k.to_string(),
                        json!(if k == "minimum" { v - 1 } else { relaxed }),
                    );
                }
            }
        }
        2 => {
            if let Some(Value::Array(required)) = node.get_mut("required") {
                required.pop();
            }
        }
        3 => {
            if let Some(Value::Array(values)) = node.get_mut("enum") {
                values.push(json!("new"));
            }
        }
        4 => {
            node.remove("enum");
        }
        5 => {
            node.remove("pattern");
            node.remove("format");
        }
        6 => {
            if node.contains_key("type") {
                node.insert("nullable".into(), json!(true));
            }
        }
        7 => {
            node.remove("additionalProperties");
        }
        8 => {
            if let Some(Value::Object(props)) = node.get_mut("properties") {
                props.entry("zz").or_insert(json!({"type": "string"}));
            }
        }
        9 => {
            node.remove("uniqueItems");
        }
        _ => {
            if let Some(Value::Array(branches)) = node.get_mut("anyOf") {
                branches.push(json!({"type": "boolean"}));
            }
        }
    }
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.level == Level::Err)
        .map(|f| f.message.clone())
        .collect()
}

/// Any JSON, to check that nothing panics on odd data.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5).prop_map(|n| json!(n)),
        prop_oneof![
            Just("type"),
            Just("string"),
            Just("#/definitions/x"),
            Just("#"),
            Just("object"),
            Just("null"),
            Just("properties"),
            Just("$ref"),
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("type"),
                    Just("properties"),
                    Just("items"),
                    Just("required"),
                    Just("enum"),
                    Just("$ref"),
                    Just("anyOf"),
                    Just("allOf"),
                    Just("definitions"),
                    Just("additionalProperties"),
                    Just("minimum"),
                    Just("default"),
                    Just("views"),
                    Just("fields"),
                    Just("x"),
                    Just("nullable"),
                ],
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    // A fixed seed: CI runs the same cases every time and a failure reproduces as is; no
    // regression files are written outside this module.
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5c4e_3a01),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_schema_compared_with_itself_has_no_findings(s in schema()) {
        prop_assert!(diff(&s, &s, Direction::Input, &config()).is_empty());
        prop_assert!(diff(&s, &s, Direction::Output, &config()).is_empty());
        prop_assert!(diff_input(&s, &s, &config()).is_empty());
        let dataset = json!({"actorSpecification": 1, "fields": s, "views": {}});
        prop_assert!(diff_dataset(&dataset, &dataset, &config()).is_empty());
    }

    #[test]
    fn widening_an_input_schema_never_yields_an_error(
        s in schema(),
        ops in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..4),
    ) {
        let mut widened = s.clone();
        for (node, op) in ops {
            let mut all = Vec::new();
            nodes(&widened, String::new(), &mut all);
            let at = all[node as usize % all.len()].clone();
            // The first of the changes, starting at `op`, that applies to this node.
            for k in 0..11u8 {
                let before = widened.clone();
                widen_at(&mut widened, &at, op.wrapping_add(k));
                if widened != before {
                    break;
                }
            }
        }
        let input = diff(&s, &widened, Direction::Input, &config());
        prop_assert!(errors(&input).is_empty(), "input: {:?}\n{s}\n{widened}", errors(&input));
        // The same change read backwards narrows an output schema: safe for readers.
        let output = diff(&widened, &s, Direction::Output, &config());
        prop_assert!(errors(&output).is_empty(), "output: {:?}\n{widened}\n{s}", errors(&output));
    }

    #[test]
    fn no_json_makes_the_engine_panic(a in any_json(), b in any_json()) {
        let _ = diff(&a, &b, Direction::Input, &config());
        let _ = diff(&a, &b, Direction::Output, &config());
        let _ = diff_input(&a, &b, &config());
        let _ = diff_dataset(&a, &b, &config());
        let _ = lint_input_schema(&a.to_string());
    }
}
