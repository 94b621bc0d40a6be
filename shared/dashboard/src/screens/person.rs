//! A person's whole story on one page: every submission and its
//! acknowledgement, score changes with their reasons, alerts, claim and
//! contact, survey answers with comments, purchases, tier and audiences,
//! newest first. Erase is here too, behind a confirmation.

use super::hot::{actions, name_of, sla, team};
use super::{Screen, Shown};
use crate::api;
use crate::page::urlencode;
use crate::page::{esc, redirect, text, when};
use chrono::{DateTime, Utc};
use serde_json::Value;
use spin_retention_core::customer::format_minor;
use spin_retention_core::jobs::{ALERTS, AUDIENCES, CUSTOMERS, INTAKE, SCORING, SURVEY};
use spin_retention_core::lead::{Consent, Lead};
use spin_retention_scores::ScoreRecord;

/// Timeline entries shown at first; "more" adds as many again.
pub const PAGE: usize = 50;
/// The most of each kind the owners give at once (score changes, customer events).
const MAX: usize = 500;

/// One line of the timeline.
struct Entry {
    at: String,
    kind: &'static str,
    html: String,
}

pub fn show(s: &Screen, id: &str) -> Shown {
    let Some(profile) = api::get_optional(s.ctx, INTAKE, &format!("/intake/admin/leads/{}", urlencode(id)))? else {
        return Ok(not_found(s));
    };
    // Each source is asked for as many as the timeline shows, so an
    // entry shown is never missing a newer one of another kind.
    let limit = s
        .param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(PAGE)
        .clamp(1, MAX);
    let score: Option<ScoreRecord> =
        api::get_optional_as(s.ctx, SCORING, &format!("/scoring/leads/{}", urlencode(id)))?;
    let changes = api::get(
        s.ctx,
        SCORING,
        &format!("/scoring/admin/leads/{}/changes?limit={limit}", urlencode(id)),
    )?;
    let alerts = api::get_optional(s.ctx, ALERTS, &format!("/alerts/admin/leads/{}", urlencode(id)))?;
    let surveys = api::get(s.ctx, SURVEY, &format!("/survey/admin/people/{}", urlencode(id)))?;
    let customer = api::get_optional(
        s.ctx,
        CUSTOMERS,
        &format!("/customers/admin/customers/{}?limit={limit}", urlencode(id)),
    )?;
    let audiences = api::get(s.ctx, AUDIENCES, &format!("/audiences/admin/members/{}", urlencode(id)))?;
    let team = team(s)?;

    // lead-intake's profile is core's Lead, the one fold every job reads.
    let lead: Lead = api::read_as(INTAKE, "/intake/admin/leads", profile["lead"].clone())?;
    let name = name_of(&lead.contact);
    let mut entries = Vec::new();
    submissions(s, &profile, &mut entries);
    claims_and_consent(s, &lead, &mut entries);
    score_changes(s, &changes, &mut entries);
    if let Some(alerts) = &alerts {
        alert_steps(s, alerts, &mut entries);
    }
    answers(s, &surveys, &mut entries);
    if let Some(customer) = &customer {
        purchases(s, customer, &mut entries);
    }
    for a in audiences["audiences"].as_array().into_iter().flatten() {
        entries.push(Entry {
            at: a["since"].as_str().unwrap_or_default().to_string(),
            kind: "audience",
            html: format!("<strong>{}</strong> {}", s.t("ev.audience"), text(&a["audience"])),
        });
    }
    // RFC 3339 UTC times sort as text.
    entries.sort_by(|a, b| b.at.cmp(&a.at));
    let more = entries.len() > limit && limit < MAX;
    entries.truncate(limit);

    let timeline: String = entries
        .iter()
        .map(|e| {
            format!(
                "<li class=\"ev {}\"><time>{}</time><div>{}</div></li>",
                e.kind,
                when(&Value::String(e.at.clone())),
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
        summary(s, &lead, score.as_ref(), alerts.as_ref(), customer.as_ref(), &audiences),
        actions(s, id, alerts.as_ref(), &team, &s.frame.here),
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

fn summary(
    s: &Screen,
    lead: &Lead,
    score: Option<&ScoreRecord>,
    alerts: Option<&Value>,
    customer: Option<&Value>,
    audiences: &Value,
) -> String {
    let c = &lead.contact;
    let shown = |v: &Option<String>| esc(v.as_deref().unwrap_or_default());
    let mut facts = vec![
        (s.t("email"), shown(&c.email)),
        (s.t("phone"), shown(&c.phone)),
        (s.t("company"), shown(&c.company)),
        (s.t("country"), shown(&c.country)),
    ];
    if let Some(record) = score {
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
    facts.push((s.t("col.sla"), sla(s, alerts)));
    if let Some(customer) = customer {
        let fold = &customer["customer"];
        facts.push((s.t("tier"), text(&fold["loyalty_tier"])));
        facts.push((s.t("orders"), text(&fold["orders"])));
        let revenue: Vec<String> = customer["revenue"]
            .as_object()
            .map(|m| m.iter().map(|(cur, v)| format!("{} {}", text(v), esc(cur))).collect())
            .unwrap_or_default();
        facts.push((s.t("revenue"), revenue.join(", ")));
        facts.push((s.t("segment"), text(&fold["rfm"]["segment"])));
        if customer["slipping"].as_bool() == Some(true) {
            facts.push((s.t("slipping"), "✓".into()));
        }
    }
    let joined: Vec<String> = audiences["audiences"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| format!("<span class=\"chip\">{}</span>", text(&m["audience"])))
                .collect()
        })
        .unwrap_or_default();
    facts.push((s.t("audiences.in"), joined.join(" ")));
    let rows: String = facts
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("<dt>{}</dt><dd>{v}</dd>", esc(k)))
        .collect();
    format!("<dl class=\"facts\">{rows}</dl>")
}

fn submissions(s: &Screen, profile: &Value, out: &mut Vec<Entry>) {
    for item in profile["submissions"].as_array().into_iter().flatten() {
        let sub = &item["submission"];
        let mut html = format!("<strong>{}</strong>", s.t("ev.submission"));
        if let Some(form) = sub["form"].as_str() {
            html.push_str(&format!(" <span class=\"chip\">{}</span>", esc(form)));
        }
        if let Some(message) = sub["message"].as_str() {
            html.push_str(&format!("<blockquote>{}</blockquote>", esc(message)));
        }
        let pages: Vec<String> = sub["attribution"]["pages"]
            .as_array()
            .map(|p| p.iter().map(text).collect())
            .unwrap_or_default();
        if !pages.is_empty() {
            html.push_str(&format!("<div class=\"muted\">{}</div>", pages.join(", ")));
        }
        out.push(Entry {
            at: sub["received_at"].as_str().unwrap_or_default().to_string(),
            kind: "submission",
            html,
        });
        let ack = &item["ack"];
        if !ack.is_null() {
            let latency = ack["latency_ms"]
                .as_i64()
                .map(|ms| format!(" {} {:.1} s", s.t("latency"), ms as f64 / 1000.0))
                .unwrap_or_default();
            out.push(Entry {
                at: ack["sent_at"]
                    .as_str()
                    .or(ack["updated_at"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                kind: "ack",
                html: format!(
                    "<strong>{}</strong> <span class=\"state\">{}</span> {} {}{latency}",
                    s.t("ev.ack"),
                    text(&ack["state"]),
                    text(&ack["channel"]),
                    text(&ack["provider"])
                ),
            });
        }
    }
}

/// What forms claimed about the person that was not applied, and the
/// consent in force and waiting, with how it was confirmed.
fn claims_and_consent(s: &Screen, lead: &Lead, out: &mut Vec<Entry>) {
    for claim in &lead.claims {
        out.push(Entry {
            at: rfc3339(claim.at),
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
        let by = c
            .confirmed
            .as_ref()
            .map(|c| serde_json::to_value(c.by).unwrap_or_default());
        Entry {
            at: rfc3339(at),
            kind: "consent",
            html: format!(
                "<strong>{}</strong> {} <span class=\"muted\">{}</span>",
                s.t(key),
                esc(&granted.join(", ")),
                by.as_ref().map(text).unwrap_or_default()
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

/// A time as the owners' JSON gives it (RFC 3339, UTC), so entries from
/// every source sort as text.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn score_changes(s: &Screen, changes: &Value, out: &mut Vec<Entry>) {
    for change in changes["changes"].as_array().into_iter().flatten() {
        let from = change["previous_total"]
            .as_i64()
            .map(|p| format!("{p} → "))
            .unwrap_or_default();
        let why: String = change["why"]
            .as_array()
            .map(|w| w.iter().map(|r| format!("<li>{}</li>", text(r))).collect())
            .unwrap_or_default();
        out.push(Entry {
            at: change["at"].as_str().unwrap_or_default().to_string(),
            kind: "score",
            html: format!(
                "<strong>{}</strong> {}{} <span class=\"badge {}\">{}</span><ul class=\"why\">{why}</ul>",
                s.t("ev.score"),
                esc(&from),
                text(&change["total"]),
                text(&change["tier"]),
                text(&change["tier"])
            ),
        });
    }
}

fn alert_steps(s: &Screen, alerts: &Value, out: &mut Vec<Entry>) {
    let a = &alerts["alerts"];
    for step in a["steps"].as_array().into_iter().flatten() {
        out.push(Entry {
            at: step["at"].as_str().unwrap_or_default().to_string(),
            kind: "alert",
            html: format!(
                "<strong>{}</strong> {} ({}) · {} {}",
                s.t("ev.alert"),
                text(&step["to"]["name"]),
                text(&step["why"]),
                text(&step["alert"]["channel"]),
                text(&step["alert"]["status"])
            ),
        });
    }
    if !a["claimed"].is_null() {
        out.push(Entry {
            at: a["claimed"]["at"].as_str().unwrap_or_default().to_string(),
            kind: "claim",
            html: format!(
                "<strong>{}</strong> {} ({})",
                s.t("ev.claim"),
                text(&a["claimed"]["by"]["name"]),
                text(&a["claimed"]["via"])
            ),
        });
    }
    if !a["contacted"].is_null() {
        out.push(Entry {
            at: a["contacted"]["at"].as_str().unwrap_or_default().to_string(),
            kind: "contact",
            html: format!(
                "<strong>{}</strong> {} {}",
                s.t("ev.contact"),
                text(&a["contacted"]["by"]["name"]),
                text(&a["contacted"]["outcome"])
            ),
        });
    }
}

fn answers(s: &Screen, surveys: &Value, out: &mut Vec<Entry>) {
    for answer in surveys["answers"].as_array().into_iter().flatten() {
        let comment = answer["comment"]
            .as_str()
            .map(|c| format!("<blockquote>{}</blockquote>", esc(c)))
            .unwrap_or_default();
        out.push(Entry {
            at: answer["answered_at"].as_str().unwrap_or_default().to_string(),
            kind: "survey",
            html: format!(
                "<strong>{}</strong> {} · {} <span class=\"badge {}\">{}</span>{comment}",
                s.t("ev.survey"),
                text(&answer["survey_id"]),
                text(&answer["score"]),
                text(&answer["band"]),
                text(&answer["band"])
            ),
        });
    }
    for opened in surveys["opened"].as_array().into_iter().flatten() {
        out.push(Entry {
            at: opened["opened_at"].as_str().unwrap_or_default().to_string(),
            kind: "opened",
            html: format!("<strong>{}</strong> {}", s.t("ev.opened"), text(&opened["survey_id"])),
        });
    }
}

fn purchases(s: &Screen, customer: &Value, out: &mut Vec<Entry>) {
    for event in customer["events"].as_array().into_iter().flatten() {
        // `amount` is minor units of its currency (customers' `Amount`).
        let amount = match (event["amount"]["minor"].as_i64(), event["amount"]["currency"].as_str()) {
            (Some(minor), Some(currency)) => format!(" {} {}", esc(&format_minor(minor, currency)), esc(currency)),
            _ => String::new(),
        };
        let what = event["order_id"]
            .as_str()
            .or(event["activity"].as_str())
            .or(event["subscription_id"].as_str())
            .map(|w| format!(" <span class=\"muted\">{}</span>", esc(w)))
            .unwrap_or_default();
        out.push(Entry {
            at: event["at"].as_str().unwrap_or_default().to_string(),
            kind: "customer",
            html: format!(
                "<strong>{}</strong> {}{amount}{what}",
                s.t("ev.customer"),
                text(&event["kind"])
            ),
        });
    }
    for change in customer["customer"]["tier_changes"].as_array().into_iter().flatten() {
        let tier = |v: &Value| v.as_str().map(esc).unwrap_or_else(|| "–".into());
        out.push(Entry {
            at: change["at"].as_str().unwrap_or_default().to_string(),
            kind: "customer",
            html: format!(
                "<strong>{}</strong> {} → {}",
                s.t("tier"),
                tier(&change["from"]),
                tier(&change["to"])
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
    let found = match api::get(s.ctx, INTAKE, &query) {
        Ok(found) => found["lead_id"].as_str().map(str::to_string),
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
    api::send(
        s.ctx,
        INTAKE,
        "DELETE",
        &format!("/intake/admin/leads/{}", urlencode(id)),
        None,
    )?;
    Ok(s.frame
        .page("", s.t("erase.done"), &format!("<p><code>{}</code></p>", esc(id))))
}
