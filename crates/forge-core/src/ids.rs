//! Apify resource references, checked before they reach a URL: resource IDs, actor names,
//! usernames, build numbers and tags, key-value record keys, each by the platform's own rule
//! (`@apify/consts`: `APIFY_ID_REGEX`, `USERNAME.REGEX`, `ACTOR_NAME` with
//! `DNS_SAFE_NAME_REGEX`, `KEY_VALUE_STORE_KEY_REGEX`). A value that fails is refused with an
//! error naming its field, before any request: `../`, `%2e%2e`, `?`, `#`, whitespace or a URL
//! in an ID would otherwise change which endpoint, or which host, a request goes to.
//!
//! Messages never quote the rejected value: a token pasted into the wrong field must not end
//! up in a log or a status message.
//!
//! **Unknown top-level input fields** are ignored, as the platform ignores them: a saved task
//! or schedule keeps fields a later version dropped, and an orchestrator hands one common
//! input to several tools. The exception is a field that would redirect the client or carry a
//! credential (its name says URL, host, endpoint, proxy, server, token or API key, or its
//! value is a URL): it is refused naming the field, because whoever wrote it expects it to
//! change where requests go or how they authenticate, and it never does: the API address
//! comes only from the run's environment (`APIFY_API_BASE_URL`), the token only from
//! `APIFY_TOKEN`.

use crate::input::FieldError;
use serde_json::Value;

/// Why a reference was refused. The value itself is never part of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("is empty")]
    Empty,
    #[error("is {0} characters long, more than the {1} the platform allows")]
    TooLong(usize, usize),
    #[error("contains {0}, which would change the request's URL or path")]
    Unsafe(&'static str),
    #[error("is not {0}")]
    Shape(&'static str),
}

/// An Apify resource ID: 17 letters and digits.
pub fn check_resource_id(s: &str) -> Result<(), RefError> {
    unsafe_part(s)?;
    if s.len() == 17 && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(RefError::Shape("an ID (17 letters and digits)"))
    }
}

/// An actor name: 3 to 63 letters, digits and dashes, not starting or ending with a dash.
pub fn check_actor_name(s: &str) -> Result<(), RefError> {
    unsafe_part(s)?;
    let ok = (3..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(RefError::Shape(
            "an actor name (3 to 63 letters, digits and dashes, not starting or ending with a dash)",
        ))
    }
}

/// A username: 3 to 30 letters, digits, dots, underscores or dashes (not dots alone).
pub fn check_username(s: &str) -> Result<(), RefError> {
    unsafe_part(s)?;
    let ok = (3..=30).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && s.bytes().any(|b| b != b'.');
    if ok {
        Ok(())
    } else {
        Err(RefError::Shape(
            "a username (3 to 30 letters, digits, dots, underscores or dashes)",
        ))
    }
}

/// What a person types for an actor, and what the API takes: an ID, a name (one of the
/// token owner's), `username/name`, `username~name` or `~name`.
pub fn check_actor_ref(s: &str) -> Result<(), RefError> {
    unsafe_part(s)?;
    let (owner, name) = match s.find(['/', '~']) {
        Some(i) => (Some(&s[..i]), &s[i + 1..]),
        None => (None, s),
    };
    match owner {
        // `~name`: the token owner's actor.
        Some("") => {}
        Some(owner) => check_username(owner).map_err(|_| {
            RefError::Shape("an actor ID, a name or username/name (the username part is not valid)")
        })?,
        None if check_resource_id(name).is_ok() => return Ok(()),
        None => {}
    }
    check_actor_name(name).map_err(|_| RefError::Shape("an actor ID, a name or username/name"))
}

/// A build as a run or a comparison names it: a build number (`1.2.3`, `1.2`), a tag
/// (`latest`, `beta`: up to 30 letters, digits, dots, dashes, underscores) or a build ID.
pub fn check_build_ref(s: &str) -> Result<(), RefError> {
    unsafe_part(s)?;
    let ok = (1..=30).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && s.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(RefError::Shape(
            "a build number, tag or ID (letters, digits, dots, dashes, underscores; at most 30)",
        ))
    }
}

/// A key-value record key: 1 to 256 of `a-zA-Z0-9!-_.'()`. Apify's rule admits `.` and
/// `..`, which a URL or a file path would read as a directory step; they are refused too.
pub fn check_record_key(s: &str) -> Result<(), RefError> {
    if s.is_empty() {
        return Err(RefError::Empty);
    }
    if s.len() > 256 {
        return Err(RefError::TooLong(s.len(), 256));
    }
    if s == "." || s == ".." {
        return Err(RefError::Unsafe("only dots (a directory step)"));
    }
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!-_.'()".contains(&b))
    {
        Ok(())
    } else {
        unsafe_part(s)?;
        Err(RefError::Shape(
            "a record key (letters, digits and !-_.'() only)",
        ))
    }
}

/// The parts of a string that would change a URL it is put in, named for the error.
fn unsafe_part(s: &str) -> Result<(), RefError> {
    if s.is_empty() {
        return Err(RefError::Empty);
    }
    if s.len() > 300 {
        return Err(RefError::TooLong(s.len(), 300));
    }
    let lower = s.to_ascii_lowercase();
    let found = if lower.contains("://") {
        "a URL"
    } else if s.contains("..") || lower.contains("%2e") {
        "a directory step (`..` or `%2e`)"
    } else if s.contains('%') {
        "a percent-escape"
    } else if s.contains('?') {
        "`?`"
    } else if s.contains('#') {
        "`#`"
    } else if s.contains('\\') {
        "`\\`"
    } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "whitespace or a control character"
    } else if s.matches(['/', '~']).count() > 1 {
        "more than one `/` or `~`"
    } else {
        return Ok(());
    };
    Err(RefError::Unsafe(found))
}

/// What each reference field of the tools' inputs holds, by its path from the top level.
/// The names mean the same in every tool that has them.
const ACTOR_REF_FIELDS: &[&str] = &["actor"];
const ACTOR_REF_LISTS: &[&str] = &["actors"];
const BUILD_REF_FIELDS: &[&str] = &["candidateBuild", "baselineBuild"];
/// Objects with an `actor` and a `build` of their own (ab-tester's variants).
const VARIANT_FIELDS: &[&str] = &["variantA", "variantB"];
/// Lists of objects with an `actor` (quality-monitor's probes).
const ACTOR_OBJECT_LISTS: &[&str] = &["probes"];
const USERNAME_FIELDS: &[&str] = &["specialistsOwner"];

/// Words in an unknown field's name that say it would redirect the client or authenticate it.
const REDIRECT_WORDS: &[&str] = &[
    "url", "host", "endpoint", "proxy", "server", "token", "apikey", "origin",
];

/// Every reference in `input` that fails its rule, and every unknown top-level field that
/// would redirect the client (see the module docs), each naming its field. `schema` is the
/// tool's Apify input schema; its `properties` are the known fields. Fields of the wrong type
/// are left to the schema's own validation.
pub fn reference_errors(schema: &Value, input: &Value) -> Vec<FieldError> {
    let Some(obj) = input.as_object() else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let mut check = |field: String, value: &Value, rule: fn(&str) -> Result<(), RefError>| {
        if let Some(s) = value.as_str() {
            if let Err(e) = rule(s) {
                errors.push(FieldError {
                    field,
                    message: format!("refused: the value {e}"),
                });
            }
        }
    };
    let items = |v: &Value| v.as_array().cloned().unwrap_or_default();
    for f in ACTOR_REF_FIELDS {
        if let Some(v) = obj.get(*f) {
            check(f.to_string(), v, check_actor_ref);
        }
    }
    for f in ACTOR_REF_LISTS {
        for (i, v) in obj
            .get(*f)
            .map(items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            check(format!("{f}[{i}]"), v, check_actor_ref);
        }
    }
    for f in BUILD_REF_FIELDS {
        if let Some(v) = obj.get(*f) {
            check(f.to_string(), v, check_build_ref);
        }
    }
    for f in VARIANT_FIELDS {
        if let Some(v) = obj.get(*f) {
            check(format!("{f}.actor"), &v["actor"], check_actor_ref);
            check(format!("{f}.build"), &v["build"], check_build_ref);
        }
    }
    for f in ACTOR_OBJECT_LISTS {
        for (i, v) in obj
            .get(*f)
            .map(items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            check(format!("{f}[{i}].actor"), &v["actor"], check_actor_ref);
        }
    }
    for f in USERNAME_FIELDS {
        if let Some(v) = obj.get(*f) {
            check(f.to_string(), v, check_username);
        }
    }
    let known = schema.get("properties").and_then(Value::as_object);
    for (name, value) in obj {
        if known.is_some_and(|k| k.contains_key(name)) {
            continue;
        }
        let squashed: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let by_name = REDIRECT_WORDS.iter().any(|w| squashed.contains(w));
        let by_value = value
            .as_str()
            .is_some_and(|s| s.to_ascii_lowercase().contains("://"));
        if by_name || by_value {
            errors.push(FieldError {
                field: name.clone(),
                message: "refused: not an input of this Actor, and requests never go where an \
                          input says: the API address comes only from the run's environment \
                          (APIFY_API_BASE_URL) and the token only from APIFY_TOKEN. Remove the \
                          field."
                    .into(),
            });
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BAD: &[&str] = &[
        "",
        "../../users/me",
        "%2e%2e",
        "%2E%2E%2Fusers",
        "a/b/c",
        "abc?token=x",
        "abc#frag",
        "my actor",
        "name\n",
        "http://127.0.0.1:9/v2/actors",
        "https://evil.example",
        "user~a~b",
        "a\\b",
    ];

    #[test]
    fn actor_references_follow_the_platform_rules() {
        for ok in [
            "AbCdEfGhIjKlMnOpQ",
            "my-actor",
            "web-scraper-2",
            "janedoe/my-actor",
            "jane.doe_1~my-actor",
            "~my-actor",
        ] {
            assert_eq!(check_actor_ref(ok), Ok(()), "{ok}");
        }
        for bad in BAD
            .iter()
            .chain(&["-lead", "ab", "x".repeat(64).as_str(), "me/"])
        {
            assert!(check_actor_ref(bad).is_err(), "{bad:?}");
        }
        assert!(check_username("...").is_err());
        assert!(check_username("apifyforge").is_ok());
    }

    #[test]
    fn builds_and_keys() {
        for ok in ["1.2.3", "0.1", "latest", "beta-2", "AbCdEfGhIjKlMnOpQ"] {
            assert_eq!(check_build_ref(ok), Ok(()), "{ok}");
        }
        for bad in BAD.iter().chain(&[".x", "1.2.3?x=1"]) {
            assert!(check_build_ref(bad).is_err(), "{bad:?}");
        }
        for ok in ["INPUT", "OUTPUT", "SNAPSHOT-abc123", "a!b'(c)_d.e-f"] {
            assert_eq!(check_record_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", ".", "..", "../INPUT", "a/b", "a b", "a%2fb", "k?x", "k#x",
        ] {
            assert!(check_record_key(bad).is_err(), "{bad:?}");
        }
        assert!(check_record_key(&"k".repeat(257)).is_err());
    }

    #[test]
    fn messages_never_quote_the_value() {
        let secret = "apify_api_SECRETSECRETSECRET";
        for rule in [
            check_actor_ref,
            check_build_ref,
            check_username,
            check_record_key,
            check_resource_id,
        ] {
            let e = rule(&format!("{secret}?x")).unwrap_err();
            assert!(!e.to_string().contains("SECRET"), "{e}");
        }
    }

    #[test]
    fn every_reference_field_is_named() {
        let schema = json!({"properties": {
            "actor": {}, "actors": {}, "variantA": {}, "probes": {}, "specialistsOwner": {},
            "candidateBuild": {}, "notify": {}
        }});
        let input = json!({
            "actor": "../x",
            "actors": ["ok-actor", "a?b"],
            "variantA": {"actor": "jane/ok-actor", "build": "1.0.0#x"},
            "probes": [{"actor": "https://x.example"}],
            "specialistsOwner": "me/../x",
            "candidateBuild": "latest",
            "notify": "https://hooks.example/x",
            "apiBaseUrl": "http://127.0.0.1:1",
            "Proxy_URL": 5,
            "somethingElse": "ftp://x",
            "windowdays": 7,
        });
        let mut fields: Vec<String> = reference_errors(&schema, &input)
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "Proxy_URL",
                "actor",
                "actors[1]",
                "apiBaseUrl",
                "probes[0].actor",
                "somethingElse",
                "specialistsOwner",
                "variantA.build",
            ]
        );
        // Unknown fields that redirect nothing are ignored; known ones are the schema's.
        assert!(reference_errors(&schema, &json!({"windowdays": 7, "notify": "x"})).is_empty());
    }
}
