//! Coupon pools the business uploads (`PUT /journeys/admin/coupons/<pool>`)
//! and the codes a send hands out of them: each code to one person only
//! (the next slot of the pool, counted with `increment`, first wins), and
//! one code per person per journey, kept for them, so a message tried again
//! or a second time through says the same code.

use crate::keys;
use serde::{Deserialize, Serialize};
use spin_retention_core::problem::Problem;
use spin_retention_core::slots;
use spin_retention_core::store::{counter, json_bytes, JsonStore, Store, StoreError};

/// Codes in one upload.
pub const MAX_CODES: usize = 10_000;

/// A pool is low when fewer codes than this are left, or fewer than a
/// tenth of what was uploaded.
pub const LOW_AT: u64 = 20;

/// `PUT /journeys/admin/coupons/<pool>`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    pub codes: Vec<String>,
}

/// A pool's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    pub pool: String,
    /// Codes uploaded.
    pub total: u64,
    /// Codes handed out (or passed while the pool was empty).
    pub issued: u64,
    pub left: u64,
    /// Time to upload more.
    pub low: bool,
}

pub fn figures(store: &dyn Store, pool: &str) -> Result<Pool, StoreError> {
    let total = slots::len(store, &keys::coupons(pool))?;
    let issued = counter(store, &keys::coupons_issued(pool))?.min(total);
    let left = total - issued;
    Ok(Pool {
        pool: pool.to_string(),
        total,
        issued,
        left,
        low: left < LOW_AT.min(total) || left * 10 < total,
    })
}

/// Adds `body`'s codes to the pool, in one write. Each code is 1-64
/// printable characters without spaces; duplicates within the upload are
/// dropped (a code uploaded twice in two uploads would go out twice).
pub fn upload(store: &dyn Store, pool: &str, body: &[u8]) -> Result<Pool, Problem> {
    let upload: Upload = serde_json::from_slice(body).map_err(|e| {
        Problem::new(422, "invalid-coupons", "Invalid Coupons").with_detail(format!("{{\"codes\": [...]}}: {e}"))
    })?;
    if upload.codes.is_empty() || upload.codes.len() > MAX_CODES {
        return Err(Problem::new(422, "invalid-coupons", "Invalid Coupons")
            .with_field_error("codes", &format!("1 to {MAX_CODES} codes in one upload")));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut entries = Vec::new();
    for (n, code) in upload.codes.iter().enumerate() {
        let printable = !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_graphic());
        if !printable {
            return Err(Problem::new(422, "invalid-coupons", "Invalid Coupons")
                .with_field_error(&format!("codes[{n}]"), "1 to 64 printable ASCII characters, no spaces"));
        }
        if seen.insert(code.as_str()) {
            entries.push(json_bytes(code));
        }
    }
    slots::append_all(store, &keys::coupons(pool), &entries)?;
    Ok(figures(store, pool)?)
}

/// Reads of empty slots (a writer that died mid-upload) before giving up.
const EMPTY_SLOTS_PASSED: usize = 8;

/// The person's code from `pool` for `journey`: the one they were given,
/// else the next one unused; `None` when the pool is out of codes.
pub fn issue(store: &dyn Store, pool: &str, journey: &str, lead_id: &str) -> Result<Option<String>, StoreError> {
    let theirs = keys::coupon_of(pool, journey, lead_id);
    if let Some(code) = store.get_json(&theirs)? {
        return Ok(Some(code));
    }
    let log = keys::coupons(pool);
    for _ in 0..EMPTY_SLOTS_PASSED {
        // A read first: an empty pool costs no increment.
        let total = slots::len(store, &log)?;
        if counter(store, &keys::coupons_issued(pool))? >= total {
            return Ok(None);
        }
        let slot = store.increment(&keys::coupons_issued(pool), 1)? as u64;
        if slot > total {
            return Ok(None);
        }
        let found = slots::read(store, &log, slot, slot)?;
        let Some(code) = found
            .first()
            .and_then(|(_, bytes)| serde_json::from_slice::<String>(bytes).ok())
        else {
            continue;
        };
        store.set_json(&theirs, &code)?;
        return Ok(Some(code));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::store::MemoryStore;

    #[test]
    fn each_code_goes_to_one_person_once_per_journey() {
        let store = MemoryStore::default();
        let pool = upload(&store, "welcome10", br#"{"codes": ["A1", "B2", "B2", "C3"]}"#).unwrap();
        assert_eq!((pool.total, pool.left), (3, 3));
        let a = issue(&store, "welcome10", "abandoned-checkout", "l_1").unwrap();
        assert_eq!(a.as_deref(), Some("A1"));
        assert_eq!(issue(&store, "welcome10", "abandoned-checkout", "l_1").unwrap(), a);
        assert_eq!(
            issue(&store, "welcome10", "win-back", "l_1").unwrap().as_deref(),
            Some("B2")
        );
        assert_eq!(
            issue(&store, "welcome10", "abandoned-checkout", "l_2")
                .unwrap()
                .as_deref(),
            Some("C3")
        );
        assert_eq!(issue(&store, "welcome10", "abandoned-checkout", "l_3").unwrap(), None);
        let pool = figures(&store, "welcome10").unwrap();
        assert_eq!((pool.issued, pool.left, pool.low), (3, 0, true));
        // More codes: the next person gets one.
        upload(&store, "welcome10", br#"{"codes": ["D4"]}"#).unwrap();
        assert_eq!(
            issue(&store, "welcome10", "abandoned-checkout", "l_3")
                .unwrap()
                .as_deref(),
            Some("D4")
        );
    }

    #[test]
    fn a_bad_upload_names_the_bad_code() {
        let store = MemoryStore::default();
        let problem = upload(&store, "p", br#"{"codes": ["ok", "has space"]}"#).unwrap_err();
        assert_eq!(problem.errors[0].field, "codes[1]");
        assert_eq!(figures(&store, "p").unwrap().total, 0);
    }
}
