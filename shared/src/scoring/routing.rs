//! Who a hot lead goes to: the first routing rule that matches (by region,
//! product...), else round robin over the whole team. Assigned once; the
//! assignment stays with the lead when it is re-scored.

use super::engine::first_match;
use super::facts::Facts;
use super::rules::{Member, Routing};
use crate::ids::sha256_hex;
use crate::index;
use crate::keys;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub member_id: String,
    pub member_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_email: Option<String>,
    /// `rule:<id>` or `round-robin`.
    pub via: String,
    pub assigned_at: DateTime<Utc>,
}

/// `round-robin:<pool>`: the leads most recently given a turn. A lead's
/// turn is `base` plus its place in `recent`; taking a turn is an
/// [`index::update_settled`], so concurrent hot leads get distinct turns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRobin {
    pub base: u64,
    pub recent: Vec<String>,
}

const KEEP: usize = 200;

pub fn assign(
    store: &dyn Store,
    routing: &Routing,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<Option<Assignment>, StoreError> {
    if routing.team.is_empty() {
        return Ok(None);
    }
    let matched = routing.rules.iter().find(|r| first_match(&r.when, facts).is_some());
    let (pool, via, members): (&str, String, Vec<&Member>) = match matched {
        Some(rule) => (
            &rule.id,
            format!("rule:{}", rule.id),
            rule.assign
                .iter()
                .filter_map(|id| routing.team.iter().find(|m| &m.id == id))
                .collect(),
        ),
        None => ("team", "round-robin".into(), routing.team.iter().collect()),
    };
    let Some(first) = members.first() else { return Ok(None) };
    let member = match members.len() {
        1 => first,
        n => members[(turn(store, pool, &facts.lead.id)? % n as u64) as usize],
    };
    Ok(Some(Assignment {
        member_id: member.id.clone(),
        member_name: member.name.clone(),
        member_email: member.email.clone(),
        via,
        assigned_at: now,
    }))
}

/// This lead's turn in `pool`; the same lead always gets the same turn.
fn turn(store: &dyn Store, pool: &str, lead_id: &str) -> Result<u64, StoreError> {
    let key = keys::round_robin(pool);
    let has = |rr: &RoundRobin| rr.recent.iter().any(|l| l == lead_id);
    index::update_settled(
        store,
        &key,
        |rr: Option<RoundRobin>| {
            let mut rr = rr.unwrap_or_default();
            if has(&rr) {
                return None;
            }
            rr.recent.push(lead_id.to_string());
            if rr.recent.len() > KEEP {
                let drop = rr.recent.len() - KEEP;
                rr.recent.drain(..drop);
                rr.base += drop as u64;
            }
            Some(rr)
        },
        has,
    )?;
    let rr: RoundRobin = store.get_json(&key)?.unwrap_or_default();
    Ok(match rr.recent.iter().position(|l| l == lead_id) {
        Some(place) => rr.base + place as u64,
        // Pushed out by more than KEEP newer turns meanwhile: any fair pick.
        None => u64::from_str_radix(&sha256_hex(lead_id)[..8], 16).unwrap_or(0),
    })
}
