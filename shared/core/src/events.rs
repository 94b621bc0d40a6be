//! Events the jobs emit for outbound webhooks and owner alerts. lead-alerts
//! records and delivers them; an emitter only tells it when something wants
//! the event (`event-interest`, which lead-alerts keeps in step with its
//! webhook endpoints and settings), so an app without webhooks pays one read.
//!
//! An event is the payload of a Standard Webhooks message: `type`,
//! `timestamp` and `data` (with the `version` of its shape); its `id` (the
//! `webhook-id` header) derives from what happened, so emitting the same
//! event twice records it once. Every type and its `data` are one enum,
//! [`What`]: emitters build it, lead-alerts reads it, no field by name.

use crate::jobs::{calls, Task, ALERTS, JOURNEYS};
use crate::keys::Key;
use crate::store::{JsonStore, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every event type, in the order docs/lead-alerts.md lists them.
pub const TYPES: &[&str] = &[
    "lead.created",
    "lead.hot",
    "lead.assigned",
    "lead.claimed",
    "lead.contacted",
    "lead.sla_breached",
    "survey.answered",
    "survey.detractor",
    "customer.slipping",
    "journey.entered",
    "journey.message_sent",
    "journey.converted",
    "journey.exited",
];

/// The shape of events' `data`: bumped when a field of one is renamed or
/// removed (a field added keeps it), so a receiver can tell which it reads.
pub const VERSION: u32 = 1;

/// An event: its id, the version of its shape, when it happened, and what
/// happened ([`What`]: its `type` and `data`). As JSON, and as the body of
/// a webhook: `{"id", "version", "timestamp", "type", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `evt_` and a hash of the type and what it is about.
    pub id: String,
    /// [`VERSION`] when it was emitted (events recorded before versions: 1).
    #[serde(default = "first_version")]
    pub version: u32,
    pub timestamp: DateTime<Utc>,
    #[serde(flatten)]
    pub what: What,
}

fn first_version() -> u32 {
    1
}

/// What happened: each event type with its `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum What {
    /// A submission reached lead-intake.
    #[serde(rename = "lead.created")]
    LeadCreated(Submitted),
    /// A lead turned hot.
    #[serde(rename = "lead.hot")]
    LeadHot(StepTaken),
    /// A hot lead was given to someone (first, or again after its SLA).
    #[serde(rename = "lead.assigned")]
    LeadAssigned(StepTaken),
    #[serde(rename = "lead.claimed")]
    LeadClaimed(Claimed),
    #[serde(rename = "lead.contacted")]
    LeadContacted(Contacted),
    /// Nobody claimed the lead within its SLA.
    #[serde(rename = "lead.sla_breached")]
    SlaBreached(StepTaken),
    #[serde(rename = "survey.answered")]
    SurveyAnswered(Answered),
    /// An answer in the detractor band (also `survey.answered`).
    #[serde(rename = "survey.detractor")]
    SurveyDetractor(Answered),
    /// A customer buying less often than they used to.
    #[serde(rename = "customer.slipping")]
    CustomerSlipping(Slipping),
    /// A person entered a journey (also in its holdout).
    #[serde(rename = "journey.entered")]
    JourneyEntered(InJourney),
    /// A journey's message went to the provider.
    #[serde(rename = "journey.message_sent")]
    JourneyMessageSent(InJourney),
    /// A journey's goal was reached (a conversion).
    #[serde(rename = "journey.converted")]
    JourneyConverted(InJourney),
    /// A person's time through a journey ended (`why`).
    #[serde(rename = "journey.exited")]
    JourneyExited(InJourney),
}

impl What {
    /// Its `type`, one of [`TYPES`].
    pub fn kind(&self) -> &'static str {
        match self {
            What::LeadCreated(_) => "lead.created",
            What::LeadHot(_) => "lead.hot",
            What::LeadAssigned(_) => "lead.assigned",
            What::LeadClaimed(_) => "lead.claimed",
            What::LeadContacted(_) => "lead.contacted",
            What::SlaBreached(_) => "lead.sla_breached",
            What::SurveyAnswered(_) => "survey.answered",
            What::SurveyDetractor(_) => "survey.detractor",
            What::CustomerSlipping(_) => "customer.slipping",
            What::JourneyEntered(_) => "journey.entered",
            What::JourneyMessageSent(_) => "journey.message_sent",
            What::JourneyConverted(_) => "journey.converted",
            What::JourneyExited(_) => "journey.exited",
        }
    }

    /// The person it is about.
    pub fn lead_id(&self) -> &str {
        match self {
            What::LeadCreated(s) => &s.lead_id,
            What::LeadHot(s) | What::LeadAssigned(s) | What::SlaBreached(s) => &s.lead.lead_id,
            What::LeadClaimed(c) => &c.lead_id,
            What::LeadContacted(c) => &c.lead_id,
            What::SurveyAnswered(a) | What::SurveyDetractor(a) => &a.lead_id,
            What::CustomerSlipping(c) => &c.lead_id,
            What::JourneyEntered(j)
            | What::JourneyMessageSent(j)
            | What::JourneyConverted(j)
            | What::JourneyExited(j) => &j.lead_id,
        }
    }
}

/// `lead.created`: the submission, who sent it and what they asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub submission_id: String,
    pub lead_id: String,
    pub received_at: DateTime<Utc>,
    pub form: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub message: Option<String>,
    #[serde(default)]
    pub attribution: crate::lead::Attribution,
}

/// Who a lead is, in the events lead-alerts raises about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadInEvent {
    pub lead_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Its total score, when scored.
    pub score: Option<i64>,
    /// The reasons that added points.
    pub reasons: Option<Vec<String>>,
}

/// A step of a hot lead's alerts: hot, assigned, SLA breached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTaken {
    #[serde(flatten)]
    pub lead: LeadInEvent,
    /// Its number among the lead's steps (0 first).
    pub step: u32,
    pub why: Why,
    pub assignee: Person,
    /// When the SLA of this step runs out (`None`: the last step).
    pub due: Option<DateTime<Utc>>,
}

/// Why a step went to whom it went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Step 0: the member the lead was routed to (or the owner).
    Assigned,
    /// The SLA ran out: the next available member.
    Reassigned,
    /// Reassigned as often as allowed: the owner.
    Escalated,
    /// Not a step: the owner's alert of any submission to a form set in
    /// `owner_alert_forms`.
    Submitted,
    /// Not a step: a journey's alert to the owner (a customer to call).
    Journey,
}

/// A team member, or the owner (`member_id: None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    pub name: String,
}

impl Person {
    /// The id in links and figures: the member's, or `owner`.
    pub fn key(&self) -> &str {
        self.member_id.as_deref().unwrap_or("owner")
    }
}

/// `lead.claimed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claimed {
    pub lead_id: String,
    pub by: Person,
    pub at: DateTime<Utc>,
    /// `link`, `admin`, `dashboard`...
    pub via: String,
}

/// `lead.contacted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contacted {
    pub lead_id: String,
    pub by: Person,
    pub at: DateTime<Utc>,
    pub outcome: Option<ContactOutcome>,
    pub via: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    Reached,
    Voicemail,
    WrongNumber,
    NotInterested,
}

impl ContactOutcome {
    pub const ALL: [ContactOutcome; 4] = [
        ContactOutcome::Reached,
        ContactOutcome::Voicemail,
        ContactOutcome::WrongNumber,
        ContactOutcome::NotInterested,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ContactOutcome::Reached => "reached",
            ContactOutcome::Voicemail => "voicemail",
            ContactOutcome::WrongNumber => "wrong_number",
            ContactOutcome::NotInterested => "not_interested",
        }
    }

    pub fn parse(s: &str) -> Option<ContactOutcome> {
        Self::ALL.into_iter().find(|o| o.name() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ContactOutcome::Reached => "Reached",
            ContactOutcome::Voicemail => "Voicemail",
            ContactOutcome::WrongNumber => "Wrong number",
            ContactOutcome::NotInterested => "Not interested",
        }
    }
}

/// `survey.answered` and `survey.detractor`: the score, never the comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub survey_id: String,
    pub lead_id: String,
    pub kind: crate::signals::SurveyKind,
    pub score: u8,
    pub band: crate::signals::Band,
    pub via: String,
    pub answered_at: DateTime<Utc>,
}

/// The `journey.*` events: the person, the journey and their time through
/// it; the step and channel of a message, the reason of an exit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InJourney {
    pub lead_id: String,
    pub journey: String,
    /// `<journey>:<lead_id>:<n>`: the person's n-th time through.
    pub instance: String,
    /// In the holdout (entered, never sent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held_out: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// An exit's: `completed`, `event:purchase`, `unsubscribed`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// `customer.slipping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slipping {
    pub lead_id: String,
    pub slipping_since: DateTime<Utc>,
    pub last_purchase_at: Option<DateTime<Utc>>,
    pub days_since_purchase: Option<f64>,
    pub typical_interval_days: Option<f64>,
    pub orders: u32,
    /// By currency, formatted (`"120.00"`).
    pub revenue: std::collections::BTreeMap<String, String>,
    pub loyalty_tier: Option<String>,
    pub rfm_segment: Option<String>,
}

impl Event {
    /// What happened about `subject` (a submission, a lead and its step, an
    /// answer): the same type and subject give the same id.
    pub fn new(subject: &str, timestamp: DateTime<Utc>, what: What) -> Event {
        Event {
            id: Event::id_of(what.kind(), subject),
            version: VERSION,
            timestamp,
            what,
        }
    }

    pub fn kind(&self) -> &'static str {
        self.what.kind()
    }
}

/// `lead.created`, which lead-intake hands lead-alerts with each new
/// submission: the submission, who sent it and what they asked.
pub fn lead_created(s: &crate::lead::Submission) -> Event {
    let what = What::LeadCreated(Submitted {
        submission_id: s.id.clone(),
        lead_id: s.lead_id.clone(),
        received_at: s.received_at,
        form: s.form.clone(),
        name: s.contact.name.clone(),
        email: s.contact.email.clone(),
        phone: s.contact.phone.clone(),
        message: s.message.clone(),
        attribution: s.attribution.clone(),
    });
    Event::new(&s.id, s.received_at, what)
}

impl Event {
    /// The id of the event `kind` about `subject`.
    pub fn id_of(kind: &str, subject: &str) -> String {
        let hash = crate::ids::sha256_hex(&format!("{kind}\n{subject}"));
        format!("evt_{}", &hash[..24])
    }
}

/// `event-interest`: which events anything wants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interest {
    /// Types some enabled webhook endpoint subscribes to.
    pub types: Vec<String>,
    /// Forms whose every submission alerts the owner (`*`: all forms).
    #[serde(default)]
    pub owner_alert_forms: Vec<String>,
    /// Forms whose submissions the owner's daily digest counts (`*`: all).
    #[serde(default)]
    pub digest_forms: Vec<String>,
}

impl Interest {
    pub fn wants(&self, kind: &str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    pub fn alerts_owner(&self, form: &str) -> bool {
        names_form(&self.owner_alert_forms, form)
    }

    pub fn digests(&self, form: &str) -> bool {
        names_form(&self.digest_forms, form)
    }

    /// Whether lead-alerts wants to hear of a submission to `form`.
    pub fn wants_submission(&self, form: &str) -> bool {
        self.wants("lead.created") || self.alerts_owner(form) || self.digests(form)
    }
}

/// Whether a list of form names (`*`: every form) takes in `form`.
pub fn names_form(forms: &[String], form: &str) -> bool {
    forms.iter().any(|f| f == "*" || f == form)
}

pub fn interest_key() -> Key<Interest> {
    Key::new("event-interest")
}

pub fn interest(store: &dyn Store) -> Result<Interest, StoreError> {
    Ok(store.get_json(&interest_key())?.unwrap_or_default())
}

/// The after-reply task that hands `event` to lead-alerts (webhooks) and
/// to journeys, each only if something there wants it: an app with
/// neither pays two reads.
pub fn emit(store: &dyn Store, event: Event) -> Result<Option<Task>, StoreError> {
    emit_all(store, vec![event])
}

/// [`emit`] for many events at once, reading what is wanted once: the
/// after-reply task that hands each wanted one on (none: two reads).
pub fn emit_all(store: &dyn Store, events: Vec<Event>) -> Result<Option<Task>, StoreError> {
    if events.is_empty() {
        return Ok(None);
    }
    let wanted = interest(store)?;
    let journeys = store.get_json(&crate::happened::interest_key())?.unwrap_or_default();
    let mut tells = Vec::new();
    let mut happened = Vec::new();
    for event in events {
        let h = crate::happened::Happened::of_event(&event);
        if journeys.wants(&h) {
            happened.push(h);
        }
        if wanted.wants(event.kind()) {
            tells.push((ALERTS, calls::record_event(), crate::store::json_bytes(&event)));
        }
    }
    if !happened.is_empty() {
        tells.push((JOURNEYS, calls::journey_events(), crate::store::json_bytes(&happened)));
    }
    Ok((!tells.is_empty()).then(|| crate::jobs::tell_in_turn(tells)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(lead_id: &str) -> What {
        What::LeadClaimed(Claimed {
            lead_id: lead_id.into(),
            by: Person {
                member_id: Some("dana".into()),
                name: "Dana".into(),
            },
            at: crate::ports::test_now(),
            via: "link".into(),
        })
    }

    #[test]
    fn ids_follow_what_happened() {
        let at = crate::ports::test_now();
        let a = Event::new("l_1", at, claimed("l_1"));
        assert_eq!(a.id, Event::new("l_1", at, claimed("l_1")).id);
        assert_ne!(a.id, Event::new("l_2", at, claimed("l_1")).id);
        assert_ne!(
            Event::id_of("lead.claimed", "l_1"),
            Event::id_of("lead.contacted", "l_1")
        );
        assert!(a.id.starts_with("evt_") && a.id.len() == 28);
    }

    /// Receivers deduplicate on the id, so it must not change between
    /// versions: pinned to the hash of type and subject.
    #[test]
    fn an_events_id_is_stable_across_releases() {
        let event = Event::new("l_1", crate::ports::test_now(), claimed("l_1"));
        assert_eq!(event.id, "evt_b43393e9a85ee68990f419a6");
    }

    /// The shape receivers read: `type` and `data` beside `id`, `version`
    /// and `timestamp`; an event recorded before versions reads as 1.
    #[test]
    fn an_event_has_a_stable_json_shape_with_its_version() {
        let event = Event::new("l_1", crate::ports::test_now(), claimed("l_1"));
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "lead.claimed");
        assert_eq!(json["version"], VERSION);
        assert_eq!(
            json["data"]["by"],
            serde_json::json!({"member_id": "dana", "name": "Dana"})
        );
        assert_eq!(json["data"]["lead_id"], "l_1");
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("version");
        let read: Event = serde_json::from_value(old).unwrap();
        assert_eq!((read.version, read.what.lead_id()), (1, "l_1"));
        let unknown =
            serde_json::json!({"id": "evt_x", "timestamp": json["timestamp"], "type": "lead.nope", "data": {}});
        assert!(serde_json::from_value::<Event>(unknown).is_err(), "a type of no job's");
        assert_eq!(TYPES.len(), 13);
        assert!(TYPES.contains(&event.kind()));
    }
}
