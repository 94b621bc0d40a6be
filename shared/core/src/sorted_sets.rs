//! Large lists read a page at a time: the hot-lead queue and the list of
//! every lead.
//!
//! An index `<name>` is split into buckets (a day, a score band), each one
//! small set under `<name>:<bucket>` ([`crate::sets`], so concurrent
//! writers lose nothing and never wait), plus the set of buckets under
//! `<name>:buckets`. A bucket joins that set once: `<name>:known:<bucket>`
//! is written after it did, so later inserts skip it (two first inserts at
//! once may both add it; a set keeps one).
//! Entries are strings that sort in the order wanted; pages run from the
//! greatest entry down. A page reads the bucket list and only as many
//! buckets as it needs, so its cost grows with the page (and the bucket
//! count, one per day or band), not with the store.
//!
//! An entry's owner may have moved it since (a lead re-scored into another
//! band), so a reader checks each entry against its owner's record and
//! skips stale ones (the `keep` filter of [`page`]).

use crate::http::{bad_parameter, Reply, Request};
use crate::sets;
use crate::store::{Store, StoreError};
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Where an entry sits: its bucket and the entry itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub bucket: String,
    pub entry: String,
}

impl Position {
    pub fn new(bucket: impl Into<String>, entry: impl Into<String>) -> Self {
        Position {
            bucket: bucket.into(),
            entry: entry.into(),
        }
    }

    /// An opaque, URL-safe cursor ("continue after this entry").
    pub fn to_cursor(&self) -> String {
        let json = serde_json::to_vec(self).expect("positions serialise");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// `?cursor=C` of a paged endpoint: `None` for the first page, a 400
    /// for anything this module did not hand out.
    pub fn from_query(req: &Request) -> Result<Option<Position>, Reply> {
        match req.query_param("cursor") {
            None => Ok(None),
            Some(c) => Position::from_cursor(&c)
                .map(Some)
                .ok_or_else(|| bad_parameter("cursor", "is not a cursor this endpoint gave out")),
        }
    }

    /// `?limit=N&cursor=C` of a paged endpoint: the page size (`default`
    /// when absent, at most `max`) and where it starts; a 400 for either
    /// being wrong.
    pub fn page_query(req: &Request, default: usize, max: usize) -> Result<(usize, Option<Position>), Reply> {
        Ok((req.limit(default, max)?, Position::from_query(req)?))
    }

    pub fn from_cursor(cursor: &str) -> Option<Position> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

fn buckets_key(name: &str) -> String {
    format!("{name}:buckets")
}

fn bucket_key(name: &str, bucket: &str) -> String {
    format!("{name}:{bucket}")
}

pub fn insert(store: &dyn Store, name: &str, at: &Position) -> Result<(), StoreError> {
    insert_all(store, name, std::slice::from_ref(at))
}

/// Inserts many entries with one batch write.
pub fn insert_all(store: &dyn Store, name: &str, all: &[Position]) -> Result<(), StoreError> {
    store.set_many(&prepare_insert(store, name, all)?)
}

/// The writes that insert `all` (their slots taken now), for a caller's
/// batch: the entries, and for a bucket not seen before its place in the
/// set of buckets and its marker. In one batch, a reader that sees a
/// bucket finds its entries.
pub fn prepare_insert(store: &dyn Store, name: &str, all: &[Position]) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let mut by_bucket: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for at in all {
        by_bucket.entry(&at.bucket).or_default().push(at.entry.clone());
    }
    let mut writes = Vec::new();
    for (bucket, entries) in &by_bucket {
        writes.extend(sets::prepare_add(store, &bucket_key(name, bucket), entries)?);
    }
    let buckets: Vec<String> = by_bucket.keys().map(|b| b.to_string()).collect();
    let markers: Vec<String> = buckets.iter().map(|b| known_key(name, b)).collect();
    let known = store.get_many(&markers)?;
    let new: Vec<String> = buckets
        .into_iter()
        .zip(&known)
        .filter(|(_, known)| known.is_none())
        .map(|(bucket, _)| bucket)
        .collect();
    writes.extend(sets::prepare_add(store, &buckets_key(name), &new)?);
    writes.extend(new.iter().map(|b| (known_key(name, b), b"1".to_vec())));
    Ok(writes)
}

fn known_key(name: &str, bucket: &str) -> String {
    format!("{name}:known:{bucket}")
}

/// Emptied buckets stay listed (one key per day or band); readers skip them.
pub fn remove(store: &dyn Store, name: &str, at: &Position) -> Result<(), StoreError> {
    sets::remove(store, &bucket_key(name, &at.bucket), &at.entry)
}

pub struct Page {
    pub entries: Vec<Position>,
    /// Where the next page starts; `None` when nothing is left.
    pub next: Option<Position>,
}

/// Up to `limit` entries below `after` (from the top when `None`), greatest
/// first, keeping only those `keep` accepts.
pub fn page(
    store: &dyn Store,
    name: &str,
    after: Option<&Position>,
    limit: usize,
    keep: impl FnMut(&Position) -> Result<bool, StoreError>,
) -> Result<Page, StoreError> {
    page_down_to(store, name, after, "", limit, keep)
}

/// [`page`], reading only buckets from `floor` up (an export `since` a day
/// reads only that day's buckets and later ones).
pub fn page_down_to(
    store: &dyn Store,
    name: &str,
    after: Option<&Position>,
    floor: &str,
    limit: usize,
    mut keep: impl FnMut(&Position) -> Result<bool, StoreError>,
) -> Result<Page, StoreError> {
    let mut buckets = sets::list(store, &buckets_key(name))?;
    buckets.retain(|b| b.as_str() >= floor);
    buckets.sort_unstable_by(|a, b| b.cmp(a));
    let mut entries = Vec::new();
    for bucket in buckets
        .iter()
        .filter(|b| after.is_none_or(|a| b.as_str() <= a.bucket.as_str()))
    {
        let mut in_bucket = sets::list(store, &bucket_key(name, bucket))?;
        in_bucket.sort_unstable_by(|a, b| b.cmp(a));
        in_bucket.dedup();
        for entry in in_bucket {
            let at = Position::new(bucket.clone(), entry);
            if after.is_some_and(|a| a.bucket == at.bucket && at.entry >= a.entry) {
                continue;
            }
            if entries.len() == limit {
                // One more exists: the page is full and there is a next one.
                let next = entries.last().cloned();
                return Ok(Page { entries, next });
            }
            if keep(&at)? {
                entries.push(at);
            }
        }
    }
    Ok(Page { entries, next: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn all(store: &dyn Store, limit: usize, keep: impl Fn(&Position) -> bool + Copy) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let page = page(store, "ix", after.as_ref(), limit, |p| Ok(keep(p))).unwrap();
            pages.push(page.entries.iter().map(|p| p.entry.clone()).collect());
            match page.next {
                Some(next) => after = Some(next),
                None => return pages,
            }
        }
    }

    #[test]
    fn pages_run_greatest_first_across_buckets() {
        let store = MemoryStore::new();
        for (bucket, entry) in [("b1", "10"), ("b2", "25"), ("b1", "12"), ("b2", "21"), ("b3", "30")] {
            insert(&store, "ix", &Position::new(bucket, entry)).unwrap();
        }
        assert_eq!(
            all(&store, 2, |_| true),
            [vec!["30", "25"], vec!["21", "12"], vec!["10"]]
        );
        assert_eq!(all(&store, 5, |_| true), [vec!["30", "25", "21", "12", "10"]]);
        assert_eq!(all(&store, 10, |p| p.entry != "21"), [vec!["30", "25", "12", "10"]]);
        remove(&store, "ix", &Position::new("b2", "25")).unwrap();
        assert_eq!(all(&store, 3, |_| true), [vec!["30", "21", "12"], vec!["10"]]);
    }

    #[test]
    fn empty_index_and_cursor_round_trip() {
        let store = MemoryStore::new();
        assert_eq!(all(&store, 3, |_| true), [Vec::<String>::new()]);
        let at = Position::new("2026-11-23", "2026-11-23T08:00:00Z|l_x");
        assert_eq!(Position::from_cursor(&at.to_cursor()), Some(at));
        assert_eq!(Position::from_cursor("not a cursor!"), None);
    }
}
