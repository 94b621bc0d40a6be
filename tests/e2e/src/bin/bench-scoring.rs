//! Benchmark: what lead-scoring costs through the built components under
//! the real `spin up` (a fresh app of its own; `E2E_STORE=sqlite|redis`
//! picks the store): scoring a lead, a page of the hot queue with a short
//! and a ten times longer queue (the page should cost the same), and
//! re-scoring every lead. Figures are ratios to a health check of
//! lead-scoring (one store round trip) in the same run.
//!
//! E2E_STORE=sqlite cargo run -p spin-retention-e2e --bin bench-scoring [-- N]

use serde_json::json;
use spin_retention_e2e::bench::{percentiles, time_ms};
use spin_retention_e2e::{admin, bench_app, post_lead, store_kind};
use std::time::Instant;

/// Adds hot leads `from..to` (pricing page and a demo request), four at a time.
fn add_hot_leads(base: &str, from: usize, to: usize) -> Vec<String> {
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let base = base.to_string();
            std::thread::spawn(move || {
                (from + w..to)
                    .step_by(4)
                    .map(|i| {
                        let body =
                            json!({"email": format!("hot{i}@example.com"), "form": "demo", "pages": ["/pricing"]});
                        let reply = post_lead(&base, &body);
                        assert_eq!(reply.status, 201, "{}", reply.text());
                        reply.json()["id"].as_str().unwrap().to_string()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
}

/// Waits until the queue lists `n` leads (the hand-offs run after intake answers).
fn wait_for_queue(base: &str, n: usize) {
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let mut count = 0;
        let mut cursor = String::new();
        loop {
            let page = admin("GET", base, &format!("/scoring/queue?limit=200{cursor}")).json();
            count += page["items"].as_array().unwrap().len();
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        if count >= n {
            return;
        }
        assert!(Instant::now() < deadline, "only {count} of {n} leads queued");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn pages(base: &str, order: &str, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            time_ms(|| {
                let reply = admin("GET", base, &format!("/scoring/queue?order={order}&limit=20"));
                assert_eq!(reply.json()["items"].as_array().unwrap().len(), 20);
            })
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let app = bench_app();
    let base = app.base_url.clone();
    for _ in 0..5 {
        admin("GET", &base, "/scoring/health/store");
    }
    let baseline: Vec<f64> = (0..n)
        .map(|_| time_ms(|| assert_eq!(admin("GET", &base, "/scoring/health/store").status, 200)))
        .collect();
    let (_, b_p50, _) = percentiles(baseline.clone());

    let short = 50;
    let long = 500;
    let ids = add_hot_leads(&base, 0, short);
    wait_for_queue(&base, short);
    let scoring: Vec<f64> = (0..n)
        .map(|i| {
            let id = &ids[i % ids.len()];
            time_ms(|| assert_eq!(admin("POST", &base, &format!("/scoring/leads/{id}")).status, 200))
        })
        .collect();
    let newest_short = pages(&base, "newest", n);
    let score_short = pages(&base, "score", n);
    add_hot_leads(&base, short, long);
    wait_for_queue(&base, long);
    let newest_long = pages(&base, "newest", n);
    let score_long = pages(&base, "score", n);

    let started = Instant::now();
    let mut batches = 0;
    while admin("POST", &base, "/scoring/admin/rescore?limit=100").json()["done"] != true {
        batches += 1;
    }
    let rescore_ms = started.elapsed().as_secs_f64() * 1000.0;

    let row = |name: &str, samples: Vec<f64>| {
        let (mean, p50, p95) = percentiles(samples);
        println!(
            "{name:<44} mean {mean:7.2} ms  p50 {p50:7.2} ms  p95 {p95:7.2} ms  ({:.1}x baseline p50)",
            p50 / b_p50
        );
        p50
    };
    println!(
        "spin up ({:?} store, started in {} ms); requests per series: {n}",
        store_kind(),
        app.startup.as_millis()
    );
    row("baseline GET /scoring/health", baseline);
    row("POST /scoring/leads/<id> (re-score a hot lead)", scoring);
    let a = row(&format!("GET /scoring/queue newest, {short} queued"), newest_short);
    let b = row(&format!("GET /scoring/queue newest, {long} queued"), newest_long);
    let c = row(&format!("GET /scoring/queue score, {short} queued"), score_short);
    let d = row(&format!("GET /scoring/queue score, {long} queued"), score_long);
    println!(
        "page of 20 with a 10x longer queue: newest {:.2}x, score {:.2}x",
        b / a,
        d / c
    );
    println!(
        "re-score all {long} leads: {rescore_ms:.0} ms in {} batches of 100 ({:.1} ms per lead)",
        batches + 1,
        rescore_ms / long as f64
    );
}
