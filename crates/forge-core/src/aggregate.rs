//! Streaming aggregation of run lists: runs are folded in as pages arrive and never kept, so
//! memory depends on the window's length in days, not on the number of runs.

use crate::histogram::LogHistogram;
use crate::model::{JobStatus, RunRecord};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Length of the "recent" period tested against the actor's own baseline.
pub const RECENT_DAYS: u32 = 7;

/// The analysis windows, fixed by `as_of` and the window length.
///
/// `current` is `[as_of - days, as_of)`, `previous` the same length before it; the collection
/// range is both. `recent` is the last [`RECENT_DAYS`] days, compared against the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Windows {
    pub as_of: DateTime<Utc>,
    pub days: u32,
}

impl Windows {
    /// `days` is clamped to at least [`RECENT_DAYS`], so "recent" always fits in "current".
    pub fn new(as_of: DateTime<Utc>, days: u32) -> Windows {
        Windows {
            as_of,
            days: days.max(RECENT_DAYS),
        }
    }
    pub fn range_start(&self) -> DateTime<Utc> {
        self.as_of - Duration::days(2 * self.days as i64)
    }
    pub fn current_start(&self) -> DateTime<Utc> {
        self.as_of - Duration::days(self.days as i64)
    }
    pub fn recent_start(&self) -> DateTime<Utc> {
        self.as_of - Duration::days(RECENT_DAYS as i64)
    }
    fn day_index(&self, t: DateTime<Utc>) -> Option<usize> {
        if t < self.range_start() || t >= self.as_of {
            return None;
        }
        Some(((t - self.range_start()).num_seconds() / 86_400) as usize)
    }
    fn total_days(&self) -> usize {
        2 * self.days as usize
    }
}

/// The windows as an OUTPUT states them, so a reader knows exactly which runs were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowOut {
    pub as_of: DateTime<Utc>,
    pub days: u32,
    pub current_start: DateTime<Utc>,
    pub previous_start: DateTime<Utc>,
    pub recent_start: DateTime<Utc>,
}

impl From<Windows> for WindowOut {
    fn from(w: Windows) -> WindowOut {
        WindowOut {
            as_of: w.as_of,
            days: w.days,
            current_start: w.current_start(),
            previous_start: w.range_start(),
            recent_start: w.recent_start(),
        }
    }
}

/// Runs by terminal status, plus the ones still going.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCounts {
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    /// READY, RUNNING, TIMING-OUT, ABORTING: not counted in rates.
    pub running: u64,
}

impl StatusCounts {
    pub fn add(&mut self, status: JobStatus) {
        match status {
            JobStatus::Succeeded => self.succeeded += 1,
            JobStatus::Failed => self.failed += 1,
            JobStatus::TimedOut => self.timed_out += 1,
            JobStatus::Aborted => self.aborted += 1,
            _ => self.running += 1,
        }
    }
    pub fn merge(&mut self, o: &StatusCounts) {
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        self.timed_out += o.timed_out;
        self.aborted += o.aborted;
        self.running += o.running;
    }
    pub fn total(&self) -> u64 {
        self.finished() + self.running
    }
    /// Runs in a terminal status.
    pub fn finished(&self) -> u64 {
        self.succeeded + self.failed + self.timed_out + self.aborted
    }
    /// Runs that did not do their job: FAILED and TIMED-OUT. ABORTED is usually a person's
    /// decision, so it is reported but not counted as a failure.
    pub fn failures(&self) -> u64 {
        self.failed + self.timed_out
    }
    /// Runs that count in a success rate: succeeded or failed, not aborted.
    pub fn decided(&self) -> u64 {
        self.succeeded + self.failures()
    }
}

/// One day of one actor's runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayTotals {
    pub status: StatusCounts,
    pub cost_usd: f64,
    /// Sum of the durations of the day's finished runs: with the run count, what decomposes
    /// a cost change into "more runs" and "longer runs".
    pub duration_secs: f64,
}

/// Everything the fleet analysis needs from one actor's run list, in bounded memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunAggregate {
    pub windows: Windows,
    pub daily: Vec<DayTotals>,
    pub duration_current: LogHistogram,
    pub duration_previous: LogHistogram,
    pub cost_per_run_recent: LogHistogram,
    /// Cost per run in the previous window: the baseline, untouched by changes inside the
    /// current window (a change 20 days ago must not raise its own baseline).
    pub cost_per_run_previous: LogHistogram,
    pub origins_current: BTreeMap<String, u64>,
    pub builds_current: BTreeMap<String, u64>,
    pub last_succeeded_at: Option<DateTime<Utc>>,
    /// Runs the list returned outside the range (the API's bounds are inclusive, ours are not).
    pub outside_range: u64,
}

impl RunAggregate {
    pub fn new(windows: Windows) -> RunAggregate {
        RunAggregate {
            windows,
            daily: vec![DayTotals::default(); windows.total_days()],
            duration_current: LogHistogram::default(),
            duration_previous: LogHistogram::default(),
            cost_per_run_recent: LogHistogram::default(),
            cost_per_run_previous: LogHistogram::default(),
            origins_current: BTreeMap::new(),
            builds_current: BTreeMap::new(),
            last_succeeded_at: None,
            outside_range: 0,
        }
    }

    pub fn add(&mut self, run: &RunRecord) {
        let Some(day) = self.windows.day_index(run.started_at) else {
            self.outside_range += 1;
            return;
        };
        let cost = if run.usage_total_usd.is_finite() {
            run.usage_total_usd.max(0.0)
        } else {
            0.0
        };
        let totals = &mut self.daily[day];
        totals.status.add(run.status);
        totals.cost_usd += cost;
        if run.status.is_terminal() {
            totals.duration_secs += run.duration_secs().unwrap_or(0.0);
        }
        let in_current = run.started_at >= self.windows.current_start();
        if run.status.is_terminal() {
            if let Some(d) = run.duration_secs() {
                if in_current {
                    self.duration_current.add(d)
                } else {
                    self.duration_previous.add(d)
                }
            }
            if run.started_at >= self.windows.recent_start() {
                self.cost_per_run_recent.add(cost);
            } else if !in_current {
                self.cost_per_run_previous.add(cost);
            }
        }
        if in_current {
            let origin = run.origin.clone().unwrap_or_else(|| "UNKNOWN".into());
            *self.origins_current.entry(origin).or_insert(0) += 1;
            if let Some(b) = &run.build_number {
                *self.builds_current.entry(b.clone()).or_insert(0) += 1;
            }
        }
        if run.status == JobStatus::Succeeded {
            let t = run.finished_at.unwrap_or(run.started_at);
            if self.last_succeeded_at.is_none_or(|l| t > l) {
                self.last_succeeded_at = Some(t);
            }
        }
    }

    fn sum_days(&self, from: usize, to: usize) -> DayTotals {
        let mut out = DayTotals::default();
        for d in &self.daily[from.min(self.daily.len())..to.min(self.daily.len())] {
            out.status.merge(&d.status);
            out.cost_usd += d.cost_usd;
            out.duration_secs += d.duration_secs;
        }
        out
    }

    pub fn current(&self) -> DayTotals {
        let n = self.windows.days as usize;
        self.sum_days(n, 2 * n)
    }
    pub fn previous(&self) -> DayTotals {
        let n = self.windows.days as usize;
        self.sum_days(0, n)
    }
    /// The last [`RECENT_DAYS`] days.
    pub fn recent(&self) -> DayTotals {
        let n = self.daily.len();
        self.sum_days(n - RECENT_DAYS as usize, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn run(days_ago: i64, status: JobStatus, cost: f64) -> RunRecord {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let started = as_of - Duration::days(days_ago) + Duration::hours(1);
        RunRecord {
            id: format!("r{days_ago}"),
            status,
            started_at: started,
            finished_at: Some(started + Duration::seconds(60)),
            build_number: Some("0.1.1".into()),
            origin: Some("API".into()),
            usage_total_usd: cost,
        }
    }

    #[test]
    fn runs_land_in_their_windows() {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let mut agg = RunAggregate::new(Windows::new(as_of, 30));
        agg.add(&run(1, JobStatus::Failed, 0.5));
        agg.add(&run(10, JobStatus::Succeeded, 0.1));
        agg.add(&run(40, JobStatus::Succeeded, 0.1));
        agg.add(&run(61, JobStatus::Succeeded, 0.1)); // before the range
        assert_eq!(agg.current().status.total(), 2);
        assert_eq!(agg.previous().status.total(), 1);
        assert_eq!(agg.recent().status.failed, 1);
        assert_eq!(agg.cost_per_run_previous.count(), 1);
        assert_eq!(agg.cost_per_run_recent.count(), 1);
        assert_eq!(agg.outside_range, 1);
        assert!((agg.current().cost_usd - 0.6).abs() < 1e-12);
        assert_eq!(agg.duration_current.count(), 2);
        assert_eq!(agg.origins_current.get("API"), Some(&2));
        assert_eq!(
            agg.last_succeeded_at.unwrap(),
            run(10, JobStatus::Succeeded, 0.0).finished_at.unwrap()
        );
    }
}
