//! Benchmark: journeys' tick under the real `spin up` (`E2E_STORE=sqlite|redis`
//! picks the store), at the test's clock.
//!
//! 1. The tick's cost follows the steps due, not the people enrolled: 100
//!    people whose wait ends are ticked with N1 and then N2 other people
//!    waiting 30 days (default 1,000 and 10,000), the tick's time a ratio
//!    against the one-key health check measured in the same run.
//! 2. Sends per second: S people (default 300, made through customers with
//!    consent) enter a journey that emails at once; one tick call after
//!    another sends them all through a mock provider; the trigger process's
//!    peak memory before and during.
//!
//! E2E_STORE=sqlite cargo run --release -p spin-retention-e2e --bin bench-journeys [-- N1 N2 S]

use serde_json::{json, Value};
use spin_retention_e2e::bench::{concurrently, peak_rss_kib, percentiles, reset_peak_rss, time_ms};
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::{bench_app_with_provider, request, store_kind, Reply, ADMIN_TOKEN};
use std::time::Instant;

const START: &str = "2026-12-07T10:00:00Z";
const EVENTS_TOKEN: &str = "bench-events-token";

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

/// Enters `people` (ids `<prefix><n>`, no profile needed to wait) on `name`,
/// 500 a request, from 8 clients.
fn enrol(base: &str, prefix: &str, people: usize, kind: &str, activity: &str, minutes: i64) {
    let batches: Vec<(usize, usize)> = (0..people)
        .step_by(500)
        .map(|from| (from, (from + 500).min(people)))
        .collect();
    concurrently(8, batches.len(), |b| {
        let (from, to) = batches[b];
        let events: Vec<Value> = (from..to)
            .map(|n| {
                json!({"id": format!("{prefix}-ev-{n}"), "lead_id": format!("l_{prefix}{n}"), "kind": kind,
                            "activity": activity, "at": at(minutes)})
            })
            .collect();
        let reply = call(
            base,
            "POST",
            "/journeys/events",
            ADMIN_TOKEN,
            minutes,
            &Value::Array(events),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
    });
}

/// One tick call at `minutes`: its time (ms) and answer.
fn tick(base: &str, minutes: i64, limit: usize) -> (f64, Value) {
    let mut answer = Value::Null;
    let ms = time_ms(|| {
        let reply = call(
            base,
            "POST",
            &format!("/journeys/admin/tick?limit={limit}"),
            ADMIN_TOKEN,
            minutes,
            &Value::Null,
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        answer = reply.json();
    });
    (ms, answer)
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (n1, n2, s) = (
        args.first().copied().unwrap_or(1_000),
        args.get(1).copied().unwrap_or(10_000),
        args.get(2).copied().unwrap_or(300),
    );
    let mock = MockProvider::start();
    let app = bench_app_with_provider(
        &mock,
        &[
            ("test_clock", "enabled"),
            ("customer_events_token", EVENTS_TOKEN),
            ("journeys_provider", "webhook"),
            ("journeys_provider_url", &mock.url),
            ("journeys_link_secret", "bench-journeys-secret"),
            ("public_url", "https://shop.example"),
            ("consent_confirmation", "off"),
        ],
    );
    let base = app.base_url.clone();
    println!(
        "spin up on {:?} store; {n1} then {n2} people waiting, {s} sends",
        store_kind()
    );
    let send = json!({"send": {"channel": "email", "subject": {"en": "Hello"}, "text": {"en": "Hi {first_name}"}}});
    let journey = |id: &str, enters: &str, steps: Value| {
        json!({"id": id, "name": id, "status": "live", "purpose": "marketing", "enters_on": enters,
               "reentry": "always", "expire_after_hours": 24 * 30, "steps": steps})
    };
    let doc = json!({
        "journeys": [
            journey("waiting", "activity:wait", json!([{"wait": {"days": 30}}, send])),
            journey("due", "activity:due", json!([{"wait": {"minutes": 5}}, {"wait": {"days": 1}}, send])),
            journey("sends", "activity:buy", json!([send])),
        ],
        "settings": {"time_zone": "UTC", "quiet_hours": {"start": "00:00", "end": "00:00"},
                     "email": {"gap_hours": 1, "per_week": 100}, "sms": {"gap_hours": 1, "per_week": 100}}
    });
    let reply = call(&base, "PUT", "/journeys/admin/journeys", ADMIN_TOKEN, 0, &doc);
    assert_eq!(reply.status, 200, "{}", reply.text());

    let health = |minutes: i64| {
        let samples: Vec<f64> = (0..200)
            .map(|_| {
                time_ms(|| {
                    assert_eq!(
                        call(
                            &base,
                            "GET",
                            "/journeys/health/store",
                            ADMIN_TOKEN,
                            minutes,
                            &Value::Null
                        )
                        .status,
                        200
                    )
                })
            })
            .collect();
        percentiles(samples).0
    };

    let baseline = health(0);
    // 1. A tick of 100 due steps, with n1 and then n2 people waiting: three
    // batches of 100 each, the median tick.
    let mut rows = Vec::new();
    let mut minute = 0;
    for (round, waiting) in [n1, n2].into_iter().enumerate() {
        let already = if round == 0 { 0 } else { n1 };
        let t = Instant::now();
        enrol(
            &base,
            &format!("w{round}"),
            waiting - already,
            "activity",
            "wait",
            minute,
        );
        // The entries' first steps (the start of their wait) taken.
        while tick(&base, minute, 1000).1["done"] != true {}
        let enrol_s = t.elapsed().as_secs_f64();
        let mut ticks = Vec::new();
        for batch in 0..3 {
            enrol(&base, &format!("d{round}b{batch}"), 100, "activity", "due", minute);
            while tick(&base, minute, 1000).1["done"] != true {}
            let due_at = minute + 6;
            let (ms, answer) = tick(&base, due_at, 1000);
            assert_eq!(answer["worked"], 100, "{answer}");
            ticks.push(ms);
            minute = due_at + 10;
            while tick(&base, minute, 1000).1["done"] != true {}
        }
        rows.push((waiting, enrol_s, percentiles(ticks).0));
    }
    println!(
        "\n1. one tick of 100 due steps (waits ending), median of 3; the one-key health check: {baseline:.2} ms (p50)"
    );
    println!(
        "   {:>9} {:>12} {:>10} {:>10}",
        "waiting", "enrolled in", "tick", "vs health"
    );
    for (waiting, enrol_s, ms) in &rows {
        println!("   {waiting:>9} {enrol_s:>10.1} s {ms:>7.1} ms {:>9.0}x", ms / baseline);
    }
    println!(
        "   the tick with {n2} waiting takes {:.2}x the time of the tick with {n1} waiting",
        rows[1].2 / rows[0].2
    );

    // 2. Sends per second, and memory.
    let t = Instant::now();
    let batches: Vec<usize> = (0..s).step_by(100).collect();
    concurrently(4, batches.len(), |b| {
        let from = batches[b];
        let events: Vec<Value> = (from..(from + 100).min(s))
            .map(|n| json!({"type": "activity", "activity": "buy", "id": format!("buy-{n}"), "email": format!("b{n}@example.com"),
                            "first_name": "Dana", "at": at(minute), "consent_marketing": true}))
            .collect();
        let reply = call(
            &base,
            "POST",
            "/customers/events",
            EVENTS_TOKEN,
            minute,
            &json!({"events": events}),
        );
        assert!(reply.status < 300, "{}", reply.text());
    });
    // customers tells journeys after its replies: wait for every entry.
    let entered = || {
        let r = call(
            &base,
            "GET",
            "/journeys/admin/journeys/sends",
            ADMIN_TOKEN,
            minute,
            &Value::Null,
        )
        .json();
        r["figures"]["entered"].as_u64().unwrap_or(0) as usize
    };
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    while entered() < s {
        assert!(Instant::now() < deadline, "{} of {s} entered in 2 minutes", entered());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let made_s = t.elapsed().as_secs_f64();
    let pid = app.trigger_pid().expect("spin's trigger process");
    let before = peak_rss_kib(pid);
    let reset = reset_peak_rss(pid);
    let t = Instant::now();
    let mut calls = 0;
    while tick(&base, minute + 1, 200).1["done"] != true {
        calls += 1;
    }
    let sent_s = t.elapsed().as_secs_f64();
    let during = peak_rss_kib(pid);
    let sent = mock.received().len();
    assert_eq!(sent, s, "each person once");
    println!("\n2. {s} people made through customers and entered in {made_s:.1} s; sent in {sent_s:.1} s ({} tick calls): {:.0} sends/s",
        calls + 1, s as f64 / sent_s);
    println!(
        "   trigger process peak memory: {before} KiB before, {during} KiB during the sends{}",
        if reset {
            ""
        } else {
            " (the peak counts from the start: clear_refs refused)"
        }
    );
}
