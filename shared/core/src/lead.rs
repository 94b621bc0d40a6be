//! A lead: one person, however many times they came back, with every
//! submission they made, where they came from and what they consented to.

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

use crate::keys;
use crate::slots;
use crate::store::{decode_json, json_bytes, JsonStore, Store, StoreError};
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
    /// The day of the year the person was born, `MM-DD` (a form's
    /// `YYYY-MM-DD` loses its year: a greeting needs no age).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
}

/// A birthday as a form gives it (`YYYY-MM-DD`, `MM-DD` or `--MM-DD`) as
/// kept: `MM-DD`, a day that exists in a leap year.
pub fn birthday(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if !raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return None;
    }
    let (year, day) = match raw.len() {
        10 => (raw.get(..5)?.strip_suffix('-')?, raw.get(5..)?),
        7 => ("2024", raw.strip_prefix("--")?),
        _ => ("2024", raw),
    };
    let (month, date) = day.split_once('-')?;
    let (y, m, d): (i32, u32, u32) = (year.parse().ok()?, month.parse().ok()?, date.parse().ok()?);
    // A real day: of its year when one is given (no 29 February 1990).
    (year.len() == 4 && month.len() == 2 && date.len() == 2 && chrono::NaiveDate::from_ymd_opt(y, m, d).is_some())
        .then(|| format!("{m:02}-{d:02}"))
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
///
/// A consent is *in force* ([`Lead::consent`]) only once it is confirmed:
/// a grant from a web form waits in [`Lead::pending_consent`] until the
/// person opens the signed link sent to the address that gave it (double
/// opt-in). Refusals need no confirmation.
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
    /// A hash of the client address that sent it (proof), never the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hash: Option<String>,
    /// When and how it took effect; `None` while it waits for the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Confirmation>,
}

impl Consent {
    /// Whether it grants anything (a refusal alone needs no confirmation).
    pub fn grants_any(&self) -> bool {
        [self.marketing, self.ad_user_data, self.ad_personalization].contains(&Some(true))
    }

    fn refuses_any(&self) -> bool {
        [self.marketing, self.ad_user_data, self.ad_personalization].contains(&Some(false))
    }
}

/// How a consent came to be in force: the proof kept with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub at: DateTime<Utc>,
    pub by: ConfirmedBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmedBy {
    /// The person opened the confirmation link sent to their email.
    EmailLink,
    /// The person opened the confirmation link sent by SMS or WhatsApp.
    SmsLink,
    /// A new person's first form, with `consent_confirmation` off.
    SingleOptIn,
    /// A caller with a token (a shop's checkout, an import).
    Trusted,
    /// The team, through the admin API (for example consent given by phone).
    Admin,
    /// A refusal on a form: saying no needs no proof.
    Refusal,
    /// The withdrawal link in a message.
    WithdrawalLink,
}

/// Who vouches for a submission: anyone on the web (a form post), or a
/// caller holding a token (customers' profiles, imports). Only a trusted
/// submission may rewrite a known person's identity or consent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    #[default]
    Form,
    Trusted,
}

impl Origin {
    fn is_form(&self) -> bool {
        *self == Origin::Form
    }
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
    #[serde(default, skip_serializing_if = "Origin::is_form")]
    pub origin: Origin,
    /// A keyed hash of the client address ([`crate::client::proof_hash`]),
    /// when `consent_link_secret` is set: the proof a consent keeps, and
    /// what the per-person hourly cap counts by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hash: Option<String>,
}

/// A contact detail that a later trusted submission changed: kept, not overwritten silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub from: String,
    pub to: String,
    pub submission_id: String,
    pub at: DateTime<Utc>,
}

/// What a form claimed about a known person that differs from their
/// profile: kept on the person's timeline, never written into the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub field: String,
    pub value: String,
    pub submission_id: String,
    pub at: DateTime<Utc>,
}

/// The newest submissions a profile keeps by id (and a fold keeps whole):
/// what scoring and the timeline read. Older ones stay in the log. As
/// many as [`FOLD_EVERY`] and a few more, so a person with a long history
/// loads what one with ten submissions does.
pub const RECENT_SUBMISSIONS: usize = 10;
/// How many claims and earlier consents a profile keeps, newest last.
pub const KEPT_HISTORY: usize = 20;

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
    /// The consent in force: confirmed, or a refusal. Marketing and ad
    /// audiences read only this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// The latest grant from a form, waiting for the person's confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_consent: Option<Consent>,
    /// Earlier consents in force, newest last (at most [`KEPT_HISTORY`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_history: Vec<Consent>,
    /// Identity changes made by trusted submissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// What forms claimed that differs from the profile, newest last (at
    /// most [`KEPT_HISTORY`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
    /// The newest submission ids (at most [`RECENT_SUBMISSIONS`]), oldest
    /// first; each is stored under `submission:<id>`.
    pub submissions: Vec<String>,
    /// How many submissions the person made in all.
    #[serde(default)]
    pub submission_count: u64,
}

/// A field of [`Contact`], for the identity policy.
struct Field<'a> {
    name: &'static str,
    /// One of the names, which a form that gave no email may not fill.
    name_part: bool,
    slot: &'a mut Option<String>,
    new: &'a Option<String>,
}

fn fields<'a>(c: &'a mut Contact, s: &'a Contact) -> [Field<'a>; 11] {
    let f = |name, name_part, slot, new| Field {
        name,
        name_part,
        slot,
        new,
    };
    [
        f("name", true, &mut c.name, &s.name),
        f("first_name", true, &mut c.first_name, &s.first_name),
        f("last_name", true, &mut c.last_name, &s.last_name),
        f("email", false, &mut c.email, &s.email),
        f("phone", false, &mut c.phone, &s.phone),
        f("company", false, &mut c.company, &s.company),
        f("city", false, &mut c.city, &s.city),
        f("region", false, &mut c.region, &s.region),
        f("postal_code", false, &mut c.postal_code, &s.postal_code),
        f("country", false, &mut c.country, &s.country),
        f("birthday", false, &mut c.birthday, &s.birthday),
    ]
}

fn keep_newest<T>(list: &mut Vec<T>, max: usize) {
    if list.len() > max {
        list.drain(..list.len() - max);
    }
}

impl Lead {
    pub fn new(first: &Submission) -> Lead {
        let mut lead = Lead {
            id: first.lead_id.clone(),
            created_at: first.received_at,
            updated_at: first.received_at,
            contact: first.contact.clone(),
            language: None,
            channel: first.channel,
            first_touch: first.attribution.clone(),
            last_touch: Attribution::default(),
            pages_seen: Vec::new(),
            consent: None,
            pending_consent: None,
            consent_history: Vec::new(),
            changes: Vec::new(),
            claims: Vec::new(),
            submissions: Vec::new(),
            submission_count: 0,
        };
        lead.merge(first);
        lead
    }

    /// Folds a submission into the profile. Idempotent: merging the same
    /// submission twice changes nothing.
    ///
    /// The identity policy (docs/lead-intake.md, "One person, one profile"): a trusted
    /// submission updates the contact and records each change; a form
    /// never overwrites a field of a known person, fills only what the
    /// profile lacks (never the email or the country; the names only with
    /// the person's email), and whatever else it claims that differs
    /// becomes a [`Claim`].
    pub fn merge(&mut self, s: &Submission) {
        if self.submissions.contains(&s.id) {
            return;
        }
        self.submissions.push(s.id.clone());
        keep_newest(&mut self.submissions, RECENT_SUBMISSIONS);
        self.submission_count += 1;
        self.updated_at = self.updated_at.max(s.received_at);
        let trusted = s.origin == Origin::Trusted;
        // What a form may fill where the profile has nothing: never the
        // email (the person's identity) nor the country (it decides which
        // consent rules apply), and the names only with the person's email.
        let by_phone = s.contact.email.is_none();
        let may_fill = |field: &Field| match field.name {
            "email" | "country" => false,
            _ => !(by_phone && field.name_part),
        };
        for field in fields(&mut self.contact, &s.contact) {
            let Some(new) = field.new else { continue };
            let fillable = trusted || may_fill(&field);
            match field.slot {
                // Case alone is no change (emails match case-insensitively).
                Some(old) if old.eq_ignore_ascii_case(new) => {}
                Some(old) if trusted => {
                    self.changes.push(Change {
                        field: field.name.into(),
                        from: old.clone(),
                        to: new.clone(),
                        submission_id: s.id.clone(),
                        at: s.received_at,
                    });
                    *old = new.clone();
                }
                None if fillable => {
                    *field.slot = Some(new.clone());
                }
                _ => self.claims.push(Claim {
                    field: field.name.into(),
                    value: new.clone(),
                    submission_id: s.id.clone(),
                    at: s.received_at,
                }),
            }
        }
        keep_newest(&mut self.claims, KEPT_HISTORY);
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
            self.take_consent(consent);
        }
    }

    /// A consent a submission carried: in force at once when it is
    /// confirmed (trusted, single opt-in); else its refusals are in force
    /// at once (saying no needs no proof, and errs on the side of sending
    /// less) and its grants wait for the person, replacing a grant that
    /// waited before.
    fn take_consent(&mut self, consent: &Consent) {
        if consent.confirmed.is_some() {
            self.put_in_force(consent.clone());
            return;
        }
        if consent.refuses_any() {
            let refusal = Consent {
                confirmed: Some(Confirmation {
                    at: consent.recorded_at,
                    by: ConfirmedBy::Refusal,
                }),
                ..consent.clone()
            };
            // Only the refused parts change; what stays keeps its own proof,
            // and the refusal's is kept in the history.
            let in_force = match self.consent.clone() {
                Some(mut current) => {
                    for (now, refused) in [
                        (&mut current.marketing, consent.marketing),
                        (&mut current.ad_user_data, consent.ad_user_data),
                        (&mut current.ad_personalization, consent.ad_personalization),
                    ] {
                        if refused == Some(false) {
                            *now = Some(false);
                        }
                    }
                    self.consent_history.push(refusal);
                    current
                }
                None => Consent {
                    marketing: consent.marketing.filter(|v| !v),
                    ad_user_data: consent.ad_user_data.filter(|v| !v),
                    ad_personalization: consent.ad_personalization.filter(|v| !v),
                    ..refusal
                },
            };
            self.consent = Some(in_force);
            keep_newest(&mut self.consent_history, KEPT_HISTORY);
        }
        if consent.grants_any() {
            self.pending_consent = Some(consent.clone());
        }
    }

    fn put_in_force(&mut self, consent: Consent) {
        if let Some(previous) = self.consent.replace(consent) {
            self.consent_history.push(previous);
            keep_newest(&mut self.consent_history, KEPT_HISTORY);
        }
    }

    /// Whether a withdrawal would change anything: a grant in force or
    /// waiting.
    pub fn has_consent_to_withdraw(&self) -> bool {
        self.pending_consent.is_some() || self.consent.as_ref().is_some_and(Consent::grants_any)
    }

    /// Applies a confirmation or a withdrawal. A confirmation counts only
    /// for the grant still pending (a later form replaced an older link's).
    pub fn apply(&mut self, event: &ConsentEvent) {
        self.updated_at = self.updated_at.max(event.at);
        let confirmation = Confirmation {
            at: event.at,
            by: event.by,
        };
        match &event.action {
            ConsentAction::Confirm { submission_id } => {
                let Some(pending) = self.pending_consent.take_if(|p| &p.submission_id == submission_id) else {
                    return;
                };
                self.put_in_force(Consent {
                    confirmed: Some(confirmation),
                    ..pending
                });
            }
            ConsentAction::Withdraw => {
                self.pending_consent = None;
                self.put_in_force(Consent {
                    marketing: Some(false),
                    ad_user_data: Some(false),
                    ad_personalization: Some(false),
                    text: None,
                    version: None,
                    recorded_at: event.at,
                    submission_id: event.id.clone(),
                    client_hash: event.client_hash.clone(),
                    confirmed: Some(confirmation),
                });
            }
        }
    }
}

/// A person confirming or withdrawing consent: an entry of their log,
/// folded in order with their submissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    /// Derived from what it does, so a repeated click is one event.
    pub id: String,
    pub lead_id: String,
    pub action: ConsentAction,
    pub at: DateTime<Utc>,
    pub by: ConfirmedBy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "consent", rename_all = "snake_case")]
pub enum ConsentAction {
    Confirm { submission_id: String },
    Withdraw,
}

/// One entry of `lead-log:<id>`: a submission, or a consent event (told
/// apart by the event's `action`, which no submission has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Entry {
    Consent(ConsentEvent),
    Submission(Box<Submission>),
}

/// `lead:<id>`: the lead exists. Written with its first submission,
/// deleted by an erase; the profile itself is never stored whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: String,
    pub created_at: DateTime<Utc>,
}

/// `lead-fold:<id>`: the fold of the person's log through slot `through`,
/// with their newest submissions, so loading a person reads this and the
/// few entries after it however long their history is. Written only by
/// lead-intake, with every [`FOLD_EVERY`]th entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    pub through: u64,
    pub lead: Lead,
    /// Oldest first, at most [`RECENT_SUBMISSIONS`].
    pub recent: Vec<Submission>,
    /// Slots up to `through` that were still empty when this was folded
    /// (at most [`MAX_SKIPPED`]): every load looks at them again, and an
    /// entry that arrived late is folded in then, so a slow writer is
    /// never lost, however slow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<u64>,
}

/// Every how many log entries the writer of one stores a fresh [`Fold`].
pub const FOLD_EVERY: u64 = 8;
/// A fold passes an empty slot only this far behind its own: nearer, the
/// slot's writer is most likely still on its way, and waiting costs only
/// a few more entries read.
pub const PASS_EMPTY_AFTER: u64 = 2 * FOLD_EVERY;
/// The most empty slots a fold carries; with more, no fold is stored
/// until they fill.
pub const MAX_SKIPPED: usize = 16;
/// A fold larger than this is not stored (some stores cap a value at
/// 400 KB); loads then read the entries after the older fold.
const MAX_FOLD_BYTES: usize = 256 * 1024;

/// The profile: the fold of the person's log in slot order.
///
/// One person's submissions may arrive at once (a double click, two tabs,
/// a retry racing the original). Each appends itself to `lead-log:<id>` in
/// a slot of its own ([`crate::slots`]) instead of rewriting one profile
/// document, so none is lost and none waits. Reading costs the marker, the
/// counter, the stored fold and the entries after it: at most about
/// [`FOLD_EVERY`], whatever the person's history.
pub fn load(store: &dyn Store, lead_id: &str) -> Result<Option<Lead>, StoreError> {
    Ok(load_history(store, lead_id)?.map(|history| history.lead))
}

/// A lead with its newest submissions.
pub struct History {
    pub lead: Lead,
    /// The newest (at most [`RECENT_SUBMISSIONS`]), oldest first, each once.
    pub submissions: Vec<Submission>,
    /// What was read of its log, for [`changed`] (not from
    /// [`load_recent`], which reads no counter).
    pub seen: slots::Seen,
}

/// Whether the lead's log changed since `seen` (see [`slots::Seen`]).
pub fn changed(store: &dyn Store, lead_id: &str, seen: &slots::Seen) -> Result<bool, StoreError> {
    seen.changed(store, &keys::lead_log(lead_id))
}

/// [`load`], with the newest submissions, for readers that need both.
pub fn load_history(store: &dyn Store, lead_id: &str) -> Result<Option<History>, StoreError> {
    if !store.exists(&keys::lead(lead_id))? {
        return Ok(None);
    }
    let log = keys::lead_log(lead_id);
    let log_len = slots::len(store, &log)?;
    Ok(read_folded(store, lead_id, Some(log_len))?.map(|f| f.history))
}

/// [`load_history`] without reading the log's counter (on SQLite a read
/// of a counter is a transaction): the stored fold and the
/// `2 * FOLD_EVERY` slots after it. Exact while folds keep up, as they do
/// unless a slot stays empty; for checks that may be approximate (the
/// hourly cap). Its `seen` is not for [`changed`].
pub fn load_recent(store: &dyn Store, lead_id: &str) -> Result<Option<History>, StoreError> {
    if !store.exists(&keys::lead(lead_id))? {
        return Ok(None);
    }
    Ok(read_folded(store, lead_id, None)?.map(|f| f.history))
}

/// What [`read_folded`] read: the history (whose `seen.holes` are the
/// slots the fold skipped that are still empty, then the empty ones after
/// it), and how far the stored fold reached.
struct Folded {
    history: History,
    /// The stored fold's `through` (0: none).
    through: u64,
}

/// The stored fold, the late entries of the slots it skipped, and the
/// entries after it through `to` (or through a window after it). A fold
/// stored after `to` was read still counts: `to` grows to its `through`.
fn read_folded(store: &dyn Store, lead_id: &str, to: Option<u64>) -> Result<Option<Folded>, StoreError> {
    let log = keys::lead_log(lead_id);
    let fold: Option<Fold> = store.get_json(&keys::lead_fold(lead_id))?;
    let through = fold.as_ref().map_or(0, |f| f.through);
    let from = through + 1;
    let to = to.map_or(through + 2 * FOLD_EVERY, |to| to.max(through));
    let (mut lead, mut recent, skipped) = match fold {
        Some(f) => (Some(f.lead), f.recent, f.skipped),
        None => (None, Vec::new(), Vec::new()),
    };
    let skipped_keys: Vec<String> = skipped.iter().map(|&slot| slots::slot_key(&log, slot)).collect();
    let mut still_skipped = Vec::new();
    let mut late = Vec::new();
    for (&slot, value) in skipped.iter().zip(store.get_many(&skipped_keys)?) {
        match value {
            Some(bytes) => late.push((slot, bytes)),
            None => still_skipped.push(slot),
        }
    }
    let entries = slots::read(store, &log, from, to)?;
    let mut seen = slots::Seen::after(from, to, &entries);
    seen.holes.splice(0..0, still_skipped);
    // Late entries are folded first: in slot order they come before the rest.
    for (slot, bytes) in late.into_iter().chain(entries) {
        let entry: Entry = decode_json(&slots::slot_key(&log, slot), &bytes)?;
        fold_in(&mut lead, &mut recent, entry);
    }
    Ok(lead.map(|lead| Folded {
        history: History {
            lead,
            submissions: recent,
            seen,
        },
        through,
    }))
}

fn fold_in(lead: &mut Option<Lead>, recent: &mut Vec<Submission>, entry: Entry) {
    match entry {
        Entry::Submission(submission) => {
            match lead.as_mut() {
                Some(lead) => lead.merge(&submission),
                None => *lead = Some(Lead::new(&submission)),
            }
            // A retry that raced its first attempt may have logged it twice.
            if !recent.iter().any(|s| s.id == submission.id) {
                recent.push(*submission);
                keep_newest(recent, RECENT_SUBMISSIONS);
            }
        }
        Entry::Consent(event) => {
            if let Some(lead) = lead.as_mut() {
                lead.apply(&event);
            }
        }
    }
}

/// A submission of a person's log, as an erase needs it.
pub struct Logged {
    pub id: String,
    /// What it gave, whether the profile took it or not: any index entry
    /// still pointing at the person from these goes with them.
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Every submission in the person's log, oldest first, each once: what an
/// erase removes. Reads the whole log, a batch of slots at a time.
pub fn logged(store: &dyn Store, lead_id: &str) -> Result<Vec<Logged>, StoreError> {
    let log = keys::lead_log(lead_id);
    let len = slots::len(store, &log)?;
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut from = 1;
    while from <= len {
        let to = len.min(from + 255);
        for (slot, bytes) in slots::read(store, &log, from, to)? {
            if let Entry::Submission(s) = decode_json(&slots::slot_key(&log, slot), &bytes)? {
                if seen.insert(s.id.clone()) {
                    found.push(Logged {
                        id: s.id,
                        email: s.contact.email,
                        phone: s.contact.phone,
                    });
                }
            }
        }
        from = to + 1;
    }
    Ok(found)
}

/// The lead an identity key names (`keys::lead_by_email`,
/// `keys::lead_by_phone`), if that lead is still there.
pub fn by_identity(store: &dyn Store, key: &str) -> Result<Option<String>, StoreError> {
    let Some(id) = store.get(key)? else {
        return Ok(None);
    };
    let id = String::from_utf8_lossy(&id).into_owned();
    Ok(exists(store, &id)?.then_some(id))
}

/// Whether the lead has been created (its `lead:<id>` marker is there).
pub fn exists(store: &dyn Store, lead_id: &str) -> Result<bool, StoreError> {
    store.exists(&keys::lead(lead_id))
}

/// Appends a submission to its lead's log. The log entry, the submission
/// record, the `lead:<id>` marker (when `is_new`), a fresh fold when one
/// is due, and `extra` are written in one batch, so a crash leaves all or
/// none of them.
pub fn append(
    store: &dyn Store,
    submission: &Submission,
    is_new: bool,
    extra: Vec<(String, Vec<u8>)>,
) -> Result<(), StoreError> {
    let mut writes = vec![keys::submission(&submission.id).entry(submission)];
    if is_new {
        let created = Created {
            id: submission.lead_id.clone(),
            created_at: submission.received_at,
        };
        writes.push(keys::lead(&submission.lead_id).entry(&created));
    }
    writes.extend(extra);
    append_entry(
        store,
        &submission.lead_id,
        Entry::Submission(Box::new(submission.clone())),
        writes,
    )
}

/// Appends a consent event to its lead's log (one slot, one batch).
pub fn append_event(store: &dyn Store, event: &ConsentEvent) -> Result<(), StoreError> {
    append_entry(store, &event.lead_id, Entry::Consent(event.clone()), Vec::new())
}

fn append_entry(
    store: &dyn Store,
    lead_id: &str,
    entry: Entry,
    mut writes: Vec<(String, Vec<u8>)>,
) -> Result<(), StoreError> {
    let log = keys::lead_log(lead_id);
    let slot = slots::take_slot(store, &log)?;
    writes.push((slots::slot_key(&log, slot), json_bytes(&entry)));
    if slot % FOLD_EVERY == 0 {
        // A fold is an optimisation: one that cannot be made now leaves
        // the next to a later entry, and never fails this one.
        match next_fold(store, lead_id, slot, entry) {
            Ok(Some(fold)) => writes.push(keys::lead_fold(lead_id).entry(&fold)),
            Ok(None) => {}
            Err(e) => eprintln!("lead {lead_id}: no fold at slot {slot}: {e}"),
        }
    }
    store.set_many(&writes)
}

/// The fold through `slot`, whose entry is `entry`: none when a newer one
/// is stored, when a slot before it is still empty and less than
/// [`PASS_EMPTY_AFTER`] behind, when it would skip more than
/// [`MAX_SKIPPED`] slots, or when it is too large to store.
fn next_fold(store: &dyn Store, lead_id: &str, slot: u64, entry: Entry) -> Result<Option<Fold>, StoreError> {
    let Some(folded) = read_folded(store, lead_id, Some(slot - 1))? else {
        return Ok(None);
    };
    if folded.through >= slot {
        return Ok(None);
    }
    let empty = &folded.history.seen.holes;
    if empty.iter().any(|&hole| hole + PASS_EMPTY_AFTER > slot) || empty.len() > MAX_SKIPPED {
        return Ok(None);
    }
    let skipped = empty.clone();
    let (mut lead, mut recent) = (Some(folded.history.lead), folded.history.submissions);
    fold_in(&mut lead, &mut recent, entry);
    let fold = Fold {
        through: slot,
        lead: lead.expect("folded onto a lead"),
        recent,
        skipped,
    };
    Ok((json_bytes(&fold).len() <= MAX_FOLD_BYTES).then_some(fold))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_birthday_keeps_the_day_only_and_only_a_real_one() {
        assert_eq!(birthday("1990-04-17").as_deref(), Some("04-17"));
        assert_eq!(birthday("--02-29").as_deref(), Some("02-29"));
        assert_eq!(birthday(" 12-01 ").as_deref(), Some("12-01"));
        assert_eq!(birthday("2000-02-29").as_deref(), Some("02-29"));
        for bad in [
            "1990-02-30",
            "1990-02-29",
            "4-17",
            "+4-17",
            "13-01",
            "1990/04/17",
            "",
            "04-17x",
            "xxxxx04-17",
        ] {
            assert_eq!(birthday(bad), None, "{bad}");
        }
    }

    fn submission(n: u64) -> Submission {
        Submission {
            id: format!("s_{n}"),
            lead_id: "l_1".into(),
            received_at: crate::ports::test_now() + chrono::Duration::minutes(n as i64),
            form: None,
            contact: Contact {
                email: Some("a@example.com".into()),
                ..Contact::default()
            },
            message: Some(format!("message {n}")),
            language: None,
            channel: Channel::Email,
            attribution: Attribution::default(),
            consent: None,
            custom: BTreeMap::new(),
            origin: Origin::Form,
            client_hash: None,
        }
    }

    fn append_n(store: &MemoryStore, from: u64, to: u64) {
        for n in from..=to {
            append(store, &submission(n), n == 1, Vec::new()).unwrap();
        }
    }

    fn fold(store: &MemoryStore) -> Option<Fold> {
        store.get_json(&keys::lead_fold("l_1")).unwrap()
    }

    #[test]
    fn a_fold_waits_for_a_slot_still_being_written_then_passes_it_and_folds_it_in_late() {
        let store = MemoryStore::new();
        append_n(&store, 1, 2);
        // A writer took slot 3 and has not written it yet.
        let slow = slots::take_slot(&store, &keys::lead_log("l_1")).unwrap();
        assert_eq!(slow, 3);
        append_n(&store, 4, 16);
        assert!(
            fold(&store).is_none(),
            "slot 3 is less than {PASS_EMPTY_AFTER} behind slot 16"
        );
        append_n(&store, 17, 24);
        let stored = fold(&store).expect("slot 24 passes slot 3");
        assert_eq!((stored.through, stored.skipped.clone()), (24, vec![3]));
        assert_eq!(load(&store, "l_1").unwrap().unwrap().submission_count, 23);
        // The slow writer arrives: every load sees its entry at once.
        let log = keys::lead_log("l_1");
        store
            .set(
                &slots::slot_key(&log, slow),
                &json_bytes(&Entry::Submission(Box::new(submission(3)))),
            )
            .unwrap();
        assert_eq!(load(&store, "l_1").unwrap().unwrap().submission_count, 24);
        // And the next fold takes it in for good.
        append_n(&store, 25, 32);
        let stored = fold(&store).unwrap();
        assert_eq!((stored.through, stored.skipped), (32, vec![]));
        assert_eq!(stored.lead.submission_count, 32);
    }

    #[test]
    fn a_fold_newer_than_the_counter_read_still_counts_and_an_older_never_replaces_it() {
        let store = MemoryStore::new();
        append_n(&store, 1, 16);
        assert_eq!(fold(&store).unwrap().through, 16);
        // A reader that read the counter at 12 and the fold after it was written.
        let (history, through) = match read_folded(&store, "l_1", Some(12)).unwrap() {
            Some(f) => (f.history, f.through),
            None => panic!("a lead"),
        };
        assert_eq!((through, history.lead.submission_count), (16, 16));
        // A slow writer of slot 8 must not write its fold over the one at 16.
        assert_eq!(
            next_fold(&store, "l_1", 8, Entry::Submission(Box::new(submission(8)))).unwrap(),
            None
        );
    }

    #[test]
    fn too_many_empty_slots_stop_the_folds_until_they_fill() {
        let store = MemoryStore::new();
        append_n(&store, 1, 1);
        let log = keys::lead_log("l_1");
        for _ in 0..=MAX_SKIPPED {
            slots::take_slot(&store, &log).unwrap();
        }
        let next = slots::len(&store, &log).unwrap() + 1;
        append_n(&store, next, next + 4 * FOLD_EVERY);
        assert!(fold(&store).is_none());
        assert_eq!(
            load(&store, "l_1").unwrap().unwrap().submission_count,
            4 * FOLD_EVERY + 2
        );
    }
}
