//! Hot leads: lead-scoring's hot queue, newest or highest score first, with
//! why each is hot, who has it, the SLA clock (lead-alerts' steps) and the
//! claim and contacted actions.

use super::{Screen, Shown};
use crate::api;
use crate::page::urlencode;
use crate::page::{esc, minutes};
use spin_retention_core::contracts::alerts::LeadView;
use spin_retention_core::jobs::{ALERTS, SCORING};
use spin_retention_core::lead::Contact;
use spin_retention_scores::api::{QueueItem, QueuePage, Rules};
use spin_retention_scores::rules::{Member, Team};

pub const PAGE: usize = 20;

pub fn show(s: &Screen) -> Shown {
    let order = match s.param("order").as_deref() {
        Some("score") => "score",
        _ => "newest",
    };
    let mut path = format!("/scoring/queue?order={order}&limit={PAGE}");
    if let Some(cursor) = s.param("cursor") {
        path.push_str(&format!("&cursor={}", urlencode(&cursor)));
    }
    let queue: QueuePage = api::get_as(s.ctx, SCORING, &path)?;
    let team = team(s)?;
    let orders: String = ["newest", "score"]
        .iter()
        .map(|o| {
            let current = if *o == order { " aria-current=\"true\"" } else { "" };
            format!(
                "<a href=\"/dashboard/hot?order={o}\"{current}>{}</a>",
                s.t(&format!("order.{o}"))
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let mut rows = String::new();
    for item in &queue.items {
        let path = format!("/alerts/admin/leads/{}", urlencode(&item.lead_id));
        let alerts: Option<LeadView> = api::get_optional_as(s.ctx, ALERTS, &path)?;
        rows.push_str(&row(s, item, alerts.as_ref(), &team));
    }
    let table = if queue.items.is_empty() {
        format!("<p class=\"empty\">{}</p>", s.t("empty.hot"))
    } else {
        format!(
            "<table class=\"leads\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            s.t("col.person"),
            s.t("col.score"),
            s.t("col.why"),
            s.t("col.assignee"),
            s.t("col.sla"),
            s.t("col.activity"),
            s.t("col.actions"),
        )
    };
    let mut pager = String::new();
    if s.param("cursor").is_some() {
        pager.push_str(&format!(
            "<a href=\"/dashboard/hot?order={order}\">{}</a> ",
            s.t("first")
        ));
    }
    if let Some(next) = &queue.next_cursor {
        pager.push_str(&format!(
            "<a rel=\"next\" href=\"/dashboard/hot?order={order}&amp;cursor={}\">{}</a>",
            esc(&urlencode(next)),
            s.t("next")
        ));
    }
    let body = format!("<p class=\"tabs\">{orders}</p>{table}<p class=\"pager\">{pager}</p>");
    Ok(s.frame.page("hot", s.t("nav.hot"), &body))
}

/// The team in the scoring rules (`routing.team`): whom a claim can be for.
pub fn team(s: &Screen) -> Result<Vec<Member>, api::Failure> {
    let rules: Rules<Team> = api::get_as(s.ctx, SCORING, "/scoring/admin/rules")?;
    Ok(rules.rules.members())
}

/// A person's name as people read it: the name, else first and last, else
/// the email or phone.
pub fn name_of(contact: &Contact) -> String {
    let first_last = [contact.first_name.as_deref(), contact.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    contact
        .name
        .clone()
        .filter(|n| !n.is_empty())
        .or((!first_last.is_empty()).then_some(first_last))
        .or(contact.email.clone())
        .or(contact.phone.clone())
        .unwrap_or_else(|| "?".to_string())
}

fn row(s: &Screen, item: &QueueItem, alerts: Option<&LeadView>, team: &[Member]) -> String {
    let contact = &item.contact;
    let why: String = item
        .why
        .iter()
        .take(3)
        .map(|r| format!("<li>{}</li>", esc(r)))
        .collect();
    let assignee = item
        .assignment
        .as_ref()
        .map(|a| esc(&a.member_name))
        .unwrap_or_else(|| format!("<span class=\"muted\">{}</span>", s.t("nobody")));
    let risk = if item.at_risk {
        format!(" <span class=\"badge risk\">{}</span>", s.t("at_risk"))
    } else {
        String::new()
    };
    let tier = item.tier.as_str();
    format!(
        "<tr data-lead=\"{id}\"><td><a class=\"name\" href=\"/dashboard/people/{id}\">{}</a><div class=\"muted\">{} {}</div></td>\
         <td><span class=\"badge {tier}\">{tier}</span> {}{risk}</td><td><ul class=\"why\">{why}</ul></td><td>{assignee}</td>\
         <td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(&name_of(contact)),
        esc(contact.email.as_deref().unwrap_or_default()),
        esc(contact.phone.as_deref().unwrap_or_default()),
        item.total,
        sla(s, alerts),
        item.last_activity_at.format("%Y-%m-%d %H:%M"),
        actions(s, &item.lead_id, alerts, team, &s.frame.here),
        id = esc(&item.lead_id),
    )
}

/// The SLA clock: contacted, claimed, or how long until (or since) the
/// current step's deadline.
pub fn sla(s: &Screen, alerts: Option<&LeadView>) -> String {
    let Some(alerts) = alerts.map(|a| &a.alerts) else {
        return format!("<span class=\"muted\">{}</span>", s.t("sla.none"));
    };
    if let Some(contacted) = &alerts.contacted {
        return format!(
            "<span class=\"ok\">{} {}</span>",
            s.t("contacted.by"),
            esc(&contacted.by.name)
        );
    }
    if let Some(claimed) = &alerts.claimed {
        return format!(
            "<span class=\"ok\">{} {}</span>",
            s.t("claimed.by"),
            esc(&claimed.by.name)
        );
    }
    match alerts.current().and_then(|step| step.due) {
        Some(due) => {
            let left = (due - s.ctx.now).num_minutes();
            if left >= 0 {
                format!("<span class=\"clock\">{} {}</span>", s.t("sla.due"), minutes(left))
            } else {
                format!(
                    "<span class=\"clock late\">{} {}</span>",
                    s.t("sla.overdue"),
                    minutes(left)
                )
            }
        }
        None => format!("<span class=\"muted\">{}</span>", s.t("sla.none")),
    }
}

/// Claim and contacted, for the assignee or a member chosen; `back` is
/// where the page returns after acting.
pub fn actions(s: &Screen, id: &str, alerts: Option<&LeadView>, team: &[Member], back: &str) -> String {
    let claimed = alerts.is_some_and(|a| a.alerts.claimed.is_some());
    let contacted = alerts.is_some_and(|a| a.alerts.contacted.is_some());
    let members: String = std::iter::once(format!("<option value=\"\">{}</option>", s.t("assignee.default")))
        .chain(
            team.iter()
                .map(|m| format!("<option value=\"{}\">{}</option>", esc(&m.id), esc(&m.name))),
        )
        .chain(std::iter::once("<option value=\"owner\">owner</option>".to_string()))
        .collect();
    let who = format!(
        "<label>{} <select name=\"member_id\">{members}</select></label>",
        s.t("as")
    );
    let back = format!("<input type=\"hidden\" name=\"back\" value=\"{}\">", esc(back));
    let mut out = String::new();
    if !claimed {
        out.push_str(&s.frame.form(
            &format!("/dashboard/leads/{}/claim", urlencode(id)),
            "act",
            &format!(
                "{back}{who}<button type=\"submit\" name=\"claim\">{}</button>",
                s.t("claim")
            ),
        ));
    }
    if !contacted {
        out.push_str(&s.frame.form(
            &format!("/dashboard/leads/{}/contacted", urlencode(id)),
            "act",
            &format!(
                "{back}{who}<select name=\"outcome\"><option value=\"\">-</option><option>reached</option><option>voicemail</option>\
                 <option>wrong_number</option><option>not_interested</option></select><button type=\"submit\" name=\"contacted\">{}</button>",
                s.t("contacted")
            ),
        ));
    }
    out
}
