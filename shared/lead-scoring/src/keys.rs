//! lead-scoring's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

pub use spin_retention_core::keys::*;
pub use spin_retention_scores::keys::{score, HOT_QUEUE_NEWEST, HOT_QUEUE_SCORE};

/// Log ([`spin_retention_core::slots`]): the lead's score changes ([`crate::changes`]).
pub fn score_log(lead_id: &str) -> String {
    format!("score-log:{lead_id}")
}

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
