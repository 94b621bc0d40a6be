//! lead-alerts' logic: a person alerted within seconds of a hot lead, on
//! their own channel; signed claim and contacted links; an SLA in working
//! hours that reassigns and escalates unclaimed leads; outbound event
//! webhooks signed as Standard Webhooks, retried, logged; speed-to-lead
//! figures.
//!
//! Why one component for alerts and webhooks: both tell the outside world
//! what happened to a lead, with the same retries, signing and delivery
//! log, and a hot lead already costs four component instances (the store
//! issue's measurements); a fifth and sixth per lead would cost more than
//! the separation gives.
//!
//! Time without timers: the SLA and webhook retries run when
//! `POST /alerts/sla/tick` is called (a scheduler), and, bounded, on the
//! back of ordinary requests ([`job`]).

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod actions;
pub mod alert;
pub mod digest;
pub mod emit;
pub mod hours;
pub mod job;
pub mod keys;
pub mod links;
pub mod record;
pub mod settings;
pub mod speed;
pub mod steps;
pub mod webhooks;

/// Removes everything lead-alerts keeps about a person (erase): their
/// alerts, claim and contact, and every key logged under them (the events
/// recorded about them, their owner's-alert counters). The delivery log
/// keeps only ids and statuses.
pub fn forget(
    store: &dyn spin_retention_core::store::Store,
    lead_id: &str,
) -> Result<(), spin_retention_core::store::StoreError> {
    let log = keys::lead_keys(lead_id);
    let len = spin_retention_core::slots::len(store, &log)?;
    let logged: Vec<String> = spin_retention_core::slots::read(store, &log, 1, len)?
        .into_iter()
        .map(|(_, key)| String::from_utf8_lossy(&key).into_owned())
        .collect();
    store.delete_many(&logged)?;
    spin_retention_core::slots::erase(store, &log)?;
    record::forget(store, lead_id)
}

#[cfg(test)]
mod tests;
