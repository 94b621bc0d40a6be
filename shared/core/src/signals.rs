//! What the survey component tells the rest of the app about one lead:
//! the latest answer per survey and the surveys the person opened. Written
//! by survey; read by lead-scoring (engagement, at-risk) and audience-export
//! (promoters, at-risk win-back).
//!
//! A person may answer two surveys at once, so the signals are a log
//! (`lead-surveys:<lead_id>`, [`crate::slots`]) of write-once events, and
//! [`LeadSurveys`] is their fold ([`load`]).

use crate::keys;
use crate::slots;
use crate::store::{decode_json, json_bytes, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyKind {
    /// Net Promoter Score, 0-10.
    Nps,
    /// Customer satisfaction, 1-5.
    Csat,
    /// Customer effort ("it was easy to..."), 1-7, 7 = strongly agree.
    Ces,
}

/// Where an answer falls: the promoter / passive / detractor split of NPS,
/// and the same three-way reading of CSAT (4-5 / 3 / 1-2) and CES (5-7 / 4 / 1-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Promoter,
    Passive,
    Detractor,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Promoter => "promoter",
            Band::Passive => "passive",
            Band::Detractor => "detractor",
        }
    }
}

impl SurveyKind {
    pub fn range(self) -> (u8, u8) {
        match self {
            SurveyKind::Nps => (0, 10),
            SurveyKind::Csat => (1, 5),
            SurveyKind::Ces => (1, 7),
        }
    }

    pub fn band(self, score: u8) -> Band {
        let (passive, promoter) = match self {
            SurveyKind::Nps => (7, 9),
            SurveyKind::Csat => (3, 4),
            SurveyKind::Ces => (4, 5),
        };
        if score >= promoter {
            Band::Promoter
        } else if score >= passive {
            Band::Passive
        } else {
            Band::Detractor
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::Nps => "nps",
            SurveyKind::Csat => "csat",
            SurveyKind::Ces => "ces",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSignal {
    pub survey_id: String,
    pub kind: SurveyKind,
    pub score: u8,
    pub answered_at: DateTime<Utc>,
}

impl AnswerSignal {
    pub fn band(&self) -> Band {
        self.kind.band(self.score)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedSignal {
    pub survey_id: String,
    pub opened_at: DateTime<Utc>,
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Event {
    Answer(AnswerSignal),
    Opened(OpenedSignal),
}

/// The fold of a lead's signal log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadSurveys {
    /// The latest answer to each survey (a later answer replaces the earlier).
    #[serde(default)]
    pub answers: Vec<AnswerSignal>,
    #[serde(default)]
    pub opened: Vec<OpenedSignal>,
}

impl LeadSurveys {
    fn apply(&mut self, event: Event) {
        match event {
            Event::Answer(answer) => {
                let newer = |a: &AnswerSignal| a.survey_id == answer.survey_id && a.answered_at > answer.answered_at;
                if !self.answers.iter().any(newer) {
                    self.answers.retain(|a| a.survey_id != answer.survey_id);
                    self.answers.push(answer);
                }
            }
            Event::Opened(opened) => {
                if !self.opened.iter().any(|o| o.survey_id == opened.survey_id) {
                    self.opened.push(opened);
                }
            }
        }
    }
}

pub fn load(store: &dyn Store, lead_id: &str) -> Result<LeadSurveys, StoreError> {
    Ok(load_counted(store, lead_id)?.0)
}

/// [`load`], with what was read of the log, for [`changed`].
pub fn load_counted(store: &dyn Store, lead_id: &str) -> Result<(LeadSurveys, slots::Seen), StoreError> {
    let log = keys::lead_surveys(lead_id);
    let len = slots::len(store, &log)?;
    let entries = slots::read(store, &log, 1, len)?;
    let seen = slots::Seen::new(len, &entries);
    let mut signals = LeadSurveys::default();
    for (slot, bytes) in entries {
        let event = decode_json(&slots::slot_key(&log, slot), &bytes)?;
        signals.apply(event);
    }
    Ok((signals, seen))
}

/// Whether the lead's survey log changed since `seen`.
pub fn changed(store: &dyn Store, lead_id: &str, seen: &slots::Seen) -> Result<bool, StoreError> {
    seen.changed(store, &keys::lead_surveys(lead_id))
}

pub fn record_answer(store: &dyn Store, lead_id: &str, answer: AnswerSignal) -> Result<(), StoreError> {
    slots::append(store, &keys::lead_surveys(lead_id), &json_bytes(&Event::Answer(answer))).map(drop)
}

pub fn record_opened(store: &dyn Store, lead_id: &str, opened: OpenedSignal) -> Result<(), StoreError> {
    slots::append(store, &keys::lead_surveys(lead_id), &json_bytes(&Event::Opened(opened))).map(drop)
}

pub fn erase(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    slots::erase(store, &keys::lead_surveys(lead_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_each_scale() {
        let nps: Vec<Band> = (0..=10).map(|s| SurveyKind::Nps.band(s)).collect();
        assert_eq!(nps.iter().filter(|b| **b == Band::Detractor).count(), 7, "0-6");
        assert_eq!(nps[7..9], [Band::Passive, Band::Passive]);
        assert_eq!(nps[9..], [Band::Promoter, Band::Promoter]);
        assert_eq!(SurveyKind::Csat.band(2), Band::Detractor);
        assert_eq!(SurveyKind::Csat.band(3), Band::Passive);
        assert_eq!(SurveyKind::Csat.band(4), Band::Promoter);
        assert_eq!(SurveyKind::Ces.band(3), Band::Detractor);
        assert_eq!(SurveyKind::Ces.band(5), Band::Promoter);
    }
}
