//! Actor input: validated against the Actor's own Apify input schema, with the schema's
//! defaults applied, as the platform does before a run starts. Errors name every bad field.

use serde_json::{Map, Value};
use std::fmt;

/// One problem with an input, located by its field path (`windowDays`, `thresholds/minRuns`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("the input schema itself is invalid: {0}")]
    BadSchema(String),
    #[error("invalid input: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

/// An Apify input schema (`.actor/input_schema.json`), compiled once.
pub struct InputSchema {
    schema: Value,
    validator: jsonschema::Validator,
}

impl fmt::Debug for InputSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputSchema").finish_non_exhaustive()
    }
}

impl InputSchema {
    pub fn parse(text: &str) -> Result<InputSchema, InputError> {
        let schema: Value =
            serde_json::from_str(text).map_err(|e| InputError::BadSchema(e.to_string()))?;
        let json_schema = to_json_schema(&schema);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&json_schema)
            .map_err(|e| InputError::BadSchema(e.to_string()))?;
        Ok(InputSchema { schema, validator })
    }

    /// Applies defaults and validates. `None` (no INPUT record) is an empty object.
    pub fn resolve(&self, input: Option<&Value>) -> Result<Value, InputError> {
        let mut value = match input {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v.clone(),
            Some(other) => {
                return Err(InputError::Invalid(vec![FieldError {
                    field: "(input)".into(),
                    message: format!("must be a JSON object, got {}", json_kind(other)),
                }]))
            }
        };
        apply_defaults(&self.schema, &mut value);
        let mut errors: Vec<FieldError> = self
            .validator
            .iter_errors(&value)
            .map(|e| {
                let path = e.instance_path().to_string();
                let field = path.trim_start_matches('/').to_string();
                FieldError {
                    field: if field.is_empty() {
                        missing_field(&e.to_string())
                    } else {
                        field
                    },
                    message: message_of(&e),
                }
            })
            .collect();
        // IDs and names that would change a URL, and fields that would redirect the client.
        errors.extend(crate::ids::reference_errors(&self.schema, &value));
        if errors.is_empty() {
            Ok(value)
        } else {
            // A property named "" is a field too: spelled as JSON spells it, not as nothing.
            for e in errors.iter_mut().filter(|e| e.field.is_empty()) {
                e.field = "\"\"".into();
            }
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            errors.dedup();
            Err(InputError::Invalid(errors))
        }
    }
}

/// Past this many characters of JSON a rejected value is described, not quoted: a 1 MB
/// string would make a 1 MB error that buries the field it is about.
const MAX_QUOTED_CHARS: usize = 200;

fn message_of(e: &jsonschema::ValidationError<'_>) -> String {
    let instance = e.instance();
    let long = match instance.as_ref() {
        Value::String(s) => s.len() > MAX_QUOTED_CHARS,
        v @ (Value::Array(_) | Value::Object(_)) => v.to_string().len() > MAX_QUOTED_CHARS,
        _ => false,
    };
    if !long {
        return e.to_string();
    }
    let described = match instance.as_ref() {
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(xs) => format!("an array of {} items", xs.len()),
        Value::Object(m) => format!("an object of {} properties", m.len()),
        _ => "the value".into(),
    };
    e.masked_with(described).to_string()
}

/// For a root-level error the field is inside the message: `"x" is a required property`,
/// `Additional properties are not allowed ('x' was unexpected)`.
fn missing_field(message: &str) -> String {
    // A property named "" is spelled as JSON spells it.
    let quoted = |q: char| {
        message.split(q).nth(1).map(|f| {
            if f.is_empty() {
                "\"\"".to_string()
            } else {
                f.to_string()
            }
        })
    };
    quoted('"')
        .or_else(|| quoted('\''))
        .unwrap_or_else(|| "(input)".into())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Top-level defaults, as the platform applies them: a missing property takes its default.
fn apply_defaults(schema: &Value, input: &mut Value) {
    let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        input.as_object_mut(),
    ) else {
        return;
    };
    for (name, prop) in props {
        if let Some(default) = prop.get("default") {
            obj.entry(name.clone()).or_insert_with(|| default.clone());
        }
    }
}

/// Apify input schemas are JSON Schema plus keywords of their own. `nullable: true` is the
/// one that changes validation: it becomes a type set with "null". The rest (`editor`,
/// `prefill`, `sectionCaption`, `isSecret`...) are ignored by validators, as they should be.
pub fn to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let v = match k.as_str() {
                    "properties" | "patternProperties" | "definitions" | "$defs" => match v {
                        Value::Object(props) => Value::Object(
                            props
                                .iter()
                                .map(|(pk, pv)| (pk.clone(), to_json_schema(pv)))
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    "items" | "additionalProperties" | "not" | "if" | "then" | "else" => {
                        to_json_schema(v)
                    }
                    "anyOf" | "oneOf" | "allOf" => match v {
                        Value::Array(xs) => Value::Array(xs.iter().map(to_json_schema).collect()),
                        other => other.clone(),
                    },
                    // Apify's schemaVersion and title are not JSON Schema keywords, harmless.
                    _ => v.clone(),
                };
                out.insert(k.clone(), v);
            }
            if out.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(t) = out.get("type").cloned() {
                    let mut types = match t {
                        Value::Array(xs) => xs,
                        other => vec![other],
                    };
                    if !types.contains(&Value::String("null".into())) {
                        types.push(Value::String("null".into()));
                    }
                    out.insert("type".into(), Value::Array(types));
                }
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    if !e.contains(&Value::Null) {
                        e.push(Value::Null);
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = r#"{
        "title": "t", "type": "object", "schemaVersion": 1,
        "properties": {
            "windowDays": {"title": "Window", "type": "integer", "minimum": 7, "maximum": 365, "default": 30, "editor": "number"},
            "asOf": {"title": "As of", "type": "string", "nullable": true, "editor": "datepicker"},
            "ack": {"title": "Ack", "type": "array", "items": {"type": "string"}, "default": [], "editor": "stringList"}
        },
        "required": ["windowDays"]
    }"#;

    #[test]
    fn defaults_are_applied_to_missing_fields_only() {
        let s = InputSchema::parse(SCHEMA).unwrap();
        assert_eq!(
            s.resolve(None).unwrap(),
            json!({"windowDays": 30, "ack": []})
        );
        assert_eq!(
            s.resolve(Some(&json!({"windowDays": 14}))).unwrap()["windowDays"],
            14
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let s = InputSchema::parse(SCHEMA).unwrap();
        let Err(InputError::Invalid(errors)) =
            s.resolve(Some(&json!({"windowDays": 3, "ack": [1], "asOf": 5})))
        else {
            panic!("expected an invalid input")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["ack/0", "asOf", "windowDays"]);
    }

    #[test]
    fn unexpected_properties_of_a_closed_schema_are_named() {
        let closed = r#"{"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}"#;
        let s = InputSchema::parse(closed).unwrap();
        let Err(InputError::Invalid(errors)) = s.resolve(Some(&json!({"a": "x", "legacy": 1})))
        else {
            panic!("expected an invalid input")
        };
        assert_eq!(errors[0].field, "legacy");
    }

    #[test]
    fn a_property_named_nothing_is_named_as_json_spells_it() {
        let closed = r#"{"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}"#;
        let s = InputSchema::parse(closed).unwrap();
        let Err(InputError::Invalid(errors)) = s.resolve(Some(&json!({"": 1}))) else {
            panic!("expected an invalid input")
        };
        assert_eq!(errors[0].field, "\"\"");
    }

    #[test]
    fn a_huge_value_is_described_not_quoted() {
        let s = InputSchema::parse(SCHEMA).unwrap();
        let huge = "x".repeat(1 << 20);
        let Err(InputError::Invalid(errors)) = s.resolve(Some(&json!({"windowDays": huge}))) else {
            panic!("expected an invalid input")
        };
        assert_eq!(errors[0].field, "windowDays");
        assert!(errors[0].message.len() < 200, "{}", errors[0].message);
        assert!(errors[0].message.contains("1048576 characters"));
    }

    #[test]
    fn nullable_accepts_null_and_non_objects_are_rejected() {
        let s = InputSchema::parse(SCHEMA).unwrap();
        assert!(s.resolve(Some(&json!({"asOf": null}))).is_ok());
        let err = s.resolve(Some(&json!([1]))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid input: (input): must be a JSON object, got an array"
        );
    }
}
