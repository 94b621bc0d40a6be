//! A lead: one person, however many times they came back, with every
//! submission they made, where they came from and what they consented to.

use crate::keys;
use crate::slots;
use crate::store::{decode_json, json_bytes, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Lowercased; the key of the person's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Address parts, for ad platforms that match on them (city, state or
    /// province, postal code); as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, uppercase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The shape of a postal code anywhere: 2 to 10 letters, digits, spaces
/// or `-`, with at least one digit ("94043", "12345-6789", "WC2H 8LG").
/// Ad platforms take it unhashed, so nothing else (a name) may pass as one.
pub fn is_postal_code(value: &str) -> bool {
    let value = value.trim();
    (2..=10).contains(&value.chars().count())
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub utm: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gclid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbclid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<String>,
}

impl Attribution {
    pub fn is_empty(&self) -> bool {
        *self == Attribution::default()
    }
}

/// What the person agreed to, as the form showed it. `None`: not asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub marketing: Option<bool>,
    pub ad_user_data: Option<bool>,
    pub ad_personalization: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub submission_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
}

/// One form submission, validated and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    pub id: String,
    pub lead_id: String,
    pub received_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    pub contact: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Attribution::is_empty")]
    pub attribution: Attribution,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
}

/// A contact detail that a later submission changed: kept, not overwritten silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub from: String,
    pub to: String,
    pub submission_id: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub contact: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub channel: Channel,
    /// Attribution of the first submission, never changed afterwards.
    pub first_touch: Attribution,
    /// Attribution of the latest submission.
    pub last_touch: Attribution,
    /// Every page seen across submissions, first-seen order, no repeats.
    #[serde(default)]
    pub pages_seen: Vec<String>,
    /// The consent in force (the latest given) and every earlier one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_history: Vec<Consent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Submission ids, oldest first; each is stored under `submission:<id>`.
    pub submissions: Vec<String>,
}

impl Lead {
    pub fn new(first: &Submission) -> Lead {
        let mut lead = Lead {
            id: first.lead_id.clone(),
            created_at: first.received_at,
            updated_at: first.received_at,
            contact: Contact::default(),
            language: None,
            channel: first.channel,
            first_touch: first.attribution.clone(),
            last_touch: Attribution::default(),
            pages_seen: Vec::new(),
            consent: None,
            consent_history: Vec::new(),
            changes: Vec::new(),
            submissions: Vec::new(),
        };
        lead.merge(first);
        lead
    }

    /// Folds a submission into the profile. Idempotent: merging the same
    /// submission twice changes nothing.
    pub fn merge(&mut self, s: &Submission) {
        if self.submissions.contains(&s.id) {
            return;
        }
        self.submissions.push(s.id.clone());
        self.updated_at = self.updated_at.max(s.received_at);
        let c = &mut self.contact;
        let changes = &mut self.changes;
        let mut update = |field: &str, slot: &mut Option<String>, new: &Option<String>| {
            if let Some(new) = new {
                // Case alone is no change (emails match case-insensitively).
                if let Some(old) = slot.as_ref().filter(|old| !old.eq_ignore_ascii_case(new)) {
                    changes.push(Change {
                        field: field.into(),
                        from: old.clone(),
                        to: new.clone(),
                        submission_id: s.id.clone(),
                        at: s.received_at,
                    });
                }
                *slot = Some(new.clone());
            }
        };
        update("name", &mut c.name, &s.contact.name);
        update("first_name", &mut c.first_name, &s.contact.first_name);
        update("last_name", &mut c.last_name, &s.contact.last_name);
        update("email", &mut c.email, &s.contact.email);
        update("phone", &mut c.phone, &s.contact.phone);
        update("company", &mut c.company, &s.contact.company);
        update("city", &mut c.city, &s.contact.city);
        update("region", &mut c.region, &s.contact.region);
        update("postal_code", &mut c.postal_code, &s.contact.postal_code);
        update("country", &mut c.country, &s.contact.country);
        if s.language.is_some() {
            self.language = s.language.clone();
        }
        self.channel = s.channel;
        if !s.attribution.is_empty() {
            self.last_touch = s.attribution.clone();
        }
        for page in s.attribution.pages.iter().chain(s.attribution.landing_page.iter()) {
            if !self.pages_seen.contains(page) {
                self.pages_seen.push(page.clone());
            }
        }
        if let Some(consent) = &s.consent {
            if let Some(previous) = self.consent.replace(consent.clone()) {
                self.consent_history.push(previous);
            }
        }
    }
}

/// `lead:<id>`: the lead exists. Written with its first submission,
/// deleted by an erase; the profile itself is never stored whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: String,
    pub created_at: DateTime<Utc>,
}

/// The profile: the fold of the person's submission log in slot order.
///
/// One person's submissions may arrive at once (a double click, two tabs,
/// a retry racing the original). Each appends itself to `lead-log:<id>` in
/// a slot of its own ([`crate::slots`]) instead of rewriting one profile
/// document, so none is lost and none waits. Reading costs the marker, the
/// counter and one read per submission.
pub fn load(store: &dyn Store, lead_id: &str) -> Result<Option<Lead>, StoreError> {
    Ok(load_history(store, lead_id)?.map(|history| history.lead))
}

/// A lead with the submissions it was folded from.
pub struct History {
    pub lead: Lead,
    /// Oldest first, each once.
    pub submissions: Vec<Submission>,
    /// What was read of its log, for [`changed`].
    pub seen: slots::Seen,
}

/// Whether the lead's log changed since `seen` (see [`slots::Seen`]).
pub fn changed(store: &dyn Store, lead_id: &str, seen: &slots::Seen) -> Result<bool, StoreError> {
    seen.changed(store, &keys::lead_log(lead_id))
}

/// [`load`], with the submissions it folded, for readers that need both
/// (scoring reads them all).
pub fn load_history(store: &dyn Store, lead_id: &str) -> Result<Option<History>, StoreError> {
    if !store.exists(&keys::lead(lead_id))? {
        return Ok(None);
    }
    let log = keys::lead_log(lead_id);
    let log_len = slots::len(store, &log)?;
    let entries = slots::read(store, &log, 1, log_len)?;
    let seen = slots::Seen::new(log_len, &entries);
    let mut lead: Option<Lead> = None;
    let mut submissions: Vec<Submission> = Vec::new();
    for (slot, bytes) in entries {
        let submission: Submission = decode_json(&slots::slot_key(&log, slot), &bytes)?;
        match lead.as_mut() {
            Some(lead) => lead.merge(&submission),
            None => lead = Some(Lead::new(&submission)),
        }
        // A retry that raced its first attempt may have logged it twice.
        if !submissions.iter().any(|s| s.id == submission.id) {
            submissions.push(submission);
        }
    }
    Ok(lead.map(|lead| History {
        lead,
        submissions,
        seen,
    }))
}

/// Whether the lead has been created (its `lead:<id>` marker is there).
pub fn exists(store: &dyn Store, lead_id: &str) -> Result<bool, StoreError> {
    store.exists(&keys::lead(lead_id))
}

/// Appends a submission to its lead's log. The log entry, the submission
/// record, the `lead:<id>` marker (when `is_new`) and `extra` are written
/// in one batch, so a crash leaves all or none of them.
pub fn append(
    store: &dyn Store,
    submission: &Submission,
    is_new: bool,
    extra: Vec<(String, Vec<u8>)>,
) -> Result<(), StoreError> {
    let marker = keys::lead(&submission.lead_id);
    let log = keys::lead_log(&submission.lead_id);
    let slot = slots::take_slot(store, &log)?;
    let mut writes = vec![
        (slots::slot_key(&log, slot), json_bytes(submission)),
        keys::submission(&submission.id).entry(submission),
    ];
    if is_new {
        let created = Created {
            id: submission.lead_id.clone(),
            created_at: submission.received_at,
        };
        writes.push(marker.entry(&created));
    }
    writes.extend(extra);
    store.set_many(&writes)
}

/// Left behind by an erase so the person is never exported again
/// (`suppressed:<sha256(id)>`, written by lead-intake, read by
/// audience-export). Holds no personal data: the key is a hash of the
/// identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub erased_at: DateTime<Utc>,
    pub kind: String,
}
