//! lead-intake: takes web form submissions and hands them on.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.

use crate::{admin, consent, pages, people, settings::IntakeSettings, submit};
use spin_retention_core::jobs::{Job, ACK, ALERTS, AUDIENCES, CUSTOMERS, SCORING, SURVEY};
use spin_retention_core::routes::{Caller, Method, Route};

pub const JOB: Job = Job {
    name: "lead-intake",
    prefix: "/intake",
    // Where submissions go, and where an erase goes (core::jobs::ERASE).
    handoffs: &[ACK, SCORING, ALERTS, SURVEY, AUDIENCES, CUSTOMERS],
    streamed: &[],
    routes: &[
        Route {
            method: Method::POST,
            path: "/intake/leads",
            caller: Caller::Anyone,
            handler: |req, ctx, _| Ok(submit::submit(req, ctx)),
        },
        Route {
            method: Method::OPTIONS,
            path: "/intake/leads",
            caller: Caller::Anyone,
            handler: |req, ctx, _| {
                let cors = IntakeSettings::from_config(ctx.config).cors;
                Ok(cors.preflight(req, "POST, OPTIONS").into())
            },
        },
        Route {
            method: Method::GET,
            path: "/intake/thanks",
            caller: Caller::Anyone,
            handler: |_, _, _| Ok(pages::thanks().into()),
        },
        Route {
            method: Method::GET,
            path: "/intake/error",
            caller: Caller::Anyone,
            handler: |req, _, _| Ok(pages::error(req).into()),
        },
        Route {
            method: Method::GET,
            path: "/intake/consent/{token}",
            caller: Caller::Anyone,
            handler: |req, ctx, p| consent::show(req, ctx, p.get("token")).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/intake/consent/{token}",
            caller: Caller::Anyone,
            handler: |req, ctx, p| consent::act(req, ctx, p.get("token")),
        },
        Route {
            method: Method::POST,
            path: "/intake/admin/leads/{id}/consent",
            caller: Caller::Admin,
            handler: |req, ctx, p| consent::admin(req, ctx, p.get("id")),
        },
        Route {
            method: Method::GET,
            path: "/intake/admin/leads/{id}",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::read(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::DELETE,
            path: "/intake/admin/leads/{id}",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::erase(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/intake/admin/people",
            // Admin, not Component: it creates profiles from what is posted
            // (with consent), so it is never open, even without a token.
            caller: Caller::Admin,
            handler: |req, ctx, _| people::open(req, ctx).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/intake/admin/handoffs/retry",
            caller: Caller::Admin,
            handler: |req, ctx, _| admin::retry(req, ctx).map(Into::into),
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::http::Request;
    use spin_retention_core::jobs::testing::{answers_health_and_not_found, Recorder};
    use spin_retention_core::ports::Ctx;
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    #[test]
    fn answers_health_and_404_elsewhere() {
        answers_health_and_not_found(&JOB);
    }

    #[test]
    fn health_probes_handoffs_at_configured_urls() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [
            ("ack_url".to_string(), "https://ack.example.com".to_string()),
            ("admin_token".to_string(), "t".to_string()),
        ]
        .into();
        let recorder = Recorder::default();
        let ctx = Ctx::new(&store, &config, &recorder, spin_retention_core::ports::test_now());
        // The writing, probing check is the admin token's (or a scheduler's).
        let mut req = Request::new("GET", "/intake/health");
        req.headers.push(("authorization".into(), "Bearer t".into()));
        let reply = JOB.handle(&req, &ctx).reply;
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [
                "https://ack.example.com/ack/health/live",
                "http://lead-scoring.spin.internal/scoring/health/live",
                "http://lead-alerts.spin.internal/alerts/health/live",
                "http://survey.spin.internal/survey/health/live",
                "http://audience-export.spin.internal/audiences/health/live",
                "http://customers.spin.internal/customers/health/live"
            ]
        );
    }
}
