//! One writer per key, checked: [`owner`] reads the owner of a key from the
//! key table (the module doc of [`crate::keys`]), and [`OwnedBy`] is a
//! store for unit tests that panics when a job writes a key it does not
//! own. Each job's tests run its writes through one.

use crate::store::{Store, StoreError};

/// The key table, read from its source: the doc is the one list.
const TABLE: &str = include_str!("keys.rs");

/// Who writes keys like this one: `(literal prefix, exact name?, owner)`.
fn rules() -> Vec<(String, bool, String)> {
    let mut rules = Vec::new();
    for line in TABLE.lines() {
        let Some(row) = line.strip_prefix("//! | `") else {
            continue;
        };
        let mut cells = row.split(" | ");
        let (Some(first), Some(owner)) = (cells.next(), cells.next()) else {
            continue;
        };
        let owner = owner.trim().to_string();
        for pattern in format!("`{first}").split('`').skip(1).step_by(2) {
            if pattern.starts_with('#') {
                continue; // `#n`, `#<slot>`: the log of the pattern before
            }
            let base = pattern.strip_suffix("#n").unwrap_or(pattern);
            match base.find('<') {
                Some(at) => rules.push((base[..at].to_string(), false, owner.clone())),
                None => rules.push((base.to_string(), true, owner.clone())),
            }
        }
    }
    rules
}

/// The owner of `key` in the key table (`that component` for health
/// records), or `None` when the table has no such key.
pub fn owner(key: &str) -> Option<String> {
    rules()
        .into_iter()
        .filter(|(prefix, exact, _)| {
            // An exact name also covers its log, snapshot and buckets.
            key.starts_with(prefix.as_str())
                && (!exact || key.len() == prefix.len() || key[prefix.len()..].starts_with(['#', ':']))
        })
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map(|(_, _, owner)| owner)
}

/// A store that lets `job` write only the keys it owns; reads pass through.
/// A write of another job's key (or of a key the table lacks) panics,
/// naming the key and its owner.
pub struct OwnedBy<'a> {
    inner: &'a dyn Store,
    job: &'static str,
}

impl<'a> OwnedBy<'a> {
    pub fn new(inner: &'a dyn Store, job: &'static str) -> OwnedBy<'a> {
        OwnedBy { inner, job }
    }

    fn check(&self, key: &str) {
        match owner(key) {
            Some(owner) if owner == self.job || ["that component", "every component"].contains(&owner.as_str()) => {}
            Some(owner) => panic!("{} wrote `{key}`, a key of {owner}", self.job),
            None => panic!("{} wrote `{key}`, which the key table lacks", self.job),
        }
    }
}

impl Store for OwnedBy<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check(key);
        self.inner.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check(key);
        self.inner.delete(key)
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.check(key);
        self.inner.increment(key, delta)
    }

    fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        self.inner.read_counter(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.inner.get_many(keys)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        entries.iter().for_each(|(key, _)| self.check(key));
        self.inner.set_many(entries)
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        keys.iter().for_each(|key| self.check(key));
        self.inner.delete_many(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn the_table_names_each_keys_owner() {
        for (key, job) in [
            ("lead:l_1", "lead-intake"),
            ("lead-log:l_1#7", "lead-intake"),
            ("leads:buckets#snap", "lead-intake"),
            ("score:l_1", "lead-scoring"),
            ("hot-queue:newest:2026-11-23", "lead-scoring"),
            ("surveys#3", "survey"),
            ("audiences", "audience-export"),
            ("audience:hot:buckets", "audience-export"),
            ("alerted#n", "lead-alerts"),
            ("alert-step:l_1:1:99", "lead-alerts"),
            ("customer:l_1", "customers"),
            ("customer-log:l_1#2", "customers"),
            ("erasures-from", "lead-intake"),
        ] {
            assert_eq!(owner(key).as_deref(), Some(job), "{key}");
        }
        assert_eq!(owner("nobody-knows"), None);
    }

    #[test]
    #[should_panic(expected = "lead-alerts wrote `score:l_1`, a key of lead-scoring")]
    fn a_write_of_another_jobs_key_fails() {
        let store = MemoryStore::new();
        OwnedBy::new(&store, "lead-alerts").set("score:l_1", b"{}").unwrap();
    }
}
