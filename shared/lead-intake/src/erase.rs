//! Erasing a person (the right to be forgotten), fanned out to every job.
//!
//! lead-intake writes the suppression entries and records the erasure
//! (`erasure:<lead_id>`, with the person's submission ids, and its slot in
//! the `erasures` log) in one batch, deletes its own keys, then hands the
//! erase to every job of [`ERASE`]: `DELETE <prefix>/admin/people/<lead_id>`
//! ([`calls::forget_person`]), where each job forgets what it keeps. So
//! every key has one writer, erase included, and lead-intake knows no other
//! job's key layout.
//!
//! A job that does not answer stays pending; the retry route
//! (`POST /intake/admin/handoffs/retry`, [`retry`]) walks the `erasures`
//! log ([`spin_retention_core::walk`]) and hands the erase over again until
//! every job has answered. Then the record is deleted: nothing of the
//! person is left but the hashed suppression entries.
//!
//! Each job's forget runs after the lead is gone, so work on the person
//! that started before the erase and ends after it finds no lead and
//! cleans up after itself.

use crate::handoff::{deliver_call, Handoffs, State, Target};
use crate::keys;
use crate::settings::IntakeSettings;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::jobs::{calls, Forget, ERASE};
use spin_retention_core::lead::{Lead, Suppression};
use spin_retention_core::lead_list;
use spin_retention_core::ports::Ctx;
use spin_retention_core::slots;
use spin_retention_core::store::{delete_if_present, json_bytes, JsonStore, StoreError};
use spin_retention_core::walk::{self, Visit};
use std::collections::{BTreeMap, BTreeSet};

/// `erasure:<lead_id>`: an erase not yet taken by every job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub lead_id: String,
    /// Its slot in the `erasures` log.
    pub slot: u64,
    pub erased_at: DateTime<Utc>,
    /// The person's submissions (instant-ack's records are keyed by them).
    pub submission_ids: Vec<String>,
    /// Each job of [`ERASE`] by component name, and whether it forgot.
    pub jobs: BTreeMap<String, Target>,
}

impl Erasure {
    /// The jobs still to forget the person.
    pub fn pending(&self) -> Vec<&str> {
        self.jobs
            .iter()
            .filter(|(_, t)| t.state == State::Pending)
            .map(|(job, _)| job.as_str())
            .collect()
    }

    /// Each job's state, for the erase's answer.
    pub fn states(&self) -> BTreeMap<&str, State> {
        self.jobs.iter().map(|(job, t)| (job.as_str(), t.state)).collect()
    }
}

/// Erases `lead` here and hands the erase to every job; returns how many
/// of lead-intake's keys went, and the erasure as the jobs left it.
pub fn erase(ctx: &Ctx, settings: &IntakeSettings, lead: &Lead) -> Result<(usize, Erasure), StoreError> {
    let logged = spin_retention_core::lead::logged(ctx.store, &lead.id)?;
    let mut emails: BTreeSet<&str> = lead.contact.email.iter().map(String::as_str).collect();
    let mut phones: BTreeSet<&str> = lead.contact.phone.iter().map(String::as_str).collect();
    for change in &lead.changes {
        match change.field.as_str() {
            "email" => emails.insert(&change.from),
            "phone" => phones.insert(&change.from),
            _ => false,
        };
    }
    // Suppress and record first, in one batch: if the erase stops halfway,
    // the person is already excluded from exports, and the retry route
    // finishes the rest.
    let slot = slots::take_slot(ctx.store, keys::ERASURES)?;
    let erasure = Erasure {
        lead_id: lead.id.clone(),
        slot,
        erased_at: ctx.now,
        submission_ids: logged.iter().map(|l| l.id.clone()).collect(),
        jobs: ERASE
            .iter()
            .map(|t| (t.component.to_string(), Target::pending()))
            .collect(),
    };
    let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
    for (ids, kind) in [(&emails, "email"), (&phones, "phone")] {
        for id in ids.iter() {
            let suppression = Suppression {
                erased_at: ctx.now,
                kind: kind.into(),
            };
            batch.push(keys::suppressed(id).entry(&suppression));
        }
    }
    batch.push(keys::erasure(&lead.id).entry(&erasure));
    batch.push((slots::slot_key(keys::ERASURES, slot), lead.id.as_bytes().to_vec()));
    ctx.store.set_many(&batch)?;

    let mut deleted = 0;
    let mut delete = |key: String| -> Result<(), StoreError> {
        deleted += usize::from(delete_if_present(ctx.store, &key)?);
        Ok(())
    };
    for id in logged.iter().map(|l| &l.id) {
        if let Some(h) = ctx.store.get_json::<Handoffs>(&keys::handoff(id))? {
            delete(slots::slot_key(keys::SUBMISSIONS, h.slot))?;
        }
        delete(keys::handoff(id).to_string())?;
        delete(keys::submission(id).to_string())?;
    }
    // Every identifier the person's submissions gave (two first posts at
    // once may each have indexed theirs), not only those the profile kept.
    let identity_keys = emails
        .iter()
        .copied()
        .chain(logged.iter().filter_map(|l| l.email.as_deref()))
        .map(keys::lead_by_email)
        .chain(
            phones
                .iter()
                .copied()
                .chain(logged.iter().filter_map(|l| l.phone.as_deref()))
                .map(keys::lead_by_phone),
        )
        .collect::<BTreeSet<_>>();
    for key in identity_keys {
        // Only if it still points at this lead.
        if ctx.store.get(&key)?.is_some_and(|id| id == lead.id.as_bytes()) {
            delete(key)?;
        }
    }
    lead_list::remove(ctx.store, &lead.id)?;
    delete(keys::lead(&lead.id).to_string())?;
    slots::erase(ctx.store, &keys::lead_log(&lead.id))?;
    delete(keys::lead_fold(&lead.id).to_string())?;

    let erasure = hand_over(ctx, settings, erasure)?;
    Ok((deleted, erasure))
}

/// The erasure of a person already gone here, handed over again: a
/// repeated erase finishes what an earlier one left pending.
pub fn resume(ctx: &Ctx, settings: &IntakeSettings, lead_id: &str) -> Result<Option<Erasure>, StoreError> {
    match ctx.store.get_json(&keys::erasure(lead_id))? {
        Some(erasure) => hand_over(ctx, settings, erasure).map(Some),
        None => Ok(None),
    }
}

/// Hands the erase to every job that is still to take it and due; records
/// how each answered, or deletes the record once none is pending.
fn hand_over(ctx: &Ctx, settings: &IntakeSettings, mut erasure: Erasure) -> Result<Erasure, StoreError> {
    for target in ERASE {
        let Some(state) = erasure.jobs.get_mut(target.component) else {
            continue;
        };
        let url = format!(
            "{}{}",
            target.base_url(ctx.config).trim_end_matches('/'),
            calls::forget_person(target.prefix, &erasure.lead_id)
        );
        // Only instant-ack keys its records by submission.
        let body = (target.component == spin_retention_core::jobs::ACK.component).then(|| Forget {
            submission_ids: erasure.submission_ids.clone(),
        });
        deliver_call(
            ctx,
            settings,
            state,
            "DELETE",
            url,
            body.as_ref().map(json_bytes).unwrap_or_default(),
        );
    }
    if erasure.pending().is_empty() {
        ctx.store.delete_many(&[
            keys::erasure(&erasure.lead_id).to_string(),
            slots::slot_key(keys::ERASURES, erasure.slot),
        ])?;
    } else {
        ctx.store.set_json(&keys::erasure(&erasure.lead_id), &erasure)?;
    }
    Ok(erasure)
}

/// What one retry run did with erasures.
#[derive(Debug, Default, Serialize)]
pub struct Retried {
    /// Erasures handed over again in this run.
    pub processed: u64,
    /// Of those, the ones every job has now taken.
    pub done: u64,
    /// Erasures seen still pending after this run (handed over, or not due).
    pub still_pending: u64,
    /// Found still pending, plus the slots this run did not reach.
    pub remaining: u64,
}

/// Hands over again up to `limit` erasures that some job has not taken,
/// oldest first, from the low-water mark of the `erasures` log.
pub fn retry(ctx: &Ctx, settings: &IntakeSettings, limit: u64) -> Result<Retried, StoreError> {
    let mut run = Retried::default();
    let (mark, cursor) = (keys::erasure_retry(), keys::erasure_cursor());
    let walked = walk::unfinished_resuming(ctx.store, keys::ERASURES, &mark, &cursor, limit, |entry| {
        let lead_id = String::from_utf8_lossy(entry);
        let Some(erasure) = ctx.store.get_json::<Erasure>(&keys::erasure(&lead_id))? else {
            return Ok(Visit::Finished);
        };
        if !erasure.jobs.values().any(|t| t.due(ctx.now)) {
            run.still_pending += 1;
            return Ok(Visit::Waiting);
        }
        run.processed += 1;
        if hand_over(ctx, settings, erasure)?.pending().is_empty() {
            run.done += 1;
        } else {
            run.still_pending += 1;
        }
        Ok(Visit::Worked)
    })?;
    run.remaining = run.still_pending + walked.unread;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::jobs::testing::Recorder;
    use spin_retention_core::ports::{test_now, NoOutbound, Outbound, OutboundRequest, OutboundResponse};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    /// Answers 200, except for the jobs whose prefix is in `down` (no answer).
    struct Jobs {
        down: Vec<&'static str>,
        calls: std::sync::Mutex<Vec<(String, String, Vec<u8>)>>,
    }

    impl Outbound for Jobs {
        fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
            self.calls
                .lock()
                .unwrap()
                .push((request.method.clone(), request.url.clone(), request.body.clone()));
            if self
                .down
                .iter()
                .any(|prefix| request.url.contains(&format!("{prefix}/")))
            {
                return Err("connection refused".into());
            }
            Ok(OutboundResponse {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
    }

    fn person(store: &MemoryStore, config: &HashMap<String, String>) -> Lead {
        let ctx = Ctx::new(store, config, &NoOutbound, test_now());
        let id = crate::test_support::submit(&ctx, &[("email", "gone@acme.example"), ("phone", "+12015550111")]);
        spin_retention_core::lead::load(store, &id).unwrap().unwrap()
    }

    #[test]
    fn every_job_is_asked_to_forget_and_nothing_is_left() {
        let (store, config) = (MemoryStore::new(), HashMap::new());
        let lead = person(&store, &config);
        let submission = lead.submissions[0].clone();
        let jobs = Jobs {
            down: Vec::new(),
            calls: Default::default(),
        };
        let ctx = Ctx::new(&store, &config, &jobs, test_now());
        let (deleted, erasure) = erase(&ctx, &IntakeSettings::from_config(&config), &lead).unwrap();
        assert!(deleted >= 6, "{deleted}");
        assert!(erasure.pending().is_empty(), "{erasure:?}");
        let calls = jobs.calls.lock().unwrap();
        let urls: Vec<&str> = calls.iter().map(|(_, url, _)| url.as_str()).collect();
        assert_eq!(
            urls,
            ERASE
                .iter()
                .map(|t| format!("{}{}/admin/people/{}", t.default_url, t.prefix, lead.id))
                .collect::<Vec<_>>()
        );
        assert!(calls.iter().all(|(method, _, _)| method == "DELETE"));
        let to_ack: Forget = serde_json::from_slice(&calls[0].2).unwrap();
        assert_eq!(to_ack.submission_ids, std::slice::from_ref(&submission));
        assert!(
            calls[1..].iter().all(|(_, _, body)| body.is_empty()),
            "ids only to instant-ack"
        );
        assert_eq!(store.mentions(&lead.id), Vec::<String>::new());
        assert_eq!(store.mentions(&submission), Vec::<String>::new());
    }

    #[test]
    fn a_job_that_was_down_forgets_on_a_later_retry() {
        let (store, config) = (MemoryStore::new(), HashMap::new());
        let lead = person(&store, &config);
        let settings = IntakeSettings::from_config(&config);
        let down = Jobs {
            down: vec!["/survey", "/customers"],
            calls: Default::default(),
        };
        let ctx = Ctx::new(&store, &config, &down, test_now());
        let (_, erasure) = erase(&ctx, &settings, &lead).unwrap();
        assert_eq!(erasure.pending(), ["customers", "survey"]);
        assert_eq!(erasure.states()["lead-scoring"], State::Done);
        // Still down: pending, and only those two are asked again.
        let before = down.calls.lock().unwrap().len();
        let run = retry(&ctx, &settings, 10).unwrap();
        assert_eq!((run.processed, run.done, run.still_pending), (1, 0, 1));
        assert_eq!(down.calls.lock().unwrap().len(), before + 2);
        // Back up: the next retry completes it, and the record goes.
        let up = Recorder::default();
        let ctx = Ctx::new(&store, &config, &up, test_now());
        let run = retry(&ctx, &settings, 10).unwrap();
        assert_eq!((run.processed, run.done, run.still_pending), (1, 1, 0));
        assert_eq!(up.0.lock().unwrap().len(), 2);
        assert_eq!(store.mentions(&lead.id), Vec::<String>::new());
        assert_eq!(retry(&ctx, &settings, 10).unwrap().processed, 0);
    }

    #[test]
    fn a_store_error_on_the_record_is_an_error_not_done() {
        let config = HashMap::new();
        let lead_id = spin_retention_core::ids::derive("l", &["email", "gone@acme.example"]);
        let failing = spin_retention_core::store::FailingStore::every_call_on(&keys::erasure(&lead_id).to_string());
        let lead = person(&failing.inner, &config);
        assert_eq!(lead.id, lead_id);
        let settings = IntakeSettings::from_config(&config);
        let down = Jobs {
            down: vec!["/ack"],
            calls: Default::default(),
        };
        erase(&Ctx::new(&failing.inner, &config, &down, test_now()), &settings, &lead).unwrap();
        let up = Recorder::default();
        let ctx = Ctx::new(&failing, &config, &up, test_now());
        assert!(retry(&ctx, &settings, 10).is_err());
        let ctx = Ctx::new(&failing.inner, &config, &up, test_now());
        assert_eq!(retry(&ctx, &settings, 10).unwrap().done, 1, "still there to finish");
    }
}
