//! Responses validated against the official Apify OpenAPI spec (skipped when the bundled spec
//! is not on this machine; the workspace's contract test carries an extracted copy).

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const SPEC: &str = "/work/shared/apify-openapi-bundled/openapi.bundled.json";

struct Spec(Value);

impl Spec {
    fn load() -> Option<Spec> {
        let text = std::fs::read_to_string(SPEC).ok()?;
        serde_json::from_str(&text).ok().map(Spec)
    }

    /// Validates `body` against the response schema of `method path` for `status`.
    fn check(&self, method: &str, path: &str, status: u16, body: &Value) {
        let errors = self.errors(method, path, status, body);
        assert!(errors.is_empty(), "{method} {path} {status}: {errors:#?}");
    }

    fn errors(&self, method: &str, path: &str, status: u16, body: &Value) -> Vec<String> {
        let op = &self.0["paths"][path][method];
        assert!(op.is_object(), "no operation {method} {path}");
        let mut resp = &op["responses"][status.to_string()];
        if let Some(r) = resp["$ref"].as_str() {
            resp = self
                .0
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null);
        }
        let schema = resp["content"]["application/json"]["schema"].clone();
        assert!(schema.is_object(), "no schema for {method} {path} {status}");
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": [schema],
            "components": self.0["components"],
        });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .expect("schema compiles");
        validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect()
    }
}

#[tokio::test]
async fn responses_conform_to_the_spec() {
    let Some(spec) = Spec::load() else {
        eprintln!("skipped: {SPEC} not found");
        return;
    };
    // The check itself bites: a run without its required fields, a relative URL.
    assert!(!spec
        .errors(
            "get",
            "/v2/actor-runs/{runId}",
            200,
            &json!({"data": {"id": "x"}})
        )
        .is_empty());
    let bad_url = json!({"data": {"id": "d", "userId": "u", "createdAt": "2026-01-01T00:00:00.000Z",
        "modifiedAt": "2026-01-01T00:00:00.000Z", "accessedAt": "2026-01-01T00:00:00.000Z",
        "itemCount": 0, "cleanItemCount": 0, "consoleUrl": ""}});
    assert!(!spec
        .errors("get", "/v2/datasets/{datasetId}", 200, &bad_url)
        .is_empty());

    let h = Harness::start().await;
    let t = h.token("full");
    let actor = &h.fixture.actors[0];
    let aid = actor.id().to_owned();
    let run_id = actor.runs[0].to_value()["id"].as_str().unwrap().to_owned();
    let build_id = actor.builds[0]["id"].as_str().unwrap().to_owned();

    let r = h.get(&t, "/v2/users/me").await;
    spec.check("get", "/v2/users/me", 200, &r.body);
    let r = h.get(&t, "/v2/actors?my=1").await;
    spec.check("get", "/v2/actors", 200, &r.body);
    let r = h.get(&t, &format!("/v2/actors/{aid}")).await;
    spec.check("get", "/v2/actors/{actorId}", 200, &r.body);
    let r = h.get(&t, &format!("/v2/actors/{aid}/builds")).await;
    spec.check("get", "/v2/actors/{actorId}/builds", 200, &r.body);
    let r = h.get(&t, &format!("/v2/actor-builds/{build_id}")).await;
    spec.check("get", "/v2/actor-builds/{buildId}", 200, &r.body);
    let r = h.get(&t, &format!("/v2/actors/{aid}/runs?desc=1")).await;
    spec.check("get", "/v2/actors/{actorId}/runs", 200, &r.body);
    let r = h.get(&t, "/v2/actor-runs?limit=100").await;
    spec.check("get", "/v2/actor-runs", 200, &r.body);
    let r = h.get(&t, &format!("/v2/actor-runs/{run_id}")).await;
    spec.check("get", "/v2/actor-runs/{runId}", 200, &r.body);
    let r = h
        .get(&t, &format!("/v2/actors/{aid}/runs/last?status=SUCCEEDED"))
        .await;
    spec.check("get", "/v2/actors/{actorId}/runs/last", 200, &r.body);

    let ok = h.actor_id(ACTOR_OK);
    let r = h
        .post_json(&t, &format!("/v2/actors/{ok}/runs"), &json!({"x": 1}))
        .await;
    spec.check("post", "/v2/actors/{actorId}/runs", 201, &r.body);
    let new_run = r.body["data"]["id"].as_str().unwrap().to_owned();
    let kvs = r.body["data"]["defaultKeyValueStoreId"]
        .as_str()
        .unwrap()
        .to_owned();
    let ds = r.body["data"]["defaultDatasetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h.get(&t, &format!("/v2/actor-runs/{new_run}")).await;
    spec.check("get", "/v2/actor-runs/{runId}", 200, &r.body);
    let r = h
        .call(
            Method::PUT,
            Some(&t),
            &format!("/v2/actor-runs/{new_run}"),
            Some(("application/json", br#"{"statusMessage":"hi"}"#.to_vec())),
        )
        .await;
    spec.check("put", "/v2/actor-runs/{runId}", 200, &r.body);
    let r = h
        .post_json(
            &t,
            &format!("/v2/actor-runs/{new_run}/charge"),
            &json!({"eventName": "analysis", "count": 1}),
        )
        .await;
    spec.check("post", "/v2/actor-runs/{runId}/charge", 201, &r.body);
    let r = h
        .post_json(&t, &format!("/v2/datasets/{ds}/items"), &json!([{"a": 1}]))
        .await;
    spec.check("post", "/v2/datasets/{datasetId}/items", 201, &r.body);
    let r = h.get(&t, &format!("/v2/datasets/{ds}")).await;
    spec.check("get", "/v2/datasets/{datasetId}", 200, &r.body);
    let r = h.get(&t, &format!("/v2/key-value-stores/{kvs}")).await;
    spec.check("get", "/v2/key-value-stores/{storeId}", 200, &r.body);
    let r = h.get(&t, &format!("/v2/key-value-stores/{kvs}/keys")).await;
    spec.check("get", "/v2/key-value-stores/{storeId}/keys", 200, &r.body);
    let r = h
        .call(
            Method::PUT,
            Some(&t),
            &format!("/v2/key-value-stores/{kvs}/records/OUT"),
            Some(("text/plain", b"x".to_vec())),
        )
        .await;
    spec.check(
        "put",
        "/v2/key-value-stores/{storeId}/records/{recordKey}",
        201,
        &r.body,
    );
    let r = h
        .call(
            Method::POST,
            Some(&t),
            &format!("/v2/actor-runs/{new_run}/abort"),
            None,
        )
        .await;
    spec.check("post", "/v2/actor-runs/{runId}/abort", 200, &r.body);

    // Error bodies.
    let r = h.get(&t, "/v2/actor-runs/NoSuchRun00000000").await;
    spec.check("get", "/v2/actor-runs/{runId}", 404, &r.body);
    let r = h
        .get(
            &h.token("scoped-no-actors-read"),
            &format!("/v2/actors/{aid}"),
        )
        .await;
    spec.check("get", "/v2/actors/{actorId}", 403, &r.body);
    let r = h.call(Method::GET, None, "/v2/actors", None).await;
    spec.check("get", "/v2/actors", 401, &r.body);
}
