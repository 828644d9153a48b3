//! Progress of a collection, as events: the runtime says what happened, a front end (the
//! command line) decides whether and how to show it. Nothing here knows terminals.
//!
//! One reporter per process, set once ([`set_reporter`]); until then [`report`] does nothing,
//! so Actor runs and tests pay one atomic load per event.

use std::sync::OnceLock;

/// Something a collection did that a person waiting for it may want to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The actors a tool is about to read, once its selection is known.
    ActorsListed(u64),
    /// One actor's run list was read to its end.
    ActorDone,
    /// Run list items read in one page.
    RunsRead(u64),
    /// The API answered one request (whatever the answer).
    Request,
    /// A named step began, for front ends that run several tools in a row (the demo).
    Step(String),
}

/// What a front end installs to receive [`Progress`] events, from any thread.
pub type Reporter = Box<dyn Fn(&Progress) + Send + Sync>;

static REPORTER: OnceLock<Reporter> = OnceLock::new();

/// Installs the process-wide reporter. Returns `false`, leaving the first one in place, when a
/// reporter was already set.
pub fn set_reporter(reporter: Reporter) -> bool {
    REPORTER.set(reporter).is_ok()
}

/// Hands `event` to the reporter, if one is set.
pub fn report(event: &Progress) {
    if let Some(reporter) = REPORTER.get() {
        reporter(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[test]
    fn events_reach_the_one_reporter_and_a_second_is_refused() {
        // Before any reporter, reporting is a no-op.
        report(&Progress::Step("before".into()));
        // Only this test's own events are counted: the reporter is process-wide.
        let seen = Arc::new(AtomicU64::new(0));
        let counter = seen.clone();
        assert!(set_reporter(Box::new(move |event| {
            if let Progress::Step(step) = event {
                if let Some(n) = step.strip_prefix("progress-test:") {
                    counter.fetch_add(n.parse().unwrap_or(0), Ordering::Relaxed);
                }
            }
        })));
        report(&Progress::Step("progress-test:1000".into()));
        report(&Progress::Step("progress-test:7".into()));
        report(&Progress::ActorDone);
        assert_eq!(seen.load(Ordering::Relaxed), 1007);
        assert!(!set_reporter(Box::new(|_| {})), "the first reporter stays");
        report(&Progress::Step("progress-test:1".into()));
        assert_eq!(seen.load(Ordering::Relaxed), 1008);
    }
}
