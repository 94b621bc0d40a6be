//! `POST /intake/admin/tick`: the app's one scheduled call. A scheduler
//! (one cron line, one CronJob) calls it every minute and it drives every
//! kind of later work in turn: lead-alerts' SLA and webhook retries first
//! (what is due by the minute), intake's own hand-off and erasure retries,
//! then the runs of [`spin_retention_core::jobs::TICK`] (journeys' due
//! steps, the customers' daily refresh, a rescore run after new rules, the
//! audience refresh), each through its own route. A part that is not done is called
//! again while [`BUDGET`] lasts; each resumes where the last stopped and is
//! safe to run twice at once, so two ticks that overlap do each piece of
//! work once. One part failing (a job down, a store error) is reported and
//! the others still run; the answer is then 502. The separate routes stay
//! for operators.
//!
//! lead-intake conducts it because it already calls every job (hand-offs,
//! the erase fan-out); it knows each job only by its route.

use crate::settings::IntakeSettings;
use serde::Serialize;
use serde_json::Value;
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::jobs::{handoff_request, HandoffTarget, TICK};
use spin_retention_core::ports::Ctx;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long one tick keeps calling parts that are not done: under the
/// scheduler's own limit (the CronJob's `curl --max-time 45`).
pub const BUDGET: Duration = Duration::from_secs(30);

/// What one job's share of the tick answered.
#[derive(Debug, Serialize)]
pub struct Share {
    /// The job's HTTP status of its last call (0: no answer).
    pub status: u16,
    /// Calls made (a bulk run not done is called again).
    pub calls: u32,
    /// Its last answer's JSON (what it did, whether it is done), or why
    /// there was none.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub answer: Value,
}

impl Share {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Debug, Serialize)]
struct Ticked {
    handoffs: Part<crate::handoff::Retried>,
    erasures: Part<crate::erase::Retried>,
    jobs: BTreeMap<&'static str, Share>,
}

/// What one of intake's own parts did, or the store error that stopped it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Part<T> {
    Ran(T),
    Failed { error: String },
}

impl<T> From<Result<T, spin_retention_core::store::StoreError>> for Part<T> {
    fn from(result: Result<T, spin_retention_core::store::StoreError>) -> Self {
        match result {
            Ok(ran) => Part::Ran(ran),
            Err(e) => Part::Failed { error: e.to_string() },
        }
    }
}

/// Runs the tick: `limit` (default 50, at most 500) bounds each batch of
/// intake's own; each job's batch is its own route's.
pub fn tick(req: &Request, ctx: &Ctx) -> Handled {
    let limit = req.limit(50, 500)?;
    let settings = IntakeSettings::from_config(ctx.config);
    let started = Instant::now();
    let time_left = || started.elapsed() < BUDGET;
    let mut jobs = BTreeMap::new();
    // The SLA, due by the minute, first; then intake's own; then the bulk runs.
    let [sla, bulk @ ..] = TICK;
    jobs.insert(sla.0.component, share(ctx, &settings, sla, &|_| false));
    // Again while the walk has log left to read: once it reached the end,
    // what is still pending waits for the next tick (a target that is down
    // is not called over and over in one).
    let unread = |run: &crate::handoff::Retried| run.remaining > run.still_pending as u64;
    let mut handoffs = crate::handoff::retry(ctx, &settings, limit);
    while matches!(&handoffs, Ok(run) if unread(run)) && time_left() {
        handoffs = crate::handoff::retry(ctx, &settings, limit);
    }
    let erasures = crate::erase::retry(ctx, &settings, limit as u64);
    for part in bulk {
        let again = |answer: &Value| answer["done"] == false && time_left();
        jobs.insert(part.0.component, share(ctx, &settings, part, &again));
    }
    let ok = handoffs.is_ok() && erasures.is_ok() && jobs.values().all(Share::ok);
    let ticked = Ticked {
        handoffs: handoffs.into(),
        erasures: erasures.into(),
        jobs,
    };
    Ok(Reply::json(if ok { 200 } else { 502 }, &ticked))
}

/// Calls `target`'s tick route `path`, again while `again` says its
/// answer is a run not done.
fn share(
    ctx: &Ctx,
    settings: &IntakeSettings,
    (target, path): (HandoffTarget, &str),
    again: &dyn Fn(&Value) -> bool,
) -> Share {
    let url = format!("{}{path}", target.base_url(ctx.config).trim_end_matches('/'));
    let mut calls = 0;
    loop {
        calls += 1;
        let share = match ctx
            .outbound
            .send(handoff_request(ctx, url.clone(), settings.admin_token.as_deref()))
        {
            Ok(resp) => Share {
                status: resp.status,
                calls,
                // Only what a tick route says of itself: its JSON, no text.
                answer: serde_json::from_slice(&resp.body).unwrap_or(Value::Null),
            },
            Err(e) => Share {
                status: 0,
                calls,
                answer: Value::String(e),
            },
        };
        if !share.ok() || !again(&share.answer) {
            return share;
        }
    }
}

#[cfg(test)]
mod tests {
    use spin_retention_core::http::Request;
    use spin_retention_core::jobs::testing::Recorder;
    use spin_retention_core::ports::{test_now, Ctx};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    /// Every job answering `answer(url)` (a status, with `{"done": true}`,
    /// or no answer), each call recorded.
    struct Answering {
        answer: fn(&str) -> Result<u16, String>,
        calls: std::sync::Mutex<Vec<String>>,
    }

    impl Answering {
        fn new(answer: fn(&str) -> Result<u16, String>) -> Self {
            Answering {
                answer,
                calls: Default::default(),
            }
        }
    }

    impl spin_retention_core::ports::Outbound for Answering {
        fn send(
            &self,
            request: spin_retention_core::ports::OutboundRequest,
        ) -> Result<spin_retention_core::ports::OutboundResponse, String> {
            self.calls.lock().unwrap().push(request.url.clone());
            Ok(spin_retention_core::ports::OutboundResponse {
                status: (self.answer)(&request.url)?,
                headers: Vec::new(),
                body: br#"{"done": true}"#.to_vec(),
            })
        }
    }

    #[test]
    fn one_tick_drives_every_job_in_turn() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let jobs = Recorder::default();
        let ctx = Ctx::new(&store, &config, &jobs, test_now());
        let mut req = Request::new("POST", "/intake/admin/tick");
        let refused = crate::job::JOB.handle(&req, &ctx).reply;
        assert_eq!(refused.status, 401, "the admin token, always");
        req.headers.push(("authorization".into(), "Bearer t".into()));
        let reply = crate::job::JOB.handle(&req, &ctx).reply;
        assert_eq!(reply.status, 200);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["handoffs"]["remaining"], 0, "{body}");
        for job in [
            "lead-alerts",
            "journeys",
            "customers",
            "lead-scoring",
            "audience-export",
        ] {
            assert_eq!(body["jobs"][job]["status"], 200, "{job}: {body}");
        }
        assert_eq!(
            *jobs.0.lock().unwrap(),
            [
                "http://lead-alerts.spin.internal/alerts/sla/tick?limit=100",
                "http://journeys.spin.internal/journeys/admin/tick?limit=200",
                "http://customers.spin.internal/customers/admin/refresh?limit=500",
                "http://lead-scoring.spin.internal/scoring/admin/rescore?limit=50",
                "http://audience-export.spin.internal/audiences/admin/refresh?limit=1000",
            ]
        );
    }

    /// A job that does not answer is reported; the others still run, and
    /// the tick answers 502 so a scheduler's `curl -f` sees it.
    #[test]
    fn one_part_failing_stops_no_other() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let jobs = Answering::new(|url| match url.contains("customers") {
            true => Err("connection refused".into()),
            false => Ok(200),
        });
        let ctx = Ctx::new(&store, &config, &jobs, test_now());
        let mut req = Request::new("POST", "/intake/admin/tick");
        req.headers.push(("authorization".into(), "Bearer t".into()));
        let reply = crate::job::JOB.handle(&req, &ctx).reply;
        assert_eq!(reply.status, 502);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["jobs"]["customers"]["status"], 0, "{body}");
        assert_eq!(body["jobs"]["audience-export"]["status"], 200, "{body}");
        assert_eq!(jobs.calls.lock().unwrap().len(), 5, "every job called once");
    }

    /// Pending hand-offs whose targets are down are tried once a tick, not
    /// over and over until the tick's time is up.
    #[test]
    fn a_target_that_is_down_is_tried_once_a_tick() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let none = spin_retention_core::ports::NoOutbound;
        let ctx = Ctx::new(&store, &config, &none, test_now());
        for i in 0..3 {
            let email = format!("p{i}@acme.example");
            crate::test_support::submit(&ctx, &[("email", email.as_str()), ("message", "hi")]);
        }
        let down = Answering::new(|_| Ok(503));
        let ctx = Ctx { outbound: &down, ..ctx };
        let mut req = Request::new("POST", "/intake/admin/tick");
        req.headers.push(("authorization".into(), "Bearer t".into()));
        assert_eq!(crate::job::JOB.handle(&req, &ctx).reply.status, 502);
        let sent = down.calls.lock().unwrap().clone();
        let scoring = sent.iter().filter(|url| url.contains("/scoring/leads/")).count();
        assert_eq!(scoring, 3, "once per lead: {sent:?}");
    }
}
