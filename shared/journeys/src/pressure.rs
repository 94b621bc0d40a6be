//! Contact pressure: one budget per person and channel across every
//! journey (at most one marketing message per `gap_hours`, `per_week` a
//! week), and quiet hours in the person's time zone ([`zone_of`]). A message over
//! budget or in quiet hours is held to the next open time, never dropped
//! (unless it outlives its journey's `expire_after_hours`); transactional
//! messages are exempt.
//!
//! The budget is counted with `increment` alone: the first to count `1`
//! in a window of `gap_hours` has the window's slot, and a message is also
//! held until `gap_hours` after the last one sent (`journeys-sent:` holds
//! its time once sent), so two windows' messages never come close together.

use crate::document::{Channel, Settings};
use crate::keys;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use spin_retention_core::lead::Lead;
use spin_retention_core::store::{Store, StoreError};
use spin_retention_zones::Zone;

/// The person's time zone: their country's, when it has one zone (IL:
/// Asia/Jerusalem), else the business's `settings.time_zone` (a country of
/// several zones, such as the US, or none given).
pub fn zone_of(settings: &Settings, lead: &Lead) -> Zone {
    lead.contact
        .country
        .as_deref()
        .and_then(Zone::of_country)
        .or_else(|| Zone::parse(&settings.time_zone))
        .unwrap_or_else(Zone::utc)
}

/// When quiet hours (in `zone`) that hold `now` end, if they do.
pub fn quiet_until(settings: &Settings, zone: Zone, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = NaiveTime::parse_from_str(&settings.quiet_hours.start, "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(&settings.quiet_hours.end, "%H:%M").ok()?;
    let local = now.with_timezone(&zone);
    let t = local.time();
    let quiet = match start.cmp(&end) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Less => start <= t && t < end,
        std::cmp::Ordering::Greater => t >= start || t < end,
    };
    if !quiet {
        return None;
    }
    let day = if t < end {
        local.date_naive()
    } else {
        local.date_naive() + Duration::days(1)
    };
    crate::local::to_utc(zone, day.and_time(end))
}

/// A time a held message becomes due, later for a lower priority (a minute
/// per ten points), so when a slot opens the higher priority takes it.
pub fn in_priority_order(at: DateTime<Utc>, priority: u8) -> DateTime<Utc> {
    at + Duration::minutes(i64::from(100 - priority.min(100)) / 10)
}

fn gap(settings: &Settings, channel: Channel) -> Duration {
    Duration::hours(settings.budget(channel).gap_hours.max(1).into())
}

fn window(settings: &Settings, channel: Channel, at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(gap(settings, channel).num_seconds())
}

/// The budget's channel: SMS and WhatsApp share one.
fn lane(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Sms | Channel::Whatsapp => "sms",
    }
}

fn iso_week(at: DateTime<Utc>) -> String {
    spin_retention_core::calendar::iso_week(at.date_naive())
}

/// Takes the person's slot on `channel` now; `Err(when)`: over budget,
/// held to `when`.
pub fn claim(
    store: &dyn Store,
    settings: &Settings,
    lead_id: &str,
    channel: Channel,
    priority: u8,
    now: DateTime<Utc>,
) -> Result<Result<(), DateTime<Utc>>, StoreError> {
    let lane = lane(channel);
    let gap = gap(settings, channel);
    let w = window(settings, channel, now);
    // The window before: its message, if it was sent less than a gap ago.
    if let Some(bytes) = store.get(&keys::sent(lead_id, lane, w - 1))? {
        if let Ok(at) = serde_json::from_slice::<DateTime<Utc>>(&bytes) {
            if now < at + gap {
                return Ok(Err(in_priority_order(at + gap, priority)));
            }
        }
    }
    let week = keys::week(lead_id, lane, &iso_week(now));
    if store.increment(&week, 1)? > i64::from(settings.budget(channel).per_week) {
        store.increment(&week, -1)?;
        return Ok(Err(in_priority_order(next_monday(now), priority)));
    }
    let taken = keys::sent(lead_id, lane, w);
    if store.exists(&taken)? || store.increment(&format!("{taken}:n"), 1)? != 1 {
        store.increment(&week, -1)?;
        let next = DateTime::from_timestamp((w + 1) * gap.num_seconds(), 0).expect("in range");
        return Ok(Err(in_priority_order(next, priority)));
    }
    store.set(&taken, &serde_json::to_vec(&now).expect("times serialise"))?;
    Ok(Ok(()))
}

/// Gives back a slot taken for a message the provider did not take.
pub fn release(
    store: &dyn Store,
    settings: &Settings,
    lead_id: &str,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let lane = lane(channel);
    let taken = keys::sent(lead_id, lane, window(settings, channel, now));
    store.delete_many(&[taken.clone(), format!("{taken}:n")])?;
    store
        .increment(&keys::week(lead_id, lane, &iso_week(now)), -1)
        .map(drop)
}

fn next_monday(now: DateTime<Utc>) -> DateTime<Utc> {
    let days = 7 - i64::from(now.weekday().num_days_from_monday());
    let day = now.date_naive() + Duration::days(days);
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// The keys of what the person's sends counted, for erase: every window
/// and week a send at `at` touched.
pub fn keys_of_send(settings: &Settings, lead_id: &str, channel: Channel, at: DateTime<Utc>) -> Vec<String> {
    let lane = lane(channel);
    let taken = keys::sent(lead_id, lane, window(settings, channel, at));
    vec![
        taken.clone(),
        format!("{taken}:n"),
        keys::week(lead_id, lane, &iso_week(at)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Catalogue, QuietHours};
    use spin_retention_core::admin_doc::Document;
    use spin_retention_core::store::MemoryStore;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn jerusalem() -> Zone {
        Zone::parse("Asia/Jerusalem").unwrap()
    }

    fn settings(zone: &str) -> Settings {
        let mut s = Catalogue::defaults().settings;
        s.time_zone = zone.into();
        s
    }

    #[test]
    fn quiet_hours_hold_to_eight_local_across_dst() {
        let s = settings("Asia/Jerusalem");
        // 22:30 local in winter (UTC+2): held to 08:00 local, 06:00 UTC.
        assert_eq!(
            quiet_until(&s, jerusalem(), at("2026-12-07T20:30:00Z")),
            Some(at("2026-12-08T06:00:00Z"))
        );
        // 06:59 local in summer (UTC+3): held to 08:00 local, 05:00 UTC.
        assert_eq!(
            quiet_until(&s, jerusalem(), at("2026-07-01T03:59:00Z")),
            Some(at("2026-07-01T05:00:00Z"))
        );
        assert_eq!(
            quiet_until(&s, jerusalem(), at("2026-12-07T10:00:00Z")),
            None,
            "noon is not quiet"
        );
        let mut none = s.clone();
        none.quiet_hours = QuietHours {
            start: "00:00".into(),
            end: "00:00".into(),
        };
        assert_eq!(quiet_until(&none, jerusalem(), at("2026-12-07T20:30:00Z")), None);
    }

    #[test]
    fn one_message_per_gap_and_per_week_then_held_in_priority_order() {
        let store = MemoryStore::new();
        let s = settings("UTC");
        let now = at("2026-12-07T09:00:00Z");
        assert_eq!(claim(&store, &s, "l_1", Channel::Email, 80, now).unwrap(), Ok(()));
        // The window of 16 h from 00:00 is taken: held to 16:00, the
        // lower priority later.
        let high = claim(&store, &s, "l_1", Channel::Email, 80, now).unwrap().unwrap_err();
        let low = claim(&store, &s, "l_1", Channel::Email, 50, now).unwrap().unwrap_err();
        assert_eq!(high, at("2026-12-07T16:02:00Z"));
        assert!(low > high);
        // At 16:02 the next window opens, but the last message was 7 h ago.
        let held = claim(&store, &s, "l_1", Channel::Email, 80, high).unwrap().unwrap_err();
        assert_eq!(held, at("2026-12-08T01:02:00Z"));
        assert_eq!(claim(&store, &s, "l_1", Channel::Email, 80, held).unwrap(), Ok(()));
        // SMS has a budget of its own; another person too.
        assert_eq!(claim(&store, &s, "l_1", Channel::Sms, 80, now).unwrap(), Ok(()));
        assert_eq!(claim(&store, &s, "l_2", Channel::Email, 80, now).unwrap(), Ok(()));
        // A third this week, then a fourth held to Monday.
        let third = at("2026-12-09T09:00:00Z");
        assert_eq!(claim(&store, &s, "l_1", Channel::Email, 80, third).unwrap(), Ok(()));
        let fourth = claim(&store, &s, "l_1", Channel::Email, 80, at("2026-12-11T09:00:00Z"));
        assert_eq!(fourth.unwrap().unwrap_err(), at("2026-12-14T00:02:00Z"));
        // A slot given back is free again.
        release(&store, &s, "l_1", Channel::Email, third).unwrap();
        assert_eq!(claim(&store, &s, "l_1", Channel::Email, 80, third).unwrap(), Ok(()));
    }
}
