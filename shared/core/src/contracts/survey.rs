//! survey's answers: the surveys defined (`GET /survey/admin/surveys`,
//! `.../surveys/{id}`), a person's answers (`GET /survey/admin/people/{lead}`),
//! a survey's summary (`.../surveys/{id}/summary`) and the open follow-ups
//! (`GET /survey/admin/followups`). The definition, the answer and the
//! follow-up are survey's stored records (`survey:`, `survey-answer:`,
//! `followup:`).

use super::Page;
use crate::signals::{Band, OpenedSignal, SurveyKind};
use crate::sorted_sets::Position;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `survey:<survey_id>`: a survey as an admin defines it: its scale, its
/// question in each language, an optional comment and a follow-up question
/// per score band, and when it is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    #[serde(default)]
    pub id: String,
    pub kind: SurveyKind,
    /// Language code -> question text ("How likely are you to recommend us to a friend?").
    pub question: BTreeMap<String, String>,
    #[serde(default)]
    pub comment: CommentSetting,
    /// Band -> language -> the follow-up question shown with the comment
    /// box ("What could we do better?" for detractors).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub follow_up: BTreeMap<Band, BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentSetting {
    pub enabled: bool,
    pub max_chars: usize,
}

impl Default for CommentSetting {
    fn default() -> Self {
        CommentSetting {
            enabled: true,
            max_chars: 1000,
        }
    }
}

/// Why a survey takes no answers now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    NotYetOpen,
    Closed,
}

impl Survey {
    pub fn open_at(&self, now: DateTime<Utc>) -> Result<(), Closed> {
        if self.opens_at.is_some_and(|t| now < t) {
            return Err(Closed::NotYetOpen);
        }
        if self.closes_at.is_some_and(|t| now >= t) {
            return Err(Closed::Closed);
        }
        Ok(())
    }

    /// The text in `language`, else English, else any.
    pub fn pick<'a>(texts: &'a BTreeMap<String, String>, language: Option<&str>) -> Option<(&'a str, &'a str)> {
        language
            .and_then(|l| texts.get_key_value(l))
            .or_else(|| texts.get_key_value("en"))
            .or_else(|| texts.iter().next())
            .map(|(l, t)| (l.as_str(), t.as_str()))
    }

    pub fn follow_up_for(&self, band: Band, language: Option<&str>) -> Option<&str> {
        Survey::pick(self.follow_up.get(&band)?, language).map(|(_, t)| t)
    }
}

/// `GET /survey/admin/surveys`: every survey defined, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Surveys {
    pub surveys: Vec<Survey>,
}

/// `survey-answer:<survey_id>:<lead_id>`: the person's latest answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub survey_id: String,
    pub lead_id: String,
    pub kind: SurveyKind,
    pub score: u8,
    pub band: Band,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `link` (the survey page), `one-click` (a score link in a message) or `api`.
    pub via: String,
    pub answered_at: DateTime<Utc>,
    pub first_answered_at: DateTime<Utc>,
    /// How many times this person answered this survey.
    pub answers: u32,
}

impl Answer {
    /// The day it was given (UTC), which lists it for summaries.
    pub fn day(&self) -> NaiveDate {
        self.answered_at.date_naive()
    }
}

/// `GET /survey/admin/people/{lead}`: the person's latest answer to each
/// survey, newest first, and the surveys they opened (empty lists for
/// nobody).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonAnswers {
    pub lead_id: String,
    pub answers: Vec<Answer>,
    pub opened: Vec<OpenedSignal>,
}

/// `followup:<survey_id>:<lead_id>`: someone should talk to this person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub survey_id: String,
    pub lead_id: String,
    pub kind: SurveyKind,
    pub score: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `open` or `closed`.
    pub status: String,
    /// Where it sits in the list of open follow-ups.
    pub position: Position,
}

/// `GET /survey/admin/followups`: open follow-ups, newest first.
pub type FollowUps = Page<FollowUp>;

/// Counts, and the score each scale is known by, of some answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: u64,
    /// Score -> how many gave it.
    #[serde(deserialize_with = "by_score")]
    pub distribution: BTreeMap<u8, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<Nps>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<Csat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ces: Option<Ces>,
}

impl Stats {
    /// The number a survey of `kind` is known by: NPS (-100..100), CSAT
    /// (% satisfied) or CES (the mean); `None` without answers.
    pub fn score(&self, kind: SurveyKind) -> Option<f64> {
        match kind {
            SurveyKind::Nps => self.nps.as_ref()?.score.map(|s| s as f64),
            SurveyKind::Csat => self.csat.as_ref()?.score_pct,
            SurveyKind::Ces => self.ces.as_ref()?.mean,
        }
    }
}

/// JSON names a score as text (`"9"`); read so also inside
/// [`PeriodStats`], whose flattened stats serde buffers as text keys.
fn by_score<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<u8, u64>, D::Error> {
    let named = BTreeMap::<String, u64>::deserialize(deserializer)?;
    named
        .into_iter()
        .map(|(score, n)| score.parse().map(|s| (s, n)).map_err(serde::de::Error::custom))
        .collect()
}

/// NPS = % promoters (9-10) - % detractors (0-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nps {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub promoters_pct: Option<f64>,
    pub passives_pct: Option<f64>,
    pub detractors_pct: Option<f64>,
    pub score: Option<i64>,
}

/// CSAT = % of answers 4 or 5 on 1-5; also the mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Csat {
    /// Answers of 4 or 5.
    pub satisfied: u64,
    pub score_pct: Option<f64>,
    pub mean: Option<f64>,
}

/// CES = the mean on 1-7, and % agreeing (5-7) that it was easy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ces {
    pub mean: Option<f64>,
    /// Answers of 5 to 7.
    pub agree: u64,
    pub agree_pct: Option<f64>,
}

/// The stats of one day (`2026-11-23`) or ISO week (`2026-W48`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodStats {
    pub period: String,
    #[serde(flatten)]
    pub stats: Stats,
}

/// `GET /survey/admin/surveys/{id}/summary`: overall and per period, over
/// a date range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub survey_id: String,
    pub kind: SurveyKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub overall: Stats,
    /// Only periods with answers.
    pub periods: Vec<PeriodStats>,
}
