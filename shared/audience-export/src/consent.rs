//! Who may be sent to an ad platform at all: consent that allows ad use,
//! and never a suppressed (erased) person.

use crate::keys;
use spin_retention_core::lead::Lead;
use spin_retention_core::store::{Store, StoreError};

/// Where ad use needs both `ad_user_data` and `ad_personalization`
/// granted: the EEA, the UK and Switzerland, the scope of Google's EU user
/// consent policy (<https://www.google.com/about/company/user-consent-policy/>),
/// which Google Ads applies to Customer Match uploads.
pub const STRICT_CONSENT_COUNTRIES: &[&str] = &[
    // EU
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", // rest of the EEA
    "IS", "LI", "NO", // EU regions with ISO codes of their own (Réunion, Guadeloupe, Martinique,
    // French Guiana, Mayotte, Saint-Martin, Åland), and
    "RE", "GP", "MQ", "GF", "YT", "MF", "AX", //
    "GB", "CH",
];

/// Whether the lead's consent in force allows exporting it for ads.
///
/// - In [`STRICT_CONSENT_COUNTRIES`], and wherever the country is unknown
///   (we cannot show it is elsewhere): both `ad_user_data` and
///   `ad_personalization` granted.
/// - Elsewhere: neither refused, and at least one of them or `marketing`
///   granted.
/// - No consent recorded: never.
pub fn allows_ads(lead: &Lead) -> bool {
    let Some(consent) = &lead.consent else { return false };
    let strict = lead
        .contact
        .country
        .as_deref()
        .is_none_or(|c| STRICT_CONSENT_COUNTRIES.contains(&c));
    let (data, personalization) = (consent.ad_user_data, consent.ad_personalization);
    if strict {
        return data == Some(true) && personalization == Some(true);
    }
    let refused = data == Some(false) || personalization == Some(false);
    let granted = [consent.marketing, data, personalization].contains(&Some(true));
    granted && !refused
}

/// Whether any of the lead's identifiers is suppressed (an erased person
/// who came back, or an identifier a former lead gave).
pub fn suppressed(store: &dyn Store, lead: &Lead) -> Result<bool, StoreError> {
    let c = &lead.contact;
    for id in c.email.iter().chain(c.phone.iter()) {
        if store.exists(&keys::suppressed(id))? {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::lead::{Channel, Confirmation, ConfirmedBy, Consent, Contact, Submission};

    fn lead(country: Option<&str>, consent: Option<(Option<bool>, Option<bool>, Option<bool>)>) -> Lead {
        let submission = Submission {
            id: "s_1".into(),
            lead_id: "l_1".into(),
            received_at: spin_retention_core::ports::test_now(),
            form: None,
            contact: Contact {
                email: Some("a@example.com".into()),
                country: country.map(str::to_string),
                ..Contact::default()
            },
            message: None,
            language: None,
            channel: Channel::Email,
            attribution: Default::default(),
            consent: consent.map(|(marketing, ad_user_data, ad_personalization)| Consent {
                marketing,
                ad_user_data,
                ad_personalization,
                text: None,
                version: None,
                recorded_at: spin_retention_core::ports::test_now(),
                submission_id: "s_1".into(),
                client_hash: None,
                confirmed: Some(Confirmation {
                    at: spin_retention_core::ports::test_now(),
                    by: ConfirmedBy::EmailLink,
                }),
            }),
            custom: Default::default(),
            origin: Default::default(),
            client_hash: None,
        };
        Lead::new(&submission)
    }

    #[test]
    fn eea_needs_both_ad_signals() {
        let yes = Some(true);
        assert!(allows_ads(&lead(Some("DE"), Some((None, yes, yes)))));
        assert!(!allows_ads(&lead(Some("DE"), Some((yes, yes, None)))));
        assert!(!allows_ads(&lead(Some("FR"), Some((yes, yes, Some(false))))));
        assert!(!allows_ads(&lead(Some("GB"), Some((yes, None, None)))));
        assert!(!allows_ads(&lead(Some("RE"), Some((yes, None, None)))));
        // Unknown country: treated as strict.
        assert!(!allows_ads(&lead(None, Some((yes, None, None)))));
        assert!(allows_ads(&lead(None, Some((None, yes, yes)))));
    }

    #[test]
    fn elsewhere_one_grant_and_no_refusal() {
        let yes = Some(true);
        assert!(allows_ads(&lead(Some("US"), Some((yes, None, None)))));
        assert!(allows_ads(&lead(Some("IL"), Some((None, yes, None)))));
        assert!(!allows_ads(&lead(Some("US"), Some((yes, Some(false), None)))));
        assert!(!allows_ads(&lead(Some("US"), Some((Some(false), None, None)))));
        assert!(!allows_ads(&lead(Some("US"), None)));
    }

    #[test]
    fn suppression_covers_email_and_phone() {
        let store = spin_retention_core::store::MemoryStore::new();
        let mut l = lead(Some("US"), None);
        assert!(!suppressed(&store, &l).unwrap());
        l.contact.phone = Some("+12025550123".into());
        store.set(&keys::suppressed("+12025550123"), b"{}").unwrap();
        assert!(suppressed(&store, &l).unwrap());
    }
}
