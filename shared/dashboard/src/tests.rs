//! The dashboard over canned answers of the other jobs' admin APIs: what
//! it shows, what it sends them, and what it refuses.

use crate::job::JOB;
use serde_json::{json, Value};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::lead::Contact;
use spin_retention_core::ports::{test_now, Ctx, Outbound, OutboundRequest, OutboundResponse};
use spin_retention_core::store::MemoryStore;
use spin_retention_scores::api::{QueueItem, QueuePage};
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
    fn answer(mut self, method: &str, path: &str, status: u16, body: Value) -> Self {
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
            .unwrap_or((404, json!({"status": 404, "title": "Not Found", "detail": path})));
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

fn hot_queue() -> Jobs {
    Jobs::default()
        .answer(
            "GET",
            "/scoring/queue",
            200,
            // lead-scoring's answer, in its type.
            serde_json::to_value(QueuePage {
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
            })
            .unwrap(),
        )
        .answer(
            "GET",
            "/scoring/admin/rules",
            200,
            json!({"rules": {"routing": {"team": [{"id": "noa", "name": "Noa"}]}}}),
        )
        .answer(
            "GET",
            "/alerts/admin/leads/l_1",
            200,
            json!({"alerts": {"steps": [{"n": 0, "due": "2026-11-23T10:12:00Z", "to": {"name": "Noa"}}]}}),
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
    let jobs = hot_queue().answer("POST", "/alerts/admin/leads/l_1/claim", 200, json!({"claimed": {}}));
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
        serde_json::from_slice::<Value>(&claim.body).unwrap(),
        json!({"member_id": "noa"})
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
    let problem = json!({"status": 422, "title": "Invalid Scoring Rules",
        "errors": [{"field": "thresholds", "message": "hot must be greater than warm"}]});
    let jobs = Jobs::default()
        .answer("PUT", "/scoring/admin/rules", 422, problem)
        .answer(
            "GET",
            "/audiences/admin/definitions",
            200,
            json!({"definitions": {"audiences": []}}),
        );
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

#[test]
fn hebrew_pages_read_right_to_left() {
    let app = App::new(hot_queue());
    let cookie = app.sign_in();
    let switched = app.call({
        let mut req = Request::new("GET", "/dashboard/lang");
        req.query = "to=he&back=%2Fdashboard%2Fhot".into();
        req
    });
    assert_eq!(switched.header("location"), Some("/dashboard/hot"));
    let lang = switched
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
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

fn person() -> Jobs {
    Jobs::default()
        .answer(
            "GET",
            "/intake/admin/leads/l_1",
            200,
            json!({"lead": profile(),
                   "submissions": [{"submission": {"id": "s_1", "received_at": "2026-11-20T09:00:00Z", "message": "Pricing?"},
                                    "ack": {"state": "sent", "channel": "email", "provider": "sendgrid",
                                            "sent_at": "2026-11-20T09:00:02Z", "latency_ms": 1800}}]}),
        )
        .answer("GET", "/scoring/admin/leads/l_1/changes", 200, json!({"changes": []}))
        .answer("GET", "/survey/admin/people/l_1", 200, json!({"answers": [], "opened": []}))
        .answer("GET", "/audiences/admin/members/l_1", 200, json!({"audiences": [{"audience": "champions-lookalike", "since": "2026-11-22T00:00:00Z"}]}))
        .answer("GET", "/scoring/admin/rules", 200, json!({"rules": {}}))
        .answer(
            "GET",
            "/customers/admin/customers/l_1",
            200,
            json!({"customer": {"loyalty_tier": "gold", "orders": 3, "rfm": {"segment": "Champions"},
                                "tier_changes": [{"from": "silver", "to": "gold", "at": "2026-11-21T10:00:00Z"}]},
                   "revenue": {"JPY": "1500", "USD": "250.00"},
                   "slipping": false,
                   "events": [{"id": "ce_1", "kind": "purchase", "at": "2026-11-21T10:00:00Z", "order_id": "A-1001",
                               "amount": {"minor": 1500, "currency": "JPY"}},
                              {"id": "ce_2", "kind": "purchase", "at": "2026-11-19T10:00:00Z", "order_id": "A-1000",
                               "amount": {"minor": 12550, "currency": "USD"}}]}),
        )
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
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }
    // Newest first: the tier change and the yen order (Nov 21) before the dollar one (Nov 19).
    assert!(page.find("A-1001").unwrap() < page.find("A-1000").unwrap());
}

#[test]
fn odd_paths_and_dates_are_refused_before_any_job_is_called() {
    let app = App::new(Jobs::default().answer(
        "GET",
        "/survey/admin/surveys",
        200,
        json!({"surveys": [{"id": "nps", "kind": "nps"}]}),
    ));
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
    let app = App::new(Jobs::default().answer("GET", "/intake/admin/people", 200, json!({"lead_id": "l_1"})));
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
