//! customers' answers: a customer as of now with their newest events
//! (`GET /customers/admin/customers/{id}`), the retention metrics
//! (`GET /customers/admin/metrics`) and the RFM quintiles with the refresh
//! run (`GET /customers/admin/rfm`). The event and the quintiles are
//! customers' stored records (`customer-log:` slots, `rfm-quintiles`); the
//! fold is core's [`crate::customer::Customer`].

use crate::customer::Customer;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Amounts as decimal text (`"12.50"`), by currency.
pub type Shown = BTreeMap<String, String>;

/// `GET /customers/admin/customers/{id}` (404 without events): the fold
/// as of now, its money as text, and the newest events first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerView {
    pub customer: Customer,
    pub revenue: Shown,
    pub average_order_value: Shown,
    pub slipping: bool,
    pub churned: bool,
    /// Whole days since the last purchase.
    pub days_since_purchase: Option<f64>,
    pub events: Vec<CustomerEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Purchase,
    Refund,
    SubscriptionStarted,
    SubscriptionRenewed,
    SubscriptionCancelled,
    /// A login, a visit, a support ticket: engagement, no money.
    Activity,
}

impl Kind {
    pub const NAMES: &'static [&'static str] = &[
        "purchase",
        "refund",
        "subscription_started",
        "subscription_renewed",
        "subscription_cancelled",
        "activity",
    ];
}

/// Minor units of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default = "one")]
    pub quantity: u32,
    /// Unit price as sent (decimal text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

fn one() -> u32 {
    1
}

/// An event as kept in the person's log (`customer-log:<lead_id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEvent {
    pub id: String,
    /// What made it unique: `order:<id>`, `event:<id>`, `content:<hash>`.
    pub key: String,
    pub kind: Kind,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// `api`, `import`, `stripe`, `shopify`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// What the activity was (`login`, `visit`, `support_ticket`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// The person's id at the source (a Stripe `cus_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_customer: Option<String>,
}

impl CustomerEvent {
    /// A paid order: a purchase, or a subscription start or renewal with an amount.
    pub fn is_order(&self) -> bool {
        match self.kind {
            Kind::Purchase => true,
            Kind::SubscriptionStarted | Kind::SubscriptionRenewed => self.amount.as_ref().is_some_and(|a| a.minor > 0),
            _ => false,
        }
    }
}

/// The periods metrics are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Week,
    Month,
}

impl Period {
    /// The start of the period holding `day` (weeks start on Monday).
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Period::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Period::Month => day.with_day(1).expect("day 1 exists"),
        }
    }

    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Period::Week => start + Duration::days(7),
            Period::Month => start + Months::new(1),
        }
    }

    /// `2026-W48`, or the month `2026-11`.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Period::Week => crate::calendar::iso_week(start),
            Period::Month => start.format("%Y-%m").to_string(),
        }
    }

    /// Periods in one answer, at most.
    pub fn max_periods(self) -> usize {
        match self {
            Period::Week => 106,
            Period::Month => 24,
        }
    }
}

/// `GET /customers/admin/metrics`: each period's customers and money, the
/// cohorts by month of first purchase, and lifetime value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub period: Period,
    pub churn_days: u32,
    pub periods: Vec<PeriodRow>,
    pub cohorts: Vec<CohortRow>,
    pub clv: Clv,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    pub period: String,
    pub start: NaiveDate,
    /// The first day after the period.
    pub end: NaiveDate,
    pub active: u64,
    pub new: u64,
    pub customers_at_start: u64,
    pub customers_at_end: u64,
    pub retained: u64,
    pub churned: u64,
    /// Fractions (0.5 is half), `None` without customers to count from.
    pub retention_rate: Option<f64>,
    pub churn_rate: Option<f64>,
    pub orders: u64,
    pub repeat_purchase_rate: Option<f64>,
    pub revenue: Shown,
    pub refunds: Shown,
    pub average_order_value: Shown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRow {
    /// The month of the first purchase.
    pub cohort: String,
    pub size: u64,
    /// Members with an order in the cohort month, the month after, ...
    /// up to the range's last month.
    pub active: Vec<u64>,
    /// `active` over `size`.
    pub retention: Vec<f64>,
    /// Net revenue of the members up to the range's end, by currency.
    pub revenue: Shown,
    /// `revenue` over `size`: the cohort's CLV to date.
    pub clv: Shown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clv {
    /// Customers of every cohort in the range.
    pub customers: u64,
    pub revenue: Shown,
    /// Historical average: their net revenue to the range's end per customer.
    pub average: Shown,
}

/// `rfm-quintiles`: the four cut points of each RFM score, and what they
/// were computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quintiles {
    pub recency_days: [i64; 4],
    pub frequency: [i64; 4],
    /// Minor units of `currency`.
    pub monetary: [i64; 4],
    pub currency: String,
    pub customers: u64,
    pub computed_at: DateTime<Utc>,
    /// Customers per segment, as of `computed_at`.
    #[serde(default)]
    pub segments: BTreeMap<String, u64>,
    /// Customers per recency and frequency score, `"<r><f>"` (`"51"`).
    #[serde(default)]
    pub grid: BTreeMap<String, u64>,
    /// Customers per loyalty tier (`none`: below the first), as of the run's end.
    #[serde(default)]
    pub tiers: BTreeMap<String, u64>,
}

/// Where a refresh run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Reading every customer's values into the histograms.
    Gather,
    /// Folding every customer again with the new cuts.
    Apply,
}

/// `GET /customers/admin/rfm`: the quintiles in force and the last refresh
/// run (each `None` before the first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmView {
    pub quintiles: Option<Quintiles>,
    pub refresh: Option<RefreshState>,
}

/// How far the refresh run got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshState {
    /// The day the run started (`yyyy-mm-dd`).
    pub run: String,
    pub phase: Phase,
    pub done: bool,
    pub gathered: u64,
    pub applied: u64,
    /// Customers whose tier, segment or slipping changed.
    pub changed: u64,
    /// At-risk signals raised (customers who started slipping).
    pub raised: u64,
}
