//! journeys end to end under `spin up`: a shop's events through customers
//! enter people in a journey, the tick sends through a mock provider at
//! the test's clock, a purchase mid-wait ends the journey, a purchase gets
//! its thank-you and survey's own link a week later, a detractor's answer
//! gets the apology, a birthday from the form gets its greeting on the
//! day, a one-click unsubscribe done as Gmail does it stops
//! the next message, the dry run sends nothing, five ticks at once send
//! each message once, and lead-intake's erase reaches journeys.

use serde_json::{json, Value};
use spin_retention_e2e::bench::concurrently;
use spin_retention_e2e::mock_provider::{MockProvider, Received};
use spin_retention_e2e::spin::SpinApp;
use spin_retention_e2e::{app_config, own_spin, request, Reply, ADMIN_TOKEN};
use std::time::{Duration, Instant};

const EVENTS_TOKEN: &str = "e2e-events-token";
/// A Monday, 10:00 UTC: no quiet hours for the next eleven hours.
const START: &str = "2026-12-07T10:00:00Z";

fn start(provider: &MockProvider) -> Option<SpinApp> {
    own_spin(
        app_config()
            .variable("test_clock", "enabled")
            .variable("customer_events_token", EVENTS_TOKEN)
            .variable("journeys_provider", "webhook")
            .variable("journeys_provider_url", &provider.url)
            .variable("journeys_link_secret", "e2e-journeys-secret")
            .variable("public_url", "https://shop.example"),
    )
}

fn at(minutes: i64) -> String {
    let start: chrono::DateTime<chrono::Utc> = START.parse().unwrap();
    (start + chrono::Duration::minutes(minutes)).to_rfc3339()
}

fn call(base: &str, method: &str, path: &str, bearer: &str, minutes: i64, body: &Value) -> Reply {
    let bearer = format!("Bearer {bearer}");
    let clock = at(minutes);
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    request(
        method,
        base,
        path,
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
            ("x-test-clock", &clock),
        ],
        &body,
    )
}

fn set_journeys(base: &str) {
    set_live(base, &["abandoned-checkout"]);
}

/// The shipped journeys, those named live.
fn set_live(base: &str, live: &[&str]) {
    let mut doc: Value = serde_json::from_str(include_str!("../../../shared/journeys/defaults/journeys.json")).unwrap();
    for journey in doc["journeys"].as_array_mut().unwrap() {
        if live.contains(&journey["id"].as_str().unwrap()) {
            journey["status"] = json!("live");
        }
    }
    let reply = call(base, "PUT", "/journeys/admin/journeys", ADMIN_TOKEN, 0, &doc);
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// A shop event through customers (the person opened by email, with the
/// shop's consent); its lead id.
fn shop_event(base: &str, minutes: i64, event: Value) -> String {
    let reply = call(base, "POST", "/customers/events", EVENTS_TOKEN, minutes, &event);
    assert!(reply.status < 300, "{}", reply.text());
    reply.json()["lead_id"].as_str().unwrap().to_string()
}

/// A lead posted to the form (as the admin, at the start): its id.
fn form_lead(base: &str, lead: Value) -> String {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let clock = at(0);
    let posted = request(
        "POST",
        base,
        "/intake/leads",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("x-test-clock", &clock),
        ],
        lead.to_string().as_bytes(),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    posted.json()["id"].as_str().unwrap().to_string()
}

fn checkout(base: &str, email: &str, id: &str) -> String {
    shop_event(
        base,
        0,
        json!({"type": "activity", "activity": "checkout_started", "id": id, "email": email,
               "first_name": "Dana", "at": at(0), "consent_marketing": true,
               "items": [{"name": "Blue mug"}]}),
    )
}

/// The person's journeys, once journeys heard of them (customers tells it
/// after its reply).
fn journeys_of(base: &str, lead: &str, entered: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = call(
            base,
            "GET",
            &format!("/journeys/admin/people/{lead}"),
            ADMIN_TOKEN,
            0,
            &Value::Null,
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        if body["journeys"].as_array().unwrap().len() >= entered || Instant::now() > deadline {
            return body;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A tick at `minutes`, called again while it says it is not done (as
/// lead-intake's tick does).
fn tick(base: &str, minutes: i64) {
    for _ in 0..60 {
        let reply = call(base, "POST", "/journeys/admin/tick", ADMIN_TOKEN, minutes, &Value::Null);
        assert_eq!(reply.status, 200, "{}", reply.text());
        if reply.json()["done"] == true {
            return;
        }
    }
    panic!("the tick at {minutes} never finished");
}

fn to(messages: &[Received], email: &str) -> Vec<Value> {
    messages
        .iter()
        .map(Received::json)
        .filter(|m| m["to"]["email"] == email)
        .collect()
}

#[test]
fn an_abandoned_checkout_gets_its_email_and_a_purchase_mid_wait_ends_it() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_journeys(base);
    let lead = checkout(base, "dana@example.com", "chk-1");
    let journeys = journeys_of(base, &lead, 1);
    assert_eq!(journeys["journeys"][0]["instance"]["journey"], "abandoned-checkout");
    tick(base, 30);
    assert!(provider.received().is_empty(), "nothing before the hour");
    tick(base, 61);
    let sent = provider.wait_for(1);
    let first = sent[0].json();
    assert_eq!(first["event"], "journey.message");
    assert_eq!(first["subject"], "You left something in your cart");
    assert!(first["text"].as_str().unwrap().contains("Blue mug"), "{first}");
    assert_eq!(first["headers"]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
    // The purchase arrives mid-wait: the second email never goes.
    shop_event(
        base,
        120,
        json!({"type": "purchase", "order_id": "o-1", "amount": "18.00", "currency": "USD",
               "email": "dana@example.com", "at": at(120)}),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while journeys_of(base, &lead, 1)["journeys"][0]["exit"].is_null() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let journeys = journeys_of(base, &lead, 1);
    assert_eq!(journeys["journeys"][0]["exit"]["why"], "event:purchase");
    tick(base, 25 * 60);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(to(&provider.received(), "dana@example.com").len(), 1);
}

/// The abandoned checkout's second email, a day later, with each person's
/// own code of the pool the business uploaded; a buyer gets neither.
#[test]
fn an_abandoned_checkout_gives_two_messages_the_second_with_a_code_of_ones_own() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_journeys(base);
    let codes = json!({"codes": ["CART-AAA", "CART-BBB", "CART-CCC"]});
    let uploaded = call(
        base,
        "PUT",
        "/journeys/admin/coupons/cart-comeback",
        ADMIN_TOKEN,
        0,
        &codes,
    );
    assert_eq!(uploaded.status, 200, "{}", uploaded.text());
    let people = ["a@example.com", "b@example.com", "buyer@example.com"];
    let leads: Vec<String> = people
        .iter()
        .enumerate()
        .map(|(n, email)| checkout(base, email, &format!("chk-c{n}")))
        .collect();
    for lead in &leads {
        journeys_of(base, lead, 1);
    }
    tick(base, 61);
    provider.wait_for(3);
    shop_event(
        base,
        120,
        json!({"type": "purchase", "order_id": "o-c", "amount": "18.00", "currency": "USD",
               "email": "buyer@example.com", "at": at(120)}),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while journeys_of(base, &leads[2], 1)["journeys"][0]["exit"].is_null() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    tick(base, 24 * 60 + 1);
    provider.wait_for(5);
    std::thread::sleep(Duration::from_millis(300));
    let received = provider.received();
    let mut codes = Vec::new();
    for email in &people[..2] {
        let mine = to(&received, email);
        assert_eq!(mine.len(), 2, "{email}: {mine:?}");
        assert_eq!(mine[1]["subject"], "Still thinking it over? Here is 10% off");
        let text = mine[1]["text"].as_str().unwrap();
        let code = text.split("Use the code ").nth(1).unwrap().split(' ').next().unwrap();
        codes.push(code.to_string());
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 2, "each their own code: {codes:?}");
    assert_eq!(to(&received, "buyer@example.com").len(), 1, "the purchase ended it");
    let pool = call(
        base,
        "GET",
        "/journeys/admin/coupons/cart-comeback",
        ADMIN_TOKEN,
        24 * 60 + 2,
        &Value::Null,
    );
    assert_eq!(
        (pool.json()["issued"].clone(), pool.json()["left"].clone()),
        (json!(2), json!(1))
    );
}

/// A form's new lead enters the welcome series through lead-intake's
/// hand-off, and gets its first email a day later.
#[test]
fn a_new_lead_from_the_form_gets_the_welcome_a_day_later() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_live(base, &["welcome"]);
    let lead = form_lead(
        base,
        json!({"email": "new@example.com", "first_name": "Noa", "consent_marketing": true}),
    );
    let journeys = journeys_of(base, &lead, 1);
    assert_eq!(journeys["journeys"][0]["instance"]["journey"], "welcome", "{journeys}");
    tick(base, 60);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        to(&provider.received(), "new@example.com").is_empty(),
        "not before a day"
    );
    tick(base, 24 * 60 + 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    while to(&provider.received(), "new@example.com").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = to(&provider.received(), "new@example.com");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0]["subject"].as_str().unwrap().starts_with("Welcome to "),
        "{}",
        sent[0]
    );
}

/// A birthday given on the form enters the shipped birthday journey at
/// the start of that day (the tick, at the test's clock), and the greeting
/// goes out when quiet hours end.
#[test]
fn a_birthday_from_the_form_gets_its_greeting_on_the_day() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_live(base, &["birthday"]);
    let lead = form_lead(
        base,
        json!({"email": "born@example.com", "first_name": "Noa", "consent_marketing": true,
               "birthday": "1990-12-09"}),
    );
    // 9 December starts (the shipped zone is UTC) 38 h after the start.
    let day = 38 * 60;
    tick(base, day - 1);
    assert!(journeys_of(base, &lead, 0)["journeys"].as_array().unwrap().is_empty());
    // lead-intake tells journeys after its reply: tick until it has.
    let deadline = Instant::now() + Duration::from_secs(20);
    let journeys = loop {
        tick(base, day + 1);
        let journeys = journeys_of(base, &lead, 0);
        if !journeys["journeys"].as_array().unwrap().is_empty() || Instant::now() > deadline {
            break journeys;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(journeys["journeys"][0]["instance"]["journey"], "birthday", "{journeys}");
    tick(base, day + 8 * 60 + 10);
    let deadline = Instant::now() + Duration::from_secs(20);
    while to(&provider.received(), "born@example.com").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = to(&provider.received(), "born@example.com");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["subject"], "Happy birthday, Noa!", "{}", sent[0]);
}

/// A tag step under Spin: the tag lands, lead-scoring (over service
/// chaining) scores the person again, and a split on the `tags` fact sends
/// the tagged branch.
#[test]
fn a_tag_step_tags_the_buyer_and_scoring_takes_the_call() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    let mut doc: Value = serde_json::from_str(include_str!("../../../shared/journeys/defaults/journeys.json")).unwrap();
    let email = |subject: &str| json!({"send": {"channel": "email", "subject": {"en": subject}, "text": {"en": "Hi {first_name}"}}});
    doc["journeys"] = json!([{"id": "club", "name": "Club", "status": "live", "purpose": "marketing",
        "enters_on": "purchase", "reentry": "always", "steps": [
            {"tag": {"add": "vip-club"}},
            {"split": {"when": [{"fact": "tags", "contains": "vip-club"}], "go_to": 3}},
            email("untagged"),
            email("Welcome to the club")]}]);
    let reply = call(base, "PUT", "/journeys/admin/journeys", ADMIN_TOKEN, 0, &doc);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let lead = shop_event(
        base,
        0,
        json!({"type": "purchase", "id": "o-club", "order_id": "o-club", "amount": "18.00", "currency": "USD",
               "email": "club@example.com", "first_name": "Dana", "at": at(0), "consent_marketing": true}),
    );
    journeys_of(base, &lead, 1);
    for minute in 1..4 {
        tick(base, minute);
    }
    let sent = provider.wait_for(1);
    let subjects: Vec<Value> = to(&sent, "club@example.com")
        .iter()
        .map(|m| m["subject"].clone())
        .collect();
    assert_eq!(subjects, [json!("Welcome to the club")]);
    let steps = journeys_of(base, &lead, 1)["journeys"][0]["steps"].clone();
    assert_eq!(steps[0]["outcome"], "tagged", "lead-scoring answered: {steps}");
}

#[test]
fn one_click_unsubscribe_as_gmail_does_it_stops_the_next_message() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_journeys(base);
    let lead = checkout(base, "noa@example.com", "chk-2");
    journeys_of(base, &lead, 1);
    tick(base, 61);
    let sent = provider.wait_for(1);
    let header = sent[0].json()["headers"]["List-Unsubscribe"]
        .as_str()
        .unwrap()
        .to_string();
    let path = header
        .trim_matches(['<', '>'])
        .strip_prefix("https://shop.example")
        .unwrap()
        .to_string();
    // RFC 8058: a POST with this body, no cookie and no credentials.
    let reply = request(
        "POST",
        base,
        &path,
        &[("content-type", "application/x-www-form-urlencoded")],
        b"List-Unsubscribe=One-Click",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.header("location").is_none(), "never a redirect");
    tick(base, 25 * 60);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(to(&provider.received(), "noa@example.com").len(), 1);
    let journeys = journeys_of(base, &lead, 1);
    assert_eq!(journeys["journeys"][0]["exit"]["why"], "unsubscribed");
    // A link altered by one character is refused and changes nothing.
    let refused = request("POST", base, &format!("{path}x"), &[], b"List-Unsubscribe=One-Click");
    assert_eq!(refused.status, 404);
}

#[test]
fn five_ticks_at_once_send_each_message_once_and_erase_reaches_journeys() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_journeys(base);
    let people = 20;
    let leads: Vec<String> = (0..people)
        .map(|n| checkout(base, &format!("p{n}@example.com"), &format!("chk-p{n}")))
        .collect();
    for lead in &leads {
        journeys_of(base, lead, 1);
    }
    concurrently(5, 5, |_| tick(base, 61));
    let sent = provider.wait_for(people);
    std::thread::sleep(Duration::from_millis(500));
    for n in 0..people {
        assert_eq!(to(&provider.received(), &format!("p{n}@example.com")).len(), 1, "p{n}");
    }
    assert_eq!(sent.len(), people);
    let reply = call(
        base,
        "GET",
        "/journeys/admin/journeys/abandoned-checkout",
        ADMIN_TOKEN,
        62,
        &Value::Null,
    );
    assert_eq!(reply.json()["figures"]["sent"], people);
    // Erase through lead-intake: journeys forgets the person.
    let erased = call(
        base,
        "DELETE",
        &format!("/intake/admin/leads/{}", leads[0]),
        ADMIN_TOKEN,
        63,
        &Value::Null,
    );
    assert_eq!(erased.status, 200, "{}", erased.text());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = call(
            base,
            "GET",
            &format!("/journeys/admin/people/{}", leads[0]),
            ADMIN_TOKEN,
            64,
            &Value::Null,
        );
        if reply.json()["journeys"] == json!([]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "journeys still holds the person: {}",
            reply.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_purchase_gets_a_thank_you_now_and_its_survey_link_a_week_later() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_live(base, &["post-purchase"]);
    let survey = json!({"kind": "nps", "question": {"en": "How likely are you to recommend us?"}});
    let defined = call(
        base,
        "PUT",
        "/survey/admin/surveys/nps-after-purchase",
        ADMIN_TOKEN,
        0,
        &survey,
    );
    assert_eq!(defined.status, 201, "{}", defined.text());
    let lead = shop_event(
        base,
        0,
        json!({"type": "purchase", "id": "o-7", "order_id": "o-7", "amount": "18.00", "currency": "USD",
               "email": "buyer@example.com", "first_name": "Dana", "at": at(0), "consent_marketing": true,
               "items": [{"name": "Blue mug"}]}),
    );
    journeys_of(base, &lead, 1);
    tick(base, 1);
    let thanks = provider.wait_for(1)[0].json();
    assert_eq!(thanks["subject"], "Thank you for your order");
    assert!(thanks["text"].as_str().unwrap().contains("(18.00 USD)"), "{thanks}");
    for day in 1..7 {
        tick(base, day * 24 * 60);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(provider.received().len(), 1, "nothing in between");
    tick(base, 7 * 24 * 60 + 1);
    let invitation = provider.wait_for(2)[1].json();
    assert_eq!(invitation["subject"], "How did we do?");
    // survey's own signed link, on the public origin: it opens the survey.
    let text = invitation["text"].as_str().unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://shop.example/survey/"))
        .unwrap_or_else(|| panic!("no survey link in {text}"));
    let page = request(
        "GET",
        base,
        link.strip_prefix("https://shop.example").unwrap(),
        &[("accept", "text/html")],
        b"",
    );
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("How likely are you to recommend us?"));
}

#[test]
fn a_detractors_answer_gets_the_apology_and_the_dry_run_sends_nothing() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_live(base, &["detractor-recovery", "abandoned-checkout"]);
    let survey = json!({"kind": "nps", "question": {"en": "How likely are you to recommend us?"}});
    call(base, "PUT", "/survey/admin/surveys/nps-q4", ADMIN_TOKEN, 0, &survey);
    let lead = shop_event(
        base,
        0,
        json!({"type": "activity", "activity": "login", "email": "unhappy@example.com", "first_name": "Avi",
               "at": at(0), "consent_marketing": true}),
    );
    let made = call(
        base,
        "POST",
        "/survey/admin/surveys/nps-q4/links",
        ADMIN_TOKEN,
        0,
        &json!({"lead_id": lead}),
    );
    assert_eq!(made.status, 201, "{}", made.text());
    let answer = json!({"token": made.json()["token"], "score": 3});
    let answered = call(base, "POST", "/survey/surveys/nps-q4/answers", "none", 1, &answer);
    assert!(answered.status < 300, "{}", answered.text());
    journeys_of(base, &lead, 1);
    tick(base, 2);
    let sent = provider.wait_for(1);
    assert_eq!(
        sent[0].json()["subject"],
        "We are sorry, and we would like to make it right"
    );
    assert_eq!(sent[0].json()["to"]["email"], "unhappy@example.com");
    // The dry run of the abandoned checkout for a hypothetical person: the
    // path with its messages, and nothing sent.
    let path = call(
        base,
        "POST",
        "/journeys/admin/journeys/abandoned-checkout/simulate",
        ADMIN_TOKEN,
        3,
        &json!({"person": {"first_name": "Noa"}, "start": at(3), "events": [{"at": at(120), "kind": "purchase"}]}),
    );
    assert_eq!(path.status, 200, "{}", path.text());
    let path = path.json();
    assert_eq!(path["steps"][1]["outcome"], "sent", "{path}");
    assert_eq!(
        path["steps"][1]["message"]["subject"],
        "You left something in your cart"
    );
    assert_eq!(path["exit"]["why"], "event:purchase");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(provider.received().len(), 1, "the dry run sent nothing");
}

#[test]
fn the_holdout_is_never_sent_and_the_lift_counts_it() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    let mut doc: Value = serde_json::from_str(include_str!("../../../shared/journeys/defaults/journeys.json")).unwrap();
    doc["journeys"][0]["status"] = json!("live");
    doc["journeys"][0]["holdout_percent"] = json!(50);
    doc["journeys"][0]["exits_on"] = json!([]);
    let reply = call(base, "PUT", "/journeys/admin/journeys", ADMIN_TOKEN, 0, &doc);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let people = 16;
    let leads: Vec<String> = (0..people)
        .map(|n| checkout(base, &format!("h{n}@example.com"), &format!("chk-h{n}")))
        .collect();
    let held: Vec<bool> = leads
        .iter()
        .map(|lead| journeys_of(base, lead, 1)["journeys"][0]["instance"]["held_out"] == true)
        .collect();
    let treated = held.iter().filter(|h| !**h).count();
    assert!(treated > 0 && treated < people, "a split: {treated} of {people}");
    tick(base, 61);
    provider.wait_for(treated);
    std::thread::sleep(Duration::from_millis(300));
    for (n, is_held) in held.iter().enumerate() {
        let got = to(&provider.received(), &format!("h{n}@example.com")).len();
        assert_eq!(got, usize::from(!is_held), "h{n} held out: {is_held}");
    }
    // Everyone buys, treated and holdout: both convert; the lift is 0.
    for n in 0..people {
        shop_event(
            base,
            120,
            json!({"type": "purchase", "id": format!("o-h{n}"), "order_id": format!("o-h{n}"), "amount": "10.00",
                   "currency": "USD", "email": format!("h{n}@example.com"), "at": at(120)}),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let lift = loop {
        let report = call(
            base,
            "GET",
            "/journeys/admin/journeys/abandoned-checkout",
            ADMIN_TOKEN,
            121,
            &Value::Null,
        )
        .json();
        let lift = report["lift"].clone();
        let converted =
            lift["treated"]["converted"].as_u64().unwrap_or(0) + lift["holdout"]["converted"].as_u64().unwrap_or(0);
        if converted == people as u64 || Instant::now() > deadline {
            break lift;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(lift["treated"]["people"], treated, "{lift}");
    assert_eq!(lift["holdout"]["people"], people - treated);
    assert_eq!(lift["holdout"]["converted"], people - treated);
    assert_eq!(lift["lift"], 0.0);
    assert_eq!(lift["holdout"]["revenue_per_person_minor"], 1000.0);
}

#[test]
fn quiet_hours_hold_a_message_to_eight_in_jerusalem() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    let mut doc: Value = serde_json::from_str(include_str!("../../../shared/journeys/defaults/journeys.json")).unwrap();
    doc["journeys"][0]["status"] = json!("live");
    doc["settings"]["time_zone"] = json!("Asia/Jerusalem");
    assert_eq!(
        call(base, "PUT", "/journeys/admin/journeys", ADMIN_TOKEN, 0, &doc).status,
        200
    );
    // 19:00 UTC is 21:00 in Jerusalem in December: the email due an hour
    // later is held to 08:00 local (06:00 UTC), two minutes later for its
    // priority (80).
    let evening = 9 * 60;
    let lead = shop_event(
        base,
        evening,
        json!({"type": "activity", "activity": "checkout_started", "id": "chk-q", "email": "q@example.com",
               "first_name": "Dana", "at": at(evening), "consent_marketing": true}),
    );
    journeys_of(base, &lead, 1);
    tick(base, evening + 61);
    let eight = 20 * 60 + 2;
    tick(base, eight - 3);
    std::thread::sleep(Duration::from_millis(300));
    assert!(provider.received().is_empty(), "held through the night");
    tick(base, eight);
    let sent = provider.wait_for(1);
    assert_eq!(sent[0].json()["to"]["email"], "q@example.com");
    let steps = journeys_of(base, &lead, 1)["journeys"][0]["steps"].clone();
    assert_eq!(steps[1]["outcome"], "deferred", "{steps}");
    assert_eq!(steps[1]["reason"], "quiet_hours");
    assert_eq!(steps[1]["until"], "2026-12-08T06:02:00Z");
}

#[test]
fn many_purchases_at_once_enter_each_person_once() {
    let provider = MockProvider::start();
    let Some(app) = start(&provider) else { return };
    let base = &app.base_url;
    set_live(base, &["post-purchase"]);
    let people = 1000;
    let purchase = |n: usize| {
        json!({"type": "purchase", "id": format!("o-m{n}"), "order_id": format!("o-m{n}"), "amount": "5.00",
               "currency": "USD", "email": format!("m{n}@example.com"), "at": at(0), "consent_marketing": true})
    };
    // Every purchase twice, from 32 clients at once: a replay enters nobody.
    concurrently(32, 2 * people, |i| shop_event(base, 0, purchase(i % people)));
    let entered = || {
        call(
            base,
            "GET",
            "/journeys/admin/journeys/post-purchase",
            ADMIN_TOKEN,
            0,
            &Value::Null,
        )
        .json()["figures"]["entered"]
            .as_u64()
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while entered() < people as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(entered(), people as u64, "each person once");
}
