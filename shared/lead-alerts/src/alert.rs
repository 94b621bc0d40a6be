//! What an alert says and how it goes out: who the person is, how to reach
//! them (a `tel:` and a `https://wa.me/` link), what they asked, why they
//! are hot (the score's reasons), and the signed claim and contacted links;
//! as an email, an SMS or WhatsApp message, a Slack Block Kit message or a
//! JSON webhook.

use crate::record::{Person, Sent, Why};
use crate::settings::{Channel, Recipient};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use spin_retention_core::lead::{Lead, Submission};
use spin_retention_core::ports::{Ctx, OutboundRequest};
use spin_retention_messaging::{self as providers, Account, Message};
use spin_retention_scores::ScoreRecord;

/// Everything an alert shows.
pub struct Alert<'a> {
    /// Unique per lead and step: the providers' idempotency key.
    pub id: String,
    pub lead: &'a Lead,
    /// The newest submission: what they asked.
    pub latest: Option<&'a Submission>,
    pub score: Option<&'a ScoreRecord>,
    pub to: &'a Person,
    pub why: Why,
    /// What a journey's alert says to do (`Why::Journey`).
    pub note: Option<&'a str>,
    pub claim_url: String,
    pub contact_url: String,
}

/// One message to one person, in every channel's form: an alert, or the
/// owner's daily digest.
pub struct Notice {
    /// Unique per message: the providers' idempotency key.
    pub id: String,
    /// The generic webhook provider's `event`.
    pub event: &'static str,
    /// The lead it is about; empty for a digest.
    pub lead_id: String,
    pub to: Person,
    pub subject: String,
    /// Email, and the generic webhook's `text`.
    pub text: String,
    /// SMS and WhatsApp.
    pub short_text: String,
    /// A Slack incoming-webhook message (Block Kit).
    pub slack: Value,
    /// The JSON a webhook channel gets.
    pub webhook: Value,
}

/// Reasons shown: the rules that fired, strongest first.
const MAX_REASONS: usize = 5;

impl Alert<'_> {
    pub fn name(&self) -> String {
        let c = &self.lead.contact;
        c.name
            .clone()
            .or_else(|| {
                let full = [c.first_name.as_deref(), c.last_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                (!full.is_empty()).then_some(full)
            })
            .or_else(|| c.email.clone())
            .unwrap_or_else(|| self.lead.id.clone())
    }

    pub fn tel_link(&self) -> Option<String> {
        self.lead.contact.phone.as_ref().map(|p| format!("tel:{p}"))
    }

    /// wa.me takes the number's digits without `+`.
    pub fn whatsapp_link(&self) -> Option<String> {
        let phone = self.lead.contact.phone.as_ref()?;
        Some(format!("https://wa.me/{}", phone.trim_start_matches('+')))
    }

    pub fn asked(&self) -> Option<&str> {
        self.latest
            .and_then(|s| s.message.as_deref())
            .filter(|m| !m.trim().is_empty())
    }

    pub fn reasons(&self) -> Vec<&str> {
        let Some(score) = self.score else { return Vec::new() };
        let mut fired: Vec<_> = score.score.fired.iter().filter(|f| f.points > 0).collect();
        fired.sort_by_key(|f| std::cmp::Reverse(f.points));
        fired.iter().take(MAX_REASONS).map(|f| f.why.as_str()).collect()
    }

    pub fn subject(&self) -> String {
        let name = self.name();
        let points = self.score.map(|s| s.score.total).unwrap_or_default();
        match self.why {
            Why::Assigned => format!("Hot lead: {name} ({points} points)"),
            Why::Reassigned => format!("Hot lead waiting: {name} ({points} points), now yours"),
            Why::Escalated => format!("Escalated: {name} ({points} points) has not been claimed"),
            Why::Submitted => format!("New submission from {name}"),
            Why::Journey => format!("Follow up: {name}"),
        }
    }

    /// The plain-text alert (email, and the webhook's `text`).
    pub fn text(&self) -> String {
        let mut lines = vec![format!("{}, {}.", self.to.name, self.subject()), String::new()];
        lines.push(format!("Who: {}", self.name()));
        if let Some(email) = &self.lead.contact.email {
            lines.push(format!("Email: {email}"));
        }
        if let (Some(phone), Some(tel), Some(wa)) = (&self.lead.contact.phone, self.tel_link(), self.whatsapp_link()) {
            lines.push(format!("Phone: {phone} (call {tel}, WhatsApp {wa})"));
        }
        if let Some(form) = self.latest.and_then(|s| s.form.as_deref()) {
            lines.push(format!("Form: {form}"));
        }
        if let Some(asked) = self.asked() {
            lines.push(format!("Asked: {asked}"));
        }
        if let Some(note) = self.note {
            lines.push(format!("Why: {note}"));
        }
        let reasons = self.reasons();
        if !reasons.is_empty() {
            lines.push(String::new());
            lines.push("Why hot:".into());
            lines.extend(reasons.iter().map(|r| format!("- {r}")));
        }
        lines.push(String::new());
        lines.push(format!("I'm on it: {}", self.claim_url));
        lines.push(format!("Contacted: {}", self.contact_url));
        lines.join("\n")
    }

    /// An SMS or WhatsApp message: short, the links last.
    pub fn short_text(&self) -> String {
        let mut parts = vec![self.subject()];
        parts.extend(self.note.map(str::to_string));
        if let Some(phone) = &self.lead.contact.phone {
            parts.push(format!("Call {phone}"));
        }
        let reasons = self.reasons();
        if !reasons.is_empty() {
            parts.push(format!("Why: {}", reasons.join("; ")));
        }
        parts.push(format!("I'm on it: {}", self.claim_url));
        parts.join(". ")
    }

    /// A Slack incoming-webhook message in Block Kit, with `text` as the
    /// notification's fallback.
    pub fn slack(&self) -> Value {
        let mut fields = Vec::new();
        if let Some(email) = &self.lead.contact.email {
            fields
                .push(json!({"type": "mrkdwn", "text": format!("*Email*\n<mailto:{email}|{}>", slack_escape(email))}));
        }
        if let (Some(phone), Some(tel), Some(wa)) = (&self.lead.contact.phone, self.tel_link(), self.whatsapp_link()) {
            fields.push(json!({"type": "mrkdwn", "text": format!("*Phone*\n<{tel}|{phone}> · <{wa}|WhatsApp>")}));
        }
        let mut blocks = vec![
            json!({"type": "header", "text": {"type": "plain_text", "text": cut(&self.subject(), 150)}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}* for {}", slack_escape(&cut(&self.name(), 200)), slack_escape(&self.to.name))}, "fields": fields}),
        ];
        if let Some(asked) = self.asked() {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*Asked*\n{}", slack_escape(&cut(asked, 2000)))}}));
        }
        if let Some(note) = self.note {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*Why*\n{}", slack_escape(&cut(note, 2000)))}}));
        }
        let reasons = self.reasons();
        if !reasons.is_empty() {
            let list: Vec<String> = reasons
                .iter()
                .map(|r| format!("• {}", slack_escape(&cut(r, 300))))
                .collect();
            blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("*Why hot*\n{}", list.join("\n"))}]}));
        }
        blocks.push(json!({"type": "actions", "elements": [
            {"type": "button", "style": "primary", "text": {"type": "plain_text", "text": "I'm on it"}, "url": self.claim_url, "action_id": "claim"},
            {"type": "button", "text": {"type": "plain_text", "text": "Contacted"}, "url": self.contact_url, "action_id": "contacted"},
        ]}));
        json!({"text": cut(&self.subject(), 300), "blocks": blocks})
    }

    /// The alert in every channel's form.
    pub fn notice(&self) -> Notice {
        Notice {
            id: self.id.clone(),
            event: "lead.alert",
            lead_id: self.lead.id.clone(),
            to: self.to.clone(),
            subject: self.subject(),
            text: self.text(),
            short_text: self.short_text(),
            slack: self.slack(),
            webhook: self.webhook(),
        }
    }

    /// The generic webhook's body.
    pub fn webhook(&self) -> Value {
        let c = &self.lead.contact;
        json!({
            "type": "lead.alert",
            "alert_id": self.id,
            "why": self.why,
            "to": self.to,
            "lead": {
                "id": self.lead.id,
                "name": self.name(),
                "email": c.email,
                "phone": c.phone,
                "tel": self.tel_link(),
                "whatsapp": self.whatsapp_link(),
                "form": self.latest.and_then(|s| s.form.as_deref()),
                "asked": self.asked(),
            },
            "note": self.note,
            "score": self.score.map(|s| s.score.total),
            "reasons": self.reasons(),
            "links": {"claim": self.claim_url, "contacted": self.contact_url},
            "text": self.text(),
        })
    }
}

/// Slack's mrkdwn control characters, as its docs say to escape them.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Text for a Slack mrkdwn section: escaped, and cut to `max` characters.
pub fn slack_text(s: &str, max: usize) -> String {
    slack_escape(&cut(s, max))
}

/// Slack refuses a whole message whose header passes 150 characters or a
/// section 3,000: long names and messages are cut, with an ellipsis.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if s.chars().count() > max => format!("{}…", &s[..at]),
        _ => s.to_string(),
    }
}

/// Tries to send twice: a provider's passing hiccup should not cost a
/// lead its alert (the SLA reassigns it if the alert never arrives).
const ATTEMPTS: u32 = 2;

/// Sends `notice` to `recipient`; `team_email` is the member's address from
/// the team, used when the recipient names none.
pub fn send(
    ctx: &Ctx,
    notice: &Notice,
    recipient: Option<&Recipient>,
    team_email: Option<&str>,
    now: DateTime<Utc>,
) -> Sent {
    let skipped = |channel: &str, detail: String| Sent {
        channel: channel.into(),
        status: "skipped".into(),
        attempts: 0,
        at: None,
        detail: Some(detail),
    };
    let recipient = match recipient {
        Some(r) => r.clone(),
        None if notice.to.member_id.is_some() => Recipient {
            channel: Channel::Email,
            to: None,
        },
        None => return skipped("none", "no owner is set in the alert settings".into()),
    };
    let channel = recipient.channel.name();
    let request = match request(ctx, notice, &recipient, team_email) {
        Ok(request) => request,
        Err(detail) => return skipped(channel, detail),
    };
    let mut detail = None;
    for attempt in 1..=ATTEMPTS {
        match ctx.outbound.send(request.clone()) {
            Ok(response) if response.status < 300 => {
                return Sent {
                    channel: channel.into(),
                    status: "sent".into(),
                    attempts: attempt,
                    at: Some(now),
                    detail: None,
                }
            }
            Ok(response) => detail = Some(format!("HTTP {}", response.status)),
            Err(e) => detail = Some(e),
        }
    }
    Sent {
        channel: channel.into(),
        status: "failed".into(),
        attempts: ATTEMPTS,
        at: None,
        detail,
    }
}

fn request(
    ctx: &Ctx,
    notice: &Notice,
    recipient: &Recipient,
    team_email: Option<&str>,
) -> Result<OutboundRequest, String> {
    let json_post = |url: String, body: &Value| OutboundRequest {
        method: "POST".into(),
        url,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    };
    let message = |channel, to_email, to_phone, text| Message {
        event: notice.event,
        reference: &notice.id,
        lead_id: &notice.lead_id,
        channel,
        to_email,
        to_phone,
        to_name: Some(&notice.to.name),
        language: None,
        subject: &notice.subject,
        text,
        headers: &[],
    };
    match recipient.channel {
        Channel::Slack => Ok(json_post(channel_url(ctx, notice.to.key())?, &notice.slack)),
        Channel::Webhook => Ok(json_post(channel_url(ctx, notice.to.key())?, &notice.webhook)),
        Channel::Email => {
            let account = Account::from_config(ctx.config, "ack")
                .filter(|a| a.provider.sends_email())
                .ok_or("no email provider: set ack_provider to one that sends email")?;
            let to = recipient
                .to
                .as_deref()
                .or(team_email)
                .ok_or("no email address for this member")?;
            Ok(providers::request(
                &account,
                &message("email", Some(to), None, &notice.text),
            ))
        }
        Channel::Sms | Channel::Whatsapp => {
            let account = Account::from_config(ctx.config, "alert_sms")
                .or_else(|| Account::from_config(ctx.config, "ack"))
                .filter(|a| a.provider.sends_sms())
                .ok_or("no SMS provider: set alert_sms_provider (twilio) or ack_provider")?;
            let to = recipient.to.as_deref().ok_or("no phone number")?;
            let channel = recipient.channel.name();
            Ok(providers::request(
                &account,
                &message(channel, None, Some(to), &notice.short_text),
            ))
        }
    }
}

/// A member's (or `owner`'s) Slack or webhook URL, from the secret
/// `alert_channel_urls` variable: `{"dana": "https://hooks.slack.com/..."}`.
fn channel_url(ctx: &Ctx, who: &str) -> Result<String, String> {
    crate::settings::keyed_secret(ctx.config, "alert_channel_urls", who, "URL")
}

#[cfg(test)]
mod tests {
    #[test]
    fn cut_keeps_short_text_and_cuts_long_text_on_a_character() {
        assert_eq!(super::cut("Dana", 150), "Dana");
        assert_eq!(super::cut("אבגדה", 3), "אב…");
        assert_eq!(super::cut(&"x".repeat(200), 150).chars().count(), 150);
    }
}
