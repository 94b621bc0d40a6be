//! Surveys: a survey's score by week (NPS, CSAT or CES, as its kind is),
//! the distribution of answers over the range, and the detractor
//! follow-ups still open, each closable.

use super::{Screen, Shown};
use crate::api;
use crate::charts;
use crate::page::urlencode;
use crate::page::{esc, name, when};
use chrono::{Datelike, Duration, NaiveDate};
use spin_retention_core::contracts::survey::{FollowUps, Stats, Summary, Surveys};
use spin_retention_core::jobs::SURVEY;
use spin_retention_core::signals::{Band, SurveyKind};

/// The default range: this week and the eleven before it.
const WEEKS: i64 = 12;
/// Weeks plotted at most (survey summarizes at most 366 days).
const MAX_WEEKS: usize = 60;
const FOLLOW_UPS: usize = 20;

pub fn show(s: &Screen) -> Shown {
    let Surveys { surveys } = api::get_as(s.ctx, SURVEY, "/survey/admin/surveys")?;
    let chosen = s
        .param("survey")
        .and_then(|id| surveys.iter().find(|v| v.id == id))
        .or_else(|| surveys.first());
    let Some(survey) = chosen else {
        let body = format!("<p class=\"empty\">{}</p>{}", esc(s.t("surveys.none")), follow_ups(s)?);
        return Ok(s.frame.page("surveys", s.t("nav.surveys"), &body));
    };
    let id = survey.id.as_str();
    let kind = survey.kind;
    let today = s.ctx.now.date_naive();
    let to = date(s, "to")?.unwrap_or(today);
    // Whole ISO weeks: the chart plots weeks, so the range starts on a Monday.
    let from = monday(date(s, "from")?.unwrap_or(to - Duration::days(7 * (WEEKS - 1))));
    let summary: Summary = api::get_as(
        s.ctx,
        SURVEY,
        &format!(
            "/survey/admin/surveys/{}/summary?from={from}&to={to}&by=week",
            urlencode(id)
        ),
    )?;

    let picker: String = surveys
        .iter()
        .map(|v| {
            let sid = v.id.as_str();
            let selected = if sid == id { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{selected}>{} ({})</option>",
                esc(sid),
                esc(sid),
                name(&v.kind)
            )
        })
        .collect();
    let form = format!(
        "<form method=\"get\" action=\"/dashboard/surveys\" class=\"range\"><label>{} <select name=\"survey\">{picker}</select></label>\
         <label>{} <input type=\"date\" name=\"from\" value=\"{from}\"></label><label>{} <input type=\"date\" name=\"to\" value=\"{to}\"></label>\
         <button type=\"submit\">{}</button></form>",
        s.t("survey"),
        s.t("from"),
        s.t("to"),
        s.t("show")
    );
    let overall = &summary.overall;
    let label = kind.as_str().to_uppercase();
    let headline = format!(
        "<p class=\"headline\"><span class=\"big\" id=\"score\">{}</span> {} · {} {}</p>",
        score_text(kind, overall),
        esc(&label),
        overall.count,
        s.t("answers")
    );
    let (min, max, ticks): (f64, f64, &[f64]) = match kind {
        SurveyKind::Nps => (-100.0, 100.0, &[-100.0, -50.0, 0.0, 50.0, 100.0]),
        SurveyKind::Ces => (1.0, 7.0, &[1.0, 4.0, 7.0]),
        SurveyKind::Csat => (0.0, 100.0, &[0.0, 50.0, 100.0]),
    };
    // Named as the summary names them (`core::calendar`).
    let by_week = spin_retention_core::calendar::iso_weeks(from, to)
        .into_iter()
        .take(MAX_WEEKS)
        .map(|week| {
            let stats = summary.periods.iter().find(|p| p.period == week);
            let value = stats.and_then(|p| p.stats.score(kind));
            (week, value)
        })
        .collect::<Vec<_>>();
    let line = charts::line(
        &format!("{label} {}", s.t("by.week")), // escaped by the chart
        &by_week,
        min,
        max,
        ticks,
    );
    let (low, high) = kind.range();
    let counts: Vec<(String, u64)> = (low..=high)
        .map(|n: u8| (n.to_string(), overall.distribution.get(&n).copied().unwrap_or(0)))
        .collect();
    let bars = charts::bars(s.t("distribution"), &counts, |score| {
        band_class(kind, score.parse().unwrap_or(0))
    });
    let body = format!(
        "{form}{headline}<section id=\"weekly\"><h2>{}</h2>{line}</section><section id=\"distribution\"><h2>{}</h2>{bars}</section>{}",
        s.t("by.week"),
        s.t("distribution"),
        follow_ups(s)?
    );
    Ok(s.frame.page("surveys", s.t("nav.surveys"), &body))
}

/// A date parameter; a year outside 1970-9000 (or no date at all) is a 400,
/// so no date sum below can leave chrono's range.
fn date(s: &Screen, name: &str) -> Result<Option<NaiveDate>, api::Failure> {
    let Some(text) = s.param(name) else {
        return Ok(None);
    };
    match text.parse::<NaiveDate>() {
        Ok(d) if (1970..=9000).contains(&d.year()) => Ok(Some(d)),
        _ => Err(api::Failure::new(
            400,
            format!("{name}: a date from 1970 to 9000, as 2026-11-23"),
        )),
    }
}

fn monday(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn score_text(kind: SurveyKind, stats: &Stats) -> String {
    match stats.score(kind) {
        Some(v) if kind == SurveyKind::Csat => format!("{v:.1}%"),
        Some(v) if kind == SurveyKind::Ces => format!("{v:.2}"),
        Some(v) => format!("{v:.0}"),
        None => "–".into(),
    }
}

/// A bar's class: the band its score falls in, as survey reads it.
fn band_class(kind: SurveyKind, score: u8) -> &'static str {
    match kind.band(score) {
        Band::Detractor => "bar detractor",
        Band::Passive => "bar passive",
        Band::Promoter => "bar promoter",
    }
}

fn follow_ups(s: &Screen) -> Result<String, api::Failure> {
    let mut path = format!("/survey/admin/followups?limit={FOLLOW_UPS}");
    if let Some(cursor) = s.param("fcursor") {
        path.push_str(&format!("&cursor={}", urlencode(&cursor)));
    }
    let open: FollowUps = api::get_as(s.ctx, SURVEY, &path)?;
    let rows: String = open
        .items
        .iter()
        .map(|f| {
            let survey = f.survey_id.as_str();
            let lead = f.lead_id.as_str();
            let close = s.frame.form(
                &format!("/dashboard/followups/{}/{}/close", urlencode(survey), urlencode(lead)),
                "act",
                &format!(
                    "<input type=\"hidden\" name=\"back\" value=\"{}\"><button type=\"submit\">{}</button>",
                    esc(&s.frame.here),
                    s.t("close")
                ),
            );
            format!(
                "<tr><td><a href=\"/dashboard/people/{}\">{}</a></td><td>{}</td><td><span class=\"badge detractor\">{}</span></td><td>{}</td><td>{}</td><td>{close}</td></tr>",
                esc(&urlencode(lead)),
                esc(lead),
                esc(survey),
                f.score,
                f.comment.as_deref().map(esc).unwrap_or_default(),
                when(&f.created_at)
            )
        })
        .collect();
    let table = if open.items.is_empty() {
        format!("<p class=\"empty\">{}</p>", s.t("followups.none"))
    } else {
        format!("<table class=\"followups\"><tbody>{rows}</tbody></table>")
    };
    // The next page keeps the survey and range shown above it.
    let kept: String = ["survey", "from", "to"]
        .iter()
        .filter_map(|k| s.param(k).map(|v| format!("{k}={}&", urlencode(&v))))
        .collect();
    let next = open
        .next_cursor
        .as_deref()
        .map(|c| {
            format!(
                "<p class=\"pager\"><a href=\"/dashboard/surveys?{}fcursor={}#followups\">{}</a></p>",
                esc(&kept),
                esc(&urlencode(c)),
                s.t("next")
            )
        })
        .unwrap_or_default();
    Ok(format!(
        "<section id=\"followups\"><h2>{}</h2>{table}{next}</section>",
        s.t("followups")
    ))
}
