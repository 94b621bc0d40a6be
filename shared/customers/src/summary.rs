//! A customer's events folded into what the other jobs see
//! ([`Customer`]): orders, revenue, first and last purchase, typical
//! interval, slipping and churn, subscription, loyalty tier with its
//! history, RFM. A pure function of the events, the settings, the RFM cuts
//! and the clock, so a replayed event or a second fold changes nothing.

use crate::event::{CustomerEvent, Kind};
use crate::rfm::{self, Quintiles, Scores};
use crate::settings::Settings;
use chrono::{DateTime, Duration, Utc};
use spin_retention_core::customer::{Activity, Customer, Money, Subscription, TierChange};

/// Folds `events` (any order, each id once) into the customer at `now`.
pub fn summarize(
    lead_id: &str,
    events: &[CustomerEvent],
    settings: &Settings,
    quintiles: Option<&Quintiles>,
    now: DateTime<Utc>,
) -> Customer {
    let mut events: Vec<&CustomerEvent> = events.iter().filter(|e| e.at <= now).collect();
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let orders: Vec<&CustomerEvent> = events.iter().copied().filter(|e| e.is_order()).collect();
    let mut revenue = Money::new();
    let mut gross = Money::new();
    let mut orders_in = std::collections::BTreeMap::<String, i64>::new();
    let mut refunds = 0;
    for event in &events {
        let Some(amount) = &event.amount else { continue };
        let add = |money: &mut Money, minor: i64| {
            let total = money.entry(amount.currency.clone()).or_default();
            *total = total.saturating_add(minor);
        };
        if event.is_order() {
            add(&mut revenue, amount.minor);
            add(&mut gross, amount.minor);
            *orders_in.entry(amount.currency.clone()).or_default() += 1;
        } else if event.kind == Kind::Refund {
            add(&mut revenue, -amount.minor);
            refunds += 1;
        }
    }
    let average_order_value = gross
        .iter()
        .map(|(currency, total)| (currency.clone(), total / orders_in[currency].max(1)))
        .collect();
    let first_purchase_at = orders.first().map(|e| e.at);
    let last_purchase_at = orders.last().map(|e| e.at);
    let typical_interval_days = typical_interval(&orders);
    let slipping_after = last_purchase_at.map(|last| match typical_interval_days {
        Some(days) => last + seconds(days * settings.slipping_factor * 86_400.0),
        None => last + Duration::days(i64::from(settings.quiet_days)),
    });
    let subscription = events
        .iter()
        .rfind(|e| {
            matches!(
                e.kind,
                Kind::SubscriptionStarted | Kind::SubscriptionRenewed | Kind::SubscriptionCancelled
            )
        })
        .map(|e| Subscription {
            id: e.subscription_id.clone().unwrap_or_default(),
            status: if e.kind == Kind::SubscriptionCancelled {
                "cancelled".into()
            } else {
                "active".into()
            },
            since: e.at,
        });
    let cancelled_at = subscription
        .as_ref()
        .filter(|s| s.status == "cancelled" && last_purchase_at.is_none_or(|last| s.since >= last))
        .map(|s| s.since);
    let churned_after = last_purchase_at.map(|last| {
        let quiet = last + Duration::days(i64::from(settings.churn_days));
        cancelled_at.map_or(quiet, |c| c.min(quiet))
    });
    let main_revenue = revenue.get(&settings.currency).copied().unwrap_or(0);
    let tier_changes = tier_history(&events, settings, now);
    let loyalty_tier = tier_changes.last().and_then(|c| c.to.clone());
    let rfm = quintiles
        .zip(last_purchase_at)
        .map(|(q, last)| q.score(rfm::days(last, now), orders.len() as i64, main_revenue));
    let last_activity = events.iter().rfind(|e| e.kind == Kind::Activity).map(|e| Activity {
        kind: e.activity.clone().unwrap_or_default(),
        at: e.at,
    });
    Customer {
        lead_id: lead_id.to_string(),
        orders: orders.len() as u32,
        refunds,
        revenue,
        main_revenue,
        currency: settings.currency.clone(),
        average_order_value,
        first_purchase_at,
        last_purchase_at,
        typical_interval_days,
        slipping_after,
        churned_after,
        subscription,
        loyalty_tier,
        tier_changes,
        rfm,
        last_activity,
        events: events.len() as u32,
        updated_at: now,
    }
}

fn seconds(s: f64) -> Duration {
    Duration::seconds(s.round() as i64)
}

/// The median of the days between consecutive orders (two orders at least).
fn typical_interval(orders: &[&CustomerEvent]) -> Option<f64> {
    let mut gaps: Vec<f64> = orders
        .windows(2)
        .map(|w| (w[1].at - w[0].at).num_seconds() as f64 / 86_400.0)
        .collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_by(f64::total_cmp);
    let mid = gaps.len() / 2;
    let median = if gaps.len() % 2 == 1 {
        gaps[mid]
    } else {
        (gaps[mid - 1] + gaps[mid]) / 2.0
    };
    Some((median * 100.0).round() / 100.0)
}

/// The highest tier whose spend or order threshold the trailing window
/// meets (`None`: no order in the window).
fn tier_of(spend: i64, orders: u32, settings: &Settings) -> Option<String> {
    if orders == 0 {
        return None;
    }
    settings
        .tiers
        .iter()
        .rev()
        .find(|t| {
            t.min_spend
                .is_some_and(|s| spend >= crate::money::major_to_minor(s, &settings.currency))
                || t.min_orders.is_some_and(|o| orders >= o)
        })
        .map(|t| t.name.clone())
}

/// Every change of tier up to `now`: a tier can change when money moves
/// (an order, a refund) and when an order leaves the trailing window.
/// `events` are in time order; the window's sums come from running totals,
/// so a long history costs n log n, not n squared.
fn tier_history(events: &[&CustomerEvent], settings: &Settings, now: DateTime<Utc>) -> Vec<TierChange> {
    let main = |e: &CustomerEvent| {
        e.amount
            .as_ref()
            .filter(|a| a.currency == settings.currency)
            .map_or(0, |a| a.minor)
    };
    let moves: Vec<(DateTime<Utc>, i64, u32)> = events
        .iter()
        .filter_map(|e| match e.kind {
            _ if e.is_order() => Some((e.at, main(e), 1)),
            Kind::Refund => Some((e.at, -main(e), 0)),
            _ => None,
        })
        .collect();
    let (mut spent, mut ordered) = (vec![0i64], vec![0u32]);
    for (_, spend, orders) in &moves {
        spent.push(spent.last().unwrap_or(&0).saturating_add(*spend));
        ordered.push(ordered.last().unwrap_or(&0) + orders);
    }
    let window = Duration::days(i64::from(settings.tier_window_days));
    let mut moments: Vec<DateTime<Utc>> = moves
        .iter()
        .flat_map(|(at, _, _)| [*at, *at + window + Duration::seconds(1)])
        .filter(|t| *t <= now)
        .collect();
    moments.sort();
    moments.dedup();
    let mut changes: Vec<TierChange> = Vec::new();
    let mut current: Option<String> = None;
    for at in moments {
        // The moves in (at - window, at].
        let hi = moves.partition_point(|(t, _, _)| *t <= at);
        let lo = moves.partition_point(|(t, _, _)| *t <= at - window);
        let tier = tier_of(spent[hi].saturating_sub(spent[lo]), ordered[hi] - ordered[lo], settings);
        if tier != current {
            changes.push(TierChange {
                from: current.clone(),
                to: tier.clone(),
                at,
            });
            current = tier;
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Amount;
    use spin_retention_core::admin_doc::Document;

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T12:00:00Z").parse().unwrap()
    }

    fn event(id: &str, kind: Kind, day: &str, amount: Option<(i64, &str)>) -> CustomerEvent {
        CustomerEvent {
            id: id.into(),
            key: id.into(),
            kind,
            at: at(day),
            received_at: at(day),
            source: "api".into(),
            order_id: None,
            amount: amount.map(|(minor, currency)| Amount {
                minor,
                currency: currency.into(),
            }),
            items: Vec::new(),
            subscription_id: None,
            activity: None,
            external_customer: None,
        }
    }

    /// Worked by hand: orders on Jan 1, Jan 31 and Mar 2 (gaps 30 and 30
    /// days: typical 30), 300.00 USD each, one 100.00 refund and one
    /// order in EUR, which is never added to the dollars.
    #[test]
    fn a_worked_customer() {
        let settings = Settings::defaults();
        let events = [
            event("a", Kind::Purchase, "2026-01-01", Some((30_000, "USD"))),
            event("b", Kind::Purchase, "2026-01-31", Some((30_000, "USD"))),
            event("c", Kind::Refund, "2026-02-05", Some((10_000, "USD"))),
            event("d", Kind::Purchase, "2026-03-02", Some((30_000, "USD"))),
            event("e", Kind::Purchase, "2026-03-02", Some((5_000, "EUR"))),
        ];
        let c = summarize("l_1", &events, &settings, None, at("2026-03-20"));
        assert_eq!(c.orders, 4);
        assert_eq!(c.refunds, 1);
        assert_eq!(c.revenue["USD"], 80_000, "900 - 100");
        assert_eq!(c.revenue["EUR"], 5_000);
        assert_eq!(c.main_revenue, 80_000);
        assert_eq!(c.average_order_value["USD"], 30_000);
        assert_eq!(c.average_order_value["EUR"], 5_000);
        // Gaps: 30, 30, 0 days: median 30.
        assert_eq!(c.typical_interval_days, Some(30.0));
        assert_eq!(c.slipping_after, Some(at("2026-03-02") + Duration::days(45)));
        assert!(!c.slipping(at("2026-04-15")));
        assert!(c.slipping(at("2026-04-16")), "45 days after, to the second");
        assert_eq!(c.churned_after, Some(at("2026-03-02") + Duration::days(90)));
        // 4 orders, 800 USD in the window: silver (500 spend), not gold.
        assert_eq!(c.loyalty_tier.as_deref(), Some("silver"));
        let tiers: Vec<(Option<&str>, Option<&str>)> = c
            .tier_changes
            .iter()
            .map(|t| (t.from.as_deref(), t.to.as_deref()))
            .collect();
        // Bronze at the first order, silver at 600, bronze again when the
        // refund took it to 500? No: 500 still meets silver's 500.
        assert_eq!(tiers, [(None, Some("bronze")), (Some("bronze"), Some("silver"))]);
        // A year and a day after the last order, nothing is in the window.
        let later = summarize("l_1", &events, &settings, None, at("2027-03-03"));
        assert_eq!(later.loyalty_tier, None);
        assert_eq!(later.tier_changes.last().unwrap().to, None);
        assert_eq!(
            later.tier_changes.len(),
            4,
            "bronze, silver, bronze once the January orders leave the window, then none"
        );
    }

    #[test]
    fn a_one_time_buyer_slips_after_the_quiet_days_and_a_cancellation_churns() {
        let mut settings = Settings::defaults();
        settings.quiet_days = 60;
        let mut start = event("s", Kind::SubscriptionStarted, "2026-01-10", Some((2_000, "USD")));
        start.subscription_id = Some("sub_1".into());
        let mut cancel = event("x", Kind::SubscriptionCancelled, "2026-02-01", None);
        cancel.subscription_id = Some("sub_1".into());
        let c = summarize("l_2", &[start.clone(), cancel], &settings, None, at("2026-02-02"));
        assert_eq!(c.orders, 1);
        assert_eq!(c.slipping_after, Some(at("2026-03-11")));
        assert_eq!(
            c.churned_after,
            Some(at("2026-02-01")),
            "cancelled before the 90 days ran out"
        );
        assert!(c.churned(at("2026-02-02")));
        assert_eq!(c.subscription.unwrap().status, "cancelled");
        // An empty history is no customer at all.
        let none = summarize("l_3", &[], &settings, None, at("2026-02-02"));
        assert!(!none.is_customer());
        assert_eq!((none.slipping_after, none.loyalty_tier), (None, None));
        // Events dated after now are not folded yet.
        let future = summarize("l_2", &[start], &settings, None, at("2026-01-01"));
        assert_eq!(future.orders, 0);
    }
}
