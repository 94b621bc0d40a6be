//! lead-intake: takes web form submissions and hands them on.
//!
//! | route                                   | who            |
//! |-----------------------------------------|----------------|
//! | `POST /intake/leads` (`OPTIONS` for CORS) | web forms      |
//! | `GET /intake/thanks`, `GET /intake/error` | browsers after a plain form post |
//! | `GET/DELETE /intake/admin/leads/<id>`   | admin token    |
//! | `POST /intake/admin/handoffs/retry`     | admin token (cron) |

use super::{Handoff, Job, Outcome};
use crate::auth::require_admin;
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
            health_path: "/ack/health",
        },
        Handoff {
            component: "lead-scoring",
            url_variable: "scoring_url",
            default_url: "http://lead-scoring.spin.internal",
            health_path: "/scoring/health",
        },
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
            let lead_id = sub
                .strip_prefix("/admin/leads/")
                .filter(|id| !id.is_empty() && !id.contains('/'))?;
            admin_route(req, ctx, &["GET", "DELETE"], |req, ctx| match req.method.as_str() {
                "GET" => admin::read(req, ctx, lead_id),
                _ => admin::erase(req, ctx, lead_id),
            })
        }
    };
    Some(outcome)
}

fn admin_route(
    req: &Request,
    ctx: &Ctx,
    methods: &[&str],
    handler: impl FnOnce(&Request, &Ctx) -> crate::http::Reply,
) -> Outcome {
    if !methods.contains(&req.method.as_str()) {
        return method_not_allowed(req, methods).into();
    }
    match require_admin(req, ctx.config) {
        Ok(()) => handler(req, ctx).into(),
        Err(refused) => refused.into(),
    }
}
