//! `POST /intake/admin/tick`: the app's one scheduled call. A scheduler
//! (one cron line, one CronJob) calls it every minute and it drives every
//! kind of later work in turn, one bounded batch each: intake's own
//! hand-off and erasure retries, then each job of
//! [`spin_retention_core::jobs::TICK`] through its own catch-up route (the
//! SLA and webhook retries, the customers' daily refresh, a rescore run
//! after new rules, the audience refresh). Each batch resumes where the
//! last stopped, and each is safe to run twice at once, so two ticks that
//! overlap do each piece of work once. The separate routes stay for
//! operators.
//!
//! lead-intake conducts it because it already calls every job (hand-offs,
//! the erase fan-out); it knows each job only by its route.

use crate::settings::IntakeSettings;
use serde::Serialize;
use serde_json::Value;
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::jobs::{calls, handoff_request, TICK};
use spin_retention_core::ports::Ctx;
use std::collections::BTreeMap;

/// What one job's share of the tick answered.
#[derive(Debug, Serialize)]
pub struct Share {
    /// The job's HTTP status (0: no answer).
    pub status: u16,
    /// Its answer's JSON (what it did, whether it is done), or why there
    /// was none.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub answer: Value,
}

#[derive(Debug, Serialize)]
struct Ticked {
    handoffs: crate::handoff::Retried,
    erasures: crate::erase::Retried,
    jobs: BTreeMap<&'static str, Share>,
}

/// Runs the tick: `limit` (default 50, at most 500) bounds intake's own
/// batches; each job's batch is its own route's.
pub fn tick(req: &Request, ctx: &Ctx) -> Handled {
    let limit = req.limit(50, 500)?;
    let settings = IntakeSettings::from_config(ctx.config);
    let handoffs = crate::handoff::retry(ctx, &settings, limit)?;
    let erasures = crate::erase::retry(ctx, &settings, limit as u64)?;
    let jobs = TICK
        .iter()
        .filter_map(|target| {
            let path = calls::tick(target.component)?;
            let url = format!("{}{path}", target.base_url(ctx.config).trim_end_matches('/'));
            Some((target.component, share(ctx, &settings, url)))
        })
        .collect();
    Ok(Reply::json(
        200,
        &Ticked {
            handoffs,
            erasures,
            jobs,
        },
    ))
}

fn share(ctx: &Ctx, settings: &IntakeSettings, url: String) -> Share {
    match ctx
        .outbound
        .send(handoff_request(ctx, url, settings.admin_token.as_deref()))
    {
        Ok(resp) => Share {
            status: resp.status,
            // Only what a tick route says of itself: its JSON, no text.
            answer: serde_json::from_slice(&resp.body).unwrap_or(Value::Null),
        },
        Err(e) => Share {
            status: 0,
            answer: Value::String(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use spin_retention_core::http::Request;
    use spin_retention_core::jobs::testing::Recorder;
    use spin_retention_core::ports::{test_now, Ctx};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

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
        for job in ["lead-alerts", "customers", "lead-scoring", "audience-export"] {
            assert_eq!(body["jobs"][job]["status"], 200, "{job}: {body}");
        }
        assert_eq!(
            *jobs.0.lock().unwrap(),
            [
                "http://lead-alerts.spin.internal/alerts/sla/tick?limit=100",
                "http://customers.spin.internal/customers/admin/refresh?limit=500",
                "http://lead-scoring.spin.internal/scoring/admin/rescore?limit=50",
                "http://audience-export.spin.internal/audiences/admin/refresh?limit=1000",
            ]
        );
    }
}
