//! Events: those lead-alerts raises itself (a lead hot, assigned, claimed,
//! contacted, its SLA breached) and those other jobs tell it of
//! (`POST /alerts/events`). Each is recorded with its deliveries before the
//! reply; the first attempts run after it.

use crate::record::Step;
use crate::webhooks;
use chrono::{DateTime, Utc};
use spin_retention_core::events::{Event, LeadInEvent, StepTaken, What};
use spin_retention_core::happened::Happened;
use spin_retention_core::jobs::Task;
use spin_retention_core::lead::Lead;
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::StoreError;
use spin_retention_scores::ScoreRecord;

/// Who the lead is, for an event's `data`.
pub fn lead_data(lead: &Lead, score: Option<&ScoreRecord>) -> LeadInEvent {
    LeadInEvent {
        lead_id: lead.id.clone(),
        name: lead.contact.name.clone(),
        email: lead.contact.email.clone(),
        phone: lead.contact.phone.clone(),
        score: score.map(|s| s.score.total),
        reasons: score.map(|s| {
            s.score
                .fired
                .iter()
                .filter(|f| f.points > 0)
                .map(|f| f.why.clone())
                .collect()
        }),
    }
}

/// A lead event about one step: `what` is `What::LeadHot`,
/// `What::LeadAssigned` or `What::SlaBreached`.
pub fn lead_event(
    what: fn(StepTaken) -> What,
    lead: &Lead,
    score: Option<&ScoreRecord>,
    step: &Step,
    now: DateTime<Utc>,
) -> Event {
    let data = StepTaken {
        lead: lead_data(lead, score),
        step: step.n,
        why: step.why,
        assignee: step.to.clone(),
        due: step.due,
    };
    let subject = format!("{}:{}", about(lead.id.as_str(), lead.created_at), step.n);
    Event::new(&subject, now, what(data))
}

/// What a lead event is about: this lead, as created then. A person erased
/// and back through the form is a new lead with the same id, and their
/// events must not take the old events' ids (and deliveries).
pub fn about(lead_id: &str, created_at: DateTime<Utc>) -> String {
    format!("{lead_id}@{}", created_at.timestamp_millis())
}

/// Whether lead-alerts raised `event` itself, so is the one to tell
/// journeys of it (the jobs that raise the others tell journeys themselves).
fn raised_here(event: &Event) -> bool {
    match event.what {
        What::LeadHot(_)
        | What::LeadAssigned(_)
        | What::LeadClaimed(_)
        | What::LeadContacted(_)
        | What::SlaBreached(_) => true,
        What::LeadCreated(_)
        | What::SurveyAnswered(_)
        | What::SurveyDetractor(_)
        | What::CustomerSlipping(_)
        | What::JourneyEntered(_)
        | What::JourneyMessageSent(_)
        | What::JourneyConverted(_)
        | What::JourneyExited(_) => false,
    }
}

/// Records `events` and returns the after-reply task that makes their
/// first delivery attempts and tells journeys of those a journey listens
/// for (`lead.hot`: a hot lead's follow-up).
pub fn record(ctx: &Ctx, events: &[Event]) -> Result<Option<Task>, StoreError> {
    let mut deliveries = Vec::new();
    for event in events {
        deliveries.extend(webhooks::record(ctx, event)?);
    }
    let raised: Vec<Happened> = events
        .iter()
        .filter(|e| raised_here(e))
        .map(Happened::of_event)
        .collect();
    let tell = spin_retention_core::happened::tell(ctx.store, raised)?;
    if deliveries.is_empty() && tell.is_none() {
        return Ok(None);
    }
    Ok(Some(Box::new(move |ctx: &Ctx| {
        for id in deliveries {
            if let Err(e) = webhooks::attempt(ctx, &id) {
                eprintln!("webhook delivery {id}: {e}");
            }
        }
        if let Some(tell) = tell {
            tell(ctx);
        }
    })))
}
