//! Benchmark under the real `spin up`: throughput and latency of intake at
//! 32 concurrent clients against a one-key health check measured in the
//! same run, then what arrived under load (nothing may be lost), then a
//! `kill -9` in the middle of a load.
//!
//! E2E_STORE=sqlite|redis cargo run --release -p spin-retention-e2e --bin bench-load [-- FLAGS]
//!   --leads N        distinct leads from 64 clients (default 2000)
//!   --answers N      concurrent survey answers (default 1000)
//!   --same N         concurrent submissions by one person (default 100)
//!   --requests N     requests per throughput series at 32 clients (default 1000)
//!   --app-dir DIR    run DIR/spin.toml (another checkout, e.g. the commit before) instead of this one
//!   --only-throughput   skip the checks (for an older commit)

use serde_json::{json, Value};
use spin_retention_e2e::bench::concurrently;
use spin_retention_e2e::mock_provider::MockProvider;
use spin_retention_e2e::{
    admin, admin_json, post_json, post_lead, repo_root, request, store_kind, SpinApp, SpinConfig, APP_VARIABLES,
};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Args {
    leads: usize,
    answers: usize,
    same: usize,
    requests: usize,
    app_dir: PathBuf,
    only_throughput: bool,
}

fn args() -> Args {
    let mut a = Args {
        leads: 2000,
        answers: 1000,
        same: 100,
        requests: 1000,
        app_dir: repo_root(),
        only_throughput: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = || it.next().and_then(|v| v.parse().ok()).expect("a number after the flag");
        match flag.as_str() {
            "--leads" => a.leads = num(),
            "--answers" => a.answers = num(),
            "--same" => a.same = num(),
            "--requests" => a.requests = num(),
            "--app-dir" => a.app_dir = PathBuf::from(it.next().expect("a folder")),
            "--only-throughput" => a.only_throughput = true,
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

struct Series {
    per_second: f64,
    p50: f64,
    p99: f64,
    failed: usize,
}

/// `n` timed requests from `clients` clients; `ok` judges each status.
fn series(clients: usize, n: usize, send: impl Fn(usize) -> u16 + Sync) -> Series {
    let (samples, wall) = concurrently(clients, n, |i| {
        let start = Instant::now();
        let status = send(i);
        (start.elapsed().as_secs_f64() * 1000.0, status)
    });
    let mut ms: Vec<f64> = samples.iter().map(|(ms, _)| *ms).collect();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    Series {
        per_second: n as f64 / wall.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        failed: samples
            .iter()
            .filter(|(_, status)| !(200..300).contains(status))
            .count(),
    }
}

/// A hot lead (pricing page, a phone) with ad consent; email and phone
/// unique per tag and number.
fn hot_lead(tag: &str, i: usize) -> Value {
    let series = ["warm", "tp", "load", "crash"]
        .iter()
        .position(|t| *t == tag)
        .expect("a known tag");
    json!({
        "name": "Load Test", "email": format!("{tag}{i}@example.com"),
        "phone": format!("+1201{}{:04}", 230 + series * 10 + i / 10_000, i % 10_000),
        "message": "pricing", "pages": ["/pricing"], "country": "US",
        "consent_marketing": true, "consent_ad_user_data": "granted", "consent_ad_personalization": "granted"
    })
}

fn submit(base: &str, body: &Value) -> (u16, Option<String>) {
    let reply = post_lead(base, body);
    let id = (reply.status / 100 == 2).then(|| reply.json()["id"].as_str().unwrap_or_default().to_string());
    (reply.status, id)
}

fn report(name: &str, s: &Series, base: &Series) {
    println!(
        "{name:<44} {:7.1} req/s ({:4.0}% of health)  p50 {:7.1} ms  p99 {:7.1} ms ({:4.1}x health p99)  non-2xx {}",
        s.per_second,
        100.0 * s.per_second / base.per_second,
        s.p50,
        s.p99,
        s.p99 / base.p99,
        s.failed
    );
}

fn start_app(a: &Args, provider: &MockProvider) -> SpinApp {
    let mut config = SpinConfig::new(a.app_dir.join("spin.toml"));
    for (k, v) in APP_VARIABLES {
        config = config.variable(k, v);
    }
    for (k, v) in [
        ("ack_provider", "sendgrid"),
        ("ack_provider_url", provider.url.as_str()),
        ("ack_api_key", "SG.bench"),
        ("ack_from", "Acme <hello@acme.test>"),
        ("ack_claim_seconds", "5"),
    ] {
        config = config.variable(k, v);
    }
    SpinApp::start(config)
}

fn main() {
    let a = args();
    let provider = MockProvider::start();
    let mut app = start_app(&a, &provider);
    let base = app.base_url.clone();
    println!(
        "spin up on {:?} store, app {} ({} cores)",
        store_kind(),
        a.app_dir.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // The one-key baseline: `/survey/health/store` with the token; an
    // older checkout (--app-dir) without it wrote on the anonymous check.
    let baseline = match admin("GET", &base, "/survey/health/store").status {
        404 => "/survey/health",
        _ => "/survey/health/store",
    };
    for i in 0..20 {
        admin("GET", &base, baseline);
        submit(&base, &hot_lead("warm", i));
    }

    let health = series(32, a.requests, |_| admin("GET", &base, baseline).status);
    report(&format!("GET {baseline} (one write, one read)"), &health, &health);
    let intake = series(32, a.requests, |i| submit(&base, &hot_lead("tp", i)).0);
    report("POST /intake/leads, hot, with a phone", &intake, &health);
    let cold_phone = series(32, a.requests, |i| {
        let body = json!({"email": format!("cp{i}@example.com"), "phone": format!("+1201270{:04}", i % 10_000), "message": "hello"});
        submit(&base, &body).0
    });
    report("POST /intake/leads, not hot, with a phone", &cold_phone, &health);
    let no_phone = series(32, a.requests, |i| {
        submit(
            &base,
            &json!({"email": format!("np{i}@example.com"), "message": "hello"}),
        )
        .0
    });
    report("POST /intake/leads, not hot, no phone", &no_phone, &health);
    if a.only_throughput {
        return;
    }

    // 1. Distinct leads from 64 clients: all answered, readable, queued once, in their audience.
    let (results, wall) = concurrently(64, a.leads, |i| submit(&base, &hot_lead("load", i)));
    let accepted: Vec<String> = results.iter().filter_map(|(_, id)| id.clone()).collect();
    let refused = results.len() - accepted.len();
    println!(
        "{} distinct hot leads from 64 clients in {:.1} s: {} answered 2xx, {refused} not",
        a.leads,
        wall.as_secs_f64(),
        accepted.len()
    );
    // What the burst left unscored once its after-reply work settled, with
    // no retry route called (the figure of issue 30: 163 of 2,000).
    let wanted: HashSet<&String> = accepted.iter().collect();
    let mut in_queue_before = 0;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_secs(2));
        let queue = hot_queue(&base);
        let now = queue
            .iter()
            .filter(|id| wanted.contains(id))
            .collect::<HashSet<_>>()
            .len();
        if now == in_queue_before {
            break;
        }
        in_queue_before = now;
    }
    println!(
        "  left unscored by the burst, before any retry: {} of {}",
        accepted.len() - in_queue_before,
        accepted.len()
    );
    settle_handoffs(&base);
    let (unreadable, _) = concurrently(16, accepted.len(), |i| {
        admin("GET", &base, &format!("/intake/admin/leads/{}", accepted[i])).status
    });
    let unreadable = unreadable.iter().filter(|s| **s != 200).count();
    let queued = hot_queue(&base);
    let in_queue: Vec<&String> = queued.iter().filter(|id| wanted.contains(id)).collect();
    let distinct: HashSet<&&String> = in_queue.iter().collect();
    let mut audience = audience_rows(&base, "hot-not-converted");
    if audience < queued.len() {
        // Tells skipped under overload (jobs::within_budget): the catch-up run.
        println!(
            "  audience rows {audience} < {} hot: running the audience refresh",
            queued.len()
        );
        let mut path = "/audiences/admin/refresh?limit=500&restart=true";
        while admin("POST", &base, path).json()["done"] != true {
            path = "/audiences/admin/refresh?limit=500";
        }
        audience = audience_rows(&base, "hot-not-converted");
    }
    for id in accepted.iter().filter(|id| !distinct.contains(id)).take(3) {
        let score = admin("GET", &base, &format!("/scoring/leads/{id}"));
        println!(
            "  not in the hot queue: {id}, its score: {} {}",
            score.status,
            score.text()
        );
    }
    println!(
        "  readable {} of {}; in the hot queue {} (distinct {}); hot-not-converted audience rows {} (all leads so far: {})",
        accepted.len() - unreadable,
        accepted.len(),
        in_queue.len(),
        distinct.len(),
        audience,
        queued.len()
    );

    // 2. Concurrent survey answers, each counted once.
    let survey = json!({"kind": "nps", "question": {"en": "Recommend us?"}});
    admin_json("PUT", &base, "/survey/admin/surveys/bench-nps", &survey);
    let answerers: Vec<&String> = accepted.iter().take(a.answers).collect();
    let (tokens, _) = concurrently(16, answerers.len(), |i| {
        let made = admin_json(
            "POST",
            &base,
            "/survey/admin/surveys/bench-nps/links",
            &json!({"lead_id": answerers[i]}),
        );
        made.json()["token"].as_str().unwrap_or_default().to_string()
    });
    let (answered, wall) = concurrently(64, tokens.len(), |i| {
        let reply = post_json(
            &base,
            "/survey/surveys/bench-nps/answers",
            &json!({"token": tokens[i], "score": 10}),
        );
        if reply.status / 100 != 2 {
            println!("  answer {i}: HTTP {} {}", reply.status, reply.text());
        }
        reply.status
    });
    let ok = answered.iter().filter(|s| **s / 100 == 2).count();
    let summary = admin("GET", &base, "/survey/admin/surveys/bench-nps/summary").json();
    println!(
        "{} concurrent survey answers in {:.1} s: {ok} answered 2xx; the summary counts {}",
        tokens.len(),
        wall.as_secs_f64(),
        summary["overall"]["count"]
    );

    // 3. One person, many submissions at once: one profile with all of them.
    let (same, _) = concurrently(64, a.same, |i| {
        submit(
            &base,
            &json!({"email": "same.person@example.com", "message": format!("message {i}")}),
        )
    });
    let ids: HashSet<Option<String>> = same.iter().map(|(_, id)| id.clone()).collect();
    let lead = ids.iter().flatten().next().cloned().unwrap_or_default();
    let profile = admin("GET", &base, &format!("/intake/admin/leads/{lead}")).json();
    println!(
        "{} concurrent submissions by one person: {} lead id(s); the profile lists {} submissions",
        a.same,
        ids.len(),
        profile["lead"]["submissions"].as_array().map_or(0, Vec::len)
    );

    // 4. kill -9 in the middle of a load, restart on the same store. The
    // clients' requests then fail (connection refused or reset): expected.
    let accepted_during = Mutex::new(Vec::new());
    std::panic::set_hook(Box::new(|_| {}));
    let crashed = std::thread::scope(|s| {
        let load = s.spawn(|| {
            concurrently(32, 100_000, |i| {
                let sent = std::panic::catch_unwind(|| submit(&base, &hot_lead("crash", i)));
                match sent {
                    Ok((status, id)) => {
                        accepted_during.lock().unwrap().extend(id);
                        status
                    }
                    Err(_) => 0,
                }
            })
        });
        std::thread::sleep(Duration::from_secs(3));
        let at = accepted_during.lock().unwrap().len();
        app.kill();
        let _ = load.join();
        at
    });
    let _ = std::panic::take_hook();
    app.restart();
    let base = app.base_url.clone();
    let accepted_during = accepted_during.into_inner().unwrap();
    settle_handoffs(&base);
    let (after, _) = concurrently(16, accepted_during.len(), |i| {
        admin("GET", &base, &format!("/intake/admin/leads/{}", accepted_during[i])).status
    });
    let queued: HashSet<String> = hot_queue(&base).into_iter().collect();
    for missing in accepted_during.iter().filter(|id| !queued.contains(*id)).take(3) {
        let score = admin("GET", &base, &format!("/scoring/leads/{missing}"));
        let lead = admin("GET", &base, &format!("/intake/admin/leads/{missing}"));
        println!(
            "  not queued: {missing}: score HTTP {} {}; hand-offs {}",
            score.status,
            score.text(),
            lead.json()["submissions"][0]["handoffs"]
        );
    }
    println!(
        "kill -9 after {crashed}+ accepted: {} answered 2xx before the kill; after the restart {} readable, {} in the hot queue",
        accepted_during.len(),
        after.iter().filter(|s| **s == 200).count(),
        accepted_during.iter().filter(|id| queued.contains(*id)).count()
    );
}

/// Runs the hand-off retry route until nothing is pending (at most a minute).
fn settle_handoffs(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = admin("POST", base, "/intake/admin/handoffs/retry?limit=500").json();
        if r["remaining"] == 0 || Instant::now() > deadline {
            println!("  hand-offs retried: {r}");
            return;
        }
    }
}

/// Every lead id in the hot queue, newest first, with repeats.
fn hot_queue(base: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = admin("GET", base, &format!("/scoring/queue?order=newest&limit=500{cursor}")).json();
        for item in page["items"].as_array().into_iter().flatten() {
            ids.push(item["lead_id"].as_str().unwrap_or_default().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

/// Data rows of an audience's plain CSV export.
fn audience_rows(base: &str, audience: &str) -> usize {
    let reply = request(
        "GET",
        base,
        &format!("/audiences/{audience}/export?format=csv"),
        &[("authorization", &format!("Bearer {}", spin_retention_e2e::ADMIN_TOKEN))],
        b"",
    );
    let text = reply.text();
    let rows: HashMap<&str, usize> = text.lines().skip(1).fold(HashMap::new(), |mut m, l| {
        *m.entry(l).or_default() += 1;
        m
    });
    rows.values().sum()
}
