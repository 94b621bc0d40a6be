//! Local times in a person's zone ([`crate::pressure::zone_of`]): the
//! instant a local date and time falls on, and the next time of day on
//! given weekdays (a wait `until` 10:00 on a weekday).

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use spin_retention_zones::Zone;

/// The instant of a local time in `zone`; one that a DST change skips is
/// an hour later.
pub fn to_utc(zone: Zone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map(|at| at.with_timezone(&Utc))
}

/// The first instant at or after `from` that is `time` in `zone` on one of
/// `days` (every day when empty).
pub fn next_time_of_day(zone: Zone, from: DateTime<Utc>, time: NaiveTime, days: &[Weekday]) -> Option<DateTime<Utc>> {
    let first = from.with_timezone(&zone).date_naive();
    (0..8)
        .map(|n| first + Duration::days(n))
        .filter(|day| days.is_empty() || days.contains(&day.weekday()))
        .filter_map(|day| to_utc(zone, day.and_time(time)))
        .find(|at| *at >= from)
}

/// A weekday as a journey names it: `mon` to `sun`.
pub fn weekday(name: &str) -> Option<Weekday> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| Weekday::try_from(i as u8).expect("0-6"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_ten_oclock_on_a_weekday_in_jerusalem() {
        let zone = Zone::parse("Asia/Jerusalem").unwrap();
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        let weekdays: Vec<Weekday> = ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| weekday(d).unwrap())
            .collect();
        // Friday 2026-12-11 12:00 UTC (14:00 there): past ten, so Monday's.
        let friday: DateTime<Utc> = "2026-12-11T12:00:00Z".parse().unwrap();
        assert_eq!(
            next_time_of_day(zone, friday, ten, &weekdays).unwrap(),
            "2026-12-14T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            next_time_of_day(zone, friday, ten, &[]).unwrap(),
            "2026-12-12T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(weekday("sun"), Some(Weekday::Sun));
        assert_eq!(weekday("Sunday"), None);
    }
}
