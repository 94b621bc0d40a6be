//! Admin endpoints of lead-intake (bearer `admin_token`): read a lead with
//! its history, erase a person, retry pending hand-offs.

use super::handoff;
use super::settings::IntakeSettings;
use crate::keys;
use spin_retention_core::contracts::intake::{LeadView, SubmissionView};
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::lead::Lead;
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
        submissions.push(SubmissionView {
            submission: ctx.store.get_json(&keys::submission(id))?,
            handoffs: ctx.store.get_json(&keys::handoff(id))?,
            ack: ctx.store.get_json(&keys::ack_record(id))?,
        });
    }
    Ok(Reply::json(200, &LeadView { lead, submissions }))
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
        assert_eq!(jobs.0.lock().unwrap().len(), 7, "every job told");
        assert_eq!(store.mentions(&id), Vec::<String>::new());
        for submission in &first {
            assert_eq!(store.mentions(submission), Vec::<String>::new(), "{submission}");
        }
    }

    /// What the dashboard reads of a person is the contract's: the lead
    /// view (with a submission's hand-offs and instant-ack's record of its
    /// acknowledgement) and the search read back as `contracts::intake`
    /// types.
    #[test]
    fn the_admin_answers_are_the_contract() {
        use spin_retention_core::contracts::ack::{Delivery, State};
        use spin_retention_core::contracts::intake::Found;
        use spin_retention_core::contracts::testing::reads_as;
        use spin_retention_core::store::JsonStore;
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let ctx = Ctx::new(&store, &config, &NoOutbound, test_now());
        let id = crate::test_support::submit(&ctx, &[("email", "dana@acme.example"), ("message", "Pricing?")]);
        let lead = spin_retention_core::lead::load(&store, &id).unwrap().unwrap();
        let submission = lead.submissions[0].clone();
        // instant-ack's record, as it writes it.
        let sent = Delivery {
            submission_id: submission.clone(),
            lead_id: id.clone(),
            state: State::Sent,
            channel: "email".into(),
            provider: "sendgrid".into(),
            attempts: 1,
            provider_message_id: Some("m-1".into()),
            last_error: None,
            received_at: test_now(),
            sent_at: Some(test_now()),
            latency_ms: Some(900),
            next_attempt_at: None,
            updated_at: test_now(),
            round: 3,
            claimed_after: 0,
            claims: vec![format!("ack-claim:{submission}:3.0")],
            new_number: false,
            number_key: None,
        };
        store.set_json(&keys::ack_record(&submission), &sent).unwrap();
        let call = |path: &str, query: &str| {
            let mut req = Request::new("GET", path);
            req.query = query.to_string();
            req.headers.push(("authorization".into(), "Bearer t".into()));
            let reply = crate::job::JOB.handle(&req, &ctx).reply;
            assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
            reply.body
        };
        let view: LeadView = reads_as(&call(&format!("/intake/admin/leads/{id}"), ""));
        assert_eq!(view.lead, lead);
        let shown = &view.submissions[0];
        assert_eq!(
            shown.submission.as_ref().map(|s| s.id.as_str()),
            Some(submission.as_str())
        );
        assert_eq!(shown.handoffs.as_ref().map(|h| h.lead_id.as_str()), Some(id.as_str()));
        assert_eq!(shown.ack.as_ref(), Some(&sent));
        let found: Found = reads_as(&call("/intake/admin/people", "q=Dana%40acme.example"));
        assert_eq!(found.lead_id, id);
    }
}
