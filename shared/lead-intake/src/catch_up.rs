//! What lead-intake does on the back of the first submission of each
//! minute, so a deployment without a scheduler keeps moving: lead-alerts
//! is asked to run the SLA, and hand-offs and erasures left pending (a
//! burst past the after-reply budget, a job that was down) are retried, a
//! bounded batch after the reply.

use crate::keys;
use crate::settings::IntakeSettings;
use spin_retention_core::jobs::{calls, ALERTS};
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::StoreError;

/// Leads the SLA looks at when a submission asks it to run.
const NUDGE_LIMIT: u32 = 25;

/// Erasures retried on the back of a submission (rare; each calls every job).
const ERASURE_LIMIT: u64 = 2;

pub fn after_submission(ctx: &Ctx, settings: &IntakeSettings) -> Result<(), StoreError> {
    if !spin_retention_core::turns::first_of_minute(ctx, keys::catch_up)? {
        return Ok(());
    }
    ALERTS.tell(format!("{}?limit={NUDGE_LIMIT}", calls::sla_tick()))(ctx);
    let handed = crate::handoff::retry(ctx, settings, crate::handoff::BACK_LIMIT)?;
    crate::erase::retry(ctx, settings, ERASURE_LIMIT)?;
    if handed.processed > 0 {
        eprintln!(
            "hand-offs caught up on the back of a submission: {} done, {} left",
            handed.done, handed.remaining
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::handoff::Handoffs;
    use crate::keys;
    use spin_retention_core::http::Request;
    use spin_retention_core::jobs::testing::Recorder;
    use spin_retention_core::jobs::MAX_AFTER_REPLY;
    use spin_retention_core::ports::{test_now, Ctx, NoOutbound};
    use spin_retention_core::store::{JsonStore, MemoryStore, Store};
    use std::collections::HashMap;

    fn lead(i: usize) -> Request {
        let mut req = Request::new("POST", "/intake/leads");
        req.headers.push(("content-type".into(), "application/json".into()));
        req.headers.push(("accept".into(), "application/json".into()));
        req.body = format!(r#"{{"email": "p{i}@acme.example", "message": "a quote please"}}"#).into_bytes();
        req
    }

    fn pending(store: &MemoryStore) -> usize {
        let len = spin_retention_core::slots::len(store, keys::SUBMISSIONS).unwrap();
        (1..=len)
            .filter_map(|slot| {
                store
                    .get(&spin_retention_core::slots::slot_key(keys::SUBMISSIONS, slot))
                    .unwrap()
            })
            .filter(|id| {
                let id = String::from_utf8_lossy(id);
                let record: Option<Handoffs> = store.get_json(&keys::handoff(&id)).unwrap();
                record.is_some_and(|h| !h.all_done())
            })
            .count()
    }

    /// Hand-offs a burst left pending (here: nobody answered) are handed
    /// over on the back of the first submission of each later minute, a
    /// bounded batch each, with no scheduler; other submissions of that
    /// minute add nothing.
    #[test]
    fn the_first_submission_of_a_minute_catches_up_what_a_burst_left() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("intake_rate_limit_per_minute".to_string(), "1000".to_string())].into();
        let down = Ctx::new(&store, &config, &NoOutbound, test_now());
        for i in 0..60 {
            let outcome = crate::job::JOB.handle(&lead(i), &down);
            assert_eq!(outcome.reply.status, 201);
            outcome.after.into_iter().for_each(|task| task(&down));
        }
        assert_eq!(pending(&store), 60, "every target was unreachable");

        let jobs = Recorder::default();
        let mut minute = 1;
        while pending(&store) > 0 {
            let ctx = Ctx::new(&store, &config, &jobs, test_now() + chrono::Duration::minutes(minute));
            for i in 0..3 {
                let outcome = crate::job::JOB.handle(&lead(1000 * minute as usize + i), &ctx);
                outcome.after.into_iter().for_each(|task| task(&ctx));
            }
            minute += 1;
            assert!(minute < 10, "{} still pending", pending(&store));
        }
        // 60 left, 25 a minute (the minute's own three are handed over
        // after their replies).
        assert_eq!(minute - 1, 3, "drained in three minutes");
    }

    /// With the after-reply budget half spent, a submission is handed to
    /// scoring before its reply instead of risking a skip; the visitor
    /// never waits for the acknowledgement, which follows the reply.
    #[test]
    fn with_the_budget_spent_the_hand_off_comes_before_the_reply() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let jobs = Recorder::default();
        let ctx = Ctx::new(&store, &config, &jobs, test_now());
        let running = keys::after_reply_running(test_now().timestamp().div_euclid(60));
        store.increment(&running, MAX_AFTER_REPLY / 2).unwrap();
        let outcome = crate::job::JOB.handle(&lead(1), &ctx);
        assert_eq!(outcome.reply.status, 201);
        let before_reply = jobs.0.lock().unwrap().clone();
        assert!(
            before_reply.iter().any(|url| url.contains("/scoring/leads/")),
            "{before_reply:?}"
        );
        assert!(
            !before_reply.iter().any(|url| url.contains("/ack/")),
            "{before_reply:?}"
        );
        outcome.after.into_iter().for_each(|task| task(&ctx));
        let sent = jobs.0.lock().unwrap().clone();
        assert!(sent.iter().any(|url| url.contains("/ack/submissions/")), "{sent:?}");
        assert_eq!(pending(&store), 0, "nothing left for later");
    }
}

#[cfg(test)]
mod cost {
    use spin_retention_core::ports::{test_now, Ctx, NoOutbound};
    use spin_retention_core::store::CountingStore;
    use std::collections::HashMap;

    /// What the catch-up adds to a submission, when nothing is pending:
    /// for the first of a minute its turn and the SLA nudge's place in the
    /// after-reply budget (+1, -1), three commits, and nine reads (the
    /// turn, the two walks' marks, cursors and lengths); for every other,
    /// one read.
    #[test]
    fn the_catch_up_costs_a_read_and_once_a_minute_three_commits() {
        let store = CountingStore::default();
        let config = HashMap::new();
        let settings = crate::settings::IntakeSettings::from_config(&config);
        let ctx = Ctx::new(&store, &config, &NoOutbound, test_now());
        let cost = |ctx: &Ctx| {
            let (commits, reads) = (store.commits(), store.round_trips());
            super::after_submission(ctx, &settings).unwrap();
            (store.commits() - commits, store.round_trips() - reads)
        };
        assert_eq!(cost(&ctx), (3, 9), "the first of a minute");
        assert_eq!(cost(&ctx), (0, 1), "any other: whether the minute is taken");
    }
}
