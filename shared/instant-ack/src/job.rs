//! instant-ack: sends the instant acknowledgement of a new lead.
//!
//! | route                              | who                                  |
//! |------------------------------------|--------------------------------------|
//! | `POST /ack/submissions/<id>`       | lead-intake's hand-off (admin token when set) |
//! | `GET /ack/submissions/<id>`        | admin token                          |

use spin_retention_core::jobs::{id_after, require_handoff, Job, Outcome};

use spin_retention_core::auth::require_admin;
use spin_retention_core::http::{method_not_allowed, Request};
use spin_retention_core::ports::Ctx;

pub const JOB: Job = Job {
    name: "instant-ack",
    prefix: "/ack",
    handoffs: &[],
    routes,
};

fn routes(sub: &str, req: &Request, ctx: &Ctx) -> Option<Outcome> {
    let id = id_after(sub, "/submissions/")?;
    let reply = match req.method.as_str() {
        "GET" => require_admin(req, ctx.config).map(|()| crate::status(req, ctx, id)),
        "POST" => require_handoff(req, ctx).map(|()| crate::send(req, ctx, id)),
        _ => Err(method_not_allowed(req, &["GET", "POST"])),
    };
    Some(reply.unwrap_or_else(|refused| refused).into())
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
