//! Benchmark: a customer history imported through the built components
//! under the real `spin up` (`E2E_STORE=sqlite|redis` picks the store), and
//! a month's metrics read while the store grows.
//!
//! - 5,000 events of 2024 are imported first, then N (default 100,000) of
//!   2025 in streamed requests of 25,000 each (about 4 MB of NDJSON, four
//!   times what a request body may be when it is not streamed). Reported:
//!   time, events per second, and the peak resident memory of spin's
//!   trigger process during each import (reset before it) beside the same
//!   peak during 200 health checks, so whether memory grows with the
//!   import's size shows.
//! - June 2024's metrics are read 20 times with 5,000 events in the store
//!   and again with N + 5,000 (none of them in June 2024 or the churn window
//!   before it): the ratio of the two p50s is the cost of a bigger store.
//!   June 2025's metrics (a month of the big history) are timed beside them.
//!
//! E2E_STORE=sqlite cargo run --release -p spin-retention-e2e --bin bench-customers [-- N]

use serde_json::json;
use spin_retention_e2e::bench::{peak_rss_kib, percentiles, reset_peak_rss, time_ms};
use spin_retention_e2e::spin::SpinApp;
use spin_retention_e2e::{admin, app_config, store_kind, ADMIN_TOKEN};
use std::time::{Duration, Instant};

const CLOCK: &str = "2026-01-15T10:00:00Z";

/// `n` events of `year` for `customers` people: purchases, with a refund
/// of an earlier order every 20th and a login every 25th.
fn history(tag: &str, year: i32, from: usize, n: usize, customers: usize) -> String {
    let mut out = String::with_capacity(n * 180);
    for i in from..from + n {
        let person = i % customers;
        let day = 1 + (i * 7919) % 364;
        let at = chrono::NaiveDate::from_yo_opt(year, day as u32).unwrap();
        let at = format!("{at}T{:02}:00:00Z", i % 24);
        let email = format!("{tag}{person}@bench.example");
        let line = if i % 25 == 0 {
            json!({"type": "activity", "activity": "login", "id": format!("{tag}-a-{i}"), "email": email, "at": at})
        } else if i % 20 == 0 && i >= customers {
            // A purchase of an earlier line (not a login, not a refund).
            let mut order = i + 1 - customers;
            if order.is_multiple_of(25) {
                order += 1;
            }
            json!({"type": "refund", "id": format!("{tag}-r-{i}"), "order_id": format!("{tag}-{order}"),
                   "amount": "5.00", "currency": "USD", "at": at})
        } else {
            json!({"type": "purchase", "order_id": format!("{tag}-{i}"), "amount": format!("{}.50", 10 + (i * 37) % 200),
                   "currency": "USD", "email": email, "at": at,
                   "items": [{"name": "Plan", "category": "subscription", "quantity": 1}]})
        };
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(3600)))
        .build()
        .into()
}

/// Imports `body`; (seconds, peak RSS KiB of spin's trigger during it, summary).
fn import(app: &SpinApp, body: &str) -> (f64, u64, serde_json::Value) {
    let pid = app.trigger_pid().expect("spin's trigger process");
    reset_peak_rss(pid);
    let start = Instant::now();
    let mut reply = agent()
        .post(format!("{}/customers/admin/import", app.base_url))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("content-type", "application/x-ndjson")
        .header("x-test-clock", CLOCK)
        .send(body.as_bytes())
        .expect("import");
    let seconds = start.elapsed().as_secs_f64();
    let status = reply.status().as_u16();
    let text = reply.body_mut().read_to_string().unwrap_or_default();
    assert_eq!(status, 200, "{text}");
    (seconds, peak_rss_kib(pid), serde_json::from_str(&text).unwrap())
}

fn metrics_p50(app: &SpinApp, month: &str) -> (f64, serde_json::Value) {
    let mut last = serde_json::Value::Null;
    let samples: Vec<f64> = (0..20)
        .map(|_| {
            time_ms(|| {
                let mut reply = agent()
                    .get(format!(
                        "{}/customers/admin/metrics?period=month&from={month}&to={month}",
                        app.base_url
                    ))
                    .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
                    .header("x-test-clock", CLOCK)
                    .call()
                    .unwrap();
                assert_eq!(reply.status().as_u16(), 200);
                last = serde_json::from_str(&reply.body_mut().read_to_string().unwrap()).unwrap();
            })
        })
        .collect();
    (percentiles(samples).1, last)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let app = SpinApp::start(app_config().variable("test_clock", "enabled"));
    let base = app.base_url.clone();
    println!(
        "spin up on {:?} store: 5,000 events of 2024, then {n} of 2025",
        store_kind()
    );
    let pid = app.trigger_pid().expect("spin's trigger process");
    reset_peak_rss(pid);
    let health: Vec<f64> = (0..200)
        .map(|_| time_ms(|| assert_eq!(admin("GET", &base, "/customers/health/store").status, 200)))
        .collect();
    let health_p50 = percentiles(health).1;
    let idle_rss = peak_rss_kib(pid);
    println!("health check of customers: p50 {health_p50:.2} ms; peak RSS of spin's trigger {idle_rss} KiB");

    let small = history("s", 2024, 0, 5_000, 1_000);
    let (secs, rss, summary) = import(&app, &small);
    assert_eq!(summary["recorded"], 5_000, "{summary}");
    println!(
        "import of 5,000 events ({} KiB): {secs:.1} s, {:.0} events/s, peak RSS {rss} KiB",
        small.len() / 1024,
        5_000.0 / secs
    );
    let (before, june_2024) = metrics_p50(&app, "2024-06");
    println!(
        "June 2024 metrics with 5,000 events stored: p50 {before:.1} ms ({:.0}x health); {} active, {} orders",
        before / health_p50,
        june_2024["periods"][0]["active"],
        june_2024["periods"][0]["orders"]
    );

    let customers = n / 5;
    let (mut total, mut peak) = (0.0, 0u64);
    let mut from = 0;
    while from < n {
        let size = (n - from).min(25_000);
        let body = history("b", 2025, from, size, customers);
        let (secs, rss, summary) = import(&app, &body);
        assert_eq!(summary["recorded"], size, "{summary}");
        println!(
            "import of {size} events ({} KiB, streamed): {secs:.1} s, {:.0} events/s, peak RSS {rss} KiB",
            body.len() / 1024,
            size as f64 / secs
        );
        total += secs;
        peak = peak.max(rss);
        from += size;
    }
    println!(
        "{n} events for {customers} customers: {total:.1} s, {:.0} events/s; peak RSS {peak} KiB ({:.2}x the health checks' {idle_rss} KiB)",
        n as f64 / total,
        peak as f64 / idle_rss as f64
    );
    let (after, june_again) = metrics_p50(&app, "2024-06");
    assert_eq!(june_again["periods"], june_2024["periods"], "June 2024 did not change");
    println!(
        "June 2024 metrics with {} events stored: p50 {after:.1} ms ({:.2}x the same month with 5,000 stored)",
        n + 5_000,
        after / before
    );
    let (big, june_2025) = metrics_p50(&app, "2025-06");
    println!(
        "June 2025 metrics (a month of the big history): p50 {big:.1} ms ({:.0}x health); {} active, {} orders",
        big / health_p50,
        june_2025["periods"][0]["active"],
        june_2025["periods"][0]["orders"]
    );
}
