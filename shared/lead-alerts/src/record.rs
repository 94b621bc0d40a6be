//! What lead-alerts keeps per hot lead, all write-once: its steps (who was
//! alerted, when, and when the SLA runs out), its claim and its first
//! contact. Whoever counts `1` on a step's, the claim's or the contact's
//! counter writes its record; nothing is ever overwritten.

use crate::keys;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// The events' types of what a step and a contact are (a contract of
/// every receiver of lead-alerts' events).
pub use spin_retention_core::events::{ContactOutcome, Person, Why};

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
    /// The window it was taken in ([`take_turn`]), for erase.
    #[serde(default)]
    pub window: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    pub by: Person,
    pub at: DateTime<Utc>,
    /// `link` or `admin`.
    pub via: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacted {
    pub by: Person,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ContactOutcome>,
    pub via: String,
}

/// Steps are few: the first, the reassignments, the escalation.
pub const MAX_STEPS: u32 = 32;

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
    pub fn load(store: &dyn Store, lead_id: &str) -> Result<LeadAlerts, StoreError> {
        let mut steps = Vec::new();
        for n in 0..MAX_STEPS {
            match store.get_json(&keys::step(lead_id, n))? {
                Some(step) => steps.push(step),
                None => break,
            }
        }
        Ok(LeadAlerts {
            steps,
            claimed: store.get_json(&keys::claimed(lead_id))?,
            contacted: store.get_json(&keys::contacted(lead_id))?,
        })
    }

    /// Nothing more for the SLA to do: claimed, contacted or escalated.
    pub fn closed(&self) -> bool {
        self.claimed.is_some() || self.contacted.is_some() || self.steps.last().is_some_and(|s| s.due.is_none())
    }

    pub fn current(&self) -> Option<&Step> {
        self.steps.last()
    }
}

pub use spin_retention_core::turns::{take as take_turn, window, RETAKE_SECONDS};

/// Removes everything kept about a lead (erase): its steps, claim and
/// contact, their entries in the logs of alerted leads, and the counters
/// of the windows they were taken in.
pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    let alerts = LeadAlerts::load(store, lead_id)?;
    // Claims and contacts count their windows from the first alert, else
    // from the lead's creation (as `actions` does).
    let since = match alerts.steps.first() {
        Some(step) => Some(step.at),
        None => store.get_json(&keys::lead(lead_id))?.map(|c| c.created_at),
    };
    let window_of = |at: DateTime<Utc>| since.map_or(0, |since| window(since, at));
    let mut gone: Vec<String> = Vec::new();
    for step in &alerts.steps {
        gone.push(keys::step(lead_id, step.n).to_string());
        gone.push(keys::step_claim(lead_id, step.n, step.window));
        gone.extend(step.logged.iter().cloned());
    }
    if let Some(claimed) = &alerts.claimed {
        gone.push(keys::claim(lead_id, window_of(claimed.at)));
    }
    if let Some(contacted) = &alerts.contacted {
        gone.push(keys::contact(lead_id, window_of(contacted.at)));
    }
    gone.extend([keys::claimed(lead_id).to_string(), keys::contacted(lead_id).to_string()]);
    store.delete_many(&gone)
}
