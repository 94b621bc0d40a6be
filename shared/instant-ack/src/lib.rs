//! instant-ack's logic: one personal acknowledgement per submission, sent
//! through the configured provider, with its delivery state recorded.
//!
//! Never an open relay: the only input is a submission id; the recipient
//! comes from the stored lead and the text from the configured templates.

// Errors are problem documents and replies, built once per failed request.
#![allow(clippy::result_large_err)]

pub mod job;
pub mod keys;
pub mod links;
pub mod providers;
pub mod templates;

use chrono::{DateTime, Utc};
use providers::{Account, Message, Provider};
use serde::{Deserialize, Serialize};
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::lead::{Channel, Lead, Submission};
use spin_retention_core::ports::{Config, Ctx};
use spin_retention_core::problem::Problem;
use spin_retention_core::store::{JsonStore, StoreError};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Being sent by the request that claimed it.
    Sending,
    Sent,
    Failed,
    /// Not sent because the submission is older than `ack_max_age_minutes`:
    /// a "we got your request" days later would do more harm than good.
    Expired,
}

/// `ack:<submission_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub submission_id: String,
    pub lead_id: String,
    pub state: State,
    pub channel: String,
    pub provider: String,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub received_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// From the submission's arrival at intake to the provider accepting it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
    pub updated_at: DateTime<Utc>,
    /// The claim window of this record's sender; see [`claim`].
    #[serde(default)]
    round: u64,
    /// The attempts made before this record's sender claimed.
    #[serde(default)]
    claimed_after: u32,
}

/// What erasing a person removes here, per submission: the delivery record
/// and its sender's claim. Whether there was a record.
pub fn forget(store: &dyn spin_retention_core::store::Store, submission_id: &str) -> Result<bool, StoreError> {
    let key = keys::ack(submission_id);
    let Some(delivery) = store.get_json::<Delivery>(&key)? else {
        return Ok(false);
    };
    store.delete(&delivery.claim_key())?;
    store.delete(&key)?;
    Ok(true)
}

impl Delivery {
    /// The claim key of this record's sender, `ack-claim:<id>:<window>.<attempts>`
    /// (its attempts before it sent).
    pub fn claim_key(&self) -> String {
        keys::ack_claim(&self.submission_id, self.round, self.claimed_after)
    }

    /// A record being sent now for `submission`, keeping the attempts made so far.
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
            updated_at: now,
            round: previous.map_or(0, |p| p.round),
            claimed_after: previous.map_or(0, |p| p.attempts),
        }
    }
}

struct AckSettings {
    account: Option<Account>,
    business: String,
    templates: Result<std::collections::BTreeMap<String, templates::Template>, String>,
    max_attempts: u32,
    backoff: Duration,
    /// A round still "sending" after this long is taken to have died.
    claim_seconds: i64,
    max_age_minutes: i64,
}

fn settings(config: &dyn Config) -> AckSettings {
    let account = Account::from_config(config, "ack");
    AckSettings {
        account,
        business: config.get("business_name").unwrap_or_else(|| "our team".into()),
        templates: templates::load(config.get("ack_templates").as_deref()),
        max_attempts: config
            .get("ack_max_attempts")
            .and_then(|v| v.parse().ok())
            .unwrap_or(3)
            .clamp(1, 10),
        backoff: Duration::from_millis(
            config
                .get("ack_backoff_ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(200)
                .min(2000),
        ),
        claim_seconds: config
            .get("ack_claim_seconds")
            .and_then(|v| v.parse().ok())
            .unwrap_or(300)
            .max(1),
        max_age_minutes: config
            .get("ack_max_age_minutes")
            .and_then(|v| v.parse().ok())
            .unwrap_or(24 * 60),
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

/// `POST /ack/submissions/<id>`: send the acknowledgement unless it was sent.
/// 200 when sent (now or before), 502 when the provider failed every
/// attempt, 503 when no provider is configured; the caller retries later.
pub fn send(req: &Request, ctx: &Ctx, submission_id: &str) -> Handled {
    let s = settings(ctx.config);
    let submission = ctx
        .store
        .get_json::<Submission>(&keys::submission(submission_id))?
        .ok_or_else(|| Problem::not_found(&req.path).with_detail("no such submission"))?;
    let lead = spin_retention_core::lead::load(ctx.store, &submission.lead_id)?
        .ok_or_else(|| Problem::not_found(&req.path).with_detail("the submission's lead is gone"))?;
    let key = keys::ack(submission_id);
    let previous = ctx.store.get_json::<Delivery>(&key)?;
    if let Some(done) = previous
        .as_ref()
        .filter(|d| matches!(d.state, State::Sent | State::Expired))
    {
        return Ok(Reply::json(200, done));
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
    let account = s.account.as_ref().ok_or_else(|| {
        Problem::new(503, "ack-not-configured", "No Provider Configured")
            .with_detail("set ack_provider (and its ack_* variables); this submission stays pending")
    })?;
    let templates = s
        .templates
        .as_ref()
        .map_err(|e| Problem::new(503, "ack-misconfigured", "Templates Invalid").with_detail(e.clone()))?;
    let (channel, to_email, to_phone) = recipient(&lead, &submission, account.provider).ok_or_else(|| {
        Problem::new(422, "no-reachable-channel", "No Reachable Channel").with_detail(format!(
            "{} cannot reach this lead by any contact it gave",
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
    // Seen by concurrent requests (409) until it is stale.
    ctx.store.set_json(&key, &delivery)?;
    let template = templates::pick(templates, submission.language.as_deref().or(lead.language.as_deref()));
    let topic = submission
        .form
        .as_deref()
        .and_then(topic)
        .or_else(|| submission.message.as_deref().and_then(topic));
    let fill = templates::Fill {
        first_name: lead.contact.first_name.as_deref(),
        name: lead.contact.name.as_deref(),
        company: lead.contact.company.as_deref(),
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
    let text = match links::footer(ctx.config, &lead, &submission, to_email, to_phone, ctx.now) {
        Some(footer) => format!("{text}\n\n{footer}"),
        None => text,
    };
    let message = Message {
        event: "lead.acknowledge",
        submission_id,
        lead_id: &lead.id,
        channel,
        to_email,
        to_phone,
        to_name: lead.contact.name.as_deref(),
        language: submission.language.as_deref(),
        subject: &subject,
        text: &text,
    };
    deliver(ctx, &s, account, &message, &mut delivery);
    if !matches!(ctx.store.exists(&keys::submission(submission_id)), Ok(true)) {
        // Erased while we were sending: leave no record behind.
        let _ = ctx.store.delete(&key);
        return Err(Problem::not_found(&req.path)
            .with_detail("the submission was erased")
            .into());
    }
    delivery.updated_at = chrono::Utc::now().max(ctx.now);
    ctx.store.set_json(&key, &delivery)?;
    match delivery.state {
        State::Sent => Ok(Reply::json(200, &delivery)),
        _ => Err(Problem::new(502, "provider-failed", "Provider Failed")
            .with_detail(delivery.last_error.clone().unwrap_or_default())
            .into()),
    }
}

/// Claims the right to send a submission's acknowledgement now:
/// `Some(window)` if this request is the one to send it.
///
/// Of all requests that try with the same view of the delivery record (its
/// attempts so far) in the same window of `ack_claim_seconds`, the one
/// whose `increment` of `ack-claim:<id>:<window>.<attempts>` counts 1
/// sends, so two hand-offs of one submission at once send one message. The
/// sender writes a "sending" record at once, and while that record is
/// fresher than `ack_claim_seconds` nobody else tries. A failed send
/// (its attempts counted) may be tried again at once; a sender that died
/// before writing anything blocks only until the window ends.
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

fn deliver(ctx: &Ctx, s: &AckSettings, account: &Account, message: &Message, delivery: &mut Delivery) {
    for attempt in 0..s.max_attempts {
        if attempt > 0 {
            // Backoff between calls to a failing provider (ack_backoff_ms,
            // doubling, for ack_max_attempts), not a wait for another
            // writer: the claim already makes this request the only sender.
            std::thread::sleep(s.backoff.saturating_mul(1 << (attempt - 1)));
        }
        delivery.attempts += 1;
        match ctx.outbound.send(providers::request(account, message)) {
            Ok(resp) if (200..300).contains(&resp.status) => {
                let now = chrono::Utc::now().max(ctx.now);
                delivery.state = State::Sent;
                delivery.provider_message_id = providers::message_id(account.provider, &resp);
                delivery.sent_at = Some(now);
                delivery.latency_ms = Some((now - delivery.received_at).num_milliseconds());
                delivery.last_error = None;
                return;
            }
            Ok(resp) => {
                // The status only: an error body may quote the recipient.
                delivery.last_error = Some(format!("{} answered HTTP {}", account.provider.name(), resp.status));
                // 4xx other than 408/429 will not get better by retrying.
                let retryable = resp.status >= 500 || resp.status == 408 || resp.status == 429;
                if !retryable {
                    break;
                }
            }
            Err(e) => delivery.last_error = Some(e),
        }
    }
    delivery.state = State::Failed;
}

/// The channel the lead asked for if the provider can use it, else any
/// contact the provider can reach.
fn recipient<'a>(
    lead: &'a Lead,
    s: &'a Submission,
    provider: Provider,
) -> Option<(&'static str, Option<&'a str>, Option<&'a str>)> {
    let email = s.contact.email.as_deref().or(lead.contact.email.as_deref());
    let phone = s.contact.phone.as_deref().or(lead.contact.phone.as_deref());
    let by_email = (provider.sends_email() && email.is_some()).then_some(("email", email, None));
    let by_phone = |name: &'static str| (provider.sends_sms() && phone.is_some()).then_some((name, None, phone));
    match s.channel {
        Channel::Email => by_email.or_else(|| by_phone("sms")),
        Channel::Sms => by_phone("sms").or(by_email),
        Channel::Whatsapp => by_phone("whatsapp").or(by_email),
    }
}

/// What the lead asked about, for `{{topic}}`: the form's name or the first
/// line of the message. Left out when it holds a link or an address, so the
/// acknowledgement cannot be used to mail someone a stranger's link.
fn topic(text: &str) -> Option<String> {
    let line = text.lines().next().unwrap_or_default().trim();
    let lower = line.to_ascii_lowercase();
    if line.is_empty() || ["://", "www.", "@", ".com", "http"].iter().any(|m| lower.contains(m)) {
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
    use spin_retention_core::ports::{test_now, NoOutbound};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

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
            updated_at,
            round,
            claimed_after: 0,
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
}
