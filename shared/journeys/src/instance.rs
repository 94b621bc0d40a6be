//! A person's time through a journey, all write-once: the instance (who,
//! which version, what entered them), each step's outcome, and the exit.
//! Whoever counts `1` enters a person (once per event and journey, one live
//! copy at a time) or takes a step ([`crate::due`]); nothing is overwritten.

use crate::document::{Catalogue, Journey, Reentry};
use crate::due::{self, Due};
use crate::keys;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::events::{Event, InJourney, What};
use spin_retention_core::happened::Happened;
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{json_bytes, JsonStore, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// `<journey>:<lead_id>:<n>`.
    pub id: String,
    pub journey: String,
    /// The journey's version this person goes through, whatever changes.
    pub version: String,
    pub lead_id: String,
    pub entered_at: DateTime<Utc>,
    /// What entered them (a template's items and amount come from it).
    pub trigger: Happened,
    /// In the holdout: recorded, never sent.
    pub held_out: bool,
    /// The slot of its first due step, which erase deletes.
    pub first_slot: String,
}

/// How a person left: `completed`, `event:<name>` (an exit event),
/// `unsubscribed`, `no_consent`, `no_contact`, `gone` (erased), `archived`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub at: DateTime<Utc>,
    pub why: String,
}

/// What a due step did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The window its turn was taken in (erase deletes the counters).
    pub window: i64,
    /// The slot of the step it scheduled, which erase deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_slot: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Waited {
        until: DateTime<Utc>,
    },
    Sent {
        channel: String,
        message_id: Option<String>,
    },
    /// In the holdout: what would have been sent was not.
    HeldOut {
        channel: String,
    },
    /// Held to a later time: quiet hours, the contact budget, a failed attempt.
    Deferred {
        until: DateTime<Utc>,
        reason: String,
    },
    /// Not sent, and the journey goes on (expired, no address on the channel).
    Skipped {
        reason: String,
    },
    /// The person left here (unsubscribed, no consent): see the exit.
    Exited {
        why: String,
    },
    /// The provider refused for good, or every attempt failed.
    Failed {
        detail: String,
    },
    /// A split: the person goes on at step `to` (`taken`: they were in it,
    /// at its `go_to`; else the next step).
    Split {
        taken: bool,
        to: usize,
    },
    /// lead-alerts took the owner's alert.
    Alerted,
    /// The person's tags changed (or already were so), and lead-scoring
    /// scored them again.
    Tagged,
    /// A `go_to`: the person goes on at step `to`.
    Jumped {
        to: usize,
    },
    /// A `wait_for` listening for its event until then.
    Listening {
        until: DateTime<Utc>,
    },
    /// The event a `wait_for` listened for came: the next step at once.
    Heard {
        event: String,
    },
    /// A `wait_for`'s time ran out: the person goes on at its
    /// `timeout_go_to`.
    TimedOut {
        to: usize,
    },
}

impl Outcome {
    /// How a person went on from a step, as its funnel counts it; `None`
    /// while they are still at it (deferred, listening).
    pub fn funnel_name(&self) -> Option<&'static str> {
        Some(match self {
            Outcome::Deferred { .. } | Outcome::Listening { .. } => return None,
            Outcome::Waited { .. } => "waited",
            Outcome::Sent { .. } => "sent",
            Outcome::HeldOut { .. } => "held_out",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Exited { .. } => "exited",
            Outcome::Failed { .. } => "failed",
            Outcome::Split { taken: true, .. } => "split_taken",
            Outcome::Split { .. } => "split",
            Outcome::Alerted => "alerted",
            Outcome::Tagged => "tagged",
            Outcome::Jumped { .. } => "jumped",
            Outcome::Heard { .. } => "heard",
            Outcome::TimedOut { .. } => "timed_out",
        })
    }

    /// Its name as stored (`outcome`).
    pub fn tag(&self) -> &'static str {
        match self {
            Outcome::Deferred { .. } => "deferred",
            Outcome::Listening { .. } => "listening",
            Outcome::Split { .. } => "split",
            other => other.funnel_name().unwrap_or_default(),
        }
    }

    /// Every [`Outcome::funnel_name`].
    pub const FUNNEL: &'static [&'static str] = &[
        "waited",
        "sent",
        "held_out",
        "skipped",
        "failed",
        "exited",
        "split_taken",
        "split",
        "alerted",
        "tagged",
        "jumped",
        "heard",
        "timed_out",
    ];

    /// The step (and its attempt) that comes after this outcome of `step`
    /// at `attempt`, whether or not there is one.
    pub fn next(&self, step: usize, attempt: u32) -> (usize, u32) {
        match self {
            Outcome::Deferred { .. } | Outcome::Listening { .. } => (step, attempt + 1),
            Outcome::Split { to, .. } | Outcome::Jumped { to } | Outcome::TimedOut { to } => (*to, 0),
            _ => (step + 1, 0),
        }
    }
}

/// An unsubscribe (RFC 8058 one-click, or the preference page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOut {
    pub at: DateTime<Utc>,
    /// `one-click`, `page`.
    pub via: String,
}

/// Whether `pattern` (a journey's `enters_on` or `exits_on`) names it.
pub fn matches(pattern: &str, happened: &Happened) -> bool {
    pattern == happened.name() || pattern == happened.kind
}

pub fn instance_id(journey: &str, lead_id: &str, n: u64) -> String {
    format!("{journey}:{lead_id}:{n}")
}

/// What an event did to the journeys.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Heard {
    pub entered: Vec<String>,
    pub exited: Vec<String>,
    /// Instances whose goal this was.
    pub converted: Vec<String>,
    /// Journeys it would enter that it did not: `<journey>: <why>`.
    pub not_entered: Vec<String>,
    /// Instances whose `wait_for` it was: they go on at once.
    pub woken: Vec<String>,
    /// Times through a detractor recovery this answer recovered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovered: Vec<String>,
    /// Journeys a date enters whose date it set or moved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub armed: Vec<String>,
    /// The `journey.*` events this raised, for webhooks.
    #[serde(skip)]
    pub raised: Vec<Event>,
}

/// An event older than this enters no journey.
pub const MAX_AGE_HOURS: i64 = 24;

/// Exits every live instance an exit event ends, then enters the person in
/// every live journey the event starts, higher priority first (so their
/// first steps are due in that order).
pub fn hear(ctx: &Ctx, catalogue: &Catalogue, happened: &Happened) -> Result<Heard, StoreError> {
    let (woken, raised) = crate::branch::wake(ctx, catalogue, happened)?;
    let mut heard = Heard {
        woken,
        raised,
        ..Heard::default()
    };
    for journey in &catalogue.journeys {
        if journey.goal.as_ref().is_some_and(|g| matches(&g.event, happened)) {
            if let Some((id, event)) = crate::goal::reached(ctx, &catalogue.settings, journey, happened)? {
                heard.converted.push(id);
                heard.raised.push(event);
            }
        }
        if journey.exits_on.iter().any(|e| matches(e, happened)) {
            if let Some((id, event)) =
                exit_live(ctx, journey, &happened.lead_id, &format!("event:{}", happened.name()))?
            {
                heard.exited.push(id);
                heard.raised.push(event);
            }
        }
    }
    heard.armed = crate::armed::hear(ctx, catalogue, happened)?;
    heard.recovered = crate::goal::recovered(ctx, &catalogue.journeys, happened)?;
    // What happened long ago (a late delivery, a replay) exits but enters
    // nobody: a journey acts on the moment.
    if happened.at < ctx.now - chrono::Duration::hours(MAX_AGE_HOURS) {
        return Ok(heard);
    }
    let mut starting: Vec<&Journey> = catalogue
        .journeys
        .iter()
        .filter(|j| j.is_live() && matches(&j.enters_on, happened))
        .collect();
    starting.sort_by_key(|j| std::cmp::Reverse(j.priority));
    for journey in starting {
        match enter(ctx, journey, happened)? {
            Ok(instance) => {
                heard
                    .raised
                    .push(raise(What::JourneyEntered, in_journey(&instance), ctx.now));
                heard.entered.push(instance.id);
            }
            Err(why) => heard.not_entered.push(format!("{}: {why}", journey.id)),
        }
    }
    Ok(heard)
}

/// The person's live instance of `journey`, if any: its id and record.
pub fn live(store: &dyn Store, journey: &str, lead_id: &str) -> Result<Option<Instance>, StoreError> {
    match latest(store, journey, lead_id)? {
        Some((instance, None)) => Ok(Some(instance)),
        _ => Ok(None),
    }
}

/// Numbers of the entries counter that may have no instance: one taken by
/// a request that then lost the race to enter (or died before writing).
const GAPS_READ: u64 = 64;

/// The person's latest time through `journey` and how it ended, if it did:
/// the newest instance written, past the numbers taken without one.
pub fn latest(store: &dyn Store, journey: &str, lead_id: &str) -> Result<Option<(Instance, Option<Exit>)>, StoreError> {
    let n = spin_retention_core::store::counter(store, &keys::entries(journey, lead_id))?;
    for k in (1..=n).rev().take(GAPS_READ as usize) {
        let id = instance_id(journey, lead_id, k);
        if let Some(instance) = store.get_json(&keys::instance(&id))? {
            return Ok(Some((instance, store.get_json(&keys::exit(&id))?)));
        }
    }
    Ok(None)
}

/// Ends the person's live instance of `journey`: its id and its
/// `journey.exited`, if one was live.
pub fn exit_live(
    ctx: &Ctx,
    journey: &Journey,
    lead_id: &str,
    why: &str,
) -> Result<Option<(String, Event)>, StoreError> {
    let Some(instance) = live(ctx.store, &journey.id, lead_id)? else {
        return Ok(None);
    };
    Ok(write_exit(ctx.store, &instance, ctx.now, why)?.map(|event| (instance.id, event)))
}

/// Ends `instance`, unless it has ended already (an exit event and the
/// last step at once: the one read first stands): its `journey.exited`.
pub fn write_exit(
    store: &dyn Store,
    instance: &Instance,
    at: DateTime<Utc>,
    why: &str,
) -> Result<Option<Event>, StoreError> {
    let key = keys::exit(&instance.id);
    if store.exists(&key)? {
        return Ok(None);
    }
    store.set_json(
        &key,
        &Exit {
            at,
            why: why.to_string(),
        },
    )?;
    count(store, &instance.journey, &format!("exited:{why}"))?;
    let data = InJourney {
        why: Some(why.to_string()),
        ..in_journey(instance)
    };
    Ok(Some(raise(What::JourneyExited, data, at)))
}

/// What a `journey.*` event says of `instance`.
pub fn in_journey(instance: &Instance) -> InJourney {
    InJourney {
        lead_id: instance.lead_id.clone(),
        journey: instance.journey.clone(),
        instance: instance.id.clone(),
        held_out: instance.held_out,
        step: None,
        channel: None,
        message_id: None,
        why: None,
    }
}

/// A `journey.*` event: its id follows the time through (and the step), so
/// raising it twice records it once.
pub fn raise(what: fn(InJourney) -> What, data: InJourney, at: DateTime<Utc>) -> Event {
    let subject = match data.step {
        Some(step) => format!("{}:{step}", data.instance),
        None => data.instance.clone(),
    };
    Event::new(&subject, at, what(data))
}

pub fn count(store: &dyn Store, journey: &str, what: &str) -> Result<(), StoreError> {
    store.increment(&keys::count(journey, what), 1).map(drop)
}

/// Enters the person once per event, never while a copy of the journey is
/// live for them, and again only as its re-entry allows. `Ok(Err(why))`:
/// not entered.
pub(crate) fn enter(
    ctx: &Ctx,
    journey: &Journey,
    happened: &Happened,
) -> Result<Result<Instance, &'static str>, StoreError> {
    let store = ctx.store;
    let lead_id = &happened.lead_id;
    let entries = keys::entries(&journey.id, lead_id);
    let before = spin_retention_core::store::counter(store, &entries)?;
    if let Some((last, exit)) = latest(store, &journey.id, lead_id)? {
        let Some(exit) = exit else {
            return Ok(Err("already in it"));
        };
        if exit.why == "unsubscribed" || exit.why == "gone" {
            return Ok(Err("left for good"));
        }
        match journey.reentry {
            Reentry::Once => return Ok(Err("entered before (reentry: once)")),
            Reentry::AfterDays(days) => {
                let again = last.entered_at.checked_add_signed(chrono::Duration::days(days.into()));
                if again.is_none_or(|again| ctx.now < again) {
                    return Ok(Err("entered too recently (reentry: after_days)"));
                }
            }
            Reentry::Always => {}
        }
    }
    if !journey.when.is_empty() {
        let Some(inputs) = spin_retention_facts::inputs::read_inputs(store, lead_id)? else {
            return Ok(Err("no such person"));
        };
        if !crate::branch::holds(&inputs, &journey.when, ctx.now) {
            return Ok(Err("not who it is for (when)"));
        }
    }
    // First wins: the same event told twice, or two events at once.
    if store.increment(&keys::seen(&journey.id, &happened.id), 1)? != 1 {
        return Ok(Err("this event entered them already"));
    }
    // The one that counts right after what it read enters; another event
    // that read the same leaves a number without an instance, which
    // `latest` passes over.
    let n = store.increment(&entries, 1)? as u64;
    if n != before + 1 {
        return Ok(Err("entered by another event at the same moment"));
    }
    let id = instance_id(&journey.id, lead_id, n);
    let first = Due {
        instance: id.clone(),
        step: 0,
        attempt: 0,
        at: ctx.now,
        first_due: ctx.now,
    };
    let (slot, entry) = due::prepare(store, &first)?;
    let instance = Instance {
        id: id.clone(),
        journey: journey.id.clone(),
        version: journey.version(),
        lead_id: lead_id.clone(),
        entered_at: ctx.now,
        trigger: happened.clone(),
        held_out: held_out(journey, lead_id),
        first_slot: slot.clone(),
    };
    store.set_many(&[(slot, entry), (keys::instance(&id).to_string(), json_bytes(&instance))])?;
    count(store, &journey.id, "entered")?;
    if instance.held_out {
        count(store, &journey.id, "held_out")?;
    }
    Ok(Ok(instance))
}

/// In the holdout: a stable hash of journey and person below the share.
pub fn held_out(journey: &Journey, lead_id: &str) -> bool {
    let hash = spin_retention_core::ids::sha256_hex(&format!("holdout\n{}\n{lead_id}", journey.id));
    let bucket = u64::from_str_radix(&hash[..8], 16).expect("hex") % 100;
    bucket < u64::from(journey.holdout_percent)
}

impl Through {
    /// As the contract says it (`GET /journeys/admin/people/{lead}`).
    pub fn view(&self) -> spin_retention_core::contracts::journeys::TimeThrough {
        use spin_retention_core::contracts::journeys::{InstanceView, Left, StepDone, TimeThrough};
        let i = &self.instance;
        TimeThrough {
            instance: InstanceView {
                id: i.id.clone(),
                journey: i.journey.clone(),
                version: i.version.clone(),
                entered_at: i.entered_at,
                trigger: i.trigger.name(),
                held_out: i.held_out,
            },
            exit: self.exit.as_ref().map(|e| Left {
                at: e.at,
                why: e.why.clone(),
            }),
            steps: self
                .steps
                .iter()
                .map(|s| {
                    let (channel, reason, until) = match &s.done.outcome {
                        Outcome::Sent { channel, .. } | Outcome::HeldOut { channel } => {
                            (Some(channel.clone()), None, None)
                        }
                        Outcome::Deferred { until, reason } => (None, Some(reason.clone()), Some(*until)),
                        Outcome::Skipped { reason }
                        | Outcome::Exited { why: reason }
                        | Outcome::Failed { detail: reason } => (None, Some(reason.clone()), None),
                        Outcome::Waited { until } | Outcome::Listening { until } => (None, None, Some(*until)),
                        _ => (None, None, None),
                    };
                    StepDone {
                        step: s.step,
                        attempt: s.attempt,
                        at: s.done.at,
                        outcome: s.done.outcome.tag().to_string(),
                        channel,
                        reason,
                        until,
                    }
                })
                .collect(),
        }
    }
}

/// One time through a journey, as the person's page shows it.
#[derive(Debug, Serialize)]
pub struct Through {
    pub instance: Instance,
    pub exit: Option<Exit>,
    pub steps: Vec<StepTaken>,
}

#[derive(Debug, Serialize)]
pub struct StepTaken {
    pub step: usize,
    pub attempt: u32,
    #[serde(flatten)]
    pub done: Done,
}

/// The instance `id`, its exit and each step's outcome, in order.
pub fn history(store: &dyn Store, id: &str) -> Result<Option<Through>, StoreError> {
    let Some(instance) = store.get_json(&keys::instance(id))? else {
        return Ok(None);
    };
    let exit = store.get_json(&keys::exit(id))?;
    let mut steps = Vec::new();
    let (mut step, mut attempt) = (0, 0);
    // Each step's attempts in turn: a step moves on after its last.
    while steps.len() < 1000 {
        let due = Due {
            instance: id.to_string(),
            step,
            attempt,
            at: instance.entered_at,
            first_due: instance.entered_at,
        };
        match store.get_json(&keys::done(&due))? {
            Some(done) => {
                let next = done.outcome.next(step, attempt);
                steps.push(StepTaken { step, attempt, done });
                (step, attempt) = next;
            }
            None => break,
        }
    }
    Ok(Some(Through { instance, exit, steps }))
}
