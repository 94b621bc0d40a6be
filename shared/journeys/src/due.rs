//! Time without timers: each step that is due later sits in the log of the
//! minute it is due (`journeys-due:<minute>`), and a tick walks the minutes
//! from the first that may still hold pending work up to now. So a tick's
//! cost follows the steps due (and the minutes passed), never the number of
//! people in journeys. Each step is taken once ([`turns::take`]: a taker
//! that died is replaced a few minutes later), so ticks may run at once.
//!
//! A minute's log is settled once no writer can still append to it (a few
//! minutes after it ended); the tick then passes it and deletes it.

use crate::document::{Catalogue, Status};
use crate::instance::{self, Done, Instance, Outcome};
use crate::keys;
use crate::step;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc;
use spin_retention_core::events::{Event, InJourney, What};
use spin_retention_core::ports::Ctx;
use spin_retention_core::slots;
use spin_retention_core::store::{decode_json, json_bytes, JsonStore, Store, StoreError};
use spin_retention_core::turns;
use spin_retention_core::walk::{self, Visit};

/// A step due: the instance, the step, its attempt (a deferral or a retry
/// is the next attempt), when it is due, and when it was first due.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Due {
    pub instance: String,
    pub step: usize,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub first_due: DateTime<Utc>,
}

pub fn minute(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

/// A minute's log is settled this many minutes after it ended: no request
/// that read its clock before then is still appending.
pub const SETTLE_MINUTES: i64 = 5;

/// The most minutes one tick reads (a tick after a long outage catches up
/// over several).
const MAX_MINUTES: i64 = 24 * 60;

/// How long one tick takes steps. Its clock is read when it starts, so this
/// bounds how far behind it can be (with one provider call of at most 30 s
/// after it): well under the [`SETTLE_MINUTES`] after which another tick
/// passes a minute, and under the two windows of [`turns::RETAKE_SECONDS`]
/// within which a step taken is never taken again.
/// Under the 10 s in which a caller (lead-intake's tick) waits for the
/// first byte of the answer, so the answer is never lost.
pub const BUDGET: std::time::Duration = std::time::Duration::from_secs(8);

/// The write that puts `due` into its minute's log (the slot taken now).
pub fn prepare(store: &dyn Store, due: &Due) -> Result<(String, Vec<u8>), StoreError> {
    let mut writes = slots::prepare_append(store, &keys::due(minute(due.at)), &[json_bytes(due)])?;
    Ok(writes.remove(0))
}

/// Where the first tick starts: written when journeys are first set, before
/// anyone can enter one.
pub fn start_marking(store: &dyn Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    if store.get_json(&keys::due_mark())?.is_none() {
        store.set_json(&keys::due_mark(), &(minute(now) - 1))?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ticked {
    /// Steps taken.
    pub worked: u64,
    /// Minutes read.
    pub minutes: i64,
    /// The first minute that may still hold pending work.
    pub mark: Option<i64>,
    /// Work a later tick (soon) will find: the limit was reached, or more
    /// minutes are left than one tick reads.
    pub more: bool,
    /// The `journey.*` events the steps raised, for webhooks.
    #[serde(skip)]
    pub raised: Vec<Event>,
}

/// One tick: every step due by now, up to `limit` of them.
pub fn tick(ctx: &Ctx, limit: u64) -> Result<Ticked, StoreError> {
    run(ctx, limit, None)
}

/// [`tick`] for one instance only (the dry run's, over an overlay of the
/// store): every other entry is passed as if finished.
pub fn tick_only(ctx: &Ctx, limit: u64, instance: &str) -> Result<Ticked, StoreError> {
    run(ctx, limit, Some(instance))
}

fn run(ctx: &Ctx, limit: u64, only: Option<&str>) -> Result<Ticked, StoreError> {
    let store = ctx.store;
    let Some(mark) = store.get_json(&keys::due_mark())? else {
        return Ok(Ticked::default());
    };
    let (catalogue, _) = admin_doc::current::<Catalogue>(store)?;
    let now = minute(ctx.now);
    let last = now.min(mark + MAX_MINUTES - 1);
    let mut ticked = Ticked {
        mark: Some(mark),
        ..Ticked::default()
    };
    let mut passed = mark;
    let mut open = false;
    let started = std::time::Instant::now();
    let in_time = || started.elapsed() < BUDGET;
    let raised = std::cell::RefCell::new(Vec::new());
    for m in mark..=last {
        if ticked.worked >= limit || !in_time() {
            ticked.more = true;
            break;
        }
        ticked.minutes += 1;
        let log = keys::due(m);
        let settled = m < now - SETTLE_MINUTES;
        let visit = |bytes: &[u8]| match in_time() {
            true => visit(ctx, &catalogue, &log, bytes, only, &mut raised.borrow_mut()),
            false => Ok(Visit::Waiting),
        };
        let left = limit - ticked.worked;
        let walked = if settled {
            walk::settled(store, &log, &keys::due_from(m), left, visit)?
        } else {
            walk::unfinished(store, &log, &keys::due_from(m), left, visit)?
        };
        ticked.worked += walked.worked;
        if walked.worked >= left || !in_time() {
            // Stopped at the limit or out of time: this minute may hold more.
            ticked.more = true;
            break;
        }
        if settled && !open && all_finished(store, &log, m)? {
            // An empty minute costs its reads only.
            if slots::len(store, &log)? > 0 {
                slots::erase(store, &log)?;
            }
            spin_retention_core::store::delete_if_present(store, &keys::due_from(m))?;
            passed = m + 1;
        } else {
            open = true;
        }
    }
    ticked.more |= last < now;
    ticked.raised = raised.into_inner();
    if passed > mark {
        // A plain value: a tick that read an older mark can only move it
        // back, costing a re-read of minutes already passed.
        store.set_json(&keys::due_mark(), &passed)?;
        ticked.mark = Some(passed);
    }
    Ok(ticked)
}

fn all_finished(store: &dyn Store, log: &str, m: i64) -> Result<bool, StoreError> {
    let len = slots::len(store, log)?;
    Ok(len == 0 || store.get_json(&keys::due_from(m))?.is_some_and(|from| from > len))
}

fn visit(
    ctx: &Ctx,
    catalogue: &Catalogue,
    log: &str,
    bytes: &[u8],
    only: Option<&str>,
    raised: &mut Vec<Event>,
) -> Result<Visit, StoreError> {
    let store = ctx.store;
    let due: Due = match decode_json(log, bytes) {
        Ok(due) => due,
        Err(e) => {
            // An entry that enters a person (the dry run follows one
            // instance: no date enters it).
            if let Ok(arm) = decode_json::<crate::armed::Arm>(log, bytes) {
                return match only {
                    Some(_) => Ok(Visit::Finished),
                    None => crate::armed::visit(ctx, catalogue, &arm, raised),
                };
            }
            // Never a step this job wrote: passed (and said), so it cannot
            // hold every later minute back.
            eprintln!("journeys: an unreadable due step passed: {e}");
            return Ok(Visit::Finished);
        }
    };
    if only.is_some_and(|only| only != due.instance) {
        return Ok(Visit::Finished);
    }
    if due.at > ctx.now {
        return Ok(Visit::Waiting);
    }
    if store.exists(&keys::done(&due))? {
        return Ok(Visit::Finished);
    }
    let Some(instance) = store.get_json(&keys::instance(&due.instance))? else {
        return Ok(Visit::Finished); // erased
    };
    if store.exists(&keys::exit(&instance.id))? {
        return Ok(Visit::Finished);
    }
    if !turns::take(store, |w| keys::turn(&due, w), due.at, ctx.now)? {
        return Ok(Visit::Waiting); // another tick has it
    }
    let window = turns::window(due.at, ctx.now);
    let status = catalogue
        .journeys
        .iter()
        .find(|j| j.id == instance.journey)
        .map_or(Status::Archived, |j| j.status);
    let outcome = match status {
        Status::Archived => Outcome::Exited { why: "archived".into() },
        // Held while paused; resumed, it goes on where it was.
        Status::Paused => Outcome::Deferred {
            until: ctx.now + chrono::Duration::hours(1),
            reason: "paused".into(),
        },
        Status::Live => match store.get_json(&keys::version(&instance.journey, &instance.version))? {
            Some(journey) => step::take(ctx, &catalogue.settings, &journey, &instance, &due)?,
            None => Outcome::Exited { why: "archived".into() },
        },
    };
    raised.extend(record(ctx, &instance, &due, outcome, window)?);
    Ok(Visit::Completed)
}

/// Writes what a step did and schedules what comes next: the same step
/// again (deferred), the next step, or the exit. Answers the `journey.*`
/// events it raised (a message sent, an exit).
pub fn record(
    ctx: &Ctx,
    instance: &Instance,
    due: &Due,
    outcome: Outcome,
    window: i64,
) -> Result<Vec<Event>, StoreError> {
    let store = ctx.store;
    let steps = match store.get_json(&keys::version(&instance.journey, &instance.version))? {
        Some(journey) => journey.steps.len(),
        None => 0,
    };
    let (step, attempt) = outcome.next(due.step, due.attempt);
    let next = match &outcome {
        Outcome::Exited { .. } => None,
        // The same step again, as first due (a deferral expires from then).
        Outcome::Deferred { until, .. } | Outcome::Listening { until } => Some(Due {
            attempt,
            at: *until,
            ..due.clone()
        }),
        Outcome::Waited { until } => Some(Due {
            step,
            attempt,
            at: *until,
            first_due: *until,
            ..due.clone()
        }),
        _ => Some(Due {
            step,
            attempt,
            at: ctx.now,
            first_due: ctx.now,
            ..due.clone()
        }),
    };
    let next = next.filter(|n| n.step < steps);
    let mut writes = Vec::new();
    let mut next_slot = None;
    if let Some(next) = &next {
        let (slot, entry) = prepare(store, next)?;
        next_slot = Some(slot.clone());
        writes.push((slot, entry));
    }
    let counted = match &outcome {
        Outcome::Sent { .. } => "sent".to_string(),
        Outcome::HeldOut { .. } => "held_out_sends".to_string(),
        // `provider: HTTP 503` counts as `provider`.
        Outcome::Deferred { reason, .. } => format!("deferred:{}", reason.split(':').next().unwrap_or_default()),
        Outcome::Skipped { reason } => format!("skipped:{reason}"),
        Outcome::Failed { .. } => "failed".to_string(),
        Outcome::Heard { .. } => "wait_for:heard".to_string(),
        Outcome::Alerted => "alerted".to_string(),
        Outcome::Tagged => "tagged".to_string(),
        Outcome::TimedOut { .. } => "wait_for:timed_out".to_string(),
        Outcome::Split { taken: true, .. } => "split:taken".to_string(),
        Outcome::Waited { .. }
        | Outcome::Exited { .. }
        | Outcome::Split { .. }
        | Outcome::Jumped { .. }
        | Outcome::Listening { .. } => String::new(),
    };
    let exit = match (&outcome, &next) {
        (Outcome::Exited { why }, _) => Some(why.clone()),
        (_, None) => Some("completed".to_string()),
        _ => None,
    };
    let funnel = outcome.funnel_name().map(|name| format!("step:{}:{name}", due.step));
    let mut raised = Vec::new();
    if let Outcome::Sent { channel, message_id } = &outcome {
        let data = InJourney {
            step: Some(due.step),
            channel: Some(channel.clone()),
            message_id: message_id.clone(),
            ..instance::in_journey(instance)
        };
        raised.push(instance::raise(What::JourneyMessageSent, data, ctx.now));
    }
    let done = Done {
        at: ctx.now,
        outcome,
        window,
        next_slot,
    };
    writes.push(keys::done(due).entry(&done));
    store.set_many(&writes)?;
    for counted in std::iter::once(counted).chain(funnel).filter(|c| !c.is_empty()) {
        instance::count(store, &instance.journey, &counted)?;
    }
    if let Some(why) = exit {
        raised.extend(instance::write_exit(store, instance, ctx.now, &why)?);
    }
    Ok(raised)
}
