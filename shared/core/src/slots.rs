//! An append-only log in the store that any number of writers can append to
//! at once without losing an entry, built on `increment`, the one atomic
//! operation every backend gets right.
//!
//! `increment(<name>#n, k)` hands a writer its own `k` slots; each entry goes
//! into its own write-once key `<name>#<slot>`. No writer ever overwrites
//! another's key, so nothing confirmed is lost and nobody waits for anybody.
//! Readers read by slot range. A slot can be empty: its writer is still on
//! the way (a few milliseconds), died between the increment and the write,
//! or its entry was deleted; readers skip it.

use crate::store::{counter, Store, StoreError};

/// Keys read in one get-many: a bound on one round trip's size.
const READ_BATCH: u64 = 256;

fn counter_key(name: &str) -> String {
    format!("{name}#n")
}

pub fn slot_key(name: &str, slot: u64) -> String {
    format!("{name}#{slot}")
}

/// Appends one entry; returns its slot (from 1).
pub fn append(store: &dyn Store, name: &str, entry: &[u8]) -> Result<u64, StoreError> {
    let slot = take_slot(store, name)?;
    store.set(&slot_key(name, slot), entry)?;
    Ok(slot)
}

/// Takes the next slot, for a writer that puts its entry into a batch of
/// its own writes (at [`slot_key`]).
pub fn take_slot(store: &dyn Store, name: &str) -> Result<u64, StoreError> {
    take_slots(store, name, 1)
}

/// Takes `count` slots (at least one) with one increment; returns the first.
pub fn take_slots(store: &dyn Store, name: &str, count: usize) -> Result<u64, StoreError> {
    let count = count.max(1) as u64;
    Ok(store.increment(&counter_key(name), count as i64)? as u64 + 1 - count)
}

/// The writes that put `entries` into slots taken now, for a caller's batch.
pub fn prepare_append(
    store: &dyn Store,
    name: &str,
    entries: &[Vec<u8>],
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let first = take_slots(store, name, entries.len())?;
    Ok((first..)
        .zip(entries)
        .map(|(slot, entry)| (slot_key(name, slot), entry.clone()))
        .collect())
}

/// Appends many entries with one increment and one batch write.
pub fn append_all(store: &dyn Store, name: &str, entries: &[Vec<u8>]) -> Result<(), StoreError> {
    store.set_many(&prepare_append(store, name, entries)?)
}

/// The number of slots handed out so far (the highest slot).
pub fn len(store: &dyn Store, name: &str) -> Result<u64, StoreError> {
    counter(store, &counter_key(name))
}

/// What a reader read of a log: how many slots had been handed out, and
/// which of those were still empty (their writers on the way, or dead).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub len: u64,
    pub holes: Vec<u64>,
}

impl Seen {
    /// `found` is what [`read`] gave for slots `1..=len` (in slot order).
    pub fn new(len: u64, found: &[(u64, Vec<u8>)]) -> Self {
        Seen::after(1, len, found)
    }

    /// `found` is what [`read`] gave for slots `from..=len`: a reader that
    /// already holds what the slots before `from` gave (a stored fold).
    pub fn after(from: u64, len: u64, found: &[(u64, Vec<u8>)]) -> Self {
        let mut present = found.iter().map(|(slot, _)| *slot).peekable();
        let holes = (from.max(1)..=len)
            .filter(|slot| present.next_if_eq(slot).is_none())
            .collect();
        Seen { len, holes }
    }

    /// Whether the log changed since: a slot handed out after these (read
    /// from the counter, since the next slot may be a dead one with live
    /// ones after it), or an empty slot filled.
    pub fn changed(&self, store: &dyn Store, name: &str) -> Result<bool, StoreError> {
        if len(store, name)? != self.len {
            return Ok(true);
        }
        for &slot in &self.holes {
            if store.exists(&slot_key(name, slot))? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The entries in slots `from..=to` that hold one, in slot order.
pub fn read(store: &dyn Store, name: &str, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let mut found = Vec::new();
    let mut start = from.max(1);
    while start <= to {
        let end = to.min(start + READ_BATCH - 1);
        let keys: Vec<String> = (start..=end).map(|slot| slot_key(name, slot)).collect();
        for (slot, value) in (start..=end).zip(store.get_many(&keys)?) {
            if let Some(value) = value {
                found.push((slot, value));
            }
        }
        start = end + 1;
    }
    Ok(found)
}

/// Deletes every slot and the counter (a person's erase).
pub fn erase(store: &dyn Store, name: &str) -> Result<(), StoreError> {
    let n = len(store, name)?;
    let mut keys: Vec<String> = (1..=n).map(|slot| slot_key(name, slot)).collect();
    keys.push(counter_key(name));
    for chunk in keys.chunks(READ_BATCH as usize) {
        store.delete_many(chunk)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use std::sync::Arc;

    #[test]
    fn appends_get_their_own_slots_and_read_in_order() {
        let store = MemoryStore::new();
        assert_eq!(append(&store, "log", b"a").unwrap(), 1);
        append_all(&store, "log", &[b"b".to_vec(), b"c".to_vec()]).unwrap();
        assert_eq!(len(&store, "log").unwrap(), 3);
        store.delete(&slot_key("log", 2)).unwrap();
        let all = read(&store, "log", 1, 3).unwrap();
        assert_eq!(all, [(1, b"a".to_vec()), (3, b"c".to_vec())]);
        erase(&store, "log").unwrap();
        assert!(store.is_empty());
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let store = Arc::new(MemoryStore::new());
        let writers: Vec<_> = (0..64)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || append(&*store, "log", format!("e{i}").as_bytes()).unwrap())
            })
            .collect();
        let mut slots: Vec<u64> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        slots.sort();
        assert_eq!(slots, (1..=64).collect::<Vec<_>>());
        assert_eq!(read(&*store, "log", 1, 64).unwrap().len(), 64);
    }

    /// A reader notices a slot handed out after it read, also past a dead
    /// slot, and an empty slot filled since.
    #[test]
    fn seen_notices_every_change() {
        let store = MemoryStore::new();
        append(&store, "log", b"a").unwrap();
        let on_the_way = take_slot(&store, "log").unwrap();
        let seen = Seen::new(len(&store, "log").unwrap(), &read(&store, "log", 1, 2).unwrap());
        assert_eq!(seen, Seen { len: 2, holes: vec![2] });
        assert!(!seen.changed(&store, "log").unwrap());
        store.set(&slot_key("log", on_the_way), b"b").unwrap();
        assert!(seen.changed(&store, "log").unwrap(), "an empty slot filled");
        let seen = Seen::new(2, &read(&store, "log", 1, 2).unwrap());
        take_slot(&store, "log").unwrap(); // dead: its writer never writes
        append(&store, "log", b"d").unwrap();
        assert!(seen.changed(&store, "log").unwrap(), "past a dead slot");
    }
}
