//! A person's whole story on one page: every submission and its
//! acknowledgement, score changes with their reasons, alerts, claim and
//! contact, survey answers with comments, purchases, tier, audiences and
//! journeys (entering, each message, leaving), newest first. Erase is here too, behind a confirmation.

use super::hot::{actions, name_of, sla, team};
use super::{Screen, Shown};
use crate::api;
use crate::page::urlencode;
use crate::page::{esc, name, opt, redirect, when};
use chrono::{DateTime, Utc};
use spin_retention_core::contracts::alerts;
use spin_retention_core::contracts::audiences::Memberships;
use spin_retention_core::contracts::customers::CustomerView;
use spin_retention_core::contracts::intake::{Found, LeadView, SubmissionView};
use spin_retention_core::contracts::journeys::PersonJourneys;
use spin_retention_core::contracts::survey::PersonAnswers;
use spin_retention_core::customer::format_minor;
use spin_retention_core::jobs::{ALERTS, AUDIENCES, CUSTOMERS, INTAKE, JOURNEYS, SCORING, SURVEY};
use spin_retention_core::lead::{Consent, Lead};
use spin_retention_scores::api::ScoreChanges;
use spin_retention_scores::ScoreRecord;

/// Timeline entries shown at first; "more" adds as many again.
pub const PAGE: usize = 50;
/// The most of each kind the owners give at once (score changes, customer events).
const MAX: usize = 500;

/// One line of the timeline.
struct Entry {
    at: DateTime<Utc>,
    kind: &'static str,
    html: String,
}

/// What each job knows of the person, as its owner answers it.
struct Story {
    profile: LeadView,
    score: Option<ScoreRecord>,
    changes: ScoreChanges,
    alerts: Option<alerts::LeadView>,
    surveys: PersonAnswers,
    customer: Option<CustomerView>,
    audiences: Memberships,
    journeys: PersonJourneys,
}

pub fn show(s: &Screen, id: &str) -> Shown {
    let lead_path = format!("/intake/admin/leads/{}", urlencode(id));
    let Some(profile) = api::get_optional_as::<LeadView>(s.ctx, INTAKE, &lead_path)? else {
        return Ok(not_found(s));
    };
    // Each source is asked for as many as the timeline shows, so an
    // entry shown is never missing a newer one of another kind.
    let limit = s
        .param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(PAGE)
        .clamp(1, MAX);
    let story = Story {
        score: api::get_optional_as(s.ctx, SCORING, &format!("/scoring/leads/{}", urlencode(id)))?,
        changes: api::get_as(
            s.ctx,
            SCORING,
            &format!("/scoring/admin/leads/{}/changes?limit={limit}", urlencode(id)),
        )?,
        alerts: api::get_optional_as(s.ctx, ALERTS, &format!("/alerts/admin/leads/{}", urlencode(id)))?,
        surveys: api::get_as(s.ctx, SURVEY, &format!("/survey/admin/people/{}", urlencode(id)))?,
        customer: api::get_optional_as(
            s.ctx,
            CUSTOMERS,
            &format!("/customers/admin/customers/{}?limit={limit}", urlencode(id)),
        )?,
        audiences: api::get_as(s.ctx, AUDIENCES, &format!("/audiences/admin/members/{}", urlencode(id)))?,
        journeys: api::get_as(s.ctx, JOURNEYS, &format!("/journeys/admin/people/{}", urlencode(id)))?,
        profile,
    };
    let team = team(s)?;

    // lead-intake's profile is core's Lead, the one fold every job reads.
    let lead = &story.profile.lead;
    let name = name_of(&lead.contact);
    let mut entries = Vec::new();
    for item in &story.profile.submissions {
        submission(s, item, &mut entries);
    }
    claims_and_consent(s, lead, &mut entries);
    score_changes(s, &story.changes, &mut entries);
    if let Some(alerts) = &story.alerts {
        alert_steps(s, &alerts.alerts, &mut entries);
    }
    answers(s, &story.surveys, &mut entries);
    if let Some(customer) = &story.customer {
        purchases(s, customer, &mut entries);
    }
    for a in &story.audiences.audiences {
        entries.push(Entry {
            at: a.since,
            kind: "audience",
            html: format!("<strong>{}</strong> {}", s.t("ev.audience"), esc(&a.audience)),
        });
    }
    journeys(s, &story.journeys, &mut entries);
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    let more = entries.len() > limit && limit < MAX;
    entries.truncate(limit);

    let timeline: String = entries
        .iter()
        .map(|e| {
            format!(
                "<li class=\"ev {}\"><time>{}</time><div>{}</div></li>",
                e.kind,
                when(&e.at),
                e.html
            )
        })
        .collect();
    let more = if more {
        format!(
            "<p class=\"pager\"><a href=\"/dashboard/people/{}?limit={}\">{}</a></p>",
            esc(&urlencode(id)),
            (limit + PAGE).min(MAX),
            s.t("next")
        )
    } else {
        String::new()
    };
    let body = format!(
        "{}<section class=\"actions\">{}</section><h2>{}</h2><ol class=\"timeline\">{timeline}</ol>{more}\
         <p class=\"danger\"><a href=\"/dashboard/people/{}/erase\">{}</a></p>",
        summary(s, &story),
        actions(s, id, story.alerts.as_ref(), &team, &s.frame.here),
        s.t("timeline"),
        esc(&urlencode(id)),
        s.t("erase"),
    );
    Ok(s.frame.page("", &name, &body))
}

fn not_found(s: &Screen) -> spin_retention_core::http::Reply {
    let mut reply = s
        .frame
        .page("", s.t("not.found"), &format!("<p>{}</p>", s.t("find.none")));
    reply.status = 404;
    reply
}

fn summary(s: &Screen, story: &Story) -> String {
    let c = &story.profile.lead.contact;
    let mut facts = vec![
        (s.t("email"), opt(&c.email)),
        (s.t("phone"), opt(&c.phone)),
        (s.t("company"), opt(&c.company)),
        (s.t("country"), opt(&c.country)),
    ];
    if let Some(record) = &story.score {
        let score = &record.score;
        let risk = if score.at_risk {
            format!(" <span class=\"badge risk\">{}</span>", s.t("at_risk"))
        } else {
            String::new()
        };
        facts.push((
            s.t("ev.score"),
            format!(
                "<span class=\"badge {tier}\">{tier}</span> {} ({}){risk}",
                score.total,
                score.grade,
                tier = score.tier.as_str(),
            ),
        ));
        if let Some(assignment) = &record.assignment {
            facts.push((s.t("col.assignee"), esc(&assignment.member_name)));
        }
    }
    facts.push((s.t("col.sla"), sla(s, story.alerts.as_ref())));
    if let Some(customer) = &story.customer {
        let fold = &customer.customer;
        facts.push((s.t("tier"), opt(&fold.loyalty_tier)));
        facts.push((s.t("orders"), fold.orders.to_string()));
        let revenue: Vec<String> = customer
            .revenue
            .iter()
            .map(|(cur, v)| format!("{} {}", esc(v), esc(cur)))
            .collect();
        facts.push((s.t("revenue"), revenue.join(", ")));
        facts.push((
            s.t("segment"),
            fold.rfm.as_ref().map(|r| esc(&r.segment)).unwrap_or_default(),
        ));
        if customer.slipping {
            facts.push((s.t("slipping"), "✓".into()));
        }
    }
    let joined: Vec<String> = story
        .audiences
        .audiences
        .iter()
        .map(|m| format!("<span class=\"chip\">{}</span>", esc(&m.audience)))
        .collect();
    facts.push((s.t("audiences.in"), joined.join(" ")));
    let rows: String = facts
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("<dt>{}</dt><dd>{v}</dd>", esc(k)))
        .collect();
    format!("<dl class=\"facts\">{rows}</dl>")
}

/// A submission, and its acknowledgement as instant-ack recorded it.
fn submission(s: &Screen, item: &SubmissionView, out: &mut Vec<Entry>) {
    if let Some(sub) = &item.submission {
        let mut html = format!("<strong>{}</strong>", s.t("ev.submission"));
        if let Some(form) = &sub.form {
            html.push_str(&format!(" <span class=\"chip\">{}</span>", esc(form)));
        }
        if let Some(message) = &sub.message {
            html.push_str(&format!("<blockquote>{}</blockquote>", esc(message)));
        }
        let pages: Vec<String> = sub.attribution.pages.iter().map(|p| esc(p)).collect();
        if !pages.is_empty() {
            html.push_str(&format!("<div class=\"muted\">{}</div>", pages.join(", ")));
        }
        out.push(Entry {
            at: sub.received_at,
            kind: "submission",
            html,
        });
    }
    if let Some(ack) = &item.ack {
        let latency = ack
            .latency_ms
            .map(|ms| format!(" {} {:.1} s", s.t("latency"), ms as f64 / 1000.0))
            .unwrap_or_default();
        out.push(Entry {
            at: ack.sent_at.unwrap_or(ack.updated_at),
            kind: "ack",
            html: format!(
                "<strong>{}</strong> <span class=\"state\">{}</span> {} {}{latency}",
                s.t("ev.ack"),
                name(&ack.state),
                esc(&ack.channel),
                esc(&ack.provider)
            ),
        });
    }
}

/// What forms claimed about the person that was not applied, and the
/// consent in force and waiting, with how it was confirmed.
fn claims_and_consent(s: &Screen, lead: &Lead, out: &mut Vec<Entry>) {
    for claim in &lead.claims {
        out.push(Entry {
            at: claim.at,
            kind: "claim",
            html: format!(
                "<strong>{}</strong> {}: {}",
                s.t("ev.identity_claim"),
                esc(&claim.field),
                esc(&claim.value)
            ),
        });
    }
    let consent = |c: &Consent, key: &'static str, at: DateTime<Utc>| {
        let granted: Vec<&str> = [
            ("marketing", c.marketing),
            ("ad_user_data", c.ad_user_data),
            ("ad_personalization", c.ad_personalization),
        ]
        .into_iter()
        .filter(|(_, given)| *given == Some(true))
        .map(|(name, _)| name)
        .collect();
        let by = c.confirmed.as_ref().map(|c| name(&c.by)).unwrap_or_default();
        Entry {
            at,
            kind: "consent",
            html: format!(
                "<strong>{}</strong> {} <span class=\"muted\">{by}</span>",
                s.t(key),
                esc(&granted.join(", ")),
            ),
        }
    };
    if let Some(c) = &lead.consent {
        // In force: confirmed (or a refusal), at its confirmation.
        let at = c.confirmed.as_ref().map_or(c.recorded_at, |c| c.at);
        out.push(consent(c, "ev.consent", at));
    }
    if let Some(pending) = &lead.pending_consent {
        out.push(consent(pending, "ev.consent_pending", pending.recorded_at));
    }
}

fn score_changes(s: &Screen, changes: &ScoreChanges, out: &mut Vec<Entry>) {
    for change in &changes.changes {
        let from = change.previous_total.map(|p| format!("{p} → ")).unwrap_or_default();
        let why: String = change.why.iter().map(|r| format!("<li>{}</li>", esc(r))).collect();
        out.push(Entry {
            at: change.at,
            kind: "score",
            html: format!(
                "<strong>{}</strong> {}{} <span class=\"badge {tier}\">{tier}</span><ul class=\"why\">{why}</ul>",
                s.t("ev.score"),
                esc(&from),
                change.total,
                tier = change.tier.as_str(),
            ),
        });
    }
}

fn alert_steps(s: &Screen, alerts: &alerts::LeadAlerts, out: &mut Vec<Entry>) {
    for step in &alerts.steps {
        out.push(Entry {
            at: step.at,
            kind: "alert",
            html: format!(
                "<strong>{}</strong> {} ({}) · {} {}",
                s.t("ev.alert"),
                esc(&step.to.name),
                name(&step.why),
                esc(&step.alert.channel),
                esc(&step.alert.status)
            ),
        });
    }
    if let Some(claimed) = &alerts.claimed {
        out.push(Entry {
            at: claimed.at,
            kind: "claim",
            html: format!(
                "<strong>{}</strong> {} ({})",
                s.t("ev.claim"),
                esc(&claimed.by.name),
                esc(&claimed.via)
            ),
        });
    }
    if let Some(contacted) = &alerts.contacted {
        out.push(Entry {
            at: contacted.at,
            kind: "contact",
            html: format!(
                "<strong>{}</strong> {} {}",
                s.t("ev.contact"),
                esc(&contacted.by.name),
                contacted.outcome.as_ref().map(name).unwrap_or_default()
            ),
        });
    }
}

fn answers(s: &Screen, surveys: &PersonAnswers, out: &mut Vec<Entry>) {
    for answer in &surveys.answers {
        let comment = answer
            .comment
            .as_deref()
            .map(|c| format!("<blockquote>{}</blockquote>", esc(c)))
            .unwrap_or_default();
        out.push(Entry {
            at: answer.answered_at,
            kind: "survey",
            html: format!(
                "<strong>{}</strong> {} · {} <span class=\"badge {band}\">{band}</span>{comment}",
                s.t("ev.survey"),
                esc(&answer.survey_id),
                answer.score,
                band = answer.band.as_str(),
            ),
        });
    }
    for opened in &surveys.opened {
        out.push(Entry {
            at: opened.opened_at,
            kind: "opened",
            html: format!("<strong>{}</strong> {}", s.t("ev.opened"), esc(&opened.survey_id)),
        });
    }
}

/// Each time through a journey: entering, each message (sent, skipped,
/// failed) and owner's alert, and leaving; waits and deferrals are the
/// journey's own business.
fn journeys(s: &Screen, person: &PersonJourneys, out: &mut Vec<Entry>) {
    for through in &person.journeys {
        let journey = esc(&through.instance.journey);
        let holdout = match through.instance.held_out {
            true => format!(" <span class=\"muted\">({})</span>", s.t("ev.journey.holdout")),
            false => String::new(),
        };
        out.push(Entry {
            at: through.instance.entered_at,
            kind: "journey",
            html: format!(
                "<strong>{}</strong> {journey} · {}{holdout}",
                s.t("ev.journey"),
                esc(&through.instance.trigger)
            ),
        });
        for step in &through.steps {
            let key = match step.outcome.as_str() {
                "sent" => "ev.journey.sent",
                "skipped" => "ev.journey.skipped",
                "failed" => "ev.journey.failed",
                "alerted" => "ev.journey.alerted",
                _ => continue,
            };
            let detail = step.channel.as_deref().or(step.reason.as_deref()).unwrap_or_default();
            out.push(Entry {
                at: step.at,
                kind: "journey",
                html: format!(
                    "<strong>{}</strong> {journey} · {} {} · {}",
                    s.t(key),
                    s.t("j.f.step"),
                    step.step + 1,
                    esc(detail)
                ),
            });
        }
        if let Some(left) = &through.exit {
            out.push(Entry {
                at: left.at,
                kind: "journey",
                html: format!(
                    "<strong>{}</strong> {journey} · {}",
                    s.t("ev.journey.left"),
                    esc(&left.why)
                ),
            });
        }
    }
}

fn purchases(s: &Screen, customer: &CustomerView, out: &mut Vec<Entry>) {
    for event in &customer.events {
        // `amount` is minor units of its currency.
        let amount = event
            .amount
            .as_ref()
            .map(|a| format!(" {} {}", esc(&format_minor(a.minor, &a.currency)), esc(&a.currency)))
            .unwrap_or_default();
        let what = event
            .order_id
            .as_ref()
            .or(event.activity.as_ref())
            .or(event.subscription_id.as_ref())
            .map(|w| format!(" <span class=\"muted\">{}</span>", esc(w)))
            .unwrap_or_default();
        out.push(Entry {
            at: event.at,
            kind: "customer",
            html: format!(
                "<strong>{}</strong> {}{amount}{what}",
                s.t("ev.customer"),
                name(&event.kind)
            ),
        });
    }
    for change in &customer.customer.tier_changes {
        let tier = |t: &Option<String>| t.as_deref().map(esc).unwrap_or_else(|| "–".into());
        out.push(Entry {
            at: change.at,
            kind: "customer",
            html: format!(
                "<strong>{}</strong> {} → {}",
                s.t("tier"),
                tier(&change.from),
                tier(&change.to)
            ),
        });
    }
}

/// `GET /dashboard/people?q=`: a person by email, phone (as a form would
/// give it) or lead id, found by lead-intake (`GET /intake/admin/people`),
/// with its own normalisation of emails and phone numbers.
pub fn find(s: &Screen) -> Shown {
    let form = format!(
        "<form method=\"get\" action=\"/dashboard/people\" class=\"find\"><label>{} <input name=\"q\" value=\"{}\" autocomplete=\"off\"></label> <button type=\"submit\">{}</button></form>",
        s.t("find.help"),
        esc(&s.param("q").unwrap_or_default()),
        s.t("find")
    );
    let Some(q) = s.param("q").map(|q| q.trim().to_string()) else {
        return Ok(s.frame.page("find", s.t("nav.find"), &form));
    };
    let query = format!("/intake/admin/people?q={}", urlencode(&q));
    let found = match api::get_as::<Found>(s.ctx, INTAKE, &query) {
        Ok(found) => Some(found.lead_id),
        // Nobody, or not an email, phone or id: nobody to show.
        Err(failure) if failure.is_not_found() || failure.status == 422 => None,
        Err(failure) => return Err(failure),
    };
    match found {
        Some(id) => Ok(redirect(&format!("/dashboard/people/{}", urlencode(&id)))),
        None => {
            let mut reply = s.frame.page(
                "find",
                s.t("nav.find"),
                &format!("{form}<p class=\"empty\">{}</p>", s.t("find.none")),
            );
            reply.status = 404;
            Ok(reply)
        }
    }
}

/// `GET /dashboard/people/<id>/erase`: what erasing does, and the form that
/// does it once the word is typed.
pub fn confirm_erase(s: &Screen, id: &str, wrong: bool) -> Shown {
    let warning = if wrong {
        format!("<p class=\"problem\">{}</p>", s.t("erase.typed"))
    } else {
        String::new()
    };
    let form = s.frame.form(
        &format!("/dashboard/people/{}/erase", urlencode(id)),
        "erase",
        &format!(
            "<label>{} <input name=\"confirm\" autocomplete=\"off\" required></label> <button type=\"submit\" class=\"danger\">{}</button>",
            s.t("erase.confirm"),
            s.t("erase")
        ),
    );
    let mut reply = s.frame.page(
        "",
        s.t("erase"),
        &format!(
            "{warning}<p><code>{}</code></p>{form}<p><a href=\"/dashboard/people/{}\">{}</a></p>",
            esc(id),
            esc(&urlencode(id)),
            s.t("cancel")
        ),
    );
    if wrong {
        reply.status = 422;
    }
    Ok(reply)
}

/// `POST /dashboard/people/<id>/erase` with `confirm=ERASE`: lead-intake's
/// erase, which removes the person from every job.
pub fn erase(s: &Screen, id: &str, confirm: Option<&str>) -> Shown {
    if confirm.map(str::trim) != Some("ERASE") {
        return confirm_erase(s, id, true);
    }
    api::send::<()>(
        s.ctx,
        INTAKE,
        "DELETE",
        &format!("/intake/admin/leads/{}", urlencode(id)),
        None,
    )?;
    Ok(s.frame
        .page("", s.t("erase.done"), &format!("<p><code>{}</code></p>", esc(id))))
}
