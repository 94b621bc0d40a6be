//! A person's tags: plain labels (`birthday-club`, `vip`) that a journey's
//! `tag` step adds or removes, and that scoring rules, audiences and
//! journeys test as the profile fact `tags`. journeys writes them
//! (`person-tags:<lead_id>`, a [`crate::sets`] so two journeys tagging one
//! person at once both land); the facts read them; journeys' part of an
//! erase deletes them.

use crate::sets;
use crate::store::{Store, StoreError};

/// The most tags a person keeps; a step adding one more adds nothing
/// (and goes on).
pub const MAX_TAGS: usize = 100;

pub fn set_name(lead_id: &str) -> String {
    format!("person-tags:{lead_id}")
}

pub fn list(store: &dyn Store, lead_id: &str) -> Result<Vec<String>, StoreError> {
    sets::list(store, &set_name(lead_id))
}

/// Adds `tag` unless the person has it (or has [`MAX_TAGS`]): whether it
/// was added.
pub fn add(store: &dyn Store, lead_id: &str, tag: &str) -> Result<bool, StoreError> {
    let tags = list(store, lead_id)?;
    if tags.iter().any(|t| t == tag) || tags.len() >= MAX_TAGS {
        return Ok(false);
    }
    sets::add(store, &set_name(lead_id), tag)?;
    Ok(true)
}

/// Removes `tag`: whether the person had it.
pub fn remove(store: &dyn Store, lead_id: &str, tag: &str) -> Result<bool, StoreError> {
    if !list(store, lead_id)?.iter().any(|t| t == tag) {
        return Ok(false);
    }
    sets::remove(store, &set_name(lead_id), tag)?;
    Ok(true)
}

/// Every tag of the person, gone (erase).
pub fn erase(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    sets::erase(store, &set_name(lead_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_tag_is_added_once_removed_and_erased() {
        let store = MemoryStore::new();
        assert!(add(&store, "l_1", "vip").unwrap());
        assert!(!add(&store, "l_1", "vip").unwrap(), "once");
        assert!(add(&store, "l_1", "club").unwrap());
        assert_eq!(list(&store, "l_1").unwrap(), ["vip", "club"]);
        assert!(remove(&store, "l_1", "vip").unwrap());
        assert!(!remove(&store, "l_1", "vip").unwrap());
        assert_eq!(list(&store, "l_1").unwrap(), ["club"]);
        erase(&store, "l_1").unwrap();
        assert!(store.mentions("l_1").is_empty(), "{:?}", store.mentions("l_1"));
    }
}
