//! Turns: the right to do something once, taken by whoever counts `1` on
//! a counter (`increment` is the one atomic the backends share; nothing
//! here uses compare-and-swap, and nothing waits). [`take`] gives one
//! turn per window of time, and a taker that died is replaced a few
//! windows later (lead-alerts' steps, claims, attempts and digests, soon
//! journeys' sends); [`first_of_minute`] picks the one request of a minute
//! that runs work due on the back of requests.

use crate::ports::Ctx;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// How long a taker has to do its work and write its record before
/// another may take over (it died, or was cut off).
pub const RETAKE_SECONDS: i64 = 120;

/// The window of [`RETAKE_SECONDS`] since `since` that `now` falls in.
pub fn window(since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - since).num_seconds().max(0) / RETAKE_SECONDS
}

/// Takes the right to do something once (send step n, claim a lead, make
/// attempt n): `true` for the first taker in this window of
/// [`RETAKE_SECONDS`] since `since`. A taker of either window before, or
/// of the one after (a request whose clock, read when it started, lags),
/// blocks this one too: a slow taker has at least two full windows (240 s)
/// to write its record before anyone repeats its work, and one that died
/// is replaced after that. Callers check for the record first. `key` names
/// the counter of a window; a counter exists only once taken.
pub fn take(
    store: &dyn Store,
    key: impl Fn(i64) -> String,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let w = window(since, now);
    for other in [w - 2, w - 1, w + 1].into_iter().filter(|o| *o >= 0) {
        if store.exists(&key(other))? {
            return Ok(false);
        }
    }
    Ok(store.increment(&key(w), 1)? == 1)
}

/// Whether this request is the first of its minute to count on
/// `key_of(minute)`: the one that runs work due at most once a minute on
/// the back of requests. A read first, since nearly every request finds the
/// minute taken and a read costs less than an increment (a transaction on
/// SQLite); the first also deletes the counter of two minutes before.
pub fn first_of_minute(ctx: &Ctx, key_of: impl Fn(i64) -> String) -> Result<bool, StoreError> {
    let minute = ctx.now.timestamp().div_euclid(60);
    let key = key_of(minute);
    if ctx.store.exists(&key)? || ctx.store.increment(&key, 1)? != 1 {
        return Ok(false);
    }
    crate::store::delete_if_present(ctx.store, &key_of(minute - 2))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn one_taker_per_window_and_a_dead_one_replaced_windows_later() {
        let store = MemoryStore::new();
        let since = crate::ports::test_now();
        let at = |s: i64| since + chrono::Duration::seconds(s);
        let key = |w: i64| format!("turn:{w}");
        let takers: Vec<bool> = (0..5).map(|_| take(&store, key, since, at(1)).unwrap()).collect();
        assert_eq!(takers.iter().filter(|t| **t).count(), 1, "one of many at once");
        // The taker died without a record: its turn blocks the next two
        // windows, then another may take over.
        assert!(!take(&store, key, since, at(RETAKE_SECONDS + 1)).unwrap());
        assert!(!take(&store, key, since, at(2 * RETAKE_SECONDS + 1)).unwrap());
        assert!(take(&store, key, since, at(3 * RETAKE_SECONDS + 1)).unwrap());
        // A lagging clock (the window before a taken one) is blocked too.
        assert!(!take(&store, key, since, at(2 * RETAKE_SECONDS + 1)).unwrap());
    }

    #[test]
    fn the_first_request_of_a_minute_runs_the_work_once() {
        let store = MemoryStore::new();
        let config = std::collections::HashMap::new();
        let key = |m: i64| format!("tick:{m}");
        let ctx = Ctx::new(&store, &config, &crate::ports::NoOutbound, crate::ports::test_now());
        let firsts = (0..4).filter(|_| first_of_minute(&ctx, key).unwrap()).count();
        assert_eq!(firsts, 1);
        let later = Ctx::new(
            &store,
            &config,
            &crate::ports::NoOutbound,
            crate::ports::test_now() + chrono::Duration::minutes(2),
        );
        assert!(first_of_minute(&later, key).unwrap());
        let minute = crate::ports::test_now().timestamp().div_euclid(60);
        assert!(!store.exists(&key(minute)).unwrap(), "two minutes back is deleted");
    }
}
