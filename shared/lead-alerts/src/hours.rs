//! Working time: an SLA of N minutes counts only the team's working hours,
//! in its time zone, and skips its holidays. With no hours set, every
//! minute counts.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_zones::Zone;
use std::collections::BTreeMap;

/// The team's week: hours per weekday (`mon`..`sun`, each a list of
/// `"09:00-17:00"`), its time zone and its holidays (local dates).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// An IANA name, e.g. `Europe/London`; UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Empty: every minute of every day counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub week: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<NaiveDate>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// How far ahead a deadline is looked for: a year of holidays at most.
const MAX_DAYS: i64 = 400;

impl WorkingHours {
    /// Every problem, as (field, message), for a 422.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(zone) = &self.time_zone {
            if zone.parse::<Zone>().is_err() {
                out.push(("time_zone".into(), format!("\"{zone}\" is not an IANA time zone")));
            }
        }
        for (day, spans) in &self.week {
            if !DAYS.contains(&day.as_str()) {
                out.push((
                    format!("week.{day}"),
                    "days are mon, tue, wed, thu, fri, sat, sun".into(),
                ));
            }
            let mut parsed: Vec<(usize, NaiveTime, Option<NaiveTime>)> = Vec::new();
            for (i, span) in spans.iter().enumerate() {
                match parse_span(span) {
                    Some((start, end)) => parsed.push((i, start, end)),
                    None => out.push((
                        format!("week.{day}[{i}]"),
                        format!("\"{span}\" is not a span like \"09:00-17:00\" (start before end)"),
                    )),
                }
            }
            // Overlapping spans would count their shared minutes twice.
            parsed.sort_by_key(|(_, start, _)| *start);
            for pair in parsed.windows(2) {
                let ((_, _, end), (i, start, _)) = (pair[0], pair[1]);
                if end.is_none_or(|end| end > start) {
                    out.push((format!("week.{day}[{i}]"), "overlaps another span of the day".into()));
                }
            }
        }
        if !self.week.is_empty() && self.week.values().all(Vec::is_empty) {
            out.push(("week".into(), "no working hours on any day".into()));
        }
        out
    }

    /// The team's time zone (UTC when none is set).
    pub fn zone(&self) -> Zone {
        self.time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(Zone::utc())
    }

    /// The working spans of one local date, as instants.
    fn spans(&self, zone: Zone, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let day = DAYS[date.weekday().num_days_from_monday() as usize];
        let local = |time: NaiveTime| local_instant(zone, date.and_time(time));
        let Some(spans) = self.week.get(day) else {
            return Vec::new();
        };
        spans
            .iter()
            .filter_map(|span| parse_span(span))
            .filter_map(|(start, end)| {
                let start = local(start)?;
                // 24:00 is the next midnight.
                let end = match end {
                    Some(end) => local(end)?,
                    None => zone
                        .from_local_datetime(&(date + Duration::days(1)).and_time(NaiveTime::MIN))
                        .earliest()?
                        .with_timezone(&Utc),
                };
                Some((start, end))
            })
            .collect()
    }

    /// The instant `minutes` of working time after `start`.
    pub fn add(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if self.week.is_empty() && self.holidays.is_empty() {
            return start + Duration::minutes(minutes);
        }
        let zone = self.zone();
        let mut left = Duration::minutes(minutes);
        let mut date = start.with_timezone(&zone).date_naive() - Duration::days(1);
        for _ in 0..MAX_DAYS {
            let mut spans = self.spans(zone, date);
            if self.week.is_empty() {
                // Holidays only: every other day counts whole.
                spans = vec![(zone_midnight(zone, date), zone_midnight(zone, date + Duration::days(1)))];
                if self.holidays.contains(&date) {
                    spans.clear();
                }
            }
            spans.sort();
            for (from, to) in spans {
                let from = from.max(start);
                if to <= from {
                    continue;
                }
                if to - from >= left {
                    return from + left;
                }
                left -= to - from;
            }
            date += Duration::days(1);
        }
        // No working time within the horizon: the deadline never comes
        // sooner than it would in plain minutes.
        start + Duration::days(MAX_DAYS)
    }

    /// Whether `at` falls in working time.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.add(at, 0) == at
    }
}

/// A local date and time in `zone` as an instant; a time that a DST change
/// skips counts from an hour later.
pub fn local_instant(zone: Zone, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(naive + Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
}

fn zone_midnight(zone: Zone, date: NaiveDate) -> DateTime<Utc> {
    zone.from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(|| date.and_time(NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
}

/// `"09:00-17:30"`; an end of `24:00` is `None` (midnight after).
fn parse_span(span: &str) -> Option<(NaiveTime, Option<NaiveTime>)> {
    let (start, end) = span.split_once('-')?;
    let start = NaiveTime::parse_from_str(start.trim(), "%H:%M").ok()?;
    let end = match end.trim() {
        "24:00" => None,
        end => Some(NaiveTime::parse_from_str(end, "%H:%M").ok()?),
    };
    end.is_none_or(|end| start < end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn london_office() -> WorkingHours {
        let weekdays = ["mon", "tue", "wed", "thu", "fri"];
        WorkingHours {
            time_zone: Some("Europe/London".into()),
            week: weekdays
                .iter()
                .map(|d| (d.to_string(), vec!["09:00-12:00".into(), "13:00-17:00".into()]))
                .collect(),
            holidays: vec!["2026-12-25".parse().unwrap()],
        }
    }

    #[test]
    fn no_hours_is_plain_minutes() {
        let start = at("2026-11-28T23:50:00Z");
        assert_eq!(WorkingHours::default().add(start, 30), at("2026-11-29T00:20:00Z"));
    }

    #[test]
    fn counts_only_working_minutes() {
        let hours = london_office();
        // Friday 16:50 London (UTC in winter): 10 minutes Friday, 5 Monday.
        assert_eq!(hours.add(at("2026-11-27T16:50:00Z"), 15), at("2026-11-30T09:05:00Z"));
        // Lunch does not count.
        assert_eq!(hours.add(at("2026-11-30T11:50:00Z"), 15), at("2026-11-30T13:05:00Z"));
        // A lead at night waits for the morning.
        assert_eq!(hours.add(at("2026-11-30T02:00:00Z"), 15), at("2026-11-30T09:15:00Z"));
        // Christmas (a Friday) is a holiday: Thursday 16:55 + 15 = Monday 09:10.
        assert_eq!(hours.add(at("2026-12-24T16:55:00Z"), 15), at("2026-12-28T09:10:00Z"));
        assert!(hours.is_open(at("2026-11-30T09:00:00Z")));
        assert!(!hours.is_open(at("2026-11-29T10:00:00Z")), "a Sunday");
    }

    #[test]
    fn follows_the_time_zone_and_summer_time() {
        let hours = london_office();
        // In July London is UTC+1: 09:00 local is 08:00 UTC.
        assert_eq!(hours.add(at("2026-07-06T07:00:00Z"), 10), at("2026-07-06T08:10:00Z"));
        let jerusalem = WorkingHours {
            time_zone: Some("Asia/Jerusalem".into()),
            week: [("sun".to_string(), vec!["08:00-24:00".to_string()])].into(),
            holidays: Vec::new(),
        };
        // Saturday noon UTC: Sunday 08:00 Jerusalem is 06:00 UTC (winter, +2).
        assert_eq!(
            jerusalem.add(at("2026-11-28T12:00:00Z"), 60),
            at("2026-11-29T07:00:00Z")
        );
    }

    #[test]
    fn problems_name_the_field() {
        let mut hours = london_office();
        hours.time_zone = Some("Mars/Olympus".into());
        hours.week.insert("fri".into(), vec!["17:00-09:00".into()]);
        hours.week.insert("funday".into(), vec![]);
        hours
            .week
            .insert("mon".into(), vec!["09:00-12:00".into(), "11:00-13:00".into()]);
        let fields: Vec<String> = hours.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["time_zone", "week.fri[0]", "week.funday", "week.mon[1]"]);
    }
}
