//! Shopify's webhooks (`POST /customers/shopify`): `orders/create` and
//! `orders/paid` (a purchase, once paid: an order created unpaid, cash on
//! delivery or a bank transfer, is recorded by its `orders/paid`; both name
//! the same order, so it is recorded once) and `refunds/create` (a refund of
//! one), by `X-Shopify-Topic`,
//! each verified first: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256
//! of the raw body keyed with the app's secret. Shopify signs no time, so
//! a replay is caught by the event ids instead (the order, the refund).

use crate::event::{event_id, order_event_id, Amount, CustomerEvent, Incoming, Item, Kind, Person, Who};
use crate::money;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;
use spin_retention_core::problem::Problem;

pub fn verify(header: Option<&str>, body: &[u8], secret: &str) -> Result<(), Problem> {
    let refused = |detail: &str| Problem::new(400, "bad-signature", "Bad Signature").with_detail(detail.to_string());
    let header = header.ok_or_else(|| refused("no X-Shopify-Hmac-Sha256 header"))?;
    let expected = base64::engine::general_purpose::STANDARD
        .encode(spin_retention_core::signed::hmac_sha256(secret.as_bytes(), body));
    if spin_retention_core::auth::same_secret(header.trim(), &expected) {
        Ok(())
    } else {
        Err(refused("the signature does not match the webhook secret"))
    }
}

/// Shopify's order ids are numbers of its own: kept apart from the
/// business's other order ids.
pub fn order_id(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(format!("shopify:{n}")),
        Value::String(s) if !s.is_empty() => Some(format!("shopify:{s}")),
        _ => None,
    }
}

/// What a verified delivery of `topic` is: a customer event, or `None`
/// for a topic that records nothing.
pub fn event(topic: &str, body: &[u8], now: DateTime<Utc>) -> Result<Option<Incoming>, Problem> {
    let malformed = |detail: String| Problem::new(400, "malformed-body", "Malformed Body").with_detail(detail);
    let order: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let text = |v: &Value| v.as_str().map(str::to_string).filter(|s| !s.is_empty());
    let time = |v: &Value| {
        v.as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(now, |t| t.to_utc().min(now))
    };
    let decimal = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let base = |kind: Kind, key: String, at: DateTime<Utc>| CustomerEvent {
        id: event_id(&key),
        key,
        kind,
        at,
        received_at: now,
        source: "shopify".into(),
        order_id: None,
        amount: None,
        items: Vec::new(),
        subscription_id: None,
        activity: None,
        external_customer: None,
    };
    match topic {
        "orders/create" | "orders/paid" => {
            let paid = ["paid", "partially_paid", "partially_refunded", "refunded"];
            let status = order["financial_status"].as_str();
            if topic == "orders/create" && status.is_some_and(|s| !paid.contains(&s)) {
                return Ok(None);
            }
            let id = order_id(&order["id"]).ok_or_else(|| malformed("the order has no id".into()))?;
            let currency = text(&order["currency"])
                .and_then(|c| money::currency(&c).ok())
                .ok_or_else(|| malformed("the order has no currency".into()))?;
            let total =
                decimal(&order["total_price"]).ok_or_else(|| malformed("the order has no total_price".into()))?;
            let minor = money::parse(&total, &currency).map_err(|e| malformed(format!("total_price: {e}")))?;
            let customer = &order["customer"];
            let person = Person {
                email: text(&order["email"]).or_else(|| text(&customer["email"])),
                phone: text(&order["phone"]).or_else(|| text(&customer["phone"])),
                first_name: text(&customer["first_name"]),
                last_name: text(&customer["last_name"]),
                consent_marketing: order["buyer_accepts_marketing"].as_bool(),
                ..Person::default()
            };
            let items = order["line_items"]
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .take(200)
                        .map(|l| Item {
                            name: text(&l["title"]).unwrap_or_default(),
                            category: text(&l["product_type"]).or_else(|| text(&l["vendor"])),
                            quantity: l["quantity"].as_u64().unwrap_or(1) as u32,
                            price: decimal(&l["price"]),
                            sku: text(&l["sku"]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut event = base(Kind::Purchase, format!("order:{id}"), time(&order["created_at"]));
            event.id = order_event_id(&id);
            event.order_id = Some(id);
            event.amount = Some(Amount { minor, currency });
            event.items = items;
            Ok(Some(Incoming {
                event,
                who: Who::Person(person),
            }))
        }
        "refunds/create" => {
            let refund = &order;
            let id = order_id(&refund["id"]).ok_or_else(|| malformed("the refund has no id".into()))?;
            let of = order_id(&refund["order_id"]).ok_or_else(|| malformed("the refund has no order_id".into()))?;
            let mut total: Option<Amount> = None;
            for t in refund["transactions"].as_array().into_iter().flatten() {
                let refunded =
                    t["kind"].as_str() == Some("refund") && t["status"].as_str().is_none_or(|s| s == "success");
                let (Some(value), Some(currency)) = (decimal(&t["amount"]), text(&t["currency"])) else {
                    continue;
                };
                if !refunded {
                    continue;
                }
                let currency = money::currency(&currency).map_err(|e| malformed(format!("currency: {e}")))?;
                let minor = money::parse(&value, &currency).map_err(|e| malformed(format!("amount: {e}")))?;
                match &mut total {
                    Some(sum) if sum.currency == currency => sum.minor = (sum.minor + minor).min(money::MAX_MINOR),
                    Some(_) => return Err(malformed("a refund in two currencies".into())),
                    None => total = Some(Amount { minor, currency }),
                }
            }
            // A refund of nothing (a restock only) moves no money.
            let Some(amount) = total.filter(|a| a.minor > 0) else {
                return Ok(None);
            };
            let mut event = base(Kind::Refund, format!("refund:{id}"), time(&refund["created_at"]));
            event.order_id = Some(of.clone());
            event.amount = Some(amount);
            Ok(Some(Incoming {
                event,
                who: Who::OrderOf(order_event_id(&of)),
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published examples of the scheme (Shopify's own libraries compute
    /// theirs in the test): SQLPage's Shopify webhook test, and the
    /// classic gist's `secret`/`foo`.
    #[test]
    fn published_examples_verify_and_anything_else_does_not() {
        let body = br#"{"id":1234567890,"email":"customer@example.com","total_price":"123.45"}"#;
        assert_eq!(
            verify(
                Some("QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="),
                body,
                "test-webhook-secret"
            ),
            Ok(())
        );
        assert_eq!(
            verify(Some("dzukRpPHVT1u4g9h6l0nV6mk9KRNKEGuTpW1LkzWLbQ="), b"foo", "secret"),
            Ok(())
        );
        assert!(verify(Some("dzukRpPHVT1u4g9h6l0nV6mk9KRNKEGuTpW1LkzWLbQ="), b"fob", "secret").is_err());
        assert!(verify(Some("QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="), body, "another").is_err());
        assert!(verify(None, body, "test-webhook-secret").is_err());
    }

    #[test]
    fn orders_and_refunds_become_customer_events() {
        let now: DateTime<Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
        let order = br#"{"id":820982911946154500,"email":"Jon@Example.com","total_price":"199.00","currency":"USD",
            "created_at":"2026-11-20T09:00:00-05:00","buyer_accepts_marketing":true,
            "customer":{"first_name":"Jon","last_name":"Snow"},
            "line_items":[{"title":"IPod Nano","quantity":1,"price":"199.00","sku":"IPOD2008PINK"}]}"#;
        let purchase = event("orders/create", order, now).unwrap().unwrap();
        assert_eq!(purchase.event.order_id.as_deref(), Some("shopify:820982911946154500"));
        assert_eq!(
            purchase.event.amount,
            Some(Amount {
                minor: 19_900,
                currency: "USD".into()
            })
        );
        assert_eq!(purchase.event.at.to_rfc3339(), "2026-11-20T14:00:00+00:00");
        assert_eq!(purchase.event.items[0].sku.as_deref(), Some("IPOD2008PINK"));
        assert!(matches!(&purchase.who, Who::Person(p) if p.consent_marketing == Some(true)));
        let refund = br#"{"id":509562969,"order_id":820982911946154500,"created_at":"2026-11-21T10:00:00Z",
            "transactions":[{"kind":"refund","status":"success","amount":"41.94","currency":"USD"},
                            {"kind":"refund","status":"failure","amount":"5.00","currency":"USD"}]}"#;
        let refunded = event("refunds/create", refund, now).unwrap().unwrap();
        assert_eq!(
            refunded.event.amount,
            Some(Amount {
                minor: 4_194,
                currency: "USD".into()
            })
        );
        assert_eq!(refunded.who, Who::OrderOf(purchase.event.id));
        assert_eq!(event("products/update", b"{}", now).unwrap(), None);
        // Created unpaid: nothing yet; its orders/paid records it.
        let pending =
            br#"{"id":9,"email":"a@b.io","total_price":"5.00","currency":"USD","financial_status":"pending"}"#;
        assert_eq!(event("orders/create", pending, now).unwrap(), None);
        assert!(event("orders/paid", pending, now).unwrap().is_some());
    }
}
