//! instant-ack's logic: one personal acknowledgement per submission, sent
//! through the configured provider, with its delivery state recorded.
//!
//! Never an open relay, and it reveals nothing: the only input is a
//! submission id; the recipient is the address or number that submission
//! gave, the text the configured templates filled with that submission's own
//! fields (never the stored profile's: whoever posts someone's phone number
//! must not read their name back), and a field that looks like a link
//! ([`looks_like_link`]) is left out.
//!
//! Nothing sleeps: each request makes at most one attempt. A failed one
//! records when the next may be made (`next_attempt_at`, backing off from
//! `ack_retry_base_seconds`, doubling) and answers 502 with `retry-after`;
//! intake's hand-off retry walk (`POST /intake/admin/handoffs/retry`) makes
//! the next attempts. After `ack_max_attempts` the delivery is failed for
//! good and the answer says so with a 422, which the walk records as final.

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod job;
pub mod keys;
pub mod links;
pub mod sms;
pub mod templates;

use chrono::{DateTime, Utc};
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::lead::{Channel, Submission};
use spin_retention_core::ports::{Config, Ctx};
use spin_retention_core::problem::Problem;
use spin_retention_core::store::{JsonStore, StoreError};
use spin_retention_core::text::looks_like_link;
use spin_retention_messaging::{self as providers, Account, Message, Provider};

/// The delivery record (`ack:<submission_id>`) and its states: a contract,
/// since lead-intake shows it with each submission of a lead.
pub use spin_retention_core::contracts::ack::{Delivery, State};

/// What erasing a person removes here, per submission: the delivery record,
/// its senders' claims and the number it made "seen". Whether there was a
/// record.
pub fn forget(store: &dyn spin_retention_core::store::Store, submission_id: &str) -> Result<bool, StoreError> {
    let key = keys::ack(submission_id);
    let Some(delivery) = store.get_json::<Delivery>(&key)? else {
        return Ok(false);
    };
    let mut gone: Vec<String> = delivery.claims.clone();
    gone.push(delivery.claim_key());
    gone.extend(delivery.number_key.clone());
    gone.sort();
    gone.dedup();
    gone.push(key.to_string());
    store.delete_many(&gone)?;
    Ok(true)
}

/// What instant-ack does with its records besides storing them.
pub trait Sender {
    /// The claim key of this record's sender, `ack-claim:<id>:<window>.<attempts>`
    /// (its attempts before it sent).
    fn claim_key(&self) -> String;

    /// A record being sent now for `submission`, keeping the attempts made so far.
    fn new(submission: &Submission, previous: Option<&Delivery>, now: DateTime<Utc>) -> Self;

    /// Seconds until the next attempt is due (at least 1), if one is waited for.
    fn retry_after(&self, now: DateTime<Utc>) -> Option<i64>;
}

impl Sender for Delivery {
    fn claim_key(&self) -> String {
        keys::ack_claim(&self.submission_id, self.round, self.claimed_after)
    }

    fn new(submission: &Submission, previous: Option<&Delivery>, now: DateTime<Utc>) -> Self {
        Delivery {
            submission_id: submission.id.clone(),
            lead_id: submission.lead_id.clone(),
            state: State::Sending,
            channel: String::new(),
            provider: String::new(),
            attempts: previous.map_or(0, |p| p.attempts),
            provider_message_id: None,
            last_error: None,
            received_at: submission.received_at,
            sent_at: None,
            latency_ms: None,
            next_attempt_at: None,
            updated_at: now,
            round: previous.map_or(0, |p| p.round),
            claimed_after: previous.map_or(0, |p| p.attempts),
            claims: previous.map(|p| p.claims.clone()).unwrap_or_default(),
            new_number: previous.is_some_and(|p| p.new_number),
            number_key: previous.and_then(|p| p.number_key.clone()),
        }
    }

    fn retry_after(&self, now: DateTime<Utc>) -> Option<i64> {
        let next = self.next_attempt_at.filter(|_| self.state == State::Retrying)?;
        let millis = (next - now).num_milliseconds();
        (millis > 0).then(|| (millis + 999) / 1000)
    }
}

/// The longest wait between two attempts, whatever the backoff says.
const MAX_RETRY_WAIT_SECONDS: i64 = 3600;

struct AckSettings {
    account: Option<Account>,
    business: String,
    templates: Result<std::collections::BTreeMap<String, templates::Template>, String>,
    max_attempts: u32,
    /// The wait after the first failed attempt; doubled after each later one.
    retry_base_seconds: i64,
    /// A round still "sending" after this long is taken to have died.
    claim_seconds: i64,
    max_age_minutes: i64,
    new_numbers_per_day: i64,
    sms_countries: Vec<String>,
}

fn settings(config: &dyn Config) -> AckSettings {
    let account = Account::from_config(config, "ack");
    let number = |name: &str, default: i64| config.get(name).and_then(|v| v.trim().parse().ok()).unwrap_or(default);
    AckSettings {
        account,
        business: config.get("business_name").unwrap_or_else(|| "our team".into()),
        templates: templates::load(config.get("ack_templates").as_deref()),
        max_attempts: number("ack_max_attempts", 5).clamp(1, 10) as u32,
        retry_base_seconds: number("ack_retry_base_seconds", 30).clamp(1, MAX_RETRY_WAIT_SECONDS),
        claim_seconds: number("ack_claim_seconds", 300).max(1),
        max_age_minutes: number("ack_max_age_minutes", 24 * 60),
        new_numbers_per_day: number("ack_new_numbers_per_day", sms::DEFAULT_NEW_NUMBERS_PER_DAY).max(0),
        sms_countries: sms::parse_countries(config.get("ack_sms_countries").as_deref()),
    }
}

impl AckSettings {
    /// The wait after a submission's `attempts`-th failed attempt:
    /// `ack_retry_base_seconds` doubled for each attempt before it, at most
    /// an hour.
    fn backoff(&self, attempts: u32) -> chrono::Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        chrono::Duration::seconds((self.retry_base_seconds << doublings).min(MAX_RETRY_WAIT_SECONDS))
    }
}

/// `GET /ack/submissions/<id>`: the delivery record.
pub fn status(req: &Request, ctx: &Ctx, submission_id: &str) -> Handled {
    let delivery = ctx
        .store
        .get_json::<Delivery>(&keys::ack(submission_id))?
        .ok_or_else(|| Problem::not_found(&req.path).with_detail("no acknowledgement for this submission"))?;
    Ok(Reply::json(200, &delivery))
}

fn with_retry_after(problem: Problem, seconds: i64) -> Reply {
    Reply::from(problem).with_header("retry-after", &seconds.max(1).to_string())
}

/// `POST /ack/submissions/<id>`: one attempt at the acknowledgement unless
/// it was sent. 200 with the record when sent (now or before), expired or
/// skipped; 502 with `retry-after` when this attempt failed and another will
/// be due; 503 with `retry-after` before the next attempt is due (the
/// provider is not called), and 503 when no provider is configured; 422 when
/// it failed for good or no contact of the submission can be reached.
pub fn send(req: &Request, ctx: &Ctx, submission_id: &str) -> Handled {
    let s = settings(ctx.config);
    let submission = ctx
        .store
        .get_json::<Submission>(&keys::submission(submission_id))?
        .ok_or_else(|| Problem::not_found(&req.path).with_detail("no such submission"))?;
    if !ctx.store.exists(&keys::lead(&submission.lead_id))? {
        return Err(Problem::not_found(&req.path)
            .with_detail("the submission's lead is gone")
            .into());
    }
    let key = keys::ack(submission_id);
    let previous = ctx.store.get_json::<Delivery>(&key)?;
    if let Some(done) = previous
        .as_ref()
        .filter(|d| matches!(d.state, State::Sent | State::Expired | State::Skipped))
    {
        return Ok(Reply::json(200, done));
    }
    if let Some(failed) = previous.as_ref().filter(|d| d.state == State::Failed) {
        return Err(failed_for_good(failed).into());
    }
    if (ctx.now - submission.received_at).num_minutes() >= s.max_age_minutes {
        let mut expired = Delivery::new(&submission, previous.as_ref(), ctx.now);
        expired.state = State::Expired;
        expired.last_error = Some(format!(
            "not sent: older than ack_max_age_minutes ({})",
            s.max_age_minutes
        ));
        ctx.store.set_json(&key, &expired)?;
        return Ok(Reply::json(200, &expired));
    }
    if let Some(wait) = previous.as_ref().and_then(|p| p.retry_after(ctx.now)) {
        return Err(with_retry_after(
            Problem::new(503, "ack-retry-later", "Next Attempt Not Due").with_detail(format!(
                "attempt {} failed; the next is due in {wait} s",
                previous.as_ref().map_or(0, |p| p.attempts)
            )),
            wait,
        ));
    }
    let account = s.account.as_ref().ok_or_else(|| {
        Problem::new(503, "ack-not-configured", "No Provider Configured")
            .with_detail("set ack_provider (and its ack_* variables); this submission stays pending")
    })?;
    let templates = s
        .templates
        .as_ref()
        .map_err(|e| Problem::new(503, "ack-misconfigured", "Templates Invalid").with_detail(e.clone()))?;
    let earlier = previous.as_ref().filter(|p| p.attempts > 0).map(|p| p.channel.as_str());
    let (channel, to_email, to_phone) = recipient(&submission, account.provider, earlier).ok_or_else(|| {
        Problem::new(422, "no-reachable-channel", "No Reachable Channel").with_detail(format!(
            "{} cannot reach this submission by any contact it gave",
            account.provider.name()
        ))
    })?;
    let mut delivery = Delivery::new(&submission, previous.as_ref(), ctx.now);
    delivery.channel = channel.into();
    delivery.provider = account.provider.name().into();
    delivery.round = claim(ctx, &s, submission_id, previous.as_ref())?.ok_or_else(|| {
        Problem::new(409, "ack-in-progress", "Already Being Sent")
            .with_detail("another request is sending this acknowledgement")
    })?;
    let claim_key = delivery.claim_key();
    if !delivery.claims.contains(&claim_key) {
        delivery.claims.push(claim_key);
    }
    let (channel, to_email, to_phone) = match to_phone {
        Some(phone) => match sms_allowed(ctx, &s, phone, &mut delivery)? {
            None => (channel, to_email, to_phone),
            Some(reason) => match submission
                .contact
                .email
                .as_deref()
                .filter(|_| account.provider.sends_email())
            {
                // By email instead, the submission's own address.
                Some(email) => ("email", Some(email), None),
                None => {
                    delivery.state = State::Skipped;
                    delivery.last_error = Some(format!("not sent: {reason}"));
                    ctx.store.set_json(&key, &delivery)?;
                    return Ok(Reply::json(200, &delivery));
                }
            },
        },
        None => (channel, to_email, to_phone),
    };
    delivery.channel = channel.into();
    // Seen by concurrent requests (409) until it is stale.
    ctx.store.set_json(&key, &delivery)?;
    let template = templates::pick(templates, submission.language.as_deref());
    // Only what this submission gave, and nothing that reads as a link.
    let topic = submission
        .form
        .as_deref()
        .and_then(topic)
        .or_else(|| submission.message.as_deref().and_then(topic));
    let fill = templates::Fill {
        first_name: own(&submission.contact.first_name),
        name: own(&submission.contact.name),
        company: own(&submission.contact.company),
        topic: topic.as_deref(),
        business: &s.business,
    };
    let subject = templates::render(&template.subject, template, &fill);
    let text = templates::render(
        if channel == "email" {
            &template.email
        } else {
            &template.sms
        },
        template,
        &fill,
    );
    let text = match links::footer(ctx, &submission, to_email, to_phone)? {
        Some(footer) => format!("{text}\n\n{footer}"),
        None => text,
    };
    let message = Message {
        event: "lead.acknowledge",
        reference: submission_id,
        lead_id: &submission.lead_id,
        channel,
        to_email,
        to_phone,
        to_name: own(&submission.contact.name),
        language: submission.language.as_deref(),
        subject: &subject,
        text: &text,
        headers: &[],
    };
    attempt(ctx, &s, account, &message, &mut delivery);
    if !matches!(ctx.store.exists(&keys::submission(submission_id)), Ok(true)) {
        // Erased while we were sending: leave no record behind.
        let _ = forget(ctx.store, submission_id);
        return Err(Problem::not_found(&req.path)
            .with_detail("the submission was erased")
            .into());
    }
    delivery.updated_at = ctx.now;
    let mut writes = Vec::new();
    if let (State::Sent, Some(phone)) = (delivery.state, to_phone) {
        // The number is seen now: later acknowledgements to it are outside
        // the budget of new numbers.
        let number = keys::ack_number(phone);
        writes.push(number.entry(&ctx.now));
        delivery.number_key = Some(number.to_string());
    }
    writes.push(key.entry(&delivery));
    ctx.store.set_many(&writes)?;
    match delivery.state {
        State::Sent => Ok(Reply::json(200, &delivery)),
        State::Retrying => Err(with_retry_after(
            Problem::new(502, "provider-failed", "Provider Failed").with_detail(format!(
                "{}; attempt {} of {}, the next from {}",
                delivery.last_error.clone().unwrap_or_default(),
                delivery.attempts,
                s.max_attempts,
                delivery.next_attempt_at.map(|t| t.to_rfc3339()).unwrap_or_default()
            )),
            delivery.retry_after(ctx.now).unwrap_or(1),
        )),
        _ => Err(failed_for_good(&delivery).into()),
    }
}

/// A field of the submission for a template, unless it looks like a link.
fn own(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !looks_like_link(v))
}

/// The answer for a delivery failed for good: a 4xx, so that the hand-off
/// records it as final instead of retrying it.
fn failed_for_good(delivery: &Delivery) -> Problem {
    Problem::new(422, "ack-failed", "Acknowledgement Failed").with_detail(format!(
        "failed for good after {} attempt(s): {}",
        delivery.attempts,
        delivery.last_error.clone().unwrap_or_default()
    ))
}

/// Whether an SMS or WhatsApp acknowledgement may go to `phone`: `None` if
/// so, else why not ([`sms`]). A number never sent to before takes one of
/// the day's `ack_new_numbers_per_day` (an `increment` of the day's counter,
/// once per submission, by its one sender).
fn sms_allowed(ctx: &Ctx, s: &AckSettings, phone: &str, delivery: &mut Delivery) -> Result<Option<String>, StoreError> {
    if !sms::country_allowed(phone, &s.sms_countries) {
        return Ok(Some("the number's country is not in ack_sms_countries".into()));
    }
    if delivery.new_number || ctx.store.exists(&keys::ack_number(phone))? {
        return Ok(None);
    }
    let over = "ack_new_numbers_per_day reached for today";
    if s.new_numbers_per_day == 0 {
        return Ok(Some(over.into()));
    }
    let taken = ctx.store.increment(&keys::ack_new_numbers(ctx.now.date_naive()), 1)?;
    if taken > s.new_numbers_per_day {
        return Ok(Some(over.into()));
    }
    delivery.new_number = true;
    Ok(None)
}

/// Claims the right to send a submission's acknowledgement now:
/// `Some(window)` if this request is the one to send it.
///
/// Of all requests that try with the same view of the delivery record (its
/// attempts so far) in the same window of `ack_claim_seconds`, the one
/// whose `increment` of `ack-claim:<id>:<window>.<attempts>` counts 1
/// sends, so two hand-offs of one submission at once send one message. The
/// sender writes a "sending" record at once, and while that record is
/// fresher than `ack_claim_seconds` nobody else tries. A failed attempt
/// (its attempts counted) may be followed by the next once it is due; a
/// sender that died before writing anything blocks only until the window
/// ends. Not `core::turns::take`: the "sending" record, written at once,
/// is what holds others off here, so a window need not wait on its
/// neighbours, and a retry after a failure may follow in the same window.
fn claim(
    ctx: &Ctx,
    s: &AckSettings,
    submission_id: &str,
    previous: Option<&Delivery>,
) -> Result<Option<u64>, StoreError> {
    if let Some(p) = previous.filter(|p| p.state == State::Sending) {
        if (ctx.now - p.updated_at).num_seconds() < s.claim_seconds {
            return Ok(None);
        }
    }
    let window = ctx.now.timestamp().div_euclid(s.claim_seconds).max(0) as u64;
    let attempts = previous.map_or(0, |p| p.attempts);
    let first = ctx
        .store
        .increment(&keys::ack_claim(submission_id, window, attempts), 1)?
        == 1;
    Ok(first.then_some(window))
}

/// One call to the provider, no retry within it: the record says whether
/// it was sent, when the next attempt is due, or that it failed for good.
fn attempt(ctx: &Ctx, s: &AckSettings, account: &Account, message: &Message, delivery: &mut Delivery) {
    delivery.attempts += 1;
    delivery.next_attempt_at = None;
    let retryable = match ctx.outbound.send(providers::request(account, message)) {
        Ok(resp) if (200..300).contains(&resp.status) => {
            delivery.state = State::Sent;
            delivery.provider_message_id = providers::message_id(account.provider, &resp);
            delivery.sent_at = Some(ctx.now);
            delivery.latency_ms = Some((ctx.now - delivery.received_at).num_milliseconds());
            delivery.last_error = None;
            return;
        }
        Ok(resp) => {
            // The status only: an error body may quote the recipient.
            delivery.last_error = Some(format!("{} answered HTTP {}", account.provider.name(), resp.status));
            // 4xx other than 408/429 will not get better by retrying.
            resp.status >= 500 || resp.status == 408 || resp.status == 429
        }
        Err(e) => {
            delivery.last_error = Some(e);
            true
        }
    };
    if retryable && delivery.attempts < s.max_attempts {
        delivery.state = State::Retrying;
        delivery.next_attempt_at = Some(ctx.now + s.backoff(delivery.attempts));
    } else {
        delivery.state = State::Failed;
    }
}

/// The channel the submission asked for if the provider can use it, else
/// another contact the submission gave that the provider can reach. Only
/// the submission's own address and number: never the stored lead's, which
/// whoever posted this may not know. A channel an earlier attempt used is
/// kept, so that one submission's attempts go one way.
fn recipient<'a>(
    s: &'a Submission,
    provider: Provider,
    earlier: Option<&str>,
) -> Option<(&'static str, Option<&'a str>, Option<&'a str>)> {
    let email = s.contact.email.as_deref();
    let phone = s.contact.phone.as_deref();
    let by_email = (provider.sends_email() && email.is_some()).then_some(("email", email, None));
    let by_phone = |name: &'static str| (provider.sends_sms() && phone.is_some()).then_some((name, None, phone));
    let kept = match earlier {
        Some("email") => by_email,
        Some("sms") => by_phone("sms"),
        Some("whatsapp") => by_phone("whatsapp"),
        _ => None,
    };
    kept.or_else(|| match s.channel {
        Channel::Email => by_email.or_else(|| by_phone("sms")),
        Channel::Sms => by_phone("sms").or(by_email),
        Channel::Whatsapp => by_phone("whatsapp").or(by_email),
    })
}

/// What the submission asked about, for `{{topic}}`: the form's name or the
/// first line of the message. Left out when it looks like a link or an
/// address ([`looks_like_link`]), so the acknowledgement cannot be used to
/// mail someone a stranger's link.
fn topic(text: &str) -> Option<String> {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() || looks_like_link(line) {
        return None;
    }
    Some(if line.chars().count() <= 60 {
        line.to_string()
    } else {
        format!("{}\u{2026}", line.chars().take(59).collect::<String>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::lead::{Contact, Lead};
    use spin_retention_core::ports::{test_now, NoOutbound, Outbound, OutboundRequest, OutboundResponse};
    use spin_retention_core::store::{MemoryStore, Store};
    use std::collections::{HashMap, VecDeque};
    use std::sync::Mutex;

    /// A provider that answers with the statuses it is given (then 202)
    /// and keeps every request.
    #[derive(Default)]
    struct Scripted {
        statuses: Mutex<VecDeque<u16>>,
        sent: Mutex<Vec<OutboundRequest>>,
    }

    impl Scripted {
        fn failing(n: usize, status: u16) -> Self {
            Scripted {
                statuses: Mutex::new(std::iter::repeat_n(status, n).collect()),
                ..Default::default()
            }
        }

        fn sent(&self) -> Vec<serde_json::Value> {
            let sent = self.sent.lock().unwrap();
            sent.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
        }
    }

    impl Outbound for Scripted {
        fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, String> {
            self.sent.lock().unwrap().push(request);
            let status = self.statuses.lock().unwrap().pop_front().unwrap_or(202);
            Ok(OutboundResponse {
                status,
                headers: Vec::new(),
                body: b"{\"id\":\"m1\"}".to_vec(),
            })
        }
    }

    fn submission(id: &str, lead_id: &str, contact: Contact, message: Option<&str>) -> Submission {
        Submission {
            id: id.into(),
            lead_id: lead_id.into(),
            received_at: test_now(),
            form: None,
            contact,
            message: message.map(str::to_string),
            language: None,
            channel: Channel::Email,
            attribution: Default::default(),
            consent: None,
            custom: Default::default(),
            origin: Default::default(),
            client_hash: None,
        }
    }

    /// Stores a submission in its lead's log, as intake does.
    fn store(store: &MemoryStore, s: &Submission, is_new: bool) {
        spin_retention_core::lead::append(store, s, is_new, Vec::new()).unwrap();
    }

    fn webhook_config(extra: &[(&str, &str)]) -> HashMap<String, String> {
        [
            ("ack_provider", "webhook"),
            ("ack_provider_url", "https://hooks.example.test"),
            ("business_name", "Acme"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn post(ctx: &Ctx, id: &str) -> Reply {
        match send(&Request::new("POST", &format!("/ack/submissions/{id}")), ctx, id) {
            Ok(r) | Err(r) => r,
        }
    }

    fn record(store: &MemoryStore, id: &str) -> Delivery {
        store.get_json(&keys::ack(id)).unwrap().unwrap()
    }

    fn delivery(state: State, round: u64, attempts: u32, updated_at: DateTime<Utc>) -> Delivery {
        Delivery {
            submission_id: "s_1".into(),
            lead_id: "l_1".into(),
            state,
            channel: "email".into(),
            provider: "sendgrid".into(),
            attempts,
            provider_message_id: None,
            last_error: None,
            received_at: updated_at,
            sent_at: None,
            latency_ms: None,
            next_attempt_at: None,
            updated_at,
            round,
            claimed_after: 0,
            claims: Vec::new(),
            new_number: false,
            number_key: None,
        }
    }

    #[test]
    fn one_sender_per_window_and_another_after_a_failure_or_a_dead_sender() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("ack_claim_seconds".to_string(), "60".to_string())].into();
        let s = settings(&config);
        let at = |seconds: i64| {
            Ctx::new(
                &store,
                &config,
                &NoOutbound,
                test_now() + chrono::Duration::seconds(seconds),
            )
        };
        // Two hand-offs of one submission at once: one sends.
        let claims: Vec<Option<u64>> = (0..8).map(|_| claim(&at(0), &s, "s_1", None).unwrap()).collect();
        assert_eq!(claims.iter().flatten().count(), 1);
        let window = claims.into_iter().flatten().next().unwrap();
        let sending = delivery(State::Sending, window, 0, test_now());
        assert_eq!(
            claim(&at(10), &s, "s_1", Some(&sending)).unwrap(),
            None,
            "still sending"
        );
        // Its sender died after writing "sending": a later window may send.
        assert_eq!(claim(&at(61), &s, "s_1", Some(&sending)).unwrap(), Some(window + 1));
        assert_eq!(claim(&at(62), &s, "s_1", Some(&sending)).unwrap(), None, "taken");
        // A sender that died before writing anything blocks one window.
        assert_eq!(claim(&at(125), &s, "s_1", None).unwrap(), Some(window + 2));
        // A failed send may be tried again at once, by one request.
        let failed = delivery(
            State::Failed,
            window + 2,
            3,
            test_now() + chrono::Duration::seconds(126),
        );
        assert_eq!(claim(&at(127), &s, "s_1", Some(&failed)).unwrap(), Some(window + 2));
        assert_eq!(claim(&at(128), &s, "s_1", Some(&failed)).unwrap(), None, "taken");
    }

    #[test]
    fn a_provider_failing_three_times_is_tried_by_later_calls_never_by_a_sleep() {
        let db = MemoryStore::new();
        let config = webhook_config(&[("ack_retry_base_seconds", "30"), ("ack_max_attempts", "5")]);
        let dana = Contact {
            email: Some("fay@example.com".into()),
            first_name: Some("Fay".into()),
            ..Default::default()
        };
        store(&db, &submission("s_1", "l_1", dana, None), true);
        let provider = Scripted::failing(3, 503);
        let at = |seconds: i64| Ctx::new(&db, &config, &provider, test_now() + chrono::Duration::seconds(seconds));
        let calls = || provider.sent.lock().unwrap().len();
        let started = std::time::Instant::now();
        // Attempt 1 fails: 502, the next due after the base wait.
        let r = post(&at(0), "s_1");
        assert_eq!((r.status, r.header("retry-after"), calls()), (502, Some("30"), 1));
        let d = record(&db, "s_1");
        assert_eq!((d.state, d.attempts), (State::Retrying, 1));
        assert_eq!(d.next_attempt_at, Some(test_now() + chrono::Duration::seconds(30)));
        // Before it is due: 503 with the wait left, the provider not called.
        let r = post(&at(10), "s_1");
        assert_eq!((r.status, r.header("retry-after"), calls()), (503, Some("20"), 1));
        // Attempt 2 (due at 30) fails, the wait doubles; attempt 3 (due at 90) too.
        let r = post(&at(30), "s_1");
        assert_eq!((r.status, r.header("retry-after"), calls()), (502, Some("60"), 2));
        assert_eq!(post(&at(89), "s_1").status, 503);
        let r = post(&at(90), "s_1");
        assert_eq!((r.status, r.header("retry-after"), calls()), (502, Some("120"), 3));
        // Attempt 4 succeeds.
        let r = post(&at(210), "s_1");
        assert_eq!((r.status, calls()), (200, 4));
        let d = record(&db, "s_1");
        assert_eq!((d.state, d.attempts, d.next_attempt_at), (State::Sent, 4, None));
        assert_eq!(d.latency_ms, Some(210_000), "on the request's clock");
        // Sent: later calls send nothing.
        assert_eq!((post(&at(400), "s_1").status, calls()), (200, 4));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "no request slept"
        );
        // Erase removes the record and every sender's claim.
        let claims = d.claims.clone();
        assert_eq!(claims.len(), 4, "{claims:?}");
        assert!(forget(&db, "s_1").unwrap());
        for key in claims {
            assert!(!db.exists(&key).unwrap(), "{key}");
        }
    }

    #[test]
    fn after_the_last_attempt_it_fails_for_good_with_a_final_answer() {
        let db = MemoryStore::new();
        let config = webhook_config(&[("ack_retry_base_seconds", "1"), ("ack_max_attempts", "2")]);
        let contact = Contact {
            email: Some("x@example.com".into()),
            ..Default::default()
        };
        store(&db, &submission("s_1", "l_1", contact.clone(), None), true);
        store(&db, &submission("s_2", "l_1", contact, None), false);
        let provider = Scripted::failing(2, 500);
        let at = |seconds: i64| Ctx::new(&db, &config, &provider, test_now() + chrono::Duration::seconds(seconds));
        assert_eq!(post(&at(0), "s_1").status, 502);
        let r = post(&at(5), "s_1");
        assert_eq!(r.status, 422, "failed for good: the hand-off stops retrying");
        assert_eq!(record(&db, "s_1").state, State::Failed);
        assert_eq!(post(&at(600), "s_1").status, 422);
        assert_eq!(provider.sent.lock().unwrap().len(), 2);
        // A refusal that retrying cannot change fails at once.
        let refusing = Scripted::failing(1, 400);
        let ctx = Ctx::new(&db, &config, &refusing, test_now());
        assert_eq!(post(&ctx, "s_2").status, 422);
        assert_eq!(record(&db, "s_2").attempts, 1);
    }

    #[test]
    fn the_acknowledgement_says_only_what_its_submission_gave() {
        let db = MemoryStore::new();
        let config = webhook_config(&[]);
        let dana = Contact {
            name: Some("Dana Levi".into()),
            first_name: Some("Dana".into()),
            last_name: Some("Levi".into()),
            email: Some("dana.real@acme.example".into()),
            phone: Some("+972525550001".into()),
            company: Some("Acme Real".into()),
            ..Default::default()
        };
        let mut first = submission("s_dana", "l_dana", dana, None);
        first.language = Some("he".into());
        store(&db, &first, true);
        // A stranger posts Dana's phone with another address; whatever
        // intake merges, the stored profile is Dana's.
        let stranger = Contact {
            email: Some("mallory@evil.example".into()),
            phone: Some("+972525550001".into()),
            ..Default::default()
        };
        store(&db, &submission("s_x", "l_dana", stranger, Some("x1")), false);
        let lead: Lead = spin_retention_core::lead::load(&db, "l_dana").unwrap().unwrap();
        assert_eq!(lead.contact.first_name.as_deref(), Some("Dana"));
        let provider = Scripted::default();
        let ctx = Ctx::new(&db, &config, &provider, test_now());
        assert_eq!(post(&ctx, "s_x").status, 200);
        let sent = provider.sent();
        let text = sent[0].to_string();
        for secret in ["Dana", "Levi", "dana.real", "Acme Real", "\u{5e9}\u{5dc}\u{5d5}\u{5dd}"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(sent[0]["to"]["email"], "mallory@evil.example");
        assert_eq!(sent[0]["to"]["name"], serde_json::Value::Null);
        assert_eq!(
            sent[0]["subject"], "We got your request, there",
            "English: the stranger's own language"
        );
    }

    #[test]
    fn fields_that_look_like_links_are_left_out() {
        let db = MemoryStore::new();
        let config = webhook_config(&[]);
        let phishing = Contact {
            email: Some("victim@example.com".into()),
            first_name: Some("Account locked, verify at secure-login.co/x".into()),
            company: Some("bit.ly/x".into()),
            ..Default::default()
        };
        let mut s = submission("s_1", "l_1", phishing, Some("Go to evil.example now"));
        s.form = Some("see www.evil.example".into());
        store(&db, &s, true);
        let provider = Scripted::default();
        let ctx = Ctx::new(&db, &config, &provider, test_now());
        assert_eq!(post(&ctx, "s_1").status, 200);
        let sent = provider.sent();
        let text = sent[0].to_string();
        for link in ["secure-login", "bit.ly", "evil.example"] {
            assert!(!text.contains(link), "{link} in {text}");
        }
        assert_eq!(sent[0]["subject"], "We got your request, there");
    }

    fn by_sms(number: &str, email: Option<&str>) -> Contact {
        Contact {
            phone: Some(number.into()),
            email: email.map(str::to_string),
            ..Default::default()
        }
    }

    /// One writer per key: acknowledgements by email and SMS (a claim, the
    /// record, the number's budget), a retry after a failure, and an erase
    /// write only instant-ack's keys.
    #[test]
    fn instant_ack_writes_only_its_own_keys() {
        let db = MemoryStore::new();
        let mut config = webhook_config(&[("ack_new_numbers_per_day", "2")]);
        config.insert("admin_token".into(), "t".into());
        let email = submission("s_1", "l_1", by_sms("+972525550001", Some("a@example.com")), None);
        let mut sms = submission("s_2", "l_2", by_sms("+972525550002", None), None);
        sms.channel = Channel::Sms;
        store(&db, &email, true);
        store(&db, &sms, true);
        let owned = spin_retention_core::ownership::OwnedBy::new(&db, "instant-ack");
        let provider = Scripted::failing(1, 503);
        let ctx = Ctx::new(&owned, &config, &provider, test_now());
        post(&ctx, "s_1");
        let later = Ctx::new(&owned, &config, &provider, test_now() + chrono::Duration::minutes(5));
        assert_eq!(post(&later, "s_1").status, 200);
        assert_eq!(post(&ctx, "s_2").status, 200);
        let mut forget = Request::new("DELETE", "/ack/admin/people/l_2");
        forget.headers.push(("authorization".into(), "Bearer t".into()));
        forget.body = br#"{"submission_ids": ["s_2"]}"#.to_vec();
        assert_eq!(crate::job::JOB.handle(&forget, &ctx).reply.status, 200);
    }

    /// The record is a contract (lead-intake's lead view shows it): what
    /// `GET /ack/submissions/{id}` answers reads back as
    /// `contracts::ack::Delivery`, bookkeeping and all.
    #[test]
    fn the_record_answered_is_the_contract() {
        let db = MemoryStore::new();
        let mut config = webhook_config(&[]);
        config.insert("admin_token".into(), "t".into());
        store(
            &db,
            &submission("s_1", "l_1", by_sms("+972525550001", Some("a@example.com")), None),
            true,
        );
        let provider = Scripted::failing(0, 503);
        let ctx = Ctx::new(&db, &config, &provider, test_now());
        assert_eq!(post(&ctx, "s_1").status, 200);
        let mut req = Request::new("GET", "/ack/submissions/s_1");
        req.headers.push(("authorization".into(), "Bearer t".into()));
        let reply = crate::job::JOB.handle(&req, &ctx).reply;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        let read: Delivery = spin_retention_core::contracts::testing::reads_as(&reply.body);
        assert_eq!(read, record(&db, "s_1"));
        assert_eq!((read.state, read.claims.len()), (State::Sent, 1));
    }

    #[test]
    fn new_numbers_have_a_daily_budget_and_countries_an_allow_list() {
        let db = MemoryStore::new();
        let config = webhook_config(&[("ack_new_numbers_per_day", "2"), ("ack_sms_countries", "IL")]);
        let sms = |id: &str, contact: Contact| {
            let mut s = submission(id, &format!("l_{id}"), contact, None);
            s.channel = Channel::Sms;
            s.received_at += chrono::Duration::days(i64::from(id == "s_7"));
            store(&db, &s, true);
        };
        sms("s_1", by_sms("+972525550001", None));
        sms("s_2", by_sms("+972525550001", None));
        sms("s_3", by_sms("+972525550002", None));
        sms("s_4", by_sms("+972525550003", Some("four@example.com")));
        sms("s_5", by_sms("+972525550004", None));
        sms("s_6", by_sms("+18765550123", None));
        let provider = Scripted::default();
        let ctx = Ctx::new(&db, &config, &provider, test_now());
        for id in ["s_1", "s_2", "s_3", "s_4", "s_5", "s_6"] {
            assert_eq!(post(&ctx, id).status, 200, "{id}");
        }
        let state = |id: &str| {
            let d = record(&db, id);
            (d.state, d.channel)
        };
        assert_eq!(state("s_1"), (State::Sent, "sms".into()), "a new number, 1 of 2");
        assert_eq!(state("s_2"), (State::Sent, "sms".into()), "seen: outside the budget");
        assert_eq!(state("s_3"), (State::Sent, "sms".into()), "a new number, 2 of 2");
        assert_eq!(state("s_4"), (State::Sent, "email".into()), "past the budget: by email");
        assert_eq!(
            state("s_5"),
            (State::Skipped, "sms".into()),
            "past it, no email: skipped"
        );
        assert_eq!(
            state("s_6"),
            (State::Skipped, "sms".into()),
            "Jamaica is not in the list"
        );
        assert!(record(&db, "s_6").last_error.unwrap().contains("ack_sms_countries"));
        assert_eq!(provider.sent.lock().unwrap().len(), 4);
        // Skipped is final: asked again, nothing is sent.
        assert_eq!(post(&ctx, "s_5").status, 200);
        assert_eq!(provider.sent.lock().unwrap().len(), 4);
        // A new day, a new budget.
        let tomorrow = Ctx::new(&db, &config, &provider, test_now() + chrono::Duration::days(1));
        sms("s_7", by_sms("+972525550005", None));
        assert_eq!(post(&tomorrow, "s_7").status, 200);
        assert_eq!(state("s_7"), (State::Sent, "sms".into()));
        // Erase forgets the number: it is new again.
        let seen = keys::ack_number("+972525550001");
        assert!(db.exists(&seen).unwrap());
        forget(&db, "s_1").unwrap();
        forget(&db, "s_2").unwrap();
        assert!(!db.exists(&seen).unwrap());
    }
}
