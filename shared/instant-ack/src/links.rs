//! The consent links an acknowledgement carries
//! ([`spin_retention_core::consent_link`]): a confirmation link when this
//! submission's grant of consent waits for the person (double opt-in), and
//! a withdrawal link whenever they have or asked for consent.
//!
//! Only to the identifier that names the person: their email, or for a
//! person known only by phone, that phone. A message anywhere else (a
//! number that came with someone's email, one a form merely claimed)
//! carries no link, or a stranger could confirm a grant they forged for
//! that email, or withdraw someone else's. An SMS acknowledgement to a
//! person with an email therefore carries none: their grant waits for an
//! email (or the team's confirmation).

use spin_retention_core::consent_link::{Claims, Sent, SECRET};
use spin_retention_core::lead::{self, Submission};
use spin_retention_core::ports::Ctx;
use spin_retention_core::store::StoreError;

/// The lines to add under the message, if any. Reads the person's profile
/// (bounded: [`lead::load`]) only when links are configured.
pub fn footer(
    ctx: &Ctx,
    submission: &Submission,
    to_email: Option<&str>,
    to_phone: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let (Some(secret), Some(public_url)) = (ctx.config.get(SECRET), ctx.config.get("public_url")) else {
        return Ok(None);
    };
    let Some(lead) = lead::load(ctx.store, &submission.lead_id)? else {
        return Ok(None);
    };
    let now = ctx.now;
    let held = |to: Option<&str>, held: &Option<String>| {
        to.zip(held.as_deref())
            .is_some_and(|(to, held)| to.eq_ignore_ascii_case(held))
    };
    // By the identifier that names the person: their email, or for a
    // person known only by phone, that phone.
    let sent = match &lead.contact.email {
        Some(_) if held(to_email, &lead.contact.email) => Sent::Email,
        None if held(to_phone, &lead.contact.phone) => Sent::Phone,
        _ => return Ok(None),
    };
    let mut lines = Vec::new();
    let pending_here = lead
        .pending_consent
        .as_ref()
        .is_some_and(|p| p.submission_id == submission.id);
    if pending_here {
        let url = Claims::confirm(&lead.id, &submission.id, sent, now).url(&public_url, &secret);
        lines.push(format!("Please confirm your subscription: {url}"));
    }
    if pending_here || lead.consent.as_ref().is_some_and(|c| c.grants_any()) {
        let url = Claims::withdraw(&lead.id, sent, now).url(&public_url, &secret);
        lines.push(format!("Unsubscribe: {url}"));
    }
    Ok((!lines.is_empty()).then(|| lines.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::lead::{Channel, Consent, Contact};
    use spin_retention_core::ports::{test_now, NoOutbound};
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    fn submission(id: &str, email: Option<&str>, phone: Option<&str>, grant: bool) -> Submission {
        Submission {
            id: id.into(),
            lead_id: "l_dana".into(),
            received_at: test_now(),
            form: None,
            contact: Contact {
                email: email.map(str::to_string),
                phone: phone.map(str::to_string),
                ..Contact::default()
            },
            message: None,
            language: None,
            channel: Channel::Sms,
            attribution: Default::default(),
            consent: grant.then(|| Consent {
                marketing: Some(true),
                ad_user_data: Some(true),
                ad_personalization: Some(true),
                text: None,
                version: None,
                recorded_at: test_now(),
                submission_id: id.into(),
                client_hash: None,
                confirmed: None,
            }),
            custom: Default::default(),
            origin: Default::default(),
            client_hash: None,
        }
    }

    /// Dana is known by her email; a stranger posts it with their own
    /// phone and a grant, asking for an SMS. The profile takes the phone
    /// (it had none), but the SMS carries no link: the stranger cannot
    /// confirm consent for Dana's email.
    #[test]
    fn links_go_only_to_the_identifier_that_names_the_person() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [
            ("consent_link_secret".to_string(), "k".to_string()),
            ("public_url".to_string(), "https://example.com".to_string()),
        ]
        .into();
        let ctx = Ctx::new(&store, &config, &NoOutbound, test_now());
        let dana = submission("s_1", Some("dana@acme.example"), None, false);
        lead::append(&store, &dana, true, Vec::new()).unwrap();
        let stranger = submission("s_2", Some("dana@acme.example"), Some("+972525550009"), true);
        lead::append(&store, &stranger, false, Vec::new()).unwrap();
        let held = lead::load(&store, "l_dana").unwrap().unwrap();
        assert_eq!(held.contact.phone.as_deref(), Some("+972525550009"));
        assert!(held.pending_consent.is_some());
        assert_eq!(footer(&ctx, &stranger, None, Some("+972525550009")).unwrap(), None);
        // By email, to Dana's own address: the links.
        let by_email = footer(&ctx, &stranger, Some("dana@acme.example"), None)
            .unwrap()
            .unwrap();
        assert!(by_email.contains("Please confirm your subscription: https://example.com/intake/consent/"));
        assert!(by_email.contains("Unsubscribe: "));
    }
}
