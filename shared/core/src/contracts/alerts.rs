//! lead-alerts' answers: what it keeps of one alerted lead (its steps, its
//! claim, its first contact) and the times from intake to each
//! (`GET /alerts/admin/leads/{id}`), and the body of a claim or a contact
//! (`POST /alerts/admin/leads/{id}/claim`, `.../contacted`). The step, claim
//! and contact are lead-alerts' stored records (`alert-step:`,
//! `alert-claimed:`, `alert-contacted:`), all write-once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The events' types of what a step and a contact are (a contract of
/// every receiver of lead-alerts' events).
pub use crate::events::{ContactOutcome, Person, Why};

/// `GET /alerts/admin/leads/{id}` (404 when the lead was never alerted or
/// claimed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadView {
    pub lead_id: String,
    pub alerts: LeadAlerts,
    /// `None` before the first step.
    pub timing: Option<Timing>,
}

/// How an alert went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub channel: String,
    /// `sent`, `failed` or `skipped` (nobody to alert, or no channel set up).
    pub status: String,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `alert-step:<lead_id>:<n>`: who was alerted, when, and when the SLA runs out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub n: u32,
    pub why: Why,
    pub to: Person,
    /// When the step was taken.
    pub at: DateTime<Utc>,
    /// When the SLA runs out unclaimed; `None` once escalated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// When the submission that made the lead hot arrived.
    pub intake_at: DateTime<Utc>,
    pub alert: Sent,
    /// Step 0: its entries in the logs of alerted leads, deleted on erase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logged: Vec<String>,
    /// The window it was taken in (`crate::turns::take`), for erase.
    #[serde(default)]
    pub window: i64,
}

/// `alert-claimed:<lead_id>`: who claimed the lead ("I'm on it").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    pub by: Person,
    pub at: DateTime<Utc>,
    /// `link` or `admin`.
    pub via: String,
}

/// `alert-contacted:<lead_id>`: the first contact, and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacted {
    pub by: Person,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ContactOutcome>,
    pub via: String,
}

/// Everything kept about one alerted lead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadAlerts {
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Claimed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacted: Option<Contacted>,
}

impl LeadAlerts {
    /// Nothing more for the SLA to do: claimed, contacted or escalated.
    pub fn closed(&self) -> bool {
        self.claimed.is_some() || self.contacted.is_some() || self.steps.last().is_some_and(|s| s.due.is_none())
    }

    /// The step in force: the last one taken.
    pub fn current(&self) -> Option<&Step> {
        self.steps.last()
    }
}

/// Speed to lead: the time from the submission that made the lead hot to
/// its alert, its claim and its first contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub lead_id: String,
    /// Whoever claimed it, else whoever has it now.
    pub member: Person,
    pub intake_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_alert_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_claim_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_contact_ms: Option<i64>,
}

/// The body of a claim or a contact an admin records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Act {
    /// A team member's id, or `owner`; absent: the lead's current assignee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// A contact's outcome ([`ContactOutcome`]'s names); not for a claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}
