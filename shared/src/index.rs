//! Small shared lists in the key-value store (for example the submissions
//! whose hand-off is still pending).
//!
//! Spin's key-value API has no compare-and-swap, so two requests that read,
//! modify and write one list key at the same time can lose an entry. Our
//! choice: every entry is also its own record under its own key (nothing is
//! ever lost), and adding to a list is "read, add, write, wait a moment, read
//! again; if our entry was overwritten, add it again". The wait outlasts the
//! read-modify-write of any concurrent writer, so a writer that overwrote us
//! has finished by the time we check. Removing is the same without the wait:
//! a lost removal leaves an entry whose work is already done, which the
//! reader skips. Tested with many concurrent writers (tests/e2e).
//!
//! Considered and not taken: `wasi:keyvalue/atomics` (compare-and-swap,
//! increment). spin-sdk 5 only generates it in a module it marks internal,
//! and only Spin 3 and later provide it, while these components are meant to
//! run on every WASI 0.2 Spin host. The wait assumes a store round trip under
//! 30 ms, true of SQLite and a nearby Redis; a slower backend needs a longer
//! [`SETTLE`].

use crate::store::{JsonStore, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};
use std::time::Duration;

/// Long enough for a concurrent read-modify-write to land.
pub const SETTLE: Duration = Duration::from_millis(30);
const ATTEMPTS: usize = 16;

/// The read-modify-write described above, for any JSON value: `update` gets
/// the stored value and returns what to write (`None`: nothing to write);
/// after [`SETTLE`], `landed` checks our change survived, else we go again.
pub fn update_settled<T: Serialize + DeserializeOwned>(
    store: &dyn Store,
    key: &str,
    update: impl Fn(Option<T>) -> Option<T>,
    landed: impl Fn(&T) -> bool,
) -> Result<(), StoreError> {
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            // Writers that collided must not collide again in lockstep.
            std::thread::sleep(jitter());
        }
        if let Some(value) = update(store.get_json(key)?) {
            store.set_json(key, &value)?;
        }
        std::thread::sleep(SETTLE);
        if store.get_json::<T>(key)?.is_some_and(|v| landed(&v)) {
            return Ok(());
        }
    }
    Err(StoreError::Unavailable(format!("{key} is too busy; retry")))
}

/// A random pause under [`SETTLE`].
fn jitter() -> Duration {
    SETTLE.mul_f64((crate::ids::random_u64() % 1000) as f64 / 1000.0)
}

pub fn add(store: &dyn Store, key: &str, entry: &str) -> Result<(), StoreError> {
    add_all(store, key, &[entry.to_string()])
}

/// Adds many entries with one settle (a batch of audience members).
pub fn add_all(store: &dyn Store, key: &str, new: &[String]) -> Result<(), StoreError> {
    let has_all = |entries: &Vec<String>| new.iter().all(|n| entries.contains(n));
    // Already there: whoever added them is settling them; no need to wait.
    if store.get_json::<Vec<String>>(key)?.is_some_and(|e| has_all(&e)) {
        return Ok(());
    }
    update_settled(
        store,
        key,
        |entries: Option<Vec<String>>| {
            let mut entries = entries.unwrap_or_default();
            let missing: Vec<String> = new.iter().filter(|n| !entries.contains(n)).cloned().collect();
            (!missing.is_empty()).then(|| {
                entries.extend(missing);
                entries
            })
        },
        has_all,
    )
}

pub fn remove(store: &dyn Store, key: &str, entry: &str) -> Result<(), StoreError> {
    let mut entries: Vec<String> = store.get_json(key)?.unwrap_or_default();
    let before = entries.len();
    entries.retain(|e| e != entry);
    if entries.len() != before {
        store.set_json(key, &entries)?;
    }
    Ok(())
}

pub fn list(store: &dyn Store, key: &str) -> Result<Vec<String>, StoreError> {
    Ok(store.get_json(key)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use std::sync::Arc;

    #[test]
    fn add_is_idempotent_and_remove_forgets() {
        let store = MemoryStore::new();
        add(&store, "k", "a").unwrap();
        add(&store, "k", "a").unwrap();
        add(&store, "k", "b").unwrap();
        assert_eq!(list(&store, "k").unwrap(), ["a", "b"]);
        remove(&store, "k", "a").unwrap();
        assert_eq!(list(&store, "k").unwrap(), ["b"]);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let store = Arc::new(MemoryStore::new());
        let writers: Vec<_> = (0..40)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || add(&*store, "k", &format!("e{i}")).unwrap())
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let mut all = list(&*store, "k").unwrap();
        all.sort();
        assert_eq!(all.len(), 40, "{all:?}");
    }
}
