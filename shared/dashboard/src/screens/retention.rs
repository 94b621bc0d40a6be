//! Retention, from what customers buy: active, new, retained and churned
//! customers by month, the retention and churn rate trend, a cohort
//! heatmap, the RFM grid and customers per tier (customers' metrics and
//! the last refresh run).

use super::{Screen, Shown};
use crate::api;
use crate::charts;
use crate::page::esc;
use crate::page::urlencode;
use chrono::{Datelike, NaiveDate};
use spin_retention_core::contracts::customers::{CohortRow, PeriodRow, Quintiles, Report, RfmView};
use spin_retention_core::jobs::CUSTOMERS;

/// Months shown by default, this one included (customers allows 24).
const MONTHS: u32 = 12;

pub fn show(s: &Screen) -> Shown {
    let today = s.ctx.now.date_naive();
    let month = |name: &str| {
        s.param(name)
            .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
    };
    let to = month("to").unwrap_or_else(|| today.with_day(1).unwrap_or(today));
    let from = month("from").unwrap_or_else(|| months_before(to, MONTHS - 1));
    let metrics: Report = api::get_as(
        s.ctx,
        CUSTOMERS,
        &format!(
            "/customers/admin/metrics?period=month&from={}&to={}",
            urlencode(&from.format("%Y-%m").to_string()),
            urlencode(&to.format("%Y-%m").to_string())
        ),
    )?;
    let rfm: RfmView = api::get_as(s.ctx, CUSTOMERS, "/customers/admin/rfm")?;
    let form = format!(
        "<form method=\"get\" action=\"/dashboard/retention\" class=\"range\"><label>{} <input type=\"month\" name=\"from\" value=\"{}\"></label>\
         <label>{} <input type=\"month\" name=\"to\" value=\"{}\"></label><button type=\"submit\">{}</button></form>",
        s.t("from"),
        from.format("%Y-%m"),
        s.t("to"),
        to.format("%Y-%m"),
        s.t("show")
    );
    let body = format!(
        "{form}{}{}{}{}",
        months_table(s, &metrics.periods),
        trends(s, &metrics.periods),
        cohorts(s, &metrics.cohorts),
        rfm.quintiles.as_ref().map(|q| rfm_and_tiers(s, q)).unwrap_or_default()
    );
    Ok(s.frame.page("retention", s.t("nav.retention"), &body))
}

fn months_before(month: NaiveDate, n: u32) -> NaiveDate {
    let index = month.year() * 12 + month.month0() as i32 - n as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(month)
}

fn pct(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "–".into())
}

fn months_table(s: &Screen, periods: &[PeriodRow]) -> String {
    if periods.is_empty() {
        return format!("<p class=\"empty\">{}</p>", s.t("no.data"));
    }
    let rows: String = periods
        .iter()
        .map(|p| {
            let revenue: Vec<String> = p
                .revenue
                .iter()
                .map(|(c, v)| format!("{} {}", esc(v), esc(c)))
                .collect();
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.period),
                p.active,
                p.new,
                p.retained,
                p.churned,
                pct(p.retention_rate),
                pct(p.churn_rate),
                revenue.join(", ")
            )
        })
        .collect();
    format!(
        "<table class=\"months\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        s.t("month"),
        s.t("active"),
        s.t("new"),
        s.t("retained"),
        s.t("churned"),
        s.t("retention.rate"),
        s.t("churn.rate"),
        s.t("revenue")
    )
}

fn trends(s: &Screen, periods: &[PeriodRow]) -> String {
    let series = |rate: fn(&PeriodRow) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        periods
            .iter()
            .map(|p| (p.period.clone(), rate(p).map(|r| r * 100.0)))
            .collect()
    };
    let retention = series(|p| p.retention_rate);
    let churn = series(|p| p.churn_rate);
    let top = retention
        .iter()
        .chain(&churn)
        .filter_map(|(_, v)| *v)
        .fold(100.0_f64, f64::max)
        .ceil();
    format!(
        "<section id=\"rates\" class=\"pair\"><div><h2>{}</h2>{}</div><div><h2>{}</h2>{}</div></section>",
        s.t("retention.rate"),
        charts::line(s.t("retention.rate"), &retention, 0.0, top, &[0.0, 50.0, 100.0]),
        s.t("churn.rate"),
        charts::line(s.t("churn.rate"), &churn, 0.0, 100.0, &[0.0, 50.0, 100.0])
    )
}

fn cohorts(s: &Screen, cohorts: &[CohortRow]) -> String {
    if cohorts.is_empty() {
        return String::new();
    }
    let rows: Vec<String> = cohorts.iter().map(|c| format!("{} ({})", c.cohort, c.size)).collect();
    let width = cohorts.iter().map(|c| c.retention.len()).max().unwrap_or(0);
    let columns: Vec<String> = (0..width).map(|m| format!("+{m}")).collect();
    let cells: Vec<Vec<Option<f64>>> = cohorts
        .iter()
        .map(|c| c.retention.iter().copied().map(Some).collect())
        .collect();
    format!(
        "<section id=\"cohorts\"><h2>{}</h2>{}</section>",
        s.t("cohorts"),
        charts::heatmap(s.t("cohorts"), &rows, &columns, &cells, |v| format!(
            "{:.0}%",
            v * 100.0
        ))
    )
}

fn rfm_and_tiers(s: &Screen, quintiles: &Quintiles) -> String {
    let grid = &quintiles.grid;
    let most = grid.values().copied().max().unwrap_or(0).max(1);
    let rows: Vec<String> = (1..=5).rev().map(|r| format!("R{r}")).collect();
    let columns: Vec<String> = (1..=5).map(|f| format!("F{f}")).collect();
    let counts = |r: u32, f: u32| grid.get(&format!("{r}{f}")).copied().unwrap_or(0);
    let cells: Vec<Vec<Option<f64>>> = (1..=5)
        .rev()
        .map(|r| (1..=5).map(|f| Some(counts(r, f) as f64 / most as f64)).collect())
        .collect();
    let rfm = charts::heatmap(s.t("rfm.grid"), &rows, &columns, &cells, |v| {
        format!("{:.0}", v * most as f64)
    });
    let tiers: Vec<(String, u64)> = quintiles.tiers.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let tier_chart = if tiers.is_empty() {
        format!("<p class=\"empty\">{}</p>", s.t("no.data"))
    } else {
        charts::bars(s.t("tiers"), &tiers, |_| "bar")
    };
    format!(
        "<section class=\"pair\"><div id=\"rfm\"><h2>{}</h2>{rfm}</div><div id=\"tiers\"><h2>{}</h2>{tier_chart}</div></section>",
        s.t("rfm.grid"),
        s.t("tiers")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_before_cross_years() {
        let d = |s: &str| s.parse().unwrap();
        assert_eq!(super::months_before(d("2026-03-01"), 11), d("2025-04-01"));
        assert_eq!(super::months_before(d("2026-01-01"), 0), d("2026-01-01"));
    }
}
