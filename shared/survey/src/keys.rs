//! survey's own keys, and every key of `core` it shares with the other
//! jobs. The table of every key, with owners: `spin_retention_core::keys`.

use crate::answer::{Answer, FollowUp};
use crate::definition::Survey;
pub use spin_retention_core::keys::*;

/// A survey's definition.
pub fn survey(survey_id: &str) -> Key<Survey> {
    Key::new(format!("survey:{survey_id}"))
}

/// A person's latest answer to a survey.
pub fn survey_answer(survey_id: &str, lead_id: &str) -> Key<Answer> {
    Key::new(format!("survey-answer:{survey_id}:{lead_id}"))
}

/// The [`spin_retention_core::sets`] name of the leads that answered on a day.
pub fn survey_day(survey_id: &str, day: chrono::NaiveDate) -> String {
    format!("survey-day:{survey_id}:{}", day.format("%Y-%m-%d"))
}

/// Talking to an unhappy customer.
pub fn follow_up(survey_id: &str, lead_id: &str) -> Key<FollowUp> {
    Key::new(format!("followup:{survey_id}:{lead_id}"))
}

/// Open follow-ups ([`spin_retention_core::sorted_sets`]), newest first.
/// Set ([`spin_retention_core::sets`]): the id of every survey defined.
pub const SURVEYS: &str = "surveys";

pub const FOLLOW_UPS: &str = "followups";
