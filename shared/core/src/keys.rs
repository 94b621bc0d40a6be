//! Every key in the shared key-value store, with its owner and layout.
//!
//! One place, so that components never invent keys ad hoc. A key's owner is
//! the only component that writes it, erase included (lead-intake hands an
//! erase to each job, which forgets its own keys); others may read. A key of a JSON value is a [`Key<T>`], which knows the
//! value's type; keys of core's types are made here, the others in the
//! owner's `keys` module (which also re-exports these). A test
//! (`tests/e2e/tests/keys.rs`) checks that every key in this table has its
//! constructor and that every constructor makes a key of this table.
//!
//! | key                          | owner           | value                                              |
//! |------------------------------|-----------------|----------------------------------------------------|
//! | `health:<component>`         | that component  | [`crate::health::HealthRecord`]                    |
//! | `lead:<lead_id>`             | lead-intake     | [`crate::lead::Created`]: the lead exists (absent: never, or erased) |
//! | `lead-log:<lead_id>#n`, `#<slot>` | lead-intake | the person's submissions, one write-once slot each ([`crate::slots`]); the profile is their fold ([`crate::lead::load`]) |
//! | `lead-fold:<lead_id>`        | lead-intake     | [`crate::lead::Fold`]: the profile folded through a slot of `lead-log:`, with the newest submissions |
//! | `submission:<submission_id>` | lead-intake     | [`crate::lead::Submission`]: one form post         |
//! | `handoff:<submission_id>`    | lead-intake     | [`crate::contracts::intake::Handoffs`] (`spin_retention_lead_intake::keys::handoff`): delivery to ack/scoring |
//! | `lead-email:<sha256(email)>` | lead-intake     | lead id (identity index)                           |
//! | `lead-phone:<sha256(e164)>`  | lead-intake     | lead id (identity index)                           |
//! | `submissions#n`, `#<slot>`   | lead-intake     | every submission id, in arrival order ([`crate::slots`]); the hand-off retry walks it |
//! | `after-reply-running:<minute>` | every component | counter: after-reply work running, by the minute it started ([`crate::jobs::within_budget`]) |
//! | `handoffs-from`              | lead-intake     | JSON number: the first slot of `submissions` whose hand-off may still be pending ([`crate::walk`]) |
//! | `handoffs-cursor`            | lead-intake     | JSON number: where the next `submissions` walk starts reading (0: at `handoffs-from`) |
//! | `rate:<sha256(client)>:<minute>` | lead-intake | counter: submissions of a client in one minute; the minute before is deleted |
//! | `suppressed:<sha256(id)>`    | lead-intake     | [`crate::lead::Suppression`]: erased person, never exported |
//! | `erasure:<lead_id>`          | lead-intake     | `spin_retention_lead_intake::erase::Erasure`: an erase handed to the jobs, until each has forgotten the person |
//! | `erasures#n`, `#<slot>`      | lead-intake     | the lead id of every erase, in order ([`crate::slots`]): what the retry route walks |
//! | `erasures-from`              | lead-intake     | JSON number: the first slot of `erasures` that may still be pending ([`crate::walk`]) |
//! | `erasures-cursor`            | lead-intake     | JSON number: where the next `erasures` walk starts reading (0: at `erasures-from`) |
//! | `leads:buckets`, `leads:<hh>` | lead-intake    | every lead id, bucketed by the first two hex digits of sha256(id) ([`crate::lead_list`]) |
//! | `ack:<submission_id>`        | instant-ack     | [`crate::contracts::ack::Delivery`] ([`ack_record`]): acknowledgement state |
//! | `ack-claim:<submission_id>:<window>.<attempts>` | instant-ack | counter: `1` for the one request that may send in that window of `ack_claim_seconds`, after that many attempts |
//! | `ack-number:<sha256(e164)>` | instant-ack    | JSON instant: when an acknowledgement last went by SMS or WhatsApp to this number (a number seen, outside the budget of new ones) |
//! | `ack-new-numbers:<yyyy-mm-dd>` | instant-ack  | counter: acknowledgements by SMS or WhatsApp to new numbers that day (UTC), against `ack_new_numbers_per_day` |
//! | `score:<lead_id>`            | lead-scoring    | `spin_retention_scores::ScoreRecord` (`spin_retention_scores::keys::score`): explained score, assignment, queue place |
//! | `score-log:<lead_id>#n`, `#<slot>` | lead-scoring | `spin_retention_scores::api::ScoreChange`: each change of the lead's total or tier, one write-once slot each ([`crate::slots`]) |
//! | `scoring-rules`              | lead-scoring    | [`crate::admin_doc::Stored`] of the scoring rules an admin set (absent: the defaults) |
//! | `rescore-run`                | lead-scoring    | [`crate::lead_list::Walk`]: progress of re-scoring every lead |
//! | `round-robin:<pool>`         | lead-scoring    | counter: turns taken in a pool                     |
//! | `round-robin:<pool>:<lead_id>`, `#turn` | lead-scoring | counter: `1` for the first to take this lead's turn; the turn it took |
//! | `hot-queue:newest:buckets`, `hot-queue:newest:<day>` | lead-scoring | hot leads by last activity ([`crate::sorted_sets`]) |
//! | `hot-queue:score:buckets`, `hot-queue:score:<band>`  | lead-scoring | hot leads by total score, bands of 10 points |
//! | `lead-surveys:<lead_id>#n`, `#<slot>` | survey | the person's survey events, one write-once slot each ([`crate::slots`]); [`crate::signals::LeadSurveys`] (latest answers, surveys opened) is their fold |
//! | `survey:<survey_id>`         | survey          | [`crate::contracts::survey::Survey`]: the definition |
//! | `survey-answer:<survey_id>:<lead_id>` | survey | [`crate::contracts::survey::Answer`]: the person's latest answer |
//! | `surveys`                    | survey          | the id of every survey defined ([`crate::sets`])   |
//! | `survey-day:<survey_id>:<yyyy-mm-dd>` | survey | lead ids that answered that day ([`crate::sets`]); stale after a later answer |
//! | `followup:<survey_id>:<lead_id>` | survey      | [`crate::contracts::survey::FollowUp`]: talk to an unhappy customer |
//! | `followups:buckets`, `followups:<day>` | survey | open follow-ups, newest first ([`crate::sorted_sets`]) |
//! | `audiences`                  | audience-export | [`crate::admin_doc::Stored`] of the audiences an admin set (absent: the defaults) |
//! | `audience-member:<lead_id>`  | audience-export | `spin_retention_audience_export::membership::Membership`: the audiences a lead is in, and since when |
//! | `audience:<id>:buckets`, `audience:<id>:<day>.<h>` | audience-export | an audience's members by the day they joined (or their identifiers changed), `<h>` = first hex digit of sha256(lead id) ([`crate::sorted_sets`]) |
//! | `audience-refresh`           | audience-export | [`crate::lead_list::Walk`]: progress of re-evaluating every lead's audiences |
//! | `export:<export_id>`         | audience-export | [`crate::contracts::audiences::ExportLog`]: one pull: who, what, when, how many rows (no identifiers) |
//! | `export-log:buckets`, `export-log:<day>` | audience-export | pulls by day, newest first ([`crate::sorted_sets`]) |
//! | `catch-up:<minute>`          | lead-intake     | counter: `1` for the first submission of a minute, which runs intake's catch-up (pending hand-offs and erasures, the SLA nudge) |
//! | `event-interest`             | lead-alerts     | [`crate::events::Interest`]: the events a webhook wants, the forms that alert the owner |
//! | `member-away:<member_id>`    | lead-alerts     | [`crate::team::Away`]: a team member is away (round robin and reassignment skip them) |
//! | `alert-settings`             | lead-alerts     | [`crate::admin_doc::Stored`] of the alert settings (channels, SLA, working hours) |
//! | `webhook-endpoints`          | lead-alerts     | [`crate::admin_doc::Stored`] of the webhook endpoints |
//! | `alert-step:<lead_id>:<n>`   | lead-alerts     | [`crate::contracts::alerts::Step`]: step n of a hot lead's alerts (0: first assignee), write-once |
//! | `alert-step:<lead_id>:<n>:<window>` | lead-alerts | counter: `1` for the one request that takes step n in that window |
//! | `alert-claim:<lead_id>:<window>`, `alert-contact:<lead_id>:<window>` | lead-alerts | counter: `1` for the first claim, the first contact, in a window of time |
//! | `alert-claimed:<lead_id>`    | lead-alerts     | [`crate::contracts::alerts::Claimed`]: who claimed the lead ("I'm on it") |
//! | `alert-contacted:<lead_id>`  | lead-alerts     | [`crate::contracts::alerts::Contacted`]: the first contact and its outcome |
//! | `alerted#n`, `#<slot>`       | lead-alerts     | every alerted lead id, in order ([`crate::slots`]); the SLA walks it |
//! | `alerted-open-from`          | lead-alerts     | JSON number: the first slot of `alerted` that may still be open |
//! | `alerted-week:<yyyy-Www>#n`, `#<slot>` | lead-alerts | leads alerted in an ISO week, for speed-to-lead figures |
//! | `alerts-tick:<minute>`       | lead-alerts     | counter: `1` for the request that runs the SLA on its back that minute |
//! | `event:<event_id>`           | lead-alerts     | [`crate::events::Event`]: an event as recorded, for its deliveries |
//! | `delivery:<event_id>.<endpoint_id>` | lead-alerts | `spin_retention_lead_alerts::webhooks::Delivery`: attempts, status, next retry |
//! | `delivery:<delivery_id>:<n>:<window>` | lead-alerts | counter: `1` for the one sender of attempt n in a window of time |
//! | `lead-keys:<lead_id>#n`, `#<slot>` | lead-alerts | keys written about a person that erase cannot work out again: recorded events, owner's-alert counters ([`crate::slots`]) |
//! | `owner-alert:<submission_id or alert id>` | lead-alerts | counter: `1` for the owner's one alert of a submission, or of a journey's alert step |
//! | `digest-day:<yyyy-mm-dd>#n`, `#<slot>` | lead-alerts | the submissions the owner's digest counts, by local day ([`crate::slots`]) |
//! | `digest:<yyyy-mm-dd>`        | lead-alerts     | [`crate::contracts::alerts::Sent`]: how that day's digest went out; written once |
//! | `digest:<yyyy-mm-dd>:<window>` | lead-alerts   | counter: `1` for the one request that sends that day's digest in a window of time |
//! | `deliveries#n`, `#<slot>`    | lead-alerts     | every delivery id, in order ([`crate::slots`]): the delivery log, the retry walk |
//! | `deliveries-pending-from`    | lead-alerts     | JSON number: the first slot of `deliveries` that may still be pending |
//! | `customer:<lead_id>`         | customers       | [`crate::customer::Customer`]: the fold of the person's customer events (orders, revenue, tier, RFM, slipping) |
//! | `customer-log:<lead_id>#n`, `#<slot>` | customers | the person's customer events, one write-once slot each (`spin_retention_customers::history::Entry`) |
//! | `customer-event:<event_id>`  | customers       | JSON string: the lead an event was recorded for; there, the event is (a replay is a duplicate) |
//! | `stripe-customer:<sha256(cus_id)>` | customers | JSON string: the lead a Stripe customer's payments were recorded for |
//! | `customer-day:<yyyy-mm-dd>#n`, `#<slot>` | customers | the day's orders, refunds and cancellations (`spin_retention_customers::metrics::DayEntry`): what metrics read |
//! | `customers:buckets`, `customers:<hh>` | customers | every customer's lead id ([`crate::lead_list`] under its own name): the refresh walks it |
//! | `customer-settings`          | customers       | [`crate::admin_doc::Stored`] of the customer settings (currency, tiers, slipping, churn) |
//! | `rfm-quintiles`              | customers       | [`crate::contracts::customers::Quintiles`]: RFM cut points, segment counts, the R x F grid |
//! | `customers-refresh`          | customers       | `spin_retention_customers::refresh::Refresh`: progress of the day's refresh run |
//! | `customer-at-risk:<lead_id>:<unix>` | customers | counter: `1` for the one refresh that raises a slipping episode's at-risk signal |
//! | `customer-keys:<lead_id>#n`, `#<slot>` | customers | keys written about a person that erase cannot work out again (at-risk counters) |
//! | `customers-tick:<minute>`    | customers       | counter: `1` for the request that runs a refresh batch on its back that minute |
//! | `journeys`                   | journeys        | [`crate::admin_doc::Stored`] of the journeys an admin set (absent: the shipped ones, paused) |
//! | `journeys-known`             | journeys        | JSON list: every journey id ever set, for erase |
//! | `journeys-interest`          | journeys        | [`crate::happened::Interest`]: what the journeys enter and exit on, read by customers before it tells journeys |
//! | `journey-version:<journey>:<version>` | journeys | `spin_retention_journeys::document::Journey`: a journey as it was at a version, write-once |
//! | `journeys-due:<minute>#n`, `#<slot>` | journeys | the steps due in that minute (unix minutes), `spin_retention_journeys::due::Due`, and the people a date enters then, `spin_retention_journeys::armed::Arm` ([`crate::slots`]); deleted once passed |
//! | `person-tags:<lead_id>#n`, `#<slot>`, `#snap` | journeys | a person's tags ([`crate::tags`], a [`crate::sets`]): what journeys' `tag` step added, the profile fact `tags` |
//! | `journey-armed:<hash>` | journeys | `spin_retention_journeys::armed::Armed`: who a date (a birthday, inactivity, a reorder) next enters into a journey, when, and its slot (the hash of journey and person, which the minute's log names instead of the person) |
//! | `journeys-due-from:<minute>` | journeys        | JSON number: the first slot of that minute's log that may still be pending ([`crate::walk`]) |
//! | `journeys-due-mark`          | journeys        | JSON number: the first minute whose due steps may still be pending |
//! | `journey-seen:<journey>:<event_id>` | journeys | counter: `1` for the one request that enters a person on that event |
//! | `journey-entries:<journey>:<lead_id>` | journeys | counter: the person's times into the journey (the n of its instances) |
//! | `journey-in:<journey>:<lead_id>:<n>` | journeys | `spin_retention_journeys::instance::Instance`: the person's n-th time through, write-once |
//! | `journey-exit:<journey>:<lead_id>:<n>` | journeys | `spin_retention_journeys::instance::Exit`: how that time through ended |
//! | `journey-done:<journey>:<lead_id>:<n>:<step>.<attempt>` | journeys | `spin_retention_journeys::instance::Done`: what a due step did, write-once |
//! | `journey-turn:<hash>:<window>` | journeys      | counter: `1` for the one tick that takes a due step in that window (the hash of the step, or of an armed entry, names no person) |
//! | `journeys-sent:<lead_id>:<lane>:<window>` | journeys | JSON instant: the marketing message sent in that window of the contact budget (`email`, `sms`); `…:n` is the counter that took it |
//! | `journeys-week:<lead_id>:<lane>:<yyyy-Www>` | journeys | counter: marketing messages to the person that ISO week |
//! | `journeys-optout:<lead_id>:<topic>` | journeys | `spin_retention_journeys::instance::OptOut`: unsubscribed from a topic (`all`: everything; `sms-stop`: a reply of STOP, marketing by SMS and WhatsApp) |
//! | `journeys-surveyed:<lead_id>` | journeys       | JSON instant: the person's last survey invitation from a journey (the throttle) |
//! | `journey-converted:<journey>:<lead_id>:<n>` | journeys | counter: `1` for the one event that is that time through's goal (a conversion) |
//! | `journey-recovered:<journey>:<lead_id>:<n>` | journeys | counter: `1` for the passive or promoter answer that counts that time through a detractor recovery as recovered |
//! | `journeys-tick:<minute>`     | journeys        | counter: `1` for the request that takes due steps on its back that minute |
//! | `journey-count:<journey>:<figure>` | journeys  | counter: a journey's figures (entered, sent, deferred and skipped by reason, exits by why, and `step:<n>:<outcome>`: how people went on from each step, its funnel) |
//! | `journey-click:<journey>:<lead_id>:<n>:<step>` | journeys | counter: clicks on the links of that step's message |
//! | `journey-clicked:<journey>:<lead_id>:<n>:<step>` | journeys | JSON instant: that message's first click |
//! | `journeys-coupons:<pool>#n`, `#<slot>` | journeys | JSON string: a coupon code the business uploaded ([`crate::slots`]) |
//! | `journeys-coupons-issued:<pool>` | journeys   | counter: the pool's codes handed out (the last slot taken) |
//! | `journey-coupon:<pool>:<journey>:<lead_id>` | journeys | JSON string: the code of the pool the person was given in that journey |
//! | `dashboard-signout:<session_id>` | dashboard  | the signed-out session's expiry (unix seconds): its cookie is refused (`spin_retention_dashboard::keys::signed_out`) |
//!
//! Every set ([`crate::sets`]) named above also keeps `<name>#snap`, the
//! snapshot its writers keep, beside its slots; every sorted set
//! ([`crate::sorted_sets`]) keeps `<name>:known:<bucket>` markers beside its
//! buckets.
//!
//! Ids (`l_...`, `s_...`, survey ids: lowercase letters, digits, `-`) never contain `:`. Identifiers inside keys are
//! hashed, so no personal data sits in key names.

use crate::ids::sha256_hex;
use std::fmt;
use std::marker::PhantomData;

/// A key of the store and the type of the JSON value it holds: reading it
/// gives that type, and only that type can be written to it
/// ([`crate::store::JsonStore`]). Keys of counters, logs and raw values are
/// plain names.
pub struct Key<T> {
    name: String,
    holds: PhantomData<fn() -> T>,
}

impl<T> Key<T> {
    pub fn new(name: impl Into<String>) -> Self {
        Key {
            name: name.into(),
            holds: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<T: serde::Serialize> Key<T> {
    /// The write of `value` here, for a batch ([`crate::store::Store::set_many`]).
    pub fn entry(&self, value: &T) -> (String, Vec<u8>) {
        (self.name.clone(), crate::store::json_bytes(value))
    }
}

/// A key is also its name, for `exists`, `delete` and batches.
impl<T> std::ops::Deref for Key<T> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.name
    }
}

impl<T> fmt::Display for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.name)
    }
}

pub fn health(component: &str) -> Key<crate::health::HealthRecord> {
    Key::new(format!("health:{component}"))
}

pub fn lead(lead_id: &str) -> Key<crate::lead::Created> {
    Key::new(format!("lead:{lead_id}"))
}

/// The [`crate::slots`] log of a lead's submissions.
pub fn lead_log(lead_id: &str) -> String {
    format!("lead-log:{lead_id}")
}

/// The stored fold of a lead's log ([`crate::lead::Fold`]).
pub fn lead_fold(lead_id: &str) -> Key<crate::lead::Fold> {
    Key::new(format!("lead-fold:{lead_id}"))
}

pub fn submission(submission_id: &str) -> Key<crate::lead::Submission> {
    Key::new(format!("submission:{submission_id}"))
}

pub fn lead_by_email(email: &str) -> String {
    format!("lead-email:{}", sha256_hex(&email.to_lowercase()))
}

pub fn lead_by_phone(e164: &str) -> String {
    format!("lead-phone:{}", sha256_hex(e164))
}

/// The [`crate::slots`] log of every submission id, in arrival order.
pub const SUBMISSIONS: &str = "submissions";

/// Counter of after-reply work started in one minute and still running.
pub fn after_reply_running(minute: i64) -> String {
    format!("after-reply-running:{minute}")
}

/// A client's submission counter for one minute (minutes since the epoch).
pub fn rate(client: &str, minute: i64) -> String {
    format!("rate:{}:{minute}", &sha256_hex(client)[..32])
}

/// Suppression of one identifier (lowercased email or E.164 phone).
pub fn suppressed(identifier: &str) -> Key<crate::lead::Suppression> {
    Key::new(format!("suppressed:{}", sha256_hex(&identifier.to_lowercase())))
}

/// The [`crate::sorted_sets`] name of every lead; the keys are `leads:...`.
pub const LEADS_INDEX: &str = "leads";

pub const SCORING_RULES: &str = "scoring-rules";
pub const RESCORE_RUN: &str = "rescore-run";

pub fn lead_surveys(lead_id: &str) -> String {
    format!("lead-surveys:{lead_id}")
}

/// What customers tells the other jobs about a person's purchases.
pub fn customer(lead_id: &str) -> Key<crate::customer::Customer> {
    Key::new(format!("customer:{lead_id}"))
}

/// A submission's acknowledgement record, instant-ack's. Other jobs (the
/// lead view of lead-intake) read it as its contract type, which is core's.
pub fn ack_record(submission_id: &str) -> Key<crate::contracts::ack::Delivery> {
    Key::new(format!("ack:{submission_id}"))
}

/// The audience definitions an admin set ([`crate::admin_doc`]).
pub const AUDIENCE_DEFINITIONS: &str = "audiences";
pub const AUDIENCE_REFRESH: &str = "audience-refresh";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_namespaced_and_hide_personal_data() {
        assert_eq!(health("lead-intake").name(), "health:lead-intake");
        assert_eq!(lead_by_email("Dana@X.io"), lead_by_email("dana@x.io"));
        assert!(!lead_by_email("dana@x.io").contains("dana"));
        assert!(suppressed("+972525551234").starts_with("suppressed:"));
    }
}
