//! Benchmark: the dashboard with 10,000 leads in the store, under the real
//! `spin up` (`E2E_STORE=sqlite|redis` picks the store).
//!
//! N leads (default 10,000; every third hot) are submitted through
//! lead-intake by 8 clients, then re-scored in batches so every score and
//! hot-queue entry exists. A survey gets 200 answers and 200 customers buy.
//! Then each page is fetched 20 times with a session cookie and its p50
//! reported beside a health check's (`GET /dashboard/health/live`) in the
//! same run. Last, headless Chromium opens the hot leads page and the
//! person page 5 times each and reports the browser's own
//! first-contentful-paint (the Paint Timing API), stylesheet included.
//!
//! E2E_STORE=sqlite cargo run --release -p spin-retention-e2e --bin bench-dashboard [-- N]

use fantoccini::Locator;
use serde_json::{json, Value};
use spin_retention_e2e::bench::{concurrently, percentiles, time_ms};
use spin_retention_e2e::browser::{browser, start_driver};
use spin_retention_e2e::{admin, admin_json, bench_app, get, post_json, post_lead, request, store_kind, ADMIN_TOKEN};
use std::time::{Duration, Instant};

const RUNS: usize = 20;

fn seed(base: &str, n: usize) -> Vec<String> {
    let (ids, took) = concurrently(8, n, |i| {
        let mut lead =
            json!({"name": format!("Person {i}"), "email": format!("p{i}@bench.example"), "message": "hello"});
        if i % 3 == 0 {
            lead["phone"] = json!(format!("+1201555{:04}", i / 3));
            lead["pages"] = json!(["/pricing"]);
        }
        let reply = post_lead(base, &lead);
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["id"].as_str().unwrap().to_string()
    });
    println!(
        "seeded {n} leads in {:.1} s ({:.0}/s)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    // Hand-offs run after each reply and may be skipped under load: the
    // re-score walk makes every score and queue entry exist.
    let started = Instant::now();
    loop {
        let reply = admin("POST", base, "/scoring/admin/rescore?limit=500&restart=false");
        assert_eq!(reply.status, 200, "{}", reply.text());
        if reply.json()["done"] == true {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "re-scoring never finished"
        );
    }
    println!("re-scored every lead in {:.1} s", started.elapsed().as_secs_f64());
    ids
}

fn answers_and_purchases(base: &str, ids: &[String]) {
    let survey = json!({"kind": "nps", "question": {"en": "Would you recommend us?"}});
    assert!(admin_json("PUT", base, "/survey/admin/surveys/bench-nps", &survey).status < 300);
    for (i, id) in ids.iter().take(200).enumerate() {
        let link = admin_json(
            "POST",
            base,
            "/survey/admin/surveys/bench-nps/links",
            &json!({"lead_id": id}),
        )
        .json();
        let answer = json!({"token": link["token"], "score": i % 11, "comment": "fine"});
        assert!(post_json(base, "/survey/surveys/bench-nps/answers", &answer).status < 300);
    }
    let events: Vec<Value> = (0..200)
        .map(|i| {
            json!({"type": "purchase", "order_id": format!("o{i}"), "email": format!("p{i}@bench.example"),
                   "amount": "49.00", "currency": "USD"})
        })
        .collect();
    let reply = request(
        "POST",
        base,
        "/customers/admin/import",
        &[
            ("authorization", &format!("Bearer {ADMIN_TOKEN}")),
            ("content-type", "application/x-ndjson"),
        ],
        events
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    assert!(reply.status < 300, "{}", reply.text());
}

fn sign_in(base: &str) -> String {
    let reply = request(
        "POST",
        base,
        "/dashboard/signin",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("token={ADMIN_TOKEN}").as_bytes(),
    );
    assert_eq!(reply.status, 303);
    reply
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// The p50 of `path` and of a health check, taken in turn (so both see the
/// same machine, busy or not).
fn p50_of(base: &str, path: &str, cookie: &str) -> (f64, f64) {
    let mut page = Vec::new();
    let mut health = Vec::new();
    for _ in 0..RUNS {
        health.push(time_ms(|| assert_eq!(get(base, "/dashboard/health/live").status, 200)));
        page.push(time_ms(|| {
            let reply = request("GET", base, path, &[("cookie", cookie)], b"");
            assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        }));
    }
    (percentiles(page).0, percentiles(health).0)
}

/// The browser's first-contentful-paint of `url`, in ms, `runs` times.
async fn paints(c: &fantoccini::Client, url: &str, runs: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for _ in 0..runs {
        c.goto(url).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let fcp: Value = c
                .execute(
                    "const e = performance.getEntriesByName('first-contentful-paint')[0]; return e ? e.startTime : null",
                    vec![],
                )
                .await
                .unwrap();
            if let Some(ms) = fcp.as_f64() {
                out.push(ms);
                break;
            }
            assert!(Instant::now() < deadline, "no paint of {url}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    println!("store: {:?}, {n} leads", store_kind());
    let app = bench_app();
    let base = app.base_url.clone();
    let ids = seed(&base, n);
    answers_and_purchases(&base, &ids);
    let queue = admin("GET", &base, "/scoring/queue?order=newest&limit=1").json();
    let hot_lead = queue["items"][0]["lead_id"].as_str().expect("a hot lead").to_string();
    let cookie = sign_in(&base);
    for _ in 0..5 {
        get(&base, "/dashboard/health/live");
    }
    println!("| page | p50 | health check p50, in turn with it | ratio |");
    println!("|---|---|---|---|");
    for path in [
        "/dashboard/hot?order=newest".to_string(),
        "/dashboard/hot?order=score".to_string(),
        format!("/dashboard/people/{hot_lead}"),
        "/dashboard/surveys".to_string(),
        "/dashboard/retention".to_string(),
        "/dashboard/audiences".to_string(),
        "/dashboard/rules".to_string(),
    ] {
        let (p50, health) = p50_of(&base, &path, &cookie);
        println!("| `{path}` | {p50:.1} ms | {health:.1} ms | {:.1}x |", p50 / health);
    }

    let driver = start_driver();
    let c = browser(&driver).await;
    let ui = base.replace("127.0.0.1", "localhost");
    c.goto(&format!("{ui}/dashboard/signin")).await.unwrap();
    let form = c.form(Locator::Css("form.signin")).await.unwrap();
    form.set_by_name("token", ADMIN_TOKEN).await.unwrap();
    form.submit().await.unwrap();
    for (name, url) in [
        ("hot leads", format!("{ui}/dashboard/hot")),
        ("person", format!("{ui}/dashboard/people/{hot_lead}")),
    ] {
        let (p50, _, max) = percentiles(paints(&c, &url, 5).await);
        println!("first-contentful-paint, {name}: p50 {p50:.0} ms, max {max:.0} ms (Chromium's Paint Timing)");
    }
    c.close().await.unwrap();
}
