//! The run's environment, read once. The platform sets `ACTOR_*` names and still the legacy
//! `APIFY_*` ones; both are accepted, the new name first.

use secrecy::SecretString;

/// Where the run is and what it may touch.
#[derive(Debug)]
pub struct RunEnv {
    /// `APIFY_IS_AT_HOME=1`: on the platform (or the emulator playing it).
    pub is_at_home: bool,
    pub token: Option<SecretString>,
    pub api_base_url: String,
    pub actor_id: Option<String>,
    pub run_id: Option<String>,
    pub default_key_value_store_id: Option<String>,
    pub default_dataset_id: Option<String>,
    pub input_key: String,
    pub local_storage_dir: std::path::PathBuf,
    pub max_total_charge_usd: Option<f64>,
    /// `ACTOR_STARTED_AT`: the run's start, which a migration does not change. On the platform
    /// it is the run's `now`, so a restarted process analyses the same window.
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `ACTOR_EVENTS_WEBSOCKET_URL`: the platform's events websocket. A secret like the token
    /// (the platform may put a key in its path): it is never logged.
    pub events_websocket_url: Option<SecretString>,
    /// `APIFY_ACTOR_PRICING_INFO`: the run's pricing, as JSON (pay-per-event prices).
    pub pricing_info: Option<String>,
}

pub const DEFAULT_API_BASE_URL: &str = "https://api.apify.com";

impl RunEnv {
    pub fn from_process() -> RunEnv {
        RunEnv::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads through `lookup`, so tests need no process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> RunEnv {
        let get = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| lookup(n).filter(|v| !v.is_empty()))
        };
        RunEnv {
            is_at_home: get(&["APIFY_IS_AT_HOME"]).is_some_and(|v| v == "1" || v == "true"),
            token: get(&["APIFY_TOKEN"]).map(SecretString::from),
            api_base_url: get(&["APIFY_API_BASE_URL"])
                .unwrap_or_else(|| DEFAULT_API_BASE_URL.into()),
            actor_id: get(&["ACTOR_ID", "APIFY_ACTOR_ID", "APIFY_ACT_ID"]),
            run_id: get(&["ACTOR_RUN_ID", "APIFY_ACTOR_RUN_ID", "APIFY_ACT_RUN_ID"]),
            default_key_value_store_id: get(&[
                "ACTOR_DEFAULT_KEY_VALUE_STORE_ID",
                "APIFY_DEFAULT_KEY_VALUE_STORE_ID",
            ]),
            default_dataset_id: get(&["ACTOR_DEFAULT_DATASET_ID", "APIFY_DEFAULT_DATASET_ID"]),
            input_key: get(&["ACTOR_INPUT_KEY", "APIFY_INPUT_KEY", "CRAWLEE_INPUT_KEY"])
                .unwrap_or_else(|| "INPUT".into()),
            local_storage_dir: get(&["APIFY_LOCAL_STORAGE_DIR", "CRAWLEE_STORAGE_DIR"])
                .unwrap_or_else(|| "./storage".into())
                .into(),
            // Empty or 0 means "no cap", as the SDKs read it.
            max_total_charge_usd: get(&["ACTOR_MAX_TOTAL_CHARGE_USD"])
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0),
            started_at: get(&["ACTOR_STARTED_AT", "APIFY_STARTED_AT"])
                .and_then(|v| chrono::DateTime::parse_from_rfc3339(&v).ok())
                .map(|t| t.with_timezone(&chrono::Utc)),
            events_websocket_url: get(&["ACTOR_EVENTS_WEBSOCKET_URL", "APIFY_ACTOR_EVENTS_WS_URL"])
                .map(SecretString::from),
            pricing_info: get(&["APIFY_ACTOR_PRICING_INFO"]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    #[test]
    fn legacy_names_are_read_and_new_names_win() {
        let vars: HashMap<&str, &str> = [
            ("APIFY_IS_AT_HOME", "1"),
            ("APIFY_TOKEN", "t0k"),
            ("APIFY_ACTOR_RUN_ID", "legacyRun"),
            ("ACTOR_ID", "newActor"),
            ("APIFY_ACTOR_ID", "legacyActor"),
            ("APIFY_DEFAULT_KEY_VALUE_STORE_ID", "kvs1"),
            ("ACTOR_MAX_TOTAL_CHARGE_USD", "0"),
            ("APIFY_STARTED_AT", "2026-11-23T10:00:00.000Z"),
            (
                "APIFY_ACTOR_EVENTS_WS_URL",
                "ws://127.0.0.1:1/_events/r/k3y",
            ),
        ]
        .into_iter()
        .collect();
        let env = RunEnv::from_lookup(|k| vars.get(k).map(|v| v.to_string()));
        assert!(env.is_at_home);
        assert_eq!(env.token.as_ref().unwrap().expose_secret(), "t0k");
        assert_eq!(env.run_id.as_deref(), Some("legacyRun"));
        assert_eq!(env.actor_id.as_deref(), Some("newActor"));
        assert_eq!(env.default_key_value_store_id.as_deref(), Some("kvs1"));
        assert_eq!(env.input_key, "INPUT");
        assert_eq!(env.max_total_charge_usd, None);
        assert_eq!(env.api_base_url, DEFAULT_API_BASE_URL);
        assert_eq!(
            env.started_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-23T10:00:00+00:00")
        );
        assert_eq!(
            env.events_websocket_url.as_ref().unwrap().expose_secret(),
            "ws://127.0.0.1:1/_events/r/k3y"
        );
        let debug = format!("{env:?}");
        assert!(!debug.contains("t0k"), "the token must not show in Debug");
        assert!(!debug.contains("k3y"), "nor the events websocket's key");
    }
}
