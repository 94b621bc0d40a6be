//! survey: NPS, CSAT and CES surveys, answers and summaries.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.

use crate::{admin, respond};
use spin_retention_core::jobs::{Job, ALERTS, SCORING};
use spin_retention_core::routes::{Caller, Method, Route};

/// Who answers: the person a signed link was made for.
const LINK: Caller = Caller::Own("the person the link was made for (its signed token)");

pub const JOB: Job = Job {
    name: "survey",
    prefix: "/survey",
    handoffs: &[SCORING, ALERTS],
    streamed: &[],
    routes: &[
        Route {
            method: Method::GET,
            path: "/survey/surveys/{id}",
            caller: Caller::Anyone,
            handler: |_, ctx, p| Ok(respond::public(ctx, p.get("id")).into()),
        },
        Route {
            method: Method::GET,
            path: "/survey/surveys/{id}/respond",
            caller: LINK,
            handler: |req, ctx, p| Ok(respond::page(req, ctx, p.get("id"))),
        },
        Route {
            method: Method::POST,
            path: "/survey/surveys/{id}/answers",
            caller: LINK,
            handler: |req, ctx, p| Ok(respond::answer(req, ctx, p.get("id"))),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/surveys/{id}",
            caller: Caller::Admin,
            handler: |_, ctx, p| Ok(admin::get(ctx, p.get("id")).into()),
        },
        Route {
            method: Method::PUT,
            path: "/survey/admin/surveys/{id}",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::put(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/survey/admin/surveys/{id}/links",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::link(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/surveys/{id}/summary",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::summary(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/surveys/{id}/answers/{lead}",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::answer_of(req, ctx, p.get("id"), p.get("lead")).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/followups",
            caller: Caller::Admin,
            handler: |req, ctx, _| admin::follow_ups(req, ctx).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/survey/admin/followups/{id}/{lead}/close",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::close_follow_up(req, ctx, p.get("id"), p.get("lead")).map(Into::into),
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::jobs::testing::answers_health_and_not_found;

    #[test]
    fn answers_health_and_404_elsewhere() {
        answers_health_and_not_found(&JOB);
    }
}
