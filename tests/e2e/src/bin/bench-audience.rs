//! Benchmark: exporting a large audience through the built audience-export
//! component on the test host, over Spin's default SQLite store. Leads are
//! written straight into the store (as lead-intake would store them), their
//! memberships are set by the refresh endpoint, then the whole audience is
//! pulled as one streamed Google Customer Match file. Reported: time, rows,
//! and the most guest (linear) memory the component held, against a small
//! audience and a health check in the same run.
//!
//! cargo run -p spin-retention-e2e --bin bench-audience [-- N]   (default 100000)

use spin_retention_e2e::bench::time_ms;
use spin_retention_e2e::{admin, download, export_token, host_config, repo_root, scratch_dir, APP_VARIABLES};
use spin_retention_shared::keys;
use spin_retention_shared::lead::{Attribution, Channel, Consent, Contact, Lead, Submission};
use spin_retention_shared::store::{Store, StoreError};
use spin_test_host::{kv::Backend, RunningHost, StoreMode};

const COMPONENT: &str = "audience-export";
const STORE: &str = "default";

/// The test host's store, natively, for the shared index code.
struct Native<'a>(&'a Backend);

impl Store for Native<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(STORE, key).map_err(StoreError::Unavailable)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.set(STORE, key, value).map_err(StoreError::Unavailable)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(STORE, key).map_err(StoreError::Unavailable)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }
    /// In Spin's SQLite encoding (8 little-endian bytes); the seeding is
    /// single-threaded, so read-add-write is enough here.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let current = match self.get(key)? {
            None => 0,
            Some(bytes) => i64::from_le_bytes(bytes.try_into().map_err(|_| StoreError::Corrupt {
                key: key.to_string(),
                reason: "not a counter (8 little-endian bytes)".to_string(),
            })?),
        };
        let next = current + delta;
        self.set(key, &next.to_le_bytes())?;
        Ok(next)
    }
}

/// Leads `from..to`: US, consented to marketing, saw the pricing page, no
/// phone: members of the default `pricing-no-phone` audience.
fn seed(host: &RunningHost, from: usize, to: usize) {
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    let mut writes = Vec::new();
    for i in from..to {
        let (lead_id, submission_id) = (format!("l_bench{i:08}"), format!("s_bench{i:08}"));
        let submission = Submission {
            id: submission_id.clone(),
            lead_id: lead_id.clone(),
            received_at: now,
            form: Some("contact".into()),
            contact: Contact {
                email: Some(format!("person{i}@example.com")),
                first_name: Some(format!("First{i}")),
                last_name: Some(format!("Last{i}")),
                country: Some("US".into()),
                postal_code: Some(format!("{:05}", i % 100_000)),
                ..Contact::default()
            },
            message: None,
            language: None,
            channel: Channel::Email,
            attribution: Attribution {
                pages: vec!["/pricing".into()],
                ..Attribution::default()
            },
            consent: Some(Consent {
                marketing: Some(true),
                ad_user_data: None,
                ad_personalization: None,
                text: None,
                version: None,
                recorded_at: now,
                submission_id: submission_id.clone(),
            }),
            custom: Default::default(),
        };
        let lead = Lead::new(&submission);
        writes.push((
            keys::submission(&submission_id),
            serde_json::to_vec(&submission).unwrap(),
        ));
        writes.push((keys::lead(&lead_id), serde_json::to_vec(&lead).unwrap()));
        ids.push(lead_id);
        if writes.len() >= 20_000 {
            host.key_value().set_many(STORE, &writes).unwrap();
            writes.clear();
        }
    }
    host.key_value().set_many(STORE, &writes).unwrap();
    spin_retention_shared::leads_index::add_all(&Native(host.key_value()), &ids).unwrap();
}

/// Refreshes every lead's memberships through the component; seconds taken.
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

struct Pulled {
    rows: usize,
    bytes: usize,
    seconds: f64,
    peak_kib: usize,
}

fn pull(host: &RunningHost, query: &str) -> Pulled {
    host.reset_peak_memory(COMPONENT);
    let auth = format!("Bearer {}", export_token("google"));
    let mut got = (0, 0, 0);
    let path = format!("/audiences/pricing-no-phone/export{query}");
    let ms = time_ms(|| got = download(&host.base_url, &path, &[("authorization", &auth)]));
    let (status, bytes, lines) = got;
    assert_eq!(status, 200);
    Pulled {
        rows: lines as usize - 1,
        bytes: bytes as usize,
        seconds: ms / 1000.0,
        peak_kib: host.peak_memory(COMPONENT) / 1024,
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(100_000, |a| a.parse().expect("N"));
    let small = (n / 100).max(1000);
    let mut config = host_config(repo_root().join("spin.toml"));
    config.store = StoreMode::Sqlite(scratch_dir("bench-audience").join("sqlite_key_value.db"));
    for (name, value) in APP_VARIABLES {
        config.variables.insert(name.to_string(), value.to_string());
    }
    let host = RunningHost::start(config).expect("test host starts (did scripts/build-wasm.sh run?)");
    let base = host.base_url.clone();

    host.reset_peak_memory(COMPONENT);
    assert_eq!(admin("GET", &base, "/audiences/health").status, 200);
    let health_kib = host.peak_memory(COMPONENT) / 1024;

    let seeded = time_ms(|| seed(&host, 0, small)) / 1000.0;
    let refreshed = refresh(&base);
    let first = pull(&host, "");
    let page_small = pull(&host, "?limit=500");
    println!("audience of {small}: seeded in {seeded:.1} s, memberships refreshed in {refreshed:.1} s");

    let seeded = time_ms(|| seed(&host, small, n)) / 1000.0;
    let refreshed = refresh(&base);
    let all = pull(&host, "");
    let page_large = pull(&host, "?limit=500");
    println!("audience of {n}: seeded in {seeded:.1} s, memberships refreshed in {refreshed:.1} s");
    assert_eq!((first.rows, all.rows), (small, n), "every member exported once");

    println!();
    println!("| pull (Google CSV, streamed) | rows | MiB | time | rows/s | peak guest memory | vs health check |");
    println!("|---|---|---|---|---|---|---|");
    println!("| health check | | | | | {health_kib} KiB | 1.00x |");
    for (label, p) in [
        (format!("whole audience of {small}"), &first),
        (format!("whole audience of {n}"), &all),
        (format!("page of 500 of {small}"), &page_small),
        (format!("page of 500 of {n}"), &page_large),
    ] {
        println!(
            "| {label} | {} | {:.1} | {:.2} s | {:.0} | {} KiB | {:.2}x |",
            p.rows,
            p.bytes as f64 / 1048576.0,
            p.seconds,
            p.rows as f64 / p.seconds,
            p.peak_kib,
            p.peak_kib as f64 / health_kib as f64
        );
    }
    println!();
    println!(
        "{}x the audience: peak memory {:.2}x, a page of 500 takes {:.2}x the time",
        n / small,
        all.peak_kib as f64 / first.peak_kib as f64,
        page_large.seconds / page_small.seconds
    );
}
