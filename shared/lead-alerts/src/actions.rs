//! Claim ("I'm on it") and first contact, from a signed link or the admin
//! API. The first claim wins and stops the SLA; the first contact is the
//! one measured (it claims the lead too, if nobody had).

use crate::keys;
use crate::record::{first, Claimed, ContactOutcome, Contacted, Person};
use spin_retention_core::events::Event;
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{JsonStore, StoreError};

/// The claim in force, and whether this request made it.
pub struct ClaimResult {
    pub claimed: Claimed,
    pub now: bool,
    pub events: Vec<Event>,
}

pub fn claim(ctx: &Ctx, lead_id: &str, by: &Person, via: &str) -> Result<ClaimResult, StoreError> {
    let store = ctx.store;
    let mine = Claimed {
        by: by.clone(),
        at: ctx.now,
        via: via.into(),
    };
    if !first(store, &keys::claim(lead_id))? {
        // The first claimer's record; if it died before writing, ours.
        if let Some(claimed) = store.get_json(&keys::claimed(lead_id))? {
            let now = claimed.by == *by;
            return Ok(ClaimResult {
                claimed,
                now,
                events: Vec::new(),
            });
        }
    }
    store.set_json(&keys::claimed(lead_id), &mine)?;
    let data = serde_json::json!({"lead_id": lead_id, "by": by, "at": ctx.now, "via": via});
    Ok(ClaimResult {
        events: vec![Event::new("lead.claimed", lead_id, ctx.now, data)],
        claimed: mine,
        now: true,
    })
}

pub struct ContactResult {
    pub contacted: Contacted,
    pub first: bool,
    pub events: Vec<Event>,
}

pub fn contact(
    ctx: &Ctx,
    lead_id: &str,
    by: &Person,
    outcome: Option<ContactOutcome>,
    via: &str,
) -> Result<ContactResult, StoreError> {
    let store = ctx.store;
    let mut events = Vec::new();
    if store.get_json(&keys::claimed(lead_id))?.is_none() {
        events.extend(claim(ctx, lead_id, by, via)?.events);
    }
    if !first(store, &keys::contact(lead_id))? {
        if let Some(contacted) = store.get_json(&keys::contacted(lead_id))? {
            return Ok(ContactResult {
                contacted,
                first: false,
                events,
            });
        }
    }
    let contacted = Contacted {
        by: by.clone(),
        at: ctx.now,
        outcome,
        via: via.into(),
    };
    store.set_json(&keys::contacted(lead_id), &contacted)?;
    let data = serde_json::json!({"lead_id": lead_id, "by": by, "at": ctx.now, "outcome": outcome, "via": via});
    events.push(Event::new("lead.contacted", lead_id, ctx.now, data));
    Ok(ContactResult {
        contacted,
        first: true,
        events,
    })
}
