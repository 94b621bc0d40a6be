//! survey through the built components: a survey defined by an admin,
//! answered through a personal link (page, one-click score, comment form)
//! and as JSON, summarised, and seen by lead-scoring as at-risk.

use serde_json::{json, Value};
use spin_retention_e2e::{admin, admin_json, app, get, post_json, post_lead, request, Reply, SURVEY_SECRET};
use std::time::{Duration, Instant};

fn lead(base: &str, email: &str) -> String {
    let reply = post_lead(base, &json!({"email": email, "message": "hello"}));
    assert!(reply.status == 201 || reply.status == 200, "{}", reply.text());
    reply.json()["id"].as_str().unwrap().to_string()
}

fn define(base: &str, id: &str, body: Value) {
    let reply = admin_json("PUT", base, &format!("/survey/admin/surveys/{id}"), &body);
    assert!(reply.status == 201 || reply.status == 200, "{}", reply.text());
}

fn nps(base: &str, id: &str) {
    define(
        base,
        id,
        json!({"kind": "nps",
               "question": {"en": "How likely are you to recommend us?", "he": "עד כמה סביר שתמליצו עלינו?"},
               "follow_up": {"detractor": {"en": "What should we fix first?"}, "promoter": {"en": "What do you love?"}}}),
    );
}

fn link(base: &str, survey: &str, lead_id: &str) -> Value {
    let reply = admin_json(
        "POST",
        base,
        &format!("/survey/admin/surveys/{survey}/links"),
        &json!({"lead_id": lead_id}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// The path and query of a link the app made.
fn path_of(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, rest)| &rest[rest.find('/').unwrap()..])
        .to_string()
}

fn browser_get(base: &str, path: &str) -> Reply {
    request(
        "GET",
        base,
        path,
        &[("accept", "text/html"), ("sec-fetch-mode", "navigate")],
        b"",
    )
}

fn summary(base: &str, survey: &str, query: &str) -> Value {
    let reply = admin("GET", base, &format!("/survey/admin/surveys/{survey}/summary?{query}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn at_risk_becomes(base: &str, lead_id: &str, expected: bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let score = admin("GET", base, &format!("/scoring/leads/{lead_id}"));
        if score.status == 200 && score.json()["at_risk"] == expected {
            return score.json();
        }
        assert!(
            Instant::now() < deadline,
            "at_risk never became {expected}: {}",
            score.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_detractor_answers_by_link_then_changes_their_mind() {
    let base = &app().base_url;
    nps(base, "nps-link");
    let lead_id = lead(base, "unhappy@acme.io");
    let made = link(base, "nps-link", &lead_id);
    assert_eq!(made["one_click"].as_array().unwrap().len(), 11);

    // The page: the question and a link per score.
    let page = browser_get(base, &path_of(made["url"].as_str().unwrap()));
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("How likely are you to recommend us?"));
    assert_eq!(page.text().matches("&amp;score=").count(), 11);
    let hebrew = browser_get(base, &format!("{}&lang=he", path_of(made["url"].as_str().unwrap())));
    assert!(hebrew.text().contains("dir=\"rtl\"") && hebrew.text().contains("עד כמה סביר שתמליצו עלינו?"));

    // One click on 3: recorded at once, then the comment box with the detractor follow-up.
    let click = browser_get(base, &path_of(made["one_click"][3]["url"].as_str().unwrap()));
    assert_eq!(click.status, 200, "{}", click.text());
    assert!(click.text().contains("What should we fix first?"), "{}", click.text());
    let answer = admin(
        "GET",
        base,
        &format!("/survey/admin/surveys/nps-link/answers/{lead_id}"),
    )
    .json();
    assert_eq!(
        (answer["score"].as_i64(), answer["via"].as_str()),
        (Some(3), Some("one-click"))
    );
    let score = at_risk_becomes(base, &lead_id, true);
    assert_eq!(score["at_risk_reason"]["score"], 3);
    assert!(score["fired"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "survey-answered"));

    // The comment form, posted as a plain HTML form.
    let form = format!(
        "token={}&score=3&comment={}",
        form_urlencoded::byte_serialize(made["token"].as_str().unwrap().as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize("Support took three days to answer".as_bytes()).collect::<String>()
    );
    let posted = request(
        "POST",
        base,
        "/survey/surveys/nps-link/answers",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "text/html"),
            ("sec-fetch-mode", "navigate"),
        ],
        form.as_bytes(),
    );
    assert_eq!(posted.status, 200, "{}", posted.text());
    assert!(posted.text().contains("Thank you"));
    let answer = admin(
        "GET",
        base,
        &format!("/survey/admin/surveys/nps-link/answers/{lead_id}"),
    )
    .json();
    assert_eq!(answer["comment"], "Support took three days to answer");
    assert_eq!(answer["answers"], 2);

    let tasks = admin("GET", base, "/survey/admin/followups?limit=50").json();
    let task = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["lead_id"] == lead_id.as_str())
        .expect("follow-up");
    assert_eq!(
        (task["score"].as_i64(), task["status"].as_str()),
        (Some(3), Some("open"))
    );

    let s = summary(base, "nps-link", "by=week");
    assert_eq!(s["overall"]["count"], 1);
    assert_eq!(s["overall"]["nps"]["score"], -100);

    // A later answer as JSON replaces the earlier; counted once.
    let reply = post_json(
        base,
        "/survey/surveys/nps-link/answers",
        &json!({"token": made["token"], "score": 10}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        (reply.json()["replaced"].as_bool(), reply.json()["band"].as_str()),
        (Some(true), Some("promoter"))
    );
    assert_eq!(reply.json()["follow_up_question"], "What do you love?");
    let s = summary(base, "nps-link", "");
    assert_eq!(
        (s["overall"]["count"].as_i64(), s["overall"]["nps"]["score"].as_i64()),
        (Some(1), Some(100))
    );
    at_risk_becomes(base, &lead_id, false);
    let closed = admin(
        "POST",
        base,
        &format!("/survey/admin/followups/nps-link/{lead_id}/close"),
    );
    assert_eq!(closed.json()["status"], "closed");
}

#[test]
fn links_are_personal_and_refused_clearly() {
    let base = &app().base_url;
    nps(base, "nps-tokens");
    define(
        base,
        "csat-tokens",
        json!({"kind": "csat", "question": {"en": "Happy?"}}),
    );
    let lead_id = lead(base, "tokens@acme.io");
    let token = link(base, "nps-tokens", &lead_id)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = |survey: &str, token: &str| {
        post_json(
            base,
            &format!("/survey/surveys/{survey}/answers"),
            &json!({"token": token, "score": 9}),
        )
    };
    // An altered payload under the old signature.
    let (payload, signature) = token.split_once('.').unwrap();
    let forged = format!("{}{}.{signature}", &payload[..payload.len() - 2], "xx");
    answer("nps-tokens", &forged).assert_problem(403);
    answer("csat-tokens", &token).assert_problem(403);
    post_json(base, "/survey/surveys/nps-tokens/answers", &json!({"score": 9})).assert_problem(400);
    let expired = spin_retention_survey::token::sign(
        &spin_retention_survey::token::Claims {
            survey_id: "nps-tokens".into(),
            lead_id: lead_id.clone(),
            expires: chrono::Utc::now().timestamp() - 60,
        },
        SURVEY_SECRET,
    );
    answer("nps-tokens", &expired).assert_problem(410);
    let page = browser_get(base, &format!("/survey/surveys/nps-tokens/respond?token={forged}"));
    assert_eq!(page.status, 403);
    assert!(page.text().contains("Invalid Survey Link"));
    assert_eq!(answer("nps-tokens", &token).status, 201);
}

#[test]
fn bad_input_is_a_clear_4xx() {
    let base = &app().base_url;
    nps(base, "nps-bad");
    define(
        base,
        "nps-closed",
        json!({"kind": "nps", "question": {"en": "?"}, "closes_at": "2026-01-01T00:00:00Z"}),
    );
    define(
        base,
        "ces-bad",
        json!({"kind": "ces", "question": {"en": "Easy?"}, "comment": {"enabled": true, "max_chars": 20}}),
    );
    let lead_id = lead(base, "bad@acme.io");
    let token = |survey: &str| link(base, survey, &lead_id)["token"].as_str().unwrap().to_string();
    let post = |survey: &str, body: Value| post_json(base, &format!("/survey/surveys/{survey}/answers"), &body);
    let p = post("nps-bad", json!({"token": token("nps-bad"), "score": 11})).assert_problem(422);
    assert_eq!(p["errors"][0]["field"], "score");
    post("nps-bad", json!({"token": token("nps-bad"), "score": "nine"})).assert_problem(422);
    post("ces-bad", json!({"token": token("ces-bad"), "score": 0})).assert_problem(422);
    let p = post(
        "ces-bad",
        json!({"token": token("ces-bad"), "score": 6, "comment": "x".repeat(21)}),
    )
    .assert_problem(422);
    assert_eq!(p["errors"][0]["field"], "comment");
    post("nps-closed", json!({"token": token("nps-closed"), "score": 9})).assert_problem(410);
    post("no-such-survey", json!({"token": "x.y", "score": 9})).assert_problem(404);
    get(base, "/survey/surveys/no-such-survey").assert_problem(404);
    let p = admin_json(
        "PUT",
        base,
        "/survey/admin/surveys/x",
        &json!({"kind": "stars", "question": {"en": "?"}}),
    )
    .assert_problem(422);
    assert!(p["detail"].as_str().unwrap().starts_with("at kind"), "{p}");
    admin_json("PUT", base, "/survey/admin/surveys/Bad:Id", &json!({})).assert_problem(400);
    admin_json(
        "POST",
        base,
        "/survey/admin/surveys/nps-bad/links",
        &json!({"lead_id": "l_nobody"}),
    )
    .assert_problem(404);
    admin("GET", base, "/survey/admin/surveys/nps-bad/summary?from=2026-13-01").assert_problem(400);
    admin(
        "GET",
        base,
        "/survey/admin/surveys/nps-bad/summary?from=2020-01-01&to=2026-01-01",
    )
    .assert_problem(400);
    admin("GET", base, "/survey/admin/surveys/nps-bad/summary?by=month").assert_problem(400);
    admin("GET", base, "/survey/admin/surveys/nps-bad/summary?to=-262144-01-01").assert_problem(400);
    let p = admin_json(
        "PUT",
        base,
        "/survey/admin/surveys/nps-bad",
        &json!({"kind": "csat", "question": {"en": "?"}}),
    )
    .assert_problem(409);
    assert!(p["detail"].as_str().unwrap().contains("is nps"), "{p}");
    get(base, "/survey/admin/surveys/nps-bad").assert_problem(401);
    let huge = "x".repeat(20_000);
    post(
        "nps-bad",
        json!({"token": token("nps-bad"), "score": 9, "comment": huge}),
    )
    .assert_problem(413);
    assert_eq!(
        get(base, "/survey/surveys/nps-bad").json()["scale"],
        json!({"min": 0, "max": 10})
    );
}

#[test]
fn concurrent_answers_are_all_counted() {
    let base = app().base_url.clone();
    define(
        &base,
        "csat-busy",
        json!({"kind": "csat", "question": {"en": "How satisfied are you?"}}),
    );
    let tokens: Vec<String> = (0..30)
        .map(|i| {
            let lead_id = lead(&base, &format!("busy{i}@acme.io"));
            link(&base, "csat-busy", &lead_id)["token"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let workers: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let base = base.clone();
            std::thread::spawn(move || {
                let reply = post_json(
                    &base,
                    "/survey/surveys/csat-busy/answers",
                    &json!({"token": token, "score": 1 + i % 5}),
                );
                assert_eq!(reply.status, 201, "{}", reply.text());
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let s = summary(&base, "csat-busy", "by=day");
    assert_eq!(s["overall"]["count"], 30, "{s}");

    // A mail scanner opening every one-click link of one person at once:
    // every request answers, and the person counts once.
    let lead_id = lead(&base, "scanned@acme.io");
    let made = link(&base, "csat-busy", &lead_id);
    let clicks: Vec<_> = (0..5)
        .map(|i| {
            let (base, path) = (base.clone(), path_of(made["one_click"][i]["url"].as_str().unwrap()));
            std::thread::spawn(move || browser_get(&base, &path).status)
        })
        .collect();
    for click in clicks {
        assert_eq!(click.join().unwrap(), 200);
    }
    assert_eq!(summary(&base, "csat-busy", "by=day")["overall"]["count"], 31);
    assert_eq!(
        s["overall"]["distribution"],
        json!({"1": 6, "2": 6, "3": 6, "4": 6, "5": 6})
    );
    assert_eq!(s["overall"]["csat"]["score_pct"], 40.0);
    assert_eq!(s["overall"]["csat"]["mean"], 3.0);
}
