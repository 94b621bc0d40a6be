//! Benchmark: how long a visitor waits for lead-intake, and how long until
//! the acknowledgement reaches the provider, through the built components
//! under the real `spin up` (a fresh app of its own, with a loopback mock
//! provider; `E2E_STORE=sqlite|redis` picks the store). Figures are ratios to
//! a baseline measured in the same run (a health check, which is one store
//! round trip), since machines differ. One client, one request at a time.
//! Two series at the test's clock (`x-test-clock`) price intake's catch-up:
//! every lead in one minute (the catch-up runs only for the first), and
//! each lead the first of a new minute (it runs after every reply, with
//! nothing pending), the next request paying for any work left running.
//!
//! E2E_STORE=sqlite cargo run -p spin-retention-e2e --bin bench-intake [-- N]

use serde_json::json;
use spin_retention_e2e::bench::{percentiles, time_ms};
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::{admin, admin_at, bench_app_with_provider, post_lead, store_kind};
use std::time::Duration;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let provider = MockProvider::start();
    let app = bench_app_with_provider(&provider, &[("test_clock", "enabled")]);
    let base = app.base_url.clone();
    // Warm up: the first requests pay for instantiation caches.
    for i in 0..5 {
        admin("GET", &base, "/survey/health/store");
        post_lead(&base, &json!({"email": format!("warm{i}@example.com")}));
    }

    let baseline: Vec<f64> = (0..n)
        .map(|_| time_ms(|| assert_eq!(admin("GET", &base, "/survey/health/store").status, 200)))
        .collect();
    let submit = |tag: &str, i: usize| {
        let first = if tag == "fast" { 1000 } else { 2000 };
        let body = json!({"name": "Bench Mark", "email": format!("{tag}{i}@example.com"), "phone": format!("+1201555{:04}", first + i),
                          "message": "pricing", "pages": ["/pricing"], "utm_source": "bench"});
        time_ms(|| assert_eq!(post_lead(&base, &body).status, 201))
    };
    let fast: Vec<f64> = (0..n).map(|i| submit("fast", i)).collect();
    // The same without a phone number: what parsing it to E.164 costs.
    let email_only: Vec<f64> = (0..n)
        .map(|i| {
            let body = json!({"name": "Bench Mark", "email": format!("mail{i}@example.com"), "message": "pricing"});
            time_ms(|| assert_eq!(post_lead(&base, &body).status, 201))
        })
        .collect();
    let at_minute = |tag: &str, i: usize, minute: usize| {
        let body = json!({"email": format!("{tag}{i}@example.com"), "message": "hello"});
        let clock = format!("2026-12-01T{:02}:{:02}:30Z", minute / 60, minute % 60);
        time_ms(|| assert_eq!(admin_at("POST", &base, "/intake/leads", &clock, &body).status, 201))
    };
    let one_minute: Vec<f64> = (0..n).map(|i| at_minute("same", i, 0)).collect();
    let new_minutes: Vec<f64> = (0..n).map(|i| at_minute("new", i, 1 + i)).collect();
    provider.delay(Duration::from_millis(500));
    let slow: Vec<f64> = (0..n.min(30)).map(|i| submit("slow", i)).collect();
    provider.delay(Duration::ZERO);

    // Intake-to-ack latency as instant-ack recorded it, for the fast run.
    std::thread::sleep(Duration::from_secs(2));
    let lead_ids: Vec<String> = (0..n)
        .map(|i| {
            let r = post_lead(&base, &json!({"name": "Bench Mark", "email": format!("fast{i}@example.com"),
                "phone": format!("+1201555{:04}", 1000 + i), "message": "pricing", "pages": ["/pricing"], "utm_source": "bench"}));
            r.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    let acks: Vec<f64> = lead_ids
        .iter()
        .filter_map(|id| {
            admin("GET", &base, &format!("/intake/admin/leads/{id}")).json()["submissions"][0]["ack"]["latency_ms"]
                .as_f64()
        })
        .collect();

    let (b_mean, b_p50, b_p95) = percentiles(baseline);
    println!(
        "spin up ({:?} store, started in {} ms); requests per series: {n} (slow provider series: {})",
        store_kind(),
        app.startup.as_millis(),
        n.min(30)
    );
    println!("baseline GET /survey/health/store mean {b_mean:7.2} ms  p50 {b_p50:7.2} ms  p95 {b_p95:7.2} ms");
    let series = [
        ("POST /intake/leads", fast),
        ("POST /intake/leads, no phone", email_only),
        ("POST /intake/leads, provider +500ms", slow),
        ("POST /intake/leads, all in one minute", one_minute.clone()),
        ("POST /intake/leads, each a new minute", new_minutes.clone()),
    ];
    for (name, samples) in series {
        let (mean, p50, p95) = percentiles(samples);
        println!(
            "{name:<36} mean {mean:7.2} ms  p50 {p50:7.2} ms  p95 {p95:7.2} ms  ({:.1}x baseline p50)",
            p50 / b_p50
        );
    }
    let (_, same_p50, same_p95) = percentiles(one_minute);
    let (_, new_p50, new_p95) = percentiles(new_minutes);
    println!(
        "catch-up after every reply, to none after it: p50 {:.2}x, p95 {:.2}x",
        new_p50 / same_p50,
        new_p95 / same_p95
    );
    if !acks.is_empty() {
        let (mean, p50, p95) = percentiles(acks.clone());
        println!(
            "intake-to-ack latency ({} acks)    mean {mean:7.2} ms  p50 {p50:7.2} ms  p95 {p95:7.2} ms",
            acks.len()
        );
    }
}
