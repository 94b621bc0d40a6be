//! instant-ack: sends the instant acknowledgement of a new lead.
//!
//! | route                              | who                                  |
//! |------------------------------------|--------------------------------------|
//! | `POST /ack/submissions/<id>`       | lead-intake's hand-off (admin token when set) |
//! | `GET /ack/submissions/<id>`        | admin token                          |

use super::{id_after, require_handoff, Job, Outcome};
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
    let id = id_after(sub, "/submissions/")?;
    let reply = match req.method.as_str() {
        "GET" => require_admin(req, ctx.config).map(|()| ack::status(req, ctx, id)),
        "POST" => require_handoff(req, ctx).map(|()| ack::send(req, ctx, id)),
        _ => Err(method_not_allowed(req, &["GET", "POST"])),
    };
    Some(reply.unwrap_or_else(|refused| refused).into())
}
