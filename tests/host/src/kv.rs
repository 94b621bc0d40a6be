//! Spin's key-value interface (`fermyon:spin/key-value@2.0.0`) with Spin's
//! semantics: a component may open only the store labels granted to it in
//! `key_value_stores` (else `access-denied`), and only labels the host knows
//! (else `no-such-store`). The default store lives in SQLite, in the same
//! table layout as Spin's own SQLite store; an in-memory backend is faster
//! for tests that do not need persistence.

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use crate::bindings::fermyon::spin::key_value::{Error, HostStore};
use crate::state::State;
use wasmtime::component::Resource;

pub enum Backend {
    Memory(Mutex<BTreeMap<(String, String), Vec<u8>>>),
    Sqlite(Mutex<Connection>),
}

impl Backend {
    pub fn memory() -> Self {
        Backend::Memory(Mutex::new(BTreeMap::new()))
    }

    pub fn sqlite(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                PRIMARY KEY (store, key))",
        )?;
        Ok(Backend::Sqlite(Mutex::new(conn)))
    }

    pub fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            Backend::Memory(m) => Ok(lock(m).get(&(store.into(), key.into())).cloned()),
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                    params![store, key],
                    |row| row.get(0),
                )
                .optional()
                .map_err(|e| e.to_string()),
        }
    }

    pub fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), String> {
        match self {
            Backend::Memory(m) => {
                lock(m).insert((store.into(), key.into()), value.to_vec());
                Ok(())
            }
            Backend::Sqlite(c) => lock(c)
                .execute(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                    params![store, key, value],
                )
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }

    /// Many writes at once: one transaction on SQLite (seeding large stores).
    pub fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> Result<(), String> {
        match self {
            Backend::Memory(_) => entries.iter().try_for_each(|(k, v)| self.set(store, k, v)),
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx = conn.transaction().map_err(|e| e.to_string())?;
                for (key, value) in entries {
                    tx.execute(
                        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                        params![store, key, value],
                    )
                    .map_err(|e| e.to_string())?;
                }
                tx.commit().map_err(|e| e.to_string())
            }
        }
    }

    pub fn delete(&self, store: &str, key: &str) -> Result<(), String> {
        match self {
            Backend::Memory(m) => {
                lock(m).remove(&(store.into(), key.into()));
                Ok(())
            }
            Backend::Sqlite(c) => lock(c)
                .execute(
                    "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
                    params![store, key],
                )
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }

    fn keys(&self, store: &str) -> Result<Vec<String>, String> {
        match self {
            Backend::Memory(m) => Ok(lock(m)
                .keys()
                .filter(|(s, _)| s == store)
                .map(|(_, k)| k.clone())
                .collect()),
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn
                    .prepare("SELECT key FROM spin_key_value WHERE store = ?1")
                    .map_err(|e| e.to_string())?;
                let keys = stmt
                    .query_map(params![store], |row| row.get(0))
                    .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
                    .map_err(|e| e.to_string());
                keys
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The host side of an open `store` resource: its label.
pub struct StoreHandle {
    label: String,
}

/// What one component may open.
pub struct Grants {
    pub granted: HashSet<String>,
    pub known: HashSet<String>,
}

impl State {
    fn label(&self, handle: &Resource<StoreHandle>) -> Result<String, Error> {
        self.table
            .get(handle)
            .map(|h| h.label.clone())
            .map_err(|e| Error::Other(e.to_string()))
    }
}

impl crate::bindings::fermyon::spin::key_value::Host for State {}

impl HostStore for State {
    fn open(&mut self, label: String) -> Result<Resource<StoreHandle>, Error> {
        let grants = &self.component.kv_grants;
        if !grants.granted.contains(&label) {
            return Err(Error::AccessDenied);
        }
        if !grants.known.contains(&label) {
            return Err(Error::NoSuchStore);
        }
        self.table
            .push(StoreHandle { label })
            .map_err(|_| Error::StoreTableFull)
    }

    fn get(&mut self, store: Resource<StoreHandle>, key: String) -> Result<Option<Vec<u8>>, Error> {
        let label = self.label(&store)?;
        self.kv.get(&label, &key).map_err(Error::Other)
    }

    fn set(&mut self, store: Resource<StoreHandle>, key: String, value: Vec<u8>) -> Result<(), Error> {
        let label = self.label(&store)?;
        self.kv.set(&label, &key, &value).map_err(Error::Other)
    }

    fn delete(&mut self, store: Resource<StoreHandle>, key: String) -> Result<(), Error> {
        let label = self.label(&store)?;
        self.kv.delete(&label, &key).map_err(Error::Other)
    }

    fn exists(&mut self, store: Resource<StoreHandle>, key: String) -> Result<bool, Error> {
        let label = self.label(&store)?;
        self.kv.get(&label, &key).map(|v| v.is_some()).map_err(Error::Other)
    }

    fn get_keys(&mut self, store: Resource<StoreHandle>) -> Result<Vec<String>, Error> {
        let label = self.label(&store)?;
        self.kv.keys(&label).map_err(Error::Other)
    }

    fn drop(&mut self, store: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    fn exercise(b: &Backend) {
        assert_eq!(b.get("default", "k").unwrap(), None);
        b.set("default", "k", b"v1").unwrap();
        b.set("default", "k", b"v2").unwrap();
        b.set("other", "k", b"x").unwrap();
        assert_eq!(b.get("default", "k").unwrap(), Some(b"v2".to_vec()));
        assert_eq!(b.keys("default").unwrap(), vec!["k".to_string()]);
        b.delete("default", "k").unwrap();
        assert_eq!(b.get("default", "k").unwrap(), None);
        assert_eq!(b.get("other", "k").unwrap(), Some(b"x".to_vec()));
    }

    #[test]
    fn memory_backend_keeps_stores_apart() {
        exercise(&Backend::memory());
    }

    #[test]
    fn sqlite_backend_keeps_stores_apart_and_persists() {
        let dir = std::env::temp_dir().join(format!("kv-test-{}", std::process::id()));
        let path = dir.join("kv.db");
        exercise(&Backend::sqlite(&path).unwrap());
        Backend::sqlite(&path).unwrap().set("default", "p", b"1").unwrap();
        assert_eq!(
            Backend::sqlite(&path).unwrap().get("default", "p").unwrap(),
            Some(b"1".to_vec())
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
