//! Admin endpoints of survey (bearer `admin_token`): define surveys, make
//! personal links, read answers and summaries, work through follow-ups.

use super::answer;
use super::definition::{self, Survey};
use super::respond::{load, TOKEN_SECRET};
use super::summary::{self, Period};
use super::token::{self, Claims};
use crate::keys;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use spin_retention_core::contracts::survey::{FollowUps, PersonAnswers, Surveys};
use spin_retention_core::http::{bad_parameter, Handled, Reply, Request};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::sorted_sets::Position;
use spin_retention_core::store::JsonStore;

const MAX_DEFINITION: usize = 64 * 1024;

/// The app's public origin (`https://app.example`), which links start with.
pub const PUBLIC_URL: &str = "public_url";

/// `PUT /survey/admin/surveys/<id>`: creates (201) or replaces (200); the
/// answer is the survey with `defaults_filled`, the sections left out that
/// took their defaults (`comment`).
pub fn put(req: &Request, ctx: &Ctx, survey_id: &str) -> Handled {
    if !definition::valid_id(survey_id) {
        return Err(bad_parameter(
            "survey id",
            "must be 1-64 lowercase letters, digits or dashes",
        ));
    }
    if req.body.len() > MAX_DEFINITION {
        return Err(Problem::too_large(MAX_DEFINITION).into());
    }
    // The sections left out take their defaults, and the answer names them.
    let defaults = json!({ "comment": definition::CommentSetting::default() });
    let (body, defaults_filled) = spin_retention_core::admin_doc::fill_defaults(&req.body, &defaults);
    let mut survey = definition::parse(survey_id, &body).map_err(|problem| problem.with_instance(&req.path))?;
    let key = keys::survey(survey_id);
    let existing = ctx.store.get_json::<Survey>(&key)?;
    if let Some(old) = existing.as_ref().filter(|old| old.kind != survey.kind) {
        // Stored answers are on the old scale: summaries would mix scales.
        return Err(Problem::new(409, "survey-kind-fixed", "Survey Kind Cannot Change")
            .with_detail(format!(
                "survey {survey_id} is {}; define a new survey for another scale",
                old.kind.as_str()
            ))
            .into());
    }
    survey.created_at = Some(existing.as_ref().and_then(|e| e.created_at).unwrap_or(ctx.now));
    survey.updated_at = Some(ctx.now);
    ctx.store.set_json(&key, &survey)?;
    // On every PUT, not only the first: a survey defined before the index
    // existed joins it when next saved (adding an entry twice is one entry).
    spin_retention_core::sets::add(ctx.store, keys::SURVEYS, survey_id)?;
    let mut answer = serde_json::to_value(&survey).expect("a survey serialises");
    answer["defaults_filled"] = json!(defaults_filled);
    Ok(Reply::json(if existing.is_some() { 200 } else { 201 }, &answer))
}

/// `GET /survey/admin/surveys`: every survey defined, newest first.
pub fn list(ctx: &Ctx) -> Handled {
    let ids = spin_retention_core::sets::list(ctx.store, keys::SURVEYS)?;
    let mut surveys = Vec::new();
    for id in ids {
        if let Some(survey) = ctx.store.get_json::<Survey>(&keys::survey(&id))? {
            surveys.push(survey);
        }
    }
    surveys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(Reply::json(200, &Surveys { surveys }))
}

/// `GET /survey/admin/people/<lead>`: the person's latest answer to each
/// survey, with its comment, newest first (an empty list for nobody).
pub fn answers_of_person(ctx: &Ctx, lead_id: &str) -> Handled {
    let signals = spin_retention_core::signals::load(ctx.store, lead_id)?;
    let mut answers = Vec::new();
    for signal in &signals.answers {
        if let Some(answer) = ctx.store.get_json(&keys::survey_answer(&signal.survey_id, lead_id))? {
            answers.push(answer);
        }
    }
    answers.sort_by_key(|a: &answer::Answer| std::cmp::Reverse(a.answered_at));
    let person = PersonAnswers {
        lead_id: lead_id.to_string(),
        answers,
        opened: signals.opened,
    };
    Ok(Reply::json(200, &person))
}

/// `GET /survey/admin/surveys/<id>`.
pub fn get(ctx: &Ctx, survey_id: &str) -> Reply {
    load(ctx, survey_id).map_or_else(Reply::from, |s| Reply::json(200, &s))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkRequest {
    lead_id: String,
    #[serde(default = "default_days")]
    expires_in_days: i64,
    #[serde(default)]
    language: Option<String>,
}

fn default_days() -> i64 {
    30
}

/// `POST /survey/admin/surveys/<id>/links` `{"lead_id", "expires_in_days"?, "language"?}`:
/// a personal link for one lead, and one-click links per score.
pub fn link(req: &Request, ctx: &Ctx, survey_id: &str) -> Handled {
    let survey = load(ctx, survey_id)?;
    let secret = ctx.config.get(TOKEN_SECRET).ok_or_else(|| {
        Problem::new(503, "survey-links-disabled", "Survey Links Disabled")
            .with_detail("set the survey_token_secret variable to make survey links")
    })?;
    // The app's configured origin, never the Host a caller sent (a link
    // pointing elsewhere would hand the person's token to that site).
    let origin = ctx.config.get(PUBLIC_URL).ok_or_else(|| {
        Problem::new(503, "survey-links-disabled", "Survey Links Disabled")
            .with_detail("set the public_url variable (the app's public origin) to make survey links")
    })?;
    let asked: LinkRequest = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(422, "invalid-link-request", "Invalid Link Request").with_detail(format!(
            "expected {{\"lead_id\", \"expires_in_days\"?, \"language\"?}}: {e}"
        ))
    })?;
    if !(1..=365).contains(&asked.expires_in_days) {
        return Err(Problem::new(422, "invalid-link-request", "Invalid Link Request")
            .with_field_error("expires_in_days", "must be 1 to 365")
            .into());
    }
    if !ctx.store.exists(&keys::lead(&asked.lead_id))? {
        return Err(Problem::not_found(&req.path)
            .with_detail(format!("no lead {}", asked.lead_id))
            .into());
    }
    let expires_at = ctx.now + Duration::days(asked.expires_in_days);
    let claims = Claims {
        survey_id: survey.id.clone(),
        lead_id: asked.lead_id.clone(),
        expires: expires_at.timestamp(),
    };
    let token = token::sign(&claims, &secret);
    let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let lang = asked
        .language
        .map(|l| {
            format!(
                "&lang={}",
                form_urlencoded::byte_serialize(l.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let base = format!(
        "{}/survey/surveys/{}/respond?token={encoded}{lang}",
        origin.trim_end_matches('/'),
        survey.id
    );
    let (min, max) = survey.kind.range();
    Ok(Reply::json(
        201,
        &json!({
            "survey_id": survey.id, "lead_id": asked.lead_id, "expires_at": expires_at,
            "token": token, "url": base,
            "one_click": (min..=max).map(|s| json!({"score": s, "url": format!("{base}&score={s}")})).collect::<Vec<_>>(),
        }),
    ))
}

/// `GET /survey/admin/surveys/<id>/answers/<lead_id>`.
pub fn answer_of(req: &Request, ctx: &Ctx, survey_id: &str, lead_id: &str) -> Handled {
    let answer = ctx
        .store
        .get_json(&keys::survey_answer(survey_id, lead_id))?
        .ok_or_else(|| Problem::not_found(&req.path).with_detail(format!("{lead_id} has not answered {survey_id}")))?;
    Ok(Reply::json(200, &answer))
}

/// Longest range one summary covers.
const MAX_DAYS: i64 = 366;

/// `GET /survey/admin/surveys/<id>/summary?from=YYYY-MM-DD&to=YYYY-MM-DD&by=day|week`
/// (default: the last 30 days, by day).
pub fn summary(req: &Request, ctx: &Ctx, survey_id: &str) -> Handled {
    let survey = load(ctx, survey_id)?;
    let date = |name: &str, default: NaiveDate| match req.query_param(name) {
        None => Ok(default),
        Some(v) => {
            NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| bad_parameter(name, "must be a date YYYY-MM-DD"))
        }
    };
    let today = ctx.now.date_naive();
    let range = date("to", today).and_then(|to| {
        let month_before = to.checked_sub_days(chrono::Days::new(29)).unwrap_or(to);
        Ok((date("from", month_before)?, to))
    });
    let (from, to) = range?;
    if from > to || to.signed_duration_since(from).num_days() >= MAX_DAYS {
        return Err(bad_parameter(
            "from",
            &format!("must be on or before to, and at most {MAX_DAYS} days before it"),
        ));
    }
    let Some(period) = Period::parse(req.query_param("by").as_deref().unwrap_or("day")) else {
        return Err(bad_parameter("by", "must be day or week"));
    };
    Ok(Reply::json(
        200,
        &summary::summarise(ctx.store, &survey, from, to, period)?,
    ))
}

/// `GET /survey/admin/followups?limit=20&cursor=C`: open follow-ups, newest first.
pub fn follow_ups(req: &Request, ctx: &Ctx) -> Handled {
    let (limit, after) = Position::page_query(req, 20, 200)?;
    let (items, next) = answer::open_follow_ups(ctx.store, after.as_ref(), limit)?;
    let page = FollowUps {
        items,
        next_cursor: next.map(|n| n.to_cursor()),
    };
    Ok(Reply::json(200, &page))
}

/// `POST /survey/admin/followups/<survey_id>/<lead_id>/close`.
pub fn close_follow_up(req: &Request, ctx: &Ctx, survey_id: &str, lead_id: &str) -> Handled {
    let task = answer::close_follow_up(ctx.store, survey_id, lead_id, ctx.now)?.ok_or_else(|| {
        Problem::not_found(&req.path).with_detail(format!("no follow-up for {lead_id} on {survey_id}"))
    })?;
    Ok(Reply::json(200, &task))
}
