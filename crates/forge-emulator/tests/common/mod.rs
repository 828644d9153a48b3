//! Shared helpers: a small synthetic fleet plus hand-made Actors with known behavior.
#![allow(dead_code)]

use std::time::Duration;

use forge_emulator::synth::{self, SynthConfig};
use forge_emulator::{ActorFixture, Behavior, Emulator, EmulatorConfig, Fixture};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const ACTOR_OK: &str = "test-ok";
pub const ACTOR_FAILING: &str = "test-failing";
pub const ACTOR_EXIT_ONE: &str = "test-exit-one";
pub const ACTOR_SLEEPER: &str = "test-sleeper";
pub const ACTOR_ENV: &str = "test-env";
pub const ACTOR_CURL: &str = "test-curl";

pub fn small_config() -> SynthConfig {
    SynthConfig {
        actors: 12,
        days: 20,
        runs_per_day: 3.0,
        ..SynthConfig::default()
    }
}

fn hand_actor(fx: &Fixture, id: &str, name: &str, behavior: Behavior) -> ActorFixture {
    let now = "2026-11-01T00:00:00.000Z";
    ActorFixture {
        actor: json!({
            "id": id, "userId": fx.user_id(), "name": name, "username": fx.username(),
            "title": name, "isPublic": false, "createdAt": now, "modifiedAt": now,
            "stats": { "totalBuilds": 1, "totalRuns": 0 },
            "versions": [{ "versionNumber": "0.1", "sourceType": "SOURCE_FILES" }],
            "defaultRunOptions": { "build": "latest", "timeoutSecs": 120, "memoryMbytes": 512 },
            "pricingInfos": [{
                "pricingModel": "PAY_PER_EVENT", "apifyMarginPercentage": 0.2,
                "createdAt": now, "startedAt": now,
                "pricingPerEvent": { "actorChargeEvents": {
                    "analysis": { "eventTitle": "Analysis", "eventDescription": "One analysis", "eventPriceUsd": 0.5 }
                } }
            }]
        }),
        builds: vec![json!({
            "id": format!("{id}b"), "actId": id, "userId": fx.user_id(),
            "startedAt": now, "finishedAt": now, "status": "SUCCEEDED",
            "meta": { "origin": "WEB" }, "buildNumber": "0.1.1", "usageTotalUsd": 0.01
        })],
        runs: Vec::new(),
        datasets: Default::default(),
        behavior: Some(behavior),
    }
}

/// A 12-Actor synthetic fleet plus the hand-made test Actors.
pub fn fixture() -> Fixture {
    let (mut fx, _) = synth::generate(&small_config());
    let ok = Behavior {
        success_rate: 1.0,
        duration_secs: 3.0,
        usd_per_run: 0.02,
        items: vec![
            json!({"a": 1, "#hidden": true}),
            json!({"a": 2}),
            json!({"a": 3}),
        ],
        ..Behavior::default()
    };
    let failing = Behavior {
        success_rate: 0.0,
        ..Behavior::default()
    };
    let extra = vec![
        hand_actor(&fx, "TestOkActor000001", ACTOR_OK, ok),
        hand_actor(&fx, "TestFailActor0001", ACTOR_FAILING, failing),
        hand_actor(
            &fx,
            "TestExitOne000001",
            ACTOR_EXIT_ONE,
            Behavior::default(),
        ),
        hand_actor(&fx, "TestSleeper000001", ACTOR_SLEEPER, Behavior::default()),
        hand_actor(&fx, "TestEnvActor00001", ACTOR_ENV, Behavior::default()),
        hand_actor(&fx, "TestCurlActor0001", ACTOR_CURL, Behavior::default()),
    ];
    fx.actors.extend(extra);
    fx
}

pub fn config() -> EmulatorConfig {
    let mut cfg = EmulatorConfig {
        run_sync_timeout: Duration::from_secs(20),
        ..EmulatorConfig::default()
    };
    let sh = |script: &str| vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];
    cfg.actor_commands
        .insert(ACTOR_EXIT_ONE.into(), sh("echo failing; exit 1"));
    cfg.actor_commands
        .insert(ACTOR_SLEEPER.into(), sh("exec sleep 30"));
    cfg.actor_commands.insert(
        ACTOR_ENV.into(),
        sh("echo \"run=$ACTOR_RUN_ID legacy=$APIFY_ACTOR_RUN_ID home=$APIFY_IS_AT_HOME base=$APIFY_API_BASE_URL kvs=$ACTOR_DEFAULT_KEY_VALUE_STORE_ID mem=$ACTOR_MEMORY_MBYTES extra=$MY_EXTRA token_len=${#APIFY_TOKEN}\""),
    );
    // Uses its run token against the emulator, as a real Actor would.
    cfg.actor_commands.insert(
        ACTOR_CURL.into(),
        sh(concat!(
            r#"curl -sf -X POST -H "Authorization: Bearer $APIFY_TOKEN" -H "content-type: application/json" "#,
            r#"-d '{"from":"process"}' "$APIFY_API_BASE_URL/v2/datasets/$ACTOR_DEFAULT_DATASET_ID/items" && "#,
            r#"curl -sf -X PUT -H "Authorization: Bearer $APIFY_TOKEN" -H "content-type: application/json" "#,
            r#"-d '{"statusMessage":"pushed","level":"INFO"}' "$APIFY_API_BASE_URL/v2/actor-runs/$ACTOR_RUN_ID""#
        )),
    );
    cfg.extra_env.push(("MY_EXTRA".into(), "yes".into()));
    cfg
}

pub struct Harness {
    pub emu: Emulator,
    pub fixture: Fixture,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::with(fixture(), config()).await
    }

    pub async fn with(fixture: Fixture, cfg: EmulatorConfig) -> Harness {
        let emu = Emulator::start(fixture.clone(), cfg)
            .await
            .expect("emulator starts");
        Harness {
            emu,
            fixture,
            http: reqwest::Client::new(),
        }
    }

    pub fn token(&self, id: &str) -> String {
        self.fixture.token(id).expect("token exists").token.clone()
    }

    pub fn actor_id(&self, name: &str) -> String {
        self.fixture
            .actor(name)
            .expect("actor exists")
            .id()
            .to_owned()
    }

    pub async fn call(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.emu.base_url(), path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some((ct, bytes)) = body {
            req = req.header("content-type", ct).body(bytes);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.call(Method::GET, Some(token), path, None).await
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> Reply {
        self.call(
            Method::POST,
            Some(token),
            path,
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await
    }
}

pub fn error_type(r: &Reply) -> &str {
    r.body["error"]["type"].as_str().unwrap_or("")
}
