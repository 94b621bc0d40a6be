//! A person's customer events: a log (`customer-log:<lead_id>`,
//! [`spin_retention_core::slots`]) of write-once entries, so two events of
//! one person at once both land, and `customer:<lead_id>` is its fold
//! ([`crate::summary`]), rewritten after each change.

use crate::event::CustomerEvent;
use crate::keys;
use crate::rfm::Quintiles;
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::customer::Customer;
use spin_retention_core::slots::{self, Seen};
use spin_retention_core::store::{decode_json, JsonStore, Store, StoreError};

/// One entry of the log: the event, and where its day entry (for metrics)
/// is, so an erase removes both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(flatten)]
    pub event: CustomerEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_slot: Option<String>,
}

/// Every event of a person (each id once, in log order) and what was read.
pub struct History {
    pub entries: Vec<Entry>,
    /// The day entries of every logged entry, the duplicates' too (two
    /// deliveries of one event at once each took a day slot): what an
    /// erase deletes.
    pub day_slots: Vec<String>,
    pub seen: Seen,
}

impl History {
    pub fn events(&self) -> Vec<CustomerEvent> {
        self.entries.iter().map(|e| e.event.clone()).collect()
    }
}

pub fn load(store: &dyn Store, lead_id: &str) -> Result<History, StoreError> {
    let log = keys::customer_log(lead_id);
    let len = slots::len(store, &log)?;
    let found = slots::read(store, &log, 1, len)?;
    let seen = Seen::new(len, &found);
    let mut entries: Vec<Entry> = Vec::with_capacity(found.len());
    let mut day_slots = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (slot, bytes) in found {
        let entry: Entry = decode_json(&slots::slot_key(&log, slot), &bytes)?;
        day_slots.extend(entry.day_slot.clone());
        // Two deliveries of one event at once may both have been logged.
        if ids.insert(entry.event.id.clone()) {
            entries.push(entry);
        }
    }
    Ok(History {
        entries,
        day_slots,
        seen,
    })
}

/// Rounds of [`refresh`] when the log keeps changing under it: each
/// round ends only when the log did not move since its read, so the cap
/// matters only under a stream of events for one person, whose last writer
/// folds again anyway.
const ROUNDS: usize = 10;

/// Folds the person's log into `customer:<lead_id>` and writes it; what it
/// was before and is now. Another writer may fold an older read and write
/// after us, so once written we check whether the log moved since our read
/// and fold again if it did: whoever appends last also folds last.
pub fn refresh(
    store: &dyn Store,
    lead_id: &str,
    settings: &Settings,
    quintiles: Option<&Quintiles>,
    now: DateTime<Utc>,
) -> Result<(Option<Customer>, Option<Customer>), StoreError> {
    let key = keys::customer(lead_id);
    let before = store.get_json(&key)?;
    if !spin_retention_core::lead::exists(store, lead_id)? {
        // Erased while an event or the refresh was on its way: what it
        // wrote after the erase's own pass goes now.
        crate::forget(store, lead_id)?;
        return Ok((before, None));
    }
    let mut after = None;
    for _ in 0..ROUNDS {
        let history = load(store, lead_id)?;
        if history.entries.is_empty() {
            // Erased (or never a customer): leave nothing behind.
            spin_retention_core::store::delete_if_present(store, &key)?;
            return Ok((before, None));
        }
        // Never at a time before an event was received, nor before the fold
        // already stored: a writer whose clock lags (a long batch, an
        // earlier request finishing last) would drop events from the fold.
        let newest = history.entries.iter().map(|e| e.event.received_at).max();
        let at = now
            .max(newest.unwrap_or(now))
            .max(before.as_ref().map_or(now, |b: &Customer| b.updated_at));
        let customer = crate::summary::summarize(lead_id, &history.events(), settings, quintiles, at);
        store.set_json(&key, &customer)?;
        after = Some(customer);
        if !history.seen.changed(store, &keys::customer_log(lead_id))? {
            break;
        }
    }
    Ok((before, after))
}
