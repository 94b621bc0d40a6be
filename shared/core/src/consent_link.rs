//! The signed links that make consent hold up: a confirmation link, sent
//! to the address that gave a grant (double opt-in), and a withdrawal
//! link, in every message to a person. instant-ack puts them into the
//! acknowledgement; lead-intake serves them (`/intake/consent/{token}`).
//!
//! A link is [`crate::signed`] claims under `consent_link_secret`: whose
//! consent, what the click does, and until when.
//!
//! ```
//! use spin_retention_core::consent_link::{Action, Claims, Sent};
//! let now: chrono::DateTime<chrono::Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
//! let claims = Claims::confirm("l_1", "s_1", Sent::Email, now);
//! let url = claims.url("https://example.com/", "secret");
//! let token = url.rsplit('/').next().unwrap();
//! assert_eq!(Claims::verify(token, "secret", now).unwrap().action, Action::Confirm);
//! ```

use crate::lead::ConfirmedBy;
use crate::signed;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The Spin variable the links are signed with; empty: no links, so a grant
/// from a form stays pending.
pub const SECRET: &str = "consent_link_secret";

/// How long a confirmation link works: a week.
pub const CONFIRM_DAYS: i64 = 7;
/// How long a withdrawal link works: a year (a message read late).
pub const WITHDRAW_DAYS: i64 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Confirm,
    Withdraw,
}

/// How the link reached the person: what a confirmation proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sent {
    Email,
    Phone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "l")]
    pub lead_id: String,
    /// The submission whose grant a confirmation confirms.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub submission_id: Option<String>,
    #[serde(rename = "a")]
    pub action: Action,
    #[serde(rename = "v")]
    pub sent: Sent,
    /// Expiry, seconds since the epoch.
    #[serde(rename = "e")]
    pub expires: i64,
}

pub use crate::signed::Refused;

/// The proof of which client gave or confirmed a consent: its address
/// hashed under [`SECRET`] ([`crate::client::proof_hash`]); none without
/// the secret or the address.
pub fn client_proof(config: &dyn crate::ports::Config, client: Option<std::net::IpAddr>) -> Option<String> {
    Some(crate::client::proof_hash(client?, &config.get(SECRET)?))
}

impl signed::Expiring for Claims {
    fn expires(&self) -> i64 {
        self.expires
    }
}

impl Claims {
    pub fn confirm(lead_id: &str, submission_id: &str, sent: Sent, now: DateTime<Utc>) -> Claims {
        Claims {
            lead_id: lead_id.into(),
            submission_id: Some(submission_id.into()),
            action: Action::Confirm,
            sent,
            expires: (now + Duration::days(CONFIRM_DAYS)).timestamp(),
        }
    }

    pub fn withdraw(lead_id: &str, sent: Sent, now: DateTime<Utc>) -> Claims {
        Claims {
            lead_id: lead_id.into(),
            submission_id: None,
            action: Action::Withdraw,
            sent,
            expires: (now + Duration::days(WITHDRAW_DAYS)).timestamp(),
        }
    }

    /// The link under the app's public origin.
    pub fn url(&self, public_url: &str, secret: &str) -> String {
        format!(
            "{}/intake/consent/{}",
            public_url.trim_end_matches('/'),
            signed::sign(self, secret)
        )
    }

    pub fn verify(token: &str, secret: &str, now: DateTime<Utc>) -> Result<Claims, Refused> {
        if secret.is_empty() {
            return Err(Refused::Invalid);
        }
        signed::verify_unexpired(token, secret, now)
    }

    /// What the click proves, kept with the consent.
    pub fn confirmed_by(&self) -> ConfirmedBy {
        match (self.action, self.sent) {
            (Action::Withdraw, _) => ConfirmedBy::WithdrawalLink,
            (Action::Confirm, Sent::Email) => ConfirmedBy::EmailLink,
            (Action::Confirm, Sent::Phone) => ConfirmedBy::SmsLink,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::test_now;

    #[test]
    fn links_expire_and_refuse_other_secrets() {
        let now = test_now();
        let claims = Claims::confirm("l_1", "s_1", Sent::Phone, now);
        let token = signed::sign(&claims, "k");
        assert_eq!(Claims::verify(&token, "k", now), Ok(claims.clone()));
        assert_eq!(Claims::verify(&token, "other", now), Err(Refused::Invalid));
        assert_eq!(Claims::verify(&token, "", now), Err(Refused::Invalid));
        let late = now + Duration::days(CONFIRM_DAYS);
        assert_eq!(Claims::verify(&token, "k", late), Err(Refused::Expired));
        assert_eq!(claims.confirmed_by(), ConfirmedBy::SmsLink);
    }
}
