//! IANA time zones (`Asia/Jerusalem`) for what is due now and later:
//! working hours, quiet hours, local days. Each zone is the POSIX rule the
//! tz database ends its compiled file with, which says every transition
//! from the zone's last listed one on (and, for the few zones whose rule
//! alone does not, such as Morocco's Ramadan changes, the transitions from
//! 2025 on). So times from 2025 on are exact; earlier ones follow today's
//! rule. The table ([`table`]) is written by `scripts/zones-table.py` from
//! Debian's tzdata; a test compares every zone with chrono-tz (the same tz
//! release) hour by hour over years.
//!
//! [`Zone`] is a [`chrono::TimeZone`], so `utc.with_timezone(&zone)` and
//! `zone.from_local_datetime(..)` work as with any zone.

pub mod countries;
mod posix;
pub mod table;

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, Offset, TimeZone};
use std::fmt;

/// A zone of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    name: &'static str,
    rule: posix::Rule,
    /// The zone's transitions of [`table::LISTED`], if it has any.
    listed: &'static [(i64, i32)],
}

impl Zone {
    /// The zone of an IANA name (`Asia/Jerusalem`, `UTC`); `None` for a
    /// name the tz database lacks.
    pub fn parse(name: &str) -> Option<Zone> {
        let (name, rule) = table::ZONES
            .lines()
            .filter_map(|line| line.split_once(' '))
            .find(|(n, _)| *n == name)?;
        let listed = table::LISTED
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[][..], |(_, listed)| listed);
        Some(Zone {
            name,
            rule: posix::Rule::parse(rule)?,
            listed,
        })
    }

    /// The one zone of a country (ISO 3166 code, any case: `IL` gives
    /// `Asia/Jerusalem`); `None` for a country of several zones (US, RU,
    /// BR...) or a code the tz database lacks.
    pub fn of_country(code: &str) -> Option<Zone> {
        let code = code.trim().to_ascii_uppercase();
        let zone = countries::SINGLE_ZONE
            .lines()
            .filter_map(|line| line.split_once(' '))
            .find(|(c, _)| *c == code)?
            .1;
        Zone::parse(zone)
    }

    pub fn utc() -> Zone {
        Zone::parse("UTC").expect("UTC is in the table")
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The UTC offset (seconds east) at `utc` (unix seconds).
    pub fn offset_at(&self, utc: i64) -> i32 {
        match self.listed.iter().rposition(|(at, _)| *at <= utc) {
            Some(i) => self.listed[i].1,
            None => self.rule.offset_at(utc),
        }
    }

    fn fixed(&self, seconds: i32) -> ZoneOffset {
        ZoneOffset {
            zone: *self,
            fix: FixedOffset::east_opt(seconds).unwrap_or(FixedOffset::east_opt(0).expect("zero")),
        }
    }
}

impl std::str::FromStr for Zone {
    type Err = UnknownZone;

    fn from_str(name: &str) -> Result<Zone, UnknownZone> {
        Zone::parse(name).ok_or(UnknownZone)
    }
}

/// A name the tz database lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownZone;

impl fmt::Display for UnknownZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an IANA time zone")
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A zone's offset at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Zone,
    fix: FixedOffset,
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fix
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fix)
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        offset.zone
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_hms_opt(0, 0, 0).expect("midnight"))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        let local = local.and_utc().timestamp();
        // The offsets in force a day either side (offsets reach 14 hours;
        // a zone's transitions are weeks apart).
        let mut candidates = [self.offset_at(local - 86_400), self.offset_at(local + 86_400)];
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        let valid: Vec<i32> = candidates
            .iter()
            .copied()
            .filter(|o| self.offset_at(local - i64::from(*o)) == *o)
            .fold(Vec::new(), |mut v, o| {
                if !v.contains(&o) {
                    v.push(o);
                }
                v
            });
        // The larger offset is the earlier instant.
        match valid[..] {
            [] => MappedLocalTime::None,
            [one] => MappedLocalTime::Single(self.fixed(one)),
            [earlier, later, ..] => MappedLocalTime::Ambiguous(self.fixed(earlier), self.fixed(later)),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_hms_opt(0, 0, 0).expect("midnight"))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.fixed(self.offset_at(utc.and_utc().timestamp()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn a_country_of_one_zone_gives_it_and_one_of_several_gives_none() {
        assert_eq!(Zone::of_country("IL").map(|z| z.name()), Some("Asia/Jerusalem"));
        assert_eq!(Zone::of_country(" gb ").map(|z| z.name()), Some("Europe/London"));
        assert_eq!(Zone::of_country("US"), None);
        assert_eq!(Zone::of_country("XX"), None);
        // Every zone the countries name is one of the table's.
        for line in countries::SINGLE_ZONE.lines() {
            let (code, zone) = line.split_once(' ').unwrap();
            assert!(Zone::parse(zone).is_some(), "{code}: {zone}");
        }
    }

    /// Every zone of chrono-tz (the same tz release) agrees with ours, hour
    /// by hour (and at quarters past) from 2025 to 2036, and so do local
    /// times turned to instants (gaps and overlaps included).
    #[test]
    fn every_zone_agrees_with_chrono_tz_from_2025_on() {
        let from = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .timestamp();
        let to = DateTime::parse_from_rfc3339("2036-01-01T00:00:00Z")
            .unwrap()
            .timestamp();
        let mut checked = 0;
        for tz in chrono_tz::TZ_VARIANTS {
            let ours = Zone::parse(tz.name()).unwrap_or_else(|| panic!("{} is missing", tz.name()));
            let mut t = from;
            while t < to {
                let utc = DateTime::<Utc>::from_timestamp(t, 0).unwrap();
                let theirs = utc.with_timezone(&tz).offset().fix().local_minus_utc();
                assert_eq!(ours.offset_at(t), theirs, "{} at {utc}", tz.name());
                let local = utc.naive_utc();
                let a = tz.from_local_datetime(&local);
                let b = ours.from_local_datetime(&local);
                assert_eq!(
                    (b.earliest().map(|t| t.timestamp()), b.latest().map(|t| t.timestamp())),
                    (a.earliest().map(|t| t.timestamp()), a.latest().map(|t| t.timestamp())),
                    "{} local {local}",
                    tz.name()
                );
                // Hours and, in turn, every quarter past them.
                t += 3600 + 900 * (checked % 4 == 0) as i64;
                checked += 1;
            }
        }
        assert!(checked > 500 * 20 * 365 * 10, "{checked}");
    }

    #[test]
    fn names_and_local_times() {
        assert_eq!(Zone::parse("Asia/Jerusalem").unwrap().name(), "Asia/Jerusalem");
        assert!(Zone::parse("Mars/Olympus").is_none());
        assert!("Europe/London".parse::<Zone>().is_ok());
        let zone = Zone::parse("Asia/Jerusalem").unwrap();
        let winter: DateTime<Utc> = "2026-12-07T20:30:00Z".parse().unwrap();
        assert_eq!(winter.with_timezone(&zone).to_rfc3339(), "2026-12-07T22:30:00+02:00");
        // 02:30 on the last Friday before the last Sunday of March does not
        // exist in Jerusalem; 01:30 on the last Sunday of October happens twice.
        let gap = NaiveDate::from_ymd_opt(2027, 3, 26)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(zone.from_local_datetime(&gap), MappedLocalTime::None);
        let twice = NaiveDate::from_ymd_opt(2027, 10, 31)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert!(matches!(
            zone.from_local_datetime(&twice),
            MappedLocalTime::Ambiguous(..)
        ));
    }
}
