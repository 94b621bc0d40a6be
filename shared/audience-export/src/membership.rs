//! Which audiences each lead is in, kept as one sorted index per audience
//! so an export reads only the page it serves.
//!
//! A lead's memberships are evaluated whenever lead-scoring has scored it
//! (its hand-off), and for every lead by a refresh run after definitions
//! change. Each audience `<id>` has the index `audience:<id>`: buckets
//! `<day>.<h>` (the day the lead joined or its identifiers last changed,
//! and the first hex digit of sha256(lead id), so a busy day is 16 small
//! lists rather than one huge one); entries `<since>|<lead id>|<last
//! activity day>`, so `since` and the activity window are read from the
//! entry itself. `audience-member:<lead>` is the truth: an index entry that
//! does not match it (a lost removal, an erase) is skipped by readers.

use super::consent;
use super::definition::Audiences;
use super::facts::AudienceFacts;
use crate::keys;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::ids::sha256_hex;
use spin_retention_core::lead::{Lead, Submission};
use spin_retention_core::ports::Ctx;
use spin_retention_core::signals::LeadSurveys;
use spin_retention_core::sorted_sets::{self, Position};
use spin_retention_core::store::{JsonStore, Store, StoreError};
use spin_retention_facts::Facts;
use spin_retention_scores::ScoreRecord;
use std::collections::BTreeMap;

/// `audience-member:<lead_id>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub audiences: BTreeMap<String, Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// When the lead joined, or its identifiers last changed: what an
    /// incremental pull (`since`) compares.
    pub since: DateTime<Utc>,
    /// Fingerprint of the identifiers exported (not the identifiers).
    pub identity: String,
    pub last_activity: NaiveDate,
}

impl Member {
    pub fn position(&self, lead_id: &str) -> Position {
        Position::new(
            format!("{}.{}", self.since.format("%Y-%m-%d"), &sha256_hex(lead_id)[..1]),
            format!(
                "{}|{lead_id}|{}",
                self.since.to_rfc3339_opts(SecondsFormat::Secs, true),
                self.last_activity
            ),
        )
    }
}

/// An index entry read back: `(since, lead id, last activity day)`.
pub fn parse_entry(entry: &str) -> Option<(DateTime<Utc>, &str, NaiveDate)> {
    let mut parts = entry.split('|');
    let since = DateTime::parse_from_rfc3339(parts.next()?).ok()?.with_timezone(&Utc);
    let lead_id = parts.next()?;
    let last_activity = parts.next()?.parse().ok()?;
    Some((since, lead_id, last_activity))
}

/// What the audience conditions of one lead read.
struct Inputs {
    lead: Lead,
    score: Option<ScoreRecord>,
    surveys: LeadSurveys,
    submissions: Vec<Submission>,
    customer: Option<spin_retention_core::customer::Customer>,
    tags: Vec<String>,
}

fn read_inputs(store: &dyn Store, lead_id: &str) -> Result<Option<Inputs>, StoreError> {
    let Some(scoring) = spin_retention_facts::inputs::read_inputs(store, lead_id)? else {
        return Ok(None);
    };
    Ok(Some(Inputs {
        score: store.get_json(&spin_retention_scores::keys::score(lead_id))?,
        surveys: scoring.surveys,
        submissions: scoring.submissions,
        customer: scoring.customer,
        tags: scoring.tags,
        lead: scoring.lead,
    }))
}

/// The identifiers any export format sends, fingerprinted.
fn identity(lead: &Lead) -> String {
    let c = &lead.contact;
    let fields = [
        &c.email,
        &c.phone,
        &c.name,
        &c.first_name,
        &c.last_name,
        &c.city,
        &c.region,
        &c.postal_code,
        &c.country,
    ];
    let joined: Vec<&str> = fields.iter().map(|f| f.as_deref().unwrap_or("")).collect();
    sha256_hex(&joined.join("\u{1f}"))[..16].to_string()
}

/// The lead's memberships as they should be now: none without consent for
/// ads or when suppressed; otherwise each audience whose conditions hold,
/// keeping `since` of audiences it was already in with the same identifiers.
fn desired(defs: &Audiences, inputs: &Inputs, suppressed: bool, old: &Membership, now: DateTime<Utc>) -> Membership {
    let lead = &inputs.lead;
    if suppressed || !consent::allows_ads(lead) {
        return Membership::default();
    }
    // The built-in free-mail list only: scoring's extra domains would cost
    // one more read per lead, for a fact few audiences use.
    let free_mail = Vec::new();
    let profile = Facts::new(lead, &inputs.submissions, &inputs.surveys, &free_mail, now)
        .with_customer(inputs.customer.as_ref())
        .with_tags(&inputs.tags);
    let last_activity = inputs
        .score
        .as_ref()
        .map(|s| s.last_activity_at)
        .or(profile.activities.first().map(|a| a.at))
        .unwrap_or(lead.updated_at)
        .date_naive();
    let facts = AudienceFacts {
        profile,
        score: inputs.score.as_ref(),
        submissions: &inputs.submissions,
        conversion_forms: &defs.conversion_forms,
    };
    let identity = identity(lead);
    let audiences = defs
        .audiences
        .iter()
        .filter(|a| a.when.iter().all(|c| c.holds(&|name: &str| facts.get(name))))
        .map(|a| {
            let since = match old.audiences.get(&a.id) {
                Some(m) if m.identity == identity => m.since,
                _ => now,
            };
            let member = Member {
                since,
                identity: identity.clone(),
                last_activity,
            };
            (a.id.clone(), member)
        })
        .collect();
    Membership { audiences }
}

/// One lead's change of memberships, to write.
#[derive(Debug, Default)]
pub struct Plan {
    lead_id: String,
    record: Option<Membership>,
    inserts: Vec<(String, Position)>,
    removes: Vec<(String, Position)>,
}

impl Plan {
    pub fn changed(&self) -> bool {
        self.record.is_some()
    }
}

/// Works out one lead's memberships under `defs`; writes nothing.
pub fn plan(ctx: &Ctx, defs: &Audiences, lead_id: &str) -> Result<Plan, StoreError> {
    let store = ctx.store;
    let old: Membership = store.get_json(&keys::audience_member(lead_id))?.unwrap_or_default();
    let new = match read_inputs(store, lead_id)? {
        Some(inputs) => {
            let suppressed = consent::suppressed(store, &inputs.lead)?;
            desired(defs, &inputs, suppressed, &old, ctx.now)
        }
        None => Membership::default(),
    };
    let mut plan = Plan {
        lead_id: lead_id.to_string(),
        ..Plan::default()
    };
    if new == old {
        return Ok(plan);
    }
    for (id, member) in &new.audiences {
        let at = member.position(lead_id);
        if old.audiences.get(id).map(|m| m.position(lead_id)) != Some(at.clone()) {
            plan.inserts.push((keys::audience_index(id), at));
        }
    }
    for (id, member) in &old.audiences {
        let at = member.position(lead_id);
        if new.audiences.get(id).map(|m| m.position(lead_id)) != Some(at.clone()) {
            plan.removes.push((keys::audience_index(id), at));
        }
    }
    plan.record = Some(new);
    Ok(plan)
}

/// Writes plans: the new index entries and the records that make them
/// current in one batch, then removals of the entries that moved.
pub fn apply(store: &dyn Store, plans: &[Plan]) -> Result<(), StoreError> {
    let mut inserts: BTreeMap<&str, Vec<Position>> = BTreeMap::new();
    for (index, at) in plans.iter().flat_map(|p| &p.inserts) {
        inserts.entry(index).or_default().push(at.clone());
    }
    let mut writes = Vec::new();
    for (index, positions) in &inserts {
        writes.extend(sorted_sets::prepare_insert(store, index, positions)?);
    }
    let mut gone = Vec::new();
    for plan in plans {
        match &plan.record {
            Some(record) if record.audiences.is_empty() => gone.push(keys::audience_member(&plan.lead_id).to_string()),
            Some(record) => writes.push(keys::audience_member(&plan.lead_id).entry(record)),
            None => {}
        }
    }
    store.set_many(&writes)?;
    store.delete_many(&gone)?;
    for (index, at) in plans.iter().flat_map(|p| &p.removes) {
        sorted_sets::remove(store, index, at)?;
    }
    // An erase that ran while we planned (a refresh batch takes seconds):
    // leave nothing behind, as erase would have.
    for plan in plans {
        let joined = plan.record.as_ref().is_some_and(|r| !r.audiences.is_empty());
        if joined && !store.exists(&keys::lead(&plan.lead_id))? {
            forget(store, &plan.lead_id)?;
        }
    }
    Ok(())
}

/// Re-evaluates one lead (lead-scoring's hand-off); whether it changed.
pub fn update(ctx: &Ctx, lead_id: &str) -> Result<bool, StoreError> {
    let defs = super::definition::current(ctx.store)?;
    let plan = plan(ctx, &defs, lead_id)?;
    apply(ctx.store, std::slice::from_ref(&plan))?;
    Ok(plan.changed())
}

/// Removes the lead from every audience (erase).
pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    let key = keys::audience_member(lead_id);
    let Some(old) = store.get_json::<Membership>(&key)? else {
        return Ok(());
    };
    store.delete(&key)?;
    for (id, member) in &old.audiences {
        sorted_sets::remove(store, &keys::audience_index(id), &member.position(lead_id))?;
    }
    Ok(())
}

/// Whether an index entry of `audience` is the lead's current membership.
pub fn is_current(store: &dyn Store, audience: &str, at: &Position) -> Result<bool, StoreError> {
    let Some((_, lead_id, _)) = parse_entry(&at.entry) else {
        return Ok(false);
    };
    let record: Option<Membership> = store.get_json(&keys::audience_member(lead_id))?;
    Ok(record
        .and_then(|r| r.audiences.get(audience).map(|m| m.position(lead_id)))
        .is_some_and(|current| current == *at))
}
