//! A set of strings in the store that many requests change at once (who
//! answered a survey on a day, the buckets of a
//! [`crate::sorted_sets`]).
//!
//! A set is a log of operations in [`crate::slots`]: adding an entry
//! appends `+entry` to a write-once slot of its own, so no writer
//! overwrites another and nothing waits. Removing one deletes the slots
//! that added it and appends `-<slot>` for each, naming only the slot: an
//! erased person's id is left nowhere. The set is what the log says when
//! replayed in slot order (the counter orders concurrent writers).
//!
//! So that reading stays cheap however long the log grows, the writer whose
//! operation takes a slot that is a multiple of [`COMPACT_AFTER`] also
//! writes a snapshot (`<name>#snap`: the set as of slot `through`), in the
//! same batch; readers replay only what follows it, and write nothing: only
//! the set's owner writes any of its keys. Snapshots of any prefix are
//! correct, so concurrent writers may each write one: an older one written
//! last only means the next reader replays a little more (in a burst of
//! concurrent writers one may land late, and readers replay more until the
//! next snapshot of calmer traffic). A snapshot never
//! passes an empty slot whose writer may still be on the way: only one at
//! least [`DEAD_GAP_SLOTS`] slots behind the newest operation is taken as a
//! writer that died, and even then the snapshot lists it (`passed`) and
//! every read looks at it again: a writer stalled that long in a burst
//! still lands (measured: 6 of 2,000 hot leads missing from the hot queue
//! on Redis before this).

use crate::keys::Key;
use crate::slots;
use crate::store::{JsonStore, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A writer taking a multiple of this slot writes a snapshot through the
/// multiple before, so a reader replays at most twice this many operations
/// (more only behind a writer on the way, or a dead one not yet
/// [`DEAD_GAP_SLOTS`] behind).
pub const COMPACT_AFTER: usize = 32;
/// An empty slot this far behind the newest one belongs to a dead writer.
pub const DEAD_GAP_SLOTS: u64 = 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Snapshot {
    through: u64,
    /// Each live entry with the slot that added it.
    entries: Vec<(u64, String)>,
    /// Empty slots at or before `through` taken for dead writers' (far
    /// behind the newest): a writer that was only slow still lands there,
    /// so every read looks at them again, and the snapshot that finds one
    /// written takes it in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    passed: Vec<u64>,
}

fn snapshot_key(name: &str) -> Key<Snapshot> {
    Key::new(format!("{name}#snap"))
}

fn added(entry: &str) -> Vec<u8> {
    format!("+{entry}").into_bytes()
}

pub fn add(store: &dyn Store, name: &str, entry: &str) -> Result<(), StoreError> {
    store.set_many(&append_ops(store, name, vec![added(entry)])?)
}

/// Adds many entries with one increment and one batch write.
pub fn add_all(store: &dyn Store, name: &str, new: &[String]) -> Result<(), StoreError> {
    store.set_many(&prepare_add(store, name, new)?)
}

/// The writes that add `new` (their slots taken now), for a caller's
/// batch; with a snapshot when one is due ([`COMPACT_AFTER`]).
pub fn prepare_add(store: &dyn Store, name: &str, new: &[String]) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    append_ops(store, name, new.iter().map(|e| added(e)).collect())
}

/// The writes that put `ops` into slots taken now, and the snapshot when
/// one is due.
fn append_ops(store: &dyn Store, name: &str, ops: Vec<Vec<u8>>) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    if ops.is_empty() {
        return Ok(Vec::new());
    }
    let first = slots::take_slots(store, name, ops.len())?;
    let last = first + ops.len() as u64 - 1;
    let mut writes: Vec<(String, Vec<u8>)> = (first..)
        .zip(ops)
        .map(|(slot, op)| (slots::slot_key(name, slot), op))
        .collect();
    writes.extend(snapshot_if_due(store, name, first, last)?);
    Ok(writes)
}

/// The snapshot write, when the operations in slots `first..=last` (one
/// writer's) include a multiple of [`COMPACT_AFTER`] and the log has moved
/// past the snapshot. It covers what is complete up to the multiple
/// before: slots that old are written (their writers were that many
/// operations ago), so concurrent writers rarely leave a gap in it, and a
/// snapshot of a slower writer rarely lands after a newer one.
fn snapshot_if_due(
    store: &dyn Store,
    name: &str,
    first: u64,
    last: u64,
) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    let every = COMPACT_AFTER as u64;
    let multiple = first.div_ceil(every) * every;
    if multiple > last || multiple <= every {
        return Ok(None);
    }
    let Read { from, fresh, .. } = read(store, name, multiple - every)?;
    Ok((fresh.through > from.through).then(|| snapshot_key(name).entry(&fresh)))
}

pub fn remove(store: &dyn Store, name: &str, entry: &str) -> Result<(), StoreError> {
    let Read {
        live, from: snapshot, ..
    } = read(store, name, u64::MAX)?;
    let gone: Vec<u64> = live.iter().filter(|(_, e)| e == entry).map(|(slot, _)| *slot).collect();
    if gone.is_empty() {
        // Removed before, but a snapshot that landed late may still name
        // it (readers never show it): an erase again leaves it nowhere.
        if snapshot.entries.iter().any(|(_, e)| e == entry) {
            let entries = snapshot.entries.into_iter().filter(|(_, e)| e != entry).collect();
            store.set_json(&snapshot_key(name), &Snapshot { entries, ..snapshot })?;
        }
        return Ok(());
    }
    // The tombstones first: from then on no replay shows the entry.
    let tombstones: Vec<Vec<u8>> = gone.iter().map(|slot| format!("-{slot}").into_bytes()).collect();
    let first = slots::take_slots(store, name, tombstones.len())?;
    let last = first + tombstones.len() as u64 - 1;
    let writes: Vec<(String, Vec<u8>)> = (first..)
        .zip(tombstones)
        .map(|(slot, op)| (slots::slot_key(name, slot), op))
        .collect();
    store.set_many(&writes)?;
    let keys: Vec<String> = gone.iter().map(|slot| slots::slot_key(name, *slot)).collect();
    store.delete_many(&keys)?;
    // After the deletes, so a snapshot due now leaves the entry out.
    if let Some(snapshot) = snapshot_if_due(store, name, first, last)? {
        store.set_many(&[snapshot])?;
    }
    // The stored snapshot (the one read above, or one a concurrent writer
    // built before our tombstone landed) may still name the entry: an
    // erased id must not stay in it.
    let stored: Snapshot = store.get_json(&snapshot_key(name))?.unwrap_or_default();
    if stored.entries.iter().any(|(slot, _)| gone.contains(slot)) {
        let entries = stored
            .entries
            .into_iter()
            .filter(|(slot, _)| !gone.contains(slot))
            .collect();
        store.set_json(
            &snapshot_key(name),
            &Snapshot {
                through: stored.through,
                entries,
                passed: stored.passed,
            },
        )?;
    }
    Ok(())
}

/// The entries, in the order they were first added.
pub fn list(store: &dyn Store, name: &str) -> Result<Vec<String>, StoreError> {
    let live = read(store, name, u64::MAX)?.live;
    let mut seen = std::collections::HashSet::with_capacity(live.len());
    Ok(live
        .into_iter()
        .map(|(_, entry)| entry)
        .filter(|entry| seen.insert(entry.clone()))
        .collect())
}

/// What a read of a set found.
struct Read {
    /// The live entries with the slots that added them.
    live: Vec<(u64, String)>,
    /// The snapshot they were read from.
    from: Snapshot,
    /// A snapshot as of what is complete now, for a writer to store.
    fresh: Snapshot,
}

/// `fresh` covers at most slot `cap`.
fn read(store: &dyn Store, name: &str, cap: u64) -> Result<Read, StoreError> {
    let snapshot: Snapshot = store.get_json(&snapshot_key(name))?.unwrap_or_default();
    let newest = slots::len(store, name)?;
    // Slots a snapshot passed as dead writers', written after all.
    let passed_keys: Vec<String> = snapshot
        .passed
        .iter()
        .map(|slot| slots::slot_key(name, *slot))
        .collect();
    let late: Vec<(u64, Vec<u8>)> = snapshot
        .passed
        .iter()
        .zip(store.get_many(&passed_keys)?)
        .filter_map(|(slot, op)| Some((*slot, op?)))
        .collect();
    let mut passed: Vec<u64> = snapshot
        .passed
        .iter()
        .filter(|slot| !late.iter().any(|(l, _)| l == *slot))
        .copied()
        .collect();
    let ops = slots::read(store, name, snapshot.through + 1, newest)?;
    let newest_present = ops.last().map_or(0, |(slot, _)| *slot);
    // How far the log is complete (or its gaps dead): what a snapshot may cover.
    // A removed entry's slot is empty but accounted for by its tombstone.
    let removed: std::collections::HashSet<u64> = ops
        .iter()
        .filter_map(|(_, op)| std::str::from_utf8(op).ok()?.strip_prefix('-')?.parse().ok())
        .collect();
    let mut through = snapshot.through;
    for (slot, _) in ops.iter().take_while(|(slot, _)| *slot <= cap) {
        while through + 1 < *slot && removed.contains(&(through + 1)) {
            through += 1;
        }
        let gap_is_dead = newest_present.saturating_sub(through + 1) >= DEAD_GAP_SLOTS;
        if *slot == through + 1 || gap_is_dead {
            passed.extend((through + 1..*slot).filter(|empty| !removed.contains(empty)));
            through = *slot;
        } else {
            break;
        }
    }
    // A passed slot whose entry was added late and then removed: done; one
    // far behind (16 dead gaps) belongs to a writer that did die.
    passed.retain(|slot| !removed.contains(slot) && newest.saturating_sub(*slot) < 16 * DEAD_GAP_SLOTS);
    let (prefix, rest): (Vec<_>, Vec<_>) = ops.iter().partition(|(slot, _)| *slot <= through);
    let mut entries = snapshot.entries.clone();
    // Late writes first: any removal of theirs comes in a later slot.
    replay(&mut entries, &late.iter().collect::<Vec<_>>());
    replay(&mut entries, &prefix);
    // A tombstone past `through` still applies: a snapshot never keeps an
    // entry whose removal has been written.
    let fresh = Snapshot {
        through,
        entries: entries
            .iter()
            .filter(|(slot, _)| !removed.contains(slot))
            .cloned()
            .collect(),
        passed,
    };
    replay(&mut entries, &rest);
    Ok(Read {
        live: entries,
        from: snapshot,
        fresh,
    })
}

fn replay(entries: &mut Vec<(u64, String)>, ops: &[&(u64, Vec<u8>)]) {
    for (slot, bytes) in ops {
        let op = String::from_utf8_lossy(bytes);
        if let Some(entry) = op.strip_prefix('+') {
            entries.push((*slot, entry.to_string()));
        } else if let Some(removed) = op.strip_prefix('-').and_then(|s| s.parse::<u64>().ok()) {
            entries.retain(|(added, _)| *added != removed);
        }
    }
}

/// Deletes the whole set (its log and snapshot).
pub fn erase(store: &dyn Store, name: &str) -> Result<(), StoreError> {
    slots::erase(store, name)?;
    store.delete(&snapshot_key(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CountingStore, MemoryStore};
    use std::sync::Arc;

    #[test]
    fn add_is_idempotent_and_remove_forgets() {
        let store = MemoryStore::new();
        add(&store, "k", "a").unwrap();
        add(&store, "k", "a").unwrap();
        add(&store, "k", "b").unwrap();
        assert_eq!(list(&store, "k").unwrap(), ["a", "b"]);
        remove(&store, "k", "a").unwrap();
        assert_eq!(list(&store, "k").unwrap(), ["b"]);
        add(&store, "k", "a").unwrap();
        assert_eq!(list(&store, "k").unwrap(), ["b", "a"], "added again after its removal");
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let store = Arc::new(MemoryStore::new());
        let writers: Vec<_> = (0..40)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    add(&*store, "k", &format!("e{i}")).unwrap();
                    if i % 2 == 0 {
                        remove(&*store, "k", &format!("e{i}")).unwrap();
                    }
                    // Readers compact while others write.
                    list(&*store, "k").unwrap();
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let mut all = list(&*store, "k").unwrap();
        all.sort();
        let expected: Vec<String> = (0..40).filter(|i| i % 2 == 1).map(|i| format!("e{i}")).collect();
        let mut expected = expected;
        expected.sort();
        assert_eq!(all, expected);
    }

    /// The removal's own slot may be due a snapshot, which covers only
    /// up to the multiple before it: the removed entry stays out of it.
    #[test]
    fn a_snapshot_due_at_the_tombstone_leaves_the_removed_entry_out() {
        let store = MemoryStore::new();
        for i in 0..127 {
            add(&store, "k", &format!("e{i}")).unwrap();
        }
        remove(&store, "k", "e5").unwrap();
        let snap = String::from_utf8(store.get("k#snap").unwrap().unwrap()).unwrap();
        assert!(!snap.contains("\"e5\""), "{snap}");
        assert!(!list(&store, "k").unwrap().contains(&"e5".to_string()));
    }

    /// A snapshot built before a removal and written after it still names
    /// the entry; removing it again (an erase retried) clears it.
    #[test]
    fn removing_again_clears_a_snapshot_that_landed_late() {
        let store = MemoryStore::new();
        for i in 0..70 {
            add(&store, "k", &format!("e{i}")).unwrap();
        }
        let late = store.get("k#snap").unwrap().unwrap();
        remove(&store, "k", "e5").unwrap();
        store.set("k#snap", &late).unwrap();
        assert!(!list(&store, "k").unwrap().contains(&"e5".to_string()), "never shown");
        remove(&store, "k", "e5").unwrap();
        let snap = String::from_utf8(store.get("k#snap").unwrap().unwrap()).unwrap();
        assert!(!snap.contains("\"e5\""), "{snap}");
        assert!(!list(&store, "k").unwrap().contains(&"e5".to_string()));
    }

    #[test]
    fn a_long_log_is_read_from_its_snapshot() {
        let store = CountingStore::default();
        for i in 0..500 {
            add(&store, "k", &format!("e{i}")).unwrap();
            remove(&store, "k", &format!("e{i}")).unwrap();
        }
        add(&store, "k", "last").unwrap();
        assert_eq!(list(&store, "k").unwrap(), ["last"]);
        let before = store.reads();
        assert_eq!(list(&store, "k").unwrap(), ["last"]);
        let read = store.reads() - before;
        assert!(
            read <= 2 + 2 * COMPACT_AFTER,
            "snapshot, counter, at most the operations since: {read}"
        );
    }

    /// Only the set's owner writes its keys: a reader, however long the
    /// log it replays, writes nothing (and the writers kept it short).
    #[test]
    fn readers_write_nothing_and_writers_keep_the_replay_short() {
        let store = CountingStore::default();
        for i in 0..1000 {
            add(&store, "k", &format!("e{i}")).unwrap();
        }
        let before = (store.commits(), store.inner.mentions(""), store.get("k#snap").unwrap());
        let reads = store.reads();
        assert_eq!(list(&store, "k").unwrap().len(), 1000);
        let after = (store.commits(), store.inner.mentions(""), store.get("k#snap").unwrap());
        assert_eq!(
            after, before,
            "a reader writes nothing, not even a key it leaves as it was"
        );
        assert!(
            store.reads() - reads <= 2 + 2 * COMPACT_AFTER,
            "{}",
            store.reads() - reads
        );
    }

    #[test]
    fn a_snapshot_waits_for_a_writer_on_the_way_but_not_for_a_dead_one() {
        let store = MemoryStore::new();
        // Slot 1 taken, its entry not written yet (a writer on the way).
        store.increment("k#n", 1).unwrap();
        for i in 0..100 {
            add(&store, "k", &format!("e{i}")).unwrap();
        }
        assert_eq!(list(&store, "k").unwrap().len(), 100);
        store.set("k#1", b"+late").unwrap();
        assert!(list(&store, "k").unwrap().contains(&"late".to_string()), "not skipped");
        // A slot whose writer died, far behind: compaction goes past it.
        store.increment("k#n", 1).unwrap();
        for i in 0..DEAD_GAP_SLOTS + 2 * COMPACT_AFTER as u64 {
            add(&store, "k", &format!("f{i}")).unwrap();
        }
        let snap: Snapshot = store.get_json(&snapshot_key("k")).unwrap().unwrap();
        assert!(snap.through > 102 + DEAD_GAP_SLOTS, "{}", snap.through);
        // It was only slow: its entry still counts, and the next snapshot
        // takes it in.
        store.set("k#102", b"+slow").unwrap();
        assert!(list(&store, "k").unwrap().contains(&"slow".to_string()), "not lost");
        for i in 0..2 * COMPACT_AFTER {
            add(&store, "k", &format!("g{i}")).unwrap();
        }
        let snap: Snapshot = store.get_json(&snapshot_key("k")).unwrap().unwrap();
        assert!(snap.passed.is_empty(), "{:?}", snap.passed);
        assert!(snap.entries.iter().any(|(_, e)| e == "slow"));
        assert!(list(&store, "k").unwrap().contains(&"slow".to_string()));
    }
}
