//! survey: NPS, CSAT and CES surveys, answers and summaries.
//!
//! | route                                                   | who                      |
//! |---------------------------------------------------------|--------------------------|
//! | `GET /survey/surveys/<id>`                              | anyone (public definition) |
//! | `GET /survey/surveys/<id>/respond?token=..[&score=N]`   | the person the link was made for |
//! | `POST /survey/surveys/<id>/answers`                     | the same (token in the body) |
//! | `PUT/GET /survey/admin/surveys/<id>`                    | admin token              |
//! | `POST /survey/admin/surveys/<id>/links`                 | admin token              |
//! | `GET /survey/admin/surveys/<id>/summary`                | admin token              |
//! | `GET /survey/admin/surveys/<id>/answers/<lead_id>`      | admin token              |
//! | `GET /survey/admin/followups`                           | admin token              |
//! | `POST /survey/admin/followups/<survey_id>/<lead_id>/close` | admin token           |

use crate::{admin, respond};
use spin_retention_core::http::{method_not_allowed, Request};
use spin_retention_core::jobs::{admin_route, Job, Outcome};
use spin_retention_core::ports::Ctx;

pub const JOB: Job = Job {
    name: "survey",
    prefix: "/survey",
    handoffs: &[spin_retention_core::jobs::SCORING],
    routes,
};

fn routes(sub: &str, req: &Request, ctx: &Ctx) -> Option<Outcome> {
    let parts: Vec<&str> = sub.trim_start_matches('/').split('/').collect();
    let method = req.method.as_str();
    let outcome = match parts[..] {
        ["surveys", id] => match method {
            "GET" => respond::public(ctx, id).into(),
            _ => method_not_allowed(req, &["GET"]).into(),
        },
        ["surveys", id, "respond"] => match method {
            "GET" => respond::page(req, ctx, id),
            _ => method_not_allowed(req, &["GET"]).into(),
        },
        ["surveys", id, "answers"] => match method {
            "POST" => respond::answer(req, ctx, id),
            _ => method_not_allowed(req, &["POST"]).into(),
        },
        ["admin", "surveys", id] => admin_route(req, ctx, &["GET", "PUT"], |req, ctx| match req.method.as_str() {
            "GET" => admin::get(ctx, id),
            _ => admin::put(req, ctx, id),
        }),
        ["admin", "surveys", id, "links"] => admin_route(req, ctx, &["POST"], |req, ctx| admin::link(req, ctx, id)),
        ["admin", "surveys", id, "summary"] => admin_route(req, ctx, &["GET"], |req, ctx| admin::summary(req, ctx, id)),
        ["admin", "surveys", id, "answers", lead] => {
            admin_route(req, ctx, &["GET"], |req, ctx| admin::answer_of(req, ctx, id, lead))
        }
        ["admin", "followups"] => admin_route(req, ctx, &["GET"], admin::follow_ups),
        ["admin", "followups", id, lead, "close"] => admin_route(req, ctx, &["POST"], |req, ctx| {
            admin::close_follow_up(req, ctx, id, lead)
        }),
        _ => return None,
    };
    Some(outcome)
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
