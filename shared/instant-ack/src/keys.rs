//! instant-ack's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::Delivery;
pub use spin_retention_core::keys::*;

/// A submission's acknowledgement: its state and attempts.
pub fn ack(submission_id: &str) -> Key<Delivery> {
    Key::new(format!("ack:{submission_id}"))
}

/// Counter: who sends a submission's acknowledgement in one claim window,
/// after `attempts` attempts.
pub fn ack_claim(submission_id: &str, window: u64, attempts: u32) -> String {
    format!("ack-claim:{submission_id}:{window}.{attempts}")
}
