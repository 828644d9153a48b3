//! Actor definition files must be valid by Apify's own rules, agree with each other, and match
//! what the tools really write.
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
//!   against `key_value_store.schema.json`;
//! * and `pay_per_event.json` against ours, `schemas/pay_per_event.schema.json` (Apify sets
//!   pay-per-event prices in Console; the file has the shape of the API's `actorChargeEvents`).
//!
//! As in the package's `src/validations.js` (Ajv2019 over the same files), the schemas are
//! evaluated as draft 2019-09, and their cross-file `$ref`s (actor -> dataset, key-value store,
//! output; dataset and key-value store -> the draft-07 meta-schema) resolve to the vendored files
//! through a registry keyed by each file's `$id`. Nothing is fetched: the test runs offline on a
//! fresh clone. Formats (`regex`, `uri`, ...) are checked too. Apify's npm validators themselves,
//! `validateInputSchema` included, run over the same files in
//! `scripts/validate-actor-definitions.sh`.
//!
//! Paths in `actor.json` (`input`, storages, `output`, `dockerfile`, `dockerContextDir`,
//! `readme`, `changelog`, `webServerSchema`) are resolved relative to the `.actor` directory
//! and must exist. Every Actor has all six files, and no `.json` file in `.actor/` may be left
//! unvalidated.
//!
//! Beyond each file's own schema:
//!
//! * `actor.json` names its tool and points at the shared Dockerfile and every definition;
//! * dataset views are Console tables of fields the dataset has, each column with a label and the
//!   format its type calls for (number, boolean, link for `*Url`, date for `*At`);
//! * output schemas use only Apify's template variables and link the REPORT, OUTPUT and SIGNALS
//!   records (each a collection of the key-value store schema) and every dataset view;
//! * each tool, run once against the emulator, writes exactly the records its key-value store
//!   schema declares (INPUT aside), with content types it allows, and dataset rows its `fields`
//!   accept and fully document;
//! * `pay_per_event.json` has each tool's events at their prices, one of them primary;
//! * the input form as Console prefills it is an input the tool accepts;
//! * and our own compliance-scanner finds nothing in our own listing.
//!
//! All violations (file, instance path, message) are collected and printed before a test
//! fails. The test also asserts it found the seven Actors and validated at least
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

/// Files the workspace's Actors have today: seven Actors, each with the six files of
/// [`Kind::EVERY_ACTOR_HAS`]. Lower it only when definition files are deliberately removed.
const MIN_FILES: usize = 42;

/// Our JSON Schema of `pay_per_event.json` (Apify has none: prices are set in Console), relative
/// to the workspace root.
const PAY_PER_EVENT_SCHEMA: &str = "schemas/pay_per_event.schema.json";

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
    /// `pay_per_event.json`, ours: [`PAY_PER_EVENT_SCHEMA`].
    PayPerEvent,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Actor,
        Kind::Input,
        Kind::Dataset,
        Kind::Output,
        Kind::KeyValueStore,
    ];

    /// Every definition file an Actor of this workspace has.
    const EVERY_ACTOR_HAS: [Kind; 6] = [
        Kind::Actor,
        Kind::Input,
        Kind::Dataset,
        Kind::Output,
        Kind::KeyValueStore,
        Kind::PayPerEvent,
    ];

    /// The vendored schema file (ours for [`Kind::PayPerEvent`]).
    fn schema_file(self) -> &'static str {
        match self {
            Kind::Actor => "actor.schema.json",
            Kind::Input => "input.schema.json",
            Kind::Dataset => "dataset.schema.json",
            Kind::Output => "output.schema.json",
            Kind::KeyValueStore => "key_value_store.schema.json",
            Kind::PayPerEvent => PAY_PER_EVENT_SCHEMA,
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
            Kind::PayPerEvent => "https://apifyforge.dev/schemas/pay_per_event.schema.json",
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
            Kind::PayPerEvent => "pay_per_event.json",
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
            .collect::<BTreeMap<_, _>>();

        // Ours, draft 2020-12 like the other contract schemas in schemas/.
        let ppe = read_json(&workspace_root().join(PAY_PER_EVENT_SCHEMA))
            .unwrap_or_else(|e| panic!("{PAY_PER_EVENT_SCHEMA}: {e}"));
        assert_eq!(
            ppe["$id"],
            Kind::PayPerEvent.id(),
            "{PAY_PER_EVENT_SCHEMA} $id"
        );
        let mut validators = validators;
        validators.insert(
            Kind::PayPerEvent,
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .offline()
                .should_validate_formats(true)
                .build(&ppe)
                .unwrap_or_else(|e| panic!("{PAY_PER_EVENT_SCHEMA} does not compile: {e}")),
        );
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
    report.validated.push((
        Kind::Actor,
        actor_json
            .canonicalize()
            .unwrap_or_else(|_| actor_json.clone()),
    ));

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
    for kind in Kind::EVERY_ACTOR_HAS
        .into_iter()
        .filter(|k| *k != Kind::Actor)
    {
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
    // Every Actor has every definition: actor.json, input, dataset, output and key-value store
    // schemas, and its pay-per-event events.
    for actor in &report.actors {
        let dir = workspace_root().join("actors").join(actor).join(".actor");
        let dir = dir
            .canonicalize()
            .expect("the .actor directory canonicalizes");
        for kind in Kind::EVERY_ACTOR_HAS {
            assert!(
                report
                    .validated
                    .iter()
                    .any(|(k, path)| *k == kind && path.starts_with(&dir)),
                "{actor}: no {kind:?} definition ({}) was validated",
                kind.conventional_name()
            );
        }
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

#[test]
fn broken_output_key_value_store_and_pay_per_event_definitions_are_rejected() {
    let schemas = Schemas::load();
    let output = fleet_analytics("output_schema.json");
    let store = fleet_analytics("key_value_store_schema.json");
    let events = fleet_analytics("pay_per_event.json");
    assert_eq!(schemas.violations(Kind::Output, &output), vec![]);
    assert_eq!(schemas.violations(Kind::KeyValueStore, &store), vec![]);
    assert_eq!(schemas.violations(Kind::PayPerEvent, &events), vec![]);

    let mut no_template = output;
    no_template["properties"]["output"]
        .as_object_mut()
        .unwrap()
        .remove("template");
    assert_rejected(&schemas, Kind::Output, &no_template, "/properties/output");

    // A collection is one key or one prefix, never both.
    let mut both = store.clone();
    both["collections"]["output"]["keyPrefix"] = json!("OUT");
    assert_rejected(&schemas, Kind::KeyValueStore, &both, "/collections/output");

    // A jsonSchema is only for a collection of application/json records.
    let mut html_schema = store;
    html_schema["collections"]["report"]["jsonSchema"] = json!({"type": "object"});
    assert_rejected(
        &schemas,
        Kind::KeyValueStore,
        &html_schema,
        "/collections/report",
    );

    let mut free = events.clone();
    free["actor-analysed"]["eventPriceUsd"] = json!(0);
    assert_rejected(
        &schemas,
        Kind::PayPerEvent,
        &free,
        "/actor-analysed/eventPriceUsd",
    );
    let mut start = events.clone();
    start["apify-actor-start"]["eventPriceUsd"] = json!(0.001);
    assert_rejected(
        &schemas,
        Kind::PayPerEvent,
        &start,
        "/apify-actor-start/eventPriceUsd",
    );
    let mut no_start = events;
    no_start
        .as_object_mut()
        .unwrap()
        .remove("apify-actor-start");
    assert_rejected(&schemas, Kind::PayPerEvent, &no_start, "/");
}

// ------------------------------------------------------------------------------------------------
// Cross-references: between the definition files of one Actor, and with what the tool writes.

/// The seven Actors: `(tool, its .actor directory)`.
fn actors() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = fs::read_dir(workspace_root().join("actors"))
        .expect("actors/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join(".actor").is_dir())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                p.join(".actor"),
            )
        })
        .collect();
    out.sort();
    assert_eq!(
        out.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        [
            "ab-tester",
            "compliance-scanner",
            "cost-watchdog",
            "fleet-analytics",
            "quality-monitor",
            "release-gate",
            "schema-validator"
        ]
    );
    out
}

fn definition_file(dir: &Path, file: &str) -> Value {
    let path = dir.join(file);
    read_json(&path).unwrap_or_else(|e| panic!("{}: {e}", display(&path)))
}

fn problems_or_pass(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn actor_json_names_the_tool_and_points_at_every_definition() {
    let mut problems = Vec::new();
    for (tool, dir) in actors() {
        let actor = definition_file(&dir, "actor.json");
        let mut expect = |pointer: &str, want: Value| {
            let got = actor.pointer(pointer).cloned().unwrap_or(Value::Null);
            if got != want {
                problems.push(format!(
                    "{tool}/.actor/actor.json {pointer}: {got} != {want}"
                ));
            }
        };
        expect("/actorSpecification", json!(1));
        expect("/name", json!(tool));
        expect("/buildTag", json!("latest"));
        expect("/minMemoryMbytes", json!(128));
        expect("/dockerfile", json!("../../../.actor/Dockerfile"));
        expect("/dockerContextDir", json!("../../.."));
        expect("/readme", json!("../README.md"));
        expect("/input", json!("./input_schema.json"));
        expect("/storages/dataset", json!("./dataset_schema.json"));
        expect(
            "/storages/keyValueStore",
            json!("./key_value_store_schema.json"),
        );
        expect("/output", json!("./output_schema.json"));

        // The platform's Version object wants MAJOR.MINOR; run memory is a power of two.
        let version = actor["version"].as_str().unwrap_or_default();
        let parts: Vec<&str> = version.split('.').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
            problems.push(format!("{tool}: version {version:?} is not MAJOR.MINOR"));
        }
        let memory = actor["defaultMemoryMbytes"].as_u64().unwrap_or(0);
        if !(128..=32768).contains(&memory) || !memory.is_power_of_two() {
            problems.push(format!(
                "{tool}: defaultMemoryMbytes {memory} is not a power of two in 128..=32768"
            ));
        }
        for key in ["title", "description"] {
            if actor[key].as_str().is_none_or(|s| s.trim().is_empty()) {
                problems.push(format!("{tool}: actor.json has no {key}"));
            }
        }
    }
    problems_or_pass(problems);
}

/// The Console format a column of this field should have.
fn expected_format(name: &str, field: &Value) -> &'static str {
    let types: Vec<&str> = match &field["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ if field["enum"].is_array() => vec!["string"],
        _ => vec![],
    };
    let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    if name.ends_with("Url") {
        "link"
    } else if types.iter().all(|t| *t == "integer" || *t == "number") && !types.is_empty() {
        "number"
    } else if types == ["boolean"] {
        "boolean"
    } else if field["format"] == "date-time" || name.ends_with("At") {
        "date"
    } else {
        "text"
    }
}

#[test]
fn dataset_views_are_console_tables_of_fields_the_dataset_has() {
    let mut problems = Vec::new();
    let mut summary = Vec::new();
    for (tool, dir) in actors() {
        let dataset = definition_file(&dir, "dataset_schema.json");
        let fields = dataset["fields"]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{tool}: dataset_schema.json has no fields.properties"));
        for required in dataset["fields"]["required"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if !fields.contains_key(required.as_str().unwrap_or_default()) {
                problems.push(format!(
                    "{tool}: required field {required} is not a property"
                ));
            }
        }
        let views = dataset["views"].as_object().cloned().unwrap_or_default();
        if !views.contains_key("overview") {
            problems.push(format!(
                "{tool}: no `overview` view (callers use ?view=overview)"
            ));
        }
        summary.push(format!(
            "{tool}: {}",
            views.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
        for (id, view) in &views {
            let at = format!("{tool}/.actor/dataset_schema.json /views/{id}");
            if view["display"]["component"] != "table" {
                problems.push(format!("{at}: display.component is not \"table\""));
            }
            for key in ["title", "description"] {
                if view[key].as_str().is_none_or(|s| s.trim().is_empty()) {
                    problems.push(format!("{at}: no {key}"));
                }
            }
            let columns: Vec<&str> = view["transformation"]["fields"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if columns.is_empty() {
                problems.push(format!("{at}: transformation.fields is empty"));
            }
            let display = view["display"]["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for column in &columns {
                let Some(field) = fields.get(*column) else {
                    problems.push(format!(
                        "{at}: column {column} is not a field of the dataset"
                    ));
                    continue;
                };
                let shown = &display.get(*column).cloned().unwrap_or(Value::Null);
                if shown["label"].as_str().is_none_or(|s| s.trim().is_empty()) {
                    problems.push(format!("{at}: column {column} has no label"));
                }
                let want = expected_format(column, field);
                if shown["format"] != want {
                    problems.push(format!(
                        "{at}: column {column} has format {}, expected {want} for {field}",
                        shown["format"]
                    ));
                }
            }
            for key in display.keys() {
                if !columns.contains(&key.as_str()) {
                    problems.push(format!("{at}: display.properties.{key} is not a column"));
                }
            }
        }
    }
    eprintln!("dataset views:\n  {}", summary.join("\n  "));
    problems_or_pass(problems);
}

/// The variables Apify's output schema templates offer (docs: "Available template variables").
fn template_variable_known(variable: &str) -> bool {
    [
        "links.publicRunUrl",
        "links.consoleRunUrl",
        "links.apiRunUrl",
        "links.apiDefaultDatasetUrl",
        "links.apiDefaultKeyValueStoreUrl",
    ]
    .contains(&variable)
        || variable
            .strip_prefix("run.")
            .is_some_and(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The `key` of each collection of a key-value store schema, by collection name.
fn collection_keys(store: &Value) -> BTreeMap<String, String> {
    store["collections"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, c)| Some((name.clone(), c["key"].as_str()?.to_string())))
        .collect()
}

#[test]
fn output_schemas_link_the_records_and_views_the_other_definitions_declare() {
    let mut problems = Vec::new();
    for (tool, dir) in actors() {
        let output = definition_file(&dir, "output_schema.json");
        let store = definition_file(&dir, "key_value_store_schema.json");
        let dataset = definition_file(&dir, "dataset_schema.json");
        let keys: BTreeSet<String> = collection_keys(&store).into_values().collect();
        let views: BTreeSet<String> = dataset["views"]
            .as_object()
            .map(|v| v.keys().cloned().collect())
            .unwrap_or_default();
        let at = format!("{tool}/.actor/output_schema.json");
        let (mut records, mut linked_views, mut whole_dataset) =
            (BTreeSet::new(), BTreeSet::new(), false);
        for (id, property) in output["properties"].as_object().into_iter().flatten() {
            let template = property["template"].as_str().unwrap_or_default();
            for variable in template
                .split("{{")
                .skip(1)
                .filter_map(|s| s.split_once("}}"))
            {
                if !template_variable_known(variable.0.trim()) {
                    problems.push(format!(
                        "{at} /properties/{id}: unknown template variable {{{{{}}}}}",
                        variable.0
                    ));
                }
            }
            for key in ["title", "description"] {
                if property[key].as_str().is_none_or(|s| s.trim().is_empty()) {
                    problems.push(format!("{at} /properties/{id}: no {key}"));
                }
            }
            let (path, query) = template.split_once('?').unwrap_or((template, ""));
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                    .map(str::to_string)
            };
            if let Some(key) = path.strip_prefix("{{links.apiDefaultKeyValueStoreUrl}}/records/") {
                if !keys.contains(key) {
                    problems.push(format!(
                        "{at} /properties/{id}: record {key} is not a collection of key_value_store_schema.json"
                    ));
                }
                records.insert(key.to_string());
            } else if path == "{{links.apiDefaultDatasetUrl}}/items" {
                match param("view") {
                    Some(view) if !views.contains(&view) => problems.push(format!(
                        "{at} /properties/{id}: view {view} is not in dataset_schema.json"
                    )),
                    Some(view) => {
                        linked_views.insert(view);
                    }
                    None => whole_dataset = true,
                }
            } else if path == "{{links.apiDefaultKeyValueStoreUrl}}/keys" {
                if let Some(c) = param("collection") {
                    if store["collections"].get(&c).is_none() {
                        problems.push(format!(
                            "{at} /properties/{id}: collection {c} is not in key_value_store_schema.json"
                        ));
                    }
                }
            } else {
                problems.push(format!(
                    "{at} /properties/{id}: {template} links neither a record, the dataset nor the store"
                ));
            }
        }
        for key in ["REPORT", "OUTPUT", "SIGNALS"] {
            if !records.contains(key) {
                problems.push(format!("{at}: no link to the {key} record"));
            }
        }
        if !whole_dataset && linked_views != views {
            problems.push(format!(
                "{at}: links views {linked_views:?}, the dataset has {views:?}"
            ));
        }
    }
    problems_or_pass(problems);
}

#[test]
fn key_value_store_schemas_declare_the_records_with_their_content_types() {
    let mut problems = Vec::new();
    for (tool, dir) in actors() {
        let store = definition_file(&dir, "key_value_store_schema.json");
        let at = format!("{tool}/.actor/key_value_store_schema.json");
        let by_key: BTreeMap<String, Value> = store["collections"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, c)| Some((c["key"].as_str()?.to_string(), c.clone())))
            .collect();
        for (key, content_type) in [
            ("OUTPUT", Some("application/json")),
            ("SIGNALS", Some("application/json")),
            ("REPORT", Some("text/html")),
            ("INPUT", None),
        ] {
            let Some(collection) = by_key.get(key) else {
                problems.push(format!("{at}: no collection for {key}"));
                continue;
            };
            if let Some(want) = content_type {
                if collection["contentTypes"] != json!([want]) {
                    problems.push(format!(
                        "{at}: {key} contentTypes {}, expected [{want:?}]",
                        collection["contentTypes"]
                    ));
                }
            }
        }
        for (name, c) in store["collections"].as_object().into_iter().flatten() {
            for key in ["title", "description"] {
                if c[key].as_str().is_none_or(|s| s.trim().is_empty()) {
                    problems.push(format!("{at} /collections/{name}: no {key}"));
                }
            }
        }
    }
    problems_or_pass(problems);
}

/// `type/subtype` of a Content-Type, without parameters.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Runs every tool once in the CLI flow (the runner writes the same records in both flows) and
/// checks its definitions against what it wrote: every record the run writes has a collection
/// of the key-value store schema whose content types allow it, every collection but INPUT (which
/// the platform writes) is written, and every dataset row is valid by the dataset schema's
/// `fields` (the platform validates pushed items against them, as draft-07) and has no field
/// they leave out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tool_writes_the_records_and_rows_its_definitions_declare() {
    const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
    let (fixture, truth) = forge_tests::fleet(21, 40);
    let token = fixture
        .tokens
        .iter()
        .find(|t| t.permissions == forge_emulator::Permissions::all_scoped())
        .expect("a scoped token")
        .token
        .clone();
    let emulator = forge_tests::start(fixture, BIN).await;
    let planted = |kind: &str| {
        truth
            .planted
            .iter()
            .find(|p| p.kind == kind)
            .unwrap_or_else(|| panic!("the fleet has a planted {kind}"))
            .actor_name
            .clone()
    };
    let as_of = "2026-11-23T00:00:00Z";
    let inputs: BTreeMap<&str, Value> = BTreeMap::from([
        ("fleet-analytics", json!({"asOf": as_of})),
        ("schema-validator", json!({})),
        (
            "release-gate",
            json!({"actor": planted("schema-breaking-input")}),
        ),
        ("cost-watchdog", json!({"asOf": as_of})),
        ("quality-monitor", json!({"asOf": as_of})),
        (
            "ab-tester",
            json!({"actor": planted("failure-regression"), "asOf": as_of}),
        ),
        ("compliance-scanner", json!({"asOf": as_of})),
    ]);

    let mut problems = Vec::new();
    for (tool, dir) in actors() {
        let input = &inputs[tool.as_str()];
        let work = tempfile::tempdir().unwrap();
        let out =
            forge_tests::cli_run_tool(BIN, &emulator, &token, work.path(), &tool, input).await;
        let code = out.status.code();
        assert!(
            code == Some(0) || (tool == "release-gate" && code == Some(3)),
            "{tool} exited {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        // Records written: key -> content type, from the local store's metadata files.
        let store_dir = work.path().join("storage/key_value_stores/default");
        let mut written: BTreeMap<String, String> = BTreeMap::new();
        for entry in fs::read_dir(&store_dir).expect("the default store exists") {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".__metadata__.json") {
                let meta = read_json(&path).unwrap();
                written.insert(
                    meta["key"].as_str().unwrap().to_string(),
                    meta["contentType"].as_str().unwrap().to_string(),
                );
            }
        }
        let store = definition_file(&dir, "key_value_store_schema.json");
        let declared: BTreeMap<String, Value> = store["collections"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, c)| Some((c["key"].as_str()?.to_string(), c.clone())))
            .collect();
        for (key, content_type) in &written {
            match declared.get(key) {
                None => problems.push(format!(
                    "{tool} writes {key}, which key_value_store_schema.json does not declare"
                )),
                Some(c) => {
                    if let Some(allowed) = c["contentTypes"].as_array() {
                        if !allowed
                            .iter()
                            .any(|a| a.as_str().map(media_type) == Some(media_type(content_type)))
                        {
                            problems.push(format!(
                                "{tool} writes {key} as {content_type}; the schema allows {allowed:?}"
                            ));
                        }
                    }
                }
            }
        }
        for key in declared.keys() {
            if key != "INPUT" && !written.contains_key(key) {
                problems.push(format!(
                    "{tool}: key_value_store_schema.json declares {key}, which the tool never writes"
                ));
            }
        }

        // Dataset rows against `fields`.
        let dataset = definition_file(&dir, "dataset_schema.json");
        let fields = jsonschema::options()
            .with_draft(Draft::Draft7)
            .build(&dataset["fields"])
            .unwrap_or_else(|e| panic!("{tool}: fields do not compile: {e}"));
        let mut rows = Vec::new();
        for entry in fs::read_dir(work.path().join("storage/datasets/default")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('0') && name.ends_with(".json") {
                rows.push((name, read_json(&path).unwrap()));
            }
        }
        if rows.is_empty() {
            problems.push(format!(
                "{tool} wrote no dataset rows, so none were checked"
            ));
        }
        let declared_fields = dataset["fields"]["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, row) in &rows {
            // Every column a row has is documented (Console's "All fields", API readers).
            for key in row.as_object().into_iter().flatten().map(|(k, _)| k) {
                if !declared_fields.contains_key(key) {
                    problems.push(format!(
                        "{tool} row {name}: field {key} is not in dataset_schema.json fields"
                    ));
                }
            }
            for e in fields.iter_errors(row) {
                problems.push(format!(
                    "{tool} row {name} {}: {} (dataset_schema.json fields)",
                    pointer(&e),
                    truncate(&e.to_string(), 160)
                ));
            }
        }
        eprintln!(
            "{tool}: wrote {} ({} dataset rows)",
            written
                .iter()
                .map(|(k, t)| format!("{k} as {t}"))
                .collect::<Vec<_>>()
                .join(", "),
            rows.len()
        );
    }
    problems_or_pass(problems);
}

#[test]
fn pay_per_event_declares_each_tools_events_at_their_prices() {
    let start = ("apify-actor-start", 0.00005);
    let expected: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::from([
        ("fleet-analytics", vec![start, ("actor-analysed", 0.002)]),
        ("schema-validator", vec![start, ("build-compared", 0.001)]),
        ("release-gate", vec![start, ("gate-decision", 0.02)]),
        ("cost-watchdog", vec![start, ("actor-analysed", 0.002)]),
        (
            "quality-monitor",
            vec![start, ("actor-analysed", 0.002), ("probe-run", 0.01)],
        ),
        ("ab-tester", vec![start, ("comparison", 0.05)]),
        ("compliance-scanner", vec![start, ("actor-scanned", 0.002)]),
    ]);
    let mut problems = Vec::new();
    for (tool, dir) in actors() {
        let events = definition_file(&dir, "pay_per_event.json");
        let got: Vec<(String, f64)> = events
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, e)| {
                (
                    name.clone(),
                    e["eventPriceUsd"].as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect();
        let want: Vec<(String, f64)> = expected[tool.as_str()]
            .iter()
            .map(|(n, p)| (n.to_string(), *p))
            .collect();
        if got != want {
            problems.push(format!("{tool}: events {got:?}, expected {want:?}"));
        }
        // The primary event is the tool's own (the first after the start event), and only it.
        let primary: Vec<&String> = events
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, e)| e["isPrimaryEvent"] == true)
            .map(|(n, _)| n)
            .collect();
        if primary.len() != 1 || *primary[0] != want[1].0 {
            problems.push(format!(
                "{tool}: primary events {primary:?}, expected [{}]",
                want[1].0
            ));
        }
    }
    problems_or_pass(problems);
}

/// What Console shows a new user: every field's prefill. Started as it is, that form must be an
/// input the tool accepts, and a required field needs a prefill or a default to start at all.
#[test]
fn the_prefilled_input_form_is_an_input_the_tool_accepts() {
    let mut problems = Vec::new();
    for (tool, dir) in actors() {
        let path = dir.join("input_schema.json");
        let text = fs::read_to_string(&path).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        let form: serde_json::Map<String, Value> = properties
            .iter()
            .filter_map(|(k, p)| Some((k.clone(), p.get("prefill")?.clone())))
            .collect();
        for required in schema["required"].as_array().into_iter().flatten() {
            let p = &properties[required.as_str().unwrap()];
            if p.get("prefill").is_none() && p.get("default").is_none() {
                problems.push(format!(
                    "{tool}: required {required} has neither prefill nor default"
                ));
            }
        }
        let input =
            forge_core::input::InputSchema::parse(&text).unwrap_or_else(|e| panic!("{tool}: {e}"));
        if let Err(e) = input.resolve(Some(&Value::Object(form.clone()))) {
            problems.push(format!(
                "{tool}: the prefilled form {form:?} is rejected: {e}"
            ));
        }
        // Sections: a caption starts one; the first field is in the unnamed top section.
        let first = properties.values().next().unwrap();
        if first.get("sectionCaption").is_some() {
            problems.push(format!("{tool}: the first field opens a section; the essentials belong above every section"));
        }
        for (key, p) in properties {
            if p.get("sectionDescription").is_some() && p.get("sectionCaption").is_none() {
                problems.push(format!(
                    "{tool}: {key} has a sectionDescription without a sectionCaption"
                ));
            }
        }
    }
    problems_or_pass(problems);
}

/// Our own compliance-scanner, run over our seven Actors as they would be published from this
/// repository (public, their README, input and dataset schemas, pay-per-event pricing from
/// `pay_per_event.json`), finds nothing: the Store rules the product applies to a user's fleet
/// (title and description lengths, README sections, required fields without prefill, secret
/// hygiene, personal data, dataset views) hold for its own listing. What only Console sets
/// (categories, the permission level) is given as it will be set; the SEO title and
/// description are written in Console too, so their rules are left out.
#[test]
fn our_actors_pass_our_own_compliance_scanner() {
    use forge_core::analyses::compliance::{
        analyze, ActorDocs, ComplianceConfig, ComplianceEvidence,
    };
    let as_of: chrono::DateTime<chrono::Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
    let mut docs = Vec::new();
    for (tool, dir) in actors() {
        let actor = definition_file(&dir, "actor.json");
        let readme_path = dir.join(actor["readme"].as_str().unwrap_or("../README.md"));
        let readme = fs::read_to_string(&readme_path)
            .unwrap_or_else(|e| panic!("{}: {e}", display(&readme_path)));
        let input = definition_file(&dir, "input_schema.json");
        let dataset = definition_file(&dir, "dataset_schema.json");
        let events = definition_file(&dir, "pay_per_event.json");
        let title = actor["title"].clone();
        let description = actor["description"].clone();
        docs.push(ActorDocs {
            actor: serde_json::from_value(json!({
                "id": format!("apifyforge-{tool}"), "name": tool, "username": "apifyforge",
                "title": title,
            }))
            .expect("an ActorInfo"),
            actor_object: json!({
                "name": tool, "title": title, "description": description,
                "isPublic": true, "categories": ["DEVELOPER_TOOLS"],
                "actorPermissionLevel": "LIMITED_PERMISSIONS",
                "pricingInfos": [{
                    "pricingModel": "PAY_PER_EVENT", "startedAt": "2026-01-01T00:00:00Z",
                    "createdAt": "2026-01-01T00:00:00Z", "apifyMarginPercentage": 0.2,
                    "pricingPerEvent": {"actorChargeEvents": events},
                }],
            }),
            build: Some(json!({
                "buildNumber": format!("{}.1", actor["version"].as_str().unwrap_or("0.1")),
                "readme": readme,
                "inputSchema": input.to_string(),
                "actorDefinition": {
                    "actorSpecification": 1, "name": tool, "version": actor["version"],
                    "readme": readme, "input": input, "storages": {"dataset": dataset},
                },
            })),
        });
    }
    let config = ComplianceConfig {
        disabled_rules: vec!["CS-STORE-SEO-MISSING".into(), "CS-STORE-SEO-LENGTH".into()],
        ..ComplianceConfig::default()
    };
    let found = analyze(
        &config,
        &ComplianceEvidence {
            as_of,
            actors: docs,
        },
    );
    let findings: Vec<String> = found
        .output
        .actors
        .iter()
        .flat_map(|a| {
            a.findings.iter().map(move |f| {
                format!(
                    "{}: {} {:?} at {}: {}",
                    a.actor_name, f.rule, f.severity, f.location, f.message
                )
            })
        })
        .collect();
    eprintln!(
        "compliance-scanner over our {} Actors: {} findings",
        found.output.actors.len(),
        findings.len()
    );
    problems_or_pass(findings);
}
