//! customers' logic: what people buy and do, folded into what the other
//! jobs need to know about them, and measured over time.
//!
//! A job of its own, not a part of lead-intake or lead-scoring: it takes
//! other callers (a shop's server, Stripe, Shopify, an import) with other
//! credentials, keeps other keys, and does work of its own on a schedule
//! (RFM quintiles over every customer, slipping), so each component stays
//! one job. What the others read of it is one record per person,
//! `customer:<lead_id>` ([`spin_retention_core::customer`]).
//!
//! - [`event`]: customer events as sent and as kept; [`stripe`] and
//!   [`shopify`] turn their webhooks into them; [`import`] streams a history.
//! - [`record`]: whose an event is ([`identity`], through lead-intake), once.
//! - [`history`], [`summary`]: a person's log and its fold (orders, revenue,
//!   interval, slipping, churn, tier, RFM).
//! - [`rfm`], [`refresh`]: quintiles over every customer, the daily run.
//! - [`metrics`]: the business's numbers per week or month.

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod event;
pub mod history;
pub mod identity;
pub mod import;
pub mod job;
pub mod keys;
pub mod metrics;
pub mod money;
pub mod record;
pub mod refresh;
pub mod rfm;
pub mod settings;
pub mod shopify;
pub mod stripe;
pub mod summary;

use spin_retention_core::slots;
use spin_retention_core::store::{delete_if_present, Store, StoreError};

/// Removes everything customers keeps about a person (erase): their log and
/// fold, their day entries (so they leave the metrics too), the markers of
/// their events, the Stripe customer pointing at them, their at-risk
/// counters and their place in the list of every customer.
pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    let history = history::load(store, lead_id)?;
    let mut gone: Vec<String> = history.day_slots.clone();
    for entry in &history.entries {
        gone.push(keys::customer_event(&entry.event.id).to_string());
        if let Some(cus) = &entry.event.external_customer {
            let key = keys::stripe_customer(cus);
            if store
                .get(&key)?
                .is_some_and(|id| id == serde_json::to_vec(lead_id).unwrap_or_default())
            {
                gone.push(key.to_string());
            }
        }
    }
    let log = keys::customer_keys(lead_id);
    let len = slots::len(store, &log)?;
    for (_, key) in slots::read(store, &log, 1, len)? {
        gone.push(String::from_utf8_lossy(&key).into_owned());
    }
    for chunk in gone.chunks(256) {
        store.delete_many(chunk)?;
    }
    slots::erase(store, &log)?;
    spin_retention_core::lead_list::remove_in(store, keys::CUSTOMERS_INDEX, lead_id)?;
    slots::erase(store, &keys::customer_log(lead_id))?;
    delete_if_present(store, &keys::customer(lead_id))?;
    Ok(())
}

#[cfg(test)]
mod tests;
