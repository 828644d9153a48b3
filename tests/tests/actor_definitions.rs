//! Actor definition files must be valid by Apify's own rules.
//!
//! Every `actors/*/.actor/` directory in the workspace is found at run time, and each definition
//! file in it is validated against the official JSON Schema that Apify's tooling uses, from the
//! npm package `@apify/json_schemas` (vendored, unchanged, by `scripts/vendor-apify-schemas.sh`
//! into `crates/forge-core/data/apify-json-schemas/`, with its provenance in `SOURCE.json`):
//!
//! * `actor.json` against `actor.schema.json`;
//! * the input schema (`input`/`inputSchema` in `actor.json`, else `input_schema.json`) against
//!   `input.schema.json`, the input schema meta-schema;
//! * dataset schemas (`storages.dataset`, `storages.datasets.*`, else `dataset_schema.json`)
//!   against `dataset.schema.json`, whose `fields` must in turn be a draft-07 schema;
//! * output schemas (`output`/`outputSchema`, else `output_schema.json`) against
//!   `output.schema.json`;
//! * key-value store schemas (`storages.keyValueStore`, else `key_value_store_schema.json`)
//!   against `key_value_store.schema.json`.
//!
//! As in the package's `src/validations.js` (Ajv2019 over the same files), the schemas are
//! evaluated as draft 2019-09, and their cross-file `$ref`s (actor -> dataset, key-value store,
//! output; dataset and key-value store -> the draft-07 meta-schema) resolve to the vendored files
//! through a registry keyed by each file's `$id`. Nothing is fetched: the test runs offline on a
//! fresh clone. Formats (`regex`, `uri`, ...) are checked too.
//!
//! Paths in `actor.json` (`input`, storages, `output`, `dockerfile`, `dockerContextDir`,
//! `readme`, `changelog`, `webServerSchema`) are resolved relative to the `.actor` directory
//! and must exist. Every Actor needs an input schema, and no `.json` file in `.actor/` may be
//! left unvalidated.
//!
//! All violations (file, instance path, message) are collected and printed before the test
//! fails. The test also asserts it found at least one Actor and validated at least
//! [`MIN_FILES`] files, so it cannot pass vacuously; the `*_rejected` tests prove the same
//! validators reject broken definitions.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{json, Value};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const SCHEMA_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/forge-core/data/apify-json-schemas"
);

/// Files the workspace's Actors have today (fleet-analytics: actor, input and dataset schema).
/// Lower it only when definition files are deliberately removed.
const MIN_FILES: usize = 3;

/// The draft-07 meta-schema the dataset and key-value store schemas `$ref`.
const DRAFT_07_FILE: &str = "json-schema-draft-07.json";
const DRAFT_07_ID: &str = "http://json-schema.org/draft-07/schema#";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Actor,
    Input,
    Dataset,
    Output,
    KeyValueStore,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Actor,
        Kind::Input,
        Kind::Dataset,
        Kind::Output,
        Kind::KeyValueStore,
    ];

    /// The vendored schema file.
    fn schema_file(self) -> &'static str {
        match self {
            Kind::Actor => "actor.schema.json",
            Kind::Input => "input.schema.json",
            Kind::Dataset => "dataset.schema.json",
            Kind::Output => "output.schema.json",
            Kind::KeyValueStore => "key_value_store.schema.json",
        }
    }

    /// The `$id` the file declares, under which the other schemas `$ref` it.
    fn id(self) -> &'static str {
        match self {
            Kind::Actor => "https://apify.com/schemas/v1/actor.json",
            Kind::Input => "https://apify.com/schemas/v1/input.json",
            Kind::Dataset => "https://apify.com/schemas/v1/dataset.json",
            Kind::Output => "https://apify.com/schemas/v1/output.json",
            Kind::KeyValueStore => "https://apify.com/schemas/v1/key-value-store.json",
        }
    }

    /// The file name Apify's templates use in `.actor/`.
    fn conventional_name(self) -> &'static str {
        match self {
            Kind::Actor => "actor.json",
            Kind::Input => "input_schema.json",
            Kind::Dataset => "dataset_schema.json",
            Kind::Output => "output_schema.json",
            Kind::KeyValueStore => "key_value_store_schema.json",
        }
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))
}

fn workspace_root() -> PathBuf {
    Path::new(MANIFEST_DIR)
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `path` relative to the workspace root, for messages.
fn display(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// The vendored schemas, compiled.
struct Schemas {
    validators: BTreeMap<Kind, Validator>,
}

impl Schemas {
    fn load() -> Schemas {
        let dir = Path::new(SCHEMA_DIR);
        let source = read_json(&dir.join("SOURCE.json")).unwrap_or_else(|e| {
            panic!(
                "{}/SOURCE.json: {e}; run scripts/vendor-apify-schemas.sh",
                display(dir)
            )
        });
        assert_eq!(source["package"], "@apify/json_schemas", "SOURCE.json");
        let listed: BTreeSet<&str> = source["files"]
            .as_array()
            .expect("SOURCE.json has a files list")
            .iter()
            .map(|f| f["path"].as_str().expect("files[].path is a string"))
            .collect();
        for name in Kind::ALL
            .iter()
            .map(|k| k.schema_file())
            .chain([DRAFT_07_FILE])
        {
            assert!(
                listed.contains(name),
                "SOURCE.json does not list {name}: re-run scripts/vendor-apify-schemas.sh"
            );
        }

        let load = |name: &str| {
            read_json(&dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", display(dir)))
        };
        let draft07 = load(DRAFT_07_FILE);
        assert_eq!(draft07["$id"], DRAFT_07_ID, "{DRAFT_07_FILE} $id");
        let documents: Vec<(Kind, Value)> = Kind::ALL
            .iter()
            .map(|&kind| {
                let doc = load(kind.schema_file());
                assert_eq!(doc["$id"], kind.id(), "{} $id", kind.schema_file());
                (kind, doc)
            })
            .collect();

        // Apify's schemas declare no `$schema`; the package compiles them with Ajv2019.
        let mut builder = Registry::new()
            .add(DRAFT_07_ID, Draft::Draft7.create_resource(draft07))
            .expect("draft-07 URI");
        for (kind, doc) in &documents {
            builder = builder
                .add(kind.id(), Draft::Draft201909.create_resource(doc.clone()))
                .expect("schema URI");
        }
        let registry = builder
            .prepare()
            .expect("the vendored schemas form a registry");

        let validators = documents
            .iter()
            .map(|(kind, doc)| {
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft201909)
                    .with_registry(&registry)
                    .offline()
                    .should_validate_formats(true)
                    .build(doc)
                    .unwrap_or_else(|e| panic!("{} does not compile: {e}", kind.schema_file()));
                (*kind, validator)
            })
            .collect();
        Schemas { validators }
    }

    /// Violations of `kind`'s schema by `instance`, as `(instance path, message)`.
    fn violations(&self, kind: Kind, instance: &Value) -> Vec<(String, String)> {
        self.validators[&kind]
            .iter_errors(instance)
            .map(|e| (pointer(&e), describe(&e, 0)))
            .collect()
    }
}

fn pointer(e: &ValidationError<'_>) -> String {
    let path = e.instance_path().to_string();
    if path.is_empty() {
        "/".into()
    } else {
        path
    }
}

/// One error, and for a failed `oneOf`/`anyOf` (Apify's input schema is a `oneOf` over
/// property kinds, whose bare message only repeats the instance) the errors of the closest
/// alternatives: those with the fewest errors, usually the kind that was meant.
fn describe(e: &ValidationError<'_>, depth: usize) -> String {
    let mut out = format!(
        "{} (schema: {})",
        truncate(&e.to_string(), 200),
        e.evaluation_path()
    );
    let branches = match e.kind() {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            context
        }
        _ => return out,
    };
    let Some(fewest) = branches.iter().map(Vec::len).filter(|n| *n > 0).min() else {
        return out;
    };
    if depth >= 3 {
        return out;
    }
    let indent = "    ".repeat(depth + 1);
    for (i, branch) in branches
        .iter()
        .filter(|b| b.len() == fewest)
        .take(3)
        .enumerate()
    {
        out.push_str(&format!("\n{indent}closest alternative {}:", i + 1));
        for sub in branch {
            out.push_str(&format!(
                "\n{indent}  {}: {}",
                pointer(sub),
                describe(sub, depth + 1)
            ));
        }
    }
    out
}

/// What one run over the workspace found.
#[derive(Default)]
struct Report {
    actors: Vec<String>,
    validated: Vec<(Kind, PathBuf)>,
    violations: Vec<String>,
}

impl Report {
    fn violation(&mut self, file: &Path, pointer: &str, message: impl AsRef<str>) {
        self.violations.push(format!(
            "{}: {pointer}: {}",
            display(file),
            message.as_ref()
        ));
    }

    /// Validates `instance` (the contents of `file`, or a part of it at `pointer`).
    fn check(&mut self, schemas: &Schemas, kind: Kind, file: &Path, pointer: &str, v: &Value) {
        for (path, message) in schemas.violations(kind, v) {
            let at = if pointer.is_empty() {
                path
            } else {
                format!("{pointer}{}", path.trim_end_matches('/'))
            };
            self.violation(file, &at, message);
        }
    }
}

/// A definition file `actor.json` points to, or an inline definition.
enum Definition<'a> {
    Path(&'a str),
    Inline(&'a Value),
}

fn definition(value: &Value) -> Option<Definition<'_>> {
    match value {
        Value::String(s) => Some(Definition::Path(s)),
        Value::Object(_) => Some(Definition::Inline(value)),
        _ => None, // the actor schema reports the wrong type
    }
}

fn validate_actor(schemas: &Schemas, actor_dir: &Path, report: &mut Report) {
    let actor_json = actor_dir.join("actor.json");
    let actor = match read_json(&actor_json) {
        Ok(v) => v,
        Err(e) => {
            report.violation(&actor_json, "/", e);
            return;
        }
    };
    report.check(schemas, Kind::Actor, &actor_json, "", &actor);
    report.validated.push((Kind::Actor, actor_json.clone()));

    // Definitions actor.json points to: (kind, pointer in actor.json, value).
    let mut pointed: Vec<(Kind, String, &Value)> = Vec::new();
    for key in ["input", "inputSchema"] {
        if let Some(v) = actor.get(key) {
            pointed.push((Kind::Input, format!("/{key}"), v));
        }
    }
    for key in ["output", "outputSchema"] {
        if let Some(v) = actor.get(key) {
            pointed.push((Kind::Output, format!("/{key}"), v));
        }
    }
    let storages = &actor["storages"];
    if let Some(v) = storages.get("dataset") {
        pointed.push((Kind::Dataset, "/storages/dataset".into(), v));
    }
    if let Some(map) = storages.get("datasets").and_then(Value::as_object) {
        for (name, v) in map {
            pointed.push((Kind::Dataset, format!("/storages/datasets/{name}"), v));
        }
    }
    if let Some(v) = storages.get("keyValueStore") {
        pointed.push((Kind::KeyValueStore, "/storages/keyValueStore".into(), v));
    }

    let mut files: BTreeMap<PathBuf, Kind> = BTreeMap::new();
    let mut kinds_seen: BTreeSet<Kind> = BTreeSet::new();
    for (kind, pointer, value) in pointed {
        kinds_seen.insert(kind);
        match definition(value) {
            Some(Definition::Path(rel)) => {
                let path: PathBuf = actor_dir.join(rel).components().collect();
                if !path.is_file() {
                    report.violation(
                        &actor_json,
                        &pointer,
                        format!("{rel:?} does not exist ({})", display(&path)),
                    );
                    continue;
                }
                let path = path.canonicalize().expect("existing file canonicalizes");
                if let Some(other) = files.insert(path.clone(), kind) {
                    if other != kind {
                        report.violation(
                            &actor_json,
                            &pointer,
                            format!("{rel:?} is used both as {other:?} and as {kind:?} schema"),
                        );
                    }
                }
            }
            // actor.schema.json checks inline dataset/output/key-value store schemas through
            // its `$ref`s, but accepts any object as an inline input schema.
            Some(Definition::Inline(v)) if kind == Kind::Input => {
                report.check(schemas, kind, &actor_json, &pointer, v);
            }
            Some(Definition::Inline(_)) | None => {}
        }
    }

    // Conventional file names not pointed to: Apify does not read them, validate them anyway.
    for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Actor) {
        let path = actor_dir.join(kind.conventional_name());
        if path.is_file() {
            let path = path.canonicalize().expect("existing file canonicalizes");
            files.entry(path).or_insert(kind);
        }
    }
    if !kinds_seen.contains(&Kind::Input) && !files.values().any(|k| *k == Kind::Input) {
        report.violation(
            &actor_json,
            "/",
            "no input schema: set \"input\" (e.g. \"./input_schema.json\")",
        );
    }

    // Other paths actor.json names must exist.
    for (key, want_dir) in [
        ("dockerfile", false),
        ("dockerContextDir", true),
        ("readme", false),
        ("changelog", false),
        ("webServerSchema", false),
    ] {
        if let Some(rel) = actor.get(key).and_then(Value::as_str) {
            let path: PathBuf = actor_dir.join(rel).components().collect();
            let ok = if want_dir {
                path.is_dir()
            } else {
                path.is_file()
            };
            if !ok {
                let what = if want_dir { "directory" } else { "file" };
                report.violation(
                    &actor_json,
                    &format!("/{key}"),
                    format!("{what} {rel:?} does not exist ({})", display(&path)),
                );
            }
        }
    }

    for (path, kind) in &files {
        match read_json(path) {
            Ok(v) => report.check(schemas, *kind, path, "", &v),
            Err(e) => report.violation(path, "/", e),
        }
        report.validated.push((*kind, path.clone()));
    }

    // Nothing in .actor/ escapes validation.
    let validated: BTreeSet<PathBuf> = files.keys().cloned().collect();
    let entries = fs::read_dir(actor_dir).expect("read .actor/");
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let is_json = path.extension().is_some_and(|e| e == "json");
        if !is_json || path.file_name().is_some_and(|n| n == "actor.json") {
            continue;
        }
        let canonical = path.canonicalize().expect("existing file canonicalizes");
        if !validated.contains(&canonical) {
            report.violation(
                &path,
                "/",
                "not referenced from actor.json and not a conventional definition file name, \
                 so no Apify schema validates it",
            );
        }
    }
}

fn validate_workspace(schemas: &Schemas) -> Report {
    let actors_dir = workspace_root().join("actors");
    let mut report = Report::default();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&actors_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", actors_dir.display()))
        .map(|entry| entry.expect("directory entry").path().join(".actor"))
        .filter(|dir| dir.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .parent()
            .and_then(Path::file_name)
            .expect("actors/<name>/.actor")
            .to_string_lossy()
            .into_owned();
        report.actors.push(name);
        validate_actor(schemas, &dir, &mut report);
    }
    report
}

#[test]
fn actor_definitions_are_valid_by_apify_schemas() {
    let schemas = Schemas::load();
    let report = validate_workspace(&schemas);

    let summary = report
        .validated
        .iter()
        .map(|(kind, path)| format!("  {kind:?}: {}", display(path)))
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!(
        "validated {} files of {} actors ({}):\n{summary}",
        report.validated.len(),
        report.actors.len(),
        report.actors.join(", ")
    );

    assert!(
        report.violations.is_empty(),
        "{} violations of Apify's Actor definition schemas (@apify/json_schemas):\n{}",
        report.violations.len(),
        report.violations.join("\n")
    );
    assert!(
        !report.actors.is_empty(),
        "no actors/*/.actor/ directory found under {}",
        display(&workspace_root())
    );
    assert!(
        report.validated.len() >= MIN_FILES,
        "validated only {} definition files, expected at least {MIN_FILES}",
        report.validated.len()
    );
    for kind in [Kind::Actor, Kind::Input, Kind::Dataset] {
        assert!(
            report.validated.iter().any(|(k, _)| *k == kind),
            "no {kind:?} definition was validated"
        );
    }
}

// The negative tests start from the real fleet-analytics files, so each proves that one
// specific defect (and nothing else) makes the same validator reject an otherwise valid file.

fn fleet_analytics(file: &str) -> Value {
    let path = workspace_root()
        .join("actors/fleet-analytics/.actor")
        .join(file);
    read_json(&path).unwrap_or_else(|e| panic!("{}: {e}", display(&path)))
}

fn assert_rejected(schemas: &Schemas, kind: Kind, instance: &Value, expected_path: &str) {
    let violations = schemas.violations(kind, instance);
    assert!(
        violations
            .iter()
            .any(|(path, _)| path.starts_with(expected_path)),
        "{kind:?} schema should report a violation at {expected_path}, got {violations:#?}"
    );
}

#[test]
fn broken_input_schemas_are_rejected() {
    let schemas = Schemas::load();
    let valid = fleet_analytics("input_schema.json");
    assert_eq!(schemas.violations(Kind::Input, &valid), vec![]);

    let mut bad_type = valid.clone();
    bad_type["properties"]["windowDays"]["type"] = json!("strin");
    assert_rejected(&schemas, Kind::Input, &bad_type, "/properties/windowDays");

    let mut no_title = valid.clone();
    no_title["properties"]["windowDays"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    assert_rejected(&schemas, Kind::Input, &no_title, "/properties/windowDays");

    let mut bad_editor = valid.clone();
    bad_editor["properties"]["actors"]["editor"] = json!("nonsense");
    assert_rejected(&schemas, Kind::Input, &bad_editor, "/properties/actors");

    let mut no_root_type = valid;
    no_root_type.as_object_mut().unwrap().remove("type");
    assert_rejected(&schemas, Kind::Input, &no_root_type, "/");
}

#[test]
fn broken_actor_and_dataset_definitions_are_rejected() {
    let schemas = Schemas::load();
    let actor = fleet_analytics("actor.json");
    let dataset = fleet_analytics("dataset_schema.json");
    assert_eq!(schemas.violations(Kind::Actor, &actor), vec![]);
    assert_eq!(schemas.violations(Kind::Dataset, &dataset), vec![]);

    let mut bad_version = actor.clone();
    bad_version["version"] = json!("1");
    assert_rejected(&schemas, Kind::Actor, &bad_version, "/version");

    // dataset.schema.json -> draft-07 meta-schema: `fields` must be a valid JSON Schema.
    let mut bad_fields = dataset.clone();
    bad_fields["fields"]["properties"]["runs"]["type"] = json!("integr");
    assert_rejected(
        &schemas,
        Kind::Dataset,
        &bad_fields,
        "/fields/properties/runs",
    );

    // actor.schema.json -> dataset.schema.json, for a dataset schema inlined in actor.json.
    let mut inline = actor;
    inline["storages"]["dataset"] = bad_fields;
    assert_rejected(&schemas, Kind::Actor, &inline, "/storages/dataset");
}
