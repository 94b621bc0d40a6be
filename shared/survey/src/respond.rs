//! The respondent's side: the survey page a personal link opens, the
//! one-click score links, and answers posted as a form or as JSON. Every
//! answer carries a signed token, so it belongs to the one lead the link was
//! made for.

use super::answer::{self, Answer, Given};
use super::definition::{Closed, Survey};
use super::pages;
use super::token::{self, Claims, Refused};
use crate::keys;
use spin_retention_core::body::{self, Fields, Limits};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::jobs::{Outcome, Task};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::store::JsonStore;

pub const TOKEN_SECRET: &str = "survey_token_secret";
const MAX_BODY: usize = 16 * 1024;

/// The survey, or why not (404, 503).
pub fn load(ctx: &Ctx, survey_id: &str) -> Result<Survey, Problem> {
    match ctx.store.get_json::<Survey>(&keys::survey(survey_id)) {
        Ok(Some(survey)) => Ok(survey),
        Ok(None) => Err(Problem::new(404, "unknown-survey", "Unknown Survey")
            .with_detail(format!("there is no survey {survey_id}"))),
        Err(e) => Err(Problem::from(e)),
    }
}

/// `GET /survey/surveys/<id>`: what a custom front end needs to show it.
pub fn public(ctx: &Ctx, survey_id: &str) -> Reply {
    match load(ctx, survey_id) {
        Ok(s) => {
            let (min, max) = s.kind.range();
            Reply::json(
                200,
                &serde_json::json!({
                    "id": s.id, "kind": s.kind, "scale": {"min": min, "max": max},
                    "question": s.question, "comment": s.comment, "follow_up": s.follow_up,
                    "open": s.open_at(ctx.now).is_ok(), "opens_at": s.opens_at, "closes_at": s.closes_at,
                }),
            )
        }
        Err(problem) => problem.into(),
    }
}

/// Checks the token and the survey's dates; gives the lead it names.
fn admit(ctx: &Ctx, survey: &Survey, token: Option<&str>) -> Result<Claims, Problem> {
    let Some(secret) = ctx.config.get(TOKEN_SECRET) else {
        return Err(Problem::new(503, "survey-links-disabled", "Survey Links Disabled")
            .with_detail("set the survey_token_secret variable to use survey links"));
    };
    let token = token.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        Problem::new(400, "token-required", "Token Required")
            .with_detail("answers need the token of a personal survey link")
            .with_field_error("token", "required")
    })?;
    let claims = token::verify(token, &secret, Some(&survey.id), ctx.now).map_err(|refused| match refused {
        Refused::Invalid => Problem::new(403, "invalid-token", "Invalid Survey Link")
            .with_detail("this link is not valid: it was altered or not issued here"),
        Refused::Foreign => Problem::new(403, "invalid-token", "Invalid Survey Link")
            .with_detail(format!("this link is for another survey, not {}", survey.id)),
        Refused::Expired => {
            Problem::new(410, "token-expired", "Survey Link Expired").with_detail("this survey link has expired")
        }
    })?;
    match survey.open_at(ctx.now) {
        Ok(()) => {}
        Err(Closed::NotYetOpen) => {
            return Err(Problem::new(409, "survey-not-open", "Survey Not Open Yet")
                .with_detail(format!("survey {} opens later", survey.id)))
        }
        Err(Closed::Closed) => {
            return Err(Problem::new(410, "survey-closed", "Survey Closed")
                .with_detail(format!("survey {} no longer takes answers", survey.id)))
        }
    }
    match ctx.store.exists(&keys::lead(&claims.lead_id)) {
        Ok(true) => Ok(claims),
        Ok(false) => Err(Problem::new(410, "link-no-longer-valid", "Survey Link No Longer Valid")
            .with_detail("the person this link was made for is no longer on record")),
        Err(e) => Err(Problem::from(e)),
    }
}

/// 422 for one field of an answer.
fn invalid_answer(field: &str, message: String) -> Problem {
    Problem::new(422, "invalid-answer", "Invalid Answer")
        .with_field_error(field, &message)
        .with_detail(message)
}

fn score_of(survey: &Survey, raw: Option<&str>) -> Result<u8, Problem> {
    let (min, max) = survey.kind.range();
    let invalid = |message: String| invalid_answer("score", message);
    let raw = raw.map(str::trim).filter(|r| !r.is_empty());
    let raw = raw.ok_or_else(|| invalid(format!("a score from {min} to {max} is required")))?;
    match raw.parse::<u8>() {
        Ok(score) if (min..=max).contains(&score) => Ok(score),
        _ => Err(invalid(format!("the score must be a whole number from {min} to {max}"))),
    }
}

fn comment_of(survey: &Survey, raw: Option<&str>) -> Result<Option<String>, Problem> {
    let Some(comment) = raw.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let invalid = |message: String| invalid_answer("comment", message);
    if !survey.comment.enabled {
        return Err(invalid("this survey takes no comment".into()));
    }
    let max = survey.comment.max_chars;
    if comment.chars().count() > max {
        return Err(invalid(format!("the comment is longer than {max} characters")));
    }
    if comment
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(invalid("the comment contains control characters".into()));
    }
    Ok(Some(comment.to_string()))
}

/// After an answer: lead-scoring re-scores the lead, so an unhappy answer
/// shows as at-risk on the score at once (if it cannot be reached, the
/// signal is stored and the lead's next scoring picks it up); and
/// `survey.answered` (and `survey.detractor`) go to lead-alerts if any
/// webhook wants them.
fn after_answer(answer: &Answer) -> Vec<Task> {
    let rescore =
        spin_retention_core::jobs::SCORING.tell(spin_retention_core::jobs::calls::score_lead(&answer.lead_id));
    let answer = answer.clone();
    let events: Task = Box::new(move |ctx: &Ctx| {
        for event in answer_events(&answer) {
            match spin_retention_core::events::emit(ctx.store, event) {
                Ok(Some(tell)) => tell(ctx),
                Ok(None) => {}
                Err(e) => eprintln!("survey event: {e}"),
            }
        }
    });
    vec![rescore, events]
}

/// The events of one answer; its id is the answer's (survey, lead, time),
/// so a repeated answer is a new event.
pub fn answer_events(answer: &Answer) -> Vec<spin_retention_core::events::Event> {
    use spin_retention_core::events::{Answered, Event, What};
    let subject = format!(
        "{}:{}:{}",
        answer.survey_id,
        answer.lead_id,
        answer.answered_at.timestamp_millis()
    );
    let data = Answered {
        survey_id: answer.survey_id.clone(),
        lead_id: answer.lead_id.clone(),
        kind: answer.kind,
        score: answer.score,
        band: answer.band,
        via: answer.via.clone(),
        answered_at: answer.answered_at,
    };
    let mut events = vec![Event::new(
        &subject,
        answer.answered_at,
        What::SurveyAnswered(data.clone()),
    )];
    if answer.band == spin_retention_core::signals::Band::Detractor {
        events.push(Event::new(&subject, answer.answered_at, What::SurveyDetractor(data)));
    }
    events
}

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `POST /survey/surveys/<id>/answers`: `token`, `score`, optional
/// `comment` and `language`, as a form or JSON.
pub fn answer(req: &Request, ctx: &Ctx, survey_id: &str) -> Outcome {
    let json = req.wants_json();
    let language = req.query_param("lang");
    let fail = |problem: Problem| -> Outcome {
        if json {
            Reply::from(problem).into()
        } else {
            pages::problem(&problem, language.as_deref()).into()
        }
    };
    if req.body.len() > MAX_BODY {
        return fail(Problem::too_large(MAX_BODY));
    }
    let survey = match load(ctx, survey_id) {
        Ok(survey) => survey,
        Err(problem) => return fail(problem),
    };
    let fields = match body::parse(req.header("content-type"), &req.body, Limits::default()) {
        Ok(fields) => fields,
        Err(problem) => return fail(problem),
    };
    let claims = match admit(ctx, &survey, field(&fields, "token")) {
        Ok(claims) => claims,
        Err(problem) => return fail(problem),
    };
    let given = score_of(&survey, field(&fields, "score")).and_then(|score| {
        Ok(Given {
            score,
            comment: comment_of(&survey, field(&fields, "comment"))?,
            language: field(&fields, "language").or(language.as_deref()).map(str::to_string),
            via: if json { "api" } else { "link" },
        })
    });
    let given = match given {
        Ok(given) => given,
        Err(problem) => return fail(problem),
    };
    match answer::record(ctx.store, &survey, &claims.lead_id, given, ctx.now) {
        Ok((answer, replaced)) => {
            let reply = if json {
                Reply::json(if replaced { 200 } else { 201 }, &answered(&survey, &answer, replaced))
            } else {
                pages::thanks(&survey, answer.language.as_deref())
            };
            Outcome::then(reply, after_answer(&answer))
        }
        Err(e) => fail(Problem::from(e)),
    }
}

fn answered(survey: &Survey, answer: &Answer, replaced: bool) -> serde_json::Value {
    serde_json::json!({
        "survey_id": answer.survey_id, "lead_id": answer.lead_id, "score": answer.score,
        "band": answer.band, "comment": answer.comment, "answered_at": answer.answered_at,
        "replaced": replaced,
        "follow_up_question": survey.follow_up_for(answer.band, answer.language.as_deref()),
    })
}

/// `GET /survey/surveys/<id>/respond?token=T[&score=N][&lang=L]`: the
/// survey page; with `score` (a one-click link in an email or message) the
/// score is recorded at once and the page offers the comment box.
pub fn page(req: &Request, ctx: &Ctx, survey_id: &str) -> Outcome {
    let language = req.query_param("lang");
    let lang = language.as_deref();
    let survey = match load(ctx, survey_id) {
        Ok(survey) => survey,
        Err(problem) => return pages::problem(&problem, lang).into(),
    };
    let token = req.query_param("token");
    let claims = match admit(ctx, &survey, token.as_deref()) {
        Ok(claims) => claims,
        Err(problem) => return pages::problem(&problem, lang).into(),
    };
    let token = token.unwrap_or_default();
    let Some(raw) = req.query_param("score") else {
        // A stored "opened" is a nicety; the page matters more.
        let _ = answer::opened(ctx.store, &survey.id, &claims.lead_id, ctx.now);
        return pages::question(&survey, &token, lang).into();
    };
    let score = match score_of(&survey, Some(&raw)) {
        Ok(score) => score,
        Err(problem) => return pages::problem(&problem, lang).into(),
    };
    // Keep a comment given earlier: the one-click link only sets the score.
    let earlier = match ctx
        .store
        .get_json::<Answer>(&keys::survey_answer(&survey.id, &claims.lead_id))
    {
        Ok(earlier) => earlier,
        Err(e) => return pages::problem(&Problem::from(e), lang).into(),
    };
    let given = Given {
        score,
        comment: earlier.and_then(|a| a.comment),
        language: language.clone(),
        via: "one-click",
    };
    match answer::record(ctx.store, &survey, &claims.lead_id, given, ctx.now) {
        Ok((answer, _)) => Outcome::then(pages::comment(&survey, &token, &answer, lang), after_answer(&answer)),
        Err(e) => pages::problem(&Problem::from(e), lang).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::signals::{Band, SurveyKind};

    fn answer(score: u8, band: Band) -> Answer {
        let at = spin_retention_core::ports::test_now();
        Answer {
            survey_id: "nps-q4".into(),
            lead_id: "l_1".into(),
            kind: SurveyKind::Nps,
            score,
            band,
            comment: Some("slow support".into()),
            language: None,
            via: "link".into(),
            answered_at: at,
            first_answered_at: at,
            answers: 1,
        }
    }

    #[test]
    fn a_detractor_is_answered_and_detractor_and_no_comment_leaves() {
        let events = answer_events(&answer(3, Band::Detractor));
        let kinds: Vec<&str> = events.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds, ["survey.answered", "survey.detractor"]);
        let json = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(json["data"]["lead_id"], "l_1");
        assert!(json["data"].get("comment").is_none(), "comments stay in survey");
        let mut later = answer(10, Band::Promoter);
        later.answered_at += chrono::Duration::minutes(1);
        let promoter = answer_events(&later);
        assert_eq!(promoter.len(), 1);
        assert_ne!(promoter[0].id, events[0].id, "a later answer is another event");
    }
}
