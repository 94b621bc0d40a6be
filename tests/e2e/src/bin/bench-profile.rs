//! Benchmark: what loading one person costs as their history grows, with
//! the stored fold (`lead-fold:`), against folding their whole log (what
//! every load cost before the fold existed), on the in-memory store that
//! the unit tests use. Prints time and store reads per load, and the ratio
//! of a person with `N` submissions to one with 10.
//!
//! `cargo run --release -p spin-retention-e2e --bin bench-profile [-- N [LOADS]]`

use spin_retention_core::keys;
use spin_retention_core::lead::{self, Entry};
use spin_retention_core::ports::{Ctx, NoOutbound};
use spin_retention_core::slots;
use spin_retention_core::store::{decode_json, CountingStore, Store};
use spin_retention_lead_intake::submit::{self, Policy, Stored};
use spin_retention_lead_intake::validate::{self, FormRules, Validated};
use std::collections::HashMap;
use std::time::Instant;

/// The benchmark's clock: a fixed instant, never today's date.
fn test_now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-23T09:00:00Z".parse().unwrap()
}

fn person(store: &dyn Store, email: &str, n: usize) -> String {
    let config = HashMap::new();
    let mut id = String::new();
    for i in 0..n {
        // One a minute apart: the cap counts an hour, and this has none.
        let ctx = Ctx::new(
            store,
            &config,
            &NoOutbound,
            test_now() + chrono::Duration::minutes(i as i64),
        );
        let message = format!("message {i}");
        let fields = [("email", email), ("message", &message), ("pages", "/pricing")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let Ok(Validated::Valid(draft)) = validate::validate(&fields, &FormRules::default()) else {
            panic!("a valid submission")
        };
        id = match submit::store_submission(&ctx, *draft, None, &Policy::default()).unwrap() {
            Stored::New(s) | Stored::Repeat(s) => s.lead_id,
            Stored::TooMany { .. } => unreachable!("no cap"),
        };
    }
    id
}

/// The whole log folded from its first slot.
fn fold_all(store: &dyn Store, id: &str) -> lead::Lead {
    let log = keys::lead_log(id);
    let len = slots::len(store, &log).unwrap();
    let mut folded: Option<lead::Lead> = None;
    for (slot, bytes) in slots::read(store, &log, 1, len).unwrap() {
        if let Entry::Submission(s) = decode_json(&slots::slot_key(&log, slot), &bytes).unwrap() {
            match folded.as_mut() {
                Some(l) => l.merge(&s),
                None => folded = Some(lead::Lead::new(&s)),
            }
        }
    }
    folded.unwrap()
}

/// Mean microseconds and store reads of one `load`.
fn measure(store: &CountingStore, loads: usize, load: impl Fn()) -> (f64, f64) {
    load();
    let reads = store.reads();
    let start = Instant::now();
    for _ in 0..loads {
        load();
    }
    let micros = start.elapsed().as_secs_f64() * 1e6 / loads as f64;
    (micros, (store.reads() - reads) as f64 / loads as f64)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let loads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let store = CountingStore::default();
    let few = person(&store, "few@example.com", 10);
    let many = person(&store, "many@example.com", n);
    let load = |id: &str| {
        let history = lead::load_history(&store, id).unwrap().unwrap();
        assert!(history.lead.submission_count > 0);
    };
    let (few_us, few_reads) = measure(&store, loads, || load(&few));
    let (many_us, many_reads) = measure(&store, loads, || load(&many));
    println!("loading a person, {loads} loads each (in-memory store, this machine, one run)");
    println!("  10 submissions:     {few_us:8.1} us/load, {few_reads:5.1} store reads/load");
    println!("  {n} submissions: {many_us:8.1} us/load, {many_reads:5.1} store reads/load");
    println!(
        "  ratio {n} / 10:     {:.2}x time, {:.2}x reads (target: at most 1.5x)",
        many_us / few_us,
        many_reads / few_reads
    );
    let full_loads = (loads / 100).max(5);
    let (full_us, full_reads) = measure(&store, full_loads, || {
        fold_all(&store, &many);
    });
    println!(
        "  folding all {n} from the log (the cost without the fold): {full_us:.1} us/load, {full_reads:.0} reads/load, {:.0}x the fold",
        full_us / many_us
    );
}
