//! The Apify platform's nouns, reduced to what the analyses read.
//!
//! These are not wire types: the runtime maps API objects into them, tolerating missing fields,
//! so an analysis never has to care how a field was spelled on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Status of a run or a build, as `ActorJobStatus` in the Apify API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum JobStatus {
    #[serde(rename = "READY")]
    Ready,
    #[serde(rename = "RUNNING")]
    Running,
    #[serde(rename = "SUCCEEDED")]
    Succeeded,
    #[serde(rename = "FAILED")]
    Failed,
    #[serde(rename = "TIMING-OUT")]
    TimingOut,
    #[serde(rename = "TIMED-OUT")]
    TimedOut,
    #[serde(rename = "ABORTING")]
    Aborting,
    #[serde(rename = "ABORTED")]
    Aborted,
}

impl JobStatus {
    /// Parses the API's spelling; `TIMED_OUT` is accepted because older clients wrote it so.
    pub fn parse(s: &str) -> Option<JobStatus> {
        Some(match s {
            "READY" => JobStatus::Ready,
            "RUNNING" => JobStatus::Running,
            "SUCCEEDED" => JobStatus::Succeeded,
            "FAILED" => JobStatus::Failed,
            "TIMING-OUT" | "TIMING_OUT" => JobStatus::TimingOut,
            "TIMED-OUT" | "TIMED_OUT" => JobStatus::TimedOut,
            "ABORTING" => JobStatus::Aborting,
            "ABORTED" => JobStatus::Aborted,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Ready => "READY",
            JobStatus::Running => "RUNNING",
            JobStatus::Succeeded => "SUCCEEDED",
            JobStatus::Failed => "FAILED",
            JobStatus::TimingOut => "TIMING-OUT",
            JobStatus::TimedOut => "TIMED-OUT",
            JobStatus::Aborting => "ABORTING",
            JobStatus::Aborted => "ABORTED",
        }
    }

    /// A terminal status will not change any more; only terminal runs count in rates.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::TimedOut | JobStatus::Aborted
        )
    }
}

/// One item of a run list (`RunShort`): what the floor of one request per 1,000 runs buys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: String,
    pub status: JobStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub build_number: Option<String>,
    /// `meta.origin`: API, WEB, SCHEDULER, ...
    pub origin: Option<String>,
    /// `usageTotalUsd`: what the owner pays for the run.
    pub usage_total_usd: f64,
}

impl RunRecord {
    /// Wall-clock duration, when the run has finished and its times are sane.
    pub fn duration_secs(&self) -> Option<f64> {
        let finished = self.finished_at?;
        let millis = (finished - self.started_at).num_milliseconds();
        (millis >= 0).then(|| millis as f64 / 1000.0)
    }
}

/// The detail fields of one sampled run (`GET /v2/actor-runs/{id}`) that list items lack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    pub id: String,
    pub status: JobStatus,
    pub memory_mbytes: Option<u32>,
    pub timeout_secs: Option<u64>,
    pub mem_max_bytes: Option<f64>,
    pub run_time_secs: Option<f64>,
    pub compute_units: Option<f64>,
    /// `usage.DATASET_WRITES`; absent when the platform did not report it.
    pub dataset_writes: Option<f64>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: Option<i64>,
    /// The last status message: how out-of-memory and other failures explain themselves.
    pub status_message: Option<String>,
    pub usage_total_usd: Option<f64>,
    /// `chargedEventCounts` of pay-per-event Actors.
    #[serde(default)]
    pub charged_event_counts: std::collections::BTreeMap<String, u64>,
}

/// A build of an actor, from the build list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    pub id: String,
    pub build_number: Option<String>,
    pub status: JobStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A build with the definitions it shipped: what callers of that build write and read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    pub build: BuildInfo,
    /// The input schema as text (`inputSchema`, else `actorDefinition.input`): text, because
    /// a schema that is not even valid JSON is a finding, not an error.
    pub input_schema: Option<String>,
    /// `actorDefinition.storages.dataset`.
    pub dataset_schema: Option<serde_json::Value>,
    /// `actorDefinition.output`.
    pub output_schema: Option<serde_json::Value>,
}

/// An actor of the fleet, from the actor list and the actor object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorInfo {
    pub id: String,
    /// `name`, without the owner.
    pub name: String,
    pub username: Option<String>,
    pub title: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// `defaultRunOptions.memoryMbytes`.
    pub default_memory_mbytes: Option<u32>,
    /// `defaultRunOptions.timeoutSecs`.
    pub default_timeout_secs: Option<u64>,
    /// `taggedBuilds.latest.buildId`: the build callers get when they pin nothing.
    #[serde(default)]
    pub latest_build_id: Option<String>,
    /// `stats.totalUsers30Days`: for a public actor, the Store users who ran it lately.
    #[serde(default)]
    pub users_30_days: Option<u64>,
}

impl ActorInfo {
    /// `username/name` where the owner is known, as Apify Console shows it.
    pub fn full_name(&self) -> String {
        match &self.username {
            Some(u) => format!("{u}/{}", self.name),
            None => self.name.clone(),
        }
    }

    pub fn console_url(&self) -> String {
        format!("https://console.apify.com/actors/{}", self.id)
    }
}
