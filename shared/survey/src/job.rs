//! survey: NPS, CSAT and CES surveys, answers and summaries.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.

use crate::{admin, respond};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{Job, Outcome, ALERTS, JOURNEYS, SCORING};
use spin_retention_core::ports::Ctx;
use spin_retention_core::routes::{Caller, Method, Params, Route};

/// Who answers: the person a signed link was made for.
const LINK: Caller = Caller::Presents("the person the link was made for (its signed token)");

pub const JOB: Job = Job {
    name: "survey",
    prefix: "/survey",
    handoffs: &[SCORING, ALERTS, JOURNEYS],
    streamed: &[],
    routes: &[
        Route {
            // lead-intake's erase, handed to every job that keeps something
            // of the person (core::jobs::ERASE).
            method: Method::DELETE,
            path: "/survey/admin/people/{lead}",
            caller: Caller::Component,
            handler: erase_person,
        },
        Route {
            method: Method::GET,
            path: "/survey/surveys/{id}",
            caller: Caller::Anyone,
            handler: |_, ctx, p| Ok(respond::public(ctx, p.get("id")).into()),
        },
        Route {
            method: Method::GET,
            path: "/survey/surveys/{id}/respond",
            caller: LINK,
            handler: |req, ctx, p| Ok(respond::page(req, ctx, p.get("id"))),
        },
        Route {
            method: Method::POST,
            path: "/survey/surveys/{id}/answers",
            caller: LINK,
            handler: |req, ctx, p| Ok(respond::answer(req, ctx, p.get("id"))),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/surveys/{id}",
            caller: Caller::Admin,
            handler: |_, ctx, p| Ok(admin::get(ctx, p.get("id")).into()),
        },
        Route {
            method: Method::PUT,
            path: "/survey/admin/surveys/{id}",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::put(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/survey/admin/surveys/{id}/links",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::link(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/surveys/{id}/summary",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::summary(req, ctx, p.get("id")).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/surveys/{id}/answers/{lead}",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::answer_of(req, ctx, p.get("id"), p.get("lead")).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/surveys",
            caller: Caller::Admin,
            handler: |_, ctx, _| admin::list(ctx).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/people/{lead}",
            caller: Caller::Admin,
            handler: |_, ctx, p| admin::answers_of_person(ctx, p.get("lead")).map(Into::into),
        },
        Route {
            method: Method::GET,
            path: "/survey/admin/followups",
            caller: Caller::Admin,
            handler: |req, ctx, _| admin::follow_ups(req, ctx).map(Into::into),
        },
        Route {
            method: Method::POST,
            path: "/survey/admin/followups/{id}/{lead}/close",
            caller: Caller::Admin,
            handler: |req, ctx, p| admin::close_follow_up(req, ctx, p.get("id"), p.get("lead")).map(Into::into),
        },
    ],
};

/// `DELETE /survey/admin/people/{lead}`: this job's part of an erase.
fn erase_person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    spin_retention_core::jobs::forget_person(req, ctx, p.get("lead"), |store, lead, _| crate::forget(store, lead))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::jobs::testing::answers_health_and_not_found;
    use spin_retention_core::ports::Ctx;

    #[test]
    fn answers_health_and_404_elsewhere() {
        answers_health_and_not_found(&JOB);
    }

    fn call(ctx: &Ctx, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let mut req = spin_retention_core::http::Request::new(method, path);
        req.headers.push(("authorization".into(), "Bearer adm".into()));
        req.body = body.as_bytes().to_vec();
        let reply = JOB.handle(&req, ctx).finish(ctx).unwrap();
        (reply.status, serde_json::from_slice(&reply.body).unwrap_or_default())
    }

    #[test]
    fn survey_links_take_their_origin_from_public_url_never_the_host() {
        use spin_retention_core::store::Store;
        let store = spin_retention_core::store::MemoryStore::new();
        store.set("lead:l_1", b"{}").unwrap();
        let mut config: std::collections::HashMap<String, String> = [
            ("admin_token".to_string(), "adm".to_string()),
            ("survey_token_secret".to_string(), "s3cret".to_string()),
            ("public_url".to_string(), "https://surveys.acme.example/".to_string()),
        ]
        .into();
        let now = spin_retention_core::ports::test_now();
        let make = |config: &std::collections::HashMap<String, String>| {
            let ctx = Ctx::new(&store, config, &spin_retention_core::ports::NoOutbound, now);
            let nps = r#"{"kind": "nps", "question": {"en": "Recommend us?"}}"#;
            call(&ctx, "PUT", "/survey/admin/surveys/nps-q4", nps);
            let mut req = spin_retention_core::http::Request::new("POST", "/survey/admin/surveys/nps-q4/links");
            req.headers.push(("authorization".into(), "Bearer adm".into()));
            req.headers.push(("host".into(), "evil.example".into()));
            req.headers.push((
                "spin-full-url".into(),
                "http://evil.example/survey/admin/surveys/nps-q4/links".into(),
            ));
            req.body = br#"{"lead_id": "l_1"}"#.to_vec();
            let reply = JOB.handle(&req, &ctx).finish(&ctx).unwrap();
            (
                reply.status,
                serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap(),
            )
        };
        let (status, made) = make(&config);
        assert_eq!(status, 201, "{made}");
        let url = made["url"].as_str().unwrap();
        assert!(
            url.starts_with("https://surveys.acme.example/survey/surveys/nps-q4/respond?token="),
            "{url}"
        );
        assert!(made["one_click"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://surveys.acme.example/"));

        // Without public_url: a clear 503, never the caller's Host.
        config.remove("public_url");
        let (status, problem) = make(&config);
        assert_eq!(status, 503, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("public_url"), "{problem}");
    }

    #[test]
    fn surveys_are_listed_and_a_persons_answers_read_with_their_comments() {
        use spin_retention_core::store::JsonStore;
        let store = spin_retention_core::store::MemoryStore::new();
        let config: std::collections::HashMap<String, String> = [("admin_token".to_string(), "adm".to_string())].into();
        let now = spin_retention_core::ports::test_now();
        let ctx = Ctx::new(&store, &config, &spin_retention_core::ports::NoOutbound, now);
        let nps = r#"{"kind": "nps", "question": {"en": "Recommend us?"}}"#;
        let (status, made) = call(&ctx, "PUT", "/survey/admin/surveys/nps-q4", nps);
        assert_eq!(status, 201);
        assert_eq!(made["defaults_filled"], serde_json::json!(["comment"]), "{made}");
        assert_eq!(made["comment"]["max_chars"], 1000);
        assert_eq!(call(&ctx, "PUT", "/survey/admin/surveys/nps-q4", nps).0, 200);
        let with_comment =
            r#"{"kind": "nps", "question": {"en": "Recommend us?"}, "comment": {"enabled": false, "max_chars": 10}}"#;
        let (_, replaced) = call(&ctx, "PUT", "/survey/admin/surveys/nps-q4", with_comment);
        assert_eq!(replaced["defaults_filled"], serde_json::json!([]), "{replaced}");
        assert_eq!(call(&ctx, "PUT", "/survey/admin/surveys/nps-q4", nps).0, 200);
        let csat = r#"{"kind": "csat", "question": {"en": "Happy?"}}"#;
        let later = Ctx::new(
            &store,
            &config,
            &spin_retention_core::ports::NoOutbound,
            now + chrono::Duration::hours(1),
        );
        assert_eq!(call(&later, "PUT", "/survey/admin/surveys/csat-support", csat).0, 201);
        let (status, listed) = call(&ctx, "GET", "/survey/admin/surveys", "");
        assert_eq!(status, 200);
        let ids: Vec<&str> = listed["surveys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["csat-support", "nps-q4"], "newest first, each once");

        // An answer as the answer route records it: the person's signal and the answer.
        let answer = crate::answer::Answer {
            survey_id: "nps-q4".into(),
            lead_id: "l_1".into(),
            kind: spin_retention_core::signals::SurveyKind::Nps,
            score: 3,
            band: spin_retention_core::signals::Band::Detractor,
            comment: Some("<b>slow</b> support".into()),
            language: None,
            via: "api".into(),
            answered_at: now,
            first_answered_at: now,
            answers: 1,
        };
        store
            .set_json(&crate::keys::survey_answer("nps-q4", "l_1"), &answer)
            .unwrap();
        let signal = spin_retention_core::signals::AnswerSignal {
            survey_id: "nps-q4".into(),
            kind: spin_retention_core::signals::SurveyKind::Nps,
            score: 3,
            answered_at: now,
        };
        spin_retention_core::signals::record_answer(&store, "l_1", signal).unwrap();
        let (status, person) = call(&ctx, "GET", "/survey/admin/people/l_1", "");
        assert_eq!(status, 200);
        assert_eq!(person["answers"][0]["comment"], "<b>slow</b> support");
        assert_eq!(person["answers"][0]["band"], "detractor");
        let (_, nobody) = call(&ctx, "GET", "/survey/admin/people/l_2", "");
        assert_eq!(nobody["answers"], serde_json::json!([]));
    }

    /// One writer per key: a survey defined, a link made, an answer (with
    /// its follow-up and signal), a summary, a follow-up closed and an
    /// erase write only survey's keys.
    #[test]
    fn survey_writes_only_its_own_keys() {
        use spin_retention_core::store::Store;
        let store = spin_retention_core::store::MemoryStore::new();
        store.set("lead:l_1", b"{}").unwrap();
        let config: std::collections::HashMap<String, String> = [
            ("admin_token".to_string(), "adm".to_string()),
            ("survey_token_secret".to_string(), "s3cret".to_string()),
            ("public_url".to_string(), "https://surveys.acme.example/".to_string()),
        ]
        .into();
        let owned = spin_retention_core::ownership::OwnedBy::new(&store, "survey");
        let now = spin_retention_core::ports::test_now();
        let ctx = Ctx::new(&owned, &config, &spin_retention_core::ports::NoOutbound, now);
        let nps = r#"{"kind": "nps", "question": {"en": "Recommend us?"}}"#;
        assert_eq!(call(&ctx, "PUT", "/survey/admin/surveys/nps-q4", nps).0, 201);
        let (status, made) = call(
            &ctx,
            "POST",
            "/survey/admin/surveys/nps-q4/links",
            r#"{"lead_id": "l_1"}"#,
        );
        assert_eq!(status, 201, "{made}");
        let token = made["url"]
            .as_str()
            .unwrap()
            .split("token=")
            .nth(1)
            .unwrap()
            .to_string();
        let mut answer = spin_retention_core::http::Request::new("POST", "/survey/surveys/nps-q4/answers");
        answer
            .headers
            .push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        answer.body = format!("token={token}&score=2&comment=slow").into_bytes();
        let outcome = JOB.handle(&answer, &ctx);
        assert_eq!(
            outcome.reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&outcome.reply.body)
        );
        outcome.after.into_iter().for_each(|task| task(&ctx));
        assert_eq!(call(&ctx, "GET", "/survey/admin/surveys/nps-q4/summary", "").0, 200);
        assert_eq!(
            call(&ctx, "POST", "/survey/admin/followups/nps-q4/l_1/close", "").0,
            200
        );
        assert_eq!(call(&ctx, "DELETE", "/survey/admin/people/l_1", "").0, 200);
    }

    /// What the dashboard reads of surveys is the contract's: each admin
    /// route's answer, after a person opened and answered a survey, reads
    /// back as its `contracts::survey` type.
    #[test]
    fn the_admin_answers_are_the_contract() {
        use spin_retention_core::contracts::survey::{FollowUp, FollowUps, PersonAnswers, Summary, Surveys};
        use spin_retention_core::contracts::testing::reads_as;
        use spin_retention_core::store::Store;
        let store = spin_retention_core::store::MemoryStore::new();
        store.set("lead:l_1", b"{}").unwrap();
        let config: std::collections::HashMap<String, String> = [
            ("admin_token".to_string(), "adm".to_string()),
            ("survey_token_secret".to_string(), "s3cret".to_string()),
            ("public_url".to_string(), "https://surveys.acme.example/".to_string()),
        ]
        .into();
        let now = spin_retention_core::ports::test_now();
        let ctx = Ctx::new(&store, &config, &spin_retention_core::ports::NoOutbound, now);
        let raw = |method: &str, path: &str, body: &str| {
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            let mut req = spin_retention_core::http::Request::new(method, path);
            req.query = query.to_string();
            req.headers.push(("authorization".into(), "Bearer adm".into()));
            req.body = body.as_bytes().to_vec();
            let outcome = JOB.handle(&req, &ctx);
            let reply = outcome.reply;
            assert!(reply.status < 300, "{path}: {}", String::from_utf8_lossy(&reply.body));
            outcome.after.into_iter().for_each(|task| task(&ctx));
            reply.body
        };
        let nps = r#"{"kind": "nps", "question": {"en": "Recommend us?", "he": "?"},
                      "follow_up": {"detractor": {"en": "What went wrong?"}}}"#;
        raw("PUT", "/survey/admin/surveys/nps-q4", nps);
        let made: serde_json::Value = serde_json::from_slice(&raw(
            "POST",
            "/survey/admin/surveys/nps-q4/links",
            r#"{"lead_id": "l_1"}"#,
        ))
        .unwrap();
        let url = made["url"].as_str().unwrap();
        let token = url.split("token=").nth(1).unwrap().to_string();
        let mut open = spin_retention_core::http::Request::new("GET", "/survey/surveys/nps-q4/respond");
        open.query = format!("token={token}");
        assert_eq!(JOB.handle(&open, &ctx).finish(&ctx).unwrap().status, 200);
        let mut answer = spin_retention_core::http::Request::new("POST", "/survey/surveys/nps-q4/answers");
        answer
            .headers
            .push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        answer.body = format!("token={token}&score=2&comment=slow").into_bytes();
        let outcome = JOB.handle(&answer, &ctx);
        assert_eq!(outcome.reply.status, 201);
        outcome.after.into_iter().for_each(|task| task(&ctx));

        let listed: Surveys = reads_as(&raw("GET", "/survey/admin/surveys", ""));
        assert_eq!(listed.surveys[0].id, "nps-q4");
        let person: PersonAnswers = reads_as(&raw("GET", "/survey/admin/people/l_1", ""));
        assert_eq!(person.answers[0].comment.as_deref(), Some("slow"));
        assert_eq!(person.opened[0].survey_id, "nps-q4");
        let day = now.date_naive();
        let summary: Summary = reads_as(&raw(
            "GET",
            &format!("/survey/admin/surveys/nps-q4/summary?from={day}&to={day}&by=week"),
            "",
        ));
        assert_eq!(summary.overall.distribution.get(&2), Some(&1));
        assert_eq!(summary.periods[0].stats.score(summary.kind), Some(-100.0));
        let open: FollowUps = reads_as(&raw("GET", "/survey/admin/followups", ""));
        assert_eq!((open.items[0].lead_id.as_str(), open.items[0].score), ("l_1", 2));
        let closed: FollowUp = reads_as(&raw("POST", "/survey/admin/followups/nps-q4/l_1/close", ""));
        assert_eq!(closed.status, "closed");
    }
}
