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

/// Replaces placeholders. Values are inserted as they are: they were
/// validated as single lines at intake, and the message is plain text.
pub fn render(text: &str, template: &Template, fill: &Fill) -> String {
    let first = fill.first_name.unwrap_or(&template.no_name);
    let about = match fill.topic {
        Some(topic) => template.about.replace("{{topic}}", topic),
        None => String::new(),
    };
    let out = text
        .replace("{{about}}", &about)
        .replace("{{first_name}}", first)
        .replace("{{name}}", fill.name.unwrap_or(first))
        .replace("{{company}}", fill.company.unwrap_or_default())
        .replace("{{topic}}", fill.topic.unwrap_or_default())
        .replace("{{business}}", fill.business);
    // "Hi ," when there is no name: tidy the gap.
    out.replace(" ,", ",").trim_end().to_string()
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
