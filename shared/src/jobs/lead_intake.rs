//! lead-intake: takes web form submissions and hands them on.
//!
//! | route                                   | who            |
//! |-----------------------------------------|----------------|
//! | `POST /intake/leads` (`OPTIONS` for CORS) | web forms      |
//! | `GET /intake/thanks`, `GET /intake/error` | browsers after a plain form post |
//! | `GET/DELETE /intake/admin/leads/<id>`   | admin token    |
//! | `POST /intake/admin/handoffs/retry`     | admin token (cron) |

use super::{admin_route, id_after, Handoff, Job, Outcome};
use crate::http::{method_not_allowed, Request};
use crate::intake::{admin, pages, settings::Settings, submit};
use crate::ports::Ctx;

pub const JOB: Job = Job {
    name: "lead-intake",
    prefix: "/intake",
    handoffs: &[
        Handoff {
            component: "instant-ack",
            url_variable: "ack_url",
            default_url: "http://instant-ack.spin.internal",
            live_path: "/ack/health/live",
        },
        super::SCORING,
    ],
    routes,
};

fn routes(sub: &str, req: &Request, ctx: &Ctx) -> Option<Outcome> {
    let method = req.method.as_str();
    let outcome = match sub {
        "/leads" => match method {
            "POST" => submit::submit(req, ctx),
            "OPTIONS" => Settings::from_config(ctx.config)
                .cors
                .preflight(req, "POST, OPTIONS")
                .into(),
            _ => method_not_allowed(req, &["POST", "OPTIONS"]).into(),
        },
        "/thanks" => pages::thanks().into(),
        "/error" => pages::error(req).into(),
        "/admin/handoffs/retry" => admin_route(req, ctx, &["POST"], admin::retry),
        _ => {
            let lead_id = id_after(sub, "/admin/leads/")?;
            admin_route(req, ctx, &["GET", "DELETE"], |req, ctx| match req.method.as_str() {
                "GET" => admin::read(req, ctx, lead_id),
                _ => admin::erase(req, ctx, lead_id),
            })
        }
    };
    Some(outcome)
}
