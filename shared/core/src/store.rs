//! The key-value store as the components see it.
//!
//! Mirrors `wasi:keyvalue@0.2.0-draft2` as every Spin 3.0+ host provides it,
//! on every backend: get / set / delete / exists, `increment` (atomics) and
//! get-many / set-many (batch). Nothing else:
//! - no key listing: `list-keys` walks the whole store, and nothing on a
//!   request path may depend on that;
//! - no compare-and-swap: Spin 3.0-4.0.2 get it wrong (on Redis every swap
//!   reports failure and a lost race reports success; on SQLite a swap on an
//!   absent key is an unconditional upsert), so no design here may use it;
//! - batch `get-many` is here for the in-memory stores only: Spin's Redis
//!   store sends it as `KEYS k1 k2 ...` (refused by Redis, and a host panic
//!   for one key), so the Spin adapter reads key by key. `set-many` (one
//!   SQLite transaction, Redis `MSET`) and `delete-many` are sound.
//!
//! `increment` is the one atomic operation. A counter keeps the backend's
//! own encoding (8 little-endian bytes on SQLite, a decimal string on
//! Redis), so a counter is only ever read with [`Store::read_counter`],
//! which decodes either (a `get`: on SQLite `increment(key, 0)` would be a
//! write transaction just to read). `get` or `set` on a counter, or
//! `increment` on a key holding anything else, is a bug (on SQLite the
//! latter breaks the host's store until it restarts). [`MemoryStore`]
//! refuses both, so unit tests catch it.

use crate::keys::Key;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The store could not be opened or reached (not granted, backend down).
    Unavailable(String),
    /// A stored value could not be decoded as the expected type.
    Corrupt { key: String, reason: String },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Unavailable(reason) => write!(f, "key-value store unavailable: {reason}"),
            StoreError::Corrupt { key, reason } => write!(f, "stored value at {key} is unreadable: {reason}"),
        }
    }
}

impl std::error::Error for StoreError {}

pub trait Store {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    fn exists(&self, key: &str) -> Result<bool, StoreError>;

    /// Adds `delta` to the counter at `key` (absent: 0) atomically and
    /// returns the new value; `delta == 0` reads it.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;

    /// The counter at `key` (absent: 0), read without writing. This default
    /// is for stores that only know `increment`; the Spin adapter decodes a
    /// `get` ([`decode_counter`]).
    fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        match self.exists(key)? {
            true => self.increment(key, 0),
            false => Ok(0),
        }
    }

    /// The values of `keys`, in the same order. On Spin this is one `get`
    /// per key: `batch.get-many` is broken on Spin's Redis store (it sends
    /// `KEYS`), so the adapter does not use it.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// Writes every entry (one transaction on Spin's SQLite store).
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        entries.iter().try_for_each(|(k, v)| self.set(k, v))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        keys.iter().try_for_each(|k| self.delete(k))
    }
}

/// Reads a counter as a count (see the module doc: never `get` one).
pub fn counter(store: &dyn Store, key: &str) -> Result<u64, StoreError> {
    Ok(store.read_counter(key)?.max(0) as u64)
}

/// A counter as `get` returns it from Spin's stores: 8 little-endian
/// bytes on SQLite, a decimal string on Redis. The two never look alike
/// for a count we keep: a little-endian count below 2^56 ends in a zero
/// byte, which no decimal string holds.
pub fn decode_counter(key: &str, bytes: &[u8]) -> Result<i64, StoreError> {
    let corrupt = |reason: &str| StoreError::Corrupt {
        key: key.to_string(),
        reason: reason.to_string(),
    };
    let decimal = !bytes.is_empty()
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && *b == b'-'));
    if decimal {
        let text = std::str::from_utf8(bytes).map_err(|_| corrupt("not a counter"))?;
        return text.parse().map_err(|_| corrupt("a decimal counter out of range"));
    }
    let raw: [u8; 8] = bytes.try_into().map_err(|_| corrupt("not a counter"))?;
    Ok(i64::from_le_bytes(raw))
}

/// Deletes `key` if it is there; whether it was. A delete is a transaction
/// on Spin's SQLite store even when there is nothing to delete, a read is not.
pub fn delete_if_present(store: &dyn Store, key: &str) -> Result<bool, StoreError> {
    let present = store.exists(key)?;
    if present {
        store.delete(key)?;
    }
    Ok(present)
}

/// JSON on top of any [`Store`]; one encoding for every value we keep.
pub trait JsonStore {
    fn get_json<T: DeserializeOwned>(&self, key: &Key<T>) -> Result<Option<T>, StoreError>;
    fn set_json<T: Serialize>(&self, key: &Key<T>, value: &T) -> Result<(), StoreError>;
}

impl<S: Store + ?Sized> JsonStore for S {
    fn get_json<T: DeserializeOwned>(&self, key: &Key<T>) -> Result<Option<T>, StoreError> {
        self.get(key)?.map(|bytes| decode_json(key, &bytes)).transpose()
    }

    fn set_json<T: Serialize>(&self, key: &Key<T>, value: &T) -> Result<(), StoreError> {
        self.set(key, &json_bytes(value))
    }
}

/// A stored value read back; `key` names it in the error.
pub fn decode_json<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

/// A value as we store it (for batches: [`Store::set_many`]).
pub fn json_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serialising our own plain data types cannot fail.
    serde_json::to_vec(value).expect("domain types serialise to JSON")
}

/// In-memory store for native tests, with the backends' rules: counters
/// live apart from values, and mixing the two panics.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
    counters: Mutex<HashMap<String, i64>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keys held, counters included.
    pub fn len(&self) -> usize {
        self.lock().len() + self.lock_counters().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys whose name or value contains `needle`, counters included (by
    /// name: `alert-claim:<lead>`, `round-robin:<team>:<lead>`): for tests
    /// that check an erase leaves nothing about a person behind.
    pub fn mentions(&self, needle: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .lock()
            .iter()
            .filter(|(k, v)| k.contains(needle) || String::from_utf8_lossy(v).contains(needle))
            .map(|(k, _)| k.clone())
            .chain(self.lock_counters().keys().filter(|k| k.contains(needle)).cloned())
            .collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave the map half-written.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_counters(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn not_a_counter(&self, key: &str) {
        assert!(
            !self.lock_counters().contains_key(key),
            "{key} is a counter: read it with read_counter, never get or set it"
        );
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.not_a_counter(key);
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.not_a_counter(key);
        self.lock().insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().remove(key);
        self.lock_counters().remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.lock().contains_key(key) || self.lock_counters().contains_key(key))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        assert!(
            !self.lock().contains_key(key),
            "{key} holds a value: increment on it would break Spin's SQLite store"
        );
        let mut counters = self.lock_counters();
        let value = counters.entry(key.to_string()).or_insert(0);
        *value += delta;
        Ok(*value)
    }

    fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        assert!(!self.lock().contains_key(key), "{key} holds a value, not a counter");
        Ok(self.lock_counters().get(key).copied().unwrap_or(0))
    }
}

/// The store a component gets when opening the real one failed: every call
/// reports why, so the request can answer 503 instead of trapping.
pub struct UnavailableStore(pub String);

impl Store for UnavailableStore {
    fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }

    fn set(&self, _key: &str, _value: &[u8]) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }

    fn delete(&self, _key: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }

    fn exists(&self, _key: &str) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }

    fn increment(&self, _key: &str, _delta: i64) -> Result<i64, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
}

/// A [`MemoryStore`] whose calls on one chosen key fail as an unreachable
/// store would: its writes only ([`FailingStore::writes_to`]) or every call
/// ([`FailingStore::every_call_on`]). For tests of what a store error on
/// that key does (it must be an error, never "no such record").
pub struct FailingStore {
    pub inner: MemoryStore,
    key: String,
    reads_too: bool,
}

impl FailingStore {
    /// Writes (set, delete, increment, and any batch holding it) to `key` fail.
    pub fn writes_to(key: &str) -> Self {
        FailingStore {
            inner: MemoryStore::new(),
            key: key.to_string(),
            reads_too: false,
        }
    }

    /// Every call on `key` fails, reads too.
    pub fn every_call_on(key: &str) -> Self {
        FailingStore {
            reads_too: true,
            ..Self::writes_to(key)
        }
    }

    fn check(&self, key: &str, read: bool) -> Result<(), StoreError> {
        if key == self.key && (self.reads_too || !read) {
            return Err(StoreError::Unavailable(format!("failing on {key} (test)")));
        }
        Ok(())
    }
}

impl Store for FailingStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check(key, true)?;
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check(key, false)?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check(key, false)?;
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.check(key, true)?;
        self.inner.exists(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.check(key, delta == 0)?;
        self.inner.increment(key, delta)
    }
    fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        self.check(key, true)?;
        self.inner.read_counter(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().try_for_each(|k| self.check(k, true))?;
        self.inner.get_many(keys)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        entries.iter().try_for_each(|(k, _)| self.check(k, false))?;
        self.inner.set_many(entries)
    }
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        keys.iter().try_for_each(|k| self.check(k, false))?;
        self.inner.delete_many(keys)
    }
}

/// A [`MemoryStore`] that counts keys read and store round trips, for
/// tests that show what an operation costs (deterministic, unlike timing).
/// Writes count as commits: one per `set`/`delete`/`increment`, one per
/// batch, as on Spin's SQLite store.
#[derive(Default)]
pub struct CountingStore {
    pub inner: MemoryStore,
    reads: AtomicUsize,
    round_trips: AtomicUsize,
    commits: AtomicUsize,
}

impl CountingStore {
    /// Keys read (a get-many of 10 counts 10).
    pub fn reads(&self) -> usize {
        self.reads.load(Relaxed)
    }

    /// Calls that read: a get-many counts one.
    pub fn round_trips(&self) -> usize {
        self.round_trips.load(Relaxed)
    }

    pub fn commits(&self) -> usize {
        self.commits.load(Relaxed)
    }

    fn read(&self, keys: usize) {
        self.reads.fetch_add(keys, Relaxed);
        self.round_trips.fetch_add(1, Relaxed);
    }

    fn commit(&self) {
        self.commits.fetch_add(1, Relaxed);
    }
}

impl Store for CountingStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(1);
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.commit();
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.commit();
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.read(1);
        self.inner.exists(key)
    }
    /// A commit even to read (`delta == 0`): Spin's SQLite store runs every
    /// increment as a write transaction.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        if delta == 0 {
            self.read(1);
        }
        self.commit();
        self.inner.increment(key, delta)
    }
    fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        self.read(1);
        self.inner.read_counter(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.read(keys.len());
        self.inner.get_many(keys)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.commit();
        self.inner.set_many(entries)
    }
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.commit();
        self.inner.delete_many(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Thing {
        n: u32,
    }

    /// The encodings Spin's stores keep (`key-value-spin`: `to_le_bytes`;
    /// `key-value-redis`: `INCRBY`, a decimal string).
    #[test]
    fn counters_decode_from_either_backend() {
        for n in [0i64, 1, 7, 48, 57, 10_000_000, 1 << 40] {
            assert_eq!(decode_counter("k", &n.to_le_bytes()).unwrap(), n, "SQLite {n}");
            assert_eq!(decode_counter("k", n.to_string().as_bytes()).unwrap(), n, "Redis {n}");
        }
        // Eight decimal digits are read as a decimal, not as raw bytes.
        assert_eq!(decode_counter("k", b"12345678").unwrap(), 12_345_678);
        assert_eq!(decode_counter("k", b"-3").unwrap(), -3);
        for bad in [&b""[..], b"{\"a\":1}", &[1, 0, 0, 0, 0, 0, 0], b"12x"] {
            assert!(
                matches!(decode_counter("k", bad), Err(StoreError::Corrupt { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn memory_store_round_trips_bytes_and_json() {
        let store = MemoryStore::new();
        assert_eq!(store.get("a").unwrap(), None);
        store.set("a", b"1").unwrap();
        assert!(store.exists("a").unwrap());
        store.set_json(&Key::new("b"), &Thing { n: 7 }).unwrap();
        assert_eq!(store.get_json(&Key::<Thing>::new("b")).unwrap(), Some(Thing { n: 7 }));
        store.delete("a").unwrap();
        assert!(!store.exists("a").unwrap());
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn mentions_sees_values_and_counters() {
        let store = MemoryStore::new();
        store.set("lead:l_1", b"{}").unwrap();
        store.set("index", b"l_1").unwrap();
        store.increment("alert-claim:l_1", 1).unwrap();
        store.increment("other", 1).unwrap();
        assert_eq!(store.mentions("l_1"), ["alert-claim:l_1", "index", "lead:l_1"]);
    }

    #[test]
    fn corrupt_json_is_reported_with_its_key() {
        let store = MemoryStore::new();
        store.set("x", b"not json").unwrap();
        let err = store.get_json(&Key::<Thing>::new("x")).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { ref key, .. } if key == "x"));
    }

    #[test]
    fn unavailable_store_fails_every_call_with_its_reason() {
        let store = UnavailableStore("access-denied".into());
        assert_eq!(store.get("k"), Err(StoreError::Unavailable("access-denied".into())));
        assert!(store.set("k", b"v").is_err());
        assert!(store.exists("k").is_err());
        assert!(store.delete("k").is_err());
    }
}
