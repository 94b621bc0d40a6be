//! The dry run: the path a person (a real one, or a hypothetical one)
//! would take through a journey from a start time, with every message
//! rendered, every wait and its due time, every deferral and skip with its
//! reason. It runs the real code (entering, the tick, each step and its
//! checks) over an [`Overlay`] of the store, at a simulated clock, with a
//! provider that only records: nothing is sent, and nothing is written to
//! the store. So what it shows is what the real run does, as long as
//! nothing else changes meanwhile (the person's consent, an unsubscribe,
//! the contact budget other journeys use).

use crate::document::{self, Catalogue, Journey, Status};
use crate::instance::{self, Outcome, StepTaken};
use crate::{due, keys};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use spin_retention_core::admin_doc::{self, Document, Stored};
use spin_retention_core::happened::Happened;
use spin_retention_core::http::Reply;
use spin_retention_core::keys::Key;
use spin_retention_core::lead::{self, Channel, Confirmation, ConfirmedBy, Consent, Contact, Origin, Submission};
use spin_retention_core::overlay::Overlay;
use spin_retention_core::ports::{Config, Ctx, Outbound, OutboundRequest, OutboundResponse};
use spin_retention_core::problem::Problem;
use spin_retention_core::store::{decode_json, json_bytes, JsonStore, Store, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// A real person (their profile, consent and opt-outs as stored)...
    #[serde(default)]
    pub lead_id: Option<String>,
    /// ... or a hypothetical one.
    #[serde(default)]
    pub person: Option<Person>,
    /// When the event that enters them happens.
    pub start: DateTime<Utc>,
    /// What enters them (default: the journey's `enters_on`, no items).
    #[serde(default)]
    pub trigger: Option<Trigger>,
    /// What happens later (a purchase mid-wait), in any order.
    #[serde(default)]
    pub events: Vec<Later>,
    /// A draft to try instead of the journey as set.
    #[serde(default)]
    pub journey: Option<Value>,
    /// How far to follow the path (1-400 days, default 90).
    #[serde(default = "ninety")]
    pub days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// Marketing consent in force (default true).
    #[serde(default = "yes")]
    pub consent_marketing: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub kind: String,
    #[serde(default)]
    pub activity: Option<String>,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub amount_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Later {
    pub at: DateTime<Utc>,
    pub kind: String,
    #[serde(default)]
    pub activity: Option<String>,
}

impl Default for Person {
    /// Someone who consented, known by email only.
    fn default() -> Self {
        Person {
            first_name: None,
            name: None,
            email: None,
            phone: None,
            language: None,
            consent_marketing: true,
        }
    }
}

fn ninety() -> i64 {
    90
}

fn yes() -> bool {
    true
}

/// One step of the path.
#[derive(Debug, Serialize)]
pub struct Taken {
    #[serde(flatten)]
    pub step: StepTaken,
    /// The message a send would have sent, as rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct Path {
    pub journey: String,
    pub version: String,
    /// Why the person would not enter, if they would not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_entered: Option<String>,
    pub held_out: bool,
    pub steps: Vec<Taken>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<instance::Exit>,
    /// Still on the way at the end of `days`: the step due next and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<due::Due>,
}

/// A provider that answers 200 and keeps what it was asked to send.
#[derive(Default)]
struct Recording(Mutex<Vec<OutboundRequest>>);

impl Outbound for Recording {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
        // A survey link is shown, not made: survey is not asked.
        if request.url.contains("/survey/admin/surveys/") {
            return Ok(OutboundResponse {
                status: 201,
                headers: Vec::new(),
                body: br#"{"url":"(the person's survey link)"}"#.to_vec(),
            });
        }
        // Only messages are kept, in order, for the sends they match (an
        // owner's alert and a tag step's rescore are answered, not shown).
        if request.url.contains("/alerts/owner/") || request.url.contains("/scoring/leads/") {
            return Ok(OutboundResponse {
                status: 200,
                headers: Vec::new(),
                body: b"{}".to_vec(),
            });
        }
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(request);
        Ok(OutboundResponse {
            status: 200,
            headers: Vec::new(),
            body: br#"{"id":"simulated"}"#.to_vec(),
        })
    }
}

/// The app's variables, but the provider is the recording webhook (its
/// body is the message as rendered) and unsubscribe links are signed with
/// a secret of the dry run's own (they show what a message would carry,
/// and work nowhere).
struct Simulated<'a> {
    base: &'a dyn Config,
    over: HashMap<&'static str, String>,
}

impl Config for Simulated<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.over.get(name).cloned().or_else(|| self.base.get(name))
    }
}

const SIMULATED_LEAD: &str = "l_simulated";

/// Steps of one path, at most (a journey has at most 20, each deferred a
/// few times).
const MAX_TICKS: usize = 400;

pub fn run(ctx: &Ctx, journey_id: &str, body: &[u8]) -> Result<Path, Reply> {
    let sim: Simulation = serde_json::from_slice(body).map_err(|e| {
        Problem::new(422, "invalid-simulation", "Invalid Simulation").with_detail(format!("the simulation: {e}"))
    })?;
    if !(1..=400).contains(&sim.days) {
        return Err(Problem::new(422, "invalid-simulation", "Invalid Simulation")
            .with_field_error("days", "1 to 400")
            .into());
    }
    let store = Overlay::new(ctx.store);
    let (mut catalogue, _) = admin_doc::current::<Catalogue>(ctx.store)?;
    let mut journey = match &sim.journey {
        Some(draft) => checked(draft, &catalogue)?,
        None => catalogue
            .journeys
            .iter()
            .find(|j| j.id == journey_id)
            .cloned()
            .ok_or_else(|| Problem::not_found(journey_id).with_detail("no such journey"))?,
    };
    journey.id = journey_id.to_string();
    journey.status = Status::Live;
    catalogue.journeys.retain(|j| j.id != journey_id);
    catalogue.journeys.push(journey.clone());
    let stored: Key<Stored<Catalogue>> = Key::new(Catalogue::KEY);
    store.set_many(&[
        keys::version(&journey.id, &journey.version()).entry(&journey),
        (
            stored.to_string(),
            json_bytes(&Stored {
                document: catalogue.clone(),
                updated_at: sim.start,
            }),
        ),
    ])?;
    store.set_json(&keys::due_mark(), &(due::minute(sim.start) - 1))?;
    let lead_id = match (&sim.lead_id, &sim.person) {
        (Some(id), _) => {
            if !lead::exists(ctx.store, id)? {
                return Err(Problem::not_found(id).with_detail("no such person").into());
            }
            id.clone()
        }
        (None, person) => {
            hypothetical(&store, person.clone().unwrap_or_default(), sim.start)?;
            SIMULATED_LEAD.to_string()
        }
    };
    let config = Simulated {
        base: ctx.config,
        over: [
            ("journeys_provider", "webhook".to_string()),
            ("journeys_provider_url", "https://simulated.invalid".to_string()),
            ("journeys_webhook_path", "/".to_string()),
            // Links shown, never working ones: not the real secret.
            (crate::unsubscribe::SECRET, "simulation-only".to_string()),
        ]
        .into(),
    };
    let outbound = Recording::default();
    let at = |now: DateTime<Utc>| Ctx::new(&store, &config, &outbound, now);
    // A journey a date enters: its date comes at the start.
    let timed = crate::armed::Timed::of(&journey.enters_on).is_some();
    let trigger = sim.trigger.clone().unwrap_or_else(|| Trigger {
        kind: match timed {
            true => journey.enters_on.clone(),
            false => journey.enters_on.split(':').next().unwrap_or_default().to_string(),
        },
        activity: journey.enters_on.strip_prefix("activity:").map(str::to_string),
        ..Trigger::default()
    });
    let entered = instance::hear(
        &at(sim.start),
        &catalogue_of(&catalogue, &journey),
        &Happened {
            id: "simulated".into(),
            lead_id: lead_id.clone(),
            kind: trigger.kind,
            activity: trigger.activity,
            at: sim.start,
            order_id: None,
            amount_minor: trigger.amount_minor,
            currency: trigger.currency,
            items: trigger.items,
        },
    )?;
    let mut path = Path {
        journey: journey.id.clone(),
        version: journey.version(),
        not_entered: entered.not_entered.first().cloned(),
        held_out: instance::held_out(&journey, &lead_id),
        steps: Vec::new(),
        exit: None,
        next: None,
    };
    let Some(id) = entered.entered.first().cloned() else {
        if path.not_entered.is_none() {
            path.not_entered = Some(format!("{}: does not enter on {}", journey.id, journey.enters_on));
        }
        return Ok(path);
    };
    let end = sim.start + Duration::days(sim.days);
    let mut later = sim.events.clone();
    later.sort_by_key(|e| e.at);
    let mut later = later.into_iter().peekable();
    for _ in 0..MAX_TICKS {
        if store.exists(&keys::exit(&id))? {
            break;
        }
        let Some(next) = pending(&store, &id)? else { break };
        while let Some(event) = later.next_if(|e| e.at <= next.at) {
            let happened = Happened {
                id: format!("simulated-{}", event.at.timestamp()),
                lead_id: lead_id.clone(),
                kind: event.kind,
                activity: event.activity,
                at: event.at,
                order_id: None,
                amount_minor: None,
                currency: None,
                items: Vec::new(),
            };
            instance::hear(&at(event.at), &catalogue_of(&catalogue, &journey), &happened)?;
        }
        if store.exists(&keys::exit(&id))? {
            break;
        }
        if next.at > end {
            path.next = Some(next);
            break;
        }
        store.set_json(&keys::due_mark(), &(due::minute(next.at) - 1))?;
        due::tick_only(&at(next.at), 10, &id)?;
    }
    let history = instance::history(&store, &id)?.expect("entered above");
    path.exit = history.exit;
    let mut messages = outbound
        .0
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null));
    path.steps = history
        .steps
        .into_iter()
        .map(|step| {
            let message = matches!(step.done.outcome, Outcome::Sent { .. })
                .then(|| messages.next())
                .flatten()
                .map(|m| json!({"channel": m["channel"], "to": m["to"], "subject": m["subject"], "text": m["text"], "headers": m["headers"]}));
            Taken { step, message }
        })
        .collect();
    Ok(path)
}

/// The catalogue with the simulated journey live (what enters the person).
fn catalogue_of(catalogue: &Catalogue, journey: &Journey) -> Catalogue {
    Catalogue {
        journeys: vec![journey.clone()],
        settings: catalogue.settings.clone(),
    }
}

/// A draft journey, checked as a document would be.
fn checked(draft: &Value, catalogue: &Catalogue) -> Result<Journey, Reply> {
    let doc = json!({ "journeys": [draft], "settings": catalogue.settings });
    let parsed = document::parse(&json_bytes(&doc)).map_err(|p| p.with_instance("journey"))?;
    Ok(parsed.journeys.into_iter().next().expect("one journey"))
}

/// The step the instance waits for: the one its last step scheduled.
fn pending(store: &dyn Store, id: &str) -> Result<Option<due::Due>, StoreError> {
    let Some(history) = instance::history(store, id)? else {
        return Ok(None);
    };
    let slot = match history.steps.last() {
        Some(last) => match &last.done.next_slot {
            Some(slot) => slot.clone(),
            None => return Ok(None),
        },
        None => history.instance.first_slot.clone(),
    };
    match store.get(&slot)? {
        Some(bytes) => Ok(Some(decode_json(&slot, &bytes)?)),
        None => Ok(None),
    }
}

/// A hypothetical person in the overlay, as lead-intake would store one
/// given by a trusted caller.
fn hypothetical(store: &dyn Store, person: Person, at: DateTime<Utc>) -> Result<(), StoreError> {
    let consent = Consent {
        marketing: Some(person.consent_marketing),
        ad_user_data: None,
        ad_personalization: None,
        text: None,
        version: None,
        recorded_at: at,
        submission_id: "s_simulated".into(),
        client_hash: None,
        confirmed: Some(Confirmation {
            at,
            by: ConfirmedBy::Admin,
        }),
    };
    let submission = Submission {
        id: "s_simulated".into(),
        lead_id: SIMULATED_LEAD.into(),
        received_at: at,
        form: None,
        contact: Contact {
            name: person.name,
            first_name: person.first_name,
            email: person.email.or_else(|| Some("someone@example.com".into())),
            phone: person.phone,
            ..Contact::default()
        },
        message: None,
        language: person.language,
        channel: Channel::Email,
        attribution: Default::default(),
        consent: Some(consent),
        custom: BTreeMap::new(),
        origin: Origin::Trusted,
        client_hash: None,
    };
    lead::append(store, &submission, true, Vec::new())
}
