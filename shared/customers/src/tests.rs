//! The job through its routes, over an in-memory store, with lead-intake's
//! route that opens profiles answered in the same process.

use crate::job::JOB;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ports::{BodySource, Chunks, Ctx, Outbound, OutboundRequest, OutboundResponse};
use spin_retention_core::problem::Problem;
use spin_retention_core::store::{CountingStore, MemoryStore, Store};
use std::collections::HashMap;

const TOKEN: &str = "events-token";
const ADMIN: &str = "admin-token";
const STRIPE_SECRET: &str = "whsec_test_secret";

fn config() -> HashMap<String, String> {
    [
        ("customer_events_token", TOKEN),
        ("admin_token", ADMIN),
        ("stripe_webhook_secret", STRIPE_SECRET),
        ("shopify_webhook_secret", "shopify-secret"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Outbound calls inside the app: lead-intake's `POST /intake/admin/people`
/// answered as its contract says (each person found by email or phone, or
/// a lead opened for them: [`spin_retention_core::lead::testing::submit`]),
/// on the same store; every other call (lead-scoring's) is answered 202
/// and kept.
struct InProcess<'a> {
    store: &'a dyn Store,
    config: &'a HashMap<String, String>,
    now: DateTime<Utc>,
    told: std::sync::Mutex<Vec<String>>,
}

impl Outbound for InProcess<'_> {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        let path = request
            .url
            .split(".spin.internal")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        if path != spin_retention_core::jobs::calls::open_people() {
            // What journeys is told, with its body: the kinds matter.
            let told = match path == spin_retention_core::jobs::calls::journey_events() {
                true => format!("{path} {}", String::from_utf8_lossy(&request.body)),
                false => path,
            };
            self.told.lock().unwrap().push(told);
            return Ok(OutboundResponse {
                status: 202,
                headers: Vec::new(),
                body: Vec::new(),
            });
        }
        let ctx = Ctx::new(
            self.store,
            self.config,
            &spin_retention_core::ports::NoOutbound,
            self.now,
        );
        let body: Value = serde_json::from_slice(&request.body).map_err(|e| e.to_string())?;
        let people: Vec<Value> = body["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|person| {
                let fields: Vec<(String, String)> = person
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(name, _)| *name != "source")
                    .map(|(name, value)| {
                        let value = match value {
                            Value::Bool(yes) => if *yes { "yes" } else { "no" }.to_string(),
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (name.clone(), value)
                    })
                    .collect();
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let known = pairs.iter().find_map(|(k, v)| {
                    let key = match *k {
                        "email" => spin_retention_core::keys::lead_by_email(v),
                        "phone" => spin_retention_core::keys::lead_by_phone(v),
                        _ => return None,
                    };
                    self.store.get(&key).unwrap().map(|id| String::from_utf8(id).unwrap())
                });
                if let Some(lead_id) = known {
                    return json!({"lead_id": lead_id, "created": false});
                }
                if !pairs.iter().any(|(k, _)| matches!(*k, "email" | "phone")) {
                    let problem = Problem::new(422, "invalid-fields", "Invalid Fields")
                        .with_field_error("email", "give an email address or a phone number");
                    return json!({ "problem": problem });
                }
                json!({"lead_id": spin_retention_core::lead::testing::submit(&ctx, &pairs), "created": true})
            })
            .collect();
        Ok(OutboundResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&json!({ "people": people })).unwrap(),
        })
    }
}

struct App<S: Store> {
    store: S,
    config: HashMap<String, String>,
    told: Vec<String>,
    /// When set, the job's writes go through a store that lets this job
    /// write only its own keys (lead-intake's stand-in writes its own).
    owner: Option<&'static str>,
}

impl<S: Store> App<S> {
    fn new(store: S) -> Self {
        App {
            store,
            config: config(),
            told: Vec::new(),
            owner: None,
        }
    }

    fn call_at(&mut self, now: DateTime<Utc>, req: Request, body: Option<&dyn BodySource>) -> Reply {
        let outbound = InProcess {
            store: &self.store,
            config: &self.config,
            now,
            told: Default::default(),
        };
        let owned = self
            .owner
            .map(|job| spin_retention_core::ownership::OwnedBy::new(&self.store, job));
        let store: &dyn Store = match &owned {
            Some(owned) => owned,
            None => &self.store,
        };
        let mut ctx = Ctx::new(store, &self.config, &outbound, now);
        ctx.body = body;
        let reply = JOB.handle(&req, &ctx).finish(&ctx).unwrap();
        self.told.extend(outbound.told.into_inner().unwrap());
        reply
    }

    fn post(&mut self, now: DateTime<Utc>, path: &str, bearer: &str, body: Value) -> (u16, Value) {
        let mut req = Request::new("POST", path.split('?').next().unwrap());
        req.query = path.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
        req.headers.push(("authorization".into(), format!("Bearer {bearer}")));
        req.headers.push(("content-type".into(), "application/json".into()));
        req.body = serde_json::to_vec(&body).unwrap();
        json_of(self.call_at(now, req, None))
    }

    fn get(&mut self, now: DateTime<Utc>, path: &str) -> (u16, Value) {
        let path_only = path.split('?').next().unwrap();
        let mut req = Request::new("GET", path_only);
        req.query = path.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
        req.headers.push(("authorization".into(), format!("Bearer {ADMIN}")));
        json_of(self.call_at(now, req, None))
    }
}

fn json_of(reply: Reply) -> (u16, Value) {
    (reply.status, serde_json::from_slice(&reply.body).unwrap_or(Value::Null))
}

fn now() -> DateTime<Utc> {
    spin_retention_core::ports::test_now()
}

#[test]
fn a_purchase_makes_a_customer_once_and_a_replay_changes_nothing() {
    let mut app = App::new(MemoryStore::new());
    let purchase = json!({"type": "purchase", "order_id": "1001", "amount": "120.00", "currency": "USD",
        "email": "Dana@Shop.io", "name": "Dana Levi", "consent_marketing": true, "at": "2026-11-20T10:00:00Z"});
    let (status, first) = app.post(now(), "/customers/events", TOKEN, purchase.clone());
    assert_eq!(status, 201, "{first}");
    let lead = first["lead_id"].as_str().unwrap().to_string();
    let profile = spin_retention_core::lead::load(&app.store, &lead).unwrap().unwrap();
    assert_eq!(
        profile.contact.name.as_deref(),
        Some("Dana Levi"),
        "lead-intake opened the profile"
    );
    assert_eq!(profile.consent.unwrap().marketing, Some(true));
    assert!(app.told.contains(&format!("/scoring/leads/{lead}")), "{:?}", app.told);
    let fold = spin_retention_core::customer::load(&app.store, &lead).unwrap().unwrap();
    assert_eq!((fold.orders, fold.main_revenue), (1, 12_000));
    assert_eq!(fold.loyalty_tier.as_deref(), Some("bronze"));
    let keys = app.store.len();
    let (status, again) = app.post(now(), "/customers/events", TOKEN, purchase);
    assert_eq!((status, &again["duplicate"]), (200, &json!(true)));
    assert_eq!(app.store.len(), keys, "a replay writes no new key");
    assert_eq!(
        spin_retention_core::customer::load(&app.store, &lead).unwrap().unwrap(),
        fold
    );
    // A refund names its order; an unknown order is a 409 to retry later.
    let refund = json!({"type": "refund", "id": "r-1", "order_id": "1001", "amount": "20", "currency": "USD"});
    assert_eq!(app.post(now(), "/customers/events", TOKEN, refund).0, 201);
    let fold = spin_retention_core::customer::load(&app.store, &lead).unwrap().unwrap();
    assert_eq!((fold.orders, fold.refunds, fold.main_revenue), (1, 1, 10_000));
    let orphan = json!({"type": "refund", "id": "r-2", "order_id": "404", "amount": "1", "currency": "USD"});
    assert_eq!(app.post(now(), "/customers/events", TOKEN, orphan).0, 409);
    // Credentials and bad events.
    assert_eq!(
        app.post(now(), "/customers/events", ADMIN, json!({})).0,
        401,
        "its own token, not the admin's"
    );
    let (status, bad) = app.post(
        now(),
        "/customers/events",
        TOKEN,
        json!({"type": "purchase", "email": "a@b.io"}),
    );
    assert_eq!(status, 422);
    assert_eq!(bad["errors"][0]["field"], "order_id");
    let (status, many) = app.post(
        now(),
        "/customers/events",
        TOKEN,
        json!({"events": [
            {"type": "activity", "activity": "login", "email": "dana@shop.io", "at": "2026-11-22T08:00:00Z"},
            {"type": "nope", "email": "dana@shop.io"}
        ]}),
    );
    assert_eq!(status, 200);
    assert_eq!(many["events"][0]["lead_id"], lead.as_str());
    assert_eq!(many["events"][1]["problem"]["status"], 422);
    let (status, view) = app.get(now(), &format!("/customers/admin/customers/{lead}"));
    assert_eq!(status, 200);
    assert_eq!(view["customer"]["last_activity"]["kind"], "login");
    assert_eq!(view["revenue"]["USD"], "100.00");
    assert_eq!(view["events"].as_array().unwrap().len(), 3);
}

fn stripe_signed(body: &str, at: DateTime<Utc>) -> Request {
    let t = at.timestamp();
    let signature: String =
        spin_retention_core::signed::hmac_sha256(STRIPE_SECRET.as_bytes(), format!("{t}.{body}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    let mut req = Request::new("POST", "/customers/stripe");
    req.headers
        .push(("stripe-signature".into(), format!("t={t},v1={signature}")));
    req.body = body.as_bytes().to_vec();
    req
}

#[test]
fn stripe_payments_and_cancellations_arrive_once() {
    let mut app = App::new(MemoryStore::new());
    let invoice = json!({"id": "evt_1", "type": "invoice.paid", "created": now().timestamp() - 60,
        "data": {"object": {"id": "in_1", "billing_reason": "subscription_create", "amount_paid": 2900,
        "currency": "usd", "customer": "cus_1", "customer_email": "sub@shop.io",
        "parent": {"subscription_details": {"subscription": "sub_1"}}}}})
    .to_string();
    let (status, paid) = json_of(app.call_at(now(), stripe_signed(&invoice, now()), None));
    assert_eq!((status, &paid["duplicate"]), (200, &json!(false)), "{paid}");
    let lead = paid["lead_id"].as_str().unwrap().to_string();
    let (_, replay) = json_of(app.call_at(now(), stripe_signed(&invoice, now()), None));
    assert_eq!(replay["duplicate"], true, "Stripe delivers again: nothing new");
    let deleted = json!({"id": "evt_2", "type": "customer.subscription.deleted", "created": now().timestamp(),
        "data": {"object": {"id": "sub_1", "customer": "cus_1", "canceled_at": now().timestamp()}}})
    .to_string();
    let (status, _) = json_of(app.call_at(now(), stripe_signed(&deleted, now()), None));
    assert_eq!(status, 200);
    let fold = spin_retention_core::customer::load(&app.store, &lead).unwrap().unwrap();
    assert_eq!(fold.subscription.as_ref().unwrap().status, "cancelled");
    assert!(fold.churned(now()), "a cancellation churns at once");
    // Refusals: an old signature (a captured delivery replayed later), a
    // wrong one, and none configured.
    let late = app.call_at(now() + Duration::seconds(301), stripe_signed(&invoice, now()), None);
    assert_eq!(late.status, 400);
    let mut forged = stripe_signed(&invoice, now());
    forged.body.push(b' ');
    assert_eq!(app.call_at(now(), forged, None).status, 400);
    app.config.remove("stripe_webhook_secret");
    assert_eq!(app.call_at(now(), stripe_signed(&invoice, now()), None).status, 403);
}

fn ndjson(people: usize, per_person: usize) -> String {
    let mut lines = String::new();
    for p in 0..people {
        for o in 0..per_person {
            let day = 1 + (p + o * 7) % 28;
            lines.push_str(
                &json!({"type": "purchase", "order_id": format!("o-{p}-{o}"), "amount": "10.00", "currency": "USD",
                    "email": format!("p{p}@shop.io"), "at": format!("2026-0{}-{day:02}T10:00:00Z", 1 + o % 9)})
                .to_string(),
            );
            lines.push('\n');
        }
    }
    lines
}

fn import(app: &mut App<impl Store>, body: &str, media: &str, chunk: usize) -> Value {
    let mut req = Request::new("POST", "/customers/admin/import");
    req.headers.push(("authorization".into(), format!("Bearer {ADMIN}")));
    req.headers.push(("content-type".into(), media.into()));
    let source = Chunks::new(body.as_bytes(), chunk);
    let (status, summary) = json_of(app.call_at(now(), req, Some(&source)));
    assert_eq!(status, 200, "{summary}");
    summary
}

#[test]
fn an_import_streams_in_batches_and_a_second_import_records_nothing() {
    let mut app = App::new(MemoryStore::new());
    let mut body = ndjson(300, 4);
    body.push_str("{\"type\": \"purchase\"}\nnot json\n\n");
    let summary = import(&mut app, &body, "application/x-ndjson", 1000);
    assert_eq!(summary["lines"], 1202);
    assert_eq!(summary["recorded"], 1200);
    assert_eq!(summary["refused"], 2);
    assert_eq!(summary["customers"], 300);
    assert_eq!(summary["problems"][0]["line"], 1201);
    assert_eq!(summary["problems"][1]["line"], 1202);
    let again = import(&mut app, &body, "application/x-ndjson", 333);
    assert_eq!(
        (again["recorded"].clone(), again["duplicates"].clone()),
        (json!(0), json!(1200))
    );
    let csv = "type,order_id,amount,currency,email,at\npurchase,c-1,5.00,EUR,p0@shop.io,2026-10-01T00:00:00Z\nrefund,,1.00,EUR,p0@shop.io,2026-10-02T00:00:00Z\n";
    let summary = import(&mut app, csv, "text/csv", 7);
    assert_eq!(summary["recorded"], 2, "{summary}");
    let mut req = Request::new("POST", "/customers/admin/import");
    req.headers.push(("authorization".into(), format!("Bearer {ADMIN}")));
    req.headers.push(("content-type".into(), "application/pdf".into()));
    assert_eq!(app.call_at(now(), req, None).status, 415);
}

/// A month's metrics read the same keys however much history the store
/// holds in other months.
#[test]
fn a_month_s_metrics_cost_does_not_grow_with_the_store() {
    let mut app = App::new(CountingStore::default());
    let month: String = (0..40)
        .map(|p| {
            json!({"type": "purchase", "order_id": format!("m-{p}"), "amount": "10.00", "currency": "USD",
                "email": format!("m{p}@shop.io"), "at": format!("2026-10-{:02}T10:00:00Z", 1 + p % 28)})
            .to_string()
                + "\n"
        })
        .collect();
    import(&mut app, &month, "application/x-ndjson", 4096);
    let read = |app: &mut App<CountingStore>| {
        let before = app.store.reads();
        let (status, report) = app.get(now(), "/customers/admin/metrics?period=month&from=2026-10&to=2026-10");
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["periods"][0]["active"], 40);
        app.store.reads() - before
    };
    let small = read(&mut app);
    // Ten times as many events, all in earlier years.
    let history: String = (0..400)
        .map(|p| {
            json!({"type": "purchase", "order_id": format!("h-{p}"), "amount": "10.00", "currency": "USD",
                "email": format!("h{p}@shop.io"), "at": format!("2024-0{}-10T10:00:00Z", 1 + p % 9)})
            .to_string()
                + "\n"
        })
        .collect();
    import(&mut app, &history, "application/x-ndjson", 4096);
    assert_eq!(read(&mut app), small, "the same reads with 10x the events elsewhere");
}

#[test]
fn slipping_raises_at_risk_once_per_episode_and_erase_forgets_everything() {
    let mut app = App::new(MemoryStore::new());
    for (order, day) in [("s-1", "2026-08-01"), ("s-2", "2026-08-31")] {
        let event = json!({"type": "purchase", "order_id": order, "amount": "50.00", "currency": "USD",
            "email": "slip@shop.io", "at": format!("{day}T10:00:00Z")});
        assert_eq!(app.post(now(), "/customers/events", TOKEN, event).0, 201);
    }
    for p in 0..4 {
        let event = json!({"type": "purchase", "order_id": format!("x-{p}"), "amount": "500.00", "currency": "USD",
            "email": format!("x{p}@shop.io"), "at": "2026-11-20T10:00:00Z"});
        app.post(now(), "/customers/events", TOKEN, event);
    }
    let lead = crate::identity::resolve(
        &Ctx::new(&app.store, &app.config, &spin_retention_core::ports::NoOutbound, now()),
        &[&crate::event::Person {
            email: Some("slip@shop.io".into()),
            ..Default::default()
        }],
        "test",
    )
    .unwrap()
    .remove(0)
    .unwrap();
    // A webhook endpoint wants slipping customers (lead-alerts keeps this).
    let interest = spin_retention_core::events::Interest {
        types: vec!["customer.slipping".into()],
        ..Default::default()
    };
    spin_retention_core::store::JsonStore::set_json(
        &app.store,
        &spin_retention_core::events::interest_key(),
        &interest,
    )
    .unwrap();
    // Typical interval 30 days, factor 1.5: slipping from Oct 15, 10:00.
    let run = |app: &mut App<MemoryStore>, at: DateTime<Utc>, restart: bool| {
        app.told.clear();
        let mut last = Value::Null;
        for i in 0..10 {
            let path = format!("/customers/admin/refresh?limit=2&restart={}", restart && i == 0);
            let (status, body) = app.post(at, &path, ADMIN, json!({}));
            assert_eq!(status, 200, "{body}");
            last = body;
            if last["done"] == true {
                break;
            }
        }
        last
    };
    let done = run(&mut app, now(), true);
    assert_eq!(
        (done["done"].clone(), done["gathered"].clone()),
        (json!(true), json!(5))
    );
    assert_eq!(done["raised"], 1, "{done}");
    assert!(app.told.contains(&format!("/scoring/leads/{lead}")), "{:?}", app.told);
    let events = app.told.iter().filter(|p| *p == "/alerts/events").count();
    assert_eq!(events, 1, "one customer.slipping event: {:?}", app.told);
    let (_, rfm) = app.get(now(), "/customers/admin/rfm");
    assert_eq!(rfm["quintiles"]["customers"], 5);
    assert_eq!(
        rfm["quintiles"]["segments"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        5
    );
    let tiers = rfm["quintiles"]["tiers"].as_object().unwrap();
    assert_eq!(
        tiers.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        5,
        "every customer in one tier: {tiers:?}"
    );
    let fold = spin_retention_core::customer::load(&app.store, &lead).unwrap().unwrap();
    assert!(fold.slipping(now()));
    assert!(fold.rfm.is_some());
    let again = run(&mut app, now(), true);
    assert_eq!(again["raised"], 0, "the same episode is raised once");
    // Erase: nothing about the person is left in customers' keys, counters included.
    assert!(
        app.store
            .mentions(&lead)
            .iter()
            .any(|k| k.starts_with("customer-at-risk:")),
        "the erase check sees counters: {:?}",
        app.store.mentions(&lead)
    );
    // lead-intake forgets its own keys and hands customers this call.
    spin_retention_core::lead::testing::erase(&app.store, &lead);
    let mut erase = Request::new("DELETE", &format!("/customers/admin/people/{lead}"));
    erase.headers.push(("authorization".into(), format!("Bearer {ADMIN}")));
    assert_eq!(app.call_at(now(), erase, None).status, 200);
    assert_eq!(app.store.mentions(&lead), Vec::<String>::new());
    let (_, report) = app.get(now(), "/customers/admin/metrics?from=2026-08&to=2026-08");
    assert_eq!(
        report["periods"][0]["active"], 0,
        "an erased customer leaves the metrics too"
    );
}

/// A refund a few lines after its order, in the same batch of an import,
/// finds the order before it is stored.
#[test]
fn a_refund_in_the_same_batch_as_its_order_is_recorded() {
    let mut app = App::new(MemoryStore::new());
    let body = [
        json!({"type": "purchase", "order_id": "b-1", "amount": "30.00", "currency": "USD", "email": "b@shop.io",
               "at": "2026-10-01T10:00:00Z"}),
        json!({"type": "refund", "id": "b-r-1", "order_id": "b-1", "amount": "10.00", "currency": "USD",
               "at": "2026-10-02T10:00:00Z"}),
    ]
    .iter()
    .map(|e| e.to_string() + "\n")
    .collect::<String>();
    let summary = import(&mut app, &body, "application/x-ndjson", 4096);
    assert_eq!(
        (summary["recorded"].clone(), summary["refused"].clone()),
        (json!(2), json!(0)),
        "{summary}"
    );
}

fn shopify_signed(topic: &str, body: &str) -> Request {
    use base64::Engine;
    let hmac = spin_retention_core::signed::hmac_sha256(b"shopify-secret", body.as_bytes());
    let mut req = Request::new("POST", "/customers/shopify");
    req.headers.push((
        "x-shopify-hmac-sha256".into(),
        base64::engine::general_purpose::STANDARD.encode(hmac),
    ));
    req.headers.push(("x-shopify-topic".into(), topic.into()));
    req.body = body.as_bytes().to_vec();
    req
}

/// Shopify and Stripe retry anything but a 2xx for two or three days, then
/// give up on the endpoint: what will never be recorded is a 200 that says
/// so, and only a refund whose order may still be on its way (less than
/// three days old) is a 409. A delivery we cannot read is ignored too.
#[test]
fn webhooks_that_can_never_be_recorded_are_ignored_not_refused() {
    let mut app = App::new(MemoryStore::new());
    let guest = json!({"id": 1, "total_price": "5.00", "currency": "USD", "created_at": "2026-11-23T09:00:00Z"});
    let (status, body) = json_of(app.call_at(now(), shopify_signed("orders/create", &guest.to_string()), None));
    assert_eq!(status, 200);
    assert!(body["ignored"].as_str().unwrap().contains("email"), "{body}");
    let refund = |created: &str| {
        json!({"id": 2, "order_id": 404, "created_at": created,
               "transactions": [{"kind": "refund", "amount": "1.00", "currency": "USD"}]})
        .to_string()
    };
    let young = app.call_at(
        now(),
        shopify_signed("refunds/create", &refund("2026-11-23T09:30:00Z")),
        None,
    );
    assert_eq!(young.status, 409, "its order may still be on its way");
    let (status, old) = json_of(app.call_at(
        now(),
        shopify_signed("refunds/create", &refund("2026-11-19T09:30:00Z")),
        None,
    ));
    assert_eq!(status, 200);
    assert!(old["ignored"].as_str().unwrap().contains("order"), "{old}");
    let unreadable = json!({"id": 3, "email": "a@b.io", "total_price": "five", "currency": "USD"});
    let (status, body) = json_of(app.call_at(now(), shopify_signed("orders/create", &unreadable.to_string()), None));
    assert_eq!((status, body["ignored"].is_string()), (200, true), "{body}");
}

/// A batch whose request's clock lags the run's start (a request that
/// began before the run, finishing its on-the-back work late) folds at the
/// run's start: the run still sees the customer slipping.
#[test]
fn a_lagging_batch_evaluates_at_the_run_s_start() {
    let mut app = App::new(MemoryStore::new());
    let early = now() - Duration::days(80);
    for (order, day) in [("l-1", "2026-08-01"), ("l-2", "2026-08-31")] {
        let event = json!({"type": "purchase", "order_id": order, "amount": "5.00", "currency": "USD",
            "email": format!("{order}@shop.io"), "at": format!("{day}T10:00:00Z")});
        assert_eq!(app.post(early, "/customers/events", TOKEN, event).0, 201);
    }
    let same = json!({"type": "purchase", "order_id": "l-3", "amount": "5.00", "currency": "USD",
        "email": "l-1@shop.io", "at": "2026-08-31T10:00:00Z"});
    app.post(early, "/customers/events", TOKEN, same);
    let (_, started) = app.post(now(), "/customers/admin/refresh?limit=1&restart=true", ADMIN, json!({}));
    assert_eq!(started["done"], false);
    let mut last = Value::Null;
    for _ in 0..10 {
        last = app.post(early, "/customers/admin/refresh?limit=1", ADMIN, json!({})).1;
        if last["done"] == true {
            break;
        }
    }
    assert_eq!(
        last["raised"], 2,
        "both slipping on Nov 23 (one of them a one-time buyer): {last}"
    );
}

/// An id is the business's: met again for another person it is refused,
/// not taken for a replay of the first person's event.
#[test]
fn an_id_recorded_for_someone_else_is_refused() {
    let mut app = App::new(MemoryStore::new());
    let login = |email: &str| json!({"type": "activity", "activity": "login", "id": "1", "email": email, "at": "2026-11-20T10:00:00Z"});
    assert_eq!(app.post(now(), "/customers/events", TOKEN, login("a@shop.io")).0, 201);
    assert_eq!(
        app.post(now(), "/customers/events", TOKEN, login("a@shop.io")).0,
        200,
        "a replay"
    );
    let (status, taken) = app.post(now(), "/customers/events", TOKEN, login("b@shop.io"));
    assert_eq!(status, 409, "{taken}");
}

/// A fold by a writer whose clock lags (a long batch, an earlier request
/// finishing last) keeps the events received after its clock.
#[test]
fn a_lagging_fold_keeps_what_was_received() {
    let mut app = App::new(MemoryStore::new());
    let buy = json!({"type": "purchase", "order_id": "f-1", "amount": "5.00", "currency": "USD", "email": "f@shop.io"});
    let (_, accepted) = app.post(now(), "/customers/events", TOKEN, buy);
    let lead = accepted["lead_id"].as_str().unwrap();
    let settings = crate::settings::current(&app.store).unwrap();
    let (_, after) = crate::history::refresh(&app.store, lead, &settings, None, now() - Duration::hours(1)).unwrap();
    assert_eq!(after.unwrap().orders, 1);
}

/// A batch of a request begun before midnight continues the day's run once
/// it is done, rather than starting another (which would re-tell scoring).
#[test]
fn a_lagging_batch_does_not_start_yesterday_s_run_again() {
    let mut app = App::new(MemoryStore::new());
    let midnight: DateTime<Utc> = "2026-11-23T00:00:30Z".parse().unwrap();
    let buy = json!({"type": "purchase", "order_id": "m-1", "amount": "5.00", "currency": "USD", "email": "m@shop.io"});
    app.post(midnight, "/customers/events", TOKEN, buy);
    let mut last = Value::Null;
    for i in 0..5 {
        let path = format!("/customers/admin/refresh?restart={}", i == 0);
        last = app.post(midnight, &path, ADMIN, json!({})).1;
    }
    assert_eq!(
        (last["run"].clone(), last["done"].clone()),
        (json!("2026-11-23"), json!(true))
    );
    let (_, late) = app.post(
        midnight - Duration::seconds(40),
        "/customers/admin/refresh",
        ADMIN,
        json!({}),
    );
    assert_eq!(late["run"], "2026-11-23", "{late}");
    assert_eq!(late["id"], last["id"]);
}

/// One writer per key: events, a Stripe payment, an import, the refresh
/// run (over customers' own list, long enough to be snapshotted), the
/// reports and an erase write only customers' keys.
#[test]
fn customers_writes_only_its_own_keys() {
    let mut app = App::new(MemoryStore::new());
    app.owner = Some("customers");
    let purchase = json!({"type": "purchase", "order_id": "1001", "amount": "120.00", "currency": "USD",
        "email": "dana@shop.io", "at": "2026-11-20T10:00:00Z"});
    let (status, first) = app.post(now(), "/customers/events", TOKEN, purchase);
    assert_eq!(status, 201, "{first}");
    let lead = first["lead_id"].as_str().unwrap().to_string();
    import(&mut app, &ndjson(150, 2), "application/x-ndjson", 4096);
    loop {
        let (status, run) = app.post(now(), "/customers/admin/refresh?limit=50", ADMIN, json!({}));
        assert_eq!(status, 200, "{run}");
        if run["done"] == true {
            break;
        }
    }
    assert_eq!(
        app.get(now(), "/customers/admin/metrics?from=2026-08&to=2026-11").0,
        200
    );
    let mut erase = Request::new("DELETE", &format!("/customers/admin/people/{lead}"));
    erase.headers.push(("authorization".into(), format!("Bearer {ADMIN}")));
    assert_eq!(app.call_at(now(), erase, None).status, 200);
}

/// What the dashboard reads of customers is the contract's: a customer's
/// view, the metrics and the RFM route read back as `contracts::customers`
/// types.
#[test]
fn the_admin_answers_are_the_contract() {
    use spin_retention_core::contracts::customers::{CustomerView, Kind, Report, RfmView};
    use spin_retention_core::contracts::testing::reads_as;
    let mut app = App::new(MemoryStore::new());
    for (order, email, day) in [
        ("c-1", "dana@shop.io", "2026-10-02"),
        ("c-2", "dana@shop.io", "2026-11-02"),
        ("c-3", "noa@shop.io", "2026-11-10"),
    ] {
        let event = json!({"type": "purchase", "order_id": order, "amount": "40.00", "currency": "USD",
            "email": email, "at": format!("{day}T10:00:00Z"),
            "items": [{"name": "Mug", "quantity": 2, "price": "20.00"}]});
        assert_eq!(app.post(now(), "/customers/events", TOKEN, event).0, 201);
    }
    let (_, first) = app.post(
        now(),
        "/customers/events",
        TOKEN,
        json!({"type": "activity", "activity": "login", "email": "dana@shop.io", "at": "2026-11-21T08:00:00Z"}),
    );
    let lead = first["lead_id"].as_str().unwrap().to_string();
    for restart in [true, false, false, false] {
        let path = format!("/customers/admin/refresh?limit=10&restart={restart}");
        assert_eq!(app.post(now(), &path, ADMIN, json!({})).0, 200);
    }
    let mut read = |path: &str| {
        let (status, body) = app.get(now(), path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::to_vec(&body).unwrap()
    };
    let view: CustomerView = reads_as(&read(&format!("/customers/admin/customers/{lead}")));
    assert_eq!((view.customer.orders, view.revenue["USD"].as_str()), (2, "80.00"));
    assert_eq!(view.events[0].kind, Kind::Activity, "newest first");
    assert_eq!(view.events[1].items[0].quantity, 2);
    let report: Report = reads_as(&read("/customers/admin/metrics?period=month&from=2026-10&to=2026-11"));
    assert_eq!(report.periods.len(), 2);
    assert_eq!(report.periods[1].active, 2);
    assert_eq!(report.cohorts[0].cohort, "2026-10");
    let rfm: RfmView = reads_as(&read("/customers/admin/rfm"));
    assert_eq!(rfm.quintiles.map(|q| q.customers), Some(2));
    assert!(rfm.refresh.is_some_and(|r| r.done));
}

#[test]
fn a_purchase_that_changes_the_tier_tells_journeys_tier_changed_once() {
    use spin_retention_core::store::JsonStore;
    let mut app = App::new(MemoryStore::new());
    let interest = spin_retention_core::happened::Interest {
        names: vec!["tier.changed".into()],
    };
    app.store
        .set_json(&spin_retention_core::happened::interest_key(), &interest)
        .unwrap();
    let purchase = json!({"type": "purchase", "order_id": "t-1", "amount": "120.00", "currency": "USD",
        "email": "tier@shop.io", "at": "2026-11-20T10:00:00Z"});
    let (status, _) = app.post(now(), "/customers/events", TOKEN, purchase.clone());
    assert_eq!(status, 201);
    app.post(now(), "/customers/events", TOKEN, purchase);
    let tells: Vec<&String> = app.told.iter().filter(|t| t.starts_with("/journeys/events")).collect();
    assert_eq!(tells.len(), 1, "the replay changes no tier: {tells:?}");
    assert!(tells[0].contains(r#""kind":"tier.changed""#), "{}", tells[0]);
    assert!(
        !tells[0].contains(r#""kind":"purchase""#),
        "only what a journey listens for"
    );
}
