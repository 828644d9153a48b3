//! Real HTTP round trips against a running emulator.

mod common;

use std::time::Duration;

use common::*;
use forge_emulator::EmulatorConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn auth_errors_and_users_me() {
    let h = Harness::start().await;
    let r = h.call(Method::GET, None, "/v2/users/me", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_type(&r), "token-not-provided");
    assert_eq!(
        r.body["error"]["message"],
        "Authentication token was not provided"
    );

    let r = h.get("apify_api_not_a_real_token", "/v2/users/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_type(&r), "user-or-token-not-found");

    let r = h
        .get(&h.token("scoped-no-actors-read"), "/v2/users/me")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["username"], "demo-dev");

    // ?token= works, and the audit log keeps only "REDACTED".
    let full = h.token("full");
    let r = h
        .call(
            Method::GET,
            None,
            &format!("/v2/users/me?token={full}&x=1"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let last = h.emu.audit_log().last().cloned().unwrap();
    assert_eq!(last.query, "token=REDACTED&x=1");
    assert_eq!(last.token_id.as_deref(), Some("full"));
    assert_eq!(last.status, 200);
}

#[tokio::test]
async fn actor_list_get_and_aliases() {
    let h = Harness::start().await;
    let t = h.token("scoped");
    let n = h.fixture.actors.len();
    let r = h.get(&t, "/v2/actors?my=1&offset=2&limit=5").await;
    assert_eq!(r.status, StatusCode::OK);
    let d = &r.body["data"];
    assert_eq!(d["total"], n);
    assert_eq!(d["offset"], 2);
    assert_eq!(d["limit"], 5);
    assert_eq!(d["count"], 5);
    assert_eq!(d["desc"], false);
    let item = &d["items"][0];
    for key in ["id", "createdAt", "modifiedAt", "name", "username"] {
        assert!(item.get(key).is_some(), "ActorShort lacks {key}");
    }
    assert!(item.get("versions").is_none(), "list items are ActorShort");
    let r = h.get(&t, "/v2/actors?limit=5000").await;
    assert_eq!(r.body["data"]["limit"], 1000);
    // createdAt ascending, desc reverses.
    let asc: Vec<String> = r.body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["createdAt"].as_str().unwrap().to_owned())
        .collect();
    assert!(asc.windows(2).all(|w| w[0] <= w[1]));
    let r = h.get(&t, "/v2/acts?desc=1").await;
    assert_eq!(r.status, StatusCode::OK);
    let first = r.body["data"]["items"][0]["createdAt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(&first, asc.last().unwrap());

    let id = h.actor_id(ACTOR_OK);
    for path in [
        format!("/v2/actors/{id}"),
        format!("/v2/acts/{id}"),
        format!("/v2/actors/demo-dev~{ACTOR_OK}"),
        format!("/v2/actors/~{ACTOR_OK}"),
        format!("/v2/actors/demo-dev%7E{ACTOR_OK}"),
    ] {
        let r = h.get(&t, &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.body["data"]["id"], id.as_str());
    }
    let r = h.get(&t, "/v2/actors/nope~missing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(error_type(&r), "record-not-found");
}

#[tokio::test]
async fn builds_list_and_detail() {
    let h = Harness::start().await;
    let t = h.token("scoped");
    let actor = &h.fixture.actors[0];
    let r = h
        .get(&t, &format!("/v2/actors/{}/builds?desc=1", actor.id()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.body["data"]["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), actor.builds.len());
    let started: Vec<&str> = items
        .iter()
        .map(|b| b["startedAt"].as_str().unwrap())
        .collect();
    assert!(
        started.windows(2).all(|w| w[0] >= w[1]),
        "desc by startedAt"
    );
    for b in &items {
        assert!(b["usageTotalUsd"].is_number());
        assert!(b["buildNumberInt"].is_number());
        assert!(b.get("actorDefinition").is_none(), "BuildShort");
    }
    let build_id = items[0]["id"].as_str().unwrap();
    let r = h.get(&t, &format!("/v2/actor-builds/{build_id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["data"]["inputSchema"].is_string());
    assert!(r.body["data"]["actorDefinition"]["input"]["properties"].is_object());
    let r = h
        .get(&t, &format!("/v2/actors/{}/builds/{build_id}", actor.id()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .get(&t, &format!("/v2/actors/{}/builds/default", actor.id()))
        .await;
    assert_eq!(r.body["data"]["status"], "SUCCEEDED");
    let r = h
        .get(
            &h.token("scoped-no-actors-read"),
            &format!("/v2/actor-builds/{build_id}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn run_lists_filters_and_details() {
    let h = Harness::start().await;
    let t = h.token("scoped");
    let actor = &h.fixture.actors[0];
    let all: Vec<Value> = actor.runs.iter().map(|r| r.to_value()).collect();
    let path = format!("/v2/actors/{}/runs", actor.id());
    let r = h.get(&t, &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["total"], all.len());
    let item = &r.body["data"]["items"][0];
    assert!(item["usageTotalUsd"].is_number());
    assert!(item.get("stats").is_none(), "list items are RunShort");
    assert!(item["buildNumber"].is_string());

    // status filter (comma list).
    let r = h.get(&t, &format!("{path}?status=FAILED,TIMED-OUT")).await;
    let expected = all
        .iter()
        .filter(|r| r["status"] == "FAILED" || r["status"] == "TIMED-OUT")
        .count();
    assert_eq!(r.body["data"]["total"], expected);

    // startedAfter / startedBefore are inclusive; desc is newest first.
    let mut starts: Vec<String> = all
        .iter()
        .map(|r| r["startedAt"].as_str().unwrap().to_owned())
        .collect();
    starts.sort();
    let (lo, hi) = (&starts[2], &starts[starts.len() - 3]);
    let r = h
        .get(
            &t,
            &format!("{path}?startedAfter={lo}&startedBefore={hi}&desc=1&limit=1000"),
        )
        .await;
    assert_eq!(r.body["data"]["total"], starts.len() - 4);
    let got: Vec<&str> = r.body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["startedAt"].as_str().unwrap())
        .collect();
    assert_eq!(got.first().copied(), Some(hi.as_str()));
    assert_eq!(got.last().copied(), Some(lo.as_str()));
    assert!(got.windows(2).all(|w| w[0] >= w[1]));
    let r = h.get(&t, &format!("{path}?startedAfter=yesterday")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Whole account.
    let total: usize = h.fixture.actors.iter().map(|a| a.runs.len()).sum();
    let r = h.get(&t, "/v2/actor-runs?limit=10&offset=3").await;
    assert_eq!(r.body["data"]["total"], total);
    assert_eq!(r.body["data"]["count"], 10);

    // Details.
    let run_id = all[0]["id"].as_str().unwrap();
    let r = h.get(&t, &format!("/v2/actor-runs/{run_id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"], all[0]);
    let r = h
        .get(&t, &format!("/v2/actors/{}/runs/{run_id}", actor.id()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h.get(&t, "/v2/actor-runs/doesNotExist12345").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(error_type(&r), "record-not-found");

    // Last successful run.
    let r = h.get(&t, &format!("{path}/last?status=SUCCEEDED")).await;
    let newest_ok = all
        .iter()
        .filter(|r| r["status"] == "SUCCEEDED")
        .max_by_key(|r| r["startedAt"].as_str().unwrap().to_owned())
        .unwrap();
    assert_eq!(r.body["data"]["id"], newest_ok["id"]);

    // List runs needs actors:list-runs.
    let r = h.get(&h.token("scoped-no-actors-list-runs"), &path).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(error_type(&r), "insufficient-permissions");
    let r = h
        .get(
            &h.token("scoped-no-actors-list-runs"),
            &format!("/v2/actor-runs/{run_id}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn scoped_tokens_get_403() {
    let h = Harness::start().await;
    let ok = h.actor_id(ACTOR_OK);
    let r = h
        .get(&h.token("scoped-no-actors-read"), "/v2/actors?my=1")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .get(
            &h.token("scoped-no-actors-read"),
            &format!("/v2/actors/{ok}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["error"]["message"],
        "Insufficient permissions for this action. Make sure you're passing a correct API token and that it has the required permissions."
    );
    let r = h
        .post_json(
            &h.token("scoped-no-actors-run"),
            &format!("/v2/actors/{ok}/runs"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(h.emu.runs_of(ACTOR_OK).is_empty(), "no run was started");

    // Storage permissions, on a run's default dataset.
    let r = h
        .post_json(
            &h.token("full"),
            &format!("/v2/actors/{ok}/runs"),
            &json!({}),
        )
        .await;
    let ds = r.body["data"]["defaultDatasetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h
        .get(
            &h.token("scoped-no-storages-read"),
            &format!("/v2/datasets/{ds}/items"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Write implies read.
    let r = h
        .get(
            &h.token("scoped-no-storages-write"),
            &format!("/v2/datasets/{ds}/items"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .post_json(
            &h.token("scoped-no-storages-write"),
            &format!("/v2/datasets/{ds}/items"),
            &json!({"x": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn start_run_and_kv_records() {
    let h = Harness::start().await;
    let t = h.token("full");
    let ok = h.actor_id(ACTOR_OK);
    let r = h
        .call(
            Method::POST,
            Some(&t),
            &format!("/v2/actors/{ok}/runs?memory=1024&timeout=60&maxTotalChargeUsd=2.5"),
            Some(("application/json", br#"{"hello":"world"}"#.to_vec())),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let run = &r.body["data"];
    let run_id = run["id"].as_str().unwrap().to_owned();
    assert_eq!(run_id.len(), 17);
    assert!(run_id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(run["meta"]["origin"], "API");
    assert_eq!(run["options"]["memoryMbytes"], 1024);
    assert_eq!(run["options"]["timeoutSecs"], 60);
    assert_eq!(run["options"]["maxTotalChargeUsd"], 2.5);
    assert_eq!(run["buildNumber"], "0.1.1");
    assert!(run["containerUrl"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let location = r.headers["location"].to_str().unwrap();
    assert!(location.ends_with(&format!("/v2/actors/{ok}/runs/{run_id}")));

    // The simulated run has finished by now.
    let r = h
        .get(&t, &format!("/v2/actor-runs/{run_id}?waitForFinish=5"))
        .await;
    assert_eq!(r.body["data"]["status"], "SUCCEEDED");
    assert_eq!(r.body["data"]["usageTotalUsd"], 0.02);
    assert_eq!(r.body["data"]["stats"]["runTimeSecs"], 3.0);

    // INPUT stored with its content type.
    let kvs = run["defaultKeyValueStoreId"].as_str().unwrap().to_owned();
    let r = h
        .get(
            &t,
            &format!("/v2/key-value-stores/{kvs}/records/INPUT?attachment=1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.body, json!({"hello": "world"}));
    let r = h
        .get(
            &t,
            &format!("/v2/actor-runs/{run_id}/key-value-store/records/INPUT"),
        )
        .await;
    assert_eq!(r.body, json!({"hello": "world"}));

    // PUT / GET / HEAD / DELETE.
    let rec = format!("/v2/key-value-stores/{kvs}/records/OUTPUT");
    let r = h
        .call(
            Method::PUT,
            Some(&t),
            &rec,
            Some(("text/html; charset=utf-8", b"<p>hi</p>".to_vec())),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body, json!({}));
    let r = h.get(&t, &rec).await;
    assert_eq!(r.text, "<p>hi</p>");
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        h.emu.kv_record(&kvs, "OUTPUT"),
        Some(("text/html; charset=utf-8".to_owned(), b"<p>hi</p>".to_vec()))
    );
    let r = h.call(Method::HEAD, Some(&t), &rec, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .get(&t, &format!("/v2/key-value-stores/{kvs}/records/MISSING"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(error_type(&r), "record-not-found");
    let r = h
        .call(
            Method::HEAD,
            Some(&t),
            &format!("/v2/key-value-stores/{kvs}/records/MISSING"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .get(&t, &format!("/v2/key-value-stores/{kvs}/records/bad%20key"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_type(&r), "invalid-record-key");
    let r = h.get(&t, &format!("/v2/key-value-stores/{kvs}/keys")).await;
    let keys: Vec<&str> = r.body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["INPUT", "OUTPUT"]);
    let r = h.call(Method::DELETE, Some(&t), &rec, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(h.emu.kv_record(&kvs, "OUTPUT").is_none());
    let r = h.get(&t, &format!("/v2/key-value-stores/{kvs}")).await;
    assert_eq!(r.body["data"]["id"], kvs.as_str());
    assert_eq!(r.body["data"]["actRunId"], run_id.as_str());
    let r = h
        .get(&t, "/v2/key-value-stores/NoSuchStore000000/records/INPUT")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Status message, without runId and with unknown fields.
    let r = h
        .call(
            Method::PUT,
            Some(&t),
            &format!("/v2/actor-runs/{run_id}"),
            Some((
                "application/json",
                br#"{"statusMessage":"3/10 done","isStatusMessageTerminal":false,"level":"INFO"}"#
                    .to_vec(),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["statusMessage"], "3/10 done");
    assert_eq!(
        h.emu.run(&run_id).unwrap()["isStatusMessageTerminal"],
        false
    );
}

#[tokio::test]
async fn dataset_push_and_read() {
    let h = Harness::start().await;
    let t = h.token("full");
    let ok = h.actor_id(ACTOR_OK);
    let r = h
        .post_json(&t, &format!("/v2/actors/{ok}/runs"), &json!({}))
        .await;
    let ds = r.body["data"]["defaultDatasetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = format!("/v2/datasets/{ds}/items");
    let r = h
        .post_json(&t, &items, &json!([{"b": 1}, {"b": 2, "c": "x"}]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body, json!({}));
    let r = h.post_json(&t, &items, &json!({"b": 3})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = h.post_json(&t, &items, &json!([[{"b": 4}]])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_type(&r), "invalid-request");
    let r = h.post_json(&t, &items, &json!("text")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The 3 behavior items + 3 pushed.
    assert_eq!(h.emu.dataset_items(&ds).len(), 6);

    let r = h.get(&t, &format!("{items}?offset=1&limit=2")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_array(), "a bare array, not an envelope");
    assert_eq!(r.body, json!([{"a": 2}, {"a": 3}]));
    assert_eq!(r.headers["x-apify-pagination-offset"], "1");
    assert_eq!(r.headers["x-apify-pagination-limit"], "2");
    assert_eq!(r.headers["x-apify-pagination-count"], "2");
    assert_eq!(r.headers["x-apify-pagination-total"], "6");
    let r = h
        .get(&t, &format!("{items}?desc=1&limit=2&fields=c,b"))
        .await;
    assert_eq!(r.body, json!([{"b": 3}, {"c": "x", "b": 2}]));
    let r = h.get(&t, &format!("{items}?clean=1&limit=1&omit=b")).await;
    assert_eq!(r.body, json!([{"a": 1}]));
    let r = h.get(&t, &format!("{items}?format=jsonl&limit=2")).await;
    assert_eq!(r.text, "{\"a\":1,\"#hidden\":true}\n{\"a\":2}\n");
    let r = h.get(&t, &format!("/v2/datasets/{ds}")).await;
    assert_eq!(r.body["data"]["itemCount"], 6);
    let r = h.get(&t, "/v2/datasets/NoSuchDataset0000/items").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // 413 above 9,437,184 bytes.
    let big = format!("[{{\"x\":\"{}\"}}]", "a".repeat(9_500_000));
    let r = h
        .call(
            Method::POST,
            Some(&t),
            &items,
            Some(("application/json", big.into_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_type(&r), "request-too-large");
}

#[tokio::test]
async fn charge_is_idempotent() {
    let h = Harness::start().await;
    let t = h.token("full");
    let ok = h.actor_id(ACTOR_OK);
    let r = h
        .post_json(&t, &format!("/v2/actors/{ok}/runs"), &json!({}))
        .await;
    let run_id = r.body["data"]["id"].as_str().unwrap().to_owned();
    let before = h.emu.run(&run_id).unwrap()["usageTotalUsd"]
        .as_f64()
        .unwrap();
    let charge = |key: &'static str, count: u64| {
        let h = &h;
        let t = t.clone();
        let run_id = run_id.clone();
        async move {
            h.http
                .post(format!(
                    "{}/v2/actor-runs/{run_id}/charge",
                    h.emu.base_url()
                ))
                .bearer_auth(t)
                .header("idempotency-key", key)
                .json(&json!({"eventName": "analysis", "count": count}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = charge("k1", 2).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.text().await.unwrap(), "{}");
    assert_eq!(charge("k1", 2).await.status(), StatusCode::CREATED);
    assert_eq!(charge("k2", 1).await.status(), StatusCode::CREATED);
    let run = h.emu.run(&run_id).unwrap();
    assert_eq!(run["chargedEventCounts"]["analysis"], 3);
    let after = run["usageTotalUsd"].as_f64().unwrap();
    assert!((after - before - 1.5).abs() < 1e-9, "3 events at $0.5");
    let r = h
        .post_json(
            &t,
            &format!("/v2/actor-runs/{run_id}/charge"),
            &json!({"count": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn run_sync_with_behavior() {
    let h = Harness::start().await;
    let t = h.token("scoped");
    let ok = h.actor_id(ACTOR_OK);
    let r = h
        .post_json(
            &t,
            &format!("/v2/actors/{ok}/run-sync-get-dataset-items?clean=1"),
            &json!({"q": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body, json!([{"a": 1}, {"a": 2}, {"a": 3}]));
    assert_eq!(r.headers["x-apify-pagination-total"], "3");
    assert_eq!(r.headers["x-ratelimit-limit"], "400");

    let failing = h.actor_id(ACTOR_FAILING);
    let r = h
        .post_json(
            &t,
            &format!("/v2/acts/{failing}/run-sync-get-dataset-items"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_type(&r), "run-failed");
    let run = &h.emu.runs_of(ACTOR_FAILING)[0];
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "Actor run did not succeed (run ID: {}, status: FAILED)",
            run["id"].as_str().unwrap()
        )
    );

    // Without storages:read the run still happens, then 403.
    let r = h
        .post_json(
            &h.token("scoped-no-storages-read"),
            &format!("/v2/actors/{ok}/run-sync-get-dataset-items"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(h.emu.runs_of(ACTOR_OK).len(), 2);
}

#[tokio::test]
async fn run_sync_with_processes() {
    let h = Harness::start().await;
    let t = h.token("full");
    let exit_one = h.actor_id(ACTOR_EXIT_ONE);
    let r = h
        .post_json(
            &t,
            &format!("/v2/actors/{exit_one}/run-sync-get-dataset-items"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_type(&r), "run-failed");
    let run = &h.emu.runs_of(ACTOR_EXIT_ONE)[0];
    assert_eq!(run["status"], "FAILED");
    assert_eq!(run["exitCode"], 1);
    assert!(run["finishedAt"].is_string());
    let log = h
        .get(
            &t,
            &format!("/v2/actor-runs/{}/log", run["id"].as_str().unwrap()),
        )
        .await;
    assert!(log.text.contains("failing"), "log: {}", log.text);

    // The platform environment reaches the process.
    let env = h.actor_id(ACTOR_ENV);
    let r = h
        .post_json(
            &t,
            &format!("/v2/actors/{env}/run-sync-get-dataset-items"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body, json!([]));
    let run = &h.emu.runs_of(ACTOR_ENV)[0];
    let id = run["id"].as_str().unwrap();
    let log = h.emu.run_log(id).unwrap();
    assert!(
        log.contains(&format!(
            "run={id} legacy={id} home=1 base={}",
            h.emu.base_url()
        )),
        "{log}"
    );
    assert!(log.contains(&format!(
        "kvs={}",
        run["defaultKeyValueStoreId"].as_str().unwrap()
    )));
    assert!(log.contains("mem=512 extra=yes"), "{log}");
    assert!(!log.contains("token_len=0"), "a run token is set");
}

#[tokio::test]
async fn run_sync_timeout_and_abort() {
    let mut cfg = config();
    cfg.run_sync_timeout = Duration::from_secs(1);
    let h = Harness::with(fixture(), cfg).await;
    let t = h.token("full");
    let sleeper = h.actor_id(ACTOR_SLEEPER);
    let r = h
        .post_json(
            &t,
            &format!("/v2/actors/{sleeper}/run-sync-get-dataset-items"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(error_type(&r), "run-timeout-exceeded");
    assert_eq!(
        r.body["error"]["message"],
        "Actor run exceeded the timeout of 1 seconds for this API endpoint"
    );
    let run_id = h.emu.runs_of(ACTOR_SLEEPER)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(h.emu.run(&run_id).unwrap()["status"], "RUNNING");
    let r = h
        .call(
            Method::POST,
            Some(&t),
            &format!("/v2/actor-runs/{run_id}/abort"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["status"], "ABORTED");

    // A run timeout kills the process: TIMED-OUT.
    let r = h
        .call(
            Method::POST,
            Some(&t),
            &format!("/v2/actors/{sleeper}/runs?timeout=1&waitForFinish=10"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["data"]["status"], "TIMED-OUT");
}

#[tokio::test]
async fn rate_limit_returns_429() {
    let h = Harness::start().await;
    let t = h.token("full");
    let id = h.actor_id(ACTOR_OK);
    let mut limited = None;
    for _ in 0..400 {
        let r = h.get(&t, &format!("/v2/actors/{id}")).await;
        assert_eq!(r.headers["x-ratelimit-limit"], "60");
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("some request was rate limited");
    assert_eq!(error_type(&r), "rate-limit-exceeded");
    assert_eq!(
        r.body["error"]["message"],
        "You have exceeded the rate limit of 60 requests per second"
    );
    // Another resource is unaffected.
    let other = h.actor_id(ACTOR_FAILING);
    assert_eq!(
        h.get(&t, &format!("/v2/actors/{other}")).await.status,
        StatusCode::OK
    );

    let cfg = EmulatorConfig {
        rate_limits: false,
        ..EmulatorConfig::default()
    };
    let h = Harness::with(fixture(), cfg).await;
    let t = h.token("full");
    for _ in 0..150 {
        assert_eq!(
            h.get(&t, &format!("/v2/actors/{id}")).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn framework_errors_use_the_envelope() {
    let h = Harness::start().await;
    let t = h.token("full");
    let r = h.call(Method::DELETE, Some(&t), "/v2/actors", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_type(&r), "method-not-allowed");
    let r = h.get(&t, "/v2/no-such-endpoint").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(error_type(&r), "page-not-found");
    let r = h
        .call(Method::POST, Some(&t), "/v2/datasets/x/items", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let resp = h
        .http
        .post(format!("{}/v2/datasets/x/items", h.emu.base_url()))
        .bearer_auth(&t)
        .header("content-encoding", "zstd-nope")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "unsupported-content-encoding");
}

#[tokio::test]
async fn audit_log_never_contains_a_token() {
    let h = Harness::start().await;
    let full = h.token("full");
    let ok = h.actor_id(ACTOR_OK);
    h.get(&full, "/v2/users/me").await;
    h.call(Method::GET, None, &format!("/v2/actors?token={full}"), None)
        .await;
    h.call(
        Method::GET,
        None,
        &format!("/v2/actors?token=apify_api_{}", "WRONG"),
        None,
    )
    .await;
    h.post_json(
        &full,
        &format!("/v2/actors/{ok}/run-sync-get-dataset-items"),
        &json!({}),
    )
    .await;
    h.get("some-bad-token", "/v2/actors").await;
    let env = h.actor_id(ACTOR_ENV);
    h.post_json(
        &full,
        &format!("/v2/actors/{env}/run-sync-get-dataset-items"),
        &json!({}),
    )
    .await;
    let log = h.emu.audit_log();
    assert_eq!(log.len(), h.emu.request_count());
    assert!(log.len() >= 6);
    let text = serde_json::to_string(&log).unwrap();
    for spec in &h.fixture.tokens {
        assert!(
            !text.contains(&spec.token),
            "audit log leaks token {}",
            spec.id
        );
    }
    assert!(!text.contains("apify_api_WRONG"));
    assert!(!text.contains("some-bad-token"));
    assert!(text.contains("REDACTED"));
    let run_sync = log
        .iter()
        .find(|e| e.path.ends_with("run-sync-get-dataset-items"))
        .unwrap();
    assert_eq!(
        run_sync.resource.as_deref(),
        Some(format!("actor:{ok}").as_str())
    );
    assert_eq!(run_sync.token_id.as_deref(), Some("full"));
    assert_eq!(run_sync.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_uses_its_run_token() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: curl not installed");
        return;
    }
    let h = Harness::start().await;
    // The run token carries the starter's scope: with the five permissions it writes its
    // own default dataset.
    let t = h.token("scoped");
    let curl = h.actor_id(ACTOR_CURL);
    let r = h
        .post_json(
            &t,
            &format!("/v2/actors/{curl}/run-sync-get-dataset-items"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body, json!([{"from": "process"}]));
    let run = &h.emu.runs_of(ACTOR_CURL)[0];
    assert_eq!(run["statusMessage"], "pushed");
    let run_token_id = format!("run-token-{}", run["id"].as_str().unwrap());
    let by_run: Vec<_> = h
        .emu
        .audit_log()
        .into_iter()
        .filter(|e| e.token_id.as_deref() == Some(run_token_id.as_str()))
        .collect();
    assert_eq!(by_run.len(), 2, "{by_run:?}");
    assert!(by_run.iter().all(|e| e.status < 300));
}
