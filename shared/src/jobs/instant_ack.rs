//! instant-ack: sends the instant acknowledgement of a new lead.
//!
//! | route                              | who                                  |
//! |------------------------------------|--------------------------------------|
//! | `POST /ack/submissions/<id>`       | lead-intake's hand-off (admin token when set) |
//! | `GET /ack/submissions/<id>`        | admin token                          |

use super::{Job, Outcome};
use crate::ack;
use crate::auth::require_admin;
use crate::http::{method_not_allowed, Request};
use crate::ports::Ctx;

pub const JOB: Job = Job {
    name: "instant-ack",
    prefix: "/ack",
    handoffs: &[],
    routes,
};

fn routes(sub: &str, req: &Request, ctx: &Ctx) -> Option<Outcome> {
    let id = sub
        .strip_prefix("/submissions/")
        .filter(|id| !id.is_empty() && !id.contains('/'))?;
    let reply = match req.method.as_str() {
        "GET" => require_admin(req, ctx.config).map(|()| ack::status(req, ctx, id)),
        // Open when no admin token is set: it can only ever send the one
        // acknowledgement a stored submission is owed.
        "POST" => match ctx.config.get(crate::auth::ADMIN_TOKEN) {
            Some(_) => require_admin(req, ctx.config).map(|()| ack::send(req, ctx, id)),
            None => Ok(ack::send(req, ctx, id)),
        },
        _ => Err(method_not_allowed(req, &["GET", "POST"])),
    };
    Some(reply.unwrap_or_else(|refused| refused).into())
}
