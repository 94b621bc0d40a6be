//! Writes of the hot queue: entries added with the score record, stale
//! ones settled after it, all of a lead's removed when it goes. What the
//! queue is and how it is read: [`spin_retention_scores::queue`].

use crate::keys;
use crate::ScoreRecord;
use spin_retention_core::sorted_sets;
use spin_retention_core::store::{JsonStore, Store, StoreError};
pub use spin_retention_scores::queue::{page, Order, Placement, ORDERS};

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
