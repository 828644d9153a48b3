//! Contract test: the emulator must answer like the real Apify API v2.
//!
//! Every operation this project uses is called over real HTTP against an in-process emulator,
//! and each response is checked against the official Apify OpenAPI spec, as extracted by
//! `scripts/extract-openapi.py` into `tests/data/openapi/responses.json`:
//!
//! * the status code must be one the spec documents for that operation;
//! * the content type must be one the spec documents for that status;
//! * a JSON body must validate (draft 2020-12, formats checked) against that status's schema.
//!
//! Error bodies (401, 403, 404) are also validated against the spec's `ErrorResponse`.
//! The test is strict on purpose: the goal is that the emulator agrees with Apify, not with us.
//! All violations are collected and printed (operation, status, instance path, message)
//! before the test fails, so one run lists everything to fix.
//!
//! Regenerate the data file with `python3 scripts/extract-openapi.py` when the spec changes.

use std::collections::{BTreeMap, BTreeSet};

use forge_emulator::synth::{generate, SynthConfig};
use forge_emulator::{Emulator, EmulatorConfig, Permission, Permissions, TokenSpec};
use serde_json::{json, Value};

const CONTRACT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/openapi/responses.json"
));

/// The operations the project uses; the data file must describe exactly these.
const OPERATIONS: [&str; 23] = [
    "users_me_get",
    "actors_get",
    "actor_get",
    "actors_builds_get",
    "actors_build_get",
    "actorBuild_get",
    "actors_runs_get",
    "actors_runs_post",
    "actors_run_get",
    "actorRuns_get",
    "actorRun_get",
    "actorRun_put",
    "actor_runSyncGetDatasetItems_post",
    "actor_runSync_post",
    "actor_runSync_get",
    "PostChargeRun",
    "actorRun_abort_post",
    "keyValueStore_record_get",
    "keyValueStore_record_put",
    "dataset_get",
    "dataset_items_get",
    "dataset_items_post",
    "actorRun_keyValueStore_record_get",
];

fn contract() -> Value {
    serde_json::from_str(CONTRACT).expect("tests/data/openapi/responses.json is valid JSON")
}

fn compile(name: &str, schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema {name} from responses.json does not compile: {e}"))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// A request body.
enum Body {
    None,
    Json(Value),
}

/// What came back.
struct Reply {
    status: u16,
    media_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The spec-derived contract plus the findings collected so far.
struct Checker {
    doc: Value,
    validators: BTreeMap<String, jsonschema::Validator>,
    error_validator: jsonschema::Validator,
    client: reqwest::Client,
    base: String,
    violations: Vec<String>,
    operations_checked: BTreeSet<String>,
    responses_validated: usize,
}

impl Checker {
    fn new(base: String) -> Checker {
        let doc = contract();
        let validators = doc["schemas"]
            .as_object()
            .expect("responses.json has a `schemas` table")
            .iter()
            .map(|(name, schema)| (name.clone(), compile(name, schema)))
            .collect();
        let error_validator = compile("errorSchema", &doc["errorSchema"]);
        Checker {
            doc,
            validators,
            error_validator,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("reqwest client"),
            base,
            violations: Vec::new(),
            operations_checked: BTreeSet::new(),
            responses_validated: 0,
        }
    }

    fn violation(&mut self, op: &str, status: u16, path: &str, message: impl Into<String>) {
        let path = if path.is_empty() { "/" } else { path };
        let line = format!("{op} {status} {path}: {}", message.into());
        eprintln!("VIOLATION {line}");
        self.violations.push(line);
    }

    /// Calls `op` (method and path template taken from the spec) and checks the reply.
    async fn call(
        &mut self,
        token: Option<&str>,
        op: &str,
        params: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Body,
    ) -> Reply {
        let spec = &self.doc["operations"][op];
        let method = spec["method"]
            .as_str()
            .unwrap_or_else(|| panic!("{op} not in responses.json"));
        let mut path = spec["path"].as_str().expect("path").to_owned();
        for (name, value) in params {
            let placeholder = format!("{{{name}}}");
            assert!(
                path.contains(&placeholder),
                "{op}: no {placeholder} in {path}"
            );
            path = path.replace(&placeholder, value);
        }
        assert!(
            !path.contains('{'),
            "{op}: unfilled path parameter in {path}"
        );
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("HTTP method");
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .query(query);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{op}: {method} {path}: {e}"));
        let status = resp.status().as_u16();
        let media_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let body = resp
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{op}: reading body: {e}"))
            .to_vec();
        let reply = Reply {
            status,
            media_type,
            body,
        };
        eprintln!("{op:<36} {method:<5} {path} -> {status}");
        self.check(op, &reply);
        reply
    }

    /// Status documented? Content type documented? Body valid against the status's schema?
    fn check(&mut self, op: &str, reply: &Reply) {
        self.operations_checked.insert(op.to_owned());
        let status = reply.status;
        let documented = &self.doc["operations"][op]["responses"];
        let Some(entry) = documented.get(status.to_string()).cloned() else {
            let known: Vec<&String> = documented
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            let body = truncate(&String::from_utf8_lossy(&reply.body), 300);
            self.violation(
                op,
                status,
                "",
                format!("status {status} is not documented for this operation (documented: {known:?}); body: {body}"),
            );
            return;
        };
        let content_types: Vec<String> = entry["contentTypes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let any_type = content_types.iter().any(|t| t == "*/*");
        if !content_types.is_empty() && !any_type && !content_types.contains(&reply.media_type) {
            self.violation(
                op,
                status,
                "",
                format!(
                    "content type {:?} is not documented (documented: {content_types:?})",
                    reply.media_type
                ),
            );
        }
        let Some(schema_name) = entry["schema"].as_str() else {
            // Documented without a JSON body (e.g. a 302 redirect): nothing to validate.
            return;
        };
        if reply.media_type != "application/json" {
            if !any_type {
                self.violation(
                    op,
                    status,
                    "",
                    format!(
                        "expected an application/json body, got {:?}",
                        reply.media_type
                    ),
                );
            }
            return;
        }
        let instance: Value = match serde_json::from_slice(&reply.body) {
            Ok(v) => v,
            Err(e) => {
                let body = truncate(&String::from_utf8_lossy(&reply.body), 200);
                self.violation(
                    op,
                    status,
                    "",
                    format!("body is not valid JSON ({e}): {body:?}"),
                );
                return;
            }
        };
        let validator = self
            .validators
            .get(schema_name)
            .unwrap_or_else(|| panic!("schema {schema_name} missing from responses.json"));
        let errors: Vec<(String, String)> = validator
            .iter_errors(&instance)
            .map(|e| (e.instance_path().to_string(), truncate(&e.to_string(), 300)))
            .collect();
        self.responses_validated += 1;
        for (path, message) in errors {
            self.violation(op, status, &path, format!("[{schema_name}] {message}"));
        }
    }

    /// An error reply: the expected status, and a body that is an Apify `ErrorResponse`.
    fn expect_error(&mut self, op: &str, reply: &Reply, expected: u16) {
        if reply.status != expected {
            self.violation(
                op,
                reply.status,
                "",
                format!("expected status {expected}, got {}", reply.status),
            );
        }
        let Some(instance) = reply.json() else {
            self.violation(op, reply.status, "", "error body is not JSON");
            return;
        };
        let errors: Vec<(String, String)> = self
            .error_validator
            .iter_errors(&instance)
            .map(|e| (e.instance_path().to_string(), truncate(&e.to_string(), 300)))
            .collect();
        self.responses_validated += 1;
        for (path, message) in errors {
            self.violation(op, reply.status, &path, format!("[errorSchema] {message}"));
        }
    }

    /// A success reply with this status; returns its JSON body (Null if none).
    fn expect_success(&mut self, op: &str, reply: &Reply, expected: u16) -> Value {
        if reply.status != expected {
            let body = truncate(&String::from_utf8_lossy(&reply.body), 300);
            self.violation(
                op,
                reply.status,
                "",
                format!("expected status {expected}, got {}: {body}", reply.status),
            );
        }
        reply.json().unwrap_or(Value::Null)
    }
}

fn str_field<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            panic!(
                "no string at {pointer} in {}",
                truncate(&v.to_string(), 300)
            )
        })
}

#[test]
fn contract_data_matches_the_operation_list() {
    let doc = contract();
    let ops = doc["operations"].as_object().expect("operations");
    let listed: BTreeSet<&str> = ops.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = OPERATIONS.into_iter().collect();
    assert_eq!(
        listed, expected,
        "responses.json operations differ from the test's list"
    );
    for (op, spec) in ops {
        let responses = spec["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{op} documents no success status"
        );
        for (status, entry) in responses {
            if let Some(name) = entry["schema"].as_str() {
                assert!(
                    doc["schemas"].get(name).is_some(),
                    "{op} {status}: schema {name} missing"
                );
            }
        }
    }
    for (name, schema) in doc["schemas"].as_object().expect("schemas") {
        compile(name, schema);
    }
    let error = compile("errorSchema", &doc["errorSchema"]);
    assert!(error.is_valid(&json!({"error": {"type": "record-not-found", "message": "x"}})));
    assert!(!error.is_valid(&json!({"error": {"type": "no-such-error-type", "message": "x"}})));
    assert!(!error.is_valid(&json!({"message": "x"})));
    // The schemas have teeth: refs resolved, required fields and formats enforced.
    let run = compile("RunResponse", &doc["schemas"]["RunResponse"]);
    assert!(
        !run.is_valid(&json!({"data": {}})),
        "RunResponse accepts an empty run"
    );
    let dataset = compile("DatasetResponse", &doc["schemas"]["DatasetResponse"]);
    let mut ds = json!({"data": {
        "id": "WkzbQMuFYuamGv3YF", "userId": "wRsJZtadYvn4mBZmm",
        "createdAt": "2019-12-12T07:34:14.202Z", "modifiedAt": "2019-12-13T08:36:13.202Z",
        "accessedAt": "2019-12-14T08:36:13.202Z", "itemCount": 7, "cleanItemCount": 5,
        "consoleUrl": "https://console.apify.com/storage/datasets/WkzbQMuFYuamGv3YF"
    }});
    assert!(dataset.is_valid(&ds), "a spec-shaped dataset is rejected");
    ds["data"]["createdAt"] = json!("yesterday");
    assert!(!dataset.is_valid(&ds), "format: date-time is not enforced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_responses_match_the_apify_openapi_spec() {
    let (mut fixture, _truth) = generate(&SynthConfig {
        actors: 6,
        days: 10,
        ..Default::default()
    });
    let full = fixture
        .tokens
        .iter()
        .find(|t| t.permissions == Permissions::Full)
        .expect("the synthetic fixture has a full-permission token")
        .token
        .clone();
    // A token that can read Actors but not storages or runs, for the 403 check.
    let scoped = "contract-test-actors-read-only".to_owned();
    fixture.tokens.push(TokenSpec {
        id: "contract-actors-read".into(),
        token: scoped.clone(),
        permissions: Permissions::Scoped(vec![Permission::ActorsRead]),
    });

    // Fixture facts the calls need.
    let first = &fixture.actors[0];
    let actor_id = first.id().to_owned();
    let build_id = str_field(&first.builds[0], "/id").to_owned();
    let fixture_run = first.runs[0].to_value();
    let fixture_run_id = str_field(&fixture_run, "/id").to_owned();
    // A simulated Actor (no process configured) that always succeeds, so run-sync is 201.
    let sim = fixture
        .actors
        .iter_mut()
        .find(|a| a.behavior.is_some())
        .expect("some synthetic Actor has a simulated behavior");
    if let Some(b) = sim.behavior.as_mut() {
        b.success_rate = 1.0;
    }
    let sim_actor_id = sim.id().to_owned();
    // An Actor backed by a real (sleeping) process, so abort meets a RUNNING run.
    let slow = fixture
        .actors
        .iter()
        .find(|a| a.id() != sim_actor_id)
        .expect("a second Actor");
    let slow_actor_id = slow.id().to_owned();
    let slow_actor_name = slow.name().to_owned();
    // Two more process-backed Actors for run-sync: one writes a JSON OUTPUT through the API
    // with its run token (as an Actor does), one exits non-zero.
    let mut others = fixture
        .actors
        .iter()
        .filter(|a| a.id() != sim_actor_id && a.id() != slow_actor_id);
    let writer = others.next().expect("a third Actor");
    let (writer_id, writer_name) = (writer.id().to_owned(), writer.name().to_owned());
    let failer = others.next().expect("a fourth Actor");
    let (failer_id, failer_name) = (failer.id().to_owned(), failer.name().to_owned());
    // A dataset with items from the fixture, if any.
    let fixture_dataset = fixture
        .actors
        .iter()
        .find_map(|a| a.datasets.keys().next().cloned());

    let mut config = EmulatorConfig::default();
    config
        .actor_commands
        .insert(slow_actor_name, vec!["sleep".into(), "30".into()]);
    let sh = |script: &str| vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];
    config.actor_commands.insert(
        writer_name,
        sh(concat!(
            r#"curl -sf -X PUT -H "Authorization: Bearer $APIFY_TOKEN" -H "content-type: application/json" "#,
            r#"-d '{"answer":42,"from":"process"}' "#,
            r#""$APIFY_API_BASE_URL/v2/key-value-stores/$ACTOR_DEFAULT_KEY_VALUE_STORE_ID/records/OUTPUT""#
        )),
    );
    config
        .actor_commands
        .insert(failer_name.clone(), sh("exit 3"));
    let emu = Emulator::start(fixture, config)
        .await
        .expect("emulator starts");
    let mut c = Checker::new(emu.base_url().to_string());
    let tok = Some(full.as_str());

    // --- Account and Actors ---------------------------------------------------------------
    let r = c.call(tok, "users_me_get", &[], &[], Body::None).await;
    c.expect_success("users_me_get", &r, 200);
    let r = c.call(tok, "actors_get", &[], &[], Body::None).await;
    c.expect_success("actors_get", &r, 200);
    let r = c
        .call(tok, "actor_get", &[("actorId", &actor_id)], &[], Body::None)
        .await;
    c.expect_success("actor_get", &r, 200);

    // --- Builds ----------------------------------------------------------------------------
    let r = c
        .call(
            tok,
            "actors_builds_get",
            &[("actorId", &actor_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("actors_builds_get", &r, 200);
    let r = c
        .call(
            tok,
            "actors_build_get",
            &[("actorId", &actor_id), ("buildId", &build_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("actors_build_get", &r, 200);
    let r = c
        .call(
            tok,
            "actorBuild_get",
            &[("buildId", &build_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("actorBuild_get", &r, 200);

    // --- Runs of the fixture ----------------------------------------------------------------
    let r = c
        .call(
            tok,
            "actors_runs_get",
            &[("actorId", &actor_id)],
            &[("desc", "1"), ("limit", "50")],
            Body::None,
        )
        .await;
    c.expect_success("actors_runs_get", &r, 200);
    let r = c
        .call(tok, "actorRuns_get", &[], &[("limit", "50")], Body::None)
        .await;
    c.expect_success("actorRuns_get", &r, 200);
    let r = c
        .call(
            tok,
            "actors_run_get",
            &[("actorId", &actor_id), ("runId", &fixture_run_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("actors_run_get", &r, 200);
    let r = c
        .call(
            tok,
            "actorRun_get",
            &[("runId", &fixture_run_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("actorRun_get", &r, 200);

    // --- A new (simulated) run ----------------------------------------------------------------
    let r = c
        .call(
            tok,
            "actors_runs_post",
            &[("actorId", &sim_actor_id)],
            &[],
            Body::Json(json!({"contract": true})),
        )
        .await;
    let started = c.expect_success("actors_runs_post", &r, 201);
    let run_id = str_field(&started, "/data/id").to_owned();
    let kvs_id = str_field(&started, "/data/defaultKeyValueStoreId").to_owned();
    let dataset_id = str_field(&started, "/data/defaultDatasetId").to_owned();

    let r = c
        .call(
            tok,
            "actorRun_put",
            &[("runId", &run_id)],
            &[],
            Body::Json(json!({"runId": run_id, "statusMessage": "contract test", "isStatusMessageTerminal": false})),
        )
        .await;
    c.expect_success("actorRun_put", &r, 200);

    let r = c
        .call(
            tok,
            "PostChargeRun",
            &[("runId", &run_id)],
            &[],
            Body::Json(json!({"eventName": "contract-event", "count": 1})),
        )
        .await;
    c.expect_success("PostChargeRun", &r, 201);

    // --- Key-value store records ----------------------------------------------------------------
    let key = "CONTRACT_TEST";
    let r = c
        .call(
            tok,
            "keyValueStore_record_put",
            &[("storeId", &kvs_id), ("recordKey", key)],
            &[],
            Body::Json(json!({"hello": "world", "n": 1})),
        )
        .await;
    c.expect_success("keyValueStore_record_put", &r, 201);
    let r = c
        .call(
            tok,
            "keyValueStore_record_get",
            &[("storeId", &kvs_id), ("recordKey", key)],
            &[],
            Body::None,
        )
        .await;
    let record = c.expect_success("keyValueStore_record_get", &r, 200);
    if record != json!({"hello": "world", "n": 1}) {
        c.violation(
            "keyValueStore_record_get",
            r.status,
            "",
            format!("record round trip returned {record}"),
        );
    }
    let r = c
        .call(
            tok,
            "actorRun_keyValueStore_record_get",
            &[("runId", &run_id), ("recordKey", key)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("actorRun_keyValueStore_record_get", &r, 200);

    // --- Datasets ---------------------------------------------------------------------------------
    let r = c
        .call(
            tok,
            "dataset_items_post",
            &[("datasetId", &dataset_id)],
            &[],
            Body::Json(json!([{"contract": 1}, {"contract": 2}])),
        )
        .await;
    c.expect_success("dataset_items_post", &r, 201);
    let r = c
        .call(
            tok,
            "dataset_get",
            &[("datasetId", &dataset_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("dataset_get", &r, 200);
    let r = c
        .call(
            tok,
            "dataset_items_get",
            &[("datasetId", &dataset_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_success("dataset_items_get", &r, 200);
    if let Some(ds) = &fixture_dataset {
        let r = c
            .call(tok, "dataset_get", &[("datasetId", ds)], &[], Body::None)
            .await;
        c.expect_success("dataset_get", &r, 200);
        let r = c
            .call(
                tok,
                "dataset_items_get",
                &[("datasetId", ds)],
                &[("offset", "0"), ("limit", "10"), ("clean", "true")],
                Body::None,
            )
            .await;
        c.expect_success("dataset_items_get", &r, 200);
    }

    // --- Abort (a run of a real process, so it is still RUNNING) ----------------------------------
    let r = c
        .call(
            tok,
            "actors_runs_post",
            &[("actorId", &slow_actor_id)],
            &[],
            Body::Json(json!({})),
        )
        .await;
    let to_abort = c.expect_success("actors_runs_post", &r, 201);
    let abort_id = str_field(&to_abort, "/data/id").to_owned();
    let r = c
        .call(
            tok,
            "actorRun_abort_post",
            &[("runId", &abort_id)],
            &[],
            Body::None,
        )
        .await;
    let aborted = c.expect_success("actorRun_abort_post", &r, 200);
    let status = aborted
        .pointer("/data/status")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(status, "ABORTING" | "ABORTED") {
        c.violation(
            "actorRun_abort_post",
            r.status,
            "/data/status",
            format!("expected ABORTING or ABORTED, got {status:?}"),
        );
    }

    // --- Run synchronously and get the items -------------------------------------------------------
    let r = c
        .call(
            tok,
            "actor_runSyncGetDatasetItems_post",
            &[("actorId", &sim_actor_id)],
            &[],
            Body::Json(json!({})),
        )
        .await;
    c.expect_success("actor_runSyncGetDatasetItems_post", &r, 201);

    // --- Run synchronously and get the OUTPUT record ---------------------------------------------
    let expected_output = json!({"answer": 42, "from": "process"});
    let r = c
        .call(
            tok,
            "actor_runSync_post",
            &[("actorId", &writer_id)],
            &[],
            Body::Json(json!({"contract": true})),
        )
        .await;
    let output = c.expect_success("actor_runSync_post", &r, 201);
    if output != expected_output {
        c.violation(
            "actor_runSync_post",
            r.status,
            "",
            format!("expected the OUTPUT record, got {output}"),
        );
    }
    let r = c
        .call(
            tok,
            "actor_runSync_get",
            &[("actorId", &writer_id)],
            &[("outputRecordKey", "OUTPUT")],
            Body::None,
        )
        .await;
    let output = c.expect_success("actor_runSync_get", &r, 201);
    if output != expected_output {
        c.violation(
            "actor_runSync_get",
            r.status,
            "",
            format!("expected the OUTPUT record, got {output}"),
        );
    }
    let r = c
        .call(
            tok,
            "actor_runSync_post",
            &[("actorId", &failer_id)],
            &[],
            Body::Json(json!({})),
        )
        .await;
    c.expect_error("actor_runSync_post", &r, 400);
    let error = r.json().unwrap_or(Value::Null);
    let message = error.pointer("/error/message").and_then(Value::as_str);
    let failed_run = emu.runs_of(&failer_name).into_iter().last();
    let run_id = failed_run
        .as_ref()
        .and_then(|run| run["id"].as_str())
        .unwrap_or("?");
    if error.pointer("/error/type") != Some(&json!("run-failed"))
        || !message.is_some_and(|m| m.contains(&format!("run ID: {run_id}")))
    {
        c.violation(
            "actor_runSync_post",
            r.status,
            "/error",
            format!("expected run-failed naming run {run_id}, got {error}"),
        );
    }

    // --- Errors: 404, 403, 401 ------------------------------------------------------------------
    let r = c
        .call(
            tok,
            "actor_get",
            &[("actorId", "NoSuchActorId000")],
            &[],
            Body::None,
        )
        .await;
    c.expect_error("actor_get", &r, 404);
    let r = c
        .call(
            tok,
            "actorRun_get",
            &[("runId", "NoSuchRunId00000")],
            &[],
            Body::None,
        )
        .await;
    c.expect_error("actorRun_get", &r, 404);
    let r = c
        .call(
            tok,
            "actor_runSync_get",
            &[("actorId", "NoSuchActorId000")],
            &[],
            Body::None,
        )
        .await;
    c.expect_error("actor_runSync_get", &r, 404);
    let r = c
        .call(Some(&scoped), "actorRuns_get", &[], &[], Body::None)
        .await;
    c.expect_error("actorRuns_get", &r, 403);
    let r = c
        .call(
            Some(&scoped),
            "dataset_items_get",
            &[("datasetId", &dataset_id)],
            &[],
            Body::None,
        )
        .await;
    c.expect_error("dataset_items_get", &r, 403);
    let r = c
        .call(
            Some("not-a-real-token"),
            "users_me_get",
            &[],
            &[],
            Body::None,
        )
        .await;
    c.expect_error("users_me_get", &r, 401);
    let r = c.call(None, "actors_get", &[], &[], Body::None).await;
    c.expect_error("actors_get", &r, 401);

    emu.shutdown().await;

    let spec_version = c.doc["specVersion"].as_str().unwrap_or("?").to_owned();
    let missing: Vec<&str> = OPERATIONS
        .iter()
        .copied()
        .filter(|op| !c.operations_checked.contains(*op))
        .collect();
    println!(
        "openapi contract (Apify spec {spec_version}): {} operations checked, {} responses validated, {} violations",
        c.operations_checked.len(),
        c.responses_validated,
        c.violations.len()
    );
    assert!(missing.is_empty(), "operations never called: {missing:?}");
    assert!(
        c.violations.is_empty(),
        "the emulator disagrees with the Apify OpenAPI spec ({} violations):\n{}",
        c.violations.len(),
        c.violations.join("\n")
    );
}
