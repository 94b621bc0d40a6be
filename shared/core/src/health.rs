//! Health checks: each proves the component can reach what it needs, with a
//! real key-value operation rather than a constant "ok".
//!
//! Anyone may ask (`GET <prefix>/health`): that check reads the component's
//! health record and does nothing else, so a stranger's checks write nothing
//! and call no one. With the admin token (an operator, a scheduler) the check
//! writes the record and reads it back ([`store_round_trip`]) and probes every
//! hand-off target's liveness route ([`probe_handoff`]).

use crate::keys;
use crate::ports::{Ctx, OutboundRequest};
use crate::store::{JsonStore, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a component keeps under `health:<component>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthRecord {
    /// Health checks seen so far. Concurrent checks may overwrite each other's
    /// increment: this is a liveness signal, not an exact counter.
    pub checks: u64,
    pub last_check: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreCheck {
    pub status: &'static str,
    pub key: String,
    pub checks: u64,
    pub last_check: Option<DateTime<Utc>>,
}

/// A downstream component this one hands work to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoffCheck {
    pub component: String,
    pub url: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    pub component: String,
    pub version: &'static str,
    /// `ok`, or `degraded` when a hand-off target is unreachable (the component
    /// still accepts work and keeps it pending).
    pub status: &'static str,
    /// `read` (anyone: the health record read, nothing written, nobody
    /// probed) or `write` (the admin token: written and read back, and every
    /// hand-off target probed).
    pub check: &'static str,
    pub store: StoreCheck,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub handoffs: Vec<HandoffCheck>,
}

/// Reads the component's health record (absent before any writing check):
/// the anonymous check, which writes nothing.
pub fn store_read(ctx: &Ctx, component: &str) -> Result<StoreCheck, StoreError> {
    let key = keys::health(component);
    let record: HealthRecord = ctx.store.get_json(&key)?.unwrap_or_default();
    Ok(StoreCheck {
        status: "ok",
        key: key.to_string(),
        checks: record.checks,
        last_check: record.last_check,
    })
}

/// Increments the component's health record and reads it back.
pub fn store_round_trip(ctx: &Ctx, component: &str) -> Result<StoreCheck, StoreError> {
    let key = keys::health(component);
    let previous: HealthRecord = ctx.store.get_json(&key)?.unwrap_or_default();
    let written = HealthRecord {
        checks: previous.checks + 1,
        last_check: Some(ctx.now),
    };
    ctx.store.set_json(&key, &written)?;
    // A concurrent check may have written since; any readable record proves the round trip.
    let read_back: HealthRecord = ctx
        .store
        .get_json(&key)?
        .ok_or_else(|| StoreError::Unavailable(format!("{key} was written but reads back empty")))?;
    Ok(StoreCheck {
        status: "ok",
        key: key.to_string(),
        checks: read_back.checks,
        last_check: read_back.last_check,
    })
}

/// Calls `<base_url><live_path>` and reports whether it answered 2xx.
pub fn probe_handoff(ctx: &Ctx, component: &str, base_url: &str, live_path: &str) -> HandoffCheck {
    let url = format!("{}{}", base_url.trim_end_matches('/'), live_path);
    let (status, detail) = match ctx.outbound.send(OutboundRequest::get(&url)) {
        Ok(resp) if (200..300).contains(&resp.status) => ("ok", None),
        Ok(resp) => ("unreachable", Some(format!("answered HTTP {}", resp.status))),
        Err(reason) => ("unreachable", Some(reason)),
    };
    HandoffCheck {
        component: component.to_string(),
        url: base_url.to_string(),
        status,
        detail,
    }
}

/// The report of a check (`check`: `read` or `write`, see [`HealthReport`]).
pub fn report(component: &str, check: &'static str, store: StoreCheck, handoffs: Vec<HandoffCheck>) -> HealthReport {
    let status = if handoffs.iter().all(|h| h.status == "ok") {
        "ok"
    } else {
        "degraded"
    };
    HealthReport {
        component: component.to_string(),
        version: env!("CARGO_PKG_VERSION"),
        status,
        check,
        store,
        handoffs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{NoOutbound, Outbound, OutboundResponse};
    use crate::store::{MemoryStore, UnavailableStore};
    use std::collections::HashMap;

    fn ctx<'a>(
        store: &'a dyn crate::store::Store,
        outbound: &'a dyn Outbound,
        config: &'a HashMap<String, String>,
    ) -> Ctx<'a> {
        Ctx::new(store, config, outbound, crate::ports::test_now())
    }

    #[test]
    fn round_trip_counts_checks_across_calls() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let c = ctx(&store, &NoOutbound, &config);
        assert_eq!(store_round_trip(&c, "survey").unwrap().checks, 1);
        let second = store_round_trip(&c, "survey").unwrap();
        assert_eq!(second.checks, 2);
        assert_eq!(second.key, "health:survey");
        assert_eq!(second.last_check, Some(c.now));
    }

    #[test]
    fn round_trip_reports_an_unavailable_store() {
        let store = UnavailableStore("no-such-store".into());
        let config = HashMap::new();
        let err = store_round_trip(&ctx(&store, &NoOutbound, &config), "survey").unwrap_err();
        assert_eq!(err, StoreError::Unavailable("no-such-store".into()));
    }

    struct Answers(u16);
    impl Outbound for Answers {
        fn send(&self, _: OutboundRequest) -> Result<OutboundResponse, String> {
            Ok(OutboundResponse {
                status: self.0,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
    }

    #[test]
    fn handoff_probe_and_overall_status() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ok = probe_handoff(
            &ctx(&store, &Answers(200), &config),
            "instant-ack",
            "http://a/",
            "/ack/health/live",
        );
        assert_eq!(ok.status, "ok");
        let down = probe_handoff(
            &ctx(&store, &Answers(503), &config),
            "instant-ack",
            "http://a",
            "/ack/health/live",
        );
        assert_eq!(down.detail.as_deref(), Some("answered HTTP 503"));
        let denied = probe_handoff(
            &ctx(&store, &NoOutbound, &config),
            "lead-scoring",
            "http://b",
            "/scoring/health/live",
        );
        assert_eq!(denied.status, "unreachable");

        let check = store_round_trip(&ctx(&store, &NoOutbound, &config), "lead-intake").unwrap();
        assert_eq!(
            report("lead-intake", "write", check.clone(), vec![ok.clone()]).status,
            "ok"
        );
        assert_eq!(
            report("lead-intake", "write", check, vec![ok, denied]).status,
            "degraded"
        );
    }
}
