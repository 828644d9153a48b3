//! Checking a value (a default, a prefill) against its own property, as the platform would:
//! Apify's `nullable` folded in, the document's definitions reachable, draft 7.

use super::normalize::escape;
use crate::input::to_json_schema;
use serde_json::{Map, Value};

/// One property of an input schema, top-level or nested under an object property.
pub(crate) struct Prop<'a> {
    pub name: &'a str,
    pub pointer: String,
    pub path: String,
    pub schema: &'a Value,
    pub required: bool,
    /// Under an object property: Apify's sub-schemas allow fewer keywords (no `isSecret`).
    pub nested: bool,
}

/// Every property of `root`, depth first, in document order.
pub(crate) fn properties(root: &Value) -> Vec<Prop<'_>> {
    let mut out = Vec::new();
    collect(root, "", "", false, &mut out);
    out
}

fn collect<'a>(node: &'a Value, pointer: &str, path: &str, nested: bool, out: &mut Vec<Prop<'a>>) {
    let Some(props) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, schema) in props {
        let pointer = format!("{pointer}/properties/{}", escape(name));
        let path = join(path, name);
        out.push(Prop {
            name,
            pointer: pointer.clone(),
            path: path.clone(),
            schema,
            required: required.contains(&name.as_str()),
            nested,
        });
        collect(schema, &pointer, &path, true, out);
    }
}

pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Compiles one property's schema; `root`'s definitions are copied in so that local
/// `#/definitions/...` references still resolve.
pub(crate) fn compile(property: &Value, root: &Value) -> Result<jsonschema::Validator, String> {
    let mut schema = to_json_schema(property);
    if let Value::Object(map) = &mut schema {
        for key in ["definitions", "$defs"] {
            if map.contains_key(key) {
                continue;
            }
            if let Some(defs) = root.get(key) {
                let wrapped = to_json_schema(&Value::Object(Map::from_iter([(
                    key.to_string(),
                    defs.clone(),
                )])));
                if let Some(converted) = wrapped.get(key) {
                    map.insert(key.to_string(), converted.clone());
                }
            }
        }
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .map_err(|e| e.to_string())
}

/// Why `value` fails `validator` (the first three reasons), or `None` when it passes.
pub(crate) fn violation(validator: &jsonschema::Validator, value: &Value) -> Option<String> {
    let reasons: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            let text = e.masked().to_string();
            if at.is_empty() {
                text
            } else {
                format!("at {at}: {text}")
            }
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_properties_are_listed_with_paths_and_requiredness() {
        let root = json!({"required": ["a"], "properties": {
            "a": {"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}}},
            "c": {"type": "integer"}
        }});
        let props: Vec<(String, String, bool)> = properties(&root)
            .into_iter()
            .map(|p| (p.path, p.pointer, p.required))
            .collect();
        assert_eq!(
            props,
            [
                ("a".into(), "/properties/a".into(), true),
                ("a.b".into(), "/properties/a/properties/b".into(), true),
                ("c".into(), "/properties/c".into(), false),
            ]
        );
    }

    #[test]
    fn values_are_checked_with_nullable_and_root_definitions() {
        let root = json!({"definitions": {"n": {"type": "integer", "minimum": 1}}});
        let v = compile(&json!({"$ref": "#/definitions/n"}), &root).unwrap();
        assert!(violation(&v, &json!(3)).is_none());
        assert!(violation(&v, &json!(0)).is_some());
        let v = compile(&json!({"type": "string", "nullable": true}), &root).unwrap();
        assert!(violation(&v, &Value::Null).is_none());
        assert!(compile(&json!({"type": "string", "pattern": "(("}), &root).is_err());
    }
}
