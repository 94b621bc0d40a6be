//! The priority queue of hot leads, in two orders: newest activity first,
//! and highest score first. Each order is a [`spin_retention_core::sorted_sets`] whose entries
//! sort as wanted; a lead's [`ScoreRecord`] says where it sits, so entries
//! left behind by a lost removal or a superseded score are skipped on read.
//! lead-scoring writes the entries (its `queue` module); anyone may page.

use crate::{keys, ScoreRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::sorted_sets::{self, Page, Position};
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// Both orders.
pub const ORDERS: [Order; 2] = [Order::Newest, Order::Score];

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

    /// The sorted set of this order.
    pub fn index(self) -> &'static str {
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

    /// Where the lead sits in `order`.
    pub fn get(&self, order: Order) -> &Position {
        match order {
            Order::Newest => &self.newest,
            Order::Score => &self.score,
        }
    }
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
