//! journeys' answers: every journey with its figures and its lift
//! (`GET /journeys/admin/overview`), which the dashboard shows, and the
//! status change it asks for (`POST /journeys/admin/journeys/{id}/status`).

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
