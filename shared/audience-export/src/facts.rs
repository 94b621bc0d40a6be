//! The facts audience conditions can test: the lead's profile (the same
//! facts scoring rules use), its score, its latest survey answers, where it
//! came from and what it consented to.

use spin_retention_core::lead::{Lead, Submission};
use spin_retention_core::signals::{LeadSurveys, SurveyKind};
use spin_retention_facts::condition::FactSet;
use spin_retention_facts::{fact_type as scoring_fact_type, FactType, Facts, Value, PROFILE};
use spin_retention_scores::ScoreRecord;

/// Facts of audiences only; with `PROFILE`, what `GET
/// /audiences/admin/definitions` lists. None shares a name with a fact of
/// [`spin_retention_facts::CATALOGUE`]: a name means one thing everywhere
/// (`source` is this visit's, `first_source` the first visit's).
pub const CATALOGUE: &[(&str, FactType, &str)] = &[
    (
        "tier",
        FactType::Text,
        "hot, warm or cold (none before the lead is scored)",
    ),
    ("score", FactType::Number, "total score"),
    ("fit", FactType::Number, "fit score"),
    ("engagement", FactType::Number, "engagement score"),
    ("grade", FactType::Text, "fit grade, A to D"),
    (
        "at_risk",
        FactType::Bool,
        "a recent survey answer marks the customer at risk, or they are slipping away",
    ),
    (
        "nps_band",
        FactType::Text,
        "promoter, passive or detractor: the latest NPS answer",
    ),
    (
        "csat_band",
        FactType::Text,
        "promoter, passive or detractor: the latest CSAT answer",
    ),
    (
        "ces_band",
        FactType::Text,
        "promoter, passive or detractor: the latest CES answer",
    ),
    ("forms", FactType::List, "every form the lead submitted"),
    ("converted", FactType::Bool, "submitted one of conversion_forms"),
    ("first_source", FactType::Text, "utm_source of the first visit"),
    ("first_medium", FactType::Text, "utm_medium of the first visit"),
    ("first_campaign", FactType::Text, "utm_campaign of the first visit"),
    ("last_source", FactType::Text, "utm_source of the latest visit"),
    ("last_medium", FactType::Text, "utm_medium of the latest visit"),
    ("last_campaign", FactType::Text, "utm_campaign of the latest visit"),
    ("consent_marketing", FactType::Bool, "consented to marketing"),
    ("consent_ad_user_data", FactType::Bool, "granted ad_user_data"),
    (
        "consent_ad_personalization",
        FactType::Bool,
        "granted ad_personalization",
    ),
];

pub fn fact_type(name: &str) -> Option<FactType> {
    if PROFILE.contains(&name) {
        return scoring_fact_type(name);
    }
    CATALOGUE.iter().find(|(n, _, _)| *n == name).map(|(_, t, _)| *t)
}

pub const AUDIENCE_FACTS: FactSet = FactSet {
    type_of: fact_type,
    listed_at: "GET /audiences/admin/definitions",
};

/// Every fact with its type and meaning, for the admin endpoint.
pub fn catalogue() -> Vec<(&'static str, FactType, &'static str)> {
    let profile = spin_retention_facts::CATALOGUE
        .iter()
        .filter(|(name, _, _)| PROFILE.contains(name))
        .copied();
    profile.chain(CATALOGUE.iter().copied()).collect()
}

/// Everything audience conditions look at for one lead.
pub struct AudienceFacts<'a> {
    pub profile: Facts<'a>,
    pub score: Option<&'a ScoreRecord>,
    pub submissions: &'a [Submission],
    pub conversion_forms: &'a [String],
}

impl AudienceFacts<'_> {
    fn lead(&self) -> &Lead {
        self.profile.lead
    }

    fn surveys(&self) -> &LeadSurveys {
        self.profile.surveys
    }

    pub fn get(&self, name: &str) -> Value {
        if PROFILE.contains(&name) {
            return self.profile.get(name, None);
        }
        let score = self.score.map(|s| &s.score);
        let number = |n: Option<i64>| Value::Number(n.map_or(f64::NAN, |n| n as f64));
        let text = |t: Option<String>| Value::Text(t);
        let utm = |touch: &spin_retention_core::lead::Attribution, key: &str| text(touch.utm.get(key).cloned());
        let consent = |granted: fn(&spin_retention_core::lead::Consent) -> Option<bool>| {
            Value::Bool(self.lead().consent.as_ref().and_then(granted) == Some(true))
        };
        match name {
            "tier" => text(score.map(|s| format!("{:?}", s.tier).to_lowercase())),
            "score" => number(score.map(|s| s.total)),
            "fit" => number(score.map(|s| s.fit)),
            "engagement" => number(score.map(|s| s.engagement)),
            "grade" => text(score.map(|s| s.grade.to_string())),
            "at_risk" => Value::Bool(score.is_some_and(|s| s.at_risk)),
            "nps_band" => text(self.latest_band(SurveyKind::Nps)),
            "csat_band" => text(self.latest_band(SurveyKind::Csat)),
            "ces_band" => text(self.latest_band(SurveyKind::Ces)),
            "forms" => Value::List(self.forms()),
            "converted" => Value::Bool(
                self.forms()
                    .iter()
                    .any(|f| self.conversion_forms.iter().any(|c| c.eq_ignore_ascii_case(f))),
            ),
            "first_source" => utm(&self.lead().first_touch, "source"),
            "first_medium" => utm(&self.lead().first_touch, "medium"),
            "first_campaign" => utm(&self.lead().first_touch, "campaign"),
            "last_source" => utm(&self.lead().last_touch, "source"),
            "last_medium" => utm(&self.lead().last_touch, "medium"),
            "last_campaign" => utm(&self.lead().last_touch, "campaign"),
            "consent_marketing" => consent(|c| c.marketing),
            "consent_ad_user_data" => consent(|c| c.ad_user_data),
            "consent_ad_personalization" => consent(|c| c.ad_personalization),
            _ => Value::Text(None),
        }
    }

    fn forms(&self) -> Vec<String> {
        self.submissions.iter().filter_map(|s| s.form.clone()).collect()
    }

    fn latest_band(&self, kind: SurveyKind) -> Option<String> {
        self.surveys()
            .answers
            .iter()
            .filter(|a| a.kind == kind)
            .max_by_key(|a| a.answered_at)
            .map(|a| a.band().as_str().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_name_means_one_thing() {
        for (name, _, _) in CATALOGUE {
            assert!(
                spin_retention_facts::fact_type(name).is_none(),
                "{name} is a fact of the shared catalogue"
            );
        }
    }
}
