//! Acknowledgement texts, per language, filled with the lead's fields.
//! Defaults for English and Hebrew ship here; `ack_templates` (JSON, keyed by
//! language) replaces or adds languages. Placeholders: `{{first_name}}`,
//! `{{name}}`, `{{company}}`, `{{topic}}`, `{{about}}`, `{{business}}`.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Template {
    pub subject: String,
    /// Body of an email.
    pub email: String,
    /// Body of an SMS or WhatsApp message: short.
    pub sms: String,
    /// How `{{about}}` reads when the lead said what they asked about.
    #[serde(default)]
    pub about: String,
    /// Used for `{{first_name}}` when the lead gave no name.
    #[serde(default)]
    pub no_name: String,
}

pub fn defaults() -> BTreeMap<String, Template> {
    let en = Template {
        subject: "We got your request, {{first_name}}".into(),
        email: "Hi {{first_name}},\n\nThanks for contacting {{business}}. We received your request{{about}} \
                and someone from our team will get back to you shortly.\n\n{{business}}"
            .into(),
        sms: "Hi {{first_name}}, thanks for contacting {{business}}. We got your request and will be in touch shortly."
            .into(),
        about: " about \u{201c}{{topic}}\u{201d}".into(),
        no_name: "there".into(),
    };
    let he = Template {
        subject: "קיבלנו את הפנייה שלך, {{first_name}}".into(),
        email: "שלום {{first_name}},\n\nתודה שפנית אל {{business}}. קיבלנו את פנייתך{{about}} \
                ומישהו מהצוות שלנו יחזור אליך בהקדם.\n\n{{business}}"
            .into(),
        sms: "שלום {{first_name}}, תודה שפנית אל {{business}}. קיבלנו את פנייתך ונחזור אליך בהקדם.".into(),
        about: " בנושא \u{201c}{{topic}}\u{201d}".into(),
        no_name: String::new(),
    };
    [("en".to_string(), en), ("he".to_string(), he)].into()
}

/// Templates from the `ack_templates` variable over the defaults.
pub fn load(custom: Option<&str>) -> Result<BTreeMap<String, Template>, String> {
    let mut all = defaults();
    if let Some(json) = custom {
        let custom: BTreeMap<String, Template> =
            serde_json::from_str(json).map_err(|e| format!("ack_templates is not valid: {e}"))?;
        all.extend(custom);
    }
    Ok(all)
}

/// The template for a language, falling back to English.
pub fn pick<'a>(all: &'a BTreeMap<String, Template>, language: Option<&str>) -> &'a Template {
    language
        .and_then(|l| all.get(l))
        .or_else(|| all.get("en"))
        .unwrap_or_else(|| all.values().next().expect("templates"))
}

pub struct Fill<'a> {
    pub first_name: Option<&'a str>,
    pub name: Option<&'a str>,
    pub company: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub business: &'a str,
}

/// Replaces placeholders in one pass: a value that itself looks like a
/// placeholder is inserted as it is, never expanded again.
pub fn render(text: &str, template: &Template, fill: &Fill) -> String {
    let first = fill.first_name.unwrap_or(&template.no_name);
    let about = match fill.topic {
        Some(topic) => substitute(&template.about, &|name| (name == "topic").then(|| topic.to_string())),
        None => String::new(),
    };
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "about" => about.clone(),
            "first_name" => first.to_string(),
            "name" => fill.name.unwrap_or(first).to_string(),
            "company" => fill.company.unwrap_or_default().to_string(),
            "topic" => fill.topic.unwrap_or_default().to_string(),
            "business" => fill.business.to_string(),
            _ => return None,
        })
    };
    // "Hi ," when there is no name: tidy the gap.
    substitute(text, &value).replace(" ,", ",").trim_end().to_string()
}

fn substitute(text: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| value(after[..end].trim()).map(|v| (v, end)))
        {
            Some((v, end)) => {
                out.push_str(&v);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill<'a>(first: Option<&'a str>, topic: Option<&'a str>) -> Fill<'a> {
        Fill {
            first_name: first,
            name: first,
            company: None,
            topic,
            business: "Acme",
        }
    }

    #[test]
    fn english_with_and_without_a_name() {
        let all = defaults();
        let t = pick(&all, Some("en"));
        assert_eq!(
            render(&t.subject, t, &fill(Some("Dana"), None)),
            "We got your request, Dana"
        );
        let body = render(&t.email, t, &fill(None, Some("Pricing for 20 seats")));
        assert!(body.starts_with("Hi there,"), "{body}");
        assert!(
            body.contains("your request about \u{201c}Pricing for 20 seats\u{201d} and"),
            "{body}"
        );
    }

    #[test]
    fn hebrew_right_to_left_text_survives() {
        let all = defaults();
        let t = pick(&all, Some("he"));
        let sms = render(&t.sms, t, &fill(Some("דנה"), None));
        assert_eq!(sms, "שלום דנה, תודה שפנית אל Acme. קיבלנו את פנייתך ונחזור אליך בהקדם.");
        let nameless = render(&t.subject, t, &fill(None, None));
        assert_eq!(nameless, "קיבלנו את הפנייה שלך,");
    }

    #[test]
    fn values_are_not_expanded_again() {
        let all = defaults();
        let t = pick(&all, Some("en"));
        let sneaky = Fill {
            first_name: Some("{{business}}"),
            name: None,
            company: None,
            topic: None,
            business: "Acme",
        };
        assert_eq!(render(&t.subject, t, &sneaky), "We got your request, {{business}}");
    }

    #[test]
    fn custom_templates_replace_and_add_languages() {
        let all = load(Some(
            r#"{"fr":{"subject":"Bien reçu {{first_name}}","email":"Merci","sms":"Merci"}}"#,
        ))
        .unwrap();
        assert_eq!(
            render(
                &pick(&all, Some("fr")).subject,
                pick(&all, Some("fr")),
                &fill(Some("Zoé"), None)
            ),
            "Bien reçu Zoé"
        );
        assert_eq!(
            pick(&all, Some("de")).subject,
            defaults()["en"].subject,
            "unknown language falls back to English"
        );
        assert!(load(Some("{bad")).is_err());
    }
}
