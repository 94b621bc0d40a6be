//! Outbound event webhooks, as the Standard Webhooks specification says:
//! each message is `POST`ed with `webhook-id` (the event's id, the same on
//! every retry), `webhook-timestamp` (Unix seconds of this attempt) and
//! `webhook-signature` (`v1,` and base64 of HMAC-SHA256 over
//! `<id>.<timestamp>.<body>`, keyed by the endpoint's `whsec_` secret).
//!
//! Endpoints are a document an admin sets (`PUT /alerts/admin/webhooks`),
//! whose hosts must be public ([`refuse_private_hosts`]), their secrets
//! the `webhook_secrets` variable. Each event is recorded
//! with one delivery per endpoint that wants it; a failed attempt is
//! retried with backoff by the tick, and after the last one the delivery is
//! recorded as failed, to send again by hand.

use crate::keys;
use crate::record::take_turn;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc::Document;
use spin_retention_core::events::{Event, Interest, TYPES};
use spin_retention_core::ports::{Ctx, OutboundRequest};
use spin_retention_core::problem::{FieldError, Problem};
use spin_retention_core::store::{JsonStore, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Names its secret in `webhook_secrets`.
    pub id: String,
    pub url: String,
    /// Event types, or `*` for all.
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl Endpoint {
    pub fn wants(&self, kind: &str) -> bool {
        self.enabled && self.events.iter().any(|e| e == "*" || e == kind)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    pub endpoints: Vec<Endpoint>,
}

impl Document for Endpoints {
    const KEY: &'static str = "webhook-endpoints";
    const NAME: &'static str = "webhooks";
    const MAX_BYTES: usize = 32 * 1024;
    const NEXT: &'static str = "nothing: events from now on go to these endpoints";

    fn defaults() -> Self {
        Endpoints::default()
    }

    fn parse(body: &[u8]) -> Result<Self, Problem> {
        let invalid = || Problem::new(422, "invalid-webhooks", "Invalid Webhook Endpoints");
        Problem::check_json(body, invalid, "endpoints", validate)
    }
}

const MAX_ENDPOINTS: usize = 20;

fn validate(doc: &Endpoints) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut error = |field: String, message: String| errors.push(FieldError { field, message });
    if doc.endpoints.len() > MAX_ENDPOINTS {
        error("endpoints".into(), format!("at most {MAX_ENDPOINTS}"));
    }
    for (i, e) in doc.endpoints.iter().enumerate() {
        let at = format!("endpoints[{i}]");
        let id_ok = !e.id.is_empty()
            && e.id.len() <= 64
            && e.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            error(format!("{at}.id"), "lowercase letters, digits and -, at most 64".into());
        }
        if doc.endpoints[..i].iter().any(|o| o.id == e.id) {
            error(format!("{at}.id"), format!("\"{}\" is used twice", e.id));
        }
        if let Err(why) = spin_retention_core::net::target(&e.url) {
            error(format!("{at}.url"), why);
        }
        if e.events.is_empty() {
            error(
                format!("{at}.events"),
                format!("one or more of {}, or *", TYPES.join(", ")),
            );
        }
        for kind in e.events.iter().filter(|k| *k != "*" && !TYPES.contains(&k.as_str())) {
            error(
                format!("{at}.events"),
                format!("no event \"{kind}\"; the events are {}", TYPES.join(", ")),
            );
        }
    }
    errors
}

/// `enabled` lets endpoints name loopback and private hosts: for the
/// end-to-end tests' local receivers only, never in production (there the
/// runtime's `block_networks` would refuse them anyway).
pub const TEST_PRIVATE_HOSTS: &str = "test_private_hosts";

fn private_hosts_allowed(ctx: &Ctx) -> bool {
    ctx.config.get(TEST_PRIVATE_HOSTS).as_deref() == Some("enabled")
}

/// Before a `PUT` of the endpoints: refuses (422, naming
/// `endpoints[i].url`) a URL whose host is literally not public
/// ([`spin_retention_core::net::check_public_url`]: loopback, private,
/// link-local, CGNAT, multicast, `localhost`, `*.internal`, `*.local`...),
/// so lead-alerts cannot be made to call inside the network. A body that
/// is no endpoints document is left to the document's own errors.
pub fn refuse_private_hosts(ctx: &Ctx, body: &[u8]) -> Result<(), Problem> {
    let Ok(doc) = serde_json::from_slice::<Endpoints>(body) else {
        return Ok(());
    };
    if private_hosts_allowed(ctx) {
        return Ok(());
    }
    let errors: Vec<FieldError> = doc
        .endpoints
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let why = spin_retention_core::net::check_public_url(&e.url).err()?;
            Some(FieldError {
                field: format!("endpoints[{i}].url"),
                message: why,
            })
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let mut problem = Problem::new(422, "invalid-webhooks", "Invalid Webhook Endpoints")
        .with_detail(format!("{} URL(s) name a host that is not public", errors.len()));
    problem.errors = errors;
    Err(problem)
}

pub fn endpoints(store: &dyn Store) -> Result<Endpoints, StoreError> {
    Ok(spin_retention_core::admin_doc::current::<Endpoints>(store)?.0)
}

/// `event-interest` from the endpoints and the alert settings, so emitters
/// tell lead-alerts only of what something wants.
pub fn write_interest(store: &dyn Store) -> Result<(), StoreError> {
    let endpoints = endpoints(store)?;
    let settings = crate::settings::current(store)?;
    let types = TYPES
        .iter()
        .filter(|t| endpoints.endpoints.iter().any(|e| e.wants(t)))
        .map(|t| t.to_string())
        .collect();
    let interest = Interest {
        types,
        owner_alert_forms: settings.owner_alert_forms,
        digest_forms: settings.digest.map(|d| d.forms).unwrap_or_default(),
    };
    store.set_json(&spin_retention_core::events::interest_key(), &interest)
}

/// The `webhook-signature` of one message under a `whsec_<base64>` secret
/// (a secret without the prefix is used as raw bytes).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = match secret.strip_prefix("whsec_") {
        Some(b64) => B64.decode(b64).unwrap_or_else(|_| b64.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    };
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "v1,{}",
        B64.encode(spin_retention_core::signed::hmac_sha256(&key, &signed))
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub n: u32,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `delivery:<event_id>.<endpoint_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub endpoint_id: String,
    pub status: Status,
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due, while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<DateTime<Utc>>,
    /// Attempts before this series began (a redelivery starts a new one).
    #[serde(default)]
    pub series_from: u32,
    pub created_at: DateTime<Utc>,
    /// Its latest slot in the delivery log (a redelivery appends it again,
    /// so the retry walk sees it; the log lists it at this slot only).
    #[serde(default)]
    pub slot: u64,
}

/// Waits before each retry, as the specification suggests: 5 seconds, 5
/// minutes, 30 minutes, 2 hours, 5 hours, 10 hours, and 10 hours again.
const BACKOFF_SECONDS: [i64; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/// Attempts per series (`webhook_max_attempts`, 1 to 8; default 5).
pub fn max_attempts(ctx: &Ctx) -> u32 {
    ctx.config
        .get("webhook_max_attempts")
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .clamp(1, BACKOFF_SECONDS.len() as u32 + 1)
}

/// Records `event` and a pending delivery for each endpoint that wants
/// it; returns those deliveries' ids, to attempt now. Nothing is kept of an
/// event nobody wants, or of one about a person already erased. Two
/// recordings at once may both write (the same records); attempts are
/// still taken one at a time, and receivers deduplicate on `webhook-id`.
pub fn record(ctx: &Ctx, event: &Event) -> Result<Vec<String>, StoreError> {
    let store = ctx.store;
    if store.exists(&keys::event(&event.id))? {
        return Ok(Vec::new());
    }
    let endpoints = endpoints(store)?;
    let wanted: Vec<&Endpoint> = endpoints.endpoints.iter().filter(|e| e.wants(event.kind())).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // Every event is about a person: nothing is kept about one not there.
    let lead_id = event.what.lead_id();
    if !spin_retention_core::lead::exists(store, lead_id)? {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = wanted.iter().map(|e| format!("{}.{}", event.id, e.id)).collect();
    // One batch: the deliveries, the event's entry in its person's log,
    // the deliveries' slots in the log, then the event (which says it is
    // all there).
    let first = spin_retention_core::slots::take_slots(store, keys::DELIVERIES, ids.len())?;
    let mut log_writes = Vec::new();
    let mut writes = Vec::new();
    for ((endpoint, id), slot) in wanted.iter().zip(&ids).zip(first..) {
        log_writes.push((
            spin_retention_core::slots::slot_key(keys::DELIVERIES, slot),
            id.clone().into_bytes(),
        ));
        let delivery = Delivery {
            id: id.clone(),
            event_id: event.id.clone(),
            kind: event.kind().to_string(),
            endpoint_id: endpoint.id.clone(),
            status: Status::Pending,
            attempts: Vec::new(),
            next_at: Some(ctx.now),
            series_from: 0,
            created_at: ctx.now,
            slot,
        };
        writes.push(keys::delivery(id).entry(&delivery));
    }
    remember(store, lead_id, &keys::event(&event.id), &mut writes)?;
    writes.extend(log_writes);
    writes.push(keys::event(&event.id).entry(event));
    store.set_many(&writes)?;
    // Erased while we wrote: leave nothing of them behind.
    if !spin_retention_core::lead::exists(store, lead_id)? {
        crate::forget(store, lead_id)?;
    }
    Ok(ids)
}

/// Adds to `writes` an entry for `key` in the person's log of keys to erase.
pub fn remember(
    store: &dyn Store,
    lead_id: &str,
    key: &str,
    writes: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), StoreError> {
    let entry = vec![key.as_bytes().to_vec()];
    writes.extend(spin_retention_core::slots::prepare_append(
        store,
        &keys::lead_keys(lead_id),
        &entry,
    )?);
    Ok(())
}

/// Makes the next attempt of a delivery if it is pending and due, and
/// nobody else is making it ([`take_turn`], from when it fell due); says
/// whether it sent.
pub fn attempt(ctx: &Ctx, delivery_id: &str) -> Result<bool, StoreError> {
    let store = ctx.store;
    let Some(mut delivery) = store.get_json(&keys::delivery(delivery_id))? else {
        return Ok(false);
    };
    let due = delivery.next_at.unwrap_or(delivery.created_at);
    if delivery.status != Status::Pending || due > ctx.now {
        return Ok(false);
    }
    let n = delivery.attempts.len() as u32 + 1;
    if !take_turn(store, |w| keys::attempt_claim(delivery_id, n, w), due, ctx.now)? {
        return Ok(false);
    }
    let result = send(ctx, &delivery);
    let (status, error) = match result {
        Ok(status) if (200..300).contains(&status) => (Some(status), None),
        Ok(status) => (Some(status), Some(format!("HTTP {status}"))),
        Err(Failure::Before(why)) => (None, Some(why)),
        // A class only ("blocked", "timed out", "refused"...): the
        // transport's own words may quote the URL, and an answer that told
        // them at once would make redeliver a probe of the network.
        Err(Failure::Transport(e)) => {
            eprintln!("webhook delivery {delivery_id}: {e}");
            (None, Some(spin_retention_core::net::failure_class(&e).to_string()))
        }
    };
    let ok = error.is_none();
    delivery.attempts.push(Attempt {
        n,
        at: ctx.now,
        status,
        error,
    });
    let in_series = n - delivery.series_from;
    if ok {
        delivery.status = Status::Delivered;
        delivery.next_at = None;
    } else if in_series >= max_attempts(ctx) {
        delivery.status = Status::Failed;
        delivery.next_at = None;
    } else {
        delivery.next_at = Some(ctx.now + Duration::seconds(BACKOFF_SECONDS[in_series as usize - 1]));
    }
    store.set_json(&keys::delivery(delivery_id), &delivery)?;
    Ok(true)
}

/// Why an attempt did not get an answer: something known before sending
/// (said as is), or the transport's error (told only by its class).
enum Failure {
    Before(String),
    Transport(String),
}

fn send(ctx: &Ctx, delivery: &Delivery) -> Result<u16, Failure> {
    let before = |why: String| Failure::Before(why);
    let endpoint = endpoints(ctx.store)
        .map_err(|e| before(e.to_string()))?
        .endpoints
        .into_iter()
        .find(|e| e.id == delivery.endpoint_id)
        .ok_or_else(|| before(format!("endpoint \"{}\" is no longer set", delivery.endpoint_id)))?;
    if !endpoint.enabled {
        return Err(before(format!("endpoint \"{}\" is disabled", endpoint.id)));
    }
    // An endpoint stored before its host was checked is checked again here.
    if !private_hosts_allowed(ctx) {
        spin_retention_core::net::check_public_url(&endpoint.url).map_err(|_| before("blocked".into()))?;
    }
    let secret =
        crate::settings::keyed_secret(ctx.config, "webhook_secrets", &endpoint.id, "secret").map_err(before)?;
    let event = ctx
        .store
        .get_json(&keys::event(&delivery.event_id))
        .map_err(|e| before(e.to_string()))?
        .ok_or_else(|| before("the event is gone (erased)".into()))?;
    let body = payload(&event);
    let timestamp = ctx.now.timestamp();
    let request = OutboundRequest {
        method: "POST".into(),
        url: endpoint.url,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("webhook-id".into(), event.id.clone()),
            ("webhook-timestamp".into(), timestamp.to_string()),
            ("webhook-signature".into(), sign(&secret, &event.id, timestamp, &body)),
        ],
        body,
    };
    ctx.outbound.send(request).map(|r| r.status).map_err(Failure::Transport)
}

/// The message body: the event's `type`, `timestamp` and `data` (Standard
/// Webhooks' payload), and the `version` of its shape.
pub fn payload(event: &Event) -> Vec<u8> {
    let what = serde_json::to_value(&event.what).expect("events serialise");
    serde_json::to_vec(&serde_json::json!({
        "type": what["type"],
        "version": event.version,
        "timestamp": event.timestamp,
        "data": what["data"],
    }))
    .expect("events serialise")
}

/// Starts a new series of attempts for a delivery (a failed one, or a
/// delivered one the receiver lost), the first at once; `None` when there
/// is no such delivery. The answer says how that attempt went as the log
/// does: a transport failure by its class only. It goes to the end of the delivery log, so the
/// retry walk sees it again.
pub fn redeliver(ctx: &Ctx, delivery_id: &str) -> Result<Option<Delivery>, StoreError> {
    let store = ctx.store;
    let Some(mut delivery) = store.get_json(&keys::delivery(delivery_id))? else {
        return Ok(None);
    };
    if delivery.status != Status::Pending {
        delivery.series_from = delivery.attempts.len() as u32;
    }
    delivery.status = Status::Pending;
    delivery.next_at = Some(ctx.now);
    delivery.slot = spin_retention_core::slots::take_slot(store, keys::DELIVERIES)?;
    store.set_many(&[
        (
            spin_retention_core::slots::slot_key(keys::DELIVERIES, delivery.slot),
            delivery_id.as_bytes().to_vec(),
        ),
        keys::delivery(delivery_id).entry(&delivery),
    ])?;
    attempt(ctx, delivery_id)?;
    store.get_json(&keys::delivery(delivery_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_specification_test_vector() {
        assert_eq!(
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn endpoint_errors_name_the_field() {
        let body = br#"{"endpoints": [
            {"id": "crm", "url": "https://crm.example/hook", "events": ["lead.hot"]},
            {"id": "crm", "url": "ftp://x", "events": ["lead.exploded"]}
        ]}"#;
        let problem = Endpoints::parse(body).unwrap_err();
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["endpoints[1].id", "endpoints[1].url", "endpoints[1].events"]);
    }
}
