//! dashboard's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

pub use spin_retention_core::keys::*;

/// A session signed out before it expired: its cookie is refused.
pub fn signed_out(session_id: &str) -> String {
    format!("dashboard-signout:{session_id}")
}
