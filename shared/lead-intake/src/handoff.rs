//! Handing a stored submission to instant-ack and lead-scoring, and its
//! `lead.created` event to lead-alerts when something wants it (a webhook,
//! the owner's alerts, the daily digest) and to journeys when a journey
//! listens for it (a welcome series).
//!
//! Runs after the visitor has their answer. Each target's state is kept in
//! `handoff:<submission_id>`, written with the submission. Every submission
//! id is also in the `submissions` log ([`spin_retention_core::slots`]), which
//! `POST /intake/admin/handoffs/retry` (for a cron job or an operator) walks
//! from the first submission not yet done ([`retry`]). Nothing is removed
//! from a list when a hand-off completes: the record says so. Targets are
//! idempotent per submission, so handing over twice is harmless.
//!
//! A target that answers 5xx (or 401, 403, 408, 409, 429) stays pending;
//! with `retry-after` it is not handed over again before then (instant-ack
//! says so when its next attempt at a failing provider is due later). Any
//! other 4xx is final: `rejected`, with the answer's status and problem type
//! (instant-ack's 422 `ack-failed` after its last attempt).

use super::settings::IntakeSettings;
use crate::keys;
use serde::Serialize;
use spin_retention_core::jobs::calls;
use spin_retention_core::jobs::handoff_request;
use spin_retention_core::ports::Ctx;
use spin_retention_core::slots;
use spin_retention_core::store::{JsonStore, Store, StoreError};
use spin_retention_core::walk::{self, Visit};

/// The hand-off record (`handoff:<submission_id>`) and its targets: a
/// contract, since lead-intake's lead view shows it.
pub use spin_retention_core::contracts::intake::{Handoffs, State, Target, Wanted};

/// The longest `retry-after` a target may ask for, in seconds.
const MAX_RETRY_AFTER_SECONDS: i64 = 3600;

/// The writes that record a new submission's hand-off, for the batch that
/// stores the submission: its place in the `submissions` log (taken now)
/// and its `handoff:<id>` record (with `event` when lead-alerts wants its
/// `lead.created`, `journeys` when a journey does).
pub fn prepare(
    store: &dyn Store,
    submission_id: &str,
    lead_id: &str,
    wanted: Wanted,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let slot = slots::take_slot(store, keys::SUBMISSIONS)?;
    Ok(vec![
        (
            slots::slot_key(keys::SUBMISSIONS, slot),
            submission_id.as_bytes().to_vec(),
        ),
        keys::handoff(submission_id).entry(&Handoffs::new(submission_id, lead_id, slot, wanted)),
    ])
}

/// [`run`] after the visitor's reply, within the app's after-reply budget
/// ([`spin_retention_core::jobs::within_budget`]); past it the hand-off stays pending for
/// the retry route. Says whether it ran.
pub fn run_after_reply(ctx: &Ctx, settings: &IntakeSettings, submission_id: &str) -> Result<bool, StoreError> {
    spin_retention_core::jobs::within_budget(ctx, || {
        let _ = run(ctx, settings, submission_id);
    })
}

/// Hands one submission to every target that has not taken it yet.
pub fn run(ctx: &Ctx, settings: &IntakeSettings, submission_id: &str) -> Result<Handoffs, StoreError> {
    run_targets(ctx, settings, submission_id, Targets::All)
}

/// Hands one submission to lead-scoring only: what a busy app does before
/// the reply ([`crate::submit`]), so a burst slows to what scoring takes
/// while the visitor never waits for an acknowledgement's provider (that,
/// and the event, go after the reply).
pub fn run_scoring(ctx: &Ctx, settings: &IntakeSettings, submission_id: &str) -> Result<Handoffs, StoreError> {
    run_targets(ctx, settings, submission_id, Targets::Scoring)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Targets {
    All,
    Scoring,
}

fn run_targets(
    ctx: &Ctx,
    settings: &IntakeSettings,
    submission_id: &str,
    targets: Targets,
) -> Result<Handoffs, StoreError> {
    let Some(handoffs) = ctx.store.get_json::<Handoffs>(&keys::handoff(submission_id))? else {
        // Erased meanwhile, or never stored: nothing to hand over.
        return Err(StoreError::Unavailable(format!(
            "no hand-off record for {submission_id}"
        )));
    };
    run_record(ctx, settings, handoffs, targets)
}

/// [`run`] on the record already read. Every `Err` is the store's.
fn run_record(
    ctx: &Ctx,
    settings: &IntakeSettings,
    mut handoffs: Handoffs,
    targets: Targets,
) -> Result<Handoffs, StoreError> {
    let submission_id = handoffs.submission_id.clone();
    let submission_id = submission_id.as_str();
    let key = keys::handoff(submission_id);
    let ack_url = format!(
        "{}{}",
        settings.ack_url.trim_end_matches('/'),
        calls::ack_submission(submission_id)
    );
    let scoring_url = format!(
        "{}{}",
        settings.scoring_url.trim_end_matches('/'),
        calls::score_lead(&handoffs.lead_id)
    );
    if targets == Targets::All {
        deliver(ctx, settings, &mut handoffs.ack, ack_url, Vec::new());
    }
    deliver(ctx, settings, &mut handoffs.scoring, scoring_url, Vec::new());
    let pending = |t: &Option<Target>| t.as_ref().is_some_and(|t| t.state == State::Pending);
    if targets == Targets::All && (pending(&handoffs.event) || pending(&handoffs.journeys)) {
        if let Some(submission) = ctx.store.get_json(&keys::submission(submission_id))? {
            let created = spin_retention_core::events::lead_created(&submission);
            if let Some(target) = handoffs.event.as_mut() {
                let url = format!("{}{}", settings.alerts_url.trim_end_matches('/'), calls::record_event());
                deliver(
                    ctx,
                    settings,
                    target,
                    url,
                    spin_retention_core::store::json_bytes(&created),
                );
            }
            if let Some(target) = handoffs.journeys.as_mut() {
                let url = format!(
                    "{}{}",
                    settings.journeys_url.trim_end_matches('/'),
                    calls::journey_events()
                );
                let happened = [spin_retention_core::happened::Happened::of_event(&created)];
                deliver(
                    ctx,
                    settings,
                    target,
                    url,
                    spin_retention_core::store::json_bytes(&happened),
                );
            }
        }
    }
    if !ctx.store.exists(&keys::lead(&handoffs.lead_id))? {
        // Erased while we were handing over: leave nothing behind.
        ctx.store
            .delete_many(&[key.to_string(), slots::slot_key(keys::SUBMISSIONS, handoffs.slot)])?;
        return Ok(handoffs);
    }
    // Another hand-off of this submission (its own after the reply, a
    // catch-up, a retry) may have finished a target meanwhile: what is
    // finished is never written back to pending.
    if let Some(stored) = ctx.store.get_json::<Handoffs>(&key)? {
        handoffs.keep_finished(&stored);
    }
    ctx.store.set_json(&key, &handoffs)?;
    Ok(handoffs)
}

/// What one retry run did.
#[derive(Debug, Default, Serialize)]
pub struct Retried {
    /// Submissions handed over in this run.
    pub processed: usize,
    pub done: usize,
    pub still_pending: usize,
    /// The submissions still pending after this run, with what went wrong.
    pub pending: Vec<Pending>,
    /// Found still pending, plus the slots this run did not reach: 0 when
    /// all is done.
    pub remaining: u64,
}

#[derive(Debug, Serialize)]
pub struct Pending {
    pub submission_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journeys: Option<String>,
}

/// Hands over up to `limit` submissions whose hand-off is not done and is
/// due, oldest first: [`spin_retention_core::walk`] over the `submissions`
/// log from its low-water mark, so a run costs what is still pending, not
/// the whole history, each run resuming where the last stopped reading. A store error stops the run and is returned (the
/// route's 503): the mark never passes a submission whose hand-off could
/// not be read or recorded.
pub fn retry(ctx: &Ctx, settings: &IntakeSettings, limit: usize) -> Result<Retried, StoreError> {
    let mut run = Retried::default();
    let walked = walk::unfinished_resuming(
        ctx.store,
        keys::SUBMISSIONS,
        &keys::handoffs_from(),
        &keys::handoffs_cursor(),
        limit as u64,
        |entry| {
            let id = String::from_utf8_lossy(entry).into_owned();
            let Some(record) = ctx.store.get_json::<Handoffs>(&keys::handoff(&id))? else {
                // Erased: nothing to hand over.
                return Ok(Visit::Finished);
            };
            if record.all_done() {
                return Ok(Visit::Finished);
            }
            if !record.targets().any(|t| t.due(ctx.now)) {
                run.still_pending += 1;
                return Ok(Visit::Waiting);
            }
            run.processed += 1;
            let h = run_record(ctx, settings, record, Targets::All)?;
            if h.all_done() {
                run.done += 1;
                return Ok(Visit::Worked);
            }
            run.still_pending += 1;
            let error = |t: &Target| (t.state == State::Pending).then(|| t.last_error.clone().unwrap_or_default());
            run.pending.push(Pending {
                ack: error(&h.ack),
                scoring: error(&h.scoring),
                event: h.event.as_ref().and_then(error),
                journeys: h.journeys.as_ref().and_then(error),
                submission_id: id,
            });
            Ok(Visit::Worked)
        },
    )?;
    run.remaining = run.still_pending as u64 + walked.unread;
    Ok(run)
}

/// Hand-offs retried on the back of a submission (the first of each
/// minute), so a burst the after-reply budget skipped drains with no
/// scheduler: 25 a minute, one instance's sequential calls.
pub const BACK_LIMIT: usize = 25;

fn deliver(ctx: &Ctx, settings: &IntakeSettings, target: &mut Target, url: String, body: Vec<u8>) {
    deliver_call(ctx, settings, target, "POST", url, body);
}

/// One hand-off call (`method url`, with a JSON `body` when not empty) to a
/// target that has not taken it yet and is due, recorded in `target`.
pub(crate) fn deliver_call(
    ctx: &Ctx,
    settings: &IntakeSettings,
    target: &mut Target,
    method: &str,
    url: String,
    body: Vec<u8>,
) {
    if !target.due(ctx.now) {
        return;
    }
    target.attempts += 1;
    target.retry_at = None;
    let mut request = handoff_request(ctx, url, settings.admin_token.as_deref());
    request.method = method.to_string();
    if !body.is_empty() {
        request.headers.push(("content-type".into(), "application/json".into()));
        request.body = body;
    }
    match ctx.outbound.send(request) {
        Ok(resp) if (200..300).contains(&resp.status) => {
            target.state = State::Done;
            target.done_at = Some(ctx.now);
            target.last_error = None;
        }
        Ok(resp) => {
            // Only the problem's type: a body could quote personal data.
            let kind = serde_json::from_slice::<serde_json::Value>(&resp.body)
                .ok()
                .and_then(|p| p["type"].as_str().map(str::to_string))
                .unwrap_or_default();
            target.last_error = Some(format!("HTTP {} {kind}", resp.status).trim_end().to_string());
            // Asked to come back later (delta-seconds, RFC 9110 10.2.3):
            // the retry walk leaves it until then.
            target.retry_at = resp
                .header("retry-after")
                .and_then(|v| v.trim().parse::<i64>().ok())
                .map(|seconds| ctx.now + chrono::Duration::seconds(seconds.clamp(0, MAX_RETRY_AFTER_SECONDS)));
            // The target will never take it (no such route, no channel that
            // reaches the lead...): final, so the retry walk can move past it.
            if (400..500).contains(&resp.status) && ![401, 403, 408, 409, 429].contains(&resp.status) {
                target.state = State::Rejected;
                target.done_at = Some(ctx.now);
            }
        }
        Err(e) => target.last_error = Some(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::ports::{Outbound, OutboundRequest, OutboundResponse};
    use spin_retention_core::store::{MemoryStore, Store};
    use std::collections::HashMap;

    /// Answers each target with a fixed status.
    struct Targets {
        ack: u16,
        scoring: u16,
    }

    impl Outbound for Targets {
        fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
            let status = if request.url.contains("/ack/") {
                self.ack
            } else {
                self.scoring
            };
            Ok(OutboundResponse {
                status,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
    }

    /// Where the next walk starts: every slot before it is done.
    fn mark(store: &MemoryStore) -> u64 {
        store.get_json(&keys::handoffs_from()).unwrap().unwrap_or(1)
    }

    /// A store holding lead `l_1` with these submissions, as intake wrote them.
    fn store_with(submissions: &[&str]) -> MemoryStore {
        let store = MemoryStore::new();
        store.set("lead:l_1", b"{}").unwrap();
        for id in submissions {
            store
                .set_many(&prepare(&store, id, "l_1", Wanted::default()).unwrap())
                .unwrap();
        }
        store
    }

    #[test]
    fn a_final_refusal_is_rejected_and_a_busy_target_stays_pending() {
        let store = store_with(&["s_1"]);
        let config = HashMap::new();
        let targets = Targets { ack: 503, scoring: 404 };
        let ctx = Ctx::new(&store, &config, &targets, spin_retention_core::ports::test_now());
        let h = run(&ctx, &IntakeSettings::from_config(&config), "s_1").unwrap();
        assert_eq!((h.ack.state, h.scoring.state), (State::Pending, State::Rejected));
        assert_eq!(h.scoring.last_error.as_deref(), Some("HTTP 404"));
        let settings = IntakeSettings::from_config(&config);
        let walked = retry(&ctx, &settings, 10).unwrap();
        assert_eq!(
            (walked.processed, walked.still_pending, walked.remaining, mark(&store)),
            (1, 1, 1, 1)
        );
        let ok = Targets { ack: 200, scoring: 500 };
        let ctx = Ctx { outbound: &ok, ..ctx };
        let h = run(&ctx, &IntakeSettings::from_config(&config), "s_1").unwrap();
        assert_eq!(
            (h.ack.state, h.scoring.state, h.scoring.attempts),
            (State::Done, State::Rejected, 1)
        );
        let walked = retry(&ctx, &settings, 10).unwrap();
        assert_eq!(
            (walked.processed, walked.remaining, mark(&store)),
            (0, 0, 2),
            "nothing left to retry"
        );
    }

    /// A store error is an error: the walk stops at the entry it could not
    /// record, the mark does not pass it, and the route answers 503; once
    /// the store is back, the next walk hands it over.
    #[test]
    fn a_store_error_stops_the_walk_before_the_entry() {
        use spin_retention_core::store::FailingStore;
        let store = FailingStore::writes_to("handoff:s_2");
        store.inner.set("lead:l_1", b"{}").unwrap();
        for id in ["s_1", "s_2", "s_3"] {
            store
                .inner
                .set_many(&prepare(&store.inner, id, "l_1", Wanted::default()).unwrap())
                .unwrap();
        }
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let ok = Targets { ack: 200, scoring: 200 };
        let ctx = Ctx::new(&store, &config, &ok, spin_retention_core::ports::test_now());
        let settings = IntakeSettings::from_config(&config);
        let err = retry(&ctx, &settings, 10).unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert_eq!(mark(&store.inner), 1, "not past s_2 (nor s_1, worked on in this run)");

        // The route: 503, problem+json.
        let mut req = spin_retention_core::http::Request::new("POST", "/intake/admin/handoffs/retry");
        req.headers.push(("authorization".into(), "Bearer t".into()));
        let reply = crate::job::JOB.handle(&req, &ctx).reply;
        assert_eq!(reply.status, 503);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));

        // The store back: s_2 is handed over, not skipped.
        let ctx = Ctx {
            store: &store.inner,
            ..ctx
        };
        let walked = retry(&ctx, &settings, 10).unwrap();
        assert_eq!((walked.done, walked.remaining), (2, 0), "s_2 (not skipped) and s_3");
        retry(&ctx, &settings, 10).unwrap();
        assert_eq!(mark(&store.inner), 4, "past all three");
        let s2: Handoffs = store.inner.get_json(&keys::handoff("s_2")).unwrap().unwrap();
        assert!(s2.all_done(), "{s2:?}");
    }

    /// A retry that read the record before the submission's own hand-off
    /// finished, and was told 409 (in progress), does not write the
    /// finished acknowledgement back to pending.
    #[test]
    fn a_concurrent_hand_off_never_undoes_a_finished_one() {
        let store = store_with(&["s_1"]);
        let config = HashMap::new();
        let settings = IntakeSettings::from_config(&config);
        let stale: Handoffs = store.get_json(&keys::handoff("s_1")).unwrap().unwrap();
        let ok = Targets { ack: 200, scoring: 200 };
        let ctx = Ctx::new(&store, &config, &ok, spin_retention_core::ports::test_now());
        assert!(run(&ctx, &settings, "s_1").unwrap().all_done());
        let busy = Targets { ack: 409, scoring: 409 };
        let ctx = Ctx { outbound: &busy, ..ctx };
        run_record(&ctx, &settings, stale, super::Targets::All).unwrap();
        let record: Handoffs = store.get_json(&keys::handoff("s_1")).unwrap().unwrap();
        assert!(record.all_done(), "{record:?}");
    }

    #[test]
    fn past_the_limit_a_hand_off_waits_for_the_retry_route() {
        let store = store_with(&["s_1"]);
        let config = HashMap::new();
        let ok = Targets { ack: 200, scoring: 200 };
        let ctx = Ctx::new(&store, &config, &ok, spin_retention_core::ports::test_now());
        let settings = IntakeSettings::from_config(&config);
        let running = keys::after_reply_running(spin_retention_core::ports::test_now().timestamp().div_euclid(60));
        store
            .increment(&running, spin_retention_core::jobs::MAX_AFTER_REPLY)
            .unwrap();
        assert!(!run_after_reply(&ctx, &settings, "s_1").unwrap(), "skipped");
        let record: Handoffs = store.get_json(&keys::handoff("s_1")).unwrap().unwrap();
        assert!(!record.all_done(), "left pending");
        store.increment(&running, -1).unwrap();
        assert!(run_after_reply(&ctx, &settings, "s_1").unwrap());
        assert_eq!(
            store.increment(&running, 0).unwrap(),
            spin_retention_core::jobs::MAX_AFTER_REPLY - 1,
            "its own count given back"
        );
        let record: Handoffs = store.get_json(&keys::handoff("s_1")).unwrap().unwrap();
        assert!(record.all_done());
    }

    #[test]
    fn the_retry_route_resumes_where_its_share_ended_and_counts_what_is_left() {
        let store = store_with(&["s_1", "s_2", "s_3"]);
        let config = HashMap::new();
        let ok = Targets { ack: 200, scoring: 200 };
        let ctx = Ctx::new(&store, &config, &ok, spin_retention_core::ports::test_now());
        let settings = IntakeSettings::from_config(&config);
        let runs: Vec<(usize, u64, u64)> = (0..4)
            .map(|_| {
                let r = retry(&ctx, &settings, 1).unwrap();
                (r.done, r.remaining, mark(&store))
            })
            .collect();
        // Resumed runs leave the mark; the run from it, once all is done, passes all.
        assert_eq!(runs, [(1, 2, 1), (1, 1, 1), (1, 0, 1), (0, 0, 4)]);
    }

    #[test]
    fn a_lead_created_event_lead_alerts_missed_is_sent_again_by_the_retry_route() {
        use crate::test_support::submit;
        let store = MemoryStore::new();
        let config = HashMap::new();
        let interest = spin_retention_core::events::Interest {
            types: vec!["lead.created".into()],
            ..Default::default()
        };
        store
            .set_json(&spin_retention_core::events::interest_key(), &interest)
            .unwrap();
        let busy = Targets { ack: 200, scoring: 503 };
        let ctx = Ctx::new(&store, &config, &busy, spin_retention_core::ports::test_now());
        let lead_id = submit(&ctx, &[("email", "dana@example.com"), ("form", "demo")]);
        let lead = spin_retention_core::lead::load(&store, &lead_id).unwrap().unwrap();
        let id = &lead.submissions[0];
        let settings = IntakeSettings::from_config(&config);
        // lead-alerts (and scoring) busy: the event stays pending.
        let h = run(&ctx, &settings, id).unwrap();
        assert_eq!(h.event.as_ref().map(|e| e.state), Some(State::Pending));
        let recorder = spin_retention_core::jobs::testing::Recorder::default();
        let ctx = Ctx {
            outbound: &recorder,
            ..ctx
        };
        let walked = retry(&ctx, &settings, 10).unwrap();
        assert_eq!(walked.done, 1);
        let sent = recorder.0.lock().unwrap().clone();
        assert!(
            sent.contains(&"http://lead-alerts.spin.internal/alerts/events".to_string()),
            "{sent:?}"
        );
        let record: Handoffs = store.get_json(&keys::handoff(id)).unwrap().unwrap();
        assert_eq!(record.event.map(|e| e.state), Some(State::Done));
    }

    /// A welcome series: journeys hears of a new lead through the tracked
    /// hand-off, so one missed is sent again by the retry route; without a
    /// journey listening, nobody is called.
    #[test]
    fn journeys_hears_of_a_new_lead_only_when_a_journey_listens_and_again_after_a_miss() {
        use crate::test_support::submit;
        let store = MemoryStore::new();
        let config = HashMap::new();
        let recorder = spin_retention_core::jobs::testing::Recorder::default();
        let ctx = Ctx::new(&store, &config, &recorder, spin_retention_core::ports::test_now());
        let settings = IntakeSettings::from_config(&config);
        let quiet = submit(&ctx, &[("email", "quiet@example.com")]);
        let first = spin_retention_core::lead::load(&store, &quiet)
            .unwrap()
            .unwrap()
            .submissions[0]
            .clone();
        assert_eq!(run(&ctx, &settings, &first).unwrap().journeys, None);
        let interest = spin_retention_core::happened::Interest {
            names: vec!["lead.created".into()],
        };
        store
            .set_json(&spin_retention_core::happened::interest_key(), &interest)
            .unwrap();
        let busy = Targets { ack: 200, scoring: 503 };
        let ctx = Ctx { outbound: &busy, ..ctx };
        let lead_id = submit(&ctx, &[("email", "dana@example.com")]);
        let id = spin_retention_core::lead::load(&store, &lead_id)
            .unwrap()
            .unwrap()
            .submissions[0]
            .clone();
        let h = run(&ctx, &settings, &id).unwrap();
        assert_eq!(h.journeys.as_ref().map(|e| e.state), Some(State::Pending));
        let ctx = Ctx {
            outbound: &recorder,
            ..ctx
        };
        retry(&ctx, &settings, 10).unwrap();
        let sent = recorder.0.lock().unwrap().clone();
        assert!(
            sent.contains(&"http://journeys.spin.internal/journeys/events".to_string()),
            "{sent:?}"
        );
        let record: Handoffs = store.get_json(&keys::handoff(&id)).unwrap().unwrap();
        assert_eq!(record.journeys.map(|e| e.state), Some(State::Done));
    }

    /// instant-ack as a failing provider makes it answer: 502 with
    /// `retry-after` twice, then 422 (failed for good); scoring takes it.
    #[derive(Default)]
    struct FailingAck(std::sync::Mutex<Vec<u16>>);

    impl Outbound for FailingAck {
        fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
            if !request.url.contains("/ack/") {
                return Ok(OutboundResponse {
                    status: 200,
                    headers: Vec::new(),
                    body: Vec::new(),
                });
            }
            let mut calls = self.0.lock().unwrap();
            let status = if calls.len() < 2 { 502 } else { 422 };
            calls.push(status);
            Ok(OutboundResponse {
                status,
                headers: if status == 502 {
                    vec![("retry-after".into(), "30".into())]
                } else {
                    Vec::new()
                },
                body: br#"{"type":"urn:problem:spin-retention:ack-failed"}"#.to_vec(),
            })
        }
    }

    #[test]
    fn an_ack_due_later_waits_on_the_walk_and_one_failed_for_good_is_final() {
        let store = store_with(&["s_1"]);
        let config = HashMap::new();
        let settings = IntakeSettings::from_config(&config);
        let ack = FailingAck::default();
        let at = |seconds: i64| {
            Ctx::new(
                &store,
                &config,
                &ack,
                spin_retention_core::ports::test_now() + chrono::Duration::seconds(seconds),
            )
        };
        let calls = || ack.0.lock().unwrap().len();
        let h = run(&at(0), &settings, "s_1").unwrap();
        assert_eq!((h.ack.state, h.ack.attempts, calls()), (State::Pending, 1, 1));
        assert_eq!(
            h.ack.retry_at,
            Some(spin_retention_core::ports::test_now() + chrono::Duration::seconds(30))
        );
        // Not due: the walk keeps it pending and does not call instant-ack.
        let walked = retry(&at(10), &settings, 10).unwrap();
        assert_eq!((walked.still_pending, walked.remaining, calls()), (1, 1, 1));
        // Due: the next attempt, again asked to wait.
        retry(&at(30), &settings, 10).unwrap();
        assert_eq!(calls(), 2);
        // Failed for good: recorded, and the walk moves past it.
        let walked = retry(&at(60), &settings, 10).unwrap();
        assert_eq!((walked.done, walked.remaining, calls()), (1, 0, 3));
        let record: Handoffs = store.get_json(&keys::handoff("s_1")).unwrap().unwrap();
        assert_eq!(record.ack.state, State::Rejected);
        assert_eq!(
            record.ack.last_error.as_deref(),
            Some("HTTP 422 urn:problem:spin-retention:ack-failed")
        );
        retry(&at(3600), &settings, 10).unwrap();
        assert_eq!((calls(), mark(&store)), (3, 2), "never retried again, and passed");
    }
}
