//! What lead-intake tells lead-alerts after a submission, besides the
//! `lead.created` hand-off ([`crate::handoff`]): with the first submission
//! of each minute, to run the SLA, so a deployment without a scheduler
//! still reassigns unclaimed leads while forms are in use.

use crate::keys;
use spin_retention_core::jobs::{calls, ALERTS};
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::StoreError;

/// Leads the SLA looks at when a submission asks it to run.
const NUDGE_LIMIT: u32 = 25;

pub fn after_submission(ctx: &Ctx) -> Result<(), StoreError> {
    if spin_retention_core::turns::first_of_minute(ctx, keys::sla_nudge)? {
        ALERTS.tell(format!("{}?limit={NUDGE_LIMIT}", calls::sla_tick()))(ctx);
    }
    Ok(())
}
