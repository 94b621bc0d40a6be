//! lead-scoring's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::ScoreRecord;
pub use spin_retention_core::keys::*;

/// A lead's explained score, assignment and queue place.
pub fn score(lead_id: &str) -> Key<ScoreRecord> {
    Key::new(format!("score:{lead_id}"))
}

/// Log ([`spin_retention_core::slots`]): the lead's score changes ([`crate::changes`]).
pub fn score_log(lead_id: &str) -> String {
    format!("score-log:{lead_id}")
}

/// The hot queues ([`spin_retention_core::sorted_sets`]); the keys are `<name>:...`.
pub const HOT_QUEUE_NEWEST: &str = "hot-queue:newest";
pub const HOT_QUEUE_SCORE: &str = "hot-queue:score";

/// Counter: turns taken in a pool.
pub fn round_robin(pool: &str) -> String {
    format!("round-robin:{pool}")
}

/// Counter: `increment` of it decides who takes a lead's turn in a pool.
pub fn round_robin_claim(pool: &str, lead_id: &str) -> String {
    format!("round-robin:{pool}:{lead_id}")
}

/// Counter: the turn the lead took.
pub fn round_robin_turn(pool: &str, lead_id: &str) -> String {
    format!("round-robin:{pool}:{lead_id}#turn")
}
