//! Who a hot lead goes to: the first routing rule that matches (by region,
//! product...), else round robin over the whole team, skipping members who
//! are away. Assigned once; the assignment stays with the lead when it is
//! re-scored, so a returning person goes back to the member who has them.

use super::engine::first_match;
use super::facts::Facts;
use super::rules::{Member, Routing};
use crate::keys;
use chrono::{DateTime, Utc};
use spin_retention_core::ids::sha256_hex;
use spin_retention_core::store::{Store, StoreError};
pub use spin_retention_scores::Assignment;

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
    // A member who is away is skipped; when all are, nobody is assigned
    // and lead-alerts alerts the owner.
    let mut available = Vec::with_capacity(members.len());
    for member in members {
        if !spin_retention_core::team::is_away(store, &member.id, now)? {
            available.push(member);
        }
    }
    let members = available;
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
///
/// Turns are a counter (`round-robin:<pool>`), so concurrent hot leads get
/// distinct turns. Whoever counts 1 on the lead's own claim counter takes
/// the lead's turn and records it; anyone else reads that record. If it is
/// not there (its taker is still on the way, or died), the lead's hash
/// picks fairly instead: the assignment is kept on the score once made.
fn turn(store: &dyn Store, pool: &str, lead_id: &str) -> Result<u64, StoreError> {
    let record = keys::round_robin_turn(pool, lead_id);
    if store.increment(&keys::round_robin_claim(pool, lead_id), 1)? == 1 {
        let turn = store.increment(&keys::round_robin(pool), 1)? as u64 - 1;
        store.set(&record, turn.to_string().as_bytes())?;
        return Ok(turn);
    }
    let recorded = store
        .get(&record)?
        .and_then(|bytes| String::from_utf8(bytes).ok()?.parse().ok());
    Ok(recorded.unwrap_or_else(|| u64::from_str_radix(&sha256_hex(lead_id)[..8], 16).unwrap_or(0)))
}

/// Deletes the lead's round-robin claim and turn (erase).
pub fn forget(store: &dyn Store, assignment: &Assignment, lead_id: &str) -> Result<(), StoreError> {
    let pool = assignment.via.strip_prefix("rule:").unwrap_or("team");
    store.delete_many(&[
        keys::round_robin_claim(pool, lead_id),
        keys::round_robin_turn(pool, lead_id),
    ])
}
