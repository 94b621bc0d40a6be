//! lead-intake: takes web form submissions and hands them on.
//!
//! | route                                   | who            |
//! |-----------------------------------------|----------------|
//! | `POST /intake/leads` (`OPTIONS` for CORS) | web forms      |
//! | `GET /intake/thanks`, `GET /intake/error` | browsers after a plain form post |
//! | `GET/DELETE /intake/admin/leads/<id>`   | admin token    |
//! | `POST /intake/admin/handoffs/retry`     | admin token (cron) |

use crate::{admin, pages, settings::Settings, submit};
use spin_retention_core::http::{method_not_allowed, Request};
use spin_retention_core::jobs::{admin_route, id_after, Handoff, Job, Outcome};
use spin_retention_core::ports::Ctx;

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
        spin_retention_core::jobs::SCORING,
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

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::jobs::testing::{answers_health_and_not_found, Recorder};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    #[test]
    fn answers_health_and_404_elsewhere() {
        answers_health_and_not_found(&JOB);
    }

    #[test]
    fn health_probes_handoffs_at_configured_urls() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("ack_url".to_string(), "https://ack.example.com".to_string())].into();
        let recorder = Recorder::default();
        let ctx = Ctx::new(&store, &config, &recorder, spin_retention_core::ports::test_now());
        let reply = JOB.handle(&Request::new("GET", "/intake/health"), &ctx).reply;
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [
                "https://ack.example.com/ack/health/live",
                "http://lead-scoring.spin.internal/scoring/health/live"
            ]
        );
    }
}
