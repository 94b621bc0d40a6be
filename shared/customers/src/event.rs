//! Customer events as callers send them (JSON, a CSV row, a Stripe or
//! Shopify webhook) and as they are kept: validated, amounts in minor
//! units, with the id that makes a replay a duplicate.
//!
//! An event's id derives from what identifies it to the business: the
//! order for a purchase (`order:<order_id>`), else the caller's event id,
//! else its content. So the same order sent by the API, an import and a
//! webhook is recorded once.

use crate::money;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spin_retention_core::ids;
use spin_retention_core::problem::{FieldError, Problem};

/// An event as kept (its kind, amount and items): a contract, since
/// `GET /customers/admin/customers/{id}` answers them.
pub use spin_retention_core::contracts::customers::{Amount, CustomerEvent, Item, Kind};

/// The kind named `name` (its serialised name).
fn kind_named(name: &str) -> Option<Kind> {
    serde_json::from_value(Value::String(name.to_string())).ok()
}

/// The id of an event whose unique key is `key`.
pub fn event_id(key: &str) -> String {
    ids::derive("ce", &[key])
}

/// The id a purchase of `order_id` gets (a refund finds its order by it).
pub fn order_event_id(order_id: &str) -> String {
    event_id(&format!("order:{order_id}"))
}

/// Who an event is about, as the caller said it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Person {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_marketing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_ad_user_data: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_ad_personalization: Option<bool>,
}

impl Person {
    pub fn is_known(&self) -> bool {
        self.email.is_some() || self.phone.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Person(Person),
    /// The person who placed this order (a refund naming only its order).
    OrderOf(String),
    /// The person a Stripe customer id was seen with.
    StripeCustomer(String),
}

/// A validated event and whom it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub event: CustomerEvent,
    pub who: Who,
}

/// The JSON of `POST /customers/events` and of an NDJSON import line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub amount: Option<Value>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub activity: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub consent_marketing: Option<bool>,
    #[serde(default)]
    pub consent_ad_user_data: Option<bool>,
    #[serde(default)]
    pub consent_ad_personalization: Option<bool>,
}

/// Events may be dated up to a day ahead (clock skew), never further.
const MAX_AHEAD: Duration = Duration::days(1);
const MAX_ITEMS: usize = 200;
const MAX_TEXT: usize = 200;

/// The 422 of an event that is not one.
pub fn invalid(errors: Vec<FieldError>) -> Problem {
    let mut problem = Problem::new(422, "invalid-event", "Invalid Event")
        .with_detail(format!("{} problem(s) in the event", errors.len()));
    problem.errors = errors;
    problem
}

/// An event from its JSON: the shape first (a wrong one is a 422 naming
/// the field), then [`Input::validate`].
pub fn from_json(value: Value, source: &str, now: DateTime<Utc>) -> Result<Incoming, Problem> {
    let input: Input = serde_json::from_value(value).map_err(|e| {
        invalid(vec![FieldError {
            field: "event".into(),
            message: e.to_string(),
        }])
    })?;
    input.validate(source, now)
}

impl Input {
    pub fn validate(self, source: &str, now: DateTime<Utc>) -> Result<Incoming, Problem> {
        let mut errors = Vec::new();
        let mut error = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let kind = kind_named(self.kind.trim());
        if kind.is_none() {
            error("type", format!("one of {}", Kind::NAMES.join(", ")));
        }
        let given_at = text(self.at);
        let dated = given_at.is_some();
        let at = match given_at {
            None => now,
            Some(at) => match DateTime::parse_from_rfc3339(&at) {
                Ok(at) if at.to_utc() <= now + MAX_AHEAD && at.timestamp() > 0 => at.to_utc(),
                Ok(_) => {
                    error("at", "must not be in the future".into());
                    now
                }
                Err(_) => {
                    error("at", "an RFC 3339 time, like 2026-03-01T10:00:00Z".into());
                    now
                }
            },
        };
        let long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > MAX_TEXT);
        for (field, value) in [
            ("id", &self.id),
            ("order_id", &self.order_id),
            ("subscription_id", &self.subscription_id),
            ("activity", &self.activity),
        ] {
            if long(value) {
                error(field, format!("at most {MAX_TEXT} characters"));
            }
        }
        let currency = match text(self.currency).map(|c| money::currency(&c)) {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                error("currency", e);
                None
            }
            None => None,
        };
        let amount = match (self.amount, &currency) {
            (None | Some(Value::Null), _) => None,
            (Some(value), Some(currency)) => {
                let text = match &value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                match money::parse(&text, currency) {
                    Ok(minor) => Some(Amount {
                        minor,
                        currency: currency.clone(),
                    }),
                    Err(e) => {
                        error("amount", e);
                        None
                    }
                }
            }
            (Some(_), None) => {
                error("currency", "required with an amount".into());
                None
            }
        };
        if self.items.len() > MAX_ITEMS {
            error("items", format!("at most {MAX_ITEMS}"));
        }
        let order_id = text(self.order_id);
        let id = text(self.id);
        let activity = text(self.activity);
        let person = Person {
            email: text(self.email).map(|e| e.to_lowercase()),
            phone: text(self.phone),
            name: text(self.name),
            first_name: text(self.first_name),
            last_name: text(self.last_name),
            country: text(self.country),
            consent_marketing: self.consent_marketing,
            consent_ad_user_data: self.consent_ad_user_data,
            consent_ad_personalization: self.consent_ad_personalization,
        };
        match kind {
            Some(Kind::Purchase) => {
                if order_id.is_none() && id.is_none() {
                    error("order_id", "a purchase needs its order_id (or an id)".into());
                }
                if amount.is_none() {
                    error("amount", "a purchase needs its amount and currency".into());
                }
            }
            Some(Kind::Refund) => {
                if amount.is_none() {
                    error("amount", "a refund needs its amount and currency".into());
                }
                if order_id.is_none() && !person.is_known() {
                    error("order_id", "a refund names its order_id, or the person".into());
                }
            }
            Some(Kind::Activity) if activity.is_none() => {
                error("activity", "what happened: login, visit, support_ticket...".into());
            }
            _ => {}
        }
        if kind != Some(Kind::Refund) && !person.is_known() {
            error("email", "an email or a phone says who it was".into());
        }
        // An event without an id is known by its content, time included: a
        // time taken from the clock would make a retry a second event.
        let by_order = kind == Some(Kind::Purchase) && order_id.is_some();
        if kind.is_some() && id.is_none() && !by_order && !dated {
            error(
                "id",
                "an event without an id needs its time (at), so that a retry is not recorded twice".into(),
            );
        }
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        let kind = kind.expect("checked above");
        let key = match (&id, &order_id, kind) {
            (_, Some(order), Kind::Purchase) => format!("order:{order}"),
            (Some(id), _, _) => format!("event:{id}"),
            _ => {
                let content = serde_json::json!([
                    Kind::NAMES.iter().position(|n| kind_named(n) == Some(kind)),
                    at.timestamp(),
                    order_id,
                    amount,
                    activity,
                    person.email,
                    person.phone,
                    self.subscription_id,
                ]);
                format!("content:{}", &ids::sha256_hex(&content.to_string())[..32])
            }
        };
        let who = match (&order_id, kind) {
            (Some(order), Kind::Refund) if !person.is_known() => Who::OrderOf(order_event_id(order)),
            _ => Who::Person(person),
        };
        let event = CustomerEvent {
            id: event_id(&key),
            key,
            kind,
            at,
            received_at: now,
            source: source.to_string(),
            order_id,
            amount,
            items: self.items,
            subscription_id: text(self.subscription_id),
            activity,
            external_customer: None,
        };
        Ok(Incoming { event, who })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use spin_retention_core::ports::test_now;

    #[test]
    fn a_purchase_is_its_order_and_bad_events_name_their_fields() {
        let purchase = json!({"type": "purchase", "order_id": "1001", "amount": "49.90", "currency": "eur",
            "email": "Dana@Shop.io", "at": "2026-03-01T10:00:00Z",
            "items": [{"name": "Mug", "category": "kitchen", "quantity": 2, "price": "12.00"}]});
        let a = from_json(purchase.clone(), "api", test_now()).unwrap();
        assert_eq!(
            a.event.amount,
            Some(Amount {
                minor: 4990,
                currency: "EUR".into()
            })
        );
        assert_eq!(a.event.id, order_event_id("1001"));
        assert!(matches!(&a.who, Who::Person(p) if p.email.as_deref() == Some("dana@shop.io")));
        let mut again = purchase;
        again["id"] = json!("another-event-id");
        assert_eq!(
            from_json(again, "import", test_now()).unwrap().event.id,
            a.event.id,
            "the order decides"
        );
        let refund = from_json(
            json!({"type": "refund", "id": "r1", "order_id": "1001", "amount": 10, "currency": "EUR"}),
            "api",
            test_now(),
        )
        .unwrap();
        assert_eq!(refund.who, Who::OrderOf(order_event_id("1001")));
        let bad = from_json(
            json!({"type": "purchase", "amount": "1.234", "currency": "USD", "at": "2030-01-01T00:00:00Z"}),
            "api",
            test_now(),
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["at", "amount", "order_id", "amount", "email"]);
        let unknown = from_json(json!({"type": "purchase", "price": 1}), "api", test_now()).unwrap_err();
        assert_eq!(unknown.status, 422);
        assert!(from_json(json!({"type": "activity", "email": "a@b.io"}), "api", test_now()).is_err());
        // Without an id or a time, a retry a second later would be a second
        // refund: refused, naming the field.
        let undated = json!({"type": "refund", "order_id": "1001", "amount": "10", "currency": "USD"});
        assert_eq!(from_json(undated, "api", test_now()).unwrap_err().errors[0].field, "id");
        let login = json!({"type": "activity", "activity": "login", "email": "a@b.io", "at": "2026-11-01T08:00:00Z"});
        let one = from_json(login.clone(), "api", test_now()).unwrap();
        assert_eq!(
            one.event.id,
            from_json(login, "api", test_now()).unwrap().event.id,
            "same content, same id"
        );
    }
}
