//! audience-export's own keys, and every key of `core` it shares with the
//! other jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::log::ExportLog;
use crate::membership::Membership;
pub use spin_retention_core::keys::*;

/// The audiences a lead is in, and since when.
pub fn audience_member(lead_id: &str) -> Key<Membership> {
    Key::new(format!("audience-member:{lead_id}"))
}

/// The [`spin_retention_core::sorted_sets`] name of an audience's members.
pub fn audience_index(audience_id: &str) -> String {
    format!("audience:{audience_id}")
}

/// One pull: who, what, when, how many rows (no identifiers).
pub fn export(export_id: &str) -> Key<ExportLog> {
    Key::new(format!("export:{export_id}"))
}

/// Pulls by day ([`spin_retention_core::sorted_sets`]), newest first.
pub const EXPORT_LOG: &str = "export-log";
