//! RFM: recency, frequency and monetary scores of 1-5, by quintiles over
//! every current customer, and the standard segment names.
//!
//! Quintile cut points come from the refresh run ([`crate::refresh`]),
//! which gathers every customer's values into histograms (days since the
//! last purchase, orders, spend in the main currency rounded to three
//! significant digits) and keeps the cuts in `rfm-quintiles`. A customer's
//! scores are then computed from their own values and those cuts.

use chrono::{DateTime, Utc};
use spin_retention_core::customer::Rfm;
use std::collections::BTreeMap;

/// Values and how many customers have each.
pub type Histogram = BTreeMap<i64, u64>;

/// The cut points (`rfm-quintiles`): a contract, since the RFM route
/// answers them.
pub use spin_retention_core::contracts::customers::Quintiles;

/// The value at the 20th, 40th, 60th and 80th percentile: the `ceil(n*i/5)`-th
/// smallest for i = 1..4. `None` for no values.
pub fn cuts(histogram: &Histogram) -> Option<[i64; 4]> {
    let n: u64 = histogram.values().sum();
    if n == 0 {
        return None;
    }
    let mut out = [0; 4];
    for (i, cut) in out.iter_mut().enumerate() {
        let rank = (n * (i as u64 + 1)).div_ceil(5);
        let mut seen = 0;
        for (value, count) in histogram {
            seen += count;
            if seen >= rank {
                *cut = *value;
                break;
            }
        }
    }
    Some(out)
}

/// 1 to 5: one more for each cut point the value is above.
fn score_up(value: i64, cuts: &[i64; 4]) -> u8 {
    1 + cuts.iter().filter(|c| value > **c).count() as u8
}

/// Spend as the histogram keeps it: three significant digits, so the
/// histogram stays small however many customers there are.
pub fn round_money(minor: i64) -> i64 {
    let mut scale = 1;
    while minor.abs() / scale >= 1000 {
        scale *= 10;
    }
    (minor as f64 / scale as f64).round() as i64 * scale
}

pub fn days(since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - since).num_days().max(0)
}

/// What the quintiles say of a customer.
pub trait Scores {
    /// The scores and segment of a customer with these values.
    fn score(&self, recency_days: i64, orders: i64, spend: i64) -> Rfm;
}

impl Scores for Quintiles {
    fn score(&self, recency_days: i64, orders: i64, spend: i64) -> Rfm {
        // Fewer days since the last purchase is better.
        let recency = 6 - score_up(recency_days, &self.recency_days);
        let frequency = score_up(orders, &self.frequency);
        let monetary = score_up(round_money(spend), &self.monetary);
        Rfm {
            recency,
            frequency,
            monetary,
            segment: segment(recency, frequency).to_string(),
        }
    }
}

/// The standard segment of a recency and frequency score (the usual RFM
/// grid; monetary is reported beside it, not part of the name).
pub fn segment(r: u8, f: u8) -> &'static str {
    match (r, f) {
        (5, 4..=5) => "Champions",
        (3..=4, 4..=5) => "Loyal Customers",
        (4..=5, 2..=3) => "Potential Loyalists",
        (5, 1) => "New Customers",
        (4, 1) => "Promising",
        (3, 3) => "Need Attention",
        (3, 1..=2) => "About to Sleep",
        (1..=2, 5) => "Can't Lose Them",
        (1..=2, 3..=4) => "At Risk",
        _ => "Hibernating",
    }
}

pub const SEGMENTS: &[&str] = &[
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "Can't Lose Them",
    "At Risk",
    "Hibernating",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(values: &[i64]) -> Histogram {
        let mut h = Histogram::new();
        for v in values {
            *h.entry(*v).or_default() += 1;
        }
        h
    }

    /// Ten customers, computed by hand: sorted values v1..v10, the cut
    /// points are v2, v4, v6, v8 (ranks ceil(10*i/5) = 2, 4, 6, 8).
    #[test]
    fn quintiles_of_a_worked_example() {
        let recency = histogram(&[3, 10, 15, 30, 45, 60, 90, 120, 200, 400]);
        let orders = histogram(&[1, 1, 1, 1, 2, 2, 3, 5, 8, 20]);
        let spend = histogram(&[1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
        assert_eq!(cuts(&recency), Some([10, 30, 60, 120]));
        assert_eq!(cuts(&orders), Some([1, 1, 2, 5]));
        assert_eq!(cuts(&spend), Some([2000, 4000, 6000, 8000]));
        let q = Quintiles {
            recency_days: [10, 30, 60, 120],
            frequency: [1, 1, 2, 5],
            monetary: [2000, 4000, 6000, 8000],
            currency: "USD".into(),
            customers: 10,
            computed_at: spin_retention_core::ports::test_now(),
            segments: BTreeMap::new(),
            grid: BTreeMap::new(),
            tiers: BTreeMap::new(),
        };
        // 3 days, 20 orders, 100.00: the best of each.
        let best = q.score(3, 20, 10_000);
        assert_eq!((best.recency, best.frequency, best.monetary), (5, 5, 5));
        assert_eq!(best.segment, "Champions");
        // 400 days, 8 orders: gone, but was among the most frequent.
        let gone = q.score(400, 8, 9000);
        assert_eq!((gone.recency, gone.frequency, gone.monetary), (1, 5, 5));
        assert_eq!(gone.segment, "Can't Lose Them");
        // 45 days (above 30, not above 60): 3; one order: 1.
        let one = q.score(45, 1, 1000);
        assert_eq!((one.recency, one.frequency, one.monetary), (3, 1, 1));
        assert_eq!(one.segment, "About to Sleep");
        assert_eq!(q.score(5, 1, 500).segment, "New Customers");
        assert_eq!(q.score(200, 1, 500).segment, "Hibernating");
        assert_eq!(cuts(&Histogram::new()), None);
    }

    #[test]
    fn every_score_pair_has_a_segment_and_money_rounds_to_three_digits() {
        for r in 1..=5 {
            for f in 1..=5 {
                assert!(SEGMENTS.contains(&segment(r, f)));
            }
        }
        assert_eq!(round_money(123_456), 123_000);
        assert_eq!(round_money(999), 999);
        assert_eq!(round_money(12_345_678), 12_300_000);
    }
}
