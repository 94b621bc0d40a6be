//! journeys: its routes are the table of [`JOB`]: method, path, who may
//! call, handler.

use crate::document::{Catalogue, Journey, Status};
use crate::instance::{self, instance_id};
use crate::{due, erase, keys, unsubscribe};
use serde_json::json;
use spin_retention_core::admin_doc::{self, Document, Stored};
use spin_retention_core::contracts::journeys::{Funnel, FunnelStep, Overview, PersonJourneys, SetStatus, Summary};
use spin_retention_core::happened::{Happened, Interest};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{Job, Outcome, Task, ALERTS, SCORING, SURVEY};
use spin_retention_core::keys::Key;
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::routes::{Caller, Method, Params, Route};
use spin_retention_core::store::{counter, json_bytes, JsonStore, StoreError};
use std::collections::BTreeSet;

pub const JOB: Job = Job {
    name: "journeys",
    prefix: "/journeys",
    // Survey invitations: survey makes each person's link; lead-alerts
    // hears of the `journey.*` events a webhook wants; lead-scoring scores
    // a person again once a step changed their tags.
    handoffs: &[SURVEY, ALERTS, SCORING],
    streamed: &[],
    routes: &[
        Route {
            // lead-intake's erase, handed to every job that keeps something
            // of the person (core::jobs::ERASE).
            method: Method::DELETE,
            path: "/journeys/admin/people/{lead}",
            caller: Caller::Component,
            handler: erase_person,
        },
        Route {
            method: Method::GET,
            path: "/journeys/admin/people/{lead}",
            caller: Caller::Admin,
            handler: person,
        },
        Route {
            method: Method::POST,
            path: "/journeys/events",
            caller: Caller::Component,
            handler: events,
        },
        Route {
            method: Method::POST,
            path: "/journeys/admin/tick",
            caller: Caller::Component,
            handler: tick,
        },
        Route {
            method: Method::GET,
            path: "/journeys/admin/journeys",
            caller: Caller::Admin,
            handler: |req, ctx, _| Ok(admin_doc::handle::<Catalogue>(req, ctx, &[]).into()),
        },
        Route {
            method: Method::PUT,
            path: "/journeys/admin/journeys",
            caller: Caller::Admin,
            handler: set_journeys,
        },
        Route {
            method: Method::GET,
            path: "/journeys/admin/journeys/{id}",
            caller: Caller::Admin,
            handler: report,
        },
        Route {
            method: Method::GET,
            path: "/journeys/admin/journeys/{id}/funnel",
            caller: Caller::Admin,
            handler: funnel,
        },
        Route {
            method: Method::GET,
            path: "/journeys/admin/overview",
            caller: Caller::Admin,
            handler: overview,
        },
        Route {
            // The dashboard's pause and resume.
            method: Method::POST,
            path: "/journeys/admin/journeys/{id}/status",
            caller: Caller::Admin,
            handler: set_status,
        },
        Route {
            method: Method::POST,
            path: "/journeys/admin/journeys/{id}/simulate",
            caller: Caller::Admin,
            handler: simulate,
        },
        Route {
            method: Method::PUT,
            path: "/journeys/admin/coupons/{pool}",
            caller: Caller::Admin,
            handler: upload_coupons,
        },
        Route {
            method: Method::GET,
            path: "/journeys/admin/coupons/{pool}",
            caller: Caller::Admin,
            handler: coupon_pool,
        },
        Route {
            // Twilio's inbound-message webhook: STOP and START.
            method: Method::POST,
            path: "/journeys/sms/inbound",
            caller: Caller::Presents("Twilio's signature (X-Twilio-Signature) of a reply to an SMS"),
            handler: |req, ctx, _| Ok(crate::sms_stop::inbound(req, ctx)?.into()),
        },
        Route {
            // A tracked link of a message: the click, then the link.
            method: Method::GET,
            path: "/journeys/c/{token}",
            caller: Caller::Presents("a tracked link of a journey's message"),
            handler: |_, ctx, p| Ok(crate::clicks::follow(ctx, p.get("token"))?.into()),
        },
        Route {
            method: Method::GET,
            path: "/journeys/unsubscribe/{token}",
            caller: Caller::Presents("the signed unsubscribe link of a marketing email"),
            handler: |req, ctx, p| Ok(unsubscribe::show(req, ctx, p.get("token")).into()),
        },
        Route {
            // RFC 8058: no cookie, no credentials, and never a redirect.
            method: Method::POST,
            path: "/journeys/unsubscribe/{token}",
            caller: Caller::Presents("the signed unsubscribe link of a marketing email"),
            handler: |req, ctx, p| Ok(unsubscribe::one_click(req, ctx, p.get("token"))?.into()),
        },
    ],
};

/// `DELETE /journeys/admin/people/{lead}`: this job's part of an erase.
fn erase_person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    spin_retention_core::jobs::forget_person(req, ctx, p.get("lead"), |store, lead, _| erase::forget(store, lead))
}

/// `POST /journeys/events`' answer: what each event did.
#[derive(serde::Serialize)]
struct EventsHeard<'a> {
    events: Vec<EventHeard<'a>>,
}

#[derive(serde::Serialize)]
struct EventHeard<'a> {
    id: &'a str,
    heard: instance::Heard,
}

/// Events in one `POST /journeys/events`.
const MAX_EVENTS: usize = 500;

/// `POST /journeys/events`: what happened (customers' purchases and
/// activities, a list of [`Happened`]): exits, then entries.
fn events(req: &Request, ctx: &Ctx, _: &Params) -> Result<Outcome, Reply> {
    let happened: Vec<Happened> = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(422, "invalid-events", "Invalid Events").with_detail(format!("a list of events: {e}"))
    })?;
    if happened.len() > MAX_EVENTS {
        return Err(Problem::new(413, "too-many-events", "Too Many Events")
            .with_detail(format!("at most {MAX_EVENTS} in one request"))
            .into());
    }
    let (catalogue, _) = admin_doc::current::<Catalogue>(ctx.store)?;
    let mut heard = Vec::new();
    let mut raised = Vec::new();
    for h in &happened {
        let mut what = instance::hear(ctx, &catalogue, h)?;
        raised.append(&mut what.raised);
        heard.push(EventHeard { id: &h.id, heard: what });
    }
    let mut after: Vec<Task> = spin_retention_core::events::emit_all(ctx.store, raised)?
        .into_iter()
        .collect();
    after.push(Box::new(on_the_back));
    Ok(Outcome::then(Reply::json(200, &EventsHeard { events: heard }), after))
}

/// Steps taken on the back of a request, without a scheduler: the first
/// request of each minute, after its reply, takes a few due steps.
const BACK_LIMIT: u64 = 20;

fn on_the_back(ctx: &Ctx) {
    let run = || -> Result<(), StoreError> {
        if spin_retention_core::turns::first_of_minute(ctx, keys::tick_turn)? {
            let ticked = due::tick(ctx, BACK_LIMIT)?;
            if let Some(tell) = spin_retention_core::events::emit_all(ctx.store, ticked.raised)? {
                tell(ctx);
            }
        }
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("journeys: due steps on the back of a request: {e}");
    }
}

/// `POST /journeys/admin/tick?limit=`: the steps due by now (the
/// scheduler's, through lead-intake's one tick).
fn tick(req: &Request, ctx: &Ctx, _: &Params) -> Result<Outcome, Reply> {
    let limit = req.limit(200, 1000)?;
    let ticked = due::tick(ctx, limit as u64)?;
    let reply = Reply::json(
        200,
        &json!({ "worked": ticked.worked, "minutes": ticked.minutes, "mark": ticked.mark, "done": !ticked.more }),
    );
    let tell = spin_retention_core::events::emit_all(ctx.store, ticked.raised)?;
    Ok(Outcome::then(reply, tell.into_iter().collect()))
}

/// `PUT /journeys/admin/journeys`: the whole document, checked (a 422
/// names each bad field). Each journey's version is kept apart (people in
/// it finish on theirs), and what the journeys listen for is written for
/// the jobs that tell them.
fn set_journeys(req: &Request, ctx: &Ctx, _: &Params) -> Result<Outcome, Reply> {
    if req.body.len() > Catalogue::MAX_BYTES {
        return Err(Problem::too_large(Catalogue::MAX_BYTES).into());
    }
    let (catalogue, filled) = Catalogue::parse_with_defaults(&req.body).map_err(|p| p.with_instance(&req.path))?;
    let version = catalogue.version();
    save(ctx, catalogue)?;
    Ok(Reply::json(
        200,
        &json!({ "version": version, "next": Catalogue::NEXT, "defaults_filled": filled }),
    )
    .into())
}

/// The largest coupon upload (10,000 codes of 64 characters, quoted).
const MAX_COUPON_BYTES: usize = 10_000 * 70;

fn pool_id<'a>(req: &Request, p: &'a Params) -> Result<&'a str, Reply> {
    let pool = p.get("pool");
    match crate::document::plain(pool) {
        true => Ok(pool),
        false => Err(Problem::not_found(&req.path)
            .with_detail("a pool id is lowercase letters, digits and -")
            .into()),
    }
}

/// `PUT /journeys/admin/coupons/{pool}`: adds codes to the pool.
fn upload_coupons(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let pool = pool_id(req, p)?;
    if req.body.len() > MAX_COUPON_BYTES {
        return Err(Problem::too_large(MAX_COUPON_BYTES).into());
    }
    let figures = crate::coupons::upload(ctx.store, pool, &req.body).map_err(|p| p.with_instance(&req.path))?;
    Ok(Reply::json(200, &figures).into())
}

/// `GET /journeys/admin/coupons/{pool}`: codes uploaded, issued, left, low.
fn coupon_pool(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let pool = pool_id(req, p)?;
    Ok(Reply::json(200, &crate::coupons::figures(ctx.store, pool)?).into())
}

/// Writes the document: each journey's version kept apart (people in it
/// finish on theirs), every id ever set (for erase), what the journeys
/// listen for (for the jobs that tell them), and the document.
fn save(ctx: &Ctx, catalogue: Catalogue) -> Result<(), StoreError> {
    let store = ctx.store;
    let mut known: BTreeSet<String> = store
        .get_json(&keys::known())?
        .unwrap_or_default()
        .into_iter()
        .collect();
    known.extend(catalogue.journeys.iter().map(|j| j.id.clone()));
    let mut writes: Vec<(String, Vec<u8>)> = catalogue
        .journeys
        .iter()
        .map(|j| keys::version(&j.id, &j.version()).entry(j))
        .collect();
    writes.push(keys::known().entry(&known.into_iter().collect()));
    writes.push(keys::interest().entry(&interest(&catalogue)));
    let stored: Key<Stored<Catalogue>> = Key::new(Catalogue::KEY);
    writes.push((
        stored.to_string(),
        json_bytes(&Stored {
            document: catalogue,
            updated_at: ctx.now,
        }),
    ));
    due::start_marking(store, ctx.now)?;
    store.set_many(&writes)?;
    Ok(())
}

/// `POST /journeys/admin/journeys/{id}/simulate`: the dry run
/// ([`crate::simulate`]); nothing is sent or written.
fn simulate(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let path = crate::simulate::run(ctx, p.get("id"), &req.body)?;
    Ok(Reply::json(200, &path).into())
}

/// What the journeys enter on (live ones) and exit on (live or paused,
/// whose people are still in them).
pub fn interest(catalogue: &Catalogue) -> Interest {
    let mut names = BTreeSet::new();
    for j in &catalogue.journeys {
        match crate::armed::Timed::of(&j.enters_on) {
            // A paused date journey's dates keep moving.
            Some(timed) if j.status != Status::Archived => {
                names.extend(timed.armed_by().into_iter().map(str::to_string))
            }
            None if j.status == Status::Live => {
                names.insert(j.enters_on.clone());
            }
            _ => {}
        }
        if j.status != Status::Archived {
            if j.enters_on == crate::goal::DETRACTOR {
                names.insert("survey.answered".to_string());
            }
            names.extend(j.exits_on.iter().cloned());
            names.extend(j.goal.iter().map(|g| g.event.clone()));
            names.extend(j.steps.iter().filter_map(|s| match s {
                crate::document::Step::WaitFor(w) => Some(w.event.clone()),
                _ => None,
            }));
        }
    }
    Interest {
        names: names.into_iter().collect(),
    }
}

/// Every figure a journey counts, in the report's order (`exited:event:<name>`
/// for each exit it names besides these).
const FIGURES: &[&str] = &[
    "entered",
    "held_out",
    "sent",
    "held_out_sends",
    "failed",
    "deferred:quiet_hours",
    "deferred:contact_pressure",
    "deferred:paused",
    "deferred:provider",
    "deferred:no_provider",
    "deferred:no_link_secret",
    "deferred:no_https_public_url",
    "skipped:no_consent",
    "skipped:no_address",
    "skipped:expired",
    "skipped:survey_throttled",
    "skipped:sms_stopped",
    "deferred:survey",
    "deferred:alerts",
    "alerted",
    "tagged",
    "deferred:scoring",
    "clicked",
    "clicks",
    "split:taken",
    "wait_for:heard",
    "wait_for:timed_out",
    "coupons:issued",
    "deferred:no_coupon",
    "exited:completed",
    "exited:unsubscribed",
    "exited:gone",
    "exited:archived",
];

/// Every figure of `journey` ([`FIGURES`], and an exit by each event it
/// names), zeros included.
fn figures(store: &dyn spin_retention_core::store::Store, journey: &Journey) -> Result<Vec<(String, u64)>, StoreError> {
    let exits = journey.exits_on.iter().map(|e| format!("exited:event:{e}"));
    let recovered = (journey.enters_on == crate::goal::DETRACTOR)
        .then(|| ["recovered:treated", "recovered:holdout"].map(str::to_string))
        .into_iter()
        .flatten();
    FIGURES
        .iter()
        .map(|f| f.to_string())
        .chain(recovered)
        .chain(exits)
        .map(|what| Ok((what.clone(), counter(store, &keys::count(&journey.id, &what))?)))
        .collect()
}

/// `GET /journeys/admin/journeys/{id}/funnel`: how people went on from
/// each step (the dashboard's journey page).
fn funnel(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let (catalogue, _) = admin_doc::current::<Catalogue>(ctx.store)?;
    let Some(journey) = catalogue.journeys.iter().find(|j| j.id == p.get("id")) else {
        return Err(Problem::not_found(&req.path).with_detail("no such journey").into());
    };
    let mut steps = Vec::new();
    for (n, step) in journey.steps.iter().enumerate() {
        let mut outcomes = std::collections::BTreeMap::new();
        for name in crate::instance::Outcome::FUNNEL {
            let count = counter(ctx.store, &keys::count(&journey.id, &format!("step:{n}:{name}")))?;
            if count > 0 {
                outcomes.insert(name.to_string(), count);
            }
        }
        let (kind, label) = crate::document::describe(step);
        steps.push(FunnelStep {
            step: n,
            kind: kind.to_string(),
            label,
            outcomes,
        });
    }
    let entered = counter(ctx.store, &keys::count(&journey.id, "entered"))?;
    let answer = Funnel {
        id: journey.id.clone(),
        name: journey.name.clone(),
        entered,
        steps,
    };
    Ok(Reply::json(200, &answer).into())
}

/// `GET /journeys/admin/overview`: every journey, its figures above zero
/// and its lift (the dashboard's page).
fn overview(_req: &Request, ctx: &Ctx, _: &Params) -> Result<Outcome, Reply> {
    let (catalogue, _) = admin_doc::current::<Catalogue>(ctx.store)?;
    let mut journeys = Vec::new();
    for journey in &catalogue.journeys {
        journeys.push(Summary {
            id: journey.id.clone(),
            name: journey.name.clone(),
            status: status_name(journey.status).into(),
            purpose: match journey.purpose {
                crate::document::Purpose::Marketing => "marketing".into(),
                crate::document::Purpose::Transactional => "transactional".into(),
            },
            enters_on: journey.enters_on.clone(),
            priority: journey.priority,
            version: journey.version(),
            figures: figures(ctx.store, journey)?
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
            lift: crate::goal::lift(ctx.store, journey, &catalogue.settings)?,
        });
    }
    Ok(Reply::json(200, &Overview { journeys }).into())
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Live => "live",
        Status::Paused => "paused",
        Status::Archived => "archived",
    }
}

/// `POST /journeys/admin/journeys/{id}/status`: live, paused or archived,
/// the rest of the document as it is (a status is not a new version).
fn set_status(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let asked: SetStatus = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(422, "invalid-status", "Invalid Status").with_detail(format!("{{\"status\": \"live\"}}: {e}"))
    })?;
    let status = match asked.status.as_str() {
        "live" => Status::Live,
        "paused" => Status::Paused,
        "archived" => Status::Archived,
        _ => {
            return Err(Problem::new(422, "invalid-status", "Invalid Status")
                .with_field_error("status", "live, paused or archived")
                .into())
        }
    };
    let (mut catalogue, _) = admin_doc::current::<Catalogue>(ctx.store)?;
    let Some(journey) = catalogue.journeys.iter_mut().find(|j| j.id == p.get("id")) else {
        return Err(Problem::not_found(&req.path).with_detail("no such journey").into());
    };
    journey.status = status;
    save(ctx, catalogue)?;
    Ok(Reply::json(200, &asked).into())
}

/// `GET /journeys/admin/journeys/{id}`'s answer.
#[derive(serde::Serialize)]
struct Report<'a> {
    journey: &'a crate::document::Journey,
    version: String,
    figures: serde_json::Map<String, serde_json::Value>,
    lift: crate::goal::Lift,
    coupons: Vec<crate::coupons::Pool>,
}

/// `GET /journeys/admin/journeys/{id}`: the journey as set and its figures.
fn report(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let (catalogue, _) = admin_doc::current::<Catalogue>(ctx.store)?;
    let Some(journey) = catalogue.journeys.iter().find(|j| j.id == p.get("id")) else {
        return Err(Problem::not_found(&req.path).with_detail("no such journey").into());
    };
    let figures = figures(ctx.store, journey)?
        .into_iter()
        .map(|(what, n)| (what, json!(n)))
        .collect();
    let lift = crate::goal::lift(ctx.store, journey, &catalogue.settings)?;
    let mut pools = BTreeSet::new();
    for step in &journey.steps {
        if let crate::document::Step::Send(send) = step {
            pools.extend(send.coupon.clone());
        }
    }
    let coupons = pools
        .iter()
        .map(|pool| crate::coupons::figures(ctx.store, pool))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::json(
        200,
        &Report {
            journey,
            version: journey.version(),
            figures,
            lift,
            coupons,
        },
    )
    .into())
}

/// `GET /journeys/admin/people/{lead}`: every journey the person went
/// through, with each step's outcome (the contract's `PersonJourneys`).
fn person(_req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    let lead_id = p.get("lead");
    let store = ctx.store;
    let mut journeys = Vec::new();
    let known: Vec<String> = store.get_json(&keys::known())?.unwrap_or_default();
    for journey in known {
        for n in 1..=counter(store, &keys::entries(&journey, lead_id))? {
            if let Some(through) = instance::history(store, &instance_id(&journey, lead_id, n))? {
                journeys.push(through.view());
            }
        }
    }
    journeys.sort_by_key(|t| std::cmp::Reverse(t.instance.entered_at));
    let answer = PersonJourneys {
        lead_id: lead_id.to_string(),
        journeys,
    };
    Ok(Reply::json(200, &answer).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::jobs::testing::answers_health_and_not_found;

    #[test]
    fn answers_health_and_404_elsewhere() {
        answers_health_and_not_found(&JOB);
    }
}
