//! `POST /intake/admin/people`: the profiles of people another job met
//! first (customers: a purchase, an import), found or created with the same
//! identity rules as a form submission: one person, one lead. A profile
//! opened here is not acknowledged and not handed to scoring (the caller
//! tells scoring once it has stored what the person did).

use crate::settings::IntakeSettings;
use crate::submit;
use crate::validate::{self, Validated};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spin_retention_core::body::Fields;
use spin_retention_core::contracts;
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::ids;
use spin_retention_core::lead;
use spin_retention_core::lead_list;
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::store::StoreError;

/// People in one request: a caller's batch (an import sends many).
pub const MAX_PEOPLE: usize = 500;

/// One person as the caller knows them: `email`, `phone`, names, address
/// parts, the `consent_*` flags, and `source` (what made them known:
/// `stripe`, `import`...). The same field names as a form.
#[derive(Debug, Deserialize)]
struct Body {
    people: Vec<serde_json::Map<String, Value>>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Found {
    Lead { lead_id: String, created: bool },
    Refused { problem: Problem },
}

pub fn open(req: &Request, ctx: &Ctx) -> Handled {
    let body: Body = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(400, "malformed-body", "Malformed Body")
            .with_detail(format!("expected {{\"people\": [...]}}: {e}"))
    })?;
    if body.people.len() > MAX_PEOPLE {
        return Err(Problem::new(413, "too-many-people", "Too Many People")
            .with_detail(format!("at most {MAX_PEOPLE} people per request"))
            .into());
    }
    let settings = IntakeSettings::from_config(ctx.config);
    let mut found = Vec::with_capacity(body.people.len());
    for person in body.people {
        found.push(open_one(ctx, &settings, person)?);
    }
    Ok(Reply::json(200, &serde_json::json!({ "people": found })))
}

fn open_one(ctx: &Ctx, settings: &IntakeSettings, person: serde_json::Map<String, Value>) -> Result<Found, Reply> {
    let source = person
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or("customers")
        .to_string();
    let fields: Fields = person
        .into_iter()
        .filter(|(name, _)| name != "source")
        .filter_map(|(name, value)| match value {
            Value::String(s) => Some((name, s)),
            Value::Bool(b) => Some((name, b.to_string())),
            Value::Number(n) => Some((name, n.to_string())),
            _ => None,
        })
        .collect();
    let draft = match validate::validate(&fields, &settings.rules) {
        Ok(Validated::Valid(draft)) => *draft,
        Ok(Validated::Spam) => {
            let problem = Problem::new(422, "invalid-person", "Invalid Person").with_detail("refused as spam");
            return Ok(Found::Refused { problem });
        }
        Err(problem) => return Ok(Found::Refused { problem }),
    };
    let (lead_id, created) = open_profile(ctx, draft, &source).map_err(Reply::from)?;
    Ok(Found::Lead { lead_id, created })
}

/// The person's lead, created when new: a first "submission" with no form
/// (`custom.source` says where they came from), their identities and their
/// place in the list of every lead, in one batch. Idempotent: the same
/// person twice, also at once, is one lead.
pub fn open_profile(ctx: &Ctx, mut draft: validate::Draft, source: &str) -> Result<(String, bool), StoreError> {
    let lead_id = submit::find_lead(ctx, &draft)?;
    if lead::exists(ctx.store, &lead_id)? {
        return Ok((lead_id, false));
    }
    draft.form = None;
    draft.custom.insert("source".into(), source.to_string());
    let submission_id = ids::derive("s", &[&lead_id, "profile", source]);
    let mut submission = draft.into_submission(submission_id, lead_id.clone(), ctx.now);
    // The caller holds a token: its word on identity and consent stands.
    submission.origin = lead::Origin::Trusted;
    if let Some(consent) = submission.consent.as_mut() {
        consent.confirmed = Some(lead::Confirmation {
            at: ctx.now,
            by: lead::ConfirmedBy::Trusted,
        });
    }
    let mut writes = lead_list::prepare_add(ctx.store, &lead_id)?;
    writes.extend(submit::identity_writes(ctx, &submission, None)?);
    lead::append(ctx.store, &submission, true, writes)?;
    Ok((lead_id, true))
}

/// `GET /intake/admin/people?q=`: the lead of a person found by their email,
/// their phone (read as a form's is: any national format in
/// `phone_default_region`) or a lead id; 404 when nobody is. Nothing is
/// created or written: the dashboard's search.
pub fn find(req: &Request, ctx: &Ctx) -> Handled {
    let q = req.query_param("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let none = || Reply::from(Problem::not_found(&req.path).with_detail("no person with that email, phone or id"));
    // An address first: `l_smith@acme.com` is an email, not a lead id.
    if q.starts_with("l_") && !q.contains('@') {
        return match lead::exists(ctx.store, &q)? {
            true => Ok(Reply::json(200, &contracts::intake::Found { lead_id: q })),
            false => Err(none()),
        };
    }
    let field = if q.contains('@') { "email" } else { "phone" };
    let fields: Fields = vec![(field.to_string(), q)];
    let settings = IntakeSettings::from_config(ctx.config);
    let Ok(Validated::Valid(draft)) = validate::validate(&fields, &settings.rules) else {
        return Err(Reply::from(
            Problem::new(422, "invalid-query", "Invalid Query")
                .with_detail("give an email address, a phone number or a lead id"),
        ));
    };
    let identity = match (&draft.contact.email, &draft.contact.phone) {
        (Some(email), _) => spin_retention_core::keys::lead_by_email(email),
        (None, Some(phone)) => spin_retention_core::keys::lead_by_phone(phone),
        (None, None) => return Err(none()),
    };
    match ctx
        .store
        .get(&identity)?
        .map(|id| String::from_utf8_lossy(&id).into_owned())
    {
        Some(id) if lead::exists(ctx.store, &id)? => Ok(Reply::json(200, &contracts::intake::Found { lead_id: id })),
        _ => Err(none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::ports::NoOutbound;
    use spin_retention_core::store::MemoryStore;
    use std::collections::HashMap;

    fn call(ctx: &Ctx, body: serde_json::Value) -> serde_json::Value {
        let mut req = Request::new("POST", "/intake/admin/people");
        req.body = serde_json::to_vec(&body).unwrap();
        let reply = open(&req, ctx).unwrap_or_else(|r| r);
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        serde_json::from_slice(&reply.body).unwrap()
    }

    #[test]
    fn people_are_found_or_created_once_by_the_form_rules() {
        let store = MemoryStore::new();
        let config = HashMap::new();
        let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
        let first = call(
            &ctx,
            serde_json::json!({"people": [
                {"email": "Buyer@Shop.io", "name": "Dana Buyer", "consent_marketing": true, "source": "stripe"},
                {"phone": "(201) 555-0123", "country": "US"},
                {"email": "not an email"}
            ]}),
        );
        let people = first["people"].as_array().unwrap();
        assert_eq!(people[0]["created"], true);
        assert_eq!(people[1]["created"], true);
        assert_eq!(people[2]["problem"]["status"], 422);
        let again = call(
            &ctx,
            serde_json::json!({"people": [{"email": "buyer@shop.io"}, {"phone": "+12015550123"}]}),
        );
        assert_eq!(again["people"][0]["lead_id"], people[0]["lead_id"]);
        assert_eq!(again["people"][0]["created"], false);
        assert_eq!(again["people"][1]["lead_id"], people[1]["lead_id"], "same phone, E.164");
        let id = people[0]["lead_id"].as_str().unwrap();
        let lead = lead::load(&store, id).unwrap().unwrap();
        assert_eq!(lead.contact.name.as_deref(), Some("Dana Buyer"));
        assert_eq!(lead.consent.unwrap().marketing, Some(true));
        assert_eq!(
            spin_retention_core::slots::len(&store, crate::keys::SUBMISSIONS).unwrap(),
            0,
            "no acknowledgement, no hand-off"
        );
    }

    #[test]
    fn a_person_is_found_by_email_phone_in_any_format_or_id() {
        let store = MemoryStore::new();
        let config: HashMap<String, String> = [("phone_default_region".to_string(), "IL".to_string())].into();
        let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
        let opened = call(
            &ctx,
            serde_json::json!({"people": [
                {"email": "dana@shop.io", "phone": "+972525551234"},
                {"email": "l_smith@acme.com"}
            ]}),
        );
        let id = opened["people"][0]["lead_id"].as_str().unwrap().to_string();
        let smith = opened["people"][1]["lead_id"].as_str().unwrap().to_string();
        let find = |q: &str| {
            let mut req = Request::new("GET", "/intake/admin/people");
            req.query = format!(
                "q={}",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            );
            match find(&req, &ctx) {
                Ok(reply) | Err(reply) => (reply.status, serde_json::from_slice::<Value>(&reply.body).unwrap()),
            }
        };
        for q in ["Dana@Shop.io", "052-555-1234", "+972 52 555 1234", id.as_str()] {
            let (status, found) = find(q);
            assert_eq!((status, found["lead_id"].as_str()), (200, Some(id.as_str())), "{q}");
        }
        assert_eq!(
            find("l_smith@acme.com").1["lead_id"].as_str(),
            Some(smith.as_str()),
            "an email"
        );
        assert_eq!(find("someone@else.io").0, 404);
        assert_eq!(find("l_nobody").0, 404);
        assert_eq!(find("not a phone").0, 422);
    }
}
