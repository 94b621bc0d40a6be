//! Team members' availability. lead-alerts writes it (an admin marks a
//! member away, `PUT /alerts/admin/members/<id>/away`); lead-scoring's
//! round robin and lead-alerts' SLA reassignment both skip a member who is
//! away.

use crate::keys::Key;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `member-away:<member_id>`; absent: available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Away {
    pub since: DateTime<Utc>,
    /// Back by then, if they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

pub fn away_key(member_id: &str) -> Key<Away> {
    Key::new(format!("member-away:{member_id}"))
}

/// Whether `member_id` is away at `now`.
pub fn is_away(store: &dyn Store, member_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    Ok(store
        .get_json(&away_key(member_id))?
        .is_some_and(|away| away.until.is_none_or(|until| now < until)))
}
