//! instant-ack's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::Delivery;
pub use spin_retention_core::keys::*;

/// A submission's acknowledgement: its state and attempts.
pub fn ack(submission_id: &str) -> Key<Delivery> {
    ack_record(submission_id)
}

/// Counter: who sends a submission's acknowledgement in one claim window,
/// after `attempts` attempts.
pub fn ack_claim(submission_id: &str, window: u64, attempts: u32) -> String {
    format!("ack-claim:{submission_id}:{window}.{attempts}")
}

/// When an acknowledgement last went by SMS or WhatsApp to a number: the
/// number is "seen", outside the daily budget of new numbers.
pub fn ack_number(e164: &str) -> Key<chrono::DateTime<chrono::Utc>> {
    Key::new(format!("ack-number:{}", spin_retention_core::ids::sha256_hex(e164)))
}

/// Counter: acknowledgements by SMS or WhatsApp to numbers never seen
/// before, on one day (UTC, `yyyy-mm-dd`).
pub fn ack_new_numbers(day: chrono::NaiveDate) -> String {
    format!("ack-new-numbers:{}", day.format("%Y-%m-%d"))
}
