//! instant-ack: sends the instant acknowledgement of a new lead.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.

use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{Job, Outcome};
use spin_retention_core::ports::Ctx;
use spin_retention_core::routes::{Caller, Method, Params, Route};

pub const JOB: Job = Job {
    name: "instant-ack",
    prefix: "/ack",
    handoffs: &[],
    streamed: &[],
    routes: &[
        Route {
            // lead-intake's erase, handed to every job that keeps something
            // of the person (core::jobs::ERASE).
            method: Method::DELETE,
            path: "/ack/admin/people/{lead}",
            caller: Caller::Component,
            handler: erase_person,
        },
        Route {
            method: Method::GET,
            path: "/ack/submissions/{id}",
            caller: Caller::Admin,
            handler: |req, ctx, p| crate::status(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/ack/submissions/{id}",
            caller: Caller::Component,
            handler: |req, ctx, p| crate::send(req, ctx, p.get("id")).map(Into::into),
        },
    ],
};

/// `DELETE /ack/admin/people/{lead}`: this job's part of an erase, per
/// submission of the person (the erase names them).
fn erase_person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    spin_retention_core::jobs::forget_person(req, ctx, p.get("lead"), |store, _, forget| {
        forget
            .submission_ids
            .iter()
            .try_for_each(|id| crate::forget(store, id).map(drop))
    })
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
