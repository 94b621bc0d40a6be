//! A template filled in for one person: their language (Hebrew where they
//! wrote in it, else English), their first name, and what entered them
//! (the items in the cart, the amount of the order).

use crate::document::PLACEHOLDERS;
use spin_retention_core::customer::format_minor;
use spin_retention_core::happened::Happened;
use spin_retention_core::lead::Lead;
use spin_retention_core::text::looks_like_link;
use std::collections::BTreeMap;

/// `he` or `en`.
pub fn language(lead: &Lead) -> &'static str {
    match lead.language.as_deref() {
        Some(l) if l.starts_with("he") || l.starts_with("iw") => "he",
        _ => "en",
    }
}

/// The text in `language`, else in English (which a document must give).
pub fn pick<'a>(texts: &'a BTreeMap<String, String>, language: &str) -> &'a str {
    texts
        .get(language)
        .or_else(|| texts.get("en"))
        .map_or("", String::as_str)
}

pub fn unsubscribe_label(language: &str) -> &'static str {
    match language {
        "he" => "להסרה מרשימת התפוצה",
        _ => "Unsubscribe",
    }
}

/// The last line of a marketing SMS or WhatsApp message.
pub fn stop_label(language: &str) -> &'static str {
    match language {
        "he" => "להסרה השיבו STOP",
        _ => "Reply STOP to opt out",
    }
}

/// What is made for the person at send time: their survey link, their
/// coupon code (empty where the message has none).
#[derive(Debug, Clone, Default)]
pub struct Personal {
    pub survey_link: String,
    pub coupon: String,
}

/// `template` with each `{placeholder}` filled. A name that reads as a link
/// (a form's `www.example.com`) is left out: a stranger's form never puts a
/// link into our message.
pub fn fill(template: &str, lead: &Lead, trigger: &Happened, business: &str, personal: &Personal) -> String {
    let c = &lead.contact;
    // A form's name that reads as a link never goes out in our message.
    let own = |v: &Option<String>| v.clone().filter(|v| !looks_like_link(v));
    let full_name = own(&c.name);
    let first = own(&c.first_name)
        .or_else(|| {
            full_name
                .as_deref()
                .and_then(|n| n.split_whitespace().next())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let amount = match (trigger.amount_minor, &trigger.currency) {
        (Some(minor), Some(currency)) => format!("{} {currency}", format_minor(minor, currency)),
        _ => String::new(),
    };
    let value = |placeholder: &str| -> String {
        match placeholder {
            "first_name" => first.clone(),
            "name" => full_name.clone().unwrap_or_default(),
            "business" => business.to_string(),
            "items" => trigger.items.join(", "),
            "amount" => amount.clone(),
            "survey_link" => personal.survey_link.clone(),
            "coupon" => personal.coupon.clone(),
            _ => String::new(),
        }
    };
    let mut out = template.to_string();
    for name in PLACEHOLDERS {
        out = out.replace(&format!("{{{name}}}"), &value(name));
    }
    // "Hi , ..." when no first name was given.
    out.replace(" ,", ",")
}
