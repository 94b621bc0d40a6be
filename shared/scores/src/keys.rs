//! The keys lead-scoring writes that other jobs read.

use crate::ScoreRecord;
pub use spin_retention_core::keys::{Key, SCORING_RULES};

/// A lead's explained score, assignment and queue place.
pub fn score(lead_id: &str) -> Key<ScoreRecord> {
    Key::new(format!("score:{lead_id}"))
}

/// The hot queues ([`spin_retention_core::sorted_sets`]); the keys are `<name>:...`.
pub const HOT_QUEUE_NEWEST: &str = "hot-queue:newest";
pub const HOT_QUEUE_SCORE: &str = "hot-queue:score";
