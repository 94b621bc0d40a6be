//! Journeys that a date enters, not an event: a birthday, the anniversary
//! of the first purchase (each year), a time without an event
//! (`inactive:<name>`), the day a regular customer should reorder
//! (`replenishment`). Each is the date the trigger names plus the journey's
//! `offset_days`.
//!
//! When journeys hears of something that sets or moves that date (the
//! person arriving, a purchase, the event an inactivity counts from), it
//! *arms* the person: one record per journey and person (`journey-armed:`)
//! says when they enter, and an entry in that minute's log of the tick
//! ([`crate::due`]) comes back then. So time triggers cost the tick what is
//! due, never a scan of everyone. An entry whose time is no longer the
//! armed one (a purchase moved it, an erase took it) is passed; a yearly
//! date arms the next year as it enters.

use crate::document::{Catalogue, Journey};
use crate::{instance, keys};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::events::{Event, What};
use spin_retention_core::happened::Happened;
use spin_retention_core::ports::Ctx;
use spin_retention_core::slots;
use spin_retention_core::store::{json_bytes, JsonStore, StoreError};
use spin_retention_core::turns;
use spin_retention_core::walk::Visit;

/// What a time trigger counts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timed<'a> {
    /// `date:birthday`: the person's birthday (`MM-DD`, from a form or the
    /// shop), each year, at the start of their day.
    Birthday,
    /// `date:first_purchase`: the day of the first purchase, each year.
    FirstPurchase,
    /// `inactive:<name>`: the last `<name>` (an `enters_on` name), when no
    /// other came after it.
    Inactive(&'a str),
    /// `replenishment`: the last purchase plus the customer's own typical
    /// interval between orders (two orders at least).
    Replenishment,
}

/// The time triggers an `enters_on` may name, besides `inactive:<name>`.
pub const DATES: &[&str] = &["date:birthday", "date:first_purchase", "replenishment"];

impl<'a> Timed<'a> {
    pub fn of(enters_on: &'a str) -> Option<Timed<'a>> {
        match enters_on {
            "date:birthday" => Some(Timed::Birthday),
            "date:first_purchase" => Some(Timed::FirstPurchase),
            "replenishment" => Some(Timed::Replenishment),
            _ => enters_on.strip_prefix("inactive:").map(Timed::Inactive),
        }
    }

    /// What journeys must hear to arm a person: the names it listens for.
    pub fn armed_by(&self) -> Vec<&'a str> {
        match self {
            Timed::Birthday => vec!["lead.created", "purchase"],
            Timed::FirstPurchase | Timed::Replenishment => vec!["purchase"],
            Timed::Inactive(name) => vec![name],
        }
    }

    fn yearly(&self) -> bool {
        matches!(self, Timed::Birthday | Timed::FirstPurchase)
    }
}

/// `journey-armed:<journey>:<lead>`: when the person enters, and the slot
/// of the minute's log that brings them (which erase deletes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Armed {
    pub at: DateTime<Utc>,
    pub slot: String,
}

/// An entry of a minute's log that enters a person (beside the due steps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    pub enters: String,
    pub lead_id: String,
    pub at: DateTime<Utc>,
}

/// Arms the person for every live timed journey that `happened` sets the
/// date of: the journeys armed.
pub fn hear(ctx: &Ctx, catalogue: &Catalogue, happened: &Happened) -> Result<Vec<String>, StoreError> {
    let mut armed = Vec::new();
    for journey in catalogue.journeys.iter().filter(|j| j.is_live()) {
        let Some(timed) = Timed::of(&journey.enters_on) else {
            continue;
        };
        if !timed.armed_by().iter().any(|name| instance::matches(name, happened)) {
            continue;
        }
        if let Some(at) = when(ctx, catalogue, journey, &timed, &happened.lead_id, Some(happened))? {
            if arm(ctx, journey, &happened.lead_id, at)? {
                armed.push(journey.id.clone());
            }
        }
    }
    Ok(armed)
}

/// When the person next enters `journey`, from what is stored of them (and
/// `happened`, an inactivity's start): `None`, never (no birthday given, no
/// second order, a date passed).
fn when(
    ctx: &Ctx,
    catalogue: &Catalogue,
    journey: &Journey,
    timed: &Timed,
    lead_id: &str,
    happened: Option<&Happened>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let offset = Duration::days(journey.offset_days.into());
    let at = match timed {
        Timed::Inactive(_) => happened.map(|h| h.at + offset),
        Timed::Replenishment => spin_retention_core::customer::load(ctx.store, lead_id)?.and_then(|c| {
            let interval = Duration::seconds((c.typical_interval_days? * 86_400.0) as i64);
            Some(c.last_purchase_at? + interval + offset)
        }),
        Timed::Birthday | Timed::FirstPurchase => {
            let Some(lead) = spin_retention_core::lead::load(ctx.store, lead_id)? else {
                return Ok(None);
            };
            let zone = crate::pressure::zone_of(&catalogue.settings, &lead);
            let day = match timed {
                Timed::Birthday => lead.contact.birthday.as_deref().and_then(month_day),
                _ => spin_retention_core::customer::load(ctx.store, lead_id)?
                    .and_then(|c| c.first_purchase_at)
                    .map(|at| {
                        let local = at.with_timezone(&zone).date_naive();
                        (local.month(), local.day())
                    }),
            };
            day.and_then(|(month, date)| next_yearly(month, date, journey.offset_days, zone, ctx.now))
        }
    };
    // A date just passed (a replayed event) enters now; the tick has
    // passed the minutes before now, so nothing is armed for them.
    Ok(at
        .filter(|at| *at >= ctx.now - Duration::hours(instance::MAX_AGE_HOURS))
        .map(|at| at.max(ctx.now)))
}

fn month_day(mm_dd: &str) -> Option<(u32, u32)> {
    let (m, d) = mm_dd.split_once('-')?;
    Some((m.parse().ok()?, d.parse().ok()?))
}

/// The first start of a local day, `offset_days` from the day `month`-`date`
/// of some year, that is still to come (29 February is 28 February in
/// other years).
pub fn next_yearly(
    month: u32,
    date: u32,
    offset_days: i32,
    zone: spin_retention_zones::Zone,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let year = now.with_timezone(&zone).year();
    (year - 1..=year + 2)
        .filter_map(|year| {
            let day = NaiveDate::from_ymd_opt(year, month, date)
                .or_else(|| NaiveDate::from_ymd_opt(year, month, date - 1))?;
            crate::local::to_utc(zone, (day + Duration::days(offset_days.into())).and_hms_opt(0, 0, 0)?)
        })
        .find(|at| *at > now)
}

/// Sets the person's entry into `journey` at `at`, unless it is set for
/// then already: whether it was set now. The entry it replaces leaves its
/// minute's log, so a log holds no one who will not enter from it.
fn arm(ctx: &Ctx, journey: &Journey, lead_id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
    let store = ctx.store;
    let key = keys::armed(&journey.id, lead_id);
    let before = store.get_json(&key)?;
    if before.as_ref().is_some_and(|a| a.at == at) {
        return Ok(false);
    }
    let entry = Arm {
        enters: journey.id.clone(),
        lead_id: lead_id.to_string(),
        at,
    };
    let mut writes = slots::prepare_append(store, &keys::due(crate::due::minute(at)), &[json_bytes(&entry)])?;
    let slot = writes[0].0.clone();
    writes.push(key.entry(&Armed { at, slot }));
    store.set_many(&writes)?;
    if let Some(before) = before {
        store.delete(&before.slot)?;
    }
    Ok(true)
}

/// The tick's visit of an entry of a minute's log that enters a person.
pub fn visit(ctx: &Ctx, catalogue: &Catalogue, entry: &Arm, raised: &mut Vec<Event>) -> Result<Visit, StoreError> {
    if entry.at > ctx.now {
        return Ok(Visit::Waiting);
    }
    let Some(journey) = catalogue.journeys.iter().find(|j| j.id == entry.enters && j.is_live()) else {
        return Ok(Visit::Finished); // paused or archived: no date enters it
    };
    let happened = Happened {
        // Once per person and date: two ticks, or the entry logged twice,
        // enter once. Hashed: the key it marks names no person.
        id: format!(
            "armed-{}",
            &keys::hashed(&format!("{}:{}:{}", journey.id, entry.lead_id, entry.at.timestamp()))
        ),
        lead_id: entry.lead_id.clone(),
        kind: journey.enters_on.clone(),
        activity: None,
        at: ctx.now,
        order_id: None,
        amount_minor: None,
        currency: None,
        items: Vec::new(),
    };
    if ctx.store.exists(&keys::seen(&journey.id, &happened.id))? {
        return Ok(Visit::Finished);
    }
    let turn = |w| keys::arm_turn(&journey.id, &entry.lead_id, entry.at, w);
    if !turns::take(ctx.store, turn, entry.at, ctx.now)? {
        return Ok(Visit::Waiting); // another tick has it
    }
    raised.extend(enter(ctx, catalogue, journey, entry, &happened)?);
    Ok(Visit::Completed)
}

/// Enters the person if the entry is still the one armed (the way an event
/// enters: `when`, re-entry, one live copy), and arms a yearly date's next
/// year. Answers the `journey.entered` it raised.
fn enter(
    ctx: &Ctx,
    catalogue: &Catalogue,
    journey: &Journey,
    entry: &Arm,
    happened: &Happened,
) -> Result<Option<Event>, StoreError> {
    let Some(timed) = Timed::of(&journey.enters_on) else {
        return Ok(None);
    };
    let armed = ctx.store.get_json(&keys::armed(&journey.id, &entry.lead_id))?;
    if armed.is_none_or(|a| a.at != entry.at) {
        return Ok(None); // moved, or erased
    }
    if timed.yearly() {
        // From the date given now, which may have changed since.
        let tomorrow = Ctx {
            now: entry.at + Duration::days(1),
            ..*ctx
        };
        if let Some(next) = when(&tomorrow, catalogue, journey, &timed, &entry.lead_id, None)? {
            arm(ctx, journey, &entry.lead_id, next)?;
        }
    }
    Ok(instance::enter(ctx, journey, happened)?
        .ok()
        .map(|entered| instance::raise(What::JourneyEntered, instance::in_journey(&entered), ctx.now)))
}
