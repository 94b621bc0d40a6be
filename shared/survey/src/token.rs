//! Personal survey links: `<payload>.<signature>`, both base64url, where the
//! payload names the survey, the lead and the expiry, and the signature is
//! HMAC-SHA256 over the payload with the `survey_token_secret` variable. A
//! link answers for its one lead and its one survey, until it expires.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_retention_core::signed;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "s")]
    pub survey_id: String,
    #[serde(rename = "l")]
    pub lead_id: String,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token at all, or altered, or signed with another secret.
    Invalid,
    Expired,
    /// A valid token for another survey.
    Foreign,
}

pub fn sign(claims: &Claims, secret: &str) -> String {
    signed::sign(claims, secret)
}

/// The claims of a token for `survey_id`, checked in constant time.
pub fn verify(token: &str, secret: &str, survey_id: Option<&str>, now: DateTime<Utc>) -> Result<Claims, Refused> {
    let claims: Claims = signed::verify_unexpired(token, secret, now).map_err(|refused| match refused {
        signed::Refused::Invalid => Refused::Invalid,
        signed::Refused::Expired => Refused::Expired,
    })?;
    if survey_id.is_some_and(|s| s != claims.survey_id) {
        return Err(Refused::Foreign);
    }
    Ok(claims)
}

impl signed::Expiring for Claims {
    fn expires(&self) -> i64 {
        self.expires
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine;

    fn claims() -> Claims {
        Claims {
            survey_id: "nps-q4".into(),
            lead_id: "l_1".into(),
            expires: spin_retention_core::ports::test_now().timestamp() + 3600,
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let now = spin_retention_core::ports::test_now();
        let token = sign(&claims(), "k1");
        assert_eq!(verify(&token, "k1", Some("nps-q4"), now), Ok(claims()));
        assert_eq!(
            verify(&token, "k2", Some("nps-q4"), now),
            Err(Refused::Invalid),
            "other secret"
        );
        assert_eq!(verify(&token, "k1", Some("csat"), now), Err(Refused::Foreign));
        let later = now + chrono::Duration::hours(2);
        assert_eq!(verify(&token, "k1", None, later), Err(Refused::Expired));
        // Another lead's id in the payload, the old signature kept: refused.
        let (_, sig) = token.split_once('.').unwrap();
        let forged = Claims {
            lead_id: "l_2".into(),
            ..claims()
        };
        let payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            verify(&format!("{payload}.{sig}"), "k1", None, now),
            Err(Refused::Invalid)
        );
        assert_eq!(verify("garbage", "k1", None, now), Err(Refused::Invalid));
        assert_eq!(verify("a.b", "k1", None, now), Err(Refused::Invalid));
    }
}
