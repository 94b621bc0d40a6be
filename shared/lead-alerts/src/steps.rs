//! The life of a hot lead's alert: step 0 alerts its assignee (or the
//! owner); while nobody claims it, each time the SLA runs out the next
//! available member is alerted, and after `max_reassignments` the owner.
//!
//! Each step is written once by whoever counts `1` on its claim counter, so
//! two ticks (or a tick and a hand-off) at once alert once. The counter is
//! per window of time counted from the step's due time
//! ([`crate::record::take_turn`]): a taker that died before writing leaves
//! the step to a later window.

use crate::alert::{self, Alert};
use crate::emit;
use crate::keys;
use crate::links::{self, Action};
use crate::record::{take_turn, LeadAlerts, Person, Step, Why};
use crate::settings::{self, Settings};
use chrono::{DateTime, Utc};
use spin_retention_core::events::{Event, What};
use spin_retention_core::lead::{History, Lead};
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::{JsonStore, StoreError};
use spin_retention_core::walk::Visit;
use spin_retention_scores::rules::Member;
use spin_retention_scores::ScoreRecord;

/// What a request changed: the lead's alerts and the events to deliver.
pub struct Changed {
    pub alerts: LeadAlerts,
    pub events: Vec<Event>,
}

/// `POST /alerts/leads/<id>` (lead-scoring's tell): alert a hot lead's
/// assignee, once. `None` when the lead is gone or not hot.
pub fn alert_lead(ctx: &Ctx, lead_id: &str) -> Result<Option<Changed>, StoreError> {
    let store = ctx.store;
    let score: Option<ScoreRecord> = store.get_json(&keys::score(lead_id))?;
    let Some(score) = score.filter(|s| s.queue.is_some()) else {
        return Ok(None);
    };
    let alerts = crate::record::load(store, lead_id)?;
    // Alerted already, or someone has it (say, from the owner's alert of
    // the submission): nothing to send.
    if !alerts.steps.is_empty() || alerts.claimed.is_some() || alerts.contacted.is_some() {
        return Ok(Some(Changed {
            alerts,
            events: Vec::new(),
        }));
    }
    let Some(history) = spin_retention_core::lead::load_history(store, lead_id)? else {
        return Ok(None);
    };
    let settings = settings::current(store)?;
    let to = match &score.assignment {
        Some(a) => Person {
            member_id: Some(a.member_id.clone()),
            name: a.member_name.clone(),
        },
        None => owner(&settings),
    };
    let since = score
        .assignment
        .as_ref()
        .map_or(history.lead.created_at, |a| a.assigned_at);
    let mut events = Vec::new();
    if let Some(step) = take(ctx, &settings, &history, Some(&score), 0, Why::Assigned, to, since)? {
        events.push(emit::lead_event(
            What::LeadHot,
            &history.lead,
            Some(&score),
            &step,
            ctx.now,
        ));
        events.push(emit::lead_event(
            What::LeadAssigned,
            &history.lead,
            Some(&score),
            &step,
            ctx.now,
        ));
    }
    Ok(Some(Changed {
        alerts: crate::record::load(store, lead_id)?,
        events,
    }))
}

pub fn owner(settings: &Settings) -> Person {
    Person {
        member_id: None,
        name: settings
            .owner
            .as_ref()
            .map_or_else(|| "Owner".into(), |o| o.name.clone()),
    }
}

/// The team (the scoring rules' routing), for names and emails.
pub fn team(ctx: &Ctx) -> Result<Vec<Member>, StoreError> {
    spin_retention_scores::rules::team(ctx.store)
}

/// The person a link or an admin names: a member by id, or `owner`.
pub fn person(ctx: &Ctx, who: &str) -> Result<Option<Person>, StoreError> {
    if who == "owner" {
        return Ok(Some(owner(&settings::current(ctx.store)?)));
    }
    Ok(team(ctx)?.into_iter().find(|m| m.id == who).map(|m| Person {
        member_id: Some(m.id),
        name: m.name,
    }))
}

/// Takes step `n` if nobody has: alerts `to` and records the step.
#[allow(clippy::too_many_arguments)]
fn take(
    ctx: &Ctx,
    settings: &Settings,
    history: &History,
    score: Option<&ScoreRecord>,
    n: u32,
    why: Why,
    to: Person,
    since: DateTime<Utc>,
) -> Result<Option<Step>, StoreError> {
    let store = ctx.store;
    let lead = &history.lead;
    if !take_turn(store, |w| keys::step_claim(&lead.id, n, w), since, ctx.now)? {
        return Ok(None);
    }
    let latest = history.submissions.last();
    let ttl = settings.link_ttl_hours;
    let link = |action| links::url(ctx.config, &links::claims(&lead.id, to.key(), action, ctx.now, ttl));
    let alert = Alert {
        id: format!("alert_{}_{n}", lead.id),
        lead,
        latest,
        score,
        to: &to,
        why,
        note: None,
        claim_url: link(Action::Claim),
        contact_url: link(Action::Contact),
    };
    let team = team(ctx)?;
    let (recipient, team_email) = match &to.member_id {
        Some(id) => (
            settings.members.get(id),
            team.iter().find(|m| &m.id == id).and_then(|m| m.email.as_deref()),
        ),
        None => (settings.owner.as_ref().map(|o| &o.recipient), None),
    };
    let sent = alert::send(ctx, &alert.notice(), recipient, team_email, ctx.now);
    let mut writes = Vec::new();
    if n == 0 {
        let entry = vec![lead.id.clone().into_bytes()];
        let week =
            spin_retention_core::calendar::iso_week(latest.map_or(lead.updated_at, |s| s.received_at).date_naive());
        writes.extend(spin_retention_core::slots::prepare_append(
            store,
            keys::ALERTED,
            &entry,
        )?);
        writes.extend(spin_retention_core::slots::prepare_append(
            store,
            &keys::alerted_week(&week),
            &entry,
        )?);
    }
    let step = Step {
        window: crate::record::window(since, ctx.now),
        logged: writes.iter().map(|(key, _)| key.clone()).collect(),
        n,
        why,
        to,
        at: ctx.now,
        due: (why != Why::Escalated).then(|| settings.sla.working_hours.add(ctx.now, settings.sla.minutes.into())),
        intake_at: latest.map_or(lead.updated_at, |s| s.received_at),
        alert: sent,
    };
    writes.push(keys::step(&lead.id, n).entry(&step));
    store.set_many(&writes)?;
    // Erased while we alerted: leave nothing of them behind.
    if !spin_retention_core::lead::exists(store, &lead.id)? {
        crate::forget(store, &lead.id)?;
        return Ok(None);
    }
    Ok(Some(step))
}

/// The member after `current` in team order who is not away; `None` when
/// nobody else is available.
fn next_member<'a>(ctx: &Ctx, team: &'a [Member], current: Option<&str>) -> Result<Option<&'a Member>, StoreError> {
    let at = current.and_then(|c| team.iter().position(|m| m.id == c));
    for k in 1..=team.len() {
        let member = &team[(at.map_or(k - 1, |i| i + k)) % team.len()];
        if Some(member.id.as_str()) != current && !spin_retention_core::team::is_away(ctx.store, &member.id, ctx.now)? {
            return Ok(Some(member));
        }
    }
    Ok(None)
}

/// What one run of the SLA did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Tick {
    /// Alerted leads looked at.
    pub checked: u32,
    pub reassigned: u32,
    pub escalated: u32,
    /// Leads still waiting for a claim, of those looked at.
    pub open: u32,
    /// Hot leads alerted now, whose alert had not been sent.
    pub caught_up: u32,
    /// Webhook deliveries attempted again.
    pub retried: u32,
    /// Whether this run sent the owner's daily digest.
    pub digest_sent: bool,
    #[serde(skip)]
    pub events: Vec<Event>,
}

/// Only hot leads active this recently are caught up: deploying lead-alerts
/// onto a store of old hot leads must not alert every one of them at once.
const CATCH_UP_HOURS: i64 = 24;

/// Runs the SLA over up to `limit` open alerted leads, oldest first; then
/// alerts any of the `limit` newest hot leads, active in the last
/// `CATCH_UP_HOURS` (24), that has not been (lead-scoring's tell is
/// after-reply work, and may have been skipped or cut off).
pub fn tick(ctx: &Ctx, limit: u64, report: &mut Tick) -> Result<(), StoreError> {
    let settings = settings::current(ctx.store)?;
    spin_retention_core::walk::unfinished(ctx.store, keys::ALERTED, &keys::open_from(), limit, |entry| {
        let lead_id = String::from_utf8_lossy(entry).into_owned();
        report.checked += 1;
        let alerts = crate::record::load(ctx.store, &lead_id)?;
        // No steps: erased.
        if alerts.closed() || alerts.steps.is_empty() {
            return Ok(Visit::Finished);
        }
        report.open += 1;
        Ok(match step_on(ctx, &settings, &lead_id, &alerts, report)? {
            true => Visit::Worked,
            false => Visit::Waiting,
        })
    })?;
    // A digest that fails (logged) must not stop the SLA and the retries.
    report.digest_sent = crate::digest::send_if_due(ctx, &settings).unwrap_or_else(|e| {
        eprintln!("daily digest: {e}");
        false
    });
    let order = spin_retention_scores::queue::Order::Newest;
    let (hot, _) = spin_retention_scores::queue::page(ctx.store, order, None, limit as usize)?;
    let horizon = ctx.now - chrono::Duration::hours(CATCH_UP_HOURS);
    for record in hot.iter().filter(|r| r.last_activity_at >= horizon) {
        if !ctx.store.exists(&keys::step(&record.lead_id, 0))? {
            if let Some(changed) = alert_lead(ctx, &record.lead_id)? {
                report.caught_up += u32::from(!changed.events.is_empty());
                report.events.extend(changed.events);
            }
        }
    }
    Ok(())
}

/// Takes the next step of an open lead whose SLA ran out.
fn step_on(
    ctx: &Ctx,
    settings: &Settings,
    lead_id: &str,
    alerts: &LeadAlerts,
    report: &mut Tick,
) -> Result<bool, StoreError> {
    let Some(current) = alerts.current() else {
        return Ok(false);
    };
    let Some(due) = current.due.filter(|due| *due <= ctx.now) else {
        return Ok(false);
    };
    let Some(history) = spin_retention_core::lead::load_history(ctx.store, lead_id)? else {
        return Ok(false);
    };
    let score: Option<ScoreRecord> = ctx.store.get_json(&keys::score(lead_id))?;
    let team = team(ctx)?;
    let n = current.n + 1;
    let reassignments = alerts.steps.iter().filter(|s| s.why == Why::Reassigned).count() as u32;
    let next = if reassignments < settings.sla.max_reassignments {
        next_member(ctx, &team, current.to.member_id.as_deref())?
    } else {
        None
    };
    let (why, to) = match next {
        Some(m) => (
            Why::Reassigned,
            Person {
                member_id: Some(m.id.clone()),
                name: m.name.clone(),
            },
        ),
        None => (Why::Escalated, owner(settings)),
    };
    let Some(step) = take(ctx, settings, &history, score.as_ref(), n, why, to, due)? else {
        // Due, and someone else is taking the step.
        return Ok(true);
    };
    match why {
        Why::Escalated => report.escalated += 1,
        _ => report.reassigned += 1,
    }
    let lead: &Lead = &history.lead;
    report.events.push(emit::lead_event(
        What::SlaBreached,
        lead,
        score.as_ref(),
        &step,
        ctx.now,
    ));
    report.events.push(emit::lead_event(
        What::LeadAssigned,
        lead,
        score.as_ref(),
        &step,
        ctx.now,
    ));
    Ok(true)
}

/// The owner's alert of one submission to a form set in
/// `owner_alert_forms`. Its provider idempotency key is the submission's,
/// so a repeated event does not mail twice where the provider honours it.
pub fn alert_owner_of_submission(
    ctx: &Ctx,
    settings: &Settings,
    lead_id: &str,
    submission_id: &str,
) -> Result<(), StoreError> {
    alert_owner(
        ctx,
        settings,
        lead_id,
        &format!("alert_{submission_id}"),
        Some(submission_id),
        None,
    )
}

/// The owner's alert of a journey's step (a customer to call): `note` says
/// why.
pub fn alert_owner_for_journey(
    ctx: &Ctx,
    settings: &Settings,
    lead_id: &str,
    id: &str,
    note: &str,
) -> Result<(), StoreError> {
    alert_owner(ctx, settings, lead_id, id, None, Some(note))
}

/// An alert to the owner about `lead_id`: of a submission (what it asked),
/// or of a journey (its note).
fn alert_owner(
    ctx: &Ctx,
    settings: &Settings,
    lead_id: &str,
    id: &str,
    submission_id: Option<&str>,
    note: Option<&str>,
) -> Result<(), StoreError> {
    let Some(history) = spin_retention_core::lead::load_history(ctx.store, lead_id)? else {
        return Ok(());
    };
    let to = owner(settings);
    let latest = history
        .submissions
        .iter()
        .find(|s| Some(s.id.as_str()) == submission_id)
        .or(history.submissions.last());
    let ttl = settings.link_ttl_hours;
    let link = |action| links::url(ctx.config, &links::claims(lead_id, to.key(), action, ctx.now, ttl));
    let alert = Alert {
        id: id.to_string(),
        lead: &history.lead,
        latest,
        score: None,
        to: &to,
        why: if note.is_some() { Why::Journey } else { Why::Submitted },
        note,
        claim_url: link(Action::Claim),
        contact_url: link(Action::Contact),
    };
    let recipient = settings.owner.as_ref().map(|o| &o.recipient);
    let sent = alert::send(ctx, &alert.notice(), recipient, None, ctx.now);
    if sent.status != "sent" {
        eprintln!("owner alert for {id}: {} {:?}", sent.status, sent.detail);
    }
    Ok(())
}
