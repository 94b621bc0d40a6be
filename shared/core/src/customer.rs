//! What the customers job tells the rest of the app about one person: what
//! they bought, their loyalty tier, RFM segment and whether they are
//! slipping away. Written by customers (`customer:<lead_id>`, the fold of
//! the person's purchase log as of its last event or refresh); read by
//! lead-scoring (facts, at-risk) and audience-export.
//!
//! Money is kept in minor units (cents) per ISO 4217 currency: amounts in
//! different currencies are never added together.

use crate::keys::Key;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Net amounts (purchases less refunds), in minor units, by currency.
pub type Money = BTreeMap<String, i64>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub lead_id: String,
    /// Paid orders: purchases, and subscription starts and renewals that
    /// carried an amount. Refunds do not take an order away.
    pub orders: u32,
    #[serde(default)]
    pub refunds: u32,
    /// Net revenue by currency.
    pub revenue: Money,
    /// Net revenue in the business's main currency (`currency` setting), in
    /// minor units: what tiers and RFM's monetary score use.
    pub main_revenue: i64,
    pub currency: String,
    /// Gross order value by currency divided by the orders in that currency.
    pub average_order_value: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_purchase_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_purchase_at: Option<DateTime<Utc>>,
    /// Median days between consecutive purchases (two purchases at least).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typical_interval_days: Option<f64>,
    /// From when the customer counts as slipping: the last purchase plus
    /// `slipping_factor` times their typical interval, or plus `quiet_days`
    /// for a one-time buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slipping_after: Option<DateTime<Utc>>,
    /// From when the customer counts as churned: `churn_days` after the last
    /// purchase, or when their subscription was cancelled (and they have
    /// not bought since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub churned_after: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Subscription>,
    /// The loyalty tier as of `updated_at` (none: nothing bought in the
    /// trailing window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty_tier: Option<String>,
    /// Every tier change, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tier_changes: Vec<TierChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfm: Option<Rfm>,
    /// The latest activity event (login, visit, support ticket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<Activity>,
    /// Events folded.
    pub events: u32,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    /// `active` or `cancelled`.
    pub status: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierChange {
    pub from: Option<String>,
    pub to: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rfm {
    pub recency: u8,
    pub frequency: u8,
    pub monetary: u8,
    pub segment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub kind: String,
    pub at: DateTime<Utc>,
}

impl Customer {
    /// Whether the customer has bought anything.
    pub fn is_customer(&self) -> bool {
        self.orders > 0
    }

    pub fn days_since_purchase(&self, now: DateTime<Utc>) -> Option<f64> {
        self.last_purchase_at
            .map(|last| (now - last).num_seconds().max(0) as f64 / 86_400.0)
    }

    pub fn slipping(&self, now: DateTime<Utc>) -> bool {
        self.slipping_after.is_some_and(|after| now >= after)
    }

    pub fn churned(&self, now: DateTime<Utc>) -> bool {
        self.churned_after.is_some_and(|after| now >= after)
    }
}

/// Digits after the decimal point of `currency` (ISO 4217 minor units): 2
/// unless listed.
/// Minor units as decimal text: 1250 USD -> "12.50", -5 USD -> "-0.05".
pub fn format_minor(minor: i64, currency: &str) -> String {
    let places = exponent(currency);
    if places == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(places);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = places as usize
    )
}

pub fn exponent(currency: &str) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
        "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    if ZERO.contains(&currency) {
        0
    } else if THREE.contains(&currency) {
        3
    } else {
        2
    }
}

pub fn key(lead_id: &str) -> Key<Customer> {
    crate::keys::customer(lead_id)
}

pub fn load(store: &dyn Store, lead_id: &str) -> Result<Option<Customer>, StoreError> {
    store.get_json(&key(lead_id))
}
