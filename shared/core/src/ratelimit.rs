//! Per-client rate limit: a counter per client per minute in the store.
//!
//! `increment` is atomic on every backend, so the limit is exact under any
//! number of concurrent requests. The first request of a minute deletes the
//! counter of the minute before, so keys do not pile up (a client that
//! stops sending leaves one key).

use crate::keys;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

pub enum Verdict {
    Allowed,
    /// Over the limit; retry after this many seconds.
    Limited {
        retry_after: u64,
    },
}

pub fn check(store: &dyn Store, client: &str, per_minute: u32, now: DateTime<Utc>) -> Result<Verdict, StoreError> {
    if per_minute == 0 {
        return Ok(Verdict::Allowed);
    }
    let minute = now.timestamp().div_euclid(60);
    let count = store.increment(&keys::rate(client, minute), 1)?;
    if count == 1 {
        crate::store::delete_if_present(store, &keys::rate(client, minute - 1))?;
    }
    if count > i64::from(per_minute) {
        let retry_after = 60 - now.timestamp().rem_euclid(60) as u64;
        return Ok(Verdict::Limited {
            retry_after: retry_after.max(1),
        });
    }
    Ok(Verdict::Allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn limits_per_client_per_minute() {
        let store = MemoryStore::new();
        let t: DateTime<Utc> = "2026-11-23T10:00:15Z".parse().unwrap();
        for _ in 0..3 {
            assert!(matches!(check(&store, "1.2.3.4", 3, t).unwrap(), Verdict::Allowed));
        }
        match check(&store, "1.2.3.4", 3, t).unwrap() {
            Verdict::Limited { retry_after } => assert_eq!(retry_after, 45),
            Verdict::Allowed => panic!("not limited"),
        }
        assert!(matches!(check(&store, "5.6.7.8", 3, t).unwrap(), Verdict::Allowed));
        let next = t + chrono::Duration::seconds(60);
        assert!(matches!(check(&store, "1.2.3.4", 3, next).unwrap(), Verdict::Allowed));
        assert_eq!(store.len(), 2, "one key per client");
    }
}
