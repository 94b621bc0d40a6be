//! What the other jobs tell journeys happened to a person: a purchase, a
//! refund, an activity such as `checkout_started` (customers), and the
//! events of [`crate::events`] (`survey.detractor`, `customer.slipping`),
//! which reach journeys the way they reach webhooks. A job tells
//! journeys only of the kinds some journey listens for (`journeys-interest`,
//! which journeys writes whenever its journeys change), so an app without
//! journeys pays one read per batch and calls nobody.

use crate::jobs::{calls, Task, JOURNEYS};
use crate::keys::Key;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Something that happened to a person, as journeys hears of it
/// (`POST /journeys/events`). Its `id` is the teller's own (a customer
/// event's id), so telling it twice enrols nobody twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Happened {
    pub id: String,
    pub lead_id: String,
    /// `purchase`, `refund`, `subscription_started`, `activity`...
    pub kind: String,
    /// What the activity was (`checkout_started`, `checkout_completed`,
    /// `login`); of a `survey.answered`, the answer's band (`promoter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Minor units of `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The names of the items bought or left in the cart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
}

impl Happened {
    /// An event of [`crate::events`] as journeys hears of it: its type is
    /// the kind (`survey.detractor`).
    pub fn of_event(event: &crate::events::Event) -> Happened {
        Happened {
            id: event.id.clone(),
            lead_id: event.what.lead_id().to_string(),
            kind: event.kind().to_string(),
            // An answer's band, for a detractor's recovery.
            activity: match &event.what {
                crate::events::What::SurveyAnswered(a) => Some(a.band.as_str().to_string()),
                _ => None,
            },
            at: event.timestamp,
            order_id: None,
            amount_minor: None,
            currency: None,
            items: Vec::new(),
        }
    }

    /// The name a journey's trigger or exit matches: the kind, or for an
    /// activity `activity:<what>` (`activity:checkout_started`).
    pub fn name(&self) -> String {
        match (&self.kind[..], &self.activity) {
            ("activity", Some(what)) => format!("activity:{what}"),
            _ => self.kind.clone(),
        }
    }
}

/// `journeys-interest`: the names ([`Happened::name`]) some journey enters
/// or leaves on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interest {
    pub names: Vec<String>,
}

impl Interest {
    pub fn wants(&self, happened: &Happened) -> bool {
        let name = happened.name();
        self.names.iter().any(|n| *n == name || *n == happened.kind)
    }
}

pub fn interest_key() -> Key<Interest> {
    Key::new("journeys-interest")
}

/// Whether some journey listens for `happened` (one read).
pub fn wanted(store: &dyn Store, happened: &Happened) -> Result<bool, StoreError> {
    Ok(store.get_json(&interest_key())?.unwrap_or_default().wants(happened))
}

/// Whether some journey listens for events of `kind` (one read): for a
/// teller that decides before it has the event.
pub fn wants_kind(store: &dyn Store, kind: &str) -> Result<bool, StoreError> {
    let interest = store.get_json(&interest_key())?.unwrap_or_default();
    Ok(interest.names.iter().any(|n| n == kind))
}

/// The after-reply task that tells journeys of what it listens for among
/// `happened` (none: no task, one read).
pub fn tell(store: &dyn Store, happened: Vec<Happened>) -> Result<Option<Task>, StoreError> {
    if happened.is_empty() {
        return Ok(None);
    }
    let interest = store.get_json(&interest_key())?.unwrap_or_default();
    let wanted: Vec<Happened> = happened.into_iter().filter(|h| interest.wants(h)).collect();
    Ok((!wanted.is_empty()).then(|| JOURNEYS.tell_json(calls::journey_events(), &wanted)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn checkout() -> Happened {
        Happened {
            id: "ev_1".into(),
            lead_id: "l_1".into(),
            kind: "activity".into(),
            activity: Some("checkout_started".into()),
            at: crate::ports::test_now(),
            order_id: None,
            amount_minor: None,
            currency: None,
            items: vec![],
        }
    }

    #[test]
    fn nothing_is_told_unless_a_journey_listens() {
        let store = MemoryStore::new();
        assert!(tell(&store, vec![checkout()]).unwrap().is_none());
        let listens = |names: &[&str]| Interest {
            names: names.iter().map(|n| n.to_string()).collect(),
        };
        store.set_json(&interest_key(), &listens(&["purchase"])).unwrap();
        assert!(tell(&store, vec![checkout()]).unwrap().is_none());
        store
            .set_json(&interest_key(), &listens(&["activity:checkout_started"]))
            .unwrap();
        assert!(tell(&store, vec![checkout()]).unwrap().is_some());
        assert!(listens(&["activity"]).wants(&checkout()), "every activity");
    }
}
