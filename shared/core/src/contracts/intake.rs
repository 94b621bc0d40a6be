//! lead-intake's answers: a lead's profile with its newest submissions
//! (`GET /intake/admin/leads/{id}`), and the person a search found
//! (`GET /intake/admin/people?q=`). The hand-off record each submission
//! shows (`handoff:<submission_id>`) is here too: it is part of the first.

use super::ack::Delivery;
use crate::lead::{Lead, Submission};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `GET /intake/admin/leads/{id}`: the profile, and its newest submissions
/// (at most [`crate::lead::RECENT_SUBMISSIONS`]), each with its hand-offs
/// and its acknowledgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadView {
    pub lead: Lead,
    pub submissions: Vec<SubmissionView>,
}

/// One submission of a [`LeadView`]; each part `None` when it is not
/// stored (erased meanwhile, or never acknowledged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionView {
    pub submission: Option<Submission>,
    pub handoffs: Option<Handoffs>,
    /// instant-ack's record, as it wrote it.
    pub ack: Option<Delivery>,
}

/// `GET /intake/admin/people?q=`: the lead of the person found (404 when
/// nobody is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub lead_id: String,
}

/// Where one hand-off (or one job's part of an erase) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Done,
    /// The target refused it for good (for example 404: the target has no
    /// such endpoint in this deployment). Not retried.
    Rejected,
}

/// One target of a hand-off: its state, and what its last attempt met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub state: State,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
    /// Not handed over again before this: the target's `retry-after` (an
    /// acknowledgement whose next attempt is not due yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
}

impl Target {
    /// Not tried yet.
    pub fn pending() -> Self {
        Target {
            state: State::Pending,
            attempts: 0,
            last_error: None,
            done_at: None,
            retry_at: None,
        }
    }

    /// Still to hand over, and due now.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.state == State::Pending && self.retry_at.is_none_or(|at| now >= at)
    }
}

/// `handoff:<submission_id>`: a submission's delivery to instant-ack and
/// lead-scoring (and its `lead.created` to lead-alerts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoffs {
    pub submission_id: String,
    pub lead_id: String,
    /// Its slot in the `submissions` log (erase deletes it).
    #[serde(default)]
    pub slot: u64,
    pub ack: Target,
    pub scoring: Target,
    /// lead-alerts' `lead.created`, when something wanted it at intake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Target>,
    /// journeys' `lead.created`, when a journey listened for it at intake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journeys: Option<Target>,
}

/// Who wanted a new submission's `lead.created`, when it was stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wanted {
    /// lead-alerts: a webhook, the owner's alert, the digest.
    pub alerts: bool,
    /// journeys: a journey entered, left or waited on it.
    pub journeys: bool,
}

impl Handoffs {
    /// A new submission's, every target pending.
    pub fn new(submission_id: &str, lead_id: &str, slot: u64, wanted: Wanted) -> Self {
        Handoffs {
            submission_id: submission_id.into(),
            lead_id: lead_id.into(),
            slot,
            ack: Target::pending(),
            scoring: Target::pending(),
            event: wanted.alerts.then(Target::pending),
            journeys: wanted.journeys.then(Target::pending),
        }
    }

    /// Its targets: acknowledgement, scoring, and the event's when wanted.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        [&self.ack, &self.scoring]
            .into_iter()
            .chain(self.event.as_ref())
            .chain(self.journeys.as_ref())
    }

    /// Takes each target `stored` has finished (done or rejected) that
    /// this copy still has pending.
    pub fn keep_finished(&mut self, stored: &Handoffs) {
        let keep = |mine: &mut Target, theirs: &Target| {
            if mine.state == State::Pending && theirs.state != State::Pending {
                *mine = theirs.clone();
            }
        };
        keep(&mut self.ack, &stored.ack);
        keep(&mut self.scoring, &stored.scoring);
        for (mine, theirs) in [(&mut self.event, &stored.event), (&mut self.journeys, &stored.journeys)] {
            if let (Some(mine), Some(theirs)) = (mine.as_mut(), theirs.as_ref()) {
                keep(mine, theirs);
            }
        }
    }

    /// Nothing left to retry.
    pub fn all_done(&self) -> bool {
        self.targets().all(|t| t.state != State::Pending)
    }
}
