//! Acknowledgements that outlive a run: the orchestrator's input names signal IDs (each with
//! an optional expiry), and the set in force is kept in its SNAPSHOT, so a schedule whose
//! input never changes still remembers what a person accepted last month, and forgets it on
//! the day they said.
//!
//! An entry of the input is a signal ID, optionally followed by ` until ` and a date
//! (`2026-12-31`, meaning to the end of that day, UTC) or an instant (RFC 3339):
//!
//! ```text
//! 3f9a0c2d41b7e655
//! 3f9a0c2d41b7e655 until 2026-12-31
//! ```
//!
//! Resolution ([`resolve`]): the stored set, then the input's entries over it (the input's
//! expiry wins for the same ID), minus the IDs the input revokes; entries whose expiry has
//! passed are dropped and reported as expired, so the signal comes back into the plan with a
//! note of why.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::input::{FieldError, InputError};

/// Where an acknowledgement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AckSource {
    /// This run's input.
    Input,
    /// An earlier run's SNAPSHOT.
    Stored,
}

/// One acknowledged signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledgement {
    /// The signal ID (16 hex digits, stable across runs).
    pub id: String,
    /// When it stops applying; `None`: until revoked.
    pub until: Option<DateTime<Utc>>,
    /// When a run first saw it.
    pub since: DateTime<Utc>,
    pub source: AckSource,
}

/// What a run keeps for the next one (in SNAPSHOT).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckState {
    pub acknowledgements: Vec<Acknowledgement>,
}

/// The acknowledgements in force for this run, and what changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    /// In force, sorted by ID.
    pub active: Vec<Acknowledgement>,
    /// Expired at or before `now` (this run is the first not to honour them).
    pub expired: Vec<Acknowledgement>,
    /// Revoked by this run's input (IDs that were in force).
    pub revoked: Vec<String>,
}

impl Resolved {
    pub fn ids(&self) -> Vec<String> {
        self.active.iter().map(|a| a.id.clone()).collect()
    }
    /// The state to store for the next run.
    pub fn state(&self) -> AckState {
        AckState {
            acknowledgements: self.active.clone(),
        }
    }
}

fn is_signal_id(s: &str) -> bool {
    s.len() == 16
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses one entry (module docs); `field` names it in the error, e.g. `acknowledgedSignals[2]`.
pub fn parse_entry(
    field: &str,
    entry: &str,
) -> Result<(String, Option<DateTime<Utc>>), InputError> {
    let bad = |why: String| {
        InputError::Invalid(vec![FieldError {
            field: field.to_string(),
            message: why,
        }])
    };
    let mut parts = entry.trim().splitn(2, " until ");
    let id = parts.next().unwrap_or_default().trim();
    if !is_signal_id(id) {
        return Err(bad(format!(
            "`{id}` is not a signal ID (16 lowercase hex digits, as in SIGNALS)"
        )));
    }
    let until = match parts.next().map(str::trim) {
        None => None,
        Some(t) => Some(parse_until(t).ok_or_else(|| {
            bad(format!(
                "`{t}` after `until` is neither a date (2026-12-31) nor an RFC 3339 instant"
            ))
        })?),
    };
    Ok((id.to_string(), until))
}

/// A date means to the end of that day (UTC); an instant means itself.
fn parse_until(t: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let midnight = d.and_hms_opt(0, 0, 0)?.and_utc();
        return midnight.checked_add_signed(Duration::days(1));
    }
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The acknowledgements in force at `now` (module docs). Errors name the input field of the
/// first bad entry; nothing is resolved from a bad input.
pub fn resolve(
    input: &[String],
    revoke: &[String],
    stored: Option<&AckState>,
    now: DateTime<Utc>,
) -> Result<Resolved, InputError> {
    let mut set: BTreeMap<String, Acknowledgement> = BTreeMap::new();
    for a in stored.map(|s| s.acknowledgements.as_slice()).unwrap_or(&[]) {
        // A stored entry that is not an ID (an older or edited snapshot) is dropped, not fatal.
        if is_signal_id(&a.id) {
            let mut a = a.clone();
            a.source = AckSource::Stored;
            set.insert(a.id.clone(), a);
        }
    }
    for (i, entry) in input.iter().enumerate() {
        let (id, until) = parse_entry(&format!("acknowledgedSignals[{i}]"), entry)?;
        let since = set.get(&id).map(|a| a.since).unwrap_or(now);
        set.insert(
            id.clone(),
            Acknowledgement {
                id,
                until,
                since,
                source: AckSource::Input,
            },
        );
    }
    let mut out = Resolved::default();
    for (i, entry) in revoke.iter().enumerate() {
        let (id, _) = parse_entry(&format!("unacknowledgedSignals[{i}]"), entry)?;
        if set.remove(&id).is_some() {
            out.revoked.push(id);
        }
    }
    for (_, a) in set {
        if a.until.is_some_and(|u| u <= now) {
            out.expired.push(a);
        } else {
            out.active.push(a);
        }
    }
    out.revoked.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const A: &str = "0123456789abcdef";
    const B: &str = "fedcba9876543210";

    fn t(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn an_entry_is_an_id_with_an_optional_expiry() {
        assert_eq!(parse_entry("f", A).unwrap(), (A.to_string(), None));
        let (_, until) = parse_entry("f", &format!("{A} until 2026-11-30")).unwrap();
        assert_eq!(
            until,
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap())
        );
        let (_, until) = parse_entry("f", &format!("{A} until 2026-11-30T08:00:00+01:00")).unwrap();
        assert_eq!(
            until,
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap())
        );
        let e = parse_entry("acknowledgedSignals[3]", "FA-NO-SUCCESS").unwrap_err();
        assert!(e.to_string().contains("acknowledgedSignals[3]"), "{e}");
        let e = parse_entry("x", &format!("{A} until next week")).unwrap_err();
        assert!(e.to_string().contains("next week"), "{e}");
    }

    #[test]
    fn stored_acknowledgements_hold_until_they_expire() {
        let first = resolve(
            &[format!("{A} until 2026-11-20"), B.into()],
            &[],
            None,
            t(1),
        )
        .unwrap();
        assert_eq!(first.ids(), vec![A, B]);
        // Later runs with an empty input keep both, from the snapshot...
        let later = resolve(&[], &[], Some(&first.state()), t(15)).unwrap();
        assert_eq!(later.ids(), vec![A, B]);
        assert!(later
            .active
            .iter()
            .all(|a| a.source == AckSource::Stored && a.since == t(1)));
        // ...until A's day is over; B stays until revoked.
        let after = resolve(&[], &[], Some(&later.state()), t(21)).unwrap();
        assert_eq!(after.ids(), vec![B]);
        assert_eq!(after.expired.len(), 1);
        assert_eq!(after.expired[0].id, A);
        let revoked = resolve(&[], &[B.into()], Some(&after.state()), t(22)).unwrap();
        assert!(revoked.active.is_empty());
        assert_eq!(revoked.revoked, vec![B]);
    }

    #[test]
    fn the_input_overrides_a_stored_expiry_and_a_bad_entry_changes_nothing() {
        let stored = resolve(&[format!("{A} until 2026-11-10")], &[], None, t(1)).unwrap();
        let renewed = resolve(
            &[format!("{A} until 2026-12-31")],
            &[],
            Some(&stored.state()),
            t(5),
        )
        .unwrap();
        assert_eq!(renewed.active[0].since, t(1));
        assert!(renewed.active[0].until.unwrap() > t(30));
        let e = resolve(&[A.into(), "nope".into()], &[], Some(&stored.state()), t(5)).unwrap_err();
        assert!(e.to_string().contains("acknowledgedSignals[1]"), "{e}");
    }
}
