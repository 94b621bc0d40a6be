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
/// alerts, claim and contact, and the recorded events about them (of their
/// lead, and `lead.created` of each of their `submissions`). The delivery
/// log keeps only ids and statuses.
pub fn forget(
    store: &dyn spin_retention_core::store::Store,
    lead_id: &str,
    submissions: &[String],
) -> Result<(), spin_retention_core::store::StoreError> {
    use spin_retention_core::events::Event;
    let steps = record::LeadAlerts::load(store, lead_id)?.steps.len() as u32;
    let mut events = vec![
        Event::id_of("lead.hot", lead_id),
        Event::id_of("lead.claimed", lead_id),
        Event::id_of("lead.contacted", lead_id),
    ];
    for n in 0..steps {
        let subject = format!("{lead_id}:{n}");
        events.push(Event::id_of("lead.assigned", &subject));
        events.push(Event::id_of("lead.sla_breached", &subject));
    }
    events.extend(submissions.iter().map(|s| Event::id_of("lead.created", s)));
    let keys: Vec<String> = events.iter().map(|id| keys::event(id).to_string()).collect();
    store.delete_many(&keys)?;
    record::forget(store, lead_id)
}

#[cfg(test)]
mod tests;
