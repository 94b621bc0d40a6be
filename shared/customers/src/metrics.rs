//! Business metrics per week or month: active, new, retained and churned
//! customers, retention and churn rates, repeat purchase rate, revenue and
//! average order value, a cohort retention matrix by first-purchase month,
//! and CLV (the historical average over the cohorts asked for, and per
//! cohort).
//!
//! What they are read from: each day's orders, refunds and cancellations
//! (`customer-day:<yyyy-mm-dd>`, one write-once slot per event, written
//! with the event), for the range asked plus the churn window before it,
//! and each of those customers' first purchase (`customer:<id>`). So the
//! cost grows with the range and its customers, never with the store.
//!
//! Definitions (docs/customers.md repeats them):
//! - a customer is *current* at an instant when their last order before it
//!   is less than `churn_days` old and no subscription cancellation came
//!   after that order;
//! - S: current at the period's start; E: current at its end; N: new (first
//!   purchase ever inside the period);
//! - retained: in S and in E; churned: in S, not in E (lost);
//! - retention rate = (E - N) / S; churn rate = churned / S (none when S = 0);
//! - repeat purchase rate: of the customers active in the period (an
//!   order in it), those with two orders or more in it;
//! - revenue: orders less refunds, by currency, never summed across
//!   currencies; average order value: order amounts / orders, by currency.

use crate::event::{CustomerEvent, Kind};
use crate::keys;
use crate::money::{self, Money};
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::slots;
use spin_retention_core::store::{decode_json, Store, StoreError};
use std::collections::{BTreeSet, HashMap};

/// What a day's log keeps of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEntry {
    pub event: String,
    pub lead: String,
    pub kind: DayKind,
    /// Unix seconds.
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    Order,
    Refund,
    Cancel,
}

impl DayEntry {
    /// The day entry of an event that moves money or ends a subscription.
    pub fn of(event: &CustomerEvent, lead_id: &str) -> Option<DayEntry> {
        let kind = match event.kind {
            _ if event.is_order() => DayKind::Order,
            Kind::Refund => DayKind::Refund,
            Kind::SubscriptionCancelled => DayKind::Cancel,
            _ => return None,
        };
        Some(DayEntry {
            event: event.id.clone(),
            lead: lead_id.to_string(),
            kind,
            at: event.at.timestamp(),
            minor: event.amount.as_ref().map(|a| a.minor),
            currency: event.amount.as_ref().map(|a| a.currency.clone()),
        })
    }
}

/// The report and its periods: contracts, since the metrics route answers them.
pub use spin_retention_core::contracts::customers::{Clv, CohortRow, Period, PeriodRow, Report};

/// Reads what the periods `from..=to` need and computes the report.
pub fn read(
    store: &dyn Store,
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    churn_days: u32,
) -> Result<Report, StoreError> {
    let first = period.start_of(from);
    // The periods' end, or the last cohort month's if later (weeks).
    let end = period
        .next(period.start_of(to))
        .max(Period::Month.next(Period::Month.start_of(to)));
    // The churn window before the first period, or the first cohort
    // month's start if earlier (weeks).
    let mut day = (first - Duration::days(i64::from(churn_days))).min(Period::Month.start_of(from));
    let mut entries = Vec::new();
    while day < end {
        let log = keys::customer_day(day);
        let len = slots::len(store, &log)?;
        for (slot, bytes) in slots::read(store, &log, 1, len)? {
            entries.push(decode_json::<DayEntry>(&slots::slot_key(&log, slot), &bytes)?);
        }
        day += Duration::days(1);
    }
    let leads: BTreeSet<&str> = entries.iter().map(|e| e.lead.as_str()).collect();
    let mut first_purchase = HashMap::new();
    for lead in leads {
        // No fold: erased (its entries are going) or never folded yet.
        if let Some(customer) = spin_retention_core::customer::load(store, lead)? {
            if let Some(at) = customer.first_purchase_at {
                first_purchase.insert(lead.to_string(), at);
            }
        }
    }
    Ok(compute(period, from, to, churn_days, &entries, &first_purchase))
}

/// The report from the day entries (any order; each event counted once)
/// and each customer's first purchase.
pub fn compute(
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    churn_days: u32,
    entries: &[DayEntry],
    first_purchase: &HashMap<String, DateTime<Utc>>,
) -> Report {
    let mut seen = BTreeSet::new();
    let entries: Vec<&DayEntry> = entries
        .iter()
        .filter(|e| first_purchase.contains_key(&e.lead) && seen.insert(e.event.as_str()))
        .collect();
    let mut orders: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut cancels: HashMap<&str, Vec<i64>> = HashMap::new();
    for e in &entries {
        match e.kind {
            DayKind::Order => orders.entry(&e.lead).or_default().push(e.at),
            DayKind::Cancel => cancels.entry(&e.lead).or_default().push(e.at),
            DayKind::Refund => {}
        }
    }
    let window = i64::from(churn_days) * 86_400;
    let current_at = |t: i64| -> BTreeSet<&str> {
        orders
            .iter()
            .filter_map(|(lead, times)| {
                let last = times.iter().copied().filter(|o| *o < t).max()?;
                let cancelled = cancels
                    .get(lead)
                    .is_some_and(|cs| cs.iter().any(|c| *c >= last && *c < t));
                // Current while its last order is less than the window old.
                (last > t - window && !cancelled).then_some(*lead)
            })
            .collect()
    };
    let secs = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp();
    let mut rows = Vec::new();
    let mut start = period.start_of(from);
    while start <= to {
        let end = period.next(start);
        let (s, e) = (secs(start), secs(end));
        let inside: Vec<&&DayEntry> = entries.iter().filter(|x| x.at >= s && x.at < e).collect();
        let mut per_lead: HashMap<&str, u64> = HashMap::new();
        let (mut revenue, mut refunds, mut gross, mut counted) =
            (Money::new(), Money::new(), Money::new(), Money::new());
        for x in &inside {
            let currency = x.currency.clone().unwrap_or_default();
            let minor = x.minor.unwrap_or(0);
            match x.kind {
                DayKind::Order => {
                    *per_lead.entry(&x.lead).or_default() += 1;
                    if x.currency.is_some() {
                        add(&mut revenue, &currency, minor);
                        add(&mut gross, &currency, minor);
                        add(&mut counted, &currency, 1);
                    }
                }
                DayKind::Refund => {
                    add(&mut revenue, &currency, -minor);
                    add(&mut refunds, &currency, minor);
                }
                DayKind::Cancel => {}
            }
        }
        let active = per_lead.len() as u64;
        let repeaters = per_lead.values().filter(|n| **n >= 2).count() as u64;
        let new = first_purchase
            .values()
            .filter(|at| at.timestamp() >= s && at.timestamp() < e)
            .count() as u64;
        let at_start = current_at(s);
        let at_end = current_at(e);
        let retained = at_start.intersection(&at_end).count() as u64;
        let churned = at_start.len() as u64 - retained;
        let ratio = |n: u64, d: u64| (d > 0).then(|| round4(n as f64 / d as f64));
        let aov = gross
            .iter()
            .map(|(c, total)| (c.clone(), total / counted[c].max(1)))
            .collect();
        rows.push(PeriodRow {
            period: period.label(start),
            start,
            end,
            active,
            new,
            customers_at_start: at_start.len() as u64,
            customers_at_end: at_end.len() as u64,
            retained,
            churned,
            retention_rate: ratio((at_end.len() as u64).saturating_sub(new), at_start.len() as u64),
            churn_rate: ratio(churned, at_start.len() as u64),
            orders: per_lead.values().sum(),
            repeat_purchase_rate: ratio(repeaters, active),
            revenue: money::show(&revenue),
            refunds: money::show(&refunds),
            average_order_value: money::show(&aov),
        });
        start = end;
    }
    let (cohorts, clv) = cohorts(from, to, &entries, first_purchase);
    Report {
        period,
        churn_days,
        periods: rows,
        cohorts,
        clv,
    }
}

/// Adds to a currency's total; totals saturate rather than wrap.
fn add(money: &mut Money, currency: &str, minor: i64) {
    let total = money.entry(currency.to_string()).or_default();
    *total = total.saturating_add(minor);
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Monthly cohorts by first purchase, over the months of the range.
fn cohorts(
    from: NaiveDate,
    to: NaiveDate,
    entries: &[&DayEntry],
    first_purchase: &HashMap<String, DateTime<Utc>>,
) -> (Vec<CohortRow>, Clv) {
    let months: Vec<NaiveDate> = {
        let mut m = Period::Month.start_of(from);
        let mut all = Vec::new();
        while m <= to {
            all.push(m);
            m = m + Months::new(1);
        }
        all
    };
    let Some(&last) = months.last() else {
        return (Vec::new(), clv_of(0, &Money::new()));
    };
    let range_end = (last + Months::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let month_of = |at: DateTime<Utc>| Period::Month.start_of(at.date_naive());
    let mut rows = Vec::new();
    let (mut all_size, mut all_revenue) = (0u64, Money::new());
    for (i, cohort) in months.iter().enumerate() {
        let members: BTreeSet<&str> = first_purchase
            .iter()
            .filter(|(_, at)| month_of(**at) == *cohort)
            .map(|(lead, _)| lead.as_str())
            .collect();
        let size = members.len() as u64;
        let mut active = Vec::new();
        for month in &months[i..] {
            let buyers: BTreeSet<&str> = entries
                .iter()
                .filter(|e| e.kind == DayKind::Order && members.contains(e.lead.as_str()))
                .filter(|e| DateTime::from_timestamp(e.at, 0).is_some_and(|at| month_of(at) == *month))
                .map(|e| e.lead.as_str())
                .collect();
            active.push(buyers.len() as u64);
        }
        let mut revenue = Money::new();
        for e in entries.iter().filter(|e| members.contains(e.lead.as_str())) {
            let (Some(currency), Some(minor)) = (&e.currency, e.minor) else {
                continue;
            };
            if e.at >= range_end.timestamp() {
                continue;
            }
            let sign = match e.kind {
                DayKind::Order => 1,
                DayKind::Refund => -1,
                DayKind::Cancel => 0,
            };
            add(&mut revenue, currency, sign * minor);
        }
        all_size += size;
        for (c, m) in &revenue {
            add(&mut all_revenue, c, *m);
        }
        let per_customer = clv_of(size, &revenue);
        rows.push(CohortRow {
            cohort: Period::Month.label(*cohort),
            size,
            retention: active
                .iter()
                .map(|a| {
                    if size == 0 {
                        0.0
                    } else {
                        round4(*a as f64 / size as f64)
                    }
                })
                .collect(),
            active,
            revenue: money::show(&revenue),
            clv: per_customer.average,
        });
    }
    (rows, clv_of(all_size, &all_revenue))
}

fn clv_of(customers: u64, revenue: &Money) -> Clv {
    let average = revenue
        .iter()
        .map(|(c, m)| (c.clone(), if customers == 0 { 0 } else { m / customers as i64 }))
        .collect();
    Clv {
        customers,
        revenue: money::show(revenue),
        average: money::show(&average),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn entry(event: &str, lead: &str, kind: DayKind, when: &str, amount: Option<(i64, &str)>) -> DayEntry {
        DayEntry {
            event: event.into(),
            lead: lead.into(),
            kind,
            at: at(when).timestamp(),
            minor: amount.map(|a| a.0),
            currency: amount.map(|a| a.1.to_string()),
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// Four customers, worked by hand (churn window 45 days):
    /// - A buys Jan 5 ($100), Feb 10 ($50), Mar 3 ($50);
    /// - B buys Jan 20 ($200) and gets $50 back on Jan 25;
    /// - C buys Feb 14 (EUR 80) and cancels a subscription on Mar 1;
    /// - D first bought Dec 15, 2025 ($30) and again Feb 20 ($30).
    fn worked() -> (Vec<DayEntry>, HashMap<String, DateTime<Utc>>) {
        use DayKind::*;
        let entries = vec![
            entry("d1", "D", Order, "2025-12-15T12:00:00Z", Some((3_000, "USD"))),
            entry("a1", "A", Order, "2026-01-05T12:00:00Z", Some((10_000, "USD"))),
            entry("b1", "B", Order, "2026-01-20T12:00:00Z", Some((20_000, "USD"))),
            entry("b2", "B", Refund, "2026-01-25T12:00:00Z", Some((5_000, "USD"))),
            entry("a2", "A", Order, "2026-02-10T12:00:00Z", Some((5_000, "USD"))),
            entry("c1", "C", Order, "2026-02-14T12:00:00Z", Some((8_000, "EUR"))),
            entry("d2", "D", Order, "2026-02-20T12:00:00Z", Some((3_000, "USD"))),
            entry("c2", "C", Cancel, "2026-03-01T10:00:00Z", None),
            entry("a3", "A", Order, "2026-03-03T12:00:00Z", Some((5_000, "USD"))),
            // A replayed event is counted once.
            entry("a3", "A", Order, "2026-03-03T12:00:00Z", Some((5_000, "USD"))),
        ];
        let first = [
            ("A", "2026-01-05T12:00:00Z"),
            ("B", "2026-01-20T12:00:00Z"),
            ("C", "2026-02-14T12:00:00Z"),
            ("D", "2025-12-15T12:00:00Z"),
        ]
        .into_iter()
        .map(|(l, t)| (l.to_string(), at(t)))
        .collect();
        (entries, first)
    }

    #[test]
    fn months_of_a_worked_example() {
        let (entries, first) = worked();
        let r = compute(
            Period::Month,
            day("2026-01-01"),
            day("2026-03-01"),
            45,
            &entries,
            &first,
        );
        let row = |i: usize| &r.periods[i];
        let counts = |i: usize| {
            let p = row(i);
            (
                p.customers_at_start,
                p.customers_at_end,
                p.new,
                p.retained,
                p.churned,
                p.active,
                p.orders,
            )
        };
        // January: only D (Dec 15) is current at the start, and lapses by
        // Feb 1 (48 days): everyone at the start churned.
        assert_eq!(counts(0), (1, 2, 2, 0, 1, 2, 2));
        assert_eq!((row(0).retention_rate, row(0).churn_rate), (Some(0.0), Some(1.0)));
        assert_eq!(row(0).revenue["USD"], "250.00", "300 less the 50 refunded");
        assert_eq!(row(0).refunds["USD"], "50.00");
        assert_eq!(row(0).average_order_value["USD"], "150.00");
        assert_eq!(row(0).repeat_purchase_rate, Some(0.0));
        // February: A and B at the start; all four current at the end (B's
        // Jan 20 is 39.5 days before Mar 1; D came back). (E - N) / S =
        // (4 - 1) / 2: the formula counts the returning D as retained.
        assert_eq!(counts(1), (2, 4, 1, 2, 0, 3, 3));
        assert_eq!((row(1).retention_rate, row(1).churn_rate), (Some(1.5), Some(0.0)));
        assert_eq!(row(1).revenue["USD"], "80.00");
        assert_eq!(row(1).revenue["EUR"], "80.00", "never added to the dollars");
        assert_eq!(row(1).average_order_value["USD"], "40.00");
        // March: B lapsed (71 days), C cancelled and lapsed; A and D stay.
        assert_eq!(counts(2), (4, 2, 0, 2, 2, 1, 1));
        assert_eq!((row(2).retention_rate, row(2).churn_rate), (Some(0.5), Some(0.5)));
        assert_eq!(row(2).revenue["USD"], "50.00", "the replayed order once");
        // Cohorts: January (A, B), February (C), March (nobody).
        let c = &r.cohorts;
        assert_eq!((c[0].cohort.as_str(), c[0].size), ("2026-01", 2));
        assert_eq!(c[0].active, [2, 1, 1]);
        assert_eq!(c[0].retention, [1.0, 0.5, 0.5]);
        assert_eq!(c[0].revenue["USD"], "350.00");
        assert_eq!(c[0].clv["USD"], "175.00");
        assert_eq!((c[1].size, c[1].active.clone()), (1, vec![1, 0]));
        assert_eq!(c[1].clv["EUR"], "80.00");
        assert_eq!((c[2].size, c[2].retention.clone()), (0, vec![0.0]));
        assert_eq!(r.clv.customers, 3);
        assert_eq!(r.clv.average["USD"], "116.66", "350 / 3, rounded down to the cent");
        assert_eq!(r.clv.average["EUR"], "26.66");
    }

    /// An order exactly `churn_days` old no longer makes its customer
    /// current, as `Customer::churned` says from that instant.
    #[test]
    fn an_order_churn_days_old_is_no_longer_current() {
        let entries = [entry(
            "o",
            "L",
            DayKind::Order,
            "2026-01-01T00:00:00Z",
            Some((100, "USD")),
        )];
        let first = [("L".to_string(), at("2026-01-01T00:00:00Z"))].into();
        let r = compute(
            Period::Month,
            day("2026-01-01"),
            day("2026-02-01"),
            31,
            &entries,
            &first,
        );
        assert_eq!(r.periods[0].customers_at_end, 0, "Feb 1 is 31 days on");
        assert_eq!(r.periods[1].customers_at_start, 0);
        let r = compute(
            Period::Month,
            day("2026-01-01"),
            day("2026-01-01"),
            32,
            &entries,
            &first,
        );
        assert_eq!(r.periods[0].customers_at_end, 1);
    }

    #[test]
    fn an_empty_period_has_no_rates_and_weeks_start_on_monday() {
        let (entries, first) = worked();
        let r = compute(
            Period::Month,
            day("2026-06-01"),
            day("2026-06-30"),
            45,
            &entries,
            &first,
        );
        let june = &r.periods[0];
        assert_eq!((june.active, june.customers_at_start, june.orders), (0, 0, 0));
        assert_eq!(
            (june.retention_rate, june.churn_rate, june.repeat_purchase_rate),
            (None, None, None)
        );
        assert!(june.revenue.is_empty());
        let weeks = compute(Period::Week, day("2026-01-07"), day("2026-01-20"), 45, &entries, &first);
        let labels: Vec<&str> = weeks.periods.iter().map(|p| p.period.as_str()).collect();
        assert_eq!(labels, ["2026-W02", "2026-W03", "2026-W04"]);
        assert_eq!(weeks.periods[0].start, day("2026-01-05"));
        assert_eq!(weeks.periods[0].active, 1, "A on Monday Jan 5");
    }
}
