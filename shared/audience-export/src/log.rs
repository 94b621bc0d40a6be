//! The export log: who pulled which audience, in which format, when, and
//! how many rows: counts, never identifiers.

use crate::keys;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::ids::random_u64;
use spin_retention_core::sorted_sets::{self, Page, Position};
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// `export:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportLog {
    pub id: String,
    pub puller: String,
    pub audience: String,
    pub format: String,
    pub started_at: DateTime<Utc>,
    /// The clock (`ctx.now`) of the request that ended the pull.
    pub finished_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// A page of a paged pull (`limit`), and whether it continued a cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    pub continued: bool,
    /// Rows sent.
    pub rows: u64,
    /// Members left out at export time: consent withdrawn, suppressed,
    /// erased, or no identifier the platform matches on.
    pub skipped: u64,
    /// False when the transfer broke (a store failure mid-stream).
    pub complete: bool,
}

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
