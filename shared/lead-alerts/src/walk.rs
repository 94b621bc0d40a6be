//! Walking a log of work that finishes out of order (alerted leads until
//! claimed or escalated, deliveries until delivered or failed) from a
//! low-water mark: everything before the mark is finished, so a walk reads
//! only what may still need work, and moves the mark past what it finds
//! finished.

use spin_retention_core::keys::Key;
use spin_retention_core::slots;
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// Slots at the end of a log whose writers may still be on the way: an
/// empty one there is not taken for a dead one.
const IN_FLIGHT: u64 = 16;

/// Slots read per round trip.
const BATCH: u64 = 100;

/// Visits the entries of `log` from `mark`, oldest first, until `limit`
/// unfinished ones have been visited (or `10 × limit` slots read, or the
/// end); `visit` says whether its entry is still unfinished. The mark
/// (a plain value: a late writer can only move it back, costing a re-read)
/// moves past every finished entry before the first unfinished one.
pub fn unfinished(
    store: &dyn Store,
    log: &str,
    mark: &Key<u64>,
    limit: u64,
    mut visit: impl FnMut(&[u8]) -> Result<bool, StoreError>,
) -> Result<u64, StoreError> {
    let from = store.get_json(mark)?.unwrap_or(1).max(1);
    let len = slots::len(store, log)?;
    let max_read = limit.max(1).saturating_mul(10);
    let (mut next, mut visited, mut done_until, mut blocked) = (from, 0, from, false);
    while next <= len && visited < limit && next - from < max_read {
        let to = len.min(next + BATCH - 1);
        let mut expected = next;
        for (slot, bytes) in slots::read(store, log, next, to)? {
            // An empty slot near the end may be a writer on its way.
            if slot > expected && expected + IN_FLIGHT > len {
                blocked = true;
            }
            expected = slot + 1;
            if visit(&bytes)? {
                visited += 1;
                blocked = true;
            }
            if !blocked {
                done_until = slot + 1;
            }
            if visited >= limit {
                break;
            }
        }
        if expected <= to && expected + IN_FLIGHT > len {
            blocked = true;
        }
        if !blocked && visited < limit {
            done_until = to + 1;
        }
        next = to + 1;
    }
    if done_until > from {
        store.set_json(mark, &done_until)?;
    }
    Ok(visited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::store::MemoryStore;

    fn log_of(store: &MemoryStore, entries: &[&str]) {
        for e in entries {
            slots::append(store, "log", e.as_bytes()).unwrap();
        }
    }

    #[test]
    fn the_mark_passes_finished_entries_and_stops_at_the_first_open_one() {
        let store = MemoryStore::new();
        let mark: Key<u64> = Key::new("mark");
        log_of(&store, &["done", "done", "open", "done", "open", "open"]);
        let mut seen = Vec::new();
        let visited = unfinished(&store, "log", &mark, 2, |e| {
            seen.push(String::from_utf8_lossy(e).into_owned());
            Ok(e == b"open")
        })
        .unwrap();
        assert_eq!(visited, 2);
        assert_eq!(
            seen,
            ["done", "done", "open", "done", "open"],
            "stops after `limit` open ones"
        );
        assert_eq!(store.get_json(&mark).unwrap(), Some(3));
    }

    #[test]
    fn open_ones_past_the_first_limit_are_reached() {
        // 30 open leads, then one more: a limit of 25 per walk still reaches
        // the 31st within two walks (the mark stays at the first open one).
        let store = MemoryStore::new();
        let mark: Key<u64> = Key::new("mark");
        let entries: Vec<String> = (0..31).map(|i| format!("open{i}")).collect();
        log_of(&store, &entries.iter().map(String::as_str).collect::<Vec<_>>());
        let mut seen = 0;
        unfinished(&store, "log", &mark, 100, |_| {
            seen += 1;
            Ok(true)
        })
        .unwrap();
        assert_eq!(seen, 31);
    }

    #[test]
    fn a_hole_near_the_end_holds_the_mark() {
        let store = MemoryStore::new();
        let mark: Key<u64> = Key::new("mark");
        log_of(&store, &["done"]);
        slots::take_slot(&store, "log").unwrap(); // a writer on its way
        log_of(&store, &["done"]);
        unfinished(&store, "log", &mark, 10, |_| Ok(false)).unwrap();
        assert_eq!(store.get_json(&mark).unwrap(), Some(2), "not past the empty slot");
    }
}
