//! `POST /intake/leads`: a form submission becomes a stored, deduplicated
//! lead, the visitor gets an answer at once, and the hand-offs run after.

use super::handoff;
use super::settings::IntakeSettings;
use super::validate::{self, Draft, Validated};
use crate::keys;
use chrono::{DateTime, Utc};
use serde::Serialize;
use spin_retention_core::body;
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ids;
use spin_retention_core::jobs::Outcome;
use spin_retention_core::lead::{self, Confirmation, ConfirmedBy, Submission};
use spin_retention_core::lead_list;
use spin_retention_core::ports::{Ctx, OutboundRequest};
use spin_retention_core::problem::Problem;
use spin_retention_core::ratelimit::{self, Verdict};
use spin_retention_core::store::{JsonStore, StoreError};

/// What the caller is told. A stranger learns nothing about whoever the
/// submission belongs to: not their ids (a phone-only post would name the
/// person the phone leads to, and ids derive from identifiers), nor
/// whether this content was posted before. A caller with the admin token
/// gets the ids; one that sent an `Idempotency-Key` (its own secret),
/// whether its retry was a duplicate.
#[derive(Debug, Serialize)]
pub struct Accepted {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission_id: Option<String>,
    pub status: &'static str,
    /// True when this exact submission was already received (a retry, a
    /// double click, or a repeated Idempotency-Key): nothing new was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
}

impl Accepted {
    fn new(lead_id: &str, submission_id: &str, duplicate: bool, req: &Request, ctx: &Ctx) -> Accepted {
        let trusted = spin_retention_core::auth::require_admin(req, ctx.config).is_ok();
        let keyed = req.header("idempotency-key").is_some_and(|k| !k.trim().is_empty());
        Accepted {
            id: trusted.then(|| lead_id.to_string()),
            submission_id: trusted.then(|| submission_id.to_string()),
            status: "received",
            duplicate: (trusted || keyed).then_some(duplicate),
        }
    }
}

pub fn submit(req: &Request, ctx: &Ctx) -> Outcome {
    let settings = IntakeSettings::from_config(ctx.config);
    let json = req.wants_json();
    let answer = |reply: Result<Accepted, Reply>| -> Reply {
        let reply = match reply {
            Ok(accepted) if json => {
                let status = if accepted.duplicate == Some(true) { 200 } else { 201 };
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
                Some(id) => {
                    // With the after-reply budget half spent, scoring is
                    // handed the lead before the reply: a burst slows to what
                    // scoring takes, rather than leaving hot leads for later.
                    // The acknowledgement (a provider's time) stays after it.
                    if spin_retention_core::jobs::after_reply_busy(ctx).unwrap_or(false) {
                        let _ = handoff::run_scoring(ctx, &settings, &id);
                    }
                    vec![Box::new(move |ctx: &Ctx| {
                        // A failure, or a skip under overload, stays recorded
                        // in handoff:<id> for the catch-up and the retry route.
                        let _ = handoff::run_after_reply(ctx, &settings, &id);
                        if let Err(e) = crate::catch_up::after_submission(ctx, &settings) {
                            eprintln!("catch-up after {id}: {e}");
                        }
                    })]
                }
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
    let client = settings.proxies.client_of(req);
    let rate_key = client.map_or_else(|| "unknown".to_string(), spin_retention_core::client::rate_key);
    match ratelimit::check(ctx.store, &rate_key, settings.rate_limit_per_minute, ctx.now).map_err(unavailable)? {
        Verdict::Allowed => {}
        Verdict::Limited { retry_after } => {
            return Err(limited(retry_after, "too many submissions from this client"));
        }
    }
    let fields = body::parse(req.header("content-type"), &req.body, settings.limits).map_err(Reply::from)?;
    let draft = match validate::validate(&fields, &settings.rules).map_err(Reply::from)? {
        Validated::Valid(draft) => *draft,
        Validated::Spam => {
            // Answer like a success so the bot learns nothing; keep nothing.
            let fake = ids::derive("l", &[&String::from_utf8_lossy(&req.body)]);
            return Ok((Accepted::new(&fake, &fake, false, req, ctx), None));
        }
    };
    if let Some(captcha) = &settings.captcha {
        let remote = client.map(|ip| ip.to_string()).unwrap_or_default();
        verify_captcha(ctx, captcha, draft.captcha_token.as_deref(), &remote)?;
    }
    let policy = Policy {
        confirm_consent: settings.consent_confirmation,
        per_person_per_hour: settings.per_person_per_hour,
        client_hash: spin_retention_core::consent_link::client_proof(ctx.config, client),
    };
    let stored = store_submission(ctx, draft, req.header("idempotency-key"), &policy).map_err(unavailable)?;
    let (submission, duplicate) = match stored {
        Stored::New(submission) => (submission, false),
        Stored::Repeat(submission) => (submission, true),
        Stored::TooMany { retry_after } => {
            return Err(limited(retry_after, "too many submissions for this person this hour"));
        }
    };
    let accepted = Accepted::new(&submission.lead_id, &submission.id, duplicate, req, ctx);
    Ok((accepted, Some(submission.id)))
}

fn limited(retry_after: u64, why: &str) -> Reply {
    Reply::from(
        Problem::new(429, "rate-limited", "Too Many Requests").with_detail(format!("{why}; retry in {retry_after} s")),
    )
    .with_header("retry-after", &retry_after.to_string())
}

/// What a form submission may do to the person it belongs to.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Double opt-in: a grant of consent waits for the person.
    pub confirm_consent: bool,
    /// Submissions one person may make in an hour (0: no cap).
    pub per_person_per_hour: u32,
    /// A hash of the client address, kept with a consent as its proof.
    pub client_hash: Option<String>,
}

/// What storing a submission came to.
#[derive(Debug)]
pub enum Stored {
    New(Submission),
    /// This exact submission was stored before (a retry): nothing new.
    Repeat(Submission),
    /// The person reached the hourly cap; nothing was stored.
    TooMany {
        retry_after: u64,
    },
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
    policy: &Policy,
) -> Result<Stored, StoreError> {
    let lead_id = find_lead(ctx, &draft)?;
    let submission_id = match idempotency_key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => ids::derive("s", &[&lead_id, "idempotency-key", key]),
        None => ids::derive("s", &[&lead_id, &fingerprint(&draft)]),
    };
    if let Some(existing) = ctx.store.get_json::<Submission>(&keys::submission(&submission_id))? {
        // A repeat: the first attempt wrote everything in one batch, its
        // hand-off included (pending, or done).
        return Ok(Stored::Repeat(existing));
    }
    let known = lead::load_recent(ctx.store, &lead_id)?;
    let is_new = known.is_none();
    if let Some(retry_after) = known
        .as_ref()
        .and_then(|history| over_hourly_cap(history, policy, ctx.now))
    {
        return Ok(Stored::TooMany { retry_after });
    }
    let mut submission = draft.into_submission(submission_id.clone(), lead_id.clone(), ctx.now);
    submission.client_hash = policy.client_hash.clone();
    if let Some(consent) = submission.consent.as_mut() {
        consent.client_hash = policy.client_hash.clone();
        // Without double opt-in, a new person's own first form is proof
        // enough; a post about a known person never is.
        if is_new && !policy.confirm_consent && consent.grants_any() {
            consent.confirmed = Some(Confirmation {
                at: ctx.now,
                by: ConfirmedBy::SingleOptIn,
            });
        }
    }
    let mut writes = if is_new {
        lead_list::prepare_add(ctx.store, &lead_id)?
    } else {
        Vec::new()
    };
    writes.extend(identity_writes(ctx, &submission, known.as_ref().map(|h| &h.lead))?);
    // lead-alerts hears of the submission (webhooks, the owner's alert, the
    // digest) through a tracked hand-off, so the retry route catches it up.
    let form = submission.form.as_deref().unwrap_or_default();
    let wanted = handoff::Wanted {
        alerts: spin_retention_core::events::interest(ctx.store)?.wants_submission(form),
        journeys: spin_retention_core::happened::wants_kind(ctx.store, "lead.created")?,
    };
    writes.extend(handoff::prepare(ctx.store, &submission_id, &lead_id, wanted)?);
    lead::append(ctx.store, &submission, is_new, writes)?;
    Ok(Stored::New(submission))
}

/// Seconds until the person may submit again from this client, when
/// their newest submissions from it already fill the hour's cap. Counted from what the profile
/// keeps (no counter, no commit), so the cap is at most
/// [`lead::RECENT_SUBMISSIONS`]; concurrent posts of one person may pass it
/// by the few in flight, which the per-client limit bounds.
fn over_hourly_cap(history: &lead::History, policy: &Policy, now: DateTime<Utc>) -> Option<u64> {
    let cap = (policy.per_person_per_hour as usize).min(lead::RECENT_SUBMISSIONS);
    if cap == 0 {
        return None;
    }
    let hour_ago = now - chrono::Duration::hours(1);
    let mut within: Vec<DateTime<Utc>> = history
        .submissions
        .iter()
        // Per client too: a stranger posting someone's email cannot lock
        // the person out of the form.
        .filter(|s| s.client_hash == policy.client_hash)
        .map(|s| s.received_at)
        .filter(|&at| at > hour_ago)
        .collect();
    if within.len() < cap {
        return None;
    }
    // Free again when the oldest of the newest `cap` leaves the hour.
    within.sort_unstable();
    let frees_at = within[within.len() - cap] + chrono::Duration::hours(1);
    Some((frees_at - now).num_seconds().max(1) as u64)
}

/// The writes that point the submission's email and phone at its lead,
/// for those not pointing anywhere yet: an identifier that belongs to
/// another lead is never re-pointed. Of a known person (`known`), only
/// what their profile holds, or takes from this submission (a phone where
/// it had none), is indexed: a phone a stranger claims for them leads
/// nobody to them.
pub(crate) fn identity_writes(
    ctx: &Ctx,
    submission: &Submission,
    known: Option<&lead::Lead>,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let held = |given: &str, held: &Option<String>| held.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(given));
    let phone = submission
        .contact
        .phone
        .as_deref()
        .filter(|p| known.is_none_or(|lead| held(p, &lead.contact.phone)));
    let identities: Vec<String> = submission
        .contact
        .email
        .iter()
        .map(|e| keys::lead_by_email(e))
        .chain(phone.map(keys::lead_by_phone))
        .collect();
    let current = ctx.store.get_many(&identities)?;
    Ok(identities
        .into_iter()
        .zip(current)
        .filter(|(_, current)| current.is_none())
        .map(|(key, _)| (key, submission.lead_id.clone().into_bytes()))
        .collect())
}

/// The person a submission belongs to: the email's, when it gave one
/// (found, or the id a new person gets), else the phone's. A phone never
/// leads a submission with an email to another person: email identifies a
/// person (docs/lead-intake.md, "One person, one profile"). Ids derive from the identity, so
/// concurrent first submissions of one person land on one lead.
pub(crate) fn find_lead(ctx: &Ctx, draft: &Draft) -> Result<String, StoreError> {
    let email = draft.contact.email.as_deref().map(str::to_lowercase);
    let phone = draft.contact.phone.as_deref();
    let (key, derived) = match (&email, phone) {
        (Some(e), _) => (keys::lead_by_email(e), ids::derive("l", &["email", e])),
        (None, Some(p)) => (keys::lead_by_phone(p), ids::derive("l", &["phone", p])),
        (None, None) => unreachable!("validation requires an email or a phone"),
    };
    Ok(match ctx.store.get(&key)? {
        Some(id) => String::from_utf8_lossy(&id).into_owned(),
        None => derived,
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
        let first_post = [("email", "a@x.io"), ("phone", "+12015550123"), ("message", "hi")];
        let (first, dup) = store_submission(&ctx, &first_post, None);
        assert!(!dup);
        let again_post = [("email", "A@X.io"), ("phone", "+12015550123"), ("message", "hi")];
        let (again, dup) = store_submission(&ctx, &again_post, None);
        assert!(dup, "same person, same message: a retry");
        assert_eq!(again.id, first.id);
        let (phone, _) = store_submission(&ctx, &[("email", "a@x.io"), ("message", "more")], None);
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
        match super::store_submission(ctx, draft(pairs), key, &Policy::default()).unwrap() {
            Stored::New(s) => (s, false),
            Stored::Repeat(s) => (s, true),
            Stored::TooMany { .. } => panic!("over the cap"),
        }
    }

    fn ctx_at<'a>(
        store: &'a dyn spin_retention_core::store::Store,
        config: &'a HashMap<String, String>,
        minutes: i64,
    ) -> Ctx<'a> {
        Ctx::new(
            store,
            config,
            &NoOutbound,
            spin_retention_core::ports::test_now() + chrono::Duration::minutes(minutes),
        )
    }

    /// The takeover: a stranger who knows Dana's phone number.
    #[test]
    fn a_phone_never_leads_an_email_to_another_person_nor_rewrites_them() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = ctx_at(&store, &config, 0);
        let dana = [
            ("name", "Dana Levi"),
            ("email", "dana.real@acme.example"),
            ("phone", "+972525550001"),
        ];
        let (d, _) = store_submission(&ctx, &dana, None);
        let (m, _) = store_submission(
            &ctx,
            &[
                ("email", "mallory@evil.example"),
                ("phone", "+972525550001"),
                ("message", "x1"),
            ],
            None,
        );
        assert_ne!(m.lead_id, d.lead_id, "another email is another person");
        // Phone only: joins Dana, changes neither her email nor her name.
        let (p, _) = store_submission(&ctx, &[("phone", "+972525550001"), ("name", "Mallory")], None);
        assert_eq!(p.lead_id, d.lead_id);
        // Dana's email with other details: nothing of hers is overwritten.
        store_submission(
            &ctx,
            &[
                ("email", "DANA.real@acme.example"),
                ("name", "Someone Else"),
                ("phone", "+972525550002"),
            ],
            None,
        );
        let lead = lead::load(&store, &d.lead_id).unwrap().unwrap();
        assert_eq!(lead.contact.email.as_deref(), Some("dana.real@acme.example"));
        assert_eq!(lead.contact.name.as_deref(), Some("Dana Levi"));
        assert_eq!(lead.contact.phone.as_deref(), Some("+972525550001"));
        assert!(lead.changes.is_empty(), "{:?}", lead.changes);
        let claimed: Vec<(&str, &str)> = lead
            .claims
            .iter()
            .map(|c| (c.field.as_str(), c.value.as_str()))
            .collect();
        assert!(claimed.contains(&("name", "Mallory")), "{claimed:?}");
        assert!(claimed.contains(&("name", "Someone Else")), "{claimed:?}");
        assert!(claimed.contains(&("phone", "+972525550002")), "{claimed:?}");
        // The phone a stranger claimed for Dana does not lead to her.
        let (other, _) = store_submission(&ctx, &[("phone", "+972525550002")], None);
        assert_ne!(other.lead_id, d.lead_id);
        // What the profile lacked, a form with the person's email may fill,
        // never the country (it decides the consent rules).
        let (k, _) = store_submission(&ctx, &[("email", "kim@acme.example")], None);
        let fields = [
            ("email", "kim@acme.example"),
            ("company", "Acme"),
            ("phone", "+972525550003"),
            ("name", "Kim"),
            ("country", "US"),
        ];
        store_submission(&ctx, &fields, None);
        let kim = lead::load(&store, &k.lead_id).unwrap().unwrap();
        assert_eq!(kim.contact.company.as_deref(), Some("Acme"));
        assert_eq!(kim.contact.phone.as_deref(), Some("+972525550003"));
        assert_eq!(kim.contact.name.as_deref(), Some("Kim"));
        assert_eq!(kim.contact.country, None);
        assert!(kim.claims.iter().any(|c| c.field == "country"));
        let (by_that_phone, _) = store_submission(&ctx, &[("phone", "+972525550003")], None);
        assert_eq!(
            by_that_phone.lead_id, k.lead_id,
            "the phone Kim's profile took leads to Kim"
        );
    }

    /// Ten posts an hour with someone's email, from one client, do not
    /// lock the person out from theirs.
    #[test]
    fn the_hourly_cap_counts_per_client() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = ctx_at(&store, &config, 0);
        let from = |client: &str| Policy {
            per_person_per_hour: 2,
            client_hash: Some(client.into()),
            ..Policy::default()
        };
        let post = |policy: &Policy, n: usize| {
            let message = format!("message {n}");
            let fields = [("email", "target@acme.example"), ("message", message.as_str())];
            super::store_submission(&ctx, draft(&fields), None, policy).unwrap()
        };
        for n in 0..3 {
            post(&from("stranger"), n);
        }
        assert!(matches!(post(&from("stranger"), 3), Stored::TooMany { .. }));
        assert!(matches!(post(&from("the person"), 4), Stored::New(_)));
    }

    #[test]
    fn a_form_never_grants_consent_for_a_known_person() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = ctx_at(&store, &config, 0);
        let (d, _) = store_submission(&ctx, &[("email", "dana@acme.example")], None);
        let grant = [
            ("email", "dana@acme.example"),
            ("consent_marketing", "true"),
            ("consent_ad_user_data", "true"),
            ("consent_ad_personalization", "true"),
            ("country", "DE"),
        ];
        // Even without double opt-in: Dana is known, the post proves nothing.
        store_submission(&ctx, &grant, None);
        let lead = lead::load(&store, &d.lead_id).unwrap().unwrap();
        assert_eq!(lead.consent, None);
        let pending = lead.pending_consent.expect("the grant waits for Dana");
        assert_eq!(pending.marketing, Some(true));
        // A refusal needs no proof: it is in force at once.
        store_submission(
            &ctx,
            &[("email", "dana@acme.example"), ("consent_marketing", "false")],
            None,
        );
        let lead = lead::load(&store, &d.lead_id).unwrap().unwrap();
        let in_force = lead.consent.expect("the refusal");
        assert_eq!(in_force.marketing, Some(false));
        assert_eq!(in_force.confirmed.map(|c| c.by), Some(ConfirmedBy::Refusal));
        // A refusal replaces no waiting grant: only Dana's link decides it.
        assert!(lead.pending_consent.is_some());
    }

    #[test]
    fn double_opt_in_keeps_a_new_persons_grant_pending() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = ctx_at(&store, &config, 0);
        let policy = Policy {
            confirm_consent: true,
            per_person_per_hour: 10,
            client_hash: Some("abc".into()),
        };
        let fields = [("email", "new@acme.example"), ("consent_marketing", "true")];
        let Stored::New(s) = super::store_submission(&ctx, draft(&fields), None, &policy).unwrap() else {
            panic!("stored")
        };
        let lead = lead::load(&store, &s.lead_id).unwrap().unwrap();
        assert_eq!(lead.consent, None);
        let pending = lead.pending_consent.unwrap();
        assert_eq!((pending.client_hash.as_deref(), pending.confirmed), (Some("abc"), None));
        // Single opt-in (double opt-in off): a new person's own form counts.
        let fields = [("email", "other@acme.example"), ("consent_marketing", "true")];
        let policy = Policy::default();
        let Stored::New(s) = super::store_submission(&ctx, draft(&fields), None, &policy).unwrap() else {
            panic!("stored")
        };
        let lead = lead::load(&store, &s.lead_id).unwrap().unwrap();
        assert_eq!(
            lead.consent.and_then(|c| c.confirmed).map(|c| c.by),
            Some(ConfirmedBy::SingleOptIn)
        );
    }

    #[test]
    fn one_person_may_add_only_so_much_an_hour() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let policy = Policy {
            per_person_per_hour: 3,
            ..Policy::default()
        };
        let post = |minutes: i64, n: usize| {
            let ctx = ctx_at(&store, &config, minutes);
            let message = format!("message {n}");
            let fields = [("email", "busy@acme.example"), ("message", message.as_str())];
            super::store_submission(&ctx, draft(&fields), None, &policy).unwrap()
        };
        for n in 0..3 {
            assert!(matches!(post(n as i64, n), Stored::New(_)));
        }
        match post(10, 3) {
            // The first of the three leaves the hour at minute 60.
            Stored::TooMany { retry_after } => assert_eq!(retry_after, 50 * 60),
            other => panic!("{other:?}"),
        }
        assert!(matches!(post(61, 4), Stored::New(_)));
    }

    /// Loading a person reads the stored fold and the few entries after it,
    /// however long their history.
    #[test]
    fn loading_a_person_costs_the_same_for_ten_and_for_a_thousand_submissions() {
        let store = spin_retention_core::store::CountingStore::default();
        let config = HashMap::new();
        let reads_to_load = |email: &str, n: usize| {
            for i in 0..n {
                let ctx = ctx_at(&store, &config, i as i64 * 61);
                let message = format!("message {i}");
                store_submission(&ctx, &[("email", email), ("message", message.as_str())], None);
            }
            let id = super::find_lead(&ctx_at(&store, &config, 0), &draft(&[("email", email)])).unwrap();
            let before = store.reads();
            let history = lead::load_history(&store, &id).unwrap().unwrap();
            assert_eq!(history.lead.submission_count, n as u64);
            assert_eq!(history.submissions.len(), n.min(lead::RECENT_SUBMISSIONS));
            store.reads() - before
        };
        let few = reads_to_load("few@acme.example", 10);
        let many = reads_to_load("many@acme.example", 1000);
        assert!(many <= few, "{many} reads for 1,000 submissions, {few} for 10");
    }
}
