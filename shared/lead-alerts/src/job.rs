//! lead-alerts: alerts people of hot leads, holds the team to its SLA, and
//! tells the business's other systems what happened (event webhooks).
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.
//! Every request that changes something also runs the SLA on its back,
//! bounded, at most once a minute app-wide ([`on_the_back`]), so a
//! deployment without a scheduler still reassigns and retries.

use crate::actions::{self, ClaimResult, ContactResult};
use crate::emit;
use crate::keys;
use crate::links::{self, Action};
use crate::record::{ContactOutcome, Person};
use crate::settings::Settings;
use crate::speed;
use crate::steps::{self, Tick};
use crate::webhooks::{self, Endpoints, Status};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Value};
use spin_retention_core::admin_doc;
use spin_retention_core::contracts::alerts::{Act, LeadView};
use spin_retention_core::events::{Event, TYPES};
use spin_retention_core::http::{bad_parameter, Reply, Request};
use spin_retention_core::jobs::{Job, Outcome, Task, JOURNEYS};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::routes::{Caller, Method, Params, Route};
use spin_retention_core::store::{JsonStore, StoreError};
use spin_retention_core::walk::Visit;

pub const JOB: Job = Job {
    name: "lead-alerts",
    prefix: "/alerts",
    // journeys hears of the events it raises that a journey listens for.
    handoffs: &[JOURNEYS],
    streamed: &[],
    routes: &[
        Route {
            // lead-intake's erase, handed to every job that keeps something
            // of the person (core::jobs::ERASE).
            method: Method::DELETE,
            path: "/alerts/admin/people/{lead}",
            caller: Caller::Component,
            handler: erase_person,
        },
        Route {
            method: Method::POST,
            path: "/alerts/leads/{id}",
            caller: Caller::Component,
            handler: alert_lead,
        },
        Route {
            // A journey's alert step: the owner is told to follow up.
            method: Method::POST,
            path: "/alerts/owner/{lead}",
            caller: Caller::Admin,
            handler: journey_alert,
        },
        Route {
            method: Method::POST,
            path: "/alerts/events",
            // Never open: an event is delivered signed with the business's
            // webhook secrets, so nobody but its own jobs may make one.
            caller: Caller::Admin,
            handler: |req, ctx, _| event(req, ctx),
        },
        Route {
            method: Method::POST,
            path: "/alerts/sla/tick",
            caller: Caller::Component,
            handler: sla_tick,
        },
        Route {
            method: Method::GET,
            path: "/alerts/links/{token}",
            caller: Caller::Presents("anyone holding a link signed with alert_link_secret"),
            handler: show_link,
        },
        Route {
            method: Method::POST,
            path: "/alerts/links/{token}",
            caller: Caller::Presents("anyone holding a link signed with alert_link_secret"),
            handler: |req, ctx, p| follow_link(req, ctx, p.get("token")),
        },
        Route {
            method: Method::GET,
            path: "/alerts/admin/leads/{id}",
            caller: Caller::Admin,
            handler: read_lead,
        },
        Route {
            method: Method::POST,
            path: "/alerts/admin/leads/{id}/claim",
            caller: Caller::Admin,
            handler: claim,
        },
        Route {
            method: Method::POST,
            path: "/alerts/admin/leads/{id}/contacted",
            caller: Caller::Admin,
            handler: contacted,
        },
        Route {
            method: Method::GET,
            path: "/alerts/admin/settings",
            caller: Caller::Admin,
            handler: |req, ctx, _| Ok(admin_doc::handle::<Settings>(req, ctx, &[]).into()),
        },
        Route {
            method: Method::PUT,
            path: "/alerts/admin/settings",
            caller: Caller::Admin,
            handler: |req, ctx, _| changed_doc(admin_doc::handle::<Settings>(req, ctx, &[]), ctx),
        },
        Route {
            method: Method::DELETE,
            path: "/alerts/admin/settings",
            caller: Caller::Admin,
            handler: |req, ctx, _| changed_doc(admin_doc::handle::<Settings>(req, ctx, &[]), ctx),
        },
        Route {
            method: Method::GET,
            path: "/alerts/admin/webhooks",
            caller: Caller::Admin,
            handler: |req, ctx, _| Ok(admin_doc::handle::<Endpoints>(req, ctx, &[]).into()),
        },
        Route {
            method: Method::PUT,
            path: "/alerts/admin/webhooks",
            caller: Caller::Admin,
            handler: put_webhooks,
        },
        Route {
            method: Method::DELETE,
            path: "/alerts/admin/webhooks",
            caller: Caller::Admin,
            handler: |req, ctx, _| changed_doc(admin_doc::handle::<Endpoints>(req, ctx, &[]), ctx),
        },
        Route {
            method: Method::GET,
            path: "/alerts/admin/deliveries",
            caller: Caller::Admin,
            handler: |req, ctx, _| deliveries(req, ctx),
        },
        Route {
            method: Method::GET,
            path: "/alerts/admin/deliveries/{id}",
            caller: Caller::Admin,
            handler: delivery,
        },
        Route {
            method: Method::POST,
            path: "/alerts/admin/deliveries/{id}/redeliver",
            caller: Caller::Admin,
            handler: redeliver,
        },
        Route {
            method: Method::PUT,
            path: "/alerts/admin/members/{id}/away",
            caller: Caller::Admin,
            handler: |req, ctx, p| away(req, ctx, p.get("id")),
        },
        Route {
            method: Method::GET,
            path: "/alerts/admin/speed",
            caller: Caller::Admin,
            handler: speed_report,
        },
    ],
};

/// `DELETE /alerts/admin/people/{lead}`: this job's part of an erase.
fn erase_person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    spin_retention_core::jobs::forget_person(req, ctx, p.get("lead"), |store, lead, _| crate::forget(store, lead))
}

/// `POST /alerts/leads/{id}`: alerts a hot lead's assignee.
///
/// Answered at once (202), the alert sent after the reply: the caller
/// (lead-scoring's after-reply work) is not held while a provider answers.
/// If this instance dies first, the tick's catch-up alerts the lead.
fn alert_lead(_req: &Request, _ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let lead_id = p.get("id").to_string();
    let alert: Task = Box::new(move |ctx: &Ctx| {
        let sent = steps::alert_lead(ctx, &lead_id).and_then(|changed| {
            let events = changed.map(|c| c.events).unwrap_or_default();
            emit::record(ctx, &events)
        });
        match sent {
            Ok(Some(first_attempts)) => first_attempts(ctx),
            Ok(None) => {}
            Err(e) => eprintln!("alerting {lead_id}: {e}"),
        }
        on_the_back(ctx);
    });
    Ok(Outcome::then(Reply::json(202, &json!({"accepted": true})), vec![alert]))
}

/// `POST /alerts/sla/tick?limit=`: the SLA over up to `limit` leads, then
/// the webhook retries that are due.
fn sla_tick(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let limit = req.limit(1000, 1000)? as u64;
    let report = run_tick(ctx, limit)?;
    let reply = Reply::json(200, &report);
    finish(ctx, reply, &report.events)
}

/// `GET /alerts/links/{token}`: the page a signed link opens: who the
/// lead is and the button(s).
fn show_link(_req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let claims = match links::verify(ctx.config, p.get("token"), ctx.now) {
        Ok(claims) => claims,
        Err(refused) => return Ok(links::refused(refused).into()),
    };
    let lead = spin_retention_core::lead::load(ctx.store, &claims.lead_id)?;
    let Some(lead) = lead else { return Ok(gone()) };
    let name = lead.contact.name.clone().unwrap_or_else(|| lead.id.clone());
    let alerts = crate::record::load(ctx.store, &claims.lead_id)?;
    Ok(links::confirm(&claims, &name, &alerts).into())
}

/// `GET /alerts/admin/leads/{id}`: the lead's steps, claim, contact, and
/// its times.
fn read_lead(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let id = p.get("id");
    plain_id(req, id)?;
    let alerts = crate::record::load(ctx.store, id)?;
    if alerts.steps.is_empty() && alerts.claimed.is_none() {
        return Err(Problem::not_found(&req.path)
            .with_detail(format!("lead {id} has not been alerted or claimed"))
            .into());
    }
    let view = LeadView {
        lead_id: id.to_string(),
        timing: speed::timing(id, &alerts),
        alerts,
    };
    Ok(Reply::json(200, &view).into())
}

/// `POST /alerts/admin/leads/{id}/claim`: claims the lead for the member
/// named, else its assignee.
fn claim(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let body: Act = json_body(req)?;
    let by = who(req, ctx, p.get("id"), body.member_id.as_deref())?;
    let (reply, events) = match actions::claim(ctx, p.get("id"), &by, "admin")? {
        ClaimResult::Yours(claimed, events) => (Reply::json(200, &json!({"claimed": claimed})), events),
        ClaimResult::Theirs(claimed) => (already_claimed(&claimed), Vec::new()),
        ClaimResult::InFlight => (in_flight().into(), Vec::new()),
        ClaimResult::NoLead => return Err(no_lead(req, p.get("id"))),
    };
    finish(ctx, reply, &events)
}

/// `POST /alerts/admin/leads/{id}/contacted`: records that the member
/// named, else the assignee, contacted the lead (with an outcome, if given).
fn contacted(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let body: Act = json_body(req)?;
    let outcome = outcome(body.outcome.as_deref())?;
    let by = who(req, ctx, p.get("id"), body.member_id.as_deref())?;
    match actions::contact(ctx, p.get("id"), &by, outcome, "admin")? {
        ContactResult::Recorded {
            contacted,
            first,
            events,
        } => finish(
            ctx,
            Reply::json(200, &json!({"contacted": contacted, "first": first})),
            &events,
        ),
        ContactResult::InFlight(events) => finish(ctx, in_flight().into(), &events),
        ContactResult::NoLead => Err(no_lead(req, p.get("id"))),
    }
}

/// `PUT /alerts/admin/webhooks`: the event webhooks, none at a private host.
fn put_webhooks(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    webhooks::refuse_private_hosts(ctx, &req.body)?;
    changed_doc(admin_doc::handle::<Endpoints>(req, ctx, &[]), ctx)
}

/// `GET /alerts/admin/deliveries/{id}`: one webhook delivery.
fn delivery(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    plain_id(req, p.get("id"))?;
    let delivery = ctx.store.get_json(&keys::delivery(p.get("id")))?;
    let delivery = delivery.ok_or_else(|| Problem::not_found(&req.path))?;
    Ok(Reply::json(200, &delivery).into())
}

/// `POST /alerts/admin/deliveries/{id}/redeliver`: a new series of
/// attempts of a webhook delivery, the first at once.
fn redeliver(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    plain_id(req, p.get("id"))?;
    let delivery = webhooks::redeliver(ctx, p.get("id"))?;
    let delivery = delivery.ok_or_else(|| Problem::not_found(&req.path))?;
    Ok(Reply::json(200, &delivery).into())
}

/// `GET /alerts/admin/speed?from=&to=`: speed to lead per ISO week of
/// intake (default: the last 4 weeks; at most a year).
fn speed_report(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let day = |name: &str, default: NaiveDate| match req.query_param(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<NaiveDate>()
            .map_err(|_| bad_parameter(name, "a date, YYYY-MM-DD")),
    };
    let to = day("to", ctx.now.date_naive())?;
    let from = day("from", to - Duration::days(27))?;
    if !(2000..=2200).contains(&to.year()) || !(2000..=2200).contains(&from.year()) {
        return Err(bad_parameter("from", "dates between the years 2000 and 2200"));
    }
    if from > to || (to - from).num_days() > 370 {
        return Err(bad_parameter("from", "on or before `to`, at most a year before it"));
    }
    let report = speed::report(ctx, &speed::weeks(from, to))?;
    Ok(Reply::json(200, &report).into())
}

/// Records `events` before the reply; their first delivery attempts, and
/// a bounded SLA run once a minute, after it.
fn finish(ctx: &Ctx, reply: Reply, events: &[Event]) -> Result<Outcome, Reply> {
    let mut after: Vec<Task> = emit::record(ctx, events)?.into_iter().collect();
    after.push(Box::new(on_the_back));
    Ok(Outcome::then(reply, after))
}

/// Leads and deliveries one request's back carries.
pub const BACK_LIMIT: u64 = 25;

/// The SLA and webhook retries on the back of a request: the first request
/// of each minute runs them, working on up to [`BACK_LIMIT`] leads and as
/// many deliveries.
pub fn on_the_back(ctx: &Ctx) {
    let run = || -> Result<(), Reply> {
        if !spin_retention_core::turns::first_of_minute(ctx, keys::tick_minute)? {
            return Ok(());
        }
        let report = run_tick(ctx, BACK_LIMIT)?;
        if let Some(task) = emit::record(ctx, &report.events)? {
            task(ctx);
        }
        Ok(())
    };
    if let Err(reply) = run() {
        eprintln!("SLA on the back of a request: HTTP {}", reply.status);
    }
}

/// The SLA over up to `limit` leads, then webhook retries that are due.
fn run_tick(ctx: &Ctx, limit: u64) -> Result<Tick, StoreError> {
    let mut report = Tick::default();
    steps::tick(ctx, limit, &mut report)?;
    report.retried = retry_deliveries(ctx, limit)?;
    Ok(report)
}

/// Attempts the pending deliveries that are due, oldest first.
fn retry_deliveries(ctx: &Ctx, limit: u64) -> Result<u32, StoreError> {
    let mut retried = 0;
    spin_retention_core::walk::unfinished(ctx.store, keys::DELIVERIES, &keys::pending_from(), limit, |entry| {
        let id = String::from_utf8_lossy(entry).into_owned();
        let pending = ctx
            .store
            .get_json(&keys::delivery(&id))?
            .is_some_and(|d| d.status == Status::Pending);
        Ok(match pending {
            false => Visit::Finished,
            true if webhooks::attempt(ctx, &id)? => {
                retried += 1;
                Visit::Worked
            }
            true => Visit::Waiting,
        })
    })?;
    Ok(retried)
}

/// `POST /alerts/events`: an event another job emitted.
fn event(req: &Request, ctx: &Ctx) -> Result<Outcome, Reply> {
    let body: Value = json_body(req)?;
    if !body["type"].as_str().is_some_and(|t| TYPES.contains(&t)) {
        return Err(Problem::new(422, "unknown-event", "Unknown Event")
            .with_detail(format!("the events are {}", TYPES.join(", ")))
            .into());
    }
    // Its type's shape (spin_retention_core::events::What), or a 422 naming
    // what does not fit.
    let event: Event = serde_json::from_value(body)
        .map_err(|e| Problem::new(422, "invalid-event", "Invalid Event").with_detail(e.to_string()))?;
    let mut after: Vec<Task> = Vec::new();
    if matches!(event.what, spin_retention_core::events::What::LeadCreated(_)) {
        crate::digest::count(ctx, &crate::settings::current(ctx.store)?, &event)?;
        if let Some(task) = owner_alert(ctx, &event)? {
            after.push(task);
        }
    }
    after.extend(emit::record(ctx, std::slice::from_ref(&event))?);
    after.push(Box::new(on_the_back));
    Ok(Outcome::then(Reply::json(202, &json!({"id": event.id})), after))
}

/// `POST /alerts/owner/{lead}`'s body: the alert's id (the same id alerts
/// once) and what the owner should do.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JourneyAlert {
    id: String,
    note: String,
}

/// `POST /alerts/owner/{lead}`: a journey's alert to the owner, sent after
/// the reply, once per id (however often the step is tried).
fn journey_alert(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let lead_id = p.get("lead").to_string();
    plain_id(req, &lead_id)?;
    let asked: JourneyAlert = json_body(req)?;
    if asked.id.is_empty() || asked.id.len() > 128 || asked.note.len() > 2000 {
        return Err(Problem::new(422, "invalid-alert", "Invalid Alert")
            .with_detail("an id of 1-128 characters and a note of at most 2000")
            .into());
    }
    if !spin_retention_core::lead::exists(ctx.store, &lead_id)? {
        return Err(no_lead(req, &lead_id));
    }
    let settings = crate::settings::current(ctx.store)?;
    let key = keys::owner_alert(&asked.id);
    if ctx.store.increment(&key, 1)? != 1 {
        return Ok(Reply::json(202, &json!({"id": asked.id, "sent": "before"})).into());
    }
    let mut writes = Vec::new();
    webhooks::remember(ctx.store, &lead_id, &key, &mut writes)?;
    ctx.store.set_many(&writes)?;
    let id = asked.id.clone();
    let send: Task = Box::new(move |ctx: &Ctx| {
        if let Err(e) = steps::alert_owner_for_journey(ctx, &settings, &lead_id, &asked.id, &asked.note) {
            eprintln!("journey alert {}: {e}", asked.id);
        }
    });
    Ok(Outcome::then(
        Reply::json(202, &json!({"id": id, "sent": "now"})),
        vec![send],
    ))
}

/// A submission to a form whose every submission alerts the owner.
fn owner_alert(ctx: &Ctx, event: &Event) -> Result<Option<Task>, StoreError> {
    let settings = crate::settings::current(ctx.store)?;
    let spin_retention_core::events::What::LeadCreated(submitted) = &event.what else {
        return Ok(None);
    };
    let form = submitted.form.as_deref().unwrap_or_default();
    if !spin_retention_core::events::names_form(&settings.owner_alert_forms, form) {
        return Ok(None);
    }
    let (lead_id, submission_id) = (submitted.lead_id.clone(), submitted.submission_id.clone());
    Ok(Some(Box::new(move |ctx: &Ctx| {
        // Once per submission, however often intake's event arrives; the
        // counter is logged under the person, for erase.
        let key = keys::owner_alert(&submission_id);
        let first = ctx.store.increment(&key, 1).map(|n| n == 1);
        if let Err(e) = first.and_then(|first| match first {
            true => {
                let mut writes = Vec::new();
                webhooks::remember(ctx.store, &lead_id, &key, &mut writes)?;
                ctx.store.set_many(&writes)?;
                steps::alert_owner_of_submission(ctx, &settings, &lead_id, &submission_id)
            }
            false => Ok(()),
        }) {
            eprintln!("owner alert for {submission_id}: {e}");
        }
    })))
}

/// 409, a problem document that also names the claim in force (an
/// extension member, as RFC 9457 allows).
fn already_claimed(claimed: &crate::record::Claimed) -> Reply {
    let problem = Problem::new(409, "already-claimed", "Already Claimed")
        .with_detail(format!("{} claimed this lead first", claimed.by.name));
    let mut body = serde_json::to_value(&problem).expect("problems serialise");
    body["claimed"] = json!(claimed);
    Reply {
        status: 409,
        headers: vec![("content-type".into(), spin_retention_core::problem::CONTENT_TYPE.into())],
        body: body.to_string().into_bytes(),
    }
}

fn in_flight() -> Problem {
    Problem::new(409, "in-progress", "In Progress")
        .with_detail("another request is recording this right now; try again in a moment")
}

fn no_lead(req: &Request, lead_id: &str) -> Reply {
    Problem::not_found(&req.path)
        .with_detail(format!("no lead {lead_id}"))
        .into()
}

/// Lead and delivery ids never hold `:`, which would name another key
/// (a counter) in the store.
fn plain_id(req: &Request, id: &str) -> Result<(), Reply> {
    match id.contains(':') {
        true => Err(Problem::not_found(&req.path).into()),
        false => Ok(()),
    }
}

fn gone() -> Outcome {
    links::refused(links::Refused::Invalid).into()
}

/// `POST /alerts/links/<token>`: the button on a link's page.
fn follow_link(req: &Request, ctx: &Ctx, token: &str) -> Result<Outcome, Reply> {
    let claims = match links::verify(ctx.config, token, ctx.now) {
        Ok(claims) => claims,
        Err(refused) => return Ok(links::refused(refused).into()),
    };
    if !spin_retention_core::lead::exists(ctx.store, &claims.lead_id)? {
        return Ok(gone());
    }
    let Some(by) = steps::person(ctx, &claims.who)? else {
        return Ok(gone());
    };
    let fields = spin_retention_core::body::parse(req.header("content-type"), &req.body, Default::default())?;
    let given = fields.iter().find(|(k, _)| k == "outcome").map(|(_, v)| v.as_str());
    match claims.action {
        Action::Claim => match actions::claim(ctx, &claims.lead_id, &by, "link")? {
            ClaimResult::Yours(claimed, events) => finish(ctx, links::claimed_page(&claimed, true), &events),
            ClaimResult::Theirs(claimed) => Ok(links::claimed_page(&claimed, false).into()),
            ClaimResult::InFlight => Ok(links::in_flight().into()),
            ClaimResult::NoLead => Ok(gone()),
        },
        Action::Contact => {
            let outcome = outcome(given.filter(|o| !o.is_empty()))?;
            match actions::contact(ctx, &claims.lead_id, &by, outcome, "link")? {
                ContactResult::Recorded {
                    contacted,
                    first,
                    events,
                } => finish(ctx, links::contacted_page(&contacted, first), &events),
                ContactResult::InFlight(events) => finish(ctx, links::in_flight(), &events),
                ContactResult::NoLead => Ok(gone()),
            }
        }
    }
}

/// A JSON body; an empty one is `{}`.
fn json_body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Reply> {
    let body: &[u8] = if req.body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &req.body
    };
    serde_json::from_slice(body).map_err(|e| {
        Problem::new(422, "invalid-body", "Invalid Body")
            .with_detail(e.to_string())
            .into()
    })
}

fn outcome(given: Option<&str>) -> Result<Option<ContactOutcome>, Reply> {
    match given {
        None => Ok(None),
        Some(o) => ContactOutcome::parse(o).map(Some).ok_or_else(|| {
            let names: Vec<&str> = ContactOutcome::ALL.iter().map(|o| o.name()).collect();
            bad_parameter("outcome", &format!("one of {}", names.join(", ")))
        }),
    }
}

/// Who an admin acts for: the member named, else the lead's assignee.
fn who(req: &Request, ctx: &Ctx, lead_id: &str, member_id: Option<&str>) -> Result<Person, Reply> {
    if !spin_retention_core::lead::exists(ctx.store, lead_id)? {
        return Err(Problem::not_found(&req.path)
            .with_detail(format!("no lead {lead_id}"))
            .into());
    }
    let named = match member_id {
        Some(id) => steps::person(ctx, id)?
            .ok_or_else(|| bad_parameter("member_id", &format!("no team member \"{id}\" (or `owner`)")))?,
        None => match crate::record::load(ctx.store, lead_id)?.current() {
            Some(step) => step.to.clone(),
            None => {
                return Err(bad_parameter(
                    "member_id",
                    "the lead has not been alerted: name who acts",
                ))
            }
        },
    };
    Ok(named)
}

/// After a settings or webhooks change: what the emitters look at follows.
fn changed_doc(reply: Reply, ctx: &Ctx) -> Result<Outcome, Reply> {
    if reply.status < 300 {
        webhooks::write_interest(ctx.store)?;
    }
    Ok(reply.into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwayBody {
    away: bool,
    #[serde(default)]
    until: Option<chrono::DateTime<chrono::Utc>>,
}

/// `PUT /alerts/admin/members/<id>/away`: `{"away": true, "until": ...}`.
fn away(req: &Request, ctx: &Ctx, member_id: &str) -> Result<Outcome, Reply> {
    let body: AwayBody = json_body(req)?;
    if steps::person(ctx, member_id)?.is_none_or(|p| p.member_id.is_none()) {
        return Err(Problem::not_found(&req.path)
            .with_detail(format!("no team member \"{member_id}\" in the scoring rules"))
            .into());
    }
    let key = spin_retention_core::team::away_key(member_id);
    if body.away {
        let away = spin_retention_core::team::Away {
            since: ctx.now,
            until: body.until,
        };
        ctx.store.set_json(&key, &away)?;
    } else {
        ctx.store.delete(&key)?;
    }
    Ok(Reply::json(
        200,
        &json!({"member_id": member_id, "away": body.away, "until": body.until}),
    )
    .into())
}

/// `GET /alerts/admin/deliveries?status=&limit=&before=`: newest first.
fn deliveries(req: &Request, ctx: &Ctx) -> Result<Outcome, Reply> {
    let limit = req.limit(50, 500)? as u64;
    let status = match req.query_param("status").as_deref() {
        None => None,
        Some("pending") => Some(Status::Pending),
        Some("delivered") => Some(Status::Delivered),
        Some("failed") => Some(Status::Failed),
        Some(_) => return Err(bad_parameter("status", "pending, delivered or failed")),
    };
    let len = spin_retention_core::slots::len(ctx.store, keys::DELIVERIES)?;
    let mut before = match req.query_param("before") {
        None => len + 1,
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| bad_parameter("before", "a cursor from `next`"))?
            .min(len + 1),
    };
    let mut items = Vec::new();
    // Reads back in pages until `limit` match (a filter may skip many),
    // reading at most ten times `limit` slots; `next` goes on from there.
    let floor = before.saturating_sub(limit.saturating_mul(10)).max(1);
    while before > floor && (items.len() as u64) < limit {
        let from = before.saturating_sub(limit).max(floor);
        let page = spin_retention_core::slots::read(ctx.store, keys::DELIVERIES, from, before - 1)?;
        let mut stopped = None;
        for (slot, bytes) in page.into_iter().rev() {
            let id = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(d) = ctx.store.get_json(&keys::delivery(&id))? {
                // A redelivered one is listed at its latest slot only.
                let latest = d.slot == 0 || d.slot == slot;
                if latest && status.is_none_or(|s| s == d.status) {
                    items.push(d);
                    if items.len() as u64 == limit {
                        stopped = Some(slot);
                        break;
                    }
                }
            }
        }
        before = stopped.unwrap_or(from);
    }
    let next = (before > 1).then(|| before.to_string());
    Ok(Reply::json(200, &json!({"deliveries": items, "next": next})).into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn answers_health_and_not_found() {
        spin_retention_core::jobs::testing::answers_health_and_not_found(&super::JOB);
    }
}
