//! lead-alerts' own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::record::{Claimed, Contacted, Sent, Step};
use crate::webhooks::Delivery;
use spin_retention_core::events::Event;
pub use spin_retention_core::keys::*;
pub use spin_retention_scores::keys::score;

/// Step `n` of a hot lead's alerts: 0 is the first assignee, then each
/// reassignment, and the owner on escalation. Written once, by the winner
/// of [`step_claim`].
pub fn step(lead_id: &str, n: u32) -> Key<Step> {
    Key::new(format!("alert-step:{lead_id}:{n}"))
}

/// Counter: `1` for the one request that takes step `n` in that window of
/// time ([`crate::record::take_turn`]).
pub fn step_claim(lead_id: &str, n: u32, window: i64) -> String {
    format!("alert-step:{lead_id}:{n}:{window}")
}

/// Counter: `1` for the first claim of the lead in a window of time.
pub fn claim(lead_id: &str, window: i64) -> String {
    format!("alert-claim:{lead_id}:{window}")
}

pub fn claimed(lead_id: &str) -> Key<Claimed> {
    Key::new(format!("alert-claimed:{lead_id}"))
}

/// Counter: `1` for the first contact recorded in a window of time.
pub fn contact(lead_id: &str, window: i64) -> String {
    format!("alert-contact:{lead_id}:{window}")
}

pub fn contacted(lead_id: &str) -> Key<Contacted> {
    Key::new(format!("alert-contacted:{lead_id}"))
}

/// The [`spin_retention_core::slots`] log of alerted leads, in order; the
/// SLA walks it from [`open_from`].
pub const ALERTED: &str = "alerted";

/// The first slot of [`ALERTED`] that may still be open (every lead before
/// it is claimed, escalated or erased). A plain value, written by the SLA
/// walk: a late writer can only move it back, which costs a re-read.
pub fn open_from() -> Key<u64> {
    Key::new("alerted-open-from")
}

/// The [`spin_retention_core::slots`] log of leads alerted in one ISO week
/// (`2026-W48`), for speed-to-lead figures.
pub fn alerted_week(week: &str) -> String {
    format!("alerted-week:{week}")
}

/// One event, as recorded; written last, with its deliveries, so its
/// presence says they are all there.
pub fn event(event_id: &str) -> Key<Event> {
    Key::new(format!("event:{event_id}"))
}

/// One event's delivery to one endpoint: `<event_id>.<endpoint_id>`.
pub fn delivery(delivery_id: &str) -> Key<Delivery> {
    Key::new(format!("delivery:{delivery_id}"))
}

/// Counter: `1` for the one sender of attempt `n` of a delivery in a
/// window of time ([`crate::record::take_turn`]).
pub fn attempt_claim(delivery_id: &str, n: u32, window: i64) -> String {
    format!("delivery:{delivery_id}:{n}:{window}")
}

/// The [`spin_retention_core::slots`] log of the keys lead-alerts wrote
/// about a person that erase could not work out again (the events recorded
/// about them, their owner's-alert counters).
pub fn lead_keys(lead_id: &str) -> String {
    format!("lead-keys:{lead_id}")
}

/// Counter: `1` for the one owner's alert of a submission (its id), or of
/// a journey's step (the alert id journeys gives).
pub fn owner_alert(submission_id: &str) -> String {
    format!("owner-alert:{submission_id}")
}

/// The [`spin_retention_core::slots`] log of every delivery id, in order.
pub const DELIVERIES: &str = "deliveries";

/// The first slot of [`DELIVERIES`] that may still be pending (as
/// [`open_from`]).
pub fn pending_from() -> Key<u64> {
    Key::new("deliveries-pending-from")
}

/// Counter: `1` for the first request in a minute that runs the SLA on its
/// back (the bounded tick of ordinary requests).
pub fn tick_minute(minute: i64) -> String {
    format!("alerts-tick:{minute}")
}

/// The [`spin_retention_core::slots`] log of the submissions the owner's
/// digest counts, by local day (`digest-day:2026-11-23`).
pub fn digest_day(day: chrono::NaiveDate) -> String {
    format!("digest-day:{day}")
}

/// How the digest of a local day went out; written once.
pub fn digest(day: chrono::NaiveDate) -> Key<Sent> {
    Key::new(format!("digest:{day}"))
}

/// Counter: `1` for the one request that sends a day's digest in a window
/// of time ([`crate::record::take_turn`]).
pub fn digest_claim(day: chrono::NaiveDate, window: i64) -> String {
    format!("digest:{day}:{window}")
}
