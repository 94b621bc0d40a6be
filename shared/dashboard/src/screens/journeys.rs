//! Journeys: each journey with what it did (entered, in it now, sent,
//! deferred, skipped, clicks, conversions (and a detractor recovery's
//! recovered share), revenue per person, the lift against its holdout with
//! its interval), and pause or resume.

use super::{Screen, Shown};
use crate::api;
use crate::page::{esc, redirect, urlencode};
use spin_retention_core::contracts::journeys::{Funnel, Overview, SetStatus, Summary};
use spin_retention_core::jobs::JOURNEYS;

pub fn show(s: &Screen) -> Shown {
    let overview: Overview = api::get_as(s.ctx, JOURNEYS, "/journeys/admin/overview")?;
    let rows: String = overview.journeys.iter().map(|j| row(s, j)).collect();
    let head: String = [
        "journey",
        "status",
        "entered",
        "active",
        "sent",
        "deferred",
        "skipped",
        "clicks",
        "converted",
        "revenue",
        "lift",
        "",
    ]
    .iter()
    .map(|key| {
        format!(
            "<th scope=\"col\">{}</th>",
            if key.is_empty() { "" } else { s.t(&format!("j.{key}")) }
        )
    })
    .collect();
    let body = if overview.journeys.is_empty() {
        format!("<p class=\"muted\">{}</p>", s.t("j.none"))
    } else {
        format!("<table class=\"journeys\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    };
    Ok(s.frame.page(
        "journeys",
        s.t("nav.journeys"),
        &format!("<p>{}</p>{body}", s.t("j.help")),
    ))
}

fn row(s: &Screen, j: &Summary) -> String {
    let entered = j.figure("entered");
    // Those who have not left: every exit is counted by its reason.
    let active = entered.saturating_sub(j.all_of("exited"));
    let skipped: Vec<String> = j
        .figures
        .iter()
        .filter_map(|(name, n)| name.strip_prefix("skipped:").map(|why| format!("{why}: {n}")))
        .collect();
    let lift = &j.lift;
    let percent = |x: f64| format!("{:+.1}%", x * 100.0);
    let lift_text = match (lift.lift, lift.ci95) {
        (Some(l), Some((low, high))) => format!(
            "{} <span class=\"muted\">({} … {})</span>",
            percent(l),
            percent(low),
            percent(high)
        ),
        _ => format!("<span class=\"muted\">{}</span>", s.t("j.no.holdout")),
    };
    let revenue = lift
        .treated
        .revenue_per_person_minor
        .map(|minor| {
            let places = spin_retention_core::customer::exponent(&lift.currency);
            format!("{:.2} {}", minor / 10f64.powi(places as i32), esc(&lift.currency))
        })
        .unwrap_or_default();
    // A detractor recovery's recovered share: passive or promoter since.
    let recovered = match j.enters_on.as_str() {
        "survey.detractor" => format!(
            "<div class=\"muted\">{}: {} / {}</div>",
            s.t("j.recovered"),
            j.figure("recovered:treated"),
            entered.saturating_sub(j.figure("held_out"))
        ),
        _ => String::new(),
    };
    let (next, label) = match j.status.as_str() {
        "live" => ("paused", s.t("j.pause")),
        _ => ("live", s.t("j.resume")),
    };
    let action = format!("/dashboard/journeys/{}/status", urlencode(&j.id));
    let button = match j.status.as_str() {
        "archived" => String::new(),
        _ => s.frame.form(
            &action,
            "inline",
            &format!(
                "<input type=\"hidden\" name=\"status\" value=\"{next}\"><button type=\"submit\" aria-label=\"{label}: {}\">{label}</button>",
                esc(&j.name)
            ),
        ),
    };
    format!(
        "<tr id=\"journey-{id}\"><th scope=\"row\"><a href=\"/dashboard/journeys/{link}\">{name}</a><div class=\"muted\">{enters}</div></th><td>{status}</td><td class=\"num\">{entered}</td><td class=\"num\">{active}</td><td class=\"num\">{sent}</td><td class=\"num\">{deferred}</td><td class=\"num\" title=\"{skipped_why}\">{skipped}</td><td class=\"num\">{clicks}</td><td class=\"num\">{converted}{recovered}</td><td class=\"num\">{revenue}</td><td>{lift_text}</td><td>{button}</td></tr>",
        id = esc(&j.id),
        link = urlencode(&j.id),
        name = esc(&j.name),
        enters = esc(&j.enters_on),
        status = s.t(&format!("j.status.{}", j.status)),
        sent = j.figure("sent"),
        deferred = j.all_of("deferred"),
        skipped_why = esc(&skipped.join(", ")),
        skipped = j.all_of("skipped"),
        clicks = j.figure("clicks"),
        converted = lift.treated.converted,
    )
}

/// `POST /dashboard/journeys/{id}/status`: pause or resume, through
/// journeys' admin route, then back to the page.
pub fn set_status(s: &Screen, id: &str, status: &str) -> Shown {
    let body = SetStatus {
        status: status.to_string(),
    };
    let path = format!("/journeys/admin/journeys/{}/status", urlencode(id));
    api::send::<SetStatus>(s.ctx, JOURNEYS, "POST", &path, Some(&body))?;
    Ok(redirect("/dashboard/journeys"))
}

/// `GET /dashboard/journeys/{id}`: one journey's step funnel, how many
/// went on from each step and how, against those who entered.
pub fn funnel(s: &Screen, id: &str) -> Shown {
    let path = format!("/journeys/admin/journeys/{}/funnel", urlencode(id));
    let funnel: Funnel = api::get_as(s.ctx, JOURNEYS, &path)?;
    let share = |n: u64| match funnel.entered {
        0 => String::new(),
        all => format!("{:.0}%", n as f64 * 100.0 / all as f64),
    };
    let rows: String = funnel
        .steps
        .iter()
        .map(|step| {
            let outcomes: Vec<String> = step
                .outcomes
                .iter()
                .map(|(name, n)| format!("{}: {n}", s.t(&format!("j.outcome.{name}"))))
                .collect();
            format!(
                "<tr><th scope=\"row\">{n}</th><td>{kind}</td><td><bdi>{label}</bdi></td><td class=\"num\">{passed}</td><td class=\"num\">{share}</td><td>{outcomes}</td></tr>",
                n = step.step + 1,
                kind = s.t(&format!("j.kind.{}", step.kind)),
                label = esc(&step.label),
                passed = step.passed(),
                share = share(step.passed()),
                outcomes = esc(&outcomes.join(", ")),
            )
        })
        .collect();
    let head: String = ["step", "what", "label", "passed", "share", "how"]
        .iter()
        .map(|key| format!("<th scope=\"col\">{}</th>", s.t(&format!("j.f.{key}"))))
        .collect();
    let body = format!(
        "<p>{entered}: {n}</p><table class=\"funnel\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table><p><a href=\"/dashboard/journeys\">{back}</a></p>",
        entered = s.t("j.entered"),
        n = funnel.entered,
        back = s.t("j.back"),
    );
    Ok(s.frame.page("journeys", &funnel.name, &body))
}
