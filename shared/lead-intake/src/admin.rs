//! Admin endpoints of lead-intake (bearer `admin_token`): read a lead with
//! its history, erase a person, retry pending hand-offs.

use super::handoff::{self, Handoffs};
use super::settings::IntakeSettings;
use crate::keys;
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::lead::{Lead, Submission};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::store::JsonStore;

fn lead_or_404(ctx: &Ctx, req: &Request, lead_id: &str) -> Result<Lead, Reply> {
    let lead = spin_retention_core::lead::load(ctx.store, lead_id)?;
    Ok(lead.ok_or_else(|| Problem::not_found(&req.path).with_detail(format!("no lead {lead_id}")))?)
}

/// `GET /intake/admin/leads/<id>`: the profile, its newest submissions
/// (at most [`spin_retention_core::lead::RECENT_SUBMISSIONS`]; the profile
/// counts them all), and the state of their hand-offs and acknowledgements.
pub fn read(req: &Request, ctx: &Ctx, lead_id: &str) -> Handled {
    let lead = lead_or_404(ctx, req, lead_id)?;
    let mut submissions = Vec::new();
    for id in &lead.submissions {
        let submission: Option<Submission> = ctx.store.get_json(&keys::submission(id))?;
        let handoffs: Option<Handoffs> = ctx.store.get_json(&keys::handoff(id))?;
        let ack = ctx.store.get_json(&keys::ack_record(id))?;
        submissions.push(serde_json::json!({ "submission": submission, "handoffs": handoffs, "ack": ack }));
    }
    Ok(Reply::json(
        200,
        &serde_json::json!({ "lead": lead, "submissions": submissions }),
    ))
}

/// `DELETE /intake/admin/leads/<id>`: the right to be forgotten
/// ([`crate::erase`]). Removes the lead, its submissions, hand-off records,
/// identity index entries, submissions-log slots and lead list entry, and
/// hands the erase to every other job; leaves hashed suppression entries.
/// 200 when every job has forgotten the person; 202 with the jobs still
/// `pending` when one did not answer (the retry route finishes it, and so
/// does erasing again).
pub fn erase(req: &Request, ctx: &Ctx, lead_id: &str) -> Handled {
    let settings = IntakeSettings::from_config(ctx.config);
    let (deleted, erasure) = match spin_retention_core::lead::load(ctx.store, lead_id)? {
        Some(lead) => crate::erase::erase(ctx, &settings, &lead)?,
        None => match crate::erase::resume(ctx, &settings, lead_id)? {
            Some(erasure) => (0, erasure),
            None => {
                return Err(Problem::not_found(&req.path)
                    .with_detail(format!("no lead {lead_id}"))
                    .into())
            }
        },
    };
    let pending = erasure.pending();
    Ok(Reply::json(
        if pending.is_empty() { 200 } else { 202 },
        &serde_json::json!({
            "erased": lead_id,
            "keys_deleted": deleted,
            "jobs": erasure.states(),
            "pending": pending,
        }),
    ))
}

/// `POST /intake/admin/handoffs/retry?limit=N`: hands over up to N
/// submissions whose hand-off is not done (default 50), oldest first,
/// resuming where the last run stopped ([`handoff::retry`]). Safe to run
/// from a cron job, also twice at once. Call until `remaining` is 0.
pub fn retry(req: &Request, ctx: &Ctx) -> Handled {
    let limit = req.limit(50, 500)?;
    let settings = IntakeSettings::from_config(ctx.config);
    let mut run = handoff::retry(ctx, &settings, limit)?;
    let erasures = crate::erase::retry(ctx, &settings, limit as u64)?;
    run.remaining += erasures.remaining;
    Ok(Reply::json(200, &Retry { run, erasures }))
}

/// The retry route's answer: the submissions' hand-offs, and the erasures.
#[derive(serde::Serialize)]
struct Retry {
    #[serde(flatten)]
    run: handoff::Retried,
    erasures: crate::erase::Retried,
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::ports::{test_now, NoOutbound};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    /// The profile keeps only its newest submissions; erase still finds
    /// every one in the log.
    #[test]
    fn erase_forgets_a_long_history() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let mut id = String::new();
        for i in 0..300 {
            let ctx = Ctx::new(&store, &config, &NoOutbound, test_now() + chrono::Duration::minutes(i));
            let message = format!("message {i}");
            id = crate::test_support::submit(&ctx, &[("email", "long@acme.example"), ("message", &message)]);
        }
        let jobs = spin_retention_core::jobs::testing::Recorder::default();
        let ctx = Ctx::new(&store, &config, &jobs, test_now() + chrono::Duration::days(1));
        let first: Vec<String> = spin_retention_core::lead::logged(&store, &id)
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(first.len(), 300);
        let req = Request::new("DELETE", &format!("/intake/admin/leads/{id}"));
        let reply = erase(&req, &ctx, &id).unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(jobs.0.lock().unwrap().len(), 6, "every job told");
        assert_eq!(store.mentions(&id), Vec::<String>::new());
        for submission in &first {
            assert_eq!(store.mentions(submission), Vec::<String>::new(), "{submission}");
        }
    }
}
