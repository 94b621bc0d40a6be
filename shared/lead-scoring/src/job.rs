//! lead-scoring: scores leads and routes the hot ones to a person.
//!
//! | route                                         | who                              |
//! |-----------------------------------------------|----------------------------------|
//! | `POST /scoring/leads/<id>`                    | lead-intake's and survey's hand-off, or on demand (admin token when set; without one: 204, no body); then hands the lead to audience-export |
//! | `GET /scoring/leads/<id>`                     | admin token                      |
//! | `GET /scoring/queue?order=newest\|score`      | admin token                      |
//! | `GET/PUT/DELETE /scoring/admin/rules`         | admin token                      |
//! | `POST /scoring/admin/rescore`                 | admin token (cron or operator)   |

use crate::admin;
use crate::facts::CATALOGUE;
use crate::rules::Rules;
use spin_retention_core::admin_doc;
use spin_retention_core::auth::{require_admin, ADMIN_TOKEN};
use spin_retention_core::http::{method_not_allowed, Request};
use spin_retention_core::jobs::{admin_route, id_after, Job, Outcome, AUDIENCES};
use spin_retention_core::ports::Ctx;

pub const JOB: Job = Job {
    name: "lead-scoring",
    prefix: "/scoring",
    handoffs: &[AUDIENCES],
    routes,
};

fn routes(sub: &str, req: &Request, ctx: &Ctx) -> Option<Outcome> {
    let outcome = match sub {
        "/queue" => admin_route(req, ctx, &["GET"], admin::hot_queue),
        "/admin/rules" => admin_route(req, ctx, &["GET", "PUT", "DELETE"], |req, ctx| {
            admin_doc::handle::<Rules>(req, ctx, CATALOGUE)
        }),
        "/admin/rescore" => admin_route(req, ctx, &["POST"], admin::rescore),
        _ => {
            let lead_id = id_after(sub, "/leads/")?;
            let reply = match req.method.as_str() {
                "POST" => match ctx.config.get(ADMIN_TOKEN) {
                    Some(_) => require_admin(req, ctx.config).map(|()| admin::score(req, ctx, lead_id)),
                    // Open without an admin token: it does the work but tells
                    // nothing, not even whether the lead exists (ids derive
                    // from email addresses).
                    None => Ok(admin::score_quietly(ctx, lead_id)),
                },
                "GET" => require_admin(req, ctx.config).map(|()| admin::read(req, ctx, lead_id)),
                _ => Err(method_not_allowed(req, &["GET", "POST"])),
            };
            match reply {
                // Scored: audience memberships follow, after the reply.
                Ok(reply) if req.method == "POST" && reply.status < 300 => {
                    Outcome::then(reply, vec![AUDIENCES.tell(format!("/audiences/leads/{lead_id}"))])
                }
                Ok(reply) => reply.into(),
                Err(refused) => refused.into(),
            }
        }
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
