//! Per-client rate limit: a counter per client per minute in the store.
//!
//! Without compare-and-swap, concurrent requests from one client may both
//! read the same count; the limit is then a little generous, never stricter
//! than configured.

use crate::keys;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};

pub enum Verdict {
    Allowed,
    /// Over the limit; retry after this many seconds.
    Limited {
        retry_after: u64,
    },
}

/// One key per client holding this minute's count: no keys pile up.
#[derive(serde::Serialize, serde::Deserialize)]
struct Window {
    minute: i64,
    count: u32,
}

pub fn check(store: &dyn Store, client: &str, per_minute: u32, now: DateTime<Utc>) -> Result<Verdict, StoreError> {
    if per_minute == 0 {
        return Ok(Verdict::Allowed);
    }
    let minute = now.timestamp().div_euclid(60);
    let key = keys::rate(client);
    let count = match store.get_json::<Window>(&key)? {
        Some(w) if w.minute == minute => w.count,
        _ => 0,
    };
    if count >= per_minute {
        let retry_after = 60 - now.timestamp().rem_euclid(60) as u64;
        return Ok(Verdict::Limited {
            retry_after: retry_after.max(1),
        });
    }
    store.set_json(
        &key,
        &Window {
            minute,
            count: count + 1,
        },
    )?;
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
