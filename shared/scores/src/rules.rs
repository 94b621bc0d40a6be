//! The parts of lead-scoring's rules other jobs read, without the rest:
//! the team hot leads go to (`routing.team`) and a version.

use crate::keys;
use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc::Stored;
use spin_retention_core::ids::sha256_hex;
use spin_retention_core::keys::Key;
use spin_retention_core::store::{JsonStore, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The part of the rules other jobs read: the team in `routing`; the rest
/// is lead-scoring's. Read from the store ([`team`]), or from the rules
/// lead-scoring answers (`crate::api::Rules<Team>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    #[serde(default)]
    pub routing: Option<Routing>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    #[serde(default)]
    pub team: Vec<Member>,
}

impl Team {
    /// Who hot leads go to; none without a routing.
    pub fn members(self) -> Vec<Member> {
        self.routing.map(|routing| routing.team).unwrap_or_default()
    }
}

/// The team in the rules in force. The shipped defaults have none.
pub fn team(store: &dyn Store) -> Result<Vec<Member>, StoreError> {
    let key: Key<Stored<Team>> = Key::new(keys::SCORING_RULES);
    Ok(store
        .get_json(&key)?
        .map(|stored| stored.document.members())
        .unwrap_or_default())
}

/// Changes whenever the rules in force do (`defaults` while they are the
/// shipped ones): what a run that follows the rules starts again on.
pub fn version(store: &dyn Store) -> Result<String, StoreError> {
    let key: Key<Stored<serde_json::Value>> = Key::new(keys::SCORING_RULES);
    Ok(match store.get_json(&key)? {
        Some(stored) => sha256_hex(&stored.document.to_string())[..12].to_string(),
        None => "defaults".to_string(),
    })
}
