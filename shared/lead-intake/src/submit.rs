//! `POST /intake/leads`: a form submission becomes a stored, deduplicated
//! lead, the visitor gets an answer at once, and the hand-offs run after.

use super::handoff;
use super::settings::IntakeSettings;
use super::validate::{self, Draft, Validated};
use crate::keys;
use serde::Serialize;
use spin_retention_core::body;
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ids;
use spin_retention_core::jobs::Outcome;
use spin_retention_core::lead::{self, Submission};
use spin_retention_core::lead_list;
use spin_retention_core::ports::{Ctx, OutboundRequest};
use spin_retention_core::problem::Problem;
use spin_retention_core::ratelimit::{self, Verdict};
use spin_retention_core::store::{JsonStore, StoreError};

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub id: String,
    pub submission_id: String,
    pub status: &'static str,
    /// True when this exact submission was already received (a retry, a
    /// double click, or a repeated Idempotency-Key): nothing new was created.
    pub duplicate: bool,
}

pub fn submit(req: &Request, ctx: &Ctx) -> Outcome {
    let settings = IntakeSettings::from_config(ctx.config);
    let json = req.wants_json();
    let answer = |reply: Result<Accepted, Reply>| -> Reply {
        let reply = match reply {
            Ok(accepted) if json => {
                let status = if accepted.duplicate { 200 } else { 201 };
                Reply::json(status, &accepted)
            }
            Ok(_) => redirect(&settings.thank_you_url, &[]),
            Err(problem) if json => problem,
            Err(problem) => redirect_with_error(&settings.error_url, &problem),
        };
        settings.cors.decorate(req, reply)
    };
    match accept(req, ctx, &settings) {
        Ok((accepted, submission_id)) => {
            let reply = answer(Ok(accepted));
            let after: Vec<spin_retention_core::jobs::Task> = match submission_id {
                Some(id) => vec![Box::new(move |ctx: &Ctx| {
                    // A failure, or a skip under overload, stays recorded in
                    // handoff:<id> for the retry route.
                    let _ = handoff::run_after_reply(ctx, &settings, &id);
                    if let Err(e) = crate::alerts::after_submission(ctx) {
                        eprintln!("lead-alerts for {id}: {e}");
                    }
                })],
                None => Vec::new(),
            };
            Outcome::then(reply, after)
        }
        Err(reply) => answer(Err(reply)).into(),
    }
}

/// Validates and stores. Returns what to answer, and the submission to hand
/// over (none for spam).
fn accept(req: &Request, ctx: &Ctx, settings: &IntakeSettings) -> Result<(Accepted, Option<String>), Reply> {
    settings.cors.check(req)?;
    if req.body.len() > settings.max_body_bytes {
        return Err(Problem::too_large(settings.max_body_bytes).into());
    }
    let client = client_id(req);
    match ratelimit::check(ctx.store, &client, settings.rate_limit_per_minute, ctx.now).map_err(unavailable)? {
        Verdict::Allowed => {}
        Verdict::Limited { retry_after } => {
            return Err(Reply::from(
                Problem::new(429, "rate-limited", "Too Many Requests").with_detail(format!(
                    "too many submissions from this client; retry in {retry_after} s"
                )),
            )
            .with_header("retry-after", &retry_after.to_string()));
        }
    }
    let fields = body::parse(req.header("content-type"), &req.body, settings.limits).map_err(Reply::from)?;
    let draft = match validate::validate(&fields, &settings.rules).map_err(Reply::from)? {
        Validated::Valid(draft) => *draft,
        Validated::Spam => {
            // Answer like a success so the bot learns nothing; keep nothing.
            let fake = ids::derive("l", &[&String::from_utf8_lossy(&req.body)]);
            let accepted = Accepted {
                id: fake.clone(),
                submission_id: fake,
                status: "received",
                duplicate: false,
            };
            return Ok((accepted, None));
        }
    };
    if let Some(captcha) = &settings.captcha {
        verify_captcha(ctx, captcha, draft.captcha_token.as_deref(), &client)?;
    }
    let (submission, duplicate) = store_submission(ctx, draft, req.header("idempotency-key")).map_err(unavailable)?;
    let accepted = Accepted {
        id: submission.lead_id.clone(),
        submission_id: submission.id.clone(),
        status: "received",
        duplicate,
    };
    Ok((accepted, Some(submission.id)))
}

/// Stores the submission in its lead's log and records its hand-off.
/// Idempotent: a retry after a failure writes the same keys; nothing waits
/// for a concurrent writer.
///
/// Commits: an `increment` for each log it takes a slot in (the lead's,
/// the submissions', and for a new lead the list of every lead), then one
/// batch with everything: the log entries, the submission, its identities,
/// its hand-off record and, for a new lead, its marker. All or nothing, so
/// a crash leaves no half-stored submission.
pub fn store_submission(
    ctx: &Ctx,
    draft: Draft,
    idempotency_key: Option<&str>,
) -> Result<(Submission, bool), StoreError> {
    let lead_id = find_lead(ctx, &draft)?;
    let submission_id = match idempotency_key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => ids::derive("s", &[&lead_id, "idempotency-key", key]),
        None => ids::derive("s", &[&lead_id, &fingerprint(&draft)]),
    };
    if let Some(existing) = ctx.store.get_json::<Submission>(&keys::submission(&submission_id))? {
        // A repeat: the first attempt wrote everything in one batch, its
        // hand-off included (pending, or done).
        return Ok((existing, true));
    }
    let submission = draft.into_submission(submission_id.clone(), lead_id.clone(), ctx.now);
    let is_new = !lead::exists(ctx.store, &lead_id)?;
    let mut writes = if is_new {
        lead_list::prepare_add(ctx.store, &lead_id)?
    } else {
        Vec::new()
    };
    writes.extend(identity_writes(ctx, &submission)?);
    // lead-alerts hears of the submission (webhooks, the owner's alert, the
    // digest) through a tracked hand-off, so the retry route catches it up.
    let form = submission.form.as_deref().unwrap_or_default();
    let event = spin_retention_core::events::interest(ctx.store)?.wants_submission(form);
    writes.extend(handoff::prepare(ctx.store, &submission_id, &lead_id, event)?);
    lead::append(ctx.store, &submission, is_new, writes)?;
    Ok((submission, false))
}

/// The writes that point the submission's email and phone at its lead,
/// for those not pointing anywhere yet: an identifier that belongs to
/// another lead is never re-pointed.
pub(crate) fn identity_writes(ctx: &Ctx, submission: &Submission) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let identities: Vec<String> = submission
        .contact
        .email
        .iter()
        .map(|e| keys::lead_by_email(e))
        .chain(submission.contact.phone.iter().map(|p| keys::lead_by_phone(p)))
        .collect();
    let current = ctx.store.get_many(&identities)?;
    Ok(identities
        .into_iter()
        .zip(current)
        .filter(|(_, current)| current.is_none())
        .map(|(key, _)| (key, submission.lead_id.clone().into_bytes()))
        .collect())
}

/// The person's existing lead (by email, then phone), or the id a new one
/// gets: derived from the identity, so concurrent first submissions of one
/// person land on one lead.
pub(crate) fn find_lead(ctx: &Ctx, draft: &Draft) -> Result<String, StoreError> {
    let email = draft.contact.email.as_deref().map(str::to_lowercase);
    let phone = draft.contact.phone.as_deref();
    for key in email
        .iter()
        .map(|e| keys::lead_by_email(e))
        .chain(phone.map(keys::lead_by_phone))
    {
        if let Some(id) = ctx.store.get(&key)? {
            return Ok(String::from_utf8_lossy(&id).into_owned());
        }
    }
    Ok(match (&email, phone) {
        (Some(e), _) => ids::derive("l", &["email", e]),
        (None, Some(p)) => ids::derive("l", &["phone", p]),
        (None, None) => unreachable!("validation requires an email or a phone"),
    })
}

/// What makes two submissions "the same" for de-duplication.
fn fingerprint(d: &Draft) -> String {
    let mut parts = vec![
        d.form.clone().unwrap_or_default(),
        d.message.clone().unwrap_or_default(),
        d.contact.name.clone().unwrap_or_default(),
        d.contact.phone.clone().unwrap_or_default(),
        d.contact.company.clone().unwrap_or_default(),
    ];
    parts.extend(d.custom.iter().map(|(k, v)| format!("{k}={v}")));
    // A changed consent or a new visit's attribution is news, not a repeat.
    if let Some(c) = &d.consent {
        parts.push(format!(
            "{:?}{:?}{:?}",
            c.marketing, c.ad_user_data, c.ad_personalization
        ));
        parts.push(c.text.clone().unwrap_or_default());
        parts.push(c.version.clone().unwrap_or_default());
    }
    parts.push(serde_json::to_string(&d.attribution).unwrap_or_default());
    // Control characters are refused at validation, so this separator is safe.
    parts.join("\u{1f}")
}

fn verify_captcha(
    ctx: &Ctx,
    captcha: &super::settings::Captcha,
    token: Option<&str>,
    client: &str,
) -> Result<(), Reply> {
    let failed = |detail: &str| {
        Reply::from(
            Problem::new(422, "captcha-failed", "Verification Failed")
                .with_detail(detail)
                .with_field_error("captcha", "please complete the verification"),
        )
    };
    let Some(token) = token else {
        return Err(failed("no captcha token was sent"));
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", &captcha.secret)
        .append_pair("response", token)
        .append_pair("remoteip", client)
        .finish();
    let request = OutboundRequest {
        method: "POST".into(),
        url: captcha.verify_url.clone(),
        headers: vec![("content-type".into(), "application/x-www-form-urlencoded".into())],
        body: body.into_bytes(),
    };
    let unavailable = |detail: String| {
        Reply::from(Problem::new(503, "captcha-unavailable", "Verification Unavailable").with_detail(detail))
            .with_header("retry-after", "5")
    };
    let response = ctx.outbound.send(request).map_err(unavailable)?;
    if !(200..300).contains(&response.status) {
        return Err(unavailable(format!(
            "the captcha service answered HTTP {}",
            response.status
        )));
    }
    let verdict: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    if verdict["success"] == true {
        Ok(())
    } else {
        Err(failed("the captcha token was not accepted"))
    }
}

/// The client address Spin reports, without the port.
fn client_id(req: &Request) -> String {
    let addr = req.header("spin-client-addr").unwrap_or("unknown");
    match addr.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.trim_matches(['[', ']']).to_string(),
        _ => addr.to_string(),
    }
}

/// 503 with a hint to retry soon: the submission is idempotent.
fn unavailable(e: StoreError) -> Reply {
    Reply::from(e).with_header("retry-after", "2")
}

fn redirect(url: &str, params: &[(&str, &str)]) -> Reply {
    let mut target = url.to_string();
    if !params.is_empty() {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        target.push(if url.contains('?') { '&' } else { '?' });
        target.push_str(&query);
    }
    Reply {
        status: 303,
        headers: vec![("location".into(), target)],
        body: Vec::new(),
    }
}

/// For plain HTML forms: back to the error page, with the reason.
fn redirect_with_error(error_url: &str, problem_reply: &Reply) -> Reply {
    let problem: serde_json::Value = serde_json::from_slice(&problem_reply.body).unwrap_or_default();
    let reason = problem["type"]
        .as_str()
        .unwrap_or_default()
        .rsplit(':')
        .next()
        .unwrap_or("error")
        .to_string();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    let fields = fields.join(",");
    let mut params = vec![("error", reason.as_str())];
    if !fields.is_empty() {
        params.push(("fields", &fields));
    }
    let mut reply = redirect(error_url, &params);
    if let Some(retry) = problem_reply.header("retry-after") {
        reply = reply.with_header("retry-after", retry);
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{validate, FormRules};
    use spin_retention_core::body::Fields;
    use spin_retention_core::ports::NoOutbound;
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    fn draft(pairs: &[(&str, &str)]) -> Draft {
        let fields: Fields = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        match validate(&fields, &FormRules::default()).unwrap() {
            Validated::Valid(d) => *d,
            Validated::Spam => panic!("spam"),
        }
    }

    #[test]
    fn one_person_one_lead_and_retries_are_duplicates() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
        let (first, dup) = store_submission(&ctx, &[("email", "a@x.io"), ("message", "hi")], None);
        assert!(!dup);
        let (again, dup) = store_submission(&ctx, &[("email", "A@X.io"), ("message", "hi")], None);
        assert!(dup, "same person, same message: a retry");
        assert_eq!(again.id, first.id);
        let (phone, _) = store_submission(&ctx, &[("email", "a@x.io"), ("phone", "+12015550123")], None);
        let (by_phone, dup) = store_submission(&ctx, &[("phone", "(201) 555-0123"), ("message", "call")], None);
        assert!(!dup);
        assert_eq!(by_phone.lead_id, first.lead_id);
        assert_eq!(phone.lead_id, first.lead_id);
        let lead = lead::load(&store, &first.lead_id).unwrap().unwrap();
        assert_eq!(lead.submissions.len(), 3);
        assert_eq!(
            spin_retention_core::slots::len(&store, keys::SUBMISSIONS).unwrap(),
            3,
            "three hand-offs"
        );
    }

    /// Commits (transactions on Spin's SQLite store) that storing a
    /// submission costs; the request adds one for its rate-limit counter.
    #[test]
    fn a_submission_costs_a_few_commits_and_no_waiting() {
        let store = spin_retention_core::store::CountingStore::default();
        let config = HashMap::new();
        let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
        let commits = |pairs: &[(&str, &str)]| {
            let before = store.commits();
            store_submission(&ctx, pairs, None);
            store.commits() - before
        };
        // A new lead: slots in three logs (the list of every lead, the
        // lead's, the submissions'), one batch; the first lead of a bucket
        // of the list of every lead also registers the bucket (one more).
        assert_eq!(commits(&[("email", "a@x.io"), ("phone", "+12015550123")]), 5);
        let new = commits(&[("email", "b@x.io"), ("phone", "+12015550124")]);
        assert!((4..=5).contains(&new), "{new}");
        // A returning person: the lead's log and the submissions', one batch.
        assert_eq!(commits(&[("email", "b@x.io"), ("message", "again")]), 3);
    }

    #[test]
    fn idempotency_key_wins_over_content() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
        let (a, _) = store_submission(&ctx, &[("email", "k@x.io"), ("message", "one")], Some("key-1"));
        let (b, dup) = store_submission(&ctx, &[("email", "k@x.io"), ("message", "two")], Some("key-1"));
        assert!(dup);
        assert_eq!((a.id, a.message), (b.id, b.message));
    }

    fn store_submission(ctx: &Ctx, pairs: &[(&str, &str)], key: Option<&str>) -> (Submission, bool) {
        super::store_submission(ctx, draft(pairs), key).unwrap()
    }

    #[test]
    fn client_ids_drop_the_port() {
        let mut req = Request::new("POST", "/intake/leads");
        req.headers.push(("spin-client-addr".into(), "[::1]:5555".into()));
        assert_eq!(client_id(&req), "::1");
        req.headers[0].1 = "10.0.0.7:80".into();
        assert_eq!(client_id(&req), "10.0.0.7");
    }
}
