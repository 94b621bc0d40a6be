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

use crate::document::{Catalogue, Journey, Status};
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
    /// `date:birthday`: the person's birthday (`MM-DD`, from a form), each
    /// year, at the start of their day.
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

/// `journey-armed:<hash of journey and person>`: who enters, when, and the
/// slot of the minute's log that brings them (which erase deletes). The
/// log's entry names only the hash, so one left behind (two arms at once)
/// names nobody once erase has deleted this record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Armed {
    pub lead_id: String,
    pub at: DateTime<Utc>,
    pub slot: String,
}

/// An entry of a minute's log that enters a person (beside the due steps):
/// the journey, the hash of journey and person ([`keys::armed_who`]), when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    pub enters: String,
    pub who: String,
    pub at: DateTime<Utc>,
}

/// Arms the person for every timed journey that `happened` sets the date
/// of: the journeys armed. A paused journey's dates keep moving (it enters
/// nobody, but resumed it counts from the right day); an archived one's
/// stop.
pub fn hear(ctx: &Ctx, catalogue: &Catalogue, happened: &Happened) -> Result<Vec<String>, StoreError> {
    let mut armed = Vec::new();
    for journey in catalogue.journeys.iter().filter(|j| j.status != Status::Archived) {
        let Some(timed) = Timed::of(&journey.enters_on) else {
            continue;
        };
        if !timed.armed_by().iter().any(|name| instance::matches(name, happened)) {
            continue;
        }
        match when(ctx, catalogue, journey, &timed, &happened.lead_id, Some(happened))? {
            Some(at) => {
                armed.extend(arm(ctx, journey, &timed, &happened.lead_id, at, false)?.then(|| journey.id.clone()))
            }
            // The fold no longer gives a reorder (an interval now too
            // short): the one armed from older figures goes.
            None if timed == Timed::Replenishment => disarm(ctx, journey, &happened.lead_id)?,
            None => {}
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
            let last = c.last_purchase_at?;
            // An interval shorter than the offset: no reminder before it
            // was bought.
            Some(last + interval + offset).filter(|at| *at > last)
        }),
        Timed::Birthday | Timed::FirstPurchase => {
            let Some(lead) = spin_retention_core::lead::load(ctx.store, lead_id)? else {
                return Ok(None);
            };
            let zone = crate::pressure::zone_of(&catalogue.settings, &lead);
            let (day, first_year) = match timed {
                Timed::Birthday => (lead.contact.birthday.as_deref().and_then(month_day), None),
                _ => match spin_retention_core::customer::load(ctx.store, lead_id)?.and_then(|c| c.first_purchase_at) {
                    Some(at) => {
                        let local = at.with_timezone(&zone).date_naive();
                        // An anniversary: a year after, at the earliest.
                        (Some((local.month(), local.day())), Some(local.year() + 1))
                    }
                    None => (None, None),
                },
            };
            day.and_then(|(month, date)| next_yearly(month, date, journey.offset_days, zone, ctx.now, first_year))
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
/// of some year (`from_year` or later), that is still to come (29 February
/// is 28 February in other years).
pub fn next_yearly(
    month: u32,
    date: u32,
    offset_days: i32,
    zone: spin_retention_zones::Zone,
    now: DateTime<Utc>,
    from_year: Option<i32>,
) -> Option<DateTime<Utc>> {
    let year = now.with_timezone(&zone).year();
    (year - 1..=year + 2)
        .filter(|y| from_year.is_none_or(|from| *y >= from))
        .filter_map(|year| {
            let day = NaiveDate::from_ymd_opt(year, month, date)
                .or_else(|| NaiveDate::from_ymd_opt(year, month, date - 1))?;
            crate::local::to_utc(zone, (day + Duration::days(offset_days.into())).and_hms_opt(0, 0, 0)?)
        })
        .find(|at| *at > now)
}

/// How long a due yearly entry is left for the tick before an event may
/// arm past it (a tick runs every minute, or on the back of requests).
const PENDING_MINUTES: i64 = 30;

/// The id of the entering an armed entry makes: once per person and date
/// (two ticks, or the entry logged twice, enter once), hashed so the key
/// it marks names no person.
fn entry_id(journey: &str, lead_id: &str, at: DateTime<Utc>) -> String {
    format!(
        "armed-{}",
        keys::hashed(&format!("{}:{}", keys::armed_who(journey, lead_id), at.timestamp()))
    )
}

/// Sets the person's entry into `journey` at `at`, unless it is set for
/// then already: whether it was set now. The entry it replaces leaves its
/// minute's log. An inactivity only moves later (an older event heard late
/// does not bring it back); a reorder follows the customer's fold; a
/// yearly date due moments ago and not yet taken stays for the tick, which
/// arms the next year as it enters (`by_tick`).
fn arm(
    ctx: &Ctx,
    journey: &Journey,
    timed: &Timed,
    lead_id: &str,
    at: DateTime<Utc>,
    by_tick: bool,
) -> Result<bool, StoreError> {
    let store = ctx.store;
    let key = keys::armed(&journey.id, lead_id);
    let before = store.get_json(&key)?;
    if let Some(before) = &before {
        let keep = match timed {
            // Due and still waiting for the tick (a few minutes at most,
            // and not yet taken): the tick enters them and arms next year.
            _ if timed.yearly() => {
                !by_tick
                    && before.at <= ctx.now
                    && ctx.now - before.at < Duration::minutes(PENDING_MINUTES)
                    && !store.exists(&keys::seen(&journey.id, &entry_id(&journey.id, lead_id, before.at)))?
            }
            Timed::Inactive(_) => at < before.at,
            _ => false,
        };
        if before.at == at || keep {
            return Ok(false);
        }
    }
    let entry = Arm {
        enters: journey.id.clone(),
        who: keys::armed_who(&journey.id, lead_id),
        at,
    };
    let mut writes = slots::prepare_append(store, &keys::due(crate::due::minute(at)), &[json_bytes(&entry)])?;
    let slot = writes[0].0.clone();
    writes.push(key.entry(&Armed {
        lead_id: lead_id.to_string(),
        at,
        slot,
    }));
    store.set_many(&writes)?;
    if let Some(before) = before {
        store.delete(&before.slot)?;
    }
    Ok(true)
}

fn disarm(ctx: &Ctx, journey: &Journey, lead_id: &str) -> Result<(), StoreError> {
    let key = keys::armed(&journey.id, lead_id);
    if let Some(before) = ctx.store.get_json(&key)? {
        ctx.store.delete_many(&[before.slot, key.to_string()])?;
    }
    Ok(())
}

/// The tick's visit of an entry of a minute's log that enters a person.
pub fn visit(ctx: &Ctx, catalogue: &Catalogue, entry: &Arm, raised: &mut Vec<Event>) -> Result<Visit, StoreError> {
    if entry.at > ctx.now {
        return Ok(Visit::Waiting);
    }
    let Some(journey) = catalogue
        .journeys
        .iter()
        .find(|j| j.id == entry.enters && j.status != Status::Archived)
    else {
        return Ok(Visit::Finished); // archived: no date enters it
    };
    let Some(timed) = Timed::of(&journey.enters_on) else {
        return Ok(Visit::Finished);
    };
    let key = keys::armed_by_who(&entry.who);
    let Some(armed) = ctx.store.get_json(&key)?.filter(|a: &Armed| a.at == entry.at) else {
        return Ok(Visit::Finished); // moved, or erased
    };
    let happened = Happened {
        id: entry_id(&journey.id, &armed.lead_id, entry.at),
        lead_id: armed.lead_id.clone(),
        kind: journey.enters_on.clone(),
        activity: None,
        at: ctx.now,
        order_id: None,
        amount_minor: None,
        currency: None,
        items: Vec::new(),
    };
    let seen = keys::seen(&journey.id, &happened.id);
    if ctx.store.exists(&seen)? {
        return Ok(Visit::Finished);
    }
    let turn = |w| keys::arm_turn(&happened.id, w);
    if !turns::take(ctx.store, turn, entry.at, ctx.now)? {
        return Ok(Visit::Waiting); // another tick has it
    }
    let mut enters = journey.is_live();
    if timed.yearly() {
        // The date as given now: a birthday edited since it was armed
        // enters on the new day, not this one.
        let just_before = Ctx {
            now: entry.at - Duration::seconds(1),
            ..*ctx
        };
        let still = when(&just_before, catalogue, journey, &timed, &armed.lead_id, None)? == Some(entry.at);
        enters &= still;
        // A paused journey enters nobody but keeps its dates.
        let from = Ctx {
            now: if still { entry.at + Duration::days(1) } else { ctx.now },
            ..*ctx
        };
        if let Some(next) = when(&from, catalogue, journey, &timed, &armed.lead_id, None)? {
            arm(ctx, journey, &timed, &armed.lead_id, next, true)?;
        }
    }
    if enters {
        if let Ok(entered) = instance::enter(ctx, journey, &happened)? {
            raised.push(instance::raise(
                What::JourneyEntered,
                instance::in_journey(&entered),
                ctx.now,
            ));
        }
    }
    // Taken, entered or not (a `when` that did not hold, re-entry): never
    // taken again.
    ctx.store.increment(&seen, 1)?;
    Ok(Visit::Completed)
}
