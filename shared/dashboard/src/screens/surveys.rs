//! Surveys: a survey's score by week (NPS, CSAT or CES, as its kind is),
//! the distribution of answers over the range, and the detractor
//! follow-ups still open, each closable.

use super::{Screen, Shown};
use crate::api;
use crate::charts;
use crate::page::urlencode;
use crate::page::{esc, text, when};
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::Value;
use spin_retention_core::jobs::SURVEY;

/// The default range: this week and the eleven before it.
const WEEKS: i64 = 12;
/// Weeks plotted at most (survey summarizes at most 366 days).
const MAX_WEEKS: usize = 60;
const FOLLOW_UPS: usize = 20;

pub fn show(s: &Screen) -> Shown {
    let listed = api::get(s.ctx, SURVEY, "/survey/admin/surveys")?;
    let surveys = listed["surveys"].as_array().cloned().unwrap_or_default();
    let chosen = s
        .param("survey")
        .and_then(|id| surveys.iter().find(|v| v["id"].as_str() == Some(&id)).cloned())
        .or_else(|| surveys.first().cloned());
    let Some(survey) = chosen else {
        let body = format!("<p class=\"empty\">{}</p>{}", esc(s.t("surveys.none")), follow_ups(s)?);
        return Ok(s.frame.page("surveys", s.t("nav.surveys"), &body));
    };
    let id = survey["id"].as_str().unwrap_or_default();
    let kind = survey["kind"].as_str().unwrap_or("nps");
    let today = s.ctx.now.date_naive();
    let to = date(s, "to")?.unwrap_or(today);
    // Whole ISO weeks: the chart plots weeks, so the range starts on a Monday.
    let from = monday(date(s, "from")?.unwrap_or(to - Duration::days(7 * (WEEKS - 1))));
    let summary = api::get(
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
            let sid = v["id"].as_str().unwrap_or_default();
            let selected = if sid == id { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{selected}>{} ({})</option>",
                esc(sid),
                esc(sid),
                text(&v["kind"])
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
    let overall = &summary["overall"];
    let headline = format!(
        "<p class=\"headline\"><span class=\"big\" id=\"score\">{}</span> {} · {} {}</p>",
        score_text(kind, overall),
        esc(&kind.to_uppercase()),
        text(&overall["count"]),
        s.t("answers")
    );
    let (min, max, ticks): (f64, f64, &[f64]) = match kind {
        "nps" => (-100.0, 100.0, &[-100.0, -50.0, 0.0, 50.0, 100.0]),
        "ces" => (1.0, 7.0, &[1.0, 4.0, 7.0]),
        _ => (0.0, 100.0, &[0.0, 50.0, 100.0]),
    };
    // Named as the summary names them (`core::calendar`).
    let by_week = spin_retention_core::calendar::iso_weeks(from, to)
        .into_iter()
        .take(MAX_WEEKS)
        .map(|week| {
            let stats = summary["periods"]
                .as_array()
                .and_then(|p| p.iter().find(|p| p["period"].as_str() == Some(&week)));
            let value = stats.and_then(|st| score_value(kind, st));
            (week, value)
        })
        .collect::<Vec<_>>();
    let line = charts::line(
        &format!("{} {}", kind.to_uppercase(), s.t("by.week")), // escaped by the chart
        &by_week,
        min,
        max,
        ticks,
    );
    let (low, high) = match kind {
        "nps" => (0, 10),
        "ces" => (1, 7),
        _ => (1, 5),
    };
    let counts: Vec<(String, u64)> = (low..=high)
        .map(|n: u8| {
            (
                n.to_string(),
                overall["distribution"][n.to_string()].as_u64().unwrap_or(0),
            )
        })
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
        _ => Err(api::Failure {
            status: 400,
            problem: Value::Null,
            message: format!("{name}: a date from 1970 to 9000, as 2026-11-23"),
        }),
    }
}

fn monday(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn score_value(kind: &str, stats: &Value) -> Option<f64> {
    match kind {
        "nps" => stats["nps"]["score"].as_f64(),
        "csat" => stats["csat"]["score_pct"].as_f64(),
        _ => stats["ces"]["mean"].as_f64(),
    }
}

fn score_text(kind: &str, stats: &Value) -> String {
    match score_value(kind, stats) {
        Some(v) if kind == "csat" => format!("{v:.1}%"),
        Some(v) if kind == "ces" => format!("{v:.2}"),
        Some(v) => format!("{v:.0}"),
        None => "–".into(),
    }
}

fn band_class(kind: &str, score: u8) -> &'static str {
    let (low, high) = match kind {
        "nps" => (6, 9),
        "csat" => (2, 4),
        _ => (3, 5),
    };
    if score <= low {
        "bar detractor"
    } else if score >= high {
        "bar promoter"
    } else {
        "bar passive"
    }
}

fn follow_ups(s: &Screen) -> Result<String, api::Failure> {
    let mut path = format!("/survey/admin/followups?limit={FOLLOW_UPS}");
    if let Some(cursor) = s.param("fcursor") {
        path.push_str(&format!("&cursor={}", urlencode(&cursor)));
    }
    let open = api::get(s.ctx, SURVEY, &path)?;
    let items = open["items"].as_array().cloned().unwrap_or_default();
    let rows: String = items
        .iter()
        .map(|f| {
            let survey = f["survey_id"].as_str().unwrap_or_default();
            let lead = f["lead_id"].as_str().unwrap_or_default();
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
                text(&f["score"]),
                f["comment"].as_str().map(esc).unwrap_or_default(),
                when(&f["created_at"])
            )
        })
        .collect();
    let table = if items.is_empty() {
        format!("<p class=\"empty\">{}</p>", s.t("followups.none"))
    } else {
        format!("<table class=\"followups\"><tbody>{rows}</tbody></table>")
    };
    // The next page keeps the survey and range shown above it.
    let kept: String = ["survey", "from", "to"]
        .iter()
        .filter_map(|k| s.param(k).map(|v| format!("{k}={}&", urlencode(&v))))
        .collect();
    let next = open["next_cursor"]
        .as_str()
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
