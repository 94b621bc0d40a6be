//! The export log: who pulled which audience, in which format, when, and
//! how many rows: counts, never identifiers.

use crate::keys;
use chrono::SecondsFormat;
use spin_retention_core::ids::random_u64;
use spin_retention_core::sorted_sets::{self, Page, Position};
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// `export:<id>`: a contract, since the log route answers it.
pub use spin_retention_core::contracts::audiences::ExportLog;

/// A random id for a pull (`x_` and 16 hex digits).
pub fn new_id() -> Result<String, StoreError> {
    let random = random_u64().map_err(StoreError::Unavailable)?;
    Ok(format!("x_{random:016x}"))
}

pub fn record(store: &dyn Store, log: &ExportLog) -> Result<(), StoreError> {
    store.set_json(&keys::export(&log.id), log)?;
    let at = Position::new(
        log.started_at.format("%Y-%m-%d").to_string(),
        format!(
            "{}|{}",
            log.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            log.id
        ),
    );
    sorted_sets::insert(store, keys::EXPORT_LOG, &at)
}

/// Newest pulls first.
pub fn page(
    store: &dyn Store,
    after: Option<&Position>,
    limit: usize,
) -> Result<(Vec<ExportLog>, Option<Position>), StoreError> {
    let Page { entries, next } = sorted_sets::page(store, keys::EXPORT_LOG, after, limit, |_| Ok(true))?;
    let mut logs = Vec::new();
    for at in entries {
        if let Some((_, id)) = at.entry.split_once('|') {
            logs.extend(store.get_json::<ExportLog>(&keys::export(id))?);
        }
    }
    Ok((logs, next))
}
