//! What the facts of a person are computed from, read from the store: the
//! profile with its newest submissions, the survey signals and the
//! customer's fold ([`read_inputs`]); and whether any of it changed since
//! ([`Inputs::moved`]), for a reader that wrote something derived from it.

use spin_retention_core::lead::{Lead, Submission};
use spin_retention_core::signals::LeadSurveys;
use spin_retention_core::slots::Seen;
use spin_retention_core::store::{Store, StoreError};

/// What facts are computed from: a person as stored.
pub struct Inputs {
    pub lead: Lead,
    /// The newest first, at most [`spin_retention_core::lead::RECENT_SUBMISSIONS`]:
    /// older ones have decayed away, and this bounds the cost of scoring a
    /// very active lead.
    pub submissions: Vec<Submission>,
    pub surveys: LeadSurveys,
    /// What customers folded of the person's purchases.
    pub customer: Option<spin_retention_core::customer::Customer>,
    /// The person's tags (journeys' `tag` step).
    pub tags: Vec<String>,
    /// What was read of the two logs.
    seen: (Seen, Seen),
}

impl Inputs {
    /// Whether the lead has been erased or either log has changed since.
    pub fn moved(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let id = &self.lead.id;
        Ok(!spin_retention_core::lead::exists(store, id)?
            || spin_retention_core::lead::changed(store, id, &self.seen.0)?
            || spin_retention_core::signals::changed(store, id, &self.seen.1)?)
    }
}

/// The lead (with its newest submissions) and its survey signals.
pub fn read_inputs(store: &dyn Store, lead_id: &str) -> Result<Option<Inputs>, StoreError> {
    let Some(history) = spin_retention_core::lead::load_history(store, lead_id)? else {
        return Ok(None);
    };
    let (surveys, surveys_seen) = spin_retention_core::signals::load_counted(store, lead_id)?;
    let customer = spin_retention_core::customer::load(store, lead_id)?;
    let tags = spin_retention_core::tags::list(store, lead_id)?;
    let mut submissions = history.submissions;
    submissions.reverse();
    Ok(Some(Inputs {
        lead: history.lead,
        submissions,
        surveys,
        customer,
        tags,
        seen: (history.seen, surveys_seen),
    }))
}
