//! The answers of lead-scoring's routes that other components read, as
//! types: lead-scoring serialises these, and the dashboard deserialises
//! into them (no field looked up by name on a `Value`).

use crate::{Assignment, Tier};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::lead::Contact;

/// `GET /scoring/queue`: a page of hot leads to call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePage {
    /// `newest` or `score`.
    pub order: String,
    pub items: Vec<QueueItem>,
    /// The next page's `cursor`; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A hot lead in the queue: who they are, why they are hot, who has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub lead_id: String,
    pub total: i64,
    pub fit: i64,
    pub engagement: i64,
    pub tier: Tier,
    pub grade: char,
    pub at_risk: bool,
    pub last_activity_at: DateTime<Utc>,
    pub scored_at: DateTime<Utc>,
    pub assignment: Option<Assignment>,
    /// The reasons that added points, strongest first.
    pub why: Vec<String>,
    pub contact: Contact,
}
