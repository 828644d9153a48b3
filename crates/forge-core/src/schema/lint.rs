//! Lint of one Apify input schema: Apify's own meta-schema first, then what the meta-schema
//! cannot say (defaults that fail their own property, secrets with values, credentials not
//! marked secret, editors that do not fit the type...).

use super::diff::field_path;
use super::normalize::short;
use super::rules::{rule, Direction};
use super::validate::{self, Prop};
use super::{sort_findings, Finding};
use serde_json::Value;
use std::sync::OnceLock;

/// Apify's official input-schema meta-schema (`https://apify.com/schemas/v1/input.json`).
const META_SCHEMA: &str = include_str!("../../data/apify-json-schemas/input.schema.json");
/// Bigger input schemas are a smell (and the platform has a hard limit).
const MAX_BYTES: usize = 100_000;
/// Meta-schema errors reported at most; past that the schema is broken enough.
const MAX_META_FINDINGS: usize = 50;

/// Lints the text of an input schema. Never panics: unreadable text is a finding.
pub fn lint_input_schema(text: &str) -> Vec<Finding> {
    let mut out = Lints::default();
    if text.len() > MAX_BYTES {
        let what = format!("the file is {} bytes, over {MAX_BYTES}", text.len());
        out.push("LINT-TOO-LARGE", "", None, what);
    }
    let schema: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.push("LINT-NOT-JSON", "", None, format!("not valid JSON: {e}"));
            return out.finish();
        }
    };
    meta_schema(&schema, &mut out);
    if schema.is_object() {
        own_lints(&schema, &mut out);
    }
    out.finish()
}

#[derive(Default)]
struct Lints(Vec<Finding>);

impl Lints {
    fn push(&mut self, id: &'static str, pointer: &str, value: Option<&Value>, message: String) {
        let level = rule(id).map_or(super::Level::Warn, |r| r.level(Direction::Input));
        let path = field_path(pointer);
        let shown = if path.is_empty() {
            "(root)"
        } else {
            path.as_str()
        };
        self.0.push(Finding {
            rule: id,
            level,
            pointer: pointer.to_string(),
            message: format!("{shown}: {message}"),
            path,
            before: None,
            after: value.cloned(),
        });
    }

    fn finish(mut self) -> Vec<Finding> {
        sort_findings(&mut self.0);
        self.0
    }
}

fn compiled_meta_schema() -> &'static Result<jsonschema::Validator, String> {
    static META: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    META.get_or_init(|| {
        let schema: Value = serde_json::from_str(META_SCHEMA).map_err(|e| e.to_string())?;
        // `unevaluatedProperties` in the meta-schema needs draft 2019-09.
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft201909)
            .build(&schema)
            .map_err(|e| e.to_string())
    })
}

fn meta_schema(schema: &Value, out: &mut Lints) {
    let validator = match compiled_meta_schema() {
        Ok(v) => v,
        Err(e) => {
            let what =
                format!("Apify's meta-schema could not be compiled, so it was not checked ({e})");
            out.push("LINT-META-SCHEMA", "", None, what);
            return;
        }
    };
    let mut errors: Vec<(String, String)> = validator
        .iter_errors(schema)
        .map(|e| (e.instance_path().to_string(), e.masked().to_string()))
        .collect();
    errors.sort();
    errors.dedup();
    let total = errors.len();
    for (pointer, message) in errors.into_iter().take(MAX_META_FINDINGS) {
        let message = if message.contains("oneOf") {
            // The property matched none of Apify's property kinds; our lints below say why.
            "does not match any Apify property kind (string, enum, array, object, integer, number, boolean, resource, any): check its type and editor, its title and description, and keywords that kind does not allow".to_string()
        } else {
            message
        };
        out.push("LINT-META-SCHEMA", &pointer, None, message);
    }
    if total > MAX_META_FINDINGS {
        let what = format!(
            "{} more meta-schema errors not shown",
            total - MAX_META_FINDINGS
        );
        out.push("LINT-META-SCHEMA", "", None, what);
    }
}

fn own_lints(root: &Value, out: &mut Lints) {
    docs(root, "", true, out);
    unknown_required(root, "", out);
    for prop in validate::properties(root) {
        if !prop.schema.is_object() {
            continue;
        }
        docs(prop.schema, &prop.pointer, false, out);
        editor(&prop, out);
        secrets(&prop, out);
        values(&prop, root, out);
        unknown_required(prop.schema, &prop.pointer, out);
    }
}

fn docs(schema: &Value, pointer: &str, is_root: bool, out: &mut Lints) {
    let missing: Vec<&str> = ["title", "description"]
        .into_iter()
        .filter(|k| {
            schema
                .get(*k)
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    let what = if is_root {
        "the schema"
    } else {
        "the property"
    };
    let message = format!("{what} has no {}", missing.join(" and no "));
    out.push("LINT-DOCS-MISSING", pointer, None, message);
}

fn unknown_required(schema: &Value, pointer: &str, out: &mut Lints) {
    let Some(required) = schema.get("required").and_then(Value::as_array) else {
        return;
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    for name in required.iter().filter_map(Value::as_str) {
        if !properties.is_some_and(|p| p.contains_key(name)) {
            let message = format!("`{name}` is required but no property declares it");
            out.push(
                "LINT-REQUIRED-UNKNOWN",
                &format!("{pointer}/required"),
                None,
                message,
            );
        }
    }
}

/// Which types each Apify editor can render (Apify's input-schema spec, §9.2 of our notes).
fn editor_types(editor: &str) -> Option<&'static [&'static str]> {
    Some(match editor {
        "json" | "hidden" => &["string", "array", "object", "integer", "number", "boolean"],
        "textfield" | "textarea" | "javascript" | "python" | "datepicker" => &["string"],
        "select" | "fileupload" | "resourcePicker" => &["string", "array"],
        "requestListSources" | "pseudoUrls" | "globs" | "keyValue" | "stringList" => &["array"],
        "schemaBased" => &["array", "object"],
        "proxy" => &["object"],
        "number" => &["integer", "number"],
        "checkbox" => &["boolean"],
        _ => return None,
    })
}

fn editor(prop: &Prop, out: &mut Lints) {
    let Some(editor) = prop.schema.get("editor").and_then(Value::as_str) else {
        return;
    };
    let types: Vec<&str> = match prop.schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => return,
    };
    let pointer = format!("{}/editor", prop.pointer);
    let value = prop.schema.get("editor");
    let Some(allowed) = editor_types(editor) else {
        out.push(
            "LINT-EDITOR-MISMATCH",
            &pointer,
            value,
            format!("unknown editor {editor:?}"),
        );
        return;
    };
    // A property of several types (Apify's "any") can only use a generic editor.
    let fits = if types.len() > 1 {
        matches!(editor, "json" | "hidden")
    } else {
        types.iter().all(|t| allowed.contains(t))
    };
    if !fits {
        let message = format!("editor {editor:?} does not fit type {}", types.join("|"));
        out.push("LINT-EDITOR-MISMATCH", &pointer, value, message);
    }
}

fn secrets(prop: &Prop, out: &mut Lints) {
    let is_secret = prop.schema.get("isSecret") == Some(&Value::Bool(true));
    if is_secret {
        for keyword in ["default", "prefill"] {
            if let Some(v) = prop.schema.get(keyword) {
                let pointer = format!("{}/{keyword}", prop.pointer);
                // The value itself is not repeated: it may be a real credential.
                out.push(
                    "LINT-SECRET-WITH-VALUE",
                    &pointer,
                    None,
                    format!(
                        "secret property has a {keyword} ({} characters)",
                        v.to_string().len()
                    ),
                );
            }
        }
        return;
    }
    let can_be_secret = match prop.schema.get("type") {
        Some(Value::String(t)) => matches!(t.as_str(), "string" | "object" | "array"),
        None => true,
        Some(_) => false,
    };
    if can_be_secret && looks_like_credential(prop.name) {
        let name = prop.name;
        let message = if prop.nested {
            // Apify's sub-schemas do not allow `isSecret`: the fix is to move the field up.
            format!("`{name}` looks like a credential, and sub-properties cannot be `isSecret`: make it a top-level secret property")
        } else {
            format!("`{name}` looks like a credential but is not `isSecret`")
        };
        out.push("LINT-SECRET-NOT-MARKED", &prop.pointer, None, message);
    }
}

fn values(prop: &Prop, root: &Value, out: &mut Lints) {
    let is_secret = prop.schema.get("isSecret") == Some(&Value::Bool(true));
    if prop.required && prop.schema.get("default").is_some() {
        let pointer = format!("{}/default", prop.pointer);
        let value = prop.schema.get("default").filter(|_| !is_secret);
        out.push(
            "LINT-REQUIRED-WITH-DEFAULT",
            &pointer,
            value,
            "required property has a default".into(),
        );
    }
    let validator = match validate::compile(prop.schema, root) {
        Ok(v) => v,
        Err(e) => {
            out.push(
                "LINT-SCHEMA-UNCOMPILABLE",
                &prop.pointer,
                None,
                format!("cannot be compiled: {e}"),
            );
            return;
        }
    };
    for (keyword, id) in [
        ("default", "LINT-DEFAULT-INVALID"),
        ("prefill", "LINT-PREFILL-INVALID"),
    ] {
        let Some(value) = prop.schema.get(keyword) else {
            continue;
        };
        if let Some(reason) = validate::violation(&validator, value) {
            let pointer = format!("{}/{keyword}", prop.pointer);
            let shown = if is_secret {
                "(secret)".to_string()
            } else {
                short(value)
            };
            let message = format!("{keyword} {shown} does not validate: {reason}");
            out.push(id, &pointer, (!is_secret).then_some(value), message);
        }
    }
}

/// Whether a property name reads like a credential: `apiKey`, `api_key`, `password`,
/// `sessionCookies`, `authToken`, `userSession`... but not `author` or `tokenizer`.
pub(crate) fn looks_like_credential(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "token",
        "tokens",
        "secret",
        "secrets",
        "cookie",
        "cookies",
        "apikey",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "bearer",
        "jwt",
        "privatekey",
        "accesskey",
    ];
    const PAIRS: &[(&str, &str)] = &[
        ("api", "key"),
        ("private", "key"),
        ("access", "key"),
        ("secret", "key"),
        ("session", "id"),
        ("session", "token"),
        ("client", "secret"),
    ];
    let words = split_words(name);
    words.iter().any(|w| WORDS.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|p| PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
        || words.last().is_some_and(|w| w == "session")
}

/// `openaiApiKey` → [openai, api, key]; `API_KEY` → [api, key]; `APIKey` → [api, key].
pub(crate) fn split_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| chars.get(p));
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests;
