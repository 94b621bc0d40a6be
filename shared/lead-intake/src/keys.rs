//! lead-intake's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::erase::Erasure;
use crate::handoff::Handoffs;
pub use spin_retention_core::keys::*;

/// Whether a submission has reached instant-ack and lead-scoring.
pub fn handoff(submission_id: &str) -> Key<Handoffs> {
    Key::new(format!("handoff:{submission_id}"))
}

/// The low-water mark of the `submissions` walk: every hand-off before
/// it is done (or erased).
pub fn handoffs_from() -> Key<u64> {
    Key::new("handoffs-from")
}

/// Where the next `submissions` walk starts reading (0: at the mark).
pub fn handoffs_cursor() -> Key<u64> {
    Key::new("handoffs-cursor")
}

/// Counter: `1` for the first submission of a minute, which runs the
/// catch-up ([`crate::catch_up`]).
pub fn catch_up(minute: i64) -> String {
    format!("catch-up:{minute}")
}

/// An erase that some job has not taken yet ([`crate::erase`]).
pub fn erasure(lead_id: &str) -> Key<Erasure> {
    Key::new(format!("erasure:{lead_id}"))
}

/// Every erase not yet taken by every job, in order: the log the retry
/// route walks ([`spin_retention_core::slots`]).
pub const ERASURES: &str = "erasures";

/// The low-water mark of the `erasures` walk: every slot before it is done.
pub fn erasure_retry() -> Key<u64> {
    Key::new("erasures-from")
}

/// Where the next `erasures` walk starts reading (0: at the mark).
pub fn erasure_cursor() -> Key<u64> {
    Key::new("erasures-cursor")
}
