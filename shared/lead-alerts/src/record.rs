//! What lead-alerts keeps per hot lead, all write-once: its steps (who was
//! alerted, when, and when the SLA runs out), its claim and its first
//! contact. Whoever counts `1` on a step's, the claim's or the contact's
//! counter writes its record; nothing is ever overwritten.

use crate::keys;
use chrono::{DateTime, Utc};
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// The records, and the events' types of what a step and a contact are:
/// contracts, since `GET /alerts/admin/leads/{id}` answers them.
pub use spin_retention_core::contracts::alerts::{
    Claimed, ContactOutcome, Contacted, LeadAlerts, Person, Sent, Step, Why,
};

/// Steps are few: the first, the reassignments, the escalation.
pub const MAX_STEPS: u32 = 32;

/// Everything kept about one alerted lead: its steps, claim and contact.
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

pub use spin_retention_core::turns::{take as take_turn, window, RETAKE_SECONDS};

/// Removes everything kept about a lead (erase): its steps, claim and
/// contact, their entries in the logs of alerted leads, and the counters
/// of the windows they were taken in.
pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    let alerts = load(store, lead_id)?;
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
