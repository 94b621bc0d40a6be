//! Every key in the shared key-value store, with its owner and layout.
//!
//! One place, so that components never invent keys ad hoc. A key's owner is
//! the only component that writes it (erasing a person is the one exception:
//! lead-intake deletes that person's keys wherever they live); others may read.
//!
//! | key                          | owner           | value                                              |
//! |------------------------------|-----------------|----------------------------------------------------|
//! | `health:<component>`         | that component  | [`crate::health::HealthRecord`]                    |
//! | `lead:<lead_id>`             | lead-intake     | [`crate::lead::Lead`]: the merged profile          |
//! | `submission:<submission_id>` | lead-intake     | [`crate::lead::Submission`]: one form post         |
//! | `handoff:<submission_id>`    | lead-intake     | [`crate::intake::handoff::Handoffs`]: delivery to ack/scoring |
//! | `lead-email:<sha256(email)>` | lead-intake     | lead id (identity index)                           |
//! | `lead-phone:<sha256(e164)>`  | lead-intake     | lead id (identity index)                           |
//! | `pending-handoffs`           | lead-intake     | list of submission ids not yet handed off ([`crate::index`]) |
//! | `rate:<sha256(client)>`      | lead-intake     | this minute's submission count (approximate)       |
//! | `suppressed:<sha256(id)>`    | lead-intake     | [`crate::intake::erase::Suppression`]: erased person, never exported |
//! | `ack:<submission_id>`        | instant-ack     | [`crate::ack::Delivery`]: acknowledgement state    |
//!
//! Ids (`l_...`, `s_...`) never contain `:`. Identifiers inside keys are
//! hashed, so no personal data sits in key names.

use crate::ids::sha256_hex;

pub fn health(component: &str) -> String {
    format!("health:{component}")
}

pub fn lead(lead_id: &str) -> String {
    format!("lead:{lead_id}")
}

pub fn submission(submission_id: &str) -> String {
    format!("submission:{submission_id}")
}

pub fn handoff(submission_id: &str) -> String {
    format!("handoff:{submission_id}")
}

pub fn lead_by_email(email: &str) -> String {
    format!("lead-email:{}", sha256_hex(&email.to_lowercase()))
}

pub fn lead_by_phone(e164: &str) -> String {
    format!("lead-phone:{}", sha256_hex(e164))
}

pub const PENDING_HANDOFFS: &str = "pending-handoffs";

pub fn rate(client: &str) -> String {
    format!("rate:{}", &sha256_hex(client)[..32])
}

/// Suppression of one identifier (lowercased email or E.164 phone).
pub fn suppressed(identifier: &str) -> String {
    format!("suppressed:{}", sha256_hex(&identifier.to_lowercase()))
}

pub fn ack(submission_id: &str) -> String {
    format!("ack:{submission_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_namespaced_and_hide_personal_data() {
        assert_eq!(health("lead-intake"), "health:lead-intake");
        assert_eq!(lead_by_email("Dana@X.io"), lead_by_email("dana@x.io"));
        assert!(!lead_by_email("dana@x.io").contains("dana"));
        assert!(suppressed("+972525551234").starts_with("suppressed:"));
    }
}
