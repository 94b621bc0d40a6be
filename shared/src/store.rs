//! The key-value store as the components see it.
//!
//! Mirrors Spin's key-value API on purpose: get / set / delete / exists and
//! nothing else. There is no key listing, because Spin's `get_keys` walks the
//! whole store and nothing on a request path may depend on that (DESIGN.md).

use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;
use std::fmt;
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
}

/// JSON on top of any [`Store`]; one encoding for every value we keep.
pub trait JsonStore {
    fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError>;
    fn set_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError>;
}

impl<S: Store + ?Sized> JsonStore for S {
    fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.get(key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    key: key.to_string(),
                    reason: e.to_string(),
                }),
        }
    }

    fn set_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        // Serialising our own plain data types cannot fail.
        let bytes = serde_json::to_vec(value).expect("domain types serialise to JSON");
        self.set(key, &bytes)
    }
}

/// In-memory store for native tests.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys whose name or value contains `needle`: for tests that check an
    /// erase leaves nothing about a person behind.
    pub fn mentions(&self, needle: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .lock()
            .iter()
            .filter(|(k, v)| k.contains(needle) || String::from_utf8_lossy(v).contains(needle))
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave the map half-written.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.lock().insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.lock().contains_key(key))
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
}

/// A [`MemoryStore`] that counts reads, for tests that show what an
/// operation costs in store round trips (deterministic, unlike timing).
#[derive(Default)]
pub struct CountingStore {
    pub inner: MemoryStore,
    reads: std::sync::atomic::AtomicUsize,
}

impl CountingStore {
    pub fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Store for CountingStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key)
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

    #[test]
    fn memory_store_round_trips_bytes_and_json() {
        let store = MemoryStore::new();
        assert_eq!(store.get("a").unwrap(), None);
        store.set("a", b"1").unwrap();
        assert!(store.exists("a").unwrap());
        store.set_json("b", &Thing { n: 7 }).unwrap();
        assert_eq!(store.get_json::<Thing>("b").unwrap(), Some(Thing { n: 7 }));
        store.delete("a").unwrap();
        assert!(!store.exists("a").unwrap());
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn corrupt_json_is_reported_with_its_key() {
        let store = MemoryStore::new();
        store.set("x", b"not json").unwrap();
        let err = store.get_json::<Thing>("x").unwrap_err();
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
