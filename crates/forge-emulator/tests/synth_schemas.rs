//! Build schemas in the synthetic fleet: every build carries an Apify input schema and a dataset
//! schema, valid by Apify's own meta-schemas; healthy histories only evolve compatibly; every
//! planted schema problem is exactly what the data shows, checked here by an independent diff
//! and lint (not the generator's own code).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use forge_emulator::synth::{
    self, GroundTruth, Planted, SynthConfig, COSMETIC_CHANGES, DATASET_BREAKING_CHANGES,
    INPUT_BREAKING_CHANGES, KINDS, KIND_SCHEMA_BREAKING_DATASET, KIND_SCHEMA_BREAKING_INPUT,
    KIND_SCHEMA_COSMETIC, KIND_SCHEMA_LINT, LINT_CHANGES, SCHEMA_KINDS,
};
use forge_emulator::{ActorFixture, Fixture};
use jsonschema::{Draft, Registry, Validator};
use serde_json::{Map, Value};

const SCHEMA_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../forge-core/data/apify-json-schemas"
);
const DRAFT_07_ID: &str = "http://json-schema.org/draft-07/schema#";
const INPUT_ID: &str = "https://apify.com/schemas/v1/input.json";
const DATASET_ID: &str = "https://apify.com/schemas/v1/dataset.json";

fn fleets() -> Vec<(SynthConfig, Fixture, GroundTruth)> {
    let mut cfgs: Vec<SynthConfig> = (1..=5)
        .map(|seed| SynthConfig {
            seed,
            days: 20,
            ..SynthConfig::default()
        })
        .collect();
    cfgs.push(SynthConfig::default());
    cfgs.push(SynthConfig {
        actors: 10,
        seed: 9,
        days: 20,
        ..SynthConfig::default()
    });
    cfgs.push(SynthConfig {
        actors: 100,
        seed: 3,
        days: 10,
        runs_per_day: 2.0,
        ..SynthConfig::default()
    });
    cfgs.into_iter()
        .map(|cfg| {
            let (fx, truth) = synth::generate(&cfg);
            (cfg, fx, truth)
        })
        .collect()
}

/// Builds in build-number order (their start order too).
fn builds(a: &ActorFixture) -> Vec<&Value> {
    let mut b: Vec<&Value> = a.builds.iter().collect();
    b.sort_by_key(|b| number(b));
    b
}

fn number(b: &Value) -> u64 {
    b["buildNumber"]
        .as_str()
        .and_then(|n| n.rsplit('.').next())
        .and_then(|n| n.parse().ok())
        .unwrap()
}

fn input(b: &Value) -> &Value {
    &b["actorDefinition"]["input"]
}

fn dataset(b: &Value) -> &Value {
    &b["actorDefinition"]["storages"]["dataset"]
}

fn props(schema: &Value) -> &Map<String, Value> {
    schema["properties"].as_object().unwrap()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn types(p: &Value) -> BTreeSet<String> {
    match &p["type"] {
        Value::String(s) => [s.clone()].into(),
        other => strings(other),
    }
}

/// Input changes that break callers, as `(change, property)`.
fn input_breaks(from: &Value, to: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut add = |c: &str, p: &str| out.insert((c.to_owned(), p.to_owned()));
    let (fp, tp) = (props(from), props(to));
    for (name, f) in fp {
        let Some(t) = tp.get(name) else {
            add("property-removed", name);
            continue;
        };
        let (ft, tt) = (types(f), types(t));
        if ft != tt && !tt.is_superset(&ft) {
            add("type-narrowed", name);
        }
        match (f.get("enum"), t.get("enum")) {
            (Some(fe), Some(te)) if !strings(te).is_superset(&strings(fe)) => {
                add("enum-value-removed", name);
            }
            (None, Some(_)) => {
                add("enum-added", name);
            }
            _ => {}
        }
        match (f["minimum"].as_f64(), t["minimum"].as_f64()) {
            (Some(a), Some(b)) if b > a => {
                add("min-raised", name);
            }
            (None, Some(_)) => {
                add("min-raised", name);
            }
            _ => {}
        }
        match (f["maximum"].as_f64(), t["maximum"].as_f64()) {
            (Some(a), Some(b)) if b < a => {
                add("max-lowered", name);
            }
            (None, Some(_)) => {
                add("max-lowered", name);
            }
            _ => {}
        }
    }
    let was_required = strings(&from["required"]);
    for r in strings(&to["required"]) {
        if !was_required.contains(&r) && tp.get(&r).is_none_or(|p| p.get("default").is_none()) {
            add("required-added", &r);
        }
    }
    out
}

/// Dataset changes that break consumers, as `(change, field)`.
fn dataset_breaks(from: &Value, to: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let tp = &to["fields"]["properties"];
    for (name, f) in from["fields"]["properties"].as_object().unwrap() {
        match tp.get(name) {
            None => out.insert(("field-removed".to_owned(), name.clone())),
            Some(t) if t["type"] != f["type"] => {
                out.insert(("field-type-changed".to_owned(), name.clone()))
            }
            _ => false,
        };
    }
    out
}

fn json_type_ok(v: &Value, ty: &str) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// Does `value` validate against the property `p`?
fn fits(value: &Value, p: &Value) -> bool {
    types(p).iter().any(|t| json_type_ok(value, t))
        && p.get("enum")
            .is_none_or(|e| e.as_array().unwrap().contains(value))
        && p["minimum"]
            .as_f64()
            .is_none_or(|m| value.as_f64().is_none_or(|x| x >= m))
        && p["maximum"]
            .as_f64()
            .is_none_or(|m| value.as_f64().is_none_or(|x| x <= m))
}

/// Lint problems of an input schema, as `(change, property)`.
fn lint(schema: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut add = |c: &str, p: &str| out.insert((c.to_owned(), p.to_owned()));
    for (name, p) in props(schema) {
        let secret = p["isSecret"] == true;
        if secret && p.get("default").is_some() {
            add("secret-with-default", name);
        }
        let lower = name.to_lowercase();
        let credential = ["password", "token", "secret", "apikey", "api_key", "cookie"]
            .iter()
            .any(|w| lower.contains(w));
        if credential && !secret {
            add("credential-not-secret", name);
        }
        if let Some(d) = p.get("default") {
            if !fits(d, p) {
                add("default-invalid", name);
            }
        }
        if let Some(d) = p.get("prefill") {
            if !fits(d, p) && !types(p).contains("object") && !types(p).contains("array") {
                add("prefill-invalid", name);
            }
        }
        for key in ["title", "type", "description"] {
            if p.get(key).is_none() {
                add("missing-key", name);
            }
        }
    }
    for r in strings(&schema["required"]) {
        if !props(schema).contains_key(&r) {
            add("required-unknown", &r);
        }
    }
    out
}

fn one(change: &str, path: &str) -> BTreeSet<(String, String)> {
    [(change.to_owned(), path.to_owned())].into()
}

fn field_names(dataset: &Value) -> BTreeSet<String> {
    dataset["fields"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn view_fields(dataset: &Value) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for view in dataset["views"].as_object().unwrap().values() {
        all.extend(strings(&view["transformation"]["fields"]));
    }
    all
}

/// Apify's meta-schemas for input and dataset schemas (vendored from `@apify/json_schemas`).
struct MetaSchemas {
    input: Validator,
    dataset: Validator,
}

impl MetaSchemas {
    fn load() -> MetaSchemas {
        let read = |name: &str| -> Value {
            let path = Path::new(SCHEMA_DIR).join(name);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            serde_json::from_str(&text).unwrap()
        };
        let input = read("input.schema.json");
        let dataset = read("dataset.schema.json");
        let registry = Registry::new()
            .add(
                DRAFT_07_ID,
                Draft::Draft7.create_resource(read("json-schema-draft-07.json")),
            )
            .unwrap()
            .add(INPUT_ID, Draft::Draft201909.create_resource(input.clone()))
            .unwrap()
            .add(
                DATASET_ID,
                Draft::Draft201909.create_resource(dataset.clone()),
            )
            .unwrap()
            .prepare()
            .unwrap();
        let build = |doc: &Value| {
            jsonschema::options()
                .with_draft(Draft::Draft201909)
                .with_registry(&registry)
                .offline()
                .should_validate_formats(true)
                .build(doc)
                .unwrap()
        };
        MetaSchemas {
            input: build(&input),
            dataset: build(&dataset),
        }
    }

    fn errors(v: &Validator, instance: &Value) -> Vec<String> {
        v.iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }
}

/// The schema plant of an Actor, if any.
fn schema_plant<'a>(truth: &'a GroundTruth, a: &ActorFixture) -> Option<&'a Planted> {
    truth
        .planted
        .iter()
        .find(|p| p.actor_id == a.id() && SCHEMA_KINDS.contains(&p.kind.as_str()))
}

#[test]
fn every_build_carries_its_schemas() {
    let metas = MetaSchemas::load();
    for (cfg, fx, truth) in fleets() {
        for a in &fx.actors {
            let plant = schema_plant(&truth, a);
            for b in builds(a) {
                let text = b["inputSchema"].as_str().unwrap();
                let parsed: Value = serde_json::from_str(text).unwrap();
                assert_eq!(&parsed, input(b), "{} {}", a.name(), b["buildNumber"]);
                let schema = input(b);
                assert_eq!(schema["type"], "object");
                assert_eq!(schema["schemaVersion"], 1);
                assert!(schema["title"].is_string());
                assert!(props(schema).len() >= 6);
                assert!(!strings(&schema["required"]).is_empty());
                let ds = dataset(b);
                assert_eq!(ds["actorSpecification"], 1);
                assert_eq!(ds["fields"]["type"], "object");
                assert!(!view_fields(ds).is_empty());
                // Every field a view shows is a field, with a display property.
                let display = &ds["views"]["overview"]["display"];
                assert_eq!(display["component"], "table");
                for f in view_fields(ds) {
                    assert!(field_names(ds).contains(&f), "{}: view shows {f}", a.name());
                    assert!(display["properties"][&f]["label"].is_string());
                }

                // Valid by Apify's meta-schemas, except a planted lint problem that Apify's
                // own validation also rejects (a secret with a default, an integer property
                // with a string default).
                let planted_here = plant.is_some_and(|p| p.details["toBuildId"] == b["id"]);
                let rejected_lint = planted_here
                    && plant.is_some_and(|p| {
                        p.kind == KIND_SCHEMA_LINT
                            && (p.details["change"] == "secret-with-default"
                                || p.details["before"].is_i64())
                    });
                let errors = MetaSchemas::errors(&metas.input, schema);
                if rejected_lint {
                    assert!(!errors.is_empty(), "{}: lint plant is valid", a.name());
                } else {
                    assert!(
                        errors.is_empty(),
                        "{} {}: {errors:?}",
                        a.name(),
                        b["buildNumber"]
                    );
                }
                let errors = MetaSchemas::errors(&metas.dataset, ds);
                assert!(errors.is_empty(), "{}: {errors:?}", a.name());
            }
        }
        assert!(fx.actors.iter().all(|a| a.builds.len() >= 3), "{cfg:?}");
    }
}

#[test]
fn schema_shapes_are_realistic() {
    let (fx, _) = synth::generate(&SynthConfig::default());
    let mut editors: BTreeSet<String> = BTreeSet::new();
    let mut shapes: BTreeSet<String> = BTreeSet::new();
    for a in &fx.actors {
        let first = input(builds(a)[0]);
        shapes.insert(strings(&first["required"]).into_iter().collect());
        for (name, p) in props(first) {
            editors.insert(p["editor"].as_str().unwrap_or("").to_owned());
            assert!(p["description"].is_string(), "{}: {name}", a.name());
        }
        let proxy = &props(first)["proxyConfiguration"];
        assert_eq!(proxy["editor"], "proxy");
        assert_eq!(proxy["type"], "object");
        assert_eq!(proxy["prefill"]["useApifyProxy"], true);
        assert!(proxy["sectionCaption"].is_string());
        let key = &props(first)["apiKey"];
        assert_eq!(key["isSecret"], true);
        assert!(key.get("default").is_none());
        assert!(!strings(&first["required"]).contains("apiKey"));
        assert!(props(first).contains_key("sort") && props(first)["sort"]["enum"].is_array());
        assert!(props(first)
            .values()
            .any(|p| p["type"] == "integer" && p["minimum"].is_number()));
    }
    assert_eq!(
        shapes,
        ["searchQueries", "startUrls", "usernames"]
            .map(String::from)
            .into(),
        "three input shapes"
    );
    for e in [
        "requestListSources",
        "stringList",
        "proxy",
        "select",
        "number",
    ] {
        assert!(editors.contains(e), "{e}: {editors:?}");
    }
}

#[test]
fn schema_plants_are_counted_and_placed() {
    for (cfg, fx, truth) in fleets() {
        let per_kind = ((cfg.actors as f64 * 0.05).round() as usize).max(1);
        for kind in SCHEMA_KINDS {
            let n = truth.planted.iter().filter(|p| p.kind == kind).count();
            assert_eq!(n, per_kind, "{kind} in {cfg:?}");
        }
        if cfg.actors == 40 {
            assert_eq!(per_kind, 2);
        }
        // One plant per Actor: schema plants go on Actors without a run or build plant.
        let actors: HashSet<&str> = truth.planted.iter().map(|p| p.actor_id.as_str()).collect();
        assert_eq!(actors.len(), truth.planted.len());
        for p in truth
            .planted
            .iter()
            .filter(|p| SCHEMA_KINDS.contains(&p.kind.as_str()))
        {
            let a = fx.actors.iter().find(|a| a.id() == p.actor_id).unwrap();
            assert_eq!(a.name(), p.actor_name);
            let bs = builds(a);
            let newest = *bs.last().unwrap();
            assert_eq!(newest["status"], "SUCCEEDED", "{}", a.name());
            let good: Vec<&&Value> = bs.iter().filter(|b| b["status"] == "SUCCEEDED").collect();
            let (from, to) = (good[good.len() - 2], good[good.len() - 1]);
            let d = &p.details;
            assert_eq!(d["fromBuild"], from["buildNumber"], "{}", a.name());
            assert_eq!(d["toBuild"], to["buildNumber"]);
            assert_eq!(d["fromBuildId"], from["id"]);
            assert_eq!(d["toBuildId"], to["id"]);
            assert_eq!(p.since.unwrap().to_rfc3339(), to_utc(&to["startedAt"]));
            assert!(d["change"].is_string() && d["path"].is_string());
            assert!(!d["path"].as_str().unwrap().is_empty());
            // Failed attempts in between carry the older schemas.
            for b in bs
                .iter()
                .filter(|b| number(b) > number(from) && number(b) < number(to))
            {
                assert_eq!(b["status"], "FAILED");
                assert_eq!(input(b), input(from));
                assert_eq!(dataset(b), dataset(from));
            }
        }
    }
    // A small fleet gets a kind at a time.
    let (_, truth) = synth::generate(&SynthConfig {
        actors: 8,
        days: 10,
        ..SynthConfig::default()
    });
    let kinds: Vec<&str> = truth.planted.iter().map(|p| p.kind.as_str()).collect();
    for k in &SCHEMA_KINDS[..2] {
        assert!(kinds.contains(k), "{kinds:?}");
    }
}

fn to_utc(v: &Value) -> String {
    v.as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .to_rfc3339()
}

#[test]
fn every_planted_schema_problem_is_in_the_data() {
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, fx, truth) in fleets() {
        for p in truth
            .planted
            .iter()
            .filter(|p| SCHEMA_KINDS.contains(&p.kind.as_str()))
        {
            let a = fx.actors.iter().find(|a| a.id() == p.actor_id).unwrap();
            let find = |id: &Value| a.builds.iter().find(|b| b["id"] == *id).unwrap();
            let (from, to) = (
                find(&p.details["fromBuildId"]),
                find(&p.details["toBuildId"]),
            );
            let change = p.details["change"].as_str().unwrap();
            let path = p.details["path"].as_str().unwrap();
            let who = format!("{} {} {change} {path}", a.name(), p.kind);
            seen.entry(p.kind.clone())
                .or_default()
                .insert(change.to_owned());
            let (fi, ti) = (input(from), input(to));
            let (fd, td) = (dataset(from), dataset(to));
            assert!(lint(fi).is_empty(), "{who}: {:?}", lint(fi));
            match p.kind.as_str() {
                KIND_SCHEMA_BREAKING_INPUT => {
                    assert!(INPUT_BREAKING_CHANGES.contains(&change), "{who}");
                    assert_eq!(input_breaks(fi, ti), one(change, path), "{who}");
                    assert!(lint(ti).is_empty(), "{who}: {:?}", lint(ti));
                    assert_eq!(fd, td, "{who}");
                    let (f, t) = (&props(fi).get(path), &props(ti).get(path));
                    match change {
                        "property-removed" => {
                            assert!(f.is_some() && t.is_none(), "{who}");
                            assert_eq!(Some(&p.details["before"]), *f);
                        }
                        "required-added" => {
                            assert!(f.is_none(), "{who}");
                            assert!(t.unwrap().get("default").is_none(), "{who}");
                            assert!(strings(&ti["required"]).contains(path));
                        }
                        "type-narrowed" => {
                            assert_eq!(p.details["before"], f.unwrap()["type"]);
                            assert_eq!(p.details["after"], t.unwrap()["type"]);
                            assert_eq!(t.unwrap()["type"], "integer", "{who}");
                        }
                        "enum-value-removed" => {
                            let value = &p.details["value"];
                            assert!(f.unwrap()["enum"].as_array().unwrap().contains(value));
                            assert!(!t.unwrap()["enum"].as_array().unwrap().contains(value));
                            assert_ne!(*value, t.unwrap()["default"], "{who}");
                        }
                        "min-raised" => {
                            let (a, b) = (&f.unwrap()["minimum"], &t.unwrap()["minimum"]);
                            assert_eq!((a, b), (&p.details["before"], &p.details["after"]));
                            assert!(b.as_i64() > a.as_i64(), "{who}");
                        }
                        _ => unreachable!(),
                    }
                }
                KIND_SCHEMA_COSMETIC => {
                    assert!(COSMETIC_CHANGES.contains(&change), "{who}");
                    assert_eq!(fd, td, "{who}");
                    assert!(input_breaks(fi, ti).is_empty(), "{who}");
                    assert!(lint(ti).is_empty(), "{who}: {:?}", lint(ti));
                    assert_ne!(fi, ti, "{who}: nothing changed");
                    // Only rewording of allowed keys, and optional properties with a default.
                    let mut reworded: BTreeSet<(String, String)> = BTreeSet::new();
                    for (name, f) in props(fi) {
                        let t = &props(ti)[name];
                        let keys: BTreeSet<&String> = f
                            .as_object()
                            .unwrap()
                            .keys()
                            .chain(t.as_object().unwrap().keys())
                            .collect();
                        for k in keys {
                            if f.get(k) != t.get(k) {
                                assert!(
                                    ["title", "description", "sectionCaption"]
                                        .contains(&k.as_str()),
                                    "{who}: {name}.{k} changed"
                                );
                                assert!(f[k].is_string() && t[k].is_string(), "{who}");
                                reworded.insert((name.clone(), k.clone()));
                            }
                        }
                    }
                    let added: BTreeSet<String> = props(ti)
                        .keys()
                        .filter(|k| !props(fi).contains_key(*k))
                        .cloned()
                        .collect();
                    for name in &added {
                        assert!(props(ti)[name].get("default").is_some(), "{who}: {name}");
                    }
                    assert_eq!(fi["required"], ti["required"], "{who}");
                    for k in ["title", "type", "schemaVersion", "description"] {
                        assert_eq!(fi[k], ti[k], "{who}: {k}");
                    }
                    // The details list exactly what changed.
                    let listed = p.details["changes"].as_array().unwrap();
                    let listed_reworded: BTreeSet<(String, String)> = listed
                        .iter()
                        .filter(|c| c["change"] == "reworded")
                        .map(|c| {
                            let s = |k: &str| c[k].as_str().unwrap().to_owned();
                            (s("path"), s("key"))
                        })
                        .collect();
                    let listed_added: BTreeSet<String> = listed
                        .iter()
                        .filter(|c| c["change"] == "optional-added")
                        .map(|c| c["path"].as_str().unwrap().to_owned())
                        .collect();
                    assert_eq!(listed_reworded, reworded, "{who}");
                    assert_eq!(listed_added, added, "{who}");
                    let expected = match (reworded.is_empty(), added.is_empty()) {
                        (false, false) => "reworded+optional-added",
                        (true, false) => "optional-added",
                        _ => "reworded",
                    };
                    assert_eq!(change, expected, "{who}");
                }
                KIND_SCHEMA_BREAKING_DATASET => {
                    assert!(DATASET_BREAKING_CHANGES.contains(&change), "{who}");
                    assert_eq!(fi, ti, "{who}");
                    assert_eq!(dataset_breaks(fd, td), one(change, path), "{who}");
                    let view = p.details["view"].as_str().unwrap();
                    let shown = strings(&fd["views"][view]["transformation"]["fields"]);
                    assert!(shown.contains(path), "{who}: not in the view before");
                    assert!(field_names(fd).contains(path), "{who}");
                    match change {
                        "field-removed" => {
                            assert!(!field_names(td).contains(path), "{who}");
                            assert!(!view_fields(td).contains(path), "{who}");
                        }
                        "field-type-changed" => {
                            let (a, b) = (
                                &fd["fields"]["properties"][path]["type"],
                                &td["fields"]["properties"][path]["type"],
                            );
                            assert_ne!(a, b);
                            assert_eq!((a, b), (&p.details["before"], &p.details["after"]));
                        }
                        _ => unreachable!(),
                    }
                }
                KIND_SCHEMA_LINT => {
                    assert!(LINT_CHANGES.contains(&change), "{who}");
                    assert_eq!(lint(ti), one(change, path), "{who}");
                    assert!(input_breaks(fi, ti).is_empty(), "{who}");
                    assert_eq!(fd, td, "{who}");
                    // Nothing else changed: drop the offending bit and the schemas agree.
                    let mut fixed = ti.clone();
                    match change {
                        "credential-not-secret" => {
                            assert!(!props(fi).contains_key(path), "{who}");
                            fixed["properties"]
                                .as_object_mut()
                                .unwrap()
                                .shift_remove(path);
                        }
                        _ => {
                            assert_eq!(p.details["key"], "default");
                            assert_eq!(p.details["after"], props(ti)[path]["default"]);
                            match props(fi)[path].get("default") {
                                Some(d) => fixed["properties"][path]["default"] = d.clone(),
                                None => {
                                    fixed["properties"][path]
                                        .as_object_mut()
                                        .unwrap()
                                        .shift_remove("default");
                                }
                            }
                        }
                    }
                    assert_eq!(&fixed, fi, "{who}");
                }
                other => panic!("unknown schema kind {other}"),
            }
        }
    }
    // Over these fleets, every variant is planted somewhere.
    let all = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        seen[KIND_SCHEMA_BREAKING_INPUT],
        all(&INPUT_BREAKING_CHANGES)
    );
    assert_eq!(
        seen[KIND_SCHEMA_BREAKING_DATASET],
        all(&DATASET_BREAKING_CHANGES)
    );
    assert_eq!(seen[KIND_SCHEMA_LINT], all(&LINT_CHANGES));
    assert_eq!(seen[KIND_SCHEMA_COSMETIC], all(&COSMETIC_CHANGES));
}

#[test]
fn healthy_histories_only_evolve_compatibly() {
    let mut changed = 0;
    let mut unchanged = 0;
    let mut added_optional = 0;
    let mut added_field = 0;
    for (_, fx, truth) in fleets() {
        for a in &fx.actors {
            let plant = schema_plant(&truth, a);
            let bs = builds(a);
            for pair in bs.windows(2) {
                let (f, t) = (pair[0], pair[1]);
                if plant.is_some_and(|p| p.details["toBuildId"] == t["id"]) {
                    continue;
                }
                let who = format!("{} {} -> {}", a.name(), f["buildNumber"], t["buildNumber"]);
                assert!(
                    input_breaks(input(f), input(t)).is_empty(),
                    "{who}: {:?}",
                    input_breaks(input(f), input(t))
                );
                assert!(dataset_breaks(dataset(f), dataset(t)).is_empty(), "{who}");
                assert_eq!(input(f)["required"], input(t)["required"], "{who}");
                added_optional += props(input(t)).len() - props(input(f)).len();
                added_field += field_names(dataset(t)).len() - field_names(dataset(f)).len();
                if input(f) == input(t) && dataset(f) == dataset(t) {
                    unchanged += 1;
                } else {
                    changed += 1;
                }
            }
            // A missing-is-secret compliance plant: its newest build has that lint problem and
            // no other.
            let not_secret = truth
                .planted
                .iter()
                .find(|p| p.actor_id == a.id() && p.kind == synth::KIND_MISSING_IS_SECRET);
            for b in &bs {
                if plant.is_some_and(|p| p.details["toBuildId"] == b["id"]) {
                    continue;
                }
                if let Some(p) = not_secret.filter(|p| p.details["buildId"] == b["id"]) {
                    let name = p.details["property"].as_str().unwrap();
                    assert_eq!(lint(input(b)), one("credential-not-secret", name));
                    continue;
                }
                assert!(
                    lint(input(b)).is_empty(),
                    "{} {}: {:?}",
                    a.name(),
                    b["buildNumber"],
                    lint(input(b))
                );
            }
        }
    }
    // Histories do evolve (and often do not).
    assert!(changed >= 20 && unchanged >= 20, "{changed} {unchanged}");
    assert!(added_optional >= 10 && added_field >= 5);
}

#[test]
fn runs_reference_the_builds_they_ran() {
    let (fx, _) = synth::generate(&SynthConfig {
        days: 20,
        ..SynthConfig::default()
    });
    for a in &fx.actors {
        for r in &a.runs {
            let r = r.to_value();
            let b = a.builds.iter().find(|b| b["id"] == r["buildId"]).unwrap();
            assert_eq!(b["buildNumber"], r["buildNumber"]);
            assert_eq!(b["status"], "SUCCEEDED");
        }
    }
}

#[test]
fn schemas_do_not_disturb_the_rest_of_the_fleet() {
    // Run and build plants keep their counts; schema plants come on top.
    let (fx, truth) = synth::generate(&SynthConfig::default());
    for kind in KINDS {
        assert_eq!(truth.planted.iter().filter(|p| p.kind == kind).count(), 2);
    }
    let not_cost = truth.planted.iter().filter(|p| {
        !synth::COST_KINDS.contains(&p.kind.as_str())
            && !synth::QUALITY_KINDS.contains(&p.kind.as_str())
            && !synth::COMPLIANCE_KINDS.contains(&p.kind.as_str())
            && p.kind != synth::KIND_AB_DIFFERENCE
    });
    assert_eq!(not_cost.count(), 18);
    assert_eq!(fx.actors.len(), 40);
}
