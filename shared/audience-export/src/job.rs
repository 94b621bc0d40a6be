//! audience-export: serves consented, hashed remarketing audiences to ad platforms.
//!
//! | route                                          | who                                   |
//! |------------------------------------------------|---------------------------------------|
//! | `GET /audiences/<id>/export?format=&since=&limit=&cursor=` | a platform's export token (bearer or Basic), or the admin token |
//! | `GET /audiences/<id>/size`                     | admin token                           |
//! | `GET/PUT/DELETE /audiences/admin/definitions`  | admin token                           |
//! | `POST /audiences/admin/refresh`                | admin token (cron or operator)        |
//! | `GET /audiences/admin/log`                     | admin token                           |
//! | `POST /audiences/leads/<id>`                   | lead-scoring's hand-off (admin token when set) |

use crate::definition::Audiences;
use crate::{admin, facts};
use spin_retention_core::admin_doc;
use spin_retention_core::http::{method_not_allowed, Request};
use spin_retention_core::jobs::{admin_route, id_after, require_handoff, Job, Outcome};
use spin_retention_core::ports::Ctx;

pub const JOB: Job = Job {
    name: "audience-export",
    prefix: "/audiences",
    handoffs: &[],
    routes,
};

fn routes(sub: &str, req: &Request, ctx: &Ctx) -> Option<Outcome> {
    let outcome = match sub {
        "/admin/definitions" => admin_route(req, ctx, &["GET", "PUT", "DELETE"], |req, ctx| {
            admin_doc::handle::<Audiences>(req, ctx, &facts::catalogue())
        }),
        "/admin/refresh" => admin_route(req, ctx, &["POST"], admin::refresh),
        "/admin/log" => admin_route(req, ctx, &["GET"], admin::export_log),
        _ => {
            if let Some(lead_id) = id_after(sub, "/leads/") {
                if req.method != "POST" {
                    return Some(method_not_allowed(req, &["POST"]).into());
                }
                let reply = require_handoff(req, ctx).map(|()| admin::update_lead(ctx, lead_id));
                return Some(reply.unwrap_or_else(|refused| refused).into());
            }
            let (id, action) = sub.strip_prefix('/')?.split_once('/')?;
            match action {
                "export" if req.method == "GET" => admin::export(req, ctx, id),
                "export" => method_not_allowed(req, &["GET"]).into(),
                "size" => admin_route(req, ctx, &["GET"], |req, ctx| admin::size(req, ctx, id)),
                _ => return None,
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
