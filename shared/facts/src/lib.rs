//! The facts of a person that scoring rules and audience definitions test:
//! about the person (profile) and about each thing they did (activity: a
//! form submission, a survey answered or opened). A scoring rule fires on
//! the newest activity where it holds, and that activity's age drives its
//! decay; an audience tests the profile facts only (no activity).
//!
//! A fact name has one meaning wherever it is tested: [`CATALOGUE`] lists
//! each with its type and meaning. [`inputs`] reads what the facts are
//! computed from; [`condition`] is the language that tests them.

pub mod condition;
pub mod inputs;

use chrono::{DateTime, Utc};
use spin_retention_core::customer::Customer;
use spin_retention_core::lead::{Lead, Submission};
use spin_retention_core::signals::{Band, LeadSurveys};

use std::collections::BTreeMap;

pub use spin_retention_core::admin_doc::FactType;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Option<String>),
    List(Vec<String>),
    Number(f64),
    Bool(bool),
}

/// Every fact, its type and meaning: served by `GET /scoring/admin/rules`
/// (and the profile facts by `GET /audiences/admin/definitions`) so whoever
/// writes rules sees what they can use.
pub const CATALOGUE: &[(&str, FactType, &str)] = &[
    ("company", FactType::Text, "company name given"),
    (
        "role",
        FactType::Text,
        "job title: custom field role, job_title or title",
    ),
    ("country", FactType::Text, "ISO country code, uppercase"),
    ("email_domain", FactType::Text, "domain of the email address, lowercase"),
    (
        "email_domain_type",
        FactType::Text,
        "free (public mail service), business, or none",
    ),
    ("has_email", FactType::Bool, "an email address is known"),
    ("has_phone", FactType::Bool, "a phone number is known"),
    ("language", FactType::Text, "preferred language"),
    ("visits", FactType::Number, "number of form submissions (repeat visits)"),
    ("pages_seen", FactType::List, "every page seen across visits"),
    ("tags", FactType::List, "the person's tags, as journeys' tag steps set them"),
    ("surveys_answered", FactType::Number, "surveys answered"),
    ("surveys_opened", FactType::Number, "surveys opened"),
    ("customer", FactType::Bool, "has bought something (customers)"),
    (
        "loyalty_tier",
        FactType::Text,
        "loyalty tier (bronze, silver, gold, platinum as configured); none without an order in the window",
    ),
    (
        "rfm_segment",
        FactType::Text,
        "RFM segment: Champions, Loyal Customers, Potential Loyalists, New Customers, Promising, Need Attention, About to Sleep, At Risk, Can't Lose Them, Hibernating",
    ),
    (
        "slipping",
        FactType::Bool,
        "buying later than their own rhythm, or quiet since a single purchase",
    ),
    ("days_since_purchase", FactType::Number, "days since the last purchase"),
    ("orders", FactType::Number, "paid orders"),
    ("revenue", FactType::Number, "net revenue in the main currency"),
    (
        "activity",
        FactType::Text,
        "this activity: form, survey (answered) or survey_opened",
    ),
    ("days_ago", FactType::Number, "age of this activity in days"),
    ("form", FactType::Text, "form name of this submission"),
    (
        "pages",
        FactType::List,
        "pages seen on this visit (and its landing page)",
    ),
    ("left_phone", FactType::Bool, "this submission gave a phone number"),
    ("message", FactType::Text, "message of this submission"),
    ("source", FactType::Text, "utm_source of this visit"),
    ("medium", FactType::Text, "utm_medium of this visit"),
    ("campaign", FactType::Text, "utm_campaign of this visit"),
    ("referrer", FactType::Text, "referrer of this visit"),
    ("survey_kind", FactType::Text, "nps, csat or ces (survey activities)"),
    (
        "survey_score",
        FactType::Number,
        "the score answered (survey activities)",
    ),
    (
        "survey_band",
        FactType::Text,
        "promoter, passive or detractor (survey activities)",
    ),
    (
        "custom.<name>",
        FactType::Text,
        "a custom form field of this submission",
    ),
];

/// The profile facts: about the person, needing no particular activity
/// (what audiences and journeys test).
pub const PROFILE: &[&str] = &[
    "company",
    "country",
    "email_domain",
    "email_domain_type",
    "has_email",
    "has_phone",
    "language",
    "visits",
    "pages_seen",
    "tags",
    "surveys_answered",
    "surveys_opened",
    "customer",
    "loyalty_tier",
    "rfm_segment",
    "slipping",
    "days_since_purchase",
    "orders",
    "revenue",
];

pub fn fact_type(name: &str) -> Option<FactType> {
    if name.strip_prefix("custom.").is_some_and(|f| !f.is_empty()) {
        return Some(FactType::Text);
    }
    CATALOGUE.iter().find(|(n, _, _)| *n == name).map(|(_, t, _)| *t)
}

/// The type of a profile fact ([`PROFILE`]); `None` for any other name.
pub fn profile_fact_type(name: &str) -> Option<FactType> {
    PROFILE.contains(&name).then(|| fact_type(name)).flatten()
}

/// Public mail services: an address there says nothing about an employer.
/// Rules can add more (`free_mail_domains`).
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "ymail.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "mail.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "zoho.com",
    "qq.com",
    "163.com",
    "walla.co.il",
    "walla.com",
    "bezeqint.net",
    "netvision.net.il",
    "t-online.de",
    "orange.fr",
    "free.fr",
    "libero.it",
    "hotmail.co.uk",
    "yahoo.co.uk",
];

/// One thing the person did.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub id: String,
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub form: Option<String>,
    pub pages: Vec<String>,
    pub left_phone: bool,
    pub message: Option<String>,
    pub utm: BTreeMap<String, String>,
    pub referrer: Option<String>,
    pub custom: BTreeMap<String, String>,
    pub survey: Option<(String, u8, Band)>,
}

impl Activity {
    pub fn from_submission(s: &Submission) -> Activity {
        let a = &s.attribution;
        Activity {
            id: s.id.clone(),
            at: s.received_at,
            kind: "form",
            form: s.form.clone(),
            pages: a.pages.iter().chain(a.landing_page.iter()).cloned().collect(),
            left_phone: s.contact.phone.is_some(),
            message: s.message.clone(),
            utm: a.utm.clone(),
            referrer: a.referrer.clone(),
            custom: s.custom.clone(),
            survey: None,
        }
    }
}

/// Everything rules look at for one lead, activities newest first.
pub struct Facts<'a> {
    pub lead: &'a Lead,
    pub activities: Vec<Activity>,
    pub surveys: &'a LeadSurveys,
    pub free_mail: &'a [String],
    pub now: DateTime<Utc>,
    /// What customers folded of their purchases (none: never bought).
    pub customer: Option<&'a Customer>,
    /// The person's tags.
    pub tags: &'a [String],
}

impl<'a> Facts<'a> {
    pub fn new(
        lead: &'a Lead,
        submissions: &[Submission],
        surveys: &'a LeadSurveys,
        free_mail: &'a [String],
        now: DateTime<Utc>,
    ) -> Self {
        let mut activities: Vec<Activity> = submissions.iter().map(Activity::from_submission).collect();
        for answer in &surveys.answers {
            activities.push(Activity {
                id: answer.survey_id.clone(),
                at: answer.answered_at,
                kind: "survey",
                survey: Some((answer.kind.as_str().into(), answer.score, answer.band())),
                ..Activity::default()
            });
        }
        for opened in &surveys.opened {
            activities.push(Activity {
                id: opened.survey_id.clone(),
                at: opened.opened_at,
                kind: "survey_opened",
                ..Activity::default()
            });
        }
        activities.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
        Facts {
            lead,
            activities,
            surveys,
            free_mail,
            now,
            customer: None,
            tags: &[],
        }
    }

    /// These facts with the person's tags.
    pub fn with_tags(mut self, tags: &'a [String]) -> Self {
        self.tags = tags;
        self
    }

    /// These facts with the person's purchases.
    pub fn with_customer(mut self, customer: Option<&'a Customer>) -> Self {
        self.customer = customer;
        self
    }

    /// Whether the person is a customer slipping away, and since when.
    pub fn slipping_since(&self) -> Option<DateTime<Utc>> {
        let c = self.customer?;
        c.slipping(self.now).then_some(c.slipping_after).flatten()
    }

    fn email_domain(&self) -> Option<String> {
        let email = self.lead.contact.email.as_deref()?;
        Some(email.rsplit_once('@')?.1.to_lowercase())
    }

    /// The value of `name` for `activity` (`None`: profile facts only).
    pub fn get(&self, name: &str, activity: Option<&Activity>) -> Value {
        let lead = self.lead;
        let text = |v: Option<&String>| Value::Text(v.cloned());
        if let Some(field) = name.strip_prefix("custom.") {
            return text(activity.and_then(|a| a.custom.get(field)));
        }
        match name {
            "company" => text(lead.contact.company.as_ref()),
            "role" => {
                let role = ["role", "job_title", "title"]
                    .iter()
                    .find_map(|f| activity.and_then(|a| a.custom.get(*f)));
                text(role)
            }
            "country" => text(lead.contact.country.as_ref()),
            "email_domain" => Value::Text(self.email_domain()),
            "email_domain_type" => Value::Text(Some(
                match self.email_domain() {
                    None => "none",
                    Some(d) if FREE_MAIL.contains(&d.as_str()) || self.free_mail.contains(&d) => "free",
                    Some(_) => "business",
                }
                .into(),
            )),
            "has_email" => Value::Bool(lead.contact.email.is_some()),
            "has_phone" => Value::Bool(lead.contact.phone.is_some()),
            "language" => text(lead.language.as_ref()),
            "visits" => Value::Number(lead.submission_count.max(lead.submissions.len() as u64) as f64),
            "pages_seen" => Value::List(lead.pages_seen.clone()),
            "tags" => Value::List(self.tags.to_vec()),
            "surveys_answered" => Value::Number(self.surveys.answers.len() as f64),
            "surveys_opened" => Value::Number(self.surveys.opened.len() as f64),
            "customer" => Value::Bool(self.customer.is_some_and(Customer::is_customer)),
            "loyalty_tier" => Value::Text(self.customer.and_then(|c| c.loyalty_tier.clone())),
            "rfm_segment" => Value::Text(self.customer.and_then(|c| c.rfm.as_ref().map(|r| r.segment.clone()))),
            "slipping" => Value::Bool(self.slipping_since().is_some()),
            // No purchase: a number no rule range can match.
            "days_since_purchase" => Value::Number(
                self.customer
                    .and_then(|c| c.days_since_purchase(self.now))
                    .unwrap_or(f64::NAN),
            ),
            "orders" => Value::Number(self.customer.map_or(0.0, |c| f64::from(c.orders))),
            "revenue" => Value::Number(self.customer.map_or(0.0, |c| {
                let places = spin_retention_core::customer::exponent(&c.currency);
                c.main_revenue as f64 / 10f64.powi(places as i32)
            })),
            _ => self.activity_fact(name, activity),
        }
    }

    fn activity_fact(&self, name: &str, activity: Option<&Activity>) -> Value {
        let Some(a) = activity else {
            return match fact_type(name) {
                Some(FactType::List) => Value::List(Vec::new()),
                Some(FactType::Bool) => Value::Bool(false),
                _ => Value::Text(None),
            };
        };
        let text = |v: Option<&String>| Value::Text(v.cloned());
        let survey = a.survey.as_ref();
        match name {
            "activity" => Value::Text(Some(a.kind.into())),
            "days_ago" => Value::Number((self.now - a.at).num_seconds().max(0) as f64 / 86_400.0),
            "form" => text(a.form.as_ref()),
            "pages" => Value::List(a.pages.clone()),
            "left_phone" => Value::Bool(a.left_phone),
            "message" => text(a.message.as_ref()),
            "source" => text(a.utm.get("source")),
            "medium" => text(a.utm.get("medium")),
            "campaign" => text(a.utm.get("campaign")),
            "referrer" => text(a.referrer.as_ref()),
            "survey_kind" => Value::Text(survey.map(|s| s.0.clone())),
            // No score: a number no rule range can match.
            "survey_score" => Value::Number(survey.map_or(f64::NAN, |s| f64::from(s.1))),
            "survey_band" => Value::Text(survey.map(|s| s.2.as_str().into())),
            _ => Value::Text(None),
        }
    }
}
