//! Benchmark: exporting a large audience through the built audience-export
//! component under the real `spin up` (a fresh app of its own;
//! `E2E_STORE=sqlite|redis` picks the store, Spin's default SQLite store
//! unless told).
//!
//! The leads arrive as they do in production, over HTTP: `POST /intake/leads`
//! from `--clients` concurrent clients (US, marketing consent, the pricing
//! page, no phone: members of the default `pricing-no-phone` audience), and
//! lead-scoring's hand-offs add them to the audience; then
//! `POST /audiences/admin/refresh` runs over every lead (timed; it also
//! catches up any hand-off still pending), the export is awaited until it
//! holds every lead, and `pricing-no-phone` is pulled as one streamed Google
//! CSV and as a page of 500: first with N/10 members, then with N.
//!
//! Each pull is measured in a fresh trigger process: spin is restarted on
//! the same store (seeding leaves the process's memory high), answers 5
//! health checks to warm up, then 50 more (the baseline), then the pull.
//! Measured: the time of each pull (and rows/s), as a ratio to the p50 of
//! those health checks of audience-export (one store round trip); and the
//! peak resident memory (VmHWM) of spin's trigger process, the
//! `spin trigger http` child of `spin up` that runs every component, during
//! the pull against the same figure over the 50 health checks (each peak is
//! reset first through `/proc/<pid>/clear_refs`, so it starts from what the
//! process holds then). That is the whole runtime (wasmtime, the
//! components' instances and their linear memory, the store's client and
//! caches), not one component's guest memory, which spin does not report.
//! The peak while seeding (32 clients, each lead fanning out to instant-ack,
//! lead-scoring and audience-export) is printed too.
//!
//! E2E_STORE=sqlite cargo run -p spin-retention-e2e --bin bench-audience [-- N] [--clients C]
//!   N           leads in the audience (default 10000: a few minutes on 2 cores)
//!   --clients   concurrent clients while seeding (default 32)

use serde_json::json;
use spin_retention_e2e::bench::{concurrently, peak_rss_kib, percentiles, reset_peak_rss, time_ms};
use spin_retention_e2e::{admin, bench_app, download, export_token, post_lead, store_kind, SpinApp};
use std::time::{Duration, Instant};

const AUDIENCE: &str = "pricing-no-phone";

struct Args {
    n: usize,
    clients: usize,
}

fn args() -> Args {
    let mut a = Args { n: 10_000, clients: 32 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--clients" => a.clients = it.next().and_then(|v| v.parse().ok()).expect("--clients N"),
            n => a.n = n.parse().unwrap_or_else(|_| panic!("unknown argument {n}")),
        }
    }
    a
}

/// The peak resident memory (KiB) of spin's trigger process while `f` runs.
fn peak_during<T>(app: &SpinApp, f: impl FnOnce() -> T) -> (T, u64) {
    let pid = app.trigger_pid().expect("spin's trigger process (`spin trigger http`)");
    if !reset_peak_rss(pid) {
        eprintln!("note: /proc/{pid}/clear_refs refused; the peak counts from the process's start");
    }
    let out = f();
    (out, peak_rss_kib(pid))
}

/// Leads `from..to` through intake, from `clients` concurrent clients; seconds.
fn seed(base: &str, from: usize, to: usize, clients: usize) -> f64 {
    let (_, wall) = concurrently(clients, to - from, |k| {
        let i = from + k;
        let body = json!({
            "email": format!("person{i}@example.com"), "first_name": format!("First{i}"),
            "last_name": format!("Last{i}"), "country": "US", "zip": format!("{:05}", i % 100_000),
            "pages": "/pricing", "form": "contact", "consent_marketing": true,
        });
        let reply = post_lead(base, &body);
        assert_eq!(reply.status, 201, "lead {i}: {}", reply.text());
    });
    wall.as_secs_f64()
}

/// Refreshes every lead's memberships through the component; seconds.
fn refresh(base: &str) -> f64 {
    let mut restart = "&restart=true";
    time_ms(|| loop {
        let run = admin("POST", base, &format!("/audiences/admin/refresh?limit=5000{restart}"));
        assert_eq!(run.status, 200, "{}", run.text());
        restart = "";
        if run.json()["done"] == true {
            break;
        }
    }) / 1000.0
}

/// Waits until the audience exports `n` rows (hand-offs land after intake
/// answers); seconds waited, and what `GET /audiences/<id>/size` says then.
/// Polled on the export, not on the size: the size counts index entries and
/// may count a member twice after concurrent updates.
fn wait_for_members(base: &str, n: usize) -> (f64, serde_json::Value) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60) + Duration::from_millis(10 * n as u64);
    let auth = format!("Bearer {}", export_token("google"));
    let path = format!("/audiences/{AUDIENCE}/export");
    loop {
        let (status, _, lines) = download(base, &path, &[("authorization", &auth)]);
        assert_eq!(status, 200);
        if lines as usize - 1 == n {
            let size = admin("GET", base, &format!("/audiences/{AUDIENCE}/size")).json();
            return (started.elapsed().as_secs_f64(), size["members"].clone());
        }
        assert!(
            Instant::now() < deadline,
            "{AUDIENCE}: {} rows exported, expected {n}",
            lines - 1
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

struct Pulled {
    rows: usize,
    bytes: usize,
    seconds: f64,
    peak_kib: u64,
    /// The baseline of the same process: health checks only.
    health_p50_ms: f64,
    health_kib: u64,
}

/// 50 health checks in the app's current process, after 5 to warm up: p50
/// in ms, peak RSS in KiB.
fn health_checks(app: &SpinApp) -> (f64, u64) {
    for _ in 0..5 {
        admin("GET", &app.base_url, "/audiences/health/store");
    }
    let (samples, kib) = peak_during(app, || {
        (0..50)
            .map(|_| time_ms(|| assert_eq!(admin("GET", &app.base_url, "/audiences/health/store").status, 200)))
            .collect::<Vec<f64>>()
    });
    (percentiles(samples).1, kib)
}

/// Restarts spin on the same store, takes the health-check baseline, then
/// pulls the audience (`query`) once.
fn pull(app: &mut SpinApp, query: &str) -> Pulled {
    app.restart();
    let (health_p50_ms, health_kib) = health_checks(app);
    let auth = format!("Bearer {}", export_token("google"));
    let path = format!("/audiences/{AUDIENCE}/export{query}");
    let (((status, bytes, lines), ms), peak_kib) = peak_during(app, || {
        let mut got = (0, 0, 0);
        let ms = time_ms(|| got = download(&app.base_url, &path, &[("authorization", &auth)]));
        (got, ms)
    });
    assert_eq!(status, 200);
    Pulled {
        rows: lines as usize - 1,
        bytes: bytes as usize,
        seconds: ms / 1000.0,
        peak_kib,
        health_p50_ms,
        health_kib,
    }
}

/// Seeds leads `from..to`, refreshes and waits until all are exported.
fn grow(app: &SpinApp, from: usize, to: usize, clients: usize) {
    let (health_p50, health_kib) = health_checks(app);
    let (seeded, seed_kib) = peak_during(app, || seed(&app.base_url, from, to, clients));
    let refreshed = refresh(&app.base_url);
    let (waited, size) = wait_for_members(&app.base_url, to);
    println!(
        "audience of {to}: {} leads seeded in {seeded:.1} s ({:.0} leads/s; peak RSS {seed_kib} KiB, \
         {:.2}x the {health_kib} KiB of 50 health checks at {health_p50:.2} ms p50 before), refresh {refreshed:.1} s, \
         then {waited:.1} s until all were exported (/size says {size})",
        to - from,
        (to - from) as f64 / seeded,
        seed_kib as f64 / health_kib as f64
    );
}

fn main() {
    let Args { n, clients } = args();
    let small = (n / 10).clamp(1, n.max(1));
    let mut app = bench_app();
    println!(
        "spin up ({:?} store, started in {} ms); {n} leads from {clients} clients",
        store_kind(),
        app.startup.as_millis()
    );
    grow(&app, 0, small, clients);
    let first = pull(&mut app, "");
    let page_small = pull(&mut app, "?limit=500");
    app.restart();
    grow(&app, small, n, clients);
    let all = pull(&mut app, "");
    let page_large = pull(&mut app, "?limit=500");
    assert_eq!((first.rows, all.rows), (small, n), "every member exported once");

    println!();
    println!(
        "| pull (Google CSV, streamed), each in a fresh trigger process | rows | MiB | time | vs health check p50 \
         | rows/s | peak RSS of spin's trigger: health checks / pull | pull vs health checks |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (label, p) in [
        (format!("whole audience of {small}"), &first),
        (format!("whole audience of {n}"), &all),
        (format!("page of 500 of {small}"), &page_small),
        (format!("page of 500 of {n}"), &page_large),
    ] {
        println!(
            "| {label} | {} | {:.1} | {:.2} s | {:.1}x (of {:.2} ms) | {:.0} | {} / {} KiB | {:.2}x |",
            p.rows,
            p.bytes as f64 / 1048576.0,
            p.seconds,
            p.seconds * 1000.0 / p.health_p50_ms,
            p.health_p50_ms,
            p.rows as f64 / p.seconds,
            p.health_kib,
            p.peak_kib,
            p.peak_kib as f64 / p.health_kib as f64
        );
    }
    println!();
    println!(
        "{:.0}x the audience: peak RSS {:.2}x, whole pull {:.2}x the time, a page of 500 {:.2}x the time",
        n as f64 / small as f64,
        all.peak_kib as f64 / first.peak_kib as f64,
        all.seconds / first.seconds,
        page_large.seconds / page_small.seconds
    );
}
