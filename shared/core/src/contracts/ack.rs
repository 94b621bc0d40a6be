//! instant-ack's delivery record (`ack:<submission_id>`): what became of a
//! submission's acknowledgement. instant-ack writes it and answers it
//! (`GET /ack/submissions/{id}`); lead-intake shows it with each submission
//! of a lead ([`super::intake::SubmissionView`]), and the dashboard's
//! timeline reads it there.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Being sent by the request that claimed it.
    Sending,
    Sent,
    /// An attempt failed; the next may be made from `next_attempt_at`.
    Retrying,
    /// Failed for good: `ack_max_attempts` attempts, or a refusal that
    /// retrying cannot change (a 4xx other than 408 and 429).
    Failed,
    /// Not sent because the submission is older than `ack_max_age_minutes`:
    /// a "we got your request" days later would do more harm than good.
    Expired,
    /// Not sent, for the reason in `last_error`: an SMS or WhatsApp message
    /// the budget or the country list does not allow, with no email to send
    /// instead. Never retried.
    Skipped,
}

/// `ack:<submission_id>`. The fields after `updated_at` are the sender's
/// bookkeeping (its claim, the budget of new numbers): instant-ack's alone
/// to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub submission_id: String,
    pub lead_id: String,
    pub state: State,
    /// `email`, `sms` or `whatsapp`.
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
    /// From the submission's arrival at intake to the start of the attempt
    /// the provider accepted (the request's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
    /// When the next attempt may be made (state `retrying`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The claim window of this record's sender.
    #[serde(default)]
    pub round: u64,
    /// The attempts made before this record's sender claimed.
    #[serde(default)]
    pub claimed_after: u32,
    /// Every claim key this submission's senders took, for an erase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<String>,
    /// Counted in the day's budget of new numbers, once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new_number: bool,
    /// The `ack-number:` key a sent SMS or WhatsApp message wrote, for an erase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_key: Option<String>,
}
