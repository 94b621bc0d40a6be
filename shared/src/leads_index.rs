//! Every lead id, for work that must visit them all (re-scoring after a
//! rule change) without walking the whole store. Buckets are the first two
//! hex digits of sha256(lead id): fixed, so an erase finds the entry, and
//! 256 of them, so each stays small (about 400 ids per 100,000 leads).

use crate::ids::sha256_hex;
use crate::keys::LEADS_INDEX;
use crate::sorted_index::{self, Page, Position};
use crate::store::{Store, StoreError};

fn position(lead_id: &str) -> Position {
    Position::new(&sha256_hex(lead_id)[..2], lead_id)
}

pub fn add(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    sorted_index::insert(store, LEADS_INDEX, &position(lead_id))
}

pub fn remove(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    sorted_index::remove(store, LEADS_INDEX, &position(lead_id))
}

/// Up to `limit` lead ids after `after`, in no meaningful order.
pub fn page(store: &dyn Store, after: Option<&Position>, limit: usize) -> Result<Page, StoreError> {
    sorted_index::page(store, LEADS_INDEX, after, limit, |_| Ok(true))
}
