//! A survey as an admin defines it: its scale, its question in each
//! language, an optional comment and a follow-up question per score band,
//! and when it is open.

use spin_retention_core::problem::{FieldError, Problem};

/// A definition (`survey:<survey_id>`): a contract, since the admin routes
/// answer it.
pub use spin_retention_core::contracts::survey::{Closed, CommentSetting, Survey};

/// Survey ids go into URLs and keys: short, lowercase, no separators.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

const MAX_TEXT: usize = 500;

/// Parses and validates a definition for `id`; `Err` is a 422 naming each problem.
pub fn parse(id: &str, body: &[u8]) -> Result<Survey, Problem> {
    let invalid = || Problem::new(422, "invalid-survey", "Invalid Survey");
    let mut survey: Survey = Problem::check_json(body, invalid, "survey", check)?;
    survey.id = id.to_string();
    Ok(survey)
}

fn check(survey: &Survey) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut error = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    if survey.question.is_empty() {
        error("question", "give the question in at least one language");
    }
    let texts = survey
        .question
        .iter()
        .map(|(l, t)| (format!("question.{l}"), l, t))
        .chain(survey.follow_up.iter().flat_map(|(band, texts)| {
            texts
                .iter()
                .map(move |(l, t)| (format!("follow_up.{}.{l}", band.as_str()), l, t))
        }));
    for (field, language, text) in texts {
        if !(2..=8).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
            error(&field, "the key must be a language code such as en or he");
        }
        if text.trim().is_empty() || text.chars().count() > MAX_TEXT {
            error(&field, &format!("must be 1 to {MAX_TEXT} characters"));
        }
    }
    if !(1..=5000).contains(&survey.comment.max_chars) {
        error("comment.max_chars", "must be 1 to 5000");
    }
    if let (Some(open), Some(close)) = (survey.opens_at, survey.closes_at) {
        if close <= open {
            error("closes_at", "must be after opens_at");
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::signals::{Band, SurveyKind};

    #[test]
    fn a_bilingual_nps_survey_with_follow_ups() {
        let body = r#"{"kind": "nps",
            "question": {"en": "How likely are you to recommend us?", "he": "עד כמה תמליצו עלינו?"},
            "follow_up": {"detractor": {"en": "What went wrong?"}, "promoter": {"en": "What do you love?"}}}"#;
        let s = parse("nps-q4", body.as_bytes()).unwrap();
        assert_eq!(s.kind, SurveyKind::Nps);
        assert_eq!(Survey::pick(&s.question, Some("he")).unwrap().0, "he");
        assert_eq!(Survey::pick(&s.question, Some("fr")).unwrap().0, "en");
        assert_eq!(s.follow_up_for(Band::Detractor, Some("he")), Some("What went wrong?"));
        assert_eq!(s.follow_up_for(Band::Passive, None), None);
        assert!(s.comment.enabled);
    }

    #[test]
    fn bad_definitions_are_named() {
        let p = parse("x", br#"{"kind": "nps", "question": {}}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "question");
        let p = parse("x", br#"{"kind": "stars", "question": {"en": "?"}}"#).unwrap_err();
        assert!(p.detail.unwrap().starts_with("at kind"));
        let p = parse(
            "x",
            br#"{"kind": "csat", "question": {"en": "?"}, "opens_at": "2026-12-01T00:00:00Z", "closes_at": "2026-11-01T00:00:00Z"}"#,
        )
        .unwrap_err();
        assert_eq!(p.errors[0].field, "closes_at");
        assert!(valid_id("nps-2026-q4") && !valid_id("NPS") && !valid_id("a:b") && !valid_id(""));
    }

    #[test]
    fn open_and_close_dates() {
        let mut s = parse("x", br#"{"kind": "ces", "question": {"en": "Easy?"}}"#).unwrap();
        let now = spin_retention_core::ports::test_now();
        assert_eq!(s.open_at(now), Ok(()));
        s.opens_at = Some(now + chrono::Duration::hours(1));
        assert_eq!(s.open_at(now), Err(Closed::NotYetOpen));
        s.opens_at = None;
        s.closes_at = Some(now);
        assert_eq!(s.open_at(now), Err(Closed::Closed));
    }
}
