//! The answers of lead-scoring's routes that other components read, as
//! types: lead-scoring serialises these, and the dashboard deserialises
//! into them (no field looked up by name on a `Value`). Its score,
//! `GET /scoring/leads/{id}`, is [`crate::ScoreRecord`]. The other jobs'
//! answers are `spin_retention_core::contracts`.

use crate::{Assignment, Tier};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc::About;
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

/// `GET /scoring/admin/leads/{id}/changes`: the lead's newest score
/// changes, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreChanges {
    pub lead_id: String,
    pub changes: Vec<ScoreChange>,
}

/// `score-log:<lead_id>` slots: one each time a scoring changed the lead's
/// total, tier or at-risk reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreChange {
    pub at: DateTime<Utc>,
    pub total: i64,
    pub tier: Tier,
    /// The total before, `None` at the first scoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_total: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_tier: Option<Tier>,
    pub at_risk: bool,
    /// The strongest reasons, largest points first.
    pub why: Vec<String>,
}

/// `GET /scoring/admin/rules`: the rules in force (`R`: lead-scoring's own,
/// the part another job reads, [`crate::rules::Team`], or the whole
/// document as JSON for an editor) and what [`About`] says of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules<R> {
    #[serde(flatten)]
    pub about: About,
    pub rules: R,
}
