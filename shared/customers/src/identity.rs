//! Whose event is it: a person is matched to their lead by email, then
//! phone, through lead-intake's identity index (`lead-email:`,
//! `lead-phone:`); anyone not found there (a new person, or a phone not yet
//! in E.164) is sent to lead-intake (`POST /intake/admin/people`), which
//! finds or creates the profile with the same rules as a form submission.
//! Profiles are lead-intake's: customers never writes one.

use crate::event::Person;
use serde::Deserialize;
use spin_retention_core::http::Reply;
use spin_retention_core::jobs::{calls, handoff_request, INTAKE};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::store::StoreError;

/// The lead of each person, in order, or why they could not be matched (a
/// 422 from lead-intake: an email that is not one). `Err` is a 503: lead-intake or
/// the store could not be reached, and nothing was recorded.
pub fn resolve(ctx: &Ctx, people: &[&Person], source: &str) -> Result<Vec<Result<String, Problem>>, Reply> {
    let mut found: Vec<Option<Result<String, Problem>>> = Vec::with_capacity(people.len());
    for person in people {
        found.push(local(ctx, person).map_err(Reply::from)?.map(Ok));
    }
    let missing: Vec<usize> = (0..people.len()).filter(|i| found[*i].is_none()).collect();
    for chunk in missing.chunks(PEOPLE_PER_CALL) {
        let batch: Vec<serde_json::Value> = chunk
            .iter()
            .map(|i| {
                let mut person = serde_json::to_value(people[*i]).expect("people serialise");
                person["source"] = source.into();
                person
            })
            .collect();
        let answers = ask_intake(ctx, &batch)?;
        for (i, answer) in chunk.iter().zip(answers) {
            found[*i] = Some(answer);
        }
    }
    Ok(found.into_iter().map(|f| f.expect("every person answered")).collect())
}

/// People per call to lead-intake (its `people::MAX_PEOPLE`).
const PEOPLE_PER_CALL: usize = 500;

/// The lead of a person already known here, without calling anyone.
fn local(ctx: &Ctx, person: &Person) -> Result<Option<String>, StoreError> {
    let email = person.email.as_deref().map(spin_retention_core::keys::lead_by_email);
    let phone = person
        .phone
        .as_deref()
        .filter(|p| p.starts_with('+') && p[1..].bytes().all(|b| b.is_ascii_digit()))
        .map(spin_retention_core::keys::lead_by_phone);
    for key in email.into_iter().chain(phone) {
        if let Some(id) = spin_retention_core::lead::by_identity(ctx.store, &key)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

#[derive(Deserialize)]
struct Answers {
    people: Vec<Answer>,
}

#[derive(Deserialize)]
struct Answer {
    lead_id: Option<String>,
    problem: Option<serde_json::Value>,
}

fn ask_intake(ctx: &Ctx, people: &[serde_json::Value]) -> Result<Vec<Result<String, Problem>>, Reply> {
    let url = format!(
        "{}{}",
        INTAKE.base_url(ctx.config).trim_end_matches('/'),
        calls::open_people()
    );
    let token = ctx.config.get(spin_retention_core::auth::ADMIN_TOKEN);
    let mut request = handoff_request(ctx, url.clone(), token.as_deref());
    request.headers.push(("content-type".into(), "application/json".into()));
    request.body = serde_json::to_vec(&serde_json::json!({ "people": people })).expect("json");
    let unavailable = |detail: String| {
        Reply::from(Problem::new(503, "intake-unavailable", "Profiles Unavailable").with_detail(detail))
            .with_header("retry-after", "5")
    };
    let response = ctx
        .outbound
        .send(request)
        .map_err(|e| unavailable(format!("lead-intake could not be reached: {e}")))?;
    if response.status != 200 {
        return Err(unavailable(format!("lead-intake answered HTTP {}", response.status)));
    }
    let answers: Answers = serde_json::from_slice(&response.body)
        .map_err(|e| unavailable(format!("lead-intake's answer was unreadable: {e}")))?;
    if answers.people.len() != people.len() {
        return Err(unavailable("lead-intake answered for other people".into()));
    }
    Ok(answers
        .people
        .into_iter()
        .map(|a| match a.lead_id {
            Some(id) => Ok(id),
            None => {
                let detail = a
                    .problem
                    .as_ref()
                    .and_then(|p| p["errors"].as_array().cloned())
                    .unwrap_or_default();
                let mut problem = Problem::new(422, "invalid-person", "Invalid Person")
                    .with_detail("lead-intake refused this person's email or phone");
                for e in detail {
                    problem = problem.with_field_error(
                        e["field"].as_str().unwrap_or("person"),
                        e["message"].as_str().unwrap_or("invalid"),
                    );
                }
                Err(problem)
            }
        })
        .collect())
}
