//! Erase fanned out under `spin up`: lead-intake forgets the person and
//! hands the erase to every job (`DELETE <prefix>/admin/people/{lead}`).
//! A job that is unreachable during the erase stays pending, and the retry
//! route finishes it once the job is back: the person is gone from every
//! job.

use serde_json::{json, Value};
use spin_retention_e2e::{admin, app_config, own_spin, post_lead, request, Reply, ADMIN_TOKEN};
use std::time::{Duration, Instant};

const EVENTS_TOKEN: &str = "e2e-events-token";

fn purchase(base: &str, email: &str) -> Reply {
    let body = json!({"type": "purchase", "order_id": "o-1", "amount": "120.00", "currency": "USD",
        "email": email, "at": "2026-11-20T10:00:00Z", "consent_marketing": true});
    request(
        "POST",
        base,
        "/customers/events",
        &[
            ("authorization", &format!("Bearer {EVENTS_TOKEN}")),
            ("content-type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

/// Polls `read` until `done` holds (20 s at most).
fn eventually(what: &str, read: impl Fn() -> Reply, done: impl Fn(&Reply) -> bool) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = read();
        if done(&reply) {
            return reply;
        }
        assert!(Instant::now() < deadline, "{what}: {} {}", reply.status, reply.text());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn retry(base: &str) -> Value {
    let reply = admin("POST", base, "/intake/admin/handoffs/retry?limit=100");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

#[test]
fn a_job_unreachable_during_the_erase_forgets_on_the_retry() {
    // customers is unreachable from lead-intake: nothing listens at port 9.
    let config = app_config()
        .variable("customer_events_token", EVENTS_TOKEN)
        .variable("customers_url", "http://127.0.0.1:9");
    let Some(mut app) = own_spin(config) else { return };
    let base = app.base_url.clone();
    let lead = post_lead(
        &base,
        &json!({"email": "gone@shop.example", "phone": "+12015550111", "message": "a quote please"}),
    );
    assert_eq!(lead.status, 201, "{}", lead.text());
    let id = lead.json()["id"].as_str().unwrap().to_string();
    assert_eq!(purchase(&base, "gone@shop.example").status, 201);
    let customer_path = format!("/customers/admin/customers/{id}");
    eventually(
        "the customer",
        || admin("GET", &base, &customer_path),
        |r| r.status == 200,
    );
    let score_path = format!("/scoring/leads/{id}");
    eventually("the score", || admin("GET", &base, &score_path), |r| r.status == 200);

    let erased = admin("DELETE", &base, &format!("/intake/admin/leads/{id}"));
    assert_eq!(erased.status, 202, "{}", erased.text());
    let body = erased.json();
    assert_eq!(body["pending"], json!(["customers"]), "{body}");
    for job in [
        "instant-ack",
        "lead-scoring",
        "survey",
        "audience-export",
        "lead-alerts",
    ] {
        assert_eq!(body["jobs"][job], "done", "{job}: {body}");
    }
    admin("GET", &base, &format!("/intake/admin/leads/{id}")).assert_problem(404);
    admin("GET", &base, &score_path).assert_problem(404);
    // customers still holds the person: it was never told.
    assert_eq!(admin("GET", &base, &customer_path).status, 200);
    // While it stays unreachable, the retry route keeps the erase pending.
    let run = retry(&base);
    assert_eq!(run["erasures"]["still_pending"], 1, "{run}");
    assert!(run["remaining"].as_u64().unwrap() >= 1, "{run}");

    // customers is reachable again (the same store, the in-app address).
    app.restart_with("customers_url", "http://customers.spin.internal");
    let base = app.base_url.clone();
    let run = retry(&base);
    assert_eq!(
        (
            run["erasures"]["done"].clone(),
            run["erasures"]["still_pending"].clone()
        ),
        (json!(1), json!(0)),
        "{run}"
    );
    admin("GET", &base, &customer_path).assert_problem(404);
    let again = retry(&base);
    assert_eq!(again["erasures"]["processed"], 0, "{again}");
    // A second erase of the same id finds nothing left to do.
    admin("DELETE", &base, &format!("/intake/admin/leads/{id}")).assert_problem(404);
    // Each job's forget is the component route, closed to strangers.
    let stranger = request("DELETE", &base, &format!("/customers/admin/people/{id}"), &[], b"");
    stranger.assert_problem(401);
    let wrong = request(
        "DELETE",
        &base,
        &format!("/scoring/admin/people/{id}"),
        &[("authorization", &format!("Bearer {ADMIN_TOKEN}x"))],
        b"",
    );
    wrong.assert_problem(401);
}
