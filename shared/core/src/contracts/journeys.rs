//! journeys' answers: every journey with its figures and its lift
//! (`GET /journeys/admin/overview`) and one journey's step funnel (`GET
//! /journeys/admin/journeys/{id}/funnel`), which the dashboard shows, and
//! the status change it asks for (`POST /journeys/admin/journeys/{id}/status`);
//! and a person's times through journeys (`GET /journeys/admin/people/{lead}`),
//! which the person's timeline shows.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /journeys/admin/overview`: the journeys as set, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub journeys: Vec<Summary>,
}

/// One journey, with what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub name: String,
    /// `live`, `paused` or `archived`.
    pub status: String,
    /// `marketing` or `transactional`.
    pub purpose: String,
    pub enters_on: String,
    pub priority: u8,
    pub version: String,
    /// Its counters by name (`entered`, `sent`, `deferred:quiet_hours`,
    /// `skipped:no_consent`, `clicks`, `exited:completed`...), those above
    /// zero.
    pub figures: BTreeMap<String, u64>,
    pub lift: Lift,
}

impl Summary {
    pub fn figure(&self, name: &str) -> u64 {
        self.figures.get(name).copied().unwrap_or_default()
    }

    /// The sum of the figures named `<prefix>:...` (every deferral, every skip).
    pub fn all_of(&self, prefix: &str) -> u64 {
        self.figures
            .iter()
            .filter(|(name, _)| name.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(':')))
            .map(|(_, n)| n)
            .sum()
    }
}

/// What counts as a conversion: the event, within so many days of entering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// A name as `enters_on` takes it (`purchase`).
    pub event: String,
    /// 1-90.
    pub within_days: u32,
}

/// The treated against the holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lift {
    pub goal: Option<Goal>,
    pub currency: String,
    pub treated: Group,
    pub holdout: Group,
    /// Treated rate less holdout rate (both known).
    pub lift: Option<f64>,
    /// The 95 % interval of the lift.
    pub ci95: Option<(f64, f64)>,
    /// Treated conversions by the step whose message came last before them.
    pub attributed: Vec<(usize, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub people: u64,
    pub converted: u64,
    pub rate: Option<f64>,
    /// Revenue of the conversions, in minor units of `currency`, per
    /// person who entered.
    pub revenue_per_person_minor: Option<f64>,
}

/// `POST /journeys/admin/journeys/{id}/status`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    /// `live`, `paused` or `archived`.
    pub status: String,
}

/// `GET /journeys/admin/journeys/{id}/funnel`: how people left each step of
/// the journey's current version (and of earlier versions with the same
/// step numbers, whose counters it shares).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub id: String,
    pub name: String,
    pub entered: u64,
    pub steps: Vec<FunnelStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub step: usize,
    /// `wait`, `send`, `split`, `wait_for`, `go_to`, `alert` or `tag`.
    pub kind: String,
    /// What it is: an email's English subject, a channel, a wait's length.
    pub label: String,
    /// How people went on from it, by outcome (`waited`, `sent`,
    /// `held_out`, `skipped`, `failed`, `exited`, `split_taken`, `split`,
    /// `alerted`, `tagged`, `jumped`, `heard`, `timed_out`), those above zero.
    pub outcomes: BTreeMap<String, u64>,
}

impl FunnelStep {
    /// The people who went on from the step, however.
    pub fn passed(&self) -> u64 {
        self.outcomes.values().sum()
    }
}

/// `GET /journeys/admin/people/{lead}`: every time the person went through
/// a journey, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonJourneys {
    pub lead_id: String,
    pub journeys: Vec<TimeThrough>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeThrough {
    pub instance: InstanceView,
    pub exit: Option<Left>,
    /// Each step's outcome, in the order taken (a deferral is an attempt).
    pub steps: Vec<StepDone>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceView {
    /// `<journey>:<lead_id>:<n>`.
    pub id: String,
    pub journey: String,
    pub version: String,
    pub entered_at: chrono::DateTime<chrono::Utc>,
    /// What entered them (`purchase`, `activity:checkout_started`,
    /// `date:birthday`).
    pub trigger: String,
    pub held_out: bool,
}

/// How a time through ended: `completed`, `event:<name>`, `unsubscribed`...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Left {
    pub at: chrono::DateTime<chrono::Utc>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDone {
    pub step: usize,
    pub attempt: u32,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `sent`, `held_out`, `deferred`, `skipped`, `waited`, `exited`,
    /// `failed`, `split`, `alerted`, `tagged`, `jumped`, `listening`, `heard`,
    /// `timed_out`.
    pub outcome: String,
    /// A message's channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Why it was deferred, skipped, left or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Until when it waits, is held or listens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}
