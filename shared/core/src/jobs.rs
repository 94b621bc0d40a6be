//! The frame of a job: its name, the route prefix it owns, the components
//! it hands work to, its routes, and what runs after its reply. Each job
//! crate defines its `job::JOB`; a component is `the Spin adapter + one job`.

use crate::health;
use crate::http::{self, Reply, Request};
use crate::ports::{Ctx, OutboundRequest};
use crate::problem::Problem;
use crate::routes::{self, Route};

/// Work a job does after its reply has been sent, so the caller does not
/// wait for it (hand-offs to other components).
pub type Task = Box<dyn FnOnce(&Ctx)>;

/// A body written piece by piece after the headers, so a large export never
/// sits in memory: each call gives the next chunk, `Ok(None)` ends the body,
/// and `Err` breaks the transfer (the client sees a failed download, never
/// a file that silently stops short).
pub type BodyStream = Box<dyn FnMut(&Ctx) -> Result<Option<Vec<u8>>, String>>;

/// A reply, and what to do once it is sent.
pub struct Outcome {
    pub reply: Reply,
    /// Written after `reply.body` when present.
    pub stream: Option<BodyStream>,
    pub after: Vec<Task>,
}

impl Outcome {
    /// A reply, then `after` once it is sent.
    pub fn then(reply: Reply, after: Vec<Task>) -> Self {
        Outcome {
            reply,
            stream: None,
            after,
        }
    }

    /// A reply whose body continues with `stream`.
    pub fn streaming(reply: Reply, stream: BodyStream) -> Self {
        Outcome {
            reply,
            stream: Some(stream),
            after: Vec::new(),
        }
    }

    /// The whole reply with its stream drained into the body, then the
    /// after-tasks run: what a client sees, for native tests.
    pub fn finish(mut self, ctx: &Ctx) -> Result<Reply, String> {
        if let Some(mut stream) = self.stream.take() {
            while let Some(chunk) = stream(ctx)? {
                self.reply.body.extend_from_slice(&chunk);
            }
        }
        for task in self.after {
            task(ctx);
        }
        Ok(self.reply)
    }
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Outcome::then(reply, Vec::new())
    }
}

impl From<Problem> for Outcome {
    fn from(problem: Problem) -> Self {
        Reply::from(problem).into()
    }
}

/// One job: the component name, the route prefix it owns in spin.toml, the
/// components it hands work to, and its routes besides `/health` and
/// `/health/live`.
pub struct Job {
    pub name: &'static str,
    pub prefix: &'static str,
    pub handoffs: &'static [HandoffTarget],
    pub routes: &'static [Route],
    /// Paths (exact, no parameters) whose bodies the host streams through
    /// [`crate::ports::Ctx::body`] instead of reading them whole: imports.
    pub streamed: &'static [&'static str],
}

impl Job {
    /// Whether the host streams this path's body.
    pub fn streams(&self, path: &str) -> bool {
        self.streamed.contains(&path)
    }

    /// Routes one request for this job.
    pub fn handle(&self, req: &Request, ctx: &Ctx) -> Outcome {
        match sub_path(&req.path, self.prefix) {
            None => Problem::not_found(&req.path).into(),
            Some("/health") => health_route(req, ctx, self.name, self.handoffs).into(),
            Some("/health/live") => live_route(req, self.name).into(),
            Some("/health/store") => store_route(req, ctx, self.name).into(),
            Some(_) => routes::dispatch(self.routes, req, ctx),
        }
    }

    /// The words an id below this job's prefix must not be.
    pub fn reserved(&self) -> Vec<&'static str> {
        routes::reserved(self.prefix, self.routes)
    }
}

/// `GET <prefix>/health`, the same for every job apart from its hand-offs.
/// Without credentials: a read of the health record, nothing written and
/// nobody probed, so anyone may call it as often as they like. With the
/// admin token (an operator, a scheduler): the record written and read
/// back, and every hand-off target's liveness probed. A wrong token is a
/// 401, not the anonymous check.
fn health_route(req: &Request, ctx: &Ctx, component: &str, handoffs: &[HandoffTarget]) -> Reply {
    if req.method != "GET" && req.method != "HEAD" {
        return http::method_not_allowed(req, &["GET", "HEAD"]);
    }
    if req.header("authorization").is_none() {
        return match health::store_read(ctx, component) {
            Ok(store) => Reply::json(200, &health::report(component, "read", store, Vec::new())),
            Err(e) => Problem::from(e).with_instance(&req.path).into(),
        };
    }
    if let Err(refused) = crate::auth::require_admin(req, ctx.config) {
        return refused;
    }
    let store = match health::store_round_trip(ctx, component) {
        Ok(check) => check,
        Err(e) => return Problem::from(e).with_instance(&req.path).into(),
    };
    let handoffs = handoffs
        .iter()
        .map(|h| health::probe_handoff(ctx, h.component, &h.base_url(ctx.config), &h.live_path()))
        .collect();
    Reply::json(200, &health::report(component, "write", store, handoffs))
}

/// `GET <prefix>/health/store`, with the admin token: one key written and
/// read back, nothing else (no probe), the benchmarks' one-key baseline.
fn store_route(req: &Request, ctx: &Ctx, component: &str) -> Reply {
    if req.method != "GET" && req.method != "HEAD" {
        return http::method_not_allowed(req, &["GET", "HEAD"]);
    }
    if let Err(refused) = crate::auth::require_admin(req, ctx.config) {
        return refused;
    }
    match health::store_round_trip(ctx, component) {
        Ok(store) => Reply::json(200, &health::report(component, "write", store, Vec::new())),
        Err(e) => Problem::from(e).with_instance(&req.path).into(),
    }
}

/// `GET <prefix>/health/live`: answering at all is the answer. It touches
/// no store and calls no one, so probing a hand-off target costs that
/// target nothing (a full health check of each target would write in
/// every component down the chain for each check of the first).
fn live_route(req: &Request, component: &str) -> Reply {
    if req.method != "GET" && req.method != "HEAD" {
        return http::method_not_allowed(req, &["GET", "HEAD"]);
    }
    Reply::json(200, &serde_json::json!({"component": component, "status": "live"}))
}

/// A component this one hands work to, reached at the URL in a Spin variable.
#[derive(Clone, Copy)]
pub struct HandoffTarget {
    pub component: &'static str,
    /// The route prefix it owns (`/ack`).
    pub prefix: &'static str,
    pub url_variable: &'static str,
    /// Spin's local service chaining when all components run in one app.
    pub default_url: &'static str,
}

/// A hand-off call: `POST url`, with the admin token when one is set, but
/// only inside the app or over TLS, and the test clock when the request
/// had one (so the whole chain runs at the test's time).
pub fn handoff_request(ctx: &Ctx, url: String, admin_token: Option<&str>) -> OutboundRequest {
    let safe = crate::net::target(&url).is_ok_and(|t| t.scheme == "https") || crate::net::is_service_chaining(&url);
    let mut headers: Vec<(String, String)> = match admin_token.filter(|_| safe) {
        Some(token) => vec![("authorization".into(), format!("Bearer {token}"))],
        None => Vec::new(),
    };
    if ctx.test_clock {
        headers.push((crate::ports::TEST_CLOCK_HEADER.into(), ctx.now.to_rfc3339()));
    }
    OutboundRequest {
        method: "POST".into(),
        url,
        headers,
        body: Vec::new(),
    }
}

impl HandoffTarget {
    /// After the reply: `POST <origin><path>` to tell the component about a
    /// change. A failure is only logged: the component catches up later
    /// (the lead's next scoring, an audience refresh run).
    /// Past the [`within_budget`] limit it is skipped, as a failure is.
    pub fn tell(&self, path: String) -> Task {
        self.tell_with(path, Vec::new())
    }

    /// [`HandoffTarget::tell`] with a JSON body (an event).
    pub fn tell_json<T: serde::Serialize>(&self, path: String, body: &T) -> Task {
        self.tell_with(path, crate::store::json_bytes(body))
    }

    fn tell_with(&self, path: String, body: Vec<u8>) -> Task {
        tell_in_turn(vec![(*self, path, body)])
    }

    /// Its liveness route, which the health check probes.
    pub fn live_path(&self) -> String {
        format!("{}/health/live", self.prefix)
    }

    /// The configured origin, else the in-app default.
    pub fn base_url(&self, config: &dyn crate::ports::Config) -> String {
        config
            .get(self.url_variable)
            .unwrap_or_else(|| self.default_url.to_string())
    }
}

/// Tells each `(target, path, body)` in turn, after the reply, as one piece
/// of after-reply work (one slot of the [`within_budget`] count rather than
/// one each): the first is the more urgent.
pub fn tell_in_turn(tells: Vec<(HandoffTarget, String, Vec<u8>)>) -> Task {
    Box::new(move |ctx: &Ctx| {
        let told = within_budget(ctx, || {
            for (target, path, body) in &tells {
                let url = format!("{}{path}", target.base_url(ctx.config).trim_end_matches('/'));
                let token = ctx.config.get(crate::auth::ADMIN_TOKEN);
                let mut request = handoff_request(ctx, url.clone(), token.as_deref());
                if !body.is_empty() {
                    request.headers.push(("content-type".into(), "application/json".into()));
                    request.body = body.clone();
                }
                match ctx.outbound.send(request) {
                    Ok(response) if response.status < 300 => {}
                    Ok(response) => eprintln!("hand-off to {}: HTTP {}", crate::net::origin(&url), response.status),
                    Err(e) => eprintln!("hand-off to {}: {e}", crate::net::origin(&url)),
                }
            }
        });
        if !matches!(told, Ok(true)) {
            let paths: Vec<&str> = tells.iter().map(|(_, path, _)| path.as_str()).collect();
            eprintln!("hand-offs {paths:?}: skipped, too much after-reply work running ({told:?})");
        }
    })
}

/// instant-ack, which lead-intake hands every submission to.
pub const ACK: HandoffTarget = HandoffTarget {
    component: "instant-ack",
    prefix: "/ack",
    url_variable: "ack_url",
    default_url: "http://instant-ack.spin.internal",
};

/// What one job asks of another: the path of each hand-off, written once
/// (each is a `POST` to the target's route table, which a test checks).
pub mod calls {
    /// instant-ack: send this submission's acknowledgement.
    pub fn ack_submission(submission_id: &str) -> String {
        format!("/ack/submissions/{submission_id}")
    }

    /// lead-scoring: score this lead now.
    pub fn score_lead(lead_id: &str) -> String {
        format!("/scoring/leads/{lead_id}")
    }

    /// audience-export: re-evaluate this lead's memberships.
    pub fn update_audiences(lead_id: &str) -> String {
        format!("/audiences/leads/{lead_id}")
    }

    /// lead-alerts: alert this hot lead's assignee (once).
    pub fn alert_lead(lead_id: &str) -> String {
        format!("/alerts/leads/{lead_id}")
    }

    /// lead-alerts: record an event (the body) and deliver it to the
    /// webhook endpoints that want it.
    pub fn record_event() -> String {
        "/alerts/events".to_string()
    }

    /// lead-intake: find or create the profiles of these people (the body).
    pub fn open_people() -> String {
        "/intake/admin/people".to_string()
    }

    /// lead-alerts: run the SLA and retry deliveries that are due.
    pub fn sla_tick() -> String {
        "/alerts/sla/tick".to_string()
    }

    /// journeys: these things happened (the body, [`crate::happened::Happened`]s).
    pub fn journey_events() -> String {
        "/journeys/events".to_string()
    }

    /// Any job of [`super::ERASE`]: forget this person (a `DELETE`, with a
    /// [`super::Forget`] body).
    pub fn forget_person(prefix: &str, lead_id: &str) -> String {
        format!("{prefix}/admin/people/{lead_id}")
    }
}

/// The jobs whose later work lead-intake's one tick drives, each with the
/// route of its share (one bounded batch, safe to run twice at once): the
/// SLA and webhook retries (first, before intake's own), journeys' due
/// steps, the customers' daily refresh, a rescore run after new rules, the
/// audience refresh.
pub const TICK: [(HandoffTarget, &str); 5] = [
    (ALERTS, "/alerts/sla/tick?limit=100"),
    (JOURNEYS, "/journeys/admin/tick?limit=200"),
    (CUSTOMERS, "/customers/admin/refresh?limit=500"),
    (SCORING, "/scoring/admin/rescore?limit=50"),
    (AUDIENCES, "/audiences/admin/refresh?limit=1000"),
];

/// Every job that keeps something of a person besides lead-intake: an
/// erase is handed to each ([`calls::forget_person`]), tracked and retried
/// until each has answered.
pub const ERASE: [HandoffTarget; 7] = [ACK, SCORING, SURVEY, AUDIENCES, ALERTS, CUSTOMERS, JOURNEYS];

/// The body of [`calls::forget_person`]: the person's submissions, which
/// instant-ack's records are keyed by (lead-intake's own records of them
/// are gone by then).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Forget {
    #[serde(default)]
    pub submission_ids: Vec<String>,
}

/// The handler of `DELETE <prefix>/admin/people/{lead}`: runs the job's
/// own `forget` for the person (and the [`Forget`] body, when there is
/// one), and answers 200. Idempotent: forgetting twice is forgetting once.
pub fn forget_person(
    req: &Request,
    ctx: &Ctx,
    lead_id: &str,
    forget: fn(&dyn crate::store::Store, &str, &Forget) -> Result<(), crate::store::StoreError>,
) -> Result<Outcome, Reply> {
    let body: Forget = if req.body.is_empty() {
        Forget::default()
    } else {
        Problem::check_json(
            &req.body,
            || Problem::new(422, "invalid-forget", "Invalid forget request"),
            "request",
            |_| Vec::new(),
        )?
    };
    forget(ctx.store, lead_id, &body)?;
    Ok(Reply::json(200, &serde_json::json!({ "forgotten": lead_id })).into())
}

/// lead-alerts, which lead-scoring tells of hot leads and every job of events.
pub const ALERTS: HandoffTarget = HandoffTarget {
    component: "lead-alerts",
    prefix: "/alerts",
    url_variable: "alerts_url",
    default_url: "http://lead-alerts.spin.internal",
};

/// lead-intake, which customers asks for the profiles of new people.
pub const INTAKE: HandoffTarget = HandoffTarget {
    component: "lead-intake",
    prefix: "/intake",
    url_variable: "intake_url",
    default_url: "http://lead-intake.spin.internal",
};

/// lead-scoring, which lead-intake and survey both hand leads to.
pub const SCORING: HandoffTarget = HandoffTarget {
    component: "lead-scoring",
    prefix: "/scoring",
    url_variable: "scoring_url",
    default_url: "http://lead-scoring.spin.internal",
};

/// audience-export, which lead-scoring hands every scored lead to.
pub const AUDIENCES: HandoffTarget = HandoffTarget {
    component: "audience-export",
    prefix: "/audiences",
    url_variable: "audiences_url",
    default_url: "http://audience-export.spin.internal",
};

/// survey, whose admin API the dashboard reads.
pub const SURVEY: HandoffTarget = HandoffTarget {
    component: "survey",
    prefix: "/survey",
    url_variable: "survey_url",
    default_url: "http://survey.spin.internal",
};

/// customers, whose admin API the dashboard reads.
pub const CUSTOMERS: HandoffTarget = HandoffTarget {
    component: "customers",
    prefix: "/customers",
    url_variable: "customers_url",
    default_url: "http://customers.spin.internal",
};

/// journeys, which customers tells of purchases and activities.
pub const JOURNEYS: HandoffTarget = HandoffTarget {
    component: "journeys",
    prefix: "/journeys",
    url_variable: "journeys_url",
    default_url: "http://journeys.spin.internal",
};

/// After-reply work (hand-offs, tells) that may run at once, app-wide.
/// Each holds its instance and, through the target's own after-reply work,
/// one or two more, and Spin refuses every new request once 1,000
/// instances run (`SPIN_MAX_INSTANCE_COUNT`): past this many, work is
/// skipped and left to its catch-up route rather than piling up.
pub const MAX_AFTER_REPLY: i64 = 200;

/// Whether half of [`MAX_AFTER_REPLY`] is in use now (a read: it commits
/// nothing), so work that must not be skipped is done before the reply
/// instead, and a burst slows to what the jobs behind it take. Half: the
/// rest is headroom for the requests that read the count at the same
/// moment (up to one per client) and for the tells of the jobs behind
/// (lead-scoring's to lead-alerts and audience-export), which share it.
pub fn after_reply_busy(ctx: &Ctx) -> Result<bool, crate::store::StoreError> {
    let minute = ctx.now.timestamp().div_euclid(60);
    let running = ctx.store.read_counter(&crate::keys::after_reply_running(minute))?;
    Ok(running >= MAX_AFTER_REPLY / 2)
}

/// Runs `work` unless [`MAX_AFTER_REPLY`] pieces of after-reply work are
/// running; says whether it ran. Counted per minute of start
/// (`after-reply-running:<minute>`, +1 before, -1 after), so a count that
/// a crash leaves behind holds only for that minute; each minute's first
/// piece deletes the key of two minutes before.
pub fn within_budget(ctx: &Ctx, work: impl FnOnce()) -> Result<bool, crate::store::StoreError> {
    let minute = ctx.now.timestamp().div_euclid(60);
    let key = crate::keys::after_reply_running(minute);
    let running = ctx.store.increment(&key, 1)?;
    if running == 1 {
        crate::store::delete_if_present(ctx.store, &crate::keys::after_reply_running(minute - 2))?;
    }
    let go = running <= MAX_AFTER_REPLY;
    if go {
        work();
    }
    ctx.store.increment(&key, -1)?;
    Ok(go)
}

/// Strips a job's route prefix: `/intake/health` -> `Some("/health")`.
fn sub_path<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("/")
    } else if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::sub_path;

    #[test]
    fn sub_path_respects_segment_boundaries() {
        assert_eq!(sub_path("/intake/health", "/intake"), Some("/health"));
        assert_eq!(sub_path("/intake", "/intake"), Some("/"));
        assert_eq!(sub_path("/intakes/health", "/intake"), None);
    }

    #[test]
    fn the_admin_token_goes_only_inside_the_app_or_over_tls() {
        let store = crate::store::MemoryStore::new();
        let config = std::collections::HashMap::new();
        let ctx = crate::ports::Ctx::new(&store, &config, &crate::ports::NoOutbound, crate::ports::test_now());
        let sends_token = |url: &str| {
            super::handoff_request(&ctx, url.into(), Some("t0ken"))
                .headers
                .iter()
                .any(|(name, value)| name == "authorization" && value == "Bearer t0ken")
        };
        assert!(sends_token("http://lead-alerts.spin.internal/alerts/events"));
        assert!(sends_token("https://alerts.example/alerts/events"));
        for url in [
            "http://a.spin.internal.evil.tld/alerts/events",
            "http://evil.tld/.spin.internal/alerts/events",
            "http://x.spin.internal@evil.tld/alerts/events",
            "http://alerts.example/alerts/events",
        ] {
            assert!(!sends_token(url), "{url}");
        }
    }
}

/// Checks every job's crate runs on its own `JOB`.
#[cfg(any(test, feature = "test-support"))]
pub mod testing {
    use super::Job;
    use crate::http::Request;
    use crate::ports::{Ctx, NoOutbound, Outbound, OutboundRequest, OutboundResponse};
    use crate::store::MemoryStore;
    use std::collections::HashMap;

    /// `GET <prefix>/health` answers 200 with a read of the store, and a
    /// path the job does not know answers a 404 problem.
    pub fn answers_health_and_not_found(job: &Job) {
        assert_eq!(crate::routes::refused(job.routes), Vec::<&str>::new(), "{}", job.name);
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = Ctx::new(&store, &config, &NoOutbound, crate::ports::test_now());
        let reply = job
            .handle(&Request::new("GET", &format!("{}/health", job.prefix)), &ctx)
            .reply;
        assert_eq!(reply.status, 200, "{}", job.name);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["component"], job.name);
        assert_eq!(body["store"]["status"], "ok");
        let missing = job
            .handle(&Request::new("GET", &format!("{}/nope", job.prefix)), &ctx)
            .reply;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.header("content-type"), Some("application/problem+json"));
    }

    /// An outbound port that answers 200 to everything and keeps the URLs.
    #[derive(Default)]
    pub struct Recorder(pub std::sync::Mutex<Vec<String>>);

    impl Outbound for Recorder {
        fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
            self.0.lock().unwrap().push(request.url);
            Ok(OutboundResponse {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
    }
}

#[cfg(test)]
mod job_tests {
    use super::*;
    use crate::ports::NoOutbound;
    use crate::store::MemoryStore;
    use std::collections::HashMap;

    /// A job with no routes of its own, handing work to lead-scoring.
    const JOB: Job = Job {
        name: "survey",
        prefix: "/survey",
        handoffs: &[SCORING],
        routes: &[],
        streamed: &[],
    };

    fn body(reply: &Reply) -> serde_json::Value {
        serde_json::from_slice(&reply.body).unwrap()
    }

    fn ctx<'a>(store: &'a dyn crate::store::Store, config: &'a HashMap<String, String>) -> Ctx<'a> {
        Ctx::new(store, config, &NoOutbound, crate::ports::test_now())
    }

    #[test]
    fn a_job_answers_health_and_404_elsewhere() {
        testing::answers_health_and_not_found(&JOB);
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = ctx(&store, &config);
        let reply = JOB.handle(&Request::new("GET", "/survey/health"), &ctx).reply;
        assert_eq!(reply.status, 200);
        assert_eq!(body(&reply)["component"], "survey");
        assert_eq!(body(&reply)["store"]["status"], "ok");
        assert_eq!(body(&reply)["status"], "ok", "the anonymous check probes nobody");
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let ctx = self::ctx(&store, &config);
        let reply = JOB.handle(&with_token("GET", "/survey/health", "t"), &ctx).reply;
        assert_eq!(
            body(&reply)["status"],
            "degraded",
            "lead-scoring cannot be reached here"
        );
        let missing = JOB.handle(&Request::new("GET", "/survey/nope"), &ctx).reply;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.header("content-type"), Some("application/problem+json"));
    }

    fn with_token(method: &str, path: &str, token: &str) -> Request {
        let mut req = Request::new(method, path);
        req.headers.push(("authorization".into(), format!("Bearer {token}")));
        req
    }

    #[test]
    fn an_anonymous_health_check_writes_nothing_and_probes_nobody() {
        let store = crate::store::CountingStore::default();
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let recorder = testing::Recorder::default();
        let ctx = Ctx::new(&store, &config, &recorder, crate::ports::test_now());
        let reply = JOB.handle(&Request::new("GET", "/survey/health"), &ctx).reply;
        assert_eq!(reply.status, 200);
        assert_eq!(body(&reply)["check"], "read");
        assert_eq!(body(&reply)["store"]["status"], "ok");
        assert_eq!(store.commits(), 0, "no write");
        assert!(recorder.0.lock().unwrap().is_empty(), "no probe");

        // The admin token (a scheduler's or an operator's): the writing, probing check.
        let reply = JOB.handle(&with_token("GET", "/survey/health", "t"), &ctx).reply;
        assert_eq!(reply.status, 200);
        assert_eq!(body(&reply)["check"], "write");
        assert_eq!(body(&reply)["store"]["checks"], 1);
        assert_eq!(store.commits(), 1);
        assert_eq!(
            *recorder.0.lock().unwrap(),
            ["http://lead-scoring.spin.internal/scoring/health/live"]
        );
        // The anonymous check reads what the last writing one left.
        let reply = JOB.handle(&Request::new("GET", "/survey/health"), &ctx).reply;
        assert_eq!(body(&reply)["store"]["checks"], 1);
        assert_eq!(store.commits(), 1);
        // A wrong token is refused, not taken for anonymous.
        let reply = JOB.handle(&with_token("GET", "/survey/health", "x"), &ctx).reply;
        assert_eq!(reply.status, 401);
    }

    #[test]
    fn the_one_key_check_needs_the_token_and_writes_one_key() {
        let store = crate::store::CountingStore::default();
        let config: HashMap<String, String> = [("admin_token".to_string(), "t".to_string())].into();
        let recorder = testing::Recorder::default();
        let ctx = Ctx::new(&store, &config, &recorder, crate::ports::test_now());
        let anonymous = JOB.handle(&Request::new("GET", "/survey/health/store"), &ctx).reply;
        assert_eq!((anonymous.status, store.commits()), (401, 0));
        let reply = JOB.handle(&with_token("GET", "/survey/health/store", "t"), &ctx).reply;
        assert_eq!(reply.status, 200);
        assert_eq!(body(&reply)["store"]["key"], "health:survey");
        assert_eq!(store.commits(), 1, "one write");
        assert!(recorder.0.lock().unwrap().is_empty(), "no probe");
        let closed = HashMap::new();
        let ctx = Ctx::new(&store, &closed, &recorder, crate::ports::test_now());
        let reply = JOB.handle(&with_token("GET", "/survey/health/store", "t"), &ctx).reply;
        assert_eq!(reply.status, 403, "no token configured: closed");
    }

    #[test]
    fn health_refuses_other_methods_with_allow() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let reply = JOB
            .handle(&Request::new("POST", "/survey/health"), &ctx(&store, &config))
            .reply;
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }

    #[test]
    fn liveness_answers_without_the_store() {
        let store = crate::store::UnavailableStore("no store".into());
        let config = HashMap::new();
        let ctx = ctx(&store, &config);
        let reply = JOB.handle(&Request::new("GET", "/survey/health/live"), &ctx).reply;
        assert_eq!(reply.status, 200);
        assert_eq!(
            body(&reply),
            serde_json::json!({"component": "survey", "status": "live"})
        );
        let reply = JOB.handle(&Request::new("DELETE", "/survey/health/live"), &ctx).reply;
        assert_eq!(reply.status, 405);
    }
}
