//! A store that reads through to another and keeps every write to itself:
//! for a dry run that runs the real code (journeys' simulation takes the
//! real steps, at a simulated time) and leaves the real store as it was.

use crate::store::{MemoryStore, Store, StoreError};
use std::collections::HashSet;
use std::sync::Mutex;

pub struct Overlay<'a> {
    base: &'a dyn Store,
    top: MemoryStore,
    /// Keys deleted here: absent, whatever the base holds.
    gone: Mutex<HashSet<String>>,
    /// Counters copied up from the base (absent there: from 0).
    counters: Mutex<HashSet<String>>,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a dyn Store) -> Overlay<'a> {
        Overlay {
            base,
            top: MemoryStore::new(),
            gone: Mutex::default(),
            counters: Mutex::default(),
        }
    }

    fn is_gone(&self, key: &str) -> bool {
        self.gone.lock().unwrap_or_else(|e| e.into_inner()).contains(key)
    }

    fn is_counter_here(&self, key: &str) -> bool {
        self.counters.lock().unwrap_or_else(|e| e.into_inner()).contains(key)
    }
}

impl Store for Overlay<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.is_gone(key) {
            return Ok(None);
        }
        match self.top.exists(key)? {
            true => self.top.get(key),
            false => self.base.get(key),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.gone.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
        self.top.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.gone
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string());
        self.counters.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
        self.top.delete(key)
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        if self.is_gone(key) {
            return Ok(false);
        }
        Ok(self.top.exists(key)? || self.base.exists(key)?)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        if !self.is_counter_here(key) {
            let from = if self.is_gone(key) {
                0
            } else {
                self.base.read_counter(key)?
            };
            self.gone.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
            self.counters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.to_string());
            self.top.increment(key, from)?;
        }
        self.top.increment(key, delta)
    }

    fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        match (self.is_counter_here(key), self.is_gone(key)) {
            (true, _) => self.top.increment(key, 0),
            (false, true) => Ok(0),
            (false, false) => self.base.read_counter(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn reads_come_through_and_writes_stay_on_top() {
        let base = MemoryStore::new();
        base.set("a", b"1").unwrap();
        base.increment("n", 5).unwrap();
        let o = Overlay::new(&base);
        assert_eq!(o.get("a").unwrap(), Some(b"1".to_vec()));
        o.set("a", b"2").unwrap();
        o.set("b", b"3").unwrap();
        assert_eq!(o.increment("n", 1).unwrap(), 6);
        assert_eq!(o.read_counter("n").unwrap(), 6);
        o.delete("a").unwrap();
        assert_eq!(o.get("a").unwrap(), None);
        assert!(!o.exists("a").unwrap());
        assert_eq!(o.increment("fresh", 2).unwrap(), 2);
        // The base is as it was.
        assert_eq!(base.get("a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(base.get("b").unwrap(), None);
        assert_eq!(base.read_counter("n").unwrap(), 5);
        assert!(!base.exists("fresh").unwrap());
    }
}
