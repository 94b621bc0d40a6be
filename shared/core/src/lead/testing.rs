//! Stored leads for the jobs' unit tests, written as lead-intake's
//! contract says a lead is stored ([`super::append`], the identity index,
//! the lead list), without lead-intake: no job's tests depend on another
//! job's crate. The form's fields are taken already clean (an email,
//! a phone in E.164); lead-intake's own tests cover validation.

use super::{Attribution, Channel, Confirmation, ConfirmedBy, Consent, Contact, Origin, Submission};
use crate::ids;
use crate::keys;
use crate::lead_list;
use crate::ports::Ctx;
use std::collections::BTreeMap;

/// Stores a form submission of these fields, as a new person's first form
/// with single opt-in (a consent it grants is in force at once) and no
/// hourly cap; returns the lead id. A person is found again by email,
/// else by phone, so a second call for the same email adds to their lead.
///
/// Known fields: `name`, `first_name`, `last_name`, `email`, `phone`,
/// `company`, `city`, `region`, `zip` or `postal_code`, `country`, `birthday`,
/// `message`, `language`, `form`, `page` or `pages`, `utm_*`, `gclid`,
/// `fbclid`, `referrer`, `landing_page`, `consent_marketing`,
/// `consent_ad_user_data`, `consent_ad_personalization` (`yes` or `no`);
/// any other field is a custom field.
pub fn submit(ctx: &Ctx, pairs: &[(&str, &str)]) -> String {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let flag = |name: &str| field(name).map(|v| matches!(v.as_str(), "yes" | "true" | "on" | "1"));
    let email = field("email").map(|e| e.to_lowercase());
    let phone = field("phone");
    assert!(
        phone.as_deref().is_none_or(|p| p.starts_with('+')),
        "the fixture takes phones in E.164"
    );
    let (identity, derived) = match (&email, &phone) {
        (Some(e), _) => (keys::lead_by_email(e), ids::derive("l", &["email", e])),
        (None, Some(p)) => (keys::lead_by_phone(p), ids::derive("l", &["phone", p])),
        (None, None) => panic!("a lead needs an email or a phone"),
    };
    let found = ctx.store.get(&identity).unwrap();
    let lead_id = found.map_or(derived, |id| String::from_utf8(id).unwrap());
    let is_new = !super::exists(ctx.store, &lead_id).unwrap();
    let fingerprint: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let id = ids::derive("s", &[&lead_id, &fingerprint.join("&")]);

    let mut utm = BTreeMap::new();
    let mut custom = BTreeMap::new();
    let mut pages = Vec::new();
    for (name, value) in pairs {
        match *name {
            "page" | "pages" => pages.push(value.to_string()),
            n if n.starts_with("utm_") => {
                utm.insert(n.to_string(), value.to_string());
            }
            n if KNOWN.contains(&n) => {}
            n => {
                custom.insert(n.to_string(), value.to_string());
            }
        }
    }
    let consent = Consent {
        marketing: flag("consent_marketing"),
        ad_user_data: flag("consent_ad_user_data"),
        ad_personalization: flag("consent_ad_personalization"),
        text: None,
        version: None,
        recorded_at: ctx.now,
        submission_id: id.clone(),
        client_hash: None,
        confirmed: None,
    };
    let asked = [consent.marketing, consent.ad_user_data, consent.ad_personalization] != [None; 3];
    let consent = asked.then(|| Consent {
        confirmed: (is_new && consent.grants_any()).then_some(Confirmation {
            at: ctx.now,
            by: ConfirmedBy::SingleOptIn,
        }),
        ..consent
    });
    let submission = Submission {
        id,
        lead_id: lead_id.clone(),
        received_at: ctx.now,
        form: field("form"),
        channel: if email.is_some() { Channel::Email } else { Channel::Sms },
        contact: Contact {
            name: field("name"),
            first_name: field("first_name"),
            last_name: field("last_name"),
            email: email.clone(),
            phone: phone.clone(),
            company: field("company"),
            city: field("city"),
            region: field("region"),
            postal_code: field("zip").or_else(|| field("postal_code")),
            country: field("country").map(|c| c.to_uppercase()),
            birthday: field("birthday").and_then(|b| crate::lead::birthday(&b)),
        },
        message: field("message"),
        language: field("language"),
        attribution: Attribution {
            utm,
            gclid: field("gclid"),
            fbclid: field("fbclid"),
            referrer: field("referrer"),
            landing_page: field("landing_page"),
            pages,
        },
        consent,
        custom,
        origin: Origin::Form,
        client_hash: None,
    };
    let mut writes = if is_new {
        lead_list::prepare_add(ctx.store, &lead_id).unwrap()
    } else {
        Vec::new()
    };
    for key in email
        .iter()
        .map(|e| keys::lead_by_email(e))
        .chain(phone.iter().map(|p| keys::lead_by_phone(p)))
    {
        if ctx.store.get(&key).unwrap().is_none() {
            writes.push((key, lead_id.clone().into_bytes()));
        }
    }
    super::append(ctx.store, &submission, is_new, writes).unwrap();
    lead_id
}

/// lead-intake's part of an erase, for what [`submit`] wrote: the lead,
/// its submissions and log, its identity index entries and its place in
/// the lead list. A job's test then calls the job's own forget, as
/// lead-intake's hand-off does, and finds nothing left that names the person.
pub fn erase(store: &dyn crate::store::Store, lead_id: &str) {
    let lead = super::load(store, lead_id).unwrap().expect("a stored lead");
    let mut gone = Vec::new();
    for logged in super::logged(store, lead_id).unwrap() {
        gone.push(keys::submission(&logged.id).to_string());
        gone.extend(logged.email.iter().map(|e| keys::lead_by_email(e)));
        gone.extend(logged.phone.iter().map(|p| keys::lead_by_phone(p)));
    }
    gone.extend(lead.contact.email.iter().map(|e| keys::lead_by_email(e)));
    gone.extend(lead.contact.phone.iter().map(|p| keys::lead_by_phone(p)));
    gone.push(keys::lead(lead_id).to_string());
    gone.push(keys::lead_fold(lead_id).to_string());
    store.delete_many(&gone).unwrap();
    lead_list::remove(store, lead_id).unwrap();
    crate::slots::erase(store, &keys::lead_log(lead_id)).unwrap();
}

/// Fields [`submit`] maps to the submission; the rest are custom fields.
const KNOWN: [&str; 22] = [
    "birthday",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "city",
    "region",
    "zip",
    "postal_code",
    "country",
    "message",
    "language",
    "form",
    "gclid",
    "fbclid",
    "referrer",
    "landing_page",
    "consent_marketing",
    "consent_ad_user_data",
    "consent_ad_personalization",
];
