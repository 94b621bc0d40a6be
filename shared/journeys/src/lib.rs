//! journeys: messages that reach a person at the right moment after
//! something happened to them (a checkout left, a purchase), without
//! flooding anyone.
//!
//! - [`document`]: the journeys an admin sets (trigger, exits, steps,
//!   re-entry, priority, holdout) and the settings they share.
//! - [`instance`]: a person's time through a journey: entering (once per
//!   event, one live copy), exits, each step's outcome.
//! - [`armed`]: journeys a date enters (a birthday, inactivity,
//!   replenishment), armed in the same logs.
//! - [`due`]: the minutes' logs of due steps and the tick that takes them.
//! - [`step`]: taking a step: a wait, or a send checked at send time.
//! - [`branch`]: splits, and `wait_for` an event with a timeout.
//! - [`coupons`]: the pools the business uploads, a code per person.
//! - [`pressure`]: the contact budget and quiet hours; [`local`]: local
//!   times in the person's zone.
//! - [`render`], [`unsubscribe`], [`clicks`]: the message, RFC 8058
//!   one-click, and its links' clicks.
//! - [`sms_stop`]: a reply of STOP to an SMS, through Twilio's webhook.
//! - [`goal`]: conversions, their attribution, treated against holdout.
//! - [`simulate`]: the dry run, the real code over an overlay of the store.
//! - [`erase`]: forgetting a person.
//!
//! What happens reaches journeys from the jobs that see it
//! ([`spin_retention_core::happened`]): customers tells it of purchases and
//! activities, only of the kinds a journey listens for.

// Errors here are problem documents and replies, built once per failed
// request: their size does not matter, and boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod armed;
pub mod branch;
pub mod clicks;
pub mod coupons;
pub mod document;
pub mod due;
pub mod erase;
pub mod goal;
pub mod instance;
pub mod job;
pub mod keys;
pub mod local;
pub mod pressure;
pub mod render;
pub mod simulate;
pub mod sms_stop;
pub mod step;
pub mod unsubscribe;

#[cfg(test)]
mod tests;
