//! Every lead id, for work that must visit them all (re-scoring after a
//! rule change) without walking the whole store. Buckets are the first two
//! hex digits of sha256(lead id): fixed, so an erase finds the entry, and
//! 256 of them, so each stays small (about 400 ids per 100,000 leads).
//!
//! The `*_in` functions keep such a list under another name, for a job's
//! own subset of leads (customers: every person who bought).

use crate::ids::sha256_hex;
use crate::keys::{Key, LEADS_INDEX};
use crate::sorted_sets::{self, Page, Position};
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

fn position(lead_id: &str) -> Position {
    Position::new(&sha256_hex(lead_id)[..2], lead_id)
}

pub fn add(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    sorted_sets::insert(store, LEADS_INDEX, &position(lead_id))
}

/// The writes that add a lead, for the caller's batch.
pub fn prepare_add(store: &dyn Store, lead_id: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    sorted_sets::prepare_insert(store, LEADS_INDEX, &[position(lead_id)])
}

/// Adds many at once, one batch (bulk imports).
pub fn add_all(store: &dyn Store, lead_ids: &[String]) -> Result<(), StoreError> {
    let positions: Vec<Position> = lead_ids.iter().map(|id| position(id)).collect();
    sorted_sets::insert_all(store, LEADS_INDEX, &positions)
}

pub fn remove(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    sorted_sets::remove(store, LEADS_INDEX, &position(lead_id))
}

/// The writes that add a lead to the list `index`, for the caller's batch.
pub fn prepare_add_in(store: &dyn Store, index: &str, lead_id: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    sorted_sets::prepare_insert(store, index, &[position(lead_id)])
}

pub fn remove_in(store: &dyn Store, index: &str, lead_id: &str) -> Result<(), StoreError> {
    sorted_sets::remove(store, index, &position(lead_id))
}

/// Up to `limit` lead ids of the list `index` after `after`.
pub fn page_in(store: &dyn Store, index: &str, after: Option<&Position>, limit: usize) -> Result<Page, StoreError> {
    sorted_sets::page(store, index, after, limit, |_| Ok(true))
}

/// Up to `limit` lead ids after `after`, in no meaningful order.
pub fn page(store: &dyn Store, after: Option<&Position>, limit: usize) -> Result<Page, StoreError> {
    sorted_sets::page(store, LEADS_INDEX, after, limit, |_| Ok(true))
}

/// Progress of work that visits every lead in batches (re-scoring after a
/// rule change, refreshing audiences after a definition change): resumed
/// from its cursor, started afresh when `version` (of the rules or
/// definitions) changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    pub version: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the next batch starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Position>,
    pub processed: u64,
    /// Leads whose result changed (a tier, an audience membership).
    pub changed: u64,
    pub done: bool,
}

/// The next batch of up to `limit` leads of the walk stored at `key`:
/// `visit` does the batch's work and says for how many leads it changed
/// something. Progress is stored after the work, so a failed batch is done
/// again. Safe to call twice at once when `visit` is idempotent.
pub fn walk_batch(
    store: &dyn Store,
    key: &str,
    version: String,
    now: DateTime<Utc>,
    limit: usize,
    restart: bool,
    visit: impl FnOnce(&[&str]) -> Result<u64, StoreError>,
) -> Result<Walk, StoreError> {
    let resumed = store
        .get_json(&Key::<Walk>::new(key))?
        .filter(|walk| walk.version == version && !restart);
    let mut walk = resumed.unwrap_or(Walk {
        version,
        started_at: now,
        updated_at: now,
        cursor: None,
        processed: 0,
        changed: 0,
        done: false,
    });
    if walk.done {
        return Ok(walk);
    }
    let page = page(store, walk.cursor.as_ref(), limit)?;
    let ids: Vec<&str> = page.entries.iter().map(|at| at.entry.as_str()).collect();
    walk.changed += visit(&ids)?;
    walk.processed += ids.len() as u64;
    walk.done = page.next.is_none();
    walk.cursor = page.next;
    walk.updated_at = now;
    store.set_json(&Key::new(key), &walk)?;
    Ok(walk)
}
