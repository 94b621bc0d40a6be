//! The dashboard over canned answers of the other jobs' admin APIs: what
//! it shows, what it sends them, and what it refuses. Every canned answer
//! is the owner's contract type, serialised as the owner serialises it, so
//! a field renamed on either side fails here.

use crate::job::JOB;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use spin_retention_core::admin_doc::{About, Source};
use spin_retention_core::contracts::{alerts, audiences, customers, intake, survey};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::lead::Contact;
use spin_retention_core::ports::{test_now, Ctx, Outbound, OutboundRequest, OutboundResponse};
use spin_retention_core::problem::Problem;
use spin_retention_core::store::MemoryStore;
use spin_retention_scores::api::{QueueItem, QueuePage, Rules, ScoreChanges};
use spin_retention_scores::rules::{Member, Routing, Team};
use spin_retention_scores::{Assignment, Tier};
use std::collections::HashMap;
use std::sync::Mutex;

const ADMIN: &str = "admin-secret-token";
const SECRET: &str = "a-session-secret-of-32-bytes-or-more";

/// Answers by method and path (query left off); every request is kept.
#[derive(Default)]
struct Jobs {
    answers: HashMap<(String, String), (u16, Value)>,
    sent: Mutex<Vec<OutboundRequest>>,
}

impl Jobs {
    /// `body` is an owner's type (its contract) or its problem.
    fn answer(mut self, method: &str, path: &str, status: u16, body: impl Serialize) -> Self {
        let body = serde_json::to_value(body).unwrap();
        self.answers.insert((method.into(), path.into()), (status, body));
        self
    }

    fn sent(&self) -> Vec<OutboundRequest> {
        self.sent.lock().unwrap().clone()
    }
}

impl Outbound for Jobs {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        self.sent.lock().unwrap().push(request.clone());
        let path = request.url.split(".spin.internal").nth(1).unwrap_or_default();
        let path = path.split('?').next().unwrap_or_default().to_string();
        let (status, body) = self
            .answers
            .get(&(request.method.clone(), path.clone()))
            .cloned()
            .unwrap_or_else(|| (404, serde_json::to_value(Problem::not_found(&path)).unwrap()));
        Ok(OutboundResponse {
            status,
            headers: Vec::new(),
            body: serde_json::to_vec(&body).unwrap(),
        })
    }
}

struct App {
    store: MemoryStore,
    config: HashMap<String, String>,
    jobs: Jobs,
}

impl App {
    fn new(jobs: Jobs) -> App {
        App {
            store: MemoryStore::default(),
            config: HashMap::from([
                ("admin_token".to_string(), ADMIN.to_string()),
                ("dashboard_session_secret".to_string(), SECRET.to_string()),
            ]),
            jobs,
        }
    }

    /// Every test's requests write through a store that lets the
    /// dashboard write only its own keys.
    fn call(&self, req: Request) -> Reply {
        let store = spin_retention_core::ownership::OwnedBy::new(&self.store, "dashboard");
        let ctx = Ctx::new(&store, &self.config, &self.jobs, test_now());
        JOB.handle(&req, &ctx).finish(&ctx).unwrap()
    }

    /// Signs in; the session cookie (`name=value`).
    fn sign_in(&self) -> String {
        let reply = self.call(form("POST", "/dashboard/signin", &format!("token={ADMIN}"), None));
        assert_eq!(reply.status, 303);
        let set = reply.header("set-cookie").unwrap();
        set.split(';').next().unwrap().to_string()
    }

    fn get(&self, path: &str, cookie: &str) -> (u16, String) {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut req = Request::new("GET", path);
        req.query = query.to_string();
        req.headers.push(("cookie".into(), cookie.into()));
        let reply = self.call(req);
        (reply.status, String::from_utf8(reply.body).unwrap())
    }

    /// The CSRF token in a page's forms.
    fn csrf(&self, cookie: &str) -> String {
        let (_, page) = self.get("/dashboard/people", cookie);
        let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        page[at..at + 64].to_string()
    }
}

fn form(method: &str, path: &str, body: &str, cookie: Option<&str>) -> Request {
    let mut req = Request::new(method, path);
    req.headers
        .push(("content-type".into(), "application/x-www-form-urlencoded".into()));
    if let Some(cookie) = cookie {
        req.headers.push(("cookie".into(), cookie.into()));
    }
    req.body = body.as_bytes().to_vec();
    req
}

fn at(t: &str) -> DateTime<Utc> {
    t.parse().unwrap()
}

/// What an admin document's `GET` says besides the document.
fn about() -> About {
    About {
        version: "abc123".into(),
        source: Source::Default,
        updated_at: None,
        facts: Vec::new(),
    }
}

/// lead-scoring's rules, as another job reads them: the team.
fn rules(team: &[(&str, &str)]) -> Rules<Team> {
    let team = team
        .iter()
        .map(|(id, name)| Member {
            id: id.to_string(),
            name: name.to_string(),
            email: None,
        })
        .collect();
    Rules {
        about: about(),
        rules: Team {
            routing: Some(Routing { team }),
        },
    }
}

/// lead-alerts' view of a lead alerted once, due at `due`.
fn alerted(lead_id: &str, to: &str, due: &str) -> alerts::LeadView {
    alerts::LeadView {
        lead_id: lead_id.into(),
        alerts: alerts::LeadAlerts {
            steps: vec![alerts::Step {
                n: 0,
                why: alerts::Why::Assigned,
                to: alerts::Person {
                    member_id: Some(to.to_lowercase()),
                    name: to.into(),
                },
                at: at("2026-11-23T09:50:00Z"),
                due: Some(at(due)),
                intake_at: at("2026-11-23T09:49:58Z"),
                alert: alerts::Sent {
                    channel: "email".into(),
                    status: "sent".into(),
                    attempts: 1,
                    at: Some(at("2026-11-23T09:50:01Z")),
                    detail: None,
                },
                logged: Vec::new(),
                window: 0,
            }],
            claimed: None,
            contacted: None,
        },
        timing: None,
    }
}

fn hot_queue() -> Jobs {
    Jobs::default()
        .answer(
            "GET",
            "/scoring/queue",
            200,
            // lead-scoring's answer, in its type.
            QueuePage {
                order: "newest".into(),
                next_cursor: None,
                items: vec![QueueItem {
                    lead_id: "l_1".into(),
                    total: 75,
                    fit: 20,
                    engagement: 55,
                    tier: Tier::Hot,
                    grade: 'B',
                    at_risk: false,
                    last_activity_at: "2026-11-23T09:50:00Z".parse().unwrap(),
                    scored_at: "2026-11-23T09:50:00Z".parse().unwrap(),
                    why: vec!["+30 visited the pricing page (today)".into()],
                    assignment: Some(Assignment {
                        member_id: "noa".into(),
                        member_name: "Noa".into(),
                        member_email: None,
                        via: "round-robin".into(),
                        assigned_at: "2026-11-23T09:50:00Z".parse().unwrap(),
                    }),
                    contact: Contact {
                        name: Some("<script>alert('x')</script>".into()),
                        email: Some("dana@example.com".into()),
                        ..Contact::default()
                    },
                }],
            },
        )
        .answer("GET", "/scoring/admin/rules", 200, rules(&[("noa", "Noa")]))
        .answer(
            "GET",
            "/alerts/admin/leads/l_1",
            200,
            alerted("l_1", "Noa", "2026-11-23T10:12:00Z"),
        )
}

#[test]
fn a_browser_signs_in_with_the_token_and_keeps_only_a_session() {
    let app = App::new(hot_queue());
    let (status, _) = app.get("/dashboard/hot", "");
    assert_eq!(status, 303, "no session: sent to sign in");

    let wrong = app.call(form("POST", "/dashboard/signin", "token=nope", None));
    assert_eq!(wrong.status, 401);
    assert!(wrong.header("set-cookie").is_none());

    let reply = app.call(form("POST", "/dashboard/signin", &format!("token={ADMIN}"), None));
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("/dashboard/hot"));
    let cookie = reply.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Max-Age=28800"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains(ADMIN), "the token itself is never handed back");

    let (status, page) = app.get("/dashboard/hot", cookie.split(';').next().unwrap());
    assert_eq!(status, 200);
    assert!(page.contains("Noa") && page.contains("due in 12 min"), "{page}");
    // The admin API was called with the app's token, not the browser's.
    let sent = app.jobs.sent();
    assert!(sent.iter().all(|r| r
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v == &format!("Bearer {ADMIN}"))));
}

#[test]
fn names_are_text_and_pages_run_no_script() {
    let app = App::new(hot_queue());
    let cookie = app.sign_in();
    let mut req = Request::new("GET", "/dashboard/hot");
    req.headers.push(("cookie".into(), cookie));
    let reply = app.call(req);
    let page = String::from_utf8(reply.body.clone()).unwrap();
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!page.contains("<script"), "no script of any kind on a page");
    let csp = reply.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[test]
fn writes_need_the_session_and_its_csrf_token() {
    let claimed = alerts::Claimed {
        by: alerts::Person {
            member_id: Some("noa".into()),
            name: "Noa".into(),
        },
        at: test_now(),
        via: "admin".into(),
    };
    let jobs = hot_queue().answer(
        "POST",
        "/alerts/admin/leads/l_1/claim",
        200,
        HashMap::from([("claimed", claimed)]),
    );
    let app = App::new(jobs);
    let cookie = app.sign_in();
    let csrf = app.csrf(&cookie);
    let before = app.jobs.sent().len();

    let body = "member_id=noa&back=%2Fdashboard%2Fhot";
    let no_session = app.call(form(
        "POST",
        "/dashboard/leads/l_1/claim",
        &format!("{body}&csrf={csrf}"),
        None,
    ));
    assert_eq!(no_session.status, 403);
    let no_token = app.call(form("POST", "/dashboard/leads/l_1/claim", body, Some(&cookie)));
    assert_eq!(no_token.status, 403);
    let other_token = app.call(form(
        "POST",
        "/dashboard/leads/l_1/claim",
        &format!("{body}&csrf={}", "0".repeat(64)),
        Some(&cookie),
    ));
    assert_eq!(other_token.status, 403);
    // Signed in, but not our form: refused for what the body is.
    let mut text_post = form("POST", "/dashboard/leads/l_1/claim", "{}", Some(&cookie));
    text_post.headers.retain(|(name, _)| name != "content-type");
    text_post.headers.push(("content-type".into(), "text/plain".into()));
    assert_eq!(app.call(text_post).status, 415);
    assert_eq!(app.jobs.sent().len(), before, "nothing refused reached lead-alerts");

    let claimed = app.call(form(
        "POST",
        "/dashboard/leads/l_1/claim",
        &format!("{body}&csrf={csrf}"),
        Some(&cookie),
    ));
    assert_eq!(claimed.status, 303);
    assert_eq!(claimed.header("location"), Some("/dashboard/hot"));
    let sent = app.jobs.sent();
    let claim = sent.last().unwrap();
    assert_eq!(claim.method, "POST");
    assert!(claim.url.ends_with("/alerts/admin/leads/l_1/claim"));
    assert_eq!(
        serde_json::from_slice::<alerts::Act>(&claim.body).unwrap(),
        alerts::Act {
            member_id: Some("noa".into()),
            outcome: None,
        }
    );

    // Signed out: the same cookie is refused from then on.
    let out = app.call(form(
        "POST",
        "/dashboard/signout",
        &format!("csrf={csrf}"),
        Some(&cookie),
    ));
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(app.get("/dashboard/hot", &cookie).0, 303);
}

#[test]
fn refused_rules_show_each_error_beside_its_line() {
    let problem = Problem::new(422, "invalid-scoring-rules", "Invalid Scoring Rules")
        .with_field_error("thresholds", "hot must be greater than warm");
    let definitions = audiences::Definitions {
        about: about(),
        definitions: audiences::Audiences::<Value> {
            conversion_forms: Vec::new(),
            audiences: Vec::new(),
        },
    };
    let jobs = Jobs::default()
        .answer("PUT", "/scoring/admin/rules", 422, problem)
        .answer("GET", "/audiences/admin/definitions", 200, definitions);
    let app = App::new(jobs);
    let cookie = app.sign_in();
    let csrf = app.csrf(&cookie);
    let rules = "{\n  \"groups\": [],\n  \"thresholds\": {\"hot\": 40, \"warm\": 60}\n}";
    let body = format!("csrf={csrf}&json={}", crate::page::urlencode(rules));
    let reply = app.call(form("POST", "/dashboard/rules/scoring", &body, Some(&cookie)));
    assert_eq!(reply.status, 422);
    let page = String::from_utf8(reply.body).unwrap();
    assert!(
        page.contains("<tr class=\"bad\"><th>3</th><td><code>  &quot;thresholds&quot;: {&quot;hot&quot;: 40, &quot;warm&quot;: 60}</code></td><td><span class=\"error\">thresholds: hot must be greater than warm</span>"),
        "{page}"
    );
    let put = app.jobs.sent().into_iter().find(|r| r.method == "PUT").unwrap();
    assert_eq!(
        String::from_utf8(put.body).unwrap(),
        rules,
        "the text goes to lead-scoring as typed"
    );
}

/// The language cookie of a switch to Hebrew from `back` (which the switch
/// sends the browser back to).
fn hebrew(app: &App, back: &str) -> String {
    let switched = app.call({
        let mut req = Request::new("GET", "/dashboard/lang");
        req.query = format!("to=he&back={}", crate::page::urlencode(back));
        req
    });
    assert_eq!(switched.header("location"), Some(back));
    switched
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn hebrew_pages_read_right_to_left() {
    let app = App::new(hot_queue());
    let cookie = app.sign_in();
    let lang = hebrew(&app, "/dashboard/hot");
    let (_, page) = app.get("/dashboard/hot", &format!("{cookie}; {lang}"));
    assert!(page.contains("<html lang=\"he\" dir=\"rtl\">") && page.contains("לידים חמים"));
}

/// A person as each job's admin API shows them (the owners' own shapes).
/// lead-intake's profile of Dana, as core's `Lead` (what intake answers).
fn profile() -> spin_retention_core::lead::Lead {
    use spin_retention_core::lead::{Channel, Claim, Confirmation, ConfirmedBy, Consent, Lead, Submission};
    let at = |t: &str| -> chrono::DateTime<chrono::Utc> { t.parse().unwrap() };
    let first = Submission {
        id: "s_1".into(),
        lead_id: "l_1".into(),
        received_at: at("2026-11-20T09:00:00Z"),
        form: None,
        contact: Contact {
            name: Some("Dana Levi".into()),
            email: Some("dana@example.com".into()),
            ..Contact::default()
        },
        message: Some("Pricing?".into()),
        language: None,
        channel: Channel::Email,
        attribution: Default::default(),
        consent: None,
        custom: Default::default(),
        origin: Default::default(),
        client_hash: None,
    };
    let mut lead = Lead::new(&first);
    lead.claims.push(Claim {
        field: "name".into(),
        value: "Mallory".into(),
        submission_id: "s_2".into(),
        at: at("2026-11-20T10:00:00Z"),
    });
    lead.consent = Some(Consent {
        marketing: Some(true),
        ad_user_data: None,
        ad_personalization: None,
        text: None,
        version: None,
        recorded_at: at("2026-11-20T09:00:00Z"),
        submission_id: "s_1".into(),
        client_hash: None,
        confirmed: Some(Confirmation {
            at: at("2026-11-20T09:05:00Z"),
            by: ConfirmedBy::EmailLink,
        }),
    });
    lead
}

/// The customers' view of Dana: two orders, in yen and dollars, and gold.
fn customer_view() -> customers::CustomerView {
    use spin_retention_core::customer::{Customer, Rfm, TierChange};
    let order = |id: &str, order: &str, when: &str, minor: i64, currency: &str| customers::CustomerEvent {
        id: id.into(),
        key: format!("order:{order}"),
        kind: customers::Kind::Purchase,
        at: at(when),
        received_at: at(when),
        source: "api".into(),
        order_id: Some(order.into()),
        amount: Some(customers::Amount {
            minor,
            currency: currency.into(),
        }),
        items: Vec::new(),
        subscription_id: None,
        activity: None,
        external_customer: None,
    };
    let revenue = customers::Shown::from([("JPY".into(), "1500".into()), ("USD".into(), "250.00".into())]);
    customers::CustomerView {
        customer: Customer {
            lead_id: "l_1".into(),
            orders: 3,
            refunds: 0,
            revenue: [("JPY".into(), 1500), ("USD".into(), 25000)].into(),
            main_revenue: 25000,
            currency: "USD".into(),
            average_order_value: Default::default(),
            first_purchase_at: Some(at("2026-11-19T10:00:00Z")),
            last_purchase_at: Some(at("2026-11-21T10:00:00Z")),
            typical_interval_days: None,
            slipping_after: None,
            churned_after: None,
            subscription: None,
            loyalty_tier: Some("gold".into()),
            tier_changes: vec![TierChange {
                from: Some("silver".into()),
                to: Some("gold".into()),
                at: at("2026-11-21T10:00:00Z"),
            }],
            rfm: Some(Rfm {
                recency: 5,
                frequency: 4,
                monetary: 4,
                segment: "Champions".into(),
            }),
            last_activity: None,
            events: 3,
            updated_at: at("2026-11-21T10:00:00Z"),
        },
        revenue,
        average_order_value: Default::default(),
        slipping: false,
        churned: false,
        days_since_purchase: Some(2.0),
        events: vec![
            order("ce_1", "A-1001", "2026-11-21T10:00:00Z", 1500, "JPY"),
            order("ce_2", "A-1000", "2026-11-19T10:00:00Z", 12550, "USD"),
        ],
    }
}

/// lead-intake's view of Dana: her profile, and her first submission
/// with instant-ack's record of its acknowledgement.
fn lead_view() -> intake::LeadView {
    use spin_retention_core::contracts::ack::{Delivery, State};
    let lead = profile();
    let submission = spin_retention_core::lead::Submission {
        id: "s_1".into(),
        lead_id: "l_1".into(),
        received_at: at("2026-11-20T09:00:00Z"),
        form: None,
        contact: lead.contact.clone(),
        message: Some("Pricing?".into()),
        language: None,
        channel: spin_retention_core::lead::Channel::Email,
        attribution: Default::default(),
        consent: None,
        custom: Default::default(),
        origin: Default::default(),
        client_hash: None,
    };
    let ack = Delivery {
        submission_id: "s_1".into(),
        lead_id: "l_1".into(),
        state: State::Sent,
        channel: "email".into(),
        provider: "sendgrid".into(),
        attempts: 1,
        provider_message_id: None,
        last_error: None,
        received_at: at("2026-11-20T09:00:00Z"),
        sent_at: Some(at("2026-11-20T09:00:02Z")),
        latency_ms: Some(1800),
        next_attempt_at: None,
        updated_at: at("2026-11-20T09:00:02Z"),
        round: 0,
        claimed_after: 0,
        claims: Vec::new(),
        new_number: false,
        number_key: None,
    };
    intake::LeadView {
        lead,
        submissions: vec![intake::SubmissionView {
            submission: Some(submission),
            handoffs: Some(intake::Handoffs::new("s_1", "l_1", 1, intake::Wanted::default())),
            ack: Some(ack),
        }],
    }
}

fn person() -> Jobs {
    let changes = ScoreChanges {
        lead_id: "l_1".into(),
        changes: Vec::new(),
    };
    let answers = survey::PersonAnswers {
        lead_id: "l_1".into(),
        answers: Vec::new(),
        opened: Vec::new(),
    };
    let memberships = audiences::Memberships {
        lead_id: "l_1".into(),
        audiences: vec![audiences::Joined {
            audience: "champions-lookalike".into(),
            since: at("2026-11-22T00:00:00Z"),
            last_activity: "2026-11-21".parse().unwrap(),
        }],
    };
    use spin_retention_core::contracts::journeys::{InstanceView, Left, PersonJourneys, StepDone, TimeThrough};
    let step = |step, outcome: &str, channel: Option<&str>, reason: Option<&str>, t: &str| StepDone {
        step,
        attempt: 0,
        at: at(t),
        outcome: outcome.into(),
        channel: channel.map(str::to_string),
        reason: reason.map(str::to_string),
        until: None,
    };
    let journeys = PersonJourneys {
        lead_id: "l_1".into(),
        journeys: vec![TimeThrough {
            instance: InstanceView {
                id: "win-back:l_1:1".into(),
                journey: "win-back".into(),
                version: "abc".into(),
                entered_at: at("2026-11-22T10:00:00Z"),
                trigger: "customer.slipping".into(),
                held_out: false,
            },
            exit: Some(Left {
                at: at("2026-11-29T10:00:00Z"),
                why: "completed".into(),
            }),
            steps: vec![
                step(0, "sent", Some("email"), None, "2026-11-22T10:01:00Z"),
                step(1, "waited", None, None, "2026-11-22T10:02:00Z"),
                step(2, "skipped", None, Some("no_consent"), "2026-11-29T10:00:00Z"),
            ],
        }],
    };
    Jobs::default()
        .answer("GET", "/intake/admin/leads/l_1", 200, lead_view())
        .answer("GET", "/journeys/admin/people/l_1", 200, journeys)
        .answer("GET", "/scoring/admin/leads/l_1/changes", 200, changes)
        .answer("GET", "/survey/admin/people/l_1", 200, answers)
        .answer("GET", "/audiences/admin/members/l_1", 200, memberships)
        .answer("GET", "/scoring/admin/rules", 200, rules(&[]))
        .answer("GET", "/customers/admin/customers/l_1", 200, customer_view())
}

#[test]
fn a_persons_page_tells_their_story_from_every_job() {
    let app = App::new(person());
    let cookie = app.sign_in();
    let (status, page) = app.get("/dashboard/people/l_1", &cookie);
    assert_eq!(status, 200, "{page}");
    for shown in [
        "<dd>gold</dd>",
        "<dd>3</dd>",
        "Champions",
        "purchase 1500 JPY",
        "purchase 125.50 USD",
        "A-1001",
        "silver → gold",
        "sent</span> email sendgrid after 1.8 s",
        "Pricing?",
        "champions-lookalike",
        "A form said (not applied)</strong> name: Mallory",
        "Consent in force</strong> marketing <span class=\"muted\">email_link",
        "Entered a journey</strong> win-back · customer.slipping",
        "Journey message</strong> win-back · Step 1 · email",
        "Journey message skipped</strong> win-back · Step 3 · no_consent",
        "Left a journey</strong> win-back · completed",
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }
    // Newest first: the tier change and the yen order (Nov 21) before the dollar one (Nov 19).
    assert!(page.find("A-1001").unwrap() < page.find("A-1000").unwrap());
}

#[test]
fn odd_paths_and_dates_are_refused_before_any_job_is_called() {
    let nps = survey::Survey {
        id: "nps".into(),
        kind: spin_retention_core::signals::SurveyKind::Nps,
        question: [("en".into(), "Would you recommend us?".into())].into(),
        comment: Default::default(),
        follow_up: Default::default(),
        opens_at: None,
        closes_at: None,
        created_at: Some(test_now()),
        updated_at: Some(test_now()),
    };
    let listed = survey::Surveys { surveys: vec![nps] };
    let app = App::new(Jobs::default().answer("GET", "/survey/admin/surveys", 200, listed));
    let cookie = app.sign_in();
    let before = app.jobs.sent().len();
    assert_eq!(app.get("/dashboard/people/..", &cookie).0, 404);
    assert_eq!(app.get("/dashboard/people/l_1%2F..%2Ferase", &cookie).0, 404);
    assert_eq!(app.jobs.sent().len(), before, "no job asked about an odd id");
    let (status, page) = app.get("/dashboard/surveys?to=-262143-01-01", &cookie);
    assert_eq!(status, 400, "{page}");
    assert_eq!(
        app.get("/dashboard/surveys?from=%2B262142-12-25&to=%2B262142-12-31", &cookie)
            .0,
        400
    );
}

/// The search asks lead-intake, which reads the phone as a form's would:
/// the dashboard sends what was typed and reads no key of intake's.
#[test]
fn a_person_is_found_through_lead_intake() {
    let found = intake::Found { lead_id: "l_1".into() };
    let app = App::new(Jobs::default().answer("GET", "/intake/admin/people", 200, found));
    let cookie = app.sign_in();
    let mut req = Request::new("GET", "/dashboard/people");
    req.query = "q=052-555-1234".into();
    req.headers.push(("cookie".into(), cookie.clone()));
    let found = app.call(req);
    assert_eq!(found.status, 303);
    assert_eq!(found.header("location"), Some("/dashboard/people/l_1"));
    let asked = app.jobs.sent().last().unwrap().url.clone();
    assert!(asked.ends_with("/intake/admin/people?q=052-555-1234"), "{asked}");
    let nobody = App::new(Jobs::default());
    let cookie = nobody.sign_in();
    assert_eq!(nobody.get("/dashboard/people?q=who%40else.io", &cookie).0, 404);
}

/// survey's, customers' and audience-export's answers, one of each the
/// surveys, retention and audiences pages read.
fn reports() -> Jobs {
    use spin_retention_core::signals::{Band, SurveyKind};
    use spin_retention_core::sorted_sets::Position;
    let nps = survey::Survey {
        id: "nps-q4".into(),
        kind: SurveyKind::Nps,
        question: [("en".into(), "Would you recommend us?".into())].into(),
        comment: Default::default(),
        follow_up: Default::default(),
        opens_at: None,
        closes_at: None,
        created_at: Some(test_now()),
        updated_at: Some(test_now()),
    };
    let stats = survey::Stats {
        count: 4,
        distribution: [(10, 2), (9, 1), (3, 1)].into(),
        nps: Some(survey::Nps {
            promoters: 3,
            passives: 0,
            detractors: 1,
            promoters_pct: Some(75.0),
            passives_pct: Some(0.0),
            detractors_pct: Some(25.0),
            score: Some(50),
        }),
        csat: None,
        ces: None,
    };
    let summary = survey::Summary {
        survey_id: "nps-q4".into(),
        kind: SurveyKind::Nps,
        from: "2026-09-07".parse().unwrap(),
        to: "2026-11-23".parse().unwrap(),
        periods: vec![survey::PeriodStats {
            period: "2026-W48".into(),
            stats: stats.clone(),
        }],
        overall: stats,
    };
    let follow_ups = survey::FollowUps {
        items: vec![survey::FollowUp {
            survey_id: "nps-q4".into(),
            lead_id: "l_7".into(),
            kind: SurveyKind::Nps,
            score: 3,
            comment: Some("Too slow <b>really</b>".into()),
            created_at: test_now(),
            updated_at: test_now(),
            status: "open".into(),
            position: Position::new("2026-11-23".to_string(), "x".to_string()),
        }],
        next_cursor: Some("c2".into()),
    };
    assert_eq!(SurveyKind::Nps.band(3), Band::Detractor);
    let shown = |usd: &str| customers::Shown::from([("USD".into(), usd.into())]);
    let month = customers::PeriodRow {
        period: "2026-11".into(),
        start: "2026-11-01".parse().unwrap(),
        end: "2026-12-01".parse().unwrap(),
        active: 42,
        new: 7,
        customers_at_start: 50,
        customers_at_end: 57,
        retained: 35,
        churned: 15,
        retention_rate: Some(0.7),
        churn_rate: Some(0.3),
        orders: 61,
        repeat_purchase_rate: Some(0.4),
        revenue: shown("1234.50"),
        refunds: shown("0.00"),
        average_order_value: shown("20.24"),
    };
    let report = customers::Report {
        period: customers::Period::Month,
        churn_days: 90,
        periods: vec![month],
        cohorts: vec![customers::CohortRow {
            cohort: "2026-10".into(),
            size: 10,
            active: vec![10, 6],
            retention: vec![1.0, 0.6],
            revenue: shown("500.00"),
            clv: shown("50.00"),
        }],
        clv: customers::Clv {
            customers: 10,
            revenue: shown("500.00"),
            average: shown("50.00"),
        },
    };
    let rfm = customers::RfmView {
        quintiles: Some(customers::Quintiles {
            recency_days: [10, 30, 60, 120],
            frequency: [1, 2, 3, 5],
            monetary: [1000, 5000, 10000, 50000],
            currency: "USD".into(),
            customers: 57,
            computed_at: test_now(),
            segments: [("Champions".into(), 9)].into(),
            grid: [("55".into(), 9), ("11".into(), 3)].into(),
            tiers: [("gold".into(), 4), ("none".into(), 53)].into(),
        }),
        refresh: None,
    };
    let definitions = audiences::Definitions {
        about: about(),
        definitions: audiences::Audiences::<Value> {
            conversion_forms: Vec::new(),
            audiences: vec![audiences::Audience {
                id: "promoters".into(),
                description: Some("Said they would recommend us".into()),
                when: vec![serde_json::from_str(r#"{"fact": "nps_band", "equals": "promoter"}"#).unwrap()],
                active_within_days: None,
            }],
        },
    };
    let size = audiences::Size {
        audience: "promoters".into(),
        description: Some("Said they would recommend us".into()),
        members: 321,
        active_within_days: None,
        counted_at: test_now(),
    };
    let log = audiences::Log {
        items: vec![audiences::ExportLog {
            id: "x_1".into(),
            puller: "google".into(),
            audience: "promoters".into(),
            format: "google".into(),
            started_at: test_now(),
            finished_at: test_now(),
            since: None,
            limit: None,
            continued: false,
            rows: 300,
            skipped: 21,
            complete: true,
        }],
        next_cursor: None,
    };
    Jobs::default()
        .answer(
            "GET",
            "/survey/admin/surveys",
            200,
            survey::Surveys { surveys: vec![nps] },
        )
        .answer("GET", "/survey/admin/surveys/nps-q4/summary", 200, summary)
        .answer("GET", "/survey/admin/followups", 200, follow_ups)
        .answer("GET", "/customers/admin/metrics", 200, report)
        .answer("GET", "/customers/admin/rfm", 200, rfm)
        .answer("GET", "/audiences/admin/definitions", 200, definitions)
        .answer("GET", "/audiences/promoters/size", 200, size)
        .answer("GET", "/audiences/admin/log", 200, log)
}

#[test]
fn the_report_pages_show_what_their_owners_answer() {
    let app = App::new(reports());
    let cookie = app.sign_in();

    let (status, page) = app.get("/dashboard/surveys", &cookie);
    assert_eq!(status, 200, "{page}");
    for shown in [
        "id=\"score\">50</span> NPS · 4",
        "<option value=\"nps-q4\" selected>nps-q4 (nps)</option>",
        "<a href=\"/dashboard/people/l_7\">l_7</a>",
        "Too slow &lt;b&gt;really&lt;/b&gt;",
        "fcursor=c2#followups",
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }

    let (status, page) = app.get("/dashboard/retention", &cookie);
    assert_eq!(status, 200, "{page}");
    for shown in [
        "<td>2026-11</td><td>42</td><td>7</td><td>35</td><td>15</td><td>70.0%</td><td>30.0%</td><td>1234.50 USD</td>",
        "id=\"rfm\"",
        "id=\"cohorts\"",
        "gold",
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }

    let (status, page) = app.get("/dashboard/audiences", &cookie);
    assert_eq!(status, 200, "{page}");
    for shown in [
        "<tr id=\"audience-promoters\">",
        "Said they would recommend us",
        "<td class=\"num\">321</td>",
        "google · 300",
        "&quot;fact&quot;:&quot;nps_band&quot;",
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }
}

/// The journeys page: each journey's figures and lift, in Hebrew too, and
/// pause through journeys' own route.
#[test]
fn the_journeys_page_shows_what_each_did_and_pauses_one() {
    use spin_retention_core::contracts::journeys::{Group, Lift, Overview, SetStatus, Summary};
    let group = |people, converted| Group {
        people,
        converted,
        rate: Some(converted as f64 / people as f64),
        revenue_per_person_minor: Some(1250.0),
    };
    let cart = Summary {
        id: "abandoned-checkout".into(),
        name: "Abandoned <checkout>".into(),
        status: "live".into(),
        purpose: "marketing".into(),
        enters_on: "activity:checkout_started".into(),
        priority: 80,
        version: "abc".into(),
        figures: [
            ("entered", 40),
            ("exited:completed", 10),
            ("exited:event:purchase", 5),
            ("sent", 60),
            ("deferred:quiet_hours", 3),
            ("deferred:contact_pressure", 2),
            ("skipped:no_consent", 4),
            ("clicks", 7),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect(),
        lift: Lift {
            goal: None,
            currency: "USD".into(),
            treated: group(36, 9),
            holdout: group(4, 0),
            lift: Some(0.25),
            ci95: Some((0.11, 0.39)),
            attributed: vec![(1, 9)],
        },
    };
    let detractors = Summary {
        id: "detractor-recovery".into(),
        enters_on: "survey.detractor".into(),
        figures: [("entered", 12), ("held_out", 2), ("recovered:treated", 4)]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        ..cart.clone()
    };
    let jobs = Jobs::default()
        .answer(
            "GET",
            "/journeys/admin/overview",
            200,
            Overview {
                journeys: vec![cart, detractors],
            },
        )
        .answer(
            "POST",
            "/journeys/admin/journeys/abandoned-checkout/status",
            200,
            SetStatus {
                status: "paused".into(),
            },
        );
    let app = App::new(jobs);
    let cookie = app.sign_in();
    let (status, page) = app.get("/dashboard/journeys", &cookie);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Abandoned &lt;checkout&gt;"), "escaped");
    let row = &page[page.find("id=\"journey-abandoned-checkout\"").unwrap()..];
    // Each number cell's text: after its tag's `>`, up to the next `<`.
    let cells: Vec<&str> = row
        .split("<td class=\"num\"")
        .skip(1)
        .take(8)
        .map(|c| c.split_once('>').unwrap().1.split('<').next().unwrap())
        .collect();
    assert_eq!(cells, ["40", "25", "60", "5", "4", "7", "9", "12.50 USD"], "{row}");
    assert!(
        row.contains("+25.0%") && row.contains("+11.0%") && row.contains("+39.0%"),
        "{row}"
    );
    assert!(row.contains("no_consent: 4"));
    assert!(!row[..row.find("</tr>").unwrap()].contains("recovered"));
    let row = &page[page.find("id=\"journey-detractor-recovery\"").unwrap()..];
    assert!(row.contains("recovered: 4 / 10"), "of the treated: {row}");
    let csrf = app.csrf(&cookie);
    let paused = app.call(form(
        "POST",
        "/dashboard/journeys/abandoned-checkout/status",
        &format!("status=paused&csrf={csrf}"),
        Some(&cookie),
    ));
    assert_eq!(
        (paused.status, paused.header("location")),
        (303, Some("/dashboard/journeys"))
    );
    let sent = app.jobs.sent();
    let asked = sent.last().unwrap();
    assert!(asked
        .url
        .ends_with("/journeys/admin/journeys/abandoned-checkout/status"));
    assert_eq!(
        serde_json::from_slice::<SetStatus>(&asked.body).unwrap(),
        SetStatus {
            status: "paused".into()
        }
    );
}

/// A journey's page: its step funnel from journeys' route, each outcome
/// named in the reader's language.
#[test]
fn a_journeys_page_shows_its_step_funnel_in_both_languages() {
    use spin_retention_core::contracts::journeys::{Funnel, FunnelStep};
    let step = |step, kind: &str, label: &str, outcomes: &[(&str, u64)]| FunnelStep {
        step,
        kind: kind.into(),
        label: label.into(),
        outcomes: outcomes.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
    };
    let funnel = Funnel {
        id: "abandoned-checkout".into(),
        name: "Abandoned <checkout>".into(),
        entered: 40,
        steps: vec![
            step(0, "wait", "1 h", &[("waited", 38), ("exited", 2)]),
            step(
                1,
                "send",
                "email: You left <something>",
                &[("sent", 30), ("skipped", 8)],
            ),
        ],
    };
    let jobs = Jobs::default().answer("GET", "/journeys/admin/journeys/abandoned-checkout/funnel", 200, funnel);
    let app = App::new(jobs);
    let cookie = app.sign_in();
    let (status, page) = app.get("/dashboard/journeys/abandoned-checkout", &cookie);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Abandoned &lt;checkout&gt;</h1>"), "{page}");
    assert!(page.contains("You left &lt;something&gt;"), "escaped");
    assert!(
        page.contains("<td class=\"num\">40</td><td class=\"num\">100%</td><td>left: 2, waited: 38</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td class=\"num\">38</td><td class=\"num\">95%</td><td>sent: 30, skipped: 8</td>"),
        "{page}"
    );
    let lang = hebrew(&app, "/dashboard/journeys");
    let (_, hebrew) = app.get("/dashboard/journeys/abandoned-checkout", &format!("{cookie}; {lang}"));
    assert!(
        hebrew.contains("נשלחו: 30, דולגו: 8") && hebrew.contains("המתנה"),
        "{hebrew}"
    );
}
