//! Apify's per-resource rate limits: fixed one-second windows per (resource, limit class).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// 60 requests/s per resource by default.
pub(crate) const DEFAULT_LIMIT: u32 = 60;
/// Key-value store record get/put/delete.
pub(crate) const KV_RECORD_LIMIT: u32 = 200;
/// Run start, run-sync, dataset item push.
pub(crate) const RUN_AND_PUSH_LIMIT: u32 = 400;

pub(crate) struct RateLimiter {
    start: Instant,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new() -> Self {
        RateLimiter {
            start: Instant::now(),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request against `key`; false when the window's budget is spent.
    pub fn hit(&self, key: &str, limit: u32) -> bool {
        let second = self.start.elapsed().as_secs();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            // Old windows carry no information; drop them so memory stays bounded.
            windows.retain(|_, (s, _)| *s == second);
        }
        let entry = windows
            .entry(format!("{key}|{limit}"))
            .or_insert((second, 0));
        if entry.0 != second {
            *entry = (second, 0);
        }
        entry.1 += 1;
        entry.1 <= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_key() {
        let rl = RateLimiter::new();
        let ok = (0..70).filter(|_| rl.hit("actor:a", 60)).count();
        // The test may straddle a window boundary, which only allows more.
        assert!(ok >= 60);
        assert!(rl.hit("actor:b", 60));
    }
}
