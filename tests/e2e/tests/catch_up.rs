//! Nothing stalls without a scheduler, under `spin up`: hand-offs that a
//! burst left pending are caught up by ordinary traffic alone. Here the
//! burst meets a lead-scoring that intake cannot reach (the surest way to
//! leave every hand-off pending, as a budget skip does); once it is back,
//! one new lead a minute is the only traffic, and every lead of the burst
//! is scored, in the hot queue and alerted within five minutes of it (the
//! test's clock), with no call to the retry route or any tick.

use serde_json::{json, Value};
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::{admin, admin_at, admin_json, app_with_provider};
use std::time::{Duration, Instant};

const BURST: usize = 60;
const T0: &str = "2026-11-24T09:00:00Z";

fn clock(minutes: i64) -> String {
    let t0: chrono::DateTime<chrono::Utc> = T0.parse().unwrap();
    (t0 + chrono::Duration::minutes(minutes)).to_rfc3339()
}

fn hot(n: usize) -> Value {
    json!({
        "name": format!("Burst {n}"), "email": format!("burst{n}@gmail.com"),
        "phone": format!("+1201556{n:04}"), "pages": ["/pricing"],
        "message": format!("A quote for {n} seats, please"),
    })
}

fn submit(base: &str, body: &Value, at: &str) -> String {
    let reply = admin_at("POST", base, "/intake/leads", at, body);
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()["id"].as_str().unwrap().to_string()
}

fn scored(base: &str, ids: &[String]) -> usize {
    ids.iter()
        .filter(|id| admin("GET", base, &format!("/scoring/leads/{id}")).status == 200)
        .count()
}

/// An app whose acknowledgements and alerts go to `mock`, on the test's
/// clock, with the job URLs named in `unreachable` pointing where nothing
/// listens (port 9), and Dana as the team that hot leads are alerted to.
fn start(mock: &MockProvider, unreachable: &[&str]) -> Option<spin_retention_e2e::spin::SpinApp> {
    let mut variables = vec![
        ("ack_provider", "webhook"),
        ("ack_webhook_path", "/ack"),
        ("test_clock", "enabled"),
    ];
    variables.extend(unreachable.iter().map(|name| (*name, "http://127.0.0.1:9")));
    let app = app_with_provider(mock, &variables)?;
    let base = &app.base_url;
    let mut rules = admin("GET", base, "/scoring/admin/rules").json()["rules"].clone();
    rules["routing"]["team"] = json!([{"id": "dana", "name": "Dana", "email": "dana@team.example"}]);
    assert_eq!(admin_json("PUT", base, "/scoring/admin/rules", &rules).status, 200);
    Some(app)
}

#[test]
fn a_burst_left_pending_is_caught_up_by_ordinary_traffic() {
    let mock = MockProvider::start();
    // Nothing listens at port 9: every scoring hand-off stays pending.
    let Some(mut app) = start(&mock, &["scoring_url"]) else {
        return;
    };
    let base = app.base_url.clone();

    // The burst: 60 hot leads from 12 clients in the same minute.
    let ids: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..12)
            .map(|w| {
                let base = &base;
                s.spawn(move || {
                    (0..BURST / 12)
                        .map(|i| submit(base, &hot(w * 100 + i), &clock(0)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    assert_eq!(ids.len(), BURST);
    let left = BURST - scored(&base, &ids);
    eprintln!("left unscored by the burst: {left} of {BURST}");
    assert_eq!(left, BURST, "every scoring hand-off pending");

    // lead-scoring reachable again; one new lead a minute from then on.
    app.restart_with("scoring_url", "http://lead-scoring.spin.internal");
    let base = app.base_url.clone();
    let mut minute = 1;
    loop {
        submit(&base, &hot(9000 + minute as usize), &clock(minute));
        // The catch-up runs after that lead's reply: wait for it to settle.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut done = scored(&base, &ids);
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = scored(&base, &ids);
            if now == done || Instant::now() > deadline {
                break;
            }
            done = now;
        }
        eprintln!("minute {minute}: {done} of {BURST} scored");
        if done == BURST {
            break;
        }
        assert!(
            minute < 5,
            "not caught up in five minutes of light traffic: {done} of {BURST}"
        );
        minute += 1;
    }

    // In the hot queue, and alerted (dana's alert step recorded).
    let queue = admin("GET", &base, "/scoring/queue?order=newest&limit=500").json();
    let queued: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["lead_id"].as_str())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    for id in &ids {
        assert!(queued.contains(&id.as_str()), "{id} not in the hot queue");
        loop {
            let state = admin("GET", &base, &format!("/alerts/admin/leads/{id}")).json();
            if state["alerts"]["steps"].as_array().is_some_and(|s| !s.is_empty()) {
                break;
            }
            assert!(Instant::now() < deadline, "{id} not alerted: {state}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let retried = admin("POST", &base, "/intake/admin/handoffs/retry").json();
    assert_eq!(retried["remaining"], 0, "nothing left for the retry route: {retried}");
}

/// The one tick, from four callers at once: every pending hand-off is
/// handed over, and each piece of work is done once (one acknowledgement
/// per submission, one alert per hot lead), and every job's share answers.
#[test]
fn the_one_tick_run_concurrently_does_each_piece_of_work_once() {
    let mock = MockProvider::start();
    let Some(mut app) = start(&mock, &["ack_url", "scoring_url"]) else {
        return;
    };
    let base = app.base_url.clone();
    const N: usize = 20;
    let ids: Vec<String> = (0..N).map(|i| submit(&base, &hot(500 + i), &clock(0))).collect();
    assert_eq!(scored(&base, &ids), 0);

    app.restart_with("ack_url", "http://instant-ack.spin.internal");
    app.restart_with("scoring_url", "http://lead-scoring.spin.internal");
    let base = app.base_url.clone();
    let answers: Vec<Value> = std::thread::scope(|s| {
        let callers: Vec<_> = (0..4)
            .map(|_| {
                let base = &base;
                s.spawn(move || {
                    let reply = admin_at("POST", base, "/intake/admin/tick?limit=100", &clock(1), &json!({}));
                    assert_eq!(reply.status, 200, "{}", reply.text());
                    reply.json()
                })
            })
            .collect();
        callers.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for answer in &answers {
        for job in ["lead-alerts", "customers", "lead-scoring", "audience-export"] {
            assert_eq!(answer["jobs"][job]["status"], 200, "{job}: {answer}");
        }
    }
    let handed: u64 = answers.iter().map(|a| a["handoffs"]["done"].as_u64().unwrap()).sum();
    eprintln!(
        "four ticks at once: {handed} hand-offs completed by a tick, of {N} submissions (overlapping ticks share them)"
    );
    assert_eq!(scored(&base, &ids), N, "every lead scored");

    // Each acknowledgement and each alert once, however the ticks overlapped.
    let deadline = Instant::now() + Duration::from_secs(30);
    let count = |event_is_alert: bool| {
        let mut per_lead = std::collections::HashMap::<String, usize>::new();
        for r in mock.received().into_iter().filter(|r| r.path == "/ack") {
            let body = r.json();
            if (body["event"] == "lead.alert") == event_is_alert {
                *per_lead
                    .entry(body["lead_id"].as_str().unwrap_or_default().to_string())
                    .or_default() += 1;
            }
        }
        per_lead
    };
    while count(true).len() < N && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    let (acks, alerts) = (count(false), count(true));
    for id in &ids {
        assert_eq!(acks.get(id), Some(&1), "{id}: acknowledged once ({acks:?})");
        assert_eq!(alerts.get(id), Some(&1), "{id}: alerted once ({alerts:?})");
    }
}
