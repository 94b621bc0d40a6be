//! Speed to lead: for each alerted lead, the time from its intake (the
//! submission that made it hot) to the alert sent, to the claim and to the
//! first contact; medians per ISO week of intake and per member (whoever
//! claimed it, else whoever has it now). Read from the per-week logs of
//! alerted leads, so the cost follows the weeks asked for.

use crate::keys;
use crate::record::{LeadAlerts, Person};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::StoreError;
use std::collections::BTreeMap;

/// A lead's times: a contract, since `GET /alerts/admin/leads/{id}` answers them.
pub use spin_retention_core::contracts::alerts::Timing;

pub fn timing(lead_id: &str, alerts: &LeadAlerts) -> Option<Timing> {
    let first = alerts.steps.first()?;
    let intake = first.intake_at;
    let since = |t: DateTime<Utc>| (t - intake).num_milliseconds().max(0);
    let member = alerts
        .claimed
        .as_ref()
        .map(|c| c.by.clone())
        .or_else(|| alerts.steps.last().map(|s| s.to.clone()))?;
    Some(Timing {
        lead_id: lead_id.into(),
        member,
        intake_at: intake,
        to_alert_ms: first.alert.at.map(since),
        to_claim_ms: alerts.claimed.as_ref().map(|c| since(c.at)),
        to_contact_ms: alerts.contacted.as_ref().map(|c| since(c.at)),
    })
}

/// Medians (milliseconds) of one group, and how many leads each is over.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Medians {
    pub leads: usize,
    pub to_alert: Median,
    pub to_claim: Median,
    pub to_contact: Median,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Median {
    pub count: usize,
    pub median_ms: Option<f64>,
}

pub fn median(mut values: Vec<i64>) -> Median {
    values.sort_unstable();
    let n = values.len();
    let median_ms = match n {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2] as f64),
        n => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    };
    Median { count: n, median_ms }
}

pub fn medians(timings: &[&Timing]) -> Medians {
    let pick = |f: fn(&Timing) -> Option<i64>| median(timings.iter().filter_map(|t| f(t)).collect());
    Medians {
        leads: timings.len(),
        to_alert: pick(|t| t.to_alert_ms),
        to_claim: pick(|t| t.to_claim_ms),
        to_contact: pick(|t| t.to_contact_ms),
    }
}

/// The ISO weeks (`2026-W48`) that the dates `from..=to` fall in.
pub fn weeks(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    spin_retention_core::calendar::iso_weeks(from, to)
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub weeks: Vec<WeekRow>,
    pub members: Vec<MemberRow>,
}

#[derive(Debug, Serialize)]
pub struct WeekRow {
    pub week: String,
    #[serde(flatten)]
    pub medians: Medians,
}

#[derive(Debug, Serialize)]
pub struct MemberRow {
    pub member: Person,
    #[serde(flatten)]
    pub medians: Medians,
}

pub fn report(ctx: &Ctx, weeks: &[String]) -> Result<Report, StoreError> {
    let mut rows = Vec::new();
    let mut all: Vec<Timing> = Vec::new();
    for week in weeks {
        let log = keys::alerted_week(week);
        let len = spin_retention_core::slots::len(ctx.store, &log)?;
        let mut timings = Vec::new();
        for (_, bytes) in spin_retention_core::slots::read(ctx.store, &log, 1, len)? {
            let lead_id = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(t) = timing(&lead_id, &crate::record::load(ctx.store, &lead_id)?) {
                timings.push(t);
            }
        }
        rows.push(WeekRow {
            week: week.clone(),
            medians: medians(&timings.iter().collect::<Vec<_>>()),
        });
        all.extend(timings);
    }
    let mut by_member: BTreeMap<String, Vec<&Timing>> = BTreeMap::new();
    for t in &all {
        by_member.entry(t.member.key().to_string()).or_default().push(t);
    }
    let members = by_member
        .into_values()
        .map(|ts| MemberRow {
            member: ts[0].member.clone(),
            medians: medians(&ts),
        })
        .collect();
    Ok(Report { weeks: rows, members })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_even_and_empty() {
        assert_eq!(median(vec![30, 10, 20]).median_ms, Some(20.0));
        assert_eq!(median(vec![40, 10, 20, 30]).median_ms, Some(25.0));
        assert_eq!(median(vec![]), Median::default());
    }

    #[test]
    fn weeks_are_iso_weeks() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            weeks(d("2026-11-22"), d("2026-11-30")),
            ["2026-W47", "2026-W48", "2026-W49"]
        );
        assert_eq!(weeks(d("2026-12-31"), d("2027-01-01")), ["2026-W53"]);
    }
}
