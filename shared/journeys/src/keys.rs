//! journeys' keys (the table in `spin_retention_core::keys` lists them with
//! their layouts). An instance of a journey is `<journey>:<lead_id>:<n>`:
//! the person's n-th time through it.

use crate::document::Journey;
use crate::due::Due;
use crate::instance::{Done, Exit, Instance, OptOut};
use spin_retention_core::keys::Key;

pub use spin_retention_core::happened::interest_key as interest;

pub fn version(journey: &str, version: &str) -> Key<Journey> {
    Key::new(format!("journey-version:{journey}:{version}"))
}

/// When the person enters a journey that a date enters (one record per
/// journey and person), under the hash that the minute's log names.
pub fn armed(journey: &str, lead_id: &str) -> Key<crate::armed::Armed> {
    armed_by_who(&armed_who(journey, lead_id))
}

/// The hash of journey and person that an armed entry names.
pub fn armed_who(journey: &str, lead_id: &str) -> String {
    hashed(&format!("armed\n{journey}\n{lead_id}"))
}

pub fn armed_by_who(who: &str) -> Key<crate::armed::Armed> {
    Key::new(format!("journey-armed:{who}"))
}

/// The turn of an armed entry (`entry` its entering's id), hashed like
/// [`turn`].
pub fn arm_turn(entry: &str, window: i64) -> String {
    format!("journey-turn:{}:{window}", hashed(entry))
}

/// 32 hex digits of a SHA-256: a key part that names no person.
pub fn hashed(s: &str) -> String {
    spin_retention_core::ids::sha256_hex(s)[..32].to_string()
}

/// Each minute's due steps (and armed entries), a slot log.
pub fn due(minute: i64) -> String {
    format!("journeys-due:{minute}")
}

/// The walk's mark in a minute's log.
pub fn due_from(minute: i64) -> Key<u64> {
    Key::new(format!("journeys-due-from:{minute}"))
}

/// The first minute whose due steps may still be pending.
pub fn due_mark() -> Key<i64> {
    Key::new("journeys-due-mark")
}

pub fn seen(journey: &str, event_id: &str) -> String {
    format!("journey-seen:{journey}:{event_id}")
}

pub fn entries(journey: &str, lead_id: &str) -> String {
    format!("journey-entries:{journey}:{lead_id}")
}

pub fn instance(id: &str) -> Key<Instance> {
    Key::new(format!("journey-in:{id}"))
}

pub fn exit(id: &str) -> Key<Exit> {
    Key::new(format!("journey-exit:{id}"))
}

pub fn done(due: &Due) -> Key<Done> {
    Key::new(format!("journey-done:{}:{}.{}", due.instance, due.step, due.attempt))
}

/// The turn of a due step: a hash of it, so the counters of windows taken
/// name no person (erase cannot tell which windows were taken).
pub fn turn(due: &Due, window: i64) -> String {
    let of = hashed(&format!("{}:{}.{}", due.instance, due.step, due.attempt));
    format!("journey-turn:{of}:{window}")
}

/// Marketing sent to a person on a channel in one window of the budget's gap.
pub fn sent(lead_id: &str, channel: &str, window: i64) -> String {
    format!("journeys-sent:{lead_id}:{channel}:{window}")
}

pub fn week(lead_id: &str, channel: &str, iso_week: &str) -> String {
    format!("journeys-week:{lead_id}:{channel}:{iso_week}")
}

pub fn opt_out(lead_id: &str, topic: &str) -> Key<OptOut> {
    Key::new(format!("journeys-optout:{lead_id}:{topic}"))
}

/// A journey's figures: `entered`, `held_out`, `sent`, `deferred`,
/// `skipped:<reason>`, `exited:<why>`, `failed`.
pub fn count(journey: &str, what: &str) -> String {
    format!("journey-count:{journey}:{what}")
}

/// Every journey id ever set, for erase (a journey taken out of the
/// document still holds the people who went through it).
pub fn known() -> Key<Vec<String>> {
    Key::new("journeys-known")
}

/// When the person was last invited to a survey (the throttle).
pub fn surveyed(lead_id: &str) -> Key<chrono::DateTime<chrono::Utc>> {
    Key::new(format!("journeys-surveyed:{lead_id}"))
}

/// The request of a minute that takes due steps on its back.
pub fn tick_turn(minute: i64) -> String {
    format!("journeys-tick:{minute}")
}

/// Counter: `1` for the one event that converts an instance (its goal).
pub fn converted(instance: &str) -> String {
    format!("journey-converted:{instance}")
}

/// Counter: `1` for the answer that counts that time through a detractor
/// recovery as recovered.
pub fn recovered(instance: &str) -> String {
    format!("journey-recovered:{instance}")
}

/// A coupon pool's codes, a slot log.
pub fn coupons(pool: &str) -> String {
    format!("journeys-coupons:{pool}")
}

/// Counter: the pool's codes handed out (the last slot taken).
pub fn coupons_issued(pool: &str) -> String {
    format!("journeys-coupons-issued:{pool}")
}

/// The code of `pool` a person was given in `journey`.
pub fn coupon_of(pool: &str, journey: &str, lead_id: &str) -> Key<String> {
    Key::new(format!("journey-coupon:{pool}:{journey}:{lead_id}"))
}

/// Counter: clicks on the message of that step (`1`: the first, which
/// writes [`clicked`]).
pub fn click(instance: &str, step: usize) -> String {
    format!("journey-click:{instance}:{step}")
}

/// When the message of that step was first clicked.
pub fn clicked(instance: &str, step: usize) -> Key<chrono::DateTime<chrono::Utc>> {
    Key::new(format!("journey-clicked:{instance}:{step}"))
}
