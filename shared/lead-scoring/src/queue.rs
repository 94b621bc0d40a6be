//! The priority queue of hot leads, in two orders: newest activity first,
//! and highest score first. Each order is a [`spin_retention_core::sorted_sets`] whose entries
//! sort as wanted; a lead's [`ScoreRecord`] says where it sits, so entries
//! left behind by a lost removal or a superseded score are skipped on read.

use super::ScoreRecord;
use crate::keys;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::sorted_sets::{self, Page, Position};
use spin_retention_core::store::{JsonStore, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Newest,
    Score,
}

impl Order {
    pub fn parse(s: &str) -> Option<Order> {
        match s {
            "newest" => Some(Order::Newest),
            "score" => Some(Order::Score),
            _ => None,
        }
    }

    fn index(self) -> &'static str {
        match self {
            Order::Newest => keys::HOT_QUEUE_NEWEST,
            Order::Score => keys::HOT_QUEUE_SCORE,
        }
    }
}

/// A hot lead's place in both orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub newest: Position,
    pub score: Position,
}

impl Placement {
    /// Buckets: the day of the last activity; score bands of 10 points.
    pub fn new(lead_id: &str, total: i64, last_activity: DateTime<Utc>) -> Placement {
        let at = last_activity.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let total = total.clamp(0, 999_999);
        Placement {
            newest: Position::new(&at[..10], format!("{at}|{lead_id}")),
            score: Position::new(format!("{:06}", total / 10 * 10), format!("{total:06}|{at}|{lead_id}")),
        }
    }

    fn get(&self, order: Order) -> &Position {
        match order {
            Order::Newest => &self.newest,
            Order::Score => &self.score,
        }
    }
}

const ORDERS: [Order; 2] = [Order::Newest, Order::Score];

/// The writes that add the entries that moved, for the batch that writes
/// the score record: in one batch, a reader never sees the record without
/// its entries. An entry already in place is not added again.
pub fn prepare_add(
    store: &dyn Store,
    old: Option<&Placement>,
    new: Option<&Placement>,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let mut writes = Vec::new();
    for order in ORDERS {
        let Some(at) = new.map(|n| n.get(order)) else { continue };
        if old.map(|o| o.get(order)) != Some(at) {
            writes.extend(sorted_sets::prepare_insert(
                store,
                order.index(),
                std::slice::from_ref(at),
            )?);
        }
    }
    Ok(writes)
}

/// [`prepare_add`], written at once.
pub fn add(store: &dyn Store, old: Option<&Placement>, new: Option<&Placement>) -> Result<(), StoreError> {
    store.set_many(&prepare_add(store, old, new)?)
}

/// After the score record is written: the old entries that moved go. A
/// concurrent scoring of the same lead may have pointed its record at an
/// entry we remove, so each removal checks the record after itself and
/// puts the entry back if the record points at it again.
pub fn settle(
    store: &dyn Store,
    lead_id: &str,
    old: Option<&Placement>,
    new: Option<&Placement>,
) -> Result<(), StoreError> {
    for order in ORDERS {
        let Some(stale) = old
            .map(|o| o.get(order))
            .filter(|at| new.map(|n| n.get(order)) != Some(*at))
        else {
            continue;
        };
        sorted_sets::remove(store, order.index(), stale)?;
        let now: Option<ScoreRecord> = store.get_json(&keys::score(lead_id))?;
        if now.and_then(|r| r.queue).is_some_and(|q| q.get(order) == stale) {
            sorted_sets::insert(store, order.index(), stale)?;
        }
    }
    Ok(())
}

/// Takes a lead out of the queue for good (it is gone).
pub fn forget(store: &dyn Store, placement: &Placement) -> Result<(), StoreError> {
    for order in ORDERS {
        sorted_sets::remove(store, order.index(), placement.get(order))?;
    }
    Ok(())
}

/// A page of hot leads with their current score records.
pub fn page(
    store: &dyn Store,
    order: Order,
    after: Option<&Position>,
    limit: usize,
) -> Result<(Vec<ScoreRecord>, Option<Position>), StoreError> {
    let mut records = Vec::new();
    let Page { next, .. } = sorted_sets::page(store, order.index(), after, limit, |at| {
        let lead_id = at.entry.rsplit('|').next().unwrap_or_default();
        let record: Option<ScoreRecord> = store.get_json(&keys::score(lead_id))?;
        match record.filter(|r| r.queue.as_ref().is_some_and(|q| q.get(order) == at)) {
            Some(record) => {
                records.push(record);
                Ok(true)
            }
            None => Ok(false),
        }
    })?;
    Ok((records, next))
}
