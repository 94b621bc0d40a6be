//! The journeys an admin sets, as one document (`GET` and `PUT
//! /journeys/admin/journeys`, [`spin_retention_core::admin_doc`]): each
//! journey's trigger, exits, steps, re-entry, priority, holdout and
//! channel, and the settings every journey shares (the time zone, quiet
//! hours, the contact budget).
//!
//! A journey's version is a hash of everything in it but its status, and
//! each version is kept apart once written (`journey-version:`), so people
//! already in a journey finish on the version they entered, whatever an
//! admin changes later; pausing is not a new version.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spin_retention_core::admin_doc::Document;
use spin_retention_core::ids::sha256_hex;
use spin_retention_core::problem::Problem;
use spin_retention_facts::condition::{check_condition, Condition, FactSet};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub journeys: Vec<Journey>,
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// Lowercase letters, digits and `-`.
    pub id: String,
    pub name: String,
    /// Shipped journeys are `paused` until an admin sets them `live`.
    pub status: Status,
    /// Marketing needs confirmed consent and counts against the contact
    /// budget; transactional (an order's status) needs neither.
    pub purpose: Purpose,
    /// What an unsubscribe from one of its messages stops (every journey of
    /// the topic); `marketing` by default.
    #[serde(default = "marketing")]
    pub topic: String,
    /// What enters a person: a kind (`purchase`) or an activity
    /// (`activity:checkout_started`), as customers tells it; or a date
    /// ([`crate::armed`]): `date:birthday`, `date:first_purchase` (each
    /// year), `inactive:<name>` (no `<name>` since), `replenishment`.
    pub enters_on: String,
    /// For a date: the days after it (before it, negative) the person
    /// enters: `-7` a week before a birthday, `30` for thirty days
    /// inactive (what `inactive:` needs), `-5` five days before a reorder.
    #[serde(default, skip_serializing_if = "is_zero_i32")]
    pub offset_days: i32,
    /// Who may enter: every condition holds of the person when the event
    /// arrives (the profile facts of scoring rules and audiences, the one
    /// condition language). Checked on entering only; a `split` tests the
    /// facts again later.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<Condition>,
    /// What takes a person out at once, also mid-wait (a purchase ends an
    /// abandoned checkout).
    #[serde(default)]
    pub exits_on: Vec<String>,
    #[serde(default)]
    pub reentry: Reentry,
    /// 0-100; the higher is sent first when two journeys want one slot.
    #[serde(default)]
    pub priority: u8,
    /// The share (0-90 %) of people who enter but are never sent anything,
    /// by a stable hash, to measure the journey against.
    #[serde(default)]
    pub holdout_percent: u8,
    /// A message deferred (quiet hours, the contact budget) longer than
    /// this after it was first due is skipped, not sent late.
    #[serde(default = "two_days")]
    pub expire_after_hours: u32,
    /// What counts as a conversion: the event, within so many days of
    /// entering (treated and holdout alike, for the lift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
    pub steps: Vec<Step>,
}

/// What counts as a conversion (the event, within so many days of
/// entering): the contract's type, which the report and overview show.
pub use spin_retention_core::contracts::journeys::Goal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Live,
    Paused,
    Archived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Marketing,
    Transactional,
}

/// Whether a person may enter again once their last time through ended
/// (never while it runs: one live copy per person and journey).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reentry {
    #[default]
    Once,
    Always,
    AfterDays(u32),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Wait(Wait),
    Send(Send),
    Split(Split),
    WaitFor(WaitFor),
    /// Goes on at that step (forward only; the number of steps: the end),
    /// as a branch's last step does to pass the other branch.
    GoTo(usize),
    /// Tells the owner, through lead-alerts, to follow the person up.
    Alert(Alert),
    /// Adds or removes one of the person's tags (`core::tags`, the profile
    /// fact `tags` of scoring rules, audiences and journeys), then has
    /// lead-scoring score them again, so their score and audiences follow.
    /// Data, not a message: the holdout is tagged too.
    Tag(Tag),
}

/// `{"tag": {"add": "birthday-club"}}` or `{"tag": {"remove": "vip"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Tag {
    Add(String),
    Remove(String),
}

/// `{"alert": {"note": "Call {first_name}: a loyal customer slipping"}}`:
/// the owner's alert (lead-alerts' channels), with how to reach the person
/// and what to do. Not a message to the person: no consent, budget or
/// quiet hours; the holdout gets none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The same placeholders as a message's text.
    pub note: String,
}

/// Goes on at step `go_to` (forward only; the number of steps: the end)
/// when the person is in it, else at the next step: `when` (every
/// condition holds now) or `percent` (a stable hash of the person's time
/// through, below the share).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    pub go_to: usize,
}

/// Listens for `event` from the moment the step is reached: when it comes
/// `within` the time, the next step at once; else, at the end of it, step
/// `timeout_go_to` (forward only; the number of steps: the end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitFor {
    /// A name as `enters_on` takes it.
    pub event: String,
    pub within: Wait,
    pub timeout_go_to: usize,
}

/// A time to wait, then (with `at`) until the next local time of day in
/// the person's zone, on one of the weekdays `on` when given: `{"days": 1,
/// "at": "10:00", "on": ["mon", "tue", "wed", "thu", "fri"]}` is the first
/// weekday 10:00 a day or more later.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub days: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hours: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub minutes: u32,
    /// `HH:MM`, local (a `wait` only, not a `wait_for`'s `within`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// `mon` to `sun`; with `at` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<String>,
}

impl Wait {
    pub fn duration(&self) -> Duration {
        Duration::days(self.days.into()) + Duration::hours(self.hours.into()) + Duration::minutes(self.minutes.into())
    }

    /// When a wait that starts at `from` ends for a person in `zone`.
    pub fn until(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        zone: spin_retention_zones::Zone,
    ) -> chrono::DateTime<chrono::Utc> {
        let after = from + self.duration();
        let time = self
            .at
            .as_deref()
            .and_then(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").ok());
        let days: Vec<chrono::Weekday> = self.on.iter().filter_map(|d| crate::local::weekday(d)).collect();
        time.and_then(|time| crate::local::next_time_of_day(zone, after, time, &days))
            .unwrap_or(after)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

/// A message, per language (`en` required, `he` optional): the person's
/// language where given, else English.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Send {
    pub channel: Channel,
    /// Email only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subject: BTreeMap<String, String>,
    pub text: BTreeMap<String, String>,
    /// A survey invitation: the id of a survey (survey's), whose personal
    /// link fills `{survey_link}`. At most one invitation per person per
    /// `settings.survey_every_days`, across journeys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<String>,
    /// A coupon: the id of a pool the business uploaded (`PUT
    /// /journeys/admin/coupons/<pool>`), whose next unused code fills
    /// `{coupon}`; one code per person per journey, kept for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
}

/// What every journey shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The business's IANA zone: quiet hours are kept in it for a person
    /// whose country does not name one zone (`pressure::zone_of`).
    pub time_zone: String,
    pub quiet_hours: QuietHours,
    /// Marketing email: at most one per `gap_hours`, `per_week` a week.
    pub email: Budget,
    /// Marketing SMS and WhatsApp together.
    pub sms: Budget,
    /// Nobody is invited to a survey twice within this many days.
    #[serde(default = "thirty")]
    pub survey_every_days: u32,
    /// A conversion is attributed to the last message sent within this many
    /// days before it.
    #[serde(default = "five")]
    pub attribution_days: u32,
    /// The currency revenue per person is reported in (ISO 4217; goals in
    /// other currencies count as conversions only).
    #[serde(default = "usd")]
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// `HH:MM`, local: no marketing from `start` until `end` (a message due
    /// then is held until `end`). `start == end`: none.
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub gap_hours: u32,
    pub per_week: u32,
}

fn marketing() -> String {
    "marketing".into()
}

fn five() -> u32 {
    5
}

fn usd() -> String {
    "USD".into()
}

fn thirty() -> u32 {
    30
}

fn two_days() -> u32 {
    48
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_i32(n: &i32) -> bool {
    *n == 0
}

/// The most journeys, and steps in one.
pub const MAX_JOURNEYS: usize = 50;
pub const MAX_STEPS: usize = 20;

/// The longest a held message may wait, and a re-entry be waited for.
pub const MAX_EXPIRE_HOURS: u32 = 24 * 365;
pub const MAX_REENTRY_DAYS: u32 = 3650;

/// What a template may say, filled in per person.
pub const PLACEHOLDERS: &[&str] = &[
    "first_name",
    "name",
    "business",
    "items",
    "amount",
    "survey_link",
    "coupon",
];

/// What an alert's note may say: a message's placeholders but the links
/// and codes made for the person.
pub const MESSAGE_PLACEHOLDERS: &[&str] = &["first_name", "name", "business", "items", "amount"];

/// What a journey's `when` and a split's may test: the profile facts.
pub const JOURNEY_FACTS: FactSet = FactSet {
    type_of: spin_retention_facts::profile_fact_type,
    listed_at: "docs/journeys.md (the profile facts of GET /audiences/admin/definitions)",
};

/// What enters or exits a journey: the kinds customers tells, and the
/// events of `core::events` that reach journeys (lead-intake's
/// `lead.created`, lead-alerts' lead events, survey's, customers').
pub const NAMES: &[&str] = &[
    "lead.created",
    "lead.hot",
    "lead.assigned",
    "lead.claimed",
    "lead.contacted",
    "lead.sla_breached",
    "survey.answered",
    "survey.detractor",
    "customer.slipping",
    "tier.changed",
    "purchase",
    "refund",
    "subscription_started",
    "subscription_renewed",
    "subscription_cancelled",
    "activity",
];

impl Journey {
    /// Changes with anything in the journey but its status.
    pub fn version(&self) -> String {
        let mut same = self.clone();
        same.status = Status::Live;
        sha256_hex(&serde_json::to_string(&same).expect("journeys serialise"))[..12].to_string()
    }

    pub fn is_live(&self) -> bool {
        self.status == Status::Live
    }
}

impl Settings {
    pub fn budget(&self, channel: Channel) -> Budget {
        match channel {
            Channel::Email => self.email,
            Channel::Sms | Channel::Whatsapp => self.sms,
        }
    }
}

impl Document for Catalogue {
    const KEY: &'static str = "journeys";
    const NAME: &'static str = "journeys";
    const MAX_BYTES: usize = 256 * 1024;
    const NEXT: &'static str = "nothing: people already in a journey finish on their version";

    fn defaults() -> Self {
        serde_json::from_str(include_str!("../defaults/journeys.json")).expect("the shipped journeys parse")
    }

    fn parse(body: &[u8]) -> Result<Self, Problem> {
        parse(body)
    }
}

fn invalid() -> Problem {
    Problem::new(422, "invalid-journeys", "Invalid Journeys")
        .with_detail("the document has errors; each is named in `errors`")
}

/// Parses and checks a document; `Err` is a 422 naming every bad field.
pub fn parse(body: &[u8]) -> Result<Catalogue, Problem> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Problem::new(400, "malformed-body", "Malformed Body").with_detail(format!("not JSON: {e}")))?;
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut bad = |field: &str, message: &str| errors.push((field.to_string(), message.to_string()));
    let journeys: Vec<Value> = match value.get("journeys") {
        Some(Value::Array(list)) => list.clone(),
        _ => {
            bad("journeys", "must be a list of journeys");
            Vec::new()
        }
    };
    if let Value::Object(o) = &value {
        for name in o.keys().filter(|k| !["journeys", "settings"].contains(&k.as_str())) {
            bad(name, "is not a section of the journeys document");
        }
    }
    if journeys.len() > MAX_JOURNEYS {
        bad("journeys", &format!("at most {MAX_JOURNEYS} journeys"));
    }
    let settings = match value.get("settings").map(from_part::<Settings>) {
        Some(Ok(s)) => {
            check_settings(&s, &mut bad);
            Some(s)
        }
        Some(Err(e)) => {
            bad("settings", &e.to_string());
            None
        }
        None => {
            bad("settings", "is required");
            None
        }
    };
    let mut parsed = Vec::new();
    let mut ids = Vec::new();
    for (i, j) in journeys.into_iter().enumerate() {
        let at = format!("journeys[{i}]");
        match from_part::<Journey>(&j) {
            Ok(journey) => {
                if ids.contains(&journey.id) {
                    bad(&format!("{at}.id"), "is the id of an earlier journey");
                }
                ids.push(journey.id.clone());
                check_journey(&journey, &at, &mut bad);
                parsed.push(journey);
            }
            Err(e) => bad(&at, &e.to_string()),
        }
    }
    match settings {
        Some(settings) if errors.is_empty() => Ok(Catalogue {
            journeys: parsed,
            settings,
        }),
        _ => Err(errors.iter().fold(invalid(), |problem, (field, message)| {
            problem.with_field_error(field, message)
        })),
    }
}

/// A part of the document as its type, through the same deserializer as a
/// stored document's bytes (one copy of each type's code in the component,
/// not a second for `serde_json::Value`).
fn from_part<T: serde::de::DeserializeOwned>(part: &Value) -> Result<T, serde_json::Error> {
    serde_json::from_slice(&serde_json::to_vec(part)?)
}

fn check_settings(s: &Settings, bad: &mut impl FnMut(&str, &str)) {
    if spin_retention_zones::Zone::parse(&s.time_zone).is_none() {
        bad("settings.time_zone", "is not an IANA time zone (e.g. Asia/Jerusalem)");
    }
    for (field, time) in [("start", &s.quiet_hours.start), ("end", &s.quiet_hours.end)] {
        if chrono::NaiveTime::parse_from_str(time, "%H:%M").is_err() {
            bad(&format!("settings.quiet_hours.{field}"), "must be HH:MM");
        }
    }
    if !(1..=90).contains(&s.attribution_days) {
        bad("settings.attribution_days", "1 to 90");
    }
    if s.currency.len() != 3 || !s.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        bad("settings.currency", "an ISO 4217 code (USD, ILS, EUR)");
    }
    if !(1..=365).contains(&s.survey_every_days) {
        bad("settings.survey_every_days", "1 to 365");
    }
    for (name, b) in [("email", s.email), ("sms", s.sms)] {
        if b.gap_hours > 24 * 30 {
            bad(&format!("settings.{name}.gap_hours"), "at most 720 (30 days)");
        }
        if b.per_week == 0 {
            bad(
                &format!("settings.{name}.per_week"),
                "at least 1 (a journey with nothing to send is paused instead)",
            );
        }
    }
}

/// An id of ours (a journey, a topic, a survey): 1-64 lowercase letters,
/// digits and `-`.
pub fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_journey(j: &Journey, at: &str, bad: &mut impl FnMut(&str, &str)) {
    if !plain(&j.id) {
        bad(&format!("{at}.id"), "lowercase letters, digits and -, at most 64");
    }
    if !plain(&j.topic) {
        bad(&format!("{at}.topic"), "lowercase letters, digits and -, at most 64");
    }
    if [crate::unsubscribe::ALL, crate::unsubscribe::SMS_STOP].contains(&j.topic.as_str()) {
        bad(&format!("{at}.topic"), "all and sms-stop name opt-outs, not a topic");
    }
    if j.name.trim().is_empty() {
        bad(&format!("{at}.name"), "is required");
    }
    let timed = crate::armed::Timed::of(&j.enters_on);
    check_offset(timed.as_ref(), j.offset_days, &format!("{at}.offset_days"), bad);
    if let Some(crate::armed::Timed::Inactive(name)) = &timed {
        if !known_name(name) {
            bad(
                &format!("{at}.enters_on"),
                "inactive:<name> names what journeys hears (inactive:purchase)",
            );
        }
    }
    let entering = std::iter::once(("enters_on".to_string(), &j.enters_on)).filter(|_| timed.is_none());
    for (field, name) in entering.chain(
        j.exits_on
            .iter()
            .enumerate()
            .map(|(n, e)| (format!("exits_on[{n}]"), e)),
    ) {
        if !known_name(name) {
            bad(
                &format!("{at}.{field}"),
                &format!(
                    "is none of {} (or activity:<what>; to enter, also {} or inactive:<name>)",
                    NAMES.join(", "),
                    crate::armed::DATES.join(", ")
                ),
            );
        }
    }
    if let Some(goal) = &j.goal {
        if !known_name(&goal.event) {
            bad(&format!("{at}.goal.event"), "is not a name journeys hears");
        }
        if !(1..=90).contains(&goal.within_days) {
            bad(&format!("{at}.goal.within_days"), "1 to 90");
        }
    }
    let mut condition_error = |field: String, message: String| bad(&field, &message);
    for (n, c) in j.when.iter().enumerate() {
        check_condition(c, &format!("{at}.when[{n}]"), &JOURNEY_FACTS, &mut condition_error);
    }
    if j.exits_on.contains(&j.enters_on) {
        bad(&format!("{at}.exits_on"), "names what enters the journey");
    }
    if j.priority > 100 {
        bad(&format!("{at}.priority"), "0-100");
    }
    if j.holdout_percent > 90 {
        bad(&format!("{at}.holdout_percent"), "0-90");
    }
    if !(1..=MAX_EXPIRE_HOURS).contains(&j.expire_after_hours) {
        bad(&format!("{at}.expire_after_hours"), "1 to 8760 (a year)");
    }
    if let Reentry::AfterDays(days) = j.reentry {
        if !(1..=MAX_REENTRY_DAYS).contains(&days) {
            bad(&format!("{at}.reentry.after_days"), "1 to 3650 (ten years)");
        }
    }
    if j.steps.is_empty() || j.steps.len() > MAX_STEPS {
        bad(&format!("{at}.steps"), &format!("1 to {MAX_STEPS} steps"));
    }
    if !j
        .steps
        .iter()
        .any(|s| matches!(s, Step::Send(_) | Step::Alert(_) | Step::Tag(_)))
    {
        bad(&format!("{at}.steps"), "sends, alerts and tags nothing");
    }
    let steps = j.steps.len();
    for (n, step) in j.steps.iter().enumerate() {
        let at = format!("{at}.steps[{n}]");
        match step {
            Step::Wait(w) => check_wait(w, &format!("{at}.wait"), bad),
            Step::Send(s) => check_send(s, &at, bad),
            Step::Split(split) => {
                check_forward(&format!("{at}.split.go_to"), split.go_to, n, steps, bad);
                match (split.when.is_empty(), split.percent) {
                    (true, None) | (false, Some(_)) => {
                        bad(&format!("{at}.split"), "either `when` (conditions) or `percent`")
                    }
                    (_, Some(p)) if !(1..=99).contains(&p) => bad(&format!("{at}.split.percent"), "1 to 99"),
                    _ => {}
                }
                let mut condition_error = |field: String, message: String| bad(&field, &message);
                for (k, c) in split.when.iter().enumerate() {
                    check_condition(
                        c,
                        &format!("{at}.split.when[{k}]"),
                        &JOURNEY_FACTS,
                        &mut condition_error,
                    );
                }
            }
            Step::GoTo(to) => check_forward(&format!("{at}.go_to"), *to, n, steps, bad),
            Step::Alert(alert) => {
                let field = format!("{at}.alert.note");
                if alert.note.trim().is_empty() || alert.note.len() > 2000 {
                    bad(&field, "1 to 2000 characters");
                }
                if let Some(unknown) = placeholders(&alert.note).find(|p| !MESSAGE_PLACEHOLDERS.contains(p)) {
                    bad(
                        &field,
                        &format!("{{{unknown}}} is none of {{{}}}", MESSAGE_PLACEHOLDERS.join("}, {")),
                    );
                }
            }
            Step::Tag(change) => {
                let (field, tag) = match change {
                    Tag::Add(tag) => ("add", tag),
                    Tag::Remove(tag) => ("remove", tag),
                };
                if !plain(tag) {
                    bad(
                        &format!("{at}.tag.{field}"),
                        "a tag: 1-64 lowercase letters, digits and -",
                    );
                }
            }
            Step::WaitFor(w) => {
                check_forward(&format!("{at}.wait_for.timeout_go_to"), w.timeout_go_to, n, steps, bad);
                check_wait(&w.within, &format!("{at}.wait_for.within"), bad);
                if w.within.at.is_some() {
                    bad(
                        &format!("{at}.wait_for.within.at"),
                        "a wait_for listens for a time, not until one",
                    );
                }
                if !known_name(&w.event) {
                    bad(&format!("{at}.wait_for.event"), "is not a name journeys hears");
                }
            }
        }
    }
}

/// The offset a trigger takes: none for an event; for a date, up to a
/// quarter either side; for inactivity, 1 to 365 days after; for a
/// reorder, up to 30 days before.
fn check_offset(timed: Option<&crate::armed::Timed>, days: i32, field: &str, bad: &mut impl FnMut(&str, &str)) {
    use crate::armed::Timed;
    let (range, says) = match timed {
        None => (0..=0, "only a date trigger takes one"),
        Some(Timed::Birthday | Timed::FirstPurchase) => (-90..=90, "-90 to 90 days"),
        Some(Timed::Inactive(_)) => (1..=365, "1 to 365 days without it"),
        Some(Timed::Replenishment) => (-30..=0, "-30 to 0 (days before the reorder)"),
    };
    if !range.contains(&days) {
        bad(field, says);
    }
}

/// Forward only: no journey loops, and each step is reached at most once.
fn check_forward(field: &str, to: usize, n: usize, steps: usize, bad: &mut impl FnMut(&str, &str)) {
    if to <= n || to > steps {
        bad(field, &format!("a later step, {} to {steps} (the end)", n + 1));
    }
}

fn check_wait(w: &Wait, field: &str, bad: &mut impl FnMut(&str, &str)) {
    let d = w.duration();
    if (d <= Duration::zero() && w.at.is_none()) || d > Duration::days(365) {
        bad(field, "more than nothing, at most 365 days");
    }
    if let Some(at) = &w.at {
        if chrono::NaiveTime::parse_from_str(at, "%H:%M").is_err() {
            bad(&format!("{field}.at"), "must be HH:MM");
        }
    }
    if !w.on.is_empty() && w.at.is_none() {
        bad(&format!("{field}.on"), "weekdays go with `at`, a time of day");
    }
    if w.on.iter().any(|d| crate::local::weekday(d).is_none()) {
        bad(&format!("{field}.on"), "weekdays are mon, tue, wed, thu, fri, sat, sun");
    }
}

fn check_send(s: &Send, at: &str, bad: &mut impl FnMut(&str, &str)) {
    if !s.text.contains_key("en") {
        bad(&format!("{at}.send.text.en"), "is required (the text in English)");
    }
    if let Some(survey) = &s.survey {
        if !plain(survey) {
            bad(
                &format!("{at}.send.survey"),
                "a survey id: lowercase letters, digits and -",
            );
        }
    }
    if let Some(pool) = &s.coupon {
        if !plain(pool) {
            bad(
                &format!("{at}.send.coupon"),
                "a coupon pool id: lowercase letters, digits and -",
            );
        }
    }
    for (language, text) in s.subject.iter().chain(&s.text) {
        let coupon = placeholders(text).any(|p| p == "coupon");
        if coupon && s.coupon.is_none() {
            bad(
                &format!("{at}.send.coupon"),
                &format!("{{coupon}} in {language} needs a `coupon` pool"),
            );
        }
    }
    if s.coupon.is_some() && !s.text.values().all(|t| placeholders(t).any(|p| p == "coupon")) {
        bad(
            &format!("{at}.send.text"),
            "a coupon's text says {coupon} in every language",
        );
    }
    for (language, text) in &s.text {
        let links = placeholders(text).any(|p| p == "survey_link");
        if links != s.survey.is_some() {
            bad(
                &format!("{at}.send.text.{language}"),
                if links {
                    "{survey_link} needs a `survey`"
                } else {
                    "a survey invitation says {survey_link}"
                },
            );
        }
    }
    if s.channel == Channel::Email && !s.subject.contains_key("en") {
        bad(&format!("{at}.send.subject.en"), "an email needs a subject in English");
    }
    for (part, texts) in [("subject", &s.subject), ("text", &s.text)] {
        for (language, text) in texts {
            let field = format!("{at}.send.{part}.{language}");
            if !["en", "he"].contains(&language.as_str()) {
                bad(&field, "languages are en and he");
            }
            if text.trim().is_empty() || text.len() > 4000 {
                bad(&field, "1 to 4000 characters");
            }
            if let Some(unknown) = placeholders(text).find(|p| !PLACEHOLDERS.contains(p)) {
                bad(
                    &field,
                    &format!("{{{unknown}}} is none of {{{}}}", PLACEHOLDERS.join("}, {")),
                );
            }
        }
    }
}

/// A step's kind and what it is, for a reader (the funnel): an email's
/// subject, a wait's length, where a split goes.
pub fn describe(step: &Step) -> (&'static str, String) {
    let short = |text: &str| text.chars().take(80).collect::<String>();
    match step {
        Step::Wait(w) => ("wait", describe_wait(w)),
        Step::Send(send) => {
            let what = send
                .subject
                .get("en")
                .or(send.text.get("en"))
                .map_or(String::new(), |t| short(t));
            ("send", format!("{}: {what}", send.channel.name()))
        }
        Step::Split(split) => ("split", format!("to step {}", split.go_to + 1)),
        Step::WaitFor(w) => ("wait_for", format!("{} within {}", w.event, describe_wait(&w.within))),
        Step::GoTo(to) => ("go_to", format!("to step {}", to + 1)),
        Step::Alert(alert) => ("alert", short(&alert.note)),
        Step::Tag(Tag::Add(tag)) => ("tag", format!("+{tag}")),
        Step::Tag(Tag::Remove(tag)) => ("tag", format!("-{tag}")),
    }
}

fn describe_wait(w: &Wait) -> String {
    let mut parts: Vec<String> = [(w.days, "d"), (w.hours, "h"), (w.minutes, "min")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if let Some(at) = &w.at {
        parts.push(format!("until {at}"));
    }
    if !w.on.is_empty() {
        parts.push(w.on.join(", "));
    }
    parts.join(" ")
}

/// The `{name}`s of a template.
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

fn known_name(name: &str) -> bool {
    match name.strip_prefix("activity:") {
        Some(what) => !what.is_empty() && what.len() <= 64,
        None => NAMES.contains(&name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_shipped_journeys_are_valid_and_paused() {
        let shipped = Catalogue::defaults();
        let body = serde_json::to_vec(&shipped).unwrap();
        assert_eq!(parse(&body).unwrap(), shipped);
        assert!(shipped.journeys.iter().all(|j| j.status == Status::Paused));
    }

    #[test]
    fn a_bad_document_names_each_bad_field() {
        let mut doc = serde_json::to_value(Catalogue::defaults()).unwrap();
        doc["journeys"][0]["enters_on"] = json!("bought");
        doc["journeys"][0]["steps"][1]["send"]["text"]["en"] = json!("Hi {nickname}");
        doc["journeys"][1]["holdout_percent"] = json!(95);
        doc["settings"]["time_zone"] = json!("Mars/Olympus");
        let problem = parse(&serde_json::to_vec(&doc).unwrap()).unwrap_err();
        assert_eq!(problem.status, 422);
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "settings.time_zone",
                "journeys[0].enters_on",
                "journeys[0].steps[1].send.text.en",
                "journeys[1].holdout_percent"
            ]
        );
        doc = serde_json::to_value(Catalogue::defaults()).unwrap();
        doc["journeys"][0]["steps"][0] = json!({"pause": {"hours": 1}});
        let problem = parse(&serde_json::to_vec(&doc).unwrap()).unwrap_err();
        assert_eq!(problem.errors[0].field, "journeys[0]");
    }

    #[test]
    fn a_version_follows_the_content_not_the_status() {
        let mut j = Catalogue::defaults().journeys[0].clone();
        let v = j.version();
        j.status = Status::Live;
        assert_eq!(j.version(), v);
        j.priority += 1;
        assert_ne!(j.version(), v);
    }
}
