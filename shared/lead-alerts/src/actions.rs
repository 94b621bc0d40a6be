//! Claim ("I'm on it") and first contact, from a signed link or the admin
//! API. The first claim wins and stops the SLA; the first contact is the
//! one measured (it claims the lead too, if nobody had).
//!
//! Each is taken with [`take_turn`]: whoever counts `1` writes the record;
//! a request that finds the turn taken but no record yet is told the lead
//! is being claimed (409), never given a second "it's yours".

use crate::keys;
use crate::record::{take_turn, Claimed, ContactOutcome, Contacted, Person};
use chrono::{DateTime, Utc};
use spin_retention_core::events::{self, Event, What};
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{JsonStore, StoreError};

/// What a claim found or made.
pub enum ClaimResult {
    /// This request claimed the lead (or its claimer claimed it again).
    Yours(Claimed, Vec<Event>),
    /// Somebody else has it.
    Theirs(Claimed),
    /// Another request is claiming it right now: ask again in a moment.
    InFlight,
    /// No such lead.
    NoLead,
}

/// When the lead's windows of turns count from (its first alert, else its
/// creation), and what its events are about. `None` when there is no such
/// lead.
fn since(ctx: &Ctx, lead_id: &str) -> Result<Option<(DateTime<Utc>, String)>, StoreError> {
    let Some(created) = ctx.store.get_json(&keys::lead(lead_id))? else {
        return Ok(None);
    };
    let about = crate::emit::about(lead_id, created.created_at);
    Ok(Some(match ctx.store.get_json(&keys::step(lead_id, 0))? {
        Some(step) => (step.at, about),
        None => (created.created_at, about),
    }))
}

pub fn claim(ctx: &Ctx, lead_id: &str, by: &Person, via: &str) -> Result<ClaimResult, StoreError> {
    let store = ctx.store;
    let Some((since, about)) = since(ctx, lead_id)? else {
        return Ok(ClaimResult::NoLead);
    };
    if let Some(claimed) = store.get_json::<Claimed>(&keys::claimed(lead_id))? {
        return Ok(if claimed.by == *by {
            ClaimResult::Yours(claimed, Vec::new())
        } else {
            ClaimResult::Theirs(claimed)
        });
    }
    if !take_turn(store, |w| keys::claim(lead_id, w), since, ctx.now)? {
        return Ok(match store.get_json::<Claimed>(&keys::claimed(lead_id))? {
            Some(claimed) if claimed.by == *by => ClaimResult::Yours(claimed, Vec::new()),
            Some(claimed) => ClaimResult::Theirs(claimed),
            None => ClaimResult::InFlight,
        });
    }
    let mine = Claimed {
        by: by.clone(),
        at: ctx.now,
        via: via.into(),
    };
    store.set_json(&keys::claimed(lead_id), &mine)?;
    let what = What::LeadClaimed(events::Claimed {
        lead_id: lead_id.into(),
        by: by.clone(),
        at: ctx.now,
        via: via.into(),
    });
    Ok(ClaimResult::Yours(mine, vec![Event::new(&about, ctx.now, what)]))
}

/// What recording a contact found or made.
pub enum ContactResult {
    /// The first contact: this one, or one recorded before (`first: false`).
    Recorded {
        contacted: Contacted,
        first: bool,
        events: Vec<Event>,
    },
    /// Another request is recording it; the events this one made (a claim).
    InFlight(Vec<Event>),
    NoLead,
}

pub fn contact(
    ctx: &Ctx,
    lead_id: &str,
    by: &Person,
    outcome: Option<ContactOutcome>,
    via: &str,
) -> Result<ContactResult, StoreError> {
    let store = ctx.store;
    let Some((since, about)) = since(ctx, lead_id)? else {
        return Ok(ContactResult::NoLead);
    };
    if let Some(contacted) = store.get_json(&keys::contacted(lead_id))? {
        return Ok(ContactResult::Recorded {
            contacted,
            first: false,
            events: Vec::new(),
        });
    }
    let mut events = Vec::new();
    if let ClaimResult::Yours(_, claimed) = claim(ctx, lead_id, by, via)? {
        events.extend(claimed);
    }
    if !take_turn(store, |w| keys::contact(lead_id, w), since, ctx.now)? {
        return Ok(match store.get_json(&keys::contacted(lead_id))? {
            Some(contacted) => ContactResult::Recorded {
                contacted,
                first: false,
                events,
            },
            None => ContactResult::InFlight(events),
        });
    }
    let contacted = Contacted {
        by: by.clone(),
        at: ctx.now,
        outcome,
        via: via.into(),
    };
    store.set_json(&keys::contacted(lead_id), &contacted)?;
    let what = What::LeadContacted(events::Contacted {
        lead_id: lead_id.into(),
        by: by.clone(),
        at: ctx.now,
        outcome,
        via: via.into(),
    });
    events.push(Event::new(&about, ctx.now, what));
    Ok(ContactResult::Recorded {
        contacted,
        first: true,
        events,
    })
}
