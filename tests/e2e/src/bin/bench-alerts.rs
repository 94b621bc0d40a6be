//! Benchmark: speed to lead under load, through the built components under
//! the real `spin up` (`E2E_STORE=sqlite|redis` picks the store). N hot
//! leads are submitted by 32 clients at once; each lead's time from intake
//! to its alert sent (lead-alerts' own record, `timing.to_alert_ms`) is read
//! back, and reported at p50 and p99 beside a health check of lead-alerts
//! measured in the same run. Every lead must be alerted exactly once. A
//! hand-off skipped under load (the after-reply budget) is caught up by the
//! scheduler's catch-up routes, which this program calls every 10 s.
//!
//! E2E_STORE=sqlite cargo run --release -p spin-retention-e2e --bin bench-alerts [-- N]

use serde_json::json;
use spin_retention_e2e::bench::{concurrently, time_ms};
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::{admin, admin_json, bench_app_with_provider, post_lead, store_kind};
use std::time::{Duration, Instant};

fn pct(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let mock = MockProvider::start();
    let channels =
        json!({"dana": format!("{}/slack/dana", mock.url), "noa": format!("{}/slack/noa", mock.url)}).to_string();
    let app = bench_app_with_provider(
        &mock,
        &[
            ("ack_provider", "webhook"),
            ("ack_webhook_path", "/ack"),
            ("alert_channel_urls", &channels),
        ],
    );
    let base = app.base_url.clone();
    println!("spin up on {:?} store, {n} hot leads from 32 clients", store_kind());
    let mut rules = admin("GET", &base, "/scoring/admin/rules").json()["rules"].clone();
    rules["routing"]["team"] = json!([{"id": "dana", "name": "Dana"}, {"id": "noa", "name": "Noa"}]);
    assert_eq!(admin_json("PUT", &base, "/scoring/admin/rules", &rules).status, 200);
    let settings = json!({"members": {"dana": {"channel": "slack"}, "noa": {"channel": "slack"}},
                          "sla": {"minutes": 60, "max_reassignments": 1}, "link_ttl_hours": 24});
    assert_eq!(
        admin_json("PUT", &base, "/alerts/admin/settings", &settings).status,
        200
    );

    let mut health: Vec<f64> = (0..200)
        .map(|_| time_ms(|| assert_eq!(admin("GET", &base, "/alerts/health/store").status, 200)))
        .collect();
    let started = Instant::now();
    let (ids, wall) = concurrently(32, n, |i| {
        let body = json!({"email": format!("bench{i}@gmail.com"), "phone": format!("+1201556{:04}", i % 10_000), "pages": ["/pricing"]});
        let reply = post_lead(&base, &body);
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["id"].as_str().unwrap().to_string()
    });
    let alerted = |mock: &MockProvider| mock.received().iter().filter(|r| r.path.starts_with("/slack/")).count();
    // A scheduler calls intake's hand-off retry and the alerts tick every
    // 10 s (a CronJob would, every minute): they score and alert the hot
    // leads whose hand-offs were skipped under load.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut ticks, mut by_handoffs, mut last_tick) = (0, None, Instant::now());
    while alerted(&mock) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        if last_tick.elapsed() >= Duration::from_secs(10) {
            by_handoffs.get_or_insert_with(|| alerted(&mock));
            assert_eq!(
                admin("POST", &base, "/intake/admin/handoffs/retry?limit=1000").status,
                200
            );
            assert_eq!(admin("POST", &base, "/alerts/sla/tick?limit=1000").status, 200);
            ticks += 1;
            last_tick = Instant::now();
        }
    }
    let all_in = started.elapsed();
    let by_handoffs = by_handoffs.unwrap_or(n);
    let mut to_alert = Vec::new();
    for id in &ids {
        let state = admin("GET", &base, &format!("/alerts/admin/leads/{id}")).json();
        assert_eq!(
            state["alerts"]["steps"].as_array().map(Vec::len),
            Some(1),
            "{id}: {state}"
        );
        to_alert.push(state["timing"]["to_alert_ms"].as_f64().expect("alert sent"));
    }
    let sent = alerted(&mock);
    assert_eq!(sent, n, "each hot lead alerted exactly once");
    let h50 = pct(&mut health, 0.5);
    let (p50, p99) = (pct(&mut to_alert, 0.5), pct(&mut to_alert, 0.99));
    println!(
        "submissions: {n} in {:.1} s ({:.0}/s); all alerts in after {:.1} s",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        all_in.as_secs_f64()
    );
    println!("alerted within 10 s of the last submission: {by_handoffs} of {n}; after {ticks} scheduler ticks: {sent} (each once)");
    println!("GET /alerts/health/store p50: {h50:.1} ms (baseline)");
    println!(
        "intake -> alert sent: p50 {p50:.0} ms ({:.0}x health), p99 {p99:.0} ms ({:.0}x health)",
        p50 / h50,
        p99 / h50
    );
}
