//! lead-intake's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::erase::Erasure;
use crate::handoff::{Handoffs, RetryWalk};
pub use spin_retention_core::keys::*;

/// Whether a submission has reached instant-ack and lead-scoring.
pub fn handoff(submission_id: &str) -> Key<Handoffs> {
    Key::new(format!("handoff:{submission_id}"))
}

/// How far every hand-off is done, and where the next retry looks.
pub fn handoff_retry() -> Key<RetryWalk> {
    Key::new("handoff-retry")
}

/// Counter: `1` for the first submission of a minute, which asks
/// lead-alerts to run the SLA ([`crate::alerts`]).
pub fn sla_nudge(minute: i64) -> String {
    format!("sla-nudge:{minute}")
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
