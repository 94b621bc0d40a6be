//! Stripe's webhooks (`POST /customers/stripe`): `checkout.session.completed`
//! and `checkout.session.async_payment_succeeded` (a one-off purchase, once paid), `invoice.paid` (a subscription's start or renewal,
//! or another paid invoice) and `customer.subscription.deleted` (a
//! cancellation), each verified by its `Stripe-Signature` first.
//!
//! The signature is `t=<unix seconds>,v1=<hex>[,v1=...]`: HMAC-SHA256, keyed
//! with the endpoint's whole signing secret (`whsec_...`), of
//! `<t>.<raw body>`. Any `v1` may match (two while a secret rotates); `v0`
//! and other schemes are ignored. A timestamp more than the tolerance (300 s,
//! as Stripe's libraries) from now, either way, is refused: a captured
//! delivery cannot be replayed later.

use crate::event::{event_id, order_event_id, Amount, CustomerEvent, Incoming, Kind, Person, Who};
use chrono::{DateTime, Utc};
use serde_json::Value;
use spin_retention_core::problem::Problem;

pub const TOLERANCE_SECONDS: i64 = 300;

/// `Ok` when `header` signs `body` with `secret` within the tolerance of `now`.
pub fn verify(header: Option<&str>, body: &[u8], secret: &str, now: DateTime<Utc>) -> Result<(), Problem> {
    let refused = |detail: &str| Problem::new(400, "bad-signature", "Bad Signature").with_detail(detail.to_string());
    let header = header.ok_or_else(|| refused("no Stripe-Signature header"))?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(sig.to_ascii_lowercase()),
            _ => {}
        }
    }
    let t = timestamp.ok_or_else(|| refused("the Stripe-Signature header has no timestamp"))?;
    if signatures.is_empty() {
        return Err(refused("the Stripe-Signature header has no v1 signature"));
    }
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let expected: String = spin_retention_core::signed::hmac_sha256(secret.as_bytes(), &signed)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if !signatures
        .iter()
        .any(|s| spin_retention_core::auth::same_secret(s, &expected))
    {
        return Err(refused("no signature matches the signing secret"));
    }
    if (now.timestamp() - t).abs() > TOLERANCE_SECONDS {
        return Err(refused("the signature's timestamp is outside the 300 s tolerance"));
    }
    Ok(())
}

/// What a verified Stripe event is: a customer event, or `None` for a type
/// (or a session) that records nothing.
pub fn event(body: &[u8], now: DateTime<Utc>) -> Result<Option<Incoming>, Problem> {
    let malformed = |detail: String| Problem::new(400, "malformed-body", "Malformed Body").with_detail(detail);
    let envelope: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let object = &envelope["data"]["object"];
    let text = |v: &Value| v.as_str().map(str::to_string).filter(|s| !s.is_empty());
    let time = |v: &Value| v.as_i64().and_then(|t| DateTime::from_timestamp(t, 0));
    let created = time(&envelope["created"]).unwrap_or(now);
    let amount = |minor: &Value| -> Option<Amount> {
        Some(Amount {
            minor: minor.as_i64().filter(|m| (0..=crate::money::MAX_MINOR).contains(m))?,
            currency: crate::money::currency(&text(&object["currency"])?).ok()?,
        })
    };
    let base = |kind: Kind, key: String, at: DateTime<Utc>| CustomerEvent {
        id: event_id(&key),
        key,
        kind,
        at: at.min(now),
        received_at: now,
        source: "stripe".into(),
        order_id: None,
        amount: None,
        items: Vec::new(),
        subscription_id: None,
        activity: None,
        external_customer: text(&object["customer"]),
    };
    let id = text(&object["id"]).ok_or_else(|| malformed("data.object.id is missing".into()))?;
    let incoming = match envelope["type"].as_str().unwrap_or_default() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            // A subscription's first payment comes as its invoice.paid; a
            // delayed one (a bank debit) as async_payment_succeeded, which
            // names the same session, so it is recorded once.
            let paid = object["payment_status"].as_str() == Some("paid");
            if object["mode"].as_str() != Some("payment") || !paid {
                return Ok(None);
            }
            let details = &object["customer_details"];
            let person = Person {
                email: text(&details["email"]).or_else(|| text(&object["customer_email"])),
                phone: text(&details["phone"]),
                name: text(&details["name"]),
                ..Person::default()
            };
            let mut event = base(Kind::Purchase, format!("order:{id}"), created);
            event.id = order_event_id(&id);
            event.order_id = Some(id);
            event.amount = amount(&object["amount_total"]);
            Incoming {
                event,
                who: Who::Person(person),
            }
        }
        "invoice.paid" => {
            let kind = match object["billing_reason"].as_str() {
                Some("subscription_create") => Kind::SubscriptionStarted,
                Some("subscription_cycle") => Kind::SubscriptionRenewed,
                _ => Kind::Purchase,
            };
            let paid_at = time(&object["status_transitions"]["paid_at"]).unwrap_or(created);
            let person = Person {
                email: text(&object["customer_email"]),
                phone: text(&object["customer_phone"]),
                name: text(&object["customer_name"]),
                ..Person::default()
            };
            let mut event = base(kind, format!("order:{id}"), paid_at);
            event.id = order_event_id(&id);
            event.order_id = Some(id);
            event.amount = amount(&object["amount_paid"]);
            // Where API versions since 2025-03-31 put it, else where older ones did.
            event.subscription_id = text(&object["parent"]["subscription_details"]["subscription"])
                .or_else(|| text(&object["subscription"]));
            let who = match (&person.email, &person.phone, &event.external_customer) {
                (None, None, Some(cus)) => Who::StripeCustomer(cus.clone()),
                _ => Who::Person(person),
            };
            Incoming { event, who }
        }
        "customer.subscription.deleted" => {
            let at = time(&object["ended_at"])
                .or_else(|| time(&object["canceled_at"]))
                .unwrap_or(created);
            let mut event = base(Kind::SubscriptionCancelled, format!("stripe-cancelled:{id}"), at);
            event.subscription_id = Some(id);
            let cus = event
                .external_customer
                .clone()
                .ok_or_else(|| malformed("data.object.customer is missing".into()))?;
            Incoming {
                event,
                who: Who::StripeCustomer(cus),
            }
        }
        _ => return Ok(None),
    };
    if incoming.event.kind != Kind::SubscriptionCancelled && incoming.event.amount.is_none() {
        return Err(malformed("the amount or currency is missing".into()));
    }
    Ok(Some(incoming))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    /// Stripe's published example (stripe-dotnet's EventUtilityTest): the
    /// event file, its timestamp, secret and header, byte for byte.
    const STRIPE_EXAMPLE: &[u8] = include_bytes!("../tests/fixtures/stripe-event_test_signature.json");
    const STRIPE_HEADER: &str = "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";

    #[test]
    fn stripe_s_published_example_verifies_within_the_tolerance_only() {
        let t = DateTime::from_timestamp(1_533_204_620, 0).unwrap();
        let secret = "webhook_secret";
        assert_eq!(
            verify(Some(STRIPE_HEADER), STRIPE_EXAMPLE, secret, t + Duration::seconds(100)),
            Ok(())
        );
        let late = verify(Some(STRIPE_HEADER), STRIPE_EXAMPLE, secret, t + Duration::seconds(400));
        assert!(late.unwrap_err().detail.unwrap().contains("tolerance"));
        let early = verify(Some(STRIPE_HEADER), STRIPE_EXAMPLE, secret, t - Duration::seconds(400));
        assert!(early.is_err(), "a timestamp from the future");
        assert!(verify(Some(STRIPE_HEADER), STRIPE_EXAMPLE, "another_secret", t).is_err());
        let mut altered = STRIPE_EXAMPLE.to_vec();
        altered[10] = b'X';
        assert!(verify(Some(STRIPE_HEADER), &altered, secret, t).is_err());
        // A rotated secret: any v1 may match.
        let rotated = "t=1533204620,v1=00,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";
        assert_eq!(verify(Some(rotated), STRIPE_EXAMPLE, secret, t), Ok(()));
        assert!(verify(None, STRIPE_EXAMPLE, secret, t).is_err());
        assert!(verify(Some("v1=abc"), STRIPE_EXAMPLE, secret, t).is_err());
        // A customer.created event records nothing.
        assert_eq!(event(STRIPE_EXAMPLE, t).unwrap(), None);
    }

    #[test]
    fn payments_and_cancellations_become_customer_events() {
        let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let session = br#"{"id":"evt_1","type":"checkout.session.completed","created":1779999000,
            "data":{"object":{"id":"cs_1","mode":"payment","payment_status":"paid","amount_total":4990,
            "currency":"eur","customer":"cus_9","customer_details":{"email":"Dana@Shop.io","name":"Dana"}}}}"#;
        let purchase = event(session, now).unwrap().unwrap();
        assert_eq!(purchase.event.kind, Kind::Purchase);
        assert_eq!(purchase.event.id, order_event_id("cs_1"));
        assert_eq!(
            purchase.event.amount,
            Some(Amount {
                minor: 4990,
                currency: "EUR".into()
            })
        );
        assert_eq!(purchase.event.external_customer.as_deref(), Some("cus_9"));
        let invoice = br#"{"id":"evt_2","type":"invoice.paid","created":1779999100,
            "data":{"object":{"id":"in_1","billing_reason":"subscription_cycle","amount_paid":1500,"currency":"usd",
            "customer":"cus_9","customer_email":"dana@shop.io","status_transitions":{"paid_at":1779999050},
            "parent":{"subscription_details":{"subscription":"sub_1"}}}}}"#;
        let renewal = event(invoice, now).unwrap().unwrap();
        assert_eq!(renewal.event.kind, Kind::SubscriptionRenewed);
        assert_eq!(renewal.event.subscription_id.as_deref(), Some("sub_1"));
        assert_eq!(renewal.event.at.timestamp(), 1_779_999_050);
        let deleted = br#"{"id":"evt_3","type":"customer.subscription.deleted","created":1779999200,
            "data":{"object":{"id":"sub_1","customer":"cus_9","canceled_at":1779999150,"ended_at":null}}}"#;
        let cancel = event(deleted, now).unwrap().unwrap();
        assert_eq!(cancel.who, Who::StripeCustomer("cus_9".into()));
        assert_eq!(cancel.event.at.timestamp(), 1_779_999_150);
        let subscription_checkout = br#"{"type":"checkout.session.completed","data":{"object":{"id":"cs_2","mode":"subscription","payment_status":"paid"}}}"#;
        assert_eq!(
            event(subscription_checkout, now).unwrap(),
            None,
            "its invoice.paid records it"
        );
        assert_eq!(event(b"nope", now).unwrap_err().status, 400);
    }
}
