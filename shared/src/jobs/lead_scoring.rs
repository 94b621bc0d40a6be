//! lead-scoring: scores leads and routes the hot ones to a person.
//!
//! | route                                         | who                              |
//! |-----------------------------------------------|----------------------------------|
//! | `POST /scoring/leads/<id>`                    | lead-intake's and survey's hand-off, or on demand (admin token when set; without one: 204, no body) |
//! | `GET /scoring/leads/<id>`                     | admin token                      |
//! | `GET /scoring/queue?order=newest\|score`      | admin token                      |
//! | `GET/PUT/DELETE /scoring/admin/rules`         | admin token                      |
//! | `POST /scoring/admin/rescore`                 | admin token (cron or operator)   |

use super::{admin_route, id_after, Job, Outcome};
use crate::auth::{require_admin, ADMIN_TOKEN};
use crate::http::{method_not_allowed, Request};
use crate::ports::Ctx;
use crate::scoring::admin;

pub const JOB: Job = Job {
    name: "lead-scoring",
    prefix: "/scoring",
    handoffs: &[],
    routes,
};

fn routes(sub: &str, req: &Request, ctx: &Ctx) -> Option<Outcome> {
    let outcome = match sub {
        "/queue" => admin_route(req, ctx, &["GET"], admin::hot_queue),
        "/admin/rules" => admin_route(req, ctx, &["GET", "PUT", "DELETE"], |req, ctx| {
            match req.method.as_str() {
                "GET" => admin::get_rules(ctx),
                "PUT" => admin::put_rules(req, ctx),
                _ => admin::reset_rules(ctx),
            }
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
            reply.unwrap_or_else(|refused| refused).into()
        }
    };
    Some(outcome)
}
