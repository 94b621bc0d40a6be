//! How every job names a week: the ISO week, `2026-W48` (weeks start on
//! Monday; the year is the ISO week's own, so 2027-01-01 is `2026-W53`).
//! One writer of the label, so a survey's summary, customers' metrics,
//! lead-alerts' figures and the dashboard's charts always agree.

use chrono::{Datelike, Duration, NaiveDate};

/// The ISO week `day` falls in.
pub fn iso_week(day: NaiveDate) -> String {
    day.format("%G-W%V").to_string()
}

/// The ISO weeks the days `from..=to` fall in, in order (none when `from`
/// is after `to`).
pub fn iso_weeks(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    if from > to {
        return out;
    }
    let mut monday = from - Duration::days(i64::from(from.weekday().num_days_from_monday()));
    while monday <= to {
        out.push(iso_week(monday));
        monday += Duration::days(7);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_are_iso_weeks_across_years() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(iso_week(d("2026-11-23")), "2026-W48");
        assert_eq!(iso_week(d("2027-01-01")), "2026-W53");
        assert_eq!(iso_week(d("2024-12-30")), "2025-W01");
        assert_eq!(
            iso_weeks(d("2026-12-23"), d("2027-01-05")),
            ["2026-W52", "2026-W53", "2027-W01"]
        );
        assert_eq!(iso_weeks(d("2026-11-23"), d("2026-11-23")), ["2026-W48"]);
        assert!(iso_weeks(d("2026-11-24"), d("2026-11-23")).is_empty());
    }
}
