//! Journeys end to end in one process: the routes over a store that lets
//! journeys write only its own keys, a provider that records what it is
//! sent, and the test's clock.

use crate::job::JOB;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::lead::testing::submit;
use spin_retention_core::ownership::OwnedBy;
use spin_retention_core::ports::{Ctx, NoOutbound, Outbound, OutboundRequest, OutboundResponse};
use spin_retention_core::store::{CountingStore, JsonStore};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct Provider(Mutex<Vec<OutboundRequest>>);

impl Outbound for Provider {
    /// The message provider, and survey making links as it does (201).
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        if request.url.contains("/survey/admin/surveys/") {
            let asked: Value = serde_json::from_slice(&request.body).unwrap();
            let body =
                json!({"url": format!("https://shop.example/survey/s?for={}", asked["lead_id"].as_str().unwrap())});
            return Ok(OutboundResponse {
                status: 201,
                headers: vec![],
                body: body.to_string().into_bytes(),
            });
        }
        let refused = request.url.contains("refuses");
        self.0.lock().unwrap().push(request);
        Ok(OutboundResponse {
            status: if refused { 400 } else { 200 },
            headers: vec![],
            body: br#"{"id":"msg_1"}"#.to_vec(),
        })
    }
}

impl Provider {
    fn bodies(&self) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            // lead-scoring's call after a tag step has no body.
            .filter(|r| !r.url.contains("/scoring/leads/"))
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

struct World {
    store: CountingStore,
    config: HashMap<String, String>,
    provider: Provider,
    start: DateTime<Utc>,
}

impl World {
    fn new() -> World {
        let config = [
            ("admin_token", "t"),
            ("journeys_provider", "webhook"),
            ("journeys_provider_url", "https://hooks.example.test"),
            ("journeys_link_secret", "s3cret"),
            ("public_url", "https://shop.example"),
            ("business_name", "Acme"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        World {
            store: CountingStore::default(),
            config,
            provider: Provider::default(),
            // A Monday, 10:00 UTC: no quiet hours for a while.
            start: "2026-12-07T10:00:00Z".parse().unwrap(),
        }
    }

    fn at(&self, minutes: i64) -> DateTime<Utc> {
        self.start + Duration::minutes(minutes)
    }

    /// A route called at `minutes` after the start, journeys writing only
    /// its own keys.
    fn call(&self, minutes: i64, method: &str, path: &str, body: Value) -> (u16, Value) {
        let owned = OwnedBy::new(&self.store, "journeys");
        let ctx = Ctx::new(&owned, &self.config, &self.provider, self.at(minutes));
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut req = Request::new(method, path);
        req.query = query.to_string();
        req.headers.push(("authorization".into(), "Bearer t".into()));
        if !body.is_null() {
            req.body = serde_json::to_vec(&body).unwrap();
        }
        let reply: Reply = JOB.handle(&req, &ctx).finish(&ctx).unwrap();
        let json = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        (reply.status, json)
    }

    fn person(&self, pairs: &[(&str, &str)]) -> String {
        let ctx = Ctx::new(&self.store, &self.config, &NoOutbound, self.at(0));
        submit(&ctx, pairs)
    }

    fn set(&self, minutes: i64, change: impl FnOnce(&mut Value)) {
        let mut doc: Value = serde_json::from_str(include_str!("../defaults/journeys.json")).unwrap();
        doc["journeys"][0]["status"] = json!("live");
        change(&mut doc);
        let (status, reply) = self.call(minutes, "PUT", "/journeys/admin/journeys", doc);
        assert_eq!(status, 200, "{reply}");
        // The shipped abandoned checkout's coupons.
        let codes: Vec<String> = (0..50).map(|n| format!("CART{minutes}-{n}")).collect();
        let (status, reply) = self.call(
            minutes,
            "PUT",
            "/journeys/admin/coupons/cart-comeback",
            json!({ "codes": codes }),
        );
        assert_eq!(status, 200, "{reply}");
    }

    fn happen(&self, minutes: i64, id: &str, lead: &str, kind: &str, activity: Option<&str>) -> Value {
        let event = json!([{"id": id, "lead_id": lead, "kind": kind, "activity": activity,
                            "at": self.at(minutes), "items": ["Blue mug"]}]);
        let (status, reply) = self.call(minutes, "POST", "/journeys/events", event);
        assert_eq!(status, 200, "{reply}");
        reply["events"][0]["heard"].clone()
    }

    /// Ticks at `minutes` until the tick says it is done (as lead-intake's
    /// tick calls a part again while it is not).
    fn tick(&self, minutes: i64) -> Value {
        for _ in 0..60 {
            let (status, reply) = self.call(minutes, "POST", "/journeys/admin/tick?limit=1000", Value::Null);
            assert_eq!(status, 200, "{reply}");
            if reply["done"] == true {
                return reply;
            }
        }
        panic!("the tick at {minutes} never finished")
    }

    fn sent(&self) -> Vec<Value> {
        self.provider.bodies()
    }
}

/// What journeys (or anyone but lead-intake) still keeps naming the person.
fn left_of(w: &World, lead: &str) -> Vec<String> {
    w.store
        .inner
        .mentions(lead)
        .into_iter()
        .filter(|k| !k.starts_with("lead") && !k.starts_with("submission"))
        .collect()
}

fn consented(w: &World, email: &str) -> String {
    w.person(&[("email", email), ("first_name", "Dana"), ("consent_marketing", "yes")])
}

#[test]
fn an_abandoned_checkout_gets_two_emails_an_hour_and_a_day_later() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    let heard = w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    assert_eq!(heard["entered"], json!([format!("abandoned-checkout:{lead}:1")]));
    w.tick(30);
    assert!(w.sent().is_empty(), "nothing before the hour");
    w.tick(61);
    let sent = w.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["subject"], "You left something in your cart");
    assert!(sent[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Hi Dana, your cart is waiting: Blue mug."));
    let unsubscribe = sent[0]["headers"]["List-Unsubscribe"].as_str().unwrap();
    assert!(unsubscribe.starts_with("<https://shop.example/journeys/unsubscribe/"));
    assert_eq!(
        sent[0]["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    w.tick(61 + 10);
    assert_eq!(w.sent().len(), 1, "once");
    w.tick(60 + 23 * 60 + 1);
    assert_eq!(w.sent().len(), 2);
    assert_eq!(w.sent()[1]["subject"], "Still thinking it over? Here is 10% off");
    assert!(w.sent()[1]["text"]
        .as_str()
        .unwrap()
        .contains("Use the code CART0-0 for 10% off"));
    let (_, report) = w.call(2000, "GET", "/journeys/admin/journeys/abandoned-checkout", Value::Null);
    assert_eq!(report["figures"]["entered"], 1);
    assert_eq!(report["figures"]["sent"], 2);
    assert_eq!(report["figures"]["exited:completed"], 1);
}

#[test]
fn a_purchase_mid_wait_exits_and_nothing_more_is_sent() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    assert_eq!(w.sent().len(), 1);
    let heard = w.happen(120, "ord_1", &lead, "purchase", None);
    assert_eq!(heard["exited"], json!([format!("abandoned-checkout:{lead}:1")]));
    w.tick(60 * 25);
    assert_eq!(w.sent().len(), 1, "the purchase ended the journey");
    let (_, person) = w.call(60 * 25, "GET", &format!("/journeys/admin/people/{lead}"), Value::Null);
    assert_eq!(person["journeys"][0]["exit"]["why"], "event:purchase");
}

#[test]
fn one_event_enters_once_and_one_copy_runs_at_a_time() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    let again = w.happen(1, "ev_1", &lead, "activity", Some("checkout_started"));
    assert_eq!(again["entered"], json!([]));
    let other = w.happen(2, "ev_2", &lead, "activity", Some("checkout_started"));
    assert_eq!(other["not_entered"], json!(["abandoned-checkout: already in it"]));
    // Two ticks at the same moment: one takes the step.
    w.tick(61);
    w.tick(61);
    assert_eq!(w.sent().len(), 1);
}

#[test]
fn marketing_needs_confirmed_consent_checked_at_send_time() {
    let w = World::new();
    let lead = w.person(&[("email", "noconsent@example.com")]);
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    w.tick(60 * 25);
    w.tick(60 * 25);
    assert!(w.sent().is_empty());
    let (_, report) = w.call(
        60 * 25,
        "GET",
        "/journeys/admin/journeys/abandoned-checkout",
        Value::Null,
    );
    assert_eq!(report["figures"]["skipped:no_consent"], 2);
}

#[test]
fn one_click_unsubscribe_takes_effect_before_the_next_send() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    let header = w.sent()[0]["headers"]["List-Unsubscribe"].as_str().unwrap().to_string();
    let path = header
        .trim_matches(['<', '>'])
        .strip_prefix("https://shop.example")
        .unwrap()
        .to_string();
    // As Gmail does it: a form body, no cookie, no credentials.
    let owned = OwnedBy::new(&w.store, "journeys");
    let ctx = Ctx::new(&owned, &w.config, &w.provider, w.at(70));
    let mut req = Request::new("POST", &path);
    req.headers
        .push(("content-type".into(), "application/x-www-form-urlencoded".into()));
    req.body = b"List-Unsubscribe=One-Click".to_vec();
    let reply = JOB.handle(&req, &ctx).finish(&ctx).unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.header("location").is_none(), "never a redirect");
    w.tick(60 * 25);
    w.tick(60 * 25);
    assert_eq!(w.sent().len(), 1, "nothing after the unsubscribe");
    let (_, person) = w.call(60 * 25, "GET", &format!("/journeys/admin/people/{lead}"), Value::Null);
    assert_eq!(person["journeys"][0]["exit"]["why"], "unsubscribed");
    // A forged or altered token changes nothing and says so.
    let mut forged = Request::new("POST", &format!("{path}x"));
    forged.body = b"List-Unsubscribe=One-Click".to_vec();
    assert_eq!(JOB.handle(&forged, &ctx).finish(&ctx).unwrap().status, 404);
}

#[test]
fn quiet_hours_hold_a_message_to_eight_in_jerusalem() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["settings"]["time_zone"] = json!("Asia/Jerusalem"));
    // 19:30 UTC is 21:30 in Jerusalem (UTC+2 in December).
    let evening = 9 * 60 + 30;
    w.happen(evening - 60, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(evening + 1);
    assert!(w.sent().is_empty(), "held");
    // 08:00 local is 06:00 UTC; the journey's priority (80) adds 2 minutes.
    let eight = 20 * 60 + 2;
    w.tick(eight - 5);
    assert!(w.sent().is_empty());
    w.tick(eight);
    assert_eq!(w.sent().len(), 1, "sent at 08:00 local");
}

#[test]
fn three_journeys_at_once_go_out_in_priority_order_and_none_is_dropped() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| {
        let send =
            |subject: &str| json!({"send": {"channel": "email", "subject": {"en": subject}, "text": {"en": "Hi"}}});
        let journey = |id: &str, priority: u8| {
            json!({"id": id, "name": id, "status": "live", "purpose": "marketing", "enters_on": "purchase",
                   "reentry": "always", "priority": priority, "expire_after_hours": 24 * 7, "steps": [send(id)]})
        };
        doc["journeys"] = json!([journey("low", 10), journey("high", 90), journey("mid", 50)]);
        doc["settings"]["quiet_hours"] = json!({"start": "00:00", "end": "00:00"});
    });
    w.happen(0, "ord_1", &lead, "purchase", None);
    for hour in 0..=72 {
        w.tick(hour * 60 + 1);
    }
    let subjects: Vec<Value> = w.sent().iter().map(|b| b["subject"].clone()).collect();
    assert_eq!(subjects, [json!("high"), json!("mid"), json!("low")]);
}

#[test]
fn the_holdout_is_recorded_and_never_sent() {
    let w = World::new();
    w.set(0, |doc| doc["journeys"][0]["holdout_percent"] = json!(50));
    let leads: Vec<String> = (0..40).map(|n| consented(&w, &format!("p{n}@example.com"))).collect();
    for (n, lead) in leads.iter().enumerate() {
        w.happen(0, &format!("ev_{n}"), lead, "activity", Some("checkout_started"));
    }
    w.tick(61);
    let (_, report) = w.call(61, "GET", "/journeys/admin/journeys/abandoned-checkout", Value::Null);
    let held = report["figures"]["held_out"].as_u64().unwrap();
    assert_eq!(report["figures"]["entered"], 40);
    assert!((8..=32).contains(&held), "about half: {held}");
    assert_eq!(w.sent().len() as u64, 40 - held);
    assert_eq!(report["figures"]["held_out_sends"].as_u64().unwrap(), held);
}

#[test]
fn people_in_flight_keep_their_version() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.set(10, |doc| {
        doc["journeys"][0]["steps"][1]["send"]["subject"]["en"] = json!("New subject")
    });
    let other = consented(&w, "noa@example.com");
    w.happen(10, "ev_2", &other, "activity", Some("checkout_started"));
    w.tick(75);
    let subjects: Vec<Value> = w.sent().iter().map(|b| b["subject"].clone()).collect();
    assert_eq!(
        subjects,
        [json!("You left something in your cart"), json!("New subject")]
    );
}

#[test]
fn erase_leaves_nothing_of_the_person() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    assert_eq!(w.sent().len(), 1);
    let (status, _) = w.call(62, "DELETE", &format!("/journeys/admin/people/{lead}"), Value::Null);
    assert_eq!(status, 200);
    let left = left_of(&w, &lead);
    assert!(left.is_empty(), "{left:?}");
    w.tick(60 * 25);
    assert_eq!(w.sent().len(), 1, "nothing for an erased person");
}

#[test]
fn a_bad_document_is_a_422_naming_the_field() {
    let w = World::new();
    let mut doc: Value = serde_json::from_str(include_str!("../defaults/journeys.json")).unwrap();
    doc["journeys"][0]["steps"][0] = json!({"wait": {}});
    let (status, problem) = w.call(0, "PUT", "/journeys/admin/journeys", doc);
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "journeys[0].steps[0].wait");
}

#[test]
fn a_tick_costs_the_same_with_20_or_200_people_waiting() {
    let trips = |people: usize| {
        let w = World::new();
        w.set(0, |doc| doc["journeys"][0]["steps"][0] = json!({"wait": {"days": 30}}));
        for n in 0..people {
            let lead = consented(&w, &format!("p{n}@example.com"));
            w.happen(0, &format!("ev_{n}"), &lead, "activity", Some("checkout_started"));
        }
        w.tick(10);
        let before = w.store.round_trips();
        w.tick(20);
        w.store.round_trips() - before
    };
    assert_eq!(trips(20), trips(200), "ten quiet minutes cost what minutes cost");
}

#[test]
fn the_dry_run_shows_what_the_real_run_then_does_and_writes_nothing() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["settings"]["time_zone"] = json!("Asia/Jerusalem"));
    // Entering at 19:00 UTC (21:00 in Jerusalem): the first email is held
    // to 08:00 local; the second, 23 hours later, falls at 07:00 and is
    // held again.
    let evening = 9 * 60;
    let before = w.store.inner.len();
    let (status, path) = w.call(
        evening,
        "POST",
        "/journeys/admin/journeys/abandoned-checkout/simulate",
        json!({"lead_id": lead, "start": w.at(evening), "trigger": {"kind": "activity", "activity": "checkout_started", "items": ["Blue mug"]}}),
    );
    assert_eq!(status, 200, "{path}");
    assert_eq!(w.store.inner.len(), before, "nothing written");
    assert!(w.sent().is_empty(), "nothing sent");
    let outcomes: Vec<(Value, Value)> = path["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["outcome"].clone(), s["reason"].clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (json!("waited"), Value::Null),
            (json!("deferred"), json!("quiet_hours")),
            (json!("sent"), Value::Null),
            (json!("waited"), Value::Null),
            (json!("deferred"), json!("quiet_hours")),
            (json!("sent"), Value::Null),
        ]
    );
    let simulated: Vec<(Value, Value)> = path["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "sent")
        .map(|s| (s["at"].clone(), s["message"]["subject"].clone()))
        .collect();
    assert!(path["steps"][2]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("Blue mug"));
    assert_eq!(path["exit"]["why"], "completed");
    // The real run, ticking every minute of the same two days.
    w.happen(evening, "ev_1", &lead, "activity", Some("checkout_started"));
    for minute in (evening..evening + 48 * 60).step_by(1) {
        w.tick(minute);
        if w.sent().len() == 2 {
            break;
        }
    }
    let (_, person) = w.call(
        evening + 48 * 60,
        "GET",
        &format!("/journeys/admin/people/{lead}"),
        Value::Null,
    );
    let real: Vec<(Value, Value)> = person["journeys"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "sent")
        .zip(w.sent())
        .map(|(s, m)| (s["at"].clone(), m["subject"].clone()))
        .collect();
    assert_eq!(real, simulated);
}

#[test]
fn a_dry_run_of_a_hypothetical_person_and_a_purchase_mid_wait() {
    let w = World::new();
    w.set(0, |_| {});
    let (status, path) = w.call(
        0,
        "POST",
        "/journeys/admin/journeys/abandoned-checkout/simulate",
        json!({"person": {"first_name": "Noa", "language": "he"}, "start": w.at(0),
               "events": [{"at": w.at(120), "kind": "purchase"}]}),
    );
    assert_eq!(status, 200, "{path}");
    assert_eq!(path["steps"][1]["outcome"], "sent");
    assert!(path["steps"][1]["message"]["subject"]
        .as_str()
        .unwrap()
        .contains("עגלה"));
    assert_eq!(path["exit"]["why"], "event:purchase");
    assert_eq!(
        path["steps"].as_array().unwrap().len(),
        3,
        "waited, sent, waited: then the purchase"
    );
}

#[test]
fn a_detractor_gets_the_apology_and_nobody_without_consent_does() {
    let w = World::new();
    let lead = consented(&w, "unhappy@example.com");
    let silent = w.person(&[("email", "quiet@example.com")]);
    w.set(0, |doc| doc["journeys"][2]["status"] = json!("live"));
    let heard = w.happen(0, "evt_1", &lead, "survey.detractor", None);
    assert_eq!(heard["entered"], json!([format!("detractor-recovery:{lead}:1")]));
    w.happen(0, "evt_2", &silent, "survey.detractor", None);
    w.tick(1);
    w.tick(2);
    let (messages, alerts): (Vec<Value>, Vec<Value>) =
        w.sent().into_iter().partition(|b| b["event"] == "journey.message");
    assert_eq!(messages.len(), 1, "marketing: the one who consented");
    assert_eq!(
        messages[0]["subject"],
        "We are sorry, and we would like to make it right"
    );
    assert_eq!(messages[0]["to"]["email"], "unhappy@example.com");
    // The owner is told to call both: a call about a complaint is no
    // marketing message.
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(alerts[0]["note"]
        .as_str()
        .unwrap()
        .contains("Answered a survey as a detractor"));
}

/// The review's case: two events at once take entries 1 and 2; the loser
/// writes no instance. The person's live copy (1) must still be found, so
/// the purchase ends it, and they can enter again later.
#[test]
fn a_number_taken_by_the_loser_of_a_race_hides_nobody() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["journeys"][0]["reentry"] = json!("always"));
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    // Twenty events lost the race at once (a storefront firing a burst).
    spin_retention_core::store::Store::increment(&w.store, &crate::keys::entries("abandoned-checkout", &lead), 20)
        .unwrap();
    let heard = w.happen(10, "ord_1", &lead, "purchase", None);
    assert_eq!(heard["exited"], json!([format!("abandoned-checkout:{lead}:1")]));
    w.tick(61);
    assert!(w.sent().is_empty(), "the purchase ended it");
    let again = w.happen(100, "ev_2", &lead, "activity", Some("checkout_started"));
    assert_eq!(again["entered"], json!([format!("abandoned-checkout:{lead}:22")]));
}

#[test]
fn numbers_out_of_range_are_a_422_never_a_panic() {
    let w = World::new();
    for (field, value) in [
        ("expire_after_hours", json!(4294967295u32)),
        ("reentry", json!({"after_days": 4294967295u32})),
    ] {
        let mut doc: Value = serde_json::from_str(include_str!("../defaults/journeys.json")).unwrap();
        doc["journeys"][0][field] = value;
        let (status, problem) = w.call(0, "PUT", "/journeys/admin/journeys", doc);
        assert_eq!(status, 422, "{field}: {problem}");
    }
}

#[test]
fn a_name_that_reads_as_a_link_never_goes_out() {
    let w = World::new();
    let lead = w.person(&[
        ("email", "x@example.com"),
        ("first_name", "www.evil.example"),
        ("consent_marketing", "yes"),
    ]);
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    let text = w.sent()[0]["text"].as_str().unwrap().to_string();
    assert!(!text.contains("evil"), "{text}");
    assert!(text.starts_with("Hi, your cart is waiting"), "{text}");
}

#[test]
fn a_purchase_gives_a_thank_you_now_and_a_survey_link_seven_days_later_and_nothing_between() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["journeys"][1]["status"] = json!("live"));
    let event = json!([{"id": "ord_1", "lead_id": lead, "kind": "purchase", "at": w.at(0),
                        "amount_minor": 1800, "currency": "USD", "items": ["Blue mug"]}]);
    assert_eq!(w.call(0, "POST", "/journeys/events", event).0, 200);
    w.tick(1);
    assert_eq!(w.sent().len(), 1);
    assert!(w.sent()[0]["text"].as_str().unwrap().contains("(18.00 USD)"));
    for day in 1..7 {
        w.tick(day * 24 * 60);
        w.tick(day * 24 * 60);
    }
    assert_eq!(w.sent().len(), 1, "nothing in between");
    w.tick(7 * 24 * 60 + 1);
    w.tick(7 * 24 * 60 + 1);
    let sent = w.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["subject"], "How did we do?");
    assert!(sent[1]["text"]
        .as_str()
        .unwrap()
        .contains(&format!("https://shop.example/survey/s?for={lead}")));
    // The journey ends at day 14; a purchase on day 15 enters again
    // (reentry: always), and its survey, on day 22, is throttled (one
    // invitation per 30 days).
    w.tick(14 * 24 * 60 + 2);
    w.tick(14 * 24 * 60 + 2);
    assert_eq!(w.sent().len(), 3);
    let again = json!([{"id": "ord_2", "lead_id": lead, "kind": "purchase", "at": w.at(15 * 24 * 60)}]);
    w.call(15 * 24 * 60, "POST", "/journeys/events", again);
    for minute in [15 * 24 * 60 + 1, 22 * 24 * 60 + 2] {
        w.tick(minute);
        w.tick(minute);
    }
    let (_, report) = w.call(
        23 * 24 * 60,
        "GET",
        "/journeys/admin/journeys/post-purchase",
        Value::Null,
    );
    assert_eq!(report["figures"]["entered"], 2);
    assert_eq!(report["figures"]["skipped:survey_throttled"], 1, "{report}");
}

/// The review's case: a send the provider refused gave its budget back,
/// which left the week's counter under the person's id; erase removes it.
#[test]
fn erase_after_a_refused_send_leaves_nothing_either() {
    let mut w = World::new();
    w.config
        .insert("journeys_provider_url".into(), "https://refuses.example.test".into());
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    let (_, report) = w.call(62, "GET", "/journeys/admin/journeys/abandoned-checkout", Value::Null);
    assert_eq!(report["figures"]["failed"], 1, "{report}");
    assert_eq!(
        w.call(63, "DELETE", &format!("/journeys/admin/people/{lead}"), Value::Null)
            .0,
        200
    );
    let left = left_of(&w, &lead);
    assert!(left.is_empty(), "{left:?}");
}

/// Found by the benchmark: a tick that reached its limit in the last
/// minute it read said it was done, with steps of that minute still due.
#[test]
fn a_tick_that_stops_at_its_limit_is_not_done() {
    let w = World::new();
    w.set(0, |_| {});
    // Six enter; the first event of the minute takes its own step on its
    // back, five are left.
    for n in 0..6 {
        let lead = consented(&w, &format!("p{n}@example.com"));
        w.happen(0, &format!("ev_{n}"), &lead, "activity", Some("checkout_started"));
    }
    let (_, first) = w.call(0, "POST", "/journeys/admin/tick?limit=4", Value::Null);
    assert_eq!(
        (first["worked"].clone(), first["done"].clone()),
        (json!(4), json!(false)),
        "{first}"
    );
    let (_, second) = w.call(0, "POST", "/journeys/admin/tick?limit=4", Value::Null);
    assert_eq!(
        (second["worked"].clone(), second["done"].clone()),
        (json!(1), json!(true)),
        "{second}"
    );
}

#[test]
fn the_lift_counts_the_holdout_and_attributes_conversions_to_the_last_message() {
    let w = World::new();
    w.set(0, |doc| {
        doc["journeys"][0]["holdout_percent"] = json!(50);
        doc["journeys"][0]["exits_on"] = json!([]);
        doc["journeys"][0]["goal"] = json!({"event": "purchase", "within_days": 5});
    });
    let leads: Vec<String> = (0..40).map(|n| consented(&w, &format!("p{n}@example.com"))).collect();
    for (n, lead) in leads.iter().enumerate() {
        w.happen(0, &format!("ev_{n}"), lead, "activity", Some("checkout_started"));
    }
    w.tick(61);
    // Everyone treated buys two hours in, nobody in the holdout does.
    let mut treated = 0;
    for (n, lead) in leads.iter().enumerate() {
        let (_, person) = w.call(100, "GET", &format!("/journeys/admin/people/{lead}"), Value::Null);
        if person["journeys"][0]["instance"]["held_out"] == false {
            treated += 1;
            let event = json!([{"id": format!("ord_{n}"), "lead_id": lead, "kind": "purchase", "at": w.at(120),
                                "amount_minor": 2500, "currency": "USD"}]);
            let (_, heard) = w.call(120, "POST", "/journeys/events", event);
            assert_eq!(heard["events"][0]["heard"]["converted"].as_array().unwrap().len(), 1);
        }
    }
    // The same purchase told again converts nobody twice.
    let lead = &leads[0];
    let again = json!([{"id": "ord_again", "lead_id": lead, "kind": "purchase", "at": w.at(130)}]);
    w.call(130, "POST", "/journeys/events", again);
    let (_, report) = w.call(200, "GET", "/journeys/admin/journeys/abandoned-checkout", Value::Null);
    let lift = &report["lift"];
    assert_eq!(lift["treated"]["people"], treated, "{lift}");
    assert_eq!(lift["treated"]["converted"], treated);
    assert_eq!(lift["holdout"]["people"], 40 - treated);
    assert_eq!(lift["holdout"]["converted"], 0);
    assert_eq!(lift["lift"], 1.0);
    assert_eq!(lift["treated"]["revenue_per_person_minor"], 2500.0);
    assert_eq!(
        lift["attributed"],
        json!([[1, treated]]),
        "the first email, an hour before"
    );
}

/// The README's tour: on a local `public_url` (http), marketing waits for
/// an https one, and the dry run says so.
#[test]
fn marketing_waits_for_an_https_public_url_and_the_dry_run_says_so() {
    let mut w = World::new();
    w.config.insert("public_url".into(), "http://127.0.0.1:3000".into());
    w.set(0, |_| {});
    let (status, path) = w.call(
        0,
        "POST",
        "/journeys/admin/journeys/abandoned-checkout/simulate",
        json!({"person": {"first_name": "Dana"}, "start": w.at(0), "events": [{"at": w.at(120), "kind": "purchase"}]}),
    );
    assert_eq!(status, 200, "{path}");
    assert_eq!(path["steps"][0]["outcome"], "waited");
    assert_eq!(path["steps"][1]["outcome"], "deferred");
    assert_eq!(path["steps"][1]["reason"], "no_https_public_url");
    assert_eq!(path["exit"]["why"], "event:purchase");
}

/// A live marketing journey entered on `enters_on`, its steps as given.
fn journey_of(id: &str, enters_on: &str, steps: Value) -> Value {
    json!({"id": id, "name": id, "status": "live", "purpose": "marketing", "enters_on": enters_on,
           "reentry": "always", "priority": 50, "expire_after_hours": 24 * 7, "steps": steps})
}

fn email(subject: &str) -> Value {
    json!({"send": {"channel": "email", "subject": {"en": subject}, "text": {"en": "Hi {first_name}"}}})
}

fn subjects(w: &World) -> Vec<(String, String)> {
    w.sent()
        .iter()
        .map(|b| {
            (
                b["to"]["email"].as_str().unwrap_or_default().to_string(),
                b["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_split_on_a_fact_sends_each_person_down_their_branch_only() {
    let w = World::new();
    let with_phone = w.person(&[
        ("email", "phone@example.com"),
        ("phone", "+972525551234"),
        ("consent_marketing", "yes"),
    ]);
    let without = consented(&w, "nophone@example.com");
    w.set(0, |doc| {
        let steps = json!([
            {"split": {"when": [{"fact": "has_phone", "equals": true}], "go_to": 3}},
            email("no phone"),
            {"go_to": 4},
            email("has a phone"),
        ]);
        doc["journeys"] = json!([journey_of("split", "purchase", steps)]);
    });
    w.happen(0, "ord_1", &with_phone, "purchase", None);
    w.happen(0, "ord_2", &without, "purchase", None);
    w.tick(1);
    w.tick(2);
    let mut sent = subjects(&w);
    sent.sort();
    assert_eq!(
        sent,
        [
            ("nophone@example.com".to_string(), "no phone".to_string()),
            ("phone@example.com".to_string(), "has a phone".to_string())
        ]
    );
    let (_, report) = w.call(3, "GET", "/journeys/admin/journeys/split", Value::Null);
    assert_eq!(report["figures"]["split:taken"], 1);
    assert_eq!(report["figures"]["exited:completed"], 2);
}

#[test]
fn a_wait_for_goes_on_when_its_event_comes_and_elsewhere_when_time_runs_out() {
    let w = World::new();
    let reviewer = consented(&w, "reviewer@example.com");
    let quiet = consented(&w, "quiet@example.com");
    w.set(0, |doc| {
        let steps = json!([
            {"wait_for": {"event": "activity:review_left", "within": {"days": 2}, "timeout_go_to": 3}},
            email("thanks for the review"),
            {"go_to": 4},
            email("how did we do?"),
        ]);
        doc["journeys"] = json!([journey_of("review", "purchase", steps)]);
    });
    w.happen(0, "ord_1", &reviewer, "purchase", None);
    w.happen(0, "ord_2", &quiet, "purchase", None);
    w.tick(1);
    // The review comes a day later: the thanks goes at once, nothing else.
    let heard = w.happen(24 * 60, "rev_1", &reviewer, "activity", Some("review_left"));
    assert_eq!(heard["woken"], json!([format!("review:{reviewer}:1")]));
    w.tick(24 * 60 + 1);
    assert_eq!(
        subjects(&w),
        [("reviewer@example.com".into(), "thanks for the review".into())]
    );
    // The other's two days run out; a review after that moves nobody.
    w.tick(2 * 24 * 60 + 1);
    w.tick(2 * 24 * 60 + 2);
    let late = w.happen(3 * 24 * 60, "rev_2", &quiet, "activity", Some("review_left"));
    assert_eq!(late["woken"], json!([]));
    w.tick(4 * 24 * 60);
    assert_eq!(
        subjects(&w),
        [
            ("reviewer@example.com".into(), "thanks for the review".into()),
            ("quiet@example.com".into(), "how did we do?".into())
        ]
    );
    let (_, report) = w.call(5 * 24 * 60, "GET", "/journeys/admin/journeys/review", Value::Null);
    assert_eq!(report["figures"]["wait_for:heard"], 1);
    assert_eq!(report["figures"]["wait_for:timed_out"], 1);
    assert_eq!(report["figures"]["exited:completed"], 2);
}

#[test]
fn the_event_and_the_timeout_at_once_move_the_person_on_once() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| {
        let steps = json!([
            {"wait_for": {"event": "activity:review_left", "within": {"minutes": 10}, "timeout_go_to": 3}},
            email("heard"),
            {"go_to": 4},
            email("timed out"),
        ]);
        doc["journeys"] = json!([journey_of("race", "purchase", steps)]);
    });
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.tick(1);
    // A tick took the timeout's turn first and died before recording it.
    let timeout = crate::due::Due {
        instance: format!("race:{lead}:1"),
        step: 0,
        attempt: 1,
        at: w.at(11),
        first_due: w.at(1),
    };
    let key = |win| crate::keys::turn(&timeout, win);
    assert!(spin_retention_core::turns::take(&w.store, key, timeout.at, w.at(9)).unwrap());
    let heard = w.happen(9, "rev_1", &lead, "activity", Some("review_left"));
    assert_eq!(heard["woken"], json!([]), "the timeout had it");
    // The tick after the dead taker's two windows takes it over.
    w.tick(11);
    assert!(w.sent().is_empty());
    w.tick(18);
    w.tick(19);
    assert_eq!(subjects(&w), [("dana@example.com".into(), "timed out".into())]);
}

#[test]
fn entry_conditions_let_in_only_who_the_journey_is_for() {
    let w = World::new();
    let with_phone = w.person(&[
        ("email", "p@example.com"),
        ("phone", "+972525551234"),
        ("consent_marketing", "yes"),
    ]);
    let without = consented(&w, "n@example.com");
    w.set(0, |doc| {
        let mut journey = journey_of("phones", "purchase", json!([email("hi")]));
        journey["when"] = json!([{"fact": "has_phone", "equals": true}]);
        doc["journeys"] = json!([journey]);
    });
    assert_eq!(
        w.happen(0, "ord_1", &with_phone, "purchase", None)["entered"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let heard = w.happen(0, "ord_2", &without, "purchase", None);
    assert_eq!(heard["not_entered"], json!(["phones: not who it is for (when)"]));
    // A fact no journey may test is named.
    let mut doc =
        serde_json::to_value(<crate::document::Catalogue as spin_retention_core::admin_doc::Document>::defaults())
            .unwrap();
    doc["journeys"][0]["when"] = json!([{"fact": "left_phone", "equals": true}]);
    let (status, reply) = w.call(1, "PUT", "/journeys/admin/journeys", doc);
    assert_eq!(status, 422);
    assert_eq!(reply["errors"][0]["field"], "journeys[0].when[0]");
}

#[test]
fn each_person_gets_their_own_coupon_and_an_empty_pool_holds_the_message() {
    let w = World::new();
    let a = consented(&w, "a@example.com");
    let b = consented(&w, "b@example.com");
    let c = consented(&w, "c@example.com");
    w.set(0, |doc| {
        let send = json!({"send": {"channel": "email", "subject": {"en": "10% off"},
                                   "text": {"en": "Your code: {coupon}"}, "coupon": "ten-off"}});
        doc["journeys"] = json!([journey_of("coupon", "purchase", json!([send]))]);
    });
    let (status, pool) = w.call(
        0,
        "PUT",
        "/journeys/admin/coupons/ten-off",
        json!({"codes": ["AAA", "BBB"]}),
    );
    assert_eq!((status, pool["left"].clone()), (200, json!(2)));
    for (n, lead) in [&a, &b, &c].iter().enumerate() {
        w.happen(0, &format!("ord_{n}"), lead, "purchase", None);
    }
    w.tick(1);
    let mut texts: Vec<String> = w
        .sent()
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    assert_eq!(texts.len(), 2);
    assert!(
        texts[0].starts_with("Your code: AAA") && texts[1].starts_with("Your code: BBB"),
        "{texts:?}"
    );
    let (_, pool) = w.call(2, "GET", "/journeys/admin/coupons/ten-off", Value::Null);
    assert_eq!((pool["left"].clone(), pool["low"].clone()), (json!(0), json!(true)));
    let (_, report) = w.call(2, "GET", "/journeys/admin/journeys/coupon", Value::Null);
    assert_eq!(report["figures"]["deferred:no_coupon"], 1);
    assert_eq!(report["figures"]["coupons:issued"], 2);
    // More codes: the third person's message goes within the hour.
    w.call(10, "PUT", "/journeys/admin/coupons/ten-off", json!({"codes": ["CCC"]}));
    w.tick(62);
    assert_eq!(w.sent().len(), 3);
    assert!(w.sent()[2]["text"].as_str().unwrap().starts_with("Your code: CCC"));
    // Erase forgets the codes given (the pool keeps counting them issued).
    let (status, _) = w.call(70, "DELETE", &format!("/journeys/admin/people/{c}"), Value::Null);
    assert_eq!(status, 200);
    let left = left_of(&w, &c);
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_new_lead_gets_the_welcome_series_until_they_buy() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["journeys"][4]["status"] = json!("live"));
    let heard = w.happen(0, "evt_created_1", &lead, "lead.created", None);
    assert_eq!(heard["entered"], json!([format!("welcome:{lead}:1")]));
    w.tick(60);
    assert!(
        w.sent().is_empty(),
        "the acknowledgement said hello; the welcome waits a day"
    );
    w.tick(24 * 60 + 1);
    assert_eq!(subjects(&w), [("dana@example.com".into(), "Welcome to Acme".into())]);
    let heard = w.happen(2 * 24 * 60, "ord_1", &lead, "purchase", None);
    assert_eq!(heard["exited"], json!([format!("welcome:{lead}:1")]));
    w.tick(5 * 24 * 60);
    assert_eq!(w.sent().len(), 1, "a buyer is no longer welcomed");
}

#[test]
fn a_webhook_hears_of_entering_each_message_and_the_exit_once_each() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    let interest = spin_retention_core::events::Interest {
        types: [
            "journey.entered",
            "journey.message_sent",
            "journey.converted",
            "journey.exited",
        ]
        .map(String::from)
        .to_vec(),
        ..Default::default()
    };
    JsonStore::set_json(&w.store, &spin_retention_core::events::interest_key(), &interest).unwrap();
    w.set(0, |doc| {
        let mut journey = journey_of("hello", "purchase", json!([email("hello")]));
        journey["goal"] = json!({"event": "activity:login", "within_days": 5});
        doc["journeys"] = json!([journey]);
    });
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.tick(1);
    w.tick(2);
    w.happen(3, "login_1", &lead, "activity", Some("login"));
    let events: Vec<(String, Value)> = w
        .provider
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.url.ends_with("/alerts/events"))
        .map(|r| {
            let e: Value = serde_json::from_slice(&r.body).unwrap();
            (e["type"].as_str().unwrap().to_string(), e["data"].clone())
        })
        .collect();
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "journey.entered",
            "journey.message_sent",
            "journey.exited",
            "journey.converted"
        ]
    );
    let instance = format!("hello:{lead}:1");
    assert_eq!(events[1].1["instance"], json!(instance));
    assert_eq!(events[1].1["channel"], "email");
    assert_eq!(events[2].1["why"], "completed");
    assert_eq!(events[0].1["lead_id"], json!(lead));
}

#[test]
fn a_click_is_recorded_redirects_to_our_own_link_and_takes_the_attribution() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| {
        let send = |subject: &str, text: &str| {
            json!({"send": {"channel": "email", "subject": {"en": subject}, "text": {"en": text}}})
        };
        let steps = json!([
            send("first", "See https://shop.example/new. Or https://shop.example/?ref={first_name}"),
            {"wait": {"days": 1}},
            send("second", "More at https://shop.example/more"),
        ]);
        let mut journey = journey_of("clicks", "purchase", steps);
        journey["goal"] = json!({"event": "activity:login", "within_days": 5});
        doc["journeys"] = json!([journey]);
    });
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.tick(1);
    w.tick(24 * 60 + 1);
    let sent = w.sent();
    let first = sent[0]["text"].as_str().unwrap();
    assert!(!first.contains("https://shop.example/new"), "tracked: {first}");
    assert!(
        first.contains("https://shop.example/?ref=Dana"),
        "a link with a placeholder goes as it is"
    );
    let tracked = first
        .split_whitespace()
        .find(|t| t.starts_with("https://shop.example/journeys/c/"))
        .unwrap()
        .trim_end_matches('.')
        .strip_prefix("https://shop.example")
        .unwrap()
        .to_string();
    let follow = |path: &str| {
        let owned = OwnedBy::new(&w.store, "journeys");
        let ctx = Ctx::new(&owned, &w.config, &w.provider, w.at(24 * 60 + 5));
        JOB.handle(&Request::new("GET", path), &ctx).finish(&ctx).unwrap()
    };
    for _ in 0..2 {
        let reply = follow(&tracked);
        assert_eq!(reply.status, 302);
        assert_eq!(reply.header("location"), Some("https://shop.example/new"));
    }
    assert_eq!(
        follow(&format!("{tracked}x")).status,
        404,
        "an altered token leads nowhere"
    );
    // The purchase after both messages: the clicked one converted it.
    w.happen(24 * 60 + 10, "login_1", &lead, "activity", Some("login"));
    let (_, report) = w.call(24 * 60 + 11, "GET", "/journeys/admin/journeys/clicks", Value::Null);
    assert_eq!(report["figures"]["clicked"], 1);
    assert_eq!(report["figures"]["clicks"], 2);
    assert_eq!(
        report["lift"]["attributed"],
        json!([[0, 1]]),
        "step 0, once: {}",
        report["lift"]
    );
    w.call(
        24 * 60 + 12,
        "DELETE",
        &format!("/journeys/admin/people/{lead}"),
        Value::Null,
    );
    let left = left_of(&w, &lead);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        follow(&tracked).status,
        404,
        "erased: nothing of them, not even the link"
    );
}

#[test]
fn a_reply_of_stop_signed_by_twilio_stops_marketing_sms() {
    let mut w = World::new();
    for (k, v) in [
        ("journeys_provider", "twilio"),
        ("journeys_api_key", "twilio-auth-token"),
        ("journeys_twilio_account_sid", "AC123"),
        ("journeys_from", "+15005550006"),
    ] {
        w.config.insert(k.into(), v.into());
    }
    let lead = w.person(&[
        ("phone", "+972525551234"),
        ("first_name", "Dana"),
        ("consent_marketing", "yes"),
    ]);
    w.set(0, |doc| {
        let sms = |text: &str| json!({"send": {"channel": "sms", "text": {"en": text}}});
        let steps = json!([sms("Hi {first_name}"), {"wait": {"days": 1}}, sms("Again")]);
        doc["journeys"] = json!([journey_of("texts", "purchase", steps)]);
    });
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.tick(1);
    let first = String::from_utf8(w.provider.0.lock().unwrap()[0].body.clone()).unwrap();
    assert!(first.contains("Reply+STOP+to+opt+out"), "{first}");
    let reply = |body: &str, signature: &str| {
        let owned = OwnedBy::new(&w.store, "journeys");
        let ctx = Ctx::new(&owned, &w.config, &w.provider, w.at(60));
        let mut req = Request::new("POST", "/journeys/sms/inbound");
        req.headers
            .push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        req.headers.push(("x-twilio-signature".into(), signature.into()));
        req.body = body.as_bytes().to_vec();
        JOB.handle(&req, &ctx).finish(&ctx).unwrap()
    };
    let body = "MessageSid=SM1&From=%2B972525551234&To=%2B15005550006&Body=Stop";
    let params = spin_retention_messaging::twilio_inbound::params(body.as_bytes()).unwrap();
    let signature = spin_retention_messaging::twilio_inbound::signature(
        "twilio-auth-token",
        "https://shop.example/journeys/sms/inbound",
        &params,
    );
    assert_eq!(reply(body, "AAAA").status, 403, "not Twilio's");
    let stopped = reply(body, &signature);
    assert_eq!(stopped.status, 200);
    assert_eq!(stopped.header("content-type"), Some("text/xml"));
    w.tick(24 * 60 + 1);
    let (_, report) = w.call(24 * 60 + 2, "GET", "/journeys/admin/journeys/texts", Value::Null);
    assert_eq!(report["figures"]["sent"], 1);
    assert_eq!(report["figures"]["skipped:sms_stopped"], 1);
}

#[test]
fn an_alert_step_tells_the_owner_through_lead_alerts_once() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| {
        let steps = json!([{"alert": {"note": "Call {first_name}: slipping away"}}]);
        doc["journeys"] = json!([journey_of("call", "purchase", steps)]);
    });
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.tick(1);
    w.tick(2);
    let calls: Vec<(String, Value)> = w
        .provider
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|r| (r.url.clone(), serde_json::from_slice(&r.body).unwrap()))
        .collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0].0,
        format!("http://lead-alerts.spin.internal/alerts/owner/{lead}")
    );
    assert_eq!(calls[0].1["note"], "Call Dana: slipping away");
    let (_, report) = w.call(3, "GET", "/journeys/admin/journeys/call", Value::Null);
    assert_eq!(report["figures"]["alerted"], 1);
    assert_eq!(report["figures"]["exited:completed"], 1);
    // A note that names a link made for the person is refused.
    let mut doc =
        serde_json::to_value(<crate::document::Catalogue as spin_retention_core::admin_doc::Document>::defaults())
            .unwrap();
    doc["journeys"][0]["steps"][0] = json!({"alert": {"note": "see {survey_link}"}});
    let (status, reply) = w.call(4, "PUT", "/journeys/admin/journeys", doc);
    assert_eq!(
        (status, reply["errors"][0]["field"].clone()),
        (422, json!("journeys[0].steps[0].alert.note"))
    );
}

#[test]
fn the_overview_is_the_contract_and_a_status_change_pauses_a_journey() {
    use spin_retention_core::contracts::journeys::Overview;
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    let owned = OwnedBy::new(&w.store, "journeys");
    let ctx = Ctx::new(&owned, &w.config, &w.provider, w.at(62));
    let mut req = Request::new("GET", "/journeys/admin/overview");
    req.headers.push(("authorization".into(), "Bearer t".into()));
    let reply = JOB.handle(&req, &ctx).finish(&ctx).unwrap();
    let overview: Overview = spin_retention_core::contracts::testing::reads_as(&reply.body);
    let cart = &overview.journeys[0];
    assert_eq!((cart.id.as_str(), cart.status.as_str()), ("abandoned-checkout", "live"));
    assert_eq!((cart.figure("entered"), cart.figure("sent")), (1, 1));
    assert!(!cart.figures.contains_key("failed"), "only what is above zero");
    let (status, _) = w.call(
        63,
        "POST",
        "/journeys/admin/journeys/abandoned-checkout/status",
        json!({"status": "paused"}),
    );
    assert_eq!(status, 200);
    let (_, doc) = w.call(63, "GET", "/journeys/admin/journeys", Value::Null);
    assert_eq!(doc["journeys"]["journeys"][0]["status"], "paused");
    let (status, problem) = w.call(
        63,
        "POST",
        "/journeys/admin/journeys/abandoned-checkout/status",
        json!({"status": "gone"}),
    );
    assert_eq!((status, problem["errors"][0]["field"].clone()), (422, json!("status")));
    // Paused: the next email waits.
    w.tick(60 * 25);
    assert_eq!(w.sent().len(), 1);
}

#[test]
fn quiet_hours_follow_the_persons_country_where_it_has_one_zone() {
    let w = World::new();
    let here = w.person(&[
        ("email", "il@example.com"),
        ("country", "IL"),
        ("consent_marketing", "yes"),
    ]);
    let there = w.person(&[
        ("email", "us@example.com"),
        ("country", "US"),
        ("consent_marketing", "yes"),
    ]);
    // The business keeps UTC; 19:30 UTC is 21:30 in Israel, and still day
    // for the one whose country has several zones (the business's zone).
    w.set(0, |doc| doc["settings"]["time_zone"] = json!("UTC"));
    let evening = 9 * 60 + 30;
    w.happen(evening - 60, "ev_1", &here, "activity", Some("checkout_started"));
    w.happen(evening - 60, "ev_2", &there, "activity", Some("checkout_started"));
    w.tick(evening + 1);
    assert_eq!(
        subjects(&w).iter().map(|(to, _)| to.as_str()).collect::<Vec<_>>(),
        ["us@example.com"]
    );
    // 08:00 in Jerusalem is 06:00 UTC (priority 80 adds 2 minutes).
    w.tick(20 * 60 + 2);
    assert_eq!(subjects(&w).len(), 2);
}

/// A day of the test in minutes.
const DAY: i64 = 24 * 60;

fn timed(enters_on: &str, offset_days: i32) -> Value {
    let mut j = journey_of("timed", enters_on, json!([email("For you")]));
    j["offset_days"] = json!(offset_days);
    j["reentry"] = json!("always");
    j
}

#[test]
fn a_birthday_enters_at_the_start_of_the_persons_day_and_again_next_year() {
    let w = World::new();
    let lead = w.person(&[
        ("email", "dana@example.com"),
        ("consent_marketing", "yes"),
        ("country", "IL"),
        ("birthday", "1990-12-20"),
    ]);
    w.set(0, |doc| doc["journeys"] = json!([timed("date:birthday", 0)]));
    let heard = w.happen(0, "evt_created_1", &lead, "lead.created", None);
    assert_eq!(heard["armed"], json!(["timed"]));
    assert_eq!(heard["entered"], json!([]));
    // 20 December starts in Jerusalem at 22:00 UTC the day before (12 d 12 h on).
    let midnight = 12 * DAY + 12 * 60;
    w.tick(midnight - 1);
    assert!(w.sent().is_empty(), "not before the day");
    w.tick(midnight + 1);
    let (_, person) = w.call(
        midnight + 2,
        "GET",
        &format!("/journeys/admin/people/{lead}"),
        Value::Null,
    );
    assert_eq!(person["journeys"][0]["instance"]["journey"], "timed", "{person}");
    assert!(w.sent().is_empty(), "entered at midnight, held by quiet hours");
    // Held to 08:00 there, and a few minutes for its priority.
    w.tick(midnight + 8 * 60 + 10);
    assert_eq!(subjects(&w), [("dana@example.com".into(), "For you".into())]);
    // The same day told again, or ticked twice, enters nobody twice.
    w.happen(midnight + 9 * 60, "ord_1", &lead, "purchase", None);
    w.tick(midnight + 10 * 60);
    w.tick(midnight + 11 * 60);
    assert_eq!(w.sent().len(), 1);
    let armed: crate::armed::Armed = w
        .store
        .inner
        .get_json(&crate::keys::armed("timed", &lead))
        .unwrap()
        .unwrap();
    assert_eq!(armed.at, "2027-12-19T22:00:00Z".parse::<DateTime<Utc>>().unwrap());
}

#[test]
fn an_inactivity_counts_from_the_last_event_only() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["journeys"] = json!([timed("inactive:purchase", 30)]));
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.happen(10 * DAY, "ord_2", &lead, "purchase", None);
    w.tick(31 * DAY);
    assert!(w.sent().is_empty(), "a purchase on day 10 moved it to day 40");
    w.tick(40 * DAY + 1);
    assert_eq!(subjects(&w), [("dana@example.com".into(), "For you".into())]);
    let (_, report) = w.call(40 * DAY + 2, "GET", "/journeys/admin/journeys/timed", Value::Null);
    assert_eq!(report["figures"]["entered"], 1, "{report}");
}

#[test]
fn a_reorder_reminder_comes_days_before_the_customers_own_interval_runs_out() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    fold(
        &w,
        &lead,
        json!({"first_purchase_at": w.at(-60 * DAY), "typical_interval_days": 30.0}),
    );
    w.set(0, |doc| doc["journeys"] = json!([timed("replenishment", -5)]));
    assert_eq!(w.happen(0, "ord_3", &lead, "purchase", None)["armed"], json!(["timed"]));
    w.tick(25 * DAY - 1);
    assert!(w.sent().is_empty());
    w.tick(25 * DAY + 1);
    assert_eq!(w.sent().len(), 1);
}

#[test]
fn erase_takes_the_armed_date_and_its_entry_too() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["journeys"] = json!([timed("inactive:purchase", 30)]));
    w.happen(0, "ord_1", &lead, "purchase", None);
    w.happen(DAY, "ord_2", &lead, "purchase", None);
    let (status, _) = w.call(
        DAY + 1,
        "DELETE",
        &format!("/journeys/admin/people/{lead}"),
        Value::Null,
    );
    assert_eq!(status, 200);
    let left = left_of(&w, &lead);
    assert!(left.is_empty(), "{left:?}");
    w.tick(40 * DAY);
    assert!(w.sent().is_empty());
}

#[test]
fn a_date_trigger_takes_an_offset_in_its_range_only() {
    let w = World::new();
    for (enters_on, offset, field) in [
        ("inactive:purchase", 0, "journeys[0].offset_days"),
        ("purchase", 3, "journeys[0].offset_days"),
        ("replenishment", 5, "journeys[0].offset_days"),
        ("inactive:bought", 30, "journeys[0].enters_on"),
    ] {
        let mut doc: Value = serde_json::from_str(include_str!("../defaults/journeys.json")).unwrap();
        doc["journeys"] = json!([timed(enters_on, offset)]);
        let (status, reply) = w.call(0, "PUT", "/journeys/admin/journeys", doc);
        assert_eq!(status, 422, "{reply}");
        assert_eq!(reply["errors"][0]["field"], field, "{reply}");
    }
}

#[test]
fn the_shipped_birthday_gives_the_loyal_the_bigger_benefit() {
    let w = World::new();
    let born = |email: &str| {
        w.person(&[
            ("email", email),
            ("first_name", "Dana"),
            ("consent_marketing", "yes"),
            ("birthday", "12-09"),
        ])
    };
    let (gold, plain) = (born("gold@example.com"), born("plain@example.com"));
    fold(
        &w,
        &gold,
        json!({"orders": 6, "revenue": {"USD": 90000}, "main_revenue": 90000,
               "average_order_value": {"USD": 15000}, "loyalty_tier": "gold", "events": 6}),
    );
    w.set(0, |doc| doc["journeys"][5]["status"] = json!("live"));
    for (n, lead) in [&gold, &plain].into_iter().enumerate() {
        w.happen(0, &format!("created_{n}"), lead, "lead.created", None);
    }
    // 9 December starts (the shipped zone is UTC) 1 d 14 h after the start;
    // quiet hours hold the greeting to 08:00.
    w.tick(DAY + 14 * 60 + 1);
    w.tick(DAY + 22 * 60 + 10);
    let texts: Vec<(String, bool)> = w
        .sent()
        .iter()
        .map(|b| {
            let text = b["text"].as_str().unwrap();
            (b["to"]["email"].as_str().unwrap().to_string(), text.contains("20%"))
        })
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.contains(&("gold@example.com".into(), true)), "{texts:?}");
    assert!(texts.contains(&("plain@example.com".into(), false)), "{texts:?}");
}

#[test]
fn a_dry_run_of_a_date_journey_starts_on_the_date() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["journeys"] = json!([timed("inactive:purchase", 30)]));
    let (status, path) = w.call(
        0,
        "POST",
        "/journeys/admin/journeys/timed/simulate",
        json!({"lead_id": lead, "start": w.at(0)}),
    );
    assert_eq!(status, 200, "{path}");
    assert_eq!(path["not_entered"], Value::Null, "{path}");
    assert_eq!(path["steps"][0]["outcome"], "sent", "{path}");
}

#[test]
fn a_wait_until_ten_on_a_monday_ends_then_in_the_persons_zone() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| {
        let steps = json!([{"wait": {"at": "10:00", "on": ["mon"]}}, email("Monday")]);
        doc["journeys"] = json!([journey_of("monday", "purchase", steps)]);
    });
    // Monday 11:00 (the shipped zone is UTC): past ten, so next Monday's.
    w.happen(60, "ord_1", &lead, "purchase", None);
    w.tick(7 * DAY - 1);
    assert!(w.sent().is_empty());
    w.tick(7 * DAY + 10);
    assert_eq!(subjects(&w), [("dana@example.com".into(), "Monday".into())]);
    let mut doc: Value = serde_json::from_str(include_str!("../defaults/journeys.json")).unwrap();
    let steps = json!([{"wait": {"on": ["monday"]}}, email("Monday")]);
    doc["journeys"] = json!([journey_of("monday", "purchase", steps)]);
    let (status, reply) = w.call(0, "PUT", "/journeys/admin/journeys", doc);
    assert_eq!(status, 422);
    let fields: Vec<&str> = reply["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "journeys[0].steps[0].wait",
            "journeys[0].steps[0].wait.on",
            "journeys[0].steps[0].wait.on"
        ]
    );
}

#[test]
fn a_detractor_who_later_answers_as_a_promoter_counts_as_recovered_once() {
    let w = World::new();
    let lead = consented(&w, "unhappy@example.com");
    w.set(0, |doc| doc["journeys"][2]["status"] = json!("live"));
    w.happen(0, "evt_1", &lead, "survey.detractor", None);
    // A detractor's answer again recovers nobody; a promoter's does, once.
    assert_eq!(
        w.happen(DAY, "ans_1", &lead, "survey.answered", Some("detractor"))["recovered"],
        Value::Null
    );
    let heard = w.happen(31 * DAY, "ans_2", &lead, "survey.answered", Some("promoter"));
    assert_eq!(heard["recovered"], json!([format!("detractor-recovery:{lead}:1")]));
    w.happen(32 * DAY, "ans_3", &lead, "survey.answered", Some("passive"));
    let (_, report) = w.call(
        32 * DAY,
        "GET",
        "/journeys/admin/journeys/detractor-recovery",
        Value::Null,
    );
    assert_eq!(report["figures"]["recovered:treated"], 1, "{report}");
    assert_eq!(report["figures"]["entered"], 1);
}

#[test]
fn the_funnel_counts_how_people_went_on_from_each_step() {
    use spin_retention_core::contracts::journeys::Funnel;
    let w = World::new();
    let with_phone = w.person(&[
        ("email", "phone@example.com"),
        ("phone", "+972525551234"),
        ("consent_marketing", "yes"),
    ]);
    let without = consented(&w, "nophone@example.com");
    let silent = w.person(&[("email", "quiet@example.com")]);
    w.set(0, |doc| {
        let steps = json!([
            {"split": {"when": [{"fact": "has_phone", "equals": true}], "go_to": 3}},
            email("no phone"),
            {"go_to": 4},
            email("has a phone"),
        ]);
        doc["journeys"] = json!([journey_of("split", "purchase", steps)]);
    });
    for (n, lead) in [&with_phone, &without, &silent].into_iter().enumerate() {
        w.happen(0, &format!("ord_{n}"), lead, "purchase", None);
    }
    w.tick(1);
    w.tick(2);
    let owned = OwnedBy::new(&w.store, "journeys");
    let ctx = Ctx::new(&owned, &w.config, &w.provider, w.at(3));
    let mut req = Request::new("GET", "/journeys/admin/journeys/split/funnel");
    req.headers.push(("authorization".into(), "Bearer t".into()));
    let reply = JOB.handle(&req, &ctx).finish(&ctx).unwrap();
    let funnel: Funnel = spin_retention_core::contracts::testing::reads_as(&reply.body);
    assert_eq!(funnel.entered, 3);
    let outcomes: Vec<(&str, Vec<(&str, u64)>)> = funnel
        .steps
        .iter()
        .map(|s| {
            (
                s.kind.as_str(),
                s.outcomes.iter().map(|(k, n)| (k.as_str(), *n)).collect(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("split", vec![("split", 2), ("split_taken", 1)]),
            ("send", vec![("sent", 1), ("skipped", 1)]),
            ("go_to", vec![("jumped", 2)]),
            ("send", vec![("sent", 1)]),
        ]
    );
    assert_eq!(funnel.steps[1].label, "email: no phone");
}

#[test]
fn a_persons_journeys_are_the_contract_the_timeline_reads() {
    use spin_retention_core::contracts::journeys::PersonJourneys;
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |_| {});
    w.happen(0, "ev_1", &lead, "activity", Some("checkout_started"));
    w.tick(61);
    let owned = OwnedBy::new(&w.store, "journeys");
    let ctx = Ctx::new(&owned, &w.config, &w.provider, w.at(62));
    let mut req = Request::new("GET", &format!("/journeys/admin/people/{lead}"));
    req.headers.push(("authorization".into(), "Bearer t".into()));
    let reply = JOB.handle(&req, &ctx).finish(&ctx).unwrap();
    let person: PersonJourneys = spin_retention_core::contracts::testing::reads_as(&reply.body);
    let through = &person.journeys[0];
    assert_eq!(through.instance.trigger, "activity:checkout_started");
    let steps: Vec<(&str, Option<&str>)> = through
        .steps
        .iter()
        .map(|s| (s.outcome.as_str(), s.channel.as_deref()))
        .collect();
    assert_eq!(steps, [("waited", None), ("sent", Some("email")), ("waited", None)]);
    assert_eq!(through.steps[0].until, Some(w.at(60)));
}

#[test]
fn a_tag_step_tags_the_person_rescores_them_and_a_split_sees_it() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| {
        let steps = json!([
            {"tag": {"add": "vip-club"}},
            {"split": {"when": [{"fact": "tags", "contains": "vip-club"}], "go_to": 3}},
            email("untagged"),
            email("welcome to the club"),
            {"tag": {"remove": "newcomer"}},
        ]);
        doc["journeys"] = json!([journey_of("club", "purchase", steps)]);
    });
    w.happen(0, "ord_1", &lead, "purchase", None);
    for minute in 1..6 {
        w.tick(minute);
    }
    assert_eq!(spin_retention_core::tags::list(&w.store, &lead).unwrap(), ["vip-club"]);
    let scored: Vec<String> = w
        .provider
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.url.contains("/scoring/leads/"))
        .map(|r| r.url.clone())
        .collect();
    assert_eq!(scored.len(), 2, "scored again after each tag step: {scored:?}");
    assert!(scored[0].ends_with(&format!("/scoring/leads/{lead}")));
    assert_eq!(
        subjects(&w),
        [("dana@example.com".into(), "welcome to the club".into())]
    );
    let (_, funnel) = w.call(6, "GET", "/journeys/admin/journeys/club/funnel", Value::Null);
    assert_eq!(funnel["steps"][0]["outcomes"]["tagged"], 1, "{funnel}");
    let (status, _) = w.call(7, "DELETE", &format!("/journeys/admin/people/{lead}"), Value::Null);
    assert_eq!(status, 200);
    let left = left_of(&w, &lead);
    assert!(left.is_empty(), "{left:?}");
}

/// The review's cases: a pause over the day keeps next year's; an older
/// event heard late does not bring an inactivity back; a reorder that
/// would come before the purchase never comes.
#[test]
fn dates_survive_a_pause_and_never_move_back() {
    let w = World::new();
    let lead = w.person(&[
        ("email", "dana@example.com"),
        ("consent_marketing", "yes"),
        ("birthday", "12-09"),
    ]);
    w.set(0, |doc| doc["journeys"] = json!([timed("date:birthday", 0)]));
    w.happen(0, "created", &lead, "lead.created", None);
    w.set(DAY, |doc| {
        doc["journeys"] = json!([timed("date:birthday", 0)]);
        doc["journeys"][0]["status"] = json!("paused");
    });
    w.tick(DAY + 14 * 60 + 1);
    assert!(w.sent().is_empty(), "paused: nobody enters");
    let armed = |journey: &str| -> Option<DateTime<Utc>> {
        w.store
            .inner
            .get_json(&crate::keys::armed(journey, &lead))
            .unwrap()
            .map(|a: crate::armed::Armed| a.at)
    };
    assert_eq!(
        armed("timed"),
        Some("2027-12-09T00:00:00Z".parse().unwrap()),
        "next year kept"
    );

    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    w.set(0, |doc| doc["journeys"] = json!([timed("inactive:purchase", 30)]));
    w.happen(10 * DAY, "ord_2", &lead, "purchase", None);
    let event = json!([{"id": "ord_1", "lead_id": lead, "kind": "purchase", "at": w.at(0)}]);
    w.call(10 * DAY + 1, "POST", "/journeys/events", event);
    assert_eq!(armed_at(&w, &lead), Some(w.at(40 * DAY)), "the later purchase counts");

    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    fold(&w, &lead, json!({"typical_interval_days": 4.0}));
    w.set(0, |doc| doc["journeys"] = json!([timed("replenishment", -5)]));
    assert_eq!(w.happen(0, "ord_3", &lead, "purchase", None)["armed"], Value::Null);
}

fn armed_at(w: &World, lead: &str) -> Option<DateTime<Utc>> {
    w.store
        .inner
        .get_json(&crate::keys::armed("timed", lead))
        .unwrap()
        .map(|a: crate::armed::Armed| a.at)
}

#[test]
fn an_anniversary_waits_a_year_after_the_first_purchase() {
    let zone = spin_retention_zones::Zone::utc();
    let now: DateTime<Utc> = "2026-12-07T10:00:00Z".parse().unwrap();
    // First bought on 1 December 2026: with +30 days, 31 December 2027, not 2026.
    assert_eq!(
        crate::armed::next_yearly(12, 1, 30, zone, now, Some(2027)),
        Some("2027-12-31T00:00:00Z".parse().unwrap())
    );
    assert_eq!(
        crate::armed::next_yearly(12, 1, 30, zone, now, None),
        Some("2026-12-31T00:00:00Z".parse().unwrap())
    );
}

#[test]
fn a_paused_date_journey_still_hears_what_moves_its_dates() {
    let mut doc: Value = serde_json::from_str(include_str!("../defaults/journeys.json")).unwrap();
    let mut paused = timed("inactive:purchase", 30);
    paused["status"] = json!("paused");
    doc["journeys"] = json!([paused]);
    let catalogue = crate::document::parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(crate::job::interest(&catalogue).names, ["purchase"]);
    doc["journeys"][0]["status"] = json!("archived");
    let catalogue = crate::document::parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert!(crate::job::interest(&catalogue).names.is_empty());
}

#[test]
fn a_reorder_follows_the_fold_earlier_too_and_goes_when_it_no_longer_holds() {
    let w = World::new();
    let lead = consented(&w, "dana@example.com");
    let rhythm = |interval: f64| fold(&w, &lead, json!({"typical_interval_days": interval}));
    w.set(0, |doc| doc["journeys"] = json!([timed("replenishment", -5)]));
    rhythm(60.0);
    w.happen(0, "ord_1", &lead, "purchase", None);
    assert_eq!(armed_at(&w, &lead), Some(w.at(55 * DAY)));
    rhythm(35.0);
    w.happen(0, "ord_2", &lead, "purchase", None);
    assert_eq!(armed_at(&w, &lead), Some(w.at(30 * DAY)), "a shorter rhythm: earlier");
    rhythm(3.0);
    w.happen(0, "ord_3", &lead, "purchase", None);
    assert_eq!(armed_at(&w, &lead), None, "too short to remind before it runs out");
    let left = left_of(&w, &lead);
    assert!(left.iter().all(|k| !k.starts_with("journeys-due")), "{left:?}");
}

/// The person's fold as customers writes it: three orders of 30.00 USD,
/// the last at the start, with `more` (an interval, a tier) on top.
fn fold(w: &World, lead: &str, more: Value) {
    let mut customer = json!({"lead_id": lead, "orders": 3, "revenue": {"USD": 9000}, "main_revenue": 9000,
        "currency": "USD", "average_order_value": {"USD": 3000}, "last_purchase_at": w.at(0), "events": 3,
        "updated_at": w.at(0)});
    customer
        .as_object_mut()
        .unwrap()
        .extend(more.as_object().unwrap().clone());
    let customer: spin_retention_core::customer::Customer = serde_json::from_value(customer).unwrap();
    w.store
        .set_json(&spin_retention_core::customer::key(lead), &customer)
        .unwrap();
}
