//! customers' own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::refresh::Refresh;
use crate::rfm::Quintiles;
pub use spin_retention_core::keys::*;

/// The [`spin_retention_core::slots`] log of a person's customer events
/// ([`crate::history::Entry`]), write-once; `customer:<id>` is its fold.
pub fn customer_log(lead_id: &str) -> String {
    format!("customer-log:{lead_id}")
}

/// An event was recorded: the lead it belongs to (a later refund names its
/// order, a replay finds it here).
pub fn customer_event(event_id: &str) -> Key<String> {
    Key::new(format!("customer-event:{event_id}"))
}

/// A Stripe customer (`cus_...`) is this lead: subscription cancellations
/// name only the Stripe customer.
pub fn stripe_customer(stripe_customer_id: &str) -> Key<String> {
    Key::new(format!(
        "stripe-customer:{}",
        &spin_retention_core::ids::sha256_hex(stripe_customer_id)[..32]
    ))
}

/// The [`spin_retention_core::slots`] log of a day's orders, refunds and
/// cancellations ([`crate::metrics::DayEntry`]), what metrics read.
pub fn customer_day(day: chrono::NaiveDate) -> String {
    format!("customer-day:{}", day.format("%Y-%m-%d"))
}

/// The [`spin_retention_core::lead_list`] of every customer (`customers:...`).
pub const CUSTOMERS_INDEX: &str = "customers";

/// The customer settings an admin set ([`spin_retention_core::admin_doc`]).
pub const CUSTOMER_SETTINGS: &str = "customer-settings";

/// RFM quintile cut points over current customers, and the segment grid.
pub fn rfm_quintiles() -> Key<Quintiles> {
    Key::new("rfm-quintiles")
}

/// Progress of the refresh run (RFM, tiers, slipping) over every customer.
pub fn customers_refresh() -> Key<Refresh> {
    Key::new("customers-refresh")
}

/// Counter: `1` for the one refresh that raises the at-risk signal of a
/// customer's slipping episode (the instant it began, Unix seconds).
pub fn customer_at_risk(lead_id: &str, slipping_after: i64) -> String {
    format!("customer-at-risk:{lead_id}:{slipping_after}")
}

/// The [`spin_retention_core::slots`] log of keys written about a person
/// that an erase cannot work out again (at-risk counters).
pub fn customer_keys(lead_id: &str) -> String {
    format!("customer-keys:{lead_id}")
}

/// Counter: `1` for the request that runs a refresh batch on its back that minute.
pub fn customers_tick(minute: i64) -> String {
    format!("customers-tick:{minute}")
}
