//! Admin endpoints of lead-intake (bearer `admin_token`): read a lead with
//! its history, erase a person, retry pending hand-offs.

use super::handoff::{self, Handoffs};
use super::settings::IntakeSettings;
use crate::keys;
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::lead::{Lead, Submission};
use spin_retention_core::lead_list;
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::store::{delete_if_present, JsonStore, StoreError};

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
        let ack = ctx.store.get_json(&spin_retention_instant_ack::keys::ack(id))?;
        submissions.push(serde_json::json!({ "submission": submission, "handoffs": handoffs, "ack": ack }));
    }
    Ok(Reply::json(
        200,
        &serde_json::json!({ "lead": lead, "submissions": submissions }),
    ))
}

/// `DELETE /intake/admin/leads/<id>`: the right to be forgotten. Removes the
/// lead, its submissions, hand-off and acknowledgement records, identity
/// index entries, its submissions-log slots and lead list entry, its score and hot queue
/// entries and its survey signals; leaves hashed suppression entries.
pub fn erase(req: &Request, ctx: &Ctx, lead_id: &str) -> Handled {
    let lead = lead_or_404(ctx, req, lead_id)?;
    let deleted = erase_lead(ctx, &lead)?;
    Ok(Reply::json(
        200,
        &serde_json::json!({ "erased": lead_id, "keys_deleted": deleted }),
    ))
}

fn erase_lead(ctx: &Ctx, lead: &Lead) -> Result<usize, StoreError> {
    let mut emails: Vec<String> = lead.contact.email.iter().cloned().collect();
    let mut phones: Vec<String> = lead.contact.phone.iter().cloned().collect();
    for change in &lead.changes {
        match change.field.as_str() {
            "email" => emails.push(change.from.clone()),
            "phone" => phones.push(change.from.clone()),
            _ => {}
        }
    }
    // Suppress first: if the erase stops halfway, the person is already
    // excluded from exports, and a rerun finishes the rest.
    for (ids, kind) in [(&emails, "email"), (&phones, "phone")] {
        for id in ids {
            ctx.store.set_json(
                &keys::suppressed(id),
                &spin_retention_core::lead::Suppression {
                    erased_at: ctx.now,
                    kind: kind.into(),
                },
            )?;
        }
    }
    // lead-scoring's record and queue entries.
    let scored = ctx.store.exists(&spin_retention_lead_scoring::keys::score(&lead.id))?;
    spin_retention_lead_scoring::forget(ctx.store, &lead.id)?;
    let mut deleted = usize::from(scored);
    let mut acks = 0;
    let mut delete = |key: String| -> Result<(), StoreError> {
        deleted += usize::from(delete_if_present(ctx.store, &key)?);
        Ok(())
    };
    let logged = spin_retention_core::lead::logged(ctx.store, &lead.id)?;
    for id in logged.iter().map(|l| &l.id) {
        if let Some(h) = ctx.store.get_json::<Handoffs>(&keys::handoff(id))? {
            ctx.store
                .delete(&spin_retention_core::slots::slot_key(keys::SUBMISSIONS, h.slot))?;
        }
        acks += usize::from(spin_retention_instant_ack::forget(ctx.store, id)?);
        delete(keys::handoff(id).to_string())?;
        delete(keys::submission(id).to_string())?;
    }
    // Every identifier the person's submissions gave (two first posts at
    // once may each have indexed theirs), not only those the profile kept.
    let identity_keys = emails
        .iter()
        .chain(logged.iter().filter_map(|l| l.email.as_ref()))
        .map(|e| keys::lead_by_email(e))
        .chain(
            phones
                .iter()
                .chain(logged.iter().filter_map(|l| l.phone.as_ref()))
                .map(|p| keys::lead_by_phone(p)),
        )
        .collect::<std::collections::BTreeSet<_>>();
    for key in identity_keys {
        // Only if it still points at this lead.
        if ctx.store.get(&key)?.is_some_and(|id| id == lead.id.as_bytes()) {
            delete(key)?;
        }
    }
    // survey's answers, follow-ups and signals.
    spin_retention_survey::forget(ctx.store, &lead.id)?;
    // audience-export's memberships and index entries.
    spin_retention_audience_export::forget(ctx.store, &lead.id)?;
    // lead-alerts' alerts, claim, contact and recorded events.
    spin_retention_lead_alerts::forget(ctx.store, &lead.id)?;
    // customers' events, fold, day entries and signals.
    spin_retention_customers::forget(ctx.store, &lead.id)?;
    lead_list::remove(ctx.store, &lead.id)?;
    delete(keys::lead(&lead.id).to_string())?;
    spin_retention_core::slots::erase(ctx.store, &keys::lead_log(&lead.id))?;
    delete(keys::lead_fold(&lead.id).to_string())?;
    // Again, after the lead is gone: a scoring or an answer that started
    // before the erase may have written since. One that finishes later sees
    // the lead gone and cleans up itself.
    spin_retention_lead_scoring::forget(ctx.store, &lead.id)?;
    spin_retention_survey::forget(ctx.store, &lead.id)?;
    spin_retention_audience_export::forget(ctx.store, &lead.id)?;
    spin_retention_lead_alerts::forget(ctx.store, &lead.id)?;
    spin_retention_customers::forget(ctx.store, &lead.id)?;
    Ok(deleted + acks)
}

/// `POST /intake/admin/handoffs/retry?limit=N`: hands over up to N
/// submissions whose hand-off is not done (default 50), oldest first,
/// resuming where the last run stopped ([`handoff::retry`]). Safe to run
/// from a cron job, also twice at once. Call until `remaining` is 0.
pub fn retry(req: &Request, ctx: &Ctx) -> Handled {
    let limit = req.limit(50, 500)?;
    let run = handoff::retry(ctx, &IntakeSettings::from_config(ctx.config), limit)?;
    Ok(Reply::json(200, &run))
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
        let ctx = Ctx::new(&store, &config, &NoOutbound, test_now() + chrono::Duration::days(1));
        let first: Vec<String> = spin_retention_core::lead::logged(&store, &id)
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(first.len(), 300);
        let req = Request::new("DELETE", &format!("/intake/admin/leads/{id}"));
        let reply = erase(&req, &ctx, &id).unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(store.mentions(&id), Vec::<String>::new());
        for submission in &first {
            assert_eq!(store.mentions(submission), Vec::<String>::new(), "{submission}");
        }
    }
}
