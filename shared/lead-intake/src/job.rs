//! lead-intake: takes web form submissions and hands them on.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.

use crate::{admin, consent, pages, people, settings::IntakeSettings, submit, tick};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{Job, Outcome, ACK, ALERTS, AUDIENCES, CUSTOMERS, JOURNEYS, SCORING, SURVEY};
use spin_retention_core::ports::Ctx;
use spin_retention_core::routes::{Caller, Method, Params, Route};

pub const JOB: Job = Job {
    name: "lead-intake",
    prefix: "/intake",
    // Where submissions go, and where an erase goes (core::jobs::ERASE).
    handoffs: &[ACK, SCORING, ALERTS, SURVEY, AUDIENCES, CUSTOMERS, JOURNEYS],
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
            handler: preflight,
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
            method: Method::GET,
            path: "/intake/admin/people",
            caller: Caller::Admin,
            handler: |req, ctx, _| people::find(req, ctx).map(Into::into),
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
        Route {
            method: Method::POST,
            path: "/intake/admin/tick",
            caller: Caller::Admin,
            handler: |req, ctx, _| tick::tick(req, ctx).map(Into::into),
        },
    ],
};

/// `OPTIONS /intake/leads`: a browser's CORS preflight of a form post,
/// answered for the `cors_allowed_origins`.
fn preflight(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let cors = IntakeSettings::from_config(ctx.config).cors;
    Ok(cors.preflight(req, "POST, OPTIONS").into())
}

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

    /// One writer per key: form posts (a new person, the same person again,
    /// 150 people so the lead list is snapshotted), their hand-offs after
    /// the reply, the retry walk, a profile opened for another job, a
    /// consent withdrawn and an erase write only lead-intake's keys.
    #[test]
    fn lead_intake_writes_only_its_own_keys() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [
            ("admin_token".to_string(), "t".to_string()),
            ("intake_rate_limit_per_minute".to_string(), "1000".to_string()),
        ]
        .into();
        let owned = spin_retention_core::ownership::OwnedBy::new(&store, "lead-intake");
        let recorder = Recorder::default();
        let ctx = Ctx::new(&owned, &config, &recorder, spin_retention_core::ports::test_now());
        let call = |method: &str, path: &str, content_type: &str, body: String| {
            let mut req = Request::new(method, path);
            req.headers.push(("authorization".into(), "Bearer t".into()));
            req.headers.push(("content-type".into(), content_type.into()));
            req.body = body.into_bytes();
            let outcome = JOB.handle(&req, &ctx);
            outcome.after.into_iter().for_each(|task| task(&ctx));
            (outcome.reply.status, outcome.reply.body)
        };
        let form = "application/x-www-form-urlencoded";
        let mut leads = Vec::new();
        for i in 0..150 {
            let body = format!("email=p{i}%40acme.example&phone=%2B1201555{i:04}&message=hi&consent_marketing=yes");
            let (status, reply) = call("POST", "/intake/leads", form, body);
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&reply));
            let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap();
            leads.push(reply["id"].as_str().unwrap().to_string());
        }
        assert_eq!(
            call(
                "POST",
                "/intake/leads",
                form,
                "email=p0%40acme.example&message=again".into()
            )
            .0,
            201
        );
        assert_eq!(call("POST", "/intake/admin/handoffs/retry", form, String::new()).0, 200);
        let people = r#"{"people": [{"email": "new@shop.example", "source": "stripe"}]}"#;
        assert_eq!(
            call("POST", "/intake/admin/people", "application/json", people.into()).0,
            200
        );
        let withdraw = r#"{"action": "withdraw"}"#.to_string();
        let consent = format!("/intake/admin/leads/{}/consent", leads[1]);
        assert_eq!(call("POST", &consent, "application/json", withdraw).0, 200);
        let (status, _) = call(
            "DELETE",
            &format!("/intake/admin/leads/{}", leads[2]),
            form,
            String::new(),
        );
        assert_eq!(status, 200);
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
                "http://customers.spin.internal/customers/health/live",
                "http://journeys.spin.internal/journeys/health/live"
            ]
        );
    }
}
