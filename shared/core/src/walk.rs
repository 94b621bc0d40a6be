//! The one walk over a log of work that finishes out of order (lead-alerts'
//! alerted leads until claimed or escalated and its deliveries until
//! delivered or failed, lead-intake's erasures until every job forgot the
//! person) from a low-water mark: everything before the mark is finished,
//! so a walk reads only what may still need work, and moves the mark past
//! what it finds finished. A store error stops the walk and is returned:
//! it is never taken for "finished".

use crate::keys::Key;
use crate::slots;
use crate::store::{JsonStore, Store, StoreError};

/// Slots at the end of a log whose writers may still be on the way (one
/// event takes a slot per endpoint, and many write at once): an empty one
/// there is not taken for a dead one.
const IN_FLIGHT: u64 = 256;

/// What a visit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    /// Nothing more to do, ever: the mark may pass it.
    Finished,
    /// Unfinished, but nothing was due now.
    Waiting,
    /// Unfinished, and work was done on it (it counts toward the limit).
    Worked,
    /// Finished by the work done on it now (it counts toward the limit, and
    /// the mark may pass it): a step taken once and recorded.
    Completed,
}

/// Slots read per round trip.
const BATCH: u64 = 100;

/// What a walk did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Walked {
    /// Entries worked on.
    pub worked: u64,
    /// Slots after the last one read: work a later walk may still find.
    pub unread: u64,
}

/// Visits the entries of `log` from `mark`, oldest first, until work was
/// done on `limit` of them (or `10 × limit` slots were read, or the end),
/// so entries that wait (not due yet) do not starve those behind them. The
/// mark (a plain value: a late writer can only move it back, costing a
/// re-read) moves past every finished entry before the first unfinished
/// one.
pub fn unfinished(
    store: &dyn Store,
    log: &str,
    mark: &Key<u64>,
    limit: u64,
    visit: impl FnMut(&[u8]) -> Result<Visit, StoreError>,
) -> Result<Walked, StoreError> {
    walk(store, log, mark, None, limit, IN_FLIGHT, visit)
}

/// [`unfinished`], each run starting where the last one stopped reading
/// (`cursor`), back at the mark once a run reaches the end: however many
/// entries near the mark wait (an acknowledgement's provider down for an
/// hour), those behind them are reached in turn.
pub fn unfinished_resuming(
    store: &dyn Store,
    log: &str,
    mark: &Key<u64>,
    cursor: &Key<u64>,
    limit: u64,
    visit: impl FnMut(&[u8]) -> Result<Visit, StoreError>,
) -> Result<Walked, StoreError> {
    walk(store, log, mark, Some(cursor), limit, IN_FLIGHT, visit)
}

/// [`unfinished`] over a log nobody appends to any more (journeys' past
/// minutes): an empty slot anywhere is a dead writer's or an erased entry,
/// never one on its way, so the mark may pass it.
pub fn settled(
    store: &dyn Store,
    log: &str,
    mark: &Key<u64>,
    limit: u64,
    visit: impl FnMut(&[u8]) -> Result<Visit, StoreError>,
) -> Result<Walked, StoreError> {
    walk(store, log, mark, None, limit, 0, visit)
}

fn walk(
    store: &dyn Store,
    log: &str,
    mark: &Key<u64>,
    cursor: Option<&Key<u64>>,
    limit: u64,
    in_flight: u64,
    mut visit: impl FnMut(&[u8]) -> Result<Visit, StoreError>,
) -> Result<Walked, StoreError> {
    let low = store.get_json(mark)?.unwrap_or(1).max(1);
    let len = slots::len(store, log)?;
    let resumed = match cursor {
        Some(key) => store.get_json::<u64>(key)?.filter(|at| *at > low && *at <= len),
        None => None,
    };
    // Only a run from the mark may move it.
    let from = resumed.unwrap_or(low);
    let max_read = limit.max(1).saturating_mul(10);
    let (mut next, mut visited, mut done_until, mut blocked) = (from, 0, from, resumed.is_some());
    // The last slot read, for what is left unread.
    let mut read_to = from - 1;
    while next <= len && visited < limit && next - from < max_read {
        let to = len.min(next + BATCH - 1);
        let mut expected = next;
        for (slot, bytes) in slots::read(store, log, next, to)? {
            // An empty slot near the end may be a writer on its way.
            if slot > expected && expected + in_flight > len {
                blocked = true;
            }
            expected = slot + 1;
            match visit(&bytes)? {
                Visit::Finished => {}
                Visit::Waiting => blocked = true,
                Visit::Worked => {
                    visited += 1;
                    blocked = true;
                }
                Visit::Completed => visited += 1,
            }
            if !blocked {
                done_until = slot + 1;
            }
            read_to = slot;
            if visited >= limit {
                break;
            }
        }
        if expected <= to && expected + in_flight > len {
            blocked = true;
        }
        if !blocked && visited < limit {
            done_until = to + 1;
        }
        if visited < limit {
            read_to = to;
        }
        next = to + 1;
    }
    if done_until > from && resumed.is_none() {
        store.set_json(mark, &done_until)?;
    }
    if let Some(key) = cursor {
        // Past what this run read; from the mark again once at the end.
        let at = if read_to >= len { 0 } else { read_to + 1 };
        if resumed != Some(at) && !(resumed.is_none() && at == 0) {
            store.set_json(key, &at)?;
        }
    }
    Ok(Walked {
        worked: visited,
        unread: len.saturating_sub(read_to),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn log_of(store: &MemoryStore, entries: &[&str]) {
        for e in entries {
            slots::append(store, "log", e.as_bytes()).unwrap();
        }
    }

    fn visit(e: &[u8]) -> Visit {
        match e {
            b"done" => Visit::Finished,
            b"wait" => Visit::Waiting,
            _ => Visit::Worked,
        }
    }

    #[test]
    fn the_mark_passes_finished_entries_and_stops_at_the_first_open_one() {
        let store = MemoryStore::new();
        let mark: Key<u64> = Key::new("mark");
        log_of(&store, &["done", "done", "work", "done", "work", "work"]);
        let mut seen = Vec::new();
        let worked = unfinished(&store, "log", &mark, 2, |e| {
            seen.push(String::from_utf8_lossy(e).into_owned());
            Ok(visit(e))
        })
        .unwrap();
        assert_eq!(worked, Walked { worked: 2, unread: 1 });
        assert_eq!(
            seen,
            ["done", "done", "work", "done", "work"],
            "stops after `limit` worked on"
        );
        assert_eq!(store.get_json(&mark).unwrap(), Some(3));
    }

    #[test]
    fn entries_that_wait_do_not_starve_those_behind_them() {
        // 30 leads waiting for their SLA, then one that is due: a limit of
        // 25 still reaches it.
        let store = MemoryStore::new();
        let mark: Key<u64> = Key::new("mark");
        let mut entries = vec!["wait"; 30];
        entries.push("work");
        log_of(&store, &entries);
        let worked = unfinished(&store, "log", &mark, 25, |e| Ok(visit(e))).unwrap();
        assert_eq!(worked, Walked { worked: 1, unread: 0 });
        assert_eq!(store.get_json(&mark).unwrap(), None::<u64>, "nothing finished to pass");
    }

    #[test]
    fn a_resuming_walk_reaches_work_behind_many_that_wait() {
        // 300 entries waiting (not due), then work: a limit of 10 reads at
        // most 100 slots a run, so only resuming runs reach it.
        let store = MemoryStore::new();
        let (mark, cursor): (Key<u64>, Key<u64>) = (Key::new("mark"), Key::new("cursor"));
        let mut entries = vec!["wait"; 300];
        entries.push("work");
        log_of(&store, &entries);
        let worked: Vec<u64> = (0..5)
            .map(|_| {
                unfinished_resuming(&store, "log", &mark, &cursor, 10, |e| Ok(visit(e)))
                    .unwrap()
                    .worked
            })
            .collect();
        assert_eq!(
            worked,
            [0, 0, 0, 1, 0],
            "the fourth run reaches it, the fifth starts over"
        );
        let from_mark: u64 = (0..5)
            .map(|_| unfinished(&store, "log", &mark, 10, |e| Ok(visit(e))).unwrap().worked)
            .sum();
        assert_eq!(from_mark, 0, "a walk from the mark never does");
    }

    #[test]
    fn a_hole_near_the_end_holds_the_mark() {
        let store = MemoryStore::new();
        let mark: Key<u64> = Key::new("mark");
        log_of(&store, &["done"]);
        slots::take_slot(&store, "log").unwrap(); // a writer on its way
        log_of(&store, &["done"]);
        unfinished(&store, "log", &mark, 10, |e| Ok(visit(e))).unwrap();
        assert_eq!(store.get_json(&mark).unwrap(), Some(2), "not past the empty slot");
    }

    #[test]
    fn a_store_error_stops_the_walk_and_never_moves_the_mark_past_it() {
        // The visit reads its entry's record; that read fails.
        let store = crate::store::FailingStore::every_call_on("record:b");
        let mark: Key<u64> = Key::new("mark");
        log_of(&store.inner, &["a", "b", "c"]);
        let walked = unfinished(&store, "log", &mark, 10, |e| {
            let key = format!("record:{}", String::from_utf8_lossy(e));
            Ok(match store.get(&key)? {
                None => Visit::Finished,
                Some(_) => Visit::Worked,
            })
        });
        assert!(walked.is_err(), "an error, not \"finished\"");
        assert_eq!(store.get_json(&mark).unwrap(), None::<u64>, "the mark stays before b");
    }
}
