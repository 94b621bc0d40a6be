//! lead-scoring's logic: explained fit and engagement scores from rules
//! that are data, hot leads routed to a person and listed in a priority
//! queue.
//!
//! Scoring one lead reads its profile, its submissions and its survey
//! signals, evaluates the rules ([`engine`]), keeps any earlier assignment
//! (or routes a newly hot lead, [`routing`]), places it in the queue
//! ([`queue`]) and writes `score:<lead_id>`. Doing it again with the same
//! data and clock gives the same record: re-scoring is idempotent.

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod changes;
pub mod engine;
pub mod job;
pub mod keys;
pub mod queue;
pub mod routing;
pub mod rules;

use engine::Tier;
use queue::Placement;
use rules::Rules;
use spin_retention_core::admin_doc::Document;
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{JsonStore, Store, StoreError};
/// The facts rules test (a crate of their own: audiences test them too).
pub use spin_retention_facts as facts;
/// What a score is computed from.
pub use spin_retention_facts::inputs::{read_inputs, Inputs};
use spin_retention_facts::Facts;
/// The record and the queue as other jobs read them.
pub use spin_retention_scores::ScoreRecord;

/// The rules in force (an admin's, else the shipped defaults).
pub fn current_rules(store: &dyn Store) -> Result<Rules, StoreError> {
    Ok(spin_retention_core::admin_doc::current::<Rules>(store)?.0)
}

/// Rounds of [`score_lead`] when the lead keeps changing under it.
const ROUNDS: usize = 3;

/// Scores one lead and records it; `None` when there is no such lead.
///
/// Two scorings of one lead can overlap (intake's hand-off, a survey
/// answer, a re-score run); the one that read older data may write last.
/// So after writing we check whether the inputs moved (their logs only
/// grow: a slot handed out or filled since, or the lead erased) and score
/// again if they did.
pub fn score_lead(ctx: &Ctx, lead_id: &str) -> Result<Option<ScoreRecord>, StoreError> {
    let store = ctx.store;
    let mut inputs = read_inputs(store, lead_id)?;
    let mut record = None;
    for _ in 0..ROUNDS {
        let Some(current) = &inputs else {
            // No such lead, or erased while we scored: leave nothing behind.
            forget(store, lead_id)?;
            return Ok(None);
        };
        record = Some(score_once(ctx, current)?);
        if !current.moved(store)? {
            return Ok(record);
        }
        inputs = read_inputs(store, lead_id)?;
    }
    // Still moving after every round: the last record stands, unless the
    // lead is gone.
    if inputs.is_none() {
        forget(store, lead_id)?;
        return Ok(None);
    }
    Ok(record)
}

fn score_once(ctx: &Ctx, inputs: &Inputs) -> Result<ScoreRecord, StoreError> {
    let store = ctx.store;
    let Inputs {
        lead,
        submissions,
        surveys,
        customer,
        tags,
        ..
    } = inputs;
    let lead_id = lead.id.as_str();
    let rules = current_rules(store)?;
    let facts = Facts::new(lead, submissions, surveys, &rules.free_mail_domains, ctx.now)
        .with_customer(customer.as_ref())
        .with_tags(tags);
    let score = engine::evaluate(&rules, &facts);
    let last_activity_at = facts.activities.first().map_or(lead.updated_at, |a| a.at);
    let previous: Option<ScoreRecord> = store.get_json(&keys::score(lead_id))?;
    let hot = score.tier == Tier::Hot;
    let assignment = match previous.as_ref().and_then(|p| p.assignment.clone()) {
        Some(kept) => Some(kept),
        None if hot => routing::assign(store, &rules.routing, &facts, ctx.now)?,
        None => None,
    };
    let placement = hot.then(|| Placement::new(lead_id, score.total, last_activity_at));
    let change = changes::entry(previous.as_ref().map(|p| &p.score), &score, ctx.now);
    let old = previous.and_then(|p| p.queue);
    let mut writes = queue::prepare_add(store, old.as_ref(), placement.as_ref())?;
    if let Some(change) = change {
        writes.extend(changes::prepare(store, lead_id, change)?);
    }
    let record = ScoreRecord {
        lead_id: lead_id.to_string(),
        score,
        rules_version: rules.version(),
        scored_at: ctx.now,
        last_activity_at,
        assignment,
        queue: placement,
    };
    writes.push(keys::score(lead_id).entry(&record));
    store.set_many(&writes)?;
    queue::settle(store, lead_id, old.as_ref(), record.queue.as_ref())?;
    Ok(record)
}

/// Removes everything lead-scoring keeps about a lead (erase).
pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    let key = keys::score(lead_id);
    if let Some(record) = store.get_json::<ScoreRecord>(&key)? {
        if let Some(placement) = &record.queue {
            queue::forget(store, placement)?;
        }
        if let Some(assigned) = &record.assignment {
            routing::forget(store, assigned, lead_id)?;
        }
        store.delete(&key)?;
    }
    changes::forget(store, lead_id)
}

#[cfg(test)]
mod tests;
