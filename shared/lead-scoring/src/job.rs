//! lead-scoring: scores leads and routes the hot ones to a person.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.

use crate::admin;
use crate::facts::CATALOGUE;
use crate::rules::Rules;
use spin_retention_core::admin_doc;
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{calls, tell_in_turn, Job, Outcome, ALERTS, AUDIENCES};
use spin_retention_core::ports::Ctx;
use spin_retention_core::routes::{Caller, Method, Params, Route};
use spin_retention_scores::api::ScoreChanges;

pub const JOB: Job = Job {
    name: "lead-scoring",
    prefix: "/scoring",
    handoffs: &[AUDIENCES, ALERTS],
    streamed: &[],
    routes: &[
        Route {
            // lead-intake's erase, handed to every job that keeps something
            // of the person (core::jobs::ERASE).
            method: Method::DELETE,
            path: "/scoring/admin/people/{lead}",
            caller: Caller::Component,
            handler: erase_person,
        },
        Route {
            method: Method::POST,
            path: "/scoring/leads/{id}",
            caller: Caller::Component,
            handler: score_lead,
        },
        Route {
            method: Method::GET,
            path: "/scoring/leads/{id}",
            caller: Caller::Admin,
            handler: |req, ctx, p| Ok(admin::read(req, ctx, p.get("id")).into()),
        },
        Route {
            method: Method::GET,
            path: "/scoring/admin/leads/{id}/changes",
            caller: Caller::Admin,
            handler: score_changes,
        },
        Route {
            method: Method::GET,
            path: "/scoring/queue",
            caller: Caller::Admin,
            handler: |req, ctx, _| admin::hot_queue(req, ctx).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/scoring/admin/rules",
            caller: Caller::Admin,
            handler: rules,
        },
        Route {
            method: Method::PUT,
            path: "/scoring/admin/rules",
            caller: Caller::Admin,
            handler: rules,
        },
        Route {
            method: Method::DELETE,
            path: "/scoring/admin/rules",
            caller: Caller::Admin,
            handler: rules,
        },
        Route {
            method: Method::POST,
            path: "/scoring/admin/rescore",
            caller: Caller::Admin,
            handler: |req, ctx, _| admin::rescore(req, ctx).map(Into::into),
        },
    ],
};

/// `DELETE /scoring/admin/people/{lead}`: this job's part of an erase.
fn erase_person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    spin_retention_core::jobs::forget_person(req, ctx, p.get("lead"), |store, lead, _| crate::forget(store, lead))
}

/// `POST /scoring/leads/{id}`: scores the lead, then hands it on.
fn score_lead(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let lead_id = p.get("id");
    let record = crate::score_lead(ctx, lead_id)?;
    // Only the admin token reaches here (closed without one).
    let reply = match &record {
        Some(record) => Reply::json(200, record),
        None => return Ok(admin::no_lead(req, lead_id).into()),
    };
    // Scored: a hot lead's assignee is alerted (lead-alerts does it once),
    // then audience memberships follow; after the reply, as one piece of
    // after-reply work.
    let mut tells = Vec::new();
    if record.is_some_and(|r| r.queue.is_some()) {
        tells.push((ALERTS, calls::alert_lead(lead_id), Vec::new()));
    }
    tells.push((AUDIENCES, calls::update_audiences(lead_id), Vec::new()));
    Ok(Outcome::then(reply, vec![tell_in_turn(tells)]))
}

/// `GET /scoring/admin/leads/{id}/changes?limit=`: the lead's newest score
/// changes.
fn score_changes(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let limit = req.limit(50, 500)? as u64;
    let changes = ScoreChanges {
        lead_id: p.get("id").to_string(),
        changes: crate::changes::newest(ctx.store, p.get("id"), limit)?,
    };
    Ok(Reply::json(200, &changes).into())
}

/// `GET`, `PUT` and `DELETE /scoring/admin/rules`: the scoring rules, an
/// admin document whose conditions test the facts of [`CATALOGUE`].
fn rules(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    Ok(admin_doc::handle::<Rules>(req, ctx, CATALOGUE).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::jobs::testing::answers_health_and_not_found;

    #[test]
    fn answers_health_and_404_elsewhere() {
        answers_health_and_not_found(&JOB);
    }
}
