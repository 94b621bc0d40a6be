//! customers: purchases, refunds, subscriptions and activity in (its own
//! API, imports, Stripe and Shopify webhooks); per-customer value, tiers,
//! RFM and slipping; retention metrics.
//!
//! Its routes are the table of [`JOB`]: method, path, who may call, handler.
//! Requests that record events also run a batch of the refresh on their
//! back, at most once a minute app-wide ([`on_the_back`]), so a deployment
//! without a scheduler still recomputes RFM and notices slipping customers.

use crate::event::{self, Incoming};
use crate::keys;
use crate::metrics::{self, Period};
use crate::record::{self, Recorded};
use crate::refresh;
use crate::settings::Settings;
use crate::{import, shopify, stripe};
use chrono::{Datelike, NaiveDate};
use serde_json::{json, Value};
use spin_retention_core::admin_doc;
use spin_retention_core::contracts::customers::{CustomerView, RefreshState, RfmView};
use spin_retention_core::http::{bad_parameter, Reply, Request};
use spin_retention_core::jobs::{calls, tell_in_turn, Job, Outcome, Task, ALERTS, INTAKE, JOURNEYS, SCORING};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::routes::{Caller, Method, Params, Route};
use spin_retention_core::store::JsonStore;
use spin_retention_core::turns::first_of_minute;

pub const JOB: Job = Job {
    name: "customers",
    prefix: "/customers",
    handoffs: &[INTAKE, SCORING, ALERTS, JOURNEYS],
    streamed: &["/customers/admin/import"],
    routes: &[
        Route {
            // lead-intake's erase, handed to every job that keeps something
            // of the person (core::jobs::ERASE).
            method: Method::DELETE,
            path: "/customers/admin/people/{lead}",
            caller: Caller::Component,
            handler: erase_person,
        },
        Route {
            method: Method::POST,
            path: "/customers/events",
            caller: Caller::Checked {
                who: "the customer_events_token, as a bearer token",
                check: has_events_token,
            },
            handler: |req, ctx, _| events(req, ctx),
        },
        Route {
            method: Method::POST,
            path: "/customers/stripe",
            caller: Caller::Checked {
                who: "Stripe, signing with stripe_webhook_secret (Stripe-Signature)",
                check: signed_by_stripe,
            },
            handler: |req, ctx, _| webhook(ctx, stripe::event(&req.body, ctx.now), "stripe"),
        },
        Route {
            method: Method::POST,
            path: "/customers/shopify",
            caller: Caller::Checked {
                who: "Shopify, signing with shopify_webhook_secret (X-Shopify-Hmac-Sha256)",
                check: signed_by_shopify,
            },
            handler: shopify_webhook,
        },
        Route {
            method: Method::POST,
            path: "/customers/admin/import",
            caller: Caller::Admin,
            handler: |req, ctx, _| Ok(Outcome::then(import::import(req, ctx)?, vec![Box::new(on_the_back)])),
        },
        Route {
            method: Method::GET,
            path: "/customers/admin/customers/{id}",
            caller: Caller::Admin,
            handler: |req, ctx, p| customer(req, ctx, p.get("id")),
        },
        Route {
            method: Method::GET,
            path: "/customers/admin/metrics",
            caller: Caller::Admin,
            handler: |req, ctx, _| read_metrics(req, ctx),
        },
        Route {
            method: Method::GET,
            path: "/customers/admin/rfm",
            caller: Caller::Admin,
            handler: rfm,
        },
        Route {
            method: Method::GET,
            path: "/customers/admin/settings",
            caller: Caller::Admin,
            handler: |req, ctx, _| Ok(admin_doc::handle::<Settings>(req, ctx, &[]).into()),
        },
        Route {
            method: Method::PUT,
            path: "/customers/admin/settings",
            caller: Caller::Admin,
            handler: |req, ctx, _| Ok(admin_doc::handle::<Settings>(req, ctx, &[]).into()),
        },
        Route {
            method: Method::DELETE,
            path: "/customers/admin/settings",
            caller: Caller::Admin,
            handler: |req, ctx, _| Ok(admin_doc::handle::<Settings>(req, ctx, &[]).into()),
        },
        Route {
            method: Method::POST,
            path: "/customers/admin/refresh",
            // Admin: a restart throws the run away and re-tells scoring of
            // every customer, so it is never open.
            caller: Caller::Admin,
            handler: run_refresh,
        },
    ],
};

/// `DELETE /customers/admin/people/{lead}`: this job's part of an erase.
fn erase_person(req: &Request, ctx: &Ctx, p: &Params) -> Result<Outcome, Reply> {
    spin_retention_core::jobs::forget_person(req, ctx, p.get("lead"), |store, lead, _| crate::forget(store, lead))
}

/// The check of `POST /customers/events`: the customer_events_token, as a
/// bearer token.
fn has_events_token(req: &Request, ctx: &Ctx) -> Result<(), Reply> {
    let token = secret(ctx, "customer_events_token")?;
    spin_retention_core::auth::require_bearer(req, &token, "the customer_events_token is required")
}

/// The check of `POST /customers/stripe`: Stripe's signature
/// (Stripe-Signature) with the stripe_webhook_secret.
fn signed_by_stripe(req: &Request, ctx: &Ctx) -> Result<(), Reply> {
    let secret = secret(ctx, "stripe_webhook_secret")?;
    Ok(stripe::verify(
        req.header("stripe-signature"),
        &req.body,
        &secret,
        ctx.now,
    )?)
}

/// The check of `POST /customers/shopify`: Shopify's signature
/// (X-Shopify-Hmac-Sha256) with the shopify_webhook_secret.
fn signed_by_shopify(req: &Request, ctx: &Ctx) -> Result<(), Reply> {
    let secret = secret(ctx, "shopify_webhook_secret")?;
    Ok(shopify::verify(
        req.header("x-shopify-hmac-sha256"),
        &req.body,
        &secret,
    )?)
}

/// `POST /customers/shopify`: a Shopify webhook, read by its topic.
fn shopify_webhook(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let topic = req.header("x-shopify-topic").unwrap_or_default();
    webhook(ctx, shopify::event(topic, &req.body, ctx.now), "shopify")
}

/// `GET /customers/admin/rfm`: the RFM quintiles and the refresh run.
fn rfm(_req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let quintiles = ctx.store.get_json(&keys::rfm_quintiles())?;
    let run = ctx.store.get_json(&keys::customers_refresh())?;
    let refresh = run.map(|r: refresh::Refresh| RefreshState {
        run: r.run,
        phase: r.phase,
        done: r.done,
        gathered: r.gathered,
        applied: r.applied,
        changed: r.changed,
        raised: r.raised,
    });
    Ok(Reply::json(200, &RfmView { quintiles, refresh }).into())
}

/// `POST /customers/admin/refresh?limit=&restart=`: one batch of the
/// refresh run (`restart=true` starts it over).
fn run_refresh(req: &Request, ctx: &Ctx, _params: &Params) -> Result<Outcome, Reply> {
    let limit = req.limit(200, 500)?;
    let restart = req.query_param("restart").as_deref() == Some("true");
    let batch = refresh::batch(ctx, limit, restart)?;
    let reply = Reply::json(200, &batch.refresh);
    // The events first: their signal is taken once, and they must not
    // wait behind hundreds of tells.
    let mut after = emitted(ctx, batch.events)?;
    after.extend(spin_retention_core::happened::tell(ctx.store, batch.happened)?);
    after.push(tell_scoring(batch.tell));
    Ok(Outcome::then(reply, after))
}

/// Events in one `POST /customers/events`.
pub const MAX_EVENTS: usize = 500;
/// A body of events, at most (2 KiB an event; the host reads no more).
const MAX_EVENTS_BYTES: usize = MAX_EVENTS * 2 * 1024;
/// Leads told to lead-scoring after one request; the refresh run and the
/// next event catch up the rest.
const MAX_TELLS: usize = 100;
/// Customers a refresh batch on the back of a request visits.
const BACK_LIMIT: usize = 50;

fn secret(ctx: &Ctx, variable: &str) -> Result<String, Reply> {
    ctx.config.get(variable).ok_or_else(|| {
        Problem::new(403, "receiver-disabled", "Receiver Disabled")
            .with_detail(format!("set the {variable} variable to receive these webhooks"))
            .into()
    })
}

/// `POST /customers/events`: one event (201, or 200 for a duplicate) or
/// `{"events": [...]}` (200, each event's result in order).
fn events(req: &Request, ctx: &Ctx) -> Result<Outcome, Reply> {
    if req.body.len() > MAX_EVENTS_BYTES {
        return Err(Problem::too_large(MAX_EVENTS_BYTES).into());
    }
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|e| Problem::new(400, "malformed-body", "Malformed Body").with_detail(format!("not JSON: {e}")))?;
    let (many, values) = match body {
        Value::Object(mut o) if o.contains_key("events") => match o.remove("events") {
            Some(Value::Array(events)) => (true, events),
            _ => return Err(bad_body("\"events\" must be an array")),
        },
        one @ Value::Object(_) => (false, vec![one]),
        _ => return Err(bad_body("an event object, or {\"events\": [...]}")),
    };
    if values.len() > MAX_EVENTS {
        return Err(Problem::new(413, "too-many-events", "Too Many Events")
            .with_detail(format!(
                "at most {MAX_EVENTS} events per request; import a history instead"
            ))
            .into());
    }
    let mut checked: Vec<Result<Incoming, Problem>> = values
        .into_iter()
        .map(|v| event::from_json(v, "api", ctx.now))
        .collect();
    let valid: Vec<Incoming> = checked.iter_mut().filter_map(|c| c.as_ref().ok().cloned()).collect();
    let recorded = record::record(ctx, valid, "api")?;
    let mut outcomes = recorded.results.clone().into_iter();
    let results: Vec<Result<record::Accepted, Problem>> = checked
        .into_iter()
        .map(|c| match c {
            Ok(_) => outcomes.next().expect("one result per valid event"),
            Err(problem) => Err(problem),
        })
        .collect();
    let after = after_recording(ctx, &recorded)?;
    if !many {
        let reply = match results.into_iter().next().expect("one event") {
            Ok(accepted) => Reply::json(if accepted.duplicate { 200 } else { 201 }, &accepted),
            Err(problem) => return Err(problem.with_instance(&req.path).into()),
        };
        return Ok(Outcome::then(reply, after));
    }
    let listed: Vec<Value> = results
        .into_iter()
        .map(|r| match r {
            Ok(accepted) => serde_json::to_value(accepted).expect("json"),
            Err(problem) => json!({ "problem": problem }),
        })
        .collect();
    Ok(Outcome::then(Reply::json(200, &json!({ "events": listed })), after))
}

fn bad_body(detail: &str) -> Reply {
    Problem::new(400, "malformed-body", "Malformed Body")
        .with_detail(detail)
        .into()
}

/// A verified webhook's event: 200 with what was recorded. Stripe and
/// Shopify retry anything but a 2xx for up to two or three days, then give
/// up on (or disable) the endpoint, so a problem that will not go away is a
/// 200 that says it was ignored (and is logged): a delivery whose content
/// we cannot read, a person with neither email nor phone (a guest at a
/// till), an order or customer still unknown three days after the event. A
/// younger unknown order is a 409: its own delivery may be on the way (or
/// retried after an outage), and the retry finds it.
fn webhook(ctx: &Ctx, incoming: Result<Option<Incoming>, Problem>, source: &str) -> Result<Outcome, Reply> {
    let ignored = |why: String| {
        eprintln!("{source} delivery ignored: {why}");
        Reply::json(200, &json!({ "ignored": why }))
    };
    let incoming = match incoming {
        Ok(Some(incoming)) => incoming,
        Ok(None) => return Ok(ignored("nothing to record in this event".into()).into()),
        Err(problem) => return Ok(ignored(problem.detail.unwrap_or(problem.title)).into()),
    };
    let young = ctx.now - incoming.event.at < chrono::Duration::days(3);
    let recorded = record::record(ctx, vec![incoming], source)?;
    match recorded.results.first().cloned().expect("one event") {
        Ok(accepted) => Ok(Outcome::then(
            Reply::json(200, &accepted),
            after_recording(ctx, &recorded)?,
        )),
        Err(problem) if problem.status == 409 && young => Err(problem.into()),
        Err(problem) => Ok(ignored(problem.detail.unwrap_or(problem.title)).into()),
    }
}

/// After the reply: journeys hears of what it listens for (one read when
/// nothing does), lead-scoring of each customer, then a refresh batch runs
/// if this is the minute's first request.
fn after_recording(ctx: &Ctx, recorded: &Recorded) -> Result<Vec<Task>, Reply> {
    let leads: Vec<String> = recorded.customers.keys().take(MAX_TELLS).cloned().collect();
    let mut after: Vec<Task> = spin_retention_core::happened::tell(ctx.store, recorded.happened.clone())?
        .into_iter()
        .collect();
    after.push(tell_scoring(leads));
    after.push(Box::new(on_the_back));
    Ok(after)
}

/// The tells that hand these events to lead-alerts, for those anything
/// wants (an app without webhooks reads one key).
fn emitted(ctx: &Ctx, events: Vec<spin_retention_core::events::Event>) -> Result<Vec<Task>, Reply> {
    let mut tasks = Vec::new();
    for event in events {
        tasks.extend(spin_retention_core::events::emit(ctx.store, event)?);
    }
    Ok(tasks)
}

fn tell_scoring(leads: Vec<String>) -> Task {
    let tells = leads
        .iter()
        .map(|id| (SCORING, calls::score_lead(id), Vec::new()))
        .collect();
    tell_in_turn(tells)
}

/// The refresh on the back of a request: the first of each minute
/// app-wide runs one small batch.
pub fn on_the_back(ctx: &Ctx) {
    let run = || -> Result<(), Reply> {
        if !first_of_minute(ctx, keys::customers_tick)? {
            return Ok(());
        }
        let batch = refresh::batch(ctx, BACK_LIMIT, false)?;
        for task in emitted(ctx, batch.events)? {
            task(ctx);
        }
        if let Some(tell) = spin_retention_core::happened::tell(ctx.store, batch.happened)? {
            tell(ctx);
        }
        tell_scoring(batch.tell)(ctx);
        Ok(())
    };
    if let Err(reply) = run() {
        eprintln!("customers refresh on the back of a request: HTTP {}", reply.status);
    }
}

/// `GET /customers/admin/customers/{id}`: the customer as of now and their
/// newest events.
fn customer(req: &Request, ctx: &Ctx, lead_id: &str) -> Result<Outcome, Reply> {
    let history = crate::history::load(ctx.store, lead_id)?;
    if history.entries.is_empty() {
        return Err(Problem::not_found(&req.path)
            .with_detail(format!("{lead_id} has no customer events"))
            .into());
    }
    let settings = crate::settings::current(ctx.store)?;
    let quintiles = ctx.store.get_json(&keys::rfm_quintiles())?;
    let now = crate::summary::summarize(lead_id, &history.events(), &settings, quintiles.as_ref(), ctx.now);
    let limit = req.limit(50, 500)?;
    let mut events = history.events();
    events.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    events.truncate(limit);
    let view = CustomerView {
        revenue: crate::money::show(&now.revenue),
        average_order_value: crate::money::show(&now.average_order_value),
        slipping: now.slipping(ctx.now),
        churned: now.churned(ctx.now),
        days_since_purchase: now.days_since_purchase(ctx.now).map(f64::floor),
        customer: now,
        events,
    };
    Ok(Reply::json(200, &view).into())
}

/// `GET /customers/admin/metrics?period=month|week&from=&to=`.
fn read_metrics(req: &Request, ctx: &Ctx) -> Result<Outcome, Reply> {
    let period = match req.query_param("period").as_deref() {
        None | Some("month") => Period::Month,
        Some("week") => Period::Week,
        Some(_) => return Err(bad_parameter("period", "month or week")),
    };
    let date = |name: &str| -> Result<Option<NaiveDate>, Reply> {
        let Some(text) = req.query_param(name) else {
            return Ok(None);
        };
        let full = if text.len() == 7 { format!("{text}-01") } else { text };
        NaiveDate::parse_from_str(&full, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| bad_parameter(name, "a date, 2026-03-01 (or a month, 2026-03)"))
    };
    // Years of commerce, far from chrono's limits (a window before, a
    // month after, are computed from them).
    let sane = |name: &str, d: Option<NaiveDate>| match d {
        Some(d) if !(1970..=9000).contains(&d.year()) => Err(bad_parameter(name, "a year from 1970 to 9000")),
        d => Ok(d),
    };
    let today = ctx.now.date_naive();
    let to = period.start_of(sane("to", date("to")?)?.unwrap_or(today));
    let from = period.start_of(sane("from", date("from")?)?.unwrap_or(to));
    if from > to {
        return Err(bad_parameter("from", "must not be after to"));
    }
    let mut count = 0;
    let mut at = from;
    while at <= to {
        count += 1;
        at = period.next(at);
    }
    if count > period.max_periods() {
        return Err(bad_parameter(
            "from",
            &format!("at most {} periods at once", period.max_periods()),
        ));
    }
    let settings = crate::settings::current(ctx.store)?;
    let report = metrics::read(ctx.store, period, from, to, settings.churn_days)?;
    Ok(Reply::json(200, &report).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_health_and_404_elsewhere() {
        spin_retention_core::jobs::testing::answers_health_and_not_found(&JOB);
    }
}
