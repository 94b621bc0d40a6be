//! Events the jobs emit for outbound webhooks and owner alerts. lead-alerts
//! records and delivers them; an emitter only tells it when something wants
//! the event (`event-interest`, which lead-alerts keeps in step with its
//! webhook endpoints and settings), so an app without webhooks pays one read.
//!
//! An event is the payload of a Standard Webhooks message: `type`,
//! `timestamp` and `data`; its `id` (the `webhook-id` header) derives from
//! what happened, so emitting the same event twice records it once.

use crate::jobs::{calls, Task, ALERTS};
use crate::keys::Key;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every event type, in the order docs/lead-alerts.md lists them.
pub const TYPES: &[&str] = &[
    "lead.created",
    "lead.hot",
    "lead.assigned",
    "lead.claimed",
    "lead.contacted",
    "lead.sla_breached",
    "survey.answered",
    "survey.detractor",
    "customer.slipping",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `evt_` and a hash of the type and what it is about.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: DateTime<Utc>,
    pub data: Value,
}

impl Event {
    /// The event `kind` about `subject` (a submission, a lead and its step,
    /// an answer): the same subject gives the same id.
    pub fn new(kind: &str, subject: &str, timestamp: DateTime<Utc>, data: Value) -> Event {
        Event {
            id: Event::id_of(kind, subject),
            kind: kind.to_string(),
            timestamp,
            data,
        }
    }
}

/// `lead.created`, which lead-intake hands lead-alerts with each new
/// submission: the submission, who sent it and what they asked.
pub fn lead_created(s: &crate::lead::Submission) -> Event {
    let data = serde_json::json!({
        "submission_id": s.id,
        "lead_id": s.lead_id,
        "received_at": s.received_at,
        "form": s.form,
        "name": s.contact.name,
        "email": s.contact.email,
        "phone": s.contact.phone,
        "message": s.message,
        "attribution": s.attribution,
    });
    Event::new("lead.created", &s.id, s.received_at, data)
}

impl Event {
    /// The id of the event `kind` about `subject`.
    pub fn id_of(kind: &str, subject: &str) -> String {
        let hash = crate::ids::sha256_hex(&format!("{kind}\n{subject}"));
        format!("evt_{}", &hash[..24])
    }
}

/// `event-interest`: which events anything wants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interest {
    /// Types some enabled webhook endpoint subscribes to.
    pub types: Vec<String>,
    /// Forms whose every submission alerts the owner (`*`: all forms).
    #[serde(default)]
    pub owner_alert_forms: Vec<String>,
    /// Forms whose submissions the owner's daily digest counts (`*`: all).
    #[serde(default)]
    pub digest_forms: Vec<String>,
}

impl Interest {
    pub fn wants(&self, kind: &str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    pub fn alerts_owner(&self, form: &str) -> bool {
        names_form(&self.owner_alert_forms, form)
    }

    pub fn digests(&self, form: &str) -> bool {
        names_form(&self.digest_forms, form)
    }

    /// Whether lead-alerts wants to hear of a submission to `form`.
    pub fn wants_submission(&self, form: &str) -> bool {
        self.wants("lead.created") || self.alerts_owner(form) || self.digests(form)
    }
}

/// Whether a list of form names (`*`: every form) takes in `form`.
pub fn names_form(forms: &[String], form: &str) -> bool {
    forms.iter().any(|f| f == "*" || f == form)
}

pub fn interest_key() -> Key<Interest> {
    Key::new("event-interest")
}

pub fn interest(store: &dyn Store) -> Result<Interest, StoreError> {
    Ok(store.get_json(&interest_key())?.unwrap_or_default())
}

/// The after-reply task that hands `event` to lead-alerts, if anything
/// wants it.
pub fn emit(store: &dyn Store, event: Event) -> Result<Option<Task>, StoreError> {
    let wanted = interest(store)?.wants(&event.kind);
    Ok(wanted.then(|| ALERTS.tell_json(calls::record_event(), &event)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_what_happened() {
        let at = crate::ports::test_now();
        let a = Event::new("lead.created", "s_1", at, Value::Null);
        assert_eq!(a.id, Event::new("lead.created", "s_1", at, Value::Null).id);
        assert_ne!(a.id, Event::new("lead.hot", "s_1", at, Value::Null).id);
        assert!(a.id.starts_with("evt_") && a.id.len() == 28);
    }
}
