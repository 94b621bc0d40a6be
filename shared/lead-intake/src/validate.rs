//! Validation and normalisation of one submission's fields. Every invalid
//! field is named, so a form can show each message next to its input.

use chrono::{DateTime, Utc};
use spin_retention_core::body::Fields;
use spin_retention_core::lead::{Attribution, Channel, Consent, Contact, Origin, Submission};
use spin_retention_core::problem::Problem;
use spin_retention_core::text::looks_like_link;
use std::collections::BTreeMap;

/// IntakeSettings that shape validation (Spin variables).
#[derive(Debug, Clone)]
pub struct FormRules {
    /// ISO 3166-1 alpha-2 region for phone numbers written without `+`.
    pub default_region: String,
    /// A field bots fill and people never see; when non-empty the submission is dropped.
    pub honeypot_field: String,
    pub max_custom_fields: usize,
}

impl Default for FormRules {
    fn default() -> Self {
        FormRules {
            default_region: "US".into(),
            honeypot_field: "_gotcha".into(),
            max_custom_fields: 20,
        }
    }
}

/// A valid submission before it has ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub form: Option<String>,
    pub contact: Contact,
    pub message: Option<String>,
    pub language: Option<String>,
    pub channel: Channel,
    pub attribution: Attribution,
    pub consent: Option<ConsentDraft>,
    pub custom: BTreeMap<String, String>,
    /// A Turnstile or reCAPTCHA token, verified by the caller when configured.
    pub captcha_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDraft {
    pub marketing: Option<bool>,
    pub ad_user_data: Option<bool>,
    pub ad_personalization: Option<bool>,
    pub text: Option<String>,
    pub version: Option<String>,
}

impl Draft {
    pub fn into_submission(self, id: String, lead_id: String, received_at: DateTime<Utc>) -> Submission {
        let consent = self.consent.map(|c| Consent {
            marketing: c.marketing,
            ad_user_data: c.ad_user_data,
            ad_personalization: c.ad_personalization,
            text: c.text,
            version: c.version,
            recorded_at: received_at,
            submission_id: id.clone(),
            client_hash: None,
            confirmed: None,
        });
        Submission {
            id,
            lead_id,
            received_at,
            form: self.form,
            contact: self.contact,
            message: self.message,
            language: self.language,
            channel: self.channel,
            attribution: self.attribution,
            consent,
            custom: self.custom,
            origin: Origin::Form,
            client_hash: None,
        }
    }
}

pub enum Validated {
    Valid(Box<Draft>),
    /// The honeypot was filled: answer as if accepted, keep nothing.
    Spam,
}

const UTM: [&str; 5] = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
const MAX_PAGES: usize = 50;

pub fn validate(fields: &Fields, rules: &FormRules) -> Result<Validated, Problem> {
    let mut v = Validator {
        errors: Problem::new(422, "invalid-fields", "Invalid Fields"),
        fields,
    };
    if v.first(&rules.honeypot_field).is_some_and(|s| !s.trim().is_empty()) {
        return Ok(Validated::Spam);
    }
    let name = v.person_name("name");
    let mut first_name = v.person_name("first_name");
    let mut last_name = v.person_name("last_name");
    if let (Some(full), None, None) = (&name, &first_name, &last_name) {
        // Best effort for platforms that want first and last names apart.
        let mut parts = full.splitn(2, ' ');
        first_name = parts.next().map(str::to_string);
        last_name = parts.next().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    }
    let name = name.or_else(|| match (&first_name, &last_name) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.clone().or_else(|| l.clone()),
    });
    let country = v.line("country", 2).and_then(|c| v.country(c));
    let region = country.clone().unwrap_or_else(|| rules.default_region.clone());
    let email = v.line("email", 254).and_then(|e| v.email(e));
    let phone = v.line("phone", 32).and_then(|p| v.phone(p, &region));
    if email.is_none() && phone.is_none() && !v.has_error("email") && !v.has_error("phone") {
        v.error("email", "give an email address or a phone number");
        v.error("phone", "give an email address or a phone number");
    }
    let channel = v.channel(email.is_some(), phone.is_some());
    let contact = Contact {
        name,
        first_name,
        last_name,
        email,
        phone,
        company: v.line("company", 200).and_then(|c| v.no_link("company", c)),
        city: v.line("city", 100),
        region: v.line("region", 100).or_else(|| v.line("state", 100)),
        postal_code: v.postal_code(),
        country,
        birthday: v.line("birthday", 10).and_then(|b| v.birthday(b)),
    };
    let message = v.text("message", 5000);
    let language = v
        .line("language", 16)
        .or_else(|| v.line("lang", 16))
        .and_then(|l| v.language(l));
    let form = v.line("form", 64);
    let attribution = v.attribution();
    let consent = v.consent();
    let captcha_token = v
        .first("cf-turnstile-response")
        .or_else(|| v.first("g-recaptcha-response"));
    let custom = v.custom(rules);
    if !v.errors.errors.is_empty() {
        let n = v.errors.errors.len();
        return Err(v.errors.with_detail(format!("{n} field(s) need attention")));
    }
    Ok(Validated::Valid(Box::new(Draft {
        form,
        contact,
        message,
        language,
        channel: channel.expect("no errors means a channel"),
        attribution,
        consent,
        custom,
        captcha_token: captcha_token.map(str::to_string),
    })))
}

/// Field names this module interprets; anything else is a custom field.
fn is_known(name: &str, rules: &FormRules) -> bool {
    const KNOWN: [&str; 35] = [
        "birthday",
        "city",
        "region",
        "state",
        "postal_code",
        "zip",
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "country",
        "message",
        "language",
        "lang",
        "channel",
        "form",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "gclid",
        "fbclid",
        "referrer",
        "landing_page",
        "page",
        "pages",
        "consent_marketing",
        "consent_ad_user_data",
        "consent_ad_personalization",
        "consent_text",
        "consent_version",
        "cf-turnstile-response",
    ];
    KNOWN.contains(&name) || name == "g-recaptcha-response" || name == rules.honeypot_field
}

struct Validator<'a> {
    errors: Problem,
    fields: &'a Fields,
}

impl<'a> Validator<'a> {
    fn first(&self, name: &str) -> Option<&'a str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &'static str) -> impl Iterator<Item = &'a str> {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn error(&mut self, field: &str, message: &str) {
        if !self.has_error(field) {
            self.errors.errors.push(spin_retention_core::problem::FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
    }

    fn has_error(&self, field: &str) -> bool {
        self.errors.errors.iter().any(|e| e.field == field)
    }

    /// A trimmed text, `None` when empty, with a length limit.
    fn text(&mut self, field: &str, max: usize) -> Option<String> {
        let value = self.first(field)?.trim();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max {
            self.error(field, &format!("at most {max} characters"));
            return None;
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.error(field, "must not contain control characters");
            return None;
        }
        Some(value.to_string())
    }

    /// Like [`Self::text`] but one line: names and addresses end up in
    /// message headers, where a line break could inject another header.
    fn line(&mut self, field: &str, max: usize) -> Option<String> {
        let raw = self.first(field)?;
        if raw.chars().any(char::is_control) {
            self.error(field, "must be a single line without control characters");
            return None;
        }
        self.text(field, max)
    }

    /// A name, not a link: names are echoed in the acknowledgement.
    fn person_name(&mut self, field: &str) -> Option<String> {
        let name = self.line(field, 100)?;
        self.no_link(field, name)
    }

    /// A line that may be echoed in an outbound message, refused when it
    /// looks like a link or a domain ([`looks_like_link`]).
    fn no_link(&mut self, field: &str, value: String) -> Option<String> {
        if looks_like_link(&value) {
            self.error(field, "a name, without links, domains or addresses");
            return None;
        }
        Some(value)
    }

    fn email(&mut self, raw: String) -> Option<String> {
        use email_address::{EmailAddress, Options};
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
        };
        match EmailAddress::parse_with_options(&raw, options) {
            // No display names, quoted local parts or lists: one plain mailbox,
            // so a provider can never read it as several recipients.
            Ok(address) if !raw.contains(['<', '>', ' ', '"', ',', ';']) => Some(format!(
                "{}@{}",
                address.local_part(),
                address.domain().to_ascii_lowercase()
            )),
            _ => {
                self.error("email", "not a valid email address");
                None
            }
        }
    }

    fn phone(&mut self, raw: String, region: &str) -> Option<String> {
        match super::phone::to_e164(&raw, region) {
            Some(e164) => Some(e164),
            None => {
                self.error(
                    "phone",
                    "not a valid phone number (include the country code, e.g. +972 52 555 1234)",
                );
                None
            }
        }
    }

    fn country(&mut self, raw: String) -> Option<String> {
        let upper = raw.to_ascii_uppercase();
        if upper.len() == 2 && upper.parse::<phonenumber::country::Id>().is_ok() {
            Some(upper)
        } else {
            self.error("country", "an ISO 3166-1 alpha-2 code such as US or IL");
            None
        }
    }

    fn birthday(&mut self, raw: String) -> Option<String> {
        let day = spin_retention_core::lead::birthday(&raw);
        if day.is_none() {
            self.error("birthday", "a date such as 1990-04-17, or the day alone: 04-17");
        }
        day
    }

    fn language(&mut self, raw: String) -> Option<String> {
        let primary = raw.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        if (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase()) {
            Some(primary)
        } else {
            self.error("language", "a language code such as en or he");
            None
        }
    }

    fn channel(&mut self, has_email: bool, has_phone: bool) -> Option<Channel> {
        let wanted = self.line("channel", 16).map(|c| c.to_ascii_lowercase());
        let channel = match wanted.as_deref() {
            None if has_email => Channel::Email,
            None if has_phone => Channel::Sms,
            None => return None,
            Some("email") => Channel::Email,
            Some("sms") => Channel::Sms,
            Some("whatsapp") => Channel::Whatsapp,
            Some(_) => {
                self.error("channel", "one of email, sms, whatsapp");
                return None;
            }
        };
        match channel {
            Channel::Email if !has_email => self.error("email", "needed to answer by email"),
            Channel::Sms | Channel::Whatsapp if !has_phone => {
                self.error("phone", "needed to answer by SMS or WhatsApp")
            }
            _ => return Some(channel),
        }
        None
    }

    fn attribution(&mut self) -> Attribution {
        let mut utm = BTreeMap::new();
        for key in UTM {
            if let Some(v) = self.line(key, 200) {
                utm.insert(key.trim_start_matches("utm_").to_string(), v);
            }
        }
        let mut pages: Vec<String> = Vec::new();
        let raw_pages: Vec<&str> = self.all("page").chain(self.all("pages")).collect();
        for page in raw_pages {
            let page = page.trim();
            if page.is_empty() || pages.iter().any(|p| p == page) {
                continue;
            }
            if page.len() > 2000 || page.chars().any(char::is_control) {
                self.error("pages", "each page is a single line of at most 2000 characters");
            } else if pages.len() < MAX_PAGES {
                pages.push(page.to_string());
            }
        }
        Attribution {
            utm,
            gclid: self.line("gclid", 200),
            fbclid: self.line("fbclid", 500),
            referrer: self.line("referrer", 2000),
            landing_page: self.line("landing_page", 2000),
            pages,
        }
    }

    fn flag(&mut self, field: &str) -> Option<bool> {
        let raw = self.line(field, 16)?.to_ascii_lowercase();
        match raw.as_str() {
            "true" | "on" | "yes" | "1" | "granted" => Some(true),
            "false" | "off" | "no" | "0" | "denied" => Some(false),
            _ => {
                self.error(field, "true or false (on/off, yes/no, granted/denied)");
                None
            }
        }
    }

    fn postal_code(&mut self) -> Option<String> {
        let field = if self.first("postal_code").is_some() {
            "postal_code"
        } else {
            "zip"
        };
        let code = self.line(field, 20)?;
        if spin_retention_core::lead::is_postal_code(&code) {
            Some(code)
        } else {
            self.error(
                field,
                "a postal code: 2 to 10 letters, digits, spaces or -, with a digit",
            );
            None
        }
    }

    fn consent(&mut self) -> Option<ConsentDraft> {
        let consent = ConsentDraft {
            marketing: self.flag("consent_marketing"),
            ad_user_data: self.flag("consent_ad_user_data"),
            ad_personalization: self.flag("consent_ad_personalization"),
            text: self.text("consent_text", 2000),
            version: self.line("consent_version", 64),
        };
        let asked =
            consent.marketing.is_some() || consent.ad_user_data.is_some() || consent.ad_personalization.is_some();
        asked.then_some(consent)
    }

    fn custom(&mut self, rules: &FormRules) -> BTreeMap<String, String> {
        let mut custom = BTreeMap::new();
        for (name, value) in self.fields {
            if is_known(name, rules) {
                continue;
            }
            let value = value.trim();
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
                self.error(name, "custom field names use letters, digits, _ - and . only");
            } else if value.chars().any(|c| c.is_control() && !"\n\r\t".contains(c)) {
                self.error(name, "must not contain control characters");
            } else if value.chars().count() > 1000 {
                self.error(name, "custom fields hold at most 1000 characters");
            } else if !value.is_empty() {
                custom.insert(name.clone(), value.to_string());
            }
        }
        if custom.len() > rules.max_custom_fields {
            self.error("custom", &format!("at most {} custom fields", rules.max_custom_fields));
        }
        custom
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn valid(pairs: &[(&str, &str)]) -> Draft {
        match validate(&fields(pairs), &FormRules::default()) {
            Ok(Validated::Valid(d)) => *d,
            Ok(Validated::Spam) => panic!("spam"),
            Err(p) => panic!("{p:?}"),
        }
    }

    fn invalid(pairs: &[(&str, &str)]) -> Vec<String> {
        match validate(&fields(pairs), &FormRules::default()) {
            Err(p) => {
                assert_eq!(p.status, 422);
                p.errors.into_iter().map(|e| e.field).collect()
            }
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn normalises_email_phone_and_names() {
        let d = valid(&[
            ("name", "  Dana Levi "),
            ("email", "Dana.Levi@Example.COM"),
            ("phone", "(201) 555-0123"),
            ("company", "Acme"),
        ]);
        assert_eq!(d.contact.email.as_deref(), Some("Dana.Levi@example.com"));
        assert_eq!(d.contact.phone.as_deref(), Some("+12015550123"));
        assert_eq!(d.contact.name.as_deref(), Some("Dana Levi"));
        assert_eq!(
            (d.contact.first_name.as_deref(), d.contact.last_name.as_deref()),
            (Some("Dana"), Some("Levi"))
        );
        assert_eq!(d.channel, Channel::Email);
    }

    #[test]
    fn a_birthday_is_kept_as_its_day_or_named_as_wrong() {
        let d = valid(&[("email", "a@b.co"), ("birthday", "1990-04-17")]);
        assert_eq!(d.contact.birthday.as_deref(), Some("04-17"));
        assert_eq!(
            invalid(&[("email", "a@b.co"), ("birthday", "17/04/1990")]),
            ["birthday"]
        );
    }

    #[test]
    fn country_sets_the_phone_region() {
        let d = valid(&[("phone", "052-555-1234"), ("country", "il")]);
        assert_eq!(d.contact.phone.as_deref(), Some("+972525551234"));
        assert_eq!(d.contact.country.as_deref(), Some("IL"));
        assert_eq!(d.channel, Channel::Sms);
    }

    #[test]
    fn address_parts_and_postal_code_shape() {
        let d = valid(&[
            ("email", "a@b.co"),
            ("city", "Tel Aviv"),
            ("state", "TA"),
            ("zip", "6100000"),
        ]);
        assert_eq!(
            (
                d.contact.city.as_deref(),
                d.contact.region.as_deref(),
                d.contact.postal_code.as_deref()
            ),
            (Some("Tel Aviv"), Some("TA"), Some("6100000"))
        );
        // Sent unhashed to ad platforms, so a name is no postal code.
        assert_eq!(invalid(&[("email", "a@b.co"), ("zip", "Dana Levi")]), ["zip"]);
        assert_eq!(
            invalid(&[("email", "a@b.co"), ("postal_code", "12345678901")]),
            ["postal_code"]
        );
    }

    #[test]
    fn names_every_invalid_field() {
        let mut bad = invalid(&[
            ("email", "not-an-email"),
            ("phone", "12"),
            ("consent_marketing", "maybe"),
        ]);
        bad.sort();
        assert_eq!(bad, ["consent_marketing", "email", "phone"]);
        assert_eq!(invalid(&[("name", "Dana")]), ["email", "phone"]);
        assert_eq!(invalid(&[("email", "Dana <d@x.io>")]), ["email"]);
        assert_eq!(invalid(&[("email", "d@localhost")]), ["email"]);
    }

    #[test]
    fn names_and_emails_cannot_smuggle_links_or_recipients() {
        assert_eq!(
            invalid(&[("name", "Visit https://spam.example"), ("email", "d@x.io")]),
            ["name"]
        );
        assert_eq!(invalid(&[("email", "\"a@evil.io,b\"@x.io")]), ["email"]);
        // A bare domain is a link too: it would go out in the acknowledgement.
        assert_eq!(
            invalid(&[
                ("first_name", "Account locked, verify at secure-login.co/x"),
                ("email", "d@x.io")
            ]),
            ["first_name"]
        );
        assert_eq!(
            invalid(&[
                ("company", "bit.ly/free"),
                ("last_name", "evil.example"),
                ("email", "d@x.io")
            ]),
            ["last_name", "company"]
        );
        let fine = valid(&[
            ("name", "Mr. J.R. Smith"),
            ("company", "Initech Ltd."),
            ("email", "d@x.io"),
        ]);
        assert_eq!(fine.contact.company.as_deref(), Some("Initech Ltd."));
        assert_eq!(invalid(&[("email", "d@x.io"), ("budget", "a\u{1f}b")]), ["budget"]);
    }

    #[test]
    fn header_injection_in_single_line_fields_is_refused() {
        assert_eq!(
            invalid(&[("name", "Dana\r\nBcc: victim@x.io"), ("email", "d@x.io")]),
            ["name"]
        );
        assert_eq!(invalid(&[("email", "d@x.io\nBcc: v@x.io")]), ["email"]);
        // A message may have line breaks.
        assert!(valid(&[("email", "d@x.io"), ("message", "line 1\nline 2")])
            .message
            .unwrap()
            .contains('\n'));
    }

    #[test]
    fn attribution_and_consent() {
        let d = valid(&[
            ("email", "d@x.io"),
            ("utm_source", "google"),
            ("utm_campaign", "spring"),
            ("gclid", "Cj0KCQ"),
            ("page", "/pricing"),
            ("page", "/demo"),
            ("page", "/pricing"),
            ("consent_marketing", "on"),
            ("consent_ad_user_data", "granted"),
            ("consent_ad_personalization", "denied"),
            ("consent_text", "I agree to be contacted"),
        ]);
        assert_eq!(d.attribution.utm.get("source").map(String::as_str), Some("google"));
        assert_eq!(d.attribution.pages, ["/pricing", "/demo"]);
        let c = d.consent.unwrap();
        assert_eq!(
            (c.marketing, c.ad_user_data, c.ad_personalization),
            (Some(true), Some(true), Some(false))
        );
        assert!(valid(&[("email", "d@x.io")]).consent.is_none());
    }

    #[test]
    fn honeypot_means_spam() {
        let outcome = validate(
            &fields(&[("email", "d@x.io"), ("_gotcha", "http://spam")]),
            &FormRules::default(),
        );
        assert!(matches!(outcome, Ok(Validated::Spam)));
        assert!(matches!(
            validate(&fields(&[("email", "d@x.io"), ("_gotcha", "")]), &FormRules::default()),
            Ok(Validated::Valid(_))
        ));
    }

    #[test]
    fn custom_fields_are_bounded() {
        let d = valid(&[("email", "d@x.io"), ("budget", "10k"), ("team-size", "12")]);
        assert_eq!(d.custom.len(), 2);
        let many: Vec<(String, String)> = (0..21).map(|i| (format!("c{i}"), "x".to_string())).collect();
        let mut f = many.clone();
        f.push(("email".into(), "d@x.io".into()));
        assert!(validate(&f, &FormRules::default()).is_err());
        assert_eq!(invalid(&[("email", "d@x.io"), ("bad name", "x")]), ["bad name"]);
    }

    #[test]
    fn channel_must_be_reachable() {
        assert_eq!(invalid(&[("email", "d@x.io"), ("channel", "whatsapp")]), ["phone"]);
        assert_eq!(
            valid(&[("phone", "+972525551234"), ("channel", "WhatsApp")]).channel,
            Channel::Whatsapp
        );
    }

    #[test]
    fn hebrew_names_survive() {
        let d = valid(&[("name", "דנה לוי"), ("email", "d@x.io"), ("language", "he-IL")]);
        assert_eq!(d.contact.name.as_deref(), Some("דנה לוי"));
        assert_eq!(d.language.as_deref(), Some("he"));
    }
}
