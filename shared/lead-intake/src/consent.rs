//! Consent that holds up: the person's confirmation and withdrawal links
//! (`/intake/consent/{token}`) and the team's admin route.
//!
//! A link's `GET` only shows a page with a button: mail scanners open
//! links, and opening must change nothing. The button `POST`s; so does a
//! mail client's RFC 8058 one-click unsubscribe (`List-Unsubscribe=One-Click`).
//! Either appends a [`ConsentEvent`] to the person's log, which the profile
//! folds in order with their submissions. A confirmation link works once:
//! after it, no grant is pending for it to confirm.

use serde::Deserialize;
use spin_retention_core::consent_link::{self, Action, Claims, Refused};
use spin_retention_core::html;
use spin_retention_core::http::{Handled, Reply, Request};
use spin_retention_core::ids;
use spin_retention_core::jobs::{calls, Outcome, SCORING};
use spin_retention_core::lead::{self, ConfirmedBy, ConsentAction, ConsentEvent, Lead};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::store::StoreError;

fn page(status: u16, title: &str, text: &str, button: Option<&str>) -> Reply {
    let form = button.map_or(String::new(), |label| {
        format!(
            "<form method=\"post\"><button type=\"submit\">{}</button></form>",
            html::escape(label)
        )
    });
    let body = format!(
        "<main><h1>{}</h1><p>{}</p>{form}</main>",
        html::escape(title),
        html::escape(text)
    );
    html::page(status, "en", "ltr", title, &body)
}

fn refused(why: Refused) -> Reply {
    match why {
        Refused::Invalid => page(404, "Link not valid", "This link is not valid.", None),
        Refused::Expired => page(
            410,
            "Link expired",
            "This link has expired. Send the form again to get a new one.",
            None,
        ),
    }
}

fn claims(ctx: &Ctx, token: &str) -> Result<Claims, Reply> {
    let secret = ctx.config.get(consent_link::SECRET).unwrap_or_default();
    Claims::verify(token, &secret, ctx.now).map_err(refused)
}

/// `GET /intake/consent/{token}`: what the link does, and a button to do it.
pub fn show(_req: &Request, ctx: &Ctx, token: &str) -> Handled {
    let claims = match claims(ctx, token) {
        Ok(claims) => claims,
        Err(page) => return Ok(page),
    };
    Ok(match claims.action {
        Action::Confirm => page(
            200,
            "Confirm your subscription",
            "Confirm that you want to hear from us. You can stop at any time.",
            Some("Confirm"),
        ),
        Action::Withdraw => page(
            200,
            "Unsubscribe",
            "Stop marketing messages and the use of your data for ads.",
            Some("Unsubscribe"),
        ),
    })
}

/// `POST /intake/consent/{token}`: confirms or withdraws, once per link;
/// then lead-scoring re-scores the person, which tells audience-export.
pub fn act(req: &Request, ctx: &Ctx, token: &str) -> Result<Outcome, Reply> {
    let claims = match claims(ctx, token) {
        Ok(claims) => claims,
        Err(page) => return Ok(page.into()),
    };
    let one_click = String::from_utf8_lossy(&req.body).contains("List-Unsubscribe=One-Click");
    let done = |title: &str, text: &str| {
        if one_click {
            Reply {
                status: 200,
                headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
                body: text.as_bytes().to_vec(),
            }
        } else {
            page(200, title, text, None)
        }
    };
    let Some(lead) = lead::load(ctx.store, &claims.lead_id)? else {
        // Erased: nothing is kept, so there is nothing to confirm or stop.
        return Ok(done("Done", "We hold nothing about you.").into());
    };
    match claims.action {
        Action::Confirm => {
            let pending = lead.pending_consent.as_ref();
            // Once confirmed, nothing is pending: the link has done its work.
            if pending.is_none_or(|p| Some(&p.submission_id) != claims.submission_id.as_ref()) {
                return Ok(done(
                    "Nothing to confirm",
                    "This link was used already, or a later request replaced it.",
                )
                .into());
            }
            record(
                ctx,
                &lead,
                claims.confirmed_by(),
                claims.submission_id.clone(),
                clicker(req, ctx),
            )?;
            Ok(rescored(&lead, done("Thank you", "Your subscription is confirmed.")))
        }
        Action::Withdraw => {
            let unsubscribed = done("Unsubscribed", "You will get no more marketing messages from us.");
            // A used link still works; with nothing left to withdraw it
            // writes nothing (a click storm cannot grow the person's log).
            if !lead.has_consent_to_withdraw() {
                return Ok(unsubscribed.into());
            }
            record(ctx, &lead, claims.confirmed_by(), None, clicker(req, ctx))?;
            Ok(rescored(&lead, unsubscribed))
        }
    }
}

/// `reply`, then lead-scoring hears that the person's consent changed (and
/// tells audience-export); a skipped tell is caught up by the person's
/// next scoring or an audience refresh.
fn rescored(lead: &Lead, reply: Reply) -> Outcome {
    Outcome::then(reply, vec![SCORING.tell(calls::score_lead(&lead.id))])
}

/// The keyed hash of the client that clicked, kept as proof.
fn clicker(req: &Request, ctx: &Ctx) -> Option<String> {
    let proxies = crate::settings::IntakeSettings::from_config(ctx.config).proxies;
    consent_link::client_proof(ctx.config, proxies.client_of(req))
}

/// Appends the event: a confirmation of `submission_id`'s grant, or
/// (without one) a withdrawal.
fn record(
    ctx: &Ctx,
    lead: &Lead,
    by: ConfirmedBy,
    submission_id: Option<String>,
    client_hash: Option<String>,
) -> Result<ConsentEvent, StoreError> {
    let (action, what) = match submission_id {
        Some(submission_id) => {
            let what = format!("confirm {submission_id}");
            (ConsentAction::Confirm { submission_id }, what)
        }
        None => (ConsentAction::Withdraw, format!("withdraw {}", ctx.now.timestamp())),
    };
    let event = ConsentEvent {
        id: ids::derive("c", &[&lead.id, &what]),
        lead_id: lead.id.clone(),
        action,
        at: ctx.now,
        by,
        client_hash,
    };
    lead::append_event(ctx.store, &event)?;
    Ok(event)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminBody {
    action: Action,
}

/// `POST /intake/admin/leads/{id}/consent` `{"action": "confirm"|"withdraw"}`:
/// the team confirms the pending grant on the person's word (by phone, in
/// the shop), or withdraws it all. Answers the consent now in force.
pub fn admin(req: &Request, ctx: &Ctx, lead_id: &str) -> Result<Outcome, Reply> {
    let body: AdminBody = serde_json::from_slice(&req.body).map_err(|e| {
        Problem::new(400, "malformed-body", "Malformed Body")
            .with_detail(format!("expected {{\"action\": \"confirm\" or \"withdraw\"}}: {e}"))
    })?;
    let lead = lead::load(ctx.store, lead_id)?
        .ok_or_else(|| Problem::not_found(&req.path).with_detail(format!("no lead {lead_id}")))?;
    let submission_id = match body.action {
        Action::Withdraw => None,
        Action::Confirm => Some(
            lead.pending_consent
                .as_ref()
                .ok_or_else(|| {
                    Problem::new(409, "nothing-pending", "Nothing To Confirm")
                        .with_detail("the person has no grant of consent waiting for confirmation")
                })?
                .submission_id
                .clone(),
        ),
    };
    let event = record(ctx, &lead, ConfirmedBy::Admin, submission_id, None)?;
    let mut now = lead;
    now.apply(&event);
    let reply = Reply::json(
        200,
        &serde_json::json!({ "consent": now.consent, "pending_consent": now.pending_consent }),
    );
    Ok(rescored(&now, reply))
}
