use super::*;
use crate::schema::Level;
use serde_json::json;

fn schema(properties: Value, required: Value) -> String {
    json!({"title": "Scraper", "description": "Scrapes pages.", "type": "object",
        "schemaVersion": 1, "properties": properties, "required": required})
    .to_string()
}

/// (rule, level, path) of each finding.
fn summary(findings: &[Finding]) -> Vec<(&'static str, Level, String)> {
    findings
        .iter()
        .map(|f| (f.rule, f.level, f.path.clone()))
        .collect()
}

fn string_prop(extra: Value) -> Value {
    let mut p = json!({"title": "T", "description": "D", "type": "string", "editor": "textfield"});
    if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(extra.clone());
    }
    p
}

#[test]
fn apify_meta_schema_compiles() {
    assert!(
        compiled_meta_schema().is_ok(),
        "{:?}",
        compiled_meta_schema().as_ref().err()
    );
}

#[test]
fn a_clean_schema_has_no_findings() {
    let text = schema(
        json!({
            "startUrls": {"title": "Start URLs", "description": "Pages to start from.", "type": "array",
                "editor": "requestListSources", "prefill": [{"url": "https://apify.com"}]},
            "maxItems": {"title": "Max items", "description": "Stop after this many.", "type": "integer",
                "editor": "number", "minimum": 1, "default": 100},
            "apiKey": {"title": "API key", "description": "Your key.", "type": "string",
                "editor": "textfield", "isSecret": true},
            "proxy": {"title": "Proxy", "description": "Proxy settings.", "type": "object",
                "editor": "proxy", "prefill": {"useApifyProxy": true}}
        }),
        json!(["startUrls"]),
    );
    assert_eq!(summary(&lint_input_schema(&text)), []);
}

#[test]
fn text_that_is_not_json_is_one_finding() {
    for text in ["", "{", "{\"title\": }", "\u{0}\u{1}", "[1, 2"] {
        let found = lint_input_schema(text);
        assert_eq!(
            summary(&found),
            [("LINT-NOT-JSON", Level::Err, "".into())],
            "{text:?}"
        );
        assert!(found[0].message.starts_with("(root): not valid JSON: "));
    }
}

#[test]
fn meta_schema_violations_are_located() {
    let text =
        json!({"title": "S", "description": "D", "type": "object", "properties": {}}).to_string();
    let found = lint_input_schema(&text);
    assert_eq!(
        summary(&found),
        [("LINT-META-SCHEMA", Level::Err, "".into())]
    );
    assert!(
        found[0].message.contains("schemaVersion"),
        "{}",
        found[0].message
    );

    let text = schema(
        json!({"x": {"title": "X", "description": "D", "type": "date"}}),
        json!([]),
    );
    let found = lint_input_schema(&text);
    assert!(found
        .iter()
        .any(|f| f.rule == "LINT-META-SCHEMA" && f.pointer == "/properties/x"));
}

#[test]
fn non_object_json_is_checked_against_the_meta_schema_only() {
    for text in ["[]", "3", "null", "\"s\""] {
        let found = lint_input_schema(text);
        assert!(
            !found.is_empty() && found.iter().all(|f| f.rule == "LINT-META-SCHEMA"),
            "{text}"
        );
    }
}

#[test]
fn default_and_prefill_must_validate_against_their_property() {
    let text = schema(
        json!({
            "maxItems": {"title": "M", "description": "D", "type": "integer", "editor": "number",
                "maximum": 10, "default": 50},
            "mode": {"title": "M", "description": "D", "type": "string", "editor": "select",
                "enum": ["a", "b"], "prefill": "c"}
        }),
        json!([]),
    );
    let found = lint_input_schema(&text);
    let ours: Vec<_> = summary(&found)
        .into_iter()
        .filter(|f| f.0 != "LINT-META-SCHEMA")
        .collect();
    assert_eq!(
        ours,
        [
            ("LINT-DEFAULT-INVALID", Level::Err, "maxItems".into()),
            ("LINT-PREFILL-INVALID", Level::Err, "mode".into())
        ]
    );
}

#[test]
fn required_property_with_a_default_is_a_warning() {
    let text = schema(
        json!({"q": string_prop(json!({"default": "x"}))}),
        json!(["q"]),
    );
    assert_eq!(
        summary(&lint_input_schema(&text)),
        [("LINT-REQUIRED-WITH-DEFAULT", Level::Warn, "q".into())]
    );
}

#[test]
fn secret_with_a_default_is_an_error_and_the_value_is_not_repeated() {
    let text = schema(
        json!({"apiKey": string_prop(json!({"isSecret": true, "default": "sk-live-123"}))}),
        json!([]),
    );
    let found = lint_input_schema(&text);
    // Apify's meta-schema refuses it too; ours says why.
    assert_eq!(
        summary(&found),
        [
            ("LINT-META-SCHEMA", Level::Err, "apiKey".into()),
            ("LINT-SECRET-WITH-VALUE", Level::Err, "apiKey".into())
        ]
    );
    let shown = serde_json::to_string(&found).unwrap();
    assert!(!shown.contains("sk-live-123"), "{shown}");
}

#[test]
fn credential_named_property_without_is_secret_is_a_warning() {
    let text = schema(
        json!({
            "openaiApiKey": string_prop(json!({})),
            "sessionCookies": {"title": "C", "description": "D", "type": "array", "editor": "json"},
            "maxTokens": {"title": "T", "description": "D", "type": "integer", "editor": "number"},
            "authorName": string_prop(json!({}))
        }),
        json!([]),
    );
    assert_eq!(
        summary(&lint_input_schema(&text)),
        [
            ("LINT-SECRET-NOT-MARKED", Level::Warn, "openaiApiKey".into()),
            (
                "LINT-SECRET-NOT-MARKED",
                Level::Warn,
                "sessionCookies".into()
            )
        ]
    );
}

#[test]
fn credential_names_are_recognised_by_words() {
    for name in [
        "apiKey",
        "api_key",
        "APIKEY",
        "APIKey",
        "password",
        "userPassword",
        "authToken",
        "auth",
        "cookie",
        "sessionCookies",
        "userSession",
        "session_id",
        "clientSecret",
        "bearerToken",
        "privateKey",
        "x-api-key",
    ] {
        assert!(looks_like_credential(name), "{name}");
    }
    for name in [
        "author",
        "authorName",
        "tokenizer",
        "maxItems",
        "sessionPoolName",
        "keyword",
        "monkey",
    ] {
        assert!(!looks_like_credential(name), "{name}");
    }
}

#[test]
fn missing_title_and_description_are_reported() {
    let text = schema(
        json!({"q": {"type": "string", "editor": "textfield"}}),
        json!([]),
    );
    let found = lint_input_schema(&text);
    let docs: Vec<&Finding> = found
        .iter()
        .filter(|f| f.rule == "LINT-DOCS-MISSING")
        .collect();
    assert_eq!(docs.len(), 1);
    assert_eq!(
        docs[0].message,
        "q: the property has no title and no description"
    );
}

#[test]
fn editors_must_fit_the_type() {
    let p = |t: &str, editor: &str| json!({"title": "T", "description": "D", "type": t, "editor": editor});
    let text = schema(
        json!({
            "a": p("string", "number"),
            "b": p("string", "stringList"),
            "c": p("object", "requestListSources"),
            "d": p("array", "proxy"),
            "e": p("integer", "datepicker"),
            "f": p("boolean", "textfield"),
            "g": p("string", "wysiwyg"),
            "ok1": p("object", "json"),
            "ok2": p("array", "stringList"),
            "ok3": p("integer", "number"),
            "ok4": p("boolean", "checkbox"),
            "ok5": p("string", "datepicker")
        }),
        json!([]),
    );
    let mismatched: Vec<String> = lint_input_schema(&text)
        .into_iter()
        .filter(|f| f.rule == "LINT-EDITOR-MISMATCH")
        .map(|f| f.path)
        .collect();
    assert_eq!(mismatched, ["a", "b", "c", "d", "e", "f", "g"]);
}

#[test]
fn required_names_must_exist() {
    let text = schema(json!({"q": string_prop(json!({}))}), json!(["q", "ghost"]));
    let found = lint_input_schema(&text);
    let unknown: Vec<&Finding> = found
        .iter()
        .filter(|f| f.rule == "LINT-REQUIRED-UNKNOWN")
        .collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].pointer, "/required");
    assert!(unknown[0].message.contains("`ghost`"));
}

#[test]
fn an_invalid_regex_is_reported_as_uncompilable() {
    let text = schema(
        json!({"q": string_prop(json!({"pattern": "(("}))}),
        json!([]),
    );
    let found = lint_input_schema(&text);
    assert!(
        found
            .iter()
            .any(|f| f.rule == "LINT-SCHEMA-UNCOMPILABLE" && f.path == "q"),
        "{found:?}"
    );
}

#[test]
fn a_file_over_100_kb_is_a_warning() {
    let long = "x".repeat(MAX_BYTES);
    let text = schema(
        json!({"q": string_prop(json!({"description": long}))}),
        json!([]),
    );
    assert_eq!(
        summary(&lint_input_schema(&text)),
        [("LINT-TOO-LARGE", Level::Warn, "".into())]
    );
}

#[test]
fn nested_properties_are_linted_too() {
    let text = schema(
        json!({"login": {"title": "Login", "description": "D", "type": "object", "editor": "schemaBased",
            "properties": {"password": {"title": "P", "description": "D", "type": "string", "editor": "textfield"}}}}),
        json!([]),
    );
    let found = lint_input_schema(&text);
    assert!(
        found
            .iter()
            .any(|f| f.rule == "LINT-SECRET-NOT-MARKED" && f.path == "login.password"),
        "{found:?}"
    );
}
