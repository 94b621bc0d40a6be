//! customers end to end under `spin up`: purchases in (the API, a streamed
//! import, Stripe and Shopify webhooks signed as they sign them), a loyalty
//! tier, RFM and a slipping customer reaching lead-scoring's at-risk and
//! the audiences ad platforms pull, many clients at once counted once, and
//! the month's metrics. Time is the test's (`x-test-clock`).

use serde_json::{json, Value};
use spin_retention_core::events::What;
use spin_retention_core::ids::sha256_hex;
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::spin::SpinApp;
use spin_retention_e2e::{admin, app_config, export_token, own_spin, request, Reply, ADMIN_TOKEN};
use std::time::{Duration, Instant};

const EVENTS_TOKEN: &str = "e2e-events-token";
const STRIPE_SECRET: &str = "whsec_e2e_stripe_secret";
const SHOPIFY_SECRET: &str = "e2e-shopify-secret";
const NOW: &str = "2026-11-23T10:00:00Z";

fn config() -> spin_retention_e2e::spin::SpinConfig {
    app_config()
        .variable("test_clock", "enabled")
        .variable("customer_events_token", EVENTS_TOKEN)
        .variable("stripe_webhook_secret", STRIPE_SECRET)
        .variable("shopify_webhook_secret", SHOPIFY_SECRET)
}

fn start() -> Option<SpinApp> {
    own_spin(config())
}

fn call(method: &str, base: &str, path: &str, bearer: &str, clock: &str, body: &[u8]) -> Reply {
    request(
        method,
        base,
        path,
        &[
            ("authorization", &format!("Bearer {bearer}")),
            ("content-type", "application/json"),
            ("x-test-clock", clock),
        ],
        body,
    )
}

fn event(base: &str, clock: &str, body: &Value) -> Reply {
    call(
        "POST",
        base,
        "/customers/events",
        EVENTS_TOKEN,
        clock,
        body.to_string().as_bytes(),
    )
}

fn purchase(email: &str, order: &str, amount: &str, at: &str) -> Value {
    json!({"type": "purchase", "order_id": order, "amount": amount, "currency": "USD", "email": email,
        "at": at, "consent_marketing": true, "consent_ad_user_data": true, "consent_ad_personalization": true})
}

fn admin_at(base: &str, method: &str, path: &str, clock: &str) -> Reply {
    call(method, base, path, ADMIN_TOKEN, clock, b"")
}

/// Runs the refresh (RFM, tiers, slipping) to its end at `clock`.
fn refresh(base: &str, clock: &str) -> Value {
    let mut path = "/customers/admin/refresh?restart=true&limit=500".to_string();
    for _ in 0..50 {
        let reply = admin_at(base, "POST", &path, clock);
        assert_eq!(reply.status, 200, "{}", reply.text());
        let run = reply.json();
        if run["done"] == true {
            return run;
        }
        path = "/customers/admin/refresh?limit=500".to_string();
    }
    panic!("the refresh did not finish");
}

/// Polls `read` until `done` holds (20 s at most): the hand-offs after a
/// reply (customers, then scoring, then audiences) land a little later.
fn eventually(what: &str, read: impl Fn() -> Value, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = read();
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: {value}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn export(base: &str, audience: &str) -> String {
    let reply = request(
        "GET",
        base,
        &format!("/audiences/{audience}/export?format=csv"),
        &[("authorization", &format!("Bearer {}", export_token("csv")))],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.text()
}

fn customer(base: &str, lead: &str, clock: &str) -> Value {
    let reply = admin_at(base, "GET", &format!("/customers/admin/customers/{lead}"), clock);
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

#[test]
fn purchases_make_a_tier_and_a_champion_that_ad_platforms_pull() {
    let Some(app) = start() else { return };
    let base = &app.base_url;
    // A gold customer (2,500.00 in the trailing year) and four others.
    let mut vip = String::new();
    for (i, (at, amount)) in [
        ("2026-06-01", "800.00"),
        ("2026-08-01", "900.00"),
        ("2026-11-20", "800.00"),
    ]
    .into_iter()
    .enumerate()
    {
        let reply = event(
            base,
            NOW,
            &purchase("vip@shop.io", &format!("vip-{i}"), amount, &format!("{at}T10:00:00Z")),
        );
        assert_eq!(reply.status, 201, "{}", reply.text());
        vip = reply.json()["lead_id"].as_str().unwrap().to_string();
    }
    for p in 0..4 {
        let body = purchase(
            &format!("one{p}@shop.io"),
            &format!("one-{p}"),
            "20.00",
            "2026-05-01T10:00:00Z",
        );
        assert_eq!(event(base, NOW, &body).status, 201);
    }
    let view = customer(base, &vip, NOW);
    assert_eq!(view["customer"]["orders"], 3);
    assert_eq!(view["customer"]["loyalty_tier"], "gold", "{view}");
    assert_eq!(view["revenue"]["USD"], "2500.00");
    let tiers: Vec<&str> = view["customer"]["tier_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["to"].as_str().unwrap())
        .collect();
    // 800.00 at once is silver (500); 2,500.00 in the year is gold (2,000).
    assert_eq!(tiers, ["silver", "gold"], "tier changes are recorded");
    // The RFM run: vip bought last and most often of the five.
    let run = refresh(base, NOW);
    assert_eq!(run["gathered"], 5, "{run}");
    let rfm = admin_at(base, "GET", "/customers/admin/rfm", NOW).json();
    assert_eq!(rfm["quintiles"]["customers"], 5, "{rfm}");
    assert_eq!(customer(base, &vip, NOW)["customer"]["rfm"]["segment"], "Champions");
    // Scoring sees the facts, audiences follow: the champion is a lookalike seed.
    let score = eventually(
        "scoring sees the customer",
        || admin("GET", base, &format!("/scoring/leads/{vip}")).json(),
        |s| s["fired"].is_array(),
    );
    assert_eq!(score["at_risk"], false, "{score}");
    let email = sha256_hex("vip@shop.io");
    eventually(
        "champions-lookalike holds the champion",
        || json!(export(base, "champions-lookalike")),
        |csv| csv.as_str().unwrap().contains(&email),
    );
    // An audience of the gold tier, defined over the new facts.
    let mut definitions = admin("GET", base, "/audiences/admin/definitions").json()["definitions"].clone();
    definitions["audiences"].as_array_mut().unwrap().push(
        json!({"id": "gold", "description": "Gold customers", "when": [{"fact": "loyalty_tier", "equals": "gold"}]}),
    );
    let put = spin_retention_e2e::admin_json("PUT", base, "/audiences/admin/definitions", &definitions);
    assert_eq!(put.status, 200, "{}", put.text());
    for _ in 0..20 {
        let run = admin_at(base, "POST", "/audiences/admin/refresh?limit=500", NOW).json();
        if run["done"] == true {
            break;
        }
    }
    let gold = export(base, "gold");
    assert!(gold.contains(&email), "{gold}");
    assert_eq!(gold.lines().count(), 2, "the header and the one gold customer: {gold}");
}

#[test]
fn a_slipping_customer_is_at_risk_and_in_the_win_back_audiences() {
    // A CRM's webhook receiver hears of slipping customers.
    let crm = MockProvider::start();
    let secrets = json!({"crm": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}).to_string();
    let config = config()
        .variable("webhook_secrets", &secrets)
        .variable("alerts_plain_http_origin", &crm.url)
        // The receiver is on loopback.
        .variable("test_private_hosts", "enabled");
    let Some(app) = own_spin(config) else { return };
    let base = &app.base_url;
    let endpoints =
        json!({"endpoints": [{"id": "crm", "url": format!("{}/hook", crm.url), "events": ["customer.slipping"]}]});
    let put = spin_retention_e2e::admin_json("PUT", base, "/alerts/admin/webhooks", &endpoints);
    assert_eq!(put.status, 200, "{}", put.text());
    let early = "2026-09-05T10:00:00Z";
    // One request, so lead-scoring is told once, at this early clock,
    // before the refresh at the later one.
    let both = json!({"events": [
        purchase("slip@shop.io", "s-1", "60.00", "2026-08-01T10:00:00Z"),
        purchase("slip@shop.io", "s-2", "60.00", "2026-08-31T10:00:00Z"),
    ]});
    let reply = event(base, early, &both);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let lead = reply.json()["events"][1]["lead_id"].as_str().unwrap().to_string();
    let fresh = eventually(
        "scoring hears of the purchases",
        || admin("GET", base, &format!("/scoring/leads/{lead}")).json(),
        |s| s["fired"].is_array(),
    );
    assert_eq!(fresh["at_risk"], false, "{fresh}");
    // Typical interval 30 days, factor 1.5: slipping from Oct 15. On Nov 23
    // the refresh notices it and tells lead-scoring.
    let run = refresh(base, NOW);
    assert_eq!(run["raised"], 1, "{run}");
    let view = customer(base, &lead, NOW);
    assert_eq!(view["slipping"], true, "{view}");
    let score = eventually(
        "scoring marks the slipping customer at risk",
        || admin("GET", base, &format!("/scoring/leads/{lead}")).json(),
        |s| s["at_risk"] == true,
    );
    assert_eq!(score["slipping_since"], "2026-10-15T10:00:00Z", "{score}");
    let email = sha256_hex("slip@shop.io");
    for audience in ["at-risk-win-back", "slipping-regulars"] {
        eventually(
            audience,
            || json!(export(base, audience)),
            |csv| csv.as_str().unwrap().contains(&email),
        );
    }
    let delivered = crm.wait_for(1);
    let message = delivered[0].json();
    assert_eq!(message["type"], "customer.slipping", "{message}");
    assert_eq!(message["data"]["slipping_since"], "2026-10-15T10:00:00Z");
    // Read as the events contract, as a receiver in Rust would.
    let contract = json!({"type": message["type"], "data": message["data"]});
    let What::CustomerSlipping(slipping) = serde_json::from_value(contract).unwrap() else {
        unreachable!()
    };
    assert_eq!(slipping.lead_id, lead);
    assert_eq!(slipping.typical_interval_days, Some(30.0));
    // A second run the same day raises nothing new, and sends nothing
    // (a second delivery would arrive within a second, as the first did).
    assert_eq!(refresh(base, NOW)["raised"], 0);
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until && crm.received().len() < 2 {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(crm.received().len(), 1, "one event per slipping episode");
    // Erase forgets the customer too.
    let erased = admin("DELETE", base, &format!("/intake/admin/leads/{lead}"));
    assert_eq!(erased.status, 200, "{}", erased.text());
    admin_at(base, "GET", &format!("/customers/admin/customers/{lead}"), NOW).assert_problem(404);
}

fn stripe(base: &str, body: &str, t: i64, secret: &str) -> Reply {
    let signature: String =
        spin_retention_core::signed::hmac_sha256(secret.as_bytes(), format!("{t}.{body}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    request(
        "POST",
        base,
        "/customers/stripe",
        &[
            ("stripe-signature", &format!("t={t},v1={signature}")),
            ("content-type", "application/json"),
            ("x-test-clock", NOW),
        ],
        body.as_bytes(),
    )
}

fn shopify(base: &str, topic: &str, body: &str) -> Reply {
    use base64::Engine;
    let hmac = spin_retention_core::signed::hmac_sha256(SHOPIFY_SECRET.as_bytes(), body.as_bytes());
    request(
        "POST",
        base,
        "/customers/shopify",
        &[
            (
                "x-shopify-hmac-sha256",
                &base64::engine::general_purpose::STANDARD.encode(hmac),
            ),
            ("x-shopify-topic", topic),
            ("content-type", "application/json"),
            ("x-test-clock", NOW),
        ],
        body.as_bytes(),
    )
}

#[test]
fn stripe_and_shopify_deliveries_are_verified_and_replays_change_nothing() {
    let Some(app) = start() else { return };
    let base = &app.base_url;
    let t = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().timestamp();
    let invoice = json!({"id": "evt_e2e_1", "type": "invoice.paid", "created": t - 30,
        "data": {"object": {"id": "in_e2e_1", "billing_reason": "subscription_create", "amount_paid": 4900,
        "currency": "usd", "customer": "cus_e2e", "customer_email": "stripe@shop.io",
        "parent": {"subscription_details": {"subscription": "sub_e2e"}}}}})
    .to_string();
    let paid = stripe(base, &invoice, t, STRIPE_SECRET);
    assert_eq!(paid.status, 200, "{}", paid.text());
    assert_eq!(paid.json()["duplicate"], false);
    let lead = paid.json()["lead_id"].as_str().unwrap().to_string();
    // The refresh settled first (the first request started it on its
    // back), so that only the replay could change what is read.
    refresh(base, NOW);
    let before = customer(base, &lead, NOW);
    let again = stripe(base, &invoice, t, STRIPE_SECRET);
    assert_eq!((again.status, again.json()["duplicate"].clone()), (200, json!(true)));
    assert_eq!(customer(base, &lead, NOW), before, "a replay changes nothing");
    stripe(base, &invoice, t, "whsec_wrong").assert_problem(400);
    stripe(base, &invoice, t - 301, STRIPE_SECRET).assert_problem(400);
    let cancelled = json!({"id": "evt_e2e_2", "type": "customer.subscription.deleted", "created": t,
        "data": {"object": {"id": "sub_e2e", "customer": "cus_e2e", "canceled_at": t - 10}}})
    .to_string();
    assert_eq!(stripe(base, &cancelled, t, STRIPE_SECRET).status, 200);
    let view = customer(base, &lead, NOW);
    assert_eq!(view["customer"]["subscription"]["status"], "cancelled");
    assert_eq!(view["churned"], true);

    let order = json!({"id": 5550001, "email": "shopper@shop.io", "total_price": "199.00", "currency": "EUR",
        "created_at": "2026-11-20T09:00:00+01:00", "buyer_accepts_marketing": true,
        "line_items": [{"title": "Lamp", "quantity": 1, "price": "199.00", "sku": "LAMP-1"}]})
    .to_string();
    let created = shopify(base, "orders/create", &order);
    assert_eq!(created.status, 200, "{}", created.text());
    let shopper = created.json()["lead_id"].as_str().unwrap().to_string();
    let refund = json!({"id": 777, "order_id": 5550001, "created_at": "2026-11-21T10:00:00Z",
        "transactions": [{"kind": "refund", "status": "success", "amount": "49.00", "currency": "EUR"}]})
    .to_string();
    assert_eq!(shopify(base, "refunds/create", &refund).status, 200);
    assert_eq!(shopify(base, "refunds/create", &refund).json()["duplicate"], true);
    let view = customer(base, &shopper, NOW);
    assert_eq!(view["revenue"]["EUR"], "150.00", "{view}");
    assert_eq!(view["customer"]["refunds"], 1);
    let forged = request(
        "POST",
        base,
        "/customers/shopify",
        &[("x-shopify-hmac-sha256", "AAAA"), ("x-shopify-topic", "orders/create")],
        order.as_bytes(),
    );
    forged.assert_problem(400);
}

/// Many clients at once, each event sent twice at the same time, then a
/// history larger than any request body the host reads whole: every order
/// counted once.
#[test]
fn concurrent_clients_and_a_streamed_import_are_counted_once() {
    let Some(app) = start() else { return };
    let base = app.base_url.clone();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let base = base.clone();
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                for i in 0..25 {
                    let n = t * 25 + i;
                    // Every order twice: by this thread and (for n) the next.
                    for order in [n, (n + 1) % 400] {
                        let body = purchase(
                            &format!("c{}@shop.io", order % 40),
                            &format!("c-{order}"),
                            "10.00",
                            &format!("2026-10-{:02}T10:00:00Z", 1 + order % 28),
                        );
                        statuses.push(event(&base, NOW, &body).status);
                    }
                }
                statuses
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert_eq!(statuses.len(), 800);
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200), "{statuses:?}");
    let metrics = |from: &str| {
        admin_at(
            &base,
            "GET",
            &format!("/customers/admin/metrics?from={from}&to={from}"),
            NOW,
        )
        .json()
    };
    let october = metrics("2026-10");
    let row = &october["periods"][0];
    assert_eq!(
        (row["orders"].clone(), row["active"].clone()),
        (json!(400), json!(40)),
        "{october}"
    );
    assert_eq!(row["revenue"]["USD"], "4000.00");
    assert_eq!(row["new"], 40);
    assert_eq!(october["cohorts"][0]["size"], 40);

    // 2,000 events of about 1 KiB each: 2 MB, twice what a request body may
    // be, read as a stream.
    let padding = "x".repeat(900);
    let history: String = (0..2000)
        .map(|i| {
            json!({"type": "purchase", "order_id": format!("h-{i}"), "amount": "5.00", "currency": "USD",
                "email": format!("h{}@shop.io", i % 100), "at": format!("2026-09-{:02}T10:00:00Z", 1 + i % 28),
                "items": [{"name": padding, "quantity": 1}]})
            .to_string()
                + "\n"
        })
        .collect();
    assert!(history.len() > 2_000_000);
    let import = |body: &str| {
        let reply = request(
            "POST",
            &base,
            "/customers/admin/import",
            &[
                ("authorization", &format!("Bearer {ADMIN_TOKEN}")),
                ("content-type", "application/x-ndjson"),
                ("x-test-clock", NOW),
            ],
            body.as_bytes(),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    };
    let first = import(&history);
    assert_eq!(
        (first["recorded"].clone(), first["customers"].clone()),
        (json!(2000), json!(100)),
        "{first}"
    );
    let second = import(&history);
    assert_eq!(
        (second["recorded"].clone(), second["duplicates"].clone()),
        (json!(0), json!(2000))
    );
    let september = metrics("2026-09");
    assert_eq!(september["periods"][0]["orders"], 2000, "{september}");
    assert_eq!(september["periods"][0]["revenue"]["USD"], "10000.00");
}
