//! Benchmark: what survey costs through the built components under the
//! real `spin up` (a fresh app of its own; `E2E_STORE=sqlite|redis` picks the
//! store): answering by JSON, a one-click link, and a summary, as ratios to a
//! one-key health check of survey (`GET /survey/health/store` with the
//! token: one write, one read) in the same run.
//!
//! E2E_STORE=sqlite cargo run -p spin-retention-e2e --bin bench-survey [-- N]

use serde_json::json;
use spin_retention_e2e::bench::{percentiles, time_ms};
use spin_retention_e2e::{admin, admin_json, bench_app, post_json, post_lead, request, store_kind};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let app = bench_app();
    let base = app.base_url.clone();
    let survey =
        json!({"kind": "nps", "question": {"en": "Recommend us?"}, "follow_up": {"detractor": {"en": "Why?"}}});
    assert_eq!(
        admin_json("PUT", &base, "/survey/admin/surveys/bench", &survey).status,
        201
    );
    let links: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let lead = post_lead(&base, &json!({"email": format!("s{i}@example.com")})).json()["id"].clone();
            admin_json(
                "POST",
                &base,
                "/survey/admin/surveys/bench/links",
                &json!({"lead_id": lead}),
            )
            .json()
        })
        .collect();
    for _ in 0..5 {
        admin("GET", &base, "/survey/health/store");
    }
    let baseline: Vec<f64> = (0..n)
        .map(|_| time_ms(|| assert_eq!(admin("GET", &base, "/survey/health/store").status, 200)))
        .collect();
    let answers: Vec<f64> = links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            let body = json!({"token": link["token"], "score": i % 11, "comment": "fine"});
            time_ms(|| assert_eq!(post_json(&base, "/survey/surveys/bench/answers", &body).status, 201))
        })
        .collect();
    let clicks: Vec<f64> = links
        .iter()
        .map(|link| {
            let url = link["one_click"][9]["url"].as_str().unwrap();
            let path = &url[url.find("/survey/").unwrap()..];
            time_ms(|| assert_eq!(request("GET", &base, path, &[("accept", "text/html")], b"").status, 200))
        })
        .collect();
    let summaries: Vec<f64> = (0..n)
        .map(|_| {
            time_ms(|| {
                assert_eq!(
                    admin("GET", &base, "/survey/admin/surveys/bench/summary?by=week").status,
                    200
                )
            })
        })
        .collect();

    let (_, b_p50, _) = percentiles(baseline.clone());
    println!(
        "spin up ({:?} store, started in {} ms); requests per series: {n}; the summary covers {n} answers over 30 days",
        store_kind(),
        app.startup.as_millis()
    );
    for (name, samples) in [
        ("baseline GET /survey/health/store", baseline),
        ("POST /survey/surveys/<id>/answers (JSON)", answers),
        ("GET one-click link (replaces the answer)", clicks),
        ("GET /survey/admin/surveys/<id>/summary", summaries),
    ] {
        let (mean, p50, p95) = percentiles(samples);
        println!(
            "{name:<42} mean {mean:7.2} ms  p50 {p50:7.2} ms  p95 {p95:7.2} ms  ({:.1}x baseline p50)",
            p50 / b_p50
        );
    }
}
