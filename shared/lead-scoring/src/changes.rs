//! A lead's score over time: one entry each time a scoring changes its
//! total or tier, in the append-only log `score-log:<lead>` (write-once
//! slots, so overlapping scorings both keep theirs). The dashboard's
//! timeline reads it through `GET /scoring/admin/leads/{id}/changes`.

use crate::engine::Score;
use crate::keys;
use chrono::{DateTime, Utc};
use spin_retention_core::slots;
use spin_retention_core::store::{Store, StoreError};

/// Reasons kept with a change: enough to say why, bounded.
const REASONS: usize = 5;

/// A log entry: a contract, since the changes route answers them.
pub use spin_retention_scores::api::ScoreChange;

/// The log entry of `score` replacing `previous`, if it changed anything a
/// person would notice.
pub fn entry(previous: Option<&Score>, score: &Score, at: DateTime<Utc>) -> Option<Vec<u8>> {
    if previous.is_some_and(|p| p.total == score.total && p.tier == score.tier && p.at_risk == score.at_risk) {
        return None;
    }
    let mut fired: Vec<_> = score.fired.iter().collect();
    fired.sort_by_key(|f| std::cmp::Reverse(f.points.abs()));
    let change = ScoreChange {
        at,
        total: score.total,
        tier: score.tier,
        previous_total: previous.map(|p| p.total),
        previous_tier: previous.map(|p| p.tier),
        at_risk: score.at_risk,
        why: fired.iter().take(REASONS).map(|f| f.why.clone()).collect(),
    };
    Some(spin_retention_core::store::json_bytes(&change))
}

/// The writes that log `entry` (for the scoring's own batch).
pub fn prepare(store: &dyn Store, lead_id: &str, entry: Vec<u8>) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    slots::prepare_append(store, &keys::score_log(lead_id), &[entry])
}

/// The newest `limit` changes, newest first.
pub fn newest(store: &dyn Store, lead_id: &str, limit: u64) -> Result<Vec<ScoreChange>, StoreError> {
    let name = keys::score_log(lead_id);
    let n = slots::len(store, &name)?;
    let from = n.saturating_sub(limit) + 1;
    let mut changes: Vec<ScoreChange> = slots::read(store, &name, from, n)?
        .into_iter()
        .filter_map(|(_, bytes)| serde_json::from_slice(&bytes).ok())
        .collect();
    changes.reverse();
    Ok(changes)
}

pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    slots::erase(store, &keys::score_log(lead_id))
}
